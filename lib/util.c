/*
 * util.c -- small containers and text helpers the other modules share.
 *
 * Owns nothing global.  buf is a growable byte buffer whose out-of-memory
 * state is sticky, so a run of appends is checked once.  strmap is an
 * open-addressing hash map with linear probing; it never shrinks and keeps
 * its load under 1/2.  The UTF-8 decoder is strict (no overlongs, no
 * surrogates), because everything stored must be valid UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

void ngi_buf_free(buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
}

void ngi_buf_reset(buf *b) {
  b->len = 0;
  b->oom = 0;
  if (b->data) b->data[0] = '\0';
}

int ngi_grow(void *items, size_t *cap, size_t need, size_t elem, size_t first) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : first ? first : 1;
  while (c < need) {
    if (c > SIZE_MAX / 2) return -1;
    c *= 2;
  }
  if (c > SIZE_MAX / elem) return -1;
  void *p;
  memcpy(&p, items, sizeof p); /* items is a T **: its pointer, read as such */
  p = realloc(p, c * elem);
  if (!p) return -1;
  memcpy(items, &p, sizeof p);
  *cap = c;
  return 0;
}

int ngi_buf_reserve(buf *b, size_t extra) {
  if (b->oom) return -1;
  if (b->len + extra + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) {
    if (cap > SIZE_MAX / 2) {
      b->oom = 1;
      return -1;
    }
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p) {
    b->oom = 1;
    return -1;
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

int ngi_buf_add(buf *b, const char *s, size_t n) {
  if (ngi_buf_reserve(b, n) != 0) return -1;
  if (n) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int ngi_buf_adds(buf *b, const char *s) { return ngi_buf_add(b, s, strlen(s)); }

int ngi_buf_addc(buf *b, char c) { return ngi_buf_add(b, &c, 1); }

int ngi_buf_printf(buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || ngi_buf_reserve(b, (size_t)n) != 0) return -1;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

char *ngi_buf_detach(buf *b) {
  char *p = b->data;
  if (!p) p = calloc(1, 1);
  b->data = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
  return p;
}

int ngi_strlist_add(strlist *l, const char *s) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    char **p = realloc(l->items, cap * sizeof *p);
    if (!p) return -1;
    l->items = p;
    l->cap = cap;
  }
  char *d = strdup(s);
  if (!d) return -1;
  l->items[l->n++] = d;
  return 0;
}

void ngi_strlist_free(strlist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}

/* A 64-bit hash that reads 8 bytes a step (multiply and rotate, with a
 * final avalanche), for map keys and content hashes.  Not cryptographic:
 * it only has to notice a changed file and spread keys. */
uint64_t ngi_hash(const void *data, size_t n) {
  const unsigned char *p = data;
  const uint64_t m1 = 0x9E3779B97F4A7C15ULL, m2 = 0xFF51AFD7ED558CCDULL;
  uint64_t h = m1 ^ (n * m2);
  while (n >= 8) {
    uint64_t k;
    memcpy(&k, p, 8);
    h ^= k * m2;
    h = ((h << 27) | (h >> 37)) * m1;
    p += 8;
    n -= 8;
  }
  if (n) {
    uint64_t k = 0;
    memcpy(&k, p, n);
    h ^= k * m2;
    h = ((h << 27) | (h >> 37)) * m1;
  }
  h ^= h >> 33;
  h *= m2;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ULL;
  h ^= h >> 33;
  return h;
}

static strmap_slot *find_slot(const strmap *m, const char *key, size_t klen, uint64_t h) {
  size_t mask = m->cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    strmap_slot *s = &m->slots[i];
    if (!s->key) return s;
    if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0) return s;
  }
}

void *ngi_map_get(const strmap *m, const char *key, size_t klen) {
  return ngi_map_get_hashed(m, key, klen, ngi_hash(key, klen));
}

void *ngi_map_get_hashed(const strmap *m, const char *key, size_t klen, uint64_t hash) {
  if (!m->cap) return NULL;
  strmap_slot *s = find_slot(m, key, klen, hash);
  return s->key ? s->value : NULL;
}

static int grow(strmap *m) {
  size_t cap = m->cap ? m->cap * 2 : 64;
  strmap_slot *slots = calloc(cap, sizeof *slots);
  if (!slots) return -1;
  strmap old = *m;
  m->slots = slots;
  m->cap = cap;
  for (size_t i = 0; i < old.cap; i++) {
    if (old.slots[i].key) *find_slot(m, old.slots[i].key, old.slots[i].klen, old.slots[i].hash) = old.slots[i];
  }
  free(old.slots);
  return 0;
}

int ngi_map_put(strmap *m, const char *key, size_t klen, void *value) {
  return ngi_map_put_hashed(m, key, klen, ngi_hash(key, klen), value);
}

int ngi_map_put_hashed(strmap *m, const char *key, size_t klen, uint64_t h, void *value) {
  if ((m->count + 1) * 2 > m->cap && grow(m) != 0) return -1;
  strmap_slot *s = find_slot(m, key, klen, h);
  if (s->key) {
    s->value = value;
    return 0;
  }
  char *k = malloc(klen + 1);
  if (!k) return -1;
  memcpy(k, key, klen);
  k[klen] = '\0';
  s->key = k;
  s->klen = klen;
  s->hash = h;
  s->value = value;
  m->count++;
  return 0;
}

