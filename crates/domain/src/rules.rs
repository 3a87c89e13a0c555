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
    /// The day a child reaches an age in months when the month lacks the birth day (born on
    /// the 29th to 31st): the first day of the following month (`age::add_months_rolling_forward`).
    pub anniversary_on_missing_day: Sourced<()>,
}

/// The referral order of the single window: the five categories and the priority quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReferralRules {
    /// The five categories, in order, each ranked by time elapsed since the desired entry date.
    pub categories: Sourced<()>,
    /// The admission priorities a daycare may use (`PriorityBasis`).
    pub priority_criteria: Sourced<()>,
    /// The largest share of places, in percent, that may go to priority candidates through the
    /// quota; the rest are offered to everyone.
    pub priority_share_percent: Sourced<u32>,
    /// How the quota seats and the general places are filled, and in which order.
    pub quota_seats_filled_first: Sourced<bool>,
    /// When two priority candidates competing for a quota seat are otherwise tied,
    /// socio-economic precarity goes first.
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
    /// Whether a suspended request comes back on the list when the parents confirm it.
    pub suspension_lifted_on_confirmation: Sourced<bool>,
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
    /// How long personal data is kept once its purpose is achieved.
    pub retention: RetentionRules,
}

const RSGEE: &str =
    "Règlement sur les services de garde éducatifs à l'enfance (RSGEE, CQLR c. S-4.1.1, r. 2)";

/// quebec.ca, "Steps of the Admission Process to Childcare" (Ministère de la Famille).
const QC_ADMISSION_STEPS: &str = "quebec.ca, Steps of the Admission Process to Childcare \
     (https://www.quebec.ca/en/family-and-support-for-individuals/childhood/childcare-centres/\
     registration-portal/parents/learn-steps-admission-process)";

/// quebec.ca, "Reasons for a refusal to admit a child to a childcare facility".
const QC_REFUSAL_REASONS: &str = "quebec.ca, Reasons for a refusal to admit a child to a \
     childcare facility (https://www.quebec.ca/en/family-and-support-for-individuals/childhood/\
     childcare-centres/registration-portal/parents/reasons-refusal)";

/// The Ministère de la Famille's release on the adoption of Bill 95, June 4, 2025.
const RELEASE_2025_06_04: &str = "Ministère de la Famille, release of June 4, 2025, adoption \
     of the Act to promote equity in access to subsidized childcare (Bill 95) \
     (https://www.newswire.ca/fr/news-releases/adoption-de-la-loi-favorisant-l-equite-dans-l-acces-\
     aux-services-de-garde-educatifs-a-l-enfance-subventionnes-dispenses-par-les-titulaires-de-\
     permis-pour-un-acces-plus-equitable-aux-places-subventionnees-pour-les-familles-du-quebec-\
     866697500.html)";

/// The Ministère de la Famille's release on the portal's opening to parents, November 3, 2025.
const RELEASE_2025_11_03: &str = "Ministère de la Famille, release of November 3, 2025, the \
     registration portal open to parents (https://www.newswire.ca/fr/news-releases/le-nouveau-\
     portail-d-inscription-aux-services-de-garde-maintenant-accessible-aux-parents--893533589.html)";

