//! Verifying the trail (the chain, its end, the signed checkpoints, the
//! Merkle tree and its signed heads, what a witness kept) and writing and
//! re-keying checkpoints.

use super::*;

impl Audit {
    /// Checks the whole chain: every record links to its predecessor and
    /// hashes to its stored hash; the trail reaches the head recorded with
    /// it; every signed checkpoint matches. Reports the first bad record.
    pub async fn verify(&self, by: Principal<'_>) -> Result<VerifyReport> {
        self.verify_witnessed(by, None).await
    }

    /// [`Audit::verify`], and also that every head in `witnessed` (kept
    /// by a witness out of hippo's reach) is still in the database.
    pub async fn verify_witnessed(
        &self,
        by: Principal<'_>,
        witnessed: Option<&[WitnessedHead]>,
    ) -> Result<VerifyReport> {
        self.core
            .require_auditor(by, AuditAction::AuditVerify)
            .await?;
        let mut report = self.verify_chain().await?;
        if report.ok
            && let Some(witnessed) = witnessed
        {
            match self.check_witnessed(witnessed).await? {
                Ok(n) => report.witnessed_heads = Some(n),
                Err(b) => {
                    report.ok = false;
                    report.first_bad_seq = Some(b.seq);
                    report.reason = Some(b.reason);
                }
            }
        }
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
            "tree_size": report.tree_size,
            "tree_heads_verified": report.tree_heads_verified,
            "witnessed_heads": report.witnessed_heads,
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

    pub(super) async fn verify_chain(&self) -> Result<VerifyReport> {
        // What is pending now is checked too. A pass that fails (a damaged
        // tree, a value hippo never writes) is reported, after whatever
        // else is wrong.
        let sequencing = self.sequence_now().await;
        let (head_seq, head_hash) = self.core.store.audit_head().await?;
        let checkpoints = self.core.store.list_checkpoints().await?;
        let mut report = VerifyReport {
            ok: false,
            checked: 0,
            first_bad_seq: None,
            reason: None,
            checkpoints_verified: 0,
            tree_size: self.core.store.audit_tree_size().await?,
            tree_heads_verified: 0,
            unsequenced: 0,
            witnessed_heads: None,
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
        let mut tree = TreeCheck::new(self.core.store.clone(), trusted.clone(), report.tree_size);
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
            for (i, record) in page.chunks(1).enumerate() {
                if let Err(b) = verifier.feed(record) {
                    report.checked = verifier.checked();
                    return fail(report, b.seq, b.reason);
                }
                let (seq, hash) = verifier.head();
                if let Some(c) = expected.get(&seq) {
                    if c.head_hash != hash {
                        report.checked = verifier.checked();
                        let found = TreeBreak {
                            seq: last_good_checkpoint + 1,
                            reason: format!(
                                "records {}..={} do not match the checkpoint signed at record {} \
                                 (the chain was recomputed after it was signed)",
                                last_good_checkpoint + 1,
                                seq,
                                seq
                            ),
                        };
                        // The tree may know which of them changed.
                        let b = tree
                            .pin_down_with(&page[..=i], last_good_checkpoint + 1..=seq, found)
                            .await?;
                        return fail(report, b.seq, b.reason);
                    }
                    report.checkpoints_verified += 1;
                    last_good_checkpoint = seq;
                }
            }
            if let Some(b) = tree.feed(&page).await? {
                report.checked = verifier.checked();
                report.tree_heads_verified = tree.heads_verified;
                return fail(report, b.seq, b.reason);
            }
        }
        report.checked = verifier.checked();
        let (end_seq, end_hash) = verifier.head();
        // The chain's end and the tree's end each see a cut their own way;
        // the earlier record either puts in doubt is the one reported.
        let chain_end = if end_seq < head_seq {
            Some((
                end_seq + 1,
                format!(
                    "the trail ends at record {end_seq} but its head says {head_seq}: records were removed from the end"
                ),
            ))
        } else if end_hash != head_hash {
            Some((
                end_seq,
                format!("record {end_seq} does not match the chain head"),
            ))
        } else if let Some((&seq, _)) = expected.range(end_seq + 1..).next() {
            Some((
                end_seq + 1,
                format!(
                    "a checkpoint was signed at record {seq} but the trail ends at {end_seq}: records were removed from the end"
                ),
            ))
        } else {
            None
        };
        let tree_end = tree.finish(end_seq).await?;
        report.tree_heads_verified = tree.heads_verified;
        match (chain_end, tree_end) {
            (Some((seq, _)), Some(b)) if b.seq < seq => return fail(report, b.seq, b.reason),
            (Some((seq, reason)), _) => return fail(report, seq, reason),
            (None, Some(b)) => return fail(report, b.seq, b.reason),
            (None, None) => {}
        }
        if let Err(e) = sequencing {
            report.unsequenced = self.core.store.pending_audit().await?.count;
            return fail(
                report,
                end_seq + 1,
                format!("the sequencer cannot add the pending records to the tree ({e})"),
            );
        }
        // Pending records are sequenced within seconds (and were, just
        // above): one still pending after a minute means the sequencer
        // cannot take it.
        let pending = self.core.store.pending_audit().await?;
        report.unsequenced = pending.count;
        let now = self.core.clock.now();
        if pending.oldest.is_some_and(|o| o.plus(STALL_AFTER) < now) {
            return fail(
                report,
                end_seq + 1,
                format!(
                    "{} audit records were written but never sequenced into the tree",
                    pending.count
                ),
            );
        }
        report.ok = true;
        Ok(report)
    }

    /// The public keys checkpoints may be signed with, by key id: this
    /// server's key, and every retired key endorsed by a trusted one.
    pub(super) async fn trusted_audit_keys(&self) -> Result<HashMap<String, Vec<u8>>> {
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
            &NewAuditEvent::new(at, AuditAction::KeyRotate, Outcome::Success)
                .actor(Some(&crate::principal::operator_id()), None)
                .detail(crate::principal::operator_detail(serde_json::json!({
                    "key": "audit_signing",
                    "retired_key_id": row.key_id,
                    "new_key_id": row.endorsed_by,
                }))),
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
        self.sequence_now().await?;
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
