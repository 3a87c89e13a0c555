//! Worked examples of ages and age classes, one rule each.
#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns unwrap too.

mod common;

use common::{born, d, today};
use placeforte_domain::age::{
    add_months_rolling_forward, completed_months, date_reaching_age, next_class_change,
    reference_day, reference_year_start,
};
use placeforte_domain::{
    age_class, subsidized_place_eligible, AgeClass, BirthDate, DomainError, QUEBEC_2025,
};

const RULES: &placeforte_domain::RuleSet = &QUEBEC_2025;

#[test]
fn a_child_is_under_18_months_until_the_day_of_its_18_month_anniversary() {
    let birth = born(2024, 1, 15);
    assert_eq!(
        age_class(birth, d(2025, 7, 14), RULES),
        Ok(AgeClass::Under18Months)
    );
    assert_eq!(
        age_class(birth, d(2025, 7, 15), RULES),
        Ok(AgeClass::From18MonthsTo4Years)
    );
}

#[test]
fn born_on_the_31st_reaches_18_months_on_the_first_of_the_month_after_the_missing_day() {
    // 2023-08-31 + 18 months is "2025-02-31", which does not exist: March 1.
    let birth = born(2023, 8, 31);
    assert_eq!(date_reaching_age(birth, 18), d(2025, 3, 1));
    assert_eq!(
        age_class(birth, d(2025, 2, 28), RULES),
        Ok(AgeClass::Under18Months)
    );
    assert_eq!(
        age_class(birth, d(2025, 3, 1), RULES),
        Ok(AgeClass::From18MonthsTo4Years)
    );
}

#[test]
fn born_on_march_31_the_18_month_day_is_october_1_and_the_4_year_day_always_exists() {
    // "Mois" is a calendar month (Interpretation Act, CQLR c. I-16, s. 61, 24°), silent on a
    // missing day: the rule set lists our choice, the first day of the following month.
    let rule = QUEBEC_2025.age_classes.anniversary_on_missing_day.source;
    assert_eq!(
        rule.verification,
        placeforte_domain::Verification::Interpretation
    );
    assert!(rule.citation.contains("I-16"));
    let birth = born(2024, 3, 31);
    // "2025-09-31" does not exist: the child is still under 18 months on September 30.
    assert_eq!(date_reaching_age(birth, 18), d(2025, 10, 1));
    assert_eq!(
        age_class(birth, d(2025, 9, 30), RULES),
        Ok(AgeClass::Under18Months)
    );
    assert_eq!(
        age_class(birth, d(2025, 10, 1), RULES),
        Ok(AgeClass::From18MonthsTo4Years)
    );
    // 48 months later is the same month, so a 4-year anniversary falls on a missing day only
    // for a leap-day birth with a common year four years on (2096-02-29: 2100 is not leap).
    assert_eq!(date_reaching_age(birth, 48), d(2028, 3, 31));
    let leap = BirthDate::new(d(2096, 2, 29), d(2096, 3, 1)).unwrap();
    assert_eq!(date_reaching_age(leap, 48), d(2100, 3, 1));
}

#[test]
fn born_on_the_30th_reaches_a_february_anniversary_on_march_1() {
    let birth = born(2024, 4, 30);
    assert_eq!(date_reaching_age(birth, 10), d(2025, 3, 1));
    assert_eq!(completed_months(birth, d(2025, 2, 28)), Some(9));
    assert_eq!(completed_months(birth, d(2025, 3, 1)), Some(10));
    assert_eq!(completed_months(birth, d(2025, 3, 29)), Some(10));
    assert_eq!(completed_months(birth, d(2025, 3, 30)), Some(11));
}

#[test]
fn born_on_a_leap_day_has_birthdays_on_march_1_in_common_years_and_february_29_in_leap_years() {
    let birth = born(2024, 2, 29);
    assert_eq!(date_reaching_age(birth, 12), d(2025, 3, 1));
    assert_eq!(completed_months(birth, d(2025, 2, 28)), Some(11));
    assert_eq!(completed_months(birth, d(2025, 3, 1)), Some(12));
    assert_eq!(date_reaching_age(birth, 48), d(2028, 2, 29));
    assert_eq!(
        add_months_rolling_forward(d(2024, 1, 29), 1),
        Some(d(2024, 2, 29))
    );
    assert_eq!(
        add_months_rolling_forward(d(2025, 1, 29), 1),
        Some(d(2025, 3, 1))
    );
}

