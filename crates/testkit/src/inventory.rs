//! The data inventory checker: `docs/data-inventory.md` must have one line for every column
//! of the desktop cache and of the central database, and for every field of every wire type;
//! and no line for one that is gone. The tests that call it read the real schema (PRAGMA
//! `table_info` on a migrated database) and the real serde field names.

use std::collections::BTreeSet;

/// The inventory, from the repository root.
pub const INVENTORY_PATH: &str = "docs/data-inventory.md";

/// The entries (`table.column` or `Type.field`) listed between `<!-- inventory: SECTION -->`
/// and `<!-- end inventory -->`: the first cell of each table row, in backticks.
pub fn documented(doc: &str, section: &str) -> Result<BTreeSet<String>, String> {
    let start = format!("<!-- inventory: {section} -->");
    let body = doc
        .split_once(&start)
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("{INVENTORY_PATH} has no section marker {start}"))?;
    let body = body
        .split_once("<!-- end inventory -->")
        .map(|(inside, _)| inside)
        .ok_or_else(|| format!("{INVENTORY_PATH}: section {section} is not closed"))?;
    let mut entries = BTreeSet::new();
    for line in body.lines() {
        let Some(cell) = line.trim().strip_prefix("| `") else {
            continue;
        };
        let Some((entry, _)) = cell.split_once('`') else {
            continue;
        };
        if !entries.insert(entry.to_owned()) {
            return Err(format!("{INVENTORY_PATH}: `{entry}` is listed twice"));
        }
    }
    Ok(entries)
}

/// What is wrong between the `actual` schema and the inventory's `section`, one message a
/// line; empty when they match.
pub fn differences(doc: &str, section: &str, actual: &BTreeSet<String>) -> Vec<String> {
    let listed = match documented(doc, section) {
        Ok(listed) => listed,
        Err(message) => return vec![message],
    };
    let mut out = Vec::new();
    for entry in actual.difference(&listed) {
        out.push(format!(
            "`{entry}` exists but has no line in {INVENTORY_PATH} ({section}): say what it holds, whether it is personal, why it is kept and until when"
        ));
    }
    for entry in listed.difference(actual) {
        out.push(format!(
            "`{entry}` is listed in {INVENTORY_PATH} ({section}) but no longer exists"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "x\n<!-- inventory: cache -->\n| Column | What |\n|---|---|\n| `t.a` | one |\n| `t.b` | two |\n<!-- end inventory -->\n";

    #[test]
    fn a_matching_schema_has_no_differences() {
        let actual = ["t.a", "t.b"].map(str::to_owned).into();
        assert!(differences(DOC, "cache", &actual).is_empty());
    }

    #[test]
    fn an_extra_or_a_missing_column_is_named() {
        let actual = ["t.a", "t.b", "t.c"].map(str::to_owned).into();
        let found = differences(DOC, "cache", &actual);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("`t.c` exists but has no line"),
            "{found:?}"
        );
        let actual = ["t.a"].map(str::to_owned).into();
        assert!(differences(DOC, "cache", &actual)[0].contains("`t.b` is listed"));
        assert!(!differences(DOC, "wire", &actual).is_empty());
    }
}
