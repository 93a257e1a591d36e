import CLibPQ

/// PostgreSQL's client library, loaded the first time cells talks to PostgreSQL.
///
/// Linking libpq made every start of `cells` pay about 4 ms for it and the twenty libraries it
/// brings (LDAP, Kerberos, TLS), though most runs never write to PostgreSQL. The functions are
/// called through the table as `libpq.PQsendQuery(...)`, with the header's own types.
enum LibPQ {
    /// The functions, or why libpq could not be loaded.
    static func functions() throws(DatabaseError) -> cells_libpq {
        try loaded.get().table
    }

    /// Loaded once per process; a library that is missing stays missing for it.
    private static let loaded: Result<Loaded, DatabaseError> = {
        // Its fields are never null, so Swift gives the table no empty initializer: it is
        // filled in place and read only once every field is set.
        withUnsafeTemporaryAllocation(of: cells_libpq.self, capacity: 1) { table in
            if let reason = cells_libpq_load(table.baseAddress!) {
                return .failure(DatabaseError(.invalid, "cannot load PostgreSQL's client library: \(String(cString: reason))",
                                              hint: "install libpq (apt-get install libpq5)"))
            }
            return .success(Loaded(table: table[0]))
        }
    }()

    /// The table, shareable: its pointers are to functions of a library never unloaded.
    private struct Loaded: @unchecked Sendable {
        var table: cells_libpq
    }
}
