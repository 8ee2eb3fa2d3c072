/* tools/bench/bench_json.c - @json speed against cJSON and jansson, same run.
   Payloads (json_payloads.h, shared with ref_fast.cpp): a ~300 B session, a ~4 KB
   session and a ~64 KB document, all compact JSON. For each: parse (new tree + free)
   and serialize (compact, into a buffer allocated once), median ns/op of 61 interleaved
   repeats of ~2 ms each, and our speed-up over each peer: the median over the repeats
   of peer ns / our ns in the same repeat (see time_ops).
     parse     dynsess: doc_new + json_parse + doc_free
               cJSON:   cJSON_ParseWithLength + cJSON_Delete
               jansson: json_loadb + json_decref
     serialize dynsess: json_write into a reused dynsess_buf
               cJSON:   cJSON_PrintPreallocated (unformatted)
               jansson: json_dumpb(JSON_COMPACT) into a preallocated buffer
   A fourth row parses 256 different ~300 B sessions in turn (make_variant), which
   the CPU's branch predictors cannot learn by heart as they can one document timed
   over and over; it is shown for that comparison and not counted in the target.
   Timings move with the machine's load; for a load-independent comparison count
   instructions of one op: `bench_json --run OP PAYLOAD N` runs only that op N times
   (OP: ours-parse, cjson-parse, jansson-parse, ours-write, cjson-write,
   jansson-write; PAYLOAD 0-2), e.g. under valgrind --tool=callgrind, and N = 0
   gives the setup cost to subtract. */
// make-libs: -lcjson -ljansson
#define _POSIX_C_SOURCE 200809L
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include <cjson/cJSON.h>
#include <jansson.h>
#define BENCH_NO_ALLOC_COUNT /* the peers' mallocs are timed: no counter on them */
#include "bench.h"
#include "json_payloads.h"

/* ---- timing --------------------------------------------------------------------- */
typedef void (*op_fn)(void *ctx);
/* Times three ops over the same context: each is calibrated to ~2 ms per repeat,
   then NREP repeats are interleaved (a, b, c, a, b, c, ...). out[i] = median ns/op
   of op i; ratio[i] = median over the repeats of (op i's time / op 0's time) in that
   repeat. On a shared machine whose speed changes by up to 2x within seconds (other
   tenants, frequency), pairing each peer's repeat with ours taken right beside it
   keeps those changes out of the ratio; short repeats keep one burst from weighing
   on several of them. */
#define NREP 61
static void time_ops(op_fn f[3], void *ctx, double out[3], double ratio[3]) {
    static double reps[3][NREP], q[NREP];
    double t0, t;
    long iters[3], i;
    int r, k;
    for (k = 0; k < 3; k++) {
        iters[k] = 1;
        for (;;) {
            t0 = now_ns();
            for (i = 0; i < iters[k]; i++) f[k](ctx);
            t = now_ns() - t0;
            if (t > 5e5) break;
            iters[k] *= 4;
        }
        iters[k] = (long)((double)iters[k] * 2e6 / t) + 1;
    }
    for (r = 0; r < NREP; r++) {
        for (k = 0; k < 3; k++) {
            t0 = now_ns();
            for (i = 0; i < iters[k]; i++) f[k](ctx);
            reps[k][r] = (now_ns() - t0) / (double)iters[k];
        }
    }
    for (k = 0; k < 3; k++) {
        for (r = 0; r < NREP; r++) q[r] = reps[k][r] / reps[0][r];
        qsort(q, NREP, sizeof q[0], cmp_d);
        ratio[k] = q[NREP / 2];
    }
    for (k = 0; k < 3; k++) {
        qsort(reps[k], NREP, sizeof reps[k][0], cmp_d);
        out[k] = reps[k][NREP / 2];
    }
}

typedef struct {
    const char *src;
    size_t len;
    dynsess_value *root;
    cJSON *cj;
    json_t *ja;
    dynsess_buf out;
    char *pre;
    size_t pre_cap;
    volatile size_t sink;
} ctx_t;

