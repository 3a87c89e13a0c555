//! `placeforte-demo` (run by `scripts/demo.sh`): a central service on its embedded SQLite with
//! a synthetic province, and the app enrolled against it for a demo daycare with open
//! vacancies, synced. With a display the app then stays open for you; without one it runs
//! under Xvfb and saves a screenshot of the referrals list. Everything it started stops with it.
#![forbid(unsafe_code)]

use std::process::{Command, ExitCode};

use placeforte_e2e::{binary, AppWindow, Central, Display};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let interactive = std::env::var_os("DISPLAY").is_some();
    println!("==> central service: synthetic province on SQLite");
    let central = Central::start_seeded();
    let daycare = central.a_daycare();
    let invitation = central.invitation(&daycare);
    println!("    data: {}", central.dir().display());
    println!("    invitation for daycare {daycare}:\n    {invitation}");

    let profile = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(err) => {
            eprintln!("no temp dir: {err}");
            return ExitCode::FAILURE;
        }
    };
    let keychain = format!("ca.placeforte.demo.{}", std::process::id());
    let display = Display::open();
    println!("==> the app: enrol, declare vacancies, sync (through WebDriver)");
    let mut app = AppWindow::launch(&display, profile.path(), &keychain, "demo").await;
    app.enrol(&invitation).await;
    app.declare_vacancies(&["from_18_months_to_4_years", "four_years"], 12)
        .await;
    app.sync().await;
    app.click("nav-referrals").await;
    app.wait("referral-row").await;
    let shot = app.screenshot("referrals").await;
    println!("==> screenshot of the referrals list: {}", shot.display());
    app.close().await;

    if interactive {
        println!("==> the app is open, enrolled and synced; close its window to stop the demo");
        let status = Command::new(binary("placeforte-app"))
            .env("PLACEFORTE_DESK_DATA_DIR", profile.path())
            .env("PLACEFORTE_KEYCHAIN_SERVICE", &keychain)
            .status();
        if let Err(err) = status {
            eprintln!("the app did not start: {err}");
            return ExitCode::FAILURE;
        }
    }
    println!("==> stopping the central service");
    drop(central);
    ExitCode::SUCCESS
}
