//! The daemon's configuration: a TOML file, checked in full before anything
//! starts. Every error names the file, the line and the reason.
//!
//! With no file at all Tandem runs on embedded defaults: SIP on UDP and TCP
//! 127.0.0.1:5060, media on 127.0.0.1 ports 20000-29999, no trunks and no
//! numbers (so every call is refused until a config says otherwise).

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tandem_routing::{Agent, AgentDirectory, Destination, E164, NumberPlan};
use toml::Spanned;

/// A configuration error: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {reason}")]
pub struct ConfigError {
    /// The file (or `<defaults>`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub reason: String,
}

/// A codec a trunk may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecName {
    /// G.711 mu-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// Opus.
    Opus,
    /// RFC 4733 telephone events (DTMF).
    TelephoneEvent,
}

impl CodecName {
    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "pcmu" | "g711u" | "ulaw" => Some(Self::Pcmu),
            "pcma" | "g711a" | "alaw" => Some(Self::Pcma),
            "opus" => Some(Self::Opus),
            "telephone-event" | "dtmf" => Some(Self::TelephoneEvent),
            _ => None,
        }
    }
}

/// SIP transport of a trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrunkTransport {
    /// UDP (default).
    Udp,
    /// TCP.
    Tcp,
}

/// How the codec of a trunk's leg is chosen when the two legs of a call
/// could use different codecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TranscodePolicy {
    /// Prefer a codec both legs share, so media is relayed untouched;
    /// transcode only when there is none (default).
    #[default]
    WhenNeeded,
    /// Answer this trunk's leg with the first codec of its `codecs` list that
    /// the peer offered, even if the other leg ends up on another codec (the
    /// bridge then transcodes).
    PreferOwnCodecs,
    /// Never transcode a call involving this trunk: no codec in common is a 488.
    Never,
}

/// Opus encoder settings for what Tandem sends on a trunk's leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpusConfig {
    /// Encoder complexity 0..=10 (the starting point; under load the media
    /// engine may lower it per call).
    #[serde(default = "default_opus_complexity")]
    pub complexity: u8,
    /// Target bitrate in bit/s (6000..=510000).
    #[serde(default = "default_opus_bitrate")]
    pub bitrate: u32,
    /// In-band forward error correction.
    #[serde(default = "default_true")]
    pub fec: bool,
}

impl Default for OpusConfig {
    fn default() -> Self {
        Self {
            complexity: default_opus_complexity(),
            bitrate: default_opus_bitrate(),
            fec: true,
        }
    }
}

fn default_opus_complexity() -> u8 {
    10
}
fn default_opus_bitrate() -> u32 {
    32_000
}

/// A username and password.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// The realm to challenge with (inbound only; default: "tandem").
    #[serde(default)]
    pub realm: Option<String>,
}

/// Outbound registration of a trunk account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Requested expiry.
    pub expires: u32,
    /// Registrar request-URI host:port (default: the trunk address).
    pub registrar: SocketAddr,
    /// Address-of-record user (default: the outbound username).
    pub user: String,
    /// The domain of the address-of-record (default: the trunk host).
    pub domain: String,
}

/// A trunk: a SIP peer that sends us calls and takes calls from us.
#[derive(Debug, Clone)]
pub struct Trunk {
    /// Its name, used by numbers.
    pub name: String,
    /// Where to send requests (`None`: the trunk only sends us calls).
    pub address: Option<SocketAddr>,
    /// The host as written (for URIs), when `address` is set.
    pub host: String,
    /// Source networks whose requests belong to this trunk.
    pub inbound_from: Vec<IpNet>,
    /// The transport.
    pub transport: TrunkTransport,
    /// Codecs offered or accepted on this trunk, in preference order.
    pub codecs: Vec<CodecName>,
    /// How this leg's codec is chosen relative to the other leg's.
    pub transcode: TranscodePolicy,
    /// Opus encoder settings for media sent to this trunk.
    pub opus: OpusConfig,
    /// Listen for DTMF tones in this trunk's audio (for trunks that send
    /// digits in-band) and send them on as RFC 4733 events; needs the call to
    /// be transcoded (audio is only decoded then).
    pub inband_dtmf: bool,
    /// Credentials to answer the trunk's challenges with.
    pub outbound_auth: Option<Credentials>,
    /// Credentials the trunk must present (we challenge its requests).
    pub inbound_auth: Option<Credentials>,
    /// Outbound registration, if configured.
    pub register: Option<Registration>,
}

/// SIP settings.
#[derive(Debug, Clone)]
pub struct SipSettings {
    /// UDP sockets.
    pub udp: Vec<SocketAddr>,
    /// TCP listeners.
    pub tcp: Vec<SocketAddr>,
    /// The address to write into Via/Contact instead of the bound one.
    pub advertised_address: Option<IpAddr>,
    /// User-Agent / Server header value.
    pub user_agent: String,
    /// RFC 3261 T1.
    pub t1: Duration,
    /// RFC 3261 T2.
    pub t2: Duration,
    /// RFC 3261 T4.
    pub t4: Duration,
    /// How long an outbound leg may ring before the call is given up.
    pub no_answer_timeout: Duration,
}

