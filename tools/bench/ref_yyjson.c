/* tools/bench/ref_yyjson.c - yyjson (github.com/ibireme/yyjson, C) as a speed yardstick
   next to dynsess and cJSON on the payloads of json_payloads.h, timed as bench_json.c
   and ref_fast.cpp time: each op calibrated to ~2 ms a repeat, 61 interleaved repeats,
   ns/op = median of the repeats, "x cJSON" = median over the repeats of (cJSON time /
   that op's time) in the same repeat. yyjson is in neither Debian 12 nor npm, so this
   is built only when the caller points at a yyjson source folder:
       make bench YYJSON_DIR=/path/to/yyjson/src      (the folder with yyjson.c/.h)
   Nothing of yyjson is part of this repository.
     parse      dynsess      doc_new + json_parse + doc_free (as bench_json)
                yyjson       yyjson_read(src, len, 0) + yyjson_doc_free
                yyjson opts  yyjson_read_opts(NOFLAG, default allocator) + doc_free
                yyjson pool  yyjson_alc_pool_init on a caller buffer of
                             yyjson_read_max_memory_usage(len, 0) bytes (no malloc)
                cJSON        cJSON_ParseWithLength + cJSON_Delete
     serialize  dynsess      json_write into a reused dynsess_buf (as bench_json)
                yyjson       yyjson_write(doc, 0, &len) + free
                cJSON        cJSON_PrintUnformatted + cJSON_free (bench_json uses
                             cJSON_PrintPreallocated, so these ratios differ from its)
   Before timing, it checks that each parser takes each payload, that yyjson's value
   count matches cJSON's tree and that yyjson writes the payload back byte for byte. */
// make-libs: -lcjson
#define _POSIX_C_SOURCE 200809L
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "yyjson.h"
#include <cjson/cJSON.h>
#define BENCH_NO_ALLOC_COUNT /* the peers' mallocs are timed: no counter on them */
#include "bench.h"
#include "json_payloads.h"

typedef struct {
    const char *src;
    size_t len;
    dynsess_value *root;   /* parsed once, for the write ops */
    yyjson_doc *yy;
    cJSON *cj;
    dynsess_buf out;       /* reused by dynsess write */
    char *pool;            /* caller buffer for the yyjson pool allocator */
    size_t pool_len;
    volatile size_t sink;
} ctx_t;

/* ---- parse ops ------------------------------------------------------------------ */
static void ours_parse(ctx_t *c) {
    dynsess_doc *doc;
    dynsess_value *root;
    if (dynsess_doc_new(0, &doc, 0) || dynsess_json_parse(doc, c->src, c->len, 0, &root, 0)) abort();
    c->sink += dynsess_value_len(root);
    dynsess_doc_free(doc);
}
static void yy_parse(ctx_t *c) {
    yyjson_doc *d = yyjson_read(c->src, c->len, 0);
    if (!d) abort();
    c->sink += yyjson_doc_get_val_count(d);
    yyjson_doc_free(d);
}
static void yy_parse_opts(ctx_t *c) {
    yyjson_doc *d = yyjson_read_opts((char *)(size_t)c->src, c->len, YYJSON_READ_NOFLAG, NULL, NULL);
    if (!d) abort();
    c->sink += yyjson_doc_get_val_count(d);
    yyjson_doc_free(d);
}
static void yy_parse_pool(ctx_t *c) {
    yyjson_alc alc;
    yyjson_doc *d;
    if (!yyjson_alc_pool_init(&alc, c->pool, c->pool_len)) abort();
    d = yyjson_read_opts((char *)(size_t)c->src, c->len, YYJSON_READ_NOFLAG, &alc, NULL);
    if (!d) abort();
    c->sink += yyjson_doc_get_val_count(d);
    yyjson_doc_free(d);
}
static void cjson_parse(ctx_t *c) {
    cJSON *j = cJSON_ParseWithLength(c->src, c->len);
    if (!j) abort();
    c->sink += (size_t)cJSON_GetArraySize(j);
    cJSON_Delete(j);
}

/* ---- serialize ops -------------------------------------------------------------- */
static void ours_write(ctx_t *c) {
    dynsess_buf_reset(&c->out);
    if (dynsess_json_write(c->root, &c->out, 0)) abort();
    c->sink += c->out.len;
}
static void yy_write(ctx_t *c) {
    size_t n = 0;
    char *s = yyjson_write(c->yy, 0, &n);
    if (!s) abort();
    c->sink += n;
    free(s);
}
static void cjson_write(ctx_t *c) {
    char *s = cJSON_PrintUnformatted(c->cj);
    if (!s) abort();
    c->sink += (size_t)s[0];
    cJSON_free(s);
}

/* ---- timing (as ref_fast.cpp; the last op is cJSON) ----------------------------- */
typedef void (*op_fn)(ctx_t *);
#define REPS 61
#define MAXOPS 5
static void time_ops(const op_fn *f, int nops, ctx_t *c, double *out, double *x) {
    long iters[MAXOPS];
    static double reps[MAXOPS][REPS], q[REPS];
    int k, r;
    for (k = 0; k < nops; k++) {
        long n = 1, i;
        double t;
        for (;;) {
            double t0 = now_ns();
            for (i = 0; i < n; i++) f[k](c);
            t = now_ns() - t0;
            if (t > 5e5) break;
            n *= 4;
        }
        iters[k] = (long)((double)n * 2e6 / t) + 1;
    }
    for (r = 0; r < REPS; r++)
        for (k = 0; k < nops; k++) {
            long i;
            double t0 = now_ns();
            for (i = 0; i < iters[k]; i++) f[k](c);
            reps[k][r] = (now_ns() - t0) / (double)iters[k];
        }
    for (k = 0; k < nops; k++) {
        for (r = 0; r < REPS; r++) q[r] = reps[nops - 1][r] / reps[k][r];
        qsort(q, REPS, sizeof q[0], cmp_d);
        x[k] = q[REPS / 2];
    }
    for (k = 0; k < nops; k++) {
        qsort(reps[k], REPS, sizeof reps[k][0], cmp_d);
        out[k] = reps[k][REPS / 2];
    }
}

