//! The audit trail's Merkle tree over HTTP (RFC 9162): the newest signed
//! tree head, inclusion proofs and consistency proofs. Each call is
//! recorded in the trail (`audit.query`).

use super::audit::{QueryResult, number, query};
use crate::AppState;
use crate::extract::Auth;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use base64::Engine as _;
use hippo_core::ErrorCode;
use hippo_service::Principal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tree_head))
        .routes(routes!(inclusion))
        .routes(routes!(consistency))
}

/// A signed tree head.
#[derive(Serialize, ToSchema)]
pub struct TreeHeadResponse {
    pub tree_size: i64,
    /// Hex SHA-256.
    pub root_hash: String,
    /// RFC 3339, exactly as signed.
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// Base64 Ed25519 signature over the JSON text
    /// `{"tree_size":N,"root_hash":"…","timestamp":"…"}` (no spaces).
    #[schema(format = Byte)]
    pub signature: String,
    /// Hex SHA-256 of the public key.
    pub key_id: String,
    /// Base64 raw Ed25519 public key (check it against one you hold).
    #[schema(format = Byte)]
    pub public_key: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `GET /api/v1/audit/tree-head`: the newest signed tree head.
#[utoipa::path(get, operation_id = "auditTreeHead", path = "/api/v1/audit/tree-head", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "The newest signed tree head.", body = TreeHeadResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn tree_head(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<TreeHeadResponse>> {
    let audit = state.hippo.audit();
    let head = audit.tree_head(Principal::User(&actor)).await?;
    // The head's own key when it is this server's; a retired key's head
    // names its key id, and the key is in the endorsements.
    let public_key = audit
        .public_key()
        .filter(|(_, id)| *id == head.key_id)
        .map(|(k, _)| b64(&k))
        .unwrap_or_default();
    Ok(Json(TreeHeadResponse {
        tree_size: head.tree_size,
        root_hash: head.root_hash,
        timestamp: head.timestamp,
        signature: b64(&head.signature),
        key_id: head.key_id,
        public_key,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionParams {
    pub seq: Option<String>,
    pub tree_size: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct InclusionResponse {
    /// `seq - 1`.
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Hex hashes, from the leaf's sibling up (RFC 9162 §2.1.3).
    pub audit_path: Vec<String>,
}

fn hexes(hashes: &[[u8; 32]]) -> Vec<String> {
    hashes.iter().map(|h| hippo_crypto::hex(h)).collect()
}

/// `GET /api/v1/audit/proof/inclusion?seq=N&tree_size=M`: the proof that
/// record `seq` is in the tree of `tree_size` records (default: the newest
/// signed head's).
#[utoipa::path(get, operation_id = "auditInclusionProof", path = "/api/v1/audit/proof/inclusion", tag = "audit", security(("bearer" = [])),
    params(("seq" = i64, Query), ("tree_size" = Option<i64>, Query, description = "at most the newest signed head's; default that")),
    responses((status = 200, description = "The inclusion proof.", body = InclusionResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn inclusion(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: QueryResult<InclusionParams>,
) -> ApiResult<Json<InclusionResponse>> {
    let params = query(params)?;
    let seq = number(params.seq.as_deref(), "seq")?
        .ok_or_else(|| ApiError::new(ErrorCode::ValidationFailed, "seq is required"))?;
    let tree_size = number(params.tree_size.as_deref(), "tree_size")?;
    let proof = state
        .hippo
        .audit()
        .inclusion_proof(Principal::User(&actor), seq, tree_size)
        .await?;
    Ok(Json(InclusionResponse {
        leaf_index: proof.leaf_index,
        tree_size: proof.tree_size,
        audit_path: hexes(&proof.audit_path),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyParams {
    pub first: Option<String>,
    pub second: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConsistencyResponse {
    /// Hex hashes (RFC 9162 §2.1.4); empty when `first` = `second`.
    pub consistency_path: Vec<String>,
}

/// `GET /api/v1/audit/proof/consistency?first=M&second=N`: the proof that
/// the tree of `first` records is a prefix of the tree of `second`.
#[utoipa::path(get, operation_id = "auditConsistencyProof", path = "/api/v1/audit/proof/consistency", tag = "audit", security(("bearer" = [])),
    params(("first" = i64, Query), ("second" = i64, Query)),
    responses((status = 200, description = "The consistency proof.", body = ConsistencyResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn consistency(
    State(state): State<AppState>,
    Auth(actor): Auth,
    params: QueryResult<ConsistencyParams>,
) -> ApiResult<Json<ConsistencyResponse>> {
    let params = query(params)?;
    let required = |v: Option<i64>, name: &str| {
        v.ok_or_else(|| ApiError::new(ErrorCode::ValidationFailed, format!("{name} is required")))
    };
    let first = required(number(params.first.as_deref(), "first")?, "first")?;
    let second = required(number(params.second.as_deref(), "second")?, "second")?;
    let path = state
        .hippo
        .audit()
        .consistency_proof(Principal::User(&actor), first, second)
        .await?;
    Ok(Json(ConsistencyResponse {
        consistency_path: hexes(&path),
    }))
}
