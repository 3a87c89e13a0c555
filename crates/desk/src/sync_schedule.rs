//! When the open app syncs by itself: every few minutes while the service answers, backing
//! off (doubling, to a cap) while it does not, so an office without network is not hammered
//! and a service coming back is met within the cap.
//!
//! Pure: the shell's loop sleeps for [`SyncSchedule::next_delay`], runs one background sync
//! and reports how it went with [`SyncSchedule::record`].

use std::time::Duration;

/// How often the open app syncs while the service answers.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The longest wait between two tries while the service is unreachable.
pub const DEFAULT_BACKOFF_CAP: Duration = Duration::from_secs(30 * 60);

/// How one background sync went, as far as the schedule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncAttempt {
    /// The service answered and the sync finished.
    Synced,
    /// The service could not be reached, or answered with trouble of its own: try later,
    /// less often.
    Unreachable,
    /// Nothing was tried: not enrolled, wiped, the keychain locked, or a manual sync running.
    /// The next try comes after the plain interval.
    Skipped,
}

/// The background sync's timetable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSchedule {
    interval: Duration,
    cap: Duration,
    delay: Duration,
}

impl Default for SyncSchedule {
    fn default() -> Self {
        SyncSchedule::new(DEFAULT_INTERVAL, DEFAULT_BACKOFF_CAP)
    }
}

impl SyncSchedule {
    /// Syncs every `interval`, backing off to at most `cap` (never below `interval`).
    pub fn new(interval: Duration, cap: Duration) -> Self {
        SyncSchedule {
            interval,
            cap: cap.max(interval),
            delay: interval,
        }
    }

    /// How long to wait before the next background sync.
    pub fn next_delay(&self) -> Duration {
        self.delay
    }

    /// Takes the outcome of a background sync into account: a success or a skip resets the
    /// wait to the interval, an unreachable service doubles it up to the cap.
    pub fn record(&mut self, attempt: SyncAttempt) {
        self.delay = match attempt {
            SyncAttempt::Synced | SyncAttempt::Skipped => self.interval,
            SyncAttempt::Unreachable => self.delay.saturating_mul(2).min(self.cap),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn it_syncs_every_five_minutes_while_the_service_answers() {
        let mut schedule = SyncSchedule::default();
        assert_eq!(schedule.next_delay(), 5 * MINUTE);
        schedule.record(SyncAttempt::Synced);
        schedule.record(SyncAttempt::Synced);
        assert_eq!(schedule.next_delay(), 5 * MINUTE);
    }

    #[test]
    fn an_unreachable_service_doubles_the_wait_up_to_thirty_minutes() {
        let mut schedule = SyncSchedule::default();
        let mut waits = Vec::new();
        for _ in 0..6 {
            schedule.record(SyncAttempt::Unreachable);
            waits.push(schedule.next_delay().as_secs() / 60);
        }
        assert_eq!(waits, [10, 20, 30, 30, 30, 30]);
    }

    #[test]
    fn a_success_or_a_skip_resets_the_back_off() {
        let mut schedule = SyncSchedule::default();
        schedule.record(SyncAttempt::Unreachable);
        schedule.record(SyncAttempt::Unreachable);
        schedule.record(SyncAttempt::Synced);
        assert_eq!(schedule.next_delay(), 5 * MINUTE);
        schedule.record(SyncAttempt::Unreachable);
        schedule.record(SyncAttempt::Skipped);
        assert_eq!(schedule.next_delay(), 5 * MINUTE);
    }

    #[test]
    fn a_cap_below_the_interval_never_shortens_the_interval() {
        let mut schedule = SyncSchedule::new(10 * MINUTE, MINUTE);
        schedule.record(SyncAttempt::Unreachable);
        assert_eq!(schedule.next_delay(), 10 * MINUTE);
    }
}
