//! The plan as the June screen draws it, without Tauri: every child's first day in its group and
//! its age class on that day, columns sorted by label, referrals told apart by their key, the
//! left-out children with the group each could not join named, the chart's series named, a
//! move's breaches named, the JSON the window reads, and the one rule for naming a group.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::NaiveDate;
use placeforte_desk::planning::{
    group_named, BlockedView, BlockingCode, BreachCode, LeftOutCode, Plan, PlanChildKey,
    PlanInputs, SubjectView,
};
use placeforte_domain::{
    quebec_rules_on, AgeClass, AgeClassSet, BirthDate, Capacity, Entrant, EntrantKind, Group,
    Installation, Permit, PlacedReason, PlannedChild,
};
use placeforte_protocol::ReferralId;
use serde_json::json;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn start() -> NaiveDate {
    d(2026, 9, 1)
}

/// "Poussins" takes babies and toddlers (5 places), "Lutins" one toddler.
fn installation() -> Installation {
    let rules = quebec_rules_on(start());
    let permit = Permit::from_places([5, 8, 0, 0], rules).unwrap();
    let groups = vec![
        Group::new(
            "Poussins",
            AgeClassSet::of(&[AgeClass::Under18Months, AgeClass::From18MonthsTo4Years]),
            Capacity::from(5),
            1,
        )
        .unwrap(),
        Group::new(
            "Lutins",
            AgeClassSet::of(&[AgeClass::From18MonthsTo4Years]),
            Capacity::from(1),
            1,
        )
        .unwrap(),
    ];
    Installation::new(permit, groups, rules).unwrap()
}

fn child(
    key: PlanChildKey,
    birth: NaiveDate,
    arrival: NaiveDate,
    departure: Option<NaiveDate>,
) -> PlannedChild<PlanChildKey> {
    PlannedChild::new(
        key,
        BirthDate::new(birth, NaiveDate::MAX).unwrap(),
        arrival,
        departure,
    )
    .unwrap()
}

fn returning(child: PlannedChild<PlanChildKey>, pinned: Option<usize>) -> Entrant<PlanChildKey> {
    Entrant {
        child,
        kind: EntrantKind::Returning {
            current_group: None,
        },
        pinned,
    }
}

struct Year {
    plan: Plan,
    referred: PlanChildKey,
}

/// A toddler pinned to Lutins; a baby who arrives in December, by then a toddler; an accepted
/// referral; a child who left in June; a second toddler pinned to the full Lutins.
fn year() -> Year {
    let referred = PlanChildKey::Referred(ReferralId::random());
    let e = PlanChildKey::Entered;
    let entrants = vec![
        returning(child(e(1), d(2023, 1, 10), start(), None), Some(1)),
        returning(child(e(2), d(2025, 5, 1), d(2026, 12, 1), None), None),
        returning(
            child(e(3), d(2023, 5, 1), d(2026, 6, 30), Some(d(2026, 6, 30))),
            None,
        ),
        returning(child(e(4), d(2023, 2, 1), start(), None), Some(1)),
        Entrant {
            child: child(referred, d(2026, 1, 15), start(), Some(d(2027, 6, 30))),
            kind: EntrantKind::Referral { rank: 1 },
            pinned: None,
        },
    ];
    let labels: BTreeMap<PlanChildKey, String> = [
        (e(1), "Zoé R."),
        (e(2), "Zacharie B."),
        (e(3), "Partant T."),
        (e(4), "Noah C."),
        (referred, "Léo T."),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    let plan = PlanInputs {
        installation: installation(),
        entrants,
        labels,
        start: start(),
        declared: Vec::new(),
        siblings: Vec::new(),
    }
    .compose()
    .unwrap();
    Year { plan, referred }
}

#[test]
fn each_child_shows_its_first_day_in_the_group_and_its_age_class_on_that_day() {
    let Year { plan, referred } = year();
    let view = plan.view();
    assert_eq!((view.start, view.end), (start(), d(2027, 8, 31)));
    let names: Vec<&str> = view.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["Poussins", "Lutins"]);
    assert_eq!(
        view.groups[0].classes,
        [AgeClass::Under18Months, AgeClass::From18MonthsTo4Years]
    );
    assert_eq!((view.groups[1].capacity, view.groups[1].educators), (1, 1));

    // Sorted by label, not by priority: the referral comes before the returning child.
    let poussins = &view.groups[0].children;
    let labels: Vec<&str> = poussins.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["Léo T.", "Zacharie B."]);
    let leo = &poussins[0];
    assert_eq!(leo.key, referred);
    assert!(leo.referral);
    assert_eq!(leo.arrival, start());
    assert_eq!(leo.age_class, Some(AgeClass::Under18Months));
    assert_eq!(leo.departure, Some(d(2027, 6, 30)));
    // Sixteen months on September 1, nineteen on December 1 when it arrives.
    let zacharie = &poussins[1];
    assert!(!zacharie.referral);
    assert_eq!(zacharie.arrival, d(2026, 12, 1));
    assert_eq!(zacharie.age_class, Some(AgeClass::From18MonthsTo4Years));
    assert_eq!(zacharie.birth_date, d(2025, 5, 1));

    let lutins = &view.groups[1].children;
    assert_eq!(lutins.len(), 1);
    assert_eq!(lutins[0].key, PlanChildKey::Entered(1));
    assert_eq!(lutins[0].reason, PlacedReason::Pinned);
}

