from enum import StrEnum


class ConversationKind(StrEnum):
    DIRECT = "direct"
    GROUP = "group"
    PATIENT = "patient"

    def __str__(self) -> str:
        return str(self.value)
