/* ======================================================================
   @transport  implementation: response helpers, the plain HTTP/1.1
               socket transport, the libcurl transport
   Assumes (plain transport): POSIX sockets, poll(2), gettimeofday(2);
   getaddrinfo(3) only when POSIX 2001 is visible (see the declaration
   banner), else IP literals and "localhost".
   ====================================================================== */
#ifndef DYNSESS_NO_PLAIN_TRANSPORT
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#if (defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200112L) || defined(__USE_XOPEN2K) || \
    defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#define DYNSESS__HAVE_GETADDRINFO 1
#endif
#endif
#ifdef DYNSESS_WITH_CURL
#include <curl/curl.h>
#endif

/* ---- response helpers ------------------------------------------------------------ */
DYNSESS_DEF void dynsess_http_response_init(dynsess_http_response *r, const dynsess_allocator *alloc) {
    r->status = 0;
    dynsess_buf_init(&r->headers, alloc);
    dynsess_buf_init(&r->body, alloc);
    dynsess_error_clear(&r->error);
}

DYNSESS_DEF void dynsess_http_response_reset(dynsess_http_response *r) {
    r->status = 0;
    dynsess_buf_reset(&r->headers);
    dynsess_buf_reset(&r->body);
    dynsess_error_clear(&r->error);
}

DYNSESS_DEF void dynsess_http_response_free(dynsess_http_response *r) {
    if (!r) return;
    dynsess_buf_free(&r->headers);
    dynsess_buf_free(&r->body);
    r->status = 0;
}

static int dynsess__http_ieq(const char *a, size_t n, const char *b) {
    size_t i;
    for (i = 0; i < n; i++) {
        int x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (!y) return 0;
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return 0;
    }
    return b[n] == 0;
}

/* Finds header name in a raw "Name: value\r\n" block. */
static int dynsess__http_find_header(const char *p, size_t n, const char *name, dynsess_str *value) {
    size_t i = 0;
    while (i < n) {
        size_t e = i, c;
        while (e < n && p[e] != '\n') e++;
        c = i;
        while (c < e && p[c] != ':') c++;
        if (c < e && dynsess__http_ieq(p + i, c - i, name)) {
            size_t a = c + 1, b = e;
            while (a < b && (p[a] == ' ' || p[a] == '\t')) a++;
            while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r')) b--;
            if (value) { value->ptr = p + a; value->len = b - a; }
            return 1;
        }
        i = e + 1;
    }
    return 0;
}

DYNSESS_DEF int dynsess_http_response_header(const dynsess_http_response *r, const char *name,
                                             dynsess_str *value) {
    if (!r || !name || !r->headers.ptr) return 0;
    return dynsess__http_find_header(r->headers.ptr, r->headers.len, name, value);
}

DYNSESS_DEF dynsess_status dynsess_http_send(const dynsess_transport *t,
                                             const dynsess_http_request *req,
                                             dynsess_http_response *resp, dynsess_error *err) {
    int rc;
    if (!t || !t->fn || !req || !resp)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: no transport function");
    dynsess_http_response_reset(resp);
    rc = t->fn(t->user, req, resp);
    if (rc < 0 || rc >= (int)DYNSESS__STATUS_COUNT) {
        rc = DYNSESS_E_INTERNAL;
        dynsess__fail(&resp->error, DYNSESS_E_INTERNAL, DYNSESS_NO_OFFSET,
                      "transport: the transport returned an unknown status");
    }
    if (rc) {
        if (!resp->error.msg[0])
            dynsess__fail(&resp->error, (dynsess_status)rc, DYNSESS_NO_OFFSET, "transport: %s",
                          dynsess_strerror((dynsess_status)rc));
        resp->error.code = (dynsess_status)rc;
        if (err) *err = resp->error;
    }
    return (dynsess_status)rc;
}

DYNSESS_DEF void dynsess_transport_free(dynsess_transport *t) {
    if (!t) return;
    if (t->close) t->close(t->user);
    t->fn = 0;
    t->user = 0;
    t->close = 0;
}

/* Resolved defaults shared by both bundled transports. */
static DYNSESS__UNUSED void dynsess__transport_desc_resolve(dynsess_transport_desc *d, const dynsess_transport_desc *in) {
    if (in) *d = *in;
    else memset(d, 0, sizeof *d);
    DYNSESS__DEF(d->connect_timeout_ms, 3000);
    DYNSESS__DEF(d->timeout_ms, 10000);
    DYNSESS__DEF(d->max_response, (size_t)16 << 20);
}

/* Validates the parts of a request both transports put on the wire:
   no CR/LF (header injection), no spaces in method/path/query. */
