//! Opaque identifiers: random UUIDs on the wire as strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A string that is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdParseError;

impl fmt::Display for IdParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a valid identifier")
    }
}

impl std::error::Error for IdParseError {}

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        pub struct $name(#[cfg_attr(feature = "specta", specta(type = String))] Uuid);

        impl $name {
            /// A new random id.
            pub fn random() -> Self {
                $name(Uuid::new_v4())
            }

            /// The id from its UUID (storage layers only).
            pub fn from_uuid(uuid: Uuid) -> Self {
                $name(uuid)
            }

            /// The UUID inside (storage layers only).
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name).map_err(|_| IdParseError)
            }
        }
    };
}

opaque_id!(
    /// A daycare (one permit holder's installation).
    DaycareId
);
opaque_id!(
    /// One enrolled workstation of one daycare.
    DeviceId
);
opaque_id!(
    /// A child's registration on the single window. Never sent to a daycare.
    RegistrationId
);
opaque_id!(
    /// One referral of one registration to one daycare's vacancy.
    ReferralId
);
opaque_id!(
    /// A declared vacancy.
    VacancyId
);
