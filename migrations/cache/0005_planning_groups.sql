-- June group formation: the permit next year's groups are checked against, the groups, and the
-- director's pins. No personal data: places per age class, group names, age classes, places
-- and educators; a pin names a child only by its key in this cache (an enrolled child's row,
-- `e:<id>`, or a referral's opaque id, `r:<uuid>`) and a group by its name.
CREATE TABLE planning_permit (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    under_18_months INTEGER NOT NULL CHECK (under_18_months >= 0),
    from_18_months_to_4_years INTEGER NOT NULL CHECK (from_18_months_to_4_years >= 0),
    four_years INTEGER NOT NULL CHECK (four_years >= 0),
    five_and_over INTEGER NOT NULL CHECK (five_and_over >= 0)
) STRICT;

-- In the director's order; the composer refers to a group by its position.
CREATE TABLE planning_group (
    position INTEGER PRIMARY KEY CHECK (position >= 0),
    name TEXT NOT NULL UNIQUE,
    -- Age-class codes separated by commas, youngest first.
    age_classes TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity >= 1),
    educators INTEGER NOT NULL CHECK (educators >= 1)
) STRICT;

CREATE TABLE planning_pin (
    child_key TEXT PRIMARY KEY,
    group_name TEXT NOT NULL
) STRICT;
