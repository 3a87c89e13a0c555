//! Secrets in memory, for tests of the layers above the keychain (the app's commands, the sync
//! benchmark): they need a working store, not a D-Bus session.

use std::sync::Mutex;

use placeforte_desk::{DeskError, SecretName, SecretStore};

#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<Vec<(SecretName, Vec<u8>)>>);

impl SecretStore for MemoryStore {
    fn get(&self, name: SecretName) -> Result<Option<Vec<u8>>, DeskError> {
        let secrets = self.0.lock().unwrap();
        Ok(secrets
            .iter()
            .find(|(stored, _)| *stored == name)
            .map(|(_, value)| value.clone()))
    }

    fn set(&self, name: SecretName, value: &[u8]) -> Result<(), DeskError> {
        let mut secrets = self.0.lock().unwrap();
        secrets.retain(|(stored, _)| *stored != name);
        secrets.push((name, value.to_vec()));
        Ok(())
    }

    fn delete(&self, name: SecretName) -> Result<(), DeskError> {
        self.0.lock().unwrap().retain(|(stored, _)| *stored != name);
        Ok(())
    }
}
