//! The confidentiality-incident register (A-2.1, r. 3.1, s. 7), on both backends: every field
//! stored and read back, every write and read audited by number only, refusals that write
//! nothing, updates that keep it current, an incident raised from an alert and linked to it,
//! and the CSV export parsed back field for field.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Duration, NaiveDate};
use common::Harness;
use placeforte_central::incidents::{
    self, IncidentChanges, IncidentDetails, IncidentError, Period,
};
use placeforte_central::incidents_csv::{self, HEADERS};
use placeforte_central::store::{IncidentStorage, NewAlert};

on_both_backends!(
    an_incident_is_stored_with_every_field_and_audited_by_number_only,
    refused_entries_write_nothing,
    an_update_keeps_the_register_current_and_is_checked_like_a_new_entry,
    an_incident_raised_from_an_alert_is_prefilled_and_linked_to_it,
    the_csv_export_parses_back_to_the_same_fields,
);

fn day(h_today: NaiveDate, days_ago: i64) -> NaiveDate {
    h_today - Duration::days(days_ago)
}

/// A complete entry with text that a naive CSV writer would break: commas, quotes, a line
/// break, accents.
fn sample(today: NaiveDate) -> IncidentDetails {
    IncidentDetails {
        information_described: true,
        information: "Noms et dates de naissance d'enfants, numéros de téléphone des parents"
            .to_owned(),
        circumstances: "Un poste de la garderie « Les Hérons » a synchronisé 40 fiches, puis \"révélé\" 12 coordonnées,\nen 3 minutes."
            .to_owned(),
        occurred: Period {
            from: day(today, 3),
            to: Some(day(today, 2)),
        },
        occurred_approximate: false,
        aware: Period {
            from: day(today, 1),
            to: None,
        },
        persons_concerned: 12,
        persons_approximate: true,
        risk_assessment: "Coordonnées de familles : sensibles; usage malveillant possible (hameçonnage); probabilité moyenne.".to_owned(),
        serious_risk: true,
        commission_notified_on: Some(day(today, 0)),
        persons_notified_on: None,
        public_notice_reason: None,
        measures: "Poste révoqué, certificat retiré, budget de consultation abaissé.".to_owned(),
    }
}

async fn audit_texts<S: IncidentStorage>(h: &Harness<S>) -> Vec<String> {
    h.store
        .audit_entries(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let l = e.leaf;
            format!(
                "{} {} {} {} {}",
                l.actor, l.action, l.subject, l.referral_ids, l.reason
            )
        })
        .collect()
}

async fn an_incident_is_stored_with_every_field_and_audited_by_number_only<S: IncidentStorage>(
    h: Harness<S>,
) {
    let today = placeforte_domain::quebec_today(h.now());
    let details = sample(today);
    let id = incidents::record(&h.store, &h.operator, h.now(), &details)
        .await
        .unwrap();
    let stored = h
        .store
        .incident(id, "operator:test", h.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.details, details);
    assert_eq!(stored.alert_id, None);
    assert_eq!(stored.recorded_by, format!("operator:{}", h.operator.0));
    assert!(
        stored.details.notices_due(),
        "the persons are not notified yet"
    );
    let listed = h
        .store
        .incidents("incidents.listed", "operator:test", h.now())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0], stored);
    assert!(h
        .store
        .incident(id + 1, "operator:test", h.now())
        .await
        .unwrap()
        .is_none());

    let log = audit_texts(&h).await;
    let subject = format!("incident:{id}");
    for action in ["incident.recorded", "incident.read"] {
        assert!(
            log.iter()
                .any(|l| l.contains(action) && l.contains(&subject)),
            "{action} missing: {log:#?}"
        );
    }
    assert!(log
        .iter()
        .any(|l| l.contains("incidents.listed incidents:1")));
    // The register's text may describe people: none of it is in the log.
    for text in ["Hérons", "hameçonnage", "Poste révoqué", "Noms et dates"] {
        assert!(log.iter().all(|l| !l.contains(text)), "{text} in the log");
    }
}

async fn refused_entries_write_nothing<S: IncidentStorage>(h: Harness<S>) {
    let today = placeforte_domain::quebec_today(h.now());
    let before = h.event_count().await;
    let refusals: Vec<(IncidentDetails, &str)> = vec![
        (
            IncidentDetails {
                circumstances: "   ".to_owned(),
                ..sample(today)
            },
            "circumstances",
        ),
        (
            IncidentDetails {
                aware: Period {
                    from: day(today, 10),
                    to: None,
                },
                ..sample(today)
            },
            "before the incident",
        ),
        (
            IncidentDetails {
                occurred: Period {
                    from: day(today, 2),
                    to: Some(day(today, 3)),
                },
                ..sample(today)
            },
            "ends before it starts",
        ),
        (
            IncidentDetails {
                serious_risk: false,
                ..sample(today)
            },
            "risk of serious injury",
        ),
        (
            IncidentDetails {
                commission_notified_on: Some(today + Duration::days(1)),
                ..sample(today)
            },
            "in the future",
        ),
        (
            IncidentDetails {
                commission_notified_on: Some(day(today, 2)),
                ..sample(today)
            },
            "before the body became aware",
        ),
        (
            IncidentDetails {
                persons_concerned: -1,
                ..sample(today)
            },
            "negative",
        ),
        (
            IncidentDetails {
                measures: "x".repeat(incidents::MAX_TEXT_CHARS + 1),
                ..sample(today)
            },
            "longer than",
        ),
    ];
    for (details, expected) in refusals {
        let error = incidents::record(&h.store, &h.operator, h.now(), &details)
            .await
            .unwrap_err();
        assert!(error.to_string().contains(expected), "{expected}: {error}");
    }
    // An approximate date of the incident may come after the day the body became aware.
    let approximate = IncidentDetails {
        occurred: Period {
            from: day(today, 0),
            to: None,
        },
        occurred_approximate: true,
        commission_notified_on: None,
        ..sample(today)
    };
    incidents::record(&h.store, &h.operator, h.now(), &approximate)
        .await
        .unwrap();
    assert_eq!(h.event_count().await, before + 1, "only the accepted entry");
    assert!(matches!(
        incidents::update(
            &h.store,
            &h.operator,
            h.now(),
            999,
            IncidentChanges::default()
        )
        .await,
        Err(IncidentError::UnknownIncident(999))
    ));
}

