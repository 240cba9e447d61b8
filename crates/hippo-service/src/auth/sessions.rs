//! Sessions: authenticating each request (idle and lifetime limits), the
//! sweep of expired sessions, sessions ended elsewhere, logout, and a
//! user's own session list.

use super::*;

impl Auth {
    /// Resolves a bearer token to its actor, enforcing expiry and refreshing
    /// the idle timer. Served from this node's cache when nothing that could
    /// withdraw access has changed since it was loaded (`core/cache.rs`):
    /// then the one read is the access version.
    pub async fn authenticate(&self, presented: &str, meta: &RequestMeta) -> Result<Actor> {
        let unauthenticated = || {
            ServiceError::public(
                ErrorCode::Unauthenticated,
                "a valid bearer token is required",
            )
        };
        if !token::looks_valid(presented) {
            return Err(unauthenticated());
        }
        let token_hash = token::hash(presented);
        let version = self.core.access_version().await?;
        let now = self.core.clock.now();
        let idle = self.core.config.session_idle_timeout;
        if let Some(hit) = self.core.access.session(&version, &token_hash)
            // Idle or past its lifetime here: the database decides (another
            // node may have refreshed the idle timer).
            && hit.session.state(now, idle) == SessionState::Live
        {
            if let Some(key) = &hit.key {
                self.check_key_use(key, meta).await?;
            }
            return self
                .actor(hit.session, hit.user, &token_hash, version, meta)
                .await;
        }
        let session = self
            .core
            .store
            .get_session_by_token_hash(&token_hash)
            .await?
            .ok_or_else(unauthenticated)?;
        match session.state(now, idle) {
            SessionState::Live => {}
            SessionState::Ended => {
                return Err(if session.end_reason.as_deref() == Some("expired") {
                    ServiceError::public(
                        ErrorCode::SessionExpired,
                        "the session has expired; sign in again",
                    )
                } else {
                    ServiceError::public(
                        ErrorCode::Unauthenticated,
                        "the session has ended; sign in again",
                    )
                });
            }
            SessionState::IdleExpired | SessionState::LifetimeExpired => {
                self.expire_session(&session, now).await?;
                return Err(ServiceError::public(
                    ErrorCode::SessionExpired,
                    "the session has expired; sign in again",
                ));
            }
        }
        let row = self
            .core
            .store
            .get_user(&session.user_id)
            .await?
            .ok_or_else(unauthenticated)?;
        if !Core::is_active(&row) {
            return Err(unauthenticated());
        }
        let user = self.core.user_from_row(&row)?;
        let key = match session.kind {
            SessionKind::Login => None,
            SessionKind::ApiKey => {
                let found = self
                    .core
                    .store
                    .get_api_key(&session.id)
                    .await?
                    .ok_or_else(unauthenticated)?;
                Some(std::sync::Arc::new(found.key))
            }
        };
        self.core.access.put_session(
            &version,
            token_hash.clone(),
            crate::core::cache::CachedSession {
                session: session.clone(),
                user: user.clone(),
                key: key.clone(),
            },
        );
        if let Some(key) = &key {
            self.check_key_use(key, meta).await?;
        }
        self.actor(session, user, &token_hash, version, meta).await
    }

    /// An API key's restrictions, checked on every use: the address must
    /// be in its networks and, when it is bound to a client certificate,
    /// the request must present that certificate. A refused use is
    /// recorded (`api_key.use`, denied) and answers as an unknown token.
    async fn check_key_use(&self, key: &hippo_store::ApiKeyRow, meta: &RequestMeta) -> Result<()> {
        let refused = if !crate::users::address_allowed(&key.allowed_ips, meta.ip.as_deref()) {
            Some("address_not_allowed")
        } else if let Some(want) = &key.client_cert_sha256
            && !meta
                .client_cert_sha256
                .as_deref()
                .is_some_and(|got| hippo_crypto::constant_time_eq(got.as_bytes(), want.as_bytes()))
        {
            Some("certificate_mismatch")
        } else {
            None
        };
        let Some(reason) = refused else {
            return Ok(());
        };
        self.core
            .audit_alone(
                NewAuditEvent::new(
                    self.core.clock.now(),
                    AuditAction::ApiKeyUse,
                    Outcome::Denied,
                )
                .actor(Some(&key.user_id), Some(&key.id))
                .meta(meta)
                .resource("api_key", key.id.as_str())
                .detail(serde_json::json!({ "reason": reason })),
            )
            .await?;
        Err(ServiceError::public(
            ErrorCode::Unauthenticated,
            "this API key may not be used from here",
        ))
    }

