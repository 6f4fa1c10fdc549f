//! One call: leg A (the caller, we are its UAS) and leg B (we are its UAC),
//! and everything that maps between them.

use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

use tandem_sip::auth::{
    Account, Challenge, ChallengeKind, DigestClient, UserSecret, authorize_request,
    response_challenges,
};
use tandem_sip::dialog::{Dialog, DialogError, DialogState, InDialogRequest};
use tandem_sip::message::{
    CSeq, HeaderName, Host, Message, Method, NameAddr, Params, Request, Response, SipUri,
    StatusCode, Uri,
};
use tandem_sip::register::{Registration, RegistrationConfig};
use tandem_sip::sdp::{Negotiated, Sdp};
use tandem_sip::transaction::TransactionKey;
use tandem_sip::transport::{Peer, TransportKind};
use tracing::{debug, info, info_span, warn};

use super::sdp::{self as plan, LegOrigin};
use super::{Controller, LocalAddrs, Purpose};
use crate::config::{Trunk, TrunkTransport};
use crate::logging::Pii;
use crate::media::{MediaEngine, MediaSession, Side};

/// A call's number, unique for the life of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallNo(pub u64);

impl fmt::Display for CallNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A random tag for From/To (RFC 3261 §19.3: at least 32 bits of randomness).
pub fn new_tag() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// A response to `req` with our tag when it needs one.
pub fn response(req: &Request, code: u16, reason: Option<&str>) -> Response {
    let status = StatusCode::new(code).unwrap_or(StatusCode::SERVER_ERROR_500);
    let tag = (code > 100).then(new_tag);
    let mut resp = Response::for_request(req, status, tag.as_deref());
    if let Some(r) = reason {
        resp.reason = r.to_owned();
    }
    resp
}

/// The peer a trunk is reached at.
pub fn trunk_peer(trunk: &Trunk, addr: SocketAddr) -> Peer {
    Peer {
        transport: match trunk.transport {
            TrunkTransport::Udp => TransportKind::Udp,
            TrunkTransport::Tcp => TransportKind::Tcp,
        },
        addr,
        conn: None,
    }
}

/// The outbound registration of a trunk, if it has one.
pub fn registration_for(trunk: &Trunk, local: &LocalAddrs, now: Instant) -> Option<Registration> {
    let reg = trunk.register.as_ref()?;
    let peer = trunk_peer(trunk, reg.registrar);
    let me = local.for_dest(peer.transport, peer.addr)?;
    let registrar = sip_uri(
        None,
        Host::from(reg.registrar.ip()),
        Some(reg.registrar.port()),
        peer.transport,
    );
    let aor = sip_uri(
        Some(&reg.user),
        host_of(&reg.domain),
        None,
        TransportKind::Udp,
    );
    let contact = sip_uri(
        Some(&reg.user),
        Host::from(me.ip()),
        Some(me.port()),
        peer.transport,
    );
    let mut config = RegistrationConfig::new(registrar, aor, contact);
    if let Some(c) = &trunk.outbound_auth {
        config = config.with_account(Account::new(&c.username, &c.password));
    }
    config.expires = reg.expires;
    Some(Registration::new(config, now))
}

/// A host as written in configuration (`198.51.100.7`, `[::1]`, a name).
fn host_of(s: &str) -> Host {
    s.parse().unwrap_or_else(|_| Host::Domain(s.to_owned()))
}

/// `sip:[user@]host[:port]`, with `;transport=tcp|ws|wss` for TCP and WebSocket.
fn sip_uri(user: Option<&str>, host: Host, port: Option<u16>, transport: TransportKind) -> Uri {
    let mut params = Params::default();
    match transport {
        TransportKind::Tcp => params.set("transport", Some("tcp")),
        TransportKind::Ws => params.set("transport", Some("ws")),
        TransportKind::Wss => params.set("transport", Some("wss")),
        TransportKind::Udp | TransportKind::Tls => {}
    }
    Uri::Sip(SipUri {
        secure: false,
        user: user.map(str::to_owned),
        password: None,
        host,
        port,
        params,
        headers: Vec::new(),
    })
}

/// Where the call is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// INVITE sent toward B, no final answer yet.
    Outgoing,
    /// B answered and A got our 2xx.
    Connected,
    /// Waiting for B's final response to our CANCEL before we forget the call.
    Cancelling,
    /// Done; the controller forgets the call.
    Over,
}

/// The state of one leg.
struct Leg {
    dialog: Option<Dialog>,
    /// Where requests to this leg go.
    peer: Peer,
    /// Our o= line on this leg.
    origin: LegOrigin,
    /// The last session description we sent on this leg.
    local_sdp: Option<Sdp>,
    /// What was negotiated on this leg.
    negotiated: Option<Negotiated>,
}

/// A re-INVITE (or other request) from one leg relayed to the other.
struct Relay {
    from: Side,
    server_key: TransactionKey,
    request: Request,
    client_key: Option<TransactionKey>,
    /// The offer we sent to the other leg (re-INVITE only).
    offer_sent: Option<Sdp>,
    /// The offer the requesting leg sent us (re-INVITE only).
    offer_received: Option<Sdp>,
    /// When to give up waiting for the other leg's final response (an
    /// INVITE client transaction in Proceeding has no timer of its own).
    deadline: Instant,
}

/// One call.
pub struct Call<S> {
    no: CallNo,
    span: tracing::Span,
    phase: Phase,
    a_key: TransactionKey,
    a_invite: Request,
    a_tag: String,
    a_final_sent: bool,
    /// A's offer from its INVITE (`None`: late offer, A answers in its ACK).
    a_offer: Option<Sdp>,
    /// The answer (or late-offer offer) we sent A in a 18x or 2xx.
    a_sdp_sent: Option<Sdp>,
    b_invite: Request,
    b_key: TransactionKey,
    b_offer: Sdp,
    b_trunk: String,
    /// The codec rules of leg A's and leg B's trunks.
    rules: [plan::LegRules; 2],
    b_auth_tries: u8,
    b_digest: DigestClient,
    /// Nonces of the trunk's challenges we answered.
    b_answered_nonces: Vec<String>,
    b_cancelled: bool,
    legs: [Leg; 2],
    media: Option<S>,
    ring_deadline: Option<Instant>,
    cancel_deadline: Option<Instant>,
    relays: Vec<Relay>,
    outcome: String,
}

