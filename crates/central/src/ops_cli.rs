//! The operator's `backup`, `restore` and `purge` commands (docs/operations.md): thin
//! wrappers over the library's [`placeforte_central::backup`] and
//! [`placeforte_central::retention`].

use std::path::Path;

use chrono::Utc;
use placeforte_central::backup;
use placeforte_central::config::Config;
use placeforte_central::retention;
use placeforte_central::store::{AnyStore, Storage};

/// `backup --to DIR`: the SQLite snapshot (PostgreSQL: `pg_dump`, see docs/operations.md), the
/// sealed keys and the manifest.
pub(crate) async fn back_up(
    config: &Config,
    store: &AnyStore,
    to: &Path,
    passphrase_file: Option<&Path>,
) -> Result<(), String> {
    let passphrase = backup::read_passphrase(passphrase_file).map_err(|e| e.to_string())?;
    let sqlite = match store {
        AnyStore::Sqlite(store) => Some(store),
        AnyStore::Postgres(_) => None,
    };
    let manifest = backup::back_up(config, sqlite, passphrase, to, Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    if manifest.database_sha256.is_some() {
        println!(
            "database snapshot: {}",
            to.join(backup::DATABASE_FILE).display()
        );
    } else {
        println!(
            "PostgreSQL: dump the database with pg_dump (docs/operations.md); only the keys are in this backup"
        );
    }
    println!(
        "keys ({}) sealed with the passphrase: {}",
        manifest.key_files.join(", "),
        to.join(backup::KEYS_FILE).display()
    );
    println!("manifest: {}", to.join(backup::MANIFEST_FILE).display());
    Ok(())
}

/// `restore --from DIR --to DATA_DIR`: into a fresh folder only.
pub(crate) fn restore(
    from: &Path,
    to: &Path,
    passphrase_file: Option<&Path>,
) -> Result<(), String> {
    let passphrase = backup::read_passphrase(passphrase_file).map_err(|e| e.to_string())?;
    let restored = backup::restore(from, to, passphrase).map_err(|e| e.to_string())?;
    for path in restored.written {
        println!("wrote {}", path.display());
    }
    println!(
        "restored; start it with PLACEFORTE_DATA_DIR={} placeforte-central serve, then run audit verify",
        to.display()
    );
    Ok(())
}

/// `purge`: one retention sweep now (`serve` runs one every hour by itself).
pub(crate) async fn purge<S: Storage>(store: &S) -> Result<(), String> {
    let purged = retention::sweep(store, Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "purged: {} referrals' notes, {} registrations' identifying data",
        purged.referrals, purged.registrations
    );
    Ok(())
}
