/* tools/bench/bench_sigv4.c - SigV4 signing of a typical DynamoDB GetItem (POST /, 5 signed
   headers, an 800-byte session token, a ~130-byte JSON body), with the cached signing key and with
   a fresh key derivation, against the SHA-256 floor (27 compressions) measured in the same run, and
   against the AWS SDK for JavaScript v3 signer (@smithy/signature-v4, node) and botocore's
   SigV4Auth (python) when those are installed (tests/node, python3 -c 'import botocore').
   Heap allocations during the timed loops are counted by interposing malloc (glibc). */
#define _POSIX_C_SOURCE 200809L
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "bench.h"

#define REPEATS 41
static volatile unsigned sink;

static char token[801];
static const char body[] =
    "{\"TableName\":\"sessions\",\"Key\":{\"sid\":{\"S\":\"3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}},"
    "\"ConsistentRead\":true,\"ProjectionExpression\":\"d,e,v\"}";
static dynsess_http_header hdr[3];
static dynsess_sigv4_request req;
static dynsess_aws_credentials cr;
static dynsess_sigv4_signer signer;
static dynsess_sigv4_result res;
static uint8_t floor_in[27 * 64];

typedef enum { K_FLOOR, K_HASHES, K_CACHED, K_FRESH, K_COUNT } kind;

/* One timed batch: ns per operation. */
static double batch(kind k, long iters) {
    double t0 = now_ns();
    long i;
    for (i = 0; i < iters; i++) {
        if (k == K_FLOOR) {
            uint8_t d[32];
            floor_in[0] = (uint8_t)i;
            dynsess_sha256(floor_in, sizeof floor_in, d);
            sink += d[0];
        } else if (k == K_HASHES) {
            /* just the hashing one signature needs, through the public API: canonical
               request, payload, HMAC inner and outer from the cached keyed state */
            uint8_t d[32];
            dynsess_sha256_ctx c;
            dynsess_sha256_init(&c);
            dynsess_sha256_update(&c, res.canonical_request.ptr, res.canonical_request.len);
            dynsess_sha256_final(&c, d);
            dynsess_sha256_init(&c);
            dynsess_sha256_update(&c, req.payload.ptr, req.payload.len);
            dynsess_sha256_final(&c, d);
            memcpy(&c, &signer.key_ctx.inner, sizeof c);
            dynsess_sha256_update(&c, res.string_to_sign.ptr, res.string_to_sign.len);
            dynsess_sha256_final(&c, d);
            memcpy(&c, &signer.key_ctx.outer, sizeof c);
            dynsess_sha256_update(&c, d, sizeof d);
            dynsess_sha256_final(&c, d);
            sink += d[0];
        } else {
            if (k == K_FRESH) signer.key_valid = 0; /* force kDate..kSigning each time */
            if (dynsess_sigv4_sign(&signer, &cr, &req, &res, 0)) { printf("sign failed\n"); exit(1); }
            sink += (unsigned)res.signature[0];
        }
    }
    return (now_ns() - t0) / (double)iters;
}

/* The three kinds are timed in interleaved batches, so a noisy neighbour
   slows all of them alike; ratios are the median of per-round ratios. */
static double mn(const double *v, int n) {
    double m = v[0];
    int i;
    for (i = 1; i < n; i++) m = v[i] < m ? v[i] : m;
    return m;
}
static double med(double *v, int n) {
    qsort(v, (size_t)n, sizeof v[0], cmp_d);
    return v[n / 2];
}

/* Runs a peer script; returns its "ns_per_op N" or -1. */
static double peer(const char *cmd) {
    char line[256];
    double v = -1;
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "ns_per_op ", 10)) v = atof(line + 10);
    if (pclose(f) != 0) return -1;
    return v;
}

static size_t blocks(size_t n) { return (n + 9 + 63) / 64; }

