-- Monitoring (/metrics) and evidence: the newest record of an action (the
-- last backup, the last audit verification) is an index lookup, and the
-- deliveries given up are counted without reading the delivered ones.
CREATE INDEX audit_by_action ON audit_events(action, outcome, at);
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (seq) WHERE state = 'dead';
