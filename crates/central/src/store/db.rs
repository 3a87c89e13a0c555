//! One query, either backend: the thin layer that lets each SQL statement be written once.
//!
//! A [`Query`] holds the SQL text (`$1` placeholders, which both backends accept) and its bound
//! values (a multi-row insert gets its placeholders from [`insert_rows`]); it is built before
//! it knows its backend and runs on whichever [`Exec`] it is given: a pool or an open
//! transaction, on SQLite or PostgreSQL. Values keep their native types on
//! each backend (UUIDs, timestamps, dates), unlike sqlx's `Any` driver, which knows only
//! numbers, text and bytes. A [`Row`] decodes a column into any type both backends decode.

use std::borrow::Cow;
use std::sync::Arc;

use placeforte_translog::checkpoint::LogSigner;

use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgConnection, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqliteRow};
use sqlx::{
    Arguments as _, ColumnIndex, Decode, Encode, PgPool, Postgres, Row as _, Sqlite, SqlitePool,
    Transaction, Type,
};

/// A backend's pool, borrowed from its store.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pool<'a> {
    Sqlite(&'a SqlitePool),
    Postgres(&'a PgPool),
}

/// A store's pool and the audit log key its appends sign the tree head with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Db<'a> {
    pub(crate) pool: Pool<'a>,
    pub(crate) log: Option<&'a Arc<LogSigner>>,
}

impl Db<'_> {
    pub(crate) async fn begin(self) -> Result<Tx, sqlx::Error> {
        let connection = match self.pool {
            Pool::Sqlite(pool) => TxConnection::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => TxConnection::Postgres(pool.begin().await?),
        };
        Ok(Tx {
            connection,
            log: self.log.cloned(),
        })
    }
}

/// An open transaction on either backend; dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub(crate) struct Tx {
    connection: TxConnection,
    /// The audit log key, for the entries appended in this transaction.
    pub(crate) log: Option<Arc<LogSigner>>,
}

#[derive(Debug)]
enum TxConnection {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self.connection {
            TxConnection::Sqlite(tx) => tx.commit().await,
            TxConnection::Postgres(tx) => tx.commit().await,
        }
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.connection {
            TxConnection::Sqlite(tx) => tx.rollback().await,
            TxConnection::Postgres(tx) => tx.rollback().await,
        }
    }
}

/// Where a query runs: a pool (one statement on its own) or a transaction's connection.
#[derive(Debug)]
pub(crate) enum Exec<'a> {
    SqlitePool(&'a SqlitePool),
    SqliteConnection(&'a mut SqliteConnection),
    PostgresPool(&'a PgPool),
    PostgresConnection(&'a mut PgConnection),
}

impl<'a> From<Db<'a>> for Exec<'a> {
    fn from(db: Db<'a>) -> Exec<'a> {
        match db.pool {
            Pool::Sqlite(pool) => Exec::SqlitePool(pool),
            Pool::Postgres(pool) => Exec::PostgresPool(pool),
        }
    }
}

impl<'a> From<&'a mut Tx> for Exec<'a> {
    fn from(tx: &'a mut Tx) -> Exec<'a> {
        match &mut tx.connection {
            TxConnection::Sqlite(tx) => Exec::SqliteConnection(tx),
            TxConnection::Postgres(tx) => Exec::PostgresConnection(tx),
        }
    }
}

/// A value both backends can bind.
pub(crate) trait Value<'q>:
    'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>
{
}

impl<'q, T> Value<'q> for T where
    T: 'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>
{
}

/// A column type both backends can decode.
pub(crate) trait Column:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

impl<T> Column for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// A bound value, added to the backend's arguments once the query knows where it runs.
trait Param<'q>: Send {
    fn add_to_sqlite(
        self: Box<Self>,
        arguments: &mut SqliteArguments<'q>,
    ) -> Result<(), BoxDynError>;
    fn add_to_postgres(self: Box<Self>, arguments: &mut PgArguments) -> Result<(), BoxDynError>;
}

impl<'q, T: Value<'q>> Param<'q> for T {
    fn add_to_sqlite(
        self: Box<Self>,
        arguments: &mut SqliteArguments<'q>,
    ) -> Result<(), BoxDynError> {
        arguments.add(*self)
    }

    fn add_to_postgres(self: Box<Self>, arguments: &mut PgArguments) -> Result<(), BoxDynError> {
        arguments.add(*self)
    }
}

/// One SQL statement and its values.
pub(crate) struct Query<'q> {
    sql: Sql<'q>,
    params: Vec<Box<dyn Param<'q> + 'q>>,
}

