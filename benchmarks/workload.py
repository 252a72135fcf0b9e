"""Tweets and rules for the matching benchmarks.

Tweets come from the real corpus in ``../shared/data`` when it is there (read
in place, never copied into the repo) and from the synthetic firehose
otherwise; :class:`Corpus` says which. Rules are generated from the corpus
vocabulary in two profiles:

- ``realistic``: what customers track: topics, brands, people. Terms are
  drawn Zipf-like (s = 0.9) from the corpus vocabulary after its ~200 most
  frequent tokens, shuffled so that a term's popularity among rules does not
  follow its frequency in tweets, and interleaved with made-up brand-like
  words that no tweet contains; a common word appears only ANDed beside such
  a term. The operator mix follows real rule sets: single keywords,
  ANDs, phrases, OR groups, negations, ``from:``, ``lang:``, ``has:``, hashtags,
  mentions, and a few ``url:``, ``bio:``, ``contains:``, ``point_radius:``,
  ``sample:`` rules.
- ``broad``: the worst case for an index. Terms from the top of the frequency
  list (a few stop words too, always ANDed with a real word so the rule stays
  valid), mostly single keywords and ORs, so every tweet hits many rules.

Import it from a script in this directory (``python benchmarks/match.py``
puts the directory on ``sys.path``).
"""

from __future__ import annotations

import bisect
import gzip
import itertools
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

import orjson

from powertrack import Tweet, TweetFormatError
from powertrack.firehose.synthetic import SyntheticTweets, all_hashtags, to_v2
from powertrack.text import STOP_WORDS, is_emoji_token, tokenize

__all__ = [
    "DATA_DIR",
    "Corpus",
    "Profile",
    "corpus_author_names",
    "corpus_hashtags",
    "corpus_phrases",
    "generate_rules",
    "load_corpus_tweets",
    "vocabulary",
]

Profile = Literal["realistic", "broad"]

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_FILES = ("tweets-v11.jsonl.gz", "tweets-v2.jsonl.gz")
_SYNTHETIC_DEFAULT = 20_000

# Links, mentions and HTML escapes would flood the vocabulary with `t`, `co`,
# `amp` and screen names that no customer tracks as keywords.
_NOISE = re.compile(r"https?://\S+|@\w+|&(?:amp|lt|gt|quot);")
_SCREEN_NAME = re.compile(r"[A-Za-z0-9_]{1,15}")
_HASHTAG = re.compile(r"\w+")

_LANGS = ("en", "es", "pt", "ja", "fr", "de", "ar", "it", "tr", "ko", "und")
_LANG_WEIGHTS = (50, 12, 8, 8, 6, 5, 3, 3, 2, 2, 1)
_CASHTAGS = ("AAPL", "TSLA", "NVDA", "MSFT", "AMZN", "GOOG", "META", "BTC", "ETH", "SPY", "GME")
# (longitude, latitude) of big cities, for point_radius rules.
_CENTRES = (
    (-73.99, 40.73),
    (-118.24, 34.05),
    (-87.63, 41.88),
    (-0.13, 51.51),
    (2.35, 48.86),
    (13.40, 52.52),
    (-3.70, 40.42),
    (-46.63, -23.55),
    (-99.13, 19.43),
    (139.69, 35.69),
    (151.21, -33.87),
    (77.21, 28.61),
)


class Corpus(NamedTuple):
    """Raw tweet JSON lines and where they came from: ``tweets, source = load_corpus_tweets()``."""

    tweets: list[bytes]
    source: str

    @property
    def synthetic(self) -> bool:
        """True when the real corpus was missing and the tweets are generated."""
        return self.source.startswith("synthetic")


def _read_lines(path: Path) -> list[bytes]:
    with gzip.open(path, "rb") as f:
        return [line.strip() for line in f if line.strip()]


def load_corpus_tweets(
    limit: int | None = None, *, data_dir: Path = DATA_DIR, seed: int = 0
) -> Corpus:
    """Up to ``limit`` tweets as raw JSON lines, v1.1 and v2 mixed evenly.

    From the real corpus when its files exist; otherwise ``limit`` (default
    20,000) synthetic tweets, every tenth in v2 form, and ``source`` starts
    with ``synthetic`` and says why.
    """
    found = [data_dir / name for name in _FILES if (data_dir / name).is_file()]
    if found:
        parts = [_read_lines(path) for path in found]
        # Spread each file evenly through the result so a prefix has both formats.
        keyed = sorted(
            ((i + 0.5) / len(lines), n, line)
            for n, lines in enumerate(parts)
            for i, line in enumerate(lines)
        )
        lines = [line for _, _, line in keyed][:limit]
        counts = " + ".join(f"{len(p):,} {path.name}" for p, path in zip(parts, found, strict=True))
        return Corpus(lines, f"corpus {data_dir} ({counts}), using {len(lines):,}")
    n = _SYNTHETIC_DEFAULT if limit is None else limit
    tweets = SyntheticTweets(seed).take(n)
    lines = [orjson.dumps(to_v2(tweet) if i % 10 == 9 else tweet) for i, tweet in enumerate(tweets)]
    return Corpus(lines, f"synthetic (seed {seed}, {n:,} tweets): no corpus in {data_dir}")


