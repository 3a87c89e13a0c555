//! The intake interface: how the province's registration front end (where parents register)
//! hands registrations to the service.
//!
//! Only an intake client reaches these endpoints: a certificate from the service's CA naming an
//! intake client (never a daycare workstation), on the same mutual-TLS listener. Every write
//! carries the sender's idempotency key: a retry with the same body gets the first answer and
//! changes nothing; the key with another body is refused (`idempotency_key_reused`). The bodies
//! hold the personal data of DESIGN.md section 5's central inventory, and never the child's
//! civil-status number (NIREC).

use serde::{Deserialize, Serialize};

use crate::{Date, DaycareId, Instant, RegistrationId};

/// `POST`: a new registration.
pub const INTAKE_REGISTRATIONS_PATH: &str = "/v1/intake/registrations";
/// `PUT`: a registration's details and chosen daycares, replaced as a whole.
pub const INTAKE_REGISTRATION_PATH: &str = "/v1/intake/registrations/{registration_id}";
/// `POST`: the family withdraws its registration.
pub const INTAKE_WITHDRAW_PATH: &str = "/v1/intake/registrations/{registration_id}/withdraw";
/// `GET`: the daycares' reports about this registration that wait for the family's word.
pub const INTAKE_REPORTS_PATH: &str = "/v1/intake/registrations/{registration_id}/reports";
/// `POST`: the family confirms a daycare's report (placing or withdrawing it, …).
pub const INTAKE_CONFIRM_PATH: &str =
    "/v1/intake/registrations/{registration_id}/reports/{report_id}/confirm";

/// The child, as the parent registered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntakeChild {
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Birth date: the child must already be born.
    pub birth_date: Date,
}

/// The parent the daycares call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntakeParent {
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Telephone number.
    pub phone: String,
    /// Email address.
    pub email: String,
}

/// The facts that place a child in a referral category (the 2025 portal's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntakeCategoryFacts {
    /// A parent works at the chosen daycare.
    pub staff_member_child: bool,
    /// The child lives at the same address as a child admitted there.
    pub same_address_as_admitted_child: bool,
    /// The child already has a place in a CPE or subsidized garderie.
    pub already_in_subsidized_care: bool,
}

/// The admission priorities the parent declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntakePriority {
    /// Special needs.
    pub special_needs: bool,
    /// Socio-economic precarity.
    pub socio_economic_precarity: bool,
    /// A parent in education.
    pub parent_in_education: bool,
}

/// Everything a registration holds; an update sends it whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationDetails {
    /// The child.
    pub child: IntakeChild,
    /// The day the parent wants the child to start.
    pub desired_entry_date: Date,
    /// Administrative region of the family's address.
    pub region: String,
    /// An opaque key of the family's address, the same for every child living there (how
    /// "same address as an admitted child" is found); never the address itself.
    pub address_key: String,
    /// The parent to call.
    pub parent: IntakeParent,
    /// Category facts.
    pub facts: IntakeCategoryFacts,
    /// Admission priorities.
    pub priority: IntakePriority,
    /// The chosen daycares, most wanted first: distinct, existing and active.
    pub choices: Vec<DaycareId>,
}

/// `POST /v1/intake/registrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateRegistration {
    /// Idempotency key (a random UUID per registration, sent again with every retry).
    pub idempotency_key: uuid::Uuid,
    /// The registration.
    pub registration: RegistrationDetails,
}

/// `PUT /v1/intake/registrations/{registration_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateRegistration {
    /// Idempotency key (a random UUID per change).
    pub idempotency_key: uuid::Uuid,
    /// The registration as it now is.
    pub registration: RegistrationDetails,
}

/// `POST …/withdraw` and `POST …/confirm`: nothing but the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntakeAction {
    /// Idempotency key (a random UUID per action).
    pub idempotency_key: uuid::Uuid,
}

/// One line of `placeforte-central registrations import FILE` (JSON lines): a registration
/// made before this service took over, with its own registration day (which ranks it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportedRegistration {
    /// The day the parent registered (not after the import, not before the birth).
    pub registered_on: Date,
    /// The registration.
    pub registration: RegistrationDetails,
}

/// The answer to a creation, an update or a withdrawal (the same for every retry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationReceipt {
    /// The registration.
    pub registration_id: RegistrationId,
    /// Where it stands after the request.
    pub status: IntakeRegistrationStatus,
    /// Open referrals this request closed (a withdrawal closes them all).
    pub closed_referrals: u32,
}

/// Where a registration stands, as the front end shows it to the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IntakeRegistrationStatus {
    /// On the list.
    Waiting,
    /// Suspended after a missed deadline (the operator reactivates it at the family's request).
    Suspended,
    /// Placed in a daycare.
    Placed,
    /// Withdrawn.
    Withdrawn,
}

/// A daycare's report about the registration, waiting for the family's confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingReport {
    /// The report.
    pub report_id: uuid::Uuid,
    /// What it would do: `placed`, `suspended` or `withdrawn` (the domain's effect codes).
    pub kind: String,
    /// The daycare that reported it.
    pub daycare_id: DaycareId,
    /// When (RFC 3339, UTC).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub reported_at: Instant,
}

/// `GET …/reports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingReports {
    /// Oldest first.
    pub reports: Vec<PendingReport>,
}

/// The answer to the family's confirmation (the same for every retry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportConfirmed {
    /// The report.
    pub report_id: uuid::Uuid,
    /// The registration's other open referrals the confirmation closed.
    pub closed_referrals: u32,
    /// Further families referred to the places those freed.
    pub further_referrals: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_refused_at_every_level() {
        let good = r#"{"idempotency_key":"6f1c1c55-3b7b-4a4f-9d0e-4a0f7c9b1a11"}"#;
        assert!(serde_json::from_str::<IntakeAction>(good).is_ok());
        let extra = r#"{"idempotency_key":"6f1c1c55-3b7b-4a4f-9d0e-4a0f7c9b1a11","nirec":"x"}"#;
        assert!(serde_json::from_str::<IntakeAction>(extra).is_err());
        let child = r#"{"given_name":"A","family_name":"B","birth_date":"2025-01-01","nirec":"1"}"#;
        assert!(serde_json::from_str::<IntakeChild>(child).is_err());
    }
}
