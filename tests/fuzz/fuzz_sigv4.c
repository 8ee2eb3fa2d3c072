/* tests/fuzz/fuzz_sigv4.c - libFuzzer harness for @sigv4: requests built from arbitrary
   bytes (method, path, query, headers, body, region, service, time, flags) are signed in
   header mode and presigned in query mode. Input: fields separated by '\n': byte 0 holds
   the flags (low 4 bits) and the time choice, then method, path, query, region, service,
   then "name:value" header lines up to an empty line, then the body (rest). A Host header
   is added unless byte 0's bit 7 is set.
   Build: clang -fsanitize=fuzzer,address,undefined (Makefile); run:
   tests/integration/fuzz.sh. Checks, besides memory safety:
   - every call returns OK or a documented error (E_ARG, E_LIMIT, E_BUFFER) with a
     message, and no message contains the secret or the session token;
   - on OK: the last line of the string to sign is the hex SHA-256 of the canonical
     request, and the signature is HMAC(kSigning, string to sign) with kSigning derived
     here step by step from the secret (independently of the signer's key cache);
   - a second signer, and the same signer again (cached key), give the same signature;
   - presign agrees with sign on whether the request is valid (apart from its own limits:
     the query buffer and the presign-only parameters). */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

#define FZ_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define FZ_TOKEN "IQoJb3JpZ2luX2VjFUZZTOKENSECRETVALUE"

static dynsess_sigv4_signer fz_a, fz_b;

/* next '\n'-terminated field of [*p, end) */
static dynsess_str fz_field(const char **p, const char *end) {
    dynsess_str f;
    const char *q = *p;
    while (q < end && *q != '\n') q++;
    f.ptr = *p;
    f.len = (size_t)(q - *p);
    *p = q < end ? q + 1 : end;
    return f;
}

static int fz_contains(const char *hay, const char *needle) { return strstr(hay, needle) != 0; }

static void fz_expect_error(dynsess_status rc, const dynsess_error *err) {
    FUZZ_CHECK(rc == DYNSESS_E_ARG || rc == DYNSESS_E_LIMIT || rc == DYNSESS_E_BUFFER);
    FUZZ_CHECK(err->code == rc && err->msg[0]);
    FUZZ_CHECK(!fz_contains(err->msg, FZ_SECRET) && !fz_contains(err->msg, FZ_TOKEN));
}

