//! `seed`: a deterministic synthetic province — daycares and registrations with plausible
//! distributions, siblings at one address, accented Québec names, and a few honeytokens.
//!
//! Everything comes from one [`SplitMix64`] stream seeded by `--seed`, and dates are relative to
//! `as_of`: the same seed and date give the same data, ids included. No real person is in it:
//! phone numbers are in the fictitious 555-01xx range, e-mail addresses in `.example`.

mod names;

use chrono::{Datelike, Duration, Months, NaiveDate};
use placeforte_domain::{quebec_rules_on, CategoryFacts, Permit, PriorityBasis, RuleSet};
use placeforte_protocol::{DaycareId, RegistrationId};
use uuid::Uuid;

use crate::store::{
    AuditEvent, DaycareRecord, RegistrationChoice, RegistrationRecord, SeedBatch, Storage,
    StoreError,
};
use names::{CHILD_GIVEN_NAMES, DAYCARE_NAMES, FAMILY_NAMES, PARENT_GIVEN_NAMES, REGIONS};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOptions {
    /// Registrations, honeytokens included.
    pub registrations: usize,
    /// How many daycares.
    pub daycares: usize,
    /// Honeytoken registrations among them.
    pub honeytokens: usize,
    /// The random seed.
    pub seed: u64,
    /// "Today" for the generated dates.
    pub as_of: NaiveDate,
}

/// Seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Seeding only goes into an empty database.
    #[error("the database already holds {0} registrations; seed only fills an empty database")]
    NotEmpty(i64),
    /// Nothing sensible to generate.
    #[error("at least one daycare is needed, and no more honeytokens than registrations")]
    Invalid,
}

/// A small, fast, well-mixed generator whose output never changes with a dependency update.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift: unbiased enough for synthetic data, and branch-free.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut roll = self.below(total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if roll < u64::from(*w) {
                return i;
            }
            roll -= u64::from(*w);
        }
        weights.len().saturating_sub(1)
    }

    fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

