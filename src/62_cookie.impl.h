/* ----------------------------------------------------------------------
   @store >cookie  implementation: the sealed-cookie store
   Assumes: @crypto (HKDF, XChaCha20-Poly1305), @config (base64url, rng).
   The store holds derived keys only; it is read-only after creation.
   ---------------------------------------------------------------------- */
#define DYNSESS__COOKIE_PREFIX "v1."
#define DYNSESS__COOKIE_SALT "dynsess/cookie/v1"
#define DYNSESS__COOKIE_OVERHEAD (1 + DYNSESS_XCHACHA_NONCE_SIZE + 16 + DYNSESS_AEAD_TAG_SIZE)

typedef struct dynsess__cookie_store {
    dynsess_store base;                                  /* first: the vtable */
    uint8_t keys[DYNSESS_MAX_SECRETS][DYNSESS_XCHACHA_KEY_SIZE];
    uint8_t key_ids[DYNSESS_MAX_SECRETS];
    int nkeys;                                           /* keys[0] seals */
    char *name;                                          /* cookie name copy */
    size_t name_len;
    size_t max_len;
    dynsess_rng rng;
    dynsess_allocator alloc;
} dynsess__cookie_store;

static void dynsess__cookie_put64(uint8_t *p, int64_t v) {
    uint64_t u = (uint64_t)v;
    int i;
    for (i = 7; i >= 0; i--) { p[i] = (uint8_t)u; u >>= 8; }
}
static int64_t dynsess__cookie_get64(const uint8_t *p) {
    uint64_t u = 0;
    int i;
    for (i = 0; i < 8; i++) u = (u << 8) | p[i];
    return (int64_t)u;
}

/* ad = "v1." || key_id || cookie name (public data), in a caller buffer of 4 + name_len. */
static void dynsess__cookie_ad(const dynsess__cookie_store *cs, uint8_t kid, uint8_t *ad) {
    memcpy(ad, DYNSESS__COOKIE_PREFIX, 3);
    ad[3] = kid;
    if (cs->name_len) memcpy(ad + 4, cs->name, cs->name_len);
}

/* Opens a cookie value. CT: the tag check is constant-time (inside the
   AEAD); the branches here depend on public data only: lengths, the format
   prefix, base64url syntax, the key id byte and the accept/reject outcome. */
static dynsess_status dynsess__cookie_load(dynsess_store *st, dynsess_str token, int64_t now,
                                           dynsess_record *out, dynsess_error *err) {
    dynsess__cookie_store *cs = (dynsess__cookie_store *)st;
    uint8_t *raw = 0, *ad = 0;
    size_t raw_cap, raw_len = 0, ct_len, ad_len;
    dynsess_status rc = DYNSESS_OK;
    int i, used = -1, kid_known = 0;
    int64_t created_at, expires_at;
    dynsess_error e2;
    dynsess_buf_reset(&out->data);
    if (!token.len)
        return dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "cookie: no cookie");
    if (token.len > cs->max_len)
        return dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                             "cookie: value of %lu bytes is over max_cookie_len",
                             (unsigned long)token.len);
    if (token.len < 3 || memcmp(token.ptr, DYNSESS__COOKIE_PREFIX, 3) != 0)
        return dynsess__fail(err, DYNSESS_E_NOTFOUND, 0, "cookie: unknown format version");
    raw_cap = (token.len - 3) / 4 * 3 + 3;
    ad_len = 4 + cs->name_len;
    raw = (uint8_t *)dynsess__alloc(&cs->alloc, raw_cap + ad_len);
    if (!raw) return dynsess__fail_nomem(err, "cookie");
    ad = raw + raw_cap;
    if (dynsess_base64url_decode(token.ptr + 3, token.len - 3, raw, raw_cap, &raw_len, &e2)) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, e2.offset == DYNSESS_NO_OFFSET ? e2.offset : e2.offset + 3,
                           "cookie: bad base64url (%s)", e2.msg);
        goto done;
    }
    if (raw_len < DYNSESS__COOKIE_OVERHEAD) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "cookie: too short (%lu bytes)",
                           (unsigned long)raw_len);
        goto done;
    }
    ct_len = raw_len - 1 - DYNSESS_XCHACHA_NONCE_SIZE - DYNSESS_AEAD_TAG_SIZE;
    dynsess__cookie_ad(cs, raw[0], ad);
    /* key_id is public: picking candidates by it leaks nothing. Opening
       checks the tag first, so a failed try leaves the ciphertext intact. */
    for (i = 0; i < cs->nkeys && used < 0; i++) {
        if (cs->key_ids[i] != raw[0]) continue;
        kid_known = 1;
        if (dynsess_xchacha20poly1305_open(cs->keys[i], raw + 1, ad, ad_len,
                                           raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE, ct_len,
                                           raw + raw_len - DYNSESS_AEAD_TAG_SIZE,
                                           raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE, 0) == DYNSESS_OK)
            used = i;
    }
    if (used < 0) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                           kid_known ? "cookie: authentication failed (tampered, other secret or "
                                       "other cookie name)"
                                     : "cookie: sealed with an unknown key (key id %u)",
                           (unsigned)raw[0]);
        goto done;
    }
    created_at = dynsess__cookie_get64(raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE);
    expires_at = dynsess__cookie_get64(raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE + 8);
    if (expires_at <= now) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "cookie: expired");
        goto done;
    }
    rc = dynsess_buf_append(&out->data, raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE + 16, ct_len - 16, err);
    if (rc) goto done;
    out->created_at = created_at;
    out->expires_at = expires_at;
    out->version = 0;
    out->stale = used != 0;
