//! Builds `data/blocklist.bin` from the SecLists top-1M password list and
//! zxcvbn's `frequency_lists.js`; run through `tools/build-blocklist.sh`.
//!
//! `cargo run -p hippo-crypto --release --example build_blocklist -- TOP1M.txt frequency_lists.js OUT.bin`

use hippo_crypto::password::blocklist::{Blocklist, key};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [top, freq, out] = args.as_slice() else {
        return Err("usage: build_blocklist TOP1M.txt frequency_lists.js OUT.bin".into());
    };
    let mut keys = Vec::new();
    let top = std::fs::read(top)?;
    for line in String::from_utf8_lossy(&top).lines() {
        if !line.trim().is_empty() {
            keys.push(key(line));
        }
    }
    let from_top = keys.len();
    // Lines like `  passwords: "123456,password,…",`.
    let freq = std::fs::read_to_string(freq)?;
    for line in freq.lines() {
        let (Some(a), Some(b)) = (line.find('"'), line.rfind('"')) else {
            continue;
        };
        if b <= a {
            continue;
        }
        for w in line[a + 1..b].split(',').filter(|w| !w.trim().is_empty()) {
            keys.push(key(w));
        }
    }
    let total = keys.len();
    let mut uniq = keys.clone();
    uniq.sort_unstable();
    uniq.dedup();
    let list = Blocklist::build(keys, uniq.len() as u64)?;
    let bytes = list.to_bytes();
    std::fs::write(out, &bytes)?;
    eprintln!(
        "{from_top} entries from the top-1M list, {} from zxcvbn, {} distinct; {} bytes",
        total - from_top,
        uniq.len(),
        bytes.len()
    );
    Ok(())
}
