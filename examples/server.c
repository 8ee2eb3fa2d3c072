// make-cflags: -DDYNSESS_WITH_CURL
// make-libs: -lcurl
/* examples/server.c - dynsess.h in a small HTTP/1.1 server
   A dependency-free server (poll(2), keep-alive, bounded requests, 127.0.0.1
   by default) that uses sessions the way a real application does:
     /             who is logged in, and a visit counter kept in the session
     /login        GET: a form; POST: sets "user" and regenerates the id
     /logout       destroys the session (store record and cookie)
     /api/session  the session as JSON
   Store, as the Python app picks it: the sealed cookie by default (needs
   SESSION_SECRET, or --dev); SESSION_STORE=memory; USE_DYNAMODB_SESSIONS=true
   with SESSION_TABLE_NAME, AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB -> DynamoDB,
   falling back to memory with a log line.
   The library never prints: this program prints one line per request and
   the library's notices (through the logger hook) to stderr.
   Build: make (-> build/examples/server); run: make demo. make compiles it with
   -DDYNSESS_WITH_CURL -lcurl so that DynamoDB on AWS (https) works; without
   them (cc -std=c99 -I. examples/server.c) only http:// endpoints (a local
   DynamoDB-compatible server) are reachable and everything else is the same. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- HTTP/1.1 server core: poll(2), keep-alive, bounded requests -------------
   One thread, non-blocking sockets, one poll() over the listener and every
   connection. A request (head + body) must fit in HTTP_MAX_REQUEST bytes;
   bigger ones get 413/431 and the connection is closed. Idle connections are
   closed after HTTP_IDLE_MS. Pipelined requests are answered in order.
   Store calls (DynamoDB) block the loop: fine for an example, not for a
   production server (run the request handler on a worker pool there). */
#define HTTP_MAX_CONNS   256
#define HTTP_MAX_REQUEST 16384          /* request line + headers + body */
#define HTTP_MAX_OUT     (256 * 1024)   /* stop reading while this much is unsent */
#define HTTP_IDLE_MS     30000
#define HTTP_MAX_HEADERS 64
#define HTTP_LINGER_MS   2000           /* after a final reply: drain input this long */
#define HTTP_LINGER_MAX  (1024 * 1024)  /* ... or this many bytes, then close */

typedef struct http_header { const char *name, *value; } http_header;

typedef struct http_request {
    const char *method;          /* NUL-terminated, inside the connection buffer */
    const char *target;          /* path + query as sent */
    char path[1024];             /* decoded path, without the query */
    const char *query;           /* after '?', or "" */
    int minor;                   /* HTTP/1.<minor> */
    http_header headers[HTTP_MAX_HEADERS];
    int nheaders;
    const char *body;
    size_t body_len;
    char cookie[HTTP_MAX_REQUEST]; /* every Cookie header joined with "; " */
    int keep_alive;
} http_request;

typedef struct http_response {
    int status;
    const char *content_type;
    char headers[6144];          /* extra header lines, each ending in \r\n */
    size_t headers_len;
    char *body;                  /* malloc'd */
    size_t body_len, body_cap;
} http_response;

typedef struct http_conn {
    int fd;
    char in[HTTP_MAX_REQUEST + 1];
    size_t in_len;
    char *out;
    size_t out_len, out_off, out_cap;
    int closing;                 /* close once out is flushed */
    int peer_eof;                /* the client half-closed its side */
    int lingering;               /* final reply sent, our side shut down: draining
                                    unread input so that close() sends FIN, not a
                                    RST that could destroy the reply in flight */
    int64_t linger_until;
    size_t drained;
    int64_t last_ms;
    char peer[64];
} http_conn;

static volatile sig_atomic_t http_stop;

static void http_on_signal(int sig) { (void)sig; http_stop = 1; }

static int64_t http_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *http_reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 303: return "See Other";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default:  return "Unknown";
    }
}

/* ---- response building ---- */
static void resp_init(http_response *r) {
    memset(r, 0, sizeof *r);
    r->status = 200;
    r->content_type = "text/html; charset=utf-8";
}

static void resp_free(http_response *r) { free(r->body); r->body = 0; }

static int resp_write(http_response *r, const char *p, size_t n) {
    if (r->body_len + n + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap : 1024;
        while (cap < r->body_len + n + 1) cap *= 2;
        char *nb = realloc(r->body, cap);
        if (!nb) return -1;
        r->body = nb;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, p, n);
    r->body_len += n;
    r->body[r->body_len] = 0;
    return 0;
}

static int resp_puts(http_response *r, const char *s) { return resp_write(r, s, strlen(s)); }

static int resp_printf(http_response *r, const char *fmt, ...) {
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return -1;
    if ((size_t)n >= sizeof tmp) n = (int)sizeof tmp - 1;
    return resp_write(r, tmp, (size_t)n);
}