done:
    dynsess_wipe(raw, raw_cap + ad_len);
    dynsess__free(&cs->alloc, raw);
    return rc;
}

/* Seals w into token_out. CT: depends on the session length only. */
static dynsess_status dynsess__cookie_save(dynsess_store *st, const dynsess_write *w, int64_t now,
                                           dynsess_buf *token_out, dynsess_error *err) {
    dynsess__cookie_store *cs = (dynsess__cookie_store *)st;
    size_t raw_len, sealed_len, pt_len, ad_len = 4 + cs->name_len;
    uint8_t *raw = 0, *ad, *pt;
    dynsess_status rc;
    (void)now;
    dynsess_buf_reset(token_out);
    if (!dynsess__size_add(w->data.len, DYNSESS__COOKIE_OVERHEAD, &raw_len) ||
        raw_len > ((size_t)-1 / 4) * 3 - 3 ||
        (sealed_len = 3 + DYNSESS_BASE64URL_LEN(raw_len)) > cs->max_len)
        return dynsess__fail(err, DYNSESS_E_COOKIE_SIZE, DYNSESS_NO_OFFSET,
                             "cookie: a %lu-byte session seals to more than max_cookie_len (%lu); "
                             "store less or use a server-side store",
                             (unsigned long)w->data.len, (unsigned long)cs->max_len);
    raw = (uint8_t *)dynsess__alloc(&cs->alloc, raw_len + ad_len);
    if (!raw) return dynsess__fail_nomem(err, "cookie");
    ad = raw + raw_len;
    pt = raw + 1 + DYNSESS_XCHACHA_NONCE_SIZE;
    pt_len = 16 + w->data.len;
    raw[0] = cs->key_ids[0];
    rc = dynsess__rng_fill(&cs->rng, raw + 1, DYNSESS_XCHACHA_NONCE_SIZE, err);
    if (rc) goto done;
    dynsess__cookie_put64(pt, w->created_at);
    dynsess__cookie_put64(pt + 8, w->expires_at);
    if (w->data.len) memcpy(pt + 16, w->data.ptr, w->data.len);
    dynsess__cookie_ad(cs, raw[0], ad);
    dynsess_xchacha20poly1305_seal(cs->keys[0], raw + 1, ad, ad_len, pt, pt_len, pt, pt + pt_len);
    rc = dynsess_buf_reserve(token_out, sealed_len, err);
    if (rc) goto done;
    memcpy(token_out->ptr, DYNSESS__COOKIE_PREFIX, 3);
    token_out->len = 3 + dynsess_base64url_encode(raw, raw_len, token_out->ptr + 3, token_out->cap - 3);
done:
    dynsess_wipe(raw, raw_len + ad_len);
    dynsess__free(&cs->alloc, raw);
    return rc;
}

