//! A rule value together with where it comes from.
//!
//! Every number in a [`RuleSet`](crate::RuleSet) carries its source, so that the rule can be
//! checked against the regulation, shown to a director ("why 1 educator for 8?"), and listed in
//! `docs/rules.md` without a second copy that could drift.

use serde::Serialize;

/// Whether a value was checked against the primary text of the law or regulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// Read in the law or regulation itself (or the government's own page quoting it).
    Verified,
    /// Found only in secondary sources (press, associations' summaries); marked (?) in the docs.
    Unverified,
    /// Not in any text: a reading we chose where the rules are silent, documented with the
    /// reason for the choice.
    Interpretation,
}

/// Where a rule value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The text and article, e.g. "RSGEE (CQLR c. S-4.1.1, r. 2), art. 21".
    pub citation: &'static str,
    /// How far the value was checked.
    pub verification: Verification,
    /// Anything a reader needs to apply the value correctly.
    pub note: &'static str,
}

/// A value of a rule with its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sourced<T> {
    /// The value itself.
    pub value: T,
    /// Where it comes from.
    pub source: Source,
}

impl<T> Sourced<T> {
    /// A value read in the law or regulation itself.
    pub const fn verified(value: T, citation: &'static str, note: &'static str) -> Self {
        Sourced {
            value,
            source: Source {
                citation,
                verification: Verification::Verified,
                note,
            },
        }
    }

    /// A value found only in secondary sources.
    pub const fn unverified(value: T, citation: &'static str, note: &'static str) -> Self {
        Sourced {
            value,
            source: Source {
                citation,
                verification: Verification::Unverified,
                note,
            },
        }
    }

    /// A reading chosen where the texts are silent.
    pub const fn interpretation(value: T, citation: &'static str, note: &'static str) -> Self {
        Sourced {
            value,
            source: Source {
                citation,
                verification: Verification::Interpretation,
                note,
            },
        }
    }
}
