/* tests/test_sigv4.c - the AWS SigV4 signer against every case of the aws-c-auth v4 suite (header
   and query signing), the botocore aws4_testsuite (all 34, including the 4 botocore skips) and the
   botocore-generated DynamoDB cases (vectors read at run time from tests/vectors/sigv4, run from
   the repo root), plus the signing-key cache, credentials, region/endpoint resolution, limits. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"

#define VEC "tests/vectors/sigv4/"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* ---- small helpers ---------------------------------------------------------- */
static char *rd(const char *dir, const char *name, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return tt_read_file(path, len);
}
/* expected files: compare without trailing CR/LF */
static size_t trimlen(const char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    return n;
}
static int same(dynsess_str got, const char *want) {
    size_t n = trimlen(want);
    return got.len == n && !memcmp(got.ptr, want, n);
}
static void show(const char *what, dynsess_str got, const char *want) {
    printf("  --- %s: got\n%.*s\n  --- want\n%.*s\n", what, (int)got.len, got.ptr, (int)trimlen(want), want);
}

/* context.json through the library's own JSON parser (@json) */
static int jstr(const dynsess_value *obj, const char *key, char *out, size_t cap) {
    const dynsess_value *v = dynsess_object_get(obj, key, strlen(key));
    dynsess_str s;
    if (dynsess_value_type(v) != DYNSESS_JSON_STRING) return 0;
    s = dynsess_value_str(v);
    if (s.len + 1 > cap) return 0;
    memcpy(out, s.ptr, s.len);
    out[s.len] = 0;
    return 1;
}
static int jbool(const dynsess_value *obj, const char *key) {
    const dynsess_value *v = dynsess_object_get(obj, key, strlen(key));
    return dynsess_value_type(v) == DYNSESS_JSON_BOOL && dynsess_value_bool(v);
}

/* A parsed raw HTTP request (request.txt / .req). Continuation lines are
   kept with their line break: the signer folds whitespace runs. */
typedef struct req_t {
    char method[16];
    dynsess_str path, query, body;
    dynsess_http_header h[32];
    size_t nh;
    char *text;
} req_t;

