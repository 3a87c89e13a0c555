//! `placeforte-witness`: make the witness's key, serve, and read its store.
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::DateTime;
use clap::{Parser, Subcommand};
use placeforte_witness::keyfiles::{self, KEY_FILE};
use placeforte_witness::store::{WitnessStore, DATABASE_FILE};
use placeforte_witness::{app, serve, AppState, TrustedLogs, Witness};

/// PlaceForte witness: cosigns a transparency log's checkpoints (C2SP tlog-witness).
#[derive(Debug, Parser)]
#[command(name = "placeforte-witness", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make the witness's key pair in DIR (witness.key 0600, witness.vkey) and print the
    /// verifier key. Never overwrites a key.
    Init {
        /// The witness's directory (made if missing).
        #[arg(long)]
        dir: PathBuf,
        /// The witness's key name, a schema-less URL (for example witness.example.qc.ca/w1).
        #[arg(long)]
        name: String,
    },
    /// Cosign the trusted logs' checkpoints on ADDR until Ctrl-C or SIGTERM.
    Serve {
        /// The witness's directory (its key; its store witness.db is created here).
        #[arg(long)]
        dir: PathBuf,
        /// Address to listen on (plain HTTP; port 0 picks a free port).
        #[arg(long)]
        listen: SocketAddr,
        /// A file holding a log's verifier key; the key's name is the log's origin. Repeat
        /// for more logs, or for two keys of one log while it rotates.
        #[arg(long = "log-key", value_name = "FILE", required = true)]
        log_keys: Vec<PathBuf>,
    },
    /// Print the recorded refusals, oldest first.
    Refusals {
        /// The witness's directory.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Print, per log, the latest cosigned tree head.
    Status {
        /// The witness's directory.
        #[arg(long)]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Init { dir, name } => {
            let vkey = keyfiles::init(&dir, &name).map_err(|e| e.to_string())?;
            println!("{vkey}");
            Ok(())
        }
        Command::Serve {
            dir,
            listen,
            log_keys,
        } => serve_witness(&dir, listen, &log_keys).await,
        Command::Refusals { dir } => {
            let store = open_existing(&dir).await?;
            let refusals = store.refusals(None).await.map_err(|e| e.to_string())?;
            if refusals.is_empty() {
                return print_lines(std::iter::once("no refusals".to_owned()));
            }
            print_lines(
                std::iter::once(
                    "received_at\torigin\tstatus\treason\told_size\tsubmitted_size\twitness_size\trepeats"
                        .to_owned(),
                )
                .chain(refusals.iter().map(|r| {
                    format!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.received_at,
                        r.origin,
                        r.status,
                        r.reason,
                        r.old_size,
                        optional(r.submitted_size),
                        optional(r.witness_size),
                        r.repeats
                    )
                })),
            )
        }
        Command::Status { dir } => {
            let store = open_existing(&dir).await?;
            let heads = store.heads().await.map_err(|e| e.to_string())?;
            if heads.is_empty() {
                return print_lines(std::iter::once("no cosigned checkpoints".to_owned()));
            }
            print_lines(
                std::iter::once("origin\tsize\troot\tcosigned_at".to_owned()).chain(
                    heads.iter().map(|h| {
                        let when = i64::try_from(h.cosigned_at)
                            .ok()
                            .and_then(|secs| DateTime::from_timestamp(secs, 0))
                            .map_or_else(|| h.cosigned_at.to_string(), |t| t.to_rfc3339());
                        format!("{}\t{}\t{}\t{when}", h.origin, h.head.size, h.head.root)
                    }),
                ),
            )
        }
    }
}

async fn serve_witness(dir: &Path, listen: SocketAddr, log_keys: &[PathBuf]) -> Result<(), String> {
    let signer = keyfiles::load_signer(dir).map_err(|e| {
        format!(
            "{e} (placeforte-witness init --dir {} makes {KEY_FILE})",
            dir.display()
        )
    })?;
    let mut logs = TrustedLogs::default();
    for path in log_keys {
        logs.add(keyfiles::load_log_key(path).map_err(|e| e.to_string())?);
    }
    let store = WitnessStore::open(&dir.join(DATABASE_FILE), true)
        .await
        .map_err(|e| format!("cannot open the store: {e}"))?;
    tracing::info!(
        witness = signer.name(),
        logs = ?logs.origins(),
        "witness starting"
    );
    let witness = Arc::new(Witness::new(signer, logs, store.clone()));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let shutdown = shutdown_signal()?;
    // Tests and supervisors read this line for the port actually bound.
    print_lines(std::iter::once(format!("listening on {addr}")))?;
    let served = serve(listener, app(AppState { witness }), shutdown).await;
    store.close().await;
    served.map_err(|e| e.to_string())
}

async fn open_existing(dir: &Path) -> Result<WitnessStore, String> {
    let path = dir.join(DATABASE_FILE);
    WitnessStore::open(&path, false).await.map_err(|e| {
        format!(
            "cannot open {}: {e} (placeforte-witness serve creates it)",
            path.display()
        )
    })
}

fn optional(value: Option<u64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// Resolves on Ctrl-C or SIGTERM. The SIGTERM handler is installed here, before the caller
/// announces it is listening, so a supervisor's early SIGTERM is never the default (a kill).
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    Ok(async move {
        #[cfg(unix)]
        let terminated = terminate.recv();
        #[cfg(not(unix))]
        let terminated = std::future::pending::<Option<()>>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = terminated => {},
        }
        tracing::info!("shutting down");
    })
}

/// Prints lines and flushes. A reader that stops early, as `| head` does, ends the output
/// quietly instead of a panic on the broken pipe.
fn print_lines(lines: impl Iterator<Item = String>) -> Result<(), String> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = lines
        .into_iter()
        .try_for_each(|line| writeln!(out, "{line}"))
        .and_then(|()| out.flush());
    match result {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {error}"))
        }
        _ => Ok(()),
    }
}
