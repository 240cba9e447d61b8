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
        self.core.access.put_session(
            &version,
            token_hash.clone(),
            crate::core::cache::CachedSession {
                session: session.clone(),
                user: user.clone(),
            },
        );
        self.actor(session, user, &token_hash, version, meta).await
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

    /// Ends the caller's session everywhere.
    pub async fn logout(&self, actor: &Actor) -> Result<()> {
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
