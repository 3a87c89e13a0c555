//! June group formation in the real window (Xvfb, WebKitWebDriver through tauri-driver), on a
//! computer enrolled with a real central service: a CSV with a bad line is previewed and not
//! saved, a good one is imported, groups the permit refuses are explained, the children are
//! composed, one is moved through its "move to" list and another dragged (the rule another
//! group would break is shown first, and such a drop refused), and the lists
//! exported to a file whose rows are checked; and "if I accept this child": a referred child's
//! effect on the saved groups shown before the acceptance is recorded, then the child placed by
//! the next composition, and a sibling wish set from the groups screen. Screenshots:
//! `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used)]

use chrono::{Datelike, NaiveDate, Utc};
use placeforte_desk::planning::next_school_year_start;
use placeforte_e2e::{window_tests_can_run, AppWindow, Central, Display};

/// The coming school year's first day: always ahead, so its declarations are not in the past.
fn start() -> NaiveDate {
    next_school_year_start(Utc::now().date_naive())
}

/// What a daycare's office software writes: `;`, accents, a quoted group name; eight toddlers
/// now in "Lutins" (2 to 3 years old all next year) and one child who leaves before it.
fn enrolled_csv() -> String {
    let year = start().year() - 2;
    let families = [
        "Côté", "Tremblay", "Gagnon", "Roy", "Bouchard", "Gauthier", "Morin", "Lavoie",
    ];
    let given = [
        "Éloïse", "Noah", "Léa", "Félix", "Zoé", "Mégane", "Théo", "Chloé",
    ];
    let mut text =
        String::from("Prénom;Nom de famille;Date de naissance;Départ prévu;Groupe actuel\r\n");
    for (i, (g, f)) in given.iter().zip(families).enumerate() {
        text.push_str(&format!("{g};{f};15/0{}/{year};;\"Lutins\"\r\n", i + 1));
    }
    let gone = start().pred_opt().unwrap().pred_opt().unwrap();
    text.push_str(&format!(
        "Anaïs;Pelletier;{}-03-01;{gone};Lutins\r\n",
        year - 1
    ));
    text
}

/// Scrolls the element with `data-testid` to the top of the window, for the next screenshot.
async fn show(app: &AppWindow, testid: &str) {
    app.script(&format!(
        "document.querySelector('[data-testid={testid}]').scrollIntoView({{ block: 'start' }}); arguments[0](null)"
    ))
    .await;
}

