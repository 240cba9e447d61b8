//! This node's cache of what nearly every request looks up: the session
//! behind a bearer token (with its user, decrypted) and, for sends, a
//! conversation's row and members. Without it a send read four rows
//! (session, user, conversation, members) before its transaction; with
//! it, one: the access version.
//!
//! **Why a version check and not invalidation over the cluster bus.** The
//! bus cannot make a revocation act at once everywhere: its notes are best
//! effort (a full queue drops them, a lost connection misses them), over
//! NATS a node hears only users with a socket on it, and the admin CLI
//! (`hippo user deactivate`, another process, also on SQLite) publishes on
//! no bus at all. So instead the store changes one meta value,
//! [`hippo_store::ACCESS_VERSION_KEY`], to a fresh random token in the
//! same transaction as anything that may withdraw access — a session
//! ending (logout, revocation, expiry, deactivation, password change), a
//! change to an account (role, status, names, password, MFA), a member
//! joining or leaving a conversation, an erasure, a restore — whichever
//! process commits it. Each request reads that one small row first; an
//! entry is used only by a request that read the same version as the one
//! read before the entry's rows were loaded. Every change committed before
//! the request began therefore shows: the version it read was written by
//! the last such change (or a later one), and the entry was loaded after
//! that. A random token never comes back, so an entry cannot become valid
//! again; while the key is absent (a new or wiped database) nothing is
//! cached and the first request writes one.
//!
//! The idle timer still works from the cached session: `last_seen_at` is
//! written at most once per granule (as before the cache) and the cached
//! copy follows; a session that looks idle or past its lifetime here is
//! judged again from the database, which another node may have touched.
//!
//! Cached conversation rows are for sends only: their `last_seq`,
//! `updated_at` and title may be stale (none of them withdraws access);
//! their id, data key and members are not.

use crate::Result;
use hippo_core::{ConversationId, Session, Timestamp, User, UserId};
use hippo_store::{ACCESS_VERSION_KEY, ConversationRow};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Entries per map before it is emptied (a bound on memory, not a policy).
const MAX_ENTRIES: usize = 50_000;

/// The access version a request read: what its cache lookups must match.
/// `None`: the store holds none yet, and nothing is cached.
pub(crate) type AccessVersion = Option<Arc<str>>;

/// A session and its user (and, for an API key, the key's restrictions),
/// as loaded at one access version.
#[derive(Debug, Clone)]
pub(crate) struct CachedSession {
    pub session: Session,
    pub user: User,
    pub key: Option<Arc<hippo_store::ApiKeyRow>>,
}

/// A conversation and its members, as loaded at one access version.
#[derive(Debug)]
pub(crate) struct CachedConversation {
    pub row: ConversationRow,
    pub members: Vec<UserId>,
}

impl Inner {
    /// Keeps the entries if they were loaded at `version`; else empties
    /// them and starts over at `version` (entries of another version are
    /// never served again; a late one of an older version only empties
    /// it).
    fn at(&mut self, version: &Arc<str>) -> &mut Self {
        if self.version.as_deref() != Some(&**version) {
            self.version = Some(version.clone());
            self.sessions.clear();
            self.conversations.clear();
        }
        self
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// The version every entry below was loaded at.
    version: Option<Arc<str>>,
    /// By token hash.
    sessions: HashMap<String, CachedSession>,
    conversations: HashMap<ConversationId, Arc<CachedConversation>>,
}

/// See the module doc.
#[derive(Debug, Default)]
pub(crate) struct AccessCache {
    inner: Mutex<Inner>,
}

impl AccessCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn session(
        &self,
        version: &AccessVersion,
        token_hash: &str,
    ) -> Option<CachedSession> {
        let version = version.as_ref()?;
        let inner = self.lock();
        if inner.version.as_deref() != Some(&**version) {
            return None;
        }
        inner.sessions.get(token_hash).cloned()
    }

    /// Remembers a session loaded after reading `version`.
    pub(crate) fn put_session(
        &self,
        version: &AccessVersion,
        token_hash: String,
        entry: CachedSession,
    ) {
        let Some(version) = version else { return };
        let mut guard = self.lock();
        let inner = guard.at(version);
        if inner.sessions.len() >= MAX_ENTRIES {
            inner.sessions.clear();
        }
        inner.sessions.insert(token_hash, entry);
    }

