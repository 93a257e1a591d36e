#ifndef CELLS_CHECKSUMS_H
#define CELLS_CHECKSUMS_H

#include <stddef.h>
#include <stdint.h>

// The two CRCs of the Kafka protocol, in C because the fast one is a processor instruction
// (SSE 4.2's crc32) that Swift cannot reach.

/// CRC-32C (Castagnoli), as a record batch's `crc` field: continue from `crc` (0 to start)
/// over `count` bytes. Uses the crc32 instruction where the processor has it.
uint32_t cells_crc32c(uint32_t crc, const void *bytes, size_t count);

/// The same CRC-32C from tables: what `cells_crc32c` falls back to without the instruction,
/// public so that tests check both ways agree.
uint32_t cells_crc32c_portable(uint32_t crc, const void *bytes, size_t count);

/// CRC-32 (IEEE 802.3, zlib's), which librdkafka's default partitioner hashes keys with: the
/// same key must land in the same partition whichever client sent it.
uint32_t cells_crc32(uint32_t crc, const void *bytes, size_t count);

#endif
