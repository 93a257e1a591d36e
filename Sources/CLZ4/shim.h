#ifndef CELLS_CLZ4_SHIM_H
#define CELLS_CLZ4_SHIM_H

// LZ4 frames, Kafka's lz4 codec: a record batch's records are one frame.
#include <lz4frame.h>

#endif