/// The rules in force since the 2025 single-window referral order.
///
/// Sources are given per value; the ones marked `Unverified` were found only in secondary
/// sources and must be checked against the primary text before production. The Act of 2025
/// (Bill 95) and the regulation on the single window could not be read with the tools
/// available: the verified referral values rest on the Ministère de la Famille's own pages and
/// releases, which quote them.
pub const QUEBEC_2025: RuleSet = RuleSet {
    id: "qc-2025",
    effective_from: Sourced::interpretation(
        match NaiveDate::from_ymd_opt(2025, 11, 3) {
            Some(d) => d,
            None => NaiveDate::MIN,
        },
        "Ministère de la Famille, releases of June 4, 2025 (\"La Loi entrera en vigueur au moment \
         du lancement du Portail d'inscription aux services de garde, prévu à l'automne 2025\"), \
         November 3, 2025 (\"l'ouverture officielle du nouveau Portail d'inscription aux \
         services de garde pour les parents\") and December 1, 2025 (\"l'indicateur de rang et \
         le référencement automatique des enfants sont opérationnels\")",
        "The Act comes into force with the portal's launch; the portal opened officially to \
         parents on 2025-11-03, under the new rules (registration after birth, desired entry \
         date). Automatic referral started on 2025-12-01. The decree fixing the in-force date \
         was not found; we take the official opening. The age, ratio and cap values were \
         already in force before it.",
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
        anniversary_on_missing_day: Sourced::interpretation(
            (),
            "Interpretation Act (CQLR c. I-16), s. 61 (24°): \"le mot « mois » signifie un mois \
             de calendrier\"; silent on a missing day. Contrast: federal Interpretation Act \
             (R.S.C. 1985, c. I-21), s. 28, which takes the last day of the month, applies to \
             federal enactments only",
            "A child born on the 29th to 31st (or February 29) reaches an age in a month that \
             lacks that day on the first day of the following month (born August 31: 18 months \
             on March 1). Neither the RSGEE nor Québec's Interpretation Act settles it; the later \
             day keeps the child one day longer in the younger class, which needs more \
             educators, so a ratio is never under-counted.",
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
            QC_ADMISSION_STEPS,
            "\"category 1: child of a member of the childcare service staff residing at the same \
             address as a child who is already admitted [...]; category 2: child of a member of \
             the childcare service staff; category 3: child residing at the same address as a \
             child who is already admitted [...]; category 4: child who is not already admitted \
             to a CPE or a subsidized day care centre; category 5: child who does not fit in any \
             of the above categories\". \"For each category, children are ranked according to \
             the time elapsed on the waiting list since the admission date in childcare \
             preferred by the parent.\" Remaining ties: registration date, then registration id \
             (our interpretation).",
        ),
        priority_criteria: Sourced::unverified(
            (),
            RELEASE_2025_06_04,
            "\"seuls six critères de priorisation seront désormais permis\" (verified). The list: \
             special needs, socio-economic precarity and a parent enrolled in an educational \
             institution on quebec.ca's admission steps page; a parent employed by a given \
             employer, parents residing in a given local municipality and an Indigenous child \
             or parent only as The Canadian Press reported the bill (CTV News, March 27, 2025). \
             The last three go through an agreement of the daycare, so they are set per daycare.",
        ),
        priority_share_percent: Sourced::verified(
            50,
            RELEASE_2025_06_04,
            "\"un maximum de 50 % des places offertes pourront être priorisées. Le reste des \
             places devra être offert à l'ensemble de la population.\" quebec.ca: \"prioritize \
             up to 50% of their spaces\". The seats are rounded down (one place: none; three: \
             one), since rounding up would exceed the maximum (our interpretation).",
        ),
        quota_seats_filled_first: Sourced::interpretation(
            true,
            RELEASE_2025_06_04,
            "The texts set the share, not the filling order. The quota seats go first to the \
             best-placed priority candidates; the other places then go to the best-placed \
             remaining candidates, priority or not, in category order; unused seats become \
             general places. Filling the general places first would let priority candidates \
             take them and the quota reach further down, giving priority more than the \
             prioritized half.",
        ),
        ties_favour_precarity: Sourced::unverified(
            true,
            "Project brief (DESIGN.md §4); no primary text found",
            "Applied only between priority candidates competing for a quota seat, of the same \
             category and desired entry date. Not in the general places, which are offered \
             \"sans égard à leur situation\" (release of March 27, 2025).",
        ),
        only_born_children: Sourced::verified(
            true,
            RELEASE_2025_11_03,
            "\"les parents pourront désormais inscrire leur enfant au portail seulement après sa \
             naissance (ou après son arrivée dans sa famille dans le cas d'une adoption)\".",
        ),
    },
    offers: OfferRules {
        answer_within_days: Sourced::interpretation(
            7,
            QC_REFUSAL_REASONS,
            "The page speaks of \"the time limit\" to respond to a referral; its length was not \
             found in any text we could read. 7 days is a placeholder to confirm.",
        ),
        missed_deadlines_to_withdraw: Sourced::verified(
            2,
            QC_REFUSAL_REASONS,
            "\"If a child has been referred and the parents have failed to respond within the \
             time limit, for the first time, the child's application for admission is \
             suspended [...]. If the child is referred again, and the parents fail to respond \
             within the time limit for the second time, the child's application for admission \
             is withdrawn from the list for the facility.\"",
        ),
        refusals_that_keep_the_request: Sourced::interpretation(
            &[
                RefusalReason::StartEarlierThanWanted,
                RefusalReason::ChildHealth,
            ],
            QC_REFUSAL_REASONS,
            "\"If the parents decline a space that has been offered, the child's application for \
             admission is withdrawn from the waiting list for the facility, with two \
             exceptions.\" The two exceptions could not be read with the tools available; an \
             offer starting earlier than the desired date and the child's health are \
             placeholders to confirm.",
        ),
        suspension_lifted_on_confirmation: Sourced::verified(
            true,
            QC_REFUSAL_REASONS,
            "\"In the case of a suspension, the parents are notified, and they must quickly \
             confirm if they want their child's name to remain on the waiting list for a future \
             referral.\" The confirmation reactivates the request (recorded from the operator \
             CLI for now); how quickly is not stated.",
        ),
    },
    retention: RETENTION_2025,
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
            RuleEntry {
                name: "age_classes.anniversary_on_missing_day",
                value: "first day of the following month".to_owned(),
                source: self.age_classes.anniversary_on_missing_day.source,
            },
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
                name: "referral.priority_criteria",
                value: "6 criteria".to_owned(),
                source: self.referral.priority_criteria.source,
            },
            RuleEntry {
                name: "referral.priority_share",
                value: format!("{}% of places", self.referral.priority_share_percent.value),
                source: self.referral.priority_share_percent.source,
            },
            entry(
                "referral.quota_seats_filled_first",
                &self.referral.quota_seats_filled_first,
            ),
            entry(
                "referral.ties_favour_precarity",
                &self.referral.ties_favour_precarity,
            ),
            entry(
                "referral.only_born_children",
                &self.referral.only_born_children,
            ),
            RuleEntry {
                name: "offers.answer_within_days",
                value: format!("{} days", self.offers.answer_within_days.value),
                source: self.offers.answer_within_days.source,
            },
            entry(
                "offers.missed_deadlines_to_withdraw",
                &self.offers.missed_deadlines_to_withdraw,
            ),
            RuleEntry {
                name: "offers.refusals_that_keep_the_request",
                value: self
                    .offers
                    .refusals_that_keep_the_request
                    .value
                    .iter()
                    .map(|r| format!("`{}`", r.code()))
                    .collect::<Vec<_>>()
                    .join(", "),
                source: self.offers.refusals_that_keep_the_request.source,
            },
            entry(
                "offers.suspension_lifted_on_confirmation",
                &self.offers.suspension_lifted_on_confirmation,
            ),
        ]
        .into_iter()
        .chain(self.retention.entries())
        .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Retention (issue 17): how long personal data is kept once its purpose is achieved.

