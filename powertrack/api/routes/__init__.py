"""One router per resource: PowerTrack 2.0 rules, X API v2 rules, the streams, admin,
stacks, health."""
