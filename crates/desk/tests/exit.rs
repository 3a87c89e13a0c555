//! A program that exits while cache connections are still opening and closing must exit
//! cleanly, not crash in OpenSSL's exit-time teardown (`placeforte_desk::exit_safety`).
//!
//! The child is this test binary run again for one test: it opens and drops encrypted caches
//! on several threads without end and calls `exit` from under them. The parent runs it many
//! times and requires a clean exit every time. Without the remedy the children die with
//! SIGSEGV or SIGABRT ("double free or corruption") in a good share of the runs.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use placeforte_desk::{CacheFile, CacheKey};

/// Set in the child: the folder its caches go in.
const CHILD_DIR_ENV: &str = "PLACEFORTE_EXIT_RACE_DIR";
const CHILD_TEST: &str = "child_exits_under_busy_cache_connections";
const RUNS: usize = 50;
const BUSY_THREADS: usize = 4;

#[test]
fn a_program_exiting_under_busy_cache_connections_exits_cleanly() {
    if std::env::var_os(CHILD_DIR_ENV).is_some() {
        return;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut deaths = Vec::new();
    for run in 0..RUNS {
        let out = Command::new(&exe)
            .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR_ENV, dir.path().join(run.to_string()))
            .output()
            .expect("run the child");
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().last().unwrap_or("").to_owned();
            deaths.push(format!("run {run}: {} ({last})", out.status));
        }
    }
    assert!(
        deaths.is_empty(),
        "{} of {RUNS} programs died at exit:\n{}",
        deaths.len(),
        deaths.join("\n")
    );
}

/// The child: caches opened and dropped on `BUSY_THREADS` runtime threads, then `exit(0)`
/// from the main thread while they go on. Does nothing outside the parent's run.
#[test]
fn child_exits_under_busy_cache_connections() {
    let Some(dir) = std::env::var_os(CHILD_DIR_ENV).map(PathBuf::from) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(BUSY_THREADS)
        .enable_all()
        .build()
        .expect("runtime");
    let key = CacheKey::generate().expect("key");
    let file = CacheFile::new(dir.join("cache.sqlite"));
    drop(runtime.block_on(file.open(&key)).expect("first open"));
    for _ in 0..BUSY_THREADS {
        let (file, key) = (file.clone(), key.clone());
        runtime.spawn(async move {
            loop {
                // Dropped, not closed: its connections close on their worker threads.
                drop(file.open(&key).await.expect("open"));
            }
        });
    }
    std::thread::sleep(Duration::from_millis(300));
    std::process::exit(0);
}
