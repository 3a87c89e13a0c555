//! A registered child as the referral order sees it: dates, category facts, priority basis.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::age::BirthDate;
use crate::error::DomainError;

/// The facts that decide a candidate's category (DESIGN.md §4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CategoryFacts {
    /// A parent works at the daycare.
    pub staff_member_child: bool,
    /// The child lives at the same address as a child already admitted to the daycare.
    pub same_address_as_admitted_child: bool,
    /// The child already holds a place in a CPE or subsidized daycare.
    pub already_in_subsidized_care: bool,
}

/// The five categories of the referral order, first served first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 1: a staff member's child living at the same address as an admitted child.
    StaffChildSameAddress,
    /// 2: a staff member's child.
    StaffChild,
    /// 3: a child living at the same address as an admitted child.
    SameAddress,
    /// 4: a child not already in a CPE or subsidized daycare.
    NotInSubsidizedCare,
    /// 5: everyone else.
    Other,
}

impl Category {
    /// The category a child's facts put it in.
    pub fn from_facts(facts: CategoryFacts) -> Category {
        match (
            facts.staff_member_child,
            facts.same_address_as_admitted_child,
            facts.already_in_subsidized_care,
        ) {
            (true, true, _) => Category::StaffChildSameAddress,
            (true, false, _) => Category::StaffChild,
            (false, true, _) => Category::SameAddress,
            (false, false, false) => Category::NotInSubsidizedCare,
            (false, false, true) => Category::Other,
        }
    }

    /// The category's number, 1 to 5, as the regulation numbers them.
    pub fn number(self) -> u8 {
        match self {
            Category::StaffChildSameAddress => 1,
            Category::StaffChild => 2,
            Category::SameAddress => 3,
            Category::NotInSubsidizedCare => 4,
            Category::Other => 5,
        }
    }
}

/// Why a candidate may be referred by priority: the six admission priorities the 2025 Act
/// allows ("seuls six critères de priorisation seront désormais permis", Ministère de la
/// Famille, June 4, 2025). Several can apply at once.
///
/// The last three depend on a partnership of the daycare (a school, an employer or a
/// municipality it has an agreement with), so the central service sets them for one daycare's
/// list: a basis is the candidate's situation **relative to the daycare being ranked**. A
/// daycare that declares no priority contributes no basis.
///
/// Fields added after the first three read as `false` when absent, so stored or older JSON
/// keeps its meaning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriorityBasis {
    /// The child has special needs ("présente un besoin particulier").
    pub special_needs: bool,
    /// The family lives in socio-economic precarity ("contexte de précarité
    /// socio-économique").
    pub socio_economic_precarity: bool,
    /// A parent is enrolled in an educational institution the daycare has an agreement with.
    pub parent_in_education: bool,
    /// A parent works for an employer the daycare has an agreement with.
    #[serde(default)]
    pub parent_works_for_partner_employer: bool,
    /// The parents live in a local municipality the daycare has an agreement with.
    #[serde(default)]
    pub lives_in_partner_municipality: bool,
    /// The child is Indigenous or has an Indigenous parent.
    #[serde(default)]
    pub indigenous: bool,
}

impl PriorityBasis {
    /// No priority basis.
    pub const NONE: PriorityBasis = PriorityBasis {
        special_needs: false,
        socio_economic_precarity: false,
        parent_in_education: false,
        parent_works_for_partner_employer: false,
        lives_in_partner_municipality: false,
        indigenous: false,
    };

    /// Whether any basis applies.
    pub fn is_priority(self) -> bool {
        self.special_needs
            || self.socio_economic_precarity
            || self.parent_in_education
            || self.parent_works_for_partner_employer
            || self.lives_in_partner_municipality
            || self.indigenous
    }
}

/// A candidate as submitted, before its dates are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateInput<K> {
    /// A stable, unique key (the registration id). Ties are broken by it, never by input order.
    pub key: K,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// The date the parent wants the child to start.
    pub desired_entry: NaiveDate,
    /// The date the registration was made.
    pub registered_on: NaiveDate,
    /// Category facts.
    pub facts: CategoryFacts,
    /// Priority basis, if any.
    pub priority: PriorityBasis,
}

/// A candidate whose dates are known to be consistent: born by `today`, registered between
/// birth and `today`, and wanting to start no earlier than birth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<K> {
    key: K,
    birth: BirthDate,
    desired_entry: NaiveDate,
    registered_on: NaiveDate,
    facts: CategoryFacts,
    priority: PriorityBasis,
}

impl<K> Candidate<K> {
    /// Checks `input` against the rules for registrations as of `today`.
    pub fn parse(input: CandidateInput<K>, today: NaiveDate) -> Result<Candidate<K>, DomainError> {
        let birth = BirthDate::new(input.birth_date, today)?;
        if input.desired_entry < input.birth_date {
            return Err(DomainError::DesiredEntryBeforeBirth {
                birth: input.birth_date,
                desired: input.desired_entry,
            });
        }
        if input.registered_on < input.birth_date || input.registered_on > today {
            return Err(DomainError::RegistrationDateOutOfRange {
                birth: input.birth_date,
                registered: input.registered_on,
                today,
            });
        }
        Ok(Candidate {
            key: input.key,
            birth,
            desired_entry: input.desired_entry,
            registered_on: input.registered_on,
            facts: input.facts,
            priority: input.priority,
        })
    }

    /// The stable key.
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Birth date.
    pub fn birth(&self) -> BirthDate {
        self.birth
    }

    /// Desired entry date.
    pub fn desired_entry(&self) -> NaiveDate {
        self.desired_entry
    }

    /// Registration date.
    pub fn registered_on(&self) -> NaiveDate {
        self.registered_on
    }

    /// Category facts.
    pub fn facts(&self) -> CategoryFacts {
        self.facts
    }

    /// The category the facts give.
    pub fn category(&self) -> Category {
        Category::from_facts(self.facts)
    }

    /// Priority basis.
    pub fn priority(&self) -> PriorityBasis {
        self.priority
    }
}
