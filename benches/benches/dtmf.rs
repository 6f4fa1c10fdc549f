//! Cost of the DTMF code per 20 ms frame: the Goertzel detector on one 8 kHz frame (160
//! samples) and one 16 kHz frame (320), with a tone present and with speech-like audio, and
//! the RFC 4733 translator on one packet.
//!
//! Run: `cargo bench --bench dtmf`.
use std::f64::consts::PI;
use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use tandem_media::dtmf::{EventTranslator, TelephoneEvent, ToneDetector};

fn signal(rate: u32, parts: &[(f64, f64)], n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            parts
                .iter()
                .map(|&(f, a)| a * (2.0 * PI * f * t).sin())
                .sum::<f64>() as i16
        })
        .collect()
}

fn detector(c: &mut Criterion) {
    for (rate, frame) in [(8000u32, 160usize), (16_000, 320)] {
        // 50 frames of a held '5' and of a vowel-like signal; the bench cycles through them.
        let tone = signal(rate, &[(770.0, 7000.0), (1336.0, 7000.0)], frame * 50);
        let vowel: Vec<(f64, f64)> = (1..22)
            .map(|k| (150.0 * f64::from(k), 3000.0 / f64::from(k)))
            .collect();
        let speech = signal(rate, &vowel, frame * 50);
        for (name, pcm) in [("tone", &tone), ("speech", &speech)] {
            let mut det = ToneDetector::new(rate);
            let mut frames = pcm.chunks(frame).cycle();
            c.bench_function(
                &format!("goertzel_{}k_{name}_20ms_frame", rate / 1000),
                |b| {
                    b.iter(|| {
                        let f = frames.next().unwrap_or(&[]);
                        det.process(black_box(f));
                        while let Some(ev) = det.poll_event() {
                            black_box(ev);
                        }
                    })
                },
            );
        }
    }
}

fn translator(c: &mut Criterion) {
    let mut t = EventTranslator::new(8000, 48_000);
    let now = Instant::now();
    let mut d: u16 = 0;
    c.bench_function("translate_one_packet", |b| {
        b.iter(|| {
            d = d.wrapping_add(160) % 8000;
            let p = TelephoneEvent {
                event: 5,
                end: false,
                volume: 10,
                duration: d,
            }
            .write();
            black_box(t.handle(now, 1000, false, black_box(&p), 0))
        })
    });
}

criterion_group!(benches, detector, translator);
criterion_main!(benches);
