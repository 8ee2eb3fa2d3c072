/* dynsess.h - web sessions for C99/C++ (sealed cookie, memory, DynamoDB)
   version 0.1.0

   In ONE .c file:
       #define DYNSESS_IMPLEMENTATION
       #include "dynsess.h"
   Everywhere else just #include "dynsess.h".

   (The full manual - QUICK START, TABLE OF CONTENTS, COMPILE-TIME OPTIONS,
   THREADS AND LIFETIMES, ERRORS, LIMITS - is filled in as sections land.)

   TABLE OF CONTENTS (grep for the tag: it marks both halves)
       @config     options, status codes, errors, allocator, buffers, random, clock
       @json       strict RFC 8259 codec
       @crypto     SHA-256, HMAC, HKDF, XChaCha20-Poly1305
       @sigv4      AWS Signature Version 4 signer
       @transport  HTTP transport interface and bundled transports
       @store      store interface; memory, sealed-cookie and DynamoDB stores
       @session    session dict, Cookie header parsing, request cycle

   License: see the end of the file.
*/
#ifndef DYNSESS_H
#define DYNSESS_H

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
   @config  options, status codes, errors, allocator, logger, buffers,
            size math, wipe, constant-time compare, base64url/hex,
            OS randomness, clock
   Does: the plumbing every other section uses. Allocates only in
   dynsess_buf. Assumes: a hosted C99 libc; POSIX for randomness and the
   clock (getrandom(2) where present, else /dev/urandom).
   ====================================================================== */
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define DYNSESS__UNUSED __attribute__((unused))
#else
#define DYNSESS__UNUSED
#endif

#ifndef DYNSESS_DEF
#ifdef DYNSESS_STATIC
#define DYNSESS_DEF static DYNSESS__UNUSED
#else
#define DYNSESS_DEF extern
#endif
#endif

#define DYNSESS_VERSION_MAJOR 0
#define DYNSESS_VERSION_MINOR 1
#define DYNSESS_VERSION_STRING "0.1.0"

/* ---- status codes: one X-macro list makes the enum and dynsess_strerror */
#define DYNSESS__STATUS_LIST(X)                                              \
    X(OK,          "ok")                                                     \
    X(E_NOMEM,     "out of memory")                                          \
    X(E_ARG,       "invalid argument")                                       \
    X(E_CONFIG,    "invalid configuration")                                  \
    X(E_JSON,      "malformed json")                                         \
    X(E_DEPTH,     "json nesting too deep")                                  \
    X(E_LIMIT,     "size limit exceeded")                                    \
    X(E_TYPE,      "wrong value type")                                       \
    X(E_NOTFOUND,  "not found")                                              \
    X(E_EXISTS,    "already exists")                                         \
    X(E_CONFLICT,  "concurrent modification")                                \
    X(E_AUTH,      "authentication failed")                                  \
    X(E_RANDOM,    "no secure randomness available")                         \
    X(E_COOKIE,    "malformed cookie")                                       \
    X(E_COOKIE_SIZE, "cookie exceeds the browser size limit")                \
    X(E_BUFFER,    "output buffer too small")                                \
    X(E_CONNECT,   "connection failed")                                      \
    X(E_TIMEOUT,   "timed out")                                              \
    X(E_HTTP,      "bad http response")                                      \
    X(E_AWS,       "aws service error")                                      \
    X(E_THROTTLED, "request throttled")                                      \
    X(E_CREDENTIALS, "no usable aws credentials")                            \
    X(E_UNSUPPORTED, "not supported")                                        \
    X(E_IO,        "i/o error")                                              \
    X(E_INTERNAL,  "internal error")

typedef enum dynsess_status {
#define DYNSESS__STATUS_ENUM(name, text) DYNSESS_##name,
    DYNSESS__STATUS_LIST(DYNSESS__STATUS_ENUM)
#undef DYNSESS__STATUS_ENUM
    DYNSESS__STATUS_COUNT
} dynsess_status;

/* Returns a static, lower-case description of `code`; never 0. */
DYNSESS_DEF const char *dynsess_strerror(dynsess_status code);

/* ---- errors: a code plus a readable message, owned by the caller ------ */
#define DYNSESS_NO_OFFSET ((size_t)-1)
#define DYNSESS_ERROR_MSG_SIZE 160
typedef struct dynsess_error {
    dynsess_status code;   /* the value the call returned; DYNSESS_OK == 0      */
    size_t offset;         /* byte offset in the input, or DYNSESS_NO_OFFSET    */
    char msg[DYNSESS_ERROR_MSG_SIZE]; /* "json: unexpected ',' at offset 17"    */
} dynsess_error;
/* Sets err to {DYNSESS_OK, DYNSESS_NO_OFFSET, ""}. err may be 0. */
DYNSESS_DEF void dynsess_error_clear(dynsess_error *err);

/* ---- strings: pointer + length, never assumed NUL-terminated ----------- */
typedef struct dynsess_str { const char *ptr; size_t len; } dynsess_str;
/* A dynsess_str over a NUL-terminated string (0 gives {0,0}). */
DYNSESS_DEF dynsess_str dynsess_cstr(const char *s);

/* ---- allocator: {0} means DYNSESS_MALLOC / DYNSESS_REALLOC / DYNSESS_FREE.
   alloc and free come together or not at all (else DYNSESS_E_CONFIG);
   realloc is optional (0 -> alloc + copy + free). */
