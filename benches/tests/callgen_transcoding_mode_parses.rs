//! callgen takes `--caller-codec` and `--callee-codec`, runs transcoding
//! mode when they differ, and says so in its report. No gateway: the
//! baseline loops the streams through callgen's own socket, which a
//! transcoding gateway looks like from the receiver's side when it keeps
//! SSRC and sequence numbers (real Opus and μ-law payloads, matched by SSRC
//! and sequence number, timed against the send-time ring).

#![allow(clippy::unwrap_used)] // test helpers: failing loudly is the point

use std::process::{Command, Output};

fn callgen(args: &[&str]) -> (Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_callgen"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout)
}

/// The text after `"key":` in the first object named `section` (the whole
/// document when `section` is empty), up to the next `,` or `}`.
fn json_raw<'a>(json: &'a str, section: &str, key: &str) -> &'a str {
    let rest = if section.is_empty() {
        json
    } else {
        let from = json
            .find(&format!("\"{section}\":{{"))
            .unwrap_or_else(|| panic!("no section {section} in {json}"));
        &json[from..]
    };
    let at = rest
        .find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("no {section}.{key} in {json}"));
    let v = &rest[at + key.len() + 3..];
    if let Some(s) = v.strip_prefix('"') {
        &s[..s.find('"').unwrap()]
    } else {
        &v[..v.find([',', '}']).unwrap()]
    }
}

fn json_int(json: &str, section: &str, key: &str) -> u64 {
    json_raw(json, section, key).parse().unwrap()
}

fn baseline(caller: &str, callee: &str) -> (Output, String) {
    callgen(&[
        "--baseline",
        "--concurrent",
        "2",
        "--duration",
        "1",
        "--caller-codec",
        caller,
        "--callee-codec",
        callee,
        "--json",
        "--quiet",
    ])
}

#[test]
fn different_codecs_run_and_report_transcoding_mode() {
    let (out, json) = baseline("opus", "pcmu");
    assert!(
        out.status.success(),
        "callgen failed ({:?}): {json}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_raw(&json, "", "mode"), "transcoding");
    assert_eq!(json_raw(&json, "", "caller_codec"), "opus");
    assert_eq!(json_raw(&json, "", "callee_codec"), "PCMU");
    assert_eq!(json_raw(&json, "media", "mode"), "transcoding");
    assert!(
        json_raw(&json, "media", "latency_measures").starts_with("transcoding one-way latency")
    );
    // Four streams (two Opus, two μ-law) for 1 s at 50 packets a second.
    assert_eq!(json_int(&json, "media", "streams"), 4);
    let sent = json_int(&json, "media", "sent");
    assert!((4 * 40..=4 * 60).contains(&sent), "sent {sent}");
    assert_eq!(json_int(&json, "media", "received"), sent);
    assert_eq!(json_int(&json, "media", "lost"), 0);
    assert_eq!(json_int(&json, "media", "bad_payload"), 0);
    assert_eq!(json_int(&json, "media", "extra_output"), 0);
    assert_eq!(json_int(&json, "media", "untimed"), 0);
    assert_eq!(json_int(&json, "media", "stray"), 0);
    assert_eq!(json_int(&json, "latency_us", "count"), sent);

    let (out, text) = callgen(&[
        "--baseline",
        "--concurrent",
        "1",
        "--duration",
        "0.2",
        "--caller-codec",
        "pcma",
        "--callee-codec",
        "opus",
        "--quiet",
    ]);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("mode       transcoding: caller sends PCMA, far end sends opus"),
        "{text}"
    );
    assert!(text.contains("transcoding one-way latency"), "{text}");
}

#[test]
fn equal_codecs_stay_in_relay_mode() {
    let (out, json) = baseline("opus", "opus");
    assert!(out.status.success(), "{json}");
    assert_eq!(json_raw(&json, "", "mode"), "relay");
    assert_eq!(json_raw(&json, "", "caller_codec"), "opus");
    let sent = json_int(&json, "media", "sent");
    assert!(sent >= 4 * 40, "sent {sent}");
    assert_eq!(json_int(&json, "media", "received"), sent);
    assert_eq!(json_int(&json, "latency_us", "count"), sent);

    // The defaults: PCMU both ways, relay.
    let (out, json) = callgen(&[
        "--baseline",
        "--concurrent",
        "1",
        "--duration",
        "0.2",
        "--json",
        "-q",
    ]);
    assert!(out.status.success(), "{json}");
    assert_eq!(json_raw(&json, "", "mode"), "relay");
    assert_eq!(json_raw(&json, "", "caller_codec"), "PCMU");
    assert_eq!(json_raw(&json, "", "callee_codec"), "PCMU");
}

#[test]
fn an_unknown_codec_is_a_usage_error() {
    let (out, _) = callgen(&["--caller-codec", "g729", "--calls", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("g729") && err.contains("pcmu, pcma, opus"),
        "{err}"
    );
}
