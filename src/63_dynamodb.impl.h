/* ----------------------------------------------------------------------
   @store >dynamodb  implementation: CRC-32, error bodies, retries with
   full-jitter backoff, clock-skew correction, the client, the store and
   the environment configuration with its memory fallback
   Assumes: POSIX poll(2) and gettimeofday(2) for the default sleep and the
   retry budget; the JSON codec (@json) for reply bodies.
   ---------------------------------------------------------------------- */
#include <poll.h>
#include <sys/time.h>
#include <pthread.h>

/* ---- CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) ---------------------
   dynsess_crc32 uses a half-byte table (no state); each client builds
   slicing-by-8 tables (8 KiB) once, for ~8x the speed on large replies. */
DYNSESS_DEF uint32_t dynsess_crc32(const void *p, size_t n) {
    static const uint32_t t[16] = {
        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
        0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
    const uint8_t *s = (const uint8_t *)p;
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    for (i = 0; i < n; i++) {
        c ^= s[i];
        c = (c >> 4) ^ t[c & 15];
        c = (c >> 4) ^ t[c & 15];
    }
    return c ^ 0xFFFFFFFFu;
}

static void dynsess__crc32_tables(uint32_t t[8][256]) {
    uint32_t i, k;
    for (i = 0; i < 256; i++) {
        uint32_t c = i;
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        t[0][i] = c;
    }
    for (i = 0; i < 256; i++)
        for (k = 1; k < 8; k++) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 255];
}

/* Slicing-by-8 (byte order independent: the words are assembled from bytes). */
static uint32_t dynsess__crc32_fast(const uint32_t t[8][256], const void *p, size_t n) {
    const uint8_t *s = (const uint8_t *)p;
    uint32_t c = 0xFFFFFFFFu;
    while (n >= 8) {
        uint32_t a = c ^ ((uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24);
        c = t[7][a & 255] ^ t[6][(a >> 8) & 255] ^ t[5][(a >> 16) & 255] ^ t[4][a >> 24] ^
            t[3][s[4]] ^ t[2][s[5]] ^ t[1][s[6]] ^ t[0][s[7]];
        s += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ t[0][(c ^ *s++) & 255];
    return c ^ 0xFFFFFFFFu;
}

/* ---- small helpers ---------------------------------------------------------- */
/* Milliseconds from a wall clock, for the retry budget only. */
static int64_t dynsess__ddb_ms(void) {
    struct timeval tv;
    if (gettimeofday(&tv, 0) != 0) return 0;
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void dynsess__ddb_default_sleep(void *user, int32_t ms) {
    (void)user;
    if (ms > 0) poll(0, 0, (int)ms);
}

/* Copies s (n bytes) into a NUL-terminated fixed field, truncating. */
static void dynsess__ddb_copy(char *dst, size_t cap, const char *s, size_t n) {
    if (!cap) return;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, s, n);
    dst[n] = 0;
}

static int dynsess__ddb_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* 1 if hay (n bytes) contains needle, ASCII case-insensitively. */
static int dynsess__ddb_contains(const char *hay, size_t n, const char *needle) {
    size_t m = strlen(needle), i, j;
    if (m > n) return 0;
    for (i = 0; i + m <= n; i++) {
        for (j = 0; j < m; j++)
            if (dynsess__ddb_lower((unsigned char)hay[i + j]) != dynsess__ddb_lower((unsigned char)needle[j])) break;
        if (j == m) return 1;
    }
    return 0;
}

static int dynsess__ddb_streq_ci(const char *a, const char *b) {
    while (*a && *b && dynsess__ddb_lower((unsigned char)*a) == dynsess__ddb_lower((unsigned char)*b)) a++, b++;
    return *a == 0 && *b == 0;
}

/* Appends s as a JSON string literal (quotes included). Bytes >= 0x80 pass
   through: callers give UTF-8 (our own JSON text, ids, names). */
static dynsess_status dynsess__ddb_jstr(dynsess_buf *b, const char *s, size_t n, dynsess_error *err) {
    static const char hex[] = "0123456789abcdef";
    size_t i, start = 0;
    dynsess_status rc;
    if ((rc = dynsess_buf_reserve(b, n + 2, err))) return rc; /* the common case: nothing to escape */
    if ((rc = dynsess_buf_append(b, "\"", 1, err))) return rc;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t elen = 2;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        esc[0] = '\\';
        if (c == '"' || c == '\\') esc[1] = (char)c;
        else if (c == '\n') esc[1] = 'n';
        else if (c == '\r') esc[1] = 'r';
        else if (c == '\t') esc[1] = 't';
        else {
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15]; elen = 6;
        }
        if (i > start && (rc = dynsess_buf_append(b, s + start, i - start, err))) return rc;
        if ((rc = dynsess_buf_append(b, esc, elen, err))) return rc;
        start = i + 1;
    }
    if (n > start && (rc = dynsess_buf_append(b, s + start, n - start, err))) return rc;
    return dynsess_buf_append(b, "\"", 1, err);
}

static dynsess_status dynsess__ddb_jz(dynsess_buf *b, const char *s, dynsess_error *err) {
    return dynsess__ddb_jstr(b, s, strlen(s), err);
}

/* Appends {"N":"<v>"}. */
static dynsess_status dynsess__ddb_jnum(dynsess_buf *b, int64_t v, dynsess_error *err) {
    char tmp[40];
    snprintf(tmp, sizeof tmp, "{\"N\":\"%lld\"}", (long long)v);
    return dynsess_buf_appendz(b, tmp, err);
}

/* Parses a DynamoDB N holding an integer (a fraction is truncated).
   Returns 1 and *out, or 0 if it is not a number in int64 range. */
