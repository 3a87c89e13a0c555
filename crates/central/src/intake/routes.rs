//! The intake handlers: each takes the [`IntakeIdentity`], checks, calls the store, maps.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use placeforte_domain::{quebec_rules_on, quebec_today, RegistrationStatus};
use placeforte_protocol::intake::{
    CreateRegistration, IntakeAction, IntakeRegistrationStatus, PendingReport, PendingReports,
    RegistrationReceipt, ReportConfirmed, UpdateRegistration, INTAKE_CONFIRM_PATH,
    INTAKE_REGISTRATIONS_PATH, INTAKE_REGISTRATION_PATH, INTAKE_REPORTS_PATH, INTAKE_WITHDRAW_PATH,
};
use placeforte_protocol::{ApiError, RegistrationId};

use super::error::IntakeFailure;
use super::identity::IntakeIdentity;
use super::validate::{check_registration, RegistrationProblem};
use super::{canonical_request, intake_event};
use crate::routes::ApiJson;
use crate::state::AppState;
use crate::store::{IntakeOutcome, IntakeWrite, Storage, StoreError};

/// The 401/403 answers of every intake handler (OpenAPI).
const NOT_INTAKE: &str = "401 `unauthenticated`, `intake_client_revoked`, `certificate_expired`; 403 `intake_client_required` for a daycare workstation.";

/// The wire status of a registration status.
pub(crate) fn wire_status(status: RegistrationStatus) -> IntakeRegistrationStatus {
    match status {
        RegistrationStatus::Waiting => IntakeRegistrationStatus::Waiting,
        RegistrationStatus::Suspended => IntakeRegistrationStatus::Suspended,
        RegistrationStatus::Placed => IntakeRegistrationStatus::Placed,
        RegistrationStatus::Withdrawn => IntakeRegistrationStatus::Withdrawn,
    }
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A path id that does not parse answers like an unknown one.
fn registration_id(text: &str) -> Result<RegistrationId, IntakeFailure> {
    text.parse().map_err(|_| IntakeFailure::NotFound)
}

/// The answer for an outcome the store reports, `done` mapping what it did.
fn answer<T>(
    outcome: IntakeOutcome<T>,
    status: StatusCode,
    done: impl FnOnce(T) -> Result<String, IntakeFailure>,
) -> Result<Response, IntakeFailure> {
    match outcome {
        IntakeOutcome::Done(value) => Ok(json(status, done(value)?)),
        IntakeOutcome::Replayed(body) => Ok(json(status, body)),
        IntakeOutcome::KeyReused => Err(IntakeFailure::IdempotencyKeyReused),
        IntakeOutcome::NotFound => Err(IntakeFailure::NotFound),
        IntakeOutcome::RegistrationClosed => Err(IntakeFailure::RegistrationClosed),
        IntakeOutcome::InactiveChoice(_) => Err(IntakeFailure::InvalidRegistration(vec![
            RegistrationProblem::ChoiceInactive,
        ])),
        IntakeOutcome::ReportNotPending => Err(IntakeFailure::ReportNotPending),
    }
}

#[utoipa::path(post, path = INTAKE_REGISTRATIONS_PATH, tag = "intake", request_body = CreateRegistration,
    responses(
        (status = 201, description = "Registered, waiting; or the same answer again for a replayed key.", body = RegistrationReceipt),
        (status = 400, description = "`malformed_body` (unknown fields included).", body = ApiError),
        (status = 401, description = NOT_INTAKE, body = ApiError),
        (status = 403, description = NOT_INTAKE, body = ApiError),
        (status = 409, description = "`idempotency_key_reused`.", body = ApiError),
        (status = 422, description = "`invalid_registration`: every problem's code in the message (child not born, dates, choices, fields).", body = ApiError),
    ))]
