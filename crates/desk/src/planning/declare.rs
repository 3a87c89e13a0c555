//! From the places the plan leaves (the domain's [`vacancies`](placeforte_domain::vacancies))
//! to vacancy declarations in the outbox, after the director has reviewed them.
//!
//! The screen shows [`proposed_vacancies`]; the director may lower a number of places (to keep
//! a place for a child the records do not show yet), set it to zero to declare nothing for
//! that class and day, or name the group; never raise it above what the plan leaves, since a
//! place declared but not there would be offered to a family for nothing.

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::{AgeClass, Vacancy};
use serde::{Deserialize, Serialize};

use crate::cache::{LocalVacancy, VacancyDeclaration};
use crate::{Cache, DeskError};

/// One line of the review: places of a class from a day, as the director left them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewedVacancy {
    /// The age class.
    pub age_class: AgeClass,
    /// The first day of the places.
    pub start_date: NaiveDate,
    /// Places to declare: from zero (declare nothing) to what the plan leaves.
    pub places: u32,
    /// The daycare's own name for the group, if the director gives one.
    #[serde(default)]
    pub group_label: Option<String>,
}

/// The review as first shown: every place the plan leaves, unchanged.
pub fn proposed_vacancies(left: &[Vacancy]) -> Vec<ReviewedVacancy> {
    left.iter()
        .map(|v| ReviewedVacancy {
            age_class: v.class,
            start_date: v.from,
            places: v.places,
            group_label: None,
        })
        .collect()
}

/// Queues one declaration per reviewed line with places, checked against `left` (what the
/// plan leaves), all or nothing, and returns what was queued.
///
/// Refused, with nothing queued: a line for a class and day the plan has no places for
/// (`vacancy_not_in_plan`), the same class and day twice (`vacancy_reviewed_twice`), more
/// places than the plan leaves (`vacancy_above_places_left`), and anything
/// [`Cache::queue_vacancy`] refuses.
pub async fn declare_reviewed_vacancies(
    cache: &Cache,
    left: &[Vacancy],
    reviewed: &[ReviewedVacancy],
    now: DateTime<Utc>,
) -> Result<Vec<LocalVacancy>, DeskError> {
    let mut declarations = Vec::new();
    for (i, line) in reviewed.iter().enumerate() {
        let same = |other: &ReviewedVacancy| {
            other.age_class == line.age_class && other.start_date == line.start_date
        };
        if reviewed[..i].iter().any(same) {
            return Err(DeskError::VacancyReviewedTwice);
        }
        let planned = left
            .iter()
            .find(|v| v.class == line.age_class && v.from == line.start_date)
            .ok_or(DeskError::VacancyNotInPlan)?;
        if line.places > planned.places {
            return Err(DeskError::VacancyAbovePlacesLeft {
                left: planned.places,
            });
        }
        if line.places > 0 {
            declarations.push(VacancyDeclaration {
                age_class: line.age_class,
                places: line.places,
                start_date: line.start_date,
                group_label: line.group_label.clone(),
            });
        }
    }
    cache.queue_vacancies(declarations, now).await
}
