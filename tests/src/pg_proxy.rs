//! A TCP proxy in front of the test PostgreSQL that can silently freeze the
//! connections that `LISTEN`: their bytes stop flowing both ways while the
//! sockets stay open, as when a network path dies without a reset or a
//! pooler stops passing a session's notifications.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The bytes that mark a connection as a listener.
const LISTEN_MARK: &[u8] = b"LISTEN ";

/// A running proxy; stops when dropped.
pub struct PgProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct Shared {
    /// The listeners numbered up to this one are frozen.
    frozen_upto: AtomicUsize,
    /// How many connections sent `LISTEN`; each takes the next number.
    listeners: AtomicUsize,
}

impl PgProxy {
    /// A proxy on a free loopback port forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let accept_shared = shared.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let shared = accept_shared.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        pipe(client, server, shared).await;
                    }
                });
            }
        });
        Self {
            addr,
            shared,
            accept,
        }
    }

    /// `url` (a `postgres://` URL of the test server) sent through the proxy.
    pub fn url_for(&self, url: &str) -> String {
        let mut parsed = url::Url::parse(url).unwrap();
        parsed.set_host(Some("127.0.0.1")).unwrap();
        parsed.set_port(Some(self.addr.port())).unwrap();
        parsed.to_string()
    }

    /// Every connection that has sent `LISTEN` so far passes nothing from
    /// now on, without closing; later ones work.
    pub fn freeze_listeners(&self) {
        let upto = self.shared.listeners.load(Ordering::SeqCst);
        self.shared.frozen_upto.store(upto, Ordering::SeqCst);
    }

    /// How many connections have sent `LISTEN` so far.
    pub fn listeners(&self) -> usize {
        self.shared.listeners.load(Ordering::SeqCst)
    }
}

impl Drop for PgProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn pipe(client: TcpStream, server: TcpStream, shared: Arc<Shared>) {
    // This connection's listener number; 0 until it sends `LISTEN`.
    let listening = Arc::new(AtomicUsize::new(0));
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = forward(
        client_read,
        server_write,
        shared.clone(),
        listening.clone(),
        true,
    );
    let down = forward(server_read, client_write, shared, listening, false);
    tokio::join!(up, down);
}

async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    shared: Arc<Shared>,
    listening: Arc<AtomicUsize>,
    from_client: bool,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if from_client
            && listening.load(Ordering::SeqCst) == 0
            && buf[..n]
                .windows(LISTEN_MARK.len())
                .any(|w| w == LISTEN_MARK)
        {
            let number = shared.listeners.fetch_add(1, Ordering::SeqCst) + 1;
            listening.store(number, Ordering::SeqCst);
        }
        let number = listening.load(Ordering::SeqCst);
        if number != 0 && number <= shared.frozen_upto.load(Ordering::SeqCst) {
            // Silently gone: keep both sockets open, pass nothing ever again.
            let _keep = (from, to);
            std::future::pending::<()>().await;
            return;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
