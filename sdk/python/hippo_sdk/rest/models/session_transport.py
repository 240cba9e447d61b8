from enum import StrEnum


class SessionTransport(StrEnum):
    BEARER = "bearer"
    COOKIE = "cookie"

    def __str__(self) -> str:
        return str(self.value)
