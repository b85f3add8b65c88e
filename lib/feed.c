/*
 * feed.c -- one line of a JSON Lines feed -> one article record (jansson).
 *
 * A record is an object with "id" (string or integer), "title" and "body"
 * (strings), and optional "date", "source", "url" and "author" strings;
 * other members are ignored.  jansson rejects invalid UTF-8, so every
 * string that comes out is valid UTF-8; control characters are cleaned as
 * decode.c cleans file text.
 *
 * Memory.  jansson (2.14) does not survive an allocation that fails while
 * it reads a string: its lexer drops the bytes it could not save, runs
 * past the end of its buffer and crashes, or reports "invalid token" for
 * a valid record.  So every allocation jansson makes while parsing a line
 * goes through a guard (its allocation hooks, chained to whatever hooks
 * were there): the guard records each block, and when an allocation fails
 * -- or the blocks alive pass the line's budget, PARSE_BUDGET(n) -- it
 * jumps back out of jansson (longjmp, as libpng reports errors), frees
 * every block the parse still held, and the line is "out of memory"
 * (NG_ESYSTEM: the run stops and keeps what is stored) or "needs too much
 * memory" (NG_EDATA: the line is skipped), never bad JSON.
 */
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Memory a line of n bytes may take while jansson parses it: a news
 * record's strings take about three times their text (the line, jansson's
 * buffer, the string); a line of many tiny values takes far more. */
#define PARSE_BUDGET(n) ((size_t)(n)*16 + ((size_t)64 << 20))

typedef struct block {
  void *p; /* NULL: free; TOMBSTONE: freed */
  size_t size;
} block;

#define TOMBSTONE ((void *)&tombstone_byte)
static char tombstone_byte;

typedef struct parse_guard {
  jmp_buf out;
  block *blocks; /* open addressing on the pointer */
  size_t cap, used, live_bytes, budget;
  int oom, over_budget;
} parse_guard;

static __thread parse_guard *guard;
static json_malloc_t next_malloc = malloc;
static json_free_t next_free = free;

static size_t slot_of(const parse_guard *g, const void *p) {
  return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull) & (g->cap - 1);
}

static int guard_grow(parse_guard *g) {
  size_t cap = g->cap ? g->cap * 2 : 256;
  block *b = calloc(cap, sizeof *b); /* not through jansson's hooks */
  if (!b) return -1;
  block *old = g->blocks;
  size_t oldcap = g->cap;
  g->blocks = b;
  g->cap = cap;
  g->used = 0;
  for (size_t i = 0; i < oldcap; i++) {
    if (!old[i].p || old[i].p == TOMBSTONE) continue;
    size_t k = slot_of(g, old[i].p);
    while (g->blocks[k].p) k = (k + 1) & (g->cap - 1);
    g->blocks[k] = old[i];
    g->used++;
  }
  free(old);
  return 0;
}

static void *guarded_malloc(size_t n) {
  parse_guard *g = guard;
  if (!g) return next_malloc(n);
  if (g->live_bytes + n > g->budget) {
    g->over_budget = 1;
    longjmp(g->out, 1);
  }
  void *p = (g->used + 1) * 2 > g->cap && guard_grow(g) != 0 ? NULL : next_malloc(n);
  if (!p) {
    g->oom = 1;
    longjmp(g->out, 1);
  }
  size_t k = slot_of(g, p);
  while (g->blocks[k].p && g->blocks[k].p != TOMBSTONE) k = (k + 1) & (g->cap - 1);
  if (!g->blocks[k].p) g->used++;
  g->blocks[k].p = p;
  g->blocks[k].size = n;
  g->live_bytes += n;
  return p;
}

