//! examples/trunk-forward.toml, unmodified, carries a real call between two
//! baresip user agents over UDP: speech one way, a 440 Hz tone the other.

mod e2e;

use std::time::Duration;

#[test]
fn example_config_carries_a_udp_call_between_baresips() {
    if !e2e::enabled("e2e_example_trunk_forward_udp") {
        return;
    }
    let report = e2e::baresip_call(e2e::CallPlan {
        name: "example_trunk_forward_udp",
        config: e2e::repo_root().join("examples/trunk-forward.toml"),
        tandem_sip: "127.0.0.1:5060".parse().unwrap(),
        uac_port: 5070,
        uac_transport: e2e::Sip::Udp,
        uas_port: 5090,
        uas_user: "+15550199",
        uas_transport: e2e::Sip::Udp,
        dial: "+15550100",
        media_ports: (20000, 20999),
        talk: Duration::from_secs(8),
        ipv6: false,
    });
    e2e::assert_audio_crossed(&report);
    assert!(
        report.tandem_log.contains("call answered"),
        "{}",
        report.tandem_log
    );
    assert!(
        report.tandem_log.contains("hangup by a"),
        "{}",
        report.tandem_log
    );
}
