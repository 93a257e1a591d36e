#ifndef CELLS_CBYTESCAN_H
#define CELLS_CBYTESCAN_H

// The module's headers, named here so that a new one is seen by builds that cached the module.
#include "byte_scan.h"
#include "checksums.h"
#include "memory_hints.h"

#endif
