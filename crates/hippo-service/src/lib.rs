//! hippo's use cases: sign-in, sessions, MFA, passwords, user
//! administration, conversations, messages, receipts, files, the auditor's
//! tools, patients and WhatsApp, FHIR R4 for EHRs, governance
//! (break-glass, retention, legal hold, erasure, backup key files) and
//! operations. Each use case
//! checks access first (deny by default), then changes data and appends its
//! audit record in one transaction, and only then publishes events.
//!
//! The use cases are grouped into area services over one shared
//! [`core::Core`]: [`Hippo`] holds one of each and hands them out —
//! `hippo.auth().login(…)`, `hippo.messages().send(…)`. Every use case names
//! who acts with a [`Principal`]. The HTTP layer and the admin CLI both call
//! into [`Hippo`]; neither runs SQL of its own.

pub mod audit;
pub mod audit_format;
pub mod auth;
pub mod backup_keys;
pub mod calls;
pub mod cluster;
pub mod conversations;
pub mod core;
pub mod directory;
pub mod error;
pub mod events;
pub mod fhir;
pub mod files;
pub mod governance;
pub mod keyring;
pub mod messages;
pub mod net;
pub mod ops;
pub mod patients;
pub mod principal;
pub mod rate;
pub mod users;
pub mod webhooks;
pub mod whatsapp;

pub use audit::alerts;
pub use governance::{break_glass, retention};

use crate::core::Core;
use hippo_core::Clock;
use hippo_crypto::PasswordHasher;
use hippo_store::Store;
use hippo_store::blob::BlobStore;
use std::sync::Arc;
use std::time::Duration;

pub use error::{Result, ServiceError};
pub use events::{Event, EventBus, EventSink, Outbound};
pub use keyring::{Keyring, KeyringError};
pub use principal::{Actor, Principal};

/// Settings the use cases depend on.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub session_idle_timeout: Duration,
    pub session_max_lifetime: Duration,
    pub login_max_failures: u32,
    pub login_lockout: Duration,
    pub require_mfa: bool,
    /// The organisation's name, which new passwords may not contain.
    pub organisation_name: Option<String>,
    /// Failed logins tolerated from one source address per window before
    /// further attempts from it get 429.
    pub login_ip_max_failures: u32,
    pub login_ip_window: Duration,
    /// Shown in authenticator apps.
    pub totp_issuer: String,
    /// Largest accepted file, in bytes.
    pub max_upload: u64,
    /// How long emergency access to a conversation lasts.
    pub break_glass_duration: Duration,
    /// The organisation's default message retention (`None`: keep).
    pub retention: Option<Duration>,
    /// Active accounts unused this long are deactivated (`None`: never).
    pub deactivate_after: Option<Duration>,
    /// The activity review's window and thresholds.
    pub activity: audit::activity::ActivityThresholds,
    pub calls: calls::CallsConfig,
    pub webhooks: webhooks::WebhookConfig,
    /// How the binary serves and keeps data, for the evidence report
    /// (`None`: not stated, reported as such).
    pub deployment: Option<audit::evidence::Deployment>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            session_idle_timeout: Duration::from_secs(15 * 60),
            session_max_lifetime: Duration::from_secs(12 * 3600),
            login_max_failures: 5,
            login_lockout: Duration::from_secs(15 * 60),
            require_mfa: true,
            organisation_name: None,
            login_ip_max_failures: 50,
            login_ip_window: Duration::from_secs(5 * 60),
            totp_issuer: "hippo".into(),
            max_upload: 100 * 1024 * 1024,
            break_glass_duration: Duration::from_secs(3600),
            retention: None,
            deactivate_after: None,
            activity: audit::activity::ActivityThresholds::default(),
            calls: calls::CallsConfig::default(),
            webhooks: webhooks::WebhookConfig::default(),
            deployment: None,
        }
    }
}

/// The application: one service per area over a shared [`Core`].
#[derive(Debug)]
pub struct Hippo {
    core: Arc<Core>,
    auth: auth::Auth,
    users: users::Users,
    conversations: conversations::Conversations,
    directory: directory::Directory,
    messages: messages::Messages,
    files: files::Files,
    audit: audit::Audit,
    patients: patients::Patients,
    whatsapp: whatsapp::Whatsapp,
    governance: governance::Governance,
    ops: ops::Ops,
    calls: calls::Calls,
    webhooks: webhooks::Webhooks,
    fhir: fhir::Fhir,
}

/// Assembles a [`Hippo`]: the required parts in [`Hippo::builder`], the
/// optional ones (audit signing key, WhatsApp channel) here.
#[derive(Debug)]
pub struct HippoBuilder {
    core: Core,
}

