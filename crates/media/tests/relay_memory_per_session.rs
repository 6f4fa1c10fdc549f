//! Memory per relayed call stays well under the 64 KiB budget: the session struct itself, and
//! the resident memory that 200 running sessions add to the process (sockets registered with
//! the reactor, task, channels, counters). Kernel socket buffers are not counted here; they
//! hold only queued datagrams (see docs/media.md).

mod common;

use std::mem::size_of;

use tandem_media::{Leg, LegSetup, Peer, RelayConfig, RelaySession};

fn rss_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[tokio::test]
async fn session_memory_is_small() {
    let session = size_of::<RelaySession>();
    println!("size_of::<RelaySession>() = {session} bytes");
    assert!(session < 4096, "session struct is {session} bytes");

    const N: usize = 200;
    let alloc = common::free_allocator(2 * N as u16);
    let peer = Peer::new(Some((common::LOCALHOST, 9).into()));
    // Warm up the runtime, allocator and one session before measuring.
    let warm = RelaySession::spawn(
        RelayConfig::default(),
        LegSetup {
            ports: alloc.allocate().unwrap(),
            peer,
        },
        LegSetup {
            ports: alloc.allocate().unwrap(),
            peer,
        },
    )
    .unwrap();
    warm.stop().await;

    let before = rss_bytes();
    let mut handles = Vec::with_capacity(N);
    for _ in 0..N {
        let a = LegSetup {
            ports: alloc.allocate().unwrap(),
            peer,
        };
        let b = LegSetup {
            ports: alloc.allocate().unwrap(),
            peer,
        };
        handles.push(RelaySession::spawn(RelayConfig::default(), a, b).unwrap());
    }
    tokio::task::yield_now().await; // let every session poll once and register its sockets
    let after = rss_bytes();
    assert!(handles.iter().all(|h| h.local_addr(Leg::A).port() != 0));
    if let (Some(before), Some(after)) = (before, after) {
        let per = after.saturating_sub(before) / N;
        println!("resident memory per running session: ~{per} bytes ({N} sessions)");
        assert!(per < 32 * 1024, "{per} bytes per session");
    }
    for h in handles {
        h.stop().await;
    }
    assert_eq!(alloc.available(), alloc.capacity());
}
