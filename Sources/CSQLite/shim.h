#ifndef CELLS_CSQLITE_SHIM_H
#define CELLS_CSQLITE_SHIM_H
// SQLite: the sqlite sink and tables (CellKernel), and the tests' independent SQL engine.
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift cannot import.
static inline void (*cells_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }
#endif
