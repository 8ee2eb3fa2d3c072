/* ----------------------------------------------------------------------
   @store >memory  the in-memory store: a hash table keyed by session id
   Per-session expiry (expired records are dropped when read and by
   dynsess_store_memory_sweep), a bounded number of sessions with a fixed
   eviction rule, optimistic versions, optional locking (pthread mutex).
   Sessions live in this process only: they are lost on restart and not
   shared between processes.
   Eviction rule: a create that finds the store full first drops every
   expired record; if it is still full it evicts the record that expires
   soonest (ties: any of them). Updates, touches and loads never evict.
   Besides, every create drops up to two expired records (amortized clean-up,
   so no timer is needed); dynsess_store_memory_sweep drops them all.
   ---------------------------------------------------------------------- */
typedef struct dynsess_memory_desc {
    size_t max_sessions;          /* 0 -> 10000: most records kept at once          */
    int thread_safe;              /* 0 -> no locking (one thread uses the store);
                                     1 -> a pthread mutex guards every call, so
                                     several server threads can share the store    */
    dynsess_allocator allocator;  /* {0} -> DYNSESS_MALLOC / DYNSESS_FREE           */
} dynsess_memory_desc;

/* Creates an empty memory store. desc may be 0 (all defaults). Close it with
   dynsess_store_close (or hand it to dynsess_setup, which does not take
   ownership of a store the host passes in: the host closes it after
   dynsess_shutdown). Errors: E_CONFIG (half an allocator), E_NOMEM,
   E_RANDOM (the hash seed could not be drawn).
   Versions: every record starts at version 1 and each save adds 1; a save
   whose dynsess_write.version differs fails E_CONFLICT (version 0 in a
   write means "unversioned": no check). is_new on a live id -> E_EXISTS;
   an update or touch of a missing or expired id -> E_NOTFOUND. */
DYNSESS_DEF dynsess_status dynsess_store_memory_new(const dynsess_memory_desc *desc,
                                                    dynsess_store **out, dynsess_error *err);
/* Drops every record with expires_at <= now; returns how many it dropped.
   st must be a memory store (else returns 0). Thread-safe if the store is. */
DYNSESS_DEF size_t dynsess_store_memory_sweep(dynsess_store *st, int64_t now);
/* Number of records held, expired ones not yet dropped included. */
DYNSESS_DEF size_t dynsess_store_memory_count(dynsess_store *st);
