/* ----------------------------------------------------------------------
   @store >memory  implementation: chained hash table (seeded hash) plus a
   binary min-heap on expires_at, which gives the sweep and the eviction
   victim (the record that expires soonest) in O(log n).
   Assumes: POSIX threads for the optional mutex.
   ---------------------------------------------------------------------- */
#include <pthread.h>

typedef struct dynsess__mem_entry {
    struct dynsess__mem_entry *next; /* hash chain */
    uint64_t hash;
    size_t heap_idx;
    int64_t created_at, expires_at, version;
    char *data;
    size_t data_len;
    char *token;                     /* points just after the struct */
    size_t token_len;
} dynsess__mem_entry;

typedef struct dynsess__mem_store {
    dynsess_store base;              /* first: the vtable */
    dynsess_allocator alloc;
    size_t max_sessions;
    int thread_safe;
    pthread_mutex_t mu;
    dynsess__mem_entry **buckets;
    size_t nbuckets;                 /* power of two */
    dynsess__mem_entry **heap;
    size_t heap_cap;
    size_t count;                    /* also the heap's length */
    uint64_t seed;
} dynsess__mem_store;

static void dynsess__mem_lock(dynsess__mem_store *m) {
    if (m->thread_safe) pthread_mutex_lock(&m->mu);
}
static void dynsess__mem_unlock(dynsess__mem_store *m) {
    if (m->thread_safe) pthread_mutex_unlock(&m->mu);
}

/* FNV-1a over the seed and the bytes, then a 64-bit finalizer (splitmix). The
   seed is random per store, so a client cannot aim ids at one chain. */
static uint64_t dynsess__mem_hash(uint64_t seed, const char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 30; h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27; h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

/* ---- heap on expires_at ----------------------------------------------- */
static void dynsess__mem_heap_set(dynsess__mem_store *m, size_t i, dynsess__mem_entry *e) {
    m->heap[i] = e;
    e->heap_idx = i;
}
static void dynsess__mem_sift_up(dynsess__mem_store *m, size_t i) {
    dynsess__mem_entry *e = m->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (m->heap[parent]->expires_at <= e->expires_at) break;
        dynsess__mem_heap_set(m, i, m->heap[parent]);
        i = parent;
    }
    dynsess__mem_heap_set(m, i, e);
}
static void dynsess__mem_sift_down(dynsess__mem_store *m, size_t i) {
    dynsess__mem_entry *e = m->heap[i];
    size_t n = m->count;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && m->heap[c + 1]->expires_at < m->heap[c]->expires_at) c++;
        if (e->expires_at <= m->heap[c]->expires_at) break;
        dynsess__mem_heap_set(m, i, m->heap[c]);
        i = c;
    }
    dynsess__mem_heap_set(m, i, e);
}
static void dynsess__mem_heap_fix(dynsess__mem_store *m, size_t i) {
    if (i > 0 && m->heap[(i - 1) / 2]->expires_at > m->heap[i]->expires_at)
        dynsess__mem_sift_up(m, i);
    else
        dynsess__mem_sift_down(m, i);
}

/* ---- entries ------------------------------------------------------------ */
static void dynsess__mem_entry_free(dynsess__mem_store *m, dynsess__mem_entry *e) {
    if (e->data) {
        dynsess_wipe(e->data, e->data_len);
        dynsess__free(&m->alloc, e->data);
    }
    dynsess_wipe(e->token, e->token_len);
    dynsess__free(&m->alloc, e);
}

static dynsess__mem_entry **dynsess__mem_slot(dynsess__mem_store *m, uint64_t h, const char *tok,
                                              size_t n) {
    dynsess__mem_entry **pp = &m->buckets[h & (m->nbuckets - 1)];
    while (*pp) {
        dynsess__mem_entry *e = *pp;
        if (e->hash == h && e->token_len == n && memcmp(e->token, tok, n) == 0) return pp;
        pp = &e->next;
    }
    return pp;
}

/* Unlinks e from its chain and the heap, and frees it. */
static void dynsess__mem_remove(dynsess__mem_store *m, dynsess__mem_entry *e) {
    dynsess__mem_entry **pp = dynsess__mem_slot(m, e->hash, e->token, e->token_len);
    size_t i = e->heap_idx;
    *pp = e->next;
    m->count--;
    if (i != m->count) {
        dynsess__mem_heap_set(m, i, m->heap[m->count]);
        dynsess__mem_heap_fix(m, i);
    }
    dynsess__mem_entry_free(m, e);
}

