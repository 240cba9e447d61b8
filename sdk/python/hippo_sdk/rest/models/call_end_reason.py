from enum import StrEnum


class CallEndReason(StrEnum):
    DEACTIVATED = "deactivated"
    DECLINED = "declined"
    HANGUP = "hangup"
    MISSED = "missed"

    def __str__(self) -> str:
        return str(self.value)