static dynsess_status dynsess__cookie_destroy(dynsess_store *st, dynsess_str token, dynsess_error *err) {
    (void)st; (void)token; (void)err;
    return DYNSESS_OK; /* the data lives in the cookie; @session clears it */
}

static void dynsess__cookie_close(dynsess_store *st) {
    dynsess__cookie_store *cs = (dynsess__cookie_store *)st;
    dynsess_allocator a;
    if (!cs) return;
    a = cs->alloc;
    if (cs->name) dynsess__free(&a, cs->name);
    dynsess_wipe(cs, sizeof *cs);
    dynsess__free(&a, cs);
}

static const dynsess_store_vt dynsess__cookie_vt = {
    "cookie", DYNSESS_STORE_SELF_CONTAINED, dynsess__cookie_load, dynsess__cookie_save,
    dynsess__cookie_destroy, 0, dynsess__cookie_close};

DYNSESS_DEF dynsess_status dynsess_store_cookie_new(const dynsess_cookie_desc *desc,
                                                    dynsess_store **out, dynsess_error *err) {
    static const char key_info[] = "dynsess/cookie/v1 xchacha20-poly1305 key";
    static const char kid_info[] = "dynsess/cookie/v1 key id";
    dynsess__cookie_store *cs;
    const char *name;
    uint8_t prk[DYNSESS_SHA256_SIZE];
    int i;
    if (out) *out = 0;
    if (!desc || !out)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "cookie: desc and out are required");
    if (!dynsess__allocator_valid(&desc->allocator))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "cookie: allocator needs both alloc and free (desc.allocator)");
    for (i = 0; i < DYNSESS_MAX_SECRETS; i++) {
        size_t len = desc->secrets[i].len;
        if (!desc->secrets[i].ptr && len)
            return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                                 "cookie: desc.secrets[%d] has a length but no bytes", i);
        if (i == 0 && !len)
            return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                                 "cookie: no secret (desc.secrets[0]); generate one with "
                                 "`dynsess keygen` (make builds build/dynsess)");
        if (len && len < DYNSESS_MIN_SECRET_LEN)
            return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                                 "cookie: desc.secrets[%d] is %lu bytes, at least %d are required",
                                 i, (unsigned long)len, DYNSESS_MIN_SECRET_LEN);
    }
    name = desc->cookie_name ? desc->cookie_name : "session";
    if (!name[0])
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "cookie: empty cookie name (desc.cookie_name)");
    cs = (dynsess__cookie_store *)dynsess__alloc(&desc->allocator, sizeof *cs);
    if (!cs) return dynsess__fail_nomem(err, "cookie");
    memset(cs, 0, sizeof *cs);
    cs->alloc = desc->allocator;
    cs->name_len = strlen(name);
    cs->name = (char *)dynsess__alloc(&cs->alloc, cs->name_len + 1);
    if (!cs->name) {
        dynsess__free(&cs->alloc, cs);
        return dynsess__fail_nomem(err, "cookie");
    }
    memcpy(cs->name, name, cs->name_len + 1);
    cs->base.vt = &dynsess__cookie_vt;
    cs->max_len = desc->max_cookie_len ? desc->max_cookie_len : DYNSESS_COOKIE_MAX_LEN_DEFAULT;
    cs->rng = desc->rng;
    for (i = 0; i < DYNSESS_MAX_SECRETS; i++) {
        if (!desc->secrets[i].len) continue;
        dynsess_hkdf_sha256_extract(DYNSESS__COOKIE_SALT, sizeof DYNSESS__COOKIE_SALT - 1,
                                    desc->secrets[i].ptr, desc->secrets[i].len, prk);
        (void)dynsess_hkdf_sha256_expand(prk, key_info, sizeof key_info - 1, cs->keys[cs->nkeys],
                                         DYNSESS_XCHACHA_KEY_SIZE, 0);
        (void)dynsess_hkdf_sha256_expand(prk, kid_info, sizeof kid_info - 1, &cs->key_ids[cs->nkeys],
                                         1, 0);
        cs->nkeys++;
    }
    dynsess_wipe(prk, sizeof prk);
    *out = &cs->base;
    return DYNSESS_OK;
}
#undef DYNSESS__COOKIE_PREFIX
#undef DYNSESS__COOKIE_SALT
#undef DYNSESS__COOKIE_OVERHEAD
