//! Fuzz entry point, compiled with the library so cargo-fuzz targets and the
//! in-tree random-input test share it.

use std::net::{IpAddr, Ipv4Addr};

use super::model::{Codec, Sdp};
use super::negotiate::{LocalMedia, negotiate_answer, process_answer};
use super::session::LocalSession;

/// Parses `data` as SDP and checks the invariants that must hold for any
/// input: no panic; whatever parses marshals to text that parses back to an
/// equal [`Sdp`]; an answer we generate parses, and reading it back as the
/// offerer succeeds. Panics when an invariant is broken.
pub fn fuzz_sdp(data: &[u8]) {
    let Ok(sdp) = Sdp::parse(data) else {
        return;
    };
    let text = sdp.to_bytes();
    match Sdp::parse(&text) {
        Ok(again) => assert_eq!(sdp, again, "parse -> marshal -> parse changed the SDP"),
        Err(e) => panic!(
            "marshalled SDP does not parse: {e:?}\n{}",
            String::from_utf8_lossy(&text)
        ),
    }

    let local_ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut local = LocalMedia::new(
        local_ip,
        40000,
        vec![
            Codec::pcmu(),
            Codec::pcma(),
            Codec::opus(111),
            Codec::telephone_event(101, 8000),
            Codec::telephone_event(110, 48000),
        ],
    );
    local.rtcp_mux = true;
    let mut session = LocalSession::new(1, local_ip);
    let Ok((answer, negotiated)) = negotiate_answer(&sdp, &local, &mut session) else {
        return;
    };
    let answer_text = answer.to_bytes();
    let reparsed = match Sdp::parse(&answer_text) {
        Ok(a) => a,
        Err(e) => panic!(
            "generated answer does not parse: {e:?}\n{}",
            String::from_utf8_lossy(&answer_text)
        ),
    };
    assert_eq!(answer, reparsed, "generated answer changed on reparse");
    match process_answer(&sdp, &reparsed) {
        Ok(seen) => {
            assert_eq!(seen.media_index, negotiated.media_index);
            assert!(seen.codec.same_encoding(&negotiated.codec));
            assert_eq!(seen.codec.payload_type, negotiated.codec.payload_type);
        }
        Err(e) => panic!("our own answer is refused by process_answer: {e:?}"),
    }
}