static int parse_req(char *t, req_t *r) {
    char *line = t, *end, *sp1, *sp2, *q;
    memset(r, 0, sizeof *r);
    r->text = t;
    end = strchr(line, '\n');
    if (!end) end = line + strlen(line);
    sp1 = memchr(line, ' ', (size_t)(end - line));
    sp2 = end;
    while (sp2 > line && sp2[-1] != ' ') sp2--;
    if (!sp1 || sp2 <= sp1 + 1 || (size_t)(sp1 - line) >= sizeof r->method) return 0;
    memcpy(r->method, line, (size_t)(sp1 - line));
    /* the target is everything between the first and the last space (get-space has a raw space) */
    r->path.ptr = sp1 + 1;
    r->path.len = (size_t)(sp2 - 1 - (sp1 + 1));
    q = memchr(r->path.ptr, '?', r->path.len);
    if (q) {
        r->query.ptr = q + 1;
        r->query.len = r->path.len - (size_t)(q + 1 - r->path.ptr);
        r->path.len = (size_t)(q - r->path.ptr);
    }
    line = *end ? end + 1 : end;
    while (*line) {
        char *colon;
        end = strchr(line, '\n');
        if (!end) end = line + strlen(line);
        if (end == line || (end == line + 1 && *line == '\r')) { line = *end ? end + 1 : end; break; }
        if ((*line == ' ' || *line == '\t') && r->nh) {
            /* obs-fold continuation: extend the previous value over the line break */
            r->h[r->nh - 1].value.len = (size_t)(end - r->h[r->nh - 1].value.ptr);
        } else {
            colon = memchr(line, ':', (size_t)(end - line));
            if (!colon || r->nh >= 32) return 0;
            r->h[r->nh].name.ptr = line;
            r->h[r->nh].name.len = (size_t)(colon - line);
            r->h[r->nh].value.ptr = colon + 1;
            r->h[r->nh].value.len = (size_t)(end - colon - 1);
            r->nh++;
        }
        line = *end ? end + 1 : end;
    }
    r->body.ptr = line;
    r->body.len = strlen(line);
    return 1;
}
static int hdr_is(const dynsess_http_header *h, const char *name) {
    size_t i, n = strlen(name);
    if (h->name.len != n) return 0;
    for (i = 0; i < n; i++) {
        char c = h->name.ptr[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if (c != name[i]) return 0;
    }
    return 1;
}
/* removes header `name`, returning its value (or {0,0}) */
static dynsess_str take_hdr(req_t *r, const char *name) {
    dynsess_str v = {0, 0};
    size_t i, j;
    for (i = 0; i < r->nh; i++) {
        if (!hdr_is(&r->h[i], name)) continue;
        v = r->h[i].value;
        for (j = i + 1; j < r->nh; j++) r->h[j - 1] = r->h[j];
        r->nh--;
        break;
    }
    return v;
}

/* ---- aws-c-auth v4 suite + DynamoDB cases (context.json layout) ------------ */
static const char *const v4_cases[] = {
    "get-header-key-duplicate", "get-header-value-multiline", "get-header-value-order",
    "get-header-value-trim", "get-relative-normalized", "get-relative-relative-normalized",
    "get-relative-relative-unnormalized", "get-relative-unnormalized", "get-slash-dot-slash-normalized",
    "get-slash-dot-slash-unnormalized", "get-slash-normalized", "get-slash-pointless-dot-normalized",
    "get-slash-pointless-dot-unnormalized", "get-slash-unnormalized", "get-slashes-normalized",
    "get-slashes-unnormalized", "get-space-normalized", "get-space-unnormalized", "get-unreserved",
    "get-utf8", "get-vanilla", "get-vanilla-empty-query-key", "get-vanilla-query",
    "get-vanilla-query-order-encoded", "get-vanilla-query-order-key-case",
    "get-vanilla-query-unreserved", "get-vanilla-utf8-query", "get-vanilla-with-session-token",
    "post-header-key-case", "post-header-key-sort", "post-header-value-case", "post-sts-header-after",
    "post-sts-header-before", "post-vanilla", "post-vanilla-empty-query-value", "post-vanilla-query",
    "post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters"};
static const char *const ddb_cases[] = {"dynamodb-getitem", "dynamodb-putitem-session-token",
                                        "dynamodb-updateitem-utf8-eu-west-1"};

static int checked_files;

/* Runs one context.json case in header mode and (if the files exist) query mode.
   Returns the number of mismatches. */
static int run_ctx_case(const char *dir, dynsess_sigv4_signer *s) {
    char akid[64], secret[64], token[1024], region[32], service[32], ts[32];
    char *ctx, *reqtxt, *want;
    size_t ctx_len = 0;
    req_t r;
    dynsess_aws_credentials cr;
    dynsess_sigv4_request q;
    dynsess_sigv4_result out;
    dynsess_error err;
    dynsess_doc *doc = 0;
    dynsess_value *root = 0;
    const dynsess_value *creds;
    int bad = 0, mode, normalize, sign_body, omit;
    long exp;
    ctx = rd(dir, "context.json", &ctx_len);
    reqtxt = rd(dir, "request.txt", 0);
    if (!ctx || !reqtxt || dynsess_doc_new(0, &doc, &err) ||
        dynsess_json_parse(doc, ctx, ctx_len, 0, &root, &err)) {
        printf("  %s: missing or unreadable files\n", dir);
        free(ctx); free(reqtxt); dynsess_doc_free(doc);
        return 1;
    }
    creds = dynsess_object_get(root, "credentials", 11);
    token[0] = 0;
    if (!jstr(creds, "access_key_id", akid, sizeof akid) ||
        !jstr(creds, "secret_access_key", secret, sizeof secret) ||
        !jstr(root, "region", region, sizeof region) || !jstr(root, "service", service, sizeof service) ||
        !jstr(root, "timestamp", ts, sizeof ts) || !parse_req(reqtxt, &r)) {
        printf("  %s: cannot read the case\n", dir);
        free(ctx); free(reqtxt); dynsess_doc_free(doc);
        return 1;
    }
    jstr(creds, "token", token, sizeof token);
    normalize = dynsess_object_get(root, "normalize", 9) ? jbool(root, "normalize") : 1;
    sign_body = jbool(root, "sign_body");
    omit = jbool(root, "omit_session_token");
    exp = (long)dynsess_value_int(dynsess_object_get(root, "expiration_in_seconds", 21));
    cr.access_key_id = dynsess_cstr(akid);
    cr.secret_access_key = dynsess_cstr(secret);
    cr.session_token = dynsess_cstr(token);
    cr.expires_at = 0;
    memset(&q, 0, sizeof q);
    q.method = r.method;
    q.path = r.path;
    q.query = r.query;
    q.headers = r.h;
    q.header_count = r.nh;
    q.payload = r.body;
    q.region = region;
    q.service = service;
    if (dynsess_sigv4_parse_time(dynsess_cstr(ts), &q.time, 0)) bad++;
    if (!normalize) q.flags |= DYNSESS_SIGV4_NO_NORMALIZE;
    if (sign_body) q.flags |= DYNSESS_SIGV4_SIGN_BODY;
    if (omit) q.flags |= DYNSESS_SIGV4_OMIT_TOKEN;
    q.expires_s = exp;
    for (mode = 0; mode < 2; mode++) {
        const char *pre = mode ? "query" : "header";
        char fn[64], qs[4096];
        size_t qlen = 0;
        dynsess_status rc;
        snprintf(fn, sizeof fn, "%s-canonical-request.txt", pre);
        want = rd(dir, fn, 0);
        if (!want) { if (mode == 0) bad++; continue; }
        free(want);
        rc = mode ? dynsess_sigv4_presign(s, &cr, &q, qs, sizeof qs, &qlen, &out, &err)
                  : dynsess_sigv4_sign(s, &cr, &q, &out, &err);
        if (rc) { printf("  %s %s: sign failed: %s\n", dir, pre, err.msg); bad++; continue; }
        snprintf(fn, sizeof fn, "%s-canonical-request.txt", pre);
        want = rd(dir, fn, 0);
        if (!same(out.canonical_request, want)) { show(fn, out.canonical_request, want); bad++; }
        free(want);
        snprintf(fn, sizeof fn, "%s-string-to-sign.txt", pre);
        want = rd(dir, fn, 0);
        if (!want || !same(out.string_to_sign, want)) { if (want) show(fn, out.string_to_sign, want); bad++; }
        free(want);
        snprintf(fn, sizeof fn, "%s-signature.txt", pre);
        want = rd(dir, fn, 0);
        if (!want || !same(dynsess_cstr(out.signature), want)) { bad++; printf("  %s %s: signature %s\n", dir, pre, out.signature); }
        free(want);
        checked_files += 3;
        /* the signed request shows the Authorization line (header mode) or the final query
           (query mode): compare the X-Amz-* parameters as a set */
        snprintf(fn, sizeof fn, "%s-signed-request.txt", pre);
        want = rd(dir, fn, 0);
        if (want && !mode) {
            char line[2300];
            snprintf(line, sizeof line, "\nAuthorization:%s\n", out.authorization);
            if (!strstr(want, line)) { printf("  %s: authorization line differs\n", dir); bad++; }
            if (cr.session_token.len) {
                snprintf(line, sizeof line, "\nX-Amz-Security-Token:%.*s\n", (int)out.session_token.len,
                         out.session_token.ptr);
                if (!strstr(want, line)) { printf("  %s: token line differs\n", dir); bad++; }
            }
            checked_files++;
        } else if (want && mode) {
            /* every X-Amz-* parameter of the expected URL appears in ours */
            char *p = strchr(want, '?'), *e = strchr(want, ' ');
            int missing = 0;
            if (e) e = strchr(e + 1, ' ');
            while (p && e && p < e) {
                char *amp = p + 1, *stop;
                size_t n;
                stop = amp;
                while (stop < e && *stop != '&') stop++;
                n = (size_t)(stop - amp);
                if (n > 6 && !strncmp(amp, "X-Amz-", 6)) {
                    char *f = qs;
                    int found = 0;
                    while ((f = strstr(f, "X-Amz-")) != 0) {
                        if ((f == qs || f[-1] == '&') && !strncmp(f, amp, n) && (f[n] == '&' || f[n] == 0)) { found = 1; break; }
                        f++;
                    }
                    if (!found) { missing++; printf("  %s: query lacks %.*s\n", dir, (int)n, amp); }
                }
                p = stop < e ? stop : 0;
            }
            if (missing) bad++;
            checked_files++;
        }
        free(want);
    }
    free(ctx);
    free(reqtxt);
    dynsess_doc_free(doc);
    return bad;
}

TT_TEST(aws_c_auth_v4_suite) {
    static dynsess_sigv4_signer s;
    size_t i;
    dynsess_sigv4_signer_init(&s);
    checked_files = 0;
    for (i = 0; i < TT_COUNT(v4_cases); i++) {
        char dir[256];
        int bad;
        snprintf(dir, sizeof dir, VEC "v4/%s", v4_cases[i]);
        bad = run_ctx_case(dir, &s);
        if (bad) { TT__FAIL("case %s: %d mismatches", v4_cases[i], bad); }
    }
    /* 38 cases x 2 modes x (creq, sts, signature, signed request) */
    EXPECT_EQ_INT(checked_files, 38 * 2 * 4);
    /* one secret, date, region, service: one derivation for 76 signatures */
    EXPECT_EQ_INT(s.key_derivations, 1);
    EXPECT_EQ_INT(s.signatures, 76);
    dynsess_sigv4_signer_wipe(&s);
}

TT_TEST(dynamodb_botocore_cases) {
    static dynsess_sigv4_signer s;
    size_t i;
    dynsess_sigv4_signer_init(&s);
    checked_files = 0;
    for (i = 0; i < TT_COUNT(ddb_cases); i++) {
        char dir[256];
        int bad;
        snprintf(dir, sizeof dir, VEC "dynamodb-botocore-generated/%s", ddb_cases[i]);
        bad = run_ctx_case(dir, &s);
        if (bad) TT__FAIL("case %s: %d mismatches", ddb_cases[i], bad);
    }
    EXPECT_EQ_INT(checked_files, 3 * 4);
    EXPECT_EQ_INT(s.key_derivations, 2); /* us-east-1, then eu-west-1 */
    dynsess_sigv4_signer_wipe(&s);
}

/* ---- botocore aws4_testsuite (.req/.creq/.sts/.authz) ---------------------------
   botocore's own test skips 4 of these 34: normalize-path/get-space (its request line has a raw
   space that python's HTTP parser rejects) and the query-order cases it files under "same key
   more than once" (get-vanilla-query-order-key, -order-value, -order-key-case; in these files
   only the first two really repeat a key). We run all 34: parse_req takes the target as
   everything between the first and the last space, and the signer sorts equal keys by value as the suite expects. */
static const char *const boto_cases[] = {
    "get-header-key-duplicate", "get-header-value-multiline", "get-header-value-order",
    "get-header-value-trim", "get-unreserved", "get-utf8", "get-vanilla", "get-vanilla-empty-query-key",
    "get-vanilla-query", "get-vanilla-query-order-encoded", "get-vanilla-query-order-key",
    "get-vanilla-query-order-key-case", "get-vanilla-query-order-value", "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query", "get-vanilla-with-session-token", "post-header-key-case",
    "post-header-key-sort", "post-header-value-case", "post-vanilla", "post-vanilla-empty-query-value",
    "post-vanilla-query", "post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters",
    "normalize-path/get-relative", "normalize-path/get-relative-relative", "normalize-path/get-slash",
    "normalize-path/get-slash-dot-slash", "normalize-path/get-slash-pointless-dot",
    "normalize-path/get-slashes", "normalize-path/get-space", "normalize-path/get-special-character",
    "post-sts-token/post-sts-header-after", "post-sts-token/post-sts-header-before"};

TT_TEST(botocore_aws4_testsuite) {
    static dynsess_sigv4_signer s;
    size_t i;
    int files = 0;
    char *readme = tt_read_file(VEC "aws4_testsuite-botocore/post-sts-token/readme.txt", 0);
    const char *after_token = 0;
    ASSERT(readme != 0);
    /* the token of post-sts-header-after is only given in readme.txt (its last line) */
    {
        size_t n = trimlen(readme);
        readme[n] = 0;
        after_token = strrchr(readme, '\n');
        ASSERT(after_token != 0);
        after_token++;
        ASSERT(!strncmp(after_token, "AQoDYXdz", 8));
    }
    dynsess_sigv4_signer_init(&s);
    for (i = 0; i < TT_COUNT(boto_cases); i++) {
        char dir[256], fn[256];
        const char *base = strrchr(boto_cases[i], '/');
        char *reqtxt, *creq, *sts, *authz, tokbuf[1024];
        req_t r;
        dynsess_str date, tok;
        dynsess_aws_credentials cr;
        dynsess_sigv4_request q;
        dynsess_sigv4_result out;
        dynsess_error err;
        int bad = 0;
        base = base ? base + 1 : boto_cases[i];
        snprintf(dir, sizeof dir, VEC "aws4_testsuite-botocore/%s", boto_cases[i]);
        snprintf(fn, sizeof fn, "%s.req", base); reqtxt = rd(dir, fn, 0);
        snprintf(fn, sizeof fn, "%s.creq", base); creq = rd(dir, fn, 0);
        snprintf(fn, sizeof fn, "%s.sts", base); sts = rd(dir, fn, 0);
        snprintf(fn, sizeof fn, "%s.authz", base); authz = rd(dir, fn, 0);
        if (!reqtxt || !creq || !sts || !authz || !parse_req(reqtxt, &r)) {
            TT__FAIL("case %s: cannot read", boto_cases[i]);
            free(reqtxt); free(creq); free(sts); free(authz);
            continue;
        }
        memset(&q, 0, sizeof q);
        date = take_hdr(&r, "x-amz-date");
        take_hdr(&r, "x-amz-security-token"); /* the signer adds it from the credentials */
        /* per the suite: the token is the x-amz-security-token line of .creq */
        tok.ptr = 0; tok.len = 0;
        {
            const char *t = strstr(creq, "\nx-amz-security-token:");
            if (t) {
                size_t n;
                t += 22;
                n = strcspn(t, "\n");
                if (n < sizeof tokbuf) { memcpy(tokbuf, t, n); tokbuf[n] = 0; tok = dynsess_cstr(tokbuf); }
            }
        }
        if (!strcmp(base, "post-sts-header-after")) {
            tok = dynsess_cstr(after_token);
            q.flags |= DYNSESS_SIGV4_OMIT_TOKEN;
        }
        cr.access_key_id = dynsess_cstr("AKIDEXAMPLE");
        cr.secret_access_key = dynsess_cstr(SECRET);
        cr.session_token = tok;
        cr.expires_at = 0;
        q.method = r.method;
        q.path = r.path;
        q.query = r.query;
        q.headers = r.h;
        q.header_count = r.nh;
        q.payload = r.body;
        q.region = "us-east-1";
        q.service = "service";
        if (dynsess_sigv4_parse_time(date, &q.time, &err)) { TT__FAIL("%s: date", boto_cases[i]); bad++; }
        if (dynsess_sigv4_sign(&s, &cr, &q, &out, &err)) {
            TT__FAIL("%s: sign: %s", boto_cases[i], err.msg);
            bad++;
        } else {
            if (!same(out.canonical_request, creq)) { show("creq", out.canonical_request, creq); bad++; }
            if (!same(out.string_to_sign, sts)) { show("sts", out.string_to_sign, sts); bad++; }
            if (!same(dynsess_cstr(out.authorization), authz)) {
                show("authz", dynsess_cstr(out.authorization), authz);
                bad++;
            }
            files += 3;
        }
        if (bad) TT__FAIL("case %s: %d mismatches", boto_cases[i], bad);
        free(reqtxt); free(creq); free(sts); free(authz);
    }
    EXPECT_EQ_INT(files, 34 * 3);
    EXPECT_EQ_INT(s.key_derivations, 1);
    dynsess_sigv4_signer_wipe(&s);
    free(readme);
}

/* ---- unit tests ------------------------------------------------------------------ */
static dynsess_http_header H(const char *n, const char *v) {
    dynsess_http_header h;
    h.name = dynsess_cstr(n);
    h.value = dynsess_cstr(v);
    return h;
}
static void base_req(dynsess_sigv4_request *q, const dynsess_http_header *h, size_t nh) {
    memset(q, 0, sizeof *q);
    q->method = "POST";
    q->path = dynsess_cstr("/");
    q->headers = h;
    q->header_count = nh;
    q->payload = dynsess_cstr("{}");
    q->region = "us-east-1";
    q->service = "dynamodb";
    q->time = 1440938160; /* 2015-08-30T12:36:00Z */
}

TT_TEST(signing_key_cache) {
    static dynsess_sigv4_signer s;
    dynsess_http_header h[1];
    dynsess_sigv4_request q;
    dynsess_sigv4_result a, b;
    dynsess_aws_credentials cr;
    dynsess_error err;
    char sig1[65];
    h[0] = H("Host", "dynamodb.us-east-1.amazonaws.com");
    base_req(&q, h, 1);
    memset(&cr, 0, sizeof cr);
    cr.access_key_id = dynsess_cstr("AKIDEXAMPLE");
    cr.secret_access_key = dynsess_cstr(SECRET);
    dynsess_sigv4_signer_init(&s);
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &a, &err), &err);
    EXPECT_EQ_INT(s.key_derivations, 1);
    memcpy(sig1, a.signature, 65);
    /* same day, later time: cached key */
    q.time += 3600;
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &b, &err), &err);
    EXPECT_EQ_INT(s.key_derivations, 1);
    /* cached signature equals a fresh signer's */
    {
        static dynsess_sigv4_signer f;
        dynsess_sigv4_result c;
        dynsess_sigv4_signer_init(&f);
        ASSERT_OK(dynsess_sigv4_sign(&f, &cr, &q, &c, &err), &err);
        EXPECT_EQ_STR(c.signature, b.signature);
        dynsess_sigv4_signer_wipe(&f);
    }
    /* date rollover at midnight UTC: re-derived */
    q.time = 1440979199; /* 23:59:59 */
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &b, &err), &err);
    EXPECT_EQ_INT(s.key_derivations, 1);
    q.time = 1440979200; /* 2015-08-31T00:00:00Z */
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &b, &err), &err);
    EXPECT_EQ_INT(s.key_derivations, 2);
    EXPECT_EQ_STR(b.amz_date, "20150831T000000Z");
    EXPECT(!strncmp(b.scope, "20150831/", 9));
    /* secret change (same length, one byte): re-derived, different signature */
    {
        char other[] = SECRET;
        other[0] = 'X';
        cr.secret_access_key = dynsess_cstr(other);
        ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &b, &err), &err);
        EXPECT_EQ_INT(s.key_derivations, 3);
        cr.secret_access_key = dynsess_cstr(SECRET);
    }
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &b, &err), &err);
    EXPECT_EQ_INT(s.key_derivations, 4);
    /* region and service changes */
    q.region = "eu-west-1";
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &b, &err), &err);
    EXPECT_EQ_INT(s.key_derivations, 5);
    q.service = "sts";
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &b, &err), &err);
    EXPECT_EQ_INT(s.key_derivations, 6);
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &b, &err), &err);
    EXPECT_EQ_INT(s.key_derivations, 6);
    /* back to the first request: same signature as the first time */
    q.region = "us-east-1";
    q.service = "dynamodb";
    q.time = 1440938160;
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &b, &err), &err);
    EXPECT_EQ_STR(b.signature, sig1);
    dynsess_sigv4_signer_wipe(&s);
    {
        static const unsigned char zero[sizeof s] = {0};
        EXPECT(!memcmp(&s, zero, sizeof s));
    }
}

