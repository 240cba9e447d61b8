//! Sign-in, the caller, users, conversations and messages; errors carry
//! hippo's problem code.

use crate::{client, server, signed_in};
use hippo_client::{Error, NewConversation, NewMessage, NewUser, Secret};

#[tokio::test]
async fn a_clinician_signs_in_creates_a_conversation_and_pages_its_messages() {
    let s = server().await;
    let (ana_id, ana) = signed_in(&s, "ana", "clinician").await;
    let (ben_id, ben) = signed_in(&s, "ben", "clinician").await;
    assert_eq!(ana.me().await.expect("me").username, "ana");

    let conversation = ana
        .create_conversation(&NewConversation::group([ben_id.as_str()]))
        .await
        .expect("create conversation");
    assert_eq!(conversation.kind, "group");
    assert!(conversation.member_ids.contains(&ana_id) && conversation.member_ids.contains(&ben_id));

    let first = ana
        .send_message(
            &conversation.id,
            &NewMessage {
                client_id: Some("c-1".into()),
                ..NewMessage::text("Bed 4: labs are back")
            },
        )
        .await
        .expect("send");
    assert_eq!((first.seq, first.sender_id.as_str()), (1, ana_id.as_str()));
    // The same client_id again: the first message, not a second one.
    let again = ana
        .send_message(
            &conversation.id,
            &NewMessage {
                client_id: Some("c-1".into()),
                ..NewMessage::text("Bed 4: labs are back")
            },
        )
        .await
        .expect("retry");
    assert_eq!(again.id, first.id);
    ben.send_message(&conversation.id, &NewMessage::text("On my way"))
        .await
        .expect("reply");

    let page = ben
        .list_messages(&conversation.id, Some(0), Some(1))
        .await
        .expect("first page");
    assert_eq!(page.messages.len(), 1);
    assert_eq!(
        page.messages[0].body.as_deref(),
        Some("Bed 4: labs are back")
    );
    let rest = ben
        .list_messages(&conversation.id, Some(page.next_after_seq), None)
        .await
        .expect("the rest");
    let seqs: Vec<i64> = rest.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![2]);
    let listed = ben.list_conversations().await.expect("list");
    assert_eq!(listed.conversations[0].id, conversation.id);
    assert_eq!(listed.conversations[0].last_seq, 2);
}

#[tokio::test]
async fn failures_carry_the_problem_code() {
    let s = server().await;
    s.create_user("ana", "clinician").await;
    let anonymous = client(&s);
    let wrong = anonymous
        .login("ana", "not-the-password-at-all", None)
        .await
        .expect_err("a wrong password");
    assert_eq!(
        (wrong.status(), wrong.code()),
        (Some(401), Some("invalid_credentials"))
    );
    let unauthenticated = anonymous.me().await.expect_err("no token");
    assert_eq!(unauthenticated.code(), Some("unauthenticated"));

    let (_, ana) = signed_in(&s, "ana2", "clinician").await;
    let missing = ana
        .get_conversation("01a20000-0000-7000-8000-000000000000")
        .await
        .expect_err("not a member");
    assert!(matches!(missing, Error::Api { .. }), "{missing:?}");
    assert_eq!(missing.status(), Some(404));
    // A clinician is not an administrator.
    let denied = ana.list_users().await.expect_err("not an admin");
    assert_eq!(denied.code(), Some("forbidden"));
    // Tokens never show in Debug.
    assert!(!format!("{ana:?}").contains(ana.token().expect("token")));
}

#[tokio::test]
async fn an_administrator_manages_users() {
    let s = server().await;
    let (_, admin) = signed_in(&s, "root", "admin").await;
    let created = admin
        .create_user(&NewUser {
            username: "cora".into(),
            display_name: Some("Cora Nurse".into()),
            role: "staff".into(),
            password: Secret::from("a-long-enough-passphrase-31"),
        })
        .await
        .expect("create user");
    assert_eq!(
        (created.role.as_str(), created.status.as_str()),
        ("staff", "active")
    );
    assert_eq!(
        admin.get_user(&created.id).await.expect("get").display_name,
        "Cora Nurse"
    );
    let users = admin.list_users().await.expect("list");
    assert!(users.users.iter().any(|u| u.id == created.id));

    let cora = client(&s)
        .login("cora", "a-long-enough-passphrase-31", None)
        .await
        .expect("cora signs in");
    let cora = client(&s).with_token(cora.token.expect("token").expose());
    admin
        .deactivate_user(&created.id)
        .await
        .expect("deactivate");
    let ended = cora.me().await.expect_err("deactivated");
    assert_eq!(ended.status(), Some(401));
}
