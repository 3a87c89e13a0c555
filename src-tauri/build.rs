//! Declares the app's own commands so that each needs a permission: the window may call only
//! what `capabilities/` grants.

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(placeforte_commands::NAMES)),
    )
    .unwrap_or_else(|err| panic!("tauri-build failed: {err:#}"));
}

// The same list the library exports; public there, private here.
#[allow(unreachable_pub)]
#[path = "src/command_names.rs"]
mod placeforte_commands;
