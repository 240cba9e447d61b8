//! TOTP enrollment: a new secret (sealed), then its confirmation by a
//! first code, which turns MFA on and widens the session to full.

use super::*;
use hippo_crypto::recovery;

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

    /// Confirms enrollment with a code from the authenticator and returns
    /// the ten recovery codes, shown once (only their hashes are kept). An
    /// enrollment session ends here: the user signs in again with a code.
    pub async fn confirm_totp_enrollment(
        &self,
        actor: &Actor,
        code: &str,
    ) -> Result<Vec<Zeroizing<String>>> {
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
        let codes = recovery::generate()?;
        let hashes: Vec<String> = codes.iter().filter_map(|c| recovery::hash(c)).collect();
        tx.set_recovery_codes(&row.id, Some(&self.seal_recovery_hashes(&row.id, &hashes)?))
            .await?;
        tx.append_audit(
            &actor
                .event(now, AuditAction::AuthMfa, Outcome::Success)
                .resource("user", actor.user.id.as_str())
                .detail(serde_json::json!({ "step": "enrolled", "recovery_codes": codes.len() })),
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
        Ok(codes)
    }

    /// The sealed form of a set of recovery code hashes.
    pub(super) fn seal_recovery_hashes(
        &self,
        user: &hippo_core::UserId,
        hashes: &[String],
    ) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(hashes)
            .map_err(|e| ServiceError::Internal(format!("recovery codes: {e}")))?;
        self.core
            .keys
            .seal_user_secret(RECOVERY_COLUMN, user.as_str(), &json)
    }

    /// Spends a recovery code inside the sign-in transaction: `Ok(Some(n))`
    /// with the codes left, `Ok(None)` if it is not one of the user's unspent
    /// codes (or another sign-in spent it a moment ago).
    pub(super) async fn spend_recovery_code(
        &self,
        tx: &mut Box<dyn hippo_store::WriteTx>,
        row: &hippo_store::UserRow,
        code: &str,
    ) -> Result<Option<usize>> {
        let (Some(sealed), Some(wanted)) = (row.mfa_recovery_enc.as_deref(), recovery::hash(code))
        else {
            return Ok(None);
        };
        let json = self
            .core
            .keys
            .open_user_secret(RECOVERY_COLUMN, row.id.as_str(), sealed)?;
        let hashes: Vec<String> = serde_json::from_slice(&json)
            .map_err(|e| ServiceError::Internal(format!("recovery codes: {e}")))?;
        // Every stored hash is compared, in constant time, whatever matches.
        let mut found = None;
        for (i, h) in hashes.iter().enumerate() {
            if hippo_crypto::constant_time_eq(h.as_bytes(), wanted.as_bytes()) && found.is_none() {
                found = Some(i);
            }
        }
        let Some(i) = found else { return Ok(None) };
        let left: Vec<String> = hashes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, h)| h.clone())
            .collect();
        let next = self.seal_recovery_hashes(&row.id, &left)?;
        if !tx.swap_recovery_codes(&row.id, sealed, Some(&next)).await? {
            return Ok(None);
        }
        Ok(Some(left.len()))
    }
}

/// The column (and AAD) of the sealed recovery code hashes.
const RECOVERY_COLUMN: &str = "mfa_recovery";
