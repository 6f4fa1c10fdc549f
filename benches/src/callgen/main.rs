//! `callgen`: Tandem's load generator.
//!
//! Places `--calls` SIP calls at `--rate` calls per second (at most
//! `--concurrent` in flight) through a gateway at `--target`, answers them
//! itself as the far end, streams RTP at 20 ms both ways, and reports call
//! setup time (INVITE to 200 OK), packet loss, one-way latency through the
//! gateway and, with `--gateway-pid`, the gateway's CPU and memory.
//!
//! The caller offers only `--caller-codec`, the far end answers only with
//! `--callee-codec` (488 when the gateway's offer lacks it). The same codec
//! on both sides is relay mode (a send timestamp in every payload); two
//! different codecs are transcoding mode (real audio in every payload,
//! packets matched by SSRC and sequence number; see `media`).
//!
//! Exit status: 0 when every call completed and loss stayed within
//! `--max-loss-pct` (and, in transcoding mode, every packet came out as a
//! frame of the expected codec); 1 when a threshold was missed; 2 on an
//! error.
//!
//! ```text
//! callgen --target 127.0.0.1:15060 --uas-bind 127.0.0.1:15090 \
//!         --calls 1000 --concurrent 1000 --rate 200 --duration 70 --gateway-pid $(pidof tandem)
//! callgen --caller-codec opus --callee-codec pcmu --calls 100 --rate 20 --duration 30
//! ```

mod codec;
mod media;
mod procfs;
mod report;
mod rxstamp;
mod sip;
mod stats;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;

use codec::CodecKind;
use media::{Mode, Payloads, Phase, StreamCodecs, Streams};
use report::Summary;
use stats::LossTally;

/// Load generator for Tandem: SIP calls with G.711 or Opus RTP through a gateway.
#[derive(Parser, Debug)]
#[command(name = "callgen", version)]
struct Cli {
    /// The gateway's SIP address.
    #[arg(long, default_value = "127.0.0.1:15060")]
    target: SocketAddr,
    /// Where the caller's SIP socket binds (port 0: any).
    #[arg(long, default_value = "127.0.0.1:0")]
    uac_bind: SocketAddr,
    /// Where the far end's SIP socket binds: the gateway's outbound trunk
    /// must point here.
    #[arg(long, default_value = "127.0.0.1:15090")]
    uas_bind: SocketAddr,
    /// Where the one RTP socket binds (port 0: any); every SDP carries it.
    /// IPv4 only.
    #[arg(long, default_value = "127.0.0.1:0")]
    rtp_bind: SocketAddr,
    /// The number to call.
    #[arg(long, default_value = "+15550100")]
    number: String,
    /// Calls to place in total.
    #[arg(long, default_value_t = 10)]
    calls: u32,
    /// Most calls in flight at once (default: all of them).
    #[arg(long)]
    concurrent: Option<u32>,
    /// New calls per second.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Seconds each call is held after its answer.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Far end rings (180) this long before answering (0: 200 at once).
    #[arg(long, default_value_t = 0)]
    answer_delay_ms: u64,
    /// Milliseconds between stopping a call's media and its BYE.
    #[arg(long, default_value_t = 200)]
    drain_ms: u64,
    /// The RTP sender's tick in microseconds (a divisor of 20,000): each
    /// tick sends the packets of 1/(20,000/tick) of the streams.
    #[arg(long, default_value_t = 250)]
    tick_us: u32,
    /// Signalling only: no RTP (the setup benchmark).
    #[arg(long)]
    no_media: bool,
    /// The codec the caller offers (only this one) and sends.
    #[arg(long, value_enum, default_value = "pcmu")]
    caller_codec: CodecKind,
    /// The codec the far end answers with (488 when the gateway's offer
    /// lacks it) and sends. Different from `--caller-codec`: transcoding
    /// mode.
    #[arg(long, value_enum, default_value = "pcmu")]
    callee_codec: CodecKind,
    /// Measure callgen itself: `--concurrent` calls' worth of streams (two
    /// per call) sent to its own socket for `--duration` s, no SIP, no gateway.
    #[arg(long, conflicts_with = "no_media")]
    baseline: bool,
    /// The gateway's process id, for its CPU and memory (/proc).
    #[arg(long)]
    gateway_pid: Option<u32>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
    /// No progress lines on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Stop after this many seconds, counting calls still in progress as
    /// failed (default: the launch time plus the hold time plus 60 s).
    #[arg(long)]
    max_run_s: Option<f64>,
    /// Exit 1 when more calls than this failed.
    #[arg(long, default_value_t = 0)]
    max_failed: u64,
    /// Exit 1 when more than this percentage of packets was lost.
    #[arg(long, default_value_t = 0.0)]
    max_loss_pct: f64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("callgen: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if !(cli.rate > 0.0 && cli.rate.is_finite()) {
        anyhow::bail!("--rate must be a positive number");
    }
    if !(cli.duration >= 0.0 && cli.duration.is_finite()) {
        anyhow::bail!("--duration must be zero or more seconds");
    }
    if !cli.rtp_bind.is_ipv4() {
        anyhow::bail!("--rtp-bind must be an IPv4 address");
    }
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let concurrent = cli.concurrent.unwrap_or(cli.calls).max(1);
    let media = !cli.no_media;
    let mode = Mode::of(cli.caller_codec, cli.callee_codec);
    let udp_errors_before = procfs::UdpErrors::read();

