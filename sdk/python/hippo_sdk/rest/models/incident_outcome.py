from enum import StrEnum


class IncidentOutcome(StrEnum):
    LOW_PROBABILITY = "low_probability"
    NOTIFIED = "notified"

    def __str__(self) -> str:
        return str(self.value)
