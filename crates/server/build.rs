//! Rebuild when the web UI's build output appears or changes: rust-embed cannot tell Cargo
//! to watch a folder that was missing when the crate was first compiled.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if root.join("web/dist").is_dir() {
        println!("cargo:rerun-if-changed=../../web/dist");
    } else if root.join("web").is_dir() {
        // Watches for `dist` being created.
        println!("cargo:rerun-if-changed=../../web");
    } else {
        println!("cargo:rerun-if-changed=build.rs");
    }
}
