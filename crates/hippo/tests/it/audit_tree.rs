//! The audit trail as a Merkle tree (RFC 9162): records reach the tree by
//! themselves, signed tree heads, inclusion and consistency proofs checked
//! here and by an independent implementation in another language
//! (`tests/rfc9162/verify.mjs`), proof files checked offline, tampering
//! with tiles and heads detected, a witness file catching a rewritten
//! trail, and a stalled sequencer raising an alert.

use crate::support::{TestServer, assert_problem, on_postgres};
use base64::Engine as _;
use hippo_core::Clock as _;
use hippo_store::merkle;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn hash(hex: &str) -> merkle::Hash {
    hippo_crypto::unhex(hex).unwrap().try_into().unwrap()
}

fn hashes(v: &Value) -> Vec<merkle::Hash> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| hash(h.as_str().unwrap()))
        .collect()
}

/// A little history: two clinicians, a conversation, a few messages.
async fn history(s: &TestServer) {
    let [ana, ben] = s.clinicians(["ana", "ben"]).await;
    let conv = s.direct(&ana, &ben).await;
    for i in 0..4 {
        s.clock.advance(Duration::from_secs(5));
        s.send(&ana, &conv, &format!("note {i}")).await;
    }
}

/// Waits until the background sequencer has taken every pending record.
async fn sequenced(s: &TestServer) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pending = s.hippo.store().pending_audit().await.unwrap();
        let size = s.hippo.store().audit_tree_size().await.unwrap();
        let (seq, _) = s.hippo.store().audit_head().await.unwrap();
        if pending.count == 0 && size == seq {
            return size;
        }
        assert!(Instant::now() < deadline, "records did not reach the tree");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A new signed head (the clock moved on so one is due).
async fn fresh_head(s: &TestServer, auditor: &str) -> Value {
    s.clock.advance(Duration::from_secs(5));
    let (status, head) = s.get("/api/v1/audit/tree-head", auditor).await;
    assert_eq!(status, StatusCode::OK, "{head}");
    head
}

fn signature_ok(head: &Value) -> bool {
    let message = format!(
        "{{\"tree_size\":{},\"root_hash\":\"{}\",\"timestamp\":\"{}\"}}",
        head["tree_size"],
        head["root_hash"].as_str().unwrap(),
        head["timestamp"].as_str().unwrap()
    );
    hippo_crypto::AuditSigningKey::verify_with(
        &b64(head["public_key"].as_str().unwrap()),
        message.as_bytes(),
        &b64(head["signature"].as_str().unwrap()),
    )
}

