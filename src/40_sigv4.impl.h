/* ======================================================================
   @sigv4  implementation: credentials, region/endpoint, canonical
           request, signing-key cache, header and query signing
   No allocation: the canonical request is built in the signer's scratch
   and hashed in one call; the keyed HMAC context of kSigning is cached
   and cloned (memcpy) per signature.
   ====================================================================== */

#if defined(__SSE2__) && !defined(DYNSESS__SIGV4_PORTABLE)
#include <emmintrin.h>
#define DYNSESS__SIGV4_SSE2 1
#endif

/* ---- credentials ---------------------------------------------------------- */
DYNSESS_DEF void dynsess_aws_creds_wipe(dynsess_aws_creds *c) {
    if (c) dynsess_wipe(c, sizeof *c);
}

DYNSESS_DEF dynsess_status dynsess_aws_creds_set(dynsess_aws_creds *c, dynsess_str access_key_id,
                                                 dynsess_str secret_access_key,
                                                 dynsess_str session_token, dynsess_error *err) {
    if (!c) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: creds is null");
    dynsess_aws_creds_wipe(c);
    if (!access_key_id.len || !access_key_id.ptr || !secret_access_key.len || !secret_access_key.ptr)
        return dynsess__fail(err, DYNSESS_E_CREDENTIALS, DYNSESS_NO_OFFSET,
                             "sigv4: empty access key id or secret access key");
    if (access_key_id.len > DYNSESS_AWS_KEY_ID_MAX)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                             "sigv4: access key id longer than %d bytes", DYNSESS_AWS_KEY_ID_MAX);
    if (secret_access_key.len > DYNSESS_AWS_SECRET_MAX)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                             "sigv4: secret access key longer than %d bytes", DYNSESS_AWS_SECRET_MAX);
    if (session_token.len > DYNSESS_AWS_TOKEN_MAX)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                             "sigv4: session token longer than %d bytes", DYNSESS_AWS_TOKEN_MAX);
    memcpy(c->access_key_id, access_key_id.ptr, access_key_id.len);
    c->access_key_id_len = access_key_id.len;
    memcpy(c->secret_access_key, secret_access_key.ptr, secret_access_key.len);
    c->secret_access_key_len = secret_access_key.len;
    if (session_token.len && session_token.ptr) {
        memcpy(c->session_token, session_token.ptr, session_token.len);
        c->session_token_len = session_token.len;
    }
    return DYNSESS_OK;
}

static DYNSESS__UNUSED const char *dynsess__env_get(const dynsess_env *env, const char *name) {
    const char *v = (env && env->get) ? env->get(env->user, name) : getenv(name);
    return (v && *v) ? v : 0;
}

DYNSESS_DEF dynsess_status dynsess_aws_creds_from_env(dynsess_aws_creds *c, const dynsess_env *env,
                                                      dynsess_error *err) {
    const char *id = dynsess__env_get(env, "AWS_ACCESS_KEY_ID");
    const char *secret = dynsess__env_get(env, "AWS_SECRET_ACCESS_KEY");
    const char *token = dynsess__env_get(env, "AWS_SESSION_TOKEN");
    if (c) dynsess_aws_creds_wipe(c);
    if (!id || !secret)
        return dynsess__fail(err, DYNSESS_E_CREDENTIALS, DYNSESS_NO_OFFSET,
                             "sigv4: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set");
    return dynsess_aws_creds_set(c, dynsess_cstr(id), dynsess_cstr(secret), dynsess_cstr(token), err);
}

DYNSESS_DEF dynsess_aws_credentials dynsess_aws_creds_view(const dynsess_aws_creds *c) {
    dynsess_aws_credentials v;
    v.access_key_id.ptr = c->access_key_id;
    v.access_key_id.len = c->access_key_id_len;
    v.secret_access_key.ptr = c->secret_access_key;
    v.secret_access_key.len = c->secret_access_key_len;
    v.session_token.ptr = c->session_token_len ? c->session_token : 0;
    v.session_token.len = c->session_token_len;
    v.expires_at = c->expires_at;
    return v;
}

