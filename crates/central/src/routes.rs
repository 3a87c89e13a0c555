//! Handlers: each takes state, calls the library, maps the error.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Extension;
use axum::Json;
use placeforte_protocol::device::{
    DeviceCertificate, EnrolRequest, RenewRequest, WhoAmIResponse, CRL_PATH, HEALTH_PATH,
    RENEW_PATH, WHOAMI_PATH,
};
use placeforte_protocol::{ApiError, DeviceId, HealthResponse, ReferralId, PROTOCOL_VERSION};
use serde::de::DeserializeOwned;
use std::sync::Arc;

use placeforte_domain::quebec_rules_on;
use placeforte_protocol::referrals::{
    ContactDetails, DeclareVacancy, DemandReport, Outcome, OutcomeRecorded, RecordOutcome,
    ReferralPage, RevealContact, VacancyDeclared, CONTACT_PATH, DEFAULT_SYNC_PAGE, DEMAND_PATH,
    MAX_SYNC_PAGE, OUTCOME_PATH, REFERRALS_PATH, VACANCIES_PATH,
};

use crate::alerts::{self, AlertSubject, AlertWindow};
use crate::ca::{CaError, DeviceCertificatePem};
use crate::enrolment_code;
use crate::enrolment_limits::{Attempt, EnrolmentAttempts};
use crate::error::ApiFailure;
use crate::identity::DeviceIdentity;
use crate::referrals;
use crate::reveal_budgets::RevealLimit;
use crate::state::AppState;
use crate::store::{
    AuditEvent, DeclarationPlan, DeclarationResult, DeviceRecord, ExpiryScope, IssuedCertificate,
    OutcomeRequest, OutcomeResult, RevealRequest, RevealResult, Storage, StoreError,
};
use crate::tls::TlsPeer;

/// The 401 answers of every handler that takes a [`DeviceIdentity`] (OpenAPI).
const UNAUTHENTICATED: &str =
    "`unauthenticated`, `device_revoked`, `certificate_replaced` or `certificate_expired`.";

/// Who the audit log names for an enrolment attempt: the peer has no identity yet.
const ENROLMENT_ACTOR: &str = "enrolment:anonymous";
/// The audit action of a refused enrolment (the reason code says why).
const ENROLMENT_REFUSED_ACTION: &str = "device.enrolment_refused";
/// The alert kind raised when a peer (or all peers) exhaust their enrolment attempts.
const ENROLMENT_BURST_ALERT: &str = "enrolment_attempts_burst";

/// The one answer for any id not referred to the caller (OpenAPI).
const NOT_REFERRED: &str =
    "`not_found`: the same answer for a missing id and for any id not referred to the caller.";

/// A JSON body whose rejections are [`ApiFailure`]s (413 or 400 with an `ApiError` body).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiFailure::BodyTooLarge)
            }
            Err(rejection) => Err(ApiFailure::MalformedBody(describe(&rejection))),
        }
    }
}

fn describe(rejection: &JsonRejection) -> String {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "expected Content-Type: application/json".into()
        }
        other => other.body_text(),
    }
}

#[utoipa::path(get, path = HEALTH_PATH, tag = "service",
    responses((status = 200, description = "The service answers.", body = HealthResponse)))]
pub(crate) async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".to_owned(),
        protocol_version: PROTOCOL_VERSION,
    })
}

pub(crate) async fn not_found() -> ApiFailure {
    ApiFailure::NotFound
}

