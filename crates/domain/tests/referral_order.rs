//! Worked examples of the referral order, one rule each.
#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns unwrap too.

mod common;

use common::{candidate, d, precarity, special_needs, today};
use placeforte_domain::{
    rank_candidates, Candidate, CandidateInput, Capacity, Category, CategoryFacts, DomainError,
    PriorityBasis, RankedCandidate, Standing, QUEBEC_2025,
};

const RULES: &placeforte_domain::RuleSet = &QUEBEC_2025;
const NONE: PriorityBasis = PriorityBasis::NONE;

fn rank(candidates: &[Candidate<String>], places: u32) -> Vec<RankedCandidate<String>> {
    rank_candidates(candidates, Capacity::from(places), today(), RULES).unwrap()
}

fn keys(ranked: &[RankedCandidate<String>]) -> Vec<&str> {
    ranked.iter().map(|r| r.key.as_str()).collect()
}

#[test]
fn the_facts_give_the_five_categories() {
    let category = |staff, same_address, in_care| {
        Category::from_facts(CategoryFacts {
            staff_member_child: staff,
            same_address_as_admitted_child: same_address,
            already_in_subsidized_care: in_care,
        })
        .number()
    };
    assert_eq!(category(true, true, false), 1);
    assert_eq!(category(true, true, true), 1);
    assert_eq!(category(true, false, true), 2);
    assert_eq!(category(false, true, true), 3);
    assert_eq!(category(false, false, false), 4);
    assert_eq!(category(false, false, true), 5);
}

