//! What the June group formation screens need beyond the pure rules of `placeforte-domain`:
//! the group lists as CSV ([`group_lists`]) and the reviewed vacancies queued for the service
//! ([`declare`]).

pub mod declare;
pub mod group_lists;

pub use declare::{declare_reviewed_vacancies, proposed_vacancies, ReviewedVacancy};
pub use group_lists::{export_group_lists, GroupListError, GroupListFormat, Language};
