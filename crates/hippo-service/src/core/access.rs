//! The access checks every area shares: the messaging rule, finding a
//! conversation the actor may read (as a member or through break-glass),
//! its data key, and the auditor rule. Denials are audited here.

use super::Core;
use super::cache::CachedConversation;
use crate::{Actor, Principal, Result, ServiceError};
use hippo_core::{AuditAction, ConversationId, UserId};
use hippo_crypto::DataKey;
use hippo_store::ConversationRow;

impl Core {
    /// The access rule for messaging: a full session and a messaging role.
    pub(crate) async fn require_messaging(&self, actor: &Actor, action: AuditAction) -> Result<()> {
        self.require_messaging_for(actor, action, None).await
    }

    /// [`Core::require_messaging`], naming the resource in the denial.
    pub(crate) async fn require_messaging_for(
        &self,
        actor: &Actor,
        action: AuditAction,
        resource: Option<(&'static str, &str)>,
    ) -> Result<()> {
        let named = || resource.map(|(kind, id)| (kind, id.chars().take(64).collect::<String>()));
        if let Err(e) = actor.require_full() {
            return Err(self.deny(actor, action, named(), e).await);
        }
        if !actor.user.role.can_message() {
            return Err(self
                .deny(actor, action, named(), ServiceError::forbidden())
                .await);
        }
        Ok(())
    }

    /// Loads a conversation the actor is a member of. For anyone else it does
    /// not exist, and the attempt is recorded as denied.
    pub(crate) async fn member_conversation(
        &self,
        actor: &Actor,
        id: &str,
        action: AuditAction,
    ) -> Result<(ConversationRow, Vec<UserId>)> {
        let (row, members, _) = self.find_conversation(actor, id, action, false).await?;
        Ok((row, members))
    }

    /// [`Core::member_conversation`] for a send: from this node's cache
    /// when nothing that could withdraw access has changed since the entry
    /// was loaded (`core/cache.rs`; the row's `last_seq`, `updated_at` and
    /// title may be stale).
    pub(crate) async fn send_conversation(
        &self,
        actor: &Actor,
        id: &str,
        action: AuditAction,
    ) -> Result<std::sync::Arc<CachedConversation>> {
        self.require_messaging_for(actor, action, Some(("conversation", id)))
            .await?;
        if let Some(cid) = ConversationId::parse(id)
            && let Some(hit) = self.access.conversation(&actor.access_version, &cid)
            && hit.members.contains(&actor.user.id)
        {
            return Ok(hit);
        }
        let (row, members) = self.member_conversation(actor, id, action).await?;
        let entry = std::sync::Arc::new(CachedConversation { row, members });
        self.access
            .put_conversation(&actor.access_version, entry.clone());
        Ok(entry)
    }

    /// A conversation the actor may read: as a member, or (when
    /// `break_glass` allows it) through an open break-glass grant, whose id
    /// is then returned. For anyone else it does not exist, and the attempt
    /// is recorded as denied.
    pub(crate) async fn find_conversation(
        &self,
        actor: &Actor,
        id: &str,
        action: AuditAction,
        break_glass: bool,
    ) -> Result<(ConversationRow, Vec<UserId>, Option<String>)> {
        self.require_messaging_for(actor, action, Some(("conversation", id)))
            .await?;
        let found = match ConversationId::parse(id) {
            Some(cid) => self.store.get_conversation(&cid).await?,
            None => None,
        };
        if let Some(row) = found {
            let members = self.store.list_members(&row.id).await?;
            if members.contains(&actor.user.id) {
                return Ok((row, members, None));
            }
            if break_glass
                && actor.user.role == hippo_core::Role::Clinician
                && let Some(grant) = self
                    .store
                    .active_break_glass(&row.id, &actor.user.id, self.clock.now())
                    .await?
            {
                return Ok((row, members, Some(grant.id)));
            }
        }
        Err(self
            .deny(
                actor,
                action,
                Some(("conversation", id.chars().take(64).collect())),
                ServiceError::not_found(),
            )
            .await)
    }

    pub(crate) async fn conversation_key(
        &self,
        row: &ConversationRow,
    ) -> Result<std::sync::Arc<DataKey>> {
        self.keys
            .data_key(self.store.as_ref(), &row.data_key_id)
            .await
    }

    /// Checks that `id` names an active account that may take part in
    /// conversations.
    pub(crate) async fn messaging_user(&self, id: &str) -> Result<UserId> {
        let invalid =
            || ServiceError::validation(format!("member {id} is not an active messaging user"));
        let uid = UserId::parse(id).ok_or_else(invalid)?;
        let row = self.store.get_user(&uid).await?.ok_or_else(invalid)?;
        if !Self::is_active(&row) || !row.role.can_message() {
            return Err(invalid());
        }
        Ok(uid)
    }
    /// A conversation the actor may read: as a member, or through an open
    /// break-glass grant (then its id is returned).
    pub(crate) async fn readable_conversation(
        &self,
        actor: &Actor,
        id: &str,
        action: AuditAction,
    ) -> Result<(ConversationRow, Vec<UserId>, Option<String>)> {
        self.find_conversation(actor, id, action, true).await
    }

    /// Access rule for reading the trail: a full session and role `auditor`
    /// (the CLI operator and the server's own workers always may).
    pub(crate) async fn require_auditor(
        &self,
        by: Principal<'_>,
        action: AuditAction,
    ) -> Result<()> {
        let Principal::User(actor) = by else {
            return Ok(());
        };
        if let Err(e) = actor.require_full() {
            return Err(self.deny(actor, action, None, e).await);
        }
        if !actor.user.role.can_read_audit() {
            return Err(self
                .deny(actor, action, None, ServiceError::forbidden())
                .await);
        }
        Ok(())
    }

    /// Access rule for compliance reports: a full session and role
    /// `admin` or `auditor` (the CLI operator and workers always may).
    pub(crate) async fn require_admin_or_auditor(
        &self,
        by: Principal<'_>,
        action: AuditAction,
    ) -> Result<()> {
        let Principal::User(actor) = by else {
            return Ok(());
        };
        if let Err(e) = actor.require_full() {
            return Err(self.deny(actor, action, None, e).await);
        }
        let role = actor.user.role;
        if !(role == hippo_core::Role::Admin || role.can_read_audit()) {
            return Err(self
                .deny(actor, action, None, ServiceError::forbidden())
                .await);
        }
        Ok(())
    }
}
