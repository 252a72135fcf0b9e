# cython: language_level=3
"""The compiled predicate index: the twin of :mod:`powertrack.index.pyindex`.

Same keys, same invariant, same answers (docs/matching.md); the hot path runs
on plain data:

- keys are interned once into predicate ids (``pid``, an int) in a
  :class:`KeyTable`: an insert-only hash table of (family, code points);
- a rule is compiled to a flat program of int32 words over pids;
- postings live in immutable :class:`Segment` objects (a hash table from pid
  to a run of rule slots); a :class:`Snapshot` is a tuple of segments with
  their dead-slot bitmaps, and a match reads one snapshot from start to end;
- a tweet's features (folded text, tokens, URL and profile tokens, n-grams,
  geo cell, entity values) are computed once per match, lazily, into
  per-match scratch buffers, and looked up as pids: no ``Tweet``-sized
  Python objects, no ``(family, value)`` tuples.

Writers (add, remove, maintain) serialize on a lock and publish a new snapshot;
matches never take that lock. Learning and rebalancing run in ``maintain()``,
in the writer's thread: a match only hands the pids of every ``learn_every``-th
tweet to a bounded queue.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport PyUnicode_Contains, PyUnicode_KIND

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object o)
    void *PyUnicode_1BYTE_DATA(object o)
from libc.math cimport asin, cos, floor, fmod, pow, sin, sqrt
from libc.stdint cimport INT64_MAX, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

cimport cython

from powertrack.index._ctext cimport (
    Span,
    Text,
    char_at,
    ensure_classes,
    hash_span,
    hash_start,
    hash_step,
    text_of,
    tokenize,
)

import collections
import gc
import threading
from unicodedata import is_normalized as _is_nfc, normalize as _nfc

from powertrack.index import features as _f
from powertrack.index.geogrid import box_cells, circle_cells
from powertrack.index.selectivity import FrequencyModel, prior
from powertrack.index.stats import IndexStats
from powertrack.rules import codec
from powertrack.rules import semantics as _sem
from powertrack.rules.parser import parse_rule
from powertrack.rules.rule import Rule
from powertrack.rules.sampling import sample_bucket
from powertrack.tweets.model import Tweet

cdef extern from "_catomic.h":
    int32_t pt_load_acquire(const int32_t *p) nogil
    void pt_store_release(int32_t *p, int32_t v) nogil

cdef extern from "_cprefetch.h":
    void pt_prefetch(const void *p) nogil

__all__ = ["CRuleIndex", "Doc"]

# --- families --------------------------------------------------------------

cdef enum:
    F_TEXT, F_HASHTAG, F_MENTION, F_CASHTAG, F_FROM, F_TO, F_RT_OF, F_RT_ID
    F_REPLY_ID, F_CONV, F_URL, F_BIO, F_BIO_NAME, F_BIO_LOC, F_LANG, F_PLACE
    F_COUNTRY, F_GEO, F_GEO_CELL, F_HAS, F_IS, F_SOURCE
    F_N_FOLLOWERS, F_N_FRIENDS, F_N_STATUSES, F_N_LISTED
    F_CONTAINS1, F_CONTAINS2, F_CONTAINS3
    F_URLC1, F_URLC2, F_URLC3
    F_WORD1, F_WORD2, F_WORD3
    N_FAMILIES

FAMILY_NAMES = (
    _f.TEXT, _f.HASHTAG, _f.MENTION, _f.CASHTAG, _f.FROM, _f.TO, _f.RETWEETS_OF,
    _f.RETWEET_STATUS, _f.REPLY_STATUS, _f.CONVERSATION, _f.URL, _f.BIO, _f.BIO_NAME,
    _f.BIO_LOCATION, _f.LANG, _f.PLACE, _f.PLACE_COUNTRY, _f.GEO, _f.GEO_CELL, _f.HAS,
    _f.IS, _f.SOURCE, *_f.COUNT_FAMILIES.values(),
    *(_f.ngram_family(False, n) for n in (1, 2, 3)),
    *(_f.ngram_family(True, n) for n in (1, 2, 3)),
    *(_f.word_ngram_family(n) for n in (1, 2, 3)),
)
assert len(FAMILY_NAMES) == N_FAMILIES
# The n-gram families come last (F_CONTAINS1 to F_WORD3); KeyTable keeps
# their keys in a small table of their own too.
_FAMILY_CODES = {name: code for code, name in enumerate(FAMILY_NAMES)}
_USER_FAMILIES = {"from": F_FROM, "to": F_TO, "retweets_of": F_RT_OF}
_ID_FAMILIES = {
    "retweets_of_status_id": F_RT_ID,
    "in_reply_to_status_id": F_REPLY_ID,
    "conversation_id": F_CONV,
}
_PROFILE_FAMILIES = {"bio": F_BIO, "bio_name": F_BIO_NAME, "bio_location": F_BIO_LOC}
_COUNT_FIELDS = {
    "followers_count": F_N_FOLLOWERS,
    "friends_count": F_N_FRIENDS,
    "statuses_count": F_N_STATUSES,
    "listed_count": F_N_LISTED,
}
# Count buckets go up to 64: a count beyond 64 bits is put in the last one.
cdef int _MAX_BUCKET = _f.MAX_COUNT_BUCKET

# --- token streams: the token sequences phrases are matched in ------------

cdef enum:
    S_TEXT0, S_TEXT1, S_XURL0, S_XURL1, S_LURL0, S_LURL1
    S_BIO, S_BIO_NAME, S_BIO_LOC, S_SOURCE, S_PLACE
    N_STREAMS

# Token ids in a stream: a pid, or one of these (never a rule's token).
cdef int32_t UNKNOWN = -1
cdef int32_t SEPARATOR = -2  # between two URLs: a phrase never straddles them

# --- program ops: [op, size, ...]; size counts every word of the node -----

cdef enum:
    OP_AND = 1
    OP_OR
    OP_NOT
    OP_KEY        # family, pid: the tweet offers the key
    OP_SEQ        # streams mask, n, tokens: a phrase in one of the streams
    OP_PROX       # distance, n, tokens
    OP_CONTAINS   # const, its address (2 words, set in a segment): a substring of the folded text
    OP_URLC       # const, its address: a substring of a folded expanded URL
    OP_COUNT      # field, const (a (low, high) pair for the exact test), low lo/hi, high lo/hi, has high
    OP_RADIUS     # lon, lat, radius_km as doubles (2 words each)
    OP_BOX        # west, south, east, north as doubles
    OP_SAMPLE     # percent
    OP_TRUE

# Slot flags.
cdef enum:
    EXACT = 1  # being a candidate proves the match: no program to run
    MULTI = 2  # posted under several keys: a tweet may find it more than once
    NEGATED = 4  # PostEntry.check is a key the tweet must not offer

# --- the interned keys -----------------------------------------------------

ctypedef struct Entry:
    uint64_t hash
    uint32_t *chars
    int32_t pid  # -1: empty; written last, with release order
    int32_t length_family  # length << 8 | family
    # Set once some rule is posted under the key (never cleared): a match looks
    # up only such keys' postings. Written before the snapshot that posts there
    # is published, so every reader of that snapshot sees it.
    uint8_t posted
    # Set once some program tests the key (n-gram keys only, never cleared):
    # a tweet then offers it although no rule may be posted under it.
    uint8_t tested


@cython.final
cdef class KeyArena:
    """Storage of interned keys' code points; blocks never move, so tables share them."""

    cdef list blocks
    cdef uint32_t *block
    cdef Py_ssize_t used
    cdef Py_ssize_t size

    def __cinit__(self):
        self.blocks = []
        self.block = NULL
        self.used = 0
        self.size = 0

    def __dealloc__(self):
        cdef Py_ssize_t address
        for address in self.blocks:
            PyMem_Free(<void *>address)

    cdef uint32_t *take(self, Py_ssize_t n) except NULL:
        cdef Py_ssize_t size
        if self.block == NULL or self.used + n > self.size:
            size = max(n, 65536)
            self.block = <uint32_t *>PyMem_Malloc(size * sizeof(uint32_t))
            if self.block == NULL:
                raise MemoryError()
            self.blocks.append(<Py_ssize_t>self.block)
            self.used = 0
            self.size = size
        self.used += n
        return self.block + self.used - n


