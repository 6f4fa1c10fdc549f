//! A registrar for Tandem's agents (RFC 3261 §10.3), sans-IO.
//!
//! [`Registrar`] keeps the bindings of each address-of-record (an agent's
//! user name) in memory. The caller authenticates and authorizes a REGISTER
//! (steps 1 to 5 of §10.3: domain, Require, digest, which AOR), then hands
//! it to [`Registrar::handle_register`], which does steps 6 to 8:
//!
//! - `Contact: *` with `Expires: 0` removes every binding (400 otherwise);
//! - each Contact's interval is its `expires` parameter, else the Expires
//!   header, else [`RegistrarConfig::default_expires`]; a malformed value
//!   counts as 3600 (§20.19); 0 removes the binding; below the minimum the
//!   whole request is refused with 423 and Min-Expires; above the maximum it
//!   is shortened;
//! - a Contact names an existing binding when its URI is equivalent
//!   (§19.1.4, see [`uri_equivalent`]), or, for a Contact with
//!   `+sip.instance`, when the instance (and `reg-id`, if any) are the same
//!   (RFC 5626 §6, RFC 5627): a browser that reconnects replaces its
//!   binding instead of adding one;
//! - within one Call-ID the CSeq must grow: a request whose CSeq is not
//!   above a binding's is refused and changes nothing (500, §10.3 step 7);
//! - changes are all-or-nothing: a refused request leaves every binding as
//!   it was;
//! - a REGISTER without Contact is a query: 200 with the current bindings.
//!
//! Every binding remembers the [`Peer`] (transport, address, connection)
//! the REGISTER came from: browsers over WebSocket register Contacts with
//! `.invalid` hosts that can only be reached back over their socket.
//! [`Registrar::remove_flow`] drops the bindings of a connection that
//! closed (RFC 5626 §5.3 for flows; for a `.invalid` Contact, nothing else
//! could reach it anyway).
//!
//! Time is passed in; the registrar owns no clock and no timer. Sleep until
//! [`Registrar::poll_timeout`] and call [`Registrar::handle_timeout`] to
//! drop expired bindings. Lookups ignore expired bindings whether or not
//! the timeout was handled yet.
//!
//! Not done: Path (RFC 3327), GRUU (RFC 5627 beyond using the instance as
//! the binding key), the Date header in 200 (the shell may add one: the
//! core has no wall clock), persistence across restarts.

mod compare;

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::time::{Duration, Instant};

pub use compare::uri_equivalent;

use crate::message::{
    HeaderError, HeaderName, Method, NameAddr, Request, Response, StatusCode, Uri, split_list,
};
use crate::transport::{ConnectionId, Peer};

/// The interval a malformed `expires` value stands for (RFC 3261 §20.19).
const MALFORMED_EXPIRES: u32 = 3600;
/// RFC 3261 §10.3 step 7: 423 only for intervals under one hour.
const MAX_MIN_EXPIRES: u32 = 3600;

/// The registrar's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrarConfig {
    /// Shorter non-zero intervals are refused with 423 (default 60 s). At
    /// most 3600: RFC 3261 allows 423 only for intervals under an hour.
    pub min_expires: u32,
    /// Longer intervals are shortened to this (default 3600 s).
    pub max_expires: u32,
    /// The interval when the request names none (default 600 s).
    pub default_expires: u32,
    /// A REGISTER that would leave an AOR with more bindings than this is
    /// refused with 503 (default 10).
    pub max_bindings_per_aor: usize,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        Self {
            min_expires: 60,
            max_expires: 3600,
            default_expires: 600,
            max_bindings_per_aor: 10,
        }
    }
}

impl RegistrarConfig {
    /// The same limits made consistent: `1 <= min_expires <= 3600`,
    /// `min_expires <= max_expires`, the default between the two,
    /// `max_bindings_per_aor >= 1`.
    fn normalized(self) -> Self {
        let min_expires = self.min_expires.clamp(1, MAX_MIN_EXPIRES);
        let max_expires = self.max_expires.max(min_expires);
        Self {
            min_expires,
            max_expires,
            default_expires: self.default_expires.clamp(min_expires, max_expires),
            max_bindings_per_aor: self.max_bindings_per_aor.max(1),
        }
    }
}

