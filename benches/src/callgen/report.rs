//! The summary callgen prints: human-readable text or one JSON object.

use std::fmt::{self, Write as _};

use super::codec::CodecKind;
use super::media::{Mode, ReceiverReport};
use super::procfs::UdpErrors;
use super::sip::{SipResults, Snapshot};
use super::stats::{Histogram, LossTally, ms, us};

/// A JSON object built by hand (flat values and nested objects only).
#[derive(Debug, Default)]
pub struct Obj(Vec<(&'static str, String)>);

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Obj {
    /// An integer.
    pub fn int(mut self, k: &'static str, v: u64) -> Self {
        self.0.push((k, v.to_string()));
        self
    }

    /// A number (`null` when not finite).
    pub fn num(mut self, k: &'static str, v: f64) -> Self {
        let v = if v.is_finite() {
            format!("{}", (v * 1000.0).round() / 1000.0)
        } else {
            "null".to_owned()
        };
        self.0.push((k, v));
        self
    }

    /// An optional number.
    pub fn opt(self, k: &'static str, v: Option<f64>) -> Self {
        match v {
            Some(v) => self.num(k, v),
            None => self.null(k),
        }
    }

    /// `null`.
    pub fn null(mut self, k: &'static str) -> Self {
        self.0.push((k, "null".to_owned()));
        self
    }

    /// A string.
    pub fn str(mut self, k: &'static str, v: &str) -> Self {
        self.0.push((k, escape(v)));
        self
    }

    /// A boolean.
    pub fn bool(mut self, k: &'static str, v: bool) -> Self {
        self.0.push((k, v.to_string()));
        self
    }

    /// A nested object.
    pub fn obj(mut self, k: &'static str, v: Obj) -> Self {
        self.0.push((k, v.to_string()));
        self
    }

    /// A nested object with arbitrary keys and integer values.
    pub fn map(mut self, k: &'static str, v: impl IntoIterator<Item = (String, u64)>) -> Self {
        let body: Vec<String> = v
            .into_iter()
            .map(|(k, n)| format!("{}:{n}", escape(&k)))
            .collect();
        self.0.push((k, format!("{{{}}}", body.join(","))));
        self
    }
}

impl fmt::Display for Obj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}:{v}", escape(k))?;
        }
        f.write_str("}")
    }
}

/// Everything the run measured, ready to print.
#[derive(Debug)]
pub struct Summary {
    /// What was run (the command line, for the record).
    pub command: String,
    /// Relay (same codec both sides) or transcoding.
    pub mode: Mode,
    /// The codec the caller offered and sent.
    pub caller_codec: CodecKind,
    /// The codec the far end answered with and sent.
    pub callee_codec: CodecKind,
    /// Signalling results (`None` for a baseline run).
    pub sip: Option<SipResults>,
    /// Media was sent.
    pub media: bool,
    /// Latency histograms.
    pub rx: ReceiverReport,
    /// Packets that matched no live stream.
    pub stray: u64,
    /// Sends that failed.
    pub send_errors: u64,
    /// Sender ticks more than 2 ms late and the worst lag (ns).
    pub sender_late: (u64, u64),
    /// Baseline runs: the loss tally (SIP runs carry theirs in `sip`).
    pub baseline_loss: Option<LossTally>,
    /// Baseline runs: duplicates and late packets.
    pub baseline_dup_late: (u64, u64),
    /// Baseline runs: streams and wall time in seconds.
    pub baseline_streams: (u64, f64),
    /// Baseline runs: callgen's CPU, % of one core.
    pub baseline_cpu: Option<f64>,
    /// Host-wide UDP buffer drops during the run.
    pub udp_errors: Option<UdpErrors>,
}

