//! Pins the wire conventions every endpoint relies on.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use placeforte_protocol::{ApiError, Date, HealthResponse, Instant, ReferralId, VacancyId};

#[test]
fn unknown_fields_are_refused() {
    let ok = r#"{"status":"ok","protocol_version":1}"#;
    assert!(serde_json::from_str::<HealthResponse>(ok).is_ok());
    let extra = r#"{"status":"ok","protocol_version":1,"admin":true}"#;
    let err = serde_json::from_str::<HealthResponse>(extra).unwrap_err();
    assert!(err.to_string().contains("unknown field `admin`"), "{err}");
    let extra = r#"{"code":"x","message":"y","stack":"..."}"#;
    assert!(serde_json::from_str::<ApiError>(extra).is_err());
}

#[test]
fn wrong_types_and_missing_fields_are_refused() {
    assert!(
        serde_json::from_str::<HealthResponse>(r#"{"status":"ok","protocol_version":"1"}"#)
            .is_err()
    );
    assert!(serde_json::from_str::<HealthResponse>(r#"{"status":"ok"}"#).is_err());
}

#[test]
fn dates_are_iso_8601_and_instants_rfc_3339_utc() {
    let date: Date = Date::from_ymd_opt(2026, 9, 1).unwrap();
    assert_eq!(serde_json::to_string(&date).unwrap(), r#""2026-09-01""#);
    assert!(serde_json::from_str::<Date>(r#""01/09/2026""#).is_err());
    assert!(serde_json::from_str::<Date>(r#""2026-02-30""#).is_err());

    let instant: Instant = Utc.with_ymd_and_hms(2026, 6, 1, 13, 45, 0).unwrap();
    assert_eq!(
        serde_json::to_string(&instant).unwrap(),
        r#""2026-06-01T13:45:00Z""#
    );
    let parsed: Instant = serde_json::from_str(r#""2026-06-01T09:45:00-04:00""#).unwrap();
    assert_eq!(parsed, instant);
}

#[test]
fn ids_are_opaque_strings_and_garbage_is_refused() {
    let id = ReferralId::random();
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, format!("\"{id}\""));
    assert_eq!(serde_json::from_str::<ReferralId>(&json).unwrap(), id);
    assert_ne!(ReferralId::random(), id, "ids are random");
    assert!(serde_json::from_str::<ReferralId>("42").is_err());
    assert!(serde_json::from_str::<VacancyId>(r#""../../etc/passwd""#).is_err());
    assert!("not-an-id".parse::<VacancyId>().is_err());
    assert_eq!(id.to_string().parse::<ReferralId>().unwrap(), id);
}