/// Why a q-value did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("q-value is not a number from 0 to 1 with at most three decimals")]
pub struct QValueError;

/// A Contact's `q` preference (RFC 3261 §20.10), 0 to 1 in thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QValue(u16);

impl QValue {
    /// The highest preference, 1.0 (also what an absent `q` is ranked as).
    pub const MAX: QValue = QValue(1000);

    /// A q-value from thousandths (`None` above 1000).
    pub fn from_thousandths(t: u16) -> Option<Self> {
        (t <= 1000).then_some(Self(t))
    }

    /// The value in thousandths.
    pub fn thousandths(self) -> u16 {
        self.0
    }

    /// The value as a float.
    pub fn as_f32(self) -> f32 {
        f32::from(self.0) / 1000.0
    }
}

impl FromStr for QValue {
    type Err = QValueError;

    /// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
    fn from_str(s: &str) -> Result<Self, QValueError> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QValueError);
        }
        let mut thousandths = 0u16;
        for (i, b) in frac.bytes().enumerate() {
            let place = [100u16, 10, 1][i];
            thousandths += u16::from(b - b'0') * place;
        }
        match int {
            "0" => Ok(Self(thousandths)),
            "1" if thousandths == 0 => Ok(Self::MAX),
            _ => Err(QValueError),
        }
    }
}

impl fmt::Display for QValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1000 => f.write_str("1"),
            0 => f.write_str("0"),
            t => {
                let s = format!("{t:03}");
                write!(f, "0.{}", s.trim_end_matches('0'))
            }
        }
    }
}

/// One registered Contact of an address-of-record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact as registered: display name, URI (with its parameters)
    /// and header parameters (`+sip.instance`, `reg-id`, `q`, `+sip.ice`
    /// ...), without `expires`.
    pub contact: NameAddr,
    /// When the binding lapses unless refreshed.
    pub expires_at: Instant,
    /// When it was added or last refreshed.
    pub registered_at: Instant,
    /// The Call-ID of the REGISTER that added or last refreshed it.
    pub call_id: String,
    /// The CSeq number of that REGISTER.
    pub cseq: u32,
    /// Where that REGISTER came from: the flow that reaches the contact
    /// (for WebSocket and TCP, the connection).
    pub source: Peer,
    /// The `+sip.instance` value without its quotes (`<urn:uuid:...>`).
    pub instance: Option<String>,
    /// The RFC 5626 `reg-id`, kept only together with an instance.
    pub reg_id: Option<u32>,
    /// The `q` preference, if given.
    pub q: Option<QValue>,
    /// The User-Agent of the REGISTER, if any.
    pub user_agent: Option<String>,
}

impl Binding {
    /// The Contact URI.
    pub fn uri(&self) -> &Uri {
        &self.contact.uri
    }

    /// Whether the binding is still in force at `now`.
    pub fn is_live(&self, now: Instant) -> bool {
        self.expires_at > now
    }

    /// Seconds left at `now`, rounded up (0 once lapsed).
    pub fn expires_in(&self, now: Instant) -> u32 {
        let left = self.expires_at.saturating_duration_since(now);
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        u32::try_from(secs).unwrap_or(u32::MAX)
    }

    /// The Contact header value a 200 OK lists for this binding: the
    /// Contact as registered with `expires` set to the seconds left.
    pub fn contact_with_expires(&self, now: Instant) -> NameAddr {
        let mut c = self.contact.clone();
        c.params
            .set("expires", Some(&self.expires_in(now).to_string()));
        c
    }

    /// The q-value used for ordering: an absent `q` ranks as 1.
    fn rank(&self) -> QValue {
        self.q.unwrap_or(QValue::MAX)
    }

