//! parse -> serialise -> parse gives the same message for every torture
//! message that parses, and serialising again gives the same bytes.
//!
//! The only difference allowed between the first and second parse is
//! Content-Length: serialisation always writes it, set to the body length
//! (inv2543 has none: its body is framed by the datagram).

use std::path::PathBuf;

use tandem_sip::message::{HeaderName, Headers, Message};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/torture");
    let mut out = Vec::new();
    for sub in ["rfc4475", "rfc5118"] {
        let mut names: Vec<_> = std::fs::read_dir(dir.join(sub))
            .expect("corpus folder")
            .map(|e| e.expect("corpus entry").path())
            .collect();
        names.sort();
        for p in names {
            let mut data = std::fs::read(&p).expect("corpus file");
            if sub == "rfc5118" {
                // Archive quirk: bare LF line endings (see torture_rfc5118.rs).
                data = data
                    .iter()
                    .flat_map(|&c| if c == b'\n' { vec![b'\r', c] } else { vec![c] })
                    .collect();
            }
            out.push((
                format!(
                    "{sub}/{}",
                    p.file_name().expect("file name").to_string_lossy()
                ),
                data,
            ));
        }
    }
    out
}

fn without_length(h: &Headers) -> Headers {
    h.iter()
        .filter(|h| h.name != HeaderName::ContentLength)
        .cloned()
        .collect()
}

fn same_except_length(a: &Message, b: &Message) -> bool {
    match (a, b) {
        (Message::Request(a), Message::Request(b)) => {
            a.method == b.method
                && a.uri == b.uri
                && a.body == b.body
                && without_length(&a.headers) == without_length(&b.headers)
        }
        (Message::Response(a), Message::Response(b)) => {
            a.status == b.status
                && a.reason == b.reason
                && a.body == b.body
                && without_length(&a.headers) == without_length(&b.headers)
        }
        _ => false,
    }
}

#[test]
fn every_parsable_torture_message_roundtrips() {
    let mut checked = 0;
    for (name, data) in corpus() {
        let Ok(first) = Message::parse(&data) else {
            continue;
        };
        let bytes = first.to_bytes();
        let second = Message::parse(&bytes)
            .unwrap_or_else(|e| panic!("{name}: serialised form does not parse: {e}\n{bytes:?}"));
        assert!(
            same_except_length(&first, &second),
            "{name}: changed by a round trip\n{first:?}\n{second:?}"
        );
        let length = second.headers().get(&HeaderName::ContentLength).unwrap();
        let body_len = match &second {
            Message::Request(r) => r.body.len(),
            Message::Response(r) => r.body.len(),
        };
        assert_eq!(length, body_len.to_string(), "{name}");
        // A fixed point from here on, in bytes and as a stream frame.
        assert_eq!(second.to_bytes(), bytes, "{name}");
        assert_eq!(
            Message::parse_stream_frame(&bytes).unwrap(),
            second,
            "{name}"
        );
        checked += 1;
    }
    println!("round-tripped {checked} torture messages");
    // 13 valid + 16 application-level (all but mcl01) in RFC 4475 and the
    // RFC 5118 files that parse after the LF conversion alone.
    assert!(checked >= 13 + 16 + 5, "only {checked} messages parsed");
}

#[test]
fn serialisation_keeps_the_wire_text() {
    // Start line and header values are written as received (names in their
    // canonical long form), so forwarding does not rewrite them.
    let data = corpus()
        .into_iter()
        .find(|(n, _)| n == "rfc4475/intmeth.dat")
        .unwrap()
        .1;
    let bytes = Message::parse(&data).unwrap().to_bytes();
    let original_start = data.split(|b| *b == b'\r').next().unwrap();
    assert!(bytes.starts_with(original_start));
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("\r\nCall-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\r\n"));
    assert!(text.contains("\r\nextensionHeader-!.%*+_`'~: \u{feff}"));
}
