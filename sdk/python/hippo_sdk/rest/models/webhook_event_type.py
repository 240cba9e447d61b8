from enum import StrEnum


class WebhookEventType(StrEnum):
    INCIDENT_OPENED = "incident.opened"
    INCIDENT_UPDATED = "incident.updated"
    MESSAGE_CREATED = "message.created"
    MESSAGE_DELETED = "message.deleted"
    MESSAGE_UPDATED = "message.updated"
    PATIENT_INBOUND = "patient.inbound"
    WHATSAPP_STATUS = "whatsapp.status"

    def __str__(self) -> str:
        return str(self.value)