static size_t dynsess__mem_sweep_locked(dynsess__mem_store *m, int64_t now) {
    size_t n = 0;
    while (m->count && m->heap[0]->expires_at <= now) {
        dynsess__mem_remove(m, m->heap[0]);
        n++;
    }
    return n;
}

/* Doubles the bucket array; on OOM keeps the old one (chains get longer). */
static void dynsess__mem_grow_buckets(dynsess__mem_store *m) {
    size_t n = m->nbuckets * 2, i, bytes;
    dynsess__mem_entry **nb;
    if (!dynsess__size_mul(n, sizeof *nb, &bytes)) return;
    nb = (dynsess__mem_entry **)dynsess__alloc(&m->alloc, bytes);
    if (!nb) return;
    memset(nb, 0, bytes);
    for (i = 0; i < m->nbuckets; i++) {
        dynsess__mem_entry *e = m->buckets[i];
        while (e) {
            dynsess__mem_entry *next = e->next;
            size_t j = (size_t)(e->hash & (n - 1));
            e->next = nb[j];
            nb[j] = e;
            e = next;
        }
    }
    dynsess__free(&m->alloc, m->buckets);
    m->buckets = nb;
    m->nbuckets = n;
}

/* Finds the live record for tok; an expired one is dropped (lazy expiry).
   *expired tells which case gave 0. */
static dynsess__mem_entry *dynsess__mem_find(dynsess__mem_store *m, dynsess_str tok, int64_t now,
                                             int *expired) {
    uint64_t h = dynsess__mem_hash(m->seed, tok.ptr, tok.len);
    dynsess__mem_entry *e = *dynsess__mem_slot(m, h, tok.ptr, tok.len);
    *expired = 0;
    if (e && e->expires_at <= now) {
        dynsess__mem_remove(m, e);
        *expired = 1;
        return 0;
    }
    return e;
}

/* ---- vtable --------------------------------------------------------------- */
static dynsess_status dynsess__mem_load(dynsess_store *st, dynsess_str token, int64_t now,
                                        dynsess_record *out, dynsess_error *err) {
    dynsess__mem_store *m = (dynsess__mem_store *)st;
    dynsess__mem_entry *e;
    dynsess_status rc = DYNSESS_OK;
    int expired;
    if (!token.len) return dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                                         "memory: no such session");
    dynsess__mem_lock(m);
    e = dynsess__mem_find(m, token, now, &expired);
    if (!e) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                           expired ? "memory: session expired" : "memory: no such session");
        goto done;
    }
    dynsess_buf_reset(&out->data);
    rc = dynsess_buf_append(&out->data, e->data, e->data_len, err);
    if (rc) goto done;
    out->created_at = e->created_at;
    out->expires_at = e->expires_at;
    out->version = e->version;
    out->stale = 0;
done:
    dynsess__mem_unlock(m);
    return rc;
}

