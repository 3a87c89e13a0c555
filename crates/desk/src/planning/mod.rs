//! What the June group formation screens need beyond the pure rules of `placeforte-domain`:
//! the group lists as CSV ([`group_lists`]) and the reviewed vacancies queued for the service
//! ([`declare`]); next year's groups as typed, with every problem the domain finds in them
//! ([`setup`]); the plan read from the cache and composed ([`plan`]), its children keyed by
//! [`key`], and drawn for the screen ([`view`], its breaches in [`breach`]); what accepting a
//! referred child would do to the groups ([`preview`]).

pub mod breach;
pub mod declare;
pub mod group_lists;
pub mod key;
pub mod plan;
pub mod preview;
pub mod setup;
pub mod view;

pub use breach::{BreachCauseView, BreachCode, BreachView, CauseCode};
pub use declare::{declare_reviewed_vacancies, proposed_vacancies, ReviewedVacancy};
pub use group_lists::{export_group_lists, GroupListError, GroupListFormat, Language};
pub use key::{PlanChildKey, PlanChildKeyError};
pub use plan::{group_named, next_school_year_start, referral_entrant, Plan, PlanInputs};
pub use preview::{
    acceptance_preview, AcceptancePreview, ClassLoadView, GroupLoadView, HorizonView, PeakView,
    PREVIEW_MONTHS,
};
pub use setup::{GroupSetup, GroupSpec, SetupProblem, SetupProblemCode};
pub use view::{
    BlockedView, BlockingCode, LeftOutCode, LeftOutView, PlacedView, PlanGroupView,
    PlanVacancyView, PlanView, SeriesView, SiblingWishView, StepView, SubjectView,
};
