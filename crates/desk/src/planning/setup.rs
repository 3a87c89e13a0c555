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

/// A reason the setup is refused, with the figures to put in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupProblem {
    /// The domain's stable code (`group_over_permit`, `groups_over_installation`, …).
    pub code: &'static str,
    /// The group concerned (position), if one.
    pub group: Option<usize>,
    /// The age class concerned, if one.
    pub class: Option<AgeClass>,
    /// The places asked for (a group's, the groups' or the permit's total), if relevant.
    pub places: Option<u64>,
    /// The places allowed, if relevant.
    pub allowed: Option<u64>,
}

impl SetupProblem {
    fn from_plan(err: PlanError, group: Option<usize>) -> SetupProblem {
        let mut problem = SetupProblem {
            code: err.code(),
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
                code: "permit_over_installation_cap",
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
                ("group_over_permit", Some(0)),
                ("group_without_name", Some(1)),
                ("group_class_not_in_permit", Some(2))
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
        assert_eq!(problems[0].code, "duplicate_group_name");
        assert_eq!(problems[0].group, Some(2));
    }

    #[test]
    fn a_permit_over_the_installation_cap_and_groups_over_the_permit_are_refused() {
        let permit = GroupSetup {
            permit: [20, 60, 21, 0],
            groups: vec![],
        };
        let problem = &permit.check(&QUEBEC_2025).unwrap_err()[0];
        assert_eq!(problem.code, "permit_over_installation_cap");
        assert_eq!((problem.places, problem.allowed), (Some(101), Some(100)));

        let total = GroupSetup {
            permit: [0, 10, 0, 0],
            groups: vec![
                spec("A", &[AgeClass::From18MonthsTo4Years], 8),
                spec("B", &[AgeClass::From18MonthsTo4Years], 8),
            ],
        };
        let problem = &total.check(&QUEBEC_2025).unwrap_err()[0];
        assert_eq!(problem.code, "groups_over_installation");
        assert_eq!((problem.places, problem.allowed), (Some(16), Some(10)));

        let fine = GroupSetup {
            permit: [0, 16, 0, 0],
            groups: total.groups,
        };
        assert_eq!(fine.check(&QUEBEC_2025).unwrap().groups().len(), 2);
    }
}
