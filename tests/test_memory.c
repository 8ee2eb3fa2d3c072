/* tests/test_memory.c - @store >memory: load/save/destroy/touch, versions,
   E_EXISTS/E_NOTFOUND/E_CONFLICT, lazy expiry, sweep, eviction rule, OOM,
   and a multi-threaded hammer (also built with ThreadSanitizer, tests/extra.mk). */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"
#include <pthread.h>


static dynsess_status tm_save(dynsess_store *st, const char *tok, const char *data, int64_t exp,
                              int64_t version, int is_new, int64_t now, dynsess_error *err) {
    dynsess_write w = tt_write(tok, data, now, exp, version, is_new);
    dynsess_buf tok_out;
    dynsess_status rc;
    dynsess_buf_init(&tok_out, 0);
    rc = st->vt->save(st, &w, now, &tok_out, err);
    dynsess_buf_free(&tok_out);
    return rc;
}

static dynsess_status tm_load(dynsess_store *st, const char *tok, int64_t now, dynsess_record *r,
                              dynsess_error *err) {
    dynsess_buf_reset(&r->data);
    return st->vt->load(st, dynsess_cstr(tok), now, r, err);
}

TT_TEST(memory_create_load_update_destroy) {
    dynsess_store *st = 0;
    dynsess_error err;
    dynsess_record r;
    memset(&r, 0, sizeof r);
    dynsess_buf_init(&r.data, 0);
    ASSERT_OK(dynsess_store_memory_new(0, &st, &err), &err);
    EXPECT_EQ_STR(st->vt->name, "memory");
    EXPECT_EQ_INT(st->vt->flags & DYNSESS_STORE_SELF_CONTAINED, 0);
    EXPECT_EQ_INT(tm_load(st, "abc", 100, &r, &err), DYNSESS_E_NOTFOUND);
    EXPECT_EQ_STR(err.msg, "memory: no such session");
    EXPECT_OK(tm_save(st, "abc", "{\"a\":1}", 200, 0, 1, 100, &err), &err);
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 1);
    EXPECT_OK(tm_load(st, "abc", 150, &r, &err), &err);
    EXPECT_EQ_STR(r.data.ptr, "{\"a\":1}");
    EXPECT_EQ_INT(r.created_at, 100);
    EXPECT_EQ_INT(r.expires_at, 200);
    EXPECT_EQ_INT(r.version, 1);
    EXPECT_EQ_INT(r.stale, 0);
    /* create on a live id: E_EXISTS, never overwritten */
    EXPECT_EQ_INT(tm_save(st, "abc", "{}", 300, 0, 1, 150, &err), DYNSESS_E_EXISTS);
    EXPECT_OK(tm_load(st, "abc", 150, &r, &err), &err);
    EXPECT_EQ_STR(r.data.ptr, "{\"a\":1}");
    /* update with the right version */
    EXPECT_OK(tm_save(st, "abc", "{\"a\":2}", 400, 1, 0, 150, &err), &err);
    EXPECT_OK(tm_load(st, "abc", 150, &r, &err), &err);
    EXPECT_EQ_STR(r.data.ptr, "{\"a\":2}");
    EXPECT_EQ_INT(r.version, 2);
    EXPECT_EQ_INT(r.expires_at, 400);
    EXPECT_EQ_INT(r.created_at, 100);
    /* stale version: E_CONFLICT, data kept */
    EXPECT_EQ_INT(tm_save(st, "abc", "{\"a\":3}", 400, 1, 0, 150, &err), DYNSESS_E_CONFLICT);
    EXPECT_EQ_INT(err.code, DYNSESS_E_CONFLICT);
    EXPECT_OK(tm_load(st, "abc", 150, &r, &err), &err);
    EXPECT_EQ_STR(r.data.ptr, "{\"a\":2}");
    /* version 0: unversioned write */
    EXPECT_OK(tm_save(st, "abc", "{\"a\":4}", 400, 0, 0, 150, &err), &err);
    EXPECT_OK(tm_load(st, "abc", 150, &r, &err), &err);
    EXPECT_EQ_INT(r.version, 3);
    /* update of a missing id: E_NOTFOUND, no resurrection */
    EXPECT_EQ_INT(tm_save(st, "zzz", "{}", 400, 1, 0, 150, &err), DYNSESS_E_NOTFOUND);
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 1);
    /* destroy, twice */
    EXPECT_OK(st->vt->destroy(st, dynsess_cstr("abc"), &err), &err);
    EXPECT_OK(st->vt->destroy(st, dynsess_cstr("abc"), &err), &err);
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 0);
    EXPECT_EQ_INT(tm_load(st, "abc", 150, &r, &err), DYNSESS_E_NOTFOUND);
    EXPECT_EQ_INT(tm_save(st, "abc", "{}", 400, 3, 0, 150, &err), DYNSESS_E_NOTFOUND);
    /* bad arguments */
    EXPECT_EQ_INT(tm_save(st, "", "{}", 400, 0, 1, 150, &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(tm_load(st, "", 150, &r, &err), DYNSESS_E_NOTFOUND);
    dynsess_buf_free(&r.data);
    dynsess_store_close(st);
}

TT_TEST(memory_lazy_expiry_and_touch) {
    dynsess_store *st = 0;
    dynsess_error err;
    dynsess_record r;
    memset(&r, 0, sizeof r);
    dynsess_buf_init(&r.data, 0);
    ASSERT_OK(dynsess_store_memory_new(0, &st, &err), &err);
    EXPECT_OK(tm_save(st, "s1", "{}", 200, 0, 1, 100, &err), &err);
    EXPECT_OK(tm_load(st, "s1", 199, &r, &err), &err);
    /* expires_at <= now: gone, dropped on read */
    EXPECT_EQ_INT(tm_load(st, "s1", 200, &r, &err), DYNSESS_E_NOTFOUND);
    EXPECT_EQ_STR(err.msg, "memory: session expired");
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 0);
    /* touch moves the deadline without touching data or version */
    EXPECT_OK(tm_save(st, "s2", "{\"x\":1}", 200, 0, 1, 100, &err), &err);
    EXPECT_OK(st->vt->touch(st, dynsess_cstr("s2"), 500, 150, &err), &err);
    EXPECT_OK(tm_load(st, "s2", 450, &r, &err), &err);
    EXPECT_EQ_INT(r.expires_at, 500);
    EXPECT_EQ_INT(r.version, 1);
    EXPECT_EQ_STR(r.data.ptr, "{\"x\":1}");
    EXPECT_EQ_INT(st->vt->touch(st, dynsess_cstr("nope"), 500, 150, &err), DYNSESS_E_NOTFOUND);
    EXPECT_EQ_INT(st->vt->touch(st, dynsess_cstr("s2"), 900, 500, &err), DYNSESS_E_NOTFOUND);
    /* an expired id may be created again */
    EXPECT_OK(tm_save(st, "s3", "{}", 200, 0, 1, 100, &err), &err);
    EXPECT_OK(tm_save(st, "s3", "{\"n\":1}", 400, 0, 1, 300, &err), &err);
    EXPECT_OK(tm_load(st, "s3", 300, &r, &err), &err);
    EXPECT_EQ_STR(r.data.ptr, "{\"n\":1}");
    /* update of an expired record: E_NOTFOUND */
    EXPECT_EQ_INT(tm_save(st, "s3", "{}", 900, 1, 0, 400, &err), DYNSESS_E_NOTFOUND);
    dynsess_buf_free(&r.data);
    dynsess_store_close(st);
}

