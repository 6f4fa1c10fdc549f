//! DTMF: RFC 4733 telephone events, their translation between legs, their generation, and
//! in-band tone detection.
//!
//! * [`event`]: [`Digit`] and the 4-byte [`TelephoneEvent`] payload (parse / write).
//! * [`translate`]: [`EventTranslator`], one direction's RFC 4733 stream re-timed from the input
//!   leg's clock to the output leg's (8 kHz PT 101 <-> 48 kHz PT 110/126), plus the "event in
//!   progress" flag that tells the pipeline to send silence instead of decoded audio.
//! * [`generate`]: [`EventGenerator`], RFC 4733 packets for a digit we produce (start with the
//!   marker, one update per frame, end packet three times).
//! * [`goertzel`]: [`ToneDetector`], in-band detection on PCM (Goertzel, half-overlapping
//!   13.25 ms blocks, level / dominance / twist / purity tests, 30 ms start debounce).
//!
//! All of it is sans-IO and allocation-free after construction: the pipeline assigns the
//! output SSRC, sequence numbers and timestamp counter and passes the current `Instant` in.
//! A typical wiring, trunk (in-band or PT 101 at 8 kHz) to browser (PT 110 at 48 kHz):
//!
//! ```
//! use std::time::Instant;
//! use tandem_media::dtmf::{EventGenerator, EventTranslator, ToneDetector, ToneEvent};
//!
//! let now = Instant::now();
//! let mut translator = EventTranslator::new(8000, 48_000);
//! // An RFC 4733 start packet for '5' (event 5, volume 10, duration 160) at input ts 1234,
//! // while the output stream's timestamp counter is at 96_000:
//! let out = translator.handle(now, 1234, true, &[5, 10, 0, 160], 96_000).unwrap().unwrap();
//! assert_eq!((out.timestamp, out.marker, out.payload), (96_000, true, [5, 10, 3, 192]));
//! assert!(translator.is_active(now)); // send silence instead of the decoded audio
//!
//! // In-band: detector on the decoded 8 kHz audio, generator on the 48 kHz output leg.
//! let mut detector = ToneDetector::new(8000);
//! let mut generator = EventGenerator::new(48_000, 960, 10);
//! detector.process(&[0i16; 160]);
//! while let Some(ev) = detector.poll_event() {
//!     match ev {
//!         ToneEvent::Started(d) => { let _first = generator.start(d, 96_000); }
//!         ToneEvent::Ended { .. } => { let _end = generator.end(96_960); }
//!     }
//! }
//! ```

pub mod event;
pub mod generate;
pub mod goertzel;
pub mod translate;

pub use event::{Digit, EventError, TelephoneEvent};
pub use generate::EventGenerator;
pub use goertzel::{DetectorError, ToneDetector, ToneEvent};
pub use translate::{EventPacket, EventTranslator};
