/* tests/test_config.c - @config: status strings, errors, buffers, base64url, hex,
   wipe, constant-time compare, randomness, allocator hooks. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"

TT_TEST(strerror_covers_every_code) {
    int i;
    for (i = 0; i < (int)DYNSESS__STATUS_COUNT; i++) {
        const char *s = dynsess_strerror((dynsess_status)i);
        EXPECT(s && s[0]);
    }
    EXPECT_EQ_STR(dynsess_strerror(DYNSESS_OK), "ok");
    EXPECT_EQ_STR(dynsess_strerror((dynsess_status)9999), "unknown status");
    EXPECT_EQ_STR(dynsess_strerror((dynsess_status)-1), "unknown status");
}

TT_TEST(buf_append_limit_and_take) {
    dynsess_buf b;
    dynsess_error err;
    char *p;
    size_t n, i;
    dynsess_buf_init(&b, 0);
    EXPECT_OK(dynsess_buf_appendz(&b, "hello", &err), &err);
    EXPECT_OK(dynsess_buf_append(&b, " world", 6, &err), &err);
    EXPECT_EQ_STR(b.ptr, "hello world");
    EXPECT_EQ_INT(b.len, 11);
    for (i = 0; i < 1000; i++) EXPECT_OK(dynsess_buf_append(&b, "x", 1, &err), &err);
    EXPECT_EQ_INT(b.len, 1011);
    b.limit = 1012;
    EXPECT_OK(dynsess_buf_append(&b, "y", 1, &err), &err);
    EXPECT_EQ_INT(dynsess_buf_append(&b, "z", 1, &err), DYNSESS_E_LIMIT);
    EXPECT_EQ_INT(err.code, DYNSESS_E_LIMIT);
    EXPECT_EQ_INT(b.len, 1012);
    dynsess_buf_reset(&b);
    EXPECT_EQ_INT(b.len, 0);
    EXPECT_EQ_STR(b.ptr, "");
    EXPECT_OK(dynsess_buf_appendz(&b, "abc", &err), &err);
    p = dynsess_buf_take(&b, &n);
    EXPECT_EQ_INT(n, 3);
    EXPECT_EQ_STR(p, "abc");
    EXPECT(b.ptr == 0 && b.len == 0);
    dynsess_free(0, p);
    dynsess_buf_free(&b);
}

TT_TEST(buf_oom_leaves_buffer_unchanged) {
    tt_alloc_state st = {0, 0, 0, 0};
    dynsess_allocator a = TT_ALLOCATOR(&st);
    dynsess_buf b;
    dynsess_error err;
    dynsess_buf_init(&b, &a);
    EXPECT_OK(dynsess_buf_appendz(&b, "abc", &err), &err);
    st.fail_at = st.count + 1;
    {
        char big[200];
        memset(big, 'q', sizeof big);
        EXPECT_EQ_INT(dynsess_buf_append(&b, big, sizeof big, &err), DYNSESS_E_NOMEM);
    }
    EXPECT_EQ_STR(b.ptr, "abc");
    EXPECT_EQ_INT(b.len, 3);
    dynsess_buf_free(&b);
    EXPECT_EQ_INT(st.live, 0);
}

TT_TEST(base64url_roundtrip_all_lengths) {
    uint8_t in[64], out[64];
    char enc[100];
    size_t i, n, m;
    dynsess_error err;
    for (i = 0; i < sizeof in; i++) in[i] = (uint8_t)(i * 37 + 11);
    for (n = 0; n <= sizeof in; n++) {
        m = dynsess_base64url_encode(in, n, enc, sizeof enc);
        EXPECT_EQ_INT(m, DYNSESS_BASE64URL_LEN(n));
        EXPECT_EQ_INT(strlen(enc), m);
        EXPECT_OK(dynsess_base64url_decode(enc, m, out, sizeof out, &m, &err), &err);
        EXPECT_EQ_INT(m, n);
        EXPECT_EQ_MEM(in, out, n);
    }
    EXPECT_EQ_INT(dynsess_base64url_encode(in, 3, enc, 4), (size_t)-1);
}

TT_TEST(base64url_strict_rejects) {
    static const char *bad[] = {"Zh", "Zm9=", "Zm9v=", "Z", "Zm 9v", "Zm+v", "Zm/v", "Zm9vY", "Zm9\n"};
    uint8_t out[16];
    size_t i, n;
    dynsess_error err;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dynsess_status rc = dynsess_base64url_decode(bad[i], strlen(bad[i]), out, sizeof out, &n, &err);
        if (rc != DYNSESS_E_COOKIE) TT__FAIL("accepted or wrong code for \"%s\": %d", bad[i], (int)rc);
    }
    EXPECT_OK(dynsess_base64url_decode("Zg", 2, out, sizeof out, &n, &err), &err);
    EXPECT_EQ_INT(n, 1);
    EXPECT_EQ_INT(out[0], 'f');
    EXPECT_EQ_INT(dynsess_base64url_decode("Zm9vYmFy", 8, out, 5, &n, &err), DYNSESS_E_BUFFER);
}

TT_TEST(hex_roundtrip_and_rejects) {
    uint8_t in[4] = {0x00, 0xab, 0xCD, 0xff}, out[4];
    char h[9];
    size_t n;
    dynsess_error err;
    dynsess_hex_encode(in, 4, h);
    EXPECT_EQ_STR(h, "00abcdff");
    EXPECT_OK(dynsess_hex_decode("00ABcdFF", 8, out, 4, &n, &err), &err);
    EXPECT_EQ_MEM(in, out, 4);
    EXPECT_EQ_INT(dynsess_hex_decode("abc", 3, out, 4, &n, &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_hex_decode("zz", 2, out, 4, &n, &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(err.offset, 0);
    EXPECT_EQ_INT(dynsess_hex_decode("0000000000", 10, out, 4, &n, &err), DYNSESS_E_BUFFER);
}

TT_TEST(ct_equal_and_wipe) {
    uint8_t a[32], b[32];
    int i;
    for (i = 0; i < 32; i++) a[i] = b[i] = (uint8_t)i;
    EXPECT_EQ_INT(dynsess_ct_equal(a, b, 32), 1);
    EXPECT_EQ_INT(dynsess_ct_equal(a, b, 0), 1);
    for (i = 0; i < 32; i++) {
        b[i] ^= 0x80;
        EXPECT_EQ_INT(dynsess_ct_equal(a, b, 32), 0);
        b[i] ^= 0x80;
        b[i] ^= 1;
        EXPECT_EQ_INT(dynsess_ct_equal(a, b, 32), 0);
        b[i] ^= 1;
    }
    dynsess_wipe(a, sizeof a);
    for (i = 0; i < 32; i++) EXPECT_EQ_INT(a[i], 0);
}

TT_TEST(random_bytes_differ) {
    uint8_t a[32], b[32];
    dynsess_error err;
    EXPECT_OK(dynsess_random_bytes(a, sizeof a, &err), &err);
    EXPECT_OK(dynsess_random_bytes(b, sizeof b, &err), &err);
    EXPECT(!dynsess_ct_equal(a, b, 32));
    EXPECT_OK(dynsess_random_bytes(a, 0, &err), &err);
}

static dynsess_status failing_rng(void *user, void *buf, size_t n) {
    (void)user; (void)buf; (void)n;
    return DYNSESS_E_RANDOM;
}
TT_TEST(rng_hook_failure_is_an_error) {
    dynsess_rng r = {failing_rng, 0};
    uint8_t x[8];
    dynsess_error err;
    EXPECT_EQ_INT(dynsess__rng_fill(&r, x, sizeof x, &err), DYNSESS_E_RANDOM);
    EXPECT(strstr(err.msg, "random") != 0);
}

TT_TEST(allocator_validation) {
    tt_alloc_state st = {0, 0, 0, 0};
    dynsess_allocator ok = TT_ALLOCATOR(&st), half = TT_ALLOCATOR(&st), none;
    memset(&none, 0, sizeof none);
    half.free = 0;
    EXPECT(dynsess__allocator_valid(0));
    EXPECT(dynsess__allocator_valid(&none));
    EXPECT(dynsess__allocator_valid(&ok));
    EXPECT(!dynsess__allocator_valid(&half));
}

TT_TEST(error_format_and_clear) {
    dynsess_error err;
    EXPECT_EQ_INT(dynsess__fail(&err, DYNSESS_E_JSON, 17, "json: unexpected '%c' at offset %d", ',', 17),
                  DYNSESS_E_JSON);
    EXPECT_EQ_STR(err.msg, "json: unexpected ',' at offset 17");
    EXPECT_EQ_INT(err.offset, 17);
    dynsess_error_clear(&err);
    EXPECT_EQ_INT(err.code, DYNSESS_OK);
    EXPECT_EQ_STR(err.msg, "");
    EXPECT_EQ_INT(dynsess__fail(0, DYNSESS_E_ARG, 0, "x"), DYNSESS_E_ARG);
}

/* RFC 4648 vectors (tests/vectors/rfc/rfc4648_base64.json, read with the library's own
   JSON parser): every entry's unpadded base64url form encodes and decodes exactly; every
   decode_reject input is refused, except the one the file marks as valid unpadded. */
