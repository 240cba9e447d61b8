//! ICE servers for calls: the STUN and TURN addresses a client may use, and
//! short-lived TURN credentials in coturn's shared-secret scheme. The TURN
//! username is an expiry and a random id, never anything about the person
//! (coturn logs usernames).

use super::Calls;
use crate::{Actor, Result, ServiceError};
use hippo_core::{AuditAction, Timestamp};
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// Longest a TURN credential is valid.
pub const MAX_TURN_TTL: Duration = Duration::from_secs(600);

/// coturn's `static-auth-secret`.
#[derive(Clone)]
pub struct TurnSecret(Arc<Zeroizing<Vec<u8>>>);

impl TurnSecret {
    pub fn new(secret: Zeroizing<Vec<u8>>) -> Self {
        Self(Arc::new(secret))
    }
}

impl std::fmt::Debug for TurnSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TurnSecret(<redacted>)")
    }
}

/// How calls are set up on this server.
#[derive(Debug, Clone, Default)]
pub struct CallsConfig {
    /// `stun:` and `turn:`/`turns:` URLs handed to clients.
    pub ice_urls: Vec<String>,
    /// Needed when any URL is a TURN one.
    pub turn_secret: Option<TurnSecret>,
    /// Every call relay only, whatever the caller asks.
    pub relay_only: bool,
}

/// One entry of `RTCConfiguration.iceServers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub credential: Option<Zeroizing<String>>,
}

/// What a client configures its peer connection with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceServers {
    pub servers: Vec<IceServer>,
    pub expires_at: Timestamp,
}

fn is_turn(url: &str) -> bool {
    url.starts_with("turn:") || url.starts_with("turns:")
}

impl CallsConfig {
    /// Refuses URLs that are neither STUN nor TURN, and TURN without a
    /// secret: checked at start, so a call never fails on it later.
    pub fn check(&self) -> std::result::Result<(), String> {
        for url in &self.ice_urls {
            if !(is_turn(url) || url.starts_with("stun:") || url.starts_with("stuns:")) {
                return Err(format!(
                    "turn_urls: {url:?} is not a stun:, turn: or turns: URL"
                ));
            }
        }
        if self.ice_urls.iter().any(|u| is_turn(u)) && self.turn_secret.is_none() {
            return Err("turn_urls names a TURN server but turn_secret_file is not set".into());
        }
        Ok(())
    }
}

impl Calls {
    /// STUN/TURN for a member's client, TURN credentials valid `ttl` (at
    /// most ten minutes).
    pub async fn ice_servers(&self, actor: &Actor, ttl: Option<Duration>) -> Result<IceServers> {
        self.core
            .require_messaging(actor, AuditAction::CallJoin)
            .await?;
        let ttl = ttl.unwrap_or(MAX_TURN_TTL);
        if ttl.is_zero() || ttl > MAX_TURN_TTL {
            return Err(ServiceError::validation("ttl_seconds must be 1 to 600"));
        }
        let cfg = &self.core.config.calls;
        let expires_at = self.core.clock.now().plus(ttl);
        let mut servers = Vec::new();
        let stun: Vec<String> = cfg
            .ice_urls
            .iter()
            .filter(|u| !is_turn(u))
            .cloned()
            .collect();
        if !stun.is_empty() {
            servers.push(IceServer {
                urls: stun,
                username: None,
                credential: None,
            });
        }
        let turn: Vec<String> = cfg
            .ice_urls
            .iter()
            .filter(|u| is_turn(u))
            .cloned()
            .collect();
        if let (false, Some(secret)) = (turn.is_empty(), &cfg.turn_secret) {
            let c = hippo_crypto::turn::turn_credential(&secret.0, expires_at.as_millis() / 1000)?;
            servers.push(IceServer {
                urls: turn,
                username: Some(c.username),
                credential: Some(c.password),
            });
        }
        Ok(IceServers {
            servers,
            expires_at,
        })
    }
}
