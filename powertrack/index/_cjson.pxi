# Included by _cindex.pyx: a v1.1 status's JSON straight to a Doc.
#
# The compiled twin of powertrack.tweets.v11 for the well-formed case: the
# status is scanned once (_cscan.pxi) into the typed holders below, only the
# members matching reads are built, and they are read here as v11.py reads
# the same fields. Anything out of the ordinary (JSON the scanner refuses, a
# field of another type, a status without user, a legacy
# geo point, ids that are not decimal, a nested retweet inside a retweet)
# returns None, and the caller takes the general way (Tweet.from_json, then
# doc_of_tweet). Tests hold both ways to the same Doc on every tweet of the
# corpus and on damaged ones.

import math

import msgspec
from orjson import loads as orjson_loads

from powertrack.tweets import v11 as _v11
from powertrack.tweets.entities import extract_entities as _extract_entities

_DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError)
_UNSET = msgspec.UNSET
_VIDEO_TYPES = frozenset(("video", "animated_gif"))
_client_names = _v11._client_names


cdef inline bint _is_decimal(object text):
    # v11's test for an id string: ASCII digits only (str.isdigit and isascii).
    cdef Py_ssize_t i, n = len(<str>text)
    cdef const unsigned char *data
    if n == 0 or not PyUnicode_IS_ASCII(text):
        return False
    data = <const unsigned char *>PyUnicode_1BYTE_DATA(text)
    for i in range(n):
        if not 48 <= data[i] <= 57:
            return False
    return True


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


# --- the v1.1 status, scanned ------------------------------------------------
#
# What v11.py reads of a status, read in one pass over its bytes with the
# scanner of _cscan.pxi into the holders below; every other member is
# skipped (and validated). Types are strict: a string where a string is
# read, an integer (at most 18 digits) where an id or a count is, a list of
# objects where entities are; anything else is refused and the general way
# reads the message. A key given twice keeps its last value, as in orjson.

@cython.final
@cython.no_gc
cdef class _WEntities:
    # Each list is None when absent or null.
    cdef list hashtags   # str
    cdef list symbols    # str
    cdef list mentions   # (screen_name, id_str, id), each str, str, int or None
    cdef list urls       # (url, expanded_url), each str or None
    cdef list media      # (type, url, expanded_url), each str or None


@cython.final
@cython.no_gc
cdef class _WExtended:
    cdef object full_text
    cdef _WEntities entities
    cdef list xmedia      # extended_entities.media, None when absent or null


@cython.final
@cython.no_gc
cdef class _WUser:
    cdef object id_str, id, screen_name, name, description, location, verified
    cdef object followers_count, friends_count, statuses_count, listed_count


@cython.final
@cython.no_gc
cdef class _WStatus:
    cdef object id_str, id, text, full_text
    cdef _WExtended extended_tweet
    cdef _WEntities entities
    cdef list xmedia          # extended_entities.media, None when absent or null
    cdef bint flat_entities   # hashtags, user_mentions, urls or symbols at the top level
    cdef _WEntities flat      # those lists and a top-level media: the flattened form
    cdef _WUser user
    cdef object lang, is_quote_status
    cdef _WStatus retweeted_status, quoted_status
    cdef object in_reply_to_status_id_str, in_reply_to_status_id
    cdef object in_reply_to_user_id_str, in_reply_to_user_id, in_reply_to_screen_name
    cdef object source
    cdef object place         # the bytes of a place that is not null, or None
    cdef bint has_point
    cdef double lon, lat
    cdef bint geo             # geo present and not null
    cdef object followers_scope   # scopes.followers: True, False or None