/// Resource figures derived from snapshots.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resources {
    /// Gateway CPU % of one core over the whole run.
    pub gw_cpu_run: Option<f64>,
    /// Gateway CPU % of one core while every call was up.
    pub gw_cpu_steady: Option<f64>,
    /// The same per call up.
    pub gw_cpu_per_call: Option<f64>,
    /// Gateway RSS before the first call, KiB.
    pub gw_rss_idle: Option<u64>,
    /// Gateway RSS at the end of the steady state, KiB.
    pub gw_rss_steady: Option<u64>,
    /// (steady - idle) / calls up, KiB.
    pub gw_rss_per_call: Option<f64>,
    /// Highest sampled gateway RSS, KiB.
    pub gw_rss_max: Option<u64>,
    /// Gateway VmHWM at the end, KiB.
    pub gw_hwm: Option<u64>,
    /// callgen CPU % of one core over the run.
    pub own_cpu_run: Option<f64>,
    /// callgen CPU % of one core in the steady state.
    pub own_cpu_steady: Option<f64>,
    /// Calls up in the steady state.
    pub steady_calls: Option<u32>,
    /// Length of the steady state, s.
    pub steady_secs: Option<f64>,
}

fn cpu(a: &Option<Snapshot>, b: &Option<Snapshot>, own: bool) -> Option<f64> {
    let (a, b) = (a.as_ref()?, b.as_ref()?);
    let (x, y) = if own {
        (a.own?, b.own?)
    } else {
        (a.gateway?, b.gateway?)
    };
    Some(x.pct_of_core_until(&y))
}

impl Resources {
    /// Derives the figures from a run's snapshots.
    pub fn of(r: &SipResults) -> Self {
        let steady_calls = r.steady_start.map(|s| s.calls_up).filter(|&n| n > 0);
        let gw_cpu_steady = cpu(&r.steady_start, &r.steady_end, false);
        let gw_rss_idle = r.idle.and_then(|s| s.gateway_rss_kib);
        let gw_rss_steady = r.steady_end.and_then(|s| s.gateway_rss_kib);
        let steady_secs = match (r.steady_start, r.steady_end) {
            (Some(a), Some(b)) => a
                .own
                .zip(b.own)
                .map(|(x, y)| y.at.saturating_duration_since(x.at).as_secs_f64()),
            _ => None,
        };
        Self {
            gw_cpu_run: cpu(&r.start, &r.end, false),
            gw_cpu_steady,
            gw_cpu_per_call: gw_cpu_steady
                .zip(steady_calls)
                .map(|(c, n)| c / f64::from(n)),
            gw_rss_idle,
            gw_rss_steady,
            gw_rss_per_call: match (gw_rss_idle, gw_rss_steady, steady_calls) {
                (Some(i), Some(s), Some(n)) => Some((s as f64 - i as f64) / f64::from(n)),
                _ => None,
            },
            gw_rss_max: r.gateway_rss_max_kib,
            gw_hwm: r.gateway_hwm_kib,
            own_cpu_run: cpu(&r.start, &r.end, true),
            own_cpu_steady: cpu(&r.steady_start, &r.steady_end, true),
            steady_calls,
            steady_secs,
        }
    }
}

/// INVITEs per second from the first to the last one.
fn launch_rate(s: &SipResults) -> f64 {
    let span = s.launch_span.as_secs_f64();
    if s.attempted < 2 || span <= 0.0 {
        0.0
    } else {
        (s.attempted - 1) as f64 / span
    }
}

fn latency_obj(h: &Histogram) -> Obj {
    Obj::default()
        .int("count", h.count())
        .num("min", us(h.min()))
        .num("p50", us(h.quantile(0.50)))
        .num("p90", us(h.quantile(0.90)))
        .num("p99", us(h.quantile(0.99)))
        .num("p999", us(h.quantile(0.999)))
        .num("max", us(h.max()))
        .num("mean", us(h.mean()))
}

fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}{unit}"))
}

fn fmt_kib(v: Option<u64>) -> String {
    v.map_or_else(
        || "n/a".to_owned(),
        |v| format!("{:.1} MiB", v as f64 / 1024.0),
    )
}