#[test]
fn categories_come_in_order_whatever_the_dates() {
    // The later a category, the longer its candidate has waited: category still wins.
    let candidates = [
        candidate("c5", 5, d(2024, 3, 1), NONE),
        candidate("c4", 4, d(2024, 4, 1), NONE),
        candidate("c3", 3, d(2024, 5, 1), NONE),
        candidate("c2", 2, d(2024, 6, 1), NONE),
        candidate("c1", 1, d(2024, 7, 1), NONE),
    ];
    let ranked = rank(&candidates, 5);
    assert_eq!(keys(&ranked), ["c1", "c2", "c3", "c4", "c5"]);
    assert_eq!(
        ranked.iter().map(|r| r.rank).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(ranked[0].reason.category, Category::StaffChildSameAddress);
}

#[test]
fn within_a_category_the_longest_time_since_the_desired_entry_date_comes_first() {
    let candidates = [
        candidate("later", 4, d(2025, 9, 1), NONE),
        candidate("earlier", 4, d(2025, 1, 6), NONE),
        candidate("future", 4, d(2026, 9, 1), NONE),
    ];
    let ranked = rank(&candidates, 1);
    assert_eq!(keys(&ranked), ["earlier", "later", "future"]);
    // Explained in days, from the ranking day (2026-06-01).
    assert_eq!(ranked[0].reason.days_since_desired_entry, 511);
    assert_eq!(ranked[2].reason.days_since_desired_entry, -92);
    assert_eq!(ranked[0].reason.desired_entry, d(2025, 1, 6));
}

#[test]
fn a_tie_for_a_quota_seat_favours_precarity() {
    // Two places: one quota seat, one general place. The two priority candidates are tied on
    // category and desired date; precarity takes the seat although its key comes later.
    let candidates = [
        candidate("first", 4, d(2025, 1, 1), NONE),
        candidate("needs", 4, d(2025, 9, 1), special_needs()),
        candidate("precarity", 4, d(2025, 9, 1), precarity()),
    ];
    let ranked = rank(&candidates, 2);
    assert_eq!(keys(&ranked), ["first", "precarity", "needs"]);
    assert_eq!(
        ranked[1].reason.standing,
        Standing::PriorityQuota { seat: 1, seats: 1 }
    );
}

#[test]
fn the_general_places_ignore_precarity() {
    // One place has no quota seat; the general place is offered "sans égard à leur situation":
    // the tie goes to the registration id, not to precarity.
    let candidates = [
        candidate("z-precarity", 4, d(2025, 9, 1), precarity()),
        candidate("needs", 4, d(2025, 9, 1), special_needs()),
    ];
    let ranked = rank(&candidates, 1);
    assert_eq!(keys(&ranked), ["needs", "z-precarity"]);
    assert_eq!(ranked[0].reason.standing, Standing::WithinPlaces);
    assert_eq!(ranked[1].reason.standing, Standing::Waiting);
}

#[test]
fn remaining_ties_go_to_the_earliest_registration_then_the_key_never_the_input_order() {
    let early = Candidate::parse(
        CandidateInput {
            key: "z-early".to_owned(),
            birth_date: d(2024, 1, 10),
            desired_entry: d(2025, 9, 1),
            registered_on: d(2024, 1, 20),
            facts: CategoryFacts::default(),
            priority: NONE,
        },
        today(),
    )
    .unwrap();
    let a = candidate("a", 4, d(2025, 9, 1), NONE);
    let b = candidate("b", 4, d(2025, 9, 1), NONE);
    let forward = rank(&[early.clone(), a.clone(), b.clone()], 1);
    let backward = rank(&[b, a, early], 1);
    assert_eq!(keys(&forward), ["z-early", "a", "b"]);
    assert_eq!(forward, backward);
}

#[test]
fn the_priority_quota_gives_up_to_half_the_places_to_priority_candidates() {
    // Four places: two quota seats. Six regular candidates in category 4, three priority
    // candidates in category 5 (who would get nothing on the category order alone).
    let mut candidates: Vec<_> = (1..=6)
        .map(|i| candidate(&format!("r{i}"), 4, d(2025, 1, i), NONE))
        .collect();
    candidates.push(candidate("p1", 5, d(2025, 2, 1), special_needs()));
    candidates.push(candidate("p2", 5, d(2025, 2, 2), precarity()));
    candidates.push(candidate("p3", 5, d(2025, 2, 3), special_needs()));
    let ranked = rank(&candidates, 4);

    assert_eq!(
        keys(&ranked),
        ["r1", "r2", "p1", "p2", "r3", "r4", "r5", "r6", "p3"]
    );
    let standing = |key: &str| {
        ranked
            .iter()
            .find(|r| r.key == key)
            .unwrap()
            .reason
            .standing
    };
    assert_eq!(standing("r1"), Standing::WithinPlaces);
    assert_eq!(
        standing("p1"),
        Standing::PriorityQuota { seat: 1, seats: 2 }
    );
    assert_eq!(
        standing("p2"),
        Standing::PriorityQuota { seat: 2, seats: 2 }
    );
    assert_eq!(standing("r3"), Standing::DisplacedByPriorityQuota);
    assert_eq!(standing("r4"), Standing::DisplacedByPriorityQuota);
    assert_eq!(standing("r5"), Standing::Waiting);
    assert_eq!(standing("p3"), Standing::Waiting);
    // The reason keeps the category-order rank too.
    let p1 = ranked.iter().find(|r| r.key == "p1").unwrap();
    assert_eq!((p1.rank, p1.reason.category_order_rank), (3, 7));
    assert!(p1.reason.priority);
}

#[test]
fn the_quota_rounds_down_so_one_place_has_no_priority_seat() {
    let candidates = [
        candidate("regular", 4, d(2025, 1, 1), NONE),
        candidate("priority", 5, d(2025, 1, 1), special_needs()),
    ];
    assert_eq!(keys(&rank(&candidates, 1)), ["regular", "priority"]);
    // Three places: one seat (1.5 rounded down).
    let mut three: Vec<_> = (1..=3)
        .map(|i| candidate(&format!("r{i}"), 4, d(2025, 1, i), NONE))
        .collect();
    three.push(candidate("p1", 5, d(2025, 1, 1), special_needs()));
    three.push(candidate("p2", 5, d(2025, 1, 2), special_needs()));
    let ranked = rank(&three, 3);
    assert_eq!(keys(&ranked), ["r1", "r2", "p1", "r3", "p2"]);
    assert_eq!(
        ranked[2].reason.standing,
        Standing::PriorityQuota { seat: 1, seats: 1 }
    );
}

#[test]
fn the_issue_example_one_place_by_the_quota_and_the_other_to_everyone() {
    // Issue 14: 2 places; A first with no priority, B and C priority. "Un maximum de 50 % des
    // places offertes pourront être priorisées. Le reste des places devra être offert à
    // l'ensemble de la population" (June 4, 2025): B takes the one quota seat, and the other
    // place, offered to everyone, goes to A, the first of the others.
    let candidates = [
        candidate("A", 4, d(2025, 1, 1), NONE),
        candidate("B", 4, d(2025, 1, 2), special_needs()),
        candidate("C", 4, d(2025, 1, 3), precarity()),
    ];
    let ranked = rank(&candidates, 2);
    assert_eq!(keys(&ranked), ["A", "B", "C"]);
    assert_eq!(ranked[0].reason.standing, Standing::WithinPlaces);
    assert_eq!(
        ranked[1].reason.standing,
        Standing::PriorityQuota { seat: 1, seats: 1 }
    );
    assert_eq!(ranked[2].reason.standing, Standing::Waiting);
}

#[test]
fn the_best_placed_priority_candidate_takes_the_seat_even_when_first() {
    // The seat is filled first, by the best-placed priority candidate: the general place then
    // goes to the next candidate in category order, not to a second priority candidate.
    let candidates = [
        candidate("p-early", 4, d(2025, 1, 1), special_needs()),
        candidate("r", 4, d(2025, 1, 2), NONE),
        candidate("p-late", 5, d(2025, 1, 1), precarity()),
    ];
    let ranked = rank(&candidates, 2);
    assert_eq!(keys(&ranked), ["p-early", "r", "p-late"]);
    assert_eq!(
        ranked[0].reason.standing,
        Standing::PriorityQuota { seat: 1, seats: 1 }
    );
    assert_eq!(ranked[1].reason.standing, Standing::WithinPlaces);
    assert_eq!(ranked[2].reason.standing, Standing::Waiting);
}

#[test]
fn at_most_half_the_places_are_prioritized_and_the_rest_go_to_the_best_placed() {
    // Four places, two seats. On the category order alone P1, R1, R2 and P2 would take the
    // places; the seats go to P1 and P2, the two general places to R1 and R2. P3, a third
    // priority candidate, does not displace R2: the quota is full.
    let candidates = [
        candidate("P1", 4, d(2025, 1, 1), special_needs()),
        candidate("R1", 4, d(2025, 1, 2), NONE),
        candidate("R2", 4, d(2025, 1, 3), NONE),
        candidate("P2", 4, d(2025, 1, 4), precarity()),
        candidate("R3", 4, d(2025, 1, 5), NONE),
        candidate("P3", 4, d(2025, 1, 6), special_needs()),
    ];
    let ranked = rank(&candidates, 4);
    assert_eq!(keys(&ranked), ["P1", "R1", "R2", "P2", "R3", "P3"]);
    let quota: Vec<&str> = ranked
        .iter()
        .filter(|r| matches!(r.reason.standing, Standing::PriorityQuota { .. }))
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(quota, ["P1", "P2"]);
    assert_eq!(ranked[4].reason.standing, Standing::Waiting);
    assert_eq!(ranked[5].reason.standing, Standing::Waiting);
}

#[test]
fn a_seat_no_priority_candidate_takes_becomes_a_general_place() {
    // "Un maximum de 50 %": a maximum, not places kept empty. Two seats, one priority
    // candidate: the other seat goes to everyone.
    let mut candidates: Vec<_> = (1..=5)
        .map(|i| candidate(&format!("r{i}"), 4, d(2025, 1, i), NONE))
        .collect();
    candidates.push(candidate("p", 5, d(2025, 1, 1), special_needs()));
    let ranked = rank(&candidates, 4);
    assert_eq!(keys(&ranked), ["r1", "r2", "r3", "p", "r4", "r5"]);
    assert_eq!(
        ranked[3].reason.standing,
        Standing::PriorityQuota { seat: 1, seats: 2 }
    );
    assert_eq!(
        ranked[4].reason.standing,
        Standing::DisplacedByPriorityQuota
    );
    // With no priority candidate at all, every place is a general place.
    let regular = &candidates[..5];
    assert!(rank(regular, 4)[..4]
        .iter()
        .all(|r| r.reason.standing == Standing::WithinPlaces));
}

#[test]
fn each_of_the_six_criteria_of_the_2025_act_is_a_priority() {
    // "Seuls six critères de priorisation seront désormais permis" (June 4, 2025).
    let criteria = [
        PriorityBasis {
            special_needs: true,
            ..NONE
        },
        PriorityBasis {
            socio_economic_precarity: true,
            ..NONE
        },
        PriorityBasis {
            parent_in_education: true,
            ..NONE
        },
        PriorityBasis {
            parent_works_for_partner_employer: true,
            ..NONE
        },
        PriorityBasis {
            lives_in_partner_municipality: true,
            ..NONE
        },
        PriorityBasis {
            indigenous: true,
            ..NONE
        },
    ];
    assert!(!NONE.is_priority());
    for basis in criteria {
        assert!(basis.is_priority(), "{basis:?}");
        // Each one takes a quota seat.
        let candidates = [
            candidate("r", 4, d(2025, 1, 1), NONE),
            candidate("s", 4, d(2025, 1, 2), NONE),
            candidate("p", 5, d(2025, 1, 1), basis),
        ];
        assert_eq!(keys(&rank(&candidates, 2)), ["r", "p", "s"], "{basis:?}");
    }
}

#[test]
fn a_priority_basis_stored_before_the_six_criteria_still_reads() {
    let old =
        r#"{"special_needs":false,"socio_economic_precarity":false,"parent_in_education":true}"#;
    let basis: PriorityBasis = serde_json::from_str(old).unwrap();
    assert_eq!(
        basis,
        PriorityBasis {
            parent_in_education: true,
            ..NONE
        }
    );
    let new = serde_json::to_value(PriorityBasis {
        indigenous: true,
        ..NONE
    })
    .unwrap();
    assert_eq!(new["indigenous"], true);
    assert_eq!(new["parent_works_for_partner_employer"], false);
    assert_eq!(new["lives_in_partner_municipality"], false);
}

#[test]
fn the_quota_never_displaces_a_priority_candidate() {
    // Both places already go to priority candidates: the third one waits.
    let candidates = [
        candidate("p1", 4, d(2025, 1, 1), special_needs()),
        candidate("p2", 4, d(2025, 1, 2), special_needs()),
        candidate("p3", 5, d(2025, 1, 1), precarity()),
    ];
    let ranked = rank(&candidates, 2);
    assert_eq!(keys(&ranked), ["p1", "p2", "p3"]);
    assert_eq!(ranked[2].reason.standing, Standing::Waiting);
}

#[test]
fn no_places_means_everyone_waits_in_category_order() {
    let candidates = [
        candidate("b", 5, d(2025, 1, 1), special_needs()),
        candidate("a", 4, d(2025, 1, 1), NONE),
    ];
    let ranked = rank(&candidates, 0);
    assert_eq!(keys(&ranked), ["a", "b"]);
    assert!(ranked
        .iter()
        .all(|r| r.reason.standing == Standing::Waiting));
    assert!(rank(&[], 3).is_empty());
}

#[test]
fn the_same_candidate_twice_is_refused() {
    let candidates = [
        candidate("same", 4, d(2025, 1, 1), NONE),
        candidate("same", 5, d(2025, 1, 1), NONE),
    ];
    assert_eq!(
        rank_candidates(&candidates, Capacity::from(1), today(), RULES),
        Err(DomainError::DuplicateCandidate)
    );
}

#[test]
fn a_candidate_wanting_to_start_before_birth_or_registered_out_of_range_is_refused() {
    let input = CandidateInput {
        key: "k",
        birth_date: d(2025, 3, 1),
        desired_entry: d(2025, 2, 28),
        registered_on: d(2025, 3, 2),
        facts: CategoryFacts::default(),
        priority: NONE,
    };
    let err = Candidate::parse(input.clone(), today()).unwrap_err();
    assert_eq!(err.code(), "desired_entry_before_birth");

    let before_birth = CandidateInput {
        desired_entry: d(2025, 9, 1),
        registered_on: d(2025, 2, 1),
        ..input.clone()
    };
    assert_eq!(
        Candidate::parse(before_birth, today()).unwrap_err().code(),
        "registration_date_out_of_range"
    );
    let in_future = CandidateInput {
        desired_entry: d(2025, 9, 1),
        registered_on: d(2026, 6, 2),
        ..input.clone()
    };
    assert_eq!(
        Candidate::parse(in_future, today()).unwrap_err().code(),
        "registration_date_out_of_range"
    );
    let unborn = CandidateInput {
        birth_date: d(2026, 7, 1),
        desired_entry: d(2026, 9, 1),
        registered_on: d(2026, 5, 1),
        ..input.clone()
    };
    assert_eq!(
        Candidate::parse(unborn, today()).unwrap_err().code(),
        "birth_date_in_future"
    );
    let fine = CandidateInput {
        desired_entry: d(2025, 9, 1),
        ..input
    };
    assert!(Candidate::parse(fine, today()).is_ok());
}

#[test]
fn the_reason_serializes_without_the_priority_basis() {
    let ranked = rank(&[candidate("p", 4, d(2025, 1, 1), precarity())], 1);
    let json = serde_json::to_value(ranked[0].reason).unwrap();
    assert_eq!(json["priority"], true);
    assert_eq!(json["standing"]["kind"], "within_places");
    assert_eq!(json["category"], "not_in_subsidized_care");
    let text = json.to_string();
    assert!(!text.contains("precarity"), "{text}");
}
