/* tests/integration/dynamodb_live.c - the DynamoDB store against a running
   DynamoDB-compatible server (dynalite), built and run by
   tests/integration/dynamodb.sh with DYNSESS_TEST_ENDPOINT and
   DYNSESS_TEST_TABLE set.
     dynamodb_live plain|curl          the test cases through that transport
     dynamodb_live interop-write FILE  stores a new session whose data is the
                                       JSON in FILE; prints its id
     dynamodb_live interop-read ID IN OUT
                                       loads session ID (written by the AWS SDK),
                                       checks its data equals IN, adds a key,
                                       saves it (version 0 -> 1), writes the new
                                       data to OUT */
#define _POSIX_C_SOURCE 200809L /* setenv; getaddrinfo in the plain transport */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"

static const char *ENDPOINT, *TABLE;
static int use_curl;
static int64_t fake_now;
static int64_t clock_fn(void *user) { (void)user; return fake_now; }

/* The client borrows the transport *t: free it after the client. */
static dynsess_status make_client(dynsess_ddb **out, dynsess_transport *t, dynsess_error *err) {
    dynsess_ddb_desc d;
    dynsess_transport_desc td;
    dynsess_status rc;
    memset(&d, 0, sizeof d);
    memset(&td, 0, sizeof td);
    d.endpoint = ENDPOINT;
    d.region = "us-east-1";
    td.timeout_ms = 5000;
    rc = use_curl ? dynsess_transport_curl_new(&td, t, err) : dynsess_transport_plain_new(&td, t, err);
    if (rc) return rc;
    d.transport = *t;
    rc = dynsess_ddb_new(&d, out, err);
    if (rc) { dynsess_transport_free(t); return rc; }
    return DYNSESS_OK;
}
static void new_id(char *out) {
    uint8_t r[32];
    dynsess_random_bytes(r, sizeof r, 0);
    dynsess_base64url_encode(r, sizeof r, out, 64);
}

/* What a store test works with: the store (over a client over a transport), a fresh
   session id, a record to load into, an error and the time at the start. */
typedef struct env {
    dynsess_ddb *c;
    dynsess_transport t;
    dynsess_store *st;
    char id[64];
    dynsess_record r;
    dynsess_error err;
    int64_t now;
} env;

static int env_open(env *e, int hash_ids, int startup_check) {
    dynsess_dynamodb_desc sd;
    memset(e, 0, sizeof *e);
    memset(&sd, 0, sizeof sd);
    new_id(e->id);
    dynsess_buf_init(&e->r.data, 0);
    e->now = dynsess_time_now();
    if (make_client(&e->c, &e->t, &e->err)) { printf("  client: %s\n", e->err.msg); return 0; }
    sd.client = e->c;
    sd.table = TABLE;
    sd.hash_ids = hash_ids;
    sd.id_key = dynsess_cstr("live-test-server-key-0123456789abcdef");
    sd.no_startup_check = !startup_check;
    if (dynsess_store_dynamodb_new(&sd, &e->st, &e->err)) { printf("  store_new: %s\n", e->err.msg); return 0; }
    return 1;
}
static void env_close(env *e) {
    dynsess_store_close(e->st);
    dynsess_ddb_free(e->c);
    dynsess_transport_free(&e->t);
    dynsess_buf_free(&e->r.data);
}


/* The store's four calls on e's session id (a save writes data created at e->now). */
static dynsess_status st_save(env *e, const char *data, int64_t expires_at, int64_t loaded_version,
                              int is_new, int64_t now) {
    dynsess_write w = tt_write(e->id, data, e->now, expires_at, loaded_version, is_new);
    return e->st->vt->save(e->st, &w, now, 0, &e->err);
}
static dynsess_status st_load(env *e, int64_t now) {
    return e->st->vt->load(e->st, dynsess_cstr(e->id), now, &e->r, &e->err);
}
static dynsess_status st_touch(env *e, int64_t expires_at, int64_t now) {
    return e->st->vt->touch(e->st, dynsess_cstr(e->id), expires_at, now, &e->err);
}
static dynsess_status st_destroy(env *e) {
    return e->st->vt->destroy(e->st, dynsess_cstr(e->id), &e->err);
}

