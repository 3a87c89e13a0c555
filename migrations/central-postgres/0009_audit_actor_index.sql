-- The per-device rate checks (reveal quota and rate, sync volume) count a device's recent
-- entries of one action on every reveal and every non-empty sync page; without this index each
-- count scanned the whole log, which grows without bound.
CREATE INDEX audit_log_actor_action_time ON audit_log (actor, action, occurred_at);