TT_TEST(sign_rejects_bad_input) {
    static dynsess_sigv4_signer s;
    dynsess_http_header h[3];
    dynsess_sigv4_request q;
    dynsess_sigv4_result out;
    dynsess_aws_credentials cr;
    dynsess_error err;
    char qs[64];
    size_t ql;
    memset(&cr, 0, sizeof cr);
    cr.access_key_id = dynsess_cstr("AKIDEXAMPLE");
    cr.secret_access_key = dynsess_cstr(SECRET);
    dynsess_sigv4_signer_init(&s);
    h[0] = H("Host", "example.amazonaws.com");
    h[1] = H("X-Amz-Date", "20150830T123600Z");
    base_req(&q, h, 2);
    EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_ARG);
    h[1] = H("authorization", "x");
    EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_ARG);
    h[1] = H("Bad Name", "x");
    EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_ARG);
    /* no Host */
    h[0] = H("Content-Type", "x");
    base_req(&q, h, 1);
    EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_ARG);
    h[0] = H("Host", "example.amazonaws.com");
    q.region = "";
    EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_ARG);
    q.region = "us-east-1";
    q.service = "a/b";
    EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_ARG);
    q.service = "dynamodb";
    q.payload_hash = "abc";
    EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_ARG);
    q.payload_hash = DYNSESS_SIGV4_UNSIGNED_PAYLOAD;
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), &err);
    EXPECT_EQ_STR(out.payload_hash, "UNSIGNED-PAYLOAD");
    EXPECT(out.canonical_request.len > 16 &&
           !memcmp(out.canonical_request.ptr + out.canonical_request.len - 16, "UNSIGNED-PAYLOAD", 16));
    q.payload_hash = 0;
    q.time = -1;
    EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_ARG);
    q.time = 1440938160;
    /* credentials: empty, too long; the secret never appears in messages */
    cr.secret_access_key = dynsess_cstr("");
    EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_CREDENTIALS);
    {
        char big[DYNSESS_AWS_SECRET_MAX + 2];
        memset(big, 'k', sizeof big - 1);
        big[sizeof big - 1] = 0;
        cr.secret_access_key = dynsess_cstr(big);
        EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_LIMIT);
        EXPECT(!strstr(err.msg, "kkkk"));
    }
    cr.secret_access_key = dynsess_cstr(SECRET);
    /* canonical request over the scratch capacity */
    {
        static char huge[DYNSESS_SIGV4_SCRATCH + 10];
        memset(huge, 'v', sizeof huge - 1);
        h[1] = H("x-big", huge);
        base_req(&q, h, 2);
        EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_LIMIT);
        q.query = dynsess_cstr(huge);
        q.header_count = 1;
        EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_LIMIT);
    }
    /* too many headers */
    {
        static dynsess_http_header many[DYNSESS_SIGV4_MAX_HEADERS + 1];
        size_t i;
        for (i = 0; i < TT_COUNT(many); i++) many[i] = H("Host", "x");
        base_req(&q, many, TT_COUNT(many));
        EXPECT_EQ_INT(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), DYNSESS_E_ARG);
        base_req(&q, many, DYNSESS_SIGV4_MAX_HEADERS);
        EXPECT_OK(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), &err);
    }
    /* presign: expiry range and buffer size */
    base_req(&q, h, 1);
    q.expires_s = 0;
    EXPECT_EQ_INT(dynsess_sigv4_presign(&s, &cr, &q, qs, sizeof qs, &ql, &out, &err), DYNSESS_E_ARG);
    q.expires_s = 604801;
    EXPECT_EQ_INT(dynsess_sigv4_presign(&s, &cr, &q, qs, sizeof qs, &ql, &out, &err), DYNSESS_E_ARG);
    q.expires_s = 60;
    EXPECT_EQ_INT(dynsess_sigv4_presign(&s, &cr, &q, qs, sizeof qs, &ql, &out, &err), DYNSESS_E_BUFFER);
    dynsess_sigv4_signer_wipe(&s);
}