/* GetItem of a raw key through the client; returns the reply text (static buffer). */
static const char *raw_get(env *e, const char *key) {
    static char out[4096];
    char body[512];
    dynsess_buf reply;
    dynsess_error err;
    snprintf(body, sizeof body,
             "{\"TableName\":\"%s\",\"Key\":{\"session_id\":{\"S\":\"%s\"}},\"ConsistentRead\":true}", TABLE, key);
    dynsess_buf_init(&reply, 0);
    out[0] = 0;
    if (dynsess_ddb_call(e->c, "GetItem", dynsess_cstr(body), &reply, 0, &err) == DYNSESS_OK && reply.ptr)
        snprintf(out, sizeof out, "%s", reply.ptr);
    else
        snprintf(out, sizeof out, "ERROR %s", err.msg);
    dynsess_buf_free(&reply);
    return out;
}

TT_TEST(startup_probe) {
    env e;
    ASSERT(env_open(&e, 0, 1));
    env_close(&e);
    { /* a table that does not exist: a clear error at start-up */
        dynsess_ddb *c = 0;
        dynsess_transport t;
        dynsess_dynamodb_desc sd;
        dynsess_store *st = 0;
        dynsess_error err;
        ASSERT_OK(make_client(&c, &t, &err), &err);
        memset(&sd, 0, sizeof sd);
        sd.client = c;
        sd.table = "no-such-table";
        EXPECT_EQ_INT(dynsess_store_dynamodb_new(&sd, &st, &err), DYNSESS_E_AWS);
        EXPECT(strstr(err.msg, "ResourceNotFoundException") != 0);
        EXPECT(strstr(err.msg, "no-such-table") != 0);
        dynsess_ddb_free(c);
        dynsess_transport_free(&t);
    }
}

TT_TEST(create_load_update_delete) {
    env e;
    ASSERT(env_open(&e, 0, 0));
    ASSERT_OK(st_save(&e, "{\"user\":\"ann\",\"q\":\"a \\\"quoted\\\" \\u0001 word\"}", e.now + 3600, 0, 1, e.now), &e.err);
    ASSERT_OK(st_load(&e, e.now), &e.err);
    EXPECT_EQ_STR(e.r.data.ptr, "{\"user\":\"ann\",\"q\":\"a \\\"quoted\\\" \\u0001 word\"}");
    EXPECT_EQ_INT(e.r.created_at, e.now);
    EXPECT_EQ_INT(e.r.expires_at, e.now + 3600);
    EXPECT_EQ_INT(e.r.version, 1);
    ASSERT_OK(st_save(&e, "{\"user\":\"bob\"}", e.now + 7200, 1, 0, e.now), &e.err);
    ASSERT_OK(st_load(&e, e.now), &e.err);
    EXPECT_EQ_STR(e.r.data.ptr, "{\"user\":\"bob\"}");
    EXPECT_EQ_INT(e.r.expires_at, e.now + 7200);
    EXPECT_EQ_INT(e.r.version, 2);
    EXPECT_EQ_INT(e.r.created_at, e.now);
    ASSERT_OK(st_destroy(&e), &e.err);
    EXPECT_EQ_INT(st_load(&e, e.now), DYNSESS_E_NOTFOUND);
    EXPECT_OK(st_destroy(&e), &e.err); /* absent: OK */
    env_close(&e);
}

TT_TEST(no_overwrite_on_collision) {
    env e;
    ASSERT(env_open(&e, 0, 0));
    ASSERT_OK(st_save(&e, "{\"owner\":\"first\"}", e.now + 3600, 0, 1, e.now), &e.err);
    EXPECT_EQ_INT(st_save(&e, "{\"owner\":\"second\"}", e.now + 3600, 0, 1, e.now), DYNSESS_E_EXISTS);
    ASSERT_OK(st_load(&e, e.now), &e.err);
    EXPECT_EQ_STR(e.r.data.ptr, "{\"owner\":\"first\"}");
    env_close(&e);
}

