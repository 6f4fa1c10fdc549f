//! Interop harness. `browser_echo <secs> answer`: reads a browser's SDP offer on stdin (ended by
//! a line `END`), answers it with a `WebRtcLeg` (ICE-lite if `ICE_LITE` is set) on a UDP socket bound to 127.0.0.1
//! and prints the answer followed by `END`. `browser_echo <secs> offer`: prints our offer and
//! `END`, then reads the browser's answer. Either way it then echoes every RTP packet it
//! receives back to the browser for `<secs>` seconds.
//! Events and counters go to stderr. Used by `interop/chromium_echo.mjs`.

use std::io::BufRead;
use std::time::{Duration, Instant};

use tandem_media::webrtc_leg::{BrowserLeg, LegConfig, LegEvent, WebRtcLeg};
use tokio::net::UdpSocket;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let we_offer = std::env::args().nth(2).as_deref() == Some("offer");
    let read_sdp = || -> std::io::Result<String> {
        let mut sdp = String::new();
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            if line == "END" {
                break;
            }
            sdp.push_str(&line);
            sdp.push_str("\r\n");
        }
        Ok(sdp)
    };
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    let local = socket.local_addr()?;
    let start = Instant::now();
    let config = LegConfig {
        ice_lite: std::env::var_os("ICE_LITE").is_some(),
        ..LegConfig::default()
    };
    let mut leg = WebRtcLeg::new(start, config)?;
    if we_offer {
        let offer = leg.create_offer(start, local)?;
        println!("{offer}END");
        use std::io::Write;
        std::io::stdout().flush()?;
        let answer = read_sdp()?;
        eprintln!("--- our offer\n{offer}--- browser answer\n{answer}");
        leg.accept_answer(Instant::now(), &answer)?;
    } else {
        let offer = read_sdp()?;
        let answer = leg.accept_offer(start, &offer, local)?;
        println!("{answer}END");
        use std::io::Write;
        std::io::stdout().flush()?;
    }
    eprintln!("leg on {local}, negotiated {:?}", leg.negotiated());

    let end = start + Duration::from_secs(secs);
    let mut buf = vec![0u8; 2048];
    let mut echoed = 0u64;
    let mut dtmf = 0u64;
    let dtmf_pt = leg.negotiated().and_then(|n| n.telephone_event_pt);
    loop {
        while let Some((to, data)) = leg.poll_transmit() {
            if std::env::var_os("TRACE_DGRAM").is_some()
                && start.elapsed() < Duration::from_millis(2500)
            {
                eprintln!(
                    "{:?} -> {} b0={} len={}",
                    start.elapsed(),
                    to,
                    data[0],
                    data.len()
                );
            }
            socket.send_to(&data, to).await?;
        }
        while let Some(event) = leg.poll_event() {
            eprintln!("{:?} {event:?}", start.elapsed());
            if matches!(event, LegEvent::Failed { .. } | LegEvent::Closed) {
                return Ok(());
            }
        }
        let now = Instant::now();
        while let Some(rtp) = leg.poll_rtp() {
            if rtp.len() > 1 && Some(rtp[1] & 0x7f) == dtmf_pt {
                dtmf += 1;
            }
            match leg.send_rtp(now, &rtp) {
                Ok(()) => echoed += 1,
                Err(e) => eprintln!("echo of pt {} failed: {e}", rtp[1] & 0x7f),
            }
        }
        if now >= end {
            break;
        }
        let wake = leg.poll_timeout().unwrap_or(end).min(end);
        tokio::select! {
            _ = tokio::time::sleep_until(wake.into()) => leg.handle_timeout(Instant::now()),
            r = socket.recv_from(&mut buf) => {
                let (n, from) = r?;
                if std::env::var_os("TRACE_DGRAM").is_some() && start.elapsed() < Duration::from_millis(2500) {
                    eprintln!("{:?} <- {} b0={} len={}", start.elapsed(), from, buf[0], n);
                }
                leg.handle_datagram(Instant::now(), from, &buf[..n]);
            }
        }
    }
    eprintln!(
        "echoed {echoed} RTP packets ({dtmf} telephone-event); stats {:?}",
        leg.stats()
    );
    leg.close(Instant::now());
    while let Some((to, data)) = leg.poll_transmit() {
        socket.send_to(&data, to).await?;
    }
    Ok(())
}
