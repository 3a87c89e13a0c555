//! How often enrolment may be attempted: a token bucket per peer address and one for the whole
//! listener, on the service's clock.
//!
//! Codes carry 100 random bits and live 15 minutes, so guessing one is hopeless already; the
//! limit is there so that trying costs the attacker time, shows up as one alert instead of a
//! flood, and so that an enrolment (a transaction and, once the code is good, a signature)
//! cannot be used to load the service.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Attempts one peer address may make in a burst: a person mistyping a code a few times, or a
/// site enrolling its handful of workstations behind one address, stays under it.
pub const PER_PEER_BURST: u32 = 10;
/// One more attempt per peer every this long once the burst is spent: retrying by hand is still
/// possible; a script gets 60 attempts an hour.
pub const PER_PEER_REFILL: Duration = Duration::seconds(60);
/// Attempts all peers together may make in a burst: a co-operative enrolling a room of
/// workstations at once.
pub const OVERALL_BURST: u32 = 60;
/// One more attempt for all peers every this long: an attacker rotating addresses gets 720
/// attempts an hour in total, and legitimate enrolments wait seconds, not hours.
pub const OVERALL_REFILL: Duration = Duration::seconds(5);

/// The two buckets' sizes and refill periods (defaults: the constants above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrolmentRateLimits {
    /// Attempts one peer address may make in a burst.
    pub per_peer_burst: u32,
    /// One more attempt per peer every this long.
    pub per_peer_refill: Duration,
    /// Attempts all peers together may make in a burst.
    pub overall_burst: u32,
    /// One more attempt for all peers every this long.
    pub overall_refill: Duration,
}

impl Default for EnrolmentRateLimits {
    fn default() -> Self {
        EnrolmentRateLimits {
            per_peer_burst: PER_PEER_BURST,
            per_peer_refill: PER_PEER_REFILL,
            overall_burst: OVERALL_BURST,
            overall_refill: OVERALL_REFILL,
        }
    }
}
/// Peer addresses remembered at most. Peers are only added while the overall bucket has
/// tokens, so this bound is reached only over a long time; full buckets (peers who stopped)
/// are forgotten first, as they are worth nothing.
const MAX_TRACKED_PEERS: usize = 10_000;

/// The answer to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Go on.
    Allowed,
    /// Refused: retry after `retry_after`. `first` is true for the first refusal since this
    /// peer (or the listener) was last allowed: that one is audited and alerted on, the rest of
    /// the burst only counted, so a flood of refusals cannot flood the audit log.
    Limited {
        /// How long until an attempt would be allowed.
        retry_after: Duration,
        /// First refusal of this burst.
        first: bool,
        /// The whole listener is limited, not only this peer.
        overall: bool,
    },
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens, in thousandths of an attempt, so that refill is exact in integers.
    millitokens: i64,
    updated: DateTime<Utc>,
    /// Whether a refusal was already reported since the last allowed attempt.
    reported: bool,
}

impl Bucket {
    fn full(burst: u32, now: DateTime<Utc>) -> Bucket {
        Bucket {
            millitokens: i64::from(burst) * 1000,
            updated: now,
            reported: false,
        }
    }

    fn refill(&mut self, burst: u32, refill: Duration, now: DateTime<Utc>) {
        let elapsed = (now - self.updated).num_milliseconds().max(0);
        let per_token = refill.num_milliseconds().max(1);
        let gained = elapsed.saturating_mul(1000) / per_token;
        self.millitokens = (self.millitokens + gained).min(i64::from(burst) * 1000);
        self.updated = now;
    }

    fn is_full(&self, burst: u32) -> bool {
        self.millitokens >= i64::from(burst) * 1000
    }

    fn has_token(&self) -> bool {
        self.millitokens >= 1000
    }

    fn wait(&self, refill: Duration) -> Duration {
        let missing = 1000 - self.millitokens;
        let per_token = refill.num_milliseconds().max(1);
        // missing (thousandths of a token) × per_token (ms) is in microseconds; rounded up to
        // whole seconds, as Retry-After has no finer unit.
        Duration::seconds((missing * per_token + 999_999) / 1_000_000)
    }

