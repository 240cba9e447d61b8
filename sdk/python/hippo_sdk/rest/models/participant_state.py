from enum import StrEnum


class ParticipantState(StrEnum):
    DECLINED = "declined"
    JOINED = "joined"
    LEFT = "left"
    RINGING = "ringing"

    def __str__(self) -> str:
        return str(self.value)