typedef struct dynsess_allocator {
    void *(*alloc)(void *user, size_t size);
    void *(*realloc)(void *user, void *ptr, size_t old_size, size_t new_size);
    void (*free)(void *user, void *ptr);
    void *user;
} dynsess_allocator;

/* ---- logger: the only channel for notices; {0} -> silent (we never print) */
typedef enum dynsess_log_level {
    DYNSESS_LOG_DEBUG = 0, DYNSESS_LOG_INFO, DYNSESS_LOG_WARN, DYNSESS_LOG_ERROR
} dynsess_log_level;
typedef struct dynsess_logger {
    void (*func)(void *user, dynsess_log_level level, const char *msg);
    void *user;
} dynsess_logger;

/* ---- clock and randomness hooks: {0} -> real clock / OS CSPRNG --------- */
typedef struct dynsess_clock {
    int64_t (*now)(void *user);          /* epoch seconds */
    void *user;
} dynsess_clock;
typedef struct dynsess_rng {
    /* fill buf with n unpredictable bytes; return DYNSESS_OK or an error */
    dynsess_status (*fill)(void *user, void *buf, size_t n);
    void *user;
} dynsess_rng;

/* ---- growable byte buffer, always NUL-terminated after len ------------- */
typedef struct dynsess_buf {
    char  *ptr;       /* 0 until the first append */
    size_t len;       /* bytes used (the NUL after them is not counted) */
    size_t cap;       /* bytes allocated */
    size_t limit;     /* 0 -> no limit; else appends past it fail E_LIMIT */
    dynsess_allocator alloc;
} dynsess_buf;
/* Initialises an empty buffer. alloc may be 0 (default allocator). */
DYNSESS_DEF void dynsess_buf_init(dynsess_buf *b, const dynsess_allocator *alloc);
/* Appends n bytes. E_NOMEM or E_LIMIT leaves b unchanged. */
DYNSESS_DEF dynsess_status dynsess_buf_append(dynsess_buf *b, const void *p, size_t n,
                                              dynsess_error *err);
DYNSESS_DEF dynsess_status dynsess_buf_appendz(dynsess_buf *b, const char *s, dynsess_error *err);
/* Makes room for n more bytes without changing len. */
DYNSESS_DEF dynsess_status dynsess_buf_reserve(dynsess_buf *b, size_t n, dynsess_error *err);
/* len = 0, memory kept. */
DYNSESS_DEF void dynsess_buf_reset(dynsess_buf *b);
/* Frees the memory (wiping it first) and re-initialises b with the same allocator. */
DYNSESS_DEF void dynsess_buf_free(dynsess_buf *b);
/* Hands the bytes over: returns ptr (NUL-terminated, caller frees with the
   buffer's allocator, see dynsess_free) and leaves b empty. */
DYNSESS_DEF char *dynsess_buf_take(dynsess_buf *b, size_t *len);
/* Frees memory obtained from the library with allocator a (0 -> default). */
DYNSESS_DEF void dynsess_free(const dynsess_allocator *a, void *p);

/* ---- wipe and constant-time compare ------------------------------------ */
/* Zeroes n bytes through volatile stores the compiler cannot drop. */
DYNSESS_DEF void dynsess_wipe(void *p, size_t n);
/* 1 if the n bytes are equal, else 0. CT: time depends on n only. */
DYNSESS_DEF int dynsess_ct_equal(const void *a, const void *b, size_t n);

/* ---- base64url (RFC 4648 §5, no padding) and hex ---------------------- */
#define DYNSESS_BASE64URL_LEN(n) ((((n) / 3) * 4) + ((n) % 3 ? (n) % 3 + 1 : 0))
/* Encodes n bytes into out (cap >= DYNSESS_BASE64URL_LEN(n) + 1, NUL-terminated).
   Returns the encoded length, or (size_t)-1 if cap is too small. */
DYNSESS_DEF size_t dynsess_base64url_encode(const void *in, size_t n, char *out, size_t cap);
/* Strict decoder: rejects '=', whitespace, characters outside [A-Za-z0-9-_],
   a length of 4k+1 and non-zero padding bits (non-canonical tails).
   E_COOKIE (with offset) on bad input, E_BUFFER if cap is too small. */
DYNSESS_DEF dynsess_status dynsess_base64url_decode(const char *in, size_t n, uint8_t *out,
                                                    size_t cap, size_t *out_len,
                                                    dynsess_error *err);
/* Lower-case hex; out must hold 2n+1 bytes (NUL-terminated). */
DYNSESS_DEF void dynsess_hex_encode(const void *in, size_t n, char *out);
/* Accepts either case; E_ARG on odd length or a non-hex digit. */
DYNSESS_DEF dynsess_status dynsess_hex_decode(const char *in, size_t n, uint8_t *out, size_t cap,
                                              size_t *out_len, dynsess_error *err);

/* ---- OS randomness and clock -------------------------------------------- */
/* Fills buf from getrandom(2), falling back to /dev/urandom. E_RANDOM if
   both fail: never a weak fallback. Thread-safe. */
DYNSESS_DEF dynsess_status dynsess_random_bytes(void *buf, size_t n, dynsess_error *err);
/* Epoch seconds from the real clock. */
DYNSESS_DEF int64_t dynsess_time_now(void);

