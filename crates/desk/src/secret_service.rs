//! The Linux Secret Service asked directly, for what `keyring` cannot tell without prompting:
//! whether the collection holding our entries is locked, and an unlock the director asks for.
//!
//! `keyring` unlocks a locked item by raising the Secret Service's prompt and waiting for it
//! with no time limit, so a locked keychain at start-up would freeze whatever asked. Every
//! keychain call first asks here, through a connection that never prompts, and a locked
//! collection is reported as [`DeskError::KeychainLocked`] instead; the prompt is raised only
//! by [`unlock`], when the director presses the button that asks for it.

use std::collections::HashMap;

use dbus_secret_service::{EncryptionType, Error, SecretService};

use crate::error::DeskError;

/// How long the unlock prompt may wait for the director before it is dismissed.
const UNLOCK_PROMPT_SECONDS: u64 = 120;

fn connect(prompt_seconds: u64) -> Result<SecretService, DeskError> {
    // Plain: no secret crosses this connection, only lock states.
    SecretService::connect_with_max_prompt_timeout(EncryptionType::Plain, prompt_seconds)
        .map_err(|err| DeskError::KeychainUnavailable(err.to_string()))
}

fn failed(err: Error) -> DeskError {
    match err {
        Error::Locked | Error::Prompt => DeskError::KeychainLocked(err.to_string()),
        other => DeskError::KeychainUnavailable(other.to_string()),
    }
}

/// Whether the entries of `service` can be read and written now without a prompt: their
/// items and the default collection (where new ones go) unlocked.
pub(crate) fn check(service: &str) -> Result<(), DeskError> {
    let secrets = connect(0)?;
    let found = secrets
        .search_items(HashMap::from([("service", service)]))
        .map_err(failed)?;
    if !found.locked.is_empty() {
        return Err(DeskError::KeychainLocked(format!(
            "{} entries are in a locked collection",
            found.locked.len()
        )));
    }
    let collection = secrets.get_default_collection().map_err(failed)?;
    if collection.is_locked().map_err(failed)? {
        return Err(DeskError::KeychainLocked(
            "the default collection is locked".into(),
        ));
    }
    Ok(())
}

/// Raises the Secret Service's own unlock prompt for the collections holding our entries and
/// the default one, and waits for the director's answer (a dismissed prompt stays locked).
pub(crate) fn unlock(service: &str) -> Result<(), DeskError> {
    let secrets = connect(UNLOCK_PROMPT_SECONDS)?;
    let found = secrets
        .search_items(HashMap::from([("service", service)]))
        .map_err(failed)?;
    let locked: Vec<_> = found.locked.iter().collect();
    if !locked.is_empty() {
        secrets.unlock_all(&locked).map_err(failed)?;
    }
    secrets
        .get_default_collection()
        .and_then(|collection| collection.ensure_unlocked())
        .map_err(failed)?;
    check(service)
}
