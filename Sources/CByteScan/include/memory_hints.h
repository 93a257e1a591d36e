#ifndef CELLS_MEMORY_HINTS_H
#define CELLS_MEMORY_HINTS_H

// Hints to the processor's caches, which Swift has no spelling for.

/// Starts bringing the cache line holding `p` in, without waiting for it: a load would hold up
/// the instructions after it until the line came, a prefetch retires at once, so a loop of
/// them puts dozens of misses in flight. `p` need not be valid memory; nothing is read.
static inline void cells_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#endif
