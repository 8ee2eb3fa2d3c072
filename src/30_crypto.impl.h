/* ======================================================================
   @crypto  implementation
   CT: no branch or index depends on key or message bytes.
   ====================================================================== */
static const uint32_t dynsess__sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t dynsess__load32_be(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void dynsess__store32_be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
#define DYNSESS__ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* Portable compression of nblocks 64-byte blocks. CT: data-independent. */
static void dynsess__sha256_blocks_portable(uint32_t st[8], const uint8_t *p, size_t nblocks) {
    uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
    int i;
    while (nblocks--) {
        for (i = 0; i < 16; i++) w[i] = dynsess__load32_be(p + 4 * i);
        for (i = 16; i < 64; i++) {
            uint32_t s0 = DYNSESS__ROR32(w[i - 15], 7) ^ DYNSESS__ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = DYNSESS__ROR32(w[i - 2], 17) ^ DYNSESS__ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        a = st[0]; b = st[1]; c = st[2]; d = st[3]; e = st[4]; f = st[5]; g = st[6]; h = st[7];
        for (i = 0; i < 64; i++) {
            t1 = h + (DYNSESS__ROR32(e, 6) ^ DYNSESS__ROR32(e, 11) ^ DYNSESS__ROR32(e, 25)) +
                 ((e & f) ^ (~e & g)) + dynsess__sha256_k[i] + w[i];
            t2 = (DYNSESS__ROR32(a, 2) ^ DYNSESS__ROR32(a, 13) ^ DYNSESS__ROR32(a, 22)) +
                 ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        st[0] += a; st[1] += b; st[2] += c; st[3] += d;
        st[4] += e; st[5] += f; st[6] += g; st[7] += h;
        p += 64;
    }
    dynsess_wipe(w, sizeof w);
}

DYNSESS_DEF void dynsess_sha256_init(dynsess_sha256_ctx *c) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->state, iv, sizeof iv);
    c->count = 0;
}

DYNSESS_DEF void dynsess_sha256_update(dynsess_sha256_ctx *c, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    size_t used = (size_t)(c->count & 63);
    c->count += n;
    if (used) {
        size_t take = 64 - used < n ? 64 - used : n;
        memcpy(c->buf + used, p, take);
        p += take; n -= take; used += take;
        if (used < 64) return;
        dynsess__sha256_blocks_portable(c->state, c->buf, 1);
    }
    if (n >= 64) {
        dynsess__sha256_blocks_portable(c->state, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n) memcpy(c->buf, p, n);
}

DYNSESS_DEF void dynsess_sha256_final(const dynsess_sha256_ctx *c, uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx t = *c;
    size_t used = (size_t)(t.count & 63);
    uint64_t bits = t.count * 8;
    int i;
    t.buf[used++] = 0x80;
    if (used > 56) {
        memset(t.buf + used, 0, 64 - used);
        dynsess__sha256_blocks_portable(t.state, t.buf, 1);
        used = 0;
    }
    memset(t.buf + used, 0, 56 - used);
    dynsess__store32_be(t.buf + 56, (uint32_t)(bits >> 32));
    dynsess__store32_be(t.buf + 60, (uint32_t)bits);
    dynsess__sha256_blocks_portable(t.state, t.buf, 1);
    for (i = 0; i < 8; i++) dynsess__store32_be(out + 4 * i, t.state[i]);
    dynsess_wipe(&t, sizeof t);
}

DYNSESS_DEF void dynsess_sha256(const void *p, size_t n, uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx c;
    dynsess_sha256_init(&c);
    dynsess_sha256_update(&c, p, n);
    dynsess_sha256_final(&c, out);
    dynsess_wipe(&c, sizeof c);
}

/* RFC 2104. CT: depends on key_len and message length only. */
DYNSESS_DEF void dynsess_hmac_sha256_init(dynsess_hmac_sha256_ctx *c, const void *key, size_t key_len) {
    uint8_t k[DYNSESS_SHA256_BLOCK], pad[DYNSESS_SHA256_BLOCK];
    int i;
    memset(k, 0, sizeof k);
    if (key_len > DYNSESS_SHA256_BLOCK) dynsess_sha256(key, key_len, k);
    else if (key_len) memcpy(k, key, key_len);
    for (i = 0; i < DYNSESS_SHA256_BLOCK; i++) pad[i] = (uint8_t)(k[i] ^ 0x36);
    dynsess_sha256_init(&c->inner);
    dynsess_sha256_update(&c->inner, pad, sizeof pad);
    for (i = 0; i < DYNSESS_SHA256_BLOCK; i++) pad[i] = (uint8_t)(k[i] ^ 0x5c);
    dynsess_sha256_init(&c->outer);
    dynsess_sha256_update(&c->outer, pad, sizeof pad);
    dynsess_wipe(k, sizeof k);
    dynsess_wipe(pad, sizeof pad);
}

DYNSESS_DEF void dynsess_hmac_sha256_update(dynsess_hmac_sha256_ctx *c, const void *p, size_t n) {
    dynsess_sha256_update(&c->inner, p, n);
}

DYNSESS_DEF void dynsess_hmac_sha256_final(const dynsess_hmac_sha256_ctx *c,
                                           uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx o = c->outer;
    uint8_t ih[DYNSESS_SHA256_SIZE];
    dynsess_sha256_final(&c->inner, ih);
    dynsess_sha256_update(&o, ih, sizeof ih);
    dynsess_sha256_final(&o, out);
    dynsess_wipe(ih, sizeof ih);
    dynsess_wipe(&o, sizeof o);
}

DYNSESS_DEF void dynsess_hmac_sha256(const void *key, size_t key_len, const void *p, size_t n,
                                     uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_hmac_sha256_ctx c;
    dynsess_hmac_sha256_init(&c, key, key_len);
    dynsess_hmac_sha256_update(&c, p, n);
    dynsess_hmac_sha256_final(&c, out);
    dynsess_wipe(&c, sizeof c);
}
#undef DYNSESS__ROR32
