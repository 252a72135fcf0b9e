"""The synthetic user pool and the place objects tweets are tagged with."""

from __future__ import annotations

import hashlib
import random
import string
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from powertrack.firehose import _vocab

__all__ = [
    "LANGS",
    "PLACES",
    "Person",
    "Zipf",
    "between",
    "make_people",
    "pick",
    "tco",
    "twitter_time",
]

T = TypeVar("T")

# Languages a user writes in; "und" tweets come from anyone.
LANGS = ("en", "es", "pt", "ja", "fr", "de")

_ALNUM = string.ascii_letters + string.digits
# Maps every byte onto the 62 letters and digits (a slight bias is harmless).
_BYTES_TO_ALNUM = bytes.maketrans(bytes(range(256)), bytes(ord(_ALNUM[i % 62]) for i in range(256)))
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ROMAJI = ("yuki", "haru", "sakura", "kenta", "taro", "hana", "sora", "riku", "mei", "ren")
_ORG_SUFFIXES = ("Daily", "News", "Watch", "Hub", "Updates", "Now", "Central")
_HANDLE_TAILS = ("", "_", "x", "official", "real", "the")


# `random.choice` and `randint` go through rejection sampling; these plain
# scalings are several times faster and just as deterministic.
def pick(rng: random.Random, items: Sequence[T]) -> T:
    """A uniformly chosen item of ``items``."""
    return items[int(rng.random() * len(items))]


def between(rng: random.Random, low: int, high: int) -> int:
    """A uniformly chosen integer from ``low`` to ``high`` inclusive."""
    return low + int(rng.random() * (high - low + 1))


class Zipf(Generic[T]):
    """Draws items with probability proportional to ``1 / rank**s`` by one table lookup.

    The table gives every item at least one slot, so the tail is slightly
    heavier than a true Zipf law; drawing stays O(1), which is what lets the
    generator make a hundred thousand tweets in a few seconds.
    """

    __slots__ = ("_n", "table")

    def __init__(self, items: Sequence[T], s: float = 1.0, slots: int = 16384) -> None:
        if not items:
            raise ValueError("Zipf needs at least one item")
        weights = [1.0 / (rank + 1) ** s for rank in range(len(items))]
        scale = slots / sum(weights)
        table: list[T] = []
        for item, weight in zip(items, weights, strict=True):
            table.extend([item] * max(1, round(weight * scale)))
        self.table = table
        self._n = len(table)

    def pick(self, rng: random.Random) -> T:
        """One item."""
        return self.table[int(rng.random() * self._n)]


def twitter_time(seconds: int) -> str:
    """``created_at`` in the v1.1 format, e.g. ``Thu Jun 01 12:00:00 +0000 2023``."""
    tm = time.gmtime(seconds)
    return (
        f"{_DAYS[tm.tm_wday]} {_MONTHS[tm.tm_mon - 1]} {tm.tm_mday:02d} "
        f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +0000 {tm.tm_year}"
    )


def tco(rng: random.Random) -> str:
    """A t.co short link: always 23 characters, as Twitter counts them."""
    return "https://t.co/" + rng.randbytes(10).translate(_BYTES_TO_ALNUM).decode("ascii")


def _place(city: _vocab.City) -> dict[str, Any]:
    # Ids derive from the name, not the seed, so a place keeps its id across runs.
    place_id = hashlib.md5(city.full_name.encode(), usedforsecurity=False).hexdigest()[:16]
    w, e = round(city.lon - city.half_width, 6), round(city.lon + city.half_width, 6)
    s, n = round(city.lat - city.half_height, 6), round(city.lat + city.half_height, 6)
    return {
        "id": place_id,
        "url": f"https://api.twitter.com/1.1/geo/id/{place_id}.json",
        "place_type": city.place_type,
        "name": city.name,
        "full_name": city.full_name,
        "country_code": city.country_code,
        "country": city.country,
        "bounding_box": {"type": "Polygon", "coordinates": [[[w, s], [w, n], [e, n], [e, s]]]},
        "attributes": {},
    }


def _places_by_lang() -> dict[str, list[tuple[_vocab.City, dict[str, Any]]]]:
    places: dict[str, list[tuple[_vocab.City, dict[str, Any]]]] = {lang: [] for lang in LANGS}
    for city in _vocab.CITIES:
        places[city.lang].append((city, _place(city)))
    return places


# Place objects are built once and shared by every tweet tagged with them.
PLACES = _places_by_lang()


@dataclass(frozen=True, slots=True)
class Person:
    """A user of the pool: the v1.1 user object plus what drives their tweets."""

    user: dict[str, Any]
    lang: str
    topic: _vocab.Topic
    home: tuple[_vocab.City, dict[str, Any]] | None


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum())


def _screen_name(
    rng: random.Random, first: str, last: str, taken: set[str], *, org: bool = False
) -> str:
    a = _ascii(first) or pick(rng, _ROMAJI)
    b = _ascii(last) or pick(rng, _ROMAJI)
    # Accounts of organisations look like brands: `RocketDaily`, `rocket_daily`.
    style = pick(rng, (0, 0, 1)) if org else int(rng.random() * 6)
    if style == 0:
        name = a + b
    elif style == 1:
        name = f"{a.lower()}_{b.lower()}"
    elif style == 2:
        name = f"{a.lower()}{rng.randrange(1970, 2010)}"
    elif style == 3:
        name = f"{rng.choice(_HANDLE_TAILS)}{a}{b[:1]}"
    elif style == 4:
        name = f"{a}{b}{rng.randrange(100)}"
    else:
        name = f"{a[:1]}{b}_{rng.randrange(10)}"
    name = name[:15]
    while name in taken or len(name) < 4:
        name = f"{name[:11]}{rng.randrange(10000)}"
    taken.add(name)
    return name


