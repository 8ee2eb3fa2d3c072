/* tools/bench/bench_session.c - the request cycle (dynsess_load -> get/set -> dynsess_save ->
   dynsess_release) on a ~300-byte session, in requests/s on one thread:
     memory store: read-only request (nothing written), write request (counter += 1:
     serialize, store write, Set-Cookie), new session (id from the OS CSPRNG, create);
     sealed-cookie store: read-only (unseal) and write (unseal + seal).
   The floor printed next to them is the JSON codec alone (parse + serialize of the same
   session text, fresh document each time): the ratio shows what the session layer adds.
   Median of REPEATS runs; heap allocations per request counted by interposing malloc. */
#define _POSIX_C_SOURCE 200809L
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "bench.h"

#define REPEATS 7
static volatile long sink;

/* ~300 bytes, the shape of a typical web session */
static const char payload[] =
    "{\"user\":\"alice@example.com\",\"user_id\":918273,\"visits\":1,"
    "\"csrf\":\"q2Zb1-vT8mWcXo3kLr9PfA6sYdE4hJ0uNiG7tKxQwVz\",\"roles\":[\"user\",\"editor\"],"
    "\"cart\":[{\"sku\":\"A-1001\",\"qty\":2,\"price\":19.99},{\"sku\":\"B-2002\",\"qty\":1,"
    "\"price\":5.5}],\"prefs\":{\"theme\":\"dark\",\"lang\":\"en-GB\",\"tz\":\"Europe/London\"},"
    "\"flash\":null,\"login_at\":1764000000}";

static char cookie_hdr[6200];
static char set_cookie[6000];

static void die(const char *what, const dynsess_error *e) {
    printf("%s failed: %s\n", what, e ? e->msg : "");
    exit(1);
}

typedef enum { K_FLOOR, K_READ, K_WRITE, K_NEW } kind;

static void one(dynsess_ctx *ctx, kind k) {
    dynsess_error err;
    dynsess_session *s = 0;
    size_t n = 0;
    if (k == K_FLOOR) {
        dynsess_doc *doc = 0;
        dynsess_value *root = 0;
        dynsess_buf b;
        if (dynsess_doc_new(0, &doc, &err)) die("doc", &err);
        if (dynsess_json_parse(doc, payload, sizeof payload - 1, 0, &root, &err)) die("parse", &err);
        dynsess_buf_init(&b, 0);
        if (dynsess_json_write(root, &b, &err)) die("write", &err);
        sink += (long)b.len;
        dynsess_buf_free(&b);
        dynsess_doc_free(doc);
        return;
    }
    if (dynsess_load(ctx, k == K_NEW ? 0 : cookie_hdr, k == K_NEW ? 0 : strlen(cookie_hdr), &s,
                     &err))
        die("load", &err);
    if (k == K_NEW) {
        if (dynsess_session_set_json(s, "user", "\"bob\"", 5, &err)) die("set", &err);
    } else {
        int64_t v = dynsess_value_int(dynsess_session_get(s, "visits"));
        if (dynsess_session_is_new(s)) die(dynsess_session_reason(s), 0);
        sink += (long)v;
        if (k == K_WRITE && dynsess_session_set_int(s, "visits", v + 1, &err)) die("set", &err);
    }
    if (dynsess_save(ctx, s, set_cookie, sizeof set_cookie, &n, &err)) die("save", &err);
    if ((k == K_READ) != (n == 0)) die("unexpected Set-Cookie presence", 0);
    sink += (long)n;
    dynsess_release(s);
}

