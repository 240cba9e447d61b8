//! Cost of the password policy check (blocklist lookups and pattern checks)
//! and the blocklist's size. Run with
//! `cargo bench -p hippo-crypto --bench password_check`.

use hippo_crypto::PasswordPolicy;
use hippo_crypto::password::blocklist;
use std::time::Instant;

fn main() {
    let t = Instant::now();
    match blocklist::shipped() {
        Ok(l) => println!(
            "blocklist: {} entries, {} bytes in memory, parsed in {:.1} ms",
            l.entries(),
            l.bytes(),
            t.elapsed().as_secs_f64() * 1e3
        ),
        Err(e) => println!("blocklist unreadable: {e}"),
    }
    let policy = PasswordPolicy::for_mfa(true);
    let samples = [
        "vT7#qLz9!mWx2Rk",
        "Summer2026!",
        "marble ostrich fennel 41 gazebo",
        "P@ssw0rd123456789",
    ];
    const N: u32 = 20_000;
    for p in samples {
        let t = Instant::now();
        for _ in 0..N {
            std::hint::black_box(policy.check_in_context(
                std::hint::black_box(p),
                "alice",
                Some("Riverside Clinic"),
            ))
            .ok();
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / f64::from(N);
        println!("{p:<34} {us:>8.2} µs/check");
    }
}
