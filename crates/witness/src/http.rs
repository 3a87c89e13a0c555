//! The HTTP interface: `POST /add-checkpoint` (C2SP tlog-witness), and two read-only
//! extensions for monitors, `GET /checkpoint` and `GET /refusals`.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use placeforte_translog::witness_protocol::{conflict_body, MAX_BODY_BYTES, SIZE_CONTENT_TYPE};
use serde::Deserialize;
use tokio::net::TcpListener;

use crate::rules::Refusal;
use crate::witness::{status_of, AddError, Witness};

/// How long a client may take to send a request's headers (slow clients hold a connection).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request may take, body included, before it is answered 408. A cancelled
/// `add-checkpoint` rolls its transaction back: nothing is cosigned that is not persisted.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The content type of text answers.
const TEXT: &str = "text/plain; charset=utf-8";

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The witness.
    pub witness: Arc<Witness>,
}

/// The witness's router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/checkpoint", get(checkpoint))
        .route("/refusals", get(refusals))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(time_limit))
        .with_state(state)
}

async fn time_limit(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => text(StatusCode::REQUEST_TIMEOUT, "request timed out\n"),
    }
}

async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "not found\n")
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(TEXT))],
        body.into(),
    )
        .into_response()
}

impl IntoResponse for AddError {
    fn into_response(self) -> Response {
        match self {
            AddError::TooLarge => text(StatusCode::PAYLOAD_TOO_LARGE, format!("{self}\n")),
            AddError::Malformed(_) => text(StatusCode::BAD_REQUEST, format!("{self}\n")),
            AddError::UnknownOrigin => text(StatusCode::NOT_FOUND, format!("{self}\n")),
            AddError::BadSignature => text(StatusCode::FORBIDDEN, format!("{self}\n")),
            AddError::Refused(Refusal::Conflict { witness_size, .. }) => (
                StatusCode::CONFLICT,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(SIZE_CONTENT_TYPE),
                )],
                conflict_body(witness_size),
            )
                .into_response(),
            AddError::Refused(refusal) => text(
                StatusCode::from_u16(status_of(refusal))
                    .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
                format!("{self}\n"),
            ),
            AddError::Store(_) | AddError::Cosigning(_) => {
                tracing::error!(error = %self, "add-checkpoint failed");
                text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
            }
        }
    }
}

async fn add_checkpoint(State(state): State<AppState>, body: Bytes) -> Response {
    let now = SystemTime::now();
    let unix = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let received_at = chrono::DateTime::<chrono::Utc>::from(now)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    match state
        .witness
        .add_checkpoint(&body, unix, &received_at)
        .await
    {
        Ok(cosignature) => text(StatusCode::OK, cosignature),
        Err(error) => error.into_response(),
    }
}

/// `?origin=<origin>`.
#[derive(Debug, Deserialize)]
struct OriginQuery {
    origin: Option<String>,
}

/// Extension: the latest cosigned checkpoint of a log, with the log's signature and this
/// witness's cosignature.
async fn checkpoint(State(state): State<AppState>, Query(query): Query<OriginQuery>) -> Response {
    let Some(origin) = query.origin else {
        return text(StatusCode::BAD_REQUEST, "origin is required\n");
    };
    match state.witness.store().head(&origin).await {
        Ok(Some(head)) => text(StatusCode::OK, head.note),
        Ok(None) => text(StatusCode::NOT_FOUND, "no cosigned checkpoint\n"),
        Err(error) => {
            tracing::error!(%error, "reading a cosigned head failed");
            text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
        }
    }
}

/// Extension: the recorded refusals (of one origin, or all), as JSON.
async fn refusals(State(state): State<AppState>, Query(query): Query<OriginQuery>) -> Response {
    match state
        .witness
        .store()
        .refusals(query.origin.as_deref())
        .await
    {
        Ok(refusals) => Json(refusals).into_response(),
        Err(error) => {
            tracing::error!(%error, "reading refusals failed");
            text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish.
///
/// hyper's HTTP/1 server is driven directly, with a timer, for [`HEADER_READ_TIMEOUT`]
/// (`axum::serve` gives hyper no timer), as the central service does.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let served =
            graceful.watch(http.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = served.await {
                tracing::debug!(%remote, %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
