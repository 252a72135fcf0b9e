# cython: language_level=3
"""Tokens and key hashes of folded text, in C.

:func:`tokenize` cuts folded text exactly as :func:`powertrack.text.tokenize_folded`
does: regional-indicator pairs, keycaps, pictographic sequences (with their
modifiers and zero-width-joined continuations) and runs of letters, marks and
digits, trying those alternatives in that order at each position, as the
regular expression there does. Character classes are read from a table built
once from the ``regex`` module itself, so both sides use the same Unicode
version. Each token comes with its key hash for a family (FNV-1a over code
points, seeded with the family), the hash the compiled index interns keys by.
"""

from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_GET_LENGTH, PyUnicode_KIND
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memset

import array

cdef enum:
    WORD = 1        # \p{L}, \p{M}, \p{N}
    PICTOGRAPH = 2  # \p{Extended_Pictographic}

CLASSES = NULL
cdef uint8_t _classes[0x110000]


cdef void ensure_classes() except *:
    global CLASSES
    if CLASSES != NULL:
        return
    import regex

    memset(_classes, 0, sizeof(_classes))
    # Every code point but the surrogates, as one string the regex engine scans in C.
    low = array.array("I", range(0xD800)).tobytes().decode("utf-32-le")
    high = array.array("I", range(0xE000, 0x110000)).tobytes().decode("utf-32-le")
    cdef Py_ssize_t start, end, cp
    for pattern, bit in ((r"[\p{L}\p{M}\p{N}]+", WORD), (r"\p{Extended_Pictographic}+", PICTOGRAPH)):
        compiled = regex.compile(pattern, regex.V1)
        for offset, chunk in ((0, low), (0xE000, high)):
            for found in compiled.finditer(chunk):
                start, end = found.span()
                for cp in range(start + offset, end + offset):
                    _classes[cp] |= bit
    CLASSES = _classes


def classes_ready() -> bool:
    """True once the character classes are built (they are built on first use)."""
    return CLASSES != NULL


cdef int text_of(str value, Text *text) except -1:
    text.kind = PyUnicode_KIND(value)
    text.data = PyUnicode_DATA(value)
    text.length = PyUnicode_GET_LENGTH(value)
    return 0


