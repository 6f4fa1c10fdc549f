//! A transcoded call between real UAs: linphone offers Opus to Tandem, and
//! examples/transcode.toml (unmodified) sends PCMU to an auto-answering
//! baresip. Tandem decodes, resamples and re-encodes both ways: linphone's
//! speech reaches baresip, baresip's 440 Hz tone reaches linphone, each at
//! the right frequency, level within 2 dB, with no clicks, and the RTP
//! streams on both legs lose under 1%.

mod e2e;

#[test]
fn linphone_opus_to_baresip_pcmu_is_transcoded() {
    if !e2e::enabled("e2e_transcode_linphone_opus_to_baresip_pcmu") {
        return;
    }
    let call = e2e::linphone_calls_baresip(
        "transcode_opus_pcmu",
        &e2e::repo_root().join("examples/transcode.toml"),
    );
    let log = call.log;
    assert!(log.contains("call answered"), "{log}");
    assert!(
        log.contains("media path: transcode"),
        "the call was not transcoded:\n{log}"
    );
    assert!(log.contains("Opus"), "{log}");

    // linphone's speech (Opus) reached baresip (PCMU).
    let (uas_received, uas_sent) = call.baresip;
    let (speech_sent, rate) = e2e::read_wav(&call.speech);
    let (speech_got, rate_got) = e2e::read_wav(&uas_received);
    let sent_db = e2e::active_level_db(&speech_sent, rate);
    let got_db = e2e::active_level_db(&speech_got, rate_got);
    eprintln!("speech: sent {sent_db:.2} dBFS, baresip received {got_db:.2} dBFS");
    assert!(
        (sent_db - got_db).abs() <= 2.0,
        "speech level changed by {:.2} dB",
        got_db - sent_db
    );
    assert!(e2e::tone_share(&speech_got, rate_got, 440.0) < 0.05);
    let sent_clicks = e2e::click_ratio(&speech_sent, rate, 0.0);
    let got_clicks = e2e::click_ratio(&speech_got, rate_got, 1.0);
    eprintln!("speech click ratio: sent {sent_clicks:.2}, received {got_clicks:.2}");
    assert!(got_clicks < sent_clicks * 1.5 + 1.0, "clicks in the speech");

    // baresip's tone (PCMU) reached linphone (Opus).
    let (tone_sent, trate) = e2e::read_wav(&uas_sent);
    let (tone_got, lrate) = e2e::read_wav(&call.linphone_received);
    let tsent = e2e::active_level_db(&tone_sent, trate);
    let tgot = e2e::active_level_db(&tone_got, lrate);
    eprintln!("tone: sent {tsent:.2} dBFS, linphone received {tgot:.2} dBFS ({lrate} Hz)");
    assert!(
        (tsent - tgot).abs() <= 2.0,
        "tone level changed by {:.2} dB",
        tgot - tsent
    );
    let f = e2e::dominant_frequency(&tone_got, lrate, 300, 600);
    assert!((f - 440.0).abs() <= 3.0, "linphone heard {f} Hz");
    let clicks = e2e::click_ratio(&tone_got, lrate, 1.0);
    eprintln!("tone click ratio at linphone: {clicks:.2}");
    assert!(
        clicks < 1.5,
        "clicks in the tone: largest jump {clicks:.2}x the tone's own"
    );

    e2e::assert_low_loss(&call.streams, 4);
}