#[tokio::test]
async fn records_enter_the_tree_by_themselves_and_every_proof_checks_out() {
    let s = TestServer::start().await;
    history(&s).await;
    let auditor = s.auditor().await.token;
    let clinician = s.clinician("cara").await.token;
    // No query has run yet: the background sequencer did this.
    assert!(sequenced(&s).await > 10);

    let head = fresh_head(&s, &auditor).await;
    assert!(signature_ok(&head), "{head}");
    let size = head["tree_size"].as_i64().unwrap();
    let root = hash(head["root_hash"].as_str().unwrap());
    let (_, page) = s.get("/api/v1/audit?limit=1000", &auditor).await;
    let events = page["events"].as_array().unwrap();
    assert!(events.len() as i64 >= size);
    for e in events.iter().filter(|e| e["seq"].as_i64().unwrap() <= size) {
        let seq = e["seq"].as_i64().unwrap();
        let (status, proof) = s
            .get(
                &format!("/api/v1/audit/proof/inclusion?seq={seq}&tree_size={size}"),
                &auditor,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{proof}");
        assert_eq!(proof["leaf_index"], json!(seq - 1));
        assert_eq!(proof["tree_size"], json!(size));
        let leaf = merkle::leaf_hash(&b64(e["leaf"].as_str().unwrap()));
        let path = hashes(&proof["audit_path"]);
        assert!(
            merkle::verify_inclusion((seq - 1) as u64, size as u64, &leaf, &path, &root),
            "record {seq}"
        );
        // The leaf is bound to its place: not record seq + 1's proof.
        assert!(
            !merkle::verify_inclusion(seq as u64 % size as u64, size as u64, &leaf, &path, &root)
                || size == 1
        );
    }
    // Without tree_size: the newest head's.
    let (_, proof) = s.get("/api/v1/audit/proof/inclusion?seq=1", &auditor).await;
    assert!(proof["tree_size"].as_i64().unwrap() >= size);

    // More happens; the next head is consistent with the first.
    s.clinician("dan").await;
    sequenced(&s).await;
    let later = fresh_head(&s, &auditor).await;
    let second = later["tree_size"].as_i64().unwrap();
    assert!(second > size);
    let (status, proof) = s
        .get(
            &format!("/api/v1/audit/proof/consistency?first={size}&second={second}"),
            &auditor,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{proof}");
    let later_root = hash(later["root_hash"].as_str().unwrap());
    let path = hashes(&proof["consistency_path"]);
    assert!(merkle::verify_consistency(
        size as u64,
        second as u64,
        &root,
        &later_root,
        &path
    ));
    assert!(!merkle::verify_consistency(
        size as u64,
        second as u64,
        &later_root,
        &later_root,
        &path
    ));
    let (_, same) = s
        .get(
            &format!("/api/v1/audit/proof/consistency?first={second}&second={second}"),
            &auditor,
        )
        .await;
    assert_eq!(same["consistency_path"], json!([]));

    // Nonsense gets problem details.
    let beyond = second + 1_000;
    for bad in [
        "inclusion?seq=0".to_owned(),
        "inclusion".to_owned(),
        "inclusion?seq=abc".to_owned(),
        format!("inclusion?seq={beyond}"),
        "inclusion?seq=2&tree_size=1".to_owned(),
        "inclusion?seq=1&tree_size=0".to_owned(),
        format!("inclusion?seq=1&tree_size={beyond}"),
        "inclusion?seq=1&colour=blue".to_owned(),
        format!("consistency?first={second}&second={size}"),
        format!("consistency?first=0&second={size}"),
        format!("consistency?first=1&second={beyond}"),
        "consistency?first=1".to_owned(),
    ] {
        let (status, body) = s.get(&format!("/api/v1/audit/proof/{bad}"), &auditor).await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    // Only auditors.
    for path in [
        "tree-head",
        "proof/inclusion?seq=1",
        "proof/consistency?first=1&second=2",
    ] {
        let (status, body) = s.get(&format!("/api/v1/audit/{path}"), &clinician).await;
        assert_problem(status, &body, 403, "forbidden");
    }
    // Reading proofs is itself recorded.
    let trail = s.audit().await;
    assert!(
        trail
            .iter()
            .any(|r| r.action.as_str() == "audit.query" && r.detail.contains("inclusion_proof"))
    );
    // The verification rebuilds the tree and checks the heads.
    let (_, report) = s.get("/api/v1/audit/verify", &auditor).await;
    assert_eq!(report["ok"], json!(true), "{report}");
    assert!(
        report["tree_heads_verified"].as_i64().unwrap() >= 2,
        "{report}"
    );
    assert_eq!(report["tree_size"], report["checked"], "{report}");
    s.stop().await;
}

/// Runs `node tests/rfc9162/verify.mjs ARGS`; its exit code.
fn node_verify(args: &[&str]) -> i32 {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rfc9162/verify.mjs");
    let out = std::process::Command::new("node")
        .arg(script)
        .args(args)
        .output()
        .expect("node (Node.js) is needed for the independent RFC 9162 verifier");
    out.status.code().unwrap_or(-1)
}

#[tokio::test]
async fn proofs_check_offline_with_only_the_public_key_and_an_independent_verifier_agrees() {
    let s = TestServer::start().await;
    history(&s).await;
    let auditor = s.auditor().await.token;
    let dir = tempfile::tempdir().unwrap();
    let out = s.run_cli(&["audit", "prove", "--seq", "5"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let proof: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(proof["record"]["seq"], json!(5));
    assert_eq!(proof["inclusion"]["leaf_index"], json!(4));
    let file = dir.path().join("proof.json");
    std::fs::write(&file, serde_json::to_vec(&proof).unwrap()).unwrap();
    let out = s.run_cli(&["audit", "public-key"]).await;
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(json!(key), proof["tree_head"]["public_key"]);
    let file_arg = file.to_str().unwrap();

    // hippo's own offline check, and one written from the RFC in another
    // language that shares no code with hippo.
    let check = |path: &std::path::Path, key: &str| {
        let out = s
            .cli()
            .args([
                "audit",
                "check-proof",
                path.to_str().unwrap(),
                "--public-key",
                key,
            ])
            .output()
            .unwrap();
        out.status.code().unwrap()
    };
    assert_eq!(check(&file, &key), 0);
    assert_eq!(
        node_verify(&["inclusion", file_arg, "--public-key", &key]),
        0
    );

    // Another key, a changed record, a changed leaf, a changed path: refused.
    let other = {
        let (k, _) =
            hippo_crypto::AuditSigningKey::load_or_create(&dir.path().join("other.key"), true)
                .unwrap();
        base64::engine::general_purpose::STANDARD.encode(k.public_key())
    };
    assert_eq!(check(&file, &other), 1);
    assert_eq!(
        node_verify(&["inclusion", file_arg, "--public-key", &other]),
        1
    );
    let mut edits: Vec<(&str, Value)> = Vec::new();
    let mut changed = proof.clone();
    changed["record"]["outcome"] = json!("denied");
    edits.push(("record", changed));
    let mut changed = proof.clone();
    let mut leaf = b64(proof["record"]["leaf"].as_str().unwrap());
    leaf[1] ^= 1;
    changed["record"]["leaf"] = json!(base64::engine::general_purpose::STANDARD.encode(&leaf));
    edits.push(("leaf", changed));
    let mut changed = proof.clone();
    changed["inclusion"]["audit_path"][0] = json!("00".repeat(32));
    edits.push(("path", changed));
    let mut changed = proof.clone();
    changed["tree_head"]["timestamp"] = json!("2020-01-01T00:00:00.000Z");
    edits.push(("head", changed));
    for (what, changed) in edits {
        let path = dir.path().join(format!("{what}.json"));
        std::fs::write(&path, serde_json::to_vec(&changed).unwrap()).unwrap();
        assert_eq!(check(&path, &key), 1, "{what}");
        if what != "record" {
            // The independent verifier checks the leaf, not the fields.
            assert_eq!(
                node_verify(&["inclusion", path.to_str().unwrap(), "--public-key", &key]),
                1,
                "{what}"
            );
        }
    }

    // A consistency proof between two heads, put together from the API.
    sequenced(&s).await;
    let first = fresh_head(&s, &auditor).await;
    s.clinician("eve").await;
    sequenced(&s).await;
    let second = fresh_head(&s, &auditor).await;
    let (_, proof) = s
        .get(
            &format!(
                "/api/v1/audit/proof/consistency?first={}&second={}",
                first["tree_size"], second["tree_size"]
            ),
            &auditor,
        )
        .await;
    let doc = json!({
        "first": first,
        "second": second,
        "consistency_path": proof["consistency_path"],
    });
    let file = dir.path().join("consistency.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_eq!(check(&file, &key), 0);
    assert_eq!(
        node_verify(&["consistency", file.to_str().unwrap(), "--public-key", &key]),
        0
    );
    let mut swapped = doc.clone();
    swapped["first"]["root_hash"] = second["root_hash"].clone();
    std::fs::write(&file, serde_json::to_vec(&swapped).unwrap()).unwrap();
    assert_eq!(check(&file, &key), 1);
    assert_eq!(
        node_verify(&["consistency", file.to_str().unwrap(), "--public-key", &key]),
        1
    );
    s.stop().await;
}

/// Direct database access, append-only triggers out of the way: what an
/// attacker holding the database could do.
enum Attacker {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Attacker {
    async fn on(s: &TestServer) -> Self {
        use sqlx::Connection;
        s.hippo.audit().sequence_now().await.unwrap();
        if on_postgres() {
            let url = s.config.database_url.as_ref().unwrap().to_string();
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            for t in ["audit_events", "audit_tree_heads"] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "ALTER TABLE {t} DISABLE TRIGGER USER"
                )))
                .execute(&mut c)
                .await
                .unwrap();
            }
            Self::Postgres(c)
        } else {
            let path = s.config.data_dir.join("hippo.db");
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            for t in [
                "audit_events_no_update",
                "audit_events_no_delete",
                "audit_tree_heads_no_update",
                "audit_tree_heads_no_delete",
            ] {
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER IF EXISTS {t}")))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
            Self::Sqlite(c)
        }
    }

    /// Runs `sql` with one optional byte-string parameter `$1`.
    async fn run(&mut self, sql: &str, bytes: Option<Vec<u8>>) {
        match self {
            Self::Sqlite(c) => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
                if let Some(b) = bytes {
                    q = q.bind(b);
                }
                q.execute(c).await.unwrap();
            }
            Self::Postgres(c) => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
                if let Some(b) = bytes {
                    q = q.bind(b);
                }
                q.execute(c).await.unwrap();
            }
        }
    }

    async fn close(self) {
        use sqlx::Connection;
        match self {
            Self::Sqlite(c) => c.close().await.unwrap(),
            Self::Postgres(mut c) => {
                for t in ["audit_events", "audit_tree_heads"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "ALTER TABLE {t} ENABLE TRIGGER USER"
                    )))
                    .execute(&mut c)
                    .await
                    .unwrap();
                }
                c.close().await.unwrap();
            }
        }
    }
}

