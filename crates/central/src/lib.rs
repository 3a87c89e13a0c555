//! PlaceForte central service: the only party that holds registrations, reached only by enrolled
//! workstations over mutual TLS.
//!
//! # Shape
//! - Two listeners. The **enrolment listener** is server-authenticated TLS and accepts nothing
//!   but `POST /v1/enrol` (a one-time code and a CSR) and the health check. The **API
//!   listener** (health, whoami, renewal, the CRL) requires a client certificate issued by the service's own device CA
//!   ([`tls::mutual_tls_config`]).
//! - Handlers get the caller as a [`DeviceIdentity`] extractor, which re-checks expiry against
//!   the service's [`Clock`] and revocation against the store on every request: a revoked device
//!   is refused on its next request, even on a connection opened before the revocation.
//! - Storage is the [`Storage`] trait, on SQLite ([`SqliteStore`]) or PostgreSQL
//!   ([`PostgresStore`]).
//! - Daycares declare vacancies (`POST /v1/vacancies`); the [`referrals`] engine refers
//!   candidates in the regulated order of `crates/domain`, a bounded number per place, in the
//!   same transaction as the audit entry that names every referral.
//! - [`app`] and [`enrolment_app`] build the routers; [`serve`] runs one on a [`TlsListener`];
//!   [`start`] binds and runs both, and [`start_with`] also the alert webhook sender
//!   ([`webhook`]) and, when configured, the plain-HTTP [`metrics`] listener.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access_document;
pub mod alerts;
pub mod audit;
pub mod backup;
pub mod ca;
pub mod clock;
pub mod config;
pub mod demand;
pub mod enrolment_code;
pub mod enrolment_limits;
pub mod error;
pub mod expiry;
pub mod identity;
mod idle;
pub mod incidents;
pub mod incidents_csv;
pub mod init;
pub mod intake;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod operator;
pub mod outcomes;
pub mod pdf_text;
pub mod permits;
pub mod referrals;
pub mod retention;
pub mod reveal_budgets;
mod routes;
pub mod secret;
pub mod seed;
pub mod state;
pub mod store;
pub mod tls;
pub mod webhook;

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use placeforte_protocol::device::{CRL_PATH, ENROL_PATH, HEALTH_PATH, RENEW_PATH, WHOAMI_PATH};
use placeforte_protocol::intake as intake_paths;
use placeforte_protocol::referrals::{
    CONTACT_PATH, DEMAND_PATH, OUTCOME_PATH, REFERRALS_PATH, VACANCIES_PATH,
};
use placeforte_protocol::MAX_REQUEST_BODY_BYTES;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::ApiFailure;
pub use identity::DeviceIdentity;
pub use routes::ApiJson;
pub use state::{AppState, Lifetimes};
pub use store::{AnyStore, PostgresStore, SqliteStore, Storage, StoreError};
pub use tls::{ConnectionLimits, ServerIdentity, TlsListener, TlsPeer};

/// One route of the API listener: its method and path (as the OpenAPI document names them)
/// and the handler serving them.
#[derive(Debug)]
pub struct ApiRoute<S> {
    /// Lower-case HTTP method, as in the OpenAPI document.
    pub method: &'static str,
    /// The path, with `{name}` parameters.
    pub path: &'static str,
    handler: MethodRouter<AppState<S>>,
}

impl<S: Storage> ApiRoute<S> {
    fn get<H: Handler<T, AppState<S>>, T: 'static>(path: &'static str, handler: H) -> Self {
        ApiRoute {
            method: "get",
            path,
            handler: get(handler),
        }
    }

    fn post<H: Handler<T, AppState<S>>, T: 'static>(path: &'static str, handler: H) -> Self {
        ApiRoute {
            method: "post",
            path,
            handler: post(handler),
        }
    }

    fn put<H: Handler<T, AppState<S>>, T: 'static>(path: &'static str, handler: H) -> Self {
        ApiRoute {
            method: "put",
            path,
            handler: axum::routing::put(handler),
        }
    }
}

