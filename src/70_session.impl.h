/* ======================================================================
   @session  implementation: desc resolution, the dict, Cookie header
             parsing (RFC 6265 §5.4), Set-Cookie (RFC 6265 §4.1), the
             request cycle with conflict merging
   Assumes: the store contract of @store; values and dict live in one
   dynsess_doc per session.
   ====================================================================== */
#define DYNSESS__MAX_COOKIE_TRIES 4

struct dynsess_ctx {
    dynsess_desc desc;        /* resolved; strings point into `strings` */
    dynsess_store *store;
    int owns_store;
    int self_contained;
    char *strings;
    size_t strings_len;
};

struct dynsess_session {
    dynsess_ctx *ctx;
    dynsess_doc *doc;
    dynsess_value *root;      /* the dict */
    dynsess_value *journal;   /* keys this request set or popped (values: null) */
    dynsess_buf orig;         /* the dict's JSON text as loaded ("{}" for new) */
    dynsess_buf token;        /* server stores: the id; self-contained: cookie value */
    int64_t created_at, expires_at, version;
    int is_new, stale, had_cookie, regenerated, destroyed;
    char reason[DYNSESS_ERROR_MSG_SIZE];
};

/* ---- small helpers -------------------------------------------------------- */
/* RFC 7230 §3.2.6 tchar: what a cookie-name may hold (RFC 6265 §4.1.1). */
static int dynsess__sess_is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != 0;
}
/* 1 if all n bytes are RFC 6265 §4.1.1 cookie-octets (%x21 / %x23-2B /
   %x2D-3A / %x3C-5B / %x5D-7E). A bitmap and no early exit: sealed values
   are random, so a chain of compares would mispredict on every byte. */
static int dynsess__sess_cookie_octets(const char *p, size_t n) {
    static const uint32_t ok[8] = { 0x00000000u, 0xf7ffeffau, 0xefffffffu, 0x7fffffffu,
                                    0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u };
    uint32_t all = 1;
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned c = (unsigned char)p[i];
        all &= ok[c >> 5] >> (c & 31);
    }
    return (int)(all & 1);
}

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static int dynsess__sess_utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k, need;
        unsigned cp, min;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n - i <= need) return 0;
        for (k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += need + 1;
    }
    return 1;
}

static void dynsess__sess_reason(dynsess_session *s, const char *msg) {
    size_t n = strlen(msg);
    if (n >= sizeof s->reason) n = sizeof s->reason - 1;
    memcpy(s->reason, msg, n);
    s->reason[n] = 0;
}

/* The record's token as a dynsess_str (never a null pointer). */
static dynsess_str dynsess__sess_tokstr(const dynsess_session *s) {
    dynsess_str r;
    r.ptr = s->token.ptr ? s->token.ptr : "";
    r.len = s->token.len;
    return r;
}

static int64_t dynsess__sess_expiry(const dynsess_ctx *ctx, int64_t created_at, int64_t now) {
    int64_t idle = now + ctx->desc.idle_timeout_s;
    int64_t abs_end = created_at + ctx->desc.absolute_timeout_s;
    return idle < abs_end ? idle : abs_end;
}

static int dynsess__sess_buf_eq(const dynsess_buf *a, const dynsess_buf *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

static void dynsess__sess_buf_swap(dynsess_buf *a, dynsess_buf *b) {
    dynsess_buf t = *a;
    *a = *b;
    *b = t;
}

/* A session id: DYNSESS_ID_LEN base64url chars that decode canonically to 32 bytes. */
static int dynsess__sess_id_valid(dynsess_str v) {
    uint8_t raw[DYNSESS_ID_BYTES];
    size_t n = 0;
    int ok = v.len == DYNSESS_ID_LEN &&
             dynsess_base64url_decode(v.ptr, v.len, raw, sizeof raw, &n, 0) == DYNSESS_OK &&
             n == DYNSESS_ID_BYTES;
    dynsess_wipe(raw, sizeof raw);
    return ok;
}

static dynsess_status dynsess__sess_new_id(const dynsess_ctx *ctx, dynsess_buf *out,
                                           dynsess_error *err) {
    uint8_t raw[DYNSESS_ID_BYTES];
    char enc[DYNSESS_ID_LEN + 1];
    dynsess_status rc = dynsess__rng_fill(&ctx->desc.rng, raw, sizeof raw, err);
    if (rc == DYNSESS_OK) {
        dynsess_base64url_encode(raw, sizeof raw, enc, sizeof enc);
        dynsess_buf_reset(out);
        rc = dynsess_buf_append(out, enc, DYNSESS_ID_LEN, err);
    }
    dynsess_wipe(raw, sizeof raw);
    dynsess_wipe(enc, sizeof enc);
    return rc;
}

/* ---- setup ------------------------------------------------------------------ */
static dynsess_status dynsess__sess_check_attr(const char *v, int allow_space, const char *field,
                                               dynsess_error *err) {
    const unsigned char *p = (const unsigned char *)v;
    if (!*p)
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "session: empty cookie attribute (dynsess_desc.%s)", field);
    for (; *p; p++)
        if (*p < 0x20 || *p == 0x7F || *p == ';' || (*p == ' ' && !allow_space) || *p > 0x7E)
            return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(p - (const unsigned char *)v),
                                 "session: character not allowed in a cookie attribute "
                                 "(dynsess_desc.%s)", field);
    return DYNSESS_OK;
}

