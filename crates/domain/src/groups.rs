//! Next year's groups, the installation they form, and the children planned into them.
//!
//! Everything here refuses invalid values when built: a [`Group`] always holds at least one age
//! class, one place and one educator; an [`Installation`]'s groups fit its [`Permit`] and the
//! installation cap; a [`PlannedChild`] never arrives before birth or leaves before arriving.
//! The simulator ([`crate::simulator`]) and the composer ([`crate::composer`]) take these types,
//! so they never see an impossible plan.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::age::{reference_year_start, AgeClass, BirthDate};
use crate::capacity::{Capacity, Permit};
use crate::rules::RuleSet;

/// A set of age classes (the classes a group may hold).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct AgeClassSet([bool; 4]);

impl AgeClassSet {
    /// The set of these classes.
    pub fn of(classes: &[AgeClass]) -> Self {
        let mut set = AgeClassSet::default();
        for &class in classes {
            set.0[class.index()] = true;
        }
        set
    }

    /// Whether `class` is in the set.
    pub fn contains(self, class: AgeClass) -> bool {
        self.0[class.index()]
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        !self.0.iter().any(|&b| b)
    }

    /// The classes in the set, youngest first.
    pub fn iter(self) -> impl Iterator<Item = AgeClass> {
        AgeClass::ALL.into_iter().filter(move |&c| self.contains(c))
    }
}

/// A plan that cannot be carried out as given. Codes are stable (screens translate them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A group without a name.
    #[error("a group needs a name")]
    GroupWithoutName,
    /// A group that may hold no age class.
    #[error("group {0:?} may hold no age class")]
    GroupWithoutAgeClass(String),
    /// A group with no places.
    #[error("group {0:?} has no places")]
    GroupWithoutPlaces(String),
    /// A group with no educator planned.
    #[error("group {0:?} has no educator planned")]
    GroupWithoutEducator(String),
    /// Two groups with the same name.
    #[error("two groups are named {0:?}")]
    DuplicateGroupName(String),
    /// A group that may hold an age class the permit has no place for.
    #[error("group {group:?} may hold {class:?}, for which the permit has no place")]
    GroupClassNotInPermit {
        /// The group.
        group: String,
        /// The class without permit places.
        class: AgeClass,
    },
    /// A group with more places than the permit gives all its age classes together.
    #[error("group {group:?} has {capacity} places; the permit gives its age classes {permitted}")]
    GroupOverPermit {
        /// The group.
        group: String,
        /// Its places.
        capacity: u32,
        /// The permit's places for the classes it may hold.
        permitted: u32,
    },
    /// Groups whose places add up to more than the permit or the installation cap.
    #[error(
        "the groups total {total} places; the permit and the installation cap allow {allowed}"
    )]
    GroupsOverInstallation {
        /// Places of all groups.
        total: u64,
        /// The smaller of the permit's total and the installation cap.
        allowed: u32,
    },
    /// A child planned to arrive before birth.
    #[error("a child cannot arrive on {arrival}, before its birth on {birth}")]
    ArrivalBeforeBirth {
        /// Birth date.
        birth: NaiveDate,
        /// Arrival date given.
        arrival: NaiveDate,
    },
    /// A child planned to leave before arriving.
    #[error("a child cannot leave on {departure}, before arriving on {arrival}")]
    DepartureBeforeArrival {
        /// Arrival date.
        arrival: NaiveDate,
        /// Departure date given.
        departure: NaiveDate,
    },
    /// A reference to a group that does not exist.
    #[error("there is no group number {0}")]
    UnknownGroup(usize),
    /// The same child twice in one plan.
    #[error("the same child appears twice in one plan")]
    DuplicateChild,
}

impl PlanError {
    /// Stable machine code, used as the i18n key of the message shown to users.
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::GroupWithoutName => "group_without_name",
            PlanError::GroupWithoutAgeClass(_) => "group_without_age_class",
            PlanError::GroupWithoutPlaces(_) => "group_without_places",
            PlanError::GroupWithoutEducator(_) => "group_without_educator",
            PlanError::DuplicateGroupName(_) => "duplicate_group_name",
            PlanError::GroupClassNotInPermit { .. } => "group_class_not_in_permit",
            PlanError::GroupOverPermit { .. } => "group_over_permit",
            PlanError::GroupsOverInstallation { .. } => "groups_over_installation",
            PlanError::ArrivalBeforeBirth { .. } => "arrival_before_birth",
            PlanError::DepartureBeforeArrival { .. } => "departure_before_arrival",
            PlanError::UnknownGroup(_) => "unknown_group",
            PlanError::DuplicateChild => "duplicate_child",
        }
    }
}

/// One of next year's groups: the age classes it may hold, its places and its educators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    name: String,
    classes: AgeClassSet,
    capacity: Capacity,
    educators: u32,
}

