//! An agent is reachable when registered and not marked unavailable;
//! presence changes are per agent; unknown agents are never reachable and
//! cannot be marked.

use tandem_routing::{Agent, AgentDirectory, Presence, UnknownAgent};

fn agent(name: &str) -> Agent {
    Agent {
        username: name.into(),
        display_name: name.to_uppercase(),
        password: format!("{name}-secret"),
        outbound_trunk: None,
    }
}

#[test]
fn reachable_means_registered_and_available() {
    let mut dir = AgentDirectory::new();
    dir.insert(agent("alice"));
    dir.insert(agent("bob"));

    // New agents are available: reachable exactly when registered.
    assert_eq!(dir.presence("alice"), Some(Presence::Available));
    assert!(dir.is_reachable("alice", true));
    assert!(!dir.is_reachable("alice", false));

    // Marked unavailable: not reachable even when registered.
    dir.set_available("alice", false).unwrap();
    assert_eq!(dir.presence("alice"), Some(Presence::Unavailable));
    assert!(!dir.is_reachable("alice", true));
    assert!(!dir.is_reachable("alice", false));
    // Bob is unaffected.
    assert!(dir.is_reachable("bob", true));

    // Back: set_presence reports the previous state.
    assert_eq!(
        dir.set_presence("alice", Presence::Available),
        Ok(Presence::Unavailable)
    );
    assert!(dir.is_reachable("alice", true));

    // Unknown agents.
    assert!(!dir.is_reachable("carol", true));
    assert_eq!(dir.presence("carol"), None);
    assert_eq!(
        dir.set_available("carol", true),
        Err(UnknownAgent("carol".into()))
    );
    assert!(!dir.contains("carol"));
}
