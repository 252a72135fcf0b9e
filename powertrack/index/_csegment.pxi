# Included by _cindex.pyx: rule records, immutable segments and snapshots.


@cython.final
cdef class Rec:
    """What the writer keeps of one rule: its compiled form, plan and program."""

    cdef public object rule_id
    cdef bytes code          # the rule's compiled form (rules.codec), for re-planning
    cdef bytes keys          # int32 pids it is posted under; empty: evaluated for every tweet
    cdef bytes prog          # int32 program words; empty when EXACT
    cdef tuple consts        # strings and Python ints the program refers to, or None
    cdef uint8_t flags
    cdef bint choice         # its keys depend on key frequencies (keys.has_choice)
    cdef int level           # the segment level it lives in
    cdef Py_ssize_t slot     # its slot there


ctypedef struct PostEntry:
    # One rule under one key: its slot and, in the same cache line as its
    # neighbours, what a match needs next: info = program offset << 3 | flags.
    # A program that is one key test (an AND posted under one child with one
    # key or one negated key left to check, the commonest kind) is also held
    # here as check = family << 25 | pid (NEGATED in the flags when the key
    # must be absent), so such a candidate never reads its program; -1: none.
    # rule_id is the slot's rule id (borrowed: the segment's rule_ids tuple
    # holds it), so that a hit does not read that tuple.
    PyObject *rule_id
    int32_t slot
    int32_t info
    int32_t check


cdef int32_t _key_check(const int32_t *p, Py_ssize_t n, uint8_t *flags) noexcept:
    # The check word of a program that is one (possibly negated) key test, or -1.
    cdef bint negated = False
    while True:
        if n == 4 and p[0] == OP_KEY and p[1] == 4:
            if p[3] >= (1 << 25) or p[2] >= 64:
                return -1
            if negated:
                flags[0] |= NEGATED
            return (p[2] << 25) | p[3]
        if n > 2 and p[1] == n and (p[0] == OP_AND or (p[0] == OP_NOT and not negated)):
            negated = negated or p[0] == OP_NOT
            p += 2
            n -= 2
            continue
        return -1


ctypedef struct Posting:
    int32_t pid    # -1: empty
    int32_t start  # into post
    int32_t count


@cython.final
cdef class Segment:
    """An immutable set of compiled rules with their postings (pid -> slots)."""

    cdef readonly Py_ssize_t n_slots
    cdef readonly Py_ssize_t n_keys
    cdef readonly Py_ssize_t n_postings
    cdef tuple rule_ids
    cdef list consts
    cdef int32_t *prog_off
    cdef int32_t *prog
    cdef Posting *postings
    cdef Py_ssize_t pmask
    cdef PostEntry *post
    cdef int32_t *unindexed
    cdef Py_ssize_t n_unindexed
    cdef uint64_t families

    def __cinit__(self):
        self.prog_off = self.prog = NULL
        self.postings = NULL
        self.post = NULL
        self.unindexed = NULL

    def __dealloc__(self):
        PyMem_Free(self.prog_off)
        PyMem_Free(self.prog)
        PyMem_Free(self.postings)
        PyMem_Free(self.post)
        PyMem_Free(self.unindexed)

    cdef inline Py_ssize_t lookup(self, int32_t pid, int32_t *count) noexcept nogil:
        """Start of ``pid``'s slots in ``post`` (``*count`` of them), or -1."""
        cdef Py_ssize_t i = _mix(pid) & self.pmask
        cdef const Posting *posting
        while True:
            posting = &self.postings[i]
            if posting.pid == pid:
                count[0] = posting.count
                return posting.start
            if posting.pid < 0:
                return -1
            i = (i + 1) & self.pmask


cdef void _link_consts(int32_t *p, tuple consts) noexcept:
    # Writes into each substring test of a placed program the address of its
    # value, which the segment's consts keep alive (see _substring).
    cdef int32_t op = p[0]
    cdef int32_t *child
    cdef int32_t *end
    cdef PyObject *value
    if op == OP_AND or op == OP_OR:
        child = p + 2
        end = p + p[1]
        while child < end:
            _link_consts(child, consts)
            child += child[1]
    elif op == OP_NOT:
        _link_consts(p + 2, consts)
    elif op == OP_CONTAINS or op == OP_URLC:
        value = PyTuple_GET_ITEM(consts, p[2])
        memcpy(p + 3, &value, sizeof(PyObject *))


cdef void *_alloc(Py_ssize_t size) except NULL:
    cdef void *p = PyMem_Malloc(max(size, 1))
    if p == NULL:
        raise MemoryError()
    return p


cdef Py_ssize_t _place_program(Segment seg, Rec rec, Py_ssize_t slot, Py_ssize_t words) except -1:
    # Copies the program of ``rec`` to ``words`` in the segment; returns its end.
    cdef Py_ssize_t k = PyBytes_GET_SIZE(rec.prog) // 4
    seg.prog_off[slot] = <int32_t>words
    memcpy(seg.prog + words, PyBytes_AS_STRING(rec.prog), k * sizeof(int32_t))
    if k and rec.consts is not None:
        _link_consts(seg.prog + words, rec.consts)
    return words + k