    /// Whether a Contact of a new request names this binding.
    fn matches(&self, c: &ContactReq) -> bool {
        match (&c.instance, c.reg_id) {
            (Some(inst), Some(id)) => {
                self.instance.as_deref() == Some(inst) && self.reg_id == Some(id)
            }
            (Some(inst), None) => self.instance.as_deref() == Some(inst) && self.reg_id.is_none(),
            (None, _) => uri_equivalent(&self.contact.uri, &c.contact.uri),
        }
    }
}

/// A REGISTER that was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// Every live binding of the AOR after the request, highest q first
    /// (then most recently registered first): the 200's Contact list.
    pub bindings: Vec<Binding>,
    /// Bindings the request added.
    pub added: usize,
    /// Bindings the request refreshed or replaced.
    pub refreshed: usize,
    /// Bindings the request removed.
    pub removed: usize,
}

/// Why a REGISTER is malformed (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRegister {
    /// The method is not REGISTER.
    #[error("not a REGISTER request")]
    NotRegister,
    /// No Call-ID.
    #[error("no Call-ID")]
    MissingCallId,
    /// No CSeq, or one that does not parse or does not name REGISTER.
    #[error("missing or malformed CSeq")]
    BadCSeq,
    /// A Contact value that does not parse.
    #[error("malformed Contact: {0}")]
    Contact(HeaderError),
    /// `Contact: *` together with other Contact values.
    #[error("Contact * mixed with other contacts")]
    WildcardWithOthers,
    /// `Contact: *` without `Expires: 0`.
    #[error("Contact * needs Expires: 0")]
    WildcardNeedsExpiresZero,
    /// A `q` parameter that is not a q-value.
    #[error("malformed q parameter")]
    BadQ,
    /// A `reg-id` that is not a number from 1 to 2^31-1.
    #[error("malformed reg-id parameter")]
    BadRegId,
    /// Several Contacts with `reg-id` in one request (RFC 5626 §6).
    #[error("more than one Contact with reg-id")]
    SeveralRegIds,
}

/// Why a REGISTER was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// Malformed: 400.
    #[error("bad REGISTER: {0}")]
    BadRequest(#[from] BadRegister),
    /// A non-zero interval below the minimum: 423 with Min-Expires.
    #[error("interval too brief; at least {min_expires} s")]
    IntervalTooBrief {
        /// The Min-Expires to answer with.
        min_expires: u32,
    },
    /// Same Call-ID as a binding with a CSeq not above the binding's: an
    /// old or reordered request (RFC 3261 §10.3 step 7). Answered with 500;
    /// nothing changed.
    #[error("CSeq {cseq} is not above the binding's {stored} for the same Call-ID")]
    OutOfOrder {
        /// The CSeq of the binding.
        stored: u32,
        /// The CSeq of the request.
        cseq: u32,
    },
    /// The AOR would have more bindings than allowed: 503, with Retry-After
    /// when one of its bindings will lapse.
    #[error("more than {max} bindings for one address-of-record")]
    TooManyBindings {
        /// The limit.
        max: usize,
        /// Seconds until the AOR's first binding lapses.
        retry_after: Option<u32>,
    },
}

impl RegisterError {
    /// The status code this refusal is answered with.
    pub fn status(&self) -> StatusCode {
        let code = match self {
            RegisterError::BadRequest(_) => 400,
            RegisterError::IntervalTooBrief { .. } => 423,
            RegisterError::OutOfOrder { .. } => 500,
            RegisterError::TooManyBindings { .. } => 503,
        };
        StatusCode::new(code).unwrap_or(StatusCode::SERVER_ERROR_500)
    }
}

/// What [`Registrar::handle_register`] decided.
pub type RegisterOutcome = Result<Registered, RegisterError>;

/// One Contact of a REGISTER, checked.
#[derive(Debug)]
struct ContactReq {
    contact: NameAddr,
    /// Granted interval: 0 removes.
    expires: u32,
    instance: Option<String>,
    reg_id: Option<u32>,
    q: Option<QValue>,
}

