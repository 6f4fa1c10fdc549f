//! In-band DTMF detection with the Goertzel algorithm, for trunks that send the tones in the
//! audio instead of (or besides) RFC 4733 events.
//!
//! # Blocks
//!
//! The eight DTMF frequencies are measured over blocks of N = 106 samples at 8 kHz (13.25 ms;
//! the same duration at any other rate: 212 samples at 16 kHz). N is short enough for a 40 ms
//! tone to fill several blocks and long enough to separate neighbouring tones (row tones are
//! 73-89 Hz apart; a tone leaks into its neighbours at -15 dB or less). Blocks overlap by half:
//! each half block of H = N / 2 samples runs eight Goertzel filters at the exact tone
//! frequencies and keeps their complex results, and every full block is the previous half plus
//! the current one, combined with a phase rotation. So a decision comes every 6.6 ms for the
//! cost of non-overlapping blocks: per sample, eight filter updates (one multiply, two adds
//! each) and one square for the total energy; the rest runs once per half block.
//!
//! # Per-block decision
//!
//! With P(f) the power of the tone at f as a mean square (a sine of amplitude A gives A²/2) and
//! E the block's mean square, a block shows digit (row r, column c) when all hold:
//!
//! 1. **Level**: P(r) and P(c) are each at least -30 dBm0 (0 dBm0 is a sine of amplitude
//!    22 700 in 16-bit linear PCM, the G.711 digital milliwatt).
//! 2. **Dominance**: r is at least 6 dB above the other three rows, c above the other columns.
//! 3. **Twist**: column over row at most 8 dB (normal twist), row over column at most 4 dB
//!    (reverse twist).
//! 4. **Purity**: P(r) + P(c) is at least 65 % of E. Speech, music and noise spread their energy
//!    over many frequencies (a voiced sound over its harmonics, including the 2nd harmonics of
//!    the DTMF frequencies), so this test is the talk-off guard; a block only partly filled by a
//!    tone passes when the tone covers at least 65 % of it.
//!
//! # Debouncing and duration
//!
//! A digit starts after 4 consecutive blocks show it (an estimated 30.5 ms of tone) and ends
//! after 3 consecutive blocks without it. A different digit without a gap ends the first and
//! starts the second after the same counts. The duration in [`ToneEvent::Ended`] is rebuilt
//! from the first and last blocks that showed the digit, corrected for the 65 % coverage rule.
//!
//! Measured on clean tones at every alignment to the blocks, 8 and 16 kHz, fed one sample at
//! a time (tests `dtmf_goertzel_*`):
//!
//! * every tone of 31 ms or more is accepted, every tone of 23 ms or less refused (ITU-T Q.24
//!   asks for acceptance from 40 ms);
//! * the reported duration is within -6.9..+7.0 ms of the tone's (for tones of 40 ms or more);
//! * `Started` comes 29-36 ms after the tone's onset, `Ended` 18-26 ms after its end (add the
//!   caller's frame: up to 20 ms more when fed 20 ms frames);
//! * a 5 ms break inside a tone is bridged; a 40 ms pause separates two presses.
//!
//! Cost (bench `benches/dtmf.rs`, release, shared 2-core VM): 0.65-0.72 us per 20 ms frame at
//! 8 kHz, 1.4-1.5 us at 16 kHz. Nothing allocates after construction; the event queue holds 8
//! events and drops the oldest (counted in [`ToneDetector::dropped_events`]) when not polled.

use std::collections::VecDeque;
use std::time::Duration;

use super::event::{COL_FREQS, Digit, ROW_FREQS};

/// A full-scale-referenced 0 dBm0 sine amplitude in 16-bit linear PCM (G.711 digital milliwatt
/// after expansion to 16 bits; mu-law 22 652, A-law 22 820).
pub const DBM0_AMPLITUDE: f32 = 22_700.0;
/// Minimum level of each of the two tones, dBm0.
pub const MIN_TONE_DBM0: f32 = -30.0;
/// Maximum normal twist (column tone louder than row tone), dB.
pub const MAX_NORMAL_TWIST_DB: f32 = 8.0;
/// Maximum reverse twist (row tone louder than column tone), dB.
pub const MAX_REVERSE_TWIST_DB: f32 = 4.0;
/// How far the strongest tone of a group must be above the other tones of its group, dB.
pub const MIN_DOMINANCE_DB: f32 = 6.0;
/// Share of the block energy the two tones must carry.
pub const MIN_TONE_TO_TOTAL: f32 = 0.65;

