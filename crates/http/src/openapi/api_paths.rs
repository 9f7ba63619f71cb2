//! The operations of the JSON API, built from [`crate::api::ENDPOINTS`].

use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    ArrayBuilder, Discriminator, KnownFormat, ObjectBuilder, OneOfBuilder, Ref, Schema,
    SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, RefOr, Required, ResponseBuilder};

use super::names::{BEARER, QUERY_KEY};
use crate::api::{Answer, Endpoint, Named, ParamKind, Verb};

/// The media type of every answer and of the documented POST bodies.
pub(super) const JSON: &str = "application/json";

/// The path item of one endpoint, and the schemas its answer refers to.
pub(super) fn path_item(
    endpoint: &Endpoint,
    schemas: &mut Vec<(String, RefOr<Schema>)>,
) -> PathItem {
    let mut operation = OperationBuilder::new()
        .operation_id(Some(operation_id_of(endpoint)))
        .tag(tag(endpoint.path))
        .summary(Some(endpoint.summary))
        .description(Some(description(endpoint)))
        .securities(Some(securities()))
        .response("200", answer(endpoint, schemas));
    match endpoint.verb {
        Verb::Get => {
            for param in endpoint.params {
                operation = operation.parameter(
                    ParameterBuilder::new()
                        .name(param.name)
                        .parameter_in(ParameterIn::Query)
                        .required(if param.required {
                            Required::True
                        } else {
                            Required::False
                        })
                        .description(Some(param.description))
                        .schema(Some(query_value(param.kind))),
                );
            }
            PathItem::new(HttpMethod::Get, operation)
        }
        Verb::Post => {
            // Named after the operation, not the path: a path that also
            // reads has a GET whose generated request type is
            // `<Path>Request` already (typescript-fetch).
            let name = format!("{}Request", pascal(&operation_id_of(endpoint)));
            schemas.push((name.clone(), body(endpoint).into()));
            let body = RequestBodyBuilder::new()
                .description(Some(
                    "A JSON object. The same parameters may be sent as a form \
                     (`application/x-www-form-urlencoded`, integers as their digits); the \
                     API key is never read from the body.",
                ))
                .required(Some(Required::True))
                .content(
                    JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(name)))
                        .build(),
                )
                .build();
            PathItem::new(HttpMethod::Post, operation.request_body(Some(body)))
        }
    }
}

/// How a call may present the key: the query parameter `id` or the Bearer
/// header, on every endpoint. Where the operation has an `id` of its own
/// (`bots/chats.json`, `camp/get.json`, `leads/get.json`) the query then
/// carries both, `?id=7&id=KEY`, which the conventions allow (the
/// key-shaped value is the key) and which generated clients send as is.
fn securities() -> Vec<SecurityRequirement> {
    vec![
        SecurityRequirement::new::<_, [&str; 0], &str>(QUERY_KEY, []),
        SecurityRequirement::new::<_, [&str; 0], &str>(BEARER, []),
    ]
}