#[derive(Debug)]
enum Sql<'q> {
    Text(&'q str),
    /// `INSERT … VALUES` with `rows` rows of `columns` placeholders, written when the backend
    /// is known: SQLite numbers named placeholders by a linear search per placeholder, which
    /// made an 18,000-value statement quadratic, so it gets anonymous `?` ones.
    Rows {
        head: &'q str,
        rows: usize,
        columns: usize,
    },
}

impl Sql<'_> {
    fn text(&self, numbered: bool) -> Cow<'_, str> {
        let (head, rows, columns) = match *self {
            Sql::Text(text) => return Cow::Borrowed(text),
            Sql::Rows {
                head,
                rows,
                columns,
            } => (head, rows, columns),
        };
        let mut sql = String::with_capacity(head.len() + 8 + rows * columns * 8);
        sql.push_str(head);
        sql.push_str(" VALUES ");
        let mut n = 0usize;
        for row in 0..rows {
            if row > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for column in 0..columns {
                if column > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                if numbered {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                } else {
                    sql.push('?');
                }
            }
            sql.push(')');
        }
        Cow::Owned(sql)
    }
}

impl std::fmt::Debug for Query<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The values may be personal data: only the statement and how many values it has.
        f.debug_struct("Query")
            .field("sql", &self.sql)
            .field("params", &self.params.len())
            .finish()
    }
}

/// A statement with a fixed text.
pub(crate) fn query(sql: &str) -> Query<'_> {
    Query {
        sql: Sql::Text(sql),
        params: Vec::new(),
    }
}

/// A multi-row `INSERT`: `head` (`INSERT INTO t (a, b)`) followed by placeholders for `rows`
/// rows of `columns` values, to be bound row by row with [`Query::push`].
pub(crate) fn insert_rows(head: &str, rows: usize, columns: usize) -> Query<'_> {
    Query {
        sql: Sql::Rows {
            head,
            rows,
            columns,
        },
        params: Vec::with_capacity(rows * columns),
    }
}

impl<'q> Query<'q> {
    /// Binds the next placeholder.
    pub(crate) fn bind<T: Value<'q>>(mut self, value: T) -> Query<'q> {
        self.push(value);
        self
    }

