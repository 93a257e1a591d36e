#ifndef CELLS_CLIBPQ_SHIM_H
#define CELLS_CLIBPQ_SHIM_H
// PostgreSQL's client library, for the postgres sink and static tables.
#include <libpq-fe.h>

/// The error fields PostgresDatabase reads. They are character-literal macros
/// (PG_DIAG_SQLSTATE is 'C'), which Swift does not import.
static inline int cells_pq_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int cells_pq_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
static inline int cells_pq_diag_message_detail(void) { return PG_DIAG_MESSAGE_DETAIL; }
static inline int cells_pq_diag_message_hint(void) { return PG_DIAG_MESSAGE_HINT; }
#endif