/// How long personal data is kept once the purpose it was collected for is achieved, centrally
/// and on the daycare's workstation. Each period counts whole Québec days from the day the
/// purpose was found achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RetentionRules {
    /// Days a decided referral's free-text notes (reveal notes, revert reasons) are kept
    /// centrally after the referral was decided or closed.
    pub closed_referral_days: Sourced<u32>,
    /// Days a withdrawn or placed registration's identifying data is kept centrally.
    pub closed_registration_days: Sourced<u32>,
    /// Days a decided referral stays in a workstation's cache.
    pub desk_decided_referral_days: Sourced<u32>,
    /// Children imported for group planning leave the cache when the reference year they were
    /// imported for has ended.
    pub desk_imported_children_until_year_end: Sourced<bool>,
}

/// The Act respecting access to documents held by public bodies and the protection of personal
/// information, s. 73, as amended by Law 25 (S.Q. 2021, c. 25, s. 28).
const ACCESS_ACT_S73: &str = "Loi sur l'accès aux documents des organismes publics et sur la \
     protection des renseignements personnels (CQLR c. A-2.1), s. 73, as amended by S.Q. 2021, \
     c. 25, s. 28 (https://legisquebec.gouv.qc.ca/en/version/cs/A-2.1?code=se%3A73&history=20241115)";

