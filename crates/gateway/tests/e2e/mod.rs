//! Shared harness for the end-to-end tests: the real `tandem` binary,
//! real third-party SIP user agents (baresip, linphone) on 127.0.0.1, and
//! checks on the audio that crossed the gateway.
//!
//! These tests need the peers installed (`scripts/test` does it). They run
//! when `TANDEM_E2E=1` (the test script sets it, so CI always runs them) and
//! say "skipped" otherwise, so a bare `cargo test` works on a machine without
//! baresip.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether end-to-end tests must run. Prints why when they skip.
pub fn enabled(test: &str) -> bool {
    if std::env::var("TANDEM_E2E").is_ok_and(|v| v == "1") {
        return true;
    }
    eprintln!("{test}: skipped (set TANDEM_E2E=1 to run end-to-end tests; scripts/test does)");
    false
}

/// The tandem binary under test.
pub fn tandem_bin() -> PathBuf {
    std::env::var_os("TANDEM_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_tandem")))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// A fresh working directory for one test, kept after the run for
/// inspection (logs, recordings) under target/e2e/<name>.
pub fn workdir(name: &str) -> PathBuf {
    let dir = repo_root().join("target/e2e").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create workdir");
    dir
}

/// A child process killed when dropped.
pub struct Proc {
    pub name: String,
    pub child: Child,
    pub log: PathBuf,
}

impl Proc {
    /// Sends SIGTERM and waits up to `timeout` for the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let pid = self.child.id() as i32;
        // SAFETY: kill(2) with a pid we spawned and still own (not yet
        // reaped: try_wait below is the only reaper) and a valid signal.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        self.wait(timeout)
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if self.log_text().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn spawn_logged(name: &str, cmd: &mut Command, dir: &Path) -> Proc {
    let log = dir.join(format!("{name}.log"));
    let out = std::fs::File::create(&log).expect("log file");
    let err = out.try_clone().expect("log file");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    Proc {
        name: name.to_owned(),
        child,
        log,
    }
}

/// Starts tandem with `config` and waits until it answers OPTIONS on
/// `sip` (UDP).
pub fn start_tandem(dir: &Path, config: &Path, sip: SocketAddr) -> Proc {
    let mut cmd = Command::new(tandem_bin());
    cmd.arg("run").arg("--config").arg(config).env(
        "RUST_LOG",
        std::env::var("TANDEM_LOG").unwrap_or_else(|_| "debug".into()),
    );
    let p = spawn_logged("tandem", &mut cmd, dir);
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if options_ping(sip).is_some() {
            return p;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("tandem did not answer OPTIONS on {sip}:\n{}", p.log_text());
}

/// Sends one OPTIONS over UDP and returns the status code of the answer.
pub fn options_ping(target: SocketAddr) -> Option<u16> {
    let bind = if target.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    };
    let sock = UdpSocket::bind(bind).ok()?;
    sock.set_read_timeout(Some(Duration::from_millis(300)))
        .ok()?;
    let local = sock.local_addr().ok()?;
    let msg = format!(
        "OPTIONS sip:{target} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{:x};rport\r\nMax-Forwards: 70\r\nFrom: <sip:probe@{local}>;tag=p1\r\nTo: <sip:{target}>\r\nCall-ID: probe-{:x}@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
        rand_u64(),
        rand_u64()
    );
    sock.send_to(msg.as_bytes(), target).ok()?;
    let mut buf = [0u8; 4096];
    let (n, _) = sock.recv_from(&mut buf).ok()?;
    status_of(&buf[..n])
}

/// The status code of a response's bytes.
pub fn status_of(bytes: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text.lines().next()?;
    let mut parts = line.split(' ');
    if parts.next()? != "SIP/2.0" {
        return None;
    }
    parts.next()?.parse().ok()
}

pub fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    h.finish()
}

/// The transport a baresip account uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sip {
    Udp,
    Tcp,
}

/// A baresip instance configured in its own directory.
pub struct Baresip {
    pub proc: Proc,
    pub dir: PathBuf,
}