static DYNSESS__UNUSED dynsess_status dynsess__http_check_request(const dynsess_http_request *req, dynsess_error *err) {
    size_t i, j;
    const char *parts[3];
    if (!req->method || !*req->method || !req->host || !*req->host)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: request needs a method and a host");
    if (req->header_count && !req->headers)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: headers is null");
    if (req->port < 0 || req->port > 65535)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: port out of range");
    parts[0] = req->method; parts[1] = req->path ? req->path : "/"; parts[2] = req->query ? req->query : "";
    for (j = 0; j < 3; j++)
        for (i = 0; parts[j][i]; i++)
            if ((unsigned char)parts[j][i] <= ' ' || parts[j][i] == 127)
                return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                     "transport: control character or space in the request line");
    for (i = 0; req->host[i]; i++)
        if ((unsigned char)req->host[i] <= ' ' || req->host[i] == '/' || req->host[i] == '@')
            return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: invalid host");
    for (i = 0; i < req->header_count; i++) {
        const dynsess_http_header *h = &req->headers[i];
        if (!h->name.len || !h->name.ptr)
            return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: header %lu has no name",
                                 (unsigned long)i);
        for (j = 0; j < h->name.len; j++)
            if ((unsigned char)h->name.ptr[j] <= ' ' || h->name.ptr[j] == ':' || h->name.ptr[j] == 127)
                return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                     "transport: header %lu has an invalid name", (unsigned long)i);
        for (j = 0; j < h->value.len; j++)
            if (h->value.ptr[j] == '\r' || h->value.ptr[j] == '\n' || h->value.ptr[j] == 0)
                return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                                     "transport: header %lu has CR, LF or NUL in its value", (unsigned long)i);
    }
    if (req->body.len && !req->body.ptr)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: body is null");
    return DYNSESS_OK;
}

static DYNSESS__UNUSED int dynsess__http_has_header(const dynsess_http_request *req, const char *name) {
    size_t i;
    for (i = 0; i < req->header_count; i++)
        if (dynsess__http_ieq(req->headers[i].name.ptr, req->headers[i].name.len, name)) return 1;
    return 0;
}

/* ======================================================================
   plain HTTP/1.1 over POSIX sockets
   ====================================================================== */
#ifndef DYNSESS_NO_PLAIN_TRANSPORT
typedef struct dynsess__plain {
    dynsess_transport_desc d;
    int fd;                         /* cached keep-alive connection or -1 */
    char host[DYNSESS_URL_HOST_MAX + 1];
    int port;
    dynsess_buf out;                /* request bytes */
    dynsess_buf in;                 /* raw reply bytes */
} dynsess__plain;

static int64_t dynsess__plain_now_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, 0);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void dynsess__plain_drop(dynsess__plain *p) {
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
}

/* Waits for ev on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int dynsess__plain_wait(int fd, short ev, int64_t deadline) {
    for (;;) {
        struct pollfd pf;
        int64_t left = deadline - dynsess__plain_now_ms();
        int r;
        if (left <= 0) return 0;
        pf.fd = fd;
        pf.events = ev;
        pf.revents = 0;
        r = poll(&pf, 1, left > 1000000 ? 1000000 : (int)left);
        if (r > 0) return 1;
        if (r == 0) continue; /* re-check the deadline */
        if (errno != EINTR) return -1;
    }
}

/* Connects one address; 0 ok, else E_CONNECT / E_TIMEOUT-equivalent via *why. */
static int dynsess__plain_connect_addr(const struct sockaddr *sa, socklen_t salen, int64_t deadline,
                                       int *why) {
    int fd, fl, one = 1;
    fd = socket(sa->sa_family, SOCK_STREAM, 0);
    if (fd < 0) { *why = errno; return -1; }
    fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) { *why = errno; close(fd); return -1; }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
#ifdef SO_NOSIGPIPE
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    if (sa->sa_family != AF_UNIX) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, sa, salen) < 0) {
        int w, e = 0;
        socklen_t el = sizeof e;
        if (errno != EINPROGRESS && errno != EINTR) { *why = errno; close(fd); return -1; }
        w = dynsess__plain_wait(fd, POLLOUT, deadline);
        if (w <= 0) { *why = w == 0 ? ETIMEDOUT : errno; close(fd); return -1; }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) { *why = e ? e : errno; close(fd); return -1; }
    }
    return fd;
}

static dynsess_status dynsess__plain_connect(dynsess__plain *p, const char *host, int port,
                                             int64_t deadline, dynsess_error *err) {
    int fd = -1, why = 0;
#ifdef DYNSESS__HAVE_GETADDRINFO
    struct addrinfo hints, *res = 0, *ai;
    char ps[8];
    int gr;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    sprintf(ps, "%d", port);
    gr = getaddrinfo(host, ps, &hints, &res);
    if (gr != 0 || !res)
        return dynsess__fail(err, DYNSESS_E_CONNECT, DYNSESS_NO_OFFSET,
                             "transport: cannot resolve host %.64s", host);
    for (ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = dynsess__plain_connect_addr(ai->ai_addr, (socklen_t)ai->ai_addrlen, deadline, &why);
    freeaddrinfo(res);
#else
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    a4.sin_family = AF_INET;
    a4.sin_port = htons((unsigned short)port);
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons((unsigned short)port);
    if (!strcmp(host, "localhost") || inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
        if (!strcmp(host, "localhost")) a4.sin_addr.s_addr = htonl(0x7f000001);
        fd = dynsess__plain_connect_addr((const struct sockaddr *)&a4, sizeof a4, deadline, &why);
    } else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
        fd = dynsess__plain_connect_addr((const struct sockaddr *)&a6, sizeof a6, deadline, &why);
    } else {
        return dynsess__fail(err, DYNSESS_E_UNSUPPORTED, DYNSESS_NO_OFFSET,
                             "transport: host names need getaddrinfo: compile the implementation "
                             "with _POSIX_C_SOURCE=200809L, or use an ip address");
    }
#endif
    if (fd < 0) {
        if (why == ETIMEDOUT)
            return dynsess__fail(err, DYNSESS_E_CONNECT, DYNSESS_NO_OFFSET,
                                 "transport: connecting to %.64s:%d timed out", host, port);
        return dynsess__fail(err, DYNSESS_E_CONNECT, DYNSESS_NO_OFFSET,
                             "transport: cannot connect to %.64s:%d (%s)", host, port, strerror(why));
    }
    p->fd = fd;
    memcpy(p->host, host, strlen(host) + 1);
    p->port = port;
    return DYNSESS_OK;
}

