//! Personal data out on time, on both backends, with the injected clock: a withdrawn family's
//! identifying data is destroyed when its period ends (not a day before), a decided referral's
//! free-text notes are erased after theirs, an open one keeps them, each purge is one audit
//! entry by the retention clock naming only an opaque id, a second sweep changes nothing, and
//! `audit verify` still finds the log intact afterwards.
#![allow(clippy::unwrap_used)]

mod common;

use std::future::Future;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::referral_pool::{declared_referrals, pool, reveal, Pool};
use common::Harness;
use placeforte_central::audit::{self, CheckpointPolicy, VerifyOptions};
use placeforte_central::expiry;
use placeforte_central::operator;
use placeforte_central::retention::{
    self, Purged, REFERRAL_PURGED_ACTION, REGISTRATION_PURGED_ACTION, RETENTION_ACTOR,
};
use placeforte_central::store::{ReferralRecord, Storage};
use placeforte_central::{PostgresStore, SqliteStore};
use placeforte_domain::{end_of_quebec_day, RegistrationStatus, QUEBEC_2025};
use placeforte_protocol::{ReferralId, RegistrationId};
use serde_json::json;

on_both_backends!(
    a_withdrawn_family_is_purged_when_its_period_ends_and_the_log_still_verifies,
    a_decided_referral_loses_its_notes_after_its_period_and_an_open_one_keeps_them,
);

/// What the tests read straight from the tables (the service has no reader for purged rows).
trait Rows: Storage {
    /// The registration's names, contacts and address key, and its birth date.
    fn identity_of(
        &self,
        id: RegistrationId,
    ) -> impl Future<Output = (Vec<String>, NaiveDate)> + Send;
    /// How many reveal notes are kept about the referral.
    fn notes_about(&self, referral: ReferralId) -> impl Future<Output = i64> + Send;
}

const IDENTITY: &str = concat!(
    "SELECT child_given_name, child_family_name, parent_given_name, parent_family_name,",
    " parent_phone, parent_email, address_key, birth_date FROM registrations WHERE id = $1"
);
const NOTES: &str =
    "SELECT COUNT(*) FROM contact_reveals WHERE referral_id = $1 AND note IS NOT NULL";

macro_rules! rows_on {
    ($store:ty) => {
        impl Rows for $store {
            async fn identity_of(&self, id: RegistrationId) -> (Vec<String>, NaiveDate) {
                use sqlx::Row as _;
                let row = sqlx::query(IDENTITY)
                    .bind(id.as_uuid())
                    .fetch_one(self.pool())
                    .await
                    .unwrap();
                (
                    (0..7).map(|i| row.get::<String, _>(i)).collect(),
                    row.get(7),
                )
            }
            async fn notes_about(&self, referral: ReferralId) -> i64 {
                sqlx::query_scalar(NOTES)
                    .bind(referral.as_uuid())
                    .fetch_one(self.pool())
                    .await
                    .unwrap()
            }
        }
    };
}
rows_on!(SqliteStore);
rows_on!(PostgresStore);

/// A note that names a person: it stays out of the audit log, in the reveal's row.
const NOTE: &str = "rappeler Mme Tremblay après 17 h";