static dynsess_status dynsess__creds_static_fn(void *user, dynsess_aws_credentials *out,
                                               dynsess_error *err) {
    const dynsess_aws_creds *c = (const dynsess_aws_creds *)user;
    if (!c || !c->access_key_id_len || !c->secret_access_key_len)
        return dynsess__fail(err, DYNSESS_E_CREDENTIALS, DYNSESS_NO_OFFSET,
                             "sigv4: static credentials are empty");
    *out = dynsess_aws_creds_view(c);
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_aws_credentials_provider dynsess_aws_creds_provider(dynsess_aws_creds *c) {
    dynsess_aws_credentials_provider p;
    p.fn = dynsess__creds_static_fn;
    p.user = c;
    return p;
}

/* ---- region and endpoint ---------------------------------------------------- */
static int dynsess__sigv4_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* 1 if s is a valid region / service name: [A-Za-z0-9._-]{1,max} */
static int dynsess__sigv4_name_ok(const char *s, size_t max) {
    size_t i;
    if (!s || !*s) return 0;
    for (i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= max) return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

DYNSESS_DEF dynsess_status dynsess_aws_region(const char *region, const dynsess_env *env, char *out,
                                              size_t cap, dynsess_error *err) {
    const char *r = region, *src = "region";
    size_t i, n;
    if (!r || !*r) { r = dynsess__env_get(env, "AWS_REGION"); src = "AWS_REGION"; }
    if (!r) { r = dynsess__env_get(env, "AWS_DEFAULT_REGION"); src = "AWS_DEFAULT_REGION"; }
    if (!r)
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "sigv4: no aws region (set AWS_REGION or pass one)");
    n = strlen(r);
    if (n > DYNSESS_AWS_REGION_MAX || n + 1 > cap)
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET, "sigv4: %s is too long", src);
    for (i = 0; i < n; i++) {
        char c = r[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                                 "sigv4: %s has a character outside [a-z0-9-]", src);
    }
    memcpy(out, r, n + 1);
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_url_parse(const char *url, dynsess_endpoint *out,
                                             dynsess_error *err) {
    const char *p, *host, *host_end, *path;
    size_t n, i;
    int port = 0, is_v6 = 0;
    if (!url || !out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "url: null argument");
    memset(out->scheme, 0, sizeof out->scheme);
    out->host[0] = out->path[0] = out->host_header[0] = 0;
    out->port = 0;
    out->port_explicit = 0;
    p = strstr(url, "://");
    if (!p) return dynsess__fail(err, DYNSESS_E_CONFIG, 0, "url: missing scheme:// in endpoint url");
    n = (size_t)(p - url);
    if (n == 4 && dynsess__sigv4_lower(url[0]) == 'h' && dynsess__sigv4_lower(url[1]) == 't' &&
        dynsess__sigv4_lower(url[2]) == 't' && dynsess__sigv4_lower(url[3]) == 'p') {
        memcpy(out->scheme, "http", 5);
        out->port = 80;
    } else if (n == 5 && dynsess__sigv4_lower(url[0]) == 'h' && dynsess__sigv4_lower(url[1]) == 't' &&
               dynsess__sigv4_lower(url[2]) == 't' && dynsess__sigv4_lower(url[3]) == 'p' &&
               dynsess__sigv4_lower(url[4]) == 's') {
        memcpy(out->scheme, "https", 6);
        out->port = 443;
    } else {
        return dynsess__fail(err, DYNSESS_E_CONFIG, 0, "url: scheme must be http or https");
    }
    host = p + 3;
    if (*host == '[') {
        is_v6 = 1;
        host_end = strchr(host, ']');
        if (!host_end) return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(host - url), "url: unclosed '['");
        host++;
        p = host_end + 1;
    } else {
        host_end = host;
        while (*host_end && *host_end != ':' && *host_end != '/' && *host_end != '?' && *host_end != '#')
            host_end++;
        p = host_end;
    }
    n = (size_t)(host_end - host);
    if (n == 0) return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(host - url), "url: empty host");
    if (n > DYNSESS_URL_HOST_MAX) return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "url: host too long");
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c <= ' ' || c >= 127 || c == '@' || c == '\\' || (!is_v6 && c == '['))
            return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(host - url) + i,
                                 "url: invalid character in host at offset %lu",
                                 (unsigned long)((size_t)(host - url) + i));
    }
    for (i = 0; i < n; i++) out->host[i] = (char)dynsess__sigv4_lower(host[i]);
    out->host[n] = 0;
    if (*p == ':') {
        p++;
        if (!(*p >= '0' && *p <= '9')) return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(p - url), "url: bad port");
        while (*p >= '0' && *p <= '9') {
            port = port * 10 + (*p - '0');
            if (port > 65535) return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(p - url), "url: port out of range");
            p++;
        }
        if (port == 0) return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(p - url), "url: port out of range");
        out->port = port;
        out->port_explicit = 1;
    }
    path = p;
    if (*path && *path != '/')
        return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(path - url), "url: unexpected character after host");
    n = strlen(path);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c == '?' || c == '#' || c <= ' ' || c >= 127)
            return dynsess__fail(err, DYNSESS_E_CONFIG, (size_t)(path - url) + i,
                                 "url: query, fragment or invalid character in path");
    }
    while (n && path[n - 1] == '/') n--;
    if (n > DYNSESS_URL_PATH_MAX) return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "url: path too long");
    memcpy(out->path, path, n);
    out->path[n] = 0;
    {
        int dflt = (out->scheme[4] == 's') ? 443 : 80;
        if (is_v6 && out->port != dflt)
            sprintf(out->host_header, "[%s]:%d", out->host, out->port);
        else if (is_v6)
            sprintf(out->host_header, "[%s]", out->host);
        else if (out->port != dflt)
            sprintf(out->host_header, "%s:%d", out->host, out->port);
        else
            sprintf(out->host_header, "%s", out->host);
    }
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_aws_endpoint(const char *service, const char *region,
                                                const dynsess_env *env, dynsess_endpoint *out,
                                                dynsess_error *err) {
    char var[96], reg[DYNSESS_AWS_REGION_MAX + 1], url[DYNSESS_URL_HOST_MAX + 64];
    const char *v, *used = "AWS_ENDPOINT_URL";
    size_t i, n;
    dynsess_status rc;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: out is null");
    if (!dynsess__sigv4_name_ok(service, 63))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: invalid service name");
    rc = dynsess_aws_region(region, env, reg, sizeof reg, err);
    if (rc) return rc;
    memcpy(var, "AWS_ENDPOINT_URL_", 17);
    n = strlen(service);
    for (i = 0; i < n; i++) {
        char c = service[i];
        var[17 + i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : (c == '-' || c == ' ' || c == '.') ? '_' : c;
    }
    var[17 + n] = 0;
    v = dynsess__env_get(env, var);
    if (v) used = var;
    else v = dynsess__env_get(env, "AWS_ENDPOINT_URL");
    if (v) {
        rc = dynsess_url_parse(v, out, err);
        if (rc) {
            if (err) {
                char m[DYNSESS_ERROR_MSG_SIZE];
                memcpy(m, err->msg, sizeof m);
                m[sizeof m - 1] = 0;
                dynsess__fail(err, rc, err->offset, "%s: %s", used, m);
            }
            return rc;
        }
        out->overridden = 1;
    } else {
        int cn = reg[0] == 'c' && reg[1] == 'n' && reg[2] == '-';
        sprintf(url, "https://%s.%s.amazonaws.com%s", service, reg, cn ? ".cn" : "");
        rc = dynsess_url_parse(url, out, err);
        if (rc) return rc;
        out->overridden = 0;
    }
    memcpy(out->region, reg, strlen(reg) + 1);
    return DYNSESS_OK;
}

/* ---- time ------------------------------------------------------------------------ */
DYNSESS_DEF dynsess_status dynsess_sigv4_amz_date(int64_t t, char out[17], dynsess_error *err) {
    int64_t days, secs, z, era, doe, yoe, y, doy, mp, d, m;
    int i;
    if (t < 0 || t > INT64_C(253402300799))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: time out of range");
    days = t / 86400;
    secs = t % 86400;
    /* civil_from_days (H. Hinnant), valid for the proleptic Gregorian calendar */
    z = days + 719468;
    era = z / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    {
        int64_t v[6];
        int w[6] = {4, 2, 2, 2, 2, 2};
        char *o = out;
        v[0] = y; v[1] = m; v[2] = d; v[3] = secs / 3600; v[4] = secs / 60 % 60; v[5] = secs % 60;
        for (i = 0; i < 6; i++) {
            int k;
            for (k = w[i] - 1; k >= 0; k--) { o[k] = (char)('0' + v[i] % 10); v[i] /= 10; }
            o += w[i];
            if (i == 2) *o++ = 'T';
        }
        *o++ = 'Z';
        *o = 0;
    }
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_sigv4_parse_time(dynsess_str s, int64_t *t, dynsess_error *err) {
    /* positions of the digits of YYYY MM DD hh mm ss in both layouts */
    static const unsigned char basic[14] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14};
    static const unsigned char iso[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    const unsigned char *pos;
    int dg[14], i;
    int64_t y, m, d, hh, mi, ss, era, yoe, doy, doe, days;
    if (s.len == 16 && s.ptr[8] == 'T' && s.ptr[15] == 'Z') pos = basic;
    else if (s.len == 20 && s.ptr[4] == '-' && s.ptr[7] == '-' && s.ptr[10] == 'T' && s.ptr[13] == ':' &&
             s.ptr[16] == ':' && s.ptr[19] == 'Z') pos = iso;
    else return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: bad time format");
    for (i = 0; i < 14; i++) {
        char c = s.ptr[pos[i]];
        if (c < '0' || c > '9') return dynsess__fail(err, DYNSESS_E_ARG, pos[i], "sigv4: bad time format");
        dg[i] = c - '0';
    }
    y = dg[0] * 1000 + dg[1] * 100 + dg[2] * 10 + dg[3];
    m = dg[4] * 10 + dg[5]; d = dg[6] * 10 + dg[7];
    hh = dg[8] * 10 + dg[9]; mi = dg[10] * 10 + dg[11]; ss = dg[12] * 10 + dg[13];
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 60)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: time field out of range");
    /* days_from_civil (H. Hinnant) */
    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + doe - 719468;
    *t = days * 86400 + hh * 3600 + mi * 60 + ss;
    return DYNSESS_OK;
}

/* ---- small fast helpers for the signing hot path ------------------------------------ */
static const char dynsess__sigv4_hexpairs[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
/* Header-name byte -> lower-case byte, or 0 if the byte cannot be in a
   header name (controls, space, DEL, ':', non-ASCII). */
static const unsigned char dynsess__sigv4_ltab[256] = {
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,  33,  34,  35,  36,  37,  38,  39,  40,  41,  42,  43,  44,  45,  46,  47,
     48,  49,  50,  51,  52,  53,  54,  55,  56,  57,   0,  59,  60,  61,  62,  63,
     64,  97,  98,  99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
    112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122,  91,  92,  93,  94,  95,
     96,  97,  98,  99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
    112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
};
/* 32 bytes -> 64 lower-case hex digits + NUL */
static void dynsess__sigv4_hex32(const uint8_t *d, char *o) {
#if defined(DYNSESS__SIGV4_SSE2)
    /* 16 bytes -> 32 digits: split nibbles, n -> '0' + n + (n > 9) * 39, interleave */
    const __m128i m = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9), zero = _mm_set1_epi8('0'),
                  gap = _mm_set1_epi8(39);
    int i;
    for (i = 0; i < 32; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
        __m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), m), lo = _mm_and_si128(x, m);
        hi = _mm_add_epi8(_mm_add_epi8(hi, zero), _mm_and_si128(_mm_cmpgt_epi8(hi, nine), gap));
        lo = _mm_add_epi8(_mm_add_epi8(lo, zero), _mm_and_si128(_mm_cmpgt_epi8(lo, nine), gap));
        _mm_storeu_si128((__m128i *)(void *)(o + 2 * i), _mm_unpacklo_epi8(hi, lo));
        _mm_storeu_si128((__m128i *)(void *)(o + 2 * i + 16), _mm_unpackhi_epi8(hi, lo));
    }
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(DYNSESS__SIGV4_PORTABLE)
    /* SWAR, 4 bytes -> 8 digits: spread each byte into a 16-bit lane as
       (high nibble, low nibble), then nibble n -> '0' + n + (n > 9) * 39 */
    int i;
    for (i = 0; i < 32; i += 4) {
        uint32_t v;
        uint64_t x, n, gt9;
        memcpy(&v, d + i, 4);
        x = ((uint64_t)v | ((uint64_t)v << 16)) & 0x0000FFFF0000FFFFu;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFu;
        n = ((x >> 4) & 0x000F000F000F000Fu) | ((x & 0x000F000F000F000Fu) << 8);
        gt9 = ((n + 0x0606060606060606u) >> 4) & 0x0101010101010101u;
        n += 0x3030303030303030u + gt9 * 39;
        memcpy(o + 2 * i, &n, 8);
    }