/* Sends all of out; 0 ok, 1 peer gone (EPIPE/ECONNRESET), -1 error, -2 timeout. */
static int dynsess__plain_send_all(int fd, const char *s, size_t n, int64_t deadline) {
    while (n) {
#ifdef MSG_NOSIGNAL
        ssize_t r = send(fd, s, n, MSG_NOSIGNAL);
#else
        ssize_t r = send(fd, s, n, 0);
#endif
        if (r > 0) { s += r; n -= (size_t)r; continue; }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int w = dynsess__plain_wait(fd, POLLOUT, deadline);
            if (w == 0) return -2;
            if (w < 0) return -1;
            continue;
        }
        if (r < 0 && (errno == EPIPE || errno == ECONNRESET)) return 1;
        return -1;
    }
    return 0;
}

/* Reads more bytes into p->in: 1 read some, 0 EOF (ECONNRESET counts as
   EOF), -1 error, -2 timeout, -3 over the cap, -4 out of memory. */
static int dynsess__plain_read_more(dynsess__plain *p, int64_t deadline, size_t cap) {
    if (p->in.len > cap) return -3;
    if (dynsess_buf_reserve(&p->in, 16384, 0)) return -4;
    for (;;) {
        ssize_t r = recv(p->fd, p->in.ptr + p->in.len, 16384, 0);
        if (r > 0) {
            p->in.len += (size_t)r;
            p->in.ptr[p->in.len] = 0;
            return p->in.len > cap ? -3 : 1;
        }
        if (r == 0) return 0;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = dynsess__plain_wait(p->fd, POLLIN, deadline);
            if (w == 0) return -2;
            if (w < 0) return -1;
            continue;
        }
        if (errno == ECONNRESET) return 0;
        return -1;
    }
}

/* The error for a failed dynsess__plain_read_more (r <= 0) while reading `where`. */
static dynsess_status dynsess__plain_read_fail(int r, size_t cap, const char *where, dynsess_error *e) {
    if (r == 0) return dynsess__fail(e, DYNSESS_E_HTTP, DYNSESS_NO_OFFSET, "transport: connection closed inside %s", where);
    if (r == -2) return dynsess__fail(e, DYNSESS_E_TIMEOUT, DYNSESS_NO_OFFSET, "transport: timed out reading %s", where);
    if (r == -3) return dynsess__fail(e, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "transport: response exceeds %lu bytes", (unsigned long)cap);
    if (r == -4) return dynsess__fail_nomem(e, "transport");
    return dynsess__fail(e, DYNSESS_E_HTTP, DYNSESS_NO_OFFSET, "transport: reading %s failed", where);
}

/* Parses an unsigned decimal (Content-Length); 0 on garbage or overflow. */
static int dynsess__plain_parse_len(dynsess_str s, size_t *out) {
    size_t i, v = 0;
    if (!s.len) return 0;
    for (i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return 0;
        if (v > ((size_t)-1 - 9) / 10) return 0;
        v = v * 10 + (size_t)(s.ptr[i] - '0');
    }
    *out = v;
    return 1;
}

/* 1 if the comma-separated header value list contains token (case-insensitive). */
static int dynsess__plain_has_token(dynsess_str v, const char *token, int last_only) {
    size_t i = 0, found = 0, n = strlen(token);
    while (i < v.len) {
        size_t e = i, a, b;
        while (e < v.len && v.ptr[e] != ',') e++;
        a = i; b = e;
        while (a < b && (v.ptr[a] == ' ' || v.ptr[a] == '\t')) a++;
        while (b > a && (v.ptr[b - 1] == ' ' || v.ptr[b - 1] == '\t')) b--;
        found = (b - a == n && dynsess__http_ieq(v.ptr + a, n, token));
        if (found && !last_only) return 1;
        i = e + 1;
    }
    return (int)found;
}

#define DYNSESS__PLAIN_FAIL(code, ...) do { rc = dynsess__fail(&resp->error, code, DYNSESS_NO_OFFSET, __VA_ARGS__); goto done; } while (0)

