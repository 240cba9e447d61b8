//! Examining the audit trail: queries with filters, verification of the
//! hash chain against signed checkpoints, exports (JSON Lines, CSV, FHIR R4
//! AuditEvent), and the auditor's reports (patient access, user activity,
//! breach scope).
//!
//! Only auditors read the trail through the API (the operator can through
//! the CLI); every reading is itself recorded (`audit.query`,
//! `audit.export`, `audit.verify`).

pub mod alerts;

use crate::{Actor, Principal, Result, ServiceError};
use hippo_core::{AuditAction, NewAuditEvent, Outcome, Timestamp};
use hippo_crypto::AuditSigningKey;
use hippo_store::chain::{Verifier, checkpoint_message};
use hippo_store::{AuditFilter, AuditRecord, CheckpointRow, StoreError};
use std::collections::{BTreeMap, HashMap};

/// Most records one query returns.
pub const MAX_PAGE: i64 = 1000;
/// Records per query when the caller does not say.
pub const DEFAULT_PAGE: i64 = 100;
/// Records read per round trip while verifying or exporting.
const SCAN_PAGE: i64 = 5000;

/// Filters as a client writes them (all optional).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub resource_id: Option<String>,
    pub patient_id: Option<String>,
    pub outcome: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    /// RFC 3339.
    pub since: Option<String>,
    /// RFC 3339.
    pub until: Option<String>,
}

/// One page of records.
#[derive(Debug)]
pub struct AuditPage {
    pub events: Vec<AuditRecord>,
    /// Pass as `after_seq` to continue; equals the request's when empty.
    pub next_after_seq: i64,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub ok: bool,
    /// Records checked and found intact.
    pub checked: i64,
    pub first_bad_seq: Option<i64>,
    pub reason: Option<String>,
    /// Signed checkpoints that matched the trail.
    pub checkpoints_verified: usize,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Jsonl,
    Csv,
    Fhir,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "jsonl" => Some(Self::Jsonl),
            "csv" => Some(Self::Csv),
            "fhir" => Some(Self::Fhir),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
            Self::Fhir => "fhir",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jsonl => "application/jsonl",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Fhir => "application/fhir+json",
        }
    }
}

fn parse_time(name: &str, value: Option<&str>) -> Result<Option<Timestamp>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => Timestamp::parse_rfc3339(v).map(Some).ok_or_else(|| {
            ServiceError::validation(format!(
                "{name} must be an RFC 3339 time such as 2026-11-01T00:00:00Z"
            ))
        }),
    }
}

/// Checks and converts a client's filters.
pub fn parse_filter(q: &AuditQuery) -> Result<AuditFilter> {
    let clean = |v: &Option<String>, name: &str| -> Result<Option<String>> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) if v.len() > 128 || v.chars().any(char::is_control) => {
                Err(ServiceError::validation(format!(
                    "{name} must be at most 128 printable characters"
                )))
            }
            Some(v) => Ok(Some(v.to_owned())),
        }
    };
    let action = clean(&q.action, "action")?;
    if let Some(a) = &action
        && AuditAction::parse(a).is_none()
    {
        return Err(ServiceError::validation(format!(
            "unknown action {a:?}; actions look like message.send or auth.login"
        )));
    }
    let outcome = clean(&q.outcome, "outcome")?;
    if let Some(o) = &outcome
        && Outcome::parse(o).is_none()
    {
        return Err(ServiceError::validation(
            "outcome must be success, denied or failure",
        ));
    }
    let since = parse_time("since", q.since.as_deref())?;
    let until = parse_time("until", q.until.as_deref())?;
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(ServiceError::validation("since must be before until"));
    }
    Ok(AuditFilter {
        actor_id: clean(&q.actor_id, "actor_id")?,
        action,
        resource_id: clean(&q.resource_id, "resource_id")?,
        patient_id: clean(&q.patient_id, "patient_id")?,
        outcome,
        session_id: clean(&q.session_id, "session_id")?,
        ip: clean(&q.ip, "ip")?,
        since,
        until,
    })
}

fn filter_detail(f: &AuditFilter) -> serde_json::Value {
    serde_json::json!({
        "actor_id": f.actor_id,
        "action": f.action,
        "resource_id": f.resource_id,
        "patient_id": f.patient_id,
        "outcome": f.outcome,
        "session_id": f.session_id,
        "ip": f.ip,
        "since": f.since.map(Timestamp::to_rfc3339),
        "until": f.until.map(Timestamp::to_rfc3339),
    })
}

/// The auditor's tools: queries, verification, exports, checkpoints,
/// reports and security alerts (`hippo.audit()`).
#[derive(Debug, Clone)]
pub struct Audit {
    core: std::sync::Arc<crate::core::Core>,
}