/// What a baresip instance does.
pub struct BaresipSpec<'a> {
    pub name: &'a str,
    /// SIP listen port on 127.0.0.1 (baresip also takes port+1 for TLS).
    pub sip_port: u16,
    /// The account user (an auto-answering UAS must be the dialled user).
    pub user: &'a str,
    /// The WAV it plays as its microphone.
    pub source: &'a Path,
    pub transport: Sip,
    pub auto_answer: bool,
    /// RTP port range "lo-hi".
    pub rtp_ports: (u16, u16),
    /// Commands to execute at start (e.g. "/dial sip:...").
    pub commands: Vec<String>,
    /// Quit after this long.
    pub quit_after: Duration,
    /// Run on ::1 instead of 127.0.0.1.
    pub ipv6: bool,
}

impl Baresip {
    pub fn start(base: &Path, spec: BaresipSpec<'_>) -> Baresip {
        let dir = base.join(spec.name);
        let rec = dir.join("rec");
        std::fs::create_dir_all(&rec).expect("baresip dir");
        let trans = match spec.transport {
            Sip::Udp => "udp",
            Sip::Tcp => "tcp",
        };
        let (host, iface) = if spec.ipv6 {
            ("[::1]", "::1")
        } else {
            ("127.0.0.1", "127.0.0.1")
        };
        let config = format!(
            "poll_method epoll\n\
             sip_listen {host}:{port}\n\
             sip_trans_def {trans}\n\
             net_interface {iface}\n\
             audio_player aufile,{play}\n\
             audio_source aufile,{src}\n\
             audio_alert aufile,/dev/null\n\
             ausrc_srate 8000\n\
             auplay_srate 8000\n\
             ausrc_channels 1\n\
             auplay_channels 1\n\
             rtp_ports {lo}-{hi}\n\
             rtp_timeout 0\n\
             snd_path {rec}\n\
             module_path /usr/lib/baresip/modules\n\
             module g711.so\n\
             module aufile.so\n\
             module sndfile.so\n\
             module account.so\n\
             module_app menu.so\n",
            port = spec.sip_port,
            play = dir.join("played.wav").display(),
            src = spec.source.display(),
            lo = spec.rtp_ports.0,
            hi = spec.rtp_ports.1,
            rec = rec.display(),
        );
        std::fs::write(dir.join("config"), config).expect("baresip config");
        let answer = if spec.auto_answer {
            ";answermode=auto"
        } else {
            ""
        };
        let account = format!(
            "<sip:{user}@{host}:{port};transport={trans}>;regint=0{answer};audio_codecs=PCMU/8000/1\n",
            user = spec.user,
            port = spec.sip_port,
        );
        std::fs::write(dir.join("accounts"), account).expect("baresip accounts");
        let mut cmd = Command::new("baresip");
        cmd.arg("-f")
            .arg(&dir)
            .arg("-t")
            .arg(spec.quit_after.as_secs().to_string());
        for c in &spec.commands {
            cmd.arg("-e").arg(c);
        }
        let proc = spawn_logged(spec.name, &mut cmd, base);
        assert!(
            proc.wait_for_log("baresip is ready", Duration::from_secs(10)),
            "{} did not start:\n{}",
            spec.name,
            proc.log_text()
        );
        Baresip { proc, dir }
    }

    /// The recording of what it received (`-dec.wav`) and what it sent
    /// (`-enc.wav`) by its sndfile module.
    pub fn recordings(&self) -> (PathBuf, PathBuf) {
        let rec = self.dir.join("rec");
        let mut dec = None;
        let mut enc = None;
        for e in std::fs::read_dir(&rec).expect("rec dir").flatten() {
            let p = e.path();
            let n = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned();
            if n.ends_with("-dec.wav") {
                dec = Some(p);
            } else if n.ends_with("-enc.wav") {
                enc = Some(p);
            }
        }
        (
            dec.unwrap_or_else(|| {
                panic!(
                    "{}: no received recording in {}",
                    self.proc.name,
                    rec.display()
                )
            }),
            enc.unwrap_or_else(|| {
                panic!("{}: no sent recording in {}", self.proc.name, rec.display())
            }),
        )
    }
}

