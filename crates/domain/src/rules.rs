//! Québec's daycare rules as versioned data.
//!
//! The rules change (2022's Bill 1 raised the installation cap; the 2025 single window changed
//! how candidates are referred), so they live in a [`RuleSet`] with an effective date rather than
//! as constants spread through the code. Every value carries its [`Source`](crate::Source);
//! `docs/rules.md` is generated from these values (see the `rules_doc` test), so the list a
//! reader sees is the list the code uses.

use chrono::NaiveDate;
use serde::Serialize;

use crate::age::AgeClass;
use crate::offer::RefusalReason;
use crate::sourced::Sourced;

/// A day of the year without a year (September 30, September 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MonthDay {
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31, valid in every year for that month (never February 29).
    pub day: u32,
}

impl MonthDay {
    /// This day in `year`. The days used in rule sets exist in every year.
    pub fn in_year(self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
            .or_else(|| NaiveDate::from_ymd_opt(year, self.month, 28))
            .unwrap_or(NaiveDate::MIN)
    }
}

/// How many children one educator may look after in an age class, counting children present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EducatorRatios {
    /// Under 18 months.
    pub under_18_months: Sourced<u32>,
    /// 18 months to under 4 years.
    pub from_18_months_to_4_years: Sourced<u32>,
    /// 4 years (on September 30) to under 5 years (on September 30).
    pub four_years: Sourced<u32>,
    /// 5 years and over on September 30.
    pub five_and_over: Sourced<u32>,
}

impl EducatorRatios {
    /// The ratio for one age class.
    pub fn for_class(&self, class: AgeClass) -> Sourced<u32> {
        match class {
            AgeClass::Under18Months => self.under_18_months,
            AgeClass::From18MonthsTo4Years => self.from_18_months_to_4_years,
            AgeClass::FourYears => self.four_years,
            AgeClass::FiveAndOver => self.five_and_over,
        }
    }
}

/// The age thresholds, in completed months, that separate the age classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AgeClassThresholds {
    /// Age in months (on the day itself) from which a child leaves the youngest class.
    pub toddler_from_months: Sourced<u32>,
    /// Age in months, on the reference day, from which a child is in the 4-year class.
    pub four_years_from_months: Sourced<u32>,
    /// Age in months, on the reference day, from which a child is in the 5-and-over class.
    pub five_years_from_months: Sourced<u32>,
}

/// The referral order of the single window: the five categories and the priority quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReferralRules {
    /// The five categories, in order, each ranked by time elapsed since the desired entry date.
    pub categories: Sourced<()>,
    /// The largest share of places, in percent, that may go to priority candidates ahead of
    /// the category order.
    pub priority_share_percent: Sourced<u32>,
    /// When two priority candidates are otherwise tied, socio-economic precarity goes first.
    pub ties_favour_precarity: Sourced<bool>,
    /// Only children already born can be registered.
    pub only_born_children: Sourced<bool>,
}

/// What happens to a registration when an offer is answered or left unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OfferRules {
    /// Days a family has to answer an offer.
    pub answer_within_days: Sourced<u32>,
    /// Missed deadlines that withdraw the request; fewer suspend it.
    pub missed_deadlines_to_withdraw: Sourced<u32>,
    /// Refusal reasons that keep the request waiting instead of withdrawing it.
    pub refusals_that_keep_the_request: Sourced<&'static [RefusalReason]>,
}

/// One version of Québec's rules, in force from `effective_from` until the next version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleSet {
    /// Stable identifier, stored with every computed result so it can be explained later.
    pub id: &'static str,
    /// First day these rules apply.
    pub effective_from: Sourced<NaiveDate>,
    /// First day of the reference year (the year runs to the day before the next one).
    pub reference_year_start: Sourced<MonthDay>,
    /// The day on which the older children's ages are measured (September 30).
    pub age_reference_day: Sourced<MonthDay>,
    /// Where the age classes start.
    pub age_classes: AgeClassThresholds,
    /// Children per educator in each age class.
    pub ratios: EducatorRatios,
    /// Most children an installation may hold.
    pub installation_max_children: Sourced<u32>,
    /// A subsidized place requires the child to be under this age, in months, on the
    /// reference day of the reference year.
    pub subsidized_under_months: Sourced<u32>,
    /// The referral order.
    pub referral: ReferralRules,
    /// Offers and their outcomes.
    pub offers: OfferRules,
}

const RSGEE: &str =
    "Règlement sur les services de garde éducatifs à l'enfance (RSGEE, CQLR c. S-4.1.1, r. 2)";