/// Every route of the API listener. [`app`] serves exactly these, and `tests/openapi.rs`
/// checks that each one is in the OpenAPI document, so an endpoint cannot go undocumented.
pub fn api_routes<S: Storage>() -> Vec<ApiRoute<S>> {
    vec![
        ApiRoute::get(HEALTH_PATH, routes::health),
        ApiRoute::get(openapi::OPENAPI_PATH, openapi::document),
        ApiRoute::get(WHOAMI_PATH, routes::whoami),
        ApiRoute::post(RENEW_PATH, routes::renew::<S>),
        ApiRoute::get(CRL_PATH, routes::crl::<S>),
        ApiRoute::post(VACANCIES_PATH, routes::declare_vacancy::<S>),
        ApiRoute::get(REFERRALS_PATH, routes::sync_referrals::<S>),
        ApiRoute::get(DEMAND_PATH, routes::demand::<S>),
        ApiRoute::post(OUTCOME_PATH, routes::record_outcome::<S>),
        ApiRoute::post(CONTACT_PATH, routes::reveal_contact::<S>),
        // The registration front end's intake interface (its own client identity).
        ApiRoute::post(
            intake_paths::INTAKE_REGISTRATIONS_PATH,
            intake::routes::create_registration::<S>,
        ),
        ApiRoute::put(
            intake_paths::INTAKE_REGISTRATION_PATH,
            intake::routes::update_registration::<S>,
        ),
        ApiRoute::post(
            intake_paths::INTAKE_WITHDRAW_PATH,
            intake::routes::withdraw_registration::<S>,
        ),
        ApiRoute::get(
            intake_paths::INTAKE_REPORTS_PATH,
            intake::routes::pending_reports::<S>,
        ),
        ApiRoute::post(
            intake_paths::INTAKE_CONFIRM_PATH,
            intake::routes::confirm_report::<S>,
        ),
    ]
}

/// The API listener's router: every route but health, the CRL and the OpenAPI document needs a
/// [`DeviceIdentity`] (and the listener's handshake needs a device certificate for all).
pub fn app<S: Storage>(state: AppState<S>) -> Router {
    api_routes::<S>()
        .into_iter()
        .fold(Router::new(), |router, route| {
            router.route(route.path, route.handler)
        })
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
        .layer(axum::middleware::from_fn(metrics::count_requests))
        .with_state(state)
}

/// The enrolment listener's router: enrolment and health; nothing else.
pub fn enrolment_app<S: Storage>(state: AppState<S>) -> Router {
    let attempts = enrolment_limits::EnrolmentAttempts::new(state.lifetimes.enrolment_attempts);
    Router::new()
        .route(HEALTH_PATH, get(routes::health))
        .route(ENROL_PATH, post(routes::enrol::<S>))
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
        .layer(axum::middleware::from_fn(metrics::count_requests))
        .layer(axum::Extension(std::sync::Arc::new(attempts)))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains open requests.
///
/// Each connection is driven by hyper's HTTP/1 server with a timer, for the header-read timeout
/// of the listener's [`ConnectionLimits`] (`axum::serve` gives hyper no timer). Handlers see the
/// peer as `ConnectInfo<TlsPeer>`, as with `axum::serve`.
pub async fn serve(
    mut listener: TlsListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = listener.limits();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (connection, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.next() => accepted,
        };
        let peer = TlsPeer::of(&connection, remote);
        let service = hyper_util::service::TowerToHyperService::new(
            router
                .clone()
                .layer(axum::Extension(axum::extract::ConnectInfo(peer))),
        );
        let served = graceful
            .watch(http.serve_connection(hyper_util::rt::TokioIo::new(connection), service));
        tokio::spawn(async move {
            if let Err(error) = served.await {
                tracing::debug!(%remote, %error, "connection ended with an error");
            }
        });
    }
    // No new connections; open ones finish their request in progress, then close.
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Where and how to listen.
#[derive(Debug, Clone, Copy)]
pub struct ListenSettings {
    /// API listener address (port 0 picks a free port).
    pub api: SocketAddr,
    /// Enrolment listener address.
    pub enrolment: SocketAddr,
    /// Time limits on every connection.
    pub limits: tls::ConnectionLimits,
    /// The plain-HTTP metrics listener's address, or `None` for no metrics listener.
    pub metrics: Option<SocketAddr>,
}

/// Both listeners, running.
#[derive(Debug)]
pub struct RunningService {
    /// Where the API listener is bound.
    pub api_addr: SocketAddr,
    /// Where the enrolment listener is bound.
    pub enrolment_addr: SocketAddr,
    /// Where the metrics listener is bound, when there is one.
    pub metrics_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<io::Result<()>>>,
}

impl RunningService {
    /// Stops both listeners and waits for them.
    pub async fn shutdown(self) -> io::Result<()> {
        let _ = self.stop.send(true);
        self.wait().await
    }

    /// Waits until both listeners end (after a stop, or on error).
    pub async fn wait(self) -> io::Result<()> {
        for task in self.tasks {
            task.await.map_err(io::Error::other)??;
        }
        Ok(())
    }

    /// A handle that stops the service when sent `true`.
    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }
}

