# Included by _cindex.pyx: the writer's side of keys, and rules compiled to programs.
#
# The twin of keys.py: the same choice of keys (an AND under its cheapest
# indexable child, an OR under every child's keys, a leaf under its own,
# n-grams and tokens under the rarest), read from the rule's tree
# (rules.codec) instead of AST objects, with frequencies kept per pid.

cdef enum:
    CHECK_ALL = -1      # run the whole program
    CHECK_NOTHING = -2  # the key proves the match

cdef double PRIOR_WEIGHT = FrequencyModel.PRIOR_WEIGHT


@cython.final
cdef class Keys:
    """The writer's view of interned keys: table, family, prior and observed count per pid."""

    cdef KeyArena arena
    cdef KeyTable table
    cdef bytearray families       # pid -> family
    cdef list values              # pid -> (family name, value)
    cdef double *priors           # pid -> prior probability
    cdef double *counts           # pid -> sampled tweets that offered it
    cdef Py_ssize_t capacity
    cdef double tweets
    cdef uint64_t interned_families

    def __cinit__(self):
        self.arena = KeyArena()
        self.table = KeyTable(1024, self.arena)
        self.families = bytearray()
        self.values = []
        self.priors = self.counts = NULL
        self.capacity = 0
        self.tweets = 0
        self.interned_families = 0

    def __dealloc__(self):
        PyMem_Free(self.priors)
        PyMem_Free(self.counts)

    cdef Py_ssize_t size(self) noexcept:
        return len(self.values)

    cdef int32_t intern(self, int family, str value) except -1:
        cdef Text text
        cdef uint64_t h
        cdef int32_t pid
        cdef uint32_t *chars
        cdef Py_ssize_t k
        cdef double *grown
        text_of(value, &text)
        h = hash_span(family, &text, 0, text.length)
        pid = self.table.find(family, &text, 0, text.length, h)
        if pid >= 0:
            return pid
        if self.table.full():
            self.table = self.table.grown()
        pid = <int32_t>len(self.values)
        if pid == self.capacity:
            self.capacity = self.capacity * 2 + 1024
            grown = <double *>PyMem_Realloc(self.priors, self.capacity * sizeof(double))
            if grown == NULL:
                raise MemoryError()
            self.priors = grown
            grown = <double *>PyMem_Realloc(self.counts, self.capacity * sizeof(double))
            if grown == NULL:
                raise MemoryError()
            self.counts = grown
        chars = self.arena.take(text.length)
        for k in range(text.length):
            chars[k] = char_at(&text, k)
        name = FAMILY_NAMES[family]
        self.priors[pid] = prior((name, value))
        self.counts[pid] = 0
        self.values.append((name, value))
        self.families.append(family)
        self.interned_families |= _bit(family)
        self.table.insert(family, &text, h, pid, chars)
        return pid

    cdef int mark_posted(self, object pids) except -1:
        """Flag the keys a rule is posted under (see ``Entry.posted``)."""
        for pid in pids:
            self._flag(pid, True)
        return 0

    cdef int mark_tested(self, int32_t pid) except -1:
        """Flag an n-gram key that a program tests (see ``Entry.tested``)."""
        return self._flag(pid, False)

    cdef int _flag(self, int32_t pid, bint posted) except -1:
        # Entry.posted (or .tested) of the key, in its entry and, for an
        # n-gram key, in its n-gram table entry too.
        cdef Text text
        cdef Entry *e
        cdef GramEntry *g = NULL
        cdef int family = self.families[pid]
        value = (<tuple>self.values[pid])[1]
        text_of(value, &text)
        e = self.table.lookup(family, &text, 0, text.length, hash_span(family, &text, 0, text.length))
        if family >= F_CONTAINS1 and text.length <= 3:
            g = self.table.gram(family, _gram_code(e.chars, text.length))
        if posted:
            e.posted = 1
            if g != NULL:
                g.posted = 1
        else:
            e.tested = 1
            if g != NULL:
                g.tested = 1
        return 0

    cdef inline double estimate(self, int32_t pid) noexcept:
        return (self.counts[pid] + self.priors[pid] * PRIOR_WEIGHT) / (self.tweets + PRIOR_WEIGHT)

    cdef double cost(self, object pids):
        cdef double total = 0
        if pids is None:
            return float("inf")
        for pid in pids:
            total += self.estimate(pid)
        return total


# --- reading trees ---------------------------------------------------------