/// Generates the data set (pure: no IO).
pub fn generate(options: &SeedOptions) -> Result<SeedBatch, SeedError> {
    if options.daycares == 0 || options.honeytokens > options.registrations {
        return Err(SeedError::Invalid);
    }
    let mut rng = SplitMix64::new(options.seed);
    let created_at = options
        .as_of
        .and_hms_opt(8, 0, 0)
        .map(|t| t.and_utc())
        .ok_or(SeedError::Invalid)?;
    let region_weights: Vec<u32> = REGIONS.iter().map(|r| r.1).collect();
    let family_weights: Vec<u32> = (0..FAMILY_NAMES.len())
        .map(|rank| 1000 / (u32::try_from(rank).unwrap_or(u32::MAX / 2) + 8))
        .collect();

    let mut daycares = Vec::with_capacity(options.daycares);
    let mut by_region: Vec<Vec<DaycareId>> = vec![Vec::new(); REGIONS.len()];
    for i in 0..options.daycares {
        // One per region first, so every family has daycares nearby; then by population.
        let region = if i < REGIONS.len() {
            i
        } else {
            rng.weighted(&region_weights)
        };
        let (region_name, _, _, towns) = REGIONS[region];
        let kind = if rng.chance(600) { "CPE" } else { "Garderie" };
        let name = format!("{kind} {} de {}", rng.pick(DAYCARE_NAMES), rng.pick(towns));
        let places = permit(&mut rng, quebec_rules_on(options.as_of))?;
        let id = DaycareId::from_uuid(rng.uuid());
        by_region[region].push(id);
        daycares.push(DaycareRecord {
            id,
            name,
            region: region_name.to_owned(),
            places,
            created_at,
        });
    }
    let all_daycares: Vec<DaycareId> = daycares.iter().map(|d| d.id).collect();

    let mut registrations = Vec::with_capacity(options.registrations);
    let mut choices = Vec::with_capacity(options.registrations * 3);
    while registrations.len() < options.registrations {
        let region = rng.weighted(&region_weights);
        let (region_name, _, area_codes, _) = REGIONS[region];
        let family = FAMILY_NAMES[rng.weighted(&family_weights)];
        let parent_given = *rng.pick(PARENT_GIVEN_NAMES);
        let parent_family = if rng.chance(300) {
            FAMILY_NAMES[rng.weighted(&family_weights)]
        } else {
            family
        };
        let child_family = if parent_family != family && rng.chance(400) {
            format!("{family}-{parent_family}")
        } else {
            family.to_owned()
        };
        let phone = format!("{} 555-01{:02}", rng.pick(area_codes), rng.below(100));
        let email = format!(
            "{}.{}{}@courriel.example",
            ascii_fold(parent_given),
            ascii_fold(parent_family),
            rng.below(1000)
        );
        let address_key = format!("adr-{:016x}", rng.next_u64());
        let children = match rng.below(100) {
            0..=84 => 1,
            85..=97 => 2,
            _ => 3,
        };
        let nearby = if by_region[region].is_empty() {
            &all_daycares
        } else {
            &by_region[region]
        };
        // Siblings usually choose the same daycares.
        let family_choices = choose_daycares(&mut rng, nearby);
        for child in 0..children {
            if registrations.len() == options.registrations {
                break;
            }
            let id = RegistrationId::from_uuid(rng.uuid());
            let birth_date =
                options.as_of - Duration::days(i64::try_from(rng.below(5 * 365)).unwrap_or(0));
            // Most parents register in the first months, some much later.
            let delay = if rng.chance(700) {
                rng.below(120)
            } else {
                rng.below(900)
            };
            let registered_on =
                (birth_date + Duration::days(i64::try_from(delay).unwrap_or(0))).min(options.as_of);
            let wait_months = 6 + u32::try_from(rng.below(19)).unwrap_or(0);
            let desired = registered_on
                .checked_add_months(Months::new(wait_months))
                .unwrap_or(registered_on);
            let desired_entry_date = if rng.chance(450) {
                // September: the start of the reference year.
                NaiveDate::from_ymd_opt(
                    if desired.month() <= 9 {
                        desired.year()
                    } else {
                        desired.year() + 1
                    },
                    9,
                    1,
                )
                .unwrap_or(desired)
            } else {
                desired.with_day(1).unwrap_or(desired)
            };
            let siblings = children > 1;
            let facts = CategoryFacts {
                staff_member_child: rng.chance(20),
                same_address_as_admitted_child: rng.chance(if siblings && child > 0 {
                    350
                } else {
                    30
                }),
                already_in_subsidized_care: rng.chance(100),
            };
            let priority = PriorityBasis {
                special_needs: rng.chance(30),
                socio_economic_precarity: rng.chance(70),
                parent_in_education: rng.chance(40),
                ..PriorityBasis::NONE
            };
            let own_choices = if siblings && rng.chance(800) {
                family_choices.clone()
            } else {
                choose_daycares(&mut rng, nearby)
            };
            for (rank, daycare) in own_choices.iter().enumerate() {
                choices.push(RegistrationChoice {
                    registration_id: id,
                    daycare_id: *daycare,
                    preference: i32::try_from(rank + 1).unwrap_or(i32::MAX),
                });
            }
            registrations.push(RegistrationRecord {
                id,
                child_given_name: (*rng.pick(CHILD_GIVEN_NAMES)).to_owned(),
                child_family_name: child_family.clone(),
                birth_date,
                desired_entry_date,
                registered_on,
                region: region_name.to_owned(),
                address_key: address_key.clone(),
                parent_given_name: parent_given.to_owned(),
                parent_family_name: parent_family.to_owned(),
                parent_phone: phone.clone(),
                parent_email: email.clone(),
                facts,
                priority,
            });
        }
    }
    // Honeytokens look like everyone else; only their own table tells them apart.
    let mut honeytokens = Vec::with_capacity(options.honeytokens);
    while honeytokens.len() < options.honeytokens {
        let id = registrations[rng.index(registrations.len())].id;
        if !honeytokens.contains(&id) {
            honeytokens.push(id);
        }
    }
    Ok(SeedBatch {
        daycares,
        registrations,
        choices,
        honeytokens,
    })
}

/// 1 to 6 distinct daycares, fewer choices being more common.
fn choose_daycares(rng: &mut SplitMix64, nearby: &[DaycareId]) -> Vec<DaycareId> {
    let wanted = (1 + rng.weighted(&[30, 20, 18, 14, 10, 8])).min(nearby.len());
    let mut chosen = Vec::with_capacity(wanted);
    while chosen.len() < wanted {
        let candidate = *rng.pick(nearby);
        if !chosen.contains(&candidate) {
            chosen.push(candidate);
        }
    }
    chosen
}