/// Media settings.
#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// The address media sockets bind to.
    pub address: IpAddr,
    /// The address written into SDP (default: `address`).
    pub advertised_address: Option<IpAddr>,
    /// Lowest RTP port (even).
    pub port_min: u16,
    /// Highest RTP port.
    pub port_max: u16,
    /// A call with no media for this long is ended (`None`: never).
    pub timeout: Option<Duration>,
    /// Threads relaying media (each a single-threaded runtime).
    pub threads: usize,
    /// Lower the Opus encoder complexity of a media thread's calls when the
    /// thread is loaded, raise it back when it has headroom (off by default:
    /// on the measured machine the benefit was within run-to-run noise, see
    /// docs/benchmarks.md).
    pub adaptive_complexity: bool,
}

/// Log settings.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// A tracing filter (`info`, `tandem=debug,warn`).
    pub level: String,
    /// Mask phone numbers and addresses in logs.
    pub redact: bool,
}

/// The HTTP listener: the softphone page and SIP over WebSocket (RFC 7118).
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Addresses to listen on (empty: no HTTP listener, the default).
    pub listen: Vec<SocketAddr>,
    /// The path of the WebSocket endpoint (`/ws`).
    pub ws_path: String,
    /// The directory `/phone` is served from (`web/dist`). A relative path
    /// is taken from the directory Tandem is started in (the repository
    /// root for the README's run command), not from the config file's.
    pub static_dir: PathBuf,
}

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from.
    pub source: String,
    /// SIP.
    pub sip: SipSettings,
    /// Media.
    pub media: MediaSettings,
    /// Logging.
    pub log: LogSettings,
    /// The HTTP listener.
    pub http: HttpSettings,
    /// Trunks by order of definition.
    pub trunks: Vec<Trunk>,
    /// Numbers.
    pub numbers: NumberPlan,
    /// Agents (people in the browser softphone) by user name.
    pub agents: AgentDirectory,
}

impl Config {
    /// The embedded defaults.
    pub fn defaults() -> Self {
        match parse_str("", "<defaults>") {
            Ok(c) => c,
            // The empty document is valid by construction; a failure here is
            // a bug in the defaults, caught by the unit test below.
            Err(e) => panic!("embedded defaults are invalid: {e}"),
        }
    }

    /// Reads and checks a file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            reason: format!("cannot read: {e}"),
        })?;
        parse_str(&text, &path.display().to_string())
    }

    /// A trunk by name.
    pub fn trunk(&self, name: &str) -> Option<&Trunk> {
        self.trunks.iter().find(|t| t.name == name)
    }

    /// The trunk a request from `source` belongs to: the one whose address
    /// is exactly `source`, else the first whose `inbound_from` holds its IP.
    pub fn trunk_for_source(&self, source: SocketAddr) -> Option<&Trunk> {
        self.trunks
            .iter()
            .find(|t| t.address == Some(source))
            .or_else(|| {
                self.trunks
                    .iter()
                    .find(|t| t.inbound_from.iter().any(|n| n.contains(source.ip())))
            })
    }
}

// ----- raw, as written -----

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    sip: RawSip,
    #[serde(default)]
    media: RawMedia,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    trunks: Vec<Spanned<RawTrunk>>,
    #[serde(default)]
    numbers: Vec<Spanned<RawNumber>>,
    #[serde(default)]
    agents: Vec<Spanned<RawAgent>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSip {
    #[serde(default = "default_sip_listen")]
    udp: Vec<Spanned<String>>,
    #[serde(default = "default_sip_listen")]
    tcp: Vec<Spanned<String>>,
    #[serde(default)]
    advertised_address: Option<Spanned<String>>,
    #[serde(default = "default_user_agent")]
    user_agent: String,
    #[serde(default = "default_t1")]
    t1_ms: Spanned<u64>,
    #[serde(default = "default_t2")]
    t2_ms: Spanned<u64>,
    #[serde(default = "default_t4")]
    t4_ms: Spanned<u64>,
    #[serde(default = "default_no_answer")]
    no_answer_timeout_secs: Spanned<u64>,
}

impl Default for RawSip {
    fn default() -> Self {
        Self {
            udp: default_sip_listen(),
            tcp: default_sip_listen(),
            advertised_address: None,
            user_agent: default_user_agent(),
            t1_ms: default_t1(),
            t2_ms: default_t2(),
            t4_ms: default_t4(),
            no_answer_timeout_secs: default_no_answer(),
        }
    }
}