/// A linphonec instance driven through its stdin.
pub struct Linphone {
    pub child: Child,
    pub stdin: std::process::ChildStdin,
    pub log: PathBuf,
    pub dir: PathBuf,
}

impl Linphone {
    pub fn start(
        base: &Path,
        name: &str,
        sip_port: u16,
        rtp: (u16, u16),
        auto_answer: bool,
    ) -> Linphone {
        let dir = base.join(name);
        std::fs::create_dir_all(&dir).expect("linphone dir");
        // linphone keeps state in $HOME/.local/share/linphone and silently
        // never listens when it cannot write there.
        let home = dir.join("home");
        std::fs::create_dir_all(home.join(".local/share/linphone")).expect("linphone home");
        let rc = dir.join("linphonerc");
        std::fs::write(
            &rc,
            format!(
                "[sip]\nsip_port={sip_port}\nsip_tcp_port=0\nsip_tls_port=0\n\
                 contact=\"{name}\" <sip:{name}@127.0.0.1:{sip_port}>\nguess_hostname=0\n\
                 ipv6_enabled=0\nbind_address=127.0.0.1\n\
                 [rtp]\naudio_rtp_port={}-{}\n[sound]\nechocancellation=0\n\
                 [video]\nenabled=0\ncapture=0\ndisplay=0\n",
                rtp.0, rtp.1
            ),
        )
        .expect("linphonerc");
        let log = base.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).expect("log");
        let err = out.try_clone().expect("log");
        let mut cmd = Command::new("linphonec");
        cmd.arg("-c").arg(&rc).arg("-d").arg("1").env("HOME", &home);
        if auto_answer {
            cmd.arg("-a");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start linphonec");
        let stdin = child.stdin.take().expect("stdin");
        Linphone {
            child,
            stdin,
            log,
            dir,
        }
    }

