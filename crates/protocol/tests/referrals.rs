//! Pins the JSON of the referral endpoints' bodies.
#![allow(clippy::unwrap_used)]

use placeforte_domain::{OfferOutcome, RefusalReason};
use placeforte_protocol::referrals::{Outcome, RecordOutcome, RevealContact};

#[test]
fn outcomes_have_the_domains_json_and_refuse_unknown_fields() {
    for (json, domain) in [
        (r#"{"kind":"accepted"}"#, OfferOutcome::Accepted),
        (
            r#"{"kind":"refused","reason":"child_health"}"#,
            OfferOutcome::Refused {
                reason: RefusalReason::ChildHealth,
            },
        ),
        (
            r#"{"kind":"no_answer_by_deadline"}"#,
            OfferOutcome::NoAnswerByDeadline,
        ),
    ] {
        let wire: Outcome = serde_json::from_str(json).unwrap();
        assert_eq!(OfferOutcome::from(wire), domain);
        assert_eq!(serde_json::to_string(&wire).unwrap(), json);
        assert_eq!(serde_json::to_string(&domain).unwrap(), json);
    }
    for bad in [
        r#"{"kind":"accepted","status":"waiting"}"#,
        r#"{"kind":"no_answer_by_deadline","missed_deadlines":0}"#,
        r#"{"kind":"refused","reason":"bored"}"#,
        r#"{"kind":"refused"}"#,
        r#"{"kind":"placed"}"#,
    ] {
        assert!(serde_json::from_str::<Outcome>(bad).is_err(), "{bad}");
    }
    let request = r#"{"idempotency_key":"0ef9b2ec-4478-49e5-a2dc-2f296ad86aea","outcome":{"kind":"accepted"}"#;
    assert!(serde_json::from_str::<RecordOutcome>(&format!("{request},\"extra\":1}}")).is_err());
    let sent: RecordOutcome = serde_json::from_str(&format!("{request}}}")).unwrap();
    assert_eq!(sent.outcome, OfferOutcome::Accepted);
    assert!(
        serde_json::from_str::<RevealContact>(r#"{"reason":"offer_call","fields":[]}"#).is_err()
    );
}
