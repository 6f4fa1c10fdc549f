//! Relay hot-path benchmarks.
//!
//! * `relay_path/*`: the pure in-memory per-packet work (parse, latch, rewrite; RTCP
//!   validation; histogram record), no sockets.
//! * `relay_loopback/*`: real UDP on 127.0.0.1 through a `RelaySession`: one packet sent by a
//!   fake endpoint and received by the other (latency of the whole trip, four syscalls and a
//!   task wake-up), and bursts of 32 packets (throughput).
//!
//! Run: `cargo bench -p tandem-bench --bench relay -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used)] // a benchmark: failing loudly is the point

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tandem_media::{
    Histogram, Latch, LatchConfig, Leg, LegSetup, Peer, PortAllocator, RelayConfig, RelayHandle,
    RelaySession, RewriterConfig, RtcpCompound, RtpHeaderMut, StreamRewriter, Verdict,
    rtp::is_rtcp,
};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn g711_packet(ssrc: u32, seq: u16, ts: u32) -> Vec<u8> {
    let mut v = vec![0x80, 0x00];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&ts.to_be_bytes());
    v.extend_from_slice(&ssrc.to_be_bytes());
    v.extend_from_slice(&[0xd5; 160]);
    v
}

fn set_seq(p: &mut [u8], seq: u16, ts: u32) {
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&ts.to_be_bytes());
}

fn bench_path(c: &mut Criterion) {
    let mut g = c.benchmark_group("relay_path");
    g.throughput(Throughput::Elements(1));
    let src: SocketAddr = (LOCALHOST, 40_000).into();
    let t0 = Instant::now();

    // First source: the rewriter passes through without writing.
    g.bench_function("parse_latch_rewrite_passthrough", |b| {
        let mut pkt = g711_packet(0x1234, 0, 0);
        let mut latch = Latch::new(Some(src), LatchConfig::default());
        let mut rw = StreamRewriter::new(RewriterConfig::new(8000));
        let mut seq = 0u16;
        b.iter(|| {
            seq = seq.wrapping_add(1);
            set_seq(&mut pkt, seq, u32::from(seq) * 160);
            let now = t0 + Duration::from_micros(u64::from(seq));
            let data = black_box(&mut pkt[..]);
            let rtcp = is_rtcp(data);
            let mut h = RtpHeaderMut::parse(data).unwrap();
            let ok = latch.on_packet(now, black_box(src)) == Verdict::Accept;
            let fwd = rw.handle_packet(now, &mut h).forward();
            black_box((rtcp, ok, fwd))
        })
    });

    // After a source switch: every packet gets SSRC, seq and timestamp rewritten in place.
    g.bench_function("parse_latch_rewrite_rewriting", |b| {
        let mut pkt = g711_packet(0x1234, 0, 0);
        let mut latch = Latch::new(Some(src), LatchConfig::default());
        let mut rw = StreamRewriter::new(RewriterConfig::new(8000));
        let mut first = g711_packet(0x9999, 500, 7);
        rw.handle_packet(t0, &mut RtpHeaderMut::parse(&mut first).unwrap());
        let mut seq = 0u16;
        b.iter(|| {
            seq = seq.wrapping_add(1);
            set_seq(&mut pkt, seq, u32::from(seq) * 160);
            let now = t0 + Duration::from_micros(u64::from(seq));
            let data = black_box(&mut pkt[..]);
            let rtcp = is_rtcp(data);
            let mut h = RtpHeaderMut::parse(data).unwrap();
            let ok = latch.on_packet(now, black_box(src)) == Verdict::Accept;
            let fwd = rw.handle_packet(now, &mut h).forward();
            black_box((rtcp, ok, fwd))
        })
    });

    g.bench_function("rtcp_validate_sr_sdes", |b| {
        let mut d = vec![0x80, 200, 0, 6, 0, 0, 0, 1];
        d.extend_from_slice(&[0; 20]);
        d.extend_from_slice(&[
            0x81, 202, 0, 3, 0, 0, 0, 1, 1, 4, b'a', b'b', b'c', b'd', 0, 0,
        ]);
        b.iter(|| black_box(RtcpCompound::parse(black_box(&d)).is_ok()))
    });

    g.bench_function("histogram_record", |b| {
        let h = Histogram::new();
        let mut ns = 0u64;
        b.iter(|| {
            ns = (ns + 977) % 50_000;
            h.record_ns(black_box(ns));
        })
    });

    g.bench_function("instant_now", |b| b.iter(|| black_box(Instant::now())));
    g.finish();
}

