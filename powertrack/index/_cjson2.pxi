# Included by _cindex.pyx after _cjson.pxi: a v2 filtered-stream message's JSON
# straight to a Doc.
#
# The compiled twin of powertrack.tweets.v2 for the well-formed case: the
# message is decoded by msgspec into the structs of tweets.v2_wire, then read
# here as v2.py reads the same fields. Anything out of the ordinary (a field
# of another type, an id that is not decimal, a referenced tweet that itself
# absorbs a retweet, a bounding box off the globe) returns None and the
# caller takes the general way. Tests hold both ways to the same Doc on every
# v2 message of the corpus and on damaged ones.

from powertrack.tweets import v2 as _v2
from powertrack.tweets.v2_wire import DECODER as _V2_DECODER

_V2_MEDIA_TYPES = frozenset(("photo", "video", "animated_gif"))
_V2_KEY_TYPES = _v2._MEDIA_KEY_TYPES
_V2_SCREEN_NAME = _v2._SCREEN_NAME


@cython.final
cdef class _V2Includes:
    # One message's includes, indexed by id on first use (v2._Includes).
    cdef object raw
    cdef dict users
    cdef dict names
    cdef dict tweets
    cdef dict media
    cdef dict places

    cdef object user(self, str user_id):
        if self.users is None:
            items = None if self.raw is None else self.raw.users
            self.users = {item.id: item for item in items} if items else {}
        return self.users.get(user_id)

    cdef str user_id_by_name(self, str username):
        if self.names is None:
            self.user("")
            self.names = {
                (<str>item.username).lower(): user_id
                for user_id, item in self.users.items()
                if item.username is not None
            }
        return self.names.get(username.lower(), "")

    cdef object tweet(self, str tweet_id):
        if self.tweets is None:
            items = None if self.raw is None else self.raw.tweets
            self.tweets = {item.id: item for item in items} if items else {}
        return self.tweets.get(tweet_id)

    cdef object media_item(self, str key):
        if self.media is None:
            items = None if self.raw is None else self.raw.media
            self.media = {item.media_key: item for item in items} if items else {}
        return self.media.get(key)

    cdef object place(self, str place_id):
        if self.places is None:
            items = None if self.raw is None else self.raw.places
            self.places = {item.id: item for item in items} if items else {}
        return self.places.get(place_id)


@cython.final
cdef class _V2Tweet:
    # One tweet of the message as v2._tweet reads it, as far as a Doc needs.
    cdef _Body body
    cdef str id
    cdef str author_id
    cdef str author_name      # the author's username, "" when unknown
    cdef object retweet_id    # str or None
    cdef object quote_id


cdef inline bint _v2_id(object value):
    # An id field as v2.py keeps it without the general way: absent, or decimal.
    return value is None or _is_decimal(value)


