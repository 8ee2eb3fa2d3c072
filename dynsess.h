/* dynsess.h - web sessions for C99/C++ (sealed cookie, memory, DynamoDB)
   version 0.1.0                          no dependencies beyond libc + POSIX

   A session dict per request, kept in a sealed cookie (default), in memory,
   or in Amazon DynamoDB, with the cookie, crypto, JSON and AWS request
   signing done right. stb-style: this one file is the whole library.

   In ONE .c file of your project:
       #define DYNSESS_IMPLEMENTATION
       #include "dynsess.h"
   Everywhere else just #include "dynsess.h".

   QUICK START
       static dynsess_ctx *ctx;

       int app_init(const char *secret) {          // >= 32 bytes, e.g. from
           dynsess_desc d;                          // `dynsess keygen`
           memset(&d, 0, sizeof d);                 // zero = defaults
           d.secrets[0] = dynsess_cstr(secret);     // sealed-cookie store
           return dynsess_setup(&ctx, &d, 0);
       }
       void handle(const char *cookie_header, ...) {
           dynsess_session *s; char sc[4096]; size_t n; dynsess_error err;
           if (dynsess_load(ctx, cookie_header, strlen(cookie_header), &s, &err))
               return reply_500(err.msg);
           int64_t visits = dynsess_value_int(dynsess_session_get(s, "visits"));
           dynsess_session_set_int(s, "visits", visits + 1, &err);
           if (dynsess_save(ctx, s, sc, sizeof sc, &n, &err) == DYNSESS_OK && n)
               add_header("Set-Cookie", sc);        // n == 0: nothing to send
           dynsess_release(s);
       }
   Login: dynsess_regenerate(ctx, s, &err) (new id, same data) before save.
   Logout: dynsess_destroy(ctx, s, sc, sizeof sc, &n, &err), send sc.

   TABLE OF CONTENTS (grep for the tag: it marks both halves)
       @config     options, status codes, errors, allocator, buffers,
                   base64url/hex, wipe, OS randomness, clock
       @json       strict RFC 8259 codec, arena-owned value tree
       @crypto     SHA-256 (SHA-NI at run time), HMAC, HKDF, ChaCha20,
                   Poly1305, XChaCha20-Poly1305
       @sigv4      AWS Signature Version 4 signer, credentials, endpoints
       @transport  HTTP transport callback; plain-HTTP and libcurl transports
       @store      store vtable; >memory, >cookie (sealed), >dynamodb
                   (client dynsess_ddb_*, store, dynsess_store_from_env)
       @session    session dict, Cookie header parsing, request cycle

   COMPILE-TIME OPTIONS
       DYNSESS_IMPLEMENTATION   (that one file) compile the implementation
       DYNSESS_STATIC           (everywhere) all functions static
       DYNSESS_MALLOC(size, user), DYNSESS_FREE(ptr, user),
       DYNSESS_REALLOC(ptr, size, user)
                                (implementation only) default allocator;
                                give MALLOC and FREE together (REALLOC
                                optional); a runtime allocator in the desc
                                structs overrides them
       DYNSESS_ASSERT(x)        (implementation only) internal invariants
                                only, never input; default assert()
       DYNSESS_USE_BEARSSL      (implementation only) SHA-256, HMAC,
                                ChaCha20, Poly1305 from BearSSL; link
                                -lbearssl
       DYNSESS_CRYPTO_PORTABLE  (implementation only) no SHA-NI/SIMD code
       DYNSESS_WITH_CURL        (implementation only) the libcurl transport
                                (https to AWS); link -lcurl
       DYNSESS_NO_PLAIN_TRANSPORT (implementation only) leave out the
                                plain-HTTP socket transport
       DYNSESS_SIGV4_SCRATCH    (everywhere) bytes of the signer's scratch
                                for canonical requests (default in @sigv4)
       The implementation needs POSIX declarations (sockets, getaddrinfo,
       getrandom): compile that file with -D_POSIX_C_SOURCE=200809L (or
       _GNU_SOURCE, or -std=gnu99, or as C++). Under strict -std=c99 without
       them the plain transport accepts IP literals and "localhost" only.

   THREADS AND LIFETIMES
       Global mutable state: only (1) the CPU-feature word for SHA-NI/SSE2/
       AVX2, computed once and cached atomically (every thread computes the
       same value), and (2) with DYNSESS_WITH_CURL, a flag guarding
       curl_global_init: create the first curl transport before starting
       threads.
       dynsess_ctx: dynsess_setup .. dynsess_shutdown; read-only after
       setup, so many threads may run requests on one ctx, given a
       thread-safe store (memory store with thread_safe = 1; the cookie
       store is stateless; the DynamoDB store with its own option) and a
       thread-safe rng hook (the default is).
       dynsess_session: dynsess_load .. dynsess_release, one thread at a
       time. Values from dynsess_session_get are borrowed until the key is
       changed or the session released.
       dynsess_doc: dynsess_doc_new .. dynsess_doc_free; every value in it
       dies with it.
       Stores: a store the host passes in stays the host's (close it after
       dynsess_shutdown); the default cookie store is owned by the ctx.

   ERRORS
       Every fallible call returns dynsess_status (DYNSESS_OK == 0) and
       fills an optional dynsess_error {code, offset, msg} that the caller
       owns: "json: unexpected ',' at offset 17". dynsess_strerror(code)
       names a code. Messages never contain keys, cookie values or
       credentials. Hostile input is not an error: a tampered, expired or
       unknown cookie loads as a fresh session and dynsess_session_reason
       says why. The library never prints, exits or aborts.

   LIMITS (all configurable through the desc structs)
       cookie 4096 bytes (Set-Cookie value), session JSON 256 KiB,
       JSON input 1 MiB and depth 128, DynamoDB item 400 KB,
       secrets >= 32 bytes.

   License: MIT, see the end of the file.
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

/* Parses len bytes of src into doc; *root is borrowed until doc is freed
   (src is copied: the caller may free it right away). The values under the
   root are read-only (reached through const pointers); the root itself may
   be changed with the builders below. Strict RFC 8259;
   duplicate keys: the last value wins, at the first key's position; a number
   beyond the double range (1e999) is an E_JSON error. Errors: E_JSON (message
   and err->offset give the byte offset), E_DEPTH, E_LIMIT, E_NOMEM, E_ARG. On
   error *root is 0 and doc is as before the call. opts may be 0. Not
   thread-safe for one doc; different docs are independent. */
DYNSESS_DEF dynsess_status dynsess_json_parse(dynsess_doc *doc, const char *src, size_t len,
                                              const dynsess_json_opts *opts, dynsess_value **root,
                                              dynsess_error *err);
/* Appends the compact serialization of v (0 writes null) to out. Doubles
   print so that they parse back to the same double, always with '.' or an
   exponent ("1.0"); strings escape only '"', '\\' and control characters.
   No recursion. Errors: E_NOMEM, E_LIMIT (out->limit), E_ARG; on error out is
   unchanged. Reads v only: several threads may write the same tree at once. */
DYNSESS_DEF dynsess_status dynsess_json_write(const dynsess_value *v, dynsess_buf *out,
                                              dynsess_error *err);

/* Appends s[0..len) to out as a quoted JSON string: '"', '\\' and control
   characters are escaped (\n, \t, ... or \u00XX), everything else is copied,
   including U+2028/U+2029 (valid JSON; escape them yourself before embedding
   the text in a <script> element). Errors: E_ARG if s is not valid UTF-8
   (err->offset = the bad byte), E_NOMEM, E_LIMIT. On error out is unchanged.
   Thread-safe (touches only out). For building request bodies by hand. */
DYNSESS_DEF dynsess_status dynsess_json_write_string(dynsess_buf *out, const char *s, size_t len,
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
/* 1 if a and b are the same JSON value (objects compare as unordered maps;
   INT 1 and REAL 1.0 differ; 0.0 equals -0.0). Values nested deeper than 32
   levels use a heap stack from the default allocator: if that fails, 0. */
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
/* Deep copy of v (from any doc) into doc; 0 on E_NOMEM. */
DYNSESS_DEF dynsess_value *dynsess_value_copy(dynsess_doc *doc, const dynsess_value *v);
/* Appends val (which must belong to doc, and must not contain arr) to arr.
   Errors: E_ARG, E_TYPE (arr is not an array), E_NOMEM (arr unchanged). */
DYNSESS_DEF dynsess_status dynsess_array_push(dynsess_doc *doc, dynsess_value *arr,
                                              dynsess_value *val, dynsess_error *err);
/* Sets obj[key] = val (val must belong to doc, and must not contain obj),
   replacing an existing member in place; the key is copied. Errors: E_ARG
   (also: key not valid UTF-8), E_TYPE, E_NOMEM (obj unchanged). */
DYNSESS_DEF dynsess_status dynsess_object_set(dynsess_doc *doc, dynsess_value *obj, const char *key,
                                              size_t key_len, dynsess_value *val,
                                              dynsess_error *err);
/* Removes obj[key]; returns 1 if it was there, 0 if not. Member order of the
   rest is kept, and so are their values (pointers to them stay valid). The
   first change to a parsed object gives it an index of 32 bytes a member in
   its doc: if that allocation fails, -1 and obj is unchanged. */
DYNSESS_DEF int dynsess_object_remove(dynsess_value *obj, const char *key, size_t key_len);
/* Removes every member of obj / element of arr. */
DYNSESS_DEF void dynsess_value_clear(dynsess_value *v);

/* ======================================================================
   @crypto  SHA-256, HMAC-SHA256, HKDF-SHA256, ChaCha20, Poly1305,
            XChaCha20-Poly1305 AEAD
   Does: no allocation; contexts are caller-owned plain structs (memcpy
   clones them). Assumes: sizes fixed in prototypes; timing depends on
   lengths only (each function has a "CT:" note). SHA-256 uses x86 SHA-NI,
   ChaCha20 SSE2/AVX2 and Poly1305 AVX2 when the CPU has them (checked at
   run time; DYNSESS_CRYPTO_PORTABLE, implementation only, compiles the
   portable C code alone). With
   DYNSESS_USE_BEARSSL (set it EVERYWHERE: it changes the context structs;
   link -lbearssl) SHA-256, HMAC, ChaCha20 and the AEAD's Poly1305 come
   from BearSSL.
   ====================================================================== */
#ifdef DYNSESS_USE_BEARSSL
#include <bearssl.h>
#endif

#define DYNSESS_SHA256_SIZE 32
#define DYNSESS_SHA256_BLOCK 64
#define DYNSESS_HKDF_MAX_LEN (255 * 32) /* RFC 5869 §2.3: L <= 255 * HashLen */
#define DYNSESS_CHACHA_KEY_SIZE 32
#define DYNSESS_CHACHA_NONCE_SIZE 12    /* RFC 8439 (IETF) nonce */
#define DYNSESS_CHACHA_BLOCK 64
#define DYNSESS_POLY1305_KEY_SIZE 32
#define DYNSESS_POLY1305_TAG_SIZE 16
#define DYNSESS_XCHACHA_KEY_SIZE 32
#define DYNSESS_XCHACHA_NONCE_SIZE 24
#define DYNSESS_AEAD_TAG_SIZE 16

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------ */
#ifdef DYNSESS_USE_BEARSSL
typedef struct dynsess_sha256_ctx { br_sha256_context br; } dynsess_sha256_ctx;
#else
typedef struct dynsess_sha256_ctx {
    uint32_t state[8];
    uint64_t count;                 /* bytes hashed so far */
    uint8_t buf[DYNSESS_SHA256_BLOCK];
} dynsess_sha256_ctx;
#endif

DYNSESS_DEF void dynsess_sha256_init(dynsess_sha256_ctx *c);
DYNSESS_DEF void dynsess_sha256_update(dynsess_sha256_ctx *c, const void *p, size_t n);
/* Writes the digest; c is left unchanged (an intermediate digest is allowed). */
DYNSESS_DEF void dynsess_sha256_final(const dynsess_sha256_ctx *c, uint8_t out[DYNSESS_SHA256_SIZE]);
DYNSESS_DEF void dynsess_sha256(const void *p, size_t n, uint8_t out[DYNSESS_SHA256_SIZE]);

/* ---- HMAC-SHA256 (RFC 2104) ----------------------------------------------- */
#ifdef DYNSESS_USE_BEARSSL
typedef struct dynsess_hmac_sha256_ctx { br_hmac_context br; } dynsess_hmac_sha256_ctx;
#else
typedef struct dynsess_hmac_sha256_ctx {
    dynsess_sha256_ctx inner, outer;
} dynsess_hmac_sha256_ctx;
#endif

DYNSESS_DEF void dynsess_hmac_sha256_init(dynsess_hmac_sha256_ctx *c, const void *key, size_t key_len);
DYNSESS_DEF void dynsess_hmac_sha256_update(dynsess_hmac_sha256_ctx *c, const void *p, size_t n);
/* Writes the MAC; c is left unchanged. Wipe c with dynsess_wipe when done. */
DYNSESS_DEF void dynsess_hmac_sha256_final(const dynsess_hmac_sha256_ctx *c,
                                           uint8_t out[DYNSESS_SHA256_SIZE]);
DYNSESS_DEF void dynsess_hmac_sha256(const void *key, size_t key_len, const void *p, size_t n,
                                     uint8_t out[DYNSESS_SHA256_SIZE]);

/* ---- HKDF-SHA256 (RFC 5869) ----------------------------------------------- */
/* Extract: prk = HMAC(salt, ikm). salt may be 0 / empty (= 32 zero bytes). */
DYNSESS_DEF void dynsess_hkdf_sha256_extract(const void *salt, size_t salt_len, const void *ikm,
                                             size_t ikm_len, uint8_t prk[DYNSESS_SHA256_SIZE]);
/* Expand: out_len bytes of output keying material. E_ARG if out_len >
   DYNSESS_HKDF_MAX_LEN (out untouched). out may be 0 only when out_len is 0. */
DYNSESS_DEF dynsess_status dynsess_hkdf_sha256_expand(const uint8_t prk[DYNSESS_SHA256_SIZE],
                                                      const void *info, size_t info_len,
                                                      uint8_t *out, size_t out_len,
                                                      dynsess_error *err);
/* Extract then expand. Errors as dynsess_hkdf_sha256_expand. */
DYNSESS_DEF dynsess_status dynsess_hkdf_sha256(const void *salt, size_t salt_len, const void *ikm,
                                               size_t ikm_len, const void *info, size_t info_len,
                                               uint8_t *out, size_t out_len, dynsess_error *err);

/* ---- ChaCha20 (RFC 8439 §2.3-2.4) and HChaCha20 (draft-irtf-cfrg-xchacha §2.2)
   XORs n bytes of in with the keystream that starts at block `counter`
   (in == out allowed). The 32-bit counter wraps after 256 GiB: the caller
   keeps messages below that. CT: depends on n only. */
DYNSESS_DEF void dynsess_chacha20_xor(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                      const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                      uint32_t counter, const void *in, size_t n, void *out);
/* One 64-byte keystream block. */
DYNSESS_DEF void dynsess_chacha20_block(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                        const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                        uint32_t counter, uint8_t out[DYNSESS_CHACHA_BLOCK]);
/* HChaCha20: 32-byte subkey from key and the first 16 nonce bytes. */
DYNSESS_DEF void dynsess_hchacha20(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE], const uint8_t in[16],
                                   uint8_t out[32]);
/* XChaCha20: HChaCha20 subkey + ChaCha20 with nonce 0000 || nonce[16..24]. */
DYNSESS_DEF void dynsess_xchacha20_xor(const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE],
                                       const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
                                       uint32_t counter, const void *in, size_t n, void *out);

/* ---- Poly1305 (RFC 8439 §2.5): one-time authenticator, portable in every build */
typedef struct dynsess_poly1305_ctx {      /* fields are private */
    uint64_t r[12], h[5];     /* 64-bit CPUs: r, r^2, r^3, r^4, h in 3 x 44-bit limbs; else 5 x 26 */
    uint32_t pad[4];
    uint8_t buf[16];
    size_t used;
} dynsess_poly1305_ctx;
/* key is used ONCE: never authenticate two messages with the same key. */
DYNSESS_DEF void dynsess_poly1305_init(dynsess_poly1305_ctx *c,
                                       const uint8_t key[DYNSESS_POLY1305_KEY_SIZE]);
DYNSESS_DEF void dynsess_poly1305_update(dynsess_poly1305_ctx *c, const void *p, size_t n);
/* Writes the tag and wipes c. */
DYNSESS_DEF void dynsess_poly1305_final(dynsess_poly1305_ctx *c, uint8_t tag[DYNSESS_POLY1305_TAG_SIZE]);
DYNSESS_DEF void dynsess_poly1305(const uint8_t key[DYNSESS_POLY1305_KEY_SIZE], const void *p,
                                  size_t n, uint8_t tag[DYNSESS_POLY1305_TAG_SIZE]);

/* ---- AEAD: ChaCha20-Poly1305 (RFC 8439 §2.8) and XChaCha20-Poly1305 (draft)
   seal: ct gets n bytes (ct == pt allowed), tag gets 16. ad may be 0 if
   ad_len is 0. open: checks the tag (dynsess_ct_equal) BEFORE writing any
   plaintext; on mismatch returns E_AUTH and pt is left untouched. pt == ct
   allowed. Thread-safe (no shared state). Use XChaCha20-Poly1305 with
   random nonces: 24 bytes make collisions negligible at any volume. */
DYNSESS_DEF void dynsess_chacha20poly1305_seal(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                               const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                               const void *ad, size_t ad_len, const void *pt,
                                               size_t n, void *ct,
                                               uint8_t tag[DYNSESS_AEAD_TAG_SIZE]);
DYNSESS_DEF dynsess_status dynsess_chacha20poly1305_open(
    const uint8_t key[DYNSESS_CHACHA_KEY_SIZE], const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
    const void *ad, size_t ad_len, const void *ct, size_t n, const uint8_t tag[DYNSESS_AEAD_TAG_SIZE],
    void *pt, dynsess_error *err);
DYNSESS_DEF void dynsess_xchacha20poly1305_seal(const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE],
                                                const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
                                                const void *ad, size_t ad_len, const void *pt,
                                                size_t n, void *ct,
                                                uint8_t tag[DYNSESS_AEAD_TAG_SIZE]);
DYNSESS_DEF dynsess_status dynsess_xchacha20poly1305_open(
    const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE], const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
    const void *ad, size_t ad_len, const void *ct, size_t n, const uint8_t tag[DYNSESS_AEAD_TAG_SIZE],
    void *pt, dynsess_error *err);

/* Names the code paths in use, e.g. "sha256=sha-ni chacha20=avx2" or
   "bearssl". Static string; thread-safe. */
DYNSESS_DEF const char *dynsess_crypto_impl(void);

/* ======================================================================
   @sigv4  AWS Signature Version 4: canonical request, string to sign,
           cached signing key, Authorization header, presigned URLs;
           AWS credentials (static, environment, provider callback);
           region and endpoint resolution
   Does: never allocates. A dynsess_sigv4_signer is a caller-owned struct
   with fixed-capacity scratch; it caches the keyed HMAC context of the
   signing key per (secret, date, region, service), so steady-state
   signing does no key derivation. Assumes: one signer per thread (or a
   lock around it); request text is UTF-8; times are epoch seconds (UTC).
   Reference: AWS "Create a signed AWS API request" (SigV4) and the
   aws-c-auth / botocore test suites (tests/vectors/sigv4).
   ====================================================================== */

/* One HTTP header. Shared with @transport. Both strings are borrowed. */
typedef struct dynsess_http_header {
    dynsess_str name;
    dynsess_str value;
} dynsess_http_header;

/* ---- credentials -------------------------------------------------------- */
/* A view of one set of AWS credentials. All strings borrowed. */
typedef struct dynsess_aws_credentials {
    dynsess_str access_key_id;     /* "AKIDEXAMPLE"                          */
    dynsess_str secret_access_key; /* never copied into an error message     */
    dynsess_str session_token;     /* {0,0}: none (long-term credentials)    */
    int64_t expires_at;            /* epoch s; 0: does not expire            */
} dynsess_aws_credentials;

/* Callback for hosts whose credentials rotate (STS, instance roles): fill
   *out with the current credentials; the strings must stay valid until the
   next call on the same provider (or until the provider is dropped).
   Return DYNSESS_OK or an error (E_CREDENTIALS, ...), filling err. Called
   once per request that needs signing, from the thread doing the request. */
typedef struct dynsess_aws_credentials_provider {
    dynsess_status (*fn)(void *user, dynsess_aws_credentials *out, dynsess_error *err);
    void *user;
} dynsess_aws_credentials_provider;

/* Owned, fixed-capacity copy of credentials (no heap). Wipe with
   dynsess_aws_creds_wipe when done. */
#define DYNSESS_AWS_KEY_ID_MAX 128
#define DYNSESS_AWS_SECRET_MAX 128
#define DYNSESS_AWS_TOKEN_MAX 4096
typedef struct dynsess_aws_creds {
    char access_key_id[DYNSESS_AWS_KEY_ID_MAX + 1];
    char secret_access_key[DYNSESS_AWS_SECRET_MAX + 1];
    char session_token[DYNSESS_AWS_TOKEN_MAX + 1];
    size_t access_key_id_len, secret_access_key_len, session_token_len;
    int64_t expires_at;
} dynsess_aws_creds;

/* Environment lookup hook: returns the value of name or 0. {0} or a 0
   pointer -> getenv(3). Tests inject a table. */
typedef struct dynsess_env {
    const char *(*get)(void *user, const char *name);
    void *user;
} dynsess_env;

/* Copies the credentials into c (session_token may be {0,0}).
   E_CREDENTIALS if the key id or secret is empty, E_LIMIT if a field
   exceeds its *_MAX (c is left wiped on error). */
DYNSESS_DEF dynsess_status dynsess_aws_creds_set(dynsess_aws_creds *c, dynsess_str access_key_id,
                                                 dynsess_str secret_access_key,
                                                 dynsess_str session_token, dynsess_error *err);
/* Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional)
   AWS_SESSION_TOKEN through env (0 -> getenv). E_CREDENTIALS if either of
   the first two is missing or empty; E_LIMIT as above. */
DYNSESS_DEF dynsess_status dynsess_aws_creds_from_env(dynsess_aws_creds *c, const dynsess_env *env,
                                                      dynsess_error *err);
/* A borrowed view of c (valid while c is unchanged). */
DYNSESS_DEF dynsess_aws_credentials dynsess_aws_creds_view(const dynsess_aws_creds *c);
/* A provider that always returns dynsess_aws_creds_view(c); c borrowed. */
DYNSESS_DEF dynsess_aws_credentials_provider dynsess_aws_creds_provider(dynsess_aws_creds *c);
/* Zeroes every byte of c (secrets included). */
DYNSESS_DEF void dynsess_aws_creds_wipe(dynsess_aws_creds *c);

/* ---- region and endpoint -------------------------------------------------- */
#define DYNSESS_AWS_REGION_MAX 63
#define DYNSESS_URL_HOST_MAX 255
#define DYNSESS_URL_PATH_MAX 511

/* A parsed base URL: scheme://host[:port][/path] */
typedef struct dynsess_endpoint {
    char scheme[8];                     /* "http" or "https" (lower case)       */
    char host[DYNSESS_URL_HOST_MAX + 1]; /* "dynamodb.us-east-1.amazonaws.com",
                                           "127.0.0.1", "::1" (no brackets)   */
    int port;                           /* explicit, else 80 / 443              */
    int port_explicit;                  /* 1 if the URL named the port          */
    char path[DYNSESS_URL_PATH_MAX + 1]; /* base path without a trailing '/';
                                           "" for none                        */
    char host_header[DYNSESS_URL_HOST_MAX + 10]; /* Host header value: host, in
                                           [] for IPv6, plus ":port" if explicit
                                           and not the scheme default         */
    char region[DYNSESS_AWS_REGION_MAX + 1]; /* signing region                 */
    int overridden;                     /* 1 if it came from AWS_ENDPOINT_URL*  */
} dynsess_endpoint;

/* Parses an absolute http/https URL (no userinfo, query or fragment) into
   out (out->region untouched). E_CONFIG with a message on a bad URL,
   E_LIMIT if a part is too long. */
DYNSESS_DEF dynsess_status dynsess_url_parse(const char *url, dynsess_endpoint *out,
                                             dynsess_error *err);
/* Region: `region` if non-empty, else AWS_REGION, else AWS_DEFAULT_REGION.
   Copies it to out (cap >= DYNSESS_AWS_REGION_MAX + 1). E_CONFIG if none is
   set or it has characters outside [a-z0-9-]. env may be 0. */
DYNSESS_DEF dynsess_status dynsess_aws_region(const char *region, const dynsess_env *env, char *out,
                                              size_t cap, dynsess_error *err);
/* Endpoint for an AWS service, as the AWS SDKs resolve it:
   1. AWS_ENDPOINT_URL_<SERVICE> (service upper-cased, '-' and ' ' -> '_';
      e.g. AWS_ENDPOINT_URL_DYNAMODB), 2. AWS_ENDPOINT_URL,
   3. https://<service>.<region>.amazonaws.com (".amazonaws.com.cn" for cn-*).
   region as for dynsess_aws_region (an override URL still needs a region
   for the signature scope). service: "dynamodb". env may be 0.
   Errors: E_CONFIG (no region, bad URL in the variable: the message names
   the variable), E_LIMIT. */
DYNSESS_DEF dynsess_status dynsess_aws_endpoint(const char *service, const char *region,
                                                const dynsess_env *env, dynsess_endpoint *out,
                                                dynsess_error *err);

/* ---- signer ------------------------------------------------------------ */
/* flags for dynsess_sigv4_request.flags; 0 is the right choice for every
   AWS service but S3 (normalized path, double-encoded, token signed). */
#define DYNSESS_SIGV4_NO_NORMALIZE  1u  /* keep "." "..", "//" in the path (S3)     */
#define DYNSESS_SIGV4_SINGLE_ENCODE 2u  /* encode path once, keep %XX (S3)          */
#define DYNSESS_SIGV4_SIGN_BODY     4u  /* add + sign x-amz-content-sha256 (S3)     */
#define DYNSESS_SIGV4_OMIT_TOKEN    8u  /* header mode: add X-Amz-Security-Token
                                           after signing (unsigned); query mode:
                                           append it after the signature          */
#define DYNSESS_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

#define DYNSESS_SIGV4_MAX_HEADERS 64      /* caller headers per request        */
#define DYNSESS_SIGV4_MAX_PARAMS 128      /* query parameters per request      */
#ifndef DYNSESS_SIGV4_SCRATCH
#define DYNSESS_SIGV4_SCRATCH 16384       /* canonical request capacity (set
                                             everywhere if changed)            */
#endif
#define DYNSESS_SIGV4_AUTH_MAX 2048       /* Authorization header value        */
#define DYNSESS_SIGV4_SCOPE_MAX 160

/* What to sign. Strings borrowed for the duration of the call. */
typedef struct dynsess_sigv4_request {
    const char *method;      /* "POST"                                       */
    dynsess_str path;        /* as sent on the wire, e.g. "/"; {0,0} -> "/"  */
    dynsess_str query;       /* as sent, without '?'; {0,0}: none            */
    const dynsess_http_header *headers; /* must include Host; must NOT include
                               X-Amz-Date, Authorization (the signer adds them)*/
    size_t header_count;     /* <= DYNSESS_SIGV4_MAX_HEADERS                 */
    dynsess_str payload;     /* the body                                     */
    const char *payload_hash; /* 0 -> hex SHA-256 of payload; or 64 hex
                               digits; or DYNSESS_SIGV4_UNSIGNED_PAYLOAD      */
    const char *region;      /* "us-east-1"                                  */
    const char *service;     /* "dynamodb"                                   */
    int64_t time;            /* signing time, epoch s (X-Amz-Date)           */
    unsigned flags;          /* DYNSESS_SIGV4_*                              */
    int64_t expires_s;       /* presign only: X-Amz-Expires, 1..604800       */
} dynsess_sigv4_request;

/* What the signer produced. Fixed-size fields are owned by the result;
   canonical_request and string_to_sign are BORROWED from the signer's
   scratch and valid until its next call. */
typedef struct dynsess_sigv4_result {
    char amz_date[17];        /* X-Amz-Date value "20150830T123600Z"          */
    char payload_hash[65];    /* hex SHA-256 of the payload or
                                 "UNSIGNED-PAYLOAD" (x-amz-content-sha256)    */
    char signature[65];       /* hex                                          */
    char scope[DYNSESS_SIGV4_SCOPE_MAX]; /* "20150830/us-east-1/service/aws4_request" */
    char authorization[DYNSESS_SIGV4_AUTH_MAX]; /* header mode: the value of the
                                 Authorization header; presign: ""            */
    size_t authorization_len;
    dynsess_str session_token; /* header mode: the X-Amz-Security-Token value
                                 to send ({0,0}: none; borrowed from creds)   */
    dynsess_str canonical_request; /* borrowed, see above                     */
    dynsess_str string_to_sign;    /* borrowed, see above                     */
} dynsess_sigv4_result;

/* The signer: caller-owned (large, ~20 KiB: embed it or allocate it);
   init before use, wipe after (it holds a copy of the last secret and the
   keyed signing state). Not thread-safe: one per thread, or a lock. */
typedef struct dynsess_sigv4_signer {
    /* read-only counters for tests and metrics */
    unsigned long signatures;       /* successful signs                    */
    unsigned long key_derivations;  /* signing-key (re)derivations         */
    /* private: the signing-key cache and scratch */
    int key_valid;
    char key_date[8];
    char key_region[DYNSESS_AWS_REGION_MAX + 1];
    char key_service[64];
    size_t key_secret_len;
    uint8_t key_secret[DYNSESS_AWS_SECRET_MAX];
    dynsess_hmac_sha256_ctx key_ctx; /* HMAC keyed with kSigning           */
    int date_valid;                  /* X-Amz-Date text of date_time        */
    int64_t date_time;
    char date_text[17];
    char sts[256];                   /* string to sign                      */
    size_t sts_len;
    char scratch[DYNSESS_SIGV4_SCRATCH];
    size_t scratch_len;
} dynsess_sigv4_signer;

/* Zeroes s (empty cache). */
DYNSESS_DEF void dynsess_sigv4_signer_init(dynsess_sigv4_signer *s);
/* Wipes the cached key material, the copied secret and the scratch. */
DYNSESS_DEF void dynsess_sigv4_signer_wipe(dynsess_sigv4_signer *s);

/* Header mode. Signs req with creds; on DYNSESS_OK the caller sends req's
   headers plus:  X-Amz-Date: out->amz_date,
                  X-Amz-Security-Token: out->session_token (if non-empty),
                  x-amz-content-sha256: out->payload_hash (if SIGN_BODY),
                  Authorization: out->authorization.
   The signed headers are all of req->headers plus x-amz-date and (unless
   OMIT_TOKEN) x-amz-security-token. No allocation.
   Errors: E_ARG (missing method/region/service/Host header, header or
   parameter count over its max, bad payload_hash, an invalid header name,
   a header the signer adds itself: Authorization, X-Amz-Date, and
   X-Amz-Security-Token / x-amz-content-sha256 when it adds those; a time
   before 1970), E_CREDENTIALS (empty key id or secret),
   E_LIMIT (canonical request over DYNSESS_SIGV4_SCRATCH, secret over
   DYNSESS_AWS_SECRET_MAX, Authorization over DYNSESS_SIGV4_AUTH_MAX).
   Messages never contain the secret or the token. */
DYNSESS_DEF dynsess_status dynsess_sigv4_sign(dynsess_sigv4_signer *s,
                                              const dynsess_aws_credentials *creds,
                                              const dynsess_sigv4_request *req,
                                              dynsess_sigv4_result *out, dynsess_error *err);
/* Query mode (presigned URL, X-Amz-Expires = req->expires_s). Writes the
   complete query string to send (req->query's parameters plus
   X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
   -Security-Token and -Signature; no leading '?') to query_out (cap bytes,
   NUL-terminated; *query_len its length). The URL is
   scheme://host + req->path + "?" + query_out. Same errors as
   dynsess_sigv4_sign, plus E_BUFFER if query_out is too small and E_ARG if
   expires_s is not in 1..604800. */
DYNSESS_DEF dynsess_status dynsess_sigv4_presign(dynsess_sigv4_signer *s,
                                                 const dynsess_aws_credentials *creds,
                                                 const dynsess_sigv4_request *req,
                                                 char *query_out, size_t cap, size_t *query_len,
                                                 dynsess_sigv4_result *out, dynsess_error *err);
/* Formats epoch seconds as "YYYYMMDDTHHMMSSZ" (out: 17 bytes). E_ARG for
   times before 1970 or after 9999. */
DYNSESS_DEF dynsess_status dynsess_sigv4_amz_date(int64_t t, char out[17], dynsess_error *err);
/* Parses "YYYYMMDDTHHMMSSZ" or ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" into epoch
   seconds. E_ARG on anything else. */
DYNSESS_DEF dynsess_status dynsess_sigv4_parse_time(dynsess_str s, int64_t *t, dynsess_error *err);

/* ======================================================================
   @transport  the HTTP transport callback interface, and two bundled
               transports: plain HTTP/1.1 over POSIX sockets, and libcurl
               (behind DYNSESS_WITH_CURL)
   Does: the library never opens a socket unless the host picks a bundled
   transport. Assumes: a transport object serves one call at a time (use
   one per thread, or a lock); responses are read into dynsess_bufs.
   Compile-time options (implementation only):
     DYNSESS_WITH_CURL          also build dynsess_transport_curl_new (-lcurl)
     DYNSESS_NO_PLAIN_TRANSPORT drop the socket transport (non-POSIX hosts)
   The plain transport needs POSIX sockets and poll(2). Host names are
   resolved with getaddrinfo(3) when POSIX 2001 is visible (define
   _POSIX_C_SOURCE 200809L, or _GNU_SOURCE, before the FIRST #include of
   the implementation file, or compile with -std=gnu99 / C++); under a
   strict -std=c99 it accepts IP literals and "localhost" only.
   ====================================================================== */

/* A request. All strings borrowed for the duration of the call. */
typedef struct dynsess_http_request {
    const char *method;      /* "POST"                                        */
    const char *scheme;      /* "http" or "https"; 0 -> "http"                */
    const char *host;        /* "127.0.0.1", "dynamodb.us-east-1.amazonaws.com" */
    int port;                /* 0 -> 80 / 443 by scheme                       */
    const char *path;        /* as sent, e.g. "/"; 0 -> "/"                    */
    const char *query;       /* without '?'; 0 or "": none                    */
    const dynsess_http_header *headers; /* sent as given; a Host header is
                                added if absent; Content-Length is added for a
                                non-empty body or a method other than GET/HEAD
                                if absent                                      */
    size_t header_count;
    dynsess_str body;
    int timeout_ms;          /* whole call; 0 -> the transport's default      */
} dynsess_http_request;

/* A response. Init once, reuse across calls (each call resets it), free. */
typedef struct dynsess_http_response {
    int status;              /* 200, 400, ...; 0 if no response was read       */
    dynsess_buf headers;     /* raw header lines "Name: value\r\n", without the
                                status line                                    */
    dynsess_buf body;        /* de-chunked body                               */
    dynsess_error error;     /* set by the transport when it returns non-OK   */
} dynsess_http_response;

/* The callback a host implements: perform req, fill resp (after
   dynsess_http_response_reset), return DYNSESS_OK when a complete HTTP
   response was read (whatever its status), else:
     DYNSESS_E_CONNECT  connecting or sending failed (safe to retry: the
                        server did not see the request, or it's unknown)
     DYNSESS_E_TIMEOUT  the call exceeded its timeout
     DYNSESS_E_HTTP     the reply was not valid HTTP/1.x or ended early
     DYNSESS_E_LIMIT    the reply exceeded the size cap
     DYNSESS_E_UNSUPPORTED  e.g. https on the plain transport
     DYNSESS_E_NOMEM, DYNSESS_E_ARG
   and describe the failure in resp->error (no secrets: never echo headers). */
typedef int (*dynsess_http_fn)(void *user, const dynsess_http_request *req,
                               dynsess_http_response *resp);

typedef struct dynsess_transport {
    dynsess_http_fn fn;
    void *user;
    void (*close)(void *user);   /* may be 0; called by dynsess_transport_free */
} dynsess_transport;

/* Response buffers use alloc (0 -> default). */
DYNSESS_DEF void dynsess_http_response_init(dynsess_http_response *r, const dynsess_allocator *alloc);
/* status = 0, buffers emptied (memory kept), error cleared. */
DYNSESS_DEF void dynsess_http_response_reset(dynsess_http_response *r);
DYNSESS_DEF void dynsess_http_response_free(dynsess_http_response *r);
/* Finds the first response header named name (case-insensitive); *value
   is borrowed from r->headers, trimmed. Returns 1 if found, else 0. */
DYNSESS_DEF int dynsess_http_response_header(const dynsess_http_response *r, const char *name,
                                             dynsess_str *value);
/* Resets resp, calls t->fn, and on failure copies resp->error into err
   (prefix kept as the transport wrote it). Returns the transport's status
   (an out-of-range return becomes E_INTERNAL). E_ARG if t->fn is 0. */
DYNSESS_DEF dynsess_status dynsess_http_send(const dynsess_transport *t,
                                             const dynsess_http_request *req,
                                             dynsess_http_response *resp, dynsess_error *err);
/* Calls t->close(t->user) if set and zeroes t. t may be 0. */
DYNSESS_DEF void dynsess_transport_free(dynsess_transport *t);

/* Configuration of the bundled transports; zero means default. */
typedef struct dynsess_transport_desc {
    int connect_timeout_ms;  /* 0 -> 3000                                    */
    int timeout_ms;          /* 0 -> 10000: per call when req->timeout_ms is 0 */
    size_t max_response;     /* 0 -> 16 MiB: headers + body cap -> E_LIMIT    */
    int no_keepalive;        /* 0 -> reuse one connection across calls        */
    const char *ca_file;     /* curl only: 0 -> the system CA store           */
    dynsess_allocator allocator; /* {0} -> DYNSESS_MALLOC / DYNSESS_FREE      */
} dynsess_transport_desc;

/* Plain HTTP/1.1 over a TCP socket: keep-alive (one cached connection,
   reopened once if the server closed it before any reply byte), chunked or
   Content-Length or close-delimited replies, connect and whole-call
   timeouts via poll(2), reply size cap. https:// fails with
   E_UNSUPPORTED. desc may be 0. Free with dynsess_transport_free.
   E_NOMEM, E_CONFIG. SIGPIPE is avoided with MSG_NOSIGNAL where present. */
DYNSESS_DEF dynsess_status dynsess_transport_plain_new(const dynsess_transport_desc *desc,
                                                       dynsess_transport *out, dynsess_error *err);

/* libcurl transport (only if the implementation was compiled with
   DYNSESS_WITH_CURL; else E_UNSUPPORTED): http and https, TLS peer and
   host verification always on (a failed handshake or certificate gives
   E_CONNECT), one CURL easy handle per transport so connections are
   reused, timeouts, the same size cap. Calls curl_global_init once (not
   thread-safe on old libcurl: create the first one before starting
   threads). Free with dynsess_transport_free. */
DYNSESS_DEF dynsess_status dynsess_transport_curl_new(const dynsess_transport_desc *desc,
                                                      dynsess_transport *out, dynsess_error *err);

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

/* ----------------------------------------------------------------------
   @store >cookie  the sealed-cookie store (the default store)
   The whole session travels in the cookie, sealed with XChaCha20-Poly1305
   under a key derived (HKDF-SHA256) from the first secret; any secret opens.
   Cookie value (format v1, see README "Sealed cookie format"):
       "v1." base64url( key_id(1) || nonce(24) || ciphertext || tag(16) )
       plaintext = created_at (int64 BE) || expires_at (int64 BE) || JSON
       associated data = "v1." || key_id || cookie name
       key = HKDF-SHA256(salt "dynsess/cookie/v1", secret,
                         info "dynsess/cookie/v1 xchacha20-poly1305 key", 32)
       key_id = first byte of HKDF-SHA256(same salt, secret,
                         info "dynsess/cookie/v1 key id", 1)
   Expiry is checked on the server (expires_at <= now -> E_NOTFOUND); the
   browser's Max-Age is never trusted. A stolen cookie can be replayed until
   it expires: use a server-side store when that matters.
   ---------------------------------------------------------------------- */
#define DYNSESS_MAX_SECRETS 4
#define DYNSESS_MIN_SECRET_LEN 32
#define DYNSESS_COOKIE_MAX_LEN_DEFAULT 4096
/* Bytes the v1 format adds: "v1." + base64url of 57 + n bytes. */
#define DYNSESS_COOKIE_SEALED_LEN(json_len) (3 + DYNSESS_BASE64URL_LEN(57 + (json_len)))

typedef struct dynsess_cookie_desc {
    dynsess_str secrets[DYNSESS_MAX_SECRETS]; /* [0] seals, all open; each >= 32 bytes,
                                                 none or shorter -> E_CONFIG; empty
                                                 entries after [0] are skipped        */
    const char *cookie_name;      /* 0 -> "session"; bound into the seal             */
    size_t max_cookie_len;        /* 0 -> 4096: longest sealed value it will emit
                                     (save fails E_COOKIE_SIZE past it) or accept   */
    dynsess_rng rng;              /* {0} -> OS CSPRNG (nonces)                       */
    dynsess_allocator allocator;  /* {0} -> DYNSESS_MALLOC / DYNSESS_FREE            */
} dynsess_cookie_desc;

/* Creates a sealed-cookie store. Keeps only the derived keys (never the
   secrets) and wipes them on close. The store is immutable after creation:
   load/save may run from several threads at once (if desc->rng is
   thread-safe). Store behaviour:
     load: E_NOTFOUND for an empty, malformed, tampered, truncated, extended,
           wrong-version, wrong-key, wrong-cookie-name or expired value, with
           the reason in err->msg ("cookie: expired"); record.stale = 1 when
           opened with a secret other than secrets[0] (re-seal on save).
     save: puts the new cookie value in token_out; E_COOKIE_SIZE when it would
           be longer than max_cookie_len, E_RANDOM if the rng fails.
     destroy: nothing to delete (OK); touch: none (expiry lives in the seal).
   Errors: E_CONFIG (missing/short secret, bad allocator, empty cookie name;
   the message names the desc field), E_NOMEM. */
DYNSESS_DEF dynsess_status dynsess_store_cookie_new(const dynsess_cookie_desc *desc,
                                                    dynsess_store **out, dynsess_error *err);

/* ----------------------------------------------------------------------
   @store >dynamodb  the DynamoDB store and its low-level client
   Does: dynsess_ddb is a small DynamoDB JSON-protocol client (SigV4 signing,
   retries with exponential backoff and full jitter, x-amz-crc32 checks,
   clock-skew correction); the store keeps one item per session in a table
   (session_id S hash key, user_data S = the session's JSON text, created_at
   N, ttl N epoch seconds, version N) with conditional writes, so an update
   never resurrects a deleted session nor silently overwrites a concurrent
   one. dynsess_store_from_env builds the store from the environment and
   falls back to the memory store. Assumes: @sigv4 and @transport (the host's
   or a bundled HTTP transport); the IAM actions GetItem, PutItem,
   UpdateItem and DeleteItem on the table.
   Threads: a dynsess_ddb serves one call at a time (its transport keeps a
   connection). A store serves one thread, or several with thread_safe
   (calls serialized); for throughput give each server thread its own store.
   ---------------------------------------------------------------------- */
#define DYNSESS_DDB_DEFAULT_TABLE "LLM-Duel-Sessions"
#define DYNSESS_DDB_MAX_ITEM_SIZE 409600 /* DynamoDB's 400 KB item limit */

typedef struct dynsess_ddb dynsess_ddb;

/* Retry policy. Retried: throttling (ProvisionedThroughputExceededException,
   ThrottlingException, RequestLimitExceeded), HTTP 5xx, connect failures,
   timeouts and x-amz-crc32 mismatches. Never retried: validation, access,
   conditional and other 4xx errors. Sleeps are "full jitter":
   uniform in [0, min(max_delay_ms, base_delay_ms * 2^retry)]. */
typedef struct dynsess_ddb_retry {
    int max_attempts;          /* 0 -> 4 (the first try + 3 retries); 1 = no retry */
    int32_t base_delay_ms;     /* 0 -> 25                                          */
    int32_t max_delay_ms;      /* 0 -> 1000: cap of one sleep                      */
    int32_t max_total_ms;      /* 0 -> 5000: no retry starts after this long       */
    /* 0 -> sleep with poll(2); tests inject a recorder */
    void (*sleep_ms)(void *user, int32_t ms);
    void *sleep_user;
} dynsess_ddb_retry;

/* Client settings; zero fields take the defaults shown. */
typedef struct dynsess_ddb_desc {
    const char *region;            /* 0 -> AWS_REGION, AWS_DEFAULT_REGION, else E_CONFIG  */
    const char *endpoint;          /* 0 -> AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL,
                                      else https://dynamodb.<region>.amazonaws.com        */
    dynsess_aws_credentials_provider credentials; /* {0} -> AWS_ACCESS_KEY_ID,
                                      AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN read
                                      once at creation (Lambda passes all three)       */
    dynsess_env env;               /* {0} -> getenv(3); tests inject a table             */
    dynsess_transport transport;   /* {0} -> a bundled transport the client owns: libcurl
                                      if built with DYNSESS_WITH_CURL, else plain HTTP
                                      (http:// only: https:// gives E_CONFIG); set ->
                                      borrowed, must outlive the client                 */
    int32_t timeout_ms;            /* 0 -> 3000: per attempt                             */
    size_t max_reply_len;          /* 0 -> 4 MiB                                         */
    dynsess_ddb_retry retry;
    dynsess_clock clock;           /* {0} -> real clock (signing time, Date checks)      */
    dynsess_rng rng;               /* {0} -> OS CSPRNG (jitter, probe keys)              */
    dynsess_logger logger;         /* {0} -> silent: retries and skew fixes are logged   */
    dynsess_allocator allocator;   /* {0} -> DYNSESS_MALLOC / DYNSESS_FREE               */
} dynsess_ddb_desc;

/* What DynamoDB said about a failed call (all empty/0 when it said nothing). */
typedef struct dynsess_ddb_error {
    int http_status;               /* last HTTP status, 0 if no reply was received   */
    char type[80];                 /* "__type" after the '#': "ValidationException"  */
    char message[200];             /* "message" or "Message", truncated              */
    int attempts;                  /* HTTP attempts made                             */
    int retryable;                 /* 1 if the last failure was of a retryable kind  */
} dynsess_ddb_error;

/* Creates a client. Copies every string of desc. Errors: E_CONFIG (no region,
   bad endpoint, https:// without a TLS transport), E_CREDENTIALS, E_NOMEM. */
DYNSESS_DEF dynsess_status dynsess_ddb_new(const dynsess_ddb_desc *desc, dynsess_ddb **out,
                                           dynsess_error *err);
/* Frees the client and wipes its credentials. c may be 0. */
DYNSESS_DEF void dynsess_ddb_free(dynsess_ddb *c);
/* Calls one DynamoDB operation ("GetItem", "PutItem", "DescribeTable", ...):
   json_body is the request's JSON text; on OK, reply (may be 0) holds the
   reply's JSON text, appended (caller inits and frees it); on a service error
   it holds the error body (e.g. the old item of a failed conditional write
   with ReturnValuesOnConditionCheckFailure). aws_err (may be 0) receives the
   service's error type and message. Returns OK, or:
     E_CONFLICT    ConditionalCheckFailedException
     E_THROTTLED   still throttled after the retries
     E_AUTH        AccessDenied / UnrecognizedClient / InvalidSignature /
                   ExpiredToken / MissingAuthenticationToken
     E_LIMIT       the item exceeds 400 KB (ValidationException on size)
     E_AWS         any other DynamoDB error (ValidationException,
                   ResourceNotFoundException, 5xx after the retries ...)
     E_CONNECT, E_TIMEOUT, E_HTTP (garbage, truncated, bad x-amz-crc32),
     E_CREDENTIALS, E_NOMEM.
   err->msg reads "dynamodb: GetItem: ValidationException: ..." (no secrets). */
DYNSESS_DEF dynsess_status dynsess_ddb_call(dynsess_ddb *c, const char *operation,
                                            dynsess_str json_body, dynsess_buf *reply,
                                            dynsess_ddb_error *aws_err, dynsess_error *err);
/* The signing clock's correction in seconds (server minus local), learnt from
   the Date header after a "Signature expired" reply; 0 until then. */
DYNSESS_DEF int64_t dynsess_ddb_clock_skew(const dynsess_ddb *c);
/* CRC-32 (IEEE 802.3, as in x-amz-crc32) of n bytes. */
DYNSESS_DEF uint32_t dynsess_crc32(const void *p, size_t n);

/* ---- the store ------------------------------------------------------------ */
typedef struct dynsess_dynamodb_desc {
    dynsess_ddb_desc ddb;          /* client settings (unused when client is set)        */
    dynsess_ddb *client;           /* 0 -> the store makes one from ddb and owns it;
                                      else borrowed: must outlive the store              */
    const char *table;             /* 0 -> "LLM-Duel-Sessions"                           */
    const char *attr_id;           /* 0 -> "session_id" (S, the table's hash key)        */
    const char *attr_data;         /* 0 -> "user_data" (S, JSON object text)             */
    const char *attr_created;      /* 0 -> "created_at" (N, epoch s)                     */
    const char *attr_ttl;          /* 0 -> "ttl" (N, epoch s: enable TTL on it)          */
    const char *attr_version;      /* 0 -> "version" (N, absent = 0)                     */
    int eventual_reads;            /* 0 -> GetItem with ConsistentRead                   */
    int hash_ids;                  /* 0 -> store raw ids; 1 -> store base64url(HMAC-
                                      SHA256(id_key, id)): a leaked table grants nothing */
    dynsess_str id_key;            /* hash_ids: >= 32 bytes (copied, wiped on close)     */
    int no_startup_check;          /* 0 -> GetItem of a random absent key at creation    */
    int thread_safe;               /* 0 -> one thread uses the store; 1 -> a pthread
                                      mutex serializes its calls so server threads can
                                      share it (one connection: for throughput give
                                      each thread its own store instead)              */
} dynsess_dynamodb_desc;

/* Creates the DynamoDB store (vtable name "dynamodb"). Unless
   no_startup_check, probes the table with one GetItem of a random absent key
   (allowed by the 4-action IAM policy, unlike DescribeTable). Errors: those of
   dynsess_ddb_new and dynsess_ddb_call (E_AWS "table ... not found", E_AUTH,
   E_CONNECT ...), E_CONFIG (hash_ids without a 32-byte key), E_NOMEM.
   Store semantics (see @store):
     load:    GetItem; absent, or ttl <= now -> E_NOTFOUND ("expired")
     save:    is_new: PutItem if attribute_not_exists(id) -> E_EXISTS
              else:   UpdateItem SET data, ttl, version+1 if the item exists,
                      is not expired and its version is unchanged (absent
                      version = 0); on failure E_NOTFOUND (gone: never
                      resurrected) or E_CONFLICT (version moved)
              sessions over 400 KB: E_LIMIT, nothing written
     destroy: DeleteItem (absent is OK)
     touch:   UpdateItem SET ttl if the item exists and is not expired */
DYNSESS_DEF dynsess_status dynsess_store_dynamodb_new(const dynsess_dynamodb_desc *desc,
                                                      dynsess_store **out, dynsess_error *err);
/* The client a DynamoDB store uses (borrowed), or 0 if st is not one. */
DYNSESS_DEF dynsess_ddb *dynsess_store_dynamodb_client(dynsess_store *st);

/* ---- configuration from the environment, with fallback -------------------- */
typedef struct dynsess_env_store_desc {
    dynsess_dynamodb_desc dynamodb;   /* fields left 0 come from the environment        */
    const struct dynsess_memory_desc *memory; /* 0 -> defaults: the memory store used
                                         when DynamoDB is off, and as the fallback      */
    int no_fallback;                  /* 0 -> fall back to memory if DynamoDB fails;
                                         1 -> fail instead (fallback = off: production) */
    dynsess_logger logger;            /* {0} -> dynamodb.ddb.logger                     */
} dynsess_env_store_desc;

/* Reads USE_DYNAMODB_SESSIONS ("true"/"1"/"yes" enable DynamoDB, anything
   else gives the memory store), SESSION_TABLE_NAME, DYNSESS_FALLBACK ("off"
   = no_fallback), AWS_REGION / AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID,
   AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (Lambda) and
   AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL. If DynamoDB is enabled but
   cannot be initialised, logs a warning with the reason and returns a memory
   store that reports dynsess_store_degraded() == 1 (and *degraded = 1, if
   degraded is not 0); with no_fallback it returns the error instead. */
DYNSESS_DEF dynsess_status dynsess_store_from_env(const dynsess_env_store_desc *desc,
                                                  dynsess_store **out, int *degraded,
                                                  dynsess_error *err);
/* 1 if st is the memory fallback of dynsess_store_from_env, else 0. */
DYNSESS_DEF int dynsess_store_degraded(const dynsess_store *st);

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
/* Removes key; returns 1 if it was there, 0 if not, -1 if out of memory
   (the dict is unchanged). */
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
/* memset, then an empty asm that claims to read the memory: the compiler
   must assume the zeroes are observed, so it cannot drop the memset.
   Elsewhere a loop of volatile stores. */
DYNSESS_DEF void dynsess_wipe(void *p, size_t n) {
#if defined(__GNUC__) || defined(__clang__)
    if (!n) return;
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
#else
    volatile unsigned char *v = (volatile unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) v[i] = 0;
#endif
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

/* Value of each byte as a base64url digit, or -1 (RFC 4648 §5 alphabet). */
static const signed char dynsess__b64url_values[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
    -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

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
        int v = dynsess__b64url_values[(unsigned char)in[i]];
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
   @json  implementation: arena, strict parser (explicit stack, SWAR
          string scan, table-driven classes), compact writer, values
   Assumes: @config (allocator, dynsess_buf, dynsess__fail). Numbers:
   integers are parsed by hand; doubles take an exact fast path (Clinger)
   or strtod with the locale's decimal point patched in; printing tries an
   exact short form, then %.15g/%.16g/%.17g checked by parsing back.
   ====================================================================== */
#include <float.h>
#include <locale.h>
#include <math.h>

/* A value is 16 bytes: tag (type, flags, capacity code), len, payload.
   Containers come in two forms. A parsed container is FLAT: its children
   sit inline and contiguous (an array's values, an object's members with
   their values), written once by the parser. A built container (new_array,
   new_object, copy) holds pointers to children allocated on their own, so
   a child handed to array_push/object_set stays the same value. The first
   change to a FLAT container (push, set, remove) gives it a pointer index
   over its inline children, which stay where they are: a pointer to a
   child stays valid until that child is replaced or removed. */
#define DYNSESS__TYPE_MASK 7u
#define DYNSESS__FLAT 8u            /* children inline (parsed) */
#define DYNSESS__CAP_SHIFT 8        /* pointer form: capacity is 2^(code - 1), code 0: none */
#define DYNSESS__TYPE(v) ((dynsess_json_type)((v)->tag & DYNSESS__TYPE_MASK))
#define DYNSESS__IS_CONTAINER(t) ((t) == DYNSESS_JSON_ARRAY || (t) == DYNSESS_JSON_OBJECT)

typedef struct dynsess__member dynsess__member;

struct dynsess_value {
    uint32_t tag;               /* dynsess_json_type | DYNSESS__FLAT | cap code << 8 */
    uint32_t len;               /* string bytes / array or object members */
    union {
        int64_t i;              /* BOOL (0/1) and INT */
        double d;               /* REAL */
        const char *s;          /* STRING: len bytes plus a NUL */
        dynsess_value *vals;    /* FLAT ARRAY: the elements */
        dynsess_value **items;  /* ARRAY: pointers to the elements */
        dynsess__member *members; /* OBJECT, both forms */
    } u;
};

struct dynsess__member {
    const char *key;
    size_t key_len;
    union {
        dynsess_value v;        /* FLAT object: the value itself */
        dynsess_value *p;       /* otherwise: the value it points to */
    } x;
};

/* The parser's root value carries its doc, so that remove on a FLAT root
   (which takes no doc) can still allocate its pointer index. Only roots are
   reachable without const, so only roots can be changed while FLAT. */
typedef struct dynsess__root {
    dynsess_value v;
    dynsess_doc *doc;
} dynsess__root;

/* Child i (< c->len) of container c, in either form. */
static DYNSESS__UNUSED const dynsess_value *dynsess__child(const dynsess_value *c, size_t i) {
    if (DYNSESS__TYPE(c) == DYNSESS_JSON_OBJECT)
        return (c->tag & DYNSESS__FLAT) ? &c->u.members[i].x.v : c->u.members[i].x.p;
    return (c->tag & DYNSESS__FLAT) ? &c->u.vals[i] : c->u.items[i];
}

typedef struct dynsess__chunk {
    struct dynsess__chunk *next;
    size_t size;
} dynsess__chunk;

/* The first arena bytes live in the doc's own block, sized so that the block
   is 1032 bytes: glibc serves blocks up to that size from its per-thread
   cache, and a session of ~300 bytes parses into it with no other malloc. */
#define DYNSESS__JSON_INLINE (1032 - sizeof(dynsess_allocator) - 4 * sizeof(void *))
#define DYNSESS__JSON_CHUNK_MAX ((size_t)1 << 20)

struct dynsess_doc {
    dynsess_allocator alloc;
    dynsess__chunk *chunks;     /* heap chunks, newest first */
    char *cur, *end;            /* bump region */
    size_t next_size;
    union { double d; void *p; int64_t i; } inline_[DYNSESS__JSON_INLINE / 8];
};

/* ---- arena ------------------------------------------------------------------ */
static DYNSESS__UNUSED void *dynsess__arena_grow(dynsess_doc *doc, size_t n) {
    size_t size = doc->next_size, hdr = (sizeof(dynsess__chunk) + 15) & ~(size_t)15;
    dynsess__chunk *c;
    if (n > (size_t)-1 - hdr - 16) return 0;
    if (n + hdr > size / 2) {
        /* big block: a chunk of its own; the bump region stays where it is */
        c = (dynsess__chunk *)dynsess__alloc(&doc->alloc, n + hdr);
        if (!c) return 0;
        c->next = doc->chunks;
        c->size = n + hdr;
        doc->chunks = c;
        return (char *)c + hdr;
    }
    c = (dynsess__chunk *)dynsess__alloc(&doc->alloc, size);
    if (!c) return 0;
    c->next = doc->chunks;
    c->size = size;
    doc->chunks = c;
    doc->cur = (char *)c + hdr + n;
    doc->end = (char *)c + size;
    if (doc->next_size < DYNSESS__JSON_CHUNK_MAX) doc->next_size *= 2;
    return (char *)c + hdr;
}

/* 8-byte aligned block of n bytes from the arena, or 0. */
static DYNSESS__UNUSED void *dynsess__arena_alloc(dynsess_doc *doc, size_t n) {
    void *p;
    n = (n + 7) & ~(size_t)7;
    if (DYNSESS__LIKELY((size_t)(doc->end - doc->cur) >= n)) {
        p = doc->cur;
        doc->cur += n;
        return p;
    }
    return dynsess__arena_grow(doc, n);
}

/* Makes sure the arena has n contiguous free bytes (parse pre-sizing). */
static DYNSESS__UNUSED int dynsess__arena_reserve(dynsess_doc *doc, size_t n) {
    char *p;
    if ((size_t)(doc->end - doc->cur) >= n) return 1;
    if (doc->next_size < n) doc->next_size = n;
    p = (char *)dynsess__arena_grow(doc, 0);
    return p != 0;
}

typedef struct dynsess__arena_mark {
    dynsess__chunk *chunks;
    char *cur, *end;
} dynsess__arena_mark;

static DYNSESS__UNUSED void dynsess__arena_rewind(dynsess_doc *doc, const dynsess__arena_mark *m) {
    while (doc->chunks != m->chunks) {
        dynsess__chunk *c = doc->chunks;
        doc->chunks = c->next;
        dynsess__free(&doc->alloc, c);
    }
    doc->cur = m->cur;
    doc->end = m->end;
}

DYNSESS_DEF dynsess_status dynsess_doc_new(const dynsess_allocator *alloc, dynsess_doc **out,
                                           dynsess_error *err) {
    dynsess_doc *doc;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "json: out is null");
    *out = 0;
    if (!dynsess__allocator_valid(alloc))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "json: allocator needs both alloc and free");
    doc = (dynsess_doc *)dynsess__alloc(alloc, sizeof *doc);
    if (!doc) return dynsess__fail_nomem(err, "json");
    if (alloc) doc->alloc = *alloc;
    else memset(&doc->alloc, 0, sizeof doc->alloc);
    doc->chunks = 0;
    doc->cur = (char *)doc->inline_;
    doc->end = doc->cur + sizeof doc->inline_;
    doc->next_size = 4096;
    *out = doc;
    return DYNSESS_OK;
}

DYNSESS_DEF void dynsess_doc_free(dynsess_doc *doc) {
    dynsess_allocator a;
    if (!doc) return;
    a = doc->alloc;
    while (doc->chunks) {
        dynsess__chunk *c = doc->chunks;
        doc->chunks = c->next;
        dynsess__free(&a, c);
    }
    dynsess__free(&a, doc);
}

/* ---- character classes ------------------------------------------------------- */
/* Checked against its definition by tests/test_json.c (json_char_table):
   bit 1: JSON whitespace; bit 2: needs escaping in output (< 0x20, '"', '\\');
   bit 4: ends a plain run while parsing a string ('"', '\\', < 0x20, >= 0x80). */
static const uint8_t dynsess__json_cls[256] = {
    6,6,6,6,6,6,6,6,6,7,7,6,6,7,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    1,0,6,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,6,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4};
#define DYNSESS__CLS_WS 1
#define DYNSESS__CLS_ESC 2
#define DYNSESS__CLS_STR 4

/* SWAR block scans find the first special byte with a count-trailing-zeros on
   little-endian GCC/clang; elsewhere (or with DYNSESS__JSON_PORTABLE, which a
   test build sets) they stop at the block and a byte loop takes over. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(DYNSESS__JSON_PORTABLE)
#define DYNSESS__CTZ_BYTES(m) ((size_t)__builtin_ctzll(m) >> 3)
#endif
/* With SSE2 (every x86-64) the parser's inline string scan takes 16 bytes at
   a time: one signed compare "< 0x20" flags both control bytes and bytes
   >= 0x80 (negative as int8). The input copy ends in 16 NUL bytes.
   DYNSESS__JSON_SWAR (a test build sets it) keeps the 8-byte path instead. */
#if defined(DYNSESS__CTZ_BYTES) && defined(__SSE2__) && !defined(DYNSESS__JSON_SWAR)
#include <emmintrin.h>
#define DYNSESS__JSON_SSE2 1
#endif
#define DYNSESS__ONES ((uint64_t)0x0101010101010101u)
#define DYNSESS__HIGH ((uint64_t)0x8080808080808080u)
/* Nonzero if one of the 8 bytes in x is '"', '\\', < 0x20 or (if hi) >= 0x80;
   then its lowest set bit (bit 7 of a byte) marks the first such byte exactly:
   below it no byte is special, so no subtraction borrows, and a byte < 0x80
   gets bit 7 from "v - 1" only if v is 0 (from "x - 0x20" only if x < 0x20).
   Bytes >= 0x80 are flagged by "| x", or masked out by "& ~x". */
static DYNSESS__UNUSED uint64_t dynsess__swar_special(uint64_t x, int hi) {
    uint64_t q = x ^ (DYNSESS__ONES * 0x22), b = x ^ (DYNSESS__ONES * 0x5c);
    uint64_t t = (q - DYNSESS__ONES) | (b - DYNSESS__ONES) | (x - DYNSESS__ONES * 0x20);
    return (hi ? (t | x) : (t & ~x)) & DYNSESS__HIGH;
}

/* Length of the valid UTF-8 sequence at p (p < e, *p >= 0x80), or 0 if it is
   invalid: overlong, a UTF-16 surrogate, above U+10FFFF or truncated. */
static DYNSESS__UNUSED size_t dynsess__utf8_seq(const unsigned char *p, const unsigned char *e) {
    unsigned c = p[0];
    if (c < 0xC2) return 0;
    if (c < 0xE0) return (e - p >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c < 0xF0) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (e - p < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80) return 0;
        return 3;
    }
    if (c < 0xF5) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (e - p < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

/* Offset of the first invalid UTF-8 byte in s, or (size_t)-1 if all valid. */
static DYNSESS__UNUSED size_t dynsess__utf8_check(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s, *e;
    if (!len) return (size_t)-1;
    e = p + len;
    while (p < e) {
        size_t n;
        while (e - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (x & DYNSESS__HIGH) break;
            p += 8;
        }
        if (p == e) break;
        if (*p < 0x80) { p++; continue; }
        n = dynsess__utf8_seq(p, e);
        if (!n) return (size_t)(p - (const unsigned char *)s);
        p += n;
    }
    return (size_t)-1;
}

/* ---- numbers ------------------------------------------------------------------- */
/* The C library's decimal point for the current locale (',' in de_DE). */
static DYNSESS__UNUSED char dynsess__locale_point(void) {
    const struct lconv *lc = localeconv();
    return (lc && lc->decimal_point && lc->decimal_point[0]) ? lc->decimal_point[0] : '.';
}

/* strtod over n bytes of JSON number text, independent of the locale.
   Returns 1 ok, 0 out of memory, -1 overflow to infinity. */
static DYNSESS__UNUSED int dynsess__strtod(const dynsess_allocator *a, const char *s, size_t n,
                                           double *out) {
    char local[128], *buf = local, *dot, point = dynsess__locale_point();
    double d;
    if (n >= sizeof local) {
        buf = (char *)dynsess__alloc(a, n + 1);
        if (!buf) return 0;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    dot = (char *)memchr(buf, '.', n);
    if (dot) *dot = point;
    d = strtod(buf, 0);
    if (buf != local) dynsess__free(a, buf);
    if (d == HUGE_VAL || d == -HUGE_VAL) return -1;
    *out = d;
    return 1;
}

static const double dynsess__pow10[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Exact double for w * 10^e10 when Clinger's fast path applies: w and 10^|e|
   are exact doubles, so one IEEE multiply/divide rounds correctly. */
static DYNSESS__UNUSED int dynsess__fast_double(uint64_t w, int e10, double *out) {
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    if (w > ((uint64_t)1 << 53) || e10 < -22 || e10 > 22) return 0;
    *out = e10 < 0 ? (double)w / dynsess__pow10[-e10] : (double)w * dynsess__pow10[e10];
    return 1;
#else
    (void)w; (void)e10; (void)out;
    return 0;
#endif
}

static const char dynsess__digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of v into the end of buf; returns the start. */
static DYNSESS__UNUSED char *dynsess__u64_digits(uint64_t v, char *end) {
    char *p = end;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, dynsess__digits2 + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, dynsess__digits2 + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return p;
}

/* Writes i in decimal to out (>= 21 bytes); returns the length. */
static DYNSESS__UNUSED size_t dynsess__i64_text(int64_t i, char *out) {
    char tmp[24], *p;
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    size_t n;
    p = dynsess__u64_digits(u, tmp + sizeof tmp);
    if (i < 0) *--p = '-';
    n = (size_t)(tmp + sizeof tmp - p);
    memcpy(out, p, n);
    return n;
}

/* Writes finite d to out (>= 32 bytes) so that it parses back to exactly d
   and reads as a number with a fraction or exponent; returns the length. */
static DYNSESS__UNUSED size_t dynsess__double_text(double d, char *out) {
    char tmp[40];
    int prec, k;
    size_t n, i;
    char point;
    if (d == 0) {
        if (signbit(d)) { memcpy(out, "-0.0", 4); return 4; }
        memcpy(out, "0.0", 3);
        return 3;
    }
    /* exact short form: d == m / 10^k with m integral, |m| < 10^15 (so never
       longer than %.15g, and the smallest k gives the fewest digits), k <= 15 */
    for (k = 0; k <= 15; k++) {
        double m = d * dynsess__pow10[k];
        if (m >= 1e15 || m <= -1e15) break;
        if (m == (double)(int64_t)m) {
            int64_t im = (int64_t)m;
            double back;
            uint64_t um = im < 0 ? (uint64_t)0 - (uint64_t)im : (uint64_t)im;
            if (!dynsess__fast_double(um, -k, &back)) break;
            if (im < 0) back = -back;
            if (back == d) {
                char digits[24], *p, *o = out;
                size_t nd;
                while (k > 0 && um % 10 == 0) { um /= 10; k--; }
                p = dynsess__u64_digits(um, digits + sizeof digits);
                nd = (size_t)(digits + sizeof digits - p);
                if (im < 0) *o++ = '-';
                if (k == 0) {
                    memcpy(o, p, nd);
                    o += nd;
                    memcpy(o, ".0", 2);
                    o += 2;
                } else if ((size_t)k >= nd) {
                    *o++ = '0';
                    *o++ = '.';
                    for (i = nd; i < (size_t)k; i++) *o++ = '0';
                    memcpy(o, p, nd);
                    o += nd;
                } else {
                    memcpy(o, p, nd - (size_t)k);
                    o += nd - (size_t)k;
                    *o++ = '.';
                    memcpy(o, p + nd - (size_t)k, (size_t)k);
                    o += k;
                }
                return (size_t)(o - out);
            }
        }
    }
    /* general: shortest of %.15g..%.17g that strtod (same locale) reads back */
    point = dynsess__locale_point();
    for (prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (prec == 17 || strtod(tmp, 0) == d) break;
    }
    n = strlen(tmp);
    for (i = 0; i < n; i++) {
        if (tmp[i] == point) tmp[i] = '.';
    }
    memcpy(out, tmp, n);
    if (!memchr(out, '.', n) && !memchr(out, 'e', n) && !memchr(out, 'E', n)) {
        memcpy(out + n, ".0", 2);
        n += 2;
    }
    return n;
}

/* ---- parser -------------------------------------------------------------------- */
typedef struct dynsess__pframe {
    size_t start;           /* first scratch slot of this container */
    uint64_t seen;          /* object: filter of its keys (DYNSESS__KEY_BIT) */
    int is_obj;
} dynsess__pframe;

/* Bits set in x. An object of n members whose filter has n bits set has no
   two keys on one bit, so no duplicate key; one test a closed object instead
   of a test a key. */
static DYNSESS__UNUSED unsigned dynsess__popcount64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_popcountll(x);
#else
    x = x - ((x >> 1) & 0x5555555555555555u);
    x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Fu;
    return (unsigned)((x * 0x0101010101010101u) >> 56);
#endif
}

/* One of 64 filter bits for a key, from its length, first and last byte
   (4 len + first + 2 last: two address additions; as few collisions over the
   key sets of the test vectors' JSON as the 7 len + 3 first + last it
   replaced, and 1-3 % faster at 290 B and 4 KB):
   different bits mean different keys, so objects whose keys never share a
   bit (n members, n bits set) skip the duplicate-key pass. */
/* k always points into the parser's input copy, just past an opening quote:
   for an empty key k[0] is the NUL written over the closing quote and k[-1]
   is the opening quote, so no test for kl == 0 is needed. */
#define DYNSESS__KEY_BIT(k, kl) \
    ((uint64_t)1 << (((unsigned)(kl) * 4u + (unsigned char)(k)[0] + \
                      (unsigned char)((k) + (kl))[-1] * 2u) & 63u))

typedef struct dynsess__parser {
    dynsess_doc *doc;
    const unsigned char *src, *p, *end; /* over the doc's copy of the input */
    dynsess_error *err;
    dynsess__member *scratch;
    size_t nscratch, cap_scratch;
    dynsess__pframe *frames;
    size_t nframes, cap_frames;
    int heap_scratch, heap_frames;
} dynsess__parser;

static DYNSESS__UNUSED dynsess_status dynsess__json_unexpected(dynsess__parser *ps,
                                                               const unsigned char *at) {
    size_t off = (size_t)(at - ps->src);
    if (at >= ps->end)
        return dynsess__fail(ps->err, DYNSESS_E_JSON, off, "json: unexpected end of input at offset %lu",
                             (unsigned long)off);
    if (*at > 0x20 && *at < 0x7f)
        return dynsess__fail(ps->err, DYNSESS_E_JSON, off, "json: unexpected '%c' at offset %lu", *at,
                             (unsigned long)off);
    return dynsess__fail(ps->err, DYNSESS_E_JSON, off, "json: unexpected byte 0x%02x at offset %lu",
                         (unsigned)*at, (unsigned long)off);
}

static DYNSESS__UNUSED dynsess_status dynsess__json_err(dynsess__parser *ps, const unsigned char *at,
                                                        const char *what) {
    size_t off = (size_t)(at - ps->src);
    return dynsess__fail(ps->err, DYNSESS_E_JSON, off, "json: %s at offset %lu", what,
                         (unsigned long)off);
}

static DYNSESS__UNUSED int dynsess__hex4(const unsigned char *p, unsigned *out) {
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') d = (c | 0x20) - 'a' + 10;
        else return 0;
        v = v << 4 | d;
    }
    *out = v;
    return 1;
}

/* Parses the string whose opening quote is at ps->p. The parser runs over the
   doc's own copy of the input, so the string stays where it is: without escapes
   *s points into the copy; with escapes it is unescaped in place (never longer).
   The closing quote (or the byte after the unescaped text) becomes a NUL.
   On success ps->p is past the closing quote. */
static DYNSESS__UNUSED dynsess_status dynsess__parse_string(dynsess__parser *ps, const char **s,
                                                            size_t *n) {
    unsigned char *start = (unsigned char *)ps->p + 1, *p = start;
    const unsigned char *e = ps->end;
    int has_esc = 0;
    /* pass 1: find the closing quote, validate UTF-8 and control bytes */
    for (;;) {
        unsigned c;
        uint64_t x, m;
        /* p <= e: the 8 NUL bytes after the input copy make the load safe and
           stop the scan (NUL is special) */
        memcpy(&x, p, 8);
        m = dynsess__swar_special(x, 1);
        if (!m) {
            p += 8;
            continue;
        }
#ifdef DYNSESS__CTZ_BYTES
        p += DYNSESS__CTZ_BYTES(m);
#else
        while (!(dynsess__json_cls[*p] & DYNSESS__CLS_STR)) p++;
#endif
        if (p >= e) return dynsess__json_err(ps, e, "unterminated string");
        c = *p;
        if (c == '"') break;
        if (c == '\\') {
            has_esc = 1;
            p = e - p < 2 ? (unsigned char *)e : p + 2;
            continue;
        }
        if (c < 0x20) return dynsess__json_err(ps, p, "control character in string");
        {
            size_t k = dynsess__utf8_seq(p, e);
            if (!k) return dynsess__json_err(ps, p, "invalid utf-8 in string");
            p += k;
        }
    }
    ps->p = p + 1;
    *s = (const char *)start;
    if (!has_esc) {
        *p = 0;
        *n = (size_t)(p - start);
        return DYNSESS_OK;
    }
    /* pass 2: unescape in place; o never passes q */
    {
        unsigned char *q = start, *qe = p, *o = start;
        while (q < qe) {
            unsigned char *r = (unsigned char *)memchr(q, '\\', (size_t)(qe - q));
            unsigned cp, lo;
            if (!r) r = qe;
            if (o != q) memmove(o, q, (size_t)(r - q));
            o += r - q;
            q = r;
            if (q == qe) break;
            if (qe - q < 2) return dynsess__json_err(ps, q, "invalid escape");
            switch (q[1]) {
            case '"': *o++ = '"'; q += 2; continue;
            case '\\': *o++ = '\\'; q += 2; continue;
            case '/': *o++ = '/'; q += 2; continue;
            case 'b': *o++ = '\b'; q += 2; continue;
            case 'f': *o++ = '\f'; q += 2; continue;
            case 'n': *o++ = '\n'; q += 2; continue;
            case 'r': *o++ = '\r'; q += 2; continue;
            case 't': *o++ = '\t'; q += 2; continue;
            case 'u': break;
            default: return dynsess__json_err(ps, q, "invalid escape");
            }
            if (qe - q < 6 || !dynsess__hex4(q + 2, &cp))
                return dynsess__json_err(ps, q, "invalid \\u escape");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return dynsess__json_err(ps, q, "lone low surrogate escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (qe - q < 12 || q[6] != '\\' || q[7] != 'u' || !dynsess__hex4(q + 8, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return dynsess__json_err(ps, q, "lone high surrogate escape");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            }
            q += 6;
            if (cp < 0x80) {
                *o++ = (unsigned char)cp;
            } else if (cp < 0x800) {
                *o++ = (unsigned char)(0xC0 | (cp >> 6));
                *o++ = (unsigned char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (unsigned char)(0xE0 | (cp >> 12));
                *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (unsigned char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (unsigned char)(0xF0 | (cp >> 18));
                *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (unsigned char)(0x80 | (cp & 0x3F));
            }
        }
        *o = 0;
        *n = (size_t)(o - start);
    }
    return DYNSESS_OK;
}

/* Sets a value's tag and len with one 8-byte store (the two fields share the
   value's first 8 bytes): the parser copies its slots with 8-byte loads, and
   a load that spans two stores still in flight stalls (store forwarding). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define DYNSESS__HEAD(v, t, n)                                                   \
    do {                                                                         \
        uint64_t h_ = (uint64_t)(uint32_t)(t) | (uint64_t)(uint32_t)(n) << 32;   \
        memcpy((v), &h_, 8);                                                     \
    } while (0)
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define DYNSESS__HEAD(v, t, n)                                                   \
    do {                                                                         \
        uint64_t h_ = (uint64_t)(uint32_t)(t) << 32 | (uint64_t)(uint32_t)(n);   \
        memcpy((v), &h_, 8);                                                     \
    } while (0)
#else
#define DYNSESS__HEAD(v, t, n) ((v)->tag = (uint32_t)(t), (v)->len = (uint32_t)(n))
#endif
/* Copies 8 bytes at a time, each load matching one store of the parser. */
static DYNSESS__UNUSED void dynsess__copy8(void *dst, const void *src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    size_t i;
    for (i = 0; i < n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        memcpy(d + i, &x, 8);
    }
}

/* Copies n object members (32 bytes each) from the scratch stack to their
   block, inline with 8-byte moves: each load matches one store of the parser,
   so a member written just before its object closes is forwarded from the
   store buffer (a 16-byte load over two 8-byte stores is not). On a Zen 5
   this was 1-3 % faster than two 16-byte moves a member (on a Zen 3, 3 %
   slower); a memcpy call costs more than the copy for the few members of a
   session object (2-3 % of a parse of the 290 B and 4 KB sessions). */
static DYNSESS__UNUSED void dynsess__copy_members(dynsess__member *dst, const dynsess__member *src,
                                                  size_t n) {
    size_t i;
    if (sizeof *dst != 32) { /* 32-bit targets: 24-byte members */
        memcpy(dst, src, n * sizeof *dst);
        return;
    }
    for (i = 0; i < n; i++) {
        const char *s = (const char *)&src[i];
        char *d = (char *)&dst[i];
        uint64_t a0, a1, a2, a3;
        memcpy(&a0, s, 8);
        memcpy(&a1, s + 8, 8);
        memcpy(&a2, s + 16, 8);
        memcpy(&a3, s + 24, 8);
        memcpy(d, &a0, 8);
        memcpy(d + 8, &a1, 8);
        memcpy(d + 16, &a2, 8);
        memcpy(d + 24, &a3, 8);
    }
}

/* Parses the number at ps->p into v (INT or REAL). Reads may stop on the NUL
   bytes that follow the doc's copy of the input (see dynsess_json_parse). */
static DYNSESS__UNUSED dynsess_status dynsess__parse_number(dynsess__parser *ps, dynsess_value *v) {
    const unsigned char *p = ps->p, *start = p, *int_start;
    uint64_t w = 0;
    int neg = 0, is_real = 0, r;
    size_t nd, frac = 0;
    long ex = 0;
    double d;
    /* every digit goes into w: with at most 19 digits in all (nd) w is exact;
       longer literals take the strtod path, where w is not used */
    if (*p == '-') { neg = 1; p++; }
    int_start = p;
    if (*p == '0') {
        p++;
        if ((unsigned)(*p - '0') < 10u)
            return dynsess__json_err(ps, int_start, "leading zero in number");
    } else if (DYNSESS__LIKELY((unsigned)(*p - '0') < 10u)) {
        do {
            w = w * 10 + (uint64_t)(*p - '0');
            p++;
        } while ((unsigned)(*p - '0') < 10u);
    } else {
        return dynsess__json_err(ps, p, "invalid number");
    }
    nd = (size_t)(p - int_start);
    if (*p == '.') {
        const unsigned char *fs = ++p;
        if ((unsigned)(*p - '0') >= 10u) return dynsess__json_err(ps, p, "digit expected after '.'");
        do {
            w = w * 10 + (uint64_t)(*p - '0');
            p++;
        } while ((unsigned)(*p - '0') < 10u);
        frac = (size_t)(p - fs);
        nd += frac;
        is_real = 1;
    }
    if ((*p == 'e' || *p == 'E')) {
        int eneg = 0;
        p++;
        if ((*p == '+' || *p == '-')) { eneg = *p == '-'; p++; }
        if (*p < '0' || *p > '9') return dynsess__json_err(ps, p, "digit expected in exponent");
        while (*p >= '0' && *p <= '9') {
            if (ex < 100000000L) ex = ex * 10 + (*p - '0');
            p++;
        }
        if (eneg) ex = -ex;
        is_real = 1;
    }
    ps->p = p;
    if (!is_real && nd <= 19) {
        /* integer literal: exact when it fits int64 (19 digits fit uint64) */
        if (!neg && w <= (uint64_t)INT64_MAX) {
            DYNSESS__HEAD(v, DYNSESS_JSON_INT, 0);
            v->u.i = (int64_t)w;
            return DYNSESS_OK;
        }
        if (neg && w <= (uint64_t)INT64_MAX + 1) {
            DYNSESS__HEAD(v, DYNSESS_JSON_INT, 0);
            v->u.i = w == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)w;
            return DYNSESS_OK;
        }
    }
    DYNSESS__HEAD(v, DYNSESS_JSON_REAL, 0);
    if (nd <= 19 && dynsess__fast_double(w, (int)(ex - (long)frac), &d)) {
        v->u.d = neg ? -d : d;
        return DYNSESS_OK;
    }
    r = dynsess__strtod(&ps->doc->alloc, (const char *)start, (size_t)(p - start), &d);
    if (r == 0) return dynsess__fail_nomem(ps->err, "json");
    if (r < 0) return dynsess__json_err(ps, start, "number out of double range");
    v->u.d = d;
    return DYNSESS_OK;
}

static DYNSESS__UNUSED int dynsess__key_cmp(const dynsess__member *a, const dynsess__member *b) {
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = n ? memcmp(a->key, b->key, n) : 0;
    if (c) return c;
    return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

/* Drops duplicate keys from m[0..*n): each key keeps its first position and
   its last value (like Python's dict). O(n log n) via a merge sort of indices.
   Returns 0 on out of memory. */
static DYNSESS__UNUSED int dynsess__dedup(dynsess_doc *doc, dynsess__member *m, size_t *n) {
    size_t cnt = *n, i, j, out, width;
    size_t *idx, *tmp;
    if (cnt < 2) return 1;
    if (cnt <= 16) {
        /* a 64-bit filter on (length, first, last byte) skips most comparisons */
        uint64_t seen = 0;
        out = 0;
        for (i = 0; i < cnt; i++) {
            uint64_t bit = DYNSESS__KEY_BIT(m[i].key, m[i].key_len);
            if (!(seen & bit)) {
                seen |= bit;
                if (out != i) m[out] = m[i];
                out++;
                continue;
            }
            for (j = 0; j < out; j++) {
                if (m[j].key_len == m[i].key_len &&
                    (!m[i].key_len || (m[j].key[0] == m[i].key[0] &&
                                       m[j].key[m[i].key_len - 1] == m[i].key[m[i].key_len - 1] &&
                                       !memcmp(m[j].key, m[i].key, m[i].key_len)))) {
                    m[j].x = m[i].x;
                    break;
                }
            }
            if (j == out) m[out++] = m[i];
        }
        *n = out;
        return 1;
    }
    idx = (size_t *)dynsess__alloc(&doc->alloc, 2 * cnt * sizeof(size_t));
    if (!idx) return 0;
    tmp = idx + cnt;
    for (i = 0; i < cnt; i++) idx[i] = i;
    for (width = 1; width < cnt; width *= 2) {
        size_t lo;
        for (lo = 0; lo < cnt; lo += 2 * width) {
            size_t mid = lo + width < cnt ? lo + width : cnt;
            size_t hi = lo + 2 * width < cnt ? lo + 2 * width : cnt, a = lo, b = mid, k = lo;
            while (a < mid && b < hi) {
                if (dynsess__key_cmp(&m[idx[b]], &m[idx[a]]) < 0) tmp[k++] = idx[b++];
                else tmp[k++] = idx[a++];
            }
            while (a < mid) tmp[k++] = idx[a++];
            while (b < hi) tmp[k++] = idx[b++];
        }
        memcpy(idx, tmp, cnt * sizeof(size_t));
    }
    /* stable: within a group indices ascend; first keeps the last value */
    for (i = 0; i < cnt; i = j) {
        for (j = i + 1; j < cnt && !dynsess__key_cmp(&m[idx[i]], &m[idx[j]]); j++) {}
        if (j - i > 1) {
            size_t t;
            m[idx[i]].x = m[idx[j - 1]].x;
            for (t = i + 1; t < j; t++) m[idx[t]].key = 0;
        }
    }
    dynsess__free(&doc->alloc, idx);
    out = 0;
    for (i = 0; i < cnt; i++)
        if (m[i].key) m[out++] = m[i];
    *n = out;
    return 1;
}

/* Doubles the scratch stack (out of line: the push below is the hot path). */
static DYNSESS__UNUSED int dynsess__ps_grow_scratch(dynsess__parser *ps) {
    size_t nc = ps->cap_scratch * 2;
    dynsess__member *m = (dynsess__member *)dynsess__alloc(&ps->doc->alloc, nc * sizeof *m);
    if (!m) return 0;
    memcpy(m, ps->scratch, ps->nscratch * sizeof *m);
    if (ps->heap_scratch) dynsess__free(&ps->doc->alloc, ps->scratch);
    ps->scratch = m;
    ps->cap_scratch = nc;
    ps->heap_scratch = 1;
    return 1;
}
static DYNSESS__UNUSED int dynsess__ps_push_frame(dynsess__parser *ps, int is_obj, size_t start) {
    dynsess__pframe *f;
    if (DYNSESS__UNLIKELY(ps->nframes == ps->cap_frames)) {
        size_t nc = ps->cap_frames * 2;
        dynsess__pframe *m = (dynsess__pframe *)dynsess__alloc(&ps->doc->alloc, nc * sizeof *m);
        if (!m) return 0;
        memcpy(m, ps->frames, ps->nframes * sizeof *m);
        if (ps->heap_frames) dynsess__free(&ps->doc->alloc, ps->frames);
        ps->frames = m;
        ps->cap_frames = nc;
        ps->heap_frames = 1;
    }
    f = &ps->frames[ps->nframes++];
    f->start = start;
    f->is_obj = is_obj;
    f->seen = 0;
    return 1;
}

/* The doc's input copy ends in NUL bytes, which are neither whitespace nor
   any token: scans stop there without bounds checks, and a NUL at p == e is
   reported as the end of input. */
#define DYNSESS__SKIP_WS(p, e) \
    while (*(p) <= 0x20 && (dynsess__json_cls[*(p)] & DYNSESS__CLS_WS)) (p)++

/* The parse loop: a state machine over an explicit stack of open containers
   (ps->frames) and of their finished members (ps->scratch); no recursion. An
   object member is pushed when its key is read and gets its value later. */
static DYNSESS__UNUSED dynsess_status dynsess__parse_run(dynsess__parser *ps, uint32_t max_depth,
                                                         dynsess_value **root) {
    const unsigned char *p = ps->p, *e = ps->end;
    dynsess_status rc;
    int is_obj = 0;
    dynsess__member *sc = ps->scratch; /* scratch stack: ps->scratch, ps->nscratch */
    size_t ns = ps->nscratch, cap_sc = ps->cap_scratch;
    dynsess_value rootv, *v = &rootv;
    /* the open frames are kept in locals: the NUL bytes written over closing
       quotes may alias anything, and would force reloads of ps->... on every
       value otherwise. The arena (doc->cur, doc->end) and each open object's
       duplicate-key filter (fr[].seen) stay in memory: they are used
       once a container or once a key, and registers are scarce in this loop */
    dynsess_doc *doc = ps->doc;
    dynsess__pframe *fr = ps->frames;
    size_t nf = ps->nframes;
#ifdef DYNSESS__JSON_SSE2
    const __m128i sse_quote = _mm_set1_epi8('"'), sse_bslash = _mm_set1_epi8('\\'),
                  sse_space = _mm_set1_epi8(0x20);
#endif
/* Plain ASCII strings (no escape, no byte >= 0x80) are read inline: on success
   sp/sn are set, p is past the closing quote and control goes to done;
   anything else goes on to dynsess__parse_string, which starts over at the
   opening quote. hit names a label of the call site's own (hit##_other too).
   DYNSESS__SHORT_KEY is the same for keys. */
#if defined(DYNSESS__JSON_SSE2)
/* SSE2: the first special byte ('"', '\\', < 0x20, >= 0x80) of the 16 bytes
   after the opening quote is found by a tree of predicted tests on the
   block's mask (halves, quarters, eighths, then the bit), and each leaf tests
   its own byte for the quote, at a fixed offset: nothing on the way to the
   next token waits for the mask (a count-trailing-zeros, or a compiler's
   conditional move between two leaves, would put the mask's latency on it;
   with the quote test shared after the tree, gcc 12 merged leaves into
   conditional moves and the parse was 30 % slower). The tree replaced a
   chain of one test a byte (1-10 % slower at 290 B) and a count-trailing-
   zeros (5-14 % slower on an idle core); keys use it too (on a Zen 5, 16-21 %
   faster at 290 B and 14-17 % at 4 KB than a count-trailing-zeros; on a
   Zen 3 it had been 15 % slower in slow spells). String values take the
   tree on each of their first three blocks (up to 47 bytes: tokens, ids,
   URLs, e-mail addresses; against one tree and a count-trailing-zeros from
   the second block on, 16-35 % faster at 4 KB, whose URLs run 20-25 bytes,
   and 3 % at 290 B), keys on their first only (a second was 3 % slower at
   290 B); past those blocks, a count-trailing-zeros a block. */
#define DYNSESS__SSE_AT1(q_, label, other, k)                                       \
    do {                                                                            \
        if ((q_)[k] == '"') { (q_) += (k); goto label; }                            \
        goto other;                                                                 \
    } while (0)
#define DYNSESS__SSE_AT2(q_, label, other, k)                                       \
    do {                                                                            \
        if (m_ & (1u << (k))) DYNSESS__SSE_AT1(q_, label, other, k);                \
        DYNSESS__SSE_AT1(q_, label, other, (k) + 1);                                \
    } while (0)
#define DYNSESS__SSE_AT4(q_, label, other, k)                                       \
    do {                                                                            \
        if (m_ & (3u << (k))) DYNSESS__SSE_AT2(q_, label, other, k);                \
        DYNSESS__SSE_AT2(q_, label, other, (k) + 2);                                \
    } while (0)
#define DYNSESS__SSE_AT8(q_, label, other, k)                                       \
    do {                                                                            \
        if (m_ & (15u << (k))) DYNSESS__SSE_AT4(q_, label, other, k);               \
        DYNSESS__SSE_AT4(q_, label, other, (k) + 4);                                \
    } while (0)
/* m = the mask of special bytes of the 16 at q */
#define DYNSESS__SSE_MASK(m, q)                                                     \
    do {                                                                            \
        __m128i x_ = _mm_loadu_si128((const __m128i *)(const void *)(q));           \
        (m) = (unsigned)_mm_movemask_epi8(_mm_or_si128(                             \
            _mm_or_si128(_mm_cmpeq_epi8(x_, sse_quote), _mm_cmpeq_epi8(x_, sse_bslash)), \
            _mm_cmplt_epi8(x_, sse_space)));                                        \
    } while (0)
#define DYNSESS__SSE_BLOCK(hit)                                                     \
    do {                                                                            \
        DYNSESS__SSE_MASK(m_, q_);                                                  \
        if (m_) {                                                                   \
            if (m_ & 0xFFu) DYNSESS__SSE_AT8(q_, hit, hit##_other, 0);              \
            DYNSESS__SSE_AT8(q_, hit, hit##_other, 8);                              \
        }                                                                           \
    } while (0)
/* past the blocks the trees took: a count-trailing-zeros a block; then the
   string's end (hit) or the way out to dynsess__parse_string (hit##_other) */
#define DYNSESS__SSE_REST(sp, sn, hit, done)                                        \
    do {                                                                            \
        q_ += 16;                                                                   \
        DYNSESS__SSE_MASK(m_, q_);                                                  \
    } while (!m_);                                                                  \
    q_ += __builtin_ctz(m_);                                                        \
    if (*q_ != '"') goto hit##_other;                                               \
    hit:                                                                            \
    (sp) = (const char *)p + 1;                                                     \
    (sn) = (size_t)(q_ - p - 1);                                                    \
    *q_ = 0;                                                                        \
    p = q_ + 1;                                                                     \
    goto done;                                                                      \
    hit##_other:
#define DYNSESS__SHORT_KEY(sp, sn, hit, done)                                       \
    do {                                                                            \
        unsigned char *q_ = (unsigned char *)p + 1;                                 \
        unsigned m_;                                                                \
        DYNSESS__SSE_BLOCK(hit);                                                    \
        DYNSESS__SSE_REST(sp, sn, hit, done);                                       \
    } while (0)
#define DYNSESS__SHORT_STRING(sp, sn, hit, done)                                    \
    do {                                                                            \
        unsigned char *q_ = (unsigned char *)p + 1;                                 \
        unsigned m_;                                                                \
        DYNSESS__SSE_BLOCK(hit);                                                    \
        q_ += 16;                                                                   \
        DYNSESS__SSE_BLOCK(hit);                                                    \
        q_ += 16;                                                                   \
        DYNSESS__SSE_BLOCK(hit);                                                    \
        DYNSESS__SSE_REST(sp, sn, hit, done);                                       \
    } while (0)
#elif defined(DYNSESS__CTZ_BYTES)
#define DYNSESS__SHORT_STRING(sp, sn, hit, done)                                    \
    do {                                                                            \
        unsigned char *q_ = (unsigned char *)p + 1;                                 \
        for (;;) {                                                                  \
            uint64_t x_, m_;                                                        \
            memcpy(&x_, q_, 8);                                                     \
            m_ = dynsess__swar_special(x_, 1);                                      \
            if (!m_) { q_ += 8; continue; }                                         \
            q_ += DYNSESS__CTZ_BYTES(m_);                                           \
            if (*q_ == '"') {                                                       \
                (sp) = (const char *)p + 1;                                         \
                (sn) = (size_t)(q_ - p - 1);                                        \
                *q_ = 0;                                                            \
                p = q_ + 1;                                                         \
                goto done;                                                          \
            }                                                                       \
            break;                                                                  \
        }                                                                           \
    } while (0)
#else
#define DYNSESS__SHORT_STRING(sp, sn, hit, done) do { if (0) goto done; } while (0)
#endif
#ifndef DYNSESS__SHORT_KEY
#define DYNSESS__SHORT_KEY DYNSESS__SHORT_STRING
#endif
/* ptr = n bytes from the arena, or out of memory */
#define DYNSESS__ARENA_GET(ptr, type, n)                                         \
    do {                                                                         \
        (ptr) = (type)dynsess__arena_alloc(doc, (n));                            \
        if (!(ptr)) return dynsess__fail_nomem(ps->err, "json");                \
    } while (0)
/* v = a new scratch slot for the next array element */
#define DYNSESS__NEW_SLOT()                                                      \
    do {                                                                         \
        if (DYNSESS__UNLIKELY(ns == cap_sc)) {                                   \
            ps->nscratch = ns;                                                   \
            if (!dynsess__ps_grow_scratch(ps)) return dynsess__fail_nomem(ps->err, "json"); \
            sc = ps->scratch;                                                    \
            cap_sc = ps->cap_scratch;                                            \
        }                                                                        \
        v = &sc[ns++].x.v;                                                       \
    } while (0)

/* Compact JSON has no white space: each step first tests for the byte it
   expects and skips white space only when that test fails. Every value is
   written straight into its slot, v: the scratch slot of its array element
   or object member, or the local root. */
value:
    if (DYNSESS__LIKELY(*p == '"')) goto string_value; /* the most common value */
    switch (*p) { /* the NUL at p == e lands in default: "unexpected end of input" */
    case ' ':
    case '\t':
    case '\n':
    case '\r':
        p++;
        DYNSESS__SKIP_WS(p, e);
        goto value;
    case '"':
    string_value: {
        size_t sn;
        DYNSESS__SHORT_STRING(v->u.s, sn, value_end, got_string);
        ps->p = p;
        rc = dynsess__parse_string(ps, &v->u.s, &sn);
        if (rc) return rc;
        p = ps->p;
    got_string:
        DYNSESS__HEAD(v, DYNSESS_JSON_STRING, sn); /* < 4 GiB: dynsess_json_parse bounds the input */
        goto got;
    }
    case '{':
    case '[':
        if (nf >= max_depth)
            return dynsess__fail(ps->err, DYNSESS_E_DEPTH, (size_t)(p - ps->src),
                                 "json: nesting deeper than %lu at offset %lu",
                                 (unsigned long)max_depth, (unsigned long)(p - ps->src));
        is_obj = *p == '{';
        if (DYNSESS__LIKELY(nf < ps->cap_frames)) {
            fr[nf].start = ns;
            fr[nf].is_obj = is_obj;
            fr[nf].seen = 0;
            nf++;
        } else {
            ps->nframes = nf;
            if (!dynsess__ps_push_frame(ps, is_obj, ns)) return dynsess__fail_nomem(ps->err, "json");
            fr = ps->frames;
            nf = ps->nframes;
        }
        p++;
        DYNSESS__SKIP_WS(p, e);
        if (*p == (is_obj ? '}' : ']')) {
            p++;
            goto close;
        }
        if (is_obj) goto key;
        DYNSESS__NEW_SLOT();
        goto value;
    case 't':
        if (memcmp(p, "true", 4)) goto bad_word;
        DYNSESS__HEAD(v, DYNSESS_JSON_BOOL, 0);
        v->u.i = 1;
        p += 4;
        goto got;
    case 'f':
        if (memcmp(p, "false", 5)) goto bad_word;
        DYNSESS__HEAD(v, DYNSESS_JSON_BOOL, 0);
        v->u.i = 0;
        p += 5;
        goto got;
    case 'n':
        if (memcmp(p, "null", 4)) goto bad_word;
        DYNSESS__HEAD(v, DYNSESS_JSON_NULL, 0);
        v->u.i = 0;
        p += 4;
        goto got;
    bad_word: {
        const char *w = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
        size_t i;
        for (i = 0; w[i] && p + i < e && p[i] == (unsigned char)w[i]; i++) {}
        return dynsess__json_unexpected(ps, p + i);
    }
    default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            ps->p = p;
            rc = dynsess__parse_number(ps, v);
            if (rc) return rc;
            p = ps->p;
            goto got;
        }
        return dynsess__json_unexpected(ps, p);
    }

key:
    /* where an object key must start (after '{' and white space, or after ',') */
    if (DYNSESS__UNLIKELY(*p != '"')) {
        DYNSESS__SKIP_WS(p, e);
        if (*p == '}') return dynsess__json_err(ps, p, "trailing comma");
        if (*p != '"') return dynsess__json_unexpected(ps, p);
    }
    {
        const char *key, *ks;
        size_t key_len, kn;
        DYNSESS__SHORT_KEY(key, key_len, key_end, have_key);
        ps->p = p;
        rc = dynsess__parse_string(ps, &ks, &kn); /* key stays out of memory */
        if (rc) return rc;
        key = ks;
        key_len = kn;
        p = ps->p;
    have_key:
        /* the member's slot; its value is written there (v) */
        if (DYNSESS__UNLIKELY(ns == cap_sc)) {
            ps->nscratch = ns;
            if (!dynsess__ps_grow_scratch(ps)) return dynsess__fail_nomem(ps->err, "json");
            sc = ps->scratch;
            cap_sc = ps->cap_scratch;
        }
        sc[ns].key = key;
        sc[ns].key_len = key_len;
        v = &sc[ns].x.v;
        ns++;
        {
            uint64_t bit = DYNSESS__KEY_BIT(key, key_len);
            fr[nf - 1].seen |= bit;
        }
    }
    if (DYNSESS__UNLIKELY(*p != ':')) {
        DYNSESS__SKIP_WS(p, e);
        if (*p != ':') return dynsess__json_unexpected(ps, p);
    }
    p++;
    goto value;

close: {
    /* the container on top of the frame stack is complete: its children move
       from the scratch stack into one FLAT block, and the container itself
       goes into its own slot, just below its first child (or the root) */
    dynsess__pframe *f = &fr[nf - 1];
    size_t n = ns - f->start;
    dynsess__member *m = sc + f->start;
    uint32_t ctag;
    void *cbody = 0;
    if (n > 0xFFFFFFFFu)
        return dynsess__fail(ps->err, DYNSESS_E_LIMIT, (size_t)(p - ps->src),
                             "json: more than 4294967295 members at offset %lu",
                             (unsigned long)(p - ps->src));
    if (is_obj) {
        dynsess__member *dst = 0;
        if (n > 1 && dynsess__popcount64(f->seen) != n && !dynsess__dedup(doc, m, &n))
            return dynsess__fail_nomem(ps->err, "json");
        if (n) {
            DYNSESS__ARENA_GET(dst, dynsess__member *, n * sizeof *dst);
            dynsess__copy_members(dst, m, n);
        }
        ctag = DYNSESS_JSON_OBJECT | DYNSESS__FLAT;
        cbody = dst;
    } else {
        dynsess_value *dst = 0;
        size_t i;
        if (n) {
            DYNSESS__ARENA_GET(dst, dynsess_value *, n * sizeof *dst);
            for (i = 0; i < n; i++) dynsess__copy8(&dst[i], &m[i].x.v, sizeof *dst);
        }
        ctag = DYNSESS_JSON_ARRAY | DYNSESS__FLAT;
        cbody = dst;
    }
    ns = f->start;
    nf--;
    if (nf) {
        v = &sc[ns - 1].x.v;
        is_obj = fr[nf - 1].is_obj;
    } else {
        v = &rootv;
    }
    DYNSESS__HEAD(v, ctag, n);
    memcpy(&v->u, &cbody, sizeof cbody); /* u.members or u.vals */
}

got:
    /* v is a complete value */
    if (DYNSESS__UNLIKELY(!nf)) {
        dynsess__root *r;
        DYNSESS__SKIP_WS(p, e);
        if (p < e) return dynsess__json_err(ps, p, "unexpected data after the document");
        DYNSESS__ARENA_GET(r, dynsess__root *, sizeof *r);
        dynsess__copy8(&r->v, &rootv, sizeof rootv);
        r->doc = doc;
        ps->nframes = 0;
        *root = &r->v;
        return DYNSESS_OK;
    }
sep:
    if (DYNSESS__LIKELY(*p == ',')) {
        p++;
        if (is_obj) goto key;
        DYNSESS__SKIP_WS(p, e);
        if (*p == ']') return dynsess__json_err(ps, p, "trailing comma");
        DYNSESS__NEW_SLOT();
        goto value;
    }
    if (*p == (is_obj ? '}' : ']')) {
        p++;
        goto close;
    }
    if (*p <= 0x20 && (dynsess__json_cls[*p] & DYNSESS__CLS_WS)) {
        p++;
        DYNSESS__SKIP_WS(p, e);
        goto sep;
    }
    return dynsess__json_unexpected(ps, p);
#undef DYNSESS__NEW_SLOT
#ifdef DYNSESS__SSE_MASK
#undef DYNSESS__SSE_MASK
#undef DYNSESS__SSE_BLOCK
#undef DYNSESS__SSE_REST
#undef DYNSESS__SSE_AT8
#undef DYNSESS__SSE_AT4
#undef DYNSESS__SSE_AT2
#undef DYNSESS__SSE_AT1
#endif
#undef DYNSESS__ARENA_GET
#undef DYNSESS__SHORT_STRING
#undef DYNSESS__SHORT_KEY
}
#undef DYNSESS__SKIP_WS

DYNSESS_DEF dynsess_status dynsess_json_parse(dynsess_doc *doc, const char *src, size_t len,
                                              const dynsess_json_opts *opts, dynsess_value **root,
                                              dynsess_error *err) {
    dynsess__member scratch[192]; /* 6 KB: arrays of up to 192 items need no heap */
    dynsess__pframe frames[32];
    dynsess__parser ps;
    dynsess__arena_mark mark;
    dynsess_status rc;
    char *copy;
    uint32_t max_depth = opts ? opts->max_depth : 0;
    size_t max_len = opts ? opts->max_len : 0;
    if (root) *root = 0;
    if (!doc || !root || (!src && len))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "json: doc, src or root is null");
    DYNSESS__DEF(max_depth, 128);
    DYNSESS__DEF(max_len, (size_t)1 << 20);
    if (len > max_len)
        return dynsess__fail(err, DYNSESS_E_LIMIT, max_len,
                             "json: input of %lu bytes exceeds the limit of %lu",
                             (unsigned long)len, (unsigned long)max_len);
    if (len > (size_t)-1 - 64)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "json: input size overflows");
    if (len >= (size_t)0xFFFFFFFFu) /* so that every string length fits 32 bits */
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                             "json: input of 4 GiB or more");
    mark.chunks = doc->chunks;
    mark.cur = doc->cur;
    mark.end = doc->end;
    /* pre-size the arena when the input copy and about as many bytes of values
       do not fit: the copy plus the values of typical documents in one chunk */
    if ((size_t)(doc->end - doc->cur) / 2 < len + 8 && len < ((size_t)-1) / 4 &&
        !dynsess__arena_reserve(doc, 2 * len + 512))
        return dynsess__fail_nomem(err, "json");
    /* strings live in this copy; 16 zero bytes after it let the parser and the
       writer read whole 16- or 8-byte blocks of any string in it (and stop the
       parser's scans at the end of the input) */
    copy = (char *)dynsess__arena_alloc(doc, len + 16);
    if (!copy) {
        dynsess__arena_rewind(doc, &mark);
        return dynsess__fail_nomem(err, "json");
    }
    if (len) memcpy(copy, src, len);
    memset(copy + len, 0, 16);
    ps.doc = doc;
    ps.src = ps.p = (const unsigned char *)copy;
    ps.end = ps.src + len;
    ps.err = err;
    ps.scratch = scratch;
    ps.nscratch = 0;
    ps.cap_scratch = sizeof scratch / sizeof scratch[0];
    ps.frames = frames;
    ps.nframes = 0;
    ps.cap_frames = sizeof frames / sizeof frames[0];
    ps.heap_scratch = ps.heap_frames = 0;
    rc = dynsess__parse_run(&ps, max_depth, root);
    if (ps.heap_scratch) dynsess__free(&doc->alloc, ps.scratch);
    if (ps.heap_frames) dynsess__free(&doc->alloc, ps.frames);
    if (rc) {
        *root = 0;
        dynsess__arena_rewind(doc, &mark);
    }
    return rc;
}

/* ---- writer -------------------------------------------------------------------- */
typedef struct dynsess__wframe {
    const dynsess_value *c;
    size_t i;
} dynsess__wframe;

/* Writer state: p..wend is room that needs no reserve (respects out->limit). */
typedef struct dynsess__writer {
    dynsess_buf *b;
    char *p, *wend;
    char *pend;   /* physical end (cap - 1): scratch bytes past p..wend are harmless */
    dynsess_error *err;
} dynsess__writer;

static DYNSESS__UNUSED void dynsess__w_sync(dynsess__writer *w) {
    size_t room;
    if (!w->b->ptr) { w->p = w->wend = w->pend = 0; return; }
    w->p = w->b->ptr + w->b->len;
    room = w->b->cap - w->b->len - 1;
    w->pend = w->p + room;
    if (w->b->limit) {
        size_t lim = w->b->limit > w->b->len ? w->b->limit - w->b->len : 0;
        if (lim < room) room = lim;
    }
    w->wend = w->p + room;
}

static DYNSESS__UNUSED dynsess_status dynsess__w_more(dynsess__writer *w, size_t n) {
    dynsess_status rc;
    size_t want;
    if (w->b->ptr) w->b->len = (size_t)(w->p - w->b->ptr);
    /* grow at least by half again so small writes do not reserve one by one */
    want = n < w->b->len / 2 + 64 ? w->b->len / 2 + 64 : n;
    if (w->b->limit && w->b->len + want > w->b->limit && w->b->len + n <= w->b->limit)
        want = w->b->limit - w->b->len;
    rc = dynsess_buf_reserve(w->b, want, w->err);
    if (rc && want != n) rc = dynsess_buf_reserve(w->b, n, w->err);
    if (rc) return rc;
    dynsess__w_sync(w);
    return DYNSESS_OK;
}

#define DYNSESS__W_NEED(w, n) \
    do { if (DYNSESS__UNLIKELY((size_t)((w)->wend - (w)->p) < (size_t)(n))) { \
        dynsess_status rc_ = dynsess__w_more((w), (n)); if (rc_) return rc_; } } while (0)

static DYNSESS__UNUSED dynsess_status dynsess__w_bytes(dynsess__writer *w, const void *s, size_t n) {
    DYNSESS__W_NEED(w, n);
    memcpy(w->p, s, n);
    w->p += n;
    return DYNSESS_OK;
}

/* Writes the escaped body of s[0..n) (no quotes). */
static DYNSESS__UNUSED dynsess_status dynsess__w_body(dynsess__writer *w, const unsigned char *p,
                                                     const unsigned char *e) {
    static const char hex[] = "0123456789abcdef";
    for (;;) {
        const unsigned char *r = p;
        size_t run;
        while (e - r >= 8) {
            uint64_t x, m;
            memcpy(&x, r, 8);
            m = dynsess__swar_special(x, 0);
            if (m) {
#ifdef DYNSESS__CTZ_BYTES
                r += DYNSESS__CTZ_BYTES(m);
#endif
                break;
            }
            r += 8;
        }
        while (r < e && !(dynsess__json_cls[*r] & DYNSESS__CLS_ESC)) r++;
        run = (size_t)(r - p);
        DYNSESS__W_NEED(w, run + 1);
        memcpy(w->p, p, run);
        w->p += run;
        p = r;
        if (p == e) return DYNSESS_OK;
        {
            char esc = 0;
            switch (*p) {
            case '"': esc = '"'; break;
            case '\\': esc = '\\'; break;
            case '\b': esc = 'b'; break;
            case '\f': esc = 'f'; break;
            case '\n': esc = 'n'; break;
            case '\r': esc = 'r'; break;
            case '\t': esc = 't'; break;
            default: break;
            }
            if (esc) {
                DYNSESS__W_NEED(w, 2);
                w->p[0] = '\\';
                w->p[1] = esc;
                w->p += 2;
            } else {
                DYNSESS__W_NEED(w, 6);
                memcpy(w->p, "\\u00", 4);
                w->p[4] = hex[*p >> 4];
                w->p[5] = hex[*p & 15];
                w->p += 6;
            }
            p++;
        }
    }
}

/* Writes s[0..n) as a JSON string. padded: s is an arena string (8-byte aligned,
   its block rounded up past the NUL to a multiple of 8), so whole 8-byte blocks
   from s can be read; bytes past n are masked out and overwritten. */
static DYNSESS__UNUSED dynsess_status dynsess__w_string(dynsess__writer *w, const char *s, size_t n,
                                                       int padded) {
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    dynsess_status rc;
    DYNSESS__W_NEED(w, n + 2);
    *w->p++ = '"';
#ifdef DYNSESS__CTZ_BYTES
    if (padded && (size_t)(w->pend - w->p) >= n + 9) {
        char *o = w->p;
        for (;;) {
            uint64_t x, m;
            size_t rem = (size_t)(e - p);
            memcpy(&x, p, 8);
            m = dynsess__swar_special(x, 0);
            if (rem < 8) m &= ((uint64_t)1 << (rem * 8)) - 1;
            memcpy(o, &x, 8);
            if (m) {
                size_t k = DYNSESS__CTZ_BYTES(m);
                p += k;
                o += k;
                break;
            }
            if (rem <= 8) {
                o += rem;
                p = e;
                break;
            }
            p += 8;
            o += 8;
        }
        w->p = o;
    }
#else
    (void)padded;
#endif
    if (p < e) {
        rc = dynsess__w_body(w, p, e);
        if (rc) return rc;
    }
    DYNSESS__W_NEED(w, 1);
    *w->p++ = '"';
    return DYNSESS_OK;
}

/* Copies the plain prefix of the arena string s[0..n) (see dynsess__w_string:
   whole 8-byte blocks are readable) to o in 8-byte blocks and returns its
   length: n, or the offset of the first byte that needs escaping. o must have
   n + 8 bytes of physical room. */
static DYNSESS__UNUSED size_t dynsess__w_plain_blocks(const unsigned char *s, size_t n, char *o) {
#ifdef DYNSESS__CTZ_BYTES
    size_t done = 0;
    for (;;) {
        uint64_t x, m;
        size_t rem = n - done;
        memcpy(&x, s + done, 8);
        m = dynsess__swar_special(x, 0);
        if (rem < 8) m &= ((uint64_t)1 << (rem * 8)) - 1;
        memcpy(o + done, &x, 8);
        if (m) return done + DYNSESS__CTZ_BYTES(m);
        if (rem <= 8) return n;
        done += 8;
    }
#else
    (void)s; (void)n; (void)o;
    return 0;
#endif
}

/* Number of decimal digits of u. */
static DYNSESS__UNUSED size_t dynsess__u64_len(uint64_t u) {
    size_t n = 1;
    while (u >= 10000) { u /= 10000; n += 4; }
    if (u >= 1000) return n + 3;
    if (u >= 100) return n + 2;
    if (u >= 10) return n + 1;
    return n;
}

/* The tree walk: an explicit stack of open containers, no recursion. The
   write position lives in locals (p, wend: logical end within out->limit,
   pend: physical end of the buffer) and is synced with w around calls. */
static DYNSESS__UNUSED dynsess_status dynsess__w_tree(dynsess__writer *w, const dynsess_value *v,
                                                      dynsess__wframe **stackp, size_t *capp,
                                                      int *heap) {
    size_t sp = 0;
    dynsess_status rc;
    dynsess__wframe *st = *stackp;
    char *p = w->p, *wend = w->wend, *pend = w->pend;
    const char *s;
    size_t n;
    char tail;
#define DYNSESS__ROOM(k)                                                         \
    do {                                                                         \
        if (DYNSESS__UNLIKELY((size_t)(wend - p) < (size_t)(k))) {              \
            w->p = p;                                                            \
            rc = dynsess__w_more(w, (k));                                        \
            if (rc) return rc;                                                   \
            p = w->p; wend = w->wend; pend = w->pend;                            \
        }                                                                        \
    } while (0)
    for (;;) {
        /* write v */
        switch (v ? DYNSESS__TYPE(v) : DYNSESS_JSON_NULL) {
        case DYNSESS_JSON_STRING:
            s = v->u.s;
            n = v->len;
            tail = 0;
            goto string;
        case DYNSESS_JSON_INT: {
            uint64_t u = v->u.i < 0 ? (uint64_t)0 - (uint64_t)v->u.i : (uint64_t)v->u.i;
            size_t nd = dynsess__u64_len(u), neg = v->u.i < 0;
            char *q;
            DYNSESS__ROOM(nd + neg);
            if (neg) *p++ = '-';
            q = p + nd;
            while (u >= 100) {
                unsigned r = (unsigned)(u % 100);
                u /= 100;
                q -= 2;
                q[0] = dynsess__digits2[2 * r];
                q[1] = dynsess__digits2[2 * r + 1];
            }
            if (u >= 10) {
                q[-2] = dynsess__digits2[2 * u];
                q[-1] = dynsess__digits2[2 * u + 1];
            } else {
                q[-1] = (char)('0' + u);
            }
            p += nd;
            break;
        }
        case DYNSESS_JSON_REAL: {
            char tmp[40];
            size_t k = dynsess__double_text(v->u.d, tmp);
            DYNSESS__ROOM(k);
            memcpy(p, tmp, k);
            p += k;
            break;
        }
        case DYNSESS_JSON_BOOL:
            if (v->u.i) {
                DYNSESS__ROOM(4);
                memcpy(p, "true", 4);
                p += 4;
            } else {
                DYNSESS__ROOM(5);
                memcpy(p, "false", 5);
                p += 5;
            }
            break;
        case DYNSESS_JSON_ARRAY:
        case DYNSESS_JSON_OBJECT:
            DYNSESS__ROOM(2);
            if (!v->len) {
                p[0] = DYNSESS__TYPE(v) == DYNSESS_JSON_ARRAY ? '[' : '{';
                p[1] = DYNSESS__TYPE(v) == DYNSESS_JSON_ARRAY ? ']' : '}';
                p += 2;
                break;
            }
            if (sp == *capp) {
                size_t nc = *capp * 2;
                dynsess__wframe *ns = (dynsess__wframe *)dynsess__alloc(&w->b->alloc, nc * sizeof *ns);
                if (!ns) return dynsess__fail_nomem(w->err, "json");
                memcpy(ns, st, sp * sizeof *ns);
                if (*heap) dynsess__free(&w->b->alloc, st);
                *stackp = st = ns;
                *capp = nc;
                *heap = 1;
            }
            st[sp].c = v;
            st[sp].i = 0;
            sp++;
            *p++ = DYNSESS__TYPE(v) == DYNSESS_JSON_ARRAY ? '[' : '{';
            break;
        default:
            DYNSESS__ROOM(4);
            memcpy(p, "null", 4);
            p += 4;
            break;
        }
    next:
        /* find the next value to write, closing finished containers */
        for (;;) {
            dynsess__wframe *f;
            if (!sp) {
                w->p = p;
                return DYNSESS_OK;
            }
            f = &st[sp - 1];
            if (f->i == f->c->len) {
                DYNSESS__ROOM(1);
                *p++ = DYNSESS__TYPE(f->c) == DYNSESS_JSON_ARRAY ? ']' : '}';
                sp--;
                continue;
            }
            if (f->i) {
                DYNSESS__ROOM(1);
                *p++ = ',';
            }
            if (DYNSESS__TYPE(f->c) == DYNSESS_JSON_OBJECT) {
                const dynsess__member *m = &f->c->u.members[f->i++];
                v = (f->c->tag & DYNSESS__FLAT) ? &m->x.v : m->x.p;
                s = m->key;
                n = m->key_len;
                tail = ':';
                goto string;
            }
            v = (f->c->tag & DYNSESS__FLAT) ? &f->c->u.vals[f->i] : f->c->u.items[f->i];
            f->i++;
            break;
        }
        continue;
    string:
        /* s[0..n) is an arena string; tail (':' after a key, or 0) follows it */
        DYNSESS__ROOM(n + 2 + (tail != 0));
        *p++ = '"';
        {
            size_t k = (size_t)(pend - p) >= n + 9 ? dynsess__w_plain_blocks((const unsigned char *)s, n, p) : 0;
            p += k;
            if (k < n) {
                w->p = p;
                rc = dynsess__w_body(w, (const unsigned char *)s + k, (const unsigned char *)s + n);
                if (rc) return rc;
                p = w->p; wend = w->wend; pend = w->pend;
                DYNSESS__ROOM(1 + (tail != 0));
            }
        }
        *p++ = '"';
        if (tail) {
            *p++ = tail;
            continue; /* now write the member's value, v */
        }
        goto next;
    }
#undef DYNSESS__ROOM
}

DYNSESS_DEF dynsess_status dynsess_json_write(const dynsess_value *v, dynsess_buf *out,
                                              dynsess_error *err) {
    dynsess__wframe local[32], *st = local;
    size_t cap = sizeof local / sizeof local[0], start;
    int heap = 0;
    dynsess__writer w;
    dynsess_status rc;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "json: out is null");
    start = out->len;
    w.b = out;
    w.err = err;
    dynsess__w_sync(&w);
    rc = dynsess__w_tree(&w, v, &st, &cap, &heap);
    if (heap) dynsess__free(&out->alloc, st);
    if (rc) {
        out->len = start;
    } else {
        out->len = (size_t)(w.p - out->ptr);
    }
    if (out->ptr) out->ptr[out->len] = 0;
    return rc;
}

DYNSESS_DEF dynsess_status dynsess_json_write_string(dynsess_buf *out, const char *s, size_t len,
                                                     dynsess_error *err) {
    dynsess__writer w;
    dynsess_status rc;
    size_t bad, start;
    if (!out || (!s && len))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "json: out or s is null");
    bad = dynsess__utf8_check(s, len);
    if (bad != (size_t)-1)
        return dynsess__fail(err, DYNSESS_E_ARG, bad, "json: invalid utf-8 at offset %lu",
                             (unsigned long)bad);
    start = out->len;
    w.b = out;
    w.err = err;
    dynsess__w_sync(&w);
    rc = dynsess__w_string(&w, s ? s : "", len, 0);
    out->len = rc ? start : (size_t)(w.p - out->ptr);
    if (out->ptr) out->ptr[out->len] = 0;
    return rc;
}
#undef DYNSESS__W_NEED

/* ---- reading values --------------------------------------------------------------- */
DYNSESS_DEF dynsess_json_type dynsess_value_type(const dynsess_value *v) {
    return v ? DYNSESS__TYPE(v) : DYNSESS_JSON_NULL;
}
DYNSESS_DEF int dynsess_value_bool(const dynsess_value *v) {
    return v && DYNSESS__TYPE(v) == DYNSESS_JSON_BOOL && v->u.i;
}
DYNSESS_DEF int64_t dynsess_value_int(const dynsess_value *v) {
    if (!v) return 0;
    if (DYNSESS__TYPE(v) == DYNSESS_JSON_INT) return v->u.i;
    if (DYNSESS__TYPE(v) == DYNSESS_JSON_REAL) {
        /* truncate toward zero, saturating outside the int64 range */
        if (v->u.d != v->u.d) return 0;
        if (v->u.d >= 9223372036854775807.0) return INT64_MAX;
        if (v->u.d <= -9223372036854775808.0) return INT64_MIN;
        return (int64_t)v->u.d;
    }
    return 0;
}
DYNSESS_DEF double dynsess_value_real(const dynsess_value *v) {
    if (!v) return 0;
    if (DYNSESS__TYPE(v) == DYNSESS_JSON_REAL) return v->u.d;
    if (DYNSESS__TYPE(v) == DYNSESS_JSON_INT) return (double)v->u.i;
    return 0;
}
DYNSESS_DEF dynsess_str dynsess_value_str(const dynsess_value *v) {
    dynsess_str s;
    if (v && DYNSESS__TYPE(v) == DYNSESS_JSON_STRING) {
        s.ptr = v->u.s;
        s.len = v->len;
    } else {
        s.ptr = "";
        s.len = 0;
    }
    return s;
}
DYNSESS_DEF size_t dynsess_value_len(const dynsess_value *v) {
    return (v && DYNSESS__IS_CONTAINER(DYNSESS__TYPE(v))) ? v->len : 0;
}
DYNSESS_DEF const dynsess_value *dynsess_array_at(const dynsess_value *arr, size_t i) {
    if (!arr || DYNSESS__TYPE(arr) != DYNSESS_JSON_ARRAY || i >= arr->len) return 0;
    return dynsess__child(arr, i);
}
DYNSESS_DEF dynsess_str dynsess_object_key_at(const dynsess_value *obj, size_t i) {
    dynsess_str s;
    if (!obj || DYNSESS__TYPE(obj) != DYNSESS_JSON_OBJECT || i >= obj->len) {
        s.ptr = "";
        s.len = 0;
    } else {
        s.ptr = obj->u.members[i].key;
        s.len = obj->u.members[i].key_len;
    }
    return s;
}
DYNSESS_DEF const dynsess_value *dynsess_object_value_at(const dynsess_value *obj, size_t i) {
    if (!obj || DYNSESS__TYPE(obj) != DYNSESS_JSON_OBJECT || i >= obj->len) return 0;
    return dynsess__child(obj, i);
}
static DYNSESS__UNUSED size_t dynsess__object_find(const dynsess_value *obj, const char *key,
                                                    size_t key_len) {
    size_t i;
    for (i = 0; i < obj->len; i++) {
        const dynsess__member *m = &obj->u.members[i];
        if (m->key_len == key_len && (!key_len || !memcmp(m->key, key, key_len))) return i;
    }
    return (size_t)-1;
}
DYNSESS_DEF const dynsess_value *dynsess_object_get(const dynsess_value *obj, const char *key,
                                                    size_t key_len) {
    size_t i;
    if (!obj || DYNSESS__TYPE(obj) != DYNSESS_JSON_OBJECT || (!key && key_len)) return 0;
    i = dynsess__object_find(obj, key, key_len);
    return i == (size_t)-1 ? 0 : dynsess__child(obj, i);
}

/* Walk stack shared by equal and copy: a local array that spills to the heap. */
typedef struct dynsess__cframe {
    const dynsess_value *a;
    const dynsess_value *b;   /* equal: the other side */
    dynsess_value *c;         /* copy: the destination container */
    size_t i;
} dynsess__cframe;

typedef struct dynsess__cstack {
    dynsess__cframe local[32];
    dynsess__cframe *f;
    size_t n, cap;
    const dynsess_allocator *alloc;
} dynsess__cstack;

static DYNSESS__UNUSED void dynsess__cstack_init(dynsess__cstack *s, const dynsess_allocator *a) {
    s->f = s->local;
    s->n = 0;
    s->cap = sizeof s->local / sizeof s->local[0];
    s->alloc = a;
}
static DYNSESS__UNUSED dynsess__cframe *dynsess__cstack_push(dynsess__cstack *s) {
    if (s->n == s->cap) {
        size_t nc = s->cap * 2;
        dynsess__cframe *m = (dynsess__cframe *)dynsess__alloc(s->alloc, nc * sizeof *m);
        if (!m) return 0;
        memcpy(m, s->f, s->n * sizeof *m);
        if (s->f != s->local) dynsess__free(s->alloc, s->f);
        s->f = m;
        s->cap = nc;
    }
    return &s->f[s->n++];
}
static DYNSESS__UNUSED void dynsess__cstack_free(dynsess__cstack *s) {
    if (s->f != s->local) dynsess__free(s->alloc, s->f);
}

/* Compares scalars (and container kind and size); 1 if equal so far. */
static DYNSESS__UNUSED int dynsess__shallow_equal(const dynsess_value *a, const dynsess_value *b) {
    dynsess_json_type ta = dynsess_value_type(a), tb = dynsess_value_type(b);
    if (ta != tb) return 0;
    switch (ta) {
    case DYNSESS_JSON_NULL: return 1;
    case DYNSESS_JSON_BOOL: return !a->u.i == !b->u.i;
    case DYNSESS_JSON_INT: return a->u.i == b->u.i;
    case DYNSESS_JSON_REAL: return a->u.d == b->u.d;
    case DYNSESS_JSON_STRING: return a->len == b->len && (!a->len || !memcmp(a->u.s, b->u.s, a->len));
    default: return a->len == b->len;
    }
}

DYNSESS_DEF int dynsess_value_equal(const dynsess_value *a, const dynsess_value *b) {
    dynsess__cstack s;
    int eq = 1;
    if (!dynsess__shallow_equal(a, b)) return 0;
    if (!a || !DYNSESS__IS_CONTAINER(DYNSESS__TYPE(a)) || !a->len) return 1;
    dynsess__cstack_init(&s, 0);
    {
        dynsess__cframe *f = dynsess__cstack_push(&s);
        f->a = a;
        f->b = b;
        f->i = 0;
    }
    while (eq && s.n) {
        dynsess__cframe *f = &s.f[s.n - 1];
        const dynsess_value *x, *y;
        if (f->i == f->a->len) { s.n--; continue; }
        x = dynsess__child(f->a, f->i);
        if (DYNSESS__TYPE(f->a) == DYNSESS_JSON_ARRAY) {
            y = dynsess__child(f->b, f->i);
        } else {
            const dynsess__member *m = &f->a->u.members[f->i];
            y = dynsess_object_get(f->b, m->key, m->key_len);
            if (!y) { eq = 0; break; }
        }
        f->i++;
        if (!dynsess__shallow_equal(x, y)) { eq = 0; break; }
        if (DYNSESS__IS_CONTAINER(DYNSESS__TYPE(x)) && x->len) {
            dynsess__cframe *g = dynsess__cstack_push(&s);
            if (!g) { eq = 0; break; } /* out of memory: documented as "not equal" */
            g->a = x;
            g->b = y;
            g->i = 0;
        }
    }
    dynsess__cstack_free(&s);
    return eq;
}

/* ---- building values ---------------------------------------------------------------- */
static DYNSESS__UNUSED dynsess_value *dynsess__value_new(dynsess_doc *doc, dynsess_json_type t) {
    dynsess_value *v;
    if (!doc) return 0;
    v = (dynsess_value *)dynsess__arena_alloc(doc, sizeof *v);
    if (!v) return 0;
    v->tag = (uint32_t)t;
    v->len = 0;
    v->u.i = 0;
    return v;
}
DYNSESS_DEF dynsess_value *dynsess_value_new_null(dynsess_doc *doc) {
    return dynsess__value_new(doc, DYNSESS_JSON_NULL);
}
DYNSESS_DEF dynsess_value *dynsess_value_new_bool(dynsess_doc *doc, int b) {
    dynsess_value *v = dynsess__value_new(doc, DYNSESS_JSON_BOOL);
    if (v) v->u.i = b != 0;
    return v;
}
DYNSESS_DEF dynsess_value *dynsess_value_new_int(dynsess_doc *doc, int64_t i) {
    dynsess_value *v = dynsess__value_new(doc, DYNSESS_JSON_INT);
    if (v) v->u.i = i;
    return v;
}
DYNSESS_DEF dynsess_value *dynsess_value_new_real(dynsess_doc *doc, double d) {
    dynsess_value *v;
    if (d != d || d > DBL_MAX || d < -DBL_MAX) return 0;
    v = dynsess__value_new(doc, DYNSESS_JSON_REAL);
    if (v) v->u.d = d;
    return v;
}
static DYNSESS__UNUSED const char *dynsess__arena_strdup(dynsess_doc *doc, const char *s, size_t len) {
    char *p;
    if (len == (size_t)-1) return 0;
    p = (char *)dynsess__arena_alloc(doc, len + 1);
    if (!p) return 0;
    if (len) memcpy(p, s, len);
    p[len] = 0;
    return p;
}
DYNSESS_DEF dynsess_value *dynsess_value_new_string(dynsess_doc *doc, const char *s, size_t len) {
    dynsess_value *v;
    if (!doc || (!s && len) || len >= 0xFFFFFFFFu || dynsess__utf8_check(s, len) != (size_t)-1)
        return 0;
    v = dynsess__value_new(doc, DYNSESS_JSON_STRING);
    if (!v) return 0;
    v->u.s = dynsess__arena_strdup(doc, s ? s : "", len);
    if (!v->u.s) return 0;
    v->len = (uint32_t)len;
    return v;
}
DYNSESS_DEF dynsess_value *dynsess_value_new_array(dynsess_doc *doc) {
    return dynsess__value_new(doc, DYNSESS_JSON_ARRAY);
}
DYNSESS_DEF dynsess_value *dynsess_value_new_object(dynsess_doc *doc) {
    return dynsess__value_new(doc, DYNSESS_JSON_OBJECT);
}

/* Capacity code of the smallest power of two >= max(n, 4): cap = 2^(code-1). */
static DYNSESS__UNUSED uint32_t dynsess__cap_code(size_t n, size_t *cap) {
    uint32_t code = 3;
    size_t c = 4;
    while (c < n) {
        c *= 2;
        code++;
    }
    *cap = c;
    return code;
}

/* Gives container c room for want children in pointer form: a FLAT
   container gets its pointer index over the inline children (which stay
   where they are), a full one a block twice the size (the old block stays
   in the arena). Returns 0 on out of memory, c unchanged. */
static DYNSESS__UNUSED int dynsess__container_reserve(dynsess_doc *doc, dynsess_value *c, size_t want) {
    int obj = DYNSESS__TYPE(c) == DYNSESS_JSON_OBJECT, flat = (c->tag & DYNSESS__FLAT) != 0;
    uint32_t code = c->tag >> DYNSESS__CAP_SHIFT;
    size_t cap = code ? (size_t)1 << (code - 1) : 0, i, bytes;
    void *p;
    if (!flat && want <= cap) return 1;
    if (want > 0xFFFFFFFFu) return 0;
    code = dynsess__cap_code(flat || want > 2 * cap ? want : 2 * cap, &cap);
    if (!dynsess__size_mul(cap, obj ? sizeof(dynsess__member) : sizeof(dynsess_value *), &bytes))
        return 0;
    p = dynsess__arena_alloc(doc, bytes);
    if (!p) return 0;
    if (obj) {
        dynsess__member *d = (dynsess__member *)p, *m = c->u.members;
        for (i = 0; i < c->len; i++) {
            d[i].key = m[i].key;
            d[i].key_len = m[i].key_len;
            d[i].x.p = flat ? &m[i].x.v : m[i].x.p;
        }
        c->u.members = d;
    } else {
        dynsess_value **d = (dynsess_value **)p;
        for (i = 0; i < c->len; i++) d[i] = flat ? &c->u.vals[i] : c->u.items[i];
        c->u.items = d;
    }
    c->tag = (uint32_t)DYNSESS__TYPE(c) | code << DYNSESS__CAP_SHIFT;
    return 1;
}

DYNSESS_DEF dynsess_status dynsess_array_push(dynsess_doc *doc, dynsess_value *arr,
                                              dynsess_value *val, dynsess_error *err) {
    if (!doc || !arr || !val || DYNSESS__TYPE(arr) != DYNSESS_JSON_ARRAY)
        return dynsess__fail(err, !doc || !arr || !val ? DYNSESS_E_ARG : DYNSESS_E_TYPE,
                             DYNSESS_NO_OFFSET, "json: array_push needs a doc, an array and a value");
    if (!dynsess__container_reserve(doc, arr, (size_t)arr->len + 1))
        return dynsess__fail_nomem(err, "json");
    arr->u.items[arr->len++] = val;
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_object_set(dynsess_doc *doc, dynsess_value *obj, const char *key,
                                              size_t key_len, dynsess_value *val,
                                              dynsess_error *err) {
    size_t i, bad;
    const char *k;
    if (!doc || !obj || !val || (!key && key_len))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "json: object_set needs a doc, an object, a key and a value");
    if (DYNSESS__TYPE(obj) != DYNSESS_JSON_OBJECT)
        return dynsess__fail(err, DYNSESS_E_TYPE, DYNSESS_NO_OFFSET, "json: object_set on a non-object");
    i = dynsess__object_find(obj, key, key_len);
    if (i != (size_t)-1) {
        if (!dynsess__container_reserve(doc, obj, obj->len)) return dynsess__fail_nomem(err, "json");
        obj->u.members[i].x.p = val;
        return DYNSESS_OK;
    }
    bad = dynsess__utf8_check(key, key_len);
    if (bad != (size_t)-1)
        return dynsess__fail(err, DYNSESS_E_ARG, bad, "json: key is not valid utf-8 at offset %lu",
                             (unsigned long)bad);
    k = dynsess__arena_strdup(doc, key ? key : "", key_len);
    if (!k || !dynsess__container_reserve(doc, obj, (size_t)obj->len + 1))
        return dynsess__fail_nomem(err, "json");
    obj->u.members[obj->len].key = k;
    obj->u.members[obj->len].key_len = key_len;
    obj->u.members[obj->len].x.p = val;
    obj->len++;
    return DYNSESS_OK;
}

DYNSESS_DEF int dynsess_object_remove(dynsess_value *obj, const char *key, size_t key_len) {
    size_t i;
    if (!obj || DYNSESS__TYPE(obj) != DYNSESS_JSON_OBJECT || (!key && key_len)) return 0;
    i = dynsess__object_find(obj, key, key_len);
    if (i == (size_t)-1) return 0;
    /* a FLAT object here is a parse root (dynsess__root), which knows its doc */
    if ((obj->tag & DYNSESS__FLAT) &&
        !dynsess__container_reserve(((dynsess__root *)(void *)obj)->doc, obj, obj->len))
        return -1;
    memmove(&obj->u.members[i], &obj->u.members[i + 1], (obj->len - i - 1) * sizeof(dynsess__member));
    obj->len--;
    return 1;
}

DYNSESS_DEF void dynsess_value_clear(dynsess_value *v) {
    if (v && DYNSESS__IS_CONTAINER(DYNSESS__TYPE(v))) v->len = 0;
}

/* Copies a scalar, or makes an empty container of the right size. */
static DYNSESS__UNUSED dynsess_value *dynsess__copy_shallow(dynsess_doc *doc, const dynsess_value *v) {
    dynsess_value *c = dynsess__value_new(doc, dynsess_value_type(v));
    if (!c || !v) return c;
    switch (DYNSESS__TYPE(v)) {
    case DYNSESS_JSON_STRING:
        c->u.s = dynsess__arena_strdup(doc, v->u.s, v->len);
        if (!c->u.s) return 0;
        c->len = v->len;
        break;
    case DYNSESS_JSON_ARRAY:
    case DYNSESS_JSON_OBJECT:
        if (v->len && !dynsess__container_reserve(doc, c, v->len)) return 0;
        break;
    default:
        c->u = v->u;
        break;
    }
    return c;
}

DYNSESS_DEF dynsess_value *dynsess_value_copy(dynsess_doc *doc, const dynsess_value *v) {
    dynsess__cstack s;
    dynsess_value *root;
    if (!doc) return 0;
    root = dynsess__copy_shallow(doc, v);
    if (!root || !v || !DYNSESS__IS_CONTAINER(DYNSESS__TYPE(v)) || !v->len)
        return root;
    dynsess__cstack_init(&s, &doc->alloc);
    {
        dynsess__cframe *f = dynsess__cstack_push(&s);
        f->a = v;
        f->c = root;
        f->i = 0;
    }
    while (s.n) {
        dynsess__cframe *f = &s.f[s.n - 1];
        const dynsess_value *x;
        dynsess_value *y;
        if (f->i == f->a->len) { s.n--; continue; }
        x = dynsess__child(f->a, f->i);
        y = dynsess__copy_shallow(doc, x);
        if (!y) { root = 0; break; }
        if (DYNSESS__TYPE(f->a) == DYNSESS_JSON_ARRAY) {
            f->c->u.items[f->i] = y;
        } else {
            const dynsess__member *m = &f->a->u.members[f->i];
            dynsess__member *d = &f->c->u.members[f->i];
            d->key = dynsess__arena_strdup(doc, m->key, m->key_len);
            if (!d->key) { root = 0; break; }
            d->key_len = m->key_len;
            d->x.p = y;
        }
        f->i++;
        f->c->len = (uint32_t)f->i;
        if (DYNSESS__IS_CONTAINER(DYNSESS__TYPE(x)) && x->len) {
            dynsess__cframe *g = dynsess__cstack_push(&s);
            if (!g) { root = 0; break; }
            g->a = x;
            g->c = y;
            g->i = 0;
        }
    }
    dynsess__cstack_free(&s);
    return root;
}
#undef DYNSESS__ONES
#ifdef DYNSESS__JSON_SSE2
#undef DYNSESS__JSON_SSE2
#endif
#ifdef DYNSESS__CTZ_BYTES
#undef DYNSESS__CTZ_BYTES
#endif
#undef DYNSESS__HIGH
#undef DYNSESS__CLS_WS
#undef DYNSESS__CLS_ESC
#undef DYNSESS__CLS_STR
#undef DYNSESS__JSON_INLINE
#undef DYNSESS__JSON_CHUNK_MAX
#undef DYNSESS__KEY_BIT

/* ======================================================================
   @crypto  implementation
   CT: no branch or index depends on key, nonce, message or tag bytes;
   choices on secrets use masks. Every buffer that held a key, keystream or
   plaintext is wiped before return. SHA-NI / SSE2 / AVX2 paths are picked
   once from cpuid (cached atomically) and produce the same bytes as the
   portable code (tests run the vectors through both).
   ====================================================================== */
#if !defined(DYNSESS_CRYPTO_PORTABLE) && defined(__x86_64__) && \
    (defined(__GNUC__) || defined(__clang__))
#define DYNSESS__X86_SIMD 1
#include <immintrin.h>
#include <cpuid.h>
#endif

#define DYNSESS__CPU_INIT 1u
#define DYNSESS__CPU_SHANI 2u  /* SHA extensions + SSE4.1 */
#define DYNSESS__CPU_AVX2 4u   /* AVX2 with OS support for YMM state */
#define DYNSESS__CPU_SSE2 8u   /* always on x86-64 */

static unsigned dynsess__cpu_cached;

/* CPU features, detected once. CT: not secret. */
static DYNSESS__UNUSED unsigned dynsess__cpu_features(void) {
#ifdef DYNSESS__X86_SIMD
    unsigned f = __atomic_load_n(&dynsess__cpu_cached, __ATOMIC_RELAXED);
    unsigned a, b, c, d, lo, hi;
    if (f) return f;
    f = DYNSESS__CPU_INIT | DYNSESS__CPU_SSE2;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        int sse41 = (c >> 19) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
            if (sse41 && ((b >> 29) & 1)) f |= DYNSESS__CPU_SHANI;
            if (osxsave && avx && ((b >> 5) & 1)) {
                __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
                (void)hi;
                if ((lo & 6) == 6) f |= DYNSESS__CPU_AVX2;
            }
        }
    }
    __atomic_store_n(&dynsess__cpu_cached, f, __ATOMIC_RELAXED);
    return f;
#else
    return DYNSESS__CPU_INIT;
#endif
}
/* Tests only: restrict the accelerated paths (0 -> portable everywhere). */
static DYNSESS__UNUSED void dynsess__cpu_restrict(unsigned mask) {
    unsigned f;
    dynsess__cpu_cached = 0;
    f = dynsess__cpu_features() & (mask | DYNSESS__CPU_INIT);
#ifdef DYNSESS__X86_SIMD
    __atomic_store_n(&dynsess__cpu_cached, f, __ATOMIC_RELAXED);
#else
    dynsess__cpu_cached = f;
#endif
}

static DYNSESS__UNUSED uint32_t dynsess__load32_le(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static DYNSESS__UNUSED void dynsess__store32_le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static DYNSESS__UNUSED void dynsess__store64_le(uint8_t *p, uint64_t v) {
    dynsess__store32_le(p, (uint32_t)v);
    dynsess__store32_le(p + 4, (uint32_t)(v >> 32));
}

/* ---- SHA-256 --------------------------------------------------------------- */
static const uint32_t dynsess__sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static DYNSESS__UNUSED uint32_t dynsess__load32_be(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static DYNSESS__UNUSED void dynsess__store32_be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
#define DYNSESS__ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* Portable compression of nblocks 64-byte blocks. CT: data-independent. */
static DYNSESS__UNUSED void dynsess__sha256_blocks_portable(uint32_t st[8], const uint8_t *p, size_t nblocks) {
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


#ifdef DYNSESS__X86_SIMD
/* x86 SHA-NI compression (Intel SHA extensions). CT: data-independent. */
#define DYNSESS__SHANI_ROUNDS(cur, prev, next, i, do2, do1)                                  \
    do {                                                                               \
        msg = _mm_add_epi32(cur, _mm_loadu_si128((const __m128i *)&dynsess__sha256_k[4 * (i)])); \
        s1 = _mm_sha256rnds2_epu32(s1, s0, msg);                                       \
        if (do2) {                                                                     \
            tmp = _mm_alignr_epi8(cur, prev, 4);                                       \
            next = _mm_add_epi32(next, tmp);                                           \
            next = _mm_sha256msg2_epu32(next, cur);                                    \
        }                                                                              \
        msg = _mm_shuffle_epi32(msg, 0x0E);                                            \
        s0 = _mm_sha256rnds2_epu32(s0, s1, msg);                                       \
        if (do1) prev = _mm_sha256msg1_epu32(prev, cur);                               \
    } while (0)
__attribute__((target("sha,sse4.1"))) static DYNSESS__UNUSED void
dynsess__sha256_blocks_shani(uint32_t st[8], const uint8_t *p, size_t nblocks) {
    __m128i s0, s1, msg, tmp, m0, m1, m2, m3, abef, cdgh;
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    tmp = _mm_loadu_si128((const __m128i *)&st[0]);
    s1 = _mm_loadu_si128((const __m128i *)&st[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);       /* CDAB */
    s1 = _mm_shuffle_epi32(s1, 0x1B);         /* EFGH */
    s0 = _mm_alignr_epi8(tmp, s1, 8);         /* ABEF */
    s1 = _mm_blend_epi16(s1, tmp, 0xF0);      /* CDGH */
    while (nblocks--) {
        abef = s0;
        cdgh = s1;
        m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
        m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
        m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
        m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
        DYNSESS__SHANI_ROUNDS(m0, m3, m1, 0, 0, 0);
        DYNSESS__SHANI_ROUNDS(m1, m0, m2, 1, 0, 1);
        DYNSESS__SHANI_ROUNDS(m2, m1, m3, 2, 0, 1);
        DYNSESS__SHANI_ROUNDS(m3, m2, m0, 3, 1, 1);
        DYNSESS__SHANI_ROUNDS(m0, m3, m1, 4, 1, 1);
        DYNSESS__SHANI_ROUNDS(m1, m0, m2, 5, 1, 1);
        DYNSESS__SHANI_ROUNDS(m2, m1, m3, 6, 1, 1);
        DYNSESS__SHANI_ROUNDS(m3, m2, m0, 7, 1, 1);
        DYNSESS__SHANI_ROUNDS(m0, m3, m1, 8, 1, 1);
        DYNSESS__SHANI_ROUNDS(m1, m0, m2, 9, 1, 1);
        DYNSESS__SHANI_ROUNDS(m2, m1, m3, 10, 1, 1);
        DYNSESS__SHANI_ROUNDS(m3, m2, m0, 11, 1, 1);
        DYNSESS__SHANI_ROUNDS(m0, m3, m1, 12, 1, 1);
        DYNSESS__SHANI_ROUNDS(m1, m0, m2, 13, 1, 0);
        DYNSESS__SHANI_ROUNDS(m2, m1, m3, 14, 1, 0);
        DYNSESS__SHANI_ROUNDS(m3, m2, m0, 15, 0, 0);
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
        p += 64;
    }
    tmp = _mm_shuffle_epi32(s0, 0x1B);        /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1);         /* DCHG */
    s0 = _mm_blend_epi16(tmp, s1, 0xF0);      /* DCBA */
    s1 = _mm_alignr_epi8(s1, tmp, 8);         /* HGFE */
    _mm_storeu_si128((__m128i *)&st[0], s0);
    _mm_storeu_si128((__m128i *)&st[4], s1);
    /* the message words live in registers only; clear them */
    m0 = m1 = m2 = m3 = msg = tmp = _mm_setzero_si128();
    (void)m0; (void)m1; (void)m2; (void)m3; (void)msg; (void)tmp;
}
#undef DYNSESS__SHANI_ROUNDS
#endif

/* Compresses nblocks blocks with the best code path. CT: data-independent. */
static DYNSESS__UNUSED void dynsess__sha256_blocks(uint32_t st[8], const uint8_t *p, size_t nblocks) {
#ifdef DYNSESS__X86_SIMD
    if (dynsess__cpu_features() & DYNSESS__CPU_SHANI) {
        dynsess__sha256_blocks_shani(st, p, nblocks);
        return;
    }
#endif
    dynsess__sha256_blocks_portable(st, p, nblocks);
}

#ifndef DYNSESS_USE_BEARSSL
/* CT: depends on the length only. */
DYNSESS_DEF void dynsess_sha256_init(dynsess_sha256_ctx *c) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->state, iv, sizeof iv);
    c->count = 0;
}

/* CT: depends on n and the running length only. */
DYNSESS_DEF void dynsess_sha256_update(dynsess_sha256_ctx *c, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    size_t used = (size_t)(c->count & 63);
    c->count += n;
    if (used) {
        size_t take = 64 - used < n ? 64 - used : n;
        memcpy(c->buf + used, p, take);
        p += take; n -= take; used += take;
        if (used < 64) return;
        dynsess__sha256_blocks(c->state, c->buf, 1);
    }
    if (n >= 64) {
        dynsess__sha256_blocks(c->state, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n) memcpy(c->buf, p, n);
}

/* CT: depends on the length only. */
/* Pads a copy of the state and the buffered tail (FIPS 180-4 §5.1.1); only
   the bytes in use are copied, so a final costs little beyond its blocks. */
DYNSESS_DEF void dynsess_sha256_final(const dynsess_sha256_ctx *c, uint8_t out[DYNSESS_SHA256_SIZE]) {
    uint32_t st[8];
    uint8_t block[DYNSESS_SHA256_BLOCK];
    size_t used = (size_t)(c->count & 63);
    uint64_t bits = c->count * 8;
    int i;
    memcpy(st, c->state, sizeof st);
    memcpy(block, c->buf, used);
    block[used++] = 0x80;
    if (used > 56) {
        memset(block + used, 0, 64 - used);
        dynsess__sha256_blocks(st, block, 1);
        used = 0;
    }
    memset(block + used, 0, 56 - used);
    dynsess__store32_be(block + 56, (uint32_t)(bits >> 32));
    dynsess__store32_be(block + 60, (uint32_t)bits);
    dynsess__sha256_blocks(st, block, 1);
    for (i = 0; i < 8; i++) dynsess__store32_be(out + 4 * i, st[i]);
    dynsess_wipe(st, sizeof st);
    dynsess_wipe(block, sizeof block);
}
#else
/* BearSSL br_sha256 (constant-time). CT: depends on lengths only. */
DYNSESS_DEF void dynsess_sha256_init(dynsess_sha256_ctx *c) { br_sha256_init(&c->br); }
DYNSESS_DEF void dynsess_sha256_update(dynsess_sha256_ctx *c, const void *p, size_t n) {
    br_sha256_update(&c->br, p, n);
}
DYNSESS_DEF void dynsess_sha256_final(const dynsess_sha256_ctx *c, uint8_t out[DYNSESS_SHA256_SIZE]) {
    br_sha256_out(&c->br, out);
}
#endif

/* CT: depends on n only. */
DYNSESS_DEF void dynsess_sha256(const void *p, size_t n, uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx c;
    dynsess_sha256_init(&c);
    dynsess_sha256_update(&c, p, n);
    dynsess_sha256_final(&c, out);
    dynsess_wipe(&c, sizeof c);
}

/* ---- HMAC-SHA256 (RFC 2104) ------------------------------------------------- */
#ifndef DYNSESS_USE_BEARSSL
/* CT: depends on key_len only. */
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

/* CT: depends on n only. */
DYNSESS_DEF void dynsess_hmac_sha256_update(dynsess_hmac_sha256_ctx *c, const void *p, size_t n) {
    dynsess_sha256_update(&c->inner, p, n);
}

/* CT: depends on the length only. */
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
#else
/* BearSSL br_hmac over br_sha256. CT: depends on lengths only. */
DYNSESS_DEF void dynsess_hmac_sha256_init(dynsess_hmac_sha256_ctx *c, const void *key, size_t key_len) {
    br_hmac_key_context kc;
    br_hmac_key_init(&kc, &br_sha256_vtable, key, key_len);
    br_hmac_init(&c->br, &kc, 0);
    dynsess_wipe(&kc, sizeof kc);
}
DYNSESS_DEF void dynsess_hmac_sha256_update(dynsess_hmac_sha256_ctx *c, const void *p, size_t n) {
    br_hmac_update(&c->br, p, n);
}
DYNSESS_DEF void dynsess_hmac_sha256_final(const dynsess_hmac_sha256_ctx *c,
                                           uint8_t out[DYNSESS_SHA256_SIZE]) {
    br_hmac_out(&c->br, out);
}
#endif

/* CT: depends on key_len and n only. */
DYNSESS_DEF void dynsess_hmac_sha256(const void *key, size_t key_len, const void *p, size_t n,
                                     uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_hmac_sha256_ctx c;
    dynsess_hmac_sha256_init(&c, key, key_len);
    dynsess_hmac_sha256_update(&c, p, n);
    dynsess_hmac_sha256_final(&c, out);
    dynsess_wipe(&c, sizeof c);
}

/* ---- HKDF-SHA256 (RFC 5869) -------------------------------------------------- */
/* CT: depends on the lengths only. */
DYNSESS_DEF void dynsess_hkdf_sha256_extract(const void *salt, size_t salt_len, const void *ikm,
                                             size_t ikm_len, uint8_t prk[DYNSESS_SHA256_SIZE]) {
    static const uint8_t zero[DYNSESS_SHA256_SIZE] = {0};
    if (!salt || !salt_len) { salt = zero; salt_len = sizeof zero; } /* §2.2 */
    dynsess_hmac_sha256(salt, salt_len, ikm, ikm_len, prk);
}

/* CT: depends on info_len and out_len only. */
DYNSESS_DEF dynsess_status dynsess_hkdf_sha256_expand(const uint8_t prk[DYNSESS_SHA256_SIZE],
                                                      const void *info, size_t info_len,
                                                      uint8_t *out, size_t out_len,
                                                      dynsess_error *err) {
    dynsess_hmac_sha256_ctx base, c;
    uint8_t t[DYNSESS_SHA256_SIZE];
    size_t done = 0, take;
    uint8_t counter = 1;
    if (out_len > DYNSESS_HKDF_MAX_LEN)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "hkdf: output length %lu exceeds 255*32 bytes", (unsigned long)out_len);
    dynsess_hmac_sha256_init(&base, prk, DYNSESS_SHA256_SIZE);
    while (done < out_len) {           /* T(i) = HMAC(PRK, T(i-1) | info | i) */
        c = base;
        if (done) dynsess_hmac_sha256_update(&c, t, sizeof t);
        if (info_len) dynsess_hmac_sha256_update(&c, info, info_len);
        dynsess_hmac_sha256_update(&c, &counter, 1);
        dynsess_hmac_sha256_final(&c, t);
        take = out_len - done < sizeof t ? out_len - done : sizeof t;
        memcpy(out + done, t, take);
        done += take;
        counter++;
    }
    dynsess_wipe(&base, sizeof base);
    dynsess_wipe(&c, sizeof c);
    dynsess_wipe(t, sizeof t);
    return DYNSESS_OK;
}

/* CT: depends on the lengths only. */
DYNSESS_DEF dynsess_status dynsess_hkdf_sha256(const void *salt, size_t salt_len, const void *ikm,
                                               size_t ikm_len, const void *info, size_t info_len,
                                               uint8_t *out, size_t out_len, dynsess_error *err) {
    uint8_t prk[DYNSESS_SHA256_SIZE];
    dynsess_status rc;
    if (out_len > DYNSESS_HKDF_MAX_LEN)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "hkdf: output length %lu exceeds 255*32 bytes", (unsigned long)out_len);
    dynsess_hkdf_sha256_extract(salt, salt_len, ikm, ikm_len, prk);
    rc = dynsess_hkdf_sha256_expand(prk, info, info_len, out, out_len, err);
    dynsess_wipe(prk, sizeof prk);
    return rc;
}

/* ---- ChaCha20 (RFC 8439 §2.3) ------------------------------------------------- */
#define DYNSESS__ROL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define DYNSESS__QR(a, b, c, d)                        \
    a += b; d ^= a; d = DYNSESS__ROL32(d, 16);        \
    c += d; b ^= c; b = DYNSESS__ROL32(b, 12);        \
    a += b; d ^= a; d = DYNSESS__ROL32(d, 8);         \
    c += d; b ^= c; b = DYNSESS__ROL32(b, 7)

/* 20 rounds on x (no final addition). CT: data-independent. */
static DYNSESS__UNUSED void dynsess__chacha20_rounds(uint32_t x[16]) {
    uint32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4], x5 = x[5], x6 = x[6],
             x7 = x[7], x8 = x[8], x9 = x[9], x10 = x[10], x11 = x[11], x12 = x[12],
             x13 = x[13], x14 = x[14], x15 = x[15];
    int i;
    for (i = 0; i < 10; i++) {
        DYNSESS__QR(x0, x4, x8, x12); DYNSESS__QR(x1, x5, x9, x13);
        DYNSESS__QR(x2, x6, x10, x14); DYNSESS__QR(x3, x7, x11, x15);
        DYNSESS__QR(x0, x5, x10, x15); DYNSESS__QR(x1, x6, x11, x12);
        DYNSESS__QR(x2, x7, x8, x13); DYNSESS__QR(x3, x4, x9, x14);
    }
    x[0] = x0; x[1] = x1; x[2] = x2; x[3] = x3; x[4] = x4; x[5] = x5; x[6] = x6; x[7] = x7;
    x[8] = x8; x[9] = x9; x[10] = x10; x[11] = x11; x[12] = x12; x[13] = x13; x[14] = x14;
    x[15] = x15;
}
/* One quarter round on state words a, b, c, d (tests use it for RFC 8439 §2.1/2.2). */
static DYNSESS__UNUSED void dynsess__chacha20_qr(uint32_t x[16], int a, int b, int c, int d) {
    DYNSESS__QR(x[a], x[b], x[c], x[d]);
}
#undef DYNSESS__QR

/* State: constants, key, counter, nonce (RFC 8439 §2.3). CT: data-independent. */
static DYNSESS__UNUSED void dynsess__chacha20_setup(uint32_t s[16], const uint8_t key[32], const uint8_t nonce[12],
                                    uint32_t counter) {
    int i;
    s[0] = 0x61707865; s[1] = 0x3320646e; s[2] = 0x79622d32; s[3] = 0x6b206574;
    for (i = 0; i < 8; i++) s[4 + i] = dynsess__load32_le(key + 4 * i);
    s[12] = counter;
    for (i = 0; i < 3; i++) s[13 + i] = dynsess__load32_le(nonce + 4 * i);
}

/* XORs n bytes with the keystream of state s, advancing s[12].
   CT: depends on n only. */
static DYNSESS__UNUSED void dynsess__chacha20_xor_portable(uint32_t s[16], const uint8_t *in, uint8_t *out, size_t n) {
    uint32_t x[16];
    uint8_t ks[64];
    size_t i;
    while (n) {
        memcpy(x, s, sizeof x);
        dynsess__chacha20_rounds(x);
        for (i = 0; i < 16; i++) x[i] += s[i];
        s[12]++;
        if (n >= 64) {
            for (i = 0; i < 16; i++)
                dynsess__store32_le(out + 4 * i, dynsess__load32_le(in + 4 * i) ^ x[i]);
            in += 64; out += 64; n -= 64;
        } else {
            for (i = 0; i < 16; i++) dynsess__store32_le(ks + 4 * i, x[i]);
            for (i = 0; i < n; i++) out[i] = (uint8_t)(in[i] ^ ks[i]);
            n = 0;
        }
    }
    dynsess_wipe(x, sizeof x);
    dynsess_wipe(ks, sizeof ks);
}

#ifdef DYNSESS__X86_SIMD
/* 4 blocks at a time, one state word per vector (SSE2, baseline on x86-64).
   Processes the largest multiple of 256 bytes of n, advances s[12], returns
   the bytes done. CT: depends on n only. */
#define DYNSESS__V4ROL(v, n) _mm_or_si128(_mm_slli_epi32(v, n), _mm_srli_epi32(v, 32 - (n)))
#define DYNSESS__V4QR(a, b, c, d)                                                  \
    a = _mm_add_epi32(a, b); d = _mm_xor_si128(d, a); d = DYNSESS__V4ROL(d, 16);   \
    c = _mm_add_epi32(c, d); b = _mm_xor_si128(b, c); b = DYNSESS__V4ROL(b, 12);   \
    a = _mm_add_epi32(a, b); d = _mm_xor_si128(d, a); d = DYNSESS__V4ROL(d, 8);    \
    c = _mm_add_epi32(c, d); b = _mm_xor_si128(b, c); b = DYNSESS__V4ROL(b, 7)
#define DYNSESS__V4OUT(a0, a1, a2, a3, g)                                          \
    do {                                                                           \
        __m128i t0 = _mm_unpacklo_epi32(a0, a1), t1 = _mm_unpacklo_epi32(a2, a3);  \
        __m128i t2 = _mm_unpackhi_epi32(a0, a1), t3 = _mm_unpackhi_epi32(a2, a3);  \
        __m128i b0 = _mm_unpacklo_epi64(t0, t1), b1 = _mm_unpackhi_epi64(t0, t1);  \
        __m128i b2 = _mm_unpacklo_epi64(t2, t3), b3 = _mm_unpackhi_epi64(t2, t3);  \
        _mm_storeu_si128((__m128i *)(out + 16 * (g)), _mm_xor_si128(b0,             \
            _mm_loadu_si128((const __m128i *)(in + 16 * (g)))));                    \
        _mm_storeu_si128((__m128i *)(out + 64 + 16 * (g)), _mm_xor_si128(b1,        \
            _mm_loadu_si128((const __m128i *)(in + 64 + 16 * (g)))));               \
        _mm_storeu_si128((__m128i *)(out + 128 + 16 * (g)), _mm_xor_si128(b2,       \
            _mm_loadu_si128((const __m128i *)(in + 128 + 16 * (g)))));              \
        _mm_storeu_si128((__m128i *)(out + 192 + 16 * (g)), _mm_xor_si128(b3,       \
            _mm_loadu_si128((const __m128i *)(in + 192 + 16 * (g)))));              \
    } while (0)
static DYNSESS__UNUSED size_t dynsess__chacha20_xor_sse2(uint32_t s[16], const uint8_t *in, uint8_t *out, size_t n) {
    size_t done = 0;
    int i;
    while (n - done >= 256) {
        __m128i x0 = _mm_set1_epi32((int)s[0]), x1 = _mm_set1_epi32((int)s[1]);
        __m128i x2 = _mm_set1_epi32((int)s[2]), x3 = _mm_set1_epi32((int)s[3]);
        __m128i x4 = _mm_set1_epi32((int)s[4]), x5 = _mm_set1_epi32((int)s[5]);
        __m128i x6 = _mm_set1_epi32((int)s[6]), x7 = _mm_set1_epi32((int)s[7]);
        __m128i x8 = _mm_set1_epi32((int)s[8]), x9 = _mm_set1_epi32((int)s[9]);
        __m128i x10 = _mm_set1_epi32((int)s[10]), x11 = _mm_set1_epi32((int)s[11]);
        __m128i x12 = _mm_add_epi32(_mm_set1_epi32((int)s[12]), _mm_set_epi32(3, 2, 1, 0));
        __m128i x13 = _mm_set1_epi32((int)s[13]), x14 = _mm_set1_epi32((int)s[14]);
        __m128i x15 = _mm_set1_epi32((int)s[15]);
        const __m128i c12 = x12;
        for (i = 0; i < 10; i++) {
            DYNSESS__V4QR(x0, x4, x8, x12); DYNSESS__V4QR(x1, x5, x9, x13);
            DYNSESS__V4QR(x2, x6, x10, x14); DYNSESS__V4QR(x3, x7, x11, x15);
            DYNSESS__V4QR(x0, x5, x10, x15); DYNSESS__V4QR(x1, x6, x11, x12);
            DYNSESS__V4QR(x2, x7, x8, x13); DYNSESS__V4QR(x3, x4, x9, x14);
        }
        x0 = _mm_add_epi32(x0, _mm_set1_epi32((int)s[0])); x1 = _mm_add_epi32(x1, _mm_set1_epi32((int)s[1]));
        x2 = _mm_add_epi32(x2, _mm_set1_epi32((int)s[2])); x3 = _mm_add_epi32(x3, _mm_set1_epi32((int)s[3]));
        x4 = _mm_add_epi32(x4, _mm_set1_epi32((int)s[4])); x5 = _mm_add_epi32(x5, _mm_set1_epi32((int)s[5]));
        x6 = _mm_add_epi32(x6, _mm_set1_epi32((int)s[6])); x7 = _mm_add_epi32(x7, _mm_set1_epi32((int)s[7]));
        x8 = _mm_add_epi32(x8, _mm_set1_epi32((int)s[8])); x9 = _mm_add_epi32(x9, _mm_set1_epi32((int)s[9]));
        x10 = _mm_add_epi32(x10, _mm_set1_epi32((int)s[10]));
        x11 = _mm_add_epi32(x11, _mm_set1_epi32((int)s[11]));
        x12 = _mm_add_epi32(x12, c12);
        x13 = _mm_add_epi32(x13, _mm_set1_epi32((int)s[13]));
        x14 = _mm_add_epi32(x14, _mm_set1_epi32((int)s[14]));
        x15 = _mm_add_epi32(x15, _mm_set1_epi32((int)s[15]));
        DYNSESS__V4OUT(x0, x1, x2, x3, 0);
        DYNSESS__V4OUT(x4, x5, x6, x7, 1);
        DYNSESS__V4OUT(x8, x9, x10, x11, 2);
        DYNSESS__V4OUT(x12, x13, x14, x15, 3);
        s[12] += 4;
        in += 256; out += 256; done += 256;
    }
    return done;
}
#undef DYNSESS__V4OUT
#undef DYNSESS__V4QR
#undef DYNSESS__V4ROL

/* 8 blocks at a time (AVX2). Same contract as the SSE2 path, multiples of 512. */
#define DYNSESS__V8ROL(v, n) _mm256_or_si256(_mm256_slli_epi32(v, n), _mm256_srli_epi32(v, 32 - (n)))
#define DYNSESS__V8QR(a, b, c, d)                                                                  \
    a = _mm256_add_epi32(a, b); d = _mm256_xor_si256(d, a); d = _mm256_shuffle_epi8(d, rot16);      \
    c = _mm256_add_epi32(c, d); b = _mm256_xor_si256(b, c); b = DYNSESS__V8ROL(b, 12);              \
    a = _mm256_add_epi32(a, b); d = _mm256_xor_si256(d, a); d = _mm256_shuffle_epi8(d, rot8);       \
    c = _mm256_add_epi32(c, d); b = _mm256_xor_si256(b, c); b = DYNSESS__V8ROL(b, 7)
#define DYNSESS__V8X(b, off)                                                                       \
    _mm_storeu_si128((__m128i *)(out + (off)), _mm_xor_si128(_mm256_castsi256_si128(b),              \
        _mm_loadu_si128((const __m128i *)(in + (off)))));                                           \
    _mm_storeu_si128((__m128i *)(out + 256 + (off)), _mm_xor_si128(_mm256_extracti128_si256(b, 1),   \
        _mm_loadu_si128((const __m128i *)(in + 256 + (off)))))
#define DYNSESS__V8OUT(a0, a1, a2, a3, g)                                                          \
    do {                                                                                           \
        __m256i t0 = _mm256_unpacklo_epi32(a0, a1), t1 = _mm256_unpacklo_epi32(a2, a3);            \
        __m256i t2 = _mm256_unpackhi_epi32(a0, a1), t3 = _mm256_unpackhi_epi32(a2, a3);            \
        __m256i b0 = _mm256_unpacklo_epi64(t0, t1), b1 = _mm256_unpackhi_epi64(t0, t1);            \
        __m256i b2 = _mm256_unpacklo_epi64(t2, t3), b3 = _mm256_unpackhi_epi64(t2, t3);            \
        DYNSESS__V8X(b0, 16 * (g)); DYNSESS__V8X(b1, 64 + 16 * (g));                               \
        DYNSESS__V8X(b2, 128 + 16 * (g)); DYNSESS__V8X(b3, 192 + 16 * (g));                        \
    } while (0)
__attribute__((target("avx2"))) static DYNSESS__UNUSED size_t
dynsess__chacha20_xor_avx2(uint32_t s[16], const uint8_t *in, uint8_t *out, size_t n) {
    const __m256i rot16 = _mm256_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2,
                                          13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2);
    const __m256i rot8 = _mm256_set_epi8(14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3,
                                         14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3);
    size_t done = 0;
    int i;
    while (n - done >= 512) {
        __m256i x0 = _mm256_set1_epi32((int)s[0]), x1 = _mm256_set1_epi32((int)s[1]);
        __m256i x2 = _mm256_set1_epi32((int)s[2]), x3 = _mm256_set1_epi32((int)s[3]);
        __m256i x4 = _mm256_set1_epi32((int)s[4]), x5 = _mm256_set1_epi32((int)s[5]);
        __m256i x6 = _mm256_set1_epi32((int)s[6]), x7 = _mm256_set1_epi32((int)s[7]);
        __m256i x8 = _mm256_set1_epi32((int)s[8]), x9 = _mm256_set1_epi32((int)s[9]);
        __m256i x10 = _mm256_set1_epi32((int)s[10]), x11 = _mm256_set1_epi32((int)s[11]);
        __m256i x12 = _mm256_add_epi32(_mm256_set1_epi32((int)s[12]),
                                       _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0));
        __m256i x13 = _mm256_set1_epi32((int)s[13]), x14 = _mm256_set1_epi32((int)s[14]);
        __m256i x15 = _mm256_set1_epi32((int)s[15]);
        const __m256i c12 = x12;
        for (i = 0; i < 10; i++) {
            DYNSESS__V8QR(x0, x4, x8, x12); DYNSESS__V8QR(x1, x5, x9, x13);
            DYNSESS__V8QR(x2, x6, x10, x14); DYNSESS__V8QR(x3, x7, x11, x15);
            DYNSESS__V8QR(x0, x5, x10, x15); DYNSESS__V8QR(x1, x6, x11, x12);
            DYNSESS__V8QR(x2, x7, x8, x13); DYNSESS__V8QR(x3, x4, x9, x14);
        }
        x0 = _mm256_add_epi32(x0, _mm256_set1_epi32((int)s[0]));
        x1 = _mm256_add_epi32(x1, _mm256_set1_epi32((int)s[1]));
        x2 = _mm256_add_epi32(x2, _mm256_set1_epi32((int)s[2]));
        x3 = _mm256_add_epi32(x3, _mm256_set1_epi32((int)s[3]));
        x4 = _mm256_add_epi32(x4, _mm256_set1_epi32((int)s[4]));
        x5 = _mm256_add_epi32(x5, _mm256_set1_epi32((int)s[5]));
        x6 = _mm256_add_epi32(x6, _mm256_set1_epi32((int)s[6]));
        x7 = _mm256_add_epi32(x7, _mm256_set1_epi32((int)s[7]));
        x8 = _mm256_add_epi32(x8, _mm256_set1_epi32((int)s[8]));
        x9 = _mm256_add_epi32(x9, _mm256_set1_epi32((int)s[9]));
        x10 = _mm256_add_epi32(x10, _mm256_set1_epi32((int)s[10]));
        x11 = _mm256_add_epi32(x11, _mm256_set1_epi32((int)s[11]));
        x12 = _mm256_add_epi32(x12, c12);
        x13 = _mm256_add_epi32(x13, _mm256_set1_epi32((int)s[13]));
        x14 = _mm256_add_epi32(x14, _mm256_set1_epi32((int)s[14]));
        x15 = _mm256_add_epi32(x15, _mm256_set1_epi32((int)s[15]));
        DYNSESS__V8OUT(x0, x1, x2, x3, 0);
        DYNSESS__V8OUT(x4, x5, x6, x7, 1);
        DYNSESS__V8OUT(x8, x9, x10, x11, 2);
        DYNSESS__V8OUT(x12, x13, x14, x15, 3);
        s[12] += 8;
        in += 512; out += 512; done += 512;
    }
    _mm256_zeroupper();
    return done;
}
#undef DYNSESS__V8OUT
#undef DYNSESS__V8X
#undef DYNSESS__V8QR
#undef DYNSESS__V8ROL
#endif

#ifdef DYNSESS_USE_BEARSSL
/* Only the one-time Poly1305 key (block 0); data blocks are left alone, so
   br_poly1305 MACs the ciphertext without decrypting it. */
static uint32_t dynsess__br_chacha_otk_only(const void *key, const void *iv, uint32_t cc, void *data,
                                            size_t len) {
    if (cc == 0) return br_chacha20_ct_run(key, iv, cc, data, len);
    return cc + (uint32_t)((len + 63) >> 6);
}
static br_chacha20_run dynsess__br_chacha(void) {
    br_chacha20_run f = br_chacha20_sse2_get();
    return f ? f : br_chacha20_ct_run;
}
static br_poly1305_run dynsess__br_poly(void) {
    br_poly1305_run f = br_poly1305_ctmulq_get();
    return f ? f : br_poly1305_ctmul_run;
}
#endif

#ifndef DYNSESS_USE_BEARSSL
/* out = a ^ b, n bytes, 8 at a time (out may be a). CT: depends on n only. */
static void dynsess__xor_bytes(uint8_t *out, const uint8_t *a, const uint8_t *b, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        x ^= y;
        memcpy(out + i, &x, 8);
    }
    for (; i < n; i++) out[i] = (uint8_t)(a[i] ^ b[i]);
}

/* XORs n bytes with the keystream of state s (advancing s[12]) on the best
   code path: whole AVX2 (8 blocks) / SSE2 (4 blocks) strides, then a tail
   longer than one block from one more wide pass into a stack buffer (one
   8-way AVX2 pass costs about one scalar block), else scalar.
   CT: depends on n only. */
static void dynsess__chacha20_xor_state(uint32_t s[16], const uint8_t *ip, uint8_t *op, size_t n) {
#ifdef DYNSESS__X86_SIMD
    unsigned f = dynsess__cpu_features();
    size_t done = 0;
    uint8_t ks[512];
    if (f & DYNSESS__CPU_AVX2) {
        if (n >= 512) done = dynsess__chacha20_xor_avx2(s, ip, op, n);
        if (n - done > 64) {
            memset(ks, 0, 512);
            dynsess__chacha20_xor_avx2(s, ks, ks, 512);
            dynsess__xor_bytes(op + done, ip + done, ks, n - done);
            s[12] -= (uint32_t)(8 - (n - done + 63) / 64);   /* blocks actually used */
            dynsess_wipe(ks, sizeof ks);
            return;
        }
    } else if (f & DYNSESS__CPU_SSE2) {
        if (n >= 256) done = dynsess__chacha20_xor_sse2(s, ip, op, n);
        if (n - done > 64) {
            memset(ks, 0, 256);
            dynsess__chacha20_xor_sse2(s, ks, ks, 256);
            dynsess__xor_bytes(op + done, ip + done, ks, n - done);
            s[12] -= (uint32_t)(4 - (n - done + 63) / 64);
            dynsess_wipe(ks, 256);
            return;
        }
    }
    ip += done; op += done; n -= done;
#endif
    dynsess__chacha20_xor_portable(s, ip, op, n);
}

/* The AEAD's keystream head (RFC 8439 §2.6, §2.8): sets s to block 0 and
   writes block 0 (one-time Poly1305 key in ks[0..32)) plus, on AVX2 / SSE2,
   blocks 1-7 / 1-3 (one wide pass) into ks[512]. Returns how many message
   bytes ks covers (at most n); s then points past them. CT: depends on n only. */
static size_t dynsess__chacha20_aead_head(uint32_t s[16], const uint8_t key[32], const uint8_t nonce[12],
                                          size_t n, uint8_t ks[512]) {
    dynsess__chacha20_setup(s, key, nonce, 0);
#ifdef DYNSESS__X86_SIMD
    {
        unsigned f = dynsess__cpu_features();
        size_t cover = 0;
        if ((f & DYNSESS__CPU_AVX2) && n > 64) {
            memset(ks, 0, 512);
            dynsess__chacha20_xor_avx2(s, ks, ks, 512);
            cover = n < 448 ? n : 448;
        } else if ((f & DYNSESS__CPU_SSE2) && n > 64) {
            memset(ks, 0, 256);
            dynsess__chacha20_xor_sse2(s, ks, ks, 256);
            cover = n < 192 ? n : 192;
        }
        if (cover) {
            s[12] = 1 + (uint32_t)((cover + 63) / 64);
            return cover;
        }
    }
#else
    (void)n;
#endif
    memset(ks, 0, 64);
    dynsess__chacha20_xor_portable(s, ks, ks, 64);
    return 0;
}

/* out = in ^ ks for the head bytes, then the rest from state s. CT: n only. */
static void dynsess__chacha20_aead_body(uint32_t s[16], const uint8_t *ks, size_t head, const void *in,
                                        size_t n, void *out) {
    const uint8_t *ip = (const uint8_t *)in;
    uint8_t *op = (uint8_t *)out;
    dynsess__xor_bytes(op, ip, ks + 64, head);
    dynsess__chacha20_xor_state(s, ip + head, op + head, n - head);
}
#endif

/* Keystream XOR from block `counter`, best code path. CT: depends on n only. */
static void dynsess__chacha20_xor_any(const uint8_t key[32], const uint8_t nonce[12], uint32_t counter,
                                      const void *in, size_t n, void *out) {
#ifdef DYNSESS_USE_BEARSSL
    if (!n) return;
    if (in != out) memmove(out, in, n);
    dynsess__br_chacha()(key, nonce, counter, out, n);
#else
    uint32_t s[16];
    dynsess__chacha20_setup(s, key, nonce, counter);
    dynsess__chacha20_xor_state(s, (const uint8_t *)in, (uint8_t *)out, n);
    dynsess_wipe(s, sizeof s);
#endif
}

/* CT: depends on n only. */
DYNSESS_DEF void dynsess_chacha20_xor(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                      const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                      uint32_t counter, const void *in, size_t n, void *out) {
    dynsess__chacha20_xor_any(key, nonce, counter, in, n, out);
}

/* CT: data-independent. */
DYNSESS_DEF void dynsess_chacha20_block(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                        const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                        uint32_t counter, uint8_t out[DYNSESS_CHACHA_BLOCK]) {
    memset(out, 0, DYNSESS_CHACHA_BLOCK);
    dynsess__chacha20_xor_any(key, nonce, counter, out, DYNSESS_CHACHA_BLOCK, out);
}

/* draft-irtf-cfrg-xchacha-03 §2.2: rounds without the final addition,
   output words 0-3 and 12-15. CT: data-independent. */
DYNSESS_DEF void dynsess_hchacha20(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE], const uint8_t in[16],
                                   uint8_t out[32]) {
    uint32_t s[16];
    int i;
    dynsess__chacha20_setup(s, key, in + 4, dynsess__load32_le(in));
    dynsess__chacha20_rounds(s);
    for (i = 0; i < 4; i++) {
        dynsess__store32_le(out + 4 * i, s[i]);
        dynsess__store32_le(out + 16 + 4 * i, s[12 + i]);
    }
    dynsess_wipe(s, sizeof s);
}

/* XChaCha nonce split: subkey from nonce[0..16], IETF nonce 0^4 || nonce[16..24]. */
static void dynsess__xchacha_prepare(const uint8_t key[32], const uint8_t nonce[24], uint8_t subkey[32],
                                     uint8_t n12[12]) {
    dynsess_hchacha20(key, nonce, subkey);
    memset(n12, 0, 4);
    memcpy(n12 + 4, nonce + 16, 8);
}

/* CT: depends on n only. */
DYNSESS_DEF void dynsess_xchacha20_xor(const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE],
                                       const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
                                       uint32_t counter, const void *in, size_t n, void *out) {
    uint8_t subkey[32], n12[12];
    dynsess__xchacha_prepare(key, nonce, subkey, n12);
    dynsess__chacha20_xor_any(subkey, n12, counter, in, n, out);
    dynsess_wipe(subkey, sizeof subkey);
}

/* ---- Poly1305 (RFC 8439 §2.5) --------------------------------------------------------
   Two layouts of h and r (poly1305-donna): 3 x 44-bit limbs with 64x64->128
   multiplies where the compiler has unsigned __int128, else 5 x 26-bit limbs
   with 32x32->64 multiplies (also under DYNSESS_CRYPTO_PORTABLE). */
#if defined(__SIZEOF_INT128__) && !defined(DYNSESS_CRYPTO_PORTABLE)
#define DYNSESS__POLY64 1
#ifndef DYNSESS__POLY_AVX2_MIN
#define DYNSESS__POLY_AVX2_MIN 256 /* bytes from which the AVX2 path pays off */
#endif
__extension__ typedef unsigned __int128 dynsess__u128;
#endif

static DYNSESS__UNUSED uint64_t dynsess__load64_le(const uint8_t *p) {
    return (uint64_t)dynsess__load32_le(p) | ((uint64_t)dynsess__load32_le(p + 4) << 32);
}

#ifdef DYNSESS__POLY64
#define DYNSESS__M44 0xfffffffffffULL
#define DYNSESS__M42 0x3ffffffffffULL
/* h = h * r mod 2^130-5, partially reduced (donna-64). CT: data-independent. */
static void dynsess__poly64_mul(uint64_t h[3], const uint64_t r[3]) {
    const uint64_t s1 = r[1] * (5 << 2), s2 = r[2] * (5 << 2);
    dynsess__u128 d0, d1, d2;
    uint64_t cy;
    d0 = (dynsess__u128)h[0] * r[0] + (dynsess__u128)h[1] * s2 + (dynsess__u128)h[2] * s1;
    d1 = (dynsess__u128)h[0] * r[1] + (dynsess__u128)h[1] * r[0] + (dynsess__u128)h[2] * s2;
    d2 = (dynsess__u128)h[0] * r[2] + (dynsess__u128)h[1] * r[1] + (dynsess__u128)h[2] * r[0];
    cy = (uint64_t)(d0 >> 44); h[0] = (uint64_t)d0 & DYNSESS__M44;
    d1 += cy; cy = (uint64_t)(d1 >> 44); h[1] = (uint64_t)d1 & DYNSESS__M44;
    d2 += cy; cy = (uint64_t)(d2 >> 42); h[2] = (uint64_t)d2 & DYNSESS__M42;
    h[0] += cy * 5; cy = h[0] >> 44; h[0] &= DYNSESS__M44;
    h[1] += cy;
}

#ifdef DYNSESS__X86_SIMD
/* AVX2 Poly1305 for whole 64-byte chunks (n a multiple of 64, n >= 128):
   four lanes of 26-bit limbs, lane j takes blocks 4i+j; each step is
   H = H r^4 + M, the last one multiplies the lanes by r^4, r^3, r^2, r and
   sums them. h and the r powers come from and go back to the 44-bit scalar
   state. CT: data-independent (vpmuludq, shifts, masks only). */
#define DYNSESS__P26(x) ((x) & 0x3ffffff)
static void dynsess__poly26_from44(const uint64_t h[3], uint64_t l[5]) {
    uint64_t h0 = h[0], h1 = h[1], h2 = h[2], cy;
    cy = h0 >> 44; h0 &= 0xfffffffffffULL; h1 += cy;          /* normalise first */
    cy = h1 >> 44; h1 &= 0xfffffffffffULL; h2 += cy;
    cy = h2 >> 42; h2 &= 0x3ffffffffffULL; h0 += cy * 5;
    cy = h0 >> 44; h0 &= 0xfffffffffffULL; h1 += cy;
    l[0] = DYNSESS__P26(h0);
    l[1] = DYNSESS__P26((h0 >> 26) | (h1 << 18));
    l[2] = DYNSESS__P26(h1 >> 8);
    l[3] = (h1 >> 34) + ((h2 & 0xffff) << 10);                /* may exceed 26 bits by a carry */
    l[4] = h2 >> 16;
}
__attribute__((target("avx2"))) static DYNSESS__UNUSED void
dynsess__poly1305_avx2(dynsess_poly1305_ctx *c, const uint8_t *m, size_t n) {
    const __m256i mask = _mm256_set1_epi64x(0x3ffffff), hib = _mm256_set1_epi64x(1 << 24);
    const __m256i five = _mm256_set1_epi64x(5);
    uint64_t rp[4][5], hl[5], l0, l1, l2, l3, l4, cy, sum[5];
    __m256i r0, r1, r2, r3, r4, s1, s2, s3, s4, h0, h1, h2, h3, h4, t0, t1, a, b;
    __m256i d0, d1, d2, d3, d4, cv;
    uint64_t lanes[4];
    int k;
    dynsess__poly26_from44(c->r + 9, rp[0]);   /* r^4 */
    dynsess__poly26_from44(c->r + 6, rp[1]);   /* r^3 */
    dynsess__poly26_from44(c->r + 3, rp[2]);   /* r^2 */
    dynsess__poly26_from44(c->r + 0, rp[3]);   /* r   */
    dynsess__poly26_from44(c->h, hl);
#define DYNSESS__LOAD4(p)                                                                      \
    a = _mm256_loadu_si256((const __m256i *)(p));                                              \
    b = _mm256_loadu_si256((const __m256i *)((p) + 32));                                       \
    t0 = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(a, b), 0xD8);                          \
    t1 = _mm256_permute4x64_epi64(_mm256_unpackhi_epi64(a, b), 0xD8)
#define DYNSESS__ADDMSG()                                                                      \
    h0 = _mm256_add_epi64(h0, _mm256_and_si256(t0, mask));                                     \
    h1 = _mm256_add_epi64(h1, _mm256_and_si256(_mm256_srli_epi64(t0, 26), mask));              \
    h2 = _mm256_add_epi64(h2, _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64(t0, 52),      \
                                                               _mm256_slli_epi64(t1, 12)), mask)); \
    h3 = _mm256_add_epi64(h3, _mm256_and_si256(_mm256_srli_epi64(t1, 14), mask));              \
    h4 = _mm256_add_epi64(h4, _mm256_or_si256(_mm256_srli_epi64(t1, 40), hib))
#define DYNSESS__MUL()                                                                         \
    d0 = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h0, r0), _mm256_mul_epu32(h1, s4)), \
         _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h2, s3), _mm256_mul_epu32(h3, s2)), \
                          _mm256_mul_epu32(h4, s1)));                                          \
    d1 = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h0, r1), _mm256_mul_epu32(h1, r0)), \
         _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h2, s4), _mm256_mul_epu32(h3, s3)), \
                          _mm256_mul_epu32(h4, s2)));                                          \
    d2 = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h0, r2), _mm256_mul_epu32(h1, r1)), \
         _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h2, r0), _mm256_mul_epu32(h3, s4)), \
                          _mm256_mul_epu32(h4, s3)));                                          \
    d3 = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h0, r3), _mm256_mul_epu32(h1, r2)), \
         _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h2, r1), _mm256_mul_epu32(h3, r0)), \
                          _mm256_mul_epu32(h4, s4)));                                          \
    d4 = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h0, r4), _mm256_mul_epu32(h1, r3)), \
         _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h2, r2), _mm256_mul_epu32(h3, r1)), \
                          _mm256_mul_epu32(h4, r0)))
#define DYNSESS__SETR(i)                                                                       \
    r0 = _mm256_set1_epi64x((long long)rp[i][0]); r1 = _mm256_set1_epi64x((long long)rp[i][1]); \
    r2 = _mm256_set1_epi64x((long long)rp[i][2]); r3 = _mm256_set1_epi64x((long long)rp[i][3]); \
    r4 = _mm256_set1_epi64x((long long)rp[i][4])
    DYNSESS__SETR(0);
    s1 = _mm256_mul_epu32(r1, five); s2 = _mm256_mul_epu32(r2, five);
    s3 = _mm256_mul_epu32(r3, five); s4 = _mm256_mul_epu32(r4, five);
    h0 = _mm256_set_epi64x(0, 0, 0, (long long)hl[0]); h1 = _mm256_set_epi64x(0, 0, 0, (long long)hl[1]);
    h2 = _mm256_set_epi64x(0, 0, 0, (long long)hl[2]); h3 = _mm256_set_epi64x(0, 0, 0, (long long)hl[3]);
    h4 = _mm256_set_epi64x(0, 0, 0, (long long)hl[4]);
    DYNSESS__LOAD4(m);
    DYNSESS__ADDMSG();
    m += 64; n -= 64;
    while (n >= 64) {                       /* H = H r^4 + M */
        DYNSESS__MUL();
        cv = _mm256_srli_epi64(d0, 26); d0 = _mm256_and_si256(d0, mask); d1 = _mm256_add_epi64(d1, cv);
        cv = _mm256_srli_epi64(d1, 26); d1 = _mm256_and_si256(d1, mask); d2 = _mm256_add_epi64(d2, cv);
        cv = _mm256_srli_epi64(d2, 26); d2 = _mm256_and_si256(d2, mask); d3 = _mm256_add_epi64(d3, cv);
        cv = _mm256_srli_epi64(d3, 26); d3 = _mm256_and_si256(d3, mask); d4 = _mm256_add_epi64(d4, cv);
        cv = _mm256_srli_epi64(d4, 26); d4 = _mm256_and_si256(d4, mask);
        d0 = _mm256_add_epi64(d0, _mm256_mul_epu32(cv, five));
        cv = _mm256_srli_epi64(d0, 26); d0 = _mm256_and_si256(d0, mask); d1 = _mm256_add_epi64(d1, cv);
        h0 = d0; h1 = d1; h2 = d2; h3 = d3; h4 = d4;
        DYNSESS__LOAD4(m);
        DYNSESS__ADDMSG();
        m += 64; n -= 64;
    }
    /* last step: lane j times r^(4-j), then the sum of the lanes */
    r0 = _mm256_set_epi64x((long long)rp[3][0], (long long)rp[2][0], (long long)rp[1][0], (long long)rp[0][0]);
    r1 = _mm256_set_epi64x((long long)rp[3][1], (long long)rp[2][1], (long long)rp[1][1], (long long)rp[0][1]);
    r2 = _mm256_set_epi64x((long long)rp[3][2], (long long)rp[2][2], (long long)rp[1][2], (long long)rp[0][2]);
    r3 = _mm256_set_epi64x((long long)rp[3][3], (long long)rp[2][3], (long long)rp[1][3], (long long)rp[0][3]);
    r4 = _mm256_set_epi64x((long long)rp[3][4], (long long)rp[2][4], (long long)rp[1][4], (long long)rp[0][4]);
    s1 = _mm256_mul_epu32(r1, five); s2 = _mm256_mul_epu32(r2, five);
    s3 = _mm256_mul_epu32(r3, five); s4 = _mm256_mul_epu32(r4, five);
    DYNSESS__MUL();
    for (k = 0; k < 5; k++) {
        __m256i v = k == 0 ? d0 : k == 1 ? d1 : k == 2 ? d2 : k == 3 ? d3 : d4;
        _mm256_storeu_si256((__m256i *)lanes, v);
        sum[k] = lanes[0] + lanes[1] + lanes[2] + lanes[3];      /* each < 2^61 */
    }
    l0 = sum[0]; l1 = sum[1]; l2 = sum[2]; l3 = sum[3]; l4 = sum[4];
    cy = l0 >> 26; l0 &= 0x3ffffff; l1 += cy;
    cy = l1 >> 26; l1 &= 0x3ffffff; l2 += cy;
    cy = l2 >> 26; l2 &= 0x3ffffff; l3 += cy;
    cy = l3 >> 26; l3 &= 0x3ffffff; l4 += cy;
    cy = l4 >> 26; l4 &= 0x3ffffff; l0 += cy * 5;
    cy = l0 >> 26; l0 &= 0x3ffffff; l1 += cy;
    c->h[0] = (l0 + (l1 << 26)) & 0xfffffffffffULL;                /* back to 44-bit limbs */
    c->h[1] = ((l0 + (l1 << 26)) >> 44) + (l2 << 8) + ((l3 & 0x3ff) << 34);
    c->h[2] = (l3 >> 10) + (l4 << 16);
    cy = c->h[1] >> 44; c->h[1] &= 0xfffffffffffULL; c->h[2] += cy;
    dynsess_wipe(rp, sizeof rp);
    dynsess_wipe(hl, sizeof hl);
    dynsess_wipe(lanes, sizeof lanes);
    dynsess_wipe(sum, sizeof sum);
    _mm256_zeroall();
#undef DYNSESS__LOAD4
#undef DYNSESS__ADDMSG
#undef DYNSESS__MUL
#undef DYNSESS__SETR
}
#undef DYNSESS__P26
#endif

/* Absorbs whole 16-byte blocks; final = 1 for the padded last one (no 2^128
   bit). Four blocks per step as h = (h + m1) r^4 + m2 r^3 + m3 r^2 + m4 r,
   which cuts the multiply-carry dependency chain to one per 64 bytes.
   CT: data-independent (64x64->128 multiplies). */
#define DYNSESS__POLY_LIMBS(p, a0, a1, a2)                                     \
    t0 = dynsess__load64_le(p); t1 = dynsess__load64_le((p) + 8);              \
    a0 = t0 & DYNSESS__M44;                                                    \
    a1 = ((t0 >> 44) | (t1 << 20)) & DYNSESS__M44;                             \
    a2 = ((t1 >> 24) & DYNSESS__M42) | hibit
#define DYNSESS__POLY_MAC(a0, a1, a2, k)                                       \
    d0 += (dynsess__u128)(a0) * c->r[k] + (dynsess__u128)(a1) * (c->r[k + 2] * 20) + \
          (dynsess__u128)(a2) * (c->r[k + 1] * 20);                            \
    d1 += (dynsess__u128)(a0) * c->r[k + 1] + (dynsess__u128)(a1) * c->r[k] +    \
          (dynsess__u128)(a2) * (c->r[k + 2] * 20);                            \
    d2 += (dynsess__u128)(a0) * c->r[k + 2] + (dynsess__u128)(a1) * c->r[k + 1] + \
          (dynsess__u128)(a2) * c->r[k]
static DYNSESS__UNUSED void dynsess__poly1305_blocks(dynsess_poly1305_ctx *c, const uint8_t *m, size_t n,
                                                     int final) {
    const uint64_t hibit = final ? 0 : ((uint64_t)1 << 40);
    const uint64_t r0 = c->r[0], r1 = c->r[1], r2 = c->r[2];
    const uint64_t s1 = r1 * (5 << 2), s2 = r2 * (5 << 2);
    uint64_t h0, h1, h2, t0, t1, a0, a1, a2, cy;
    dynsess__u128 d0, d1, d2;
#ifdef DYNSESS__X86_SIMD
    if (n >= DYNSESS__POLY_AVX2_MIN && !final && (dynsess__cpu_features() & DYNSESS__CPU_AVX2)) {
        size_t k = n & ~(size_t)63;
        dynsess__poly1305_avx2(c, m, k);
        m += k; n -= k;
    }
#endif
    h0 = c->h[0]; h1 = c->h[1]; h2 = c->h[2];
    while (n >= 64) {
        DYNSESS__POLY_LIMBS(m, a0, a1, a2);
        h0 += a0; h1 += a1; h2 += a2;
        d0 = d1 = d2 = 0;
        DYNSESS__POLY_MAC(h0, h1, h2, 9);            /* (h + m1) r^4 */
        DYNSESS__POLY_LIMBS(m + 16, a0, a1, a2);
        DYNSESS__POLY_MAC(a0, a1, a2, 6);            /* m2 r^3 */
        DYNSESS__POLY_LIMBS(m + 32, a0, a1, a2);
        DYNSESS__POLY_MAC(a0, a1, a2, 3);            /* m3 r^2 */
        DYNSESS__POLY_LIMBS(m + 48, a0, a1, a2);
        DYNSESS__POLY_MAC(a0, a1, a2, 0);            /* m4 r */
        cy = (uint64_t)(d0 >> 44); h0 = (uint64_t)d0 & DYNSESS__M44;
        d1 += cy; cy = (uint64_t)(d1 >> 44); h1 = (uint64_t)d1 & DYNSESS__M44;
        d2 += cy; cy = (uint64_t)(d2 >> 42); h2 = (uint64_t)d2 & DYNSESS__M42;
        h0 += cy * 5; cy = h0 >> 44; h0 &= DYNSESS__M44;
        h1 += cy;
        m += 64; n -= 64;
    }
    while (n >= 16) {
        t0 = dynsess__load64_le(m);
        t1 = dynsess__load64_le(m + 8);
        h0 += t0 & DYNSESS__M44;
        h1 += ((t0 >> 44) | (t1 << 20)) & DYNSESS__M44;
        h2 += ((t1 >> 24) & DYNSESS__M42) | hibit;
        d0 = (dynsess__u128)h0 * r0 + (dynsess__u128)h1 * s2 + (dynsess__u128)h2 * s1;
        d1 = (dynsess__u128)h0 * r1 + (dynsess__u128)h1 * r0 + (dynsess__u128)h2 * s2;
        d2 = (dynsess__u128)h0 * r2 + (dynsess__u128)h1 * r1 + (dynsess__u128)h2 * r0;
        cy = (uint64_t)(d0 >> 44); h0 = (uint64_t)d0 & DYNSESS__M44;
        d1 += cy; cy = (uint64_t)(d1 >> 44); h1 = (uint64_t)d1 & DYNSESS__M44;
        d2 += cy; cy = (uint64_t)(d2 >> 42); h2 = (uint64_t)d2 & DYNSESS__M42;
        h0 += cy * 5; cy = h0 >> 44; h0 &= DYNSESS__M44;
        h1 += cy;
        m += 16; n -= 16;
    }
    c->h[0] = h0; c->h[1] = h1; c->h[2] = h2;
}

/* CT: data-independent. */
DYNSESS_DEF void dynsess_poly1305_init(dynsess_poly1305_ctx *c,
                                       const uint8_t key[DYNSESS_POLY1305_KEY_SIZE]) {
    uint64_t t0 = dynsess__load64_le(key), t1 = dynsess__load64_le(key + 8);
    int i;
    c->r[0] = t0 & 0xffc0fffffffULL;                         /* r is clamped (§2.5) */
    c->r[1] = ((t0 >> 44) | (t1 << 20)) & 0xfffffc0ffffULL;
    c->r[2] = (t1 >> 24) & 0x00ffffffc0fULL;
    for (i = 3; i < 12; i++) c->r[i] = c->r[i - 3];          /* r^2, r^3, r^4 for 4-block steps */
    dynsess__poly64_mul(c->r + 3, c->r);
    dynsess__poly64_mul(c->r + 6, c->r + 3);
    dynsess__poly64_mul(c->r + 9, c->r + 6);
    for (i = 0; i < 5; i++) c->h[i] = 0;
    for (i = 0; i < 4; i++) c->pad[i] = dynsess__load32_le(key + 16 + 4 * i);
    c->used = 0;
}

/* Final reduction mod 2^130-5 with a mask select, then + s. CT: data-independent. */
static void dynsess__poly1305_finish(dynsess_poly1305_ctx *c, uint8_t tag[16]) {
    uint64_t h0 = c->h[0], h1 = c->h[1], h2 = c->h[2], g0, g1, g2, cy, t0, t1;
    cy = h1 >> 44; h1 &= 0xfffffffffffULL;
    h2 += cy; cy = h2 >> 42; h2 &= 0x3ffffffffffULL;
    h0 += cy * 5; cy = h0 >> 44; h0 &= 0xfffffffffffULL;
    h1 += cy; cy = h1 >> 44; h1 &= 0xfffffffffffULL;
    h2 += cy; cy = h2 >> 42; h2 &= 0x3ffffffffffULL;
    h0 += cy * 5; cy = h0 >> 44; h0 &= 0xfffffffffffULL;
    h1 += cy;
    g0 = h0 + 5; cy = g0 >> 44; g0 &= 0xfffffffffffULL;     /* g = h + 5 - 2^130 */
    g1 = h1 + cy; cy = g1 >> 44; g1 &= 0xfffffffffffULL;
    g2 = h2 + cy - ((uint64_t)1 << 42);
    cy = (g2 >> 63) - 1;                                     /* all ones if h >= p */
    g0 &= cy; g1 &= cy; g2 &= cy;
    cy = ~cy;
    h0 = (h0 & cy) | g0; h1 = (h1 & cy) | g1; h2 = (h2 & cy) | g2;
    t0 = (uint64_t)c->pad[0] | ((uint64_t)c->pad[1] << 32);
    t1 = (uint64_t)c->pad[2] | ((uint64_t)c->pad[3] << 32);
    h0 += t0 & 0xfffffffffffULL; cy = h0 >> 44; h0 &= 0xfffffffffffULL;
    h1 += (((t0 >> 44) | (t1 << 20)) & 0xfffffffffffULL) + cy; cy = h1 >> 44; h1 &= 0xfffffffffffULL;
    h2 += ((t1 >> 24) & 0x3ffffffffffULL) + cy; h2 &= 0x3ffffffffffULL;
    h0 = h0 | (h1 << 44);
    h1 = (h1 >> 20) | (h2 << 24);
    dynsess__store64_le(tag, h0);
    dynsess__store64_le(tag + 8, h1);
}
#undef DYNSESS__POLY_LIMBS
#undef DYNSESS__POLY_MAC
#undef DYNSESS__M44
#undef DYNSESS__M42
#else
/* Absorbs whole 16-byte blocks; final = 1 for the padded last one (no 2^128
   bit). CT: data-independent (32x32->64 multiplies only). */
static DYNSESS__UNUSED void dynsess__poly1305_blocks(dynsess_poly1305_ctx *c, const uint8_t *m, size_t n,
                                                     int final) {
    const uint32_t hibit = final ? 0 : (1u << 24);
    const uint32_t r0 = (uint32_t)c->r[0], r1 = (uint32_t)c->r[1], r2 = (uint32_t)c->r[2],
                   r3 = (uint32_t)c->r[3], r4 = (uint32_t)c->r[4];
    const uint32_t s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
    uint32_t h0 = (uint32_t)c->h[0], h1 = (uint32_t)c->h[1], h2 = (uint32_t)c->h[2],
             h3 = (uint32_t)c->h[3], h4 = (uint32_t)c->h[4];
    uint64_t d0, d1, d2, d3, d4;
    uint32_t cy;
    while (n >= 16) {
        h0 += dynsess__load32_le(m + 0) & 0x3ffffff;
        h1 += (dynsess__load32_le(m + 3) >> 2) & 0x3ffffff;
        h2 += (dynsess__load32_le(m + 6) >> 4) & 0x3ffffff;
        h3 += (dynsess__load32_le(m + 9) >> 6) & 0x3ffffff;
        h4 += (dynsess__load32_le(m + 12) >> 8) | hibit;
        d0 = (uint64_t)h0 * r0 + (uint64_t)h1 * s4 + (uint64_t)h2 * s3 + (uint64_t)h3 * s2 + (uint64_t)h4 * s1;
        d1 = (uint64_t)h0 * r1 + (uint64_t)h1 * r0 + (uint64_t)h2 * s4 + (uint64_t)h3 * s3 + (uint64_t)h4 * s2;
        d2 = (uint64_t)h0 * r2 + (uint64_t)h1 * r1 + (uint64_t)h2 * r0 + (uint64_t)h3 * s4 + (uint64_t)h4 * s3;
        d3 = (uint64_t)h0 * r3 + (uint64_t)h1 * r2 + (uint64_t)h2 * r1 + (uint64_t)h3 * r0 + (uint64_t)h4 * s4;
        d4 = (uint64_t)h0 * r4 + (uint64_t)h1 * r3 + (uint64_t)h2 * r2 + (uint64_t)h3 * r1 + (uint64_t)h4 * r0;
        cy = (uint32_t)(d0 >> 26); h0 = (uint32_t)d0 & 0x3ffffff;
        d1 += cy; cy = (uint32_t)(d1 >> 26); h1 = (uint32_t)d1 & 0x3ffffff;
        d2 += cy; cy = (uint32_t)(d2 >> 26); h2 = (uint32_t)d2 & 0x3ffffff;
        d3 += cy; cy = (uint32_t)(d3 >> 26); h3 = (uint32_t)d3 & 0x3ffffff;
        d4 += cy; cy = (uint32_t)(d4 >> 26); h4 = (uint32_t)d4 & 0x3ffffff;
        h0 += cy * 5; cy = h0 >> 26; h0 &= 0x3ffffff;
        h1 += cy;
        m += 16; n -= 16;
    }
    c->h[0] = h0; c->h[1] = h1; c->h[2] = h2; c->h[3] = h3; c->h[4] = h4;
}

/* CT: data-independent. */
DYNSESS_DEF void dynsess_poly1305_init(dynsess_poly1305_ctx *c,
                                       const uint8_t key[DYNSESS_POLY1305_KEY_SIZE]) {
    int i;
    c->r[0] = dynsess__load32_le(key + 0) & 0x3ffffff;        /* r is clamped (§2.5) */
    c->r[1] = (dynsess__load32_le(key + 3) >> 2) & 0x3ffff03;
    c->r[2] = (dynsess__load32_le(key + 6) >> 4) & 0x3ffc0ff;
    c->r[3] = (dynsess__load32_le(key + 9) >> 6) & 0x3f03fff;
    c->r[4] = (dynsess__load32_le(key + 12) >> 8) & 0x00fffff;
    for (i = 0; i < 5; i++) c->h[i] = 0;
    for (i = 0; i < 4; i++) c->pad[i] = dynsess__load32_le(key + 16 + 4 * i);
    c->used = 0;
}

/* Final reduction mod 2^130-5 with a mask select, then + s. CT: data-independent. */
static void dynsess__poly1305_finish(dynsess_poly1305_ctx *c, uint8_t tag[16]) {
    uint32_t h0, h1, h2, h3, h4, g0, g1, g2, g3, g4, cy, mask;
    uint64_t f;
    h0 = (uint32_t)c->h[0]; h1 = (uint32_t)c->h[1]; h2 = (uint32_t)c->h[2];
    h3 = (uint32_t)c->h[3]; h4 = (uint32_t)c->h[4];
    cy = h1 >> 26; h1 &= 0x3ffffff;
    h2 += cy; cy = h2 >> 26; h2 &= 0x3ffffff;
    h3 += cy; cy = h3 >> 26; h3 &= 0x3ffffff;
    h4 += cy; cy = h4 >> 26; h4 &= 0x3ffffff;
    h0 += cy * 5; cy = h0 >> 26; h0 &= 0x3ffffff;
    h1 += cy;
    g0 = h0 + 5; cy = g0 >> 26; g0 &= 0x3ffffff;            /* g = h + 5 - 2^130 */
    g1 = h1 + cy; cy = g1 >> 26; g1 &= 0x3ffffff;
    g2 = h2 + cy; cy = g2 >> 26; g2 &= 0x3ffffff;
    g3 = h3 + cy; cy = g3 >> 26; g3 &= 0x3ffffff;
    g4 = h4 + cy - (1u << 26);
    mask = (g4 >> 31) - 1;                                   /* all ones if h >= p */
    g0 &= mask; g1 &= mask; g2 &= mask; g3 &= mask; g4 &= mask;
    mask = ~mask;
    h0 = (h0 & mask) | g0; h1 = (h1 & mask) | g1; h2 = (h2 & mask) | g2;
    h3 = (h3 & mask) | g3; h4 = (h4 & mask) | g4;
    h0 = h0 | (h1 << 26);
    h1 = (h1 >> 6) | (h2 << 20);
    h2 = (h2 >> 12) | (h3 << 14);
    h3 = (h3 >> 18) | (h4 << 8);
    f = (uint64_t)h0 + c->pad[0]; dynsess__store32_le(tag + 0, (uint32_t)f);
    f = (uint64_t)h1 + c->pad[1] + (f >> 32); dynsess__store32_le(tag + 4, (uint32_t)f);
    f = (uint64_t)h2 + c->pad[2] + (f >> 32); dynsess__store32_le(tag + 8, (uint32_t)f);
    f = (uint64_t)h3 + c->pad[3] + (f >> 32); dynsess__store32_le(tag + 12, (uint32_t)f);
}
#endif

/* CT: depends on n and the running length only. */
DYNSESS_DEF void dynsess_poly1305_update(dynsess_poly1305_ctx *c, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    if (c->used) {
        size_t take = 16 - c->used < n ? 16 - c->used : n;
        memcpy(c->buf + c->used, p, take);
        c->used += take; p += take; n -= take;
        if (c->used < 16) return;
        dynsess__poly1305_blocks(c, c->buf, 16, 0);
        c->used = 0;
    }
    if (n >= 16) {
        dynsess__poly1305_blocks(c, p, n & ~(size_t)15, 0);
        p += n & ~(size_t)15;
        n &= 15;
    }
    if (n) { memcpy(c->buf, p, n); c->used = n; }
}

/* CT: depends on the length only. */
DYNSESS_DEF void dynsess_poly1305_final(dynsess_poly1305_ctx *c, uint8_t tag[DYNSESS_POLY1305_TAG_SIZE]) {
    if (c->used) {
        size_t i = c->used;
        c->buf[i++] = 1;
        for (; i < 16; i++) c->buf[i] = 0;
        dynsess__poly1305_blocks(c, c->buf, 16, 1);
    }
    dynsess__poly1305_finish(c, tag);
    dynsess_wipe(c, sizeof *c);
}

/* CT: depends on n only. */
DYNSESS_DEF void dynsess_poly1305(const uint8_t key[DYNSESS_POLY1305_KEY_SIZE], const void *p,
                                  size_t n, uint8_t tag[DYNSESS_POLY1305_TAG_SIZE]) {
    dynsess_poly1305_ctx c;
    dynsess_poly1305_init(&c, key);
    dynsess_poly1305_update(&c, p, n);
    dynsess_poly1305_final(&c, tag);
}

/* ---- AEAD (RFC 8439 §2.8) -------------------------------------------------------- */
/* Tag over ad || pad16 || ct || pad16 || le64(ad_len) || le64(n). CT: lengths only. */
static DYNSESS__UNUSED void dynsess__aead_tag(const uint8_t otk[32], const void *ad, size_t ad_len, const void *ct,
                              size_t n, uint8_t tag[16]) {
    static const uint8_t zeros[16] = {0};
    dynsess_poly1305_ctx c;
    uint8_t lens[16];
    dynsess_poly1305_init(&c, otk);
    if (ad_len) dynsess_poly1305_update(&c, ad, ad_len);
    dynsess_poly1305_update(&c, zeros, (16 - (ad_len & 15)) & 15);
    if (n) dynsess_poly1305_update(&c, ct, n);
    dynsess_poly1305_update(&c, zeros, (16 - (n & 15)) & 15);
    dynsess__store64_le(lens, (uint64_t)ad_len);
    dynsess__store64_le(lens + 8, (uint64_t)n);
    dynsess_poly1305_update(&c, lens, sizeof lens);
    dynsess_poly1305_final(&c, tag);
}

/* CT: depends on ad_len and n only. */
DYNSESS_DEF void dynsess_chacha20poly1305_seal(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                               const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                               const void *ad, size_t ad_len, const void *pt,
                                               size_t n, void *ct,
                                               uint8_t tag[DYNSESS_AEAD_TAG_SIZE]) {
#ifdef DYNSESS_USE_BEARSSL
    if (n && ct != pt) memmove(ct, pt, n);
    dynsess__br_poly()(key, nonce, ct, n, ad, ad_len, tag, dynsess__br_chacha(), 1);
#else
    uint32_t s[16];
    uint8_t ks[512];
    size_t head = dynsess__chacha20_aead_head(s, key, nonce, n, ks);
    dynsess__chacha20_aead_body(s, ks, head, pt, n, ct);
    dynsess__aead_tag(ks, ad, ad_len, ct, n, tag);          /* §2.6: ks[0..32) is the one-time key */
    dynsess_wipe(ks, sizeof ks);
    dynsess_wipe(s, sizeof s);
#endif
}

/* Verifies before decrypting. CT: depends on ad_len and n only (the
   accept/reject outcome is public). */
DYNSESS_DEF dynsess_status dynsess_chacha20poly1305_open(
    const uint8_t key[DYNSESS_CHACHA_KEY_SIZE], const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
    const void *ad, size_t ad_len, const void *ct, size_t n, const uint8_t tag[DYNSESS_AEAD_TAG_SIZE],
    void *pt, dynsess_error *err) {
    uint8_t want[16];
    int ok;
#ifdef DYNSESS_USE_BEARSSL
    dynsess__br_poly()(key, nonce, (void *)(uintptr_t)ct, n, ad, ad_len, want,
                       dynsess__br_chacha_otk_only, 1);
    ok = dynsess_ct_equal(want, tag, sizeof want);
    dynsess_wipe(want, sizeof want);
    if (!ok)
        return dynsess__fail(err, DYNSESS_E_AUTH, DYNSESS_NO_OFFSET,
                             "aead: authentication tag mismatch");
    dynsess__chacha20_xor_any(key, nonce, 1, ct, n, pt);
#else
    uint32_t s[16];
    uint8_t ks[512];
    size_t head = dynsess__chacha20_aead_head(s, key, nonce, n, ks);
    dynsess__aead_tag(ks, ad, ad_len, ct, n, want);
    ok = dynsess_ct_equal(want, tag, sizeof want);
    dynsess_wipe(want, sizeof want);
    if (!ok) {                       /* nothing written to pt */
        dynsess_wipe(ks, sizeof ks);
        dynsess_wipe(s, sizeof s);
        return dynsess__fail(err, DYNSESS_E_AUTH, DYNSESS_NO_OFFSET,
                             "aead: authentication tag mismatch");
    }
    dynsess__chacha20_aead_body(s, ks, head, ct, n, pt);
    dynsess_wipe(ks, sizeof ks);
    dynsess_wipe(s, sizeof s);
#endif
    return DYNSESS_OK;
}

/* CT: depends on ad_len and n only. */
DYNSESS_DEF void dynsess_xchacha20poly1305_seal(const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE],
                                                const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
                                                const void *ad, size_t ad_len, const void *pt,
                                                size_t n, void *ct,
                                                uint8_t tag[DYNSESS_AEAD_TAG_SIZE]) {
    uint8_t subkey[32], n12[12];
    dynsess__xchacha_prepare(key, nonce, subkey, n12);
    dynsess_chacha20poly1305_seal(subkey, n12, ad, ad_len, pt, n, ct, tag);
    dynsess_wipe(subkey, sizeof subkey);
}

/* CT: depends on ad_len and n only. */
DYNSESS_DEF dynsess_status dynsess_xchacha20poly1305_open(
    const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE], const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
    const void *ad, size_t ad_len, const void *ct, size_t n, const uint8_t tag[DYNSESS_AEAD_TAG_SIZE],
    void *pt, dynsess_error *err) {
    uint8_t subkey[32], n12[12];
    dynsess_status rc;
    dynsess__xchacha_prepare(key, nonce, subkey, n12);
    rc = dynsess_chacha20poly1305_open(subkey, n12, ad, ad_len, ct, n, tag, pt, err);
    dynsess_wipe(subkey, sizeof subkey);
    return rc;
}

DYNSESS_DEF const char *dynsess_crypto_impl(void) {
#ifdef DYNSESS_USE_BEARSSL
    return "bearssl (poly1305 standalone: portable)";
#else
    unsigned f = dynsess__cpu_features();
    if (f & DYNSESS__CPU_SHANI)
        return (f & DYNSESS__CPU_AVX2) ? "sha256=sha-ni chacha20=avx2" :
               (f & DYNSESS__CPU_SSE2) ? "sha256=sha-ni chacha20=sse2" : "sha256=sha-ni chacha20=portable";
    return (f & DYNSESS__CPU_AVX2) ? "sha256=portable chacha20=avx2" :
           (f & DYNSESS__CPU_SSE2) ? "sha256=portable chacha20=sse2" : "sha256=portable chacha20=portable";
#endif
}
#undef DYNSESS__ROL32
#undef DYNSESS__ROR32

/* ======================================================================
   @sigv4  implementation: credentials, region/endpoint, canonical
           request, signing-key cache, header and query signing
   No allocation: the canonical request is built in the signer's scratch
   and hashed in one call; the keyed HMAC context of kSigning is cached
   and cloned (memcpy) per signature.
   ====================================================================== */

#if defined(__SSE2__) && !defined(DYNSESS__SIGV4_PORTABLE)
#include <emmintrin.h>
#define DYNSESS__SIGV4_SSE2 1
#endif

/* ---- credentials ---------------------------------------------------------- */
DYNSESS_DEF void dynsess_aws_creds_wipe(dynsess_aws_creds *c) {
    if (c) dynsess_wipe(c, sizeof *c);
}

DYNSESS_DEF dynsess_status dynsess_aws_creds_set(dynsess_aws_creds *c, dynsess_str access_key_id,
                                                 dynsess_str secret_access_key,
                                                 dynsess_str session_token, dynsess_error *err) {
    if (!c) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: creds is null");
    dynsess_aws_creds_wipe(c);
    if (!access_key_id.len || !access_key_id.ptr || !secret_access_key.len || !secret_access_key.ptr)
        return dynsess__fail(err, DYNSESS_E_CREDENTIALS, DYNSESS_NO_OFFSET,
                             "sigv4: empty access key id or secret access key");
    if (access_key_id.len > DYNSESS_AWS_KEY_ID_MAX)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                             "sigv4: access key id longer than %d bytes", DYNSESS_AWS_KEY_ID_MAX);
    if (secret_access_key.len > DYNSESS_AWS_SECRET_MAX)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                             "sigv4: secret access key longer than %d bytes", DYNSESS_AWS_SECRET_MAX);
    if (session_token.len > DYNSESS_AWS_TOKEN_MAX)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                             "sigv4: session token longer than %d bytes", DYNSESS_AWS_TOKEN_MAX);
    memcpy(c->access_key_id, access_key_id.ptr, access_key_id.len);
    c->access_key_id_len = access_key_id.len;
    memcpy(c->secret_access_key, secret_access_key.ptr, secret_access_key.len);
    c->secret_access_key_len = secret_access_key.len;
    if (session_token.len && session_token.ptr) {
        memcpy(c->session_token, session_token.ptr, session_token.len);
        c->session_token_len = session_token.len;
    }
    return DYNSESS_OK;
}

static DYNSESS__UNUSED const char *dynsess__env_get(const dynsess_env *env, const char *name) {
    const char *v = (env && env->get) ? env->get(env->user, name) : getenv(name);
    return (v && *v) ? v : 0;
}

DYNSESS_DEF dynsess_status dynsess_aws_creds_from_env(dynsess_aws_creds *c, const dynsess_env *env,
                                                      dynsess_error *err) {
    const char *id = dynsess__env_get(env, "AWS_ACCESS_KEY_ID");
    const char *secret = dynsess__env_get(env, "AWS_SECRET_ACCESS_KEY");
    const char *token = dynsess__env_get(env, "AWS_SESSION_TOKEN");
    if (c) dynsess_aws_creds_wipe(c);
    if (!id || !secret)
        return dynsess__fail(err, DYNSESS_E_CREDENTIALS, DYNSESS_NO_OFFSET,
                             "sigv4: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set");
    return dynsess_aws_creds_set(c, dynsess_cstr(id), dynsess_cstr(secret), dynsess_cstr(token), err);
}

DYNSESS_DEF dynsess_aws_credentials dynsess_aws_creds_view(const dynsess_aws_creds *c) {
    dynsess_aws_credentials v;
    v.access_key_id.ptr = c->access_key_id;
    v.access_key_id.len = c->access_key_id_len;
    v.secret_access_key.ptr = c->secret_access_key;
    v.secret_access_key.len = c->secret_access_key_len;
    v.session_token.ptr = c->session_token_len ? c->session_token : 0;
    v.session_token.len = c->session_token_len;
    v.expires_at = c->expires_at;
    return v;
}

static dynsess_status dynsess__creds_static_fn(void *user, dynsess_aws_credentials *out,
                                               dynsess_error *err) {
    const dynsess_aws_creds *c = (const dynsess_aws_creds *)user;
    if (!c || !c->access_key_id_len || !c->secret_access_key_len)
        return dynsess__fail(err, DYNSESS_E_CREDENTIALS, DYNSESS_NO_OFFSET,
                             "sigv4: static credentials are empty");
    *out = dynsess_aws_creds_view(c);
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_aws_credentials_provider dynsess_aws_creds_provider(dynsess_aws_creds *c) {
    dynsess_aws_credentials_provider p;
    p.fn = dynsess__creds_static_fn;
    p.user = c;
    return p;
}

/* ---- region and endpoint ---------------------------------------------------- */
static int dynsess__sigv4_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* 1 if s is a valid region / service name: [A-Za-z0-9._-]{1,max} */
static int dynsess__sigv4_name_ok(const char *s, size_t max) {
    size_t i;
    if (!s || !*s) return 0;
    for (i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= max) return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

DYNSESS_DEF dynsess_status dynsess_aws_region(const char *region, const dynsess_env *env, char *out,
                                              size_t cap, dynsess_error *err) {
    const char *r = region, *src = "region";
    size_t i, n;
    if (!r || !*r) { r = dynsess__env_get(env, "AWS_REGION"); src = "AWS_REGION"; }
    if (!r) { r = dynsess__env_get(env, "AWS_DEFAULT_REGION"); src = "AWS_DEFAULT_REGION"; }
    if (!r)
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "sigv4: no aws region (set AWS_REGION or pass one)");
    n = strlen(r);
    if (n > DYNSESS_AWS_REGION_MAX || n + 1 > cap)
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET, "sigv4: %s is too long", src);
    for (i = 0; i < n; i++) {
        char c = r[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                                 "sigv4: %s has a character outside [a-z0-9-]", src);
    }
    memcpy(out, r, n + 1);
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_url_parse(const char *url, dynsess_endpoint *out,
                                             dynsess_error *err) {
    const char *p, *host, *host_end, *path;
    size_t n, i;
    int port = 0, is_v6 = 0;
    if (!url || !out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "url: null argument");
    memset(out->scheme, 0, sizeof out->scheme);
    out->host[0] = out->path[0] = out->host_header[0] = 0;
    out->port = 0;
    out->port_explicit = 0;
    p = strstr(url, "://");
    if (!p) return dynsess__fail(err, DYNSESS_E_CONFIG, 0, "url: missing scheme:// in endpoint url");
    n = (size_t)(p - url);
    if (n == 4 && dynsess__sigv4_lower(url[0]) == 'h' && dynsess__sigv4_lower(url[1]) == 't' &&
        dynsess__sigv4_lower(url[2]) == 't' && dynsess__sigv4_lower(url[3]) == 'p') {
        memcpy(out->scheme, "http", 5);
        out->port = 80;
    } else if (n == 5 && dynsess__sigv4_lower(url[0]) == 'h' && dynsess__sigv4_lower(url[1]) == 't' &&
               dynsess__sigv4_lower(url[2]) == 't' && dynsess__sigv4_lower(url[3]) == 'p' &&
               dynsess__sigv4_lower(url[4]) == 's') {
        memcpy(out->scheme, "https", 6);
        out->port = 443;
    } else {
        return dynsess__fail(err, DYNSESS_E_CONFIG, 0, "url: scheme must be http or https");
    }
    host = p + 3;
    if (*host == '[') {
        is_v6 = 1;
        host_end = strchr(host, ']');
        if (!host_end) return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(host - url), "url: unclosed '['");
        host++;
        p = host_end + 1;
    } else {
        host_end = host;
        while (*host_end && *host_end != ':' && *host_end != '/' && *host_end != '?' && *host_end != '#')
            host_end++;
        p = host_end;
    }
    n = (size_t)(host_end - host);
    if (n == 0) return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(host - url), "url: empty host");
    if (n > DYNSESS_URL_HOST_MAX) return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "url: host too long");
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c <= ' ' || c >= 127 || c == '@' || c == '\\' || (!is_v6 && c == '['))
            return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(host - url) + i,
                                 "url: invalid character in host at offset %lu",
                                 (unsigned long)((size_t)(host - url) + i));
    }
    for (i = 0; i < n; i++) out->host[i] = (char)dynsess__sigv4_lower(host[i]);
    out->host[n] = 0;
    if (*p == ':') {
        p++;
        if (!(*p >= '0' && *p <= '9')) return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(p - url), "url: bad port");
        while (*p >= '0' && *p <= '9') {
            port = port * 10 + (*p - '0');
            if (port > 65535) return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(p - url), "url: port out of range");
            p++;
        }
        if (port == 0) return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(p - url), "url: port out of range");
        out->port = port;
        out->port_explicit = 1;
    }
    path = p;
    if (*path && *path != '/')
        return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(path - url), "url: unexpected character after host");
    n = strlen(path);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c == '?' || c == '#' || c <= ' ' || c >= 127)
            return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(path - url) + i,
                                 "url: query, fragment or invalid character in path");
    }
    while (n && path[n - 1] == '/') n--;
    if (n > DYNSESS_URL_PATH_MAX) return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "url: path too long");
    memcpy(out->path, path, n);
    out->path[n] = 0;
    {
        int dflt = (out->scheme[4] == 's') ? 443 : 80;
        if (is_v6 && out->port != dflt)
            sprintf(out->host_header, "[%s]:%d", out->host, out->port);
        else if (is_v6)
            sprintf(out->host_header, "[%s]", out->host);
        else if (out->port != dflt)
            sprintf(out->host_header, "%s:%d", out->host, out->port);
        else
            sprintf(out->host_header, "%s", out->host);
    }
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_aws_endpoint(const char *service, const char *region,
                                                const dynsess_env *env, dynsess_endpoint *out,
                                                dynsess_error *err) {
    char var[96], reg[DYNSESS_AWS_REGION_MAX + 1], url[DYNSESS_URL_HOST_MAX + 64];
    const char *v, *used = "AWS_ENDPOINT_URL";
    size_t i, n;
    dynsess_status rc;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: out is null");
    if (!dynsess__sigv4_name_ok(service, 63))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: invalid service name");
    rc = dynsess_aws_region(region, env, reg, sizeof reg, err);
    if (rc) return rc;
    memcpy(var, "AWS_ENDPOINT_URL_", 17);
    n = strlen(service);
    for (i = 0; i < n; i++) {
        char c = service[i];
        var[17 + i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : (c == '-' || c == ' ' || c == '.') ? '_' : c;
    }
    var[17 + n] = 0;
    v = dynsess__env_get(env, var);
    if (v) used = var;
    else v = dynsess__env_get(env, "AWS_ENDPOINT_URL");
    if (v) {
        rc = dynsess_url_parse(v, out, err);
        if (rc) {
            if (err) {
                char m[DYNSESS_ERROR_MSG_SIZE];
                memcpy(m, err->msg, sizeof m);
                m[sizeof m - 1] = 0;
                dynsess__fail(err, rc, err->offset, "%s: %s", used, m);
            }
            return rc;
        }
        out->overridden = 1;
    } else {
        int cn = reg[0] == 'c' && reg[1] == 'n' && reg[2] == '-';
        sprintf(url, "https://%s.%s.amazonaws.com%s", service, reg, cn ? ".cn" : "");
        rc = dynsess_url_parse(url, out, err);
        if (rc) return rc;
        out->overridden = 0;
    }
    memcpy(out->region, reg, strlen(reg) + 1);
    return DYNSESS_OK;
}

/* ---- time ------------------------------------------------------------------------ */
DYNSESS_DEF dynsess_status dynsess_sigv4_amz_date(int64_t t, char out[17], dynsess_error *err) {
    int64_t days, secs, z, era, doe, yoe, y, doy, mp, d, m;
    int i;
    if (t < 0 || t > INT64_C(253402300799))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: time out of range");
    days = t / 86400;
    secs = t % 86400;
    /* civil_from_days (H. Hinnant), valid for the proleptic Gregorian calendar */
    z = days + 719468;
    era = z / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    {
        int64_t v[6];
        int w[6] = {4, 2, 2, 2, 2, 2};
        char *o = out;
        v[0] = y; v[1] = m; v[2] = d; v[3] = secs / 3600; v[4] = secs / 60 % 60; v[5] = secs % 60;
        for (i = 0; i < 6; i++) {
            int k;
            for (k = w[i] - 1; k >= 0; k--) { o[k] = (char)('0' + v[i] % 10); v[i] /= 10; }
            o += w[i];
            if (i == 2) *o++ = 'T';
        }
        *o++ = 'Z';
        *o = 0;
    }
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_sigv4_parse_time(dynsess_str s, int64_t *t, dynsess_error *err) {
    /* positions of the digits of YYYY MM DD hh mm ss in both layouts */
    static const unsigned char basic[14] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14};
    static const unsigned char iso[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    const unsigned char *pos;
    int dg[14], i;
    int64_t y, m, d, hh, mi, ss, era, yoe, doy, doe, days;
    if (s.len == 16 && s.ptr[8] == 'T' && s.ptr[15] == 'Z') pos = basic;
    else if (s.len == 20 && s.ptr[4] == '-' && s.ptr[7] == '-' && s.ptr[10] == 'T' && s.ptr[13] == ':' &&
             s.ptr[16] == ':' && s.ptr[19] == 'Z') pos = iso;
    else return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: bad time format");
    for (i = 0; i < 14; i++) {
        char c = s.ptr[pos[i]];
        if (c < '0' || c > '9') return dynsess__fail(err, DYNSESS_E_ARG, pos[i], "sigv4: bad time format");
        dg[i] = c - '0';
    }
    y = dg[0] * 1000 + dg[1] * 100 + dg[2] * 10 + dg[3];
    m = dg[4] * 10 + dg[5]; d = dg[6] * 10 + dg[7];
    hh = dg[8] * 10 + dg[9]; mi = dg[10] * 10 + dg[11]; ss = dg[12] * 10 + dg[13];
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 60)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: time field out of range");
    /* days_from_civil (H. Hinnant) */
    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + doe - 719468;
    *t = days * 86400 + hh * 3600 + mi * 60 + ss;
    return DYNSESS_OK;
}

/* ---- small fast helpers for the signing hot path ------------------------------------ */
static const char dynsess__sigv4_hexpairs[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
/* Header-name byte -> lower-case byte, or 0 if the byte cannot be in a
   header name (controls, space, DEL, ':', non-ASCII). */
static const unsigned char dynsess__sigv4_ltab[256] = {
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,  33,  34,  35,  36,  37,  38,  39,  40,  41,  42,  43,  44,  45,  46,  47,
     48,  49,  50,  51,  52,  53,  54,  55,  56,  57,   0,  59,  60,  61,  62,  63,
     64,  97,  98,  99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
    112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122,  91,  92,  93,  94,  95,
     96,  97,  98,  99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
    112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
};
/* 32 bytes -> 64 lower-case hex digits + NUL */
static void dynsess__sigv4_hex32(const uint8_t *d, char *o) {
#if defined(DYNSESS__SIGV4_SSE2)
    /* 16 bytes -> 32 digits: split nibbles, n -> '0' + n + (n > 9) * 39, interleave */
    const __m128i m = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9), zero = _mm_set1_epi8('0'),
                  gap = _mm_set1_epi8(39);
    int i;
    for (i = 0; i < 32; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
        __m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), m), lo = _mm_and_si128(x, m);
        hi = _mm_add_epi8(_mm_add_epi8(hi, zero), _mm_and_si128(_mm_cmpgt_epi8(hi, nine), gap));
        lo = _mm_add_epi8(_mm_add_epi8(lo, zero), _mm_and_si128(_mm_cmpgt_epi8(lo, nine), gap));
        _mm_storeu_si128((__m128i *)(void *)(o + 2 * i), _mm_unpacklo_epi8(hi, lo));
        _mm_storeu_si128((__m128i *)(void *)(o + 2 * i + 16), _mm_unpackhi_epi8(hi, lo));
    }
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(DYNSESS__SIGV4_PORTABLE)
    /* SWAR, 4 bytes -> 8 digits: spread each byte into a 16-bit lane as
       (high nibble, low nibble), then nibble n -> '0' + n + (n > 9) * 39 */
    int i;
    for (i = 0; i < 32; i += 4) {
        uint32_t v;
        uint64_t x, n, gt9;
        memcpy(&v, d + i, 4);
        x = ((uint64_t)v | ((uint64_t)v << 16)) & 0x0000FFFF0000FFFFu;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFu;
        n = ((x >> 4) & 0x000F000F000F000Fu) | ((x & 0x000F000F000F000Fu) << 8);
        gt9 = ((n + 0x0606060606060606u) >> 4) & 0x0101010101010101u;
        n += 0x3030303030303030u + gt9 * 39;
        memcpy(o + 2 * i, &n, 8);
    }
#else
    uint8_t b[32];
    int i;
    memcpy(b, d, 32); /* a local copy: the char stores below cannot alias it */
    for (i = 0; i < 32; i++) memcpy(o + 2 * i, dynsess__sigv4_hexpairs + 2 * b[i], 2);
#endif
    o[64] = 0;
}
/* CT compare of n bytes, a word at a time. CT: time depends on n only. */
static int dynsess__sigv4_ct_eq(const void *a, const void *b, size_t n) {
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    uint64_t d = 0, u, v;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) { memcpy(&u, x + i, 8); memcpy(&v, y + i, 8); d |= u ^ v; }
    for (; i < n; i++) d |= (uint64_t)(x[i] ^ y[i]);
    return d == 0;
}
/* Lower-cases n bytes of a validated header name (ASCII 0x21..0x7e) into dst. */
static void dynsess__sigv4_lower_name(char *dst, const char *src, size_t n) {
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v, ge_a, gt_z;
        memcpy(&v, src + i, 8);
        ge_a = v + ones * (0x80 - 'A'); /* high bit set where byte >= 'A' */
        gt_z = v + ones * (0x80 - 'Z' - 1); /* high bit set where byte > 'Z' */
        v |= ((ge_a ^ gt_z) & highs) >> 2; /* 'A'..'Z' gain 0x20 */
        memcpy(dst + i, &v, 8);
    }
    for (; i < n; i++) dst[i] = (char)dynsess__sigv4_ltab[(unsigned char)src[i]];
}
/* SHA-256 of non-secret text (no wipe of the context). */
static void dynsess__sigv4_sha256(const void *p, size_t n, uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx c;
    dynsess_sha256_init(&c);
    dynsess_sha256_update(&c, p, n);
    dynsess_sha256_final(&c, out);
}

/* ---- canonical request writer ---------------------------------------------------- */
typedef struct dynsess__sigv4_w {
    char *p;
    size_t n, cap;
    int over;
} dynsess__sigv4_w;

static void dynsess__sigv4_put(dynsess__sigv4_w *w, const void *s, size_t n) {
    if (n > w->cap - w->n) { w->over = 1; return; }
    memcpy(w->p + w->n, s, n);
    w->n += n;
}
static void dynsess__sigv4_putc(dynsess__sigv4_w *w, char c) {
    if (w->n >= w->cap) { w->over = 1; return; }
    w->p[w->n++] = c;
}

/* RFC 3986 unreserved: A-Z a-z 0-9 - . _ ~ (AWS SigV4 URI encoding) */
static int dynsess__sigv4_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* mode 0: encode every byte but unreserved (and '/' if keep_slash);
   mode 1: as 0 but keep valid %XX (hex upper-cased): single encoding;
   mode 2: decode valid %XX first, then encode (query components). */
static void dynsess__sigv4_encode(dynsess__sigv4_w *w, const char *s, size_t n, int mode,
                                  int keep_slash) {
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && mode && i + 2 < n &&
            dynsess__hex_value((unsigned char)s[i + 1]) >= 0 &&
            dynsess__hex_value((unsigned char)s[i + 2]) >= 0) {
            int v = dynsess__hex_value((unsigned char)s[i + 1]) * 16 + dynsess__hex_value((unsigned char)s[i + 2]);
            i += 2;
            if (mode == 1) {
                char e[3];
                e[0] = '%'; e[1] = hex[v >> 4]; e[2] = hex[v & 15];
                dynsess__sigv4_put(w, e, 3);
                continue;
            }
            c = (unsigned char)v;
        }
        if (dynsess__sigv4_unreserved(c) || (keep_slash && c == '/')) {
            dynsess__sigv4_putc(w, (char)c);
        } else {
            char e[3];
            e[0] = '%'; e[1] = hex[c >> 4]; e[2] = hex[c & 15];
            dynsess__sigv4_put(w, e, 3);
        }
    }
}

/* Canonical URI (AWS SigV4): botocore's remove_dot_segments (RFC 3986
   §5.2.4 plus removal of empty segments) unless NO_NORMALIZE, then each
   segment URI-encoded (twice in effect, unless SINGLE_ENCODE). */
static void dynsess__sigv4_canonical_uri(dynsess__sigv4_w *w, dynsess_str path, unsigned flags) {
    int mode = (flags & DYNSESS_SIGV4_SINGLE_ENCODE) ? 1 : 0;
    size_t start = w->n, i = 0, n = path.len;
    const char *p = path.ptr;
    if (!n) { dynsess__sigv4_putc(w, '/'); return; }
    if (flags & DYNSESS_SIGV4_NO_NORMALIZE) {
        if (p[0] != '/') dynsess__sigv4_putc(w, '/');
        dynsess__sigv4_encode(w, p, n, mode, 1);
        return;
    }
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] != '/') j++;
        if (j == i || (j - i == 1 && p[i] == '.')) {
            /* empty or "." segment: dropped */
        } else if (j - i == 2 && p[i] == '.' && p[i + 1] == '.') {
            while (w->n > start && w->p[w->n - 1] != '/') w->n--; /* pop the last segment */
            if (w->n > start) w->n--;                             /* and its '/'          */
        } else {
            dynsess__sigv4_putc(w, '/');
            dynsess__sigv4_encode(w, p + i, j - i, mode, 0);
        }
        i = j + 1;
    }
    if (w->n == start) dynsess__sigv4_putc(w, '/');
    else if (p[n - 1] == '/') dynsess__sigv4_putc(w, '/');
}

/* Header value per SigV4: trimmed, runs of whitespace (SP HT CR LF) as one SP. */
static int dynsess__sigv4_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static void dynsess__sigv4_put_value(dynsess__sigv4_w *w, const char *s, size_t n) {
    size_t i;
    while (n && dynsess__sigv4_ws((unsigned char)s[0])) { s++; n--; }
    while (n && dynsess__sigv4_ws((unsigned char)s[n - 1])) n--;
    /* fast path: no byte <= ' ' at all (tokens, dates, hashes) -> one memcpy.
       SWAR: a byte b < 0x21 (and < 0x80) sets its high bit in (v - 0x21..) & ~v;
       four independent accumulators, no early exit (the common case is clean). */
    {
        const uint64_t lo = 0x2121212121212121u, highs = 0x8080808080808080u;
        uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, v0, v1, v2, v3;
        size_t k = 0;
#ifdef DYNSESS__SIGV4_SSE2
        {   /* 32 bytes per step: byte <= 0x20 iff min(byte, 0x20) == byte */
            const __m128i sp = _mm_set1_epi8(0x20);
            __m128i acc = _mm_setzero_si128();
            for (; k + 32 <= n; k += 32) {
                __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + k));
                __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(s + k + 16));
                acc = _mm_or_si128(acc, _mm_cmpeq_epi8(_mm_min_epu8(x, sp), x));
                acc = _mm_or_si128(acc, _mm_cmpeq_epi8(_mm_min_epu8(y, sp), y));
            }
            if (_mm_movemask_epi8(acc)) a0 = highs;
        }
#endif
        for (; k + 32 <= n; k += 32) {
            memcpy(&v0, s + k, 8); memcpy(&v1, s + k + 8, 8);
            memcpy(&v2, s + k + 16, 8); memcpy(&v3, s + k + 24, 8);
            a0 |= (v0 - lo) & ~v0; a1 |= (v1 - lo) & ~v1;
            a2 |= (v2 - lo) & ~v2; a3 |= (v3 - lo) & ~v3;
        }
        for (; k + 8 <= n; k += 8) { memcpy(&v0, s + k, 8); a0 |= (v0 - lo) & ~v0; }
        a0 = (a0 | a1 | a2 | a3) & highs;
        for (; !a0 && k < n; k++)
            if ((unsigned char)s[k] <= ' ') a0 = 1;
        if (!a0) { dynsess__sigv4_put(w, s, n); return; }
    }
    for (i = 0; i < n; i++) {
        if (dynsess__sigv4_ws((unsigned char)s[i])) {
            while (i + 1 < n && dynsess__sigv4_ws((unsigned char)s[i + 1])) i++;
            dynsess__sigv4_putc(w, ' ');
        } else {
            dynsess__sigv4_putc(w, s[i]);
        }
    }
}

/* Case-insensitive compare of (valid) header names, as lower-case bytes. */
static int dynsess__sigv4_name_cmp(dynsess_str a, dynsess_str b) {
    size_t i, n = a.len < b.len ? a.len : b.len;
    for (i = 0; i < n; i++) {
        int x = dynsess__sigv4_ltab[(unsigned char)a.ptr[i]], y = dynsess__sigv4_ltab[(unsigned char)b.ptr[i]];
        if (x != y) return x - y;
    }
    return a.len < b.len ? -1 : a.len > b.len;
}
static int dynsess__sigv4_name_is(dynsess_str a, const char *lower) {
    size_t i, n = strlen(lower);
    if (a.len != n) return 0;
    for (i = 0; i < n; i++)
        if (dynsess__sigv4_ltab[(unsigned char)a.ptr[i]] != (unsigned char)lower[i]) return 0;
    return 1;
}

typedef struct dynsess__sigv4_param { size_t k, kn, v, vn; } dynsess__sigv4_param;

static int dynsess__sigv4_param_cmp(const char *base, const dynsess__sigv4_param *a,
                                    const dynsess__sigv4_param *b) {
    size_t n = a->kn < b->kn ? a->kn : b->kn;
    int c = memcmp(base + a->k, base + b->k, n);
    if (c) return c;
    if (a->kn != b->kn) return a->kn < b->kn ? -1 : 1;
    n = a->vn < b->vn ? a->vn : b->vn;
    c = memcmp(base + a->v, base + b->v, n);
    if (c) return c;
    return a->vn < b->vn ? -1 : a->vn > b->vn;
}

#define DYNSESS__SIGV4_EXTRA_PARAMS 8
#define DYNSESS__SIGV4_EXTRA_HEADERS 3

/* The core: builds the canonical request into s->scratch, the string to
   sign into s->sts, and the signature into out. presign != 0: query mode. */
static dynsess_status dynsess__sigv4_run(dynsess_sigv4_signer *s, const dynsess_aws_credentials *creds,
                                         const dynsess_sigv4_request *req, int presign,
                                         dynsess_sigv4_result *out, size_t *query_off,
                                         size_t *query_len, dynsess_error *err) {
    dynsess_http_header hdr[DYNSESS_SIGV4_MAX_HEADERS + DYNSESS__SIGV4_EXTRA_HEADERS];
    unsigned char order[DYNSESS_SIGV4_MAX_HEADERS + DYNSESS__SIGV4_EXTRA_HEADERS];
    dynsess__sigv4_param prm[DYNSESS_SIGV4_MAX_PARAMS + DYNSESS__SIGV4_EXTRA_PARAMS];
    dynsess__sigv4_w w;
    size_t nh = 0, np = 0, i, j, sh_off, sh_len, scope_len, region_len, service_len;
    uint8_t digest[DYNSESS_SHA256_SIZE];
    dynsess_hmac_sha256_ctx mac;
    dynsess_str token = creds ? creds->session_token : dynsess_cstr(0);
    int sign_token, has_host = 0, c0;
    unsigned char dup[DYNSESS_SIGV4_MAX_HEADERS + DYNSESS__SIGV4_EXTRA_HEADERS];
    size_t nameoff[DYNSESS_SIGV4_MAX_HEADERS + DYNSESS__SIGV4_EXTRA_HEADERS];
    uint64_t key[DYNSESS_SIGV4_MAX_HEADERS + DYNSESS__SIGV4_EXTRA_HEADERS];
    const char *method = req ? req->method : 0;

    if (!s || !req || !out)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: null argument");
    if (!creds || !creds->access_key_id.len || !creds->access_key_id.ptr ||
        !creds->secret_access_key.len || !creds->secret_access_key.ptr)
        return dynsess__fail(err, DYNSESS_E_CREDENTIALS, DYNSESS_NO_OFFSET,
                             "sigv4: empty access key id or secret access key");
    if (creds->secret_access_key.len > DYNSESS_AWS_SECRET_MAX || creds->access_key_id.len > DYNSESS_AWS_KEY_ID_MAX)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "sigv4: credentials too long");
    if (!method || !*method || strlen(method) > 32)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: missing or bad method");
    /* names equal to the cached key's were validated when it was derived */
    if (!(s->key_valid && req->region && !strcmp(req->region, s->key_region)) &&
        !dynsess__sigv4_name_ok(req->region, DYNSESS_AWS_REGION_MAX))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: missing or invalid region");
    if (!(s->key_valid && req->service && !strcmp(req->service, s->key_service)) &&
        !dynsess__sigv4_name_ok(req->service, 63))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: missing or invalid service");
    if (req->header_count > DYNSESS_SIGV4_MAX_HEADERS || (req->header_count && !req->headers))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: more than %d headers",
                             DYNSESS_SIGV4_MAX_HEADERS);
    if (presign && (req->expires_s < 1 || req->expires_s > 604800))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: expires_s must be in 1..604800");
    if (s->date_valid && s->date_time == req->time) {
        memcpy(out->amz_date, s->date_text, 17);
    } else {
        if (dynsess_sigv4_amz_date(req->time, out->amz_date, err)) return DYNSESS_E_ARG;
        memcpy(s->date_text, out->amz_date, 17);
        s->date_time = req->time;
        s->date_valid = 1;
    }
    if (!token.ptr) token.len = 0;
    if (token.len > DYNSESS_SIGV4_SCRATCH || (req->query.ptr && req->query.len > DYNSESS_SIGV4_SCRATCH) ||
        req->path.len > DYNSESS_SIGV4_SCRATCH)
        goto too_long; /* also keeps the size arithmetic below far from overflow */
    sign_token = token.len && !(req->flags & DYNSESS_SIGV4_OMIT_TOKEN);
    region_len = strlen(req->region);
    service_len = strlen(req->service);

    /* payload hash */
    if (req->payload_hash) {
        size_t n = strlen(req->payload_hash);
        if (n == 64) {
            for (i = 0; i < 64; i++)
                if (dynsess__hex_value((unsigned char)req->payload_hash[i]) < 0) break;
            if (i < 64) n = 0;
        }
        if (!(n == 64 || !strcmp(req->payload_hash, DYNSESS_SIGV4_UNSIGNED_PAYLOAD)))
            return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                 "sigv4: payload_hash must be 64 hex digits or UNSIGNED-PAYLOAD");
        memcpy(out->payload_hash, req->payload_hash, n + 1);
        for (i = 0; n == 64 && i < n; i++) out->payload_hash[i] = (char)dynsess__sigv4_lower((unsigned char)out->payload_hash[i]);
    } else {
        dynsess_sha256_ctx pc;
        dynsess_sha256_init(&pc);
        dynsess_sha256_update(&pc, req->payload.len ? req->payload.ptr : "", req->payload.len);
        dynsess_sha256_final(&pc, digest);
        dynsess_wipe(&pc, sizeof pc); /* its buffer held body bytes */
        dynsess__sigv4_hex32(digest, out->payload_hash);
    }

    /* scope: date/region/service/aws4_request */
    scope_len = 8 + 1 + region_len + 1 + service_len + 13;
    if (scope_len + 1 > DYNSESS_SIGV4_SCOPE_MAX)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "sigv4: scope too long");
    {
        char *o = out->scope;
        memcpy(o, out->amz_date, 8); o += 8; *o++ = '/';
        memcpy(o, req->region, region_len); o += region_len; *o++ = '/';
        memcpy(o, req->service, service_len); o += service_len;
        memcpy(o, "/aws4_request", 14);
    }

    /* headers: the caller's plus the ones the signer adds */
    for (i = 0; i < req->header_count; i++) {
        dynsess_str nm = req->headers[i].name;
        if (!nm.ptr || !nm.len)
            return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: header %lu has no name",
                                 (unsigned long)i);
        /* validate, and pack the first 8 lower-cased bytes as a sort key */
        key[nh] = 0;
        for (j = 0; j < nm.len; j++) {
            unsigned char lc = dynsess__sigv4_ltab[(unsigned char)nm.ptr[j]];
            if (!lc)
                return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                     "sigv4: header %lu has an invalid name", (unsigned long)i);
            if (j < 8) key[nh] |= (uint64_t)lc << (56 - 8 * j);
        }
        c0 = dynsess__sigv4_ltab[(unsigned char)nm.ptr[0]];
        if ((c0 == 'a' && dynsess__sigv4_name_is(nm, "authorization")) ||
            (c0 == 'x' && nm.len >= 10 &&
             ((!presign && dynsess__sigv4_name_is(nm, "x-amz-date")) ||
              (sign_token && !presign && dynsess__sigv4_name_is(nm, "x-amz-security-token")) ||
              (!presign && (req->flags & DYNSESS_SIGV4_SIGN_BODY) &&
               dynsess__sigv4_name_is(nm, "x-amz-content-sha256")))))
            return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                 "sigv4: header %lu is one the signer adds itself", (unsigned long)i);
        if (c0 == 'h' && dynsess__sigv4_name_is(nm, "host")) has_host = 1;
        hdr[nh] = req->headers[i];
        if (!hdr[nh].value.ptr) hdr[nh].value.len = 0;
        nh++;
    }
    if (!has_host)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: the request has no host header");
    if (!presign) {
        /* "x-amz-da", "x-amz-se", "x-amz-co" as big-endian keys */
        key[nh] = 0x782d616d7a2d6461u;
        key[nh + 1] = 0x782d616d7a2d7365u;
        key[nh + 2] = 0x782d616d7a2d636fu;
        if (!sign_token) key[nh + 1] = key[nh + 2];
        hdr[nh].name.ptr = "x-amz-date"; hdr[nh].name.len = 10;
        hdr[nh].value.ptr = out->amz_date; hdr[nh].value.len = 16;
        nh++;
        if (sign_token) {
            hdr[nh].name.ptr = "x-amz-security-token"; hdr[nh].name.len = 20;
            hdr[nh].value = token;
            nh++;
        }
        if (req->flags & DYNSESS_SIGV4_SIGN_BODY) {
            hdr[nh].name.ptr = "x-amz-content-sha256"; hdr[nh].name.len = 20;
            hdr[nh].value.ptr = out->payload_hash; hdr[nh].value.len = strlen(out->payload_hash);
            nh++;
        }
    }
    /* stable insertion sort by lower-cased name: repeated headers keep their order */
    for (i = 0; i < nh; i++) {
        unsigned char x = (unsigned char)i;
        j = i;
        while (j > 0 && (key[order[j - 1]] > key[x] ||
                         (key[order[j - 1]] == key[x] &&
                          dynsess__sigv4_name_cmp(hdr[order[j - 1]].name, hdr[x].name) > 0))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    /* dup[i]: header order[i] has the same name as order[i - 1] */
    for (i = 0; i < nh; i++)
        dup[i] = (unsigned char)(i && key[order[i - 1]] == key[order[i]] &&
                                 hdr[order[i - 1]].name.len == hdr[order[i]].name.len &&
                                 dynsess__sigv4_name_cmp(hdr[order[i - 1]].name, hdr[order[i]].name) == 0);

    w.p = s->scratch;
    w.n = 0;
    w.cap = sizeof s->scratch;
    w.over = 0;
    /* 1. method, 2. canonical URI */
    dynsess__sigv4_put(&w, method, strlen(method));
    dynsess__sigv4_putc(&w, '\n');
    dynsess__sigv4_canonical_uri(&w, req->path.ptr ? req->path : dynsess_cstr(0), req->flags);
    dynsess__sigv4_putc(&w, '\n');
    if (w.over) goto too_long;

    /* 3. canonical query: encode every parameter at the END of the scratch,
       sort the index, then write them in order at the front. */
    {
        dynsess__sigv4_w t;
        const char *q = req->query.ptr;
        size_t qn = q ? req->query.len : 0, need = 0, base;
        char tmp[DYNSESS_SIGV4_SCOPE_MAX + DYNSESS_AWS_KEY_ID_MAX + 8];
        /* pass 1: size of the encoded parameters (<= 3x the raw bytes) */
        need = qn * 3;
        if (presign) {
            need += 3 * (DYNSESS_AWS_KEY_ID_MAX + DYNSESS_SIGV4_SCOPE_MAX) + 256 + 3 * token.len;
            need += 3 * 24 * nh; /* signed headers list, generous */
            for (i = 0; i < nh; i++) need += 3 * hdr[i].name.len;
        }
        if (need > w.cap - w.n) goto too_long;
        base = w.cap - need;
        t.p = s->scratch + base;
        t.n = 0;
        t.cap = need;
        t.over = 0;
        i = 0;
        while (i < qn) {
            size_t e = i, eq;
            while (e < qn && q[e] != '&') e++;
            if (e > i) {
                if (np >= DYNSESS_SIGV4_MAX_PARAMS)
                    return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                         "sigv4: more than %d query parameters", DYNSESS_SIGV4_MAX_PARAMS);
                eq = i;
                while (eq < e && q[eq] != '=') eq++;
                prm[np].k = base + t.n;
                dynsess__sigv4_encode(&t, q + i, eq - i, 2, 0);
                prm[np].kn = base + t.n - prm[np].k;
                prm[np].v = base + t.n;
                if (eq < e) dynsess__sigv4_encode(&t, q + eq + 1, e - eq - 1, 2, 0);
                prm[np].vn = base + t.n - prm[np].v;
                np++;
            }
            i = e + 1;
        }
        if (presign) {
            static const char *const names[6] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                                 "X-Amz-Expires", "X-Amz-SignedHeaders",
                                                 "X-Amz-Security-Token"};
            for (i = 0; i < 6; i++) {
                size_t k;
                if (i == 5 && !sign_token) break;
                prm[np].k = base + t.n;
                dynsess__sigv4_put(&t, names[i], strlen(names[i]));
                prm[np].kn = base + t.n - prm[np].k;
                prm[np].v = base + t.n;
                switch (i) {
                case 0: dynsess__sigv4_put(&t, "AWS4-HMAC-SHA256", 16); break;
                case 1:
                    memcpy(tmp, creds->access_key_id.ptr, creds->access_key_id.len);
                    tmp[creds->access_key_id.len] = '/';
                    memcpy(tmp + creds->access_key_id.len + 1, out->scope, scope_len);
                    dynsess__sigv4_encode(&t, tmp, creds->access_key_id.len + 1 + scope_len, 0, 0);
                    break;
                case 2: dynsess__sigv4_put(&t, out->amz_date, 16); break;
                case 3: {
                    char num[24];
                    int len = sprintf(num, "%ld", (long)req->expires_s);
                    dynsess__sigv4_put(&t, num, (size_t)len);
                    break;
                }
                case 4:
                    for (k = 0; k < nh; k++) {
                        dynsess_str nm = hdr[order[k]].name;
                        size_t c;
                        if (dup[k]) continue;
                        if (k) dynsess__sigv4_put(&t, "%3B", 3);
                        for (c = 0; c < nm.len; c++)
                            dynsess__sigv4_putc(&t, (char)dynsess__sigv4_ltab[(unsigned char)nm.ptr[c]]);
                    }
                    break;
                default: dynsess__sigv4_encode(&t, token.ptr, token.len, 0, 0); break;
                }
                prm[np].vn = base + t.n - prm[np].v;
                np++;
            }
        }
        /* the sorted copy (t.n bytes plus '=' and '&' per parameter) must
           end before the encoded region starts */
        if (t.over || w.n + t.n + 2 * np > base) goto too_long;
        /* insertion sort of the index by (encoded key, encoded value) */
        for (i = 1; i < np; i++) {
            dynsess__sigv4_param x = prm[i];
            j = i;
            while (j > 0 && dynsess__sigv4_param_cmp(s->scratch, &prm[j - 1], &x) > 0) {
                prm[j] = prm[j - 1];
                j--;
            }
            prm[j] = x;
        }
        *query_off = w.n;
        for (i = 0; i < np; i++) {
            if (i) dynsess__sigv4_putc(&w, '&');
            /* source is beyond w.n + need >= write end: no overlap */
            dynsess__sigv4_put(&w, s->scratch + prm[i].k, prm[i].kn);
            dynsess__sigv4_putc(&w, '=');
            dynsess__sigv4_put(&w, s->scratch + prm[i].v, prm[i].vn);
        }
        *query_len = w.n - *query_off;
        dynsess__sigv4_putc(&w, '\n');
    }

    /* 4. canonical headers, 5. signed headers */
    for (i = 0; i < nh; i++) {
        const dynsess_http_header *h = &hdr[order[i]];
        if (dup[i]) {
            w.n--; /* drop the '\n': join repeated headers with ',' */
            dynsess__sigv4_putc(&w, ',');
        } else {
            if (h->name.len > w.cap - w.n) { w.over = 1; break; }
            {   /* locals: a char store may alias w, so don't index through it */
                size_t len = h->name.len;
                dynsess__sigv4_lower_name(w.p + w.n, h->name.ptr, len);
                nameoff[i] = w.n;
                w.n += len;
            }
            dynsess__sigv4_putc(&w, ':');
        }
        dynsess__sigv4_put_value(&w, h->value.ptr, h->value.len);
        dynsess__sigv4_putc(&w, '\n');
    }
    dynsess__sigv4_putc(&w, '\n');
    sh_off = w.n;
    for (i = 0; i < nh; i++) {
        const dynsess_http_header *h = &hdr[order[i]];
        if (dup[i]) continue;
        if (i) dynsess__sigv4_putc(&w, ';');
        if (w.over || h->name.len > w.cap - w.n) { w.over = 1; break; }
        memcpy(w.p + w.n, w.p + nameoff[i], h->name.len); /* lower-cased above */
        w.n += h->name.len;
    }
    sh_len = w.n - sh_off;
    dynsess__sigv4_putc(&w, '\n');
    /* 6. payload hash */
    dynsess__sigv4_put(&w, out->payload_hash, strlen(out->payload_hash));
    if (w.over) goto too_long;
    s->scratch_len = w.n;

    /* string to sign */
    dynsess__sigv4_sha256(s->scratch, w.n, digest);
    {
        char *o = s->sts;
        memcpy(o, "AWS4-HMAC-SHA256\n", 17); o += 17;
        memcpy(o, out->amz_date, 16); o += 16; *o++ = '\n';
        memcpy(o, out->scope, scope_len); o += scope_len; *o++ = '\n';
        dynsess__sigv4_hex32(digest, o); o += 64;
        s->sts_len = (size_t)(o - s->sts);
    }

    /* signing key: cached per (secret, date, region, service) */
    if (!(s->key_valid && !memcmp(s->key_date, out->amz_date, 8) &&
          !strcmp(s->key_region, req->region) && !strcmp(s->key_service, req->service) &&
          s->key_secret_len == creds->secret_access_key.len &&
          dynsess__sigv4_ct_eq(s->key_secret, creds->secret_access_key.ptr, s->key_secret_len))) {
        uint8_t k[DYNSESS_SHA256_SIZE], kin[4 + DYNSESS_AWS_SECRET_MAX];
        memcpy(kin, "AWS4", 4);
        memcpy(kin + 4, creds->secret_access_key.ptr, creds->secret_access_key.len);
        dynsess_hmac_sha256(kin, 4 + creds->secret_access_key.len, out->amz_date, 8, k);
        dynsess_hmac_sha256(k, sizeof k, req->region, region_len, k);
        dynsess_hmac_sha256(k, sizeof k, req->service, service_len, k);
        dynsess_hmac_sha256(k, sizeof k, "aws4_request", 12, k);
        dynsess_hmac_sha256_init(&s->key_ctx, k, sizeof k);
        dynsess_wipe(k, sizeof k);
        dynsess_wipe(kin, sizeof kin);
        memcpy(s->key_date, out->amz_date, 8);
        memcpy(s->key_region, req->region, region_len + 1);
        memcpy(s->key_service, req->service, service_len + 1);
        dynsess_wipe(s->key_secret, sizeof s->key_secret);
        memcpy(s->key_secret, creds->secret_access_key.ptr, creds->secret_access_key.len);
        s->key_secret_len = creds->secret_access_key.len;
        s->key_valid = 1;
        s->key_derivations++;
    }
    /* HMAC(kSigning, sts) from the cached keyed state (RFC 2104): inner and
       outer states already absorbed the padded key blocks */
    /* (through the public API only: the context layout differs per backend) */
    memcpy(&mac, &s->key_ctx, sizeof mac);
    dynsess_hmac_sha256_update(&mac, s->sts, s->sts_len);
    dynsess_hmac_sha256_final(&mac, digest);
    dynsess_wipe(&mac, sizeof mac);
    dynsess__sigv4_hex32(digest, out->signature);

    out->session_token = token;
    out->canonical_request.ptr = s->scratch;
    out->canonical_request.len = s->scratch_len;
    out->string_to_sign.ptr = s->sts;
    out->string_to_sign.len = s->sts_len;
    out->authorization[0] = 0;
    out->authorization_len = 0;
    if (!presign) {
        size_t need = 28 + creds->access_key_id.len + 1 + scope_len + 16 + sh_len + 12 + 64;
        char *o = out->authorization;
        if (need + 1 > sizeof out->authorization)
            return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                                 "sigv4: authorization header over %d bytes", DYNSESS_SIGV4_AUTH_MAX);
        memcpy(o, "AWS4-HMAC-SHA256 Credential=", 28); o += 28;
        memcpy(o, creds->access_key_id.ptr, creds->access_key_id.len); o += creds->access_key_id.len;
        *o++ = '/';
        memcpy(o, out->scope, scope_len); o += scope_len;
        memcpy(o, ", SignedHeaders=", 16); o += 16;
        memcpy(o, s->scratch + sh_off, sh_len); o += sh_len;
        memcpy(o, ", Signature=", 12); o += 12;
        memcpy(o, out->signature, 64); o += 64;
        *o = 0;
        out->authorization_len = (size_t)(o - out->authorization);
    }
    s->signatures++;
    return DYNSESS_OK;
too_long:
    return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                         "sigv4: canonical request exceeds DYNSESS_SIGV4_SCRATCH (%d bytes)",
                         (int)DYNSESS_SIGV4_SCRATCH);
}

DYNSESS_DEF void dynsess_sigv4_signer_init(dynsess_sigv4_signer *s) {
    if (s) memset(s, 0, sizeof *s);
}

DYNSESS_DEF void dynsess_sigv4_signer_wipe(dynsess_sigv4_signer *s) {
    if (s) dynsess_wipe(s, sizeof *s);
}

DYNSESS_DEF dynsess_status dynsess_sigv4_sign(dynsess_sigv4_signer *s,
                                              const dynsess_aws_credentials *creds,
                                              const dynsess_sigv4_request *req,
                                              dynsess_sigv4_result *out, dynsess_error *err) {
    size_t qo, ql;
    return dynsess__sigv4_run(s, creds, req, 0, out, &qo, &ql, err);
}

DYNSESS_DEF dynsess_status dynsess_sigv4_presign(dynsess_sigv4_signer *s,
                                                 const dynsess_aws_credentials *creds,
                                                 const dynsess_sigv4_request *req,
                                                 char *query_out, size_t cap, size_t *query_len,
                                                 dynsess_sigv4_result *out, dynsess_error *err) {
    size_t qo = 0, ql = 0, need, o;
    int token_after;
    dynsess_status rc;
    if (!query_out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: query_out is null");
    rc = dynsess__sigv4_run(s, creds, req, 1, out, &qo, &ql, err);
    if (rc) return rc;
    token_after = out->session_token.len && (req->flags & DYNSESS_SIGV4_OMIT_TOKEN);
    need = ql + (ql ? 1 : 0) + 16 + 64 + 1;
    if (token_after) need += 22 + 3 * out->session_token.len;
    if (need > cap)
        return dynsess__fail(err, DYNSESS_E_BUFFER, DYNSESS_NO_OFFSET,
                             "sigv4: presigned query needs %lu bytes, buffer has %lu",
                             (unsigned long)need, (unsigned long)cap);
    memcpy(query_out, s->scratch + qo, ql);
    o = ql;
    if (token_after) {
        dynsess__sigv4_w w;
        memcpy(query_out + o, "&X-Amz-Security-Token=", 22);
        o += 22;
        w.p = query_out + o;
        w.n = 0;
        w.cap = cap - o;
        w.over = 0;
        dynsess__sigv4_encode(&w, out->session_token.ptr, out->session_token.len, 0, 0);
        o += w.n;
    }
    memcpy(query_out + o, "&X-Amz-Signature=", 17);
    o += 17;
    memcpy(query_out + o, out->signature, 64);
    o += 64;
    query_out[o] = 0;
    if (query_len) *query_len = o;
    return DYNSESS_OK;
}
#undef DYNSESS__SIGV4_EXTRA_PARAMS
#undef DYNSESS__SIGV4_EXTRA_HEADERS

/* ======================================================================
   @transport  implementation: response helpers, the plain HTTP/1.1
               socket transport, the libcurl transport
   Assumes (plain transport): POSIX sockets, poll(2), gettimeofday(2);
   getaddrinfo(3) only when POSIX 2001 is visible (see the declaration
   banner), else IP literals and "localhost".
   ====================================================================== */
#ifndef DYNSESS_NO_PLAIN_TRANSPORT
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#if (defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200112L) || defined(__USE_XOPEN2K) || \
    defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#define DYNSESS__HAVE_GETADDRINFO 1
#endif
#endif
#ifdef DYNSESS_WITH_CURL
#include <curl/curl.h>
#endif

/* ---- response helpers ------------------------------------------------------------ */
DYNSESS_DEF void dynsess_http_response_init(dynsess_http_response *r, const dynsess_allocator *alloc) {
    r->status = 0;
    dynsess_buf_init(&r->headers, alloc);
    dynsess_buf_init(&r->body, alloc);
    dynsess_error_clear(&r->error);
}

DYNSESS_DEF void dynsess_http_response_reset(dynsess_http_response *r) {
    r->status = 0;
    dynsess_buf_reset(&r->headers);
    dynsess_buf_reset(&r->body);
    dynsess_error_clear(&r->error);
}

DYNSESS_DEF void dynsess_http_response_free(dynsess_http_response *r) {
    if (!r) return;
    dynsess_buf_free(&r->headers);
    dynsess_buf_free(&r->body);
    r->status = 0;
}

static int dynsess__http_ieq(const char *a, size_t n, const char *b) {
    size_t i;
    for (i = 0; i < n; i++) {
        int x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (!y) return 0;
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return 0;
    }
    return b[n] == 0;
}

/* Finds header name in a raw "Name: value\r\n" block. */
static int dynsess__http_find_header(const char *p, size_t n, const char *name, dynsess_str *value) {
    size_t i = 0;
    while (i < n) {
        size_t e = i, c;
        while (e < n && p[e] != '\n') e++;
        c = i;
        while (c < e && p[c] != ':') c++;
        if (c < e && dynsess__http_ieq(p + i, c - i, name)) {
            size_t a = c + 1, b = e;
            while (a < b && (p[a] == ' ' || p[a] == '\t')) a++;
            while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r')) b--;
            if (value) { value->ptr = p + a; value->len = b - a; }
            return 1;
        }
        i = e + 1;
    }
    return 0;
}

DYNSESS_DEF int dynsess_http_response_header(const dynsess_http_response *r, const char *name,
                                             dynsess_str *value) {
    if (!r || !name || !r->headers.ptr) return 0;
    return dynsess__http_find_header(r->headers.ptr, r->headers.len, name, value);
}

DYNSESS_DEF dynsess_status dynsess_http_send(const dynsess_transport *t,
                                             const dynsess_http_request *req,
                                             dynsess_http_response *resp, dynsess_error *err) {
    int rc;
    if (!t || !t->fn || !req || !resp)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: no transport function");
    dynsess_http_response_reset(resp);
    rc = t->fn(t->user, req, resp);
    if (rc < 0 || rc >= (int)DYNSESS__STATUS_COUNT) {
        rc = DYNSESS_E_INTERNAL;
        dynsess__fail(&resp->error, DYNSESS_E_INTERNAL, DYNSESS_NO_OFFSET,
                      "transport: the transport returned an unknown status");
    }
    if (rc) {
        if (!resp->error.msg[0])
            dynsess__fail(&resp->error, (dynsess_status)rc, DYNSESS_NO_OFFSET, "transport: %s",
                          dynsess_strerror((dynsess_status)rc));
        resp->error.code = (dynsess_status)rc;
        if (err) *err = resp->error;
    }
    return (dynsess_status)rc;
}

DYNSESS_DEF void dynsess_transport_free(dynsess_transport *t) {
    if (!t) return;
    if (t->close) t->close(t->user);
    t->fn = 0;
    t->user = 0;
    t->close = 0;
}

/* The start of both bundled transports' constructors: clears *out, resolves
   the defaults of in into *d and checks them. */
static DYNSESS__UNUSED dynsess_status dynsess__transport_begin(const dynsess_transport_desc *in,
                                                              dynsess_transport_desc *d,
                                                              dynsess_transport *out,
                                                              dynsess_error *err) {
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: out is null");
    out->fn = 0; out->user = 0; out->close = 0;
    if (in) *d = *in;
    else memset(d, 0, sizeof *d);
    DYNSESS__DEF(d->connect_timeout_ms, 3000);
    DYNSESS__DEF(d->timeout_ms, 10000);
    DYNSESS__DEF(d->max_response, (size_t)16 << 20);
    if (!dynsess__allocator_valid(&d->allocator))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "transport: allocator needs both alloc and free (desc.allocator)");
    if (d->connect_timeout_ms < 0 || d->timeout_ms < 0)
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET, "transport: negative timeout (desc.timeout_ms)");
    return DYNSESS_OK;
}

/* Validates the parts of a request both transports put on the wire: a
   request at all, scheme http or https (*https says which), no CR/LF (header
   injection), no spaces in method/path/query. */
static DYNSESS__UNUSED dynsess_status dynsess__http_check_request(const dynsess_http_request *req, int *https,
                                                                  dynsess_error *err) {
    size_t i, j;
    const char *parts[3], *scheme;
    *https = 0;
    if (!req) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: request is null");
    scheme = req->scheme ? req->scheme : "http";
    *https = dynsess__http_ieq(scheme, strlen(scheme), "https");
    if (!*https && !dynsess__http_ieq(scheme, strlen(scheme), "http"))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: unknown scheme");
    if (!req->method || !*req->method || !req->host || !*req->host)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: request needs a method and a host");
    if (req->header_count && !req->headers)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: headers is null");
    if (req->port < 0 || req->port > 65535)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: port out of range");
    parts[0] = req->method; parts[1] = req->path ? req->path : "/"; parts[2] = req->query ? req->query : "";
    for (j = 0; j < 3; j++)
        for (i = 0; parts[j][i]; i++)
            if ((unsigned char)parts[j][i] <= ' ' || parts[j][i] == 127)
                return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                     "transport: control character or space in the request line");
    for (i = 0; req->host[i]; i++)
        if ((unsigned char)req->host[i] <= ' ' || req->host[i] == '/' || req->host[i] == '@')
            return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: invalid host");
    for (i = 0; i < req->header_count; i++) {
        const dynsess_http_header *h = &req->headers[i];
        if (!h->name.len || !h->name.ptr)
            return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: header %lu has no name",
                                 (unsigned long)i);
        for (j = 0; j < h->name.len; j++)
            if ((unsigned char)h->name.ptr[j] <= ' ' || h->name.ptr[j] == ':' || h->name.ptr[j] == 127)
                return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                     "transport: header %lu has an invalid name", (unsigned long)i);
        for (j = 0; j < h->value.len; j++)
            if (h->value.ptr[j] == '\r' || h->value.ptr[j] == '\n' || h->value.ptr[j] == 0)
                return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                     "transport: header %lu has CR, LF or NUL in its value", (unsigned long)i);
    }
    if (req->body.len && !req->body.ptr)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: body is null");
    return DYNSESS_OK;
}

static DYNSESS__UNUSED int dynsess__http_has_header(const dynsess_http_request *req, const char *name) {
    size_t i;
    for (i = 0; i < req->header_count; i++)
        if (dynsess__http_ieq(req->headers[i].name.ptr, req->headers[i].name.len, name)) return 1;
    return 0;
}

/* ======================================================================
   plain HTTP/1.1 over POSIX sockets
   ====================================================================== */
#ifndef DYNSESS_NO_PLAIN_TRANSPORT
typedef struct dynsess__plain {
    dynsess_transport_desc d;
    int fd;                         /* cached keep-alive connection or -1 */
    char host[DYNSESS_URL_HOST_MAX + 1];
    int port;
    dynsess_buf out;                /* request bytes */
    dynsess_buf in;                 /* raw reply bytes */
} dynsess__plain;

static int64_t dynsess__plain_now_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, 0);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void dynsess__plain_drop(dynsess__plain *p) {
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
}

/* Waits for ev on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int dynsess__plain_wait(int fd, short ev, int64_t deadline) {
    for (;;) {
        struct pollfd pf;
        int64_t left = deadline - dynsess__plain_now_ms();
        int r;
        if (left <= 0) return 0;
        pf.fd = fd;
        pf.events = ev;
        pf.revents = 0;
        r = poll(&pf, 1, left > 1000000 ? 1000000 : (int)left);
        if (r > 0) return 1;
        if (r == 0) continue; /* re-check the deadline */
        if (errno != EINTR) return -1;
    }
}

/* Connects one address; 0 ok, else E_CONNECT / E_TIMEOUT-equivalent via *why. */
static int dynsess__plain_connect_addr(const struct sockaddr *sa, socklen_t salen, int64_t deadline,
                                       int *why) {
    int fd, fl, one = 1;
    fd = socket(sa->sa_family, SOCK_STREAM, 0);
    if (fd < 0) { *why = errno; return -1; }
    fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) { *why = errno; close(fd); return -1; }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
#ifdef SO_NOSIGPIPE
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    if (sa->sa_family != AF_UNIX) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, sa, salen) < 0) {
        int w, e = 0;
        socklen_t el = sizeof e;
        if (errno != EINPROGRESS && errno != EINTR) { *why = errno; close(fd); return -1; }
        w = dynsess__plain_wait(fd, POLLOUT, deadline);
        if (w <= 0) { *why = w == 0 ? ETIMEDOUT : errno; close(fd); return -1; }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) { *why = e ? e : errno; close(fd); return -1; }
    }
    return fd;
}

static dynsess_status dynsess__plain_connect(dynsess__plain *p, const char *host, int port,
                                             int64_t deadline, dynsess_error *err) {
    int fd = -1, why = 0;
#ifdef DYNSESS__HAVE_GETADDRINFO
    struct addrinfo hints, *res = 0, *ai;
    char ps[8];
    int gr;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    sprintf(ps, "%d", port);
    gr = getaddrinfo(host, ps, &hints, &res);
    if (gr != 0 || !res)
        return dynsess__fail(err, DYNSESS_E_CONNECT, DYNSESS_NO_OFFSET,
                             "transport: cannot resolve host %.64s", host);
    for (ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = dynsess__plain_connect_addr(ai->ai_addr, (socklen_t)ai->ai_addrlen, deadline, &why);
    freeaddrinfo(res);
#else
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    a4.sin_family = AF_INET;
    a4.sin_port = htons((unsigned short)port);
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons((unsigned short)port);
    if (!strcmp(host, "localhost") || inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
        if (!strcmp(host, "localhost")) a4.sin_addr.s_addr = htonl(0x7f000001);
        fd = dynsess__plain_connect_addr((const struct sockaddr *)&a4, sizeof a4, deadline, &why);
    } else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
        fd = dynsess__plain_connect_addr((const struct sockaddr *)&a6, sizeof a6, deadline, &why);
    } else {
        return dynsess__fail(err, DYNSESS_E_UNSUPPORTED, DYNSESS_NO_OFFSET,
                             "transport: host names need getaddrinfo: compile the implementation "
                             "with _POSIX_C_SOURCE=200809L, or use an ip address");
    }
#endif
    if (fd < 0) {
        if (why == ETIMEDOUT)
            return dynsess__fail(err, DYNSESS_E_CONNECT, DYNSESS_NO_OFFSET,
                                 "transport: connecting to %.64s:%d timed out", host, port);
        return dynsess__fail(err, DYNSESS_E_CONNECT, DYNSESS_NO_OFFSET,
                             "transport: cannot connect to %.64s:%d (%s)", host, port, strerror(why));
    }
    p->fd = fd;
    memcpy(p->host, host, strlen(host) + 1);
    p->port = port;
    return DYNSESS_OK;
}

/* Sends all of out; 0 ok, 1 peer gone (EPIPE/ECONNRESET), -1 error, -2 timeout. */
static int dynsess__plain_send_all(int fd, const char *s, size_t n, int64_t deadline) {
    while (n) {
#ifdef MSG_NOSIGNAL
        ssize_t r = send(fd, s, n, MSG_NOSIGNAL);
#else
        ssize_t r = send(fd, s, n, 0);
#endif
        if (r > 0) { s += r; n -= (size_t)r; continue; }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int w = dynsess__plain_wait(fd, POLLOUT, deadline);
            if (w == 0) return -2;
            if (w < 0) return -1;
            continue;
        }
        if (r < 0 && (errno == EPIPE || errno == ECONNRESET)) return 1;
        return -1;
    }
    return 0;
}

/* Reads more bytes into p->in: 1 read some, 0 EOF (ECONNRESET counts as
   EOF), -1 error, -2 timeout, -3 over the cap, -4 out of memory. */
static int dynsess__plain_read_more(dynsess__plain *p, int64_t deadline, size_t cap) {
    if (p->in.len > cap) return -3;
    if (dynsess_buf_reserve(&p->in, 16384, 0)) return -4;
    for (;;) {
        ssize_t r = recv(p->fd, p->in.ptr + p->in.len, 16384, 0);
        if (r > 0) {
            p->in.len += (size_t)r;
            p->in.ptr[p->in.len] = 0;
            return p->in.len > cap ? -3 : 1;
        }
        if (r == 0) return 0;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = dynsess__plain_wait(p->fd, POLLIN, deadline);
            if (w == 0) return -2;
            if (w < 0) return -1;
            continue;
        }
        if (errno == ECONNRESET) return 0;
        return -1;
    }
}

/* The error for a failed dynsess__plain_read_more (r <= 0) while reading `where`. */
static dynsess_status dynsess__plain_read_fail(int r, size_t cap, const char *where, dynsess_error *e) {
    if (r == 0) return dynsess__fail(e, DYNSESS_E_HTTP, DYNSESS_NO_OFFSET, "transport: connection closed inside %s", where);
    if (r == -2) return dynsess__fail(e, DYNSESS_E_TIMEOUT, DYNSESS_NO_OFFSET, "transport: timed out reading %s", where);
    if (r == -3) return dynsess__fail(e, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "transport: response exceeds %lu bytes", (unsigned long)cap);
    if (r == -4) return dynsess__fail_nomem(e, "transport");
    return dynsess__fail(e, DYNSESS_E_HTTP, DYNSESS_NO_OFFSET, "transport: reading %s failed", where);
}

/* Parses an unsigned decimal (Content-Length); 0 on garbage or overflow. */
static int dynsess__plain_parse_len(dynsess_str s, size_t *out) {
    size_t i, v = 0;
    if (!s.len) return 0;
    for (i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return 0;
        if (v > ((size_t)-1 - 9) / 10) return 0;
        v = v * 10 + (size_t)(s.ptr[i] - '0');
    }
    *out = v;
    return 1;
}

/* 1 if the comma-separated header value list contains token (case-insensitive). */
static int dynsess__plain_has_token(dynsess_str v, const char *token, int last_only) {
    size_t i = 0, found = 0, n = strlen(token);
    while (i < v.len) {
        size_t e = i, a, b;
        while (e < v.len && v.ptr[e] != ',') e++;
        a = i; b = e;
        while (a < b && (v.ptr[a] == ' ' || v.ptr[a] == '\t')) a++;
        while (b > a && (v.ptr[b - 1] == ' ' || v.ptr[b - 1] == '\t')) b--;
        found = (b - a == n && dynsess__http_ieq(v.ptr + a, n, token));
        if (found && !last_only) return 1;
        i = e + 1;
    }
    return (int)found;
}

#define DYNSESS__PLAIN_FAIL(code, ...) do { rc = dynsess__fail(&resp->error, code, DYNSESS_NO_OFFSET, __VA_ARGS__); goto done; } while (0)

static int dynsess__plain_fn(void *user, const dynsess_http_request *req, dynsess_http_response *resp) {
    dynsess__plain *p = (dynsess__plain *)user;
    int64_t start = dynsess__plain_now_ms(), deadline;
    int port, attempt, keep = 0, rc = DYNSESS_OK, is_head, https = 0;
    size_t i, cap;
    char line[64];
    rc = dynsess__http_check_request(req, &https, &resp->error);
    if (rc) return rc;
    if (https)
        return dynsess__fail(&resp->error, DYNSESS_E_UNSUPPORTED, DYNSESS_NO_OFFSET,
                             "transport: the plain transport does not do https (build with "
                             "DYNSESS_WITH_CURL and use dynsess_transport_curl_new)");
    if (strlen(req->host) > DYNSESS_URL_HOST_MAX)
        return dynsess__fail(&resp->error, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: host too long");
    port = req->port ? req->port : 80;
    deadline = start + (req->timeout_ms > 0 ? req->timeout_ms : p->d.timeout_ms);
    cap = p->d.max_response;
    is_head = !strcmp(req->method, "HEAD");

    /* the request bytes */
    dynsess_buf_reset(&p->out);
    {
        dynsess_error *e = &resp->error;
        int bad = 0;
        bad |= (int)dynsess_buf_appendz(&p->out, req->method, e);
        bad |= (int)dynsess_buf_append(&p->out, " ", 1, e);
        bad |= (int)dynsess_buf_appendz(&p->out, req->path && *req->path ? req->path : "/", e);
        if (req->query && *req->query) {
            bad |= (int)dynsess_buf_append(&p->out, "?", 1, e);
            bad |= (int)dynsess_buf_appendz(&p->out, req->query, e);
        }
        bad |= (int)dynsess_buf_appendz(&p->out, " HTTP/1.1\r\n", e);
        if (!dynsess__http_has_header(req, "host")) {
            int v6 = strchr(req->host, ':') != 0;
            bad |= (int)dynsess_buf_appendz(&p->out, v6 ? "Host: [" : "Host: ", e);
            bad |= (int)dynsess_buf_appendz(&p->out, req->host, e);
            if (v6) bad |= (int)dynsess_buf_append(&p->out, "]", 1, e);
            if (port != 80) {
                sprintf(line, ":%d", port);
                bad |= (int)dynsess_buf_appendz(&p->out, line, e);
            }
            bad |= (int)dynsess_buf_append(&p->out, "\r\n", 2, e);
        }
        if (!dynsess__http_has_header(req, "content-length") &&
            (req->body.len || (strcmp(req->method, "GET") && !is_head))) {
            sprintf(line, "Content-Length: %lu\r\n", (unsigned long)req->body.len);
            bad |= (int)dynsess_buf_appendz(&p->out, line, e);
        }
        if (p->d.no_keepalive && !dynsess__http_has_header(req, "connection"))
            bad |= (int)dynsess_buf_appendz(&p->out, "Connection: close\r\n", e);
        for (i = 0; i < req->header_count; i++) {
            const dynsess_http_header *h = &req->headers[i];
            bad |= (int)dynsess_buf_append(&p->out, h->name.ptr, h->name.len, e);
            bad |= (int)dynsess_buf_append(&p->out, ": ", 2, e);
            bad |= (int)dynsess_buf_append(&p->out, h->value.ptr, h->value.len, e);
            bad |= (int)dynsess_buf_append(&p->out, "\r\n", 2, e);
        }
        bad |= (int)dynsess_buf_append(&p->out, "\r\n", 2, e);
        if (req->body.len) bad |= (int)dynsess_buf_append(&p->out, req->body.ptr, req->body.len, e);
        if (bad) return resp->error.code ? resp->error.code : DYNSESS_E_NOMEM;
    }

    /* a cached connection to another host, or one the server closed, is dropped */
    if (p->fd >= 0 && (p->port != port || strcmp(p->host, req->host))) dynsess__plain_drop(p);
    if (p->fd >= 0) {
        struct pollfd pf;
        pf.fd = p->fd;
        pf.events = POLLIN;
        pf.revents = 0;
        if (poll(&pf, 1, 0) != 0) dynsess__plain_drop(p); /* EOF or unexpected bytes */
    }

    for (attempt = 0; attempt < 2; attempt++) {
        int reused = p->fd >= 0, s;
        size_t hdr_end = 0, body_start, pos;
        int chunked = 0, have_len = 0, status, interim = 0;
        size_t scanned;
        size_t clen = 0;
        dynsess_str v;
        dynsess_http_response_reset(resp);
        dynsess_buf_reset(&p->in);
        if (!reused) {
            int64_t cd = start + p->d.connect_timeout_ms;
            rc = dynsess__plain_connect(p, req->host, port, cd < deadline ? cd : deadline, &resp->error);
            if (rc) goto done;
        }
        s = dynsess__plain_send_all(p->fd, p->out.ptr, p->out.len, deadline);
        if (s == 1 && reused) { dynsess__plain_drop(p); continue; }
        if (s == -2) DYNSESS__PLAIN_FAIL(DYNSESS_E_TIMEOUT, "transport: timed out sending the request");
        if (s) DYNSESS__PLAIN_FAIL(DYNSESS_E_CONNECT, "transport: sending the request failed");

    next_response: /* after a 1xx interim response */
        /* status line and headers */
        scanned = 0;
        for (;;) {
            /* scan only the new bytes (and 3 before them for a split CRLFCRLF) */
            size_t from = scanned > 3 ? scanned - 3 : 0, k;
            int r;
            if (p->in.len && memchr(p->in.ptr + scanned, 0, p->in.len - scanned))
                DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: NUL byte in the response head");
            for (k = from; k + 4 <= p->in.len; k++)
                if (p->in.ptr[k] == '\r' && !memcmp(p->in.ptr + k, "\r\n\r\n", 4)) break;
            if (k + 4 <= p->in.len) { hdr_end = k + 4; break; }
            scanned = p->in.len;
            r = dynsess__plain_read_more(p, deadline, cap);
            if (r == 0 && p->in.len == 0 && reused && attempt == 0 && !interim) break; /* stale keep-alive */
            if (r <= 0) { rc = dynsess__plain_read_fail(r, cap, "the response head", &resp->error); goto done; }
        }
        if (!hdr_end) { dynsess__plain_drop(p); continue; } /* retry once on a fresh connection */
        /* "HTTP/1.x NNN reason" */
        {
            const char *b = p->in.ptr;
            if (hdr_end < 14 || memcmp(b, "HTTP/1.", 7) || (b[7] != '0' && b[7] != '1') || b[8] != ' ' ||
                b[9] < '1' || b[9] > '5' || b[10] < '0' || b[10] > '9' || b[11] < '0' || b[11] > '9' ||
                (b[12] != ' ' && b[12] != '\r'))
                DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: the reply is not an http/1.x response");
            status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
            keep = b[7] == '1';
        }
        {
            const char *h = strstr(p->in.ptr, "\r\n") + 2;
            size_t hlen = (size_t)(p->in.ptr + hdr_end - 2 - h);
            if (status >= 100 && status < 200) {
                /* interim response: drop it and read the final one */
                memmove(p->in.ptr, p->in.ptr + hdr_end, p->in.len - hdr_end);
                p->in.len -= hdr_end;
                p->in.ptr[p->in.len] = 0;
                hdr_end = 0;
                interim = 1;
                goto next_response;
            }
            if (dynsess_buf_append(&resp->headers, h, hlen, &resp->error)) { rc = resp->error.code; goto done; }
        }
        resp->status = status;
        if (dynsess_http_response_header(resp, "connection", &v)) {
            if (dynsess__plain_has_token(v, "close", 0)) keep = 0;
            else if (dynsess__plain_has_token(v, "keep-alive", 0)) keep = 1;
        }
        if (p->d.no_keepalive) keep = 0;
        if (dynsess_http_response_header(resp, "transfer-encoding", &v)) {
            if (!dynsess__plain_has_token(v, "chunked", 1))
                DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: unsupported transfer-encoding");
            chunked = 1;
            /* RFC 9112 §6.3: with both, chunked wins and the connection must close */
            if (dynsess_http_response_header(resp, "content-length", 0)) keep = 0;
        } else if (dynsess_http_response_header(resp, "content-length", &v)) {
            /* every Content-Length line must agree (RFC 9110 §8.6) */
            const char *hp = resp->headers.ptr;
            size_t left = resp->headers.len;
            if (!dynsess__plain_parse_len(v, &clen))
                DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: bad content-length");
            while (left) {
                const char *nl = (const char *)memchr(hp, '\n', left);
                size_t ln = nl ? (size_t)(nl - hp) + 1 : left, other;
                dynsess_str v2;
                if (dynsess__http_find_header(hp, ln, "content-length", &v2) &&
                    (!dynsess__plain_parse_len(v2, &other) || other != clen))
                    DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: conflicting content-length");
                hp += ln;
                left -= ln;
            }
            have_len = 1;
        }
        body_start = hdr_end;
        if (is_head || status == 204 || status == 304) {
            /* no body */
        } else if (chunked) {
            /* RFC 9112 §7.1: size [;ext] CRLF data CRLF ... 0 CRLF trailers CRLF */
            pos = body_start;
            for (;;) {
                char *nl;
                size_t sz = 0, k, digits = 0;
                int r;
                while (!(nl = (char *)memchr(p->in.ptr + pos, '\n', p->in.len - pos))) {
                    if (p->in.len - pos > 4096) /* bounds the rescans too */
                        DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: chunk size line too long");
                    r = dynsess__plain_read_more(p, deadline, cap);
                    if (r <= 0) { rc = dynsess__plain_read_fail(r, cap, "a chunked body", &resp->error); goto done; }
                }
                for (k = pos; p->in.ptr + k < nl; k++) {
                    int hv = dynsess__hex_value((unsigned char)p->in.ptr[k]);
                    if (hv < 0) break;
                    if (++digits > 15) DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: chunk size too large");
                    sz = sz * 16 + (size_t)hv;
                }
                if (!digits || (p->in.ptr[k] != ';' && p->in.ptr[k] != '\r' && p->in.ptr[k] != ' ' &&
                                p->in.ptr[k] != '\t' && p->in.ptr + k != nl))
                    DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: bad chunk size line");
                pos = (size_t)(nl - p->in.ptr) + 1;
                if (sz == 0) {
                    /* trailers until an empty line */
                    for (;;) {
                        size_t ls = pos;
                        while (!(nl = (char *)memchr(p->in.ptr + pos, '\n', p->in.len - pos))) {
                            if (p->in.len - pos > 65536)
                                DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: trailer line too long");
                            r = dynsess__plain_read_more(p, deadline, cap);
                            if (r <= 0) { rc = dynsess__plain_read_fail(r, cap, "the trailers", &resp->error); goto done; }
                        }
                        k = (size_t)(nl - p->in.ptr);
                        pos = k + 1;
                        if (k == ls || (k == ls + 1 && p->in.ptr[ls] == '\r')) break; /* empty line */
                    }
                    break;
                }
                if (sz > cap || resp->body.len + sz > cap)
                    DYNSESS__PLAIN_FAIL(DYNSESS_E_LIMIT, "transport: response exceeds %lu bytes", (unsigned long)cap);
                while (p->in.len - pos < sz + 2) {
                    r = dynsess__plain_read_more(p, deadline, cap);
                    if (r <= 0) { rc = dynsess__plain_read_fail(r, cap, "a chunk", &resp->error); goto done; }
                }
                if (dynsess_buf_append(&resp->body, p->in.ptr + pos, sz, &resp->error)) { rc = resp->error.code; goto done; }
                pos += sz;
                if (p->in.ptr[pos] == '\r') pos++;
                if (p->in.ptr[pos] != '\n') DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: chunk not followed by crlf");
                pos++;
            }
            if (pos != p->in.len) keep = 0; /* unexpected extra bytes */
        } else if (have_len) {
            if (clen > cap) DYNSESS__PLAIN_FAIL(DYNSESS_E_LIMIT, "transport: response of %lu bytes exceeds %lu",
                                                (unsigned long)clen, (unsigned long)cap);
            while (p->in.len - body_start < clen) {
                int r = dynsess__plain_read_more(p, deadline, cap + hdr_end);
                if (r <= 0) { rc = dynsess__plain_read_fail(r, cap, "the body", &resp->error); goto done; }
            }
            if (p->in.len - body_start != clen) keep = 0;
            if (dynsess_buf_append(&resp->body, p->in.ptr + body_start, clen, &resp->error)) { rc = resp->error.code; goto done; }
        } else {
            /* delimited by close */
            for (;;) {
                int r = dynsess__plain_read_more(p, deadline, cap + hdr_end);
                if (r == 0) break;
                if (r < 0) { rc = dynsess__plain_read_fail(r, cap, "the body", &resp->error); goto done; }
            }
            keep = 0;
            if (dynsess_buf_append(&resp->body, p->in.ptr + body_start, p->in.len - body_start, &resp->error)) {
                rc = resp->error.code;
                goto done;
            }
        }
        rc = DYNSESS_OK;
        goto done;
    }
    DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: the server closed the connection without a response");
done:
    if (rc || !keep) dynsess__plain_drop(p);
    if (rc) resp->status = rc == DYNSESS_E_LIMIT || rc == DYNSESS_E_HTTP ? resp->status : 0;
    if (p->in.cap > ((size_t)1 << 20)) dynsess_buf_free(&p->in); /* don't pin big replies */
    return rc;
}
#undef DYNSESS__PLAIN_FAIL

static void dynsess__plain_close(void *user) {
    dynsess__plain *p = (dynsess__plain *)user;
    dynsess_allocator a;
    if (!p) return;
    a = p->d.allocator;
    dynsess__plain_drop(p);
    dynsess_buf_free(&p->out);
    dynsess_buf_free(&p->in);
    dynsess_wipe(p, sizeof *p);
    dynsess__free(&a, p);
}

DYNSESS_DEF dynsess_status dynsess_transport_plain_new(const dynsess_transport_desc *desc,
                                                       dynsess_transport *out, dynsess_error *err) {
    dynsess__plain *p;
    dynsess_transport_desc d;
    dynsess_status rc = dynsess__transport_begin(desc, &d, out, err);
    if (rc) return rc;
    p = (dynsess__plain *)dynsess__alloc(&d.allocator, sizeof *p);
    if (!p) return dynsess__fail_nomem(err, "transport");
    memset(p, 0, sizeof *p);
    p->d = d;
    p->fd = -1;
    dynsess_buf_init(&p->out, &d.allocator);
    dynsess_buf_init(&p->in, &d.allocator);
    out->fn = dynsess__plain_fn;
    out->user = p;
    out->close = dynsess__plain_close;
    return DYNSESS_OK;
}
#else
DYNSESS_DEF dynsess_status dynsess_transport_plain_new(const dynsess_transport_desc *desc,
                                                       dynsess_transport *out, dynsess_error *err) {
    (void)desc;
    if (out) { out->fn = 0; out->user = 0; out->close = 0; }
    return dynsess__fail(err, DYNSESS_E_UNSUPPORTED, DYNSESS_NO_OFFSET,
                         "transport: compiled with DYNSESS_NO_PLAIN_TRANSPORT");
}
#endif /* DYNSESS_NO_PLAIN_TRANSPORT */

/* ======================================================================
   libcurl
   ====================================================================== */
#ifdef DYNSESS_WITH_CURL
typedef struct dynsess__curl {
    dynsess_transport_desc d;
    CURL *h;
    dynsess_http_response *resp;   /* during a call */
    int over;                      /* the size cap was hit */
    dynsess_buf url;
    char errbuf[CURL_ERROR_SIZE];
} dynsess__curl;

static size_t dynsess__curl_body(char *ptr, size_t size, size_t n, void *user) {
    dynsess__curl *c = (dynsess__curl *)user;
    size_t len = size * n;
    if (len > c->d.max_response || c->resp->body.len + c->resp->headers.len + len > c->d.max_response) {
        c->over = 1;
        return 0;
    }
    if (dynsess_buf_append(&c->resp->body, ptr, len, 0)) return 0;
    return len;
}

static size_t dynsess__curl_header(char *ptr, size_t size, size_t n, void *user) {
    dynsess__curl *c = (dynsess__curl *)user;
    size_t len = size * n;
    if (len >= 5 && !memcmp(ptr, "HTTP/", 5)) { /* a new response (after 1xx): start over */
        dynsess_buf_reset(&c->resp->headers);
        return len;
    }
    if (len <= 2) return len; /* the blank line */
    if (c->resp->headers.len + len > c->d.max_response) { c->over = 1; return 0; }
    /* normalise to "Name: value\r\n" lines */
    if (dynsess_buf_append(&c->resp->headers, ptr, len, 0)) return 0;
    return len;
}

static int dynsess__curl_fn(void *user, const dynsess_http_request *req, dynsess_http_response *resp) {
    dynsess__curl *c = (dynsess__curl *)user;
    struct curl_slist *hl = 0, *t;
    CURLcode cc;
    long status = 0;
    int rc = DYNSESS_OK, https = 0, port;
    size_t i;
    char num[32];
    rc = dynsess__http_check_request(req, &https, &resp->error);
    if (rc) return rc;
    port = req->port ? req->port : (https ? 443 : 80);
    /* URL */
    dynsess_buf_reset(&c->url);
    {
        int v6 = strchr(req->host, ':') != 0, bad = 0;
        dynsess_error *e = &resp->error;
        bad |= (int)dynsess_buf_appendz(&c->url, https ? "https://" : "http://", e);
        if (v6) bad |= (int)dynsess_buf_append(&c->url, "[", 1, e);
        bad |= (int)dynsess_buf_appendz(&c->url, req->host, e);
        if (v6) bad |= (int)dynsess_buf_append(&c->url, "]", 1, e);
        sprintf(num, ":%d", port);
        bad |= (int)dynsess_buf_appendz(&c->url, num, e);
        bad |= (int)dynsess_buf_appendz(&c->url, req->path && *req->path ? req->path : "/", e);
        if (req->query && *req->query) {
            bad |= (int)dynsess_buf_append(&c->url, "?", 1, e);
            bad |= (int)dynsess_buf_appendz(&c->url, req->query, e);
        }
        if (bad) return resp->error.code;
    }
    /* headers: the caller's (minus Content-Length, which curl computes), and
       empty Expect / Content-Type to stop curl adding its own */
    {
        dynsess_buf line;
        dynsess_buf_init(&line, &c->d.allocator);
        for (i = 0; i < req->header_count && rc == DYNSESS_OK; i++) {
            const dynsess_http_header *h = &req->headers[i];
            if (dynsess__http_ieq(h->name.ptr, h->name.len, "content-length")) continue;
            dynsess_buf_reset(&line);
            if (dynsess_buf_append(&line, h->name.ptr, h->name.len, &resp->error) ||
                dynsess_buf_append(&line, h->value.len ? ": " : ";", h->value.len ? 2 : 1, &resp->error) ||
                dynsess_buf_append(&line, h->value.ptr, h->value.len, &resp->error)) {
                rc = resp->error.code;
                break;
            }
            t = curl_slist_append(hl, line.ptr);
            if (!t) { rc = dynsess__fail(&resp->error, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "transport: out of memory"); break; }
            hl = t;
        }
        dynsess_buf_free(&line);
        if (rc == DYNSESS_OK && !dynsess__http_has_header(req, "expect")) {
            t = curl_slist_append(hl, "Expect:");
            if (t) hl = t; else rc = dynsess__fail(&resp->error, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "transport: out of memory");
        }
        if (rc == DYNSESS_OK && !dynsess__http_has_header(req, "content-type")) {
            t = curl_slist_append(hl, "Content-Type:");
            if (t) hl = t; else rc = dynsess__fail(&resp->error, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "transport: out of memory");
        }
        if (rc == DYNSESS_OK && c->d.no_keepalive && !dynsess__http_has_header(req, "connection")) {
            t = curl_slist_append(hl, "Connection: close");
            if (t) hl = t; else rc = dynsess__fail(&resp->error, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "transport: out of memory");
        }
        if (rc) { curl_slist_free_all(hl); return rc; }
    }
    /* curl_easy_reset keeps live connections, so reuse survives it */
    curl_easy_reset(c->h);
    c->resp = resp;
    c->over = 0;
    c->errbuf[0] = 0;
    curl_easy_setopt(c->h, CURLOPT_URL, c->url.ptr);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c->h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->d.ca_file) curl_easy_setopt(c->h, CURLOPT_CAINFO, c->d.ca_file);
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->d.connect_timeout_ms);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, (long)(req->timeout_ms > 0 ? req->timeout_ms : c->d.timeout_ms));
    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, dynsess__curl_body);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, (void *)c);
    curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, dynsess__curl_header);
    curl_easy_setopt(c->h, CURLOPT_HEADERDATA, (void *)c);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->d.max_response);
    if (c->d.no_keepalive) curl_easy_setopt(c->h, CURLOPT_FORBID_REUSE, 1L);
    if (!strcmp(req->method, "GET") && !req->body.len) {
        curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    } else if (!strcmp(req->method, "HEAD")) {
        curl_easy_setopt(c->h, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body.len);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, req->body.len ? req->body.ptr : "");
        if (strcmp(req->method, "POST")) curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, req->method);
    }
    cc = curl_easy_perform(c->h);
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    c->resp = 0;
    if (cc == CURLE_OK) {
        resp->status = (int)status;
        return DYNSESS_OK;
    }
    switch (cc) {
    case CURLE_WRITE_ERROR:
        rc = c->over ? DYNSESS_E_LIMIT : DYNSESS_E_NOMEM;
        break;
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY: case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER: case CURLE_SEND_ERROR: case CURLE_SSL_ENGINE_NOTFOUND:
        rc = DYNSESS_E_CONNECT;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        rc = DYNSESS_E_TIMEOUT;
        break;
    case CURLE_OUT_OF_MEMORY:
        rc = DYNSESS_E_NOMEM;
        break;
    case CURLE_FILESIZE_EXCEEDED:
        rc = DYNSESS_E_LIMIT;
        break;
    default: /* weird reply, HTTP/0.9, partial file, got nothing, recv error, ... */
        rc = DYNSESS_E_HTTP;
        break;
    }
    resp->status = rc == DYNSESS_E_LIMIT ? (int)status : 0;
    return dynsess__fail(&resp->error, (dynsess_status)rc, DYNSESS_NO_OFFSET, "transport: curl: %s",
                         c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
}

static void dynsess__curl_close(void *user) {
    dynsess__curl *c = (dynsess__curl *)user;
    dynsess_allocator a;
    if (!c) return;
    a = c->d.allocator;
    if (c->h) curl_easy_cleanup(c->h);
    dynsess_buf_free(&c->url);
    dynsess_wipe(c, sizeof *c);
    dynsess__free(&a, c);
}

DYNSESS_DEF dynsess_status dynsess_transport_curl_new(const dynsess_transport_desc *desc,
                                                      dynsess_transport *out, dynsess_error *err) {
    static int global_done = 0;
    dynsess__curl *c;
    dynsess_transport_desc d;
    dynsess_status rc = dynsess__transport_begin(desc, &d, out, err);
    if (rc) return rc;
    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return dynsess__fail(err, DYNSESS_E_INTERNAL, DYNSESS_NO_OFFSET, "transport: curl_global_init failed");
        global_done = 1;
    }
    c = (dynsess__curl *)dynsess__alloc(&d.allocator, sizeof *c);
    if (!c) return dynsess__fail_nomem(err, "transport");
    memset(c, 0, sizeof *c);
    c->d = d;
    dynsess_buf_init(&c->url, &d.allocator);
    c->h = curl_easy_init();
    if (!c->h) {
        dynsess__free(&d.allocator, c);
        return dynsess__fail(err, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "transport: curl_easy_init failed");
    }
    out->fn = dynsess__curl_fn;
    out->user = c;
    out->close = dynsess__curl_close;
    return DYNSESS_OK;
}
#else
DYNSESS_DEF dynsess_status dynsess_transport_curl_new(const dynsess_transport_desc *desc,
                                                      dynsess_transport *out, dynsess_error *err) {
    (void)desc;
    if (out) { out->fn = 0; out->user = 0; out->close = 0; }
    return dynsess__fail(err, DYNSESS_E_UNSUPPORTED, DYNSESS_NO_OFFSET,
                         "transport: libcurl support not compiled in (define DYNSESS_WITH_CURL, link -lcurl)");
}
#endif /* DYNSESS_WITH_CURL */

/* ======================================================================
   @store  implementation of the shared store helpers
   ====================================================================== */
DYNSESS_DEF void dynsess_store_close(dynsess_store *st) {
    if (st && st->vt && st->vt->close) st->vt->close(st);
}

/* ----------------------------------------------------------------------
   @store >memory  implementation: chained hash table (seeded hash) plus a
   binary min-heap on expires_at, which gives the sweep and the eviction
   victim (the record that expires soonest) in O(log n).
   Assumes: POSIX threads for the optional mutex.
   ---------------------------------------------------------------------- */
#include <pthread.h>

typedef struct dynsess__mem_entry {
    struct dynsess__mem_entry *next; /* hash chain */
    uint64_t hash;
    size_t heap_idx;
    int64_t created_at, expires_at, version;
    char *data;
    size_t data_len;
    char *token;                     /* points just after the struct */
    size_t token_len;
} dynsess__mem_entry;

typedef struct dynsess__mem_store {
    dynsess_store base;              /* first: the vtable */
    dynsess_allocator alloc;
    size_t max_sessions;
    int thread_safe;
    pthread_mutex_t mu;
    dynsess__mem_entry **buckets;
    size_t nbuckets;                 /* power of two */
    dynsess__mem_entry **heap;
    size_t heap_cap;
    size_t count;                    /* also the heap's length */
    uint64_t seed;
} dynsess__mem_store;

static void dynsess__mem_lock(dynsess__mem_store *m) {
    if (m->thread_safe) pthread_mutex_lock(&m->mu);
}
static void dynsess__mem_unlock(dynsess__mem_store *m) {
    if (m->thread_safe) pthread_mutex_unlock(&m->mu);
}

/* FNV-1a over the seed and the bytes, then a 64-bit finalizer (splitmix). The
   seed is random per store, so a client cannot aim ids at one chain. */
static uint64_t dynsess__mem_hash(uint64_t seed, const char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 30; h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27; h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

/* ---- heap on expires_at ----------------------------------------------- */
static void dynsess__mem_heap_set(dynsess__mem_store *m, size_t i, dynsess__mem_entry *e) {
    m->heap[i] = e;
    e->heap_idx = i;
}
static void dynsess__mem_sift_up(dynsess__mem_store *m, size_t i) {
    dynsess__mem_entry *e = m->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (m->heap[parent]->expires_at <= e->expires_at) break;
        dynsess__mem_heap_set(m, i, m->heap[parent]);
        i = parent;
    }
    dynsess__mem_heap_set(m, i, e);
}
static void dynsess__mem_sift_down(dynsess__mem_store *m, size_t i) {
    dynsess__mem_entry *e = m->heap[i];
    size_t n = m->count;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && m->heap[c + 1]->expires_at < m->heap[c]->expires_at) c++;
        if (e->expires_at <= m->heap[c]->expires_at) break;
        dynsess__mem_heap_set(m, i, m->heap[c]);
        i = c;
    }
    dynsess__mem_heap_set(m, i, e);
}
static void dynsess__mem_heap_fix(dynsess__mem_store *m, size_t i) {
    if (i > 0 && m->heap[(i - 1) / 2]->expires_at > m->heap[i]->expires_at)
        dynsess__mem_sift_up(m, i);
    else
        dynsess__mem_sift_down(m, i);
}

/* ---- entries ------------------------------------------------------------ */
static void dynsess__mem_entry_free(dynsess__mem_store *m, dynsess__mem_entry *e) {
    if (e->data) {
        dynsess_wipe(e->data, e->data_len);
        dynsess__free(&m->alloc, e->data);
    }
    dynsess_wipe(e->token, e->token_len);
    dynsess__free(&m->alloc, e);
}

static dynsess__mem_entry **dynsess__mem_slot(dynsess__mem_store *m, uint64_t h, const char *tok,
                                              size_t n) {
    dynsess__mem_entry **pp = &m->buckets[h & (m->nbuckets - 1)];
    while (*pp) {
        dynsess__mem_entry *e = *pp;
        if (e->hash == h && e->token_len == n && memcmp(e->token, tok, n) == 0) return pp;
        pp = &e->next;
    }
    return pp;
}

/* Unlinks e from its chain and the heap, and frees it. */
static void dynsess__mem_remove(dynsess__mem_store *m, dynsess__mem_entry *e) {
    dynsess__mem_entry **pp = dynsess__mem_slot(m, e->hash, e->token, e->token_len);
    size_t i = e->heap_idx;
    *pp = e->next;
    m->count--;
    if (i != m->count) {
        dynsess__mem_heap_set(m, i, m->heap[m->count]);
        dynsess__mem_heap_fix(m, i);
    }
    dynsess__mem_entry_free(m, e);
}

static size_t dynsess__mem_sweep_locked(dynsess__mem_store *m, int64_t now) {
    size_t n = 0;
    while (m->count && m->heap[0]->expires_at <= now) {
        dynsess__mem_remove(m, m->heap[0]);
        n++;
    }
    return n;
}

/* Doubles the bucket array; on OOM keeps the old one (chains get longer). */
static void dynsess__mem_grow_buckets(dynsess__mem_store *m) {
    size_t n = m->nbuckets * 2, i, bytes;
    dynsess__mem_entry **nb;
    if (!dynsess__size_mul(n, sizeof *nb, &bytes)) return;
    nb = (dynsess__mem_entry **)dynsess__alloc(&m->alloc, bytes);
    if (!nb) return;
    memset(nb, 0, bytes);
    for (i = 0; i < m->nbuckets; i++) {
        dynsess__mem_entry *e = m->buckets[i];
        while (e) {
            dynsess__mem_entry *next = e->next;
            size_t j = (size_t)(e->hash & (n - 1));
            e->next = nb[j];
            nb[j] = e;
            e = next;
        }
    }
    dynsess__free(&m->alloc, m->buckets);
    m->buckets = nb;
    m->nbuckets = n;
}

/* Finds the live record for tok; an expired one is dropped (lazy expiry).
   *expired tells which case gave 0. */
static dynsess__mem_entry *dynsess__mem_find(dynsess__mem_store *m, dynsess_str tok, int64_t now,
                                             int *expired) {
    uint64_t h = dynsess__mem_hash(m->seed, tok.ptr, tok.len);
    dynsess__mem_entry *e = *dynsess__mem_slot(m, h, tok.ptr, tok.len);
    *expired = 0;
    if (e && e->expires_at <= now) {
        dynsess__mem_remove(m, e);
        *expired = 1;
        return 0;
    }
    return e;
}

/* ---- vtable --------------------------------------------------------------- */
static dynsess_status dynsess__mem_load(dynsess_store *st, dynsess_str token, int64_t now,
                                        dynsess_record *out, dynsess_error *err) {
    dynsess__mem_store *m = (dynsess__mem_store *)st;
    dynsess__mem_entry *e;
    dynsess_status rc = DYNSESS_OK;
    int expired;
    if (!token.len) return dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                                         "memory: no such session");
    dynsess__mem_lock(m);
    e = dynsess__mem_find(m, token, now, &expired);
    if (!e) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                           expired ? "memory: session expired" : "memory: no such session");
        goto done;
    }
    dynsess_buf_reset(&out->data);
    rc = dynsess_buf_append(&out->data, e->data, e->data_len, err);
    if (rc) goto done;
    out->created_at = e->created_at;
    out->expires_at = e->expires_at;
    out->version = e->version;
    out->stale = 0;
done:
    dynsess__mem_unlock(m);
    return rc;
}

static dynsess_status dynsess__mem_save(dynsess_store *st, const dynsess_write *w, int64_t now,
                                        dynsess_buf *token_out, dynsess_error *err) {
    dynsess__mem_store *m = (dynsess__mem_store *)st;
    dynsess__mem_entry *fresh = 0, *e, **pp;
    char *data = 0;
    size_t bytes;
    uint64_t h;
    dynsess_status rc = DYNSESS_OK;
    int expired, locked = 0;
    (void)token_out;
    if (!w || !w->token.len || (w->data.len && !w->data.ptr))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "memory: save needs a token");
    /* allocate before locking: an OOM changes nothing */
    data = (char *)dynsess__alloc(&m->alloc, w->data.len);
    if (!data) return dynsess__fail_nomem(err, "memory");
    if (w->data.len) memcpy(data, w->data.ptr, w->data.len);
    if (w->is_new) {
        if (!dynsess__size_add(sizeof *fresh, w->token.len, &bytes)) {
            rc = dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "memory: token too long");
            goto done;
        }
        fresh = (dynsess__mem_entry *)dynsess__alloc(&m->alloc, bytes);
        if (!fresh) { rc = dynsess__fail_nomem(err, "memory"); goto done; }
        memset(fresh, 0, sizeof *fresh);
        fresh->token = (char *)(fresh + 1);
        fresh->token_len = w->token.len;
        memcpy(fresh->token, w->token.ptr, w->token.len);
        fresh->hash = dynsess__mem_hash(m->seed, w->token.ptr, w->token.len);
    }
    dynsess__mem_lock(m);
    locked = 1;
    e = dynsess__mem_find(m, w->token, now, &expired);
    if (!w->is_new) {
        if (!e) {
            rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                               expired ? "memory: session expired" : "memory: no such session");
            goto done;
        }
        if (w->version && w->version != e->version) {
            rc = dynsess__fail(err, DYNSESS_E_CONFLICT, DYNSESS_NO_OFFSET,
                               "memory: version %lld is not the stored %lld",
                               (long long)w->version, (long long)e->version);
            goto done;
        }
        if (e->data) { dynsess_wipe(e->data, e->data_len); dynsess__free(&m->alloc, e->data); }
        e->data = data;
        e->data_len = w->data.len;
        data = 0;
        e->version++;
        e->expires_at = w->expires_at;
        dynsess__mem_heap_fix(m, e->heap_idx);
        goto done;
    }
    if (e) {
        rc = dynsess__fail(err, DYNSESS_E_EXISTS, DYNSESS_NO_OFFSET, "memory: session id taken");
        goto done;
    }
    /* amortized clean-up: each create drops up to two expired records, so dead
       sessions do not pile up until the store is full (no timer needed) */
    if (m->count && m->heap[0]->expires_at <= now) dynsess__mem_remove(m, m->heap[0]);
    if (m->count && m->heap[0]->expires_at <= now) dynsess__mem_remove(m, m->heap[0]);
    if (m->count >= m->max_sessions) {
        /* eviction rule: expired first, then the record that expires soonest */
        dynsess__mem_sweep_locked(m, now);
        while (m->count >= m->max_sessions) dynsess__mem_remove(m, m->heap[0]);
    }
    if (m->count == m->heap_cap) {
        size_t cap = m->heap_cap ? m->heap_cap * 2 : 16;
        dynsess__mem_entry **nh;
        if (cap > m->max_sessions) cap = m->max_sessions;
        if (!dynsess__size_mul(cap, sizeof *nh, &bytes)) {
            rc = dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "memory: too many sessions");
            goto done;
        }
        nh = (dynsess__mem_entry **)dynsess__realloc(&m->alloc, m->heap,
                                                     m->heap_cap * sizeof *nh, bytes);
        if (!nh) { rc = dynsess__fail_nomem(err, "memory"); goto done; }
        m->heap = nh;
        m->heap_cap = cap;
    }
    if (m->count + 1 > m->nbuckets / 4 * 3) dynsess__mem_grow_buckets(m);
    fresh->data = data;
    fresh->data_len = w->data.len;
    data = 0;
    fresh->created_at = w->created_at;
    fresh->expires_at = w->expires_at;
    fresh->version = 1;
    h = fresh->hash;
    pp = &m->buckets[h & (m->nbuckets - 1)];
    fresh->next = *pp;
    *pp = fresh;
    m->heap[m->count] = fresh;
    fresh->heap_idx = m->count;
    m->count++;
    dynsess__mem_sift_up(m, fresh->heap_idx);
    fresh = 0;
done:
    if (locked) dynsess__mem_unlock(m);
    if (data) { dynsess_wipe(data, w->data.len); dynsess__free(&m->alloc, data); }
    if (fresh) dynsess__mem_entry_free(m, fresh);
    return rc;
}

static dynsess_status dynsess__mem_destroy(dynsess_store *st, dynsess_str token,
                                           dynsess_error *err) {
    dynsess__mem_store *m = (dynsess__mem_store *)st;
    dynsess__mem_entry *e;
    (void)err;
    if (!token.len) return DYNSESS_OK;
    dynsess__mem_lock(m);
    e = *dynsess__mem_slot(m, dynsess__mem_hash(m->seed, token.ptr, token.len), token.ptr,
                           token.len);
    if (e) dynsess__mem_remove(m, e);
    dynsess__mem_unlock(m);
    return DYNSESS_OK;
}

static dynsess_status dynsess__mem_touch(dynsess_store *st, dynsess_str token, int64_t expires_at,
                                         int64_t now, dynsess_error *err) {
    dynsess__mem_store *m = (dynsess__mem_store *)st;
    dynsess__mem_entry *e;
    dynsess_status rc = DYNSESS_OK;
    int expired;
    dynsess__mem_lock(m);
    e = token.len ? dynsess__mem_find(m, token, now, &expired) : 0;
    if (!e) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "memory: no such session");
    } else {
        e->expires_at = expires_at;
        dynsess__mem_heap_fix(m, e->heap_idx);
    }
    dynsess__mem_unlock(m);
    return rc;
}

static void dynsess__mem_close(dynsess_store *st) {
    dynsess__mem_store *m = (dynsess__mem_store *)st;
    size_t i;
    dynsess_allocator a = m->alloc;
    for (i = 0; i < m->count; i++) dynsess__mem_entry_free(m, m->heap[i]);
    dynsess__free(&a, m->heap);
    dynsess__free(&a, m->buckets);
    if (m->thread_safe) pthread_mutex_destroy(&m->mu);
    dynsess__free(&a, m);
}

static const dynsess_store_vt dynsess__mem_vt = {
    "memory", 0u, dynsess__mem_load, dynsess__mem_save, dynsess__mem_destroy,
    dynsess__mem_touch, dynsess__mem_close
};

DYNSESS_DEF dynsess_status dynsess_store_memory_new(const dynsess_memory_desc *desc,
                                                    dynsess_store **out, dynsess_error *err) {
    dynsess_memory_desc d;
    dynsess__mem_store *m;
    dynsess_status rc;
    uint64_t seed = 0;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "memory: out is 0");
    *out = 0;
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    if (!dynsess__allocator_valid(&d.allocator))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "memory: allocator needs both alloc and free "
                             "(dynsess_memory_desc.allocator)");
    DYNSESS__DEF(d.max_sessions, 10000);
    rc = dynsess_random_bytes(&seed, sizeof seed, err);
    if (rc) return rc;
    m = (dynsess__mem_store *)dynsess__alloc(&d.allocator, sizeof *m);
    if (!m) return dynsess__fail_nomem(err, "memory");
    memset(m, 0, sizeof *m);
    m->base.vt = &dynsess__mem_vt;
    m->alloc = d.allocator;
    m->max_sessions = d.max_sessions;
    m->thread_safe = d.thread_safe ? 1 : 0;
    m->seed = seed;
    m->nbuckets = 64;
    m->buckets = (dynsess__mem_entry **)dynsess__alloc(&m->alloc, m->nbuckets * sizeof *m->buckets);
    if (!m->buckets) {
        dynsess__free(&d.allocator, m);
        return dynsess__fail_nomem(err, "memory");
    }
    memset(m->buckets, 0, m->nbuckets * sizeof *m->buckets);
    if (m->thread_safe && pthread_mutex_init(&m->mu, 0) != 0) {
        dynsess__free(&d.allocator, m->buckets);
        dynsess__free(&d.allocator, m);
        return dynsess__fail(err, DYNSESS_E_INTERNAL, DYNSESS_NO_OFFSET,
                             "memory: pthread_mutex_init failed");
    }
    *out = &m->base;
    return DYNSESS_OK;
}

static dynsess__mem_store *dynsess__mem_cast(dynsess_store *st) {
    return (st && st->vt == &dynsess__mem_vt) ? (dynsess__mem_store *)st : 0;
}

DYNSESS_DEF size_t dynsess_store_memory_sweep(dynsess_store *st, int64_t now) {
    dynsess__mem_store *m = dynsess__mem_cast(st);
    size_t n;
    if (!m) return 0;
    dynsess__mem_lock(m);
    n = dynsess__mem_sweep_locked(m, now);
    dynsess__mem_unlock(m);
    return n;
}

DYNSESS_DEF size_t dynsess_store_memory_count(dynsess_store *st) {
    dynsess__mem_store *m = dynsess__mem_cast(st);
    size_t n;
    if (!m) return 0;
    dynsess__mem_lock(m);
    n = m->count;
    dynsess__mem_unlock(m);
    return n;
}

/* ----------------------------------------------------------------------
   @store >cookie  implementation: the sealed-cookie store
   Assumes: @crypto (HKDF, XChaCha20-Poly1305), @config (base64url, rng).
   The store holds derived keys only; it is read-only after creation.
   ---------------------------------------------------------------------- */
#define DYNSESS__COOKIE_PREFIX "v1."
#define DYNSESS__COOKIE_SALT "dynsess/cookie/v1"
#define DYNSESS__COOKIE_OVERHEAD (1 + DYNSESS_XCHACHA_NONCE_SIZE + 16 + DYNSESS_AEAD_TAG_SIZE)

typedef struct dynsess__cookie_store {
    dynsess_store base;                                  /* first: the vtable */
    uint8_t keys[DYNSESS_MAX_SECRETS][DYNSESS_XCHACHA_KEY_SIZE];
    uint8_t key_ids[DYNSESS_MAX_SECRETS];
    int nkeys;                                           /* keys[0] seals */
    char *name;                                          /* cookie name copy */
    size_t name_len;
    size_t max_len;
    dynsess_rng rng;
    dynsess_allocator alloc;
} dynsess__cookie_store;

static void dynsess__cookie_put64(uint8_t *p, int64_t v) {
    uint64_t u = (uint64_t)v;
    int i;
    for (i = 7; i >= 0; i--) { p[i] = (uint8_t)u; u >>= 8; }
}
static int64_t dynsess__cookie_get64(const uint8_t *p) {
    uint64_t u = 0;
    int i;
    for (i = 0; i < 8; i++) u = (u << 8) | p[i];
    return (int64_t)u;
}

/* ad = "v1." || key_id || cookie name (public data), in a caller buffer of 4 + name_len. */
static void dynsess__cookie_ad(const dynsess__cookie_store *cs, uint8_t kid, uint8_t *ad) {
    memcpy(ad, DYNSESS__COOKIE_PREFIX, 3);
    ad[3] = kid;
    if (cs->name_len) memcpy(ad + 4, cs->name, cs->name_len);
}

/* Opens a cookie value. CT: the tag check is constant-time (inside the
   AEAD); the branches here depend on public data only: lengths, the format
   prefix, base64url syntax, the key id byte and the accept/reject outcome. */
static dynsess_status dynsess__cookie_load(dynsess_store *st, dynsess_str token, int64_t now,
                                           dynsess_record *out, dynsess_error *err) {
    dynsess__cookie_store *cs = (dynsess__cookie_store *)st;
    uint8_t *raw = 0, *ad = 0;
    size_t raw_cap, raw_len = 0, ct_len, ad_len;
    dynsess_status rc = DYNSESS_OK;
    int i, used = -1, kid_known = 0;
    int64_t created_at, expires_at;
    dynsess_error e2;
    dynsess_buf_reset(&out->data);
    if (!token.len)
        return dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "cookie: no cookie");
    if (token.len > cs->max_len)
        return dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                             "cookie: value of %lu bytes is over max_cookie_len",
                             (unsigned long)token.len);
    if (token.len < 3 || memcmp(token.ptr, DYNSESS__COOKIE_PREFIX, 3) != 0)
        return dynsess__fail(err, DYNSESS_E_NOTFOUND, 0, "cookie: unknown format version");
    raw_cap = (token.len - 3) / 4 * 3 + 3;
    ad_len = 4 + cs->name_len;
    raw = (uint8_t *)dynsess__alloc(&cs->alloc, raw_cap + ad_len);
    if (!raw) return dynsess__fail_nomem(err, "cookie");
    ad = raw + raw_cap;
    if (dynsess_base64url_decode(token.ptr + 3, token.len - 3, raw, raw_cap, &raw_len, &e2)) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, e2.offset == DYNSESS_NO_OFFSET ? e2.offset : e2.offset + 3,
                           "cookie: bad base64url (%s)", e2.msg);
        goto done;
    }
    if (raw_len < DYNSESS__COOKIE_OVERHEAD) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "cookie: too short (%lu bytes)",
                           (unsigned long)raw_len);
        goto done;
    }
    ct_len = raw_len - 1 - DYNSESS_XCHACHA_NONCE_SIZE - DYNSESS_AEAD_TAG_SIZE;
    dynsess__cookie_ad(cs, raw[0], ad);
    /* key_id is public: picking candidates by it leaks nothing. Opening
       checks the tag first, so a failed try leaves the ciphertext intact. */
    for (i = 0; i < cs->nkeys && used < 0; i++) {
        if (cs->key_ids[i] != raw[0]) continue;
        kid_known = 1;
        if (dynsess_xchacha20poly1305_open(cs->keys[i], raw + 1, ad, ad_len,
                                           raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE, ct_len,
                                           raw + raw_len - DYNSESS_AEAD_TAG_SIZE,
                                           raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE, 0) == DYNSESS_OK)
            used = i;
    }
    if (used < 0) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                           kid_known ? "cookie: authentication failed (tampered, other secret or "
                                       "other cookie name)"
                                     : "cookie: sealed with an unknown key (key id %u)",
                           (unsigned)raw[0]);
        goto done;
    }
    created_at = dynsess__cookie_get64(raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE);
    expires_at = dynsess__cookie_get64(raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE + 8);
    if (expires_at <= now) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "cookie: expired");
        goto done;
    }
    rc = dynsess_buf_append(&out->data, raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE + 16, ct_len - 16, err);
    if (rc) goto done;
    out->created_at = created_at;
    out->expires_at = expires_at;
    out->version = 0;
    out->stale = used != 0;
done:
    dynsess_wipe(raw, raw_cap + ad_len);
    dynsess__free(&cs->alloc, raw);
    return rc;
}

/* Seals w into token_out. CT: depends on the session length only. */
static dynsess_status dynsess__cookie_save(dynsess_store *st, const dynsess_write *w, int64_t now,
                                           dynsess_buf *token_out, dynsess_error *err) {
    dynsess__cookie_store *cs = (dynsess__cookie_store *)st;
    size_t raw_len, sealed_len, pt_len, ad_len = 4 + cs->name_len;
    uint8_t *raw = 0, *ad, *pt;
    dynsess_status rc;
    (void)now;
    dynsess_buf_reset(token_out);
    if (!dynsess__size_add(w->data.len, DYNSESS__COOKIE_OVERHEAD, &raw_len) ||
        raw_len > ((size_t)-1 / 4) * 3 - 3 ||
        (sealed_len = 3 + DYNSESS_BASE64URL_LEN(raw_len)) > cs->max_len)
        return dynsess__fail(err, DYNSESS_E_COOKIE_SIZE, DYNSESS_NO_OFFSET,
                             "cookie: a %lu-byte session seals to more than max_cookie_len (%lu); "
                             "store less or use a server-side store",
                             (unsigned long)w->data.len, (unsigned long)cs->max_len);
    raw = (uint8_t *)dynsess__alloc(&cs->alloc, raw_len + ad_len);
    if (!raw) return dynsess__fail_nomem(err, "cookie");
    ad = raw + raw_len;
    pt = raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE;
    pt_len = 16 + w->data.len;
    raw[0] = cs->key_ids[0];
    rc = dynsess__rng_fill(&cs->rng, raw + 1, DYNSESS_XCHACHA_NONCE_SIZE, err);
    if (rc) goto done;
    dynsess__cookie_put64(pt, w->created_at);
    dynsess__cookie_put64(pt + 8, w->expires_at);
    if (w->data.len) memcpy(pt + 16, w->data.ptr, w->data.len);
    dynsess__cookie_ad(cs, raw[0], ad);
    dynsess_xchacha20poly1305_seal(cs->keys[0], raw + 1, ad, ad_len, pt, pt_len, pt, pt + pt_len);
    rc = dynsess_buf_reserve(token_out, sealed_len, err);
    if (rc) goto done;
    memcpy(token_out->ptr, DYNSESS__COOKIE_PREFIX, 3);
    token_out->len = 3 + dynsess_base64url_encode(raw, raw_len, token_out->ptr + 3, token_out->cap - 3);
done:
    dynsess_wipe(raw, raw_len + ad_len);
    dynsess__free(&cs->alloc, raw);
    return rc;
}

static dynsess_status dynsess__cookie_destroy(dynsess_store *st, dynsess_str token, dynsess_error *err) {
    (void)st; (void)token; (void)err;
    return DYNSESS_OK; /* the data lives in the cookie; @session clears it */
}

static void dynsess__cookie_close(dynsess_store *st) {
    dynsess__cookie_store *cs = (dynsess__cookie_store *)st;
    dynsess_allocator a;
    if (!cs) return;
    a = cs->alloc;
    if (cs->name) dynsess__free(&a, cs->name);
    dynsess_wipe(cs, sizeof *cs);
    dynsess__free(&a, cs);
}

static const dynsess_store_vt dynsess__cookie_vt = {
    "cookie", DYNSESS_STORE_SELF_CONTAINED, dynsess__cookie_load, dynsess__cookie_save,
    dynsess__cookie_destroy, 0, dynsess__cookie_close};

DYNSESS_DEF dynsess_status dynsess_store_cookie_new(const dynsess_cookie_desc *desc,
                                                    dynsess_store **out, dynsess_error *err) {
    static const char key_info[] = "dynsess/cookie/v1 xchacha20-poly1305 key";
    static const char kid_info[] = "dynsess/cookie/v1 key id";
    dynsess__cookie_store *cs;
    const char *name;
    uint8_t prk[DYNSESS_SHA256_SIZE];
    int i;
    if (out) *out = 0;
    if (!desc || !out)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "cookie: desc and out are required");
    if (!dynsess__allocator_valid(&desc->allocator))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "cookie: allocator needs both alloc and free (desc.allocator)");
    for (i = 0; i < DYNSESS_MAX_SECRETS; i++) {
        size_t len = desc->secrets[i].len;
        if (!desc->secrets[i].ptr && len)
            return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                                 "cookie: desc.secrets[%d] has a length but no bytes", i);
        if (i == 0 && !len)
            return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                                 "cookie: no secret (desc.secrets[0]); generate one with "
                                 "`dynsess keygen` (make builds build/dynsess)");
        if (len && len < DYNSESS_MIN_SECRET_LEN)
            return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                                 "cookie: desc.secrets[%d] is %lu bytes, at least %d are required",
                                 i, (unsigned long)len, DYNSESS_MIN_SECRET_LEN);
    }
    name = desc->cookie_name ? desc->cookie_name : "session";
    if (!name[0])
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "cookie: empty cookie name (desc.cookie_name)");
    cs = (dynsess__cookie_store *)dynsess__alloc(&desc->allocator, sizeof *cs);
    if (!cs) return dynsess__fail_nomem(err, "cookie");
    memset(cs, 0, sizeof *cs);
    cs->alloc = desc->allocator;
    cs->name_len = strlen(name);
    cs->name = (char *)dynsess__alloc(&cs->alloc, cs->name_len + 1);
    if (!cs->name) {
        dynsess__free(&cs->alloc, cs);
        return dynsess__fail_nomem(err, "cookie");
    }
    memcpy(cs->name, name, cs->name_len + 1);
    cs->base.vt = &dynsess__cookie_vt;
    cs->max_len = desc->max_cookie_len ? desc->max_cookie_len : DYNSESS_COOKIE_MAX_LEN_DEFAULT;
    cs->rng = desc->rng;
    for (i = 0; i < DYNSESS_MAX_SECRETS; i++) {
        if (!desc->secrets[i].len) continue;
        dynsess_hkdf_sha256_extract(DYNSESS__COOKIE_SALT, sizeof DYNSESS__COOKIE_SALT - 1,
                                    desc->secrets[i].ptr, desc->secrets[i].len, prk);
        (void)dynsess_hkdf_sha256_expand(prk, key_info, sizeof key_info - 1, cs->keys[cs->nkeys],
                                         DYNSESS_XCHACHA_KEY_SIZE, 0);
        (void)dynsess_hkdf_sha256_expand(prk, kid_info, sizeof kid_info - 1, &cs->key_ids[cs->nkeys],
                                         1, 0);
        cs->nkeys++;
    }
    dynsess_wipe(prk, sizeof prk);
    *out = &cs->base;
    return DYNSESS_OK;
}
#undef DYNSESS__COOKIE_PREFIX
#undef DYNSESS__COOKIE_SALT
#undef DYNSESS__COOKIE_OVERHEAD

/* ----------------------------------------------------------------------
   @store >dynamodb  implementation: CRC-32, error bodies, retries with
   full-jitter backoff, clock-skew correction, the client, the store and
   the environment configuration with its memory fallback
   Assumes: POSIX poll(2) and gettimeofday(2) for the default sleep and the
   retry budget; the JSON codec (@json) for reply bodies.
   ---------------------------------------------------------------------- */
#include <poll.h>
#include <sys/time.h>
#include <pthread.h>

/* ---- CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) ---------------------
   dynsess_crc32 uses a half-byte table (no state); each client builds
   slicing-by-8 tables (8 KiB) once, for ~8x the speed on large replies. */
DYNSESS_DEF uint32_t dynsess_crc32(const void *p, size_t n) {
    static const uint32_t t[16] = {
        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
        0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
    const uint8_t *s = (const uint8_t *)p;
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    for (i = 0; i < n; i++) {
        c ^= s[i];
        c = (c >> 4) ^ t[c & 15];
        c = (c >> 4) ^ t[c & 15];
    }
    return c ^ 0xFFFFFFFFu;
}

static void dynsess__crc32_tables(uint32_t t[8][256]) {
    uint32_t i, k;
    for (i = 0; i < 256; i++) {
        uint32_t c = i;
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        t[0][i] = c;
    }
    for (i = 0; i < 256; i++)
        for (k = 1; k < 8; k++) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 255];
}

/* Slicing-by-8 (byte order independent: the words are assembled from bytes). */
static uint32_t dynsess__crc32_fast(const uint32_t t[8][256], const void *p, size_t n) {
    const uint8_t *s = (const uint8_t *)p;
    uint32_t c = 0xFFFFFFFFu;
    while (n >= 8) {
        uint32_t a = c ^ ((uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24);
        c = t[7][a & 255] ^ t[6][(a >> 8) & 255] ^ t[5][(a >> 16) & 255] ^ t[4][a >> 24] ^
            t[3][s[4]] ^ t[2][s[5]] ^ t[1][s[6]] ^ t[0][s[7]];
        s += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ t[0][(c ^ *s++) & 255];
    return c ^ 0xFFFFFFFFu;
}

/* ---- small helpers ---------------------------------------------------------- */
/* Milliseconds from a wall clock, for the retry budget only. */
static int64_t dynsess__ddb_ms(void) {
    struct timeval tv;
    if (gettimeofday(&tv, 0) != 0) return 0;
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void dynsess__ddb_default_sleep(void *user, int32_t ms) {
    (void)user;
    if (ms > 0) poll(0, 0, (int)ms);
}

/* Copies s (n bytes) into a NUL-terminated fixed field, truncating. */
static void dynsess__ddb_copy(char *dst, size_t cap, const char *s, size_t n) {
    if (!cap) return;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, s, n);
    dst[n] = 0;
}

static int dynsess__ddb_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* 1 if hay (n bytes) contains needle, ASCII case-insensitively. */
static int dynsess__ddb_contains(const char *hay, size_t n, const char *needle) {
    size_t m = strlen(needle), i, j;
    if (m > n) return 0;
    for (i = 0; i + m <= n; i++) {
        for (j = 0; j < m; j++)
            if (dynsess__ddb_lower((unsigned char)hay[i + j]) != dynsess__ddb_lower((unsigned char)needle[j])) break;
        if (j == m) return 1;
    }
    return 0;
}

static int dynsess__ddb_streq_ci(const char *a, const char *b) {
    while (*a && *b && dynsess__ddb_lower((unsigned char)*a) == dynsess__ddb_lower((unsigned char)*b)) a++, b++;
    return *a == 0 && *b == 0;
}

/* Appends s as a JSON string literal (quotes included). Bytes >= 0x80 pass
   through: callers give UTF-8 (our own JSON text, ids, names). */
static dynsess_status dynsess__ddb_jstr(dynsess_buf *b, const char *s, size_t n, dynsess_error *err) {
    static const char hex[] = "0123456789abcdef";
    size_t i, start = 0;
    dynsess_status rc;
    if ((rc = dynsess_buf_reserve(b, n + 2, err))) return rc; /* the common case: nothing to escape */
    if ((rc = dynsess_buf_append(b, "\"", 1, err))) return rc;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t elen = 2;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        esc[0] = '\\';
        if (c == '"' || c == '\\') esc[1] = (char)c;
        else if (c == '\n') esc[1] = 'n';
        else if (c == '\r') esc[1] = 'r';
        else if (c == '\t') esc[1] = 't';
        else {
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15]; elen = 6;
        }
        if (i > start && (rc = dynsess_buf_append(b, s + start, i - start, err))) return rc;
        if ((rc = dynsess_buf_append(b, esc, elen, err))) return rc;
        start = i + 1;
    }
    if (n > start && (rc = dynsess_buf_append(b, s + start, n - start, err))) return rc;
    return dynsess_buf_append(b, "\"", 1, err);
}

static dynsess_status dynsess__ddb_jz(dynsess_buf *b, const char *s, dynsess_error *err) {
    return dynsess__ddb_jstr(b, s, strlen(s), err);
}

/* Appends {"N":"<v>"}. */
static dynsess_status dynsess__ddb_jnum(dynsess_buf *b, int64_t v, dynsess_error *err) {
    char tmp[40];
    snprintf(tmp, sizeof tmp, "{\"N\":\"%lld\"}", (long long)v);
    return dynsess_buf_appendz(b, tmp, err);
}

/* Parses a DynamoDB N holding an integer (a fraction is truncated).
   Returns 1 and *out, or 0 if it is not a number in int64 range. */
static int dynsess__ddb_parse_int(dynsess_str s, int64_t *out) {
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0;
    if (i < s.len && (s.ptr[i] == '-' || s.ptr[i] == '+')) neg = s.ptr[i++] == '-';
    if (i >= s.len || s.ptr[i] < '0' || s.ptr[i] > '9') return 0;
    for (; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++) {
        if (v > (UINT64_C(9223372036854775807) - (uint64_t)(s.ptr[i] - '0')) / 10) return 0;
        v = v * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    if (i < s.len && s.ptr[i] == '.') {
        for (i++; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++) {}
    }
    if (i != s.len) return 0; /* exponents: not written by any app we share with */
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 1;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil). */
static int64_t dynsess__ddb_days(int64_t y, int m, int d) {
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parses an HTTP Date (RFC 9110 §5.6.7 IMF-fixdate, "Sun, 06 Nov 1994
   08:49:37 GMT") or an X-Amz-Date. Returns 1 and epoch seconds, or 0. */
static int dynsess__ddb_parse_http_date(dynsess_str s, int64_t *out) {
    static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    char buf[64];
    int d = 0, y = 0, hh = 0, mm = 0, ss = 0, m, i;
    char mon[4];
    const char *p;
    if (s.len == 0 || s.len >= sizeof buf) return 0;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = 0;
    p = strchr(buf, ',');
    if (p) {
        char tail[8];
        if (sscanf(p + 1, " %2d %3s %4d %2d:%2d:%2d %7s", &d, mon, &y, &hh, &mm, &ss, tail) != 7)
            return 0;
        if (strcmp(tail, "GMT") != 0) return 0;
        for (i = 0; i < 3; i++) mon[i] = (char)dynsess__ddb_lower((unsigned char)mon[i]);
        for (m = 0; m < 12; m++)
            if (!memcmp(months + 3 * m, mon, 3)) break;
        if (m == 12 || d < 1 || d > 31 || y < 1970 || hh > 23 || mm > 59 || ss > 60) return 0;
        *out = dynsess__ddb_days(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
        return 1;
    }
    return dynsess_sigv4_parse_time(s, out, 0) == DYNSESS_OK;
}

/* ---- the client ----------------------------------------------------------------- */
struct dynsess_ddb {
    dynsess_ddb_desc d;              /* resolved copy; region/endpoint point into ep  */
    dynsess_endpoint ep;
    char path[DYNSESS_URL_PATH_MAX + 2];
    dynsess_transport transport;
    int own_transport;
    dynsess_aws_creds creds;         /* env credentials (when no provider was given) */
    dynsess_sigv4_signer signer;
    dynsess_http_response resp;
    int64_t skew;                    /* server clock minus ours, seconds              */
    uint32_t crc[8][256];            /* slicing-by-8 tables for x-amz-crc32           */
};

DYNSESS_DEF int64_t dynsess_ddb_clock_skew(const dynsess_ddb *c) { return c ? c->skew : 0; }

DYNSESS_DEF void dynsess_ddb_free(dynsess_ddb *c) {
    dynsess_allocator a;
    if (!c) return;
    a = c->d.allocator;
    if (c->own_transport) dynsess_transport_free(&c->transport);
    dynsess_http_response_free(&c->resp);
    dynsess_aws_creds_wipe(&c->creds);
    dynsess_sigv4_signer_wipe(&c->signer);
    dynsess_wipe(c, sizeof *c);
    dynsess__free(&a, c);
}

DYNSESS_DEF dynsess_status dynsess_ddb_new(const dynsess_ddb_desc *desc, dynsess_ddb **out,
                                           dynsess_error *err) {
    dynsess_ddb *c;
    dynsess_status rc;
    dynsess_ddb_desc zero;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "dynamodb: out is 0");
    *out = 0;
    if (!desc) { memset(&zero, 0, sizeof zero); desc = &zero; }
    if (!dynsess__allocator_valid(&desc->allocator))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "dynamodb: allocator needs both alloc and free (ddb.allocator)");
    c = (dynsess_ddb *)dynsess__alloc(&desc->allocator, sizeof *c);
    if (!c) return dynsess__fail_nomem(err, "dynamodb");
    memset(c, 0, sizeof *c);
    c->d = *desc;
    dynsess_http_response_init(&c->resp, &c->d.allocator);
    dynsess_sigv4_signer_init(&c->signer);
    dynsess__crc32_tables(c->crc);
    DYNSESS__DEF(c->d.timeout_ms, 3000);
    DYNSESS__DEF(c->d.max_reply_len, (size_t)4 << 20);
    DYNSESS__DEF(c->d.retry.max_attempts, 4);
    DYNSESS__DEF(c->d.retry.base_delay_ms, 25);
    DYNSESS__DEF(c->d.retry.max_delay_ms, 1000);
    DYNSESS__DEF(c->d.retry.max_total_ms, 5000);
    if (!c->d.retry.sleep_ms) c->d.retry.sleep_ms = dynsess__ddb_default_sleep;
    if (c->d.timeout_ms < 0 || c->d.retry.max_attempts < 0 || c->d.retry.base_delay_ms < 0 ||
        c->d.retry.max_delay_ms < 0 || c->d.retry.max_total_ms < 0) {
        rc = dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                           "dynamodb: negative timeout or retry setting (ddb.retry)");
        goto fail;
    }
    /* region and endpoint */
    if (desc->endpoint && desc->endpoint[0]) {
        rc = dynsess_url_parse(desc->endpoint, &c->ep, err);
        if (!rc) rc = dynsess_aws_region(desc->region, &c->d.env, c->ep.region,
                                         sizeof c->ep.region, err);
    } else {
        rc = dynsess_aws_endpoint("dynamodb", desc->region, &c->d.env, &c->ep, err);
    }
    if (rc) goto fail;
    if (strlen(c->ep.path) + 2 > sizeof c->path) {
        rc = dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET, "dynamodb: endpoint path too long");
        goto fail;
    }
    snprintf(c->path, sizeof c->path, "%s/", c->ep.path);
    c->d.region = c->ep.region;
    c->d.endpoint = 0;
    /* credentials: a provider, else the environment, read once */
    if (!c->d.credentials.fn) {
        rc = dynsess_aws_creds_from_env(&c->creds, &c->d.env, err);
        if (rc) goto fail;
        c->d.credentials = dynsess_aws_creds_provider(&c->creds);
    }
    /* transport */
    if (!c->transport.fn && !c->d.transport.fn) {
        dynsess_transport_desc td;
        memset(&td, 0, sizeof td);
        td.timeout_ms = c->d.timeout_ms;
        td.connect_timeout_ms = c->d.timeout_ms;
        td.max_response = c->d.max_reply_len + 65536;
        td.allocator = c->d.allocator;
#ifdef DYNSESS_WITH_CURL
        rc = dynsess_transport_curl_new(&td, &c->transport, err);
#else
        if (!strcmp(c->ep.scheme, "https")) {
            rc = dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                               "dynamodb: https endpoint needs a TLS transport (build with "
                               "DYNSESS_WITH_CURL or set ddb.transport)");
            goto fail;
        }
        rc = dynsess_transport_plain_new(&td, &c->transport, err);
#endif
        if (rc) goto fail;
        c->own_transport = 1;
    } else {
        c->transport = c->d.transport;
    }
    *out = c;
    return DYNSESS_OK;
fail:
    dynsess_ddb_free(c);
    return rc;
}

/* One signed HTTP exchange. OK when a whole HTTP reply was read (any status). */
static dynsess_status dynsess__ddb_send_once(dynsess_ddb *c, const char *op, dynsess_str body,
                                             dynsess_error *err) {
    dynsess_http_header h[7];
    dynsess_sigv4_request sr;
    dynsess_sigv4_result res;
    dynsess_aws_credentials cr;
    dynsess_http_request hr;
    char target[96];
    dynsess_status rc;
    size_t n = 0;
    if (strlen(op) > 64)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "dynamodb: operation name too long");
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
    h[n].name = dynsess_cstr("Host"); h[n++].value = dynsess_cstr(c->ep.host_header);
    h[n].name = dynsess_cstr("Content-Type"); h[n++].value = dynsess_cstr("application/x-amz-json-1.0");
    h[n].name = dynsess_cstr("X-Amz-Target"); h[n++].value = dynsess_cstr(target);
    memset(&cr, 0, sizeof cr);
    rc = c->d.credentials.fn(c->d.credentials.user, &cr, err);
    if (rc) {
        if (err && !err->msg[0])
            dynsess__fail(err, rc, DYNSESS_NO_OFFSET, "dynamodb: the credentials provider failed");
        return rc;
    }
    memset(&sr, 0, sizeof sr);
    sr.method = "POST";
    sr.path = dynsess_cstr(c->path);
    sr.headers = h;
    sr.header_count = n;
    sr.payload = body;
    sr.region = c->ep.region;
    sr.service = "dynamodb";
    sr.time = dynsess__clock_now(&c->d.clock) + c->skew;
    rc = dynsess_sigv4_sign(&c->signer, &cr, &sr, &res, err);
    if (rc) return rc;
    h[n].name = dynsess_cstr("X-Amz-Date"); h[n++].value = dynsess_cstr(res.amz_date);
    if (res.session_token.len) { h[n].name = dynsess_cstr("X-Amz-Security-Token"); h[n++].value = res.session_token; }
    h[n].name = dynsess_cstr("Authorization");
    h[n].value.ptr = res.authorization; h[n++].value.len = res.authorization_len;
    memset(&hr, 0, sizeof hr);
    hr.method = "POST";
    hr.scheme = c->ep.scheme;
    hr.host = c->ep.host;
    hr.port = c->ep.port;
    hr.path = c->path;
    hr.headers = h;
    hr.header_count = n;
    hr.body = body;
    hr.timeout_ms = c->d.timeout_ms;
    /* res holds no secret (the signature goes on the wire; the token is borrowed) */
    return dynsess_http_send(&c->transport, &hr, &c->resp, err);
}

/* Maps a DynamoDB error type to a status; sets *retry for retryable kinds. */
static dynsess_status dynsess__ddb_classify(int status, const char *type, const char *msg, int *retry) {
    *retry = 0;
    if (!strcmp(type, "ProvisionedThroughputExceededException") || !strcmp(type, "ThrottlingException") ||
        !strcmp(type, "RequestLimitExceeded") || !strcmp(type, "Throttling") ||
        !strcmp(type, "TooManyRequestsException") || status == 429) {
        *retry = 1;
        return DYNSESS_E_THROTTLED;
    }
    if (!strcmp(type, "ConditionalCheckFailedException")) return DYNSESS_E_CONFLICT;
    if (!strcmp(type, "AccessDeniedException") || !strcmp(type, "UnrecognizedClientException") ||
        !strcmp(type, "InvalidSignatureException") || !strcmp(type, "ExpiredTokenException") ||
        !strcmp(type, "MissingAuthenticationTokenException") ||
        !strcmp(type, "IncompleteSignatureException") || !strcmp(type, "InvalidClientTokenId") ||
        status == 403)
        return DYNSESS_E_AUTH;
    if (!strcmp(type, "ValidationException") && (dynsess__ddb_contains(msg, strlen(msg), "item size") ||
                                                 dynsess__ddb_contains(msg, strlen(msg), "maximum allowed size")))
        return DYNSESS_E_LIMIT;
    if (status >= 500) { *retry = 1; return DYNSESS_E_AWS; }
    return DYNSESS_E_AWS;
}

/* Fills e->type/message from an error reply: the JSON body's __type (after
   the last '#') and message/Message, else the x-amzn-ErrorType header. */
static void dynsess__ddb_parse_error(dynsess_ddb *c, dynsess_ddb_error *e) {
    dynsess_doc *doc = 0;
    dynsess_value *root = 0;
    dynsess_str v;
    e->type[0] = e->message[0] = 0;
    if (c->resp.body.len && dynsess_doc_new(&c->d.allocator, &doc, 0) == DYNSESS_OK &&
        dynsess_json_parse(doc, c->resp.body.ptr, c->resp.body.len, 0, &root, 0) == DYNSESS_OK &&
        dynsess_value_type(root) == DYNSESS_JSON_OBJECT) {
        const dynsess_value *t = dynsess_object_get(root, "__type", 6);
        const dynsess_value *m = dynsess_object_get(root, "message", 7);
        if (!m) m = dynsess_object_get(root, "Message", 7);
        if (dynsess_value_type(t) == DYNSESS_JSON_STRING) {
            size_t i;
            v = dynsess_value_str(t);
            for (i = v.len; i > 0; i--)
                if (v.ptr[i - 1] == '#') break;
            dynsess__ddb_copy(e->type, sizeof e->type, v.ptr + i, v.len - i);
        }
        if (dynsess_value_type(m) == DYNSESS_JSON_STRING) {
            v = dynsess_value_str(m);
            dynsess__ddb_copy(e->message, sizeof e->message, v.ptr, v.len);
        }
    }
    dynsess_doc_free(doc);
    if (!e->type[0] && dynsess_http_response_header(&c->resp, "x-amzn-ErrorType", &v)) {
        size_t i;
        for (i = 0; i < v.len && v.ptr[i] != ':'; i++) {}
        dynsess__ddb_copy(e->type, sizeof e->type, v.ptr, i);
    }
    { /* keep messages printable: they reach logs */
        char *p;
        for (p = e->message; *p; p++) if ((unsigned char)*p < 0x20) *p = ' ';
        for (p = e->type; *p; p++) if ((unsigned char)*p <= 0x20 || *p == '"') *p = '_';
    }
}

DYNSESS_DEF dynsess_status dynsess_ddb_call(dynsess_ddb *c, const char *operation,
                                            dynsess_str json_body, dynsess_buf *reply,
                                            dynsess_ddb_error *aws_err, dynsess_error *err) {
    dynsess_ddb_error local;
    dynsess_ddb_error *e = aws_err ? aws_err : &local;
    dynsess_status rc = DYNSESS_E_INTERNAL;
    size_t reply_start = reply ? reply->len : 0;
    int attempt = 0, skew_fixed = 0;
    int64_t start = dynsess__ddb_ms();
    memset(e, 0, sizeof *e);
    if (!c || !operation || !operation[0] || (!json_body.ptr && json_body.len))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "dynamodb: bad arguments to call");
    for (;;) {
        dynsess_error terr;
        dynsess_str hv;
        int retry = 0;
        dynsess_error_clear(&terr);
        attempt++;
        e->attempts = attempt;
        e->http_status = 0;
        e->type[0] = e->message[0] = 0;
        rc = dynsess__ddb_send_once(c, operation, json_body, &terr);
        if (rc == DYNSESS_E_CONNECT || rc == DYNSESS_E_TIMEOUT || rc == DYNSESS_E_HTTP) {
            retry = 1; /* connect failures, timeouts, truncated replies */
            dynsess__fail(err, rc, DYNSESS_NO_OFFSET, "dynamodb: %s: %s", operation, terr.msg);
        } else if (rc) {
            if (err) *err = terr;
            e->retryable = 0;
            return rc;
        } else {
            e->http_status = c->resp.status;
            if (dynsess_http_response_header(&c->resp, "x-amz-crc32", &hv)) {
                int64_t want;
                if (!dynsess__ddb_parse_int(hv, &want) ||
                    (uint64_t)want != (uint64_t)dynsess__crc32_fast((const uint32_t(*)[256])c->crc, c->resp.body.ptr,
                                                                        c->resp.body.len)) {
                    retry = 1;
                    rc = dynsess__fail(err, DYNSESS_E_HTTP, DYNSESS_NO_OFFSET,
                                       "dynamodb: %s: x-amz-crc32 mismatch (reply corrupted or truncated)",
                                       operation);
                }
            }
            if (!rc && c->resp.status == 200) {
                if (c->resp.body.len > c->d.max_reply_len)
                    return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                                         "dynamodb: %s: reply of %lu bytes over the limit", operation,
                                         (unsigned long)c->resp.body.len);
                if (reply) {
                    reply->len = reply_start;
                    if (reply->ptr) reply->ptr[reply_start] = 0;
                    rc = dynsess_buf_append(reply, c->resp.body.ptr, c->resp.body.len, err);
                    if (rc) return rc;
                }
                return DYNSESS_OK;
            }
            if (!rc) {
                dynsess__ddb_parse_error(c, e);
                rc = dynsess__ddb_classify(c->resp.status, e->type, e->message, &retry);
                if (!e->type[0] && c->resp.status < 500 && c->resp.status != 429)
                    rc = DYNSESS_E_HTTP; /* 1xx/3xx/4xx that is not DynamoDB's JSON */
                /* clock skew: correct once from the Date header, as the SDKs do */
                if (!strcmp(e->type, "InvalidSignatureException") && !skew_fixed &&
                    (dynsess__ddb_contains(e->message, strlen(e->message), "signature expired") ||
                     dynsess__ddb_contains(e->message, strlen(e->message), "not yet current")) &&
                    dynsess_http_response_header(&c->resp, "Date", &hv)) {
                    int64_t server;
                    if (dynsess__ddb_parse_http_date(hv, &server)) {
                        int64_t skew = server - dynsess__clock_now(&c->d.clock);
                        skew_fixed = 1;
                        if (skew != c->skew) {
                            dynsess__log(&c->d.logger, DYNSESS_LOG_WARN,
                                         "dynamodb: clock skew of %lld s corrected from the Date header",
                                         (long long)(skew - c->skew));
                            c->skew = skew;
                            attempt--; /* the skew retry is free, and happens once */
                            continue;
                        }
                    }
                }
                if (e->type[0])
                    dynsess__fail(err, rc, DYNSESS_NO_OFFSET, "dynamodb: %s: %s: %s", operation, e->type,
                                  e->message[0] ? e->message : "(no message)");
                else
                    dynsess__fail(err, rc, DYNSESS_NO_OFFSET, "dynamodb: %s: http status %d", operation,
                                  c->resp.status);
                if (reply) { /* error bodies are useful: ALL_OLD items on conditional failures */
                    dynsess_status rc2;
                    reply->len = reply_start;
                    if (reply->ptr) reply->ptr[reply_start] = 0;
                    rc2 = dynsess_buf_append(reply, c->resp.body.ptr,
                                             c->resp.body.len < c->d.max_reply_len ? c->resp.body.len : 0, 0);
                    (void)rc2;
                }
            }
        }
        e->retryable = retry;
        if (!retry) return rc;
        {
            int64_t elapsed = dynsess__ddb_ms() - start, cap;
            uint32_t r = 0;
            int32_t delay;
            if (attempt >= c->d.retry.max_attempts || elapsed < 0 || elapsed >= c->d.retry.max_total_ms) {
                if (err && attempt > 1) {
                    size_t l = strlen(err->msg);
                    snprintf(err->msg + l, sizeof err->msg - l, " (after %d attempts)", attempt);
                }
                return rc;
            }
            cap = (int64_t)c->d.retry.base_delay_ms << (attempt - 1 < 20 ? attempt - 1 : 20);
            if (cap > c->d.retry.max_delay_ms) cap = c->d.retry.max_delay_ms;
            if (cap > c->d.retry.max_total_ms - elapsed) cap = c->d.retry.max_total_ms - elapsed;
            if (dynsess__rng_fill(&c->d.rng, &r, sizeof r, 0) != DYNSESS_OK) r = 0;
            delay = (int32_t)(cap > 0 ? (int64_t)(r % (uint32_t)(cap + 1)) : 0);
            dynsess__log(&c->d.logger, DYNSESS_LOG_INFO, "dynamodb: %s attempt %d failed (%s), retrying in %ld ms",
                         operation, attempt, err ? err->msg : dynsess_strerror(rc), (long)delay);
            c->d.retry.sleep_ms(c->d.retry.sleep_user, delay);
        }
    }
}

/* ---- the store ---------------------------------------------------------------------- */
typedef struct dynsess__ddb_store {
    dynsess_store base;
    dynsess_ddb *client;
    int own_client;
    char *names;                     /* one block: table \0 id \0 data \0 created \0 ttl \0 version \0 */
    const char *table, *a_id, *a_data, *a_created, *a_ttl, *a_version;
    int consistent;
    int hash_ids;
    uint8_t id_key[256];
    size_t id_key_len;
    dynsess_allocator alloc;
    dynsess_logger logger;
    dynsess_buf body, reply;
    int thread_safe;
    pthread_mutex_t mu;
    char key[DYNSESS_BASE64URL_LEN(DYNSESS_SHA256_SIZE) + 1]; /* hashed id */
} dynsess__ddb_store;

#define DYNSESS__DDB_MAX_ID 1024 /* DynamoDB allows 2048-byte hash keys */

/* The key stored for a session id: the id, or base64url(HMAC(id_key, id)). */
static dynsess_status dynsess__ddb_key(dynsess__ddb_store *s, dynsess_str token, dynsess_str *key,
                                       dynsess_error *err) {
    if (!token.len || token.len > DYNSESS__DDB_MAX_ID || !token.ptr)
        return dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "dynamodb: empty or oversized session id");
    if (!s->hash_ids) { *key = token; return DYNSESS_OK; }
    {
        uint8_t mac[DYNSESS_SHA256_SIZE];
        dynsess_hmac_sha256(s->id_key, s->id_key_len, token.ptr, token.len, mac);
        dynsess_base64url_encode(mac, sizeof mac, s->key, sizeof s->key);
        dynsess_wipe(mac, sizeof mac);
        *key = dynsess_cstr(s->key);
    }
    return DYNSESS_OK;
}

/* Starts a request body: {"TableName":"T","Key":{"<id>":{"S":"<key>"}} (no closing brace). */
static dynsess_status dynsess__ddb_begin(dynsess__ddb_store *s, dynsess_str key, int with_key,
                                         dynsess_error *err) {
    dynsess_status rc;
    dynsess_buf *b = &s->body;
    dynsess_buf_reset(b);
    if ((rc = dynsess_buf_appendz(b, "{\"TableName\":", err)) || (rc = dynsess__ddb_jz(b, s->table, err)))
        return rc;
    if (!with_key) return DYNSESS_OK;
    if ((rc = dynsess_buf_appendz(b, ",\"Key\":{", err)) || (rc = dynsess__ddb_jz(b, s->a_id, err)) ||
        (rc = dynsess_buf_appendz(b, ":{\"S\":", err)) || (rc = dynsess__ddb_jstr(b, key.ptr, key.len, err)) ||
        (rc = dynsess_buf_appendz(b, "}}", err)))
        return rc;
    return DYNSESS_OK;
}

/* ,"ExpressionAttributeNames":{"#i":id,"#d":data,"#c":created,"#t":ttl,"#v":version} for the
   letters in which ("idctv"). */
static dynsess_status dynsess__ddb_names(dynsess__ddb_store *s, const char *which, dynsess_error *err) {
    dynsess_status rc;
    dynsess_buf *b = &s->body;
    const char *w;
    if ((rc = dynsess_buf_appendz(b, ",\"ExpressionAttributeNames\":{", err))) return rc;
    for (w = which; *w; w++) {
        char ph[8];
        const char *name = *w == 'i' ? s->a_id : *w == 'd' ? s->a_data : *w == 'c' ? s->a_created
                         : *w == 't' ? s->a_ttl : s->a_version;
        snprintf(ph, sizeof ph, "%s\"#%c\":", w == which ? "" : ",", *w);
        if ((rc = dynsess_buf_appendz(b, ph, err)) || (rc = dynsess__ddb_jz(b, name, err))) return rc;
    }
    return dynsess_buf_appendz(b, "}", err);
}

/* What a parsed item holds. */
typedef struct dynsess__ddb_item {
    int present;
    dynsess_str data;   /* borrowed from the doc */
    int has_data;
    int64_t created_at, ttl, version;
    int has_created, has_ttl;
} dynsess__ddb_item;

static int dynsess__ddb_attr(const dynsess_value *item, const char *name, const char *type, dynsess_str *out) {
    const dynsess_value *a = dynsess_object_get(item, name, strlen(name));
    const dynsess_value *v = a ? dynsess_object_get(a, type, 1) : 0;
    if (dynsess_value_type(v) != DYNSESS_JSON_STRING) return 0;
    *out = dynsess_value_str(v);
    return 1;
}

/* Parses the "Item" member of reply text into it (strings borrowed from doc). */
static dynsess_status dynsess__ddb_parse_item(dynsess__ddb_store *s, dynsess_doc *doc, const dynsess_buf *reply,
                                              dynsess__ddb_item *it, dynsess_error *err) {
    dynsess_value *root = 0;
    const dynsess_value *item;
    dynsess_json_opts jo;
    dynsess_str v;
    dynsess_status rc;
    memset(it, 0, sizeof *it);
    memset(&jo, 0, sizeof jo);
    jo.max_len = reply->len + 1;
    jo.max_depth = 32;
    rc = dynsess_json_parse(doc, reply->ptr ? reply->ptr : "", reply->len, &jo, &root, err);
    if (rc) {
        if (rc == DYNSESS_E_NOMEM) return rc;
        return dynsess__fail(err, DYNSESS_E_HTTP, DYNSESS_NO_OFFSET,
                             "dynamodb: reply is not DynamoDB JSON (%lu bytes)", (unsigned long)reply->len);
    }
    item = dynsess_object_get(root, "Item", 4);
    if (dynsess_value_type(item) != DYNSESS_JSON_OBJECT) return DYNSESS_OK;
    it->present = 1;
    it->has_data = dynsess__ddb_attr(item, s->a_data, "S", &it->data);
    if (dynsess__ddb_attr(item, s->a_created, "N", &v)) it->has_created = dynsess__ddb_parse_int(v, &it->created_at);
    if (dynsess__ddb_attr(item, s->a_ttl, "N", &v)) it->has_ttl = dynsess__ddb_parse_int(v, &it->ttl);
    if (dynsess__ddb_attr(item, s->a_version, "N", &v) && !dynsess__ddb_parse_int(v, &it->version))
        it->version = 0;
    return DYNSESS_OK;
}

/* GetItem of key into s->reply. */
static dynsess_status dynsess__ddb_get(dynsess__ddb_store *s, dynsess_str key, int consistent,
                                       dynsess_error *err) {
    dynsess_status rc = dynsess__ddb_begin(s, key, 1, err);
    if (!rc && consistent) rc = dynsess_buf_appendz(&s->body, ",\"ConsistentRead\":true", err);
    if (!rc) rc = dynsess_buf_appendz(&s->body, "}", err);
    if (rc) return rc;
    dynsess_buf_reset(&s->reply);
    return dynsess_ddb_call(s->client, "GetItem", dynsess_cstr(s->body.ptr), &s->reply, 0, err);
}

static dynsess_status dynsess__ddb_load_unlocked(dynsess_store *st, dynsess_str token, int64_t now,
                                        dynsess_record *out, dynsess_error *err) {
    dynsess__ddb_store *s = (dynsess__ddb_store *)st;
    dynsess_doc *doc = 0;
    dynsess__ddb_item it;
    dynsess_str key;
    dynsess_status rc = dynsess__ddb_key(s, token, &key, err);
    if (rc) return rc;
    if ((rc = dynsess__ddb_get(s, key, s->consistent, err))) return rc;
    if ((rc = dynsess_doc_new(&s->alloc, &doc, err))) return rc;
    rc = dynsess__ddb_parse_item(s, doc, &s->reply, &it, err);
    if (rc) goto done;
    if (!it.present) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "dynamodb: no such session");
        goto done;
    }
    if (it.has_ttl && it.ttl <= now) { /* DynamoDB deletes expired items only eventually */
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "dynamodb: session expired");
        goto done;
    }
    {
        size_t i = 0;
        while (it.has_data && i < it.data.len && (it.data.ptr[i] == ' ' || it.data.ptr[i] == '\n' ||
                                                  it.data.ptr[i] == '\t' || it.data.ptr[i] == '\r')) i++;
        if (!it.has_data || i >= it.data.len || it.data.ptr[i] != '{') {
            rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                               "dynamodb: unreadable session (attribute '%s' is not a JSON object string)",
                               s->a_data);
            goto done;
        }
    }
    dynsess_buf_reset(&out->data);
    if ((rc = dynsess_buf_append(&out->data, it.data.ptr, it.data.len, err))) goto done;
    out->created_at = it.has_created ? it.created_at : now;
    out->expires_at = it.has_ttl ? it.ttl : INT64_MAX;
    out->version = it.version;
    out->stale = 0;
done:
    dynsess_doc_free(doc);
    return rc;
}

/* After a failed conditional update: gone (E_NOTFOUND) or moved (E_CONFLICT)?
   Uses the ALL_OLD item in the error reply when the server sent one, else
   re-reads the item. */
static dynsess_status dynsess__ddb_why(dynsess__ddb_store *s, dynsess_str key, int64_t now,
                                       dynsess_error *err) {
    dynsess_doc *doc = 0;
    dynsess__ddb_item it;
    dynsess_status rc;
    dynsess_error ignore;
    memset(&it, 0, sizeof it);
    if (dynsess_doc_new(&s->alloc, &doc, err)) return DYNSESS_E_NOMEM;
    if (dynsess__ddb_parse_item(s, doc, &s->reply, &it, &ignore) != DYNSESS_OK || !it.present) {
        dynsess_doc_free(doc);
        doc = 0;
        if ((rc = dynsess__ddb_get(s, key, 1, err))) return rc; /* always consistent here */
        if ((rc = dynsess_doc_new(&s->alloc, &doc, err))) return rc;
        if ((rc = dynsess__ddb_parse_item(s, doc, &s->reply, &it, err))) { dynsess_doc_free(doc); return rc; }
    }
    dynsess_doc_free(doc);
    if (!it.present || (it.has_ttl && it.ttl <= now))
        return dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                             "dynamodb: session was deleted or expired (not resurrected)");
    return dynsess__fail(err, DYNSESS_E_CONFLICT, DYNSESS_NO_OFFSET,
                         "dynamodb: session changed concurrently (version is now %lld)", (long long)it.version);
}

static dynsess_status dynsess__ddb_save_unlocked(dynsess_store *st, const dynsess_write *w, int64_t now,
                                        dynsess_buf *token_out, dynsess_error *err) {
    dynsess__ddb_store *s = (dynsess__ddb_store *)st;
    dynsess_buf *b = &s->body;
    dynsess_str key;
    dynsess_status rc;
    size_t size;
    (void)token_out;
    if ((rc = dynsess__ddb_key(s, w->token, &key, err))) {
        if (rc == DYNSESS_E_NOTFOUND) rc = dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                                         "dynamodb: empty or oversized session id");
        return rc;
    }
    /* DynamoDB item size: attribute names + values, numbers up to 21 bytes */
    size = strlen(s->a_id) + key.len + strlen(s->a_data) + w->data.len + strlen(s->a_created) +
           strlen(s->a_ttl) + strlen(s->a_version) + 3 * 21;
    if (w->data.len > DYNSESS_DDB_MAX_ITEM_SIZE || size > DYNSESS_DDB_MAX_ITEM_SIZE)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                             "dynamodb: session of %lu bytes exceeds the 400 KB item limit (nothing written)",
                             (unsigned long)w->data.len);
    if (w->is_new) {
        if ((rc = dynsess__ddb_begin(s, key, 0, err)) || (rc = dynsess_buf_appendz(b, ",\"Item\":{", err)) ||
            (rc = dynsess__ddb_jz(b, s->a_id, err)) || (rc = dynsess_buf_appendz(b, ":{\"S\":", err)) ||
            (rc = dynsess__ddb_jstr(b, key.ptr, key.len, err)) || (rc = dynsess_buf_appendz(b, "},", err)) ||
            (rc = dynsess__ddb_jz(b, s->a_data, err)) || (rc = dynsess_buf_appendz(b, ":{\"S\":", err)) ||
            (rc = dynsess__ddb_jstr(b, w->data.ptr, w->data.len, err)) || (rc = dynsess_buf_appendz(b, "},", err)) ||
            (rc = dynsess__ddb_jz(b, s->a_created, err)) || (rc = dynsess_buf_appendz(b, ":", err)) ||
            (rc = dynsess__ddb_jnum(b, w->created_at, err)) || (rc = dynsess_buf_appendz(b, ",", err)) ||
            (rc = dynsess__ddb_jz(b, s->a_ttl, err)) || (rc = dynsess_buf_appendz(b, ":", err)) ||
            (rc = dynsess__ddb_jnum(b, w->expires_at, err)) || (rc = dynsess_buf_appendz(b, ",", err)) ||
            (rc = dynsess__ddb_jz(b, s->a_version, err)) || (rc = dynsess_buf_appendz(b, ":", err)) ||
            (rc = dynsess__ddb_jnum(b, w->version + 1, err)) ||
            (rc = dynsess_buf_appendz(b, "},\"ConditionExpression\":\"attribute_not_exists(#i)\"", err)) ||
            (rc = dynsess__ddb_names(s, "i", err)) || (rc = dynsess_buf_appendz(b, "}", err)))
            return rc;
        dynsess_buf_reset(&s->reply);
        rc = dynsess_ddb_call(s->client, "PutItem", dynsess_cstr(b->ptr), &s->reply, 0, err);
        if (rc == DYNSESS_E_CONFLICT)
            rc = dynsess__fail(err, DYNSESS_E_EXISTS, DYNSESS_NO_OFFSET,
                               "dynamodb: session id already taken (not overwritten)");
        return rc;
    }
    /* update: exists, not expired, version unchanged (absent version = 0: items
       written by the Python application) */
    if ((rc = dynsess__ddb_begin(s, key, 1, err)) ||
        (rc = dynsess_buf_appendz(b, ",\"UpdateExpression\":\"SET #d = :d, #t = :t, #v = :nv, "
                                     "#c = if_not_exists(#c, :c)\",\"ConditionExpression\":\""
                                     "attribute_exists(#i) AND (attribute_not_exists(#t) OR #t > :now) AND ", err)) ||
        (rc = dynsess_buf_appendz(b, w->version == 0 ? "(attribute_not_exists(#v) OR #v = :v)\"" : "#v = :v\"", err)) ||
        (rc = dynsess__ddb_names(s, "idctv", err)) ||
        (rc = dynsess_buf_appendz(b, ",\"ExpressionAttributeValues\":{\":d\":{\"S\":", err)) ||
        (rc = dynsess__ddb_jstr(b, w->data.ptr, w->data.len, err)) || (rc = dynsess_buf_appendz(b, "},\":t\":", err)) ||
        (rc = dynsess__ddb_jnum(b, w->expires_at, err)) || (rc = dynsess_buf_appendz(b, ",\":nv\":", err)) ||
        (rc = dynsess__ddb_jnum(b, w->version + 1, err)) || (rc = dynsess_buf_appendz(b, ",\":v\":", err)) ||
        (rc = dynsess__ddb_jnum(b, w->version, err)) || (rc = dynsess_buf_appendz(b, ",\":c\":", err)) ||
        (rc = dynsess__ddb_jnum(b, w->created_at, err)) || (rc = dynsess_buf_appendz(b, ",\":now\":", err)) ||
        (rc = dynsess__ddb_jnum(b, now, err)) ||
        (rc = dynsess_buf_appendz(b, "},\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}", err)))
        return rc;
    dynsess_buf_reset(&s->reply);
    rc = dynsess_ddb_call(s->client, "UpdateItem", dynsess_cstr(b->ptr), &s->reply, 0, err);
    if (rc == DYNSESS_E_CONFLICT) rc = dynsess__ddb_why(s, key, now, err);
    return rc;
}

static dynsess_status dynsess__ddb_destroy_unlocked(dynsess_store *st, dynsess_str token, dynsess_error *err) {
    dynsess__ddb_store *s = (dynsess__ddb_store *)st;
    dynsess_str key;
    dynsess_status rc = dynsess__ddb_key(s, token, &key, err);
    if (rc == DYNSESS_E_NOTFOUND) return DYNSESS_OK; /* nothing could be stored under it */
    if (rc) return rc;
    if ((rc = dynsess__ddb_begin(s, key, 1, err)) || (rc = dynsess_buf_appendz(&s->body, "}", err))) return rc;
    dynsess_buf_reset(&s->reply);
    return dynsess_ddb_call(s->client, "DeleteItem", dynsess_cstr(s->body.ptr), &s->reply, 0, err);
}

static dynsess_status dynsess__ddb_touch_unlocked(dynsess_store *st, dynsess_str token, int64_t expires_at,
                                         int64_t now, dynsess_error *err) {
    dynsess__ddb_store *s = (dynsess__ddb_store *)st;
    dynsess_buf *b = &s->body;
    dynsess_str key;
    dynsess_status rc = dynsess__ddb_key(s, token, &key, err);
    if (rc) return rc;
    if ((rc = dynsess__ddb_begin(s, key, 1, err)) ||
        (rc = dynsess_buf_appendz(b, ",\"UpdateExpression\":\"SET #t = :t\",\"ConditionExpression\":\""
                                     "attribute_exists(#i) AND (attribute_not_exists(#t) OR #t > :now)\"", err)) ||
        (rc = dynsess__ddb_names(s, "it", err)) ||
        (rc = dynsess_buf_appendz(b, ",\"ExpressionAttributeValues\":{\":t\":", err)) ||
        (rc = dynsess__ddb_jnum(b, expires_at, err)) || (rc = dynsess_buf_appendz(b, ",\":now\":", err)) ||
        (rc = dynsess__ddb_jnum(b, now, err)) || (rc = dynsess_buf_appendz(b, "}}", err)))
        return rc;
    dynsess_buf_reset(&s->reply);
    rc = dynsess_ddb_call(s->client, "UpdateItem", dynsess_cstr(b->ptr), &s->reply, 0, err);
    if (rc == DYNSESS_E_CONFLICT)
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                           "dynamodb: session was deleted or expired (not resurrected)");
    return rc;
}

/* The vtable entries: the optional mutex around the unlocked versions. */
#define DYNSESS__DDB_LOCKED(call)                                               \
    dynsess__ddb_store *s_ = (dynsess__ddb_store *)st;                          \
    dynsess_status rc_;                                                         \
    if (s_->thread_safe) pthread_mutex_lock(&s_->mu);                           \
    rc_ = call;                                                                 \
    if (s_->thread_safe) pthread_mutex_unlock(&s_->mu);                         \
    return rc_;
static dynsess_status dynsess__ddb_load(dynsess_store *st, dynsess_str token, int64_t now,
                                        dynsess_record *out, dynsess_error *err) {
    DYNSESS__DDB_LOCKED(dynsess__ddb_load_unlocked(st, token, now, out, err))
}
static dynsess_status dynsess__ddb_save(dynsess_store *st, const dynsess_write *w, int64_t now,
                                        dynsess_buf *token_out, dynsess_error *err) {
    DYNSESS__DDB_LOCKED(dynsess__ddb_save_unlocked(st, w, now, token_out, err))
}
static dynsess_status dynsess__ddb_destroy(dynsess_store *st, dynsess_str token, dynsess_error *err) {
    DYNSESS__DDB_LOCKED(dynsess__ddb_destroy_unlocked(st, token, err))
}
static dynsess_status dynsess__ddb_touch(dynsess_store *st, dynsess_str token, int64_t expires_at,
                                         int64_t now, dynsess_error *err) {
    DYNSESS__DDB_LOCKED(dynsess__ddb_touch_unlocked(st, token, expires_at, now, err))
}
#undef DYNSESS__DDB_LOCKED

static void dynsess__ddb_close(dynsess_store *st) {
    dynsess__ddb_store *s = (dynsess__ddb_store *)st;
    dynsess_allocator a;
    if (!s) return;
    a = s->alloc;
    if (s->own_client) dynsess_ddb_free(s->client);
    if (s->thread_safe) pthread_mutex_destroy(&s->mu);
    dynsess_buf_free(&s->body);
    dynsess_buf_free(&s->reply);
    dynsess__free(&a, s->names);
    dynsess_wipe(s, sizeof *s);
    dynsess__free(&a, s);
}

static const dynsess_store_vt dynsess__ddb_vt = {
    "dynamodb", 0, dynsess__ddb_load, dynsess__ddb_save, dynsess__ddb_destroy, dynsess__ddb_touch,
    dynsess__ddb_close};

DYNSESS_DEF dynsess_ddb *dynsess_store_dynamodb_client(dynsess_store *st) {
    if (!st || st->vt != &dynsess__ddb_vt) return 0;
    return ((dynsess__ddb_store *)st)->client;
}

/* 1 if t is a valid DynamoDB table name: [a-zA-Z0-9_.-]{3,255}. */
static int dynsess__ddb_table_ok(const char *t) {
    size_t n = strlen(t), i;
    if (n < 3 || n > 255) return 0;
    for (i = 0; i < n; i++) {
        char ch = t[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-'))
            return 0;
    }
    return 1;
}

DYNSESS_DEF dynsess_status dynsess_store_dynamodb_new(const dynsess_dynamodb_desc *desc,
                                                      dynsess_store **out, dynsess_error *err) {
    dynsess__ddb_store *s;
    dynsess_dynamodb_desc d;
    const char *names[6];
    size_t total = 0, i, lens[6];
    dynsess_status rc;
    char *p;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "dynamodb: out is 0");
    *out = 0;
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    if (!dynsess__allocator_valid(&d.ddb.allocator))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "dynamodb: allocator needs both alloc and free (ddb.allocator)");
    names[0] = d.table && d.table[0] ? d.table : DYNSESS_DDB_DEFAULT_TABLE;
    names[1] = d.attr_id && d.attr_id[0] ? d.attr_id : "session_id";
    names[2] = d.attr_data && d.attr_data[0] ? d.attr_data : "user_data";
    names[3] = d.attr_created && d.attr_created[0] ? d.attr_created : "created_at";
    names[4] = d.attr_ttl && d.attr_ttl[0] ? d.attr_ttl : "ttl";
    names[5] = d.attr_version && d.attr_version[0] ? d.attr_version : "version";
    if (!dynsess__ddb_table_ok(names[0]))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "dynamodb: table name must be 3-255 of [a-zA-Z0-9_.-] (table)");
    for (i = 0; i < 6; i++) {
        lens[i] = strlen(names[i]);
        if (lens[i] > 255)
            return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET, "dynamodb: attribute name too long");
        total += lens[i] + 1;
    }
    for (i = 1; i < 6; i++) {
        size_t j;
        for (j = i + 1; j < 6; j++)
            if (!strcmp(names[i], names[j]))
                return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                                     "dynamodb: attribute names must differ ('%s' twice)", names[i]);
    }
    if (d.hash_ids && (d.id_key.len < 32 || d.id_key.len > 256 || !d.id_key.ptr))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "dynamodb: hash_ids needs an id_key of 32 to 256 bytes (id_key)");
    s = (dynsess__ddb_store *)dynsess__alloc(&d.ddb.allocator, sizeof *s);
    if (!s) return dynsess__fail_nomem(err, "dynamodb");
    memset(s, 0, sizeof *s);
    s->base.vt = &dynsess__ddb_vt;
    s->alloc = d.ddb.allocator;
    s->logger = d.ddb.logger;
    dynsess_buf_init(&s->body, &s->alloc);
    dynsess_buf_init(&s->reply, &s->alloc);
    s->names = (char *)dynsess__alloc(&s->alloc, total);
    if (!s->names) { rc = dynsess__fail_nomem(err, "dynamodb"); goto fail; }
    for (p = s->names, i = 0; i < 6; i++) {
        memcpy(p, names[i], lens[i] + 1);
        names[i] = p;
        p += lens[i] + 1;
    }
    s->table = names[0]; s->a_id = names[1]; s->a_data = names[2];
    s->a_created = names[3]; s->a_ttl = names[4]; s->a_version = names[5];
    s->consistent = !d.eventual_reads;
    s->hash_ids = d.hash_ids != 0;
    if (s->hash_ids) {
        memcpy(s->id_key, d.id_key.ptr, d.id_key.len);
        s->id_key_len = d.id_key.len;
    }
    if (d.thread_safe) {
        if (pthread_mutex_init(&s->mu, 0) != 0) {
            rc = dynsess__fail(err, DYNSESS_E_INTERNAL, DYNSESS_NO_OFFSET, "dynamodb: pthread_mutex_init failed");
            goto fail;
        }
        s->thread_safe = 1;
    }
    if (d.client) s->client = d.client;
    else {
        if ((rc = dynsess_ddb_new(&d.ddb, &s->client, err))) goto fail;
        s->own_client = 1;
    }
    if (!d.no_startup_check) {
        uint8_t rnd[16];
        char probe[64];
        memcpy(probe, "dynsess-probe-", 14);
        if ((rc = dynsess__rng_fill(&d.ddb.rng, rnd, sizeof rnd, err))) goto fail;
        dynsess_hex_encode(rnd, sizeof rnd, probe + 14);
        rc = dynsess__ddb_get(s, dynsess_cstr(probe), s->consistent, err);
        if (rc) {
            if (err) {
                char tmp[DYNSESS_ERROR_MSG_SIZE];
                memcpy(tmp, err->msg, sizeof tmp);
                dynsess__fail(err, rc, DYNSESS_NO_OFFSET, "dynamodb: table '%.60s' unusable: %s", s->table,
                              strncmp(tmp, "dynamodb: ", 10) ? tmp : tmp + 10);
            }
            goto fail;
        }
    }
    *out = &s->base;
    return DYNSESS_OK;
fail:
    dynsess__ddb_close(&s->base);
    return rc;
}

/* ---- environment configuration and the memory fallback -------------------------------- */
typedef struct dynsess__ddb_fallback {
    dynsess_store base;
    dynsess_store *inner;
    dynsess_allocator alloc;
} dynsess__ddb_fallback;

static dynsess_status dynsess__fb_load(dynsess_store *st, dynsess_str token, int64_t now,
                                       dynsess_record *out, dynsess_error *err) {
    dynsess_store *in = ((dynsess__ddb_fallback *)st)->inner;
    return in->vt->load(in, token, now, out, err);
}
static dynsess_status dynsess__fb_save(dynsess_store *st, const dynsess_write *w, int64_t now,
                                       dynsess_buf *token_out, dynsess_error *err) {
    dynsess_store *in = ((dynsess__ddb_fallback *)st)->inner;
    return in->vt->save(in, w, now, token_out, err);
}
static dynsess_status dynsess__fb_destroy(dynsess_store *st, dynsess_str token, dynsess_error *err) {
    dynsess_store *in = ((dynsess__ddb_fallback *)st)->inner;
    return in->vt->destroy(in, token, err);
}
static dynsess_status dynsess__fb_touch(dynsess_store *st, dynsess_str token, int64_t expires_at,
                                        int64_t now, dynsess_error *err) {
    dynsess_store *in = ((dynsess__ddb_fallback *)st)->inner;
    if (!in->vt->touch)
        return dynsess__fail(err, DYNSESS_E_UNSUPPORTED, DYNSESS_NO_OFFSET, "memory: touch not supported");
    return in->vt->touch(in, token, expires_at, now, err);
}
static void dynsess__fb_close(dynsess_store *st) {
    dynsess__ddb_fallback *f = (dynsess__ddb_fallback *)st;
    dynsess_allocator a;
    if (!f) return;
    a = f->alloc;
    dynsess_store_close(f->inner);
    dynsess__free(&a, f);
}
static const dynsess_store_vt dynsess__ddb_fallback_vt = {
    "memory", 0, dynsess__fb_load, dynsess__fb_save, dynsess__fb_destroy, dynsess__fb_touch,
    dynsess__fb_close};

DYNSESS_DEF int dynsess_store_degraded(const dynsess_store *st) {
    return st && st->vt == &dynsess__ddb_fallback_vt;
}

static const char *dynsess__ddb_getenv(const dynsess_env *env, const char *name) {
    if (env && env->get) return env->get(env->user, name);
    return getenv(name);
}

DYNSESS_DEF dynsess_status dynsess_store_from_env(const dynsess_env_store_desc *desc,
                                                  dynsess_store **out, int *degraded,
                                                  dynsess_error *err) {
    dynsess_env_store_desc d;
    const char *v;
    dynsess_status rc;
    dynsess_error derr;
    dynsess_store *mem = 0;
    dynsess__ddb_fallback *f;
    if (degraded) *degraded = 0;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "dynamodb: out is 0");
    *out = 0;
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    if (!d.logger.func) d.logger = d.dynamodb.ddb.logger;
    v = dynsess__ddb_getenv(&d.dynamodb.ddb.env, "USE_DYNAMODB_SESSIONS");
    if (!v || !(dynsess__ddb_streq_ci(v, "true") || !strcmp(v, "1") || dynsess__ddb_streq_ci(v, "yes"))) {
        dynsess__log(&d.logger, DYNSESS_LOG_INFO, "sessions: USE_DYNAMODB_SESSIONS is not true: in-memory store");
        return dynsess_store_memory_new(d.memory, out, err);
    }
    if (!d.dynamodb.table || !d.dynamodb.table[0])
        d.dynamodb.table = dynsess__ddb_getenv(&d.dynamodb.ddb.env, "SESSION_TABLE_NAME");
    v = dynsess__ddb_getenv(&d.dynamodb.ddb.env, "DYNSESS_FALLBACK");
    if (v && (dynsess__ddb_streq_ci(v, "off") || dynsess__ddb_streq_ci(v, "false") || !strcmp(v, "0")))
        d.no_fallback = 1;
    dynsess_error_clear(&derr);
    rc = dynsess_store_dynamodb_new(&d.dynamodb, out, &derr);
    if (rc == DYNSESS_OK) {
        dynsess__log(&d.logger, DYNSESS_LOG_INFO, "sessions: dynamodb store, table '%.100s'",
                     d.dynamodb.table && d.dynamodb.table[0] ? d.dynamodb.table : DYNSESS_DDB_DEFAULT_TABLE);
        return DYNSESS_OK;
    }
    if (d.no_fallback || rc == DYNSESS_E_NOMEM) {
        if (err) *err = derr;
        return rc;
    }
    dynsess__log(&d.logger, DYNSESS_LOG_WARN,
                 "sessions: DEGRADED: %s; falling back to the in-memory store (sessions are lost on "
                 "restart and not shared between instances)", derr.msg);
    if ((rc = dynsess_store_memory_new(d.memory, &mem, err))) return rc;
    f = (dynsess__ddb_fallback *)dynsess__alloc(&d.dynamodb.ddb.allocator, sizeof *f);
    if (!f) {
        dynsess_store_close(mem);
        return dynsess__fail_nomem(err, "dynamodb");
    }
    f->base.vt = &dynsess__ddb_fallback_vt;
    f->inner = mem;
    f->alloc = d.dynamodb.ddb.allocator;
    *out = &f->base;
    if (degraded) *degraded = 1;
    return DYNSESS_OK;
}
#undef DYNSESS__DDB_MAX_ID

/* ======================================================================
   @session  implementation: desc resolution, the dict, Cookie header
             parsing (RFC 6265 §5.4), Set-Cookie (RFC 6265 §4.1), the
             request cycle with conflict merging
   Assumes: the store contract of @store; values and dict live in one
   dynsess_doc per session.
   ====================================================================== */
#define DYNSESS__MAX_COOKIE_TRIES 4

struct dynsess_ctx {
    dynsess_desc desc;        /* resolved; strings point into `strings` */
    dynsess_store *store;
    int owns_store;
    int self_contained;
    char *strings;
    size_t strings_len;
};

struct dynsess_session {
    dynsess_ctx *ctx;
    dynsess_doc *doc;
    dynsess_value *root;      /* the dict */
    dynsess_value *journal;   /* keys this request set or popped (values: null) */
    dynsess_buf orig;         /* the dict's JSON text as loaded ("{}" for new) */
    dynsess_buf token;        /* server stores: the id; self-contained: cookie value */
    int64_t created_at, expires_at, version;
    int is_new, stale, had_cookie, regenerated, destroyed;
    char reason[DYNSESS_ERROR_MSG_SIZE];
};

/* ---- small helpers -------------------------------------------------------- */
/* RFC 7230 §3.2.6 tchar: what a cookie-name may hold (RFC 6265 §4.1.1). */
static int dynsess__sess_is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != 0;
}
/* 1 if all n bytes are RFC 6265 §4.1.1 cookie-octets (%x21 / %x23-2B /
   %x2D-3A / %x3C-5B / %x5D-7E). A bitmap and no early exit: sealed values
   are random, so a chain of compares would mispredict on every byte. */
static int dynsess__sess_cookie_octets(const char *p, size_t n) {
    static const uint32_t ok[8] = { 0x00000000u, 0xf7ffeffau, 0xefffffffu, 0x7fffffffu,
                                    0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u };
    uint32_t all = 1;
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned c = (unsigned char)p[i];
        all &= ok[c >> 5] >> (c & 31);
    }
    return (int)(all & 1);
}

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static int dynsess__sess_utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k, need;
        unsigned cp, min;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n - i <= need) return 0;
        for (k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += need + 1;
    }
    return 1;
}

static void dynsess__sess_reason(dynsess_session *s, const char *msg) {
    size_t n = strlen(msg);
    if (n >= sizeof s->reason) n = sizeof s->reason - 1;
    memcpy(s->reason, msg, n);
    s->reason[n] = 0;
}

/* The record's token as a dynsess_str (never a null pointer). */
static dynsess_str dynsess__sess_tokstr(const dynsess_session *s) {
    dynsess_str r;
    r.ptr = s->token.ptr ? s->token.ptr : "";
    r.len = s->token.len;
    return r;
}

static int64_t dynsess__sess_expiry(const dynsess_ctx *ctx, int64_t created_at, int64_t now) {
    int64_t idle = now + ctx->desc.idle_timeout_s;
    int64_t abs_end = created_at + ctx->desc.absolute_timeout_s;
    return idle < abs_end ? idle : abs_end;
}

static int dynsess__sess_buf_eq(const dynsess_buf *a, const dynsess_buf *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

static void dynsess__sess_buf_swap(dynsess_buf *a, dynsess_buf *b) {
    dynsess_buf t = *a;
    *a = *b;
    *b = t;
}

/* A session id: DYNSESS_ID_LEN base64url chars that decode canonically to 32 bytes. */
static int dynsess__sess_id_valid(dynsess_str v) {
    uint8_t raw[DYNSESS_ID_BYTES];
    size_t n = 0;
    int ok = v.len == DYNSESS_ID_LEN &&
             dynsess_base64url_decode(v.ptr, v.len, raw, sizeof raw, &n, 0) == DYNSESS_OK &&
             n == DYNSESS_ID_BYTES;
    dynsess_wipe(raw, sizeof raw);
    return ok;
}

static dynsess_status dynsess__sess_new_id(const dynsess_ctx *ctx, dynsess_buf *out,
                                           dynsess_error *err) {
    uint8_t raw[DYNSESS_ID_BYTES];
    char enc[DYNSESS_ID_LEN + 1];
    dynsess_status rc = dynsess__rng_fill(&ctx->desc.rng, raw, sizeof raw, err);
    if (rc == DYNSESS_OK) {
        dynsess_base64url_encode(raw, sizeof raw, enc, sizeof enc);
        dynsess_buf_reset(out);
        rc = dynsess_buf_append(out, enc, DYNSESS_ID_LEN, err);
    }
    dynsess_wipe(raw, sizeof raw);
    dynsess_wipe(enc, sizeof enc);
    return rc;
}

/* ---- setup ------------------------------------------------------------------ */
static dynsess_status dynsess__sess_check_attr(const char *v, int allow_space, const char *field,
                                               dynsess_error *err) {
    const unsigned char *p = (const unsigned char *)v;
    if (!*p)
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "session: empty cookie attribute (dynsess_desc.%s)", field);
    for (; *p; p++)
        if (*p < 0x20 || *p == 0x7F || *p == ';' || (*p == ' ' && !allow_space) || *p > 0x7E)
            return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(p - (const unsigned char *)v),
                                 "session: character not allowed in a cookie attribute "
                                 "(dynsess_desc.%s)", field);
    return DYNSESS_OK;
}

static dynsess_status dynsess__sess_check_desc(const dynsess_desc *d, dynsess_error *err) {
    const unsigned char *p;
    dynsess_status rc;
#define DYNSESS__CONFIG_ERR(msg) \
    dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET, "session: " msg)
    if (!dynsess__allocator_valid(&d->allocator))
        return DYNSESS__CONFIG_ERR("allocator needs both alloc and free (dynsess_desc.allocator)");
    if (!d->cookie_name[0] || strlen(d->cookie_name) > 256)
        return DYNSESS__CONFIG_ERR("cookie name must be 1..256 characters (dynsess_desc.cookie_name)");
    for (p = (const unsigned char *)d->cookie_name; *p; p++)
        if (!dynsess__sess_is_tchar(*p))
            return DYNSESS__CONFIG_ERR("cookie name must be an RFC 6265 token "
                                       "(dynsess_desc.cookie_name)");
    if (d->cookie_path[0] != '/')
        return DYNSESS__CONFIG_ERR("cookie path must start with '/' (dynsess_desc.cookie_path)");
    rc = dynsess__sess_check_attr(d->cookie_path, 1, "cookie_path", err);
    if (rc) return rc;
    if (d->cookie_domain) {
        rc = dynsess__sess_check_attr(d->cookie_domain, 0, "cookie_domain", err);
        if (rc) return rc;
    }
    if ((int)d->same_site < (int)DYNSESS_SAME_SITE_DEFAULT ||
        (int)d->same_site > (int)DYNSESS_SAME_SITE_OMIT)
        return DYNSESS__CONFIG_ERR("unknown same_site value (dynsess_desc.same_site)");
    if (d->same_site == DYNSESS_SAME_SITE_NONE && d->insecure_cookie)
        return DYNSESS__CONFIG_ERR("SameSite=None needs the Secure attribute "
                                   "(dynsess_desc.same_site, dynsess_desc.insecure_cookie)");
    if (d->idle_timeout_s < 0)
        return DYNSESS__CONFIG_ERR("negative timeout (dynsess_desc.idle_timeout_s)");
    if (d->absolute_timeout_s < 0)
        return DYNSESS__CONFIG_ERR("negative timeout (dynsess_desc.absolute_timeout_s)");
    if (d->touch_after_s < 0)
        return DYNSESS__CONFIG_ERR("negative interval (dynsess_desc.touch_after_s)");
    if (d->max_retries < 0)
        return DYNSESS__CONFIG_ERR("negative retry count (dynsess_desc.max_retries)");
    if (d->max_cookie_len < 64)
        return DYNSESS__CONFIG_ERR("max_cookie_len below 64 bytes (dynsess_desc.max_cookie_len)");
    if (d->max_session_len < 2)
        return DYNSESS__CONFIG_ERR("max_session_len below 2 bytes (dynsess_desc.max_session_len)");
#undef DYNSESS__CONFIG_ERR
    return DYNSESS_OK;
}

/* Copies a string into the ctx string block at *off. */
static const char *dynsess__sess_keep(dynsess_ctx *ctx, size_t *off, const char *s) {
    size_t n;
    char *p;
    if (!s) return 0;
    n = strlen(s) + 1;
    p = ctx->strings + *off;
    memcpy(p, s, n);
    *off += n;
    return p;
}

DYNSESS_DEF dynsess_status dynsess_setup(dynsess_ctx **out, const dynsess_desc *desc,
                                         dynsess_error *err) {
    dynsess_desc d;
    dynsess_ctx *ctx;
    dynsess_status rc;
    size_t total = 0, off = 0;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: out is 0");
    *out = 0;
    if (!desc) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: desc is 0");
    d = *desc;
    DYNSESS__DEF(d.cookie_name, "session");
    DYNSESS__DEF(d.cookie_path, "/");
    DYNSESS__DEF(d.max_age_s, 3600);
    if (d.same_site == DYNSESS_SAME_SITE_DEFAULT) d.same_site = DYNSESS_SAME_SITE_LAX;
    DYNSESS__DEF(d.idle_timeout_s, 3600);
    DYNSESS__DEF(d.absolute_timeout_s, 86400);
    DYNSESS__DEF(d.max_cookie_len, 4096);
    DYNSESS__DEF(d.max_session_len, 262144);
    DYNSESS__DEF(d.json.max_depth, 128);
    d.json.max_len = d.max_session_len;
    DYNSESS__DEF(d.max_retries, 5);
    d.insecure_cookie = d.insecure_cookie ? 1 : 0;
    d.no_http_only = d.no_http_only ? 1 : 0;
    rc = dynsess__sess_check_desc(&d, err);
    if (rc) return rc;
    if (d.store && (!d.store->vt || !d.store->vt->load || !d.store->vt->save ||
                    !d.store->vt->destroy))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "session: store vtable lacks load, save or destroy (dynsess_desc.store)");
    total = strlen(d.cookie_name) + strlen(d.cookie_path) + 2 +
            (d.cookie_domain ? strlen(d.cookie_domain) + 1 : 0);
    ctx = (dynsess_ctx *)dynsess__alloc(&d.allocator, sizeof *ctx);
    if (!ctx) return dynsess__fail_nomem(err, "session");
    memset(ctx, 0, sizeof *ctx);
    ctx->strings = (char *)dynsess__alloc(&d.allocator, total);
    if (!ctx->strings) {
        dynsess__free(&d.allocator, ctx);
        return dynsess__fail_nomem(err, "session");
    }
    ctx->strings_len = total;
    d.cookie_name = dynsess__sess_keep(ctx, &off, d.cookie_name);
    d.cookie_path = dynsess__sess_keep(ctx, &off, d.cookie_path);
    d.cookie_domain = dynsess__sess_keep(ctx, &off, d.cookie_domain);
    if (d.store) {
        ctx->store = d.store;
    } else {
        dynsess_cookie_desc cd;
        int i;
        memset(&cd, 0, sizeof cd);
        for (i = 0; i < DYNSESS_MAX_SECRETS; i++) cd.secrets[i] = d.secrets[i];
        cd.cookie_name = d.cookie_name;
        cd.max_cookie_len = d.max_cookie_len;
        cd.rng = d.rng;
        cd.allocator = d.allocator;
        rc = dynsess_store_cookie_new(&cd, &ctx->store, err);
        dynsess_wipe(&cd, sizeof cd);
        if (rc) {
            dynsess__free(&d.allocator, ctx->strings);
            dynsess__free(&d.allocator, ctx);
            return rc;
        }
        ctx->owns_store = 1;
        d.store = ctx->store;
    }
    /* the ctx keeps no secrets: the cookie store holds its own copies */
    memset(d.secrets, 0, sizeof d.secrets);
    ctx->desc = d;
    ctx->self_contained = (ctx->store->vt->flags & DYNSESS_STORE_SELF_CONTAINED) != 0;
    *out = ctx;
    return DYNSESS_OK;
}

DYNSESS_DEF void dynsess_shutdown(dynsess_ctx *ctx) {
    dynsess_allocator a;
    if (!ctx) return;
    a = ctx->desc.allocator;
    if (ctx->owns_store) dynsess_store_close(ctx->store);
    dynsess__free(&a, ctx->strings);
    dynsess__free(&a, ctx);
}

DYNSESS_DEF const dynsess_desc *dynsess_query_desc(const dynsess_ctx *ctx) {
    return ctx ? &ctx->desc : 0;
}

DYNSESS_DEF dynsess_store *dynsess_query_store(const dynsess_ctx *ctx) {
    return ctx ? ctx->store : 0;
}

/* ---- Set-Cookie (RFC 6265 §4.1) --------------------------------------------- */
/* Writes "name=value; Path=..; Domain=..; Max-Age=..; HttpOnly; Secure;
   SameSite=..", or the clearing form (value empty, Max-Age=0, Expires in
   1970) when clear is set, into out (cap bytes, NUL-terminated).
   E_COOKIE_SIZE past max_cookie_len, E_BUFFER past cap (*out_len = need). */
/* Appends n bytes to out if they fit (cap counts the NUL); *len always
   grows, so the caller learns the length needed. No allocation. */
static void dynsess__sess_emit_bytes(char *out, size_t cap, size_t *len, const char *p, size_t n) {
    if (out && *len < cap && cap - *len > n) memcpy(out + *len, p, n);
    *len += n;
}

static dynsess_status dynsess__sess_set_cookie(const dynsess_ctx *ctx, dynsess_str value,
                                               int64_t max_age, int clear, char *out, size_t cap,
                                               size_t *out_len, dynsess_error *err) {
    const dynsess_desc *d = &ctx->desc;
    char num[32];
    size_t len = 0;
    if (out_len) *out_len = 0;
    if (!dynsess__sess_cookie_octets(value.ptr, value.len))
        return dynsess__fail(err, DYNSESS_E_INTERNAL, DYNSESS_NO_OFFSET,
                             "session: the store returned a token a cookie cannot carry");
#define DYNSESS__PUT(p, n) dynsess__sess_emit_bytes(out, cap, &len, (p), (n))
#define DYNSESS__PUTZ(z) DYNSESS__PUT((z), strlen(z))
    DYNSESS__PUTZ(d->cookie_name);
    DYNSESS__PUT("=", 1);
    if (!clear) DYNSESS__PUT(value.ptr, value.len);
    DYNSESS__PUTZ("; Path=");
    DYNSESS__PUTZ(d->cookie_path);
    if (d->cookie_domain) {
        DYNSESS__PUTZ("; Domain=");
        DYNSESS__PUTZ(d->cookie_domain);
    }
    if (clear) {
        DYNSESS__PUTZ("; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    } else if (d->max_age_s >= 0) {
        if (max_age > d->max_age_s) max_age = d->max_age_s;
        if (max_age < 0) max_age = 0;
        snprintf(num, sizeof num, "; Max-Age=%lld", (long long)max_age);
        DYNSESS__PUTZ(num);
    }
    if (!d->no_http_only) DYNSESS__PUTZ("; HttpOnly");
    if (!d->insecure_cookie) DYNSESS__PUTZ("; Secure");
    if (d->same_site == DYNSESS_SAME_SITE_LAX) DYNSESS__PUTZ("; SameSite=Lax");
    else if (d->same_site == DYNSESS_SAME_SITE_STRICT) DYNSESS__PUTZ("; SameSite=Strict");
    else if (d->same_site == DYNSESS_SAME_SITE_NONE) DYNSESS__PUTZ("; SameSite=None");
#undef DYNSESS__PUT
#undef DYNSESS__PUTZ
    if (len > d->max_cookie_len) {
        if (out && cap) out[0] = 0;
        return dynsess__fail(err, DYNSESS_E_COOKIE_SIZE, DYNSESS_NO_OFFSET,
                             "session: Set-Cookie would be %lu bytes, over the limit of %lu "
                             "(store less, use a server-side store, or raise "
                             "dynsess_desc.max_cookie_len)",
                             (unsigned long)len, (unsigned long)d->max_cookie_len);
    }
    if (out_len) *out_len = len;
    if (!out || cap <= len) {
        if (out && cap) out[0] = 0;
        return dynsess__fail(err, DYNSESS_E_BUFFER, DYNSESS_NO_OFFSET,
                             "session: Set-Cookie needs %lu bytes, the buffer has %lu",
                             (unsigned long)len + 1, (unsigned long)cap);
    }
    out[len] = 0;
    return DYNSESS_OK;
}

/* ---- sessions ----------------------------------------------------------------- */
static dynsess_status dynsess__sess_alloc(dynsess_ctx *ctx, dynsess_session **out,
                                          dynsess_error *err) {
    dynsess_session *s;
    dynsess_status rc;
    *out = 0;
    s = (dynsess_session *)dynsess__alloc(&ctx->desc.allocator, sizeof *s);
    if (!s) return dynsess__fail_nomem(err, "session");
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    dynsess_buf_init(&s->orig, &ctx->desc.allocator);
    dynsess_buf_init(&s->token, &ctx->desc.allocator);
    rc = dynsess_doc_new(&ctx->desc.allocator, &s->doc, err);
    if (rc) goto fail;
    s->root = dynsess_value_new_object(s->doc);
    s->journal = dynsess_value_new_object(s->doc);
    if (!s->root || !s->journal) { rc = dynsess__fail_nomem(err, "session"); goto fail; }
    *out = s;
    return DYNSESS_OK;
fail:
    dynsess_release(s);
    return rc;
}

DYNSESS_DEF void dynsess_release(dynsess_session *s) {
    dynsess_allocator a;
    if (!s) return;
    a = s->ctx->desc.allocator;
    dynsess_doc_free(s->doc);
    dynsess_buf_free(&s->orig);
    dynsess_buf_free(&s->token);
    dynsess_wipe(s, sizeof *s);
    dynsess__free(&a, s);
}

/* Next cookie-pair named `name` in header h (RFC 6265 §5.4 with §4.2.1
   grammar, leniently: OWS around pairs, names and values are trimmed, one
   DQUOTE pair around a value is removed, pairs without '=' are skipped). */
static int dynsess__sess_next_cookie(const char *h, size_t len, size_t *pos, const char *name,
                                     size_t name_len, dynsess_str *value) {
    while (*pos < len) {
        size_t a = *pos, e = a, eq, na, ne, va, ve;
        while (e < len && h[e] != ';') e++;
        *pos = e + 1;
        while (a < e && (h[a] == ' ' || h[a] == '\t')) a++;
        eq = a;
        while (eq < e && h[eq] != '=') eq++;
        if (eq == e) continue;
        na = a;
        ne = eq;
        while (ne > na && (h[ne - 1] == ' ' || h[ne - 1] == '\t')) ne--;
        va = eq + 1;
        ve = e;
        while (va < ve && (h[va] == ' ' || h[va] == '\t')) va++;
        while (ve > va && (h[ve - 1] == ' ' || h[ve - 1] == '\t')) ve--;
        if (ne - na != name_len || memcmp(h + na, name, name_len) != 0) continue;
        if (ve - va >= 2 && h[va] == '"' && h[ve - 1] == '"') { va++; ve--; }
        value->ptr = h + va;
        value->len = ve - va;
        return 1;
    }
    return 0;
}

/* Tries to adopt the record behind cookie value v. OK: adopted. E_NOTFOUND:
   not adopted, s->reason says why. Other codes: a store failure or OOM. */
static dynsess_status dynsess__sess_adopt(dynsess_ctx *ctx, dynsess_session *s, dynsess_str v,
                                          int64_t now, dynsess_record *rec, dynsess_error *err) {
    dynsess_error e;
    dynsess_value *root = 0;
    dynsess_status rc;
    char msg[DYNSESS_ERROR_MSG_SIZE];
    dynsess_error_clear(&e);
    if (!v.len) { dynsess__sess_reason(s, "cookie: empty value"); return DYNSESS_E_NOTFOUND; }
    if (v.len > ctx->desc.max_cookie_len) {
        dynsess__sess_reason(s, "cookie: value too long");
        return DYNSESS_E_NOTFOUND;
    }
    if (!ctx->self_contained && !dynsess__sess_id_valid(v)) {
        dynsess__sess_reason(s, "cookie: malformed session id");
        return DYNSESS_E_NOTFOUND;
    }
    dynsess_buf_reset(&rec->data);
    rec->created_at = rec->expires_at = rec->version = 0;
    rec->stale = 0;
    rc = ctx->store->vt->load(ctx->store, v, now, rec, &e);
    if (rc == DYNSESS_E_NOTFOUND) {
        dynsess__sess_reason(s, e.msg[0] ? e.msg : "session: unknown session");
        return rc;
    }
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    if (rec->expires_at <= now) {
        dynsess__sess_reason(s, "session: expired");
        return DYNSESS_E_NOTFOUND;
    }
    if (rec->created_at <= now - ctx->desc.absolute_timeout_s) {
        dynsess__sess_reason(s, "session: absolute lifetime over");
        return DYNSESS_E_NOTFOUND;
    }
    if (rec->data.len > ctx->desc.max_session_len) {
        dynsess__sess_reason(s, "session: stored data larger than max_session_len");
        return DYNSESS_E_NOTFOUND;
    }
    rc = dynsess_json_parse(s->doc, rec->data.ptr ? rec->data.ptr : "", rec->data.len,
                            &ctx->desc.json, &root, &e);
    if (rc == DYNSESS_E_NOMEM) {
        if (err) *err = e;
        return rc;
    }
    if (rc || dynsess_value_type(root) != DYNSESS_JSON_OBJECT) {
        /* built by hand: snprintf would warn about truncating e.msg */
        const char *detail = rc ? e.msg : "not a json object";
        const char *head = "session: stored data unreadable (";
        size_t hn = strlen(head), dn = strlen(detail);
        if (dn > sizeof msg - hn - 2) dn = sizeof msg - hn - 2;
        memcpy(msg, head, hn);
        memcpy(msg + hn, detail, dn);
        msg[hn + dn] = ')';
        msg[hn + dn + 1] = 0;
        dynsess__sess_reason(s, msg);
        return DYNSESS_E_NOTFOUND;
    }
    rc = dynsess_buf_append(&s->token, v.ptr, v.len, err);
    if (rc) return rc;
    s->root = root;
    dynsess__sess_buf_swap(&s->orig, &rec->data);
    s->created_at = rec->created_at;
    s->expires_at = rec->expires_at;
    s->version = rec->version;
    s->stale = rec->stale ? 1 : 0;
    s->is_new = 0;
    s->reason[0] = 0;
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_load(dynsess_ctx *ctx, const char *cookie_header, size_t len,
                                        dynsess_session **out, dynsess_error *err) {
    dynsess_session *s = 0;
    dynsess_record rec;
    dynsess_status rc;
    dynsess_str v;
    size_t pos = 0, name_len;
    int tries = 0, adopted = 0;
    int64_t now;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: out is 0");
    *out = 0;
    if (!ctx) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: ctx is 0");
    if (!cookie_header) len = 0;
    now = dynsess__clock_now(&ctx->desc.clock);
    memset(&rec, 0, sizeof rec);
    dynsess_buf_init(&rec.data, &ctx->desc.allocator);
    rc = dynsess__sess_alloc(ctx, &s, err);
    if (rc || !s) goto done;
    dynsess__sess_reason(s, "no session cookie");
    name_len = strlen(ctx->desc.cookie_name);
    while (tries < DYNSESS__MAX_COOKIE_TRIES &&
           dynsess__sess_next_cookie(cookie_header, len, &pos, ctx->desc.cookie_name, name_len,
                                     &v)) {
        tries++;
        s->had_cookie = 1;
        rc = dynsess__sess_adopt(ctx, s, v, now, &rec, err);
        if (rc == DYNSESS_OK) { adopted = 1; break; }
        if (rc != DYNSESS_E_NOTFOUND) goto done;
        dynsess__log(&ctx->desc.logger, DYNSESS_LOG_DEBUG, "session: cookie not adopted (%s)",
                     s->reason);
    }
    rc = DYNSESS_OK;
    if (!adopted) {
        rc = dynsess_buf_append(&s->orig, "{}", 2, err);
        if (rc) goto done;
        s->is_new = 1;
        s->created_at = now;
        s->expires_at = dynsess__sess_expiry(ctx, now, now);
        s->version = 0;
    }
done:
    dynsess_buf_free(&rec.data);
    if (rc) {
        dynsess_release(s);
        return rc;
    }
    *out = s;
    return DYNSESS_OK;
}

/* Serializes the dict (limit max_session_len). */
static dynsess_status dynsess__sess_serialize(const dynsess_session *s, dynsess_buf *out,
                                              dynsess_error *err) {
    dynsess_status rc;
    dynsess_buf_reset(out);
    out->limit = s->ctx->desc.max_session_len;
    rc = dynsess_json_write(s->root, out, err);
    if (rc == DYNSESS_E_LIMIT)
        return dynsess__fail(err, rc, DYNSESS_NO_OFFSET,
                             "session: the session's json exceeds %lu bytes "
                             "(dynsess_desc.max_session_len)",
                             (unsigned long)s->ctx->desc.max_session_len);
    return rc;
}

/* The store said the record is gone (logout elsewhere): do not resurrect. */
static dynsess_status dynsess__sess_dropped(dynsess_ctx *ctx, dynsess_session *s, char *out,
                                            size_t cap, size_t *out_len, dynsess_error *err) {
    dynsess_str none = {0, 0};
    dynsess__sess_reason(s, "session: destroyed by another request, changes dropped");
    dynsess__log(&ctx->desc.logger, DYNSESS_LOG_WARN, "%s", s->reason);
    s->destroyed = 1;
    return dynsess__sess_set_cookie(ctx, none, 0, 1, out, cap, out_len, err);
}

/* Re-applies this request's changes onto fresh (the record another request
   saved): every key in the journal or whose value differs from the loaded
   one takes our value (or is removed if we no longer have it). */
static dynsess_status dynsess__sess_merge(dynsess_session *s, dynsess_record *rec,
                                          dynsess_error *err) {
    const dynsess_json_opts *opts = &s->ctx->desc.json;
    dynsess_value *orig = 0, *fresh = 0;
    dynsess_status rc;
    size_t i, n;
    rc = dynsess_json_parse(s->doc, s->orig.ptr, s->orig.len, opts, &orig, err);
    if (rc) return rc;
    rc = dynsess_json_parse(s->doc, rec->data.ptr ? rec->data.ptr : "", rec->data.len, opts,
                            &fresh, err);
    if (rc) return rc;
    if (dynsess_value_type(fresh) != DYNSESS_JSON_OBJECT)
        return dynsess__fail(err, DYNSESS_E_JSON, DYNSESS_NO_OFFSET,
                             "session: stored data is not a json object");
    n = dynsess_value_len(s->root);
    for (i = 0; i < n; i++) {
        dynsess_str k = dynsess_object_key_at(s->root, i);
        const dynsess_value *mine = dynsess_object_value_at(s->root, i);
        if (dynsess_object_get(s->journal, k.ptr, k.len) ||
            !dynsess_value_equal(mine, dynsess_object_get(orig, k.ptr, k.len))) {
            dynsess_value *c = dynsess_value_copy(s->doc, mine);
            if (!c) return dynsess__fail_nomem(err, "session");
            rc = dynsess_object_set(s->doc, fresh, k.ptr, k.len, c, err);
            if (rc) return rc;
        }
    }
    n = dynsess_value_len(orig);
    for (i = 0; i < n; i++) {
        dynsess_str k = dynsess_object_key_at(orig, i);
        if (!dynsess_object_get(s->root, k.ptr, k.len) && dynsess_object_remove(fresh, k.ptr, k.len) < 0)
            return dynsess__fail_nomem(err, "session");
    }
    n = dynsess_value_len(s->journal);
    for (i = 0; i < n; i++) {
        dynsess_str k = dynsess_object_key_at(s->journal, i);
        if (!dynsess_object_get(s->root, k.ptr, k.len) && dynsess_object_remove(fresh, k.ptr, k.len) < 0)
            return dynsess__fail_nomem(err, "session");
    }
    s->root = fresh;
    dynsess__sess_buf_swap(&s->orig, &rec->data);
    s->created_at = rec->created_at;
    s->version = rec->version;
    s->stale = rec->stale ? 1 : 0;
    return DYNSESS_OK;
}

/* Writes w (a create or an update) and, for self-contained stores, takes the
   new cookie value from the store. */
static dynsess_status dynsess__sess_write(dynsess_ctx *ctx, const dynsess_write *w, int64_t now,
                                          dynsess_buf *token_out, dynsess_error *err) {
    dynsess_buf_reset(token_out);
    return ctx->store->vt->save(ctx->store, w, now, token_out, err);
}

/* Emits the Set-Cookie for a successful write: the store's new token for
   self-contained stores, else the id. */
static dynsess_status dynsess__sess_emit(dynsess_ctx *ctx, dynsess_session *s,
                                         const dynsess_buf *token_out, int64_t expires_at,
                                         int64_t now, char *out, size_t cap, size_t *out_len,
                                         dynsess_error *err) {
    dynsess_str v;
    if (ctx->self_contained && token_out->len) {
        v.ptr = token_out->ptr;
        v.len = token_out->len;
    } else {
        v.ptr = s->token.ptr;
        v.len = s->token.len;
    }
    return dynsess__sess_set_cookie(ctx, v, expires_at - now, 0, out, cap, out_len, err);
}

/* After a write: the session now mirrors the record. */
static dynsess_status dynsess__sess_commit(dynsess_ctx *ctx, dynsess_session *s,
                                           dynsess_buf *cur, dynsess_buf *token_out,
                                           int64_t expires_at, int was_new, dynsess_error *err) {
    (void)err;
    if (ctx->self_contained && token_out->len) dynsess__sess_buf_swap(&s->token, token_out);
    if (cur) dynsess__sess_buf_swap(&s->orig, cur);
    s->expires_at = expires_at;
    /* stores number records 1 at creation, +1 per save (DynamoDB items written
       by other software may start at 0) */
    if (was_new) s->version = 1;
    else if (!ctx->self_contained) s->version++;
    s->is_new = 0;
    s->stale = 0;
    s->reason[0] = 0;
    dynsess_value_clear(s->journal);
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_save(dynsess_ctx *ctx, dynsess_session *s, char *set_cookie,
                                        size_t cap, size_t *out_len, dynsess_error *err) {
    dynsess_buf cur, tok;
    dynsess_record rec;
    dynsess_write w;
    dynsess_status rc = DYNSESS_OK;
    dynsess_error e;
    size_t dummy_len;
    int64_t now, expires;
    int attempt;
    if (!out_len) out_len = &dummy_len;
    *out_len = 0;
    if (!ctx || !s || s->ctx != ctx)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: save needs the ctx the session was loaded from");
    if (set_cookie && cap) set_cookie[0] = 0;
    if (s->destroyed) return DYNSESS_OK;
    now = dynsess__clock_now(&ctx->desc.clock);
    dynsess_buf_init(&cur, &ctx->desc.allocator);
    dynsess_buf_init(&tok, &ctx->desc.allocator);
    memset(&rec, 0, sizeof rec);
    dynsess_buf_init(&rec.data, &ctx->desc.allocator);
    memset(&w, 0, sizeof w);
    rc = dynsess__sess_serialize(s, &cur, err);
    if (rc) goto done;

    if (s->regenerated && !s->is_new) {
        /* old record first: if the create below fails, the user is logged
           out rather than left on an id that was known before login */
        if (!ctx->self_contained) {
            rc = ctx->store->vt->destroy(ctx->store, dynsess__sess_tokstr(s), err);
            if (rc) goto done;
        }
        s->is_new = 1;
        s->had_cookie = 1;
        s->version = 0;
        dynsess_buf_reset(&s->token);
    }
    if (s->regenerated) {
        s->regenerated = 0;
        s->created_at = now;
    }

    if (s->is_new) {
        if (cur.len == 2 && memcmp(cur.ptr, "{}", 2) == 0) {
            /* nothing to keep: no record, no cookie (clear a stale one) */
            if (s->had_cookie) {
                dynsess_str none = {0, 0};
                rc = dynsess__sess_set_cookie(ctx, none, 0, 1, set_cookie, cap, out_len, err);
            }
            goto done;
        }
        if (s->created_at <= now - ctx->desc.absolute_timeout_s) s->created_at = now;
        expires = dynsess__sess_expiry(ctx, s->created_at, now);
        for (attempt = 0;; attempt++) {
            if (!ctx->self_contained) {
                rc = dynsess__sess_new_id(ctx, &s->token, err);
                if (rc) goto done;
                /* the cookie is known before the write: check it fits first */
                rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
                if (rc) goto new_failed;
            }
            w.token.ptr = s->token.ptr;
            w.token.len = s->token.len;
            w.data.ptr = cur.ptr;
            w.data.len = cur.len;
            w.created_at = s->created_at;
            w.expires_at = expires;
            w.version = 0;
            w.is_new = 1;
            dynsess_error_clear(&e);
            rc = dynsess__sess_write(ctx, &w, now, &tok, &e);
            if (rc == DYNSESS_E_EXISTS && !ctx->self_contained && attempt < ctx->desc.max_retries)
                continue;
            if (rc) { if (err) *err = e; goto new_failed; }
            break;
        }
        if (ctx->self_contained) {
            rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
            if (rc) goto done;
        }
        rc = dynsess__sess_commit(ctx, s, &cur, &tok, expires, 1, err);
        goto done;
    new_failed:
        dynsess_buf_reset(&s->token);
        goto done;
    }

    if (!dynsess__sess_buf_eq(&cur, &s->orig) || s->stale) {
        for (attempt = 0;; attempt++) {
            expires = dynsess__sess_expiry(ctx, s->created_at, now);
            if (!ctx->self_contained) {
                rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
                if (rc) goto done;
            }
            w.token.ptr = s->token.ptr;
            w.token.len = s->token.len;
            w.data.ptr = cur.ptr;
            w.data.len = cur.len;
            w.created_at = s->created_at;
            w.expires_at = expires;
            w.version = s->version;
            w.is_new = 0;
            dynsess_error_clear(&e);
            rc = dynsess__sess_write(ctx, &w, now, &tok, &e);
            if (rc == DYNSESS_OK) break;
            if (rc == DYNSESS_E_NOTFOUND) {
                rc = dynsess__sess_dropped(ctx, s, set_cookie, cap, out_len, err);
                goto done;
            }
            if (rc != DYNSESS_E_CONFLICT) { if (err) *err = e; goto done; }
            if (attempt >= ctx->desc.max_retries) {
                rc = dynsess__fail(err, DYNSESS_E_CONFLICT, DYNSESS_NO_OFFSET,
                                   "session: still conflicting after %d retries "
                                   "(dynsess_desc.max_retries)", ctx->desc.max_retries);
                goto done;
            }
            /* someone else saved: re-load, re-apply our keys, retry */
            dynsess_buf_reset(&rec.data);
            dynsess_error_clear(&e);
            rc = ctx->store->vt->load(ctx->store, dynsess__sess_tokstr(s), now, &rec, &e);
            if (rc == DYNSESS_E_NOTFOUND || (rc == DYNSESS_OK && rec.expires_at <= now)) {
                rc = dynsess__sess_dropped(ctx, s, set_cookie, cap, out_len, err);
                goto done;
            }
            if (rc) { if (err) *err = e; goto done; }
            rc = dynsess__sess_merge(s, &rec, err);
            if (rc) goto done;
            rc = dynsess__sess_serialize(s, &cur, err);
            if (rc) goto done;
            if (dynsess__sess_buf_eq(&cur, &s->orig) && !s->stale) {
                /* the other request already wrote what we wanted */
                s->expires_at = rec.expires_at;
                dynsess_value_clear(s->journal);
                if (set_cookie && cap) set_cookie[0] = 0;
                *out_len = 0;
                goto done;
            }
        }
        if (ctx->self_contained) {
            rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
            if (rc) goto done;
        }
        rc = dynsess__sess_commit(ctx, s, &cur, &tok, expires, 0, err);
        goto done;
    }

    /* unchanged: only the touch rule may write */
    expires = dynsess__sess_expiry(ctx, s->created_at, now);
    if (ctx->desc.touch_after_s > 0 && expires - s->expires_at >= ctx->desc.touch_after_s) {
        if (!ctx->self_contained) {
            rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
            if (rc) goto done;
        }
        dynsess_error_clear(&e);
        if (ctx->store->vt->touch && !ctx->self_contained) {
            rc = ctx->store->vt->touch(ctx->store, dynsess__sess_tokstr(s), expires, now, &e);
        } else {
            w.token.ptr = s->token.ptr;
            w.token.len = s->token.len;
            w.data.ptr = s->orig.ptr;
            w.data.len = s->orig.len;
            w.created_at = s->created_at;
            w.expires_at = expires;
            w.version = s->version;
            w.is_new = 0;
            rc = dynsess__sess_write(ctx, &w, now, &tok, &e);
            if (rc == DYNSESS_OK && !ctx->self_contained) s->version++;
        }
        if (rc == DYNSESS_E_NOTFOUND) {
            rc = dynsess__sess_dropped(ctx, s, set_cookie, cap, out_len, err);
            goto done;
        }
        if (rc == DYNSESS_E_CONFLICT) {
            /* another request wrote (and so extended) it meanwhile */
            if (set_cookie && cap) set_cookie[0] = 0;
            *out_len = 0;
            rc = DYNSESS_OK;
            goto done;
        }
        if (rc) { if (err) *err = e; goto done; }
        if (ctx->self_contained) {
            rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
            if (rc) goto done;
        }
        s->expires_at = expires;
        if (ctx->self_contained) rc = dynsess__sess_commit(ctx, s, 0, &tok, expires, 0, err);
    }
done:
    if (rc && rc != DYNSESS_E_BUFFER) *out_len = 0;
    if (rc && set_cookie && cap) set_cookie[0] = 0;
    dynsess_buf_free(&cur);
    dynsess_buf_free(&tok);
    dynsess_buf_free(&rec.data);
    return rc;
}

DYNSESS_DEF dynsess_status dynsess_destroy(dynsess_ctx *ctx, dynsess_session *s, char *set_cookie,
                                           size_t cap, size_t *out_len, dynsess_error *err) {
    dynsess_status rc = DYNSESS_OK, rc2;
    dynsess_str none = {0, 0};
    dynsess_error e;
    size_t dummy_len;
    if (!out_len) out_len = &dummy_len;
    *out_len = 0;
    if (!ctx || !s || s->ctx != ctx)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: destroy needs the ctx the session was loaded from");
    dynsess_error_clear(&e);
    if (!s->is_new && s->token.len)
        rc = ctx->store->vt->destroy(ctx->store, dynsess__sess_tokstr(s), &e);
    dynsess_value_clear(s->root);
    dynsess_value_clear(s->journal);
    dynsess_buf_reset(&s->token);
    s->is_new = 1;
    s->destroyed = 1;
    s->regenerated = 0;
    s->version = 0;
    rc2 = dynsess__sess_set_cookie(ctx, none, 0, 1, set_cookie, cap, out_len, err);
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    return rc2;
}

DYNSESS_DEF dynsess_status dynsess_regenerate(dynsess_ctx *ctx, dynsess_session *s,
                                              dynsess_error *err) {
    if (!ctx || !s || s->ctx != ctx)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: regenerate needs the ctx the session was loaded from");
    if (s->destroyed)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: regenerate after destroy");
    s->regenerated = 1;
    return DYNSESS_OK;
}

/* ---- the dict ------------------------------------------------------------------ */
static dynsess_status dynsess__sess_key_ok(const dynsess_session *s, const char *key,
                                           dynsess_error *err) {
    if (!s) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: session is 0");
    if (!key) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: key is 0");
    if (!dynsess__sess_utf8_valid(key, strlen(key)))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: key is not valid utf-8");
    return DYNSESS_OK;
}

/* Stores v (already in s->doc) under key and notes the key in the journal. */
static dynsess_status dynsess__sess_put(dynsess_session *s, const char *key, dynsess_value *v,
                                        dynsess_error *err) {
    size_t n = strlen(key);
    dynsess_value *mark;
    dynsess_status rc;
    int had_mark;
    if (!v) return dynsess__fail_nomem(err, "session");
    had_mark = dynsess_object_get(s->journal, key, n) != 0;
    if (!had_mark) {
        mark = dynsess_value_new_null(s->doc);
        if (!mark) return dynsess__fail_nomem(err, "session");
        rc = dynsess_object_set(s->doc, s->journal, key, n, mark, err);
        if (rc) return rc;
    }
    rc = dynsess_object_set(s->doc, s->root, key, n, v, err);
    if (rc && !had_mark) dynsess_object_remove(s->journal, key, n);
    return rc;
}

DYNSESS_DEF const dynsess_value *dynsess_session_get(const dynsess_session *s, const char *key) {
    if (!s || !key) return 0;
    return dynsess_object_get(s->root, key, strlen(key));
}

DYNSESS_DEF dynsess_status dynsess_session_set(dynsess_session *s, const char *key,
                                               const dynsess_value *v, dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    if (!v) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: value is 0");
    return dynsess__sess_put(s, key, dynsess_value_copy(s->doc, v), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_str_n(dynsess_session *s, const char *key,
                                                     const char *v, size_t len,
                                                     dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    if (!v && len) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: value is 0");
    if (!dynsess__sess_utf8_valid(v, len))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: string value is not valid utf-8");
    return dynsess__sess_put(s, key, dynsess_value_new_string(s->doc, v ? v : "", len), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_str(dynsess_session *s, const char *key,
                                                   const char *v, dynsess_error *err) {
    if (!v) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: value is 0");
    return dynsess_session_set_str_n(s, key, v, strlen(v), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_int(dynsess_session *s, const char *key,
                                                   int64_t v, dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    return dynsess__sess_put(s, key, dynsess_value_new_int(s->doc, v), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_real(dynsess_session *s, const char *key,
                                                    double v, dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    if (v != v || v - v != 0.0)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: json cannot carry NaN or infinity");
    return dynsess__sess_put(s, key, dynsess_value_new_real(s->doc, v), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_bool(dynsess_session *s, const char *key, int v,
                                                    dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    return dynsess__sess_put(s, key, dynsess_value_new_bool(s->doc, v ? 1 : 0), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_null(dynsess_session *s, const char *key,
                                                    dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    return dynsess__sess_put(s, key, dynsess_value_new_null(s->doc), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_json(dynsess_session *s, const char *key,
                                                    const char *json, size_t len,
                                                    dynsess_error *err) {
    dynsess_value *v = 0;
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    if (!json && len) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: json is 0");
    rc = dynsess_json_parse(s->doc, json ? json : "", len, &s->ctx->desc.json, &v, err);
    if (rc) return rc;
    return dynsess__sess_put(s, key, v, err);
}

DYNSESS_DEF int dynsess_session_pop(dynsess_session *s, const char *key) {
    size_t n;
    int r;
    if (!s || !key) return 0;
    n = strlen(key);
    r = dynsess_object_remove(s->root, key, n);
    if (r <= 0) return r;
    if (!dynsess_object_get(s->journal, key, n)) {
        /* best effort: a key that was loaded is caught by the diff anyway */
        dynsess_value *mark = dynsess_value_new_null(s->doc);
        if (mark) dynsess_object_set(s->doc, s->journal, key, n, mark, 0);
    }
    return 1;
}

DYNSESS_DEF void dynsess_session_clear(dynsess_session *s) {
    if (s) dynsess_value_clear(s->root);
}

DYNSESS_DEF size_t dynsess_session_count(const dynsess_session *s) {
    return s ? dynsess_value_len(s->root) : 0;
}

DYNSESS_DEF dynsess_str dynsess_session_key_at(const dynsess_session *s, size_t i) {
    dynsess_str none = {0, 0};
    if (!s || i >= dynsess_value_len(s->root)) return none;
    return dynsess_object_key_at(s->root, i);
}

DYNSESS_DEF const dynsess_value *dynsess_session_value_at(const dynsess_session *s, size_t i) {
    if (!s || i >= dynsess_value_len(s->root)) return 0;
    return dynsess_object_value_at(s->root, i);
}

DYNSESS_DEF const dynsess_value *dynsess_session_root(const dynsess_session *s) {
    return s ? s->root : 0;
}

DYNSESS_DEF int dynsess_session_is_new(const dynsess_session *s) { return s ? s->is_new : 0; }

DYNSESS_DEF int dynsess_session_modified(const dynsess_session *s) {
    dynsess_buf cur;
    int modified;
    if (!s) return 0;
    dynsess_buf_init(&cur, &s->ctx->desc.allocator);
    if (dynsess__sess_serialize(s, &cur, 0)) modified = 1;
    else modified = !dynsess__sess_buf_eq(&cur, &s->orig);
    dynsess_buf_free(&cur);
    return modified;
}

DYNSESS_DEF dynsess_str dynsess_session_id(const dynsess_session *s) {
    dynsess_str r = {0, 0};
    if (!s || s->ctx->self_contained || !s->token.len) {
        r.ptr = "";
        return r;
    }
    r.ptr = s->token.ptr;
    r.len = s->token.len;
    return r;
}

DYNSESS_DEF const char *dynsess_session_reason(const dynsess_session *s) {
    return s ? s->reason : "";
}

DYNSESS_DEF int64_t dynsess_session_created_at(const dynsess_session *s) {
    return s ? s->created_at : 0;
}

DYNSESS_DEF int64_t dynsess_session_expires_at(const dynsess_session *s) {
    return s ? s->expires_at : 0;
}

DYNSESS_DEF dynsess_doc *dynsess_session_doc(dynsess_session *s) { return s ? s->doc : 0; }

#undef DYNSESS__MAX_COOKIE_TRIES

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