static dynsess_status dynsess__sess_check_desc(const dynsess_desc *d, dynsess_error *err) {
    const unsigned char *p;
    dynsess_status rc;
#define DYNSESS__CONFIG_ERR(msg) \
    dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET, "session: " msg)
    if (!dynsess__allocator_valid(&d->allocator))
        return DYNSESS__CONFIG_ERR("allocator needs both alloc and free (dynsess_desc.allocator)");
    if (!d->cookie_name[0] || strlen(d->cookie_name) > 256)
        return DYNSESS__CONFIG_ERR("cookie name must be 1..256 characters (dynsess_desc.cookie_name)");
    for (p = (const unsigned char *)d->cookie_name; *p; p++)
        if (!dynsess__sess_is_tchar(*p))
            return DYNSESS__CONFIG_ERR("cookie name must be an RFC 6265 token "
                                       "(dynsess_desc.cookie_name)");
    if (d->cookie_path[0] != '/')
        return DYNSESS__CONFIG_ERR("cookie path must start with '/' (dynsess_desc.cookie_path)");
    rc = dynsess__sess_check_attr(d->cookie_path, 1, "cookie_path", err);
    if (rc) return rc;
    if (d->cookie_domain) {
        rc = dynsess__sess_check_attr(d->cookie_domain, 0, "cookie_domain", err);
        if (rc) return rc;
    }
    if ((int)d->same_site < (int)DYNSESS_SAME_SITE_DEFAULT ||
        (int)d->same_site > (int)DYNSESS_SAME_SITE_OMIT)
        return DYNSESS__CONFIG_ERR("unknown same_site value (dynsess_desc.same_site)");
    if (d->same_site == DYNSESS_SAME_SITE_NONE && d->insecure_cookie)
        return DYNSESS__CONFIG_ERR("SameSite=None needs the Secure attribute "
                                   "(dynsess_desc.same_site, dynsess_desc.insecure_cookie)");
    if (d->idle_timeout_s < 0)
        return DYNSESS__CONFIG_ERR("negative timeout (dynsess_desc.idle_timeout_s)");
    if (d->absolute_timeout_s < 0)
        return DYNSESS__CONFIG_ERR("negative timeout (dynsess_desc.absolute_timeout_s)");
    if (d->touch_after_s < 0)
        return DYNSESS__CONFIG_ERR("negative interval (dynsess_desc.touch_after_s)");
    if (d->max_retries < 0)
        return DYNSESS__CONFIG_ERR("negative retry count (dynsess_desc.max_retries)");
    if (d->max_cookie_len < 64)
        return DYNSESS__CONFIG_ERR("max_cookie_len below 64 bytes (dynsess_desc.max_cookie_len)");
    if (d->max_session_len < 2)
        return DYNSESS__CONFIG_ERR("max_session_len below 2 bytes (dynsess_desc.max_session_len)");
#undef DYNSESS__CONFIG_ERR
    return DYNSESS_OK;
}

/* Copies a string into the ctx string block at *off. */
static const char *dynsess__sess_keep(dynsess_ctx *ctx, size_t *off, const char *s) {
    size_t n;
    char *p;
    if (!s) return 0;
    n = strlen(s) + 1;
    p = ctx->strings + *off;
    memcpy(p, s, n);
    *off += n;
    return p;
}

DYNSESS_DEF dynsess_status dynsess_setup(dynsess_ctx **out, const dynsess_desc *desc,
                                         dynsess_error *err) {
    dynsess_desc d;
    dynsess_ctx *ctx;
    dynsess_status rc;
    size_t total = 0, off = 0;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: out is 0");
    *out = 0;
    if (!desc) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: desc is 0");
    d = *desc;
    DYNSESS__DEF(d.cookie_name, "session");
    DYNSESS__DEF(d.cookie_path, "/");
    DYNSESS__DEF(d.max_age_s, 3600);
    if (d.same_site == DYNSESS_SAME_SITE_DEFAULT) d.same_site = DYNSESS_SAME_SITE_LAX;
    DYNSESS__DEF(d.idle_timeout_s, 3600);
    DYNSESS__DEF(d.absolute_timeout_s, 86400);
    DYNSESS__DEF(d.max_cookie_len, 4096);
    DYNSESS__DEF(d.max_session_len, 262144);
    DYNSESS__DEF(d.json.max_depth, 128);
    d.json.max_len = d.max_session_len;
    DYNSESS__DEF(d.max_retries, 5);
    d.insecure_cookie = d.insecure_cookie ? 1 : 0;
    d.no_http_only = d.no_http_only ? 1 : 0;
    rc = dynsess__sess_check_desc(&d, err);
    if (rc) return rc;
    if (d.store && (!d.store->vt || !d.store->vt->load || !d.store->vt->save ||
                    !d.store->vt->destroy))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "session: store vtable lacks load, save or destroy (dynsess_desc.store)");
    total = strlen(d.cookie_name) + strlen(d.cookie_path) + 2 +
            (d.cookie_domain ? strlen(d.cookie_domain) + 1 : 0);
    ctx = (dynsess_ctx *)dynsess__alloc(&d.allocator, sizeof *ctx);
    if (!ctx) return dynsess__fail_nomem(err, "session");
    memset(ctx, 0, sizeof *ctx);
    ctx->strings = (char *)dynsess__alloc(&d.allocator, total);
    if (!ctx->strings) {
        dynsess__free(&d.allocator, ctx);
        return dynsess__fail_nomem(err, "session");
    }
    ctx->strings_len = total;
    d.cookie_name = dynsess__sess_keep(ctx, &off, d.cookie_name);
    d.cookie_path = dynsess__sess_keep(ctx, &off, d.cookie_path);
    d.cookie_domain = dynsess__sess_keep(ctx, &off, d.cookie_domain);
    if (d.store) {
        ctx->store = d.store;
    } else {
        dynsess_cookie_desc cd;
        int i;
        memset(&cd, 0, sizeof cd);
        for (i = 0; i < DYNSESS_MAX_SECRETS; i++) cd.secrets[i] = d.secrets[i];
        cd.cookie_name = d.cookie_name;
        cd.max_cookie_len = d.max_cookie_len;
        cd.rng = d.rng;
        cd.allocator = d.allocator;
        rc = dynsess_store_cookie_new(&cd, &ctx->store, err);
        dynsess_wipe(&cd, sizeof cd);
        if (rc) {
            dynsess__free(&d.allocator, ctx->strings);
            dynsess__free(&d.allocator, ctx);
            return rc;
        }
        ctx->owns_store = 1;
        d.store = ctx->store;
    }
    /* the ctx keeps no secrets: the cookie store holds its own copies */
    memset(d.secrets, 0, sizeof d.secrets);
    ctx->desc = d;
    ctx->self_contained = (ctx->store->vt->flags & DYNSESS_STORE_SELF_CONTAINED) != 0;
    *out = ctx;
    return DYNSESS_OK;
}

