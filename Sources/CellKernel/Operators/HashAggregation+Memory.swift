extension HashAggregation {
    /// About how many bytes the groups and their aggregate states hold: the group table's
    /// arrays, each state's per-group arrays, and each DISTINCT set's entries (at an estimated
    /// 80 bytes each: the value's bytes, their array's header and the set's slot).
    var estimatedStateBytes: Int {
        var bytes = table.estimatedBytes + touched.count + touchedIDs.count * 8
        bytes += changes.changed.count + changes.changedIDs.count * 8 + (changes.removed?.estimatedBytes ?? 0)
        for state in states {
            bytes += (state.counts.count + state.integers.count + state.doubles.count + state.compensation.count) * 8
            bytes += state.seen.count + state.strings.count * 24
            bytes += state.sketches.count * (HyperLogLog().registers.count + 32)
            for set in state.distinct { bytes += 48 + set.count * 80 }
            if !state.strings.isEmpty { for case let text? in state.strings { bytes += text.count } }
            for slots in [state.values, state.orderings] where slots.count > 0 {
                bytes += slots.count * 9 + slots.strings.count * 24 + slots.strings.reduce(0) { $0 + $1.capacity }
            }
            // A sketch's samples (key and two ranks) and its buffer.
            for sketch in state.quantiles { bytes += 64 + sketch.keys.count * 24 + sketch.buffer.capacity * 8 }
            // Collected elements count at their buffers' capacity; a group past what one ARRAY
            // may hold counts as over any limit, so the query stops with the limit's error.
            for values in state.collected {
                if values.overflowed { return Int.max / 1024 }
                bytes += values.estimatedBytes
            }
        }
        return bytes
    }
}
