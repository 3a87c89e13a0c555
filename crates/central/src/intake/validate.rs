//! What a registration must be before anything is written: the rules' "only children already
//! born" (rule `referral.only_born_children`, docs/rules.md), dates that make sense together,
//! chosen daycares within bounds, text fields within bounds. Every problem is reported, not only
//! the first, so the front end (or an import's line) can be corrected in one pass. Whether each
//! chosen daycare exists and is active is checked by the store, inside the write's transaction.

use chrono::{Months, NaiveDate};
use placeforte_domain::{CategoryFacts, PriorityBasis, RuleSet};
use placeforte_protocol::intake::RegistrationDetails;
use placeforte_protocol::{DaycareId, RegistrationId};

use crate::store::RegistrationRecord;

/// Most daycares one registration may choose. The portal's own limit is not published; ours
/// bounds what one request can add to the referral pools (each choice puts the child in one
/// more daycare's candidates), far above what a family chooses in practice.
pub const MAX_CHOICES: usize = 30;

/// Longest name accepted, in characters (Québec's civil register has no shorter published
/// bound; 100 holds every compound name).
pub const MAX_NAME_CHARS: usize = 100;

/// Longest region name, in characters (the longest of Québec's 17 regions has 38).
pub const MAX_REGION_CHARS: usize = 60;

/// Longest opaque address key, in characters (a hex SHA-256 is 64).
pub const MAX_ADDRESS_KEY_CHARS: usize = 128;

/// Longest telephone number, in characters, extension included.
pub const MAX_PHONE_CHARS: usize = 30;

/// Fewest digits of a telephone number (a local number without area code has 7).
pub const MIN_PHONE_DIGITS: usize = 7;

/// Longest email address (RFC 5321's limit on a path, 256 less its angle brackets).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Oldest child registered, in years: from 6 a child is at school (kindergarten at 5 on
/// September 30), so an older birth date is a typing error, not a family on the list.
pub const MAX_CHILD_AGE_YEARS: u32 = 6;

/// One thing wrong with a registration. Codes only: the values are personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationProblem {
    /// A child's name is empty, too long, or holds control characters.
    ChildNameInvalid,
    /// A parent's name is empty, too long, or holds control characters.
    ParentNameInvalid,
    /// The telephone number has other characters than digits, spaces and `+()-.x`, too few
    /// digits, or is too long.
    PhoneInvalid,
    /// The email address is not `local@domain`, holds spaces or control characters, or is too
    /// long.
    EmailInvalid,
    /// The region is empty, too long, or holds control characters.
    RegionInvalid,
    /// The address key is empty, too long, or not printable ASCII.
    AddressKeyInvalid,
    /// The birth date is after today (Québec): only children already born are registered.
    ChildNotBorn,
    /// The child is [`MAX_CHILD_AGE_YEARS`] or older today.
    ChildTooOld,
    /// The desired entry date is before the birth date.
    EntryBeforeBirth,
    /// The desired entry date is on or after the child's [`MAX_CHILD_AGE_YEARS`]th birthday.
    EntryTooLate,
    /// The registration day is after today.
    RegisteredInFuture,
    /// The registration day is before the birth (only children already born are registered).
    RegisteredBeforeBirth,
    /// No daycare chosen.
    NoChoice,
    /// More than [`MAX_CHOICES`] daycares chosen.
    TooManyChoices,
    /// A daycare chosen twice.
    DuplicateChoice,
    /// A chosen daycare does not exist or is deactivated (found by the store).
    ChoiceInactive,
}

impl RegistrationProblem {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            RegistrationProblem::ChildNameInvalid => "child_name_invalid",
            RegistrationProblem::ParentNameInvalid => "parent_name_invalid",
            RegistrationProblem::PhoneInvalid => "phone_invalid",
            RegistrationProblem::EmailInvalid => "email_invalid",
            RegistrationProblem::RegionInvalid => "region_invalid",
            RegistrationProblem::AddressKeyInvalid => "address_key_invalid",
            RegistrationProblem::ChildNotBorn => "child_not_born",
            RegistrationProblem::ChildTooOld => "child_too_old",
            RegistrationProblem::EntryBeforeBirth => "entry_before_birth",
            RegistrationProblem::EntryTooLate => "entry_too_late",
            RegistrationProblem::RegisteredInFuture => "registered_in_future",
            RegistrationProblem::RegisteredBeforeBirth => "registered_before_birth",
            RegistrationProblem::NoChoice => "no_choice",
            RegistrationProblem::TooManyChoices => "too_many_choices",
            RegistrationProblem::DuplicateChoice => "duplicate_choice",
            RegistrationProblem::ChoiceInactive => "choice_inactive",
        }
    }
}

