//! Drives a Transcoder in simulated time: one input packet per 20 ms, frames
//! played out at the buffer's deadlines, every output packet collected.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use tandem_media::codec::{CodecKind, Decoder};
use tandem_media::transcode::Transcoder;

/// An output packet: when it left, payload type, marker, timestamp, payload.
#[derive(Debug, Clone)]
pub struct Out {
    pub at: Instant,
    pub pt: u8,
    pub marker: bool,
    pub ts: u32,
    pub payload: Vec<u8>,
}

pub struct Driver {
    pub t: Transcoder,
    pub t0: Instant,
    pub out: Vec<Out>,
}

impl Driver {
    pub fn new(t: Transcoder) -> Self {
        Driver {
            t,
            t0: Instant::now(),
            out: Vec::new(),
        }
    }

    fn drain(&mut self, at: Instant) {
        while let Some(p) = self.t.poll_transmit() {
            self.out.push(Out {
                at,
                pt: p[1] & 0x7f,
                marker: p[1] & 0x80 != 0,
                ts: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
                payload: p[12..].to_vec(),
            });
        }
    }

    /// Plays out everything due up to `until`.
    pub fn run_until(&mut self, until: Instant) {
        while let Some(due) = self.t.poll_timeout().filter(|d| *d <= until) {
            self.t.handle_timeout(due);
            self.drain(due);
        }
    }

    /// A packet arriving at `at`.
    #[allow(clippy::too_many_arguments)]
    pub fn packet(&mut self, at: Instant, seq: u16, ts: u32, marker: bool, pt: u8, payload: &[u8]) {
        self.run_until(at);
        self.t
            .handle_rtp(at, 0x0102_0304, seq, ts, marker, pt, payload);
        self.drain(at);
    }

    pub fn ms(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    /// Decodes the output audio packets (payload type `pt`) in order.
    pub fn decoded_audio(&self, codec: CodecKind, pt: u8) -> Vec<f64> {
        let mut dec = Decoder::new(codec).expect("decoder");
        let mut pcm = vec![0i16; 5760];
        let mut all = Vec::new();
        for o in self.out.iter().filter(|o| o.pt == pt) {
            let n = dec.decode(&o.payload, &mut pcm).expect("decodable output");
            all.extend(pcm[..n].iter().map(|&s| f64::from(s) / 32768.0));
        }
        all
    }
}

/// RMS level in dBFS of each block of `block` samples.
pub fn block_levels(x: &[f64], block: usize) -> Vec<f64> {
    x.chunks(block)
        .map(|c| {
            let p = c.iter().map(|v| v * v).sum::<f64>() / c.len() as f64;
            10.0 * p.max(1e-12).log10()
        })
        .collect()
}

/// One 20 ms PCM frame (160 samples at 8 kHz) of a sum of tones.
pub fn frame_8k(index: usize, tones: &[(f64, f64)]) -> Vec<i16> {
    (0..160)
        .map(|i| {
            let n = (index * 160 + i) as f64;
            let v: f64 = tones
                .iter()
                .map(|(f, a)| a * (2.0 * std::f64::consts::PI * f * n / 8000.0).sin())
                .sum();
            (v * 32767.0).clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}