/* HTML-escapes s (len bytes) into the body. */
static int resp_html(http_response *r, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        const char *e = 0;
        switch (s[i]) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&#39;"; break;
        default: break;
        }
        if (e ? resp_puts(r, e) : resp_write(r, s + i, 1)) return -1;
    }
    return 0;
}

/* Adds "Name: value\r\n"; values come from us (never raw request bytes). */
static int resp_header(http_response *r, const char *name, const char *value) {
    size_t need = strlen(name) + 2 + strlen(value) + 2;
    if (r->headers_len + need + 1 > sizeof r->headers) return -1;
    r->headers_len += (size_t)snprintf(r->headers + r->headers_len,
                                       sizeof r->headers - r->headers_len, "%s: %s\r\n", name, value);
    return 0;
}

static void resp_text(http_response *r, int status, const char *text) {
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    r->body_len = 0;
    resp_puts(r, text);
    resp_puts(r, "\n");
}

/* ---- connection output ---- */
static int conn_out(http_conn *c, const char *p, size_t n) {
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n) cap *= 2;
        char *nb = realloc(c->out, cap);
        if (!nb) return -1;
        c->out = nb;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 0;
}

static void conn_queue_response(http_conn *c, const http_response *r, int keep_alive,
                                int head_only) {
    char head[8192];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "Cache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\n"
                     "Connection: %s\r\n"
                     "%.*s\r\n",
                     r->status, http_reason(r->status), r->content_type, r->body_len,
                     keep_alive ? "keep-alive" : "close", (int)r->headers_len, r->headers);
    if (n < 0 || (size_t)n >= sizeof head || conn_out(c, head, (size_t)n) ||
        (!head_only && r->body_len && conn_out(c, r->body, r->body_len))) {
        c->closing = 1; /* out of memory: drop the connection */
        c->out_len = c->out_off = 0;
        return;
    }
    if (!keep_alive) c->closing = 1;
}

static void conn_error(http_conn *c, int status, const char *text) {
    http_response r;
    resp_init(&r);
    resp_text(&r, status, text);
    conn_queue_response(c, &r, 0, 0);
    resp_free(&r);
}

/* ---- request parsing ---- */
static int http_hexval(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes src[0..n) into out (cap bytes, NUL-terminated); plus_space
   turns '+' into ' ' (forms). Returns the length or -1. */
static long http_url_decode(const char *src, size_t n, char *out, size_t cap, int plus_space) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)src[i];
        if (ch == '%') {
            if (i + 2 >= n) return -1;
            int h = http_hexval((unsigned char)src[i + 1]), l = http_hexval((unsigned char)src[i + 2]);
            if (h < 0 || l < 0) return -1;
            ch = h * 16 + l;
            i += 2;
        } else if (ch == '+' && plus_space) {
            ch = ' ';
        }
        if (o + 1 >= cap) return -1;
        out[o++] = (char)ch;
    }
    out[o] = 0;
    return (long)o;
}

/* Finds field `name` in an application/x-www-form-urlencoded body; decodes it
   into out. Returns its length, or -1 if absent or malformed. */
static long http_form_field(const char *body, size_t len, const char *name, char *out, size_t cap) {
    size_t nl = strlen(name), i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && body[j] != '&') j++;
        if (j - i > nl && memcmp(body + i, name, nl) == 0 && body[i + nl] == '=')
            return http_url_decode(body + i + nl + 1, j - i - nl - 1, out, cap, 1);
        i = j + 1;
    }
    return -1;
}

static const char *http_get_header(const http_request *rq, const char *name) {
    for (int i = 0; i < rq->nheaders; i++)
        if (strcasecmp(rq->headers[i].name, name) == 0) return rq->headers[i].value;
    return 0;
}

static int http_token_in_list(const char *list, const char *tok) {
    size_t tl = strlen(tok);
    const char *p = list;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t')) t--;
        if ((size_t)(t - p) == tl && strncasecmp(p, tok, tl) == 0) return 1;
        p = e;
    }
    return 0;
}

/* Parses the head in c->in[0..head_len) (head_len includes the blank line).
   Writes NULs into the buffer. Returns 0, or an HTTP status to fail with. */