static int dynsess__ddb_parse_int(dynsess_str s, int64_t *out) {
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0;
    if (i < s.len && (s.ptr[i] == '-' || s.ptr[i] == '+')) neg = s.ptr[i++] == '-';
    if (i >= s.len || s.ptr[i] < '0' || s.ptr[i] > '9') return 0;
    for (; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++) {
        if (v > (UINT64_C(9223372036854775807) - (uint64_t)(s.ptr[i] - '0')) / 10) return 0;
        v = v * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    if (i < s.len && s.ptr[i] == '.') {
        for (i++; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++) {}
    }
    if (i != s.len) return 0; /* exponents: not written by any app we share with */
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 1;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil). */
static int64_t dynsess__ddb_days(int64_t y, int m, int d) {
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parses an HTTP Date (RFC 9110 §5.6.7 IMF-fixdate, "Sun, 06 Nov 1994
   08:49:37 GMT") or an X-Amz-Date. Returns 1 and epoch seconds, or 0. */
static int dynsess__ddb_parse_http_date(dynsess_str s, int64_t *out) {
    static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    char buf[64];
    int d = 0, y = 0, hh = 0, mm = 0, ss = 0, m, i;
    char mon[4];
    const char *p;
    if (s.len == 0 || s.len >= sizeof buf) return 0;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = 0;
    p = strchr(buf, ',');
    if (p) {
        char tail[8];
        if (sscanf(p + 1, " %2d %3s %4d %2d:%2d:%2d %7s", &d, mon, &y, &hh, &mm, &ss, tail) != 7)
            return 0;
        if (strcmp(tail, "GMT") != 0) return 0;
        for (i = 0; i < 3; i++) mon[i] = (char)dynsess__ddb_lower((unsigned char)mon[i]);
        for (m = 0; m < 12; m++)
            if (!memcmp(months + 3 * m, mon, 3)) break;
        if (m == 12 || d < 1 || d > 31 || y < 1970 || hh > 23 || mm > 59 || ss > 60) return 0;
        *out = dynsess__ddb_days(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
        return 1;
    }
    return dynsess_sigv4_parse_time(s, out, 0) == DYNSESS_OK;
}

/* ---- the client ----------------------------------------------------------------- */
struct dynsess_ddb {
    dynsess_ddb_desc d;              /* resolved copy; region/endpoint point into ep  */
    dynsess_endpoint ep;
    char path[DYNSESS_URL_PATH_MAX + 2];
    dynsess_transport transport;
    int own_transport;
    dynsess_aws_creds creds;         /* env credentials (when no provider was given) */
    dynsess_sigv4_signer signer;
    dynsess_http_response resp;
    int64_t skew;                    /* server clock minus ours, seconds              */
    uint32_t crc[8][256];            /* slicing-by-8 tables for x-amz-crc32           */
};

DYNSESS_DEF int64_t dynsess_ddb_clock_skew(const dynsess_ddb *c) { return c ? c->skew : 0; }

DYNSESS_DEF void dynsess_ddb_free(dynsess_ddb *c) {
    dynsess_allocator a;
    if (!c) return;
    a = c->d.allocator;
    if (c->own_transport) dynsess_transport_free(&c->transport);
    dynsess_http_response_free(&c->resp);
    dynsess_aws_creds_wipe(&c->creds);
    dynsess_sigv4_signer_wipe(&c->signer);
    dynsess_wipe(c, sizeof *c);
    dynsess__free(&a, c);
}

DYNSESS_DEF dynsess_status dynsess_ddb_new(const dynsess_ddb_desc *desc, dynsess_ddb **out,
                                           dynsess_error *err) {
    dynsess_ddb *c;
    dynsess_status rc;
    dynsess_ddb_desc zero;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "dynamodb: out is 0");
    *out = 0;
    if (!desc) { memset(&zero, 0, sizeof zero); desc = &zero; }
    if (!dynsess__allocator_valid(&desc->allocator))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "dynamodb: allocator needs both alloc and free (ddb.allocator)");
    c = (dynsess_ddb *)dynsess__alloc(&desc->allocator, sizeof *c);
    if (!c) return dynsess__fail_nomem(err, "dynamodb");
    memset(c, 0, sizeof *c);
    c->d = *desc;
    dynsess_http_response_init(&c->resp, &c->d.allocator);
    dynsess_sigv4_signer_init(&c->signer);
    dynsess__crc32_tables(c->crc);
    DYNSESS__DEF(c->d.timeout_ms, 3000);
    DYNSESS__DEF(c->d.max_reply_len, (size_t)4 << 20);
    DYNSESS__DEF(c->d.retry.max_attempts, 4);
    DYNSESS__DEF(c->d.retry.base_delay_ms, 25);
    DYNSESS__DEF(c->d.retry.max_delay_ms, 1000);
    DYNSESS__DEF(c->d.retry.max_total_ms, 5000);
    if (!c->d.retry.sleep_ms) c->d.retry.sleep_ms = dynsess__ddb_default_sleep;
    if (c->d.timeout_ms < 0 || c->d.retry.max_attempts < 0 || c->d.retry.base_delay_ms < 0 ||
        c->d.retry.max_delay_ms < 0 || c->d.retry.max_total_ms < 0) {
        rc = dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                           "dynamodb: negative timeout or retry setting (ddb.retry)");
        goto fail;
    }
    /* region and endpoint */
    if (desc->endpoint && desc->endpoint[0]) {
        rc = dynsess_url_parse(desc->endpoint, &c->ep, err);
        if (!rc) rc = dynsess_aws_region(desc->region, &c->d.env, c->ep.region,
                                         sizeof c->ep.region, err);
    } else {
        rc = dynsess_aws_endpoint("dynamodb", desc->region, &c->d.env, &c->ep, err);
    }
    if (rc) goto fail;
    if (strlen(c->ep.path) + 2 > sizeof c->path) {
        rc = dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET, "dynamodb: endpoint path too long");
        goto fail;
    }
    snprintf(c->path, sizeof c->path, "%s/", c->ep.path);
    c->d.region = c->ep.region;
    c->d.endpoint = 0;
    /* credentials: a provider, else the environment, read once */
    if (!c->d.credentials.fn) {
        rc = dynsess_aws_creds_from_env(&c->creds, &c->d.env, err);
        if (rc) goto fail;
        c->d.credentials = dynsess_aws_creds_provider(&c->creds);
    }
    /* transport */
    if (!c->transport.fn && !c->d.transport.fn) {
        dynsess_transport_desc td;
        memset(&td, 0, sizeof td);
        td.timeout_ms = c->d.timeout_ms;
        td.connect_timeout_ms = c->d.timeout_ms;
        td.max_response = c->d.max_reply_len + 65536;
        td.allocator = c->d.allocator;
#ifdef DYNSESS_WITH_CURL
        rc = dynsess_transport_curl_new(&td, &c->transport, err);
#else
        if (!strcmp(c->ep.scheme, "https")) {
            rc = dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                               "dynamodb: https endpoint needs a TLS transport (build with "
                               "DYNSESS_WITH_CURL or set ddb.transport)");
            goto fail;
        }
        rc = dynsess_transport_plain_new(&td, &c->transport, err);
#endif
        if (rc) goto fail;
        c->own_transport = 1;
    } else {
        c->transport = c->d.transport;
    }
    *out = c;
    return DYNSESS_OK;
fail:
    dynsess_ddb_free(c);
    return rc;
}

/* One signed HTTP exchange. OK when a whole HTTP reply was read (any status). */
static dynsess_status dynsess__ddb_send_once(dynsess_ddb *c, const char *op, dynsess_str body,
                                             dynsess_error *err) {
    dynsess_http_header h[7];
    dynsess_sigv4_request sr;
    dynsess_sigv4_result res;
    dynsess_aws_credentials cr;
    dynsess_http_request hr;
    char target[96];
    dynsess_status rc;
    size_t n = 0;
    if (strlen(op) > 64)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "dynamodb: operation name too long");
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
    h[n].name = dynsess_cstr("Host"); h[n++].value = dynsess_cstr(c->ep.host_header);
    h[n].name = dynsess_cstr("Content-Type"); h[n++].value = dynsess_cstr("application/x-amz-json-1.0");
    h[n].name = dynsess_cstr("X-Amz-Target"); h[n++].value = dynsess_cstr(target);
    memset(&cr, 0, sizeof cr);
    rc = c->d.credentials.fn(c->d.credentials.user, &cr, err);
    if (rc) {
        if (err && !err->msg[0])
            dynsess__fail(err, rc, DYNSESS_NO_OFFSET, "dynamodb: the credentials provider failed");
        return rc;
    }
    memset(&sr, 0, sizeof sr);
    sr.method = "POST";
    sr.path = dynsess_cstr(c->path);
    sr.headers = h;
    sr.header_count = n;
    sr.payload = body;
    sr.region = c->ep.region;
    sr.service = "dynamodb";
    sr.time = dynsess__clock_now(&c->d.clock) + c->skew;
    rc = dynsess_sigv4_sign(&c->signer, &cr, &sr, &res, err);
    if (rc) return rc;
    h[n].name = dynsess_cstr("X-Amz-Date"); h[n++].value = dynsess_cstr(res.amz_date);
    if (res.session_token.len) { h[n].name = dynsess_cstr("X-Amz-Security-Token"); h[n++].value = res.session_token; }
    h[n].name = dynsess_cstr("Authorization");
    h[n].value.ptr = res.authorization; h[n++].value.len = res.authorization_len;
    memset(&hr, 0, sizeof hr);
    hr.method = "POST";
    hr.scheme = c->ep.scheme;
    hr.host = c->ep.host;
    hr.port = c->ep.port;
    hr.path = c->path;
    hr.headers = h;
    hr.header_count = n;
    hr.body = body;
    hr.timeout_ms = c->d.timeout_ms;
    /* res holds no secret (the signature goes on the wire; the token is borrowed) */
    return dynsess_http_send(&c->transport, &hr, &c->resp, err);
}

