//! Dropping a pair closes its sockets and gives its ports back; the pool hands out the
//! longest-free pair first, so a port just returned is not reused at once.

mod common;

#[test]
fn dropped_pair_returns_and_is_reused_last() {
    let alloc = common::free_allocator(3);
    let first = alloc.allocate().unwrap();
    let first_port = first.rtp_addr().port();
    drop(first);
    assert_eq!(alloc.available(), 3);

    // The two other pairs come before the one just returned.
    let a = alloc.allocate().unwrap();
    let b = alloc.allocate().unwrap();
    assert_ne!(a.rtp_addr().port(), first_port);
    assert_ne!(b.rtp_addr().port(), first_port);
    // Then the returned pair, which binds again because its sockets were closed.
    let c = alloc.allocate().unwrap();
    assert_eq!(c.rtp_addr().port(), first_port);
    assert_eq!(alloc.available(), 0);
}

#[test]
fn pairs_can_be_allocated_and_returned_from_many_threads() {
    let alloc = common::free_allocator(8);
    std::thread::scope(|s| {
        for _ in 0..4 {
            let alloc = alloc.clone();
            s.spawn(move || {
                for _ in 0..50 {
                    let p = alloc.allocate().unwrap();
                    drop(p);
                }
            });
        }
    });
    assert_eq!(alloc.available(), 8);
}