TT_TEST(no_resurrection_after_delete) {
    env e;
    ASSERT(env_open(&e, 0, 0));
    ASSERT_OK(st_save(&e, "{\"cart\":[1]}", e.now + 3600, 0, 1, e.now), &e.err);
    ASSERT_OK(st_destroy(&e), &e.err); /* logout */
    /* a slow request finishes */
    EXPECT_EQ_INT(st_save(&e, "{\"cart\":[1,2]}", e.now + 3600, 1, 0, e.now), DYNSESS_E_NOTFOUND);
    EXPECT_EQ_INT(st_touch(&e, e.now + 7200, e.now), DYNSESS_E_NOTFOUND);
    EXPECT_EQ_INT(st_load(&e, e.now), DYNSESS_E_NOTFOUND);
    EXPECT(strcmp(raw_get(&e, e.id), "{}") == 0);
    env_close(&e);
}

TT_TEST(version_conflict) {
    env e;
    ASSERT(env_open(&e, 0, 0));
    ASSERT_OK(st_save(&e, "{\"n\":0}", e.now + 3600, 0, 1, e.now), &e.err);
    ASSERT_OK(st_save(&e, "{\"n\":1}", e.now + 3600, 1, 0, e.now), &e.err);
    /* loaded at version 1, someone saved since */
    EXPECT_EQ_INT(st_save(&e, "{\"n\":99}", e.now + 3600, 1, 0, e.now), DYNSESS_E_CONFLICT);
    ASSERT_OK(st_load(&e, e.now), &e.err);
    EXPECT_EQ_STR(e.r.data.ptr, "{\"n\":1}");
    EXPECT_EQ_INT(e.r.version, 2);
    env_close(&e);
}

TT_TEST(expired_but_present) {
    env e;
    ASSERT(env_open(&e, 0, 0));
    ASSERT_OK(st_save(&e, "{\"a\":1}", e.now + 10, 0, 1, e.now), &e.err);
    ASSERT_OK(st_load(&e, e.now + 9), &e.err);
    /* dynalite never deletes it; we must not use it */
    EXPECT_EQ_INT(st_load(&e, e.now + 10), DYNSESS_E_NOTFOUND);
    EXPECT(strstr(e.err.msg, "expired") != 0);
    EXPECT(strstr(raw_get(&e, e.id), "\"Item\"") != 0);
    /* nor bring it back with an update or a touch */
    EXPECT_EQ_INT(st_save(&e, "{\"a\":2}", e.now + 3600, 1, 0, e.now + 11), DYNSESS_E_NOTFOUND);
    EXPECT_EQ_INT(st_touch(&e, e.now + 3600, e.now + 11), DYNSESS_E_NOTFOUND);
    EXPECT_EQ_INT(st_load(&e, e.now + 11), DYNSESS_E_NOTFOUND);
    env_close(&e);
}

TT_TEST(touch_slides_ttl) {
    env e;
    ASSERT(env_open(&e, 0, 0));
    ASSERT_OK(st_save(&e, "{\"a\":1}", e.now + 100, 0, 1, e.now), &e.err);
    ASSERT_OK(st_touch(&e, e.now + 190, e.now + 90), &e.err);
    ASSERT_OK(st_load(&e, e.now + 150), &e.err);
    EXPECT_EQ_INT(e.r.expires_at, e.now + 190);
    EXPECT_EQ_INT(e.r.version, 1); /* a touch is not a data change */
    EXPECT_EQ_STR(e.r.data.ptr, "{\"a\":1}");
    env_close(&e);
}

TT_TEST(python_item_without_version) {
    env e;
    char body[1024];
    dynsess_buf reply;
    ASSERT(env_open(&e, 0, 0));
    dynsess_buf_init(&reply, 0);
    snprintf(body, sizeof body,
             "{\"TableName\":\"%s\",\"Item\":{\"session_id\":{\"S\":\"%s\"},\"user_data\":{\"S\":\"{\\\"py\\\":true}\"},"
             "\"created_at\":{\"N\":\"%lld\"},\"ttl\":{\"N\":\"%lld\"}}}",
             TABLE, e.id, (long long)e.now, (long long)(e.now + 3600));
    ASSERT_OK(dynsess_ddb_call(e.c, "PutItem", dynsess_cstr(body), &reply, 0, &e.err), &e.err);
    ASSERT_OK(st_load(&e, e.now), &e.err);
    EXPECT_EQ_INT(e.r.version, 0);
    EXPECT_EQ_STR(e.r.data.ptr, "{\"py\":true}");
    ASSERT_OK(st_save(&e, "{\"py\":false}", e.now + 3600, 0, 0, e.now), &e.err);
    ASSERT_OK(st_load(&e, e.now), &e.err);
    EXPECT_EQ_INT(e.r.version, 1);
    /* a second writer that also loaded version 0 now conflicts */
    EXPECT_EQ_INT(st_save(&e, "{\"py\":null}", e.now + 3600, 0, 0, e.now), DYNSESS_E_CONFLICT);
    dynsess_buf_free(&reply);
    env_close(&e);
}

