/* ======================================================================
   @sigv4  AWS Signature Version 4: canonical request, string to sign,
           cached signing key, Authorization header, presigned URLs;
           AWS credentials (static, environment, provider callback);
           region and endpoint resolution
   Does: never allocates. A dynsess_sigv4_signer is a caller-owned struct
   with fixed-capacity scratch; it caches the keyed HMAC context of the
   signing key per (secret, date, region, service), so steady-state
   signing does no key derivation. Assumes: one signer per thread (or a
   lock around it); request text is UTF-8; times are epoch seconds (UTC).
   Reference: AWS "Create a signed AWS API request" (SigV4) and the
   aws-c-auth / botocore test suites (tests/vectors/sigv4).
   ====================================================================== */

/* One HTTP header. Shared with @transport. Both strings are borrowed. */
typedef struct dynsess_http_header {
    dynsess_str name;
    dynsess_str value;
} dynsess_http_header;

/* ---- credentials -------------------------------------------------------- */
/* A view of one set of AWS credentials. All strings borrowed. */
typedef struct dynsess_aws_credentials {
    dynsess_str access_key_id;     /* "AKIDEXAMPLE"                          */
    dynsess_str secret_access_key; /* never copied into an error message     */
    dynsess_str session_token;     /* {0,0}: none (long-term credentials)    */
    int64_t expires_at;            /* epoch s; 0: does not expire            */
} dynsess_aws_credentials;

/* Callback for hosts whose credentials rotate (STS, instance roles): fill
   *out with the current credentials; the strings must stay valid until the
   next call on the same provider (or until the provider is dropped).
   Return DYNSESS_OK or an error (E_CREDENTIALS, ...), filling err. Called
   once per request that needs signing, from the thread doing the request. */
typedef struct dynsess_aws_credentials_provider {
    dynsess_status (*fn)(void *user, dynsess_aws_credentials *out, dynsess_error *err);
    void *user;
} dynsess_aws_credentials_provider;

/* Owned, fixed-capacity copy of credentials (no heap). Wipe with
   dynsess_aws_creds_wipe when done. */
#define DYNSESS_AWS_KEY_ID_MAX 128
#define DYNSESS_AWS_SECRET_MAX 128
#define DYNSESS_AWS_TOKEN_MAX 4096
typedef struct dynsess_aws_creds {
    char access_key_id[DYNSESS_AWS_KEY_ID_MAX + 1];
    char secret_access_key[DYNSESS_AWS_SECRET_MAX + 1];
    char session_token[DYNSESS_AWS_TOKEN_MAX + 1];
    size_t access_key_id_len, secret_access_key_len, session_token_len;
    int64_t expires_at;
} dynsess_aws_creds;

/* Environment lookup hook: returns the value of name or 0. {0} or a 0
   pointer -> getenv(3). Tests inject a table. */
typedef struct dynsess_env {
    const char *(*get)(void *user, const char *name);
    void *user;
} dynsess_env;

/* Copies the credentials into c (session_token may be {0,0}).
   E_CREDENTIALS if the key id or secret is empty, E_LIMIT if a field
   exceeds its *_MAX (c is left wiped on error). */
DYNSESS_DEF dynsess_status dynsess_aws_creds_set(dynsess_aws_creds *c, dynsess_str access_key_id,
                                                 dynsess_str secret_access_key,
                                                 dynsess_str session_token, dynsess_error *err);
/* Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional)
   AWS_SESSION_TOKEN through env (0 -> getenv). E_CREDENTIALS if either of
   the first two is missing or empty; E_LIMIT as above. */
DYNSESS_DEF dynsess_status dynsess_aws_creds_from_env(dynsess_aws_creds *c, const dynsess_env *env,
                                                      dynsess_error *err);
/* A borrowed view of c (valid while c is unchanged). */
DYNSESS_DEF dynsess_aws_credentials dynsess_aws_creds_view(const dynsess_aws_creds *c);
/* A provider that always returns dynsess_aws_creds_view(c); c borrowed. */
DYNSESS_DEF dynsess_aws_credentials_provider dynsess_aws_creds_provider(dynsess_aws_creds *c);
/* Zeroes every byte of c (secrets included). */
DYNSESS_DEF void dynsess_aws_creds_wipe(dynsess_aws_creds *c);

/* ---- region and endpoint -------------------------------------------------- */
#define DYNSESS_AWS_REGION_MAX 63
#define DYNSESS_URL_HOST_MAX 255
#define DYNSESS_URL_PATH_MAX 511

