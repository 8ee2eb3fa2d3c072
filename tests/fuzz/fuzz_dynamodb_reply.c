/* tests/fuzz/fuzz_dynamodb_reply.c - libFuzzer harness for what DynamoDB (or whatever
   answers in its place) sends back: the DynamoDB client and store read replies the
   fuzzer writes. A transport callback hands out one reply per HTTP call, cut from the
   input; one input drives two request cycles through a session ctx on the DynamoDB store
   (touch_after_s 60): a read-only one (load a session by its cookie -> GetItem; save
   unchanged -> an UpdateItem of the ttl when the deadline moves by 60 s or more), then a
   writing one (load; set a key and save -> PutItem or UpdateItem; destroy -> DeleteItem),
   then one direct dynsess_ddb_call. Retries sleep
   through a no-op hook, so every reply, retried or not, is used at once.
   Input format (text, so that the corpus in tests/fuzz/corpus_dynamodb_reply/ reads as
   it is): replies separated by a line "##"; each reply is a first line with the HTTP
   status in decimal (missing or garbage: 0, what a transport reports when no reply
   was read), then header lines ("Name: value", CRLF or LF) up to an empty line,
   then the body (to the separator; without an empty line the body is empty). When the replies
   run out, the transport fails with E_CONNECT (a connection refused).
   Build: clang -fsanitize=fuzzer,address,undefined (Makefile); run:
   tests/integration/fuzz.sh. Checks, besides memory safety and leaks:
   - every call returns OK or an error code with a message, never E_INTERNAL;
   - a loaded session that is not new holds a JSON object read from the reply (it
     serializes, and re-parses, as an object);
   - a failed load leaves no session; save, destroy and the direct call never
     crash on any reply, whatever the HTTP status. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

typedef struct fz_replies {
    const char *p, *end; /* the part of the input not yet handed out */
    int calls;
} fz_replies;

static int64_t fz_clock(void *user) { (void)user; return 1700000000; }
static dynsess_status fz_rng(void *user, void *buf, size_t n) {
    (void)user;
    memset(buf, 0x5a, n);
    return DYNSESS_OK;
}
static void fz_sleep(void *user, int32_t ms) { (void)user; (void)ms; }
static const char *fz_env(void *user, const char *name) {
    (void)user;
    if (!strcmp(name, "AWS_REGION")) return "eu-west-1";
    if (!strcmp(name, "AWS_ACCESS_KEY_ID")) return "AKIDEXAMPLE";
    if (!strcmp(name, "AWS_SECRET_ACCESS_KEY")) return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    return 0;
}

/* the next reply: [p, end) up to a line "##" (or the end of the input) */
static int fz_transport(void *user, const dynsess_http_request *req, dynsess_http_response *resp) {
    fz_replies *r = (fz_replies *)user;
    const char *p = r->p, *stop = r->end, *q, *hdr_end, *body;
    int status = 0;
    dynsess_error err;
    (void)req;
    r->calls++;
    if (!p) {
        dynsess__fail(&resp->error, DYNSESS_E_CONNECT, DYNSESS_NO_OFFSET, "fuzz: no more replies");
        return DYNSESS_E_CONNECT;
    }
    for (q = p; q + 3 <= r->end; q++) {
        if ((q == p || q[-1] == '\n') && q[0] == '#' && q[1] == '#' &&
            (q + 2 == r->end || q[2] == '\n')) {
            stop = q;
            break;
        }
    }
    r->p = stop < r->end ? stop + (stop + 2 < r->end ? 3 : 2) : 0;
    if (r->p && r->p >= r->end) r->p = 0;
    /* status line */
    for (q = p; q < stop && *q != '\n'; q++) {
        if (*q < '0' || *q > '9' || status > 99) { status = 0; break; }
        status = status * 10 + (*q - '0');
    }
    while (p < stop && *p != '\n') p++;
    if (p < stop) p++;
    /* header lines up to an empty line ("\n" or "\r\n"); the body follows it */
    hdr_end = body = p;
    while (body < stop) {
        const char *line = body;
        while (body < stop && *body != '\n') body++;
        if (body < stop) body++;
        if (body - line <= 2 && (line[0] == '\n' || (line[0] == '\r' && body - line == 2))) break;
        hdr_end = body;
    }
    resp->status = status;
    if (dynsess_buf_append(&resp->headers, p, (size_t)(hdr_end - p), &err) ||
        dynsess_buf_append(&resp->body, body, (size_t)(stop - body), &err)) {
        resp->error = err;
        return err.code;
    }
    return DYNSESS_OK;
}

