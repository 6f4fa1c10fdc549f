//! SIGTERM during a call: tandem sends BYE to both parties and exits 0
//! promptly (full drain of calls comes with the operations issue).

mod e2e;

use std::time::{Duration, Instant};

use e2e::{Baresip, BaresipSpec, Sip};

const CONFIG: &str = r#"
[sip]
udp = ["127.0.0.1:5260"]
tcp = []

[media]
address = "127.0.0.1"
port_min = 22000
port_max = 22999

[[trunks]]
name = "callers"
inbound_from = ["127.0.0.1"]

[[trunks]]
name = "far-end"
address = "127.0.0.1:5290"

[[numbers]]
number = "+15550100"
forward = { trunk = "far-end", to = "+15550199" }
"#;

#[test]
fn sigterm_sends_bye_to_both_legs_and_exits() {
    if !e2e::enabled("e2e_sigterm_hangs_up") {
        return;
    }
    let dir = e2e::workdir("sigterm_hangs_up");
    let conf = dir.join("tandem.toml");
    std::fs::write(&conf, CONFIG).unwrap();
    let tone = dir.join("tone.wav");
    e2e::write_tone(&tone, 440.0, 30.0, 8000, 0.5);
    let mut tandem = e2e::start_tandem(&dir, &conf, "127.0.0.1:5260".parse().unwrap());
    let uas = Baresip::start(
        &dir,
        BaresipSpec {
            name: "uas",
            sip_port: 5290,
            user: "+15550199",
            source: &tone,
            transport: Sip::Udp,
            auto_answer: true,
            rtp_ports: (45000, 45100),
            commands: vec![],
            quit_after: Duration::from_secs(40),
            ipv6: false,
        },
    );
    let uac = Baresip::start(
        &dir,
        BaresipSpec {
            name: "uac",
            sip_port: 5270,
            user: "caller",
            source: &tone,
            transport: Sip::Udp,
            auto_answer: false,
            rtp_ports: (46000, 46100),
            commands: vec!["/dial sip:+15550100@127.0.0.1:5260".to_owned()],
            quit_after: Duration::from_secs(40),
            ipv6: false,
        },
    );
    assert!(
        uac.proc
            .wait_for_log("Call established", Duration::from_secs(10)),
        "call did not connect:\n{}",
        tandem.log_text()
    );
    std::thread::sleep(Duration::from_secs(2));
    let t0 = Instant::now();
    let status = tandem.terminate(Duration::from_secs(10));
    let took = t0.elapsed();
    assert!(
        status.is_some_and(|s| s.success()),
        "exit status {status:?}"
    );
    assert!(took < Duration::from_secs(5), "stopping took {took:?}");
    for ua in [&uac, &uas] {
        assert!(
            ua.proc.wait_for_log("terminated", Duration::from_secs(5)),
            "{} was not hung up:\n{}",
            ua.proc.name,
            ua.proc.log_text()
        );
    }
    let log = tandem.log_text();
    assert!(
        log.contains("why=\"shutdown\"") || log.contains("shutdown"),
        "{log}"
    );
}
