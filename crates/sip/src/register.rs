//! Outbound registration to a trunk provider. Being written.