/* values as yyjson counts them (object keys are values): cJSON nodes + object members */
static size_t cjson_count(const cJSON *j) {
    size_t n = 1;
    const cJSON *c;
    for (c = j->child; c; c = c->next) n += cjson_count(c) + (cJSON_IsObject(j) ? 1 : 0);
    return n;
}

int main(void) {
    static const char *const names[3] = {"session ~300 B", "session ~4 KB", "document ~64 KB"};
    static const op_fn parse_ops[5] = {ours_parse, yy_parse, yy_parse_opts, yy_parse_pool,
                                       cjson_parse};
    static const op_fn write_ops[3] = {ours_write, yy_write, cjson_write};
    int k;
    printf("ref_yyjson: ns/op, median of %d interleaved repeats of ~2 ms; x = cJSON time / that "
           "time (median of paired repeats)\n", REPS);
    printf("yyjson %s, cJSON %d.%d.%d, compiler %s\n", YYJSON_VERSION_STRING,
           CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR, CJSON_VERSION_PATCH, __VERSION__);
    /* checks: every parser accepts every payload, counts agree, writes give back the bytes */
    for (k = 0; k < 3; k++) {
        size_t len, n = 0, ycount, ccount;
        char *src = make_payload(k, &len);
        yyjson_read_err e;
        yyjson_doc *d = yyjson_read_opts(src, len, 0, NULL, &e);
        char *w, *pool;
        size_t pool_len = yyjson_read_max_memory_usage(len, 0);
        yyjson_alc alc;
        yyjson_doc *dp;
        cJSON *cj = cJSON_ParseWithLength(src, len);
        if (!d) { printf("yyjson cannot parse payload %d: %s at %lu\n", k, e.msg, (unsigned long)e.pos); return 1; }
        if (!cj) { printf("cJSON cannot parse payload %d\n", k); return 1; }
        ycount = yyjson_doc_get_val_count(d);
        ccount = cjson_count(cj);
        w = yyjson_write(d, 0, &n);
        pool = (char *)malloc(pool_len);
        if (!pool || !yyjson_alc_pool_init(&alc, pool, pool_len)) return 1;
        dp = yyjson_read_opts(src, len, 0, &alc, &e);
        printf("check %-15s %5lu bytes: yyjson %lu values (cJSON tree: %lu), read size %lu, "
               "pool read %s (%lu-byte buffer), yyjson_write %s\n", names[k], (unsigned long)len,
               (unsigned long)ycount, (unsigned long)ccount,
               (unsigned long)yyjson_doc_get_read_size(d), dp ? "ok" : "FAILED",
               (unsigned long)pool_len,
               (w && n == len && !memcmp(w, src, len)) ? "byte-identical" : "DIFFERS");
        if (!dp || ycount != ccount || yyjson_doc_get_read_size(d) != len) return 1;
        yyjson_doc_free(dp);
        free(pool);
        free(w);
        yyjson_doc_free(d);
        cJSON_Delete(cj);
        free(src);
    }
    printf("%-17s %-9s %7s %14s %14s %14s %14s %7s\n", "payload", "op", "bytes", "dynsess",
           "yyjson", "yyjson opts", "yyjson pool", "cJSON");
    for (k = 0; k < 3; k++) {
        ctx_t c;
        dynsess_doc *doc;
        double t[MAXOPS], x[MAXOPS];
        int j;
        memset(&c, 0, sizeof c);
        c.src = make_payload(k, &c.len);
        if (dynsess_doc_new(0, &doc, 0) || dynsess_json_parse(doc, c.src, c.len, 0, &c.root, 0)) {
            printf("dynsess cannot parse payload %d\n", k);
            return 1;
        }
        c.yy = yyjson_read(c.src, c.len, 0);
        c.cj = cJSON_ParseWithLength(c.src, c.len);
        c.pool_len = yyjson_read_max_memory_usage(c.len, 0);
        c.pool = (char *)malloc(c.pool_len);
        if (!c.yy || !c.cj || !c.pool) return 1;
        dynsess_buf_init(&c.out, 0);
        ours_write(&c); /* size the reused buffer once, as bench_json does */

        time_ops(parse_ops, 5, &c, t, x);
        printf("%-17s %-9s %7lu", names[k], "parse", (unsigned long)c.len);
        for (j = 0; j < 4; j++) printf(" %7.0f %5.1fx", t[j], x[j]);
        printf(" %7.0f\n", t[4]);

        time_ops(write_ops, 3, &c, t, x);
        printf("%-17s %-9s %7s", "", "serialize", "");
        printf(" %7.0f %5.1fx %7.0f %5.1fx %14s %14s %7.0f\n", t[0], x[0], t[1], x[1], "-", "-",
               t[2]);

        dynsess_buf_free(&c.out);
        yyjson_doc_free(c.yy);
        cJSON_Delete(c.cj);
        dynsess_doc_free(doc);
        free(c.pool);
        free((char *)(size_t)c.src);
    }
    return 0;
}