/// What the Contact headers of a REGISTER ask for.
#[derive(Debug)]
enum Contacts {
    /// No Contact: a query.
    None,
    /// `Contact: *` (with Expires 0, checked).
    Wildcard,
    /// Contacts to add, refresh or remove.
    List(Vec<ContactReq>),
}

/// A binding of the request being applied, before commit.
#[derive(Debug)]
struct Tentative {
    binding: Binding,
    /// Held before this request.
    original: bool,
    /// Changed by this request already (a later Contact naming it again
    /// wins without the CSeq check).
    touched: bool,
    /// Still there after this request.
    keep: bool,
}

/// The bindings of every address-of-record.
#[derive(Debug)]
pub struct Registrar {
    config: RegistrarConfig,
    aors: HashMap<String, Vec<Binding>>,
    /// Makes the To tags of our responses unpredictable.
    tag_salt: u64,
}

impl Registrar {
    /// An empty registrar. The limits are made consistent first (see
    /// [`RegistrarConfig::min_expires`]).
    pub fn new(config: RegistrarConfig) -> Self {
        Self {
            config: config.normalized(),
            aors: HashMap::new(),
            tag_salt: rand::random(),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &RegistrarConfig {
        &self.config
    }

    /// Applies a REGISTER already authenticated and authorized for `aor`
    /// (RFC 3261 §10.3 steps 6 to 8). `source` is where it came from; each
    /// binding it adds or refreshes remembers it. Either every change of the
    /// request is made, or (on error) none.
    pub fn handle_register(
        &mut self,
        now: Instant,
        aor: &str,
        req: &Request,
        source: Peer,
    ) -> RegisterOutcome {
        if req.method != Method::Register {
            return Err(BadRegister::NotRegister.into());
        }
        let call_id = req
            .headers
            .call_id()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or(BadRegister::MissingCallId)?;
        let cseq = match req.headers.cseq() {
            Some(c) if c.method == Method::Register => c.seq,
            _ => return Err(BadRegister::BadCSeq.into()),
        };
        let contacts = self.read_contacts(req)?;
        let user_agent = req.headers.get(&HeaderName::UserAgent);

        let current: Vec<Binding> = self
            .aors
            .get(aor)
            .map(|v| v.iter().filter(|b| b.is_live(now)).cloned().collect())
            .unwrap_or_default();
        let before = current.len();
        let mut tentative: Vec<Tentative> = current
            .into_iter()
            .map(|binding| Tentative {
                binding,
                original: true,
                touched: false,
                keep: true,
            })
            .collect();

        match contacts {
            Contacts::None => {}
            Contacts::Wildcard => {
                for t in &mut tentative {
                    check_order(&t.binding, call_id, cseq)?;
                    t.keep = false;
                }
            }
            Contacts::List(list) => {
                for c in list {
                    match tentative.iter_mut().find(|t| t.binding.matches(&c)) {
                        Some(t) => {
                            if !t.touched {
                                check_order(&t.binding, call_id, cseq)?;
                            }
                            t.touched = true;
                            t.keep = c.expires > 0;
                            if t.keep {
                                t.binding = new_binding(now, c, call_id, cseq, source, user_agent);
                            }
                        }
                        None if c.expires == 0 => {}
                        None => tentative.push(Tentative {
                            binding: new_binding(now, c, call_id, cseq, source, user_agent),
                            original: false,
                            touched: true,
                            keep: true,
                        }),
                    }
                }
            }
        }

        let count = |f: fn(&Tentative) -> bool| tentative.iter().filter(|t| f(t)).count();
        let added = count(|t| !t.original && t.keep);
        let refreshed = count(|t| t.original && t.touched && t.keep);
        let removed = count(|t| t.original && !t.keep);
        let after: Vec<Binding> = tentative
            .into_iter()
            .filter(|t| t.keep)
            .map(|t| t.binding)
            .collect();
        let max = self.config.max_bindings_per_aor;
        if after.len() > max && after.len() > before {
            let retry_after = self
                .aors
                .get(aor)
                .and_then(|v| {
                    v.iter()
                        .filter(|b| b.is_live(now))
                        .map(|b| b.expires_at)
                        .min()
                })
                .map(|at| secs_until(now, at));
            return Err(RegisterError::TooManyBindings { max, retry_after });
        }

        let mut bindings = after.clone();
        sort_bindings(&mut bindings);
        if after.is_empty() {
            self.aors.remove(aor);
        } else {
            self.aors.insert(aor.to_owned(), after);
        }
        Ok(Registered {
            bindings,
            added,
            refreshed,
            removed,
        })
    }

    /// Builds the response to `req` for `outcome` (computed at `now`): 200
    /// listing every binding with its `expires`, 400, 423 with Min-Expires,
    /// 500, or 503 with Retry-After. The To header gets a tag.
    pub fn response_for(&self, req: &Request, outcome: &RegisterOutcome, now: Instant) -> Response {
        let status = match outcome {
            Ok(_) => StatusCode::OK_200,
            Err(e) => e.status(),
        };
        let tag = self.to_tag(req);
        let mut resp = Response::for_request(req, status, Some(&tag));
        match outcome {
            Ok(reg) => {
                for b in &reg.bindings {
                    resp.headers
                        .push_value(HeaderName::Contact, b.contact_with_expires(now));
                }
                if uses_outbound(req) {
                    resp.headers.push_value(HeaderName::Supported, "outbound");
                }
            }
            Err(RegisterError::IntervalTooBrief { min_expires }) => {
                resp.headers.push_value(HeaderName::MinExpires, min_expires);
            }
            Err(RegisterError::TooManyBindings {
                retry_after: Some(s),
                ..
            }) => {
                resp.reason = "Too Many Registrations".to_owned();
                resp.headers.push_value(HeaderName::RetryAfter, s);
            }
            Err(RegisterError::TooManyBindings { .. }) => {
                resp.reason = "Too Many Registrations".to_owned();
            }
            Err(RegisterError::OutOfOrder { .. }) => {
                resp.reason = "Out Of Order REGISTER".to_owned();
            }
            Err(RegisterError::BadRequest(_)) => {}
        }
        resp
    }

    /// The live bindings of `aor`, highest q first (then most recently
    /// registered first).
    pub fn bindings(&self, now: Instant, aor: &str) -> Vec<&Binding> {
        let mut v: Vec<&Binding> = self
            .aors
            .get(aor)
            .map(|v| v.iter().filter(|b| b.is_live(now)).collect())
            .unwrap_or_default();
        v.sort_by(|a, b| compare_bindings(a, b));
        v
    }

    /// Whether `aor` has at least one live binding.
    pub fn is_registered(&self, now: Instant, aor: &str) -> bool {
        self.aors
            .get(aor)
            .is_some_and(|v| v.iter().any(|b| b.is_live(now)))
    }

    /// The AORs with at least one live binding, in no particular order.
    pub fn registered_aors(&self, now: Instant) -> impl Iterator<Item = &str> + '_ {
        self.aors
            .iter()
            .filter(move |(_, v)| v.iter().any(|b| b.is_live(now)))
            .map(|(aor, _)| aor.as_str())
    }

    /// Removes every binding of `aor` (an agent deleted or locked out);
    /// returns how many there were.
    pub fn remove_aor(&mut self, aor: &str) -> usize {
        self.aors.remove(aor).map_or(0, |v| v.len())
    }

    /// Removes the bindings registered over connection `conn` (a WebSocket
    /// or TCP connection that closed). Returns the AORs that lost at least
    /// one binding, sorted.
    pub fn remove_flow(&mut self, conn: ConnectionId) -> Vec<String> {
        self.remove_where(|b| b.source.conn == Some(conn))
    }

    /// When the next binding lapses.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.aors
            .values()
            .flat_map(|v| v.iter().map(|b| b.expires_at))
            .min()
    }

