/* ======================================================================
   @store  the store interface: one vtable; the memory, sealed-cookie and
           DynamoDB stores follow in their own sub-sections
   Does: defines what a store must do so the request cycle (@session) can
   use any of them, including host-written ones (Redis, SQLite). Assumes:
   a request runs load, then dict work, then save, with no store calls in
   between; the store is told the time (`now`) and never reads a clock.
   ====================================================================== */
typedef struct dynsess_store dynsess_store;

/* What a store hands back from load. */
typedef struct dynsess_record {
    dynsess_buf data;     /* the session as JSON object text (caller inits/frees) */
    int64_t created_at;   /* epoch s: when the session was first created; keep it
                             exactly as written (0 reads as past the absolute
                             lifetime: the record is not adopted)              */
    int64_t expires_at;   /* epoch s: dead at or after this (idle or absolute)    */
    int64_t version;      /* optimistic-lock counter: 1 at create, +1 per save;
                             0 if the store has none                           */
    int stale;            /* 1: rewrite on the next save even if unchanged (e.g.
                             sealed with an old key: re-seal with the new one)  */
} dynsess_record;

/* What the request cycle asks a store to write. */
typedef struct dynsess_write {
    dynsess_str token;    /* server stores: the session id; cookie store: the
                             cookie value it was loaded from (may be empty)     */
    dynsess_str data;     /* JSON object text                                  */
    int64_t created_at;   /* epoch s                                           */
    int64_t expires_at;   /* epoch s: min(now + idle, created_at + absolute)   */
    int64_t version;      /* the version load returned (0 for a new session)   */
    int is_new;           /* 1: create; must fail E_EXISTS if the id is taken  */
} dynsess_write;

/* Store flags. */
#define DYNSESS_STORE_SELF_CONTAINED 1u /* the cookie carries the data (sealed) */

typedef struct dynsess_store_vt {
    const char *name;     /* "cookie", "memory", "dynamodb", ...               */
    unsigned flags;       /* DYNSESS_STORE_*                                   */
    /* Loads the record for token. Returns OK; E_NOTFOUND when absent, expired
       (expires_at <= now) or unreadable, with the reason in err->msg; any other
       code is a store failure (network, throttling...). */
    dynsess_status (*load)(dynsess_store *st, dynsess_str token, int64_t now,
                           dynsess_record *out, dynsess_error *err);
    /* Writes w. On OK, self-contained stores put the new cookie value in
       token_out (others may leave it empty: the cookie carries w->token).
       Returns E_EXISTS (is_new and the id is taken: never overwrite),
       E_NOTFOUND (the record is gone: an update never resurrects a
       destroyed session), E_CONFLICT (version moved since load). */
    dynsess_status (*save)(dynsess_store *st, const dynsess_write *w, int64_t now,
                           dynsess_buf *token_out, dynsess_error *err);
    /* Deletes the record; deleting an absent one is OK. */
    dynsess_status (*destroy)(dynsess_store *st, dynsess_str token, dynsess_error *err);
    /* Optional (may be 0): moves expires_at without rewriting the data. */
    dynsess_status (*touch)(dynsess_store *st, dynsess_str token, int64_t expires_at,
                            int64_t now, dynsess_error *err);
    /* Frees the store. */
    void (*close)(dynsess_store *st);
} dynsess_store_vt;

/* First member of every store struct. */
struct dynsess_store { const dynsess_store_vt *vt; };

/* Closes any store (st may be 0). */
DYNSESS_DEF void dynsess_store_close(dynsess_store *st);
