-- The daycare's referrals, exactly the cache fields of DESIGN.md §5 (never contact details,
-- full names, address or priority basis), and the offline outbox.
CREATE TABLE referral (
    referral_id TEXT PRIMARY KEY,
    vacancy_id TEXT NOT NULL,
    status TEXT NOT NULL,
    answer_by TEXT NOT NULL,
    label TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    desired_entry_date TEXT NOT NULL,
    category INTEGER NOT NULL CHECK (category BETWEEN 1 AND 5),
    priority INTEGER NOT NULL CHECK (priority IN (0, 1)),
    sibling_referral_id TEXT,
    -- The rank explanation as the service sent it (JSON: rank, standing, days, rule set).
    rank_reason TEXT NOT NULL
) STRICT;

-- Outcomes recorded offline (or not yet acknowledged), sent in order with their idempotency
-- key. A row is never deleted: `sent` keeps the service's answer, `conflict` keeps the
-- service's refusal code for the director to see.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    referral_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'conflict')),
    conflict_code TEXT
) STRICT;
