# Included by _cindex.pyx: running a compiled rule program against one tweet.
#
# The twin of check.py. Where that calls powertrack.rules.semantics, the code
# here follows the same definitions (phrases, proximity, geometry) on token
# ids and doubles; the property tests hold both to the reference evaluator.

cdef double _DEG_TO_RAD = 3.141592653589793 / 180.0
cdef double _EARTH_RADIUS_KM = 6371.0088


cdef inline double _read_double(const int32_t *p) noexcept nogil:
    cdef double value
    memcpy(&value, p, sizeof(double))
    return value


cdef inline PyObject *_read_ptr(const int32_t *p) noexcept nogil:
    cdef PyObject *value
    memcpy(&value, p, sizeof(PyObject *))
    return value


cdef inline int64_t _read_int64(const int32_t *p) noexcept nogil:
    cdef int64_t value
    memcpy(&value, p, sizeof(int64_t))
    return value


cdef bint _contains_phrase(const IntArray *stream, const int32_t *phrase, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t start, k
    cdef const int32_t *tokens = stream.items
    cdef int32_t first = phrase[0]
    for start in range(stream.length - n + 1):
        if tokens[start] == first:
            for k in range(1, n):
                if tokens[start + k] != phrase[k]:
                    break
            else:
                return True
    return False


cdef int _within_proximity(const IntArray *stream, const int32_t *wanted, Py_ssize_t n, int distance) except -1:
    # semantics.within_proximity on token ids: a sliding window over the hits.
    cdef int32_t *distinct = <int32_t *>_alloc(n * sizeof(int32_t))
    cdef int32_t *needed = <int32_t *>_alloc(n * sizeof(int32_t))
    cdef int32_t *have = <int32_t *>_alloc(n * sizeof(int32_t))
    cdef Py_ssize_t *hit_pos = <Py_ssize_t *>_alloc((stream.length + 1) * sizeof(Py_ssize_t))
    cdef int32_t *hit_token = <int32_t *>_alloc((stream.length + 1) * sizeof(int32_t))
    cdef Py_ssize_t m = 0, i, j, position, hits = 0, left = 0, short
    cdef int32_t token
    cdef int found = 0
    try:
        for i in range(n):
            for j in range(m):
                if distinct[j] == wanted[i]:
                    needed[j] += 1
                    break
            else:
                distinct[m] = wanted[i]
                needed[m] = 1
                have[m] = 0
                m += 1
        short = m
        for position in range(stream.length):
            token = stream.items[position]
            for j in range(m):
                if distinct[j] == token:
                    break
            else:
                continue
            hit_pos[hits] = position
            hit_token[hits] = <int32_t>j
            hits += 1
            have[j] += 1
            if have[j] == needed[j]:
                short -= 1
            while hit_pos[left] < position - distance:
                i = hit_token[left]
                if have[i] == needed[i]:
                    short += 1
                have[i] -= 1
                left += 1
            if short == 0:
                found = 1
                break
        return found
    finally:
        PyMem_Free(distinct)
        PyMem_Free(needed)
        PyMem_Free(have)
        PyMem_Free(hit_pos)
        PyMem_Free(hit_token)


cdef double _haversine_km(double lon1, double lat1, double lon2, double lat2) noexcept nogil:
    # powertrack.geo.haversine_km, operation for operation, so the floats agree bit for bit.
    cdef double phi1 = lat1 * _DEG_TO_RAD
    cdef double phi2 = lat2 * _DEG_TO_RAD
    cdef double dphi = phi2 - phi1
    cdef double dlambda = (lon2 - lon1) * _DEG_TO_RAD
    cdef double a = pow(sin(dphi / 2), 2.0) + cos(phi1) * cos(phi2) * pow(sin(dlambda / 2), 2.0)
    cdef double root = sqrt(a)
    if not root < 1.0:
        root = 1.0
    return (2 * _EARTH_RADIUS_KM) * asin(root)


cdef inline bint _point_in_radius(double lon, double lat, double clon, double clat, double r) noexcept nogil:
    return _haversine_km(lon, lat, clon, clat) <= r


cdef bint _in_point_radius(Doc doc, double clon, double clat, double r) noexcept:
    if doc.retweet:
        return False
    if doc.has_point:
        return _point_in_radius(doc.lon, doc.lat, clon, clat, r)
    if not doc.has_bbox:
        return False
    return (
        _point_in_radius(doc.west, doc.south, clon, clat, r)
        and _point_in_radius(doc.west, doc.north, clon, clat, r)
        and _point_in_radius(doc.east, doc.south, clon, clat, r)
        and _point_in_radius(doc.east, doc.north, clon, clat, r)
    )


cdef inline bint _lon_in_span(double lon, double west, double east) noexcept nogil:
    if west <= east:
        return west <= lon <= east
    return lon >= west or lon <= east


cdef bint _lon_span_inside(double inner_west, double inner_east, double outer_west, double outer_east) noexcept nogil:
    cdef bint inner_wraps = inner_west > inner_east
    cdef bint outer_wraps = outer_west > outer_east
    if inner_wraps and not outer_wraps:
        return False
    if inner_wraps == outer_wraps:
        return outer_west <= inner_west and inner_east <= outer_east
    return inner_west >= outer_west or inner_east <= outer_east


cdef bint _in_bounding_box(Doc doc, double west, double south, double east, double north) noexcept:
    if doc.retweet:
        return False
    if doc.has_point:
        return south <= doc.lat <= north and _lon_in_span(doc.lon, west, east)
    if not doc.has_bbox:
        return False
    return (
        south <= doc.south
        and doc.north <= north
        and _lon_span_inside(doc.west, doc.east, west, east)
    )


cdef object _count_of(Doc doc, int field):
    if field == F_N_FOLLOWERS:
        return doc.followers
    if field == F_N_FRIENDS:
        return doc.friends
    if field == F_N_STATUSES:
        return doc.statuses
    return doc.listed


cdef int _count(Scratch sc, const int32_t *p, list consts, Py_ssize_t slot) except -1:
    # [OP_COUNT, size, field, const, exact, low (2 words), high (2 words), has high]
    cdef object value = _count_of(sc.doc, p[2])
    cdef int overflow = 0
    cdef long long number
    if p[4]:
        number = PyLong_AsLongLongAndOverflow(value, &overflow)
        if not overflow:
            return _read_int64(p + 5) <= number and (not p[9] or number <= _read_int64(p + 7))
    low, high = <tuple>(<tuple>consts[slot])[p[3]]
    return _sem.count_in_range(value, low, high)


cdef int run(Scratch sc, const int32_t *p, list consts, Py_ssize_t slot) except -1:
    """1 when the program node at ``p`` matches the scratch's tweet, else 0.

    ``consts`` is the segment's list of per-slot constants and ``slot`` the
    rule's: read only by the ops that need a constant, so a match touches
    no Python object of a rule without one."""
    cdef int op = p[0], stream, result
    cdef const int32_t *child
    cdef const int32_t *end
    cdef Part part
    cdef Py_ssize_t n
    if op == OP_KEY:
        if not sc.done & _bit(p[2]):
            sc.ensure(p[2])
        return intset_has(&sc.offered, p[3])
    if op == OP_AND:
        child = p + 2
        end = p + p[1]
        while child < end:
            if not run(sc, child, consts, slot):
                return 0
            child += child[1]
        return 1
    if op == OP_OR:
        child = p + 2
        end = p + p[1]
        while child < end:
            if run(sc, child, consts, slot):
                return 1
            child += child[1]
        return 0
    if op == OP_NOT:
        return not run(sc, p + 2, consts, slot)
    if op == OP_SEQ:
        n = p[3]
        for stream in range(N_STREAMS):
            if p[2] & (1 << stream):
                sc.ensure_stream(stream)
                if _contains_phrase(&sc.streams[stream], p + 4, n):
                    return 1
        return 0
    if op == OP_PROX:
        sc.ensure(F_TEXT)
        for stream in (S_TEXT0, S_TEXT1):
            if _within_proximity(&sc.streams[stream], p + 4, p[3], p[2]):
                return 1
        return 0
    if op == OP_CONTAINS:
        sc.ensure(F_TEXT)
        return PyUnicode_Contains(sc.folded_main, <object>_read_ptr(p + 3))
    if op == OP_URLC:
        sc.ensure(F_TEXT)
        value = <object>_read_ptr(p + 3)
        for url in sc.folded_xurls:
            if PyUnicode_Contains(url, value):
                return 1
        return 0
    if op == OP_COUNT:
        return _count(sc, p, consts, slot)
    if op == OP_RADIUS:
        return _in_point_radius(sc.doc, _read_double(p + 2), _read_double(p + 4), _read_double(p + 6))
    if op == OP_BOX:
        return _in_bounding_box(
            sc.doc, _read_double(p + 2), _read_double(p + 4), _read_double(p + 6), _read_double(p + 8)
        )
    if op == OP_SAMPLE:
        return sc.sample_bucket() < p[2]
    if op == OP_TRUE:
        return 1
    raise AssertionError(f"unknown program op {op}")
