//! June group formation from the desktop core: group lists exported as CSV (read back by our
//! own import, formulas neutralised) and the reviewed vacancies queued in the real encrypted
//! cache's outbox, all or nothing.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_desk::import::preview;
use placeforte_desk::import::text::TextEncoding;
use placeforte_desk::planning::{
    declare_reviewed_vacancies, export_group_lists, proposed_vacancies, GroupListFormat, Language,
    ReviewedVacancy,
};
use placeforte_desk::{Cache, CacheFile, CacheKey};
use placeforte_domain::{
    compose, simulate, vacancies, AgeClass, AgeClassSet, BirthDate, Capacity, Composition, Entrant,
    EntrantKind, Group, Installation, Optimality, Permit, Placed, PlacedReason, PlannedChild,
    Vacancy, QUEBEC_2025,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn start() -> NaiveDate {
    d(2026, 9, 1)
}

fn today() -> NaiveDate {
    d(2026, 6, 1)
}

fn now() -> DateTime<Utc> {
    today().and_hms_opt(9, 0, 0).unwrap().and_utc()
}

/// A baby-and-toddler group and a toddler-and-four-year-old group whose names need quoting (separators, a line break).
fn installation() -> Installation {
    let permit = Permit::new(
        [
            (AgeClass::Under18Months, 5.into()),
            (AgeClass::From18MonthsTo4Years, 16.into()),
            (AgeClass::FourYears, 8.into()),
            (AgeClass::FiveAndOver, 0.into()),
        ],
        &QUEBEC_2025,
    )
    .unwrap();
    let groups = vec![
        Group::new(
            "Les Poussins; l'aile \"A\"",
            AgeClassSet::of(&[AgeClass::Under18Months, AgeClass::From18MonthsTo4Years]),
            Capacity::from(5),
            1,
        )
        .unwrap(),
        Group::new(
            "Les Petits,\r\nExplorateurs",
            AgeClassSet::of(&[AgeClass::From18MonthsTo4Years, AgeClass::FourYears]),
            Capacity::from(16),
            2,
        )
        .unwrap(),
    ];
    Installation::new(permit, groups, &QUEBEC_2025).unwrap()
}

fn entrant(
    group: usize,
    key: &str,
    birth: NaiveDate,
    arrival: NaiveDate,
    departure: Option<NaiveDate>,
) -> Entrant<String> {
    Entrant {
        child: PlannedChild::new(
            key.to_owned(),
            BirthDate::new(birth, today()).unwrap(),
            arrival,
            departure,
        )
        .unwrap(),
        kind: EntrantKind::Returning {
            current_group: None,
        },
        pinned: Some(group),
    }
}

/// Labels with accents, apostrophes, commas and semicolons, as the import makes them.
fn labels() -> BTreeMap<String, String> {
    [
        ("a", "Éloïse C."),
        ("b", "N'Dèye B."),
        ("c", "Jean, Paul O."),
        ("d", "Zoé;Anne T."),
        ("e", "Noah"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn composition() -> Composition<String> {
    let entrants = [
        entrant(1, "a", d(2022, 3, 14), start(), None),
        entrant(0, "b", d(2025, 7, 2), start(), Some(d(2027, 6, 30))),
        entrant(1, "c", d(2023, 11, 7), start(), None),
        entrant(1, "d", d(2024, 2, 29), d(2027, 1, 5), None),
        entrant(0, "e", d(2025, 9, 20), d(2026, 10, 1), None),
    ];
    let composition = compose(&installation(), &entrants, &[], start()).unwrap();
    assert_eq!(composition.placed.len(), 5, "{:?}", composition.left_out);
    composition
}

fn export(format: GroupListFormat, language: Language) -> Vec<u8> {
    let labels = labels();
    export_group_lists(
        &composition(),
        &installation(),
        start(),
        |key| labels.get(key).cloned(),
        format,
        language,
    )
    .unwrap()
}

fn records(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn the_french_excel_list_has_a_bom_semicolons_and_french_headers_and_reads_back_through_our_import()
{
    let bytes = export(GroupListFormat::FrenchExcel, Language::French);
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(
        text.starts_with("Groupe;Enfant;Date de naissance;Classe d'âge;Arrivée;Départ prévu\r\n")
    );

    let read = preview(&bytes, today()).unwrap();
    assert_eq!(
        (read.encoding, read.delimiter),
        (TextEncoding::Utf8WithBom, ';')
    );
    assert!(read.rejected.is_empty(), "{:?}", read.rejected);
    assert_eq!(read.ignored_columns, ["Classe d'âge", "Arrivée"]);
    let back: Vec<(&str, NaiveDate, Option<NaiveDate>, Option<&str>)> = read
        .children
        .iter()
        .map(|c| {
            (
                c.label.as_str(),
                c.birth_date.date(),
                c.expected_departure,
                c.current_group.as_deref(),
            )
        })
        .collect();
    let babies = Some("Les Poussins; l'aile \"A\"");
    let toddlers = Some("Les Petits,\r\nExplorateurs");
    // By group, then label.
    assert_eq!(
        back,
        [
            ("N'Dèye B.", d(2025, 7, 2), Some(d(2027, 6, 30)), babies),
            ("Noah", d(2025, 9, 20), None, babies),
            ("Jean, Paul O.", d(2023, 11, 7), None, toddlers),
            ("Zoé;Anne T.", d(2024, 2, 29), None, toddlers),
            ("Éloïse C.", d(2022, 3, 14), None, toddlers),
        ]
    );
}

#[test]
fn the_comma_list_has_no_bom_commas_and_english_headers_and_reads_back_through_our_import() {
    let bytes = export(GroupListFormat::Comma, Language::English);
    assert!(!bytes.starts_with(b"\xEF\xBB\xBF"));
    assert!(bytes.starts_with(b"Group,Child,Birth date,Age class,Arrival,Expected departure\r\n"));
    let read = preview(&bytes, today()).unwrap();
    assert_eq!((read.encoding, read.delimiter), (TextEncoding::Utf8, ','));
    assert!(read.rejected.is_empty(), "{:?}", read.rejected);
    let french = preview(
        &export(GroupListFormat::FrenchExcel, Language::French),
        today(),
    )
    .unwrap();
    assert_eq!(read.children, french.children);
}

#[test]
fn each_line_gives_the_age_class_and_the_first_day_in_the_group_in_iso_dates() {
    let rows = records(&export(GroupListFormat::Comma, Language::English), b',');
    let by_label: BTreeMap<&str, &[String]> =
        rows[1..].iter().map(|r| (r[1].as_str(), &r[..])).collect();
    // 14 months on September 1.
    assert_eq!(
        by_label["N'Dèye B."],
        [
            "Les Poussins; l'aile \"A\"",
            "N'Dèye B.",
            "2025-07-02",
            "under 18 months",
            "2026-09-01",
            "2027-06-30"
        ]
    );
    // Arrives on October 1, aged 12 months then.
    assert_eq!(by_label["Noah"][3..5], ["under 18 months", "2026-10-01"]);
    // Arrives in January: the first day and the class on it.
    assert_eq!(
        by_label["Zoé;Anne T."][3..5],
        ["18 months to under 4 years", "2027-01-05"]
    );
    let french = records(
        &export(GroupListFormat::FrenchExcel, Language::French),
        b';',
    );
    let eloise = french.iter().find(|r| r[1] == "Éloïse C.").unwrap();
    assert_eq!(eloise[3], "4 ans");
    assert!(rows.iter().all(|r| r.len() == 6));
}

#[test]
fn a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text() {
    let mut labels = labels();
    labels.insert(
        "a".into(),
        "=HYPERLINK(\"http://x.invalid\";\"clic\")".into(),
    );
    labels.insert("b".into(), "@SUM(A1)".into());
    labels.insert("c".into(), "+1 O.".into());
    labels.insert("d".into(), "-2 T.".into());
    labels.insert("e".into(), "\tTab".into());
    for (format, delimiter) in [
        (GroupListFormat::FrenchExcel, b';'),
        (GroupListFormat::Comma, b','),
    ] {
        let bytes = export_group_lists(
            &composition(),
            &installation(),
            start(),
            |key| labels.get(key).cloned(),
            format,
            Language::French,
        )
        .unwrap();
        let written: Vec<String> = records(&bytes, delimiter)[1..]
            .iter()
            .map(|r| r[1].clone())
            .collect();
        for label in labels.values() {
            assert!(
                written.contains(&format!("'{label}")),
                "{label:?} in {written:?}"
            );
        }
        assert!(written.iter().all(|cell| cell.starts_with('\'')));
    }
}

#[test]
fn a_child_without_a_label_or_in_a_group_that_does_not_exist_is_refused() {
    let labels = labels();
    let missing = export_group_lists(
        &composition(),
        &installation(),
        start(),
        |key| (key != "c").then(|| labels[key].clone()),
        GroupListFormat::Comma,
        Language::English,
    )
    .unwrap_err();
    assert_eq!(missing.code(), "group_list_missing_label");

    let child = composition().placed[0].child.clone();
    let stray = Composition {
        rule_set: QUEBEC_2025.id,
        placed: vec![Placed {
            child,
            group: 2,
            priority: 1,
            reason: PlacedReason::RoomInGroup,
        }],
        left_out: Vec::new(),
        optimality: Optimality::Proven,
    };
    let err = export_group_lists(
        &stray,
        &installation(),
        start(),
        |key| labels.get(key).cloned(),
        GroupListFormat::Comma,
        Language::English,
    )
    .unwrap_err();
    assert_eq!(err.code(), "group_list_unknown_group");
}

/// What the plan of [`composition`] leaves to declare.
fn places_left() -> Vec<Vacancy> {
    let composition = composition();
    let simulation = simulate(&installation(), &composition.placements(), start()).unwrap();
    vacancies(&simulation, &installation())
}

async fn cache(dir: &tempfile::TempDir) -> Cache {
    CacheFile::new(dir.path().join("cache.sqlite"))
        .open(&CacheKey::generate().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_reviewed_vacancies_are_queued_one_per_class_and_day_with_places() {
    let left = places_left();
    // The baby-and-toddler group holds 5 with one educator: 3 places left with two babies,
    // one more when N'Dèye leaves on June 30; Éloïse takes one of the 8 four-year places.
    assert_eq!(
        left.iter()
            .map(|v| (v.class, v.from, v.places))
            .collect::<Vec<_>>(),
        [
            (AgeClass::Under18Months, start(), 3),
            (AgeClass::Under18Months, d(2027, 7, 1), 1),
            (AgeClass::From18MonthsTo4Years, start(), 12),
            (AgeClass::From18MonthsTo4Years, d(2027, 7, 1), 1),
            (AgeClass::FourYears, start(), 7),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir).await;
    let mut review = proposed_vacancies(&left);
    review[0].places = 2;
    review[0].group_label = Some("Les Poussins".into());
    review[2].places = 0;

    let queued = declare_reviewed_vacancies(&cache, &left, &review, now())
        .await
        .unwrap();
    assert_eq!(queued.len(), 4);
    assert_eq!(queued[0].declaration.age_class, AgeClass::Under18Months);
    assert_eq!(queued[0].declaration.places, 2);
    assert_eq!(queued[0].declaration.start_date, start());
    assert_eq!(
        queued[0].declaration.group_label.as_deref(),
        Some("Les Poussins")
    );
    assert_eq!(cache.vacancies().await.unwrap(), queued);
    assert_eq!(cache.pending_outbox().await.unwrap().len(), 4);
    assert!(queued.iter().all(
        |v| v.declaration.age_class != AgeClass::From18MonthsTo4Years
            || v.declaration.start_date != start()
    ));

    let all = declare_reviewed_vacancies(&cache, &left, &proposed_vacancies(&left), now())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|v| v.declaration.places).collect::<Vec<_>>(),
        [3, 1, 12, 1, 7]
    );
    assert_eq!(cache.pending_outbox().await.unwrap().len(), 9);
}

#[tokio::test]
async fn a_review_above_the_places_left_or_outside_the_plan_queues_nothing() {
    let left = places_left();
    let proposed = proposed_vacancies(&left);
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir).await;
    let with = |change: &dyn Fn(&mut Vec<ReviewedVacancy>)| {
        let mut review = proposed.clone();
        change(&mut review);
        review
    };
    let cases = [
        (with(&|r| r[1].places = 14), "vacancy_above_places_left"),
        (
            with(&|r| r[1].start_date = d(2026, 10, 1)),
            "vacancy_not_in_plan",
        ),
        (
            with(&|r| r[1].age_class = AgeClass::FiveAndOver),
            "vacancy_not_in_plan",
        ),
        (with(&|r| r.push(r[0].clone())), "vacancy_reviewed_twice"),
        (
            with(&|r| r[1].group_label = Some("x".repeat(500))),
            "invalid_vacancy",
        ),
    ];
    for (review, code) in cases {
        let err = declare_reviewed_vacancies(&cache, &left, &review, now())
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{review:?}");
    }
    // A start date already past, with a good line before it: nothing queued either.
    let late = now() + chrono::Duration::days(120);
    let err = declare_reviewed_vacancies(&cache, &left, &proposed, late)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_vacancy");
    assert!(cache.vacancies().await.unwrap().is_empty());
    assert!(cache.pending_outbox().await.unwrap().is_empty());
}

#[test]
fn a_review_travels_as_json_and_refuses_unknown_fields() {
    let line: ReviewedVacancy = serde_json::from_str(
        r#"{"age_class":"under_18_months","start_date":"2026-09-01","places":2}"#,
    )
    .unwrap();
    assert_eq!(line.places, 2);
    assert!(serde_json::from_str::<ReviewedVacancy>(
        r#"{"age_class":"under_18_months","start_date":"2026-09-01","places":2,"x":1}"#
    )
    .is_err());
}