TT_TEST(memory_sweep) {
    dynsess_store *st = 0;
    dynsess_error err;
    char tok[16];
    int i;
    ASSERT_OK(dynsess_store_memory_new(0, &st, &err), &err);
    for (i = 0; i < 100; i++) {
        snprintf(tok, sizeof tok, "t%d", i);
        EXPECT_OK(tm_save(st, tok, "{}", 1000 + (i * 37) % 100, 0, 1, 10, &err), &err);
    }
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 100);
    EXPECT_EQ_INT(dynsess_store_memory_sweep(st, 999), 0);
    EXPECT_EQ_INT(dynsess_store_memory_sweep(st, 1050), 51);   /* 1000..1050 */
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 49);
    EXPECT_EQ_INT(dynsess_store_memory_sweep(st, 2000), 49);
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 0);
    EXPECT_EQ_INT(dynsess_store_memory_sweep(0, 2000), 0);
    EXPECT_EQ_INT(dynsess_store_memory_count(0), 0);
    dynsess_store_close(st);
}

TT_TEST(memory_create_drops_expired_records) {
    dynsess_store *st = 0;
    dynsess_error err;
    char tok[16];
    int i;
    ASSERT_OK(dynsess_store_memory_new(0, &st, &err), &err);
    for (i = 0; i < 10; i++) {
        snprintf(tok, sizeof tok, "old%d", i);
        EXPECT_OK(tm_save(st, tok, "{}", 100, 0, 1, 10, &err), &err);
    }
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 10);
    /* each create at now=200 drops two of the dead ones */
    for (i = 0; i < 5; i++) {
        snprintf(tok, sizeof tok, "new%d", i);
        EXPECT_OK(tm_save(st, tok, "{}", 1000, 0, 1, 200, &err), &err);
        EXPECT_EQ_INT(dynsess_store_memory_count(st), 10 - 2 * (i + 1) + (i + 1));
    }
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 5);
    /* live records are never dropped that way */
    EXPECT_OK(tm_save(st, "last", "{}", 1000, 0, 1, 200, &err), &err);
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 6);
    dynsess_store_close(st);
}

