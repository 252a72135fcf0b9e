"""Per-tweet derived data, computed lazily and at most once per match.

A :class:`TweetView` wraps one :class:`~powertrack.tweets.model.Tweet` for the
duration of one match. Tokenizing text, folding URLs or a bio costs time, so
each is done only when some indexed rule family or some candidate rule needs
it, and then cached for the rest of the match.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from collections.abc import Set as AbstractSet

from powertrack.rules import semantics as sem
from powertrack.rules.ast import UserTextField
from powertrack.rules.sampling import sample_bucket
from powertrack.text import fold, tokenize, tokenize_folded
from powertrack.tweets.model import Tweet

__all__ = ["TweetView"]

_UNSET: object = object()


class TweetView:
    """Lazily derived, cached text features of one tweet (and its quoted original)."""

    __slots__ = (
        "_expanded_tokens",
        "_family_values",
        "_folded_text",
        "_quoted",
        "_sample_bucket",
        "_source_tokens",
        "_text_tokens",
        "_token_set",
        "_url_folded",
        "_url_tokens",
        "tweet",
    )

    def __init__(self, tweet: Tweet) -> None:
        self.tweet = tweet
        self._quoted: object = _UNSET
        self._family_values: dict[str, Collection[str]] = {}
        self._sample_bucket = -1
        self._folded_text: str | None = None
        self._text_tokens: list[str] | None = None
        self._token_set: AbstractSet[str] | None = None
        self._url_tokens: list[list[str]] | None = None
        self._expanded_tokens: list[list[str]] | None = None
        self._url_folded: list[str] | None = None
        self._source_tokens: list[str] | None = None

    @property
    def quoted(self) -> TweetView | None:
        """The view of the quoted original, for operators that also match it."""
        quoted = self._quoted
        if quoted is _UNSET:
            scope = sem.quote_scope(self.tweet)
            quoted = TweetView(scope[1]) if len(scope) > 1 else None
            self._quoted = quoted
        return quoted  # type: ignore[return-value]

    def scope(self) -> tuple[TweetView, ...]:
        """This view, then the quoted original's when there is one."""
        quoted = self.quoted
        return (self,) if quoted is None else (self, quoted)

    def values(
        self, family: str, extract: Callable[[TweetView], Collection[str]]
    ) -> Collection[str]:
        """The values the tweet offers in ``family``, extracted once per match."""
        values = self._family_values.get(family)
        if values is None:
            values = self._family_values[family] = extract(self)
        return values

    def sample_bucket(self) -> int:
        """The tweet's ``sample:`` bucket, 0 to 99."""
        if self._sample_bucket < 0:
            self._sample_bucket = sample_bucket(self.tweet.id)
        return self._sample_bucket

    def folded_text(self) -> str:
        """The text, NFC-normalized and case-folded."""
        if self._folded_text is None:
            self._folded_text = fold(self.tweet.text)
        return self._folded_text

    def text_tokens(self) -> list[str]:
        """Tokens of the text, in order."""
        if self._text_tokens is None:
            self._text_tokens = tokenize_folded(self.folded_text())
        return self._text_tokens

    def expanded_url_tokens(self) -> list[list[str]]:
        """Tokens of each expanded URL of links and media (what keywords also match)."""
        if self._expanded_tokens is None:
            self._expanded_tokens = [tokenize(url) for url in sem.expanded_urls(self.tweet)]
        return self._expanded_tokens

    def url_tokens(self) -> list[list[str]]:
        """Tokens of each URL ``url:`` reads: expanded and t.co URLs of links and media."""
        if self._url_tokens is None:
            self._url_tokens = [tokenize(url) for url in sem.link_urls(self.tweet)]
        return self._url_tokens

    def expanded_urls_folded(self) -> list[str]:
        """Expanded URLs of links and media, folded, for ``url_contains:``."""
        if self._url_folded is None:
            self._url_folded = [fold(url) for url in sem.expanded_urls(self.tweet)]
        return self._url_folded

    def keyword_tokens(self) -> AbstractSet[str]:
        """Every token a one-token keyword can match: the text's and the URLs'."""
        if self._token_set is None:
            tokens = set(self.text_tokens())
            for url_tokens in self.expanded_url_tokens():
                tokens.update(url_tokens)
            self._token_set = tokens
        return self._token_set

    def profile_tokens(self, field: UserTextField) -> Sequence[str]:
        """Tokens of the author's description, name or location (memoized per string)."""
        return sem.tokens_of(sem.profile_text(self.tweet.author, field))

    def source_tokens(self) -> list[str]:
        """Tokens of the client name."""
        if self._source_tokens is None:
            self._source_tokens = tokenize(sem.source_name(self.tweet.source))
        return self._source_tokens