/* Maps a DynamoDB error type to a status; sets *retry for retryable kinds. */
static dynsess_status dynsess__ddb_classify(int status, const char *type, const char *msg, int *retry) {
    *retry = 0;
    if (!strcmp(type, "ProvisionedThroughputExceededException") || !strcmp(type, "ThrottlingException") ||
        !strcmp(type, "RequestLimitExceeded") || !strcmp(type, "Throttling") ||
        !strcmp(type, "TooManyRequestsException") || status == 429) {
        *retry = 1;
        return DYNSESS_E_THROTTLED;
    }
    if (!strcmp(type, "ConditionalCheckFailedException")) return DYNSESS_E_CONFLICT;
    if (!strcmp(type, "AccessDeniedException") || !strcmp(type, "UnrecognizedClientException") ||
        !strcmp(type, "InvalidSignatureException") || !strcmp(type, "ExpiredTokenException") ||
        !strcmp(type, "MissingAuthenticationTokenException") ||
        !strcmp(type, "IncompleteSignatureException") || !strcmp(type, "InvalidClientTokenId") ||
        status == 403)
        return DYNSESS_E_AUTH;
    if (!strcmp(type, "ValidationException") && (dynsess__ddb_contains(msg, strlen(msg), "item size") ||
                                                 dynsess__ddb_contains(msg, strlen(msg), "maximum allowed size")))
        return DYNSESS_E_LIMIT;
    if (status >= 500) { *retry = 1; return DYNSESS_E_AWS; }
    return DYNSESS_E_AWS;
}

/* Fills e->type/message from an error reply: the JSON body's __type (after
   the last '#') and message/Message, else the x-amzn-ErrorType header. */
static void dynsess__ddb_parse_error(dynsess_ddb *c, dynsess_ddb_error *e) {
    dynsess_doc *doc = 0;
    dynsess_value *root = 0;
    dynsess_str v;
    e->type[0] = e->message[0] = 0;
    if (c->resp.body.len && dynsess_doc_new(&c->d.allocator, &doc, 0) == DYNSESS_OK &&
        dynsess_json_parse(doc, c->resp.body.ptr, c->resp.body.len, 0, &root, 0) == DYNSESS_OK &&
        dynsess_value_type(root) == DYNSESS_JSON_OBJECT) {
        const dynsess_value *t = dynsess_object_get(root, "__type", 6);
        const dynsess_value *m = dynsess_object_get(root, "message", 7);
        if (!m) m = dynsess_object_get(root, "Message", 7);
        if (dynsess_value_type(t) == DYNSESS_JSON_STRING) {
            size_t i;
            v = dynsess_value_str(t);
            for (i = v.len; i > 0; i--)
                if (v.ptr[i - 1] == '#') break;
            dynsess__ddb_copy(e->type, sizeof e->type, v.ptr + i, v.len - i);
        }
        if (dynsess_value_type(m) == DYNSESS_JSON_STRING) {
            v = dynsess_value_str(m);
            dynsess__ddb_copy(e->message, sizeof e->message, v.ptr, v.len);
        }
    }
    dynsess_doc_free(doc);
    if (!e->type[0] && dynsess_http_response_header(&c->resp, "x-amzn-ErrorType", &v)) {
        size_t i;
        for (i = 0; i < v.len && v.ptr[i] != ':'; i++) {}
        dynsess__ddb_copy(e->type, sizeof e->type, v.ptr, i);
    }
    { /* keep messages printable: they reach logs */
        char *p;
        for (p = e->message; *p; p++) if ((unsigned char)*p < 0x20) *p = ' ';
        for (p = e->type; *p; p++) if ((unsigned char)*p <= 0x20 || *p == '"') *p = '_';
    }
}

