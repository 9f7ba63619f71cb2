//! Rewrites any error response actix makes on its own under `/api/` (a
//! malformed request, an internal failure) into the JSON envelope, so a
//! client never sees an HTML or plain-text page.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};

use crate::{ErrorCode, envelope};

pub(crate) fn handlers() -> ErrorHandlers<BoxBody> {
    ErrorHandlers::new().default_handler(rewrite)
}

fn rewrite(res: ServiceResponse<BoxBody>) -> actix_web::Result<ErrorHandlerResponse<BoxBody>> {
    let code = match res.status() {
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => ErrorCode::Func,
        status if status.is_client_error() => ErrorCode::Request,
        _ => ErrorCode::Db,
    };
    let (req, _) = res.into_parts();
    let res = ServiceResponse::new(req, envelope::error(code)).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}
