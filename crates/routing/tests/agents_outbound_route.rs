//! An agent's call to a phone number goes out through the agent's outbound
//! trunk; an agent without one, or a dialled string that is not a number,
//! is refused. A number of ours can ring an agent.

use tandem_routing::{Agent, Destination, E164Error, NumberPlan, OutboundError};

#[test]
fn agent_calls_go_through_its_trunk() {
    let mut alice = Agent {
        username: "alice".into(),
        display_name: "Alice".into(),
        password: "alice-secret".into(),
        outbound_trunk: Some("pstn".into()),
    };
    let expected = Destination::Forward {
        trunk: "pstn".into(),
        to: "+15550123".parse().unwrap(),
    };
    assert_eq!(alice.route_outbound("+15550123"), Ok(expected.clone()));
    // What a carrier-style or softphone dial string looks like.
    assert_eq!(alice.route_outbound("15550123"), Ok(expected));
    assert_eq!(
        alice.route_outbound("bob"),
        Err(OutboundError::NotANumber(E164Error::InvalidChar('b')))
    );
    alice.outbound_trunk = None;
    assert_eq!(
        alice.route_outbound("+15550123"),
        Err(OutboundError::NoOutboundTrunk)
    );
}

#[test]
fn a_number_rings_an_agent() {
    let mut plan = NumberPlan::new();
    let ring = Destination::Agent {
        agent: "alice".into(),
    };
    plan.insert("+15550100".parse().unwrap(), ring.clone());
    assert_eq!(plan.route("+15550100"), Ok(&ring));
}