/// The rules in force since the 2025 single-window referral order.
///
/// Sources are given per value; the ones marked `Unverified` were found only in secondary
/// sources and must be checked against the primary text before production.
pub const QUEBEC_2025: RuleSet = RuleSet {
    id: "qc-2025",
    effective_from: Sourced::unverified(
        // 2025-01-01 is a placeholder for the single window's in-force date, which was not
        // verified; the age, ratio and cap values below were already in force before it.
        match NaiveDate::from_ymd_opt(2025, 1, 1) {
            Some(d) => d,
            None => NaiveDate::MIN,
        },
        "Single-window referral order (province's portal, 2025)",
        "Exact in-force date not verified; 2025-01-01 is used.",
    ),
    reference_year_start: Sourced::unverified(
        MonthDay { month: 9, day: 1 },
        "Reduced Contribution Regulation (CQLR c. S-4.1.1, r. 1), definition of reference year (?)",
        "The reference year runs from September 1 to August 31; it fixes which September 30 \
         an age is measured on.",
    ),
    age_reference_day: Sourced::unverified(
        MonthDay { month: 9, day: 30 },
        "RSGEE art. 7 (?)",
        "Older children's classes are set by their age on September 30 of the reference year.",
    ),
    age_classes: AgeClassThresholds {
        toddler_from_months: Sourced::unverified(
            18,
            "RSGEE art. 7 (?)",
            "Under 18 months on the day itself.",
        ),
        four_years_from_months: Sourced::unverified(
            48,
            "RSGEE art. 7 (?)",
            "4 years on September 30 of the reference year.",
        ),
        five_years_from_months: Sourced::unverified(
            60,
            "RSGEE art. 7 (?)",
            "5 years on September 30 of the reference year.",
        ),
    },
    ratios: EducatorRatios {
        under_18_months: Sourced::verified(5, RSGEE, "1 educator per 5 children present."),
        from_18_months_to_4_years: Sourced::verified(
            8,
            RSGEE,
            "1 educator per 8 children present.",
        ),
        four_years: Sourced::verified(10, RSGEE, "1 educator per 10 children present."),
        five_and_over: Sourced::unverified(
            20,
            "RSGEE (?)",
            "1 educator per 20 children present; found only in secondary sources.",
        ),
    },
    installation_max_children: Sourced::verified(
        100,
        "Educational Childcare Act (CQLR c. S-4.1.1) as amended by S.Q. 2022, c. 9 (Bill 1)",
        "Raised from 80 in 2022.",
    ),
    subsidized_under_months: Sourced::verified(
        60,
        "Reduced Contribution Regulation (CQLR c. S-4.1.1, r. 1)",
        "Under 5 years on September 30 of the reference year.",
    ),
    referral: ReferralRules {
        categories: Sourced::verified(
            (),
            "Single-window referral order (province's portal, 2025)",
            "1: staff member's child at the same address as an admitted child; 2: staff \
             member's child; 3: at the same address as an admitted child; 4: not already in \
             a CPE or subsidized daycare; 5: everyone else. Each ranked by time elapsed since \
             the desired entry date.",
        ),
        priority_share_percent: Sourced::verified(
            50,
            "Single-window referral order (province's portal, 2025)",
            "Up to 50% of places by priority (special needs, socio-economic precarity, \
             parent in education).",
        ),
        ties_favour_precarity: Sourced::verified(
            true,
            "Single-window referral order (province's portal, 2025)",
            "Among priority candidates otherwise tied, precarity goes first.",
        ),
        only_born_children: Sourced::verified(
            true,
            "Single-window referral order (province's portal, 2025)",
            "Only children already born are registered.",
        ),
    },
    offers: OfferRules {
        answer_within_days: Sourced::interpretation(
            7,
            "Single-window referral order (province's portal, 2025): offers have a time limit",
            "The rules say offers have a time limit; its length was not found. 7 days is a \
             placeholder to confirm.",
        ),
        missed_deadlines_to_withdraw: Sourced::verified(
            2,
            "Single-window referral order (province's portal, 2025)",
            "A first missed time limit suspends the request; a second withdraws it.",
        ),
        refusals_that_keep_the_request: Sourced::interpretation(
            &[
                RefusalReason::StartEarlierThanWanted,
                RefusalReason::ChildHealth,
            ],
            "Single-window referral order (province's portal, 2025): declining withdraws the \
             request, with exceptions",
            "Declining withdraws the request. The regulated exceptions were not found; an \
             offer starting earlier than the desired date and the child's health are \
             placeholders to confirm.",
        ),
    },
};

/// Every rule set we know, oldest first.
pub const ALL_RULE_SETS: &[RuleSet] = &[QUEBEC_2025];

