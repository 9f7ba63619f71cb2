//! The endpoints of the JSON API, one file each.

pub mod bots;

use actix_web::{HttpResponse, Route, web};

use crate::{ErrorCode, envelope};

/// Registers every endpoint. A known path called with another method
/// answers `func`, as an unknown path does.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint(
        "/bots/list.json",
        web::get().to(bots::list::handle),
    ))
    .service(endpoint(
        "/bots/add.json",
        web::post().to(bots::add::handle),
    ))
    .service(endpoint(
        "/bots/chats.json",
        web::get().to(bots::chats::handle),
    ))
    .service(endpoint(
        "/bots/del.json",
        web::post().to(bots::del::handle),
    ));
}

fn endpoint(path: &str, route: Route) -> actix_web::Resource {
    web::resource(path)
        .route(route)
        .default_service(web::to(unknown_endpoint))
}

/// `func`: unknown endpoint path, or the wrong method for it.
pub async fn unknown_endpoint() -> HttpResponse {
    envelope::error(ErrorCode::Func)
}