fn default_sip_listen() -> Vec<Spanned<String>> {
    vec![Spanned::new(0..0, "127.0.0.1:5060".to_owned())]
}
fn default_user_agent() -> String {
    format!("Tandem/{}", env!("CARGO_PKG_VERSION"))
}
fn default_t1() -> Spanned<u64> {
    Spanned::new(0..0, 500)
}
fn default_t2() -> Spanned<u64> {
    Spanned::new(0..0, 4000)
}
fn default_t4() -> Spanned<u64> {
    Spanned::new(0..0, 5000)
}
fn default_no_answer() -> Spanned<u64> {
    Spanned::new(0..0, 60)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMedia {
    #[serde(default = "default_media_addr")]
    address: Spanned<String>,
    #[serde(default)]
    advertised_address: Option<Spanned<String>>,
    #[serde(default = "default_port_min")]
    port_min: Spanned<u16>,
    #[serde(default = "default_port_max")]
    port_max: Spanned<u16>,
    #[serde(default = "default_media_timeout")]
    timeout_secs: u64,
    #[serde(default)]
    threads: Option<Spanned<usize>>,
    #[serde(default)]
    adaptive_complexity: bool,
}

impl Default for RawMedia {
    fn default() -> Self {
        Self {
            address: default_media_addr(),
            advertised_address: None,
            port_min: default_port_min(),
            port_max: default_port_max(),
            timeout_secs: default_media_timeout(),
            threads: None,
            adaptive_complexity: false,
        }
    }
}

fn default_media_addr() -> Spanned<String> {
    Spanned::new(0..0, "127.0.0.1".to_owned())
}
fn default_port_min() -> Spanned<u16> {
    Spanned::new(0..0, 20000)
}
fn default_port_max() -> Spanned<u16> {
    Spanned::new(0..0, 29999)
}
fn default_media_timeout() -> u64 {
    60
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    #[serde(default = "default_log_level")]
    level: String,
    #[serde(default = "default_true")]
    redact: bool,
}

impl Default for RawLog {
    fn default() -> Self {
        Self {
            level: default_log_level(),
            redact: true,
        }
    }
}

fn default_log_level() -> String {
    "info".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    #[serde(default)]
    listen: Vec<Spanned<String>>,
    #[serde(default = "default_ws_path")]
    ws_path: Spanned<String>,
    #[serde(default = "default_static_dir")]
    static_dir: Spanned<String>,
}

impl Default for RawHttp {
    fn default() -> Self {
        Self {
            listen: Vec::new(),
            ws_path: default_ws_path(),
            static_dir: default_static_dir(),
        }
    }
}

fn default_ws_path() -> Spanned<String> {
    Spanned::new(0..0, "/ws".to_owned())
}
fn default_static_dir() -> Spanned<String> {
    Spanned::new(0..0, "web/dist".to_owned())
}
fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrunk {
    name: Spanned<String>,
    #[serde(default)]
    address: Option<Spanned<String>>,
    #[serde(default)]
    inbound_from: Vec<Spanned<String>>,
    #[serde(default = "default_transport")]
    transport: TrunkTransport,
    #[serde(default = "default_codecs")]
    codecs: Vec<Spanned<String>>,
    #[serde(default)]
    transcode: TranscodePolicy,
    #[serde(default)]
    opus: Option<Spanned<OpusConfig>>,
    #[serde(default)]
    inband_dtmf: bool,
    #[serde(default)]
    outbound_auth: Option<Credentials>,
    #[serde(default)]
    inbound_auth: Option<Credentials>,
    #[serde(default)]
    register: Option<Spanned<RawRegister>>,
}

fn default_transport() -> TrunkTransport {
    TrunkTransport::Udp
}
fn default_codecs() -> Vec<Spanned<String>> {
    ["PCMU", "PCMA", "telephone-event"]
        .iter()
        .map(|s| Spanned::new(0..0, (*s).to_owned()))
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegister {
    #[serde(default = "default_reg_expires")]
    expires: u32,
    #[serde(default)]
    registrar: Option<Spanned<String>>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    domain: Option<String>,
}

fn default_reg_expires() -> u32 {
    3600
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNumber {
    number: Spanned<String>,
    #[serde(default)]
    forward: Option<Spanned<RawForward>>,
    #[serde(default)]
    ring: Option<Spanned<RawRing>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForward {
    trunk: Spanned<String>,
    to: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRing {
    agent: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    username: Spanned<String>,
    password: Spanned<String>,
    #[serde(default)]
    display_name: Option<Spanned<String>>,
    #[serde(default)]
    outbound_trunk: Option<Spanned<String>>,
}

// ----- checking -----

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: std::ops::Range<usize>, reason: impl fmt::Display) -> ConfigError {
        let (line, column) = line_col(self.text, span.start);
        ConfigError {
            file: self.file.to_owned(),
            line,
            column,
            reason: reason.to_string(),
        }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    (line, col)
}

/// Parses and checks a configuration document.
pub fn parse_str(text: &str, file: &str) -> Result<Config, ConfigError> {
    let ctx = Ctx { file, text };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        ctx.err(span, e.message().trim())
    })?;

    let sip = check_sip(&ctx, raw.sip)?;
    let media = check_media(&ctx, raw.media)?;
    let http = check_http(&ctx, raw.http, &sip)?;
    let log = LogSettings {
        level: raw.log.level,
        redact: raw.log.redact,
    };

    let mut trunks: Vec<Trunk> = Vec::new();
    let mut names = HashSet::new();
    for t in raw.trunks {
        let span = t.span();
        let t = t.into_inner();
        let name = t.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return Err(ctx.err(t.name.span(), "trunk name is empty"));
        }
        if !names.insert(name.clone()) {
            return Err(ctx.err(t.name.span(), format!("duplicate trunk name {name:?}")));
        }
        let (address, host) = match &t.address {
            Some(a) => {
                let (sa, host) = resolve(&ctx, a, 5060)?;
                (Some(sa), host)
            }
            None => (None, String::new()),
        };
        let mut inbound_from = Vec::new();
        for n in &t.inbound_from {
            inbound_from.push(IpNet::parse(n.get_ref()).ok_or_else(|| {
                ctx.err(
                    n.span(),
                    format!("{:?} is not an IP address or IP/prefix", n.get_ref()),
                )
            })?);
        }
        match (address, inbound_from.is_empty()) {
            (None, true) => {
                return Err(ctx.err(span, "trunk needs an address, inbound_from, or both"));
            }
            (Some(a), true) => inbound_from.push(IpNet::host(a.ip())),
            _ => {}
        }
        let mut codecs = Vec::new();
        for c in &t.codecs {
            let codec = CodecName::parse(c.get_ref()).ok_or_else(|| {
                ctx.err(
                    c.span(),
                    format!(
                        "unknown codec {:?}; expected PCMU, PCMA, opus or telephone-event",
                        c.get_ref()
                    ),
                )
            })?;
            if !codecs.contains(&codec) {
                codecs.push(codec);
            }
        }
        if !codecs.iter().any(|c| *c != CodecName::TelephoneEvent) {
            return Err(ctx.err(span, "trunk needs at least one audio codec"));
        }
        let opus = match t.opus {
            None => OpusConfig::default(),
            Some(o) => {
                let ospan = o.span();
                let o = o.into_inner();
                if o.complexity > 10 {
                    return Err(ctx.err(ospan, "opus.complexity must be 0 to 10"));
                }
                if !(6_000..=510_000).contains(&o.bitrate) {
                    return Err(ctx.err(ospan, "opus.bitrate must be 6000 to 510000 bit/s"));
                }
                o
            }
        };
        let register = match t.register {
            None => None,
            Some(r) => {
                let rspan = r.span();
                let r = r.into_inner();
                let registrar = match (&r.registrar, address) {
                    (Some(s), _) => resolve(&ctx, s, 5060)?.0,
                    (None, Some(a)) => a,
                    (None, None) => {
                        return Err(
                            ctx.err(rspan, "register needs `registrar` or the trunk's address")
                        );
                    }
                };
                let user = match (&r.user, &t.outbound_auth) {
                    (Some(u), _) => u.clone(),
                    (None, Some(c)) => c.username.clone(),
                    (None, None) => {
                        return Err(ctx.err(
                            rspan,
                            "register needs `user` or the trunk's outbound_auth username",
                        ));
                    }
                };
                if r.expires == 0 {
                    return Err(ctx.err(rspan, "register.expires must be above 0"));
                }
                Some(Registration {
                    expires: r.expires,
                    registrar,
                    user,
                    domain: r.domain.unwrap_or_else(|| host.clone()),
                })
            }
        };
        trunks.push(Trunk {
            name,
            address,
            host,
            inbound_from,
            transport: t.transport,
            codecs,
            transcode: t.transcode,
            opus,
            inband_dtmf: t.inband_dtmf,
            outbound_auth: t.outbound_auth,
            inbound_auth: t.inbound_auth,
            register,
        });
    }

    let agents = check_agents(&ctx, raw.agents, &trunks)?;

    let mut numbers = NumberPlan::new();
    for n in raw.numbers {
        let span = n.span();
        let n = n.into_inner();
        let number: E164 = n
            .number
            .get_ref()
            .parse()
            .map_err(|e| ctx.err(n.number.span(), format!("number: {e}")))?;
        let destination = match (n.forward, n.ring) {
            (Some(_), Some(ring)) => {
                return Err(ctx.err(
                    ring.span(),
                    "a number has either `forward` or `ring`, not both",
                ));
            }
            (None, None) => {
                return Err(ctx.err(
                    span,
                    "a number needs `forward = { trunk, to }` or `ring = { agent }`",
                ));
            }
            (None, Some(ring)) => {
                let ring = ring.into_inner();
                let agent = ring.agent.get_ref().trim();
                if !agents.contains(agent) {
                    return Err(ctx.err(ring.agent.span(), format!("no agent named {agent:?}")));
                }
                Destination::Agent {
                    agent: agent.to_owned(),
                }
            }
            (Some(fwd), None) => {
                let fwd = fwd.into_inner();
                let trunk = fwd.trunk.get_ref().trim();
                match trunks.iter().find(|t| t.name == trunk) {
                    None => {
                        return Err(ctx.err(fwd.trunk.span(), format!("no trunk named {trunk:?}")));
                    }
                    Some(t) if t.address.is_none() => {
                        return Err(ctx.err(
                            fwd.trunk.span(),
                            format!("trunk {trunk:?} has no address to forward calls to"),
                        ));
                    }
                    Some(_) => {}
                }
                let to: E164 = fwd
                    .to
                    .get_ref()
                    .parse()
                    .map_err(|e| ctx.err(fwd.to.span(), format!("forward.to: {e}")))?;
                Destination::Forward {
                    trunk: trunk.to_owned(),
                    to,
                }
            }
        };
        if numbers.insert(number.clone(), destination).is_some() {
            return Err(ctx.err(n.number.span(), format!("number {number} is defined twice")));
        }
    }

    Ok(Config {
        source: file.to_owned(),
        sip,
        media,
        log,
        http,
        trunks,
        numbers,
        agents,
    })
}

/// Checks `[[agents]]`: user names usable as a SIP user part and unique,
/// passwords not empty, outbound trunks that exist and have an address.
fn check_agents(
    ctx: &Ctx<'_>,
    raw: Vec<Spanned<RawAgent>>,
    trunks: &[Trunk],
) -> Result<AgentDirectory, ConfigError> {
    let mut agents = AgentDirectory::new();
    for a in raw {
        let a = a.into_inner();
        let username = a.username.get_ref().trim();
        if username.is_empty() {
            return Err(ctx.err(a.username.span(), "agent username is empty"));
        }
        // RFC 3261 `unreserved` characters only: the name is written
        // unescaped into SIP URIs and digest headers.
        if let Some(c) = username
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-_.!~*'()".contains(*c)))
        {
            return Err(ctx.err(
                a.username.span(),
                format!(
                    "agent username {username:?} has {c:?}; use letters, digits and - _ . ! ~ * ' ( )"
                ),
            ));
        }
        if agents.contains(username) {
            return Err(ctx.err(
                a.username.span(),
                format!("duplicate agent username {username:?}"),
            ));
        }
        if a.password.get_ref().is_empty() {
            return Err(ctx.err(
                a.password.span(),
                format!("agent {username:?} has an empty password"),
            ));
        }
        let display_name = match &a.display_name {
            Some(d) if d.get_ref().chars().any(char::is_control) => {
                return Err(ctx.err(d.span(), "display_name has control characters"));
            }
            Some(d) if !d.get_ref().trim().is_empty() => d.get_ref().trim().to_owned(),
            _ => username.to_owned(),
        };
        let outbound_trunk = match &a.outbound_trunk {
            None => None,
            Some(t) => {
                let name = t.get_ref().trim();
                match trunks.iter().find(|tr| tr.name == name) {
                    None => return Err(ctx.err(t.span(), format!("no trunk named {name:?}"))),
                    Some(tr) if tr.address.is_none() => {
                        return Err(ctx.err(
                            t.span(),
                            format!("trunk {name:?} has no address to send calls to"),
                        ));
                    }
                    Some(_) => Some(name.to_owned()),
                }
            }
        };
        agents.insert(Agent {
            username: username.to_owned(),
            display_name,
            password: a.password.into_inner(),
            outbound_trunk,
        });
    }
    Ok(agents)
}

fn check_http(ctx: &Ctx<'_>, raw: RawHttp, sip: &SipSettings) -> Result<HttpSettings, ConfigError> {
    let mut listen: Vec<SocketAddr> = Vec::new();
    for s in &raw.listen {
        let addr = s.get_ref().trim().parse::<SocketAddr>().map_err(|_| {
            ctx.err(
                s.span(),
                format!("{:?} is not an IP:port to listen on", s.get_ref()),
            )
        })?;
        if addr.port() != 0 && listen.contains(&addr) {
            return Err(ctx.err(s.span(), format!("http.listen has {addr} twice")));
        }
        if addr.port() != 0 && sip.tcp.contains(&addr) {
            return Err(ctx.err(
                s.span(),
                format!("http.listen {addr} is also a sip.tcp listener"),
            ));
        }
        listen.push(addr);
    }
    let ws_path = raw.ws_path.get_ref().trim().to_owned();
    let path_ok = ws_path.len() > 1
        && ws_path.starts_with('/')
        && !ws_path.ends_with('/')
        && ws_path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b));
    if !path_ok {
        return Err(ctx.err(
            raw.ws_path.span(),
            format!(
                "ws_path {ws_path:?} must be an absolute path like \"/ws\" (letters, digits, - . _ ~ and /)"
            ),
        ));
    }
    if ws_path == "/phone" || ws_path.starts_with("/phone/") {
        return Err(ctx.err(
            raw.ws_path.span(),
            "ws_path must not be under /phone (the softphone page)",
        ));
    }
    let static_dir = raw.static_dir.get_ref().trim();
    if static_dir.is_empty() {
        return Err(ctx.err(raw.static_dir.span(), "static_dir is empty"));
    }
    Ok(HttpSettings {
        listen,
        ws_path,
        static_dir: PathBuf::from(static_dir),
    })
}

