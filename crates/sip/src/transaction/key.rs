//! Transaction identifiers: the Via branch and the key that matches messages
//! to transactions (RFC 3261 §17.1.3, §17.2.3).

use std::fmt;

use crate::message::{Method, Request, Response};

use super::util::{host_text, via_branch, via_port};

/// A Via `branch` parameter value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Branch(String);

impl Branch {
    /// The RFC 3261 magic cookie that starts every branch this specification
    /// (and not RFC 2543) generated (§8.1.1.7).
    pub const MAGIC_COOKIE: &'static str = "z9hG4bK";

    /// A fresh branch: the magic cookie followed by 96 random bits in hex.
    pub fn generate() -> Self {
        let a: u64 = rand::random();
        let b: u32 = rand::random();
        Self(format!("{}{a:016x}{b:08x}", Self::MAGIC_COOKIE))
    }

    /// A branch as received or chosen by the caller.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The text of the branch.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the branch can identify a transaction on its own: it starts
    /// with the magic cookie and has something after it. The bare cookie
    /// (RFC 4475 `badbranch`) does not count.
    pub fn is_rfc3261(&self) -> bool {
        self.0.len() > Self::MAGIC_COOKIE.len() && self.0.starts_with(Self::MAGIC_COOKIE)
    }
}

impl fmt::Display for Branch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which side of the transaction we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    Client,
    Server,
}

/// The RFC 2543 matching fields (§17.2.3, for requests whose top Via has no
/// RFC 3261 branch).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct LegacyKey {
    request_uri: String,
    from_tag: Option<String>,
    to_tag: Option<String>,
    call_id: String,
    cseq: u32,
    top_via: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyId {
    /// RFC 3261: the branch, plus the sent-by for server transactions.
    Branch {
        branch: Branch,
        sent_by: Option<(String, u16)>,
    },
    /// RFC 2543 fallback.
    Legacy(Box<LegacyKey>),
}

/// Identifies one transaction.
///
/// - Client transactions (§17.1.3): the top Via branch and the CSeq method.
/// - Server transactions (§17.2.3), when the top Via branch carries the magic
///   cookie: the branch, the sent-by host:port and the method, with ACK
///   mapped to INVITE (an ACK for a non-2xx response belongs to the INVITE
///   transaction).
/// - Server transactions otherwise (RFC 2543 peers, and the bare cookie): the
///   Request-URI, From tag, To tag, Call-ID, CSeq number, top Via and method
///   (ACK mapped to INVITE).
///
/// A CANCEL and the INVITE it cancels share the branch but are different
/// transactions: the method tells them apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionKey {
    side: Side,
    method: Method,
    id: KeyId,
}

impl TransactionKey {
    /// The key of a client transaction.
    pub fn client(branch: Branch, method: Method) -> Self {
        Self {
            side: Side::Client,
            method: normalise(method),
            id: KeyId::Branch {
                branch,
                sent_by: None,
            },
        }
    }

    /// The client transaction key a response belongs to: its top Via branch
    /// and CSeq method. `None` when either is missing.
    pub fn for_response(resp: &Response) -> Option<Self> {
        let via = resp.headers.top_via()?;
        let branch = via_branch(&via)?;
        let cseq = resp.headers.cseq()?;
        Some(Self::client(Branch::new(branch), cseq.method))
    }

    /// The client transaction key of a request we send: its top Via branch
    /// and method. `None` without a top Via branch.
    pub fn for_outgoing_request(req: &Request) -> Option<Self> {
        let via = req.headers.top_via()?;
        let branch = via_branch(&via)?;
        Some(Self::client(Branch::new(branch), req.method.clone()))
    }

    /// The server transaction key of a received request. `None` when the
    /// request lacks a top Via (or, for the RFC 2543 fallback, a Call-ID or
    /// CSeq).
    pub fn for_request(req: &Request) -> Option<Self> {
        let via = req.headers.top_via()?;
        let method = normalise(req.method.clone());
        if let Some(branch) = via_branch(&via).map(Branch::new)
            && branch.is_rfc3261()
        {
            let sent_by = (host_text(&via.host, true), via_port(&via));
            return Some(Self {
                side: Side::Server,
                method,
                id: KeyId::Branch {
                    branch,
                    sent_by: Some(sent_by),
                },
            });
        }
        let legacy = LegacyKey {
            request_uri: req.uri.to_string(),
            from_tag: req.headers.from_tag(),
            to_tag: req.headers.to_tag(),
            call_id: req.headers.call_id()?.trim().to_owned(),
            cseq: req.headers.cseq()?.seq,
            top_via: legacy_via_text(&via),
        };
        Some(Self {
            side: Side::Server,
            method,
            id: KeyId::Legacy(Box::new(legacy)),
        })
    }

