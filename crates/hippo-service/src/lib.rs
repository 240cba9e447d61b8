//! hippo's use cases: sign-in, sessions, MFA, passwords, user
//! administration, conversations, messages, receipts and files. Each use case
//! checks access first (deny by default), then changes data and appends its
//! audit record in one transaction, and only then publishes events.
//!
//! The HTTP layer and the admin CLI both call into [`Hippo`]; neither runs
//! SQL of its own.

pub mod actor;
pub mod alerts;
pub mod attachments;
pub mod audit;
pub mod audit_format;
pub mod auth;
pub mod backup_keys;
pub mod break_glass;
pub mod cluster;
pub mod conversations;
pub mod directory;
pub mod error;
pub mod events;
pub mod keyring;
pub mod messages;
pub mod patients;
pub mod retention;
pub mod throttle;
pub mod typing;
pub mod users;
pub mod whatsapp;

use hippo_core::{AuditAction, Clock, NewAuditEvent, Outcome, User, UserStatus};
use hippo_crypto::PasswordHasher;
use hippo_store::blob::BlobStore;
use hippo_store::{Store, UserRow};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

pub use actor::Actor;
pub use error::{Result, ServiceError};
pub use events::{Event, EventBus, EventSink, Outbound};
pub use keyring::{Keyring, KeyringError};

/// Settings the use cases depend on.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub session_idle_timeout: Duration,
    pub session_max_lifetime: Duration,
    pub login_max_failures: u32,
    pub login_lockout: Duration,
    pub require_mfa: bool,
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
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            session_idle_timeout: Duration::from_secs(15 * 60),
            session_max_lifetime: Duration::from_secs(12 * 3600),
            login_max_failures: 5,
            login_lockout: Duration::from_secs(15 * 60),
            require_mfa: true,
            login_ip_max_failures: 50,
            login_ip_window: Duration::from_secs(5 * 60),
            totp_issuer: "hippo".into(),
            max_upload: 100 * 1024 * 1024,
            break_glass_duration: Duration::from_secs(3600),
            retention: None,
        }
    }
}

/// The application: every use case hangs off this.
pub struct Hippo {
    pub(crate) store: Arc<dyn Store>,
    /// File contents (sealed before they get here).
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) keys: Arc<Keyring>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: ServiceConfig,
    pub(crate) hasher: PasswordHasher,
    /// Bounds concurrent argon2 work (CPU and memory).
    pub(crate) hash_permits: Semaphore,
    pub(crate) events: EventBus,
    pub(crate) throttle: throttle::LoginThrottle,
    /// Security alerts as they are raised.
    pub(crate) alerts: tokio::sync::broadcast::Sender<alerts::Alert>,
    pub(crate) stuffing: alerts::StuffingDetector,
    /// Signs audit checkpoints; without it none are written.
    pub(crate) audit_key: Option<Arc<hippo_crypto::AuditSigningKey>>,
    /// The WhatsApp channel, when configured.
    pub(crate) whatsapp: Option<Arc<whatsapp::WhatsappChannel>>,
    /// This process, as a holder of cluster-wide job leases and as a
    /// sender on the cluster bus.
    pub(crate) node_id: String,
    /// Typing indicators forwarded lately.
    pub(crate) typing: typing::TypingThrottle,
    /// Names for searches and conversation views, decrypted in memory.
    pub(crate) directory: directory::DirectoryIndex,
}

