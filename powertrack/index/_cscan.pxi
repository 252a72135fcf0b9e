# Included by _cindex.pyx: a strict JSON scanner over UTF-8 bytes.
#
# The v1.1 reader (_cjson.pxi) walks a status with it: values it needs are
# read in place, everything else is skipped, and every byte is validated on
# the way, as orjson would validate it (UTF-8, escapes and surrogate pairs,
# number syntax, literals, structure, trailing bytes). Each function returns
# 0 for input it does not take: malformed JSON, and also what a double may
# not hold, keys written with escapes, nesting deeper than MAX_DEPTH. The
# caller then gives the message to the general way, which decides; so a
# refusal here is never wrong, only slower.

from cpython.long cimport PyLong_FromUnsignedLongLong
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport memcmp

cdef extern from "_cscan.h":
    const unsigned char *pt_plain_run(const unsigned char *p, const unsigned char *end) noexcept nogil
    const unsigned char *pt_short_string(const unsigned char *p, const unsigned char *end) noexcept nogil

cdef extern from "Python.h":
    double PyOS_string_to_double(const char *s, char **endptr, object overflow_exception) except? -1.0

cdef struct Cur:
    const unsigned char* p
    const unsigned char* end
    int depth

cdef enum:
    MAX_DEPTH = 64

cdef inline void ws(Cur* c) noexcept nogil:
    cdef const unsigned char* p = c.p
    while p < c.end and (p[0] == 32 or p[0] == 10 or p[0] == 13 or p[0] == 9):
        p += 1
    c.p = p

cdef inline int utf8_seq(const unsigned char* p, const unsigned char* end) noexcept nogil:
    # Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0.
    cdef unsigned char b0 = p[0], b1, b2, b3
    if b0 < 0xC2:
        return 0
    if b0 < 0xE0:
        if end - p < 2 or (p[1] & 0xC0) != 0x80:
            return 0
        return 2
    if b0 < 0xF0:
        if end - p < 3:
            return 0
        b1 = p[1]
        b2 = p[2]
        if (b1 & 0xC0) != 0x80 or (b2 & 0xC0) != 0x80:
            return 0
        if b0 == 0xE0 and b1 < 0xA0:
            return 0
        if b0 == 0xED and b1 >= 0xA0:
            return 0
        return 3
    if b0 < 0xF5:
        if end - p < 4:
            return 0
        b1 = p[1]
        b2 = p[2]
        b3 = p[3]
        if (b1 & 0xC0) != 0x80 or (b2 & 0xC0) != 0x80 or (b3 & 0xC0) != 0x80:
            return 0
        if b0 == 0xF0 and b1 < 0x90:
            return 0
        if b0 == 0xF4 and b1 >= 0x90:
            return 0
        return 4
    return 0

cdef inline int hex4(const unsigned char* p) noexcept nogil:
    cdef int v = 0, i, d
    cdef unsigned char ch
    for i in range(4):
        ch = p[i]
        if 48 <= ch <= 57:
            d = ch - 48
        elif 97 <= ch <= 102:
            d = ch - 87
        elif 65 <= ch <= 70:
            d = ch - 55
        else:
            return -1
        v = v * 16 + d
    return v

cdef inline int scan_string(Cur* c, int* escaped) noexcept nogil:
    # c.p just after the opening quote; leaves c.p after the closing one.
    # 1 when valid, 0 otherwise; escaped set when a backslash was seen.
    # A short plain string is taken here, inline; any other in _scan_string.
    cdef const unsigned char* q = pt_short_string(c.p, c.end)
    if q != NULL:
        escaped[0] = 0
        c.p = q + 1
        return 1
    return _scan_string(c, escaped)


cdef int _scan_string(Cur* c, int* escaped) noexcept nogil:
    # scan_string's general way: the plain runs between the bytes that need
    # a look go by in _cscan.h.
    cdef const unsigned char* p = c.p
    cdef const unsigned char* end = c.end
    cdef unsigned char ch
    cdef int n, u, lo
    escaped[0] = 0
    while True:
        p = pt_plain_run(p, end)
        if p >= end:
            return 0
        ch = p[0]
        if ch == 34:
            c.p = p + 1
            return 1
        if ch == 92:
            escaped[0] = 1
            if end - p < 2:
                return 0
            ch = p[1]
            if ch == 117:
                if end - p < 6:
                    return 0
                u = hex4(p + 2)
                if u < 0:
                    return 0
                p += 6
                if 0xD800 <= u < 0xDC00:
                    if end - p < 6 or p[0] != 92 or p[1] != 117:
                        return 0
                    lo = hex4(p + 2)
                    if not (0xDC00 <= lo < 0xE000):
                        return 0
                    p += 6
                elif 0xDC00 <= u < 0xE000:
                    return 0
            elif ch == 34 or ch == 92 or ch == 47 or ch == 98 or ch == 102 or ch == 110 or ch == 114 or ch == 116:
                p += 2
            else:
                return 0
        elif ch < 0x20:
            return 0
        else:
            n = utf8_seq(p, end)
            if n == 0:
                return 0
            p += n

