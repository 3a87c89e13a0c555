//! Secrets in memory, for tests of the layers above the keychain (the app's commands, the sync
//! benchmark): they need a working store, not a D-Bus session. It can be locked like a real
//! keychain through [`MemoryStore::lock_switch`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use placeforte_desk::{DeskError, SecretName, SecretStore};

type Secrets = Vec<(SecretName, Vec<u8>)>;

#[derive(Debug, Default)]
pub struct MemoryStore {
    secrets: Mutex<Secrets>,
    locked: Arc<AtomicBool>,
}

impl MemoryStore {
    /// A switch that locks (`true`) and unlocks the store from outside, as a screen lock does.
    pub fn lock_switch(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.locked)
    }

    fn open(&self) -> Result<std::sync::MutexGuard<'_, Secrets>, DeskError> {
        self.check()?;
        Ok(self.secrets.lock().unwrap())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: SecretName) -> Result<Option<Vec<u8>>, DeskError> {
        Ok(self
            .open()?
            .iter()
            .find(|(stored, _)| *stored == name)
            .map(|(_, value)| value.clone()))
    }

    fn set(&self, name: SecretName, value: &[u8]) -> Result<(), DeskError> {
        let mut secrets = self.open()?;
        secrets.retain(|(stored, _)| *stored != name);
        secrets.push((name, value.to_vec()));
        Ok(())
    }

    fn delete(&self, name: SecretName) -> Result<(), DeskError> {
        self.open()?.retain(|(stored, _)| *stored != name);
        Ok(())
    }

    fn check(&self) -> Result<(), DeskError> {
        if self.locked.load(Ordering::SeqCst) {
            return Err(DeskError::KeychainLocked("the test store is locked".into()));
        }
        Ok(())
    }
}
