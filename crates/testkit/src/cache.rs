//! The encrypted cache changed from outside the desktop core, the way a crash leaves it: a
//! second SQLCipher connection with the key from the keychain, so the desk needs no hidden
//! test-only method.

use placeforte_desk::{LocalData, SecretName, SecretStore};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection as _, SqliteConnection};

/// Puts a sent outbox entry back to pending: what a crash between the service's answer and
/// marking it sent leaves.
pub async fn mark_outbox_pending<S: SecretStore>(data: &LocalData<S>, seq: i64) {
    let mut connection = open(data).await;
    sqlx::query("UPDATE outbox SET state = 'pending' WHERE seq = ?")
        .bind(seq)
        .execute(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
}

async fn open<S: SecretStore>(data: &LocalData<S>) -> SqliteConnection {
    let key = data
        .secrets()
        .get(SecretName::CacheKey)
        .unwrap()
        .expect("the cache has a key in the keychain");
    let hex: String = key.iter().map(|byte| format!("{byte:02x}")).collect();
    let options = SqliteConnectOptions::new()
        .filename(data.file().path())
        // A raw key, as the desk gives it: SQLCipher derives nothing from it.
        .pragma("key", format!("\"x'{hex}'\""));
    SqliteConnection::connect_with(&options).await.unwrap()
}