cdef inline list _node(object tree):
    if type(tree) is not list or not tree or type((<list>tree)[0]) is not str:
        raise codec.RuleCodeError(f"expected a tree node, got {tree!r:.80}")
    return <list>tree


cdef tuple _tokens(list tree, Py_ssize_t first):
    cdef tuple tokens = tuple(tree[first:])
    if not tokens:
        raise codec.RuleCodeError(f"{tree[0]!r} needs tokens")
    for token in tokens:
        if type(token) is not str or not token:
            raise codec.RuleCodeError(f"{tree[0]!r}: expected tokens, got {token!r:.80}")
    return tokens


cdef object _arg(list tree, Py_ssize_t position, type kind):
    if len(tree) <= position:
        raise codec.RuleCodeError(f"{tree[0]!r} takes at least {position} values")
    value = tree[position]
    if kind is float:
        if type(value) is int:
            return float(value)
        if type(value) is not float:
            raise codec.RuleCodeError(f"{tree[0]!r}: expected a number, got {value!r:.80}")
        return value
    if type(value) is not kind:
        raise codec.RuleCodeError(f"{tree[0]!r}: expected {kind.__name__}, got {value!r:.80}")
    return value


cdef int _family_of(dict families, object field, list tree) except -1:
    family = families.get(field)
    if family is None:
        raise codec.RuleCodeError(f"{tree[0]!r}: unknown field {field!r:.40}")
    return <int>family


# --- keys (keys.py) ------------------------------------------------------------


cdef list _rarest(Keys keys, int family, tuple values):
    cdef int32_t best = -1, pid
    cdef double best_cost = 0, cost
    for value in values:
        pid = keys.intern(family, value)
        cost = keys.estimate(pid)
        if best < 0 or cost < best_cost:
            best, best_cost = pid, cost
    return [best]


cdef int _ngram_family(bint url, str value):
    cdef Py_ssize_t n = min(3, len(value))
    if url:
        return F_URLC1 + n - 1
    if _f.is_wordlike(value):
        return F_WORD1 + n - 1
    return F_CONTAINS1 + n - 1


cdef tuple _ngrams(str value):
    cdef Py_ssize_t n = min(3, len(value)), i
    return tuple(dict.fromkeys([value[i : i + n] for i in range(len(value) - n + 1)]))


cdef list _ngram_keys(Keys keys, bint url, str value):
    return _rarest(keys, _ngram_family(url, value), _ngrams(value))


cdef enum:
    _GRAM_CHECKS = 8  # n-gram keys a substring test checks first, at most


cdef int _substring(Keys keys, IntArray *out, list consts, bint url, str value) except -1:
    # contains: or url_contains:. Every n-gram of the value lies in the text
    # (or the link) wherever the value does, and the tweet offers the n-grams
    # of both, so the rarest few are tested as keys before the text is
    # searched: most candidates posted under a common n-gram stop there.
    cdef Py_ssize_t start = out.length
    cdef int family
    cdef int32_t pid
    checks = []
    if value:
        family = _ngram_family(url, value)
        pids = [keys.intern(family, gram) for gram in _ngrams(value)]
        ranked = sorted([(keys.estimate(pid), pid) for pid in pids])
        checks = [pid for _, pid in ranked[:_GRAM_CHECKS]]
    if checks:
        array_push(out, OP_AND)
        array_push(out, 0)
        for pid in checks:
            keys.mark_tested(pid)
            array_push(out, OP_KEY)
            array_push(out, 4)
            array_push(out, family)
            array_push(out, pid)
    array_push(out, OP_URLC if url else OP_CONTAINS)
    array_push(out, 5)
    array_push(out, _const(consts, value))
    # Room for the value's address, written where the program is placed in
    # a segment (_link_consts), so that a run reads the value directly.
    array_push(out, 0)
    array_push(out, 0)
    if checks:
        out.items[start + 1] = <int32_t>(out.length - start)
    return 0


cdef list _count_keys(Keys keys, int family, object low, object high):
    cdef int first = _f.count_bucket(low), last, bucket
    last = _f.count_bucket(high) if high is not None else _MAX_BUCKET
    return [keys.intern(family, _BUCKETS[bucket]) for bucket in range(first, last + 1)]


cdef list _geo_keys(Keys keys, object cells):
    if cells is None:
        return [keys.intern(F_GEO, "1")]
    return [keys.intern(F_GEO_CELL, cell) for cell in cells]