int main(void) {
    double floor_ns, cached, fresh, js, py, ratio_cached, ratio_fresh, best_ratio, hashes, ratio_hashes, ratio_over;
    long allocs[K_COUNT] = {0, 0, 0, 0}, iters = 1000;
    size_t i, nblocks;
    for (i = 0; i < 800; i++) token[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(i * 7 + 3) % 64];
    token[800] = 0;
    hdr[0].name = dynsess_cstr("Host");
    hdr[0].value = dynsess_cstr("dynamodb.us-east-1.amazonaws.com");
    hdr[1].name = dynsess_cstr("Content-Type");
    hdr[1].value = dynsess_cstr("application/x-amz-json-1.0");
    hdr[2].name = dynsess_cstr("X-Amz-Target");
    hdr[2].value = dynsess_cstr("DynamoDB_20120810.GetItem");
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = dynsess_cstr("/");
    req.headers = hdr;
    req.header_count = 3;
    req.payload = dynsess_cstr(body);
    req.region = "us-east-1";
    req.service = "dynamodb";
    req.time = 1440938160;
    cr.access_key_id = dynsess_cstr("AKIDEXAMPLE");
    cr.secret_access_key = dynsess_cstr("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    cr.session_token = dynsess_cstr(token);
    dynsess_sigv4_signer_init(&signer);
    if (dynsess_sigv4_sign(&signer, &cr, &req, &res, 0)) { printf("sign failed\n"); return 1; }
    /* SHA-256 compressions per cached signature: canonical request, payload, HMAC inner
       (the key block is cached) and outer (likewise) */
    nblocks = blocks(res.canonical_request.len) + blocks(req.payload.len) +
              (blocks(64 + res.string_to_sign.len) - 1) + 1;

    batch(K_CACHED, iters / 4); /* warm up */
    {
        double t[K_COUNT][REPEATS], rc[REPEATS], rf[REPEATS], rh[REPEATS], ro[REPEATS];
        long a0;
        int r, k;
        for (r = 0; r < REPEATS; r++)
            for (k = 0; k < K_COUNT; k++) {
                a0 = bench_allocs;
                t[k][r] = batch((kind)k, k == K_FRESH ? iters / 2 : iters);
                allocs[k] += bench_allocs - a0;
            }
        for (r = 0; r < REPEATS; r++) {
            rc[r] = t[K_CACHED][r] / t[K_FLOOR][r];
            rf[r] = t[K_FRESH][r] / t[K_FLOOR][r];
            rh[r] = t[K_HASHES][r] / t[K_FLOOR][r];
            ro[r] = t[K_CACHED][r] / t[K_HASHES][r];
        }
        ratio_hashes = med(rh, REPEATS);
        ratio_over = med(ro, REPEATS);
        hashes = med(t[K_HASHES], REPEATS);
        ratio_cached = med(rc, REPEATS);
        ratio_fresh = med(rf, REPEATS);
        best_ratio = mn(t[K_CACHED], REPEATS) / mn(t[K_FLOOR], REPEATS);
        floor_ns = med(t[K_FLOOR], REPEATS);
        cached = med(t[K_CACHED], REPEATS);
        fresh = med(t[K_FRESH], REPEATS);
    }
    js = py = -1;
    if (!getenv("BENCH_SIGV4_NO_PEERS")) {
    js = peer("cd tests/node 2>/dev/null && node ../../tools/bench/bench_sigv4_peer.mjs 2>/dev/null");
    py = peer("python3 tools/bench/bench_sigv4_peer.py 2>/dev/null");
    }

    printf("sigv4: DynamoDB GetItem, POST /, 5 signed headers, %lu-byte token, %lu-byte body\n",
           (unsigned long)strlen(token), (unsigned long)req.payload.len);
    printf("canonical request %lu bytes, string to sign %lu bytes: %lu SHA-256 blocks per signature\n",
           (unsigned long)res.canonical_request.len, (unsigned long)res.string_to_sign.len,
           (unsigned long)nblocks);
    printf("median of %d interleaved rounds (ratios: median of per-round ratios); allocations\n"
           "counted over all rounds%s\n\n", REPEATS,
#ifdef BENCH_COUNTS_ALLOCS
           ""
#else
           " (not available: no glibc malloc interposition)"
#endif
    );
    printf("%-44s %10s %10s %12s\n", "what", "ns/op", "vs floor", "allocs/op");
    printf("%-44s %10.0f %9.2fx %12s\n", "floor: dynsess_sha256 of 27*64 bytes", floor_ns, 1.0, "-");
    printf("%-44s %10.0f %9.2fx %12s\n", "its hashing alone (4 SHA-256, public API)", hashes, ratio_hashes, "-");
    printf("%-44s %10.0f %9.2fx %12.2f\n", "dynsess sign, cached signing key", cached, ratio_cached,
           (double)allocs[K_CACHED] / (REPEATS * (double)iters));
    printf("%-44s %10.0f %9.2fx %12.2f\n", "dynsess sign, fresh key derivation", fresh, ratio_fresh,
           (double)allocs[K_FRESH] / (REPEATS * (double)(iters / 2)));
    if (js > 0)
        printf("%-44s %10.0f %9.2fx %12s  (%.1fx dynsess cached)\n", "@smithy/signature-v4 (AWS SDK JS v3, node)", js,
               js / floor_ns, "n/a", js / cached);
    else
        printf("%-44s %10s\n", "@smithy/signature-v4 (AWS SDK JS v3, node)", "not run");
    if (py > 0)
        printf("%-44s %10.0f %9.2fx %12s  (%.1fx dynsess cached)\n", "botocore SigV4Auth.add_auth (python)", py,
               py / floor_ns, "n/a", py / cached);
    else
        printf("%-44s %10s\n", "botocore SigV4Auth.add_auth (python)", "not run");
    printf("\ncached signing key vs floor, fastest round of each: %.2fx\n", best_ratio);
    printf("cached signing key vs its own hashing: %.2fx (canonicalisation, hex, key-cache check)\n", ratio_over);
    printf("signature %s (botocore gives the same)\n", res.signature);
    dynsess_sigv4_signer_wipe(&signer);
    return 0;
}
