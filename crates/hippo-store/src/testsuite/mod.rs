//! The storage test suite: behaviour every `Store` implementation must
//! have, one file per storage area. [`storage_suite!`](crate::storage_suite)
//! expands it into one test per case for a backend; `hippo-store-sql` runs it
//! on SQLite and on PostgreSQL. A case receives a fresh, empty store.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test suite: failures panic with context"
)]

pub mod attachments;
pub mod audit;
pub mod calls;
pub mod channel;
pub mod conversations;
pub mod governance;
pub mod incidents;
pub mod keys;
pub mod ops;
pub mod outbox;
pub mod sessions;
pub mod users;
pub mod webhooks;

use crate::chain::{GENESIS_HASH, first_break};
use crate::prelude::*;
use hippo_core::{
    AttachmentId, AuditAction, ConversationId, ConversationKind, MessageId, NewAuditEvent, Outcome,
    Priority, RequestMeta, Role, Session, SessionId, SessionScope, Timestamp, UserId, UserStatus,
};
use std::sync::Arc;

/// Expands into one `#[tokio::test]` per case, each on a fresh store made
/// by the async function `$make`.
#[macro_export]
macro_rules! storage_suite {
    ($make:path) => {
        $crate::storage_suite!(@cases $make;
            users::users_round_trip_every_field,
            users::usernames_are_unique,
            users::failed_logins_count_up,
            users::totp_steps_are_claimed_once,
            users::recovery_codes_are_swapped_once,
            sessions::sessions_lifecycle,
            sessions::expired_sessions_are_listed,
            sessions::touch_only_moves_forward,
            sessions::api_keys_never_idle_and_end_with_their_account,
            audit::dropped_transaction_leaves_nothing,
            audit::audit_chain_is_gapless_and_verifies,
            audit::concurrent_appenders_keep_the_chain,
            audit::audit_queries_filter_on_every_field,
            audit::checkpoints_are_kept_in_order_once_per_seq,
            audit::sequencing_passes_build_the_tree_once,
            audit::tree_heads_are_kept_once_per_size,
            audit::actor_activity_is_the_newest_success,
            audit::daily_counts_group_by_utc_day,
            audit::window_activity_counts_per_account,
            keys::data_keys_round_trip,
            keys::exports_leave_data_keys_out_and_restores_put_them_back,
            conversations::conversations_members_and_messages,
            conversations::concurrent_senders_get_gapless_seq,
            conversations::marks_only_rise_and_make_receipts,
            conversations::unread_counts_last_message_and_direct_pairs,
            attachments::attachments_are_shared_by_messages,
            governance::break_glass_grants_expire_and_are_reviewed_once,
            governance::alerts_are_listed_newest_first,
            governance::retention_and_legal_hold_are_per_conversation,
            governance::a_hold_keeps_what_recalls_remove_until_it_is_cleared,
            governance::purge_removes_old_messages_and_files_shared_nowhere_else,
            governance::erasure_leaves_a_tombstone_and_destroys_the_key,
            ops::meta_upserts,
            ops::job_leases_have_one_holder_until_they_expire,
            ops::login_failures_count_per_source_and_window,
            ops::login_failure_totals_sum_a_prefix_within_a_window,
            ops::ops_figures_name_the_newest_record_of_each_outcome,
            channel::patients_round_trip_and_phones_are_unique,
            channel::templates_keep_their_phi_free_mark_across_syncs,
            outbox::outbox_jobs_are_claimed_when_due_and_settle_once,
            outbox::concurrent_claimers_never_get_the_same_job,
            channel::status_reports_apply_once_and_delivery_is_compare_and_set,
            channel::webhooks_wait_in_the_inbox_until_processed,
            channel::records_about_a_patients_conversation_name_her,
            calls::calls_are_one_live_per_conversation_and_change_by_compare_and_swap,
            incidents::incidents_are_listed_newest_first_and_change_by_compare_and_swap,
            webhooks::events_enqueue_for_subscribers_in_the_changes_transaction,
            webhooks::deliveries_are_claimed_in_order_per_conversation_and_settle,
            webhooks::concurrent_claimers_never_share_a_delivery,
        );
    };
    (@cases $make:path; $($area:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let store = $make().await;
                $crate::testsuite::$area::$case(store).await;
            }
        )*
    };
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// A user row with every optional field set.
pub fn sample_user(index: &str) -> UserRow {
    UserRow {
        id: UserId::generate(),
        username_index: index.to_owned(),
        username_enc: vec![1, 2, 3, 0, 255],
        display_name_enc: vec![9; 40],
        role: Role::Clinician,
        status: UserStatus::Active,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        must_change_password: true,
        mfa_enabled: true,
        mfa_secret_enc: Some(vec![7; 48]),
        mfa_pending_secret_enc: None,
        totp_last_step: Some(42),
        mfa_recovery_enc: None,
        failed_logins: 2,
        locked_until: Some(ts(5_000)),
        created_at: ts(1_000),
        updated_at: ts(2_000),
    }
}

