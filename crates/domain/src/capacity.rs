//! Capacities: places, a daycare's permit per age class, the installation cap.

use serde::Serialize;

use crate::age::AgeClass;
use crate::error::DomainError;
use crate::rules::RuleSet;

/// A number of places or children, known to be non-negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Capacity(u32);

impl Capacity {
    /// A capacity from any integer, refusing negative values (and values that do not fit).
    pub fn new(value: i64) -> Result<Capacity, DomainError> {
        if value < 0 {
            return Err(DomainError::NegativeCapacity(value));
        }
        u32::try_from(value)
            .map(Capacity)
            .map_err(|_| DomainError::CapacityTooLarge(value))
    }

    /// The number itself.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for Capacity {
    fn from(value: u32) -> Self {
        Capacity(value)
    }
}

/// A daycare installation's permit: places per age class, within the installation cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Permit {
    places: [Capacity; 4],
}

impl Permit {
    /// A permit, refused if its places add up to more than the installation cap of `rules`.
    pub fn new(places: [(AgeClass, Capacity); 4], rules: &RuleSet) -> Result<Permit, DomainError> {
        let mut by_class = [Capacity::default(); 4];
        for (class, capacity) in places {
            by_class[class.index()] = capacity;
        }
        let total: u64 = by_class.iter().map(|c| u64::from(c.get())).sum();
        let cap = rules.installation_max_children.value;
        if total > u64::from(cap) {
            return Err(DomainError::PermitOverInstallationCap { total, cap });
        }
        Ok(Permit { places: by_class })
    }

    /// A permit from places in the order of [`AgeClass::ALL`] (youngest first).
    pub fn from_places(places: [u32; 4], rules: &RuleSet) -> Result<Permit, DomainError> {
        let mut by_class = [(AgeClass::Under18Months, Capacity::default()); 4];
        for ((slot, class), n) in by_class.iter_mut().zip(AgeClass::ALL).zip(places) {
            *slot = (class, Capacity::from(n));
        }
        Permit::new(by_class, rules)
    }

    /// Places for `class`.
    pub fn places(&self, class: AgeClass) -> Capacity {
        self.places[class.index()]
    }

    /// All places.
    pub fn total(&self) -> u32 {
        self.places.iter().map(|c| c.get()).sum()
    }
}
