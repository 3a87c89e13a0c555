//! OpenSSL, SQLCipher's crypto provider, is never torn down under a live cache connection.
//!
//! On its first use OpenSSL (1.1 and 3.x) registers an `atexit` handler, `OPENSSL_cleanup`,
//! which frees its providers, its ciphers and its per-thread state when the program exits.
//! sqlx runs each SQLite connection on a worker thread of its own, and a program of ours can
//! reach `exit()` while one of them is still closing a SQLCipher connection (SQLCipher frees
//! its cipher contexts through OpenSSL) or ending (OpenSSL frees the thread's state): a pool
//! dropped rather than awaited, the end of a test harness's `main`, `std::process::exit`,
//! Tauri's own exit. The handler then frees what that thread is using: "double free or
//! corruption", SIGSEGV or SIGABRT after the work was done (9 of 16,000 test processes here,
//! docs/stress.md), and on a director's computer a crash report at every unlucky exit.
//!
//! The remedy chosen is OpenSSL's own: initialise it, before its first use, with
//! `OPENSSL_INIT_NO_ATEXIT`, which `openssl_sys::init` passes (OpenSSL ≥ 1.1.1b), so that no
//! teardown runs at exit; the operating system reclaims the memory, as it does for the rest of
//! the process. The alternative, awaiting every pool and every worker thread on every exit
//! path, cannot be made complete: libtest's `main`, panics and `process::exit` are not ours to
//! hook, and even an awaited `SqlitePool::close` returns before its worker threads have
//! finished exiting. Nothing is lost by skipping the cleanup: it only frees memory, and the
//! cache's durability rests on SQLite's own commits, which are done before `close` returns.
//!
//! The cache calls [`keep_openssl_until_exit`] before it opens any connection; every keyed
//! SQLCipher connection of ours goes through it (`scripts/stress.sh` measures the result).

/// Initialises OpenSSL without its exit-time teardown. Idempotent and cheap after the first
/// call; it must come before OpenSSL's first use in the process, which is the first keyed
/// cache connection (nothing else of ours uses OpenSSL: TLS is rustls with ring).
pub fn keep_openssl_until_exit() {
    openssl_sys::init();
}