impl<S: MediaSession> Call<S> {
    pub fn no(&self) -> CallNo {
        self.no
    }

    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    pub fn is_over(&self) -> bool {
        self.phase == Phase::Over
    }

    pub fn outcome(&self) -> &str {
        &self.outcome
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let relays = self.relays.iter().map(|r| r.deadline).min();
        [self.ring_deadline, self.cancel_deadline, relays]
            .into_iter()
            .flatten()
            .min()
    }

    /// A new INVITE from leg A: identify, authenticate, route, open media and
    /// send the INVITE toward B. On refusal the response is sent and `Err`
    /// returned.
    pub fn start<M: MediaEngine<Session = S>>(
        ctl: &mut Controller<M>,
        now: Instant,
        no: CallNo,
        a_key: TransactionKey,
        req: Request,
        source: Peer,
    ) -> Result<Self, ()> {
        let span = info_span!("call", no = no.0);
        let _e = span.clone().entered();
        let refuse = |ctl: &mut Controller<M>, code: u16, reason: &str| {
            info!(code, reason, "call refused");
            ctl.respond(now, &a_key, &req, code, Some(reason));
        };

        let config = ctl.config.clone();
        let Some(trunk_a) = config.trunk_for_source(source.addr) else {
            refuse(ctl, 403, "Forbidden");
            return Err(());
        };
        if let Some(creds) = &trunk_a.inbound_auth {
            let realm = creds.realm.as_deref().unwrap_or("tandem");
            let verdict = ctl.auth.verify_request(
                now_unix(),
                &req,
                realm,
                ChallengeKind::Www,
                |user, _realm, _alg| {
                    (user == creds.username).then(|| UserSecret::Password(creds.password.clone()))
                },
            );
            if let Err(failure) = verdict {
                debug!(trunk = %trunk_a.name, %failure, "challenging INVITE");
                let resp = ctl.auth.challenge_response(
                    now_unix(),
                    &req,
                    realm,
                    ChallengeKind::Www,
                    failure.is_stale(),
                    Some(&new_tag()),
                );
                ctl.send_response(now, &a_key, resp);
                return Err(());
            }
        }

        let dialled = match &req.uri {
            Uri::Sip(u) => u
                .user_unescaped()
                .map(|c| c.into_owned())
                .unwrap_or_default(),
            Uri::Absolute(a) if a.scheme.eq_ignore_ascii_case("tel") => {
                a.rest.split(';').next().unwrap_or_default().to_owned()
            }
            Uri::Absolute(_) => String::new(),
        };
        let dest = match config.numbers.route(&dialled) {
            Ok(d) => d.clone(),
            Err(e) => {
                info!(dialled = %Pii(&dialled), error = %e, "no route");
                refuse(ctl, 404, "Not Found");
                return Err(());
            }
        };
        let (b_name, to) = match dest {
            tandem_routing::Destination::Forward { trunk, to } => (trunk, to),
            tandem_routing::Destination::Agent { .. } => {
                // Agent routing (forking to registrations) is wired later.
                refuse(ctl, 480, "Agent Routing Not Wired Yet");
                return Err(());
            }
        };
        let Some(trunk_b) = config.trunk(&b_name) else {
            refuse(ctl, 500, "Trunk Missing");
            return Err(());
        };
        let Some(b_addr) = trunk_b.address else {
            refuse(ctl, 500, "Trunk Has No Address");
            return Err(());
        };
        let b_peer = trunk_peer(trunk_b, b_addr);

        let a_offer = match plan::body_sdp(&req.headers, &req.body) {
            Ok(o) => o,
            Err(e) => {
                info!(error = %e, "bad SDP offer");
                refuse(ctl, 400, "Bad SDP");
                return Err(());
            }
        };
        let Some(a_contact) = ctl.local.for_dest(source.transport, source.addr) else {
            refuse(ctl, 500, "No Local Address");
            return Err(());
        };
        let Some(b_local) = ctl.local.for_dest(b_peer.transport, b_peer.addr) else {
            refuse(ctl, 503, "No Route To Trunk");
            return Err(());
        };

        let profile = |t: &crate::config::Trunk| crate::media::LegProfile {
            opus: t.opus,
            inband_dtmf: t.inband_dtmf,
        };
        let rules = [plan::LegRules::of(trunk_a), plan::LegRules::of(trunk_b)];
        let media = match ctl.media.open(no.0, [profile(trunk_a), profile(trunk_b)]) {
            Ok(m) => m,
            Err(e) => {
                warn!(error = %e, "cannot open media");
                refuse(ctl, 503, "Media Unavailable");
                return Err(());
            }
        };
        let mut legs = [
            Leg {
                dialog: None,
                peer: source,
                origin: plan::origin(media.local_rtp(Side::A)),
                local_sdp: None,
                negotiated: None,
            },
            Leg {
                dialog: None,
                peer: b_peer,
                origin: plan::origin(media.local_rtp(Side::B)),
                local_sdp: None,
                negotiated: None,
            },
        ];
        let b_offer = match plan::offer_for_b(
            a_offer.as_ref(),
            &rules[0],
            &rules[1],
            media.local_rtp(Side::B),
            &mut legs[1].origin,
        ) {
            Ok(o) => o,
            Err(e) => {
                info!(error = %e, "no codec in common");
                refuse(ctl, 488, "Not Acceptable Here");
                return Err(());
            }
        };
        legs[1].local_sdp = Some(b_offer.clone());

        // Leg A's dialog exists from our side as soon as we pick its tag.
        let a_tag = new_tag();
        let a_contact_uri = contact(a_contact, source.transport);
        let a_dialog =
            match Dialog::new_uas(&req, &a_tag, a_contact_uri, rand::random::<u32>() >> 1) {
                Ok(d) => d,
                Err(e) => {
                    info!(error = %e, "INVITE cannot create a dialog");
                    refuse(ctl, 400, "Missing Contact");
                    return Err(());
                }
            };

        // The INVITE toward B.
        let caller = req.headers.from_addr();
        let caller_user = caller
            .as_ref()
            .and_then(|f| f.uri.as_sip().and_then(|u| u.user.clone()))
            .unwrap_or_else(|| "anonymous".to_owned());
        let b_uri = sip_uri(
            Some(to.as_str()),
            host_of(&trunk_b.host),
            Some(b_addr.port()),
            b_peer.transport,
        );
        let mut from = NameAddr {
            display_name: caller.and_then(|c| c.display_name),
            uri: sip_uri(
                Some(&caller_user),
                Host::from(b_local.ip()),
                None,
                TransportKind::Udp,
            ),
            params: Params::default(),
        };
        from.params.set("tag", Some(&new_tag()));
        let to_addr = NameAddr {
            display_name: None,
            uri: sip_uri(
                Some(to.as_str()),
                host_of(&trunk_b.host),
                Some(b_addr.port()),
                TransportKind::Udp,
            ),
            params: Params::default(),
        };
        let max_forwards = req
            .headers
            .max_forwards()
            .unwrap_or(70)
            .saturating_sub(1)
            .min(70);
        let mut invite = Request::new(Method::Invite, b_uri);
        invite
            .headers
            .push_value(HeaderName::MaxForwards, max_forwards);
        invite.headers.push_value(HeaderName::From, &from);
        invite.headers.push_value(HeaderName::To, &to_addr);
        invite.headers.push_value(
            HeaderName::CallId,
            format!("{:032x}@tandem", rand::random::<u128>()),
        );
        invite.headers.push_value(
            HeaderName::CSeq,
            CSeq {
                seq: 1,
                method: Method::Invite,
            },
        );
        invite
            .headers
            .push_value(HeaderName::Contact, contact(b_local, b_peer.transport));
        invite.headers.push_value(HeaderName::Allow, super::ALLOW);
        invite
            .headers
            .push_value(HeaderName::UserAgent, &config.sip.user_agent);
        invite
            .headers
            .push_value(HeaderName::ContentType, "application/sdp");
        invite.body = b_offer.to_bytes();

        let b_key = match ctl.layer.send_request(now, invite.clone(), b_peer) {
            Ok(k) => k,
            Err(e) => {
                warn!(error = %e, "cannot send INVITE to trunk");
                refuse(ctl, 503, "Trunk Unreachable");
                return Err(());
            }
        };
        ctl.by_client_tx
            .insert(b_key.clone(), (no, Side::B, Purpose::Invite));
        ctl.by_dialog.insert(a_dialog.id().clone(), (no, Side::A));
        legs[0].dialog = Some(a_dialog);
        // Tell A we are working on it, so it stops retransmitting.
        ctl.respond(now, &a_key, &req, 100, None);
        ctl.drain_layer(now);

        info!(
            from_trunk = %trunk_a.name,
            to_trunk = %trunk_b.name,
            dialled = %Pii(&dialled),
            to = %Pii(&to),
            "call routed"
        );
        Ok(Self {
            no,
            span: span.clone(),
            phase: Phase::Outgoing,
            a_key,
            a_invite: req,
            a_tag,
            a_final_sent: false,
            a_offer,
            a_sdp_sent: None,
            b_invite: invite,
            b_key,
            b_offer,
            b_trunk: b_name,
            rules,
            b_auth_tries: 0,
            b_digest: DigestClient::new(),
            b_answered_nonces: Vec::new(),
            b_cancelled: false,
            legs,
            media: Some(media),
            ring_deadline: Some(now + config.sip.no_answer_timeout),
            cancel_deadline: None,
            relays: Vec::new(),
            outcome: String::new(),
        })
    }

