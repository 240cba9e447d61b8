//! The retry class of every code the reference lists.

use hippo_whatsapp::{ErrorClass, classify};

#[test]
fn codes_map_to_their_class() {
    let table: &[(Option<i64>, Option<u16>, ErrorClass)] = &[
        // rate limits and temporary faults
        (Some(4), Some(400), ErrorClass::Retryable),
        (Some(80007), Some(400), ErrorClass::Retryable),
        (Some(130429), Some(400), ErrorClass::Retryable),
        (Some(130429), Some(429), ErrorClass::Retryable),
        (Some(131056), Some(429), ErrorClass::Retryable),
        (Some(1), Some(500), ErrorClass::Retryable),
        (Some(2), Some(503), ErrorClass::Retryable),
        (Some(131000), Some(500), ErrorClass::Retryable),
        (Some(131016), Some(503), ErrorClass::Retryable),
        (Some(131057), Some(400), ErrorClass::Retryable),
        (Some(133004), Some(503), ErrorClass::Retryable),
        // transport and bare HTTP
        (None, None, ErrorClass::Retryable),
        (None, Some(500), ErrorClass::Retryable),
        (None, Some(502), ErrorClass::Retryable),
        (None, Some(503), ErrorClass::Retryable),
        (None, Some(429), ErrorClass::Retryable),
        // credentials and configuration
        (Some(0), Some(401), ErrorClass::Auth),
        (Some(3), Some(400), ErrorClass::Auth),
        (Some(10), Some(403), ErrorClass::Auth),
        (Some(190), Some(401), ErrorClass::Auth),
        (Some(190), Some(400), ErrorClass::Auth),
        (Some(200), Some(403), ErrorClass::Auth),
        (Some(299), Some(403), ErrorClass::Auth),
        (Some(133010), Some(400), ErrorClass::Auth),
        (None, Some(401), ErrorClass::Auth),
        (None, Some(403), ErrorClass::Auth),
        // never as it is
        (Some(100), Some(400), ErrorClass::Permanent),
        (Some(131026), Some(400), ErrorClass::Permanent),
        (Some(131047), Some(400), ErrorClass::Permanent),
        (Some(131048), Some(400), ErrorClass::Permanent),
        (Some(131064), Some(400), ErrorClass::Permanent),
        (Some(132000), Some(400), ErrorClass::Permanent),
        (Some(132001), Some(400), ErrorClass::Permanent),
        (Some(368), Some(400), ErrorClass::Permanent),
        (Some(300), Some(400), ErrorClass::Permanent),
        (Some(132000), None, ErrorClass::Permanent),
        (None, Some(400), ErrorClass::Permanent),
        (None, Some(404), ErrorClass::Permanent),
        (None, Some(302), ErrorClass::Permanent),
        // the code decides over the status
        (Some(190), Some(500), ErrorClass::Auth),
        (Some(130429), Some(401), ErrorClass::Retryable),
    ];
    for (code, status, class) in table {
        assert_eq!(
            classify(*code, *status),
            *class,
            "code {code:?}, HTTP {status:?}"
        );
    }
}