#[test]
fn a_child_left_out_names_the_group_that_could_not_take_it() {
    let view = year().plan.view();
    let by_key = |key: PlanChildKey| view.left_out.iter().find(|l| l.key == key).unwrap();
    let gone = by_key(PlanChildKey::Entered(3));
    assert_eq!(gone.reason, LeftOutCode::NotPresentThisYear);
    assert_eq!(gone.label, "Partant T.");
    assert!(gone.blocked.is_empty() && gone.classes.is_empty());
    let second = by_key(PlanChildKey::Entered(4));
    assert_eq!(second.reason, LeftOutCode::PinnedGroupCannotTakeIt);
    assert_eq!(
        second.blocked,
        [BlockedView {
            group: "Lutins".into(),
            on: start(),
            rule: BlockingCode::GroupCapacity,
        }]
    );
    assert_eq!(view.left_out.len(), 2);
}

#[test]
fn the_chart_names_its_groups_and_classes() {
    let view = year().plan.view();
    assert_eq!(
        view.series[0].subject,
        SubjectView::Group {
            name: "Poussins".into()
        }
    );
    assert_eq!(
        view.series[1].subject,
        SubjectView::Group {
            name: "Lutins".into()
        }
    );
    assert!(view.series[2..]
        .iter()
        .all(|s| matches!(s.subject, SubjectView::AgeClass { .. })));
    // Poussins: one baby from September, two children from December.
    let steps = &view.series[0].steps;
    assert_eq!(steps[0].from, start());
    assert_eq!((steps[0].planned, steps[0].permitted), (1, 5));
    assert!(steps
        .iter()
        .any(|s| s.from == d(2026, 12, 1) && s.planned == 2));
    assert!(steps.iter().all(|s| s.breach_days == 0));
}

#[test]
fn the_places_left_are_the_plans() {
    let Year { plan, .. } = year();
    let view = plan.view();
    let left: Vec<_> = plan
        .vacancies()
        .into_iter()
        .map(|v| (v.class, v.from, v.places))
        .collect();
    let shown: Vec<_> = view
        .vacancies
        .iter()
        .map(|v| (v.age_class, v.start_date, v.places))
        .collect();
    assert_eq!(shown, left);
    assert!(!shown.is_empty());
}

#[test]
fn a_move_names_the_group_and_the_class_it_would_break() {
    let Year { plan, referred } = year();
    let breaches = plan.check_move_view(&referred, 1).unwrap();
    let age = breaches
        .iter()
        .find(|b| b.code == BreachCode::GroupAgeClass)
        .unwrap();
    assert_eq!(age.group.as_deref(), Some("Lutins"));
    assert_eq!(age.class, Some(AgeClass::Under18Months));
    assert_eq!(age.from, start());
    assert!(plan.check_move_view(&PlanChildKey::Entered(99), 0).is_err());
}

#[test]
fn the_window_reads_keys_and_dates_as_text() {
    let view = year().plan.view();
    let value = serde_json::to_value(&view).unwrap();
    assert_eq!(
        value["groups"][1]["children"][0],
        json!({
            "key": "e:1",
            "label": "Zoé R.",
            "birth_date": "2023-01-10",
            "age_class": "from_18_months_to_4_years",
            "arrival": "2026-09-01",
            "departure": null,
            "priority": 1,
            "reason": "pinned",
            "referral": false,
        })
    );
    assert_eq!(value["optimality"], "proven");
    assert_eq!(
        value["series"][0]["subject"],
        json!({ "kind": "group", "name": "Poussins" })
    );
    assert_eq!(
        value["left_out"][1]["blocked"],
        json!([{ "group": "Lutins", "on": "2026-09-01", "rule": "group_capacity" }])
    );
}

#[test]
fn a_group_is_named_exactly_or_else_but_for_case_and_spaces() {
    let installation = installation();
    assert_eq!(group_named(&installation, "Lutins"), Some(1));
    assert_eq!(group_named(&installation, " lutins "), Some(1));
    assert_eq!(group_named(&installation, "POUSSINS"), Some(0));
    assert_eq!(group_named(&installation, "Hiboux"), None);
    // The domain refuses only identical names: the exact one wins over a case-only twin.
    let rules = quebec_rules_on(start());
    let toddlers = |name: &str| {
        Group::new(
            name,
            AgeClassSet::of(&[AgeClass::From18MonthsTo4Years]),
            Capacity::from(4),
            1,
        )
        .unwrap()
    };
    let twins = Installation::new(
        Permit::from_places([0, 8, 0, 0], rules).unwrap(),
        vec![toddlers("lutins"), toddlers("Lutins")],
        rules,
    )
    .unwrap();
    assert_eq!(group_named(&twins, "Lutins"), Some(1));
    assert_eq!(group_named(&twins, "lutins"), Some(0));
    // The plan's moves and pins follow the same rule.
    let plan = year().plan;
    assert_eq!(plan.inputs.group(" lutins").unwrap(), 1);
    assert!(plan.inputs.group("Hiboux").is_err());
}
