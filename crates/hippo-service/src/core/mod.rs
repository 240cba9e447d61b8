//! The shared core of the use cases: the fields every area service needs
//! (store, blobs, keys, clock, events, the audit signing key, settings,
//! this node's id, the password hasher and its permits, throttles) and the
//! helpers they share: audit records on their own (`audit_alone`, `deny`),
//! users as the outside world sees them (`user_from_row`), password hashing
//! and verification, job leases, security alerts (`raise_alert`, in
//! `audit/alerts.rs`), and the access checks in `core/access.rs`
//! (`require_messaging`, `member_conversation`, `readable_conversation`,
//! `conversation_key`, `require_auditor`); the cache of sessions and
//! memberships every request consults (`core/cache.rs`).
//!
//! Its fields and helpers are `pub(crate)`: only the services use them, and
//! one service reaches another only through a field it declares (e.g.
//! `Whatsapp` holds `Messages`, `Files` and `Patients`).

mod access;
pub(crate) mod cache;

use crate::audit::alerts;
use crate::auth::throttle;
use crate::messages::typing;
use crate::{Actor, EventBus, Keyring, Result, ServiceConfig, ServiceError, whatsapp};
use hippo_core::{AuditAction, Clock, NewAuditEvent, Outcome, User, UserStatus};
use hippo_crypto::PasswordHasher;
use hippo_store::blob::BlobStore;
use hippo_store::{Store, UserRow};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// What every use case needs: storage, keys, time, events and the
/// shared checks. Each area service holds it as `Arc<Core>`.
pub struct Core {
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
    /// Failures per (address, username): twice as many as lock an account
    /// (so the account's owner first learns it is locked, with 423).
    pub(crate) pair_throttle: throttle::LoginThrottle,
    /// Security alerts as they are raised.
    pub(crate) alerts: tokio::sync::broadcast::Sender<alerts::Alert>,
    /// Signed audit tree heads as this node signs them (for witnesses).
    pub(crate) tree_heads: tokio::sync::broadcast::Sender<hippo_store::TreeHeadRow>,
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
    pub(crate) directory: crate::directory::DirectoryIndex,
    /// Sessions and memberships, valid at one access version.
    pub(crate) access: cache::AccessCache,
    /// hippo's SFU for group calls, once `serve` started one.
    pub(crate) media: std::sync::OnceLock<Arc<dyn crate::calls::MediaServer>>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl Core {
    pub(crate) fn new(
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
        let pair_throttle =
            throttle::LoginThrottle::new(config.login_max_failures * 2, config.login_ip_window);
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
            pair_throttle,
            alerts: tokio::sync::broadcast::channel(1024).0,
            tree_heads: tokio::sync::broadcast::channel(256).0,
            stuffing: alerts::StuffingDetector::default(),
            audit_key: None,
            whatsapp: None,
            node_id: hippo_core::SessionId::generate().to_string(),
            typing: typing::TypingThrottle::default(),
            directory: crate::directory::DirectoryIndex::default(),
            access: cache::AccessCache::default(),
            media: std::sync::OnceLock::new(),
        }
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

    /// Whether this node runs the cluster-wide job `job` now: takes or
    /// renews its lease for `ttl`. One node of a cluster holds it at a
    /// time; if that node dies, another takes over once `ttl` has passed.
    /// A database error counts as not leading (logged).
    pub(crate) async fn lead(&self, job: &str, ttl: std::time::Duration) -> bool {
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
}
