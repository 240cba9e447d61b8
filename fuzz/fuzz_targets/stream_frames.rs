//! Fuzzes the WebSocket stream's frame parser (`GET /api/v1/stream`).
//!
//! Every signed-in client (and, before its `auth` frame, anyone who can open
//! the socket) sends text frames that the server reads with
//! [`ClientFrame::parse`]: the first parser an outsider reaches on the
//! stream. The server's own frames ([`ServerFrame`]) are read back by the
//! clients and SDKs, so they are parsed here too.
//!
//! Properties, beyond "never panics":
//! - a frame that parses serialises and parses again to the same frame
//!   (nothing is lost or invented between the wire and the value);
//! - a refusal is a non-empty message with no position in it (`at line`),
//!   and the fixed "not JSON" sentence is only given for text that
//!   serde_json cannot read as any JSON value;
//! - the `Debug` form of an `auth` frame never shows its token;
//! - the same holds for server frames: what parses round-trips.
#![no_main]

use hippo_protocol::frames::{ClientFrame, ServerFrame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The socket hands the server text frames only: UTF-8 by the protocol.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ClientFrame::parse(text) {
        Ok(frame) => {
            let json = serde_json::to_string(&frame).expect("a client frame serialises");
            let again = ClientFrame::parse(&json).expect("a serialised client frame parses");
            assert!(again == frame, "client frame changed on a round trip: {json}");
            if let ClientFrame::Auth { .. } = &frame {
                assert_eq!(format!("{frame:?}"), "Auth { token: <redacted> }");
            }
        }
        Err(why) => {
            assert!(!why.is_empty(), "an empty refusal");
            assert!(!why.contains(" at line "), "a refusal names a position: {why}");
            // The fixed sentence is for text that serde_json cannot read as
            // any JSON value (bad syntax, a number out of range, nesting
            // past its limit); JSON of the wrong shape is told what is
            // wrong instead.
            if why == "a frame must be one JSON object" {
                assert!(
                    serde_json::from_str::<serde_json::Value>(text).is_err(),
                    "readable JSON refused as a syntax error"
                );
            }
        }
    }
    if let Ok(frame) = serde_json::from_str::<ServerFrame>(text) {
        let json = frame.to_json();
        let again: ServerFrame =
            serde_json::from_str(&json).expect("a serialised server frame parses");
        assert!(again == frame, "server frame changed on a round trip: {json}");
        assert!(json.contains(&format!("\"type\":\"{}\"", frame.kind())));
    }
});
