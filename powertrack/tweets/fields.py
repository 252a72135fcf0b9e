"""Building blocks shared by the v1.1 and v2 readers.

Only a tweet's id and text are required (:func:`as_id` raises). Every other
conversion takes the reader's ``ignored`` list: a value of the wrong type or
shape is read as absent and its field's path is appended there (``user.name``,
``entities.urls[].url``: no list index, no payload key, so the set of paths is
fixed by the code). Null is simply absent and not noted. The constructors skip
the frozen dataclasses' ``__init__``, which is the largest single cost of a
parse at firehose rates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from powertrack.tweets.errors import TweetFormatError, wrong_type
from powertrack.tweets.model import Media, MediaType, MentionEntity, Tweet, UrlEntity, User

__all__ = [
    "MAX_DEPTH",
    "MEDIA_TYPES",
    "as_count",
    "as_id",
    "as_list",
    "as_lon_lat",
    "as_point",
    "as_str",
    "fast_constructor",
    "id_error",
    "iso_date_ms",
    "new_media",
    "new_mention",
    "new_tweet",
    "new_url",
    "new_user",
    "opt_id",
    "opt_str",
    "read_id",
    "v11_date_ms",
]

# Nesting followed: a retweet (0) -> its original (1) -> the original's quoted
# tweet (2). The APIs never nest deeper; a hostile payload that does is cut
# there rather than recursing until the stack gives out.
MAX_DEPTH = 2

MEDIA_TYPES: dict[str, MediaType] = {
    "photo": "photo",
    "video": "video",
    "animated_gif": "animated_gif",
}

_D = TypeVar("_D")
_V = TypeVar("_V")


def fast_constructor(cls: type[_D], *names: str) -> Callable[..., _D]:
    """A positional constructor of the frozen, slotted dataclass ``cls``.

    The frozen ``__init__`` goes through ``object.__setattr__`` for every
    field, and keyword calls are slow: building a Tweet and its User that way
    costs about a third of a whole v1.1 parse. This writes the slots directly
    (as the generated ``__init__`` would, minus the lookups), takes ``names``
    in that order and gives every other field its default, so a field added to
    the model later needs no change here; one without a default fails at import.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    unknown = set(names) - {field.name for field in fields}
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    lines = [f"def make({', '.join(names)}):", "    obj = new(cls)"]
    for field in fields:
        namespace["set_" + field.name] = getattr(cls, field.name).__set__
        if field.name in names:
            value = field.name
        elif field.default is not dataclasses.MISSING:
            value = "default_" + field.name
            namespace[value] = field.default
        else:
            raise TypeError(f"{cls.__name__}.{field.name} has no default")
        lines.append(f"    set_{field.name}(obj, {value})")
    lines.append("    return obj")
    exec("\n".join(lines), namespace)
    make: Callable[..., _D] = namespace["make"]
    return make


new_tweet = fast_constructor(
    Tweet,
    *("id", "text", "author", "lang", "created_at_ms"),
    *("hashtags", "mentions", "symbols", "urls", "media"),
    *("in_reply_to_status_id", "in_reply_to_user_id", "in_reply_to_screen_name"),
    *("conversation_id", "retweeted", "quoted", "is_quote", "source", "place", "point"),
    "nullcast",
)
new_user = fast_constructor(
    User,
    *("id", "screen_name", "name", "description", "location", "verified"),
    *("followers_count", "friends_count", "statuses_count", "listed_count"),
)
new_mention = fast_constructor(MentionEntity, "id", "screen_name")
new_url = fast_constructor(UrlEntity, "url", "expanded_url")
new_media = fast_constructor(Media, "type", "url", "expanded_url")


def read_id(value: Any) -> str | None:
    """A tweet/user id as a decimal string, or None when ``value`` is not one.

    Ids come as strings, integers or ``{"$numberLong": ...}``; the last form
    is MongoDB extended JSON, which some archived corpora use.
    """
    if type(value) is dict and len(value) == 1 and "$numberLong" in value:
        value = value["$numberLong"]
    if type(value) is str:
        return value if value.isascii() and value.isdigit() else None
    if type(value) is int and value >= 0:
        return str(value)
    return None


def as_id(value: Any, field: str) -> str:
    """A required id (see :func:`read_id`); :class:`TweetFormatError` naming ``field`` if it
    is not one."""
    found = read_id(value)
    if found is None:
        raise id_error(value, field)
    return found


def id_error(value: Any, field: str) -> TweetFormatError:
    """The error for ``field`` holding ``value``, which is not an id."""
    if type(value) is str:
        return TweetFormatError(f"{field}: expected a decimal id, got {value[:40]!r}")
    return wrong_type(field, value, "a decimal id")


def opt_id(value: Any, field: str, ignored: list[str]) -> str | None:
    """An optional id: None when null, and when not an id (``field`` noted in ``ignored``)."""
    if value is None:
        return None
    found = read_id(value)
    if found is None:
        ignored.append(field)
    return found


def as_count(value: Any, field: str, ignored: list[str]) -> int:
    """A count: an integer, a decimal string, or null (0); anything else is noted and 0."""
    if type(value) is int:
        return value
    if value is None:
        return 0
    if type(value) is str and value.isascii() and value.isdigit():
        return int(value)
    if type(value) is float and value.is_integer():
        return int(value)
    ignored.append(field)
    return 0


