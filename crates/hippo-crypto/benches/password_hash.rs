//! Login cost: argon2id time per password verification for the shipped
//! parameters and the alternatives OWASP lists. Run with
//! `cargo bench -p hippo-crypto --bench password_hash`.

use hippo_crypto::PasswordHasher;
use std::time::{Duration, Instant};

fn main() {
    // (label, m KiB, t, p): OWASP's equivalent argon2id configurations.
    let configs = [
        ("m=19MiB t=2 p=1 (shipped)", 19_456, 2, 1),
        ("m=46MiB t=1 p=1", 47_104, 1, 1),
        ("m=12MiB t=3 p=1", 12_288, 3, 1),
        ("m=9MiB t=4 p=1", 9_216, 4, 1),
        ("m=64MiB t=3 p=4", 65_536, 3, 4),
    ];
    println!(
        "{:<28} {:>10} {:>10} {:>14}",
        "parameters", "ms/verify", "p95 ms", "verify/s/core"
    );
    for (label, m, t, p) in configs {
        let hasher = match PasswordHasher::with_params(m, t, p) {
            Ok(h) => h,
            Err(e) => {
                eprintln!("{label}: {e}");
                continue;
            }
        };
        let phc = match hasher.hash("correct horse battery staple") {
            Ok(h) => h,
            Err(e) => {
                eprintln!("{label}: {e}");
                continue;
            }
        };
        let _ = hasher.verify("correct horse battery staple", &phc);
        let mut samples: Vec<Duration> = Vec::new();
        let started = Instant::now();
        while samples.len() < 10
            || (started.elapsed() < Duration::from_secs(3) && samples.len() < 200)
        {
            let t0 = Instant::now();
            let ok = hasher.verify("correct horse battery staple", &phc);
            samples.push(t0.elapsed());
            assert!(ok);
        }
        samples.sort();
        let mean = samples.iter().sum::<Duration>().as_secs_f64() * 1000.0 / samples.len() as f64;
        let p95 = samples[(samples.len() * 95 / 100).min(samples.len() - 1)].as_secs_f64() * 1000.0;
        println!(
            "{label:<28} {mean:>10.1} {p95:>10.1} {:>14.1}",
            1000.0 / mean
        );
    }
}