cdef object _texts(Cur* c):
    # [{"text": str}, ...] (hashtags, symbols): a list of str, None, or _BAIL.
    cdef const unsigned char* key
    cdef Py_ssize_t size
    cdef int r, m
    cdef list out = []
    if is_null(c):
        return None
    r = arr_open(c)
    while r == 1:
        text = None
        m = obj_open(c)
        while m == 1:
            if not read_key(c, &key, &size):
                return _BAIL
            if key_is(key, size, "text", 4):
                text = read_str(c)
            elif not skip_value(c):
                return _BAIL
            m = obj_next(c)
        if m != 2 or text is None or text is _BAIL:
            return _BAIL
        out.append(text)
        r = arr_next(c)
    return out if r == 2 else _BAIL


cdef object _items(Cur* c, int kind):
    # A list of entity objects as tuples of their fields: kind 0 mentions
    # (screen_name, id_str, id), 1 urls (url, expanded_url), 2 media (type,
    # url, expanded_url). None when null, _BAIL for anything else.
    cdef const unsigned char* key
    cdef Py_ssize_t size
    cdef int r, m
    cdef list out = []
    if is_null(c):
        return None
    r = arr_open(c)
    while r == 1:
        a = b = d = None
        m = obj_open(c)
        while m == 1:
            if not read_key(c, &key, &size):
                return _BAIL
            if kind == 0 and key_is(key, size, "screen_name", 11):
                a = read_str(c)
                if a is _BAIL:
                    return _BAIL
            elif kind == 0 and key_is(key, size, "id_str", 6):
                b = read_str(c)
                if b is _BAIL:
                    return _BAIL
            elif kind == 0 and key_is(key, size, "id", 2):
                d = read_int(c)
                if d is _BAIL:
                    return _BAIL
            elif kind != 0 and key_is(key, size, "url", 3):
                b = read_str(c)
                if b is _BAIL:
                    return _BAIL
            elif kind != 0 and key_is(key, size, "expanded_url", 12):
                d = read_str(c)
                if d is _BAIL:
                    return _BAIL
            elif kind == 2 and key_is(key, size, "type", 4):
                a = read_str(c)
                if a is _BAIL:
                    return _BAIL
            elif not skip_value(c):
                return _BAIL
            m = obj_next(c)
        if m != 2:
            return _BAIL
        out.append((b, d) if kind == 1 else (a, b, d))
        r = arr_next(c)
    return out if r == 2 else _BAIL


cdef enum:
    # The entity lists, by key (_entity_list): an entities object holds them,
    # and so does a status in the flattened form.
    E_HASHTAGS, E_SYMBOLS, E_MENTIONS, E_URLS, E_MEDIA


cdef inline int _entity_list(const unsigned char* key, Py_ssize_t size) noexcept nogil:
    # Which entity list a key names, or -1.
    if key_is(key, size, "hashtags", 8):
        return E_HASHTAGS
    if key_is(key, size, "symbols", 7):
        return E_SYMBOLS
    if key_is(key, size, "user_mentions", 13):
        return E_MENTIONS
    if key_is(key, size, "urls", 4):
        return E_URLS
    if key_is(key, size, "media", 5):
        return E_MEDIA
    return -1


cdef int _read_entity_list(Cur* c, _WEntities ents, int which) except -1:
    # Reads the value of entity list ``which`` into ``ents``: 1, or 0 when refused.
    value = _texts(c) if which == E_HASHTAGS or which == E_SYMBOLS else _items(
        c, 0 if which == E_MENTIONS else 1 if which == E_URLS else 2
    )
    if value is _BAIL:
        return 0
    if which == E_HASHTAGS:
        ents.hashtags = value
    elif which == E_SYMBOLS:
        ents.symbols = value
    elif which == E_MENTIONS:
        ents.mentions = value
    elif which == E_URLS:
        ents.urls = value
    else:
        ents.media = value
    return 1


cdef object _entities(Cur* c):
    cdef const unsigned char* key
    cdef Py_ssize_t size
    cdef int m, which
    cdef _WEntities ents
    if is_null(c):
        return None
    ents = _WEntities.__new__(_WEntities)
    m = obj_open(c)
    while m == 1:
        if not read_key(c, &key, &size):
            return _BAIL
        which = _entity_list(key, size)
        if which >= 0:
            if not _read_entity_list(c, ents, which):
                return _BAIL
        elif not skip_value(c):
            return _BAIL
        m = obj_next(c)
    return ents if m == 2 else _BAIL


