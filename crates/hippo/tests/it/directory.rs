//! Directory and names: clinicians find each other by part of a name
//! (case and accents ignored), conversations show members' names, unread
//! counts and the last message's time, and a pair of people has one
//! direct conversation.

use crate::support::{TestServer, assert_problem};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn rename(s: &TestServer, admin: &str, id: &str, name: &str) {
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(admin),
            Some(json!({ "display_name": name })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn search(s: &TestServer, token: &str, query: &str) -> (StatusCode, Value) {
    let url = reqwest::Url::parse_with_params(&s.url("/api/v1/directory"), [("q", query)]).unwrap();
    s.get(
        &format!("{}?{}", url.path(), url.query().unwrap_or("")),
        token,
    )
    .await
}

fn names(body: &Value) -> Vec<String> {
    body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["display_name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn clinicians_find_each_other_by_part_of_a_name() {
    let s = TestServer::start().await;
    let (_, admin, _) = s.signed_in("root", "admin").await;
    let (ana_id, ana, _) = s.signed_in("ana", "clinician").await;
    let ben_id = s.create_user("ben", "clinician").await;
    let cat_id = s.create_user("cat", "staff").await;
    let dan_id = s.create_user("dan", "clinician").await;
    let (_, auditor, _) = s.signed_in("audi", "auditor").await;
    rename(&s, &admin, &ana_id, "Ana Müller").await;
    rename(&s, &admin, &ben_id, "José Álvarez").await;
    rename(&s, &admin, &cat_id, "Josefina Ortiz").await;
    rename(&s, &admin, &dan_id, "Josef Gone").await;
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/api/v1/users/{dan_id}/deactivate"),
            Some(&admin),
            None,
        )
        .await;
    assert!(status.is_success());

    // Accents and case ignored; deactivated people and non-messaging roles
    // are not listed; sorted by name.
    let (status, body) = search(&s, &ana, "jose").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&body), ["José Álvarez", "Josefina Ortiz"]);
    assert_eq!(
        body["users"][0],
        json!({ "id": ben_id, "display_name": "José Álvarez", "role": "clinician" }),
        "minimum necessary: id, name, role"
    );
    assert_eq!(names(&search(&s, &ana, "MÜLL").await.1), ["Ana Müller"]);
    assert_eq!(
        names(&search(&s, &ana, "alvarez").await.1),
        ["José Álvarez"]
    );
    // The username counts too.
    assert_eq!(names(&search(&s, &ana, "cat").await.1), ["Josefina Ortiz"]);
    assert!(
        names(&search(&s, &ana, "root").await.1).is_empty(),
        "admins are not listed"
    );
    let (_, one) = s.get("/api/v1/directory?q=jose&limit=1", &ana).await;
    assert_eq!(names(&one), ["José Álvarez"]);

    // A renamed person is found by the new name at once.
    rename(&s, &admin, &ben_id, "Benedict Stone").await;
    assert_eq!(names(&search(&s, &ana, "jose").await.1), ["Josefina Ortiz"]);
    assert_eq!(
        names(&search(&s, &ana, "stone").await.1),
        ["Benedict Stone"]
    );

    // Bad queries, and roles without messaging.
    let (status, body) = s.get("/api/v1/directory?q=", &ana).await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = s.get("/api/v1/directory", &ana).await;
    assert_problem(status, &body, 422, "validation_failed");
    // Only a combining accent: empty once folded.
    let (status, body) = search(&s, &ana, "\u{301}").await;
    assert_problem(status, &body, 422, "validation_failed");
    let (status, body) = search(&s, &ana, &"x".repeat(101)).await;
    assert_problem(status, &body, 422, "validation_failed");
    for bad in ["0", "101", "many"] {
        let (status, body) = s
            .get(&format!("/api/v1/directory?q=jo&limit={bad}"), &ana)
            .await;
        assert_problem(status, &body, 422, "validation_failed");
    }
    for token in [&admin, &auditor] {
        let (status, body) = search(&s, token, "jose").await;
        assert_problem(status, &body, 403, "forbidden");
    }

    // Audited, without the query text.
    let audit = s.audit().await;
    let searches: Vec<_> = audit
        .iter()
        .filter(|r| r.action.as_str() == "directory.search")
        .collect();
    assert!(searches.iter().any(|r| r.outcome.as_str() == "success"));
    assert!(searches.iter().any(|r| r.outcome.as_str() == "denied"));
    for r in &searches {
        let detail = serde_json::to_string(&r.detail).unwrap().to_lowercase();
        assert!(
            !detail.contains("jose") && !detail.contains("stone"),
            "{detail}"
        );
    }
}

#[tokio::test]
async fn conversations_show_names_unread_counts_and_one_direct_per_pair() {
    let s = TestServer::start().await;
    let (ana_id, ana, _) = s.signed_in("ana", "clinician").await;
    let (ben_id, ben, _) = s.signed_in("ben", "clinician").await;

    let (status, first) = s
        .post(
            "/api/v1/conversations",
            Some(&ana),
            json!({ "kind": "direct", "member_ids": [ben_id] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(
        first["members"],
        json!([
            { "id": ana_id, "display_name": "User ana", "role": "clinician" },
            { "id": ben_id, "display_name": "User ben", "role": "clinician" },
        ])
    );
    assert_eq!(first["unread_count"], json!(0));
    assert_eq!(first["last_message_at"], Value::Null);
    // Either of them asking again gets the same conversation.
    for (token, other) in [(&ben, &ana_id), (&ana, &ben_id)] {
        let (status, again) = s
            .post(
                "/api/v1/conversations",
                Some(token),
                json!({ "kind": "direct", "member_ids": [other] }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["id"], first["id"]);
    }
    let conv = first["id"].as_str().unwrap();
    let (_, list) = s.get("/api/v1/conversations", &ana).await;
    assert_eq!(list["conversations"].as_array().unwrap().len(), 1);

    let mut last = Value::Null;
    for text in ["one", "two", "three"] {
        let (status, m) = s
            .post(
                &format!("/api/v1/conversations/{conv}/messages"),
                Some(&ana),
                json!({ "body": text }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        last = m;
    }
    let (_, list) = s.get("/api/v1/conversations", &ben).await;
    let c = &list["conversations"][0];
    assert_eq!(c["unread_count"], json!(3));
    assert_eq!(c["last_message_at"], last["created_at"]);
    let (_, mine) = s.get(&format!("/api/v1/conversations/{conv}"), &ana).await;
    assert_eq!(
        mine["unread_count"],
        json!(0),
        "one's own messages are not unread"
    );

    let (status, _) = s
        .post(
            &format!("/api/v1/conversations/{conv}/read"),
            Some(&ben),
            json!({ "up_to_seq": 2 }),
        )
        .await;
    assert!(status.is_success(), "{status}");
    let (_, c) = s.get(&format!("/api/v1/conversations/{conv}"), &ben).await;
    assert_eq!(c["unread_count"], json!(1));
    // A recalled message is not waiting to be read.
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/messages/{}", last["id"].as_str().unwrap()),
            Some(&ana),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, c) = s.get(&format!("/api/v1/conversations/{conv}"), &ben).await;
    assert_eq!(c["unread_count"], json!(0));

    // Groups are not deduplicated.
    for _ in 0..2 {
        let (status, _) = s
            .post(
                "/api/v1/conversations",
                Some(&ana),
                json!({ "kind": "group", "title": "Ward 7", "member_ids": [ben_id] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
}
