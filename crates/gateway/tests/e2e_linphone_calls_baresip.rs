//! linphone (an independent SIP stack, offering Opus first) calls through
//! examples/trunk-forward.toml to an auto-answering baresip: the call
//! connects on a codec both allow and carries audio both ways.

mod e2e;

#[test]
fn linphone_calls_baresip_through_tandem() {
    if !e2e::enabled("e2e_linphone_calls_baresip") {
        return;
    }
    let call = e2e::linphone_calls_baresip(
        "linphone_calls_baresip",
        &e2e::repo_root().join("examples/trunk-forward.toml"),
    );
    let log = call.log;
    assert!(log.contains("call answered"), "{log}");
    assert!(log.contains("hangup by a"), "{log}");

    // linphone's speech reached baresip.
    let (uas_received, uas_sent) = call.baresip;
    let (speech_sent, rate) = e2e::read_wav(&call.speech);
    let (speech_got, rate_got) = e2e::read_wav(&uas_received);
    assert_eq!(rate, rate_got);
    let sent_db = e2e::active_level_db(&speech_sent, rate);
    let got_db = e2e::active_level_db(&speech_got, rate);
    eprintln!("speech: sent {sent_db:.2} dBFS, baresip received {got_db:.2} dBFS");
    assert!((sent_db - got_db).abs() <= 3.0);
    assert!(e2e::tone_share(&speech_got, rate, 440.0) < 0.05);

    // baresip's tone reached linphone.
    let (tone_sent, trate) = e2e::read_wav(&uas_sent);
    let (tone_got, lrate) = e2e::read_wav(&call.linphone_received);
    let tsent = e2e::active_level_db(&tone_sent, trate);
    let tgot = e2e::active_level_db(&tone_got, lrate);
    eprintln!("tone: sent {tsent:.2} dBFS, linphone received {tgot:.2} dBFS");
    assert!((tsent - tgot).abs() <= 3.0);
    let f = e2e::dominant_frequency(&tone_got, lrate, 300, 600);
    assert!((f - 440.0).abs() <= 3.0, "linphone heard {f} Hz");

    e2e::assert_low_loss(&call.streams, 4);
}