static void fz_expect_error(dynsess_status rc, const dynsess_error *err) {
    if (rc == DYNSESS_OK) return;
    FUZZ_CHECK(rc != DYNSESS_E_INTERNAL);
    FUZZ_CHECK(err->code == rc && err->msg[0]);
}

/* the session's dict serializes to an object that parses back as one */
static void fz_check_session(dynsess_session *s) {
    dynsess_buf out;
    dynsess_doc *doc = 0;
    dynsess_value *root = 0;
    dynsess_error err;
    dynsess_buf_init(&out, 0);
    if (dynsess_json_write(dynsess_session_root(s), &out, &err) == DYNSESS_OK) {
        FUZZ_CHECK(dynsess_doc_new(0, &doc, &err) == DYNSESS_OK);
        FUZZ_CHECK(dynsess_json_parse(doc, out.ptr, out.len, 0, &root, &err) == DYNSESS_OK);
        FUZZ_CHECK(dynsess_value_type(root) == DYNSESS_JSON_OBJECT);
        dynsess_doc_free(doc);
    }
    dynsess_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_replies r;
    dynsess_ddb_desc dd;
    dynsess_dynamodb_desc sd;
    dynsess_desc d;
    dynsess_ddb *client = 0;
    dynsess_store *st = 0;
    dynsess_ctx *ctx = 0;
    dynsess_session *s = 0;
    dynsess_error err;
    dynsess_status rc;
    dynsess_buf reply;
    dynsess_ddb_error aws;
    char sc[4096];
    size_t n = 0;
    static const char cookie[] = "session=WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo";
    if (size > 65536) return 0;
    r.p = size ? (const char *)data : 0;
    r.end = (const char *)data + size;
    r.calls = 0;

    memset(&dd, 0, sizeof dd);
    dd.endpoint = "http://127.0.0.1:1";
    dd.env.get = fz_env;
    dd.transport.fn = fz_transport;
    dd.transport.user = &r;
    dd.clock.now = fz_clock;
    dd.rng.fill = fz_rng;
    dd.retry.sleep_ms = fz_sleep;
    FUZZ_CHECK(dynsess_ddb_new(&dd, &client, &err) == DYNSESS_OK);
    memset(&sd, 0, sizeof sd);
    sd.client = client;
    sd.no_startup_check = 1;
    FUZZ_CHECK(dynsess_store_dynamodb_new(&sd, &st, &err) == DYNSESS_OK);
    memset(&d, 0, sizeof d);
    d.store = st;
    d.clock.now = fz_clock;
    d.rng.fill = fz_rng;
    d.touch_after_s = 60;
    FUZZ_CHECK(dynsess_setup(&ctx, &d, &err) == DYNSESS_OK);

    /* read-only: load (GetItem), save unchanged (maybe a touch: UpdateItem of the ttl) */
    rc = dynsess_load(ctx, cookie, sizeof cookie - 1, &s, &err);
    fz_expect_error(rc, &err);
    if (rc == DYNSESS_OK) {
        if (!dynsess_session_is_new(s)) fz_check_session(s);
        rc = dynsess_save(ctx, s, sc, sizeof sc, &n, &err);
        fz_expect_error(rc, &err);
        dynsess_release(s);
        s = 0;
    } else {
        FUZZ_CHECK(s == 0);
    }

    /* writing: load, set + save (PutItem / UpdateItem), destroy (DeleteItem) */
    rc = dynsess_load(ctx, cookie, sizeof cookie - 1, &s, &err);
    fz_expect_error(rc, &err);
    if (rc == DYNSESS_OK) {
        if (!dynsess_session_is_new(s)) fz_check_session(s);
        FUZZ_CHECK(dynsess_session_set_str_n(s, "fuzz", "reply", 5, &err) == DYNSESS_OK);
        rc = dynsess_save(ctx, s, sc, sizeof sc, &n, &err);
        fz_expect_error(rc, &err);
        rc = dynsess_destroy(ctx, s, sc, sizeof sc, &n, &err);
        fz_expect_error(rc, &err);
        dynsess_release(s);
    } else {
        FUZZ_CHECK(s == 0);
    }

    /* a direct call with the rest of the replies */
    dynsess_buf_init(&reply, 0);
    rc = dynsess_ddb_call(client, "DescribeTable", dynsess_cstr("{\"TableName\":\"t\"}"), &reply, &aws, &err);
    fz_expect_error(rc, &err);
    FUZZ_CHECK(aws.attempts >= 1);
    dynsess_buf_free(&reply);

    dynsess_shutdown(ctx);
    dynsess_store_close(st);
    dynsess_ddb_free(client);
    return 0;
}
