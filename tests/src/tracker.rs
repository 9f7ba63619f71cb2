//! A tracker on loopback for postback tests: a real HTTP server that
//! records every GET it receives and answers as the test scripts it (a
//! status, a delay, a `Retry-After`, a redirect).

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// How the tracker answers one request.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Wait this long before answering.
    pub delay: Duration,
    /// A `Retry-After` header (seconds).
    pub retry_after: Option<u64>,
    /// A `Location` header.
    pub location: Option<String>,
}

impl Reply {
    /// Answer `status` at once.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            delay: Duration::ZERO,
            retry_after: None,
            location: None,
        }
    }

    /// Answer after `delay`.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// With `Retry-After: seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// With `Location: url`.
    pub fn location(mut self, url: &str) -> Self {
        self.location = Some(url.to_owned());
        self
    }
}

/// One request the tracker received.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The path and query, as sent.
    pub uri: String,
    /// When it arrived.
    pub at: Instant,
}

impl Hit {
    /// The decoded value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<String> {
        let url = url::Url::parse(&format!("http://x{}", self.uri)).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The path alone.
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or_default()
    }
}

#[derive(Default)]
struct Script {
    hits: Vec<Hit>,
    queued: VecDeque<Reply>,
}

struct Shared {
    script: Mutex<Script>,
    default: Reply,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: std::sync::atomic::AtomicUsize,
    most_in_flight: std::sync::atomic::AtomicUsize,
}

/// A running tracker.
pub struct Tracker {
    /// `http://127.0.0.1:<port>` (or `http://[::1]:<port>`).
    pub base: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

async fn answer(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    use std::sync::atomic::Ordering;
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.most_in_flight.fetch_max(now, Ordering::SeqCst);
    let response = answer_one(&req, &shared).await;
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

async fn answer_one(req: &HttpRequest, shared: &Shared) -> HttpResponse {
    let reply = {
        let mut script = shared.script.lock().unwrap();
        script.hits.push(Hit {
            uri: req.uri().to_string(),
            at: Instant::now(),
        });
        script
            .queued
            .pop_front()
            .unwrap_or_else(|| shared.default.clone())
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response =
        HttpResponse::build(actix_web::http::StatusCode::from_u16(reply.status).unwrap());
    if let Some(seconds) = reply.retry_after {
        response.insert_header(("Retry-After", seconds.to_string()));
    }
    if let Some(location) = &reply.location {
        response.insert_header(("Location", location.as_str()));
    }
    response.body("ok")
}

impl Tracker {
    /// A tracker on 127.0.0.1 answering `default` unless scripted.
    pub fn start(default: Reply) -> Self {
        Self::start_on("127.0.0.1:0", default).unwrap()
    }

    /// A tracker on `addr` (`[::1]:0` for IPv6); `None` if it cannot bind.
    pub fn start_on(addr: &str, default: Reply) -> Option<Self> {
        let listener = TcpListener::bind(addr).ok()?;
        let local = listener.local_addr().ok()?;
        let shared = Arc::new(Shared {
            script: Mutex::new(Script::default()),
            default,
            in_flight: Default::default(),
            most_in_flight: Default::default(),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(answer))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .ok()?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Some(Self {
            base: format!("http://{local}"),
            shared,
            handle,
        })
    }

    /// Answers the next requests with `replies`, in order, then the default.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.script.lock().unwrap().queued.extend(replies);
    }

    /// The most requests this tracker was answering at one moment (from
    /// the handler's start to its reply), whoever sent them.
    pub fn most_in_flight(&self) -> usize {
        self.shared
            .most_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every request so far, in arrival order.
    pub fn hits(&self) -> Vec<Hit> {
        self.shared.script.lock().unwrap().hits.clone()
    }

    /// The requests so far once there are at least `n`, or what came within
    /// `within`.
    pub async fn wait_hits(&self, n: usize, within: Duration) -> Vec<Hit> {
        let deadline = Instant::now() + within;
        loop {
            let hits = self.hits();
            if hits.len() >= n || Instant::now() > deadline {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        drop(handle.stop(false));
    }
}
