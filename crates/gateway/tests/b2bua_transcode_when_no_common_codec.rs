//! The caller offers only PCMA, the far trunk allows only PCMU: the far end
//! is offered PCMU (with telephone-event), the caller is answered with PCMA,
//! and the media engine is told the two different codecs, so it transcodes.

mod sim;

use tandem::media::{AudioCodec, Side};
use tandem_sip::message::Method;

use sim::*;

#[test]
fn legs_get_their_own_codecs_when_none_is_shared() {
    let mut s = Sim::new(); // far-end trunk: PCMU and telephone-event only
    let offer = sdp(CALLER_RTP, &[8, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);

    let invites = s.ua_ref(FAR).requests(&Method::Invite);
    assert_eq!(invites.len(), 1, "{}", s.trace());
    let (b_key, b_invite) = invites[0].clone();
    assert_eq!(payload_types(&b_invite.body), vec![0, 101]);

    let answer = answer_for(&b_invite, FAR_RTP, "sendrecv", 1);
    s.respond(FAR, &b_key, 200, Some(&answer));
    s.run_ms(100);

    let resps = s.ua_ref(CALLER).responses(&a_key);
    let ok = resps.last().expect("a final response");
    assert_eq!(ok.status.as_u16(), 200, "{}", s.trace());
    assert_eq!(payload_types(&ok.body), vec![8, 101]);

    let m = s.media();
    let a = m.last_remote(1, Side::A).expect("leg A media set");
    let b = m.last_remote(1, Side::B).expect("leg B media set");
    assert_eq!(a.codec.codec, AudioCodec::Pcma);
    assert_eq!(a.codec.payload_type, 8);
    assert_eq!(a.codec.telephone_event, Some(101));
    assert_eq!(b.codec.codec, AudioCodec::Pcmu);
    assert_eq!(b.codec.payload_type, 0);
    assert!(!a.codec.relayable_to(&b.codec));
}
