/* ======================================================================
   @transport  the HTTP transport callback interface, and two bundled
               transports: plain HTTP/1.1 over POSIX sockets, and libcurl
               (behind DYNSESS_WITH_CURL)
   Does: the library never opens a socket unless the host picks a bundled
   transport. Assumes: a transport object serves one call at a time (use
   one per thread, or a lock); responses are read into dynsess_bufs.
   Compile-time options (implementation only):
     DYNSESS_WITH_CURL          also build dynsess_transport_curl_new (-lcurl)
     DYNSESS_NO_PLAIN_TRANSPORT drop the socket transport (non-POSIX hosts)
   The plain transport needs POSIX sockets and poll(2). Host names are
   resolved with getaddrinfo(3) when POSIX 2001 is visible (define
   _POSIX_C_SOURCE 200809L, or _GNU_SOURCE, before the FIRST #include of
   the implementation file, or compile with -std=gnu99 / C++); under a
   strict -std=c99 it accepts IP literals and "localhost" only.
   ====================================================================== */

/* A request. All strings borrowed for the duration of the call. */
typedef struct dynsess_http_request {
    const char *method;      /* "POST"                                        */
    const char *scheme;      /* "http" or "https"; 0 -> "http"                */
    const char *host;        /* "127.0.0.1", "dynamodb.us-east-1.amazonaws.com" */
    int port;                /* 0 -> 80 / 443 by scheme                       */
    const char *path;        /* as sent, e.g. "/"; 0 -> "/"                    */
    const char *query;       /* without '?'; 0 or "": none                    */
    const dynsess_http_header *headers; /* sent as given; a Host header is
                                added if absent; Content-Length is added for a
                                non-empty body or a method other than GET/HEAD
                                if absent                                      */
    size_t header_count;
    dynsess_str body;
    int timeout_ms;          /* whole call; 0 -> the transport's default      */
} dynsess_http_request;

/* A response. Init once, reuse across calls (each call resets it), free. */
typedef struct dynsess_http_response {
    int status;              /* 200, 400, ...; 0 if no response was read       */
    dynsess_buf headers;     /* raw header lines "Name: value\r\n", without the
                                status line                                    */
    dynsess_buf body;        /* de-chunked body                               */
    dynsess_error error;     /* set by the transport when it returns non-OK   */
} dynsess_http_response;

/* The callback a host implements: perform req, fill resp (after
   dynsess_http_response_reset), return DYNSESS_OK when a complete HTTP
   response was read (whatever its status), else:
     DYNSESS_E_CONNECT  connecting or sending failed (safe to retry: the
                        server did not see the request, or it's unknown)
     DYNSESS_E_TIMEOUT  the call exceeded its timeout
     DYNSESS_E_HTTP     the reply was not valid HTTP/1.x or ended early
     DYNSESS_E_LIMIT    the reply exceeded the size cap
     DYNSESS_E_UNSUPPORTED  e.g. https on the plain transport
     DYNSESS_E_NOMEM, DYNSESS_E_ARG
   and describe the failure in resp->error (no secrets: never echo headers). */
typedef int (*dynsess_http_fn)(void *user, const dynsess_http_request *req,
                               dynsess_http_response *resp);

typedef struct dynsess_transport {
    dynsess_http_fn fn;
    void *user;
    void (*close)(void *user);   /* may be 0; called by dynsess_transport_free */
} dynsess_transport;

/* Response buffers use alloc (0 -> default). */
DYNSESS_DEF void dynsess_http_response_init(dynsess_http_response *r, const dynsess_allocator *alloc);
/* status = 0, buffers emptied (memory kept), error cleared. */
DYNSESS_DEF void dynsess_http_response_reset(dynsess_http_response *r);
DYNSESS_DEF void dynsess_http_response_free(dynsess_http_response *r);
/* Finds the first response header named name (case-insensitive); *value
   is borrowed from r->headers, trimmed. Returns 1 if found, else 0. */
DYNSESS_DEF int dynsess_http_response_header(const dynsess_http_response *r, const char *name,
                                             dynsess_str *value);
/* Resets resp, calls t->fn, and on failure copies resp->error into err
   (prefix kept as the transport wrote it). Returns the transport's status
   (an out-of-range return becomes E_INTERNAL). E_ARG if t->fn is 0. */
DYNSESS_DEF dynsess_status dynsess_http_send(const dynsess_transport *t,
                                             const dynsess_http_request *req,
                                             dynsess_http_response *resp, dynsess_error *err);
/* Calls t->close(t->user) if set and zeroes t. t may be 0. */
DYNSESS_DEF void dynsess_transport_free(dynsess_transport *t);

/* Configuration of the bundled transports; zero means default. */
typedef struct dynsess_transport_desc {
    int connect_timeout_ms;  /* 0 -> 3000                                    */
    int timeout_ms;          /* 0 -> 10000: per call when req->timeout_ms is 0 */
    size_t max_response;     /* 0 -> 16 MiB: headers + body cap -> E_LIMIT    */
    int no_keepalive;        /* 0 -> reuse one connection across calls        */
    const char *ca_file;     /* curl only: 0 -> the system CA store           */
    dynsess_allocator allocator; /* {0} -> DYNSESS_MALLOC / DYNSESS_FREE      */
} dynsess_transport_desc;

/* Plain HTTP/1.1 over a TCP socket: keep-alive (one cached connection,
   reopened once if the server closed it before any reply byte), chunked or
   Content-Length or close-delimited replies, connect and whole-call
   timeouts via poll(2), reply size cap. https:// fails with
   E_UNSUPPORTED. desc may be 0. Free with dynsess_transport_free.
   E_NOMEM, E_CONFIG. SIGPIPE is avoided with MSG_NOSIGNAL where present. */
DYNSESS_DEF dynsess_status dynsess_transport_plain_new(const dynsess_transport_desc *desc,
                                                       dynsess_transport *out, dynsess_error *err);

/* libcurl transport (only if the implementation was compiled with
   DYNSESS_WITH_CURL; else E_UNSUPPORTED): http and https, TLS peer and
   host verification always on (a failed handshake or certificate gives
   E_CONNECT), one CURL easy handle per transport so connections are
   reused, timeouts, the same size cap. Calls curl_global_init once (not
   thread-safe on old libcurl: create the first one before starting
   threads). Free with dynsess_transport_free. */
DYNSESS_DEF dynsess_status dynsess_transport_curl_new(const dynsess_transport_desc *desc,
                                                      dynsess_transport *out, dynsess_error *err);
