"""A deterministic synthetic firehose of X API v1.1 native tweets.

``SyntheticTweets(seed)`` yields tweet dicts shaped like the v1.1 streaming
API's: retweets carry the full original, long tweets carry
``extended_tweet``, media sit in ``extended_entities``, geotagged tweets carry
a place and sometimes an exact point. :func:`to_v2` turns any of them into a
v2 filtered-stream message. The same seed always gives the same tweets, so
tests, benchmarks and the bundled samples can be regenerated exactly.
"""

from __future__ import annotations

import gc
import itertools
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from powertrack.firehose import _vocab
from powertrack.firehose._compose import BodyWriter, Text, shifted, write_media
from powertrack.firehose._people import (
    LANGS,
    PLACES,
    Person,
    Zipf,
    between,
    make_people,
    pick,
    tco,
    twitter_time,
)
from powertrack.firehose.v2 import TWITTER_EPOCH_MS, to_v2

__all__ = ["DEFAULT_START_MS", "Mix", "SyntheticTweets", "all_hashtags", "to_v2"]

DEFAULT_START_MS = 1_685_577_600_000  # 2023-06-01T00:00:00Z
_ORIGINALS = 300  # recent originals kept for retweets and quotes


@dataclass(frozen=True, slots=True)
class Mix:
    """How often each kind of tweet and entity appears (probabilities, 0 to 1).

    ``retweet``, ``quote`` and ``reply`` are shares of all tweets and must not
    add up to more than 1; the others apply to each tweet written (retweets
    take their entities from the original). ``langs`` are relative weights.
    """

    retweet: float = 0.30
    quote: float = 0.07
    reply: float = 0.18
    media: float = 0.14
    link: float = 0.22
    hashtag: float = 0.30
    mention: float = 0.10
    geo: float = 0.04
    exact_point: float = 0.35  # share of geotagged tweets that also have coordinates
    long: float = 0.2  # tweets with several sentences, often past 140 characters
    emoji: float = 0.3
    langs: tuple[tuple[str, float], ...] = (
        ("en", 0.68),
        ("es", 0.10),
        ("pt", 0.06),
        ("ja", 0.06),
        ("fr", 0.04),
        ("de", 0.03),
        ("und", 0.03),
    )

    def __post_init__(self) -> None:
        shares = [self.retweet, self.quote, self.reply, self.media, self.link, self.hashtag]
        shares += [self.mention, self.geo, self.exact_point, self.long, self.emoji]
        if not all(0.0 <= p <= 1.0 for p in shares):
            raise ValueError("Mix probabilities must be between 0 and 1")
        if self.retweet + self.quote + self.reply > 1.0:
            raise ValueError("retweet + quote + reply must not exceed 1")
        if (
            not self.langs
            or any(w < 0 for _, w in self.langs)
            or sum(w for _, w in self.langs) <= 0
        ):
            raise ValueError("langs needs at least one positive weight")


def all_hashtags() -> list[str]:
    """Every hashtag the generator can write, in its usual case."""
    tags = [tag for topic in _vocab.TOPICS for tag in topic.hashtags]
    tags += _vocab.GENERIC_HASHTAGS
    tags += [tag for lang_tags in _vocab.LANG_HASHTAGS.values() for tag in lang_tags]
    return list(dict.fromkeys(tags))


