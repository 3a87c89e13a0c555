//! Property tests of the domain's invariants. Failing cases are saved under
//! `proptest-regressions/` and committed, so a once-found bug is re-checked forever.
#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns unwrap too.

mod common;

use chrono::{Days, NaiveDate};
use common::{d, today};
use placeforte_domain::age::{completed_months, date_reaching_age, next_class_change};
use placeforte_domain::referral_order::quota_seats;
use placeforte_domain::{
    age_class, educators_for_counts, rank_candidates, AgeClass, BirthDate, Candidate,
    CandidateInput, Capacity, CategoryFacts, ClassCounts, PriorityBasis, RankedCandidate, Standing,
    QUEBEC_2025,
};
use proptest::prelude::*;
use proptest::sample::subsequence;
use proptest::test_runner::FileFailurePersistence;

const RULES: &placeforte_domain::RuleSet = &QUEBEC_2025;

fn date_between(from: NaiveDate, to: NaiveDate) -> impl Strategy<Value = NaiveDate> {
    let span = (to - from).num_days().max(0) as u64;
    (0..=span).prop_map(move |offset| from + Days::new(offset))
}

fn birth_date() -> impl Strategy<Value = BirthDate> {
    date_between(d(2014, 1, 1), today()).prop_map(|day| BirthDate::new(day, today()).unwrap())
}

/// Candidate data without a key; keys are given by position so they are unique.
fn candidate_input() -> impl Strategy<Value = CandidateInput<()>> {
    (
        date_between(d(2020, 1, 1), today()),
        0u64..900,
        0u64..700,
        any::<[bool; 3]>(),
        // Priority is rarer than not, as in life; dates collide often to exercise ties.
        // Bits: the six criteria of the 2025 Act, in `PriorityBasis` order.
        prop::sample::select(vec![0u8, 0, 0, 0, 0, 1, 2, 3, 4, 7, 8, 16, 32, 34, 63]),
    )
        .prop_map(
            |(birth, desired_after, registered_after, facts, priority)| {
                // Few distinct desired dates (monthly), so ties are common.
                let desired = birth + Days::new(desired_after / 30 * 30);
                let registered = (birth + Days::new(registered_after)).min(today());
                CandidateInput {
                    key: (),
                    birth_date: birth,
                    desired_entry: desired,
                    registered_on: registered,
                    facts: CategoryFacts {
                        staff_member_child: facts[0],
                        same_address_as_admitted_child: facts[1],
                        already_in_subsidized_care: facts[2],
                    },
                    priority: PriorityBasis {
                        special_needs: priority & 1 != 0,
                        socio_economic_precarity: priority & 2 != 0,
                        parent_in_education: priority & 4 != 0,
                        parent_works_for_partner_employer: priority & 8 != 0,
                        lives_in_partner_municipality: priority & 16 != 0,
                        indigenous: priority & 32 != 0,
                    },
                }
            },
        )
}

fn with_keys(inputs: &[CandidateInput<()>]) -> Vec<Candidate<u32>> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let keyed = CandidateInput {
                key: i as u32 * 7919 % 10007,
                birth_date: input.birth_date,
                desired_entry: input.desired_entry,
                registered_on: input.registered_on,
                facts: input.facts,
                priority: input.priority,
            };
            Candidate::parse(keyed, today()).expect("strategy makes valid candidates")
        })
        .collect()
}

fn rank(candidates: &[Candidate<u32>], places: u32) -> Vec<RankedCandidate<u32>> {
    rank_candidates(candidates, Capacity::from(places), today(), RULES).unwrap()
}

/// The category order, written independently of the code under test: category, desired
/// entry date, registration date, key. The priority basis plays no part.
fn category_order(candidates: &[Candidate<u32>]) -> Vec<u32> {
    let mut sorted: Vec<&Candidate<u32>> = candidates.iter().collect();
    sorted.sort_by_key(|c| (c.category(), c.desired_entry(), c.registered_on(), *c.key()));
    sorted.iter().map(|c| *c.key()).collect()
}

/// The priority candidates in the order they take quota seats: as the category order, but
/// precarity first between candidates of the same category and desired entry date.
fn quota_order(candidates: &[Candidate<u32>]) -> Vec<u32> {
    let mut sorted: Vec<&Candidate<u32>> = candidates
        .iter()
        .filter(|c| c.priority().is_priority())
        .collect();
    sorted.sort_by_key(|c| {
        (
            c.category(),
            c.desired_entry(),
            !c.priority().socio_economic_precarity,
            c.registered_on(),
            *c.key(),
        )
    });
    sorted.iter().map(|c| *c.key()).collect()
}