cdef inline uint64_t _bloom_bits(uint64_t h) noexcept nogil:
    # A blocked Bloom filter: a key's three bits lie in one 64-bit word, so a
    # probe reads one cache line; the word is chosen by the low bits of the
    # hash, the bits by three high fields of it.
    return (
        ((<uint64_t>1) << ((h >> 37) & 63))
        | ((<uint64_t>1) << ((h >> 43) & 63))
        | ((<uint64_t>1) << ((h >> 49) & 63))
    )


ctypedef struct GramEntry:
    # An n-gram key (n <= 3) in the n-gram table: its code points packed
    # exactly into one word (see _gram_code), so a probe compares two words
    # and reads nothing else.
    uint64_t code
    int32_t pid      # -1: empty; written last, with release order
    uint8_t family
    uint8_t posted   # as Entry.posted
    uint8_t tested   # as Entry.tested


cdef inline uint64_t _gram_code(const uint32_t *chars, Py_ssize_t n) noexcept nogil:
    # Up to three code points (21 bits each); the family gives n.
    cdef uint64_t code = 0
    cdef Py_ssize_t k
    for k in range(n):
        code |= (<uint64_t>chars[k]) << (21 * k)
    return code


cdef inline Py_ssize_t _gram_slot(uint64_t code, int family, Py_ssize_t mask) noexcept nogil:
    return <Py_ssize_t>(((code ^ (<uint64_t>family << 58)) * <uint64_t>0x9E3779B97F4A7C15ULL) >> 40) & mask


