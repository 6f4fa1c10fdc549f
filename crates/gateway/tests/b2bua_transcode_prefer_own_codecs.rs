//! With `transcode = "prefer-own-codecs"` on the callers' trunk, a caller
//! offering Opus and PCMU is answered with Opus (first in the trunk's list)
//! although the far end, which allows only PCMU, answers PCMU; without it,
//! the same offer is answered with PCMU so media is relayed.

mod sim;

use tandem::media::{AudioCodec, Side};
use tandem_sip::message::Method;

use sim::*;

fn call(config: &str) -> (Vec<u8>, AudioCodec, AudioCodec, Vec<u8>) {
    let mut s = Sim::with_config(config);
    let offer = sdp(CALLER_RTP, &[111, 0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b_key, b_invite) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    let offered_to_b = payload_types(&b_invite.body);
    let answer = answer_for(&b_invite, FAR_RTP, "sendrecv", 1);
    s.respond(FAR, &b_key, 200, Some(&answer));
    s.run_ms(100);
    let resps = s.ua_ref(CALLER).responses(&a_key);
    let ok = resps.last().expect("a final response");
    assert_eq!(ok.status.as_u16(), 200, "{}", s.trace());
    let m = s.media();
    let a = m.last_remote(1, Side::A).expect("leg A media").codec.codec;
    let b = m.last_remote(1, Side::B).expect("leg B media").codec.codec;
    (payload_types(&ok.body), a, b, offered_to_b)
}

#[test]
fn own_order_wins_over_relaying() {
    let text = config_text().replace(
        "codecs = [\"PCMU\", \"PCMA\", \"telephone-event\"]",
        "codecs = [\"opus\", \"PCMU\", \"PCMA\", \"telephone-event\"]\ntranscode = \"prefer-own-codecs\"",
    );
    let (answered, a, b, offered_to_b) = call(&text);
    assert_eq!(offered_to_b, vec![0, 101], "the far end only gets PCMU");
    assert_eq!(answered[0], 111, "the caller is answered with Opus");
    assert_eq!((a, b), (AudioCodec::Opus, AudioCodec::Pcmu));
}

#[test]
fn default_prefers_relaying() {
    let text = config_text().replace(
        "codecs = [\"PCMU\", \"PCMA\", \"telephone-event\"]",
        "codecs = [\"opus\", \"PCMU\", \"PCMA\", \"telephone-event\"]",
    );
    let (answered, a, b, _) = call(&text);
    assert_eq!(answered, vec![0, 101], "PCMU on both legs: relayed");
    assert_eq!((a, b), (AudioCodec::Pcmu, AudioCodec::Pcmu));
}