/* A parsed base URL: scheme://host[:port][/path] */
typedef struct dynsess_endpoint {
    char scheme[8];                     /* "http" or "https" (lower case)       */
    char host[DYNSESS_URL_HOST_MAX + 1]; /* "dynamodb.us-east-1.amazonaws.com",
                                           "127.0.0.1", "::1" (no brackets)   */
    int port;                           /* explicit, else 80 / 443              */
    int port_explicit;                  /* 1 if the URL named the port          */
    char path[DYNSESS_URL_PATH_MAX + 1]; /* base path without a trailing '/';
                                           "" for none                        */
    char host_header[DYNSESS_URL_HOST_MAX + 10]; /* Host header value: host, in
                                           [] for IPv6, plus ":port" if explicit
                                           and not the scheme default         */
    char region[DYNSESS_AWS_REGION_MAX + 1]; /* signing region                 */
    int overridden;                     /* 1 if it came from AWS_ENDPOINT_URL*  */
} dynsess_endpoint;

/* Parses an absolute http/https URL (no userinfo, query or fragment) into
   out (out->region untouched). E_CONFIG with a message on a bad URL,
   E_LIMIT if a part is too long. */
DYNSESS_DEF dynsess_status dynsess_url_parse(const char *url, dynsess_endpoint *out,
                                             dynsess_error *err);
/* Region: `region` if non-empty, else AWS_REGION, else AWS_DEFAULT_REGION.
   Copies it to out (cap >= DYNSESS_AWS_REGION_MAX + 1). E_CONFIG if none is
   set or it has characters outside [a-z0-9-]. env may be 0. */
DYNSESS_DEF dynsess_status dynsess_aws_region(const char *region, const dynsess_env *env, char *out,
                                              size_t cap, dynsess_error *err);
/* Endpoint for an AWS service, as the AWS SDKs resolve it:
   1. AWS_ENDPOINT_URL_<SERVICE> (service upper-cased, '-' and ' ' -> '_';
      e.g. AWS_ENDPOINT_URL_DYNAMODB), 2. AWS_ENDPOINT_URL,
   3. https://<service>.<region>.amazonaws.com (".amazonaws.com.cn" for cn-*).
   region as for dynsess_aws_region (an override URL still needs a region
   for the signature scope). service: "dynamodb". env may be 0.
   Errors: E_CONFIG (no region, bad URL in the variable: the message names
   the variable), E_LIMIT. */
DYNSESS_DEF dynsess_status dynsess_aws_endpoint(const char *service, const char *region,
                                                const dynsess_env *env, dynsess_endpoint *out,
                                                dynsess_error *err);

/* ---- signer ------------------------------------------------------------ */
/* flags for dynsess_sigv4_request.flags; 0 is the right choice for every
   AWS service but S3 (normalized path, double-encoded, token signed). */
#define DYNSESS_SIGV4_NO_NORMALIZE  1u  /* keep "." "..", "//" in the path (S3)     */
#define DYNSESS_SIGV4_SINGLE_ENCODE 2u  /* encode path once, keep %XX (S3)          */
#define DYNSESS_SIGV4_SIGN_BODY     4u  /* add + sign x-amz-content-sha256 (S3)     */
#define DYNSESS_SIGV4_OMIT_TOKEN    8u  /* header mode: add X-Amz-Security-Token
                                           after signing (unsigned); query mode:
                                           append it after the signature          */
#define DYNSESS_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

#define DYNSESS_SIGV4_MAX_HEADERS 64      /* caller headers per request        */
#define DYNSESS_SIGV4_MAX_PARAMS 128      /* query parameters per request      */
#ifndef DYNSESS_SIGV4_SCRATCH
#define DYNSESS_SIGV4_SCRATCH 16384       /* canonical request capacity (set
                                             everywhere if changed)            */
#endif
#define DYNSESS_SIGV4_AUTH_MAX 2048       /* Authorization header value        */
#define DYNSESS_SIGV4_SCOPE_MAX 160

/* What to sign. Strings borrowed for the duration of the call. */
typedef struct dynsess_sigv4_request {
    const char *method;      /* "POST"                                       */
    dynsess_str path;        /* as sent on the wire, e.g. "/"; {0,0} -> "/"  */
    dynsess_str query;       /* as sent, without '?'; {0,0}: none            */
    const dynsess_http_header *headers; /* must include Host; must NOT include
                               X-Amz-Date, Authorization (the signer adds them)*/
    size_t header_count;     /* <= DYNSESS_SIGV4_MAX_HEADERS                 */
    dynsess_str payload;     /* the body                                     */
    const char *payload_hash; /* 0 -> hex SHA-256 of payload; or 64 hex
                               digits; or DYNSESS_SIGV4_UNSIGNED_PAYLOAD      */
    const char *region;      /* "us-east-1"                                  */
    const char *service;     /* "dynamodb"                                   */
    int64_t time;            /* signing time, epoch s (X-Amz-Date)           */
    unsigned flags;          /* DYNSESS_SIGV4_*                              */
    int64_t expires_s;       /* presign only: X-Amz-Expires, 1..604800       */
} dynsess_sigv4_request;

/* What the signer produced. Fixed-size fields are owned by the result;
   canonical_request and string_to_sign are BORROWED from the signer's
   scratch and valid until its next call. */