static int http_parse_head(char *buf, size_t head_len, http_request *rq, size_t *content_length) {
    memset(rq, 0, offsetof(http_request, cookie));
    rq->cookie[0] = 0;
    *content_length = 0;
    char *end = buf + head_len - 2; /* the final CRLF */
    char *line = buf;
    char *eol = strstr(line, "\r\n");
    if (!eol || eol > end) return 400;
    *eol = 0;
    /* request line: METHOD SP target SP HTTP/1.x */
    char *sp1 = strchr(line, ' ');
    if (!sp1) return 400;
    *sp1 = 0;
    char *target = sp1 + 1;
    char *sp2 = strchr(target, ' ');
    if (!sp2) return 400;
    *sp2 = 0;
    const char *ver = sp2 + 1;
    if (strncmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1') || ver[8]) return 400;
    rq->minor = ver[7] - '0';
    rq->method = line;
    rq->target = target;
    for (const char *m = line; *m; m++)
        if (*m < 'A' || *m > 'Z') return 400;
    if (target[0] != '/') return 400;
    char *q = strchr(target, '?');
    size_t plen = q ? (size_t)(q - target) : strlen(target);
    rq->query = q ? q + 1 : "";
    long dl = http_url_decode(target, plen, rq->path, sizeof rq->path, 0);
    if (dl < 0 || memchr(rq->path, 0, (size_t)dl)) return 400; /* bad escape or %00 */
    /* header fields */
    int have_cl = 0;
    size_t cookie_len = 0;
    line = eol + 2;
    while (line < end) {
        eol = strstr(line, "\r\n");
        if (!eol || eol > end) return 400;
        *eol = 0;
        if (*line == ' ' || *line == '\t') return 400; /* obsolete line folding */
        char *colon = strchr(line, ':');
        if (!colon || colon == line) return 400;
        for (char *n = line; n < colon; n++)
            if (*n <= ' ' || *n >= 127) return 400;
        *colon = 0;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        char *ve = v + strlen(v);
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) *--ve = 0;
        if (rq->nheaders == HTTP_MAX_HEADERS) return 431;
        rq->headers[rq->nheaders].name = line;
        rq->headers[rq->nheaders].value = v;
        rq->nheaders++;
        if (strcasecmp(line, "content-length") == 0) {
            if (!*v) return 400;
            size_t cl = 0;
            for (const char *d = v; *d; d++) {
                if (*d < '0' || *d > '9') return 400;
                if (cl > HTTP_MAX_REQUEST) return 413;
                cl = cl * 10 + (size_t)(*d - '0');
            }
            if (have_cl && cl != *content_length) return 400;
            have_cl = 1;
            *content_length = cl;
        } else if (strcasecmp(line, "transfer-encoding") == 0) {
            return 501; /* chunked request bodies: not needed by any browser form */
        } else if (strcasecmp(line, "cookie") == 0) {
            size_t vl = strlen(v);
            if (cookie_len + vl + 3 > sizeof rq->cookie) return 431;
            if (cookie_len) { memcpy(rq->cookie + cookie_len, "; ", 2); cookie_len += 2; }
            memcpy(rq->cookie + cookie_len, v, vl + 1);
            cookie_len += vl;
        }
        line = eol + 2;
    }
    const char *conn = http_get_header(rq, "connection");
    rq->keep_alive = rq->minor == 1 ? !(conn && http_token_in_list(conn, "close"))
                                    : (conn && http_token_in_list(conn, "keep-alive"));
    if (rq->minor == 1 && !http_get_header(rq, "host")) return 400;
    return 0;
}

/* The application: fills resp for rq. Defined by the app part below. */
static void app_handle(const http_request *rq, http_response *resp);

/* Handles every complete request buffered in c. */
static void conn_process(http_conn *c) {
    static http_request rq; /* one thread: big struct off the stack */
    while (!c->closing && c->in_len) {
        c->in[c->in_len] = 0;
        char *hend = strstr(c->in, "\r\n\r\n");
        if (!hend) {
            if (memchr(c->in, 0, c->in_len)) { conn_error(c, 400, "bad request"); return; }
            if (c->in_len >= HTTP_MAX_REQUEST) conn_error(c, 431, "request head too large");
            return;
        }
        size_t head_len = (size_t)(hend - c->in) + 4, cl = 0;
        int st = http_parse_head(c->in, head_len, &rq, &cl);
        if (st) {
            conn_error(c, st, st == 501 ? "transfer-encoding not supported" :
                              st == 413 ? "request body too large" :
                              st == 431 ? "too many or too large header fields" : "bad request");
            return;
        }
        if (head_len + cl > HTTP_MAX_REQUEST) { conn_error(c, 413, "request too large"); return; }
        if (c->in_len < head_len + cl) return; /* wait for the rest of the body */
        rq.body = c->in + head_len;
        rq.body_len = cl;
        http_response resp;
        resp_init(&resp);
        app_handle(&rq, &resp);
        int head_only = strcmp(rq.method, "HEAD") == 0;
        conn_queue_response(c, &resp, rq.keep_alive && !http_stop, head_only);
        char shown[128]; /* the target as logged: printable ASCII only, bounded */
        size_t k = 0;
        for (const char *t = rq.target; *t && k + 1 < sizeof shown; t++)
            shown[k++] = (*t > ' ' && *t < 127) ? *t : '?';
        shown[k] = 0;
        printf("%s %s %s -> %d\n", c->peer, rq.method, shown, resp.status);
        fflush(stdout);
        resp_free(&resp);
        size_t used = head_len + cl;
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    }
}

