# Included by _cindex.pyx: a v1.1 status's JSON straight to a Doc.
#
# The compiled twin of powertrack.tweets.v11 for the well-formed case: the
# message is decoded by msgspec into the typed structs of tweets.v11_wire
# (only the fields matching reads), then read here as v11.py reads the same
# fields. Anything out of the ordinary (a field of another type, a status
# without user, flattened entities, a legacy geo point, ids that are not
# decimal, a nested retweet inside a retweet) returns None, and the caller
# takes the general way (Tweet.from_json, then doc_of_tweet). Tests hold both
# ways to the same Doc on every tweet of the corpus and on damaged ones.

import math

import msgspec
from orjson import loads as orjson_loads

from powertrack.tweets import v11 as _v11
from powertrack.tweets.entities import extract_entities as _extract_entities
from powertrack.tweets.v11_wire import DECODER as _V11_DECODER

_DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError)
_UNSET = msgspec.UNSET
_VIDEO_TYPES = frozenset(("video", "animated_gif"))


cdef inline bint _is_decimal(object text):
    # v11's test for an id string: ASCII digits only.
    return (<str>text).isdigit() and (<str>text).isascii()


cdef object _decimal_id(object text, object number):
    # v11 reads "<name>_str" when it is a string of digits, else "<name>": a
    # non-negative integer. Returns the id, None when both are absent, or
    # False for anything else (the general way decides).
    if text is not None:
        if _is_decimal(text):
            return text
        return False
    if number is None:
        return None
    if number >= 0:
        return str(number)
    return False


cdef class _Body:
    # One status's own text and entities, as v11._tweet reads them.
    cdef str text
    cdef list hashtags
    cdef list symbols
    cdef list mentions    # (screen_name, id) pairs
    cdef list urls        # (url, expanded_url) pairs
    cdef list media       # (type, url, expanded_url) triples, type as given
    cdef object reply_to  # str or None


cdef _Body _body(object st):
    """The body of a status, or None when the general way must read it."""
    cdef _Body body = _Body.__new__(_Body)
    ext = st.extended_tweet
    if ext is None:
        text = st.full_text
        if text is None:
            text = st.text
        ents = st.entities
        xents = st.extended_entities
    else:
        text = ext.full_text
        if text is None:
            text = st.full_text
            if text is None:
                text = st.text
        ents = ext.entities
        xents = ext.extended_entities
        if ents is None:
            ents = st.entities
            xents = st.extended_entities
    if text is None:
        return None
    body.text = text
    if ents is None:
        if (
            st.hashtags is not _UNSET
            or st.user_mentions is not _UNSET
            or st.urls is not _UNSET
            or st.symbols is not _UNSET
        ):
            return None
        found = _extract_entities(text)
        body.hashtags = list(found.hashtags)
        body.symbols = list(found.symbols)
        body.mentions = [(m.screen_name, m.id) for m in found.mentions]
        body.urls = [(u.url, u.expanded_url) for u in found.urls]
        body.media = []
    else:
        items = ents.hashtags
        body.hashtags = [item.text for item in items] if items else []
        items = ents.symbols
        body.symbols = [item.text for item in items] if items else []
        body.mentions = []
        items = ents.user_mentions
        if items:
            for item in items:
                user_id = _decimal_id(item.id_str, item.id) if item.id_str is None else item.id_str
                if user_id is False:
                    return None
                body.mentions.append((item.screen_name or "", user_id or ""))
        body.urls = []
        items = ents.urls
        if items:
            for item in items:
                url = item.url or ""
                expanded = item.expanded_url
                body.urls.append((url, url if expanded is None else expanded))
        items = xents.media if xents is not None else None
        if items is None:
            items = ents.media
        body.media = (
            [(item.type, item.url or "", item.expanded_url or "") for item in items] if items else []
        )
    reply_to = _decimal_id(st.in_reply_to_status_id_str, st.in_reply_to_status_id)
    if reply_to is False:
        return None
    body.reply_to = reply_to
    return body


cdef Part _part_of_body(_Body body):
    cdef Part part = Part.__new__(Part)
    part.text = body.text
    part.hashtags = body.hashtags
    part.symbols = body.symbols
    for name, user_id in body.mentions:
        part.mention_names.append(name)
        part.mention_ids.append(user_id)
    for url, expanded in body.urls:
        part.url_tco.append(url)
        part.url_expanded.append(expanded)
    for kind, url, expanded in body.media:
        part.media_types.append(MEDIA_VIDEO if kind in _VIDEO_TYPES else MEDIA_PHOTO)
        part.media_tco.append(url)
        part.media_expanded.append(expanded)
    part.reply_status_id = body.reply_to
    return part


cdef list _merge(list first, list second):
    # entities.merge: both without repeats, in order of first appearance.
    if not second:
        return first
    if not first:
        return second
    return list(dict.fromkeys(first + second))


cdef list _merge_mentions(list first, list second):
    # entities.merge_mentions: one per user (screen name, case-insensitive); a known id wins.
    if not second:
        return first
    if not first:
        return second
    merged = {}
    for mention in first + second:
        name, user_id = mention
        key = (<str>name).lower() or user_id
        kept = merged.get(key)
        if kept is None or (not kept[1] and user_id):
            merged[key] = mention
    return list(merged.values())