cdef uint64_t hash_span(int family, const Text *text, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    cdef uint64_t h = hash_start(family)
    cdef Py_ssize_t i
    for i in range(start, end):
        h = hash_step(h, char_at(text, i))
    return h


cdef inline bint _is_modifier(uint32_t c) noexcept nogil:
    return c == 0xFE0F or 0x1F3FB <= c <= 0x1F3FF


cdef inline bint _is_indicator(uint32_t c) noexcept nogil:
    return 0x1F1E6 <= c <= 0x1F1FF


cdef inline Py_ssize_t _modifiers(const Text *text, Py_ssize_t j) noexcept nogil:
    while j < text.length and _is_modifier(char_at(text, j)):
        j += 1
    return j


cdef inline Py_ssize_t _keycap_end(const Text *text, Py_ssize_t j) noexcept nogil:
    # After a keycap's base (a digit, '#' or '*') at j - 1: an optional
    # variation selector, then U+20E3. The end of the keycap, or -1 if none.
    if char_at(text, j) == 0xFE0F:
        j += 1
    if j < text.length and char_at(text, j) == 0x20E3:
        return j + 1
    return -1


cdef int _grow(Span **spans, Py_ssize_t *capacity) except -1:
    cdef Span *grown = <Span *>PyMem_Realloc(spans[0], <size_t>(capacity[0] * 2 + 16) * sizeof(Span))
    if grown == NULL:
        raise MemoryError()
    spans[0] = grown
    capacity[0] = capacity[0] * 2 + 16
    return 0


cdef inline int _push(
    Span **spans, Py_ssize_t *capacity, Py_ssize_t count, Py_ssize_t start, Py_ssize_t end, uint64_t h
) except -1:
    # Span number ``count`` (the spans grow as needed).
    if count == capacity[0]:
        _grow(spans, capacity)
    spans[0][count].start = start
    spans[0][count].end = end
    spans[0][count].hash = h
    return 0


cdef Py_ssize_t _tokenize_latin1(
    const uint8_t *s, Py_ssize_t n, Span **spans, Py_ssize_t *capacity, int family
) except -1:
    # tokenize for text whose code points are all below 256: no keycap (its
    # U+FE0F or U+20E3), indicator, modifier or joiner can occur, so a token
    # is a run of word characters or one pictograph (U+00A9, U+00AE); the
    # hash is taken on the way.
    cdef Py_ssize_t i = 0, j, count = 0
    cdef uint64_t h, seed = hash_start(family)
    cdef uint8_t cls
    while i < n:
        cls = CLASSES[s[i]]
        if cls & WORD:
            h = hash_step(seed, s[i])
            j = i + 1
            while j < n and CLASSES[s[j]] & WORD:
                h = hash_step(h, s[j])
                j += 1
        elif cls & PICTOGRAPH:
            h = hash_step(seed, s[i])
            j = i + 1
        else:
            i += 1
            continue
        _push(spans, capacity, count, i, j, h)
        count += 1
        i = j
    return count


cdef Py_ssize_t tokenize(const Text *text, Span **spans, Py_ssize_t *capacity, int family) except -1:
    """Cut ``text`` into tokens; ``*spans`` grows as needed. Returns the token count."""
    cdef Py_ssize_t n = text.length, i = 0, j, count = 0
    cdef uint32_t c
    if CLASSES == NULL:
        ensure_classes()
    if text.kind == 1:
        return _tokenize_latin1(<const uint8_t *>text.data, n, spans, capacity, family)
    while i < n:
        c = char_at(text, i)
        j = -1
        if c < 128:
            if (c >= 97 and c <= 122) or (c >= 48 and c <= 57) or (c >= 65 and c <= 90):
                if c <= 57 and i + 1 < n:
                    j = _keycap_end(text, i + 1)  # a digit's keycap
                if j < 0:
                    j = i + 1
                    while j < n and CLASSES[char_at(text, j)] & WORD:
                        j += 1
            elif (c == 35 or c == 42) and i + 1 < n:  # '#' and '*' keycaps
                j = _keycap_end(text, i + 1)
        elif _is_indicator(c) and i + 1 < n and _is_indicator(char_at(text, i + 1)):
            j = i + 2
        elif CLASSES[c] & PICTOGRAPH:
            j = _modifiers(text, i + 1)
            while (
                j + 1 < n
                and char_at(text, j) == 0x200D
                and CLASSES[char_at(text, j + 1)] & PICTOGRAPH
            ):
                j = _modifiers(text, j + 2)
        elif CLASSES[c] & WORD:
            j = i + 1
            while j < n and CLASSES[char_at(text, j)] & WORD:
                j += 1
        if j < 0:
            i += 1
            continue
        _push(spans, capacity, count, i, j, hash_span(family, text, i, j))
        count += 1
        i = j
    return count


def tokens(str folded) -> list:
    """The tokens of folded text (for tests: the compiled twin of ``tokenize_folded``)."""
    cdef Text text
    cdef Span *spans = NULL
    cdef Py_ssize_t capacity = 0, count, k
    text_of(folded, &text)
    try:
        count = tokenize(&text, &spans, &capacity, 0)
        return [folded[spans[k].start:spans[k].end] for k in range(count)]
    finally:
        PyMem_Free(spans)


def token_hashes(str folded, int family) -> list:
    """The key hash of each token of folded text, as :func:`tokenize` gives it (for tests)."""
    cdef Text text
    cdef Span *spans = NULL
    cdef Py_ssize_t capacity = 0, count, k
    text_of(folded, &text)
    try:
        count = tokenize(&text, &spans, &capacity, family)
        return [spans[k].hash for k in range(count)]
    finally:
        PyMem_Free(spans)


def key_hash(int family, str value) -> int:
    """The key hash of ``value`` in ``family`` (for tests)."""
    cdef Text text
    text_of(value, &text)
    return hash_span(family, &text, 0, text.length)
