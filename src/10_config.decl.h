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