TT_TEST(memory_eviction_soonest_expiring) {
    dynsess_store *st = 0;
    dynsess_memory_desc d;
    dynsess_error err;
    dynsess_record r;
    memset(&d, 0, sizeof d);
    memset(&r, 0, sizeof r);
    dynsess_buf_init(&r.data, 0);
    d.max_sessions = 3;
    ASSERT_OK(dynsess_store_memory_new(&d, &st, &err), &err);
    EXPECT_OK(tm_save(st, "a", "{}", 500, 0, 1, 10, &err), &err);
    EXPECT_OK(tm_save(st, "b", "{}", 300, 0, 1, 10, &err), &err);
    EXPECT_OK(tm_save(st, "c", "{}", 400, 0, 1, 10, &err), &err);
    /* full: "b" expires soonest and goes */
    EXPECT_OK(tm_save(st, "d", "{}", 900, 0, 1, 10, &err), &err);
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 3);
    EXPECT_EQ_INT(tm_load(st, "b", 10, &r, &err), DYNSESS_E_NOTFOUND);
    EXPECT_OK(tm_load(st, "a", 10, &r, &err), &err);
    EXPECT_OK(tm_load(st, "c", 10, &r, &err), &err);
    /* an update that moves "c" later makes "a" the victim */
    EXPECT_OK(tm_save(st, "c", "{}", 1000, 1, 0, 10, &err), &err);
    EXPECT_OK(tm_save(st, "e", "{}", 950, 0, 1, 10, &err), &err);
    EXPECT_EQ_INT(tm_load(st, "a", 10, &r, &err), DYNSESS_E_NOTFOUND);
    EXPECT_OK(tm_load(st, "c", 10, &r, &err), &err);
    EXPECT_OK(tm_load(st, "d", 10, &r, &err), &err);
    /* expired ones are dropped first: all three expire before now=960 except c (1000) */
    EXPECT_OK(tm_save(st, "f", "{}", 2000, 0, 1, 960, &err), &err);
    EXPECT_OK(tm_save(st, "g", "{}", 2000, 0, 1, 960, &err), &err);
    EXPECT_OK(tm_load(st, "c", 960, &r, &err), &err);
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 3);
    dynsess_buf_free(&r.data);
    dynsess_store_close(st);
}

