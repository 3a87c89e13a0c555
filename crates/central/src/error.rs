//! The one error type of the HTTP layer. Each variant documents its status; the body is always
//! an [`ApiError`]; internal details are logged, never returned.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use placeforte_protocol::ApiError;

use crate::store::StoreError;

/// Why a request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiFailure {
    /// 401 `unauthenticated`: the connection carries no verified device certificate.
    #[error("no device certificate on this connection")]
    Unauthenticated,
    /// 401 `device_revoked`: the operator revoked this device (or it is unknown).
    #[error("this device is revoked")]
    DeviceRevoked,
    /// 401 `certificate_expired`: the certificate of this connection has expired.
    #[error("the device certificate has expired")]
    CertificateExpired,
    /// 401 `certificate_replaced`: a renewal replaced this connection's certificate (or one is
    /// under way); the device is not revoked and must use its new certificate.
    #[error("this certificate was replaced by a renewal; use the new one")]
    CertificateReplaced,
    /// 429 `too_many_attempts`, with `Retry-After`: this address (or everyone) made too many
    /// enrolment attempts lately.
    #[error("too many enrolment attempts; retry in {retry_after_seconds} s")]
    TooManyAttempts {
        /// Seconds until an attempt would be allowed (the `Retry-After` value).
        retry_after_seconds: u64,
    },
    /// 403 `enrolment_refused`: the code is unknown, used, expired, or for another daycare.
    /// One answer for all four, so the endpoint tells an attacker nothing.
    #[error("the enrolment code is not valid for this daycare")]
    EnrolmentRefused,
    /// 400 `csr_invalid`: the CSR does not parse or its signature does not verify.
    #[error("the certificate signing request is not valid")]
    CsrInvalid,
    /// 409 `renewal_too_early`: renewal opens at two thirds of the certificate's lifetime.
    #[error("renewal is accepted from two thirds of the certificate's lifetime")]
    RenewalTooEarly,
    /// 413 `body_too_large`: the body is over the protocol's limit.
    #[error("the request body is too large")]
    BodyTooLarge,
    /// 400 `malformed_body`: not JSON, wrong types, unknown or missing fields.
    #[error("malformed request body: {0}")]
    MalformedBody(String),
    /// 422 `invalid_vacancy`: the declaration is well-formed but breaks a rule (places, dates,
    /// label).
    #[error("invalid vacancy: {0}")]
    InvalidVacancy(#[from] placeforte_protocol::checks::VacancyError),
    /// 422 `over_permit`: the daycare's open declared places of this age class and these would
    /// exceed its permit for the class (or its permit has no places there).
    #[error("these places exceed the daycare's permit for this age class")]
    OverPermit,
    /// 400 `malformed_query`: unknown or mistyped query parameters.
    #[error("malformed query: {0}")]
    MalformedQuery(String),
    /// 400 `invalid_cursor`: the sync cursor is not one this service wrote.
    #[error("the sync cursor is not valid; sync again without one")]
    InvalidCursor,
    /// 400 `page_too_large`: more referrals per page than the protocol allows.
    #[error("the page size is over the protocol's maximum")]
    PageTooLarge,
    /// 409 `referral_closed`: an outcome was already recorded, or the child was placed or
    /// withdrawn.
    #[error("this referral is closed")]
    ReferralClosed,
    /// 409 `idempotency_key_reused`: this daycare already used the key for another referral
    /// or another declaration.
    #[error("the idempotency key was already used for another request")]
    IdempotencyKeyReused,
    /// 422 `deadline_not_reached`: a missed deadline recorded before the offer expired (the end
    /// of its answer-by day in Québec).
    #[error("the offer has not expired yet; the family may still answer")]
    DeadlineNotReached,
    /// 409 `offer_expired`: the answer reached the service at or after the offer's deadline
    /// (the end of its answer-by day in Québec); the service's clock expired the offer.
    #[error(
        "the offer expired at the end of its answer-by day; the family's time to answer is up"
    )]
    OfferExpired,
    /// 409 `vacancy_filled`: the vacancy already has as many accepted referrals as places.
    #[error("every place of this vacancy is already accepted")]
    VacancyFilled,
    /// 429 `quota_exceeded`: the device used its contact reveals for today.
    #[error("this workstation has used its contact reveals for today")]
    QuotaExceeded,
    /// 429 `reveal_budget_exceeded`: the daycare's workstations together used its contact
    /// reveals for the day or the week (relative to its open referrals).
    #[error("this daycare has used its contact reveals for now")]
    RevealBudgetExceeded,
    /// 429 `reveal_limit_reached`: this referral's contact details were already revealed the
    /// most times allowed.
    #[error("this family's contact details were already revealed the most times allowed")]
    RevealLimitReached,
    /// 422 `invalid_reveal`: the note is too long, holds control characters, or is missing
    /// with the reason `other`.
    #[error("invalid reveal: {0}")]
    InvalidReveal(#[from] placeforte_protocol::checks::RevealNoteError),
    /// 404 `not_found`.
    #[error("no such resource")]
    NotFound,
    /// 500 `internal`: storage failed.
    #[error("storage failed")]
    Storage(#[from] StoreError),
    /// 500 `internal`: signing failed.
    #[error("certificate authority failed: {0}")]
    Authority(#[from] crate::ca::CaError),
}

impl ApiFailure {
    /// HTTP status and stable code.
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiFailure::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiFailure::DeviceRevoked => (StatusCode::UNAUTHORIZED, "device_revoked"),
            ApiFailure::CertificateExpired => (StatusCode::UNAUTHORIZED, "certificate_expired"),
            ApiFailure::CertificateReplaced => (StatusCode::UNAUTHORIZED, "certificate_replaced"),
            ApiFailure::TooManyAttempts { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
            }
            ApiFailure::EnrolmentRefused => (StatusCode::FORBIDDEN, "enrolment_refused"),
            ApiFailure::CsrInvalid => (StatusCode::BAD_REQUEST, "csr_invalid"),
            ApiFailure::RenewalTooEarly => (StatusCode::CONFLICT, "renewal_too_early"),
            ApiFailure::BodyTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            ApiFailure::MalformedBody(_) => (StatusCode::BAD_REQUEST, "malformed_body"),
            ApiFailure::InvalidVacancy(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_vacancy"),
            ApiFailure::OverPermit => (StatusCode::UNPROCESSABLE_ENTITY, "over_permit"),
            ApiFailure::MalformedQuery(_) => (StatusCode::BAD_REQUEST, "malformed_query"),
            ApiFailure::InvalidCursor => (StatusCode::BAD_REQUEST, "invalid_cursor"),
            ApiFailure::PageTooLarge => (StatusCode::BAD_REQUEST, "page_too_large"),
            ApiFailure::ReferralClosed => (StatusCode::CONFLICT, "referral_closed"),
            ApiFailure::IdempotencyKeyReused => (StatusCode::CONFLICT, "idempotency_key_reused"),
            ApiFailure::DeadlineNotReached => {
                (StatusCode::UNPROCESSABLE_ENTITY, "deadline_not_reached")
            }
            ApiFailure::VacancyFilled => (StatusCode::CONFLICT, "vacancy_filled"),
            ApiFailure::OfferExpired => (StatusCode::CONFLICT, "offer_expired"),
            ApiFailure::QuotaExceeded => (StatusCode::TOO_MANY_REQUESTS, "quota_exceeded"),
            ApiFailure::RevealBudgetExceeded => {
                (StatusCode::TOO_MANY_REQUESTS, "reveal_budget_exceeded")
            }
            ApiFailure::RevealLimitReached => {
                (StatusCode::TOO_MANY_REQUESTS, "reveal_limit_reached")
            }
            ApiFailure::InvalidReveal(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_reveal"),
            ApiFailure::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiFailure::Storage(_) | ApiFailure::Authority(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            tracing::error!(error = %self, source = ?std::error::Error::source(&self), "request failed");
            "internal error; the service logged the details".to_owned()
        } else {
            crate::metrics::request_refused(code);
            tracing::info!(code, "request refused");
            self.to_string()
        };
        let retry_after = match &self {
            ApiFailure::TooManyAttempts {
                retry_after_seconds,
            } => Some(retry_after_seconds.to_string()),
            _ => None,
        };
        let body = ApiError {
            code: code.to_owned(),
            message,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry_after.and_then(|s| HeaderValue::from_str(&s).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn internal_details_are_not_returned() {
        let failure = ApiFailure::Storage(StoreError::Database(sqlx::Error::Protocol(
            "secret table layout".into(),
        )));
        let response = failure.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .expect("body");
        let error: ApiError = serde_json::from_slice(&body).expect("ApiError body");
        assert_eq!(error.code, "internal");
        assert!(!error.message.contains("secret table layout"));
    }

    #[tokio::test]
    async fn refusal_body_is_pinned() {
        let response = ApiFailure::DeviceRevoked.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .expect("body");
        assert_eq!(
            std::str::from_utf8(&body).expect("utf-8"),
            r#"{"code":"device_revoked","message":"this device is revoked"}"#
        );
    }
}
