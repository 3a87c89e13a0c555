//! The start-up check the director can read (Settings): the keychain, the cache, the
//! certificate, the service, the last sync and the outbox, each with its state and a code the
//! screens turn into what it means and what to do. [`check`] is pure: the shell gathers the
//! [`Facts`], this judges them.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::cliffs::WARNING_DAYS;
use crate::DeskError;

/// What the shell found, each part independently (one failing does not hide the others).
#[derive(Debug)]
pub struct Facts {
    /// The keychain asked without prompting.
    pub keychain: Result<(), DeskError>,
    /// The cache opened (with the wipe it needed, if any), or why not.
    pub cache: Result<Option<crate::WipeReason>, DeskError>,
    /// The device record's certificate validity, if enrolled: (renew after, not after).
    pub certificate: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Asking the service who this computer is, if enrolled.
    pub service: Option<Result<(), DeskError>>,
    /// The last successful sync, if the cache could be read and ever synced.
    pub last_sync: Option<DateTime<Utc>>,
    /// The offline period in force.
    pub offline_period: Duration,
    /// Unsent answers and declarations, and refused ones, if the cache could be read.
    pub outbox: Option<(u32, u32)>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// One part of the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum HealthItem {
    /// The OS keychain.
    Keychain,
    /// The encrypted cache.
    Cache,
    /// The device certificate.
    Certificate,
    /// The central service.
    Service,
    /// The last successful sync.
    LastSync,
    /// The outbox.
    Outbox,
}

/// How it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum HealthState {
    /// Nothing to do.
    Ok,
    /// Works, but needs attention soon.
    Warning,
    /// Does not work now; the code says what to do.
    Problem,
}

/// One line of the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HealthCheck {
    /// Which part.
    pub item: HealthItem,
    /// How it stands.
    pub state: HealthState,
    /// What exactly (the screens' key for the words and the advice).
    pub code: String,
    /// The instant the line is about (an expiry, a sync), RFC 3339.
    pub at: Option<String>,
    /// The count the line is about (outbox entries).
    pub count: Option<u32>,
}

fn line(item: HealthItem, state: HealthState, code: &str) -> HealthCheck {
    HealthCheck {
        item,
        state,
        code: code.to_owned(),
        at: None,
        count: None,
    }
}

fn at(mut check: HealthCheck, instant: DateTime<Utc>) -> HealthCheck {
    check.at = Some(instant.to_rfc3339());
    check
}

/// The check, one line per part, in the order the director reads them.
pub fn check(facts: &Facts) -> Vec<HealthCheck> {
    use HealthItem as I;
    use HealthState as S;
    let soon = Duration::days(WARNING_DAYS);
    let keychain = match &facts.keychain {
        Ok(()) => line(I::Keychain, S::Ok, "ready"),
        Err(err) => line(I::Keychain, S::Problem, err.code()),
    };
    let cache = match &facts.cache {
        Ok(None) => line(I::Cache, S::Ok, "ready"),
        Ok(Some(reason)) => line(I::Cache, S::Warning, wipe_code(*reason)),
        Err(err) => line(I::Cache, S::Problem, err.code()),
    };
    let certificate = match facts.certificate {
        None => line(I::Certificate, S::Problem, "not_enrolled"),
        Some((_, not_after)) if not_after <= facts.now => {
            at(line(I::Certificate, S::Problem, "expired"), not_after)
        }
        Some((_, not_after)) if not_after - facts.now <= soon => {
            at(line(I::Certificate, S::Warning, "expires_soon"), not_after)
        }
        Some((renew_after, not_after)) if renew_after <= facts.now => {
            at(line(I::Certificate, S::Ok, "renewal_due"), not_after)
        }
        Some((_, not_after)) => at(line(I::Certificate, S::Ok, "valid"), not_after),
    };
    let service = match &facts.service {
        None => line(I::Service, S::Warning, "not_checked"),
        Some(Ok(())) => line(I::Service, S::Ok, "reachable"),
        Some(Err(err)) => line(I::Service, S::Problem, err.code()),
    };
    let last_sync = match facts.last_sync {
        None => line(I::LastSync, S::Warning, "never"),
        Some(last) => {
            let end = last + facts.offline_period;
            let state = if end - facts.now <= soon {
                S::Warning
            } else {
                S::Ok
            };
            let code = if state == S::Ok {
                "recent"
            } else {
                "wipe_soon"
            };
            at(line(I::LastSync, state, code), last)
        }
    };
    let outbox = match facts.outbox {
        None => line(I::Outbox, S::Problem, "unreadable"),
        Some((_, conflicts)) if conflicts > 0 => HealthCheck {
            count: Some(conflicts),
            ..line(I::Outbox, S::Warning, "conflicts")
        },
        Some((0, _)) => line(I::Outbox, S::Ok, "empty"),
        Some((pending, _)) => HealthCheck {
            count: Some(pending),
            ..line(I::Outbox, S::Ok, "pending")
        },
    };
    vec![keychain, cache, certificate, service, last_sync, outbox]
}

