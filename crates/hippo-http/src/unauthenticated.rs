//! The per-address gate on unauthenticated requests: one client address
//! (an IPv6 client by its /64, which one host usually holds whole) may send
//! [`UnauthenticatedRate::per_second`] API requests a second that carry no
//! credential (no bearer token or API key, no session cookie), with
//! [`UnauthenticatedRate::burst`] saved up; past that such requests get
//! `429 rate_limited` with `Retry-After` before any handler runs (so a flood
//! of sign-ins costs no password hashing). A request whose credential is
//! refused (401) is charged too, so guessing tokens also spends the budget.
//!
//! A request with a credential is always served: an address over its
//! budget (a hospital's NAT, say, shared with a noisy machine) keeps every
//! signed-in user working; only new sign-ins from it wait. Not charged: the
//! web client's pages and assets, `/healthz`, `/readyz`, `/metrics`, and
//! the WhatsApp webhook, whose deliveries Meta signs (a forged one is
//! refused 401 and charged then). Behind a reverse proxy the address is the
//! client's only when the proxy is in `trusted_proxies`; otherwise every
//! client shares the proxy's budget, so list it.

use crate::extract::ClientAddr;
use crate::problem::ApiError;
use crate::tls::Peer;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hippo_core::ErrorCode;
use hippo_service::rate::KeyedLimiter;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

/// The budget of one address; `per_second` 0 turns the gate off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnauthenticatedRate {
    pub per_second: u32,
    pub burst: u32,
}

impl Default for UnauthenticatedRate {
    fn default() -> Self {
        Self {
            per_second: 20,
            burst: 200,
        }
    }
}

/// The gate's state: one limiter keyed by [`address_key`].
#[derive(Debug)]
pub struct Gate {
    limiter: KeyedLimiter<IpAddr>,
}

impl Gate {
    /// `None` when the rate is 0 (off).
    pub fn new(rate: UnauthenticatedRate) -> Option<Arc<Self>> {
        (rate.per_second > 0).then(|| {
            Arc::new(Self {
                limiter: KeyedLimiter::per_second(rate.per_second, rate.burst.max(1)),
            })
        })
    }
}

/// What an address is counted as: an IPv4 address itself, an IPv6 address
/// by its /64 (the unmapped IPv4 address for `::ffff:a.b.c.d`).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match hippo_service::net::unmapped(ip) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// Whether `req` carries a credential the API would check.
fn has_credential(req: &Request) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
        || crate::browser::session_cookie(req.headers()).is_some()
}

/// Paths never charged: probes, scrapes and Meta's signed deliveries.
pub const EXEMPT_PATHS: &[&str] = &["/healthz", "/readyz", "/metrics", "/webhooks/whatsapp"];

/// Requests never charged up front (see the module's notes).
fn exempt(req: &Request) -> bool {
    let path = req.uri().path();
    if EXEMPT_PATHS.contains(&path) {
        return true;
    }
    matches!(*req.method(), Method::GET | Method::HEAD) && !crate::web::is_api_path(path)
}

/// Middleware: refuses a credential-less request from an address past its
/// budget, and charges refused credentials.
pub async fn gate(State(gate): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    let ip = match req.extensions().get::<ClientAddr>() {
        Some(ClientAddr(ip)) => Some(*ip),
        None => req
            .extensions()
            .get::<ConnectInfo<Peer>>()
            .map(|c| c.0.addr.ip()),
    };
    let Some(key) = ip.map(address_key) else {
        return next.run(req).await;
    };
    let charged = !has_credential(&req) && !exempt(&req);
    if charged && let Err(wait) = gate.limiter.try_take(&key) {
        let mut refusal = ApiError::new(
            ErrorCode::RateLimited,
            "too many unauthenticated requests from this address; try again later",
        );
        refusal.retry_after = Some(wait.as_secs().max(1));
        // FHIR clients get every refusal as an OperationOutcome.
        if crate::rejections::is_fhir(req.uri().path()) {
            return crate::routes::fhir::FhirFailure::from(refusal).into_response();
        }
        return refusal.into_response();
    }
    let response = next.run(req).await;
    if !charged && response.status() == StatusCode::UNAUTHORIZED {
        // The refusal is already made; this only spends the budget.
        let _spent = gate.limiter.try_take(&key);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            address_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            address_key(ip("2001:db8:1:2::1")),
            address_key(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            address_key(ip("2001:db8:1:2::1")),
            address_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(address_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(address_key(ip("192.0.2.7")), ip("192.0.2.7"));
    }
}
