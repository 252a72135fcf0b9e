"""Tweet bodies for the synthetic firehose: words, hashtags, mentions, links, emoji, media.

A body is written straight into a :class:`Text`, which records v1.1 entities
with code-point indices as it goes, so the indices are right by construction.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from powertrack.firehose import _vocab
from powertrack.firehose._people import Zipf, between, pick, tco

__all__ = ["MAX_DISPLAY", "BodyWriter", "Text", "shifted", "write_media"]

# The longest text a tweet may display, in code points (ignoring the
# weighting Twitter applies to CJK and emoji).
MAX_DISPLAY = 280

_PUNCT = (".", ".", "!", "", "?", "!!", "...", " lol", ":)")
_JA_END = ("！", "。", "w", "", "…")
_SECTIONS = ("news", "2023/06", "article", "blog", "story", "p", "en")
_MEDIA_PREFIX = {"photo": "photo", "video": "video", "animated_gif": "photo"}
_SIZES = {
    "thumb": {"w": 150, "h": 150, "resize": "crop"},
    "small": {"w": 680, "h": 383, "resize": "fit"},
    "medium": {"w": 1200, "h": 675, "resize": "fit"},
    "large": {"w": 1920, "h": 1080, "resize": "fit"},
}
# Share of words drawn from the topic rather than the language's common words.
_TOPIC_SHARE = {"en": 0.3}
_OTHER_TOPIC_SHARE = 0.12


class Text:
    """Text under construction with its v1.1 entities (indices in code points)."""

    __slots__ = ("hashtags", "mentions", "n", "parts", "symbols", "urls")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.n = 0
        self.hashtags: list[dict[str, Any]] = []
        self.mentions: list[dict[str, Any]] = []
        self.symbols: list[dict[str, Any]] = []
        self.urls: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        """Plain text."""
        self.parts.append(text)
        self.n += len(text)

    def hashtag(self, tag: str) -> None:
        """``#tag`` and its entity."""
        start = self.n
        self.add("#" + tag)
        self.hashtags.append({"text": tag, "indices": [start, self.n]})

    def cashtag(self, symbol: str) -> None:
        """``$SYM`` and its entity."""
        start = self.n
        self.add("$" + symbol)
        self.symbols.append({"text": symbol, "indices": [start, self.n]})

    def mention(self, user: dict[str, Any]) -> None:
        """``@screen_name`` and its entity."""
        start = self.n
        self.add("@" + user["screen_name"])
        self.mentions.append(
            {
                "screen_name": user["screen_name"],
                "name": user["name"],
                "id": user["id"],
                "id_str": user["id_str"],
                "indices": [start, self.n],
            }
        )

    def url(self, short: str, expanded: str) -> None:
        """A t.co link and its entity."""
        start = self.n
        self.add(short)
        bare = expanded.split("://", 1)[-1]
        display = bare if len(bare) <= 26 else bare[:26] + "…"
        self.urls.append(
            {
                "url": short,
                "expanded_url": expanded,
                "display_url": display,
                "indices": [start, self.n],
            }
        )

    def text(self) -> str:
        """Everything added so far."""
        return "".join(self.parts)

    def entities(self) -> dict[str, Any]:
        """The v1.1 ``entities`` object (without media)."""
        return {
            "hashtags": self.hashtags,
            "urls": self.urls,
            "user_mentions": self.mentions,
            "symbols": self.symbols,
        }


def shifted(items: list[dict[str, Any]], offset: int, limit: int) -> list[dict[str, Any]]:
    """Copies of ``items`` moved right by ``offset``, keeping those that end by ``limit``."""
    return [
        {**item, "indices": [item["indices"][0] + offset, item["indices"][1] + offset]}
        for item in items
        if item["indices"][1] + offset <= limit
    ]


