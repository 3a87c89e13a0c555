//! `placeforte-desk`: the desktop core from a terminal, for support staff and tests.
//!
//! It works on the same data as the app (the same folder, the same keychain entries).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{Duration, Utc};
use clap::{Parser, Subcommand};
use placeforte_desk::keychain::DEFAULT_SERVICE;
use placeforte_desk::paths::{cache_path, data_dir, DATA_DIR_ENV};
use placeforte_desk::{
    CacheFile, DeskError, LocalData, OsKeychain, WipeReason, DEFAULT_RETENTION_DAYS,
};

#[derive(Debug, Parser)]
#[command(
    name = "placeforte-desk",
    version,
    about = "PlaceForte desktop core (support tool)"
)]
struct Cli {
    /// Data folder (default: the platform's per-user data folder).
    #[arg(long, env = DATA_DIR_ENV)]
    data_dir: Option<PathBuf>,
    /// Keychain service name the secrets are stored under.
    #[arg(long, env = "PLACEFORTE_KEYCHAIN_SERVICE", default_value = DEFAULT_SERVICE)]
    keychain_service: String,
    /// Days without a successful sync after which the cache is wiped.
    #[arg(long, default_value_t = DEFAULT_RETENTION_DAYS)]
    retention_days: i64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open the local cache (wiping it if the rules require) and say what it holds.
    Status,
    /// Delete this computer's PlaceForte data: the cache file and every keychain secret.
    Wipe {
        /// Confirm; without it nothing is deleted.
        #[arg(long)]
        yes: bool,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error [{}]: {err}", err.code());
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<(), DeskError> {
    let dir = match cli.data_dir {
        Some(dir) => dir,
        None => data_dir()?,
    };
    let local = LocalData::new(
        OsKeychain::with_service(cli.keychain_service),
        CacheFile::new(cache_path(&dir)),
        Duration::days(cli.retention_days),
    );
    match cli.command {
        Command::Status => {
            let opened = local.open(Utc::now()).await?;
            println!("cache: {}", local.file().path().display());
            if let Some(reason) = opened.wiped {
                println!("wiped: {}", wipe_code(reason));
            }
            match opened.cache.last_successful_sync().await? {
                Some(at) => println!("last successful sync: {}", at.to_rfc3339()),
                None => println!("last successful sync: never"),
            }
            opened.cache.close().await;
        }
        Command::Wipe { yes: false } => {
            println!("nothing deleted: add --yes to delete this computer's PlaceForte data");
        }
        Command::Wipe { yes: true } => {
            local.wipe(WipeReason::Requested)?;
            println!("wiped: {}", local.file().path().display());
        }
    }
    Ok(())
}

fn wipe_code(reason: WipeReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{reason:?}"))
}