static void guarded_free(void *p) {
  parse_guard *g = guard;
  if (g && p && g->cap) {
    for (size_t k = slot_of(g, p); g->blocks[k].p; k = (k + 1) & (g->cap - 1)) {
      if (g->blocks[k].p != p) continue;
      g->blocks[k].p = TOMBSTONE;
      g->live_bytes -= g->blocks[k].size;
      break;
    }
  }
  next_free(p);
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void install_hooks(void) {
  json_malloc_t m = NULL;
  json_free_t f = NULL;
  json_get_alloc_funcs(&m, &f);
  if (m && f && m != guarded_malloc) {
    next_malloc = m;
    next_free = f;
  }
  json_set_alloc_funcs(guarded_malloc, guarded_free);
}

/* json_loadb under the guard: the value, or NULL with *jerr set, or NULL
 * with *oom (allocation failed) or *over_budget set. */
static json_t *load_guarded(const char *line, size_t n, json_error_t *jerr, int *oom, int *over_budget) {
  pthread_once(&hooks_once, install_hooks);
  parse_guard g;
  memset(&g, 0, sizeof g);
  g.budget = PARSE_BUDGET(n);
  json_t *volatile obj = NULL;
  if (guard_grow(&g) != 0) {
    *oom = 1;
    return NULL;
  }
  guard = &g;
  if (setjmp(g.out) == 0) {
    obj = json_loadb(line, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, jerr);
  } else {
    /* Out of jansson half-way: what it held is freed here. */
    guard = NULL;
    for (size_t i = 0; i < g.cap; i++)
      if (g.blocks[i].p && g.blocks[i].p != TOMBSTONE) next_free(g.blocks[i].p);
    obj = NULL;
  }
  guard = NULL;
  *oom = g.oom;
  *over_budget = g.over_budget;
  free(g.blocks);
  return obj;
}

void ngi_feed_record_free(feed_record *r) {
  free(r->id);
  free(r->title);
  free(r->body);
  free(r->date);
  free(r->source);
  free(r->url);
  free(r->author);
  memset(r, 0, sizeof *r);
}

/* Copies member key as a clean string into *out; 0 ok or absent, -1 wrong type, -2 memory. */
static int take_string(json_t *obj, const char *key, char **out) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_string(v)) return -1;
  size_t n = json_string_length(v);
  char *s = malloc(n + 1);
  if (!s) return -2;
  memcpy(s, json_string_value(v), n);
  s[n] = '\0';
  /* A NUL inside a JSON string ("\u0000") becomes a space, as other
   * control characters do. */
  ngi_decode_clean(s, n);
  *out = s;
  return 0;
}

/* An id names a document ("feed#id"): it must print on one line, with no
 * C0 or C1 control character (U+0080-U+009F is C2 80-C2 9F in UTF-8). */
static int has_control(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 || *p == 0x7F) return 1;
    if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) return 1;
  }
  return 0;
}

int ngi_feed_parse(const char *line, size_t n, feed_record *rec, char *err, size_t errlen) {
  memset(rec, 0, sizeof *rec);
  size_t i = 0;
  while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) i++;
  if (i == n) return NG_DONE;
  json_error_t jerr;
  int oom = 0, over_budget = 0;
  json_t *obj = load_guarded(line, n, &jerr, &oom, &over_budget);
  if (!obj && oom) {
    snprintf(err, errlen, "out of memory");
    return NG_ESYSTEM;
  }
  if (!obj && over_budget) {
    snprintf(err, errlen, "needs more than %zu MiB of memory to parse (not an article's JSON)", PARSE_BUDGET(n) >> 20);
    return NG_EDATA;
  }
  if (!obj && json_error_code(&jerr) == json_error_out_of_memory) {
    snprintf(err, errlen, "out of memory");
    return NG_ESYSTEM;
  }
  if (!obj) {
    snprintf(err, errlen, "not JSON: %s", jerr.text);
    return NG_EDATA;
  }
  int rc = NG_OK;
  if (!json_is_object(obj)) {
    snprintf(err, errlen, "not a JSON object");
    rc = NG_EDATA;
    goto done;
  }
  json_t *id = json_object_get(obj, "id");
  char num[32];
  if (json_is_integer(id)) {
    snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    rec->id = strdup(num);
  } else if (json_is_string(id) && json_string_length(id) > 0 && json_string_length(id) <= 512 &&
             strlen(json_string_value(id)) == json_string_length(id) &&
             ngi_utf8_valid_prefix(json_string_value(id), json_string_length(id)) == json_string_length(id) &&
             !has_control(json_string_value(id))) {
    rec->id = strdup(json_string_value(id));
  } else {
    snprintf(err, errlen, "%s",
             id ? "field id is not a string or an integer of one line (or is too long)" : "missing field id");
    rc = NG_EDATA;
    goto done;
  }
  if (!rec->id) {
    rc = NG_ESYSTEM;
    goto done;
  }
  static const char *const names[] = {"title", "body", "date", "source", "url", "author"};
  char **slots[] = {&rec->title, &rec->body, &rec->date, &rec->source, &rec->url, &rec->author};
  for (int k = 0; k < 6; k++) {
    int r = take_string(obj, names[k], slots[k]);
    if (r == -2) {
      rc = NG_ESYSTEM;
      goto done;
    }
    if (r == -1) {
      snprintf(err, errlen, "field %s is not a string", names[k]);
      rc = NG_EDATA;
      goto done;
    }
  }
  if (!rec->title || !rec->body) {
    snprintf(err, errlen, "missing field %s", rec->title ? "body" : "title");
    rc = NG_EDATA;
  }
done:
  json_decref(obj);
  if (rc != NG_OK) {
    if (rc == NG_ESYSTEM) snprintf(err, errlen, "out of memory");
    ngi_feed_record_free(rec);
  }
  return rc;
}