/* ======================================================================
   @json  strict RFC 8259 codec: parse into an arena-owned tree, write
          compact text; build and edit values
   Does: all values of a document live in its arena (dynsess_doc) and are
   freed together by dynsess_doc_free. Assumes: input is UTF-8; nesting is
   bounded by an explicit depth limit (no recursion on input depth).
   ====================================================================== */
typedef enum dynsess_json_type {
    DYNSESS_JSON_NULL = 0,
    DYNSESS_JSON_BOOL,
    DYNSESS_JSON_INT,     /* integer literal that fits int64_t: exact */
    DYNSESS_JSON_REAL,    /* any other number: a finite double */
    DYNSESS_JSON_STRING,  /* UTF-8, explicit length, may contain NUL */
    DYNSESS_JSON_ARRAY,
    DYNSESS_JSON_OBJECT   /* keys unique: on parse the last duplicate wins */
} dynsess_json_type;

typedef struct dynsess_value dynsess_value; /* opaque; owned by its doc */
typedef struct dynsess_doc dynsess_doc;     /* arena of values */

typedef struct dynsess_json_opts {
    uint32_t max_depth;   /* 0 -> 128: deeper input fails E_DEPTH */
    size_t max_len;       /* 0 -> 1 MiB (1048576): longer input fails E_LIMIT */
} dynsess_json_opts;

/* Creates an empty document. alloc may be 0. Free with dynsess_doc_free. */
DYNSESS_DEF dynsess_status dynsess_doc_new(const dynsess_allocator *alloc, dynsess_doc **out,
                                           dynsess_error *err);
/* Frees the document and every value in it. doc may be 0. */
DYNSESS_DEF void dynsess_doc_free(dynsess_doc *doc);

/* Parses len bytes of src into doc; *root is borrowed until doc is freed.
   Strict RFC 8259. Errors: E_JSON (message gives the byte offset), E_DEPTH,
   E_LIMIT, E_NOMEM. opts may be 0. */
DYNSESS_DEF dynsess_status dynsess_json_parse(dynsess_doc *doc, const char *src, size_t len,
                                              const dynsess_json_opts *opts, dynsess_value **root,
                                              dynsess_error *err);
/* Appends the compact serialization of v to out. Doubles print so that they
   parse back to the same double. Errors: E_NOMEM, E_LIMIT (out->limit). */
DYNSESS_DEF dynsess_status dynsess_json_write(const dynsess_value *v, dynsess_buf *out,
                                              dynsess_error *err);

/* ---- reading values (v may be 0: reads as null / 0 / empty) ----------- */
DYNSESS_DEF dynsess_json_type dynsess_value_type(const dynsess_value *v);
DYNSESS_DEF int dynsess_value_bool(const dynsess_value *v);        /* 0/1 */
DYNSESS_DEF int64_t dynsess_value_int(const dynsess_value *v);     /* REAL truncates */
DYNSESS_DEF double dynsess_value_real(const dynsess_value *v);     /* INT converts */
DYNSESS_DEF dynsess_str dynsess_value_str(const dynsess_value *v); /* borrowed */
DYNSESS_DEF size_t dynsess_value_len(const dynsess_value *v);      /* array/object size */
DYNSESS_DEF const dynsess_value *dynsess_array_at(const dynsess_value *arr, size_t i);
DYNSESS_DEF dynsess_str dynsess_object_key_at(const dynsess_value *obj, size_t i);
DYNSESS_DEF const dynsess_value *dynsess_object_value_at(const dynsess_value *obj, size_t i);
/* Member named key, or 0. */
DYNSESS_DEF const dynsess_value *dynsess_object_get(const dynsess_value *obj, const char *key,
                                                    size_t key_len);
/* 1 if a and b are the same JSON value (objects compare as unordered maps). */
DYNSESS_DEF int dynsess_value_equal(const dynsess_value *a, const dynsess_value *b);

/* ---- building values: allocated in doc; return 0 only on E_NOMEM -------- */
DYNSESS_DEF dynsess_value *dynsess_value_new_null(dynsess_doc *doc);
DYNSESS_DEF dynsess_value *dynsess_value_new_bool(dynsess_doc *doc, int b);
DYNSESS_DEF dynsess_value *dynsess_value_new_int(dynsess_doc *doc, int64_t i);
/* 0 also for NaN and infinities, which JSON cannot carry. */
DYNSESS_DEF dynsess_value *dynsess_value_new_real(dynsess_doc *doc, double d);
/* Copies the bytes. Fails (returns 0) on invalid UTF-8. */
DYNSESS_DEF dynsess_value *dynsess_value_new_string(dynsess_doc *doc, const char *s, size_t len);
DYNSESS_DEF dynsess_value *dynsess_value_new_array(dynsess_doc *doc);
DYNSESS_DEF dynsess_value *dynsess_value_new_object(dynsess_doc *doc);
/* Deep copy of v (from any doc) into doc. */
DYNSESS_DEF dynsess_value *dynsess_value_copy(dynsess_doc *doc, const dynsess_value *v);
/* Appends val (which must belong to doc) to arr. */
DYNSESS_DEF dynsess_status dynsess_array_push(dynsess_doc *doc, dynsess_value *arr,
                                              dynsess_value *val, dynsess_error *err);