impl Audit {
    pub(crate) fn new(core: std::sync::Arc<crate::core::Core>) -> Self {
        Self { core }
    }
}

impl Audit {
    /// Records an examination of the trail.
    async fn record_examination(
        &self,
        by: Principal<'_>,
        action: AuditAction,
        detail: serde_json::Value,
    ) -> Result<()> {
        self.core
            .audit_alone(
                by.event(self.core.clock.now(), action, Outcome::Success)
                    .detail(by.with_via(detail)),
            )
            .await
    }

    /// Records matching `query`, oldest first, `limit` at most
    /// [`MAX_PAGE`]. The query itself is recorded.
    pub async fn query(
        &self,
        by: Principal<'_>,
        query: &AuditQuery,
        after_seq: Option<i64>,
        limit: Option<i64>,
    ) -> Result<AuditPage> {
        self.core
            .require_auditor(by, AuditAction::AuditQuery)
            .await?;
        let filter = parse_filter(query)?;
        let after_seq = after_seq.unwrap_or(0);
        if after_seq < 0 {
            return Err(ServiceError::validation("after_seq must be 0 or more"));
        }
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::validation(format!(
                "limit must be 1 to {MAX_PAGE}"
            )));
        }
        let events = self
            .core
            .store
            .query_audit(&filter, after_seq, limit)
            .await?;
        let next_after_seq = events.last().map_or(after_seq, |r| r.seq);
        let mut detail = filter_detail(&filter);
        if let Some(map) = detail.as_object_mut() {
            map.insert("after_seq".into(), after_seq.into());
            map.insert("count".into(), events.len().into());
        }
        self.record_examination(by, AuditAction::AuditQuery, detail)
            .await?;
        Ok(AuditPage {
            events,
            next_after_seq,
        })
    }

    /// Checks the whole chain: every record links to its predecessor and
    /// hashes to its stored hash; the trail reaches the head recorded with
    /// it; every signed checkpoint matches. Reports the first bad record.
    pub async fn verify(&self, by: Principal<'_>) -> Result<VerifyReport> {
        self.core
            .require_auditor(by, AuditAction::AuditVerify)
            .await?;
        let report = self.verify_chain().await?;
        let outcome = if report.ok {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        let mut ev = by.event(self.core.clock.now(), AuditAction::AuditVerify, outcome);
        ev = ev.detail(serde_json::json!({
            "ok": report.ok,
            "checked": report.checked,
            "first_bad_seq": report.first_bad_seq,
            "checkpoints_verified": report.checkpoints_verified,
            "via": by.is_operator().then_some("cli"),
        }));
        self.core.audit_alone(ev).await?;
        if !report.ok {
            self.core
                .raise_alert(
                    crate::alerts::AlertKind::AuditVerificationFailed,
                    serde_json::json!({
                        "first_bad_seq": report.first_bad_seq,
                        "checked": report.checked,
                    }),
                )
                .await;
        }
        Ok(report)
    }

    async fn verify_chain(&self) -> Result<VerifyReport> {
        let (head_seq, head_hash) = self.core.store.audit_head().await?;
        let checkpoints = self.core.store.list_checkpoints().await?;
        let mut report = VerifyReport {
            ok: false,
            checked: 0,
            first_bad_seq: None,
            reason: None,
            checkpoints_verified: 0,
        };
        let fail = |mut r: VerifyReport, seq: i64, reason: String| {
            r.first_bad_seq = Some(seq);
            r.reason = Some(reason);
            Ok(r)
        };
        // Checkpoints first: each must carry a valid signature by our key
        // or by a retired key it (transitively) endorsed.
        let mut expected: BTreeMap<i64, &CheckpointRow> = BTreeMap::new();
        let trusted = self.trusted_audit_keys().await?;
        for c in &checkpoints {
            if trusted.is_empty() {
                return fail(
                    report,
                    1,
                    "the trail has signed checkpoints but no signing key is configured".into(),
                );
            }
            if !signature_ok(&trusted, c) {
                return fail(
                    report,
                    c.seq,
                    format!(
                        "the checkpoint at record {} is not signed by this server's audit key",
                        c.seq
                    ),
                );
            }
            expected.insert(c.seq, c);
        }
        let mut verifier = Verifier::default();
        let mut last_good_checkpoint = 0;
        let mut scan =
            hippo_store::scan::AuditScan::new(self.core.store.clone(), 0, head_seq, SCAN_PAGE);
        while let Some(page) = scan.next_page().await {
            let page = match page {
                Ok(page) => page,
                // A value no hippo ever writes: report it, do not fail.
                Err(StoreError::Corrupt(why)) => {
                    let done = verifier.checked();
                    report.checked = done;
                    return fail(
                        report,
                        done + 1,
                        format!("a record after {done} holds values hippo never writes ({why})"),
                    );
                }
                Err(e) => return Err(e.into()),
            };
            for record in page.chunks(1) {
                if let Err(b) = verifier.feed(record) {
                    report.checked = verifier.checked();
                    return fail(report, b.seq, b.reason);
                }
                let (seq, hash) = verifier.head();
                if let Some(c) = expected.get(&seq) {
                    if c.head_hash != hash {
                        report.checked = verifier.checked();
                        return fail(
                            report,
                            last_good_checkpoint + 1,
                            format!(
                                "records {}..={} do not match the checkpoint signed at record {} \
                                 (the chain was recomputed after it was signed)",
                                last_good_checkpoint + 1,
                                seq,
                                seq
                            ),
                        );
                    }
                    report.checkpoints_verified += 1;
                    last_good_checkpoint = seq;
                }
            }
        }
        report.checked = verifier.checked();
        let (end_seq, end_hash) = verifier.head();
        if end_seq < head_seq {
            return fail(
                report,
                end_seq + 1,
                format!(
                    "the trail ends at record {end_seq} but its head says {head_seq}: records were removed from the end"
                ),
            );
        }
        if end_hash != head_hash {
            return fail(
                report,
                end_seq,
                format!("record {end_seq} does not match the chain head"),
            );
        }
        if let Some((&seq, _)) = expected.range(end_seq + 1..).next() {
            return fail(
                report,
                end_seq + 1,
                format!(
                    "a checkpoint was signed at record {seq} but the trail ends at {end_seq}: records were removed from the end"
                ),
            );
        }
        report.ok = true;
        Ok(report)
    }

    /// The public keys checkpoints may be signed with, by key id: this
    /// server's key, and every retired key endorsed by a trusted one.
    async fn trusted_audit_keys(&self) -> Result<HashMap<String, Vec<u8>>> {
        let mut trusted = HashMap::new();
        let Some(current) = self.core.audit_key.as_deref() else {
            return Ok(trusted);
        };
        trusted.insert(current.key_id(), current.public_key());
        let endorsements = self.core.store.list_key_endorsements().await?;
        loop {
            let before = trusted.len();
            for e in &endorsements {
                if trusted.contains_key(&e.key_id)
                    || AuditSigningKey::key_id_of(&e.public_key) != e.key_id
                {
                    continue;
                }
                let message = hippo_store::chain::endorsement_message(
                    &e.key_id,
                    &e.public_key,
                    e.at.as_millis(),
                );
                if trusted
                    .get(&e.endorsed_by)
                    .is_some_and(|by| AuditSigningKey::verify_with(by, &message, &e.endorsement))
                {
                    trusted.insert(e.key_id.clone(), e.public_key.clone());
                }
            }
            if trusted.len() == before {
                return Ok(trusted);
            }
        }
    }

    /// Replaces the audit signing key (the operator, through `hippo keys
    /// rotate --audit-signing-key`): the trail is checkpointed with the old
    /// key, and the new key endorses the old one so its checkpoints keep
    /// verifying. Recorded as `key.rotate`. Returns the retired key's id.
    pub async fn rotate_key(&self, new: &AuditSigningKey) -> Result<String> {
        let Some(old) = self.core.audit_key.as_deref() else {
            return Err(ServiceError::Internal("no audit signing key loaded".into()));
        };
        self.write_checkpoint().await?;
        let at = self.core.clock.now();
        let public = old.public_key();
        let row = hippo_store::KeyEndorsementRow {
            endorsement: new.sign(&hippo_store::chain::endorsement_message(
                &old.key_id(),
                &public,
                at.as_millis(),
            )),
            key_id: old.key_id(),
            public_key: public,
            endorsed_by: new.key_id(),
            at,
        };
        let mut tx = self.core.store.begin_write().await?;
        tx.insert_key_endorsement(&row).await?;
        tx.append_audit(
            &NewAuditEvent::new(at, AuditAction::KeyRotate, Outcome::Success).detail(
                serde_json::json!({
                    "via": "cli",
                    "key": "audit_signing",
                    "retired_key_id": row.key_id,
                    "new_key_id": row.endorsed_by,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(row.key_id)
    }

    /// Signs and stores a checkpoint of the current head, unless the latest
    /// checkpoint already covers it. Returns the new checkpoint.
    pub async fn write_checkpoint(&self) -> Result<Option<CheckpointRow>> {
        let Some(key) = self.core.audit_key.as_deref() else {
            return Ok(None);
        };
        let (seq, head_hash) = self.core.store.audit_head().await?;
        if seq == 0 {
            return Ok(None);
        }
        let latest = self.core.store.list_checkpoints().await?;
        if latest.last().is_some_and(|c| c.seq >= seq) {
            return Ok(None);
        }
        let at = self.core.clock.now();
        let row = CheckpointRow {
            signature: key.sign(&checkpoint_message(seq, &head_hash, at.as_millis())),
            seq,
            head_hash,
            at,
            key_id: key.key_id(),
        };
        let mut tx = self.core.store.begin_write().await?;
        match tx.insert_checkpoint(&row).await {
            Ok(()) => {}
            // Another node signed this head first.
            Err(StoreError::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(Some(row))
    }

    /// Starts an export of the records in `[since, until)`, recording it.
    pub async fn export(
        &self,
        by: Principal<'_>,
        format: ExportFormat,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<AuditExport> {
        self.core
            .require_auditor(by, AuditAction::AuditExport)
            .await?;
        let filter = parse_filter(&AuditQuery {
            since: since.map(str::to_owned),
            until: until.map(str::to_owned),
            ..AuditQuery::default()
        })?;
        let mut detail = filter_detail(&filter);
        if let Some(map) = detail.as_object_mut() {
            map.insert("format".into(), format.as_str().into());
        }
        self.record_examination(by, AuditAction::AuditExport, detail)
            .await?;
        Ok(AuditExport {
            store: self.core.store.clone(),
            filter,
            format,
            after_seq: 0,
            state: ExportState::Start,
        })
    }

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

    async fn report(&self, actor: &Actor, kind: &str, query: AuditQuery) -> Result<Report> {
        let by = Principal::User(actor);
        self.core
            .require_auditor(by, AuditAction::AuditQuery)
            .await?;
        let filter = parse_filter(&query)?;
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

fn signature_ok(trusted: &HashMap<String, Vec<u8>>, c: &CheckpointRow) -> bool {
    trusted.get(&c.key_id).is_some_and(|public| {
        AuditSigningKey::verify_with(
            public,
            &checkpoint_message(c.seq, &c.head_hash, c.at.as_millis()),
            &c.signature,
        )
    })
}

enum ExportState {
    Start,
    Body { first: bool },
    Done,
}

/// An export in progress: text chunks, one page of records at a time.
pub struct AuditExport {
    store: std::sync::Arc<dyn hippo_store::Store>,
    filter: AuditFilter,
    format: ExportFormat,
    after_seq: i64,
    state: ExportState,
}

impl std::fmt::Debug for AuditExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditExport")
            .field("format", &self.format)
            .field("after_seq", &self.after_seq)
            .finish_non_exhaustive()
    }
}

impl AuditExport {
    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// The next piece of the export, or `None` when complete.
    pub async fn next_chunk(&mut self) -> Result<Option<String>> {
        match self.state {
            ExportState::Done => return Ok(None),
            ExportState::Start => {
                self.state = ExportState::Body { first: true };
                match self.format {
                    ExportFormat::Jsonl => {}
                    ExportFormat::Csv => {
                        return Ok(Some(crate::audit_format::CSV_HEADER.to_owned()));
                    }
                    ExportFormat::Fhir => {
                        return Ok(Some(crate::audit_format::fhir_bundle_open()));
                    }
                }
            }
            ExportState::Body { .. } => {}
        }
        let page = self
            .store
            .query_audit(&self.filter, self.after_seq, SCAN_PAGE)
            .await?;
        let Some(last) = page.last() else {
            self.state = ExportState::Done;
            return Ok(match self.format {
                ExportFormat::Fhir => Some("\n]}\n".to_owned()),
                _ => None,
            });
        };
        self.after_seq = last.seq;
        let mut out = String::with_capacity(page.len() * 400);
        for r in &page {
            match self.format {
                ExportFormat::Jsonl => {
                    out.push_str(&crate::audit_format::record_json(r).to_string());
                    out.push('\n');
                }
                ExportFormat::Csv => crate::audit_format::push_csv_row(&mut out, r),
                ExportFormat::Fhir => {
                    if let ExportState::Body { first } = &mut self.state {
                        if !*first {
                            out.push(',');
                        }
                        *first = false;
                    }
                    out.push_str("\n{\"fullUrl\":\"urn:uuid:");
                    out.push_str(&crate::audit_format::fhir_entry_uuid(r));
                    out.push_str("\",\"resource\":");
                    out.push_str(&crate::audit_format::fhir_audit_event(r).to_string());
                    out.push('}');
                }
            }
        }
        Ok(Some(out))
    }
}