fn check_sip(ctx: &Ctx<'_>, raw: RawSip) -> Result<SipSettings, ConfigError> {
    let parse_listen = |v: &Vec<Spanned<String>>| -> Result<Vec<SocketAddr>, ConfigError> {
        v.iter()
            .map(|s| {
                s.get_ref().trim().parse::<SocketAddr>().map_err(|_| {
                    ctx.err(
                        s.span(),
                        format!("{:?} is not an IP:port to listen on", s.get_ref()),
                    )
                })
            })
            .collect()
    };
    let udp = parse_listen(&raw.udp)?;
    let tcp = parse_listen(&raw.tcp)?;
    if udp.is_empty() && tcp.is_empty() {
        return Err(ctx.err(0..0, "sip: no udp or tcp listener configured"));
    }
    let advertised_address = match raw.advertised_address {
        Some(a) => Some(parse_ip(ctx, &a)?),
        None => None,
    };
    let ms = |v: &Spanned<u64>, what: &str, min: u64, max: u64| {
        let x = *v.get_ref();
        if x < min || x > max {
            Err(ctx.err(
                v.span(),
                format!("{what} must be between {min} and {max} ms"),
            ))
        } else {
            Ok(Duration::from_millis(x))
        }
    };
    let t1 = ms(&raw.t1_ms, "t1_ms", 10, 10_000)?;
    let t2 = ms(&raw.t2_ms, "t2_ms", 100, 60_000)?;
    let t4 = ms(&raw.t4_ms, "t4_ms", 100, 60_000)?;
    if t2 < t1 {
        return Err(ctx.err(raw.t2_ms.span(), "t2_ms must not be below t1_ms"));
    }
    let na = *raw.no_answer_timeout_secs.get_ref();
    if !(1..=3600).contains(&na) {
        return Err(ctx.err(
            raw.no_answer_timeout_secs.span(),
            "no_answer_timeout_secs must be between 1 and 3600",
        ));
    }
    Ok(SipSettings {
        udp,
        tcp,
        advertised_address,
        user_agent: raw.user_agent,
        t1,
        t2,
        t4,
        no_answer_timeout: Duration::from_secs(na),
    })
}

