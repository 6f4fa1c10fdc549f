//! The interval granted by a 200 is our Contact's `expires` parameter, else
//! the Expires header, else what we asked for; the refresh follows it.

mod register_support;

use std::time::Instant;

use register_support::*;
use tandem_sip::message::{HeaderName, Request, Response};
use tandem_sip::register::{FailureReason, Registration, RegistrationState};

/// Registers with the 200 that `build` makes; returns when the REGISTER
/// left, the expiry, and the registration.
fn registered(build: impl FnOnce(&Request) -> Response) -> (Instant, Instant, Registration) {
    let base = Instant::now();
    let mut reg = Registration::new(config(), base);
    let req = one_request(&mut reg);
    reg.handle_response(base + secs(1), &build(&req));
    let RegistrationState::Registered { expires_at } = *reg.state() else {
        panic!("{:?}", reg.state());
    };
    (base, expires_at, reg)
}

fn assert_refresh_between(reg: &Registration, sent: Instant, lo: u64, hi: u64) {
    let refresh = reg.poll_timeout().expect("refresh timer");
    assert!(
        refresh >= sent + secs(lo) && refresh <= sent + secs(hi),
        "refresh after {:?}",
        refresh - sent
    );
}

#[test]
fn contact_param_wins_over_expires_header() {
    let (sent, expires_at, reg) = registered(|req| {
        let mut r = respond(req, 200);
        r.headers
            .push_value(HeaderName::Contact, "<sip:other@192.0.2.99>;expires=30");
        // Our binding, written differently: default port, parameter case.
        r.headers.push_value(
            HeaderName::Contact,
            "<sip:trunk1@192.0.2.10;transport=UDP>;expires=120",
        );
        r.headers.push_value(HeaderName::Expires, 600);
        r
    });
    assert_eq!(expires_at, sent + secs(120));
    assert_refresh_between(&reg, sent, 60, 72);
}

#[test]
fn expires_header_without_matching_contact() {
    let (sent, expires_at, reg) = registered(|req| {
        let mut r = respond(req, 200);
        r.headers
            .push_value(HeaderName::Contact, "<sip:other@192.0.2.99>;expires=30");
        r.headers.push_value(HeaderName::Expires, 600);
        r
    });
    assert_eq!(expires_at, sent + secs(600));
    assert_refresh_between(&reg, sent, 300, 360);
}

#[test]
fn requested_interval_when_nothing_says() {
    let (sent, expires_at, reg) = registered(|req| respond(req, 200));
    assert_eq!(expires_at, sent + secs(3600));
    assert_refresh_between(&reg, sent, 1800, 2160);
}

#[test]
fn short_grant_refreshes_before_the_margin() {
    let (sent, expires_at, reg) = registered(|req| ok(req, 8));
    assert_eq!(expires_at, sent + secs(8));
    // 8 s is too short for 50-60 % with a 5 s margin: half-way.
    assert_eq!(reg.poll_timeout().unwrap(), sent + secs(4));
}

#[test]
fn zero_granted_is_a_failure() {
    let base = Instant::now();
    let mut reg = Registration::new(config(), base);
    let req = one_request(&mut reg);
    reg.handle_response(base, &ok(&req, 0));
    let RegistrationState::Failed { reason, retry_at } = reg.state().clone() else {
        panic!("{:?}", reg.state());
    };
    assert_eq!(reason, FailureReason::BindingNotKept);
    assert!(retry_at >= base + secs(15) && retry_at <= base + secs(30));
}
