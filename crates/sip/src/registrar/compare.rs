//! URI equivalence (RFC 3261 §19.1.4), the rule a registrar uses to decide
//! whether a Contact names a binding it already holds.

use crate::message::{Host, Params, SipUri, Uri, unescape};

/// URI parameters that make two SIP URIs differ when only one has them
/// (RFC 3261 §19.1.4).
const SIGNIFICANT_PARAMS: [&str; 5] = ["user", "ttl", "method", "maddr", "transport"];

/// Whether two URIs are equivalent under RFC 3261 §19.1.4:
///
/// - `sip:` and `sips:` never match;
/// - user and password compare case-sensitively, every other part
///   case-insensitively, all after `%HH` escapes are decoded;
/// - a host name never matches an IP address, and an absent port never
///   matches a written one (not even 5060);
/// - a URI parameter present in both must match; `user`, `ttl`, `method`,
///   `maddr` and `transport` present in only one make the URIs differ;
///   other parameters present in only one are ignored;
/// - URI headers must be the same set in both, in any order.
///
/// Other schemes compare equal when their schemes match case-insensitively
/// and the rest is the same after escapes are decoded.
pub fn uri_equivalent(a: &Uri, b: &Uri) -> bool {
    match (a, b) {
        (Uri::Sip(a), Uri::Sip(b)) => sip_equivalent(a, b),
        (Uri::Absolute(a), Uri::Absolute(b)) => {
            a.scheme.eq_ignore_ascii_case(&b.scheme) && unescape(&a.rest) == unescape(&b.rest)
        }
        _ => false,
    }
}

fn sip_equivalent(a: &SipUri, b: &SipUri) -> bool {
    a.secure == b.secure
        && exact_unescaped(a.user.as_deref(), b.user.as_deref())
        && exact_unescaped(a.password.as_deref(), b.password.as_deref())
        && host_eq(&a.host, &b.host)
        && a.port == b.port
        && params_eq(&a.params, &b.params)
        && headers_eq(&a.headers, &b.headers)
}

fn exact_unescaped(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => unescape(a) == unescape(b),
        _ => false,
    }
}

fn caseless_unescaped(a: &str, b: &str) -> bool {
    unescape(a).eq_ignore_ascii_case(&unescape(b))
}

fn host_eq(a: &Host, b: &Host) -> bool {
    match (a, b) {
        (Host::Domain(a), Host::Domain(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    }
}

/// The first parameter whose name matches `name` once escapes are decoded.
fn find_param<'a>(params: &'a Params, name: &str) -> Option<&'a crate::message::Param> {
    params.iter().find(|p| caseless_unescaped(&p.name, name))
}

fn params_eq(a: &Params, b: &Params) -> bool {
    let one_way = |x: &Params, y: &Params| {
        x.iter().all(|p| match find_param(y, &p.name) {
            Some(q) => match (&p.value, &q.value) {
                (None, None) => true,
                (Some(v), Some(w)) => caseless_unescaped(v, w),
                _ => false,
            },
            None => !SIGNIFICANT_PARAMS
                .iter()
                .any(|s| caseless_unescaped(&p.name, s)),
        })
    };
    one_way(a, b) && one_way(b, a)
}

fn headers_eq(a: &[(String, String)], b: &[(String, String)]) -> bool {
    let contains = |set: &[(String, String)], (name, value): &(String, String)| {
        set.iter()
            .any(|(n, v)| caseless_unescaped(n, name) && caseless_unescaped(v, value))
    };
    a.len() == b.len() && a.iter().all(|h| contains(b, h)) && b.iter().all(|h| contains(a, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(a: &str, b: &str) -> bool {
        let (a, b): (Uri, Uri) = (a.parse().unwrap(), b.parse().unwrap());
        let forward = uri_equivalent(&a, &b);
        assert_eq!(forward, uri_equivalent(&b, &a), "not symmetric: {a} {b}");
        forward
    }

    #[test]
    fn rfc3261_equivalent_examples() {
        assert!(eq(
            "sip:%61lice@atlanta.com;transport=TCP",
            "sip:alice@AtLanTa.CoM;Transport=tcp"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;newparam=5"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;security=on"
        ));
        assert!(eq(
            "sip:carol@chicago.com;newparam=5",
            "sip:carol@chicago.com;security=on"
        ));
        assert!(eq(
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"
        ));
        assert!(eq(
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x"
        ));
    }

    #[test]
    fn rfc3261_different_examples() {
        // Different user names (case).
        assert!(!eq(
            "SIP:ALICE@AtLanTa.CoM;Transport=udp",
            "sip:alice@AtLanTa.CoM;Transport=UDP"
        ));
        // An absent port is not 5060.
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
        // Different transports.
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com;transport=udp"
        ));
        // Different port and transport.
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com:6000;transport=tcp"
        ));
        // Different header component.
        assert!(!eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com?Subject=next%20meeting"
        ));
        // A host name is not the address it resolves to.
        assert!(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
        // Parameter in both with different values.
        assert!(!eq(
            "sip:carol@chicago.com;security=on",
            "sip:carol@chicago.com;security=off"
        ));
    }

    #[test]
    fn other_differences() {
        assert!(!eq("sip:a@h.example.com", "sips:a@h.example.com"));
        assert!(!eq("sip:h.example.com", "sip:a@h.example.com"));
        assert!(!eq("sip:a:x@h.example.com", "sip:a:y@h.example.com"));
        assert!(!eq("sip:a@h.example.com;lr", "sip:a@h.example.com;lr=1"));
        assert!(!eq(
            "sip:a@h.example.com;maddr=192.0.2.1",
            "sip:a@h.example.com"
        ));
        assert!(!eq("sip:a@[::1]", "sip:a@127.0.0.1"));
        assert!(eq("sip:a@[::1]:5060", "sip:a@[0:0::1]:5060"));
        assert!(!eq("sip:a@h.example.com", "tel:+15550100"));
        assert!(eq("TEL:+15550100", "tel:+1555%30100"));
        assert!(!eq("tel:+15550100", "tel:+15550101"));
    }

    #[test]
    fn websocket_contacts() {
        assert!(eq(
            "sip:8q6ieu2k@h3v2b2s7q9ed.invalid;transport=ws",
            "sip:8q6ieu2k@H3V2B2S7Q9ED.invalid;transport=WS;ob"
        ));
        assert!(!eq(
            "sip:8q6ieu2k@h3v2b2s7q9ed.invalid;transport=ws",
            "sip:8q6ieu2k@h3v2b2s7q9ed.invalid"
        ));
    }
}
