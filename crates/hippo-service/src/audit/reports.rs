//! Compliance reports: who accessed a patient's records, what one user
//! did, and the scope of a suspected breach.

use super::*;

impl Audit {
    /// Every record touching `patient_id` in the window, with a summary per
    /// actor.
    pub async fn patient_access_report(
        &self,
        actor: &Actor,
        patient_id: &str,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Report> {
        self.report(
            actor,
            "patient-access",
            AuditQuery {
                patient_id: Some(patient_id.to_owned()),
                since: since.map(str::to_owned),
                until: until.map(str::to_owned),
                ..AuditQuery::default()
            },
        )
        .await
    }

    /// Everything one account did in the window.
    pub async fn user_activity_report(
        &self,
        actor: &Actor,
        user_id: &str,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Report> {
        self.report(
            actor,
            "user-activity",
            AuditQuery {
                actor_id: Some(user_id.to_owned()),
                since: since.map(str::to_owned),
                until: until.map(str::to_owned),
                ..AuditQuery::default()
            },
        )
        .await
    }

    /// What a compromised account, session or address touched in the
    /// window: the patients and conversations, with counts.
    pub async fn breach_scope_report(&self, actor: &Actor, query: AuditQuery) -> Result<Report> {
        if query.actor_id.is_none() && query.session_id.is_none() && query.ip.is_none() {
            return Err(ServiceError::validation(
                "name the actor_id, session_id or ip to scope",
            ));
        }
        if query.since.is_none() || query.until.is_none() {
            return Err(ServiceError::validation(
                "a breach scope needs since and until",
            ));
        }
        self.report(actor, "breach-scope", query).await
    }

    pub(super) async fn report(
        &self,
        actor: &Actor,
        kind: &str,
        query: AuditQuery,
    ) -> Result<Report> {
        let by = Principal::User(actor);
        self.core
            .require_auditor(by, AuditAction::AuditQuery)
            .await?;
        let filter = parse_filter(&query)?;
        self.sequence_now().await?;
        let mut report = Report::default();
        let mut after = 0;
        loop {
            let page = self
                .core
                .store
                .query_audit(&filter, after, SCAN_PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for r in &page {
                report.add(r);
            }
        }
        let mut detail = filter_detail(&filter);
        if let Some(map) = detail.as_object_mut() {
            map.insert("report".into(), kind.into());
            map.insert("count".into(), report.total.into());
        }
        self.record_examination(by, AuditAction::AuditQuery, detail)
            .await?;
        Ok(report)
    }
}

/// Records listed in a report at most (the counts cover everything).
pub const MAX_REPORT_RECORDS: usize = 10_000;

/// Per-key counts with first and last time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
}

/// What a report found: the records (up to [`MAX_REPORT_RECORDS`]) and
/// tallies by actor, action, patient and resource.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub total: u64,
    pub records: Vec<AuditRecord>,
    pub truncated: bool,
    pub by_actor: HashMap<String, Tally>,
    pub by_action: HashMap<String, Tally>,
    pub by_patient: HashMap<String, Tally>,
    /// Keyed `type/id`, e.g. `conversation/0190…`.
    pub by_resource: HashMap<String, Tally>,
}

impl Report {
    fn add(&mut self, r: &AuditRecord) {
        fn bump(map: &mut HashMap<String, Tally>, key: String, at: Timestamp) {
            map.entry(key)
                .and_modify(|t| {
                    t.count += 1;
                    t.first_at = t.first_at.min(at);
                    t.last_at = t.last_at.max(at);
                })
                .or_insert(Tally {
                    count: 1,
                    first_at: at,
                    last_at: at,
                });
        }
        self.total += 1;
        let actor = r
            .actor_id
            .as_ref()
            .map_or_else(|| "system".to_owned(), ToString::to_string);
        bump(&mut self.by_actor, actor, r.at);
        bump(&mut self.by_action, r.action.as_str().to_owned(), r.at);
        if let Some(p) = &r.patient_id {
            bump(&mut self.by_patient, p.clone(), r.at);
        }
        if let (Some(t), Some(id)) = (&r.resource_type, &r.resource_id) {
            bump(&mut self.by_resource, format!("{t}/{id}"), r.at);
        }
        // A message or file names its conversation in the detail.
        if let Some(conv) = serde_json::from_str::<serde_json::Value>(&r.detail)
            .ok()
            .and_then(|d| d["conversation_id"].as_str().map(str::to_owned))
        {
            bump(&mut self.by_resource, format!("conversation/{conv}"), r.at);
        }
        // The tallies count everything; the list stops at the cap.
        if self.records.len() < MAX_REPORT_RECORDS {
            self.records.push(r.clone());
        } else {
            self.truncated = true;
        }
    }
}
