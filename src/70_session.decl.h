/* ======================================================================
   @session  session dict, Cookie header parsing, Set-Cookie, request cycle
   Does: per request, dynsess_load parses the Cookie header (RFC 6265
   §4.2.1/§5.4) and loads the session from the store (or starts a new,
   empty one); the handler reads and writes the dict; dynsess_save writes
   the store if needed and gives the Set-Cookie value to send.
   Assumes: the dynsess_ctx is set up once and then only read, so several
   threads may run requests on it at once (with a thread-safe store and a
   thread-safe rng hook); a dynsess_session belongs to one request/thread.

   Expiry model: every record has created_at and expires_at.
     expires_at = min(now + idle_timeout_s, created_at + absolute_timeout_s)
   is recomputed at every store write. A write happens at save when the dict
   changed (serialized JSON differs from the loaded one), when the store
   marked the record stale, after regenerate, and - if touch_after_s > 0 -
   when the recomputed expires_at would move by at least touch_after_s
   (so a busy read-only session costs at most one write per touch_after_s).
   A record whose expires_at <= now, or whose created_at + absolute_timeout_s
   <= now, is never adopted: the request gets a new, empty session.
   ====================================================================== */
typedef struct dynsess_ctx dynsess_ctx;         /* opaque; dynsess_setup / dynsess_shutdown */
typedef struct dynsess_session dynsess_session; /* opaque; dynsess_load / dynsess_release    */

typedef enum dynsess_same_site {
    DYNSESS_SAME_SITE_DEFAULT = 0, /* -> DYNSESS_SAME_SITE_LAX                     */
    DYNSESS_SAME_SITE_LAX,         /* SameSite=Lax                                 */
    DYNSESS_SAME_SITE_STRICT,      /* SameSite=Strict                              */
    DYNSESS_SAME_SITE_NONE,        /* SameSite=None (needs Secure: E_CONFIG with
                                      insecure_cookie)                             */
    DYNSESS_SAME_SITE_OMIT         /* no SameSite attribute (browser default)      */
} dynsess_same_site;

#define DYNSESS_ID_BYTES 32   /* session ids: 256 random bits ...            */
#define DYNSESS_ID_LEN 43     /* ... as base64url without padding            */

/* The configuration. Zero means default in every field, and zero is safe.
   The default configuration is:
       cookie_name "session", cookie_path "/", no Domain (host-only cookie),
       max_age_s 3600, SameSite=Lax, Secure, HttpOnly,
       idle_timeout_s 3600, absolute_timeout_s 86400, touch_after_s 0 (off),
       store: the sealed-cookie store made from secrets (required then),
       max_cookie_len 4096, max_session_len 262144, json.max_depth 128,
       max_retries 5, default allocator, silent logger, real clock, OS rng. */
typedef struct dynsess_desc {
    const char *cookie_name;      /* 0 -> "session"; RFC 6265 token characters only   */
    const char *cookie_path;      /* 0 -> "/"; must start with '/'                    */
    const char *cookie_domain;    /* 0 -> no Domain attribute (host-only cookie)      */
    int32_t max_age_s;            /* 0 -> 3600; < 0 -> no Max-Age (browser-session
                                     cookie). Sent as min(max_age_s, seconds until
                                     the record expires)                             */
    dynsess_same_site same_site;  /* 0 -> Lax                                         */
    int insecure_cookie;          /* 0 -> Secure attribute set (browsers accept Secure
                                     cookies on http://localhost)                    */
    int no_http_only;             /* 0 -> HttpOnly attribute set                      */
    int32_t idle_timeout_s;       /* 0 -> 3600: sliding, extended by each write       */
    int32_t absolute_timeout_s;   /* 0 -> 86400: from creation, however active        */
    int32_t touch_after_s;        /* 0 -> off: reads never extend the idle deadline;
                                     N -> reads extend it, writing at most every N s */
    dynsess_str secrets[DYNSESS_MAX_SECRETS]; /* only for the default (sealed-cookie)
                                     store: [0] seals, all open, each >= 32 bytes.
                                     Not kept by the ctx (the cookie store copies
                                     them); dynsess_query_desc reports them empty   */
    dynsess_store *store;         /* 0 -> dynsess_store_cookie_new(secrets...), owned
                                     and closed by the ctx. A store passed in stays
                                     the host's: close it after dynsess_shutdown     */
    size_t max_cookie_len;        /* 0 -> 4096: longest Set-Cookie value emitted;
                                     longer -> E_COOKIE_SIZE, nothing truncated      */
    size_t max_session_len;       /* 0 -> 262144: longest session JSON text saved or
                                     loaded (E_LIMIT at save)                        */
    dynsess_json_opts json;       /* json.max_depth 0 -> 128; json.max_len is
                                     ignored (max_session_len applies)               */
    int max_retries;              /* 0 -> 5: save retries on E_CONFLICT / E_EXISTS    */
    dynsess_allocator allocator;  /* {0} -> DYNSESS_MALLOC / DYNSESS_FREE             */
    dynsess_logger logger;        /* {0} -> silent                                    */
    dynsess_clock clock;          /* {0} -> real clock (tests move time)              */
    dynsess_rng rng;              /* {0} -> OS CSPRNG (tests fix ids)                 */
} dynsess_desc;

