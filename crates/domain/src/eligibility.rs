//! Which registrations may be referred to a vacancy.
//!
//! A registration can be referred to a vacancy of age class `C` starting on day `S` when, on
//! `S`, the child is born, is in class `C`, may hold a subsidized place (under 5 on
//! September 30), and the family wanted the child to start by `S`. The last condition is our
//! reading of "time elapsed since the desired entry date": a family that asked for a later
//! start is not offered an earlier one (see `docs/rules.md`).

use chrono::NaiveDate;
use serde::Serialize;

use crate::age::{age_class, subsidized_place_eligible, AgeClass, BirthDate};
use crate::rules::RuleSet;

/// Why a registration cannot be referred to a vacancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ineligibility {
    /// The child is not born on the start day.
    NotBornByStart,
    /// The child is in another age class on the start day.
    OtherAgeClass {
        /// The child's class on the start day.
        class_on_start: AgeClass,
    },
    /// The child is 5 or over on September 30 of the reference year of the start day.
    TooOldForSubsidizedPlace,
    /// The family wants the child to start after the vacancy's start day.
    WantsToStartLater {
        /// The family's desired entry date.
        desired_entry: NaiveDate,
    },
}

/// Whether a child born on `birth`, wanted in from `desired_entry`, can be referred to a
/// vacancy of `class` starting on `start`.
pub fn referable_to_vacancy(
    birth: BirthDate,
    desired_entry: NaiveDate,
    class: AgeClass,
    start: NaiveDate,
    rules: &RuleSet,
) -> Result<(), Ineligibility> {
    let class_on_start =
        age_class(birth, start, rules).map_err(|_| Ineligibility::NotBornByStart)?;
    if !subsidized_place_eligible(birth, start, rules) {
        return Err(Ineligibility::TooOldForSubsidizedPlace);
    }
    if class_on_start != class {
        return Err(Ineligibility::OtherAgeClass { class_on_start });
    }
    if desired_entry > start {
        return Err(Ineligibility::WantsToStartLater { desired_entry });
    }
    Ok(())
}