    /// Drops every binding lapsed at `now`. Returns the AORs that lost at
    /// least one, sorted.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<String> {
        self.remove_where(|b| !b.is_live(now))
    }

    fn remove_where(&mut self, gone: impl Fn(&Binding) -> bool) -> Vec<String> {
        let mut affected = Vec::new();
        self.aors.retain(|aor, v| {
            let n = v.len();
            v.retain(|b| !gone(b));
            if v.len() != n {
                affected.push(aor.clone());
            }
            !v.is_empty()
        });
        affected.sort();
        affected
    }

    /// Checks the Contact headers and works out each Contact's interval.
    fn read_contacts(&self, req: &Request) -> Result<Contacts, RegisterError> {
        let items: Vec<&str> = req
            .headers
            .get_all(&HeaderName::Contact)
            .flat_map(split_list)
            .collect();
        if items.is_empty() {
            return Ok(Contacts::None);
        }
        let header_expires = req.headers.get(&HeaderName::Expires).map(parse_delta);
        if items.contains(&"*") {
            if items.len() > 1 {
                return Err(BadRegister::WildcardWithOthers.into());
            }
            if header_expires != Some(0) {
                return Err(BadRegister::WildcardNeedsExpiresZero.into());
            }
            return Ok(Contacts::Wildcard);
        }
        let cfg = &self.config;
        let mut list = Vec::with_capacity(items.len());
        for item in items {
            let mut contact: NameAddr = item.parse().map_err(BadRegister::Contact)?;
            let requested = match contact.params.remove("expires") {
                Some(p) => p.value.as_deref().map_or(MALFORMED_EXPIRES, parse_delta),
                None => header_expires.unwrap_or(cfg.default_expires),
            };
            if requested > 0 && requested < cfg.min_expires {
                return Err(RegisterError::IntervalTooBrief {
                    min_expires: cfg.min_expires,
                });
            }
            let q = match contact.params.get("q") {
                None => None,
                Some(p) => Some(
                    p.value
                        .as_deref()
                        .and_then(|v| v.parse().ok())
                        .ok_or(BadRegister::BadQ)?,
                ),
            };
            let instance = contact
                .params
                .value("+sip.instance")
                .map(|v| v.trim_matches('"').to_owned())
                .filter(|v| !v.is_empty());
            let reg_id = match contact.params.get("reg-id") {
                None => None,
                Some(p) => Some(
                    p.value
                        .as_deref()
                        .and_then(|v| v.parse::<u32>().ok())
                        .filter(|id| (1..=0x7fff_ffff).contains(id))
                        .ok_or(BadRegister::BadRegId)?,
                ),
            };
            // reg-id means something only with an instance (RFC 5626 §6).
            let reg_id = reg_id.filter(|_| instance.is_some());
            list.push(ContactReq {
                contact,
                expires: requested.min(cfg.max_expires),
                instance,
                reg_id,
                q,
            });
        }
        if list.iter().filter(|c| c.reg_id.is_some()).count() > 1 {
            return Err(BadRegister::SeveralRegIds.into());
        }
        Ok(Contacts::List(list))
    }

    /// A To tag for a response: a keyed hash of the request's Call-ID and
    /// CSeq, so a retransmitted request gets the same tag.
    fn to_tag(&self, req: &Request) -> String {
        let mut h = DefaultHasher::new();
        self.tag_salt.hash(&mut h);
        req.headers.call_id().hash(&mut h);
        req.headers.get(&HeaderName::CSeq).hash(&mut h);
        format!("{:016x}", h.finish())
    }
}

