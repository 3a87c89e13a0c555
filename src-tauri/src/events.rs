//! Events the window listens to (typed in the generated bindings).

use placeforte_desk::sync::SyncProgress;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime};
use tauri_specta::Event as _;

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

impl SyncProgressEvent {
    /// Reports each page of a sync to the window (manual or background alike, so the screens
    /// refresh either way).
    pub fn emitter<R: Runtime>(app: &AppHandle<R>) -> impl FnMut(SyncProgress) + '_ {
        move |p: SyncProgress| {
            let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
            let event = SyncProgressEvent {
                pages: p.pages,
                referrals: count(p.referrals),
                total: count(p.total),
                more: p.more,
            };
            if let Err(err) = event.emit(app) {
                tracing::warn!("sync progress not delivered: {err}");
            }
        }
    }
}
