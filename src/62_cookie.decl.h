/* ----------------------------------------------------------------------
   @store >cookie  the sealed-cookie store (the default store)
   The whole session travels in the cookie, sealed with XChaCha20-Poly1305
   under a key derived (HKDF-SHA256) from the first secret; any secret opens.
   ---------------------------------------------------------------------- */
#define DYNSESS_MAX_SECRETS 4
#define DYNSESS_MIN_SECRET_LEN 32

typedef struct dynsess_cookie_desc {
    dynsess_str secrets[DYNSESS_MAX_SECRETS]; /* [0] seals, all open; each >= 32 bytes,
                                                 none or shorter -> E_CONFIG          */
    const char *cookie_name;      /* 0 -> "session"; bound into the seal             */
    size_t max_cookie_len;        /* 0 -> 4096: longest sealed value it will emit    */
    dynsess_rng rng;              /* {0} -> OS CSPRNG (nonces)                       */
    dynsess_allocator allocator;  /* {0} -> DYNSESS_MALLOC / DYNSESS_FREE            */
} dynsess_cookie_desc;

/* Creates a sealed-cookie store. Copies the secrets (and wipes its copies on
   close). Errors: E_CONFIG (missing/short secret), E_NOMEM. */
DYNSESS_DEF dynsess_status dynsess_store_cookie_new(const dynsess_cookie_desc *desc,
                                                    dynsess_store **out, dynsess_error *err);
