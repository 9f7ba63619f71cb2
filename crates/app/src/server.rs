//! Wiring the adapters together and starting the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use secrecy::ExposeSecret;
use tracing::info;
use url::Url;
use usher_domain::postbacks::PostbackRetry;
use usher_domain::retention::Retention;
use usher_domain::services::{
    AccountService, BotService, CampaignService, IntakeService, LeadDecisionService,
    ProfileService, RetentionService, SubscriberService,
};
use usher_http::health::Health;
use usher_http::metrics::Metrics;
use usher_http::{AppState, RequestLog};

use crate::metrics::ServerMetrics;
use crate::readiness::DatabaseReadiness;
use usher_store::{BatchSettings, PgStore, PoolSettings, TokenCipher};
use usher_telegram::{GatewaySettings, TeloxideGateway};

use crate::postback_client::PostbackClient;
use crate::postback_sender::{PostbackSender, PostbackSenderSettings};
use crate::settings::Settings;
use crate::token_key;
use crate::welcome_sender::{WelcomeSender, WelcomeSenderSettings};
use usher_domain::subscribers::WelcomeRetry;

/// A server that is accepting connections.
pub struct Running {
    /// The address it listens on (the real port when 0 was asked).
    pub addr: SocketAddr,
    /// Stops the server (gracefully or not).
    pub handle: ServerHandle,
    /// Ends when the server has stopped.
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// A database pool of `settings` with at most `max_size` connections,
/// its connections named `name` in `pg_stat_activity` unless the URL names
/// them already.
fn pool(settings: &Settings, max_size: usize, name: &str) -> anyhow::Result<usher_store::DbPool> {
    pool_at(
        settings.database.url.expose_secret(),
        settings,
        max_size,
        name,
    )
}

/// A pool of `settings`' sizes and timeouts over `url`.
fn pool_at(
    url: &str,
    settings: &Settings,
    max_size: usize,
    name: &str,
) -> anyhow::Result<usher_store::DbPool> {
    usher_store::database::pool(
        &usher_store::database::with_application_name(url, name),
        &PoolSettings {
            max_size,
            timeout: Duration::from_millis(settings.database.timeout_ms),
        },
    )
}

/// The store of `settings` over its main pool (`database.pool_size`).
pub fn store(settings: &Settings, cipher: TokenCipher) -> anyhow::Result<PgStore> {
    Ok(PgStore::new(
        pool(settings, settings.database.pool_size, "usher")?,
        cipher,
    ))
}

/// The `retention.*` settings, checked.
pub fn retention(settings: &Settings) -> anyhow::Result<Retention> {
    Ok(Retention::new(
        settings.retention.raw_update_days,
        settings.retention.member_event_months,
    )?)
}

/// The outbox workers of an instance, not started.
pub struct Workers {
    /// Sends welcome messages.
    pub welcomes: WelcomeSender,
    /// Sends postbacks.
    pub postbacks: PostbackSender,
    /// Keeps the time partitions, and the interval of its rounds.
    pub upkeep: (RetentionService, Duration),
}

impl Workers {
    /// Starts them on the current runtime.
    pub fn spawn(self) {
        tokio::spawn(self.welcomes.run());
        tokio::spawn(self.postbacks.run());
        let (retention, interval) = self.upkeep;
        tokio::spawn(crate::upkeep::run(retention, interval));
    }
}

/// The domain services over the real adapters, the readiness check, the
/// metrics, and the outbox workers (not started).
pub fn wire(
    settings: &Settings,
    cipher: TokenCipher,
) -> anyhow::Result<(AppState, Health, Metrics, Workers)> {
    let mut store = store(settings, cipher)?
        .with_outbox_listener(&usher_store::database::with_application_name(
            settings.database.url.expose_secret(),
            "usher-listen",
        ))
        .with_outbox_pool(pool_at(
            &usher_store::database::with_custom_plans(settings.database.url.expose_secret()),
            settings,
            settings.database.outbox_pool_size.max(1),
            "usher-outbox",
        )?);
    if settings.intake.batch_max > 0 {
        store = store.with_group_commit(&BatchSettings {
            max_batch: settings.intake.batch_max,
            workers: settings.intake.batch_workers,
            max_held: settings.intake.max_held,
        });
    }
    let health = Health(Arc::new(DatabaseReadiness {
        pool: store.pool().clone(),
    }));
    let metrics = Metrics(Arc::new(ServerMetrics::new(
        crate::metrics::handle()?,
        store.clone(),
    )));
    let store = Arc::new(store);
    let api_url = Url::parse(&settings.telegram.api_url).context("telegram.api_url")?;
    let gateway = Arc::new(TeloxideGateway::new(GatewaySettings {
        api_url,
        timeout: settings.telegram_timeout(),
    })?);
    Url::parse(&settings.http.public_url).context("http.public_url")?;
    let sender = WelcomeSender::new(
        store.clone(),
        gateway.clone(),
        WelcomeSenderSettings {
            rate: settings.telegram.send_rate_per_bot,
            retry: WelcomeRetry {
                max_age: Duration::from_secs(settings.welcome.max_age_s),
                base: Duration::from_millis(settings.welcome.retry_base_ms),
            },
            send_timeout: settings.telegram_timeout(),
            max_in_flight: settings.welcome.max_in_flight,
        },
    );
    let pb = &settings.postbacks;
    let postbacks = PostbackSender::new(
        store.clone(),
        PostbackClient::new(Duration::from_millis(pb.timeout_ms), pb.allow_private)?,
        PostbackSenderSettings {
            retry: PostbackRetry {
                base: Duration::from_millis(pb.retry_base_ms),
                max: Duration::from_millis(pb.retry_max_ms),
                give_up: Duration::from_secs(pb.give_up_s),
            },
            per_target: pb.per_target,
            max_in_flight: pb.max_in_flight,
            per_account: pb.per_account,
            timeout: Duration::from_millis(pb.timeout_ms),
        },
    );
    let upkeep = (
        RetentionService::new(store.clone(), retention(settings)?),
        Duration::from_secs(settings.retention.upkeep_interval_s),
    );
    let intake = IntakeService::new(store.clone());
    // An add makes at most two Telegram calls while it holds the claim
    // (setWebhook, and deleteWebhook to undo it).
    let claim_ttl = 2 * settings.telegram_timeout() + Duration::from_secs(10);
    let bots = BotService::new(
        store.clone(),
        store.clone(),
        gateway.clone(),
        &settings.http.public_url,
    )
    .with_webhook_gate(intake.webhook_gate())
    .with_claim_ttl(claim_ttl);
    let state = AppState {
        accounts: AccountService::new(store.clone()),
        intake,
        campaigns: CampaignService::new(store.clone(), store.clone(), gateway, pb.allow_private),
        profile: ProfileService::new(store.clone(), pb.allow_private),
        public_url: settings.http.public_url.trim_end_matches('/').to_owned(),
        decisions: LeadDecisionService::new(store.clone()),
        subscribers: SubscriberService::new(store),
        bots,
    };
    let workers = Workers {
        welcomes: sender,
        postbacks,
        upkeep,
    };
    Ok((state, health, metrics, workers))
}

/// Checks that the database has every migration of this build (it never
/// migrates: that is `usher migrate`), then starts serving on `http.listen`, or on
/// `listener` when one is given (tests bind first to know the port). With
/// `handle_signals`, SIGINT/SIGTERM stop it gracefully.
pub async fn start_with(
    settings: &Settings,
    listener: Option<std::net::TcpListener>,
    handle_signals: bool,
) -> anyhow::Result<Running> {
    usher_store::migrate::require_current(settings.database.url.expose_secret()).await?;
    let cipher = token_key::load_or_create(&settings.secrets)?;
    usher_store::verify_token_key(settings.database.url.expose_secret(), &cipher).await?;
    let (state, health, metrics, workers) = wire(settings, cipher)?;
    workers.spawn();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(web::Data::new(health.clone()))
            .app_data(web::Data::new(metrics.clone()))
            .wrap(RequestLog)
            .configure(usher_http::configure)
    })
    .shutdown_timeout(settings.http.shutdown_timeout_s);
    let mut server = match listener {
        Some(listener) => server.listen(listener)?,
        None => server
            .bind(&settings.http.listen)
            .with_context(|| format!("listening on {}", settings.http.listen))?,
    };
    if settings.http.workers > 0 {
        server = server.workers(settings.http.workers);
    }
    if !handle_signals {
        server = server.disable_signals();
    }
    let addr = *server
        .addrs()
        .first()
        .context("the server listens on no address")?;
    let server = server.run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    info!(%addr, "usher is listening");
    Ok(Running { addr, handle, task })
}

/// [`start_with`] on an already bound listener, without signal handling,
/// for tests.
pub async fn start(
    settings: &Settings,
    listener: std::net::TcpListener,
) -> anyhow::Result<Running> {
    start_with(settings, Some(listener), false).await
}
