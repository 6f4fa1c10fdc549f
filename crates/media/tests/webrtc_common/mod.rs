//! Two legs joined by an in-memory network on simulated time.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tandem_media::webrtc_leg::{BrowserLeg, LegConfig, LegEvent, WebRtcLeg};

/// The browser's side (full ICE, offers) and Tandem's side (ICE-lite, answers).
pub struct Pair {
    pub now: Instant,
    pub browser: WebRtcLeg,
    pub browser_addr: SocketAddr,
    pub tandem: WebRtcLeg,
    pub tandem_addr: SocketAddr,
    pub browser_events: Vec<(Duration, LegEvent)>,
    pub tandem_events: Vec<(Duration, LegEvent)>,
    pub browser_rtp: Vec<Bytes>,
    pub tandem_rtp: Vec<Bytes>,
    /// When false, datagrams from browser to tandem are dropped unless `is_stun`.
    pub deliver_browser_dtls: bool,
    pub start: Instant,
    /// One-way delay of the in-memory link.
    pub latency: Duration,
    in_flight: Vec<(Instant, bool /* to tandem */, SocketAddr, Bytes)>,
}

/// STUN messages start with two zero bits and carry the magic cookie (RFC 5389, RFC 7983).
pub fn is_stun(b: &[u8]) -> bool {
    b.len() >= 20 && b[0] < 4 && b[4..8] == [0x21, 0x12, 0xA4, 0x42]
}

impl Pair {
    pub fn new(now: Instant, browser_cfg: LegConfig, tandem_cfg: LegConfig) -> Self {
        Self::with_ports(now, browser_cfg, tandem_cfg, 40_000, 50_000)
    }

    pub fn with_ports(
        now: Instant,
        browser_cfg: LegConfig,
        tandem_cfg: LegConfig,
        browser_port: u16,
        tandem_port: u16,
    ) -> Self {
        Self {
            now,
            browser: WebRtcLeg::new(now, browser_cfg).unwrap(),
            browser_addr: SocketAddr::from(([127, 0, 0, 1], browser_port)),
            tandem: WebRtcLeg::new(now, tandem_cfg).unwrap(),
            tandem_addr: SocketAddr::from(([127, 0, 0, 1], tandem_port)),
            browser_events: vec![],
            tandem_events: vec![],
            browser_rtp: vec![],
            tandem_rtp: vec![],
            deliver_browser_dtls: true,
            start: now,
            latency: Duration::from_millis(1),
            in_flight: vec![],
        }
    }

    /// Browser offers, Tandem answers, browser applies the answer.
    pub fn negotiate_browser_offers(&mut self) -> (String, String) {
        let offer = self
            .browser
            .create_offer(self.now, self.browser_addr)
            .unwrap();
        let answer = self
            .tandem
            .accept_offer(self.now, &offer, self.tandem_addr)
            .unwrap();
        self.browser.accept_answer(self.now, &answer).unwrap();
        (offer, answer)
    }

    /// Tandem offers (phone -> browser call), the browser answers.
    pub fn negotiate_tandem_offers(&mut self) -> (String, String) {
        let offer = self
            .tandem
            .create_offer(self.now, self.tandem_addr)
            .unwrap();
        let answer = self
            .browser
            .accept_offer(self.now, &offer, self.browser_addr)
            .unwrap();
        self.tandem.accept_answer(self.now, &answer).unwrap();
        (offer, answer)
    }

    /// Moves every output of both legs and advances time to the next event of either.
    pub fn progress(&mut self) {
        let t = self.now.duration_since(self.start);
        while let Some((to, data)) = self.browser.poll_transmit() {
            assert_eq!(to, self.tandem_addr, "browser sends only to tandem");
            if self.deliver_browser_dtls || is_stun(&data) {
                self.in_flight
                    .push((self.now + self.latency, true, self.browser_addr, data));
            }
        }
        while let Some((to, data)) = self.tandem.poll_transmit() {
            assert_eq!(to, self.browser_addr, "tandem sends only to browser");
            self.in_flight
                .push((self.now + self.latency, false, self.tandem_addr, data));
        }
        while let Some(e) = self.browser.poll_event() {
            self.browser_events.push((t, e));
        }
        while let Some(e) = self.tandem.poll_event() {
            self.tandem_events.push((t, e));
        }
        while let Some(p) = self.browser.poll_rtp() {
            self.browser_rtp.push(p);
        }
        while let Some(p) = self.tandem.poll_rtp() {
            self.tandem_rtp.push(p);
        }

        // Next moment anything happens.
        let next = [
            self.browser.poll_timeout(),
            self.tandem.poll_timeout(),
            self.in_flight.iter().map(|f| f.0).min(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else {
            self.now += Duration::from_millis(10);
            return;
        };
        self.now = self.now.max(next);

        let now = self.now;
        let (due, rest): (Vec<_>, Vec<_>) = self.in_flight.drain(..).partition(|f| f.0 <= now);
        self.in_flight = rest;
        for (_, to_tandem, from, data) in due {
            if to_tandem {
                self.tandem.handle_datagram(now, from, &data);
            } else {
                self.browser.handle_datagram(now, from, &data);
            }
        }
        if self.browser.poll_timeout().is_some_and(|t| t <= now) {
            self.browser.handle_timeout(now);
        }
        if self.tandem.poll_timeout().is_some_and(|t| t <= now) {
            self.tandem.handle_timeout(now);
        }
    }

    /// Runs `progress` until `done` or `limit` of simulated time passes.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
        let end = self.now + limit;
        while self.now < end {
            self.progress();
            if done(self) {
                return true;
            }
        }
        false
    }

    pub fn both_connected(&self) -> bool {
        self.browser_events
            .iter()
            .any(|(_, e)| *e == LegEvent::Connected)
            && self
                .tandem_events
                .iter()
                .any(|(_, e)| *e == LegEvent::Connected)
    }
}

/// A 12-byte RTP header plus payload.
pub fn rtp_packet(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(12 + payload.len());
    p.push(0x80);
    p.push(pt & 0x7f);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}