typedef struct dynsess_sigv4_result {
    char amz_date[17];        /* X-Amz-Date value "20150830T123600Z"          */
    char payload_hash[65];    /* hex SHA-256 of the payload or
                                 "UNSIGNED-PAYLOAD" (x-amz-content-sha256)    */
    char signature[65];       /* hex                                          */
    char scope[DYNSESS_SIGV4_SCOPE_MAX]; /* "20150830/us-east-1/service/aws4_request" */
    char authorization[DYNSESS_SIGV4_AUTH_MAX]; /* header mode: the value of the
                                 Authorization header; presign: ""            */
    size_t authorization_len;
    dynsess_str session_token; /* header mode: the X-Amz-Security-Token value
                                 to send ({0,0}: none; borrowed from creds)   */
    dynsess_str canonical_request; /* borrowed, see above                     */
    dynsess_str string_to_sign;    /* borrowed, see above                     */
} dynsess_sigv4_result;

/* The signer: caller-owned (large, ~20 KiB: embed it or allocate it);
   init before use, wipe after (it holds a copy of the last secret and the
   keyed signing state). Not thread-safe: one per thread, or a lock. */
typedef struct dynsess_sigv4_signer {
    /* read-only counters for tests and metrics */
    unsigned long signatures;       /* successful signs                    */
    unsigned long key_derivations;  /* signing-key (re)derivations         */
    /* private: the signing-key cache and scratch */
    int key_valid;
    char key_date[8];
    char key_region[DYNSESS_AWS_REGION_MAX + 1];
    char key_service[64];
    size_t key_secret_len;
    uint8_t key_secret[DYNSESS_AWS_SECRET_MAX];
    dynsess_hmac_sha256_ctx key_ctx; /* HMAC keyed with kSigning           */
    int date_valid;                  /* X-Amz-Date text of date_time        */
    int64_t date_time;
    char date_text[17];
    char sts[256];                   /* string to sign                      */
    size_t sts_len;
    char scratch[DYNSESS_SIGV4_SCRATCH];
    size_t scratch_len;
} dynsess_sigv4_signer;

/* Zeroes s (empty cache). */
DYNSESS_DEF void dynsess_sigv4_signer_init(dynsess_sigv4_signer *s);
/* Wipes the cached key material, the copied secret and the scratch. */
DYNSESS_DEF void dynsess_sigv4_signer_wipe(dynsess_sigv4_signer *s);

/* Header mode. Signs req with creds; on DYNSESS_OK the caller sends req's
   headers plus:  X-Amz-Date: out->amz_date,
                  X-Amz-Security-Token: out->session_token (if non-empty),
                  x-amz-content-sha256: out->payload_hash (if SIGN_BODY),
                  Authorization: out->authorization.
   The signed headers are all of req->headers plus x-amz-date and (unless
   OMIT_TOKEN) x-amz-security-token. No allocation.
   Errors: E_ARG (missing method/region/service/Host header, header or
   parameter count over its max, bad payload_hash, an invalid header name,
   a header the signer adds itself: Authorization, X-Amz-Date, and
   X-Amz-Security-Token / x-amz-content-sha256 when it adds those; a time
   before 1970), E_CREDENTIALS (empty key id or secret),
   E_LIMIT (canonical request over DYNSESS_SIGV4_SCRATCH, secret over
   DYNSESS_AWS_SECRET_MAX, Authorization over DYNSESS_SIGV4_AUTH_MAX).
   Messages never contain the secret or the token. */
DYNSESS_DEF dynsess_status dynsess_sigv4_sign(dynsess_sigv4_signer *s,
                                              const dynsess_aws_credentials *creds,
                                              const dynsess_sigv4_request *req,
                                              dynsess_sigv4_result *out, dynsess_error *err);
/* Query mode (presigned URL, X-Amz-Expires = req->expires_s). Writes the
   complete query string to send (req->query's parameters plus
   X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
   -Security-Token and -Signature; no leading '?') to query_out (cap bytes,
   NUL-terminated; *query_len its length). The URL is
   scheme://host + req->path + "?" + query_out. Same errors as
   dynsess_sigv4_sign, plus E_BUFFER if query_out is too small and E_ARG if
   expires_s is not in 1..604800. */
DYNSESS_DEF dynsess_status dynsess_sigv4_presign(dynsess_sigv4_signer *s,
                                                 const dynsess_aws_credentials *creds,
                                                 const dynsess_sigv4_request *req,
                                                 char *query_out, size_t cap, size_t *query_len,
                                                 dynsess_sigv4_result *out, dynsess_error *err);
/* Formats epoch seconds as "YYYYMMDDTHHMMSSZ" (out: 17 bytes). E_ARG for
   times before 1970 or after 9999. */
DYNSESS_DEF dynsess_status dynsess_sigv4_amz_date(int64_t t, char out[17], dynsess_error *err);
/* Parses "YYYYMMDDTHHMMSSZ" or ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" into epoch
   seconds. E_ARG on anything else. */
DYNSESS_DEF dynsess_status dynsess_sigv4_parse_time(dynsess_str s, int64_t *t, dynsess_error *err);