fn check_media(ctx: &Ctx<'_>, raw: RawMedia) -> Result<MediaSettings, ConfigError> {
    let address = parse_ip(ctx, &raw.address)?;
    let advertised_address = match raw.advertised_address {
        Some(a) => Some(parse_ip(ctx, &a)?),
        None => None,
    };
    let (min, max) = (*raw.port_min.get_ref(), *raw.port_max.get_ref());
    if min < 1024 {
        return Err(ctx.err(raw.port_min.span(), "port_min must be 1024 or above"));
    }
    if max <= min || max - min < 3 {
        return Err(ctx.err(
            raw.port_max.span(),
            "port_max must leave room for at least two port pairs above port_min",
        ));
    }
    let threads = match raw.threads {
        Some(t) => {
            let n = *t.get_ref();
            if !(1..=256).contains(&n) {
                return Err(ctx.err(t.span(), "media.threads must be between 1 and 256"));
            }
            n
        }
        // One per core: measured on 2 cores, one thread alone saturates at
        // 1,000 calls (p99 24 ms) where two keep p99 under 1 ms
        // (docs/benchmarks.md).
        None => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    };
    Ok(MediaSettings {
        address,
        advertised_address,
        port_min: min,
        port_max: max,
        timeout: (raw.timeout_secs > 0).then(|| Duration::from_secs(raw.timeout_secs)),
        threads,
        adaptive_complexity: raw.adaptive_complexity,
    })
}