cdef int scan_number(Cur* c) noexcept nogil:
    # A strict JSON number. Refuses exponents of three digits and more than
    # 300 integer digits: what could overflow a double, which orjson refuses.
    cdef const unsigned char* p = c.p
    cdef const unsigned char* start = p
    cdef const unsigned char* end = c.end
    cdef const unsigned char* e
    cdef const unsigned char* int_end
    if p < end and p[0] == 45:
        p += 1
    if p >= end:
        return 0
    if p[0] == 48:
        p += 1
    elif 49 <= p[0] <= 57:
        while p < end and 48 <= p[0] <= 57:
            p += 1
    else:
        return 0
    int_end = p
    if p < end and p[0] == 46:
        p += 1
        if p >= end or not (48 <= p[0] <= 57):
            return 0
        while p < end and 48 <= p[0] <= 57:
            p += 1
    if p < end and (p[0] == 101 or p[0] == 69):
        p += 1
        if p < end and (p[0] == 43 or p[0] == 45):
            p += 1
        e = p
        while p < end and 48 <= p[0] <= 57:
            p += 1
        if p == e or p - e > 2:
            return 0
    if int_end - start > 300:
        return 0
    c.p = p
    return 1

cdef inline int is_null(Cur* c) noexcept nogil:
    # Consumes a JSON null if one is next.
    ws(c)
    if c.end - c.p >= 4 and memcmp(c.p, b"null", 4) == 0:
        c.p += 4
        return 1
    return 0


cdef inline int expect(Cur* c, unsigned char ch) noexcept nogil:
    ws(c)
    if c.p < c.end and c.p[0] == ch:
        c.p += 1
        return 1
    return 0


cdef inline int obj_open(Cur* c) noexcept nogil:
    # After ws, an object's "{": 1 when a key follows, 2 when it is empty, 0 otherwise.
    if not expect(c, 123):
        return 0
    c.depth += 1
    if c.depth > MAX_DEPTH:
        return 0
    ws(c)
    if c.p < c.end and c.p[0] == 125:
        c.p += 1
        c.depth -= 1
        return 2
    return 1


cdef inline int obj_next(Cur* c) noexcept nogil:
    # After a member's value: 1 when another key follows, 2 at the closing "}", 0 otherwise.
    ws(c)
    if c.p < c.end:
        if c.p[0] == 44:
            c.p += 1
            return 1
        if c.p[0] == 125:
            c.p += 1
            c.depth -= 1
            return 2
    return 0


cdef inline int arr_open(Cur* c) noexcept nogil:
    # An array's "[": 1 when an item follows, 2 when it is empty, 0 otherwise.
    if not expect(c, 91):
        return 0
    c.depth += 1
    if c.depth > MAX_DEPTH:
        return 0
    ws(c)
    if c.p < c.end and c.p[0] == 93:
        c.p += 1
        c.depth -= 1
        return 2
    return 1


cdef inline int arr_next(Cur* c) noexcept nogil:
    ws(c)
    if c.p < c.end:
        if c.p[0] == 44:
            c.p += 1
            return 1
        if c.p[0] == 93:
            c.p += 1
            c.depth -= 1
            return 2
    return 0


cdef int skip_value(Cur* c) noexcept nogil:
    cdef int esc, m
    cdef unsigned char ch
    ws(c)
    if c.p >= c.end:
        return 0
    ch = c.p[0]
    if ch == 34:
        c.p += 1
        return scan_string(c, &esc)
    if ch == 123:
        m = obj_open(c)
        while m == 1:
            # A skipped member's key may hold escapes: only read_key refuses them.
            if not expect(c, 34) or not scan_string(c, &esc) or not expect(c, 58) or not skip_value(c):
                return 0
            m = obj_next(c)
        return m == 2
    if ch == 91:
        m = arr_open(c)
        while m == 1:
            if not skip_value(c):
                return 0
            m = arr_next(c)
        return m == 2
    if ch == 116:
        if c.end - c.p >= 4 and memcmp(c.p, b"true", 4) == 0:
            c.p += 4
            return 1
        return 0
    if ch == 102:
        if c.end - c.p >= 5 and memcmp(c.p, b"false", 5) == 0:
            c.p += 5
            return 1
        return 0
    if ch == 110:
        if c.end - c.p >= 4 and memcmp(c.p, b"null", 4) == 0:
            c.p += 4
            return 1
        return 0
    return scan_number(c)


cdef object _BAIL = object()   # what a reader returns for input it does not take