cdef object _leaf_keys(Keys keys, list tree):
    kind = tree[0]
    if kind == "k" or kind == "p":
        return _rarest(keys, F_TEXT, _tokens(tree, 1))
    if kind == "~":
        return _rarest(keys, F_TEXT, _tokens(tree, 2))
    if kind == "#":
        return [keys.intern(F_HASHTAG, _arg(tree, 1, str))]
    if kind == "@":
        return [keys.intern(F_MENTION, _arg(tree, 1, str))]
    if kind == "$":
        return [keys.intern(F_CASHTAG, _arg(tree, 1, str))]
    if kind == "c" or kind == "uc":
        value = _arg(tree, 1, str)
        return _ngram_keys(keys, kind == "uc", value) if value else None
    if kind == "u":
        return [keys.intern(_family_of(_USER_FAMILIES, tree[1], tree), _arg(tree, 2, str))]
    if kind == "i":
        return [keys.intern(_family_of(_ID_FAMILIES, tree[1], tree), _arg(tree, 2, str))]
    if kind == "url":
        return _rarest(keys, F_URL, _tokens(tree, 1))
    if kind == "ut":
        return _rarest(keys, _family_of(_PROFILE_FAMILIES, tree[1], tree), _tokens(tree, 2))
    if kind == "n":
        high = tree[3] if len(tree) > 3 else None
        if high is not None:
            _arg(tree, 3, int)
        return _count_keys(keys, _family_of(_COUNT_FIELDS, tree[1], tree), _arg(tree, 2, int), high)
    if kind == "lang":
        return [keys.intern(F_LANG, _arg(tree, 1, str))]
    if kind == "pl":
        return _rarest(keys, F_PLACE, _tokens(tree, 1))
    if kind == "pc":
        return [keys.intern(F_COUNTRY, _arg(tree, 1, str))]
    if kind == "pr":
        return _geo_keys(
            keys, circle_cells(_arg(tree, 1, float), _arg(tree, 2, float), _arg(tree, 3, float))
        )
    if kind == "bb":
        return _geo_keys(
            keys,
            box_cells(
                _arg(tree, 1, float), _arg(tree, 2, float), _arg(tree, 3, float), _arg(tree, 4, float)
            ),
        )
    if kind == "has":
        return [keys.intern(F_HAS, _arg(tree, 1, str))]
    if kind == "is":
        return [keys.intern(F_IS, _arg(tree, 1, str))]
    if kind == "src":
        return _rarest(keys, F_SOURCE, _tokens(tree, 1))
    if kind == "s":
        return None
    raise codec.RuleCodeError(f"unknown node kind {kind!r:.40}")


cdef tuple _best_child(Keys keys, list tree):
    """The keys of the AND child the fewest tweets offer, and its position (-1: none)."""
    cdef object best = None
    cdef double best_cost = 0, cost
    cdef Py_ssize_t position, best_position = -1
    for position in range(1, len(tree)):
        found = _keys(keys, _node(tree[position]))
        if found is None:
            continue
        cost = keys.cost(found)
        if best is None or cost < best_cost:
            best, best_cost, best_position = found, cost, position
    return best, best_position


cdef object _keys(Keys keys, list tree):
    kind = tree[0]
    if kind == "-":
        return None
    if kind == "&":
        return _best_child(keys, tree)[0]
    if kind == "|":
        union = {}
        for child in tree[1:]:
            found = _keys(keys, _node(child))
            if found is None:
                return None
            for pid in found:
                union[pid] = None
        return list(union)
    return _leaf_keys(keys, tree)


cdef bint _is_exact(list tree):
    kind = tree[0]
    if kind == "|":
        for child in tree[1:]:
            if not _is_exact(<list>child):
                return False
        return True
    if kind in ("k", "url", "pl", "src"):
        return len(tree) == 2
    if kind == "ut":
        return len(tree) == 3
    return kind in ("i", "#", "@", "$", "u", "lang", "pc", "has", "is")


cdef bint _has_choice(list tree):
    kind = tree[0]
    if kind == "&":
        return True
    if kind == "|":
        for child in tree[1:]:
            if _has_choice(<list>child):
                return True
        return False
    if kind in ("k", "p", "url", "pl", "src"):
        return len(tree) > 2
    if kind in ("~", "ut"):
        return len(tree) > 3
    if kind in ("c", "uc"):
        return len(<str>tree[1]) > 3
    return False