/// RFC 3261 §10.3 step 7: same Call-ID needs a higher CSeq.
fn check_order(b: &Binding, call_id: &str, cseq: u32) -> Result<(), RegisterError> {
    if b.call_id == call_id && cseq <= b.cseq {
        Err(RegisterError::OutOfOrder {
            stored: b.cseq,
            cseq,
        })
    } else {
        Ok(())
    }
}

fn new_binding(
    now: Instant,
    c: ContactReq,
    call_id: &str,
    cseq: u32,
    source: Peer,
    user_agent: Option<&str>,
) -> Binding {
    Binding {
        contact: c.contact,
        expires_at: now + Duration::from_secs(u64::from(c.expires)),
        registered_at: now,
        call_id: call_id.to_owned(),
        cseq,
        source,
        instance: c.instance,
        reg_id: c.reg_id,
        q: c.q,
        user_agent: user_agent.map(str::to_owned),
    }
}

fn compare_bindings(a: &Binding, b: &Binding) -> std::cmp::Ordering {
    b.rank()
        .cmp(&a.rank())
        .then(b.registered_at.cmp(&a.registered_at))
}

fn sort_bindings(v: &mut [Binding]) {
    v.sort_by(compare_bindings);
}

/// `delta-seconds`: digits, saturating at 2^32-1 (RFC 3261 §20.19); a
/// malformed value counts as 3600.
fn parse_delta(v: &str) -> u32 {
    let v = v.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return MALFORMED_EXPIRES;
    }
    v.parse::<u64>()
        .map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

