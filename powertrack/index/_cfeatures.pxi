# Included by _cindex.pyx: the values a tweet offers, as pids, computed once per match.
#
# The twin of features.py and view.py: each family offers exactly the values
# its extractor there offers (folded the same way), looked up in the key
# table; a value no rule uses has no pid and is dropped. Families are computed
# on first need: all those some segment posts under before gathering, any
# other when a program first tests one of its keys.

# Families computed together, by the group that computes them.
cdef enum:
    G_TEXT = 1, G_URL, G_BIO, G_BIO_NAME, G_BIO_LOC, G_SOURCE, G_PLACE
    G_ENTITIES, G_SCALARS, G_CONTAINS, G_URLC, G_WORD

cdef uint8_t _GROUP[N_FAMILIES]
_GROUP[F_TEXT] = G_TEXT
_GROUP[F_URL] = G_URL
_GROUP[F_BIO] = G_BIO
_GROUP[F_BIO_NAME] = G_BIO_NAME
_GROUP[F_BIO_LOC] = G_BIO_LOC
_GROUP[F_SOURCE] = G_SOURCE
_GROUP[F_PLACE] = G_PLACE
for _family in (F_HASHTAG, F_MENTION, F_CASHTAG):
    _GROUP[_family] = G_ENTITIES
for _family in (
    F_FROM, F_TO, F_RT_OF, F_RT_ID, F_REPLY_ID, F_CONV, F_LANG, F_COUNTRY, F_GEO, F_GEO_CELL,
    F_HAS, F_IS, F_N_FOLLOWERS, F_N_FRIENDS, F_N_STATUSES, F_N_LISTED,
):
    _GROUP[_family] = G_SCALARS
for _family in (F_CONTAINS1, F_CONTAINS2, F_CONTAINS3):
    _GROUP[_family] = G_CONTAINS
for _family in (F_URLC1, F_URLC2, F_URLC3):
    _GROUP[_family] = G_URLC
for _family in (F_WORD1, F_WORD2, F_WORD3):
    _GROUP[_family] = G_WORD

cdef uint64_t _bit(int family) noexcept nogil:
    return (<uint64_t>1) << family

cdef uint64_t _SCALAR_FAMILIES = 0
for _family in range(N_FAMILIES):
    if _GROUP[_family] == G_SCALARS:
        _SCALAR_FAMILIES |= _bit(_family)

_BUCKETS = tuple(str(bucket) for bucket in range(_MAX_BUCKET + 1))
_source_tokens_cache = {}
_SOURCE_CACHE_LIMIT = 1024


cdef inline str _folded(str value):
    # powertrack.text.fold, with ASCII's shortcut inline.
    if PyUnicode_IS_ASCII(value):
        return value.lower()
    return _fold_unicode(value)


cdef str _fold_unicode(str text):
    # powertrack.text.fold step by step, calling unicodedata's C functions
    # directly (no Python frame); tests hold the two to the same answers.
    if PyUnicode_KIND(text) == 1:
        # Below U+0100 no code point is a combining mark, the second of a
        # composition or changed by NFC, and neither is any that case folding
        # gives (U+03BC among them): the text and its folding are both NFC.
        return text.casefold()
    if "\ufe0f" in text:
        text = text.replace("\ufe0f", "")
    cdef str folded = (<str>_nfc("NFC", text)).casefold()
    if not _is_nfc("NFC", folded):
        folded = _nfc("NFC", folded)
    return folded


def fold_text(str text):
    """The compiled twin of :func:`powertrack.text.fold` (for tests)."""
    return _folded(text)