/* Sets obj[key] = val (val must belong to doc), replacing an existing member. */
DYNSESS_DEF dynsess_status dynsess_object_set(dynsess_doc *doc, dynsess_value *obj, const char *key,
                                              size_t key_len, dynsess_value *val,
                                              dynsess_error *err);
/* Removes obj[key]; returns 1 if it was there. Member order of the rest is kept. */
DYNSESS_DEF int dynsess_object_remove(dynsess_value *obj, const char *key, size_t key_len);
/* Removes every member of obj / element of arr. */
DYNSESS_DEF void dynsess_value_clear(dynsess_value *v);

/* ======================================================================
   @crypto  SHA-256, HMAC-SHA256, HKDF-SHA256, ChaCha20, Poly1305,
            XChaCha20-Poly1305 AEAD
   Does: no allocation; contexts are caller-owned plain structs (memcpy
   clones them). Assumes: sizes fixed in prototypes; timing depends on
   lengths only (each function has a "CT:" note). With DYNSESS_USE_BEARSSL
   (implementation only) the primitives come from BearSSL.
   ====================================================================== */
#define DYNSESS_SHA256_SIZE 32
#define DYNSESS_SHA256_BLOCK 64
#define DYNSESS_XCHACHA_KEY_SIZE 32
#define DYNSESS_XCHACHA_NONCE_SIZE 24
#define DYNSESS_AEAD_TAG_SIZE 16

typedef struct dynsess_sha256_ctx {
    uint32_t state[8];
    uint64_t count;                 /* bytes hashed so far */
    uint8_t buf[DYNSESS_SHA256_BLOCK];
} dynsess_sha256_ctx;

DYNSESS_DEF void dynsess_sha256_init(dynsess_sha256_ctx *c);
DYNSESS_DEF void dynsess_sha256_update(dynsess_sha256_ctx *c, const void *p, size_t n);
/* Writes the digest; c is left unchanged (an intermediate digest is allowed). */
DYNSESS_DEF void dynsess_sha256_final(const dynsess_sha256_ctx *c, uint8_t out[DYNSESS_SHA256_SIZE]);
DYNSESS_DEF void dynsess_sha256(const void *p, size_t n, uint8_t out[DYNSESS_SHA256_SIZE]);

typedef struct dynsess_hmac_sha256_ctx {
    dynsess_sha256_ctx inner, outer;
} dynsess_hmac_sha256_ctx;

DYNSESS_DEF void dynsess_hmac_sha256_init(dynsess_hmac_sha256_ctx *c, const void *key, size_t key_len);
DYNSESS_DEF void dynsess_hmac_sha256_update(dynsess_hmac_sha256_ctx *c, const void *p, size_t n);
/* Writes the MAC; c is left unchanged. Wipe c with dynsess_wipe when done. */
DYNSESS_DEF void dynsess_hmac_sha256_final(const dynsess_hmac_sha256_ctx *c,
                                           uint8_t out[DYNSESS_SHA256_SIZE]);
DYNSESS_DEF void dynsess_hmac_sha256(const void *key, size_t key_len, const void *p, size_t n,
                                     uint8_t out[DYNSESS_SHA256_SIZE]);

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
    int64_t created_at;   /* epoch s: when the session was first created          */
    int64_t expires_at;   /* epoch s: dead at or after this (idle or absolute)    */
    int64_t version;      /* optimistic-lock counter; 0 if the store has none     */
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

/* ----------------------------------------------------------------------
   @store >cookie  the sealed-cookie store (the default store)
   The whole session travels in the cookie, sealed with XChaCha20-Poly1305
   under a key derived (HKDF-SHA256) from the first secret; any secret opens.
   ---------------------------------------------------------------------- */
#define DYNSESS_MAX_SECRETS 4
#define DYNSESS_MIN_SECRET_LEN 32

typedef struct dynsess_cookie_desc {
    dynsess_str secrets[DYNSESS_MAX_SECRETS]; /* [0] seals, all open; each >= 32 bytes,
                                                 none or shorter -> E_CONFIG          */
    const char *cookie_name;      /* 0 -> "session"; bound into the seal             */
    size_t max_cookie_len;        /* 0 -> 4096: longest sealed value it will emit    */
    dynsess_rng rng;              /* {0} -> OS CSPRNG (nonces)                       */
    dynsess_allocator allocator;  /* {0} -> DYNSESS_MALLOC / DYNSESS_FREE            */
} dynsess_cookie_desc;

/* Creates a sealed-cookie store. Copies the secrets (and wipes its copies on
   close). Errors: E_CONFIG (missing/short secret), E_NOMEM. */
DYNSESS_DEF dynsess_status dynsess_store_cookie_new(const dynsess_cookie_desc *desc,
                                                    dynsess_store **out, dynsess_error *err);

#ifdef __cplusplus
}
#endif

#endif /* DYNSESS_H */

#if defined(DYNSESS_IMPLEMENTATION) && !defined(DYNSESS__IMPLEMENTED)
#define DYNSESS__IMPLEMENTED

/* ======================================================================
   @config  implementation: allocator hooks, errors, buffers, wipe,
            constant-time compare, base64url/hex, OS randomness, clock
   Assumes: POSIX (getrandom(2) on Linux/glibc >= 2.25 or /dev/urandom).
   ====================================================================== */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <stdarg.h>
#include <errno.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
#include <sys/random.h>
#define DYNSESS__HAVE_GETRANDOM 1
#endif

