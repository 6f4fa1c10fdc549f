//! Fuzz entry points, compiled with the library so the cargo-fuzz crate's
//! targets stay three lines long. Each panics on a broken invariant.

use crate::message::{
    CSeq, Frame, Message, NameAddr, StreamFramer, UasPolicy, Uri, Via, check_request, frame_len,
};

/// Serialises `m`, parses the bytes back and checks the result is a fixed
/// point of serialise/parse.
fn roundtrip(m: &Message) {
    let bytes = m.to_bytes();
    let again = match Message::parse(&bytes) {
        Ok(a) => a,
        Err(e) => panic!("serialised message does not parse: {e}\n{bytes:?}"),
    };
    let bytes2 = again.to_bytes();
    assert_eq!(bytes, bytes2, "serialisation is not stable");
    match Message::parse_stream_frame(&bytes) {
        Ok(s) => assert_eq!(s, again, "stream and datagram parses differ"),
        Err(e) => panic!("serialised message is not a stream frame: {e}"),
    }
    assert_eq!(frame_len(&bytes), Ok(Some(bytes.len())));
}

fn exercise(m: &Message) {
    roundtrip(m);
    if let Message::Request(r) = m {
        let policy = UasPolicy::default();
        if let Err(rej) = check_request(r, &policy) {
            let resp = rej.into_response(r);
            roundtrip(&Message::Response(resp));
        }
    }
    let h = m.headers();
    let _ = (
        h.cseq(),
        h.top_via(),
        h.from_tag(),
        h.to_tag(),
        h.contacts(),
    );
    let _ = (
        h.record_routes(),
        h.routes(),
        h.max_forwards(),
        h.content_type(),
    );
}

/// Parses `data` as a datagram and as stream frames; whatever parses is
/// serialised and parsed again (which must succeed and be stable) and run
/// through `check_request`; error responses are built and serialised.
pub fn fuzz_sip_message(data: &[u8]) {
    match Message::parse(data) {
        Ok(m) => exercise(&m),
        Err(e) => {
            // The echo headers go back as received, broken ones included,
            // so the response is only required to serialise.
            if let Some(resp) = e.to_response() {
                let _ = resp.to_bytes();
            }
        }
    }
    // Stream: cut frames until the data runs out or framing is lost.
    let mut framer = StreamFramer::new();
    let mut rest = data;
    while let Ok(Some(frame)) = framer.next_frame(rest) {
        let n = frame.size();
        assert!(
            n > 0 && n <= rest.len(),
            "frame of {n} bytes from {}",
            rest.len()
        );
        if let Frame::Message { .. } = frame
            && let Ok(m) = Message::parse_stream_frame(&rest[..n])
        {
            exercise(&m);
        }
        rest = &rest[n..];
    }
    // The incremental framer fed byte by byte agrees with the one-shot one
    // on where the first message ends. (Keepalive runs may be reported in
    // smaller pieces when they arrive split.)
    if data.len() <= 4096 {
        let whole = StreamFramer::new().next_frame(data);
        let mut inc = StreamFramer::new();
        let mut got = None;
        for end in 0..=data.len() {
            match inc.next_frame(&data[..end]) {
                Ok(None) => {}
                other => {
                    got = Some(other);
                    break;
                }
            }
        }
        if let (Some(Ok(Some(Frame::Message { len: a }))), Ok(Some(Frame::Message { len: b }))) =
            (&got, &whole)
        {
            assert_eq!(a, b, "incremental and one-shot framing differ");
        }
    }
}

/// Parses `data` as a URI and as the typed header values; whatever parses
/// must print to text that parses back to an equal value.
pub fn fuzz_sip_uri(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(u) = s.parse::<Uri>() {
        let t = u.to_string();
        assert_eq!(t.parse::<Uri>().ok(), Some(u), "URI {s:?} printed as {t:?}");
    }
    if let Ok(v) = s.parse::<Via>() {
        let t = v.to_string();
        assert_eq!(t.parse::<Via>().ok(), Some(v), "Via {s:?} printed as {t:?}");
    }
    if let Ok(a) = s.parse::<NameAddr>() {
        let t = a.to_string();
        assert_eq!(
            t.parse::<NameAddr>().ok(),
            Some(a),
            "name-addr {s:?} printed as {t:?}"
        );
    }
    if let Ok(c) = s.parse::<CSeq>() {
        let t = c.to_string();
        assert_eq!(
            t.parse::<CSeq>().ok(),
            Some(c),
            "CSeq {s:?} printed as {t:?}"
        );
    }
}
