//! Break-glass: a clinician who is not a member of a conversation opens it
//! in an emergency by stating a reason. The access is read-only, ends on
//! its own after `break_glass_duration`, every read during it is recorded
//! as break-glass access, and each grant waits in a review queue that
//! auditors work through.

use super::Governance;
use crate::{Actor, Principal, Result, ServiceError};
use hippo_core::{AuditAction, ConversationId, ErrorCode, Outcome, Role, Timestamp, UserId};
use hippo_store::BreakGlassRow;

const MIN_REASON: usize = 10;
const MAX_REASON: usize = 500;
const MAX_NOTE: usize = 2000;

/// A grant as auditors and the clinician see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakGlassGrant {
    pub id: String,
    pub conversation_id: ConversationId,
    pub user_id: UserId,
    pub reason: String,
    pub opened_at: Timestamp,
    pub expires_at: Timestamp,
    pub reviewed_at: Option<Timestamp>,
    pub reviewed_by: Option<UserId>,
    pub review_note: Option<String>,
}

/// Free text a person typed (a reason, a note, a summary): trimmed, `min` to
/// `max` characters, no control characters but newlines.
pub(crate) fn parse_text(value: &str, name: &str, min: usize, max: usize) -> Result<String> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min || n > max {
        return Err(ServiceError::validation(format!(
            "{name} must be {min} to {max} characters"
        )));
    }
    if v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::validation(format!(
            "{name} must not contain control characters"
        )));
    }
    Ok(v.to_owned())
}

impl Governance {
    fn grant_view(&self, row: &BreakGlassRow) -> Result<BreakGlassGrant> {
        Ok(BreakGlassGrant {
            reason: self.core.keys.open_directory_field(
                "break_glass",
                "reason",
                &row.id,
                &row.reason_enc,
            )?,
            review_note: row
                .review_note_enc
                .as_deref()
                .map(|n| {
                    self.core
                        .keys
                        .open_directory_field("break_glass", "review_note", &row.id, n)
                })
                .transpose()?,
            id: row.id.clone(),
            conversation_id: row.conversation_id.clone(),
            user_id: row.user_id.clone(),
            opened_at: row.opened_at,
            expires_at: row.expires_at,
            reviewed_at: row.reviewed_at,
            reviewed_by: row.reviewed_by.clone(),
        })
    }

