// The functions are static inline in the header; a C target needs one source file.
#include "byte_scan.h"
#include "memory_hints.h"
