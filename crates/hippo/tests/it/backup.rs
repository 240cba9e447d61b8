//! Backups through the real CLI: taken during a burst of sends, verified
//! (and any damage caught), restored into a new data dir that serves the
//! same history.

use crate::support::{TestServer, on_postgres, test_config};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn a_backup_taken_during_a_burst_restores_everything_acknowledged_before_it() {
    let s = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hippo.backup");
    let file_s = file.display().to_string();
    if on_postgres() {
        let out = s.run_cli(&["backup", "create", "--out", &file_s]).await;
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        s.stop().await;
        return;
    }
    let (_, a, _) = s.signed_in("ana", "clinician").await;
    let (b_id, _, _) = s.signed_in("ben", "clinician").await;
    let (_, conv) = s
        .post(
            "/api/v1/conversations",
            Some(&a),
            json!({ "kind": "group", "title": "Ward 5", "member_ids": [b_id] }),
        )
        .await;
    let conv = conv["id"].as_str().unwrap().to_owned();
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
    let target = tempfile::tempdir().unwrap();
    let config = test_config(target.path(), |_| {}).await;
    std::fs::create_dir_all(&config.data_dir).unwrap();
    for key in ["master.key", "audit-signing.key"] {
        std::fs::copy(s.config.data_dir.join(key), config.data_dir.join(key)).unwrap();
    }
    let restore = |data_dir: &std::path::Path| {
        let mut c = crate::support::hippo_command();
        c.arg("--data-dir")
            .arg(data_dir)
            .args(["backup", "restore", &file_s]);
        c
    };
    let mut cmd = restore(&config.data_dir);
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
    let mut cmd = restore(&config.data_dir);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds data"));

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
