//! The two cliffs a workstation can walk off without noticing, and the warnings before them:
//!
//! - the **certificate's expiry**: past it the service refuses this computer and only a new
//!   code from the operator brings it back (the app renews it by itself well before, whenever
//!   it is online; the warning comes only when that has not happened);
//! - the **end of the offline period**: past it, without a successful sync, the cache is
//!   wiped (families' data; the unsent answers are kept).
//!
//! From [`WARNING_DAYS`] before each, the screens show a banner with the date and what to do,
//! and a desktop notification is shown once per cliff at each of [`NOTICE_THRESHOLDS_DAYS`].
//! The certificate's warnings wait for its renewal point as well: before it the app could not
//! have renewed it yet, and a warning would be a false alarm.
//! Everything here is pure; [`crate::Cache::cliff_notices_due`] remembers what was notified.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::notice::NoticeLanguage;

/// How long before a cliff the banner shows.
pub const WARNING_DAYS: i64 = 3;

/// The days before a cliff at which a desktop notification is shown (once each).
pub const NOTICE_THRESHOLDS_DAYS: [i64; 2] = [3, 1];

/// Which cliff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum CliffKind {
    /// The device certificate stops being accepted.
    CertificateExpiry,
    /// The cache is wiped for want of a successful sync.
    OfflinePeriodEnd,
}

impl CliffKind {
    /// Stable code (storage, screens).
    pub fn code(self) -> &'static str {
        match self {
            CliffKind::CertificateExpiry => "certificate_expiry",
            CliffKind::OfflinePeriodEnd => "offline_period_end",
        }
    }
}

/// A cliff and when it comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cliff {
    /// Which.
    pub kind: CliffKind,
    /// When.
    pub at: DateTime<Utc>,
    /// No warning before this (the certificate's renewal point; for the offline period, the
    /// start of time).
    pub not_before: DateTime<Utc>,
}

impl Cliff {
    fn warned_at(&self, now: DateTime<Utc>, days: i64) -> bool {
        now >= self.not_before && self.at - now <= Duration::days(days)
    }
}

/// A banner's worth: a cliff near or passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CliffWarning {
    /// Which cliff.
    pub kind: CliffKind,
    /// RFC 3339 instant it comes (or came).
    pub at: String,
    /// Whether it has come already (the certificate expired: enrol again with a new code).
    pub passed: bool,
}

/// The cliffs ahead of this workstation: the certificate's end if enrolled (`certificate`:
/// its renewal point and its end), and the end of the offline period if it ever synced.
pub fn cliffs(
    certificate: Option<(DateTime<Utc>, DateTime<Utc>)>,
    last_successful_sync: Option<DateTime<Utc>>,
    offline_period: Duration,
) -> Vec<Cliff> {
    let certificate = certificate.map(|(renew_after, not_after)| Cliff {
        kind: CliffKind::CertificateExpiry,
        at: not_after,
        not_before: renew_after,
    });
    let offline = last_successful_sync.map(|last| Cliff {
        kind: CliffKind::OfflinePeriodEnd,
        at: last + offline_period,
        not_before: DateTime::<Utc>::MIN_UTC,
    });
    certificate.into_iter().chain(offline).collect()
}

/// The banners due at `now`: every cliff less than [`WARNING_DAYS`] away, or passed.
pub fn warnings(cliffs: &[Cliff], now: DateTime<Utc>) -> Vec<CliffWarning> {
    cliffs
        .iter()
        .filter(|cliff| cliff.warned_at(now, WARNING_DAYS))
        .map(|cliff| CliffWarning {
            kind: cliff.kind,
            at: cliff.at.to_rfc3339(),
            passed: cliff.at <= now,
        })
        .collect()
}

/// The notifications due at `now` that were not shown yet (`shown`: cliff and threshold in
/// days), with the notices to remember. A cliff already passed is not notified: the banner and
/// the error say it, and a notification then would only repeat it.
pub fn notices_due(
    cliffs: &[Cliff],
    shown: &std::collections::HashSet<(Cliff, i64)>,
    now: DateTime<Utc>,
) -> Vec<(Cliff, i64)> {
    cliffs
        .iter()
        .filter(|cliff| cliff.at > now)
        .filter_map(|cliff| {
            // The nearest threshold reached: one notification, however late the app looks.
            NOTICE_THRESHOLDS_DAYS
                .iter()
                .copied()
                .filter(|days| cliff.warned_at(now, *days))
                .min()
                .map(|days| (*cliff, days))
        })
        .filter(|due| !shown.contains(due))
        .collect()
}

