//! A child's key in the plan: where it comes from in the cache. It travels as text (`e:<row>`
//! for an enrolled child, `r:<referral id>` for an accepted referral), which is what the pins
//! table stores and what the screen sends back; this is the one place that writes and reads
//! that text.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use placeforte_protocol::ReferralId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A child of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanChildKey {
    /// An enrolled child of the import, by its row in the cache (stable until the next import).
    Entered(i64),
    /// A child whose family accepted a referral.
    Referred(ReferralId),
}

impl PlanChildKey {
    const ENTERED: &'static str = "e:";
    const REFERRED: &'static str = "r:";

    /// The SQL `LIKE` pattern of every enrolled child's key (a new import drops their pins).
    pub const ENTERED_LIKE: &'static str = "e:%";

    /// Whether the child comes from an accepted referral.
    pub fn is_referral(&self) -> bool {
        matches!(self, PlanChildKey::Referred(_))
    }
}

impl fmt::Display for PlanChildKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanChildKey::Entered(row) => write!(f, "{}{row}", Self::ENTERED),
            PlanChildKey::Referred(id) => write!(f, "{}{id}", Self::REFERRED),
        }
    }
}

/// Text that is not a plan key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a plan child key")]
pub struct PlanChildKeyError;

impl FromStr for PlanChildKey {
    type Err = PlanChildKeyError;

    /// Only the text [`Display`](fmt::Display) writes: one key has one spelling.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let key = if let Some(row) = text.strip_prefix(Self::ENTERED) {
            PlanChildKey::Entered(row.parse().map_err(|_| PlanChildKeyError)?)
        } else if let Some(id) = text.strip_prefix(Self::REFERRED) {
            PlanChildKey::Referred(id.parse().map_err(|_| PlanChildKeyError)?)
        } else {
            return Err(PlanChildKeyError);
        };
        if key.to_string() == text {
            Ok(key)
        } else {
            Err(PlanChildKeyError)
        }
    }
}

/// Ordered as their text, as the composer has always broken ties between equal priorities
/// (`e:10` before `e:2`, enrolled children before referrals); a UUID's order is its text's.
impl Ord for PlanChildKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PlanChildKey::Entered(a), PlanChildKey::Entered(b)) => {
                a.to_string().cmp(&b.to_string())
            }
            (PlanChildKey::Entered(_), PlanChildKey::Referred(_)) => Ordering::Less,
            (PlanChildKey::Referred(_), PlanChildKey::Entered(_)) => Ordering::Greater,
            (PlanChildKey::Referred(a), PlanChildKey::Referred(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for PlanChildKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for PlanChildKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PlanChildKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "specta")]
impl specta::Type for PlanChildKey {
    fn inline(
        types: &mut specta::TypeCollection,
        generics: specta::Generics<'_>,
    ) -> specta::DataType {
        String::inline(types, generics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_from_its_text_and_from_nothing_else() {
        let id = ReferralId::random();
        for key in [
            PlanChildKey::Entered(1),
            PlanChildKey::Entered(42),
            PlanChildKey::Referred(id),
        ] {
            assert_eq!(key.to_string().parse::<PlanChildKey>(), Ok(key));
        }
        assert_eq!(PlanChildKey::Entered(7).to_string(), "e:7");
        assert_eq!(PlanChildKey::Referred(id).to_string(), format!("r:{id}"));
        let upper = format!("r:{}", id.to_string().to_uppercase());
        for bad in [
            "",
            "e:",
            "e:x",
            "e:07",
            "e:+7",
            "E:7",
            "r:not-a-referral",
            "r:",
            "x:1",
            &upper,
        ] {
            assert_eq!(bad.parse::<PlanChildKey>(), Err(PlanChildKeyError), "{bad}");
        }
    }

    #[test]
    fn keys_travel_as_their_text() {
        let key = PlanChildKey::Entered(3);
        assert_eq!(serde_json::to_value(key).unwrap(), serde_json::json!("e:3"));
        let back: PlanChildKey = serde_json::from_value(serde_json::json!("e:3")).unwrap();
        assert_eq!(back, key);
        assert!(serde_json::from_value::<PlanChildKey>(serde_json::json!("e:three")).is_err());
    }

    #[test]
    fn keys_sort_as_their_text() {
        let a = ReferralId::random();
        let b = ReferralId::random();
        let mut keys = [
            PlanChildKey::Referred(a),
            PlanChildKey::Entered(2),
            PlanChildKey::Referred(b),
            PlanChildKey::Entered(10),
            PlanChildKey::Entered(1),
        ];
        let mut texts: Vec<String> = keys.iter().map(ToString::to_string).collect();
        keys.sort();
        texts.sort();
        let sorted: Vec<String> = keys.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, texts);
    }
}