    // RTP: one socket, a sender and a receiver thread.
    // The RTP socket is bound also without media: every SDP needs a real
    // port (the gateway refuses port 0), and nothing will be sent to it.
    let sock = media::bind_socket(cli.rtp_bind)
        .with_context(|| format!("binding RTP socket {}", cli.rtp_bind))?;
    let rtp_addr = sock.local_addr()?;
    let mut rtp = None;
    if media {
        let calls_at_once = if cli.baseline {
            concurrent
        } else {
            concurrent.min(cli.calls.max(1))
        };
        let slots = 2 * calls_at_once as usize + 16;
        // PCMU relay needs no cycle: its payload is the header and silence.
        let kinds: Vec<CodecKind> = [cli.caller_codec, cli.callee_codec]
            .into_iter()
            .filter(|&k| mode == Mode::Transcoding || k != CodecKind::Pcmu)
            .collect();
        let payloads = Payloads::new(&kinds).context("encoding the test signal")?;
        let streams = Streams::new(slots, mode, payloads);
        let rx = media::spawn_receiver(sock.try_clone()?, streams.clone())?;
        let tx = media::spawn_sender(sock, streams.clone(), cli.tick_us)?;
        rtp = Some((streams, tx, rx));
    }

    let mut summary = Summary {
        command,
        mode,
        caller_codec: cli.caller_codec,
        callee_codec: cli.callee_codec,
        sip: None,
        media,
        rx: Default::default(),
        stray: 0,
        send_errors: 0,
        sender_late: (0, 0),
        baseline_loss: None,
        baseline_dup_late: (0, 0),
        baseline_streams: (0, 0.0),
        baseline_cpu: None,
        udp_errors: None,
    };