/* Heap invariants under many random operations (checked through the eviction order). */
TT_TEST(memory_many_sessions_random_order) {
    dynsess_store *st = 0;
    dynsess_memory_desc d;
    dynsess_error err;
    char tok[32];
    uint32_t x = 12345;
    int i;
    int64_t last = -1;
    memset(&d, 0, sizeof d);
    d.max_sessions = 5000;
    ASSERT_OK(dynsess_store_memory_new(&d, &st, &err), &err);
    for (i = 0; i < 5000; i++) {
        x = x * 1103515245u + 12345u;
        snprintf(tok, sizeof tok, "id%d", i);
        EXPECT_OK(tm_save(st, tok, "{}", 1000 + (x >> 8) % 100000, 0, 1, 0, &err), &err);
    }
    for (i = 0; i < 5000; i += 3) {
        snprintf(tok, sizeof tok, "id%d", i);
        EXPECT_OK(st->vt->destroy(st, dynsess_cstr(tok), &err), &err);
    }
    EXPECT_EQ_INT(dynsess_store_memory_count(st), 5000 - 1667);
    /* sweeping in steps drops records in expiry order: count never rises */
    for (i = 0; i <= 101; i++) {
        size_t before = dynsess_store_memory_count(st);
        size_t n = dynsess_store_memory_sweep(st, 1000 + (int64_t)i * 1000);
        EXPECT_EQ_INT(dynsess_store_memory_count(st), before - n);
        EXPECT((int64_t)n >= 0);
        last = (int64_t)dynsess_store_memory_count(st);
    }
    EXPECT_EQ_INT(last, 0);
    dynsess_store_close(st);
}

TT_TEST(memory_bad_desc) {
    dynsess_store *st = (dynsess_store *)1;
    dynsess_memory_desc d;
    dynsess_error err;
    memset(&d, 0, sizeof d);
    d.allocator.alloc = tt_alloc_fn;
    EXPECT_EQ_INT(dynsess_store_memory_new(&d, &st, &err), DYNSESS_E_CONFIG);
    EXPECT(st == 0);
    EXPECT_EQ_INT(dynsess_store_memory_new(0, 0, &err), DYNSESS_E_ARG);
}

TT_TEST(memory_oom_loop) {
    int mode;
    for (mode = 0; mode < 2; mode++) {
        long n;
        int done = 0;
        for (n = 1; n < 200 && !done; n++) {
            tt_alloc_state as = {0, 0, 0, 0};
            dynsess_memory_desc d;
            dynsess_store *st = 0;
            dynsess_error err;
            dynsess_record r;
            dynsess_status rc;
            int i, ok = 1;
            memset(&d, 0, sizeof d);
            d.allocator.alloc = tt_alloc_fn;
            d.allocator.realloc = tt_realloc_fn;
            d.allocator.free = tt_free_fn;
            d.allocator.user = &as;
            d.max_sessions = 40;
            as.fail_at = n;
            as.fail_after = mode;
            memset(&r, 0, sizeof r);
            dynsess_buf_init(&r.data, 0);
            rc = dynsess_store_memory_new(&d, &st, &err);
            if (rc) { EXPECT_EQ_INT(rc, DYNSESS_E_NOMEM); EXPECT_EQ_INT(as.live, 0); continue; }
            for (i = 0; i < 60 && ok; i++) {
                char tok[16];
                snprintf(tok, sizeof tok, "k%d", i);
                rc = tm_save(st, tok, "{\"v\":1}", 100 + i, 0, 1, 0, &err);
                if (rc) { EXPECT_EQ_INT(rc, DYNSESS_E_NOMEM); ok = 0; break; }
                rc = tm_save(st, tok, "{\"v\":2}", 200 + i, 1, 0, 0, &err);
                if (rc) {
                    EXPECT_EQ_INT(rc, DYNSESS_E_NOMEM);
                    /* the record is intact */
                    EXPECT_OK(tm_load(st, tok, 0, &r, &err), &err);
                    EXPECT_EQ_STR(r.data.ptr, "{\"v\":1}");
                    ok = 0;
                    break;
                }
            }
            if (ok) done = 1;
            EXPECT(dynsess_store_memory_count(st) <= 40);
            dynsess_store_close(st);
            dynsess_buf_free(&r.data);
            EXPECT_EQ_INT(as.live, 0);
        }
        EXPECT(done);
    }
}