impl std::fmt::Debug for Hippo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hippo")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl Hippo {
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Arc<dyn BlobStore>,
        keys: Arc<Keyring>,
        clock: Arc<dyn Clock>,
        config: ServiceConfig,
        hasher: PasswordHasher,
    ) -> Self {
        let permits = std::thread::available_parallelism().map_or(2, usize::from);
        let throttle =
            throttle::LoginThrottle::new(config.login_ip_max_failures, config.login_ip_window);
        Self {
            store,
            blobs,
            keys,
            clock,
            config,
            hasher,
            hash_permits: Semaphore::new(permits),
            events: EventBus::new(),
            throttle,
            alerts: tokio::sync::broadcast::channel(1024).0,
            stuffing: alerts::StuffingDetector::default(),
            audit_key: None,
            whatsapp: None,
            node_id: hippo_core::SessionId::generate().to_string(),
            typing: typing::TypingThrottle::default(),
            directory: directory::DirectoryIndex::default(),
        }
    }

    /// Gives up this node's job leases (a clean shutdown), so another node
    /// — or this one restarted — takes them at once.
    pub async fn release_leases(&self) {
        for job in [
            "retention",
            "scheduled_backup",
            "whatsapp_outbox",
            "whatsapp_inbox",
        ] {
            let released = async {
                let mut tx = self.store.begin_write().await?;
                tx.release_lease(job, &self.node_id).await?;
                tx.commit().await
            }
            .await;
            if let Err(e) = released {
                tracing::warn!(job, error = %e, "cannot release a job lease; it expires by itself");
            }
        }
    }

    /// Whether this node runs the cluster-wide job `job` now: takes or
    /// renews its lease for `ttl`. One node of a cluster holds it at a
    /// time; if that node dies, another takes over once `ttl` has passed.
    /// A database error counts as not leading (logged).
    pub async fn lead(&self, job: &str, ttl: std::time::Duration) -> bool {
        let now = self.clock.now();
        let until = now.plus(ttl);
        let claimed = async {
            let mut tx = self.store.begin_write().await?;
            let got = tx.claim_lease(job, &self.node_id, now, until).await?;
            tx.commit().await?;
            Ok::<bool, hippo_store::StoreError>(got)
        }
        .await;
        claimed.unwrap_or_else(|e| {
            tracing::warn!(job, error = %e, "cannot take the job's lease");
            false
        })
    }

    /// Replaces the master key (the operator, through `hippo keys
    /// rotate`): every data key is rewrapped; recorded as `key.rotate`.
    pub async fn rotate_master_key(&self, new: hippo_crypto::MasterKey) -> Result<usize> {
        let event = NewAuditEvent::new(self.clock.now(), AuditAction::KeyRotate, Outcome::Success)
            .detail(serde_json::json!({ "via": "cli", "key": "master" }));
        self.keys.rotate(self.store.as_ref(), new, event).await
    }

    /// Records something the operator did from the command line (backups).
    pub async fn record_cli_action(
        &self,
        action: AuditAction,
        outcome: Outcome,
        mut detail: serde_json::Value,
    ) -> Result<()> {
        if let Some(map) = detail.as_object_mut() {
            map.insert("via".into(), "cli".into());
        }
        self.audit_alone(NewAuditEvent::new(self.clock.now(), action, outcome).detail(detail))
            .await
    }

    /// Sets the key that signs audit checkpoints.
    #[must_use]
    pub fn with_audit_key(mut self, key: Arc<hippo_crypto::AuditSigningKey>) -> Self {
        self.audit_key = Some(key);
        self
    }

    /// The service's clock reading.
    pub fn now(&self) -> hippo_core::Timestamp {
        self.clock.now()
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// This process's id in the cluster (leases, bus notes).
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    pub fn events(&self) -> &EventBus {
        &self.events
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Readiness: the store answers.
    pub async fn ready(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    /// Runs argon2 verification off the async threads, bounded.
    pub(crate) async fn verify_password(&self, password: &str, phc: Option<&str>) -> Result<bool> {
        let _permit = self
            .hash_permits
            .acquire()
            .await
            .map_err(|_| ServiceError::Internal("hash semaphore closed".into()))?;
        let hasher = self.hasher.clone();
        let password = zeroize::Zeroizing::new(password.to_owned());
        let phc = phc.map(str::to_owned);
        tokio::task::spawn_blocking(move || match phc {
            Some(phc) => hasher.verify(&password, &phc),
            None => hasher.verify_dummy(&password),
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("password verification task: {e}")))
    }

    /// Hashes a new password off the async threads, bounded.
    pub(crate) async fn hash_password(&self, password: &str) -> Result<String> {
        let _permit = self
            .hash_permits
            .acquire()
            .await
            .map_err(|_| ServiceError::Internal("hash semaphore closed".into()))?;
        let hasher = self.hasher.clone();
        let password = zeroize::Zeroizing::new(password.to_owned());
        tokio::task::spawn_blocking(move || hasher.hash(&password))
            .await
            .map_err(|e| ServiceError::Internal(format!("password hashing task: {e}")))?
            .map_err(ServiceError::from)
    }

    /// Decrypts a stored user for the outside world.
    pub(crate) fn user_from_row(&self, row: &UserRow) -> Result<User> {
        Ok(User {
            id: row.id.clone(),
            username: self
                .keys
                .open_user_field("username", row.id.as_str(), &row.username_enc)?,
            display_name: self.keys.open_user_field(
                "display_name",
                row.id.as_str(),
                &row.display_name_enc,
            )?,
            role: row.role,
            status: row.status,
            mfa_enabled: row.mfa_enabled,
            must_change_password: row.must_change_password,
            created_at: row.created_at,
        })
    }

    /// Appends one audit record in its own transaction: for denied and
    /// failed attempts, which change nothing else.
    pub(crate) async fn audit_alone(&self, event: NewAuditEvent) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        tx.append_audit(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a denied attempt by `actor` and returns the error to answer.
    pub(crate) async fn deny(
        &self,
        actor: &Actor,
        action: AuditAction,
        resource: Option<(&'static str, String)>,
        error: ServiceError,
    ) -> ServiceError {
        let mut ev = actor
            .event(self.clock.now(), action, Outcome::Denied)
            .detail(serde_json::json!({ "reason": error.code().as_str() }));
        if let Some((kind, id)) = resource {
            ev = ev.resource(kind, id);
        }
        match self.audit_alone(ev).await {
            Ok(()) => error,
            Err(e) => e,
        }
    }

    pub(crate) fn is_active(row: &UserRow) -> bool {
        row.status == UserStatus::Active
    }
}
