//! What one endpoint of the JSON API is: its method and path, what it reads
//! and answers, and its own error codes. The router registers the endpoints
//! from these descriptions and the OpenAPI document is built from the same
//! ones, so the two cannot drift apart.

use std::borrow::Cow;

use actix_web::Route;
use actix_web::http::Method;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use crate::ErrorCode;

/// One endpoint of `/api/`.
pub struct Endpoint {
    /// `GET` reads (parameters in the query string), `POST` writes
    /// (parameters in a JSON or form body).
    pub verb: Verb,
    /// The full path, `/api/...json`.
    pub path: &'static str,
    /// One line for the reference.
    pub summary: &'static str,
    /// What the endpoint does, in the words of the customer documentation
    /// and `rules.md`.
    pub description: &'static str,
    /// The parameters, in the order their errors are checked.
    pub params: &'static [Param],
    /// The errors of this endpoint beyond [`ErrorCode::COMMON`].
    pub errors: &'static [ErrorCode],
    /// What `data` holds on success.
    pub answer: Answer,
    /// Attaches the handler to a route of [`Endpoint::verb`].
    pub handler: fn(Route) -> Route,
}

impl Endpoint {
    /// The route the router registers: the verb, then the handler.
    pub fn route(&self) -> Route {
        (self.handler)(actix_web::web::method(self.verb.method()))
    }

    /// Every code this endpoint can answer: the common ones in the order of
    /// `conventions.md`, then its own.
    pub fn all_errors(&self) -> Vec<ErrorCode> {
        ErrorCode::COMMON
            .iter()
            .chain(self.errors)
            .copied()
            .collect()
    }
}

/// The two methods of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// Reads; parameters in the query string.
    Get,
    /// Writes; parameters in the body.
    Post,
}

impl Verb {
    /// The HTTP method.
    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
        }
    }
}

/// One parameter of an endpoint.
#[derive(Clone, Copy)]
pub struct Param {
    /// Its name in the query string or body.
    pub name: &'static str,
    /// What values it takes.
    pub kind: ParamKind,
    /// What it means, and the error a bad value gets.
    pub description: &'static str,
    /// Whether a call must give it.
    pub required: bool,
}

/// The shapes of parameter values the API reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A positive integer (our ids): a JSON integer or a string of digits.
    PositiveId,
    /// A non-zero integer (Telegram chat ids, negative for channels): a
    /// JSON integer or a string of digits with an optional leading `-`.
    ChatId,
    /// A string, at most this many Unicode characters (0: no limit of ours).
    Text(usize),
    /// A string that may be empty (`""` clears), at most this many characters.
    MaybeEmpty(usize),
    /// An integer from `min` to `max`: a JSON integer or a string of digits.
    Integer {
        /// The smallest value.
        min: i64,
        /// The largest value.
        max: i64,
    },
    /// One of these words.
    Choice(&'static [&'static str]),
    /// A Bot API token: digits, a colon, then 35 or more of `A-Za-z0-9_-`.
    Token,
}

/// What a successful call holds in `data`.
#[derive(Clone, Copy)]
pub enum Answer {
    /// `{"status":"ok","data": {...}}`: one object.
    Object(Named),
    /// `{"status":"ok","data": [...]}`: a list of objects.
    List(Named),
    /// `{"status":"ok","total":N,"data": [...]}`: a page of a longer list.
    Page(Named),
    /// `{"status":"ok"}` alone.
    Nothing,
}

/// A schema derived from the type the handler serializes, under its name.
#[derive(Clone, Copy)]
pub struct Named {
    /// The component name.
    pub name: fn() -> Cow<'static, str>,
    /// The schema itself.
    pub schema: fn() -> RefOr<Schema>,
    /// Adds the schemas it refers to.
    pub nested: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl Named {
    /// The schema `#[derive(ToSchema)]` made for `T`.
    pub const fn of<T: ToSchema>() -> Self {
        Self {
            name: T::name,
            schema: T::schema,
            nested: T::schemas,
        }
    }
}