    fn refuse(&mut self, refill: Duration) -> (Duration, bool) {
        let first = !self.reported;
        self.reported = true;
        (self.wait(refill), first)
    }
}

/// Both buckets.
#[derive(Debug)]
pub struct EnrolmentAttempts {
    limits: EnrolmentRateLimits,
    state: Mutex<Option<Buckets>>,
}

#[derive(Debug)]
struct Buckets {
    overall: Bucket,
    peers: HashMap<IpAddr, Bucket>,
}

impl EnrolmentAttempts {
    /// Buckets of these sizes, full.
    pub fn new(limits: EnrolmentRateLimits) -> EnrolmentAttempts {
        EnrolmentAttempts {
            limits,
            state: Mutex::new(None),
        }
    }

    /// Counts one attempt from `peer` at `now`.
    pub fn attempt(&self, peer: IpAddr, now: DateTime<Utc>) -> Attempt {
        // A poisoned lock only means another attempt panicked mid-update; the counts are
        // still usable.
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let EnrolmentRateLimits {
            per_peer_burst,
            per_peer_refill,
            overall_burst,
            overall_refill,
        } = self.limits;
        let buckets = guard.get_or_insert_with(|| Buckets {
            overall: Bucket::full(overall_burst, now),
            peers: HashMap::new(),
        });
        buckets.overall.refill(overall_burst, overall_refill, now);
        if !buckets.overall.has_token() {
            let (retry_after, first) = buckets.overall.refuse(overall_refill);
            return Attempt::Limited {
                retry_after,
                first,
                overall: true,
            };
        }
        if buckets.peers.len() >= MAX_TRACKED_PEERS && !buckets.peers.contains_key(&peer) {
            buckets.peers.retain(|_, bucket| {
                bucket.refill(per_peer_burst, per_peer_refill, now);
                !bucket.is_full(per_peer_burst)
            });
        }
        let bucket = buckets
            .peers
            .entry(peer)
            .or_insert_with(|| Bucket::full(per_peer_burst, now));
        bucket.refill(per_peer_burst, per_peer_refill, now);
        if !bucket.has_token() {
            let (retry_after, first) = bucket.refuse(per_peer_refill);
            return Attempt::Limited {
                retry_after,
                first,
                overall: false,
            };
        }
        bucket.millitokens -= 1000;
        bucket.reported = false;
        buckets.overall.millitokens -= 1000;
        buckets.overall.reported = false;
        Attempt::Allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_is_limited_after_its_burst_and_refilled_over_time() {
        let attempts = EnrolmentAttempts::new(EnrolmentRateLimits::default());
        let peer: IpAddr = "192.0.2.7".parse().expect("ip");
        let other: IpAddr = "192.0.2.8".parse().expect("ip");
        let now = Utc::now();
        for _ in 0..PER_PEER_BURST {
            assert_eq!(attempts.attempt(peer, now), Attempt::Allowed);
        }
        assert_eq!(
            attempts.attempt(peer, now),
            Attempt::Limited {
                retry_after: PER_PEER_REFILL,
                first: true,
                overall: false
            }
        );
        assert!(matches!(
            attempts.attempt(peer, now),
            Attempt::Limited { first: false, .. }
        ));
        assert_eq!(attempts.attempt(other, now), Attempt::Allowed);
        assert_eq!(
            attempts.attempt(peer, now + PER_PEER_REFILL),
            Attempt::Allowed
        );
    }

    #[test]
    fn all_peers_together_are_limited() {
        let attempts = EnrolmentAttempts::new(EnrolmentRateLimits::default());
        let now = Utc::now();
        let mut allowed = 0;
        for host in 0..=255u8 {
            let peer = IpAddr::from([198, 51, 100, host]);
            if attempts.attempt(peer, now) == Attempt::Allowed {
                allowed += 1;
            }
        }
        assert_eq!(allowed, OVERALL_BURST);
    }
}
