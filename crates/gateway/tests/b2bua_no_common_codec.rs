//! The caller offers only PCMA, the far trunk allows only PCMU, and the far
//! trunk says `transcode = "never"`: 488, nothing forwarded, and the media
//! session opened for the call is closed.

mod sim;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn no_common_codec_without_transcoding_gets_488() {
    let text = config_text().replace(
        "codecs = [\"PCMU\", \"telephone-event\"]",
        "codecs = [\"PCMU\", \"telephone-event\"]\ntranscode = \"never\"",
    );
    let mut s = Sim::with_config(&text);
    let offer = sdp(CALLER_RTP, &[8, 101], "sendrecv", 1);
    let key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(100);

    assert_eq!(s.ua_ref(CALLER).codes(&key), vec![488], "{}", s.trace());
    assert!(s.requests_to(FAR, &Method::Invite).is_empty());
    let m = s.media();
    assert_eq!(m.opened.len(), m.dropped.len(), "media ports leaked");
    drop(m);
    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.ctl.stats().rejected, 1);
}