/// Why the single window is a public body (so, not the private-sector Act, applies).
const WHO_RUNS_THE_WINDOW: &str = "The single window is the Ministère de la Famille's own \
     Portail d'inscription aux services de garde since 2025 (releases of November 3 and December \
     1, 2025); La Place 0-5, run by the Coopérative Enfance Famille (an enterprise under the \
     private-sector Act, CQLR c. P-39.1, s. 23, which says the same), closed on October 16, 2025.";

/// Retention periods of the 2025 rule set. Section 73 fixes when ("when the purposes ... have
/// been achieved"), not how long: the periods are our reading, kept as data so the operator
/// sees them (`docs/rules.md`) and a later rule set can change them.
const RETENTION_2025: RetentionRules = RetentionRules {
    closed_referral_days: Sourced::interpretation(
        180,
        ACCESS_ACT_S73,
        "\"When the purposes for which personal information was collected or used have been \
         achieved, the public body must destroy the information, or anonymize it [...], subject \
         to the Archives Act\". No text sets a number of days. A decided referral's purpose (the \
         offer) is achieved when it is decided; its free-text notes are kept 180 days for an \
         operator's revert, a family's complaint and a review before the Commission d'accès à \
         l'information, then erased. The referral's row (ids, status, rank reason without the \
         priority basis) stays: it holds no identifying data and the audit log names it.",
    ),
    closed_registration_days: Sourced::interpretation(
        365,
        ACCESS_ACT_S73,
        "The purpose of a registration (a place) is achieved when the child is placed or the \
         request is withdrawn. No text sets a number of days; the Archives Act's retention \
         schedule of the Ministère was not found. We keep the identifying data one year (one \
         admission cycle, for a revert, an access request or a complaint), then destroy the \
         names, contact details, address key and priority basis and keep only the birth year, \
         the dates and the opaque id, which the audit log and the access report refer to. \
         Whether the remainder counts as anonymised under the regulation on anonymisation is \
         for the body's privacy officer to confirm.",
    ),
    desk_decided_referral_days: Sourced::interpretation(
        30,
        ACCESS_ACT_S73,
        "The workstation holds a referral to act on it; once decided, the director needs it \
         only to follow the child's arrival. 30 days, then it leaves the cache (the central \
         service keeps the record). No text sets a number.",
    ),
    desk_imported_children_until_year_end: Sourced::interpretation(
        true,
        WHO_RUNS_THE_WINDOW,
        "Children imported from the daycare's own records serve the planning of one reference \
         year; they leave the cache once that year has ended (September 1 of the next year), \
         as s. 73 of A-2.1 (and s. 23 of P-39.1 for a private daycare) asks once the purpose is \
         achieved.",
    ),
};

impl RetentionRules {
    fn entries(&self) -> Vec<RuleEntry> {
        let days = |name: &'static str, value: &Sourced<u32>| RuleEntry {
            name,
            value: format!("{} days", value.value),
            source: value.source,
        };
        vec![
            days("retention.closed_referral_days", &self.closed_referral_days),
            days(
                "retention.closed_registration_days",
                &self.closed_registration_days,
            ),
            days(
                "retention.desk_decided_referral_days",
                &self.desk_decided_referral_days,
            ),
            RuleEntry {
                name: "retention.desk_imported_children",
                value: "until the end of their reference year".to_owned(),
                source: self.desk_imported_children_until_year_end.source,
            },
        ]
    }
}