fn sample_session(user: &UserId, created: i64) -> Session {
    Session {
        id: SessionId::generate(),
        user_id: user.clone(),
        scope: SessionScope::Full,
        kind: hippo_core::SessionKind::Login,
        created_at: ts(created),
        last_seen_at: ts(created),
        expires_at: ts(created + 3_600_000),
        ip: Some("127.0.0.1".into()),
        user_agent: None,
        ended_at: None,
        end_reason: None,
    }
}

fn event(action: AuditAction, n: i64) -> NewAuditEvent {
    NewAuditEvent::new(ts(10_000 + n), action, Outcome::Success)
        .meta(&RequestMeta {
            ip: Some("10.0.0.1".into()),
            user_agent: Some("suite".into()),
            request_id: Some(format!("r{n}")),
            client_cert_sha256: None,
        })
        .resource("user", format!("u{n}"))
        .detail(serde_json::json!({ "n": n }))
}

async fn insert(store: &Arc<dyn Store>, user: &UserRow) {
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_user(user).await.unwrap();
    tx.commit().await.unwrap();
}

/// A conversation (with its data key row) between two fresh users.
pub async fn conversation_of_two(store: &Arc<dyn Store>) -> (ConversationRow, UserRow, UserRow) {
    let a = sample_user(&format!("a-{}", UserId::generate()));
    let b = sample_user(&format!("b-{}", UserId::generate()));
    insert(store, &a).await;
    insert(store, &b).await;
    let key = DataKeyRow {
        id: format!("k-{}", UserId::generate()),
        purpose: "conversation".into(),
        wrapped: vec![1; 60],
        master_key_check: "abc".into(),
        created_at: ts(1),
    };
    let c = ConversationRow {
        id: ConversationId::generate(),
        kind: ConversationKind::Group,
        title_enc: Some(vec![8; 30]),
        data_key_id: key.id.clone(),
        created_by: a.id.clone(),
        created_at: ts(10),
        updated_at: ts(10),
        last_seq: 0,
    };
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_data_key(&key).await.unwrap();
    tx.insert_conversation(&c).await.unwrap();
    assert!(tx.add_member(&c.id, &a.id, ts(10)).await.unwrap());
    assert!(tx.add_member(&c.id, &b.id, ts(11)).await.unwrap());
    assert!(
        !tx.add_member(&c.id, &b.id, ts(12)).await.unwrap(),
        "already a member"
    );
    tx.commit().await.unwrap();
    (c, a, b)
}

pub fn message(
    c: &ConversationRow,
    sender: &UserId,
    seq: i64,
    client_id: Option<&str>,
) -> MessageRow {
    MessageRow {
        id: MessageId::generate(),
        conversation_id: c.id.clone(),
        seq,
        sender_id: sender.clone(),
        body_enc: Some(vec![seq as u8; 20]),
        priority: Priority::Urgent,
        client_id: client_id.map(str::to_owned),
        created_at: ts(100 + seq),
        edited_at: None,
        deleted_at: None,
        whatsapp: None,
    }
}
