//! Dialogs (RFC 3261 §12): the state two user agents share for the life of
//! a call, and how in-dialog requests are built and checked.
//!
//! A [`Dialog`] is plain data with no clock: it is created from the request
//! and response that establish it, builds in-dialog requests ([`Dialog::new_request`],
//! [`Dialog::ack_for_2xx`]), and checks and absorbs in-dialog requests and
//! responses (CSeq order, target refresh). Its lifecycle ([`DialogState`]) is
//! one enum; what an incoming in-dialog request means
//! ([`InDialogRequest`]) is another, so the two never mix.

use std::fmt;

use crate::message::{CSeq, HeaderName, Method, NameAddr, Request, Response, Uri};

/// Identifies a dialog: Call-ID plus the local and remote tags (§12).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// The Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// The dialog an incoming request belongs to, seen from us as UAS of
    /// that request: our tag is in To, the peer's in From. `None` when a tag
    /// or the Call-ID is missing (the request is outside any dialog).
    pub fn for_incoming_request(req: &Request) -> Option<Self> {
        Some(Self {
            call_id: req.headers.call_id()?.to_owned(),
            local_tag: req.headers.to_tag()?,
            remote_tag: req.headers.from_tag()?,
        })
    }

    /// The dialog a response to one of our requests belongs to: our tag is
    /// in From, the peer's in To.
    pub fn for_response(resp: &Response) -> Option<Self> {
        Some(Self {
            call_id: resp.headers.call_id()?.to_owned(),
            local_tag: resp.headers.from_tag()?,
            remote_tag: resp.headers.to_tag()?,
        })
    }
}

impl fmt::Display for DialogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{};l={};r={}",
            self.call_id, self.local_tag, self.remote_tag
        )
    }
}

/// Which side created the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogRole {
    /// We sent the INVITE.
    Uac,
    /// We received the INVITE.
    Uas,
}

/// The lifecycle of a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response with a To tag.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
    /// Ended by BYE, a failure of the INVITE, or a timeout.
    Terminated,
}

/// What an in-dialog request asks for. Kept apart from [`DialogState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InDialogRequest {
    /// A re-INVITE: new session description (hold, resume, codec change).
    ReInvite,
    /// The ACK for our 2xx.
    Ack,
    /// Ends the dialog.
    Bye,
    /// UPDATE (RFC 3311).
    Update,
    /// INFO (RFC 6086), e.g. DTMF relay.
    Info,
    /// OPTIONS inside a dialog (keepalive).
    Options,
    /// Anything else.
    Other,
}

impl InDialogRequest {
    /// Classifies a request by method.
    pub fn of(method: &Method) -> Self {
        match method {
            Method::Invite => Self::ReInvite,
            Method::Ack => Self::Ack,
            Method::Bye => Self::Bye,
            Method::Update => Self::Update,
            Method::Info => Self::Info,
            Method::Options => Self::Options,
            _ => Self::Other,
        }
    }
}

/// Why a dialog could not be created or a message does not fit it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    /// A header the dialog needs is missing or unparsable.
    #[error("missing or malformed {0} header")]
    MissingHeader(&'static str),
    /// The response carries no To tag, so it cannot create a dialog.
    #[error("response has no To tag")]
    NoToTag,
    /// An in-dialog request with a CSeq lower than one already seen
    /// (RFC 3261 §12.2.2: answer 500).
    #[error("CSeq {got} is lower than {last}")]
    CSeqOutOfOrder {
        /// The CSeq received.
        got: u32,
        /// The highest CSeq seen before.
        last: u32,
    },
    /// The dialog is over.
    #[error("dialog terminated")]
    Terminated,
}

/// The state of one dialog (RFC 3261 §12.1).
#[derive(Debug, Clone)]
pub struct Dialog {
    id: DialogId,
    role: DialogRole,
    state: DialogState,
    local_seq: u32,
    remote_seq: Option<u32>,
    /// Our From (in requests we send), with our tag.
    local: NameAddr,
    /// Their address, with their tag.
    remote: NameAddr,
    remote_target: Uri,
    route_set: Vec<NameAddr>,
    local_contact: NameAddr,
    /// CSeq of the INVITE that created (or last re-negotiated) the dialog,
    /// so an ACK for a 2xx carries it.
    invite_seq: u32,
}

fn cseq_of(headers: &crate::message::Headers) -> Result<CSeq, DialogError> {
    headers.cseq().ok_or(DialogError::MissingHeader("CSeq"))
}

fn call_id_of(headers: &crate::message::Headers) -> Result<String, DialogError> {
    headers
        .call_id()
        .map(str::to_owned)
        .ok_or(DialogError::MissingHeader("Call-ID"))
}