def as_str(value: Any, field: str, ignored: list[str]) -> str:
    """A string; null becomes empty, and so does anything else (noted)."""
    if type(value) is str:
        return value
    if value is not None:
        ignored.append(field)
    return ""


def opt_str(value: Any, field: str, ignored: list[str]) -> str | None:
    """A string or None; a value of another type is noted and None."""
    if value is None or type(value) is str:
        return value
    ignored.append(field)
    return None


def as_list(value: Any, field: str, ignored: list[str]) -> list[Any]:
    """An array; null is empty, and so is anything else (noted)."""
    if type(value) is list:
        return value
    if value is not None:
        ignored.append(field)
    return []


def as_lon_lat(value: Any, field: str, ignored: list[str]) -> tuple[float, float] | None:
    """A ``[longitude, latitude]`` pair of numbers on the globe, or None (noted)."""
    if type(value) is list and len(value) == 2:
        lon, lat = value
        if (
            type(lon) in (int, float)
            and type(lat) in (int, float)
            and -180 <= lon <= 180
            and -90 <= lat <= 90
        ):
            return float(lon), float(lat)
    ignored.append(field)
    return None


def as_point(value: Any, field: str, ignored: list[str]) -> tuple[float, float] | None:
    """A GeoJSON Point as ``(longitude, latitude)``, or None (noted)."""
    if type(value) is not dict:
        ignored.append(field)
        return None
    return as_lon_lat(value.get("coordinates"), field + ".coordinates", ignored)


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# Dates are read from every tweet, so they are parsed by table lookups
# ("HH:MM", "SS") and cached: a stream's tweets share their dates' seconds
# and days, and int() on a slice costs several times a dict lookup.
_HOUR_MINUTE_MS = {
    f"{hour:02d}:{minute:02d}": (hour * 60 + minute) * 60_000
    for hour in range(24)
    for minute in range(60)
}
_SECONDS_MS = {f"{second:02d}": second * 1000 for second in range(61)}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_CACHE_LIMIT = 4096
_date_ms: dict[str, int] = {}
_day_ms: dict[str, int | None] = {}


def _remember(cache: dict[str, _V], key: str, value: _V) -> _V:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def v11_date_ms(value: Any, field: str, ignored: list[str]) -> int | None:
    """Milliseconds since the epoch of a v1.1 date, ``Wed Oct 10 20:19:24 +0000 2018``;
    None (noted) for anything else."""
    ms = _date_ms.get(value) if type(value) is str else None
    if ms is not None:
        return ms
    if type(value) is str and len(value) == 30:
        day_key = value[4:10] + value[19:]  # "Oct 10 +0000 2018"
        day = _day_ms.get(day_key, -1)  # -1: not seen; None: not a date
        if day == -1:
            day = _remember(_day_ms, day_key, _v11_midnight_ms(value))
        hour_minute = _HOUR_MINUTE_MS.get(value[11:16])
        seconds = _SECONDS_MS.get(value[17:19])
        if day is not None and hour_minute is not None and seconds is not None and value[16] == ":":
            return _remember(_date_ms, value, day + hour_minute + seconds)
    ignored.append(field)
    return None


def _v11_midnight_ms(value: str) -> int | None:
    month = _MONTHS.get(value[4:7])
    sign, offset, year, day = value[20], value[21:25], value[26:30], value[8:10]
    digits = offset + year + day
    if (
        month is None
        or sign not in "+-"
        or value[3] + value[7] + value[10] + value[19] + value[25] != "     "
        or not (digits.isdigit() and digits.isascii())
    ):
        return None
    try:
        days = date(int(year), month, int(day)).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None
    offset_minutes = int(offset[:2]) * 60 + int(offset[2:])
    if sign == "-":
        offset_minutes = -offset_minutes
    return (days * 1440 - offset_minutes) * 60_000


def iso_date_ms(value: Any, field: str, ignored: list[str]) -> int | None:
    """Milliseconds since the epoch of an ISO 8601 date (without a zone, UTC); None
    (noted) for anything else."""
    ms = _date_ms.get(value) if type(value) is str else None
    if ms is not None:
        return ms
    if type(value) is not str:
        ignored.append(field)
        return None
    # The v2 form, "2022-10-26T17:24:21.000Z".
    if len(value) == 24 and value[10] == "T" and value[19] == "." and value[23] == "Z":
        day_key = value[:10]
        day = _day_ms.get(day_key, -1)
        if day == -1:
            day = _remember(_day_ms, day_key, _iso_midnight_ms(day_key))
        hour_minute = _HOUR_MINUTE_MS.get(value[11:16])
        seconds = _SECONDS_MS.get(value[17:19])
        millis = value[20:23]
        if (
            day is not None
            and hour_minute is not None
            and seconds is not None
            and value[16] == ":"
            and millis.isdigit()
            and millis.isascii()
        ):
            return _remember(_date_ms, value, day + hour_minute + seconds + int(millis))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        ignored.append(field)
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MS


def _iso_midnight_ms(day: str) -> int | None:
    try:
        return (date.fromisoformat(day).toordinal() - _EPOCH_ORDINAL) * 86_400_000
    except ValueError:
        return None
