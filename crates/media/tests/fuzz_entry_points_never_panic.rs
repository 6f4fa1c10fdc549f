//! The fuzz entry points (our views, rewriter, RTCP masking, and rtc-rtp / rtc-rtcp parsers)
//! survive a deterministic batch of mutated packets, plus the inputs that once looked risky.
//! The real fuzzing runs in `fuzz/`; this keeps a quick regression in `cargo test`.

use tandem_media::fuzzing::{fuzz_rtcp, fuzz_rtp};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn rtp_seeds() -> Vec<Vec<u8>> {
    let mut plain = vec![0x80, 0, 0, 1, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef];
    plain.extend_from_slice(&[0xd5; 40]);
    vec![
        plain,
        // one-byte extensions
        vec![
            0x90, 0x60, 0, 2, 0, 0, 1, 0, 1, 2, 3, 4, 0xbe, 0xde, 0, 2, 0x10, 0xaa, 0x21, 0xbb,
            0xcc, 0xdd, 0, 0, 1, 2, 3,
        ],
        // two-byte extensions
        vec![
            0x90, 0x60, 0, 2, 0, 0, 1, 0, 1, 2, 3, 4, 0x10, 0x00, 0, 2, 0x01, 0x02, 0xaa, 0xbb,
            0x02, 0x01, 0xcc, 0, 1, 2, 3,
        ],
        // CSRCs, RFC 3550 extension, padding
        vec![
            0xb2, 0x60, 0, 2, 0, 0, 1, 0, 1, 2, 3, 4, 9, 9, 9, 9, 8, 8, 8, 8, 0x12, 0x34, 0, 1, 5,
            5, 5, 5, 1, 2, 3, 0, 0, 3,
        ],
    ]
}

fn rtcp_seeds() -> Vec<Vec<u8>> {
    let mut sr = vec![
        0x81, 200, 0, 12, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 1, 0, 0, 0, 0, 5, 0, 0, 3, 0,
    ];
    sr.extend_from_slice(&[
        0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    sr.extend_from_slice(&[
        0x81, 202, 0, 3, 0, 0, 0, 1, 1, 4, b'a', b'b', b'c', b'd', 0, 0,
    ]);
    sr.extend_from_slice(&[0x81, 203, 0, 1, 0, 0, 0, 1]);
    vec![
        sr,
        vec![0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 0], // NACK
        vec![
            0x8f, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 2, 0, 0, 0x20, 0, 0x20, 0x01, 0, 0,
        ], // TWCC
        vec![
            0x8f, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0, b'R', b'E', b'M', b'B', 1, 2, 3, 4, 0, 0, 0, 9,
        ],
        vec![
            0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0,
        ], // FIR
        vec![
            0x80, 207, 0, 8, 0, 0, 0, 1, 4, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 5, 0, 0, 3, 0, 0, 0,
            2, 0, 0, 0, 3, 0, 0, 0, 4,
        ], // XR
        vec![
            0x8b, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 1, 0, 0, 0, 0,
        ], // CCFB
    ]
}

fn mutate(r: &mut XorShift, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut d = seeds[r.below(seeds.len())].clone();
    if r.below(4) == 0 {
        d.extend_from_slice(&seeds[r.below(seeds.len())]);
    }
    for _ in 0..1 + r.below(6) {
        let len = d.len();
        match r.below(7) {
            0 if len > 0 => d[r.below(len)] = r.next() as u8,
            1 if len > 0 => d[r.below(len)] ^= 1 << r.below(8),
            2 => d.truncate(r.below(len + 1)),
            3 => d.push(r.next() as u8),
            4 if len > 0 => d[r.below(len)] = [0, 1, 3, 0x0f, 0x10, 0x7f, 0x80, 0xff][r.below(8)],
            5 if len > 1 => {
                d.remove(r.below(len));
            }
            6 if len >= 4 => {
                let i = r.below(len / 4) * 4;
                d[i + 2] = 0;
                d[i + 3] = r.below(16) as u8;
            }
            _ => {}
        }
    }
    d
}

#[test]
fn mutated_packets() {
    let (rtp, rtcp) = (rtp_seeds(), rtcp_seeds());
    let mut r = XorShift(0x2545_f491_4f6c_dd1d);
    for _ in 0..20_000 {
        fuzz_rtp(&mutate(&mut r, &rtp));
        fuzz_rtcp(&mutate(&mut r, &rtcp));
    }
}

#[test]
fn edge_inputs() {
    let cases: &[&[u8]] = &[
        &[],
        &[0x80],
        &[0xff; 12],
        // X set, extension length 0xffff, nothing after
        &[
            0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0xff, 0xff,
        ],
        // one-byte element longer than the block
        &[
            0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 0x1f, 1, 2, 3, 4, 5,
        ],
        // two-byte element whose length byte is the last byte of the block
        &[
            0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 0, 0, 1, 0, 0, 0, 1, 0xff,
        ],
        // padding count equal to the whole body
        &[0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4],
        // RTCP: RC 31 with a minimal length, SDES items running off the end
        &[0x9f, 201, 0, 1, 0, 0, 0, 1],
        &[0x81, 202, 0, 1, 0, 0, 0, 1],
        &[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 200, 0, 0],
        &[0x8f, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2], // TWCC with no body
        &[0x80, 207, 0, 2, 0, 0, 0, 1, 4, 0, 0xff, 0xff], // XR block longer than packet
    ];
    for c in cases {
        fuzz_rtp(c);
        fuzz_rtcp(c);
    }
}