pub(crate) async fn create_registration<S: Storage>(
    identity: IntakeIdentity,
    State(state): State<AppState<S>>,
    ApiJson(request): ApiJson<CreateRegistration>,
) -> Result<Response, IntakeFailure> {
    let now = state.clock.now();
    let today = quebec_today(now);
    let canonical = canonical_request("create", None, &request)?;
    let id = RegistrationId::random();
    let checked = check_registration(
        id,
        &request.registration,
        today,
        today,
        quebec_rules_on(today),
    )
    .map_err(IntakeFailure::InvalidRegistration)?;
    let response = serde_json::to_string(&RegistrationReceipt {
        registration_id: id,
        status: IntakeRegistrationStatus::Waiting,
        closed_referrals: 0,
    })
    .map_err(StoreError::from)?;
    let write = IntakeWrite {
        client: identity.certificate.client_id,
        key: request.idempotency_key,
        request: &canonical,
        now,
    };
    let event = intake_event(&identity, now, "registration.created", id);
    let outcome = state
        .store
        .intake_create(write, &checked.record, &checked.choices, &response, &event)
        .await?;
    answer(outcome, StatusCode::CREATED, |()| Ok(response))
}

#[utoipa::path(put, path = INTAKE_REGISTRATION_PATH, tag = "intake", request_body = UpdateRegistration,
    params(("registration_id" = String, Path, description = "The registration.")),
    responses(
        (status = 200, description = "Replaced (details and choices; the registration day stays); or the same answer again for a replayed key.", body = RegistrationReceipt),
        (status = 400, description = "`malformed_body`.", body = ApiError),
        (status = 401, description = NOT_INTAKE, body = ApiError),
        (status = 403, description = NOT_INTAKE, body = ApiError),
        (status = 404, description = "`not_found`.", body = ApiError),
        (status = 409, description = "`idempotency_key_reused`, `registration_closed` (placed or withdrawn).", body = ApiError),
        (status = 422, description = "`invalid_registration`.", body = ApiError),
    ))]
pub(crate) async fn update_registration<S: Storage>(
    identity: IntakeIdentity,
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateRegistration>,
) -> Result<Response, IntakeFailure> {
    let id = registration_id(&id)?;
    let now = state.clock.now();
    let today = quebec_today(now);
    let canonical = canonical_request("update", Some(id), &request)?;
    // An update never moves the stored registration day (the store does not write it); the
    // check runs as if registered today, which refuses nothing a stored day would not.
    let checked = check_registration(
        id,
        &request.registration,
        today,
        today,
        quebec_rules_on(today),
    )
    .map_err(IntakeFailure::InvalidRegistration)?;
    let write = IntakeWrite {
        client: identity.certificate.client_id,
        key: request.idempotency_key,
        request: &canonical,
        now,
    };
    let event = intake_event(&identity, now, "registration.updated", id);
    let outcome = state
        .store
        .intake_update(
            write,
            &checked.record,
            &checked.choices,
            |status| {
                // An update changes details, never the status (a placed or withdrawn one is
                // refused): the answer says where the registration stands.
                Ok(serde_json::to_string(&RegistrationReceipt {
                    registration_id: id,
                    status: wire_status(status),
                    closed_referrals: 0,
                })?)
            },
            &event,
        )
        .await?;
    answer(outcome, StatusCode::OK, Ok)
}

#[utoipa::path(post, path = INTAKE_WITHDRAW_PATH, tag = "intake", request_body = IntakeAction,
    params(("registration_id" = String, Path, description = "The registration.")),
    responses(
        (status = 200, description = "Withdrawn: its open referrals closed, their places offered to the next families; or the same answer again for a replayed key.", body = RegistrationReceipt),
        (status = 400, description = "`malformed_body`.", body = ApiError),
        (status = 401, description = NOT_INTAKE, body = ApiError),
        (status = 403, description = NOT_INTAKE, body = ApiError),
        (status = 404, description = "`not_found`.", body = ApiError),
        (status = 409, description = "`idempotency_key_reused`, `registration_closed`.", body = ApiError),
    ))]