/// The stored level-0 tile 0.
async fn first_tile(s: &TestServer) -> Vec<u8> {
    let id = merkle::TileId { level: 0, index: 0 };
    s.hippo.store().audit_tiles(&[id]).await.unwrap()[&id].concat()
}

/// API and CLI both report the trail damaged at `bad`, for `reason`.
async fn assert_damaged(s: &TestServer, auditor: &str, bad: i64, reason: &str, what: &str) {
    let (status, report) = s.get("/api/v1/audit/verify", auditor).await;
    assert_eq!(status, StatusCode::OK, "{what}: {report}");
    assert_eq!(report["ok"], json!(false), "{what}: {report}");
    assert_eq!(report["first_bad_seq"], json!(bad), "{what}: {report}");
    assert!(
        report["reason"].as_str().unwrap().contains(reason),
        "{what}: {report}"
    );
    let out = s.run_cli(&["audit", "verify"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{what}: {stdout}");
    assert!(stdout.contains(reason), "{what}: {stdout}");
}

#[tokio::test]
async fn tampering_with_tiles_and_heads_is_detected_and_located() {
    for case in [
        "tile edited",
        "tile deleted",
        "head edited",
        "head re-signed",
        "tail cut",
    ] {
        let s = TestServer::start().await;
        history(&s).await;
        let auditor = s.auditor().await.token;
        sequenced(&s).await;
        let head = fresh_head(&s, &auditor).await;
        let size = head["tree_size"].as_i64().unwrap();
        sequenced(&s).await;
        let mut db = Attacker::on(&s).await;
        match case {
            "tile edited" => {
                let mut tile = first_tile(&s).await;
                tile[3 * 32] ^= 0x80; // the leaf hash of record 4
                db.run(
                    "UPDATE audit_tree_tiles SET hashes = $1 WHERE level = 0 AND idx = 0",
                    Some(tile),
                )
                .await;
                db.close().await;
                assert_damaged(&s, &auditor, 4, "tree was altered", case).await;
            }
            "tile deleted" => {
                db.run("DELETE FROM audit_tree_tiles WHERE level = 0", None)
                    .await;
                db.close().await;
                assert_damaged(&s, &auditor, 1, "lacks its tile", case).await;
            }
            "head edited" => {
                db.run(
                    &format!(
                        "UPDATE audit_tree_heads SET root_hash = '{}' WHERE tree_size = {size}",
                        "ab".repeat(32)
                    ),
                    None,
                )
                .await;
                db.close().await;
                assert_damaged(&s, &auditor, size, "not signed by this server", case).await;
            }
            "head re-signed" => {
                // A correct root, signed by a key that is not the server's.
                let dir = tempfile::tempdir().unwrap();
                let (k, _) =
                    hippo_crypto::AuditSigningKey::load_or_create(&dir.path().join("k"), true)
                        .unwrap();
                let message = hippo_store::chain::tree_head_message(
                    size,
                    head["root_hash"].as_str().unwrap(),
                    head["timestamp"].as_str().unwrap(),
                );
                db.run(
                    &format!(
                        "UPDATE audit_tree_heads SET signature = $1, key_id = '{}' WHERE \
                         tree_size = {size}",
                        k.key_id()
                    ),
                    Some(k.sign(&message)),
                )
                .await;
                db.close().await;
                assert_damaged(&s, &auditor, size, "not signed by this server", case).await;
            }
            _ => {
                // The records after the head, the tree and the chain head
                // rewound to match: the signed head still knows better.
                let keep = size - 2;
                let hash = s.hippo.store().list_audit(keep - 1, 1).await.unwrap()[0]
                    .hash
                    .clone();
                db.run(
                    &format!("DELETE FROM audit_events WHERE seq > {keep}"),
                    None,
                )
                .await;
                db.run("DELETE FROM audit_tree_tiles", None).await;
                db.run(
                    &format!("UPDATE audit_head SET seq = {keep}, tree_size = 0, hash = '{hash}'"),
                    None,
                )
                .await;
                db.close().await;
                // The sequencer rebuilds the tree from the records left
                // (as after the migration); the head signed for `size`
                // records no longer matches.
                let (_, report) = s.get("/api/v1/audit/verify", &auditor).await;
                assert_eq!(report["ok"], json!(false), "{case}: {report}");
                assert!(
                    report["first_bad_seq"].as_i64().unwrap() <= keep + 1,
                    "{case}: {report}"
                );
            }
        }
        s.stop().await;
    }
}

#[tokio::test]
async fn a_witness_file_catches_a_trail_rewritten_with_the_signing_key() {
    let dir = tempfile::tempdir().unwrap();
    let witness = dir.path().join("witness.jsonl");
    let w = witness.clone();
    let s = TestServer::builder()
        .setting(move |args| args.audit_witness_file = Some(w.display().to_string()))
        .start()
        .await;
    history(&s).await;
    let auditor = s.auditor().await.token;
    sequenced(&s).await;
    fresh_head(&s, &auditor).await;
    s.clinician("fay").await;
    sequenced(&s).await;
    fresh_head(&s, &auditor).await;
    // Both heads reached the witness.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&witness)
        .unwrap_or_default()
        .lines()
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "heads not witnessed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The head to forge: one the witness holds (under load the sequencer
    // may sign more heads than the two asked for, and the one a GET
    // returned need not be among those written yet).
    let witnessed = std::fs::read_to_string(&witness).unwrap();
    let first: Value = serde_json::from_str(witnessed.lines().next().unwrap()).unwrap();
    let witness_arg = witness.to_str().unwrap();
    let out = s
        .run_cli(&["audit", "verify", "--witness", witness_arg])
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("witnessed tree heads found unchanged"),
        "{stdout}"
    );

    // Whoever holds the database and the key re-signs the first head with
    // another time: every signature still verifies, so only the witness
    // can tell.
    let key_file = &s.config.audit_signing_key_file;
    let (key, _) = hippo_crypto::AuditSigningKey::load_or_create(key_file, false).unwrap();
    let size = first["tree_size"].as_i64().unwrap();
    // Never a time the server signed at (its clock starts at 2026-01-01,
    // and the first head may carry exactly that).
    let timestamp = "2025-06-01T12:34:56.000Z";
    assert_ne!(first["timestamp"], json!(timestamp));
    let message = hippo_store::chain::tree_head_message(
        size,
        first["root_hash"].as_str().unwrap(),
        timestamp,
    );
    let mut db = Attacker::on(&s).await;
    db.run(
        &format!(
            "UPDATE audit_tree_heads SET timestamp = '{timestamp}', signature = $1 WHERE \
             tree_size = {size}"
        ),
        Some(key.sign(&message)),
    )
    .await;
    db.close().await;
    let (_, report) = s.get("/api/v1/audit/verify", &auditor).await;
    assert_eq!(report["ok"], json!(true), "{report}");
    let out = s
        .run_cli(&["audit", "verify", "--witness", witness_arg])
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("witnessed tree head"), "{stdout}");
    assert!(stdout.contains("different"), "{stdout}");

    // Heads removed altogether: missing.
    let mut db = Attacker::on(&s).await;
    db.run("DELETE FROM audit_tree_heads", None).await;
    db.close().await;
    let out = s
        .run_cli(&["audit", "verify", "--witness", witness_arg])
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("missing"), "{stdout}");
    s.stop().await;
}

