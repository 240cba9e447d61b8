//! Every SQL statement hippo runs, written once. [`sql_store!`] expands them
//! for one sqlx driver and implements `Store` and `WriteTx` for that
//! backend's store type, which supplies `reader()` (a pool for reads) and
//! `begin_tx()` (a write transaction started the backend's way: a value that
//! derefs to the driver's connection and has `commit()`).

/// `SELECT <every users column> FROM users <tail>`.
macro_rules! select_users {
    ($tail:literal) => {
        concat!(
            "SELECT id, username_index, username_enc, display_name_enc, role, status, password_hash, ",
            "must_change_password, mfa_enabled, mfa_secret_enc, mfa_pending_secret_enc, totp_last_step, ",
            "failed_logins, locked_until, created_at, updated_at FROM users ",
            $tail
        )
    };
}

/// `SELECT <every sessions column> FROM sessions <tail>`.
macro_rules! select_sessions {
    ($tail:literal) => {
        concat!(
            "SELECT id, user_id, scope, created_at, last_seen_at, expires_at, ip, user_agent, ",
            "ended_at, end_reason FROM sessions ",
            $tail
        )
    };
}

/// `SELECT <every messages column> FROM messages <tail>`.
macro_rules! select_messages {
    ($tail:literal) => {
        concat!(
            "SELECT id, conversation_id, seq, sender_id, body_enc, priority, client_id, created_at, ",
            "edited_at, deleted_at, channel, channel_state, channel_updated_at, channel_error_code, ",
            "channel_error_title, wamid FROM messages ",
            $tail
        )
    };
}

/// `SELECT <every conversations column> FROM conversations <tail>`.
macro_rules! select_conversations {
    ($tail:literal) => {
        concat!(
            "SELECT id, kind, title_enc, data_key_id, created_by, created_at, updated_at, last_seq ",
            "FROM conversations ",
            $tail
        )
    };
}

/// `SELECT <every attachments column, prefixed a.> FROM attachments a <tail>`.
macro_rules! select_attachments {
    ($extra:literal, $tail:literal) => {
        concat!(
            "SELECT ",
            $extra,
            "a.id, a.uploader_id, a.data_key_id, a.filename_enc, a.content_type, a.size, a.sha256_enc, ",
            "a.chunk_size, a.created_at FROM attachments a ",
            $tail
        )
    };
}

