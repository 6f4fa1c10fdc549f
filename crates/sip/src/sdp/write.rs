//! [`Sdp`] -> text, through rtc-sdp's marshaller.
//!
//! Every media section is written with its effective values (direction,
//! ICE, DTLS) explicitly, so a parse of the output gives back an equal
//! [`Sdp`] without relying on session-level inheritance.

use std::fmt;
use std::net::IpAddr;

use rtc_sdp::description::common::{
    Address, Attribute, Bandwidth as RtcBandwidth, ConnectionInformation,
};
use rtc_sdp::description::media::{MediaDescription, MediaName, RangedPort};
use rtc_sdp::description::session::{
    Origin as RtcOrigin, SessionDescription, TimeDescription, Timing,
};

use super::model::{AddrType, Bandwidth, MediaSection, Sdp};

fn connection(ip: IpAddr) -> ConnectionInformation {
    ConnectionInformation {
        network_type: "IN".to_owned(),
        address_type: AddrType::of(ip).as_str().to_owned(),
        address: Some(Address {
            address: ip.to_string(),
            ttl: None,
            range: None,
        }),
    }
}

fn bandwidth(bw: &[Bandwidth]) -> Vec<RtcBandwidth> {
    bw.iter()
        .map(|b| match b.kind.strip_prefix("X-") {
            Some(kind) => RtcBandwidth {
                experimental: true,
                bandwidth_type: kind.to_owned(),
                bandwidth: b.value,
            },
            None => RtcBandwidth {
                experimental: false,
                bandwidth_type: b.kind.clone(),
                bandwidth: b.value,
            },
        })
        .collect()
}

fn flag(key: &str) -> Attribute {
    Attribute::new(key.to_owned(), None)
}

fn value(key: &str, value: impl Into<String>) -> Attribute {
    Attribute::new(key.to_owned(), Some(value.into()))
}

