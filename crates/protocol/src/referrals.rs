//! Vacancies and the referrals the service makes for them.
//!
//! A daycare declares vacancies; the service refers candidates in the regulated order. What a
//! referral carries is exactly the desktop cache's inventory (DESIGN.md section 5): never a full
//! name, an address, contact details or a priority basis.

use placeforte_domain::AgeClass;
use serde::{Deserialize, Serialize};

use crate::{Date, VacancyId};

/// Path of the vacancy declaration endpoint (API listener).
pub const VACANCIES_PATH: &str = "/v1/vacancies";

/// Longest group label accepted, in characters.
pub const MAX_GROUP_LABEL_CHARS: usize = 60;

/// `POST /v1/vacancies`: places of one age class free from a start date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclareVacancy {
    /// The age class of the places.
    pub age_class: AgeClass,
    /// How many places (1 to the installation's cap).
    pub places: u32,
    /// The first day of the places.
    pub start_date: Date,
    /// The daycare's own name for the group, if any (no personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_label: Option<String>,
}

/// The answer to a declaration: the vacancy and how many referrals it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VacancyDeclared {
    /// The new vacancy.
    pub vacancy_id: VacancyId,
    /// Referrals made now (fewer than asked for when fewer candidates qualify).
    pub referrals: u32,
    /// The day by which the referred families must answer.
    pub answer_by: Date,
}
