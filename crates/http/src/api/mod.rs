//! The endpoints of the JSON API, one file each, and the table the router
//! and the OpenAPI document are both built from.

pub mod bots;
pub mod camp;
pub mod endpoint;
pub mod journal;
pub mod leads;
mod params;
pub mod postbacks;
pub mod profile;
mod schema;
pub mod stats;
mod times;

use actix_web::{HttpResponse, web};

pub use endpoint::{Answer, Endpoint, Named, Param, ParamKind, Verb};

use crate::{ErrorCode, envelope};

/// Every endpoint of the JSON API, in the order of the reference.
pub const ENDPOINTS: [&Endpoint; 23] = [
    &bots::list::ENDPOINT,
    &bots::add::ENDPOINT,
    &bots::chats::ENDPOINT,
    &bots::del::ENDPOINT,
    &camp::list::ENDPOINT,
    &camp::get::ENDPOINT,
    &camp::add::ENDPOINT,
    &camp::edit::ENDPOINT,
    &camp::pause::ENDPOINT,
    &camp::resume::ENDPOINT,
    &camp::del::ENDPOINT,
    &camp::links::LIST,
    &camp::links::CHANGE,
    &leads::list::ENDPOINT,
    &leads::get::ENDPOINT,
    &leads::decide::APPROVE,
    &leads::decide::DECLINE,
    &journal::list::ENDPOINT,
    &stats::days::ENDPOINT,
    &postbacks::list::ENDPOINT,
    &profile::info::ENDPOINT,
    &profile::postbacks::ENDPOINT,
    &profile::apikey::ENDPOINT,
];

/// Registers every endpoint (paths relative to the `/api` scope). A known
/// path called with another method answers `func`, as an unknown path does.
pub fn routes(cfg: &mut web::ServiceConfig) {
    for (index, endpoint) in ENDPOINTS.iter().enumerate() {
        // One resource per path, with a route for each of its verbs.
        if ENDPOINTS[..index].iter().any(|e| e.path == endpoint.path) {
            continue;
        }
        let path = endpoint.path.strip_prefix(SCOPE).unwrap_or(endpoint.path);
        let resource = ENDPOINTS
            .iter()
            .filter(|e| e.path == endpoint.path)
            .fold(web::resource(path), |resource, e| resource.route(e.route()));
        cfg.service(resource.default_service(web::to(unknown_endpoint)));
    }
}

/// The scope every endpoint path starts with.
pub const SCOPE: &str = "/api";

/// `func`: unknown endpoint path, or the wrong method for it.
pub async fn unknown_endpoint() -> HttpResponse {
    envelope::error(ErrorCode::Func)
}
