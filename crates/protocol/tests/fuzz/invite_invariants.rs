//! What must hold for any text pasted as an enrolment invitation. Shared, through `#[path]`,
//! by the fuzz target (`fuzz/fuzz_targets/invite_parse.rs`) and the regression test replaying
//! the committed corpus (`tests/fuzz_regressions.rs`).

use placeforte_protocol::invite::EnrolmentInvite;

/// Parses `data` as an invitation; one that parses must print back to an invitation that
/// parses to the same thing, and its error codes must be stable snake_case.
pub(crate) fn check_invite(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.parse::<EnrolmentInvite>() {
        Ok(invite) => {
            let again: EnrolmentInvite =
                invite.to_string().parse().expect("a printed invite parses");
            assert_eq!(again, invite);
            assert!((4..=64).contains(&invite.code.len()));
        }
        Err(err) => {
            assert!(err
                .code()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
            // Untrusted text is echoed cut short.
            assert!(err.to_string().chars().count() < 200);
        }
    }
}