@cython.final
cdef class KeyTable:
    """Interned keys: (family, code points) -> pid. Insert-only, so reads need no lock.

    A writer fills an entry, then publishes its pid with release order; a
    reader loads the pid with acquire order and sees a whole entry or an
    empty one. A full table is replaced by a larger copy (:meth:`grown`);
    readers of older snapshots keep the table they started with, which no
    writer touches again.

    Most values a tweet offers are no rule's key: a blocked Bloom filter
    (three bits a key, all in one word of a bitmap that stays in cache) turns
    almost all of those away before the table, which is far larger than the
    cache, is read.
    """

    cdef Entry *entries
    cdef Py_ssize_t mask
    cdef Py_ssize_t count
    cdef uint64_t *bloom
    cdef uint64_t bloom_mask
    # The n-gram families are looked up at every position of a text, and
    # they hold few keys, many of them common: their keys are also kept in a
    # small table of their own (16 bytes a slot, sized to its keys), whose
    # entries hold the code points themselves, so that a probe stays in the
    # cache and never reads the arena.
    cdef GramEntry *grams
    cdef Py_ssize_t gram_mask
    cdef Py_ssize_t gram_count
    cdef KeyArena arena

    def __cinit__(self, Py_ssize_t capacity, KeyArena arena, Py_ssize_t grams=256):
        # capacity and grams: powers of two (slots of the two tables).
        cdef Py_ssize_t i
        self.entries = <Entry *>PyMem_Malloc(capacity * sizeof(Entry))
        # Eight bits of filter per slot, so about sixteen per key.
        self.bloom = <uint64_t *>PyMem_Malloc(capacity * sizeof(uint64_t) // 8)
        self.grams = <GramEntry *>PyMem_Malloc(grams * sizeof(GramEntry))
        if self.entries == NULL or self.bloom == NULL or self.grams == NULL:
            raise MemoryError()
        for i in range(grams):
            self.grams[i].pid = -1
        self.gram_mask = grams - 1
        self.gram_count = 0
        for i in range(capacity):
            self.entries[i].pid = -1
        memset(self.bloom, 0, capacity * sizeof(uint64_t) // 8)
        self.bloom_mask = <uint64_t>(capacity * 8 - 1)
        self.mask = capacity - 1
        self.count = 0
        self.arena = arena

    def __dealloc__(self):
        PyMem_Free(self.entries)
        PyMem_Free(self.bloom)
        PyMem_Free(self.grams)

    cdef inline bint maybe(self, uint64_t h) noexcept nogil:
        cdef uint64_t bits = _bloom_bits(h)
        return (self.bloom[(h & self.bloom_mask) >> 6] & bits) == bits

    cdef inline GramEntry *gram(self, int family, uint64_t code) noexcept nogil:
        """The n-gram table's entry of the key (see :func:`_gram_code`), or NULL."""
        cdef Py_ssize_t i = _gram_slot(code, family, self.gram_mask)
        cdef GramEntry *g
        while True:
            g = &self.grams[i]
            if pt_load_acquire(&g.pid) < 0:
                return NULL
            if g.code == code and g.family == family:
                return g
            i = (i + 1) & self.gram_mask

    cdef inline Entry *_find(
        self, int family, Py_ssize_t n, uint64_t h, const Text *text, Py_ssize_t start, bint compare
    ) noexcept nogil:
        # The first entry with the key's hash, length and family, and when
        # ``compare`` the code points of text[start:start + n]; or NULL.
        cdef Py_ssize_t i
        cdef Entry *e
        cdef int32_t wanted = <int32_t>((n << 8) | family)
        if not self.maybe(h):
            return NULL
        i = <Py_ssize_t>(h & <uint64_t>self.mask)
        while True:
            e = &self.entries[i]
            if pt_load_acquire(&e.pid) < 0:
                return NULL
            if e.hash == h and e.length_family == wanted and (
                not compare or self.holds(e, text, start, start + n)
            ):
                return e
            i = (i + 1) & self.mask

    cdef inline Entry *lookup(
        self, int family, const Text *text, Py_ssize_t start, Py_ssize_t end, uint64_t h
    ) noexcept nogil:
        """The entry of the key, or NULL."""
        return self._find(family, end - start, h, text, start, True)

    cdef inline Entry *probe(self, int family, Py_ssize_t n, uint64_t h) noexcept nogil:
        """The first entry with the key's hash, length and family, or NULL.

        :meth:`lookup` in two steps, for a batch of keys whose entries were
        asked for ahead (:meth:`prefetch`): the entry's code points are
        compared by :meth:`holds`, and if they differ the caller takes the
        plain :meth:`lookup`.
        """
        return self._find(family, n, h, NULL, 0, False)

    cdef inline void prefetch(self, uint64_t h) noexcept nogil:
        """Ask for the key's first entry, if the filter lets it by."""
        if self.maybe(h):
            pt_prefetch(&self.entries[h & <uint64_t>self.mask])

    cdef inline bint holds(
        self, const Entry *e, const Text *text, Py_ssize_t start, Py_ssize_t end
    ) noexcept nogil:
        """Whether entry ``e`` holds the code points of text[start:end]."""
        cdef Py_ssize_t k
        for k in range(end - start):
            if e.chars[k] != char_at(text, start + k):
                return False
        return True

    cdef inline int32_t find(
        self, int family, const Text *text, Py_ssize_t start, Py_ssize_t end, uint64_t h
    ) noexcept nogil:
        """The pid of the key, or -1."""
        cdef Entry *e = self.lookup(family, text, start, end, h)
        return -1 if e == NULL else e.pid

    cdef bint full(self) noexcept:
        return (self.count + 1) * 2 > self.mask + 1 or (self.gram_count + 1) * 2 > self.gram_mask + 1

    cdef void _place(self, const Entry *source) noexcept:
        cdef Py_ssize_t i = <Py_ssize_t>(source.hash & <uint64_t>self.mask)
        while self.entries[i].pid >= 0:
            i = (i + 1) & self.mask
        self.entries[i].hash = source.hash
        self.entries[i].chars = source.chars
        self.entries[i].length_family = source.length_family
        self.entries[i].posted = source.posted
        self.entries[i].tested = source.tested
        self.bloom[(source.hash & self.bloom_mask) >> 6] |= _bloom_bits(source.hash)
        cdef int family = source.length_family & 0xFF
        cdef Py_ssize_t n = source.length_family >> 8
        cdef uint64_t code
        cdef GramEntry *g
        cdef Py_ssize_t j
        if family >= F_CONTAINS1 and n <= 3:
            code = _gram_code(source.chars, n)
            j = _gram_slot(code, family, self.gram_mask)
            while self.grams[j].pid >= 0:
                j = (j + 1) & self.gram_mask
            g = &self.grams[j]
            g.code = code
            g.family = <uint8_t>family
            g.posted = source.posted
            g.tested = source.tested
            pt_store_release(&g.pid, source.pid)
            self.gram_count += 1
        pt_store_release(&self.entries[i].pid, source.pid)
        self.count += 1

    cdef void insert(self, int family, const Text *text, uint64_t h, int32_t pid, uint32_t *chars) noexcept:
        # The caller checked that the key is absent and the table not full.
        cdef Entry entry
        entry.hash = h
        entry.chars = chars
        entry.pid = pid
        entry.length_family = <int32_t>((text.length << 8) | family)
        entry.posted = 0
        entry.tested = 0
        self._place(&entry)

    cdef KeyTable grown(self):
        """A copy with room for more keys: each table that is full has twice the slots."""
        cdef Py_ssize_t capacity = self.mask + 1, grams = self.gram_mask + 1
        if (self.count + 1) * 2 > capacity:
            capacity *= 2
        if (self.gram_count + 1) * 2 > grams:
            grams *= 2
        cdef KeyTable table = KeyTable(capacity, self.arena, grams)
        cdef Py_ssize_t i
        for i in range(self.mask + 1):
            if self.entries[i].pid >= 0:
                table._place(&self.entries[i])
        return table


# --- small integer sets and arrays for one match ---------------------------


cdef struct IntSet:
    # Open addressing; a slot is in use when its stamp is the current one, so
    # clearing is one increment.
    int32_t *keys
    uint32_t *stamps
    uint32_t stamp
    Py_ssize_t mask
    Py_ssize_t count


cdef int intset_init(IntSet *s, Py_ssize_t capacity) except -1:
    s.keys = <int32_t *>PyMem_Malloc(capacity * sizeof(int32_t))
    s.stamps = <uint32_t *>PyMem_Malloc(capacity * sizeof(uint32_t))
    if s.keys == NULL or s.stamps == NULL:
        raise MemoryError()
    memset(s.stamps, 0, capacity * sizeof(uint32_t))
    s.stamp = 1
    s.mask = capacity - 1
    s.count = 0
    return 0


cdef void intset_free(IntSet *s) noexcept:
    PyMem_Free(s.keys)
    PyMem_Free(s.stamps)


cdef inline void intset_clear(IntSet *s) noexcept:
    s.count = 0
    s.stamp += 1
    if s.stamp == 0:
        memset(s.stamps, 0, (s.mask + 1) * sizeof(uint32_t))
        s.stamp = 1


cdef inline uint32_t _mix(int32_t key) noexcept nogil:
    return (<uint32_t>key * <uint32_t>2654435761U) >> 7


cdef inline bint intset_has(const IntSet *s, int32_t key) noexcept nogil:
    cdef Py_ssize_t i = _mix(key) & s.mask
    while s.stamps[i] == s.stamp:
        if s.keys[i] == key:
            return True
        i = (i + 1) & s.mask
    return False


cdef int _intset_grow(IntSet *s) except -1:
    cdef IntSet bigger
    cdef Py_ssize_t i
    intset_init(&bigger, (s.mask + 1) * 2)
    for i in range(s.mask + 1):
        if s.stamps[i] == s.stamp:
            intset_add(&bigger, s.keys[i])
    intset_free(s)
    s[0] = bigger
    return 0


cdef int intset_add(IntSet *s, int32_t key) except -1:
    """Add ``key``; returns 1 when it was new, 0 when already there."""
    cdef Py_ssize_t i
    if (s.count + 1) * 2 > s.mask + 1:
        _intset_grow(s)
    i = _mix(key) & s.mask
    while s.stamps[i] == s.stamp:
        if s.keys[i] == key:
            return 0
        i = (i + 1) & s.mask
    s.stamps[i] = s.stamp
    s.keys[i] = key
    s.count += 1
    return 1


cdef struct IntArray:
    int32_t *items
    Py_ssize_t length
    Py_ssize_t capacity


cdef inline int array_push(IntArray *a, int32_t value) except -1:
    cdef int32_t *grown
    if a.length == a.capacity:
        grown = <int32_t *>PyMem_Realloc(a.items, (a.capacity * 2 + 16) * sizeof(int32_t))
        if grown == NULL:
            raise MemoryError()
        a.items = grown
        a.capacity = a.capacity * 2 + 16
    a.items[a.length] = value
    a.length += 1
    return 0


include "_csegment.pxi"
include "_cdoc.pxi"
include "_cfeatures.pxi"
include "_ceval.pxi"
include "_ccompile.pxi"
include "_cscan.pxi"
include "_cjson.pxi"
include "_cjson2.pxi"
include "_cmatcher.pxi"
