# Included by _cindex.pyx: the index itself, its segment levels and snapshots.

# Level i holds at most _LEVEL_CAPS[i] rules; the last level has no cap. A
# write rebuilds level 0 only (a few hundred rules); a full level is merged
# into the next one that can hold it, so each rule is rebuilt into a segment
# a handful of times, and a bulk load (add_many) builds one segment at once.
_LEVEL_CAPS = (256, 4096, 65536)
# A level whose dead slots pass this share of its slots is rebuilt without them.
cdef double _DEAD_SHARE = 0.25
# How many of the stream's most frequent keys a rebalance looks at, and how
# long a posting must be to be looked at in any case (as in pyindex).
cdef Py_ssize_t _HOT_KEYS = 2000
cdef Py_ssize_t _CROWDED = 8
# Sampled tweets waiting for maintain(); older ones are dropped past this.
cdef Py_ssize_t _SAMPLES_MAX = 4096


cdef inline bint _is_dead(object dead, Py_ssize_t slot):
    if dead is None:
        return False
    return ((<const uint8_t *>PyBytes_AS_STRING(dead))[slot >> 3] >> (slot & 7)) & 1


# How many candidates ahead a match asks for a program.
cdef Py_ssize_t _AHEAD = 8


cdef inline void _ask_program(Segment seg, int32_t j) noexcept:
    # Asks for the program of posting entry j, if deciding it runs one.
    if not seg.post[j].info & EXACT and seg.post[j].check < 0:
        pt_prefetch(seg.prog + (seg.post[j].info >> 3))


cdef Py_ssize_t _live_unindexed(Segment seg, object dead):
    cdef Py_ssize_t k, live = 0
    for k in range(seg.n_unindexed):
        if dead is None or not _is_dead(dead, seg.unindexed[k]):
            live += 1
    return live


