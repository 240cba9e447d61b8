//! Policy tests: what attackers try is refused, random passwords are not.

use super::*;

#[test]
fn policy_follows_nist() {
    let mfa = PasswordPolicy::for_mfa(true);
    let solo = PasswordPolicy::for_mfa(false);
    assert_eq!(
        mfa.check("short1!", "alice"),
        Err(PasswordError::TooShort(8))
    );
    assert!(mfa.check("kettle-drum-7", "alice").is_ok());
    assert_eq!(
        solo.check("kettle-drum-7", "alice"),
        Err(PasswordError::TooShort(15))
    );
    assert_eq!(mfa.check("password1", "alice"), Err(PasswordError::Common));
    assert_eq!(mfa.check("Password1", "alice"), Err(PasswordError::Common));
    assert_eq!(mfa.check("iloveyou2", "alice"), Err(PasswordError::Common));
    assert_eq!(
        mfa.check("alice-rocks-99", "alice"),
        Err(PasswordError::ContainsUsername)
    );
    assert_eq!(
        mfa.check("xq7!xq7!xq7!", "bob"),
        Err(PasswordError::Repetitive)
    );
    assert_eq!(
        mfa.check(&"ab".repeat(200), "bob"),
        Err(PasswordError::TooLong(MAX_PASSWORD_CHARS))
    );
    // No composition rules: all lower-case letters are fine.
    assert!(mfa.check("quiet lantern meadow", "bob").is_ok());
}

#[test]
fn what_attackers_try_is_refused() {
    let solo = PasswordPolicy::for_mfa(false);
    let mfa = PasswordPolicy::for_mfa(true);
    for p in [
        "password1234567",
        "123456789012345",
        "qwertyuiopasdfgh",
        "iloveyouiloveyou",
        "Password123456789",
    ] {
        assert!(solo.check(p, "alice").is_err(), "{p}");
    }
    for p in [
        "Summer2026",
        "Winter2026!",
        "hippo2026",
        "Hippo123!",
        "abcdefgh",
        "P@ssw0rd2026",
        "abcabcabc",
        "H1pp0H1pp0",
        "Monkey2026$",
    ] {
        assert!(mfa.check(p, "alice").is_err(), "{p}");
    }
    assert_eq!(
        mfa.check("hippo2026", "alice"),
        Err(PasswordError::ContainsContextWord)
    );
    assert_eq!(
        mfa.check("tuvwxyz9876543", "alice"),
        Err(PasswordError::Sequential)
    );
    assert_eq!(
        mfa.check("iloveyouiloveyou", "alice"),
        Err(PasswordError::Repetitive)
    );
    assert_eq!(
        mfa.check("Summer2026", "alice"),
        Err(PasswordError::DecoratedWord)
    );
    assert_eq!(
        mfa.check("Al1ce-rocks", "alice"),
        Err(PasswordError::ContainsUsername)
    );
    let org = Some("Riverside Clinic");
    assert_eq!(
        mfa.check_in_context("Riverside#42x", "alice", org),
        Err(PasswordError::ContainsContextWord)
    );
    assert_eq!(
        mfa.check_in_context("cl1n1c-Q8v!zt", "alice", org),
        Err(PasswordError::ContainsContextWord)
    );
    assert!(mfa.check_in_context("Tq9#vLm2xR", "alice", org).is_ok());
}

#[test]
fn messages_do_not_echo_the_password() {
    let mfa = PasswordPolicy::for_mfa(true);
    for p in ["Summer2026", "abcdefgh", "hippo2026", "Password1"] {
        let e = mfa.check(p, "alice").unwrap_err().to_string();
        assert!(!e.to_lowercase().contains(&p.to_lowercase()), "{e}");
    }
}

#[test]
fn strong_passwords_are_accepted() {
    let solo = PasswordPolicy::for_mfa(false);
    for p in [
        "vT7#qLz9!mWx2Rk",
        "Gh4$pN8w@Zc1yQe",
        "tangerine-velvet-orbit-quill",
        "marble ostrich fennel 41 gazebo",
        "Kx9vQ2mLp7Rt4Wz",
    ] {
        assert_eq!(solo.check(p, "alice"), Ok(()), "{p}");
    }
}

/// False refusals on random 12-character passwords (94 printable ASCII
/// characters): the blocklist's false positives and accidental patterns.
#[test]
fn few_random_passwords_are_refused() {
    const N: usize = 20_000;
    let alphabet: Vec<char> = (b'!'..=b'~').map(char::from).collect();
    let mfa = PasswordPolicy::for_mfa(true);
    let mut refused = 0;
    for _ in 0..N {
        let bytes = crate::random::bytes::<12>().unwrap();
        let p: String = bytes
            .iter()
            .map(|b| alphabet[usize::from(*b) % alphabet.len()])
            .collect();
        if mfa.check(&p, "alice").is_err() {
            refused += 1;
        }
    }
    eprintln!("refused {refused} of {N} random 12-character passwords");
    assert!(refused <= N / 1000, "refused {refused} of {N}");
}