DYNSESS_DEF void dynsess_shutdown(dynsess_ctx *ctx) {
    dynsess_allocator a;
    if (!ctx) return;
    a = ctx->desc.allocator;
    if (ctx->owns_store) dynsess_store_close(ctx->store);
    dynsess__free(&a, ctx->strings);
    dynsess__free(&a, ctx);
}

DYNSESS_DEF const dynsess_desc *dynsess_query_desc(const dynsess_ctx *ctx) {
    return ctx ? &ctx->desc : 0;
}

DYNSESS_DEF dynsess_store *dynsess_query_store(const dynsess_ctx *ctx) {
    return ctx ? ctx->store : 0;
}

/* ---- Set-Cookie (RFC 6265 §4.1) --------------------------------------------- */
/* Writes "name=value; Path=..; Domain=..; Max-Age=..; HttpOnly; Secure;
   SameSite=..", or the clearing form (value empty, Max-Age=0, Expires in
   1970) when clear is set, into out (cap bytes, NUL-terminated).
   E_COOKIE_SIZE past max_cookie_len, E_BUFFER past cap (*out_len = need). */
/* Appends n bytes to out if they fit (cap counts the NUL); *len always
   grows, so the caller learns the length needed. No allocation. */
static void dynsess__sess_emit_bytes(char *out, size_t cap, size_t *len, const char *p, size_t n) {
    if (out && *len < cap && cap - *len > n) memcpy(out + *len, p, n);
    *len += n;
}