DYNSESS_DEF dynsess_status dynsess_ddb_call(dynsess_ddb *c, const char *operation,
                                            dynsess_str json_body, dynsess_buf *reply,
                                            dynsess_ddb_error *aws_err, dynsess_error *err) {
    dynsess_ddb_error local;
    dynsess_ddb_error *e = aws_err ? aws_err : &local;
    dynsess_status rc = DYNSESS_E_INTERNAL;
    size_t reply_start = reply ? reply->len : 0;
    int attempt = 0, skew_fixed = 0;
    int64_t start = dynsess__ddb_ms();
    memset(e, 0, sizeof *e);
    if (!c || !operation || !operation[0] || (!json_body.ptr && json_body.len))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "dynamodb: bad arguments to call");
    for (;;) {
        dynsess_error terr;
        dynsess_str hv;
        int retry = 0;
        dynsess_error_clear(&terr);
        attempt++;
        e->attempts = attempt;
        e->http_status = 0;
        e->type[0] = e->message[0] = 0;
        rc = dynsess__ddb_send_once(c, operation, json_body, &terr);
        if (rc == DYNSESS_E_CONNECT || rc == DYNSESS_E_TIMEOUT || rc == DYNSESS_E_HTTP) {
            retry = 1; /* connect failures, timeouts, truncated replies */
            dynsess__fail(err, rc, DYNSESS_NO_OFFSET, "dynamodb: %s: %s", operation, terr.msg);
        } else if (rc) {
            if (err) *err = terr;
            e->retryable = 0;
            return rc;
        } else {
            e->http_status = c->resp.status;
            if (dynsess_http_response_header(&c->resp, "x-amz-crc32", &hv)) {
                int64_t want;
                if (!dynsess__ddb_parse_int(hv, &want) ||
                    (uint64_t)want != (uint64_t)dynsess__crc32_fast((const uint32_t(*)[256])c->crc, c->resp.body.ptr,
                                                                        c->resp.body.len)) {
                    retry = 1;
                    rc = dynsess__fail(err, DYNSESS_E_HTTP, DYNSESS_NO_OFFSET,
                                       "dynamodb: %s: x-amz-crc32 mismatch (reply corrupted or truncated)",
                                       operation);
                }
            }
            if (!rc && c->resp.status == 200) {
                if (c->resp.body.len > c->d.max_reply_len)
                    return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                                         "dynamodb: %s: reply of %lu bytes over the limit", operation,
                                         (unsigned long)c->resp.body.len);
                if (reply) {
                    reply->len = reply_start;
                    if (reply->ptr) reply->ptr[reply_start] = 0;
                    rc = dynsess_buf_append(reply, c->resp.body.ptr, c->resp.body.len, err);
                    if (rc) return rc;
                }
                return DYNSESS_OK;
            }
            if (!rc) {
                dynsess__ddb_parse_error(c, e);
                rc = dynsess__ddb_classify(c->resp.status, e->type, e->message, &retry);
                if (!e->type[0] && c->resp.status < 500 && c->resp.status != 429)
                    rc = DYNSESS_E_HTTP; /* 1xx/3xx/4xx that is not DynamoDB's JSON */
                /* clock skew: correct once from the Date header, as the SDKs do */
                if (!strcmp(e->type, "InvalidSignatureException") && !skew_fixed &&
                    (dynsess__ddb_contains(e->message, strlen(e->message), "signature expired") ||
                     dynsess__ddb_contains(e->message, strlen(e->message), "not yet current")) &&
                    dynsess_http_response_header(&c->resp, "Date", &hv)) {
                    int64_t server;
                    if (dynsess__ddb_parse_http_date(hv, &server)) {
                        int64_t skew = server - dynsess__clock_now(&c->d.clock);
                        skew_fixed = 1;
                        if (skew != c->skew) {
                            dynsess__log(&c->d.logger, DYNSESS_LOG_WARN,
                                         "dynamodb: clock skew of %lld s corrected from the Date header",
                                         (long long)(skew - c->skew));
                            c->skew = skew;
                            attempt--; /* the skew retry is free, and happens once */
                            continue;
                        }
                    }
                }
                if (e->type[0])
                    dynsess__fail(err, rc, DYNSESS_NO_OFFSET, "dynamodb: %s: %s: %s", operation, e->type,
                                  e->message[0] ? e->message : "(no message)");
                else
                    dynsess__fail(err, rc, DYNSESS_NO_OFFSET, "dynamodb: %s: http status %d", operation,
                                  c->resp.status);
                if (reply) { /* error bodies are useful: ALL_OLD items on conditional failures */
                    dynsess_status rc2;
                    reply->len = reply_start;
                    if (reply->ptr) reply->ptr[reply_start] = 0;
                    rc2 = dynsess_buf_append(reply, c->resp.body.ptr,
                                             c->resp.body.len < c->d.max_reply_len ? c->resp.body.len : 0, 0);
                    (void)rc2;
                }
            }
        }
        e->retryable = retry;
        if (!retry) return rc;
        {
            int64_t elapsed = dynsess__ddb_ms() - start, cap;
            uint32_t r = 0;
            int32_t delay;
            if (attempt >= c->d.retry.max_attempts || elapsed < 0 || elapsed >= c->d.retry.max_total_ms) {
                if (err && attempt > 1) {
                    size_t l = strlen(err->msg);
                    snprintf(err->msg + l, sizeof err->msg - l, " (after %d attempts)", attempt);
                }
                return rc;
            }
            cap = (int64_t)c->d.retry.base_delay_ms << (attempt - 1 < 20 ? attempt - 1 : 20);
            if (cap > c->d.retry.max_delay_ms) cap = c->d.retry.max_delay_ms;
            if (cap > c->d.retry.max_total_ms - elapsed) cap = c->d.retry.max_total_ms - elapsed;
            if (dynsess__rng_fill(&c->d.rng, &r, sizeof r, 0) != DYNSESS_OK) r = 0;
            delay = (int32_t)(cap > 0 ? (int64_t)(r % (uint32_t)(cap + 1)) : 0);
            dynsess__log(&c->d.logger, DYNSESS_LOG_INFO, "dynamodb: %s attempt %d failed (%s), retrying in %ld ms",
                         operation, attempt, err ? err->msg : dynsess_strerror(rc), (long)delay);
            c->d.retry.sleep_ms(c->d.retry.sleep_user, delay);
        }
    }
}

/* ---- the store ---------------------------------------------------------------------- */
typedef struct dynsess__ddb_store {
    dynsess_store base;
    dynsess_ddb *client;
    int own_client;
    char *names;                     /* one block: table \0 id \0 data \0 created \0 ttl \0 version \0 */
    const char *table, *a_id, *a_data, *a_created, *a_ttl, *a_version;
    int consistent;
    int hash_ids;
    uint8_t id_key[256];
    size_t id_key_len;
    dynsess_allocator alloc;
    dynsess_logger logger;
    dynsess_buf body, reply;
    int thread_safe;
    pthread_mutex_t mu;
    char key[DYNSESS_BASE64URL_LEN(DYNSESS_SHA256_SIZE) + 1]; /* hashed id */
} dynsess__ddb_store;

#define DYNSESS__DDB_MAX_ID 1024 /* DynamoDB allows 2048-byte hash keys */

/* The key stored for a session id: the id, or base64url(HMAC(id_key, id)). */
static dynsess_status dynsess__ddb_key(dynsess__ddb_store *s, dynsess_str token, dynsess_str *key,
                                       dynsess_error *err) {
    if (!token.len || token.len > DYNSESS__DDB_MAX_ID || !token.ptr)
        return dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "dynamodb: empty or oversized session id");
    if (!s->hash_ids) { *key = token; return DYNSESS_OK; }
    {
        uint8_t mac[DYNSESS_SHA256_SIZE];
        dynsess_hmac_sha256(s->id_key, s->id_key_len, token.ptr, token.len, mac);
        dynsess_base64url_encode(mac, sizeof mac, s->key, sizeof s->key);
        dynsess_wipe(mac, sizeof mac);
        *key = dynsess_cstr(s->key);
    }
    return DYNSESS_OK;
}

/* Starts a request body: {"TableName":"T","Key":{"<id>":{"S":"<key>"}} (no closing brace). */
static dynsess_status dynsess__ddb_begin(dynsess__ddb_store *s, dynsess_str key, int with_key,
                                         dynsess_error *err) {
    dynsess_status rc;
    dynsess_buf *b = &s->body;
    dynsess_buf_reset(b);
    if ((rc = dynsess_buf_appendz(b, "{\"TableName\":", err)) || (rc = dynsess__ddb_jz(b, s->table, err)))
        return rc;
    if (!with_key) return DYNSESS_OK;
    if ((rc = dynsess_buf_appendz(b, ",\"Key\":{", err)) || (rc = dynsess__ddb_jz(b, s->a_id, err)) ||
        (rc = dynsess_buf_appendz(b, ":{\"S\":", err)) || (rc = dynsess__ddb_jstr(b, key.ptr, key.len, err)) ||
        (rc = dynsess_buf_appendz(b, "}}", err)))
        return rc;
    return DYNSESS_OK;
}

/* ,"ExpressionAttributeNames":{"#i":id,"#d":data,"#c":created,"#t":ttl,"#v":version} for the
   letters in which ("idctv"). */