    fn finish(&mut self, outcome: impl Into<String>) {
        self.outcome = outcome.into();
        self.phase = Phase::Over;
        self.ring_deadline = None;
        self.cancel_deadline = None;
        // Dropping the session returns its ports.
        self.media = None;
    }

    /// A response to leg A's INVITE, with our tag and Contact.
    fn a_response(&self, code: u16, reason: Option<&str>, local: Option<SocketAddr>) -> Response {
        let status = StatusCode::new(code).unwrap_or(StatusCode::SERVER_ERROR_500);
        let mut resp = Response::for_request(
            &self.a_invite,
            status,
            (code > 100).then_some(self.a_tag.as_str()),
        );
        if let Some(r) = reason {
            resp.reason = r.to_owned();
        }
        if let Some(local) = local
            && code < 300
            && code > 100
        {
            resp.headers.push_value(
                HeaderName::Contact,
                contact(local, self.legs[0].peer.transport),
            );
        }
        resp
    }

    fn a_local<M: MediaEngine<Session = S>>(&self, ctl: &Controller<M>) -> Option<SocketAddr> {
        ctl.local
            .for_dest(self.legs[0].peer.transport, self.legs[0].peer.addr)
    }

    /// Final failure toward A while it waits.
    fn fail_a<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        code: u16,
        reason: Option<&str>,
    ) {
        if !self.a_final_sent {
            self.a_final_sent = true;
            let resp = self.a_response(code, reason, None);
            ctl.send_response(now, &self.a_key, resp);
        }
    }

    /// A response on one of our client transactions of this call.
    pub fn handle_response<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        side: Side,
        purpose: Purpose,
        key: &TransactionKey,
        resp: Response,
    ) {
        match purpose {
            Purpose::Invite => self.handle_b_invite_response(ctl, now, key, resp),
            Purpose::ReInvite | Purpose::Relay => {
                self.handle_relay_response(ctl, now, side, key, resp)
            }
            Purpose::Bye | Purpose::Register(_) => {}
        }
    }

    fn handle_b_invite_response<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        key: &TransactionKey,
        resp: Response,
    ) {
        if *key != self.b_key {
            return;
        }
        let code = resp.status.as_u16();
        if code == 100 {
            return;
        }
        if resp.status.is_provisional() {
            self.b_provisional(ctl, now, resp);
        } else if resp.status.is_success() {
            self.b_answered(ctl, now, resp);
        } else {
            self.b_failed(ctl, now, resp);
        }
    }

    fn adopt_b_dialog<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        resp: &Response,
    ) -> bool {
        let Some(remote_tag) = resp.headers.to_tag() else {
            return false;
        };
        if let Some(d) = &mut self.legs[1].dialog {
            if d.id().remote_tag == remote_tag {
                d.handle_response(resp);
                return true;
            }
            if d.state() == DialogState::Confirmed {
                return false;
            }
        }
        let local = ctl
            .local
            .for_dest(self.legs[1].peer.transport, self.legs[1].peer.addr);
        let Some(local) = local else { return false };
        match Dialog::new_uac(
            &self.b_invite,
            resp,
            contact(local, self.legs[1].peer.transport),
        ) {
            Ok(d) => {
                if let Some(old) = self.legs[1].dialog.take() {
                    ctl.by_dialog.remove(old.id());
                }
                ctl.by_dialog.insert(d.id().clone(), (self.no, Side::B));
                self.legs[1].dialog = Some(d);
                true
            }
            Err(e) => {
                debug!(error = %e, "response cannot create a dialog");
                false
            }
        }
    }

    fn b_provisional<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        resp: Response,
    ) {
        if self.b_cancelled || self.a_final_sent {
            return;
        }
        self.adopt_b_dialog(ctl, &resp);
        let code = resp.status.as_u16();
        let local = self.a_local(ctl);
        // Early media: B's 18x carries its answer.
        let mut body = None;
        if let Ok(Some(answer)) = plan::body_sdp(&resp.headers, &resp.body)
            && self.a_sdp_sent.is_none()
        {
            match self.connect_media(now, &answer) {
                Ok(sdp) => body = Some(sdp),
                Err(e) => debug!(error = %e, "early media answer unusable"),
            }
        }
        let mut out = self.a_response(code, Some(&resp.reason), local);
        if let Some(sdp) = body {
            out.headers
                .push_value(HeaderName::ContentType, "application/sdp");
            out.body = sdp.to_bytes();
        }
        debug!(code, "provisional relayed to caller");
        ctl.send_response(now, &self.a_key, out);
    }

    /// Reads B's answer, points leg B's media at it, and builds the SDP for
    /// A (an answer to A's offer, or an offer when A sent none).
    fn connect_media(&mut self, _now: Instant, b_answer: &Sdp) -> Result<Sdp, plan::PlanError> {
        let neg_b = plan::read_answer(&self.b_offer, b_answer)?;
        let media = self.media.as_mut().ok_or(plan::PlanError::NoMedia)?;
        media.set_remote(Side::B, plan::remote_media(&neg_b));
        let a_local = media.local_rtp(Side::A);
        let sdp = match &self.a_offer {
            Some(offer) => {
                let (answer, neg_a) = plan::answer_leg(
                    offer,
                    &neg_b,
                    &self.rules[0],
                    &self.rules[1],
                    None,
                    a_local,
                    &mut self.legs[0].origin,
                )?;
                media.set_remote(Side::A, plan::remote_media(&neg_a));
                self.legs[0].negotiated = Some(neg_a);
                answer
            }
            None => plan::offer_leg(
                &neg_b,
                &self.rules[0],
                &self.rules[1],
                a_local,
                &mut self.legs[0].origin,
            )?,
        };
        self.legs[1].negotiated = Some(neg_b);
        self.a_sdp_sent = Some(sdp.clone());
        self.legs[0].local_sdp = Some(sdp.clone());
        Ok(sdp)
    }

    fn b_answered<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        resp: Response,
    ) {
        let adopted = self.adopt_b_dialog(ctl, &resp);
        let same_dialog = adopted
            && self.legs[1]
                .dialog
                .as_ref()
                .is_some_and(|d| Some(d.id().remote_tag.clone()) == resp.headers.to_tag());
        if !same_dialog {
            // A second 2xx from another fork: ACK it and end that dialog.
            self.ack_and_bye_stray(ctl, now, &resp);
            return;
        }
        self.send_b_ack(ctl, now);
        if self.phase != Phase::Outgoing || self.b_cancelled || self.a_final_sent {
            if self.phase == Phase::Connected {
                return; // a retransmitted 2xx, ACKed again above
            }
            // B answered after we gave up on it (CANCEL crossed the 2xx, or
            // the caller hung up): end B's dialog.
            self.send_bye(ctl, now, Side::B);
            self.finish("answered after cancel; hung up");
            return;
        }
        self.ring_deadline = None;
        let answer = match plan::body_sdp(&resp.headers, &resp.body) {
            Ok(Some(a)) => Some(a),
            _ => None,
        };
        let a_sdp = match (&self.a_sdp_sent, answer) {
            (Some(sent), _) => Some(sent.clone()),
            (None, Some(answer)) => match self.connect_media(now, &answer) {
                Ok(s) => Some(s),
                Err(e) => {
                    warn!(error = %e, "callee's answer unusable");
                    None
                }
            },
            (None, None) => None,
        };
        let Some(a_sdp) = a_sdp else {
            self.send_bye(ctl, now, Side::B);
            self.fail_a(ctl, now, 488, Some("Not Acceptable Here"));
            self.finish("callee answer unusable");
            return;
        };
        let local = self.a_local(ctl);
        let mut ok = self.a_response(200, None, local);
        ok.headers.push_value(HeaderName::Allow, super::ALLOW);
        ok.headers
            .push_value(HeaderName::ContentType, "application/sdp");
        ok.body = a_sdp.to_bytes();
        self.a_final_sent = true;
        if let Some(d) = &mut self.legs[0].dialog {
            d.confirm();
        }
        self.phase = Phase::Connected;
        ctl.stats.calls_answered += 1;
        info!("call answered");
        ctl.send_response(now, &self.a_key, ok);
    }

    fn send_b_ack<M: MediaEngine<Session = S>>(&mut self, ctl: &mut Controller<M>, now: Instant) {
        let Some(d) = &self.legs[1].dialog else {
            return;
        };
        let mut ack = d.ack_for_2xx(d.invite_seq());
        // The ACK of the INVITE that carried the credentials carries them too.
        for name in [HeaderName::Authorization, HeaderName::ProxyAuthorization] {
            for v in self.b_invite.headers.get_all(&name) {
                ack.headers.push_value(name.clone(), v);
            }
        }
        let dest = self.next_hop(Side::B);
        if let Err(e) = ctl.layer.send_stateless(Message::Request(ack), dest) {
            warn!(error = %e, "cannot send ACK");
        }
        ctl.drain_layer(now);
    }

    fn ack_and_bye_stray<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        resp: &Response,
    ) {
        let Some(local) = ctl
            .local
            .for_dest(self.legs[1].peer.transport, self.legs[1].peer.addr)
        else {
            return;
        };
        let Ok(mut d) = Dialog::new_uac(
            &self.b_invite,
            resp,
            contact(local, self.legs[1].peer.transport),
        ) else {
            return;
        };
        let dest = resolve_target(d.next_hop(), self.legs[1].peer);
        let ack = d.ack_for_2xx(d.invite_seq());
        let _ = ctl.layer.send_stateless(Message::Request(ack), dest);
        let bye = d.new_request(Method::Bye);
        if let Ok(key) = ctl.layer.send_request(now, bye, dest) {
            ctl.by_client_tx
                .insert(key, (self.no, Side::B, Purpose::Bye));
        }
        ctl.drain_layer(now);
    }

    fn b_failed<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        resp: Response,
    ) {
        let code = resp.status.as_u16();
        if (code == 401 || code == 407)
            && !self.b_cancelled
            && self.b_auth_tries < 2
            && self.retry_with_auth(ctl, now, &resp)
        {
            return;
        }
        if self.phase == Phase::Cancelling || self.b_cancelled {
            self.finish(format!("cancelled ({code} from callee)"));
            return;
        }
        let mapped = map_failure(code);
        info!(callee = code, caller = mapped, "callee refused");
        let reason = if mapped == code {
            Some(resp.reason.as_str())
        } else {
            None
        };
        self.fail_a(ctl, now, mapped, reason);
        self.finish(format!("failed {code}"));
    }

    fn retry_with_auth<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        challenge: &Response,
    ) -> bool {
        let config = ctl.config.clone();
        let Some(creds) = config
            .trunk(&self.b_trunk)
            .and_then(|t| t.outbound_auth.clone())
        else {
            return false;
        };
        // A new challenge without stale=true for a nonce we already
        // answered means the credentials were refused (RFC 7616 §3.3):
        // sending them again cannot help.
        let nonces: Vec<(String, bool)> = response_challenges(challenge)
            .map(|(_, list)| {
                list.into_iter()
                    .filter_map(|c| match c {
                        Ok(Challenge::Digest(d)) => Some((d.nonce, d.stale)),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if nonces
            .iter()
            .any(|(n, stale)| !stale && self.b_answered_nonces.contains(n))
        {
            warn!(trunk = %self.b_trunk, "trunk refused our credentials");
            return false;
        }
        self.b_answered_nonces
            .extend(nonces.into_iter().map(|(n, _)| n));
        let mut invite = self.b_invite.clone();
        let account = Account::new(&creds.username, &creds.password);
        if let Err(e) = authorize_request(&mut invite, challenge, &account, &mut self.b_digest) {
            warn!(error = %e, "cannot answer the trunk's challenge");
            return false;
        }
        if let Some(mut cseq) = invite.headers.cseq() {
            cseq.seq += 1;
            invite.headers.set(HeaderName::CSeq, cseq);
        }
        invite.headers.remove_all(&HeaderName::Via);
        self.b_auth_tries += 1;
        match ctl
            .layer
            .send_request(now, invite.clone(), self.legs[1].peer)
        {
            Ok(k) => {
                debug!("INVITE re-sent with credentials");
                ctl.by_client_tx
                    .insert(k.clone(), (self.no, Side::B, Purpose::Invite));
                self.b_key = k;
                self.b_invite = invite;
                ctl.drain_layer(now);
                true
            }
            Err(_) => false,
        }
    }

    /// Our INVITE, BYE or relayed request got no answer, or its transport failed.
    pub fn handle_client_failure<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        side: Side,
        purpose: Purpose,
        key: &TransactionKey,
        timeout: bool,
    ) {
        match purpose {
            Purpose::Invite if *key == self.b_key => {
                if self.phase == Phase::Outgoing && !self.b_cancelled {
                    let code = if timeout { 408 } else { 503 };
                    info!(code, "callee unreachable");
                    self.fail_a(ctl, now, code, None);
                }
                self.finish(if timeout {
                    "callee timeout"
                } else {
                    "callee unreachable"
                });
            }
            Purpose::ReInvite | Purpose::Relay => {
                if let Some(i) = self
                    .relays
                    .iter()
                    .position(|r| r.client_key.as_ref() == Some(key))
                {
                    let r = self.relays.remove(i);
                    let resp = response(&r.request, 408, None);
                    ctl.send_response(now, &r.server_key, resp);
                    if purpose == Purpose::ReInvite {
                        // RFC 3261 §14.1: a re-INVITE that times out ends the dialog.
                        let _ = side;
                        self.hang_up(ctl, now, "re-INVITE timed out");
                    }
                }
            }
            _ => {}
        }
    }

    /// The caller cancelled (the layer already answered the CANCEL).
    pub fn handle_cancel<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        invite: &TransactionKey,
    ) {
        if *invite != self.a_key {
            self.cancel_relay(ctl, now, invite);
            return;
        }
        if self.a_final_sent {
            return;
        }
        info!("caller cancelled");
        self.fail_a(ctl, now, 487, None);
        self.cancel_b(ctl, now);
    }

    /// A relayed re-INVITE was cancelled by the leg that sent it (RFC 3261
    /// §9.2): CANCEL it toward the other leg and answer it 487.
    fn cancel_relay<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        server_key: &TransactionKey,
    ) {
        let Some(i) = self.relays.iter().position(|r| r.server_key == *server_key) else {
            return;
        };
        let relay = self.relays.remove(i);
        info!(from = %relay.from, "re-INVITE cancelled");
        if let Some(ck) = &relay.client_key {
            match ctl.layer.send_cancel(now, ck) {
                Ok(cancel) => {
                    ctl.by_client_tx
                        .insert(cancel, (self.no, relay.from.other(), Purpose::Bye));
                }
                Err(e) => debug!(error = %e, "CANCEL of relayed re-INVITE not sent"),
            }
        }
        let resp = self.relay_response(&relay, 487, None);
        ctl.send_response(now, &relay.server_key, resp);
    }

    /// A response on the requesting leg to a relayed request, with our tag.
    fn relay_response(&self, relay: &Relay, code: u16, reason: Option<&str>) -> Response {
        let mut out = response(&relay.request, code, reason);
        if let Some(d) = &self.legs[relay.from.index()].dialog
            && let Some(mut to) = relay.request.headers.to_addr()
        {
            to.params.set("tag", Some(&d.id().local_tag));
            out.headers.set(HeaderName::To, &to);
        }
        out
    }

    fn cancel_b<M: MediaEngine<Session = S>>(&mut self, ctl: &mut Controller<M>, now: Instant) {
        if self.b_cancelled {
            return;
        }
        self.b_cancelled = true;
        self.ring_deadline = None;
        match ctl.layer.send_cancel(now, &self.b_key) {
            Ok(key) => {
                ctl.by_client_tx
                    .insert(key, (self.no, Side::B, Purpose::Bye));
                // Keep the call until B's final response (a 2xx crossing the
                // CANCEL must still be ACKed and hung up), at most 64*T1.
                self.phase = Phase::Cancelling;
                self.cancel_deadline = Some(now + ctl.config.sip.t1 * 64);
                self.media = None;
            }
            Err(e) => {
                debug!(error = %e, "CANCEL not sent");
                self.finish("cancelled");
            }
        }
        ctl.drain_layer(now);
    }

    /// A call-level timer fired.
    pub fn handle_timeout<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
    ) {
        if self.ring_deadline.is_some_and(|t| t <= now) {
            self.ring_deadline = None;
            if self.phase == Phase::Outgoing && !self.a_final_sent {
                info!("no answer");
                self.fail_a(ctl, now, 480, Some("No Answer"));
                self.cancel_b(ctl, now);
            }
        }
        if self.cancel_deadline.is_some_and(|t| t <= now) {
            self.finish("cancelled (no final response from callee)");
        }
        let expired: Vec<TransactionKey> = self
            .relays
            .iter()
            .filter(|r| r.deadline <= now)
            .map(|r| r.server_key.clone())
            .collect();
        for key in expired {
            let Some(i) = self.relays.iter().position(|r| r.server_key == key) else {
                continue;
            };
            let relay = self.relays.remove(i);
            warn!(from = %relay.from, method = %relay.request.method, "relayed request unanswered");
            if let Some(ck) = &relay.client_key
                && relay.request.method == Method::Invite
                && let Ok(cancel) = ctl.layer.send_cancel(now, ck)
            {
                ctl.by_client_tx
                    .insert(cancel, (self.no, relay.from.other(), Purpose::Bye));
            }
            let resp = self.relay_response(&relay, 408, None);
            ctl.send_response(now, &relay.server_key, resp);
            if relay.request.method == Method::Invite {
                // RFC 3261 §14.1: a re-INVITE that times out ends the dialog.
                self.hang_up(ctl, now, "re-INVITE unanswered");
            }
        }
    }

    /// The ACK for one of our 2xx on leg `side`.
    pub fn handle_ack<M: MediaEngine<Session = S>>(
        &mut self,
        _ctl: &mut Controller<M>,
        _now: Instant,
        side: Side,
        ack: &Request,
    ) {
        if let Some(d) = &mut self.legs[side.index()].dialog {
            let _ = d.handle_request(ack);
        }
        // Late offer: A's answer arrives in the ACK.
        if side == Side::A
            && self.a_offer.is_none()
            && let (Ok(Some(answer)), Some(offer)) = (
                plan::body_sdp(&ack.headers, &ack.body),
                self.a_sdp_sent.clone(),
            )
        {
            match plan::read_answer(&offer, &answer) {
                Ok(neg) => {
                    if let Some(m) = &mut self.media {
                        m.set_remote(Side::A, plan::remote_media(&neg));
                    }
                    self.legs[0].negotiated = Some(neg);
                    self.a_offer = Some(answer);
                }
                Err(e) => warn!(error = %e, "caller's answer in ACK unusable"),
            }
        }
        // The answer to a re-INVITE without offer (session refresh) may
        // also come in an ACK; the media path does not change for it.
    }

    /// B retransmitted a 2xx after our INVITE transaction ended: ACK again.
    pub fn handle_stray_2xx<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        side: Side,
        _resp: &Response,
        _source: Peer,
    ) {
        if side == Side::B {
            self.send_b_ack(ctl, now);
        }
    }

    fn next_hop(&self, side: Side) -> Peer {
        let leg = &self.legs[side.index()];
        match &leg.dialog {
            Some(d) => resolve_target(d.next_hop(), leg.peer),
            None => leg.peer,
        }
    }

    fn send_bye<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        side: Side,
    ) {
        let dest = self.next_hop(side);
        let Some(d) = &mut self.legs[side.index()].dialog else {
            return;
        };
        if d.state() == DialogState::Terminated {
            return;
        }
        let mut bye = d.new_request(Method::Bye);
        d.terminate();
        bye.headers
            .push_value(HeaderName::UserAgent, &ctl.config.sip.user_agent);
        match ctl.layer.send_request(now, bye, dest) {
            Ok(key) => {
                ctl.by_client_tx.insert(key, (self.no, side, Purpose::Bye));
            }
            Err(e) => warn!(%side, error = %e, "cannot send BYE"),
        }
        ctl.drain_layer(now);
    }

    /// Ends the call from our side: BYE to every leg with a confirmed dialog,
    /// failure or CANCEL where the call is not yet answered.
    pub fn hang_up<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        why: &str,
    ) {
        info!(why, "hanging up");
        match self.phase {
            Phase::Outgoing => {
                self.fail_a(ctl, now, 503, Some("Service Unavailable"));
                self.cancel_b(ctl, now);
                if self.phase != Phase::Cancelling {
                    self.finish(why.to_owned());
                }
            }
            Phase::Connected => {
                self.send_bye(ctl, now, Side::A);
                self.send_bye(ctl, now, Side::B);
                self.finish(why.to_owned());
            }
            Phase::Cancelling | Phase::Over => {}
        }
    }

    /// A request inside one of this call's dialogs.
    pub fn handle_in_dialog<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        side: Side,
        key: TransactionKey,
        req: Request,
        source: Peer,
    ) {
        let Some(d) = &mut self.legs[side.index()].dialog else {
            ctl.respond(now, &key, &req, 481, None);
            return;
        };
        let kind = match d.handle_request(&req) {
            Ok(k) => k,
            Err(DialogError::CSeqOutOfOrder { .. }) => {
                ctl.respond(now, &key, &req, 500, Some("CSeq Out Of Order"));
                return;
            }
            Err(_) => {
                ctl.respond(now, &key, &req, 481, None);
                return;
            }
        };
        // Requests over a connection come back over it.
        if source.conn.is_some() {
            self.legs[side.index()].peer = source;
        }
        match kind {
            InDialogRequest::Bye => {
                info!(%side, "hangup");
                ctl.respond(now, &key, &req, 200, None);
                let other = side.other();
                if side == Side::B && !self.a_final_sent {
                    // B hung up an early dialog before answering.
                    self.fail_a(ctl, now, 480, None);
                } else if side == Side::A && self.phase == Phase::Outgoing {
                    // RFC 3261 §15.1.2: the INVITE still gets its final
                    // response; 487 as for a CANCEL.
                    self.fail_a(ctl, now, 487, None);
                    self.cancel_b(ctl, now);
                } else {
                    self.send_bye(ctl, now, other);
                }
                if self.phase != Phase::Cancelling {
                    self.finish(format!("hangup by {side}"));
                }
            }
            InDialogRequest::Ack => {}
            InDialogRequest::Options => {
                let mut resp = response(&req, 200, None);
                resp.headers.push_value(HeaderName::Allow, super::ALLOW);
                ctl.send_response(now, &key, resp);
            }
            InDialogRequest::ReInvite => self.relay_reinvite(ctl, now, side, key, req),
            InDialogRequest::Update | InDialogRequest::Info | InDialogRequest::Other => {
                self.relay_request(ctl, now, side, key, req)
            }
        }
    }

    fn relay_reinvite<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        side: Side,
        key: TransactionKey,
        req: Request,
    ) {
        let other = side.other();
        if self.phase != Phase::Connected || !self.relays.is_empty() {
            let mut resp = response(&req, 491, None);
            resp.headers.push_value(HeaderName::RetryAfter, 1);
            ctl.send_response(now, &key, resp);
            return;
        }
        let offer = match plan::body_sdp(&req.headers, &req.body) {
            Ok(o) => o,
            Err(_) => {
                ctl.respond(now, &key, &req, 400, Some("Bad SDP"));
                return;
            }
        };
        let Some(offer) = offer else {
            // No offer: a session refresh. Answer with our current SDP.
            let local = ctl.local.for_dest(
                self.legs[side.index()].peer.transport,
                self.legs[side.index()].peer.addr,
            );
            let mut resp = response(&req, 200, None);
            if let Some(l) = local {
                resp.headers.push_value(
                    HeaderName::Contact,
                    contact(l, self.legs[side.index()].peer.transport),
                );
            }
            if let Some(sdp) = &self.legs[side.index()].local_sdp {
                resp.headers
                    .push_value(HeaderName::ContentType, "application/sdp");
                resp.body = sdp.to_bytes();
            }
            ctl.send_response(now, &key, resp);
            return;
        };
        let (Some(neg_other), Some(media)) = (
            self.legs[other.index()].negotiated.clone(),
            self.media.as_ref(),
        ) else {
            ctl.respond(now, &key, &req, 488, None);
            return;
        };
        let direction = plan::offered_direction(&offer);
        let other_local = media.local_rtp(other);
        // Our direction on the requesting leg is the reverse of what it asks.
        let reoffer = match plan::offer_matching(
            &neg_other,
            direction.reverse(),
            other_local,
            &mut self.legs[other.index()].origin,
        ) {
            Ok(o) => o,
            Err(e) => {
                warn!(error = %e, "cannot build re-offer");
                ctl.respond(now, &key, &req, 488, None);
                return;
            }
        };
        let dest = self.next_hop(other);
        let Some(d) = &mut self.legs[other.index()].dialog else {
            ctl.respond(now, &key, &req, 500, None);
            return;
        };
        let mut invite = d.new_request(Method::Invite);
        invite.headers.push_value(HeaderName::Allow, super::ALLOW);
        invite
            .headers
            .push_value(HeaderName::ContentType, "application/sdp");
        invite.body = reoffer.to_bytes();
        debug!(from = %side, direction = %direction, "re-INVITE relayed");
        self.send_relay(
            ctl,
            now,
            side,
            key,
            req,
            invite,
            dest,
            Some((reoffer, offer)),
        );
    }

    /// Sends `out` (built from `req`) on the other leg and remembers the
    /// pair, so the other leg's answer goes back to `req`'s transaction.
    #[allow(clippy::too_many_arguments)]
    fn send_relay<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        side: Side,
        key: TransactionKey,
        req: Request,
        out: Request,
        dest: Peer,
        offers: Option<(Sdp, Sdp)>,
    ) {
        let purpose = if out.method == Method::Invite {
            Purpose::ReInvite
        } else {
            Purpose::Relay
        };
        match ctl.layer.send_request(now, out, dest) {
            Ok(ck) => {
                ctl.by_client_tx
                    .insert(ck.clone(), (self.no, side.other(), purpose));
                // So that a CANCEL of a relayed re-INVITE finds the call.
                ctl.by_server_tx.insert(key.clone(), self.no);
                let (offer_sent, offer_received) = offers.unzip();
                self.relays.push(Relay {
                    deadline: now + ctl.config.sip.t1 * 64,
                    from: side,
                    server_key: key,
                    request: req,
                    client_key: Some(ck),
                    offer_sent,
                    offer_received,
                });
            }
            Err(e) => {
                warn!(error = %e, method = %req.method, "cannot relay request");
                ctl.respond(now, &key, &req, 500, None);
            }
        }
        ctl.drain_layer(now);
    }

    fn relay_request<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        side: Side,
        key: TransactionKey,
        req: Request,
    ) {
        let other = side.other();
        if req.method == Method::Update
            && plan::body_sdp(&req.headers, &req.body)
                .ok()
                .flatten()
                .is_some()
        {
            // Media changes by UPDATE are not relayed yet; refuse cleanly.
            ctl.respond(now, &key, &req, 488, Some("UPDATE With SDP Not Supported"));
            return;
        }
        let dest = self.next_hop(other);
        let Some(d) = &mut self.legs[other.index()].dialog else {
            ctl.respond(now, &key, &req, 481, None);
            return;
        };
        if d.state() != DialogState::Confirmed {
            ctl.respond(now, &key, &req, 481, None);
            return;
        }
        let mut out = d.new_request(req.method.clone());
        for name in [
            HeaderName::ContentType,
            HeaderName::Event,
            HeaderName::Other("Info-Package".to_owned()),
        ] {
            if let Some(v) = req.headers.get(&name) {
                out.headers.push_value(name.clone(), v);
            }
        }
        out.body = req.body.clone();
        self.send_relay(ctl, now, side, key, req, out, dest, None);
    }

    fn handle_relay_response<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        side: Side,
        key: &TransactionKey,
        resp: Response,
    ) {
        let Some(i) = self
            .relays
            .iter()
            .position(|r| r.client_key.as_ref() == Some(key))
        else {
            // A 2xx retransmission of a re-INVITE we already finished: ACK again.
            if resp.status.is_success()
                && resp
                    .headers
                    .cseq()
                    .is_some_and(|c| c.method == Method::Invite)
            {
                self.ack_in_dialog(ctl, now, side, &resp);
            }
            return;
        };
        if resp.status.is_provisional() {
            return;
        }
        let relay = self.relays.remove(i);
        let from = relay.from;
        let is_invite = relay.request.method == Method::Invite;
        if let Some(d) = &mut self.legs[side.index()].dialog {
            d.handle_response(&resp);
        }
        if is_invite && resp.status.is_success() {
            self.ack_in_dialog(ctl, now, side, &resp);
        }
        let code = resp.status.as_u16();
        let mut out = self.relay_response(&relay, code, Some(&resp.reason));
        if is_invite && resp.status.is_success() {
            let answer_ok = (|| {
                let answer = plan::body_sdp(&resp.headers, &resp.body).ok()??;
                let offer_sent = relay.offer_sent.as_ref()?;
                let offer_received = relay.offer_received.as_ref()?;
                let neg_other = plan::read_answer(offer_sent, &answer).ok()?;
                let media = self.media.as_mut()?;
                media.set_remote(side, plan::remote_media(&neg_other));
                let local = media.local_rtp(from);
                let previous = self.legs[from.index()]
                    .negotiated
                    .as_ref()
                    .map(|n| n.codec.clone());
                let (sdp, neg_from) = plan::answer_leg(
                    offer_received,
                    &neg_other,
                    &self.rules[from.index()],
                    &self.rules[side.index()],
                    previous.as_ref(),
                    local,
                    &mut self.legs[from.index()].origin,
                )
                .ok()?;
                media.set_remote(from, plan::remote_media(&neg_from));
                self.legs[from.index()].negotiated = Some(neg_from);
                self.legs[side.index()].negotiated = Some(neg_other);
                self.legs[from.index()].local_sdp = Some(sdp.clone());
                Some(sdp)
            })();
            match answer_ok {
                Some(sdp) => {
                    let local = ctl.local.for_dest(
                        self.legs[from.index()].peer.transport,
                        self.legs[from.index()].peer.addr,
                    );
                    if let Some(l) = local {
                        out.headers.push_value(
                            HeaderName::Contact,
                            contact(l, self.legs[from.index()].peer.transport),
                        );
                    }
                    out.headers
                        .push_value(HeaderName::ContentType, "application/sdp");
                    out.body = sdp.to_bytes();
                    info!(from = %from, "re-INVITE completed");
                }
                None => {
                    out = self.relay_response(&relay, 488, None);
                }
            }
        } else if !is_invite && !resp.body.is_empty() {
            if let Some(ct) = resp.headers.get(&HeaderName::ContentType) {
                out.headers.push_value(HeaderName::ContentType, ct);
            }
            out.body = resp.body.clone();
        }
        ctl.send_response(now, &relay.server_key, out);
        if is_invite && matches!(code, 408 | 481) {
            self.hang_up(ctl, now, "re-INVITE refused: dialog gone");
        }
    }

    fn ack_in_dialog<M: MediaEngine<Session = S>>(
        &mut self,
        ctl: &mut Controller<M>,
        now: Instant,
        side: Side,
        resp: &Response,
    ) {
        let dest = self.next_hop(side);
        let Some(d) = &self.legs[side.index()].dialog else {
            return;
        };
        let seq = resp.headers.cseq().map_or(d.invite_seq(), |c| c.seq);
        let ack = d.ack_for_2xx(seq);
        let _ = ctl.layer.send_stateless(Message::Request(ack), dest);
        ctl.drain_layer(now);
    }
}