/// Half-block length at 8 kHz; other rates scale it (same duration).
const HALF_AT_8K: u64 = 53;
/// Shortest tone duration the start debounce is set for (estimated, see the module doc).
const MIN_ESTIMATED_MS: u64 = 30;
/// Consecutive blocks without the digit that end it.
const END_MISSES: u32 = 3;
/// Events kept for `poll_event`; more than this without polling drops the oldest.
const QUEUE_CAPACITY: usize = 8;

const LOWEST_RATE: u32 = 8000;
const HIGHEST_RATE: u32 = 96_000;

/// A digit starting or ending in the audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToneEvent {
    /// The digit's tones have been present for the minimum duration.
    Started(Digit),
    /// The tones stopped (or changed to another digit); `duration` is the estimated tone length.
    Ended {
        /// The digit that ended.
        digit: Digit,
        /// How long its tones lasted.
        duration: Duration,
    },
}

/// Why a detector could not be made.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum DetectorError {
    /// Sample rates from 8000 to 96000 Hz are supported.
    #[error("sample rate {0} Hz is outside 8000..=96000")]
    UnsupportedRate(u32),
}

/// Complex Goertzel results of one half block, and its energy.
#[derive(Debug, Clone, Copy, Default)]
struct Half {
    re: [f32; 8],
    im: [f32; 8],
    energy: f32,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    digit: Digit,
    count: u32,
    first: u64,
    last: u64,
}

#[derive(Debug, Clone, Copy)]
struct Active {
    digit: Digit,
    first: u64,
    last: u64,
    misses: u32,
}

/// In-band DTMF detector for mono 16-bit PCM at one sample rate (see the module doc).
#[derive(Debug, Clone)]
pub struct ToneDetector {
    sample_rate: u32,
    half: usize,
    // Per frequency (rows then columns): 2 cos w, cos w, sin w, and the half-block rotation
    // e^{-jwH}.
    coef: [f32; 8],
    cos: [f32; 8],
    sin: [f32; 8],
    rot_re: [f32; 8],
    rot_im: [f32; 8],
    // Running half block.
    s1: [f32; 8],
    s2: [f32; 8],
    energy: f32,
    fill: usize,
    prev: Option<Half>,
    /// Full blocks decided so far; block b starts at sample b * H.
    blocks: u64,
    // Decision thresholds.
    min_power: f32,
    normal_twist: f32,
    reverse_twist: f32,
    dominance: f32,
    start_blocks: u32,
    /// Samples added to the block span to undo the 65 % coverage rule: (2 * 0.65 - 1) * N.
    duration_bias: u64,
    // Debounce.
    candidate: Option<Candidate>,
    active: Option<Active>,
    queue: VecDeque<ToneEvent>,
    dropped: u64,
}

impl ToneDetector {
    /// A detector for `sample_rate` Hz; rates outside 8000..=96000 are clamped into it (use
    /// [`Self::try_new`] to refuse them). 8 and 16 kHz are the tested rates.
    pub fn new(sample_rate: u32) -> Self {
        Self::build(sample_rate.clamp(LOWEST_RATE, HIGHEST_RATE))
    }

    /// A detector for `sample_rate` Hz, or an error outside 8000..=96000.
    pub fn try_new(sample_rate: u32) -> Result<Self, DetectorError> {
        if (LOWEST_RATE..=HIGHEST_RATE).contains(&sample_rate) {
            Ok(Self::build(sample_rate))
        } else {
            Err(DetectorError::UnsupportedRate(sample_rate))
        }
    }

    fn build(sample_rate: u32) -> Self {
        let half_u64 = (u64::from(sample_rate) * HALF_AT_8K + 4000) / 8000;
        let half = usize::try_from(half_u64).unwrap_or(usize::MAX);
        let n = 2 * half_u64;
        let mut d = ToneDetector {
            sample_rate,
            half,
            coef: [0.0; 8],
            cos: [0.0; 8],
            sin: [0.0; 8],
            rot_re: [0.0; 8],
            rot_im: [0.0; 8],
            s1: [0.0; 8],
            s2: [0.0; 8],
            energy: 0.0,
            fill: 0,
            prev: None,
            blocks: 0,
            min_power: DBM0_AMPLITUDE * DBM0_AMPLITUDE / 2.0 * db_to_ratio(MIN_TONE_DBM0),
            normal_twist: db_to_ratio(MAX_NORMAL_TWIST_DB),
            reverse_twist: db_to_ratio(MAX_REVERSE_TWIST_DB),
            dominance: db_to_ratio(MIN_DOMINANCE_DB),
            start_blocks: 0,
            duration_bias: 0,
            candidate: None,
            active: None,
            queue: VecDeque::with_capacity(QUEUE_CAPACITY),
            dropped: 0,
        };
        let freqs = ROW_FREQS.iter().chain(COL_FREQS.iter());
        for (k, &f) in freqs.enumerate() {
            // Angles in f64: the half-block rotation multiplies w by H.
            let w = 2.0 * std::f64::consts::PI * f64::from(f) / f64::from(sample_rate);
            d.coef[k] = (2.0 * w.cos()) as f32;
            d.cos[k] = w.cos() as f32;
            d.sin[k] = w.sin() as f32;
            let wh = w * half_u64 as f64;
            d.rot_re[k] = wh.cos() as f32;
            d.rot_im[k] = -(wh.sin() as f32);
        }
        let bias = ((2.0 * f64::from(MIN_TONE_TO_TOTAL) - 1.0) * n as f64).round();
        d.duration_bias = bias as u64;
        // Blocks needed so that count * H + bias reaches the minimum estimated duration.
        let min_samples = u64::from(sample_rate) * MIN_ESTIMATED_MS / 1000;
        let needed = min_samples
            .saturating_sub(d.duration_bias)
            .div_ceil(half_u64);
        d.start_blocks = u32::try_from(needed.max(1)).unwrap_or(u32::MAX);
        d
    }