fn keys_with(ranked: &[RankedCandidate<u32>], pick: impl Fn(Standing) -> bool) -> Vec<u32> {
    let mut keys: Vec<u32> = ranked
        .iter()
        .filter(|r| pick(r.reason.standing))
        .map(|r| r.key)
        .collect();
    keys.sort_unstable();
    keys
}

fn position(ranked: &[RankedCandidate<u32>], key: u32) -> usize {
    ranked.iter().position(|r| r.key == key).unwrap()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        // Relative to the crate directory, where cargo runs tests; committed.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/properties.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_order_is_total_and_does_not_depend_on_input_order(
        inputs in prop::collection::vec(candidate_input(), 0..40),
        places in 0u32..12,
        seed in any::<u64>(),
    ) {
        let candidates = with_keys(&inputs);
        let mut shuffled = candidates.clone();
        // A deterministic shuffle driven by the generated seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let ranked = rank(&candidates, places);
        prop_assert_eq!(&ranked, &rank(&shuffled, places));
        let ranks: Vec<u32> = ranked.iter().map(|r| r.rank).collect();
        prop_assert_eq!(ranks, (1..=candidates.len() as u32).collect::<Vec<_>>());
        let mut keys: Vec<u32> = ranked.iter().map(|r| r.key).collect();
        keys.sort_unstable();
        let mut expected: Vec<u32> = candidates.iter().map(|c| *c.key()).collect();
        expected.sort_unstable();
        prop_assert_eq!(keys, expected);
    }

    #[test]
    fn adding_a_candidate_never_swaps_two_others_of_the_same_category_priority_and_precarity(
        inputs in prop::collection::vec(candidate_input(), 1..40),
        places in 0u32..12,
    ) {
        let all = with_keys(&inputs);
        let (newcomer, others) = all.split_last().unwrap();
        let before = rank(others, places);
        let after = rank(&all, places);
        for a in others {
            for b in others {
                let same_status = a.category() == b.category()
                    && a.priority().is_priority() == b.priority().is_priority()
                    && a.priority().socio_economic_precarity == b.priority().socio_economic_precarity;
                if !same_status || a.key() == b.key() {
                    continue;
                }
                let was = position(&before, *a.key()) < position(&before, *b.key());
                let is = position(&after, *a.key()) < position(&after, *b.key());
                prop_assert_eq!(was, is, "adding {:?} swapped {:?} and {:?}", newcomer.key(), a.key(), b.key());
            }
        }
    }

    #[test]
    fn at_most_the_quotas_share_of_places_goes_by_priority_and_it_goes_to_the_best_placed(
        inputs in prop::collection::vec(candidate_input(), 0..40),
        places in 0u32..20,
    ) {
        let candidates = with_keys(&inputs);
        let ranked = rank(&candidates, places);
        let seats = quota_seats(places as usize, RULES.referral.priority_share_percent.value);
        prop_assert!(seats * 100 <= places as usize * 50, "more seats than 50 %");
        let mut by_quota = Vec::new();
        for r in &ranked {
            if let Standing::PriorityQuota { seats: of, .. } = r.reason.standing {
                prop_assert_eq!(of as usize, seats);
                prop_assert!(r.reason.priority);
                by_quota.push(r.key);
            }
        }
        // The seats go to the best-placed priority candidates, as many as there are seats.
        let priority = quota_order(&candidates);
        let used = seats.min(priority.len());
        let mut expected = priority[..used].to_vec();
        expected.sort_unstable();
        by_quota.sort_unstable();
        prop_assert_eq!(by_quota, expected);
    }

    #[test]
    fn the_general_places_are_exactly_the_best_placed_remaining_candidates(
        inputs in prop::collection::vec(candidate_input(), 0..40),
        places in 0u32..20,
    ) {
        let candidates = with_keys(&inputs);
        let ranked = rank(&candidates, places);
        let quota = keys_with(&ranked, |s| matches!(s, Standing::PriorityQuota { .. }));
        let order = category_order(&candidates);
        let filled = (places as usize).min(candidates.len());
        let mut expected: Vec<u32> = order
            .iter()
            .copied()
            .filter(|k| quota.binary_search(k).is_err())
            .take(filled - quota.len())
            .collect();
        expected.sort_unstable();
        prop_assert_eq!(keys_with(&ranked, |s| s == Standing::WithinPlaces), expected);

        // The placed come first, exactly as many as can be placed, in category order; the
        // others follow in category order.
        let placed = |s: Standing| matches!(s, Standing::WithinPlaces | Standing::PriorityQuota { .. });
        let at = |key: u32| order.iter().position(|&k| k == key).unwrap();
        for (i, r) in ranked.iter().enumerate() {
            prop_assert_eq!(placed(r.reason.standing), i < filled);
            prop_assert_eq!(r.reason.category_order_rank as usize, at(r.key) + 1);
            match r.reason.standing {
                Standing::DisplacedByPriorityQuota => {
                    prop_assert!(!r.reason.priority, "a priority candidate displaced");
                    prop_assert!(at(r.key) < places as usize);
                }
                Standing::Waiting => prop_assert!(at(r.key) >= places as usize),
                _ => {}
            }
        }
        for pair in ranked.windows(2) {
            if placed(pair[0].reason.standing) == placed(pair[1].reason.standing) {
                prop_assert!(pair[0].reason.category_order_rank < pair[1].reason.category_order_rank);
            }
        }
    }

    #[test]
    fn a_childs_age_class_only_moves_forward_in_time(
        birth in birth_date(),
        offsets in subsequence((0u64..2600).collect::<Vec<_>>(), 2..12),
    ) {
        let mut previous = AgeClass::Under18Months;
        for offset in offsets {
            let class = age_class(birth, birth.date() + Days::new(offset), RULES).unwrap();
            prop_assert!(class >= previous, "{:?} then {:?} at +{}", previous, class, offset);
            previous = class;
        }
    }

    #[test]
    fn completed_months_are_bracketed_by_the_anniversaries(
        birth in birth_date(),
        offset in 0u64..2600,
    ) {
        let on = birth.date() + Days::new(offset);
        let months = completed_months(birth, on).unwrap();
        prop_assert!(date_reaching_age(birth, months) <= on);
        prop_assert!(date_reaching_age(birth, months + 1) > on);
    }

    #[test]
    fn next_class_change_is_the_first_day_the_class_changes(
        birth in birth_date(),
        offset in 0u64..2200,
        probes in prop::collection::vec(0u64..2000, 1..8),
    ) {
        let after = birth.date() + Days::new(offset);
        let current = age_class(birth, after, RULES).unwrap();
        match next_class_change(birth, after, RULES).unwrap() {
            Some((day, class)) => {
                prop_assert!(day > after);
                prop_assert!(class > current);
                prop_assert_eq!(age_class(birth, day, RULES).unwrap(), class);
                prop_assert_eq!(age_class(birth, day.pred_opt().unwrap(), RULES).unwrap(), current);
                for probe in probes {
                    let between = after + Days::new(probe);
                    if between < day {
                        prop_assert_eq!(age_class(birth, between, RULES).unwrap(), current);
                    }
                }
            }
            None => prop_assert_eq!(current, AgeClass::FiveAndOver),
        }
    }

    #[test]
    fn ratios_never_under_count_educators(
        counts in prop::array::uniform4(0u32..120),
        extra in 0usize..4,
    ) {
        let children = ClassCounts::from_counts([
            (AgeClass::Under18Months, counts[0]),
            (AgeClass::From18MonthsTo4Years, counts[1]),
            (AgeClass::FourYears, counts[2]),
            (AgeClass::FiveAndOver, counts[3]),
        ]);
        let educators = educators_for_counts(children, RULES).educators;
        // Exact need in 1/40ths of an educator (40 is the LCM of 5, 8, 10 and 20).
        let ratios = [5u64, 8, 10, 20];
        let need: u64 = counts.iter().zip(ratios).map(|(&n, r)| u64::from(n) * (40 / r)).sum();
        prop_assert!(educators * 40 >= need, "under-counted");
        prop_assert!(educators == 0 || (educators - 1) * 40 < need, "over-counted");
        for (&n, r) in counts.iter().zip(ratios) {
            prop_assert!(educators >= u64::from(n).div_ceil(r), "fewer than one class alone needs");
        }
        let mut one_more = children;
        one_more.add(AgeClass::ALL[extra]);
        prop_assert!(educators_for_counts(one_more, RULES).educators >= educators);
    }

    #[test]
    fn capacities_are_exactly_the_non_negative_numbers(value in any::<i64>()) {
        let parsed = Capacity::new(value);
        prop_assert_eq!(parsed.is_ok(), (0..=i64::from(u32::MAX)).contains(&value));
        if let Ok(capacity) = parsed {
            prop_assert_eq!(i64::from(capacity.get()), value);
        }
    }
}
