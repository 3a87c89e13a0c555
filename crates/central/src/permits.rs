//! What a daycare's permit allows a workstation to declare, and how many referrals it may
//! receive over a rolling window (DESIGN.md §6.13): a compromised workstation cannot turn its
//! permit into the whole waiting list.
//!
//! The store reads the counts inside the declaration's transaction (declarations are
//! serialized) and these rules decide.

use chrono::Duration;

use crate::referrals::REFERRALS_PER_PLACE;

/// Whether a declaration of `declared` places fits a class whose permit gives
/// `permit_places`, when `open_declared` places of that class are already declared and not
/// yet filled by an accepted referral. A class without permit places takes no declaration.
pub fn declaration_fits_permit(permit_places: u32, open_declared: u64, declared: u32) -> bool {
    open_declared.saturating_add(u64::from(declared)) <= u64::from(permit_places)
}

/// The rolling window over which referrals issued to one daycare are counted.
pub fn referral_window() -> Duration {
    Duration::days(30)
}

/// How many times a daycare's whole permit may be referred over [`referral_window`]. Each
/// place gets [`REFERRALS_PER_PLACE`] candidates; a month sees at most about one full
/// turnover of a daycare's places on top of the referrals already open (a September intake
/// refills every place once, and refusals call for top-ups), so twice the permit's referrals
/// serves the busiest honest month while a workstation declaring and filling places over and
/// over to read the list stops there.
pub const PERMIT_TURNOVERS_PER_WINDOW: u32 = 2;

/// The most referrals a daycare with `permit_total` places may be issued over
/// [`referral_window`].
pub fn referral_bound(permit_total: u32) -> u64 {
    u64::from(permit_total)
        * u64::from(REFERRALS_PER_PLACE)
        * u64::from(PERMIT_TURNOVERS_PER_WINDOW)
}

/// How many more referrals a daycare may receive now: the bound for its permit less the
/// referrals `issued_in_window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferralRoom {
    /// Referrals issued to the daycare within [`referral_window`].
    pub issued_in_window: u64,
    /// [`referral_bound`] of its permit.
    pub bound: u64,
}

impl ReferralRoom {
    /// Referrals that may still be issued in the window.
    pub fn remaining(&self) -> usize {
        usize::try_from(self.bound.saturating_sub(self.issued_in_window)).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_places_and_the_new_ones_must_fit_the_permit() {
        assert!(declaration_fits_permit(25, 0, 25));
        assert!(declaration_fits_permit(25, 20, 5));
        assert!(!declaration_fits_permit(25, 20, 6));
        assert!(!declaration_fits_permit(0, 0, 1));
        assert!(!declaration_fits_permit(25, u64::MAX, 1));
    }

    #[test]
    fn the_referral_room_is_the_bound_less_what_was_issued() {
        let room = ReferralRoom {
            issued_in_window: 140,
            bound: referral_bound(25),
        };
        assert_eq!(room.bound, 150);
        assert_eq!(room.remaining(), 10);
        let spent = ReferralRoom {
            issued_in_window: 200,
            bound: 150,
        };
        assert_eq!(spent.remaining(), 0);
    }
}
