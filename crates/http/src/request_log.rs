//! One log line per request, inside a span carrying a request id. The query
//! string is never logged: it may hold an API key.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use futures_util::future::LocalBoxFuture;
use tracing::{Instrument, info, info_span};

use crate::ErrorCode;

/// Middleware logging method, path, status and `duration_ms` of each request.
#[derive(Clone, Copy, Default)]
pub struct RequestLog;

impl<S, B> Transform<S, ServiceRequest> for RequestLog
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestLogService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestLogService {
            service: Rc::new(service),
        }))
    }
}

/// The service [`RequestLog`] wraps around the app.
pub struct RequestLogService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for RequestLogService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let request_id = format!("{:016x}", rand::random::<u64>());
        let span = info_span!(
            "request",
            request_id = %request_id,
            method = %req.method(),
            path = %req.path(),
        );
        let started = Instant::now();
        let service = self.service.clone();
        Box::pin(
            async move {
                let result = service.call(req).await;
                let elapsed = started.elapsed().as_secs_f64();
                let duration_ms = elapsed * 1000.0;
                match &result {
                    Ok(res) => {
                        let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
                        let outcome = match res.response().extensions().get::<ErrorCode>() {
                            Some(code) => code.as_str().to_owned(),
                            None if res.status().is_success() => "ok".to_owned(),
                            None => res.status().as_u16().to_string(),
                        };
                        info!(status = res.status().as_u16(), outcome = %outcome, duration_ms, "request");
                        metrics::counter!("http_requests_total", "route" => route.clone(), "outcome" => outcome)
                            .increment(1);
                        metrics::histogram!("http_request_duration_seconds", "route" => route).record(elapsed);
                    }
                    Err(err) => info!(error = %err, duration_ms, "request failed"),
                }
                result
            }
            .instrument(span),
        )
    }
}
