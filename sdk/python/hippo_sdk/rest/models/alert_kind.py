from enum import StrEnum


class AlertKind(StrEnum):
    ACCOUNT_LOCKED = "account_locked"
    AUDIT_SEQUENCING_STALLED = "audit_sequencing_stalled"
    AUDIT_VERIFICATION_FAILED = "audit_verification_failed"
    BREAK_GLASS = "break_glass"
    CREDENTIAL_STUFFING = "credential_stuffing"

    def __str__(self) -> str:
        return str(self.value)