/// `bots.list` → `BotsList`.
pub(super) fn pascal(operation_id: &str) -> String {
    operation_id
        .split(['.', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The operation id of `endpoint`: its path's, and `.change` after it for
/// the `POST` of a path that also reads (`camp.links` and
/// `camp.links.change`).
fn operation_id_of(endpoint: &Endpoint) -> String {
    let id = operation_id(endpoint.path);
    let shared = crate::api::ENDPOINTS
        .iter()
        .any(|e| e.path == endpoint.path && e.verb != endpoint.verb);
    if shared && endpoint.verb == Verb::Post {
        format!("{id}.change")
    } else {
        id
    }
}

/// `/api/bots/list.json` → `bots.list`.
fn operation_id(path: &str) -> String {
    path.trim_start_matches("/api/")
        .trim_end_matches(".json")
        .replace('/', ".")
}

/// `/api/bots/list.json` → `bots`.
fn tag(path: &str) -> String {
    operation_id(path)
        .split('.')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The endpoint's description followed by the table of its error codes.
fn description(endpoint: &Endpoint) -> String {
    let own_id = endpoint.verb == Verb::Get && endpoint.params.iter().any(|p| p.name == "id");
    let key = if own_id {
        "\n\nThe key as `?id=KEY` goes beside the `id` parameter (`?id=7&id=42-d3ad...`: \
         the key-shaped value is the key), or in `Authorization: Bearer`."
    } else {
        ""
    };
    let mut text = format!(
        "{}{key}\n\nAlways HTTP 200; look at `status`. Errors, checked in this order (new \
         codes may be added; treat an unknown one as a failure):\n\n\
         | error | meaning |\n|---|---|\n",
        endpoint.description
    );
    for code in endpoint.all_errors() {
        text.push_str(&format!("| `{code}` | {} |\n", code.meaning()));
    }
    text
}

/// The name of the shared error envelope. Not `Error`: that is a built-in
/// of TypeScript and Python, which generators rename (openapi-generator's
/// typescript-fetch to `ModelError`, and then not everywhere).
pub(super) const ERROR: &str = "ApiError";

/// `{"status":"ok",...}` (a named envelope per answer type) or the shared
/// `ApiError`, told apart by `status`.
fn answer(
    endpoint: &Endpoint,
    schemas: &mut Vec<(String, RefOr<Schema>)>,
) -> utoipa::openapi::Response {
    let (name, envelope) = match endpoint.answer {
        Answer::Object(named) => {
            let data = reference(named, schemas);
            (format!("{}Ok", (named.name)()), ok_envelope(Some(data)))
        }
        Answer::List(named) => {
            let data = ArrayBuilder::new().items(reference(named, schemas)).into();
            (format!("{}ListOk", (named.name)()), ok_envelope(Some(data)))
        }
        Answer::Page(named) => {
            let page = ArrayBuilder::new().items(reference(named, schemas)).into();
            (
                format!("{}PageOk", (named.name)()),
                with_total(ok_envelope(Some(page))),
            )
        }
        Answer::Nothing => ("Ok".to_owned(), ok_envelope(None)),
    };
    if !schemas.iter().any(|(known, _)| *known == name) {
        schemas.push((name.clone(), envelope.into()));
    }
    if !schemas.iter().any(|(known, _)| known == ERROR) {
        schemas.push((ERROR.to_owned(), error_envelope().into()));
    }
    let answer = OneOfBuilder::new()
        .item(Ref::from_schema_name(&name))
        .item(Ref::from_schema_name(ERROR))
        .discriminator(Some(Discriminator::with_mapping(
            "status",
            [
                ("ok", format!("#/components/schemas/{name}")),
                ("error", format!("#/components/schemas/{ERROR}")),
            ],
        )));
    ResponseBuilder::new()
        .description("The JSON envelope: success or an error code.")
        .content(JSON, ContentBuilder::new().schema(Some(answer)).build())
        .build()
}

/// A `$ref` to the named schema, which is added to the components.
fn reference(named: Named, schemas: &mut Vec<(String, RefOr<Schema>)>) -> RefOr<Schema> {
    let name = (named.name)().into_owned();
    if !schemas.iter().any(|(known, _)| *known == name) {
        schemas.push((name.clone(), (named.schema)()));
        (named.nested)(schemas);
    }
    Ref::from_schema_name(name).into()
}

fn ok_envelope(data: Option<RefOr<Schema>>) -> Schema {
    let mut envelope = ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Object))
        .property("status", word("ok"))
        .required("status");
    if let Some(data) = data {
        envelope = envelope.property("data", data).required("data");
    }
    envelope.into()
}

/// The ok envelope of a page: `total` counts every matching row.
fn with_total(envelope: Schema) -> Schema {
    match envelope {
        Schema::Object(mut object) => {
            object.properties.insert(
                "total".into(),
                RefOr::T(Schema::Object(
                    integer(Some(0))
                        .description(Some(
                            "Rows matching the filters, on every page. Counted from counters \
                             where they hold the filters; otherwise at most 10000 rows are \
                             counted, and past that `total` is 10000 and `total_capped` is true.",
                        ))
                        .build(),
                )),
            );
            object.required.push("total".into());
            object.properties.insert(
                "total_capped".into(),
                RefOr::T(Schema::Object(
                    ObjectBuilder::new()
                        .schema_type(Type::Boolean)
                        .description(Some(
                            "Present, and true, only when more rows match than were counted.",
                        ))
                        .build(),
                )),
            );
            Schema::Object(object)
        }
        other => other,
    }
}

/// `{"status":"error","error":"<code>"}`. The code is an open string, so
/// that a client generated today still reads a code added tomorrow; the
/// known ones are its examples, each operation's own in its description.
pub(super) fn error_envelope() -> Schema {
    let mut known = String::from("The error code. Known codes (more may be added):");
    for code in crate::ErrorCode::ALL {
        known.push_str(&format!("\n- `{code}`: {}", code.meaning()));
    }
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Object))
        .title(Some("ApiError"))
        .property("status", word("error"))
        .property(
            "error",
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .description(Some(known))
                .examples(crate::ErrorCode::ALL.iter().map(|c| c.as_str())),
        )
        .required("status")
        .required("error")
        .into()
}

/// A string that is exactly `value`.
pub(super) fn word(value: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some([value]))
}

/// The body schema of a POST endpoint, one property per parameter.
fn body(endpoint: &Endpoint) -> Schema {
    let mut object = ObjectBuilder::new().schema_type(SchemaType::new(Type::Object));
    for param in endpoint.params {
        object = object.property(
            param.name,
            with_description(query_value(param.kind), param.description),
        );
        if param.required {
            object = object.required(param.name);
        }
    }
    object.into()
}

fn with_description(schema: RefOr<Schema>, description: &str) -> RefOr<Schema> {
    match schema {
        RefOr::T(Schema::Object(mut object)) => {
            object.description = Some(description.to_owned());
            RefOr::T(Schema::Object(object))
        }
        RefOr::T(Schema::OneOf(mut one_of)) => {
            one_of.description = Some(description.to_owned());
            RefOr::T(Schema::OneOf(one_of))
        }
        other => other,
    }
}

/// A query-string value.
fn query_value(kind: ParamKind) -> RefOr<Schema> {
    match kind {
        ParamKind::PositiveId => integer(Some(1)).into(),
        ParamKind::ChatId => integer(None).into(),
        ParamKind::Text(max) => text(max).into(),
        ParamKind::MaybeEmpty(max) => maybe_empty(max).into(),
        ParamKind::Integer { min, max } => bounded(min, max).into(),
        ParamKind::Choice(words) => choice(words).into(),
        ParamKind::Token => token().into(),
    }
}

fn bounded(min: i64, max: i64) -> ObjectBuilder {
    integer(Some(min)).maximum(Some(max))
}

fn maybe_empty(max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .max_length((max > 0).then_some(max))
}

fn choice(words: &'static [&'static str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(words.iter().copied()))
}

fn integer(minimum: Option<i64>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Integer))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(minimum)
}

fn text(max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .min_length(Some(1))
        .max_length((max > 0).then_some(max))
}

fn token() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .pattern(Some(r"^[0-9]+:[A-Za-z0-9_-]{35,}$"))
        .examples(["1234567890:AABBCCddEEFFggHHiiJJkkLLmmNNooPPqqR"])
}
