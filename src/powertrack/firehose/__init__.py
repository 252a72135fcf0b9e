"""The firehose: where tweets come from.

For now a deterministic synthetic source (:mod:`powertrack.firehose.synthetic`)
that produces X API v1.1 native tweets and converts them to v2 messages.
"""
