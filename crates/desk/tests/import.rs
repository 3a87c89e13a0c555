//! The CSV import of enrolled children: what office software really writes, every rejected
//! line reported, all or nothing, a huge file refused at once, no input that panics; and the
//! accepted children kept in the real encrypted cache.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;

use chrono::NaiveDate;
use encoding_rs::WINDOWS_1252;
use placeforte_desk::import::text::TextEncoding;
use placeforte_desk::import::{
    preview, preview_reader, ImportError, RejectReason, MAX_IMPORT_BYTES,
};
use placeforte_desk::{CacheFile, CacheKey};
use proptest::prelude::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

/// A synthetic list as a French Excel writes it: `;`, quoted cells with accents, apostrophes,
/// a line break inside a cell, both date forms, a decimal comma, and a column we must ignore.
const FRENCH_LIST: &str = "Prénom;Nom;Date de naissance;Départ prévu;Groupe;Besoins particuliers;Téléphone\r\n\
Éloïse;Côté;2022-03-14;;Les Coccinelles;;555-0100\r\n\
\"Jean-François\";\"D'Amours\";07/11/2023;2026-08-31;\"Les Petits\r\nExplorateurs\";1,5;555-0101\r\n\
Zoé;Tremblay;29/02/2024;;Les Coccinelles;;555-0102\r\n";

fn as_encoding(text: &str, encoding: TextEncoding) -> Vec<u8> {
    match encoding {
        TextEncoding::Utf8 => text.as_bytes().to_vec(),
        TextEncoding::Utf8WithBom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        TextEncoding::Windows1252 => WINDOWS_1252.encode(text).0.into_owned(),
    }
}

#[test]
fn the_same_list_reads_the_same_in_every_encoding_and_separator() {
    let comma_list = FRENCH_LIST.replace(';', ",").replace("1,5", "\"1,5\"");
    for (text, delimiter) in [(FRENCH_LIST.to_owned(), ';'), (comma_list, ',')] {
        for encoding in [
            TextEncoding::Utf8,
            TextEncoding::Utf8WithBom,
            TextEncoding::Windows1252,
        ] {
            let result = preview(&as_encoding(&text, encoding), today()).unwrap();
            assert_eq!((result.encoding, result.delimiter), (encoding, delimiter));
            assert_eq!(result.rows, 3);
            assert!(result.rejected.is_empty(), "{:?}", result.rejected);
            let labels: Vec<&str> = result.children.iter().map(|c| c.label.as_str()).collect();
            assert_eq!(labels, ["Éloïse C.", "Jean-François D.", "Zoé T."]);
            let jf = &result.children[1];
            assert_eq!(
                jf.birth_date.date(),
                NaiveDate::from_ymd_opt(2023, 11, 7).unwrap()
            );
            assert_eq!(jf.expected_departure, NaiveDate::from_ymd_opt(2026, 8, 31));
            assert_eq!(
                jf.current_group.as_deref(),
                Some("Les Petits\r\nExplorateurs")
            );
            assert_eq!(jf.support_factor.map(|f| f.hundredths()), Some(150));
            assert_eq!(result.ignored_columns, ["Téléphone"]);
        }
    }
}

#[test]
fn only_minimal_fields_are_kept() {
    let result = preview(FRENCH_LIST.as_bytes(), today()).unwrap();
    let kept = serde_json::to_string(&result.children).unwrap();
    for never in ["Côté", "D'Amours", "Tremblay", "555-01"] {
        assert!(!kept.contains(never), "{never} kept");
    }
}

