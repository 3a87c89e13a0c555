//! The restore drill, with the real binary: a running service is backed up (an online SQLite
//! snapshot and the keys sealed with a passphrase), restored into a fresh folder and served
//! from there; `audit verify` finds the log intact and the enrolled workstation syncs the same
//! referrals, with the same certificate. The reject paths: a short passphrase, a wrong one, a
//! damaged copy and a folder that is not fresh are refused with nothing written.
#![allow(clippy::unwrap_used)]

mod backup_serving;

use std::process::Stdio;

use backup_serving::{central, province, run, stderr, stdout, Serving, Workstation};

fn sorted_ids(referrals: &[placeforte_protocol::referrals::ReferralSyncItem]) -> Vec<String> {
    let mut ids: Vec<String> = referrals
        .iter()
        .map(|r| format!("{}:{}", r.referral_id, r.status.code()))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_service_backed_up_and_restored_elsewhere_verifies_and_syncs_the_same() {
    let original = tempfile::tempdir().unwrap();
    let path = original.path();
    let province = province(path);
    let serving = Serving::start(path, &[], Stdio::null(), "warn");
    let workstation = Workstation::enrol(path, &serving, &province).await;
    assert_eq!(workstation.declare(path, &serving).await, 201);
    let before = workstation.sync(path, &serving).await;
    assert!(!before.is_empty(), "the declaration referred families");

    // While it serves: a short passphrase is refused, then the backup is taken.
    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("b1");
    let short = central(path, &["backup", "--to", backup.to_str().unwrap()])
        .env("PLACEFORTE_BACKUP_PASSPHRASE", "court")
        .output()
        .unwrap();
    assert!(stderr(&short).contains("at least 12 characters"));
    let taken = stdout(&run(path, &["backup", "--to", backup.to_str().unwrap()]));
    assert!(taken.contains("database snapshot"), "{taken}");
    // The service still answers during and after the snapshot.
    assert_eq!(workstation.sync(path, &serving).await.len(), before.len());
    // The keys are not in the clear in the backup.
    let sealed = std::fs::read(backup.join("keys.age")).unwrap();
    let ca_key = std::fs::read_to_string(path.join("device-ca.key")).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1"));
    let marker = ca_key.lines().nth(1).unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains(marker));
    // A second backup into the same folder is refused.
    assert!(
        stderr(&run(path, &["backup", "--to", backup.to_str().unwrap()]))
            .contains("already exists")
    );
    serving.stop();

    // Reject paths first: each writes nothing.
    let restored = tempfile::tempdir().unwrap();
    let target = restored.path().join("data");
    let restore = |passphrase: &str| {
        central(
            path,
            &[
                "restore",
                "--from",
                backup.to_str().unwrap(),
                "--to",
                target.to_str().unwrap(),
            ],
        )
        .env("PLACEFORTE_BACKUP_PASSPHRASE", passphrase)
        .output()
        .unwrap()
    };
    assert!(stderr(&restore("not the right passphrase")).contains("could not be decrypted"));
    assert!(!target.join("central.db").exists());
    let damaged = backups.path().join("damaged");
    std::fs::create_dir(&damaged).unwrap();
    for name in ["central.db", "keys.age", "backup.json"] {
        std::fs::copy(backup.join(name), damaged.join(name)).unwrap();
    }
    let mut db = std::fs::read(damaged.join("central.db")).unwrap();
    let last = db.len() - 1;
    db[last] ^= 1;
    std::fs::write(damaged.join("central.db"), db).unwrap();
    let refused = run(
        path,
        &[
            "restore",
            "--from",
            damaged.to_str().unwrap(),
            "--to",
            target.to_str().unwrap(),
        ],
    );
    assert!(stderr(&refused).contains("does not match the backup's manifest"));
    assert!(!target.exists() || std::fs::read_dir(&target).unwrap().next().is_none());

    // The restore, into the fresh folder; a second one into it is refused.
    let written = stdout(&restore(backup_serving::PASSPHRASE));
    assert!(
        written.contains("central.db") && written.contains("device-ca.key"),
        "{written}"
    );
    assert!(stderr(&restore(backup_serving::PASSPHRASE)).contains("already exists"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(target.join("device-ca.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "a private key readable by others");
    }

    // The restored service: the log verifies, the workstation syncs the same referrals.
    let verified = stdout(&run(&target, &["audit", "verify"]));
    assert!(verified.contains("audit log intact"), "{verified}");
    let serving = Serving::start(&target, &[], Stdio::null(), "warn");
    let after = workstation.sync(&target, &serving).await;
    assert_eq!(sorted_ids(&after), sorted_ids(&before));
    // And it keeps working: a new declaration is accepted and audited.
    assert_eq!(workstation.declare(&target, &serving).await, 201);
    serving.stop();
    let verified = stdout(&run(&target, &["audit", "verify"]));
    assert!(verified.contains("audit log intact"), "{verified}");
}