class SyntheticTweets:
    """An endless, deterministic stream of synthetic v1.1 tweets.

    Iterate it, or call :meth:`next_tweet` / :meth:`take`. Time is simulated:
    it starts at ``start_ms`` and advances by exponential gaps averaging
    ``1 / tweets_per_second``. Returned dicts share read-only sub-objects
    (users, places, retweeted originals) with each other: copy before mutating
    anything below the top level.
    """

    def __init__(
        self,
        seed: int,
        *,
        users: int = 5000,
        mix: Mix | None = None,
        start_ms: int = DEFAULT_START_MS,
        tweets_per_second: float = 50.0,
    ) -> None:
        self._rng = random.Random(seed)
        self.mix = mix or Mix()
        self._now = float(start_ms)
        self._gap_ms = 1000.0 / tweets_per_second
        self._seq = 0
        langs = [lang for lang, _ in self.mix.langs]
        self._lang_cum = list(itertools.accumulate(share for _, share in self.mix.langs))
        self._langs = langs
        self._people = make_people(self._rng, users, start_ms, dict(self.mix.langs))
        by_lang = {lang: [p for p in self._people if p.lang == lang] for lang in LANGS}
        self._authors = {lang: Zipf(ps, s=0.8) for lang, ps in by_lang.items()}
        self._popular = {
            lang: Zipf(sorted(ps, key=lambda p: -p.user["followers_count"]), s=1.1)
            for lang, ps in by_lang.items()
        }
        self._writer = BodyWriter(
            self._rng,
            lambda lang: self._popular[lang].pick(self._rng).user,
            mention=self.mix.mention,
            hashtag=self.mix.hashtag,
            link=self.mix.link,
            emoji=self.mix.emoji,
            long=self.mix.long,
        )
        self._topics = Zipf(_vocab.TOPICS, s=0.5, slots=1024)
        self._originals: deque[dict[str, Any]] = deque(maxlen=_ORIGINALS)
        self._roots: deque[tuple[int, dict[str, Any]]] = deque(maxlen=500)
        self._last_second = -1
        self._last_created = ""

    @property
    def users(self) -> list[dict[str, Any]]:
        """The user pool as v1.1 user objects (shared with the tweets: do not mutate)."""
        return [p.user for p in self._people]

    @property
    def screen_names(self) -> list[str]:
        """Screen names of the user pool, in pool order."""
        return [p.user["screen_name"] for p in self._people]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            yield self.next_tweet()

    def take(self, n: int) -> list[dict[str, Any]]:
        """The next ``n`` tweets."""
        # Keeping many fresh dicts alive makes the cyclic GC rescan them over and
        # over; tweets hold no reference cycles, so pausing it is safe and nearly
        # halves the time for 100k tweets.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return [self.next_tweet() for _ in range(n)]
        finally:
            if enabled:
                gc.enable()

    def next_tweet(self) -> dict[str, Any]:
        """The next tweet of the stream, as a v1.1 streaming payload."""
        rng = self._rng
        self._now += rng.expovariate(1.0) * self._gap_ms
        ms = int(self._now)
        lang = self._pick_lang()
        author = self._author(lang)
        r = rng.random()
        if r < self.mix.retweet:
            tweet = self._retweet(ms, author)
        elif r < self.mix.retweet + self.mix.quote:
            tweet = self._status(ms, author, lang, quoted=self._original(ms, lang))
        else:
            reply_to = None
            if self._roots and rng.random() < self.mix.reply / (
                1 - self.mix.retweet - self.mix.quote
            ):
                reply_to = self._roots[int(rng.random() * len(self._roots))]
            tweet = self._status(ms, author, lang, reply_to=reply_to)
            if reply_to is None:
                self._roots.append((tweet["id"], author.user))
        second = ms // 1000
        if second != self._last_second:
            self._last_second = second
            self._last_created = twitter_time(second)
        tweet["created_at"] = self._last_created
        tweet["timestamp_ms"] = str(ms)
        return tweet

    def _pick_lang(self) -> str:
        r = self._rng.random() * self._lang_cum[-1]
        for lang, cum in zip(self._langs, self._lang_cum, strict=True):
            if r < cum:
                return lang
        return self._langs[-1]

    def _author(self, lang: str) -> Person:
        if lang not in self._authors:
            lang = LANGS[int(self._rng.random() * len(LANGS))]
        return self._authors[lang].pick(self._rng)

    def _snowflake(self, ms: int) -> int:
        self._seq = (self._seq + 1) & 0xFFF
        return ((ms - TWITTER_EPOCH_MS) << 22) | (self._rng.getrandbits(10) << 12) | self._seq

    def _original(self, ms: int, lang: str) -> dict[str, Any]:
        rng = self._rng
        # Popular tweets get retweeted again and again: reuse a recent original,
        # more often once there are enough to choose from.
        if rng.random() < 0.5 * len(self._originals) / _ORIGINALS:
            cached = self._originals[int(rng.random() * len(self._originals))]
            # A nested quote is older than `ms`; never let it quote the future.
            if (cached["id"] >> 22) + TWITTER_EPOCH_MS < ms:
                return cached
        then = ms - int(rng.expovariate(1.0) * 3_600_000) - 1000
        pool = self._popular[lang] if lang in self._popular else self._popular["en"]
        author = pool.pick(rng)
        quoted = self._original(then, author.lang) if rng.random() < 0.04 else None
        original = self._status(then, author, author.lang if lang != "und" else lang, quoted=quoted)
        original["created_at"] = twitter_time(then // 1000)
        original["retweet_count"] = int(rng.lognormvariate(3.0, 2.0))
        original["favorite_count"] = original["retweet_count"] * between(rng, 2, 8)
        original["reply_count"] = int(rng.lognormvariate(1.0, 1.5))
        original["quote_count"] = original["reply_count"] // 3
        self._originals.append(original)
        return original

    def _retweet(self, ms: int, author: Person) -> dict[str, Any]:
        rng = self._rng
        original = self._original(ms, author.lang)
        orig_user = original["user"]
        ext = original.get("extended_tweet")
        full = ext["full_text"] if ext else original["text"]
        ents = ext["entities"] if ext else original["entities"]
        prefix = f"RT @{orig_user['screen_name']}: "
        text = prefix + full
        limit = len(text)
        if len(text) > 140:
            text = text[:139] + "…"
            limit = 139
        offset = len(prefix)
        entities: dict[str, Any] = {
            "hashtags": shifted(ents["hashtags"], offset, limit),
            "urls": shifted(ents["urls"], offset, limit),
            "user_mentions": [
                {
                    "screen_name": orig_user["screen_name"],
                    "name": orig_user["name"],
                    "id": orig_user["id"],
                    "id_str": orig_user["id_str"],
                    "indices": [3, 4 + len(orig_user["screen_name"])],
                },
                *shifted(ents["user_mentions"], offset, limit),
            ],
            "symbols": shifted(ents["symbols"], offset, limit),
        }
        tweet_id = self._snowflake(ms)
        tweet = self._envelope(tweet_id, text, author.user, original["lang"])
        tweet["entities"] = entities
        media = (ext or original).get("extended_entities", {}).get("media", [])
        kept = shifted(media, offset, limit)
        if kept:
            entities["media"] = [{**kept[0], "type": "photo"}]
            tweet["extended_entities"] = {"media": kept}
        tweet["retweeted_status"] = original
        if original["is_quote_status"] and "quoted_status" in original:
            tweet["is_quote_status"] = True
            tweet["quoted_status_id"] = original["quoted_status_id"]
            tweet["quoted_status_id_str"] = original["quoted_status_id_str"]
            tweet["quoted_status"] = original["quoted_status"]
        if rng.random() < 0.01:
            # Rare, but real: a retweet tagged with the retweeter's place.
            # Geo operators must still ignore it.
            self._geotag(tweet, author, force=True)
        return tweet

    def _envelope(
        self, tweet_id: int, text: str, user: dict[str, Any], lang: str
    ) -> dict[str, Any]:
        name, link, _ = _vocab.SOURCES[int(self._rng.random() * len(_vocab.SOURCES))]
        return {
            "created_at": "",
            "id": tweet_id,
            "id_str": str(tweet_id),
            "text": text,
            "source": f'<a href="{link}" rel="nofollow">{name}</a>',
            "truncated": False,
            "in_reply_to_status_id": None,
            "in_reply_to_status_id_str": None,
            "in_reply_to_user_id": None,
            "in_reply_to_user_id_str": None,
            "in_reply_to_screen_name": None,
            "user": user,
            "geo": None,
            "coordinates": None,
            "place": None,
            "contributors": None,
            "is_quote_status": False,
            "quote_count": 0,
            "reply_count": 0,
            "retweet_count": 0,
            "favorite_count": 0,
            "entities": {},
            "favorited": False,
            "retweeted": False,
            "filter_level": "low",
            "lang": lang,
        }

    def _status(
        self,
        ms: int,
        author: Person,
        lang: str,
        *,
        reply_to: tuple[int, dict[str, Any]] | None = None,
        quoted: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        rng = self._rng
        mix = self.mix
        tweet_id = self._snowflake(ms)
        topic = author.topic if rng.random() < 0.6 else self._topics.pick(rng)
        text = Text()
        if reply_to is not None:
            text.mention(reply_to[1])
            text.add(" ")
            if rng.random() < 0.2:
                text.mention(self._popular[author.lang].pick(rng).user)
                text.add(" ")
        body_start = text.n
        self._writer.write(text, lang, topic)
        display_end = text.n
        media = []
        if rng.random() < mix.media:
            media = write_media(
                rng, text, lambda: self._snowflake(ms - 1500), author.user["screen_name"], tweet_id
            )
        entities = text.entities()
        full_text = text.text()
        if media:
            entities["media"] = [{**media[0], "type": "photo"}]
        tweet = self._envelope(tweet_id, full_text, author.user, lang)
        # Compatibility mode: whatever does not fit 140 characters, a media
        # link included, moves to extended_tweet.
        if len(full_text) > 140:
            self._truncate(
                tweet,
                full_text=full_text,
                entities=entities,
                media=media,
                body_start=body_start,
                display_end=display_end,
                rng=rng,
            )
        else:
            tweet["entities"] = entities
            if media:
                tweet["extended_entities"] = {"media": media}
            if reply_to is not None or media:
                tweet["display_text_range"] = [body_start, display_end]
        if text.urls or media:
            tweet["possibly_sensitive"] = False
        if reply_to is not None:
            root_id, root_user = reply_to
            tweet["in_reply_to_status_id"] = root_id
            tweet["in_reply_to_status_id_str"] = str(root_id)
            tweet["in_reply_to_user_id"] = root_user["id"]
            tweet["in_reply_to_user_id_str"] = root_user["id_str"]
            tweet["in_reply_to_screen_name"] = root_user["screen_name"]
        if quoted is not None:
            if "quoted_status" in quoted:
                # v1.1 embeds one level of quoting only: a quoted quote keeps
                # its quoted_status_id but not the object.
                quoted = {k: v for k, v in quoted.items() if k != "quoted_status"}
            quoted_user = quoted["user"]["screen_name"]
            tweet["is_quote_status"] = True
            tweet["quoted_status_id"] = quoted["id"]
            tweet["quoted_status_id_str"] = quoted["id_str"]
            tweet["quoted_status"] = quoted
            tweet["quoted_status_permalink"] = {
                "url": tco(rng),
                "expanded": f"https://twitter.com/{quoted_user}/status/{quoted['id_str']}",
                "display": f"twitter.com/{quoted_user}/s…",
            }
        if rng.random() < mix.geo:
            self._geotag(tweet, author)
        return tweet

    def _truncate(
        self,
        tweet: dict[str, Any],
        *,
        full_text: str,
        entities: dict[str, Any],
        media: list[dict[str, Any]],
        body_start: int,
        display_end: int,
        rng: random.Random,
    ) -> None:
        # Streaming payloads of long tweets: `text` is cut to fit 140 with an
        # ellipsis and a link to the tweet; everything else is in extended_tweet.
        cut = full_text.rfind(" ", 0, 115)
        cut = cut if cut > body_start else 115
        link = tco(rng)
        head = full_text[:cut]
        tweet["text"] = f"{head}… {link}"
        tweet["truncated"] = True
        short: dict[str, Any] = {
            key: [e for e in entities[key] if e["indices"][1] <= cut]
            for key in ("hashtags", "urls", "user_mentions", "symbols")
        }
        start = len(head) + 2
        short["urls"].append(
            {
                "url": link,
                "expanded_url": f"https://twitter.com/i/web/status/{tweet['id_str']}",
                "display_url": f"twitter.com/i/web/status/{tweet['id_str'][:3]}…",
                "indices": [start, start + len(link)],
            }
        )
        tweet["entities"] = short
        extended: dict[str, Any] = {
            "full_text": full_text,
            "display_text_range": [body_start, display_end],
            "entities": entities,
        }
        if media:
            extended["extended_entities"] = {"media": media}
        tweet["extended_tweet"] = extended

    def _geotag(self, tweet: dict[str, Any], author: Person, *, force: bool = False) -> None:
        rng = self._rng
        lang = tweet["lang"] if tweet["lang"] in PLACES else author.lang
        if author.home is not None and (force or rng.random() < 0.7):
            city, place = author.home
        else:
            city, place = pick(rng, PLACES[lang])
        tweet["place"] = place
        if force or rng.random() >= self.mix.exact_point:
            return
        jitter = 0.002 if city.place_type == "poi" else 1.0
        lon = round(city.lon + (rng.random() * 2 - 1) * max(city.half_width, 0.002) * jitter, 8)
        lat = round(city.lat + (rng.random() * 2 - 1) * max(city.half_height, 0.002) * jitter, 8)
        tweet["coordinates"] = {"type": "Point", "coordinates": [lon, lat]}
        # v1.1 keeps the deprecated `geo` too, with latitude first.
        tweet["geo"] = {"type": "Point", "coordinates": [lat, lon]}
