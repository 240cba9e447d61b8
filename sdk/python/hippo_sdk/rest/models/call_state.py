from enum import StrEnum


class CallState(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"
    RINGING = "ringing"

    def __str__(self) -> str:
        return str(self.value)