async fn an_update_keeps_the_register_current_and_is_checked_like_a_new_entry<
    S: IncidentStorage,
>(
    h: Harness<S>,
) {
    let today = placeforte_domain::quebec_today(h.now());
    let id = incidents::record(&h.store, &h.operator, h.now(), &sample(today))
        .await
        .unwrap();
    let later = h.now() + Duration::hours(2);
    let updated = incidents::update(
        &h.store,
        &h.operator,
        later,
        id,
        IncidentChanges {
            persons_notified_on: Some(Some(today)),
            persons_concerned: Some(11),
            persons_approximate: Some(false),
            public_notice_reason: Some(Some("Familles injoignables par téléphone".to_owned())),
            ..IncidentChanges::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(updated.details.persons_notified_on, Some(today));
    assert_eq!(updated.details.persons_concerned, 11);
    assert!(!updated.details.notices_due());
    assert_eq!(updated.details.circumstances, sample(today).circumstances);
    assert_ne!(updated.updated_at, updated.recorded_at);

    // A change that breaks the rules is refused and changes nothing.
    let error = incidents::update(
        &h.store,
        &h.operator,
        later,
        id,
        IncidentChanges {
            serious_risk: Some(false),
            ..IncidentChanges::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, IncidentError::NoticeWithoutSeriousRisk),
        "{error}"
    );
    let stored = h
        .store
        .incident(id, "operator:test", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, updated);
    let log = audit_texts(&h).await;
    assert_eq!(
        log.iter()
            .filter(|l| l.contains("incident.updated"))
            .count(),
        1
    );
}

async fn an_incident_raised_from_an_alert_is_prefilled_and_linked_to_it<S: IncidentStorage>(
    h: Harness<S>,
) {
    let device = uuid::Uuid::new_v4().to_string();
    let alert = h
        .store
        .raise_alert(&NewAlert {
            raised_at: placeforte_central::audit::instant_text(h.now()),
            kind: "honeytoken_touched".to_owned(),
            device_id: device.clone(),
            daycare_id: String::new(),
            detail: "registration:0000".to_owned(),
            dedup_key: "honeytoken_touched|x|once".to_owned(),
            window_start: "once".to_owned(),
        })
        .await
        .unwrap()
        .unwrap();
    let id = incidents::raise_from_alert(
        &h.store,
        &h.operator,
        h.now(),
        alert,
        IncidentChanges {
            persons_concerned: Some(1),
            ..IncidentChanges::default()
        },
    )
    .await
    .unwrap();
    let incident = h
        .store
        .incident(id, "operator:test", h.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(incident.alert_id, Some(alert));
    let d = &incident.details;
    assert!(
        d.circumstances.contains("honeytoken_touched"),
        "{}",
        d.circumstances
    );
    assert!(d.circumstances.contains(&device));
    assert!(d.circumstances.contains("registration:0000"));
    assert_eq!(d.occurred.from, placeforte_domain::quebec_today(h.now()));
    assert!(d.occurred_approximate && !d.information_described);
    assert_eq!(d.persons_concerned, 1);

    let missing = incidents::raise_from_alert(
        &h.store,
        &h.operator,
        h.now(),
        alert + 100,
        IncidentChanges::default(),
    )
    .await;
    assert!(matches!(missing, Err(IncidentError::UnknownAlert(_))));
    let register = h
        .store
        .incidents("incidents.listed", "operator:test", h.now())
        .await
        .unwrap();
    assert_eq!(register.len(), 1);
}

async fn the_csv_export_parses_back_to_the_same_fields<S: IncidentStorage>(h: Harness<S>) {
    let today = placeforte_domain::quebec_today(h.now());
    for n in 0..3 {
        let details = IncidentDetails {
            persons_concerned: n,
            ..sample(today)
        };
        incidents::record(&h.store, &h.operator, h.now(), &details)
            .await
            .unwrap();
    }
    let register = h
        .store
        .incidents(incidents::EXPORTED, "operator:test", h.now())
        .await
        .unwrap();
    let text = incidents_csv::register_csv(&register).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(headers, HEADERS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    for (row, incident) in rows.iter().zip(&register) {
        let fields: Vec<&str> = row.iter().collect();
        assert_eq!(fields, incidents_csv::row(incident));
    }
    // The line break and the quotes inside a field survived, in the circumstances column.
    assert_eq!(&rows[0][6], sample(today).circumstances);
    assert_eq!(&rows[2][10], "2");
    assert_eq!(&rows[0][13], "oui");
    assert!(audit_texts(&h)
        .await
        .iter()
        .any(|l| l.contains("incidents.exported incidents:3")));
}
