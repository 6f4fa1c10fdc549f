//! The transcode fuzz entry point on pseudo-random packet streams (the CI
//! also runs it under libFuzzer): garbage payloads, wild sequence numbers
//! and timestamps, unknown payload types and broken RFC 4733 events never
//! panic, and everything the transcoders write is well-formed RTP of the
//! output format (asserted inside the entry point).

use tandem_media::fuzzing::fuzz_transcode;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_packet_streams() {
    let mut r = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..40 {
        let len = (r.next() % 4000) as usize;
        let data: Vec<u8> = (0..len).map(|_| r.next() as u8).collect();
        fuzz_transcode(&data);
    }
}

#[test]
fn plausible_streams_with_noise() {
    // Mostly well-formed: steady 20 ms steps, consecutive sequence numbers,
    // payloads of the right size, with a few random bytes flipped.
    let mut r = XorShift(42);
    let mut data = Vec::new();
    for i in 0..300u32 {
        let which = (i % 2) as u8;
        let len: u8 = if which == 0 {
            160
        } else {
            (r.next() % 120) as u8
        };
        data.push(50); // 50 * 200 us = 10 ms per record, 20 ms per stream
        data.extend_from_slice(&((i / 2) as u16).to_be_bytes());
        data.extend_from_slice(&((i / 2) * if which == 0 { 160 } else { 960 }).to_be_bytes());
        data.push(which);
        data.push(u8::from(r.next().is_multiple_of(10)));
        data.push(len);
        data.extend((0..len).map(|_| r.next() as u8));
    }
    fuzz_transcode(&data);
}