TT_TEST(canonical_details) {
    static dynsess_sigv4_signer s;
    dynsess_http_header h[2];
    dynsess_sigv4_request q;
    dynsess_sigv4_result out;
    dynsess_aws_credentials cr;
    dynsess_error err;
    memset(&cr, 0, sizeof cr);
    cr.access_key_id = dynsess_cstr("AKIDEXAMPLE");
    cr.secret_access_key = dynsess_cstr(SECRET);
    dynsess_sigv4_signer_init(&s);
    h[0] = H("Host", "example.amazonaws.com");
    h[1] = H("X-Tab", "\t a \t\t b  ");
    base_req(&q, h, 2);
    q.method = "GET";
    q.payload = dynsess_cstr("");
    /* already-encoded path: double encoded by default, kept with SINGLE_ENCODE */
    q.path = dynsess_cstr("/a%2Fb/c d/../e/./");
    q.query = dynsess_cstr("b=2&a=%7e&&c&a=1+1&%zz=%41");
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), &err);
    {
        const char *want = "GET\n/a%252Fb/e/\n%25zz=A&a=1%2B1&a=~&b=2&c=\n"
                           "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-tab:a b\n\n"
                           "host;x-amz-date;x-tab\n"
                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        if (!same(out.canonical_request, want)) { show("creq", out.canonical_request, want); TT__FAIL("default"); }
    }
    q.flags = DYNSESS_SIGV4_SINGLE_ENCODE | DYNSESS_SIGV4_NO_NORMALIZE;
    q.path = dynsess_cstr("/a%2fb//c d/../");
    q.query = dynsess_cstr("");
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), &err);
    EXPECT(!strncmp(out.canonical_request.ptr, "GET\n/a%2Fb//c%20d/../\n\n", 23));
    /* empty path -> "/", dot-dot above the root stays at the root */
    q.flags = 0;
    q.path = dynsess_cstr("");
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), &err);
    EXPECT(!strncmp(out.canonical_request.ptr, "GET\n/\n\n", 7));
    q.path = dynsess_cstr("/../../x");
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), &err);
    EXPECT(!strncmp(out.canonical_request.ptr, "GET\n/x\n\n", 8));
    /* SIGN_BODY + token: added headers; OMIT_TOKEN leaves the token unsigned but returned */
    cr.session_token = dynsess_cstr("tok en");
    q.flags = DYNSESS_SIGV4_SIGN_BODY;
    q.path = dynsess_cstr("/");
    q.header_count = 1;
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), &err);
    EXPECT(strstr(out.authorization, "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,") != 0);
    EXPECT_EQ_INT(out.session_token.len, 6);
    q.flags = DYNSESS_SIGV4_OMIT_TOKEN;
    ASSERT_OK(dynsess_sigv4_sign(&s, &cr, &q, &out, &err), &err);
    EXPECT(strstr(out.authorization, "SignedHeaders=host;x-amz-date,") != 0);
    EXPECT_EQ_INT(out.session_token.len, 6);
    {
        char qs[1024];
        size_t ql;
        q.expires_s = 300;
        ASSERT_OK(dynsess_sigv4_presign(&s, &cr, &q, qs, sizeof qs, &ql, &out, &err), &err);
        EXPECT_EQ_INT(ql, strlen(qs));
        EXPECT(strstr(qs, "&X-Amz-Security-Token=tok%20en&X-Amz-Signature=") != 0);
        EXPECT(strstr(out.canonical_request.ptr, "Security-Token") == 0 ||
               (size_t)(strstr(out.canonical_request.ptr, "Security-Token") - out.canonical_request.ptr) >
                   out.canonical_request.len);
        EXPECT(out.authorization[0] == 0);
    }
    dynsess_sigv4_signer_wipe(&s);
}

