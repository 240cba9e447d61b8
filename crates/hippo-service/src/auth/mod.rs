//! Sign-in and sessions: login with lockout, throttling and TOTP; token
//! authentication with idle and absolute expiry; logout; MFA enrollment;
//! password change; listing and revoking one's own sessions.

mod mfa;
mod sessions;
pub mod throttle;

use crate::core::Core;
use crate::{Actor, Event, Result, ServiceError};
use hippo_core::{
    AuditAction, ErrorCode, NewAuditEvent, Outcome, RequestMeta, Session, SessionId, SessionKind,
    SessionScope, SessionState, Timestamp, User, UserStatus, Username,
};
use hippo_crypto::{PasswordPolicy, token, totp};
use std::time::Duration;
use zeroize::Zeroizing;

/// What a client presents to sign in.
pub struct LoginInput {
    pub username: String,
    pub password: Zeroizing<String>,
    pub totp_code: Option<String>,
}

/// A successful sign-in.
#[derive(Debug)]
pub struct LoginOutcome {
    pub token: Zeroizing<String>,
    pub session: Session,
    pub user: User,
    pub mfa_enrollment_required: bool,
    pub password_change_required: bool,
}

/// A TOTP enrollment handed to the user.
#[derive(Debug)]
pub struct TotpEnrollment {
    pub secret_base32: Zeroizing<String>,
    pub otpauth_uri: Zeroizing<String>,
}

/// `login_failures` keys counting towards credential stuffing (one per
/// keyed username hash; never an address).
const STUFFING_PREFIX: &str = "stuffing#";

/// The same answer for an unknown user and a wrong password.
fn invalid_credentials() -> ServiceError {
    ServiceError::public(
        ErrorCode::InvalidCredentials,
        "username or password is incorrect",
    )
}

/// Refused sign-ins and lockouts of this process, for `/metrics`.
#[derive(Debug, Default)]
pub struct LoginStats {
    /// Refusals by the error code answered (`invalid_credentials`,
    /// `account_locked`, `rate_limited`, `mfa_required`, …).
    failures: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
    /// Accounts locked after repeated failures.
    pub lockouts: std::sync::atomic::AtomicU64,
}

impl LoginStats {
    fn refused(&self, code: ErrorCode) {
        *self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(code.as_str())
            .or_default() += 1;
    }

    /// Refused sign-ins so far, by error code.
    pub fn failures(&self) -> Vec<(&'static str, u64)> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(code, n)| (*code, *n))
            .collect()
    }
}

/// Sign-in, sessions, MFA and passwords (`hippo.auth()`).
#[derive(Debug, Clone)]
pub struct Auth {
    core: std::sync::Arc<crate::core::Core>,
    stats: std::sync::Arc<LoginStats>,
}

impl Auth {
    pub(crate) fn new(core: std::sync::Arc<crate::core::Core>) -> Self {
        Self {
            core,
            stats: std::sync::Arc::default(),
        }
    }

    /// Refused sign-ins and lockouts of this process.
    pub fn stats(&self) -> &LoginStats {
        &self.stats
    }
}

impl Auth {
    /// Signs a user in. Every attempt, allowed or not, is recorded (and a
    /// refusal counted in [`Auth::stats`]).
    pub async fn login(&self, input: LoginInput, meta: &RequestMeta) -> Result<LoginOutcome> {
        let result = self.attempt_login(input, meta).await;
        if let Err(ServiceError::Public { code, .. }) = &result {
            self.stats.refused(*code);
        }
        result
    }