    /// Whether this is a client transaction.
    pub fn is_client(&self) -> bool {
        self.side == Side::Client
    }

    /// Whether this is a server transaction.
    pub fn is_server(&self) -> bool {
        self.side == Side::Server
    }

    /// The method (ACK is reported as INVITE).
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The branch, unless the key is an RFC 2543 fallback key.
    pub fn branch(&self) -> Option<&Branch> {
        match &self.id {
            KeyId::Branch { branch, .. } => Some(branch),
            KeyId::Legacy(_) => None,
        }
    }

    /// Whether this is an RFC 2543 fallback key.
    pub fn is_rfc2543(&self) -> bool {
        matches!(self.id, KeyId::Legacy(_))
    }

    /// The same key with another method: the INVITE a CANCEL cancels (§9.2),
    /// the CANCEL of an INVITE.
    pub fn with_method(&self, method: Method) -> Self {
        Self {
            side: self.side,
            method: normalise(method),
            id: self.id.clone(),
        }
    }

    /// For an RFC 2543 key: the same key without its To tag. An ACK carries
    /// the To tag of the response it acknowledges while the INVITE had none.
    pub(crate) fn without_to_tag(&self) -> Option<Self> {
        match &self.id {
            KeyId::Legacy(l) if l.to_tag.is_some() => {
                let mut l = l.clone();
                l.to_tag = None;
                Some(Self {
                    side: self.side,
                    method: self.method.clone(),
                    id: KeyId::Legacy(l),
                })
            }
            _ => None,
        }
    }
}

impl fmt::Display for TransactionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = match self.side {
            Side::Client => "client",
            Side::Server => "server",
        };
        match &self.id {
            KeyId::Branch { branch, sent_by } => {
                write!(f, "{side}/{}/{branch}", self.method)?;
                if let Some((h, p)) = sent_by {
                    write!(f, "@{h}:{p}")?;
                }
                Ok(())
            }
            KeyId::Legacy(l) => {
                write!(f, "{side}/{}/rfc2543/{}/{}", self.method, l.call_id, l.cseq)
            }
        }
    }
}

/// ACK belongs to the INVITE transaction.
fn normalise(method: Method) -> Method {
    match method {
        Method::Ack => Method::Invite,
        m => m,
    }
}

/// A comparable text for an RFC 2543 top Via: transport, sent-by and every
/// parameter except the ones a server adds (`received`, `rport` value).
fn legacy_via_text(via: &crate::message::Via) -> String {
    let mut s = format!(
        "{:?} {}:{}",
        via.transport,
        host_text(&via.host, true),
        via_port(via)
    );
    for p in &via.params.0 {
        if p.name.eq_ignore_ascii_case("received") || p.name.eq_ignore_ascii_case("rport") {
            continue;
        }
        s.push(';');
        s.push_str(&p.name.to_ascii_lowercase());
        if let Some(v) = &p.value {
            s.push('=');
            s.push_str(v);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_branch_has_cookie_and_is_unique() {
        let a = Branch::generate();
        let b = Branch::generate();
        assert!(a.is_rfc3261());
        assert!(a.as_str().starts_with("z9hG4bK"));
        assert_eq!(a.as_str().len(), 7 + 24);
        assert_ne!(a, b);
    }

    #[test]
    fn bare_cookie_is_not_rfc3261() {
        assert!(!Branch::new("z9hG4bK").is_rfc3261());
        assert!(!Branch::new("abc123").is_rfc3261());
        assert!(!Branch::new("").is_rfc3261());
        assert!(Branch::new("z9hG4bKx").is_rfc3261());
    }

    #[test]
    fn cancel_and_invite_keys_differ_ack_maps_to_invite() {
        let b = Branch::new("z9hG4bK1");
        let inv = TransactionKey::client(b.clone(), Method::Invite);
        let cancel = TransactionKey::client(b.clone(), Method::Cancel);
        let ack = TransactionKey::client(b, Method::Ack);
        assert_ne!(inv, cancel);
        assert_eq!(inv, ack);
        assert_eq!(cancel.with_method(Method::Invite), inv);
        assert!(inv.is_client());
        assert_eq!(inv.method(), &Method::Invite);
    }
}
