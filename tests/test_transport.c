/* tests/test_transport.c - the bundled HTTP transports against a small HTTP/1.1 server that the
   test runs itself (a thread per connection on 127.0.0.1, port 0): keep-alive reuse, chunked,
   slow (timeout), oversized, truncated and garbage replies, 1xx, HTTP/1.0, connection refused,
   https refused by the plain transport, header lookup, allocation failures.
   This file is built as is (strict -std=c99 without POSIX feature macros: the plain transport
   then resolves IP literals only) and, through tests/test_transport_curl.c, with
   _POSIX_C_SOURCE=200809L and DYNSESS_WITH_CURL, where every case runs against both transports. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"
#include <pthread.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>
#include <errno.h>

/* ---- the test server ------------------------------------------------------------ */
typedef struct srv_t {
    int lfd, port;
    pthread_t th;
    pthread_mutex_t mu;
    int stop, conns, active;
} srv_t;
static srv_t S;

static void ms_sleep(int ms) { poll(0, 0, ms); }
static int stopping(void) {
    int s;
    pthread_mutex_lock(&S.mu);
    s = S.stop;
    pthread_mutex_unlock(&S.mu);
    return s;
}
static int sendall(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}
static int sends(int fd, const char *s) { return sendall(fd, s, strlen(s)); }

