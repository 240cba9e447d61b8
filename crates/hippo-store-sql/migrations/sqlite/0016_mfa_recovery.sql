-- MFA recovery codes: the unspent codes of a user, as a sealed JSON array
-- of their SHA-256 hashes. NULL before enrolment and after an MFA reset.
ALTER TABLE users ADD COLUMN mfa_recovery_enc BLOB;
