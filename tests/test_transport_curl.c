// make-cflags: -DDYNSESS_WITH_CURL
// make-libs: -lcurl
/* tests/test_transport_curl.c - tests/test_transport.c built with POSIX 2008 visible (so the
   plain transport resolves names with getaddrinfo) and with the libcurl transport: every case
   runs against both transports. */
#define _POSIX_C_SOURCE 200809L
#include "test_transport.c"