fn parse_ip(ctx: &Ctx<'_>, s: &Spanned<String>) -> Result<IpAddr, ConfigError> {
    s.get_ref()
        .trim()
        .parse()
        .map_err(|_| ctx.err(s.span(), format!("{:?} is not an IP address", s.get_ref())))
}

/// Resolves `host[:port]` (IPv6 in brackets) to a socket address, keeping the
/// host as written for URIs.
fn resolve(
    ctx: &Ctx<'_>,
    s: &Spanned<String>,
    default_port: u16,
) -> Result<(SocketAddr, String), ConfigError> {
    let text = s.get_ref().trim();
    if let Ok(sa) = text.parse::<SocketAddr>() {
        return Ok((sa, host_for_uri(sa.ip())));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok((SocketAddr::new(ip, default_port), host_for_uri(ip)));
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => {
            let port = p
                .parse::<u16>()
                .map_err(|_| ctx.err(s.span(), format!("bad port in {text:?}")))?;
            (h, port)
        }
        _ => (text, default_port),
    };
    if host.is_empty() {
        return Err(ctx.err(s.span(), "address is empty"));
    }
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| ctx.err(s.span(), format!("cannot resolve {host:?}: {e}")))?
        .next()
        .ok_or_else(|| ctx.err(s.span(), format!("{host:?} has no address")))?;
    Ok((addr, host.to_owned()))
}

