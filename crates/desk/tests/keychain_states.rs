//! The keychain's states against a real Secret Service of the test's own (gnome-keyring on a
//! private D-Bus session, see `placeforte_testkit::private_keyring`) and a real SQLCipher file:
//! a locked collection wipes nothing, never hangs on a prompt, and the same cache opens once it
//! is unlocked; a keychain that appears late after login wipes nothing either; a key truly gone
//! still leads to a wipe.
//!
//! Run by hand like `tests/keychain.rs` (the shared test keyring's session enables them).
#![allow(clippy::unwrap_used)]

use std::time::Duration as StdDuration;

use chrono::Utc;
use placeforte_desk::{LocalData, OsKeychain, SecretName, SecretStore, WipeReason};
use placeforte_domain::OfferOutcome;
use placeforte_protocol::ReferralId;
use placeforte_testkit::private_keyring::PrivateKeyring;
use placeforte_testkit::{local, own_service};

/// A cache that synced once and holds one unsent answer, closed.
async fn cache_with_an_unsent_answer(data: &LocalData<OsKeychain>) -> ReferralId {
    let opened = data.open(Utc::now()).await.unwrap();
    assert_eq!(opened.wiped, None);
    opened
        .cache
        .record_successful_sync(Utc::now())
        .await
        .unwrap();
    let referral = ReferralId::random();
    opened
        .cache
        .queue_outcome(referral, OfferOutcome::Accepted, Utc::now())
        .await
        .unwrap();
    opened.cache.close().await;
    referral
}

/// `open`, which must answer within seconds whatever the keychain does (a prompt waited for
/// forever would freeze the app).
async fn open_promptly(
    data: &LocalData<OsKeychain>,
) -> Result<placeforte_desk::OpenedCache, placeforte_desk::DeskError> {
    tokio::time::timeout(StdDuration::from_secs(30), data.open(Utc::now()))
        .await
        .expect("opening must not wait on a prompt")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_collection_wipes_nothing_and_the_same_cache_opens_after_unlock() {
    let Some(keyring) = PrivateKeyring::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let service = own_service("locked");
    let data = local(dir.path(), &service);
    let referral = cache_with_an_unsent_answer(&data).await;

    keyring.lock();
    let checked = data.secrets().check().unwrap_err();
    assert_eq!(checked.code(), "keychain_locked");
    let refused = open_promptly(&data).await.unwrap_err();
    assert_eq!(refused.code(), "keychain_locked");
    assert!(data.file().exists(), "nothing wiped");
    // Every call says the same, and none deletes anything.
    assert_eq!(
        data.secrets()
            .delete(SecretName::CacheKey)
            .unwrap_err()
            .code(),
        "keychain_locked"
    );
    // The Secret Service's own prompt is asked for; with no one to answer it here (no
    // prompter on this bus) it is dismissed, and it stays locked with nothing lost.
    let secrets = OsKeychain::with_service(&service);
    let dismissed = tokio::task::spawn_blocking(move || secrets.unlock())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(dismissed.code(), "keychain_locked");
    assert!(keyring.is_locked());
    assert!(data.file().exists());

    keyring.unlock();
    let reopened = open_promptly(&data).await.unwrap();
    assert_eq!(reopened.wiped, None, "the same cache, not a fresh one");
    assert!(reopened
        .cache
        .last_successful_sync()
        .await
        .unwrap()
        .is_some());
    let outbox = reopened.cache.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].referral_id, referral);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keychain_that_appears_late_after_login_wipes_nothing() {
    let Some(mut keyring) = PrivateKeyring::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = local(dir.path(), &own_service("late"));
    let referral = cache_with_an_unsent_answer(&data).await;

    // The session is up, the Secret Service not yet.
    keyring.stop_daemon();
    let refused = open_promptly(&data).await.unwrap_err();
    assert_eq!(refused.code(), "keychain_unavailable");
    assert!(data.file().exists(), "nothing wiped");

    keyring.start_daemon();
    let reopened = open_promptly(&data).await.unwrap();
    assert_eq!(reopened.wiped, None);
    assert_eq!(
        reopened.cache.outbox().await.unwrap()[0].referral_id,
        referral
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_truly_gone_from_an_unlocked_keychain_still_wipes_and_says_so() {
    let Some(keyring) = PrivateKeyring::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = local(dir.path(), &own_service("gone"));
    cache_with_an_unsent_answer(&data).await;
    assert!(!keyring.is_locked());
    data.secrets().delete(SecretName::CacheKey).unwrap();
    let reopened = open_promptly(&data).await.unwrap();
    assert_eq!(reopened.wiped, Some(WipeReason::KeyMissing));
    assert_eq!(reopened.carried, 0, "nothing of it could be read");
    assert!(reopened.cache.outbox().await.unwrap().is_empty());
}
