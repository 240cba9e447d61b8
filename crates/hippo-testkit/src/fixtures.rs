//! Fixtures for the set-up most tests share: signed-in users by name,
//! conversations between them, messages (crates.io's `with_user()` style).

use crate::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A user with TOTP enrolled and a full session.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub id: String,
    pub token: String,
    /// The base32 TOTP secret, for later logins ([`TestServer::code_now`]).
    pub secret: String,
    pub username: String,
}

impl TestServer {
    /// A signed-in user of `role`.
    pub async fn user(&self, username: &str, role: &str) -> SignedIn {
        let (id, token, secret) = self.signed_in(username, role).await;
        SignedIn {
            id,
            token,
            secret,
            username: username.to_owned(),
        }
    }

    /// A signed-in clinician.
    pub async fn clinician(&self, username: &str) -> SignedIn {
        self.user(username, "clinician").await
    }

    /// Signed-in clinicians, in the order named:
    /// `let [ana, ben] = s.clinicians(["ana", "ben"]).await;`
    pub async fn clinicians<const N: usize>(&self, usernames: [&str; N]) -> [SignedIn; N] {
        let mut out = Vec::with_capacity(N);
        for name in usernames {
            out.push(self.clinician(name).await);
        }
        out.try_into().expect("one user per name")
    }

    /// A signed-in admin, `root`.
    pub async fn admin(&self) -> SignedIn {
        self.user("root", "admin").await
    }

    /// A signed-in auditor, `audi`.
    pub async fn auditor(&self) -> SignedIn {
        self.user("audi", "auditor").await
    }

    /// Another full session of `user` (the next TOTP step's code), as a
    /// second device would get; returns its token.
    pub async fn second_session(&self, user: &SignedIn) -> String {
        self.login_after_step(&user.username, &user.secret).await
    }

    /// A group conversation `title` that `creator` starts with `members`;
    /// returns its id.
    pub async fn group<'a>(
        &self,
        creator: &SignedIn,
        members: impl IntoIterator<Item = &'a SignedIn>,
        title: &str,
    ) -> String {
        let ids: Vec<&str> = members.into_iter().map(|m| m.id.as_str()).collect();
        self.create_conversation(
            creator,
            json!({ "kind": "group", "title": title, "member_ids": ids }),
        )
        .await
    }

    /// The direct conversation `a` starts with `b`; returns its id.
    pub async fn direct(&self, a: &SignedIn, b: &SignedIn) -> String {
        self.create_conversation(a, json!({ "kind": "direct", "member_ids": [b.id] }))
            .await
    }

    async fn create_conversation(&self, creator: &SignedIn, body: Value) -> String {
        let (status, body) = self
            .post("/api/v1/conversations", Some(&creator.token), body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("conversation id").to_owned()
    }

    /// `sender` posts `text` to `conv`; returns the created message.
    pub async fn send(&self, sender: &SignedIn, conv: &str, text: &str) -> Value {
        self.send_json(&sender.token, conv, json!({ "body": text }))
            .await
    }

    /// `token` posts the message `body` (any fields) to `conv`; returns the
    /// created message.
    pub async fn send_json(&self, token: &str, conv: &str, body: Value) -> Value {
        let (status, msg) = self
            .post(
                &format!("/api/v1/conversations/{conv}/messages"),
                Some(token),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{msg}");
        msg
    }
}