#[test]
fn the_reference_year_starts_september_1_and_its_reference_day_is_september_30() {
    assert_eq!(reference_year_start(d(2025, 9, 1), RULES), d(2025, 9, 1));
    assert_eq!(reference_year_start(d(2025, 8, 31), RULES), d(2024, 9, 1));
    assert_eq!(reference_day(d(2026, 8, 31), RULES), d(2025, 9, 30));
    assert_eq!(reference_day(d(2025, 9, 1), RULES), d(2025, 9, 30));
    assert_eq!(reference_day(d(2025, 12, 25), RULES), d(2025, 9, 30));
}

#[test]
fn four_years_on_september_30_puts_a_child_in_the_4_year_class_from_september_1() {
    // Turns 4 on September 30, 2025: in the 4-year class for the whole 2025-26 year, even on
    // September 1 when still 3.
    let birth = born(2021, 9, 30);
    assert_eq!(
        age_class(birth, d(2025, 8, 31), RULES),
        Ok(AgeClass::From18MonthsTo4Years)
    );
    assert_eq!(
        age_class(birth, d(2025, 9, 1), RULES),
        Ok(AgeClass::FourYears)
    );
}

#[test]
fn turning_4_after_september_30_keeps_the_toddler_ratio_until_the_next_reference_year() {
    let birth = born(2021, 10, 1);
    assert_eq!(
        age_class(birth, d(2025, 10, 1), RULES),
        Ok(AgeClass::From18MonthsTo4Years)
    );
    assert_eq!(
        age_class(birth, d(2026, 8, 31), RULES),
        Ok(AgeClass::From18MonthsTo4Years)
    );
    assert_eq!(
        next_class_change(birth, d(2025, 10, 1), RULES),
        Ok(Some((d(2026, 9, 1), AgeClass::FourYears)))
    );
}

#[test]
fn five_years_on_september_30_is_the_oldest_class_and_ends_subsidized_eligibility() {
    let five = born(2020, 9, 30);
    assert_eq!(
        age_class(five, d(2025, 9, 1), RULES),
        Ok(AgeClass::FiveAndOver)
    );
    assert!(!subsidized_place_eligible(five, d(2025, 9, 1), RULES));
    assert!(subsidized_place_eligible(five, d(2025, 8, 31), RULES));

    let four = born(2020, 10, 1);
    assert_eq!(
        age_class(four, d(2025, 9, 1), RULES),
        Ok(AgeClass::FourYears)
    );
    assert!(subsidized_place_eligible(four, d(2026, 8, 31), RULES));
    assert!(!subsidized_place_eligible(four, d(2026, 9, 1), RULES));
}

#[test]
fn next_class_change_finds_the_18_month_day_then_the_september_changes() {
    let birth = born(2024, 1, 15);
    assert_eq!(
        next_class_change(birth, d(2024, 3, 1), RULES),
        Ok(Some((d(2025, 7, 15), AgeClass::From18MonthsTo4Years)))
    );
    // 4 on September 30, 2028 (born January 2024): 4-year class from September 1, 2028.
    assert_eq!(
        next_class_change(birth, d(2025, 7, 15), RULES),
        Ok(Some((d(2028, 9, 1), AgeClass::FourYears)))
    );
    assert_eq!(
        next_class_change(birth, d(2028, 9, 1), RULES),
        Ok(Some((d(2029, 9, 1), AgeClass::FiveAndOver)))
    );
    assert_eq!(next_class_change(birth, d(2029, 9, 1), RULES), Ok(None));
}

#[test]
fn a_birth_date_in_the_future_is_refused() {
    let err = BirthDate::new(d(2026, 6, 2), today()).unwrap_err();
    assert_eq!(err.code(), "birth_date_in_future");
    assert!(err.to_string().contains("2026-06-02"), "{err}");
    assert!(
        BirthDate::new(today(), today()).is_ok(),
        "born today is born"
    );
}

#[test]
fn the_age_class_of_a_child_not_yet_born_on_the_day_is_an_error() {
    let birth = born(2025, 5, 1);
    assert_eq!(
        age_class(birth, d(2025, 4, 30), RULES),
        Err(DomainError::NotYetBorn {
            birth: d(2025, 5, 1),
            on: d(2025, 4, 30)
        })
    );
    assert_eq!(completed_months(birth, d(2025, 4, 30)), None);
    assert_eq!(
        age_class(birth, d(2025, 5, 1), RULES),
        Ok(AgeClass::Under18Months)
    );
}

#[test]
fn age_class_codes_round_trip_and_unknown_codes_are_refused() {
    for class in AgeClass::ALL {
        assert_eq!(AgeClass::from_code(class.code()), Ok(class));
        assert_eq!(
            serde_json::to_string(&class).unwrap(),
            format!("\"{}\"", class.code())
        );
    }
    assert_eq!(
        AgeClass::from_code("toddler"),
        Err(DomainError::UnknownAgeClass("toddler".into()))
    );
}
