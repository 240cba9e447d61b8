//! Requests to a [`TestServer`]: JSON in, status and JSON out.

use crate::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::Value;

impl TestServer {
    /// The full URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request; returns status and JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// `GET path` as `token`.
    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// A GET whose answer is not JSON (a file's bytes, as text).
    pub async fn get_text(&self, path: &str, token: &str) -> (StatusCode, String) {
        let resp = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        (status, resp.text().await.expect("body"))
    }

    /// `POST path` with a JSON body, as `token` when given.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Uploads a text file as `token`; returns its id.
    pub async fn upload_text(&self, token: &str, filename: &str, text: &str) -> String {
        let resp = self
            .client
            .post(self.url(&format!("/api/v1/attachments?filename={filename}")))
            .bearer_auth(token)
            .header("content-type", "text/plain")
            .body(text.to_owned())
            .send()
            .await
            .expect("upload");
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json::<Value>().await.expect("upload answer")["id"]
            .as_str()
            .expect("attachment id")
            .to_owned()
    }
}
