//! The name of every command the window may call; `build.rs` turns each into a permission and
//! a test checks this list against the registered handlers.

/// Every app command, as registered.
pub const NAMES: &[&str] = &[
    "status",
    "enrol",
    "sync",
    "referrals",
    "record_outcome",
    "outbox",
    "flush",
    "check_connection",
    "wipe",
    "declare_vacancy",
    "import_preview",
    "import_save",
    "group_setup",
    "save_group_setup",
    "compose_groups",
    "check_move",
    "pin_child",
    "set_sibling_wish",
    "acceptance_preview",
    "export_groups",
    "declare_plan_vacancies",
    "vacancies",
    "reveal_contact",
    "demand",
    "set_language",
    "health_check",
    "unlock_keychain",
];
