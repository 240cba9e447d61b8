from enum import StrEnum


class AlertKind(StrEnum):
    ACCOUNT_LOCKED = "account_locked"
    AFTER_HOURS = "after_hours"
    AUDIT_SEQUENCING_STALLED = "audit_sequencing_stalled"
    AUDIT_VERIFICATION_FAILED = "audit_verification_failed"
    BREAK_GLASS = "break_glass"
    BREAK_GLASS_REPEATED = "break_glass_repeated"
    BULK_READ = "bulk_read"
    CREDENTIAL_STUFFING = "credential_stuffing"
    FLAGGED_PATIENT_ACCESS = "flagged_patient_access"
    MANY_PATIENTS = "many_patients"
    REPEATED_DENIALS = "repeated_denials"

    def __str__(self) -> str:
        return str(self.value)
