/* examples/codec.c - the JSON codec and cookie unsealing on their own,
   in the shape of a fuzz harness.

   Some programs never run a web server but still need dynsess.h's parts:
   a log processor that reads session JSON, a support tool that opens a
   user's cookie, a fuzzer that hammers the parser. This program shows both
   APIs used directly, with the invariants a fuzzer checks:

     JSON    parse -> write -> parse again: the two trees are equal and the
             second write gives the same bytes (the codec is a fixed point);
             rejected input gives an error with a byte offset, never a crash.
     cookie  an arbitrary input opened as a sealed cookie is rejected (with a
             reason) unless it really was sealed with the secret; a JSON object
             sealed and then opened comes back byte-identical.

   usage: codec [--secret S] [--name NAME] [json|unseal|all] [FILE...]
          (no FILE, or "-": stdin; prints one line per input; exit 1 if an
          invariant broke, which a correct library never does)
   With clang's libFuzzer:
     clang -g -O1 -fsanitize=fuzzer,address,undefined -DCODEC_LIBFUZZER \
           -I. examples/codec.c -o build/codec-fuzz && build/codec-fuzz corpus/
   Build: make (-> build/examples/codec). */
#define _POSIX_C_SOURCE 200809L
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MODE_JSON = 1, MODE_UNSEAL = 2 };

static dynsess_store *cookie_store;  /* sealed-cookie store used on its own */
static int verbose = 1;

/* Invariant broken: in a fuzzer this is the crash it is looking for. */
static void broken(const char *what) {
    fprintf(stderr, "codec: INVARIANT BROKEN: %s\n", what);
    abort();
}

/* JSON: parse, write compactly, parse the output, compare. Returns 1 if the
   input was accepted, 0 if rejected. */
static int check_json(const uint8_t *data, size_t size, dynsess_buf *out) {
    dynsess_doc *doc = 0, *doc2 = 0;
    dynsess_value *root = 0, *root2 = 0;
    dynsess_buf again;
    dynsess_error err;
    int accepted = 0;
    dynsess_buf_init(&again, 0);
    if (dynsess_doc_new(0, &doc, &err) != DYNSESS_OK || dynsess_doc_new(0, &doc2, &err) != DYNSESS_OK)
        broken("out of memory");
    /* strict RFC 8259; depth and size limits default to 128 and 1 MiB */
    if (dynsess_json_parse(doc, (const char *)data, size, 0, &root, &err) != DYNSESS_OK) {
        if (err.code != DYNSESS_E_JSON && err.code != DYNSESS_E_DEPTH && err.code != DYNSESS_E_LIMIT)
            broken("parse failed with an unexpected code");
        if (verbose) printf("json: rejected: %s\n", err.msg);
        goto done;
    }
    accepted = 1;
    if (dynsess_json_write(root, out, &err) != DYNSESS_OK) broken("write of a parsed value failed");
    if (dynsess_json_parse(doc2, out->ptr, out->len, 0, &root2, &err) != DYNSESS_OK)
        broken("the codec's own output does not parse");
    if (!dynsess_value_equal(root, root2)) broken("round trip changed the value");
    if (dynsess_json_write(root2, &again, &err) != DYNSESS_OK) broken("second write failed");
    if (again.len != out->len || memcmp(again.ptr, out->ptr, out->len) != 0)
        broken("write is not a fixed point");
    if (verbose)
        printf("json: ok: %zu bytes in, %zu bytes compact, top level %s\n", size, out->len,
               dynsess_value_type(root) == DYNSESS_JSON_OBJECT ? "object" :
               dynsess_value_type(root) == DYNSESS_JSON_ARRAY ? "array" : "scalar");
done:
    dynsess_buf_free(&again);
    dynsess_doc_free(doc);
    dynsess_doc_free(doc2);
    return accepted;
}

/* Cookie: try to open the input as a sealed cookie value; then, if the input
   is a JSON object, seal it and open it again. */
