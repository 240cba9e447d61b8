-- Patients whose records draw curiosity: a VIP (a public figure, a
-- board member) and a member of the organisation's own workforce. The
-- activity review raises an alert when anyone outside a flagged patient's
-- care team reads her records (break-glass included).
ALTER TABLE patients ADD COLUMN vip BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE patients ADD COLUMN workforce_member BOOLEAN NOT NULL DEFAULT false;