cdef int read_key(Cur* c, const unsigned char** key, Py_ssize_t* size) noexcept nogil:
    # A member's key and its ":"; keys written with escapes are refused.
    cdef int escaped
    cdef const unsigned char* start
    if not expect(c, 34):
        return 0
    start = c.p
    if not scan_string(c, &escaped) or escaped:
        return 0
    key[0] = start
    size[0] = c.p - 1 - start
    return expect(c, 58)


cdef inline bint key_is(const unsigned char* key, Py_ssize_t size, const char* name, Py_ssize_t length) noexcept nogil:
    return size == length and memcmp(key, name, length) == 0


cdef object _unescape(const unsigned char* s, Py_ssize_t n):
    # The str of a validated string body with escapes in it.
    cdef char small[512]
    cdef char* out = small
    cdef Py_ssize_t i = 0, o = 0
    cdef int u, lo
    cdef unsigned char ch
    if n > 512:
        out = <char*>PyMem_Malloc(n)
        if out == NULL:
            raise MemoryError()
    try:
        while i < n:
            ch = s[i]
            if ch != 92:
                out[o] = <char>ch
                o += 1
                i += 1
                continue
            ch = s[i + 1]
            if ch != 117:
                out[o] = <char>(8 if ch == 98 else 12 if ch == 102 else 10 if ch == 110 else 13 if ch == 114 else 9 if ch == 116 else ch)
                o += 1
                i += 2
                continue
            u = hex4(s + i + 2)
            i += 6
            if 0xD800 <= u < 0xDC00:
                lo = hex4(s + i + 2)
                i += 6
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
            if u < 0x80:
                out[o] = <char>u
                o += 1
            elif u < 0x800:
                out[o] = <char>(0xC0 | (u >> 6))
                out[o + 1] = <char>(0x80 | (u & 0x3F))
                o += 2
            elif u < 0x10000:
                out[o] = <char>(0xE0 | (u >> 12))
                out[o + 1] = <char>(0x80 | ((u >> 6) & 0x3F))
                out[o + 2] = <char>(0x80 | (u & 0x3F))
                o += 3
            else:
                out[o] = <char>(0xF0 | (u >> 18))
                out[o + 1] = <char>(0x80 | ((u >> 12) & 0x3F))
                out[o + 2] = <char>(0x80 | ((u >> 6) & 0x3F))
                out[o + 3] = <char>(0x80 | (u & 0x3F))
                o += 4
        return PyUnicode_DecodeUTF8(out, o, NULL)
    finally:
        if out != small:
            PyMem_Free(out)


cdef object read_str(Cur* c):
    # A string or null: the str, None, or _BAIL.
    cdef int escaped
    cdef const unsigned char* start
    if is_null(c):
        return None
    if not expect(c, 34):
        return _BAIL
    start = c.p
    if not scan_string(c, &escaped):
        return _BAIL
    if escaped:
        return _unescape(start, c.p - 1 - start)
    return PyUnicode_DecodeUTF8(<const char*>start, c.p - 1 - start, NULL)


cdef object read_int(Cur* c):
    # An integer of at most 19 digits or null: the int, None, or _BAIL.
    cdef const unsigned char* p
    cdef unsigned long long value = 0
    cdef int negative = 0, digits = 0
    if is_null(c):
        return None
    p = c.p
    if p < c.end and p[0] == 45:
        negative = 1
        p += 1
    if p >= c.end or not (48 <= p[0] <= 57) or (p[0] == 48 and p + 1 < c.end and 48 <= p[1] <= 57):
        return _BAIL
    while p < c.end and 48 <= p[0] <= 57:
        value = value * 10 + (p[0] - 48)
        digits += 1
        p += 1
    if digits > 19 or (p < c.end and (p[0] == 46 or p[0] == 101 or p[0] == 69)):
        return _BAIL
    if negative and value > 9223372036854775807ULL:
        return _BAIL
    c.p = p
    if negative:
        return -<long long>value
    return PyLong_FromUnsignedLongLong(value)


cdef object read_bool(Cur* c):
    # true, false or null: True, False, None, or _BAIL.
    if is_null(c):
        return None
    if c.end - c.p >= 4 and memcmp(c.p, b"true", 4) == 0:
        c.p += 4
        return True
    if c.end - c.p >= 5 and memcmp(c.p, b"false", 5) == 0:
        c.p += 5
        return False
    return _BAIL


cdef int read_double(Cur* c, double* out) except -1:
    # A number (an int or a float) as a double: 1, or 0 for anything else.
    cdef char buffer[64]
    cdef const unsigned char* start
    ws(c)
    start = c.p
    if not scan_number(c) or c.p - start >= 64:
        return 0
    memcpy(buffer, start, c.p - start)
    buffer[c.p - start] = 0
    out[0] = PyOS_string_to_double(buffer, NULL, None)
    return 1
