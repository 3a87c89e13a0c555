//! The Tauri shell of PlaceForte: thin commands over `crates/desk`, the capabilities that
//! allow only them, and the TypeScript bindings generated from them.
//!
//! The app is generic over the runtime so that command tests run on
//! `tauri::test::mock_builder()` without a display.
#![forbid(unsafe_code)]

pub mod background;
pub mod command_names;
pub mod commands;
pub mod desk;
pub mod error;
pub mod events;
pub mod online;
pub mod planning;
pub mod planning_view;
mod status;
pub mod vacancy;
pub mod view;

use placeforte_desk::keychain::{OsKeychain, DEFAULT_SERVICE};
use tauri::{Manager, Runtime};

pub use desk::Desk;

/// Where the committed TypeScript bindings live, from this crate's folder.
pub const BINDINGS_PATH: &str = "../ui/src/lib/bindings.ts";

/// Environment variable naming the keychain service (a second profile, or a test's own).
pub const KEYCHAIN_SERVICE_ENV: &str = "PLACEFORTE_KEYCHAIN_SERVICE";

/// Every command and event, for the invoke handler and the TypeScript bindings.
pub fn specta_builder<R: Runtime>() -> tauri_specta::Builder<R> {
    tauri_specta::Builder::<R>::new()
        .commands(tauri_specta::collect_commands![
            commands::status,
            commands::enrol,
            // The runtime named here only gives specta the argument types; the handler
            // itself is generic (the macro strips the turbofish for Tauri).
            commands::sync::<tauri::Wry>,
            commands::referrals,
            commands::record_outcome,
            commands::outbox,
            commands::flush,
            commands::check_connection,
            commands::wipe,
            commands::declare_vacancy,
            planning::import_preview,
            planning::import_save,
            planning::group_setup,
            planning::save_group_setup,
            planning::compose_groups,
            planning::check_move,
            planning::pin_child,
            planning::set_sibling_wish,
            planning::acceptance_preview,
            planning::export_groups,
            planning::declare_plan_vacancies,
            commands::vacancies,
            commands::reveal_contact,
            commands::demand,
            commands::set_language,
            commands::health_check,
            commands::unlock_keychain,
        ])
        .events(tauri_specta::collect_events![events::SyncProgressEvent])
        .constant("ERROR_CODES", error::ErrorCode::ALL)
        .constant(
            "OUTBOX_REFUSAL_CODES",
            placeforte_desk::sync::OUTBOX_REFUSAL_CODES,
        )
        .constant("REFUSAL_REASONS", placeforte_domain::RefusalReason::ALL)
}

/// The app on any runtime, over `desk`.
pub fn app<R: Runtime>(builder: tauri::Builder<R>, desk: Desk) -> tauri::Builder<R> {
    let specta = specta_builder::<R>();
    builder
        .plugin(tauri_plugin_notification::init())
        .manage(desk)
        .invoke_handler(specta.invoke_handler())
        .setup(|app| {
            mount_events(app);
            background::spawn(app.handle().clone());
            Ok(())
        })
}

/// Registers the typed events with a built app, so that commands can emit them. The app does
/// it at setup; the mock runtime of the command tests never runs setup, so they call it.
pub fn mount_events<R: Runtime>(app: &impl Manager<R>) {
    specta_builder::<R>().mount_events(app);
}

/// The TypeScript bindings of every command and event.
pub fn bindings() -> Result<String, specta_typescript::ExportError> {
    let generated = specta_builder::<tauri::Wry>().export_str(
        specta_typescript::Typescript::default()
            .header("// Generated from src-tauri by tauri-specta: do not edit.\n// @ts-nocheck"),
    )?;
    Ok(constants_sorted(&generated))
}

/// `generated` with its `export const` lines in name order: tauri-specta keeps constants in a
/// `HashMap`, so with more than one their order changes from run to run, and the committed
/// file could never match.
fn constants_sorted(generated: &str) -> String {
    let mut lines: Vec<&str> = generated.split_inclusive('\n').collect();
    let Some(header) = lines
        .iter()
        .position(|line| line.contains("user-defined constants"))
    else {
        return generated.to_owned();
    };
    let first = header
        + 1
        + lines[header + 1..]
            .iter()
            .take_while(|line| line.trim().is_empty())
            .count();
    let count = lines[first..]
        .iter()
        .take_while(|line| line.starts_with("export const "))
        .count();
    lines[first..first + count].sort_unstable();
    lines.concat()
}

/// Runs the desktop app with the platform's data folder and keychain.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let dir = match placeforte_desk::paths::data_dir() {
        Ok(dir) => dir,
        Err(err) => {
            tracing::error!("no data folder: {err}");
            std::process::exit(1);
        }
    };
    let service = std::env::var(KEYCHAIN_SERVICE_ENV).unwrap_or_else(|_| DEFAULT_SERVICE.into());
    let desk = Desk::new(dir, Box::new(OsKeychain::with_service(service)));
    if let Err(err) = app(tauri::Builder::default(), desk).run(tauri::generate_context!()) {
        tracing::error!("the app stopped: {err}");
        std::process::exit(1);
    }
}
