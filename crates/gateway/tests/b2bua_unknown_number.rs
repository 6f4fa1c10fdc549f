//! A call to a number nobody configured gets 404; nothing is forwarded and
//! no media is opened.

mod sim;

use std::time::Duration;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn unknown_number_gets_404() {
    let mut s = Sim::new();
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, "+15550111", Some(&offer));
    s.run_ms(100);

    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![404], "{}", s.trace());
    assert!(
        s.ua_ref(CALLER).responses(&a_key)[0]
            .headers
            .to_tag()
            .is_some()
    );
    assert!(s.wire_between(CTL, FAR).is_empty());
    assert!(s.media().opened.is_empty());
    let st = s.ctl.stats().clone();
    assert_eq!((st.calls_started, st.rejected), (0, 1));
    assert_eq!(s.ctl.active_calls(), 0);
    s.run_to_end(Duration::from_secs(60));
    assert_eq!(s.codes_to(CALLER, &Method::Invite), vec![404]);
    assert!(!s.ctl.has_pending_transactions());
}
