//! The operations of the JSON API, built from [`crate::api::ENDPOINTS`].

use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Ref, Schema,
    SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, RefOr, Required, ResponseBuilder};

use super::{BEARER, QUERY_KEY};
use crate::api::{Answer, Endpoint, Named, ParamKind, Verb};

/// The media type of every answer, and one of the two body encodings every
/// POST endpoint reads.
pub(super) const JSON: &str = "application/json";
/// The other body encoding.
const FORM: &str = "application/x-www-form-urlencoded";

/// The path item of one endpoint, and the schemas its answer refers to.
pub(super) fn path_item(
    endpoint: &Endpoint,
    schemas: &mut Vec<(String, RefOr<Schema>)>,
) -> PathItem {
    let mut operation = OperationBuilder::new()
        .operation_id(Some(operation_id(endpoint.path)))
        .tag(tag(endpoint.path))
        .summary(Some(endpoint.summary))
        .description(Some(description(endpoint)))
        .securities(Some([
            SecurityRequirement::new::<_, [&str; 0], &str>(QUERY_KEY, []),
            SecurityRequirement::new::<_, [&str; 0], &str>(BEARER, []),
        ]))
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
            let body = RequestBodyBuilder::new()
                .description(Some(
                    "A JSON object or a form; both carry the same parameters. The API key \
                     is never read from the body.",
                ))
                .required(Some(Required::True))
                .content(
                    JSON,
                    ContentBuilder::new()
                        .schema(Some(body(endpoint, json_value)))
                        .build(),
                )
                .content(
                    FORM,
                    ContentBuilder::new()
                        .schema(Some(body(endpoint, form_value)))
                        .build(),
                )
                .build();
            PathItem::new(HttpMethod::Post, operation.request_body(Some(body)))
        }
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
    let mut text = format!(
        "{}\n\nAlways HTTP 200; look at `status`. Errors, checked in this order:\n\n\
         | error | meaning |\n|---|---|\n",
        endpoint.description
    );
    for code in endpoint.all_errors() {
        text.push_str(&format!("| `{code}` | {} |\n", code.meaning()));
    }
    text
}

/// `{"status":"ok",...}` or `{"status":"error","error":...}`.
fn answer(
    endpoint: &Endpoint,
    schemas: &mut Vec<(String, RefOr<Schema>)>,
) -> utoipa::openapi::Response {
    let ok = match endpoint.answer {
        Answer::Object(named) => ok_envelope(Some(reference(named, schemas))),
        Answer::List(named) => ok_envelope(Some(
            ArrayBuilder::new().items(reference(named, schemas)).into(),
        )),
        Answer::Page(named) => {
            let page = ArrayBuilder::new().items(reference(named, schemas)).into();
            with_total(ok_envelope(Some(page)))
        }
        Answer::Nothing => ok_envelope(None),
    };
    let answer = OneOfBuilder::new().item(ok).item(error_envelope(
        endpoint.all_errors().iter().map(|code| code.as_str()),
    ));
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
        .required("status")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
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
                        .description(Some("Rows matching the filters, on every page."))
                        .build(),
                )),
            );
            object.required.push("total".into());
            Schema::Object(object)
        }
        other => other,
    }
}

/// `{"status":"error","error":"<code>"}` with the codes given.
pub(super) fn error_envelope<'a>(codes: impl IntoIterator<Item = &'a str>) -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Object))
        .property("status", word("error"))
        .property(
            "error",
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .enum_values(Some(codes)),
        )
        .required("status")
        .required("error")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
}

/// A string that is exactly `value`.
pub(super) fn word(value: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some([value]))
}

/// The body schema of a POST endpoint, one property per parameter.
fn body(endpoint: &Endpoint, value: fn(ParamKind) -> RefOr<Schema>) -> Schema {
    let mut object = ObjectBuilder::new().schema_type(SchemaType::new(Type::Object));
    for param in endpoint.params {
        object = object.property(
            param.name,
            with_description(value(param.kind), param.description),
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

/// A JSON body value: integers as JSON numbers or strings of digits.
fn json_value(kind: ParamKind) -> RefOr<Schema> {
    match kind {
        ParamKind::PositiveId => OneOfBuilder::new()
            .item(integer(Some(1)))
            .item(digits(r"^[0-9]+$"))
            .into(),
        ParamKind::ChatId => OneOfBuilder::new()
            .item(integer(None))
            .item(digits(r"^-?[0-9]+$"))
            .into(),
        ParamKind::Integer { min, max } => OneOfBuilder::new()
            .item(bounded(min, max))
            .item(digits(if min < 0 { r"^-?[0-9]+$" } else { r"^[0-9]+$" }))
            .into(),
        ParamKind::Text(max) => text(max).into(),
        ParamKind::MaybeEmpty(max) => maybe_empty(max).into(),
        ParamKind::Choice(words) => choice(words).into(),
        ParamKind::Token => token().into(),
    }
}

/// A form value: always a string.
fn form_value(kind: ParamKind) -> RefOr<Schema> {
    match kind {
        ParamKind::PositiveId => digits(r"^[0-9]+$").into(),
        ParamKind::ChatId => digits(r"^-?[0-9]+$").into(),
        ParamKind::Integer { min, .. } => {
            digits(if min < 0 { r"^-?[0-9]+$" } else { r"^[0-9]+$" }).into()
        }
        ParamKind::Text(max) => text(max).into(),
        ParamKind::MaybeEmpty(max) => maybe_empty(max).into(),
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

fn digits(pattern: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .pattern(Some(pattern))
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
        .examples(["1234567890:AABBCCddEEFFggHHiiJJkkLLmmNNooPPqq"])
}