fn secs_until(now: Instant, at: Instant) -> u32 {
    let d = at.saturating_duration_since(now);
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    u32::try_from(s).unwrap_or(u32::MAX)
}

/// Whether the request registers an RFC 5626 flow (a Contact with both
/// `+sip.instance` and `reg-id`).
fn uses_outbound(req: &Request) -> bool {
    req.headers
        .contacts()
        .map(|v| {
            v.iter()
                .any(|c| c.params.contains("+sip.instance") && c.params.contains("reg-id"))
        })
        .unwrap_or(false)
}

/// The address-of-record a REGISTER names: the user part of its To URI,
/// `%HH` escapes decoded. The caller checks it against the authenticated
/// user before calling [`Registrar::handle_register`].
pub fn aor_user(req: &Request) -> Option<String> {
    let to = req.headers.to_addr()?;
    let user = to.uri.as_sip()?.user_unescaped()?;
    Some(user.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_values() {
        assert_eq!("1".parse::<QValue>(), Ok(QValue::MAX));
        assert_eq!("1.000".parse::<QValue>(), Ok(QValue::MAX));
        assert_eq!("0.5".parse::<QValue>().unwrap().thousandths(), 500);
        assert_eq!("0.025".parse::<QValue>().unwrap().thousandths(), 25);
        assert_eq!("0".parse::<QValue>().unwrap().thousandths(), 0);
        for bad in ["1.5", "2", "0.1234", "", ".5", "0.x", "1.001", "-0"] {
            assert!(bad.parse::<QValue>().is_err(), "{bad:?}");
        }
        for t in [0u16, 1, 25, 500, 999, 1000] {
            let q = QValue::from_thousandths(t).unwrap();
            assert_eq!(q.to_string().parse::<QValue>(), Ok(q));
        }
        assert_eq!(QValue::from_thousandths(250).unwrap().to_string(), "0.25");
        assert!(QValue::from_thousandths(1001).is_none());
    }

    #[test]
    fn delta_seconds() {
        assert_eq!(parse_delta(" 600 "), 600);
        assert_eq!(parse_delta("0"), 0);
        assert_eq!(parse_delta("99999999999999999999999"), u32::MAX);
        assert_eq!(parse_delta("soon"), 3600);
        assert_eq!(parse_delta("-1"), 3600);
    }

    #[test]
    fn config_is_made_consistent() {
        let c = RegistrarConfig {
            min_expires: 7200,
            max_expires: 30,
            default_expires: 5,
            max_bindings_per_aor: 0,
        }
        .normalized();
        assert_eq!(c.min_expires, 3600);
        assert_eq!(c.max_expires, 3600);
        assert_eq!(c.default_expires, 3600);
        assert_eq!(c.max_bindings_per_aor, 1);
        assert_eq!(
            RegistrarConfig::default().normalized(),
            RegistrarConfig::default()
        );
    }
}
