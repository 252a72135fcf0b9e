# The tokenizer and key hashing of the compiled matcher (see _ctext.pyx).

from libc.stdint cimport uint8_t, uint32_t, uint64_t, int32_t

ctypedef struct Text:
    # Folded text as the CPython string storage it came from: kind 1, 2 or 4.
    int kind
    const void *data
    Py_ssize_t length

ctypedef struct Span:
    Py_ssize_t start
    Py_ssize_t end
    uint64_t hash

cdef uint8_t *CLASSES

cdef inline uint32_t char_at(const Text *text, Py_ssize_t i) noexcept nogil:
    if text.kind == 1:
        return (<const uint8_t *>text.data)[i]
    if text.kind == 2:
        return (<const unsigned short *>text.data)[i]
    return (<const uint32_t *>text.data)[i]

cdef inline uint64_t hash_start(int family) noexcept nogil:
    return (<uint64_t>14695981039346656037ULL ^ <uint64_t>family) * <uint64_t>1099511628211ULL

cdef inline uint64_t hash_step(uint64_t h, uint32_t c) noexcept nogil:
    return (h ^ c) * <uint64_t>1099511628211ULL

cdef uint64_t hash_span(int family, const Text *text, Py_ssize_t start, Py_ssize_t end) noexcept nogil
cdef int text_of(str value, Text *text) except -1
cdef Py_ssize_t tokenize(const Text *text, Span **spans, Py_ssize_t *capacity, int family) except -1
cdef void ensure_classes() except *
