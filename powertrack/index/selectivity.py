"""How often each index key occurs in tweets: defaults, learnt from the stream.

The index picks, for every AND, the child whose keys the fewest tweets offer.
Before any tweet is seen it relies on priors per family (stop words and short
tokens are common, a screen name is rare); as tweets pass it counts the keys
of a sample of them and blends the counts with the priors, so a term that is
common in this stream stops being chosen even when it looks rare in general.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable

from powertrack.index import features as f
from powertrack.text import STOP_WORDS

__all__ = ["FrequencyModel", "prior"]

Key = tuple[str, str]

# Prior probability that a tweet offers a key of the family, per family.
_FAMILY_PRIORS: dict[str, float] = {
    f.HASHTAG: 0.002,
    f.MENTION: 0.001,
    f.CASHTAG: 0.001,
    f.FROM: 0.00001,
    f.TO: 0.0001,
    f.RETWEETS_OF: 0.0001,
    f.RETWEET_STATUS: 0.00001,
    f.REPLY_STATUS: 0.00001,
    f.CONVERSATION: 0.00001,
    f.URL: 0.005,
    f.BIO: 0.01,
    f.BIO_NAME: 0.005,
    f.BIO_LOCATION: 0.01,
    f.LANG: 0.05,
    f.PLACE: 0.002,
    f.PLACE_COUNTRY: 0.005,
    f.GEO: 0.02,
    f.GEO_CELL: 0.0005,
    f.SOURCE: 0.2,
}
_KEY_PRIORS: dict[Key, float] = {
    (f.LANG, "en"): 0.5,
    (f.LANG, "und"): 0.1,
    (f.HAS, "links"): 0.4,
    (f.HAS, "mentions"): 0.5,
    (f.HAS, "hashtags"): 0.15,
    (f.HAS, "symbols"): 0.01,
    (f.HAS, "media"): 0.15,
    (f.HAS, "images"): 0.12,
    (f.HAS, "videos"): 0.03,
    (f.HAS, "geo"): 0.02,
    (f.HAS, "lang"): 0.9,
    (f.IS, "retweet"): 0.5,
    (f.IS, "reply"): 0.2,
    (f.IS, "quote"): 0.1,
    (f.IS, "verified"): 0.02,
    (f.IS, "nullcast"): 0.001,
}
_NGRAM_PRIORS = {1: 0.5, 2: 0.1, 3: 0.02}
# Characters frequent in tweet text; an n-gram of rarer ones is more selective.
_COMMON_CHARS = frozenset("etaoinshrdlu ")
# Counts above this many distinct keys are halved and the rare ones forgotten,
# so memory stays bounded however long the stream runs.
_MAX_KEYS = 500_000


@functools.lru_cache(maxsize=1 << 16)
def prior(key: Key) -> float:
    """The probability that a tweet offers ``key`` before any tweet is seen."""
    known = _KEY_PRIORS.get(key)
    if known is not None:
        return known
    family, value = key
    if family == f.TEXT:
        if value in STOP_WORDS:
            return 0.3
        if len(value) <= 2:
            return 0.02
        if len(value) <= 4:
            return 0.005
        return 0.001
    if family in (f.HAS, f.IS):
        return 0.1
    if family[-1].isdigit() and not family.startswith("n_"):
        estimate = _NGRAM_PRIORS[int(family[-1])]
        for char in value:
            estimate *= 1.0 if char in _COMMON_CHARS else 0.5 if char.isalpha() else 0.25
        return estimate
    if family.startswith("n_"):
        return 0.05
    return _FAMILY_PRIORS.get(family, 0.01)


class FrequencyModel:
    """Estimated probability that a tweet offers a key, from priors and observed counts."""

    # How many observed tweets the prior is worth.
    PRIOR_WEIGHT = 200.0

    def __init__(self) -> None:
        self._counts: Counter[Key] = Counter()
        self._tweets = 0

    @property
    def tweets_observed(self) -> int:
        """How many tweets have been counted."""
        return self._tweets

    def observe(self, keys: Iterable[Key]) -> None:
        """Count the keys one tweet offers (each key once)."""
        # Counter.update counts an iterable in C: learning stays cheap.
        self._counts.update(keys)
        self._tweets += 1
        if len(self._counts) > _MAX_KEYS:
            self._decay()

    def most_common(self, n: int) -> list[Key]:
        """The ``n`` keys seen most often."""
        return [key for key, _ in self._counts.most_common(n)]

    def estimate(self, key: Key) -> float:
        """Probability that a tweet offers ``key``."""
        weight = self.PRIOR_WEIGHT
        return (self._counts.get(key, 0) + prior(key) * weight) / (self._tweets + weight)

    def _decay(self) -> None:
        self._counts = Counter(
            {key: count // 2 for key, count in self._counts.items() if count > 1}
        )
        self._tweets //= 2