fn keychain_service() -> String {
    format!("ca.placeforte.e2e.groups.{}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_director_imports_composes_moves_a_child_and_exports_the_lists() {
    if !window_tests_can_run() {
        return;
    }
    let central = Central::start_seeded();
    let invitation = central.invitation(&central.a_daycare());
    let data = tempfile::tempdir().unwrap();
    let display = Display::open();
    let mut app = AppWindow::launch(&display, data.path(), &keychain_service(), "groups").await;
    app.enrol(&invitation).await;
    app.click("nav-groups").await;

    // A file with a bad line, chosen in the file input (its bytes go to the desktop core):
    // every rejected line is shown, and it cannot be saved.
    let bad = format!("{}Sans date;Roy;;;Lutins\r\n", enrolled_csv());
    let chosen = app
        .script(&format!(
            "const done = arguments[0]; const input = document.querySelector('[data-testid=import-file]'); \
             const files = new DataTransfer(); \
             files.items.add(new File([{}], 'mauvais.csv', {{ type: 'text/csv' }})); \
             input.files = files.files; input.dispatchEvent(new Event('change', {{ bubbles: true }})); \
             done(input.files.length)",
            serde_json::to_string(&bad).unwrap()
        ))
        .await;
    assert_eq!(chosen, 1);
    let rejected = app.wait_text("import-rejected", |t| !t.is_empty()).await;
    assert!(rejected.contains("Ligne 11"), "{rejected}");
    assert!(rejected.contains("date de naissance"), "{rejected}");
    let disabled = app
        .script("arguments[0](document.querySelector('[data-testid=import-save]').disabled)")
        .await;
    assert_eq!(
        disabled, true,
        "a file with a rejected line cannot be saved"
    );
    show(&app, "import-preview").await;
    app.screenshot("import-rejected").await;

    // The good file: previewed, then saved.
    let good = data.path().join("inscrits.csv");
    std::fs::write(&good, enrolled_csv()).unwrap();
    app.fill("import-path", &good.display().to_string()).await;
    app.click("import-read").await;
    let summary = app
        .wait_text("import-summary", |t| t.contains("0 lignes refusées"))
        .await;
    assert_eq!(summary, "9 lignes lues : 9 enfants, 0 lignes refusées");
    show(&app, "import-preview").await;
    app.screenshot("import-preview").await;
    app.assert_accessible("import-preview").await;
    app.click("import-save").await;
    let saved = app.wait_text("import-saved", |t| !t.is_empty()).await;
    assert!(saved.starts_with("9 enfants"), "{saved}");

    // Groups: one over its permit first (explained in words), then three that fit.
    app.fill("permit-under_18_months", "5").await;
    app.fill("permit-from_18_months_to_4_years", "16").await;
    app.click("group-add").await;
    app.fill("group-0-name", "Lutins").await;
    app.fill("group-0-capacity", "17").await;
    app.click("setup-save").await;
    let problem = app.wait_text("setup-problem", |t| !t.is_empty()).await;
    assert_eq!(
        problem,
        "Lutins : 17 places, alors que le permis en donne 16 à ses groupes d’âge."
    );
    show(&app, "setup-problem").await;
    app.screenshot("groups-refused").await;
    app.assert_accessible("groups-refused").await;
    app.fill("group-0-capacity", "8").await;
    app.click("group-add").await;
    app.fill("group-1-name", "Castors").await;
    app.fill("group-1-capacity", "8").await;
    app.click("group-add").await;
    app.fill("group-2-name", "Poussins").await;
    app.fill("group-2-capacity", "5").await;
    app.click("group-2-from_18_months_to_4_years").await;
    app.click("group-2-under_18_months").await;
    app.click("setup-save").await;
    app.wait("setup-saved").await;

    // Compose: the eight toddlers stay in "Lutins", the child who leaves is left out, why.
    app.fill("plan-start", &start().to_string()).await;
    app.click("plan-compose").await;
    app.wait("plan-columns").await;
    let keys = |column: usize| {
        format!(
            "arguments[0]([...document.querySelectorAll('[data-testid=column-{column}] li.child')].map(li => li.dataset.key))"
        )
    };
    let lutins = app.script(&keys(0)).await;
    assert_eq!(lutins.as_array().unwrap().len(), 8, "{lutins}");
    let left_out = app.text("left-out").await;
    assert!(left_out.contains("Anaïs P."), "{left_out}");
    assert!(left_out.contains("aucun jour"), "{left_out}");
    show(&app, "plan-optimality").await;
    app.screenshot("composed").await;
    app.assert_accessible("composed").await;

    // Move one child: to "Poussins" the simulator says which rule breaks; to "Castors" it fits.
    let key = lutins[0].as_str().unwrap().to_owned();
    let testid = format!("move-{}", key.replace(':', "-"));
    app.select(&testid, "Poussins").await;
    let refused = app.wait_text("move-breaches", |t| !t.is_empty()).await;
    assert!(refused.contains("Poussins"), "{refused}");
    assert!(refused.contains("n’admet pas"), "{refused}");
    show(&app, "move-verdict").await;
    app.screenshot("move-refused").await;
    app.select(&testid, "Castors").await;
    app.wait("move-ok").await;
    app.click("move-confirm").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // Castors is the second group: the child moves to column 1.
    while app.script(&keys(1)).await.as_array().unwrap().len() != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the child never moved"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(app.script(&keys(1)).await[0], key.as_str());
    assert_eq!(app.script(&keys(0)).await.as_array().unwrap().len(), 7);
    show(&app, "plan-columns").await;
    app.screenshot("moved").await;

    // The same by dragging another child: over "Poussins" the rule is shown and the drop is
    // refused; over "Castors" the drop is taken. (HTML5 drag events dispatched in the page:
    // WebDriver's pointer actions hang under Xvfb.)
    let dragged = app.script(&keys(0)).await[0].as_str().unwrap().to_owned();
    let drag = |event: &str, target: &str| {
        format!(
            "const done = arguments[0]; let dt = null; try {{ dt = window.__drag || new DataTransfer(); }} catch (e) {{}} \
             window.__drag = dt; \
             document.querySelector('{target}').dispatchEvent(new DragEvent('{event}', {{ bubbles: true, cancelable: true, dataTransfer: dt }})); \
             done(null)"
        )
    };
    let child_css = format!("[data-testid=child-{}]", dragged.replace(':', "-"));
    app.script(&drag("dragstart", &child_css)).await;
    let refused = loop {
        app.script(&drag("dragover", "[data-testid=column-2]"))
            .await;
        let shown = app.all("drop-breaches").await;
        if let Some(banner) = shown.first() {
            break banner.text().await.unwrap();
        }
        assert!(std::time::Instant::now() < deadline + std::time::Duration::from_secs(30));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(refused.contains("n’admet pas"), "{refused}");
    show(&app, "plan-columns").await;
    app.screenshot("drag-refused").await;
    app.script(&drag("drop", "[data-testid=column-2]")).await;
    assert_eq!(
        app.script(&keys(2)).await,
        serde_json::json!([]),
        "a refused drop moves nobody"
    );
    app.script(&drag("dragstart", &child_css)).await;
    while app.count_css("[data-testid=column-1].drop-ok").await == 0 {
        app.script(&drag("dragover", "[data-testid=column-1]"))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.script(&drag("drop", "[data-testid=column-1]")).await;
    while app.script(&keys(1)).await.as_array().unwrap().len() != 2 {
        assert!(
            std::time::Instant::now() < deadline + std::time::Duration::from_secs(60),
            "the drop never moved the child"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(app
        .script(&keys(1))
        .await
        .as_array()
        .unwrap()
        .contains(&serde_json::json!(dragged)));

    // Export for French Excel to a chosen file; its rows say where every child goes.
    let lists = data.path().join("listes").join("groupes.csv");
    app.select("export-format", "french_excel").await;
    app.fill("export-path", &lists.display().to_string()).await;
    app.click("export-save").await;
    let done = app.wait_text("export-done", |t| !t.is_empty()).await;
    assert!(done.contains(&lists.display().to_string()), "{done}");
    let bytes = std::fs::read(&lists).unwrap();
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap()).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(';').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "Groupe",
            "Enfant",
            "Date de naissance",
            "Classe d'âge",
            "Arrivée",
            "Départ prévu"
        ]
    );
    assert_eq!(rows.len(), 1 + 8);
    let castors: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == "Castors").collect();
    assert_eq!(castors.len(), 2);
    assert_eq!(rows.iter().filter(|r| r[0] == "Lutins").count(), 6);
    assert!(rows[1..]
        .iter()
        .all(|r| r[3] == "18 mois à moins de 4 ans" && r[4] == start().to_string()));
    // What the printer gets (the print stylesheet shows only this): one list per group, the
    // minimal columns.
    let printed = app
        .script(
            "arguments[0]([...document.querySelectorAll('.print-list')].map(t => [t.caption.textContent, [...t.querySelectorAll('th')].map(h => h.textContent), t.tBodies[0].rows.length]))",
        )
        .await;
    assert_eq!(printed.as_array().unwrap().len(), 3, "{printed}");
    assert_eq!(
        printed[0][1],
        serde_json::json!(["Enfant", "Naissance", "Groupe d’âge"])
    );
    assert_eq!(
        (printed[0][2].as_u64(), printed[1][2].as_u64()),
        (Some(6), Some(2))
    );
    show(&app, "export-done").await;
    app.screenshot("exported").await;
    app.assert_accessible("exported").await;

    // The places the plan leaves, lowered for one class, declared and sent at once (online).
    app.fill("plan-vacancy-0", "2").await;
    app.click("plan-declare").await;
    let declared = app.wait_text("plan-declared", |t| !t.is_empty()).await;
    assert!(declared.contains("2 × Moins de 18 mois"), "{declared}");
    assert!(declared.contains("envoyée"), "{declared}");
    assert!(declared.contains("familles référées"), "{declared}");
    assert_eq!(
        central
            .query("SELECT places FROM vacancies WHERE age_class = 'under_18_months' ORDER BY rowid DESC LIMIT 1")
            .trim(),
        "2"
    );
    show(&app, "plan-declared").await;
    app.screenshot("declared").await;

    // The chart: one per group and per age class, with a table to read it without the image.
    assert!(app.count_css("figure.chart svg").await >= 4);
    show(&app, "chart-0").await;
    app.screenshot("chart").await;
    app.assert_accessible("chart").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_director_sees_what_accepting_a_child_does_to_the_groups_then_composes_with_it() {
    if !window_tests_can_run() {
        return;
    }
    let central = Central::start_seeded();
    let invitation = central.invitation(&central.a_daycare());
    let data = tempfile::tempdir().unwrap();
    let display = Display::open();
    let mut app = AppWindow::launch(
        &display,
        data.path(),
        &format!("{}.accept", keychain_service()),
        "groups-accept",
    )
    .await;
    app.enrol(&invitation).await;
    app.declare_vacancies(&["from_18_months_to_4_years"], 1)
        .await;
    app.sync().await;

    // Before any group is saved, the accept flow says so in words.
    app.click("nav-referrals").await;
    app.click("referral-row").await;
    let title = app.wait_text("referral-title", |t| !t.is_empty()).await;
    app.click("outcome-accepted").await;
    let none = app.wait_text("preview-no-groups", |t| !t.is_empty()).await;
    assert!(none.contains("Aucun groupe n’est enregistré"), "{none}");

    // The enrolled children and next year's groups: "Lutins" full with its eight returning
    // toddlers, "Arc-en-ciel" (toddlers and four-year-olds) empty.
    app.click("nav-groups").await;
    let good = data.path().join("inscrits.csv");
    std::fs::write(&good, enrolled_csv()).unwrap();
    app.fill("import-path", &good.display().to_string()).await;
    app.click("import-read").await;
    app.wait_text("import-summary", |t| t.contains("0 lignes refusées"))
        .await;
    app.click("import-save").await;
    app.wait("import-saved").await;
    app.fill("permit-under_18_months", "0").await;
    app.fill("permit-from_18_months_to_4_years", "16").await;
    app.fill("permit-four_years", "8").await;
    app.click("group-add").await;
    app.fill("group-0-name", "Lutins").await;
    app.fill("group-0-capacity", "8").await;
    app.click("group-add").await;
    app.fill("group-1-name", "Arc-en-ciel").await;
    app.fill("group-1-capacity", "8").await;
    app.click("group-1-four_years").await;
    app.click("setup-save").await;
    app.wait("setup-saved").await;

    // Back to the referral: the preview names the group and shows it without and with the
    // child over the next 3, 6 and 12 months; nothing is recorded yet.
    app.click("nav-referrals").await;
    app.click("referral-row").await;
    app.wait_text("referral-title", |t| t == title).await;
    app.click("outcome-accepted").await;
    let verdict = app.wait_text("preview-verdict", |t| !t.is_empty()).await;
    assert!(
        verdict.contains("irait dans le groupe Arc-en-ciel"),
        "{verdict}"
    );
    for months in [3, 6, 12] {
        app.wait(&format!("preview-horizon-{months}")).await;
    }
    let row = app.text("preview-row-3-Arc-en-ciel").await;
    assert!(row.contains("0 / 8") && row.contains("1 / 8"), "{row}");
    let lutins = app.text("preview-row-12-Lutins").await;
    assert!(lutins.contains("8 / 8"), "{lutins}");
    show(&app, "acceptance-preview").await;
    app.screenshot("accept-preview").await;
    app.assert_accessible("accept-preview").await;

    // The director confirms; the next composition places the child where the preview said.
    app.click("record-outcome").await;
    app.wait("recorded").await;
    app.click("nav-groups").await;
    app.fill("plan-start", &start().to_string()).await;
    app.click("plan-compose").await;
    app.wait("plan-columns").await;
    let referred = app
        .script(
            "arguments[0]([...document.querySelectorAll('[data-testid=column-1] li.child')].map(li => li.dataset.key))",
        )
        .await;
    let referred = referred.as_array().unwrap();
    assert_eq!(referred.len(), 1, "{referred:?}");
    assert!(
        referred[0].as_str().unwrap().starts_with("r:"),
        "{referred:?}"
    );
    show(&app, "plan-columns").await;
    app.screenshot("accepted-composed").await;

    // A sibling wish from the groups screen: the new child with a returning one, together.
    // "Lutins" is full, so the composer cannot meet it, and says so.
    let child = referred[0].as_str().unwrap();
    let sibling = app
        .script(
            "arguments[0](document.querySelector('[data-testid=column-0] li.child').dataset.key)",
        )
        .await;
    app.select("sibling-a", child).await;
    app.select("sibling-b", sibling.as_str().unwrap()).await;
    app.select("sibling-choice", "together").await;
    app.click("sibling-save").await;
    let wishes = app.wait_text("sibling-wishes", |t| !t.is_empty()).await;
    assert!(wishes.contains("ensemble"), "{wishes}");
    assert!(wishes.contains("non respecté"), "{wishes}");
    show(&app, "siblings").await;
    app.screenshot("sibling-wish").await;
    app.assert_accessible("sibling-wish").await;
    app.close().await;
}
