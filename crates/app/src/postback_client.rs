//! The HTTP client of postbacks: one shared reqwest client (rustls, no
//! redirects, no proxy, a total timeout) whose name resolution is guarded
//! (`subscribers.md`, "SSRF"). The host is resolved once per connection by
//! [`GuardedResolver`]; if any address it resolves to is blocked the
//! connection is refused before it is made, otherwise the connection goes
//! to exactly the addresses that were checked (reqwest connects to what the
//! resolver answers and resolves nothing else), so a name that answers
//! differently the second time cannot slip through. Hosts written as IP
//! addresses never reach a resolver and are checked here.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use usher_domain::postbacks::{Attempt, is_blocked, literal_ip, parse_retry_after};

/// Turns a host name into addresses: the system's resolver in the service,
/// a scripted one in tests of the guard.
pub trait NameLookup: Send + Sync + 'static {
    /// Every address `host` resolves to now.
    fn lookup(
        &self,
        host: String,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>>;
}

/// The system's resolver (getaddrinfo, through tokio).
pub struct SystemLookup;

impl NameLookup for SystemLookup {
    fn lookup(
        &self,
        host: String,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>> {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// A postback's host resolved to an address it may not reach.
#[derive(Debug)]
pub struct BlockedAddress {
    /// The address.
    pub ip: IpAddr,
}

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "blocked address {}", self.ip)
    }
}

impl StdError for BlockedAddress {}

/// A reqwest resolver that refuses blocked addresses (unless
/// `allow_private`) and answers only the addresses it checked.
pub struct GuardedResolver {
    lookup: Arc<dyn NameLookup>,
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let lookup = self.lookup.clone();
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let ips = lookup.lookup(host).await?;
            if !allow_private && let Some(ip) = ips.iter().copied().find(|ip| is_blocked(*ip)) {
                return Err(Box::new(BlockedAddress { ip }) as Box<dyn StdError + Send + Sync>);
            }
            let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The most of an answer's body read (and then dropped): enough to keep
/// the connection for the next postback, not enough to be made to hold a
/// large one in memory.
const BODY_READ_MAX: usize = 64 * 1024;

/// Sends postbacks.
#[derive(Clone)]
pub struct PostbackClient {
    http: reqwest::Client,
    allow_private: bool,
}

impl PostbackClient {
    /// A client with the system's resolver.
    pub fn new(timeout: Duration, allow_private: bool) -> anyhow::Result<Self> {
        Self::with_lookup(timeout, allow_private, Arc::new(SystemLookup))
    }

    /// A client resolving names with `lookup`.
    pub fn with_lookup(
        timeout: Duration,
        allow_private: bool,
        lookup: Arc<dyn NameLookup>,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("usher-postback/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver {
                lookup,
                allow_private,
            }))
            .build()?;
        Ok(Self {
            http,
            allow_private,
        })
    }

    /// One GET of `url`: how it went.
    pub async fn get(&self, url: &str) -> Attempt {
        let Ok(parsed) = reqwest::Url::parse(url) else {
            return Attempt::Connect("not a valid URL".into());
        };
        if !self.allow_private
            && let Some(ip) = literal_ip(&parsed)
            && is_blocked(ip)
        {
            return Attempt::Blocked(BlockedAddress { ip }.to_string());
        }
        match self.http.get(parsed).send().await {
            Ok(mut answer) => {
                let code = answer.status().as_u16();
                let retry_after = answer
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, chrono::Utc::now().timestamp()));
                let mut read = 0;
                while read < BODY_READ_MAX {
                    match answer.chunk().await {
                        Ok(Some(chunk)) => read += chunk.len(),
                        _ => break,
                    }
                }
                Attempt::Answered { code, retry_after }
            }
            Err(err) => classify(&err),
        }
    }
}

/// A reqwest error as a try's outcome: the guard's refusal, a timeout, or a
/// connection failure.
fn classify(err: &reqwest::Error) -> Attempt {
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(cause) = source {
        if let Some(blocked) = cause.downcast_ref::<BlockedAddress>() {
            return Attempt::Blocked(blocked.to_string());
        }
        source = cause.source();
    }
    if err.is_timeout() {
        return Attempt::Timeout;
    }
    let mut why = String::new();
    let mut source: Option<&(dyn StdError + 'static)> = StdError::source(err);
    while let Some(cause) = source {
        if !why.is_empty() {
            why.push_str(": ");
        }
        why.push_str(&cause.to_string());
        source = cause.source();
    }
    Attempt::Connect(if why.is_empty() {
        "connection failed".into()
    } else {
        why
    })
}
