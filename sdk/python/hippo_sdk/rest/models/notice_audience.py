from enum import StrEnum


class NoticeAudience(StrEnum):
    HHS = "hhs"
    INDIVIDUALS = "individuals"
    MEDIA = "media"

    def __str__(self) -> str:
        return str(self.value)
