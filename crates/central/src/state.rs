//! What every handler shares.

use std::sync::Arc;

use chrono::Duration;

use crate::ca::DeviceCa;
use crate::clock::Clock;
use crate::enrolment_limits::EnrolmentRateLimits;

/// Lifetimes and per-device limits the operator can configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Validity of a device certificate (default 7 days).
    pub device_certificate: Duration,
    /// Validity of an enrolment code (default 15 minutes).
    pub enrolment_code: Duration,
    /// Contact reveals one device may make per day (UTC), default 60; over it, 429 and an alert.
    pub reveals_per_device_per_day: u32,
    /// How often enrolment may be attempted, per peer address and overall.
    pub enrolment_attempts: EnrolmentRateLimits,
    /// Days a workstation keeps its cache without a successful sync before wiping it, sent
    /// with every sync page (the operator's policy, within [`OFFLINE_PERIOD_DAYS`]).
    pub offline_period_days: u32,
}

/// The offline period unless the operator sets another.
pub const DEFAULT_OFFLINE_PERIOD_DAYS: u32 = 7;

pub use placeforte_protocol::referrals::OFFLINE_PERIOD_DAYS;

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            device_certificate: Duration::days(7),
            enrolment_code: Duration::minutes(15),
            reveals_per_device_per_day: 60,
            enrolment_attempts: EnrolmentRateLimits::default(),
            offline_period_days: DEFAULT_OFFLINE_PERIOD_DAYS,
        }
    }
}

/// Shared state: the store, the CA, the clock, the lifetimes.
#[derive(Debug)]
pub struct AppState<S> {
    /// The store.
    pub store: S,
    /// The device CA.
    pub ca: Arc<DeviceCa>,
    /// The clock every expiry is checked against.
    pub clock: Arc<dyn Clock>,
    /// Configured lifetimes.
    pub lifetimes: Lifetimes,
}

impl<S: Clone> Clone for AppState<S> {
    fn clone(&self) -> Self {
        AppState {
            store: self.store.clone(),
            ca: Arc::clone(&self.ca),
            clock: Arc::clone(&self.clock),
            lifetimes: self.lifetimes,
        }
    }
}
