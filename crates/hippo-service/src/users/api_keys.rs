//! API keys of service accounts: created by an administrator (or the
//! operator's CLI), shown once, stored as a hash, expiring, revocable at
//! once (sockets too), optionally limited to networks and bound to a client
//! certificate. A key is a session that never idles (`SessionKind::ApiKey`),
//! so everything that checks, audits or ends sessions treats it the same;
//! the restrictions are checked on each use by `auth::sessions`.

use super::Users;
use crate::{Event, Principal, Result, ServiceError};
use hippo_core::{
    AuditAction, ErrorCode, Outcome, Role, Session, SessionId, SessionKind, SessionScope,
    Timestamp, UserId, UserStatus, units,
};
use hippo_store::{ApiKeyRow, ApiKeyWithSession};
use std::time::Duration;
use zeroize::Zeroizing;

/// A key's lifetime when the request names none.
pub const DEFAULT_KEY_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// The longest lifetime a key may have: keys are rotated at least yearly.
pub const MAX_KEY_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);
const MAX_ALLOWED_NETWORKS: usize = 64;

/// What an administrator asks for.
#[derive(Debug, Default)]
pub struct NewApiKey {
    pub name: String,
    /// A duration such as `90d`; default [`DEFAULT_KEY_LIFETIME`].
    pub expires_in: Option<String>,
    /// Addresses or networks (`203.0.113.7`, `10.0.0.0/8`); empty: any.
    pub allowed_ips: Vec<String>,
    /// SHA-256 (hex, colons allowed) of the client certificate every use
    /// must present under mutual TLS.
    pub client_cert_sha256: Option<String>,
}

/// A key as administrators see it (never the key itself).
#[derive(Debug, Clone)]
pub struct ApiKeyView {
    pub id: SessionId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Within a minute; `None` until first used.
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// `active`, `expired` or `revoked`.
    pub state: &'static str,
    pub allowed_ips: Vec<String>,
    pub client_cert_sha256: Option<String>,
    pub created_by: Option<UserId>,
}

/// A new key: the one time its secret is shown.
pub struct CreatedApiKey {
    pub view: ApiKeyView,
    pub key: Zeroizing<String>,
}

impl ApiKeyView {
    pub(crate) fn new(k: ApiKeyWithSession, now: Timestamp) -> Self {
        let s = &k.session;
        let state = if s.ended_at.is_some() && s.end_reason.as_deref() != Some("expired") {
            "revoked"
        } else if s.ended_at.is_some() || now >= s.expires_at {
            "expired"
        } else {
            "active"
        };
        ApiKeyView {
            id: k.key.id,
            user_id: k.key.user_id,
            name: k.key.name,
            created_at: s.created_at,
            expires_at: s.expires_at,
            last_used_at: (s.last_seen_at > s.created_at).then_some(s.last_seen_at),
            revoked_at: (state == "revoked").then_some(s.ended_at).flatten(),
            state,
            allowed_ips: k.key.allowed_ips,
            client_cert_sha256: k.key.client_cert_sha256,
            created_by: k.key.created_by,
        }
    }
}

/// Networks in canonical CIDR form (a bare address is one host).
pub(crate) fn parse_networks(list: &[String]) -> Result<Vec<String>> {
    if list.len() > MAX_ALLOWED_NETWORKS {
        return Err(ServiceError::validation(format!(
            "allowed_ips takes at most {MAX_ALLOWED_NETWORKS} entries"
        )));
    }
    list.iter()
        .map(|entry| {
            crate::net::parse_network(entry)
                .map(|net| net.to_string())
                .ok_or_else(|| {
                    ServiceError::validation(format!(
                        "allowed_ips: {:?} is not an IP address or CIDR network",
                        entry.trim()
                    ))
                })
        })
        .collect()
}

/// Whether `ip` (as recorded in request metadata) is inside one of the
/// networks; an empty list allows any address.
pub(crate) fn address_allowed(networks: &[String], ip: Option<&str>) -> bool {
    if networks.is_empty() {
        return true;
    }
    let Some(ip) = ip.and_then(|s| s.parse::<std::net::IpAddr>().ok()) else {
        return false;
    };
    let ip = crate::net::unmapped(ip);
    networks
        .iter()
        .filter_map(|n| n.parse::<ipnet::IpNet>().ok())
        .any(|n| n.contains(&ip))
}

fn parse_fingerprint(input: &str) -> Result<String> {
    let hex: String = input
        .chars()
        .filter(|c| *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(ServiceError::validation(
            "client_cert_sha256 must be a SHA-256 fingerprint: 64 hex digits",
        ))
    }
}

fn parse_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ServiceError::validation(
            "name must be 1 to 100 characters, no control characters",
        ));
    }
    Ok(name.to_owned())
}