static dynsess_status dynsess__ddb_names(dynsess__ddb_store *s, const char *which, dynsess_error *err) {
    dynsess_status rc;
    dynsess_buf *b = &s->body;
    const char *w;
    if ((rc = dynsess_buf_appendz(b, ",\"ExpressionAttributeNames\":{", err))) return rc;
    for (w = which; *w; w++) {
        char ph[8];
        const char *name = *w == 'i' ? s->a_id : *w == 'd' ? s->a_data : *w == 'c' ? s->a_created
                         : *w == 't' ? s->a_ttl : s->a_version;
        snprintf(ph, sizeof ph, "%s\"#%c\":", w == which ? "" : ",", *w);
        if ((rc = dynsess_buf_appendz(b, ph, err)) || (rc = dynsess__ddb_jz(b, name, err))) return rc;
    }
    return dynsess_buf_appendz(b, "}", err);
}

/* What a parsed item holds. */
typedef struct dynsess__ddb_item {
    int present;
    dynsess_str data;   /* borrowed from the doc */
    int has_data;
    int64_t created_at, ttl, version;
    int has_created, has_ttl;
} dynsess__ddb_item;

static int dynsess__ddb_attr(const dynsess_value *item, const char *name, const char *type, dynsess_str *out) {
    const dynsess_value *a = dynsess_object_get(item, name, strlen(name));
    const dynsess_value *v = a ? dynsess_object_get(a, type, 1) : 0;
    if (dynsess_value_type(v) != DYNSESS_JSON_STRING) return 0;
    *out = dynsess_value_str(v);
    return 1;
}

/* Parses the "Item" member of reply text into it (strings borrowed from doc). */
static dynsess_status dynsess__ddb_parse_item(dynsess__ddb_store *s, dynsess_doc *doc, const dynsess_buf *reply,
                                              dynsess__ddb_item *it, dynsess_error *err) {
    dynsess_value *root = 0;
    const dynsess_value *item;
    dynsess_json_opts jo;
    dynsess_str v;
    dynsess_status rc;
    memset(it, 0, sizeof *it);
    memset(&jo, 0, sizeof jo);
    jo.max_len = reply->len + 1;
    jo.max_depth = 32;
    rc = dynsess_json_parse(doc, reply->ptr ? reply->ptr : "", reply->len, &jo, &root, err);
    if (rc) {
        if (rc == DYNSESS_E_NOMEM) return rc;
        return dynsess__fail(err, DYNSESS_E_HTTP, DYNSESS_NO_OFFSET,
                             "dynamodb: reply is not DynamoDB JSON (%lu bytes)", (unsigned long)reply->len);
    }
    item = dynsess_object_get(root, "Item", 4);
    if (dynsess_value_type(item) != DYNSESS_JSON_OBJECT) return DYNSESS_OK;
    it->present = 1;
    it->has_data = dynsess__ddb_attr(item, s->a_data, "S", &it->data);
    if (dynsess__ddb_attr(item, s->a_created, "N", &v)) it->has_created = dynsess__ddb_parse_int(v, &it->created_at);
    if (dynsess__ddb_attr(item, s->a_ttl, "N", &v)) it->has_ttl = dynsess__ddb_parse_int(v, &it->ttl);
    if (dynsess__ddb_attr(item, s->a_version, "N", &v) && !dynsess__ddb_parse_int(v, &it->version))
        it->version = 0;
    return DYNSESS_OK;
}

/* GetItem of key into s->reply. */
static dynsess_status dynsess__ddb_get(dynsess__ddb_store *s, dynsess_str key, int consistent,
                                       dynsess_error *err) {
    dynsess_status rc = dynsess__ddb_begin(s, key, 1, err);
    if (!rc && consistent) rc = dynsess_buf_appendz(&s->body, ",\"ConsistentRead\":true", err);
    if (!rc) rc = dynsess_buf_appendz(&s->body, "}", err);
    if (rc) return rc;
    dynsess_buf_reset(&s->reply);
    return dynsess_ddb_call(s->client, "GetItem", dynsess_cstr(s->body.ptr), &s->reply, 0, err);
}

static dynsess_status dynsess__ddb_load_unlocked(dynsess_store *st, dynsess_str token, int64_t now,
                                        dynsess_record *out, dynsess_error *err) {
    dynsess__ddb_store *s = (dynsess__ddb_store *)st;
    dynsess_doc *doc = 0;
    dynsess__ddb_item it;
    dynsess_str key;
    dynsess_status rc = dynsess__ddb_key(s, token, &key, err);
    if (rc) return rc;
    if ((rc = dynsess__ddb_get(s, key, s->consistent, err))) return rc;
    if ((rc = dynsess_doc_new(&s->alloc, &doc, err))) return rc;
    rc = dynsess__ddb_parse_item(s, doc, &s->reply, &it, err);
    if (rc) goto done;
    if (!it.present) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "dynamodb: no such session");
        goto done;
    }
    if (it.has_ttl && it.ttl <= now) { /* DynamoDB deletes expired items only eventually */
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "dynamodb: session expired");
        goto done;
    }
    {
        size_t i = 0;
        while (it.has_data && i < it.data.len && (it.data.ptr[i] == ' ' || it.data.ptr[i] == '\n' ||
                                                  it.data.ptr[i] == '\t' || it.data.ptr[i] == '\r')) i++;
        if (!it.has_data || i >= it.data.len || it.data.ptr[i] != '{') {
            rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                               "dynamodb: unreadable session (attribute '%s' is not a JSON object string)",
                               s->a_data);
            goto done;
        }
    }
    dynsess_buf_reset(&out->data);
    if ((rc = dynsess_buf_append(&out->data, it.data.ptr, it.data.len, err))) goto done;
    out->created_at = it.has_created ? it.created_at : now;
    out->expires_at = it.has_ttl ? it.ttl : INT64_MAX;
    out->version = it.version;
    out->stale = 0;
done:
    dynsess_doc_free(doc);
    return rc;
}

/* After a failed conditional update: gone (E_NOTFOUND) or moved (E_CONFLICT)?
   Uses the ALL_OLD item in the error reply when the server sent one, else
   re-reads the item. */
static dynsess_status dynsess__ddb_why(dynsess__ddb_store *s, dynsess_str key, int64_t now,
                                       dynsess_error *err) {
    dynsess_doc *doc = 0;
    dynsess__ddb_item it;
    dynsess_status rc;
    dynsess_error ignore;
    memset(&it, 0, sizeof it);
    if (dynsess_doc_new(&s->alloc, &doc, err)) return DYNSESS_E_NOMEM;
    if (dynsess__ddb_parse_item(s, doc, &s->reply, &it, &ignore) != DYNSESS_OK || !it.present) {
        dynsess_doc_free(doc);
        doc = 0;
        if ((rc = dynsess__ddb_get(s, key, 1, err))) return rc; /* always consistent here */
        if ((rc = dynsess_doc_new(&s->alloc, &doc, err))) return rc;
        if ((rc = dynsess__ddb_parse_item(s, doc, &s->reply, &it, err))) { dynsess_doc_free(doc); return rc; }
    }
    dynsess_doc_free(doc);
    if (!it.present || (it.has_ttl && it.ttl <= now))
        return dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                             "dynamodb: session was deleted or expired (not resurrected)");
    return dynsess__fail(err, DYNSESS_E_CONFLICT, DYNSESS_NO_OFFSET,
                         "dynamodb: session changed concurrently (version is now %lld)", (long long)it.version);
}

