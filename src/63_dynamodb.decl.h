/* ----------------------------------------------------------------------
   @store >dynamodb  the DynamoDB store and its low-level client
   Does: dynsess_ddb is a small DynamoDB JSON-protocol client (SigV4 signing,
   retries with exponential backoff and full jitter, x-amz-crc32 checks,
   clock-skew correction); the store keeps one item per session in a table
   (session_id S hash key, user_data S = the session's JSON text, created_at
   N, ttl N epoch seconds, version N) with conditional writes, so an update
   never resurrects a deleted session nor silently overwrites a concurrent
   one. dynsess_store_from_env builds the store from the environment and
   falls back to the memory store. Assumes: @sigv4 and @transport (the host's
   or a bundled HTTP transport); the IAM actions GetItem, PutItem,
   UpdateItem and DeleteItem on the table.
   Threads: a dynsess_ddb serves one call at a time (its transport keeps a
   connection). A store serves one thread, or several with thread_safe
   (calls serialized); for throughput give each server thread its own store.
   ---------------------------------------------------------------------- */
#define DYNSESS_DDB_DEFAULT_TABLE "LLM-Duel-Sessions"
#define DYNSESS_DDB_MAX_ITEM_SIZE 409600 /* DynamoDB's 400 KB item limit */

typedef struct dynsess_ddb dynsess_ddb;

/* Retry policy. Retried: throttling (ProvisionedThroughputExceededException,
   ThrottlingException, RequestLimitExceeded), HTTP 5xx, connect failures,
   timeouts and x-amz-crc32 mismatches. Never retried: validation, access,
   conditional and other 4xx errors. Sleeps are "full jitter":
   uniform in [0, min(max_delay_ms, base_delay_ms * 2^retry)]. */
typedef struct dynsess_ddb_retry {
    int max_attempts;          /* 0 -> 4 (the first try + 3 retries); 1 = no retry */
    int32_t base_delay_ms;     /* 0 -> 25                                          */
    int32_t max_delay_ms;      /* 0 -> 1000: cap of one sleep                      */
    int32_t max_total_ms;      /* 0 -> 5000: no retry starts after this long       */
    /* 0 -> sleep with poll(2); tests inject a recorder */
    void (*sleep_ms)(void *user, int32_t ms);
    void *sleep_user;
} dynsess_ddb_retry;

/* Client settings; zero fields take the defaults shown. */
typedef struct dynsess_ddb_desc {
    const char *region;            /* 0 -> AWS_REGION, AWS_DEFAULT_REGION, else E_CONFIG  */
    const char *endpoint;          /* 0 -> AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL,
                                      else https://dynamodb.<region>.amazonaws.com        */
    dynsess_aws_credentials_provider credentials; /* {0} -> AWS_ACCESS_KEY_ID,
                                      AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN read
                                      once at creation (Lambda passes all three)       */
    dynsess_env env;               /* {0} -> getenv(3); tests inject a table             */
    dynsess_transport transport;   /* {0} -> a bundled transport the client owns: libcurl
                                      if built with DYNSESS_WITH_CURL, else plain HTTP
                                      (http:// only: https:// gives E_CONFIG); set ->
                                      borrowed, must outlive the client                 */
    int32_t timeout_ms;            /* 0 -> 3000: per attempt                             */
    size_t max_reply_len;          /* 0 -> 4 MiB                                         */
    dynsess_ddb_retry retry;
    dynsess_clock clock;           /* {0} -> real clock (signing time, Date checks)      */
    dynsess_rng rng;               /* {0} -> OS CSPRNG (jitter, probe keys)              */
    dynsess_logger logger;         /* {0} -> silent: retries and skew fixes are logged   */
    dynsess_allocator allocator;   /* {0} -> DYNSESS_MALLOC / DYNSESS_FREE               */
} dynsess_ddb_desc;

/* What DynamoDB said about a failed call (all empty/0 when it said nothing). */
typedef struct dynsess_ddb_error {
    int http_status;               /* last HTTP status, 0 if no reply was received   */
    char type[80];                 /* "__type" after the '#': "ValidationException"  */
    char message[200];             /* "message" or "Message", truncated              */
    int attempts;                  /* HTTP attempts made                             */
    int retryable;                 /* 1 if the last failure was of a retryable kind  */
} dynsess_ddb_error;

/* Creates a client. Copies every string of desc. Errors: E_CONFIG (no region,
   bad endpoint, https:// without a TLS transport), E_CREDENTIALS, E_NOMEM. */
DYNSESS_DEF dynsess_status dynsess_ddb_new(const dynsess_ddb_desc *desc, dynsess_ddb **out,
                                           dynsess_error *err);
/* Frees the client and wipes its credentials. c may be 0. */
DYNSESS_DEF void dynsess_ddb_free(dynsess_ddb *c);
/* Calls one DynamoDB operation ("GetItem", "PutItem", "DescribeTable", ...):
   json_body is the request's JSON text; on OK, reply (may be 0) holds the
   reply's JSON text, appended (caller inits and frees it); on a service error
   it holds the error body (e.g. the old item of a failed conditional write
   with ReturnValuesOnConditionCheckFailure). aws_err (may be 0) receives the
   service's error type and message. Returns OK, or:
     E_CONFLICT    ConditionalCheckFailedException
     E_THROTTLED   still throttled after the retries
     E_AUTH        AccessDenied / UnrecognizedClient / InvalidSignature /
                   ExpiredToken / MissingAuthenticationToken
     E_LIMIT       the item exceeds 400 KB (ValidationException on size)
     E_AWS         any other DynamoDB error (ValidationException,
                   ResourceNotFoundException, 5xx after the retries ...)
     E_CONNECT, E_TIMEOUT, E_HTTP (garbage, truncated, bad x-amz-crc32),
     E_CREDENTIALS, E_NOMEM.
   err->msg reads "dynamodb: GetItem: ValidationException: ..." (no secrets). */
