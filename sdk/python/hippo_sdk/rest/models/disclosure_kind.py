from enum import StrEnum


class DisclosureKind(StrEnum):
    INTEGRATION = "integration"
    PATIENT_COPY = "patient_copy"
    WHATSAPP = "whatsapp"

    def __str__(self) -> str:
        return str(self.value)
