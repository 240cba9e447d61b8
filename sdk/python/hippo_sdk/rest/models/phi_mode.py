from enum import StrEnum


class PhiMode(StrEnum):
    NOTIFY_ONLY = "notify_only"
    PATIENT_REQUESTED = "patient_requested"

    def __str__(self) -> str:
        return str(self.value)
