//! The family's access report as a PDF, on both backends: found by the registration's public
//! number, for a file two daycares consulted (one revealed the contact details, the other
//! synced its referrals), with the proofs of the witnessed log; the text extracted back from
//! the PDF with `pdftotext` (poppler-utils, installed by scripts/lib/deps.sh) in French and in
//! English.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use chrono::Duration;
use common::referral_pool::{declare_one, registration, reveal, sync, workstation};
use common::Harness;
use placeforte_central::access_document::{self, Language, PublicNumber};
use placeforte_central::audit::{self, access_report, CheckpointPolicy};
use placeforte_central::operator;
use placeforte_central::store::{
    AuditEvent, CosignatureRecord, IncidentStorage, RegistrationChoice, SeedBatch,
};
use placeforte_protocol::RegistrationId;
use placeforte_translog::checkpoint::split_note;
use placeforte_translog::cosignature::{WitnessSigner, WitnessVerifier};
use serde_json::json;

on_both_backends!(
    the_report_found_by_public_number_names_both_daycares_when_and_why_with_proofs,
    registrations_get_distinct_public_numbers_and_unknown_numbers_find_nothing,
);

/// Keeps a checkpoint now and has a witness cosign it, as `audit::witnessing` stores a
/// witness's answer (the witness process itself is exercised in tests/witnessed.rs).
async fn cosigned_checkpoint<S: IncidentStorage>(h: &Harness<S>) -> WitnessVerifier {
    audit::checkpoint_if_due(&h.store, &h.log, CheckpointPolicy::default(), h.now(), true)
        .await
        .unwrap();
    let latest = h.store.last_audit_tree_checkpoint().await.unwrap().unwrap();
    let keys = WitnessSigner::generate("witness.test/w1", &[9; 32]).unwrap();
    let signer = WitnessSigner::from_private_key(&keys.private).unwrap();
    let (body, _) = split_note(&latest.note).unwrap();
    let line = signer
        .cosign(body, u64::try_from(h.now().timestamp()).unwrap())
        .unwrap();
    h.store
        .add_audit_cosignature(&CosignatureRecord {
            witness: signer.verifier_key().to_owned(),
            size: latest.size,
            cosigned_at: audit::instant_text(h.now()),
            note: format!("{}{line}", latest.note),
        })
        .await
        .unwrap();
    WitnessVerifier::from_verifier_key(&keys.verifier).unwrap()
}

/// One registration that chose both daycares, and nobody else waiting.
async fn one_family<S: IncidentStorage>(
    h: &Harness<S>,
    daycares: [placeforte_protocol::DaycareId; 2],
) -> RegistrationId {
    let today = h.now().date_naive();
    let r = registration(
        RegistrationId::random(),
        today - Duration::days(700),
        today - Duration::days(40),
        1,
    );
    let id = r.id;
    let mut batch = SeedBatch::default();
    for (preference, daycare_id) in daycares.into_iter().enumerate() {
        batch.choices.push(RegistrationChoice {
            registration_id: id,
            daycare_id,
            preference: preference as i32 + 1,
        });
    }
    batch.registrations.push(r);
    let event = AuditEvent::new(
        h.now(),
        "operator:test".to_owned(),
        "synthetic_data.seeded",
        "test".to_owned(),
    );
    h.store.insert_seed(&batch, &event).await.unwrap();
    id
}

/// The PDF's text as `pdftotext` reads it, whitespace runs folded to one space (the writer
/// wraps lines at spaces only).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; scripts/lib/deps.sh installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn position(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not in the report:\n{text}"))
}

async fn the_report_found_by_public_number_names_both_daycares_when_and_why_with_proofs<
    S: IncidentStorage,