#else
    uint8_t b[32];
    int i;
    memcpy(b, d, 32); /* a local copy: the char stores below cannot alias it */
    for (i = 0; i < 32; i++) memcpy(o + 2 * i, dynsess__sigv4_hexpairs + 2 * b[i], 2);
#endif
    o[64] = 0;
}
/* CT compare of n bytes, a word at a time. CT: time depends on n only. */
static int dynsess__sigv4_ct_eq(const void *a, const void *b, size_t n) {
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    uint64_t d = 0, u, v;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) { memcpy(&u, x + i, 8); memcpy(&v, y + i, 8); d |= u ^ v; }
    for (; i < n; i++) d |= (uint64_t)(x[i] ^ y[i]);
    return d == 0;
}
/* Lower-cases n bytes of a validated header name (ASCII 0x21..0x7e) into dst. */
static void dynsess__sigv4_lower_name(char *dst, const char *src, size_t n) {
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v, ge_a, gt_z;
        memcpy(&v, src + i, 8);
        ge_a = v + ones * (0x80 - 'A'); /* high bit set where byte >= 'A' */
        gt_z = v + ones * (0x80 - 'Z' - 1); /* high bit set where byte > 'Z' */
        v |= ((ge_a ^ gt_z) & highs) >> 2; /* 'A'..'Z' gain 0x20 */
        memcpy(dst + i, &v, 8);
    }
    for (; i < n; i++) dst[i] = (char)dynsess__sigv4_ltab[(unsigned char)src[i]];
}
/* SHA-256 of non-secret text (no wipe of the context). */
static void dynsess__sigv4_sha256(const void *p, size_t n, uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx c;
    dynsess_sha256_init(&c);
    dynsess_sha256_update(&c, p, n);
    dynsess_sha256_final(&c, out);
}