pub(crate) async fn enrol<S: Storage>(
    State(state): State<AppState<S>>,
    Extension(attempts): Extension<Arc<EnrolmentAttempts>>,
    ConnectInfo(peer): ConnectInfo<TlsPeer>,
    ApiJson(request): ApiJson<EnrolRequest>,
) -> Result<Json<DeviceCertificate>, ApiFailure> {
    let now = state.clock.now();
    let daycare = request.daycare_id;
    if let Attempt::Limited {
        retry_after,
        first,
        overall,
    } = attempts.attempt(peer.remote_addr.ip(), now)
    {
        if first {
            refused_enrolment(&state, daycare, "too_many_attempts", now).await?;
            enrolment_burst_alert(&state, peer.remote_addr.ip(), daycare, overall, now).await;
        }
        return Err(ApiFailure::TooManyAttempts {
            retry_after_seconds: u64::try_from(retry_after.num_seconds()).unwrap_or(1).max(1),
        });
    }
    // The CSR's signature is verified without signing anything, before the code is looked at,
    // so a bad CSR does not burn the code.
    if let Err(error) = state.ca.check_csr(&request.csr_pem) {
        tracing::info!(%error, "CSR refused");
        refused_enrolment(&state, daycare, "csr_invalid", now).await?;
        return Err(ApiFailure::CsrInvalid);
    }
    let device_id = DeviceId::random();
    let device = DeviceRecord {
        id: device_id,
        daycare_id: daycare,
        enrolled_at: now,
        revoked_at: None,
    };
    let event = AuditEvent::new(
        now,
        format!("device:{device_id}"),
        "device.enrolled",
        format!("daycare:{daycare}"),
    )
    .for_daycare(daycare);
    // Signed inside the store's transaction, once the code is claimed: a wrong code signs
    // nothing.
    let mut signed = None;
    let enrolled = state
        .store
        .enrol_device(
            &enrolment_code::hash(&request.enrolment_code),
            now,
            &device,
            || {
                let issued = sign(&state, &request.csr_pem, daycare, device_id, now)?;
                let record = issued_record(&issued, device_id, now);
                signed = Some(issued);
                Ok(record)
            },
            &event,
        )
        .await?;
    let Some(issued) = signed.filter(|_| enrolled) else {
        tracing::info!(daycare = %daycare, "enrolment refused: code unknown, used, expired or for another daycare");
        refused_enrolment(&state, daycare, "enrolment_refused", now).await?;
        return Err(ApiFailure::EnrolmentRefused);
    };
    tracing::info!(device = %device_id, daycare = %daycare, "device enrolled");
    Ok(Json(answer(&state, issued, device_id, daycare)))
}

/// Audits a refused enrolment: the daycare it named and the reason code, never the code text
/// nor the peer's address (the log holds ids only).
async fn refused_enrolment<S: Storage>(
    state: &AppState<S>,
    daycare: placeforte_protocol::DaycareId,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiFailure> {
    let mut event = AuditEvent::new(
        now,
        ENROLMENT_ACTOR.to_owned(),
        ENROLMENT_REFUSED_ACTION,
        format!("daycare:{daycare}"),
    );
    event.reason = Some(reason.to_owned());
    state.store.record_event(&event).await?;
    crate::metrics::enrolment_refused(reason);
    Ok(())
}

/// One alert per burst of refused enrolments from a peer (or from all peers together), once an
/// hour. The peer has no device identity: the alert names its address (or all peers) and the
/// daycare it claimed, nothing else.
async fn enrolment_burst_alert<S: Storage>(
    state: &AppState<S>,
    peer: std::net::IpAddr,
    daycare: placeforte_protocol::DaycareId,
    overall: bool,
    now: chrono::DateTime<chrono::Utc>,
) {
    let (subject, scope) = if overall {
        (AlertSubject::AllPeers, "all_peers")
    } else {
        (AlertSubject::Peer(peer), "one_peer")
    };
    alerts::raise(
        &state.store,
        ENROLMENT_BURST_ALERT,
        subject,
        AlertWindow::Aligned(chrono::Duration::hours(1)),
        format!("scope:{scope} daycare:{daycare}"),
        now,
    )
    .await;
}

#[utoipa::path(post, path = RENEW_PATH, tag = "device", request_body = RenewRequest,
    responses(
        (status = 200, description = "The renewed certificate.", body = DeviceCertificate),
        (status = 400, description = "`csr_invalid` or `malformed_body`.", body = ApiError),
        (status = 401, description = UNAUTHENTICATED, body = ApiError),
        (status = 409, description = "`renewal_too_early`: before two thirds of the lifetime.", body = ApiError),
    ))]
