//! Reading the whole audit trail fast: pages are fetched ahead, several at
//! once on separate connections, while the caller works on the current
//! one (verification, exports). Pages still come out in order.

use crate::{AuditRecord, Result, Store};
use std::collections::VecDeque;
use std::sync::Arc;

/// Pages fetched at once.
const AHEAD: i64 = 3;

/// The records with `after < seq <= up_to`, page by page, in order.
pub struct AuditScan {
    store: Arc<dyn Store>,
    next_start: i64,
    up_to: i64,
    page: i64,
    in_flight: VecDeque<tokio::task::JoinHandle<Result<Vec<AuditRecord>>>>,
}

impl AuditScan {
    pub fn new(store: Arc<dyn Store>, after: i64, up_to: i64, page: i64) -> Self {
        let mut scan = Self {
            store,
            next_start: after,
            up_to,
            page: page.max(1),
            in_flight: VecDeque::new(),
        };
        scan.fill();
        scan
    }

    fn fill(&mut self) {
        while self.in_flight.len() < AHEAD as usize && self.next_start < self.up_to {
            let (store, after) = (self.store.clone(), self.next_start);
            let limit = self.page.min(self.up_to - after);
            // Exactly the seq range (after, after + limit]: with records
            // missing, a page must not run into the next one.
            self.in_flight.push_back(tokio::spawn(async move {
                let mut page = store.list_audit(after, limit).await?;
                page.retain(|r| r.seq <= after + limit);
                Ok(page)
            }));
            self.next_start += limit;
        }
    }

    /// The next page, or `None` when the range is done. A page holds the
    /// records of its seq range; fewer when records are missing (callers
    /// that check the chain notice the gap).
    pub async fn next_page(&mut self) -> Option<Result<Vec<AuditRecord>>> {
        let task = self.in_flight.pop_front()?;
        self.fill();
        Some(match task.await {
            Ok(page) => page,
            Err(e) => Err(crate::StoreError::Other(format!(
                "audit read task failed: {e}"
            ))),
        })
    }
}
