//! DTMF as RFC 4733 events crosses Tandem both when media is relayed and
//! when it is transcoded. linphone dials through the example configs to an
//! auto-answering baresip and presses 1, 2 and #. On the wire (tshark):
//! - relay (examples/trunk-forward.toml, PCMU both legs): the events reach
//!   baresip on telephone-event/8000 with the same digits and durations;
//! - transcode (examples/transcode.toml, Opus toward linphone, PCMU toward
//!   baresip): linphone's telephone-event/48000 arrives at baresip as
//!   telephone-event/8000, same digits, durations the same in milliseconds,
//!   start marker set, and the end packet sent three times.

mod e2e;

use std::path::Path;
use std::time::Duration;

use e2e::{Baresip, BaresipSpec, Capture, Linphone, Sip, WireEvent};

/// One call pressing 1, 2, #; returns the events linphone sent and the
/// events Tandem sent to baresip.
fn call_with_digits(
    name: &str,
    config: &Path,
    pt_in: u8,
    pt_out: u8,
) -> (Vec<WireEvent>, Vec<WireEvent>) {
    let dir = e2e::workdir(name);
    let tone = dir.join("tone.wav");
    e2e::write_tone(&tone, 440.0, 30.0, 8000, 0.3);
    let mut tandem = e2e::start_tandem(&dir, config, "127.0.0.1:5060".parse().expect("address"));
    let capture = Capture::start(
        &dir,
        "udp portrange 20000-20999 or udp port 5060 or udp port 5090 or udp port 5072",
    );
    let _uas = Baresip::start(
        &dir,
        BaresipSpec {
            name: "uas",
            sip_port: 5090,
            user: "+15550199",
            source: &tone,
            transport: Sip::Udp,
            auto_answer: true,
            rtp_ports: (45000, 45100),
            commands: vec![],
            quit_after: Duration::from_secs(25),
            ipv6: false,
        },
    );
    let mut lp = Linphone::start(&dir, "linphone", 5072, (47000, 47100), false);
    lp.cmd("soundcard use files");
    lp.cmd(&format!("play {}", tone.display()));
    lp.cmd("call sip:+15550100@127.0.0.1:5060");
    assert!(
        lp.wait_for_log("connected", Duration::from_secs(10)),
        "linphone's call did not connect:\n{}\n--- tandem ---\n{}",
        lp.log_text(),
        tandem.log_text()
    );
    std::thread::sleep(Duration::from_secs(2));
    for digit in ["1", "2", "#"] {
        lp.cmd(digit);
        std::thread::sleep(Duration::from_millis(700));
    }
    std::thread::sleep(Duration::from_secs(1));
    lp.cmd("terminate");
    assert!(
        lp.wait_for_log("ended", Duration::from_secs(5)),
        "{}",
        lp.log_text()
    );
    drop(lp);
    std::thread::sleep(Duration::from_millis(500));
    let file = capture.file.clone();
    capture.finish();
    assert!(
        tandem
            .terminate(Duration::from_secs(10))
            .is_some_and(|s| s.success())
    );
    let from_linphone: Vec<WireEvent> = e2e::wire_events(&file, pt_in)
        .into_iter()
        .filter(|e| (47000..=47100).contains(&e.src_port))
        .collect();
    let to_baresip: Vec<WireEvent> = e2e::wire_events(&file, pt_out)
        .into_iter()
        .filter(|e| (45000..=45100).contains(&e.dst_port) && (20000..=20999).contains(&e.src_port))
        .collect();
    (from_linphone, to_baresip)
}

fn assert_same_digits(sent: &[WireEvent], got: &[WireEvent], clock_in: u32, clock_out: u32) {
    let d_in = e2e::digits(sent);
    let d_out = e2e::digits(got);
    eprintln!("sent {d_in:?}\ngot  {d_out:?}");
    let keys: Vec<u8> = d_out.iter().map(|d| d.0).collect();
    assert_eq!(keys, vec![1, 2, 11], "digits at baresip");
    assert_eq!(
        d_in.iter().map(|d| d.0).collect::<Vec<_>>(),
        keys,
        "digits from linphone"
    );
    for (i, o) in d_in.iter().zip(&d_out) {
        let ms_in = f64::from(i.1) * 1000.0 / f64::from(clock_in);
        let ms_out = f64::from(o.1) * 1000.0 / f64::from(clock_out);
        assert!(
            (ms_in - ms_out).abs() <= 1.0,
            "digit {}: {ms_in} ms sent, {ms_out} ms relayed",
            i.0
        );
        assert!(ms_out >= 40.0, "digit {} lasted {ms_out} ms", o.0);
        assert_eq!(o.2, i.2, "end packets of digit {}", o.0);
        assert!(o.2 >= 1);
    }
    // Each digit starts with the marker bit.
    let starts = got.iter().filter(|e| e.marker).count();
    assert_eq!(starts, 3, "{got:?}");
}

#[test]
fn dtmf_crosses_relay_and_transcoding() {
    if !e2e::enabled("e2e_dtmf_rfc4733_relay_and_transcode") {
        return;
    }
    let root = e2e::repo_root();
    // Relay: linphone and baresip both end up on PCMU, telephone-event 101/8000.
    let (sent, got) = call_with_digits(
        "dtmf_relay",
        &root.join("examples/trunk-forward.toml"),
        101,
        101,
    );
    assert_same_digits(&sent, &got, 8000, 8000);
    // Transcode: linphone on Opus with telephone-event 99/48000, baresip on PCMU 101/8000.
    let (sent, got) = call_with_digits(
        "dtmf_transcode",
        &root.join("examples/transcode.toml"),
        99,
        101,
    );
    assert_same_digits(&sent, &got, 48000, 8000);
}