pub(crate) async fn renew<S: Storage>(
    identity: DeviceIdentity,
    State(state): State<AppState<S>>,
    ApiJson(request): ApiJson<RenewRequest>,
) -> Result<Json<DeviceCertificate>, ApiFailure> {
    let now = state.clock.now();
    let current = &identity.certificate;
    if now < renew_after(current.not_before, current.not_after) {
        return Err(ApiFailure::RenewalTooEarly);
    }
    let issued = issue(
        &state,
        &request.csr_pem,
        current.daycare_id,
        current.device_id,
        now,
    )?;
    let actor = format!("device:{}", current.device_id);
    let renewed = AuditEvent::new(
        now,
        actor.clone(),
        "device.certificate_renewed",
        format!("certificate:{}", issued.serial_hex),
    )
    .for_daycare(current.daycare_id);
    let replaced = AuditEvent::new(
        now,
        actor,
        "device.certificate_replaced",
        format!("certificate:{}", current.serial_hex),
    )
    .for_daycare(current.daycare_id);
    let recorded = state
        .store
        .add_renewed_certificate(
            &issued_record(&issued, current.device_id, now),
            &current.serial_hex,
            &[renewed, replaced],
        )
        .await?;
    if !recorded {
        // Revoked, or renewed by a concurrent request, between the identity check and now.
        return Err(ApiFailure::CertificateReplaced);
    }
    Ok(Json(answer(
        &state,
        issued,
        current.device_id,
        current.daycare_id,
    )))
}

#[utoipa::path(get, path = WHOAMI_PATH, tag = "device",
    responses(
        (status = 200, description = "The verified identity of the caller.", body = WhoAmIResponse),
        (status = 401, description = UNAUTHENTICATED, body = ApiError),
    ))]
pub(crate) async fn whoami(identity: DeviceIdentity) -> Json<WhoAmIResponse> {
    Json(WhoAmIResponse {
        device_id: identity.certificate.device_id,
        daycare_id: identity.certificate.daycare_id,
        certificate_not_after: identity.certificate.not_after,
    })
}

#[utoipa::path(get, path = CRL_PATH, tag = "device",
    responses((status = 200, description = "The device CA's revocation list (DER).",
        content_type = "application/pkix-crl", body = crate::openapi::CrlDer)))]
pub(crate) async fn crl<S: Storage>(
    State(state): State<AppState<S>>,
) -> Result<impl IntoResponse, ApiFailure> {
    let revoked = state.store.revoked_certificates().await?;
    let der = state.ca.crl_der(&revoked, state.clock.now())?;
    Ok(([(header::CONTENT_TYPE, "application/pkix-crl")], der))
}

/// Renewal opens at two thirds of the lifetime.
fn renew_after(
    not_before: chrono::DateTime<chrono::Utc>,
    not_after: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    not_before + (not_after - not_before) * 2 / 3
}