    /// The idle timer was written: the cached copy follows (it only moves
    /// forward).
    pub(crate) fn touched(&self, token_hash: &str, at: Timestamp) {
        if let Some(entry) = self.lock().sessions.get_mut(token_hash)
            && entry.session.last_seen_at < at
        {
            entry.session.last_seen_at = at;
        }
    }

    pub(crate) fn conversation(
        &self,
        version: &AccessVersion,
        id: &ConversationId,
    ) -> Option<Arc<CachedConversation>> {
        let version = version.as_ref()?;
        let inner = self.lock();
        if inner.version.as_deref() != Some(&**version) {
            return None;
        }
        inner.conversations.get(id).cloned()
    }

    /// Remembers a conversation loaded after reading `version`.
    pub(crate) fn put_conversation(&self, version: &AccessVersion, entry: Arc<CachedConversation>) {
        let Some(version) = version else { return };
        let mut guard = self.lock();
        let inner = guard.at(version);
        if inner.conversations.len() >= MAX_ENTRIES {
            inner.conversations.clear();
        }
        inner.conversations.insert(entry.row.id.clone(), entry);
    }
}

impl super::Core {
    /// The access version now (one small read). With none stored yet, one
    /// is written (any later change replaces it), and this request goes
    /// uncached.
    pub(crate) async fn access_version(&self) -> Result<AccessVersion> {
        if let Some(v) = self.store.get_meta(ACCESS_VERSION_KEY).await? {
            return Ok(Some(v.into()));
        }
        let mut tx = self.store.begin_write().await?;
        if tx.get_meta_for_update(ACCESS_VERSION_KEY).await?.is_none() {
            let token = hippo_core::SessionId::generate().to_string();
            tx.put_meta(ACCESS_VERSION_KEY, &token).await?;
            tx.commit().await?;
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hippo_core::{Role, SessionId, SessionScope, UserStatus};

    fn entry() -> CachedSession {
        let user_id = UserId::generate();
        CachedSession {
            session: Session {
                id: SessionId::generate(),
                user_id: user_id.clone(),
                scope: SessionScope::Full,
                kind: hippo_core::SessionKind::Login,
                created_at: Timestamp::from_millis(0),
                last_seen_at: Timestamp::from_millis(0),
                expires_at: Timestamp::from_millis(1_000_000),
                ip: None,
                user_agent: None,
                ended_at: None,
                end_reason: None,
            },
            user: User {
                id: user_id,
                username: "ana".into(),
                display_name: "Ana".into(),
                role: Role::Clinician,
                status: UserStatus::Active,
                mfa_enabled: false,
                must_change_password: false,
                created_at: Timestamp::from_millis(0),
            },
            key: None,
        }
    }

    #[test]
    fn entries_serve_only_the_version_they_were_loaded_at() {
        let cache = AccessCache::default();
        let (v1, v2): (AccessVersion, AccessVersion) = (Some("a".into()), Some("b".into()));
        cache.put_session(&v1, "t".into(), entry());
        assert!(cache.session(&v1, "t").is_some());
        assert!(cache.session(&v2, "t").is_none(), "another version misses");
        assert!(cache.session(&None, "t").is_none(), "no version, no cache");
        // Loaded at v2: the v1 entries are gone for good.
        cache.put_session(&v2, "u".into(), entry());
        assert!(cache.session(&v2, "t").is_none());
        assert!(cache.session(&v1, "t").is_none());
        // A late entry of v1 does not make v2 entries servable to v1.
        cache.put_session(&v1, "w".into(), entry());
        assert!(cache.session(&v2, "u").is_none());
        assert!(cache.session(&v1, "u").is_none());
        // Nothing is kept without a version.
        cache.put_session(&None, "x".into(), entry());
        assert!(cache.session(&v1, "x").is_none());
    }

    #[test]
    fn the_idle_timer_only_moves_forward() {
        let cache = AccessCache::default();
        let v: AccessVersion = Some("a".into());
        cache.put_session(&v, "t".into(), entry());
        cache.touched("t", Timestamp::from_millis(50));
        cache.touched("t", Timestamp::from_millis(20));
        let got = cache.session(&v, "t").map(|e| e.session.last_seen_at);
        assert_eq!(got, Some(Timestamp::from_millis(50)));
    }
}
