//! The operations outside the JSON API: probes, metrics, this reference,
//! and the Telegram webhook. Each path is the constant its module registers.

use utoipa::openapi::header::Header;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Required, Response, ResponseBuilder};

use super::api_paths::{JSON, word};
use super::names::{DOCS_FILES, DOCS_PATH, DOCUMENT_PATH};
use crate::health::{HEALTHZ, READYZ};
use crate::metrics::METRICS;
use crate::webhook::{SECRET_HEADER, WEBHOOK};

/// Every path outside `/api/` and the document itself, with its item.
pub(super) fn items() -> Vec<(&'static str, PathItem)> {
    vec![
        (
            HEALTHZ,
            get(
                "healthz",
                "Liveness",
                "HTTP 200 while the process answers; checks nothing else.",
                [("200", json_response("Alive.", status_ok()))],
            ),
        ),
        (
            READYZ,
            get(
                "readyz",
                "Readiness",
                "HTTP 200 when the database answers and its schema is current; 503 with \
                 what is missing (`db` or `migrations`) otherwise. Take an instance out of \
                 the load balancer while it answers 503.",
                [
                    ("200", json_response("Ready.", status_ok())),
                    (
                        "503",
                        json_response("Not ready: what is missing.", not_ready()),
                    ),
                ],
            ),
        ),
        (
            METRICS,
            get(
                "metrics",
                "Prometheus metrics",
                "The Prometheus text format: HTTP requests by route and outcome with latency \
                 histograms, webhook updates by kind and result, Telegram calls by method and \
                 result with latency, the database pool, bots by status.",
                [(
                    "200",
                    ResponseBuilder::new()
                        .description("Metrics in the Prometheus text format 0.0.4.")
                        .content("text/plain", text_content())
                        .build(),
                )],
            ),
        ),
        (
            DOCUMENT_PATH,
            get(
                "openapi",
                "This document",
                "The OpenAPI 3.1 document of usher, generated from its code.",
                [(
                    "200",
                    json_response(
                        "The document.",
                        ObjectBuilder::new()
                            .schema_type(SchemaType::new(Type::Object))
                            .property("openapi", string())
                            .property(
                                "paths",
                                ObjectBuilder::new().schema_type(SchemaType::new(Type::Object)),
                            )
                            .required("openapi")
                            .required("paths")
                            .into(),
                    ),
                )],
            ),
        ),
        (
            DOCS_PATH,
            get(
                "docs",
                "The API reference page",
                "Redirects to `/docs/`, the reference page (Swagger UI, served from the \
                 binary: it needs no internet access).",
                [(
                    "308",
                    ResponseBuilder::new()
                        .description("Go to `/docs/`.")
                        .header("Location", Header::new(string()))
                        .build(),
                )],
            ),
        ),
        (DOCS_FILES, docs_files()),
        (WEBHOOK, webhook()),
    ]
}

fn get<const N: usize>(
    id: &str,
    summary: &str,
    description: &str,
    responses: [(&str, Response); N],
) -> PathItem {
    let operation = responses.into_iter().fold(
        OperationBuilder::new()
            .operation_id(Some(id))
            .tag("operations")
            .summary(Some(summary))
            .description(Some(description))
            .securities(Some(public())),
        |op, (status, response)| op.response(status, response),
    );
    PathItem::new(HttpMethod::Get, operation)
}

fn json_response(description: &str, schema: Schema) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(JSON, ContentBuilder::new().schema(Some(schema)).build())
        .build()
}

fn status_ok() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Object))
        .property("status", word("ok"))
        .required("status")
        .into()
}

/// `security: []`: no API key.
fn public() -> Vec<SecurityRequirement> {
    Vec::new()
}

/// `{"status":"error","error":"db"|"migrations"}`.
fn not_ready() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Object))
        .property("status", word("error"))
        .property("error", string().enum_values(Some(["db", "migrations"])))
        .required("status")
        .required("error")
        .into()
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::new(Type::String))
}

fn text_content() -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(string())).build()
}

fn empty(description: &str) -> Response {
    ResponseBuilder::new().description(description).build()
}

fn docs_files() -> PathItem {
    let operation = OperationBuilder::new()
        .operation_id(Some("docs.files"))
        .tag("operations")
        .securities(Some(public()))
        .summary(Some("The reference page and its assets"))
        .description(Some(
            "`/docs/` (or `/docs/index.html`) is the page; the other files are its scripts \
             and styles. Unknown files are 404.",
        ))
        .parameter(
            ParameterBuilder::new()
                .name("file")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(string().examples(["index.html"]))),
        )
        .response(
            "200",
            ResponseBuilder::new()
                .description("The file.")
                .content("text/html", text_content())
                .content("text/css", text_content())
                .content("application/javascript", text_content())
                .content("image/png", ContentBuilder::new().build())
                .build(),
        )
        .response("404", empty("No such file."));
    PathItem::new(HttpMethod::Get, operation)
}

fn webhook() -> PathItem {
    let operation = OperationBuilder::new()
        .operation_id(Some("telegram.webhook"))
        .tag("telegram")
        .securities(Some(public()))
        .summary(Some("Telegram's update delivery"))
        .description(Some(
            "Telegram POSTs each of a bot's updates here (the URL usher registered with \
             `setWebhook`), with the bot's secret in `X-Telegram-Bot-Api-Secret-Token`. Not \
             part of the JSON API: real HTTP statuses, because Telegram delivers an update \
             again until it gets a 2xx. An update is applied at most once per bot.",
        ))
        .parameter(
            ParameterBuilder::new()
                .name("bot")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some("Our id of the bot."))
                .schema(Some(string())),
        )
        .parameter(
            ParameterBuilder::new()
                .name(SECRET_HEADER)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some("The bot's webhook secret."))
                .schema(Some(string())),
        )
        .request_body(Some(
            RequestBodyBuilder::new()
                .description(Some("A Telegram Update object (at most 1 MiB)."))
                .required(Some(Required::True))
                .content(
                    JSON,
                    ContentBuilder::new()
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(SchemaType::new(Type::Object))
                                .property(
                                    "update_id",
                                    ObjectBuilder::new()
                                        .schema_type(SchemaType::new(Type::Integer)),
                                )
                                .required("update_id"),
                        ))
                        .build(),
                )
                .build(),
        ))
        .response(
            "200",
            empty(
                "Committed (or already applied, or the bot is deleted: acknowledged and \
                 ignored).",
            ),
        )
        .response("400", empty("The body is not an Update."))
        .response("401", empty("Wrong or missing secret; nothing recorded."))
        .response("404", empty("No such bot."))
        .response("413", empty("The body is over 1 MiB."))
        .response(
            "503",
            ResponseBuilder::new()
                .description("The database failed; deliver again later.")
                .header("Retry-After", Header::new(string()))
                .build(),
        );
    PathItem::new(HttpMethod::Post, operation)
}
