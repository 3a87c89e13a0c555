//! What the desktop asks the service for and never keeps: a family's contact details (an
//! audited reveal with a reason) and the de-identified demand figures.
//!
//! Contact details are returned to the caller only: nothing of them is written to the cache,
//! to a file or to a log, so the screen holds them in memory while the director calls.

use placeforte_protocol::checks::reveal_note;
use placeforte_protocol::referrals::{
    ContactDetails, DemandReport, RevealContact, RevealReason, CONTACT_PATH, DEMAND_PATH,
};
use placeforte_protocol::ReferralId;

use crate::device::EnrolledDevice;
use crate::error::DeskError;

/// The status the service answers when the device has used its reveals for today.
const TOO_MANY_REQUESTS: u16 = 429;

impl EnrolledDevice {
    /// Reveals the contact details of a referred family, for `reason` (the service audits
    /// every reveal and counts them against the device's daily quota, the daycare's daily and
    /// weekly budgets and the referral's own limit). The note is checked
    /// as the service checks it before anything is sent ([`DeskError::InvalidReveal`]).
    ///
    /// Offline it fails with [`DeskError::RevealNeedsNetwork`]: contact details are never
    /// cached, so there is nothing to show without the service.
    pub async fn reveal_contact(
        &self,
        referral: ReferralId,
        reason: RevealReason,
        note: Option<String>,
    ) -> Result<ContactDetails, DeskError> {
        let note = reveal_note(reason, note)?;
        let path = CONTACT_PATH.replace("{id}", &referral.to_string());
        let details: ContactDetails = self
            .post(&path, &RevealContact { reason, note })
            .await
            .map_err(|err| match err {
                DeskError::ServerUnreachable(_) => DeskError::RevealNeedsNetwork,
                DeskError::Refused {
                    status: TOO_MANY_REQUESTS,
                    code,
                } => match code.as_str() {
                    "reveal_budget_exceeded" => DeskError::RevealBudgetExceeded,
                    "reveal_limit_reached" => DeskError::RevealLimitReached,
                    _ => DeskError::RevealQuotaExceeded,
                },
                other => other,
            })?;
        if details.referral_id != referral {
            return Err(DeskError::Protocol(
                "the service revealed another referral's contact".into(),
            ));
        }
        Ok(details)
    }

    /// The children waiting for this daycare, by age class and start month, with small
    /// counts suppressed by the service.
    pub async fn demand(&self) -> Result<DemandReport, DeskError> {
        self.get(DEMAND_PATH).await
    }
}
