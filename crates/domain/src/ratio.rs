//! How many educators a set of children present needs.
//!
//! Each age class has a ratio (children per educator). With children of several classes present
//! together, each child uses `1 / ratio` of an educator and the total is rounded **up**: five
//! babies and eight toddlers need two educators, and one more child of either class needs a
//! third. The texts give the ratios per class but not how to combine classes; summing the
//! fractions is the proportional reading: never fewer educators than any class alone needs, and
//! never fewer than the exact need (it is marked as our interpretation in `docs/rules.md`). The
//! sum is computed exactly in integers (no floating point).

use serde::Serialize;

use crate::age::{age_class, AgeClass, BirthDate};
use crate::error::DomainError;
use crate::rules::RuleSet;
use chrono::NaiveDate;

/// Children present, counted per age class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClassCounts {
    counts: [u32; 4],
}

impl ClassCounts {
    /// No children.
    pub fn new() -> Self {
        ClassCounts::default()
    }

    /// Counts from one number per class.
    pub fn from_counts(counts: [(AgeClass, u32); 4]) -> Self {
        let mut result = ClassCounts::new();
        for (class, n) in counts {
            result.counts[class.index()] = n;
        }
        result
    }

    /// One more child of `class`.
    pub fn add(&mut self, class: AgeClass) {
        self.counts[class.index()] = self.counts[class.index()].saturating_add(1);
    }

    /// Children of `class`.
    pub fn get(&self, class: AgeClass) -> u32 {
        self.counts[class.index()]
    }

    /// All children.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&n| u64::from(n)).sum()
    }
}

/// The educators a set of children needs, and how the number was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EducatorsNeeded {
    /// Educators needed (the exact need rounded up).
    pub educators: u64,
    /// Children counted per class.
    pub children: ClassCounts,
    /// The rule set used.
    pub rule_set: &'static str,
}

/// Educators needed for `children` present together, under `rules`.
pub fn educators_for_counts(children: ClassCounts, rules: &RuleSet) -> EducatorsNeeded {
    // Exact sum of n_i / r_i: bring every fraction to the common denominator (the LCM of the
    // ratios), add the numerators, and round up once.
    let ratios = AgeClass::ALL.map(|c| u64::from(rules.ratios.for_class(c).value.max(1)));
    let denominator = ratios.iter().fold(1u64, |acc, &r| lcm(acc, r));
    let numerator: u64 = AgeClass::ALL
        .iter()
        .zip(ratios)
        .map(|(&class, r)| u64::from(children.get(class)) * (denominator / r))
        .sum();
    EducatorsNeeded {
        educators: numerator.div_ceil(denominator),
        children,
        rule_set: rules.id,
    }
}

/// Educators needed on `on` for the children present with these birth dates.
pub fn educators_needed(
    children: &[BirthDate],
    on: NaiveDate,
    rules: &RuleSet,
) -> Result<EducatorsNeeded, DomainError> {
    let mut counts = ClassCounts::new();
    for &birth in children {
        counts.add(age_class(birth, on, rules)?);
    }
    Ok(educators_for_counts(counts, rules))
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Least common multiple (the common denominator of the ratios' shares).
pub(crate) fn lcm(a: u64, b: u64) -> u64 {
    a / gcd(a, b) * b
}
