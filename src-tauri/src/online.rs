//! What the screens get only online and never keep: a family's contact details (an audited
//! reveal, for a regulated reason) and the de-identified demand figures.

use placeforte_protocol::referrals::ContactDetails;
use serde::Serialize;

/// A family's contact details, for the screen's memory only: without the priority basis, which
/// the screen does not show.
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
