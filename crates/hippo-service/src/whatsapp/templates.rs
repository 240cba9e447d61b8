//! Message templates: listing, syncing from the Cloud API, and marking
//! them PHI-free.

use super::*;

impl Whatsapp {
    /// The cached templates; 503 `channel_not_configured` without a channel.
    pub async fn list_templates(&self, actor: &Actor) -> Result<Vec<Template>> {
        self.channel()?;
        self.require_channel_admin(actor, AuditAction::WhatsappTemplateSync)
            .await?;
        self.list_templates_unchecked().await
    }

    /// The channel's PHI policy (`notify_only` or `patient_requested`), so a
    /// client can offer only what will be accepted.
    pub fn phi_mode(&self) -> Result<hippo_core::PhiMode> {
        Ok(self.channel()?.config.phi_mode)
    }

    /// Fetches every template of the business account and caches it.
    pub async fn sync_templates(&self, actor: &Actor) -> Result<Vec<Template>> {
        let channel = self.channel()?.clone();
        self.require_channel_admin(actor, AuditAction::WhatsappTemplateSync)
            .await?;
        let fetched = channel.api.list_templates().await.map_err(|e| {
            tracing::warn!(code = ?e.code, title = %e.title, "template sync failed");
            ServiceError::public(
                ErrorCode::Unavailable,
                format!(
                    "the WhatsApp Cloud API refused the template list: {}",
                    e.title
                ),
            )
        })?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        for t in &fetched {
            tx.upsert_template(&TemplateRow {
                name: t.name.clone(),
                language: t.language.clone(),
                category: t.category.clone(),
                status: t.status.clone(),
                parameter_count: i64::from(t.parameter_count),
                body_text: t.body_text.clone(),
                phi_free: false,
                synced_at: now,
            })
            .await?;
        }
        tx.append_audit(
            &actor
                .event(now, AuditAction::WhatsappTemplateSync, Outcome::Success)
                .detail(serde_json::json!({ "templates": fetched.len() })),
        )
        .await?;
        tx.commit().await?;
        self.list_templates_unchecked().await
    }

    pub(super) async fn list_templates_unchecked(&self) -> Result<Vec<Template>> {
        Ok(self
            .core
            .store
            .list_templates()
            .await?
            .into_iter()
            .map(Template::from)
            .collect())
    }

    /// Marks a template safe (or not) to send under `notify_only`.
    pub async fn set_template_phi_free(
        &self,
        actor: &Actor,
        name: &str,
        language: &str,
        phi_free: bool,
    ) -> Result<Template> {
        self.require_channel_admin(actor, AuditAction::WhatsappTemplateUpdate)
            .await?;
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        if !tx.set_template_phi_free(name, language, phi_free).await? {
            return Err(ServiceError::not_found());
        }
        tx.append_audit(
            &actor
                .event(now, AuditAction::WhatsappTemplateUpdate, Outcome::Success)
                .resource("template", format!("{name}/{language}"))
                .detail(serde_json::json!({ "phi_free": phi_free })),
        )
        .await?;
        tx.commit().await?;
        self.core
            .store
            .get_template(name, language)
            .await?
            .map(Template::from)
            .ok_or_else(ServiceError::not_found)
    }
}