/// The latest of `sets` (sorted oldest first) in force on `date`; the oldest before them all.
fn latest_on(sets: &[RuleSet], date: NaiveDate) -> Option<&RuleSet> {
    sets.iter()
        .rev()
        .find(|s| s.effective_from.value <= date)
        .or_else(|| sets.first())
}

/// Québec's rule set in force on `date`, from [`ALL_RULE_SETS`]: what the services apply to
/// a decision made that day. Before the first set, the first one applies.
pub fn quebec_rules_on(date: NaiveDate) -> &'static RuleSet {
    latest_on(ALL_RULE_SETS, date).unwrap_or(&QUEBEC_2025)
}

/// An ordered collection of rule sets that picks the one in force on a date.
#[derive(Debug, Clone)]
pub struct RuleBook {
    sets: Vec<RuleSet>,
}

impl RuleBook {
    /// A book of the given sets, sorted by effective date; `None` when `sets` is empty.
    pub fn new(mut sets: Vec<RuleSet>) -> Option<Self> {
        if sets.is_empty() {
            return None;
        }
        sets.sort_by_key(|s| s.effective_from.value);
        Some(RuleBook { sets })
    }

    /// Québec's rule sets as this build knows them.
    pub fn quebec() -> Self {
        RuleBook {
            sets: ALL_RULE_SETS.to_vec(),
        }
    }

    /// The set in force on `date`: the latest one whose effective date is on or before it.
    /// Before the first set, the first one applies (there is nothing older to apply).
    pub fn in_force_on(&self, date: NaiveDate) -> &RuleSet {
        latest_on(&self.sets, date).unwrap_or(&self.sets[0])
    }

    /// The set with this identifier, to explain a stored result.
    pub fn by_id(&self, id: &str) -> Option<&RuleSet> {
        self.sets.iter().find(|s| s.id == id)
    }

    /// All sets, oldest first.
    pub fn sets(&self) -> &[RuleSet] {
        &self.sets
    }
}

/// One value of a rule set, flattened for listing (the rules page, a settings screen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleEntry {
    /// Stable name of the rule, e.g. `ratios.under_18_months`.
    pub name: &'static str,
    /// The value, written out.
    pub value: String,
    /// Where it comes from.
    pub source: crate::sourced::Source,
}

impl RuleSet {
    /// Every value of this set with its source, in a fixed order.
    pub fn entries(&self) -> Vec<RuleEntry> {
        fn entry<T: std::fmt::Display>(name: &'static str, s: &Sourced<T>) -> RuleEntry {
            RuleEntry {
                name,
                value: s.value.to_string(),
                source: s.source,
            }
        }
        let month_day = |name, s: &Sourced<MonthDay>| RuleEntry {
            name,
            value: format!("{:02}-{:02}", s.value.month, s.value.day),
            source: s.source,
        };
        let ratio = |name, s: &Sourced<u32>| RuleEntry {
            name,
            value: format!("1 educator : {} children", s.value),
            source: s.source,
        };
        let months = |name, s: &Sourced<u32>| RuleEntry {
            name,
            value: format!("{} months", s.value),
            source: s.source,
        };
        vec![
            entry("effective_from", &self.effective_from),
            month_day("reference_year_start", &self.reference_year_start),
            month_day("age_reference_day", &self.age_reference_day),
            months(
                "age_classes.toddler_from",
                &self.age_classes.toddler_from_months,
            ),
            months(
                "age_classes.four_years_from",
                &self.age_classes.four_years_from_months,
            ),
            months(
                "age_classes.five_years_from",
                &self.age_classes.five_years_from_months,
            ),
            ratio("ratios.under_18_months", &self.ratios.under_18_months),
            ratio(
                "ratios.from_18_months_to_4_years",
                &self.ratios.from_18_months_to_4_years,
            ),
            ratio("ratios.four_years", &self.ratios.four_years),
            ratio("ratios.five_and_over", &self.ratios.five_and_over),
            RuleEntry {
                name: "installation_max_children",
                value: format!("{} children", self.installation_max_children.value),
                source: self.installation_max_children.source,
            },
            months("subsidized_under", &self.subsidized_under_months),
            RuleEntry {
                name: "referral.categories",
                value: "5 categories".to_owned(),
                source: self.referral.categories.source,
            },
            RuleEntry {
                name: "referral.priority_share",
                value: format!("{}% of places", self.referral.priority_share_percent.value),
                source: self.referral.priority_share_percent.source,
            },
            entry(
                "referral.ties_favour_precarity",
                &self.referral.ties_favour_precarity,
            ),
            entry(
                "referral.only_born_children",
                &self.referral.only_born_children,
            ),
        ]
    }
}
