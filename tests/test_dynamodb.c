/* tests/test_dynamodb.c - the DynamoDB client and store without a server:
   a scripted, fault-injecting transport plays DynamoDB (connect errors,
   timeouts, 5xx, throttling, truncated bodies, bad x-amz-crc32, garbage,
   validation/access/conditional errors, clock skew with a Date header) and
   records every request. The live tests against dynalite are in
   tests/integration/dynamodb_live.c. */
#define _POSIX_C_SOURCE 200809L /* sockets: a port nobody listens on */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"
#include <pthread.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

/* ---- the scripted transport ------------------------------------------------- */
enum { CRC_OK = 0, CRC_NONE, CRC_BAD, CRC_FULL_OF_LONGER };
typedef struct step {
    int rc;               /* DYNSESS_OK or the transport failure to return */
    int status;
    const char *headers;  /* extra raw header lines "Name: v\r\n" */
    const char *body;
    int crc;              /* CRC_* */
    size_t cut;           /* >0: send only the first cut bytes of body (CRC of the whole) */
} step;

#define MAX_STEPS 16
typedef struct script {
    step steps[MAX_STEPS];
    int n, pos;
    int sticky;           /* 1: when the steps run out, repeat the last one */
    int calls;
    char target[MAX_STEPS][64];
    char *body[MAX_STEPS];
    char date[MAX_STEPS][20]; /* X-Amz-Date sent */
    int has_token[MAX_STEPS];
} script;

static void script_reset(script *s) {
    int i;
    for (i = 0; i < MAX_STEPS; i++) free(s->body[i]);
    memset(s, 0, sizeof *s);
}

static void add(script *s, int rc, int status, const char *headers, const char *body, int crc) {
    step *st = &s->steps[s->n++];
    memset(st, 0, sizeof *st);
    st->rc = rc; st->status = status; st->headers = headers; st->body = body; st->crc = crc;
}
static void add_ok(script *s, const char *body) { add(s, DYNSESS_OK, 200, 0, body, CRC_OK); }
static void add_err(script *s, int status, const char *type, const char *msg) {
    static char bufs[MAX_STEPS][256];
    static int k;
    char *b = bufs[k++ % MAX_STEPS];
    snprintf(b, 256, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#%s\",\"message\":\"%s\"}", type, msg);
    add(s, DYNSESS_OK, status, 0, b, CRC_OK);
}

static int ci_eq(const char *a, const char *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        int x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return 0;
    }
    return 1;
}

static int hdr_get(const dynsess_http_request *req, const char *name, char *out, size_t cap) {
    size_t i;
    for (i = 0; i < req->header_count; i++) {
        const dynsess_http_header *h = &req->headers[i];
        if (h->name.len == strlen(name) && ci_eq(h->name.ptr, name, h->name.len)) {
            size_t n = h->value.len < cap - 1 ? h->value.len : cap - 1;
            memcpy(out, h->value.ptr, n);
            out[n] = 0;
            return 1;
        }
    }
    return 0;
}

static int script_fn(void *user, const dynsess_http_request *req, dynsess_http_response *resp) {
    script *s = (script *)user;
    step *st;
    int i = s->calls++;
    char line[128];
    if (i < MAX_STEPS) {
        hdr_get(req, "X-Amz-Target", s->target[i], sizeof s->target[i]);
        hdr_get(req, "X-Amz-Date", s->date[i], sizeof s->date[i]);
        s->has_token[i] = hdr_get(req, "X-Amz-Security-Token", line, sizeof line);
        s->body[i] = (char *)malloc(req->body.len + 1);
        memcpy(s->body[i], req->body.ptr, req->body.len);
        s->body[i][req->body.len] = 0;
    }
    if (s->pos >= s->n && s->sticky && s->n) s->pos = s->n - 1;
    if (s->pos >= s->n) {
        snprintf(resp->error.msg, sizeof resp->error.msg, "script: no step left");
        return DYNSESS_E_CONNECT;
    }
    st = &s->steps[s->pos++];
    if (st->rc != DYNSESS_OK) {
        snprintf(resp->error.msg, sizeof resp->error.msg, "script: injected %s", dynsess_strerror((dynsess_status)st->rc));
        resp->error.code = (dynsess_status)st->rc;
        return st->rc;
    }
    resp->status = st->status;
    {
        const char *body = st->body ? st->body : "";
        size_t n = strlen(body), sent = st->cut ? st->cut : n;
        uint32_t crc = dynsess_crc32(body, n);
        if (st->crc == CRC_BAD) crc ^= 0x10u;
        if (st->crc != CRC_NONE) {
            snprintf(line, sizeof line, "x-amz-crc32: %lu\r\n", (unsigned long)crc);
            dynsess_buf_appendz(&resp->headers, line, 0);
        }
        dynsess_buf_appendz(&resp->headers, "Content-Type: application/x-amz-json-1.0\r\n", 0);
        if (st->headers) dynsess_buf_appendz(&resp->headers, st->headers, 0);
        dynsess_buf_append(&resp->body, body, sent, 0);
    }
    return DYNSESS_OK;
}

