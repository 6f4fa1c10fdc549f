//! SIP and media over IPv6 (::1): bracketed addresses in URIs and Via
//! (RFC 5118), `c=IN IP6` in SDP, and the relay on IPv6 sockets carry a call
//! between two baresip user agents.

mod e2e;

use std::time::Duration;

const CONFIG: &str = r#"
[sip]
udp = ["[::1]:5460"]
tcp = ["[::1]:5460"]

[media]
address = "::1"
port_min = 23000
port_max = 23999

[[trunks]]
name = "callers"
inbound_from = ["::1"]

[[trunks]]
name = "far-end"
address = "[::1]:5490"

[[numbers]]
number = "+15550100"
forward = { trunk = "far-end", to = "+15550199" }
"#;

#[test]
fn call_over_ipv6_carries_audio_both_ways() {
    if !e2e::enabled("e2e_call_over_ipv6") {
        return;
    }
    let conf = e2e::workdir("call_over_ipv6_config").join("tandem.toml");
    std::fs::write(&conf, CONFIG).unwrap();
    let report = e2e::baresip_call(e2e::CallPlan {
        name: "call_over_ipv6",
        config: conf,
        tandem_sip: "[::1]:5460".parse().unwrap(),
        uac_port: 5470,
        uac_transport: e2e::Sip::Udp,
        uas_port: 5490,
        uas_user: "+15550199",
        uas_transport: e2e::Sip::Udp,
        dial: "+15550100",
        media_ports: (23000, 23999),
        talk: Duration::from_secs(8),
        ipv6: true,
    });
    e2e::assert_audio_crossed(&report);
    for s in &report.streams {
        assert!(
            s.src.starts_with("::1") && s.dst.starts_with("::1"),
            "{s:?}"
        );
    }
}