cdef tuple plan(Keys keys, list tree):
    """keys.plan on a tree: (pids or None, CHECK_ALL / CHECK_NOTHING / the proven child)."""
    if tree[0] == "&":
        if len(tree) < 3:
            raise codec.RuleCodeError("'&' needs at least two children")
        best, position = _best_child(keys, tree)
        if best is None:
            return None, CHECK_ALL
        return best, position if _is_exact(<list>tree[position]) else CHECK_ALL
    found = _keys(keys, tree)
    if found is None:
        return None, CHECK_ALL
    return found, CHECK_NOTHING if _is_exact(tree) else CHECK_ALL


# --- programs ------------------------------------------------------------------


cdef int _push_double(IntArray *out, double value) except -1:
    cdef int32_t words[2]
    memcpy(words, &value, sizeof(double))
    array_push(out, words[0])
    array_push(out, words[1])
    return 0


cdef int _push_int64(IntArray *out, int64_t value) except -1:
    cdef int32_t words[2]
    memcpy(words, &value, sizeof(int64_t))
    array_push(out, words[0])
    array_push(out, words[1])
    return 0


cdef int _seq(Keys keys, IntArray *out, int family, int streams, tuple tokens) except -1:
    array_push(out, OP_SEQ)
    array_push(out, <int32_t>(4 + len(tokens)))
    array_push(out, streams)
    array_push(out, <int32_t>len(tokens))
    for token in tokens:
        array_push(out, keys.intern(family, token))
    return 0


cdef int _key(Keys keys, IntArray *out, int family, str value) except -1:
    array_push(out, OP_KEY)
    array_push(out, 4)
    array_push(out, family)
    array_push(out, keys.intern(family, value))
    return 0


cdef int _tokens_op(Keys keys, IntArray *out, int family, int streams, tuple tokens) except -1:
    # One token: the family offers exactly the tokens of those streams; several: a phrase.
    if len(tokens) == 1:
        return _key(keys, out, family, tokens[0])
    return _seq(keys, out, family, streams, tokens)


cdef int _const(list consts, object value) except -1:
    consts.append(value)
    return <int>(len(consts) - 1)


