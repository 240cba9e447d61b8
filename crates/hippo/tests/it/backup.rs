//! Backups through the real CLI, on SQLite and PostgreSQL: taken during a
//! burst of sends, verified (and any damage caught), restored into a new
//! data dir (or empty database) that serves the same history; erasure
//! reaching into backups taken before it; key rotation after a backup.

use crate::support::TestServer;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn a_backup_taken_during_a_burst_restores_everything_acknowledged_before_it() {
    let s = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hippo.backup");
    let file_s = file.display().to_string();
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let a = ana.token.clone();
    let conv = s.group(&ana, [&ben], "Ward 5").await;
    let attachment = s.upload_text(&a, "ecg.txt", "sinus rhythm").await;
    let url = s.url(&format!("/api/v1/conversations/{conv}/messages"));
    s.post(
        &format!("/api/v1/conversations/{conv}/messages"),
        Some(&a),
        json!({ "body": "see ECG", "attachment_ids": [attachment] }),
    )
    .await;

    // A burst of sends runs while the backup is taken.
    let acked: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let burst = {
        let (client, token, acked, stop) =
            (s.client.clone(), a.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let body = format!("burst {i}");
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "body": body }))
                    .send()
                    .await
                    .unwrap();
                if r.status() == StatusCode::CREATED {
                    let m: serde_json::Value = r.json().await.unwrap();
                    acked
                        .lock()
                        .unwrap()
                        .push((m["seq"].as_i64().unwrap(), body));
                }
            }
        })
    };
    while acked.lock().unwrap().len() < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before_backup: Vec<(i64, String)> = acked.lock().unwrap().clone();
    let out = s.run_cli(&["backup", "create", "--out", &file_s]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    burst.await.unwrap();

    // Verified intact; any flipped byte or a cut is caught.
    let out = s.run_cli(&["backup", "verify", &file_s]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let good = std::fs::read(&file).unwrap();
    let damaged = dir.path().join("damaged.backup");
    let damaged_s = damaged.display().to_string();
    std::fs::copy(
        dir.path().join("hippo.backup.keys"),
        dir.path().join("damaged.backup.keys"),
    )
    .unwrap();
    for at in [
        0,
        9,
        20,
        good.len() / 3,
        good.len() / 2,
        good.len() - 70,
        good.len() - 1,
    ] {
        let mut bytes = good.clone();
        bytes[at] ^= 0x40;
        std::fs::write(&damaged, &bytes).unwrap();
        let out = s.run_cli(&["backup", "verify", &damaged_s]).await;
        assert_eq!(
            out.status.code(),
            Some(1),
            "a flipped byte at {at} went unnoticed"
        );
    }
    std::fs::write(&damaged, &good[..good.len() - 100]).unwrap();
    let out = s.run_cli(&["backup", "verify", &damaged_s]).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "a truncated backup went unnoticed"
    );

    // Restore into a new data dir with the source's keys.
    let (target, config) = s.sibling_config(|_| {}).await;
    let restore = |config: &hippo::settings::Config| {
        let mut c = crate::support::hippo_command();
        c.arg("--data-dir")
            .arg(&config.data_dir)
            .args(["backup", "restore", &file_s]);
        if let Some(url) = &config.database_url {
            c.env("HIPPO_DATABASE_URL", url.as_str());
        }
        c
    };
    let mut cmd = restore(&config);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit trail intact"));
    // Not twice into the same place.
    let mut cmd = restore(&config);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds data"));
    // Without its key file a backup cannot be read.
    std::fs::remove_file(&damaged).unwrap();
    std::fs::copy(&file, &damaged).unwrap();
    std::fs::remove_file(dir.path().join("damaged.backup.keys")).unwrap();
    let out = s.run_cli(&["backup", "verify", &damaged_s]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("key file"));

    let restored = TestServer::start_on(target, config, s.clock.clone()).await;
    let (_, page) = restored
        .get(
            &format!("/api/v1/conversations/{conv}/messages?limit=500"),
            &a,
        )
        .await;
    let bodies: Vec<(i64, String)> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["seq"].as_i64().unwrap(),
                m["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for m in &before_backup {
        assert!(
            bodies.contains(m),
            "acknowledged before the backup but missing: {m:?}"
        );
    }
    let seqs: Vec<i64> = bodies.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (1..=i64::try_from(seqs.len()).unwrap()).collect::<Vec<_>>()
    );
    let got = restored
        .client
        .get(restored.url(&format!("/api/v1/attachments/{attachment}")))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(got, "sinus rhythm");
    assert!(
        restored
            .audit()
            .await
            .iter()
            .any(|r| r.action.as_str() == "backup.restore")
    );
    assert!(
        s.audit()
            .await
            .iter()
            .any(|r| r.action.as_str() == "backup.create")
    );
    restored.stop().await;
    s.stop().await;
}

