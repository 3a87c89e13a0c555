//! What must hold for any bytes given to the CSV import. Shared, through `#[path]`, by the fuzz
//! target (`fuzz/fuzz_targets/import_preview.rs`) and the regression test that replays the
//! committed corpus (`tests/fuzz_regressions.rs`), so both check exactly the same things.

use chrono::NaiveDate;
use placeforte_desk::import::{preview, preview_reader, ImportError, MAX_IMPORT_BYTES};

/// Previews `data` and checks the answer: a file over the cap is refused, every record is
/// either a child or a rejected line, only a clean preview is accepted, and nothing kept is
/// longer than the minimal fields allow. Panics (the fuzzer's crash) when one does not hold.
pub(crate) fn check_import(data: &[u8]) {
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a valid date");
    let result = preview(data, today);
    assert_eq!(
        result,
        preview_reader(data, today),
        "reading from a stream changes nothing"
    );
    let preview = match result {
        Err(ImportError::TooLarge { .. }) => {
            assert!(data.len() > MAX_IMPORT_BYTES);
            return;
        }
        Err(_) => return,
        Ok(preview) => preview,
    };
    assert!(data.len() <= MAX_IMPORT_BYTES);
    assert_eq!(
        preview.rows,
        preview.children.len() + preview.rejected.len()
    );
    assert!(preview.delimiter == ';' || preview.delimiter == ',');
    for child in &preview.children {
        // Given name (40 characters at most), a space, the family initial (uppercasing may
        // give several characters) and a point.
        assert!(!child.label.trim().is_empty());
        assert!(
            child.label.chars().count() <= 40 + 2 + 3,
            "{:?}",
            child.label
        );
        assert!(child.birth_date.date() <= today);
        if let Some(departure) = child.expected_departure {
            assert!(departure >= child.birth_date.date());
        }
        if let Some(group) = &child.current_group {
            assert!(group.chars().count() <= 60);
        }
    }
    let clean = preview.rejected.is_empty();
    let children = preview.children.clone();
    match preview.accept() {
        Ok(accepted) => {
            assert!(clean);
            assert_eq!(accepted.children(), children.as_slice());
        }
        Err(err) => {
            assert!(!clean);
            assert_eq!(err.code(), "import_has_rejected_lines");
        }
    }
}