    async fn attempt_login(&self, input: LoginInput, meta: &RequestMeta) -> Result<LoginOutcome> {
        let now = self.core.clock.now();
        let source = meta.ip.clone().unwrap_or_default();
        let event = |outcome, reason: &str| {
            NewAuditEvent::new(now, AuditAction::AuthLogin, outcome)
                .meta(meta)
                .detail(serde_json::json!({ "reason": reason }))
        };

        let row = match Username::parse(&input.username) {
            Ok(name) => {
                self.core
                    .store
                    .get_user_by_index(&self.core.keys.username_index(name.as_str()))
                    .await?
            }
            Err(_) => None,
        };
        let account_key = self
            .core
            .keys
            .username_index(&input.username.trim().to_lowercase());
        // Failures are counted per (address, username) and per address.
        // The pair's count refuses that pair; the address's count refuses
        // unknown usernames and accounts with recent failures from it, but
        // lets an account with none try its password — so anonymous noise
        // from a proxy's or a NAT's address cannot stop everyone behind it
        // (OWASP: throttle per account and per source, not per source only).
        let pair = format!("{source}#{account_key}");
        let throttled = |wait| ServiceError::Public {
            code: ErrorCode::RateLimited,
            detail: "too many failed sign-ins from this address; wait and retry".into(),
            retry_after: Some(wait),
        };
        let pair_wait = self.throttled(&pair, self.core.pair_throttle, now).await;
        let address_wait = self.throttled(&source, self.core.throttle, now).await;
        let clean_account = row
            .as_ref()
            .is_some_and(|r| r.failed_logins == 0 && r.locked_until.is_none_or(|u| now >= u));
        if let Some(wait) = pair_wait.or(address_wait.filter(|_| !clean_account)) {
            // The same work as a real check: the answer's timing says
            // nothing about whether the username exists.
            self.core.verify_password(&input.password, None).await?;
            self.core
                .audit_alone(event(Outcome::Denied, "throttled"))
                .await?;
            return Err(throttled(wait));
        }

        let Some(row) = row else {
            // Same work as a real check, same answer.
            self.core.verify_password(&input.password, None).await?;
            self.note_failed_source(&source, now).await;
            self.note_failed_source(&pair, now).await;
            self.core
                .audit_alone(event(Outcome::Failure, "invalid_credentials"))
                .await?;
            self.watch_for_stuffing(account_key, now).await;
            return Err(invalid_credentials());
        };
        let actor_event = |outcome, reason: &str| {
            event(outcome, reason)
                .actor(Some(&row.id), None)
                .resource("user", row.id.as_str())
        };

        let password_ok = self
            .core
            .verify_password(&input.password, Some(&row.password_hash))
            .await?;
        let locked = row.locked_until.is_some_and(|until| now < until);

        if locked {
            self.note_failed_source(&source, now).await;
            self.note_failed_source(&pair, now).await;
            self.core
                .audit_alone(actor_event(Outcome::Denied, "account_locked"))
                .await?;
            // Only someone who knows the password learns that it is locked.
            return Err(if password_ok {
                ServiceError::public(
                    ErrorCode::AccountLocked,
                    "account locked after repeated failed sign-ins; try later or ask an administrator",
                )
            } else {
                invalid_credentials()
            });
        }
        if !password_ok {
            self.note_failed_source(&source, now).await;
            self.note_failed_source(&pair, now).await;
            self.record_failed_login(
                &row.id,
                actor_event(Outcome::Failure, "invalid_credentials"),
                meta,
            )
            .await?;
            self.watch_for_stuffing(account_key, now).await;
            // From a throttled address a wrong password gets the same
            // answer as an unknown username.
            return Err(match address_wait {
                Some(wait) => throttled(wait),
                None => invalid_credentials(),
            });
        }
        if row.status == UserStatus::Deactivated {
            self.core
                .audit_alone(actor_event(Outcome::Denied, "account_deactivated"))
                .await?;
            return Err(ServiceError::public(
                ErrorCode::AccountDeactivated,
                "this account is deactivated",
            ));
        }

        let mfa_failed = |reason: &str| {
            NewAuditEvent::new(now, AuditAction::AuthMfa, Outcome::Failure)
                .meta(meta)
                .actor(Some(&row.id), None)
                .resource("user", row.id.as_str())
                .detail(serde_json::json!({ "reason": reason }))
        };
        let mut totp_step = None;
        let mut recovery_code: Option<Zeroizing<String>> = None;
        if row.mfa_enabled {
            let Some(code) = input.totp_code.as_deref().filter(|c| !c.trim().is_empty()) else {
                self.core
                    .audit_alone(actor_event(Outcome::Denied, "mfa_required"))
                    .await?;
                return Err(ServiceError::public(
                    ErrorCode::MfaRequired,
                    "a TOTP code (or a recovery code) is required: send totp_code",
                ));
            };
            let secret_enc = row
                .mfa_secret_enc
                .as_deref()
                .ok_or_else(|| ServiceError::Internal("MFA enabled without a secret".into()))?;
            let secret =
                self.core
                    .keys
                    .open_user_secret("mfa_secret", row.id.as_str(), secret_enc)?;
            let unix = now.as_millis().div_euclid(1000);
            match totp::verify(&secret, code, unix, row.totp_last_step) {
                Some(step) => totp_step = Some(step),
                // Spent (or refused) in the sign-in transaction below.
                None if hippo_crypto::recovery::normalize(code).is_some() => {
                    recovery_code = Some(Zeroizing::new(code.to_owned()));
                }
                None => {
                    self.note_failed_source(&source, now).await;
                    self.note_failed_source(&pair, now).await;
                    self.record_failed_login(&row.id, mfa_failed("invalid_code"), meta)
                        .await?;
                    return Err(invalid_credentials());
                }
            }
        }

        let scope = if self.core.config.require_mfa && !row.mfa_enabled {
            SessionScope::MfaEnrollment
        } else if row.must_change_password {
            SessionScope::PasswordChange
        } else {
            SessionScope::Full
        };
        let (token, token_hash) = token::generate()?;
        let session = Session {
            id: SessionId::generate(),
            user_id: row.id.clone(),
            scope,
            kind: SessionKind::Login,
            created_at: now,
            last_seen_at: now,
            expires_at: now.plus(self.core.config.session_max_lifetime),
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
            ended_at: None,
            end_reason: None,
        };

        let mut tx = self.core.store.begin_write().await?;
        if let Some(step) = totp_step {
            if !tx.claim_totp_step(&row.id, step).await? {
                drop(tx);
                self.record_failed_login(&row.id, mfa_failed("code_reused"), meta)
                    .await?;
                return Err(invalid_credentials());
            }
            tx.append_audit(
                &NewAuditEvent::new(now, AuditAction::AuthMfa, Outcome::Success)
                    .meta(meta)
                    .actor(Some(&row.id), Some(&session.id))
                    .resource("user", row.id.as_str()),
            )
            .await?;
        }
        if let Some(code) = recovery_code.as_deref() {
            let Some(left) = self.spend_recovery_code(&mut tx, &row, code).await? else {
                drop(tx);
                self.note_failed_source(&source, now).await;
                self.note_failed_source(&pair, now).await;
                self.record_failed_login(&row.id, mfa_failed("invalid_recovery_code"), meta)
                    .await?;
                return Err(invalid_credentials());
            };
            tx.append_audit(
                &NewAuditEvent::new(now, AuditAction::AuthMfa, Outcome::Success)
                    .meta(meta)
                    .actor(Some(&row.id), Some(&session.id))
                    .resource("user", row.id.as_str())
                    .detail(serde_json::json!({
                        "method": "recovery_code",
                        "recovery_codes_left": left,
                    })),
            )
            .await?;
        }
        let mut fresh = tx
            .get_user(&row.id)
            .await?
            .ok_or_else(|| ServiceError::Internal("user vanished during login".into()))?;
        fresh.failed_logins = 0;
        fresh.locked_until = None;
        fresh.updated_at = now;
        tx.update_user(&fresh).await?;
        tx.insert_session(&session, &token_hash).await?;
        tx.append_audit(
            &NewAuditEvent::new(now, AuditAction::AuthLogin, Outcome::Success)
                .meta(meta)
                .actor(Some(&row.id), Some(&session.id))
                .resource("user", row.id.as_str())
                .detail(serde_json::json!({ "scope": scope.as_str() })),
        )
        .await?;
        tx.commit().await?;

        Ok(LoginOutcome {
            token,
            session,
            user: self.core.user_from_row(&fresh)?,
            mfa_enrollment_required: scope == SessionScope::MfaEnrollment,
            password_change_required: scope == SessionScope::PasswordChange,
        })
    }

