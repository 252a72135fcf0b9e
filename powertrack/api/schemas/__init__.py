"""Request and response bodies, one module per API: PowerTrack 2.0, X API v2, admin."""