static dynsess_status dynsess__mem_save(dynsess_store *st, const dynsess_write *w, int64_t now,
                                        dynsess_buf *token_out, dynsess_error *err) {
    dynsess__mem_store *m = (dynsess__mem_store *)st;
    dynsess__mem_entry *fresh = 0, *e, **pp;
    char *data = 0;
    size_t bytes;
    uint64_t h;
    dynsess_status rc = DYNSESS_OK;
    int expired, locked = 0;
    (void)token_out;
    if (!w || !w->token.len || (w->data.len && !w->data.ptr))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "memory: save needs a token");
    /* allocate before locking: an OOM changes nothing */
    data = (char *)dynsess__alloc(&m->alloc, w->data.len);
    if (!data) return dynsess__fail_nomem(err, "memory");
    if (w->data.len) memcpy(data, w->data.ptr, w->data.len);
    if (w->is_new) {
        if (!dynsess__size_add(sizeof *fresh, w->token.len, &bytes)) {
            rc = dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "memory: token too long");
            goto done;
        }
        fresh = (dynsess__mem_entry *)dynsess__alloc(&m->alloc, bytes);
        if (!fresh) { rc = dynsess__fail_nomem(err, "memory"); goto done; }
        memset(fresh, 0, sizeof *fresh);
        fresh->token = (char *)(fresh + 1);
        fresh->token_len = w->token.len;
        memcpy(fresh->token, w->token.ptr, w->token.len);
        fresh->hash = dynsess__mem_hash(m->seed, w->token.ptr, w->token.len);
    }
    dynsess__mem_lock(m);
    locked = 1;
    e = dynsess__mem_find(m, w->token, now, &expired);
    if (!w->is_new) {
        if (!e) {
            rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET,
                               expired ? "memory: session expired" : "memory: no such session");
            goto done;
        }
        if (w->version && w->version != e->version) {
            rc = dynsess__fail(err, DYNSESS_E_CONFLICT, DYNSESS_NO_OFFSET,
                               "memory: version %lld is not the stored %lld",
                               (long long)w->version, (long long)e->version);
            goto done;
        }
        if (e->data) { dynsess_wipe(e->data, e->data_len); dynsess__free(&m->alloc, e->data); }
        e->data = data;
        e->data_len = w->data.len;
        data = 0;
        e->version++;
        e->expires_at = w->expires_at;
        dynsess__mem_heap_fix(m, e->heap_idx);
        goto done;
    }
    if (e) {
        rc = dynsess__fail(err, DYNSESS_E_EXISTS, DYNSESS_NO_OFFSET, "memory: session id taken");
        goto done;
    }
    /* amortized clean-up: each create drops up to two expired records, so dead
       sessions do not pile up until the store is full (no timer needed) */
    if (m->count && m->heap[0]->expires_at <= now) dynsess__mem_remove(m, m->heap[0]);
    if (m->count && m->heap[0]->expires_at <= now) dynsess__mem_remove(m, m->heap[0]);
    if (m->count >= m->max_sessions) {
        /* eviction rule: expired first, then the record that expires soonest */
        dynsess__mem_sweep_locked(m, now);
        while (m->count >= m->max_sessions) dynsess__mem_remove(m, m->heap[0]);
    }
    if (m->count == m->heap_cap) {
        size_t cap = m->heap_cap ? m->heap_cap * 2 : 16;
        dynsess__mem_entry **nh;
        if (cap > m->max_sessions) cap = m->max_sessions;
        if (!dynsess__size_mul(cap, sizeof *nh, &bytes)) {
            rc = dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "memory: too many sessions");
            goto done;
        }
        nh = (dynsess__mem_entry **)dynsess__realloc(&m->alloc, m->heap,
                                                     m->heap_cap * sizeof *nh, bytes);
        if (!nh) { rc = dynsess__fail_nomem(err, "memory"); goto done; }
        m->heap = nh;
        m->heap_cap = cap;
    }
    if (m->count + 1 > m->nbuckets / 4 * 3) dynsess__mem_grow_buckets(m);
    fresh->data = data;
    fresh->data_len = w->data.len;
    data = 0;
    fresh->created_at = w->created_at;
    fresh->expires_at = w->expires_at;
    fresh->version = 1;
    h = fresh->hash;
    pp = &m->buckets[h & (m->nbuckets - 1)];
    fresh->next = *pp;
    *pp = fresh;
    m->heap[m->count] = fresh;
    fresh->heap_idx = m->count;
    m->count++;
    dynsess__mem_sift_up(m, fresh->heap_idx);
    fresh = 0;
done:
    if (locked) dynsess__mem_unlock(m);
    if (data) { dynsess_wipe(data, w->data.len); dynsess__free(&m->alloc, data); }
    if (fresh) dynsess__mem_entry_free(m, fresh);
    return rc;
}

static dynsess_status dynsess__mem_destroy(dynsess_store *st, dynsess_str token,
                                           dynsess_error *err) {
    dynsess__mem_store *m = (dynsess__mem_store *)st;
    dynsess__mem_entry *e;
    (void)err;
    if (!token.len) return DYNSESS_OK;
    dynsess__mem_lock(m);
    e = *dynsess__mem_slot(m, dynsess__mem_hash(m->seed, token.ptr, token.len), token.ptr,
                           token.len);
    if (e) dynsess__mem_remove(m, e);
    dynsess__mem_unlock(m);
    return DYNSESS_OK;
}