#if defined(DYNSESS_MALLOC) != defined(DYNSESS_FREE)
#error "dynsess.h: define both DYNSESS_MALLOC and DYNSESS_FREE, or neither"
#endif
#if defined(DYNSESS_REALLOC) && !defined(DYNSESS_MALLOC)
#error "dynsess.h: DYNSESS_REALLOC needs DYNSESS_MALLOC and DYNSESS_FREE too"
#endif
#ifndef DYNSESS_MALLOC
#define DYNSESS_MALLOC(size, user) ((void)(user), malloc(size))
#define DYNSESS_FREE(ptr, user) ((void)(user), free(ptr))
#ifndef DYNSESS_REALLOC
#define DYNSESS_REALLOC(ptr, size, user) ((void)(user), realloc(ptr, size))
#endif
#endif
#ifndef DYNSESS_ASSERT
#include <assert.h>
#define DYNSESS_ASSERT(x) assert(x)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define DYNSESS__LIKELY(x) __builtin_expect(!!(x), 1)
#define DYNSESS__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define DYNSESS__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DYNSESS__LIKELY(x) (x)
#define DYNSESS__UNLIKELY(x) (x)
#define DYNSESS__PRINTF(a, b)
#endif

/* Fills zero fields of a desc with their defaults. */
#define DYNSESS__DEF(v, dflt) ((v) = ((v) ? (v) : (dflt)))

/* ---- status strings ------------------------------------------------------ */
DYNSESS_DEF const char *dynsess_strerror(dynsess_status code) {
    static const char *const texts[] = {
#define DYNSESS__STATUS_TEXT(name, text) text,
        DYNSESS__STATUS_LIST(DYNSESS__STATUS_TEXT)
#undef DYNSESS__STATUS_TEXT
    };
    if ((int)code < 0 || (int)code >= (int)DYNSESS__STATUS_COUNT) return "unknown status";
    return texts[code];
}

DYNSESS_DEF void dynsess_error_clear(dynsess_error *err) {
    if (!err) return;
    err->code = DYNSESS_OK;
    err->offset = DYNSESS_NO_OFFSET;
    err->msg[0] = 0;
}

/* Records a failure in err (if any) and returns code. fmt never carries
   secrets: callers pass section names, offsets and field names only. */
