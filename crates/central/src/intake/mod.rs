//! Registrations in: the trusted intake interface of the province's registration front end
//! (its own client identity, `identity`), the checks a registration passes before anything is
//! written (`validate`), the handlers (`routes`) and their refusals (`error`), the operator's
//! side (`operator`: intake clients, daycare edits and deactivations) and the bulk import
//! (`import`).
//!
//! Every write is idempotent under the client's key and appended to the audit log in its
//! transaction, naming only opaque ids: `intake:<client>` did `registration.created` on
//! `registration:<id>`; never a name, a date or a contact detail.

pub mod error;
pub mod identity;
pub mod import;
pub mod operator;
pub(crate) mod routes;
pub mod validate;

use chrono::{DateTime, Utc};
use placeforte_protocol::RegistrationId;
use serde::Serialize;

use self::identity::IntakeIdentity;
use crate::store::{AuditEvent, StoreError};

/// What a retry must repeat exactly to get the first answer: the operation, the registration
/// of the path, and the body (its fields in declaration order, so the text is stable).
fn canonical_request<T: Serialize>(
    operation: &str,
    registration: Option<RegistrationId>,
    body: &T,
) -> Result<String, StoreError> {
    Ok(serde_json::to_string(&serde_json::json!({
        "operation": operation,
        "registration": registration,
        "body": body,
    }))?)
}

/// The audit entry of an intake action on `registration`: ids only.
fn intake_event(
    identity: &IntakeIdentity,
    now: DateTime<Utc>,
    action: &str,
    registration: RegistrationId,
) -> AuditEvent {
    AuditEvent::new(
        now,
        identity.actor(),
        action,
        format!("registration:{registration}"),
    )
}