/// Where an in-dialog request to `target` goes: the URI's address when it is
/// an IP literal, else the leg's known peer. A stream connection is reused
/// when the address is the peer's.
fn resolve_target(target: &Uri, leg: Peer) -> Peer {
    // A WebSocket peer is reached only over the connection it opened
    // (RFC 7118 §5: its Contact host is usually a `.invalid` name).
    if matches!(leg.transport, TransportKind::Ws | TransportKind::Wss) {
        return leg;
    }
    let Some(u) = target.as_sip() else { return leg };
    let ip = match &u.host {
        Host::V4(ip) => std::net::IpAddr::V4(*ip),
        Host::V6(ip) => std::net::IpAddr::V6(*ip),
        Host::Domain(_) => return leg,
    };
    let transport = match u
        .params
        .value("transport")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("tcp") => TransportKind::Tcp,
        Some("udp") => TransportKind::Udp,
        _ => leg.transport,
    };
    let addr = SocketAddr::new(ip, u.port.unwrap_or(5060));
    Peer {
        transport,
        addr,
        conn: if addr == leg.addr && transport == leg.transport {
            leg.conn
        } else {
            None
        },
    }
}

/// Our Contact for a leg.
fn contact(local: SocketAddr, transport: TransportKind) -> NameAddr {
    NameAddr {
        display_name: None,
        uri: sip_uri(
            Some("tandem"),
            Host::from(local.ip()),
            Some(local.port()),
            transport,
        ),
        params: Params::default(),
    }
}

/// Maps the callee's failure to what the caller hears.
fn map_failure(code: u16) -> u16 {
    match code {
        486 | 600 => 486,
        // We do not follow redirects yet; the caller cannot either.
        300..=399 => 480,
        // The trunk refused our credentials: our configuration problem.
        401 | 407 => 503,
        // 503 means "this server is overloaded", which is B's, not ours
        // (RFC 3261 §16.7 asks proxies not to pass it on).
        503 => 502,
        c => c,
    }
}

pub(super) fn now_unix() -> u64 {
    // Digest nonces carry wall-clock seconds so they survive restarts.
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