cdef object _xmedia(Cur* c):
    # extended_entities: its media list, None for null or no media, or _BAIL.
    cdef const unsigned char* key
    cdef Py_ssize_t size
    cdef int m
    if is_null(c):
        return None
    media = None
    m = obj_open(c)
    while m == 1:
        if not read_key(c, &key, &size):
            return _BAIL
        if key_is(key, size, "media", 5):
            media = _items(c, 2)
            if media is _BAIL:
                return _BAIL
        elif not skip_value(c):
            return _BAIL
        m = obj_next(c)
    return media if m == 2 else _BAIL


cdef object _extended(Cur* c):
    cdef const unsigned char* key
    cdef Py_ssize_t size
    cdef int m
    cdef _WExtended ext
    if is_null(c):
        return None
    ext = _WExtended.__new__(_WExtended)
    m = obj_open(c)
    while m == 1:
        if not read_key(c, &key, &size):
            return _BAIL
        if key_is(key, size, "full_text", 9):
            value = read_str(c)
            if value is _BAIL:
                return _BAIL
            ext.full_text = value
        elif key_is(key, size, "entities", 8):
            value = _entities(c)
            if value is _BAIL:
                return _BAIL
            ext.entities = value
        elif key_is(key, size, "extended_entities", 17):
            value = _xmedia(c)
            if value is _BAIL:
                return _BAIL
            ext.xmedia = value
        elif not skip_value(c):
            return _BAIL
        m = obj_next(c)
    return ext if m == 2 else _BAIL


cdef object _user(Cur* c):
    cdef const unsigned char* key
    cdef Py_ssize_t size
    cdef int m
    cdef unsigned char first
    cdef _WUser user
    if is_null(c):
        return None
    user = _WUser.__new__(_WUser)
    m = obj_open(c)
    while m == 1:
        if not read_key(c, &key, &size):
            return _BAIL
        value = 0   # not read
        # By the key's first byte, then in full: most of a user's members
        # are skipped after one or two compares.
        first = key[0] if size else 0
        if first == c'i' and key_is(key, size, "id_str", 6):
            value = user.id_str = read_str(c)
        elif first == c'i' and key_is(key, size, "id", 2):
            value = user.id = read_int(c)
        elif first == c's' and key_is(key, size, "screen_name", 11):
            value = user.screen_name = read_str(c)
        elif first == c'n' and key_is(key, size, "name", 4):
            value = user.name = read_str(c)
        elif first == c'd' and key_is(key, size, "description", 11):
            value = user.description = read_str(c)
        elif first == c'l' and key_is(key, size, "location", 8):
            value = user.location = read_str(c)
        elif first == c'v' and key_is(key, size, "verified", 8):
            value = user.verified = read_bool(c)
        elif first == c'f' and key_is(key, size, "followers_count", 15):
            value = user.followers_count = read_int(c)
        elif first == c'f' and key_is(key, size, "friends_count", 13):
            value = user.friends_count = read_int(c)
        elif first == c's' and key_is(key, size, "statuses_count", 14):
            value = user.statuses_count = read_int(c)
        elif first == c'l' and key_is(key, size, "listed_count", 12):
            value = user.listed_count = read_int(c)
        elif not skip_value(c):
            return _BAIL
        if value is _BAIL:
            return _BAIL
        m = obj_next(c)
    return user if m == 2 else _BAIL


cdef int _point(Cur* c, _WStatus st) except -1:
    # coordinates: null, or an object whose "coordinates" are two numbers.
    cdef const unsigned char* key
    cdef Py_ssize_t size
    cdef int m
    cdef bint found = False
    cdef double lon, lat
    st.has_point = False
    if is_null(c):
        return 1
    m = obj_open(c)
    while m == 1:
        if not read_key(c, &key, &size):
            return 0
        if key_is(key, size, "coordinates", 11):
            if arr_open(c) != 1 or not read_double(c, &lon) or arr_next(c) != 1:
                return 0
            if not read_double(c, &lat) or arr_next(c) != 2:
                return 0
            found = True
        elif not skip_value(c):
            return 0
        m = obj_next(c)
    if m != 2 or not found:
        return 0
    st.has_point = True
    st.lon = lon
    st.lat = lat
    return 1