/* ---- canonical request writer ---------------------------------------------------- */
typedef struct dynsess__sigv4_w {
    char *p;
    size_t n, cap;
    int over;
} dynsess__sigv4_w;

static void dynsess__sigv4_put(dynsess__sigv4_w *w, const void *s, size_t n) {
    if (n > w->cap - w->n) { w->over = 1; return; }
    memcpy(w->p + w->n, s, n);
    w->n += n;
}
static void dynsess__sigv4_putc(dynsess__sigv4_w *w, char c) {
    if (w->n >= w->cap) { w->over = 1; return; }
    w->p[w->n++] = c;
}

/* RFC 3986 unreserved: A-Z a-z 0-9 - . _ ~ (AWS SigV4 URI encoding) */
static int dynsess__sigv4_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* mode 0: encode every byte but unreserved (and '/' if keep_slash);
   mode 1: as 0 but keep valid %XX (hex upper-cased): single encoding;
   mode 2: decode valid %XX first, then encode (query components). */
static void dynsess__sigv4_encode(dynsess__sigv4_w *w, const char *s, size_t n, int mode,
                                  int keep_slash) {
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && mode && i + 2 < n &&
            dynsess__hex_value((unsigned char)s[i + 1]) >= 0 &&
            dynsess__hex_value((unsigned char)s[i + 2]) >= 0) {
            int v = dynsess__hex_value((unsigned char)s[i + 1]) * 16 + dynsess__hex_value((unsigned char)s[i + 2]);
            i += 2;
            if (mode == 1) {
                char e[3];
                e[0] = '%'; e[1] = hex[v >> 4]; e[2] = hex[v & 15];
                dynsess__sigv4_put(w, e, 3);
                continue;
            }
            c = (unsigned char)v;
        }
        if (dynsess__sigv4_unreserved(c) || (keep_slash && c == '/')) {
            dynsess__sigv4_putc(w, (char)c);
        } else {
            char e[3];
            e[0] = '%'; e[1] = hex[c >> 4]; e[2] = hex[c & 15];
            dynsess__sigv4_put(w, e, 3);
        }
    }
}

/* Canonical URI (AWS SigV4): botocore's remove_dot_segments (RFC 3986
   §5.2.4 plus removal of empty segments) unless NO_NORMALIZE, then each
   segment URI-encoded (twice in effect, unless SINGLE_ENCODE). */
static void dynsess__sigv4_canonical_uri(dynsess__sigv4_w *w, dynsess_str path, unsigned flags) {
    int mode = (flags & DYNSESS_SIGV4_SINGLE_ENCODE) ? 1 : 0;
    size_t start = w->n, i = 0, n = path.len;
    const char *p = path.ptr;
    if (!n) { dynsess__sigv4_putc(w, '/'); return; }
    if (flags & DYNSESS_SIGV4_NO_NORMALIZE) {
        if (p[0] != '/') dynsess__sigv4_putc(w, '/');
        dynsess__sigv4_encode(w, p, n, mode, 1);
        return;
    }
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] != '/') j++;
        if (j == i || (j - i == 1 && p[i] == '.')) {
            /* empty or "." segment: dropped */
        } else if (j - i == 2 && p[i] == '.' && p[i + 1] == '.') {
            while (w->n > start && w->p[w->n - 1] != '/') w->n--; /* pop the last segment */
            if (w->n > start) w->n--;                             /* and its '/'          */
        } else {
            dynsess__sigv4_putc(w, '/');
            dynsess__sigv4_encode(w, p + i, j - i, mode, 0);
        }
        i = j + 1;
    }
    if (w->n == start) dynsess__sigv4_putc(w, '/');
    else if (p[n - 1] == '/') dynsess__sigv4_putc(w, '/');
}

/* Header value per SigV4: trimmed, runs of whitespace (SP HT CR LF) as one SP. */
static int dynsess__sigv4_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static void dynsess__sigv4_put_value(dynsess__sigv4_w *w, const char *s, size_t n) {
    size_t i;
    while (n && dynsess__sigv4_ws((unsigned char)s[0])) { s++; n--; }
    while (n && dynsess__sigv4_ws((unsigned char)s[n - 1])) n--;
    /* fast path: no byte <= ' ' at all (tokens, dates, hashes) -> one memcpy.
       SWAR: a byte b < 0x21 (and < 0x80) sets its high bit in (v - 0x21..) & ~v;
       four independent accumulators, no early exit (the common case is clean). */
    {
        const uint64_t lo = 0x2121212121212121u, highs = 0x8080808080808080u;
        uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, v0, v1, v2, v3;
        size_t k = 0;
#ifdef DYNSESS__SIGV4_SSE2
        {   /* 32 bytes per step: byte <= 0x20 iff min(byte, 0x20) == byte */
            const __m128i sp = _mm_set1_epi8(0x20);
            __m128i acc = _mm_setzero_si128();
            for (; k + 32 <= n; k += 32) {
                __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + k));
                __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(s + k + 16));
                acc = _mm_or_si128(acc, _mm_cmpeq_epi8(_mm_min_epu8(x, sp), x));
                acc = _mm_or_si128(acc, _mm_cmpeq_epi8(_mm_min_epu8(y, sp), y));
            }
            if (_mm_movemask_epi8(acc)) a0 = highs;
        }
#endif
        for (; k + 32 <= n; k += 32) {
            memcpy(&v0, s + k, 8); memcpy(&v1, s + k + 8, 8);
            memcpy(&v2, s + k + 16, 8); memcpy(&v3, s + k + 24, 8);
            a0 |= (v0 - lo) & ~v0; a1 |= (v1 - lo) & ~v1;
            a2 |= (v2 - lo) & ~v2; a3 |= (v3 - lo) & ~v3;
        }
        for (; k + 8 <= n; k += 8) { memcpy(&v0, s + k, 8); a0 |= (v0 - lo) & ~v0; }
        a0 = (a0 | a1 | a2 | a3) & highs;
        for (; !a0 && k < n; k++)
            if ((unsigned char)s[k] <= ' ') a0 = 1;
        if (!a0) { dynsess__sigv4_put(w, s, n); return; }
    }
    for (i = 0; i < n; i++) {
        if (dynsess__sigv4_ws((unsigned char)s[i])) {
            while (i + 1 < n && dynsess__sigv4_ws((unsigned char)s[i + 1])) i++;
            dynsess__sigv4_putc(w, ' ');
        } else {
            dynsess__sigv4_putc(w, s[i]);
        }
    }
}

