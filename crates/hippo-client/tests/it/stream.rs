//! The stream: `ready`, frames typed as `hippo_protocol::ServerFrame`,
//! client frames answered, and the end of the session closing it.

use crate::{server, signed_in};
use hippo_client::{ClientFrame, NewConversation, NewMessage, ServerFrame, SessionEndReason};
use std::time::Duration;

async fn next(stream: &mut hippo_client::Stream) -> ServerFrame {
    tokio::time::timeout(Duration::from_secs(10), stream.next_frame())
        .await
        .expect("a frame within 10 s")
        .expect("a frame")
        .expect("the stream is open")
}

#[tokio::test]
async fn frames_arrive_typed_and_logout_ends_the_stream() {
    let s = server().await;
    let (ana_id, ana) = signed_in(&s, "ana", "clinician").await;
    let (ben_id, ben) = signed_in(&s, "ben", "clinician").await;
    let mut stream = ben.stream().await.expect("stream");
    assert_eq!(stream.user_id(), ben_id);
    assert!(!stream.session_id().is_empty());

    let conversation = ana
        .create_conversation(&NewConversation::direct(ben_id.as_str()))
        .await
        .expect("conversation");
    ana.send_message(&conversation.id, &NewMessage::text("Are you free?"))
        .await
        .expect("send");
    let message = loop {
        match next(&mut stream).await {
            ServerFrame::MessageCreated { message } => break message,
            ServerFrame::ConversationUpdated { .. } => {}
            other => panic!("unexpected frame {other:?}"),
        }
    };
    assert_eq!(message.sender_id, ana_id);
    assert_eq!(message.body.as_deref(), Some("Are you free?"));

    stream.send(&ClientFrame::Ping).await.expect("ping");
    loop {
        match next(&mut stream).await {
            ServerFrame::Pong => break,
            ServerFrame::Receipt { .. } => {}
            other => panic!("expected pong, got {other:?}"),
        }
    }

    ben.logout().await.expect("logout");
    loop {
        match next(&mut stream).await {
            ServerFrame::SessionEnded { reason } => {
                assert_eq!(reason, SessionEndReason::Logout);
                break;
            }
            ServerFrame::Receipt { .. } => {}
            other => panic!("expected session.ended, got {other:?}"),
        }
    }
    let after = tokio::time::timeout(Duration::from_secs(10), stream.next_frame())
        .await
        .expect("closed within 10 s");
    assert!(matches!(after, Ok(None)), "{after:?}");
    // A dead token opens no stream.
    assert!(ben.stream().await.is_err());
}
