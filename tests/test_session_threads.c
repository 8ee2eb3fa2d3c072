/* tests/test_session_threads.c - one dynsess_ctx shared by several threads over a
   thread-safe memory store (also built with ThreadSanitizer, tests/extra.mk):
   concurrent requests of ONE session, each thread incrementing its own key, lose no
   update thanks to the conflict merge; concurrent independent sessions stay apart. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"
#include <pthread.h>

#define TH_THREADS 4
#define TH_ROUNDS 150

typedef struct th_arg {
    dynsess_ctx *ctx;
    const char *cookie;
    int id;
    int failures, conflicts;
} th_arg;

/* One request: load, own counter += 1, save; a final E_CONFLICT (retries exhausted)
   is retried as a whole request, as a web app would answer 409/retry. */
static void *th_same_session(void *p) {
    th_arg *a = (th_arg *)p;
    char key[16], sc[512];
    int i;
    snprintf(key, sizeof key, "t%d", a->id);
    for (i = 0; i < TH_ROUNDS; i++) {
        int tries;
        for (tries = 0; tries < 100; tries++) {
            dynsess_session *s = 0;
            dynsess_error err;
            dynsess_status rc;
            size_t n = 0;
            int64_t v;
            if (dynsess_load(a->ctx, a->cookie, strlen(a->cookie), &s, &err)) { a->failures++; break; }
            if (dynsess_session_is_new(s)) { a->failures++; dynsess_release(s); break; }
            v = dynsess_value_int(dynsess_session_get(s, key));
            if (dynsess_session_set_int(s, key, v + 1, &err)) a->failures++;
            rc = dynsess_save(a->ctx, s, sc, sizeof sc, &n, &err);
            dynsess_release(s);
            if (rc == DYNSESS_OK) break;
            if (rc == DYNSESS_E_CONFLICT) { a->conflicts++; continue; }
            a->failures++;
            break;
        }
    }
    return 0;
}

static void *th_own_sessions(void *p) {
    th_arg *a = (th_arg *)p;
    int i;
    for (i = 0; i < TH_ROUNDS; i++) {
        dynsess_session *s = 0;
        dynsess_error err;
        char sc[512], cookie[128], *semi;
        size_t n = 0;
        if (dynsess_load(a->ctx, 0, 0, &s, &err)) { a->failures++; continue; }
        if (dynsess_session_set_int(s, "owner", a->id, &err)) a->failures++;
        if (dynsess_save(a->ctx, s, sc, sizeof sc, &n, &err) || n == 0) a->failures++;
        dynsess_release(s);
        semi = strchr(sc, ';');
        if (!semi) { a->failures++; continue; }
        memcpy(cookie, sc, (size_t)(semi - sc));
        cookie[semi - sc] = 0;
        if (dynsess_load(a->ctx, cookie, strlen(cookie), &s, &err)) { a->failures++; continue; }
        if (dynsess_session_is_new(s) ||
            dynsess_value_int(dynsess_session_get(s, "owner")) != a->id)
            a->failures++;
        if (i % 3 == 0) {
            if (dynsess_destroy(a->ctx, s, sc, sizeof sc, &n, &err)) a->failures++;
        }
        dynsess_release(s);
    }
    return 0;
}

static void th_run(void *(*fn)(void *), dynsess_ctx *ctx, const char *cookie, th_arg *args) {
    pthread_t th[TH_THREADS];
    int i;
    for (i = 0; i < TH_THREADS; i++) {
        args[i].ctx = ctx;
        args[i].cookie = cookie;
        args[i].id = i;
        args[i].failures = args[i].conflicts = 0;
        if (pthread_create(&th[i], 0, fn, &args[i]) != 0) { TT__FAIL("pthread_create"); return; }
    }
    for (i = 0; i < TH_THREADS; i++) pthread_join(th[i], 0);
}

TT_TEST(threads_one_session_no_lost_updates) {
    dynsess_store *st = 0;
    dynsess_memory_desc md;
    dynsess_desc d;
    dynsess_ctx *ctx = 0;
    dynsess_session *s = 0;
    dynsess_error err;
    th_arg args[TH_THREADS];
    char sc[512], cookie[128], *semi;
    size_t n = 0;
    int i;
    memset(&md, 0, sizeof md);
    md.thread_safe = 1;
    ASSERT_OK(dynsess_store_memory_new(&md, &st, &err), &err);
    memset(&d, 0, sizeof d);
    d.store = st;
    ASSERT_OK(dynsess_setup(&ctx, &d, &err), &err);
    ASSERT_OK(dynsess_load(ctx, 0, 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_str(s, "user", "shared", &err), &err);
    ASSERT_OK(dynsess_save(ctx, s, sc, sizeof sc, &n, &err), &err);
    dynsess_release(s);
    semi = strchr(sc, ';');
    ASSERT(semi != 0);
    memcpy(cookie, sc, (size_t)(semi - sc));
    cookie[semi - sc] = 0;
    th_run(th_same_session, ctx, cookie, args);
    for (i = 0; i < TH_THREADS; i++) EXPECT_EQ_INT(args[i].failures, 0);
    ASSERT_OK(dynsess_load(ctx, cookie, strlen(cookie), &s, &err), &err);
    for (i = 0; i < TH_THREADS; i++) {
        char key[16];
        snprintf(key, sizeof key, "t%d", i);
        EXPECT_EQ_INT(dynsess_value_int(dynsess_session_get(s, key)), TH_ROUNDS);
    }
    EXPECT(dynsess_value_str(dynsess_session_get(s, "user")).len == 6);
    dynsess_release(s);
    dynsess_shutdown(ctx);
    dynsess_store_close(st);
}

TT_TEST(threads_independent_sessions) {
    dynsess_store *st = 0;
    dynsess_memory_desc md;
    dynsess_desc d;
    dynsess_ctx *ctx = 0;
    dynsess_error err;
    th_arg args[TH_THREADS];
    int i;
    memset(&md, 0, sizeof md);
    md.thread_safe = 1;
    ASSERT_OK(dynsess_store_memory_new(&md, &st, &err), &err);
    memset(&d, 0, sizeof d);
    d.store = st;
    ASSERT_OK(dynsess_setup(&ctx, &d, &err), &err);
    th_run(th_own_sessions, ctx, 0, args);
    for (i = 0; i < TH_THREADS; i++) EXPECT_EQ_INT(args[i].failures, 0);
    EXPECT_EQ_INT(dynsess_store_memory_count(st), TH_THREADS * (TH_ROUNDS - TH_ROUNDS / 3));
    dynsess_shutdown(ctx);
    dynsess_store_close(st);
}

static const tt_case tt_cases[] = {
    TT_CASE(threads_one_session_no_lost_updates),
    TT_CASE(threads_independent_sessions),
};
int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
