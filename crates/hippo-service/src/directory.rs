//! The directory: clinicians find each other by name, and conversations
//! show their members' names. Names are encrypted at rest, so they are
//! searched in memory: each node keeps an index decrypted from the user
//! table, and reloads it when the store's `directory_version` (bumped in
//! the same transaction as any change of a name, role or status, by any
//! node or the CLI) differs from the one it was built at. Nothing about a
//! search is written to disk but its audit record, which holds no query.

use crate::core::Core;
use crate::{Actor, Result, ServiceError};
use hippo_core::search::fold;
use hippo_core::{AuditAction, Member, Outcome, UserId, UserStatus};
use std::collections::HashMap;
use std::sync::Arc;

/// Longest directory query, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Results when the caller names no limit, and the most it may ask for.
pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

const VERSION_KEY: &str = "directory_version";

/// One person in the index.
#[derive(Debug)]
struct Person {
    member: Member,
    /// Folded display name and username, each matched on its own.
    folded_name: String,
    folded_username: String,
    /// Active and in a messaging role: found by searches.
    listed: bool,
}

/// The index at one directory version.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    version: Option<String>,
    people: HashMap<UserId, Person>,
    /// Listed people, by folded display name.
    order: Vec<UserId>,
}

/// This node's index, rebuilt when the directory changes.
#[derive(Debug, Default)]
pub(crate) struct DirectoryIndex {
    current: tokio::sync::Mutex<Option<Arc<Snapshot>>>,
}

/// Finding colleagues by name (`hippo.directory()`).
#[derive(Debug)]
pub struct Directory {
    core: Arc<Core>,
}

impl Directory {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }
}

impl Core {
    /// The index as of now (reloaded if any node changed the directory).
    async fn directory(&self) -> Result<Arc<Snapshot>> {
        let version = self.store.get_meta(VERSION_KEY).await?;
        let mut current = self.directory.current.lock().await;
        if let Some(snap) = current.as_ref()
            && snap.version == version
        {
            return Ok(snap.clone());
        }
        let mut people = HashMap::new();
        for row in self.store.list_users().await? {
            let user = self.user_from_row(&row)?;
            let folded_name = fold(&user.display_name);
            let folded_username = fold(&user.username);
            let listed = row.status == UserStatus::Active && row.role.can_message();
            people.insert(
                row.id.clone(),
                Person {
                    member: Member {
                        id: row.id,
                        display_name: user.display_name,
                        role: row.role,
                    },
                    folded_name,
                    folded_username,
                    listed,
                },
            );
        }
        let mut order: Vec<&Person> = people.values().filter(|p| p.listed).collect();
        order.sort_by(|a, b| {
            a.folded_name
                .cmp(&b.folded_name)
                .then_with(|| a.member.id.cmp(&b.member.id))
        });
        let order = order.into_iter().map(|p| p.member.id.clone()).collect();
        let snap = Arc::new(Snapshot {
            version,
            people,
            order,
        });
        *current = Some(snap.clone());
        Ok(snap)
    }

    /// Names and roles of `ids`, in order (for conversation views).
    pub(crate) async fn members_of(&self, ids: &[UserId]) -> Result<Vec<Member>> {
        let snap = self.directory().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match snap.people.get(id) {
                Some(p) => out.push(p.member.clone()),
                // Not in the index (it cannot lag a committed user, but a
                // row read in a race is looked up directly).
                None => {
                    if let Some(row) = self.store.get_user(id).await? {
                        let user = self.user_from_row(&row)?;
                        out.push(Member {
                            id: row.id,
                            display_name: user.display_name,
                            role: row.role,
                        });
                    }
                }
            }
        }
        Ok(out)
    }
}

impl Directory {
    /// `GET /api/v1/directory`: active messaging users whose display name
    /// or username contains `query` (case and accents ignored), by name.
    /// Messaging roles only; the search is recorded without its text.
    /// `skip` matches are passed over (paging); the flag says whether more
    /// follow this page.
    pub async fn search(
        &self,
        actor: &Actor,
        query: &str,
        limit: Option<i64>,
        skip: usize,
    ) -> Result<(Vec<Member>, bool)> {
        self.core
            .require_messaging(actor, AuditAction::DirectorySearch)
            .await?;
        // Checked after folding too: a query of accents alone is empty.
        let needle = fold(query);
        if needle.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
            return Err(ServiceError::validation(format!(
                "q must be 1 to {MAX_QUERY_CHARS} characters"
            )));
        }
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ServiceError::validation(format!(
                "limit must be 1 to {MAX_LIMIT}"
            )));
        }
        let snap = self.core.directory().await?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut found: Vec<Member> = snap
            .order
            .iter()
            .filter_map(|id| snap.people.get(id))
            .filter(|p| p.folded_name.contains(&needle) || p.folded_username.contains(&needle))
            .skip(skip)
            .take(limit.saturating_add(1))
            .map(|p| p.member.clone())
            .collect();
        let more = found.len() > limit;
        found.truncate(limit);
        self.core
            .audit_alone(
                actor
                    .event(
                        self.core.clock.now(),
                        AuditAction::DirectorySearch,
                        Outcome::Success,
                    )
                    .detail(serde_json::json!({ "results": found.len() })),
            )
            .await?;
        Ok((found, more))
    }
}