impl HippoBuilder {
    /// Sets the key that signs audit checkpoints.
    #[must_use]
    pub fn with_audit_key(mut self, key: Arc<hippo_crypto::AuditSigningKey>) -> Self {
        self.core.audit_key = Some(key);
        self
    }

    /// Turns the WhatsApp channel on.
    #[must_use]
    pub fn with_whatsapp(mut self, channel: Arc<whatsapp::WhatsappChannel>) -> Self {
        self.core.whatsapp = Some(channel);
        self
    }

    /// [`HippoBuilder::with_whatsapp`] when `channel` is given.
    #[must_use]
    pub fn maybe_with_whatsapp(self, channel: Option<Arc<whatsapp::WhatsappChannel>>) -> Self {
        match channel {
            Some(c) => self.with_whatsapp(c),
            None => self,
        }
    }

    pub fn build(self) -> Hippo {
        let core = Arc::new(self.core);
        Hippo {
            auth: auth::Auth::new(core.clone()),
            users: users::Users::new(core.clone()),
            conversations: conversations::Conversations::new(core.clone()),
            directory: directory::Directory::new(core.clone()),
            messages: messages::Messages::new(core.clone()),
            files: files::Files::new(core.clone()),
            audit: audit::Audit::new(core.clone()),
            patients: patients::Patients::new(core.clone()),
            whatsapp: whatsapp::Whatsapp::new(core.clone()),
            governance: governance::Governance::new(core.clone()),
            ops: ops::Ops::new(core.clone()),
            calls: calls::Calls::new(core.clone()),
            webhooks: webhooks::Webhooks::new(core.clone()),
            fhir: fhir::Fhir::new(core.clone()),
            core,
        }
    }
}

impl Hippo {
    /// Starts assembling the application from its required parts.
    pub fn builder(
        store: Arc<dyn Store>,
        blobs: Arc<dyn BlobStore>,
        keys: Arc<Keyring>,
        clock: Arc<dyn Clock>,
        config: ServiceConfig,
        hasher: PasswordHasher,
    ) -> HippoBuilder {
        HippoBuilder {
            core: Core::new(store, blobs, keys, clock, config, hasher),
        }
    }

    /// Sign-in, sessions, MFA and passwords.
    pub fn auth(&self) -> &auth::Auth {
        &self.auth
    }

    /// User administration.
    pub fn users(&self) -> &users::Users {
        &self.users
    }

    pub fn webhooks(&self) -> &webhooks::Webhooks {
        &self.webhooks
    }

    pub fn calls(&self) -> &calls::Calls {
        &self.calls
    }

    /// Conversations and their members.
    pub fn conversations(&self) -> &conversations::Conversations {
        &self.conversations
    }

    /// Finding colleagues by name.
    pub fn directory(&self) -> &directory::Directory {
        &self.directory
    }

    /// Messages, receipts and typing indicators.
    pub fn messages(&self) -> &messages::Messages {
        &self.messages
    }

    /// Attachments.
    pub fn files(&self) -> &files::Files {
        &self.files
    }

    /// The auditor's tools and security alerts.
    pub fn audit(&self) -> &audit::Audit {
        &self.audit
    }

    /// Patients and their care teams.
    pub fn patients(&self) -> &patients::Patients {
        &self.patients
    }

    /// FHIR R4: Communication search, CommunicationRequest intake.
    pub fn fhir(&self) -> &fhir::Fhir {
        &self.fhir
    }

    /// The WhatsApp channel (its use cases answer `channel_not_configured`
    /// when it is off).
    pub fn whatsapp(&self) -> &whatsapp::Whatsapp {
        &self.whatsapp
    }

    /// Break-glass, retention, legal hold, erasure, backup key files.
    pub fn governance(&self) -> &governance::Governance {
        &self.governance
    }

    /// Job leases, key rotation, readiness, operator records.
    pub fn ops(&self) -> &ops::Ops {
        &self.ops
    }

    /// The service's clock reading.
    pub fn now(&self) -> hippo_core::Timestamp {
        self.core.clock.now()
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.core.config
    }

    /// This process's id in the cluster (leases, bus notes).
    pub fn node_id(&self) -> &str {
        &self.core.node_id
    }

    pub fn events(&self) -> &EventBus {
        &self.core.events
    }

    /// The store underneath, for tests that inspect or damage it directly.
    /// Not part of the API: handlers and the CLI go through the services.
    #[doc(hidden)]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.core.store
    }
}
