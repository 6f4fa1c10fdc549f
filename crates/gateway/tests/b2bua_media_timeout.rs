//! The media of an answered call goes silent: the call is ended with BYE
//! on both legs and its media released. A timeout for a call that does not
//! exist changes nothing.

mod sim;

use std::time::Duration;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn media_timeout_sends_bye_both_legs() {
    let mut s = Sim::new();
    s.answered_call();
    let call = s.media().opened[0];

    let now = s.now;
    s.ctl.handle_media_timeout(now, call + 41); // not a call
    s.run_ms(100);
    assert_eq!(s.ctl.active_calls(), 1);
    assert!(s.requests_to(FAR, &Method::Bye).is_empty());

    let now = s.now;
    s.ctl.handle_media_timeout(now, call);
    s.run_ms(100);

    let caller_byes = s.ua_ref(CALLER).requests(&Method::Bye);
    let far_byes = s.ua_ref(FAR).requests(&Method::Bye);
    assert_eq!(caller_byes.len(), 1, "{}", s.trace());
    assert_eq!(far_byes.len(), 1, "{}", s.trace());
    assert_eq!(
        caller_byes[0].1.uri.to_string(),
        format!("sip:alice@{CALLER}")
    );
    assert_eq!(far_byes[0].1.uri.to_string(), format!("sip:bob@{FAR}"));
    // Both answered 200.
    assert_eq!(s.codes_to(CTL, &Method::Bye), vec![200, 200]);
    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![call]);
    assert_eq!(s.ctl.stats().calls_ended, 1);
    s.run_to_end(Duration::from_secs(60));
    assert!(!s.ctl.has_pending_transactions());
}