impl Group {
    /// A group, refused without a name, an age class, a place or an educator.
    pub fn new(
        name: impl Into<String>,
        classes: AgeClassSet,
        capacity: Capacity,
        educators: u32,
    ) -> Result<Group, PlanError> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(PlanError::GroupWithoutName);
        }
        if classes.is_empty() {
            return Err(PlanError::GroupWithoutAgeClass(name));
        }
        if capacity.get() == 0 {
            return Err(PlanError::GroupWithoutPlaces(name));
        }
        if educators == 0 {
            return Err(PlanError::GroupWithoutEducator(name));
        }
        Ok(Group {
            name,
            classes,
            capacity,
            educators,
        })
    }

    /// The group's name, unique in its installation.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The age classes it may hold.
    pub fn classes(&self) -> AgeClassSet {
        self.classes
    }

    /// Its places.
    pub fn capacity(&self) -> Capacity {
        self.capacity
    }

    /// Educators planned for it.
    pub fn educators(&self) -> u32 {
        self.educators
    }
}

/// An installation's permit and next year's groups, checked against each other and the cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installation {
    permit: Permit,
    groups: Vec<Group>,
    rules: RuleSet,
}

impl Installation {
    /// The groups under `permit`, refused when a group may hold a class the permit has no
    /// place for, has more places than the permit gives its classes, or when the groups
    /// together have more places than the permit or the installation cap of `rules`.
    pub fn new(permit: Permit, groups: Vec<Group>, rules: &RuleSet) -> Result<Self, PlanError> {
        for (i, group) in groups.iter().enumerate() {
            if groups[..i].iter().any(|g| g.name == group.name) {
                return Err(PlanError::DuplicateGroupName(group.name.clone()));
            }
            let mut permitted = 0u32;
            for class in group.classes.iter() {
                let places = permit.places(class).get();
                if places == 0 {
                    return Err(PlanError::GroupClassNotInPermit {
                        group: group.name.clone(),
                        class,
                    });
                }
                permitted = permitted.saturating_add(places);
            }
            if group.capacity.get() > permitted {
                return Err(PlanError::GroupOverPermit {
                    group: group.name.clone(),
                    capacity: group.capacity.get(),
                    permitted,
                });
            }
        }
        let total: u64 = groups.iter().map(|g| u64::from(g.capacity.get())).sum();
        let allowed = permit.total().min(rules.installation_max_children.value);
        if total > u64::from(allowed) {
            return Err(PlanError::GroupsOverInstallation { total, allowed });
        }
        Ok(Installation {
            permit,
            groups,
            rules: *rules,
        })
    }

    /// The permit.
    pub fn permit(&self) -> &Permit {
        &self.permit
    }

    /// The groups; other types refer to a group by its position here.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The rule set the installation was checked against, and which plans over it apply.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Educators planned in all groups.
    pub fn educators(&self) -> u64 {
        self.groups.iter().map(|g| u64::from(g.educators)).sum()
    }
}

/// A child in next year's plan: present from `arrival` to `departure`, both days included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChild<K> {
    key: K,
    birth: BirthDate,
    arrival: NaiveDate,
    departure: Option<NaiveDate>,
}

impl<K> PlannedChild<K> {
    /// A child arriving on `arrival` and, if known, leaving after `departure` (its last day).
    pub fn new(
        key: K,
        birth: BirthDate,
        arrival: NaiveDate,
        departure: Option<NaiveDate>,
    ) -> Result<Self, PlanError> {
        if arrival < birth.date() {
            return Err(PlanError::ArrivalBeforeBirth {
                birth: birth.date(),
                arrival,
            });
        }
        if let Some(departure) = departure {
            if departure < arrival {
                return Err(PlanError::DepartureBeforeArrival { arrival, departure });
            }
        }
        Ok(PlannedChild {
            key,
            birth,
            arrival,
            departure,
        })
    }

    /// The child's stable key.
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Birth date.
    pub fn birth(&self) -> BirthDate {
        self.birth
    }

    /// First day present.
    pub fn arrival(&self) -> NaiveDate {
        self.arrival
    }

    /// Last day present, if the child is expected to leave.
    pub fn departure(&self) -> Option<NaiveDate> {
        self.departure
    }

    /// Whether the child is present on `day`.
    pub fn present_on(&self, day: NaiveDate) -> bool {
        day >= self.arrival && self.departure.is_none_or(|d| day <= d)
    }
}

/// The last day of the school year containing `on`: the day before the next reference year.
pub fn school_year_end(on: NaiveDate, rules: &RuleSet) -> NaiveDate {
    let start = reference_year_start(on, rules);
    let next = rules
        .reference_year_start
        .value
        .in_year(chrono::Datelike::year(&start) + 1);
    next.checked_sub_days(Days::new(1)).unwrap_or(next)
}