DYNSESS_DEF dynsess_status dynsess_ddb_call(dynsess_ddb *c, const char *operation,
                                            dynsess_str json_body, dynsess_buf *reply,
                                            dynsess_ddb_error *aws_err, dynsess_error *err);
/* The signing clock's correction in seconds (server minus local), learnt from
   the Date header after a "Signature expired" reply; 0 until then. */
DYNSESS_DEF int64_t dynsess_ddb_clock_skew(const dynsess_ddb *c);
/* CRC-32 (IEEE 802.3, as in x-amz-crc32) of n bytes. */
DYNSESS_DEF uint32_t dynsess_crc32(const void *p, size_t n);

/* ---- the store ------------------------------------------------------------ */
typedef struct dynsess_dynamodb_desc {
    dynsess_ddb_desc ddb;          /* client settings (unused when client is set)        */
    dynsess_ddb *client;           /* 0 -> the store makes one from ddb and owns it;
                                      else borrowed: must outlive the store              */
    const char *table;             /* 0 -> "LLM-Duel-Sessions"                           */
    const char *attr_id;           /* 0 -> "session_id" (S, the table's hash key)        */
    const char *attr_data;         /* 0 -> "user_data" (S, JSON object text)             */
    const char *attr_created;      /* 0 -> "created_at" (N, epoch s)                     */
    const char *attr_ttl;          /* 0 -> "ttl" (N, epoch s: enable TTL on it)          */
    const char *attr_version;      /* 0 -> "version" (N, absent = 0)                     */
    int eventual_reads;            /* 0 -> GetItem with ConsistentRead                   */
    int hash_ids;                  /* 0 -> store raw ids; 1 -> store base64url(HMAC-
                                      SHA256(id_key, id)): a leaked table grants nothing */
    dynsess_str id_key;            /* hash_ids: >= 32 bytes (copied, wiped on close)     */
    int no_startup_check;          /* 0 -> GetItem of a random absent key at creation    */
    int thread_safe;               /* 0 -> one thread uses the store; 1 -> a pthread
                                      mutex serializes its calls so server threads can
                                      share it (one connection: for throughput give
                                      each thread its own store instead)              */
} dynsess_dynamodb_desc;

/* Creates the DynamoDB store (vtable name "dynamodb"). Unless
   no_startup_check, probes the table with one GetItem of a random absent key
   (allowed by the 4-action IAM policy, unlike DescribeTable). Errors: those of
   dynsess_ddb_new and dynsess_ddb_call (E_AWS "table ... not found", E_AUTH,
   E_CONNECT ...), E_CONFIG (hash_ids without a 32-byte key), E_NOMEM.
   Store semantics (see @store):
     load:    GetItem; absent, or ttl <= now -> E_NOTFOUND ("expired")
     save:    is_new: PutItem if attribute_not_exists(id) -> E_EXISTS
              else:   UpdateItem SET data, ttl, version+1 if the item exists,
                      is not expired and its version is unchanged (absent
                      version = 0); on failure E_NOTFOUND (gone: never
                      resurrected) or E_CONFLICT (version moved)
              sessions over 400 KB: E_LIMIT, nothing written
     destroy: DeleteItem (absent is OK)
     touch:   UpdateItem SET ttl if the item exists and is not expired */
DYNSESS_DEF dynsess_status dynsess_store_dynamodb_new(const dynsess_dynamodb_desc *desc,
                                                      dynsess_store **out, dynsess_error *err);
/* The client a DynamoDB store uses (borrowed), or 0 if st is not one. */
DYNSESS_DEF dynsess_ddb *dynsess_store_dynamodb_client(dynsess_store *st);

/* ---- configuration from the environment, with fallback -------------------- */
typedef struct dynsess_env_store_desc {
    dynsess_dynamodb_desc dynamodb;   /* fields left 0 come from the environment        */
    const struct dynsess_memory_desc *memory; /* 0 -> defaults: the memory store used
                                         when DynamoDB is off, and as the fallback      */
    int no_fallback;                  /* 0 -> fall back to memory if DynamoDB fails;
                                         1 -> fail instead (fallback = off: production) */
    dynsess_logger logger;            /* {0} -> dynamodb.ddb.logger                     */
} dynsess_env_store_desc;

/* Reads USE_DYNAMODB_SESSIONS ("true"/"1"/"yes" enable DynamoDB, anything
   else gives the memory store), SESSION_TABLE_NAME, DYNSESS_FALLBACK ("off"
   = no_fallback), AWS_REGION / AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID,
   AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (Lambda) and
   AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL. If DynamoDB is enabled but
   cannot be initialised, logs a warning with the reason and returns a memory
   store that reports dynsess_store_degraded() == 1 (and *degraded = 1, if
   degraded is not 0); with no_fallback it returns the error instead. */
DYNSESS_DEF dynsess_status dynsess_store_from_env(const dynsess_env_store_desc *desc,
                                                  dynsess_store **out, int *degraded,
                                                  dynsess_error *err);
/* 1 if st is the memory fallback of dynsess_store_from_env, else 0. */
DYNSESS_DEF int dynsess_store_degraded(const dynsess_store *st);