    /// Opens emergency read access to a conversation the clinician is not
    /// in. A second call while a grant is open returns that grant.
    pub async fn open_break_glass(
        &self,
        actor: &Actor,
        conversation: &str,
        reason: &str,
    ) -> Result<BreakGlassGrant> {
        let action = AuditAction::BreakGlassOpen;
        let resource = || Some(("conversation", conversation.chars().take(64).collect()));
        if let Err(e) = actor.require_full() {
            return Err(self.core.deny(actor, action, resource(), e).await);
        }
        if actor.user.role != Role::Clinician {
            return Err(self
                .core
                .deny(
                    actor,
                    action,
                    resource(),
                    ServiceError::public(
                        ErrorCode::Forbidden,
                        "only clinicians may use emergency access",
                    ),
                )
                .await);
        }
        let reason = parse_text(reason, "reason", MIN_REASON, MAX_REASON)?;
        let row = match ConversationId::parse(conversation) {
            Some(cid) => self.core.store.get_conversation(&cid).await?,
            None => None,
        };
        let erased = match &row {
            Some(c) => self
                .core
                .store
                .conversation_policy(&c.id)
                .await?
                .is_some_and(|p| p.erased_at.is_some()),
            None => false,
        };
        let Some(conv) = row.filter(|_| !erased) else {
            return Err(self
                .core
                .deny(actor, action, resource(), ServiceError::not_found())
                .await);
        };
        if self.core.store.is_member(&conv.id, &actor.user.id).await? {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "you are a member of this conversation; emergency access is not needed",
            ));
        }
        let now = self.core.clock.now();
        if let Some(open) = self
            .core
            .store
            .active_break_glass(&conv.id, &actor.user.id, now)
            .await?
        {
            return self.grant_view(&open);
        }
        let id = hippo_core::SessionId::generate().to_string();
        let grant = BreakGlassRow {
            reason_enc: self.core.keys.seal_directory_field(
                "break_glass",
                "reason",
                &id,
                &reason,
            )?,
            id,
            conversation_id: conv.id.clone(),
            user_id: actor.user.id.clone(),
            opened_at: now,
            expires_at: now.plus(self.core.config.break_glass_duration),
            reviewed_at: None,
            reviewed_by: None,
            review_note_enc: None,
        };
        let mut tx = self.core.store.begin_write().await?;
        tx.insert_break_glass(&grant).await?;
        tx.append_audit(
            &actor
                .event(now, action, Outcome::Success)
                .resource("conversation", conv.id.as_str())
                .detail(serde_json::json!({
                    "break_glass": grant.id,
                    "expires_at": grant.expires_at.to_rfc3339(),
                })),
        )
        .await?;
        tx.commit().await?;
        self.core
            .raise_alert(
                crate::alerts::AlertKind::BreakGlass,
                serde_json::json!({
                    "break_glass": grant.id,
                    "user_id": actor.user.id.as_str(),
                    "conversation_id": conv.id.as_str(),
                }),
            )
            .await;
        self.grant_view(&grant)
    }

    /// The review queue (auditors): grants not yet reviewed, or all.
    pub async fn break_glass_queue(
        &self,
        actor: &Actor,
        pending_only: bool,
    ) -> Result<Vec<BreakGlassGrant>> {
        self.core
            .require_auditor(Principal::User(actor), AuditAction::AuditQuery)
            .await?;
        let rows = self.core.store.list_break_glass(pending_only).await?;
        let grants = rows
            .iter()
            .map(|r| self.grant_view(r))
            .collect::<Result<Vec<_>>>()?;
        self.core
            .audit_alone(
                actor
                    .event(
                        self.core.clock.now(),
                        AuditAction::AuditQuery,
                        Outcome::Success,
                    )
                    .detail(serde_json::json!({
                        "break_glass_queue": if pending_only { "pending" } else { "all" },
                        "count": grants.len(),
                    })),
            )
            .await?;
        Ok(grants)
    }

    /// Marks a grant reviewed with the auditor's note.
    pub async fn review_break_glass(
        &self,
        actor: &Actor,
        id: &str,
        note: &str,
    ) -> Result<BreakGlassGrant> {
        self.core
            .require_auditor(Principal::User(actor), AuditAction::BreakGlassReview)
            .await?;
        let note = parse_text(note, "note", 1, MAX_NOTE)?;
        let Some(row) = self.core.store.get_break_glass(id).await? else {
            return Err(ServiceError::not_found());
        };
        if row.reviewed_at.is_some() {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "this grant was already reviewed",
            ));
        }
        let now = self.core.clock.now();
        let note_enc =
            self.core
                .keys
                .seal_directory_field("break_glass", "review_note", &row.id, &note)?;
        let mut tx = self.core.store.begin_write().await?;
        if !tx
            .review_break_glass(&row.id, &actor.user.id, &note_enc, now)
            .await?
        {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "this grant was already reviewed",
            ));
        }
        tx.append_audit(
            &actor
                .event(now, AuditAction::BreakGlassReview, Outcome::Success)
                .resource("break_glass", row.id.as_str())
                .detail(serde_json::json!({ "conversation_id": row.conversation_id.as_str() })),
        )
        .await?;
        tx.commit().await?;
        let mut reviewed = row;
        reviewed.reviewed_at = Some(now);
        reviewed.reviewed_by = Some(actor.user.id.clone());
        reviewed.review_note_enc = Some(note_enc);
        self.grant_view(&reviewed)
    }
}