/* ---- environment, clock, sleep ------------------------------------------------- */
typedef struct fake_env { const char *kv[32]; } fake_env;
static const char *env_get(void *user, const char *name) {
    fake_env *e = (fake_env *)user;
    int i;
    for (i = 0; e->kv[i]; i += 2)
        if (!strcmp(e->kv[i], name)) return e->kv[i + 1];
    return 0;
}
static fake_env base_env = {{"AWS_REGION", "eu-west-1", "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE",
                             "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                             "AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEXAMPLETOKEN", 0}};

static int64_t fake_now = 1700000000;
static int64_t clock_fn(void *user) { (void)user; return fake_now; }

typedef struct sleeps { int n; int32_t ms[64]; int64_t total; } sleeps;
static void sleep_fn(void *user, int32_t ms) {
    sleeps *s = (sleeps *)user;
    if (s->n < 64) s->ms[s->n] = ms;
    s->n++;
    s->total += ms;
}

static script S;
static sleeps SL;

static void logger_fn(void *user, dynsess_log_level level, const char *msg) {
    char *last = (char *)user;
    (void)level;
    snprintf(last, 256, "%s", msg);
}
static char last_log[256];

static void ddb_desc(dynsess_ddb_desc *d) {
    memset(d, 0, sizeof *d);
    d->endpoint = "http://127.0.0.1:1";
    d->env.get = env_get;
    d->env.user = &base_env;
    d->transport.fn = script_fn;
    d->transport.user = &S;
    d->clock.now = clock_fn;
    d->retry.sleep_ms = sleep_fn;
    d->retry.sleep_user = &SL;
    d->logger.func = logger_fn;
    d->logger.user = last_log;
}

static dynsess_ddb *new_client(void) {
    dynsess_ddb_desc d;
    dynsess_ddb *c = 0;
    dynsess_error err;
    script_reset(&S);
    memset(&SL, 0, sizeof SL);
    fake_now = 1700000000;
    ddb_desc(&d);
    if (dynsess_ddb_new(&d, &c, &err)) { printf("  ddb_new: %s\n", err.msg); return 0; }
    return c;
}

static dynsess_store *new_store(dynsess_ddb *c, int hash_ids) {
    dynsess_dynamodb_desc d;
    dynsess_store *st = 0;
    dynsess_error err;
    memset(&d, 0, sizeof d);
    d.client = c;
    d.no_startup_check = 1;
    d.hash_ids = hash_ids;
    d.id_key = dynsess_cstr("0123456789abcdef0123456789abcdef-server-key");
    if (dynsess_store_dynamodb_new(&d, &st, &err)) { printf("  store_new: %s\n", err.msg); return 0; }
    return st;
}

static int contains(const char *hay, const char *needle) { return hay && strstr(hay, needle) != 0; }

/* ---- CRC-32, dates ------------------------------------------------------------ */
TT_TEST(crc32_vectors) {
    EXPECT_EQ_INT(dynsess_crc32("", 0), 0);
    EXPECT_EQ_INT(dynsess_crc32("123456789", 9), 0xCBF43926u);
    EXPECT_EQ_INT(dynsess_crc32("The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
    /* what dynalite sends for its health check body */
    EXPECT_EQ_INT(dynsess_crc32("healthy: dynamodb.us-east-1.amazonaws.com ", 42), 3128867991u);
    EXPECT_EQ_INT(dynsess_crc32("{}", 2), 2745614147u);
}

TT_TEST(crc32_fast_matches) {
    /* the clients' slicing-by-8 path against the reference, every length and alignment */
    static uint32_t t[8][256];
    uint8_t buf[300];
    size_t n, off, i;
    uint32_t x = 12345;
    dynsess__crc32_tables(t);
    for (i = 0; i < sizeof buf; i++) { x = x * 1103515245u + 12345u; buf[i] = (uint8_t)(x >> 16); }
    for (off = 0; off < 8; off++)
        for (n = 0; n + off <= sizeof buf; n += (n < 40 ? 1 : 37))
            if (dynsess__crc32_fast((const uint32_t(*)[256])t, buf + off, n) != dynsess_crc32(buf + off, n)) {
                EXPECT_EQ_INT(dynsess__crc32_fast((const uint32_t(*)[256])t, buf + off, n), dynsess_crc32(buf + off, n));
                return;
            }
    EXPECT_EQ_INT(dynsess__crc32_fast((const uint32_t(*)[256])t, "123456789", 9), 0xCBF43926u);
}

TT_TEST(json_string_escape) {
    /* every byte 0..255 except invalid UTF-8 lead bytes: escaped, parses back to the same bytes */
    char in[200];
    size_t n = 0, i;
    dynsess_buf b;
    dynsess_doc *doc = 0;
    dynsess_value *v = 0;
    dynsess_error err;
    for (i = 0; i < 128; i++) in[n++] = (char)i;
    memcpy(in + n, "\xc3\xa9\xf0\x9f\x98\x80\"\\end", 12);
    n += 12;
    dynsess_buf_init(&b, 0);
    ASSERT_OK(dynsess__ddb_jstr(&b, in, n, &err), &err);
    EXPECT(strstr(b.ptr, "\\u0001") != 0);
    EXPECT(strstr(b.ptr, "\\n") != 0);
    ASSERT_OK(dynsess_doc_new(0, &doc, &err), &err);
    ASSERT_OK(dynsess_json_parse(doc, b.ptr, b.len, 0, &v, &err), &err);
    EXPECT_EQ_INT(dynsess_value_str(v).len, n);
    EXPECT(dynsess_value_str(v).len == n && memcmp(dynsess_value_str(v).ptr, in, n) == 0);
    dynsess_doc_free(doc);
    dynsess_buf_free(&b);
}

TT_TEST(http_date_parse) {
    int64_t t = 0;
    EXPECT(dynsess__ddb_parse_http_date(dynsess_cstr("Sun, 06 Nov 1994 08:49:37 GMT"), &t));
    EXPECT_EQ_INT(t, 784111777);
    EXPECT(dynsess__ddb_parse_http_date(dynsess_cstr("Wed, 25 Nov 2026 02:41:33 GMT"), &t));
    EXPECT_EQ_INT(t, 1795574493);
    EXPECT(!dynsess__ddb_parse_http_date(dynsess_cstr("Sun, 06 Nov 1994 08:49:37 PST"), &t));
    EXPECT(!dynsess__ddb_parse_http_date(dynsess_cstr("Sun, 06 Foo 1994 08:49:37 GMT"), &t));
    EXPECT(!dynsess__ddb_parse_http_date(dynsess_cstr("garbage"), &t));
    EXPECT(!dynsess__ddb_parse_http_date(dynsess_cstr(""), &t));
}

TT_TEST(number_parse) {
    int64_t v = 0;
    EXPECT(dynsess__ddb_parse_int(dynsess_cstr("1700000000"), &v) && v == 1700000000);
    EXPECT(dynsess__ddb_parse_int(dynsess_cstr("-5"), &v) && v == -5);
    EXPECT(dynsess__ddb_parse_int(dynsess_cstr("1700000000.75"), &v) && v == 1700000000);
    EXPECT(dynsess__ddb_parse_int(dynsess_cstr("9223372036854775807"), &v) && v == INT64_MAX);
    EXPECT(!dynsess__ddb_parse_int(dynsess_cstr("9223372036854775808"), &v));
    EXPECT(!dynsess__ddb_parse_int(dynsess_cstr("1e9"), &v));
    EXPECT(!dynsess__ddb_parse_int(dynsess_cstr(""), &v));
    EXPECT(!dynsess__ddb_parse_int(dynsess_cstr("abc"), &v));
}

/* ---- the client ------------------------------------------------------------------- */
TT_TEST(call_signs_and_returns_body) {
    dynsess_ddb *c = new_client();
    dynsess_buf reply;
    dynsess_ddb_error ae;
    dynsess_error err;
    ASSERT(c);
    dynsess_buf_init(&reply, 0);
    add_ok(&S, "{\"Table\":{}}");
    EXPECT_OK(dynsess_ddb_call(c, "DescribeTable", dynsess_cstr("{\"TableName\":\"t\"}"), &reply, &ae, &err), &err);
    EXPECT_EQ_STR(reply.ptr, "{\"Table\":{}}");
    EXPECT_EQ_STR(S.target[0], "DynamoDB_20120810.DescribeTable");
    EXPECT_EQ_STR(S.date[0], "20231114T221320Z");
    EXPECT(S.has_token[0]); /* Lambda's session token is sent */
    EXPECT_EQ_INT(ae.attempts, 1);
    EXPECT_EQ_INT(ae.http_status, 200);
    dynsess_buf_free(&reply);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(retries_then_succeeds) {
    dynsess_ddb *c = new_client();
    dynsess_buf reply;
    dynsess_ddb_error ae;
    dynsess_error err;
    int i;
    ASSERT(c);
    dynsess_buf_init(&reply, 0);
    add(&S, DYNSESS_E_CONNECT, 0, 0, 0, 0);
    add(&S, DYNSESS_E_TIMEOUT, 0, 0, 0, 0);
    add_err(&S, 400, "ProvisionedThroughputExceededException", "slow down");
    add_ok(&S, "{}");
    EXPECT_OK(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), &reply, &ae, &err), &err);
    EXPECT_EQ_INT(S.calls, 4);
    EXPECT_EQ_INT(ae.attempts, 4);
    EXPECT_EQ_INT(SL.n, 3);
    /* full jitter: each sleep within [0, min(1000, 25 * 2^k)] */
    for (i = 0; i < SL.n && i < 3; i++) {
        EXPECT(SL.ms[i] >= 0);
        EXPECT(SL.ms[i] <= (25 << i));
    }
    EXPECT_EQ_STR(reply.ptr, "{}");
    dynsess_buf_free(&reply);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(retry_kinds) {
    /* each of these is retried once, then the call succeeds */
    static const char *throttles[] = {"ProvisionedThroughputExceededException", "ThrottlingException",
                                      "RequestLimitExceeded"};
    int k;
    for (k = 0; k < 8; k++) {
        dynsess_ddb *c = new_client();
        dynsess_buf reply;
        dynsess_error err;
        ASSERT(c);
        dynsess_buf_init(&reply, 0);
        if (k < 3) add_err(&S, 400, throttles[k], "x");
        else if (k == 3) add_err(&S, 500, "InternalServerError", "boom");
        else if (k == 4) add(&S, DYNSESS_OK, 503, 0, "<html>unavailable</html>", CRC_NONE);
        else if (k == 5) add(&S, DYNSESS_OK, 200, 0, "{\"Item\":{}}", CRC_BAD);
        else if (k == 6) { add(&S, DYNSESS_OK, 200, 0, "{\"Item\":{\"a\":{\"S\":\"b\"}}}", CRC_OK); S.steps[0].cut = 9; }
        else add(&S, DYNSESS_E_HTTP, 0, 0, 0, 0); /* reply ended early */
        add_ok(&S, "{}");
        EXPECT_OK(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), &reply, 0, &err), &err);
        if (S.calls != 2) printf("  case %d: %d calls\n", k, S.calls);
        EXPECT_EQ_INT(S.calls, 2);
        EXPECT_EQ_STR(reply.ptr, "{}");
        dynsess_buf_free(&reply);
        dynsess_ddb_free(c);
    }
    script_reset(&S);
}

TT_TEST(never_retried) {
    static const struct { int status; const char *type; int code; } cases[] = {
        {400, "ValidationException", DYNSESS_E_AWS},
        {400, "AccessDeniedException", DYNSESS_E_AUTH},
        {400, "UnrecognizedClientException", DYNSESS_E_AUTH},
        {400, "ConditionalCheckFailedException", DYNSESS_E_CONFLICT},
        {400, "ResourceNotFoundException", DYNSESS_E_AWS},
        {400, "InvalidSignatureException", DYNSESS_E_AUTH}, /* not an expiry: no retry */
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        dynsess_ddb *c = new_client();
        dynsess_buf reply;
        dynsess_ddb_error ae;
        dynsess_error err;
        dynsess_status rc;
        ASSERT(c);
        dynsess_buf_init(&reply, 0);
        add_err(&S, cases[k].status, cases[k].type, "the message");
        add_ok(&S, "{}");
        rc = dynsess_ddb_call(c, "PutItem", dynsess_cstr("{}"), &reply, &ae, &err);
        EXPECT_EQ_INT(rc, cases[k].code);
        EXPECT_EQ_INT(err.code, cases[k].code);
        EXPECT_EQ_INT(S.calls, 1);
        EXPECT_EQ_STR(ae.type, cases[k].type);
        EXPECT_EQ_STR(ae.message, "the message");
        EXPECT_EQ_INT(ae.http_status, cases[k].status);
        EXPECT(contains(err.msg, cases[k].type));
        EXPECT(contains(err.msg, "PutItem"));
        EXPECT_EQ_INT(SL.n, 0);
        dynsess_buf_free(&reply);
        dynsess_ddb_free(c);
    }
    script_reset(&S);
}

TT_TEST(error_body_variants) {
    dynsess_ddb *c = new_client();
    dynsess_ddb_error ae;
    dynsess_error err;
    ASSERT(c);
    /* "Message" with a capital M, and no service prefix in __type */
    add(&S, DYNSESS_OK, 400, 0, "{\"__type\":\"ValidationException\",\"Message\":\"bad key\"}", CRC_OK);
    EXPECT_EQ_INT(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), 0, &ae, &err), DYNSESS_E_AWS);
    EXPECT_EQ_STR(ae.type, "ValidationException");
    EXPECT_EQ_STR(ae.message, "bad key");
    /* type from the x-amzn-ErrorType header, body not JSON */
    add(&S, DYNSESS_OK, 400, "x-amzn-ErrorType: AccessDeniedException:http://internal/\r\n", "nope", CRC_OK);
    EXPECT_EQ_INT(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), 0, &ae, &err), DYNSESS_E_AUTH);
    EXPECT_EQ_STR(ae.type, "AccessDeniedException");
    /* garbage 4xx: an HTTP error, not retried */
    add(&S, DYNSESS_OK, 404, 0, "<UnknownOperationException/>", CRC_OK);
    EXPECT_EQ_INT(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), 0, &ae, &err), DYNSESS_E_HTTP);
    EXPECT_EQ_STR(ae.type, "");
    EXPECT_EQ_INT(S.calls, 3);
    /* item too large -> E_LIMIT */
    add_err(&S, 400, "ValidationException", "Item size has exceeded the maximum allowed size");
    EXPECT_EQ_INT(dynsess_ddb_call(c, "PutItem", dynsess_cstr("{}"), 0, &ae, &err), DYNSESS_E_LIMIT);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(retries_are_bounded) {
    dynsess_ddb *c = new_client();
    dynsess_ddb_error ae;
    dynsess_error err;
    int i;
    ASSERT(c);
    for (i = 0; i < 10; i++) add_err(&S, 400, "ThrottlingException", "rate exceeded");
    EXPECT_EQ_INT(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), 0, &ae, &err), DYNSESS_E_THROTTLED);
    EXPECT_EQ_INT(S.calls, 4); /* default max_attempts */
    EXPECT_EQ_INT(ae.attempts, 4);
    EXPECT_EQ_INT(SL.n, 3);
    EXPECT(ae.retryable);
    EXPECT(contains(err.msg, "after 4 attempts"));
    EXPECT(contains(last_log, "retrying"));
    dynsess_ddb_free(c);
    /* connect failures: E_CONNECT after the attempts */
    c = new_client();
    ASSERT(c);
    for (i = 0; i < 10; i++) add(&S, DYNSESS_E_CONNECT, 0, 0, 0, 0);
    EXPECT_EQ_INT(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), 0, &ae, &err), DYNSESS_E_CONNECT);
    EXPECT_EQ_INT(S.calls, 4);
    EXPECT_EQ_INT(ae.http_status, 0);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(retry_config_and_time_budget) {
    dynsess_ddb_desc d;
    dynsess_ddb *c = 0;
    dynsess_error err;
    int i;
    script_reset(&S);
    memset(&SL, 0, sizeof SL);
    ddb_desc(&d);
    d.retry.max_attempts = 10;
    d.retry.base_delay_ms = 1000;
    d.retry.max_delay_ms = 1000000;
    d.retry.max_total_ms = 1000; /* sleeps (recorded, not slept) are capped by the budget left */
    ASSERT_OK(dynsess_ddb_new(&d, &c, &err), &err);
    for (i = 0; i < 12; i++) add(&S, DYNSESS_OK, 500, 0, "{\"__type\":\"InternalServerError\"}", CRC_OK);
    EXPECT_EQ_INT(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), 0, 0, &err), DYNSESS_E_AWS);
    EXPECT(S.calls >= 2);
    for (i = 0; i < SL.n && i < 64; i++) EXPECT(SL.ms[i] <= 1000); /* not base * 2^k = 512 s */
    dynsess_ddb_free(c);
    /* max_attempts = 1: no retry at all */
    script_reset(&S);
    memset(&SL, 0, sizeof SL);
    ddb_desc(&d);
    d.retry.max_attempts = 1;
    ASSERT_OK(dynsess_ddb_new(&d, &c, &err), &err);
    add(&S, DYNSESS_E_TIMEOUT, 0, 0, 0, 0);
    add_ok(&S, "{}");
    EXPECT_EQ_INT(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), 0, 0, &err), DYNSESS_E_TIMEOUT);
    EXPECT_EQ_INT(S.calls, 1);
    EXPECT_EQ_INT(SL.n, 0);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(clock_skew_corrected_once) {
    dynsess_ddb *c = new_client();
    dynsess_buf reply;
    dynsess_error err;
    ASSERT(c);
    dynsess_buf_init(&reply, 0);
    /* our clock is 1700000000 (2023-11-14T22:13:20Z); the server says 15 min later */
    add(&S, DYNSESS_OK, 400, "Date: Tue, 14 Nov 2023 22:28:20 GMT\r\n",
        "{\"__type\":\"com.amazon.coral.service#InvalidSignatureException\",\"message\":\"Signature expired: "
        "20231114T221320Z is now earlier than 20231114T222320Z (20231114T222820Z - 5 min.)\"}", CRC_OK);
    add_ok(&S, "{}");
    EXPECT_OK(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), &reply, 0, &err), &err);
    EXPECT_EQ_INT(S.calls, 2);
    EXPECT_EQ_STR(S.date[0], "20231114T221320Z");
    EXPECT_EQ_STR(S.date[1], "20231114T222820Z");
    EXPECT_EQ_INT(dynsess_ddb_clock_skew(c), 900);
    EXPECT(contains(last_log, "clock skew"));
    /* the correction stays for later calls */
    add_ok(&S, "{}");
    EXPECT_OK(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), &reply, 0, &err), &err);
    EXPECT_EQ_STR(S.date[2], "20231114T222820Z");
    /* a second expiry in the same call is not retried forever: once only */
    add(&S, DYNSESS_OK, 400, "Date: Tue, 14 Nov 2023 23:28:20 GMT\r\n",
        "{\"__type\":\"InvalidSignatureException\",\"message\":\"Signature expired: x\"}", CRC_OK);
    add(&S, DYNSESS_OK, 400, "Date: Wed, 15 Nov 2023 00:28:20 GMT\r\n",
        "{\"__type\":\"InvalidSignatureException\",\"message\":\"Signature expired: x\"}", CRC_OK);
    EXPECT_EQ_INT(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), &reply, 0, &err), DYNSESS_E_AUTH);
    EXPECT_EQ_INT(S.calls, 5);
    /* without a Date header: no correction, E_AUTH */
    add(&S, DYNSESS_OK, 400, 0, "{\"__type\":\"InvalidSignatureException\",\"message\":\"Signature expired: x\"}", CRC_OK);
    add_ok(&S, "{}");
    EXPECT_EQ_INT(dynsess_ddb_call(c, "GetItem", dynsess_cstr("{}"), &reply, 0, &err), DYNSESS_E_AUTH);
    EXPECT_EQ_INT(S.calls, 6);
    dynsess_buf_free(&reply);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(client_config_errors) {
    dynsess_ddb_desc d;
    dynsess_ddb *c = 0;
    dynsess_error err;
    static fake_env no_region = {{"AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "secret", 0}};
    static fake_env no_creds = {{"AWS_REGION", "us-east-1", 0}};
    ddb_desc(&d);
    d.env.user = &no_region;
    EXPECT_EQ_INT(dynsess_ddb_new(&d, &c, &err), DYNSESS_E_CONFIG);
    EXPECT(c == 0);
    ddb_desc(&d);
    d.env.user = &no_creds;
    EXPECT_EQ_INT(dynsess_ddb_new(&d, &c, &err), DYNSESS_E_CREDENTIALS);
    EXPECT(!contains(err.msg, "wJalr"));
    ddb_desc(&d);
    d.endpoint = "ftp://x";
    EXPECT_EQ_INT(dynsess_ddb_new(&d, &c, &err), DYNSESS_E_CONFIG);
    ddb_desc(&d);
    d.retry.max_attempts = -1;
    EXPECT_EQ_INT(dynsess_ddb_new(&d, &c, &err), DYNSESS_E_CONFIG);
    /* the endpoint from the environment, region from the desc */
    {
        static fake_env ep = {{"AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000", "AWS_ACCESS_KEY_ID", "AKID",
                               "AWS_SECRET_ACCESS_KEY", "secret", 0}};
        ddb_desc(&d);
        d.endpoint = 0;
        d.region = "ap-south-1";
        d.env.user = &ep;
        EXPECT_OK(dynsess_ddb_new(&d, &c, &err), &err);
        dynsess_ddb_free(c);
    }
}

/* ---- the store --------------------------------------------------------------------- */
static const char *ITEM =
    "{\"Item\":{\"session_id\":{\"S\":\"sid\"},\"user_data\":{\"S\":\"{\\\"user\\\":\\\"ann\\\",\\\"n\\\":1}\"},"
    "\"created_at\":{\"N\":\"1699990000\"},\"ttl\":{\"N\":\"1700003600\"},\"version\":{\"N\":\"7\"}}}";

/* a write of the canned item's times */
static dynsess_write wr(const char *id, const char *data, int64_t version, int is_new) {
    return tt_write(id, data, 1699990000, 1700003600, version, is_new);
}

TT_TEST(store_load) {
    dynsess_ddb *c = new_client();
    dynsess_store *st;
    dynsess_record r;
    dynsess_error err;
    ASSERT(c);
    st = new_store(c, 0);
    ASSERT(st);
    dynsess_buf_init(&r.data, 0);
    add_ok(&S, ITEM);
    ASSERT_OK(st->vt->load(st, dynsess_cstr("sid"), 1700000000, &r, &err), &err);
    EXPECT_EQ_STR(r.data.ptr, "{\"user\":\"ann\",\"n\":1}");
    EXPECT_EQ_INT(r.created_at, 1699990000);
    EXPECT_EQ_INT(r.expires_at, 1700003600);
    EXPECT_EQ_INT(r.version, 7);
    EXPECT_EQ_STR(S.target[0], "DynamoDB_20120810.GetItem");
    EXPECT_EQ_STR(S.body[0], "{\"TableName\":\"LLM-Duel-Sessions\",\"Key\":{\"session_id\":{\"S\":\"sid\"}},"
                             "\"ConsistentRead\":true}");
    /* expired but still present (DynamoDB deletes late, local servers never) */
    add_ok(&S, ITEM);
    EXPECT_EQ_INT(st->vt->load(st, dynsess_cstr("sid"), 1700003600, &r, &err), DYNSESS_E_NOTFOUND);
    EXPECT(contains(err.msg, "expired"));
    /* absent */
    add_ok(&S, "{}");
    EXPECT_EQ_INT(st->vt->load(st, dynsess_cstr("nope"), 1700000000, &r, &err), DYNSESS_E_NOTFOUND);
    /* an item written by the Python app: no version -> 0 */
    add_ok(&S, "{\"Item\":{\"session_id\":{\"S\":\"py\"},\"user_data\":{\"S\":\"{}\"},"
               "\"created_at\":{\"N\":\"1699990000\"},\"ttl\":{\"N\":\"1700003600.0\"}}}");
    ASSERT_OK(st->vt->load(st, dynsess_cstr("py"), 1700000000, &r, &err), &err);
    EXPECT_EQ_INT(r.version, 0);
    EXPECT_EQ_INT(r.expires_at, 1700003600);
    /* unreadable: user_data is not a JSON object string */
    add_ok(&S, "{\"Item\":{\"session_id\":{\"S\":\"x\"},\"user_data\":{\"N\":\"1\"}}}");
    EXPECT_EQ_INT(st->vt->load(st, dynsess_cstr("x"), 1700000000, &r, &err), DYNSESS_E_NOTFOUND);
    /* a garbage 200 reply is a failure, not "absent" */
    add_ok(&S, "<html>captive portal</html>");
    EXPECT_EQ_INT(st->vt->load(st, dynsess_cstr("x"), 1700000000, &r, &err), DYNSESS_E_HTTP);
    /* network failure is not "absent" either */
    add(&S, DYNSESS_E_CONNECT, 0, 0, 0, 0);
    add(&S, DYNSESS_E_CONNECT, 0, 0, 0, 0);
    add(&S, DYNSESS_E_CONNECT, 0, 0, 0, 0);
    add(&S, DYNSESS_E_CONNECT, 0, 0, 0, 0);
    EXPECT_EQ_INT(st->vt->load(st, dynsess_cstr("x"), 1700000000, &r, &err), DYNSESS_E_CONNECT);
    dynsess_buf_free(&r.data);
    dynsess_store_close(st);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(store_create) {
    dynsess_ddb *c = new_client();
    dynsess_store *st;
    dynsess_error err;
    dynsess_write w = wr("sid", "{\"a\":\"q\\\"\\n\"}", 0, 1);
    ASSERT(c);
    st = new_store(c, 0);
    ASSERT(st);
    add_ok(&S, "{}");
    ASSERT_OK(st->vt->save(st, &w, 1700000000, 0, &err), &err);
    EXPECT_EQ_STR(S.target[0], "DynamoDB_20120810.PutItem");
    EXPECT_EQ_STR(S.body[0],
                  "{\"TableName\":\"LLM-Duel-Sessions\",\"Item\":{\"session_id\":{\"S\":\"sid\"},"
                  "\"user_data\":{\"S\":\"{\\\"a\\\":\\\"q\\\\\\\"\\\\n\\\"}\"},\"created_at\":{\"N\":\"1699990000\"},"
                  "\"ttl\":{\"N\":\"1700003600\"},\"version\":{\"N\":\"1\"}},"
                  "\"ConditionExpression\":\"attribute_not_exists(#i)\","
                  "\"ExpressionAttributeNames\":{\"#i\":\"session_id\"}}");
    /* collision: never overwrite */
    add_err(&S, 400, "ConditionalCheckFailedException", "The conditional request failed");
    EXPECT_EQ_INT(st->vt->save(st, &w, 1700000000, 0, &err), DYNSESS_E_EXISTS);
    EXPECT_EQ_INT(S.calls, 2);
    dynsess_store_close(st);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(store_update_conditions) {
    dynsess_ddb *c = new_client();
    dynsess_store *st;
    dynsess_error err;
    dynsess_write w = wr("sid", "{\"a\":2}", 7, 0);
    ASSERT(c);
    st = new_store(c, 0);
    ASSERT(st);
    add_ok(&S, "{}");
    ASSERT_OK(st->vt->save(st, &w, 1700000000, 0, &err), &err);
    EXPECT_EQ_STR(S.target[0], "DynamoDB_20120810.UpdateItem");
    EXPECT(contains(S.body[0], "\"UpdateExpression\":\"SET #d = :d, #t = :t, #v = :nv, #c = if_not_exists(#c, :c)\""));
    EXPECT(contains(S.body[0], "\"ConditionExpression\":\"attribute_exists(#i) AND (attribute_not_exists(#t) OR "
                               "#t > :now) AND #v = :v\""));
    /* ttl is a reserved word: only placeholders in expressions */
    EXPECT(contains(S.body[0], "\"#t\":\"ttl\""));
    EXPECT(contains(S.body[0], "\":v\":{\"N\":\"7\"}"));
    EXPECT(contains(S.body[0], "\":nv\":{\"N\":\"8\"}"));
    EXPECT(contains(S.body[0], "\":now\":{\"N\":\"1700000000\"}"));
    EXPECT(contains(S.body[0], "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\""));
    /* version 0 (a Python item): accepts a missing version attribute */
    w.version = 0;
    add_ok(&S, "{}");
    ASSERT_OK(st->vt->save(st, &w, 1700000000, 0, &err), &err);
    EXPECT(contains(S.body[1], "(attribute_not_exists(#v) OR #v = :v)"));
    EXPECT(contains(S.body[1], "\":nv\":{\"N\":\"1\"}"));
    dynsess_store_close(st);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(store_update_conflict_or_gone) {
    dynsess_ddb *c = new_client();
    dynsess_store *st;
    dynsess_error err;
    dynsess_write w = wr("sid", "{\"a\":2}", 6, 0);
    ASSERT(c);
    st = new_store(c, 0);
    ASSERT(st);
    /* server returns the old item (ReturnValuesOnConditionCheckFailure): version moved */
    add(&S, DYNSESS_OK, 400, 0,
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\",\"message\":\"The "
        "conditional request failed\",\"Item\":{\"session_id\":{\"S\":\"sid\"},\"user_data\":{\"S\":\"{}\"},"
        "\"ttl\":{\"N\":\"1700003600\"},\"version\":{\"N\":\"7\"}}}", CRC_OK);
    EXPECT_EQ_INT(st->vt->save(st, &w, 1700000000, 0, &err), DYNSESS_E_CONFLICT);
    EXPECT_EQ_INT(S.calls, 1);
    EXPECT(contains(err.msg, "version is now 7"));
    /* no item in the error (dynalite, or the item is gone): re-read decides */
    add_err(&S, 400, "ConditionalCheckFailedException", "The conditional request failed");
    add_ok(&S, "{}");
    EXPECT_EQ_INT(st->vt->save(st, &w, 1700000000, 0, &err), DYNSESS_E_NOTFOUND);
    EXPECT_EQ_INT(S.calls, 3);
    EXPECT_EQ_STR(S.target[2], "DynamoDB_20120810.GetItem");
    add_err(&S, 400, "ConditionalCheckFailedException", "The conditional request failed");
    add_ok(&S, ITEM);
    EXPECT_EQ_INT(st->vt->save(st, &w, 1700000000, 0, &err), DYNSESS_E_CONFLICT);
    /* present but expired: gone, never resurrected */
    add_err(&S, 400, "ConditionalCheckFailedException", "The conditional request failed");
    add_ok(&S, ITEM);
    EXPECT_EQ_INT(st->vt->save(st, &w, 1700003700, 0, &err), DYNSESS_E_NOTFOUND);
    dynsess_store_close(st);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(store_destroy_touch) {
    dynsess_ddb *c = new_client();
    dynsess_store *st;
    dynsess_error err;
    ASSERT(c);
    st = new_store(c, 0);
    ASSERT(st);
    add_ok(&S, "{}");
    ASSERT_OK(st->vt->destroy(st, dynsess_cstr("sid"), &err), &err);
    EXPECT_EQ_STR(S.target[0], "DynamoDB_20120810.DeleteItem");
    EXPECT_EQ_STR(S.body[0], "{\"TableName\":\"LLM-Duel-Sessions\",\"Key\":{\"session_id\":{\"S\":\"sid\"}}}");
    ASSERT(st->vt->touch);
    add_ok(&S, "{}");
    ASSERT_OK(st->vt->touch(st, dynsess_cstr("sid"), 1700007200, 1700000000, &err), &err);
    EXPECT(contains(S.body[1], "\"UpdateExpression\":\"SET #t = :t\""));
    EXPECT(contains(S.body[1], "\":t\":{\"N\":\"1700007200\"}"));
    EXPECT(!contains(S.body[1], "user_data"));
    add_err(&S, 400, "ConditionalCheckFailedException", "The conditional request failed");
    EXPECT_EQ_INT(st->vt->touch(st, dynsess_cstr("sid"), 1700007200, 1700000000, &err), DYNSESS_E_NOTFOUND);
    add_err(&S, 400, "AccessDeniedException", "not authorized to perform: dynamodb:DeleteItem");
    EXPECT_EQ_INT(st->vt->destroy(st, dynsess_cstr("sid"), &err), DYNSESS_E_AUTH);
    dynsess_store_close(st);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(store_item_limit) {
    dynsess_ddb *c = new_client();
    dynsess_store *st;
    dynsess_error err;
    dynsess_write w;
    char *big = (char *)malloc(DYNSESS_DDB_MAX_ITEM_SIZE + 10);
    ASSERT(c && big);
    st = new_store(c, 0);
    ASSERT(st);
    memset(big, 'x', DYNSESS_DDB_MAX_ITEM_SIZE + 9);
    big[0] = '{';
    big[DYNSESS_DDB_MAX_ITEM_SIZE + 9] = 0;
    w = wr("sid", big, 0, 1);
    EXPECT_EQ_INT(st->vt->save(st, &w, 1700000000, 0, &err), DYNSESS_E_LIMIT);
    EXPECT(contains(err.msg, "400 KB"));
    w.is_new = 0;
    EXPECT_EQ_INT(st->vt->save(st, &w, 1700000000, 0, &err), DYNSESS_E_LIMIT);
    EXPECT_EQ_INT(S.calls, 0); /* nothing was sent */
    free(big);
    dynsess_store_close(st);
    dynsess_ddb_free(c);
    script_reset(&S);
}

TT_TEST(store_hash_ids) {
    dynsess_ddb *c = new_client();
    dynsess_store *st;
    dynsess_error err;
    dynsess_write w = wr("the-session-id", "{}", 0, 1);
    char want[96], key[48];
    uint8_t mac[32];
    const char *k = "0123456789abcdef0123456789abcdef-server-key";
    ASSERT(c);
    st = new_store(c, 1);
    ASSERT(st);
    dynsess_hmac_sha256(k, strlen(k), "the-session-id", 14, mac);
    dynsess_base64url_encode(mac, 32, key, sizeof key);
    snprintf(want, sizeof want, "\"session_id\":{\"S\":\"%s\"}", key);
    add_ok(&S, "{}");
    ASSERT_OK(st->vt->save(st, &w, 1700000000, 0, &err), &err);
    EXPECT(contains(S.body[0], want));
    EXPECT(!contains(S.body[0], "the-session-id"));
    add_ok(&S, "{}");
    EXPECT_EQ_INT(st->vt->load(st, dynsess_cstr("the-session-id"), 1700000000, 0, &err), DYNSESS_E_NOTFOUND);
    EXPECT(contains(S.body[1], want));
    dynsess_store_close(st);
    dynsess_ddb_free(c);
    script_reset(&S);
    { /* a short key is refused */
        dynsess_dynamodb_desc d;
        memset(&d, 0, sizeof d);
        d.hash_ids = 1;
        d.id_key = dynsess_cstr("short");
        d.no_startup_check = 1;
        EXPECT_EQ_INT(dynsess_store_dynamodb_new(&d, &st, &err), DYNSESS_E_CONFIG);
    }
}

TT_TEST(store_custom_names_and_startup_probe) {
    dynsess_dynamodb_desc d;
    dynsess_store *st = 0;
    dynsess_error err;
    dynsess_write w = wr("sid", "{}", 3, 0);
    script_reset(&S);
    memset(&d, 0, sizeof d);
    ddb_desc(&d.ddb);
    d.table = "my.sessions_v2";
    d.attr_id = "pk";
    d.attr_data = "data";
    d.attr_created = "born";
    d.attr_ttl = "expires";
    d.attr_version = "rev";
    d.eventual_reads = 1;
    add_ok(&S, "{}"); /* the probe */
    ASSERT_OK(dynsess_store_dynamodb_new(&d, &st, &err), &err);
    EXPECT_EQ_STR(S.target[0], "DynamoDB_20120810.GetItem");
    EXPECT(contains(S.body[0], "\"Key\":{\"pk\":{\"S\":\"dynsess-probe-"));
    EXPECT(!contains(S.body[0], "ConsistentRead"));
    add_ok(&S, "{}");
    ASSERT_OK(st->vt->save(st, &w, 1700000000, 0, &err), &err);
    EXPECT(contains(S.body[1], "\"ExpressionAttributeNames\":{\"#i\":\"pk\",\"#d\":\"data\",\"#c\":\"born\","
                               "\"#t\":\"expires\",\"#v\":\"rev\"}"));
    EXPECT(contains(S.body[1], "\"TableName\":\"my.sessions_v2\""));
    dynsess_store_close(st);
    /* the probe fails: missing table */
    script_reset(&S);
    add_err(&S, 400, "ResourceNotFoundException", "Requested resource not found");
    EXPECT_EQ_INT(dynsess_store_dynamodb_new(&d, &st, &err), DYNSESS_E_AWS);
    EXPECT(st == 0);
    EXPECT(contains(err.msg, "my.sessions_v2"));
    EXPECT(contains(err.msg, "ResourceNotFoundException"));
    /* bad names */
    d.table = "a";
    EXPECT_EQ_INT(dynsess_store_dynamodb_new(&d, &st, &err), DYNSESS_E_CONFIG);
    d.table = 0;
    d.attr_ttl = "data";
    EXPECT_EQ_INT(dynsess_store_dynamodb_new(&d, &st, &err), DYNSESS_E_CONFIG);
    script_reset(&S);
}

/* ---- environment + fallback ------------------------------------------------------------ */
TT_TEST(from_env_fallback) {
    dynsess_env_store_desc d;
    dynsess_store *st = 0;
    dynsess_error err;
    int degraded = -1;
    static fake_env on = {{"USE_DYNAMODB_SESSIONS", "true", "SESSION_TABLE_NAME", "Sessions-Test",
                           "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "AKID",
                           "AWS_SECRET_ACCESS_KEY", "secret", 0}};
    static fake_env on_off = {{"USE_DYNAMODB_SESSIONS", "TRUE", "DYNSESS_FALLBACK", "off",
                               "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "AKID",
                               "AWS_SECRET_ACCESS_KEY", "secret", 0}};
    static fake_env off = {{"USE_DYNAMODB_SESSIONS", "false", 0}};
    /* DynamoDB fails (connect refused, every attempt): memory fallback, degraded */
    script_reset(&S);
    memset(&d, 0, sizeof d);
    ddb_desc(&d.dynamodb.ddb);
    d.dynamodb.ddb.env.user = &on;
    d.dynamodb.ddb.endpoint = 0;
    last_log[0] = 0;
    ASSERT_OK(dynsess_store_from_env(&d, &st, &degraded, &err), &err);
    EXPECT_EQ_INT(degraded, 1);
    EXPECT(dynsess_store_degraded(st));
    EXPECT(contains(last_log, "DEGRADED"));
    EXPECT(contains(last_log, "Sessions-Test"));
    EXPECT(contains(S.body[0], "\"TableName\":\"Sessions-Test\""));
    { /* the fallback works as a store */
        dynsess_write w = wr("sid", "{\"k\":1}", 0, 1);
        dynsess_record r;
        dynsess_buf_init(&r.data, 0);
        EXPECT_OK(st->vt->save(st, &w, 1700000000, 0, &err), &err);
        EXPECT_OK(st->vt->load(st, dynsess_cstr("sid"), 1700000000, &r, &err), &err);
        EXPECT_EQ_STR(r.data.ptr, "{\"k\":1}");
        if (st->vt->touch) EXPECT_OK(st->vt->touch(st, dynsess_cstr("sid"), 1700001000, 1700000000, &err), &err);
        EXPECT_OK(st->vt->destroy(st, dynsess_cstr("sid"), &err), &err);
        EXPECT_EQ_INT(st->vt->load(st, dynsess_cstr("sid"), 1700000000, &r, &err), DYNSESS_E_NOTFOUND);
        dynsess_buf_free(&r.data);
    }
    dynsess_store_close(st);
    /* fallback = off: the error is returned */
    script_reset(&S);
    d.dynamodb.ddb.env.user = &on_off;
    st = 0;
    EXPECT_EQ_INT(dynsess_store_from_env(&d, &st, &degraded, &err), DYNSESS_E_CONNECT);
    EXPECT(st == 0);
    EXPECT_EQ_INT(degraded, 0);
    script_reset(&S);
    d.dynamodb.ddb.env.user = &on;
    d.no_fallback = 1;
    EXPECT_EQ_INT(dynsess_store_from_env(&d, &st, &degraded, &err), DYNSESS_E_CONNECT);
    d.no_fallback = 0;
    /* DynamoDB works: a dynamodb store, not degraded */
    script_reset(&S);
    add_ok(&S, "{}");
    ASSERT_OK(dynsess_store_from_env(&d, &st, &degraded, &err), &err);
    EXPECT_EQ_INT(degraded, 0);
    EXPECT(!dynsess_store_degraded(st));
    EXPECT_EQ_STR(st->vt->name, "dynamodb");
    EXPECT(dynsess_store_dynamodb_client(st) != 0);
    dynsess_store_close(st);
    /* not enabled: the memory store, not degraded */
    d.dynamodb.ddb.env.user = &off;
    ASSERT_OK(dynsess_store_from_env(&d, &st, &degraded, &err), &err);
    EXPECT_EQ_INT(degraded, 0);
    EXPECT(!dynsess_store_degraded(st));
    EXPECT_EQ_STR(st->vt->name, "memory");
    dynsess_store_close(st);
    script_reset(&S);
}

/* A local port nobody listens on: bind port 0, read the port, close. */
static int closed_port(void) {
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 9;
    if (fd < 0) return port;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &n) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

TT_TEST(fallback_no_server_listening) {
    /* the real plain-HTTP transport against a port nobody listens on */
    dynsess_env_store_desc d;
    dynsess_store *st = 0;
    dynsess_error err;
    int degraded = 0;
    static char url[64];
    static fake_env on = {{"USE_DYNAMODB_SESSIONS", "true", "AWS_REGION", "us-east-1",
                           "AWS_ENDPOINT_URL", url, "AWS_ACCESS_KEY_ID", "AKID",
                           "AWS_SECRET_ACCESS_KEY", "secret", 0}};
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    memset(&d, 0, sizeof d);
    memset(&SL, 0, sizeof SL);
    d.dynamodb.ddb.env.get = env_get;
    d.dynamodb.ddb.env.user = &on;
    d.dynamodb.ddb.timeout_ms = 500;
    d.dynamodb.ddb.retry.sleep_ms = sleep_fn;
    d.dynamodb.ddb.retry.sleep_user = &SL;
    d.logger.func = logger_fn;
    d.logger.user = last_log;
    ASSERT_OK(dynsess_store_from_env(&d, &st, &degraded, &err), &err);
    EXPECT_EQ_INT(degraded, 1);
    EXPECT(dynsess_store_degraded(st));
    EXPECT(contains(last_log, "LLM-Duel-Sessions"));
    dynsess_store_close(st);
    d.no_fallback = 1;
    EXPECT_EQ_INT(dynsess_store_from_env(&d, &st, &degraded, &err), DYNSESS_E_CONNECT);
}

TT_TEST(oom_paths) {
    /* every allocation failing in turn: clean errors, no leaks */
    long n;
    for (n = 1; n < 400; n++) {
        tt_alloc_state as;
        dynsess_allocator a;
        dynsess_ddb_desc dd;
        dynsess_dynamodb_desc d;
        dynsess_store *st = 0;
        dynsess_error err;
        dynsess_record r;
        dynsess_write w = wr("sid", "{\"a\":1}", 7, 0);
        int done = 1;
        memset(&as, 0, sizeof as);
        as.fail_at = n;
        a.alloc = tt_alloc_fn; a.realloc = tt_realloc_fn; a.free = tt_free_fn; a.user = &as;
        script_reset(&S);
        ddb_desc(&dd);
        dd.allocator = a;
        memset(&d, 0, sizeof d);
        d.ddb = dd;
        add_ok(&S, "{}");
        add_ok(&S, ITEM);
        add_err(&S, 400, "ConditionalCheckFailedException", "x");
        add_ok(&S, ITEM);
        if (dynsess_store_dynamodb_new(&d, &st, &err) == DYNSESS_OK) {
            dynsess_buf_init(&r.data, &a);
            if (st->vt->load(st, dynsess_cstr("sid"), 1700000000, &r, &err) != DYNSESS_OK) done = 0;
            else if (st->vt->save(st, &w, 1700000000, 0, &err) != DYNSESS_E_CONFLICT) done = 0;
            dynsess_buf_free(&r.data);
            dynsess_store_close(st);
        } else done = 0;
        if (as.live != 0) { printf("  leak at allocation %ld: %ld blocks\n", n, as.live); EXPECT(as.live == 0); break; }
        if (done && as.count < n) break; /* went through without hitting the failure */
    }
    EXPECT(n < 400);
    script_reset(&S);
}

typedef struct thread_arg { dynsess_store *st; int failures; } thread_arg;
static void *load_loop(void *p) {
    thread_arg *a = (thread_arg *)p;
    dynsess_record r;
    dynsess_error err;
    int i;
    dynsess_buf_init(&r.data, 0);
    for (i = 0; i < 200; i++) {
        if (a->st->vt->load(a->st, dynsess_cstr("sid"), 1700000000, &r, &err) != DYNSESS_OK ||
            strcmp(r.data.ptr, "{\"user\":\"ann\",\"n\":1}") != 0)
            a->failures++;
    }
    dynsess_buf_free(&r.data);
    return 0;
}

TT_TEST(store_thread_safe) {
    dynsess_ddb *c = new_client();
    dynsess_dynamodb_desc d;
    dynsess_store *st = 0;
    dynsess_error err;
    pthread_t th[4];
    thread_arg args[4];
    int i;
    ASSERT(c);
    memset(&d, 0, sizeof d);
    d.client = c;
    d.no_startup_check = 1;
    d.thread_safe = 1;
    ASSERT_OK(dynsess_store_dynamodb_new(&d, &st, &err), &err);
    add_ok(&S, ITEM);
    S.sticky = 1;
    for (i = 0; i < 4; i++) {
        args[i].st = st;
        args[i].failures = 0;
        ASSERT(pthread_create(&th[i], 0, load_loop, &args[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], 0);
        EXPECT_EQ_INT(args[i].failures, 0);
    }
    EXPECT_EQ_INT(S.calls, 800);
    dynsess_store_close(st);
    dynsess_ddb_free(c);
    script_reset(&S);
}

static const tt_case tt_cases[] = {
    TT_CASE(crc32_vectors), TT_CASE(crc32_fast_matches), TT_CASE(json_string_escape), TT_CASE(http_date_parse), TT_CASE(number_parse),
    TT_CASE(call_signs_and_returns_body), TT_CASE(retries_then_succeeds), TT_CASE(retry_kinds),
    TT_CASE(never_retried), TT_CASE(error_body_variants), TT_CASE(retries_are_bounded),
    TT_CASE(retry_config_and_time_budget), TT_CASE(clock_skew_corrected_once), TT_CASE(client_config_errors),
    TT_CASE(store_load), TT_CASE(store_create), TT_CASE(store_update_conditions),
    TT_CASE(store_update_conflict_or_gone), TT_CASE(store_destroy_touch), TT_CASE(store_item_limit),
    TT_CASE(store_hash_ids), TT_CASE(store_custom_names_and_startup_probe), TT_CASE(from_env_fallback),
    TT_CASE(fallback_no_server_listening), TT_CASE(oom_paths), TT_CASE(store_thread_safe),
};
int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