#[tokio::test]
async fn a_record_the_sequencer_cannot_take_raises_an_alert() {
    let s = TestServer::start().await;
    let auditor = s.auditor().await.token;
    sequenced(&s).await;
    // A value hippo never writes: the sequencer stops rather than skip it.
    let mut db = Attacker::on(&s).await;
    db.run(
        &format!(
            "INSERT INTO audit_pending (at, action, outcome, detail) VALUES ({}, 'bogus', \
             'success', '{{}}')",
            s.clock.now().as_millis()
        ),
        None,
    )
    .await;
    db.close().await;
    let mut alerted = false;
    assert!(!s.hippo.audit().check_stall(&mut alerted).await.unwrap());
    s.clock.advance(Duration::from_secs(61));
    assert!(s.hippo.audit().check_stall(&mut alerted).await.unwrap());
    let (status, alerts) = s.get("/api/v1/alerts", &auditor).await;
    assert_eq!(status, StatusCode::OK, "{alerts}");
    let alert = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == json!("audit_sequencing_stalled"))
        .unwrap_or_else(|| panic!("no stall alert in {alerts}"));
    assert_eq!(alert["severity"], json!("critical"));
    // Once per stall.
    assert!(s.hippo.audit().check_stall(&mut alerted).await.unwrap());
    let (_, again) = s.get("/api/v1/alerts", &auditor).await;
    let stalls = again["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == json!("audit_sequencing_stalled"))
        .count();
    assert_eq!(stalls, 1);
    // Verification says so too (and does not fail with a 500).
    let (status, report) = s.get("/api/v1/audit/verify", &auditor).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ok"], json!(false), "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("sequence"),
        "{report}"
    );
    s.stop().await;
}