fn list_with_bad_lines() -> String {
    let mut text = String::from("Given name,Family name,Date of birth,Group\n");
    for i in 0..200 {
        let line = match i {
            41 => "Alex,Roy,2024-13-01,A".to_owned(),
            97 => ",Roy,2024-01-01,A".to_owned(),
            150 => "Sam,Roy,2027-01-01,A,extra".to_owned(),
            _ => format!(
                "Enfant{i},Famille{i},2023-{:02}-{:02},A",
                i % 12 + 1,
                i % 28 + 1
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

#[tokio::test]
async fn three_bad_lines_among_200_are_all_reported_and_nothing_is_saved() {
    let result = preview(list_with_bad_lines().as_bytes(), today()).unwrap();
    assert_eq!(result.rows, 200);
    assert_eq!(result.children.len(), 197);
    let rejected: Vec<(u64, RejectReason)> = result
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.clone()))
        .collect();
    // Line 1 is the header: record i is on line i + 2.
    assert_eq!(
        rejected,
        [
            (43, RejectReason::BadBirthDate),
            (99, RejectReason::MissingName),
            (
                152,
                RejectReason::WrongFieldCount {
                    expected: 4,
                    found: 5
                }
            ),
        ]
    );

    // All or nothing: the cache keeps its previous list.
    let dir = tempfile::tempdir().unwrap();
    let cache = CacheFile::new(dir.path().join("cache.sqlite"))
        .open(&CacheKey::generate().unwrap())
        .await
        .unwrap();
    let earlier = preview(FRENCH_LIST.as_bytes(), today())
        .unwrap()
        .accept()
        .unwrap();
    assert_eq!(cache.replace_enrolled_children(&earlier).await.unwrap(), 3);
    let err = result.accept().unwrap_err();
    assert_eq!(err, ImportError::HasRejectedLines(3));
    assert_eq!(err.code(), "import_has_rejected_lines");
    assert_eq!(cache.enrolled_children().await.unwrap(), earlier.children());
}

#[tokio::test]
async fn an_accepted_import_replaces_the_list_in_the_encrypted_cache() {
    let dir = tempfile::tempdir().unwrap();
    let file = CacheFile::new(dir.path().join("cache.sqlite"));
    let key = CacheKey::generate().unwrap();
    let cache = file.open(&key).await.unwrap();
    let good = list_with_bad_lines()
        .lines()
        .enumerate()
        .filter(|(i, _)| ![42, 98, 151].contains(i))
        .map(|(_, l)| format!("{l}\n"))
        .collect::<String>();
    let accepted = preview(good.as_bytes(), today()).unwrap().accept().unwrap();
    assert_eq!(
        cache.replace_enrolled_children(&accepted).await.unwrap(),
        197
    );
    let french = preview(FRENCH_LIST.as_bytes(), today())
        .unwrap()
        .accept()
        .unwrap();
    cache.replace_enrolled_children(&french).await.unwrap();
    cache.close().await;

    let reopened = file.open(&key).await.unwrap();
    assert_eq!(
        reopened.enrolled_children().await.unwrap(),
        french.children()
    );
    reopened.close().await;
    let bytes = std::fs::read(file.path()).unwrap();
    assert!(
        !bytes.windows(6).any(|w| w == "Zoé T".as_bytes()),
        "label in clear on disk"
    );
}

#[test]
fn a_future_birth_date_or_a_departure_before_birth_is_rejected() {
    let text = "Prénom;Nom;Date de naissance;Date de départ;Facteur de soutien\n\
                Léa;Roy;2026-06-02;;\n\
                Léo;Roy;2024-01-01;2023-12-31;\n\
                Mia;Roy;2024-01-01;31-12-2026;\n\
                Noé;Roy;2024-01-01;;9\n";
    let result = preview(text.as_bytes(), today()).unwrap();
    let reasons: Vec<RejectReason> = result.rejected.into_iter().map(|r| r.reason).collect();
    assert_eq!(
        reasons,
        [
            RejectReason::BirthDateInFuture,
            RejectReason::DepartureBeforeBirth,
            RejectReason::BadDepartureDate,
            RejectReason::BadSupportFactor,
        ]
    );
}

#[test]
fn files_without_the_needed_columns_are_refused_with_what_is_missing() {
    let err = preview("Téléphone;Adresse\n1;2\n".as_bytes(), today()).unwrap_err();
    assert_eq!(
        err,
        ImportError::MissingColumns(vec!["given_name", "birth_date"])
    );
    let err = preview("Prénom;Groupe\nLéa;A\n".as_bytes(), today()).unwrap_err();
    assert_eq!(err, ImportError::MissingColumns(vec!["birth_date"]));
    let err = preview("Prénom;Prénom;Date de naissance\n".as_bytes(), today()).unwrap_err();
    assert_eq!(err.code(), "import_duplicate_column");
    assert_eq!(preview(b"", today()).unwrap_err(), ImportError::Empty);
    assert_eq!(
        preview(b"\r\n  \n", today()).unwrap_err(),
        ImportError::Empty
    );
}

#[test]
fn a_full_name_column_keeps_only_the_given_name_and_initial() {
    let text = "Nom complet,Date de naissance\n\"Marie Ève Gagnon\",2024-05-01\nNoah,2024-05-02\n";
    let result = preview(text.as_bytes(), today()).unwrap();
    let labels: Vec<&str> = result.children.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["Marie Ève G.", "Noah"]);
}

#[test]
fn a_quote_never_closed_is_reported_on_its_line() {
    let text = "Prénom;Date de naissance\nLéa;2024-01-01\n\"Léo;2024-01-02\nMia;2024-01-03\n";
    let result = preview(text.as_bytes(), today()).unwrap();
    assert_eq!(result.children.len(), 1);
    assert_eq!(result.rejected.len(), 1);
    assert_eq!(result.rejected[0].line, 3);
    assert_eq!(result.rejected[0].reason, RejectReason::UnclosedQuote);
    assert!(result.accept().is_err());
}

#[test]
fn a_50_mb_file_is_refused_without_being_read_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.csv");
    let mut file = std::fs::File::create(&path).unwrap();
    let line = "Prénom;Date de naissance\n".repeat(1024);
    while file.metadata().unwrap().len() < 50 * 1024 * 1024 {
        file.write_all(line.as_bytes()).unwrap();
    }
    drop(file);
    let reader = std::fs::File::open(&path).unwrap();
    let err = preview_reader(reader, today()).unwrap_err();
    assert_eq!(
        err,
        ImportError::TooLarge {
            max: MAX_IMPORT_BYTES
        }
    );
    assert_eq!(err.code(), "import_too_large");
    // An endless stream is refused too: the reader never reads past the limit.
    let endless = std::io::repeat(b'a');
    assert_eq!(
        preview_reader(endless, today()).unwrap_err(),
        ImportError::TooLarge {
            max: MAX_IMPORT_BYTES
        }
    );
}

proptest! {
    #[test]
    fn no_bytes_make_the_import_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = preview(&bytes, today());
    }

    #[test]
    fn no_csv_shaped_text_makes_the_import_panic(
        cells in prop::collection::vec(
            prop::collection::vec("[A-Za-zéÉ0-9/\\-; ,\"\r\n']{0,14}", 1..6), 1..12),
        header in prop::sample::select(vec![
            "Prénom;Nom;Date de naissance;Départ prévu;Groupe;Facteur de soutien",
            "Given name,Date of birth,Group",
            "Nom complet;Date de naissance",
        ]),
    ) {
        let delimiter = if header.contains(';') { ";" } else { "," };
        let mut text = format!("{header}\n");
        for row in cells {
            text.push_str(&row.join(delimiter));
            text.push('\n');
        }
        if let Ok(result) = preview(text.as_bytes(), today()) {
            // Every record is either a child or a rejected line, never lost.
            prop_assert!(result.children.len() + result.rejected.len() <= result.rows);
            prop_assert!(result.rejected.iter().all(|r| r.line >= 2));
        }
    }
}
