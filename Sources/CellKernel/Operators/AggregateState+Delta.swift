extension AggregateState {
    /// Replaces whole groups with another state's: group `g` of `other` becomes group
    /// `targets[g]` here. A checkpoint's delta carries a changed group's complete state, not
    /// what was added to it, so applying it is an overwrite: applying it twice changes nothing
    /// more, and no aggregate needs an inverse.
    ///
    /// Both states are of the same aggregate and `grow(to:)` has made room for every target,
    /// so the arrays an aggregate uses have an entry at every index used here.
    mutating func overwrite(_ targets: [Int], from other: AggregateState) {
        for (g, t) in targets.enumerated() {
            counts[t] = other.counts[g]
            seen[t] = other.seen[g]
            if !integers.isEmpty { integers[t] = other.integers[g] }
            if !decimals.isEmpty { decimals[t] = other.decimals[g] }
            if !doubles.isEmpty { doubles[t] = other.doubles[g] }
            if !compensation.isEmpty { compensation[t] = other.compensation[g] }
            if !strings.isEmpty { strings[t] = other.strings[g] }
            if !distinct.isEmpty { distinct[t] = other.distinct[g] }
            if !sketches.isEmpty { sketches[t] = other.sketches[g] }
        }
        if values.count > 0 { values.overwrite(targets, from: other.values) }
        if orderings.count > 0 { orderings.overwrite(targets, from: other.orderings) }
        if !quantiles.isEmpty { for (g, t) in targets.enumerated() { quantiles[t] = other.quantiles[g] } }
        if !collected.isEmpty { for (g, t) in targets.enumerated() { collected[t] = other.collected[g] } }
    }
}
