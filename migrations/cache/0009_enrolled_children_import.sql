-- Issue 17, part B: the school year the enrolled children were imported to plan
-- (crates/desk/src/cache/retention.rs). Noted by the first retention pass after an import;
-- each import clears it, so the next pass notes the new one. When that school year has ended,
-- the children leave the cache. No personal data: one date.
CREATE TABLE enrolled_child_import (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    planned_year_start TEXT NOT NULL
) STRICT;