cdef _V2Tweet _v2_tweet(object data, _V2Includes inc):
    """The tweet's own fields and body (no referenced tweet followed), or None."""
    cdef _V2Tweet tweet = _V2Tweet.__new__(_V2Tweet)
    cdef _Body body = _Body.__new__(_Body)
    tweet_id = data.id
    if not _is_decimal(tweet_id):
        return None
    tweet.id = tweet_id
    ents = data.entities
    text = data.text
    note = data.note_tweet
    if note is not None and note.text is not None:
        text = note.text
        if note.entities is not None:
            ents = note.entities
    body.text = text
    author_id = data.author_id
    if not _v2_id(author_id):
        return None
    if author_id is None:
        tweet.author_id = ""
        tweet.author_name = ""
    else:
        tweet.author_id = author_id
        user = inc.user(author_id)
        tweet.author_name = "" if user is None or user.username is None else user.username
    links = None
    if ents is None:
        found = _extract_entities(text)
        body.hashtags = list(found.hashtags)
        body.symbols = list(found.symbols)
        body.mentions = [
            (m.screen_name, inc.user_id_by_name(m.screen_name)) for m in found.mentions
        ]
        body.urls = [(u.url, u.expanded_url) for u in found.urls]
    else:
        items = ents.hashtags
        body.hashtags = [item.tag for item in items] if items else []
        items = ents.cashtags
        body.symbols = [item.tag for item in items] if items else []
        body.mentions = []
        items = ents.mentions
        if items:
            for item in items:
                user_id = item.id
                if user_id is None:
                    user_id = inc.user_id_by_name(item.username)
                body.mentions.append((item.username, user_id))
        body.urls = []
        items = ents.urls
        if items:
            for item in items:
                url = item.url or ""
                expanded = item.expanded_url
                if expanded is None:
                    expanded = item.unwound_url or ""
                link = (url, expanded or url)
                if item.media_key is None:
                    body.urls.append(link)
                else:
                    if links is None:
                        links = {}
                    links[item.media_key] = link
    body.media = []
    attachments = data.attachments
    if attachments is not None or links:
        keys = []
        if attachments is not None and attachments.media_keys:
            keys = attachments.media_keys
        if links:
            keys = keys + [key for key in links if key not in keys]
        for key in keys:
            item = inc.media_item(key)
            kind = None if item is None else item.type
            if kind is None or kind not in _V2_MEDIA_TYPES:
                kind = _V2_KEY_TYPES.get((<str>key).partition("_")[0], "photo")
            link = links.get(key) if links else None
            if link is None:
                body.media.append((kind, "", ""))
            else:
                body.media.append((kind, link[0], link[1]))
    reply_to = retweet_id = quote_id = None
    refs = data.referenced_tweets
    if refs:
        for ref in refs:
            ref_id = ref.id
            if not _is_decimal(ref_id):
                continue  # left out, as v2._references leaves it
            kind = ref.type
            if kind == "replied_to":
                reply_to = ref_id
            elif kind == "retweeted":
                retweet_id = ref_id
            elif kind == "quoted":
                quote_id = ref_id
    body.reply_to = reply_to
    tweet.body = body
    tweet.retweet_id = retweet_id
    tweet.quote_id = quote_id
    return tweet


cdef tuple _v2_stub_author(str text, list mentions):
    # v2._stub_original: the original's author as the "RT @name:" prefix names it.
    cdef Py_ssize_t colon = text.find(":", 4)
    if text.startswith("RT @") and colon > 4:
        name = text[4:colon]
        lowered = name.lower()
        for screen_name, user_id in mentions:
            if (<str>screen_name).lower() == lowered:
                return screen_name, user_id
        if _V2_SCREEN_NAME.fullmatch(name):
            return name, ""
    return "", ""


cdef _V2Tweet _v2_nested(object data, _V2Includes inc, bint follow):
    # A referenced tweet of includes at depth 1 (follow) or 2. At depth 1 a
    # retweet found in includes would absorb its original: the general way.
    # At depth 2 nothing is followed, so its references change nothing here.
    cdef _V2Tweet tweet = _v2_tweet(data, inc)
    if tweet is None:
        return None
    if follow and tweet.retweet_id is not None and inc.tweet(tweet.retweet_id) is not None:
        return None
    return tweet