def _decoded(tweets: Iterable[bytes]) -> Iterable[dict[str, Any]]:
    for raw in tweets:
        doc = orjson.loads(raw)
        if isinstance(doc, dict):
            yield doc


def _text(doc: dict[str, Any]) -> str:
    """The text a rule is matched against: the original's full text for a retweet."""
    if "data" in doc:
        data = doc["data"]
        refs = {
            r.get("id") for r in data.get("referenced_tweets", []) if r.get("type") == "retweeted"
        }
        for included in doc.get("includes", {}).get("tweets", []):
            if included.get("id") in refs:
                data = included
        note = data.get("note_tweet", {}).get("text")
        return str(note or data.get("text", ""))
    doc = doc.get("retweeted_status") or doc
    extended = doc.get("extended_tweet", {}).get("full_text")
    return str(extended or doc.get("full_text") or doc.get("text", ""))


def _tokens(doc: dict[str, Any]) -> set[str]:
    return set(tokenize(_NOISE.sub(" ", _text(doc))))


def _useful(token: str) -> bool:
    if token in STOP_WORDS:
        return False
    return len(token) > 1 or not token.isascii() or is_emoji_token(token)


def vocabulary(tweets: Iterable[bytes]) -> list[str]:
    """Tokens ranked by how many tweets contain them, stop words left out.

    Links, mentions, HTML escapes and single ASCII characters are left out
    too. Ties break alphabetically, so the ranking is reproducible.
    """
    counts: Counter[str] = Counter()
    for doc in _decoded(tweets):
        counts.update(token for token in _tokens(doc) if _useful(token))
    return [token for token, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def corpus_phrases(tweets: Iterable[bytes], top: int = 5000) -> list[str]:
    """Pairs of adjacent non-stop-word tokens (``"climate change"``), most frequent first."""
    counts: Counter[str] = Counter()
    for doc in _decoded(tweets):
        tokens = tokenize(_NOISE.sub(" ", _text(doc)))
        counts.update(
            {f"{a} {b}" for a, b in itertools.pairwise(tokens) if _useful(a) and _useful(b)}
        )
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [phrase for phrase, count in ranked[:top] if count > 1]


def _ranked(items: Iterable[str], key: Callable[[str], str]) -> list[str]:
    """Distinct items by frequency, each in its most common spelling."""
    spellings: dict[str, Counter[str]] = {}
    for item in items:
        spellings.setdefault(key(item), Counter())[item] += 1
    ranked = sorted(spellings.values(), key=lambda c: (-c.total(), c.most_common(1)[0][0]))
    return [c.most_common(1)[0][0] for c in ranked]


def corpus_author_names(tweets: Iterable[bytes]) -> list[str]:
    """Screen names of authors (retweeted ones too), the most active first."""
    names: list[str] = []
    for doc in _decoded(tweets):
        if "data" in doc:
            names += [
                u["username"] for u in doc.get("includes", {}).get("users", []) if "username" in u
            ]
            continue
        for status in (doc, doc.get("retweeted_status"), doc.get("quoted_status")):
            if status and "user" in status:
                names.append(status["user"]["screen_name"])
    return _ranked((n for n in names if _SCREEN_NAME.fullmatch(n)), str.lower)


def corpus_hashtags(tweets: Iterable[bytes]) -> list[str]:
    """Hashtags (without ``#``), the most used first, in their most common case."""
    tags: list[str] = []
    for doc in _decoded(tweets):
        if "data" in doc:
            tags += [h["tag"] for h in doc["data"].get("entities", {}).get("hashtags", [])]
            continue
        status = doc.get("retweeted_status") or doc
        entities = status.get("extended_tweet", {}).get("entities") or status.get("entities", {})
        tags += [h["text"] for h in entities.get("hashtags", [])]
    return _ranked((t for t in tags if _HASHTAG.fullmatch(t)), str.casefold)


class _Drawer:
    """Weighted draws from a ranked list: ``1 / rank**s`` over a slice of it."""

    def __init__(self, items: Sequence[str], s: float) -> None:
        self.items = list(items)
        self._cum = list(itertools.accumulate(1.0 / (r + 1) ** s for r in range(len(self.items))))

    def __call__(self, rng: random.Random) -> str:
        return self.items[bisect.bisect(self._cum, rng.random() * self._cum[-1])]


def generate_rules(
    n: int,
    profile: Profile,
    seed: int,
    vocab: Sequence[str],
    *,
    authors: Sequence[str] = (),
    hashtags: Sequence[str] = (),
    phrases: Sequence[str] = (),
) -> list[str]:
    """``n`` distinct, valid rule texts of ``profile``, the same for the same arguments.

    ``vocab`` is ranked by frequency (see :func:`vocabulary`); ``authors``,
    ``hashtags`` and ``phrases`` (from the ``corpus_*`` helpers) are mixed with
    synthetic ones. Raises ValueError when the inputs cannot give ``n``
    distinct rules.
    """
    words = [w for w in vocab if _useful(w)]
    if len(words) < 20:
        raise ValueError(f"vocabulary too small: {len(words)} usable tokens")
    rng = random.Random(seed)
    if profile == "realistic":
        synthetic_names = SyntheticTweets(seed, users=2000).screen_names
        make = _Realistic(words, authors, hashtags, phrases, synthetic_names).rule
    else:
        make = _Broad(words).rule
    rules: dict[str, None] = {}
    attempts = 0
    while len(rules) < n:
        attempts += 1
        if attempts > 50 * n + 1000:
            raise ValueError(f"could not make {n} distinct {profile} rules (got {len(rules)})")
        rules[make(rng)] = None
    return list(rules)


class _Broad:
    def __init__(self, words: list[str]) -> None:
        self.term = _Drawer(words[:1000], s=1.0)
        self.stop = sorted(STOP_WORDS)

    def rule(self, rng: random.Random) -> str:
        r = rng.random()
        if r < 0.35:
            return self.term(rng)
        if r < 0.8:
            return " OR ".join(sorted({self.term(rng) for _ in range(rng.randint(2, 4))}))
        if r < 0.9:
            # A stop word is a keyword like any other once a real word keeps the rule valid.
            return f"{rng.choice(self.stop)} {self.term(rng)}"
        terms = sorted({self.term(rng) for _ in range(rng.randint(2, 3))})
        return f"({' OR '.join(terms)}) -is:retweet"


class _Realistic:
    def __init__(
        self,
        words: list[str],
        authors: Sequence[str],
        hashtags: Sequence[str],
        phrases: Sequence[str],
        synthetic_names: Sequence[str],
    ) -> None:
        tail = words[200:] if len(words) > 400 else words[:]
        # Rule terms are popular among customers (brands, people, topics)
        # independently of how common they are in tweets: shuffle the corpus
        # tail, and mix in made-up words that no tweet contains, as real rule
        # sets hold many terms that a given hour of the firehose never shows.
        random.Random(7).shuffle(tail)
        self.tail = _Drawer(_interleave(tail, _pseudo_words(len(tail) * 4)), s=0.9)
        self.head = _Drawer(words[:200], s=1.0)
        plain = [w for w in tail if w.isalpha() and len(w) >= 4]
        self.plain = _Drawer(plain or words, s=0.9)
        names = [a for a in authors[:5000] if _SCREEN_NAME.fullmatch(a)]
        self.names = _Drawer(_interleave(names, synthetic_names), s=0.9)
        tags = [t for t in hashtags[:5000] if _HASHTAG.fullmatch(t)]
        self.tags = _Drawer(_interleave(tags, all_hashtags()), s=0.9)
        self.phrases = _Drawer(phrases, s=1.0) if phrases else None

    def term(self, rng: random.Random) -> str:
        # Customers track topics, brands and people: the long tail.
        return self.tail(rng)

    def terms(self, rng: random.Random, k: int) -> list[str]:
        # A common word appears only beside a tracked term ("apple store").
        drawn = [self.term(rng)]
        drawn += [self.head(rng) if rng.random() < 0.2 else self.term(rng) for _ in range(k - 1)]
        return sorted(set(drawn))

    def phrase(self, rng: random.Random) -> str:
        if self.phrases is not None and rng.random() < 0.8:
            return f'"{self.phrases(rng)}"'
        return f'"{self.term(rng)} {self.term(rng)}"'

    def group(self, rng: random.Random) -> str:
        members = {
            f"#{self.tags(rng)}" if rng.random() < 0.25 else self.term(rng)
            for _ in range(rng.randint(2, 4))
        }
        return f"({' OR '.join(sorted(members))})"

    def rule(self, rng: random.Random) -> str:
        r = rng.random() * 100
        term = self.term(rng)
        if r < 20:
            return term
        if r < 36:
            return " ".join(self.terms(rng, rng.randint(2, 3)))
        if r < 44:
            return self.phrase(rng)
        if r < 46:
            return f'"{term} {self.term(rng)}"~{rng.randint(2, 6)}'
        if r < 60:
            return f"{self.group(rng)} {term}"
        if r < 66:
            return f"{term} -is:retweet"
        if r < 70:
            return f"{term} -{self.term(rng)}"
        if r < 75:
            return self._from(rng)
        if r < 81:
            return f"{term} lang:{rng.choices(_LANGS, _LANG_WEIGHTS)[0]}"
        if r < 85:
            return f"{term} {rng.choice(('has:links', 'has:media', 'has:images', 'has:mentions'))}"
        if r < 91:
            return self._hashtag(rng, term)
        if r < 94:
            name = self.names(rng)
            return f"@{name}" if rng.random() < 0.6 else f"@{name} -is:retweet"
        if r < 95:
            return (
                f"${rng.choice(_CASHTAGS)} {term}"
                if rng.random() < 0.5
                else f"${rng.choice(_CASHTAGS)}"
            )
        if r < 97:
            return (
                f"url:{self.plain(rng)}" if rng.random() < 0.5 else f"bio:{self.plain(rng)} {term}"
            )
        if r < 98:
            return self._rare(rng, term)
        if r < 99:
            return f"{term} is:verified"
        return f"{self.group(rng)} sample:{rng.choice((1, 5, 10, 25, 50))}"

    def _from(self, rng: random.Random) -> str:
        r = rng.random()
        if r < 0.5:
            return f"from:{self.names(rng)}"
        if r < 0.8:
            return f"from:{self.names(rng)} -is:retweet"
        names = sorted({self.names(rng) for _ in range(rng.randint(2, 4))})
        return f"({' OR '.join(f'from:{n}' for n in names)}) {self.term(rng)}"

    def _hashtag(self, rng: random.Random, term: str) -> str:
        r = rng.random()
        if r < 0.5:
            return f"#{self.tags(rng)}"
        if r < 0.8:
            return f"#{self.tags(rng)} {term}"
        tags = sorted({f"#{self.tags(rng)}" for _ in range(rng.randint(2, 3))}, key=str.casefold)
        return " OR ".join(tags)

    def _rare(self, rng: random.Random, term: str) -> str:
        r = rng.random()
        if r < 0.4:
            word = self.plain(rng)
            return f"contains:{word[: max(4, len(word) - 2)]}"
        if r < 0.7:
            lon, lat = rng.choice(_CENTRES)
            lon += rng.uniform(-0.2, 0.2)
            lat += rng.uniform(-0.2, 0.2)
            return f"point_radius:[{lon:.3f} {lat:.3f} {rng.randint(1, 25)}mi]"
        return (
            f"{term} place_country:{rng.choice(('US', 'GB', 'BR', 'JP', 'ES', 'FR', 'DE', 'MX'))}"
        )


_SYLLABLES = (
    "ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "bre", "dan", "fel", "gor", "hin", "jas",
    "kel", "lum", "mor", "nix", "pra", "quo", "ros", "sul", "tor", "ux", "vel", "wen", "yor",
)  # fmt: skip


def _pseudo_words(n: int) -> list[str]:
    """``n`` distinct made-up words (brand-like names), the same every time."""
    rng = random.Random(11)
    words: dict[str, None] = {}
    while len(words) < n:
        words["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
    return list(words)


def _interleave(first: Sequence[str], second: Sequence[str]) -> list[str]:
    """Alternate two ranked lists (dropping repeats), so both get high ranks."""
    out: dict[str, None] = {}
    for a, b in itertools.zip_longest(first, second):
        for item in (a, b):
            if item is not None:
                out.setdefault(item, None)
    return list(out)


def is_tweet(raw: bytes) -> bool:
    """Whether ``raw`` is a tweet powertrack reads (corpus lines also hold a DM event)."""
    try:
        Tweet.from_json(raw)
    except TweetFormatError:
        return False
    return True


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` quantile of sorted ``ordered`` (nearest rank); None when empty."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