fn host_for_uri(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// An IP network (`192.0.2.0/24`, `2001:db8::/32`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// One address.
    pub fn host(addr: IpAddr) -> Self {
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        Self { addr, prefix }
    }

    /// Parses `IP` or `IP/prefix`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        match s.split_once('/') {
            None => s.parse().ok().map(Self::host),
            Some((a, p)) => {
                let addr: IpAddr = a.parse().ok()?;
                let prefix: u8 = p.parse().ok()?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                (prefix <= max).then_some(Self { addr, prefix })
            }
        }
    }

    /// Whether `ip` is inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let c = Config::defaults();
        assert_eq!(
            c.sip.udp,
            vec!["127.0.0.1:5060".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(c.media.port_min, 20000);
        assert!(c.trunks.is_empty());
        assert!(c.numbers.is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let text = "[media]\nport_min = 20000\nport_max = 20001\n";
        let e = parse_str(text, "x.toml").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.to_string().starts_with("x.toml:3:"), "{e}");

        let text = "[[trunks]]\nname = \"a\"\naddress = \"127.0.0.1:5090\"\ncodecs = [\"PCMU\", \"G729\"]\n";
        let e = parse_str(text, "t.toml").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.reason.contains("G729"), "{e}");

        let text = "[sip]\nudpp = []\n";
        let e = parse_str(text, "u.toml").unwrap_err();
        assert_eq!(e.line, 2, "{e}");

        let text = "[[trunks]]\nname = \"a\"\naddress = \"127.0.0.1\"\n[[numbers]]\nnumber = \"+15550100\"\nforward = { trunk = \"b\", to = \"+1555\" }\n";
        let e = parse_str(text, "n.toml").unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(e.reason.contains("no trunk named"), "{e}");
    }
}

#[cfg(test)]
mod net_tests {
    use super::*;

    #[test]
    fn ipnet_contains() {
        let n = IpNet::parse("10.1.0.0/16").unwrap();
        assert!(n.contains("10.1.2.3".parse().unwrap()));
        assert!(!n.contains("10.2.0.1".parse().unwrap()));
        assert!(
            IpNet::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            IpNet::parse("::1")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
        assert!(IpNet::parse("10.0.0.0/33").is_none());
    }
}

#[cfg(test)]
mod http_tests {
    use super::*;

    #[test]
    fn http_is_off_by_default() {
        let c = Config::defaults();
        assert!(c.http.listen.is_empty());
        assert_eq!(c.http.ws_path, "/ws");
        assert_eq!(c.http.static_dir, PathBuf::from("web/dist"));
    }

    #[test]
    fn http_section_is_read() {
        let text = "[http]\nlisten = [\"127.0.0.1:8080\", \"[::1]:8080\"]\nws_path = \"/sip\"\nstatic_dir = \"/srv/phone\"\n";
        let c = parse_str(text, "h.toml").unwrap();
        assert_eq!(
            c.http.listen,
            vec![
                "127.0.0.1:8080".parse::<SocketAddr>().unwrap(),
                "[::1]:8080".parse().unwrap()
            ]
        );
        assert_eq!(c.http.ws_path, "/sip");
        assert_eq!(c.http.static_dir, PathBuf::from("/srv/phone"));
    }

    #[test]
    fn http_errors_name_the_line() {
        let cases = [
            (
                "[http]\nlisten = [\"localhost:8080\"]\n",
                2,
                "not an IP:port",
            ),
            ("[http]\nws_path = \"ws\"\n", 2, "absolute path"),
            ("[http]\nws_path = \"/ws?x=1\"\n", 2, "absolute path"),
            ("[http]\nws_path = \"/phone/ws\"\n", 2, "under /phone"),
            ("[http]\n\nstatic_dir = \"\"\n", 3, "static_dir is empty"),
            (
                "[http]\nlisten = [\"127.0.0.1:8080\",\n  \"127.0.0.1:8080\"]\n",
                3,
                "twice",
            ),
            (
                "[sip]\ntcp = [\"127.0.0.1:5060\"]\n[http]\nlisten = [\"127.0.0.1:5060\"]\n",
                4,
                "also a sip.tcp listener",
            ),
            ("[http]\nport = 8080\n", 2, "unknown field"),
        ];
        for (text, line, reason) in cases {
            let e = parse_str(text, "h.toml").unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.reason.contains(reason), "{text:?}: {e}");
        }
    }
}

#[cfg(test)]
mod agent_tests {
    use super::*;

    const TRUNK: &str = "[[trunks]]\nname = \"pstn\"\naddress = \"127.0.0.1:5090\"\n";

    fn err(text: &str) -> ConfigError {
        parse_str(text, "a.toml").unwrap_err()
    }

    #[test]
    fn agents_and_a_number_that_rings_one() {
        let text = format!(
            "{TRUNK}\
             [[agents]]\n\
             username = \"alice\"\n\
             password = \"alice-secret\"\n\
             display_name = \"Alice Example\"\n\
             outbound_trunk = \"pstn\"\n\
             [[agents]]\n\
             username = \"bob\"\n\
             password = \"b\"\n\
             [[numbers]]\n\
             number = \"+15550100\"\n\
             ring = {{ agent = \"alice\" }}\n\
             [[numbers]]\n\
             number = \"+15550101\"\n\
             forward = {{ trunk = \"pstn\", to = \"+15550199\" }}\n"
        );
        let c = parse_str(&text, "a.toml").unwrap();
        assert_eq!(c.agents.len(), 2);
        let alice = c.agents.get("alice").unwrap();
        assert_eq!(alice.display_name, "Alice Example");
        assert_eq!(alice.password, "alice-secret");
        assert_eq!(alice.outbound_trunk.as_deref(), Some("pstn"));
        let bob = c.agents.get("bob").unwrap();
        assert_eq!(
            bob.display_name, "bob",
            "display name defaults to the username"
        );
        assert_eq!(bob.outbound_trunk, None);
        assert_eq!(
            c.numbers.route("+15550100"),
            Ok(&Destination::Agent {
                agent: "alice".into()
            })
        );
        assert!(matches!(
            c.numbers.route("+15550101"),
            Ok(Destination::Forward { .. })
        ));
        assert!(Config::defaults().agents.is_empty());
    }