/// The pool; the first family offered a place, revealed with a note, misses two deadlines and
/// is withdrawn. Returns the pool, that family, its two decided offers and the instant of the
/// withdrawal.
async fn withdrawn_family<S: Rows>(
    h: &mut Harness<S>,
) -> (Pool, RegistrationId, [ReferralRecord; 2], DateTime<Utc>) {
    h.with_certificates_outlasting_offers().await;
    let pool = pool(h).await;
    let first = declared_referrals(h, &pool.device, 1).await.remove(0);
    let family = first.registration_id;
    let (status, body) = reveal(
        h,
        &pool.device,
        &first.id.to_string(),
        json!({"reason": "offer_call", "note": NOTE}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    move_clock(h, end_of_quebec_day(first.answer_by)).await;
    expiry::sweep(&h.store, h.now()).await.unwrap();
    operator::reactivate_registration(&h.store, &h.operator, h.now(), family, "at_request")
        .await
        .unwrap();
    let again = declared_referrals(h, &pool.other_device, 1).await;
    let second = again
        .into_iter()
        .find(|r| r.registration_id == family)
        .expect("the reactivated family is referred again");
    move_clock(h, end_of_quebec_day(second.answer_by)).await;
    expiry::sweep(&h.store, h.now()).await.unwrap();
    let state = h.store.registration_state(family).await.unwrap().unwrap();
    assert_eq!(state.status, RegistrationStatus::Withdrawn);
    (pool, family, [first, second], h.now())
}

/// Moves the clock to `to`, after keeping a checkpoint as `serve` does every second (the
/// log's cadence is checked by `audit verify`).
async fn move_clock<S: Storage>(h: &Harness<S>, to: DateTime<Utc>) {
    audit::checkpoint_if_due(&h.store, &h.log, CheckpointPolicy::default(), h.now(), true)
        .await
        .unwrap();
    h.clock.set(to);
}

fn days(n: u32) -> Duration {
    Duration::days(i64::from(n))
}

async fn verify_intact<S: Storage>(h: &Harness<S>) {
    audit::checkpoint_if_due(&h.store, &h.log, CheckpointPolicy::default(), h.now(), true)
        .await
        .unwrap();
    let options = VerifyOptions {
        log: h.log.verifier(),
        previous_logs: &[],
        policy: CheckpointPolicy::default(),
        witnesses: &[],
        max_cosigned_age: Duration::hours(1),
        witness_heads: &[],
        now: h.now(),
    };
    let report = audit::verify(&h.store, &options).await.unwrap();
    assert!(report.intact(), "{:?}", report.findings);
}

async fn a_withdrawn_family_is_purged_when_its_period_ends_and_the_log_still_verifies<S: Rows>(
    mut h: Harness<S>,
) {
    let (pool, family, _, withdrawn_at) = withdrawn_family(&mut h).await;
    let (before, birth) = h.store.identity_of(family).await;
    assert!(before.iter().all(|field| !field.is_empty()), "{before:?}");
    // A family still waiting, never purged however long it waits.
    let mut waiting = None;
    for candidate in &pool.eligible {
        let state = h.store.registration_state(*candidate.key()).await.unwrap();
        if state.is_none_or(|s| s.status == RegistrationStatus::Waiting) {
            waiting = Some(*candidate.key());
            break;
        }
    }
    let waiting = waiting.expect("a family still waiting");
    let waiting_before = h.store.identity_of(waiting).await;
    let period = QUEBEC_2025.retention.closed_registration_days.value;

    // The sweep that finds the withdrawal starts its clock; a day short of the period, nothing.
    let events = h.event_count().await;
    retention::sweep(&h.store, withdrawn_at).await.unwrap();
    move_clock(&h, withdrawn_at + days(period - 1)).await;
    let early = retention::sweep(&h.store, h.now()).await.unwrap();
    assert_eq!(early.registrations, 0);
    assert_eq!(h.store.identity_of(family).await.0, before);

    // The day the period ends: the identifying data goes, the birth date keeps its year, the
    // address key matches no other row, the family's choices are deleted.
    move_clock(&h, withdrawn_at + days(period)).await;
    // (Other families of the pool may have closed meanwhile: counted, not examined.)
    let purged = retention::sweep(&h.store, h.now()).await.unwrap();
    assert!(purged.registrations >= 1, "{purged:?}");
    let (after, coarse) = h.store.identity_of(family).await;
    assert!(after[..6].iter().all(String::is_empty), "{after:?}");
    assert_eq!(after[6], format!("purged:{family}"));
    assert_eq!(coarse, retention::coarse_birth_date(birth));
    assert!(h
        .store
        .registration_choices(family)
        .await
        .unwrap()
        .is_empty());
    // Its state stays: it is never referred again.
    let state = h.store.registration_state(family).await.unwrap().unwrap();
    assert_eq!(state.status, RegistrationStatus::Withdrawn);
    assert_eq!(h.store.identity_of(waiting).await, waiting_before);

    // One audit entry by the retention clock, naming the opaque id only; nothing in the log
    // holds the family's data.
    let entries = h.store.audit_entries(events, 10_000).await.unwrap();
    let purges: Vec<_> = entries
        .iter()
        .filter(|e| e.leaf.subject == format!("registration:{family}"))
        .collect();
    assert_eq!(purges.len(), 1);
    assert_eq!(purges[0].leaf.actor, RETENTION_ACTOR);
    assert_eq!(purges[0].leaf.action, REGISTRATION_PURGED_ACTION);
    let all = h.store.audit_entries(0, 100_000).await.unwrap();
    for entry in &all {
        let text = format!("{:?}", entry.leaf);
        for personal in before
            .iter()
            .take(6)
            .chain(std::iter::once(&NOTE.to_owned()))
        {
            assert!(!text.contains(personal.as_str()), "{personal} in {text}");
        }
    }

    // A second sweep, even much later, purges nothing and writes nothing.
    let count = h.event_count().await;
    move_clock(&h, withdrawn_at + days(period * 3)).await;
    assert_eq!(
        retention::sweep(&h.store, h.now()).await.unwrap(),
        Purged::default()
    );
    assert_eq!(h.event_count().await, count);
    verify_intact(&h).await;
}

async fn a_decided_referral_loses_its_notes_after_its_period_and_an_open_one_keeps_them<S: Rows>(
    mut h: Harness<S>,
) {
    let (pool, _, [first, _], withdrawn_at) = withdrawn_family(&mut h).await;
    // An open referral with a note: its notes stay whatever the clock says.
    let open = declared_referrals(&h, &pool.device, 1).await.remove(0);
    let (status, body) = reveal(
        &h,
        &pool.device,
        &open.id.to_string(),
        json!({"reason": "offer_call", "note": NOTE}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.store.notes_about(first.id).await, 1);
    let period = QUEBEC_2025.retention.closed_referral_days.value;

    retention::sweep(&h.store, withdrawn_at).await.unwrap();
    move_clock(&h, withdrawn_at + days(period - 1)).await;
    retention::sweep(&h.store, h.now()).await.unwrap();
    assert_eq!(h.store.notes_about(first.id).await, 1);

    let events = h.event_count().await;
    move_clock(&h, withdrawn_at + days(period)).await;
    // No offer sweep has run: the open offer is still open, and keeps its note.
    let purged = retention::sweep(&h.store, h.now()).await.unwrap();
    assert!(purged.referrals >= 2, "{purged:?}");
    assert_eq!(h.store.notes_about(first.id).await, 0);
    assert_eq!(h.store.notes_about(open.id).await, 1);
    let entries = h.store.audit_entries(events, 10_000).await.unwrap();
    let first_purge = entries
        .iter()
        .find(|e| e.leaf.subject == format!("referral:{}", first.id))
        .expect("the purge of the first offer's notes is logged");
    assert_eq!(first_purge.leaf.action, REFERRAL_PURGED_ACTION);
    assert_eq!(first_purge.leaf.actor, RETENTION_ACTOR);
    assert!(entries
        .iter()
        .all(|e| e.leaf.subject != format!("referral:{}", open.id)));
    verify_intact(&h).await;
}