    pub fn cmd(&mut self, line: &str) {
        let _ = writeln!(self.stdin, "{line}");
        let _ = self.stdin.flush();
        std::thread::sleep(Duration::from_millis(300));
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if self.log_text().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Linphone {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ----- audio -----

/// Writes a mono 16-bit sine WAV.
pub fn write_tone(path: &Path, freq: f64, seconds: f64, rate: u32, amplitude: f64) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("wav");
    let n = (seconds * f64::from(rate)) as usize;
    for i in 0..n {
        let t = i as f64 / f64::from(rate);
        let s = (2.0 * std::f64::consts::PI * freq * t).sin() * amplitude * 32767.0;
        w.write_sample(s as i16).expect("sample");
    }
    w.finalize().expect("finalize");
}

/// Writes speech with espeak-ng, resampled to 8 kHz mono 16-bit by sox.
pub fn write_speech(path: &Path) {
    let text = "Tandem carries this speech across the gateway. \
                One packet at a time, the far end records what it hears. \
                Seven, three, nine, two. The quick brown fox jumps over the lazy dog.";
    let mut espeak = Command::new("espeak-ng")
        .args(["-v", "en-us", "--stdout", text])
        .stdout(Stdio::piped())
        .spawn()
        .expect("espeak-ng (install it: scripts/test does)");
    let stdout = espeak.stdout.take().expect("espeak stdout");
    let status = Command::new("sox")
        .args(["-t", "wav", "-", "-r", "8000", "-c", "1", "-b", "16"])
        .arg(path)
        .stdin(stdout)
        .status()
        .expect("sox");
    assert!(status.success(), "sox failed");
    assert!(
        espeak.wait().expect("espeak-ng").success(),
        "espeak-ng failed"
    );
}

/// Mono samples of a WAV as f64 in -1..1 (first channel).
pub fn read_wav(path: &Path) -> (Vec<f64>, u32) {
    let mut r = hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = r.spec();
    let ch = usize::from(spec.channels);
    let samples: Vec<f64> = r
        .samples::<i16>()
        .step_by(ch.max(1))
        .map(|s| f64::from(s.unwrap_or(0)) / 32768.0)
        .collect();
    (samples, spec.sample_rate)
}

/// RMS level in dBFS over the 20 ms frames that carry signal (above -50
/// dBFS), so that leading silence or a different recording length does not
/// change the level.
pub fn active_level_db(samples: &[f64], rate: u32) -> f64 {
    let frame = (rate / 50) as usize;
    let mut sum = 0.0;
    let mut n = 0usize;
    for f in samples.chunks(frame) {
        let e: f64 = f.iter().map(|x| x * x).sum::<f64>() / f.len() as f64;
        if 10.0 * e.max(1e-20).log10() > -50.0 {
            sum += e * f.len() as f64;
            n += f.len();
        }
    }
    if n == 0 {
        return -120.0;
    }
    10.0 * (sum / n as f64).max(1e-20).log10()
}

/// Goertzel power of `freq` relative to total power, over the active frames.
pub fn tone_share(samples: &[f64], rate: u32, freq: f64) -> f64 {
    let frame = (rate / 10) as usize; // 100 ms
    let mut tone = 0.0;
    let mut total = 0.0;
    for f in samples.chunks_exact(frame) {
        let k = 2.0 * (2.0 * std::f64::consts::PI * freq / f64::from(rate)).cos();
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for x in f {
            let s0 = x + k * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        let power = s1 * s1 + s2 * s2 - k * s1 * s2;
        let energy: f64 = f.iter().map(|x| x * x).sum();
        if energy > 1e-6 * f.len() as f64 {
            tone += 2.0 * power / f.len() as f64;
            total += energy;
        }
    }
    if total == 0.0 { 0.0 } else { tone / total }
}

/// The strongest frequency between `lo` and `hi` Hz (1 Hz steps).
pub fn dominant_frequency(samples: &[f64], rate: u32, lo: u32, hi: u32) -> f64 {
    let mut best = (0.0, f64::from(lo));
    for f in lo..=hi {
        let share = tone_share(samples, rate, f64::from(f));
        if share > best.0 {
            best = (share, f64::from(f));
        }
    }
    best.1
}

/// The best normalised cross-correlation between `sent` and `received`
/// over lags 0..max_lag samples (received lags sent), computed on the
/// received window that overlaps the sent signal.
pub fn best_correlation(sent: &[f64], received: &[f64], max_lag: usize) -> (f64, usize) {
    let mut best = (0.0, 0);
    // Compare a window from the middle of the sent signal.
    let n = sent.len().min(received.len()).min(8000 * 4);
    if n < 1600 {
        return best;
    }
    for lag in 0..max_lag.min(received.len().saturating_sub(n)) {
        let mut num = 0.0;
        let mut ea = 0.0;
        let mut eb = 0.0;
        for i in 0..n {
            let a = sent[i];
            let b = received[i + lag];
            num += a * b;
            ea += a * a;
            eb += b * b;
        }
        if ea > 0.0 && eb > 0.0 {
            let c = num / (ea * eb).sqrt();
            if c > best.0 {
                best = (c, lag);
            }
        }
    }
    best
}

// ----- packet loss from a capture -----

/// A tshark capture of UDP on the loopback interface.
pub struct Capture {
    child: Child,
    pub file: PathBuf,
}

impl Capture {
    pub fn start(dir: &Path, filter: &str) -> Capture {
        let file = dir.join("capture.pcapng");
        let child = Command::new("tshark")
            .args(["-i", "lo", "-q", "-f", filter, "-w"])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tshark (install it: scripts/test does)");
        let mut c = Capture { child, file };
        // Wait until tshark reports it is capturing.
        if let Some(err) = c.child.stderr.take() {
            let mut reader = BufReader::new(err);
            let mut line = String::new();
            let mut seen = String::new();
            let mut capturing = false;
            let until = Instant::now() + Duration::from_secs(10);
            while Instant::now() < until {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                seen.push_str(&line);
                if line.contains("Capturing on") {
                    capturing = true;
                    break;
                }
            }
            assert!(capturing, "tshark did not start capturing:\n{seen}");
            std::thread::spawn(move || {
                let mut sink = Vec::new();
                let _ = reader.read_to_end(&mut sink);
            });
        }
        std::thread::sleep(Duration::from_millis(300));
        c
    }

    /// Stops the capture and returns per-stream RTP statistics.
    pub fn finish(mut self) -> Vec<RtpStream> {
        std::thread::sleep(Duration::from_millis(500));
        // SAFETY: kill(2) on the tshark child we spawned and have not reaped.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        let _ = self.child.wait();
        rtp_streams(&self.file)
    }
}

/// A test that panics before `finish` must not leave tshark capturing
/// forever (it would fill the disk on a long-lived machine).
impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One RTP stream as tshark's `rtp,streams` sees it.
#[derive(Debug, Clone)]
pub struct RtpStream {
    pub src: String,
    pub dst: String,
    pub ssrc: String,
    pub packets: u64,
    pub lost: i64,
}

/// Reads RTP stream stats from a capture (RTP found heuristically).
pub fn rtp_streams(file: &Path) -> Vec<RtpStream> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-q", "-o", "rtp.heuristic_rtp:TRUE", "-z", "rtp,streams"])
        .output()
        .expect("tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut streams = Vec::new();
    for line in text.lines() {
        // start end src-ip src-port dst-ip dst-port SSRC payload... pkts lost (x%) ...
        let f: Vec<&str> = line.split_whitespace().collect();
        let Some(si) = f.iter().position(|x| x.starts_with("0x")) else {
            continue;
        };
        let Some(pct) = f
            .iter()
            .position(|x| x.starts_with('(') && x.ends_with("%)"))
        else {
            continue;
        };
        if si < 4 || pct < si + 3 {
            continue;
        }
        streams.push(RtpStream {
            src: format!("{}:{}", f[si - 4], f[si - 3]),
            dst: format!("{}:{}", f[si - 2], f[si - 1]),
            ssrc: f[si].to_owned(),
            packets: f[pct - 2].parse().unwrap_or(0),
            lost: f[pct - 1].parse().unwrap_or(0),
        });
    }
    streams
}

// ----- a whole call between two baresip instances through tandem -----

/// How a baresip-to-baresip call through tandem is set up.
pub struct CallPlan<'a> {
    pub name: &'a str,
    /// The tandem configuration file.
    pub config: PathBuf,
    /// Tandem's SIP address.
    pub tandem_sip: SocketAddr,
    /// The caller's SIP port and transport.
    pub uac_port: u16,
    pub uac_transport: Sip,
    /// The far end's SIP port, user and transport.
    pub uas_port: u16,
    pub uas_user: &'a str,
    pub uas_transport: Sip,
    /// Number dialled at tandem.
    pub dial: &'a str,
    /// Tandem's media port range (for the capture filter).
    pub media_ports: (u16, u16),
    /// How long the caller stays in the call.
    pub talk: Duration,
    /// Everything on ::1 instead of 127.0.0.1.
    pub ipv6: bool,
}

/// What crossed the gateway.
pub struct CallReport {
    pub dir: PathBuf,
    pub uac_received: PathBuf,
    pub uac_sent: PathBuf,
    pub uas_received: PathBuf,
    pub uas_sent: PathBuf,
    pub streams: Vec<RtpStream>,
    pub tandem_log: String,
}

/// Places the call: the caller plays speech, the far end auto-answers and
/// plays a 440 Hz tone; both record what they send and receive; tshark
/// captures the RTP on tandem's media ports.
pub fn baresip_call(plan: CallPlan<'_>) -> CallReport {
    let dir = workdir(plan.name);
    let speech = dir.join("speech.wav");
    let tone = dir.join("tone.wav");
    write_speech(&speech);
    write_tone(&tone, 440.0, 30.0, 8000, 0.5);
    let mut tandem = start_tandem(&dir, &plan.config, plan.tandem_sip);
    let capture = Capture::start(
        &dir,
        &format!(
            "udp portrange {}-{}",
            plan.media_ports.0, plan.media_ports.1
        ),
    );
    let quit = plan.talk + Duration::from_secs(4);
    let uas = Baresip::start(
        &dir,
        BaresipSpec {
            name: "uas",
            sip_port: plan.uas_port,
            user: plan.uas_user,
            source: &tone,
            transport: plan.uas_transport,
            auto_answer: true,
            rtp_ports: (45000, 45100),
            commands: vec![],
            quit_after: quit + Duration::from_secs(4),
            ipv6: plan.ipv6,
        },
    );
    let trans = match plan.uac_transport {
        Sip::Udp => "udp",
        Sip::Tcp => "tcp",
    };
    let mut uac = Baresip::start(
        &dir,
        BaresipSpec {
            name: "uac",
            sip_port: plan.uac_port,
            user: "caller",
            source: &speech,
            transport: plan.uac_transport,
            auto_answer: false,
            rtp_ports: (46000, 46100),
            commands: vec![format!(
                "/dial sip:{}@{};transport={trans}",
                plan.dial, plan.tandem_sip
            )],
            quit_after: plan.talk,
            ipv6: plan.ipv6,
        },
    );
    // The caller quits after `talk`, hanging up (BYE) on its way out.
    assert!(
        uac.proc.wait(quit + Duration::from_secs(10)).is_some(),
        "caller did not finish:\n{}",
        uac.proc.log_text()
    );
    std::thread::sleep(Duration::from_secs(1));
    let streams = capture.finish();
    let status = tandem.terminate(Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "tandem did not stop cleanly on SIGTERM: {status:?}"
    );
    let tandem_log = tandem.log_text();
    let (uac_received, uac_sent) = uac.recordings();
    let (uas_received, uas_sent) = uas.recordings();
    drop(uas);
    CallReport {
        dir,
        uac_received,
        uac_sent,
        uas_received,
        uas_sent,
        streams,
        tandem_log,
    }
}

/// The outcome every test of a two-way call demands: each side heard the
/// other's signal at the right level, the tone at its frequency, the speech
/// by its waveform, and under 1% of packets were lost on any RTP stream.
pub fn assert_audio_crossed(r: &CallReport) {
    let (speech_sent, rate) = read_wav(&r.uac_sent);
    let (speech_got, rate2) = read_wav(&r.uas_received);
    let (tone_sent, _) = read_wav(&r.uas_sent);
    let (tone_got, _) = read_wav(&r.uac_received);
    assert_eq!(rate, 8000);
    assert_eq!(rate2, 8000);

    let sent_db = active_level_db(&speech_sent, rate);
    let got_db = active_level_db(&speech_got, rate);
    eprintln!("speech: sent {sent_db:.2} dBFS, received {got_db:.2} dBFS");
    assert!(
        (sent_db - got_db).abs() <= 3.0,
        "speech level: sent {sent_db:.2} dB, received {got_db:.2} dB"
    );
    let (corr, lag) = best_correlation(&speech_sent, &speech_got, 8000 * 2);
    eprintln!("speech: correlation {corr:.3} at lag {} ms", lag / 8);
    assert!(
        corr > 0.9,
        "received speech does not match what was sent (correlation {corr:.3})"
    );
    assert!(
        tone_share(&speech_got, rate, 440.0) < 0.05,
        "the speech direction carries the other side's tone"
    );

    let tsent_db = active_level_db(&tone_sent, rate);
    let tgot_db = active_level_db(&tone_got, rate);
    eprintln!("tone: sent {tsent_db:.2} dBFS, received {tgot_db:.2} dBFS");
    assert!(
        (tsent_db - tgot_db).abs() <= 3.0,
        "tone level: sent {tsent_db:.2} dB, received {tgot_db:.2} dB"
    );
    let f = dominant_frequency(&tone_got, rate, 300, 600);
    eprintln!("tone: dominant frequency {f} Hz");
    assert!(
        (f - 440.0).abs() <= 3.0,
        "tone frequency {f} Hz, sent 440 Hz"
    );

    assert_low_loss(&r.streams, 4);
}

/// At least `expect` RTP streams with real traffic, each losing under 1%.
pub fn assert_low_loss(streams: &[RtpStream], expect: usize) {
    let busy: Vec<&RtpStream> = streams.iter().filter(|s| s.packets >= 100).collect();
    for s in &busy {
        eprintln!(
            "rtp {} -> {} {}: {} packets, {} lost",
            s.src, s.dst, s.ssrc, s.packets, s.lost
        );
    }
    assert!(
        busy.len() >= expect,
        "expected {expect} RTP streams through tandem, saw {streams:?}"
    );
    for s in busy {
        let loss = s.lost.max(0) as f64 / s.packets as f64;
        assert!(
            loss < 0.01,
            "stream {} -> {} lost {:.2}%",
            s.src,
            s.dst,
            loss * 100.0
        );
    }
}

// ----- clicks -----

/// How far the largest sample-to-sample jump of `samples` (without the
/// first and last `trim_s` seconds, where streams start and stop abruptly;
/// in its active part) exceeds the signal's own typical
/// largest jump (the 99.5th percentile of jumps). A clean tone or speech
/// gives about 1 to 2; a click (a discontinuity from a lost or badly joined
/// frame) gives far more.
pub fn click_ratio(samples: &[f64], rate: u32, trim_s: f64) -> f64 {
    let trim = (trim_s * f64::from(rate)) as usize;
    if samples.len() <= 2 * trim + 2 {
        return 0.0;
    }
    let s = &samples[trim..samples.len() - trim];
    let peak = s.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if peak == 0.0 || s.len() < 2 {
        return 0.0;
    }
    // Only where the signal is active: quiet gaps would lower the percentile.
    let mut jumps: Vec<f64> = s
        .windows(2)
        .filter(|w| w[0].abs().max(w[1].abs()) > peak * 0.05)
        .map(|w| (w[1] - w[0]).abs())
        .collect();
    if jumps.is_empty() {
        return 0.0;
    }
    jumps.sort_by(|a, b| a.total_cmp(b));
    let p = jumps[(jumps.len() as f64 * 0.995) as usize - 1].max(1e-9);
    jumps[jumps.len() - 1] / p
}

// ----- RFC 4733 events on the wire -----

/// One telephone-event packet seen in a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireEvent {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload_type: u8,
    pub marker: bool,
    pub timestamp: u32,
    pub event: u8,
    pub end: bool,
    pub duration: u16,
}

/// Every RTP packet with payload type `pt` in the capture, read as an
/// RFC 4733 event (RTP found heuristically).
pub fn wire_events(file: &Path, pt: u8) -> Vec<WireEvent> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-o", "rtp.heuristic_rtp:TRUE", "-Y"])
        .arg(format!("rtp.p_type=={pt}"))
        .args([
            "-T",
            "fields",
            "-e",
            "udp.srcport",
            "-e",
            "udp.dstport",
            "-e",
            "rtp.p_type",
        ])
        .args([
            "-e",
            "rtp.marker",
            "-e",
            "rtp.timestamp",
            "-e",
            "rtp.payload",
        ])
        .output()
        .expect("tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut events = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 6 {
            continue;
        }
        let hex: String = f[5].chars().filter(char::is_ascii_hexdigit).collect();
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
            .collect();
        if bytes.len() < 4 {
            continue;
        }
        let marker = matches!(f[3], "1" | "True" | "true");
        events.push(WireEvent {
            src_port: f[0].parse().unwrap_or(0),
            dst_port: f[1].parse().unwrap_or(0),
            payload_type: f[2].parse().unwrap_or(0),
            marker,
            timestamp: f[4].parse().unwrap_or(0),
            event: bytes[0],
            end: bytes[1] & 0x80 != 0,
            duration: u16::from_be_bytes([bytes[2], bytes[3]]),
        });
    }
    events
}