static dynsess_status dynsess__ddb_save_unlocked(dynsess_store *st, const dynsess_write *w, int64_t now,
                                        dynsess_buf *token_out, dynsess_error *err) {
    dynsess__ddb_store *s = (dynsess__ddb_store *)st;
    dynsess_buf *b = &s->body;
    dynsess_str key;
    dynsess_status rc;
    size_t size;
    (void)token_out;
    if ((rc = dynsess__ddb_key(s, w->token, &key, err))) {
        if (rc == DYNSESS_E_NOTFOUND) rc = dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                                         "dynamodb: empty or oversized session id");
        return rc;
    }
    /* DynamoDB item size: attribute names + values, numbers up to 21 bytes */
    size = strlen(s->a_id) + key.len + strlen(s->a_data) + w->data.len + strlen(s->a_created) +
           strlen(s->a_ttl) + strlen(s->a_version) + 3 * 21;
    if (w->data.len > DYNSESS_DDB_MAX_ITEM_SIZE || size > DYNSESS_DDB_MAX_ITEM_SIZE)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                             "dynamodb: session of %lu bytes exceeds the 400 KB item limit (nothing written)",
                             (unsigned long)w->data.len);
    if (w->is_new) {
        if ((rc = dynsess__ddb_begin(s, key, 0, err)) || (rc = dynsess_buf_appendz(b, ",\"Item\":{", err)) ||
            (rc = dynsess__ddb_jz(b, s->a_id, err)) || (rc = dynsess_buf_appendz(b, ":{\"S\":", err)) ||
            (rc = dynsess__ddb_jstr(b, key.ptr, key.len, err)) || (rc = dynsess_buf_appendz(b, "},", err)) ||
            (rc = dynsess__ddb_jz(b, s->a_data, err)) || (rc = dynsess_buf_appendz(b, ":{\"S\":", err)) ||
            (rc = dynsess__ddb_jstr(b, w->data.ptr, w->data.len, err)) || (rc = dynsess_buf_appendz(b, "},", err)) ||
            (rc = dynsess__ddb_jz(b, s->a_created, err)) || (rc = dynsess_buf_appendz(b, ":", err)) ||
            (rc = dynsess__ddb_jnum(b, w->created_at, err)) || (rc = dynsess_buf_appendz(b, ",", err)) ||
            (rc = dynsess__ddb_jz(b, s->a_ttl, err)) || (rc = dynsess_buf_appendz(b, ":", err)) ||
            (rc = dynsess__ddb_jnum(b, w->expires_at, err)) || (rc = dynsess_buf_appendz(b, ",", err)) ||
            (rc = dynsess__ddb_jz(b, s->a_version, err)) || (rc = dynsess_buf_appendz(b, ":", err)) ||
            (rc = dynsess__ddb_jnum(b, w->version + 1, err)) ||
            (rc = dynsess_buf_appendz(b, "},\"ConditionExpression\":\"attribute_not_exists(#i)\"", err)) ||
            (rc = dynsess__ddb_names(s, "i", err)) || (rc = dynsess_buf_appendz(b, "}", err)))
            return rc;
        dynsess_buf_reset(&s->reply);
        rc = dynsess_ddb_call(s->client, "PutItem", dynsess_cstr(b->ptr), &s->reply, 0, err);
        if (rc == DYNSESS_E_CONFLICT)
            rc = dynsess__fail(err, DYNSESS_E_EXISTS, DYNSESS_NO_OFFSET,
                               "dynamodb: session id already taken (not overwritten)");
        return rc;
    }
    /* update: exists, not expired, version unchanged (absent version = 0: items
       written by the Python application) */
    if ((rc = dynsess__ddb_begin(s, key, 1, err)) ||
        (rc = dynsess_buf_appendz(b, ",\"UpdateExpression\":\"SET #d = :d, #t = :t, #v = :nv, "
                                     "#c = if_not_exists(#c, :c)\",\"ConditionExpression\":\""
                                     "attribute_exists(#i) AND (attribute_not_exists(#t) OR #t > :now) AND ", err)) ||
        (rc = dynsess_buf_appendz(b, w->version == 0 ? "(attribute_not_exists(#v) OR #v = :v)\"" : "#v = :v\"", err)) ||
        (rc = dynsess__ddb_names(s, "idctv", err)) ||
        (rc = dynsess_buf_appendz(b, ",\"ExpressionAttributeValues\":{\":d\":{\"S\":", err)) ||
        (rc = dynsess__ddb_jstr(b, w->data.ptr, w->data.len, err)) || (rc = dynsess_buf_appendz(b, "},\":t\":", err)) ||
        (rc = dynsess__ddb_jnum(b, w->expires_at, err)) || (rc = dynsess_buf_appendz(b, ",\":nv\":", err)) ||
        (rc = dynsess__ddb_jnum(b, w->version + 1, err)) || (rc = dynsess_buf_appendz(b, ",\":v\":", err)) ||
        (rc = dynsess__ddb_jnum(b, w->version, err)) || (rc = dynsess_buf_appendz(b, ",\":c\":", err)) ||
        (rc = dynsess__ddb_jnum(b, w->created_at, err)) || (rc = dynsess_buf_appendz(b, ",\":now\":", err)) ||
        (rc = dynsess__ddb_jnum(b, now, err)) ||
        (rc = dynsess_buf_appendz(b, "},\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}", err)))
        return rc;
    dynsess_buf_reset(&s->reply);
    rc = dynsess_ddb_call(s->client, "UpdateItem", dynsess_cstr(b->ptr), &s->reply, 0, err);
    if (rc == DYNSESS_E_CONFLICT) rc = dynsess__ddb_why(s, key, now, err);
    return rc;
}

static dynsess_status dynsess__ddb_destroy_unlocked(dynsess_store *st, dynsess_str token, dynsess_error *err) {
    dynsess__ddb_store *s = (dynsess__ddb_store *)st;
    dynsess_str key;
    dynsess_status rc = dynsess__ddb_key(s, token, &key, err);
    if (rc == DYNSESS_E_NOTFOUND) return DYNSESS_OK; /* nothing could be stored under it */
    if (rc) return rc;
    if ((rc = dynsess__ddb_begin(s, key, 1, err)) || (rc = dynsess_buf_appendz(&s->body, "}", err))) return rc;
    dynsess_buf_reset(&s->reply);
    return dynsess_ddb_call(s->client, "DeleteItem", dynsess_cstr(s->body.ptr), &s->reply, 0, err);
}