    if cli.baseline {
        let Some((streams, _, _)) = &rtp else {
            anyhow::bail!("--baseline needs media");
        };
        let n = (2 * concurrent as usize).min(streams.len());
        let started = Instant::now();
        let cpu0 = procfs::Proc::Myself.sample();
        // Half the streams in each codec, each received as sent (callgen
        // is its own far end here).
        for slot in 0..n as u32 {
            let kind = if slot % 2 == 0 {
                cli.caller_codec
            } else {
                cli.callee_codec
            };
            let codecs = StreamCodecs {
                send: kind,
                payload_type: kind.offer_payload_type(),
                receive: kind,
            };
            streams.claim(slot, slot + 1, codecs);
            streams.start(slot, rtp_addr);
        }
        streams.set_phase(Phase::Steady);
        std::thread::sleep(Duration::from_secs_f64(cli.duration));
        for slot in 0..n as u32 {
            streams.stop_sending(slot);
        }
        let wall = started.elapsed().as_secs_f64();
        let cpu1 = procfs::Proc::Myself.sample();
        summary.baseline_cpu = cpu0.zip(cpu1).map(|(a, b)| a.pct_of_core_until(&b));
        std::thread::sleep(Duration::from_millis(cli.drain_ms));
        let mut tally = LossTally::default();
        let (mut dups, mut late) = (0, 0);
        for slot in 0..n as u32 {
            let r = streams.finish(slot);
            tally.add_stream(r.sent, r.received);
            dups += r.duplicates;
            late += r.late;
        }
        summary.baseline_loss = Some(tally);
        summary.baseline_dup_late = (dups, late);
        summary.baseline_streams = (n as u64, wall);
    } else {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the runtime")?;
        let cfg = sip::RunConfig {
            target: cli.target,
            number: cli.number.clone(),
            calls: cli.calls,
            concurrent,
            rate: cli.rate,
            duration: Duration::from_secs_f64(cli.duration),
            answer_delay: Duration::from_millis(cli.answer_delay_ms),
            drain: Duration::from_millis(cli.drain_ms),
            rtp_addr,
            caller_codec: cli.caller_codec,
            callee_codec: cli.callee_codec,
            gateway: cli.gateway_pid.map(procfs::Proc::Pid),
            progress: !cli.quiet,
            max_run: Duration::from_secs_f64(cli.max_run_s.unwrap_or_else(|| {
                f64::from(cli.calls) / cli.rate
                    + cli.duration
                    + cli.answer_delay_ms as f64 / 1000.0
                    + 60.0
            })),
        };
        let streams = rtp.as_ref().map(|(s, _, _)| s.clone());
        let results = runtime.block_on(async {
            let uac = tokio::net::UdpSocket::bind(cli.uac_bind)
                .await
                .with_context(|| format!("binding caller SIP socket {}", cli.uac_bind))?;
            let uas = tokio::net::UdpSocket::bind(cli.uas_bind)
                .await
                .with_context(|| format!("binding far-end SIP socket {}", cli.uas_bind))?;
            sip::run(cfg, uac, uas, streams).await
        })?;
        summary.sip = Some(results);
    }

    if let Some((streams, tx, rx)) = rtp {
        streams.shut_down();
        let _ = tx.join();
        summary.rx = rx
            .join()
            .map_err(|_| anyhow::anyhow!("RTP receiver thread panicked"))?;
        summary.stray = streams.stray();
        summary.send_errors = streams.send_errors();
        let (late, lag) = streams.sender_lateness();
        summary.sender_late = (late, u64::try_from(lag.as_nanos()).unwrap_or(u64::MAX));
    }

    summary.udp_errors = udp_errors_before
        .zip(procfs::UdpErrors::read())
        .map(|(a, b)| a.until(&b));

    if cli.json {
        println!("{}", summary.to_json());
    } else {
        print!("{}", summary.to_text());
    }

    let mut ok = true;
    if summary.failed() > cli.max_failed {
        eprintln!(
            "callgen: {} calls failed (allowed: {})",
            summary.failed(),
            cli.max_failed
        );
        ok = false;
    }
    if let Some(s) = &summary.sip
        && s.answered == 0
        && s.attempted > 0
    {
        eprintln!("callgen: no call was answered");
        ok = false;
    }
    if media
        && !cli.baseline
        && cli.duration >= 0.1
        && summary.sip.as_ref().is_some_and(|s| s.answered > 0)
        && summary.packets_sent() == 0
    {
        eprintln!("callgen: calls were answered but no RTP was sent");
        ok = false;
    }
    if media && summary.rx.bad_payload > 0 {
        eprintln!(
            "callgen: {} packets came out of the gateway as something other than a 20 ms frame of the receiving side's codec (not transcoded?)",
            summary.rx.bad_payload
        );
        ok = false;
    }
    if media && summary.loss_pct() > cli.max_loss_pct {
        eprintln!(
            "callgen: {:.4}% of packets lost (allowed: {}%)",
            summary.loss_pct(),
            cli.max_loss_pct
        );
        ok = false;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
