/* tests/test_json.c - @json: JSONTestSuite (every y_ accepted, every n_ rejected,
   each i_ with its documented policy), error offsets, numbers and a 1,000,000-double
   round trip, strings and UTF-8, duplicate keys, depth and size limits, values
   (build, edit, copy, equal), the writer and its buffer limit, and OOM loops
   with tt.h's failing allocator (fail the Nth allocation, once and from then on). */
#define _POSIX_C_SOURCE 200809L
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"
#include <dirent.h>
#include <math.h>

#define SUITE_DIR "tests/vectors/JSONTestSuite/test_parsing"

/* ---- helpers ------------------------------------------------------------------ */
/* Parses s (len bytes) into a fresh doc; returns the status; fills *doc and *root. */
static dynsess_status parse_new(const char *s, size_t len, const dynsess_json_opts *o, dynsess_doc **doc,
                                dynsess_value **root, dynsess_error *err) {
    dynsess_status rc = dynsess_doc_new(0, doc, err);
    if (rc) return rc;
    return dynsess_json_parse(*doc, s, len, o, root, err);
}

/* Parses then writes s; returns a malloc'd string of the output or 0 on parse error. */
static char *roundtrip(const char *s, dynsess_error *err) {
    dynsess_doc *doc;
    dynsess_value *root;
    dynsess_buf b;
    char *out = 0;
    dynsess_buf_init(&b, 0);
    if (parse_new(s, strlen(s), 0, &doc, &root, err) == DYNSESS_OK &&
        dynsess_json_write(root, &b, err) == DYNSESS_OK) {
        out = (char *)malloc(b.len + 1);
        memcpy(out, b.ptr, b.len + 1);
    }
    dynsess_buf_free(&b);
    dynsess_doc_free(doc);
    return out;
}

static int expect_error(const char *s, dynsess_status code, size_t offset, const char *msg) {
    dynsess_doc *doc;
    dynsess_value *root = 0;
    dynsess_error err;
    dynsess_status rc = parse_new(s, strlen(s), 0, &doc, &root, &err);
    int ok = rc == code && err.code == code && err.offset == offset && root == 0 &&
             (!msg || !strcmp(err.msg, msg));
    if (!ok) printf("  input %s: got %d offset %lu \"%s\"\n", s, (int)rc, (unsigned long)err.offset, err.msg);
    dynsess_doc_free(doc);
    return ok;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rng_next(void) { /* splitmix64: fixed seed, replayable */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}
static uint64_t rng_next_swar(void) { return rng_next(); }

/* ---- character classes: the table matches its definition ----------------------- */
TT_TEST(json_char_table) {
    int c;
    for (c = 0; c < 256; c++) {
        int want = 0;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') want |= 1;
        if (c < 0x20 || c == '"' || c == '\\') want |= 2;
        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) want |= 4;
        if (dynsess__json_cls[c] != want) TT__FAIL("class of byte 0x%02x is %d, want %d", c, dynsess__json_cls[c], want);
    }
}

/* ---- SWAR block scan: the lowest flagged byte is exactly the first special byte ---- */
static int byte_special(unsigned c, int hi) { return c < 0x20 || c == '"' || c == '\\' || (hi && c >= 0x80); }
TT_TEST(json_swar_first_special) {
    static const unsigned char pick[] = {0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d,
                                         0x7f, 0x80, 0x81, 0xa2, 0xdc, 0xff, 'a', 'z', '0', ' '};
    const uint16_t one = 1;
    const int little_endian = *(const unsigned char *)&one == 1;
    long it;
    int hi;
    for (it = 0; it < 400000; it++) {
        unsigned char b[8];
        uint64_t x, m, r = rng_next_swar();
        int i, want;
        for (i = 0; i < 8; i++) b[i] = (r >> (8 * i)) & 0x80 ? pick[(r >> (8 * i)) % sizeof pick] : (unsigned char)(r >> (8 * i + 1));
        memcpy(&x, b, 8);
        for (hi = 0; hi < 2; hi++) {
            int got = -1;
            for (want = 0; want < 8 && !byte_special(b[want], hi); want++) {}
            m = dynsess__swar_special(x, hi);
            if (m) { /* lowest flagged byte; on little-endian hosts byte i of b is bits 8i.. */
                for (i = 0; i < 8 && !((m >> (8 * i)) & 0x80); i++) {}
                got = i;
            }
            if ((want == 8) != (m == 0) || (m && little_endian && got != want)) {
                TT__FAIL("block %02x%02x%02x%02x%02x%02x%02x%02x hi=%d: first special %d, swar says %d", b[0], b[1], b[2],
                         b[3], b[4], b[5], b[6], b[7], hi, want, got);
                return;
            }
        }
    }
}

/* ---- JSONTestSuite ----------------------------------------------------------------- */
/* i_ files we accept; every other i_ file is rejected:
   numbers that overflow a double are rejected, underflow reads as 0, big integers
   become doubles; invalid UTF-8 (raw or lone/inverted surrogate escapes), UTF-16
   and a UTF-8 BOM are rejected; 500 nested arrays exceed the default depth 128. */
static const char *const suite_i_accept[] = {
    "i_number_double_huge_neg_exp.json", "i_number_real_underflow.json",
    "i_number_too_big_neg_int.json",     "i_number_too_big_pos_int.json",
    "i_number_very_big_negative_int.json"};

static int suite_i_accepted(const char *name) {
    size_t i;
    for (i = 0; i < sizeof suite_i_accept / sizeof suite_i_accept[0]; i++)
        if (!strcmp(name, suite_i_accept[i])) return 1;
    return 0;
}

/* After a successful parse: write, re-parse, compare, and write again identically. */
static void check_stable(const dynsess_value *root, const char *name) {
    dynsess_buf b1, b2;
    dynsess_doc *doc2;
    dynsess_value *root2;
    dynsess_error err;
    dynsess_buf_init(&b1, 0);
    dynsess_buf_init(&b2, 0);
    if (dynsess_json_write(root, &b1, &err)) TT__FAIL("%s: write failed: %s", name, err.msg);
    else if (parse_new(b1.ptr, b1.len, 0, &doc2, &root2, &err)) {
        TT__FAIL("%s: output does not parse: %s", name, err.msg);
        dynsess_doc_free(doc2);
    } else {
        if (!dynsess_value_equal(root, root2)) TT__FAIL("%s: re-parsed value differs", name);
        if (dynsess_json_write(root2, &b2, &err) || b1.len != b2.len || memcmp(b1.ptr, b2.ptr, b1.len))
            TT__FAIL("%s: second write differs", name);
        dynsess_doc_free(doc2);
    }
    dynsess_buf_free(&b1);
    dynsess_buf_free(&b2);
}

