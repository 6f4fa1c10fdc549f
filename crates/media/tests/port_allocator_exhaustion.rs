//! When every pair of the range is leased, allocation fails with a typed error, and the range
//! is validated when the allocator is made.

mod common;

use tandem_media::{AllocateError, PortAllocator, PortRangeError};

#[test]
fn exhausted_range_is_a_typed_error() {
    let alloc = common::free_allocator(2);
    assert_eq!(alloc.capacity(), 2);
    let p1 = alloc.allocate().unwrap();
    let p2 = alloc.allocate().unwrap();
    assert_ne!(p1.rtp_addr(), p2.rtp_addr());
    for p in [&p1, &p2] {
        assert_eq!(p.rtp_addr().port() % 2, 0);
        assert_eq!(p.rtcp_addr().port(), p.rtp_addr().port() + 1);
        assert_eq!(p.rtp.local_addr().unwrap(), p.rtp_addr());
        assert_eq!(p.rtcp.local_addr().unwrap(), p.rtcp_addr());
    }
    match alloc.allocate() {
        Err(AllocateError::Exhausted {
            leased: 2, busy: 0, ..
        }) => {}
        other => panic!("expected exhaustion, got {other:?}"),
    }
    assert_eq!(alloc.available(), 0);
}

#[test]
fn ranges_without_a_pair_are_refused() {
    let ip = common::LOCALHOST;
    assert_eq!(
        PortAllocator::new(ip, 40_001..=40_001).unwrap_err(),
        PortRangeError::NoPair {
            min: 40_001,
            max: 40_001
        }
    );
    assert_eq!(
        PortAllocator::new(ip, 40_001..=40_002).unwrap_err(),
        PortRangeError::NoPair {
            min: 40_001,
            max: 40_002
        }
    );
    assert_eq!(
        PortAllocator::new(ip, 0..=10).unwrap_err(),
        PortRangeError::ZeroPort
    );
    // Odd bounds are trimmed to whole pairs: 40001..=40006 holds 40002/3 and 40004/5.
    assert_eq!(
        PortAllocator::new(ip, 40_001..=40_006).unwrap().capacity(),
        2
    );
}