impl Summary {
    fn loss(&self) -> (LossTally, u64, u64) {
        match (&self.sip, &self.baseline_loss) {
            (Some(s), _) => (s.loss, s.duplicates, s.late),
            (None, Some(l)) => (*l, self.baseline_dup_late.0, self.baseline_dup_late.1),
            (None, None) => (Default::default(), 0, 0),
        }
    }

    /// Loss in percent of packets sent.
    pub fn loss_pct(&self) -> f64 {
        self.loss().0.loss_pct()
    }

    /// RTP packets sent.
    pub fn packets_sent(&self) -> u64 {
        self.loss().0.sent
    }

    /// Calls that failed.
    pub fn failed(&self) -> u64 {
        self.sip.as_ref().map_or(0, SipResults::failed_total)
    }

    /// The summary as one JSON object.
    pub fn to_json(&self) -> String {
        let (loss, dups, late) = self.loss();
        let mut root = Obj::default()
            .str("command", &self.command)
            .str("mode", self.mode.name())
            .str("caller_codec", self.caller_codec.name())
            .str("callee_codec", self.callee_codec.name());
        if let Some(s) = &self.sip {
            let res = Resources::of(s);
            let calls = Obj::default()
                .int("attempted", s.attempted)
                .int("answered", s.answered)
                .int("completed", s.completed)
                .int("failed", s.failed_total())
                .map(
                    "failed_by_reason",
                    s.failed.iter().map(|(k, v)| (k.clone(), *v)),
                )
                .int("peak_up", u64::from(s.peak_up))
                .num("wall_s", s.wall.as_secs_f64())
                .num("launch_rate_per_s", launch_rate(s))
                .int("far_invites", s.far_invites)
                .int("far_byes", s.far_byes)
                .int("far_without_bye", s.far_without_bye)
                .int("far_rejected_488", s.far_rejected)
                .int("no_media_slot", s.no_slot);
            let setup = Obj::default()
                .int("count", s.setup.count())
                .num("p50", ms(s.setup.quantile(0.50)))
                .num("p90", ms(s.setup.quantile(0.90)))
                .num("p99", ms(s.setup.quantile(0.99)))
                .num("max", ms(s.setup.max()))
                .num("mean", ms(s.setup.mean()));
            let gw = Obj::default()
                .opt("cpu_pct_run", res.gw_cpu_run)
                .opt("cpu_pct_steady", res.gw_cpu_steady)
                .opt("cpu_pct_per_call", res.gw_cpu_per_call)
                .opt("rss_idle_kib", res.gw_rss_idle.map(|v| v as f64))
                .opt("rss_steady_kib", res.gw_rss_steady.map(|v| v as f64))
                .opt("rss_per_call_kib", res.gw_rss_per_call)
                .opt("rss_max_sampled_kib", res.gw_rss_max.map(|v| v as f64))
                .opt("vmhwm_kib", res.gw_hwm.map(|v| v as f64));
            let steady = Obj::default()
                .opt("calls", res.steady_calls.map(f64::from))
                .opt("seconds", res.steady_secs)
                .opt(
                    "relayed_packets_per_s",
                    res.steady_calls
                        .filter(|_| self.media)
                        .map(|n| f64::from(n) * 100.0),
                );
            let own = Obj::default()
                .opt("cpu_pct_run", res.own_cpu_run)
                .opt("cpu_pct_steady", res.own_cpu_steady)
                .int("sender_late_ticks", self.sender_late.0)
                .num("sender_max_lag_us", us(self.sender_late.1));
            root = root
                .obj("calls", calls)
                .obj("setup_ms", setup)
                .obj("steady", steady)
                .obj("gateway", gw)
                .obj("callgen", own);
        } else {
            root = root.obj(
                "baseline",
                Obj::default()
                    .int("streams", self.baseline_streams.0)
                    .num("seconds", self.baseline_streams.1)
                    .opt("callgen_cpu_pct", self.baseline_cpu),
            );
        }
        let media = Obj::default()
            .bool("enabled", self.media)
            .str("mode", self.mode.name())
            .str(
                "latency_measures",
                match self.mode {
                    Mode::Relay => "send time in the payload header -> arrival",
                    Mode::Transcoding => {
                        "transcoding one-way latency: input packet n sent -> output packet n (same SSRC, seq - first seq) arrival; includes the gateway's jitter buffer, decode, resample, encode"
                    }
                },
            )
            .int("streams", loss.streams)
            .int("sent", loss.sent)
            .int("received", loss.received)
            .int("lost", loss.lost)
            .num("loss_pct", loss.loss_pct())
            .int("streams_with_loss", loss.streams_with_loss)
            .int("duplicates", dups)
            .int("late", late)
            .int("stray", self.stray)
            .int("send_errors", self.send_errors)
            .int("extra_output", self.rx.extra)
            .int("bad_payload", self.rx.bad_payload)
            .int("untimed", self.rx.untimed)
            .opt(
                "host_udp_rcvbuf_errors",
                self.udp_errors.map(|e| e.rcvbuf as f64),
            )
            .opt(
                "host_udp_sndbuf_errors",
                self.udp_errors.map(|e| e.sndbuf as f64),
            )
            .int("kernel_stamped", self.rx.kernel_stamped)
            .obj("latency_us", latency_obj(&self.rx.latency))
            .obj("latency_steady_us", latency_obj(&self.rx.latency_steady))
            .obj("latency_read_us", latency_obj(&self.rx.latency_read))
            .obj(
                "latency_read_steady_us",
                latency_obj(&self.rx.latency_read_steady),
            );
        root.obj("media", media).to_string()
    }