fn sign<S>(
    state: &AppState<S>,
    csr_pem: &str,
    daycare: placeforte_protocol::DaycareId,
    device: DeviceId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<DeviceCertificatePem, CaError> {
    state.ca.issue_device_certificate(
        csr_pem,
        daycare,
        device,
        now,
        now + state.lifetimes.device_certificate,
    )
}

fn issue<S>(
    state: &AppState<S>,
    csr_pem: &str,
    daycare: placeforte_protocol::DaycareId,
    device: DeviceId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<DeviceCertificatePem, ApiFailure> {
    sign(state, csr_pem, daycare, device, now).map_err(|error| match error {
        CaError::Csr(reason) => {
            tracing::info!(%reason, "CSR refused");
            ApiFailure::CsrInvalid
        }
        other => ApiFailure::Authority(other),
    })
}

fn issued_record(
    issued: &DeviceCertificatePem,
    device: DeviceId,
    now: chrono::DateTime<chrono::Utc>,
) -> IssuedCertificate {
    IssuedCertificate {
        serial_hex: issued.serial_hex.clone(),
        device_id: device,
        not_before: issued.not_before,
        not_after: issued.not_after,
        issued_at: now,
    }
}

fn answer<S>(
    state: &AppState<S>,
    issued: DeviceCertificatePem,
    device_id: DeviceId,
    daycare_id: placeforte_protocol::DaycareId,
) -> DeviceCertificate {
    DeviceCertificate {
        device_id,
        daycare_id,
        certificate_chain_pem: format!("{}{}", issued.pem, state.ca.certificate_pem()),
        ca_certificate_pem: state.ca.certificate_pem().to_owned(),
        not_before: issued.not_before,
        not_after: issued.not_after,
        renew_after: renew_after(issued.not_before, issued.not_after),
    }
}

#[utoipa::path(post, path = VACANCIES_PATH, tag = "referrals", request_body = DeclareVacancy,
    responses(
        (status = 201, description = "Declared, candidates referred in the regulated order; or the same answer again for a replayed key.", body = VacancyDeclared),
        (status = 400, description = "`malformed_body`.", body = ApiError),
        (status = 401, description = UNAUTHENTICATED, body = ApiError),
        (status = 409, description = "`idempotency_key_reused`: the key was used for another declaration.", body = ApiError),
        (status = 422, description = "`invalid_vacancy`: places, start date or label; `over_permit`: the daycare's open declared places of the age class and these would exceed its permit.", body = ApiError),
    ))]
pub(crate) async fn declare_vacancy<S: Storage>(
    identity: DeviceIdentity,
    State(state): State<AppState<S>>,
    ApiJson(request): ApiJson<DeclareVacancy>,
) -> Result<axum::response::Response, ApiFailure> {
    let now = state.clock.now();
    let rules = quebec_rules_on(now.date_naive());
    let key = request.idempotency_key;
    // What a retry must repeat exactly to be answered as the first attempt was.
    let canonical = serde_json::to_string(&request).map_err(StoreError::from)?;
    // A retry gets its first answer before the declaration is checked again: its start date
    // may have passed since. (The store checks the key again under its lock, for races.)
    if let Some((stored, body)) = state
        .store
        .known_declaration(identity.certificate.daycare_id, key)
        .await?
    {
        if stored != canonical {
            return Err(ApiFailure::IdempotencyKeyReused);
        }
        return Ok(created(body));
    }
    // Families whose offers elsewhere are past their deadline are suspended before this
    // declaration ranks who waits, sweep or no sweep.
    crate::expiry::sweep(&state.store, now).await?;
    let vacancy = referrals::vacancy_from_request(request, &identity, now, rules)?;
    // Set by the plan when the daycare's referral bound cut the referrals short.
    let mut bounded = None;
    let result = state
        .store
        .declare_vacancy(&vacancy, key, &canonical, |candidates, room| {
            let mut made = referrals::plan_referrals(&vacancy, candidates, now, rules)?;
            if made.len() > room.remaining() {
                bounded = Some((made.len(), room));
                made.truncate(room.remaining());
            }
            let event = referrals::declaration_event(&vacancy, &made, &identity);
            let response = serde_json::to_string(&VacancyDeclared {
                vacancy_id: vacancy.id,
                referrals: u32::try_from(made.len()).unwrap_or(u32::MAX),
                answer_by: referrals::answer_by(placeforte_domain::quebec_today(now), rules),
            })?;
            Ok(DeclarationPlan {
                referrals: made,
                event,
                response,
            })
        })
        .await?;
    let body = match result {
        DeclarationResult::Declared(body) => {
            tracing::info!(vacancy = %vacancy.id, daycare = %vacancy.daycare_id, "vacancy declared");
            if let Some((planned, room)) = bounded {
                // After the declaration's transaction: an alert never blocks the audited write.
                // Once a day per daycare: the bound is over 30 days, a day's declarations
                // are one incident.
                crate::alerts::raise(
                    &state.store,
                    "referrals_over_permit",
                    crate::alerts::AlertSubject::Daycare(identity.certificate.daycare_id),
                    crate::alerts::AlertWindow::Aligned(chrono::Duration::days(1)),
                    format!(
                        "{planned} referrals planned, {} issued: {} referrals in 30 days, bound {}",
                        room.remaining(),
                        room.issued_in_window,
                        room.bound
                    ),
                    now,
                )
                .await;
            }
            body
        }
        DeclarationResult::Replayed(body) => body,
        DeclarationResult::KeyReused => return Err(ApiFailure::IdempotencyKeyReused),
        DeclarationResult::OverPermit => {
            let event = AuditEvent::new(
                now,
                format!("device:{}", identity.certificate.device_id),
                "vacancy.refused_over_permit",
                format!("vacancy:{}", vacancy.id),
            )
            .for_daycare(vacancy.daycare_id);
            state.store.record_event(&event).await?;
            return Err(ApiFailure::OverPermit);
        }
    };
    Ok(created(body))
}