cdef Segment build_segment(list recs, const uint8_t *pid_family):
    """A segment of ``recs``, whose ``slot`` fields are set to their new slots."""
    cdef Segment seg = Segment.__new__(Segment)
    cdef Py_ssize_t n = len(recs), slot, words = 0, keys = 0, k, nk, i, j, capacity, start
    cdef Py_ssize_t unindexed = 0
    cdef Rec rec
    cdef const int32_t *pids
    cdef int32_t pid
    cdef PostEntry *entry
    seg.n_slots = n
    seg.rule_ids = tuple([(<Rec>r).rule_id for r in recs])
    seg.consts = [(<Rec>r).consts for r in recs]
    for r in recs:
        rec = <Rec>r
        words += PyBytes_GET_SIZE(rec.prog) // 4
        nk = PyBytes_GET_SIZE(rec.keys) // 4
        keys += nk
        if nk == 0:
            unindexed += 1
    seg.prog_off = <int32_t *>_alloc((n + 1) * sizeof(int32_t))
    seg.prog = <int32_t *>_alloc(words * sizeof(int32_t))
    seg.unindexed = <int32_t *>_alloc(unindexed * sizeof(int32_t))
    capacity = 16
    while capacity < keys * 2:
        capacity *= 2
    seg.pmask = capacity - 1
    seg.postings = <Posting *>_alloc(capacity * sizeof(Posting))
    seg.post = <PostEntry *>_alloc(keys * sizeof(PostEntry))
    for i in range(capacity):
        seg.postings[i].pid = -1
        seg.postings[i].count = 0
    # The count of slots under each pid.
    words = 0
    seg.families = 0
    for slot in range(n):
        rec = <Rec>recs[slot]
        rec.slot = slot
        seg.prog_off[slot] = -1
        words += PyBytes_GET_SIZE(rec.prog) // 4
        nk = PyBytes_GET_SIZE(rec.keys) // 4
        if nk == 0:
            seg.unindexed[seg.n_unindexed] = <int32_t>slot
            seg.n_unindexed += 1
            continue
        pids = <const int32_t *>PyBytes_AS_STRING(rec.keys)
        for k in range(nk):
            pid = pids[k]
            seg.families |= (<uint64_t>1) << pid_family[pid]
            i = _mix(pid) & seg.pmask
            while seg.postings[i].pid >= 0 and seg.postings[i].pid != pid:
                i = (i + 1) & seg.pmask
            if seg.postings[i].pid < 0:
                seg.postings[i].pid = pid
                seg.n_keys += 1
            seg.postings[i].count += 1
    if words >= (1 << 28):  # offsets share a word with three flag bits (PostEntry.info)
        raise OverflowError(f"a segment of {n} rules holds {words} program words, past 2**28")
    # Runs in post, then the slots (info holds the flags until the programs are placed).
    start = 0
    for i in range(capacity):
        if seg.postings[i].pid >= 0:
            seg.postings[i].start = <int32_t>start
            start += seg.postings[i].count
            seg.postings[i].count = 0
    cdef uint8_t flags
    cdef int32_t check
    for slot in range(n):
        rec = <Rec>recs[slot]
        nk = PyBytes_GET_SIZE(rec.keys) // 4
        pids = <const int32_t *>PyBytes_AS_STRING(rec.keys)
        flags = rec.flags
        check = -1
        if not flags & EXACT:
            check = _key_check(
                <const int32_t *>PyBytes_AS_STRING(rec.prog), PyBytes_GET_SIZE(rec.prog) // 4, &flags
            )
        for k in range(nk):
            pid = pids[k]
            i = _mix(pid) & seg.pmask
            while seg.postings[i].pid != pid:
                i = (i + 1) & seg.pmask
            entry = &seg.post[seg.postings[i].start + seg.postings[i].count]
            entry.rule_id = <PyObject *>rec.rule_id
            entry.slot = <int32_t>slot
            entry.info = flags
            entry.check = check
            seg.postings[i].count += 1
    # The programs, in the order a match reads them: a run's candidates'
    # programs follow one another, so deciding them reads memory in order
    # (a rule under several keys has its program where its first entry is);
    # then the unindexed rules'.
    words = 0
    for j in range(keys):
        slot = seg.post[j].slot
        if seg.prog_off[slot] < 0:
            words = _place_program(seg, <Rec>recs[slot], slot, words)
    for k in range(seg.n_unindexed):
        slot = seg.unindexed[k]
        words = _place_program(seg, <Rec>recs[slot], slot, words)
    seg.prog_off[n] = <int32_t>words
    for j in range(keys):
        seg.post[j].info |= seg.prog_off[seg.post[j].slot] << 3
    seg.n_postings = keys
    return seg


@cython.final
cdef class Snapshot:
    """What one match reads: the segments, their dead slots and the key table."""

    cdef tuple segments
    cdef tuple dead          # per segment: a bitmap (bytes) of removed slots, or None
    cdef KeyTable table
    cdef uint64_t families   # families some segment posts under
    cdef Py_ssize_t n_rules
    cdef Py_ssize_t n_unindexed

    def __cinit__(self, tuple segments, tuple dead, KeyTable table, Py_ssize_t n_rules):
        cdef Segment seg
        self.segments = segments
        self.dead = dead
        self.table = table
        self.n_rules = n_rules
        self.families = 0
        self.n_unindexed = 0
        for s in segments:
            seg = <Segment>s
            self.families |= seg.families
            self.n_unindexed += seg.n_unindexed
