//! Exporting the trail as a stream of chunks (JSON lines, CSV, FHIR).

use super::*;

impl Audit {
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
        self.sequence_now().await?;
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
                        return crate::audit_format::csv_header()
                            .map(Some)
                            .map_err(|e| ServiceError::Internal(format!("audit CSV: {e}")));
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
        let out = match self.format {
            ExportFormat::Csv => crate::audit_format::csv_rows(&page)
                .map_err(|e| ServiceError::Internal(format!("audit CSV: {e}")))?,
            ExportFormat::Jsonl => {
                let mut out = String::with_capacity(page.len() * 400);
                for r in &page {
                    out.push_str(&crate::audit_format::record_json(r).to_string());
                    out.push('\n');
                }
                out
            }
            ExportFormat::Fhir => {
                let mut out = String::with_capacity(page.len() * 400);
                for r in &page {
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
                out
            }
        };
        Ok(Some(out))
    }
}

enum ExportState {
    Start,
    Body { first: bool },
    Done,
}