/* Validates desc, fills defaults, copies the cookie strings, and creates the
   sealed-cookie store if desc->store is 0. *out is 0 on failure.
   Errors: E_ARG (out or desc is 0), E_CONFIG (message names the field),
   E_NOMEM, and the cookie store's errors (E_CONFIG: missing/short secret). */
DYNSESS_DEF dynsess_status dynsess_setup(dynsess_ctx **out, const dynsess_desc *desc,
                                         dynsess_error *err);
/* Frees the ctx (and the store if the ctx created it). Every session loaded
   from it must be released first. ctx may be 0. */
DYNSESS_DEF void dynsess_shutdown(dynsess_ctx *ctx);
/* The resolved configuration (defaults filled in, secrets emptied). Borrowed
   until dynsess_shutdown. */
DYNSESS_DEF const dynsess_desc *dynsess_query_desc(const dynsess_ctx *ctx);
/* The store the ctx uses (borrowed). */
DYNSESS_DEF dynsess_store *dynsess_query_store(const dynsess_ctx *ctx);

/* ---- request cycle -------------------------------------------------------
   dynsess_load: cookie_header is the value of the request's Cookie header
   (len bytes, NUL not needed; 0 or len 0 -> no cookie). Cookie pairs are
   split on ';', optional spaces/tabs trimmed, a DQUOTE pair around a value
   removed (RFC 6265 §4.1.1), pairs without '=' ignored, names compared
   case-sensitively. If the session cookie appears several times (browsers
   send one per matching path/domain), the occurrences are tried in order
   and the first that loads wins (at most 4 are tried).
   A cookie that is malformed, tampered, unknown to the store, expired or
   past the absolute lifetime is never adopted: the session is new and empty
   and dynsess_session_reason says why. Ids are never taken from the client.
   On OK *out is a session to release with dynsess_release.
   Errors: E_ARG, E_NOMEM, E_RANDOM, and store failures other than
   "not found" (e.g. E_CONNECT, E_AWS): *out is 0 then. */
DYNSESS_DEF dynsess_status dynsess_load(dynsess_ctx *ctx, const char *cookie_header, size_t len,
                                        dynsess_session **out, dynsess_error *err);
/* Writes the session if needed (see the expiry model above) and puts the
   Set-Cookie header VALUE (e.g. "session=...; Path=/; Max-Age=3600;
   HttpOnly; Secure; SameSite=Lax") into set_cookie (cap bytes, NUL-
   terminated), *out_len = its length; *out_len = 0 when nothing needs
   sending. A new session whose dict is empty is not stored (no cookie); if
   the request carried a session cookie that was not adopted, a clearing
   cookie is sent instead.
   Concurrency (versioned stores such as memory and DynamoDB): if another
   request saved the session since this one loaded it (E_CONFLICT), save
   re-loads it and re-applies only the keys this request changed - every key
   it set (even to the same value), popped or that differs from what it
   loaded (clear counts as popping every key it loaded) - onto the fresh
   data, then retries, at most max_retries times (then E_CONFLICT). Other
   keys keep the other request's values. The dict then holds the merged
   data. A new session whose id is taken (E_EXISTS) gets a new id and is
   retried.
   If the session was destroyed meanwhile (logout in another tab: the store
   says E_NOTFOUND), it is not resurrected: save returns OK, the changes are
   dropped, set_cookie holds a clearing cookie and dynsess_session_reason
   says "session: destroyed by another request, changes dropped".
   Errors: E_BUFFER (cap too small; *out_len = the length needed, and cap
   must exceed it by one for the NUL; with server-side stores this is known
   before the write, so nothing was written), E_COOKIE_SIZE (the
   Set-Cookie would exceed max_cookie_len: nothing written, nothing
   truncated), E_LIMIT (session JSON over max_session_len), E_CONFLICT,
   E_EXISTS, E_NOMEM, E_RANDOM, store failures. After an error nothing was
   sent and the session may be saved again (after a conflict merge it holds
   the merged data; after regenerate the old record may already be gone). */
DYNSESS_DEF dynsess_status dynsess_save(dynsess_ctx *ctx, dynsess_session *s, char *set_cookie,
                                        size_t cap, size_t *out_len, dynsess_error *err);
/* Logout: deletes the record from the store, empties the dict and puts a
   clearing Set-Cookie value (Max-Age=0 and Expires in 1970) into set_cookie.
   A later dynsess_save of s writes nothing. Errors: E_BUFFER, store
   failures (the dict is emptied and the cookie written even then). */
DYNSESS_DEF dynsess_status dynsess_destroy(dynsess_ctx *ctx, dynsess_session *s, char *set_cookie,
                                           size_t cap, size_t *out_len, dynsess_error *err);