static dynsess_status dynsess__mem_touch(dynsess_store *st, dynsess_str token, int64_t expires_at,
                                         int64_t now, dynsess_error *err) {
    dynsess__mem_store *m = (dynsess__mem_store *)st;
    dynsess__mem_entry *e;
    dynsess_status rc = DYNSESS_OK;
    int expired;
    dynsess__mem_lock(m);
    e = token.len ? dynsess__mem_find(m, token, now, &expired) : 0;
    if (!e) {
        rc = dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "memory: no such session");
    } else {
        e->expires_at = expires_at;
        dynsess__mem_heap_fix(m, e->heap_idx);
    }
    dynsess__mem_unlock(m);
    return rc;
}

static void dynsess__mem_close(dynsess_store *st) {
    dynsess__mem_store *m = (dynsess__mem_store *)st;
    size_t i;
    dynsess_allocator a = m->alloc;
    for (i = 0; i < m->count; i++) dynsess__mem_entry_free(m, m->heap[i]);
    dynsess__free(&a, m->heap);
    dynsess__free(&a, m->buckets);
    if (m->thread_safe) pthread_mutex_destroy(&m->mu);
    dynsess__free(&a, m);
}

static const dynsess_store_vt dynsess__mem_vt = {
    "memory", 0u, dynsess__mem_load, dynsess__mem_save, dynsess__mem_destroy,
    dynsess__mem_touch, dynsess__mem_close
};

DYNSESS_DEF dynsess_status dynsess_store_memory_new(const dynsess_memory_desc *desc,
                                                    dynsess_store **out, dynsess_error *err) {
    dynsess_memory_desc d;
    dynsess__mem_store *m;
    dynsess_status rc;
    uint64_t seed = 0;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "memory: out is 0");
    *out = 0;
    if (desc) d = *desc;
    else memset(&d, 0, sizeof d);
    if (!dynsess__allocator_valid(&d.allocator))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "memory: allocator needs both alloc and free "
                             "(dynsess_memory_desc.allocator)");
    DYNSESS__DEF(d.max_sessions, 10000);
    rc = dynsess_random_bytes(&seed, sizeof seed, err);
    if (rc) return rc;
    m = (dynsess__mem_store *)dynsess__alloc(&d.allocator, sizeof *m);
    if (!m) return dynsess__fail_nomem(err, "memory");
    memset(m, 0, sizeof *m);
    m->base.vt = &dynsess__mem_vt;
    m->alloc = d.allocator;
    m->max_sessions = d.max_sessions;
    m->thread_safe = d.thread_safe ? 1 : 0;
    m->seed = seed;
    m->nbuckets = 64;
    m->buckets = (dynsess__mem_entry **)dynsess__alloc(&m->alloc, m->nbuckets * sizeof *m->buckets);
    if (!m->buckets) {
        dynsess__free(&d.allocator, m);
        return dynsess__fail_nomem(err, "memory");
    }
    memset(m->buckets, 0, m->nbuckets * sizeof *m->buckets);
    if (m->thread_safe && pthread_mutex_init(&m->mu, 0) != 0) {
        dynsess__free(&d.allocator, m->buckets);
        dynsess__free(&d.allocator, m);
        return dynsess__fail(err, DYNSESS_E_INTERNAL, DYNSESS_NO_OFFSET,
                             "memory: pthread_mutex_init failed");
    }
    *out = &m->base;
    return DYNSESS_OK;
}

static dynsess__mem_store *dynsess__mem_cast(dynsess_store *st) {
    return (st && st->vt == &dynsess__mem_vt) ? (dynsess__mem_store *)st : 0;
}

DYNSESS_DEF size_t dynsess_store_memory_sweep(dynsess_store *st, int64_t now) {
    dynsess__mem_store *m = dynsess__mem_cast(st);
    size_t n;
    if (!m) return 0;
    dynsess__mem_lock(m);
    n = dynsess__mem_sweep_locked(m, now);
    dynsess__mem_unlock(m);
    return n;
}

DYNSESS_DEF size_t dynsess_store_memory_count(dynsess_store *st) {
    dynsess__mem_store *m = dynsess__mem_cast(st);
    size_t n;
    if (!m) return 0;
    dynsess__mem_lock(m);
    n = m->count;
    dynsess__mem_unlock(m);
    return n;
}