/// `201 Created` with a JSON body already serialized (a declaration's stored answer).
fn created(body: String) -> axum::response::Response {
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// `RecordOutcome` as the service reads it: the same JSON, with an outcome that refuses unknown
/// fields (the protocol type carries the domain's `OfferOutcome`, which does not).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StrictRecordOutcome {
    idempotency_key: uuid::Uuid,
    outcome: Outcome,
}

/// The delta sync's query string.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyncQuery {
    since: Option<String>,
    limit: Option<u32>,
}

#[utoipa::path(get, path = REFERRALS_PATH, tag = "referrals",
    params(
        ("since" = Option<String>, Query, description = "The cursor of the last page; absent the first time."),
        ("limit" = Option<u32>, Query, description = "Referrals per page, 1 to 500 (default 200)."),
    ),
    responses(
        (status = 200, description = "The caller's referrals changed since the cursor.", body = ReferralPage),
        (status = 400, description = "`malformed_query`, `invalid_cursor` or `page_too_large`.", body = ApiError),
        (status = 401, description = UNAUTHENTICATED, body = ApiError),
    ))]
pub(crate) async fn sync_referrals<S: Storage>(
    identity: DeviceIdentity,
    State(state): State<AppState<S>>,
    query: Result<Query<SyncQuery>, QueryRejection>,
) -> Result<Json<ReferralPage>, ApiFailure> {
    let Query(query) =
        query.map_err(|rejection| ApiFailure::MalformedQuery(rejection.body_text()))?;
    let limit = query.limit.unwrap_or(DEFAULT_SYNC_PAGE);
    if limit == 0 || limit > MAX_SYNC_PAGE {
        return Err(ApiFailure::PageTooLarge);
    }
    let since = match query.since.as_deref() {
        None | Some("") => referrals::Cursor::START,
        Some(text) => referrals::Cursor::parse(text).ok_or(ApiFailure::InvalidCursor)?,
    };
    let now = state.clock.now();
    // The offers whose time is up are expired before they are read, sweep or no sweep.
    state
        .store
        .expire_offers(now, ExpiryScope::Daycare(identity.certificate.daycare_id))
        .await?;
    let (rows, remaining) = state
        .store
        .sync_referrals(
            identity.certificate.daycare_id,
            (since.change_seq, since.id),
            i64::from(limit),
            |rows| referrals::sync_event(rows, &identity, now),
        )
        .await?;
    let cursor = rows.last().map_or(since, |last| referrals::Cursor {
        change_seq: last.change_seq,
        id: last.id.as_uuid(),
    });
    let items = rows
        .iter()
        .map(referrals::sync_item)
        .collect::<Result<Vec<_>, _>>()?;
    // After the page's transaction: an alert never blocks the audited read.
    let page = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    if let Err(error) = crate::alerts::after_sync(&state.store, &identity, page, now).await {
        tracing::error!(%error, "sync volume check failed");
    }
    Ok(Json(ReferralPage {
        offline_period_days: state.lifetimes.offline_period_days,
        more: remaining > 0,
        remaining,
        referrals: items,
        cursor: cursor.to_string(),
    }))
}