fn non_empty(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

fn media_to_raw(m: &MediaSection, session: &Sdp) -> MediaDescription {
    let formats = if m.protocol.is_rtp() {
        m.codecs
            .iter()
            .map(|c| c.payload_type.to_string())
            .collect()
    } else {
        m.formats.clone()
    };
    let mut attrs = Vec::new();
    for c in &m.codecs {
        if c.is_unmapped() {
            continue;
        }
        let rtpmap = if c.channels == 1 {
            format!("{} {}/{}", c.payload_type, c.name, c.clock_rate)
        } else {
            format!(
                "{} {}/{}/{}",
                c.payload_type, c.name, c.clock_rate, c.channels
            )
        };
        attrs.push(value("rtpmap", rtpmap));
    }
    for c in &m.codecs {
        if let Some(fmtp) = &c.fmtp {
            attrs.push(value("fmtp", format!("{} {}", c.payload_type, fmtp)));
        }
    }
    for c in &m.codecs {
        for fb in &c.rtcp_fb {
            attrs.push(value("rtcp-fb", format!("{} {}", c.payload_type, fb)));
        }
    }
    if let Some(ptime) = m.ptime {
        attrs.push(value("ptime", ptime.to_string()));
    }
    if let Some(maxptime) = m.maxptime {
        attrs.push(value("maxptime", maxptime.to_string()));
    }
    attrs.push(flag(m.direction.as_str()));
    if let Some(rtcp) = m.rtcp {
        let v = match rtcp.address {
            Some(ip) => format!("{} IN {} {}", rtcp.port, AddrType::of(ip).as_str(), ip),
            None => rtcp.port.to_string(),
        };
        attrs.push(value("rtcp", v));
    }
    if m.rtcp_mux {
        attrs.push(flag("rtcp-mux"));
    }
    if let Some(ice) = &m.ice {
        if let Some(ufrag) = &ice.ufrag {
            attrs.push(value("ice-ufrag", ufrag.as_str()));
        }
        if let Some(pwd) = &ice.pwd {
            attrs.push(value("ice-pwd", pwd.as_str()));
        }
        if let Some(options) = &ice.options {
            attrs.push(value("ice-options", options.as_str()));
        }
        if ice.lite && !session.ice_lite {
            attrs.push(flag("ice-lite"));
        }
        for candidate in &ice.candidates {
            attrs.push(value("candidate", candidate.as_str()));
        }
        if ice.end_of_candidates {
            attrs.push(flag("end-of-candidates"));
        }
    }
    if let Some(dtls) = &m.dtls {
        attrs.push(value(
            "fingerprint",
            format!("{} {}", dtls.fingerprint_hash, dtls.fingerprint),
        ));
        if let Some(setup) = dtls.setup {
            attrs.push(value("setup", setup.as_str()));
        }
    }
    if let Some(mid) = &m.mid {
        attrs.push(value("mid", mid.as_str()));
    }
    for ssrc in &m.ssrc {
        attrs.push(value("ssrc", ssrc.as_str()));
    }
    for (k, v) in &m.extra {
        attrs.push(Attribute::new(k.clone(), v.clone()));
    }

    MediaDescription {
        media_name: MediaName {
            media: m.kind.as_str().to_owned(),
            port: RangedPort {
                value: m.port as isize,
                range: m.port_count.map(|n| n as isize),
            },
            protos: m.protocol.as_str().split('/').map(str::to_owned).collect(),
            formats,
        },
        media_title: None,
        connection_information: m
            .connection
            .filter(|ip| Some(*ip) != session.connection)
            .map(connection),
        bandwidth: bandwidth(&m.bandwidth),
        encryption_key: None,
        attributes: attrs,
    }
}

fn to_raw(sdp: &Sdp) -> SessionDescription {
    let mut attrs = Vec::new();
    if let Some(mids) = &sdp.bundle {
        let mut v = String::from("BUNDLE");
        for mid in mids {
            v.push(' ');
            v.push_str(mid);
        }
        attrs.push(value("group", v));
    }
    if sdp.ice_lite {
        attrs.push(flag("ice-lite"));
    }
    if let Some(ufrag) = &sdp.ice_ufrag {
        attrs.push(value("ice-ufrag", ufrag.as_str()));
    }
    if let Some(pwd) = &sdp.ice_pwd {
        attrs.push(value("ice-pwd", pwd.as_str()));
    }
    if let Some(options) = &sdp.ice_options {
        attrs.push(value("ice-options", options.as_str()));
    }
    if let Some((hash, fp)) = &sdp.fingerprint {
        attrs.push(value("fingerprint", format!("{hash} {fp}")));
    }
    if let Some(setup) = sdp.setup {
        attrs.push(value("setup", setup.as_str()));
    }
    if let Some(direction) = sdp.direction {
        attrs.push(flag(direction.as_str()));
    }
    for (k, v) in &sdp.extra {
        attrs.push(Attribute::new(k.clone(), v.clone()));
    }

    SessionDescription {
        version: 0,
        origin: RtcOrigin {
            username: non_empty(&sdp.origin.username).to_owned(),
            session_id: sdp.origin.session_id,
            session_version: sdp.origin.session_version,
            network_type: "IN".to_owned(),
            address_type: sdp.origin.address_type.as_str().to_owned(),
            unicast_address: non_empty(&sdp.origin.address).to_owned(),
        },
        session_name: non_empty(&sdp.session_name).to_owned(),
        session_information: None,
        uri: None,
        email_address: None,
        phone_number: None,
        connection_information: sdp.connection.map(connection),
        bandwidth: bandwidth(&sdp.bandwidth),
        time_descriptions: vec![TimeDescription {
            timing: Timing {
                start_time: sdp.timing.0,
                stop_time: sdp.timing.1,
            },
            repeat_times: Vec::new(),
        }],
        time_zones: Vec::new(),
        encryption_key: None,
        attributes: attrs,
        media_descriptions: sdp.media.iter().map(|m| media_to_raw(m, sdp)).collect(),
    }
}

impl fmt::Display for Sdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&to_raw(self), f)
    }
}
