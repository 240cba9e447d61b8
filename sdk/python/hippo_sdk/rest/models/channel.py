from enum import StrEnum


class Channel(StrEnum):
    HIPPO = "hippo"
    WHATSAPP = "whatsapp"

    def __str__(self) -> str:
        return str(self.value)
