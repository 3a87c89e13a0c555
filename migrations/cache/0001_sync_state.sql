-- The desktop's encrypted cache (SQLCipher, raw key from the OS keychain).
-- Only the fields of DESIGN.md §5 may ever be stored here; every table added later needs a
-- line in the data inventory.

-- When the last sync succeeded (drives the "offline since" banner and the retention wipe)
-- and the server's delta cursor.
CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cursor TEXT,
    last_success_at TEXT
) STRICT;

INSERT INTO sync_state (id) VALUES (1);