    /// The sample rate this detector runs at.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Feeds any amount of PCM (typically one 20 ms frame). Events found are queued for
    /// [`Self::poll_event`].
    pub fn process(&mut self, pcm: &[i16]) {
        let mut rest = pcm;
        while !rest.is_empty() {
            let take = (self.half - self.fill).min(rest.len());
            let (chunk, tail) = rest.split_at(take);
            self.feed(chunk);
            self.fill += take;
            rest = tail;
            if self.fill == self.half {
                self.finish_half();
            }
        }
    }

    /// The next event found by [`Self::process`], oldest first.
    pub fn poll_event(&mut self) -> Option<ToneEvent> {
        self.queue.pop_front()
    }

    /// The digit whose tones are present now (after `Started`, before `Ended`).
    pub fn current(&self) -> Option<Digit> {
        self.active.map(|a| a.digit)
    }

    /// Events dropped because more than 8 were waiting unpolled.
    pub fn dropped_events(&self) -> u64 {
        self.dropped
    }

    fn feed(&mut self, chunk: &[i16]) {
        let coef = self.coef;
        let mut s1 = self.s1;
        let mut s2 = self.s2;
        let mut energy = self.energy;
        for &x in chunk {
            let x = f32::from(x);
            energy += x * x;
            for ((a, b), c) in s1.iter_mut().zip(s2.iter_mut()).zip(coef.iter()) {
                let s0 = x + c * *a - *b;
                *b = *a;
                *a = s0;
            }
        }
        self.s1 = s1;
        self.s2 = s2;
        self.energy = energy;
    }

    fn finish_half(&mut self) {
        let cur = self.take_half();
        if let Some(prev) = self.prev.replace(cur) {
            let digit = self.decide(&prev, &cur);
            let block = self.blocks;
            self.blocks += 1;
            self.debounce(block, digit);
        }
    }

    /// The finished half block's results; resets the filters for the next one.
    fn take_half(&mut self) -> Half {
        let mut cur = Half {
            energy: self.energy,
            ..Half::default()
        };
        for k in 0..8 {
            // Y = s[H-1] - e^{-jw} s[H-2]: the half's DFT at w, up to a phase common to all
            // halves.
            cur.re[k] = self.s1[k] - self.cos[k] * self.s2[k];
            cur.im[k] = self.sin[k] * self.s2[k];
        }
        self.s1 = [0.0; 8];
        self.s2 = [0.0; 8];
        self.energy = 0.0;
        self.fill = 0;
        cur
    }

    /// Tone powers (rows then columns) and total mean square of the block `a` then `b`.
    fn powers(&self, a: &Half, b: &Half) -> ([f32; 8], f32) {
        let n = 2.0 * self.half as f32;
        let norm = 2.0 / (n * n);
        let mut p = [0.0f32; 8];
        for (k, pk) in p.iter_mut().enumerate() {
            // X = Ya + e^{-jwH} Yb
            let re = a.re[k] + self.rot_re[k] * b.re[k] - self.rot_im[k] * b.im[k];
            let im = a.im[k] + self.rot_re[k] * b.im[k] + self.rot_im[k] * b.re[k];
            *pk = (re * re + im * im) * norm;
        }
        (p, (a.energy + b.energy) / n)
    }