TT_TEST(time_format_and_parse) {
    char d[17];
    int64_t t;
    ASSERT_OK(dynsess_sigv4_amz_date(0, d, 0), 0);
    EXPECT_EQ_STR(d, "19700101T000000Z");
    ASSERT_OK(dynsess_sigv4_amz_date(951782400, d, 0), 0); /* leap day 2000 */
    EXPECT_EQ_STR(d, "20000229T000000Z");
    ASSERT_OK(dynsess_sigv4_amz_date(INT64_C(253402300799), d, 0), 0);
    EXPECT_EQ_STR(d, "99991231T235959Z");
    EXPECT_EQ_INT(dynsess_sigv4_amz_date(INT64_C(253402300800), d, 0), DYNSESS_E_ARG);
    ASSERT_OK(dynsess_sigv4_parse_time(dynsess_cstr("2015-08-30T12:36:00Z"), &t, 0), 0);
    EXPECT_EQ_INT(t, 1440938160);
    ASSERT_OK(dynsess_sigv4_parse_time(dynsess_cstr("20000229T000000Z"), &t, 0), 0);
    EXPECT_EQ_INT(t, 951782400);
    EXPECT_EQ_INT(dynsess_sigv4_parse_time(dynsess_cstr("2015-08-30 12:36:00Z"), &t, 0), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_sigv4_parse_time(dynsess_cstr("20151330T000000Z"), &t, 0), DYNSESS_E_ARG);
    /* round trip over many days */
    {
        int64_t x;
        for (x = 0; x < INT64_C(4102444800); x += 86400 * 37 + 3601) {
            int64_t y = -1;
            dynsess_sigv4_amz_date(x, d, 0);
            dynsess_sigv4_parse_time(dynsess_cstr(d), &y, 0);
            if (x != y) { TT__FAIL("round trip %lld -> %s -> %lld", (long long)x, d, (long long)y); break; }
        }
    }
}

