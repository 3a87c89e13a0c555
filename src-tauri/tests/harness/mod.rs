//! The app as the window sees it, on the mock runtime (no display): the real commands through
//! Tauri's IPC and the app's real capabilities. The keychain is an in-memory store here: this
//! is the layer above it; the real-window tests use a real Secret Service.
#![allow(dead_code, unreachable_pub)]

use chrono::{Duration, Utc};
use placeforte_app::Desk;
use placeforte_testkit::Central;
use placeforte_testkit::MemoryStore;
use serde_json::json;
use serde_json::Value;
use tauri::async_runtime::block_on;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow};

pub struct TestApp {
    _app: tauri::App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub dir: tempfile::TempDir,
}

/// A fresh app over an empty data folder.
pub fn app() -> TestApp {
    app_with(MemoryStore::default())
}

/// A fresh app over an empty data folder, with secrets in `store`.
pub fn app_with(store: MemoryStore) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::new(dir.path().to_path_buf(), Box::new(store))
        .with_exports_dir(dir.path().join("Documents"));
    let app = placeforte_app::app(mock_builder(), desk)
        .build(tauri::generate_context!())
        .unwrap();
    placeforte_app::mount_events(&app);
    // The window of the configuration, under the label the capability grants.
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    TestApp {
        _app: app,
        window,
        dir,
    }
}

/// Calls `cmd` as a page served from `origin` would.
pub fn invoke_from(
    window: &WebviewWindow<MockRuntime>,
    origin: &str,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: origin.parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

impl TestApp {
    /// Calls `cmd` as the app's own page does.
    pub fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke_from(&self.window, "tauri://localhost", cmd, args)
    }
    /// The app's desktop core.
    pub fn desk(&self) -> tauri::State<'_, Desk> {
        self.window.state::<Desk>()
    }
}

/// The app, enrolled at a new daycare that `toddlers` waiting toddlers chose, with a toddler
/// vacancy of `places` declared (sent at once; its referrals not synced yet). Returns how many
/// referrals the service made.
pub fn enrolled_with_vacancy(central: &Central, toddlers: usize, places: u32) -> (TestApp, u64) {
    let app = app();
    let invitation = block_on(async {
        let daycare = central.daycare().await;
        central.toddlers_choosing(daycare, toddlers).await;
        central.invite(daycare).await.to_string()
    });
    app.invoke("enrol", json!({ "invitation": invitation }))
        .unwrap();
    let start = Utc::now().date_naive() + Duration::days(30);
    let declared = app
        .invoke(
            "declare_vacancy",
            json!({ "vacancy": {
                "age_class": "from_18_months_to_4_years",
                "places": places,
                "start_date": start.to_string(),
                "group_label": "Les Mésanges",
            } }),
        )
        .unwrap();
    let made = declared["referrals"].as_u64().unwrap();
    assert!(made > 0, "{declared}");
    (app, made)
}

/// One background turn of the app at `now` (the injected clock).
pub fn background_turn(
    app: &TestApp,
    now: chrono::DateTime<Utc>,
) -> placeforte_app::background::BackgroundTurn {
    block_on(placeforte_app::background::turn(
        app.window.app_handle(),
        now,
    ))
}
