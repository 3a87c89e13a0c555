//! What the Vacancies screen sends and receives: a declaration as the form gives it, and each
//! declaration made on this computer with where it stands in the outbox.

use placeforte_desk::cache::{LocalVacancy, OutboxState, VacancyDeclaration};
use placeforte_domain::AgeClass;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, ErrorCode};

/// A vacancy to declare, as the form gives it: its date read here so that a malformed one is
/// `invalid_input`, its group label trimmed.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct VacancyInput {
    /// The age class of the places.
    pub age_class: AgeClass,
    /// How many places.
    pub places: u32,
    /// First day (`YYYY-MM-DD`).
    pub start_date: String,
    /// The daycare's own name for the group (blank: none).
    pub group_label: Option<String>,
}

impl VacancyInput {
    /// The declaration; a malformed date is refused here, the rest by the cache (the same
    /// checks as the service's).
    pub fn into_declaration(self) -> Result<VacancyDeclaration, AppError> {
        let start_date = self
            .start_date
            .parse()
            .map_err(|_| AppError::new(ErrorCode::InvalidInput, "the start date is not a date"))?;
        Ok(VacancyDeclaration {
            age_class: self.age_class,
            places: self.places,
            start_date,
            group_label: self
                .group_label
                .map(|label| label.trim().to_owned())
                .filter(|label| !label.is_empty()),
        })
    }
}

/// A vacancy declared on this computer: a [`LocalVacancy`] without its outbox order and
/// idempotency key, which stay between the cache and the service.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct VacancyView {
    /// Its id on this computer.
    pub local_id: String,
    /// The age class of the places.
    pub age_class: AgeClass,
    /// How many places.
    pub places: u32,
    /// First day (`YYYY-MM-DD`).
    pub start_date: String,
    /// The daycare's own name for the group.
    pub group_label: Option<String>,
    /// RFC 3339 time the director declared it.
    pub declared_at: String,
    /// Pending (offline, waits for the next sync), sent, or refused as a conflict.
    pub state: OutboxState,
    /// The service's vacancy, once sent: its referrals carry this id.
    pub vacancy_id: Option<String>,
    /// Referrals the service made for it, once sent.
    pub referrals: Option<u32>,
    /// The day referred families must answer by, once sent.
    pub answer_by: Option<String>,
}

impl From<LocalVacancy> for VacancyView {
    fn from(vacancy: LocalVacancy) -> Self {
        let declaration = vacancy.declaration;
        VacancyView {
            local_id: vacancy.local_id.to_string(),
            age_class: declaration.age_class,
            places: declaration.places,
            start_date: declaration.start_date.to_string(),
            group_label: declaration.group_label,
            declared_at: vacancy.created_at.to_rfc3339(),
            state: vacancy.state,
            vacancy_id: vacancy.vacancy_id.map(|id| id.to_string()),
            referrals: vacancy.referrals,
            answer_by: vacancy.answer_by.map(|day| day.to_string()),
        }
    }
}
