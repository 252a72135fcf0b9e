"""One router per resource: PowerTrack 2.0 rules, X API v2 rules, admin, health."""
