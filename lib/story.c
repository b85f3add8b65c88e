/*
 * story.c -- whole stories: a document found by the name a person gives
 * it, read back with its passages (all of them, or the few around a hit),
 * and the index's change counter (ng_story_find, ng_story_get,
 * ng_index_changes).
 *
 * A feed record is stored as "<feed>//#<id>" (ingest.c) or "stdin#<id>";
 * a person writes "feed.jsonl:ID", with a relative path, so the name is
 * tried as given, as a cleaned path, and then split at each ':' in turn
 * until a stored record answers.  The story is one allocation's worth of
 * strings in a buffer, so it outlives the handle's next call.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define RECORD_SEP "//#"

struct story_box {
  ng_story story;
  buf strings;       /* every string of the story, NUL-separated */
  size_t *text_at;   /* offset of each passage's text in strings */
  ng_passage *items; /* the passages, texts set once strings stops moving */
  size_t n, cap;
};

/* The document at key: NG_ROW (id, kind), NG_DONE, or an error. */
static int lookup(ng_index *idx, const char *key, long long *id, int *kind) {
  return ngi_store_find_document(idx, key, id, kind);
}

/* A record "FEED:ID" or "FEED//#ID" as it is stored. */
static char *record_key(const char *feed, size_t feedlen, const char *id) {
  buf b = {0};
  char *f = ngi_strdup_n(feed, feedlen);
  if (!f) return NULL;
  if (strcmp(f, "stdin") == 0 || strcmp(f, "-") == 0) {
    ngi_buf_printf(&b, "stdin#%s", id);
  } else {
    char *clean = ngi_clean_path(f);
    if (clean) ngi_buf_printf(&b, "%s" RECORD_SEP "%s", clean, id);
    free(clean);
  }
  free(f);
  if (b.oom || !b.data) {
    ngi_buf_free(&b);
    return NULL;
  }
  return ngi_buf_detach(&b);
}

int ng_story_find(ng_index *idx, const char *where, long long *doc_id) {
  *doc_id = 0;
  if (!where || !*where) return ngi_fail(idx, NG_EUSAGE, "no story named");
  long long id = 0;
  int kind = 0, rc = lookup(idx, where, &id, &kind);
  char *key = NULL;
  if (rc == NG_DONE) {
    const char *sep = strstr(where, RECORD_SEP);
    key = sep ? record_key(where, (size_t)(sep - where), sep + strlen(RECORD_SEP)) : ngi_clean_path(where);
    if (!key) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
    rc = lookup(idx, key, &id, &kind);
  }
  /* FEED:ID, the feed's path itself perhaps holding a ':' */
  for (const char *c = strchr(where, ':'); rc == NG_DONE && c; c = strchr(c + 1, ':')) {
    if (c == where) continue;
    free(key);
    if (!(key = record_key(where, (size_t)(c - where), c + 1))) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
    rc = lookup(idx, key, &id, &kind);
  }
  free(key);
  if (rc == NG_DONE) return ngi_fail(idx, NG_DONE, "no story is stored at '%.300s'", where);
  if (rc != NG_ROW) return rc;
  if (kind == NGI_DOC_FEED)
    return ngi_fail(idx, NG_EUSAGE, "'%.300s' is a feed: its records are the stories (name one as FEED:ID)", where);
  *doc_id = id;
  return NG_OK;
}

static int add_passage(void *ctx, int ordinal, int kind, const char *text, int first, int last) {
  struct story_box *b = ctx;
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 16;
    ng_passage *p = realloc(b->items, cap * sizeof *p);
    size_t *at = p ? realloc(b->text_at, cap * sizeof *at) : NULL;
    if (p) b->items = p;
    if (!at) return NG_ESYSTEM;
    b->text_at = at;
    b->cap = cap;
  }
  ng_passage *p = &b->items[b->n];
  p->ordinal = ordinal;
  p->kind = kind;
  p->first_line = first;
  p->last_line = last;
  p->text = NULL;
  b->text_at[b->n++] = b->strings.len;
  ngi_buf_add(&b->strings, text, strlen(text) + 1);
  return b->strings.oom ? NG_ESYSTEM : NG_OK;
}

/* A copy of s in the story's buffer: its offset, or (size_t)-1 for NULL. */
static size_t keep(struct story_box *b, const char *s) {
  if (!s) return (size_t)-1;
  size_t at = b->strings.len;
  ngi_buf_add(&b->strings, s, strlen(s) + 1);
  return at;
}

int ng_story_get(ng_index *idx, long long doc_id, int from, int to, ng_story **out) {
  *out = NULL;
  struct story_box *b = calloc(1, sizeof *b);
  if (!b) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  ngi_doc_row row;
  buf strings = {0};
  /* One read transaction: the row and its passages at one commit. */
  int rc = ngi_store_read_begin(idx);
  int reading = rc == NG_OK;
  if (rc == NG_OK) rc = ngi_store_get_document(idx, doc_id, &row, &strings);
  if (rc == NG_EDATA) rc = ngi_fail(idx, NG_DONE, "no document %lld in the index", doc_id);
  size_t at[8];
  if (rc == NG_OK) {
    at[0] = keep(b, row.path);
    at[1] = keep(b, row.title ? row.title : "");
    at[2] = keep(b, row.dateline);
    at[3] = keep(b, row.date);
    at[4] = keep(b, row.source);
    at[5] = keep(b, row.url);
    at[6] = keep(b, row.author);
    rc = ngi_store_doc_times(idx, doc_id, &b->story.first_indexed_ns, &b->story.changed_ns, &b->story.change);
  }
  /* the dateline's day is not in the catalog row: read it from a hit row */
  ngi_hit_row hr;
  memset(&hr, 0, sizeof hr);
  if (rc == NG_OK) {
    int r = ngi_store_passage_range(idx, doc_id, from, to < 0 ? (int)NGI_MAX_ORDINAL : to, add_passage, b);
    if (r == NG_ESYSTEM && !idx->err[0]) r = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    rc = r;
  }
  if (rc == NG_OK && b->n) {
    int r = ngi_store_hit_row(idx, NGI_ROWID(doc_id, b->items[0].ordinal), &hr);
    at[7] = r == NG_ROW ? keep(b, hr.dateline_day) : (size_t)-1;
    if (r < 0) rc = r;
  } else {
    at[7] = (size_t)-1;
  }
  if (reading) ngi_store_read_end(idx);
  if (rc == NG_OK && b->strings.oom) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  if (rc == NG_OK) {
    const char *base = b->strings.data;
    const char **fields[8] = {&b->story.path,   &b->story.title, &b->story.dateline, &b->story.date,
                              &b->story.source, &b->story.url,   &b->story.author,   &b->story.dateline_day};
    for (int i = 0; i < 8; i++) *fields[i] = at[i] == (size_t)-1 ? NULL : base + at[i];
    for (size_t i = 0; i < b->n; i++) b->items[i].text = base + b->text_at[i];
    b->story.doc_id = doc_id;
    b->story.passages = b->items;
    b->story.npassages = b->n;
    *out = &b->story;
  } else {
    ng_story_free(&b->story);
  }
  ngi_buf_free(&strings);
  return rc;
}

void ng_story_free(ng_story *story) {
  if (!story) return;
  struct story_box *b = (struct story_box *)story; /* the story is the box's first member */
  ngi_buf_free(&b->strings);
  free(b->text_at);
  free(b->items);
  free(b);
}

int ng_index_changes(ng_index *idx, long long *last, char *lineage, size_t n) {
  return ngi_store_changes(idx, last, lineage, n);
}
