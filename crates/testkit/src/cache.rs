//! The encrypted cache changed from outside the desktop core, the way a crash leaves it: a
//! second SQLCipher connection with the key from the keychain, so the desk needs no hidden
//! test-only method.

use placeforte_desk::{CacheKey, LocalData, SecretName, SecretStore};
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
    let stored = data
        .secrets()
        .get(SecretName::CacheKey)
        .unwrap()
        .expect("the cache has a key in the keychain");
    let key = CacheKey::from_bytes(&stored).unwrap();
    let options = SqliteConnectOptions::new()
        .filename(data.file().path())
        .pragma("key", key.sqlcipher_pragma_value());
    SqliteConnection::connect_with(&options).await.unwrap()
}
