//! The REST calls: sign-in and sign-out, the caller, users (admin),
//! conversations, messages and API keys. Each sends the client's bearer
//! token, expects a 2xx answer and parses it; anything else becomes
//! [`Error::Api`] with the problem document hippo sent.

use crate::types::{
    ApiKey, ApiKeyList, ConversationList, CreatedApiKey, LoginRequest, LoginResponse, MessagePage,
    NewApiKey, NewConversation, NewMessage, NewUser, User, UserList,
};
use crate::{Client, Error, Problem, Result};
use hippo_protocol::{ConversationResponse, MessageResponse};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What a path segment keeps unescaped: the RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A path segment, percent-encoded (ids are opaque strings).
fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        _ => "request",
    }
}

impl Client {
    /// A request to `path` (under the origin, e.g. `/api/v1/me`) with the
    /// bearer token, for calls this crate does not wrap.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.request_with(method, path, &[])
    }

    fn request_with(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
    ) -> reqwest::RequestBuilder {
        let mut url = self.base.clone();
        url.set_path(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let request = self.http.request(method, url);
        match &self.token {
            Some(t) => request.bearer_auth(t.expose()),
            None => request,
        }
    }

    /// Sends a request; a 2xx answer is returned as is, anything else as
    /// [`Error::Api`].
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<reqwest::Response> {
        let mut request = self.request_with(method.clone(), path, query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        Err(Error::Api {
            method: method_name(&method),
            path: path.to_owned(),
            status,
            problem: serde_json::from_str::<Problem>(&text).ok().map(Box::new),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T> {
        Ok(self.send(method, path, &[], body).await?.json().await?)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T> {
        Ok(self
            .send(Method::GET, path, query, None::<&()>)
            .await?
            .json()
            .await?)
    }

    /// `POST /api/v1/auth/login`: a session for a person (with the TOTP
    /// code once MFA is enrolled). Continue with
    /// `client.with_token(answer.token)`. Service accounts use an API key
    /// instead.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        totp_code: Option<&str>,
    ) -> Result<LoginResponse> {
        let body = LoginRequest {
            username,
            password,
            totp_code,
        };
        self.call(Method::POST, "/api/v1/auth/login", Some(&body))
            .await
    }

    /// `POST /api/v1/auth/logout`: this token is dead everywhere, sockets
    /// included.
    pub async fn logout(&self) -> Result<()> {
        self.send(Method::POST, "/api/v1/auth/logout", &[], None::<&()>)
            .await?;
        Ok(())
    }

    /// `GET /api/v1/me`: the account this token acts as.
    pub async fn me(&self) -> Result<User> {
        self.get("/api/v1/me", &[]).await
    }

    /// `POST /api/v1/users` (admin).
    pub async fn create_user(&self, user: &NewUser) -> Result<User> {
        self.call(Method::POST, "/api/v1/users", Some(user)).await
    }

    /// `GET /api/v1/users` (admin): the first page.
    pub async fn list_users(&self) -> Result<UserList> {
        self.get("/api/v1/users", &[]).await
    }

    /// `GET /api/v1/users/{id}` (admin; `id` or username).
    pub async fn get_user(&self, id: &str) -> Result<User> {
        self.get(&format!("/api/v1/users/{}", seg(id)), &[]).await
    }

    /// `POST /api/v1/users/{id}/deactivate` (admin): every session and
    /// socket of the account ends now.
    pub async fn deactivate_user(&self, id: &str) -> Result<()> {
        let path = format!("/api/v1/users/{}/deactivate", seg(id));
        self.send(Method::POST, &path, &[], None::<&()>).await?;
        Ok(())
    }

    /// `POST /api/v1/conversations` (the caller is a member; a direct
    /// conversation that exists already is returned as is).
    pub async fn create_conversation(
        &self,
        conversation: &NewConversation,
    ) -> Result<ConversationResponse> {
        self.call(Method::POST, "/api/v1/conversations", Some(conversation))
            .await
    }

    /// `GET /api/v1/conversations`: the caller's, most recently active
    /// first (the first page).
    pub async fn list_conversations(&self) -> Result<ConversationList> {
        self.get("/api/v1/conversations", &[]).await
    }

    /// `GET /api/v1/conversations/{id}`.
    pub async fn get_conversation(&self, id: &str) -> Result<ConversationResponse> {
        self.get(&format!("/api/v1/conversations/{}", seg(id)), &[])
            .await
    }

    /// `POST /api/v1/conversations/{id}/messages`.
    pub async fn send_message(
        &self,
        conversation_id: &str,
        message: &NewMessage,
    ) -> Result<MessageResponse> {
        let path = format!("/api/v1/conversations/{}/messages", seg(conversation_id));
        self.call(Method::POST, &path, Some(message)).await
    }

    /// `GET /api/v1/conversations/{id}/messages?after_seq=&limit=`: oldest
    /// first; `next_after_seq` continues.
    pub async fn list_messages(
        &self,
        conversation_id: &str,
        after_seq: Option<i64>,
        limit: Option<u32>,
    ) -> Result<MessagePage> {
        let path = format!("/api/v1/conversations/{}/messages", seg(conversation_id));
        let mut query = Vec::new();
        if let Some(after) = after_seq {
            query.push(("after_seq", after.to_string()));
        }
        if let Some(limit) = limit {
            query.push(("limit", limit.to_string()));
        }
        self.get(&path, &query).await
    }

    /// `POST /api/v1/users/{id}/api-keys` (admin, for a `service`
    /// account): the key, shown this once.
    pub async fn create_api_key(&self, user: &str, key: &NewApiKey) -> Result<CreatedApiKey> {
        let path = format!("/api/v1/users/{}/api-keys", seg(user));
        self.call(Method::POST, &path, Some(key)).await
    }

    /// `GET /api/v1/users/{id}/api-keys` (admin): revoked and expired ones
    /// too, never the keys.
    pub async fn list_api_keys(&self, user: &str) -> Result<Vec<ApiKey>> {
        let path = format!("/api/v1/users/{}/api-keys", seg(user));
        Ok(self.get::<ApiKeyList>(&path, &[]).await?.api_keys)
    }

    /// `DELETE /api/v1/api-keys/{id}` (admin): requests with it fail and
    /// its sockets close now.
    pub async fn revoke_api_key(&self, id: &str) -> Result<()> {
        let path = format!("/api/v1/api-keys/{}", seg(id));
        self.send(Method::DELETE, &path, &[], None::<&()>).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::seg;

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(seg("01a2-b_c.d~"), "01a2-b_c.d~");
        assert_eq!(seg("a/b c?"), "a%2Fb%20c%3F");
    }
}