    /// The actor of a live session of an active user; refreshes the idle
    /// timer, writing at most once per granule.
    async fn actor(
        &self,
        mut session: Session,
        user: hippo_core::User,
        token_hash: &str,
        access_version: crate::core::cache::AccessVersion,
        meta: &RequestMeta,
    ) -> Result<Actor> {
        let now = self.core.clock.now();
        let granule = (self.core.config.session_idle_timeout / 15).min(Duration::from_secs(60));
        if now.since(session.last_seen_at) >= granule {
            self.core.store.touch_session(&session.id, now).await?;
            self.core.access.touched(token_hash, now);
            session.last_seen_at = now;
        }
        Ok(Actor {
            user,
            session,
            meta: meta.clone(),
            access_version,
        })
    }

    /// Ends every session that has expired (idle or lifetime), so their
    /// live sockets close even when no request arrives. `serve` runs this
    /// periodically; returns how many ended.
    pub async fn sweep_expired_sessions(&self) -> Result<usize> {
        let now = self.core.clock.now();
        let expired = self
            .core
            .store
            .list_expired_sessions(now, now.minus(self.core.config.session_idle_timeout))
            .await?;
        for s in &expired {
            self.expire_session(s, now).await?;
        }
        self.prune_login_failures(now).await?;
        Ok(expired.len())
    }

    /// Of the given live-socket sessions, those that have ended (for
    /// example by `hippo user deactivate` in another process, or on another
    /// node), with the reason to tell their sockets.
    pub async fn ended_sessions(
        &self,
        live: &[SessionId],
    ) -> Result<Vec<(SessionId, hippo_core::UserId, &'static str)>> {
        let mut ended = Vec::new();
        for id in live {
            if let Some(s) = self.core.store.get_session(id).await?
                && s.ended_at.is_some()
            {
                let reason = match s.end_reason.as_deref() {
                    Some("logout") => "logout",
                    Some("expired") => "expired",
                    Some("deactivated") => "deactivated",
                    _ => "revoked",
                };
                ended.push((s.id, s.user_id, reason));
            }
        }
        Ok(ended)
    }

    pub(super) async fn expire_session(&self, session: &Session, now: Timestamp) -> Result<()> {
        let mut tx = self.core.store.begin_write().await?;
        if tx.end_session(&session.id, now, "expired").await? {
            tx.append_audit(
                &NewAuditEvent::new(now, AuditAction::SessionExpired, Outcome::Success)
                    .actor(Some(&session.user_id), Some(&session.id))
                    .resource("session", session.id.as_str()),
            )
            .await?;
            tx.commit().await?;
            self.core.events.publish(Event::SessionEnded {
                session_id: session.id.clone(),
                user_id: session.user_id.clone(),
                reason: "expired",
            });
        }
        Ok(())
    }

    /// Ends the caller's session everywhere. An API key is not signed out
    /// (an integration's habit of logging out must not kill its key): an
    /// administrator revokes it.
    pub async fn logout(&self, actor: &Actor) -> Result<()> {
        if actor.session.kind == SessionKind::ApiKey {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "an API key cannot sign out; an administrator revokes it \
                 (DELETE /api/v1/api-keys/{id})",
            ));
        }
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        tx.end_session(&actor.session.id, now, "logout").await?;
        tx.append_audit(&actor.event(now, AuditAction::AuthLogout, Outcome::Success))
            .await?;
        tx.commit().await?;
        self.core.events.publish(Event::SessionEnded {
            session_id: actor.session.id.clone(),
            user_id: actor.user.id.clone(),
            reason: "logout",
        });
        Ok(())
    }

    /// The caller's live sessions.
    pub async fn list_sessions(&self, actor: &Actor) -> Result<Vec<Session>> {
        let now = self.core.clock.now();
        let idle = self.core.config.session_idle_timeout;
        Ok(self
            .core
            .store
            .list_open_sessions(&actor.user.id)
            .await?
            .into_iter()
            .filter(|s| s.state(now, idle) == SessionState::Live)
            .collect())
    }

    /// Ends one of the caller's own sessions.
    pub async fn revoke_session(&self, actor: &Actor, id: &str) -> Result<()> {
        let now = self.core.clock.now();
        let not_found = ServiceError::not_found;
        let id = SessionId::parse(id).ok_or_else(not_found)?;
        let session = self.core.store.get_session(&id).await?;
        let Some(session) = session.filter(|s| s.user_id == actor.user.id && s.ended_at.is_none())
        else {
            return Err(self
                .core
                .deny(
                    actor,
                    AuditAction::SessionRevoke,
                    Some(("session", id.to_string())),
                    not_found(),
                )
                .await);
        };
        let mut tx = self.core.store.begin_write().await?;
        tx.end_session(&session.id, now, "revoked").await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::SessionRevoke, Outcome::Success)
                .resource("session", session.id.as_str()),
        )
        .await?;
        tx.commit().await?;
        self.core.events.publish(Event::SessionEnded {
            session_id: session.id,
            user_id: actor.user.id.clone(),
            reason: "revoked",
        });
        Ok(())
    }
}