/* Case-insensitive compare of (valid) header names, as lower-case bytes. */
static int dynsess__sigv4_name_cmp(dynsess_str a, dynsess_str b) {
    size_t i, n = a.len < b.len ? a.len : b.len;
    for (i = 0; i < n; i++) {
        int x = dynsess__sigv4_ltab[(unsigned char)a.ptr[i]], y = dynsess__sigv4_ltab[(unsigned char)b.ptr[i]];
        if (x != y) return x - y;
    }
    return a.len < b.len ? -1 : a.len > b.len;
}
static int dynsess__sigv4_name_is(dynsess_str a, const char *lower) {
    size_t i, n = strlen(lower);
    if (a.len != n) return 0;
    for (i = 0; i < n; i++)
        if (dynsess__sigv4_ltab[(unsigned char)a.ptr[i]] != (unsigned char)lower[i]) return 0;
    return 1;
}

typedef struct dynsess__sigv4_param { size_t k, kn, v, vn; } dynsess__sigv4_param;

static int dynsess__sigv4_param_cmp(const char *base, const dynsess__sigv4_param *a,
                                    const dynsess__sigv4_param *b) {
    size_t n = a->kn < b->kn ? a->kn : b->kn;
    int c = memcmp(base + a->k, base + b->k, n);
    if (c) return c;
    if (a->kn != b->kn) return a->kn < b->kn ? -1 : 1;
    n = a->vn < b->vn ? a->vn : b->vn;
    c = memcmp(base + a->v, base + b->v, n);
    if (c) return c;
    return a->vn < b->vn ? -1 : a->vn > b->vn;
}

#define DYNSESS__SIGV4_EXTRA_PARAMS 8
#define DYNSESS__SIGV4_EXTRA_HEADERS 3

/* The core: builds the canonical request into s->scratch, the string to
   sign into s->sts, and the signature into out. presign != 0: query mode. */