    /// The digit shown by the full block made of halves `a` then `b`, if any.
    fn decide(&self, a: &Half, b: &Half) -> Option<Digit> {
        let (p, total) = self.powers(a, b);
        let (rows, cols) = p.split_at(4);
        let (r, pr) = strongest(rows);
        let (c, pc) = strongest(cols);
        if pr < self.min_power || pc < self.min_power {
            return None;
        }
        let dominant = |group: &[f32], best: usize, peak: f32| {
            group
                .iter()
                .enumerate()
                .all(|(i, &q)| i == best || q * self.dominance <= peak)
        };
        if !dominant(rows, r, pr) || !dominant(cols, c, pc) {
            return None;
        }
        if pc > pr * self.normal_twist || pr > pc * self.reverse_twist {
            return None;
        }
        if pr + pc < MIN_TONE_TO_TOTAL * total {
            return None;
        }
        Digit::at(r, c)
    }

    fn debounce(&mut self, block: u64, seen: Option<Digit>) {
        // Track a run of blocks showing one digit (a start candidate).
        self.candidate = match (seen, self.candidate) {
            (Some(d), Some(c)) if c.digit == d && c.last + 1 == block => Some(Candidate {
                count: c.count + 1,
                last: block,
                ..c
            }),
            (Some(d), _) => Some(Candidate {
                digit: d,
                count: 1,
                first: block,
                last: block,
            }),
            (None, _) => None,
        };

        if let Some(mut a) = self.active {
            if seen == Some(a.digit) {
                a.last = block;
                a.misses = 0;
                self.candidate = None;
                self.active = Some(a);
            } else {
                a.misses += 1;
                if a.misses >= END_MISSES {
                    let samples = (a.last - a.first + 1) * self.half as u64 + self.duration_bias;
                    let duration = Duration::from_nanos(
                        samples.saturating_mul(1_000_000_000) / u64::from(self.sample_rate),
                    );
                    self.push(ToneEvent::Ended {
                        digit: a.digit,
                        duration,
                    });
                    self.active = None;
                } else {
                    self.active = Some(a);
                }
            }
        }

        if self.active.is_none()
            && let Some(c) = self.candidate
            && c.count >= self.start_blocks
        {
            self.active = Some(Active {
                digit: c.digit,
                first: c.first,
                last: c.last,
                misses: 0,
            });
            self.candidate = None;
            self.push(ToneEvent::Started(c.digit));
        }
    }

    fn push(&mut self, ev: ToneEvent) {
        if self.queue.len() == QUEUE_CAPACITY {
            self.queue.pop_front();
            self.dropped += 1;
        }
        self.queue.push_back(ev);
    }
}

fn strongest(group: &[f32]) -> (usize, f32) {
    group.iter().copied().enumerate().fold(
        (0, f32::MIN),
        |best, (i, q)| if q > best.1 { (i, q) } else { best },
    )
}

fn db_to_ratio(db: f32) -> f32 {
    10f32.powf(db / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    fn tone_pair(rate: u32, f1: f32, f2: f32, amp: f32, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                let t = i as f32 / rate as f32;
                (amp * ((2.0 * PI * f1 * t).sin() + (2.0 * PI * f2 * t).sin())) as i16
            })
            .collect()
    }

    #[test]
    fn start_blocks_match_design() {
        let d = ToneDetector::new(8000);
        assert_eq!(d.half, 53);
        assert_eq!(d.start_blocks, 4);
        assert_eq!(d.duration_bias, 32);
        let d = ToneDetector::new(16000);
        assert_eq!(d.half, 106);
        assert_eq!(d.start_blocks, 4);
    }

    #[test]
    fn full_block_power_matches_sine_level() {
        // One block of a clean '1' at -10 dBm0 per tone: both powers at that level, the
        // other tones far below, and the pair carrying the whole block energy.
        let mut d = ToneDetector::new(8000);
        let amp = DBM0_AMPLITUDE * 10f32.powf(-10.0 / 20.0);
        let pcm = tone_pair(8000, 697.0, 1209.0, amp, 106);
        d.feed(&pcm[..53]);
        let a = d.take_half();
        d.feed(&pcm[53..]);
        let b = d.take_half();
        let (p, total) = d.powers(&a, &b);
        let expected = amp * amp / 2.0;
        for k in [0, 4] {
            let db = 10.0 * (p[k] / expected).log10();
            assert!(db.abs() < 0.5, "tone {k}: {db} dB");
        }
        for k in [1, 2, 3, 5, 6, 7] {
            assert!(p[k] < expected / 20.0, "leak into {k}: {}", p[k] / expected);
        }
        assert!((p[0] + p[4]) / total > 0.95);
        assert_eq!(d.decide(&a, &b), Digit::from_char('1'));
        assert_eq!(
            ToneDetector::try_new(4000).err(),
            Some(DetectorError::UnsupportedRate(4000))
        );
    }
}
