//! `docs/rules.md` lists every rule with its source. Its table is generated from the rule sets
//! in code, so the page cannot drift from what the code applies: this test fails when they
//! differ. Regenerate with `UPDATE_RULES_DOC=1 cargo test -p placeforte-domain --test rules_doc`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use placeforte_domain::rules::ALL_RULE_SETS;
use placeforte_domain::Verification;

const BEGIN: &str = "<!-- BEGIN GENERATED: rule table (crates/domain/tests/rules_doc.rs) -->";
const END: &str = "<!-- END GENERATED -->";

fn status(v: Verification) -> &'static str {
    match v {
        Verification::Verified => "verified",
        Verification::Unverified => "**unverified (?)**",
        Verification::Interpretation => "our interpretation",
    }
}

fn render() -> String {
    let mut out = String::new();
    for set in ALL_RULE_SETS {
        out.push_str(&format!(
            "\n### Rule set `{}` (in force from {})\n\n",
            set.id, set.effective_from.value
        ));
        out.push_str("| Rule | Value | Source | Status | Note |\n|---|---|---|---|---|\n");
        for e in set.entries() {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                e.name,
                e.value,
                e.source.citation,
                status(e.source.verification),
                e.source.note
            ));
        }
    }
    out.push('\n');
    out
}

#[test]
fn the_rules_page_lists_every_rule_of_every_set_with_its_source() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = page.split_once(BEGIN).expect("begin marker");
    let (_, tail) = rest.split_once(END).expect("end marker");
    let expected = format!("{head}{BEGIN}{}{END}{tail}", render());
    if std::env::var_os("UPDATE_RULES_DOC").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    assert!(
        page == expected,
        "docs/rules.md is stale; run UPDATE_RULES_DOC=1 cargo test -p placeforte-domain --test rules_doc"
    );
}

#[test]
fn every_value_has_a_citation_and_a_note() {
    for set in ALL_RULE_SETS {
        for e in set.entries() {
            assert!(!e.source.citation.trim().is_empty(), "{}", e.name);
            assert!(!e.source.note.trim().is_empty(), "{}", e.name);
            assert!(!e.value.contains('|'), "{} would break the table", e.name);
        }
    }
}

#[test]
fn the_rule_book_picks_the_set_in_force_on_a_date() {
    use chrono::NaiveDate;
    use placeforte_domain::{RuleBook, Sourced, QUEBEC_2025};
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let mut older = QUEBEC_2025;
    older.id = "test-2020";
    older.effective_from = Sourced::interpretation(d(2020, 1, 1), "test", "test");
    older.installation_max_children.value = 80;
    let book = RuleBook::new(vec![QUEBEC_2025, older]).unwrap();
    assert_eq!(book.in_force_on(d(2024, 12, 31)).id, "test-2020");
    assert_eq!(
        book.in_force_on(d(2024, 12, 31))
            .installation_max_children
            .value,
        80
    );
    // The 2025 rules start with the portal's official opening, not on January 1.
    assert_eq!(book.in_force_on(d(2025, 11, 2)).id, "test-2020");
    assert_eq!(book.in_force_on(d(2025, 11, 3)).id, "qc-2025");
    assert_eq!(book.in_force_on(d(2030, 1, 1)).id, "qc-2025");
    // Before the first set, the first set applies.
    assert_eq!(book.in_force_on(d(2019, 1, 1)).id, "test-2020");
    assert_eq!(book.by_id("qc-2025").map(|s| s.id), Some("qc-2025"));
    assert!(book.by_id("nope").is_none());
    assert!(RuleBook::new(vec![]).is_none());
    assert_eq!(RuleBook::quebec().in_force_on(d(2026, 9, 1)).id, "qc-2025");
}

#[test]
fn the_services_use_the_quebec_set_in_force_and_the_sets_are_oldest_first() {
    use chrono::NaiveDate;
    use placeforte_domain::quebec_rules_on;
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    assert!(ALL_RULE_SETS
        .windows(2)
        .all(|w| w[0].effective_from.value < w[1].effective_from.value));
    assert_eq!(quebec_rules_on(d(2026, 9, 1)).id, "qc-2025");
    assert_eq!(quebec_rules_on(d(2019, 1, 1)).id, ALL_RULE_SETS[0].id);
}

#[test]
fn the_2025_set_starts_with_the_portal_and_lists_its_referral_and_offer_rules() {
    use chrono::NaiveDate;
    use placeforte_domain::QUEBEC_2025;
    assert_eq!(
        QUEBEC_2025.effective_from.value,
        NaiveDate::from_ymd_opt(2025, 11, 3).unwrap()
    );
    assert_eq!(QUEBEC_2025.referral.priority_share_percent.value, 50);
    let names: Vec<&str> = QUEBEC_2025.entries().iter().map(|e| e.name).collect();
    for name in [
        "age_classes.anniversary_on_missing_day",
        "referral.priority_criteria",
        "referral.quota_seats_filled_first",
        "offers.answer_within_days",
        "offers.missed_deadlines_to_withdraw",
        "offers.refusals_that_keep_the_request",
        "offers.suspension_lifted_on_confirmation",
    ] {
        assert!(names.contains(&name), "{name} missing from the rules page");
    }
    // A value read in a text quotes it: every verified referral or offer value has a quote.
    for e in QUEBEC_2025.entries() {
        if (e.name.starts_with("referral.") || e.name.starts_with("offers."))
            && e.source.verification == Verification::Verified
        {
            assert!(e.source.note.contains('"'), "{} has no quote", e.name);
        }
    }
}