cdef class CRuleIndex:
    """Match tweets against many rules, evaluating only the few candidates (compiled).

    The same API and answers as :class:`powertrack.index.pyindex.PyRuleIndex`.
    """

    cdef object _write_lock
    cdef cython.pymutex _snapshot_lock
    cdef Snapshot _snapshot
    cdef Keys _keys
    cdef dict _recs
    cdef list _levels          # per level: dict rule id -> Rec
    cdef list _segments        # per level: Segment
    cdef list _dead            # per level: bytes bitmap or None
    cdef list _dead_counts
    cdef object _samples
    cdef list _pool
    cdef Py_ssize_t _learn_every
    cdef Py_ssize_t _rebalance_every
    cdef Py_ssize_t _rebalance_budget
    cdef Py_ssize_t _matched
    cdef Py_ssize_t _learnt_since_rebalance
    cdef dict _cursors

    def __cinit__(
        self, *, Py_ssize_t learn_every=32, Py_ssize_t rebalance_every=2048,
        Py_ssize_t rebalance_budget=2000,
    ):
        cdef Py_ssize_t level
        ensure_classes()
        self._write_lock = threading.Lock()
        self._keys = Keys()
        self._recs = {}
        self._levels = [{} for level in range(len(_LEVEL_CAPS) + 1)]
        self._segments = [build_segment([], NULL) for level in range(len(self._levels))]
        self._dead = [None] * len(self._levels)
        self._dead_counts = [0] * len(self._levels)
        self._samples = collections.deque(maxlen=_SAMPLES_MAX)
        self._pool = []
        self._learn_every = learn_every
        self._rebalance_every = rebalance_every
        self._rebalance_budget = rebalance_budget
        self._matched = 0
        self._learnt_since_rebalance = 0
        self._cursors = {}
        self._publish()

    @classmethod
    def __class_getitem__(cls, item):
        return cls

    def __len__(self):
        return len(self._recs)

    def __contains__(self, rule_id):
        return rule_id in self._recs

    def __iter__(self):
        return iter(list(self._recs))

    # -- writing --------------------------------------------------------------

    def add(self, rule_id, rule):
        """Add (or replace) a rule: a ``Rule``, a rule text (parsed; a bad one raises
        RuleSyntaxError) or a compiled form (``bytes``, rules.codec; RuleCodeError if unreadable)."""
        tree, code = _tree_and_code(rule)
        with self._write_lock:
            rec = compile_rule(self._keys, rule_id, tree, code)
            self._discard(rule_id, False)
            self._put([rec])
            self._publish()

    def add_many(self, items):
        """Add many ``(rule_id, rule)`` pairs at once, as :meth:`add` would one by one."""
        cdef dict recs = {}
        # A bulk load allocates millions of objects that all live on, and the
        # cyclic collector would traverse the growing heap again and again
        # (a million rules loaded 2.6 times slower with it running): it is
        # paused for the load and resumed after, as it was.
        collecting = gc.isenabled()
        gc.disable()
        try:
            compiled = [(rule_id, *_tree_and_code(rule)) for rule_id, rule in items]
            with self._write_lock:
                for rule_id, tree, code in compiled:
                    recs[rule_id] = compile_rule(self._keys, rule_id, tree, code)
                for rule_id in recs:
                    self._discard(rule_id, False)
                self._put(list(recs.values()))
                self._publish()
        finally:
            if collecting:
                gc.enable()

    def remove(self, rule_id):
        """Remove a rule; KeyError if there is none with that id."""
        if not self.discard(rule_id):
            raise KeyError(rule_id)

    def discard(self, rule_id):
        """Remove a rule if present; True when one was removed."""
        with self._write_lock:
            removed = self._discard(rule_id, True)
            if removed:
                self._publish()
            return removed

    cdef bint _discard(self, object rule_id, bint rebuild) except -1:
        cdef Rec rec = self._recs.pop(rule_id, None)
        cdef int level
        cdef bytearray dead
        if rec is None:
            return False
        level = rec.level
        del (<dict>self._levels[level])[rule_id]
        self._mark_dead(level, rec.slot)
        # Level 0 is small: rebuilt at once (or by the caller, which puts the
        # replacement there); a larger level once enough of it is dead.
        if rebuild and (
            level == 0
            or self._dead_counts[level] > _DEAD_SHARE * (<Segment>self._segments[level]).n_slots
        ):
            self._rebuild(level)
        return True

    cdef void _mark_dead(self, int level, Py_ssize_t slot) except *:
        cdef Segment seg = self._segments[level]
        old = self._dead[level]
        dead = bytearray(old) if old is not None else bytearray((seg.n_slots + 7) // 8)
        dead[slot >> 3] |= 1 << (slot & 7)
        self._dead[level] = bytes(dead)
        self._dead_counts[level] += 1

    cdef void _put(self, list recs) except *:
        """Place new records in level 0, merging full levels into the next."""
        cdef Py_ssize_t level, total = len(recs), top = len(self._levels) - 1
        if not recs:
            return
        # The lowest level that can hold these and every level below it.
        for level in range(top + 1):
            total += len(<dict>self._levels[level])
            if level == top or total <= _LEVEL_CAPS[level]:
                break
        target = <dict>self._levels[level]
        for lower in range(level):
            target.update(<dict>self._levels[lower])
            (<dict>self._levels[lower]).clear()
        for r in recs:
            target[(<Rec>r).rule_id] = r
            self._recs[(<Rec>r).rule_id] = r
        for lower in range(level + 1):
            self._rebuild(lower)

    cdef void _rebuild(self, Py_ssize_t level) except *:
        cdef list recs = list((<dict>self._levels[level]).values())
        for r in recs:
            (<Rec>r).level = <int>level
        self._segments[level] = build_segment(
            recs, <const uint8_t *><char *>self._keys.families
        )
        self._dead[level] = None
        self._dead_counts[level] = 0

    cdef void _publish(self) except *:
        snapshot = Snapshot(
            tuple(self._segments), tuple(self._dead), self._keys.table, len(self._recs)
        )
        with self._snapshot_lock:
            self._snapshot = snapshot

    cdef Snapshot _current(self):
        with self._snapshot_lock:
            return self._snapshot

    # -- matching -------------------------------------------------------------

    def match(self, tweet):
        """Ids of the rules that match ``tweet``, in no particular order."""
        return self._match(doc_of_tweet(tweet), False)

    def match_json(self, raw):
        """:meth:`match` for a tweet's JSON; ``TweetFormatError`` if it is not a tweet."""
        cdef Doc doc = doc_of_fast_json(raw)
        if doc is None:
            doc = doc_of_tweet(Tweet.from_json(raw))
        return self._match(doc, False)

    def match_json_id(self, raw):
        """The tweet's id and :meth:`match_json`, from one read of the JSON."""
        cdef Doc doc = doc_of_fast_json(raw)
        if doc is None:
            doc = doc_of_tweet(Tweet.from_json(raw))
        return doc.id, self._match(doc, False)

    def match_doc(self, Doc doc not None):
        """Ids of the rules that match a :class:`Doc` (as :meth:`match`)."""
        return self._match(doc, False)

    def candidates(self, tweet):
        """How many rules a match of ``tweet`` evaluates or accepts (for measurement)."""
        return self._match(doc_of_tweet(tweet), True)

    cdef object _match(self, Doc doc, bint count_only):
        # Per segment, in stages: each stage first asks for the memory the
        # next one reads (posting table slots, posting runs, programs, rule
        # ids), so that the cache misses of many look-ups overlap instead of
        # following one another. The order of the answer is that of a plain
        # walk: segments, then offered keys, then each key's run.
        cdef Snapshot snap = self._current()
        cdef Scratch sc
        cdef Segment seg
        cdef list matched = []
        cdef Py_ssize_t s, k, j, n_offered, start, candidates = 0
        cdef int32_t count, slot, info, check
        cdef const int32_t *offered
        cdef list consts
        cdef bint sampled, hit
        sc = self._pool.pop() if self._pool else Scratch()
        sc.begin(doc, snap.table)
        try:
            sc.ensure_all(snap.families)
            n_offered = sc.offered_list.length
            offered = sc.offered_list.items
            for s in range(len(snap.segments)):
                seg = <Segment>snap.segments[s]
                if seg.n_slots == 0:
                    continue
                dead = snap.dead[s]
                consts = seg.consts
                intset_clear(&sc.seen)
                # 1. The posting table slots of the offered keys.
                for k in range(n_offered):
                    pt_prefetch(&seg.postings[_mix(offered[k]) & seg.pmask])
                # 2. The posting runs, and their first entries.
                sc.runs.length = 0
                for k in range(n_offered):
                    start = seg.lookup(offered[k], &count)
                    if start >= 0:
                        array_push(&sc.runs, <int32_t>start)
                        array_push(&sc.runs, count)
                        pt_prefetch(&seg.post[start])
                # 3. The candidates: each slot once, the dead ones dropped.
                sc.cands.length = 0
                for k in range(0, sc.runs.length, 2):
                    start = sc.runs.items[k]
                    for j in range(start, start + sc.runs.items[k + 1]):
                        slot = seg.post[j].slot
                        info = seg.post[j].info
                        if info & MULTI and not intset_add(&sc.seen, slot):
                            continue
                        if dead is not None and _is_dead(dead, slot):
                            continue
                        candidates += 1
                        if count_only:
                            continue
                        array_push(&sc.cands, <int32_t>j)
                if count_only:
                    candidates += _live_unindexed(seg, dead)
                    continue
                # 4. Each candidate decided: the hits' entries.
                sc.hits.length = 0
                for k in range(min(_AHEAD, sc.cands.length)):
                    _ask_program(seg, sc.cands.items[k])
                for k in range(sc.cands.length):
                    # The program a few candidates on, asked for ahead.
                    if k + _AHEAD < sc.cands.length:
                        _ask_program(seg, sc.cands.items[k + _AHEAD])
                    j = sc.cands.items[k]
                    slot = seg.post[j].slot
                    info = seg.post[j].info
                    check = seg.post[j].check
                    if info & EXACT:
                        hit = True
                    elif check >= 0:
                        # The program is one key test, held in the entry.
                        if not sc.done & _bit(check >> 25):
                            sc.ensure(check >> 25)
                        hit = intset_has(&sc.offered, check & 0x1FFFFFF) != ((info & NEGATED) != 0)
                    else:
                        hit = run(sc, seg.prog + (info >> 3), consts, slot)
                    if hit:
                        array_push(&sc.hits, <int32_t>j)
                # 5. The hits' rule ids (held in their entries), then the list of them.
                for k in range(sc.hits.length):
                    pt_prefetch(seg.post[sc.hits.items[k]].rule_id)
                for k in range(sc.hits.length):
                    matched.append(<object>seg.post[sc.hits.items[k]].rule_id)
                for k in range(seg.n_unindexed):
                    slot = seg.unindexed[k]
                    if dead is not None and _is_dead(dead, slot):
                        continue
                    candidates += 1
                    if run(sc, seg.prog + seg.prog_off[slot], consts, slot):
                        matched.append(<object>PyTuple_GET_ITEM(seg.rule_ids, slot))
            self._matched += 1
            sampled = self._learn_every > 0 and self._matched % self._learn_every == 0
            if sampled and not count_only:
                sc.ensure_all(self._keys.interned_families)
                self._samples.append(
                    PyBytes_FromStringAndSize(
                        <char *>sc.offered_list.items, sc.offered_list.length * sizeof(int32_t)
                    )
                )
        finally:
            sc.end()
            self._pool.append(sc)
        return candidates if count_only else matched

    # -- learning and rebalancing: the writer's thread -------------------------

    def maintain(self):
        """Learn from the tweets sampled since the last call and rebalance when due.

        Runs in the writer's thread (RuleSync calls it between polls); matches go
        on meanwhile on the snapshot they hold. Returns how many rules moved.
        """
        cdef Keys keys = self._keys
        cdef Py_ssize_t n, k, moved = 0, due
        cdef const int32_t *pids
        with self._write_lock:
            while self._samples:
                sample = self._samples.popleft()
                n = PyBytes_GET_SIZE(sample) // 4
                pids = <const int32_t *>PyBytes_AS_STRING(sample)
                for k in range(n):
                    keys.counts[pids[k]] += 1
                keys.tweets += 1
                self._learnt_since_rebalance += 1
            due = min(self._rebalance_every, max(16, <Py_ssize_t>keys.tweets // 4))
            if self._rebalance_every and self._learnt_since_rebalance >= due:
                self._learnt_since_rebalance = 0
                moved = self._rebalance(self._rebalance_budget)
                if moved:
                    self._publish()
        return moved

    def rebalance(self, budget=None):
        """Re-post rules whose keys became common under cheaper keys; returns rules moved."""
        with self._write_lock:
            moved = self._rebalance(self._rebalance_budget if budget is None else budget)
            if moved:
                self._publish()
            return moved

    cdef Py_ssize_t _rebalance(self, Py_ssize_t budget) except -1:
        cdef Keys keys = self._keys
        cdef Segment seg
        cdef Py_ssize_t i, level, j, start_at, kept, moved = 0, n_pids = keys.size()
        cdef int32_t pid, count
        cdef Py_ssize_t start
        cdef Rec rec, replacement
        cdef double *lengths = <double *>_alloc(n_pids * sizeof(double))
        # The most expensive postings first (a tweet finding the key, times the
        # rules it finds there), as pyindex visits crowded postings and hot keys.
        try:
            memset(lengths, 0, n_pids * sizeof(double))
            for level in range(len(self._segments)):
                seg = <Segment>self._segments[level]
                for i in range(seg.pmask + 1):
                    pid = seg.postings[i].pid
                    if pid >= 0:
                        lengths[pid] += seg.postings[i].count
            heavy = _most_expensive(keys, lengths, n_pids, _HOT_KEYS)
        finally:
            PyMem_Free(lengths)
        moving = {}
        for pid in heavy:
            posted = []
            for level in range(len(self._segments)):
                seg = <Segment>self._segments[level]
                start = seg.lookup(pid, &count)
                if start < 0:
                    continue
                dead = self._dead[level]
                for j in range(start, start + count):
                    if not _is_dead(dead, seg.post[j].slot):
                        posted.append(seg.rule_ids[seg.post[j].slot])
            start_at = self._cursors.get(pid, 0)
            if start_at >= len(posted):
                start_at = 0
            kept = 0
            for rule_id in posted[start_at:]:
                rec = self._recs.get(rule_id)
                if rec is None or not rec.choice or rule_id in moving:
                    kept += 1
                    continue
                if budget <= 0:
                    break
                budget -= 1
                replacement = compile_rule(keys, rule_id, codec.tree_of(rec.code), rec.code)
                if replacement.keys != rec.keys and keys.cost(_pids_of(replacement.keys)) < 0.8 * keys.cost(_pids_of(rec.keys)):
                    moving[rule_id] = replacement
                    moved += 1
                else:
                    kept += 1
            # Moved rules leave the posting, so only the kept ones advance the cursor.
            self._cursors[pid] = start_at + kept
            if budget <= 0:
                break
        for rule_id in moving:
            self._discard(rule_id, False)
        self._put(list(moving.values()))
        return moved

    # -- measurement --------------------------------------------------------

    def stats(self):
        """Counts describing the index."""
        cdef Snapshot snap = self._current()
        cdef Segment seg
        cdef Py_ssize_t i, postings = 0
        posted = set()
        with self._write_lock:
            for r in self._recs.values():
                keys = (<Rec>r).keys
                postings += PyBytes_GET_SIZE(keys) // 4
                posted.update(_pids_of(keys))
        return IndexStats(
            rules=snap.n_rules,
            unindexed_rules=snap.n_unindexed,
            keys=len(posted),
            postings=postings,
            families=tuple(FAMILY_NAMES[i] for i in range(N_FAMILIES) if snap.families & _bit(i)),
            tweets_observed=int(self._keys.tweets),
        )


cdef list _most_expensive(Keys keys, const double *lengths, Py_ssize_t n, Py_ssize_t top):
    """The ``top`` pids with the highest estimate times posting length, most expensive first."""
    cdef double *heap_cost = <double *>_alloc(top * sizeof(double))
    cdef int32_t *heap_pid = <int32_t *>_alloc(top * sizeof(int32_t))
    cdef Py_ssize_t size = 0, pid, i, child
    cdef double cost
    try:
        for pid in range(n):
            if lengths[pid] == 0:
                continue
            cost = keys.estimate(<int32_t>pid) * lengths[pid]
            if size < top:
                # Sift up in a min-heap.
                i = size
                size += 1
                while i > 0 and heap_cost[(i - 1) // 2] > cost:
                    heap_cost[i] = heap_cost[(i - 1) // 2]
                    heap_pid[i] = heap_pid[(i - 1) // 2]
                    i = (i - 1) // 2
                heap_cost[i] = cost
                heap_pid[i] = <int32_t>pid
            elif cost > heap_cost[0]:
                # Replace the cheapest and sift down.
                i = 0
                while True:
                    child = 2 * i + 1
                    if child >= size:
                        break
                    if child + 1 < size and heap_cost[child + 1] < heap_cost[child]:
                        child += 1
                    if heap_cost[child] >= cost:
                        break
                    heap_cost[i] = heap_cost[child]
                    heap_pid[i] = heap_pid[child]
                    i = child
                heap_cost[i] = cost
                heap_pid[i] = <int32_t>pid
        ranked = sorted(((heap_cost[i], heap_pid[i]) for i in range(size)), reverse=True)
        return [pid for _, pid in ranked]
    finally:
        PyMem_Free(heap_cost)
        PyMem_Free(heap_pid)


cdef list _pids_of(bytes keys):
    cdef Py_ssize_t k
    cdef const int32_t *pids = <const int32_t *>PyBytes_AS_STRING(keys)
    return [pids[k] for k in range(PyBytes_GET_SIZE(keys) // 4)]


cdef tuple _tree_and_code(object rule):
    if isinstance(rule, str):
        rule = parse_rule(rule)
    if isinstance(rule, Rule):
        tree = codec.to_tree((<object>rule).root)
        return tree, codec.encode((<object>rule).root)
    if isinstance(rule, (bytes, bytearray, memoryview)):
        code = bytes(rule)
        return codec.tree_of(code), code
    raise TypeError(f"expected a Rule, a rule text or a compiled rule, got {type(rule).__name__}")
