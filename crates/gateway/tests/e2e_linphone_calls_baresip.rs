//! linphone (an independent SIP stack, offering Opus first) calls through
//! examples/trunk-forward.toml to an auto-answering baresip: the call
//! connects on a codec both allow and carries audio both ways.

mod e2e;

use std::time::Duration;

use e2e::{Baresip, BaresipSpec, Capture, Linphone, Sip};

#[test]
fn linphone_calls_baresip_through_tandem() {
    if !e2e::enabled("e2e_linphone_calls_baresip") {
        return;
    }
    let dir = e2e::workdir("linphone_calls_baresip");
    let speech = dir.join("speech.wav");
    let tone = dir.join("tone.wav");
    e2e::write_speech(&speech);
    e2e::write_tone(&tone, 440.0, 30.0, 8000, 0.5);
    let config = e2e::repo_root().join("examples/trunk-forward.toml");
    let mut tandem = e2e::start_tandem(&dir, &config, "127.0.0.1:5060".parse().unwrap());
    let capture = Capture::start(&dir, "udp portrange 20000-20999");
    let uas = Baresip::start(
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
            quit_after: Duration::from_secs(30),
            ipv6: false,
        },
    );
    let received = dir.join("linphone-received.wav");
    let mut lp = Linphone::start(&dir, "linphone", 5072, (47000, 47100), false);
    lp.cmd("soundcard use files");
    lp.cmd(&format!("play {}", speech.display()));
    lp.cmd(&format!("record {}", received.display()));
    lp.cmd("call sip:+15550100@127.0.0.1:5060");
    assert!(
        lp.wait_for_log("connected", Duration::from_secs(10)),
        "linphone's call did not connect:\n{}\n--- tandem ---\n{}",
        lp.log_text(),
        tandem.log_text()
    );
    std::thread::sleep(Duration::from_secs(8));
    lp.cmd("terminate");
    assert!(
        lp.wait_for_log("ended", Duration::from_secs(5)),
        "linphone did not hang up:\n{}",
        lp.log_text()
    );
    drop(lp);
    std::thread::sleep(Duration::from_secs(1));
    let streams = capture.finish();
    assert!(
        tandem
            .terminate(Duration::from_secs(10))
            .is_some_and(|s| s.success())
    );
    let log = tandem.log_text();
    assert!(log.contains("call answered"), "{log}");
    assert!(log.contains("hangup by a"), "{log}");

    // linphone's speech reached baresip.
    let (uas_received, uas_sent) = uas.recordings();
    let (speech_sent, rate) = e2e::read_wav(&speech);
    let (speech_got, rate_got) = e2e::read_wav(&uas_received);
    assert_eq!(rate, rate_got);
    let sent_db = e2e::active_level_db(&speech_sent, rate);
    let got_db = e2e::active_level_db(&speech_got, rate);
    eprintln!("speech: sent {sent_db:.2} dBFS, baresip received {got_db:.2} dBFS");
    assert!((sent_db - got_db).abs() <= 3.0);
    assert!(e2e::tone_share(&speech_got, rate, 440.0) < 0.05);

    // baresip's tone reached linphone.
    let (tone_sent, trate) = e2e::read_wav(&uas_sent);
    let (tone_got, lrate) = e2e::read_wav(&received);
    let tsent = e2e::active_level_db(&tone_sent, trate);
    let tgot = e2e::active_level_db(&tone_got, lrate);
    eprintln!("tone: sent {tsent:.2} dBFS, linphone received {tgot:.2} dBFS");
    assert!((tsent - tgot).abs() <= 3.0);
    let f = e2e::dominant_frequency(&tone_got, lrate, 300, 600);
    assert!((f - 440.0).abs() <= 3.0, "linphone heard {f} Hz");

    e2e::assert_low_loss(&streams, 4);
}
