/* tests/fuzz/fuzz_http_reply.c - libFuzzer harness for the plain HTTP/1.1 transport's reply
   parsing (status line, headers, Content-Length, chunked bodies and trailers, 1xx, close-
   delimited bodies, keep-alive reuse): a server thread on 127.0.0.1 (port 0) answers each
   connection with the fuzzer's bytes, and the transport reads them as it would a real
   server's. Byte 0 of the input chooses how: bits 0-2 + 1 = the number of pieces the reply
   is written in (100 us apart, so that the transport's incremental scans see split lines),
   bit 3 = a HEAD request instead of a POST with a 2-byte body; the rest is the reply.
   The transport keeps its connection between inputs when the reply allows it, so reuse and
   the "server closed the kept connection" path are exercised too.
   Build: clang -fsanitize=fuzzer,address,undefined (Makefile); run:
   tests/integration/fuzz.sh. Checks, besides memory safety and leaks:
   - the call returns OK, E_HTTP, E_LIMIT or E_CONNECT (E_TIMEOUT would mean it hung for
     the 2 s limit on a reply the server had finished), with a message when not OK;
   - on OK the status is a final one (200-599), the headers hold no blank line, and the
     body respects the 4 KB cap;
   - a reply that is a well-formed "Content-Length" response yields exactly its header
     lines and its body. */
#define _POSIX_C_SOURCE 200809L
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct {
    pthread_mutex_t mu;
    unsigned char reply[8192]; /* what the next connection gets */
    size_t len;
    int pieces;
} fz = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 1};
static int fz_port;
static dynsess_transport fz_t;

static void fz_pause_us(int us) {
    struct timespec ts;
    ts.tv_sec = 0;
    ts.tv_nsec = (long)us * 1000;
    nanosleep(&ts, 0);
}

/* reads the request (head, then Content-Length bytes) so that closing sends FIN, not RST */
static void fz_read_request(int fd) {
    char buf[4096];
    size_t len = 0, need = 0;
    char *he = 0;
    for (;;) {
        struct pollfd pf;
        ssize_t r;
        if (he && len >= need) return;
        pf.fd = fd;
        pf.events = POLLIN;
        if (poll(&pf, 1, 1000) <= 0) return;
        r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (r <= 0) return;
        len += (size_t)r;
        buf[len] = 0;
        if (!he && (he = strstr(buf, "\r\n\r\n")) != 0) {
            const char *cl = strstr(buf, "Content-Length: ");
            need = (size_t)(he + 4 - buf) + (cl && cl < he ? (size_t)atoi(cl + 16) : 0);
        }
        if (len == sizeof buf - 1) return;
    }
}

static void *fz_server(void *arg) {
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        static unsigned char p[8192]; /* the reply, copied: the call may return before
                                         the last piece is sent, and the input goes away */
        int fd = accept(lfd, 0, 0), pieces, i;
        size_t len, off = 0;
        if (fd < 0) {
            if (errno == EINTR) continue;
            return 0;
        }
        fz_read_request(fd);
        pthread_mutex_lock(&fz.mu);
        len = fz.len < sizeof p ? fz.len : sizeof p;
        if (len) memcpy(p, fz.reply, len);
        pieces = fz.pieces;
        pthread_mutex_unlock(&fz.mu);
        for (i = 0; i < pieces && off < len; i++) {
            size_t n = i == pieces - 1 ? len - off : len / (size_t)pieces;
            if (n && send(fd, p + off, n, MSG_NOSIGNAL) < 0) break;
            off += n;
            if (i < pieces - 1) fz_pause_us(100);
        }
        shutdown(fd, SHUT_WR);
        close(fd);
    }
}

static void fz_init(void) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    pthread_t th;
    dynsess_transport_desc d;
    dynsess_error err;
    FUZZ_CHECK(lfd >= 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 16) == 0);
    FUZZ_CHECK(getsockname(lfd, (struct sockaddr *)&a, &al) == 0);
    fz_port = ntohs(a.sin_port);
    FUZZ_CHECK(pthread_create(&th, 0, fz_server, (void *)(intptr_t)lfd) == 0);
    pthread_detach(th);
    memset(&d, 0, sizeof d);
    d.max_response = 4096;
    FUZZ_CHECK(dynsess_transport_plain_new(&d, &fz_t, &err) == DYNSESS_OK);
}

