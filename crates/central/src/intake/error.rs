//! The intake interface's refusals: a closed enum rendered as `{code, message}` like every
//! other answer of the service ([`crate::error::ApiFailure`]), internal details logged only.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use placeforte_protocol::ApiError;

use super::validate::RegistrationProblem;
use crate::store::StoreError;

/// Why an intake request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum IntakeFailure {
    /// 401 `unauthenticated`: no verified client certificate, or one this service never issued.
    #[error("no intake client certificate on this connection")]
    Unauthenticated,
    /// 403 `intake_client_required`: the caller is a daycare workstation (or any certificate
    /// but an intake client's); the intake interface is the registration front end's only.
    #[error("only the registration front end's intake client may call this endpoint")]
    NotIntakeClient,
    /// 401 `intake_client_revoked`: the operator revoked this intake client.
    #[error("this intake client is revoked")]
    ClientRevoked,
    /// 401 `certificate_expired`: the certificate of this connection has expired.
    #[error("the intake client certificate has expired")]
    CertificateExpired,
    /// 422 `invalid_registration`: the registration breaks a rule; every problem is listed
    /// (codes only: the values are personal data).
    #[error("invalid registration: {}", codes(.0))]
    InvalidRegistration(Vec<RegistrationProblem>),
    /// 409 `idempotency_key_reused`: this client already used the key for another request.
    #[error("the idempotency key was already used for another request")]
    IdempotencyKeyReused,
    /// 409 `registration_closed`: the registration is placed or withdrawn.
    #[error("this registration is placed or withdrawn")]
    RegistrationClosed,
    /// 409 `report_not_pending`: the report was already confirmed or reverted.
    #[error("this report is no longer waiting for confirmation")]
    ReportNotPending,
    /// 404 `not_found`: no such registration, or no such report of it.
    #[error("no such resource")]
    NotFound,
    /// 500 `internal`: storage failed.
    #[error("storage failed")]
    Storage(#[from] StoreError),
}

fn codes(problems: &[RegistrationProblem]) -> String {
    problems
        .iter()
        .map(|p| p.code())
        .collect::<Vec<_>>()
        .join(", ")
}

impl IntakeFailure {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            IntakeFailure::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            IntakeFailure::NotIntakeClient => (StatusCode::FORBIDDEN, "intake_client_required"),
            IntakeFailure::ClientRevoked => (StatusCode::UNAUTHORIZED, "intake_client_revoked"),
            IntakeFailure::CertificateExpired => (StatusCode::UNAUTHORIZED, "certificate_expired"),
            IntakeFailure::InvalidRegistration(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_registration")
            }
            IntakeFailure::IdempotencyKeyReused => (StatusCode::CONFLICT, "idempotency_key_reused"),
            IntakeFailure::RegistrationClosed => (StatusCode::CONFLICT, "registration_closed"),
            IntakeFailure::ReportNotPending => (StatusCode::CONFLICT, "report_not_pending"),
            IntakeFailure::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            IntakeFailure::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for IntakeFailure {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            tracing::error!(error = %self, source = ?std::error::Error::source(&self), "intake request failed");
            "internal error; the service logged the details".to_owned()
        } else {
            crate::metrics::request_refused(code);
            tracing::info!(code, "intake request refused");
            self.to_string()
        };
        let body = ApiError {
            code: code.to_owned(),
            message,
        };
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refusal_body_is_pinned_and_names_codes_only() {
        let response = IntakeFailure::InvalidRegistration(vec![
            RegistrationProblem::ChildNotBorn,
            RegistrationProblem::TooManyChoices,
        ])
        .into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .expect("body");
        assert_eq!(
            std::str::from_utf8(&body).expect("utf-8"),
            r#"{"code":"invalid_registration","message":"invalid registration: child_not_born, too_many_choices"}"#
        );
    }
}