/// The digits of a stream of event packets, each with its final duration
/// (from its end packets) and the number of end packets seen.
pub fn digits(events: &[WireEvent]) -> Vec<(u8, u16, usize)> {
    let mut out: Vec<(u8, u32, u16, usize)> = Vec::new();
    for e in events {
        match out.last_mut() {
            Some(last) if last.1 == e.timestamp && last.0 == e.event => {
                last.2 = last.2.max(e.duration);
                if e.end {
                    last.3 += 1;
                }
            }
            _ => out.push((e.event, e.timestamp, e.duration, usize::from(e.end))),
        }
    }
    out.into_iter()
        .map(|(d, _, dur, ends)| (d, dur, ends))
        .collect()
}

// ----- linphone calling baresip through tandem -----

/// What a linphone-to-baresip call through tandem left behind.
pub struct LinphoneCall {
    /// The speech linphone played.
    pub speech: PathBuf,
    /// What linphone recorded (baresip's tone, through tandem).
    pub linphone_received: PathBuf,
    /// baresip's recordings: (received, sent).
    pub baresip: (PathBuf, PathBuf),
    /// RTP streams seen on tandem's media ports 20000-20999.
    pub streams: Vec<RtpStream>,
    /// tandem's log.
    pub log: String,
}

/// linphone (an independent SIP stack, offering Opus first) plays speech
/// and calls sip:+15550100@127.0.0.1:5060 through tandem running `config`
/// (which must forward it to 127.0.0.1:5090), where baresip auto-answers
/// playing a 440 Hz tone; 8 s of audio, linphone hangs up, tandem stops
/// cleanly. Panics with the logs when the call does not connect or end.
pub fn linphone_calls_baresip(name: &str, config: &Path) -> LinphoneCall {
    let dir = workdir(name);
    let speech = dir.join("speech.wav");
    let tone = dir.join("tone.wav");
    write_speech(&speech);
    write_tone(&tone, 440.0, 30.0, 8000, 0.5);
    let mut tandem = start_tandem(&dir, config, "127.0.0.1:5060".parse().expect("address"));
    let capture = Capture::start(&dir, "udp portrange 20000-20999");
    let uas = Baresip::start(
        &dir,
        BaresipSpec {
            name: "uas",
            sip_port: 5090,
            user: "+15550199",
            source: &tone,
            transport: Sip::Udp,
            auto_answer: true,
            rtp_ports: (45000, 45100),
            commands: vec![],
            quit_after: Duration::from_secs(30),
            ipv6: false,
        },
    );
    let received = dir.join("linphone-received.wav");
    let mut lp = Linphone::start(&dir, "linphone", 5072, (47000, 47100), false);
    lp.cmd("soundcard use files");
    lp.cmd(&format!("play {}", speech.display()));
    lp.cmd(&format!("record {}", received.display()));
    lp.cmd("call sip:+15550100@127.0.0.1:5060");
    assert!(
        lp.wait_for_log("connected", Duration::from_secs(10)),
        "linphone's call did not connect:\n{}\n--- tandem ---\n{}",
        lp.log_text(),
        tandem.log_text()
    );
    std::thread::sleep(Duration::from_secs(8));
    lp.cmd("terminate");
    assert!(
        lp.wait_for_log("ended", Duration::from_secs(5)),
        "linphone did not hang up:\n{}",
        lp.log_text()
    );
    drop(lp);
    std::thread::sleep(Duration::from_secs(1));
    let streams = capture.finish();
    assert!(
        tandem
            .terminate(Duration::from_secs(10))
            .is_some_and(|s| s.success())
    );
    LinphoneCall {
        speech,
        linphone_received: received,
        baresip: uas.recordings(),
        streams,
        log: tandem.log_text(),
    }
}