static DYNSESS__UNUSED DYNSESS__PRINTF(4, 5) dynsess_status dynsess__fail(dynsess_error *err, dynsess_status code,
                                                         size_t offset, const char *fmt, ...) {
    va_list ap;
    if (!err) return code;
    err->code = code;
    err->offset = offset;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

/* Keeps a callee's error but prefixes context: "dynamodb: " + msg. */
static DYNSESS__UNUSED dynsess_status dynsess__fail_nomem(dynsess_error *err, const char *section) {
    return dynsess__fail(err, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "%s: out of memory", section);
}

DYNSESS_DEF dynsess_str dynsess_cstr(const char *s) {
    dynsess_str r;
    r.ptr = s;
    r.len = s ? strlen(s) : 0;
    return r;
}

/* ---- allocation ----------------------------------------------------------- */
static DYNSESS__UNUSED int dynsess__size_add(size_t a, size_t b, size_t *out) {
    if (a > (size_t)-1 - b) return 0;
    *out = a + b;
    return 1;
}
static DYNSESS__UNUSED int dynsess__size_mul(size_t a, size_t b, size_t *out) {
    if (b && a > (size_t)-1 / b) return 0;
    *out = a * b;
    return 1;
}

static DYNSESS__UNUSED void *dynsess__alloc(const dynsess_allocator *a, size_t n) {
    if (n == 0) n = 1;
    if (a && a->alloc) return a->alloc(a->user, n);
    return DYNSESS_MALLOC(n, a ? a->user : 0);
}
static DYNSESS__UNUSED void dynsess__free(const dynsess_allocator *a, void *p) {
    if (!p) return;
    if (a && a->free) { a->free(a->user, p); return; }
    DYNSESS_FREE(p, a ? a->user : 0);
}
/* On failure returns 0 and leaves p allocated and unchanged. */
static DYNSESS__UNUSED void *dynsess__realloc(const dynsess_allocator *a, void *p, size_t old_n, size_t n) {
    void *q;
    if (!p) return dynsess__alloc(a, n);
    if (n == 0) n = 1;
    if (a && a->alloc) {
        if (a->realloc) return a->realloc(a->user, p, old_n, n);
        q = a->alloc(a->user, n);
        if (!q) return 0;
        memcpy(q, p, old_n < n ? old_n : n);
        a->free(a->user, p);
        return q;
    }
#ifdef DYNSESS_REALLOC
    (void)old_n;
    return DYNSESS_REALLOC(p, n, a ? a->user : 0);
#else
    q = DYNSESS_MALLOC(n, a ? a->user : 0);
    if (!q) return 0;
    memcpy(q, p, old_n < n ? old_n : n);
    DYNSESS_FREE(p, a ? a->user : 0);
    return q;
#endif
}
/* 1 if the allocator is usable: {0}, or alloc and free both set. */
static DYNSESS__UNUSED int dynsess__allocator_valid(const dynsess_allocator *a) {
    return !a || (!a->alloc == !a->free && (a->alloc || !a->realloc));
}

DYNSESS_DEF void dynsess_free(const dynsess_allocator *a, void *p) { dynsess__free(a, p); }

/* ---- wipe and compare ----------------------------------------------------- */
DYNSESS_DEF void dynsess_wipe(void *p, size_t n) {
    volatile unsigned char *v = (volatile unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) v[i] = 0;
}

/* CT: time depends on n only. */
DYNSESS_DEF int dynsess_ct_equal(const void *a, const void *b, size_t n) {
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    unsigned diff = 0;
    size_t i;
    for (i = 0; i < n; i++) diff |= (unsigned)(x[i] ^ y[i]);
    return (int)(1 & ((diff - 1) >> 8));
}

/* ---- buffers ---------------------------------------------------------------- */
DYNSESS_DEF void dynsess_buf_init(dynsess_buf *b, const dynsess_allocator *alloc) {
    b->ptr = 0;
    b->len = b->cap = b->limit = 0;
    if (alloc) b->alloc = *alloc;
    else memset(&b->alloc, 0, sizeof b->alloc);
}

DYNSESS_DEF dynsess_status dynsess_buf_reserve(dynsess_buf *b, size_t n, dynsess_error *err) {
    size_t need, cap;
    char *p;
    if (!dynsess__size_add(b->len, n, &need) || !dynsess__size_add(need, 1, &need))
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "buf: size overflow");
    if (b->limit && need - 1 > b->limit)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                             "buf: %lu bytes exceed the limit of %lu", (unsigned long)(need - 1),
                             (unsigned long)b->limit);
    if (need <= b->cap) return DYNSESS_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > (size_t)-1 / 2) { cap = need; break; }
        cap *= 2;
    }
    p = (char *)dynsess__realloc(&b->alloc, b->ptr, b->cap, cap);
    if (!p) return dynsess__fail_nomem(err, "buf");
    b->ptr = p;
    b->cap = cap;
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_buf_append(dynsess_buf *b, const void *p, size_t n,
                                              dynsess_error *err) {
    dynsess_status rc = dynsess_buf_reserve(b, n, err);
    if (rc) return rc;
    if (n) memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = 0;
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_buf_appendz(dynsess_buf *b, const char *s, dynsess_error *err) {
    return dynsess_buf_append(b, s, strlen(s), err);
}

DYNSESS_DEF void dynsess_buf_reset(dynsess_buf *b) {
    b->len = 0;
    if (b->ptr) b->ptr[0] = 0;
}

DYNSESS_DEF void dynsess_buf_free(dynsess_buf *b) {
    dynsess_allocator a = b->alloc;
    size_t limit = b->limit;
    if (b->ptr) {
        dynsess_wipe(b->ptr, b->cap);
        dynsess__free(&a, b->ptr);
    }
    dynsess_buf_init(b, &a);
    b->limit = limit;
}

DYNSESS_DEF char *dynsess_buf_take(dynsess_buf *b, size_t *len) {
    char *p = b->ptr;
    if (len) *len = b->len;
    b->ptr = 0;
    b->len = b->cap = 0;
    return p;
}

/* ---- base64url and hex --------------------------------------------------- */
static const char dynsess__b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

DYNSESS_DEF size_t dynsess_base64url_encode(const void *in, size_t n, char *out, size_t cap) {
    const uint8_t *s = (const uint8_t *)in;
    size_t olen = DYNSESS_BASE64URL_LEN(n), i = 0, o = 0;
    if (n > ((size_t)-1 / 4) * 3 - 3 || cap < olen + 1) return (size_t)-1;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)s[i] << 16) | ((uint32_t)s[i + 1] << 8) | s[i + 2];
        out[o++] = dynsess__b64url_alphabet[(v >> 18) & 63];
        out[o++] = dynsess__b64url_alphabet[(v >> 12) & 63];
        out[o++] = dynsess__b64url_alphabet[(v >> 6) & 63];
        out[o++] = dynsess__b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        out[o++] = dynsess__b64url_alphabet[(v >> 18) & 63];
        out[o++] = dynsess__b64url_alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)s[i] << 16) | ((uint32_t)s[i + 1] << 8);
        out[o++] = dynsess__b64url_alphabet[(v >> 18) & 63];
        out[o++] = dynsess__b64url_alphabet[(v >> 12) & 63];
        out[o++] = dynsess__b64url_alphabet[(v >> 6) & 63];
    }
    out[o] = 0;
    return o;
}

/* Value of a base64url character, or -1. */
static DYNSESS__UNUSED int dynsess__b64url_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

DYNSESS_DEF dynsess_status dynsess_base64url_decode(const char *in, size_t n, uint8_t *out,
                                                    size_t cap, size_t *out_len,
                                                    dynsess_error *err) {
    size_t i, o = 0, need = (n / 4) * 3 + (n % 4 ? n % 4 - 1 : 0);
    uint32_t acc = 0;
    int bits = 0;
    if (n % 4 == 1)
        return dynsess__fail(err, DYNSESS_E_COOKIE, n - 1,
                             "base64url: impossible length %lu", (unsigned long)n);
    if (need > cap)
        return dynsess__fail(err, DYNSESS_E_BUFFER, DYNSESS_NO_OFFSET,
                             "base64url: output needs %lu bytes, buffer has %lu",
                             (unsigned long)need, (unsigned long)cap);
    for (i = 0; i < n; i++) {
        int v = dynsess__b64url_value((unsigned char)in[i]);
        if (v < 0)
            return dynsess__fail(err, DYNSESS_E_COOKIE, i,
                                 "base64url: invalid character at offset %lu", (unsigned long)i);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* RFC 4648 §3.5: pad bits must be zero (canonical encoding) */
        return dynsess__fail(err, DYNSESS_E_COOKIE, n - 1,
                             "base64url: non-canonical trailing bits at offset %lu",
                             (unsigned long)(n - 1));
    if (out_len) *out_len = o;
    return DYNSESS_OK;
}

DYNSESS_DEF void dynsess_hex_encode(const void *in, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    const uint8_t *s = (const uint8_t *)in;
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[s[i] >> 4];
        out[2 * i + 1] = digits[s[i] & 15];
    }
    out[2 * n] = 0;
}