cdef Doc doc_of_v2_json(object raw):
    """The Doc of a v2 filtered-stream message's JSON, or None when it is not the well-formed case."""
    cdef Doc doc
    cdef _V2Includes inc
    cdef _V2Tweet main, original = None, quoted = None, inner = None
    cdef _Body body
    cdef bint is_quote
    try:
        message = _V2_DECODER.decode(raw)
    except _DECODE_ERRORS:
        return None
    if message.user is not _UNSET:
        return None
    data = message.data
    if data.dm_conversation_id is not _UNSET:
        return None
    inc = _V2Includes.__new__(_V2Includes)
    inc.raw = message.includes
    main = _v2_tweet(data, inc)
    if main is None:
        return None
    body = main.body
    doc = Doc.__new__(Doc)
    doc.id = main.id
    is_quote = main.quote_id is not None
    if main.retweet_id is not None:
        found = inc.tweet(main.retweet_id)
        if found is not None:
            original = _v2_nested(found, inc, True)
            if original is None:
                return None
        doc.retweet = True
        doc.rt_id = main.retweet_id
        if original is None:
            doc.rt_author_screen_name, doc.rt_author_id = _v2_stub_author(body.text, body.mentions)
        else:
            doc.rt_author_screen_name = original.author_name
            doc.rt_author_id = original.author_id
            # entities.absorb_retweet, then the original's quoted tweet.
            rt_body = original.body
            body.text = rt_body.text
            body.hashtags = _merge(body.hashtags, rt_body.hashtags)
            body.mentions = _merge_mentions(body.mentions, rt_body.mentions)
            body.symbols = _merge(body.symbols, rt_body.symbols)
            body.urls = _merge(body.urls, rt_body.urls)
            body.media = _merge(body.media, rt_body.media)
            if original.quote_id is not None:
                is_quote = True
                found = inc.tweet(original.quote_id)
                if found is not None:
                    quoted = _v2_nested(found, inc, False)
                    if quoted is None:
                        return None
    if main.quote_id is not None and (quoted is None or quoted.id != main.quote_id):
        found = inc.tweet(main.quote_id)
        if found is not None:
            inner = _v2_nested(found, inc, True)
            if inner is None:
                return None
            quoted = inner
    doc.main = _part_of_body(body)
    doc.quoted = None if quoted is None else _part_of_body(quoted.body)
    doc.is_quote = is_quote or quoted is not None
    if not _v2_author(doc, data.author_id, inc):
        return None
    doc.lang = data.lang
    reply_user = data.in_reply_to_user_id
    if not _v2_id(reply_user):
        return None
    doc.reply_user_id = reply_user
    doc.reply_screen_name = None
    if reply_user is not None:
        replied = inc.user(reply_user)
        if replied is not None:
            doc.reply_screen_name = replied.username
    conversation = data.conversation_id
    if not _v2_id(conversation):
        return None
    doc.conversation_id = conversation
    doc.source = data.source or ""
    geo = data.geo
    if geo is not None and not _v2_geo(doc, geo, inc):
        return None
    doc.nullcast = False
    return doc


cdef int _v2_author(Doc doc, object author_id, _V2Includes inc) except -1:
    # v2._user; returns 0 when the general way must read it.
    user = None if author_id is None else inc.user(author_id)
    doc.author_id = "" if author_id is None else author_id
    doc.followers = doc.friends = doc.statuses = doc.listed = 0
    if user is None:
        doc.author_screen_name = doc.author_name = ""
        doc.author_description = doc.author_location = ""
        doc.verified = False
        return 1
    doc.author_screen_name = user.username or ""
    doc.author_name = user.name or ""
    doc.author_description = user.description or ""
    doc.author_location = user.location or ""
    doc.verified = user.verified is True
    metrics = user.public_metrics
    if metrics is not None:
        doc.followers = metrics.followers_count or 0
        doc.friends = metrics.following_count or 0
        doc.statuses = metrics.tweet_count or 0
        doc.listed = metrics.listed_count or 0
    return 1


cdef inline bint _on_globe(double lon, double lat) noexcept:
    return -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0


cdef int _v2_geo(Doc doc, object geo, _V2Includes inc) except -1:
    # v2's geo: the place by id (with its bounding box) and the exact point.
    place_id = geo.place_id
    if place_id is not None:
        doc.has_place = True
        doc.place_id = place_id
        place = inc.place(place_id)
        if place is None:
            doc.place_full_name = doc.place_country = ""
        else:
            doc.place_full_name = place.full_name or ""
            doc.place_country = place.country_code or ""
            bbox = None if place.geo is None else place.geo.bbox
            if bbox is not None:
                if len(bbox) != 4 or not (_on_globe(bbox[0], bbox[1]) and _on_globe(bbox[2], bbox[3])):
                    return 0
                doc.has_bbox = True
                doc.west, doc.south, doc.east, doc.north = bbox
    point = geo.coordinates
    if point is not None:
        pair = point.coordinates
        if pair is None or len(pair) != 2 or not _on_globe(pair[0], pair[1]):
            return 0
        doc.has_point = True
        doc.lon, doc.lat = pair
    return 1
