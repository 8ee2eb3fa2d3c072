/* dynsess.h - web sessions for C99/C++ (sealed cookie, memory, DynamoDB)
   version 0.1.0

   In ONE .c file:
       #define DYNSESS_IMPLEMENTATION
       #include "dynsess.h"
   Everywhere else just #include "dynsess.h".

   (The full manual - QUICK START, TABLE OF CONTENTS, COMPILE-TIME OPTIONS,
   THREADS AND LIFETIMES, ERRORS, LIMITS - is filled in as sections land.)

   TABLE OF CONTENTS (grep for the tag: it marks both halves)
       @config     options, status codes, errors, allocator, buffers, random, clock
       @json       strict RFC 8259 codec
       @crypto     SHA-256, HMAC, HKDF, XChaCha20-Poly1305
       @sigv4      AWS Signature Version 4 signer
       @transport  HTTP transport interface and bundled transports
       @store      store interface; memory, sealed-cookie and DynamoDB stores
       @session    session dict, Cookie header parsing, request cycle

   License: see the end of the file.
*/
