-- Children already enrolled, imported from the daycare's own records for June group planning
-- (DESIGN.md §5: kept in the same encrypted cache). Minimal fields only: a label (given name
-- and family initial), dates, the current group, a support-need factor. Replaced as a whole by
-- each import.
CREATE TABLE enrolled_child (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    expected_departure TEXT,
    current_group TEXT,
    support_factor_hundredths INTEGER
        CHECK (support_factor_hundredths BETWEEN 100 AND 500)
) STRICT;