static void hex_to_bytes(dynsess_str h, uint8_t *out, size_t *n) {
    dynsess_error err;
    *n = 0;
    if (dynsess_hex_decode(h.ptr, h.len, out, 512, n, &err)) *n = (size_t)-1;
}
TT_TEST(base64url_rfc4648_vectors) {
    size_t len, i, checked = 0;
    char *text = tt_read_file("tests/vectors/rfc/rfc4648_base64.json", &len);
    dynsess_doc *doc = 0;
    dynsess_value *root = 0;
    const dynsess_value *enc, *rej;
    dynsess_error err;
    ASSERT(text);
    ASSERT_OK(dynsess_doc_new(0, &doc, &err), &err);
    if (dynsess_json_parse(doc, text, len, 0, &root, &err)) { TT__FAIL("parse: %s", err.msg); goto done; }
    enc = dynsess_object_get(root, "encode", 6);
    rej = dynsess_object_get(root, "decode_reject", 13);
    EXPECT(dynsess_value_len(enc) >= 17);
    EXPECT(dynsess_value_len(rej) >= 11);
    for (i = 0; i < dynsess_value_len(enc); i++) {
        const dynsess_value *e = dynsess_array_at(enc, i);
        const dynsess_value *nopad = dynsess_object_get(e, "base64url_nopad", 15);
        dynsess_str id = dynsess_value_str(dynsess_object_get(e, "id", 2));
        dynsess_str want = dynsess_value_str(nopad);
        uint8_t data[512], back[512];
        char out[1024];
        size_t n, m;
        if (!nopad) continue;
        hex_to_bytes(dynsess_value_str(dynsess_object_get(e, "data", 4)), data, &n);
        if (n == (size_t)-1) { TT__FAIL("%.*s: bad hex", (int)id.len, id.ptr); continue; }
        m = dynsess_base64url_encode(data, n, out, sizeof out);
        if (m != want.len || memcmp(out, want.ptr, m))
            TT__FAIL("%.*s: encode gave %.200s", (int)id.len, id.ptr, out);
        if (dynsess_base64url_decode(want.ptr, want.len, back, sizeof back, &m, &err) || m != n ||
            memcmp(back, data, n))
            TT__FAIL("%.*s: decode failed (%s)", (int)id.len, id.ptr, err.msg);
        checked++;
    }
    for (i = 0; i < dynsess_value_len(rej); i++) {
        const dynsess_value *e = dynsess_array_at(rej, i);
        dynsess_str in = dynsess_value_str(dynsess_object_get(e, "input", 5));
        const dynsess_value *ok = dynsess_object_get(e, "nopad_decodes_to", 16);
        uint8_t out[64], want[64];
        size_t n, wn;
        dynsess_status rc = dynsess_base64url_decode(in.ptr, in.len, out, sizeof out, &n, &err);
        if (ok) {
            hex_to_bytes(dynsess_value_str(ok), want, &wn);
            if (rc || n != wn || memcmp(out, want, n)) TT__FAIL("\"%.*s\" should decode", (int)in.len, in.ptr);
        } else if (rc != DYNSESS_E_COOKIE) {
            TT__FAIL("\"%.*s\" accepted or wrong code %d", (int)in.len, in.ptr, (int)rc);
        }
        checked++;
    }
    EXPECT(checked >= 28);
done:
    dynsess_doc_free(doc);
    free(text);
}

static const tt_case tt_cases[] = {
    TT_CASE(base64url_rfc4648_vectors),
    TT_CASE(strerror_covers_every_code), TT_CASE(buf_append_limit_and_take),
    TT_CASE(buf_oom_leaves_buffer_unchanged), TT_CASE(base64url_roundtrip_all_lengths),
    TT_CASE(base64url_strict_rejects), TT_CASE(hex_roundtrip_and_rejects),
    TT_CASE(ct_equal_and_wipe), TT_CASE(random_bytes_differ), TT_CASE(rng_hook_failure_is_an_error),
    TT_CASE(allocator_validation), TT_CASE(error_format_and_clear),
};
int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