/// A registration that passed every check that needs no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRegistration {
    /// The row to store.
    pub record: RegistrationRecord,
    /// The chosen daycares, most wanted first.
    pub choices: Vec<DaycareId>,
}

/// Checks `details` (registered on `registered_on`, as the service sees `today` in Québec
/// under `rules`) and builds the row for `id`, trimming surrounding spaces; or every problem.
pub fn check_registration(
    id: RegistrationId,
    details: &RegistrationDetails,
    registered_on: NaiveDate,
    today: NaiveDate,
    rules: &RuleSet,
) -> Result<CheckedRegistration, Vec<RegistrationProblem>> {
    let mut problems = Vec::new();
    let mut flag = |ok: bool, problem: RegistrationProblem| {
        if !ok && !problems.contains(&problem) {
            problems.push(problem);
        }
    };
    let child = &details.child;
    let parent = &details.parent;
    flag(
        is_text(&child.given_name, MAX_NAME_CHARS) && is_text(&child.family_name, MAX_NAME_CHARS),
        RegistrationProblem::ChildNameInvalid,
    );
    flag(
        is_text(&parent.given_name, MAX_NAME_CHARS) && is_text(&parent.family_name, MAX_NAME_CHARS),
        RegistrationProblem::ParentNameInvalid,
    );
    flag(is_phone(&parent.phone), RegistrationProblem::PhoneInvalid);
    flag(is_email(&parent.email), RegistrationProblem::EmailInvalid);
    flag(
        is_text(&details.region, MAX_REGION_CHARS),
        RegistrationProblem::RegionInvalid,
    );
    let key = details.address_key.trim();
    flag(
        !key.is_empty()
            && key.chars().count() <= MAX_ADDRESS_KEY_CHARS
            && key.chars().all(|c| c.is_ascii_graphic()),
        RegistrationProblem::AddressKeyInvalid,
    );
    let birth = child.birth_date;
    let born = !rules.referral.only_born_children.value || birth <= today;
    flag(born, RegistrationProblem::ChildNotBorn);
    let school_age = birth.checked_add_months(Months::new(12 * MAX_CHILD_AGE_YEARS));
    flag(
        school_age.is_some_and(|day| day > today),
        RegistrationProblem::ChildTooOld,
    );
    flag(
        details.desired_entry_date >= birth,
        RegistrationProblem::EntryBeforeBirth,
    );
    flag(
        school_age.is_some_and(|day| details.desired_entry_date < day),
        RegistrationProblem::EntryTooLate,
    );
    flag(
        registered_on <= today,
        RegistrationProblem::RegisteredInFuture,
    );
    flag(
        registered_on >= birth,
        RegistrationProblem::RegisteredBeforeBirth,
    );
    flag(!details.choices.is_empty(), RegistrationProblem::NoChoice);
    flag(
        details.choices.len() <= MAX_CHOICES,
        RegistrationProblem::TooManyChoices,
    );
    let distinct = details
        .choices
        .iter()
        .enumerate()
        .all(|(i, d)| !details.choices[..i].contains(d));
    flag(distinct, RegistrationProblem::DuplicateChoice);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(CheckedRegistration {
        record: RegistrationRecord {
            id,
            child_given_name: child.given_name.trim().to_owned(),
            child_family_name: child.family_name.trim().to_owned(),
            birth_date: birth,
            desired_entry_date: details.desired_entry_date,
            registered_on,
            region: details.region.trim().to_owned(),
            address_key: key.to_owned(),
            parent_given_name: parent.given_name.trim().to_owned(),
            parent_family_name: parent.family_name.trim().to_owned(),
            parent_phone: parent.phone.trim().to_owned(),
            parent_email: parent.email.trim().to_owned(),
            facts: CategoryFacts {
                staff_member_child: details.facts.staff_member_child,
                same_address_as_admitted_child: details.facts.same_address_as_admitted_child,
                already_in_subsidized_care: details.facts.already_in_subsidized_care,
            },
            priority: PriorityBasis {
                special_needs: details.priority.special_needs,
                socio_economic_precarity: details.priority.socio_economic_precarity,
                parent_in_education: details.priority.parent_in_education,
                ..PriorityBasis::NONE
            },
        },
        choices: details.choices.clone(),
    })
}