/// An allocator over the first fully free range of `pairs` pairs found from 30000 upwards.
fn free_allocator(pairs: u16) -> PortAllocator {
    let span = 2 * pairs;
    let mut base = 30_000u16;
    loop {
        if (base..base + span).all(|p| UdpSocket::bind((LOCALHOST, p)).is_ok()) {
            return PortAllocator::new(LOCALHOST, base..=base + span - 1).unwrap();
        }
        base += span;
        assert!(base < 60_000, "no free port range");
    }
}

struct Loopback {
    _rt: tokio::runtime::Runtime,
    relay: Option<RelayHandle>,
    a: UdpSocket,
    b: UdpSocket,
    to_a: SocketAddr,
}

fn loopback() -> Loopback {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let a = UdpSocket::bind((LOCALHOST, 0)).unwrap();
    let b = UdpSocket::bind((LOCALHOST, 0)).unwrap();
    for s in [&a, &b] {
        s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    }
    let alloc = free_allocator(2);
    let relay = rt.block_on(async {
        RelaySession::spawn(
            RelayConfig::default(),
            LegSetup {
                ports: alloc.allocate().unwrap(),
                peer: Peer::new(Some(a.local_addr().unwrap())),
            },
            LegSetup {
                ports: alloc.allocate().unwrap(),
                peer: Peer::new(Some(b.local_addr().unwrap())),
            },
        )
        .unwrap()
    });
    let to_a = relay.local_addr(Leg::A);
    Loopback {
        _rt: rt,
        relay: Some(relay),
        a,
        b,
        to_a,
    }
}

fn bench_loopback(c: &mut Criterion) {
    let mut g = c.benchmark_group("relay_loopback");
    let lb = loopback();
    let mut pkt = g711_packet(0x1111, 0, 0);
    let mut buf = [0u8; 2048];
    let mut seq = 0u16;

    g.throughput(Throughput::Elements(1));
    g.bench_function("one_packet_round_trip", |b| {
        b.iter(|| {
            seq = seq.wrapping_add(1);
            set_seq(&mut pkt, seq, u32::from(seq) * 160);
            lb.a.send_to(&pkt, lb.to_a).unwrap();
            let n = lb.b.recv(&mut buf).unwrap();
            black_box(n)
        })
    });

    const BURST: u16 = 32;
    let cpu_before = worker_cpu();
    let pkts_before = lb.relay.as_ref().unwrap().stats().a.forwarded_packets;
    g.throughput(Throughput::Elements(u64::from(BURST)));
    g.bench_function("burst_32_packets", |b| {
        b.iter(|| {
            for _ in 0..BURST {
                seq = seq.wrapping_add(1);
                set_seq(&mut pkt, seq, u32::from(seq) * 160);
                lb.a.send_to(&pkt, lb.to_a).unwrap();
            }
            for _ in 0..BURST {
                black_box(lb.b.recv(&mut buf).unwrap());
            }
        })
    });
    g.finish();

    let relay = lb.relay.as_ref().unwrap();
    let stats = relay.stats();
    if let (Some(before), Some(after)) = (cpu_before, worker_cpu()) {
        let packets = stats.a.forwarded_packets - pkts_before;
        println!(
            "relay worker thread CPU during the bursts: {:?} for {packets} packets = {:?} per packet",
            after - before,
            (after - before) / u32::try_from(packets.max(1)).unwrap_or(u32::MAX)
        );
    }
    assert_eq!(
        stats.a.dropped_total(),
        0,
        "packets dropped during the benchmark"
    );
    let snap = tandem_media::relay_histogram().snapshot();
    println!(
        "relay histogram (recv start to send end, per packet): count {} p50 {:?} p90 {:?} p99 {:?} p99.9 {:?} max {:?}",
        snap.count, snap.p50, snap.p90, snap.p99, snap.p999, snap.max
    );
}

/// User + system CPU time of the tokio worker threads (Linux; USER_HZ = 100 assumed).
fn worker_cpu() -> Option<Duration> {
    let mut ticks = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let dir = task.ok()?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).ok()?;
        if !comm.starts_with("tokio-") {
            continue;
        }
        let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')')?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        ticks += f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    }
    Some(Duration::from_millis(ticks * 10))
}

criterion_group!(benches, bench_path, bench_loopback);
criterion_main!(benches);