cdef int emit(Keys keys, list tree, IntArray *out, list consts, Py_ssize_t skip) except -1:
    """Append the program of ``tree``; an AND leaves out its child at ``skip`` (proven)."""
    cdef Py_ssize_t start = out.length, position
    cdef int family
    cdef int overflow = 0
    kind = tree[0]
    if kind == "&" or kind == "|":
        if len(tree) < 3:
            raise codec.RuleCodeError(f"{kind!r} needs at least two children")
        array_push(out, OP_AND if kind == "&" else OP_OR)
        array_push(out, 0)
        for position in range(1, len(tree)):
            if position != skip:
                emit(keys, _node(tree[position]), out, consts, -1)
    elif kind == "-":
        if len(tree) != 2:
            raise codec.RuleCodeError("'-' takes one child")
        array_push(out, OP_NOT)
        array_push(out, 0)
        emit(keys, _node(tree[1]), out, consts, -1)
    elif kind == "k":
        _tokens_op(keys, out, F_TEXT, (1 << S_TEXT0) | (1 << S_TEXT1) | (1 << S_XURL0) | (1 << S_XURL1), _tokens(tree, 1))
        return 0
    elif kind == "p":
        # Even one token: a phrase reads the text alone, not the URLs.
        _seq(keys, out, F_TEXT, (1 << S_TEXT0) | (1 << S_TEXT1), _tokens(tree, 1))
        return 0
    elif kind == "~":
        tokens = _tokens(tree, 2)
        array_push(out, OP_PROX)
        array_push(out, <int32_t>(4 + len(tokens)))
        array_push(out, <int32_t>_arg(tree, 1, int))
        array_push(out, <int32_t>len(tokens))
        for token in tokens:
            array_push(out, keys.intern(F_TEXT, token))
        return 0
    elif kind in ("#", "@", "$"):
        family = F_HASHTAG if kind == "#" else F_MENTION if kind == "@" else F_CASHTAG
        return _key(keys, out, family, _arg(tree, 1, str))
    elif kind == "c" or kind == "uc":
        return _substring(keys, out, consts, kind == "uc", _arg(tree, 1, str))
    elif kind == "u":
        return _key(keys, out, _family_of(_USER_FAMILIES, tree[1], tree), _arg(tree, 2, str))
    elif kind == "i":
        return _key(keys, out, _family_of(_ID_FAMILIES, tree[1], tree), _arg(tree, 2, str))
    elif kind == "url":
        return _tokens_op(keys, out, F_URL, (1 << S_LURL0) | (1 << S_LURL1), _tokens(tree, 1))
    elif kind == "ut":
        family = _family_of(_PROFILE_FAMILIES, tree[1], tree)
        return _tokens_op(keys, out, family, 1 << (S_BIO + family - F_BIO), _tokens(tree, 2))
    elif kind == "n":
        family = _family_of(_COUNT_FIELDS, tree[1], tree)
        low = _arg(tree, 2, int)
        high = tree[3] if len(tree) > 3 else None
        if high is not None:
            _arg(tree, 3, int)
        array_push(out, OP_COUNT)
        array_push(out, 10)
        array_push(out, family)
        array_push(out, _const(consts, (low, high)))
        exact = -(2**63) <= low <= 2**63 - 1 and (high is None or -(2**63) <= high <= 2**63 - 1)
        array_push(out, 1 if exact else 0)
        _push_int64(out, low if exact else 0)
        _push_int64(out, high if exact and high is not None else 0)
        array_push(out, 0 if high is None else 1)
        return 0
    elif kind == "lang":
        return _key(keys, out, F_LANG, _arg(tree, 1, str))
    elif kind == "pl":
        return _tokens_op(keys, out, F_PLACE, 1 << S_PLACE, _tokens(tree, 1))
    elif kind == "pc":
        return _key(keys, out, F_COUNTRY, _arg(tree, 1, str))
    elif kind == "pr":
        array_push(out, OP_RADIUS)
        array_push(out, 8)
        for position in range(1, 4):
            _push_double(out, _arg(tree, position, float))
        return 0
    elif kind == "bb":
        array_push(out, OP_BOX)
        array_push(out, 10)
        for position in range(1, 5):
            _push_double(out, _arg(tree, position, float))
        return 0
    elif kind == "has":
        return _key(keys, out, F_HAS, _arg(tree, 1, str))
    elif kind == "is":
        return _key(keys, out, F_IS, _arg(tree, 1, str))
    elif kind == "s":
        array_push(out, OP_SAMPLE)
        array_push(out, 3)
        array_push(out, <int32_t>_arg(tree, 1, int))
        return 0
    elif kind == "src":
        return _tokens_op(keys, out, F_SOURCE, 1 << S_SOURCE, _tokens(tree, 1))
    else:
        raise codec.RuleCodeError(f"unknown node kind {kind!r:.40}")
    out.items[start + 1] = <int32_t>(out.length - start)
    return 0


cdef bytes _pids_bytes(object pids):
    cdef IntArray out
    out.items = NULL
    out.length = out.capacity = 0
    try:
        for pid in pids:
            array_push(&out, pid)
        return PyBytes_FromStringAndSize(<char *>out.items, out.length * sizeof(int32_t))
    finally:
        PyMem_Free(out.items)


cdef Rec compile_rule(Keys keys, object rule_id, list tree, bytes code):
    """Plan ``tree`` and compile its program into a record."""
    cdef Rec rec = Rec.__new__(Rec)
    cdef IntArray out
    cdef list consts = []
    cdef Py_ssize_t skip
    _node(tree)
    found, check = plan(keys, tree)
    rec.rule_id = rule_id
    rec.code = code
    rec.choice = _has_choice(tree)
    rec.keys = b"" if found is None else _pids_bytes(found)
    if found is not None:
        keys.mark_posted(found)
    rec.flags = MULTI if found is not None and len(found) > 1 else 0
    rec.level = -1
    rec.slot = -1
    if check == CHECK_NOTHING:
        rec.flags |= EXACT
        rec.prog = b""
        rec.consts = None
        return rec
    out.items = NULL
    out.length = out.capacity = 0
    try:
        skip = check if check >= 0 else -1
        if skip >= 0 and len(tree) == 3:
            # An AND of two whose proven child is left out: the other child alone.
            emit(keys, _node(tree[3 - skip]), &out, consts, -1)
        else:
            emit(keys, tree, &out, consts, skip)
        rec.prog = PyBytes_FromStringAndSize(<char *>out.items, out.length * sizeof(int32_t))
    finally:
        PyMem_Free(out.items)
    rec.consts = tuple(consts) if consts else None
    return rec
