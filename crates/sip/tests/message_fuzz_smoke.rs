//! The fuzz entry points hold on mutated torture messages: no panic, and
//! every message that parses serialises to bytes that parse back to the
//! same message. A deterministic, quick stand-in for the cargo-fuzz run.

use std::path::PathBuf;

use tandem_sip::fuzzing::{fuzz_sip_message, fuzz_sip_uri};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[u8] = b"\r\n :;,<>\"\\%@[]?=/\t\0\xff\xc3-0123456789";

fn corpus() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/torture");
    let mut out = Vec::new();
    for sub in ["rfc4475", "rfc5118"] {
        let mut paths: Vec<_> = std::fs::read_dir(dir.join(sub))
            .expect("corpus folder")
            .map(|e| e.expect("corpus entry").path())
            .collect();
        paths.sort();
        for p in paths {
            let d = std::fs::read(p).expect("corpus file");
            if sub == "rfc5118" {
                out.push(
                    d.iter()
                        .flat_map(|&c| if c == b'\n' { vec![b'\r', c] } else { vec![c] })
                        .collect(),
                );
            } else {
                out.push(d);
            }
        }
    }
    out
}

fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    for _ in 0..=rng.below(4) {
        let len = data.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            1 => {
                let i = rng.below(len + 1);
                data.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(16).min(len - i);
                data.drain(i..i + n);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(32).min(len - i);
                let chunk = data[i..i + n].to_vec();
                let at = rng.below(data.len() + 1);
                data.splice(at..at, chunk);
            }
            4 if !other.is_empty() => {
                let i = rng.below(other.len());
                let n = rng.below(64).min(other.len() - i);
                let at = rng.below(len + 1);
                data.splice(at..at, other[i..i + n].iter().copied());
            }
            _ if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            _ => {}
        }
    }
}

#[test]
fn mutated_corpus_never_breaks_the_invariants() {
    let corpus = corpus();
    // TANDEM_FUZZ_ROUNDS / TANDEM_FUZZ_SEED run a longer or different campaign.
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let mut rng = Rng(env("TANDEM_FUZZ_SEED").unwrap_or(0x5eed_1234_abcd_0001) | 1);
    // Unmutated first.
    for m in &corpus {
        fuzz_sip_message(m);
        for line in m.split(|b| *b == b'\n') {
            fuzz_sip_uri(line);
            if let Some(i) = line.iter().position(|b| *b == b':') {
                let v = &line[i + 1..];
                fuzz_sip_uri(v.strip_suffix(b"\r").unwrap_or(v).trim_ascii());
            }
        }
    }
    let rounds = env("TANDEM_FUZZ_ROUNDS").unwrap_or(4000);
    for _ in 0..rounds {
        let a = rng.below(corpus.len());
        let b = rng.below(corpus.len());
        let mut data = corpus[a].clone();
        mutate(&mut rng, &mut data, &corpus[b]);
        fuzz_sip_message(&data);
        // Header values and Request-URIs of the mutant as URI/typed input.
        let lines: Vec<&[u8]> = data.split(|b| *b == b'\n').take(12).collect();
        for line in lines {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(i) = line.iter().position(|b| *b == b':') {
                fuzz_sip_uri(line[i + 1..].trim_ascii());
            }
            for part in line.split(|b| *b == b' ') {
                fuzz_sip_uri(part);
            }
        }
    }
    println!("{rounds} mutants checked");
}