TT_TEST(json_test_suite) {
    DIR *d = opendir(SUITE_DIR);
    struct dirent *de;
    int ny = 0, nn = 0, ni = 0;
    ASSERT(d != 0);
    while ((de = readdir(d)) != 0) {
        char path[512];
        char *data;
        size_t len = 0;
        dynsess_doc *doc;
        dynsess_value *root = 0;
        dynsess_error err;
        dynsess_status rc;
        int want;
        const char *name = de->d_name;
        if (name[0] == '.' || !strstr(name, ".json")) continue;
        snprintf(path, sizeof path, "%s/%s", SUITE_DIR, name);
        data = tt_read_file(path, &len);
        if (!data) { TT__FAIL("cannot read %s", path); continue; }
        rc = parse_new(data, len, 0, &doc, &root, &err);
        if (name[0] == 'y') { want = 1; ny++; }
        else if (name[0] == 'n') { want = 0; nn++; }
        else { want = suite_i_accepted(name); ni++; }
        if (want && rc) TT__FAIL("%s: rejected: %s", name, err.msg);
        if (!want && !rc) TT__FAIL("%s: accepted", name);
        if (!want && rc) {
            /* every rejection carries an offset inside (or at the end of) the input */
            if (rc == DYNSESS_E_JSON && (err.offset > len || strncmp(err.msg, "json: ", 6)))
                TT__FAIL("%s: bad error \"%s\" offset %lu", name, err.msg, (unsigned long)err.offset);
            if (rc != DYNSESS_E_JSON && rc != DYNSESS_E_DEPTH) TT__FAIL("%s: code %d", name, (int)rc);
        }
        if (!rc) check_stable(root, name);
        dynsess_doc_free(doc);
        free(data);
    }
    closedir(d);
    EXPECT_EQ_INT(ny, 95);
    EXPECT_EQ_INT(nn, 188);
    EXPECT_EQ_INT(ni, 35);
}

TT_TEST(json_suite_500_nested_with_higher_limit) {
    size_t len;
    char *data = tt_read_file(SUITE_DIR "/i_structure_500_nested_arrays.json", &len);
    dynsess_doc *doc;
    dynsess_value *root;
    dynsess_error err;
    dynsess_json_opts o;
    ASSERT(data != 0);
    o.max_depth = 500;
    o.max_len = 0;
    EXPECT_OK(parse_new(data, len, &o, &doc, &root, &err), &err);
    dynsess_doc_free(doc);
    o.max_depth = 499;
    EXPECT_EQ_INT(parse_new(data, len, &o, &doc, &root, &err), DYNSESS_E_DEPTH);
    EXPECT_EQ_INT(err.offset, 499);
    dynsess_doc_free(doc);
    free(data);
}

/* ---- error messages carry the byte offset ---------------------------------------------- */
TT_TEST(json_error_offsets) {
    EXPECT(expect_error("{\"a\":1,\"b\":[1,2,,3]}", DYNSESS_E_JSON, 16, "json: unexpected ',' at offset 16"));
    EXPECT(expect_error("[1,2,]", DYNSESS_E_JSON, 5, "json: trailing comma at offset 5"));
    EXPECT(expect_error("{\"a\":1,}", DYNSESS_E_JSON, 7, "json: trailing comma at offset 7"));
    EXPECT(expect_error("[01]", DYNSESS_E_JSON, 1, "json: leading zero in number at offset 1"));
    EXPECT(expect_error("[-01]", DYNSESS_E_JSON, 2, "json: leading zero in number at offset 2"));
    EXPECT(expect_error("[1.]", DYNSESS_E_JSON, 3, "json: digit expected after '.' at offset 3"));
    EXPECT(expect_error("[1e]", DYNSESS_E_JSON, 3, "json: digit expected in exponent at offset 3"));
    EXPECT(expect_error("[1e999]", DYNSESS_E_JSON, 1, "json: number out of double range at offset 1"));
    EXPECT(expect_error("[-1e999]", DYNSESS_E_JSON, 1, "json: number out of double range at offset 1"));
    EXPECT(expect_error("[\"a\\x\"]", DYNSESS_E_JSON, 3, "json: invalid escape at offset 3"));
    EXPECT(expect_error("[\"a\\u12G4\"]", DYNSESS_E_JSON, 3, "json: invalid \\u escape at offset 3"));
    EXPECT(expect_error("[\"\\ud800\"]", DYNSESS_E_JSON, 2, "json: lone high surrogate escape at offset 2"));
    EXPECT(expect_error("[\"\\ude00\\ud83d\"]", DYNSESS_E_JSON, 2, "json: lone low surrogate escape at offset 2"));
    EXPECT(expect_error("[\"\\ud83d\\u0041\"]", DYNSESS_E_JSON, 2, "json: lone high surrogate escape at offset 2"));
    EXPECT(expect_error("[\"a\tb\"]", DYNSESS_E_JSON, 3, "json: control character in string at offset 3"));
    EXPECT(expect_error("[\"a\xc0\xaf\"]", DYNSESS_E_JSON, 3, "json: invalid utf-8 in string at offset 3"));
    EXPECT(expect_error("[\"\xed\xa0\x80\"]", DYNSESS_E_JSON, 2, "json: invalid utf-8 in string at offset 2"));
    EXPECT(expect_error("[\"\xf4\x90\x80\x80\"]", DYNSESS_E_JSON, 2, "json: invalid utf-8 in string at offset 2"));
    EXPECT(expect_error("[\"\xe2\x82\"]", DYNSESS_E_JSON, 2, "json: invalid utf-8 in string at offset 2"));
    EXPECT(expect_error("[\"abc", DYNSESS_E_JSON, 5, "json: unterminated string at offset 5"));
    EXPECT(expect_error("[1 2]", DYNSESS_E_JSON, 3, "json: unexpected '2' at offset 3"));
    EXPECT(expect_error("[tru]", DYNSESS_E_JSON, 4, "json: unexpected ']' at offset 4"));
    EXPECT(expect_error("[1", DYNSESS_E_JSON, 2, "json: unexpected end of input at offset 2"));
    EXPECT(expect_error("", DYNSESS_E_JSON, 0, "json: unexpected end of input at offset 0"));
    EXPECT(expect_error("{} x", DYNSESS_E_JSON, 3, "json: unexpected data after the document at offset 3"));
    EXPECT(expect_error("{\"a\" 1}", DYNSESS_E_JSON, 5, "json: unexpected '1' at offset 5"));
    EXPECT(expect_error("{1:1}", DYNSESS_E_JSON, 1, "json: unexpected '1' at offset 1"));
    EXPECT(expect_error("[\x01]", DYNSESS_E_JSON, 1, "json: unexpected byte 0x01 at offset 1"));
    EXPECT(expect_error("\xef\xbb\xbf{}", DYNSESS_E_JSON, 0, "json: unexpected byte 0xef at offset 0"));
}

