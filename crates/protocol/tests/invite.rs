//! The enrolment invitation: what is accepted, what is refused, and that no input panics.
#![allow(clippy::unwrap_used)]

use placeforte_protocol::invite::{EnrolmentInvite, InviteError};
use placeforte_protocol::DaycareId;
use proptest::prelude::*;

const DAYCARE: &str = "5f0c5a58-5b8e-4d41-9d0b-1f6f3c2a9b10";
const CA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn invite_text(fields: &str) -> String {
    format!("placeforte:enrol?{fields}")
}

fn valid() -> String {
    invite_text(&format!(
        "v=1&daycare={DAYCARE}&code=K7QX-94TR-MM2P&enrol=central.example.qc.ca:8444&api=central.example.qc.ca:8443&ca={CA}"
    ))
}

#[test]
fn a_valid_invitation_parses_and_round_trips() {
    let invite: EnrolmentInvite = valid().parse().unwrap();
    assert_eq!(invite.daycare_id, DAYCARE.parse::<DaycareId>().unwrap());
    assert_eq!(invite.code, "K7QX-94TR-MM2P");
    assert_eq!(invite.enrolment_address, "central.example.qc.ca:8444");
    assert_eq!(invite.api_address, "central.example.qc.ca:8443");
    assert_eq!(invite.ca_sha256[0], 0x01);
    assert_eq!(invite.to_string(), valid());
    // Pasting often adds white space or a newline.
    let pasted: EnrolmentInvite = format!("  {}\n", valid()).parse().unwrap();
    assert_eq!(pasted, invite);
    // Field order does not matter.
    let reordered = invite_text(&format!(
        "ca={CA}&api=[::1]:8443&enrol=127.0.0.1:8444&code=ABCD&daycare={DAYCARE}&v=1"
    ));
    let parsed: EnrolmentInvite = reordered.parse().unwrap();
    assert_eq!(parsed.api_address, "[::1]:8443");
}

#[test]
fn the_code_is_not_in_debug_output() {
    let invite: EnrolmentInvite = valid().parse().unwrap();
    assert!(!format!("{invite:?}").contains("K7QX"));
}

fn refused(text: &str) -> InviteError {
    text.parse::<EnrolmentInvite>().unwrap_err()
}

#[test]
fn something_else_is_not_an_invitation() {
    assert_eq!(refused("https://example.com"), InviteError::NotAnInvite);
    assert_eq!(refused(""), InviteError::NotAnInvite);
    assert_eq!(refused("K7QX-94TR-MM2P").code(), "invite_not_an_invite");
}

#[test]
fn a_newer_version_is_refused_clearly() {
    let text = valid().replace("v=1", "v=2");
    assert_eq!(refused(&text), InviteError::UnsupportedVersion("2".into()));
}

#[test]
fn missing_unknown_and_repeated_fields_are_refused() {
    let text = valid().replace(&format!("&ca={CA}"), "");
    assert_eq!(refused(&text), InviteError::MissingField("ca"));
    assert_eq!(
        refused(&format!("{}&admin=1", valid())),
        InviteError::UnexpectedField("admin".into())
    );
    assert_eq!(
        refused(&format!("{}&code=OTHER", valid())),
        InviteError::UnexpectedField("code".into())
    );
}

#[test]
fn malformed_fields_are_refused_by_name() {
    let cases = [
        (valid().replace(DAYCARE, "not-a-uuid"), "daycare"),
        (valid().replace("K7QX-94TR-MM2P", "K7"), "code"),
        (valid().replace("K7QX-94TR-MM2P", "K7QX 94TR"), "code"),
        (valid().replace(":8444", ":0"), "enrol"),
        (valid().replace(":8444", ":99999"), "enrol"),
        (
            valid().replace("central.example.qc.ca:8443", "evil/path:8443"),
            "api",
        ),
        (
            valid().replace("central.example.qc.ca:8443", "[nope]:8443"),
            "api",
        ),
        (valid().replace(CA, &CA[..62]), "ca"),
        (valid().replace(CA, &CA.replace('0', "g")), "ca"),
    ];
    for (text, field) in cases {
        assert_eq!(refused(&text), InviteError::BadField(field), "{text}");
    }
}

proptest! {
    #[test]
    fn no_input_panics(text in ".{0,300}") {
        let _ = text.parse::<EnrolmentInvite>();
    }

    #[test]
    fn no_mangled_invitation_panics(cut in 0usize..200, insert in ".{0,8}") {
        let mut text = valid();
        let at = cut.min(text.len());
        if text.is_char_boundary(at) {
            text.insert_str(at, &insert);
        }
        let _ = text.parse::<EnrolmentInvite>();
    }
}
