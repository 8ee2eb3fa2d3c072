/* tools/bench/json_payloads.h - the JSON payloads of the benchmarks, generated
   deterministically (fixed LCG) so that every run and every program (bench_json.c,
   ref_fast.cpp) times the same bytes: a ~300 B login session, a ~4 KB busy
   session and a ~64 KB document of records, all compact JSON. Compiles as C and
   as C++. The caller frees the returned text. */
#ifndef DYNSESS_JSON_PAYLOADS_H
#define DYNSESS_JSON_PAYLOADS_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t lcg = 12345;
static uint32_t rnd(uint32_t n) {
    lcg = lcg * 1103515245u + 12345u;
    return (lcg >> 8) % n;
}

/* ---- payloads ----------------------------------------------------------------- */
typedef struct { char *p; size_t n, cap; } sb;
static void put(sb *b, const char *s) {
    size_t k = strlen(s);
    if (b->n + k + 1 > b->cap) {
        b->cap = (b->n + k + 1) * 2;
        b->p = (char *)realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, k + 1);
    b->n += k;
}
/* fmt takes up to three longs; callers draw rnd() into locals first, so that the
   order of the draws does not depend on the compiler's argument order. */
static void putf(sb *b, const char *fmt, long x, long y, long z) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, fmt, x, y, z);
    put(b, tmp);
}
static void put_word(sb *b) {
    static const char *const w[] = {"alpha", "beta", "gamma", "delta", "cart", "user", "page",
                                    "order", "theme", "dark", "light", "caf\xc3\xa9", "na\\\"me",
                                    "line\\nbreak", "\xe2\x82\xac price"};
    put(b, w[rnd(15)]);
}

static char *make_small(size_t *len) { /* ~300 B: a login session */
    sb b = {0, 0, 0};
    put(&b, "{\"user_id\":48213,\"username\":\"ada.lovelace\",\"roles\":[\"admin\",\"editor\"],");
    put(&b, "\"csrf\":\"q8Zr2vXwK1pL0mN3bT7yU5iO9eA4sD6f\",\"login_at\":1764037012,");
    put(&b, "\"cart\":{\"items\":[{\"sku\":\"A-1001\",\"qty\":2,\"price\":19.99},{\"sku\":\"B-77\",\"qty\":1,");
    put(&b, "\"price\":5.5}],\"currency\":\"EUR\"},\"flash\":null,\"remember\":true,\"locale\":\"en-GB\"}");
    *len = b.n;
    return b.p;
}

static char *make_session(size_t target, size_t *len) { /* ~4 KB: a busy session */
    sb b = {0, 0, 0};
    long i = 0;
    put(&b, "{\"user_id\":48213,\"username\":\"ada.lovelace\",\"roles\":[\"admin\",\"editor\"],");
    put(&b, "\"prefs\":{\"theme\":\"dark\",\"tz\":\"Europe/London\",\"page_size\":50,\"beta\":false},");
    put(&b, "\"history\":[");
    while (b.n < target / 2) {
        if (i) put(&b, ",");
        long product = (long)rnd(100000), ref = (long)rnd(1000);
        putf(&b, "\"/products/%ld?ref=%ld\"", product, ref, 0);
        i++;
    }
    put(&b, "],\"cart\":[");
    i = 0;
    while (b.n < target - 120) {
        if (i) put(&b, ",");
        long sku = (long)rnd(99999), qty = (long)rnd(9) + 1, euros, cents;
        putf(&b, "{\"sku\":\"SKU-%05ld\",\"qty\":%ld,\"name\":\"", sku, qty, 0);
        put_word(&b);
        euros = (long)rnd(500);
        cents = (long)rnd(50) * 2 + 1;
        putf(&b, "\",\"price\":%ld.%02ld,\"gift\":", euros, cents, 0);
        put(&b, rnd(2) ? "true}" : "false}");
        i++;
    }
    put(&b, "],\"flash\":null,\"csrf\":\"q8Zr2vXwK1pL0mN3bT7yU5iO9eA4sD6f\"}");
    *len = b.n;
    return b.p;
}

