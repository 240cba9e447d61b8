from enum import StrEnum


class OutboxState(StrEnum):
    DEAD = "dead"
    DONE = "done"
    PENDING = "pending"
    SENDING = "sending"

    def __str__(self) -> str:
        return str(self.value)
