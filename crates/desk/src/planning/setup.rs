//! Next year's groups as the director types them, and every reason the domain refuses them.
//!
//! The domain's [`Installation::new`] stops at the first problem; an editor needs them all, on
//! the group they concern. So each group is checked alone (its own fields, then against the
//! permit), then all of them together (names, the permit's total and the installation cap):
//! every problem is found by the domain, none by a copy of its rules.

use placeforte_domain::{
    AgeClass, AgeClassSet, Capacity, DomainError, Group, Installation, Permit, PlanError, RuleSet,
};
use serde::{Deserialize, Serialize};

/// One group as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GroupSpec {
    /// Its name, unique in the installation.
    pub name: String,
    /// The age classes it may hold.
    pub classes: Vec<AgeClass>,
    /// Its places.
    pub capacity: u32,
    /// Educators planned.
    pub educators: u32,
}

/// The permit's places per age class (youngest first) and next year's groups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GroupSetup {
    /// Places per class, in the order of [`AgeClass::ALL`].
    pub permit: [u32; 4],
    /// The groups, in the director's order.
    pub groups: Vec<GroupSpec>,
}

/// Why the setup is refused: the domain's codes for a setup (the screens translate them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum SetupProblemCode {
    /// The permit's places add up to more than the installation cap.
    PermitOverInstallationCap,
    /// A group without a name.
    GroupWithoutName,
    /// A group without an age class.
    GroupWithoutAgeClass,
    /// A group without places.
    GroupWithoutPlaces,
    /// A group without an educator.
    GroupWithoutEducator,
    /// Two groups with one name.
    DuplicateGroupName,
    /// A group may hold a class the permit has no place for.
    GroupClassNotInPermit,
    /// A group has more places than the permit gives its classes.
    GroupOverPermit,
    /// The groups have more places than the permit or the installation cap.
    GroupsOverInstallation,
    /// Anything else the domain refused (its error type may grow).
    Other,
}

impl SetupProblemCode {
    /// Stable code, as serialized (`plan` for `Other`).
    pub fn code(self) -> &'static str {
        match self {
            SetupProblemCode::PermitOverInstallationCap => "permit_over_installation_cap",
            SetupProblemCode::GroupWithoutName => "group_without_name",
            SetupProblemCode::GroupWithoutAgeClass => "group_without_age_class",
            SetupProblemCode::GroupWithoutPlaces => "group_without_places",
            SetupProblemCode::GroupWithoutEducator => "group_without_educator",
            SetupProblemCode::DuplicateGroupName => "duplicate_group_name",
            SetupProblemCode::GroupClassNotInPermit => "group_class_not_in_permit",
            SetupProblemCode::GroupOverPermit => "group_over_permit",
            SetupProblemCode::GroupsOverInstallation => "groups_over_installation",
            SetupProblemCode::Other => "plan",
        }
    }

    fn of(err: &PlanError) -> SetupProblemCode {
        match err {
            PlanError::GroupWithoutName => SetupProblemCode::GroupWithoutName,
            PlanError::GroupWithoutAgeClass(_) => SetupProblemCode::GroupWithoutAgeClass,
            PlanError::GroupWithoutPlaces(_) => SetupProblemCode::GroupWithoutPlaces,
            PlanError::GroupWithoutEducator(_) => SetupProblemCode::GroupWithoutEducator,
            PlanError::DuplicateGroupName(_) => SetupProblemCode::DuplicateGroupName,
            PlanError::GroupClassNotInPermit { .. } => SetupProblemCode::GroupClassNotInPermit,
            PlanError::GroupOverPermit { .. } => SetupProblemCode::GroupOverPermit,
            PlanError::GroupsOverInstallation { .. } => SetupProblemCode::GroupsOverInstallation,
            _ => SetupProblemCode::Other,
        }
    }
}

/// A reason the setup is refused, with the figures to put in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SetupProblem {
    /// Which problem it is (the UI translates the code).
    pub code: SetupProblemCode,
    /// The group concerned (position in the editor), if one.
    // Positions and places are far below 2^53: a number in JavaScript.
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub group: Option<usize>,
    /// The age class concerned, if one.
    pub class: Option<AgeClass>,
    /// The places asked for (a group's, the groups' or the permit's total), if relevant.
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub places: Option<u64>,
    /// The places allowed, if relevant.
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub allowed: Option<u64>,
}

impl SetupProblem {
    fn from_plan(err: PlanError, group: Option<usize>) -> SetupProblem {
        let mut problem = SetupProblem {
            code: SetupProblemCode::of(&err),
            group,
            class: None,
            places: None,
            allowed: None,
        };
        match err {
            PlanError::GroupClassNotInPermit { class, .. } => problem.class = Some(class),
            PlanError::GroupOverPermit {
                capacity,
                permitted,
                ..
            } => {
                problem.places = Some(u64::from(capacity));
                problem.allowed = Some(u64::from(permitted));
            }
            PlanError::GroupsOverInstallation { total, allowed } => {
                problem.places = Some(total);
                problem.allowed = Some(u64::from(allowed));
            }
            _ => {}
        }
        problem
    }
}

