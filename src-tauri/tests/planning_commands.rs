//! The June group formation commands as the window calls them (mock runtime, real encrypted
//! cache): the import preview saves nothing and a file with a rejected line is never saved,
//! groups the permit refuses are never saved, a move is judged before it is made, unknown
//! children and groups are refused, the lists are written where the director says, the places
//! left go to the outbox.
#![allow(clippy::unwrap_used)]

mod harness;

use chrono::{Datelike, NaiveDate, Utc};
use placeforte_desk::planning::next_school_year_start;
use serde_json::{json, Value};

use harness::{app, TestApp};

/// The coming school year's first day: always ahead, so its declarations are not in the past.
fn start() -> NaiveDate {
    next_school_year_start(Utc::now().date_naive())
}

/// Eight toddlers now in "Lutins" (2 to 3 years old at the start, toddlers all year).
fn good_csv() -> String {
    let year = start().year() - 2;
    let mut text = String::from("Prénom;Nom;Date de naissance;Groupe\r\n");
    for i in 1..=8 {
        text.push_str(&format!("Enfant{i};Côté;{year}-0{i}-15;Lutins\r\n"));
    }
    text
}

fn bytes(text: &str) -> Value {
    json!({ "kind": "bytes", "bytes": text.as_bytes() })
}

fn setup(lutins_capacity: u32) -> Value {
    json!({
        "permit": [5, 16, 0, 0],
        "groups": [
            { "name": "Poussins", "classes": ["under_18_months"], "capacity": 5, "educators": 1 },
            { "name": "Lutins", "classes": ["from_18_months_to_4_years"], "capacity": lutins_capacity, "educators": 1 },
            { "name": "Castors", "classes": ["from_18_months_to_4_years"], "capacity": 8, "educators": 1 },
        ]
    })
}

fn planned(app: &TestApp) -> Value {
    app.invoke("save_group_setup", json!({ "setup": setup(8) }))
        .unwrap();
    app.invoke("import_save", json!({ "file": bytes(&good_csv()) }))
        .unwrap();
    app.invoke("compose_groups", json!({ "start": start().to_string() }))
        .unwrap()
}

fn enrolled(app: &TestApp) -> usize {
    let cache = tauri::async_runtime::block_on(app.desk().cache()).unwrap();
    tauri::async_runtime::block_on(cache.enrolled_children())
        .unwrap()
        .len()
}