impl Users {
    /// Creates an API key for a service account; the key is in the
    /// answer only.
    pub async fn create_api_key(
        &self,
        by: Principal<'_>,
        user: &str,
        input: NewApiKey,
    ) -> Result<CreatedApiKey> {
        self.require_admin(by, AuditAction::ApiKeyCreate, Some(user))
            .await?;
        let name = parse_name(&input.name)?;
        let lifetime = match input.expires_in.as_deref() {
            None => DEFAULT_KEY_LIFETIME,
            Some(text) => units::parse_duration(text)
                .map_err(|e| ServiceError::validation(format!("expires_in: {e}")))?,
        };
        if lifetime.is_zero() || lifetime > MAX_KEY_LIFETIME {
            return Err(ServiceError::validation(
                "expires_in must be more than zero and at most 366d",
            ));
        }
        let allowed_ips = parse_networks(&input.allowed_ips)?;
        let client_cert_sha256 = input
            .client_cert_sha256
            .as_deref()
            .map(parse_fingerprint)
            .transpose()?;
        let row = self.find_user(user).await?;
        if row.role != Role::Service {
            return Err(ServiceError::validation(
                "API keys are only for accounts with role service",
            ));
        }
        if row.status != UserStatus::Active {
            return Err(ServiceError::public(
                ErrorCode::Conflict,
                "the account is deactivated",
            ));
        }
        let now = self.core.clock.now();
        let (key, token_hash) = hippo_crypto::token::generate_api_key()?;
        let session = Session {
            id: SessionId::generate(),
            user_id: row.id.clone(),
            scope: SessionScope::Full,
            kind: SessionKind::ApiKey,
            created_at: now,
            last_seen_at: now,
            expires_at: now.plus(lifetime),
            ip: None,
            user_agent: None,
            ended_at: None,
            end_reason: None,
        };
        let key_row = ApiKeyRow {
            id: session.id.clone(),
            user_id: row.id.clone(),
            name,
            allowed_ips,
            client_cert_sha256,
            created_by: by.user().map(|a| a.user.id.clone()),
        };
        let mut tx = self.core.store.begin_write().await?;
        tx.insert_api_key(&key_row, &session, &token_hash).await?;
        tx.append_audit(
            &by.event(now, AuditAction::ApiKeyCreate, Outcome::Success)
                .resource("api_key", session.id.as_str())
                .detail(by.with_via(serde_json::json!({
                    "user_id": row.id.as_str(),
                    "expires_at": session.expires_at.to_rfc3339(),
                    "allowed_networks": key_row.allowed_ips.len(),
                    "certificate_bound": key_row.client_cert_sha256.is_some(),
                }))),
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedApiKey {
            view: ApiKeyView::new(
                ApiKeyWithSession {
                    key: key_row,
                    session,
                },
                now,
            ),
            key,
        })
    }

    /// A service account's keys (revoked and expired ones too).
    pub async fn list_api_keys(&self, by: Principal<'_>, user: &str) -> Result<Vec<ApiKeyView>> {
        self.require_admin(by, AuditAction::UserRead, Some(user))
            .await?;
        let row = self.find_user(user).await?;
        let now = self.core.clock.now();
        Ok(self
            .core
            .store
            .list_api_keys(&row.id)
            .await?
            .into_iter()
            .map(|k| ApiKeyView::new(k, now))
            .collect())
    }

    /// Revokes a key now: requests with it fail and its sockets close.
    pub async fn revoke_api_key(&self, by: Principal<'_>, id: &str) -> Result<ApiKeyView> {
        self.require_admin(by, AuditAction::ApiKeyRevoke, None)
            .await?;
        let key_id = SessionId::parse(id).ok_or_else(ServiceError::not_found)?;
        let Some(found) = self.core.store.get_api_key(&key_id).await? else {
            return Err(ServiceError::not_found());
        };
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin_write().await?;
        let ended = tx.end_session(&key_id, now, "revoked").await?;
        tx.append_audit(
            &by.event(now, AuditAction::ApiKeyRevoke, Outcome::Success)
                .resource("api_key", key_id.as_str())
                .detail(by.with_via(serde_json::json!({
                    "user_id": found.key.user_id.as_str(),
                    "already_ended": !ended,
                }))),
        )
        .await?;
        tx.commit().await?;
        if ended {
            self.core.events.publish(Event::SessionEnded {
                session_id: key_id.clone(),
                user_id: found.key.user_id.clone(),
                reason: "revoked",
            });
        }
        let after = self
            .core
            .store
            .get_api_key(&key_id)
            .await?
            .ok_or_else(ServiceError::not_found)?;
        Ok(ApiKeyView::new(after, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_parse_and_match() {
        let nets = parse_networks(&[
            "10.0.0.0/8".into(),
            " 203.0.113.7 ".into(),
            "2001:db8::1/32".into(),
        ])
        .unwrap();
        assert_eq!(nets, vec!["10.0.0.0/8", "203.0.113.7/32", "2001:db8::/32"]);
        assert!(address_allowed(&nets, Some("10.1.2.3")));
        assert!(address_allowed(&nets, Some("::ffff:10.1.2.3")));
        assert!(address_allowed(&nets, Some("203.0.113.7")));
        assert!(address_allowed(&nets, Some("2001:db8:5::9")));
        assert!(!address_allowed(&nets, Some("203.0.113.8")));
        assert!(!address_allowed(&nets, Some("127.0.0.1")));
        assert!(!address_allowed(&nets, None));
        assert!(address_allowed(&[], None), "no list: any address");
        assert!(parse_networks(&["10.0.0.0/33".into()]).is_err());
        assert!(parse_networks(&["example.org".into()]).is_err());
    }

    #[test]
    fn fingerprints_are_normalised() {
        let colons = "AB:".repeat(31) + "AB";
        assert_eq!(parse_fingerprint(&colons).unwrap(), "ab".repeat(32));
        assert!(parse_fingerprint("abcd").is_err());
        assert!(parse_fingerprint(&"zz".repeat(32)).is_err());
    }
}
