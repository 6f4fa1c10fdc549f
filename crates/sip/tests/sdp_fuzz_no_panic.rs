//! Random and mutated bodies never panic the SDP parser, and everything that
//! parses survives marshal -> parse unchanged (the invariants checked by
//! `tandem_sip::sdp::fuzz_sdp`). `SDP_FUZZ_ITERS=<n>` runs longer.

mod sdp_samples;

use tandem_sip::sdp::fuzz_sdp;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Line fragments that steer mutations into the interesting parts of the grammar.
const DICTIONARY: &[&str] = &[
    "v=0",
    "o=- 1 1 IN IP4 1.2.3.4",
    "o=- 18446744073709551615 0 IN IP6 ::1",
    "s=",
    "s=-",
    "c=IN IP4 0.0.0.0",
    "c=IN IP6 ::",
    "c=IN IP4 224.0.0.1/127/3",
    "c=IN IP4",
    "t=0 0",
    "t=1 2",
    "r=7d 1h 0 25h",
    "z=2882844526 -1h 2898848070 0",
    "k=prompt",
    "b=AS:64",
    "b=X-YZ:1",
    "u=http://x/",
    "u=junk",
    "i=info",
    "e=a@b",
    "p=+1 555",
    "m=audio 0 RTP/AVP 0",
    "m=audio 5000/2 RTP/AVP 0 8 101",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "m=image 5 udptl t38",
    "a=rtpmap:101 telephone-event/8000",
    "a=rtpmap:96 opus/48000/2",
    "a=rtpmap:0 PCMU/8000/1",
    "a=rtpmap:96",
    "a=rtpmap:96 x/y",
    "a=fmtp:101 0-16",
    "a=fmtp:96",
    "a=fmtp:96 a=b; c=d",
    "a=rtcp-fb:96 nack",
    "a=rtcp-fb:* nack",
    "a=ptime:20",
    "a=ptime:",
    "a=maxptime:40",
    "a=sendonly",
    "a=recvonly",
    "a=inactive",
    "a=sendrecv",
    "a=sendonly:x",
    "a=rtcp:5001",
    "a=rtcp:5001 IN IP4 1.2.3.4",
    "a=rtcp:5001 IN IP6 ::1",
    "a=rtcp:x",
    "a=rtcp-mux",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:0123456789012345678901",
    "a=ice-lite",
    "a=ice-options:trickle",
    "a=candidate:1 1 udp 1 1.2.3.4 5 typ host",
    "a=end-of-candidates",
    "a=fingerprint:sha-256 AB:CD",
    "a=fingerprint:sha-256",
    "a=setup:actpass",
    "a=setup:active",
    "a=setup:bogus",
    "a=mid:0",
    "a=mid",
    "a=group:BUNDLE 0 1",
    "a=group:BUNDLE",
    "a=group:LS 0",
    "a=ssrc:1 cname:x",
    "a=ssrc",
    "a=",
    "a=:",
    "=",
    "\r",
    "\n",
    "\r\n",
    " ",
];

fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = [
        sdp_samples::BARESIP_OFFER,
        sdp_samples::LINPHONE_OFFER,
        sdp_samples::CHROME_OFFER,
        sdp_samples::TRUNK_OFFER,
    ]
    .iter()
    .flat_map(|s| [sdp_samples::crlf(s), s.as_bytes().to_vec()])
    .collect();
    seeds.push(sdp_samples::rfc5118_body("ipv6-in-sdp"));
    seeds.push(sdp_samples::rfc5118_body("mult-ip-in-sdp"));
    seeds
}

fn lines(body: &[u8]) -> Vec<Vec<u8>> {
    body.split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(9) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(out.len() + 1);
                out.insert(i, rng.next() as u8);
            }
            2 if !out.is_empty() => {
                let i = rng.below(out.len());
                let n = rng.below(16).min(out.len() - i);
                out.drain(i..i + n);
            }
            3 => out.truncate(rng.below(out.len() + 1)),
            4 | 5 => {
                // Insert a dictionary line at a line boundary.
                let mut ls = lines(&out);
                let at = rng.below(ls.len() + 1);
                let word = DICTIONARY[rng.below(DICTIONARY.len())];
                let eol: &[u8] = if rng.below(2) == 0 { b"\r\n" } else { b"\n" };
                ls.insert(at, [word.as_bytes(), eol].concat());
                out = ls.concat();
            }
            6 => {
                // Duplicate, drop or swap whole lines.
                let mut ls = lines(&out);
                if ls.len() >= 2 {
                    let (a, b) = (rng.below(ls.len()), rng.below(ls.len()));
                    match rng.below(3) {
                        0 => ls.swap(a, b),
                        1 => {
                            let l = ls[a].clone();
                            ls.insert(b, l);
                        }
                        _ => {
                            ls.remove(a);
                        }
                    }
                }
                out = ls.concat();
            }
            7 => {
                // Replace a number with an extreme one.
                let extremes: [&[u8]; 6] = [
                    b"0",
                    b"65535",
                    b"65536",
                    b"-1",
                    b"18446744073709551616",
                    b"127",
                ];
                if let Some(i) = out
                    .iter()
                    .position(|b| b.is_ascii_digit())
                    .map(|p| p + rng.below(out.len() - p))
                    && out.get(i).is_some_and(u8::is_ascii_digit)
                {
                    let end = out[i..]
                        .iter()
                        .position(|b| !b.is_ascii_digit())
                        .map_or(out.len(), |n| i + n);
                    let with = extremes[rng.below(extremes.len())];
                    out.splice(i..end, with.iter().copied());
                }
            }
            _ => {
                // Splice a piece of another seed.
                let other = &seeds()[rng.below(seeds().len())];
                let ls = lines(other);
                if !ls.is_empty() {
                    let piece = ls[rng.below(ls.len())].clone();
                    let at = rng.below(out.len() + 1);
                    out.splice(at..at, piece);
                }
            }
        }
    }
    out
}

#[test]
fn random_and_mutated_inputs_keep_invariants() {
    let iterations: usize = std::env::var("SDP_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let seed: u64 = std::env::var("SDP_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5d9_0ff3_2024);
    let mut rng = Rng(seed | 1);
    let seeds = seeds();
    for seed in &seeds {
        fuzz_sdp(seed);
    }
    let mut corpus = seeds.clone();
    for i in 0..iterations {
        let input = if i % 10 == 0 {
            (0..rng.below(200)).map(|_| rng.next() as u8).collect()
        } else {
            let base = &corpus[rng.below(corpus.len())];
            mutate(&mut rng, base)
        };
        fuzz_sdp(&input);
        // Keep inputs that still parse, so mutations stack up on valid SDP.
        if corpus.len() < 256 && tandem_sip::sdp::Sdp::parse(&input).is_ok() {
            corpus.push(input);
        }
    }
}