impl Dialog {
    /// The dialog a UAC gets from a response with a To tag to its INVITE
    /// (§12.1.2): early for 1xx, confirmed for 2xx.
    pub fn new_uac(
        invite: &Request,
        response: &Response,
        local_contact: NameAddr,
    ) -> Result<Self, DialogError> {
        let call_id = call_id_of(&invite.headers)?;
        let local = invite
            .headers
            .from_addr()
            .ok_or(DialogError::MissingHeader("From"))?;
        let local_tag = local
            .tag()
            .ok_or(DialogError::MissingHeader("From tag"))?
            .to_owned();
        let remote = response
            .headers
            .to_addr()
            .ok_or(DialogError::MissingHeader("To"))?;
        let remote_tag = remote.tag().ok_or(DialogError::NoToTag)?.to_owned();
        let remote_target = response
            .headers
            .contacts()
            .ok()
            .and_then(|c| c.into_iter().next())
            .map(|c| c.uri)
            // A 1xx may come without Contact; fall back to the request-URI
            // until a later response gives the real target.
            .unwrap_or_else(|| invite.uri.clone());
        let mut route_set = response
            .headers
            .record_routes()
            .map_err(|_| DialogError::MissingHeader("Record-Route"))?;
        route_set.reverse();
        let seq = cseq_of(&invite.headers)?.seq;
        Ok(Self {
            id: DialogId {
                call_id,
                local_tag,
                remote_tag,
            },
            role: DialogRole::Uac,
            state: if response.status.is_success() {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local_seq: seq,
            remote_seq: None,
            local,
            remote,
            remote_target,
            route_set,
            local_contact,
            invite_seq: seq,
        })
    }

    /// The dialog a UAS gets when it answers an INVITE with a To tag
    /// (§12.1.1). `local_tag` is the tag put into the response's To.
    /// The dialog starts early; [`Dialog::confirm`] once a 2xx is sent.
    pub fn new_uas(
        invite: &Request,
        local_tag: &str,
        local_contact: NameAddr,
        initial_local_seq: u32,
    ) -> Result<Self, DialogError> {
        let call_id = call_id_of(&invite.headers)?;
        let remote = invite
            .headers
            .from_addr()
            .ok_or(DialogError::MissingHeader("From"))?;
        // An RFC 2543 peer may send no From tag; its dialog has an empty one.
        let remote_tag = remote.tag().unwrap_or_default().to_owned();
        let mut local = invite
            .headers
            .to_addr()
            .ok_or(DialogError::MissingHeader("To"))?;
        local.params.set("tag", Some(local_tag));
        let remote_target = invite
            .headers
            .contacts()
            .ok()
            .and_then(|c| c.into_iter().next())
            .ok_or(DialogError::MissingHeader("Contact"))?
            .uri;
        let route_set = invite
            .headers
            .record_routes()
            .map_err(|_| DialogError::MissingHeader("Record-Route"))?;
        let seq = cseq_of(&invite.headers)?.seq;
        Ok(Self {
            id: DialogId {
                call_id,
                local_tag: local_tag.to_owned(),
                remote_tag,
            },
            role: DialogRole::Uas,
            state: DialogState::Early,
            local_seq: initial_local_seq,
            remote_seq: Some(seq),
            local,
            remote,
            remote_target,
            route_set,
            local_contact,
            invite_seq: seq,
        })
    }

    /// The dialog's id.
    pub fn id(&self) -> &DialogId {
        &self.id
    }

    /// Who created it.
    pub fn role(&self) -> DialogRole {
        self.role
    }

    /// Its lifecycle state.
    pub fn state(&self) -> DialogState {
        self.state
    }

    /// Where in-dialog requests are addressed.
    pub fn remote_target(&self) -> &Uri {
        &self.remote_target
    }

    /// The route set, first hop first.
    pub fn route_set(&self) -> &[NameAddr] {
        &self.route_set
    }

    /// The URI that decides where an in-dialog request is sent: the first
    /// route if there is a route set, else the remote target.
    pub fn next_hop(&self) -> &Uri {
        self.route_set
            .first()
            .map_or(&self.remote_target, |r| &r.uri)
    }

    /// Early -> Confirmed (a 2xx was sent or received).
    pub fn confirm(&mut self) {
        if self.state == DialogState::Early {
            self.state = DialogState::Confirmed;
        }
    }

    /// Ends the dialog.
    pub fn terminate(&mut self) {
        self.state = DialogState::Terminated;
    }

    /// The CSeq number of the INVITE whose 2xx an ACK acknowledges.
    pub fn invite_seq(&self) -> u32 {
        self.invite_seq
    }

    /// Builds an in-dialog request (§12.2.1.1): request-URI and Route from
    /// the route set and remote target, From/To with tags, Call-ID, the next
    /// local CSeq (not for ACK or CANCEL), Max-Forwards and, for target
    /// refresh requests, our Contact. No Via: the transaction layer adds it.
    pub fn new_request(&mut self, method: Method) -> Request {
        if !matches!(method, Method::Ack | Method::Cancel) {
            self.local_seq = self.local_seq.wrapping_add(1);
        }
        if method == Method::Invite {
            self.invite_seq = self.local_seq;
        }
        let seq = if method == Method::Ack {
            self.invite_seq
        } else {
            self.local_seq
        };
        self.build(method, seq)
    }

    /// The ACK for a 2xx to the INVITE with CSeq number `invite_seq` (§13.2.2.4).
    pub fn ack_for_2xx(&self, invite_seq: u32) -> Request {
        self.build(Method::Ack, invite_seq)
    }

    fn build(&self, method: Method, seq: u32) -> Request {
        let loose = self
            .route_set
            .first()
            .is_none_or(|r| r.uri.as_sip().is_some_and(|u| u.params.contains("lr")));
        let (uri, routes): (Uri, Vec<NameAddr>) = if loose {
            (self.remote_target.clone(), self.route_set.clone())
        } else {
            // Strict routing (RFC 2543 peers): the first route becomes the
            // request-URI, the remote target goes last in Route.
            let mut first = self.route_set[0].uri.clone();
            if let Uri::Sip(u) = &mut first {
                u.headers.clear();
                u.params.remove("method");
            }
            let mut rest: Vec<NameAddr> = self.route_set[1..].to_vec();
            rest.push(NameAddr {
                display_name: None,
                uri: self.remote_target.clone(),
                params: Default::default(),
            });
            (first, rest)
        };
        let mut req = Request::new(method.clone(), uri);
        for r in routes {
            req.headers.push_value(HeaderName::Route, r);
        }
        req.headers.push_value(HeaderName::MaxForwards, 70);
        req.headers.push_value(HeaderName::From, &self.local);
        req.headers.push_value(HeaderName::To, &self.remote);
        req.headers.push_value(HeaderName::CallId, &self.id.call_id);
        req.headers.push_value(
            HeaderName::CSeq,
            CSeq {
                seq,
                method: method.clone(),
            },
        );
        if matches!(method, Method::Invite | Method::Update) {
            req.headers
                .push_value(HeaderName::Contact, &self.local_contact);
        }
        req
    }

    /// Checks and absorbs an in-dialog request from the peer (§12.2.2):
    /// CSeq must not go backwards (except ACK and CANCEL, which reuse the
    /// INVITE's); a re-INVITE or UPDATE with Contact refreshes the target.
    pub fn handle_request(&mut self, req: &Request) -> Result<InDialogRequest, DialogError> {
        if self.state == DialogState::Terminated && req.method != Method::Ack {
            return Err(DialogError::Terminated);
        }
        let kind = InDialogRequest::of(&req.method);
        let cseq = cseq_of(&req.headers)?;
        if !matches!(req.method, Method::Ack | Method::Cancel) {
            if let Some(last) = self.remote_seq
                && cseq.seq <= last
            {
                return Err(DialogError::CSeqOutOfOrder {
                    got: cseq.seq,
                    last,
                });
            }
            self.remote_seq = Some(cseq.seq);
        }
        if matches!(kind, InDialogRequest::ReInvite | InDialogRequest::Update)
            && let Some(c) = req
                .headers
                .contacts()
                .ok()
                .and_then(|c| c.into_iter().next())
        {
            self.remote_target = c.uri;
        }
        if kind == InDialogRequest::Bye {
            self.state = DialogState::Terminated;
        }
        Ok(kind)
    }

    /// Absorbs a response to one of our requests in this dialog: a 2xx to
    /// an INVITE or UPDATE refreshes the remote target (§12.2.1.2) and
    /// confirms an early dialog.
    pub fn handle_response(&mut self, resp: &Response) {
        let Some(cseq) = resp.headers.cseq() else {
            return;
        };
        if resp.status.is_success() && matches!(cseq.method, Method::Invite | Method::Update) {
            if let Some(c) = resp
                .headers
                .contacts()
                .ok()
                .and_then(|c| c.into_iter().next())
            {
                self.remote_target = c.uri;
            }
            if cseq.method == Method::Invite && self.state == DialogState::Early {
                // The 2xx that confirms the dialog fixes the route set.
                if let Ok(mut rr) = resp.headers.record_routes() {
                    rr.reverse();
                    self.route_set = rr;
                }
            }
            self.confirm();
        }
    }
}