cdef int _scopes(Cur* c, _WStatus st) except -1:
    cdef const unsigned char* key
    cdef Py_ssize_t size
    cdef int m
    st.followers_scope = None
    if is_null(c):
        return 1
    m = obj_open(c)
    while m == 1:
        if not read_key(c, &key, &size):
            return 0
        if key_is(key, size, "followers", 9):
            value = read_bool(c)
            if value is _BAIL:
                return 0
            st.followers_scope = value
        elif not skip_value(c):
            return 0
        m = obj_next(c)
    return m == 2


cdef inline _WEntities _flat(_WStatus st):
    if st.flat is None:
        st.flat = _WEntities.__new__(_WEntities)
    return st.flat


cdef enum:
    # The members of a status that _status reads, by key (_status_key).
    K_OTHER, K_ID_STR, K_ID, K_TEXT, K_FULL_TEXT, K_USER, K_ENTITIES, K_XENTITIES
    K_XTWEET, K_RT, K_QUOTED, K_LANG, K_IS_QUOTE, K_REPLY_SID_STR, K_REPLY_SID
    K_REPLY_UID_STR, K_REPLY_UID, K_REPLY_NAME, K_SOURCE, K_PLACE, K_GEO, K_COORDS
    K_SCOPES, K_LIST


cdef inline int _status_key(const unsigned char* key, Py_ssize_t size) noexcept nogil:
    # Which member a status key names (K_LIST: an entity list of the
    # flattened form), by its first byte and then in full; K_OTHER for the
    # rest, which are skipped.
    if size < 2:
        return K_OTHER
    cdef unsigned char first = key[0]
    if first == c'i':
        if key_is(key, size, "id_str", 6):
            return K_ID_STR
        if key_is(key, size, "id", 2):
            return K_ID
        if key_is(key, size, "is_quote_status", 15):
            return K_IS_QUOTE
        if key_is(key, size, "in_reply_to_status_id_str", 25):
            return K_REPLY_SID_STR
        if key_is(key, size, "in_reply_to_status_id", 21):
            return K_REPLY_SID
        if key_is(key, size, "in_reply_to_user_id_str", 23):
            return K_REPLY_UID_STR
        if key_is(key, size, "in_reply_to_user_id", 19):
            return K_REPLY_UID
        if key_is(key, size, "in_reply_to_screen_name", 23):
            return K_REPLY_NAME
        return K_OTHER
    if first == c't':
        return K_TEXT if key_is(key, size, "text", 4) else K_OTHER
    if first == c'f':
        return K_FULL_TEXT if key_is(key, size, "full_text", 9) else K_OTHER
    if first == c'u':
        if key_is(key, size, "user", 4):
            return K_USER
        return K_LIST if _entity_list(key, size) >= 0 else K_OTHER
    if first == c'e':
        if key_is(key, size, "entities", 8):
            return K_ENTITIES
        if key_is(key, size, "extended_entities", 17):
            return K_XENTITIES
        if key_is(key, size, "extended_tweet", 14):
            return K_XTWEET
        return K_OTHER
    if first == c'r':
        return K_RT if key_is(key, size, "retweeted_status", 16) else K_OTHER
    if first == c'q':
        return K_QUOTED if key_is(key, size, "quoted_status", 13) else K_OTHER
    if first == c'l':
        return K_LANG if key_is(key, size, "lang", 4) else K_OTHER
    if first == c's':
        if key_is(key, size, "source", 6):
            return K_SOURCE
        if key_is(key, size, "scopes", 6):
            return K_SCOPES
        return K_LIST if _entity_list(key, size) >= 0 else K_OTHER
    if first == c'p':
        return K_PLACE if key_is(key, size, "place", 5) else K_OTHER
    if first == c'g':
        return K_GEO if key_is(key, size, "geo", 3) else K_OTHER
    if first == c'c':
        return K_COORDS if key_is(key, size, "coordinates", 11) else K_OTHER
    if first == c'h' or first == c'm':
        return K_LIST if _entity_list(key, size) >= 0 else K_OTHER
    return K_OTHER