/* Against session fixation, call on login: the session gets a new id (and a
   new created_at, so the absolute lifetime restarts) and keeps its data.
   Nothing happens in the store until dynsess_save, which deletes the old
   record first and then creates the new one (if the create fails the user
   is logged out rather than left on the old id). With the sealed-cookie
   store the cookie is re-sealed. Errors: E_ARG. */
DYNSESS_DEF dynsess_status dynsess_regenerate(dynsess_ctx *ctx, dynsess_session *s,
                                              dynsess_error *err);
/* Frees the session and all its values. s may be 0. */
DYNSESS_DEF void dynsess_release(dynsess_session *s);

/* ---- the dict: string keys (NUL-terminated UTF-8) to JSON values --------
   Values returned are borrowed until the key is set/popped/cleared or the
   session is released. Setters deep-copy. Setter errors: E_ARG (0 key,
   invalid UTF-8 key/string, NaN/infinity), E_JSON/E_DEPTH (set_json),
   E_NOMEM; the dict is unchanged after an error. */
DYNSESS_DEF const dynsess_value *dynsess_session_get(const dynsess_session *s, const char *key);
DYNSESS_DEF dynsess_status dynsess_session_set(dynsess_session *s, const char *key,
                                               const dynsess_value *v, dynsess_error *err);
DYNSESS_DEF dynsess_status dynsess_session_set_str(dynsess_session *s, const char *key,
                                                   const char *v, dynsess_error *err);
DYNSESS_DEF dynsess_status dynsess_session_set_str_n(dynsess_session *s, const char *key,
                                                     const char *v, size_t len,
                                                     dynsess_error *err);
DYNSESS_DEF dynsess_status dynsess_session_set_int(dynsess_session *s, const char *key,
                                                   int64_t v, dynsess_error *err);
DYNSESS_DEF dynsess_status dynsess_session_set_real(dynsess_session *s, const char *key,
                                                    double v, dynsess_error *err);
DYNSESS_DEF dynsess_status dynsess_session_set_bool(dynsess_session *s, const char *key, int v,
                                                    dynsess_error *err);
DYNSESS_DEF dynsess_status dynsess_session_set_null(dynsess_session *s, const char *key,
                                                    dynsess_error *err);
/* Parses len bytes of raw JSON text (any JSON value) and stores it. */
DYNSESS_DEF dynsess_status dynsess_session_set_json(dynsess_session *s, const char *key,
                                                    const char *json, size_t len,
                                                    dynsess_error *err);
/* Removes key; returns 1 if it was there. */
DYNSESS_DEF int dynsess_session_pop(dynsess_session *s, const char *key);
/* Removes every key. */
DYNSESS_DEF void dynsess_session_clear(dynsess_session *s);
DYNSESS_DEF size_t dynsess_session_count(const dynsess_session *s);
/* Iteration in insertion order, i < count; out of range -> {0,0} / 0. */
DYNSESS_DEF dynsess_str dynsess_session_key_at(const dynsess_session *s, size_t i);
DYNSESS_DEF const dynsess_value *dynsess_session_value_at(const dynsess_session *s, size_t i);
/* The whole dict as a JSON object value (borrowed, read-only). */
DYNSESS_DEF const dynsess_value *dynsess_session_root(const dynsess_session *s);
/* 1 if no record was adopted at load (or after regenerate/destroy). */
DYNSESS_DEF int dynsess_session_is_new(const dynsess_session *s);
/* 1 if the dict's serialized JSON differs from the loaded one (so nested
   edits count). Serializes the dict: O(size). 1 also if that fails (OOM). */
DYNSESS_DEF int dynsess_session_modified(const dynsess_session *s);
/* The session id (borrowed; DYNSESS_ID_LEN chars). Empty for a new session
   before its first save, and always empty for self-contained stores (the
   sealed cookie). */
DYNSESS_DEF dynsess_str dynsess_session_id(const dynsess_session *s);
/* Why the session is new or what happened to it, for host logging: "" when a
   record was adopted; "no session cookie"; "cookie: malformed session id";
   the store's reason ("memory: no such session", "cookie: expired",
   "cookie: authentication failed (...)", ...);
   "session: expired"; "session: destroyed by another request, changes
   dropped". Never holds cookie values. Borrowed. */
DYNSESS_DEF const char *dynsess_session_reason(const dynsess_session *s);
/* epoch seconds of the current record (new session: the load time / planned). */
DYNSESS_DEF int64_t dynsess_session_created_at(const dynsess_session *s);
DYNSESS_DEF int64_t dynsess_session_expires_at(const dynsess_session *s);
/* The document the session's values live in: build arrays/objects there
   (dynsess_value_new_*, dynsess_array_push, ...) and pass them to
   dynsess_session_set, which copies them. */
DYNSESS_DEF dynsess_doc *dynsess_session_doc(dynsess_session *s);
