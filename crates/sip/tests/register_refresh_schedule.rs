//! A registration that succeeds stays registered for simulated hours:
//! every refresh goes out at 50-60 % of the granted interval, long before
//! the binding expires, with the same Call-ID and From tag and CSeq + 1.

mod register_support;

use std::time::{Duration, Instant};

use register_support::*;
use tandem_sip::message::{HeaderName, Method};
use tandem_sip::register::{Registration, RegistrationOutput, RegistrationState};

const RTT: Duration = Duration::from_millis(40);

#[test]
fn six_hours_of_refreshes() {
    let base = Instant::now();
    let mut registrar = Registrar::open(base);
    let mut reg = Registration::new(config(), base);
    let mut now = base;
    let mut sends: Vec<(Instant, tandem_sip::message::Request)> = Vec::new();
    let mut states: Vec<(Instant, RegistrationState)> = Vec::new();

    while now < base + secs(6 * 3600) {
        let mut reply = None;
        while let Some(out) = reg.poll_output() {
            match out {
                RegistrationOutput::Send(req) => {
                    reply = Some(registrar.handle(now, &req));
                    sends.push((now, req));
                }
                RegistrationOutput::StateChanged(s) => states.push((now, s)),
            }
        }
        if let Some(resp) = reply {
            now += RTT;
            reg.handle_response(now, &resp);
            continue;
        }
        let t = reg
            .poll_timeout()
            .expect("a registered binding always has a timer");
        assert!(t >= now, "timer in the past");
        now = t;
        reg.handle_timeout(now);
    }

    // States: Registering, then Registered with a new expiry per refresh.
    assert_eq!(states[0], (base, RegistrationState::Registering));
    for (i, (at, s)) in states[1..].iter().enumerate() {
        let RegistrationState::Registered { expires_at } = s else {
            panic!("state {i}: {s:?}");
        };
        // The expiry counts from when the REGISTER left.
        let sent = sends[i].0;
        assert_eq!(*expires_at, sent + secs(3600));
        assert_eq!(*at, sent + RTT);
    }
    assert_eq!(states.len(), sends.len() + 1);

    // 6 h / (30..36 min) refreshes, plus the first REGISTER.
    assert!(
        (11..=13).contains(&sends.len()),
        "{} REGISTERs",
        sends.len()
    );
    for pair in sends.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= secs(1800) && gap <= secs(2160),
            "refresh after {gap:?}"
        );
    }

    // The binding's identity is fixed; CSeq increments.
    for (i, (_, req)) in sends.iter().enumerate() {
        assert_eq!(req.method, Method::Register);
        assert_eq!(req.uri.to_string(), REGISTRAR);
        assert_eq!(cseq(req), i as u32 + 1);
        assert_eq!(header(req, HeaderName::CSeq), format!("{} REGISTER", i + 1));
        assert_eq!(header(req, HeaderName::CallId), CALL_ID);
        assert_eq!(header(req, HeaderName::From), format!("<{AOR}>;tag=ft-1"));
        assert_eq!(header(req, HeaderName::To), format!("<{AOR}>"));
        assert_eq!(header(req, HeaderName::Contact), format!("<{CONTACT}>"));
        assert_eq!(expires(req), 3600);
        assert!(
            !req.headers.contains(&HeaderName::Via),
            "the shell adds the Via"
        );
        assert!(!req.headers.contains(&HeaderName::Authorization));
    }
}

#[test]
fn seeds_change_the_refresh_point() {
    // Jitter: two trunks with different seeds do not refresh together.
    let base = Instant::now();
    let refresh_at = |seed| {
        let mut c = config();
        c.seed = Some(seed);
        let mut reg = Registration::new(c, base);
        let req = one_request(&mut reg);
        reg.handle_response(base, &ok(&req, 3600));
        reg.poll_timeout().unwrap()
    };
    let a = refresh_at(1);
    let b = refresh_at(2);
    assert_ne!(a, b);
    for t in [a, b] {
        assert!(t >= base + secs(1800) && t <= base + secs(2160));
    }
}