cdef int _fill_author(Doc doc, object user) except -1:
    # v11._user on the well-formed case; returns 0 when the general way must read it.
    user_id = _decimal_id(user.id_str, user.id)
    if user_id is None or user_id is False:
        return 0
    doc.author_id = user_id
    doc.author_screen_name = user.screen_name or ""
    doc.author_name = user.name or ""
    doc.author_description = user.description or ""
    doc.author_location = user.location or ""
    doc.verified = user.verified is True
    doc.followers = user.followers_count or 0
    doc.friends = user.friends_count or 0
    doc.statuses = user.statuses_count or 0
    doc.listed = user.listed_count or 0
    return 1


def doc_of_json(raw):
    """The Doc of a v1.1 status's or a v2 message's JSON read the fast way, or None
    where the general way (``doc_of_tweet(Tweet.from_json(raw))``) must read it."""
    return doc_of_fast_json(raw)


cdef Doc doc_of_fast_json(object raw):
    # A v2 message mostly starts with its data; a v1.1 status never has one.
    # The order only saves a decode: each reader checks the shape it reads.
    cdef Doc doc
    if _starts_with_data(raw):
        doc = doc_of_v2_json(raw)
        return doc if doc is not None else doc_of_v11_json(raw)
    doc = doc_of_v11_json(raw)
    return doc if doc is not None else doc_of_v2_json(raw)


cdef inline bint _starts_with_data(object raw):
    return isinstance(raw, bytes) and (<bytes>raw).startswith(b'{"data"')


cdef Doc doc_of_v11_json(object raw):
    """The Doc of a v1.1 status's JSON, or None when it is not the well-formed case."""
    cdef Doc doc
    cdef _Body body, original_body, quoted_body = None
    try:
        st = _V11_DECODER.decode(raw)
    except _DECODE_ERRORS:
        return None
    if st.user is None:
        return None
    tweet_id = st.id_str
    if tweet_id is None or not _is_decimal(tweet_id):
        return None
    body = _body(st)
    if body is None:
        return None
    doc = Doc.__new__(Doc)
    doc.id = tweet_id
    if not _fill_author(doc, st.user):
        return None
    is_quote = st.is_quote_status is True
    original = st.retweeted_status
    if original is not None:
        # The retweeted original (depth 1): its own retweet would be absorbed
        # too, and its author is required there: the general way.
        if original.retweeted_status is not None or original.user is None:
            return None
        rt_id = original.id_str
        if rt_id is None or not _is_decimal(rt_id):
            return None
        rt_author = _decimal_id(original.user.id_str, original.user.id)
        if rt_author is None or rt_author is False:
            return None
        original_body = _body(original)
        if original_body is None:
            return None
        doc.retweet = True
        doc.rt_id = rt_id
        doc.rt_author_screen_name = original.user.screen_name or ""
        doc.rt_author_id = rt_author
        # entities.absorb_retweet: the original's text, the entities of both.
        body.text = original_body.text
        body.hashtags = _merge(body.hashtags, original_body.hashtags)
        body.mentions = _merge_mentions(body.mentions, original_body.mentions)
        body.symbols = _merge(body.symbols, original_body.symbols)
        body.urls = _merge(body.urls, original_body.urls)
        body.media = _merge(body.media, original_body.media)
        inner = original.quoted_status
        original_quote = original.is_quote_status is True
        if inner is not None:
            # Depth 2: read as far as its own fields; nothing nested is followed.
            if inner.user is None or inner.id_str is None or not _is_decimal(inner.id_str):
                return None
            quoted_body = _body(inner)
            if quoted_body is None:
                return None
            original_quote = True
        is_quote = is_quote or original_quote
    if quoted_body is None:
        quoted = st.quoted_status
        if quoted is not None:
            if (
                quoted.retweeted_status is not None
                or quoted.user is None
                or quoted.id_str is None
                or not _is_decimal(quoted.id_str)
            ):
                return None
            quoted_body = _body(quoted)
            if quoted_body is None:
                return None
            is_quote = True
    doc.main = _part_of_body(body)
    doc.quoted = None if quoted_body is None else _part_of_body(quoted_body)
    doc.is_quote = is_quote or quoted_body is not None
    doc.lang = st.lang
    reply_user = _decimal_id(st.in_reply_to_user_id_str, st.in_reply_to_user_id)
    if reply_user is False:
        return None
    doc.reply_user_id = reply_user
    doc.reply_screen_name = st.in_reply_to_screen_name
    doc.conversation_id = None
    source = st.source
    if source is not None:
        name = _v11._client_names.get(source)
        source = _v11._client_name(source, "", []) if name is None else name
    doc.source = source or ""
    if _present(st.place):
        return None if _fill_place(doc, st.place) == 0 else _finish(doc, st)
    return _finish(doc, st)


cdef inline bint _present(object raw):
    # A Raw field: absent when unset or JSON null.
    return raw is not _UNSET and bytes(memoryview(raw)) != b"null"


cdef int _fill_place(Doc doc, object raw) except -1:
    ignored = []
    place = _v11._place(orjson_loads(memoryview(raw)), "place", ignored)
    if ignored or place is None:
        return 0
    doc.has_place = True
    doc.place_id = place.id
    doc.place_full_name = place.full_name
    doc.place_country = place.country_code
    if place.bbox is not None:
        doc.has_bbox = True
        doc.west, doc.south, doc.east, doc.north = place.bbox
    return 1


cdef Doc _finish(Doc doc, object st):
    point = st.coordinates
    if point is not None:
        lon, lat = point.coordinates
        if not (math.isfinite(lon) and math.isfinite(lat) and -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            return None
        doc.has_point = True
        doc.lon = lon
        doc.lat = lat
    elif _present(st.geo):
        return None
    scopes = st.scopes
    doc.nullcast = scopes is not None and scopes.followers is False
    return doc