static void ours_parse(void *p) {
    ctx_t *c = (ctx_t *)p;
    dynsess_doc *doc;
    dynsess_value *root;
    if (dynsess_doc_new(0, &doc, 0) || dynsess_json_parse(doc, c->src, c->len, 0, &root, 0)) abort();
    c->sink += dynsess_value_len(root);
    dynsess_doc_free(doc);
}
static void cjson_parse(void *p) {
    ctx_t *c = (ctx_t *)p;
    cJSON *j = cJSON_ParseWithLength(c->src, c->len);
    if (!j) abort();
    c->sink += (size_t)cJSON_GetArraySize(j);
    cJSON_Delete(j);
}
static void jansson_parse(void *p) {
    ctx_t *c = (ctx_t *)p;
    json_error_t e;
    json_t *j = json_loadb(c->src, c->len, 0, &e);
    if (!j) abort();
    c->sink += json_object_size(j);
    json_decref(j);
}
static void ours_write(void *p) {
    ctx_t *c = (ctx_t *)p;
    dynsess_buf_reset(&c->out);
    if (dynsess_json_write(c->root, &c->out, 0)) abort();
    c->sink += c->out.len;
}
static void cjson_write(void *p) {
    ctx_t *c = (ctx_t *)p;
    if (!cJSON_PrintPreallocated(c->cj, c->pre, (int)c->pre_cap, 0)) abort();
    c->sink += (size_t)c->pre[0];
}
static void jansson_write(void *p) {
    ctx_t *c = (ctx_t *)p;
    size_t n = json_dumpb(c->ja, c->pre, c->pre_cap, JSON_COMPACT);
    if (!n || n > c->pre_cap) abort();
    c->sink += n;
}

/* the rotating set: each call parses the next of NVAR documents */
#define NVAR 256
typedef struct {
    char *src[NVAR];
    size_t len[NVAR], bytes;
    unsigned i;
    volatile size_t sink;
} vctx_t;
static void ours_parse_v(void *p) {
    vctx_t *c = (vctx_t *)p;
    unsigned i = c->i++ % NVAR;
    dynsess_doc *doc;
    dynsess_value *root;
    if (dynsess_doc_new(0, &doc, 0) || dynsess_json_parse(doc, c->src[i], c->len[i], 0, &root, 0))
        abort();
    c->sink += dynsess_value_len(root);
    dynsess_doc_free(doc);
}
static void cjson_parse_v(void *p) {
    vctx_t *c = (vctx_t *)p;
    unsigned i = c->i++ % NVAR;
    cJSON *j = cJSON_ParseWithLength(c->src[i], c->len[i]);
    if (!j) abort();
    c->sink += (size_t)cJSON_GetArraySize(j);
    cJSON_Delete(j);
}
static void jansson_parse_v(void *p) {
    vctx_t *c = (vctx_t *)p;
    unsigned i = c->i++ % NVAR;
    json_error_t e;
    json_t *j = json_loadb(c->src[i], c->len[i], 0, &e);
    if (!j) abort();
    c->sink += json_object_size(j);
    json_decref(j);
}
/* Times the rotating set; 1 if a document does not parse or write back as it was. */
static int bench_variants(void) {
    static vctx_t c;
    op_fn parse[3];
    double t[3], x[3];
    unsigned i;
    c.bytes = 0;
    for (i = 0; i < NVAR; i++) {
        dynsess_doc *doc;
        dynsess_value *root;
        dynsess_buf out;
        int same;
        c.src[i] = make_variant(i, &c.len[i]);
        c.bytes += c.len[i];
        dynsess_buf_init(&out, 0);
        if (dynsess_doc_new(0, &doc, 0) || dynsess_json_parse(doc, c.src[i], c.len[i], 0, &root, 0) ||
            dynsess_json_write(root, &out, 0)) {
            printf("cannot parse or write variant %u\n", i);
            return 1;
        }
        same = out.len == c.len[i] && !memcmp(out.ptr, c.src[i], out.len);
        dynsess_buf_free(&out);
        dynsess_doc_free(doc);
        if (!same) {
            printf("variant %u does not write back byte-identical\n", i);
            return 1;
        }
    }
    parse[0] = ours_parse_v; parse[1] = cjson_parse_v; parse[2] = jansson_parse_v;
    time_ops(parse, &c, t, x);
    printf("%-17s %-9s %11.0f %11.0f %11.0f %8.1fx %8.1fx\n", "256 sessions", "parse", t[0], t[1],
           t[2], x[1], x[2]);
    printf("%-17s %lu bytes on average, each parsed in turn\n", "~300 B, rotating",
           (unsigned long)(c.bytes / NVAR));
    for (i = 0; i < NVAR; i++) free(c.src[i]);
    return 0;
}

