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