/// Binds both listeners and serves them until [`RunningService::shutdown`]; alerts are stored
/// and logged but sent nowhere.
pub async fn start<S: Storage>(
    state: AppState<S>,
    server_identity: &ServerIdentity,
    settings: ListenSettings,
) -> Result<RunningService, StartError> {
    start_with(state, server_identity, settings, None).await
}

/// [`start`], and the alert webhook sender when `webhook` is given: it runs until
/// [`RunningService::shutdown`] too.
pub async fn start_with<S: Storage>(
    state: AppState<S>,
    server_identity: &ServerIdentity,
    settings: ListenSettings,
    webhook: Option<webhook::WebhookSettings>,
) -> Result<RunningService, StartError> {
    let api_tls = tls::mutual_tls_config(state.ca.certificate_der(), server_identity)?;
    let enrolment_tls = tls::server_only_tls_config(server_identity)?;
    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })
    };
    let api = TlsListener::new(bind(settings.api).await?, api_tls, settings.limits)
        .map_err(StartError::Io)?;
    let enrolment = TlsListener::new(
        bind(settings.enrolment).await?,
        enrolment_tls,
        settings.limits,
    )
    .map_err(StartError::Io)?;
    let api_addr = axum::serve::Listener::local_addr(&api).map_err(StartError::Io)?;
    let enrolment_addr = axum::serve::Listener::local_addr(&enrolment).map_err(StartError::Io)?;
    let (stop, stopped) = watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    let mut tasks = vec![
        tokio::spawn(serve(api, app(state.clone()), until_stopped())),
        tokio::spawn(serve(
            enrolment,
            enrolment_app(state.clone()),
            until_stopped(),
        )),
    ];
    let metrics_addr = match settings.metrics {
        Some(addr) => {
            let listener = bind(addr).await?;
            let bound = listener.local_addr().map_err(StartError::Io)?;
            tasks.push(tokio::spawn(metrics::serve(listener, until_stopped())));
            tracing::info!(metrics_addr = %bound, "metrics listening (plain HTTP)");
            Some(bound)
        }
        None => None,
    };
    if let Some(webhook) = webhook {
        let (store, clock) = (state.store.clone(), state.clock.clone());
        let stopped = stop.subscribe();
        tasks.push(tokio::spawn(async move {
            webhook::run(store, clock, webhook, stopped).await;
            Ok(())
        }));
    } else {
        tracing::info!("no alert webhook configured: alerts are logged and stored only");
    }
    tracing::info!(%api_addr, %enrolment_addr, "listening");
    Ok(RunningService {
        api_addr,
        enrolment_addr,
        metrics_addr,
        stop,
        tasks,
    })
}

/// The service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// TLS configuration failed.
    #[error(transparent)]
    Tls(#[from] tls::TlsSetupError),
    /// An address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// Other I/O failure.
    #[error("I/O error: {0}")]
    Io(io::Error),
}