TT_TEST(item_limit_nothing_written) {
    env e;
    size_t n = 420 * 1024;
    char *big = (char *)malloc(n + 1);
    ASSERT(big);
    ASSERT(env_open(&e, 0, 0));
    memset(big, 'x', n);
    memcpy(big, "{\"k\":\"", 6);
    memcpy(big + n - 2, "\"}", 2);
    big[n] = 0;
    EXPECT_EQ_INT(st_save(&e, big, e.now + 3600, 0, 1, e.now), DYNSESS_E_LIMIT);
    EXPECT(strcmp(raw_get(&e, e.id), "{}") == 0);
    /* just under the limit goes through, and the server agrees */
    big[390 * 1024] = 0;
    memcpy(big + 390 * 1024 - 2, "\"}", 2);
    EXPECT_OK(st_save(&e, big, e.now + 3600, 0, 1, e.now), &e.err);
    free(big);
    env_close(&e);
}

TT_TEST(hash_ids_at_rest) {
    env e;
    ASSERT(env_open(&e, 1, 0));
    ASSERT_OK(st_save(&e, "{\"secret\":1}", e.now + 3600, 0, 1, e.now), &e.err);
    ASSERT_OK(st_load(&e, e.now), &e.err);
    EXPECT_EQ_STR(e.r.data.ptr, "{\"secret\":1}");
    EXPECT(strcmp(raw_get(&e, e.id), "{}") == 0); /* the raw id is not a key */
    ASSERT_OK(st_destroy(&e), &e.err);
    EXPECT_EQ_INT(st_load(&e, e.now), DYNSESS_E_NOTFOUND);
    env_close(&e);
}

/* ---- through the request cycle ------------------------------------------------------ */
static dynsess_ctx *make_ctx(dynsess_store *st, int32_t idle, int32_t absolute) {
    dynsess_desc d;
    dynsess_ctx *ctx = 0;
    dynsess_error err;
    memset(&d, 0, sizeof d);
    d.store = st;
    d.idle_timeout_s = idle;
    d.absolute_timeout_s = absolute;
    d.max_age_s = idle;
    d.clock.now = clock_fn;
    if (dynsess_setup(&ctx, &d, &err)) printf("  setup: %s\n", err.msg);
    return ctx;
}

/* "session=VALUE; Path=/..." -> "session=VALUE" */
static void cookie_of(const char *set_cookie, char *out, size_t cap) {
    size_t n = strcspn(set_cookie, ";");
    if (n >= cap) n = cap - 1;
    memcpy(out, set_cookie, n);
    out[n] = 0;
}

