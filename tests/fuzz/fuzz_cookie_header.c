/* tests/fuzz/fuzz_cookie_header.c - libFuzzer harness for @session's Cookie header
   handling: dynsess_load on arbitrary header bytes, against a memory-store ctx (one
   live session under the id "AAAA...A", 43 chars, from a fixed rng) and a sealed-cookie
   ctx (one valid sealed cookie: fixed rng and clock make it reproducible; see
   tests/fuzz/corpus_cookie_header/). Build: clang -fsanitize=fuzzer,address,undefined
   (tests/extra.mk); run: tests/integration/fuzz.sh. Checks, besides
   memory safety:
   - load never fails on header bytes (only the store could fail, and it does not here);
   - a session is adopted only if the header carries the real cookie, and then holds
     exactly the data saved at start-up;
   - a new session saves nothing for an empty dict, and what it sends is a clearing
     cookie exactly when a session cookie was rejected;
   - setting a key and saving emits a cookie that loads back with the key. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static int64_t fz_clock(void *user) { (void)user; return 1764000000; }
static dynsess_status fz_rng(void *user, void *buf, size_t n) {
    (void)user;
    memset(buf, 0, n);
    return DYNSESS_OK;
}

static dynsess_ctx *fz_mem_ctx, *fz_ck_ctx;
static dynsess_store *fz_mem;
static char fz_ck_cookie[512];

static void fz_make(dynsess_ctx *ctx, char *cookie_out, size_t cap) {
    dynsess_session *s = 0;
    dynsess_error err;
    char sc[1024], *semi;
    size_t n = 0;
    FUZZ_CHECK(dynsess_load(ctx, 0, 0, &s, &err) == DYNSESS_OK);
    FUZZ_CHECK(dynsess_session_set_json(s, "user", "\"fuzz\"", 6, &err) == DYNSESS_OK);
    FUZZ_CHECK(dynsess_save(ctx, s, sc, sizeof sc, &n, &err) == DYNSESS_OK && n);
    dynsess_release(s);
    semi = strchr(sc, ';');
    FUZZ_CHECK(semi && (size_t)(semi - sc) < cap);
    memcpy(cookie_out, sc, (size_t)(semi - sc));
    cookie_out[semi - sc] = 0;
}

static void fz_init(void) {
    dynsess_desc d;
    dynsess_error err;
    char mem_cookie[128];
    memset(&d, 0, sizeof d);
    d.clock.now = fz_clock;
    d.rng.fill = fz_rng;
    FUZZ_CHECK(dynsess_store_memory_new(0, &fz_mem, &err) == DYNSESS_OK);
    d.store = fz_mem;
    FUZZ_CHECK(dynsess_setup(&fz_mem_ctx, &d, &err) == DYNSESS_OK);
    d.store = 0;
    d.secrets[0] = dynsess_cstr("fuzz-secret-0123456789abcdef-0123456789abcdef");
    FUZZ_CHECK(dynsess_setup(&fz_ck_ctx, &d, &err) == DYNSESS_OK);
    fz_make(fz_mem_ctx, mem_cookie, sizeof mem_cookie);
    FUZZ_CHECK(!strcmp(mem_cookie, "session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    fz_make(fz_ck_ctx, fz_ck_cookie, sizeof fz_ck_cookie);
}

static void fz_one(dynsess_ctx *ctx, const char *h, size_t len) {
    dynsess_session *s = 0, *s2 = 0;
    dynsess_error err;
    char sc[8192], *semi;
    size_t n = 0;
    const dynsess_value *v;
    FUZZ_CHECK(dynsess_load(ctx, h, len, &s, &err) == DYNSESS_OK);
    if (!dynsess_session_is_new(s)) {
        v = dynsess_session_get(s, "user");
        FUZZ_CHECK(dynsess_session_count(s) == 1 && dynsess_value_str(v).len == 4 &&
                   !memcmp(dynsess_value_str(v).ptr, "fuzz", 4));
        FUZZ_CHECK(!dynsess_session_reason(s)[0]);
        FUZZ_CHECK(dynsess_save(ctx, s, sc, sizeof sc, &n, &err) == DYNSESS_OK && n == 0);
        dynsess_release(s);
        return;
    }
    FUZZ_CHECK(dynsess_session_reason(s)[0]);
    FUZZ_CHECK(dynsess_save(ctx, s, sc, sizeof sc, &n, &err) == DYNSESS_OK);
    if (n) FUZZ_CHECK(strstr(sc, "=; Path=/; Max-Age=0;") != 0);
    else FUZZ_CHECK(!strcmp(dynsess_session_reason(s), "no session cookie"));
    dynsess_release(s);
    /* a fresh session round trip (the memory ctx would create records: cookie ctx only) */
    if (ctx == fz_ck_ctx) {
        FUZZ_CHECK(dynsess_load(ctx, h, len, &s, &err) == DYNSESS_OK);
        FUZZ_CHECK(dynsess_session_set_str_n(s, "k", "v", 1, &err) == DYNSESS_OK);
        FUZZ_CHECK(dynsess_save(ctx, s, sc, sizeof sc, &n, &err) == DYNSESS_OK && n > 0);
        dynsess_release(s);
        semi = strchr(sc, ';');
        FUZZ_CHECK(semi != 0);
        FUZZ_CHECK(dynsess_load(ctx, sc, (size_t)(semi - sc), &s2, &err) == DYNSESS_OK);
        FUZZ_CHECK(!dynsess_session_is_new(s2) && dynsess_session_get(s2, "k"));
        dynsess_release(s2);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    const char *h = (const char *)data;
    if (!ready) { fz_init(); ready = 1; }
    /* the memory ctx sees the bytes as they are; the cookie ctx sees them with the
       literal "@SEALED@" replaced by the valid sealed value (so the corpus can hold
       headers around a real cookie without knowing its bytes) */
    fz_one(fz_mem_ctx, h, size);
    {
        static char buf[70000];
        const char *mark = "@SEALED@";
        size_t ml = 8, i, o = 0, cl = strlen(fz_ck_cookie) - 8; /* value after "session=" */
        if (size > 60000) return 0;
        for (i = 0; i < size;) {
            if (i + ml <= size && !memcmp(h + i, mark, ml)) {
                memcpy(buf + o, fz_ck_cookie + 8, cl);
                o += cl;
                i += ml;
            } else {
                buf[o++] = h[i++];
            }
        }
        fz_one(fz_ck_ctx, buf, o);
    }
    return 0;
}
