/* tools/bench/ref_simdjson.cpp - a yardstick for bench_json: how fast does a parser built
   for speed, simdjson (Debian's libsimdjson-dev, its fastest kernel for this CPU), parse
   the same payloads, against cJSON, in the same run? Not a peer users would swap in for
   a session dict (C++, read-only DOM), but it shows what "N x cJSON" is possible at each
   size on this machine. Built and run by `make bench` when simdjson is installed
   (tools/deps.sh --bench installs it as root).
     dynsess          doc_new + json_parse + doc_free (as in bench_json)
     simdjson reused  dom::parser::parse with one parser kept across runs (no allocation)
     simdjson new     a new dom::parser per document (allocates its buffers)
     cJSON            cJSON_ParseWithLength + cJSON_Delete
   Median ns/op of 7 interleaved repeats of ~30 ms each; x = cJSON time / that time. */
// make-libs: -lsimdjson -lcjson
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "json_payloads.h"
#include <algorithm>
#include <cjson/cJSON.h>
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
void cjson(ctx &c) {
    cJSON *j = cJSON_ParseWithLength(c.src, c.len);
    if (!j) abort();
    c.sink += (size_t)cJSON_GetArraySize(j);
    cJSON_Delete(j);
}

typedef void (*op_fn)(ctx &);
const int NOPS = 4, REPS = 7;

/* Calibrates each op to ~30 ms a repeat, then interleaves the repeats so that load
   from other processes hits all ops alike; out[k] = median ns/op of op k. */
void time_ops(const op_fn f[NOPS], ctx &c, double out[NOPS]) {
    long iters[NOPS];
    double reps[NOPS][REPS];
    for (int k = 0; k < NOPS; k++) {
        long n = 1;
        double t;
        for (;;) {
            double t0 = now_ns();
            for (long i = 0; i < n; i++) f[k](c);
            t = now_ns() - t0;
            if (t > 3e6) break;
            n *= 4;
        }
        iters[k] = (long)((double)n * 3e7 / t) + 1;
    }
    for (int r = 0; r < REPS; r++)
        for (int k = 0; k < NOPS; k++) {
            double t0 = now_ns();
            for (long i = 0; i < iters[k]; i++) f[k](c);
            reps[k][r] = (now_ns() - t0) / (double)iters[k];
        }
    for (int k = 0; k < NOPS; k++) {
        std::sort(reps[k], reps[k] + REPS);
        out[k] = reps[k][REPS / 2];
    }
}

} // namespace

int main() {
    static const char *const names[3] = {"session ~300 B", "session ~4 KB", "document ~64 KB"};
    static const op_fn ops[NOPS] = {ours, simd_reused, simd_new, cjson};
    simdjson::dom::parser reused;
    printf("ref_simdjson: parse ns/op, median of 7 repeats; simdjson %s kernel; "
           "x = cJSON time / that time\n",
           simdjson::get_active_implementation()->name().c_str());
    printf("%-17s %9s %9s %16s %13s %9s\n", "payload", "bytes", "dynsess", "simdjson reused",
           "simdjson new", "cJSON");
    for (int k = 0; k < 3; k++) {
        size_t len;
        char *src = make_payload(k, &len);
        simdjson::padded_string padded(src, len);
        ctx c = {src, len, &padded, &reused, 0};
        double t[NOPS];
        time_ops(ops, c, t);
        printf("%-17s %9lu %4.0f %4.1fx %9.0f %5.1fx %6.0f %5.1fx %9.0f\n", names[k],
               (unsigned long)len, t[0], t[3] / t[0], t[1], t[3] / t[1], t[2], t[3] / t[2], t[3]);
        free(src);
    }
    return 0;
}
