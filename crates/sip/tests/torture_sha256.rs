//! The torture corpus is byte-exact: every file matches `SHA256SUMS`, and
//! every file in the corpus folders is listed there.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

#[test]
fn corpus_matches_sha256sums() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/torture");
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let mut listed = Vec::new();
    let mut bad = Vec::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (want, path) = line.split_once("  ").expect("`<hex>  <path>` lines");
        let data = std::fs::read(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        let got = hex::encode(Sha256::digest(&data));
        if got != want {
            bad.push(format!("{path}: {got}, want {want}"));
        }
        listed.push(path.to_owned());
    }
    assert!(bad.is_empty(), "corpus files changed:\n{}", bad.join("\n"));

    let mut on_disk = Vec::new();
    for sub in ["rfc4475", "rfc5118"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            on_disk.push(format!("{sub}/{name}"));
        }
    }
    listed.sort();
    on_disk.sort();
    assert_eq!(listed, on_disk);
    assert_eq!(listed.len(), 49 + 12);
}