static dynsess_status dynsess__sigv4_run(dynsess_sigv4_signer *s, const dynsess_aws_credentials *creds,
                                         const dynsess_sigv4_request *req, int presign,
                                         dynsess_sigv4_result *out, size_t *query_off,
                                         size_t *query_len, dynsess_error *err) {
    dynsess_http_header hdr[DYNSESS_SIGV4_MAX_HEADERS + DYNSESS__SIGV4_EXTRA_HEADERS];
    unsigned char order[DYNSESS_SIGV4_MAX_HEADERS + DYNSESS__SIGV4_EXTRA_HEADERS];
    dynsess__sigv4_param prm[DYNSESS_SIGV4_MAX_PARAMS + DYNSESS__SIGV4_EXTRA_PARAMS];
    dynsess__sigv4_w w;
    size_t nh = 0, np = 0, i, j, sh_off, sh_len, scope_len, region_len, service_len;
    uint8_t digest[DYNSESS_SHA256_SIZE];
    dynsess_hmac_sha256_ctx mac;
    dynsess_str token = creds ? creds->session_token : dynsess_cstr(0);
    int sign_token, has_host = 0, c0;
    unsigned char dup[DYNSESS_SIGV4_MAX_HEADERS + DYNSESS__SIGV4_EXTRA_HEADERS];
    size_t nameoff[DYNSESS_SIGV4_MAX_HEADERS + DYNSESS__SIGV4_EXTRA_HEADERS];
    uint64_t key[DYNSESS_SIGV4_MAX_HEADERS + DYNSESS__SIGV4_EXTRA_HEADERS];
    const char *method = req ? req->method : 0;

    if (!s || !req || !out)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: null argument");
    if (!creds || !creds->access_key_id.len || !creds->access_key_id.ptr ||
        !creds->secret_access_key.len || !creds->secret_access_key.ptr)
        return dynsess__fail(err, DYNSESS_E_CREDENTIALS, DYNSESS_NO_OFFSET,
                             "sigv4: empty access key id or secret access key");
    if (creds->secret_access_key.len > DYNSESS_AWS_SECRET_MAX || creds->access_key_id.len > DYNSESS_AWS_KEY_ID_MAX)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "sigv4: credentials too long");
    if (!method || !*method || strlen(method) > 32)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: missing or bad method");
    /* names equal to the cached key's were validated when it was derived */
    if (!(s->key_valid && req->region && !strcmp(req->region, s->key_region)) &&
        !dynsess__sigv4_name_ok(req->region, DYNSESS_AWS_REGION_MAX))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: missing or invalid region");
    if (!(s->key_valid && req->service && !strcmp(req->service, s->key_service)) &&
        !dynsess__sigv4_name_ok(req->service, 63))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: missing or invalid service");
    if (req->header_count > DYNSESS_SIGV4_MAX_HEADERS || (req->header_count && !req->headers))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: more than %d headers",
                             DYNSESS_SIGV4_MAX_HEADERS);
    if (presign && (req->expires_s < 1 || req->expires_s > 604800))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: expires_s must be in 1..604800");
    if (s->date_valid && s->date_time == req->time) {
        memcpy(out->amz_date, s->date_text, 17);
    } else {
        if (dynsess_sigv4_amz_date(req->time, out->amz_date, err)) return DYNSESS_E_ARG;
        memcpy(s->date_text, out->amz_date, 17);
        s->date_time = req->time;
        s->date_valid = 1;
    }
    if (!token.ptr) token.len = 0;
    if (token.len > DYNSESS_SIGV4_SCRATCH || (req->query.ptr && req->query.len > DYNSESS_SIGV4_SCRATCH) ||
        req->path.len > DYNSESS_SIGV4_SCRATCH)
        goto too_long; /* also keeps the size arithmetic below far from overflow */
    sign_token = token.len && !(req->flags & DYNSESS_SIGV4_OMIT_TOKEN);
    region_len = strlen(req->region);
    service_len = strlen(req->service);

    /* payload hash */
    if (req->payload_hash) {
        size_t n = strlen(req->payload_hash);
        if (n == 64) {
            for (i = 0; i < 64; i++)
                if (dynsess__hex_value((unsigned char)req->payload_hash[i]) < 0) break;
            if (i < 64) n = 0;
        }
        if (!(n == 64 || !strcmp(req->payload_hash, DYNSESS_SIGV4_UNSIGNED_PAYLOAD)))
            return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                 "sigv4: payload_hash must be 64 hex digits or UNSIGNED-PAYLOAD");
        memcpy(out->payload_hash, req->payload_hash, n + 1);
        for (i = 0; n == 64 && i < n; i++) out->payload_hash[i] = (char)dynsess__sigv4_lower((unsigned char)out->payload_hash[i]);
    } else {
        dynsess_sha256_ctx pc;
        dynsess_sha256_init(&pc);
        dynsess_sha256_update(&pc, req->payload.len ? req->payload.ptr : "", req->payload.len);
        dynsess_sha256_final(&pc, digest);
        dynsess_wipe(&pc, sizeof pc); /* its buffer held body bytes */
        dynsess__sigv4_hex32(digest, out->payload_hash);
    }

    /* scope: date/region/service/aws4_request */
    scope_len = 8 + 1 + region_len + 1 + service_len + 13;
    if (scope_len + 1 > DYNSESS_SIGV4_SCOPE_MAX)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "sigv4: scope too long");
    {
        char *o = out->scope;
        memcpy(o, out->amz_date, 8); o += 8; *o++ = '/';
        memcpy(o, req->region, region_len); o += region_len; *o++ = '/';
        memcpy(o, req->service, service_len); o += service_len;
        memcpy(o, "/aws4_request", 14);
    }

    /* headers: the caller's plus the ones the signer adds */
    for (i = 0; i < req->header_count; i++) {
        dynsess_str nm = req->headers[i].name;
        if (!nm.ptr || !nm.len)
            return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: header %lu has no name",
                                 (unsigned long)i);
        /* validate, and pack the first 8 lower-cased bytes as a sort key */
        key[nh] = 0;
        for (j = 0; j < nm.len; j++) {
            unsigned char lc = dynsess__sigv4_ltab[(unsigned char)nm.ptr[j]];
            if (!lc)
                return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                     "sigv4: header %lu has an invalid name", (unsigned long)i);
            if (j < 8) key[nh] |= (uint64_t)lc << (56 - 8 * j);
        }
        c0 = dynsess__sigv4_ltab[(unsigned char)nm.ptr[0]];
        if ((c0 == 'a' && dynsess__sigv4_name_is(nm, "authorization")) ||
            (c0 == 'x' && nm.len >= 10 &&
             ((!presign && dynsess__sigv4_name_is(nm, "x-amz-date")) ||
              (sign_token && !presign && dynsess__sigv4_name_is(nm, "x-amz-security-token")) ||
              (!presign && (req->flags & DYNSESS_SIGV4_SIGN_BODY) &&
               dynsess__sigv4_name_is(nm, "x-amz-content-sha256")))))
            return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                 "sigv4: header %lu is one the signer adds itself", (unsigned long)i);
        if (c0 == 'h' && dynsess__sigv4_name_is(nm, "host")) has_host = 1;
        hdr[nh] = req->headers[i];
        if (!hdr[nh].value.ptr) hdr[nh].value.len = 0;
        nh++;
    }
    if (!has_host)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: the request has no host header");
    if (!presign) {
        /* "x-amz-da", "x-amz-se", "x-amz-co" as big-endian keys */
        key[nh] = 0x782d616d7a2d6461u;
        key[nh + 1] = 0x782d616d7a2d7365u;
        key[nh + 2] = 0x782d616d7a2d636fu;
        if (!sign_token) key[nh + 1] = key[nh + 2];
        hdr[nh].name.ptr = "x-amz-date"; hdr[nh].name.len = 10;
        hdr[nh].value.ptr = out->amz_date; hdr[nh].value.len = 16;
        nh++;
        if (sign_token) {
            hdr[nh].name.ptr = "x-amz-security-token"; hdr[nh].name.len = 20;
            hdr[nh].value = token;
            nh++;
        }
        if (req->flags & DYNSESS_SIGV4_SIGN_BODY) {
            hdr[nh].name.ptr = "x-amz-content-sha256"; hdr[nh].name.len = 20;
            hdr[nh].value.ptr = out->payload_hash; hdr[nh].value.len = strlen(out->payload_hash);
            nh++;
        }
    }
    /* stable insertion sort by lower-cased name: repeated headers keep their order */
    for (i = 0; i < nh; i++) {
        unsigned char x = (unsigned char)i;
        j = i;
        while (j > 0 && (key[order[j - 1]] > key[x] ||
                         (key[order[j - 1]] == key[x] &&
                          dynsess__sigv4_name_cmp(hdr[order[j - 1]].name, hdr[x].name) > 0))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    /* dup[i]: header order[i] has the same name as order[i - 1] */
    for (i = 0; i < nh; i++)
        dup[i] = (unsigned char)(i && key[order[i - 1]] == key[order[i]] &&
                                 hdr[order[i - 1]].name.len == hdr[order[i]].name.len &&
                                 dynsess__sigv4_name_cmp(hdr[order[i - 1]].name, hdr[order[i]].name) == 0);

    w.p = s->scratch;
    w.n = 0;
    w.cap = sizeof s->scratch;
    w.over = 0;
    /* 1. method, 2. canonical URI */
    dynsess__sigv4_put(&w, method, strlen(method));
    dynsess__sigv4_putc(&w, '\n');
    dynsess__sigv4_canonical_uri(&w, req->path.ptr ? req->path : dynsess_cstr(0), req->flags);
    dynsess__sigv4_putc(&w, '\n');
    if (w.over) goto too_long;

    /* 3. canonical query: encode every parameter at the END of the scratch,
       sort the index, then write them in order at the front. */
    {
        dynsess__sigv4_w t;
        const char *q = req->query.ptr;
        size_t qn = q ? req->query.len : 0, need = 0, base;
        char tmp[DYNSESS_SIGV4_SCOPE_MAX + DYNSESS_AWS_KEY_ID_MAX + 8];
        /* pass 1: size of the encoded parameters (<= 3x the raw bytes) */
        need = qn * 3;
        if (presign) {
            need += 3 * (DYNSESS_AWS_KEY_ID_MAX + DYNSESS_SIGV4_SCOPE_MAX) + 256 + 3 * token.len;
            need += 3 * 24 * nh; /* signed headers list, generous */
            for (i = 0; i < nh; i++) need += 3 * hdr[i].name.len;
        }
        if (need > w.cap - w.n) goto too_long;
        base = w.cap - need;
        t.p = s->scratch + base;
        t.n = 0;
        t.cap = need;
        t.over = 0;
        i = 0;
        while (i < qn) {
            size_t e = i, eq;
            while (e < qn && q[e] != '&') e++;
            if (e > i) {
                if (np >= DYNSESS_SIGV4_MAX_PARAMS)
                    return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                         "sigv4: more than %d query parameters", DYNSESS_SIGV4_MAX_PARAMS);
                eq = i;
                while (eq < e && q[eq] != '=') eq++;
                prm[np].k = base + t.n;
                dynsess__sigv4_encode(&t, q + i, eq - i, 2, 0);
                prm[np].kn = base + t.n - prm[np].k;
                prm[np].v = base + t.n;
                if (eq < e) dynsess__sigv4_encode(&t, q + eq + 1, e - eq - 1, 2, 0);
                prm[np].vn = base + t.n - prm[np].v;
                np++;
            }
            i = e + 1;
        }
        if (presign) {
            static const char *const names[6] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                                 "X-Amz-Expires", "X-Amz-SignedHeaders",
                                                 "X-Amz-Security-Token"};
            for (i = 0; i < 6; i++) {
                size_t k;
                if (i == 5 && !sign_token) break;
                prm[np].k = base + t.n;
                dynsess__sigv4_put(&t, names[i], strlen(names[i]));
                prm[np].kn = base + t.n - prm[np].k;
                prm[np].v = base + t.n;
                switch (i) {
                case 0: dynsess__sigv4_put(&t, "AWS4-HMAC-SHA256", 16); break;
                case 1:
                    memcpy(tmp, creds->access_key_id.ptr, creds->access_key_id.len);
                    tmp[creds->access_key_id.len] = '/';
                    memcpy(tmp + creds->access_key_id.len + 1, out->scope, scope_len);
                    dynsess__sigv4_encode(&t, tmp, creds->access_key_id.len + 1 + scope_len, 0, 0);
                    break;
                case 2: dynsess__sigv4_put(&t, out->amz_date, 16); break;
                case 3: {
                    char num[24];
                    int len = sprintf(num, "%ld", (long)req->expires_s);
                    dynsess__sigv4_put(&t, num, (size_t)len);
                    break;
                }
                case 4:
                    for (k = 0; k < nh; k++) {
                        dynsess_str nm = hdr[order[k]].name;
                        size_t c;
                        if (dup[k]) continue;
                        if (k) dynsess__sigv4_put(&t, "%3B", 3);
                        for (c = 0; c < nm.len; c++)
                            dynsess__sigv4_putc(&t, (char)dynsess__sigv4_ltab[(unsigned char)nm.ptr[c]]);
                    }
                    break;
                default: dynsess__sigv4_encode(&t, token.ptr, token.len, 0, 0); break;
                }
                prm[np].vn = base + t.n - prm[np].v;
                np++;
            }
        }
        /* the sorted copy (t.n bytes plus '=' and '&' per parameter) must
           end before the encoded region starts */
        if (t.over || w.n + t.n + 2 * np > base) goto too_long;
        /* insertion sort of the index by (encoded key, encoded value) */
        for (i = 1; i < np; i++) {
            dynsess__sigv4_param x = prm[i];
            j = i;
            while (j > 0 && dynsess__sigv4_param_cmp(s->scratch, &prm[j - 1], &x) > 0) {
                prm[j] = prm[j - 1];
                j--;
            }
            prm[j] = x;
        }
        *query_off = w.n;
        for (i = 0; i < np; i++) {
            if (i) dynsess__sigv4_putc(&w, '&');
            /* source is beyond w.n + need >= write end: no overlap */
            dynsess__sigv4_put(&w, s->scratch + prm[i].k, prm[i].kn);
            dynsess__sigv4_putc(&w, '=');
            dynsess__sigv4_put(&w, s->scratch + prm[i].v, prm[i].vn);
        }
        *query_len = w.n - *query_off;
        dynsess__sigv4_putc(&w, '\n');
    }

    /* 4. canonical headers, 5. signed headers */
    for (i = 0; i < nh; i++) {
        const dynsess_http_header *h = &hdr[order[i]];
        if (dup[i]) {
            w.n--; /* drop the '\n': join repeated headers with ',' */
            dynsess__sigv4_putc(&w, ',');
        } else {
            if (h->name.len > w.cap - w.n) { w.over = 1; break; }
            {   /* locals: a char store may alias w, so don't index through it */
                size_t len = h->name.len;
                dynsess__sigv4_lower_name(w.p + w.n, h->name.ptr, len);
                nameoff[i] = w.n;
                w.n += len;
            }
            dynsess__sigv4_putc(&w, ':');
        }
        dynsess__sigv4_put_value(&w, h->value.ptr, h->value.len);
        dynsess__sigv4_putc(&w, '\n');
    }
    dynsess__sigv4_putc(&w, '\n');
    sh_off = w.n;
    for (i = 0; i < nh; i++) {
        const dynsess_http_header *h = &hdr[order[i]];
        if (dup[i]) continue;
        if (i) dynsess__sigv4_putc(&w, ';');
        if (w.over || h->name.len > w.cap - w.n) { w.over = 1; break; }
        memcpy(w.p + w.n, w.p + nameoff[i], h->name.len); /* lower-cased above */
        w.n += h->name.len;
    }
    sh_len = w.n - sh_off;
    dynsess__sigv4_putc(&w, '\n');
    /* 6. payload hash */
    dynsess__sigv4_put(&w, out->payload_hash, strlen(out->payload_hash));
    if (w.over) goto too_long;
    s->scratch_len = w.n;

    /* string to sign */
    dynsess__sigv4_sha256(s->scratch, w.n, digest);
    {
        char *o = s->sts;
        memcpy(o, "AWS4-HMAC-SHA256\n", 17); o += 17;
        memcpy(o, out->amz_date, 16); o += 16; *o++ = '\n';
        memcpy(o, out->scope, scope_len); o += scope_len; *o++ = '\n';
        dynsess__sigv4_hex32(digest, o); o += 64;
        s->sts_len = (size_t)(o - s->sts);
    }

    /* signing key: cached per (secret, date, region, service) */
    if (!(s->key_valid && !memcmp(s->key_date, out->amz_date, 8) &&
          !strcmp(s->key_region, req->region) && !strcmp(s->key_service, req->service) &&
          s->key_secret_len == creds->secret_access_key.len &&
          dynsess__sigv4_ct_eq(s->key_secret, creds->secret_access_key.ptr, s->key_secret_len))) {
        uint8_t k[DYNSESS_SHA256_SIZE], kin[4 + DYNSESS_AWS_SECRET_MAX];
        memcpy(kin, "AWS4", 4);
        memcpy(kin + 4, creds->secret_access_key.ptr, creds->secret_access_key.len);
        dynsess_hmac_sha256(kin, 4 + creds->secret_access_key.len, out->amz_date, 8, k);
        dynsess_hmac_sha256(k, sizeof k, req->region, region_len, k);
        dynsess_hmac_sha256(k, sizeof k, req->service, service_len, k);
        dynsess_hmac_sha256(k, sizeof k, "aws4_request", 12, k);
        dynsess_hmac_sha256_init(&s->key_ctx, k, sizeof k);
        dynsess_wipe(k, sizeof k);
        dynsess_wipe(kin, sizeof kin);
        memcpy(s->key_date, out->amz_date, 8);
        memcpy(s->key_region, req->region, region_len + 1);
        memcpy(s->key_service, req->service, service_len + 1);
        dynsess_wipe(s->key_secret, sizeof s->key_secret);
        memcpy(s->key_secret, creds->secret_access_key.ptr, creds->secret_access_key.len);
        s->key_secret_len = creds->secret_access_key.len;
        s->key_valid = 1;
        s->key_derivations++;
    }
    /* HMAC(kSigning, sts) from the cached keyed state (RFC 2104): inner and
       outer states already absorbed the padded key blocks */
    /* (through the public API only: the context layout differs per backend) */
    memcpy(&mac, &s->key_ctx, sizeof mac);
    dynsess_hmac_sha256_update(&mac, s->sts, s->sts_len);
    dynsess_hmac_sha256_final(&mac, digest);
    dynsess_wipe(&mac, sizeof mac);
    dynsess__sigv4_hex32(digest, out->signature);

    out->session_token = token;
    out->canonical_request.ptr = s->scratch;
    out->canonical_request.len = s->scratch_len;
    out->string_to_sign.ptr = s->sts;
    out->string_to_sign.len = s->sts_len;
    out->authorization[0] = 0;
    out->authorization_len = 0;
    if (!presign) {
        size_t need = 28 + creds->access_key_id.len + 1 + scope_len + 16 + sh_len + 12 + 64;
        char *o = out->authorization;
        if (need + 1 > sizeof out->authorization)
            return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                                 "sigv4: authorization header over %d bytes", DYNSESS_SIGV4_AUTH_MAX);
        memcpy(o, "AWS4-HMAC-SHA256 Credential=", 28); o += 28;
        memcpy(o, creds->access_key_id.ptr, creds->access_key_id.len); o += creds->access_key_id.len;
        *o++ = '/';
        memcpy(o, out->scope, scope_len); o += scope_len;
        memcpy(o, ", SignedHeaders=", 16); o += 16;
        memcpy(o, s->scratch + sh_off, sh_len); o += sh_len;
        memcpy(o, ", Signature=", 12); o += 12;
        memcpy(o, out->signature, 64); o += 64;
        *o = 0;
        out->authorization_len = (size_t)(o - out->authorization);
    }
    s->signatures++;
    return DYNSESS_OK;
