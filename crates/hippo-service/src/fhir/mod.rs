//! FHIR R4 for EHR integrators (`hippo.fhir()`): a patient conversation's
//! messages as `Communication` resources (`search`), a `CommunicationRequest`
//! from an EHR or decision-support system turned into a message to a care
//! team (`intake`), and the `CapabilityStatement` that describes both
//! (`capability`).
//!
//! Nothing here is a second way in: reads go through the patients area's
//! care-team check and are recorded as `conversation.read` with the
//! patient's id and `"via": "fhir"`; a request becomes a message through
//! `messages().send` (audited, sequenced, idempotent by `client_id`, with
//! its webhooks). Errors are [`FhirError`]s, which the HTTP layer answers
//! as `OperationOutcome`s: FHIR clients do not read problem details.

mod capability;
pub mod export;
mod intake;
pub mod patterns;
pub mod resources;
pub mod schema;
mod search;

pub use capability::capability_statement;
pub use intake::Created;
pub use search::{CommunicationPage, CommunicationSearch};

use crate::ServiceError;

/// One OperationOutcome issue: its FHIR issue type (`invalid`,
/// `structure`, `required`, `value`, `not-found`, `business-rule`,
/// `not-supported`…), what went wrong, and where (a FHIRPath expression).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub code: &'static str,
    pub diagnostics: String,
    pub expression: Option<String>,
}

impl Issue {
    pub fn new(code: &'static str, diagnostics: impl Into<String>) -> Self {
        Self {
            code,
            diagnostics: diagnostics.into(),
            expression: None,
        }
    }

    /// The same issue, located at `expression`.
    #[must_use]
    pub fn at(mut self, expression: impl Into<String>) -> Self {
        self.expression = Some(expression.into());
        self
    }
}

/// Why a FHIR interaction failed.
#[derive(Debug)]
pub enum FhirError {
    /// 400: not FHIR R4 JSON, the wrong resource, a schema violation, or
    /// a search parameter hippo does not take.
    Invalid(Vec<Issue>),
    /// 422: well-formed, but hippo cannot act on it (an unknown patient or
    /// care team, a request that is not `active`, no text to send).
    Unprocessable(Vec<Issue>),
    /// Sign-in, access, storage: the status follows the error's code.
    Service(ServiceError),
}

impl FhirError {
    pub fn invalid(issue: Issue) -> Self {
        Self::Invalid(vec![issue])
    }

    pub fn unprocessable(issue: Issue) -> Self {
        Self::Unprocessable(vec![issue])
    }
}

impl From<ServiceError> for FhirError {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

impl From<hippo_store::StoreError> for FhirError {
    fn from(e: hippo_store::StoreError) -> Self {
        Self::Service(e.into())
    }
}

/// FHIR R4 interactions (`hippo.fhir()`).
#[derive(Debug, Clone)]
pub struct Fhir {
    core: std::sync::Arc<crate::core::Core>,
    patients: crate::patients::Patients,
    messages: crate::messages::Messages,
    files: crate::files::Files,
}

impl Fhir {
    pub(crate) fn new(core: std::sync::Arc<crate::core::Core>) -> Self {
        Self {
            patients: crate::patients::Patients::new(core.clone()),
            messages: crate::messages::Messages::new(core.clone()),
            files: crate::files::Files::new(core.clone()),
            core,
        }
    }
}
