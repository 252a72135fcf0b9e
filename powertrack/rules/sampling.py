"""The ``sample:N`` bucket of a tweet.

Every filter node, every replay and the fast matcher must put a tweet in the
same bucket, so the bucket is a pure function of the tweet id and nothing
else: not the process, not Python's per-process ``hash`` seed, not the rule.
The recipe is fixed and language-neutral so that a node written in another
language can reproduce it: BLAKE2b (64-byte digest, no key, no salt) of the
ASCII id, the first 8 bytes read as a big-endian unsigned integer, modulo 100.
Changing it would move tweets between buckets and break replays.
"""

from __future__ import annotations

import hashlib

__all__ = ["SAMPLE_BUCKETS", "sample_bucket"]

SAMPLE_BUCKETS = 100


def sample_bucket(tweet_id: str) -> int:
    """The tweet's bucket in ``0..99``; ``sample:N`` keeps the tweet when the bucket is below N.

    Raises :class:`UnicodeEncodeError` (a :class:`ValueError`) when the id is not ASCII.
    """
    digest = hashlib.blake2b(tweet_id.encode("ascii")).digest()
    # 2**64 buckets folded onto 100: the modulo bias is below 1e-17, far under sampling noise.
    return int.from_bytes(digest[:8], "big") % SAMPLE_BUCKETS