void ngi_map_clear(strmap *m, void (*free_value)(void *)) {
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->slots[i].key) continue;
    free(m->slots[i].key);
    if (free_value) free_value(m->slots[i].value);
  }
  free(m->slots);
  m->slots = NULL;
  m->cap = m->count = 0;
}

size_t ngi_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
  if (n == 0) return 0;
  unsigned c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t v, min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    v = c & 0x1F;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    v = c & 0x0F;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    v = c & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

size_t ngi_utf8_valid_prefix(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    uint32_t cp;
    size_t k = ngi_utf8_decode(p + i, n - i, &cp);
    if (!k) break;
    i += k;
  }
  return i;
}

size_t ngi_utf8_length(const char *s, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++) {
    if (((unsigned char)s[i] & 0xC0) != 0x80) count++;
  }
  return count;
}

int ngi_buf_add_utf8(buf *b, uint32_t cp) {
  char out[4];
  size_t n;
  if (cp < 0x80) {
    out[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return ngi_buf_add(b, out, n);
}

char *ngi_clean_path(const char *path) {
  buf in = {0}, out = {0};
  if (path[0] != '/') {
    char *cwd = getcwd(NULL, 0);
    if (!cwd) return NULL;
    ngi_buf_adds(&in, cwd);
    ngi_buf_addc(&in, '/');
    free(cwd);
  }
  ngi_buf_adds(&in, path);
  if (in.oom) {
    ngi_buf_free(&in);
    return NULL;
  }
  /* Walk the components, keeping a stack in out. */
  const char *p = in.data;
  while (*p) {
    while (*p == '/') p++;
    const char *start = p;
    while (*p && *p != '/') p++;
    size_t n = (size_t)(p - start);
    if (n == 0 || (n == 1 && start[0] == '.')) continue;
    if (n == 2 && start[0] == '.' && start[1] == '.') {
      while (out.len > 0 && out.data[out.len - 1] != '/') out.len--;
      if (out.len > 0) out.len--;
      if (out.data) out.data[out.len] = '\0';
      continue;
    }
    ngi_buf_addc(&out, '/');
    ngi_buf_add(&out, start, n);
  }
  ngi_buf_free(&in);
  if (out.len == 0) ngi_buf_addc(&out, '/');
  if (out.oom) {
    ngi_buf_free(&out);
    return NULL;
  }
  return ngi_buf_detach(&out);
}

/* Characters that reorder, hide or break the text around them on a
 * terminal: the bidirectional marks, embeddings, overrides and isolates
 * (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069), zero-width
 * characters (U+200B-U+200D, U+2060, U+FEFF) and the line and paragraph
 * separators (U+2028, U+2029). */
static int hides_text(uint32_t cp) {
  return cp == 0x061C || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) || cp == 0x2060 ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

char *ng_display_string(const char *s) {
  buf b = {0};
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    /* a run of printable ASCII is copied whole */
    size_t run = i;
    while (run < n && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x7F && s[run] != '\\') run++;
    if (run > i) {
      ngi_buf_add(&b, s + i, run - i);
      i = run;
      continue;
    }
    unsigned char c = (unsigned char)s[i];
    uint32_t cp = 0;
    size_t k = c < 0x80 ? 1 : ngi_utf8_decode((const unsigned char *)s + i, n - i, &cp);
    if (c == '\n')
      ngi_buf_adds(&b, "\\n");
    else if (c == '\t')
      ngi_buf_adds(&b, "\\t");
    else if (c == '\\')
      ngi_buf_adds(&b, "\\\\");
    else if (c < 0x20 || c == 0x7F || k == 0 || (k == 2 && cp >= 0x80 && cp <= 0x9F)) {
      ngi_buf_printf(&b, "\\x%02X", c);
      k = 1;
    } else if (k > 1 && hides_text(cp)) {
      ngi_buf_printf(&b, "\\u%04X", (unsigned)cp);
    } else {
      ngi_buf_add(&b, s + i, k);
    }
    i += k ? k : 1;
  }
  return b.oom ? (ngi_buf_free(&b), NULL) : ngi_buf_detach(&b);
}

char *ngi_strdup_n(const char *s, size_t n) {
  if (!s) return NULL;
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/* The handle's error message: every module sets it through this. */
int ngi_fail(ng_index *idx, int code, const char *fmt, ...) {
  if (!idx) return code;
  idx->err_code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(idx->err, sizeof idx->err, fmt, ap);
  va_end(ap);
  return code;
}

/* SQLite's error log: every statement that fails is reported there, with
 * its code, even when the caller goes on (an FTS5 snippet, a page read by
 * a query that still returns).  The damage it reports is counted, so that
 * a search can say once that the index is damaged. */
static long long damage_count;
static char damage_text[256];

static void on_sqlite_log(void *ctx, int code, const char *message) {
  (void)ctx;
  if ((code & 0xFF) != SQLITE_CORRUPT && (code & 0xFF) != SQLITE_NOTADB) return;
  if (__atomic_fetch_add(&damage_count, 1, __ATOMIC_SEQ_CST) == 0)
    snprintf(damage_text, sizeof damage_text, "%s", message ? message : "");
}

void ngi_watch_damage(void) { sqlite3_config(SQLITE_CONFIG_LOG, on_sqlite_log, (void *)NULL); }

long long ngi_damage_count(void) { return __atomic_load_n(&damage_count, __ATOMIC_SEQ_CST); }

const char *ng_index_damage(const ng_index *idx) {
  if (!idx || ngi_damage_count() <= idx->damage_seen) return NULL;
  return damage_text[0] ? damage_text : "database corruption";
}
