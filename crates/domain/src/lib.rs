//! Québec's daycare rules, as versioned data, and the pure functions over them.
//!
//! This crate does no IO, no async and no clock reading: every function takes the day it is
//! asked about and the [`RuleSet`] to apply, so results are reproducible and explainable later.
//!
//! - [`rules`]: the [`RuleSet`] values with the source of every number ([`Sourced`]).
//! - [`age`]: exact month arithmetic, [`AgeClass`], subsidized-place eligibility.
//! - [`ratio`]: educators needed for children present.
//! - [`capacity`]: places and permits that cannot be negative or over the installation cap.
//! - [`candidate`] and [`referral_order`]: the regulated referral order, with the reason for
//!   every rank; [`eligibility`]: which registrations a vacancy may be offered to.
//! - [`offer`]: what accepting, refusing or missing a deadline does to a registration.
//! - June group formation: [`groups`] (next year's groups within the permit), [`simulator`]
//!   (the year ahead day by day, with every breach and its cause), [`composer`] (children into
//!   groups without a breach on any day) and [`vacancies`](mod@vacancies) (the places left to declare).
//!
//! Types refuse invalid values when built ("parse, don't validate"): a [`BirthDate`] is never in
//! the future, a [`Candidate`] never wants to start before birth, a [`Capacity`] is never negative.
//!
//! ```
//! use chrono::NaiveDate;
//! use placeforte_domain::{age_class, educators_needed, AgeClass, BirthDate, QUEBEC_2025};
//!
//! let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
//! let toddler = BirthDate::new(NaiveDate::from_ymd_opt(2024, 1, 15).expect("a date"), today)?;
//! let baby = BirthDate::new(NaiveDate::from_ymd_opt(2025, 11, 2).expect("a date"), today)?;
//! assert_eq!(age_class(toddler, today, &QUEBEC_2025)?, AgeClass::From18MonthsTo4Years);
//! // 1/8 + 1/5 of an educator, rounded up once.
//! assert_eq!(educators_needed(&[toddler, baby], today, &QUEBEC_2025)?.educators, 1);
//! # Ok::<(), placeforte_domain::DomainError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod age;
pub mod calendar;
pub mod candidate;
pub mod capacity;
pub mod composer;
pub mod eligibility;
pub mod error;
pub mod groups;
pub mod occupancy;
pub mod offer;
pub mod ratio;
pub mod referral_order;
pub mod rules;
pub mod simulator;
pub mod sourced;
mod timeline;
pub mod vacancies;

pub use age::{age_class, subsidized_place_eligible, AgeClass, BirthDate};
pub use calendar::{end_of_quebec_day, quebec_today};
pub use candidate::{Candidate, CandidateInput, Category, CategoryFacts, PriorityBasis};
pub use capacity::{Capacity, Permit};
pub use composer::{
    compose, first_fit_greedy, Blocked, BlockingRule, Composition, Entrant, EntrantKind, LeftOut,
    LeftOutReason, Optimality, Placed, PlacedReason, SiblingWish,
};
pub use eligibility::{referable_to_vacancy, Ineligibility};
pub use error::DomainError;
pub use groups::{school_year_end, AgeClassSet, Group, Installation, PlanError, PlannedChild};
pub use occupancy::{occupancy_series, OccupancySeries, OccupancyStep, SeriesSubject};
pub use offer::{
    apply_outcome, decide_outcome, reactivate, OfferOutcome, OutcomeDecision, OutcomeEffect,
    OutcomeError, ReactivationError, RefusalReason, RegistrationState, RegistrationStatus,
};
pub use ratio::{educators_for_counts, educators_needed, ClassCounts, EducatorsNeeded};
pub use referral_order::{rank_candidates, RankReason, RankedCandidate, Standing};
pub use rules::{quebec_rules_on, RetentionRules, RuleBook, RuleSet, QUEBEC_2025};
pub use simulator::{
    simulate, Breach, BreachKind, ChildEvent, ChildEventKind, ChildYear, ClassSpan, GroupFigures,
    InstallationFigures, Period, Placement, Simulation,
};
pub use sourced::{Source, Sourced, Verification};
pub use vacancies::{vacancies, Vacancy};
