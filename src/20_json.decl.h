/* ======================================================================
   @json  strict RFC 8259 codec: parse into an arena-owned tree, write
          compact text; build and edit values
   Does: all values of a document live in its arena (dynsess_doc) and are
   freed together by dynsess_doc_free. Assumes: input is UTF-8; nesting is
   bounded by an explicit depth limit (no recursion on input depth).
   ====================================================================== */
typedef enum dynsess_json_type {
    DYNSESS_JSON_NULL = 0,
    DYNSESS_JSON_BOOL,
    DYNSESS_JSON_INT,     /* integer literal that fits int64_t: exact */
    DYNSESS_JSON_REAL,    /* any other number: a finite double */
    DYNSESS_JSON_STRING,  /* UTF-8, explicit length, may contain NUL */
    DYNSESS_JSON_ARRAY,
    DYNSESS_JSON_OBJECT   /* keys unique: on parse the last duplicate wins */
} dynsess_json_type;

typedef struct dynsess_value dynsess_value; /* opaque; owned by its doc */
typedef struct dynsess_doc dynsess_doc;     /* arena of values */

typedef struct dynsess_json_opts {
    uint32_t max_depth;   /* 0 -> 128: deeper input fails E_DEPTH */
    size_t max_len;       /* 0 -> 1 MiB (1048576): longer input fails E_LIMIT */
} dynsess_json_opts;

/* Creates an empty document. alloc may be 0. Free with dynsess_doc_free. */
DYNSESS_DEF dynsess_status dynsess_doc_new(const dynsess_allocator *alloc, dynsess_doc **out,
                                           dynsess_error *err);
/* Frees the document and every value in it. doc may be 0. */
DYNSESS_DEF void dynsess_doc_free(dynsess_doc *doc);

/* Parses len bytes of src into doc; *root is borrowed until doc is freed
   (src is copied: the caller may free it right away). Strict RFC 8259;
   duplicate keys: the last value wins, at the first key's position; a number
   beyond the double range (1e999) is an E_JSON error. Errors: E_JSON (message
   and err->offset give the byte offset), E_DEPTH, E_LIMIT, E_NOMEM, E_ARG. On
   error *root is 0 and doc is as before the call. opts may be 0. Not
   thread-safe for one doc; different docs are independent. */
DYNSESS_DEF dynsess_status dynsess_json_parse(dynsess_doc *doc, const char *src, size_t len,
                                              const dynsess_json_opts *opts, dynsess_value **root,
                                              dynsess_error *err);
/* Appends the compact serialization of v (0 writes null) to out. Doubles
   print so that they parse back to the same double, always with '.' or an
   exponent ("1.0"); strings escape only '"', '\\' and control characters.
   No recursion. Errors: E_NOMEM, E_LIMIT (out->limit), E_ARG; on error out is
   unchanged. Reads v only: several threads may write the same tree at once. */
DYNSESS_DEF dynsess_status dynsess_json_write(const dynsess_value *v, dynsess_buf *out,
                                              dynsess_error *err);

/* Appends s[0..len) to out as a quoted JSON string: '"', '\\' and control
   characters are escaped (\n, \t, ... or \u00XX), everything else is copied,
   including U+2028/U+2029 (valid JSON; escape them yourself before embedding
   the text in a <script> element). Errors: E_ARG if s is not valid UTF-8
   (err->offset = the bad byte), E_NOMEM, E_LIMIT. On error out is unchanged.
   Thread-safe (touches only out). For building request bodies by hand. */
DYNSESS_DEF dynsess_status dynsess_json_write_string(dynsess_buf *out, const char *s, size_t len,
                                                     dynsess_error *err);

/* ---- reading values (v may be 0: reads as null / 0 / empty) ----------- */
DYNSESS_DEF dynsess_json_type dynsess_value_type(const dynsess_value *v);
DYNSESS_DEF int dynsess_value_bool(const dynsess_value *v);        /* 0/1 */
DYNSESS_DEF int64_t dynsess_value_int(const dynsess_value *v);     /* REAL truncates */
DYNSESS_DEF double dynsess_value_real(const dynsess_value *v);     /* INT converts */
DYNSESS_DEF dynsess_str dynsess_value_str(const dynsess_value *v); /* borrowed */
DYNSESS_DEF size_t dynsess_value_len(const dynsess_value *v);      /* array/object size */
DYNSESS_DEF const dynsess_value *dynsess_array_at(const dynsess_value *arr, size_t i);
DYNSESS_DEF dynsess_str dynsess_object_key_at(const dynsess_value *obj, size_t i);
DYNSESS_DEF const dynsess_value *dynsess_object_value_at(const dynsess_value *obj, size_t i);
/* Member named key, or 0. */
DYNSESS_DEF const dynsess_value *dynsess_object_get(const dynsess_value *obj, const char *key,
                                                    size_t key_len);
/* 1 if a and b are the same JSON value (objects compare as unordered maps;
   INT 1 and REAL 1.0 differ; 0.0 equals -0.0). Values nested deeper than 32
   levels use a heap stack from the default allocator: if that fails, 0. */
DYNSESS_DEF int dynsess_value_equal(const dynsess_value *a, const dynsess_value *b);

/* ---- building values: allocated in doc; return 0 only on E_NOMEM -------- */
DYNSESS_DEF dynsess_value *dynsess_value_new_null(dynsess_doc *doc);
DYNSESS_DEF dynsess_value *dynsess_value_new_bool(dynsess_doc *doc, int b);
DYNSESS_DEF dynsess_value *dynsess_value_new_int(dynsess_doc *doc, int64_t i);
/* 0 also for NaN and infinities, which JSON cannot carry. */
DYNSESS_DEF dynsess_value *dynsess_value_new_real(dynsess_doc *doc, double d);
/* Copies the bytes. Fails (returns 0) on invalid UTF-8. */
DYNSESS_DEF dynsess_value *dynsess_value_new_string(dynsess_doc *doc, const char *s, size_t len);
DYNSESS_DEF dynsess_value *dynsess_value_new_array(dynsess_doc *doc);
DYNSESS_DEF dynsess_value *dynsess_value_new_object(dynsess_doc *doc);
/* Deep copy of v (from any doc) into doc; 0 on E_NOMEM. */
DYNSESS_DEF dynsess_value *dynsess_value_copy(dynsess_doc *doc, const dynsess_value *v);
/* Appends val (which must belong to doc, and must not contain arr) to arr.
   Errors: E_ARG, E_TYPE (arr is not an array), E_NOMEM (arr unchanged). */
DYNSESS_DEF dynsess_status dynsess_array_push(dynsess_doc *doc, dynsess_value *arr,
                                              dynsess_value *val, dynsess_error *err);
/* Sets obj[key] = val (val must belong to doc, and must not contain obj),
   replacing an existing member in place; the key is copied. Errors: E_ARG
   (also: key not valid UTF-8), E_TYPE, E_NOMEM (obj unchanged). */
DYNSESS_DEF dynsess_status dynsess_object_set(dynsess_doc *doc, dynsess_value *obj, const char *key,
                                              size_t key_len, dynsess_value *val,
                                              dynsess_error *err);
/* Removes obj[key]; returns 1 if it was there. Member order of the rest is kept. */
DYNSESS_DEF int dynsess_object_remove(dynsess_value *obj, const char *key, size_t key_len);
/* Removes every member of obj / element of arr. */
DYNSESS_DEF void dynsess_value_clear(dynsess_value *v);
