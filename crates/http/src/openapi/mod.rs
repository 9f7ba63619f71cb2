//! The OpenAPI 3.1 document of everything usher serves, built with utoipa
//! from the code: the JSON API from [`crate::api::ENDPOINTS`] (the table the
//! router registers), answer fields from the `#[derive(ToSchema)]` of the
//! structs the handlers serialize. Served at `GET /api/openapi.json`, and
//! read by the reference page at `GET /docs`.

mod api_paths;
mod names;
mod service_paths;

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use utoipa::openapi::info::LicenseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::api::{ENDPOINTS, unknown_endpoint};
use names::{BEARER, QUERY_KEY};
pub use names::{DOCS_FILES, DOCS_PATH, DOCUMENT_PATH};

const INTRODUCTION: &str = "\
usher connects your Telegram bots: hand over a BotFather token, and usher checks it with \
Telegram, registers a webhook, and from then on tracks which chats the bot administers and \
who joins them.

**Conventions.** GET reads, with parameters in the query string. POST writes, with \
parameters in a body that is either a JSON object (`Content-Type: application/json`) or a \
form (`application/x-www-form-urlencoded`). Numeric parameters may be JSON numbers or strings \
of digits (with a leading `-` for chat ids). Every answer of `/api/` is HTTP 200 with \
`Content-Type: application/json`: `{\"status\":\"ok\",\"data\":...}` (or `{\"status\":\"ok\"}` \
for an action with nothing to return) or `{\"status\":\"error\",\"error\":\"<code>\"}`. \
Dates are `YYYY-MM-DD HH:MM:SS` in UTC; Telegram ids are 64-bit signed integers.

**Authentication.** Your API key (`{account_id}-{secret}`) goes either in the query string \
as `id` (also on POST) or in `Authorization: Bearer`. `id` is also the bot or campaign \
parameter of several endpoints: in a query string the key-shaped value (digits, a dash, the \
secret) is the key and the integer is the parameter (`?id=42-d3ad...&id=7`); a POST body's \
`id` is always the parameter.

**Errors.** When several things are wrong, the first in this order is reported: `func`, \
`request`, `key`, `ban`, then the endpoint's own checks in the order of its parameters. \
`db` means the database failed; retry later.";

/// The document, built once.
pub fn document() -> &'static OpenApi {
    static DOCUMENT: LazyLock<OpenApi> = LazyLock::new(build);
    &DOCUMENT
}

fn build() -> OpenApi {
    let mut schemas = Vec::new();
    let mut paths = PathsBuilder::new();
    for endpoint in ENDPOINTS {
        paths = paths.path(endpoint.path, api_paths::path_item(endpoint, &mut schemas));
    }
    for (path, item) in service_paths::items() {
        paths = paths.path(path, item);
    }
    let components = schemas
        .into_iter()
        .fold(ComponentsBuilder::new(), |c, (name, schema)| {
            c.schema(name, schema)
        })
        .security_scheme(
            QUERY_KEY,
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "id",
                "The API key as the query parameter `id`, on GET and POST alike.",
            ))),
        )
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("{account_id}-{secret}")
                    .description(Some("The API key as `Authorization: Bearer <key>`."))
                    .build(),
            ),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("usher")
                .version(env!("CARGO_PKG_VERSION"))
                .license(Some(
                    LicenseBuilder::new()
                        .name("MIT")
                        .identifier(Some("MIT"))
                        .build(),
                ))
                .description(Some(INTRODUCTION))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .tags(Some([
            tag("bots", "Connect and manage Telegram bots."),
            tag("camp", "Campaigns: each tracks one chat through one bot."),
            tag(
                "leads",
                "Leads: one subscriber in one campaign, with its history.",
            ),
            tag(
                "journal",
                "Every join, leave, kick, join request, /start and block.",
            ),
            tag(
                "stats",
                "Starts, join requests, joins and unsubscribes per day.",
            ),
            tag(
                "postbacks",
                "What usher told the customer's tracker, and how it went.",
            ),
            tag(
                "profile",
                "The account: its counts, global postback templates and key.",
            ),
            tag(
                "operations",
                "Probes, metrics and this reference; not part of the JSON API.",
            ),
            tag(
                "telegram",
                "Where Telegram delivers updates; real HTTP statuses.",
            ),
        ]))
        .build()
}

fn tag(name: &str, description: &str) -> utoipa::openapi::tag::Tag {
    TagBuilder::new()
        .name(name)
        .description(Some(description))
        .build()
}

/// Registers `GET /api/openapi.json` (relative to the `/api` scope; other
/// methods answer `func`).
pub fn document_route(cfg: &mut web::ServiceConfig) {
    let path = DOCUMENT_PATH
        .strip_prefix(crate::api::SCOPE)
        .unwrap_or(DOCUMENT_PATH);
    cfg.service(
        web::resource(path)
            .route(web::get().to(serve_document))
            .default_service(web::to(unknown_endpoint)),
    );
}

