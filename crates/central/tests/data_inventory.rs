//! `docs/data-inventory.md` against what the service really holds and sends: every column of
//! the central database (read with PRAGMA `table_info` from a freshly migrated SQLite file, and
//! the same columns on PostgreSQL when a test cluster is configured), and every field of every
//! wire type (the OpenAPI document generated from the code, the enrolment request's serde
//! fields, the invitation's parameters). A column or a field added without its line fails here.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use placeforte_central::SqliteStore;
use placeforte_protocol::device::EnrolRequest;
use placeforte_protocol::invite::EnrolmentInvite;
use placeforte_protocol::DaycareId;
use placeforte_testkit::inventory::{differences, INVENTORY_PATH};
use serde::de::{self, Visitor};
use serde::Deserialize;
use sqlx::Row as _;

fn inventory() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(INVENTORY_PATH);
    std::fs::read_to_string(&path).unwrap()
}

fn assert_matches(section: &str, actual: &BTreeSet<String>) {
    let found = differences(&inventory(), section, actual);
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

/// Every `table.column` of a SQLite database, as PRAGMA `table_info` lists them.
async fn sqlite_columns(pool: &sqlx::SqlitePool) -> BTreeSet<String> {
    let tables: Vec<String> = sqlx::query_scalar(concat!(
        "SELECT name FROM sqlite_master WHERE type = 'table'",
        " AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'"
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    let mut columns = BTreeSet::new();
    for table in tables {
        let rows = sqlx::query(&format!("PRAGMA table_info(\"{table}\")"))
            .fetch_all(pool)
            .await
            .unwrap();
        for row in rows {
            let name: String = row.get("name");
            columns.insert(format!("{table}.{name}"));
        }
    }
    columns
}

async fn migrated_central() -> (tempfile::TempDir, sqlx::SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("central.db").display());
    drop(SqliteStore::open(&url).await.unwrap());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    (dir, pool)
}

#[tokio::test]
async fn every_central_column_has_its_line() {
    let (_dir, pool) = migrated_central().await;
    assert_matches("central", &sqlite_columns(&pool).await);
}

#[tokio::test]
async fn a_central_column_added_without_its_line_fails() {
    let (_dir, pool) = migrated_central().await;
    sqlx::query("ALTER TABLE registrations ADD COLUMN nirec TEXT")
        .execute(&pool)
        .await
        .unwrap();
    let found = differences(&inventory(), "central", &sqlite_columns(&pool).await);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("`registrations.nirec` exists but has no line"));
}

#[tokio::test]
async fn postgresql_has_the_same_columns_as_sqlite() {
    let Some(url) = std::env::var("PLACEFORTE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped on PostgreSQL: PLACEFORTE_TEST_POSTGRES_URL is not set");
        return;
    };
    use sqlx::Connection as _;
    use std::str::FromStr as _;
    let schema = format!("inventory_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let options = sqlx::postgres::PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    drop(
        placeforte_central::PostgresStore::connect_with(options)
            .await
            .unwrap(),
    );
    let rows = sqlx::query(concat!(
        "SELECT table_name::text, column_name::text FROM information_schema.columns",
        " WHERE table_schema = $1 AND table_name <> '_sqlx_migrations'"
    ))
    .bind(&schema)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    let postgres: BTreeSet<String> = rows
        .iter()
        .map(|r| format!("{}.{}", r.get::<String, _>(0), r.get::<String, _>(1)))
        .collect();
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .unwrap();
    let (_dir, pool) = migrated_central().await;
    // SQLite's one-row counter stands for PostgreSQL's sequence (not a table there).
    let sqlite: BTreeSet<String> = sqlite_columns(&pool)
        .await
        .into_iter()
        .filter(|c| !c.starts_with("registration_public_number_counter."))
        .collect();
    assert_eq!(postgres, sqlite);
}

/// `Type.field` for every property of every object schema in the generated OpenAPI document
/// (the variants of a tagged enum included).
fn openapi_fields() -> BTreeSet<String> {
    let document = serde_json::to_value(placeforte_central::openapi::document_value()).unwrap();
    let mut fields = BTreeSet::new();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        let mut parts = vec![schema];
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(list) = schema[key].as_array() {
                parts.extend(list);
            }
        }
        for part in parts {
            if let Some(properties) = part["properties"].as_object() {
                for property in properties.keys() {
                    fields.insert(format!("{name}.{property}"));
                }
            }
        }
    }
    fields
}

/// A deserializer that records the field names serde asks a struct for, and reads nothing.
struct FieldProbe<'a>(&'a mut Vec<&'static str>);

#[derive(Debug)]
struct Probed;

impl std::fmt::Display for Probed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("probed")
    }
}

impl std::error::Error for Probed {}

impl de::Error for Probed {
    fn custom<T: std::fmt::Display>(_: T) -> Probed {
        Probed
    }
}

impl<'de> de::Deserializer<'de> for FieldProbe<'_> {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probed> {
        self.0.extend_from_slice(fields);
        Err(Probed)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

fn serde_fields<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<String> {
    let mut fields = Vec::new();
    assert!(T::deserialize(FieldProbe(&mut fields)).is_err());
    assert!(!fields.is_empty(), "{name} is not a plain struct");
    fields.iter().map(|f| format!("{name}.{f}")).collect()
}

/// The enrolment invitation's parameters, from the text the operator hands out.
fn invitation_fields() -> Vec<String> {
    let invite = EnrolmentInvite {
        daycare_id: DaycareId::from_uuid(uuid::Uuid::nil()),
        code: "code".to_owned(),
        enrolment_address: "central.example:8444".to_owned(),
        api_address: "central.example:8443".to_owned(),
        ca_sha256: [0; 32],
    };
    let text = invite.to_string();
    let (_, query) = text.split_once('?').unwrap();
    query
        .split('&')
        .map(|pair| format!("EnrolmentInvite.{}", pair.split('=').next().unwrap()))
        .collect()
}

fn wire_fields() -> BTreeSet<String> {
    let mut fields = openapi_fields();
    // The enrolment listener's request and the invitation are outside the API document.
    fields.extend(serde_fields::<EnrolRequest>("EnrolRequest"));
    fields.extend(invitation_fields());
    fields
}

#[test]
fn every_wire_field_has_its_line() {
    assert_matches("wire", &wire_fields());
}

#[test]
fn a_wire_field_added_without_its_line_fails() {
    let mut fields = wire_fields();
    fields.insert("ContactDetails.parent_address".to_owned());
    let found = differences(&inventory(), "wire", &fields);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("`ContactDetails.parent_address` exists but has no line"));
}
