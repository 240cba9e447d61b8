//! Users and sign-in: create through the CLI path, enroll TOTP, log in with
//! the code of the fake clock's time; and the audit chain check.

use crate::{PASSWORD, TestServer};
use hippo_crypto::totp;
use hippo_service::Principal;
use hippo_service::users::NewUser;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

impl TestServer {
    /// Creates a user through the CLI path (as `hippo user create` does).
    pub async fn create_user(&self, username: &str, role: &str) -> String {
        self.hippo
            .users()
            .create(
                Principal::Operator,
                NewUser {
                    username: username.into(),
                    display_name: Some(format!("User {username}")),
                    role: role.into(),
                    password: zeroize::Zeroizing::new(PASSWORD.into()),
                },
            )
            .await
            .expect("create user")
            .id
            .to_string()
    }

    /// `POST /api/v1/auth/login`, with a TOTP code when given.
    pub async fn login_raw(
        &self,
        username: &str,
        password: &str,
        code: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut body = json!({ "username": username, "password": password });
        if let Some(c) = code {
            body["totp_code"] = json!(c);
        }
        self.post("/api/v1/auth/login", None, body).await
    }

    /// The TOTP code at the fake clock's current time.
    pub fn code_now(&self, secret_base32: &str) -> String {
        let secret = base32_decode(secret_base32);
        let now = hippo_core::Clock::now(&self.clock).as_millis() / 1000;
        totp::code_at_step(&secret, totp::step_of(now))
    }

    /// Enrolls TOTP for a fresh user and returns (secret, full token).
    pub async fn enroll_and_login(&self, username: &str) -> (String, String) {
        let (status, body) = self.login_raw(username, PASSWORD, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["mfa_enrollment_required"], json!(true));
        let limited = body["token"].as_str().expect("token").to_owned();
        let (status, body) = self
            .post("/api/v1/me/mfa/totp", Some(&limited), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let secret = body["secret"].as_str().expect("secret").to_owned();
        let code = self.code_now(&secret);
        let (status, body) = self
            .post(
                "/api/v1/me/mfa/totp/confirm",
                Some(&limited),
                json!({ "code": code }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["recovery_codes"].as_array().map(Vec::len), Some(10));
        // Each code is accepted once: move to the next step for the login.
        self.clock.advance(Duration::from_secs(30));
        let token = self.login_with_code(username, &secret).await;
        (secret, token)
    }

    /// Logs in with the current code; returns the token.
    pub async fn login_with_code(&self, username: &str, secret: &str) -> String {
        let code = self.code_now(secret);
        let (status, body) = self.login_raw(username, PASSWORD, Some(&code)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["mfa_enrollment_required"], json!(false));
        body["token"].as_str().expect("token").to_owned()
    }

    /// A user of `role` with MFA enrolled and a full session: (id, token, secret).
    /// [`Self::user`] gives the same as a [`crate::SignedIn`].
    pub async fn signed_in(&self, username: &str, role: &str) -> (String, String, String) {
        let id = self.create_user(username, role).await;
        let (secret, token) = self.enroll_and_login(username).await;
        (id, token, secret)
    }

    /// Logs in with the code of the next time step.
    pub async fn login_after_step(&self, username: &str, secret: &str) -> String {
        self.clock.advance(Duration::from_secs(30));
        self.login_with_code(username, secret).await
    }

    /// Every audit record (pending ones sequenced first), checked to form
    /// an intact chain.
    pub async fn audit(&self) -> Vec<hippo_store::AuditRecord> {
        self.hippo.audit().sequence_now().await.expect("sequence");
        let records = self
            .hippo
            .store()
            .list_audit(0, 1_000_000)
            .await
            .expect("audit");
        let genesis = (0, hippo_store::chain::GENESIS_HASH.to_owned());
        assert_eq!(
            hippo_store::chain::first_break(&records, genesis),
            None,
            "audit chain broken"
        );
        records
    }
}

/// Decodes RFC 4648 base32 (no padding), as a TOTP secret is shown.
pub fn base32_decode(s: &str) -> Vec<u8> {
    data_encoding::BASE32_NOPAD
        .decode(s.as_bytes())
        .unwrap_or_else(|e| panic!("not base32: {s:?}: {e}"))
}
