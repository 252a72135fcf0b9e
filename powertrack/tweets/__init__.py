"""Tweets: one normalized view built from v1.1 or v2 JSON."""