static void conn_close(http_conn *c) {
    if (c->fd >= 0) close(c->fd);
    free(c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Sends what is queued. Returns 0 to keep going, -1 if the connection broke,
   -2 once a closing connection has sent everything. */
static int conn_flush(http_conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            return -1;
        }
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return c->closing ? -2 : 0;
}

static int http_listen(const char *host, int port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "server: --host must be an IPv4 address, got '%s'\n", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { perror("server: socket"); return -1; }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "server: cannot listen on %s:%d: %s\n", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, 128) < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        perror("server: listen");
        close(fd);
        return -1;
    }
    return fd;
}

/* Runs until SIGINT/SIGTERM. */
static int http_serve(int lfd) {
    static http_conn conns[HTTP_MAX_CONNS];
    static struct pollfd pfd[HTTP_MAX_CONNS + 1];
    int map[HTTP_MAX_CONNS + 1];
    for (int i = 0; i < HTTP_MAX_CONNS; i++) { memset(&conns[i], 0, sizeof conns[i]); conns[i].fd = -1; }
    while (!http_stop) {
        int n = 0;
        pfd[n].fd = lfd; pfd[n].events = POLLIN; pfd[n].revents = 0; map[n++] = -1;
        int64_t now = http_now_ms(), wait = HTTP_IDLE_MS;
        for (int i = 0; i < HTTP_MAX_CONNS; i++) {
            http_conn *c = &conns[i];
            if (c->fd < 0) continue;
            if (now - c->last_ms >= HTTP_IDLE_MS) { conn_close(c); continue; }
            int64_t left = HTTP_IDLE_MS - (now - c->last_ms);
            if (c->lingering) {
                if (now >= c->linger_until) { conn_close(c); continue; }
                left = c->linger_until - now;
            }
            if (left < wait) wait = left;
            short ev = 0;
            if (c->lingering) ev = POLLIN;
            else if (!c->closing && c->out_len - c->out_off < HTTP_MAX_OUT) ev |= POLLIN;
            if (c->out_len > c->out_off) ev |= POLLOUT;
            pfd[n].fd = c->fd; pfd[n].events = ev; pfd[n].revents = 0; map[n++] = i;
        }
        int r = poll(pfd, (nfds_t)n, (int)wait);
        if (r < 0) {
            if (errno == EINTR) continue;
            perror("server: poll");
            return 1;
        }
        now = http_now_ms();
        if (pfd[0].revents & POLLIN) {
            for (int k = 0; k < 64; k++) { /* accept a bounded batch */
                struct sockaddr_in peer;
                socklen_t pl = sizeof peer;
                int fd = accept(lfd, (struct sockaddr *)&peer, &pl);
                if (fd < 0) break;
                int slot = -1;
                for (int i = 0; i < HTTP_MAX_CONNS; i++) if (conns[i].fd < 0) { slot = i; break; }
                if (slot < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
                    close(fd); /* full: the client retries */
                    continue;
                }
                http_conn *c = &conns[slot];
                c->fd = fd;
                c->last_ms = now;
                char ip[INET_ADDRSTRLEN] = "?";
                inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
                snprintf(c->peer, sizeof c->peer, "%s:%u", ip, (unsigned)ntohs(peer.sin_port));
            }
        }
        for (int k = 1; k < n; k++) {
            http_conn *c = &conns[map[k]];
            short re = pfd[k].revents;
            if (!re || c->fd < 0) continue;
            c->last_ms = now;
            if (re & (POLLERR | POLLNVAL)) { conn_close(c); continue; }
            if (c->lingering) {
                static char sink[16384];
                ssize_t got = recv(c->fd, sink, sizeof sink, 0);
                if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
                if (got <= 0 || (c->drained += (size_t)got) > HTTP_LINGER_MAX) conn_close(c);
                continue;
            }
            if (re & (POLLIN | POLLHUP)) {
                ssize_t got = 0;
                if (c->in_len < HTTP_MAX_REQUEST) {
                    got = recv(c->fd, c->in + c->in_len, HTTP_MAX_REQUEST - c->in_len, 0);
                    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) got = -2;
                }
                if (got == -1) { conn_close(c); continue; }
                if (got == 0) { /* the peer finished sending: answer what it sent, then close */
                    c->closing = 1;
                    c->peer_eof = 1;
                    if (c->out_len == c->out_off) { conn_close(c); continue; }
                }
                if (got > 0) c->in_len += (size_t)got;
                conn_process(c);
            }
            int fr = conn_flush(c);
            if (fr == -2 && !c->peer_eof) {
                /* final reply sent: shut our side, read until the client closes */
                shutdown(c->fd, SHUT_WR);
                c->lingering = 1;
                c->linger_until = now + HTTP_LINGER_MS;
            } else if (fr < 0) {
                conn_close(c);
            }
        }
    }
    for (int i = 0; i < HTTP_MAX_CONNS; i++) if (conns[i].fd >= 0) conn_close(&conns[i]);
    return 0;
}
/* ---- the application: routes on top of dynsess.h ---------------------------------
   Each request: dynsess_load(Cookie header) -> work on the dict -> dynsess_save
   (or dynsess_destroy) -> send the Set-Cookie value it produced. */
