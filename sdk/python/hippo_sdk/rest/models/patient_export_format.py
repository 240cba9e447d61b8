from enum import StrEnum


class PatientExportFormat(StrEnum):
    FHIR = "fhir"
    HTML = "html"

    def __str__(self) -> str:
        return str(self.value)