async fn serve_document(state: web::Data<crate::AppState>) -> HttpResponse {
    // Built per call (it is rarely asked for): servers in one process,
    // as in tests, may have different public URLs.
    let body = serde_json::to_vec(&with_server(document(), &state.public_url)).unwrap_or_default();
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

/// The document with `servers` naming `public_url`, so that generated
/// clients and "Try it out" know where to call.
pub fn with_server(document: &OpenApi, public_url: &str) -> OpenApi {
    let mut document = document.clone();
    document.servers = Some(vec![
        ServerBuilder::new()
            .url(public_url)
            .description(Some("This service (`http.public_url`)."))
            .build(),
    ]);
    document
}

/// Registers `GET /docs` (a redirect to `/docs/`) and the Swagger UI page
/// and assets under `/docs/`, all served from the binary: the page needs no
/// internet access.
pub fn docs_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        DOCS_PATH,
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, "/docs/"))
                .finish()
        }),
    )
    .service(
        SwaggerUi::new("/docs/{_:.*}").config(
            Config::from(DOCUMENT_PATH)
                .try_it_out_enabled(true)
                .validator_url("none")
                .display_operation_id(true),
        ),
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::ErrorCode;

    fn json() -> serde_json::Value {
        serde_json::to_value(document()).unwrap_or_default()
    }

    #[test]
    fn the_document_is_openapi_3_1() {
        assert_eq!(json()["openapi"], "3.1.0");
    }

    #[test]
    fn the_document_describes_exactly_the_routes_the_server_registers() {
        let doc = json();
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
                if ["get", "post", "put", "delete", "patch", "head", "options"]
                    .contains(&method.as_str())
                {
                    documented.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        let served: BTreeSet<_> = crate::routes()
            .into_iter()
            .map(|(method, path)| (method.to_string(), path.to_owned()))
            .collect();
        assert_eq!(documented, served);
    }

    /// Every path of actix's own resource tree, scopes joined, read from
    /// the `{:#?}` of the request's `ResourceMap` (actix offers no other
    /// way to list what a router serves).
    fn resource_tree_paths(dump: &str) -> BTreeSet<String> {
        let mut frames: Vec<(usize, String)> = Vec::new();
        let mut leaves = BTreeSet::new();
        let mut lines = dump.lines();
        while let Some(line) = lines.next() {
            let indent = line.len() - line.trim_start().len();
            let text = line.trim();
            if text == "ResourceMap {" {
                frames.push((indent, String::new()));
            } else if text == "patterns: Single(" {
                let pattern = lines.next().unwrap_or_default().trim();
                if let Some(frame) = frames.last_mut() {
                    frame.1 = pattern.trim_end_matches(',').trim_matches('"').to_owned();
                }
            } else if text == "nodes: None," {
                leaves.insert(frames.iter().map(|(_, p)| p.as_str()).collect::<String>());
            } else if (text == "}" || text == "},") && frames.last().is_some_and(|f| f.0 == indent)
            {
                frames.pop();
            }
        }
        leaves
    }

    /// `/docs/{_:.*}` and `/docs/{file}` alike: `/docs/{}`.
    fn without_parameter_names(path: &str) -> String {
        let mut out = String::new();
        let mut in_braces = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_braces = true;
                    out.push_str("{}");
                }
                '}' => in_braces = false,
                _ if !in_braces => out.push(c),
                _ => {}
            }
        }
        out
    }

    #[actix_web::test]
    async fn the_router_serves_exactly_the_documented_paths() {
        use actix_web::{App, HttpRequest, test};
        const PROBE: &str = "/__resource_tree";
        let app = test::init_service(App::new().configure(crate::configure).route(
            PROBE,
            web::get().to(|req: HttpRequest| async move { format!("{:#?}", req.resource_map()) }),
        ))
        .await;
        let dump =
            test::call_and_read_body(&app, test::TestRequest::get().uri(PROBE).to_request()).await;
        let served: BTreeSet<_> =
            resource_tree_paths(std::str::from_utf8(&dump).unwrap_or_default())
                .iter()
                .filter(|path| *path != PROBE)
                .map(|path| without_parameter_names(path))
                .collect();
        let documented: BTreeSet<_> = json()["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(path, _)| without_parameter_names(path))
            .collect();
        assert!(served.len() > 10, "the resource tree was read: {served:?}");
        assert_eq!(served, documented);
    }

    #[test]
    fn every_error_code_is_documented_with_its_meaning() {
        let text = json().to_string();
        for code in ErrorCode::ALL {
            assert!(text.contains(&format!("\"{code}\"")), "{code} missing");
            assert!(text.contains(code.meaning()), "meaning of {code} missing");
        }
    }

    #[test]
    fn every_schema_reference_resolves() {
        let doc = json();
        let text = doc.to_string();
        for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap_or_default();
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{name} unresolved"
            );
        }
    }
}