class BodyWriter:
    """Writes the body of a tweet in a language about a topic."""

    def __init__(
        self,
        rng: random.Random,
        mention_user: Callable[[str], dict[str, Any]],
        *,
        mention: float,
        hashtag: float,
        link: float,
        emoji: float,
        long: float,
    ) -> None:
        self._rng = rng
        self._mention_user = mention_user
        self._p_mention = mention
        self._p_hashtag = hashtag
        self._p_link = link
        self._p_emoji = emoji
        self._p_long = long
        self._common = {lang: Zipf(words, s=1.0).table for lang, words in _vocab.COMMON.items()}
        self._tables: dict[tuple[str, str], list[str]] = {}

    def _table(self, lang: str, topic: _vocab.Topic) -> list[str]:
        # One flat table per (language, topic) mixes common and topical words in
        # the right proportions, so a sentence is a single `choices` call.
        key = (lang, topic.name)
        table = self._tables.get(key)
        if table is None:
            common = self._common[lang]
            share = _TOPIC_SHARE.get(lang, _OTHER_TOPIC_SHARE)
            topical_slots = round(len(common) * share / (1 - share))
            table = common + Zipf(topic.words, s=0.9, slots=topical_slots).table
            if lang == "en":
                table += list(topic.phrases) * (topical_slots // 50)
                table += list(_vocab.LOANWORDS) * (topical_slots // 500 + 1)
            self._tables[key] = table
        return table

    def write(self, text: Text, lang: str, topic: _vocab.Topic) -> None:
        """Sentences, then maybe a mention, cashtags, hashtags, a link and emoji."""
        if lang == "und":
            self._und(text, topic)
            return
        rng = self._rng
        table = self._table(lang, topic)
        sentences = 1 + (rng.random() < self._p_long) + (rng.random() < self._p_long / 3)
        for s in range(sentences):
            n = between(rng, 3, 14) if sentences == 1 else between(rng, 8, 16)
            words = rng.choices(table, k=n)
            # Leave room for an inline entity, punctuation and the tail.
            room = MAX_DISPLAY - 40 - text.n - (s > 0)
            while words and sum(map(len, words)) + len(words) > room:
                words.pop()
            if len(words) < 3 and (s or not words):
                break
            if s:
                text.add(" ")
            if lang == "ja":
                text.add("".join(words) + pick(rng, _JA_END))
                continue
            self._sentence(text, words, lang, topic)
        if rng.random() < self._p_mention:
            user = self._mention_user(lang)
            if text.n + len(user["screen_name"]) + 2 <= MAX_DISPLAY:
                text.add(" ")
                text.mention(user)
        if topic.cashtags and rng.random() < 0.5:
            for symbol in rng.sample(topic.cashtags, k=between(rng, 1, 3)):
                if text.n + len(symbol) + 2 <= MAX_DISPLAY:
                    text.add(" ")
                    text.cashtag(symbol)
        if rng.random() < self._p_hashtag:
            for _ in range(1 + (rng.random() < 0.4) + (rng.random() < 0.15)):
                tag = self.hashtag(lang, topic)
                if text.n + len(tag) + 2 <= MAX_DISPLAY:
                    text.add(" ")
                    text.hashtag(tag)
        if rng.random() < self._p_link and text.n + 24 <= MAX_DISPLAY:
            text.add(" ")
            text.url(tco(rng), self.expanded_url(topic))
        if rng.random() < self._p_emoji:
            emoji = "".join(rng.choices(_vocab.EMOJI, k=between(rng, 1, 3)))
            if text.n + len(emoji) + 1 <= MAX_DISPLAY:
                text.add(" " + emoji)

    def _sentence(self, text: Text, words: list[str], lang: str, topic: _vocab.Topic) -> None:
        rng = self._rng
        n = len(words)
        words[0] = words[0][:1].upper() + words[0][1:]
        r = rng.random()
        if r < 0.01:
            i = int(rng.random() * n)
            words[i] = words[i].upper()
        elif r < 0.3:
            words[int(rng.random() * (n - 1))] += ","
        end = pick(rng, _PUNCT)
        r = rng.random()
        if r >= 0.2:
            text.add(" ".join(words) + end)
            return
        # An entity in the middle of the sentence, after at least one word.
        k = 1 + int(rng.random() * (n - 1))
        text.add(" ".join(words[:k]) + " ")
        if r < 0.08:
            text.mention(self._mention_user(lang))
        elif r < 0.16 or not topic.cashtags:
            text.hashtag(self.hashtag(lang, topic))
        else:
            text.cashtag(pick(rng, topic.cashtags))
        text.add(" " + " ".join(words[k:]) + end)

    def _und(self, text: Text, topic: _vocab.Topic) -> None:
        rng = self._rng
        kind = int(rng.random() * 3)
        if kind == 0:
            text.add("".join(rng.choices(_vocab.EMOJI, k=between(rng, 1, 5))))
        elif kind == 1:
            text.hashtag(self.hashtag("en", topic))
            text.add(" ")
            text.url(tco(rng), self.expanded_url(topic))
        else:
            text.hashtag(self.hashtag("en", topic))
            text.add(" " + pick(rng, _vocab.EMOJI))

    def hashtag(self, lang: str, topic: _vocab.Topic) -> str:
        """A hashtag text (no ``#``) for a tweet in ``lang`` about ``topic``."""
        rng = self._rng
        r = rng.random()
        if r < 0.15 and lang in _vocab.LANG_HASHTAGS:
            tag = pick(rng, _vocab.LANG_HASHTAGS[lang])
        elif r < 0.25:
            tag = pick(rng, _vocab.GENERIC_HASHTAGS)
        else:
            tag = pick(rng, topic.hashtags)
        # People do not agree on the case of a tag; matching must not care.
        r = rng.random()
        if r < 0.1:
            return tag.lower()
        if r < 0.13:
            return tag.upper()
        return tag

    def expanded_url(self, topic: _vocab.Topic) -> str:
        """Where a link about ``topic`` leads."""
        rng = self._rng
        domain = pick(rng, topic.domains)
        slug = "-".join(rng.choices(topic.words, k=between(rng, 2, 4)))
        www = "www." if domain.count(".") == 1 and rng.random() < 0.5 else ""
        return f"https://{www}{domain}/{pick(rng, _SECTIONS)}/{slug}-{rng.randrange(10**6)}"


def write_media(
    rng: random.Random,
    text: Text,
    new_id: Callable[[], int],
    screen_name: str,
    tweet_id: int,
) -> list[dict[str, Any]]:
    """Attach 1-4 photos, a video or a GIF: one t.co link in ``text``, the items returned."""
    r = rng.random()
    kind = "photo" if r < 0.7 else "video" if r < 0.9 else "animated_gif"
    count = pick(rng, (1, 1, 1, 2, 3, 4)) if kind == "photo" else 1
    short = tco(rng)
    text.add(" ")
    start = text.n
    text.add(short)
    items = []
    for i in range(count):
        media_id = new_id()
        key = f"{media_id:x}"[-15:]
        if kind == "photo":
            image = f"https://pbs.twimg.com/media/{key}.jpg"
        elif kind == "video":
            image = f"https://pbs.twimg.com/ext_tw_video_thumb/{media_id}/pu/img/{key}.jpg"
        else:
            image = f"https://pbs.twimg.com/tweet_video_thumb/{key}.jpg"
        item: dict[str, Any] = {
            "id": media_id,
            "id_str": str(media_id),
            "indices": [start, text.n],
            "media_url": image.replace("https:", "http:", 1),
            "media_url_https": image,
            "url": short,
            "display_url": "pic.twitter.com/" + short[13:],
            "expanded_url": (
                f"https://twitter.com/{screen_name}/status/{tweet_id}/{_MEDIA_PREFIX[kind]}/{i + 1}"
            ),
            "type": kind,
            "sizes": _SIZES,
        }
        if kind != "photo":
            item["video_info"] = _video_info(rng, kind, media_id)
        items.append(item)
    return items


def _video_info(rng: random.Random, kind: str, media_id: int) -> dict[str, Any]:
    base = (
        f"https://video.twimg.com/{'ext_tw_video' if kind == 'video' else 'tweet_video'}/{media_id}"
    )
    if kind == "animated_gif":
        return {
            "aspect_ratio": [1, 1],
            "variants": [{"bitrate": 0, "content_type": "video/mp4", "url": f"{base}.mp4"}],
        }
    return {
        "aspect_ratio": [16, 9],
        "duration_millis": between(rng, 3_000, 140_000),
        "variants": [
            {"bitrate": 832000, "content_type": "video/mp4", "url": f"{base}/pu/vid/640x360/v.mp4"},
            {"content_type": "application/x-mpegURL", "url": f"{base}/pu/pl/playlist.m3u8"},
        ],
    }