    /// Counts a failed sign-in against the account and locks it at the limit.
    /// Feeds the cross-account failure detector; raises an alert when a
    /// burst of failures spans many accounts.
    /// Counts a failure towards credential stuffing in the database, so the
    /// count is the cluster's, and raises the alert when it crosses the
    /// threshold (once per window on this node).
    async fn watch_for_stuffing(&self, account_key: String, now: hippo_core::Timestamp) {
        use crate::alerts::{STUFFING_ACCOUNTS, STUFFING_FAILURES, STUFFING_WINDOW};
        let since = now.minus(STUFFING_WINDOW);
        let counted = async {
            let mut tx = self.core.store.begin_write().await?;
            tx.record_login_failure(&format!("{STUFFING_PREFIX}{account_key}"), now, since)
                .await?;
            tx.commit().await?;
            self.core
                .store
                .login_failure_totals(STUFFING_PREFIX, since)
                .await
        }
        .await;
        let (accounts, failures) = match counted {
            Ok(totals) => totals,
            Err(e) => {
                tracing::warn!(error = %e, "cannot count a failed sign-in towards credential stuffing");
                return;
            }
        };
        let crossed = failures >= STUFFING_FAILURES as i64 && accounts >= STUFFING_ACCOUNTS as i64;
        if crossed && self.core.stuffing.claim(now) {
            self.core
                .raise_alert(
                    crate::alerts::AlertKind::CredentialStuffing,
                    serde_json::json!({
                        "failures": failures,
                        "accounts": accounts,
                        "window_secs": crate::alerts::STUFFING_WINDOW.as_secs(),
                    }),
                )
                .await;
        }
    }