TT_TEST(session_sliding_and_absolute) {
    env e;
    dynsess_ctx *ctx;
    dynsess_session *s = 0;
    dynsess_error err;
    char sc[512], cookie[256];
    size_t n = 0;
    int64_t t0 = dynsess_time_now();
    ASSERT(env_open(&e, 0, 0));
    fake_now = t0;
    ctx = make_ctx(e.st, 100, 250);
    ASSERT(ctx);
    ASSERT_OK(dynsess_load(ctx, 0, 0, &s, &err), &err);
    ASSERT_OK(dynsess_session_set_str(s, "user", "ann", &err), &err);
    ASSERT_OK(dynsess_save(ctx, s, sc, sizeof sc, &n, &err), &err);
    ASSERT(n > 0);
    cookie_of(sc, cookie, sizeof cookie);
    dynsess_release(s);
    /* t0+90: active -> slides to t0+190 */
    fake_now = t0 + 90;
    ASSERT_OK(dynsess_load(ctx, cookie, strlen(cookie), &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    ASSERT_OK(dynsess_session_set_int(s, "clicks", 1, &err), &err);
    ASSERT_OK(dynsess_save(ctx, s, sc, sizeof sc, &n, &err), &err);
    dynsess_release(s);
    /* t0+180: still alive thanks to the slide (idle alone would have ended at t0+100) */
    fake_now = t0 + 180;
    ASSERT_OK(dynsess_load(ctx, cookie, strlen(cookie), &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    ASSERT_OK(dynsess_session_set_int(s, "clicks", 2, &err), &err);
    ASSERT_OK(dynsess_save(ctx, s, sc, sizeof sc, &n, &err), &err);
    EXPECT_EQ_INT(dynsess_session_expires_at(s), t0 + 250); /* capped by the absolute lifetime */
    dynsess_release(s);
    /* t0+249 alive, t0+250 ended however active */
    fake_now = t0 + 249;
    ASSERT_OK(dynsess_load(ctx, cookie, strlen(cookie), &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    dynsess_release(s);
    fake_now = t0 + 250;
    ASSERT_OK(dynsess_load(ctx, cookie, strlen(cookie), &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    dynsess_release(s);
    dynsess_shutdown(ctx);
    env_close(&e);
}

TT_TEST(session_concurrent_updates_both_survive) {
    env e;
    dynsess_ctx *ctx;
    dynsess_session *s = 0, *a = 0, *b = 0;
    dynsess_error err;
    char sc[512], cookie[256];
    size_t n = 0;
    ASSERT(env_open(&e, 0, 0));
    fake_now = dynsess_time_now();
    ctx = make_ctx(e.st, 3600, 86400);
    ASSERT(ctx);
    ASSERT_OK(dynsess_load(ctx, 0, 0, &s, &err), &err);
    ASSERT_OK(dynsess_session_set_str(s, "user", "ann", &err), &err);
    ASSERT_OK(dynsess_save(ctx, s, sc, sizeof sc, &n, &err), &err);
    cookie_of(sc, cookie, sizeof cookie);
    dynsess_release(s);
    /* two requests of one session, interleaved: both load, each changes a different key */
    ASSERT_OK(dynsess_load(ctx, cookie, strlen(cookie), &a, &err), &err);
    ASSERT_OK(dynsess_load(ctx, cookie, strlen(cookie), &b, &err), &err);
    ASSERT_OK(dynsess_session_set_str(a, "theme", "dark", &err), &err);
    ASSERT_OK(dynsess_session_set_int(b, "cart", 3, &err), &err);
    ASSERT_OK(dynsess_save(ctx, a, sc, sizeof sc, &n, &err), &err);
    ASSERT_OK(dynsess_save(ctx, b, sc, sizeof sc, &n, &err), &err); /* conflict -> merge -> retry */
    dynsess_release(a);
    dynsess_release(b);
    ASSERT_OK(dynsess_load(ctx, cookie, strlen(cookie), &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    EXPECT_EQ_STR(dynsess_value_str(dynsess_session_get(s, "theme")).ptr, "dark");
    EXPECT_EQ_INT(dynsess_value_int(dynsess_session_get(s, "cart")), 3);
    EXPECT_EQ_STR(dynsess_value_str(dynsess_session_get(s, "user")).ptr, "ann");
    dynsess_release(s);
    /* logout in one tab while another request is in flight: not resurrected */
    ASSERT_OK(dynsess_load(ctx, cookie, strlen(cookie), &a, &err), &err);
    ASSERT_OK(dynsess_load(ctx, cookie, strlen(cookie), &b, &err), &err);
    ASSERT_OK(dynsess_destroy(ctx, a, sc, sizeof sc, &n, &err), &err);
    ASSERT_OK(dynsess_session_set_int(b, "cart", 4, &err), &err);
    ASSERT_OK(dynsess_save(ctx, b, sc, sizeof sc, &n, &err), &err);
    dynsess_release(a);
    dynsess_release(b);
    ASSERT_OK(dynsess_load(ctx, cookie, strlen(cookie), &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    dynsess_release(s);
    dynsess_shutdown(ctx);
    env_close(&e);
}

/* ---- interop helpers ----------------------------------------------------------------- */
static int interop_write(const char *file) {
    env e;
    size_t len = 0;
    char *json = tt_read_file(file, &len);
    dynsess_write w;
    if (!json || !env_open(&e, 0, 1)) return 1;
    w = tt_write(e.id, json, e.now, e.now + 3600, 0, 1);
    w.data.len = len;
    if (e.st->vt->save(e.st, &w, e.now, 0, &e.err)) { fprintf(stderr, "save: %s\n", e.err.msg); return 1; }
    printf("%s\n", e.id);
    free(json);
    env_close(&e);
    return 0;
}

static int interop_read(const char *id, const char *in, const char *outfile) {
    env e;
    size_t len = 0;
    char *json = tt_read_file(in, &len);
    dynsess_error err;
    dynsess_record r;
    dynsess_doc *doc = 0;
    dynsess_value *want = 0, *got = 0;
    dynsess_buf out;
    int64_t now = dynsess_time_now();
    dynsess_write w;
    FILE *f;
    int rc = 1;
    if (!json || !env_open(&e, 0, 1)) return 1;
    dynsess_buf_init(&r.data, 0);
    dynsess_buf_init(&out, 0);
    if (e.st->vt->load(e.st, dynsess_cstr(id), now, &r, &err)) { fprintf(stderr, "load: %s\n", err.msg); goto done; }
    if (r.version != 0) { fprintf(stderr, "version %lld, want 0\n", (long long)r.version); goto done; }
    if (dynsess_doc_new(0, &doc, &err) || dynsess_json_parse(doc, json, len, 0, &want, &err) ||
        dynsess_json_parse(doc, r.data.ptr, r.data.len, 0, &got, &err)) {
        fprintf(stderr, "json: %s\n", err.msg);
        goto done;
    }
    if (!dynsess_value_equal(want, got)) { fprintf(stderr, "data differs: %s\n", r.data.ptr); goto done; }
    {
        dynsess_value *v = dynsess_value_new_string(doc, "from C", 6);
        if (!v || dynsess_object_set(doc, got, "touched_by", 10, v, &err) || dynsess_json_write(got, &out, &err)) goto done;
    }
    w = tt_write(id, out.ptr, r.created_at, now + 3600, r.version, 0);
    if (e.st->vt->save(e.st, &w, now, 0, &err)) { fprintf(stderr, "save: %s\n", err.msg); goto done; }
    f = fopen(outfile, "wb");
    if (!f) goto done;
    fwrite(out.ptr, 1, out.len, f);
    fclose(f);
    rc = 0;
done:
    dynsess_doc_free(doc);
    dynsess_buf_free(&out);
    dynsess_buf_free(&r.data);
    free(json);
    env_close(&e);
    return rc;
}

static const tt_case tt_cases[] = {
    TT_CASE(startup_probe), TT_CASE(create_load_update_delete), TT_CASE(no_overwrite_on_collision),
    TT_CASE(no_resurrection_after_delete), TT_CASE(version_conflict), TT_CASE(expired_but_present),
    TT_CASE(touch_slides_ttl), TT_CASE(python_item_without_version), TT_CASE(item_limit_nothing_written),
    TT_CASE(hash_ids_at_rest), TT_CASE(session_sliding_and_absolute),
    TT_CASE(session_concurrent_updates_both_survive),
};

int main(int argc, char **argv) {
    ENDPOINT = getenv("DYNSESS_TEST_ENDPOINT");
    TABLE = getenv("DYNSESS_TEST_TABLE");
    if (!ENDPOINT || !TABLE) {
        fprintf(stderr, "set DYNSESS_TEST_ENDPOINT and DYNSESS_TEST_TABLE (tests/integration/dynamodb.sh does)\n");
        return 2;
    }
    /* dynalite accepts any signature; the SDK-style dummies */
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    if (argc >= 3 && !strcmp(argv[1], "interop-write")) return interop_write(argv[2]);
    if (argc >= 5 && !strcmp(argv[1], "interop-read")) return interop_read(argv[2], argv[3], argv[4]);
    if (argc >= 2 && !strcmp(argv[1], "curl")) use_curl = 1;
    else if (argc < 2 || strcmp(argv[1], "plain")) {
        fprintf(stderr, "usage: dynamodb_live plain|curl | interop-write FILE | interop-read ID IN OUT\n");
        return 2;
    }
    argv[1] = argv[0];
    return tt_main(argc - 1, argv + 1, tt_cases, TT_COUNT(tt_cases));
}