static dynsess_status dynsess__ddb_touch_unlocked(dynsess_store *st, dynsess_str token, int64_t expires_at,
                                         int64_t now, dynsess_error *err) {
    dynsess__ddb_store *s = (dynsess__ddb_store *)st;
    dynsess_buf *b = &s->body;
    dynsess_str key;
    dynsess_status rc = dynsess__ddb_key(s, token, &key, err);
    if (rc) return rc;
    if ((rc = dynsess__ddb_begin(s, key, 1, err)) ||
        (rc = dynsess_buf_appendz(b, ",\"UpdateExpression\":\"SET #t = :t\",\"ConditionExpression\":\""
                                     "attribute_exists(#i) AND (attribute_not_exists(#t) OR #t > :now)\"", err)) ||
        (rc = dynsess__ddb_names(s, "it", err)) ||
        (rc = dynsess_buf_appendz(b, ",\"ExpressionAttributeValues\":{\":t\":", err)) ||
        (rc = dynsess__ddb_jnum(b, expires_at, err)) || (rc = dynsess_buf_appendz(b, ",\":now\":", err)) ||
        (rc = dynsess__ddb_jnum(b, now, err)) || (rc = dynsess_buf_appendz(b, "}}", err)))
        return rc;
    dynsess_buf_reset(&s->reply);
    rc = dynsess_ddb_call(s->client, "UpdateItem", dynsess_cstr(b->ptr), &s->reply, 0, err);
    if (rc == DYNSESS_E_CONFLICT)
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                           "dynamodb: session was deleted or expired (not resurrected)");
    return rc;
}

/* The vtable entries: the optional mutex around the unlocked versions. */
#define DYNSESS__DDB_LOCKED(call)                                               \
    dynsess__ddb_store *s_ = (dynsess__ddb_store *)st;                          \
    dynsess_status rc_;                                                         \
    if (s_->thread_safe) pthread_mutex_lock(&s_->mu);                           \
    rc_ = call;                                                                 \
    if (s_->thread_safe) pthread_mutex_unlock(&s_->mu);                         \
    return rc_;
static dynsess_status dynsess__ddb_load(dynsess_store *st, dynsess_str token, int64_t now,
                                        dynsess_record *out, dynsess_error *err) {
    DYNSESS__DDB_LOCKED(dynsess__ddb_load_unlocked(st, token, now, out, err))
}
static dynsess_status dynsess__ddb_save(dynsess_store *st, const dynsess_write *w, int64_t now,
                                        dynsess_buf *token_out, dynsess_error *err) {
    DYNSESS__DDB_LOCKED(dynsess__ddb_save_unlocked(st, w, now, token_out, err))
}
static dynsess_status dynsess__ddb_destroy(dynsess_store *st, dynsess_str token, dynsess_error *err) {
    DYNSESS__DDB_LOCKED(dynsess__ddb_destroy_unlocked(st, token, err))
}
static dynsess_status dynsess__ddb_touch(dynsess_store *st, dynsess_str token, int64_t expires_at,
                                         int64_t now, dynsess_error *err) {
    DYNSESS__DDB_LOCKED(dynsess__ddb_touch_unlocked(st, token, expires_at, now, err))
}
#undef DYNSESS__DDB_LOCKED

static void dynsess__ddb_close(dynsess_store *st) {
    dynsess__ddb_store *s = (dynsess__ddb_store *)st;
    dynsess_allocator a;
    if (!s) return;
    a = s->alloc;
    if (s->own_client) dynsess_ddb_free(s->client);
    if (s->thread_safe) pthread_mutex_destroy(&s->mu);
    dynsess_buf_free(&s->body);
    dynsess_buf_free(&s->reply);
    dynsess__free(&a, s->names);
    dynsess_wipe(s, sizeof *s);
    dynsess__free(&a, s);
}

static const dynsess_store_vt dynsess__ddb_vt = {
    "dynamodb", 0, dynsess__ddb_load, dynsess__ddb_save, dynsess__ddb_destroy, dynsess__ddb_touch,
    dynsess__ddb_close};

DYNSESS_DEF dynsess_ddb *dynsess_store_dynamodb_client(dynsess_store *st) {
    if (!st || st->vt != &dynsess__ddb_vt) return 0;
    return ((dynsess__ddb_store *)st)->client;
}

/* 1 if t is a valid DynamoDB table name: [a-zA-Z0-9_.-]{3,255}. */
static int dynsess__ddb_table_ok(const char *t) {
    size_t n = strlen(t), i;
    if (n < 3 || n > 255) return 0;
    for (i = 0; i < n; i++) {
        char ch = t[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-'))
            return 0;
    }
    return 1;
}

DYNSESS_DEF dynsess_status dynsess_store_dynamodb_new(const dynsess_dynamodb_desc *desc,
                                                      dynsess_store **out, dynsess_error *err) {
    dynsess__ddb_store *s;
    dynsess_dynamodb_desc d;
    const char *names[6];
    size_t total = 0, i, lens[6];
    dynsess_status rc;
    char *p;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "dynamodb: out is 0");
    *out = 0;
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    if (!dynsess__allocator_valid(&d.ddb.allocator))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "dynamodb: allocator needs both alloc and free (ddb.allocator)");
    names[0] = d.table && d.table[0] ? d.table : DYNSESS_DDB_DEFAULT_TABLE;
    names[1] = d.attr_id && d.attr_id[0] ? d.attr_id : "session_id";
    names[2] = d.attr_data && d.attr_data[0] ? d.attr_data : "user_data";
    names[3] = d.attr_created && d.attr_created[0] ? d.attr_created : "created_at";
    names[4] = d.attr_ttl && d.attr_ttl[0] ? d.attr_ttl : "ttl";
    names[5] = d.attr_version && d.attr_version[0] ? d.attr_version : "version";
    if (!dynsess__ddb_table_ok(names[0]))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "dynamodb: table name must be 3-255 of [a-zA-Z0-9_.-] (table)");
    for (i = 0; i < 6; i++) {
        lens[i] = strlen(names[i]);
        if (lens[i] > 255)
            return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET, "dynamodb: attribute name too long");
        total += lens[i] + 1;
    }
    for (i = 1; i < 6; i++) {
        size_t j;
        for (j = i + 1; j < 6; j++)
            if (!strcmp(names[i], names[j]))
                return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                                     "dynamodb: attribute names must differ ('%s' twice)", names[i]);
    }
    if (d.hash_ids && (d.id_key.len < 32 || d.id_key.len > 256 || !d.id_key.ptr))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "dynamodb: hash_ids needs an id_key of 32 to 256 bytes (id_key)");
    s = (dynsess__ddb_store *)dynsess__alloc(&d.ddb.allocator, sizeof *s);
    if (!s) return dynsess__fail_nomem(err, "dynamodb");
    memset(s, 0, sizeof *s);
    s->base.vt = &dynsess__ddb_vt;
    s->alloc = d.ddb.allocator;
    s->logger = d.ddb.logger;
    dynsess_buf_init(&s->body, &s->alloc);
    dynsess_buf_init(&s->reply, &s->alloc);
    s->names = (char *)dynsess__alloc(&s->alloc, total);
    if (!s->names) { rc = dynsess__fail_nomem(err, "dynamodb"); goto fail; }
    for (p = s->names, i = 0; i < 6; i++) {
        memcpy(p, names[i], lens[i] + 1);
        names[i] = p;
        p += lens[i] + 1;
    }
    s->table = names[0]; s->a_id = names[1]; s->a_data = names[2];
    s->a_created = names[3]; s->a_ttl = names[4]; s->a_version = names[5];
    s->consistent = !d.eventual_reads;
    s->hash_ids = d.hash_ids != 0;
    if (s->hash_ids) {
        memcpy(s->id_key, d.id_key.ptr, d.id_key.len);
        s->id_key_len = d.id_key.len;
    }
    if (d.thread_safe) {
        if (pthread_mutex_init(&s->mu, 0) != 0) {
            rc = dynsess__fail(err, DYNSESS_E_INTERNAL, DYNSESS_NO_OFFSET, "dynamodb: pthread_mutex_init failed");
            goto fail;
        }
        s->thread_safe = 1;
    }
    if (d.client) s->client = d.client;
    else {
        if ((rc = dynsess_ddb_new(&d.ddb, &s->client, err))) goto fail;
        s->own_client = 1;
    }
    if (!d.no_startup_check) {
        uint8_t rnd[16];
        char probe[64];
        memcpy(probe, "dynsess-probe-", 14);
        if ((rc = dynsess__rng_fill(&d.ddb.rng, rnd, sizeof rnd, err))) goto fail;
        dynsess_hex_encode(rnd, sizeof rnd, probe + 14);
        rc = dynsess__ddb_get(s, dynsess_cstr(probe), s->consistent, err);
        if (rc) {
            if (err) {
                char tmp[DYNSESS_ERROR_MSG_SIZE];
                memcpy(tmp, err->msg, sizeof tmp);
                dynsess__fail(err, rc, DYNSESS_NO_OFFSET, "dynamodb: table '%.60s' unusable: %s", s->table,
                              strncmp(tmp, "dynamodb: ", 10) ? tmp : tmp + 10);
            }
            goto fail;
        }
    }
    *out = &s->base;
    return DYNSESS_OK;
