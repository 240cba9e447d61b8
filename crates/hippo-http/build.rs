//! Embeds the web client (`web/dist`, built by Vite and committed, so a
//! Rust build never needs Node) with memory-serve, compressed at build time,
//! in every build (feature `force-embed`): after `npm run build` in web/,
//! `cargo build` picks up the new files.

fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    if !dist.join("index.html").is_file() {
        panic!(
            "{} has no index.html: build the web client first (cd web && npm ci && npm run build)",
            dist.display()
        );
    }
    memory_serve::load_directory(dist);
}
