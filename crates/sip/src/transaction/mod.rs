//! The RFC 3261 §17 transaction layer (sans-IO). Being written.