static int fz_ieq(const char *a, size_t n, const char *b) {
    size_t i;
    if (strlen(b) != n) return 0;
    for (i = 0; i < n; i++) {
        char x = a[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (x != b[i]) return 0;
    }
    return 1;
}
static int fz_has(const char *p, size_t n, const char *s) {
    size_t k = strlen(s), i;
    for (i = 0; i + k <= n; i++)
        if (!memcmp(p + i, s, k)) return 1;
    return 0;
}

/* The body of reply r (NUL-terminated, n bytes) if it is "HTTP/1.1 200 OK" with CRLF
   lines only, exactly one Content-Length (digits, <= 4096, all bytes present) and no
   Transfer-Encoding (names compared as the transport does: case-insensitive, up to the
   first ':'); else null. */
static const char *fz_expected_body(const char *r, size_t n, size_t *blen) {
    const char *he = 0, *line, *end;
    size_t i, v = 0, ncl = 0;
    if (n < 17 || memcmp(r, "HTTP/1.1 200 OK\r\n", 17) || memchr(r, 0, n)) return 0;
    for (i = 0; i + 4 <= n; i++)
        if (!memcmp(r + i, "\r\n\r\n", 4)) { he = r + i; break; }
    if (!he) return 0;
    for (i = 1; r + i < he + 2; i++) {
        if (r[i] == '\n' && r[i - 1] != '\r') return 0;
        if (r[i - 1] == '\r' && r[i] != '\n') return 0;
    }
    for (line = r + 17; line < he + 2; line = end + 2) {
        const char *c = line;
        end = strstr(line, "\r\n");
        while (c < end && *c != ':') c++;
        if (c == end) continue;
        if (fz_ieq(line, (size_t)(c - line), "transfer-encoding")) return 0;
        if (fz_ieq(line, (size_t)(c - line), "content-length")) {
            const char *a = c + 1, *b = end;
            size_t k = 0;
            while (a < b && (*a == ' ' || *a == '\t')) a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
            if (a == b || ++ncl > 1) return 0;
            for (v = 0; a < b; a++) {
                if (*a < '0' || *a > '9' || ++k > 6) return 0;
                v = v * 10 + (size_t)(*a - '0');
            }
        }
    }
    if (ncl != 1 || v > 4096 || (size_t)(r + n - (he + 4)) < v) return 0;
    *blen = v;
    return he + 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    static dynsess_http_response resp;
    static char copy[8193];
    dynsess_http_request req;
    dynsess_error err;
    const char *want;
    size_t want_len = 0;
    int rc, head;
    if (!ready) {
        fz_init();
        dynsess_http_response_init(&resp, 0);
        ready = 1;
    }
    if (size < 1 || size > 8192) return 0;
    head = (data[0] & 8) != 0;
    pthread_mutex_lock(&fz.mu);
    memcpy(fz.reply, data + 1, size - 1);
    fz.len = size - 1;
    fz.pieces = (data[0] & 7) + 1;
    pthread_mutex_unlock(&fz.mu);

    memset(&req, 0, sizeof req);
    req.method = head ? "HEAD" : "POST";
    req.scheme = "http";
    req.host = "127.0.0.1";
    req.port = fz_port;
    req.path = "/";
    if (!head) {
        req.body.ptr = "{}";
        req.body.len = 2;
    }
    req.timeout_ms = 2000;
    rc = dynsess_http_send(&fz_t, &req, &resp, &err);
    FUZZ_CHECK(rc == DYNSESS_OK || rc == DYNSESS_E_HTTP || rc == DYNSESS_E_LIMIT || rc == DYNSESS_E_CONNECT);
    if (rc) {
        FUZZ_CHECK((int)err.code == rc && err.msg[0]);
        return 0;
    }
    FUZZ_CHECK(resp.status >= 200 && resp.status <= 599);
    FUZZ_CHECK(resp.body.len <= 4096);
    FUZZ_CHECK(!resp.headers.len || !fz_has(resp.headers.ptr, resp.headers.len, "\r\n\r\n"));
    if (!head) {
        memcpy(copy, data + 1, size - 1);
        copy[size - 1] = 0;
        want = fz_expected_body(copy, size - 1, &want_len);
        if (want) {
            /* the header lines as sent, without the status line and the blank line */
            size_t hl = (size_t)(want - 2 - (copy + 17));
            FUZZ_CHECK(resp.body.len == want_len && !memcmp(resp.body.ptr, want, want_len));
            FUZZ_CHECK(resp.headers.len == hl && !memcmp(resp.headers.ptr, copy + 17, hl));
        }
    }
    return 0;
}