    #[test]
    fn duplicate_username_names_the_second() {
        let e = err("[[agents]]\nusername = \"alice\"\npassword = \"x\"\n\
                     [[agents]]\nusername = \"alice\"\npassword = \"y\"\n");
        assert_eq!((e.line, e.column), (5, 12), "{e}");
        assert!(
            e.reason.contains("duplicate agent username \"alice\""),
            "{e}"
        );
    }

    #[test]
    fn bad_agent_fields() {
        let e = err("[[agents]]\nusername = \"al ice\"\npassword = \"x\"\n");
        assert_eq!(e.line, 2, "{e}");
        assert!(e.reason.contains("' '"), "{e}");
        let e = err("[[agents]]\nusername = \"  \"\npassword = \"x\"\n");
        assert_eq!(e.line, 2, "{e}");
        assert!(e.reason.contains("empty"), "{e}");
        let e = err("[[agents]]\nusername = \"alice\"\npassword = \"\"\n");
        assert_eq!(e.line, 3, "{e}");
        assert!(e.reason.contains("empty password"), "{e}");
        let e = err("[[agents]]\nusername = \"alice\"\n");
        assert!(e.reason.contains("password"), "{e}");
        let e = err("[[agents]]\nusername = \"alice\"\npassword = \"x\"\ncolour = \"red\"\n");
        assert_eq!(e.line, 4, "{e}");
        let e =
            err("[[agents]]\nusername = \"alice\"\npassword = \"x\"\ndisplay_name = \"A\\nB\"\n");
        assert_eq!(e.line, 4, "{e}");
        assert!(e.reason.contains("control"), "{e}");
    }

    #[test]
    fn outbound_trunk_must_exist_and_have_an_address() {
        let e =
            err("[[agents]]\nusername = \"alice\"\npassword = \"x\"\noutbound_trunk = \"nope\"\n");
        assert_eq!(e.line, 4, "{e}");
        assert!(e.reason.contains("no trunk named \"nope\""), "{e}");
        let e = err(
            "[[trunks]]\nname = \"in\"\ninbound_from = [\"10.0.0.0/8\"]\n\
                     [[agents]]\nusername = \"alice\"\npassword = \"x\"\noutbound_trunk = \"in\"\n",
        );
        assert_eq!(e.line, 7, "{e}");
        assert!(e.reason.contains("no address"), "{e}");
    }

    #[test]
    fn number_needs_exactly_one_destination() {
        let agent = "[[agents]]\nusername = \"alice\"\npassword = \"x\"\n";
        let e = err(&format!(
            "{TRUNK}{agent}[[numbers]]\nnumber = \"+15550100\"\n\
             forward = {{ trunk = \"pstn\", to = \"+15550199\" }}\nring = {{ agent = \"alice\" }}\n"
        ));
        assert_eq!(e.line, 10, "{e}");
        assert!(e.reason.contains("not both"), "{e}");
        let e = err(&format!(
            "{TRUNK}{agent}[[numbers]]\nnumber = \"+15550100\"\n"
        ));
        assert_eq!(e.line, 7, "{e}");
        assert!(e.reason.contains("needs"), "{e}");
        let e = err(&format!(
            "{TRUNK}{agent}[[numbers]]\nnumber = \"+15550100\"\nring = {{ agent = \"bob\" }}\n"
        ));
        assert_eq!(e.line, 9, "{e}");
        assert!(e.reason.contains("no agent named \"bob\""), "{e}");
        let e = err(&format!(
            "{TRUNK}{agent}[[numbers]]\nnumber = \"+15550100\"\nring = {{ agent = \"alice\", team = \"x\" }}\n"
        ));
        assert_eq!(e.line, 9, "{e}");
        // The same number once forwarded and once ringing is still a duplicate.
        let e = err(&format!(
            "{TRUNK}{agent}[[numbers]]\nnumber = \"+15550100\"\nring = {{ agent = \"alice\" }}\n\
             [[numbers]]\nnumber = \"+15550100\"\nforward = {{ trunk = \"pstn\", to = \"+15550199\" }}\n"
        ));
        assert_eq!(e.line, 11, "{e}");
        assert!(e.reason.contains("defined twice"), "{e}");
    }

    #[test]
    fn agents_may_come_before_the_trunks_they_use() {
        let text = format!(
            "[[agents]]\nusername = \"alice\"\npassword = \"x\"\noutbound_trunk = \"pstn\"\n{TRUNK}"
        );
        let c = parse_str(&text, "a.toml").unwrap();
        assert_eq!(
            c.agents.get("alice").unwrap().outbound_trunk.as_deref(),
            Some("pstn")
        );
    }
}