TT_TEST(json_error_args_and_rewind) {
    dynsess_doc *doc;
    dynsess_value *root = (dynsess_value *)1, *keep;
    dynsess_error err;
    char big[4000];
    size_t i, n = 0;
    ASSERT_OK(dynsess_doc_new(0, &doc, &err), &err);
    EXPECT_EQ_INT(dynsess_json_parse(0, "1", 1, 0, &root, &err), DYNSESS_E_ARG);
    EXPECT(root == 0);
    EXPECT_EQ_INT(dynsess_json_parse(doc, 0, 1, 0, &root, &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_json_parse(doc, "1", 1, 0, 0, &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_doc_new(0, 0, &err), DYNSESS_E_ARG);
    /* a failed parse leaves earlier values of the doc intact */
    ASSERT_OK(dynsess_json_parse(doc, "{\"k\":\"v\"}", 9, 0, &keep, &err), &err);
    big[n++] = '[';
    for (i = 0; i < 700; i++) { memcpy(big + n, "\"ab\",", 5); n += 5; }
    big[n++] = 'x';
    EXPECT_EQ_INT(dynsess_json_parse(doc, big, n, 0, &root, &err), DYNSESS_E_JSON);
    EXPECT_EQ_INT(dynsess_value_str(dynsess_object_get(keep, "k", 1)).len, 1);
    dynsess_doc_free(doc);
    dynsess_doc_free(0);
}

/* ---- numbers ------------------------------------------------------------------------ */
TT_TEST(json_numbers) {
    static const struct { const char *in; dynsess_json_type t; int64_t i; double d; const char *out; } cases[] = {
        {"0", DYNSESS_JSON_INT, 0, 0, "0"},
        {"-0", DYNSESS_JSON_INT, 0, 0, "0"},
        /* 18 and 19 digits, either sign, and an exponent right after the digits */
        {"999999999999999999", DYNSESS_JSON_INT, INT64_C(999999999999999999), 0, "999999999999999999"},
        {"-999999999999999999", DYNSESS_JSON_INT, -INT64_C(999999999999999999), 0, "-999999999999999999"},
        {"1000000000000000000", DYNSESS_JSON_INT, INT64_C(1000000000000000000), 0, "1000000000000000000"},
        {"-1000000000000000000", DYNSESS_JSON_INT, -INT64_C(1000000000000000000), 0, "-1000000000000000000"},
        {"123456789012345678e1", DYNSESS_JSON_REAL, 0, 1234567890123456780.0, "1.2345678901234568e+18"},
        {"12E1", DYNSESS_JSON_REAL, 0, 120.0, "120.0"},
        {"-7", DYNSESS_JSON_INT, -7, 0, "-7"},
        {"9223372036854775807", DYNSESS_JSON_INT, INT64_MAX, 0, "9223372036854775807"},
        {"-9223372036854775808", DYNSESS_JSON_INT, INT64_MIN, 0, "-9223372036854775808"},
        {"9223372036854775808", DYNSESS_JSON_REAL, 0, 9223372036854775808.0, "9.223372036854776e+18"},
        {"-9223372036854775809", DYNSESS_JSON_REAL, 0, -9223372036854775808.0, "-9.223372036854776e+18"},
        {"10000000000000000999", DYNSESS_JSON_REAL, 0, 1e19, "1e+19"},
        {"1.0", DYNSESS_JSON_REAL, 0, 1.0, "1.0"},
        {"-0.0", DYNSESS_JSON_REAL, 0, -0.0, "-0.0"},
        {"1e6", DYNSESS_JSON_REAL, 0, 1e6, "1000000.0"},
        {"1E+2", DYNSESS_JSON_REAL, 0, 100, "100.0"},
        {"0.1", DYNSESS_JSON_REAL, 0, 0.1, "0.1"},
        {"-123.456", DYNSESS_JSON_REAL, 0, -123.456, "-123.456"},
        {"0.000123", DYNSESS_JSON_REAL, 0, 0.000123, "0.000123"},
        {"1.000000000000000005", DYNSESS_JSON_REAL, 0, 1.0, "1.0"},
        {"1e-999", DYNSESS_JSON_REAL, 0, 0.0, "0.0"},
        {"1.7976931348623157e308", DYNSESS_JSON_REAL, 0, 1.7976931348623157e308, "1.7976931348623157e+308"},
        {"4.9406564584124654e-324", DYNSESS_JSON_REAL, 0, 4.9406564584124654e-324, 0},
        {"123456789012345678901234567890", DYNSESS_JSON_REAL, 0, 1.2345678901234568e29, "1.2345678901234568e+29"},
        {"513.435", DYNSESS_JSON_REAL, 0, 513.435, "513.435"},
        {"0.30000000000000004", DYNSESS_JSON_REAL, 0, 0.30000000000000004, "0.30000000000000004"},
        {"123456789012345.6", DYNSESS_JSON_REAL, 0, 123456789012345.6, "123456789012345.6"},
        {"2.5e-7", DYNSESS_JSON_REAL, 0, 2.5e-7, "0.00000025"},
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        dynsess_doc *doc;
        dynsess_value *v;
        dynsess_error err;
        dynsess_buf b;
        if (parse_new(cases[k].in, strlen(cases[k].in), 0, &doc, &v, &err)) {
            TT__FAIL("%s: %s", cases[k].in, err.msg);
            dynsess_doc_free(doc);
            continue;
        }
        EXPECT_EQ_INT(dynsess_value_type(v), cases[k].t);
        if (cases[k].t == DYNSESS_JSON_INT) EXPECT(dynsess_value_int(v) == cases[k].i);
        else if (dynsess_value_real(v) != cases[k].d || signbit(dynsess_value_real(v)) != signbit(cases[k].d))
            TT__FAIL("%s: read %.17g", cases[k].in, dynsess_value_real(v));
        dynsess_buf_init(&b, 0);
        EXPECT_OK(dynsess_json_write(v, &b, &err), &err);
        if (cases[k].out) EXPECT_EQ_STR(b.ptr, cases[k].out);
        dynsess_buf_free(&b);
        dynsess_doc_free(doc);
    }
}


/* 1,000,000 doubles (random bit patterns, then short decimals) write and parse back bit-exact. */
TT_TEST(json_double_roundtrip_1m) {
    dynsess_doc *doc;
    dynsess_error err;
    dynsess_buf b;
    long i, bad = 0;
    ASSERT_OK(dynsess_doc_new(0, &doc, &err), &err);
    dynsess_buf_init(&b, 0);
    for (i = 0; i < 1000000; i++) {
        uint64_t bits = rng_next(), back_bits;
        double d, back;
        dynsess_value *v, *r;
        if (i % 2) {
            /* short decimals: m / 10^k, the kind sessions carry */
            d = (double)(int64_t)(bits % 20000001u - 10000000) / pow(10, (double)((bits >> 40) % 9));
        } else {
            memcpy(&d, &bits, 8);
            if (!isfinite(d)) continue;
        }
        v = dynsess_value_new_real(doc, d);
        dynsess_buf_reset(&b);
        if (!v || dynsess_json_write(v, &b, &err) || dynsess_json_parse(doc, b.ptr, b.len, 0, &r, &err) ||
            dynsess_value_type(r) != DYNSESS_JSON_REAL) {
            if (bad++ < 5) TT__FAIL("%.17g: write/parse failed (%s) \"%s\"", d, err.msg, b.ptr ? b.ptr : "");
            continue;
        }
        back = dynsess_value_real(r);
        memcpy(&back_bits, &back, 8);
        memcpy(&bits, &d, 8);
        if (back_bits != bits && bad++ < 5) TT__FAIL("%.17g wrote \"%s\" read %.17g", d, b.ptr, back);
        if (i % 4096 == 0) { /* keep memory flat: a fresh arena now and then */
            dynsess_doc_free(doc);
            ASSERT_OK(dynsess_doc_new(0, &doc, &err), &err);
        }
    }
    EXPECT_EQ_INT(bad, 0);
    dynsess_buf_free(&b);
    dynsess_doc_free(doc);
}

/* ---- strings ------------------------------------------------------------------------ */
TT_TEST(json_strings) {
    dynsess_doc *doc;
    dynsess_value *v;
    dynsess_error err;
    dynsess_str s;
    char *out;
    const char *in = "[\"a\\u0000b\", \"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\u20ac\\ud83d\\ude00\", "
                     "\"\xe2\x80\xa8\", \"\\u001f\\u007f\"]";
    ASSERT_OK(parse_new(in, strlen(in), 0, &doc, &v, &err), &err);
    s = dynsess_value_str(dynsess_array_at(v, 0));
    EXPECT_EQ_INT(s.len, 3);
    EXPECT_EQ_MEM(s.ptr, "a\0b", 3);
    s = dynsess_value_str(dynsess_array_at(v, 1));
    EXPECT_EQ_INT(s.len, 8);
    EXPECT_EQ_MEM(s.ptr, "\"\\/\b\f\n\r\t", 8);
    s = dynsess_value_str(dynsess_array_at(v, 2));
    EXPECT_EQ_INT(s.len, 9);
    EXPECT_EQ_MEM(s.ptr, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
    dynsess_doc_free(doc);
    out = roundtrip(in, &err);
    ASSERT(out != 0);
    /* '/' is not escaped; U+2028 and DEL are emitted as is; NUL as \u0000 */
    EXPECT_EQ_STR(out, "[\"a\\u0000b\",\"\\\"\\\\/\\b\\f\\n\\r\\t\",\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
                       "\"\xe2\x80\xa8\",\"\\u001f\x7f\"]");
    free(out);
    /* long strings cross the 8-byte SWAR blocks at every alignment */
    {
        char buf[200], exp[220];
        int k;
        for (k = 0; k < 40; k++) {
            size_t n = 0;
            buf[n++] = '"';
            memset(buf + n, 'x', (size_t)k);
            n += (size_t)k;
            memcpy(buf + n, "\\n\xc3\xa9yyyyyyyyyyyy\"", 18);
            n += 18;
            buf[n] = 0;
            out = roundtrip(buf, &err);
            ASSERT(out != 0);
            EXPECT_EQ_STR(out, buf);
            free(out);
            memcpy(exp, buf, n + 1);
            exp[k + 1] = '\x01';
            EXPECT(expect_error(exp, DYNSESS_E_JSON, (size_t)k + 1, 0));
        }
    }
}

/* The inline string scan (16-byte SSE2 blocks on x86-64, 8-byte SWAR blocks
   elsewhere; on SSE2 values take the tree of tests on three blocks and keys on
   one, then a loop) for keys and values of every length 0..79, and a special
   byte (control, escape, UTF-8 lead, invalid byte) at every position of them. */
TT_TEST(json_string_scan_lengths) {
    char in[320], exp[320];
    dynsess_error err;
    int len, pos, kind;
    for (len = 0; len < 80; len++) {
        char body[96];
        char *out;
        dynsess_doc *doc;
        dynsess_value *root;
        dynsess_str k, v;
        int i;
        for (i = 0; i < len; i++) body[i] = (char)('a' + (i * 7 + len) % 26);
        body[len] = 0;
        snprintf(in, sizeof in, "{\"%s\":\"%s\",\"z\":[\"%s\"]}", body, body, body);
        out = roundtrip(in, &err);
        ASSERT(out != 0);
        EXPECT_EQ_STR(out, in);
        free(out);
        ASSERT(parse_new(in, strlen(in), 0, &doc, &root, &err) == DYNSESS_OK);
        k = dynsess_object_key_at(root, 0);
        v = dynsess_value_str(dynsess_object_value_at(root, 0));
        EXPECT_EQ_INT(k.len, (size_t)len);
        EXPECT_EQ_INT(v.len, (size_t)len);
        EXPECT_EQ_MEM(k.ptr, body, (size_t)len);
        EXPECT_EQ_MEM(v.ptr, body, (size_t)len);
        EXPECT_EQ_INT(k.ptr[len], 0);
        EXPECT_EQ_INT(v.ptr[len], 0);
        dynsess_doc_free(doc);
        for (pos = 0; pos < len; pos++) {
            for (kind = 0; kind < 4; kind++) {
                /* key at offset 2, value at offset len + 5 */
                size_t off_k = 2 + (size_t)pos, off_v = (size_t)len + 5 + (size_t)pos;
                memcpy(exp, in, strlen(in) + 1);
                if (kind == 0) { /* control byte: an error at its offset, key or value */
                    exp[off_k] = '\x1f';
                    EXPECT(expect_error(exp, DYNSESS_E_JSON, off_k, 0));
                    memcpy(exp, in, strlen(in) + 1);
                    exp[off_v] = '\x7f'; /* DEL is fine */
                    exp[off_v + (pos + 1 < len ? 1 : 0)] = '\x01';
                    EXPECT(expect_error(exp, DYNSESS_E_JSON, off_v + (pos + 1 < len ? 1 : 0), 0));
                } else if (kind == 1) { /* an invalid byte (0xff) */
                    exp[off_v] = '\xff';
                    EXPECT(expect_error(exp, DYNSESS_E_JSON, off_v, 0));
                } else { /* an escape (\t) or a 2-byte UTF-8 char in place of 2 bytes */
                    if (pos + 1 >= len) continue;
                    if (kind == 2) { exp[off_k] = '\\'; exp[off_k + 1] = 't'; }
                    else { exp[off_v] = '\xc3'; exp[off_v + 1] = '\xa9'; }
                    ASSERT(parse_new(exp, strlen(exp), 0, &doc, &root, &err) == DYNSESS_OK);
                    if (kind == 2) {
                        k = dynsess_object_key_at(root, 0);
                        EXPECT_EQ_INT(k.len, (size_t)len - 1);
                        EXPECT_EQ_INT(k.ptr[pos], '\t');
                    } else {
                        v = dynsess_value_str(dynsess_object_value_at(root, 0));
                        EXPECT_EQ_INT(v.len, (size_t)len);
                        EXPECT_EQ_MEM(v.ptr + pos, "\xc3\xa9", 2);
                    }
                    dynsess_doc_free(doc);
                }
            }
        }
    }
}

TT_TEST(json_write_string) {
    dynsess_buf b;
    dynsess_error err;
    dynsess_buf_init(&b, 0);
    EXPECT_OK(dynsess_json_write_string(&b, "a\"b\\c\x01\x1f\n\0z\xe2\x80\xa9", 13, &err), &err);
    EXPECT_EQ_STR(b.ptr, "\"a\\\"b\\\\c\\u0001\\u001f\\n\\u0000z\xe2\x80\xa9\"");
    dynsess_buf_reset(&b);
    EXPECT_OK(dynsess_json_write_string(&b, 0, 0, &err), &err);
    EXPECT_EQ_STR(b.ptr, "\"\"");
    EXPECT_EQ_INT(dynsess_json_write_string(&b, "ok\xff", 3, &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(err.offset, 2);
    EXPECT_EQ_STR(b.ptr, "\"\"");
    EXPECT_EQ_INT(dynsess_json_write_string(0, "x", 1, &err), DYNSESS_E_ARG);
    dynsess_buf_free(&b);
}

/* ---- duplicate keys: last value wins, at the first key's position -------------------- */
TT_TEST(json_duplicate_keys) {
    char *out;
    dynsess_error err;
    char in[4096], exp[4096];
    size_t n = 0, m = 0;
    int k;
    out = roundtrip("{\"a\":1,\"b\":2,\"a\":3}", &err);
    ASSERT(out != 0);
    EXPECT_EQ_STR(out, "{\"a\":3,\"b\":2}");
    free(out);
    out = roundtrip("{\"a\":{\"x\":1},\"a\":[],\"\":0,\"\":1}", &err);
    ASSERT(out != 0);
    EXPECT_EQ_STR(out, "{\"a\":[],\"\":1}");
    free(out);
    /* large object: the sort-based path (more than 16 members) */
    n += (size_t)sprintf(in + n, "{");
    m += (size_t)sprintf(exp + m, "{");
    for (k = 0; k < 100; k++) n += (size_t)sprintf(in + n, "%s\"k%d\":%d", k ? "," : "", k % 37, k);
    for (k = 0; k < 37; k++) m += (size_t)sprintf(exp + m, "%s\"k%d\":%d", k ? "," : "", k, k + 37 * ((99 - k) / 37));
    sprintf(in + n, "}");
    sprintf(exp + m, "}");
    out = roundtrip(in, &err);
    ASSERT(out != 0);
    EXPECT(strcmp(out, exp) == 0);
    free(out);
}

/* Random objects (0 to 80 members, keys of 0 to 3 letters from "ab", so that filter
   collisions, true duplicates and objects with neither all occur, and objects of more
   than 64 members, whose filter cannot hold one bit a key) against a naive dict: each
   key keeps its first position and its last value. Nested in an array, so that both
   the root and inner objects close through the duplicate check. */
TT_TEST(json_duplicate_keys_random) {
    static const char *const keys[] = {"", "a", "b", "aa", "ab", "ba", "bb", "aaa", "aab", "aba",
                                       "abb", "baa", "bab", "bba", "bbb"};
    uint32_t seed = 20261207u;
    int round;
    for (round = 0; round < 3000; round++) {
        char in[4096], exp[4096];
        int kidx[80], val[80], order[80], nk = 0, members, k, j;
        size_t n = 0, m = 0;
        char *out;
        dynsess_error err;
        seed = seed * 1103515245u + 12345u;
        members = (int)((seed >> 8) % (round % 10 == 0 ? 81u : 12u));
        /* the distinct keys used: few (many duplicates) or all 15 (collisions, no repeats) */
        n += (size_t)sprintf(in + n, "[{");
        for (k = 0; k < members; k++) {
            int key;
            seed = seed * 1103515245u + 12345u;
            key = (int)((seed >> 8) % (round % 3 == 0 ? 4u : 15u));
            n += (size_t)sprintf(in + n, "%s\"%s\":%d", k ? "," : "", keys[key], k);
            for (j = 0; j < nk && kidx[j] != key; j++) {}
            if (j == nk) { kidx[nk] = key; order[nk] = nk; nk++; }
            val[j] = k;
        }
        n += (size_t)sprintf(in + n, "}]");
        m += (size_t)sprintf(exp + m, "[{");
        for (j = 0; j < nk; j++)
            m += (size_t)sprintf(exp + m, "%s\"%s\":%d", j ? "," : "", keys[kidx[order[j]]], val[order[j]]);
        m += (size_t)sprintf(exp + m, "}]");
        out = roundtrip(in, &err);
        ASSERT(out != 0);
        if (strcmp(out, exp)) {
            printf("  input %s\n  got   %s\n  want  %s\n", in, out, exp);
            free(out);
            ASSERT(0);
        }
        free(out);
        /* the same object as the root */
        in[n - 1] = 0;
        exp[m - 1] = 0;
        out = roundtrip(in + 1, &err);
        ASSERT(out != 0);
        EXPECT(strcmp(out, exp + 1) == 0);
        free(out);
    }
}

/* ---- limits --------------------------------------------------------------------------- */
static dynsess_status parse_nested(size_t depth, uint32_t max_depth, int obj, dynsess_error *err) {
    size_t i, n = 0;
    char *s = (char *)malloc(depth * 6 + 8);
    dynsess_doc *doc;
    dynsess_value *root;
    dynsess_json_opts o;
    dynsess_status rc;
    for (i = 0; i < depth; i++) {
        if (obj) { memcpy(s + n, "{\"k\":", 5); n += 5; }
        else s[n++] = '[';
    }
    s[n++] = '1';
    for (i = 0; i < depth; i++) s[n++] = obj ? '}' : ']';
    o.max_depth = max_depth;
    o.max_len = 0;
    rc = parse_new(s, n, &o, &doc, &root, err);
    if (!rc) {
        /* deep trees write, copy and compare without recursion */
        dynsess_buf b;
        dynsess_value *c = dynsess_value_copy(doc, root);
        dynsess_buf_init(&b, 0);
        if (!c || !dynsess_value_equal(root, c)) rc = DYNSESS_E_INTERNAL;
        if (dynsess_json_write(c, &b, err) || b.len != n || memcmp(b.ptr, s, n)) rc = DYNSESS_E_INTERNAL;
        dynsess_buf_free(&b);
    }
    dynsess_doc_free(doc);
    free(s);
    return rc;
}

TT_TEST(json_depth_limit) {
    dynsess_error err;
    EXPECT_OK(parse_nested(127, 0, 0, &err), &err);
    EXPECT_OK(parse_nested(128, 0, 0, &err), &err);
    EXPECT_EQ_INT(parse_nested(129, 0, 0, &err), DYNSESS_E_DEPTH);
    EXPECT_EQ_INT(err.offset, 128);
    EXPECT_EQ_STR(err.msg, "json: nesting deeper than 128 at offset 128");
    EXPECT_OK(parse_nested(128, 0, 1, &err), &err);
    EXPECT_EQ_INT(parse_nested(129, 0, 1, &err), DYNSESS_E_DEPTH);
    EXPECT_OK(parse_nested(1, 1, 0, &err), &err);
    EXPECT_EQ_INT(parse_nested(2, 1, 1, &err), DYNSESS_E_DEPTH);
    /* far deeper than any C stack would take recursively */
    EXPECT_OK(parse_nested(150000, 200000, 0, &err), &err);
    EXPECT_OK(parse_nested(100000, 100000, 1, &err), &err);
    EXPECT_EQ_INT(parse_nested(100001, 100000, 1, &err), DYNSESS_E_DEPTH);
}

TT_TEST(json_deep_suite_files) {
    static const char *const files[] = {"n_structure_100000_opening_arrays.json",
                                        "n_structure_open_array_object.json"};
    size_t k;
    for (k = 0; k < 2; k++) {
        char path[256];
        size_t len;
        char *data;
        dynsess_doc *doc;
        dynsess_value *root;
        dynsess_error err;
        dynsess_json_opts o;
        snprintf(path, sizeof path, "%s/%s", SUITE_DIR, files[k]);
        data = tt_read_file(path, &len);
        ASSERT(data != 0);
        EXPECT_EQ_INT(parse_new(data, len, 0, &doc, &root, &err), DYNSESS_E_DEPTH);
        dynsess_doc_free(doc);
        /* no depth limit to speak of: still rejected (unterminated), no stack overflow */
        o.max_depth = 0xFFFFFFFFu;
        o.max_len = 0;
        EXPECT_EQ_INT(parse_new(data, len, &o, &doc, &root, &err), DYNSESS_E_JSON);
        EXPECT_EQ_INT(err.offset, len);
        dynsess_doc_free(doc);
        free(data);
    }
}

TT_TEST(json_size_limit) {
    dynsess_doc *doc;
    dynsess_value *root;
    dynsess_error err;
    dynsess_json_opts o;
    char *s = (char *)malloc((1 << 20) + 2);
    ASSERT(s != 0);
    memset(s, ' ', (1 << 20) + 2);
    s[0] = '0';
    EXPECT_OK(parse_new(s, 1 << 20, 0, &doc, &root, &err), &err);
    dynsess_doc_free(doc);
    EXPECT_EQ_INT(parse_new(s, (1 << 20) + 1, 0, &doc, &root, &err), DYNSESS_E_LIMIT);
    EXPECT_EQ_STR(err.msg, "json: input of 1048577 bytes exceeds the limit of 1048576");
    dynsess_doc_free(doc);
    o.max_depth = 0;
    o.max_len = 9;
    EXPECT_OK(parse_new("[1,2,3,4]", 9, &o, &doc, &root, &err), &err);
    dynsess_doc_free(doc);
    EXPECT_EQ_INT(parse_new("[1,2,3,45]", 10, &o, &doc, &root, &err), DYNSESS_E_LIMIT);
    dynsess_doc_free(doc);
    free(s);
}

/* ---- values: build, edit, copy, compare ------------------------------------------------ */
TT_TEST(json_build_and_edit) {
    dynsess_doc *doc, *doc2;
    dynsess_value *o, *a, *c, *p;
    dynsess_error err;
    dynsess_buf b;
    ASSERT_OK(dynsess_doc_new(0, &doc, &err), &err);
    o = dynsess_value_new_object(doc);
    a = dynsess_value_new_array(doc);
    ASSERT(o && a);
    EXPECT_OK(dynsess_object_set(doc, o, "n", 1, dynsess_value_new_null(doc), &err), &err);
    EXPECT_OK(dynsess_object_set(doc, o, "b", 1, dynsess_value_new_bool(doc, 7), &err), &err);
    EXPECT_OK(dynsess_object_set(doc, o, "i", 1, dynsess_value_new_int(doc, -42), &err), &err);
    EXPECT_OK(dynsess_object_set(doc, o, "r", 1, dynsess_value_new_real(doc, 2.5), &err), &err);
    EXPECT_OK(dynsess_object_set(doc, o, "s", 1, dynsess_value_new_string(doc, "x\0y", 3), &err), &err);
    EXPECT_OK(dynsess_object_set(doc, o, "a", 1, a, &err), &err);
    EXPECT_OK(dynsess_array_push(doc, a, dynsess_value_new_int(doc, 1), &err), &err);
    EXPECT_OK(dynsess_array_push(doc, a, dynsess_value_new_string(doc, "two", 3), &err), &err);
    EXPECT_EQ_INT(dynsess_value_len(o), 6);
    dynsess_buf_init(&b, 0);
    EXPECT_OK(dynsess_json_write(o, &b, &err), &err);
    EXPECT_EQ_STR(b.ptr, "{\"n\":null,\"b\":true,\"i\":-42,\"r\":2.5,\"s\":\"x\\u0000y\",\"a\":[1,\"two\"]}");
    /* replace keeps the position; remove keeps the order of the rest */
    EXPECT_OK(dynsess_object_set(doc, o, "i", 1, dynsess_value_new_int(doc, 9), &err), &err);
    EXPECT_EQ_INT(dynsess_value_len(o), 6);
    EXPECT_EQ_INT(dynsess_object_remove(o, "b", 1), 1);
    EXPECT_EQ_INT(dynsess_object_remove(o, "b", 1), 0);
    EXPECT_EQ_INT(dynsess_object_remove(a, "b", 1), 0);
    dynsess_buf_reset(&b);
    EXPECT_OK(dynsess_json_write(o, &b, &err), &err);
    EXPECT_EQ_STR(b.ptr, "{\"n\":null,\"i\":9,\"r\":2.5,\"s\":\"x\\u0000y\",\"a\":[1,\"two\"]}");
    /* readers */
    EXPECT_EQ_INT(dynsess_value_int(dynsess_object_get(o, "i", 1)), 9);
    EXPECT_EQ_INT(dynsess_value_int(dynsess_object_get(o, "r", 1)), 2);
    EXPECT(dynsess_value_real(dynsess_object_get(o, "i", 1)) == 9.0);
    EXPECT(dynsess_object_get(o, "zz", 2) == 0);
    EXPECT(dynsess_object_get(a, "i", 1) == 0);
    EXPECT_EQ_INT(dynsess_object_key_at(o, 1).len, 1);
    EXPECT_EQ_MEM(dynsess_object_key_at(o, 1).ptr, "i", 1);
    EXPECT(dynsess_object_value_at(o, 5) == 0);
    EXPECT(dynsess_array_at(a, 2) == 0);
    EXPECT(dynsess_array_at(o, 0) == 0);
    EXPECT_EQ_INT(dynsess_value_type(0), DYNSESS_JSON_NULL);
    EXPECT_EQ_INT(dynsess_value_int(0), 0);
    EXPECT_EQ_INT(dynsess_value_bool(dynsess_object_get(o, "n", 1)), 0);
    EXPECT_EQ_INT(dynsess_value_str(0).len, 0);
    EXPECT_EQ_INT(dynsess_value_len(dynsess_object_get(o, "s", 1)), 0);
    /* invalid inputs */
    EXPECT(dynsess_value_new_real(doc, NAN) == 0);
    EXPECT(dynsess_value_new_real(doc, INFINITY) == 0);
    EXPECT(dynsess_value_new_real(doc, -INFINITY) == 0);
    EXPECT(dynsess_value_new_string(doc, "\xc3", 1) == 0);
    EXPECT(dynsess_value_new_null(0) == 0);
    EXPECT_EQ_INT(dynsess_object_set(doc, a, "k", 1, a, &err), DYNSESS_E_TYPE);
    EXPECT_EQ_INT(dynsess_object_set(doc, o, "\xff", 1, a, &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_array_push(doc, o, a, &err), DYNSESS_E_TYPE);
    EXPECT_EQ_INT(dynsess_array_push(doc, a, 0, &err), DYNSESS_E_ARG);
    /* deep copy into another doc survives freeing the first; equal is unordered */
    ASSERT_OK(dynsess_doc_new(0, &doc2, &err), &err);
    c = dynsess_value_copy(doc2, o);
    ASSERT(c != 0);
    EXPECT(dynsess_value_equal(o, c));
    {
        const char *t = "{\"a\":[1,\"two\"],\"s\":\"x\\u0000y\",\"r\":2.5,\"i\":9,\"n\":null}";
        ASSERT_OK(dynsess_json_parse(doc2, t, strlen(t), 0, &p, &err), &err);
    }
    EXPECT(dynsess_value_equal(o, p));
    EXPECT_OK(dynsess_object_set(doc2, p, "i", 1, dynsess_value_new_real(doc2, 9.0), &err), &err);
    EXPECT(!dynsess_value_equal(o, p)); /* INT 9 and REAL 9.0 differ */
    EXPECT(!dynsess_value_equal(o, a));
    dynsess_value_clear(a);
    EXPECT_EQ_INT(dynsess_value_len(a), 0);
    EXPECT(!dynsess_value_equal(o, c));
    dynsess_value_clear(o);
    dynsess_buf_reset(&b);
    EXPECT_OK(dynsess_json_write(o, &b, &err), &err);
    EXPECT_EQ_STR(b.ptr, "{}");
    dynsess_doc_free(doc);
    dynsess_buf_reset(&b);
    EXPECT_OK(dynsess_json_write(c, &b, &err), &err);
    EXPECT_EQ_STR(b.ptr, "{\"n\":null,\"i\":9,\"r\":2.5,\"s\":\"x\\u0000y\",\"a\":[1,\"two\"]}");
    EXPECT(dynsess_value_copy(doc2, 0) != 0);
    dynsess_buf_free(&b);
    dynsess_doc_free(doc2);
}

/* Parsed containers store their children inline; the first change gives them
   a pointer index. Pointers handed out before a change stay valid after it. */
TT_TEST(json_edit_parsed) {
    static const char src[] = "{\"a\":1,\"b\":[true,\"x\",{\"k\":null}],\"c\":\"see\",\"d\":2.5}";
    dynsess_doc *doc;
    dynsess_value *root, *arr;
    const dynsess_value *b, *c, *d, *k;
    dynsess_error err;
    dynsess_buf out;
    ASSERT_OK(dynsess_doc_new(0, &doc, &err), &err);
    ASSERT_OK(dynsess_json_parse(doc, src, sizeof src - 1, 0, &root, &err), &err);
    b = dynsess_object_get(root, "b", 1);
    c = dynsess_object_get(root, "c", 1);
    d = dynsess_object_get(root, "d", 1);
    k = dynsess_object_get(dynsess_array_at(b, 2), "k", 1);
    ASSERT(b && c && d && k);
    EXPECT_EQ_INT(dynsess_value_type(k), DYNSESS_JSON_NULL);
    /* remove, replace and add on the parsed root: the others do not move */
    EXPECT_EQ_INT(dynsess_object_remove(root, "a", 1), 1);
    EXPECT(dynsess_object_get(root, "c", 1) == c);
    EXPECT(dynsess_object_get(root, "d", 1) == d);
    EXPECT(dynsess_object_value_at(root, 0) == b);
    EXPECT_OK(dynsess_object_set(doc, root, "c", 1, dynsess_value_new_int(doc, 3), &err), &err);
    EXPECT(dynsess_object_get(root, "b", 1) == b && dynsess_object_get(root, "d", 1) == d);
    EXPECT_OK(dynsess_object_set(doc, root, "e", 1, dynsess_value_new_bool(doc, 0), &err), &err);
    EXPECT(dynsess_object_get(root, "b", 1) == b && dynsess_object_get(root, "d", 1) == d);
    EXPECT_EQ_STR(dynsess_value_str(c).ptr, "see"); /* the replaced value itself lives on */
    dynsess_buf_init(&out, 0);
    EXPECT_OK(dynsess_json_write(root, &out, &err), &err);
    EXPECT_EQ_STR(out.ptr, "{\"b\":[true,\"x\",{\"k\":null}],\"c\":3,\"d\":2.5,\"e\":false}");
    /* a deep copy is a built tree: equal to the parsed one, and editable */
    {
        dynsess_value *cp = dynsess_value_copy(doc, b);
        dynsess_value *again;
        ASSERT(cp);
        EXPECT(dynsess_value_equal(cp, b));
        EXPECT_OK(dynsess_array_push(doc, cp, dynsess_value_new_int(doc, 4), &err), &err);
        EXPECT(!dynsess_value_equal(cp, b));
        ASSERT_OK(dynsess_json_parse(doc, "[true,\"x\",{\"k\":null},4]", 23, 0, &again, &err), &err);
        EXPECT(dynsess_value_equal(cp, again) && dynsess_value_equal(again, cp));
    }
    /* a parsed array root: push indexes it, elements stay put; clear then push */
    ASSERT_OK(dynsess_json_parse(doc, "[1,2,3]", 7, 0, &arr, &err), &err);
    {
        const dynsess_value *second = dynsess_array_at(arr, 1);
        int i;
        for (i = 0; i < 100; i++)
            EXPECT_OK(dynsess_array_push(doc, arr, dynsess_value_new_int(doc, i), &err), &err);
        EXPECT(dynsess_array_at(arr, 1) == second);
        EXPECT_EQ_INT(dynsess_value_int(second), 2);
        EXPECT_EQ_INT(dynsess_value_len(arr), 103);
        EXPECT_EQ_INT(dynsess_value_int(dynsess_array_at(arr, 102)), 99);
    }
    dynsess_value_clear(arr);
    EXPECT_OK(dynsess_array_push(doc, arr, dynsess_value_new_int(doc, 7), &err), &err);
    dynsess_buf_reset(&out);
    EXPECT_OK(dynsess_json_write(arr, &out, &err), &err);
    EXPECT_EQ_STR(out.ptr, "[7]");
    /* the empty parsed object (no block at all) takes members too */
    ASSERT_OK(dynsess_json_parse(doc, "{}", 2, 0, &root, &err), &err);
    EXPECT_EQ_INT(dynsess_object_remove(root, "x", 1), 0);
    EXPECT_OK(dynsess_object_set(doc, root, "x", 1, dynsess_value_new_null(doc), &err), &err);
    EXPECT_EQ_INT(dynsess_object_remove(root, "x", 1), 1);
    EXPECT_EQ_INT(dynsess_value_len(root), 0);
    dynsess_buf_free(&out);
    dynsess_doc_free(doc);
}

/* The first remove on a parsed object needs memory for its index: when none
   is left it says so (-1) and changes nothing. */
TT_TEST(json_remove_parsed_oom) {
    tt_alloc_state st = {0, 0, 0, 0};
    dynsess_allocator al = TT_ALLOCATOR(&st);
    dynsess_doc *doc;
    dynsess_value *root;
    dynsess_error err;
    char src[8192];
    size_t n = 0;
    int i;
    /* 300 members: the index (512 slots) is a block of its own */
    src[n++] = '{';
    for (i = 0; i < 300; i++) n += (size_t)sprintf(src + n, "%s\"k%d\":%d", i ? "," : "", i, i);
    src[n++] = '}';
    ASSERT_OK(dynsess_doc_new(&al, &doc, &err), &err);
    ASSERT_OK(dynsess_json_parse(doc, src, n, 0, &root, &err), &err);
    st.fail_at = st.count + 1;
    st.fail_after = 1;
    EXPECT_EQ_INT(dynsess_object_remove(root, "k7", 2), -1);
    EXPECT_EQ_INT(dynsess_value_len(root), 300);
    EXPECT_EQ_INT(dynsess_value_int(dynsess_object_get(root, "k7", 2)), 7);
    st.fail_at = 0;
    EXPECT_EQ_INT(dynsess_object_remove(root, "k7", 2), 1);
    EXPECT_EQ_INT(dynsess_value_len(root), 299);
    EXPECT(!dynsess_object_get(root, "k7", 2));
    EXPECT_EQ_INT(dynsess_value_int(dynsess_object_get(root, "k299", 4)), 299);
    dynsess_doc_free(doc);
    EXPECT_EQ_INT(st.live, 0);
}

TT_TEST(json_many_members) {
    dynsess_doc *doc;
    dynsess_value *o, *a;
    dynsess_error err;
    char key[32];
    int k;
    ASSERT_OK(dynsess_doc_new(0, &doc, &err), &err);
    o = dynsess_value_new_object(doc);
    a = dynsess_value_new_array(doc);
    for (k = 0; k < 5000; k++) {
        int n = sprintf(key, "key%d", k);
        ASSERT_OK(dynsess_object_set(doc, o, key, (size_t)n, dynsess_value_new_int(doc, k), &err), &err);
        ASSERT_OK(dynsess_array_push(doc, a, dynsess_value_new_int(doc, k), &err), &err);
    }
    EXPECT_EQ_INT(dynsess_value_len(o), 5000);
    EXPECT_EQ_INT(dynsess_value_int(dynsess_object_get(o, "key4321", 7)), 4321);
    EXPECT_EQ_INT(dynsess_value_int(dynsess_array_at(a, 4999)), 4999);
    dynsess_doc_free(doc);
}

/* ---- writer and the buffer limit ------------------------------------------------------- */
TT_TEST(json_write_limit) {
    static const char *const ins[] = {
        "{\"key\":[1,true,\"va\\nlue\",{\"x\":null}],\"r\":0.5,\"e\":[],\"o\":{}}",
        "\"top level \\\"string\\\" with escapes\\u0001 and more text after them\"",
        "\"plain top-level string of some length\"", "-1234567", "[]", "0.25", "false"};
    size_t t;
    for (t = 0; t < sizeof ins / sizeof ins[0]; t++) {
        const char *in = ins[t];
        dynsess_doc *doc;
        dynsess_value *root;
        dynsess_error err;
        dynsess_buf b;
        size_t full, lim;
        ASSERT_OK(parse_new(in, strlen(in), 0, &doc, &root, &err), &err);
        dynsess_buf_init(&b, 0);
        ASSERT_OK(dynsess_json_write(root, &b, &err), &err);
        full = b.len;
        EXPECT_EQ_STR(b.ptr, in);
        for (lim = 3; lim <= full + 3; lim++) {
            dynsess_buf_free(&b);
            b.limit = lim;
            EXPECT_OK(dynsess_buf_append(&b, "ab", 2, &err), &err);
            if (lim >= full + 2) {
                EXPECT_OK(dynsess_json_write(root, &b, &err), &err);
                EXPECT_EQ_INT(b.len, full + 2);
            } else {
                EXPECT_EQ_INT(dynsess_json_write(root, &b, &err), DYNSESS_E_LIMIT);
                EXPECT_EQ_STR(b.ptr, "ab"); /* unchanged on failure */
            }
        }
        dynsess_buf_free(&b);
        dynsess_doc_free(doc);
        EXPECT_EQ_INT(dynsess_json_write(root, 0, &err), DYNSESS_E_ARG);
    }
}

/* ---- out of memory ---------------------------------------------------------------------- */
/* A ~6 KB document that reaches every allocation: arena chunks, scratch and frame
   stacks spilling to the heap, the duplicate-key sort, a long number for strtod. */
static char *oom_doc(size_t *len) {
    char *s = (char *)malloc(16384);
    size_t n = 0;
    int k;
    n += (size_t)sprintf(s + n, "{\"long\":1.%0200d1,\"deep\":", 0);
    for (k = 0; k < 40; k++) s[n++] = '[';
    for (k = 0; k < 40; k++) s[n++] = ']';
    n += (size_t)sprintf(s + n, ",\"arr\":[");
    for (k = 0; k < 150; k++) n += (size_t)sprintf(s + n, "%s\"item %d with some text\\n\"", k ? "," : "", k);
    n += (size_t)sprintf(s + n, "],\"obj\":{");
    for (k = 0; k < 60; k++) n += (size_t)sprintf(s + n, "%s\"k%d\":%d.5", k ? "," : "", k % 40, k);
    n += (size_t)sprintf(s + n, "}}");
    *len = n;
    return s;
}

TT_TEST(json_oom_parse_write_copy) {
    size_t len;
    char *src = oom_doc(&len), *want;
    int mode;
    dynsess_error err0;
    want = roundtrip(src, &err0);
    ASSERT(want != 0);
    for (mode = 0; mode < 2; mode++) {
        long n;
        int done = 0;
        for (n = 1; n < 1000 && !done; n++) {
            tt_alloc_state st = {0, 0, 0, 0};
            dynsess_allocator al = TT_ALLOCATOR(&st);
            dynsess_doc *doc = 0, *doc2 = 0;
            dynsess_value *root = 0, *c;
            dynsess_error err;
            dynsess_buf b;
            dynsess_status rc;
            st.fail_at = n;
            st.fail_after = mode;
            dynsess_buf_init(&b, &al);
            rc = dynsess_doc_new(&al, &doc, &err);
            if (!rc) rc = dynsess_json_parse(doc, src, len, 0, &root, &err);
            if (!rc) rc = dynsess_json_write(root, &b, &err);
            if (!rc) rc = dynsess_doc_new(&al, &doc2, &err);
            if (!rc) {
                c = dynsess_value_copy(doc2, root);
                if (!c) rc = DYNSESS_E_NOMEM;
                else if (!dynsess_value_equal(c, root)) rc = DYNSESS_E_INTERNAL;
            }
            if (rc) {
                if (rc != DYNSESS_E_NOMEM) TT__FAIL("mode %d n %ld: rc %d (%s)", mode, n, (int)rc, err.msg);
            } else {
                done = 1;
                EXPECT_EQ_STR(b.ptr, want);
            }
            dynsess_buf_free(&b);
            dynsess_doc_free(doc);
            dynsess_doc_free(doc2);
            if (st.live != 0) TT__FAIL("mode %d n %ld: %ld blocks leaked", mode, n, st.live);
        }
        EXPECT(done);
        EXPECT(n > 5); /* the loop did reach several allocations */
    }
    free(src);
    free(want);
}

TT_TEST(json_oom_build) {
    long n;
    int done = 0, mode;
    for (mode = 0; mode < 2; mode++) {
        done = 0;
        for (n = 1; n < 1000 && !done; n++) {
            tt_alloc_state st = {0, 0, 0, 0};
            dynsess_allocator al = TT_ALLOCATOR(&st);
            dynsess_doc *doc = 0;
            dynsess_value *o, *a;
            dynsess_error err;
            dynsess_status rc = DYNSESS_OK;
            int k;
            st.fail_at = n;
            st.fail_after = mode;
            if (dynsess_doc_new(&al, &doc, &err) == DYNSESS_OK) {
                o = dynsess_value_new_object(doc);
                a = dynsess_value_new_array(doc);
                if (!o || !a) rc = DYNSESS_E_NOMEM;
                for (k = 0; k < 300 && !rc; k++) {
                    char key[16];
                    int kl = sprintf(key, "k%d", k);
                    dynsess_value *v = dynsess_value_new_string(doc, "some longer string value", 24);
                    if (!v) { rc = DYNSESS_E_NOMEM; break; }
                    rc = dynsess_object_set(doc, o, key, (size_t)kl, v, &err);
                    if (!rc) rc = dynsess_array_push(doc, a, v, &err);
                    if (rc) EXPECT_EQ_INT(err.code, DYNSESS_E_NOMEM);
                }
                if (!rc) done = 1;
                else EXPECT_EQ_INT(rc, DYNSESS_E_NOMEM);
            } else {
                EXPECT_EQ_INT(err.code, DYNSESS_E_NOMEM);
            }
            dynsess_doc_free(doc);
            if (st.live != 0) TT__FAIL("n %ld: %ld blocks leaked", n, st.live);
        }
        EXPECT(done);
        EXPECT(n > 3);
    }
}

static const tt_case tt_cases[] = {
    TT_CASE(json_char_table),
    TT_CASE(json_swar_first_special),
    TT_CASE(json_test_suite),
    TT_CASE(json_suite_500_nested_with_higher_limit),
    TT_CASE(json_error_offsets),
    TT_CASE(json_error_args_and_rewind),
    TT_CASE(json_numbers),
    TT_CASE(json_double_roundtrip_1m),
    TT_CASE(json_strings),
    TT_CASE(json_string_scan_lengths),
    TT_CASE(json_write_string),
    TT_CASE(json_duplicate_keys),
    TT_CASE(json_duplicate_keys_random),
    TT_CASE(json_depth_limit),
    TT_CASE(json_deep_suite_files),
    TT_CASE(json_size_limit),
    TT_CASE(json_build_and_edit),
    TT_CASE(json_edit_parsed),
    TT_CASE(json_remove_parsed_oom),
    TT_CASE(json_many_members),
    TT_CASE(json_write_limit),
    TT_CASE(json_oom_parse_write_copy),
    TT_CASE(json_oom_build),
};

int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
