/* ----------------------------------------------------------------------
   @store >cookie  the sealed-cookie store (the default store)
   The whole session travels in the cookie, sealed with XChaCha20-Poly1305
   under a key derived (HKDF-SHA256) from the first secret; any secret opens.
   Cookie value (format v1, see README "Sealed cookie format"):
       "v1." base64url( key_id(1) || nonce(24) || ciphertext || tag(16) )
       plaintext = created_at (int64 BE) || expires_at (int64 BE) || JSON
       associated data = "v1." || key_id || cookie name
       key = HKDF-SHA256(salt "dynsess/cookie/v1", secret,
                         info "dynsess/cookie/v1 xchacha20-poly1305 key", 32)
       key_id = first byte of HKDF-SHA256(same salt, secret,
                         info "dynsess/cookie/v1 key id", 1)
   Expiry is checked on the server (expires_at <= now -> E_NOTFOUND); the
   browser's Max-Age is never trusted. A stolen cookie can be replayed until
   it expires: use a server-side store when that matters.
   ---------------------------------------------------------------------- */
#define DYNSESS_MAX_SECRETS 4
#define DYNSESS_MIN_SECRET_LEN 32
#define DYNSESS_COOKIE_MAX_LEN_DEFAULT 4096
/* Bytes the v1 format adds: "v1." + base64url of 57 + n bytes. */
#define DYNSESS_COOKIE_SEALED_LEN(json_len) (3 + DYNSESS_BASE64URL_LEN(57 + (json_len)))

typedef struct dynsess_cookie_desc {
    dynsess_str secrets[DYNSESS_MAX_SECRETS]; /* [0] seals, all open; each >= 32 bytes,
                                                 none or shorter -> E_CONFIG; empty
                                                 entries after [0] are skipped        */
    const char *cookie_name;      /* 0 -> "session"; bound into the seal             */
    size_t max_cookie_len;        /* 0 -> 4096: longest sealed value it will emit
                                     (save fails E_COOKIE_SIZE past it) or accept   */
    dynsess_rng rng;              /* {0} -> OS CSPRNG (nonces)                       */
    dynsess_allocator allocator;  /* {0} -> DYNSESS_MALLOC / DYNSESS_FREE            */
} dynsess_cookie_desc;

/* Creates a sealed-cookie store. Keeps only the derived keys (never the
   secrets) and wipes them on close. The store is immutable after creation:
   load/save may run from several threads at once (if desc->rng is
   thread-safe). Store behaviour:
     load: E_NOTFOUND for an empty, malformed, tampered, truncated, extended,
           wrong-version, wrong-key, wrong-cookie-name or expired value, with
           the reason in err->msg ("cookie: expired"); record.stale = 1 when
           opened with a secret other than secrets[0] (re-seal on save).
     save: puts the new cookie value in token_out; E_COOKIE_SIZE when it would
           be longer than max_cookie_len, E_RANDOM if the rng fails.
     destroy: nothing to delete (OK); touch: none (expiry lives in the seal).
   Errors: E_CONFIG (missing/short secret, bad allocator, empty cookie name;
   the message names the desc field), E_NOMEM. */
DYNSESS_DEF dynsess_status dynsess_store_cookie_new(const dynsess_cookie_desc *desc,
                                                    dynsess_store **out, dynsess_error *err);