fail:
    dynsess__ddb_close(&s->base);
    return rc;
}

/* ---- environment configuration and the memory fallback -------------------------------- */
typedef struct dynsess__ddb_fallback {
    dynsess_store base;
    dynsess_store *inner;
    dynsess_allocator alloc;
} dynsess__ddb_fallback;

static dynsess_status dynsess__fb_load(dynsess_store *st, dynsess_str token, int64_t now,
                                       dynsess_record *out, dynsess_error *err) {
    dynsess_store *in = ((dynsess__ddb_fallback *)st)->inner;
    return in->vt->load(in, token, now, out, err);
}
static dynsess_status dynsess__fb_save(dynsess_store *st, const dynsess_write *w, int64_t now,
                                       dynsess_buf *token_out, dynsess_error *err) {
    dynsess_store *in = ((dynsess__ddb_fallback *)st)->inner;
    return in->vt->save(in, w, now, token_out, err);
}
static dynsess_status dynsess__fb_destroy(dynsess_store *st, dynsess_str token, dynsess_error *err) {
    dynsess_store *in = ((dynsess__ddb_fallback *)st)->inner;
    return in->vt->destroy(in, token, err);
}
static dynsess_status dynsess__fb_touch(dynsess_store *st, dynsess_str token, int64_t expires_at,
                                        int64_t now, dynsess_error *err) {
    dynsess_store *in = ((dynsess__ddb_fallback *)st)->inner;
    if (!in->vt->touch)
        return dynsess__fail(err, DYNSESS_E_UNSUPPORTED, DYNSESS_NO_OFFSET, "memory: touch not supported");
    return in->vt->touch(in, token, expires_at, now, err);
}
static void dynsess__fb_close(dynsess_store *st) {
    dynsess__ddb_fallback *f = (dynsess__ddb_fallback *)st;
    dynsess_allocator a;
    if (!f) return;
    a = f->alloc;
    dynsess_store_close(f->inner);
    dynsess__free(&a, f);
}
static const dynsess_store_vt dynsess__ddb_fallback_vt = {
    "memory", 0, dynsess__fb_load, dynsess__fb_save, dynsess__fb_destroy, dynsess__fb_touch,
    dynsess__fb_close};

DYNSESS_DEF int dynsess_store_degraded(const dynsess_store *st) {
    return st && st->vt == &dynsess__ddb_fallback_vt;
}

static const char *dynsess__ddb_getenv(const dynsess_env *env, const char *name) {
    if (env && env->get) return env->get(env->user, name);
    return getenv(name);
}

DYNSESS_DEF dynsess_status dynsess_store_from_env(const dynsess_env_store_desc *desc,
                                                  dynsess_store **out, int *degraded,
                                                  dynsess_error *err) {
    dynsess_env_store_desc d;
    const char *v;
    dynsess_status rc;
    dynsess_error derr;
    dynsess_store *mem = 0;
    dynsess__ddb_fallback *f;
    if (degraded) *degraded = 0;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "dynamodb: out is 0");
    *out = 0;
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    if (!d.logger.func) d.logger = d.dynamodb.ddb.logger;
    v = dynsess__ddb_getenv(&d.dynamodb.ddb.env, "USE_DYNAMODB_SESSIONS");
    if (!v || !(dynsess__ddb_streq_ci(v, "true") || !strcmp(v, "1") || dynsess__ddb_streq_ci(v, "yes"))) {
        dynsess__log(&d.logger, DYNSESS_LOG_INFO, "sessions: USE_DYNAMODB_SESSIONS is not true: in-memory store");
        return dynsess_store_memory_new(d.memory, out, err);
    }
    if (!d.dynamodb.table || !d.dynamodb.table[0])
        d.dynamodb.table = dynsess__ddb_getenv(&d.dynamodb.ddb.env, "SESSION_TABLE_NAME");
    v = dynsess__ddb_getenv(&d.dynamodb.ddb.env, "DYNSESS_FALLBACK");
    if (v && (dynsess__ddb_streq_ci(v, "off") || dynsess__ddb_streq_ci(v, "false") || !strcmp(v, "0")))
        d.no_fallback = 1;
    dynsess_error_clear(&derr);
    rc = dynsess_store_dynamodb_new(&d.dynamodb, out, &derr);
    if (rc == DYNSESS_OK) {
        dynsess__log(&d.logger, DYNSESS_LOG_INFO, "sessions: dynamodb store, table '%.100s'",
                     d.dynamodb.table && d.dynamodb.table[0] ? d.dynamodb.table : DYNSESS_DDB_DEFAULT_TABLE);
        return DYNSESS_OK;
    }
    if (d.no_fallback || rc == DYNSESS_E_NOMEM) {
        if (err) *err = derr;
        return rc;
    }
    dynsess__log(&d.logger, DYNSESS_LOG_WARN,
                 "sessions: DEGRADED: %s; falling back to the in-memory store (sessions are lost on "
                 "restart and not shared between instances)", derr.msg);
    if ((rc = dynsess_store_memory_new(d.memory, &mem, err))) return rc;
    f = (dynsess__ddb_fallback *)dynsess__alloc(&d.dynamodb.ddb.allocator, sizeof *f);
    if (!f) {
        dynsess_store_close(mem);
        return dynsess__fail_nomem(err, "dynamodb");
    }
    f->base.vt = &dynsess__ddb_fallback_vt;
    f->inner = mem;
    f->alloc = d.dynamodb.ddb.allocator;
    *out = &f->base;
    if (degraded) *degraded = 1;
    return DYNSESS_OK;
}
#undef DYNSESS__DDB_MAX_ID