static DYNSESS__UNUSED int dynsess__hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

DYNSESS_DEF dynsess_status dynsess_hex_decode(const char *in, size_t n, uint8_t *out, size_t cap,
                                              size_t *out_len, dynsess_error *err) {
    size_t i;
    if (n % 2)
        return dynsess__fail(err, DYNSESS_E_ARG, n, "hex: odd length %lu", (unsigned long)n);
    if (n / 2 > cap)
        return dynsess__fail(err, DYNSESS_E_BUFFER, DYNSESS_NO_OFFSET, "hex: output buffer too small");
    for (i = 0; i < n; i += 2) {
        int hi = dynsess__hex_value((unsigned char)in[i]);
        int lo = dynsess__hex_value((unsigned char)in[i + 1]);
        if (hi < 0 || lo < 0)
            return dynsess__fail(err, DYNSESS_E_ARG, hi < 0 ? i : i + 1,
                                 "hex: invalid digit at offset %lu",
                                 (unsigned long)(hi < 0 ? i : i + 1));
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    if (out_len) *out_len = n / 2;
    return DYNSESS_OK;
}

/* ---- OS randomness --------------------------------------------------------- */
static DYNSESS__UNUSED int dynsess__urandom(void *buf, size_t n) {
    unsigned char *p = (unsigned char *)buf;
    int fd;
    do fd = open("/dev/urandom", O_RDONLY);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return 0;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { close(fd); return 0; }
        p += r;
        n -= (size_t)r;
    }
    close(fd);
    return 1;
}