#[test]
fn a_preview_with_bad_lines_lists_every_one_and_the_file_is_never_saved() {
    let app = app();
    let mut csv = good_csv();
    csv.push_str("Zoé;Roy;31/02/2024;Lutins\r\n");
    csv.push_str(";Roy;2024-01-01;Lutins\r\n");
    csv.push_str("Léa;Roy;2024-01-01\r\n");
    let preview = app
        .invoke("import_preview", json!({ "file": bytes(&csv) }))
        .unwrap();
    assert_eq!(preview["rows"], 11);
    assert_eq!(preview["children"].as_array().unwrap().len(), 8);
    assert_eq!(preview["delimiter"], ";");
    // The codes the bindings promise the window (serde and specta agree on them).
    assert_eq!(preview["encoding"], "utf8");
    let bindings = std::fs::read_to_string(placeforte_app::BINDINGS_PATH).unwrap();
    for code in [r#""utf8_with_bom""#, r#""utf8""#, r#""windows_1252""#] {
        assert!(bindings.contains(code), "{code}");
    }
    assert!(!bindings.contains(r#""utf_8"#));
    assert_eq!(
        preview["rejected"],
        json!([
            { "line": 10, "code": "bad_birth_date", "expected": null, "found": null },
            { "line": 11, "code": "missing_name", "expected": null, "found": null },
            { "line": 12, "code": "wrong_field_count", "expected": 4, "found": 3 },
        ])
    );
    assert_eq!(enrolled(&app), 0, "a preview saves nothing");
    let err = app
        .invoke("import_save", json!({ "file": bytes(&csv) }))
        .unwrap_err();
    assert_eq!(err["code"], "import_has_rejected_lines");
    assert_eq!(enrolled(&app), 0, "all or nothing");
}

#[test]
fn a_file_is_read_from_a_path_and_a_file_without_the_columns_is_refused_whole() {
    let app = app();
    let path = app.dir.path().join("inscrits.csv");
    std::fs::write(&path, good_csv()).unwrap();
    let file = json!({ "kind": "path", "path": path.display().to_string() });
    let preview = app
        .invoke("import_preview", json!({ "file": file }))
        .unwrap();
    assert_eq!(preview["children"][0]["label"], "Enfant1 C.");
    assert_eq!(
        app.invoke("import_save", json!({ "file": file })).unwrap(),
        8
    );
    assert_eq!(enrolled(&app), 8);

    let err = app
        .invoke(
            "import_preview",
            json!({ "file": bytes("Nom;Groupe\nRoy;A\n") }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "import_missing_columns");
    let missing =
        json!({ "kind": "path", "path": app.dir.path().join("absent.csv").display().to_string() });
    let err = app
        .invoke("import_save", json!({ "file": missing }))
        .unwrap_err();
    assert_eq!(err["code"], "import_unreadable");
    assert_eq!(
        enrolled(&app),
        8,
        "a refused file leaves the list as it was"
    );
}

#[test]
fn groups_over_the_permit_or_the_installation_cap_are_refused_and_not_saved() {
    let app = app();
    let saved = app
        .invoke("save_group_setup", json!({ "setup": setup(8) }))
        .unwrap();
    assert_eq!(saved, json!({ "saved": true, "problems": [] }));

    // 17 places in a group whose only class has 16 on the permit.
    let refused = app
        .invoke("save_group_setup", json!({ "setup": setup(17) }))
        .unwrap();
    assert_eq!(refused["saved"], false);
    assert_eq!(
        refused["problems"],
        json!([{ "code": "group_over_permit", "group": 1, "class": null, "places": 17, "allowed": 16 }])
    );
    // A permit above the installation's 100 children.
    let mut over_cap = setup(8);
    over_cap["permit"] = json!([20, 60, 21, 0]);
    let refused = app
        .invoke("save_group_setup", json!({ "setup": over_cap }))
        .unwrap();
    assert_eq!(
        refused["problems"][0]["code"],
        "permit_over_installation_cap"
    );
    assert_eq!(refused["problems"][0]["places"], 101);
    assert_eq!(refused["problems"][0]["allowed"], 100);

    let kept = app.invoke("group_setup", json!({})).unwrap();
    assert_eq!(kept, setup(8), "nothing refused was saved");
}

#[test]
fn composing_needs_groups_and_places_every_child_with_its_reason() {
    let app = app();
    let err = app
        .invoke("compose_groups", json!({ "start": start().to_string() }))
        .unwrap_err();
    assert_eq!(err["code"], "plan_without_groups");
    let err = app
        .invoke("compose_groups", json!({ "start": "1er septembre" }))
        .unwrap_err();
    assert_eq!(err["code"], "invalid_input");

    let plan = planned(&app);
    let names: Vec<&str> = plan["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Poussins", "Lutins", "Castors"]);
    let lutins = plan["groups"][1]["children"].as_array().unwrap();
    assert_eq!(lutins.len(), 8);
    assert!(lutins.iter().all(|c| c["reason"] == "current_group"));
    assert_eq!(lutins[0]["age_class"], "from_18_months_to_4_years");
    assert_eq!(plan["left_out"], json!([]));
    // Charted per group and per age class; the free places are offered to declare.
    assert_eq!(
        plan["series"][0]["subject"],
        json!({ "kind": "group", "name": "Poussins" })
    );
    assert!(plan["vacancies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["age_class"] == "from_18_months_to_4_years" && v["places"] == 8));
}

#[test]
fn a_move_is_judged_before_it_is_made_and_unknown_children_or_groups_are_refused() {
    let app = app();
    let plan = planned(&app);
    let start = start().to_string();
    let child = plan["groups"][1]["children"][0]["key"].as_str().unwrap();

    let breaches = app
        .invoke(
            "check_move",
            json!({ "start": start, "child": child, "group": "Poussins" }),
        )
        .unwrap();
    assert_eq!(breaches[0]["code"], "group_age_class");
    assert_eq!(breaches[0]["group"], "Poussins");
    assert_eq!(breaches[0]["from"], start);
    let fine = app
        .invoke(
            "check_move",
            json!({ "start": start, "child": child, "group": "Castors" }),
        )
        .unwrap();
    assert_eq!(fine, json!([]));

    for (child, group, code) in [
        ("e:999", "Castors", "unknown_plan_child"),
        ("r:not-a-referral", "Castors", "unknown_plan_child"),
        (child, "Hiboux", "unknown_plan_group"),
    ] {
        let err = app
            .invoke(
                "check_move",
                json!({ "start": start, "child": child, "group": group }),
            )
            .unwrap_err();
        assert_eq!(err["code"], code, "{child} → {group}");
        let err = app
            .invoke(
                "pin_child",
                json!({ "start": start, "child": child, "group": group }),
            )
            .unwrap_err();
        assert_eq!(err["code"], code, "{child} → {group}");
    }

    let moved = app
        .invoke(
            "pin_child",
            json!({ "start": start, "child": child, "group": "Castors" }),
        )
        .unwrap();
    let castors = moved["groups"][2]["children"].as_array().unwrap();
    assert_eq!(castors.len(), 1);
    assert_eq!(castors[0]["key"], child);
    assert_eq!(castors[0]["reason"], "pinned");
    let unpinned = app
        .invoke(
            "pin_child",
            json!({ "start": start, "child": child, "group": null }),
        )
        .unwrap();
    assert_eq!(unpinned["groups"][2]["children"], json!([]));
}

#[test]
fn the_lists_are_written_where_the_director_says_or_in_the_documents_folder() {
    let app = app();
    planned(&app);
    let start = start().to_string();
    let chosen = app.dir.path().join("listes").join("groupes.csv");
    let done = app
        .invoke(
            "export_groups",
            json!({ "start": start, "format": "comma", "language": "english", "path": chosen.display().to_string() }),
        )
        .unwrap();
    assert_eq!(done["path"], chosen.display().to_string());
    assert_eq!(done["children"], 8);
    let text = std::fs::read_to_string(&chosen).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Group,Child,Birth date,Age class,Arrival,Expected departure"
    );
    assert_eq!(lines.len(), 9);
    assert!(lines[1..].iter().all(|l| l.starts_with("Lutins,Enfant")));

    let done = app
        .invoke(
            "export_groups",
            json!({ "start": start, "format": "french_excel", "language": "french", "path": null }),
        )
        .unwrap();
    let default = app
        .dir
        .path()
        .join("Documents")
        .join(format!("PlaceForte-groupes-{start}.csv"));
    assert_eq!(done["path"], default.display().to_string());
    assert!(
        !app.dir.path().join("exports").exists(),
        "nothing written into the app's data folder"
    );
    let bytes = std::fs::read(&default).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFGroupe;Enfant;"));

    let err = app
        .invoke(
            "export_groups",
            json!({ "start": start, "format": "comma", "language": "english", "path": "relatif.csv" }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "invalid_input");
    let blocked = app
        .dir
        .path()
        .join("Documents")
        .join(format!("PlaceForte-groupes-{start}.csv"))
        .join("x.csv");
    let err = app
        .invoke(
            "export_groups",
            json!({ "start": start, "format": "comma", "language": "english", "path": blocked.display().to_string() }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "export_failed");
}

#[test]
fn the_places_left_go_to_the_outbox_offline_and_never_more_than_the_plan_leaves() {
    let app = app();
    let plan = planned(&app);
    let start = start().to_string();
    let line = plan["vacancies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["age_class"] == "from_18_months_to_4_years")
        .unwrap()
        .clone();
    let mut too_many = line.clone();
    too_many["places"] = json!(line["places"].as_u64().unwrap() + 1);
    let err = app
        .invoke(
            "declare_plan_vacancies",
            json!({ "start": start, "reviewed": [too_many] }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "plan_vacancy_refused");
    let cache = tauri::async_runtime::block_on(app.desk().cache()).unwrap();
    assert!(tauri::async_runtime::block_on(cache.vacancies())
        .unwrap()
        .is_empty());

    let mut fewer = line.clone();
    fewer["places"] = json!(3);
    let declared = app
        .invoke(
            "declare_plan_vacancies",
            json!({ "start": start, "reviewed": [fewer] }),
        )
        .unwrap();
    assert_eq!(
        declared,
        json!([{ "age_class": "from_18_months_to_4_years", "start_date": line["start_date"], "places": 3, "state": { "state": "pending" }, "referrals": null }])
    );
    let queued = tauri::async_runtime::block_on(cache.pending_outbox()).unwrap();
    assert_eq!(queued.len(), 1);
}

/// A toddler referred to the daycare, synced into the cache, its family not yet answered.
fn referred_toddler(app: &TestApp) -> String {
    use placeforte_protocol::referrals::{
        RankExplanation, RankStanding, ReferralPage, ReferralStatus, ReferralSyncItem,
    };
    let item = ReferralSyncItem {
        referral_id: placeforte_protocol::ReferralId::random(),
        vacancy_id: placeforte_protocol::VacancyId::random(),
        status: ReferralStatus::Open,
        answer_by: Utc::now().date_naive() + chrono::Days::new(5),
        label: "Léo T.".into(),
        birth_date: NaiveDate::from_ymd_opt(start().year() - 2, 10, 1).unwrap(),
        desired_entry_date: start(),
        category: 4,
        priority: false,
        sibling_referral_id: None,
        rank_reason: RankExplanation {
            rank: 1,
            category_order_rank: 1,
            days_since_desired_entry: 10,
            standing: RankStanding::WithinPlaces,
            rule_set: "qc-2025".into(),
        },
    };
    let page = ReferralPage {
        referrals: vec![item.clone()],
        cursor: "c1".into(),
        more: false,
        remaining: 0,
        offline_period_days: 7,
    };
    let cache = tauri::async_runtime::block_on(app.desk().cache()).unwrap();
    tauri::async_runtime::block_on(cache.apply_referral_page(&page)).unwrap();
    item.referral_id.to_string()
}

#[test]
fn if_i_accept_this_child_shows_its_group_over_3_6_and_12_months_then_the_acceptance_composes_it() {
    let app = app();
    let start = start().to_string();
    let referral = referred_toddler(&app);
    // Before any group is saved: a clear refusal the screen words.
    let err = app
        .invoke(
            "acceptance_preview",
            json!({ "start": start, "referralId": referral }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "plan_without_groups");
    planned(&app);

    let preview = app
        .invoke(
            "acceptance_preview",
            json!({ "start": start, "referralId": referral }),
        )
        .unwrap();
    assert_eq!(preview["key"], format!("r:{referral}"));
    assert_eq!(preview["label"], "Léo T.");
    // "Lutins" is full with its eight returning toddlers.
    assert_eq!(preview["group"], "Castors");
    assert_eq!(preview["left_out"], Value::Null);
    let horizons = preview["horizons"].as_array().unwrap();
    let months: Vec<&Value> = horizons.iter().map(|h| &h["months"]).collect();
    assert_eq!(months, [&json!(3), &json!(6), &json!(12)]);
    for horizon in horizons {
        let castors = horizon["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == "Castors")
            .unwrap();
        assert_eq!(castors["without"]["children"], 0);
        assert_eq!(castors["with"]["children"], 1);
        assert_eq!(castors["capacity"], 8);
    }
    // The preview records nothing.
    let plan = app
        .invoke("compose_groups", json!({ "start": start }))
        .unwrap();
    assert_eq!(plan["groups"][2]["children"], json!([]));

    for bad in [
        "not-a-referral",
        &placeforte_protocol::ReferralId::random().to_string(),
    ] {
        let err = app
            .invoke(
                "acceptance_preview",
                json!({ "start": start, "referralId": bad }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "unknown_referral", "{bad}");
    }

    // The director confirms: the acceptance waits in the outbox (offline) and the next
    // composition places the child where the preview said.
    app.invoke(
        "record_outcome",
        json!({ "referralId": referral, "outcome": { "kind": "accepted" } }),
    )
    .unwrap();
    let plan = app
        .invoke("compose_groups", json!({ "start": start }))
        .unwrap();
    let castors = plan["groups"][2]["children"].as_array().unwrap();
    assert_eq!(castors.len(), 1);
    assert_eq!(castors[0]["key"], format!("r:{referral}"));
    assert_eq!(castors[0]["referral"], true);
}

#[test]
fn sibling_wishes_are_set_from_the_plan_and_refused_for_one_child_or_children_it_lacks() {
    let app = app();
    let plan = planned(&app);
    let start = start().to_string();
    let a = plan["groups"][1]["children"][0]["key"].as_str().unwrap();
    let b = plan["groups"][1]["children"][1]["key"].as_str().unwrap();

    let plan = app
        .invoke(
            "set_sibling_wish",
            json!({ "start": start, "a": a, "b": b, "wish": "together" }),
        )
        .unwrap();
    let wishes = plan["siblings"].as_array().unwrap();
    assert_eq!(wishes.len(), 1);
    assert_eq!(wishes[0]["together"], true);
    assert_eq!(wishes[0]["met"], true);
    // Apart: both stay in their current group (the composer keeps current groups first),
    // so the wish is shown as not met.
    let plan = app
        .invoke(
            "set_sibling_wish",
            json!({ "start": start, "a": b, "b": a, "wish": "apart" }),
        )
        .unwrap();
    assert_eq!(plan["siblings"].as_array().unwrap().len(), 1);
    assert_eq!(plan["siblings"][0]["together"], false);
    assert_eq!(plan["siblings"][0]["met"], false);
    let plan = app
        .invoke(
            "set_sibling_wish",
            json!({ "start": start, "a": a, "b": b, "wish": null }),
        )
        .unwrap();
    assert_eq!(plan["siblings"], json!([]));

    for (x, y, wish, code) in [
        (a, a, json!("together"), "invalid_input"),
        (a, "e:999", json!("together"), "unknown_plan_child"),
        ("r:nope", b, json!("apart"), "unknown_plan_child"),
    ] {
        let err = app
            .invoke(
                "set_sibling_wish",
                json!({ "start": start, "a": x, "b": y, "wish": wish }),
            )
            .unwrap_err();
        assert_eq!(err["code"], code, "{x} {y}");
    }
    // A wish that is neither is refused before anything is stored.
    assert!(app
        .invoke(
            "set_sibling_wish",
            json!({ "start": start, "a": a, "b": b, "wish": "maybe" }),
        )
        .is_err());
    let cache = tauri::async_runtime::block_on(app.desk().cache()).unwrap();
    assert!(tauri::async_runtime::block_on(cache.sibling_wishes())
        .unwrap()
        .is_empty());
}

#[test]
fn a_refused_move_names_the_child_and_the_threshold() {
    let app = app();
    let plan = planned(&app);
    let start = start().to_string();
    let toddler = &plan["groups"][1]["children"][0];
    // A ninth toddler in "Castors" is fine; into the babies' group it breaks the classes.
    let breaches = app
        .invoke(
            "check_move",
            json!({ "start": start, "child": toddler["key"], "group": "Poussins" }),
        )
        .unwrap();
    let cause = &breaches[0]["causes"][0];
    assert_eq!(cause["code"], "moved");
    assert_eq!(cause["key"], toddler["key"]);
    assert_eq!(cause["label"], toddler["label"]);
    assert_eq!(breaches[0]["found"], 1);
    assert_eq!(breaches[0]["allowed"], 0);
}