/* ---- credentials and endpoint ------------------------------------------------------- */
typedef struct env_tab { const char *kv[16]; } env_tab;
static const char *env_get(void *user, const char *name) {
    env_tab *t = (env_tab *)user;
    size_t i, n = strlen(name);
    for (i = 0; i < 16 && t->kv[i]; i++)
        if (!strncmp(t->kv[i], name, n) && t->kv[i][n] == '=') return t->kv[i] + n + 1;
    return 0;
}

TT_TEST(credentials_from_env) {
    env_tab tab;
    dynsess_env env;
    dynsess_aws_creds c;
    dynsess_aws_credentials v, pv;
    memset(&pv, 0, sizeof pv);
    dynsess_aws_credentials_provider p;
    dynsess_error err;
    memset(&tab, 0, sizeof tab);
    env.get = env_get;
    env.user = &tab;
    EXPECT_EQ_INT(dynsess_aws_creds_from_env(&c, &env, &err), DYNSESS_E_CREDENTIALS);
    tab.kv[0] = "AWS_ACCESS_KEY_ID=AKID";
    EXPECT_EQ_INT(dynsess_aws_creds_from_env(&c, &env, &err), DYNSESS_E_CREDENTIALS);
    tab.kv[1] = "AWS_SECRET_ACCESS_KEY=" SECRET;
    ASSERT_OK(dynsess_aws_creds_from_env(&c, &env, &err), &err);
    v = dynsess_aws_creds_view(&c);
    EXPECT(v.access_key_id.len == 4 && !memcmp(v.access_key_id.ptr, "AKID", 4));
    EXPECT_EQ_INT(v.secret_access_key.len, 40);
    EXPECT_EQ_INT(v.session_token.len, 0);
    tab.kv[2] = "AWS_SESSION_TOKEN=tok";
    ASSERT_OK(dynsess_aws_creds_from_env(&c, &env, &err), &err);
    p = dynsess_aws_creds_provider(&c);
    ASSERT_OK(p.fn(p.user, &pv, &err), &err);
    EXPECT(pv.session_token.len == 3 && !memcmp(pv.session_token.ptr, "tok", 3));
    dynsess_aws_creds_wipe(&c);
    {
        static const unsigned char zero[sizeof c] = {0};
        EXPECT(!memcmp(&c, zero, sizeof c));
    }
    EXPECT_EQ_INT(p.fn(p.user, &pv, &err), DYNSESS_E_CREDENTIALS);
    /* limits, and no secret in the message */
    {
        char tok[DYNSESS_AWS_TOKEN_MAX + 2];
        memset(tok, 'T', sizeof tok - 1);
        tok[sizeof tok - 1] = 0;
        EXPECT_EQ_INT(dynsess_aws_creds_set(&c, dynsess_cstr("AKID"), dynsess_cstr(SECRET), dynsess_cstr(tok), &err),
                      DYNSESS_E_LIMIT);
        EXPECT(!strstr(err.msg, "TTTT") && !strstr(err.msg, "wJal"));
        EXPECT(c.secret_access_key[0] == 0);
    }
}