static int run_one(const char *op, int k, long n) {
    static const char *const ops[6] = {"ours-parse", "cjson-parse", "jansson-parse",
                                       "ours-write", "cjson-write", "jansson-write"};
    op_fn fns[6];
    ctx_t c;
    dynsess_doc *doc;
    json_error_t e;
    char *src;
    size_t len;
    long i;
    int o;
    fns[0] = ours_parse; fns[1] = cjson_parse; fns[2] = jansson_parse;
    fns[3] = ours_write; fns[4] = cjson_write; fns[5] = jansson_write;
    for (o = 0; o < 6 && strcmp(op, ops[o]); o++) {}
    if (o == 6 || k < 0 || k > 2) { printf("unknown op or payload\n"); return 2; }
    src = make_payload(k, &len);
    memset(&c, 0, sizeof c);
    c.src = src;
    c.len = len;
    if (dynsess_doc_new(0, &doc, 0) || dynsess_json_parse(doc, src, len, 0, &c.root, 0)) return 1;
    c.cj = cJSON_ParseWithLength(src, len);
    c.ja = json_loadb(src, len, 0, &e);
    dynsess_buf_init(&c.out, 0);
    c.pre_cap = len * 2 + 1024;
    c.pre = (char *)malloc(c.pre_cap);
    if (!c.cj || !c.ja || !c.pre) return 1;
    ours_write(&c); /* size the output buffer once, as in the timed runs */
    for (i = 0; i < n; i++) fns[o](&c);
    printf("%s payload %d: %ld runs\n", op, k, n);
    return 0;
}

int main(int argc, char **argv) {
    const char *names[3] = {"session ~300 B", "session ~4 KB", "document ~64 KB"};
    char *src[3];
    size_t len[3];
    int k, worst_ok = 1;
    if (argc == 5 && !strcmp(argv[1], "--run")) return run_one(argv[2], atoi(argv[3]), atol(argv[4]));
    for (k = 0; k < 3; k++) src[k] = make_payload(k, &len[k]);
    printf("bench_json: ns/op, median of %d interleaved repeats; xN = peer time / dynsess time,\n"
           "median of the per-repeat ratios (higher is better)\n", NREP);
    printf("%-17s %-9s %11s %11s %11s %9s %9s\n", "payload", "op", "dynsess", "cJSON", "jansson",
           "x cJSON", "x jansson");
    for (k = 0; k < 3; k++) {
        ctx_t c;
        dynsess_doc *doc;
        double t[2][3], x[2][3];
        int op;
        memset(&c, 0, sizeof c);
        c.src = src[k];
        c.len = len[k];
        if (dynsess_doc_new(0, &doc, 0) || dynsess_json_parse(doc, c.src, c.len, 0, &c.root, 0)) {
            printf("cannot parse payload %d\n", k);
            return 1;
        }
        c.cj = cJSON_ParseWithLength(c.src, c.len);
        {
            json_error_t e;
            c.ja = json_loadb(c.src, c.len, 0, &e);
        }
        if (!c.cj || !c.ja) { printf("peer cannot parse payload %d\n", k); return 1; }
        dynsess_buf_init(&c.out, 0);
        c.pre_cap = c.len * 2 + 1024;
        c.pre = (char *)malloc(c.pre_cap);
        /* sanity: our output is the (already compact) input, byte for byte */
        ours_write(&c);
        if (c.out.len != c.len || memcmp(c.out.ptr, c.src, c.len))
            printf("note: payload %d does not write back byte-identical (%lu vs %lu bytes)\n", k,
                   (unsigned long)c.out.len, (unsigned long)c.len);
        {
            op_fn parse[3], write[3];
            parse[0] = ours_parse; parse[1] = cjson_parse; parse[2] = jansson_parse;
            write[0] = ours_write; write[1] = cjson_write; write[2] = jansson_write;
            time_ops(parse, &c, t[0], x[0]);
            time_ops(write, &c, t[1], x[1]);
        }
        for (op = 0; op < 2; op++) {
            printf("%-17s %-9s %11.0f %11.0f %11.0f %8.1fx %8.1fx\n", op ? "" : names[k],
                   op ? "serialize" : "parse", t[op][0], t[op][1], t[op][2], x[op][1], x[op][2]);
            if (k < 2 && x[op][1] < 8) worst_ok = 0;
        }
        printf("%-17s %lu bytes\n", "", (unsigned long)len[k]);
        dynsess_doc_free(doc);
        cJSON_Delete(c.cj);
        json_decref(c.ja);
        dynsess_buf_free(&c.out);
        free(c.pre);
        free(src[k]);
    }
    if (bench_variants()) return 1;
    printf("target (session payloads, parse and serialize >= 8x cJSON): %s\n", worst_ok ? "met" : "NOT met");
    return 0;
}