    /// Binds the next placeholder, in a loop.
    pub(crate) fn push<T: Value<'q>>(&mut self, value: T) {
        self.params.push(Box::new(value));
    }

    fn sqlite_arguments(
        params: Vec<Box<dyn Param<'q> + 'q>>,
    ) -> Result<SqliteArguments<'q>, sqlx::Error> {
        let mut arguments = SqliteArguments::default();
        for param in params {
            param
                .add_to_sqlite(&mut arguments)
                .map_err(sqlx::Error::Encode)?;
        }
        Ok(arguments)
    }

    fn postgres_arguments(
        params: Vec<Box<dyn Param<'q> + 'q>>,
    ) -> Result<PgArguments, sqlx::Error> {
        let mut arguments = PgArguments::default();
        for param in params {
            param
                .add_to_postgres(&mut arguments)
                .map_err(sqlx::Error::Encode)?;
        }
        Ok(arguments)
    }

    /// Runs the statement; the number of rows it changed.
    pub(crate) async fn execute(self, exec: impl Into<Exec<'_>>) -> Result<u64, sqlx::Error> {
        let Query { sql, params } = self;
        Ok(match exec.into() {
            Exec::SqlitePool(pool) => {
                let sql = sql.text(false);
                let arguments = Self::sqlite_arguments(params)?;
                sqlx::query_with(&sql, arguments)
                    .execute(pool)
                    .await?
                    .rows_affected()
            }
            Exec::SqliteConnection(connection) => {
                let sql = sql.text(false);
                let arguments = Self::sqlite_arguments(params)?;
                sqlx::query_with(&sql, arguments)
                    .execute(connection)
                    .await?
                    .rows_affected()
            }
            Exec::PostgresPool(pool) => {
                let sql = sql.text(true);
                let arguments = Self::postgres_arguments(params)?;
                sqlx::query_with(&sql, arguments)
                    .execute(pool)
                    .await?
                    .rows_affected()
            }
            Exec::PostgresConnection(connection) => {
                let sql = sql.text(true);
                let arguments = Self::postgres_arguments(params)?;
                sqlx::query_with(&sql, arguments)
                    .execute(connection)
                    .await?
                    .rows_affected()
            }
        })
    }

    /// Every row of the result.
    pub(crate) async fn fetch_all(
        self,
        exec: impl Into<Exec<'_>>,
    ) -> Result<Vec<Row>, sqlx::Error> {
        let Query { sql, params } = self;
        Ok(match exec.into() {
            Exec::SqlitePool(pool) => {
                let sql = sql.text(false);
                let arguments = Self::sqlite_arguments(params)?;
                let rows = sqlx::query_with(&sql, arguments).fetch_all(pool).await?;
                rows.into_iter().map(Row::Sqlite).collect()
            }
            Exec::SqliteConnection(connection) => {
                let sql = sql.text(false);
                let arguments = Self::sqlite_arguments(params)?;
                let rows = sqlx::query_with(&sql, arguments)
                    .fetch_all(connection)
                    .await?;
                rows.into_iter().map(Row::Sqlite).collect()
            }
            Exec::PostgresPool(pool) => {
                let sql = sql.text(true);
                let arguments = Self::postgres_arguments(params)?;
                let rows = sqlx::query_with(&sql, arguments).fetch_all(pool).await?;
                rows.into_iter().map(Row::Postgres).collect()
            }
            Exec::PostgresConnection(connection) => {
                let sql = sql.text(true);
                let arguments = Self::postgres_arguments(params)?;
                let rows = sqlx::query_with(&sql, arguments)
                    .fetch_all(connection)
                    .await?;
                rows.into_iter().map(Row::Postgres).collect()
            }
        })
    }

    /// The first row of the result, if there is one.
    pub(crate) async fn fetch_optional(
        self,
        exec: impl Into<Exec<'_>>,
    ) -> Result<Option<Row>, sqlx::Error> {
        let Query { sql, params } = self;
        Ok(match exec.into() {
            Exec::SqlitePool(pool) => {
                let sql = sql.text(false);
                let arguments = Self::sqlite_arguments(params)?;
                let row = sqlx::query_with(&sql, arguments)
                    .fetch_optional(pool)
                    .await?;
                row.map(Row::Sqlite)
            }
            Exec::SqliteConnection(connection) => {
                let sql = sql.text(false);
                let arguments = Self::sqlite_arguments(params)?;
                let row = sqlx::query_with(&sql, arguments)
                    .fetch_optional(connection)
                    .await?;
                row.map(Row::Sqlite)
            }
            Exec::PostgresPool(pool) => {
                let sql = sql.text(true);
                let arguments = Self::postgres_arguments(params)?;
                let row = sqlx::query_with(&sql, arguments)
                    .fetch_optional(pool)
                    .await?;
                row.map(Row::Postgres)
            }
            Exec::PostgresConnection(connection) => {
                let sql = sql.text(true);
                let arguments = Self::postgres_arguments(params)?;
                let row = sqlx::query_with(&sql, arguments)
                    .fetch_optional(connection)
                    .await?;
                row.map(Row::Postgres)
            }
        })
    }

    /// The first row of the result, which must exist.
    pub(crate) async fn fetch_one(self, exec: impl Into<Exec<'_>>) -> Result<Row, sqlx::Error> {
        self.fetch_optional(exec)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// The first column of the first row, which must exist.
    pub(crate) async fn fetch_scalar<T: Column>(
        self,
        exec: impl Into<Exec<'_>>,
    ) -> Result<T, sqlx::Error> {
        self.fetch_one(exec).await?.try_get(0)
    }
}

/// A result row of either backend.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Rows hold personal data: never their values.
        f.write_str("Row")
    }
}

impl Row {
    /// The column at `index` (a name or a position), decoded.
    pub(crate) fn try_get<T, I>(&self, index: I) -> Result<T, sqlx::Error>
    where
        T: Column,
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow>,
    {
        match self {
            Row::Sqlite(row) => row.try_get(index),
            Row::Postgres(row) => row.try_get(index),
        }
    }
}