static char *make_document(size_t target, size_t *len) { /* ~64 KB: records */
    sb b = {0, 0, 0};
    long i = 0;
    put(&b, "{\"version\":3,\"generated\":\"2026-11-25T02:00:00Z\",\"records\":[");
    while (b.n < target - 300) {
        if (i) put(&b, ",");
        long score = (long)rnd(1000), frac = (long)rnd(500) * 2 + 1, hi = (long)rnd(1000000) + 1,
             lo = (long)rnd(1000000), t1, t2, ratio, rfrac;
        putf(&b, "{\"id\":%ld,\"score\":%ld.", i, score, 0);
        putf(&b, "%03ld,\"big\":%ld%06ld,\"title\":\"", frac, hi, lo);
        put_word(&b);
        put(&b, " ");
        put_word(&b);
        t1 = (long)rnd(50);
        t2 = (long)rnd(50);
        putf(&b, "\",\"tags\":[\"t%ld\",\"t%ld\"],\"ok\":", t1, t2, 0);
        put(&b, rnd(3) ? "true" : "null");
        ratio = (long)rnd(10);
        rfrac = (long)rnd(500000) * 2 + 1;
        putf(&b, ",\"ratio\":%ld.%ld", ratio, rfrac, 0);
        put(&b, "}");
        i++;
    }
    put(&b, "]}");
    *len = b.n;
    return b.p;
}

/* Session variant i of a set (~300 B each, like make_small but every field drawn:
   user, roles, token, zero to two cart items, flash, locale), so that a benchmark
   can rotate through documents the CPU cannot learn by heart. Same bytes for the
   same i in every program: the generator restarts from a seed derived from i. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((unused))
#endif
static char *make_variant(unsigned i, size_t *len) {
    static const char *const names[] = {"ada.lovelace", "grace", "alan.turing", "kate",
                                        "linus.t", "margaret.hamilton", "bob"};
    static const char *const roles[] = {"\"admin\"", "\"admin\",\"editor\"", "\"viewer\"", "",
                                        "\"editor\",\"viewer\",\"ops\""};
    static const char *const skus[] = {"A-1001", "B-77", "C-314159", "D-2", "E-55555"};
    static const char *const locales[] = {"en-GB", "fr", "de-DE", "pt-BR"};
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    sb b = {0, 0, 0};
    char csrf[33];
    long uid, login, nitems, k;
    lcg = 777u + 7919u * i;
    uid = (long)rnd(1000000);
    put(&b, "{\"user_id\":");
    putf(&b, "%ld,\"username\":\"", uid, 0, 0);
    put(&b, names[rnd(7)]);
    put(&b, "\",\"roles\":[");
    put(&b, roles[rnd(5)]);
    for (k = 0; k < 32; k++) csrf[k] = alnum[rnd(62)];
    csrf[32] = 0;
    put(&b, "],\"csrf\":\"");
    put(&b, csrf);
    login = 1764000000L + (long)rnd(100000);
    putf(&b, "\",\"login_at\":%ld,\"cart\":{\"items\":[", login, 0, 0);
    nitems = (long)rnd(3);
    for (k = 0; k < nitems; k++) {
        long qty, euros, cents;
        if (k) put(&b, ",");
        put(&b, "{\"sku\":\"");
        put(&b, skus[rnd(5)]);
        qty = (long)rnd(9) + 1;
        euros = (long)rnd(200);
        cents = (long)rnd(99) + 1;
        putf(&b, "\",\"qty\":%ld,\"price\":%ld.", qty, euros, 0);
        putf(&b, cents % 10 ? "%02ld}" : "%ld}", cents % 10 ? cents : cents / 10, 0, 0);
    }
    put(&b, "],\"currency\":\"EUR\"},\"flash\":");
    put(&b, rnd(2) ? "null" : "\"saved\"");
    put(&b, ",\"remember\":");
    put(&b, rnd(2) ? "true" : "false");
    put(&b, ",\"locale\":\"");
    put(&b, locales[rnd(4)]);
    put(&b, "\"}");
    *len = b.n;
    return b.p;
}

/* Payload k (0: ~300 B session, 1: ~4 KB session, 2: ~64 KB document).
   The generator state is reset and the payloads before k are generated too, so
   payload k is the same bytes whether asked for alone or after the others. */
static char *make_payload(int k, size_t *len) {
    char *p = 0;
    int i;
    lcg = 12345;
    for (i = 0; i <= k; i++) {
        free(p);
        p = i == 0 ? make_small(len) : i == 1 ? make_session(4096, len) : make_document(65536, len);
    }
    return p;
}
#endif