TT_TEST(region_and_endpoint) {
    env_tab tab;
    dynsess_env env;
    dynsess_endpoint ep;
    dynsess_error err;
    char r[64];
    memset(&tab, 0, sizeof tab);
    env.get = env_get;
    env.user = &tab;
    EXPECT_EQ_INT(dynsess_aws_region(0, &env, r, sizeof r, &err), DYNSESS_E_CONFIG);
    EXPECT_EQ_INT(dynsess_aws_endpoint("dynamodb", 0, &env, &ep, &err), DYNSESS_E_CONFIG);
    tab.kv[0] = "AWS_DEFAULT_REGION=eu-west-1";
    ASSERT_OK(dynsess_aws_region(0, &env, r, sizeof r, &err), &err);
    EXPECT_EQ_STR(r, "eu-west-1");
    tab.kv[1] = "AWS_REGION=us-west-2";
    ASSERT_OK(dynsess_aws_region("", &env, r, sizeof r, &err), &err);
    EXPECT_EQ_STR(r, "us-west-2");
    ASSERT_OK(dynsess_aws_region("ap-south-1", &env, r, sizeof r, &err), &err);
    EXPECT_EQ_STR(r, "ap-south-1");
    EXPECT_EQ_INT(dynsess_aws_region("US EAST", &env, r, sizeof r, &err), DYNSESS_E_CONFIG);
    ASSERT_OK(dynsess_aws_endpoint("dynamodb", 0, &env, &ep, &err), &err);
    EXPECT_EQ_STR(ep.scheme, "https");
    EXPECT_EQ_STR(ep.host, "dynamodb.us-west-2.amazonaws.com");
    EXPECT_EQ_STR(ep.host_header, "dynamodb.us-west-2.amazonaws.com");
    EXPECT_EQ_INT(ep.port, 443);
    EXPECT_EQ_STR(ep.path, "");
    EXPECT_EQ_STR(ep.region, "us-west-2");
    EXPECT_EQ_INT(ep.overridden, 0);
    ASSERT_OK(dynsess_aws_endpoint("dynamodb", "cn-north-1", &env, &ep, &err), &err);
    EXPECT_EQ_STR(ep.host, "dynamodb.cn-north-1.amazonaws.com.cn");
    tab.kv[2] = "AWS_ENDPOINT_URL=http://localhost:4566";
    ASSERT_OK(dynsess_aws_endpoint("dynamodb", 0, &env, &ep, &err), &err);
    EXPECT_EQ_STR(ep.host, "localhost");
    EXPECT_EQ_INT(ep.port, 4566);
    EXPECT_EQ_STR(ep.host_header, "localhost:4566");
    EXPECT_EQ_INT(ep.overridden, 1);
    tab.kv[3] = "AWS_ENDPOINT_URL_DYNAMODB=HTTP://127.0.0.1:8000/base/";
    ASSERT_OK(dynsess_aws_endpoint("dynamodb", 0, &env, &ep, &err), &err);
    EXPECT_EQ_STR(ep.scheme, "http");
    EXPECT_EQ_STR(ep.host, "127.0.0.1");
    EXPECT_EQ_INT(ep.port, 8000);
    EXPECT_EQ_STR(ep.path, "/base");
    EXPECT_EQ_STR(ep.region, "us-west-2");
    tab.kv[3] = "AWS_ENDPOINT_URL_DYNAMODB=ftp://x";
    EXPECT_EQ_INT(dynsess_aws_endpoint("dynamodb", 0, &env, &ep, &err), DYNSESS_E_CONFIG);
    EXPECT(strstr(err.msg, "AWS_ENDPOINT_URL_DYNAMODB") != 0);
    /* url parser */
    ASSERT_OK(dynsess_url_parse("http://[::1]:8000", &ep, &err), &err);
    EXPECT_EQ_STR(ep.host, "::1");
    EXPECT_EQ_STR(ep.host_header, "[::1]:8000");
    ASSERT_OK(dynsess_url_parse("https://Example.COM:443", &ep, &err), &err);
    EXPECT_EQ_STR(ep.host, "example.com");
    EXPECT_EQ_STR(ep.host_header, "example.com");
    EXPECT_EQ_INT(ep.port_explicit, 1);
    EXPECT_EQ_INT(dynsess_url_parse("http://", &ep, &err), DYNSESS_E_CONFIG);
    EXPECT_EQ_INT(dynsess_url_parse("http://h:0", &ep, &err), DYNSESS_E_CONFIG);
    EXPECT_EQ_INT(dynsess_url_parse("http://h:65536", &ep, &err), DYNSESS_E_CONFIG);
    EXPECT_EQ_INT(dynsess_url_parse("http://h:80x", &ep, &err), DYNSESS_E_CONFIG);
    EXPECT_EQ_INT(dynsess_url_parse("http://u@h/", &ep, &err), DYNSESS_E_CONFIG);
    EXPECT_EQ_INT(dynsess_url_parse("http://h/?q", &ep, &err), DYNSESS_E_CONFIG);
    EXPECT_EQ_INT(dynsess_url_parse("h:80", &ep, &err), DYNSESS_E_CONFIG);
}