#[utoipa::path(get, path = DEMAND_PATH, tag = "referrals",
    responses(
        (status = 200, description = "De-identified counts of children waiting for the caller's daycare.", body = DemandReport),
        (status = 401, description = UNAUTHENTICATED, body = ApiError),
    ))]
pub(crate) async fn demand<S: Storage>(
    identity: DeviceIdentity,
    State(state): State<AppState<S>>,
) -> Result<Json<DemandReport>, ApiFailure> {
    let waiting = state
        .store
        .waiting_for(identity.certificate.daycare_id)
        .await?;
    let today = state.clock.now().date_naive();
    Ok(Json(crate::demand::report(
        &waiting,
        today,
        quebec_rules_on(today),
    )))
}

#[utoipa::path(post, path = OUTCOME_PATH, tag = "referrals", request_body = RecordOutcome,
    params(("id" = String, Path, description = "A referral made to the caller's daycare.")),
    responses(
        (status = 200, description = "Recorded, or the same answer again for a replayed key.", body = OutcomeRecorded),
        (status = 400, description = "`malformed_body`.", body = ApiError),
        (status = 401, description = UNAUTHENTICATED, body = ApiError),
        (status = 404, description = NOT_REFERRED, body = ApiError),
        (status = 409, description = "`referral_closed`, `idempotency_key_reused`, `vacancy_filled` (every place already accepted) or `offer_expired` (the answer reached the service at or after the end of the answer-by day in Québec: the service's clock expired the offer; a `no_answer_by_deadline` then is answered 200 with status `no_answer`, nothing applied twice).", body = ApiError),
        (status = 422, description = "`deadline_not_reached`: a missed deadline before the offer expired (the end of the answer-by day in Québec).", body = ApiError),
    ))]
pub(crate) async fn record_outcome<S: Storage>(
    identity: DeviceIdentity,
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<StrictRecordOutcome>,
) -> Result<axum::response::Response, ApiFailure> {
    // A malformed id answers exactly like an unknown one.
    let Ok(referral_id) = id.parse::<ReferralId>() else {
        return foreign(&state, &identity, &id).await;
    };
    let result = state
        .store
        .record_outcome(&OutcomeRequest {
            daycare_id: identity.certificate.daycare_id,
            device_id: identity.certificate.device_id,
            referral_id,
            idempotency_key: request.idempotency_key,
            outcome: request.outcome.into(),
            now: state.clock.now(),
        })
        .await?;
    match result {
        OutcomeResult::Recorded { response, bulk } => {
            // After the answer's transaction, which decided whether this one crossed the bound.
            if let Some(bulk) = bulk {
                crate::alerts::raise(
                    &state.store,
                    "outcomes_bulk",
                    crate::alerts::AlertSubject::Daycare(identity.certificate.daycare_id),
                    crate::alerts::AlertWindow::Aligned(chrono::Duration::hours(
                        crate::outcomes::BULK_OUTCOME_WINDOW_HOURS,
                    )),
                    bulk.detail(),
                    state.clock.now(),
                )
                .await;
            }
            Ok(([(header::CONTENT_TYPE, "application/json")], response).into_response())
        }
        OutcomeResult::Replayed(body) => {
            Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
        }
        OutcomeResult::KeyReused => Err(ApiFailure::IdempotencyKeyReused),
        OutcomeResult::NotFound => foreign(&state, &identity, &id).await,
        OutcomeResult::Closed => Err(ApiFailure::ReferralClosed),
        OutcomeResult::DeadlineNotReached => Err(ApiFailure::DeadlineNotReached),
        OutcomeResult::VacancyFilled => Err(ApiFailure::VacancyFilled),
        OutcomeResult::OfferExpired => Err(ApiFailure::OfferExpired),
    }
}

