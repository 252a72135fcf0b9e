/* Publication of interned keys across threads (see _cindex.pyx, KeyTable). */
#ifndef POWERTRACK_CATOMIC_H
#define POWERTRACK_CATOMIC_H
#include <stdint.h>

static inline int32_t pt_load_acquire(const int32_t *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void pt_store_release(int32_t *p, int32_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
#endif
