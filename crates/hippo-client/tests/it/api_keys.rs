//! API keys: an administrator creates one for a service account, the key
//! alone signs in (REST and stream), revocation ends both at once.

use crate::{client, server, signed_in};
use hippo_client::{NewApiKey, ServerFrame, SessionEndReason};
use std::time::Duration;

#[tokio::test]
async fn a_service_account_works_with_its_key_until_it_is_revoked() {
    let s = server().await;
    let (_, admin) = signed_in(&s, "root", "admin").await;
    let service = s.create_user("erp-bridge", "service").await;
    let created = admin
        .create_api_key(
            &service,
            &NewApiKey {
                expires_in: Some("30d".into()),
                ..NewApiKey::named("ERP bridge")
            },
        )
        .await
        .expect("create key");
    assert!(created.key.expose().starts_with("hpk_"));
    assert!(
        !format!("{created:?}").contains(created.key.expose()),
        "the key never shows in Debug"
    );
    assert_eq!(
        (
            created.api_key.state.as_str(),
            created.api_key.user_id.as_str()
        ),
        ("active", service.as_str())
    );

    let erp = client(&s).with_token(created.key.expose());
    let me = erp.me().await.expect("the key signs in");
    assert_eq!(
        (me.id.as_str(), me.role.as_str()),
        (service.as_str(), "service")
    );
    let mut stream = erp.stream().await.expect("the key opens the stream");
    assert_eq!(stream.user_id(), service);

    let listed = admin.list_api_keys(&service).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, created.id);

    admin.revoke_api_key(&created.id).await.expect("revoke");
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.next_frame().await {
                Ok(Some(ServerFrame::SessionEnded { reason })) => break Some(reason),
                Ok(Some(_)) => {}
                _ => break None,
            }
        }
    })
    .await
    .expect("the socket hears within 10 s");
    assert_eq!(ended, Some(SessionEndReason::Revoked));
    let refused = erp.me().await.expect_err("revoked");
    assert_eq!(
        (refused.status(), refused.code()),
        (Some(401), Some("unauthenticated"))
    );
    let listed = admin.list_api_keys(&service).await.expect("list");
    assert_eq!(listed[0].state, "revoked");
}