static void check_cookie(const uint8_t *data, size_t size, int is_object, const dynsess_buf *compact) {
    const dynsess_store_vt *vt = cookie_store->vt;
    dynsess_record rec;
    dynsess_error err;
    int64_t now = dynsess_time_now();
    memset(&rec, 0, sizeof rec);
    dynsess_buf_init(&rec.data, 0);

    dynsess_str tok;
    tok.ptr = (const char *)data;
    tok.len = size;
    while (tok.len && (tok.ptr[tok.len - 1] == '\n' || tok.ptr[tok.len - 1] == '\r')) tok.len--;
    dynsess_status s = vt->load(cookie_store, tok, now, &rec, &err);
    if (s == DYNSESS_OK) {
        if (verbose) {
            printf("cookie: opened: created_at %lld, expires_at %lld, session ", (long long)rec.created_at,
                   (long long)rec.expires_at);
            fwrite(rec.data.ptr, 1, rec.data.len, stdout);
            putchar('\n');
        }
    } else if (s == DYNSESS_E_NOTFOUND) {
        if (verbose) printf("cookie: rejected: %s\n", err.msg); /* the expected case for random input */
    } else {
        broken("opening a cookie failed with something other than 'not found'");
    }

    if (is_object) { /* seal -> open must give the same bytes back */
        dynsess_write w;
        dynsess_buf sealed;
        dynsess_buf_init(&sealed, 0);
        memset(&w, 0, sizeof w);
        w.data.ptr = compact->ptr;
        w.data.len = compact->len;
        w.created_at = now;
        w.expires_at = now + 3600;
        w.is_new = 1;
        s = vt->save(cookie_store, &w, now, &sealed, &err);
        if (s == DYNSESS_E_COOKIE_SIZE || s == DYNSESS_E_LIMIT) {
            if (verbose) printf("cookie: too big to seal (%s)\n", err.msg);
        } else if (s != DYNSESS_OK) {
            broken("sealing a JSON object failed");
        } else {
            dynsess_str t2;
            t2.ptr = sealed.ptr;
            t2.len = sealed.len;
            dynsess_buf_reset(&rec.data);
            if (vt->load(cookie_store, t2, now, &rec, &err) != DYNSESS_OK) broken("own seal does not open");
            if (rec.data.len != compact->len || memcmp(rec.data.ptr, compact->ptr, compact->len) != 0)
                broken("seal/open changed the session");
            if (rec.expires_at != now + 3600) broken("seal/open changed the expiry");
            if (verbose) printf("cookie: sealed and reopened: %zu bytes of JSON -> %zu-byte cookie value\n",
                                compact->len, sealed.len);
        }
        dynsess_buf_free(&sealed);
    }
    dynsess_buf_free(&rec.data);
}

static void run_one(const uint8_t *data, size_t size, int mode) {
    dynsess_buf compact;
    dynsess_buf_init(&compact, 0);
    int is_object = 0;
    if (check_json(data, size, &compact)) is_object = compact.len && compact.ptr[0] == '{';
    if (mode & MODE_UNSEAL) check_cookie(data, size, is_object, &compact);
    dynsess_buf_free(&compact);
}

static int setup_store(const char *secret, const char *name) {
    dynsess_cookie_desc d;
    dynsess_error err;
    memset(&d, 0, sizeof d);
    /* A fixed secret is fine for a harness; a real tool takes it from the
       environment (see tools/dynsess.c: dynsess unseal). */
    d.secrets[0] = dynsess_cstr(secret ? secret : "codec-example-secret-0123456789abcdef");
    d.cookie_name = name;
    if (dynsess_store_cookie_new(&d, &cookie_store, &err) != DYNSESS_OK) {
        fprintf(stderr, "codec: %s\n", err.msg);
        return -1;
    }
    return 0;
}

#ifdef CODEC_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!cookie_store && setup_store(getenv("SESSION_SECRET"), 0)) abort();
    verbose = 0;
    run_one(data, size, MODE_JSON | MODE_UNSEAL);
    return 0;
}
#else
static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return 0;
    size_t cap = 4096, n = 0;
    uint8_t *buf = (uint8_t *)malloc(cap);
    while (buf) {
        if (n == cap) {
            uint8_t *nb = cap >= (64u << 20) ? 0 : (uint8_t *)realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = 0; break; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (!got) break;
        n += got;
    }
    if (f != stdin) fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    const char *secret = getenv("SESSION_SECRET"), *name = 0;
    int mode = MODE_JSON | MODE_UNSEAL, nfiles = 0, i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--secret") == 0 && i + 1 < argc) secret = argv[++i];
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) name = argv[++i];
        else if (strcmp(argv[i], "-q") == 0) verbose = 0;
        else if (strcmp(argv[i], "json") == 0) mode = MODE_JSON;
        else if (strcmp(argv[i], "unseal") == 0) mode = MODE_UNSEAL;
        else if (strcmp(argv[i], "all") == 0) mode = MODE_JSON | MODE_UNSEAL;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            puts("usage: codec [--secret S] [--name NAME] [-q] [json|unseal|all] [FILE...]\n"
                 "Checks the JSON codec's round trip and tries to open each input as a sealed\n"
                 "cookie (secret: --secret, $SESSION_SECRET, else a built-in test secret).");
            return 0;
        } else nfiles++;
    }
    if (setup_store(secret, name)) return 2;
    int rc = 0;
    for (i = 1; i < argc || nfiles == 0; i++) {
        const char *path = "-";
        if (nfiles) {
            const char *a = argv[i];
            if (strcmp(a, "--secret") == 0 || strcmp(a, "--name") == 0) { i++; continue; }
            if (strcmp(a, "-q") == 0 || strcmp(a, "json") == 0 || strcmp(a, "unseal") == 0 ||
                strcmp(a, "all") == 0)
                continue;
            path = a;
        }
        size_t len = 0;
        uint8_t *data = read_file(path, &len);
        if (!data) {
            fprintf(stderr, "codec: cannot read %s\n", path);
            rc = 2;
        } else {
            if (verbose && nfiles > 1) printf("== %s\n", path);
            /* data JSON: the codec treats it as bytes, mode selects the checks */
            if (mode & MODE_JSON) run_one(data, len, mode);
            else {
                dynsess_buf none;
                dynsess_buf_init(&none, 0);
                check_cookie(data, len, 0, &none);
            }
            free(data);
        }
        if (!nfiles) break;
    }
    dynsess_store_close(cookie_store);
    return rc;
}
#endif