macro_rules! sql_store {
    ($db:ty, $store:ty, $backend:literal, $txty:ty, $list_audit_json:expr) => {
        use async_trait::async_trait;
        use hippo_core::{
            AttachmentId, AuditAction, ChannelState, PatientId, ConversationId, ConversationKind, MessageId, NewAuditEvent, Outcome, Priority, Role,
            Session, SessionId, SessionScope, Timestamp, UserId, UserStatus,
        };
        use hippo_store::{
            OutboxCounts, OutboxJob, OutboxState, PatientRow, TemplateRow, WebhookRow, WhatsappDelivery,
            AlertRow, AttachmentRow, AuditFilter, AuditRecord, BackupKeyFileRow, BreakGlassRow, ConversationPolicy, KeyEndorsementRow,
            PurgeResult, CheckpointRow, MessageAttachmentRow, ConversationRow, DataKeyRow, MarkKind, MessageRow, ReceiptRow, Result, UserRow, WriteTx,
        };
        use sqlx::Row;
        use $crate::queries::{select_attachments, select_conversations, select_messages, select_sessions, select_users};

        type DbRow = <$db as sqlx::Database>::Row;

        fn corrupt(what: &str) -> hippo_store::StoreError {
            hippo_store::StoreError::Corrupt(format!("unexpected value in {what}"))
        }

        fn ts(ms: i64) -> Timestamp {
            Timestamp::from_millis(ms)
        }

        fn user_from_row(r: &DbRow) -> Result<UserRow> {
            let g = |e| crate::map_err(e);
            Ok(UserRow {
                id: UserId::from_stored(r.try_get("id").map_err(g)?),
                username_index: r.try_get("username_index").map_err(g)?,
                username_enc: r.try_get("username_enc").map_err(g)?,
                display_name_enc: r.try_get("display_name_enc").map_err(g)?,
                role: Role::parse(&r.try_get::<String, _>("role").map_err(g)?)
                    .ok_or_else(|| corrupt("users.role"))?,
                status: UserStatus::parse(&r.try_get::<String, _>("status").map_err(g)?)
                    .ok_or_else(|| corrupt("users.status"))?,
                password_hash: r.try_get("password_hash").map_err(g)?,
                must_change_password: r.try_get("must_change_password").map_err(g)?,
                mfa_enabled: r.try_get("mfa_enabled").map_err(g)?,
                mfa_secret_enc: r.try_get("mfa_secret_enc").map_err(g)?,
                mfa_pending_secret_enc: r.try_get("mfa_pending_secret_enc").map_err(g)?,
                totp_last_step: r.try_get("totp_last_step").map_err(g)?,
                failed_logins: r.try_get("failed_logins").map_err(g)?,
                locked_until: r.try_get::<Option<i64>, _>("locked_until").map_err(g)?.map(ts),
                created_at: ts(r.try_get("created_at").map_err(g)?),
                updated_at: ts(r.try_get("updated_at").map_err(g)?),
            })
        }

        fn data_key_from_row(r: &DbRow) -> Result<DataKeyRow> {
            let g = |e| crate::map_err(e);
            Ok(DataKeyRow {
                id: r.try_get("id").map_err(g)?,
                purpose: r.try_get("purpose").map_err(g)?,
                wrapped: r.try_get("wrapped").map_err(g)?,
                master_key_check: r.try_get("master_key_check").map_err(g)?,
                created_at: ts(r.try_get("created_at").map_err(g)?),
            })
        }

        fn conversation_from_row(r: &DbRow) -> Result<ConversationRow> {
            let g = |e| crate::map_err(e);
            Ok(ConversationRow {
                id: ConversationId::from_stored(r.try_get("id").map_err(g)?),
                kind: ConversationKind::parse(&r.try_get::<String, _>("kind").map_err(g)?)
                    .ok_or_else(|| corrupt("conversations.kind"))?,
                title_enc: r.try_get("title_enc").map_err(g)?,
                data_key_id: r.try_get("data_key_id").map_err(g)?,
                created_by: UserId::from_stored(r.try_get("created_by").map_err(g)?),
                created_at: ts(r.try_get("created_at").map_err(g)?),
                updated_at: ts(r.try_get("updated_at").map_err(g)?),
                last_seq: r.try_get("last_seq").map_err(g)?,
            })
        }

        fn message_from_row(r: &DbRow) -> Result<MessageRow> {
            let g = |e| crate::map_err(e);
            Ok(MessageRow {
                id: MessageId::from_stored(r.try_get("id").map_err(g)?),
                conversation_id: ConversationId::from_stored(r.try_get("conversation_id").map_err(g)?),
                seq: r.try_get("seq").map_err(g)?,
                sender_id: UserId::from_stored(r.try_get("sender_id").map_err(g)?),
                body_enc: r.try_get("body_enc").map_err(g)?,
                priority: Priority::parse(&r.try_get::<String, _>("priority").map_err(g)?)
                    .ok_or_else(|| corrupt("messages.priority"))?,
                client_id: r.try_get("client_id").map_err(g)?,
                created_at: ts(r.try_get("created_at").map_err(g)?),
                edited_at: r.try_get::<Option<i64>, _>("edited_at").map_err(g)?.map(ts),
                deleted_at: r.try_get::<Option<i64>, _>("deleted_at").map_err(g)?.map(ts),
                whatsapp: match r.try_get::<String, _>("channel").map_err(g)?.as_str() {
                    "hippo" => None,
                    "whatsapp" => Some(hippo_store::WhatsappDelivery {
                        state: hippo_core::ChannelState::parse(
                            &r.try_get::<Option<String>, _>("channel_state").map_err(g)?.unwrap_or_default(),
                        )
                        .ok_or_else(|| corrupt("messages.channel_state"))?,
                        updated_at: ts(r
                            .try_get::<Option<i64>, _>("channel_updated_at")
                            .map_err(g)?
                            .ok_or_else(|| corrupt("messages.channel_updated_at"))?),
                        error_code: r.try_get("channel_error_code").map_err(g)?,
                        error_title: r.try_get("channel_error_title").map_err(g)?,
                        wamid: r.try_get("wamid").map_err(g)?,
                    }),
                    _ => return Err(corrupt("messages.channel")),
                },
            })
        }

        crate::channel_queries::channel_rows!();
        crate::channel_queries::channel_impls!($store, $backend);

        fn attachment_from_row(r: &DbRow) -> Result<AttachmentRow> {
            let g = |e| crate::map_err(e);
            Ok(AttachmentRow {
                id: AttachmentId::from_stored(r.try_get("id").map_err(g)?),
                uploader_id: UserId::from_stored(r.try_get("uploader_id").map_err(g)?),
                data_key_id: r.try_get("data_key_id").map_err(g)?,
                filename_enc: r.try_get("filename_enc").map_err(g)?,
                content_type: r.try_get("content_type").map_err(g)?,
                size: r.try_get("size").map_err(g)?,
                sha256_enc: r.try_get("sha256_enc").map_err(g)?,
                chunk_size: r.try_get("chunk_size").map_err(g)?,
                created_at: ts(r.try_get("created_at").map_err(g)?),
            })
        }

        const SELECT_BREAK_GLASS: &str = "SELECT id, conversation_id, user_id, reason_enc, opened_at, expires_at, \
            reviewed_at, reviewed_by, review_note_enc FROM break_glass ";

        fn break_glass_from_row(r: &DbRow) -> Result<BreakGlassRow> {
            let g = |e| crate::map_err(e);
            Ok(BreakGlassRow {
                id: r.try_get("id").map_err(g)?,
                conversation_id: ConversationId::from_stored(r.try_get("conversation_id").map_err(g)?),
                user_id: UserId::from_stored(r.try_get("user_id").map_err(g)?),
                reason_enc: r.try_get("reason_enc").map_err(g)?,
                opened_at: ts(r.try_get("opened_at").map_err(g)?),
                expires_at: ts(r.try_get("expires_at").map_err(g)?),
                reviewed_at: r.try_get::<Option<i64>, _>("reviewed_at").map_err(g)?.map(ts),
                reviewed_by: r.try_get::<Option<String>, _>("reviewed_by").map_err(g)?.map(UserId::from_stored),
                review_note_enc: r.try_get("review_note_enc").map_err(g)?,
            })
        }

        fn policy_from_row(r: &DbRow) -> Result<ConversationPolicy> {
            let g = |e| crate::map_err(e);
            Ok(ConversationPolicy {
                conversation_id: ConversationId::from_stored(r.try_get("id").map_err(g)?),
                retention_secs: r.try_get("retention_secs").map_err(g)?,
                legal_hold_since: r.try_get::<Option<i64>, _>("legal_hold_since").map_err(g)?.map(ts),
                legal_hold_reason_enc: r.try_get("legal_hold_reason_enc").map_err(g)?,
                erased_at: r.try_get::<Option<i64>, _>("erased_at").map_err(g)?.map(ts),
            })
        }

        fn session_from_row(r: &DbRow) -> Result<Session> {
            let g = |e| crate::map_err(e);
            Ok(Session {
                id: SessionId::from_stored(r.try_get("id").map_err(g)?),
                user_id: UserId::from_stored(r.try_get("user_id").map_err(g)?),
                scope: SessionScope::parse(&r.try_get::<String, _>("scope").map_err(g)?)
                    .ok_or_else(|| corrupt("sessions.scope"))?,
                created_at: ts(r.try_get("created_at").map_err(g)?),
                last_seen_at: ts(r.try_get("last_seen_at").map_err(g)?),
                expires_at: ts(r.try_get("expires_at").map_err(g)?),
                ip: r.try_get("ip").map_err(g)?,
                user_agent: r.try_get("user_agent").map_err(g)?,
                ended_at: r.try_get::<Option<i64>, _>("ended_at").map_err(g)?.map(ts),
                end_reason: r.try_get("end_reason").map_err(g)?,
            })
        }

        fn audit_from_row(r: &DbRow) -> Result<AuditRecord> {
            let g = |e| crate::map_err(e);
            Ok(AuditRecord {
                seq: r.try_get("seq").map_err(g)?,
                at: ts(r.try_get("at").map_err(g)?),
                actor_id: r.try_get::<Option<String>, _>("actor_id").map_err(g)?.map(UserId::from_stored),
                session_id: r
                    .try_get::<Option<String>, _>("session_id")
                    .map_err(g)?
                    .map(SessionId::from_stored),
                ip: r.try_get("ip").map_err(g)?,
                user_agent: r.try_get("user_agent").map_err(g)?,
                request_id: r.try_get("request_id").map_err(g)?,
                action: AuditAction::parse(&r.try_get::<String, _>("action").map_err(g)?)
                    .ok_or_else(|| corrupt("audit_events.action"))?,
                resource_type: r.try_get("resource_type").map_err(g)?,
                resource_id: r.try_get("resource_id").map_err(g)?,
                patient_id: r.try_get("patient_id").map_err(g)?,
                outcome: Outcome::parse(&r.try_get::<String, _>("outcome").map_err(g)?)
                    .ok_or_else(|| corrupt("audit_events.outcome"))?,
                detail: r.try_get("detail").map_err(g)?,
                prev_hash: r.try_get("prev_hash").map_err(g)?,
                hash: r.try_get("hash").map_err(g)?,
            })
        }

        const SELECT_USER_BY_ID: &str = select_users!("WHERE id = $1");

        /// One write transaction on this backend.
        pub struct Tx {
            tx: $txty,
        }

        impl Tx {
            /// Deletes those of `linked` no message shares any more, with
            /// their data keys; returns their ids (blobs are the caller's).
            async fn remove_unshared_attachments(&mut self, linked: Vec<String>) -> Result<Vec<AttachmentId>> {
                let mut files = Vec::new();
                for attachment in linked {
                    let still_shared: Option<i64> = sqlx::query_scalar(
                        "SELECT 1 FROM message_attachments WHERE attachment_id = $1 LIMIT 1",
                    )
                    .bind(&attachment)
                    .fetch_optional(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                    if still_shared.is_some() {
                        continue;
                    }
                    let key: Option<String> =
                        sqlx::query_scalar("DELETE FROM attachments WHERE id = $1 RETURNING data_key_id")
                            .bind(&attachment)
                            .fetch_optional(&mut *self.tx)
                            .await
                            .map_err(crate::map_err)?;
                    if let Some(key) = key {
                        sqlx::query("DELETE FROM data_keys WHERE id = $1")
                            .bind(&key)
                            .execute(&mut *self.tx)
                            .await
                            .map_err(crate::map_err)?;
                        files.push(AttachmentId::from_stored(attachment));
                    }
                }
                Ok(files)
            }
        }

        #[async_trait]
        impl WriteTx for Tx {
            async fn put_meta(&mut self, key: &str, value: &str) -> Result<()> {
                sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(value)
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn get_meta_for_update(&mut self, key: &str) -> Result<Option<String>> {
                let sql = if $backend == "postgres" {
                    "SELECT value FROM meta WHERE key = $1 FOR UPDATE"
                } else {
                    "SELECT value FROM meta WHERE key = $1"
                };
                sqlx::query_scalar(sql)
                    .bind(key)
                    .fetch_optional(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)
            }

            async fn rewrap_data_key(&mut self, id: &str, wrapped: &[u8], check: &str) -> Result<()> {
                let done = sqlx::query("UPDATE data_keys SET wrapped = $2, master_key_check = $3 WHERE id = $1")
                    .bind(id)
                    .bind(wrapped)
                    .bind(check)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                if done.rows_affected() != 1 {
                    return Err(hippo_store::StoreError::Other(format!("data key {id} vanished")));
                }
                Ok(())
            }

            async fn insert_data_key(&mut self, k: &DataKeyRow) -> Result<()> {
                sqlx::query(
                    "INSERT INTO data_keys (id, purpose, wrapped, master_key_check, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&k.id)
                .bind(&k.purpose)
                .bind(&k.wrapped)
                .bind(&k.master_key_check)
                .bind(k.created_at.as_millis())
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn get_user(&mut self, id: &UserId) -> Result<Option<UserRow>> {
                let row = sqlx::query(SELECT_USER_BY_ID)
                    .bind(id.as_str())
                    .fetch_optional(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                row.as_ref().map(user_from_row).transpose()
            }

            async fn insert_user(&mut self, u: &UserRow) -> Result<()> {
                sqlx::query(
                    "INSERT INTO users (id, username_index, username_enc, display_name_enc, role, status, \
                     password_hash, must_change_password, mfa_enabled, mfa_secret_enc, mfa_pending_secret_enc, \
                     totp_last_step, failed_logins, locked_until, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                )
                .bind(u.id.as_str())
                .bind(&u.username_index)
                .bind(&u.username_enc)
                .bind(&u.display_name_enc)
                .bind(u.role.as_str())
                .bind(u.status.as_str())
                .bind(&u.password_hash)
                .bind(u.must_change_password)
                .bind(u.mfa_enabled)
                .bind(&u.mfa_secret_enc)
                .bind(&u.mfa_pending_secret_enc)
                .bind(u.totp_last_step)
                .bind(u.failed_logins)
                .bind(u.locked_until.map(Timestamp::as_millis))
                .bind(u.created_at.as_millis())
                .bind(u.updated_at.as_millis())
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn update_user(&mut self, u: &UserRow) -> Result<()> {
                sqlx::query(
                    "UPDATE users SET username_index = $2, username_enc = $3, display_name_enc = $4, \
                     role = $5, status = $6, password_hash = $7, must_change_password = $8, \
                     mfa_enabled = $9, mfa_secret_enc = $10, mfa_pending_secret_enc = $11, \
                     totp_last_step = $12, failed_logins = $13, locked_until = $14, updated_at = $15 \
                     WHERE id = $1",
                )
                .bind(u.id.as_str())
                .bind(&u.username_index)
                .bind(&u.username_enc)
                .bind(&u.display_name_enc)
                .bind(u.role.as_str())
                .bind(u.status.as_str())
                .bind(&u.password_hash)
                .bind(u.must_change_password)
                .bind(u.mfa_enabled)
                .bind(&u.mfa_secret_enc)
                .bind(&u.mfa_pending_secret_enc)
                .bind(u.totp_last_step)
                .bind(u.failed_logins)
                .bind(u.locked_until.map(Timestamp::as_millis))
                .bind(u.updated_at.as_millis())
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn increment_failed_logins(&mut self, id: &UserId, at: Timestamp) -> Result<i64> {
                let row = sqlx::query(
                    "UPDATE users SET failed_logins = failed_logins + 1, updated_at = $2 \
                     WHERE id = $1 RETURNING failed_logins",
                )
                .bind(id.as_str())
                .bind(at.as_millis())
                .fetch_one(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                row.try_get(0).map_err(crate::map_err)
            }

            async fn claim_totp_step(&mut self, id: &UserId, step: i64) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE users SET totp_last_step = $2 \
                     WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
                )
                .bind(id.as_str())
                .bind(step)
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_session(&mut self, s: &Session, token_hash: &str) -> Result<()> {
                sqlx::query(
                    "INSERT INTO sessions (id, user_id, token_hash, scope, created_at, last_seen_at, \
                     expires_at, ip, user_agent, ended_at, end_reason) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(s.id.as_str())
                .bind(s.user_id.as_str())
                .bind(token_hash)
                .bind(s.scope.as_str())
                .bind(s.created_at.as_millis())
                .bind(s.last_seen_at.as_millis())
                .bind(s.expires_at.as_millis())
                .bind(&s.ip)
                .bind(&s.user_agent)
                .bind(s.ended_at.map(Timestamp::as_millis))
                .bind(&s.end_reason)
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn end_session(&mut self, id: &SessionId, at: Timestamp, reason: &str) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE sessions SET ended_at = $2, end_reason = $3 WHERE id = $1 AND ended_at IS NULL",
                )
                .bind(id.as_str())
                .bind(at.as_millis())
                .bind(reason)
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn end_user_sessions(
                &mut self,
                user: &UserId,
                keep: Option<&SessionId>,
                at: Timestamp,
                reason: &str,
            ) -> Result<Vec<SessionId>> {
                let rows = sqlx::query(
                    "UPDATE sessions SET ended_at = $2, end_reason = $3 \
                     WHERE user_id = $1 AND ended_at IS NULL AND ($4 IS NULL OR id <> $4) RETURNING id",
                )
                .bind(user.as_str())
                .bind(at.as_millis())
                .bind(reason)
                .bind(keep.map(SessionId::as_str))
                .fetch_all(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                rows.iter()
                    .map(|r| r.try_get::<String, _>(0).map(SessionId::from_stored).map_err(crate::map_err))
                    .collect()
            }

            async fn append_audit(&mut self, e: &NewAuditEvent) -> Result<i64> {
                // Taking the head row's write lock first serialises appenders
                // until commit: gapless seq, a single chain.
                let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                    .fetch_one(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                let seq: i64 = head.try_get(0).map_err(crate::map_err)?;
                let prev_hash: String = head.try_get(1).map_err(crate::map_err)?;
                let detail = hippo_store::chain::detail_text(e);
                let hash = hippo_store::chain::hash_new(seq, &prev_hash, e, &detail);
                sqlx::query(
                    "INSERT INTO audit_events (seq, at, actor_id, session_id, ip, user_agent, request_id, \
                     action, resource_type, resource_id, patient_id, outcome, detail, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(seq)
                .bind(e.at.as_millis())
                .bind(e.actor_id.as_ref().map(UserId::as_str))
                .bind(e.session_id.as_ref().map(SessionId::as_str))
                .bind(&e.meta.ip)
                .bind(&e.meta.user_agent)
                .bind(&e.meta.request_id)
                .bind(e.action.as_str())
                .bind(e.resource_type)
                .bind(&e.resource_id)
                .bind(&e.patient_id)
                .bind(e.outcome.as_str())
                .bind(&detail)
                .bind(&prev_hash)
                .bind(&hash)
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                    .bind(&hash)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(seq)
            }

            async fn set_retention(&mut self, id: &ConversationId, secs: Option<i64>) -> Result<()> {
                sqlx::query("UPDATE conversations SET retention_secs = $2 WHERE id = $1")
                    .bind(id.as_str())
                    .bind(secs)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(())
            }

            async fn set_legal_hold(
                &mut self,
                id: &ConversationId,
                hold: Option<(Timestamp, &[u8])>,
            ) -> Result<()> {
                sqlx::query(
                    "UPDATE conversations SET legal_hold_since = $2, legal_hold_reason_enc = $3 WHERE id = $1",
                )
                .bind(id.as_str())
                .bind(hold.map(|(t, _)| t.as_millis()))
                .bind(hold.map(|(_, r)| r.to_vec()))
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn purge_messages_before(&mut self, id: &ConversationId, before: Timestamp) -> Result<PurgeResult> {
                let before = before.as_millis();
                let linked: Vec<String> = sqlx::query_scalar(
                    "SELECT DISTINCT ma.attachment_id FROM message_attachments ma JOIN messages m \
                     ON m.id = ma.message_id WHERE m.conversation_id = $1 AND m.created_at < $2",
                )
                .bind(id.as_str())
                .bind(before)
                .fetch_all(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                for table in ["message_attachments", "message_versions", "whatsapp_outbox"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM {table} WHERE message_id IN \
                         (SELECT id FROM messages WHERE conversation_id = $1 AND created_at < $2)"
                    )))
                    .bind(id.as_str())
                    .bind(before)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                }
                let done = sqlx::query("DELETE FROM messages WHERE conversation_id = $1 AND created_at < $2")
                    .bind(id.as_str())
                    .bind(before)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(PurgeResult {
                    messages: i64::try_from(done.rows_affected()).unwrap_or(i64::MAX),
                    files: self.remove_unshared_attachments(linked).await?,
                })
            }

            async fn purge_unshared_attachments(&mut self, before: Timestamp) -> Result<Vec<AttachmentId>> {
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT a.id FROM attachments a WHERE a.created_at < $1 AND NOT EXISTS \
                     (SELECT 1 FROM message_attachments ma WHERE ma.attachment_id = a.id) ORDER BY a.id LIMIT 10000",
                )
                .bind(before.as_millis())
                .fetch_all(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                self.remove_unshared_attachments(ids).await
            }

            async fn record_login_failure(&mut self, source: &str, now: Timestamp, expired_before: Timestamp) -> Result<()> {
                sqlx::query(
                    "INSERT INTO login_failures (source, window_start, failures) VALUES ($1, $2, 1) \
                     ON CONFLICT (source) DO UPDATE SET \
                     failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END, \
                     window_start = CASE WHEN login_failures.window_start <= $3 THEN excluded.window_start ELSE login_failures.window_start END",
                )
                .bind(source)
                .bind(now.as_millis())
                .bind(expired_before.as_millis())
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn prune_login_failures(&mut self, expired_before: Timestamp) -> Result<()> {
                sqlx::query("DELETE FROM login_failures WHERE window_start <= $1")
                    .bind(expired_before.as_millis())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(())
            }

            async fn release_lease(&mut self, name: &str, holder: &str) -> Result<()> {
                sqlx::query("UPDATE job_leases SET expires_at = 0 WHERE name = $1 AND holder = $2")
                    .bind(name)
                    .bind(holder)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(())
            }

            async fn claim_lease(&mut self, name: &str, holder: &str, now: Timestamp, until: Timestamp) -> Result<bool> {
                let got: Option<String> = sqlx::query_scalar(
                    "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $4) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                     WHERE job_leases.expires_at <= $3 OR job_leases.holder = excluded.holder \
                     RETURNING holder",
                )
                .bind(name)
                .bind(holder)
                .bind(now.as_millis())
                .bind(until.as_millis())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(got.is_some())
            }

            async fn insert_backup_key_file(&mut self, row: &BackupKeyFileRow) -> Result<()> {
                sqlx::query(
                    "INSERT INTO backup_key_files (path, backup_id, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (path) DO UPDATE SET backup_id = excluded.backup_id, created_at = excluded.created_at",
                )
                .bind(&row.path)
                .bind(&row.backup_id)
                .bind(row.created_at.as_millis())
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn delete_backup_key_file(&mut self, path: &str) -> Result<()> {
                sqlx::query("DELETE FROM backup_key_files WHERE path = $1")
                    .bind(path)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(())
            }

            async fn restore_data_keys(&mut self, keys: &[DataKeyRow]) -> Result<Vec<String>> {
                for key in keys {
                    sqlx::query(
                        "UPDATE data_keys SET wrapped = $2, master_key_check = $3 WHERE id = $1 AND purpose <> 'destroyed'",
                    )
                    .bind(&key.id)
                    .bind(&key.wrapped)
                    .bind(&key.master_key_check)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                }
                let gone: Vec<String> = sqlx::query_scalar(
                    "UPDATE data_keys SET purpose = 'destroyed' WHERE length(wrapped) = 0 AND purpose <> 'destroyed' RETURNING id",
                )
                .fetch_all(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(gone)
            }

            async fn conversations_with_keys(&mut self, ids: &[String]) -> Result<Vec<ConversationId>> {
                let mut out = Vec::new();
                for id in ids {
                    let found: Vec<String> = sqlx::query_scalar(
                        "SELECT id FROM conversations WHERE data_key_id = $1 AND erased_at IS NULL",
                    )
                    .bind(id)
                    .fetch_all(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                    out.extend(found.into_iter().map(ConversationId::from_stored));
                }
                Ok(out)
            }

            async fn remove_attachments_with_keys(&mut self, ids: &[String]) -> Result<Vec<AttachmentId>> {
                let mut files = Vec::new();
                for id in ids {
                    let found: Vec<String> = sqlx::query_scalar("SELECT id FROM attachments WHERE data_key_id = $1")
                        .bind(id)
                        .fetch_all(&mut *self.tx)
                        .await
                        .map_err(crate::map_err)?;
                    for attachment in found {
                        for sql in [
                            "DELETE FROM message_attachments WHERE attachment_id = $1",
                            "DELETE FROM attachments WHERE id = $1",
                        ] {
                            sqlx::query(sql)
                                .bind(&attachment)
                                .execute(&mut *self.tx)
                                .await
                                .map_err(crate::map_err)?;
                        }
                        files.push(AttachmentId::from_stored(attachment));
                    }
                    sqlx::query("DELETE FROM data_keys WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM conversations WHERE data_key_id = $1)")
                        .bind(id)
                        .execute(&mut *self.tx)
                        .await
                        .map_err(crate::map_err)?;
                }
                Ok(files)
            }

            async fn erase_conversation(
                &mut self,
                id: &ConversationId,
                data_key_id: &str,
                reason_enc: &[u8],
                at: Timestamp,
            ) -> Result<PurgeResult> {
                // Everything with a created_at before the end of time.
                let result = self.purge_messages_before(id, Timestamp::from_millis(i64::MAX)).await?;
                for sql in [
                    "DELETE FROM read_marks WHERE conversation_id = $1",
                    "DELETE FROM conversation_members WHERE conversation_id = $1",
                ] {
                    sqlx::query(sql)
                        .bind(id.as_str())
                        .execute(&mut *self.tx)
                        .await
                        .map_err(crate::map_err)?;
                }
                sqlx::query(
                    "UPDATE conversations SET title_enc = NULL, erased_at = $2, erase_reason_enc = $3 WHERE id = $1",
                )
                .bind(id.as_str())
                .bind(at.as_millis())
                .bind(reason_enc)
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                // The wrapped key is overwritten: nothing sealed with it can be
                // opened again, wherever a copy of the ciphertext survives.
                sqlx::query("UPDATE data_keys SET wrapped = $2, purpose = 'destroyed' WHERE id = $1")
                    .bind(data_key_id)
                    .bind(Vec::<u8>::new())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                // Open emergency access ends with it.
                sqlx::query("UPDATE break_glass SET expires_at = $2 WHERE conversation_id = $1 AND expires_at > $2")
                    .bind(id.as_str())
                    .bind(at.as_millis())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(result)
            }

            async fn insert_alert(&mut self, a: &AlertRow) -> Result<()> {
                sqlx::query("INSERT INTO security_alerts (id, at, kind, severity, detail) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&a.id)
                    .bind(a.at.as_millis())
                    .bind(&a.kind)
                    .bind(&a.severity)
                    .bind(&a.detail)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(())
            }

            async fn insert_break_glass(&mut self, b: &BreakGlassRow) -> Result<()> {
                sqlx::query(
                    "INSERT INTO break_glass (id, conversation_id, user_id, reason_enc, opened_at, expires_at, \
                     reviewed_at, reviewed_by, review_note_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&b.id)
                .bind(b.conversation_id.as_str())
                .bind(b.user_id.as_str())
                .bind(&b.reason_enc)
                .bind(b.opened_at.as_millis())
                .bind(b.expires_at.as_millis())
                .bind(b.reviewed_at.map(Timestamp::as_millis))
                .bind(b.reviewed_by.as_ref().map(UserId::as_str))
                .bind(&b.review_note_enc)
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn review_break_glass(
                &mut self,
                id: &str,
                by: &UserId,
                note_enc: &[u8],
                at: Timestamp,
            ) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE break_glass SET reviewed_at = $2, reviewed_by = $3, review_note_enc = $4 \
                     WHERE id = $1 AND reviewed_at IS NULL",
                )
                .bind(id)
                .bind(at.as_millis())
                .bind(by.as_str())
                .bind(note_enc)
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_key_endorsement(&mut self, k: &KeyEndorsementRow) -> Result<()> {
                sqlx::query(
                    "INSERT INTO audit_key_endorsements (key_id, public_key, endorsed_by, endorsement, at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&k.key_id)
                .bind(&k.public_key)
                .bind(&k.endorsed_by)
                .bind(&k.endorsement)
                .bind(k.at.as_millis())
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn insert_checkpoint(&mut self, c: &CheckpointRow) -> Result<()> {
                sqlx::query(
                    "INSERT INTO audit_checkpoints (seq, head_hash, at, signature, key_id) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(c.seq)
                .bind(&c.head_hash)
                .bind(c.at.as_millis())
                .bind(&c.signature)
                .bind(&c.key_id)
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn insert_conversation(&mut self, c: &ConversationRow) -> Result<()> {
                sqlx::query(
                    "INSERT INTO conversations (id, kind, title_enc, data_key_id, created_by, created_at, \
                     updated_at, last_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(c.id.as_str())
                .bind(c.kind.as_str())
                .bind(&c.title_enc)
                .bind(&c.data_key_id)
                .bind(c.created_by.as_str())
                .bind(c.created_at.as_millis())
                .bind(c.updated_at.as_millis())
                .bind(c.last_seq)
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn update_conversation_title(
                &mut self,
                id: &ConversationId,
                title_enc: Option<&[u8]>,
                at: Timestamp,
            ) -> Result<()> {
                sqlx::query("UPDATE conversations SET title_enc = $2, updated_at = $3 WHERE id = $1")
                    .bind(id.as_str())
                    .bind(title_enc)
                    .bind(at.as_millis())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(())
            }

            async fn add_member(&mut self, c: &ConversationId, user: &UserId, at: Timestamp) -> Result<bool> {
                let done = sqlx::query(
                    "INSERT INTO conversation_members (conversation_id, user_id, added_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (conversation_id, user_id) DO NOTHING",
                )
                .bind(c.as_str())
                .bind(user.as_str())
                .bind(at.as_millis())
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn remove_member(&mut self, c: &ConversationId, user: &UserId) -> Result<bool> {
                let done = sqlx::query("DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2")
                    .bind(c.as_str())
                    .bind(user.as_str())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn next_seq(&mut self, c: &ConversationId, at: Timestamp) -> Result<i64> {
                let row = sqlx::query(
                    "UPDATE conversations SET last_seq = last_seq + 1, updated_at = $2 WHERE id = $1 RETURNING last_seq",
                )
                .bind(c.as_str())
                .bind(at.as_millis())
                .fetch_one(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                row.try_get(0).map_err(crate::map_err)
            }

            async fn find_by_client_id(
                &mut self,
                c: &ConversationId,
                sender: &UserId,
                client_id: &str,
            ) -> Result<Option<MessageRow>> {
                let row = sqlx::query(select_messages!("WHERE conversation_id = $1 AND sender_id = $2 AND client_id = $3"))
                    .bind(c.as_str())
                    .bind(sender.as_str())
                    .bind(client_id)
                    .fetch_optional(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                row.as_ref().map(message_from_row).transpose()
            }

            async fn insert_message(&mut self, m: &MessageRow) -> Result<()> {
                let wa = m.whatsapp.as_ref();
                sqlx::query(
                    "INSERT INTO messages (id, conversation_id, seq, sender_id, body_enc, priority, client_id, \
                     created_at, edited_at, deleted_at, channel, channel_state, channel_updated_at, \
                     channel_error_code, channel_error_title, wamid) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                )
                .bind(m.id.as_str())
                .bind(m.conversation_id.as_str())
                .bind(m.seq)
                .bind(m.sender_id.as_str())
                .bind(&m.body_enc)
                .bind(m.priority.as_str())
                .bind(&m.client_id)
                .bind(m.created_at.as_millis())
                .bind(m.edited_at.map(Timestamp::as_millis))
                .bind(m.deleted_at.map(Timestamp::as_millis))
                .bind(if wa.is_some() { "whatsapp" } else { "hippo" })
                .bind(wa.map(|w| w.state.as_str()))
                .bind(wa.map(|w| w.updated_at.as_millis()))
                .bind(wa.and_then(|w| w.error_code))
                .bind(wa.and_then(|w| w.error_title.clone()))
                .bind(wa.and_then(|w| w.wamid.clone()))
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn get_message_for_update(&mut self, id: &MessageId) -> Result<Option<MessageRow>> {
                let row = sqlx::query(select_messages!("WHERE id = $1"))
                    .bind(id.as_str())
                    .fetch_optional(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                row.as_ref().map(message_from_row).transpose()
            }

            async fn edit_message(
                &mut self,
                id: &MessageId,
                version: i64,
                previous_enc: &[u8],
                body_enc: &[u8],
                at: Timestamp,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO message_versions (message_id, version, body_enc, replaced_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(id.as_str())
                .bind(version)
                .bind(previous_enc)
                .bind(at.as_millis())
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                sqlx::query("UPDATE messages SET body_enc = $2, edited_at = $3 WHERE id = $1")
                    .bind(id.as_str())
                    .bind(body_enc)
                    .bind(at.as_millis())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(())
            }

            async fn insert_attachment(&mut self, a: &AttachmentRow) -> Result<()> {
                sqlx::query(
                    "INSERT INTO attachments (id, uploader_id, data_key_id, filename_enc, content_type, size, \
                     sha256_enc, chunk_size, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(a.id.as_str())
                .bind(a.uploader_id.as_str())
                .bind(&a.data_key_id)
                .bind(&a.filename_enc)
                .bind(&a.content_type)
                .bind(a.size)
                .bind(&a.sha256_enc)
                .bind(a.chunk_size)
                .bind(a.created_at.as_millis())
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn link_attachment(
                &mut self,
                m: &MessageRow,
                attachment: &AttachmentId,
                position: i64,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO message_attachments (message_id, attachment_id, conversation_id, seq, position) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(m.id.as_str())
                .bind(attachment.as_str())
                .bind(m.conversation_id.as_str())
                .bind(m.seq)
                .bind(position)
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(())
            }

            async fn recall_message(&mut self, id: &MessageId, at: Timestamp) -> Result<()> {
                sqlx::query("DELETE FROM message_attachments WHERE message_id = $1")
                    .bind(id.as_str())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                sqlx::query("UPDATE message_versions SET body_enc = NULL WHERE message_id = $1")
                    .bind(id.as_str())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                sqlx::query("UPDATE messages SET body_enc = NULL, deleted_at = $2 WHERE id = $1")
                    .bind(id.as_str())
                    .bind(at.as_millis())
                    .execute(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                Ok(())
            }

            async fn count_versions(&mut self, id: &MessageId) -> Result<i64> {
                let row = sqlx::query("SELECT COUNT(*) FROM message_versions WHERE message_id = $1")
                    .bind(id.as_str())
                    .fetch_one(&mut *self.tx)
                    .await
                    .map_err(crate::map_err)?;
                row.try_get(0).map_err(crate::map_err)
            }

            async fn raise_mark(
                &mut self,
                c: &ConversationId,
                user: &UserId,
                kind: MarkKind,
                up_to_seq: i64,
                at: Timestamp,
            ) -> Result<bool> {
                let done = sqlx::query(
                    "INSERT INTO read_marks (conversation_id, user_id, kind, up_to_seq, at) \
                     SELECT $1, $2, $3, $4, $5 WHERE $4 > COALESCE((SELECT MAX(up_to_seq) FROM read_marks \
                     WHERE conversation_id = $1 AND user_id = $2 AND kind = $3), 0)",
                )
                .bind(c.as_str())
                .bind(user.as_str())
                .bind(kind.as_str())
                .bind(up_to_seq)
                .bind(at.as_millis())
                .execute(&mut *self.tx)
                .await
                .map_err(crate::map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn commit(self: Box<Self>) -> Result<()> {
                self.tx.commit().await
            }
        }

        #[async_trait]
        impl hippo_store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn begin_write(&self) -> Result<Box<dyn WriteTx>> {
                Ok(Box::new(Tx { tx: self.begin_tx().await? }))
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1")
                    .execute(self.reader())
                    .await
                    .map_err(crate::map_err)?;
                Ok(())
            }

            async fn get_meta(&self, key: &str) -> Result<Option<String>> {
                let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
                    .bind(key)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(crate::map_err)?;
                row.map(|r| r.try_get(0).map_err(crate::map_err)).transpose()
            }

            async fn list_data_keys(&self) -> Result<Vec<DataKeyRow>> {
                let rows = sqlx::query(
                    "SELECT id, purpose, wrapped, master_key_check, created_at FROM data_keys ORDER BY created_at, id",
                )
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter().map(data_key_from_row).collect()
            }

            async fn get_user(&self, id: &UserId) -> Result<Option<UserRow>> {
                let row = sqlx::query(SELECT_USER_BY_ID)
                    .bind(id.as_str())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(crate::map_err)?;
                row.as_ref().map(user_from_row).transpose()
            }

            async fn get_user_by_index(&self, username_index: &str) -> Result<Option<UserRow>> {
                let row = sqlx::query(select_users!("WHERE username_index = $1"))
                .bind(username_index)
                .fetch_optional(self.reader())
                .await
                .map_err(crate::map_err)?;
                row.as_ref().map(user_from_row).transpose()
            }

            async fn list_users(&self) -> Result<Vec<UserRow>> {
                let rows = sqlx::query(select_users!("ORDER BY created_at, id"))
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter().map(user_from_row).collect()
            }

            async fn get_session_by_token_hash(&self, token_hash: &str) -> Result<Option<Session>> {
                let row = sqlx::query(select_sessions!("WHERE token_hash = $1"))
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await
                .map_err(crate::map_err)?;
                row.as_ref().map(session_from_row).transpose()
            }

            async fn get_session(&self, id: &SessionId) -> Result<Option<Session>> {
                let row = sqlx::query(select_sessions!("WHERE id = $1"))
                .bind(id.as_str())
                .fetch_optional(self.reader())
                .await
                .map_err(crate::map_err)?;
                row.as_ref().map(session_from_row).transpose()
            }

            async fn list_open_sessions(&self, user: &UserId) -> Result<Vec<Session>> {
                let rows = sqlx::query(select_sessions!("WHERE user_id = $1 AND ended_at IS NULL ORDER BY created_at, id"))
                .bind(user.as_str())
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter().map(session_from_row).collect()
            }

            async fn list_expired_sessions(&self, now: Timestamp, idle_since: Timestamp) -> Result<Vec<Session>> {
                let rows = sqlx::query(select_sessions!(
                    "WHERE ended_at IS NULL AND (expires_at <= $1 OR last_seen_at <= $2) ORDER BY created_at, id"
                ))
                .bind(now.as_millis())
                .bind(idle_since.as_millis())
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter().map(session_from_row).collect()
            }

            async fn list_audit(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
                // The page comes back as one JSON array built by the database:
                // one row to transfer instead of thousands (verification and
                // exports read the whole trail this way).
                let text: Option<String> = sqlx::query_scalar($list_audit_json)
                    .bind(after_seq)
                    .bind(limit)
                    .fetch_one(self.reader())
                    .await
                    .map_err(crate::map_err)?;
                crate::audit_page::decode(text.as_deref().unwrap_or("[]"))
            }

            async fn query_audit(&self, f: &AuditFilter, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
                let rows = sqlx::query(
                    "SELECT seq, at, actor_id, session_id, ip, user_agent, request_id, action, \
                     resource_type, resource_id, patient_id, outcome, detail, prev_hash, hash \
                     FROM audit_events WHERE seq > $1 \
                     AND ($2 IS NULL OR actor_id = $2) AND ($3 IS NULL OR action = $3) \
                     AND ($4 IS NULL OR resource_id = $4) AND ($5 IS NULL OR patient_id = $5) \
                     AND ($6 IS NULL OR outcome = $6) AND ($7 IS NULL OR session_id = $7) \
                     AND ($8 IS NULL OR ip = $8) AND ($9 IS NULL OR at >= $9) AND ($10 IS NULL OR at < $10) \
                     ORDER BY seq LIMIT $11",
                )
                .bind(after_seq)
                .bind(&f.actor_id)
                .bind(&f.action)
                .bind(&f.resource_id)
                .bind(&f.patient_id)
                .bind(&f.outcome)
                .bind(&f.session_id)
                .bind(&f.ip)
                .bind(f.since.map(Timestamp::as_millis))
                .bind(f.until.map(Timestamp::as_millis))
                .bind(limit)
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter().map(audit_from_row).collect()
            }

            async fn audit_head(&self) -> Result<(i64, String)> {
                let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                    .fetch_one(self.reader())
                    .await
                    .map_err(crate::map_err)?;
                Ok((
                    row.try_get(0).map_err(crate::map_err)?,
                    row.try_get(1).map_err(crate::map_err)?,
                ))
            }

            async fn list_key_endorsements(&self) -> Result<Vec<KeyEndorsementRow>> {
                let rows = sqlx::query(
                    "SELECT key_id, public_key, endorsed_by, endorsement, at FROM audit_key_endorsements ORDER BY at",
                )
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter()
                    .map(|r| {
                        let g = |e| crate::map_err(e);
                        Ok(KeyEndorsementRow {
                            key_id: r.try_get("key_id").map_err(g)?,
                            public_key: r.try_get("public_key").map_err(g)?,
                            endorsed_by: r.try_get("endorsed_by").map_err(g)?,
                            endorsement: r.try_get("endorsement").map_err(g)?,
                            at: ts(r.try_get("at").map_err(g)?),
                        })
                    })
                    .collect()
            }

            async fn list_checkpoints(&self) -> Result<Vec<CheckpointRow>> {
                let rows = sqlx::query(
                    "SELECT seq, head_hash, at, signature, key_id FROM audit_checkpoints ORDER BY seq",
                )
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter()
                    .map(|r| {
                        let g = |e| crate::map_err(e);
                        Ok(CheckpointRow {
                            seq: r.try_get("seq").map_err(g)?,
                            head_hash: r.try_get("head_hash").map_err(g)?,
                            at: ts(r.try_get("at").map_err(g)?),
                            signature: r.try_get("signature").map_err(g)?,
                            key_id: r.try_get("key_id").map_err(g)?,
                        })
                    })
                    .collect()
            }

            async fn active_break_glass(
                &self,
                c: &ConversationId,
                user: &UserId,
                now: Timestamp,
            ) -> Result<Option<BreakGlassRow>> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{SELECT_BREAK_GLASS} WHERE conversation_id = $1 AND user_id = $2 AND expires_at > $3 \
                     ORDER BY expires_at DESC LIMIT 1"
                )))
                .bind(c.as_str())
                .bind(user.as_str())
                .bind(now.as_millis())
                .fetch_optional(self.reader())
                .await
                .map_err(crate::map_err)?;
                row.as_ref().map(break_glass_from_row).transpose()
            }

            async fn get_break_glass(&self, id: &str) -> Result<Option<BreakGlassRow>> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_BREAK_GLASS} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(crate::map_err)?;
                row.as_ref().map(break_glass_from_row).transpose()
            }

            async fn list_break_glass(&self, pending_only: bool) -> Result<Vec<BreakGlassRow>> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{SELECT_BREAK_GLASS} WHERE ($1 = 0 OR reviewed_at IS NULL) ORDER BY opened_at, id"
                )))
                .bind(i64::from(pending_only))
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter().map(break_glass_from_row).collect()
            }

            async fn conversation_policy(&self, id: &ConversationId) -> Result<Option<ConversationPolicy>> {
                let row = sqlx::query(
                    "SELECT id, retention_secs, legal_hold_since, legal_hold_reason_enc, erased_at FROM conversations WHERE id = $1",
                )
                .bind(id.as_str())
                .fetch_optional(self.reader())
                .await
                .map_err(crate::map_err)?;
                row.as_ref().map(policy_from_row).transpose()
            }

            async fn list_conversation_policies(&self) -> Result<Vec<ConversationPolicy>> {
                let rows = sqlx::query(
                    "SELECT id, retention_secs, legal_hold_since, legal_hold_reason_enc, erased_at FROM conversations \
                     WHERE erased_at IS NULL ORDER BY id",
                )
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter().map(policy_from_row).collect()
            }

            async fn list_alerts(&self, since: Option<Timestamp>, limit: i64) -> Result<Vec<AlertRow>> {
                let rows = sqlx::query(
                    "SELECT id, at, kind, severity, detail FROM security_alerts \
                     WHERE ($1 IS NULL OR at >= $1) ORDER BY at DESC, id DESC LIMIT $2",
                )
                .bind(since.map(Timestamp::as_millis))
                .bind(limit)
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter()
                    .map(|r| {
                        let g = |e| crate::map_err(e);
                        Ok(AlertRow {
                            id: r.try_get("id").map_err(g)?,
                            at: ts(r.try_get("at").map_err(g)?),
                            kind: r.try_get("kind").map_err(g)?,
                            severity: r.try_get("severity").map_err(g)?,
                            detail: r.try_get("detail").map_err(g)?,
                        })
                    })
                    .collect()
            }

            async fn get_data_key(&self, id: &str) -> Result<Option<DataKeyRow>> {
                let row = sqlx::query(
                    "SELECT id, purpose, wrapped, master_key_check, created_at FROM data_keys WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(self.reader())
                .await
                .map_err(crate::map_err)?;
                row.as_ref().map(data_key_from_row).transpose()
            }

            async fn get_conversation(&self, id: &ConversationId) -> Result<Option<ConversationRow>> {
                let row = sqlx::query(select_conversations!("WHERE id = $1"))
                    .bind(id.as_str())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(crate::map_err)?;
                row.as_ref().map(conversation_from_row).transpose()
            }

            async fn list_members(&self, c: &ConversationId) -> Result<Vec<UserId>> {
                let rows = sqlx::query(
                    "SELECT user_id FROM conversation_members WHERE conversation_id = $1 ORDER BY added_at, user_id",
                )
                .bind(c.as_str())
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter()
                    .map(|r| r.try_get::<String, _>(0).map(UserId::from_stored).map_err(crate::map_err))
                    .collect()
            }

            async fn is_member(&self, c: &ConversationId, user: &UserId) -> Result<bool> {
                let row = sqlx::query(
                    "SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
                )
                .bind(c.as_str())
                .bind(user.as_str())
                .fetch_optional(self.reader())
                .await
                .map_err(crate::map_err)?;
                Ok(row.is_some())
            }

            async fn list_conversations_for(&self, user: &UserId) -> Result<Vec<ConversationRow>> {
                let rows = sqlx::query(
                    "SELECT c.id, c.kind, c.title_enc, c.data_key_id, c.created_by, c.created_at, c.updated_at, \
                     c.last_seq FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id \
                     WHERE m.user_id = $1 ORDER BY c.updated_at DESC, c.id",
                )
                .bind(user.as_str())
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter().map(conversation_from_row).collect()
            }

            async fn list_messages(&self, c: &ConversationId, after_seq: i64, limit: i64) -> Result<Vec<MessageRow>> {
                let rows = sqlx::query(select_messages!("WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"))
                    .bind(c.as_str())
                    .bind(after_seq)
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::map_err)?;
                rows.iter().map(message_from_row).collect()
            }

            async fn get_message(&self, id: &MessageId) -> Result<Option<MessageRow>> {
                let row = sqlx::query(select_messages!("WHERE id = $1"))
                    .bind(id.as_str())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(crate::map_err)?;
                row.as_ref().map(message_from_row).transpose()
            }

            async fn get_attachment(&self, id: &AttachmentId) -> Result<Option<AttachmentRow>> {
                let row = sqlx::query(select_attachments!("", "WHERE a.id = $1"))
                    .bind(id.as_str())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(crate::map_err)?;
                row.as_ref().map(attachment_from_row).transpose()
            }

            async fn attachment_conversations(&self, id: &AttachmentId) -> Result<Vec<ConversationId>> {
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT DISTINCT conversation_id FROM message_attachments WHERE attachment_id = $1 ORDER BY conversation_id",
                )
                .bind(id.as_str())
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                Ok(ids.into_iter().map(ConversationId::from_stored).collect())
            }

            async fn attachment_shared_with(&self, id: &AttachmentId, user: &UserId) -> Result<bool> {
                let row = sqlx::query(
                    "SELECT 1 FROM message_attachments ma JOIN conversation_members cm \
                     ON cm.conversation_id = ma.conversation_id \
                     WHERE ma.attachment_id = $1 AND cm.user_id = $2 LIMIT 1",
                )
                .bind(id.as_str())
                .bind(user.as_str())
                .fetch_optional(self.reader())
                .await
                .map_err(crate::map_err)?;
                Ok(row.is_some())
            }

            async fn list_message_attachments(
                &self,
                c: &ConversationId,
                after_seq: i64,
                up_to_seq: i64,
            ) -> Result<Vec<MessageAttachmentRow>> {
                let rows = sqlx::query(select_attachments!(
                    "ma.message_id, ma.seq, ",
                    "JOIN message_attachments ma ON ma.attachment_id = a.id \
                     WHERE ma.conversation_id = $1 AND ma.seq > $2 AND ma.seq <= $3 \
                     ORDER BY ma.seq, ma.position"
                ))
                .bind(c.as_str())
                .bind(after_seq)
                .bind(up_to_seq)
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                rows.iter()
                    .map(|r| {
                        Ok(MessageAttachmentRow {
                            message_id: MessageId::from_stored(r.try_get("message_id").map_err(crate::map_err)?),
                            seq: r.try_get("seq").map_err(crate::map_err)?,
                            attachment: attachment_from_row(r)?,
                        })
                    })
                    .collect()
            }

            async fn receipts(&self, c: &ConversationId, seq: i64) -> Result<Vec<ReceiptRow>> {
                let rows = sqlx::query(
                    "SELECT user_id, kind, MIN(at) AS at FROM read_marks \
                     WHERE conversation_id = $1 AND up_to_seq >= $2 GROUP BY user_id, kind ORDER BY user_id",
                )
                .bind(c.as_str())
                .bind(seq)
                .fetch_all(self.reader())
                .await
                .map_err(crate::map_err)?;
                let mut out: Vec<ReceiptRow> = Vec::new();
                for r in &rows {
                    let user = UserId::from_stored(r.try_get("user_id").map_err(crate::map_err)?);
                    let kind: String = r.try_get("kind").map_err(crate::map_err)?;
                    let at = ts(r.try_get("at").map_err(crate::map_err)?);
                    let entry = match out.iter_mut().find(|x| x.user_id == user) {
                        Some(e) => e,
                        None => {
                            out.push(ReceiptRow { user_id: user, delivered_at: None, read_at: None });
                            out.last_mut().ok_or_else(|| corrupt("receipts"))?
                        }
                    };
                    if kind == MarkKind::Read.as_str() {
                        entry.read_at = Some(at);
                    } else {
                        entry.delivered_at = Some(at);
                    }
                }
                Ok(out)
            }

            async fn mark_of(&self, c: &ConversationId, user: &UserId, kind: MarkKind) -> Result<i64> {
                let row = sqlx::query(
                    "SELECT COALESCE(MAX(up_to_seq), 0) FROM read_marks WHERE conversation_id = $1 AND user_id = $2 AND kind = $3",
                )
                .bind(c.as_str())
                .bind(user.as_str())
                .bind(kind.as_str())
                .fetch_one(self.reader())
                .await
                .map_err(crate::map_err)?;
                row.try_get(0).map_err(crate::map_err)
            }

            async fn touch_session(&self, id: &SessionId, at: Timestamp) -> Result<()> {
                let mut tx = self.begin_tx().await?;
                sqlx::query(
                    "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2 AND ended_at IS NULL",
                )
                .bind(id.as_str())
                .bind(at.as_millis())
                .execute(&mut *tx)
                .await
                .map_err(crate::map_err)?;
                tx.commit().await
            }

            async fn export_to(&self, dir: &std::path::Path) -> Result<Vec<DataKeyRow>> {
                let rows = self.export_impl(dir).await?;
                rows.iter().map(data_key_from_row).collect()
            }

            async fn import_from(&self, dir: &std::path::Path) -> Result<()> {
                self.import_impl(dir).await
            }

            async fn wipe(&self) -> Result<()> {
                self.wipe_impl().await
            }

            async fn holds_data(&self) -> Result<bool> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM conversations)",
                )
                .fetch_one(self.reader())
                .await
                .map_err(crate::map_err)?;
                Ok(n > 0)
            }

            async fn login_failures(&self, source: &str) -> Result<Option<(Timestamp, i64)>> {
                let row: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT window_start, CAST(failures AS BIGINT) FROM login_failures WHERE source = $1",
                )
                .bind(source)
                .fetch_optional(self.reader())
                .await
                .map_err(crate::map_err)?;
                Ok(row.map(|(start, n)| (ts(start), n)))
            }

            async fn list_backup_key_files(&self) -> Result<Vec<BackupKeyFileRow>> {
                let rows = sqlx::query("SELECT path, backup_id, created_at FROM backup_key_files ORDER BY created_at, path")
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::map_err)?;
                rows.iter()
                    .map(|r| {
                        Ok(BackupKeyFileRow {
                            path: r.try_get("path").map_err(crate::map_err)?,
                            backup_id: r.try_get("backup_id").map_err(crate::map_err)?,
                            created_at: ts(r.try_get("created_at").map_err(crate::map_err)?),
                        })
                    })
                    .collect()
            }

            async fn live_data_key_ids(&self, ids: &[String]) -> Result<Vec<String>> {
                let mut live = Vec::new();
                for chunk in ids.chunks(500) {
                    let list = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
                    let sql = format!("SELECT id FROM data_keys WHERE purpose <> 'destroyed' AND id IN ({list})");
                    let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        q = q.bind(id);
                    }
                    live.extend(q.fetch_all(self.reader()).await.map_err(crate::map_err)?);
                }
                Ok(live)
            }

            async fn close(&self) {
                self.close_pools().await;
            }
        }
    };
}

pub(crate) use {
    select_attachments, select_conversations, select_messages, select_sessions, select_users,
    sql_store,
};