static dynsess_ctx *app_ctx;
static const char *app_store_name = "cookie";

/* Library notices (fallback, retries...) go through the logger: we print them. */
static void app_log(void *user, dynsess_log_level level, const char *msg) {
    static const char *names[] = {"debug", "info", "warn", "error"};
    (void)user;
    fprintf(stderr, "server: [dynsess %s] %s\n", names[level <= DYNSESS_LOG_ERROR ? level : 0], msg);
}

/* Loads the request's session. On a store failure fills resp with 503. */
static dynsess_session *app_load(const http_request *rq, http_response *resp) {
    dynsess_session *s = 0;
    dynsess_error err;
    if (dynsess_load(app_ctx, rq->cookie, strlen(rq->cookie), &s, &err) != DYNSESS_OK) {
        fprintf(stderr, "server: session store failed: %s\n", err.msg);
        resp_text(resp, 503, "session store unavailable, try again");
        return 0;
    }
    const char *why = dynsess_session_reason(s);
    /* "no session cookie" is the normal first visit; anything else is worth a line */
    if (rq->cookie[0] && why[0] && strcmp(why, "no session cookie") != 0)
        fprintf(stderr, "server: new session (%s)\n", why);
    return s;
}

/* Saves s and adds its Set-Cookie. On failure turns resp into a 500. */
static void app_save(dynsess_session *s, http_response *resp) {
    char sc[4200];
    size_t n = 0;
    dynsess_error err;
    if (dynsess_save(app_ctx, s, sc, sizeof sc, &n, &err) != DYNSESS_OK) {
        fprintf(stderr, "server: session save failed: %s\n", err.msg);
        resp->headers_len = 0;
        resp_text(resp, err.code == DYNSESS_E_COOKIE_SIZE ? 500 : 503, "could not save the session");
        return;
    }
    if (n && resp_header(resp, "Set-Cookie", sc)) resp_text(resp, 500, "response headers too large");
    if (*dynsess_session_reason(s)) {
        const char *why = dynsess_session_reason(s);
        if (strstr(why, "destroyed")) fprintf(stderr, "server: %s\n", why);
    }
}

static void app_page_start(http_response *r, const char *title) {
    resp_puts(r, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width\">"
                 "<title>");
    resp_puts(r, title);
    resp_puts(r, "</title><style>"
                 "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}"
                 "code{background:#f3f3f3;padding:0 .3em}input,button{font:inherit;padding:.3em .6em}"
                 ".box{border:1px solid #ddd;border-radius:6px;padding:1rem 1.2rem;margin:1rem 0}"
                 "</style></head><body>\n<h1>dynsess.h demo</h1>\n");
}

static void app_page_end(http_response *r) {
    resp_printf(r, "<p><small>store: <code id=\"store\">%s</code> &middot; "
                   "<a href=\"/api/session\">/api/session</a></small></p>\n</body></html>\n",
                app_store_name);
}

static void route_index(const http_request *rq, http_response *resp) {
    dynsess_session *s = app_load(rq, resp);
    if (!s) return;
    dynsess_error err;
    const dynsess_value *v = dynsess_session_get(s, "visits");
    int64_t visits = (dynsess_value_type(v) == DYNSESS_JSON_INT ? dynsess_value_int(v) : 0) + 1;
    if (dynsess_session_set_int(s, "visits", visits, &err) != DYNSESS_OK) {
        resp_text(resp, 500, err.msg);
        dynsess_release(s);
        return;
    }
    const dynsess_value *user = dynsess_session_get(s, "user");
    app_page_start(resp, "dynsess.h demo");
    resp_puts(resp, "<div class=\"box\">\n");
    if (dynsess_value_type(user) == DYNSESS_JSON_STRING) {
        dynsess_str u = dynsess_value_str(user);
        resp_puts(resp, "<p id=\"who\">Logged in as <b id=\"user\">");
        resp_html(resp, u.ptr, u.len);
        resp_puts(resp, "</b></p>\n<form method=\"post\" action=\"/logout\">"
                        "<button id=\"logout\" type=\"submit\">Log out</button></form>\n");
    } else {
        resp_puts(resp, "<p id=\"who\">Not logged in. <a id=\"login\" href=\"/login\">Log in</a></p>\n");
    }
    resp_printf(resp, "<p>Visits in this session: <b id=\"visits\">%lld</b></p>\n</div>\n",
                (long long)visits);
    resp_puts(resp, "<p>Reload the page: the counter lives in the session. Log in: the session "
                    "gets a new id and keeps its data. Log out: the session is destroyed.</p>\n");
    app_page_end(resp);
    app_save(s, resp);
    dynsess_release(s);
}

