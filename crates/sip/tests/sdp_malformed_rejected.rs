//! Malformed bodies are refused with a typed error, never a panic; what
//! Tandem cannot use is refused, what it does not need is tolerated.

use tandem_sip::sdp::{MAX_SDP_LEN, Sdp, SdpError};

const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n";

#[test]
fn grammar_errors_are_syntax() {
    for body in [
        "".to_owned(),
        "v=1\r\n".to_owned(),
        "o=- 1 1 IN IP4 192.0.2.1\r\n".to_owned(),
        format!("{HEAD}m=audio 5004 RTP/AVP 0\r\n"), // no t=
        format!("{HEAD}t=0 0\r\nm=audio 70000 RTP/AVP 0\r\n"),
        format!("{HEAD}t=0 0\r\nm=audio 5004 RTP/AVP\r\n"),
        format!("{HEAD}t=0 0\r\nm=audio 5004 RTP/AVP 0\r\nxx\r\n"),
        "v=0\r\no=- x 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n".to_owned(),
    ] {
        let err = Sdp::parse(body.as_bytes()).unwrap_err();
        assert!(matches!(err, SdpError::Syntax(_)), "{body:?}: {err:?}");
    }
}

#[test]
fn typed_errors() {
    let big = vec![b'a'; MAX_SDP_LEN + 1];
    assert!(matches!(Sdp::parse(&big), Err(SdpError::TooLarge { .. })));

    let mut bad_utf8 = format!("{HEAD}t=0 0\r\n").into_bytes();
    bad_utf8.extend_from_slice(b"a=x:\xff\r\n");
    assert!(matches!(
        Sdp::parse(&bad_utf8),
        Err(SdpError::NotUtf8 { offset }) if offset == bad_utf8.len() - 3
    ));

    let nul = format!("{HEAD}t=0 0\r\na=x\0y\r\n");
    assert!(matches!(
        Sdp::parse(nul.as_bytes()),
        Err(SdpError::ControlCharacter { .. })
    ));
    let bare_cr = format!("{HEAD}t=0 0\r\na=x\ry\r\n");
    assert!(matches!(
        Sdp::parse(bare_cr.as_bytes()),
        Err(SdpError::ControlCharacter { .. })
    ));

    let fqdn = format!("{HEAD}c=IN IP4 media.example.com\r\nt=0 0\r\n");
    assert!(matches!(
        Sdp::parse(fqdn.as_bytes()),
        Err(SdpError::InvalidConnectionAddress { address }) if address == "media.example.com"
    ));

    let pt = format!("{HEAD}t=0 0\r\nm=audio 5004 RTP/AVP 0 abc\r\n");
    assert!(matches!(
        Sdp::parse(pt.as_bytes()),
        Err(SdpError::InvalidPayloadType { index: 0, format }) if format == "abc"
    ));
    let pt = format!("{HEAD}t=0 0\r\nm=audio 5004 RTP/AVP 200\r\n");
    assert!(matches!(
        Sdp::parse(pt.as_bytes()),
        Err(SdpError::InvalidPayloadType { .. })
    ));
}

#[test]
fn tolerated_oddities() {
    // u= that is no URL, unknown attributes, bad ptime, multicast TTL.
    let body = format!(
        "{HEAD}u=not a url\r\nc=IN IP4 224.2.1.1/127\r\nt=0 0\r\n\
m=audio 5004 RTP/AVP 0\r\na=ptime:twenty\r\na=x-custom\r\n"
    );
    let sdp = Sdp::parse(body.as_bytes()).unwrap();
    assert_eq!(sdp.connection, Some("224.2.1.1".parse().unwrap()));
    assert_eq!(sdp.media[0].ptime, None);
    assert_eq!(
        sdp.media[0].extra,
        vec![
            ("ptime".to_owned(), Some("twenty".to_owned())),
            ("x-custom".to_owned(), None)
        ]
    );
    // Non-RTP formats are carried as written.
    let body = format!("{HEAD}c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=image 5006 udptl t38\r\n");
    let sdp = Sdp::parse(body.as_bytes()).unwrap();
    assert_eq!(sdp.media[0].formats, vec!["t38"]);
    assert!(sdp.media[0].codecs.is_empty());
}