too_long:
    return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                         "sigv4: canonical request exceeds DYNSESS_SIGV4_SCRATCH (%d bytes)",
                         (int)DYNSESS_SIGV4_SCRATCH);
}

DYNSESS_DEF void dynsess_sigv4_signer_init(dynsess_sigv4_signer *s) {
    if (s) memset(s, 0, sizeof *s);
}

DYNSESS_DEF void dynsess_sigv4_signer_wipe(dynsess_sigv4_signer *s) {
    if (s) dynsess_wipe(s, sizeof *s);
}

DYNSESS_DEF dynsess_status dynsess_sigv4_sign(dynsess_sigv4_signer *s,
                                              const dynsess_aws_credentials *creds,
                                              const dynsess_sigv4_request *req,
                                              dynsess_sigv4_result *out, dynsess_error *err) {
    size_t qo, ql;
    return dynsess__sigv4_run(s, creds, req, 0, out, &qo, &ql, err);
}

DYNSESS_DEF dynsess_status dynsess_sigv4_presign(dynsess_sigv4_signer *s,
                                                 const dynsess_aws_credentials *creds,
                                                 const dynsess_sigv4_request *req,
                                                 char *query_out, size_t cap, size_t *query_len,
                                                 dynsess_sigv4_result *out, dynsess_error *err) {
    size_t qo = 0, ql = 0, need, o;
    int token_after;
    dynsess_status rc;
    if (!query_out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "sigv4: query_out is null");
    rc = dynsess__sigv4_run(s, creds, req, 1, out, &qo, &ql, err);
    if (rc) return rc;
    token_after = out->session_token.len && (req->flags & DYNSESS_SIGV4_OMIT_TOKEN);
    need = ql + (ql ? 1 : 0) + 16 + 64 + 1;
    if (token_after) need += 22 + 3 * out->session_token.len;
    if (need > cap)
        return dynsess__fail(err, DYNSESS_E_BUFFER, DYNSESS_NO_OFFSET,
                             "sigv4: presigned query needs %lu bytes, buffer has %lu",
                             (unsigned long)need, (unsigned long)cap);
    memcpy(query_out, s->scratch + qo, ql);
    o = ql;
    if (token_after) {
        dynsess__sigv4_w w;
        memcpy(query_out + o, "&X-Amz-Security-Token=", 22);
        o += 22;
        w.p = query_out + o;
        w.n = 0;
        w.cap = cap - o;
        w.over = 0;
        dynsess__sigv4_encode(&w, out->session_token.ptr, out->session_token.len, 0, 0);
        o += w.n;
    }
    memcpy(query_out + o, "&X-Amz-Signature=", 17);
    o += 17;
    memcpy(query_out + o, out->signature, 64);
    o += 64;
    query_out[o] = 0;
    if (query_len) *query_len = o;
    return DYNSESS_OK;
}
#undef DYNSESS__SIGV4_EXTRA_PARAMS
#undef DYNSESS__SIGV4_EXTRA_HEADERS
