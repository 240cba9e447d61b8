//! The closed sets of values the API sends and accepts: those of the
//! domain come from `hippo_protocol::enums` (the stream uses them too);
//! those the service spells are declared here with the same macros, so a
//! new variant fails the build until the document lists it.

pub use hippo_protocol::enums::*;

hippo_protocol::closed_set! {
    /// The audit export's format: JSON lines, CSV, or a FHIR R4 Bundle of
    /// AuditEvent.
    ExportFormat = hippo_service::audit::ExportFormat { Jsonl, Csv, Fhir }
}

hippo_protocol::closed_set! {
    /// What raised the security alert.
    AlertKind = hippo_service::alerts::AlertKind {
        AccountLocked, CredentialStuffing, BreakGlass, AuditVerificationFailed,
        AuditSequencingStalled, BulkRead, ManyPatients, RepeatedDenials, BreakGlassRepeated,
        AfterHours, FlaggedPatientAccess
    }
}

hippo_protocol::closed_set! {
    /// How urgent a finding of the evidence report is.
    FindingSeverity = hippo_service::audit::evidence::Severity { Critical, High, Medium, Low }
}

hippo_protocol::literal_set! {
    /// The evidence report as JSON, or as a printable HTML page with charts.
    ReportFormat { "json", "html" }
}

hippo_protocol::closed_set! {
    /// How a patient's information left hippo: a copy given to her, a
    /// WhatsApp message to her, or a read by an integration.
    DisclosureKind = hippo_service::audit::disclosures::DisclosureKind { PatientCopy, Whatsapp, Integration }
}

hippo_protocol::literal_set! {
    /// The patient export as a FHIR R4 Bundle, or as a readable page.
    PatientExportFormat { "fhir", "html" }
}

hippo_protocol::literal_set! {
    /// How a recorded job (backup, restore drill, verification) ended.
    JobOutcome { "success", "failure" }
}

hippo_protocol::closed_set! {
    /// The WhatsApp channel's PHI policy: `notify_only` (only PHI-free
    /// templates) or `patient_requested` (also free text to patients who
    /// asked for it after the risk warning).
    PhiMode = hippo_core::PhiMode { NotifyOnly, PatientRequested }
}

hippo_protocol::closed_set! {
    /// Where a webhook delivery stands: waiting for its next attempt (or
    /// being attempted), delivered (the receiver answered 2xx), or dead
    /// (retries ran out, or the endpoint was deleted; an administrator may
    /// redeliver it).
    DeliveryState = hippo_service::webhooks::DeliveryState { Pending, Delivered, Dead }
}

hippo_protocol::literal_set! {
    /// An event type outgoing webhooks report.
    WebhookEventType {
        "message.created", "message.updated", "message.deleted", "whatsapp.status",
        "patient.inbound", "incident.opened", "incident.updated"
    }
}

hippo_protocol::closed_set! {
    /// Who must hear of a breach: the individuals (164.404), HHS (164.408)
    /// or a state's media (164.406).
    NoticeAudience = hippo_service::audit::incidents::Audience { Individuals, Hhs, Media }
}

hippo_protocol::closed_set! {
    /// How an incident closed: a breach whose every notice went out, or a
    /// low probability of compromise by the risk assessment (not a breach).
    IncidentOutcome = hippo_service::audit::incidents::IncidentOutcome { Notified, LowProbability }
}

hippo_protocol::literal_set! {
    /// Where an incident stands: open, overdue (a notice past its
    /// deadline) or closed.
    IncidentStatus { "open", "overdue", "closed" }
}

hippo_protocol::literal_set! {
    /// Whether an API key works: active, past its expiry, or revoked.
    ApiKeyState { "active", "expired", "revoked" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_sets_are_what_the_service_parses() {
        for v in ExportFormat::values() {
            assert!(
                hippo_service::audit::ExportFormat::parse(v).is_some(),
                "{v}"
            );
        }
        for kind in [
            hippo_service::alerts::AlertKind::AccountLocked,
            hippo_service::alerts::AlertKind::CredentialStuffing,
            hippo_service::alerts::AlertKind::BreakGlass,
            hippo_service::alerts::AlertKind::AuditVerificationFailed,
            hippo_service::alerts::AlertKind::AuditSequencingStalled,
            hippo_service::alerts::AlertKind::BulkRead,
            hippo_service::alerts::AlertKind::ManyPatients,
            hippo_service::alerts::AlertKind::RepeatedDenials,
            hippo_service::alerts::AlertKind::BreakGlassRepeated,
            hippo_service::alerts::AlertKind::AfterHours,
            hippo_service::alerts::AlertKind::FlaggedPatientAccess,
        ] {
            assert!(AlertSeverity::values().contains(&kind.severity()));
        }
        assert_eq!(
            WebhookEventType::values(),
            hippo_service::webhooks::EVENT_TYPES,
            "the document lists exactly the event types the service accepts"
        );
    }
}
