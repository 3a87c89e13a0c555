-- June group formation: the director's sibling wishes for the composer (two children together
-- in one group, or apart). No personal data: each child only by its key in this cache (an
-- enrolled child's row, `e:<id>`, or a referral's opaque id, `r:<uuid>`); the pair is stored
-- once, its keys in text order.
CREATE TABLE planning_sibling (
    child_a TEXT NOT NULL,
    child_b TEXT NOT NULL,
    together INTEGER NOT NULL CHECK (together IN (0, 1)),
    PRIMARY KEY (child_a, child_b),
    CHECK (child_a < child_b)
) STRICT;