static int dynsess__plain_fn(void *user, const dynsess_http_request *req, dynsess_http_response *resp) {
    dynsess__plain *p = (dynsess__plain *)user;
    const char *scheme = req && req->scheme ? req->scheme : "http";
    int64_t start = dynsess__plain_now_ms(), deadline;
    int port, attempt, keep = 0, rc = DYNSESS_OK, is_head;
    size_t i, cap;
    char line[64];
    if (!req) return dynsess__fail(&resp->error, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: request is null");
    if (dynsess__http_ieq(scheme, strlen(scheme), "https"))
        return dynsess__fail(&resp->error, DYNSESS_E_UNSUPPORTED, DYNSESS_NO_OFFSET,
                             "transport: the plain transport does not do https (build with "
                             "DYNSESS_WITH_CURL and use dynsess_transport_curl_new)");
    if (!dynsess__http_ieq(scheme, strlen(scheme), "http"))
        return dynsess__fail(&resp->error, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: unknown scheme");
    rc = dynsess__http_check_request(req, &resp->error);
    if (rc) return rc;
    if (strlen(req->host) > DYNSESS_URL_HOST_MAX)
        return dynsess__fail(&resp->error, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: host too long");
    port = req->port ? req->port : 80;
    deadline = start + (req->timeout_ms > 0 ? req->timeout_ms : p->d.timeout_ms);
    cap = p->d.max_response;
    is_head = !strcmp(req->method, "HEAD");

    /* the request bytes */
    dynsess_buf_reset(&p->out);
    {
        dynsess_error *e = &resp->error;
        int bad = 0;
        bad |= (int)dynsess_buf_appendz(&p->out, req->method, e);
        bad |= (int)dynsess_buf_append(&p->out, " ", 1, e);
        bad |= (int)dynsess_buf_appendz(&p->out, req->path && *req->path ? req->path : "/", e);
        if (req->query && *req->query) {
            bad |= (int)dynsess_buf_append(&p->out, "?", 1, e);
            bad |= (int)dynsess_buf_appendz(&p->out, req->query, e);
        }
        bad |= (int)dynsess_buf_appendz(&p->out, " HTTP/1.1\r\n", e);
        if (!dynsess__http_has_header(req, "host")) {
            int v6 = strchr(req->host, ':') != 0;
            bad |= (int)dynsess_buf_appendz(&p->out, v6 ? "Host: [" : "Host: ", e);
            bad |= (int)dynsess_buf_appendz(&p->out, req->host, e);
            if (v6) bad |= (int)dynsess_buf_append(&p->out, "]", 1, e);
            if (port != 80) {
                sprintf(line, ":%d", port);
                bad |= (int)dynsess_buf_appendz(&p->out, line, e);
            }
            bad |= (int)dynsess_buf_append(&p->out, "\r\n", 2, e);
        }
        if (!dynsess__http_has_header(req, "content-length") &&
            (req->body.len || (strcmp(req->method, "GET") && !is_head))) {
            sprintf(line, "Content-Length: %lu\r\n", (unsigned long)req->body.len);
            bad |= (int)dynsess_buf_appendz(&p->out, line, e);
        }
        if (p->d.no_keepalive && !dynsess__http_has_header(req, "connection"))
            bad |= (int)dynsess_buf_appendz(&p->out, "Connection: close\r\n", e);
        for (i = 0; i < req->header_count; i++) {
            const dynsess_http_header *h = &req->headers[i];
            bad |= (int)dynsess_buf_append(&p->out, h->name.ptr, h->name.len, e);
            bad |= (int)dynsess_buf_append(&p->out, ": ", 2, e);
            bad |= (int)dynsess_buf_append(&p->out, h->value.ptr, h->value.len, e);
            bad |= (int)dynsess_buf_append(&p->out, "\r\n", 2, e);
        }
        bad |= (int)dynsess_buf_append(&p->out, "\r\n", 2, e);
        if (req->body.len) bad |= (int)dynsess_buf_append(&p->out, req->body.ptr, req->body.len, e);
        if (bad) return resp->error.code ? resp->error.code : DYNSESS_E_NOMEM;
    }

    /* a cached connection to another host, or one the server closed, is dropped */
    if (p->fd >= 0 && (p->port != port || strcmp(p->host, req->host))) dynsess__plain_drop(p);
    if (p->fd >= 0) {
        struct pollfd pf;
        pf.fd = p->fd;
        pf.events = POLLIN;
        pf.revents = 0;
        if (poll(&pf, 1, 0) != 0) dynsess__plain_drop(p); /* EOF or unexpected bytes */
    }

    for (attempt = 0; attempt < 2; attempt++) {
        int reused = p->fd >= 0, s;
        size_t hdr_end = 0, body_start, pos;
        int chunked = 0, have_len = 0, status, interim = 0;
        size_t scanned;
        size_t clen = 0;
        dynsess_str v;
        dynsess_http_response_reset(resp);
        dynsess_buf_reset(&p->in);
        if (!reused) {
            int64_t cd = start + p->d.connect_timeout_ms;
            rc = dynsess__plain_connect(p, req->host, port, cd < deadline ? cd : deadline, &resp->error);
            if (rc) goto done;
        }
        s = dynsess__plain_send_all(p->fd, p->out.ptr, p->out.len, deadline);
        if (s == 1 && reused) { dynsess__plain_drop(p); continue; }
        if (s == -2) DYNSESS__PLAIN_FAIL(DYNSESS_E_TIMEOUT, "transport: timed out sending the request");
        if (s) DYNSESS__PLAIN_FAIL(DYNSESS_E_CONNECT, "transport: sending the request failed");

    next_response: /* after a 1xx interim response */
        /* status line and headers */
        scanned = 0;
        for (;;) {
            /* scan only the new bytes (and 3 before them for a split CRLFCRLF) */
            size_t from = scanned > 3 ? scanned - 3 : 0, k;
            int r;
            if (p->in.len && memchr(p->in.ptr + scanned, 0, p->in.len - scanned))
                DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: NUL byte in the response head");
            for (k = from; k + 4 <= p->in.len; k++)
                if (p->in.ptr[k] == '\r' && !memcmp(p->in.ptr + k, "\r\n\r\n", 4)) break;
            if (k + 4 <= p->in.len) { hdr_end = k + 4; break; }
            scanned = p->in.len;
            r = dynsess__plain_read_more(p, deadline, cap);
            if (r == 0 && p->in.len == 0 && reused && attempt == 0 && !interim) break; /* stale keep-alive */
            if (r <= 0) { rc = dynsess__plain_read_fail(r, cap, "the response head", &resp->error); goto done; }
        }
        if (!hdr_end) { dynsess__plain_drop(p); continue; } /* retry once on a fresh connection */
        /* "HTTP/1.x NNN reason" */
        {
            const char *b = p->in.ptr;
            if (hdr_end < 14 || memcmp(b, "HTTP/1.", 7) || (b[7] != '0' && b[7] != '1') || b[8] != ' ' ||
                b[9] < '1' || b[9] > '5' || b[10] < '0' || b[10] > '9' || b[11] < '0' || b[11] > '9' ||
                (b[12] != ' ' && b[12] != '\r'))
                DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: the reply is not an http/1.x response");
            status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
            keep = b[7] == '1';
        }
        {
            const char *h = strstr(p->in.ptr, "\r\n") + 2;
            size_t hlen = (size_t)(p->in.ptr + hdr_end - 2 - h);
            if (status >= 100 && status < 200) {
                /* interim response: drop it and read the final one */
                memmove(p->in.ptr, p->in.ptr + hdr_end, p->in.len - hdr_end);
                p->in.len -= hdr_end;
                p->in.ptr[p->in.len] = 0;
                hdr_end = 0;
                interim = 1;
                goto next_response;
            }
            if (dynsess_buf_append(&resp->headers, h, hlen, &resp->error)) { rc = resp->error.code; goto done; }
        }
        resp->status = status;
        if (dynsess_http_response_header(resp, "connection", &v)) {
            if (dynsess__plain_has_token(v, "close", 0)) keep = 0;
            else if (dynsess__plain_has_token(v, "keep-alive", 0)) keep = 1;
        }
        if (p->d.no_keepalive) keep = 0;
        if (dynsess_http_response_header(resp, "transfer-encoding", &v)) {
            if (!dynsess__plain_has_token(v, "chunked", 1))
                DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: unsupported transfer-encoding");
            chunked = 1;
            /* RFC 9112 §6.3: with both, chunked wins and the connection must close */
            if (dynsess_http_response_header(resp, "content-length", 0)) keep = 0;
        } else if (dynsess_http_response_header(resp, "content-length", &v)) {
            /* every Content-Length line must agree (RFC 9110 §8.6) */
            const char *hp = resp->headers.ptr;
            size_t left = resp->headers.len;
            if (!dynsess__plain_parse_len(v, &clen))
                DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: bad content-length");
            while (left) {
                const char *nl = (const char *)memchr(hp, '\n', left);
                size_t ln = nl ? (size_t)(nl - hp) + 1 : left, other;
                dynsess_str v2;
                if (dynsess__http_find_header(hp, ln, "content-length", &v2) &&
                    (!dynsess__plain_parse_len(v2, &other) || other != clen))
                    DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: conflicting content-length");
                hp += ln;
                left -= ln;
            }
            have_len = 1;
        }
        body_start = hdr_end;
        if (is_head || status == 204 || status == 304) {
            /* no body */
        } else if (chunked) {
            /* RFC 9112 §7.1: size [;ext] CRLF data CRLF ... 0 CRLF trailers CRLF */
            pos = body_start;
            for (;;) {
                char *nl;
                size_t sz = 0, k, digits = 0;
                int r;
                while (!(nl = (char *)memchr(p->in.ptr + pos, '\n', p->in.len - pos))) {
                    if (p->in.len - pos > 4096) /* bounds the rescans too */
                        DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: chunk size line too long");
                    r = dynsess__plain_read_more(p, deadline, cap);
                    if (r <= 0) { rc = dynsess__plain_read_fail(r, cap, "a chunked body", &resp->error); goto done; }
                }
                for (k = pos; p->in.ptr + k < nl; k++) {
                    int hv = dynsess__hex_value((unsigned char)p->in.ptr[k]);
                    if (hv < 0) break;
                    if (++digits > 15) DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: chunk size too large");
                    sz = sz * 16 + (size_t)hv;
                }
                if (!digits || (p->in.ptr[k] != ';' && p->in.ptr[k] != '\r' && p->in.ptr[k] != ' ' &&
                                p->in.ptr[k] != '\t' && p->in.ptr + k != nl))
                    DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: bad chunk size line");
                pos = (size_t)(nl - p->in.ptr) + 1;
                if (sz == 0) {
                    /* trailers until an empty line */
                    for (;;) {
                        size_t ls = pos;
                        while (!(nl = (char *)memchr(p->in.ptr + pos, '\n', p->in.len - pos))) {
                            if (p->in.len - pos > 65536)
                                DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: trailer line too long");
                            r = dynsess__plain_read_more(p, deadline, cap);
                            if (r <= 0) { rc = dynsess__plain_read_fail(r, cap, "the trailers", &resp->error); goto done; }
                        }
                        k = (size_t)(nl - p->in.ptr);
                        pos = k + 1;
                        if (k == ls || (k == ls + 1 && p->in.ptr[ls] == '\r')) break; /* empty line */
                    }
                    break;
                }
                if (sz > cap || resp->body.len + sz > cap)
                    DYNSESS__PLAIN_FAIL(DYNSESS_E_LIMIT, "transport: response exceeds %lu bytes", (unsigned long)cap);
                while (p->in.len - pos < sz + 2) {
                    r = dynsess__plain_read_more(p, deadline, cap);
                    if (r <= 0) { rc = dynsess__plain_read_fail(r, cap, "a chunk", &resp->error); goto done; }
                }
                if (dynsess_buf_append(&resp->body, p->in.ptr + pos, sz, &resp->error)) { rc = resp->error.code; goto done; }
                pos += sz;
                if (p->in.ptr[pos] == '\r') pos++;
                if (p->in.ptr[pos] != '\n') DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: chunk not followed by crlf");
                pos++;
            }
            if (pos != p->in.len) keep = 0; /* unexpected extra bytes */
        } else if (have_len) {
            if (clen > cap) DYNSESS__PLAIN_FAIL(DYNSESS_E_LIMIT, "transport: response of %lu bytes exceeds %lu",
                                                (unsigned long)clen, (unsigned long)cap);
            while (p->in.len - body_start < clen) {
                int r = dynsess__plain_read_more(p, deadline, cap + hdr_end);
                if (r <= 0) { rc = dynsess__plain_read_fail(r, cap, "the body", &resp->error); goto done; }
            }
            if (p->in.len - body_start != clen) keep = 0;
            if (dynsess_buf_append(&resp->body, p->in.ptr + body_start, clen, &resp->error)) { rc = resp->error.code; goto done; }
        } else {
            /* delimited by close */
            for (;;) {
                int r = dynsess__plain_read_more(p, deadline, cap + hdr_end);
                if (r == 0) break;
                if (r < 0) { rc = dynsess__plain_read_fail(r, cap, "the body", &resp->error); goto done; }
            }
            keep = 0;
            if (dynsess_buf_append(&resp->body, p->in.ptr + body_start, p->in.len - body_start, &resp->error)) {
                rc = resp->error.code;
                goto done;
            }
        }
        rc = DYNSESS_OK;
        goto done;
    }
    DYNSESS__PLAIN_FAIL(DYNSESS_E_HTTP, "transport: the server closed the connection without a response");
done:
    if (rc || !keep) dynsess__plain_drop(p);
    if (rc) resp->status = rc == DYNSESS_E_LIMIT || rc == DYNSESS_E_HTTP ? resp->status : 0;
    if (p->in.cap > ((size_t)1 << 20)) dynsess_buf_free(&p->in); /* don't pin big replies */
    return rc;
}
#undef DYNSESS__PLAIN_FAIL

static void dynsess__plain_close(void *user) {
    dynsess__plain *p = (dynsess__plain *)user;
    dynsess_allocator a;
    if (!p) return;
    a = p->d.allocator;
    dynsess__plain_drop(p);
    dynsess_buf_free(&p->out);
    dynsess_buf_free(&p->in);
    dynsess_wipe(p, sizeof *p);
    dynsess__free(&a, p);
}

DYNSESS_DEF dynsess_status dynsess_transport_plain_new(const dynsess_transport_desc *desc,
                                                       dynsess_transport *out, dynsess_error *err) {
    dynsess__plain *p;
    dynsess_transport_desc d;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: out is null");
    out->fn = 0; out->user = 0; out->close = 0;
    dynsess__transport_desc_resolve(&d, desc);
    if (!dynsess__allocator_valid(&d.allocator))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "transport: allocator needs both alloc and free (desc.allocator)");
    if (d.connect_timeout_ms < 0 || d.timeout_ms < 0)
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET, "transport: negative timeout (desc.timeout_ms)");
    p = (dynsess__plain *)dynsess__alloc(&d.allocator, sizeof *p);
    if (!p) return dynsess__fail_nomem(err, "transport");
    memset(p, 0, sizeof *p);
    p->d = d;
    p->fd = -1;
    dynsess_buf_init(&p->out, &d.allocator);
    dynsess_buf_init(&p->in, &d.allocator);
    out->fn = dynsess__plain_fn;
    out->user = p;
    out->close = dynsess__plain_close;
    return DYNSESS_OK;
}
#else
DYNSESS_DEF dynsess_status dynsess_transport_plain_new(const dynsess_transport_desc *desc,
                                                       dynsess_transport *out, dynsess_error *err) {
    (void)desc;
    if (out) { out->fn = 0; out->user = 0; out->close = 0; }
    return dynsess__fail(err, DYNSESS_E_UNSUPPORTED, DYNSESS_NO_OFFSET,
                         "transport: compiled with DYNSESS_NO_PLAIN_TRANSPORT");
}
#endif /* DYNSESS_NO_PLAIN_TRANSPORT */

/* ======================================================================
   libcurl
   ====================================================================== */
#ifdef DYNSESS_WITH_CURL
typedef struct dynsess__curl {
    dynsess_transport_desc d;
    CURL *h;
    dynsess_http_response *resp;   /* during a call */
    int over;                      /* the size cap was hit */
    dynsess_buf url;
    char errbuf[CURL_ERROR_SIZE];
} dynsess__curl;

static size_t dynsess__curl_body(char *ptr, size_t size, size_t n, void *user) {
    dynsess__curl *c = (dynsess__curl *)user;
    size_t len = size * n;
    if (len > c->d.max_response || c->resp->body.len + c->resp->headers.len + len > c->d.max_response) {
        c->over = 1;
        return 0;
    }
    if (dynsess_buf_append(&c->resp->body, ptr, len, 0)) return 0;
    return len;
}

static size_t dynsess__curl_header(char *ptr, size_t size, size_t n, void *user) {
    dynsess__curl *c = (dynsess__curl *)user;
    size_t len = size * n;
    if (len >= 5 && !memcmp(ptr, "HTTP/", 5)) { /* a new response (after 1xx): start over */
        dynsess_buf_reset(&c->resp->headers);
        return len;
    }
    if (len <= 2) return len; /* the blank line */
    if (c->resp->headers.len + len > c->d.max_response) { c->over = 1; return 0; }
    /* normalise to "Name: value\r\n" lines */
    if (dynsess_buf_append(&c->resp->headers, ptr, len, 0)) return 0;
    return len;
}

static int dynsess__curl_fn(void *user, const dynsess_http_request *req, dynsess_http_response *resp) {
    dynsess__curl *c = (dynsess__curl *)user;
    const char *scheme = req && req->scheme ? req->scheme : "http";
    struct curl_slist *hl = 0, *t;
    CURLcode cc;
    long status = 0;
    int rc = DYNSESS_OK, https, port;
    size_t i;
    char num[32];
    if (!req) return dynsess__fail(&resp->error, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: request is null");
    https = dynsess__http_ieq(scheme, strlen(scheme), "https");
    if (!https && !dynsess__http_ieq(scheme, strlen(scheme), "http"))
        return dynsess__fail(&resp->error, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: unknown scheme");
    rc = dynsess__http_check_request(req, &resp->error);
    if (rc) return rc;
    port = req->port ? req->port : (https ? 443 : 80);
    /* URL */
    dynsess_buf_reset(&c->url);
    {
        int v6 = strchr(req->host, ':') != 0, bad = 0;
        dynsess_error *e = &resp->error;
        bad |= (int)dynsess_buf_appendz(&c->url, https ? "https://" : "http://", e);
        if (v6) bad |= (int)dynsess_buf_append(&c->url, "[", 1, e);
        bad |= (int)dynsess_buf_appendz(&c->url, req->host, e);
        if (v6) bad |= (int)dynsess_buf_append(&c->url, "]", 1, e);
        sprintf(num, ":%d", port);
        bad |= (int)dynsess_buf_appendz(&c->url, num, e);
        bad |= (int)dynsess_buf_appendz(&c->url, req->path && *req->path ? req->path : "/", e);
        if (req->query && *req->query) {
            bad |= (int)dynsess_buf_append(&c->url, "?", 1, e);
            bad |= (int)dynsess_buf_appendz(&c->url, req->query, e);
        }
        if (bad) return resp->error.code;
    }
    /* headers: the caller's (minus Content-Length, which curl computes), and
       empty Expect / Content-Type to stop curl adding its own */
    {
        dynsess_buf line;
        dynsess_buf_init(&line, &c->d.allocator);
        for (i = 0; i < req->header_count && rc == DYNSESS_OK; i++) {
            const dynsess_http_header *h = &req->headers[i];
            if (dynsess__http_ieq(h->name.ptr, h->name.len, "content-length")) continue;
            dynsess_buf_reset(&line);
            if (dynsess_buf_append(&line, h->name.ptr, h->name.len, &resp->error) ||
                dynsess_buf_append(&line, h->value.len ? ": " : ";", h->value.len ? 2 : 1, &resp->error) ||
                dynsess_buf_append(&line, h->value.ptr, h->value.len, &resp->error)) {
                rc = resp->error.code;
                break;
            }
            t = curl_slist_append(hl, line.ptr);
            if (!t) { rc = dynsess__fail(&resp->error, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "transport: out of memory"); break; }
            hl = t;
        }
        dynsess_buf_free(&line);
        if (rc == DYNSESS_OK && !dynsess__http_has_header(req, "expect")) {
            t = curl_slist_append(hl, "Expect:");
            if (t) hl = t; else rc = dynsess__fail(&resp->error, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "transport: out of memory");
        }
        if (rc == DYNSESS_OK && !dynsess__http_has_header(req, "content-type")) {
            t = curl_slist_append(hl, "Content-Type:");
            if (t) hl = t; else rc = dynsess__fail(&resp->error, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "transport: out of memory");
        }
        if (rc == DYNSESS_OK && c->d.no_keepalive && !dynsess__http_has_header(req, "connection")) {
            t = curl_slist_append(hl, "Connection: close");
            if (t) hl = t; else rc = dynsess__fail(&resp->error, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "transport: out of memory");
        }
        if (rc) { curl_slist_free_all(hl); return rc; }
    }
    /* curl_easy_reset keeps live connections, so reuse survives it */
    curl_easy_reset(c->h);
    c->resp = resp;
    c->over = 0;
    c->errbuf[0] = 0;
    curl_easy_setopt(c->h, CURLOPT_URL, c->url.ptr);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c->h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->d.ca_file) curl_easy_setopt(c->h, CURLOPT_CAINFO, c->d.ca_file);
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->d.connect_timeout_ms);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, (long)(req->timeout_ms > 0 ? req->timeout_ms : c->d.timeout_ms));
    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, dynsess__curl_body);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, (void *)c);
    curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, dynsess__curl_header);
    curl_easy_setopt(c->h, CURLOPT_HEADERDATA, (void *)c);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->d.max_response);
    if (c->d.no_keepalive) curl_easy_setopt(c->h, CURLOPT_FORBID_REUSE, 1L);
    if (!strcmp(req->method, "GET") && !req->body.len) {
        curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    } else if (!strcmp(req->method, "HEAD")) {
        curl_easy_setopt(c->h, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body.len);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, req->body.len ? req->body.ptr : "");
        if (strcmp(req->method, "POST")) curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, req->method);
    }
    cc = curl_easy_perform(c->h);
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    c->resp = 0;
    if (cc == CURLE_OK) {
        resp->status = (int)status;
        return DYNSESS_OK;
    }
    switch (cc) {
    case CURLE_WRITE_ERROR:
        rc = c->over ? DYNSESS_E_LIMIT : DYNSESS_E_NOMEM;
        break;
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY: case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER: case CURLE_SEND_ERROR: case CURLE_SSL_ENGINE_NOTFOUND:
        rc = DYNSESS_E_CONNECT;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        rc = DYNSESS_E_TIMEOUT;
        break;
    case CURLE_OUT_OF_MEMORY:
        rc = DYNSESS_E_NOMEM;
        break;
    case CURLE_FILESIZE_EXCEEDED:
        rc = DYNSESS_E_LIMIT;
        break;
    default: /* weird reply, HTTP/0.9, partial file, got nothing, recv error, ... */
        rc = DYNSESS_E_HTTP;
        break;
    }
    resp->status = rc == DYNSESS_E_LIMIT ? (int)status : 0;
    return dynsess__fail(&resp->error, (dynsess_status)rc, DYNSESS_NO_OFFSET, "transport: curl: %s",
                         c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
}

