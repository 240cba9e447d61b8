//! The rows for administrators and other users' sign-in sessions: list
//! one user's, end them, and the organisation-wide sign-out. Chained last:
//! the sign-out ends every other row's sessions.

use super::cases::{Case, Expect, case};
use crate::support::TestServer;
use reqwest::Method;

pub(super) async fn cases(s: &TestServer, admin: &str, refused: &str) -> Vec<Case> {
    use Expect::Records;
    let gus = s.clinician("gus").await.id;
    let (g, p) = (Method::GET, Method::POST);
    vec![
        case(
            g,
            "/api/v1/users/{id}/sessions",
            format!("/api/v1/users/{gus}/sessions"),
            admin,
            None,
            Records("user.read"),
            Some(refused),
        ),
        case(
            p.clone(),
            "/api/v1/users/{id}/sessions/revoke",
            format!("/api/v1/users/{gus}/sessions/revoke"),
            admin,
            None,
            Records("session.revoke"),
            Some(refused),
        ),
        case(
            p,
            "/api/v1/sessions/revoke-all",
            "/api/v1/sessions/revoke-all",
            admin,
            None,
            Records("session.revoke"),
            Some(refused),
        ),
    ]
}