    async fn record_failed_login(
        &self,
        user: &hippo_core::UserId,
        event: NewAuditEvent,
        meta: &RequestMeta,
    ) -> Result<()> {
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let failures = tx.increment_failed_logins(user, now).await?;
        tx.append_audit(&event).await?;
        let locked = failures >= i64::from(self.core.config.login_max_failures);
        if locked {
            if let Some(mut row) = tx.get_user(user).await? {
                row.failed_logins = 0;
                row.locked_until = Some(now.plus(self.core.config.login_lockout));
                row.updated_at = now;
                tx.update_user(&row).await?;
            }
            tx.append_audit(
                &NewAuditEvent::new(now, AuditAction::AuthLockout, Outcome::Success)
                    .meta(meta)
                    .actor(Some(user), None)
                    .resource("user", user.as_str())
                    .detail(serde_json::json!({
                        "failures": failures,
                        "locked_for_secs": self.core.config.login_lockout.as_secs(),
                    })),
            )
            .await?;
        }
        tx.commit().await?;
        if locked {
            self.stats
                .lockouts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.core
                .raise_alert(
                    crate::alerts::AlertKind::AccountLocked,
                    serde_json::json!({ "user_id": user.as_str(), "failures": failures }),
                )
                .await;
        }
        Ok(())
    }

    /// Changes the caller's password; every other session ends. A session
    /// that was limited to the change ends too: sign in with the new password.
    pub async fn change_password(&self, actor: &Actor, current: &str, new: &str) -> Result<()> {
        let now = self.core.clock.now();
        if actor.session.scope == SessionScope::MfaEnrollment {
            actor.require_full()?;
        }
        let row = self
            .core
            .store
            .get_user(&actor.user.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        if !self
            .core
            .verify_password(current, Some(&row.password_hash))
            .await?
        {
            let ev = actor
                .event(now, AuditAction::UserPasswordChange, Outcome::Failure)
                .resource("user", actor.user.id.as_str())
                .detail(serde_json::json!({ "reason": "invalid_credentials" }));
            self.record_failed_login(&actor.user.id, ev, &actor.meta)
                .await?;
            return Err(ServiceError::public(
                ErrorCode::InvalidCredentials,
                "current password is incorrect",
            ));
        }
        PasswordPolicy::for_mfa(self.core.config.require_mfa)
            .check_in_context(
                new,
                &actor.user.username,
                self.core.config.organisation_name.as_deref(),
            )
            .map_err(|e| ServiceError::validation(e.to_string()))?;
        if current == new {
            return Err(ServiceError::validation(
                "the new password must differ from the current one",
            ));
        }
        let hash = self.core.hash_password(new).await?;
        let mut tx = self.core.store.begin_write().await?;
        let mut row = tx
            .get_user(&actor.user.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        row.password_hash = hash;
        row.must_change_password = false;
        row.updated_at = now;
        tx.update_user(&row).await?;
        let keep = (actor.session.scope == SessionScope::Full).then_some(&actor.session.id);
        let mut ended = tx
            .end_user_sessions(&actor.user.id, keep, now, "password_changed", false)
            .await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::UserPasswordChange, Outcome::Success)
                .resource("user", actor.user.id.as_str())
                .detail(serde_json::json!({ "sessions_ended": ended.len() })),
        )
        .await?;
        tx.commit().await?;
        for session_id in ended.drain(..) {
            self.core.events.publish(Event::SessionEnded {
                session_id,
                user_id: actor.user.id.clone(),
                reason: "revoked",
            });
        }
        Ok(())
    }
}
