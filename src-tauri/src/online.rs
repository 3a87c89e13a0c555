//! What the screens get only online and never keep: a family's contact details (an audited
//! reveal, for a regulated reason) and the de-identified demand figures.

use placeforte_protocol::referrals::{ContactDetails, DemandCell, DemandReport, RevealReason};
use serde::{Deserialize, Serialize};

use crate::view::AgeClassCode;

/// Why the director asks for a family's contact details (the service's regulated list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RevealReasonCode {
    /// To call the family about the offered place.
    OfferCall,
    /// To follow up on an earlier call.
    FollowUp,
    /// To prepare the admission once the place is accepted.
    AdmissionPaperwork,
    /// Anything else: the note says what.
    Other,
}

impl From<RevealReasonCode> for RevealReason {
    fn from(code: RevealReasonCode) -> Self {
        match code {
            RevealReasonCode::OfferCall => RevealReason::OfferCall,
            RevealReasonCode::FollowUp => RevealReason::FollowUp,
            RevealReasonCode::AdmissionPaperwork => RevealReason::AdmissionPaperwork,
            RevealReasonCode::Other => RevealReason::Other,
        }
    }
}

/// A family's contact details, for the screen's memory only.
#[derive(Clone, Serialize, specta::Type)]
pub struct ContactView {
    /// The referral.
    pub referral_id: String,
    /// The child's given name.
    pub child_given_name: String,
    /// The child's family name.
    pub child_family_name: String,
    /// A parent's given name.
    pub parent_given_name: String,
    /// A parent's family name.
    pub parent_family_name: String,
    /// A parent's phone number.
    pub parent_phone: String,
    /// A parent's e-mail address.
    pub parent_email: String,
}

/// Personal data stays out of logs, even by accident through `{:?}`.
impl std::fmt::Debug for ContactView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactView")
            .field("referral_id", &self.referral_id)
            .finish_non_exhaustive()
    }
}

impl From<ContactDetails> for ContactView {
    fn from(details: ContactDetails) -> Self {
        ContactView {
            referral_id: details.referral_id.to_string(),
            child_given_name: details.child_given_name,
            child_family_name: details.child_family_name,
            parent_given_name: details.parent_given_name,
            parent_family_name: details.parent_family_name,
            parent_phone: details.parent_phone,
            parent_email: details.parent_email,
        }
    }
}

/// Children waiting for this daycare, by age class and start month.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DemandView {
    /// The day the figures were computed (`YYYY-MM-DD`).
    pub as_of: String,
    /// One cell per age class and month that has any child.
    pub cells: Vec<DemandCellView>,
}

/// One age class in one start month.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DemandCellView {
    /// The age class on the first day of the month.
    pub age_class: AgeClassCode,
    /// `YYYY-MM`.
    pub start_month: String,
    /// The count in decimal, or `"<5"` as the service suppresses small counts.
    pub children: String,
}

impl From<DemandReport> for DemandView {
    fn from(report: DemandReport) -> Self {
        DemandView {
            as_of: report.as_of.to_string(),
            cells: report.cells.into_iter().map(DemandCellView::from).collect(),
        }
    }
}

impl From<DemandCell> for DemandCellView {
    fn from(cell: DemandCell) -> Self {
        DemandCellView {
            age_class: cell.age_class.into(),
            start_month: cell.start_month,
            children: cell.children,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_details_never_reach_a_debug_log() {
        let view = ContactView {
            referral_id: "r".into(),
            child_given_name: "Zoé".into(),
            child_family_name: "Tremblay".into(),
            parent_given_name: "Luc".into(),
            parent_family_name: "Tremblay".into(),
            parent_phone: "555-0100".into(),
            parent_email: "luc@example.invalid".into(),
        };
        let logged = format!("{view:?}");
        for secret in ["Zoé", "Tremblay", "Luc", "555-0100", "luc@"] {
            assert!(!logged.contains(secret), "{logged}");
        }
    }
}