/* ---- threads: several writers and readers on one thread-safe store ------ */
#define TM_THREADS 4
#define TM_ROUNDS 3000
typedef struct tm_thread_arg { dynsess_store *st; int id; int failures; } tm_thread_arg;

static void *tm_worker(void *p) {
    tm_thread_arg *a = (tm_thread_arg *)p;
    dynsess_record r;
    dynsess_error err;
    int i;
    memset(&r, 0, sizeof r);
    dynsess_buf_init(&r.data, 0);
    for (i = 0; i < TM_ROUNDS; i++) {
        char tok[32];
        dynsess_status rc;
        int64_t now = i;
        snprintf(tok, sizeof tok, "t%d-%d", a->id, i % 50);
        rc = tm_load(a->st, tok, now, &r, &err);
        if (rc == DYNSESS_E_NOTFOUND) {
            rc = tm_save(a->st, tok, "{\"n\":0}", now + 20 + i % 7, 0, 1, now, &err);
            if (rc && rc != DYNSESS_E_EXISTS) a->failures++;
        } else if (rc == DYNSESS_OK) {
            rc = tm_save(a->st, tok, "{\"n\":1}", now + 30, r.version, 0, now, &err);
            if (rc && rc != DYNSESS_E_CONFLICT && rc != DYNSESS_E_NOTFOUND) a->failures++;
        } else {
            a->failures++;
        }
        /* a shared key every thread fights over */
        rc = tm_load(a->st, "shared", now, &r, &err);
        if (rc == DYNSESS_OK) {
            rc = tm_save(a->st, "shared", "{}", now + 1000, r.version, 0, now, &err);
            if (rc && rc != DYNSESS_E_CONFLICT && rc != DYNSESS_E_NOTFOUND) a->failures++;
        }
        if (i % 100 == 0) dynsess_store_memory_sweep(a->st, now);
        if (i % 17 == 0) a->st->vt->touch(a->st, dynsess_cstr(tok), now + 40, now, &err);
        if (i % 23 == 0) a->st->vt->destroy(a->st, dynsess_cstr(tok), &err);
    }
    dynsess_buf_free(&r.data);
    return 0;
}

TT_TEST(memory_threads) {
    dynsess_store *st = 0;
    dynsess_memory_desc d;
    dynsess_error err;
    dynsess_record r;
    pthread_t th[TM_THREADS];
    tm_thread_arg args[TM_THREADS];
    int i;
    memset(&d, 0, sizeof d);
    d.thread_safe = 1;
    d.max_sessions = 120; /* smaller than the working set: eviction under contention */
    ASSERT_OK(dynsess_store_memory_new(&d, &st, &err), &err);
    EXPECT_OK(tm_save(st, "shared", "{}", 1000000, 0, 1, 0, &err), &err);
    for (i = 0; i < TM_THREADS; i++) {
        args[i].st = st;
        args[i].id = i;
        args[i].failures = 0;
        ASSERT(pthread_create(&th[i], 0, tm_worker, &args[i]) == 0);
    }
    for (i = 0; i < TM_THREADS; i++) pthread_join(th[i], 0);
    for (i = 0; i < TM_THREADS; i++) EXPECT_EQ_INT(args[i].failures, 0);
    EXPECT(dynsess_store_memory_count(st) <= 120);
    memset(&r, 0, sizeof r);
    dynsess_buf_init(&r.data, 0);
    /* "shared" may have been evicted (it expires last, so only if all else is gone) */
    if (tm_load(st, "shared", 0, &r, &err) == DYNSESS_OK) EXPECT(r.version >= 1);
    dynsess_buf_free(&r.data);
    dynsess_store_close(st);
}

static const tt_case tt_cases[] = {
    TT_CASE(memory_create_load_update_destroy),
    TT_CASE(memory_lazy_expiry_and_touch),
    TT_CASE(memory_sweep),
    TT_CASE(memory_create_drops_expired_records),
    TT_CASE(memory_eviction_soonest_expiring),
    TT_CASE(memory_many_sessions_random_order),
    TT_CASE(memory_bad_desc),
    TT_CASE(memory_oom_loop),
    TT_CASE(memory_threads),
};
int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