static void route_login(const http_request *rq, http_response *resp) {
    if (strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0) {
        app_page_start(resp, "Log in - dynsess.h demo");
        if (strstr(rq->query, "bye=1"))
            resp_puts(resp, "<p id=\"bye\">You are logged out: the session was destroyed and its cookie "
                            "cleared. <a href=\"/\">Home</a></p>\n");
        resp_puts(resp, "<form class=\"box\" method=\"post\" action=\"/login\">\n"
                        "<label>User name <input id=\"name\" name=\"user\" required maxlength=\"64\" "
                        "autocomplete=\"username\" autofocus></label>\n"
                        "<button id=\"submit\" type=\"submit\">Log in</button>\n</form>\n"
                        "<p>No password: this demo only shows what the session does on login.</p>\n");
        app_page_end(resp);
        return;
    }
    if (strcmp(rq->method, "POST") != 0) {
        resp_text(resp, 405, "use GET or POST");
        resp_header(resp, "Allow", "GET, HEAD, POST");
        return;
    }
    const char *ct = http_get_header(rq, "content-type");
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        resp_text(resp, 415, "send the login form (application/x-www-form-urlencoded)");
        return;
    }
    char name[256];
    long n = http_form_field(rq->body, rq->body_len, "user", name, sizeof name);
    while (n > 0 && name[n - 1] == ' ') name[--n] = 0;
    if (n <= 0 || n > 64 || memchr(name, 0, (size_t)n)) {
        resp_text(resp, 400, "user name: 1 to 64 characters");
        return;
    }
    dynsess_session *s = app_load(rq, resp);
    if (!s) return;
    dynsess_error err;
    if (dynsess_session_set_str_n(s, "user", name, (size_t)n, &err) != DYNSESS_OK ||
        dynsess_session_set_int(s, "login_at", (int64_t)time(0), &err) != DYNSESS_OK ||
        /* a new id on login, same data: against session fixation */
        dynsess_regenerate(app_ctx, s, &err) != DYNSESS_OK) {
        resp_text(resp, 400, err.msg); /* e.g. invalid UTF-8 in the name */
        dynsess_release(s);
        return;
    }
    resp->status = 303;
    resp_header(resp, "Location", "/");
    resp_puts(resp, "logged in\n");
    resp->content_type = "text/plain; charset=utf-8";
    app_save(s, resp);
    dynsess_release(s);
}

static void route_logout(const http_request *rq, http_response *resp) {
    if (strcmp(rq->method, "POST") != 0 && strcmp(rq->method, "GET") != 0) {
        resp_text(resp, 405, "use POST");
        resp_header(resp, "Allow", "GET, POST");
        return;
    }
    dynsess_session *s = app_load(rq, resp);
    if (!s) return;
    char sc[1024];
    size_t n = 0;
    dynsess_error err;
    if (dynsess_destroy(app_ctx, s, sc, sizeof sc, &n, &err) != DYNSESS_OK)
        fprintf(stderr, "server: logout: %s (the cookie is cleared anyway)\n", err.msg);
    if (n) resp_header(resp, "Set-Cookie", sc);
    resp->status = 303;
    /* not "/": that page counts visits, which would start a new session at once */
    resp_header(resp, "Location", "/login?bye=1");
    resp->content_type = "text/plain; charset=utf-8";
    resp_puts(resp, "logged out\n");
    dynsess_release(s);
}

static void route_api_session(const http_request *rq, http_response *resp) {
    dynsess_session *s = app_load(rq, resp);
    if (!s) return;
    dynsess_buf b;
    dynsess_error err;
    dynsess_buf_init(&b, 0);
    resp->content_type = "application/json";
    /* The id is not shown: the cookie is HttpOnly so that scripts never see it. */
    resp_printf(resp, "{\"store\":\"%s\",\"is_new\":%s,\"created_at\":%lld,\"expires_at\":%lld,\"data\":",
                app_store_name, dynsess_session_is_new(s) ? "true" : "false",
                (long long)dynsess_session_created_at(s), (long long)dynsess_session_expires_at(s));
    if (dynsess_json_write(dynsess_session_root(s), &b, &err) != DYNSESS_OK) {
        resp_text(resp, 500, err.msg);
    } else {
        resp_write(resp, b.ptr, b.len);
        resp_puts(resp, "}\n");
        app_save(s, resp);
    }
    dynsess_buf_free(&b);
    dynsess_release(s);
}