pub(crate) async fn withdraw_registration<S: Storage>(
    identity: IntakeIdentity,
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<IntakeAction>,
) -> Result<Response, IntakeFailure> {
    let id = registration_id(&id)?;
    let now = state.clock.now();
    let canonical = canonical_request("withdraw", Some(id), &request)?;
    let write = IntakeWrite {
        client: identity.certificate.client_id,
        key: request.idempotency_key,
        request: &canonical,
        now,
    };
    let outcome = state
        .store
        .intake_withdraw(write, id, |effect, referrals| {
            let response = serde_json::to_string(&RegistrationReceipt {
                registration_id: id,
                status: wire_status(effect.status),
                closed_referrals: u32::try_from(effect.closed).unwrap_or(u32::MAX),
            })?;
            let mut event = intake_event(&identity, now, "registration.withdrawn", id);
            event.referral_ids = referrals.to_vec();
            Ok((response, event))
        })
        .await?;
    answer(outcome, StatusCode::OK, Ok)
}

#[utoipa::path(get, path = INTAKE_REPORTS_PATH, tag = "intake",
    params(("registration_id" = String, Path, description = "The registration.")),
    responses(
        (status = 200, description = "The daycares' reports waiting for the family's word, oldest first.", body = PendingReports),
        (status = 401, description = NOT_INTAKE, body = ApiError),
        (status = 403, description = NOT_INTAKE, body = ApiError),
        (status = 404, description = "`not_found`.", body = ApiError),
    ))]
pub(crate) async fn pending_reports<S: Storage>(
    identity: IntakeIdentity,
    State(state): State<AppState<S>>,
    Path(id): Path<String>,
) -> Result<Json<PendingReports>, IntakeFailure> {
    let id = registration_id(&id)?;
    let reports = state
        .store
        .pending_reports_of(id)
        .await?
        .ok_or(IntakeFailure::NotFound)?;
    // A read of the registration's file: audited like any other.
    let now = state.clock.now();
    let mut event = intake_event(&identity, now, "registration.reports_read", id);
    event.referral_ids = reports.iter().map(|r| r.referral_id).collect();
    state.store.record_event(&event).await?;
    Ok(Json(PendingReports {
        reports: reports
            .into_iter()
            .map(|r| PendingReport {
                report_id: r.id,
                kind: r.kind,
                daycare_id: r.daycare_id,
                reported_at: r.reported_at,
            })
            .collect(),
    }))
}

#[utoipa::path(post, path = INTAKE_CONFIRM_PATH, tag = "intake", request_body = IntakeAction,
    params(
        ("registration_id" = String, Path, description = "The registration."),
        ("report_id" = String, Path, description = "A pending report of it."),
    ),
    responses(
        (status = 200, description = "The family confirmed: the report's effect applied as `outcome confirm` applies it; or the same answer again for a replayed key.", body = ReportConfirmed),
        (status = 400, description = "`malformed_body`.", body = ApiError),
        (status = 401, description = NOT_INTAKE, body = ApiError),
        (status = 403, description = NOT_INTAKE, body = ApiError),
        (status = 404, description = "`not_found`: no such registration, or no such report of it.", body = ApiError),
        (status = 409, description = "`idempotency_key_reused`, `report_not_pending`, `registration_closed`.", body = ApiError),
    ))]
pub(crate) async fn confirm_report<S: Storage>(
    identity: IntakeIdentity,
    State(state): State<AppState<S>>,
    Path((id, report)): Path<(String, String)>,
    ApiJson(request): ApiJson<IntakeAction>,
) -> Result<Response, IntakeFailure> {
    let id = registration_id(&id)?;
    let report: uuid::Uuid = report.parse().map_err(|_| IntakeFailure::NotFound)?;
    let now = state.clock.now();
    let canonical = canonical_request(&format!("confirm:{report}"), Some(id), &request)?;
    let write = IntakeWrite {
        client: identity.certificate.client_id,
        key: request.idempotency_key,
        request: &canonical,
        now,
    };
    let actor = identity.actor();
    let outcome = state
        .store
        .intake_confirm(write, id, report, &actor, |effect| {
            Ok(serde_json::to_string(&ReportConfirmed {
                report_id: report,
                closed_referrals: u32::try_from(effect.closed).unwrap_or(u32::MAX),
                further_referrals: u32::try_from(effect.further).unwrap_or(u32::MAX),
            })?)
        })
        .await?;
    answer(outcome, StatusCode::OK, Ok)
}