/* the SWAR helpers of the hot path agree with the plain ones on every input shape */
TT_TEST(fast_helpers) {
    uint8_t d[32];
    char a[65], b[65], name[64], low[64];
    unsigned x = 12345;
    int r, i, c;
    for (r = 0; r < 2000; r++) {
        for (i = 0; i < 32; i++) { x = x * 1103515245u + 12345u; d[i] = (uint8_t)(x >> 16); }
        if (r < 256) memset(d, r, sizeof d);
        dynsess__sigv4_hex32(d, a);
        dynsess_hex_encode(d, 32, b);
        if (strcmp(a, b)) { TT__FAIL("hex32 %s != %s", a, b); break; }
    }
    for (c = 0x21; c < 0x7f; c++) {
        if (c == ':') continue;
        for (i = 0; i < 19; i++) name[i] = (char)(i % 3 ? c : 'Q');
        dynsess__sigv4_lower_name(low, name, 19);
        for (i = 0; i < 19; i++)
            if (low[i] != (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i])) {
                TT__FAIL("lower_name of 0x%02x", c);
                break;
            }
    }
    EXPECT(dynsess__sigv4_ct_eq("abcdefghijk", "abcdefghijk", 11));
    EXPECT(!dynsess__sigv4_ct_eq("abcdefghijk", "abcdefghijK", 11));
    EXPECT(!dynsess__sigv4_ct_eq("Abcdefghijk", "abcdefghijk", 11));
}

static const tt_case tt_cases[] = {
    TT_CASE(fast_helpers),
    TT_CASE(aws_c_auth_v4_suite),  TT_CASE(dynamodb_botocore_cases), TT_CASE(botocore_aws4_testsuite),
    TT_CASE(signing_key_cache),    TT_CASE(sign_rejects_bad_input),  TT_CASE(canonical_details),
    TT_CASE(time_format_and_parse), TT_CASE(credentials_from_env),   TT_CASE(region_and_endpoint),
};
int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