static void app_handle(const http_request *rq, http_response *resp) {
    int get = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
    if (strcmp(rq->path, "/") == 0) {
        if (get) route_index(rq, resp);
        else { resp_text(resp, 405, "use GET"); resp_header(resp, "Allow", "GET, HEAD"); }
    } else if (strcmp(rq->path, "/login") == 0) {
        route_login(rq, resp);
    } else if (strcmp(rq->path, "/logout") == 0) {
        route_logout(rq, resp);
    } else if (strcmp(rq->path, "/api/session") == 0) {
        if (get) route_api_session(rq, resp);
        else { resp_text(resp, 405, "use GET"); resp_header(resp, "Allow", "GET, HEAD"); }
    } else if (strcmp(rq->path, "/favicon.ico") == 0) {
        resp->status = 404;
        resp->content_type = "text/plain";
    } else {
        resp_text(resp, 404, "not found");
    }
}
/* ---- main: configuration the seed's way ------------------------------------------ */
static const char server_usage[] =
    "usage: server [--port N] [--host ADDR] [--dev] [--insecure-cookie]\n"
    "\n"
    "A small HTTP/1.1 server showing dynsess.h in use. Open http://127.0.0.1:PORT/\n"
    "  /             who is logged in, and a per-session visit counter\n"
    "  /login        a form; POST sets the user and regenerates the session id\n"
    "  /logout       destroys the session\n"
    "  /api/session  the session as JSON\n"
    "\n"
    "options:\n"
    "  --port N          port (default 8080; 0 picks a free one)\n"
    "  --host ADDR       IPv4 address to listen on (default 127.0.0.1)\n"
    "  --dev             development mode: if SESSION_SECRET is unset, generate one for\n"
    "                    this run (cookies then stop working when the server restarts)\n"
    "  --insecure-cookie leave out the Secure attribute (plain-http hosts other than localhost)\n"
    "\n"
    "environment (the store is picked as the Python app does):\n"
    "  SESSION_SECRET          secret(s) for the sealed-cookie store, >= 32 bytes; several,\n"
    "                          comma-separated, for rotation (first seals). Make one with\n"
    "                          'build/dynsess keygen'. Required for the cookie store.\n"
    "  SESSION_STORE=memory    the in-memory store (sessions end with the process)\n"
    "  USE_DYNAMODB_SESSIONS=true  the DynamoDB store; with SESSION_TABLE_NAME, AWS_REGION,\n"
    "                          AWS_ENDPOINT_URL_DYNAMODB (local server), AWS credentials.\n"
    "                          Falls back to memory (with a log line) if DynamoDB cannot\n"
    "                          be initialised; DYNSESS_FALLBACK=off makes that fatal.\n"
    "  (none of these)         the sealed-cookie store (the default)\n";

static int env_true(const char *name) {
    const char *v = getenv(name);
    return v && (strcmp(v, "true") == 0 || strcmp(v, "TRUE") == 0 || strcmp(v, "True") == 0 ||
                 strcmp(v, "1") == 0 || strcmp(v, "yes") == 0);
}