fn wipe_code(reason: crate::WipeReason) -> &'static str {
    use crate::WipeReason as W;
    match reason {
        W::Requested => "wiped_requested",
        W::Revoked => "wiped_revoked",
        W::RetentionExpired => "wiped_retention_expired",
        W::KeyMissing => "wiped_key_missing",
        W::Unreadable => "wiped_unreadable",
        W::OtherDaycare => "wiped_other_daycare",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn healthy() -> Facts {
        Facts {
            keychain: Ok(()),
            cache: Ok(None),
            certificate: Some((at("2026-12-04T00:00:00Z"), at("2026-12-08T00:00:00Z"))),
            service: Some(Ok(())),
            last_sync: Some(at("2026-12-01T00:00:00Z")),
            offline_period: Duration::days(7),
            outbox: Some((0, 0)),
            now: at("2026-12-01T12:00:00Z"),
        }
    }

    fn states(facts: &Facts) -> Vec<(HealthItem, HealthState, String)> {
        check(facts)
            .into_iter()
            .map(|c| (c.item, c.state, c.code))
            .collect()
    }

    #[test]
    fn a_healthy_workstation_is_all_ok() {
        assert!(check(&healthy()).iter().all(|c| c.state == HealthState::Ok));
    }

    #[test]
    fn a_locked_keychain_is_a_problem_named_as_such_and_the_rest_still_judged() {
        let facts = Facts {
            keychain: Err(DeskError::KeychainLocked("locked".into())),
            cache: Err(DeskError::KeychainLocked("locked".into())),
            outbox: None,
            last_sync: None,
            ..healthy()
        };
        let lines = states(&facts);
        assert_eq!(
            lines[0],
            (
                HealthItem::Keychain,
                HealthState::Problem,
                "keychain_locked".into()
            )
        );
        assert_eq!(lines[1].2, "keychain_locked");
        assert_eq!(
            lines[2].1,
            HealthState::Ok,
            "the certificate is still judged"
        );
        assert_eq!(lines[5].2, "unreadable");
    }

    #[test]
    fn the_certificate_goes_from_valid_to_renewal_due_to_soon_to_expired() {
        let code = |now: &str| {
            let facts = Facts {
                now: at(now),
                ..healthy()
            };
            check(&facts)[2].code.clone()
        };
        assert_eq!(code("2026-12-01T00:00:00Z"), "valid");
        assert_eq!(code("2026-12-04T00:00:00Z"), "renewal_due");
        assert_eq!(code("2026-12-04T23:59:59Z"), "renewal_due");
        assert_eq!(code("2026-12-05T00:00:00Z"), "expires_soon");
        assert_eq!(code("2026-12-08T00:00:00Z"), "expired");
    }

    #[test]
    fn the_last_sync_warns_three_days_before_the_wipe_and_the_outbox_counts() {
        let facts = Facts {
            now: at("2026-12-05T00:00:00Z"),
            outbox: Some((2, 0)),
            ..healthy()
        };
        let lines = check(&facts);
        assert_eq!(lines[4].code, "wipe_soon");
        assert_eq!(lines[5].code, "pending");
        assert_eq!(lines[5].count, Some(2));
        let conflicts = Facts {
            outbox: Some((2, 1)),
            ..healthy()
        };
        assert_eq!(check(&conflicts)[5].code, "conflicts");
        let unreachable = Facts {
            service: Some(Err(DeskError::ServerUnreachable("cut".into()))),
            ..healthy()
        };
        assert_eq!(check(&unreachable)[3].code, "server_unreachable");
    }
}