/// Restores `file` into a new data dir (and, on PostgreSQL, a new empty
/// schema) holding `master_key` and the source's audit signing key.
async fn restore_elsewhere(
    s: &TestServer,
    file: &std::path::Path,
    master_key: &std::path::Path,
) -> (
    tempfile::TempDir,
    hippo::settings::Config,
    std::process::Output,
) {
    let (target, config) = s.sibling_config(|_| {}).await;
    std::fs::copy(master_key, config.data_dir.join("master.key")).unwrap();
    let mut c = crate::support::hippo_command();
    c.arg("--data-dir")
        .arg(&config.data_dir)
        .arg("backup")
        .arg("restore")
        .arg(file);
    if let Some(url) = &config.database_url {
        c.env("HIPPO_DATABASE_URL", url.as_str());
    }
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    (target, config, out)
}

#[tokio::test]
async fn erasure_reaches_backups_taken_before_it_and_rotation_keeps_them_readable() {
    let s = TestServer::start().await;
    let admin = s.admin().await.token;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let (a, b) = (ana.token.clone(), ben.token.clone());
    let mut convs = Vec::new();
    for (title, body, file) in [
        ("Keep", "keep me", "kept.txt"),
        ("Gone", "erase me", "secret.txt"),
    ] {
        let c = s.group(&ana, [&ben], title).await;
        let f = s
            .upload_text(&a, file, &format!("contents of {file}"))
            .await;
        let (status, _) = s
            .post(
                &format!("/api/v1/conversations/{c}/messages"),
                Some(&a),
                json!({ "body": body, "attachment_ids": [f] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        convs.push((c, f));
    }
    let [(keep, kept_file), (gone, gone_file)] = <[(String, String); 2]>::try_from(convs).unwrap();
    let gone_key = s
        .hippo
        .store()
        .get_conversation(&hippo_core::ConversationId::parse(&gone).unwrap())
        .await
        .unwrap()
        .unwrap()
        .data_key_id;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("before.backup");
    let out = s
        .run_cli(&["backup", "create", "--out", &file.display().to_string()])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys_path = dir.path().join("before.backup.keys");
    let master = hippo_crypto::MasterKey::load_or_create(&s.config.master_key_file, false)
        .unwrap()
        .0;
    let before = hippo_service::backup_keys::KeyFile::read(&keys_path, &master).unwrap();
    assert!(before.keys.iter().any(|k| k.id == gone_key));
    // The backup itself holds no data key: the export left them out.
    let raw = std::fs::read(&file).unwrap();
    for k in &before.keys {
        assert!(
            !raw.windows(k.wrapped.len())
                .any(|w| w == k.wrapped.as_slice())
        );
    }

    // Erased after the backup: its key leaves the backup's key file at once.
    let (status, body) = s
        .post(
            &format!("/api/v1/conversations/{gone}/erase"),
            Some(&admin),
            json!({ "reason": "Patient request 2026-77" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let after = hippo_service::backup_keys::KeyFile::read(&keys_path, &master).unwrap();
    assert!(!after.keys.iter().any(|k| k.id == gone_key));
    assert!(after.shredded.iter().any(|k| k.id == gone_key));
    assert_eq!(after.keys.len() + after.shredded.len(), before.keys.len());
    let out = s
        .run_cli(&["backup", "verify", &file.display().to_string()])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("destroyed since"));

    // The master key is rotated; the old backup's key file follows it.
    let out = s.run_cli(&["keys", "rotate"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 backup key files rewrapped"));

    // A wrong master key opens neither the key file nor the backup.
    let stranger = tempfile::tempdir().unwrap();
    let wrong_key = stranger.path().join("wrong.key");
    hippo_crypto::MasterKey::generate()
        .unwrap()
        .write_new(&wrong_key)
        .unwrap();
    let (_, _, out) = restore_elsewhere(&s, &file, &wrong_key).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("different master key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Restored with the new key: everything but the erased conversation.
    let (target, config, out) = restore_elsewhere(&s, &file, &s.config.master_key_file).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 conversations erased since"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let restored = TestServer::start_on(target, config, s.clock.clone()).await;
    let (_, page) = restored
        .get(&format!("/api/v1/conversations/{keep}/messages"), &b)
        .await;
    assert_eq!(page["messages"][0]["body"], json!("keep me"));
    let (status, text) = restored
        .get_text(&format!("/api/v1/attachments/{kept_file}"), &b)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, "contents of kept.txt");
    for token in [&a, &b] {
        let (status, _) = restored
            .get(&format!("/api/v1/conversations/{gone}/messages"), token)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = restored
            .get_text(&format!("/api/v1/attachments/{gone_file}"), token)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let key = restored
        .hippo
        .store()
        .get_data_key(&gone_key)
        .await
        .unwrap()
        .unwrap();
    assert!(key.wrapped.is_empty());
    assert_eq!(key.purpose, "destroyed");
    let blobs = crate::support::files_under(&restored.config.data_dir.join("blobs"));
    assert!(
        blobs
            .iter()
            .all(|p| !p.to_string_lossy().contains(&gone_file))
    );
    assert!(restored.audit().await.iter().any(|r| {
        r.action.as_str() == "conversation.erase" && r.detail.contains("\"after_restore\":true")
    }));
    restored.stop().await;
    s.stop().await;
}

/// Issue 20, "restore tested" as evidence: `hippo backup drill` restores
/// the newest scheduled backup into a scratch copy, verifies it and its
/// trail, records `backup.drill` and leaves nothing behind; a damaged
/// backup fails the drill, and that is recorded too.
#[tokio::test]
async fn a_backup_drill_restores_the_newest_backup_in_scratch_and_records_the_result() {
    let backups = tempfile::tempdir().unwrap();
    let s = TestServer::start().await;
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let conv = s.group(&ana, [&ben], "Ward 3").await;
    s.send(&ana, &conv, "drill me").await;
    // As an operator runs it: with the server's settings, backup_dir too.
    let cli = |args: Vec<String>| {
        let mut cmd = s.cli();
        cmd.env("HIPPO_BACKUP_DIR", backups.path()).args(args);
        async move {
            tokio::task::spawn_blocking(move || cmd.output().unwrap())
                .await
                .unwrap()
        }
    };
    let path = |name: &str| backups.path().join(name).display().to_string();

    let out = cli(vec!["backup".into(), "drill".into()]).await;
    assert_eq!(out.status.code(), Some(1), "nothing to drill yet");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no backup in"), "{stderr}");

    // An older, damaged backup and the newest, intact one.
    let older = path("hippo-0000000000001.backup");
    let newest = path("hippo-0000000000002.backup");
    for file in [&older, &newest] {
        let out = cli(vec![
            "backup".into(),
            "create".into(),
            "--out".into(),
            file.clone(),
        ])
        .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut bytes = std::fs::read(&older).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&older, bytes).unwrap();

    let out = cli(vec!["backup".into(), "drill".into()]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if crate::support::on_postgres() {
        // A PostgreSQL backup needs a scratch database, which the drill
        // does not create: refused, and the failure recorded.
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        assert!(stderr.contains("taken from PostgreSQL"), "{stderr}");
    } else {
        assert!(out.status.success(), "{stderr}");
        assert!(
            stdout.contains("drill passed") && stdout.contains("hippo-0000000000002"),
            "{stdout}"
        );
        let out = cli(vec![
            "backup".into(),
            "drill".into(),
            "--file".into(),
            older.clone(),
        ])
        .await;
        assert_eq!(
            out.status.code(),
            Some(1),
            "a damaged backup passed the drill"
        );
    }
    // Nothing of the scratch copies is left.
    let leftovers: Vec<_> = std::fs::read_dir(&s.config.data_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".drill-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Every drill is in the trail, with its outcome and what it checked.
    let drills: Vec<_> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action.as_str() == "backup.drill")
        .collect();
    if crate::support::on_postgres() {
        assert_eq!(drills.len(), 1);
        assert_eq!(drills[0].outcome.as_str(), "failure");
    } else {
        assert_eq!(drills.len(), 2);
        assert_eq!(drills[0].outcome.as_str(), "success");
        assert!(
            drills[0].detail.contains("\"audit_records_verified\""),
            "{}",
            drills[0].detail
        );
        assert!(drills[0].detail.contains("hippo-0000000000002.backup"));
        assert_eq!(drills[1].outcome.as_str(), "failure");
    }
    s.stop().await;
}
