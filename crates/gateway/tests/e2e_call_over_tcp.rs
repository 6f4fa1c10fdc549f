//! A call whose both legs use SIP over TCP (RFC 3261 §18, framing by
//! Content-Length) carries audio both ways between two baresip user agents.

mod e2e;

use std::time::Duration;

const CONFIG: &str = r#"
[sip]
udp = ["127.0.0.1:5160"]
tcp = ["127.0.0.1:5160"]

[media]
address = "127.0.0.1"
port_min = 21000
port_max = 21999

[[trunks]]
name = "callers"
inbound_from = ["127.0.0.1"]
codecs = ["PCMU", "PCMA", "telephone-event"]

[[trunks]]
name = "far-end"
address = "127.0.0.1:5190"
transport = "tcp"
codecs = ["PCMU", "PCMA", "telephone-event"]

[[numbers]]
number = "+15550100"
forward = { trunk = "far-end", to = "+15550199" }
"#;

#[test]
fn call_over_tcp_carries_audio_both_ways() {
    if !e2e::enabled("e2e_call_over_tcp") {
        return;
    }
    let conf = e2e::workdir("call_over_tcp_config").join("tandem.toml");
    std::fs::write(&conf, CONFIG).unwrap();
    let report = e2e::baresip_call(e2e::CallPlan {
        name: "call_over_tcp",
        config: conf,
        tandem_sip: "127.0.0.1:5160".parse().unwrap(),
        uac_port: 5170,
        uac_transport: e2e::Sip::Tcp,
        uas_port: 5190,
        uas_user: "+15550199",
        uas_transport: e2e::Sip::Tcp,
        dial: "+15550100",
        media_ports: (21000, 21999),
        talk: Duration::from_secs(8),
        ipv6: false,
    });
    e2e::assert_audio_crossed(&report);
    // Both legs really used TCP: one connection accepted from the caller,
    // one opened toward the far end.
    assert!(
        report.tandem_log.matches("tcp connection up").count() >= 2,
        "expected two TCP connections in tandem's log:\n{}",
        report.tandem_log
    );
    assert!(
        report.tandem_log.contains("hangup by a"),
        "{}",
        report.tandem_log
    );
}