static void dynsess__curl_close(void *user) {
    dynsess__curl *c = (dynsess__curl *)user;
    dynsess_allocator a;
    if (!c) return;
    a = c->d.allocator;
    if (c->h) curl_easy_cleanup(c->h);
    dynsess_buf_free(&c->url);
    dynsess_wipe(c, sizeof *c);
    dynsess__free(&a, c);
}

DYNSESS_DEF dynsess_status dynsess_transport_curl_new(const dynsess_transport_desc *desc,
                                                      dynsess_transport *out, dynsess_error *err) {
    static int global_done = 0;
    dynsess__curl *c;
    dynsess_transport_desc d;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "transport: out is null");
    out->fn = 0; out->user = 0; out->close = 0;
    dynsess__transport_desc_resolve(&d, desc);
    if (!dynsess__allocator_valid(&d.allocator))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "transport: allocator needs both alloc and free (desc.allocator)");
    if (d.connect_timeout_ms < 0 || d.timeout_ms < 0)
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET, "transport: negative timeout (desc.timeout_ms)");
    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return dynsess__fail(err, DYNSESS_E_INTERNAL, DYNSESS_NO_OFFSET, "transport: curl_global_init failed");
        global_done = 1;
    }
    c = (dynsess__curl *)dynsess__alloc(&d.allocator, sizeof *c);
    if (!c) return dynsess__fail_nomem(err, "transport");
    memset(c, 0, sizeof *c);
    c->d = d;
    dynsess_buf_init(&c->url, &d.allocator);
    c->h = curl_easy_init();
    if (!c->h) {
        dynsess__free(&d.allocator, c);
        return dynsess__fail(err, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "transport: curl_easy_init failed");
    }
    out->fn = dynsess__curl_fn;
    out->user = c;
    out->close = dynsess__curl_close;
    return DYNSESS_OK;
}
#else
DYNSESS_DEF dynsess_status dynsess_transport_curl_new(const dynsess_transport_desc *desc,
                                                      dynsess_transport *out, dynsess_error *err) {
    (void)desc;
    if (out) { out->fn = 0; out->user = 0; out->close = 0; }
    return dynsess__fail(err, DYNSESS_E_UNSUPPORTED, DYNSESS_NO_OFFSET,
                         "transport: libcurl support not compiled in (define DYNSESS_WITH_CURL, link -lcurl)");
}
#endif /* DYNSESS_WITH_CURL */