    /// The summary as text.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let (loss, dups, late) = self.loss();
        let _ = writeln!(o, "callgen: {}", self.command);
        let _ = match self.mode {
            Mode::Relay => writeln!(
                o,
                "mode       relay: {} both ways, passed through unchanged (send time in the payload)",
                self.caller_codec.name()
            ),
            Mode::Transcoding => writeln!(
                o,
                "mode       transcoding: caller sends {}, far end sends {}; the gateway decodes, resamples and re-encodes (packets matched by SSRC and sequence number)",
                self.caller_codec.name(),
                self.callee_codec.name()
            ),
        };
        if let Some(s) = &self.sip {
            let res = Resources::of(s);
            let _ = writeln!(
                o,
                "calls      attempted {}  answered {}  completed {}  failed {}  peak up {}  (launched at {:.1}/s, run {:.1} s)",
                s.attempted,
                s.answered,
                s.completed,
                s.failed_total(),
                s.peak_up,
                launch_rate(s),
                s.wall.as_secs_f64(),
            );
            if !s.failed.is_empty() {
                let list: Vec<String> = s.failed.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                let _ = writeln!(o, "failed     {}", list.join(", "));
            }
            let _ = writeln!(
                o,
                "far end    INVITEs {}  refused (488) {}  BYEs {}  without BYE {}",
                s.far_invites, s.far_rejected, s.far_byes, s.far_without_bye
            );
            let h = &s.setup;
            let _ = writeln!(
                o,
                "setup ms   p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}  mean {:.3}  (INVITE sent -> 200 OK read, n={})",
                ms(h.quantile(0.5)),
                ms(h.quantile(0.9)),
                ms(h.quantile(0.99)),
                ms(h.max()),
                ms(h.mean()),
                h.count()
            );
            match (res.steady_calls, res.steady_secs) {
                (Some(n), Some(secs)) => {
                    let _ = writeln!(o, "steady     {n} calls up for {secs:.1} s");
                }
                _ => {
                    let _ = writeln!(o, "steady     none (calls ended before all were up)");
                }
            }
            let _ = writeln!(
                o,
                "gateway    CPU run {}  steady {}  per call {}  (% of one core)",
                fmt_opt(res.gw_cpu_run, "%"),
                fmt_opt(res.gw_cpu_steady, "%"),
                fmt_opt(res.gw_cpu_per_call, "%"),
            );
            let _ = writeln!(
                o,
                "gateway    RSS idle {}  steady {}  per call {}  max sampled {}  VmHWM {}",
                fmt_kib(res.gw_rss_idle),
                fmt_kib(res.gw_rss_steady),
                res.gw_rss_per_call
                    .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1} KiB")),
                fmt_kib(res.gw_rss_max),
                fmt_kib(res.gw_hwm),
            );
            let _ = writeln!(
                o,
                "callgen    CPU run {}  steady {}  sender ticks >2ms late {}  worst lag {:.1} us",
                fmt_opt(res.own_cpu_run, "%"),
                fmt_opt(res.own_cpu_steady, "%"),
                self.sender_late.0,
                us(self.sender_late.1),
            );
        } else {
            let _ = writeln!(
                o,
                "baseline   {} streams looped through callgen's own socket for {:.1} s (no gateway), callgen CPU {}",
                self.baseline_streams.0,
                self.baseline_streams.1,
                fmt_opt(self.baseline_cpu, "% of one core"),
            );
        }
        if self.media {
            let _ = writeln!(
                o,
                "rtp        sent {}  received {}  lost {} ({:.4}%)  streams with loss {}/{}  dup {}  late {}  stray {}  send errors {}",
                loss.sent,
                loss.received,
                loss.lost,
                loss.loss_pct(),
                loss.streams_with_loss,
                loss.streams,
                dups,
                late,
                self.stray,
                self.send_errors
            );
            if self.mode == Mode::Transcoding {
                let _ = writeln!(
                    o,
                    "transcoded output packets matching no input {}  not a 20 ms frame of the receiving side's codec ({} at the far end, {} at the caller) {}  too late to time {}",
                    self.rx.extra,
                    self.callee_codec.name(),
                    self.caller_codec.name(),
                    self.rx.bad_payload,
                    self.rx.untimed
                );
            }
            if let Some(e) = self.udp_errors {
                let _ = writeln!(
                    o,
                    "host udp   receive-buffer drops {}  send-buffer drops {}  (all sockets on the host, during the run)",
                    e.rcvbuf, e.sndbuf
                );
            }
            let to = if self.rx.kernel_stamped > 0 {
                "arrival at callgen's socket (kernel timestamp)"
            } else {
                "read by callgen (no kernel timestamps)"
            };
            let via = if self.sip.is_some() {
                "gateway -> "
            } else {
                ""
            };
            match self.mode {
                Mode::Relay => {
                    let _ = writeln!(
                        o,
                        "latency    one way, send -> {via}{to}; 'read' = when callgen's thread read it"
                    );
                }
                Mode::Transcoding => {
                    let _ = writeln!(
                        o,
                        "latency    transcoding one-way latency: input packet n sent -> {via}output packet n {to} (includes the gateway's jitter buffer, decode, resample, encode); 'read' = when callgen's thread read it"
                    );
                }
            }
            for (name, h) in [
                ("all", &self.rx.latency),
                ("steady", &self.rx.latency_steady),
                ("read", &self.rx.latency_read),
                ("read-st", &self.rx.latency_read_steady),
            ] {
                let _ = writeln!(
                    o,
                    "latency us {name:<7} p50 {:.1}  p90 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}  (n={})",
                    us(h.quantile(0.5)),
                    us(h.quantile(0.9)),
                    us(h.quantile(0.99)),
                    us(h.quantile(0.999)),
                    us(h.max()),
                    h.count()
                );
            }
        } else {
            let _ = writeln!(o, "rtp        none (--no-media)");
        }
        o
    }
}
