//! parse -> marshal -> parse gives back an equal Sdp for every sample, in
//! CRLF and LF forms, and the marshalled text is CRLF SDP.

mod sdp_samples;

use tandem_sip::sdp::Sdp;

fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let mut all = Vec::new();
    for (name, text) in [
        ("baresip", sdp_samples::BARESIP_OFFER),
        ("linphone", sdp_samples::LINPHONE_OFFER),
        ("chrome", sdp_samples::CHROME_OFFER),
        ("trunk", sdp_samples::TRUNK_OFFER),
    ] {
        all.push((name, sdp_samples::crlf(text)));
        all.push((name, text.as_bytes().to_vec()));
    }
    all.push(("ipv6-in-sdp", sdp_samples::rfc5118_body("ipv6-in-sdp")));
    all.push((
        "mult-ip-in-sdp",
        sdp_samples::rfc5118_body("mult-ip-in-sdp"),
    ));
    all
}

#[test]
fn parse_marshal_parse_is_identity() {
    for (name, body) in samples() {
        let first = Sdp::parse(&body).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let text = first.to_bytes();
        assert!(text.starts_with(b"v=0\r\no="), "{name}");
        assert!(text.ends_with(b"\r\n"), "{name}");
        assert!(
            !text.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'),
            "{name}: bare LF in output"
        );
        let second = Sdp::parse(&text).unwrap_or_else(|e| panic!("{name}: reparse {e:?}"));
        assert_eq!(first, second, "{name}");
        assert_eq!(second.to_bytes(), text, "{name}: marshalling is stable");
    }
}

#[test]
fn chrome_offer_keeps_every_attribute_line() {
    let body = sdp_samples::crlf(sdp_samples::CHROME_OFFER);
    let text = Sdp::parse(&body).unwrap().to_string();
    // Same multiset of lines (the order of attributes within a section may change).
    let mut original: Vec<&str> = sdp_samples::CHROME_OFFER.lines().collect();
    let mut written: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    original.sort_unstable();
    written.sort_unstable();
    assert_eq!(original, written);
}