cdef object _status(Cur* c):
    # A status object (also a retweeted or quoted one), None for null, or _BAIL.
    cdef const unsigned char* key
    cdef const unsigned char* start
    cdef Py_ssize_t size
    cdef int m, which, k
    cdef _WStatus st
    if is_null(c):
        return None
    st = _WStatus.__new__(_WStatus)
    m = obj_open(c)
    while m == 1:
        if not read_key(c, &key, &size):
            return _BAIL
        value = 0   # not read
        k = _status_key(key, size)
        if k == K_OTHER:
            if not skip_value(c):
                return _BAIL
        elif k == K_ID_STR:
            value = st.id_str = read_str(c)
        elif k == K_ID:
            value = st.id = read_int(c)
        elif k == K_TEXT:
            value = st.text = read_str(c)
        elif k == K_FULL_TEXT:
            value = st.full_text = read_str(c)
        elif k == K_USER:
            value = _user(c)
            if value is not _BAIL:
                st.user = value
        elif k == K_ENTITIES:
            value = _entities(c)
            if value is not _BAIL:
                st.entities = value
        elif k == K_XENTITIES:
            value = _xmedia(c)
            if value is not _BAIL:
                st.xmedia = value
        elif k == K_XTWEET:
            value = _extended(c)
            if value is not _BAIL:
                st.extended_tweet = value
        elif k == K_RT:
            value = _status(c)
            if value is not _BAIL:
                st.retweeted_status = value
        elif k == K_QUOTED:
            value = _status(c)
            if value is not _BAIL:
                st.quoted_status = value
        elif k == K_LANG:
            value = st.lang = read_str(c)
        elif k == K_IS_QUOTE:
            value = st.is_quote_status = read_bool(c)
        elif k == K_REPLY_SID_STR:
            value = st.in_reply_to_status_id_str = read_str(c)
        elif k == K_REPLY_SID:
            value = st.in_reply_to_status_id = read_int(c)
        elif k == K_REPLY_UID_STR:
            value = st.in_reply_to_user_id_str = read_str(c)
        elif k == K_REPLY_UID:
            value = st.in_reply_to_user_id = read_int(c)
        elif k == K_REPLY_NAME:
            value = st.in_reply_to_screen_name = read_str(c)
        elif k == K_SOURCE:
            value = st.source = read_str(c)
        elif k == K_PLACE:
            if is_null(c):
                st.place = None
            else:
                start = c.p
                if not skip_value(c):
                    return _BAIL
                st.place = PyBytes_FromStringAndSize(<const char*>start, c.p - start)
        elif k == K_GEO:
            st.geo = not is_null(c)
            if st.geo and not skip_value(c):
                return _BAIL
        elif k == K_COORDS:
            if not _point(c, st):
                return _BAIL
        elif k == K_SCOPES:
            if not _scopes(c, st):
                return _BAIL
        else:
            # The flattened form: the lists at the top level (a top-level
            # media alone does not make it; v11 reads it only then).
            which = _entity_list(key, size)
            st.flat_entities = st.flat_entities or which != E_MEDIA
            if not _read_entity_list(c, _flat(st), which):
                return _BAIL
        if value is _BAIL:
            return _BAIL
        m = obj_next(c)
    return st if m == 2 else _BAIL


