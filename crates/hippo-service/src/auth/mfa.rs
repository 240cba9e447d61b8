//! TOTP enrollment: a new secret (sealed), then its confirmation by a
//! first code, which turns MFA on and widens the session to full.

use super::*;

impl Auth {
    /// Starts TOTP enrollment: a new secret, pending until confirmed.
    pub async fn begin_totp_enrollment(&self, actor: &Actor) -> Result<TotpEnrollment> {
        let now = self.core.clock.now();
        if actor.session.scope == SessionScope::PasswordChange {
            actor.require_full()?;
        }
        if actor.user.mfa_enabled {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "a TOTP authenticator is already enrolled",
            ));
        }
        let secret = totp::generate_secret()?;
        let mut tx = self.core.store.begin_write().await?;
        let mut row = tx
            .get_user(&actor.user.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        row.mfa_pending_secret_enc = Some(self.core.keys.seal_user_secret(
            "mfa_pending_secret",
            row.id.as_str(),
            &secret,
        )?);
        row.updated_at = now;
        tx.update_user(&row).await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::AuthMfa, Outcome::Success)
                .resource("user", actor.user.id.as_str())
                .detail(serde_json::json!({ "step": "enrollment_started" })),
        )
        .await?;
        tx.commit().await?;
        Ok(TotpEnrollment {
            secret_base32: Zeroizing::new(totp::base32(&secret)),
            otpauth_uri: Zeroizing::new(totp::otpauth_uri(
                &self.core.config.totp_issuer,
                &actor.user.username,
                &secret,
            )),
        })
    }

    /// Confirms enrollment with a code from the authenticator. An enrollment
    /// session ends here: the user signs in again with a code.
    pub async fn confirm_totp_enrollment(&self, actor: &Actor, code: &str) -> Result<()> {
        let now = self.core.clock.now();
        let row = self
            .core
            .store
            .get_user(&actor.user.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        let Some(pending) = row.mfa_pending_secret_enc.as_deref() else {
            return Err(ServiceError::validation(
                "no enrollment in progress: POST /api/v1/me/mfa/totp first",
            ));
        };
        let secret =
            self.core
                .keys
                .open_user_secret("mfa_pending_secret", row.id.as_str(), pending)?;
        let unix = now.as_millis().div_euclid(1000);
        let Some(step) = totp::verify(&secret, code, unix, row.totp_last_step) else {
            self.core.audit_alone(
                actor
                    .event(now, AuditAction::AuthMfa, Outcome::Failure)
                    .resource("user", actor.user.id.as_str())
                    .detail(serde_json::json!({ "step": "enrollment_confirm", "reason": "invalid_code" })),
            )
            .await?;
            return Err(ServiceError::validation(
                "the code does not match; check the authenticator's clock",
            ));
        };
        let mut tx = self.core.store.begin_write().await?;
        let mut row = tx
            .get_user(&actor.user.id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        row.mfa_secret_enc = Some(self.core.keys.seal_user_secret(
            "mfa_secret",
            row.id.as_str(),
            &secret,
        )?);
        row.mfa_pending_secret_enc = None;
        row.mfa_enabled = true;
        row.totp_last_step = Some(step);
        row.updated_at = now;
        tx.update_user(&row).await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::AuthMfa, Outcome::Success)
                .resource("user", actor.user.id.as_str())
                .detail(serde_json::json!({ "step": "enrolled" })),
        )
        .await?;
        let ends_session = actor.session.scope == SessionScope::MfaEnrollment;
        if ends_session {
            tx.end_session(&actor.session.id, now, "mfa_enrolled")
                .await?;
        }
        tx.commit().await?;
        if ends_session {
            self.core.events.publish(Event::SessionEnded {
                session_id: actor.session.id.clone(),
                user_id: actor.user.id.clone(),
                reason: "revoked",
            });
        }
        Ok(())
    }
}