impl GroupSetup {
    /// The installation, or every problem found.
    pub fn check(&self, rules: &RuleSet) -> Result<Installation, Vec<SetupProblem>> {
        let permit = Permit::from_places(self.permit, rules).map_err(|err| {
            let (places, cap) = match err {
                DomainError::PermitOverInstallationCap { total, cap } => (total, cap),
                _ => (self.permit.iter().map(|&p| u64::from(p)).sum(), 0),
            };
            vec![SetupProblem {
                code: SetupProblemCode::PermitOverInstallationCap,
                group: None,
                class: None,
                places: Some(places),
                allowed: Some(u64::from(cap)),
            }]
        })?;
        let mut problems = Vec::new();
        let mut groups = Vec::new();
        for (i, spec) in self.groups.iter().enumerate() {
            let group = Group::new(
                spec.name.trim(),
                AgeClassSet::of(&spec.classes),
                Capacity::from(spec.capacity),
                spec.educators,
            )
            .and_then(|group| Installation::new(permit, vec![group.clone()], rules).map(|_| group));
            match group {
                Ok(group) => groups.push(group),
                Err(err) => problems.push(SetupProblem::from_plan(err, Some(i))),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Installation::new(permit, groups, rules).map_err(|err| {
            let group = match &err {
                PlanError::DuplicateGroupName(name) => self
                    .groups
                    .iter()
                    .rposition(|g| g.name.trim() == name.as_str()),
                _ => None,
            };
            vec![SetupProblem::from_plan(err, group)]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use placeforte_domain::QUEBEC_2025;

    fn spec(name: &str, classes: &[AgeClass], capacity: u32) -> GroupSpec {
        GroupSpec {
            name: name.into(),
            classes: classes.to_vec(),
            capacity,
            educators: 1,
        }
    }

    #[test]
    fn every_group_problem_is_reported_on_its_group_and_the_total_after_them() {
        let setup = GroupSetup {
            permit: [5, 10, 0, 0],
            groups: vec![
                spec("Poussins", &[AgeClass::Under18Months], 6),
                spec(" ", &[AgeClass::Under18Months], 1),
                spec("Grands", &[AgeClass::FourYears], 5),
            ],
        };
        let problems = setup.check(&QUEBEC_2025).unwrap_err();
        let codes: Vec<_> = problems.iter().map(|p| (p.code, p.group)).collect();
        assert_eq!(
            codes,
            [
                (SetupProblemCode::GroupOverPermit, Some(0)),
                (SetupProblemCode::GroupWithoutName, Some(1)),
                (SetupProblemCode::GroupClassNotInPermit, Some(2))
            ]
        );
        assert_eq!(
            (problems[0].places, problems[0].allowed),
            (Some(6), Some(5))
        );
        assert_eq!(problems[2].class, Some(AgeClass::FourYears));

        let over = GroupSetup {
            permit: [5, 10, 0, 0],
            groups: vec![
                spec("A", &[AgeClass::From18MonthsTo4Years], 10),
                spec("B", &[AgeClass::From18MonthsTo4Years], 10),
                spec("A", &[AgeClass::Under18Months], 1),
            ],
        };
        let problems = over.check(&QUEBEC_2025).unwrap_err();
        assert_eq!(problems[0].code, SetupProblemCode::DuplicateGroupName);
        assert_eq!(problems[0].group, Some(2));
    }

    #[test]
    fn a_code_reads_as_it_serializes() {
        for code in [
            SetupProblemCode::PermitOverInstallationCap,
            SetupProblemCode::GroupWithoutName,
            SetupProblemCode::GroupWithoutAgeClass,
            SetupProblemCode::GroupWithoutPlaces,
            SetupProblemCode::GroupWithoutEducator,
            SetupProblemCode::DuplicateGroupName,
            SetupProblemCode::GroupClassNotInPermit,
            SetupProblemCode::GroupOverPermit,
            SetupProblemCode::GroupsOverInstallation,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.code());
        }
    }

    #[test]
    fn a_permit_over_the_installation_cap_and_groups_over_the_permit_are_refused() {
        let permit = GroupSetup {
            permit: [20, 60, 21, 0],
            groups: vec![],
        };
        let problem = &permit.check(&QUEBEC_2025).unwrap_err()[0];
        assert_eq!(problem.code, SetupProblemCode::PermitOverInstallationCap);
        assert_eq!((problem.places, problem.allowed), (Some(101), Some(100)));

        let total = GroupSetup {
            permit: [0, 10, 0, 0],
            groups: vec![
                spec("A", &[AgeClass::From18MonthsTo4Years], 8),
                spec("B", &[AgeClass::From18MonthsTo4Years], 8),
            ],
        };
        let problem = &total.check(&QUEBEC_2025).unwrap_err()[0];
        assert_eq!(problem.code, SetupProblemCode::GroupsOverInstallation);
        assert_eq!((problem.places, problem.allowed), (Some(16), Some(10)));

        let fine = GroupSetup {
            permit: [0, 16, 0, 0],
            groups: total.groups,
        };
        assert_eq!(fine.check(&QUEBEC_2025).unwrap().groups().len(), 2);
    }
}