def _bio(rng: random.Random, lang: str, topic: _vocab.Topic) -> str:
    if rng.random() < 0.15:
        return ""
    roles = _vocab.BIO_ROLES[lang]
    parts = rng.sample(roles, k=min(len(roles), rng.randint(1, 3)))
    interest = rng.choice(topic.words)
    parts.insert(rng.randrange(len(parts) + 1), f"{interest} fan" if lang == "en" else interest)
    if rng.random() < 0.4:
        parts.append(rng.choice(_vocab.EMOJI))
    if rng.random() < 0.2:
        parts.append("#" + rng.choice(topic.hashtags))
    return rng.choice((" | ", " · ", ". ", " ")).join(parts)


def _counts(rng: random.Random, popular: bool) -> tuple[int, int, int, int]:
    followers = int(rng.lognormvariate(12.5 if popular else 5.0, 1.6 if popular else 1.8))
    friends = int(rng.lognormvariate(5.5, 1.2))
    statuses = int(rng.lognormvariate(8.0, 1.5))
    listed = followers // rng.randint(50, 400)
    return min(followers, 90_000_000), friends, statuses + 1, listed


def make_people(
    rng: random.Random, n: int, start_ms: int, lang_shares: dict[str, float]
) -> list[Person]:
    """``n`` users, split across languages by ``lang_shares`` (at least a few per language)."""
    people: list[Person] = []
    taken: set[str] = set()
    topics = Zipf(_vocab.TOPICS, s=0.6, slots=1024)
    total = sum(lang_shares.get(lang, 0.0) for lang in LANGS) or 1.0
    for lang in LANGS:
        count = max(20, round(n * lang_shares.get(lang, 0.0) / total))
        people.extend(_person(rng, lang, topics.pick(rng), start_ms, taken) for _ in range(count))
    return people


def _person(
    rng: random.Random, lang: str, topic: _vocab.Topic, start_ms: int, taken: set[str]
) -> Person:
    org = rng.random() < 0.05
    if org:
        word = rng.choice(topic.words)
        first, last = word.capitalize(), rng.choice(_ORG_SUFFIXES)
        name = f"{first} {last}"
        description = f"{rng.choice(topic.words).capitalize()} and {word} news, every day."
    else:
        first = rng.choice(_vocab.FIRST_NAMES[lang])
        last = rng.choice(_vocab.LAST_NAMES[lang])
        name = f"{last} {first}" if lang == "ja" and not first.isascii() else f"{first} {last}"
        if rng.random() < 0.1:
            name += " " + rng.choice(_vocab.EMOJI)
        description = _bio(rng, lang, topic)
    screen_name = _screen_name(rng, first, last, taken, org=org)
    # Account ages: sequential ids before snowflake (2010), timestamp ids after.
    created_s = rng.randrange(1_170_000_000, start_ms // 1000 - 86_400)
    if created_s < 1_288_834_974:
        uid = rng.randrange(1_000_000, 220_000_000)
    else:
        uid = ((created_s * 1000 - 1_288_834_974_657) << 22) | rng.getrandbits(22)
    popular = org or rng.random() < 0.03
    followers, friends, statuses, listed = _counts(rng, popular)
    places = PLACES[lang]
    home = rng.choice(places) if places and rng.random() < 0.6 else None
    location = home[0].full_name if home else rng.choice(_vocab.FREE_LOCATIONS)
    image = f"{rng.getrandbits(60)}/{''.join(rng.choices(_ALNUM, k=8))}_normal.jpg"
    user: dict[str, Any] = {
        "id": uid,
        "id_str": str(uid),
        "name": name,
        "screen_name": screen_name,
        "location": location,
        "url": None,
        "description": description,
        "translator_type": "none",
        "protected": False,
        "verified": rng.random() < (0.5 if popular else 0.01),
        "followers_count": followers,
        "friends_count": friends,
        "listed_count": listed,
        "favourites_count": int(rng.lognormvariate(7.0, 2.0)),
        "statuses_count": statuses,
        "created_at": twitter_time(created_s),
        "utc_offset": None,
        "time_zone": None,
        "geo_enabled": home is not None,
        "lang": None,
        "contributors_enabled": False,
        "is_translator": False,
        "profile_background_color": "F5F8FA",
        "profile_image_url": f"http://pbs.twimg.com/profile_images/{image}",
        "profile_image_url_https": f"https://pbs.twimg.com/profile_images/{image}",
        "default_profile": rng.random() < 0.6,
        "default_profile_image": False,
        "following": None,
        "follow_request_sent": None,
        "notifications": None,
    }
    if org or rng.random() < 0.1:
        link = tco(rng)
        domain = rng.choice(topic.domains) if org else f"{screen_name.lower()}.example.com"
        user["url"] = link
        user["entities"] = {
            "url": {
                "urls": [
                    {
                        "url": link,
                        "expanded_url": f"https://{domain}",
                        "display_url": domain,
                        "indices": [0, 23],
                    }
                ]
            },
            "description": {"urls": []},
        }
    return Person(user, lang, topic, home)