DYNSESS_DEF dynsess_status dynsess_random_bytes(void *buf, size_t n, dynsess_error *err) {
#ifdef DYNSESS__HAVE_GETRANDOM
    unsigned char *p = (unsigned char *)buf;
    size_t left = n;
    while (left) {
        ssize_t r = getrandom(p, left, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break; /* ENOSYS (old kernel) or EPERM (seccomp): try the device */
        p += r;
        left -= (size_t)r;
    }
    if (!left) return DYNSESS_OK;
#endif
    if (dynsess__urandom(buf, n)) return DYNSESS_OK;
    dynsess_wipe(buf, n);
    return dynsess__fail(err, DYNSESS_E_RANDOM, DYNSESS_NO_OFFSET,
                         "random: neither getrandom(2) nor /dev/urandom is available");
}

/* Draws from the hook if set, else from the OS. */
static DYNSESS__UNUSED dynsess_status dynsess__rng_fill(const dynsess_rng *rng, void *buf, size_t n,
                                        dynsess_error *err) {
    dynsess_status rc;
    if (!rng || !rng->fill) return dynsess_random_bytes(buf, n, err);
    rc = rng->fill(rng->user, buf, n);
    if (rc) return dynsess__fail(err, DYNSESS_E_RANDOM, DYNSESS_NO_OFFSET,
                                 "random: the rng hook failed (%s)", dynsess_strerror(rc));
    return DYNSESS_OK;
}

/* ---- clock -------------------------------------------------------------------- */
DYNSESS_DEF int64_t dynsess_time_now(void) { return (int64_t)time(0); }

static DYNSESS__UNUSED int64_t dynsess__clock_now(const dynsess_clock *c) {
    return (c && c->now) ? c->now(c->user) : dynsess_time_now();
}

/* ---- logging ------------------------------------------------------------------ */
static DYNSESS__UNUSED DYNSESS__PRINTF(3, 4) void dynsess__log(const dynsess_logger *lg, dynsess_log_level level,
                                               const char *fmt, ...) {
    char msg[256];
    va_list ap;
    if (!lg || !lg->func) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lg->func(lg->user, level, msg);
}

/* ======================================================================
   @crypto  implementation
   CT: no branch or index depends on key or message bytes.
   ====================================================================== */
static const uint32_t dynsess__sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t dynsess__load32_be(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void dynsess__store32_be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
#define DYNSESS__ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* Portable compression of nblocks 64-byte blocks. CT: data-independent. */
static void dynsess__sha256_blocks_portable(uint32_t st[8], const uint8_t *p, size_t nblocks) {
    uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
    int i;
    while (nblocks--) {
        for (i = 0; i < 16; i++) w[i] = dynsess__load32_be(p + 4 * i);
        for (i = 16; i < 64; i++) {
            uint32_t s0 = DYNSESS__ROR32(w[i - 15], 7) ^ DYNSESS__ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = DYNSESS__ROR32(w[i - 2], 17) ^ DYNSESS__ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        a = st[0]; b = st[1]; c = st[2]; d = st[3]; e = st[4]; f = st[5]; g = st[6]; h = st[7];
        for (i = 0; i < 64; i++) {
            t1 = h + (DYNSESS__ROR32(e, 6) ^ DYNSESS__ROR32(e, 11) ^ DYNSESS__ROR32(e, 25)) +
                 ((e & f) ^ (~e & g)) + dynsess__sha256_k[i] + w[i];
            t2 = (DYNSESS__ROR32(a, 2) ^ DYNSESS__ROR32(a, 13) ^ DYNSESS__ROR32(a, 22)) +
                 ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        st[0] += a; st[1] += b; st[2] += c; st[3] += d;
        st[4] += e; st[5] += f; st[6] += g; st[7] += h;
        p += 64;
    }
    dynsess_wipe(w, sizeof w);
}

DYNSESS_DEF void dynsess_sha256_init(dynsess_sha256_ctx *c) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->state, iv, sizeof iv);
    c->count = 0;
}

DYNSESS_DEF void dynsess_sha256_update(dynsess_sha256_ctx *c, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    size_t used = (size_t)(c->count & 63);
    c->count += n;
    if (used) {
        size_t take = 64 - used < n ? 64 - used : n;
        memcpy(c->buf + used, p, take);
        p += take; n -= take; used += take;
        if (used < 64) return;
        dynsess__sha256_blocks_portable(c->state, c->buf, 1);
    }
    if (n >= 64) {
        dynsess__sha256_blocks_portable(c->state, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n) memcpy(c->buf, p, n);
}

DYNSESS_DEF void dynsess_sha256_final(const dynsess_sha256_ctx *c, uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx t = *c;
    size_t used = (size_t)(t.count & 63);
    uint64_t bits = t.count * 8;
    int i;
    t.buf[used++] = 0x80;
    if (used > 56) {
        memset(t.buf + used, 0, 64 - used);
        dynsess__sha256_blocks_portable(t.state, t.buf, 1);
        used = 0;
    }
    memset(t.buf + used, 0, 56 - used);
    dynsess__store32_be(t.buf + 56, (uint32_t)(bits >> 32));
    dynsess__store32_be(t.buf + 60, (uint32_t)bits);
    dynsess__sha256_blocks_portable(t.state, t.buf, 1);
    for (i = 0; i < 8; i++) dynsess__store32_be(out + 4 * i, t.state[i]);
    dynsess_wipe(&t, sizeof t);
}

DYNSESS_DEF void dynsess_sha256(const void *p, size_t n, uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx c;
    dynsess_sha256_init(&c);
    dynsess_sha256_update(&c, p, n);
    dynsess_sha256_final(&c, out);
    dynsess_wipe(&c, sizeof c);
}

/* RFC 2104. CT: depends on key_len and message length only. */
DYNSESS_DEF void dynsess_hmac_sha256_init(dynsess_hmac_sha256_ctx *c, const void *key, size_t key_len) {
    uint8_t k[DYNSESS_SHA256_BLOCK], pad[DYNSESS_SHA256_BLOCK];
    int i;
    memset(k, 0, sizeof k);
    if (key_len > DYNSESS_SHA256_BLOCK) dynsess_sha256(key, key_len, k);
    else if (key_len) memcpy(k, key, key_len);
    for (i = 0; i < DYNSESS_SHA256_BLOCK; i++) pad[i] = (uint8_t)(k[i] ^ 0x36);
    dynsess_sha256_init(&c->inner);
    dynsess_sha256_update(&c->inner, pad, sizeof pad);
    for (i = 0; i < DYNSESS_SHA256_BLOCK; i++) pad[i] = (uint8_t)(k[i] ^ 0x5c);
    dynsess_sha256_init(&c->outer);
    dynsess_sha256_update(&c->outer, pad, sizeof pad);
    dynsess_wipe(k, sizeof k);
    dynsess_wipe(pad, sizeof pad);
}

DYNSESS_DEF void dynsess_hmac_sha256_update(dynsess_hmac_sha256_ctx *c, const void *p, size_t n) {
    dynsess_sha256_update(&c->inner, p, n);
}

DYNSESS_DEF void dynsess_hmac_sha256_final(const dynsess_hmac_sha256_ctx *c,
                                           uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx o = c->outer;
    uint8_t ih[DYNSESS_SHA256_SIZE];
    dynsess_sha256_final(&c->inner, ih);
    dynsess_sha256_update(&o, ih, sizeof ih);
    dynsess_sha256_final(&o, out);
    dynsess_wipe(ih, sizeof ih);
    dynsess_wipe(&o, sizeof o);
}

DYNSESS_DEF void dynsess_hmac_sha256(const void *key, size_t key_len, const void *p, size_t n,
                                     uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_hmac_sha256_ctx c;
    dynsess_hmac_sha256_init(&c, key, key_len);
    dynsess_hmac_sha256_update(&c, p, n);
    dynsess_hmac_sha256_final(&c, out);
    dynsess_wipe(&c, sizeof c);
}
#undef DYNSESS__ROR32

/* ======================================================================
   @store  implementation of the shared store helpers
   ====================================================================== */
DYNSESS_DEF void dynsess_store_close(dynsess_store *st) {
    if (st && st->vt && st->vt->close) st->vt->close(st);
}

#endif /* DYNSESS_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
MIT License

Copyright (c) 2026 the dynsess.h authors

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
*/
