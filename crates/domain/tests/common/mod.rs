//! Helpers shared by the domain's integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod year;

use chrono::NaiveDate;
use placeforte_domain::{BirthDate, Candidate, CandidateInput, CategoryFacts, PriorityBasis};

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}

/// "Today" for tests: late enough that every test birth date is in the past.
pub fn today() -> NaiveDate {
    d(2026, 6, 1)
}

pub fn born(y: i32, m: u32, day: u32) -> BirthDate {
    BirthDate::new(d(y, m, day), today()).expect("birth date in the past")
}

pub fn facts_for_category(number: u8) -> CategoryFacts {
    match number {
        1 => CategoryFacts {
            staff_member_child: true,
            same_address_as_admitted_child: true,
            already_in_subsidized_care: false,
        },
        2 => CategoryFacts {
            staff_member_child: true,
            ..CategoryFacts::default()
        },
        3 => CategoryFacts {
            same_address_as_admitted_child: true,
            ..CategoryFacts::default()
        },
        4 => CategoryFacts::default(),
        _ => CategoryFacts {
            already_in_subsidized_care: true,
            ..CategoryFacts::default()
        },
    }
}

pub fn precarity() -> PriorityBasis {
    PriorityBasis {
        socio_economic_precarity: true,
        ..PriorityBasis::NONE
    }
}

pub fn special_needs() -> PriorityBasis {
    PriorityBasis {
        special_needs: true,
        ..PriorityBasis::NONE
    }
}

/// A candidate born 2024-01-10, registered 2024-02-01, in `category`, wanting to start on
/// `desired`.
pub fn candidate(
    key: &str,
    category: u8,
    desired: NaiveDate,
    priority: PriorityBasis,
) -> Candidate<String> {
    Candidate::parse(
        CandidateInput {
            key: key.to_owned(),
            birth_date: d(2024, 1, 10),
            desired_entry: desired,
            registered_on: d(2024, 2, 1),
            facts: facts_for_category(category),
            priority,
        },
        today(),
    )
    .expect("valid candidate")
}
