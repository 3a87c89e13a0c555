//! The operator's metrics: Prometheus text format on a listener of its own.
//!
//! Counters only, with ids of nothing: requests by route and status class, refusals by error
//! code, alerts raised by kind, webhook deliveries and failures, TLS handshake and enrolment
//! refusals. The registry is process-wide so that any module (the TLS listener, enrolment)
//! counts with one call ([`handshake_refused`], [`enrolment_refused`]) without threading a
//! handle through. [`serve`] answers `GET /metrics` on plain HTTP: bind it to the operator's
//! network or 127.0.0.1, never beside the mTLS API (which has no route for it).

use std::future::Future;
use std::io;
use std::sync::LazyLock;

use axum::extract::{MatchedPath, Request};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

/// The path the metrics listener serves.
pub const METRICS_PATH: &str = "/metrics";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status_class: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    refusals: Family<CodeLabels, Counter>,
    alerts: Family<KindLabels, Counter>,
    deliveries: Counter,
    delivery_failures: Counter,
    handshake_refusals: Counter,
    connection_refusals: Family<ReasonLabels, Counter>,
    enrolment_refusals: Family<ReasonLabels, Counter>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("placeforte");
    let requests = Family::<RequestLabels, Counter>::default();
    registry.register(
        "requests",
        "API requests answered, by route and status class",
        requests.clone(),
    );
    let refusals = Family::<CodeLabels, Counter>::default();
    registry.register(
        "refusals",
        "API requests refused with a 4xx, by error code",
        refusals.clone(),
    );
    let alerts = Family::<KindLabels, Counter>::default();
    registry.register("alerts_raised", "Alerts raised, by kind", alerts.clone());
    let deliveries = Counter::default();
    registry.register(
        "webhook_deliveries",
        "Alerts the webhook accepted (2xx)",
        deliveries.clone(),
    );
    let delivery_failures = Counter::default();
    registry.register(
        "webhook_failures",
        "Webhook attempts that failed (to be retried)",
        delivery_failures.clone(),
    );
    let handshake_refusals = Counter::default();
    registry.register(
        "tls_handshake_refusals",
        "TLS handshakes refused or failed",
        handshake_refusals.clone(),
    );
    let connection_refusals = Family::<ReasonLabels, Counter>::default();
    registry.register(
        "connection_refusals",
        "Connections closed on accept because a cap was reached, by cap",
        connection_refusals.clone(),
    );
    let enrolment_refusals = Family::<ReasonLabels, Counter>::default();
    registry.register(
        "enrolment_refusals",
        "Enrolment attempts refused, by reason",
        enrolment_refusals.clone(),
    );
    Metrics {
        registry,
        requests,
        refusals,
        alerts,
        deliveries,
        delivery_failures,
        handshake_refusals,
        connection_refusals,
        enrolment_refusals,
    }
});

/// Counts an alert raised (by [`crate::alerts::raise`]).
pub fn alert_raised(kind: &str) {
    METRICS
        .alerts
        .get_or_create(&KindLabels {
            kind: kind.to_owned(),
        })
        .inc();
}

/// Counts a 4xx answer by its stable error code (by [`crate::ApiFailure`]).
pub fn request_refused(code: &str) {
    METRICS
        .refusals
        .get_or_create(&CodeLabels {
            code: code.to_owned(),
        })
        .inc();
}

/// Counts an alert the webhook accepted.
pub fn webhook_delivered() {
    METRICS.deliveries.inc();
}

/// Counts a failed webhook attempt.
pub fn webhook_failed() {
    METRICS.delivery_failures.inc();
}

/// Counts a TLS handshake the listener refused (no or bad certificate, timeout).
pub fn handshake_refused() {
    METRICS.handshake_refusals.inc();
}

/// Counts a connection closed on accept; `reason` names the cap (`too_many_open`,
/// `too_many_handshakes`).
pub fn connection_refused(reason: &str) {
    METRICS
        .connection_refusals
        .get_or_create(&ReasonLabels {
            reason: reason.to_owned(),
        })
        .inc();
}

/// Counts a refused enrolment; `reason` is a stable code (`enrolment_refused`, `csr_invalid`, `too_many_attempts`).
pub fn enrolment_refused(reason: &str) {
    METRICS
        .enrolment_refusals
        .get_or_create(&ReasonLabels {
            reason: reason.to_owned(),
        })
        .inc();
}

/// Middleware of the API and enrolment routers: counts each answer by its route template
/// (never the concrete path, which holds ids) and status class.
pub async fn count_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status_class = format!("{}xx", response.status().as_u16() / 100);
    METRICS
        .requests
        .get_or_create(&RequestLabels {
            route,
            status_class,
        })
        .inc();
    response
}

/// Every counter, in the Prometheus text format.
pub fn render() -> String {
    let mut text = String::new();
    if let Err(error) = encode(&mut text, &METRICS.registry) {
        tracing::error!(%error, "metrics could not be encoded");
    }
    text
}

async fn scrape() -> impl IntoResponse {
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        render(),
    )
}

/// The metrics listener's router: `GET /metrics` and nothing else.
pub fn metrics_app() -> Router {
    Router::new().route(METRICS_PATH, get(scrape))
}

/// Serves [`metrics_app`] on plain HTTP until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, metrics_app())
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_in_the_prometheus_text_format() {
        alert_raised("unit_test_kind");
        handshake_refused();
        let text = render();
        assert!(
            text.contains("placeforte_alerts_raised_total{kind=\"unit_test_kind\"}"),
            "{text}"
        );
        assert!(text.contains("placeforte_tls_handshake_refusals_total"));
    }
}