/// A permit within the installation cap: mostly toddlers, few infants, no 5-year-olds.
fn permit(rng: &mut SplitMix64, rules: &RuleSet) -> Result<[u32; 4], SeedError> {
    let infants = 5 + 5 * u32::try_from(rng.below(3)).unwrap_or(0);
    let toddlers = 20 + 5 * u32::try_from(rng.below(7)).unwrap_or(0);
    let four = 5 * u32::try_from(rng.below(5)).unwrap_or(0);
    let places = [infants, toddlers, four, 0];
    // The domain's own check, so seeded permits obey the rule set.
    Permit::from_places(places, rules).map_err(|_| SeedError::Invalid)?;
    Ok(places)
}

/// Lowercase ASCII for e-mail local parts: accents dropped, hyphens and apostrophes removed.
fn ascii_fold(name: &str) -> String {
    deunicode::deunicode(name)
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// What `seed` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    /// Daycares written.
    pub daycares: usize,
    /// Registrations written.
    pub registrations: usize,
    /// Chosen-daycare rows written.
    pub choices: usize,
    /// Honeytokens among the registrations.
    pub honeytokens: usize,
}

/// Generates and writes the data set in one transaction, into an empty database.
pub async fn seed<S: Storage>(
    store: &S,
    event: AuditEvent,
    options: &SeedOptions,
) -> Result<SeedSummary, SeedError> {
    let existing = store.registration_count().await?;
    if existing > 0 {
        return Err(SeedError::NotEmpty(existing));
    }
    let batch = generate(options)?;
    store.insert_seed(&batch, &event).await?;
    Ok(SeedSummary {
        daycares: batch.daycares.len(),
        registrations: batch.registrations.len(),
        choices: batch.choices.len(),
        honeytokens: batch.honeytokens.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(seed: u64) -> SeedOptions {
        SeedOptions {
            registrations: 2_000,
            daycares: 60,
            honeytokens: 5,
            seed,
            as_of: NaiveDate::from_ymd_opt(2026, 6, 1).expect("date"),
        }
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = generate(&options(42)).expect("a");
        let b = generate(&options(42)).expect("b");
        let c = generate(&options(43)).expect("c");
        assert_eq!(a.registrations, b.registrations);
        assert_eq!(a.daycares, b.daycares);
        assert_eq!(a.honeytokens, b.honeytokens);
        assert_ne!(a.registrations, c.registrations);
    }

    #[test]
    fn distributions_are_plausible() {
        let opts = options(7);
        let batch = generate(&opts).expect("batch");
        assert_eq!(batch.registrations.len(), 2_000);
        assert_eq!(batch.honeytokens.len(), 5);
        let earliest_birth = opts.as_of - Duration::days(5 * 365);
        for r in &batch.registrations {
            assert!(r.birth_date <= opts.as_of && r.birth_date >= earliest_birth);
            assert!(r.registered_on >= r.birth_date && r.registered_on <= opts.as_of);
            assert!(r.desired_entry_date > r.registered_on);
        }
        let per_registration = batch.choices.len() as f64 / 2_000.0;
        assert!((2.0..4.0).contains(&per_registration), "{per_registration}");
        let accented = batch
            .registrations
            .iter()
            .filter(|r| !r.child_given_name.is_ascii() || !r.child_family_name.is_ascii())
            .count();
        assert!(accented > 200, "{accented}");
        let mut addresses = std::collections::HashMap::new();
        for r in &batch.registrations {
            *addresses.entry(&r.address_key).or_insert(0) += 1;
        }
        let sibling_addresses = addresses.values().filter(|n| **n > 1).count();
        assert!(sibling_addresses > 50, "{sibling_addresses}");
        let precarity = batch
            .registrations
            .iter()
            .filter(|r| r.priority.socio_economic_precarity)
            .count();
        assert!((60..=220).contains(&precarity), "{precarity}");
        assert!(batch
            .registrations
            .iter()
            .all(|r| r.parent_phone.contains(" 555-01")));
    }

    #[test]
    fn ascii_fold_drops_accents() {
        assert_eq!(ascii_fold("Marie-Ève"), "marieeve");
        assert_eq!(ascii_fold("Bérubé"), "berube");
    }
}
