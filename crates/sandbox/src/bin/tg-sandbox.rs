//! `tg-sandbox --listen ADDR [--strict] [--send-rate N]`: a fake Telegram Bot API server.

use clap::Parser;
use tracing::info;

/// A fake Telegram Bot API on loopback, for tests and demos.
#[derive(Parser)]
#[command(name = "tg-sandbox", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: String,
    /// Refuse webhooks that Telegram itself refuses (plain HTTP, ports other
    /// than 443, 80, 88, 8443). By default the sandbox behaves like the
    /// official server's --local mode and accepts them.
    #[arg(long)]
    strict: bool,
    /// Messages one bot may send in any one second before flood control
    /// answers 429.
    #[arg(long, default_value_t = 30)]
    send_rate: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let sandbox = usher_sandbox::start(usher_sandbox::SandboxOptions {
        listen: args.listen,
        local: !args.strict,
        delivery: usher_sandbox::DeliveryOptions::default(),
        send_rate: args.send_rate,
    })
    .await?;
    info!(api_url = %sandbox.api_url(), "tg-sandbox is listening");
    tokio::signal::ctrl_c().await?;
    sandbox.stop().await;
    Ok(())
}
