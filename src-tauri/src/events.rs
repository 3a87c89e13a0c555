//! Events the window listens to (typed in the generated bindings).

use serde::{Deserialize, Serialize};

/// Sent after every page of a running sync, for the progress bar.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SyncProgressEvent {
    /// Pages applied so far.
    pub pages: u32,
    /// Referrals received so far.
    pub referrals: u32,
    /// Referrals received so far plus those still waiting: the bar's maximum (it grows only
    /// if changes arrive while syncing).
    pub total: u32,
    /// Whether more pages wait.
    pub more: bool,
}