>(
    h: Harness<S>,
) {
    let herons = operator::add_daycare(
        &h.store,
        &h.operator,
        h.now(),
        "CPE Les Hérons",
        "Estrie",
        [10, 30, 15, 0],
    )
    .await
    .unwrap()
    .id;
    let chateau = operator::add_daycare(
        &h.store,
        &h.operator,
        h.now(),
        "Garderie Le Château d'Éveil",
        "Estrie",
        [10, 30, 15, 0],
    )
    .await
    .unwrap()
    .id;
    let herons_device = workstation(&h, herons).await;
    let chateau_device = workstation(&h, chateau).await;
    let family = one_family(&h, [herons, chateau]).await;
    let number = PublicNumber(
        h.store
            .registration_public_number(family)
            .await
            .unwrap()
            .expect("a public number"),
    );

    // Les Hérons: referred the family, then revealed its contact details to call it.
    declare_one(&h, &herons_device, 1).await;
    let chateau_referrals = h
        .store
        .vacancy_referrals(declare_one(&h, &chateau_device, 1).await.vacancy_id)
        .await
        .unwrap();
    assert_eq!(chateau_referrals.len(), 1, "the family is referred to both");
    let (_, body) = sync(&h, &herons_device, "").await;
    let page: placeforte_protocol::referrals::ReferralPage = serde_json::from_str(&body).unwrap();
    let referral = page.referrals[0].referral_id;
    let (status, body) = reveal(
        &h,
        &herons_device,
        &referral.to_string(),
        json!({"reason": "offer_call"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Le Château d'Éveil: synced its list, which holds the family's referral.
    let (status, body) = sync(&h, &chateau_device, "").await;
    assert_eq!(status, 200, "{body}");
    let witness = cosigned_checkpoint(&h).await;

    let log = h.log.verifier().clone();
    let (found, report) = access_report::access_report_by_public_number(
        &h.store,
        number.0,
        &log,
        std::slice::from_ref(&witness),
        h.now(),
    )
    .await
    .unwrap()
    .expect("found by its public number");
    assert_eq!(found, family);
    assert!(
        report.pending.is_empty(),
        "every line is under the cosigned checkpoint"
    );
    let lines: Vec<(&str, &str)> = report
        .entries
        .iter()
        .map(|e| (e.daycare_name.as_str(), e.leaf.action.as_str()))
        .collect();
    assert!(
        lines.contains(&("CPE Les Hérons", "contact.revealed")),
        "{lines:?}"
    );
    assert!(
        lines.contains(&("Garderie Le Château d'Éveil", "referrals.synced")),
        "{lines:?}"
    );
    // The proofs are the witnessed log's: the report verifies offline with the keys alone.
    let verified =
        placeforte_translog::report::verify_report(&report, &[log], std::slice::from_ref(&witness))
            .unwrap();
    assert_eq!(verified.proven, report.entries.len());

    let french = pdf_text(&access_document::access_report_pdf(
        &report,
        number,
        Language::French,
        h.now(),
    ));
    assert!(
        french.contains("Rapport d'accès à votre dossier"),
        "{french}"
    );
    assert!(
        french.contains(&format!("Dossier d'inscription n° {number}")),
        "{french}"
    );
    let revealed = position(
        &french,
        "Qui : CPE Les Hérons (garderie, depuis son poste inscrit) Pourquoi : consultation de vos coordonnées, motif déclaré : appel pour offrir une place.",
    );
    let synced = position(
        &french,
        "Qui : Garderie Le Château d'Éveil (garderie, depuis son poste inscrit) Pourquoi : synchronisation",
    );
    assert!(revealed < synced, "in the order they happened");
    assert!(french.contains("(heure du Québec)"));
    assert!(french.contains("Preuve : entrée n°"), "{french}");
    assert!(french.contains("incluse dans l'arbre cosigné"), "{french}");
    assert!(!french.contains("Proof:"), "French only");
    // No one's name: the family's public number is the only identifier.
    assert!(!french.contains("Enfant1") && !french.contains("Synthétique"));
    assert!(
        !french.contains(&family.to_string()),
        "never the internal id"
    );

    let english = pdf_text(&access_document::access_report_pdf(
        &report,
        number,
        Language::English,
        h.now(),
    ));
    assert!(english.contains("Access report for your file"), "{english}");
    position(
        &english,
        "Who: CPE Les Hérons (daycare, from its enrolled workstation) Why: your contact details were viewed, stated reason: call to offer a place.",
    );
    position(
        &english,
        "Who: Garderie Le Château d'Éveil (daycare, from its enrolled workstation) Why: sync",
    );
    assert!(english.contains("Proof: log entry no."));
}

async fn registrations_get_distinct_public_numbers_and_unknown_numbers_find_nothing<
    S: IncidentStorage,
>(
    h: Harness<S>,
) {
    let a = h.daycare().await;
    let b = h.daycare().await;
    let first = one_family(&h, [a, b]).await;
    let second = one_family(&h, [a, b]).await;
    let n1 = h
        .store
        .registration_public_number(first)
        .await
        .unwrap()
        .unwrap();
    let n2 = h
        .store
        .registration_public_number(second)
        .await
        .unwrap()
        .unwrap();
    assert!(n1 > 0 && n2 > n1, "{n1} {n2}");
    assert_eq!(
        h.store.registration_by_public_number(n2).await.unwrap(),
        Some(second)
    );
    let log = h.log.verifier().clone();
    let none = access_report::access_report_by_public_number(&h.store, n2 + 1, &log, &[], h.now())
        .await
        .unwrap();
    assert!(none.is_none());
    // A file nobody consulted: the report says so, in the family's language.
    let (_, report) =
        access_report::access_report_by_public_number(&h.store, n1, &log, &[], h.now())
            .await
            .unwrap()
            .unwrap();
    let text = pdf_text(&access_document::access_report_pdf(
        &report,
        PublicNumber(n1),
        Language::French,
        h.now(),
    ));
    assert!(
        text.contains("Aucune organisation n'a consulté votre dossier."),
        "{text}"
    );
}