/* signature == HMAC(kSigning, sts), kSigning from the secret, date, region, service */
static void fz_check_signature(const dynsess_sigv4_result *r, const char *region, const char *service) {
    uint8_t k[32], h[32];
    char hex[65];
    const char *sts = r->string_to_sign.ptr, *nl;
    size_t n = r->string_to_sign.len;
    static const char prefix[] = "AWS4" FZ_SECRET;
    /* last line: hex SHA-256 of the canonical request */
    FUZZ_CHECK(n > 64);
    nl = sts + n - 65;
    FUZZ_CHECK(*nl == '\n');
    dynsess_sha256(r->canonical_request.ptr, r->canonical_request.len, h);
    dynsess_hex_encode(h, 32, hex);
    FUZZ_CHECK(!memcmp(nl + 1, hex, 64));
    dynsess_hmac_sha256(prefix, sizeof prefix - 1, r->amz_date, 8, k);
    dynsess_hmac_sha256(k, 32, region, strlen(region), k);
    dynsess_hmac_sha256(k, 32, service, strlen(service), k);
    dynsess_hmac_sha256(k, 32, "aws4_request", 12, k);
    dynsess_hmac_sha256(k, 32, sts, n, h);
    dynsess_hex_encode(h, 32, hex);
    FUZZ_CHECK(!memcmp(r->signature, hex, 64));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    static char qbuf[8192];
    static const int64_t times[4] = {1440938160, 0, 253402300799, -1};
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    char method[64], region[64], service[64];
    dynsess_http_header hdr[DYNSESS_SIGV4_MAX_HEADERS + 2];
    dynsess_sigv4_request req;
    dynsess_sigv4_result r1, r2, r3;
    dynsess_aws_credentials creds;
    dynsess_error err;
    dynsess_status rc, rcp;
    dynsess_str f;
    size_t nh = 0, qlen = 0;
    if (!ready) {
        dynsess_sigv4_signer_init(&fz_a);
        ready = 1;
    }
    if (size < 1 || size > 16384) return 0;
    memset(&req, 0, sizeof req);
    memset(&creds, 0, sizeof creds);
    creds.access_key_id = dynsess_cstr("AKIDEXAMPLE");
    creds.secret_access_key = dynsess_cstr(FZ_SECRET);
    if (data[0] & 0x40) creds.session_token = dynsess_cstr(FZ_TOKEN);
    req.flags = data[0] & 15u;
    req.time = times[(data[0] >> 4) & 3];
    req.expires_s = 300;
    /* the C-string fields stop at a NUL or the field's end, truncated to fit */
    f = fz_field(&p, end);
    snprintf(method, sizeof method, "%.*s", (int)f.len, f.ptr);
    req.path = fz_field(&p, end);
    req.query = fz_field(&p, end);
    f = fz_field(&p, end);
    snprintf(region, sizeof region, "%.*s", (int)f.len, f.ptr);
    f = fz_field(&p, end);
    snprintf(service, sizeof service, "%.*s", (int)f.len, f.ptr);
    req.method = method;
    req.region = region;
    req.service = service;
    if (!(data[0] & 0x80)) {
        hdr[nh].name = dynsess_cstr("Host");
        hdr[nh].value = dynsess_cstr("dynamodb.us-east-1.amazonaws.com");
        nh++;
    }
    while (p < end && *p != '\n' && nh < sizeof hdr / sizeof hdr[0]) {
        const char *c;
        f = fz_field(&p, end);
        for (c = f.ptr; c < f.ptr + f.len && *c != ':'; c++) {}
        hdr[nh].name.ptr = f.ptr;
        hdr[nh].name.len = (size_t)(c - f.ptr);
        hdr[nh].value.ptr = c < f.ptr + f.len ? c + 1 : c;
        hdr[nh].value.len = c < f.ptr + f.len ? (size_t)(f.ptr + f.len - c - 1) : 0;
        nh++;
    }
    if (p < end && *p == '\n') p++;
    req.headers = hdr;
    req.header_count = nh;
    req.payload.ptr = p;
    req.payload.len = (size_t)(end - p);

    rc = dynsess_sigv4_sign(&fz_a, &creds, &req, &r1, &err);
    if (rc) {
        fz_expect_error(rc, &err);
    } else {
        fz_check_signature(&r1, region, service);
        FUZZ_CHECK(!fz_contains(r1.authorization, FZ_SECRET));
        /* the cached key again, and a fresh signer */
        FUZZ_CHECK(dynsess_sigv4_sign(&fz_a, &creds, &req, &r2, &err) == DYNSESS_OK);
        FUZZ_CHECK(!memcmp(r1.signature, r2.signature, 65));
        dynsess_sigv4_signer_init(&fz_b);
        FUZZ_CHECK(dynsess_sigv4_sign(&fz_b, &creds, &req, &r3, &err) == DYNSESS_OK);
        FUZZ_CHECK(!memcmp(r1.signature, r3.signature, 65));
        dynsess_sigv4_signer_wipe(&fz_b);
    }

    rcp = dynsess_sigv4_presign(&fz_a, &creds, &req, qbuf, sizeof qbuf, &qlen, &r2, &err);
    if (rcp) {
        fz_expect_error(rcp, &err);
    } else {
        FUZZ_CHECK(qlen == strlen(qbuf) && qlen < sizeof qbuf);
        FUZZ_CHECK(!fz_contains(qbuf, FZ_SECRET));
        fz_check_signature(&r2, region, service);
    }
    /* a request that signs also presigns, short of presign's own limits */
    if (rc == DYNSESS_OK) FUZZ_CHECK(rcp == DYNSESS_OK || rcp == DYNSESS_E_BUFFER || rcp == DYNSESS_E_LIMIT);
    return 0;
}