static void *conn_main(void *arg) {
    int fd = (int)(intptr_t)arg;
    static char big[65536];
    char buf[65536];
    size_t len = 0;
    memset(big, 'x', sizeof big);
    for (;;) {
        char *he, path[256], out[70000];
        size_t hl, cl = 0, need;
        const char *c;
        ssize_t r;
        /* read one request head and body */
        while (!(he = (len ? strstr(buf, "\r\n\r\n") : 0))) {
            if (len == sizeof buf - 1) goto out;
            r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
            if (r <= 0) goto out;
            if (len == 0 && (unsigned char)buf[0] == 0x16) goto out; /* a TLS client hello */
            len += (size_t)r;
            buf[len] = 0;
        }
        hl = (size_t)(he - buf) + 4;
        c = strstr(buf, "\r\nContent-Length: ");
        if (!c) c = strstr(buf, "\r\ncontent-length: ");
        if (c && c < he) cl = (size_t)atol(c + 18);
        need = hl + cl;
        while (len < need) {
            r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
            if (r <= 0) goto out;
            len += (size_t)r;
            buf[len] = 0;
        }
        if (sscanf(buf, "%*s %255s", path) != 1) goto out;
        if (!strcmp(path, "/ok")) {
            if (sends(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test:  a b \r\n\r\nhello")) goto out;
        } else if (!strncmp(path, "/echo", 5)) {
            /* body = the whole request as received */
            snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %lu\r\n\r\n", (unsigned long)need);
            if (sends(fd, out) || sendall(fd, buf, need)) goto out;
        } else if (!strcmp(path, "/chunked")) {
            if (sends(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhel")) goto out;
            ms_sleep(20);
            if (sends(fd, "lo\r\n1\r\n \r\nA\r\n0123456789\r")) goto out;
            ms_sleep(20);
            if (sends(fd, "\n0\r\nX-Trailer: t\r\n\r\n")) goto out;
        } else if (!strcmp(path, "/slow")) {
            int i;
            for (i = 0; i < 100 && !stopping(); i++) ms_sleep(10);
            sends(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow");
            goto out;
        } else if (!strcmp(path, "/big")) {
            sends(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
            sendall(fd, big, sizeof big);
            goto out;
        } else if (!strcmp(path, "/bigchunked")) {
            int i;
            if (sends(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) goto out;
            for (i = 0; i < 64 && !stopping(); i++) {
                if (sends(fd, "10000\r\n") || sendall(fd, big, sizeof big) || sends(fd, "\r\n")) break;
            }
            goto out;
        } else if (!strcmp(path, "/bighead")) {
            int i;
            if (sends(fd, "HTTP/1.1 200 OK\r\n")) goto out;
            for (i = 0; i < 64; i++)
                if (sends(fd, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")) break;
            sends(fd, "Content-Length: 0\r\n\r\n");
            goto out;
        } else if (!strcmp(path, "/garbage")) {
            sends(fd, "garbage\r\n\r\n");
            goto out;
        } else if (!strcmp(path, "/truncated")) {
            sends(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
            goto out;
        } else if (!strcmp(path, "/close")) {
            sends(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close");
            goto out;
        } else if (!strcmp(path, "/http10")) {
            sends(fd, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
            goto out;
        } else if (!strcmp(path, "/stale")) {
            /* keep-alive reply, then the server drops the connection anyway */
            sends(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale");
            ms_sleep(30);
            goto out;
        } else if (!strcmp(path, "/continue")) {
            if (sends(fd, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")) goto out;
        } else if (!strcmp(path, "/badcl")) {
            sends(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
            goto out;
        } else if (!strcmp(path, "/badchunk")) {
            sends(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
            goto out;
        } else if (!strcmp(path, "/te-and-cl")) {
            /* both framings: chunked wins (RFC 9112 §6.3) and the client must not reuse */
            if (sends(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n"
                          "5\r\nhello\r\n0\r\n\r\n")) goto out;
        } else if (!strcmp(path, "/404")) {
            if (sends(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop")) goto out;
        } else {
            sends(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            goto out;
        }
        memmove(buf, buf + need, len - need);
        len -= need;
        buf[len] = 0;
    }
out:
    close(fd);
    pthread_mutex_lock(&S.mu);
    S.active--;
    pthread_mutex_unlock(&S.mu);
    return 0;
}

static void *accept_main(void *arg) {
    (void)arg;
    while (!stopping()) {
        struct pollfd pf;
        int fd;
        pthread_t t;
        pf.fd = S.lfd;
        pf.events = POLLIN;
        pf.revents = 0;
        if (poll(&pf, 1, 20) <= 0) continue;
        fd = accept(S.lfd, 0, 0);
        if (fd < 0) continue;
        pthread_mutex_lock(&S.mu);
        S.conns++;
        S.active++;
        pthread_mutex_unlock(&S.mu);
        if (pthread_create(&t, 0, conn_main, (void *)(intptr_t)fd) != 0) {
            close(fd);
            pthread_mutex_lock(&S.mu);
            S.active--;
            pthread_mutex_unlock(&S.mu);
            continue;
        }
        pthread_detach(t);
    }
    return 0;
}

static int srv_start(void) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int one = 1;
    memset(&S, 0, sizeof S);
    pthread_mutex_init(&S.mu, 0);
    S.lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (S.lfd < 0) return 0;
    setsockopt(S.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x7f000001);
    a.sin_port = 0;
    if (bind(S.lfd, (struct sockaddr *)&a, sizeof a) || listen(S.lfd, 16) ||
        getsockname(S.lfd, (struct sockaddr *)&a, &al))
        return 0;
    S.port = ntohs(a.sin_port);
    return pthread_create(&S.th, 0, accept_main, 0) == 0;
}
static void srv_stop(void) {
    int i, act = 0;
    pthread_mutex_lock(&S.mu);
    S.stop = 1;
    pthread_mutex_unlock(&S.mu);
    pthread_join(S.th, 0);
    close(S.lfd);
    for (i = 0; i < 300; i++) { /* bounded wait for connection threads */
        pthread_mutex_lock(&S.mu);
        act = S.active;
        pthread_mutex_unlock(&S.mu);
        if (!act) break;
        ms_sleep(10);
    }
}
static int conns(void) {
    int c;
    pthread_mutex_lock(&S.mu);
    c = S.conns;
    pthread_mutex_unlock(&S.mu);
    return c;
}

/* ---- transports under test ----------------------------------------------------- */
typedef struct kind_t {
    const char *name;
    dynsess_status (*make)(const dynsess_transport_desc *, dynsess_transport *, dynsess_error *);
} kind_t;
static const kind_t kinds[] = {
    {"plain", dynsess_transport_plain_new},
#ifdef DYNSESS_WITH_CURL
    {"curl", dynsess_transport_curl_new},
#endif
};

static void get_req(dynsess_http_request *r, const char *path) {
    memset(r, 0, sizeof *r);
    r->method = "GET";
    r->scheme = "http";
    r->host = "127.0.0.1";
    r->port = S.port;
    r->path = path;
}
static int body_is(const dynsess_http_response *r, const char *s) {
    return r->body.len == strlen(s) && !memcmp(r->body.ptr, s, r->body.len);
}

/* one call through a fresh or given transport */
static dynsess_status call(dynsess_transport *t, const char *path, dynsess_http_response *resp,
                           dynsess_error *err) {
    dynsess_http_request r;
    get_req(&r, path);
    return dynsess_http_send(t, &r, resp, err);
}

TT_TEST(keepalive_reuse_and_headers) {
    size_t k;
    for (k = 0; k < TT_COUNT(kinds); k++) {
        dynsess_transport t;
        dynsess_http_response resp;
        dynsess_error err;
        dynsess_str v;
        int c0, i;
        ASSERT_OK(kinds[k].make(0, &t, &err), &err);
        dynsess_http_response_init(&resp, 0);
        c0 = conns();
        for (i = 0; i < 3; i++) {
            EXPECT_OK(call(&t, "/ok", &resp, &err), &err);
            EXPECT_EQ_INT(resp.status, 200);
            EXPECT(body_is(&resp, "hello"));
        }
        EXPECT_EQ_INT(conns() - c0, 1); /* three calls, one connection */
        EXPECT(dynsess_http_response_header(&resp, "X-TEST", &v));
        EXPECT(v.len == 3 && !memcmp(v.ptr, "a b", 3));
        EXPECT(!dynsess_http_response_header(&resp, "x-missing", &v));
        /* 404 is a complete response: OK with the status */
        EXPECT_OK(call(&t, "/404", &resp, &err), &err);
        EXPECT_EQ_INT(resp.status, 404);
        EXPECT(body_is(&resp, "nop"));
        EXPECT_EQ_INT(conns() - c0, 1);
        /* the server closing a kept-alive connection: the next call reconnects */
        EXPECT_OK(call(&t, "/stale", &resp, &err), &err);
        ms_sleep(60);
        EXPECT_OK(call(&t, "/ok", &resp, &err), &err);
        EXPECT(body_is(&resp, "hello"));
        EXPECT_EQ_INT(conns() - c0, 2);
        /* Connection: close and HTTP/1.0: not reused */
        EXPECT_OK(call(&t, "/close", &resp, &err), &err);
        EXPECT(body_is(&resp, "until-close"));
        EXPECT_OK(call(&t, "/http10", &resp, &err), &err);
        EXPECT(body_is(&resp, "ok"));
        EXPECT_OK(call(&t, "/ok", &resp, &err), &err);
        EXPECT_EQ_INT(conns() - c0, 4);
        dynsess_http_response_free(&resp);
        dynsess_transport_free(&t);
        if (tt_failures_in_test) printf("  (transport %s)\n", kinds[k].name);
    }
}

TT_TEST(request_bytes_on_the_wire) {
    size_t k;
    for (k = 0; k < TT_COUNT(kinds); k++) {
        dynsess_transport t;
        dynsess_http_response resp;
        dynsess_error err;
        dynsess_http_request r;
        dynsess_http_header h[2];
        char host[64];
        ASSERT_OK(kinds[k].make(0, &t, &err), &err);
        dynsess_http_response_init(&resp, 0);
        get_req(&r, "/echo/x");
        r.method = "POST";
        r.query = "a=1&b=%20";
        h[0].name = dynsess_cstr("X-Amz-Target");
        h[0].value = dynsess_cstr("DynamoDB_20120810.GetItem");
        h[1].name = dynsess_cstr("Content-Type");
        h[1].value = dynsess_cstr("application/x-amz-json-1.0");
        r.headers = h;
        r.header_count = 2;
        r.body = dynsess_cstr("{\"k\":1}");
        ASSERT_OK(dynsess_http_send(&t, &r, &resp, &err), &err);
        EXPECT(strstr(resp.body.ptr, "POST /echo/x?a=1&b=%20 HTTP/1.1\r\n") == resp.body.ptr);
        snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d\r\n", S.port);
        EXPECT(strstr(resp.body.ptr, host) != 0);
        EXPECT(strstr(resp.body.ptr, "\r\nX-Amz-Target: DynamoDB_20120810.GetItem\r\n") != 0);
        EXPECT(strstr(resp.body.ptr, "\r\nContent-Type: application/x-amz-json-1.0\r\n") != 0);
        EXPECT(strstr(resp.body.ptr, "\r\nContent-Length: 7\r\n") != 0);
        EXPECT(strstr(resp.body.ptr, "\r\n\r\n{\"k\":1}") != 0);
        /* header injection is refused before anything is sent */
        h[0].value = dynsess_cstr("x\r\nEvil: 1");
        EXPECT_EQ_INT(dynsess_http_send(&t, &r, &resp, &err), DYNSESS_E_ARG);
        h[0].value = dynsess_cstr("ok");
        r.path = "/a b";
        EXPECT_EQ_INT(dynsess_http_send(&t, &r, &resp, &err), DYNSESS_E_ARG);
        r.path = "/echo";
        r.scheme = "ftp";
        EXPECT_EQ_INT(dynsess_http_send(&t, &r, &resp, &err), DYNSESS_E_ARG);
        dynsess_http_response_free(&resp);
        dynsess_transport_free(&t);
        if (tt_failures_in_test) printf("  (transport %s)\n", kinds[k].name);
    }
}

TT_TEST(chunked_and_interim) {
    size_t k;
    for (k = 0; k < TT_COUNT(kinds); k++) {
        dynsess_transport t;
        dynsess_http_response resp;
        dynsess_error err;
        int c0;
        ASSERT_OK(kinds[k].make(0, &t, &err), &err);
        dynsess_http_response_init(&resp, 0);
        c0 = conns();
        EXPECT_OK(call(&t, "/chunked", &resp, &err), &err);
        EXPECT_EQ_INT(resp.status, 200);
        EXPECT(body_is(&resp, "hello 0123456789"));
        /* the chunked reply ended cleanly: connection reused */
        EXPECT_OK(call(&t, "/chunked", &resp, &err), &err);
        EXPECT(body_is(&resp, "hello 0123456789"));
        EXPECT_OK(call(&t, "/continue", &resp, &err), &err);
        EXPECT_EQ_INT(resp.status, 201);
        EXPECT(body_is(&resp, "ok"));
        EXPECT_EQ_INT(conns() - c0, 1);
        EXPECT_OK(call(&t, "/te-and-cl", &resp, &err), &err);
        EXPECT(body_is(&resp, "hello"));
        if (!strcmp(kinds[k].name, "plain")) {
            EXPECT_OK(call(&t, "/ok", &resp, &err), &err);
            EXPECT_EQ_INT(conns() - c0, 2);
        }
        dynsess_http_response_free(&resp);
        dynsess_transport_free(&t);
        if (tt_failures_in_test) printf("  (transport %s)\n", kinds[k].name);
    }
}

TT_TEST(bad_replies) {
    size_t k;
    for (k = 0; k < TT_COUNT(kinds); k++) {
        dynsess_transport t;
        dynsess_transport_desc d;
        dynsess_http_response resp;
        dynsess_error err;
        memset(&d, 0, sizeof d);
        d.max_response = 1 << 20;
        ASSERT_OK(kinds[k].make(&d, &t, &err), &err);
        dynsess_http_response_init(&resp, 0);
        EXPECT_EQ_INT(call(&t, "/garbage", &resp, &err), DYNSESS_E_HTTP);
        EXPECT_EQ_INT(err.code, DYNSESS_E_HTTP);
        EXPECT(!strncmp(err.msg, "transport: ", 11));
        EXPECT_EQ_INT(call(&t, "/truncated", &resp, &err), DYNSESS_E_HTTP);
        EXPECT_EQ_INT(call(&t, "/badchunk", &resp, &err), DYNSESS_E_HTTP);
        EXPECT_EQ_INT(call(&t, "/big", &resp, &err), DYNSESS_E_LIMIT);
        EXPECT_EQ_INT(call(&t, "/bigchunked", &resp, &err), DYNSESS_E_LIMIT);
        if (!strcmp(kinds[k].name, "plain")) {
            /* curl accepts a duplicate Content-Length; the plain transport refuses a conflict */
            EXPECT_EQ_INT(call(&t, "/badcl", &resp, &err), DYNSESS_E_HTTP);
        }
        /* the transport still works after all that */
        EXPECT_OK(call(&t, "/ok", &resp, &err), &err);
        EXPECT(body_is(&resp, "hello"));
        dynsess_transport_free(&t);
        /* a head larger than the cap */
        d.max_response = 2048;
        ASSERT_OK(kinds[k].make(&d, &t, &err), &err);
        EXPECT_EQ_INT(call(&t, "/bighead", &resp, &err), DYNSESS_E_LIMIT);
        dynsess_http_response_free(&resp);
        dynsess_transport_free(&t);
        if (tt_failures_in_test) printf("  (transport %s)\n", kinds[k].name);
    }
}

TT_TEST(timeout_refused_https) {
    size_t k;
    for (k = 0; k < TT_COUNT(kinds); k++) {
        dynsess_transport t;
        dynsess_http_response resp;
        dynsess_http_request r;
        dynsess_error err;
        int closed_port;
        ASSERT_OK(kinds[k].make(0, &t, &err), &err);
        dynsess_http_response_init(&resp, 0);
        /* slow server: the per-call timeout fires */
        get_req(&r, "/slow");
        r.timeout_ms = 150;
        EXPECT_EQ_INT(dynsess_http_send(&t, &r, &resp, &err), DYNSESS_E_TIMEOUT);
        EXPECT_EQ_INT(resp.status, 0);
        EXPECT_OK(call(&t, "/ok", &resp, &err), &err);
        /* connection refused: a port that was bound and released */
        {
            struct sockaddr_in a;
            socklen_t al = sizeof a;
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            memset(&a, 0, sizeof a);
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(0x7f000001);
            ASSERT(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
                   getsockname(fd, (struct sockaddr *)&a, &al) == 0);
            closed_port = ntohs(a.sin_port);
            close(fd);
        }
        get_req(&r, "/ok");
        r.port = closed_port;
        EXPECT_EQ_INT(dynsess_http_send(&t, &r, &resp, &err), DYNSESS_E_CONNECT);
        /* https: the plain transport refuses it; curl tries TLS, which our server drops */
        get_req(&r, "/ok");
        r.scheme = "https";
        if (!strcmp(kinds[k].name, "plain")) {
            EXPECT_EQ_INT(dynsess_http_send(&t, &r, &resp, &err), DYNSESS_E_UNSUPPORTED);
            EXPECT(strstr(err.msg, "https") != 0);
        } else {
            EXPECT_EQ_INT(dynsess_http_send(&t, &r, &resp, &err), DYNSESS_E_CONNECT);
        }
        dynsess_http_response_free(&resp);
        dynsess_transport_free(&t);
        if (tt_failures_in_test) printf("  (transport %s)\n", kinds[k].name);
    }
}

TT_TEST(allocation_failures) {
    size_t k;
    for (k = 0; k < TT_COUNT(kinds); k++) {
        long n;
        int saw_ok = 0;
        for (n = 1; n <= 40 && !saw_ok; n++) {
            tt_alloc_state st;
            dynsess_allocator a;
            dynsess_transport_desc d;
            dynsess_transport t;
            dynsess_http_response resp;
            dynsess_error err;
            dynsess_status rc;
            memset(&st, 0, sizeof st);
            st.fail_at = n;
            a.alloc = tt_alloc_fn;
            a.realloc = tt_realloc_fn;
            a.free = tt_free_fn;
            a.user = &st;
            memset(&d, 0, sizeof d);
            d.allocator = a;
            rc = kinds[k].make(&d, &t, &err);
            if (rc) { EXPECT_EQ_INT(rc, DYNSESS_E_NOMEM); EXPECT_EQ_INT(st.live, 0); continue; }
            dynsess_http_response_init(&resp, &a);
            rc = call(&t, "/chunked", &resp, &err);
            if (rc == DYNSESS_OK) { saw_ok = 1; EXPECT(body_is(&resp, "hello 0123456789")); }
            else EXPECT_EQ_INT(rc, DYNSESS_E_NOMEM);
            dynsess_http_response_free(&resp);
            dynsess_transport_free(&t);
            EXPECT_EQ_INT(st.live, 0);
        }
        EXPECT(saw_ok);
        if (tt_failures_in_test) printf("  (transport %s)\n", kinds[k].name);
    }
}

TT_TEST(api_edges) {
    dynsess_transport t;
    dynsess_http_response resp;
    dynsess_http_request r;
    dynsess_error err;
    dynsess_transport_desc d;
    memset(&t, 0, sizeof t);
    dynsess_http_response_init(&resp, 0);
    get_req(&r, "/ok");
    EXPECT_EQ_INT(dynsess_http_send(&t, &r, &resp, &err), DYNSESS_E_ARG);
    dynsess_transport_free(&t);
    dynsess_transport_free(0);
    memset(&d, 0, sizeof d);
    d.allocator.alloc = tt_alloc_fn; /* alloc without free */
    EXPECT_EQ_INT(dynsess_transport_plain_new(&d, &t, &err), DYNSESS_E_CONFIG);
#ifndef DYNSESS_WITH_CURL
    EXPECT_EQ_INT(dynsess_transport_curl_new(0, &t, &err), DYNSESS_E_UNSUPPORTED);
#endif
#ifndef DYNSESS__HAVE_GETADDRINFO
    /* strict C99 build: names other than localhost need getaddrinfo */
    ASSERT_OK(dynsess_transport_plain_new(0, &t, &err), &err);
    r.host = "example.invalid";
    EXPECT_EQ_INT(dynsess_http_send(&t, &r, &resp, &err), DYNSESS_E_UNSUPPORTED);
    dynsess_transport_free(&t);
#endif
    /* "localhost" works with and without getaddrinfo */
    ASSERT_OK(dynsess_transport_plain_new(0, &t, &err), &err);
    r.host = "localhost";
    {
        dynsess_status rc = dynsess_http_send(&t, &r, &resp, &err);
        /* getaddrinfo may try ::1 first (refused), then 127.0.0.1 */
        EXPECT_OK(rc, &err);
    }
    dynsess_transport_free(&t);
    dynsess_http_response_free(&resp);
}

static const tt_case tt_cases[] = {
    TT_CASE(keepalive_reuse_and_headers), TT_CASE(request_bytes_on_the_wire), TT_CASE(chunked_and_interim),
    TT_CASE(bad_replies), TT_CASE(timeout_refused_https), TT_CASE(allocation_failures), TT_CASE(api_edges),
};
int main(int argc, char **argv) {
    int rc;
    if (!srv_start()) { printf("cannot start the test server\n%s: 0 passed, 1 failed\n", argv[0]); return 1; }
    rc = tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases));
    srv_stop();
    return rc;
}
