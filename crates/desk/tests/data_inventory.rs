//! `docs/data-inventory.md` against the desktop cache: every table and column of a real cache
//! (created and migrated by `CacheFile::open`, encrypted, read back with PRAGMA `table_info`)
//! must have its line, and a column added without one fails.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use placeforte_desk::{CacheFile, CacheKey};
use placeforte_testkit::inventory::{differences, INVENTORY_PATH};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection as _, Row as _, SqliteConnection};

fn inventory() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(INVENTORY_PATH);
    std::fs::read_to_string(&path).unwrap()
}

/// A real cache, created and migrated the way the app does, and a second connection to it
/// with its key.
async fn real_cache() -> (tempfile::TempDir, SqliteConnection) {
    let dir = tempfile::tempdir().unwrap();
    let file = CacheFile::new(dir.path().join("cache.db"));
    let key = CacheKey::generate().unwrap();
    file.open(&key).await.unwrap().close().await;
    let options = SqliteConnectOptions::new()
        .filename(file.path())
        .pragma("key", key.sqlcipher_pragma_value());
    let connection = SqliteConnection::connect_with(&options).await.unwrap();
    (dir, connection)
}

async fn columns(connection: &mut SqliteConnection) -> BTreeSet<String> {
    let tables: Vec<String> = sqlx::query_scalar(concat!(
        "SELECT name FROM sqlite_master WHERE type = 'table'",
        " AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'"
    ))
    .fetch_all(&mut *connection)
    .await
    .unwrap();
    let mut out = BTreeSet::new();
    for table in tables {
        for row in sqlx::query(&format!("PRAGMA table_info(\"{table}\")"))
            .fetch_all(&mut *connection)
            .await
            .unwrap()
        {
            let name: String = row.get("name");
            out.insert(format!("{table}.{name}"));
        }
    }
    out
}

#[tokio::test]
async fn every_cache_column_has_its_line() {
    let (_dir, mut connection) = real_cache().await;
    let found = differences(&inventory(), "cache", &columns(&mut connection).await);
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

#[tokio::test]
async fn a_cache_column_added_without_its_line_fails() {
    let (_dir, mut connection) = real_cache().await;
    sqlx::query("ALTER TABLE referral ADD COLUMN parent_phone TEXT")
        .execute(&mut connection)
        .await
        .unwrap();
    let found = differences(&inventory(), "cache", &columns(&mut connection).await);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("`referral.parent_phone` exists but has no line"));
}
