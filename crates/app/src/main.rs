//! The `usher` binary.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use usher_app::cli::{Cli, Command};
use usher_app::{commands, settings::Settings, telemetry};

/// jemalloc, not glibc's malloc: in the mixed benchmark glibc's allocator
/// took 7% of the machine and kept the memory every peak reached (README,
/// "Performance").
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Errors carry no secrets: tokens never reach an error message.
            let _ = writeln!(std::io::stderr(), "error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::CheckConfig = cli.command {
        return commands::check_config(&cli.config_dir);
    }
    let settings = Settings::load(&cli.config_dir)?;
    telemetry::init(&settings.log)?;
    match &cli.command {
        Command::Serve { migrate } => commands::serve(&settings, *migrate).await,
        Command::Migrate => commands::migrate(&settings).await,
        Command::Upkeep { at } => commands::upkeep(&settings, *at).await,
        Command::Account(command) => commands::account(&settings, command).await,
        Command::CheckConfig => commands::check_config(&cli.config_dir),
    }
}
