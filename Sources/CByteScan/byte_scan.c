// The scans are static inline in their headers; checksums.c holds the CRCs.
#include "byte_scan.h"
#include "memory_hints.h"