static dynsess_status dynsess__sess_set_cookie(const dynsess_ctx *ctx, dynsess_str value,
                                               int64_t max_age, int clear, char *out, size_t cap,
                                               size_t *out_len, dynsess_error *err) {
    const dynsess_desc *d = &ctx->desc;
    char num[32];
    size_t len = 0;
    if (out_len) *out_len = 0;
    if (!dynsess__sess_cookie_octets(value.ptr, value.len))
        return dynsess__fail(err, DYNSESS_E_INTERNAL, DYNSESS_NO_OFFSET,
                             "session: the store returned a token a cookie cannot carry");
#define DYNSESS__PUT(p, n) dynsess__sess_emit_bytes(out, cap, &len, (p), (n))
#define DYNSESS__PUTZ(z) DYNSESS__PUT((z), strlen(z))
    DYNSESS__PUTZ(d->cookie_name);
    DYNSESS__PUT("=", 1);
    if (!clear) DYNSESS__PUT(value.ptr, value.len);
    DYNSESS__PUTZ("; Path=");
    DYNSESS__PUTZ(d->cookie_path);
    if (d->cookie_domain) {
        DYNSESS__PUTZ("; Domain=");
        DYNSESS__PUTZ(d->cookie_domain);
    }
    if (clear) {
        DYNSESS__PUTZ("; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    } else if (d->max_age_s >= 0) {
        if (max_age > d->max_age_s) max_age = d->max_age_s;
        if (max_age < 0) max_age = 0;
        snprintf(num, sizeof num, "; Max-Age=%lld", (long long)max_age);
        DYNSESS__PUTZ(num);
    }
    if (!d->no_http_only) DYNSESS__PUTZ("; HttpOnly");
    if (!d->insecure_cookie) DYNSESS__PUTZ("; Secure");
    if (d->same_site == DYNSESS_SAME_SITE_LAX) DYNSESS__PUTZ("; SameSite=Lax");
    else if (d->same_site == DYNSESS_SAME_SITE_STRICT) DYNSESS__PUTZ("; SameSite=Strict");
    else if (d->same_site == DYNSESS_SAME_SITE_NONE) DYNSESS__PUTZ("; SameSite=None");
#undef DYNSESS__PUT
#undef DYNSESS__PUTZ
    if (len > d->max_cookie_len) {
        if (out && cap) out[0] = 0;
        return dynsess__fail(err, DYNSESS_E_COOKIE_SIZE, DYNSESS_NO_OFFSET,
                             "session: Set-Cookie would be %lu bytes, over the limit of %lu "
                             "(store less, use a server-side store, or raise "
                             "dynsess_desc.max_cookie_len)",
                             (unsigned long)len, (unsigned long)d->max_cookie_len);
    }
    if (out_len) *out_len = len;
    if (!out || cap <= len) {
        if (out && cap) out[0] = 0;
        return dynsess__fail(err, DYNSESS_E_BUFFER, DYNSESS_NO_OFFSET,
                             "session: Set-Cookie needs %lu bytes, the buffer has %lu",
                             (unsigned long)len + 1, (unsigned long)cap);
    }
    out[len] = 0;
    return DYNSESS_OK;
}

/* ---- sessions ----------------------------------------------------------------- */
static dynsess_status dynsess__sess_alloc(dynsess_ctx *ctx, dynsess_session **out,
                                          dynsess_error *err) {
    dynsess_session *s;
    dynsess_status rc;
    *out = 0;
    s = (dynsess_session *)dynsess__alloc(&ctx->desc.allocator, sizeof *s);
    if (!s) return dynsess__fail_nomem(err, "session");
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    dynsess_buf_init(&s->orig, &ctx->desc.allocator);
    dynsess_buf_init(&s->token, &ctx->desc.allocator);
    rc = dynsess_doc_new(&ctx->desc.allocator, &s->doc, err);
    if (rc) goto fail;
    s->root = dynsess_value_new_object(s->doc);
    s->journal = dynsess_value_new_object(s->doc);
    if (!s->root || !s->journal) { rc = dynsess__fail_nomem(err, "session"); goto fail; }
    *out = s;
    return DYNSESS_OK;
fail:
    dynsess_release(s);
    return rc;
}

DYNSESS_DEF void dynsess_release(dynsess_session *s) {
    dynsess_allocator a;
    if (!s) return;
    a = s->ctx->desc.allocator;
    dynsess_doc_free(s->doc);
    dynsess_buf_free(&s->orig);
    dynsess_buf_free(&s->token);
    dynsess_wipe(s, sizeof *s);
    dynsess__free(&a, s);
}

/* Next cookie-pair named `name` in header h (RFC 6265 §5.4 with §4.2.1
   grammar, leniently: OWS around pairs, names and values are trimmed, one
   DQUOTE pair around a value is removed, pairs without '=' are skipped). */
static int dynsess__sess_next_cookie(const char *h, size_t len, size_t *pos, const char *name,
                                     size_t name_len, dynsess_str *value) {
    while (*pos < len) {
        size_t a = *pos, e = a, eq, na, ne, va, ve;
        while (e < len && h[e] != ';') e++;
        *pos = e + 1;
        while (a < e && (h[a] == ' ' || h[a] == '\t')) a++;
        eq = a;
        while (eq < e && h[eq] != '=') eq++;
        if (eq == e) continue;
        na = a;
        ne = eq;
        while (ne > na && (h[ne - 1] == ' ' || h[ne - 1] == '\t')) ne--;
        va = eq + 1;
        ve = e;
        while (va < ve && (h[va] == ' ' || h[va] == '\t')) va++;
        while (ve > va && (h[ve - 1] == ' ' || h[ve - 1] == '\t')) ve--;
        if (ne - na != name_len || memcmp(h + na, name, name_len) != 0) continue;
        if (ve - va >= 2 && h[va] == '"' && h[ve - 1] == '"') { va++; ve--; }
        value->ptr = h + va;
        value->len = ve - va;
        return 1;
    }
    return 0;
}

/* Tries to adopt the record behind cookie value v. OK: adopted. E_NOTFOUND:
   not adopted, s->reason says why. Other codes: a store failure or OOM. */
static dynsess_status dynsess__sess_adopt(dynsess_ctx *ctx, dynsess_session *s, dynsess_str v,
                                          int64_t now, dynsess_record *rec, dynsess_error *err) {
    dynsess_error e;
    dynsess_value *root = 0;
    dynsess_status rc;
    char msg[DYNSESS_ERROR_MSG_SIZE];
    dynsess_error_clear(&e);
    if (!v.len) { dynsess__sess_reason(s, "cookie: empty value"); return DYNSESS_E_NOTFOUND; }
    if (v.len > ctx->desc.max_cookie_len) {
        dynsess__sess_reason(s, "cookie: value too long");
        return DYNSESS_E_NOTFOUND;
    }
    if (!ctx->self_contained && !dynsess__sess_id_valid(v)) {
        dynsess__sess_reason(s, "cookie: malformed session id");
        return DYNSESS_E_NOTFOUND;
    }
    dynsess_buf_reset(&rec->data);
    rec->created_at = rec->expires_at = rec->version = 0;
    rec->stale = 0;
    rc = ctx->store->vt->load(ctx->store, v, now, rec, &e);
    if (rc == DYNSESS_E_NOTFOUND) {
        dynsess__sess_reason(s, e.msg[0] ? e.msg : "session: unknown session");
        return rc;
    }
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    if (rec->expires_at <= now) {
        dynsess__sess_reason(s, "session: expired");
        return DYNSESS_E_NOTFOUND;
    }
    if (rec->created_at <= now - ctx->desc.absolute_timeout_s) {
        dynsess__sess_reason(s, "session: absolute lifetime over");
        return DYNSESS_E_NOTFOUND;
    }
    if (rec->data.len > ctx->desc.max_session_len) {
        dynsess__sess_reason(s, "session: stored data larger than max_session_len");
        return DYNSESS_E_NOTFOUND;
    }
    rc = dynsess_json_parse(s->doc, rec->data.ptr ? rec->data.ptr : "", rec->data.len,
                            &ctx->desc.json, &root, &e);
    if (rc == DYNSESS_E_NOMEM) {
        if (err) *err = e;
        return rc;
    }
    if (rc || dynsess_value_type(root) != DYNSESS_JSON_OBJECT) {
        /* built by hand: snprintf would warn about truncating e.msg */
        const char *detail = rc ? e.msg : "not a json object";
        const char *head = "session: stored data unreadable (";
        size_t hn = strlen(head), dn = strlen(detail);
        if (dn > sizeof msg - hn - 2) dn = sizeof msg - hn - 2;
        memcpy(msg, head, hn);
        memcpy(msg + hn, detail, dn);
        msg[hn + dn] = ')';
        msg[hn + dn + 1] = 0;
        dynsess__sess_reason(s, msg);
        return DYNSESS_E_NOTFOUND;
    }
    rc = dynsess_buf_append(&s->token, v.ptr, v.len, err);
    if (rc) return rc;
    s->root = root;
    dynsess__sess_buf_swap(&s->orig, &rec->data);
    s->created_at = rec->created_at;
    s->expires_at = rec->expires_at;
    s->version = rec->version;
    s->stale = rec->stale ? 1 : 0;
    s->is_new = 0;
    s->reason[0] = 0;
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_load(dynsess_ctx *ctx, const char *cookie_header, size_t len,
                                        dynsess_session **out, dynsess_error *err) {
    dynsess_session *s = 0;
    dynsess_record rec;
    dynsess_status rc;
    dynsess_str v;
    size_t pos = 0, name_len;
    int tries = 0, adopted = 0;
    int64_t now;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: out is 0");
    *out = 0;
    if (!ctx) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: ctx is 0");
    if (!cookie_header) len = 0;
    now = dynsess__clock_now(&ctx->desc.clock);
    memset(&rec, 0, sizeof rec);
    dynsess_buf_init(&rec.data, &ctx->desc.allocator);
    rc = dynsess__sess_alloc(ctx, &s, err);
    if (rc || !s) goto done;
    dynsess__sess_reason(s, "no session cookie");
    name_len = strlen(ctx->desc.cookie_name);
    while (tries < DYNSESS__MAX_COOKIE_TRIES &&
           dynsess__sess_next_cookie(cookie_header, len, &pos, ctx->desc.cookie_name, name_len,
                                     &v)) {
        tries++;
        s->had_cookie = 1;
        rc = dynsess__sess_adopt(ctx, s, v, now, &rec, err);
        if (rc == DYNSESS_OK) { adopted = 1; break; }
        if (rc != DYNSESS_E_NOTFOUND) goto done;
        dynsess__log(&ctx->desc.logger, DYNSESS_LOG_DEBUG, "session: cookie not adopted (%s)",
                     s->reason);
    }
    rc = DYNSESS_OK;
    if (!adopted) {
        rc = dynsess_buf_append(&s->orig, "{}", 2, err);
        if (rc) goto done;
        s->is_new = 1;
        s->created_at = now;
        s->expires_at = dynsess__sess_expiry(ctx, now, now);
        s->version = 0;
    }
done:
    dynsess_buf_free(&rec.data);
    if (rc) {
        dynsess_release(s);
        return rc;
    }
    *out = s;
    return DYNSESS_OK;
}

/* Serializes the dict (limit max_session_len). */
static dynsess_status dynsess__sess_serialize(const dynsess_session *s, dynsess_buf *out,
                                              dynsess_error *err) {
    dynsess_status rc;
    dynsess_buf_reset(out);
    out->limit = s->ctx->desc.max_session_len;
    rc = dynsess_json_write(s->root, out, err);
    if (rc == DYNSESS_E_LIMIT)
        return dynsess__fail(err, rc, DYNSESS_NO_OFFSET,
                             "session: the session's json exceeds %lu bytes "
                             "(dynsess_desc.max_session_len)",
                             (unsigned long)s->ctx->desc.max_session_len);
    return rc;
}

/* The store said the record is gone (logout elsewhere): do not resurrect. */
static dynsess_status dynsess__sess_dropped(dynsess_ctx *ctx, dynsess_session *s, char *out,
                                            size_t cap, size_t *out_len, dynsess_error *err) {
    dynsess_str none = {0, 0};
    dynsess__sess_reason(s, "session: destroyed by another request, changes dropped");
    dynsess__log(&ctx->desc.logger, DYNSESS_LOG_WARN, "%s", s->reason);
    s->destroyed = 1;
    return dynsess__sess_set_cookie(ctx, none, 0, 1, out, cap, out_len, err);
}

/* Re-applies this request's changes onto fresh (the record another request
   saved): every key in the journal or whose value differs from the loaded
   one takes our value (or is removed if we no longer have it). */
static dynsess_status dynsess__sess_merge(dynsess_session *s, dynsess_record *rec,
                                          dynsess_error *err) {
    const dynsess_json_opts *opts = &s->ctx->desc.json;
    dynsess_value *orig = 0, *fresh = 0;
    dynsess_status rc;
    size_t i, n;
    rc = dynsess_json_parse(s->doc, s->orig.ptr, s->orig.len, opts, &orig, err);
    if (rc) return rc;
    rc = dynsess_json_parse(s->doc, rec->data.ptr ? rec->data.ptr : "", rec->data.len, opts,
                            &fresh, err);
    if (rc) return rc;
    if (dynsess_value_type(fresh) != DYNSESS_JSON_OBJECT)
        return dynsess__fail(err, DYNSESS_E_JSON, DYNSESS_NO_OFFSET,
                             "session: stored data is not a json object");
    n = dynsess_value_len(s->root);
    for (i = 0; i < n; i++) {
        dynsess_str k = dynsess_object_key_at(s->root, i);
        const dynsess_value *mine = dynsess_object_value_at(s->root, i);
        if (dynsess_object_get(s->journal, k.ptr, k.len) ||
            !dynsess_value_equal(mine, dynsess_object_get(orig, k.ptr, k.len))) {
            dynsess_value *c = dynsess_value_copy(s->doc, mine);
            if (!c) return dynsess__fail_nomem(err, "session");
            rc = dynsess_object_set(s->doc, fresh, k.ptr, k.len, c, err);
            if (rc) return rc;
        }
    }
    n = dynsess_value_len(orig);
    for (i = 0; i < n; i++) {
        dynsess_str k = dynsess_object_key_at(orig, i);
        if (!dynsess_object_get(s->root, k.ptr, k.len)) dynsess_object_remove(fresh, k.ptr, k.len);
    }
    n = dynsess_value_len(s->journal);
    for (i = 0; i < n; i++) {
        dynsess_str k = dynsess_object_key_at(s->journal, i);
        if (!dynsess_object_get(s->root, k.ptr, k.len)) dynsess_object_remove(fresh, k.ptr, k.len);
    }
    s->root = fresh;
    dynsess__sess_buf_swap(&s->orig, &rec->data);
    s->created_at = rec->created_at;
    s->version = rec->version;
    s->stale = rec->stale ? 1 : 0;
    return DYNSESS_OK;
}

/* Writes w (a create or an update) and, for self-contained stores, takes the
   new cookie value from the store. */
static dynsess_status dynsess__sess_write(dynsess_ctx *ctx, const dynsess_write *w, int64_t now,
                                          dynsess_buf *token_out, dynsess_error *err) {
    dynsess_buf_reset(token_out);
    return ctx->store->vt->save(ctx->store, w, now, token_out, err);
}

/* Emits the Set-Cookie for a successful write: the store's new token for
   self-contained stores, else the id. */
static dynsess_status dynsess__sess_emit(dynsess_ctx *ctx, dynsess_session *s,
                                         const dynsess_buf *token_out, int64_t expires_at,
                                         int64_t now, char *out, size_t cap, size_t *out_len,
                                         dynsess_error *err) {
    dynsess_str v;
    if (ctx->self_contained && token_out->len) {
        v.ptr = token_out->ptr;
        v.len = token_out->len;
    } else {
        v.ptr = s->token.ptr;
        v.len = s->token.len;
    }
    return dynsess__sess_set_cookie(ctx, v, expires_at - now, 0, out, cap, out_len, err);
}

/* After a write: the session now mirrors the record. */
static dynsess_status dynsess__sess_commit(dynsess_ctx *ctx, dynsess_session *s,
                                           dynsess_buf *cur, dynsess_buf *token_out,
                                           int64_t expires_at, int was_new, dynsess_error *err) {
    (void)err;
    if (ctx->self_contained && token_out->len) dynsess__sess_buf_swap(&s->token, token_out);
    if (cur) dynsess__sess_buf_swap(&s->orig, cur);
    s->expires_at = expires_at;
    /* stores number records 1 at creation, +1 per save (DynamoDB items written
       by other software may start at 0) */
    if (was_new) s->version = 1;
    else if (!ctx->self_contained) s->version++;
    s->is_new = 0;
    s->stale = 0;
    s->reason[0] = 0;
    dynsess_value_clear(s->journal);
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_save(dynsess_ctx *ctx, dynsess_session *s, char *set_cookie,
                                        size_t cap, size_t *out_len, dynsess_error *err) {
    dynsess_buf cur, tok;
    dynsess_record rec;
    dynsess_write w;
    dynsess_status rc = DYNSESS_OK;
    dynsess_error e;
    size_t dummy_len;
    int64_t now, expires;
    int attempt;
    if (!out_len) out_len = &dummy_len;
    *out_len = 0;
    if (!ctx || !s || s->ctx != ctx)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: save needs the ctx the session was loaded from");
    if (set_cookie && cap) set_cookie[0] = 0;
    if (s->destroyed) return DYNSESS_OK;
    now = dynsess__clock_now(&ctx->desc.clock);
    dynsess_buf_init(&cur, &ctx->desc.allocator);
    dynsess_buf_init(&tok, &ctx->desc.allocator);
    memset(&rec, 0, sizeof rec);
    dynsess_buf_init(&rec.data, &ctx->desc.allocator);
    memset(&w, 0, sizeof w);
    rc = dynsess__sess_serialize(s, &cur, err);
    if (rc) goto done;

    if (s->regenerated && !s->is_new) {
        /* old record first: if the create below fails, the user is logged
           out rather than left on an id that was known before login */
        if (!ctx->self_contained) {
            rc = ctx->store->vt->destroy(ctx->store, dynsess__sess_tokstr(s), err);
            if (rc) goto done;
        }
        s->is_new = 1;
        s->had_cookie = 1;
        s->version = 0;
        dynsess_buf_reset(&s->token);
    }
    if (s->regenerated) {
        s->regenerated = 0;
        s->created_at = now;
    }

    if (s->is_new) {
        if (cur.len == 2 && memcmp(cur.ptr, "{}", 2) == 0) {
            /* nothing to keep: no record, no cookie (clear a stale one) */
            if (s->had_cookie) {
                dynsess_str none = {0, 0};
                rc = dynsess__sess_set_cookie(ctx, none, 0, 1, set_cookie, cap, out_len, err);
            }
            goto done;
        }
        if (s->created_at <= now - ctx->desc.absolute_timeout_s) s->created_at = now;
        expires = dynsess__sess_expiry(ctx, s->created_at, now);
        for (attempt = 0;; attempt++) {
            if (!ctx->self_contained) {
                rc = dynsess__sess_new_id(ctx, &s->token, err);
                if (rc) goto done;
                /* the cookie is known before the write: check it fits first */
                rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
                if (rc) goto new_failed;
            }
            w.token.ptr = s->token.ptr;
            w.token.len = s->token.len;
            w.data.ptr = cur.ptr;
            w.data.len = cur.len;
            w.created_at = s->created_at;
            w.expires_at = expires;
            w.version = 0;
            w.is_new = 1;
            dynsess_error_clear(&e);
            rc = dynsess__sess_write(ctx, &w, now, &tok, &e);
            if (rc == DYNSESS_E_EXISTS && !ctx->self_contained && attempt < ctx->desc.max_retries)
                continue;
            if (rc) { if (err) *err = e; goto new_failed; }
            break;
        }
        if (ctx->self_contained) {
            rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
            if (rc) goto done;
        }
        rc = dynsess__sess_commit(ctx, s, &cur, &tok, expires, 1, err);
        goto done;
    new_failed:
        dynsess_buf_reset(&s->token);
        goto done;
    }

    if (!dynsess__sess_buf_eq(&cur, &s->orig) || s->stale) {
        for (attempt = 0;; attempt++) {
            expires = dynsess__sess_expiry(ctx, s->created_at, now);
            if (!ctx->self_contained) {
                rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
                if (rc) goto done;
            }
            w.token.ptr = s->token.ptr;
            w.token.len = s->token.len;
            w.data.ptr = cur.ptr;
            w.data.len = cur.len;
            w.created_at = s->created_at;
            w.expires_at = expires;
            w.version = s->version;
            w.is_new = 0;
            dynsess_error_clear(&e);
            rc = dynsess__sess_write(ctx, &w, now, &tok, &e);
            if (rc == DYNSESS_OK) break;
            if (rc == DYNSESS_E_NOTFOUND) {
                rc = dynsess__sess_dropped(ctx, s, set_cookie, cap, out_len, err);
                goto done;
            }
            if (rc != DYNSESS_E_CONFLICT) { if (err) *err = e; goto done; }
            if (attempt >= ctx->desc.max_retries) {
                rc = dynsess__fail(err, DYNSESS_E_CONFLICT, DYNSESS_NO_OFFSET,
                                   "session: still conflicting after %d retries "
                                   "(dynsess_desc.max_retries)", ctx->desc.max_retries);
                goto done;
            }
            /* someone else saved: re-load, re-apply our keys, retry */
            dynsess_buf_reset(&rec.data);
            dynsess_error_clear(&e);
            rc = ctx->store->vt->load(ctx->store, dynsess__sess_tokstr(s), now, &rec, &e);
            if (rc == DYNSESS_E_NOTFOUND || (rc == DYNSESS_OK && rec.expires_at <= now)) {
                rc = dynsess__sess_dropped(ctx, s, set_cookie, cap, out_len, err);
                goto done;
            }
            if (rc) { if (err) *err = e; goto done; }
            rc = dynsess__sess_merge(s, &rec, err);
            if (rc) goto done;
            rc = dynsess__sess_serialize(s, &cur, err);
            if (rc) goto done;
            if (dynsess__sess_buf_eq(&cur, &s->orig) && !s->stale) {
                /* the other request already wrote what we wanted */
                s->expires_at = rec.expires_at;
                dynsess_value_clear(s->journal);
                if (set_cookie && cap) set_cookie[0] = 0;
                *out_len = 0;
                goto done;
            }
        }
        if (ctx->self_contained) {
            rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
            if (rc) goto done;
        }
        rc = dynsess__sess_commit(ctx, s, &cur, &tok, expires, 0, err);
        goto done;
    }

    /* unchanged: only the touch rule may write */
    expires = dynsess__sess_expiry(ctx, s->created_at, now);
    if (ctx->desc.touch_after_s > 0 && expires - s->expires_at >= ctx->desc.touch_after_s) {
        if (!ctx->self_contained) {
            rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
            if (rc) goto done;
        }
        dynsess_error_clear(&e);
        if (ctx->store->vt->touch && !ctx->self_contained) {
            rc = ctx->store->vt->touch(ctx->store, dynsess__sess_tokstr(s), expires, now, &e);
        } else {
            w.token.ptr = s->token.ptr;
            w.token.len = s->token.len;
            w.data.ptr = s->orig.ptr;
            w.data.len = s->orig.len;
            w.created_at = s->created_at;
            w.expires_at = expires;
            w.version = s->version;
            w.is_new = 0;
            rc = dynsess__sess_write(ctx, &w, now, &tok, &e);
            if (rc == DYNSESS_OK && !ctx->self_contained) s->version++;
        }
        if (rc == DYNSESS_E_NOTFOUND) {
            rc = dynsess__sess_dropped(ctx, s, set_cookie, cap, out_len, err);
            goto done;
        }
        if (rc == DYNSESS_E_CONFLICT) {
            /* another request wrote (and so extended) it meanwhile */
            if (set_cookie && cap) set_cookie[0] = 0;
            *out_len = 0;
            rc = DYNSESS_OK;
            goto done;
        }
        if (rc) { if (err) *err = e; goto done; }
        if (ctx->self_contained) {
            rc = dynsess__sess_emit(ctx, s, &tok, expires, now, set_cookie, cap, out_len, err);
            if (rc) goto done;
        }
        s->expires_at = expires;
        if (ctx->self_contained) rc = dynsess__sess_commit(ctx, s, 0, &tok, expires, 0, err);
    }
done:
    if (rc && rc != DYNSESS_E_BUFFER) *out_len = 0;
    if (rc && set_cookie && cap) set_cookie[0] = 0;
    dynsess_buf_free(&cur);
    dynsess_buf_free(&tok);
    dynsess_buf_free(&rec.data);
    return rc;
}

DYNSESS_DEF dynsess_status dynsess_destroy(dynsess_ctx *ctx, dynsess_session *s, char *set_cookie,
                                           size_t cap, size_t *out_len, dynsess_error *err) {
    dynsess_status rc = DYNSESS_OK, rc2;
    dynsess_str none = {0, 0};
    dynsess_error e;
    size_t dummy_len;
    if (!out_len) out_len = &dummy_len;
    *out_len = 0;
    if (!ctx || !s || s->ctx != ctx)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: destroy needs the ctx the session was loaded from");
    dynsess_error_clear(&e);
    if (!s->is_new && s->token.len)
        rc = ctx->store->vt->destroy(ctx->store, dynsess__sess_tokstr(s), &e);
    dynsess_value_clear(s->root);
    dynsess_value_clear(s->journal);
    dynsess_buf_reset(&s->token);
    s->is_new = 1;
    s->destroyed = 1;
    s->regenerated = 0;
    s->version = 0;
    rc2 = dynsess__sess_set_cookie(ctx, none, 0, 1, set_cookie, cap, out_len, err);
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    return rc2;
}

DYNSESS_DEF dynsess_status dynsess_regenerate(dynsess_ctx *ctx, dynsess_session *s,
                                              dynsess_error *err) {
    if (!ctx || !s || s->ctx != ctx)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: regenerate needs the ctx the session was loaded from");
    if (s->destroyed)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: regenerate after destroy");
    s->regenerated = 1;
    return DYNSESS_OK;
}

/* ---- the dict ------------------------------------------------------------------ */
static dynsess_status dynsess__sess_key_ok(const dynsess_session *s, const char *key,
                                           dynsess_error *err) {
    if (!s) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: session is 0");
    if (!key) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: key is 0");
    if (!dynsess__sess_utf8_valid(key, strlen(key)))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: key is not valid utf-8");
    return DYNSESS_OK;
}

/* Stores v (already in s->doc) under key and notes the key in the journal. */
static dynsess_status dynsess__sess_put(dynsess_session *s, const char *key, dynsess_value *v,
                                        dynsess_error *err) {
    size_t n = strlen(key);
    dynsess_value *mark;
    dynsess_status rc;
    int had_mark;
    if (!v) return dynsess__fail_nomem(err, "session");
    had_mark = dynsess_object_get(s->journal, key, n) != 0;
    if (!had_mark) {
        mark = dynsess_value_new_null(s->doc);
        if (!mark) return dynsess__fail_nomem(err, "session");
        rc = dynsess_object_set(s->doc, s->journal, key, n, mark, err);
        if (rc) return rc;
    }
    rc = dynsess_object_set(s->doc, s->root, key, n, v, err);
    if (rc && !had_mark) dynsess_object_remove(s->journal, key, n);
    return rc;
}

DYNSESS_DEF const dynsess_value *dynsess_session_get(const dynsess_session *s, const char *key) {
    if (!s || !key) return 0;
    return dynsess_object_get(s->root, key, strlen(key));
}

DYNSESS_DEF dynsess_status dynsess_session_set(dynsess_session *s, const char *key,
                                               const dynsess_value *v, dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    if (!v) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: value is 0");
    return dynsess__sess_put(s, key, dynsess_value_copy(s->doc, v), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_str_n(dynsess_session *s, const char *key,
                                                     const char *v, size_t len,
                                                     dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    if (!v && len) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: value is 0");
    if (!dynsess__sess_utf8_valid(v, len))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: string value is not valid utf-8");
    return dynsess__sess_put(s, key, dynsess_value_new_string(s->doc, v ? v : "", len), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_str(dynsess_session *s, const char *key,
                                                   const char *v, dynsess_error *err) {
    if (!v) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: value is 0");
    return dynsess_session_set_str_n(s, key, v, strlen(v), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_int(dynsess_session *s, const char *key,
                                                   int64_t v, dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    return dynsess__sess_put(s, key, dynsess_value_new_int(s->doc, v), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_real(dynsess_session *s, const char *key,
                                                    double v, dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    if (v != v || v - v != 0.0)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "session: json cannot carry NaN or infinity");
    return dynsess__sess_put(s, key, dynsess_value_new_real(s->doc, v), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_bool(dynsess_session *s, const char *key, int v,
                                                    dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    return dynsess__sess_put(s, key, dynsess_value_new_bool(s->doc, v ? 1 : 0), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_null(dynsess_session *s, const char *key,
                                                    dynsess_error *err) {
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    return dynsess__sess_put(s, key, dynsess_value_new_null(s->doc), err);
}

DYNSESS_DEF dynsess_status dynsess_session_set_json(dynsess_session *s, const char *key,
                                                    const char *json, size_t len,
                                                    dynsess_error *err) {
    dynsess_value *v = 0;
    dynsess_status rc = dynsess__sess_key_ok(s, key, err);
    if (rc) return rc;
    if (!json && len) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "session: json is 0");
    rc = dynsess_json_parse(s->doc, json ? json : "", len, &s->ctx->desc.json, &v, err);
    if (rc) return rc;
    return dynsess__sess_put(s, key, v, err);
}

DYNSESS_DEF int dynsess_session_pop(dynsess_session *s, const char *key) {
    size_t n;
    if (!s || !key) return 0;
    n = strlen(key);
    if (!dynsess_object_remove(s->root, key, n)) return 0;
    if (!dynsess_object_get(s->journal, key, n)) {
        /* best effort: a key that was loaded is caught by the diff anyway */
        dynsess_value *mark = dynsess_value_new_null(s->doc);
        if (mark) dynsess_object_set(s->doc, s->journal, key, n, mark, 0);
    }
    return 1;
}

DYNSESS_DEF void dynsess_session_clear(dynsess_session *s) {
    if (s) dynsess_value_clear(s->root);
}

DYNSESS_DEF size_t dynsess_session_count(const dynsess_session *s) {
    return s ? dynsess_value_len(s->root) : 0;
}

DYNSESS_DEF dynsess_str dynsess_session_key_at(const dynsess_session *s, size_t i) {
    dynsess_str none = {0, 0};
    if (!s || i >= dynsess_value_len(s->root)) return none;
    return dynsess_object_key_at(s->root, i);
}

DYNSESS_DEF const dynsess_value *dynsess_session_value_at(const dynsess_session *s, size_t i) {
    if (!s || i >= dynsess_value_len(s->root)) return 0;
    return dynsess_object_value_at(s->root, i);
}

DYNSESS_DEF const dynsess_value *dynsess_session_root(const dynsess_session *s) {
    return s ? s->root : 0;
}

DYNSESS_DEF int dynsess_session_is_new(const dynsess_session *s) { return s ? s->is_new : 0; }

DYNSESS_DEF int dynsess_session_modified(const dynsess_session *s) {
    dynsess_buf cur;
    int modified;
    if (!s) return 0;
    dynsess_buf_init(&cur, &s->ctx->desc.allocator);
    if (dynsess__sess_serialize(s, &cur, 0)) modified = 1;
    else modified = !dynsess__sess_buf_eq(&cur, &s->orig);
    dynsess_buf_free(&cur);
    return modified;
}

DYNSESS_DEF dynsess_str dynsess_session_id(const dynsess_session *s) {
    dynsess_str r = {0, 0};
    if (!s || s->ctx->self_contained || !s->token.len) {
        r.ptr = "";
        return r;
    }
    r.ptr = s->token.ptr;
    r.len = s->token.len;
    return r;
}

DYNSESS_DEF const char *dynsess_session_reason(const dynsess_session *s) {
    return s ? s->reason : "";
}

DYNSESS_DEF int64_t dynsess_session_created_at(const dynsess_session *s) {
    return s ? s->created_at : 0;
}

DYNSESS_DEF int64_t dynsess_session_expires_at(const dynsess_session *s) {
    return s ? s->expires_at : 0;
}

DYNSESS_DEF dynsess_doc *dynsess_session_doc(dynsess_session *s) { return s ? s->doc : 0; }

#undef DYNSESS__MAX_COOKIE_TRIES