int main(int argc, char **argv) {
    int port = 8080, dev = 0, insecure = 0;
    const char *host = "127.0.0.1";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { fputs(server_usage, stdout); return 0; }
        else if (strcmp(a, "--dev") == 0) dev = 1;
        else if (strcmp(a, "--insecure-cookie") == 0) insecure = 1;
        else if ((strcmp(a, "--port") == 0 || strcmp(a, "--host") == 0) && i + 1 < argc) {
            if (a[2] == 'h') host = argv[++i];
            else {
                char *end;
                long p = strtol(argv[++i], &end, 10);
                if (*end || p < 0 || p > 65535) { fprintf(stderr, "server: bad --port '%s'\n", argv[i]); return 2; }
                port = (int)p;
            }
        } else if (strncmp(a, "--port=", 7) == 0) {
            char *end;
            long p = strtol(a + 7, &end, 10);
            if (*end || p < 0 || p > 65535) { fprintf(stderr, "server: bad --port '%s'\n", a + 7); return 2; }
            port = (int)p;
        } else if (strncmp(a, "--host=", 7) == 0) {
            host = a + 7;
        } else {
            fprintf(stderr, "server: unknown argument '%s' (try --help)\n", a);
            return 2;
        }
    }
    setvbuf(stdout, 0, _IOLBF, 0);

    dynsess_logger logger;
    logger.func = app_log;
    logger.user = 0;
    dynsess_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.logger = logger;
    desc.insecure_cookie = insecure;
    dynsess_store *store = 0; /* ours to close when not the cookie store */
    dynsess_error err;
    char devsecret[DYNSESS_BASE64URL_LEN(32) + 1];
    char *secret_copy = 0;
    int rc = 1;

    const char *which = getenv("SESSION_STORE");
    if (env_true("USE_DYNAMODB_SESSIONS")) {
        dynsess_env_store_desc ed;
        int degraded = 0;
        memset(&ed, 0, sizeof ed);
        ed.logger = logger;
        ed.dynamodb.ddb.logger = logger;
        if (dynsess_store_from_env(&ed, &store, &degraded, &err) != DYNSESS_OK) {
            fprintf(stderr, "server: DynamoDB store: %s (fallback is off)\n", err.msg);
            return 1;
        }
        if (degraded) {
            app_store_name = "memory";
            fprintf(stderr, "server: DynamoDB unavailable, FALLING BACK to the in-memory store: "
                            "sessions are lost on restart and not shared between instances\n");
        } else {
            app_store_name = "dynamodb";
            const char *t = getenv("SESSION_TABLE_NAME");
            printf("server: store: dynamodb, table %s\n", t && *t ? t : DYNSESS_DDB_DEFAULT_TABLE);
        }
    } else if (which && strcmp(which, "memory") == 0) {
        dynsess_memory_desc md;
        memset(&md, 0, sizeof md);
        if (dynsess_store_memory_new(&md, &store, &err) != DYNSESS_OK) {
            fprintf(stderr, "server: memory store: %s\n", err.msg);
            return 1;
        }
        app_store_name = "memory";
        printf("server: store: memory (sessions end when the server stops)\n");
    } else {
        if (which && *which && strcmp(which, "cookie") != 0) {
            fprintf(stderr, "server: SESSION_STORE must be 'memory' or 'cookie', got '%s'\n", which);
            return 2;
        }
        app_store_name = "cookie";
        const char *sec = getenv("SESSION_SECRET");
        if (!sec || !*sec) {
            if (!dev) {
                fprintf(stderr, "server: SESSION_SECRET is not set. The sealed-cookie store needs a secret of\n"
                                "  at least 32 bytes: export SESSION_SECRET=$(build/dynsess keygen)\n"
                                "  (or run with --dev to use a throw-away secret for this run only)\n");
                return 1;
            }
            uint8_t raw[32];
            if (dynsess_random_bytes(raw, sizeof raw, &err) != DYNSESS_OK) {
                fprintf(stderr, "server: %s\n", err.msg);
                return 1;
            }
            dynsess_base64url_encode(raw, sizeof raw, devsecret, sizeof devsecret);
            dynsess_wipe(raw, sizeof raw);
            sec = devsecret;
            printf("server: --dev: generated a random secret for this run (not printed); cookies "
                   "stop opening when the server restarts. Set SESSION_SECRET in production.\n");
        }
        size_t n = strlen(sec);
        secret_copy = malloc(n + 1);
        if (!secret_copy) return 1;
        memcpy(secret_copy, sec, n + 1);
        int k = 0;
        for (char *p = secret_copy; *p && k < DYNSESS_MAX_SECRETS;) {
            char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len) { desc.secrets[k].ptr = p; desc.secrets[k].len = len; k++; }
            if (!e) break;
            p = e + 1;
        }
        printf("server: store: cookie (sealed, XChaCha20-Poly1305)\n");
    }
    desc.store = store;
    if (dynsess_setup(&app_ctx, &desc, &err) != DYNSESS_OK) {
        fprintf(stderr, "server: %s\n", err.msg);
        goto done;
    }
    dynsess_wipe(devsecret, sizeof devsecret);
    if (secret_copy) dynsess_wipe(secret_copy, strlen(secret_copy)); /* the store copied it */

    int lfd = http_listen(host, port);
    if (lfd < 0) goto done;
    if (port == 0) {
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;
        if (getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0) port = ntohs(sa.sin_port);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = http_on_signal;
    sigaction(SIGINT, &sa, 0);
    sigaction(SIGTERM, &sa, 0);
    signal(SIGPIPE, SIG_IGN);
    printf("server: listening on http://%s:%d/ (Ctrl-C to stop)\n", host, port);
    rc = http_serve(lfd);
    close(lfd);
    printf("server: stopped\n");
done:
    dynsess_shutdown(app_ctx);
    dynsess_store_close(store);
    free(secret_copy);
    return rc;
}
