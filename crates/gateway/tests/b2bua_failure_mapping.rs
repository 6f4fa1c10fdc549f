//! What the caller hears when the far end refuses: the far end's final
//! response mapped to one that makes sense from tandem (busy stays busy,
//! redirects are not followed, the trunk's overload or authentication
//! trouble is tandem's 502/503), always ACKed on both legs.

mod sim;

use tandem_sip::message::Method;

use sim::*;

fn caller_hears(far_code: u16) -> u16 {
    let mut s = Sim::new(); // no outbound_auth on the far trunk
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b_key, _) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    s.respond(FAR, &b_key, far_code, None);
    s.run_ms(100);
    let codes = s.ua_ref(CALLER).codes(&a_key);
    assert_eq!(codes.len(), 2, "{far_code}: {codes:?}\n{}", s.trace());
    assert_eq!(
        s.requests_to(FAR, &Method::Ack).len(),
        1,
        "{far_code} ACKed"
    );
    assert_eq!(s.ctl.active_calls(), 0, "{far_code}");
    assert_eq!(s.media().dropped, vec![1], "{far_code}");
    codes[1]
}

#[test]
fn far_end_failures_are_mapped() {
    for (far, caller) in [
        (486, 486),
        (600, 486),
        (404, 404),
        (480, 480),
        (603, 603),
        (302, 480),
        (401, 503),
        (407, 503),
        (503, 502),
        (500, 500),
    ] {
        assert_eq!(caller_hears(far), caller, "far end {far}");
    }
}
