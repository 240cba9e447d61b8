-- Patients whose records draw curiosity: a VIP (a public figure, a
-- board member) and a member of the organisation's own workforce. The
-- activity review raises an alert when anyone outside a flagged patient's
-- care team reads her records (break-glass included).
ALTER TABLE patients ADD COLUMN vip INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patients ADD COLUMN workforce_member INTEGER NOT NULL DEFAULT 0;
