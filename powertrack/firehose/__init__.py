"""The firehose: where tweets come from.

A deterministic synthetic source (:mod:`powertrack.firehose.synthetic`) that
produces X API v1.1 native tweets and converts them to v2 messages, and the
producers that put tweets onto the firehose topic through a
:class:`~powertrack.firehose.sink.TweetSink`: file replay (``replay``),
synthetic generation (``generate``) and tweets posted to the API (``posted``).
"""
