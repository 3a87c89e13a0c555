//! The wire types shared by the central service and the desktop app, versioned.
//!
//! # Conventions (every type in this crate follows them; tests pin them)
//! - **Versioned paths.** Every endpoint lives under [`API_PREFIX`] (`/v1`). A change that an
//!   older peer could misread gets a new prefix, never a silent reinterpretation.
//! - **Unknown fields are refused** (`#[serde(deny_unknown_fields)]`): a misspelt or unexpected
//!   field is an error, not silently dropped data.
//! - **Dates are ISO 8601**: calendar dates as `YYYY-MM-DD` ([`chrono::NaiveDate`]), instants as
//!   RFC 3339 in UTC ([`chrono::DateTime<Utc>`](chrono::DateTime)).
//! - **Ids are opaque**: random UUIDs carried as strings; a peer must not infer anything from
//!   them (no sequence, no daycare or region inside).
//! - **Enumerations are `snake_case` strings**, never numbers.
//! - **Errors** are [`ApiError`] bodies: a stable machine `code` (translated by the app) and an
//!   English `message` for logs. Internal details are never sent.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checks;
pub mod device;
mod ids;
pub mod intake;
pub mod invite;
pub mod referrals;

use serde::{Deserialize, Serialize};

pub use ids::{DaycareId, DeviceId, IdParseError, ReferralId, RegistrationId, VacancyId};

/// A calendar date on the wire: ISO 8601 `YYYY-MM-DD`.
pub type Date = chrono::NaiveDate;

/// An instant on the wire: RFC 3339 in UTC, e.g. `2026-06-01T13:45:00Z`.
pub type Instant = chrono::DateTime<chrono::Utc>;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The path prefix of every endpoint of this protocol version.
pub const API_PREFIX: &str = "/v1";

/// Largest request body any endpoint accepts, in bytes.
pub const MAX_REQUEST_BODY_BYTES: usize = 64 * 1024;

/// The answer to `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    /// Always `"ok"` when the service answers.
    pub status: String,
    /// The protocol version the service speaks.
    pub protocol_version: u32,
}

/// A refusal or failure, as every endpoint returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// Stable machine code (`snake_case`), translated by the app; see [`ApiError::code`].
    pub code: String,
    /// English explanation for logs and support. Never contains personal data.
    pub message: String,
}
