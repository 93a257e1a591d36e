#ifndef CELLS_CLIBPQ_SHIM_H
#define CELLS_CLIBPQ_SHIM_H
// PostgreSQL's client library, for the postgres sink and static tables: its types from the
// header, its functions from the shared library, loaded on first use (cells_libpq_load).
#include <dlfcn.h>
#include <stddef.h>
#include <postgresql/libpq-fe.h>

/// The error fields PostgresDatabase reads. They are character-literal macros
/// (PG_DIAG_SQLSTATE is 'C'), which Swift does not import.
static inline int cells_pq_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int cells_pq_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
static inline int cells_pq_diag_message_detail(void) { return PG_DIAG_MESSAGE_DETAIL; }
static inline int cells_pq_diag_message_hint(void) { return PG_DIAG_MESSAGE_HINT; }

// The functions cells calls. Each field has the type of the function the header declares, so
// a call through the table is checked exactly as a direct call would be.
#define CELLS_LIBPQ_FUNCTIONS(F) \
    F(PQcmdTuples) F(PQclear) F(PQconnectPoll) F(PQconnectStartParams) F(PQconninfoFree) \
    F(PQconninfoParse) F(PQconsumeInput) F(PQerrorMessage) F(PQfinish) F(PQflush) \
    F(PQfreemem) F(PQgetResult) F(PQgetisnull) F(PQgetlength) F(PQgetvalue) F(PQisBusy) \
    F(PQnfields) F(PQntuples) F(PQputCopyData) F(PQputCopyEnd) F(PQresultErrorField) \
    F(PQresultErrorMessage) F(PQresultStatus) F(PQsendQuery) F(PQsendQueryParams) \
    F(PQserverVersion) F(PQsetNoticeProcessor) F(PQsetnonblocking) F(PQsocket) F(PQstatus) \
    F(PQtransactionStatus)

#define CELLS_LIBPQ_FIELD(name) __typeof__(&name) _Nonnull name;
typedef struct cells_libpq {
    CELLS_LIBPQ_FUNCTIONS(CELLS_LIBPQ_FIELD)
} cells_libpq;
#undef CELLS_LIBPQ_FIELD

/// Fills `api` from libpq.so.5 (loaded once per process, never unloaded); NULL when it did,
/// else why not (dlerror's text: the library missing, or a function it lacks).
static inline const char *cells_libpq_load(cells_libpq *api) {
    void *library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) library = dlopen("libpq.so", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) return dlerror();
#define CELLS_LIBPQ_LOOKUP(name) \
    if ((*(void **)&api->name = dlsym(library, #name)) == NULL) return dlerror();
    CELLS_LIBPQ_FUNCTIONS(CELLS_LIBPQ_LOOKUP)
#undef CELLS_LIBPQ_LOOKUP
    return NULL;
}
#endif