/// Non-empty once trimmed, at most `max` characters, no control characters.
fn is_text(text: &str, max: usize) -> bool {
    let text = text.trim();
    !text.is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

fn is_phone(phone: &str) -> bool {
    let phone = phone.trim();
    phone.chars().count() <= MAX_PHONE_CHARS
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +()-.x".contains(c))
        && phone.chars().filter(char::is_ascii_digit).count() >= MIN_PHONE_DIGITS
}

fn is_email(email: &str) -> bool {
    let email = email.trim();
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.chars().count() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use placeforte_domain::quebec_rules_on;
    use placeforte_protocol::intake::{
        IntakeCategoryFacts, IntakeChild, IntakeParent, IntakePriority,
    };

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn details() -> RegistrationDetails {
        RegistrationDetails {
            child: IntakeChild {
                given_name: "Léa".to_owned(),
                family_name: "Tremblay".to_owned(),
                birth_date: day("2025-03-10"),
            },
            desired_entry_date: day("2026-09-01"),
            region: "Capitale-Nationale".to_owned(),
            address_key: "a1b2c3".to_owned(),
            parent: IntakeParent {
                given_name: "Marie".to_owned(),
                family_name: "Tremblay".to_owned(),
                phone: "418 555-0100".to_owned(),
                email: "marie@example.org".to_owned(),
            },
            facts: IntakeCategoryFacts {
                staff_member_child: false,
                same_address_as_admitted_child: false,
                already_in_subsidized_care: false,
            },
            priority: IntakePriority {
                special_needs: false,
                socio_economic_precarity: true,
                parent_in_education: false,
            },
            choices: vec![DaycareId::random()],
        }
    }

    fn check(details: &RegistrationDetails, registered_on: &str) -> Vec<RegistrationProblem> {
        let today = day("2026-01-15");
        match check_registration(
            RegistrationId::random(),
            details,
            day(registered_on),
            today,
            quebec_rules_on(today),
        ) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }

    #[test]
    fn a_sound_registration_passes_and_is_trimmed() {
        let mut d = details();
        d.child.given_name = "  Léa ".to_owned();
        let today = day("2026-01-15");
        let checked = check_registration(
            RegistrationId::random(),
            &d,
            today,
            today,
            quebec_rules_on(today),
        )
        .expect("valid");
        assert_eq!(checked.record.child_given_name, "Léa");
        assert!(checked.record.priority.socio_economic_precarity);
    }

    #[test]
    fn an_unborn_child_is_refused() {
        let mut d = details();
        d.child.birth_date = day("2026-01-16");
        d.desired_entry_date = day("2027-01-16");
        let problems = check(&d, "2026-01-15");
        assert!(problems.contains(&RegistrationProblem::ChildNotBorn));
        assert!(problems.contains(&RegistrationProblem::RegisteredBeforeBirth));
    }

    #[test]
    fn every_problem_is_listed() {
        let mut d = details();
        d.child.family_name = " ".to_owned();
        d.parent.phone = "call me".to_owned();
        d.parent.email = "marie at example".to_owned();
        d.desired_entry_date = day("2024-01-01");
        d.choices = vec![d.choices[0], d.choices[0]];
        assert_eq!(
            check(&d, "2026-01-20"),
            vec![
                RegistrationProblem::ChildNameInvalid,
                RegistrationProblem::PhoneInvalid,
                RegistrationProblem::EmailInvalid,
                RegistrationProblem::EntryBeforeBirth,
                RegistrationProblem::RegisteredInFuture,
                RegistrationProblem::DuplicateChoice,
            ]
        );
    }

    #[test]
    fn dates_and_choices_have_bounds() {
        let mut d = details();
        d.child.birth_date = day("2020-01-15");
        d.desired_entry_date = day("2026-02-01");
        d.choices = (0..=MAX_CHOICES).map(|_| DaycareId::random()).collect();
        assert_eq!(
            check(&d, "2026-01-15"),
            vec![
                RegistrationProblem::ChildTooOld,
                RegistrationProblem::EntryTooLate,
                RegistrationProblem::TooManyChoices,
            ]
        );
        d.choices.clear();
        assert!(check(&d, "2026-01-15").contains(&RegistrationProblem::NoChoice));
    }
}
