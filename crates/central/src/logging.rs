//! The service's log lines: human-readable text by default, or one JSON object per line
//! (`serve --log-format json`) for a log collector.
//!
//! Whatever the format, the lines carry ids, codes and counts, never personal data: the call
//! sites log opaque ids (device, daycare, vacancy, registration), and `tests/logs.rs` drives a
//! served instance through enrolment, sync and a reveal and looks for the seeded families'
//! names, phones and e-mail addresses in every line.

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields` (with `message`),
    /// and the spans.
    Json,
}

/// Installs the process's subscriber, writing to standard error; the level comes from
/// `RUST_LOG` (default `info`). Call once, at start-up.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        // No ANSI colours in a machine-read line.
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}