cdef object _scan_v11(bytes raw):
    # The top-level status of a message, or None when the scanner refuses it.
    cdef Cur c
    c.p = <const unsigned char*>PyBytes_AS_STRING(raw)
    c.end = c.p + PyBytes_GET_SIZE(raw)
    c.depth = 0
    ws(&c)
    if c.p >= c.end or c.p[0] != 123:
        return None
    st = _status(&c)
    if st is _BAIL or st is None:
        return None
    ws(&c)
    return st if c.p == c.end else None


@cython.final
@cython.no_gc  # strings and lists of strings and tuples of them: no cycle
cdef class _Body:
    # One status's own text and entities, as v11._tweet reads them.
    cdef str text
    cdef list hashtags
    cdef list symbols
    cdef list mentions    # (screen_name, id) pairs
    cdef list urls        # (url, expanded_url) pairs
    cdef list media       # (type, url, expanded_url) triples, type as given
    cdef object reply_to  # str or None


cdef _Body _body(_WStatus st):
    """The body of a status, or None when the general way must read it."""
    cdef _Body body = _Body.__new__(_Body)
    cdef _WExtended ext = st.extended_tweet
    cdef _WEntities ents
    cdef list xmedia
    if ext is None:
        text = st.full_text
        if text is None:
            text = st.text
        ents = st.entities
        xmedia = st.xmedia
    else:
        text = ext.full_text
        if text is None:
            text = st.full_text
            if text is None:
                text = st.text
        ents = ext.entities
        xmedia = ext.xmedia
        if ents is None:
            ents = st.entities
            xmedia = st.xmedia
    if text is None:
        return None
    body.text = text
    if ents is None and st.flat_entities:
        # v11: no entities object, but entity lists at the top level: those
        # are the entities (beside the status's own extended_entities).
        ents = st.flat
    if ents is None:
        found = _extract_entities(text)
        body.hashtags = list(found.hashtags)
        body.symbols = list(found.symbols)
        body.mentions = [(m.screen_name, m.id) for m in found.mentions]
        body.urls = [(u.url, u.expanded_url) for u in found.urls]
        body.media = []
    else:
        # The scanned lists are the body's own: nothing else holds them.
        body.hashtags = ents.hashtags if ents.hashtags is not None else []
        body.symbols = ents.symbols if ents.symbols is not None else []
        body.mentions = []
        if ents.mentions:
            for screen_name, id_str, number in ents.mentions:
                user_id = _decimal_id(id_str, number) if id_str is None else id_str
                if user_id is False:
                    return None
                body.mentions.append((screen_name or "", user_id or ""))
        body.urls = []
        if ents.urls:
            for url, expanded in ents.urls:
                url = url or ""
                body.urls.append((url, url if expanded is None else expanded))
        items = xmedia
        if items is None:
            items = ents.media
        body.media = (
            [(kind, url or "", expanded or "") for kind, url, expanded in items] if items else []
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


cdef int _fill_author(Doc doc, _WUser user) except -1:
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
    cdef _WStatus st, original, inner, quoted
    if not isinstance(raw, bytes):
        return None
    scanned = _scan_v11(<bytes>raw)
    if scanned is None:
        return None
    st = scanned
    if st.user is None:
        return None
    tweet_id = _decimal_id(st.id_str, st.id)
    if tweet_id is None or tweet_id is False:
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
        name = _client_names.get(source)
        source = _v11._client_name(source, "", []) if name is None else name
    doc.source = source or ""
    if st.place is not None:
        return None if _fill_place(doc, st.place) == 0 else _finish(doc, st)
    return _finish(doc, st)


cdef int _fill_place(Doc doc, bytes raw) except -1:
    ignored = []
    place = _v11._place(orjson_loads(raw), "place", ignored)
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


cdef Doc _finish(Doc doc, _WStatus st):
    cdef double lon, lat
    if st.has_point:
        lon = st.lon
        lat = st.lat
        if not (math.isfinite(lon) and math.isfinite(lat) and -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            return None
        doc.has_point = True
        doc.lon = lon
        doc.lat = lat
    elif st.geo:
        return None
    doc.nullcast = st.followers_scope is False
    return doc
