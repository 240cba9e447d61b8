from enum import StrEnum


class CallMedia(StrEnum):
    AUDIO = "audio"
    VIDEO = "video"

    def __str__(self) -> str:
        return str(self.value)