/// A notification's text, in `language`, with the date in the cliff's own words. The date is
/// written in Québec time, as the director reads it.
pub fn notice_text(cliff: &Cliff, language: NoticeLanguage) -> String {
    let day = cliff
        .at
        .with_timezone(&chrono_tz::America::Montreal)
        .format("%Y-%m-%d %H:%M");
    match (cliff.kind, language) {
        (CliffKind::CertificateExpiry, NoticeLanguage::FrCa) => format!(
            "Le certificat de ce poste expire le {day}. Connectez le poste au réseau pour qu'il \
             se renouvelle; sinon, demandez un nouveau code à l'opérateur."
        ),
        (CliffKind::CertificateExpiry, NoticeLanguage::EnCa) => format!(
            "This computer's certificate expires on {day}. Connect it to the network so that it \
             renews itself; otherwise ask the operator for a new code."
        ),
        (CliffKind::OfflinePeriodEnd, NoticeLanguage::FrCa) => format!(
            "Sans synchronisation réussie d'ici le {day}, la copie locale sera effacée (les \
             réponses non envoyées sont conservées). Connectez-vous et synchronisez."
        ),
        (CliffKind::OfflinePeriodEnd, NoticeLanguage::EnCa) => format!(
            "Without a successful sync by {day}, the local copy will be wiped (unsent answers \
             are kept). Connect and sync."
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_banner_shows_from_three_days_before_each_cliff() {
        let not_after = at("2026-12-10T12:00:00Z");
        let renew_after = at("2026-12-06T00:00:00Z");
        let last_sync = at("2026-12-05T12:00:00Z");
        let all = cliffs(
            Some((renew_after, not_after)),
            Some(last_sync),
            Duration::days(7),
        );
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].at, at("2026-12-12T12:00:00Z"));

        let just_before = not_after - Duration::days(3) - Duration::seconds(1);
        assert!(warnings(&all, just_before).is_empty());
        let from = warnings(&all, not_after - Duration::days(3));
        assert_eq!(from.len(), 1);
        assert_eq!(from[0].kind, CliffKind::CertificateExpiry);
        assert!(!from[0].passed);

        // Renewal not due yet: no false alarm, however close the end.
        let late_renewal = cliffs(
            Some((not_after - Duration::days(1), not_after)),
            None,
            Duration::days(7),
        );
        assert!(warnings(&late_renewal, not_after - Duration::days(2)).is_empty());
        assert_eq!(
            warnings(&late_renewal, not_after - Duration::days(1)).len(),
            1
        );

        let both = warnings(&all, at("2026-12-10T12:00:00Z"));
        assert_eq!(both.len(), 2);
        assert!(both[0].passed, "the certificate expired at that instant");
        assert!(!both[1].passed);
    }

    #[test]
    fn no_cliff_without_an_enrolment_or_a_first_sync() {
        assert!(cliffs(None, None, Duration::days(7)).is_empty());
        let only_offline = cliffs(None, Some(at("2026-12-05T00:00:00Z")), Duration::days(2));
        assert_eq!(only_offline[0].kind, CliffKind::OfflinePeriodEnd);
    }

    #[test]
    fn each_threshold_notifies_once_and_a_late_look_notifies_only_the_nearest() {
        let cliff = Cliff {
            kind: CliffKind::OfflinePeriodEnd,
            at: at("2026-12-12T12:00:00Z"),
            not_before: DateTime::<Utc>::MIN_UTC,
        };
        let mut shown = HashSet::new();
        assert!(notices_due(&[cliff], &shown, at("2026-12-09T11:59:59Z")).is_empty());
        let first = notices_due(&[cliff], &shown, at("2026-12-09T12:00:00Z"));
        assert_eq!(first, vec![(cliff, 3)]);
        shown.extend(first);
        assert!(notices_due(&[cliff], &shown, at("2026-12-10T12:00:00Z")).is_empty());
        let second = notices_due(&[cliff], &shown, at("2026-12-11T12:00:00Z"));
        assert_eq!(second, vec![(cliff, 1)]);
        shown.extend(second);
        assert!(notices_due(&[cliff], &shown, at("2026-12-12T11:00:00Z")).is_empty());
        assert!(
            notices_due(&[cliff], &HashSet::new(), at("2026-12-12T12:00:00Z")).is_empty(),
            "a passed cliff is not notified"
        );
        // An app opened for the first time a day before: only the one-day notice.
        assert_eq!(
            notices_due(&[cliff], &HashSet::new(), at("2026-12-11T13:00:00Z")),
            vec![(cliff, 1)]
        );
    }

    #[test]
    fn the_notification_says_the_date_and_what_to_do_in_both_languages() {
        let cliff = Cliff {
            kind: CliffKind::CertificateExpiry,
            at: at("2026-12-12T17:00:00Z"),
            not_before: at("2026-12-09T00:00:00Z"),
        };
        let fr = notice_text(&cliff, NoticeLanguage::FrCa);
        assert!(
            fr.contains("2026-12-12 12:00") && fr.contains("nouveau code"),
            "{fr}"
        );
        let en = notice_text(&cliff, NoticeLanguage::EnCa);
        assert!(
            en.contains("2026-12-12 12:00") && en.contains("new code"),
            "{en}"
        );
    }
}
