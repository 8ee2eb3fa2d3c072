/* tests/fuzz/fuzz_json.c - libFuzzer harness for @json.
   Build: clang -fsanitize=fuzzer,address,undefined (tests/extra.mk);
   run:   tests/integration/fuzz.sh replays tests/fuzz/corpus_json/ and fuzzes
          for a bounded number of runs. Checks, besides memory safety:
   - accepted input writes text that parses to an equal value and writes identically;
   - a deep copy is equal; a tighter depth/size limit only ever rejects, never changes;
   - dynsess_json_write_string output parses back to the same bytes. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void write_or_trap(const dynsess_value *v, dynsess_buf *b) {
    dynsess_error err;
    FUZZ_CHECK(dynsess_json_write(v, b, &err) == DYNSESS_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *src = (const char *)data;
    dynsess_doc *doc = 0, *doc2 = 0;
    dynsess_value *root = 0, *root2 = 0, *c;
    dynsess_error err;
    dynsess_buf w1, w2;
    dynsess_json_opts o;
    dynsess_status rc;
    dynsess_buf_init(&w1, 0);
    dynsess_buf_init(&w2, 0);
    FUZZ_CHECK(dynsess_doc_new(0, &doc, &err) == DYNSESS_OK);
    FUZZ_CHECK(dynsess_doc_new(0, &doc2, &err) == DYNSESS_OK);
    rc = dynsess_json_parse(doc, src, size, 0, &root, &err);
    FUZZ_CHECK(rc == err.code || rc == DYNSESS_OK);
    if (rc == DYNSESS_OK) {
        write_or_trap(root, &w1);
        FUZZ_CHECK(dynsess_json_parse(doc2, w1.ptr, w1.len, 0, &root2, &err) == DYNSESS_OK);
        FUZZ_CHECK(dynsess_value_equal(root, root2));
        write_or_trap(root2, &w2);
        FUZZ_CHECK(w1.len == w2.len && !memcmp(w1.ptr, w2.ptr, w1.len));
        c = dynsess_value_copy(doc2, root);
        FUZZ_CHECK(c && dynsess_value_equal(c, root));
    } else {
        FUZZ_CHECK(err.offset <= size || err.offset == DYNSESS_NO_OFFSET);
        FUZZ_CHECK(rc == DYNSESS_E_JSON || rc == DYNSESS_E_DEPTH || rc == DYNSESS_E_LIMIT);
    }
    /* tighter limits: reject or agree */
    o.max_depth = 3;
    o.max_len = size / 2 + 1;
    if (dynsess_json_parse(doc2, src, size, &o, &root2, &err) == DYNSESS_OK) {
        FUZZ_CHECK(rc == DYNSESS_OK);
        dynsess_buf_reset(&w2);
        write_or_trap(root2, &w2);
        FUZZ_CHECK(w1.len == w2.len && !memcmp(w1.ptr, w2.ptr, w1.len));
    }
    /* the string writer */
    dynsess_buf_reset(&w2);
    if (dynsess_json_write_string(&w2, src, size, &err) == DYNSESS_OK) {
        dynsess_value *s;
        dynsess_str str;
        FUZZ_CHECK(dynsess_json_parse(doc2, w2.ptr, w2.len, 0, &s, &err) == DYNSESS_OK);
        str = dynsess_value_str(s);
        FUZZ_CHECK(str.len == size && (!size || !memcmp(str.ptr, src, size)));
    } else {
        FUZZ_CHECK(err.code == DYNSESS_E_ARG);
    }
    dynsess_buf_free(&w1);
    dynsess_buf_free(&w2);
    dynsess_doc_free(doc);
    dynsess_doc_free(doc2);
    return 0;
}