#[utoipa::path(post, path = CONTACT_PATH, tag = "referrals", request_body = RevealContact,
    params(("id" = String, Path, description = "An open referral made to the caller's daycare.")),
    responses(
        (status = 200, description = "The family's contact details (audited; never cached).", body = ContactDetails),
        (status = 400, description = "`malformed_body`.", body = ApiError),
        (status = 401, description = UNAUTHENTICATED, body = ApiError),
        (status = 404, description = NOT_REFERRED, body = ApiError),
        (status = 409, description = "`referral_closed`.", body = ApiError),
        (status = 422, description = "`invalid_reveal`: note too long, with control characters, or missing with `other`.", body = ApiError),
        (status = 429, description = "`quota_exceeded`: the device's reveals for today are used; `reveal_budget_exceeded`: the daycare's reveals for the day or the week are used; `reveal_limit_reached`: this referral's reveals are used.", body = ApiError),
    ))]
pub(crate) async fn reveal_contact<S: Storage>(
    identity: DeviceIdentity,
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RevealContact>,
) -> Result<Json<ContactDetails>, ApiFailure> {
    let Ok(referral_id) = id.parse::<ReferralId>() else {
        return foreign(&state, &identity, &id).await;
    };
    let note = placeforte_protocol::checks::reveal_note(request.reason, request.note)?;
    let now = state.clock.now();
    // An offer past its deadline is closed to reveals even before the sweep reaches it.
    state
        .store
        .expire_offers(now, ExpiryScope::Daycare(identity.certificate.daycare_id))
        .await?;
    let result = state
        .store
        .reveal_contact(&RevealRequest {
            daycare_id: identity.certificate.daycare_id,
            device_id: identity.certificate.device_id,
            referral_id,
            reason: request.reason.code().to_owned(),
            note,
            daily_quota: state.lifetimes.reveals_per_device_per_day,
            now,
        })
        .await?;
    match result {
        RevealResult::Revealed(r) => {
            // After the reveal's transaction: an alert never blocks the audited read.
            if let Err(error) =
                crate::alerts::after_reveal(&state.store, &identity, state.clock.now()).await
            {
                tracing::error!(%error, "reveal rate check failed");
            }
            if let Err(error) =
                crate::reveal_budgets::after_reveal(&state.store, &identity, state.clock.now())
                    .await
            {
                tracing::error!(%error, "reveal slow-drip check failed");
            }
            Ok(Json(ContactDetails {
                referral_id,
                child_given_name: r.child_given_name,
                child_family_name: r.child_family_name,
                parent_given_name: r.parent_given_name,
                parent_family_name: r.parent_family_name,
                parent_phone: r.parent_phone,
                parent_email: r.parent_email,
                priority_basis: r.priority,
            }))
        }
        RevealResult::NotFound => foreign(&state, &identity, &id).await,
        RevealResult::Closed => Err(ApiFailure::ReferralClosed),
        RevealResult::OverQuota => {
            crate::alerts::reveal_quota_exceeded(
                &state.store,
                &identity,
                format!("referral:{referral_id}"),
                state.clock.now(),
            )
            .await;
            Err(ApiFailure::QuotaExceeded)
        }
        RevealResult::OverDaycareLimit(RevealLimit::PerReferral) => {
            Err(ApiFailure::RevealLimitReached)
        }
        RevealResult::OverDaycareLimit(limit) => {
            // The budgets are the whole daycare's, daily and weekly: one alert a day.
            crate::alerts::raise(
                &state.store,
                "reveal_daycare_budget_exceeded",
                crate::alerts::AlertSubject::Daycare(identity.certificate.daycare_id),
                crate::alerts::AlertWindow::Aligned(chrono::Duration::days(1)),
                format!("{}; referral:{referral_id}", limit.refusal_action()),
                state.clock.now(),
            )
            .await;
            Err(ApiFailure::RevealBudgetExceeded)
        }
    }
}

/// An id not referred to the caller: audited, alerted on when it is a honeytoken or one of many,
/// and answered exactly like an id that does not exist.
async fn foreign<S: Storage, T>(
    state: &AppState<S>,
    identity: &DeviceIdentity,
    id: &str,
) -> Result<T, ApiFailure> {
    crate::alerts::foreign_id(&state.store, identity, id, state.clock.now()).await?;
    Err(ApiFailure::NotFound)
}