/* Makes a session with the payload and sets cookie_hdr to a realistic header around it. */
static void prime(dynsess_ctx *ctx) {
    dynsess_error err;
    dynsess_session *s = 0;
    size_t n = 0, i;
    const dynsess_value *root;
    dynsess_doc *doc = 0;
    dynsess_value *v = 0;
    char *semi;
    if (dynsess_load(ctx, 0, 0, &s, &err)) die("load", &err);
    if (dynsess_doc_new(0, &doc, &err)) die("doc", &err);
    if (dynsess_json_parse(doc, payload, sizeof payload - 1, 0, &v, &err)) die("parse", &err);
    root = v;
    for (i = 0; i < dynsess_value_len(root); i++) {
        dynsess_str key = dynsess_object_key_at(root, i);
        char kbuf[64];
        memcpy(kbuf, key.ptr, key.len);
        kbuf[key.len] = 0;
        if (dynsess_session_set(s, kbuf, dynsess_object_value_at(root, i), &err)) die("set", &err);
    }
    dynsess_doc_free(doc);
    if (dynsess_save(ctx, s, set_cookie, sizeof set_cookie, &n, &err)) die("save", &err);
    dynsess_release(s);
    semi = strchr(set_cookie, ';');
    if (semi) *semi = 0;
    snprintf(cookie_hdr, sizeof cookie_hdr, "_ga=GA1.2.1234567890.1764000000; theme=dark; %s; "
             "_gid=GA1.2.987654321.1764000000", set_cookie);
}

static double run(dynsess_ctx *ctx, kind k, long iters, double *allocs_per) {
    double t[REPEATS];
    int r;
    long a0 = bench_allocs, i;
    for (i = 0; i < iters / 10; i++) one(ctx, k); /* warm up */
    a0 = bench_allocs;
    for (r = 0; r < REPEATS; r++) {
        double t0 = now_ns();
        for (i = 0; i < iters; i++) one(ctx, k);
        t[r] = (now_ns() - t0) / (double)iters;
    }
    *allocs_per = (double)(bench_allocs - a0) / ((double)iters * REPEATS);
    qsort(t, REPEATS, sizeof t[0], cmp_d);
    return t[REPEATS / 2];
}

int main(void) {
    dynsess_ctx *mem_ctx = 0, *mem_ts_ctx = 0, *ck_ctx = 0;
    dynsess_store *mem = 0, *mem_ts = 0;
    dynsess_memory_desc md;
    dynsess_desc d;
    dynsess_error err;
    double floor_ns, ns, al;
    struct { const char *name; dynsess_ctx **ctx; kind k; long iters; } rows[] = {
        { "memory: read-only request", &mem_ctx, K_READ, 200000 },
        { "memory: write request", &mem_ctx, K_WRITE, 200000 },
        { "memory: new session", &mem_ctx, K_NEW, 100000 },
        { "memory (thread_safe): write request", &mem_ts_ctx, K_WRITE, 200000 },
        { "cookie: read-only request", &ck_ctx, K_READ, 50000 },
        { "cookie: write request", &ck_ctx, K_WRITE, 50000 },
    };
    size_t i;
    memset(&md, 0, sizeof md);
    md.max_sessions = 50000;
    if (dynsess_store_memory_new(&md, &mem, &err)) die("memory", &err);
    md.thread_safe = 1;
    if (dynsess_store_memory_new(&md, &mem_ts, &err)) die("memory", &err);
    memset(&d, 0, sizeof d);
    d.store = mem;
    if (dynsess_setup(&mem_ctx, &d, &err)) die("setup", &err);
    d.store = mem_ts;
    if (dynsess_setup(&mem_ts_ctx, &d, &err)) die("setup", &err);
    d.store = 0;
    d.secrets[0] = dynsess_cstr("bench-secret-0123456789abcdef0123456789abcdef");
    if (dynsess_setup(&ck_ctx, &d, &err)) die("setup", &err);

    printf("session payload: %lu bytes of JSON; median of %d runs; one thread\n",
           (unsigned long)(sizeof payload - 1), REPEATS);
    floor_ns = run(0, K_FLOOR, 200000, &al);
    printf("%-38s %10s %12s %10s %12s\n", "case", "ns/req", "req/s", "x floor", "allocs/req");
    printf("%-38s %10.0f %12.0f %10.2f %12.1f\n", "floor: json parse + serialize", floor_ns,
           1e9 / floor_ns, 1.0, al);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        prime(*rows[i].ctx);
        ns = run(*rows[i].ctx, rows[i].k, rows[i].iters, &al);
        printf("%-38s %10.0f %12.0f %10.2f %12.1f\n", rows[i].name, ns, 1e9 / ns, ns / floor_ns, al);
    }
    dynsess_shutdown(mem_ctx);
    dynsess_shutdown(mem_ts_ctx);
    dynsess_shutdown(ck_ctx);
    dynsess_store_close(mem);
    dynsess_store_close(mem_ts);
    return (int)(sink & 0);
}
