//! Embeds the web client (`web/dist`, built by Vite and committed, so a
//! Rust build never needs Node) with memory-serve: compressed at build time
//! in release builds; read from disk on each request in debug builds, so
//! `npm run build` in web/ shows up on a browser reload.

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
