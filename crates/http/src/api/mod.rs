//! The endpoints of the JSON API, one file each.

pub mod bots;
pub mod camp;

use actix_web::{HttpResponse, Route, web};

use crate::{ErrorCode, envelope};

/// Registers every endpoint. A known path called with another method
/// answers `func`, as an unknown path does.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let endpoints = [
        ("/bots/list.json", web::get().to(bots::list::handle)),
        ("/bots/add.json", web::post().to(bots::add::handle)),
        ("/bots/chats.json", web::get().to(bots::chats::handle)),
        ("/bots/del.json", web::post().to(bots::del::handle)),
        ("/camp/list.json", web::get().to(camp::list::handle)),
        ("/camp/get.json", web::get().to(camp::get::handle)),
        ("/camp/add.json", web::post().to(camp::add::handle)),
        ("/camp/pause.json", web::post().to(camp::pause::handle)),
        ("/camp/resume.json", web::post().to(camp::resume::handle)),
        ("/camp/del.json", web::post().to(camp::del::handle)),
    ];
    for (path, route) in endpoints {
        cfg.service(endpoint(path, route));
    }
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
