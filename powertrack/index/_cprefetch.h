/* A prefetch hint for the match loop (see _cmatcher.pxi): the loop asks for
 * the memory of many independent look-ups before it reads any of them, so
 * that their cache misses overlap instead of following one another. */
#ifndef POWERTRACK_CPREFETCH_H
#define POWERTRACK_CPREFETCH_H

static inline void pt_prefetch(const void *p) {
#if defined(__GNUC__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}
#endif
