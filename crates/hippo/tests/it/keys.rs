//! Master key rotation: online, through the real CLI, while the server
//! runs; old and new data readable after a restart with the new key.

use crate::support::TestServer;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn rotating_the_master_key_online_keeps_everything_readable() {
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let a = ana.token.clone();
    let before = s.group(&ana, [&ben], "Before").await;
    let messages = |c: &str| format!("/api/v1/conversations/{c}/messages");
    s.post(&messages(&before), Some(&a), json!({ "body": "old note" }))
        .await;
    let old_file = s.upload_text(&a, "n.txt", "old file").await;
    let key_file = s.config.master_key_file.clone();
    let old_key = std::fs::read(&key_file).unwrap();

    // Rotate while the server runs.
    let out = s.run_cli(&["keys", "rotate"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("data keys rewrapped"), "{stdout}");
    assert_ne!(std::fs::read(&key_file).unwrap(), old_key, "a new key file");
    let retired: Vec<_> = std::fs::read_dir(key_file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".retired-"))
        .collect();
    assert_eq!(retired.len(), 1);
    assert_eq!(std::fs::read(&retired[0]).unwrap(), old_key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The running server keeps working, and wraps new keys with the new
    // master key (it picks it up from the key file).
    s.post(
        &messages(&before),
        Some(&a),
        json!({ "body": "newer note" }),
    )
    .await;
    let after = s.group(&ana, [&ben], "After").await;
    s.post(&messages(&after), Some(&a), json!({ "body": "new note" }))
        .await;
    let new_file = s.upload_text(&a, "n.txt", "new file").await;

    // Restart with the new key: old and new content readable.
    let s = s.restart().await;
    let (status, page) = s.get(&messages(&before), &a).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let bodies: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["old note", "newer note"]);
    let (_, page) = s.get(&messages(&after), &a).await;
    assert_eq!(page["messages"][0]["body"], json!("new note"));
    let (_, conv) = s.get(&format!("/api/v1/conversations/{after}"), &a).await;
    assert_eq!(conv["title"], json!("After"));
    for (file, text) in [(old_file, "old file"), (new_file, "new file")] {
        let got = s
            .client
            .get(s.url(&format!("/api/v1/attachments/{file}")))
            .bearer_auth(&a)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(got, text);
    }
    // Recorded, and the trail still verifies.
    assert!(
        s.audit()
            .await
            .iter()
            .any(|r| r.action.as_str() == "key.rotate" && r.detail.contains("data_keys"))
    );
    let out = s.run_cli(&["audit", "verify"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The retired key no longer opens the data.
    let retired_path = retired[0].display().to_string();
    let out = s
        .run_cli(&["--master-key-file", &retired_path, "user", "list"])
        .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match"));
    s.stop().await;
}

#[tokio::test]
async fn checkpoints_keep_verifying_across_an_audit_key_rotation() {
    let s = TestServer::start().await;
    s.signed_in("audi", "auditor").await;
    s.hippo.audit().write_checkpoint().await.unwrap().unwrap();
    let out = s.run_cli(&["keys", "rotate", "--audit-signing-key"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("audit signing key rotated"), "{stdout}");
    // This server still signs with the retired key until restarted.
    s.signed_in("ana", "clinician").await;
    s.hippo.audit().write_checkpoint().await.unwrap().unwrap();
    let s = s.restart().await;
    let (_, auditor, _) = s.signed_in("audi2", "auditor").await;
    let (status, report) = s.get("/api/v1/audit/verify", &auditor).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    // Both checkpoints signed with the retired key (before and after the
    // rotation) verify under the new key's endorsement.
    assert_eq!(report["ok"], json!(true), "{report}");
    assert_eq!(report["checkpoints_verified"], json!(2), "{report}");
    s.hippo.audit().write_checkpoint().await.unwrap().unwrap();
    let out = s.run_cli(&["audit", "verify"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A checkpoint signed by a key nobody endorsed is caught.
    let dir = tempfile::tempdir().unwrap();
    let (rogue, _) =
        hippo_crypto::AuditSigningKey::load_or_create(&dir.path().join("rogue.key"), true).unwrap();
    let (seq, head_hash) = s.hippo.store().audit_head().await.unwrap();
    let at = hippo_core::Timestamp::from_millis(1);
    let forged = hippo_store::CheckpointRow {
        signature: rogue.sign(&hippo_store::chain::checkpoint_message(
            seq + 1,
            &head_hash,
            1,
        )),
        seq: seq + 1,
        head_hash,
        at,
        key_id: rogue.key_id(),
    };
    let mut tx = s.hippo.store().begin_write().await.unwrap();
    tx.insert_checkpoint(&forged).await.unwrap();
    tx.commit().await.unwrap();
    let out = s.run_cli(&["audit", "verify"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not signed by this server's audit key"));
    s.stop().await;
}
