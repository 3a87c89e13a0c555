//! Ages, age classes and subsidized-place eligibility.
//!
//! # Month arithmetic
//! A child is `n` months old from the day its `n`-month anniversary falls on. When that day does
//! not exist in the month (born on the 29th to 31st, or on February 29), the anniversary falls on
//! the **first day of the following month**: a child born on August 31 is 18 months old on
//! March 1, not on February 28. The texts are silent on this; we chose the later day because it
//! keeps a child in the younger class (which needs more educators) one day longer, so a ratio is
//! never under-counted. See `docs/rules.md`.
//!
//! # Age classes
//! The youngest class is set by the child's age on the day itself (under 18 months). The two
//! older classes are set by the age on the reference day (September 30) of the reference year
//! (which starts September 1). A child who turns 4 after September 30 is therefore still
//! counted in the 18-months-to-4-years class until the next reference year: the texts define
//! the 4-year class by the age on September 30, and the conservative reading keeps the child in
//! the class with the tighter ratio meanwhile.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::rules::RuleSet;

/// The regulation's age classes, youngest first. The order is the order a child moves through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum AgeClass {
    /// Under 18 months on the day.
    #[serde(rename = "under_18_months")]
    Under18Months,
    /// 18 months or more on the day, and not in an older class.
    #[serde(rename = "from_18_months_to_4_years")]
    From18MonthsTo4Years,
    /// 4 years on September 30 of the reference year, but under 5 on that day.
    FourYears,
    /// 5 years or more on September 30 of the reference year.
    FiveAndOver,
}

impl AgeClass {
    /// Every class, youngest first.
    pub const ALL: [AgeClass; 4] = [
        AgeClass::Under18Months,
        AgeClass::From18MonthsTo4Years,
        AgeClass::FourYears,
        AgeClass::FiveAndOver,
    ];

    /// Stable code used in storage, on the wire and as the i18n key suffix.
    pub fn code(self) -> &'static str {
        match self {
            AgeClass::Under18Months => "under_18_months",
            AgeClass::From18MonthsTo4Years => "from_18_months_to_4_years",
            AgeClass::FourYears => "four_years",
            AgeClass::FiveAndOver => "five_and_over",
        }
    }

    /// The class with this code.
    pub fn from_code(code: &str) -> Result<AgeClass, DomainError> {
        AgeClass::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| DomainError::UnknownAgeClass(code.to_owned()))
    }

    /// Position in [`AgeClass::ALL`].
    pub fn index(self) -> usize {
        match self {
            AgeClass::Under18Months => 0,
            AgeClass::From18MonthsTo4Years => 1,
            AgeClass::FourYears => 2,
            AgeClass::FiveAndOver => 3,
        }
    }
}

/// A child's birth date, known not to be in the future.
///
/// Only children already born can be registered, so a future date is refused at the door
/// rather than checked wherever a date is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BirthDate(NaiveDate);

impl BirthDate {
    /// A birth date, refused if it is after `today`.
    pub fn new(date: NaiveDate, today: NaiveDate) -> Result<BirthDate, DomainError> {
        if date > today {
            return Err(DomainError::BirthDateInFuture { birth: date, today });
        }
        Ok(BirthDate(date))
    }

    /// The date itself.
    pub fn date(self) -> NaiveDate {
        self.0
    }
}

/// `date` plus `months`, with a missing day rolled to the first of the following month
/// (see the module documentation). `None` only past the end of the calendar.
pub fn add_months_rolling_forward(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    let first_of_month = date.with_day(1)?;
    let target_first = first_of_month.checked_add_months(Months::new(months))?;
    match target_first.with_day(date.day()) {
        Some(exact) => Some(exact),
        None => target_first.checked_add_months(Months::new(1)),
    }
}

/// The day a child born on `birth` becomes `months` months old.
pub fn date_reaching_age(birth: BirthDate, months: u32) -> NaiveDate {
    add_months_rolling_forward(birth.0, months).unwrap_or(NaiveDate::MAX)
}

/// Completed months of age on `on`; `None` if the child is not born yet on that day.
pub fn completed_months(birth: BirthDate, on: NaiveDate) -> Option<u32> {
    if on < birth.0 {
        return None;
    }
    let year_months = (on.year() - birth.0.year()) * 12;
    let month_diff = on.month() as i32 - birth.0.month() as i32;
    // The calendar difference is at most one month more than the completed months.
    let upper = u32::try_from(year_months + month_diff).ok()?;
    if date_reaching_age(birth, upper) <= on {
        Some(upper)
    } else {
        Some(upper.saturating_sub(1))
    }
}

/// The first day of the reference year containing `on`.
pub fn reference_year_start(on: NaiveDate, rules: &RuleSet) -> NaiveDate {
    let start = rules.reference_year_start.value.in_year(on.year());
    if on >= start {
        start
    } else {
        rules.reference_year_start.value.in_year(on.year() - 1)
    }
}

/// The reference day (September 30) of the reference year containing `on`.
pub fn reference_day(on: NaiveDate, rules: &RuleSet) -> NaiveDate {
    let start = reference_year_start(on, rules);
    rules.age_reference_day.value.in_year(start.year())
}

/// The child's age class on `on`, under `rules`.
pub fn age_class(
    birth: BirthDate,
    on: NaiveDate,
    rules: &RuleSet,
) -> Result<AgeClass, DomainError> {
    let Some(months_today) = completed_months(birth, on) else {
        return Err(DomainError::NotYetBorn { birth: birth.0, on });
    };
    // A child born after the reference day has age 0 on it.
    let months_on_reference_day = completed_months(birth, reference_day(on, rules)).unwrap_or(0);
    let thresholds = &rules.age_classes;
    let class = if months_on_reference_day >= thresholds.five_years_from_months.value {
        AgeClass::FiveAndOver
    } else if months_on_reference_day >= thresholds.four_years_from_months.value {
        AgeClass::FourYears
    } else if months_today >= thresholds.toddler_from_months.value {
        AgeClass::From18MonthsTo4Years
    } else {
        AgeClass::Under18Months
    };
    Ok(class)
}

/// Whether a child may hold a subsidized place on `on`: under 5 on September 30 of the
/// reference year containing `on`.
pub fn subsidized_place_eligible(birth: BirthDate, on: NaiveDate, rules: &RuleSet) -> bool {
    let months_on_reference_day = completed_months(birth, reference_day(on, rules)).unwrap_or(0);
    months_on_reference_day < rules.subsidized_under_months.value
}

/// The first day after `after` on which the child's age class changes, with the new class.
/// `None` once the child is in the oldest class.
pub fn next_class_change(
    birth: BirthDate,
    after: NaiveDate,
    rules: &RuleSet,
) -> Result<Option<(NaiveDate, AgeClass)>, DomainError> {
    let current = age_class(birth, after, rules)?;
    if current == AgeClass::FiveAndOver {
        return Ok(None);
    }
    // Candidate days: the 18-month anniversary and the starts of the next reference years.
    // A class changes only on one of them, so checking them in order finds the first change.
    let mut candidates = vec![date_reaching_age(
        birth,
        rules.age_classes.toddler_from_months.value,
    )];
    let mut start = reference_year_start(after, rules);
    for _ in 0..8 {
        start = rules.reference_year_start.value.in_year(start.year() + 1);
        candidates.push(start);
    }
    candidates.retain(|d| *d > after);
    candidates.sort();
    for day in candidates {
        let class = age_class(birth, day, rules)?;
        if class != current {
            return Ok(Some((day, class)));
        }
    }
    Ok(None)
}