@cython.final
cdef class Scratch:
    """Per-match buffers, reused from match to match (one match at a time each)."""

    cdef IntSet offered
    cdef IntArray offered_list      # the offered pids that some rule is posted under
    cdef IntSet seen
    cdef IntArray streams[N_STREAMS]
    # The match loop's stages, per segment (_cmatcher.pxi): posting runs
    # found (start, count pairs), candidates and hits (posting entry indexes).
    cdef IntArray runs
    cdef IntArray cands
    cdef IntArray hits
    cdef Span *spans
    cdef Py_ssize_t spans_capacity
    cdef Entry **probes             # per span: its probed entry (offer_tokens)
    cdef Py_ssize_t probes_capacity
    cdef Span *main_spans          # the main text's tokens, for the word n-grams
    cdef Py_ssize_t main_spans_capacity
    cdef Py_ssize_t n_main_spans
    cdef uint64_t done              # families computed
    cdef Doc doc
    cdef KeyTable table
    cdef str folded_main            # the main text folded (for contains: and n-grams)
    cdef list folded_xurls          # folded expanded URLs of the quote scope
    cdef int bucket                 # the sample: bucket, -1 until needed

    def __cinit__(self):
        cdef int s
        intset_init(&self.offered, 256)
        intset_init(&self.seen, 256)
        self.offered_list.items = NULL
        self.offered_list.length = self.offered_list.capacity = 0
        self.runs.items = self.cands.items = self.hits.items = NULL
        self.runs.length = self.runs.capacity = 0
        self.cands.length = self.cands.capacity = 0
        self.hits.length = self.hits.capacity = 0
        for s in range(N_STREAMS):
            self.streams[s].items = NULL
            self.streams[s].length = self.streams[s].capacity = 0
        self.spans = NULL
        self.spans_capacity = 0
        self.probes = NULL
        self.probes_capacity = 0
        self.main_spans = NULL
        self.main_spans_capacity = 0

    def __dealloc__(self):
        cdef int s
        intset_free(&self.offered)
        intset_free(&self.seen)
        PyMem_Free(self.offered_list.items)
        PyMem_Free(self.runs.items)
        PyMem_Free(self.cands.items)
        PyMem_Free(self.hits.items)
        for s in range(N_STREAMS):
            PyMem_Free(self.streams[s].items)
        PyMem_Free(self.spans)
        PyMem_Free(self.probes)
        PyMem_Free(self.main_spans)

    cdef void begin(self, Doc doc, KeyTable table) noexcept:
        cdef int s
        self.doc = doc
        self.table = table
        intset_clear(&self.offered)
        self.offered_list.length = 0
        for s in range(N_STREAMS):
            self.streams[s].length = 0
        self.n_main_spans = 0
        self.done = 0
        self.folded_main = None
        self.folded_xurls = None
        self.bucket = -1

    cdef void end(self) noexcept:
        self.doc = None
        self.table = None
        self.folded_main = None
        self.folded_xurls = None

    # -- looking values up ------------------------------------------------

    cdef inline int32_t offer(self, const Entry *e) except -2:
        """Offer the key of entry ``e`` (nothing when NULL); returns its pid or -1."""
        if e == NULL:
            return -1
        if intset_add(&self.offered, e.pid) and e.posted:
            array_push(&self.offered_list, e.pid)
        return e.pid

    cdef int offer_str(self, int family, object value) except -1:
        """Offer a value as it is (ids, codes)."""
        cdef Text text
        if value is None:
            return 0
        text_of(<str>value, &text)
        if text.length == 0:
            return 0
        self.offer(
            self.table.lookup(family, &text, 0, text.length, hash_span(family, &text, 0, text.length))
        )
        return 0

    cdef int offer_folded(self, int family, object value) except -1:
        if value is None or len(<str>value) == 0:
            return 0
        return self.offer_str(family, _folded(<str>value))

    cdef int offer_tokens(self, int family, str folded, int stream) except -1:
        """Offer the tokens of folded text, and append their ids to ``stream`` (or not, if -1)."""
        cdef Text text
        cdef Py_ssize_t count, k
        cdef int32_t pid
        cdef KeyTable table = self.table
        cdef Span *spans
        cdef Entry *e
        text_of(folded, &text)
        count = tokenize(&text, &self.spans, &self.spans_capacity, family)
        spans = self.spans
        if count > self.probes_capacity:
            self._grow_probes(count)
        # In three passes, so that the cache misses of the tokens' look-ups
        # overlap: ask for the entries, find them and ask for their code
        # points, then compare those.
        for k in range(count):
            table.prefetch(spans[k].hash)
        for k in range(count):
            e = table.probe(family, spans[k].end - spans[k].start, spans[k].hash)
            self.probes[k] = e
            if e != NULL:
                pt_prefetch(e.chars)
        for k in range(count):
            e = self.probes[k]
            if e != NULL and not table.holds(e, &text, spans[k].start, spans[k].end):
                e = table.lookup(family, &text, spans[k].start, spans[k].end, spans[k].hash)
            pid = self.offer(e)
            if stream >= 0:
                array_push(&self.streams[stream], pid if pid >= 0 else UNKNOWN)
        return <int>count

    cdef int _grow_probes(self, Py_ssize_t count) except -1:
        cdef Entry **grown = <Entry **>PyMem_Realloc(self.probes, count * sizeof(Entry *))
        if grown == NULL:
            raise MemoryError()
        self.probes = grown
        self.probes_capacity = count
        return 0

    # -- families -----------------------------------------------------------

    cdef int ensure(self, int family) except -1:
        cdef int group
        if self.done & _bit(family):
            return 0
        group = _GROUP[family]
        if group == G_TEXT:
            self._text()
        elif group == G_URL:
            self._link_urls()
        elif group == G_BIO:
            self._profile(F_BIO, S_BIO, self.doc.author_description)
        elif group == G_BIO_NAME:
            self._profile(F_BIO_NAME, S_BIO_NAME, self.doc.author_name)
        elif group == G_BIO_LOC:
            self._profile(F_BIO_LOC, S_BIO_LOC, self.doc.author_location)
        elif group == G_SOURCE:
            self._source()
        elif group == G_PLACE:
            self._place()
        elif group == G_ENTITIES:
            self._entities()
        elif group == G_SCALARS:
            self._scalars()
        elif group == G_CONTAINS:
            self._contains(family)
        elif group == G_URLC:
            self._url_contains(family)
        else:
            self._word_contains(family)
        return 0

    cdef int ensure_all(self, uint64_t families) except -1:
        cdef int family
        for family in range(N_FAMILIES):
            if families & _bit(family):
                self.ensure(family)
        return 0

    cdef int ensure_stream(self, int stream) except -1:
        if stream <= S_XURL1:
            return self.ensure(F_TEXT)
        if stream <= S_LURL1:
            return self.ensure(F_URL)
        if stream == S_BIO:
            return self.ensure(F_BIO)
        if stream == S_BIO_NAME:
            return self.ensure(F_BIO_NAME)
        if stream == S_BIO_LOC:
            return self.ensure(F_BIO_LOC)
        if stream == S_SOURCE:
            return self.ensure(F_SOURCE)
        return self.ensure(F_PLACE)

    cdef int _text(self) except -1:
        # Keyword tokens: the text's and the expanded URLs', of each tweet of the scope.
        cdef Part part
        cdef int p
        cdef Py_ssize_t count
        cdef list folded_urls = []
        for p in range(2):
            part = self.doc.main if p == 0 else self.doc.quoted
            if part is None:
                break
            folded = _folded(part.text)
            count = self.offer_tokens(F_TEXT, folded, S_TEXT0 + p)
            if p == 0:
                self.folded_main = folded
                self._keep_main_spans(count)
            first = True
            for url in _expanded_urls(part):
                if not first:
                    array_push(&self.streams[S_XURL0 + p], SEPARATOR)
                first = False
                folded = _folded(<str>url)
                folded_urls.append(folded)
                self.offer_tokens(F_TEXT, folded, S_XURL0 + p)
        self.folded_xurls = folded_urls
        self.done |= _bit(F_TEXT)
        return 0

    cdef int _keep_main_spans(self, Py_ssize_t count) except -1:
        cdef Span *grown
        if count > self.main_spans_capacity:
            grown = <Span *>PyMem_Realloc(self.main_spans, count * sizeof(Span))
            if grown == NULL:
                raise MemoryError()
            self.main_spans = grown
            self.main_spans_capacity = count
        memcpy(self.main_spans, self.spans, count * sizeof(Span))
        self.n_main_spans = count
        return 0

    cdef int _link_urls(self) except -1:
        cdef Part part
        cdef int p
        for p in range(2):
            part = self.doc.main if p == 0 else self.doc.quoted
            if part is None:
                break
            first = True
            for url in _link_urls(part):
                if not first:
                    array_push(&self.streams[S_LURL0 + p], SEPARATOR)
                first = False
                self.offer_tokens(F_URL, _folded(<str>url), S_LURL0 + p)
        self.done |= _bit(F_URL)
        return 0

    cdef int _profile(self, int family, int stream, str value) except -1:
        if value:
            self.offer_tokens(family, _folded(value), stream)
        self.done |= _bit(family)
        return 0

    cdef int _source(self) except -1:
        source = self.doc.source
        if source:
            name = _source_tokens_cache.get(source)
            if name is None:
                name = _folded(_sem.source_name(source))
                if len(_source_tokens_cache) >= _SOURCE_CACHE_LIMIT:
                    _source_tokens_cache.clear()
                _source_tokens_cache[source] = name
            self.offer_tokens(F_SOURCE, name, S_SOURCE)
        self.done |= _bit(F_SOURCE)
        return 0

    cdef int _place(self) except -1:
        cdef Doc doc = self.doc
        if doc.has_place and not doc.retweet:
            if doc.place_full_name:
                self.offer_tokens(F_PLACE, _folded(doc.place_full_name), S_PLACE)
            self.offer_folded(F_PLACE, doc.place_id)
        self.done |= _bit(F_PLACE)
        return 0

    cdef int _entities(self) except -1:
        cdef Part part
        cdef int p
        for p in range(2):
            part = self.doc.main if p == 0 else self.doc.quoted
            if part is None:
                break
            for tag in part.hashtags:
                self.offer_folded(F_HASHTAG, tag)
            for name in part.mention_names:
                self.offer_folded(F_MENTION, name)
            for user_id in part.mention_ids:
                self.offer_str(F_MENTION, user_id if user_id else None)
            for symbol in part.symbols:
                self.offer_folded(F_CASHTAG, symbol)
        self.done |= _bit(F_HASHTAG) | _bit(F_MENTION) | _bit(F_CASHTAG)
        return 0

    cdef int _scalars(self) except -1:
        cdef Doc doc = self.doc
        cdef Part part
        cdef int p
        cdef bint geo = not doc.retweet and (doc.has_point or doc.has_place)
        cdef bint reply = False
        self.offer_folded(F_FROM, doc.author_screen_name)
        self.offer_str(F_FROM, doc.author_id or None)
        self.offer_folded(F_TO, doc.reply_screen_name)
        self.offer_str(F_TO, doc.reply_user_id or None)
        if doc.retweet:
            self.offer_folded(F_RT_OF, doc.rt_author_screen_name)
            self.offer_str(F_RT_OF, doc.rt_author_id or None)
            self.offer_str(F_RT_ID, doc.rt_id)
        self.offer_str(F_REPLY_ID, doc.main.reply_status_id or None)
        if doc.conversation_id:
            self.offer_str(F_CONV, doc.conversation_id)
        elif not doc.main.reply_status_id:
            self.offer_str(F_CONV, doc.id)
        lang = doc.lang
        if lang:
            lang = (<str>lang).lower()
            self.offer_str(F_LANG, lang)
            if lang != "und":
                self.offer_str(F_HAS, "lang")
        if doc.has_place and doc.place_country and not doc.retweet:
            self.offer_str(F_COUNTRY, (<str>doc.place_country).upper())
        if geo:
            self.offer_str(F_GEO, "1")
            self.offer_str(F_HAS, "geo")
            if doc.has_point:
                self.offer_str(F_GEO_CELL, _cell_of(doc.lon, doc.lat))
            elif doc.has_bbox:
                self.offer_str(F_GEO_CELL, _cell_of(doc.west, doc.south))
        for p in range(2):
            part = doc.main if p == 0 else doc.quoted
            if part is None:
                break
            if part.url_tco or part.media_types:
                self.offer_str(F_HAS, "links")
            if part.mention_names:
                self.offer_str(F_HAS, "mentions")
            if part.hashtags:
                self.offer_str(F_HAS, "hashtags")
            if part.symbols:
                self.offer_str(F_HAS, "symbols")
            if part.media_types:
                self.offer_str(F_HAS, "media")
                for kind in part.media_types:
                    self.offer_str(F_HAS, "images" if kind == MEDIA_PHOTO else "videos")
            if part.reply_status_id:
                reply = True
        if doc.retweet:
            self.offer_str(F_IS, "retweet")
        if reply:
            self.offer_str(F_IS, "reply")
        if doc.is_quote:
            self.offer_str(F_IS, "quote")
        if doc.verified:
            self.offer_str(F_IS, "verified")
        if doc.nullcast:
            self.offer_str(F_IS, "nullcast")
        self.offer_str(F_N_FOLLOWERS, _BUCKETS[_bucket(doc.followers)])
        self.offer_str(F_N_FRIENDS, _BUCKETS[_bucket(doc.friends)])
        self.offer_str(F_N_STATUSES, _BUCKETS[_bucket(doc.statuses)])
        self.offer_str(F_N_LISTED, _BUCKETS[_bucket(doc.listed)])
        self.done |= _SCALAR_FAMILIES
        return 0

    cdef int _offer_grams(self, int family, str folded, Py_ssize_t start, Py_ssize_t end, int n) except -1:
        cdef Text text
        cdef Py_ssize_t i
        cdef uint64_t code = 0
        cdef int shift = 21 * (n - 1)
        cdef GramEntry *g
        cdef KeyTable table = self.table
        text_of(folded, &text)
        # The code of the n-gram at i (_gram_code: the first code point in
        # the low bits) rolls on: the oldest point leaves, the next comes in.
        for i in range(start, min(start + n - 1, end)):
            code = (code >> 21) | (<uint64_t>char_at(&text, i) << shift)
        for i in range(start + n - 1, end):
            code = (code >> 21) | (<uint64_t>char_at(&text, i) << shift)
            g = table.gram(family, code)
            # An n-gram key that no rule is posted under and no program tests
            # is not offered at all: most common n-grams stop here.
            if g != NULL and (g.posted or g.tested):
                if intset_add(&self.offered, g.pid) and g.posted:
                    array_push(&self.offered_list, g.pid)
        return 0

    cdef int _contains(self, int family) except -1:
        cdef int n = family - F_CONTAINS1 + 1
        self.ensure(F_TEXT)
        self._offer_grams(family, self.folded_main, 0, len(self.folded_main), n)
        self.done |= _bit(family)
        return 0

    cdef int _url_contains(self, int family) except -1:
        cdef int n = family - F_URLC1 + 1
        self.ensure(F_TEXT)
        for url in self.folded_xurls:
            self._offer_grams(family, <str>url, 0, len(<str>url), n)
        self.done |= _bit(family)
        return 0

    cdef int _word_contains(self, int family) except -1:
        cdef int n = family - F_WORD1 + 1
        cdef Py_ssize_t k
        self.ensure(F_TEXT)
        for k in range(self.n_main_spans):
            self._offer_grams(family, self.folded_main, self.main_spans[k].start, self.main_spans[k].end, n)
        self.done |= _bit(family)
        return 0

    cdef int sample_bucket(self) except -1:
        if self.bucket < 0:
            self.bucket = sample_bucket(self.doc.id)
        return self.bucket


cdef list _expanded_urls(Part part):
    # semantics.expanded_urls: links' then media's expanded URLs, empties skipped.
    return [url for url in part.url_expanded if url] + [url for url in part.media_expanded if url]


cdef list _link_urls(Part part):
    # semantics.link_urls: each link's expanded and t.co URL, then each media item's.
    cdef list urls = []
    cdef Py_ssize_t i
    for i in range(len(part.url_tco)):
        urls.append(part.url_expanded[i])
        urls.append(part.url_tco[i])
    for i in range(len(part.media_tco)):
        urls.append(part.media_expanded[i])
        urls.append(part.media_tco[i])
    return [url for url in urls if url]


cdef int _bucket(object count) except -1:
    # features.count_bucket: 0 for 0 (and below), then the bit length, at most 64.
    cdef int overflow = 0
    cdef long long value = PyLong_AsLongLongAndOverflow(count, &overflow)
    cdef int bits = 0
    if overflow > 0:
        return _MAX_BUCKET
    if overflow < 0 or value <= 0:
        return 0
    while value:
        bits += 1
        value >>= 1
    return bits


from powertrack.index.geogrid import cell_of as _py_cell_of


cdef str _cell_of(double lon, double lat):
    return _py_cell_of(lon, lat)
