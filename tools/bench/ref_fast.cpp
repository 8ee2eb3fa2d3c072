/* tools/bench/ref_fast.cpp - yardsticks for bench_json: how fast do two C++ parsers built
   for speed parse the same payloads, against cJSON, in the same run? simdjson (Debian's
   libsimdjson-dev, its fastest kernel for this CPU: a SIMD structural pass, then a tape)
   and RapidJSON (rapidjson-dev, header-only DOM). Neither is a peer users would swap in
   for a session dict (C++; simdjson's DOM is read-only), but together they show what
   "N x cJSON" is possible at each size on this machine. Built and run by `make bench`
   when both are installed (tools/deps.sh --bench installs them as root).
     dynsess          doc_new + json_parse + doc_free (as in bench_json)
     simdjson reused  dom::parser::parse with one parser kept across runs (no allocation)
     simdjson new     a new dom::parser per document (allocates its buffers)
     rapidjson        a Document per parse whose pool starts in a caller buffer (the fast
                      idiom from RapidJSON's docs: no malloc for small documents)
     rapidjson new    a Document per parse with its default allocator (a 64 KB pool chunk)
     cJSON            cJSON_ParseWithLength + cJSON_Delete
   Median ns/op of 61 interleaved repeats of ~2 ms each; x = the median over the repeats of
   cJSON's time / that op's time in the same repeat (paired, as in bench_json). */
// make-libs: -lsimdjson -lcjson
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "json_payloads.h"
#include <algorithm>
#include <cjson/cJSON.h>
#include <rapidjson/document.h>
#include <simdjson.h>
#include <time.h>

namespace {

double now_ns() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct ctx {
    const char *src;
    size_t len;
    simdjson::padded_string *padded;
    simdjson::dom::parser *reused;
    char *pool;          /* rapidjson: caller buffer for the allocator's first chunk */
    size_t pool_len;
    volatile size_t sink;
};

void ours(ctx &c) {
    dynsess_doc *doc;
    dynsess_value *root;
    if (dynsess_doc_new(0, &doc, 0) || dynsess_json_parse(doc, c.src, c.len, 0, &root, 0)) abort();
    c.sink += dynsess_value_len(root);
    dynsess_doc_free(doc);
}
void simd_reused(ctx &c) {
    simdjson::dom::element e;
    if (c.reused->parse(*c.padded).get(e)) abort();
    c.sink += e.is_object();
}
void simd_new(ctx &c) {
    simdjson::dom::parser p;
    simdjson::dom::element e;
    if (p.parse(*c.padded).get(e)) abort();
    c.sink += e.is_object();
}
void rapid_buf(ctx &c) {
    rapidjson::MemoryPoolAllocator<> a(c.pool, c.pool_len);
    rapidjson::Document d(&a);
    if (d.Parse(c.src, c.len).HasParseError()) abort();
    c.sink += d.IsObject();
}
void rapid_new(ctx &c) {
    rapidjson::Document d;
    if (d.Parse(c.src, c.len).HasParseError()) abort();
    c.sink += d.IsObject();
}
void cjson(ctx &c) {
    cJSON *j = cJSON_ParseWithLength(c.src, c.len);
    if (!j) abort();
    c.sink += (size_t)cJSON_GetArraySize(j);
    cJSON_Delete(j);
}

typedef void (*op_fn)(ctx &);
const int NOPS = 6, REPS = 61;

/* Calibrates each op to ~2 ms a repeat, then interleaves the repeats so that load
   from other processes hits all ops alike; out[k] = median ns/op of op k, x[k] =
   median over the repeats of (cJSON's time / op k's time) in the same repeat. */
void time_ops(const op_fn f[NOPS], ctx &c, double out[NOPS], double x[NOPS]) {
    long iters[NOPS];
    static double reps[NOPS][REPS], q[REPS];
    for (int k = 0; k < NOPS; k++) {
        long n = 1;
        double t;
        for (;;) {
            double t0 = now_ns();
            for (long i = 0; i < n; i++) f[k](c);
            t = now_ns() - t0;
            if (t > 5e5) break;
            n *= 4;
        }
        iters[k] = (long)((double)n * 2e6 / t) + 1;
    }
    for (int r = 0; r < REPS; r++)
        for (int k = 0; k < NOPS; k++) {
            double t0 = now_ns();
            for (long i = 0; i < iters[k]; i++) f[k](c);
            reps[k][r] = (now_ns() - t0) / (double)iters[k];
        }
    for (int k = 0; k < NOPS; k++) {
        for (int r = 0; r < REPS; r++) q[r] = reps[NOPS - 1][r] / reps[k][r];
        std::sort(q, q + REPS);
        x[k] = q[REPS / 2];
    }
    for (int k = 0; k < NOPS; k++) {
        std::sort(reps[k], reps[k] + REPS);
        out[k] = reps[k][REPS / 2];
    }
}

} // namespace

int main() {
    static const char *const names[3] = {"session ~300 B", "session ~4 KB", "document ~64 KB"};
    static const op_fn ops[NOPS] = {ours, simd_reused, simd_new, rapid_buf, rapid_new, cjson};
    simdjson::dom::parser reused;
    printf("ref_fast: parse ns/op, median of %d repeats; simdjson %s kernel, RapidJSON %s; "
           "x = cJSON time / that time (median of paired repeats)\n", REPS,
           simdjson::get_active_implementation()->name().c_str(), RAPIDJSON_VERSION_STRING);
    printf("%-17s %7s %11s %16s %13s %13s %13s %7s\n", "payload", "bytes", "dynsess",
           "simdjson reused", "simdjson new", "rapidjson", "rapidjson new", "cJSON");
    for (int k = 0; k < 3; k++) {
        size_t len;
        char *src = make_payload(k, &len);
        simdjson::padded_string padded(src, len);
        size_t pool_len = 16 * len + 4096; /* room for the whole DOM: no malloc */
        char *pool = (char *)malloc(pool_len);
        ctx c = {src, len, &padded, &reused, pool, pool_len, 0};
        double t[NOPS], x[NOPS];
        if (!pool) abort();
        time_ops(ops, c, t, x);
        printf("%-17s %7lu", names[k], (unsigned long)len);
        for (int j = 0; j < NOPS - 1; j++)
            printf(" %*.0f %4.1fx", j == 0 ? 6 : 10, t[j], x[j]);
        printf(" %7.0f\n", t[NOPS - 1]);
        free(pool);
        free(src);
    }
    return 0;
}
