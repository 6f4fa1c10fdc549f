//! tandem-routing: pure call policy.
