/*
 * postings.c -- the scoring structure beside FTS5: per-term postings with
 * term frequencies, passage lengths and block maxima, and the statistics
 * BM25 needs, kept in the same SQLite file and the same transactions as
 * the FTS5 index, so a kill can never leave the two out of step.
 *
 * FTS5 stays the store of record (passages, positions, phrase and NEAR
 * matching, snippets).  What it cannot do is stop early: its ORDER BY rank
 * calls the rank function for every match and sorts them all.  This
 * structure is what the top-k evaluator (engine.c) reads instead, the
 * shape Lucene and Xapian give theirs:
 *  - every passage gets a dense number, its pno, in the order it is stored;
 *    a changed document gets new pnos (its old ones die);
 *  - each batch (transaction) writes its postings as one segment: terms in
 *    byte order, each term's postings in pno order in blocks of up to
 *    BLOCK postings, each block with the largest term frequency and the
 *    smallest passage length in it (Ding & Suel's block-max bounds, the
 *    (freq, norm) impacts of Lucene, reduced to one corner), so a block
 *    that cannot reach the top k is skipped without being decoded;
 *  - segments are byte streams cut into pages of PAGE_BYTES stored as
 *    rows, with a directory row for the first term starting in each page
 *    (the layout of FTS5's own segments, fts5_index.c), so rows grow with
 *    bytes, not with terms times batches;
 *  - segments of one level are merged into one of the next when there are
 *    MERGE_FANOUT of them (a tiered merge, as Lucene's), dropping the
 *    postings of dead passages;
 *  - deletions are pno ranges (a document's passages are consecutive) and,
 *    per term, the number of dead postings still in segments, so a term's
 *    document frequency is exact: the postings its segments count minus
 *    its dead ones.  The terms of a deleted passage come from FTS5 itself,
 *    which tokenizes the stored text of every row it deletes;
 *  - a directory of pno -> (rowid, date key) in chunks of PDIR_CHUNK
 *    (npdir), read in place, 12 bytes a lookup;
 *  - the passages' lengths as one byte each (a SmallFloat-like code,
 *    ngi_len_code) in chunks (nlen), kept apart from the postings as
 *    Lucene keeps its norms, and cached by each handle.
 * What a posting holds: the pno (as a delta) and tf << 1 | headline; with
 * the length code of its passage that is all the engine needs to score.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

#include "internal.h"

#define BLOCK 128
#define PAGE_BYTES 4000
#define MERGE_FANOUT 8
#define PDIR_CHUNK 1024
#define PDIR_ENTRY 12 /* rowid (8 bytes), date key (4 bytes: days since 1970, or INT32_MIN) */

/* ------------------------------------------------------------------ */
/* Varints (LEB128, unsigned) */

/* Writes v at p (room for 10 bytes); returns the bytes written. */
static inline size_t varint_at(unsigned char *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (unsigned char)v;
  return n;
}

/* Reads a varint at *p (not past end); 0 when it is cut short. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
  uint64_t r = 0;
  int shift = 0;
  while (*p < end && shift < 64) {
    unsigned char c = *(*p)++;
    r |= (uint64_t)(c & 0x7F) << shift;
    if (!(c & 0x80)) {
      *v = r;
      return 1;
    }
    shift += 7;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* The batch: postings of the passages stored since the last commit */

typedef struct bposting {
  long long pno;
  int tf2; /* tf << 1 | headline */
  int len;
} bposting;

/* A term of the batch: its stem in the batch's arena, its postings in pno
 * order. */
typedef struct bterm {
  uint64_t hash;
  size_t stem_off, stemlen;
  bposting *p;
  size_t n, cap;
} bterm;

typedef struct pdir_entry {
  long long pno, rowid;
  int date;
  int len; /* its length's code */
} pdir_entry;

/* The terms of the passage FTS5 is tokenizing (an insert or a delete),
 * counted as its tokens arrive: stems copied into an arena, a small
 * open-addressing table of (hash, stem, tf). */
typedef struct pslot {
  uint64_t hash;
  size_t off, len;
  int tf;
} pslot;

struct ngi_postings {
  /* The batch's new postings: its terms in the order first met, their
   * stems one after another, and an open-addressing table of term numbers
   * + 1 (0: free) by hash.  No allocation a term but its postings. */
  bterm *terms;
  size_t nterms, capterms;
  uint32_t *term_slots;
  size_t term_cap;
  buf stems;
  pdir_entry *pdir;
  size_t npdir, cappdir;
  strmap dead_terms; /* stem -> (intptr) dead postings added in this batch */
  long long passages_delta, tokens_delta;
  int have_stats;
  long long passages, tokens, next_pno; /* as stored, read once per transaction */
  /* The passage being tokenized. */
  buf arena;
  pslot *slots;
  size_t cap, used;
  size_t *order; /* the used slots, in the order first met (cap / 2 of them at most) */
  int len, oom;
  /* The readers' copy of the passage lengths (one code a pno), loaded
   * once and extended as the index grows; only committed data is kept. */
  unsigned char *lens;
  size_t nlens, caplens;
  long long lens_version; /* ngi_store_version when loaded; -1: none */
};

/* Forgets the batch's terms, keeping the memory of the tables. */
static void clear_terms(ngi_postings *P) {
  for (size_t i = 0; i < P->nterms; i++) free(P->terms[i].p);
  P->nterms = 0;
  if (P->term_slots) memset(P->term_slots, 0, P->term_cap * sizeof *P->term_slots);
  ngi_buf_reset(&P->stems);
}

/* Grows an open-addressing table (*slots, *cap a power of two; each
 * slot holds an item's number + 1, 0 when free) to hold one more of the
 * n items of size bytes, when half full: twice as large (first: the
 * first size), every item placed again by the 64-bit hash it opens with
 * (bterm and cterm do).  0, or -1 when out of memory. */
static int slots_room(uint32_t **slots, size_t *cap, const void *items, size_t n, size_t size, size_t first) {
  if ((n + 1) * 2 <= *cap) return 0;
  size_t nc = *cap ? *cap * 2 : first;
  uint32_t *ns = calloc(nc, sizeof *ns);
  if (!ns) return -1;
  for (size_t i = 0; i < n; i++) {
    uint64_t h;
    memcpy(&h, (const char *)items + i * size, sizeof h);
    size_t k = (size_t)h & (nc - 1);
    while (ns[k]) k = (k + 1) & (nc - 1);
    ns[k] = (uint32_t)i + 1;
  }
  free(*slots);
  *slots = ns;
  *cap = nc;
  return 0;
}

/* The batch's term of stem (hash: ngi_hash of it), made when new; NULL
 * when out of memory.  The pointer lasts until the next call. */
static bterm *batch_term(ngi_postings *P, const char *stem, size_t len, uint64_t hash) {
  if (slots_room(&P->term_slots, &P->term_cap, P->terms, P->nterms, sizeof *P->terms, 4096) != 0) return NULL;
  size_t k = (size_t)hash & (P->term_cap - 1);
  for (; P->term_slots[k]; k = (k + 1) & (P->term_cap - 1)) {
    bterm *t = &P->terms[P->term_slots[k] - 1];
    if (t->hash == hash && t->stemlen == len && memcmp(P->stems.data + t->stem_off, stem, len) == 0) return t;
  }
  if (NGI_GROW(P->terms, P->capterms, P->nterms + 1, 2048) != 0) return NULL;
  bterm *t = &P->terms[P->nterms];
  *t = (bterm){hash, P->stems.len, len, NULL, 0, 0};
  if (ngi_buf_add(&P->stems, stem, len) != 0) return NULL;
  P->term_slots[k] = (uint32_t)++P->nterms;
  return t;
}

/* Room for k more postings in t. */
static int term_reserve(bterm *t, size_t k) { return NGI_GROW(t->p, t->cap, t->n + k, 4); }

static ngi_postings *postings_of(ng_index *idx) {
  if (!idx->post && (idx->post = calloc(1, sizeof *idx->post))) idx->post->lens_version = -1;
  return idx->post;
}

void ngi_postings_free(ng_index *idx) {
  ngi_postings *P = idx->post;
  if (!P) return;
  clear_terms(P);
  free(P->terms);
  free(P->term_slots);
  ngi_buf_free(&P->stems);
  ngi_map_clear(&P->dead_terms, NULL);
  ngi_buf_free(&P->arena);
  free(P->slots);
  free(P->order);
  free(P->pdir);
  free(P->lens);
  free(P);
  idx->post = NULL;
}

void ngi_postings_rollback(ng_index *idx) {
  ngi_postings *P = idx->post;
  if (!P) return;
  clear_terms(P);
  ngi_map_clear(&P->dead_terms, NULL);
  P->npdir = 0;
  P->passages_delta = P->tokens_delta = 0;
  P->have_stats = 0;
}

static int load_stats(ng_index *idx, ngi_postings *P) {
  if (P->have_stats) return NG_OK;
  int rc = ngi_store_stat_get(idx, "passages", &P->passages);
  if (rc == NG_OK) rc = ngi_store_stat_get(idx, "tokens", &P->tokens);
  if (rc == NG_OK) rc = ngi_store_stat_get(idx, "next_pno", &P->next_pno);
  if (rc == NG_OK) P->have_stats = 1;
  return rc;
}

int ngi_postings_reserve(ng_index *idx, long long n, long long *first_pno) {
  ngi_postings *P = postings_of(idx);
  if (!P) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  int rc = load_stats(idx, P);
  if (rc != NG_OK) return rc;
  *first_pno = P->next_pno;
  P->next_pno += n;
  return NG_OK;
}

static int count_token(void *ctx, const char *stem, int n, int colocated) {
  ngi_postings *P = ctx;
  if (!colocated) P->len++;
  if ((P->used + 1) * 2 > P->cap) {
    size_t cap = P->cap ? P->cap * 2 : 256;
    pslot *slots = calloc(cap, sizeof *slots);
    size_t *order = malloc(cap / 2 * sizeof *order);
    if (!slots || !order) {
      free(slots);
      free(order);
      P->oom = 1;
      return SQLITE_NOMEM;
    }
    for (size_t j = 0; j < P->used; j++) {
      const pslot *o = &P->slots[P->order[j]];
      size_t k = (size_t)o->hash & (cap - 1);
      while (slots[k].tf) k = (k + 1) & (cap - 1);
      slots[k] = *o;
      order[j] = k;
    }
    free(P->slots);
    free(P->order);
    P->slots = slots;
    P->order = order;
    P->cap = cap;
  }
  uint64_t h = ngi_hash(stem, (size_t)n);
  size_t k = (size_t)h & (P->cap - 1);
  for (;; k = (k + 1) & (P->cap - 1)) {
    pslot *s = &P->slots[k];
    if (!s->tf) {
      s->hash = h;
      s->off = P->arena.len;
      s->len = (size_t)n;
      s->tf = 1;
      P->order[P->used++] = k;
      if (ngi_buf_add(&P->arena, stem, (size_t)n) != 0) {
        P->oom = 1;
        return SQLITE_NOMEM;
      }
      return SQLITE_OK;
    }
    if (s->hash == h && s->len == (size_t)n && memcmp(P->arena.data + s->off, stem, (size_t)n) == 0) {
      s->tf++;
      return SQLITE_OK;
    }
  }
}

int ngi_postings_begin_passage(ng_index *idx) {
  ngi_postings *P = postings_of(idx);
  if (!P) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  int rc = load_stats(idx, P); /* a batch may only delete */
  if (rc != NG_OK) return rc;
  for (size_t j = 0; j < P->used; j++) P->slots[P->order[j]].tf = 0;
  P->used = 0;
  P->len = 0;
  P->oom = 0;
  ngi_buf_reset(&P->arena);
  ngi_tokens_capture(idx->lx, count_token, P);
  return NG_OK;
}

int ngi_postings_end_passage(ng_index *idx, long long pno, long long rowid, int date, int head) {
  ngi_postings *P = idx->post;
  ngi_tokens_capture(idx->lx, NULL, NULL);
  if (P->oom) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  int code = ngi_len_code(P->len);
  for (size_t j = 0; j < P->used; j++) {
    pslot *s = &P->slots[P->order[j]];
    bterm *t = batch_term(P, P->arena.data + s->off, s->len, s->hash);
    if (!t || term_reserve(t, 1) != 0) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
    t->p[t->n++] = (bposting){pno, s->tf << 1 | (head ? 1 : 0), code};
  }
  if (NGI_GROW(P->pdir, P->cappdir, P->npdir + 1, 1024) != 0) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  P->pdir[P->npdir++] = (pdir_entry){pno, rowid, date, code};
  P->passages_delta++;
  P->tokens_delta += P->len;
  return NG_OK;
}

int ngi_postings_end_delete(ng_index *idx, int deleted) {
  ngi_postings *P = idx->post;
  ngi_tokens_capture(idx->lx, NULL, NULL);
  if (P->oom) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  if (!deleted) return NG_OK;
  for (size_t j = 0; j < P->used; j++) {
    pslot *s = &P->slots[P->order[j]];
    const char *stem = P->arena.data + s->off;
    intptr_t n = (intptr_t)ngi_map_get(&P->dead_terms, stem, s->len);
    if (ngi_map_put(&P->dead_terms, stem, s->len, (void *)(n + 1)) != 0)
      return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  P->passages_delta--;
  P->tokens_delta -= P->len;
  return NG_OK;
}

/* ------------------------------------------------------------------ */
/* A document's postings counted ahead, on the indexing worker */

typedef struct cterm {
  uint64_t hash;
  size_t off, len; /* its stem in stems */
  size_t last;     /* its latest posting in post, while counting */
  uint32_t first;  /* finished: its postings are grouped[first, first + n) */
  uint32_t n;
} cterm;

typedef struct cposting {
  uint32_t term, passage;
  int tf;
} cposting;

typedef struct gposting {
  uint32_t passage;
  int tf;
} gposting;

struct ngi_counted {
  buf stems;
  cterm *terms; /* in the order first met */
  size_t nterms, capterms;
  uint32_t *slots; /* term number + 1 by hash, 0 free */
  size_t cap;
  cposting *post; /* in passage order */
  size_t npost, cappost;
  gposting *grouped; /* finished: by term, each term's in passage order */
  int *lens;         /* each passage's tokens (those taking a position) */
  unsigned char *heads;
  unsigned char *codes; /* finished: each passage's length code */
  size_t npassages, cappassages;
  int oom;
};

void ngi_counted_free(ngi_counted *c) {
  if (!c) return;
  ngi_buf_free(&c->stems);
  free(c->terms);
  free(c->slots);
  free(c->post);
  free(c->grouped);
  free(c->lens);
  free(c->heads);
  free(c->codes);
  free(c);
}

static int count_stream_token(void *ctx, const char *stem, int n, int colocated) {
  ngi_counted *c = ctx;
  uint32_t at = (uint32_t)(c->npassages - 1);
  if (!colocated) c->lens[at]++;
  if (slots_room(&c->slots, &c->cap, c->terms, c->nterms, sizeof *c->terms, 512) != 0) return SQLITE_NOMEM;
  uint64_t h = ngi_hash(stem, (size_t)n);
  size_t k = (size_t)h & (c->cap - 1);
  cterm *t = NULL;
  for (; c->slots[k]; k = (k + 1) & (c->cap - 1)) {
    cterm *x = &c->terms[c->slots[k] - 1];
    if (x->hash == h && x->len == (size_t)n && memcmp(c->stems.data + x->off, stem, (size_t)n) == 0) {
      t = x;
      break;
    }
  }
  if (t && c->post[t->last].passage == at) {
    c->post[t->last].tf++;
    return SQLITE_OK;
  }
  if (!t) {
    if (NGI_GROW(c->terms, c->capterms, c->nterms + 1, 256) != 0) return SQLITE_NOMEM;
    t = &c->terms[c->nterms];
    *t = (cterm){h, c->stems.len, (size_t)n, 0, 0, 0};
    if (ngi_buf_add(&c->stems, stem, (size_t)n) != 0) return SQLITE_NOMEM;
    c->slots[k] = (uint32_t)++c->nterms;
  }
  if (NGI_GROW(c->post, c->cappost, c->npost + 1, 512) != 0) return SQLITE_NOMEM;
  t->last = c->npost;
  t->n++;
  c->post[c->npost++] = (cposting){(uint32_t)(t - c->terms), at, 1};
  return SQLITE_OK;
}

int ngi_counted_passage(ngi_counted **out, const char *stream, size_t len, int head) {
  ngi_counted *c = *out;
  if (!c && !(c = *out = calloc(1, sizeof *c))) return NG_ESYSTEM;
  if (c->oom) return NG_ESYSTEM;
  if (c->npassages == c->cappassages) {
    size_t cap = c->cappassages ? c->cappassages * 2 : 16;
    int *lens = realloc(c->lens, cap * sizeof *lens);
    if (lens) c->lens = lens;
    unsigned char *heads = lens ? realloc(c->heads, cap) : NULL;
    if (heads) c->heads = heads;
    if (!lens || !heads) return c->oom = 1, NG_ESYSTEM;
    c->cappassages = cap;
  }
  c->lens[c->npassages] = 0;
  c->heads[c->npassages] = (unsigned char)(head != 0);
  c->npassages++;
  if (ngi_tokens_each(stream, len, count_stream_token, c) != SQLITE_OK) return c->oom = 1, NG_ESYSTEM;
  return NG_OK;
}

int ngi_counted_finish(ngi_counted *c) {
  if (c->oom || !(c->grouped = malloc((c->npost ? c->npost : 1) * sizeof *c->grouped)) ||
      !(c->codes = malloc(c->npassages ? c->npassages : 1)))
    return NG_ESYSTEM;
  for (size_t i = 0; i < c->npassages; i++) c->codes[i] = (unsigned char)ngi_len_code(c->lens[i]);
  /* A counting sort by term, stable: each term's postings stay in passage
   * order. */
  uint32_t at = 0;
  for (size_t i = 0; i < c->nterms; i++) {
    c->terms[i].first = at;
    at += c->terms[i].n;
    c->terms[i].n = 0;
  }
  for (size_t i = 0; i < c->npost; i++) {
    cterm *t = &c->terms[c->post[i].term];
    c->grouped[t->first + t->n++] = (gposting){c->post[i].passage, c->post[i].tf};
  }
  free(c->post);
  c->post = NULL;
  c->npost = c->cappost = 0;
  return NG_OK;
}

size_t ngi_counted_passages(const ngi_counted *c) { return c->npassages; }

int ngi_postings_add_counted(ng_index *idx, const ngi_counted *c, long long first_pno, long long doc, int base,
                             int date) {
  ngi_postings *P = postings_of(idx);
  if (!P) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  int rc = load_stats(idx, P);
  if (rc != NG_OK) return rc;
  if (!c->grouped) return ngi_fail(idx, NG_ESYSTEM, "internal error: postings counted but not finished");
  for (size_t i = 0; i < c->nterms; i++) {
    const cterm *ct = &c->terms[i];
    bterm *t = batch_term(P, c->stems.data + ct->off, ct->len, ct->hash);
    if (!t || term_reserve(t, ct->n) != 0) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
    for (const gposting *g = c->grouped + ct->first, *end = g + ct->n; g < end; g++)
      t->p[t->n++] = (bposting){first_pno + g->passage, g->tf << 1 | c->heads[g->passage], c->codes[g->passage]};
  }
  if (NGI_GROW(P->pdir, P->cappdir, P->npdir + c->npassages, 1024) != 0)
    return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  for (size_t i = 0; i < c->npassages; i++) {
    P->pdir[P->npdir++] =
        (pdir_entry){first_pno + (long long)i, NGI_ROWID(doc, (long long)i + base), date, c->codes[i]};
    P->tokens_delta += c->lens[i];
  }
  P->passages_delta += (long long)c->npassages;
  return NG_OK;
}

int ngi_postings_kill(ng_index *idx, long long first_pno, long long n) {
  if (n <= 0) return NG_OK;
  return ngi_store_dead_add(idx, first_pno, first_pno + n - 1);
}

/* ------------------------------------------------------------------ */
/* Writing a segment */

typedef struct seg_writer {
  ng_index *idx;
  long long seg;
  buf page;         /* the page being filled */
  long long pageno; /* its number */
  int page_has_dir; /* a record start of this page is in the directory */
  long long bytes;  /* written so far */
  buf prev_stem;    /* for prefix compression */
  int rc;
} seg_writer;

static void flush_page(seg_writer *w) {
  if (w->rc != NG_OK || w->page.len == 0) return;
  w->rc = ngi_store_page_put(w->idx, w->seg, w->pageno, w->page.data, w->page.len);
  w->pageno++;
  ngi_buf_reset(&w->page);
  w->page_has_dir = 0;
}

static void write_bytes(seg_writer *w, const char *data, size_t n) {
  while (n && w->rc == NG_OK) {
    size_t room = PAGE_BYTES - w->page.len;
    size_t k = n < room ? n : room;
    if (ngi_buf_add(&w->page, data, k) != 0) w->rc = ngi_fail(w->idx, NG_ESYSTEM, "out of memory");
    data += k;
    n -= k;
    w->bytes += (long long)k;
    if (w->page.len == PAGE_BYTES) flush_page(w);
  }
}

/* One term's record: stem, then the encoded rest (head of counts and
 * block table, then the blocks). */
static void write_record(seg_writer *w, const char *stem, size_t stemlen, const buf *body) {
  if (w->rc != NG_OK) return;
  int dir = !w->page_has_dir;
  size_t shared = 0;
  if (!dir)
    while (shared < stemlen && shared < w->prev_stem.len && w->prev_stem.data[shared] == stem[shared]) shared++;
  if (dir) {
    w->rc = ngi_store_dir_put(w->idx, w->seg, stem, stemlen, w->pageno, (int)w->page.len);
    w->page_has_dir = 1;
  }
  unsigned char head[30 + NGI_MAX_TOKEN];
  size_t n = varint_at(head, shared);
  n += varint_at(head + n, stemlen - shared);
  memcpy(head + n, stem + shared, stemlen - shared);
  n += stemlen - shared;
  n += varint_at(head + n, body->len);
  write_bytes(w, (const char *)head, n);
  write_bytes(w, body->data, body->len);
  ngi_buf_reset(&w->prev_stem);
  ngi_buf_add(&w->prev_stem, stem, stemlen);
}

/* A term's postings -> the record body: count, blocks, bounds, table,
 * data.  p holds n postings in pno order; data is scratch space.  The
 * varints are written in place, into room reserved once. */
static int encode_postings(const bposting *p, size_t n, buf *body, buf *data) {
  ngi_buf_reset(body);
  ngi_buf_reset(data);
  size_t nblocks = (n + BLOCK - 1) / BLOCK;
  /* a posting: a delta and maybe tf2 (10 + 5 bytes); a block: 4 varints */
  if (ngi_buf_reserve(data, n * 15) != 0 || ngi_buf_reserve(body, 40 + nblocks * 40) != 0) return -1;
  int max_tf2 = 0, min_len = -1;
  for (size_t i = 0; i < n; i++) {
    if ((p[i].tf2 >> 1) > (max_tf2 >> 1)) max_tf2 = (p[i].tf2 & ~1) | (max_tf2 & 1);
    max_tf2 |= p[i].tf2 & 1;
    if (min_len < 0 || p[i].len < min_len) min_len = p[i].len;
  }
  unsigned char *b = (unsigned char *)body->data, *d = (unsigned char *)data->data;
  size_t bl = 0, dl = 0;
  bl += varint_at(b + bl, n);
  bl += varint_at(b + bl, nblocks);
  bl += varint_at(b + bl, (uint64_t)max_tf2);
  bl += varint_at(b + bl, (uint64_t)(min_len < 0 ? 0 : min_len));
  long long prev = 0;
  for (size_t k = 0; k < nblocks; k++) {
    size_t lo = k * BLOCK, hi = lo + BLOCK < n ? lo + BLOCK : n;
    size_t start = dl;
    int bmax = 0, bmin = -1;
    long long block_prev = prev;
    for (size_t i = lo; i < hi; i++) {
      /* The delta, its low bit set when tf and kind are not the usual
       * (tf 1, body), then they follow.  (The passage's length is in the
       * lengths array, nlen, once a passage, as Lucene keeps its norms.) */
      int usual = p[i].tf2 == 2;
      dl += varint_at(d + dl, (uint64_t)(p[i].pno - block_prev) << 1 | (usual ? 0 : 1));
      if (!usual) dl += varint_at(d + dl, (uint64_t)p[i].tf2);
      block_prev = p[i].pno;
      if ((p[i].tf2 >> 1) > (bmax >> 1)) bmax = (p[i].tf2 & ~1) | (bmax & 1);
      bmax |= p[i].tf2 & 1;
      if (bmin < 0 || p[i].len < bmin) bmin = p[i].len;
    }
    bl += varint_at(b + bl, (uint64_t)(block_prev - prev)); /* the block's last pno */
    bl += varint_at(b + bl, dl - start);
    bl += varint_at(b + bl, (uint64_t)bmax);
    bl += varint_at(b + bl, (uint64_t)bmin);
    prev = block_prev;
  }
  body->len = bl;
  data->len = dl;
  return ngi_buf_add(body, data->data, dl) != 0 ? -1 : 0;
}

/* A batch term in the sort: the first 8 bytes of its stem, big-endian and
 * zero-padded, decide most comparisons without a memcmp (byte order all
 * the same: bytes 0..7 equal, the rest is compared, then the length). */
typedef struct sorted_term {
  uint64_t key;
  const char *stem;
  size_t len;
  const bterm *t;
} sorted_term;

static uint64_t stem_key(const char *s, size_t n) {
  uint64_t k = 0;
  for (size_t i = 0; i < 8; i++) k = k << 8 | (i < n ? (unsigned char)s[i] : 0);
  return k;
}

static int cmp_sorted(const void *a, const void *b) {
  const sorted_term *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = n > 8 ? memcmp(x->stem + 8, y->stem + 8, n - 8) : 0;
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* ------------------------------------------------------------------ */
/* Reading a segment's stream */

typedef struct seg_reader {
  ng_index *idx;
  long long seg;
  long long pageno; /* of the page held */
  buf page;
  long long off; /* absolute offset of the next byte */
  long long size;
  int rc;
  buf scratch; /* a record head across a page boundary */
} seg_reader;

/* Points the reader at another segment, keeping its buffers. */
static void reader_reset(seg_reader *r, ng_index *idx, long long seg, long long size) {
  r->idx = idx;
  r->seg = seg;
  r->pageno = -1;
  ngi_buf_reset(&r->page);
  r->off = 0;
  r->size = size;
  r->rc = NG_OK;
}

static void reader_free(seg_reader *r) {
  ngi_buf_free(&r->page);
  ngi_buf_free(&r->scratch);
}

static int reader_page(seg_reader *r, long long pageno) {
  if (r->pageno == pageno && r->page.len) return NG_OK;
  int rc = ngi_store_page_get(r->idx, r->seg, pageno, &r->page);
  if (rc != NG_OK) return rc;
  r->pageno = pageno;
  return NG_OK;
}

/* Copies n bytes at absolute offset off into out (appended). */
static int reader_read(seg_reader *r, long long off, size_t n, buf *out) {
  while (n) {
    long long pageno = off / PAGE_BYTES;
    size_t at = (size_t)(off % PAGE_BYTES);
    int rc = reader_page(r, pageno);
    if (rc != NG_OK) return rc;
    if (at >= r->page.len) return ngi_fail(r->idx, NG_EDATA, "index %s: a postings page is short", r->idx->path);
    size_t k = r->page.len - at < n ? r->page.len - at : n;
    if (ngi_buf_add(out, r->page.data + at, k) != 0) return ngi_fail(r->idx, NG_ESYSTEM, "out of memory");
    off += (long long)k;
    n -= k;
  }
  return NG_OK;
}

/* n bytes at absolute offset off: where they lie when the page holds them
 * whole, else copied into copy. */
static int reader_span(seg_reader *r, long long off, size_t n, buf *copy, const unsigned char **out) {
  size_t at = (size_t)(off % PAGE_BYTES);
  int rc = reader_page(r, off / PAGE_BYTES);
  if (rc != NG_OK) return rc;
  if (at + n <= r->page.len) {
    *out = (const unsigned char *)r->page.data + at;
    return NG_OK;
  }
  ngi_buf_reset(copy);
  if ((rc = reader_read(r, off, n, copy)) != NG_OK) return rc;
  *out = (const unsigned char *)(copy->data ? copy->data : "");
  return NG_OK;
}

/* A record's header: its stem (prefix compressed against prev) and where
 * its body lies. */
typedef struct record_head {
  buf stem;
  long long body_off;
  size_t body_len;
} record_head;

static int read_record_head(seg_reader *r, long long off, record_head *h) {
  /* The head is at most 10 + 10 + stem + 10 bytes: parsed where it lies
   * when the page holds it whole (most heads), else from a copy. */
  size_t want = 30 + NGI_MAX_TOKEN;
  if (r->size && off + (long long)want > r->size) want = (size_t)(r->size - off);
  long long pageno = off / PAGE_BYTES;
  size_t at = (size_t)(off % PAGE_BYTES);
  int rc = reader_page(r, pageno);
  if (rc != NG_OK) return rc;
  const unsigned char *base;
  size_t n;
  if (at + want <= r->page.len) {
    base = (const unsigned char *)r->page.data + at;
    n = want;
  } else {
    ngi_buf_reset(&r->scratch);
    rc = reader_read(r, off, want, &r->scratch);
    if (rc != NG_OK) return rc;
    base = (const unsigned char *)r->scratch.data;
    n = r->scratch.len;
  }
  const unsigned char *p = base, *end = base + n;
  uint64_t shared, suffix, len;
  if (!get_varint(&p, end, &shared) || !get_varint(&p, end, &suffix) || shared > h->stem.len ||
      (size_t)(end - p) < suffix)
    return ngi_fail(r->idx, NG_EDATA, "index %s: a postings record is damaged", r->idx->path);
  h->stem.len = (size_t)shared;
  if (h->stem.data) h->stem.data[shared] = '\0';
  if (ngi_buf_add(&h->stem, (const char *)p, (size_t)suffix) != 0) return ngi_fail(r->idx, NG_ESYSTEM, "out of memory");
  p += suffix;
  if (!get_varint(&p, end, &len))
    return ngi_fail(r->idx, NG_EDATA, "index %s: a postings record is damaged", r->idx->path);
  h->body_off = off + (long long)(p - base);
  h->body_len = (size_t)len;
  return NG_OK;
}

/* ------------------------------------------------------------------ */
/* The lengths array: one length code a passage number, in chunks */

#define LEN_CHUNK 16384

/* Reads the lengths of pnos [from, to) into P->lens (grown to hold them). */
static int load_lens(ng_index *idx, ngi_postings *P, long long from, long long to) {
  if (to > 0 && NGI_GROW(P->lens, P->caplens, (size_t)to, LEN_CHUNK) != 0)
    return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  buf data = {0};
  int rc = NG_OK;
  for (long long chunk = from / LEN_CHUNK; rc == NG_OK && chunk * LEN_CHUNK < to; chunk++) {
    ngi_buf_reset(&data);
    rc = ngi_store_lens_get(idx, chunk, &data);
    long long lo = chunk * LEN_CHUNK > from ? chunk * LEN_CHUNK : from;
    long long hi = (chunk + 1) * LEN_CHUNK < to ? (chunk + 1) * LEN_CHUNK : to;
    if (rc != NG_OK) break;
    /* numbers reserved for passages that were never written have no
     * length (0: no posting may name them) */
    long long have = chunk * LEN_CHUNK + (long long)data.len;
    long long copy_to = have < hi ? have : hi;
    if (copy_to > lo) memcpy(P->lens + lo, data.data + (lo - chunk * LEN_CHUNK), (size_t)(copy_to - lo));
    if (copy_to < lo) copy_to = lo;
    if (copy_to < hi) memset(P->lens + copy_to, 0, (size_t)(hi - copy_to));
  }
  ngi_buf_free(&data);
  return rc;
}

int ngi_postings_lens(ng_index *idx, const unsigned char **lens, size_t *n) {
  *lens = NULL;
  *n = 0;
  ngi_postings *P = postings_of(idx);
  if (!P) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  long long version = ngi_store_version(idx);
  if (version >= 0 && version == P->lens_version) {
    *lens = P->lens;
    *n = P->nlens;
    return NG_OK;
  }
  long long next = 0;
  int rc = ngi_store_stat_get(idx, "next_pno", &next);
  /* Committed lengths never change (a passage number is never reused):
   * only the new ones are read.  Inside a write transaction everything is
   * read afresh and nothing kept. */
  long long from = version >= 0 && P->lens_version >= 0 && (long long)P->nlens <= next ? (long long)P->nlens : 0;
  if (rc == NG_OK) rc = load_lens(idx, P, from, next);
  P->lens_version = -1;
  if (rc != NG_OK) {
    P->nlens = 0;
    return rc;
  }
  P->nlens = (size_t)next;
  if (version >= 0) P->lens_version = version;
  *lens = P->lens;
  *n = P->nlens;
  return NG_OK;
}

/* Writes the batch's lengths into their chunks. */
static int store_lens(ng_index *idx, ngi_postings *P) {
  int rc = NG_OK;
  buf data = {0};
  for (size_t i = 0; rc == NG_OK && i < P->npdir;) {
    long long chunk = P->pdir[i].pno / LEN_CHUNK;
    ngi_buf_reset(&data);
    rc = ngi_store_lens_get(idx, chunk, &data);
    size_t want = 0;
    for (size_t j = i; j < P->npdir && P->pdir[j].pno / LEN_CHUNK == chunk; j++) {
      size_t at = (size_t)(P->pdir[j].pno % LEN_CHUNK) + 1;
      if (at > want) want = at;
    }
    if (rc == NG_OK && data.len < want) {
      if (ngi_buf_reserve(&data, want - data.len) != 0) {
        rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
        break;
      }
      memset(data.data + data.len, 0, want - data.len);
      data.len = want;
    }
    for (; rc == NG_OK && i < P->npdir && P->pdir[i].pno / LEN_CHUNK == chunk; i++)
      data.data[P->pdir[i].pno % LEN_CHUNK] = (char)(unsigned char)P->pdir[i].len;
    if (rc == NG_OK) rc = ngi_store_lens_put(idx, chunk, data.data, data.len);
  }
  ngi_buf_free(&data);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Decoded records, for merging and checking */

typedef struct record {
  long long count, nblocks;
  int max_tf2, min_len;
  bposting *p; /* all postings, decoded */
  size_t n;
} record;

static int decode_body(ng_index *idx, const unsigned char *p, const unsigned char *end, record *rec, int postings,
                       const unsigned char *lens, size_t nlens) {
  uint64_t count, nblocks, maxtf, minlen;
  if (!get_varint(&p, end, &count) || !get_varint(&p, end, &nblocks) || !get_varint(&p, end, &maxtf) ||
      !get_varint(&p, end, &minlen))
    return ngi_fail(idx, NG_EDATA, "index %s: a postings record is damaged", idx->path);
  rec->count = (long long)count;
  rec->nblocks = (long long)nblocks;
  rec->max_tf2 = (int)maxtf;
  rec->min_len = (int)minlen;
  rec->n = 0;
  if (!postings) return NG_OK;
  uint64_t *last = malloc((nblocks ? nblocks : 1) * sizeof *last),
           *bytes = malloc((nblocks ? nblocks : 1) * sizeof *bytes);
  int rc = last && bytes ? NG_OK : ngi_fail(idx, NG_ESYSTEM, "out of memory");
  for (uint64_t b = 0; rc == NG_OK && b < nblocks; b++) {
    uint64_t bm, bl;
    if (!get_varint(&p, end, &last[b]) || !get_varint(&p, end, &bytes[b]) || !get_varint(&p, end, &bm) ||
        !get_varint(&p, end, &bl))
      rc = ngi_fail(idx, NG_EDATA, "index %s: a postings block table is damaged", idx->path);
  }
  if (rc == NG_OK && !(rec->p = realloc(rec->p, (count ? count : 1) * sizeof *rec->p)))
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  long long prev = 0;
  for (uint64_t b = 0; rc == NG_OK && b < nblocks; b++) {
    const unsigned char *bend = p + bytes[b];
    if (bend > end) {
      rc = ngi_fail(idx, NG_EDATA, "index %s: a postings block is damaged", idx->path);
      break;
    }
    long long cur = prev;
    while (p < bend && rc == NG_OK) {
      uint64_t d, tf2 = 2;
      if (!get_varint(&p, bend, &d) || ((d & 1) && !get_varint(&p, bend, &tf2)) || rec->n >= count) {
        rc = ngi_fail(idx, NG_EDATA, "index %s: a postings block is damaged", idx->path);
        break;
      }
      cur += (long long)(d >> 1);
      if (cur < 0 || (unsigned long long)cur >= nlens || !lens[cur]) {
        rc = ngi_fail(idx, NG_EDATA, "index %s: a posting names passage %lld, which has no length", idx->path, cur);
        break;
      }
      rec->p[rec->n++] = (bposting){cur, (int)tf2, lens[cur]};
    }
    prev += (long long)last[b];
  }
  if (rc == NG_OK && rec->n != count)
    rc = ngi_fail(idx, NG_EDATA, "index %s: a postings record holds %zu postings, not %lld", idx->path, rec->n,
                  (long long)count);
  free(last);
  free(bytes);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Segments: writing the batch, merging */

typedef struct seg_info {
  long long id, level, first_pno, last_pno, bytes, postings;
} seg_info;

typedef struct seg_list {
  seg_info *s;
  size_t n, cap;
} seg_list;

static int add_seg(void *ctx, const ngi_seg_row *row) {
  seg_list *l = ctx;
  if (NGI_GROW(l->s, l->cap, l->n + 1, 16) != 0) return NG_ESYSTEM;
  l->s[l->n++] = (seg_info){row->id, row->level, row->first_pno, row->last_pno, row->bytes, row->postings};
  return NG_OK;
}

static int load_segments(ng_index *idx, seg_list *l) {
  memset(l, 0, sizeof *l);
  int rc = ngi_store_seg_each(idx, add_seg, l);
  if (rc == NG_ESYSTEM && !idx->err[0]) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  return rc;
}

/* Writes a new segment from terms (sorted by stem) and registers it. */
static int write_segment(ng_index *idx, const sorted_term *terms, size_t nterms, int level, long long first_pno,
                         long long last_pno) {
  long long seg;
  int rc = ngi_store_stat_next(idx, "next_segment", &seg);
  if (rc != NG_OK) return rc;
  seg_writer w = {idx, seg, {0}, 0, 0, 0, {0}, NG_OK};
  buf body = {0}, data = {0};
  long long postings = 0;
  for (size_t i = 0; i < nterms && w.rc == NG_OK; i++) {
    const bterm *t = terms[i].t;
    if (!t->n) continue;
    if (encode_postings(t->p, t->n, &body, &data) != 0) {
      w.rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
      break;
    }
    write_record(&w, terms[i].stem, terms[i].len, &body);
    postings += (long long)t->n;
  }
  flush_page(&w);
  rc = w.rc;
  if (rc == NG_OK) {
    ngi_seg_row row = {seg, level, first_pno, last_pno, w.bytes, postings};
    rc = ngi_store_seg_put(idx, &row);
  }
  ngi_buf_free(&body);
  ngi_buf_free(&data);
  ngi_buf_free(&w.page);
  ngi_buf_free(&w.prev_stem);
  return rc;
}

/* The dead pno ranges, sorted. */
typedef struct dead_list {
  long long (*r)[2];
  size_t n, cap;
} dead_list;

static int add_dead(void *ctx, long long first, long long last) {
  dead_list *d = ctx;
  if (NGI_GROW(d->r, d->cap, d->n + 1, 64) != 0) return NG_ESYSTEM;
  d->r[d->n][0] = first;
  d->r[d->n][1] = last;
  d->n++;
  return NG_OK;
}

static int is_dead(const dead_list *d, long long pno) {
  size_t lo = 0, hi = d->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (d->r[mid][1] < pno)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < d->n && d->r[lo][0] <= pno && pno <= d->r[lo][1];
}

/* One input of a merge: a segment read record by record. */
typedef struct merge_input {
  seg_reader r;
  long long next; /* offset of the next record */
  record_head head;
  int done;
} merge_input;

static int next_head(merge_input *in) {
  if (in->next >= in->r.size) {
    in->done = 1;
    return NG_OK;
  }
  int rc = read_record_head(&in->r, in->next, &in->head);
  if (rc == NG_OK) in->next = in->head.body_off + (long long)in->head.body_len;
  return rc;
}

static int cmp_stem(const buf *a, const buf *b) {
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->data, b->data, n);
  return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Merges segments segs[0..n) (adjacent, in pno order) into one of the
 * next level, dropping dead postings. */
static int merge_segments(ng_index *idx, const seg_info *segs, size_t n, const dead_list *dead) {
  const unsigned char *lens;
  size_t nlens;
  int rc = ngi_postings_lens(idx, &lens, &nlens);
  if (rc != NG_OK) return rc;
  merge_input *in = calloc(n, sizeof *in);
  if (!in) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  for (size_t i = 0; i < n && rc == NG_OK; i++) {
    reader_reset(&in[i].r, idx, segs[i].id, segs[i].bytes);
    rc = next_head(&in[i]);
  }
  long long seg = 0;
  if (rc == NG_OK) rc = ngi_store_stat_next(idx, "next_segment", &seg);
  seg_writer w = {idx, seg, {0}, 0, 0, 0, {0}, NG_OK};
  buf stem = {0}, body = {0}, raw = {0}, data = {0};
  record rec = {0};
  bposting *all = NULL;
  size_t nall = 0, capall = 0;
  long long postings = 0;
  while (rc == NG_OK) {
    /* The smallest stem among the inputs. */
    int have = 0;
    for (size_t i = 0; i < n; i++) {
      if (in[i].done) continue;
      if (!have || cmp_stem(&in[i].head.stem, &stem) < 0) {
        ngi_buf_reset(&stem);
        ngi_buf_add(&stem, in[i].head.stem.data, in[i].head.stem.len);
        have = 1;
      }
    }
    if (!have) break;
    nall = 0;
    long long dropped = 0;
    for (size_t i = 0; i < n && rc == NG_OK; i++) {
      if (in[i].done || cmp_stem(&in[i].head.stem, &stem) != 0) continue;
      ngi_buf_reset(&raw);
      rc = reader_read(&in[i].r, in[i].head.body_off, in[i].head.body_len, &raw);
      if (rc == NG_OK)
        rc = decode_body(idx, (const unsigned char *)raw.data, (const unsigned char *)raw.data + raw.len, &rec, 1, lens,
                         nlens);
      for (size_t k = 0; rc == NG_OK && k < rec.n; k++) {
        if (is_dead(dead, rec.p[k].pno)) {
          dropped++;
          continue;
        }
        if (NGI_GROW(all, capall, nall + 1, 1024) != 0) {
          rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
          break;
        }
        all[nall++] = rec.p[k];
      }
      if (rc == NG_OK) rc = next_head(&in[i]);
    }
    if (rc != NG_OK) break;
    if (dropped) rc = ngi_store_termdead_add(idx, stem.data, stem.len, -dropped);
    if (rc == NG_OK && nall) {
      if (encode_postings(all, nall, &body, &data) != 0) {
        rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
        break;
      }
      write_record(&w, stem.data, stem.len, &body);
      rc = w.rc;
      postings += (long long)nall;
    }
  }
  flush_page(&w);
  if (rc == NG_OK) rc = w.rc;
  if (rc == NG_OK) {
    ngi_seg_row row = {seg, segs[0].level + 1, segs[0].first_pno, segs[n - 1].last_pno, w.bytes, postings};
    rc = ngi_store_seg_put(idx, &row);
  }
  for (size_t i = 0; rc == NG_OK && i < n; i++) rc = ngi_store_seg_delete(idx, segs[i].id);
  /* The dead passages of the merged span are gone from every segment. */
  if (rc == NG_OK) rc = ngi_store_dead_delete(idx, segs[0].first_pno, segs[n - 1].last_pno);
  for (size_t i = 0; i < n; i++) {
    reader_free(&in[i].r);
    ngi_buf_free(&in[i].head.stem);
  }
  free(in);
  free(all);
  free(rec.p);
  ngi_buf_free(&stem);
  ngi_buf_free(&body);
  ngi_buf_free(&raw);
  ngi_buf_free(&data);
  ngi_buf_free(&w.page);
  ngi_buf_free(&w.prev_stem);
  return rc;
}

static int load_dead(ng_index *idx, dead_list *d) {
  memset(d, 0, sizeof *d);
  int rc = ngi_store_dead_each(idx, add_dead, d);
  if (rc == NG_ESYSTEM && !idx->err[0]) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  return rc;
}

/* Merges while some level holds MERGE_FANOUT segments; all of them with
 * force (--optimize: everything into one segment). */
static int merge_policy(ng_index *idx, int force) {
  int rc = NG_OK;
  for (int round = 0; rc == NG_OK && round < 64; round++) {
    seg_list l;
    rc = load_segments(idx, &l);
    if (rc != NG_OK) break;
    size_t lo = 0, hi = 0;
    int found = 0;
    if (force) {
      if (l.n > 1 || (l.n == 1 && ngi_store_dead_any(idx) > 0)) lo = 0, hi = l.n, found = 1;
    } else {
      /* Segments are in pno order; a level's segments are adjacent. */
      for (size_t i = 0; i < l.n && !found;) {
        size_t j = i;
        while (j < l.n && l.s[j].level == l.s[i].level) j++;
        if (j - i >= MERGE_FANOUT) lo = i, hi = j, found = 1;
        i = j;
      }
    }
    if (found) {
      dead_list d;
      rc = load_dead(idx, &d);
      if (rc == NG_OK) rc = merge_segments(idx, l.s + lo, hi - lo, &d);
      free(d.r);
    }
    free(l.s);
    if (!found) break;
  }
  return rc;
}

int ngi_postings_flush(ng_index *idx) {
  ngi_postings *P = idx->post;
  if (!P) return NG_OK;
  int rc = NG_OK;
  if (P->nterms) {
    sorted_term *terms = malloc(P->nterms * sizeof *terms);
    if (!terms) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
    long long first = -1, last = -1;
    for (size_t i = 0; i < P->nterms; i++) {
      const bterm *t = &P->terms[i];
      const char *stem = P->stems.data + t->stem_off;
      terms[i] = (sorted_term){stem_key(stem, t->stemlen), stem, t->stemlen, t};
      if (t->n && (first < 0 || t->p[0].pno < first)) first = t->p[0].pno;
      if (t->n && t->p[t->n - 1].pno > last) last = t->p[t->n - 1].pno;
    }
    qsort(terms, P->nterms, sizeof *terms, cmp_sorted);
    rc = write_segment(idx, terms, P->nterms, 0, first, last);
    free(terms);
  }
  /* The directory of the batch's passages. */
  for (size_t i = 0; rc == NG_OK && i < P->npdir;) {
    long long chunk = P->pdir[i].pno / PDIR_CHUNK;
    buf data = {0};
    rc = ngi_store_pdir_get(idx, chunk, &data);
    if (rc == NG_OK && ngi_buf_reserve(&data, PDIR_CHUNK * PDIR_ENTRY) != 0)
      rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    if (rc == NG_OK) {
      if (data.len < PDIR_CHUNK * PDIR_ENTRY) {
        memset(data.data + data.len, 0xFF, PDIR_CHUNK * PDIR_ENTRY - data.len);
        data.len = PDIR_CHUNK * PDIR_ENTRY;
      }
      for (; i < P->npdir && P->pdir[i].pno / PDIR_CHUNK == chunk; i++) {
        char *e = data.data + (P->pdir[i].pno % PDIR_CHUNK) * PDIR_ENTRY;
        int64_t rowid = P->pdir[i].rowid;
        int32_t date = P->pdir[i].date;
        memcpy(e, &rowid, 8);
        memcpy(e + 8, &date, 4);
      }
      rc = ngi_store_pdir_put(idx, chunk, data.data, data.len);
    }
    ngi_buf_free(&data);
  }
  if (rc == NG_OK) rc = store_lens(idx, P);
  for (size_t i = 0; rc == NG_OK && i < P->dead_terms.cap; i++) {
    strmap_slot *s = &P->dead_terms.slots[i];
    if (s->key) rc = ngi_store_termdead_add(idx, s->key, s->klen, (long long)(intptr_t)s->value);
  }
  if (rc == NG_OK && P->have_stats) {
    rc = ngi_store_stat_set(idx, "passages", P->passages + P->passages_delta);
    if (rc == NG_OK) rc = ngi_store_stat_set(idx, "tokens", P->tokens + P->tokens_delta);
    if (rc == NG_OK) rc = ngi_store_stat_set(idx, "next_pno", P->next_pno);
  }
  if (rc == NG_OK) rc = merge_policy(idx, 0);
  if (rc == NG_OK) ngi_postings_rollback(idx); /* the batch is written: start afresh */
  return rc;
}

int ngi_postings_optimize(ng_index *idx) { return merge_policy(idx, 1); }

/* ------------------------------------------------------------------ */
/* Reading for the engine */

int ngi_postings_stats(ng_index *idx, ngi_corpus_stats *out) {
  memset(out, 0, sizeof *out);
  int rc = ngi_store_stat_get(idx, "passages", &out->passages);
  if (rc == NG_OK) rc = ngi_store_stat_get(idx, "tokens", &out->tokens);
  return rc;
}

void ngi_term_free(ngi_term *t) {
  if (!t) return;
  for (size_t i = 0; i < t->nparts; i++) {
    free(t->parts[i].table);
    ngi_buf_free(&t->parts[i].data);
  }
  free(t->parts);
  free(t->stem);
  free(t);
}

/* Finds stem's record in one segment: 1 and the record's body in h, 0
 * when the segment does not hold the stem.  From the directory's entry
 * the heads are read in place, without rebuilding their stems: with L
 * the length of what the last stem read (smaller than stem) shares with
 * stem, a head that shares more than L with it is smaller than stem too
 * (it has the same byte at L), and any other is compared from what it
 * shares with it on. */
static int find_record(ng_index *idx, const seg_info *s, const char *stem, size_t stemlen, record_head *h,
                       seg_reader *r) {
  long long page;
  int off;
  /* the directory's entry and its page in one statement (into the page
   * the reader holds) */
  r->pageno = -1;
  int rc = ngi_store_dir_page(idx, s->id, stem, stemlen, &page, &off, &r->page);
  if (rc != 1) return rc;
  r->pageno = page;
  const unsigned char *want = (const unsigned char *)stem;
  long long at = page * PAGE_BYTES + off;
  size_t lcp = 0;
  while (at < s->bytes) {
    /* the head where it lies when the page holds it whole, else a copy */
    size_t n = 30 + NGI_MAX_TOKEN;
    if (s->bytes && at + (long long)n > s->bytes) n = (size_t)(s->bytes - at);
    size_t in = (size_t)(at % PAGE_BYTES);
    if ((rc = reader_page(r, at / PAGE_BYTES)) != NG_OK) return rc;
    const unsigned char *base;
    if (in + n <= r->page.len) {
      base = (const unsigned char *)r->page.data + in;
    } else {
      ngi_buf_reset(&r->scratch);
      if ((rc = reader_read(r, at, n, &r->scratch)) != NG_OK) return rc;
      base = (const unsigned char *)r->scratch.data;
      n = r->scratch.len;
    }
    const unsigned char *p = base, *end = base + n;
    uint64_t shared, suffix, len;
    if (!get_varint(&p, end, &shared) || !get_varint(&p, end, &suffix) || (size_t)(end - p) < suffix)
      return ngi_fail(idx, NG_EDATA, "index %s: a postings record is damaged", idx->path);
    const unsigned char *suf = p;
    p += suffix;
    if (!get_varint(&p, end, &len)) return ngi_fail(idx, NG_EDATA, "index %s: a postings record is damaged", idx->path);
    h->body_off = at + (long long)(p - base);
    h->body_len = (size_t)len;
    at = h->body_off + (long long)len;
    if (shared > lcp) continue; /* smaller than stem, as the last one */
    size_t j = 0;
    while (j < suffix && shared + j < stemlen && suf[j] == want[shared + j]) j++;
    size_t m = (size_t)shared + j; /* what it shares with stem */
    if (j == suffix) {
      if (m == stemlen) return 1;
      lcp = m; /* a prefix of stem: smaller */
      continue;
    }
    if (m == stemlen || suf[j] > want[m]) return 0; /* past stem */
    lcp = m;
  }
  return 0;
}

/* Loads a part (one segment's record) of a term: its block table, and the
 * data when small. */
static int load_part(ng_index *idx, seg_reader *r, const record_head *h, ngi_term_part *part) {
  buf raw = {0};
  const unsigned char *p = NULL;
  int rc = reader_span(r, h->body_off, h->body_len, &raw, &p);
  const unsigned char *end = rc == NG_OK ? p + h->body_len : p;
  uint64_t count = 0, nblocks = 0, maxtf = 0, minlen = 0;
  if (rc == NG_OK && (!get_varint(&p, end, &count) || !get_varint(&p, end, &nblocks) || !get_varint(&p, end, &maxtf) ||
                      !get_varint(&p, end, &minlen)))
    rc = ngi_fail(idx, NG_EDATA, "index %s: a postings record is damaged", idx->path);
  if (rc == NG_OK) {
    part->count = (long long)count;
    part->nblocks = (size_t)nblocks;
    part->max_tf2 = (int)maxtf;
    part->min_len = (int)minlen;
    part->table = calloc(nblocks ? nblocks : 1, sizeof *part->table);
    if (!part->table) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  long long prev = 0, offset = 0;
  for (size_t b = 0; rc == NG_OK && b < part->nblocks; b++) {
    uint64_t last, bytes, bm, bl;
    if (!get_varint(&p, end, &last) || !get_varint(&p, end, &bytes) || !get_varint(&p, end, &bm) ||
        !get_varint(&p, end, &bl)) {
      rc = ngi_fail(idx, NG_EDATA, "index %s: a postings block table is damaged", idx->path);
      break;
    }
    ngi_block *blk = &part->table[b];
    blk->first_prev = prev;
    prev += (long long)last;
    blk->last_pno = prev;
    blk->offset = (size_t)offset;
    blk->bytes = (size_t)bytes;
    blk->max_tf2 = (int)bm;
    blk->min_len = (int)bl;
    offset += (long long)bytes;
  }
  if (rc == NG_OK && (long long)(end - p) < offset)
    rc = ngi_fail(idx, NG_EDATA, "index %s: a postings record is short", idx->path);
  if (rc == NG_OK) ngi_buf_add(&part->data, (const char *)p, (size_t)offset);
  if (rc == NG_OK && part->data.oom) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  ngi_buf_free(&raw);
  return rc;
}

struct ngi_lookup {
  ng_index *idx;
  seg_list l;
  seg_reader *r;      /* one per segment */
  int any_dead;       /* some stem has dead postings (ntermdead) */
  record_head *found; /* per segment, for the term being looked up */
  int *has;
};

void ngi_lookup_close(ngi_lookup *lk) {
  if (!lk) return;
  for (size_t i = 0; lk->r && i < lk->l.n; i++) reader_free(&lk->r[i]);
  free(lk->r);
  free(lk->found);
  free(lk->has);
  free(lk->l.s);
  free(lk);
}

int ngi_lookup_open(ng_index *idx, ngi_lookup **out) {
  *out = NULL;
  ngi_lookup *lk = calloc(1, sizeof *lk);
  if (!lk) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  lk->idx = idx;
  int rc = load_segments(idx, &lk->l);
  if (rc == NG_OK) {
    lk->r = calloc(lk->l.n + 1, sizeof *lk->r);
    lk->found = calloc(lk->l.n + 1, sizeof *lk->found);
    lk->has = calloc(lk->l.n + 1, sizeof *lk->has);
    if (!lk->r || !lk->found || !lk->has) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  for (size_t i = 0; rc == NG_OK && i < lk->l.n; i++) reader_reset(&lk->r[i], idx, lk->l.s[i].id, lk->l.s[i].bytes);
  if (rc == NG_OK) {
    int any = ngi_store_termdead_any(idx);
    if (any < 0) rc = any;
    lk->any_dead = any > 0;
  }
  if (rc != NG_OK) {
    ngi_lookup_close(lk);
    return rc;
  }
  *out = lk;
  return NG_OK;
}

int ngi_lookup_term(ngi_lookup *lk, const char *stem, size_t stemlen, long long max_df, ngi_term **out) {
  ng_index *idx = lk->idx;
  *out = NULL;
  ngi_term *t = calloc(1, sizeof *t);
  if (!t || !(t->stem = ngi_strdup_n(stem, stemlen))) {
    free(t);
    return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  t->stemlen = stemlen;
  int rc = NG_OK;
  /* the records' places, and their counts (each body's first varint) */
  buf raw = {0};
  size_t nfound = 0;
  for (size_t i = 0; rc == NG_OK && i < lk->l.n; i++) {
    int found = find_record(idx, &lk->l.s[i], stem, stemlen, &lk->found[i], &lk->r[i]);
    if (found < 0) rc = found;
    lk->has[i] = found == 1;
    if (found != 1) continue;
    nfound++;
    size_t want = lk->found[i].body_len < 10 ? lk->found[i].body_len : 10;
    const unsigned char *p = NULL;
    rc = reader_span(&lk->r[i], lk->found[i].body_off, want, &raw, &p);
    uint64_t c = 0;
    if (rc == NG_OK && !get_varint(&p, p + want, &c))
      rc = ngi_fail(idx, NG_EDATA, "index %s: a postings record is damaged", idx->path);
    if (rc == NG_OK) t->count += (long long)c;
  }
  ngi_buf_free(&raw);
  long long dead = 0;
  if (rc == NG_OK && lk->any_dead) rc = ngi_store_termdead_get(idx, stem, stemlen, &dead);
  t->df = t->count - dead;
  int postings = max_df < 0 || (t->df > 0 && t->df <= max_df);
  if (rc == NG_OK && nfound && postings && !(t->parts = calloc(nfound, sizeof *t->parts)))
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  for (size_t i = 0; rc == NG_OK && postings && i < lk->l.n; i++) {
    if (!lk->has[i]) continue;
    ngi_term_part *part = &t->parts[t->nparts++];
    rc = load_part(idx, &lk->r[i], &lk->found[i], part);
    if (rc != NG_OK) break;
    if ((part->max_tf2 >> 1) > (t->max_tf2 >> 1)) t->max_tf2 = (part->max_tf2 & ~1) | (t->max_tf2 & 1);
    t->max_tf2 |= part->max_tf2 & 1;
    if (t->nparts == 1 || part->min_len < t->min_len) t->min_len = part->min_len;
  }
  if (rc != NG_OK) {
    ngi_term_free(t);
    return rc;
  }
  *out = t;
  return NG_OK;
}

int ngi_postings_term(ng_index *idx, const char *stem, size_t stemlen, ngi_term **out) {
  *out = NULL;
  ngi_lookup *lk;
  int rc = ngi_lookup_open(idx, &lk);
  if (rc == NG_OK) rc = ngi_lookup_term(lk, stem, stemlen, -1, out);
  ngi_lookup_close(lk);
  return rc;
}

int ngi_postings_df(ng_index *idx, const char *stem, size_t stemlen, long long *df) {
  *df = 0;
  ngi_lookup *lk;
  ngi_term *t = NULL;
  int rc = ngi_lookup_open(idx, &lk);
  if (rc == NG_OK) rc = ngi_lookup_term(lk, stem, stemlen, 0, &t);
  if (rc == NG_OK) *df = t->df;
  ngi_term_free(t);
  ngi_lookup_close(lk);
  return rc;
}

/* The stems starting with prefix, each once, in byte order. */
int ngi_postings_prefix(ng_index *idx, const char *prefix, size_t n, int max, strlist *out) {
  seg_list l;
  int rc = load_segments(idx, &l);
  strmap seen = {0};
  record_head h = {{0}, 0, 0};
  seg_reader r = {0};
  for (size_t i = 0; rc == NG_OK && i < l.n; i++) {
    reader_reset(&r, idx, l.s[i].id, l.s[i].bytes);
    long long page;
    int off;
    buf first = {0};
    int found = ngi_store_dir_find(idx, l.s[i].id, prefix, n, &page, &off, &first);
    ngi_buf_free(&first);
    if (found < 0) rc = found;
    long long at = found == 1 ? page * PAGE_BYTES + off : 0;
    ngi_buf_reset(&h.stem);
    while (rc == NG_OK && at < l.s[i].bytes && (int)out->n < max) {
      rc = read_record_head(&r, at, &h);
      if (rc != NG_OK) break;
      at = h.body_off + (long long)h.body_len;
      int c = memcmp(h.stem.data, prefix, h.stem.len < n ? h.stem.len : n);
      if (c == 0 && h.stem.len < n) c = -1;
      if (c < 0) continue;
      if (c > 0) break;
      if (!ngi_map_get(&seen, h.stem.data, h.stem.len)) {
        if (ngi_map_put(&seen, h.stem.data, h.stem.len, (void *)1) != 0 || ngi_strlist_add(out, h.stem.data) != 0)
          rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
      }
    }
  }
  reader_free(&r);
  ngi_map_clear(&seen, NULL);
  ngi_buf_free(&h.stem);
  free(l.s);
  return rc;
}

int ngi_postings_dead(ng_index *idx, ngi_dead **out) {
  *out = NULL;
  dead_list d;
  int rc = load_dead(idx, &d);
  if (rc != NG_OK) return rc;
  ngi_dead *x = calloc(1, sizeof *x);
  if (!x) {
    free(d.r);
    return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  x->ranges = d.r;
  x->n = d.n;
  *out = x;
  return NG_OK;
}

int ngi_dead_has(const ngi_dead *d, long long pno) {
  dead_list l = {d->ranges, d->n, d->n};
  return is_dead(&l, pno);
}

void ngi_dead_free(ngi_dead *d) {
  if (!d) return;
  free(d->ranges);
  free(d);
}

int ngi_postings_pdir(ng_index *idx, long long pno, ngi_pdir_cache *cache, long long *rowid, int *date) {
  long long chunk = pno / PDIR_CHUNK;
  unsigned char e[PDIR_ENTRY];
  if (ngi_store_pdir_read(idx, chunk, (size_t)(pno % PDIR_CHUNK) * PDIR_ENTRY, e, sizeof e)) {
    int64_t r;
    int32_t dt;
    memcpy(&r, e, 8);
    memcpy(&dt, e + 8, 4);
    if (r >= 0) {
      *rowid = r;
      *date = dt;
      return NG_OK;
    }
  }
  if (cache->chunk != chunk || !cache->data.len) {
    ngi_buf_reset(&cache->data);
    int rc = ngi_store_pdir_get(idx, chunk, &cache->data);
    if (rc != NG_OK) return rc;
    cache->chunk = chunk;
  }
  size_t at = (size_t)(pno % PDIR_CHUNK) * PDIR_ENTRY;
  if (at + PDIR_ENTRY > cache->data.len)
    return ngi_fail(idx, NG_EDATA, "index %s: passage %lld is not in the directory", idx->path, pno);
  int64_t r;
  int32_t dt;
  memcpy(&r, cache->data.data + at, 8);
  memcpy(&dt, cache->data.data + at + 8, 4);
  if (r < 0) return ngi_fail(idx, NG_EDATA, "index %s: passage %lld is not in the directory", idx->path, pno);
  *rowid = r;
  *date = dt;
  return NG_OK;
}

/* ------------------------------------------------------------------ */
/* Checking */

typedef struct df_check {
  ng_index *idx;
  strmap counts; /* stem -> live postings counted in segments (intptr) */
  long long problems;
  char first[300];
} df_check;

int ngi_postings_check(ng_index *idx, ngi_check_counts *out) {
  memset(out, 0, sizeof *out);
  const unsigned char *lens;
  size_t nlens;
  int rc = ngi_postings_lens(idx, &lens, &nlens);
  if (rc != NG_OK) return rc;
  seg_list l;
  rc = load_segments(idx, &l);
  dead_list d = {0};
  if (rc == NG_OK) rc = load_dead(idx, &d);
  strmap live = {0};
  record rec = {0};
  buf raw = {0};
  long long prev_last = -1;
  for (size_t i = 0; rc == NG_OK && i < l.n; i++) {
    if (l.s[i].first_pno <= prev_last) rc = ngi_fail(idx, NG_EDATA, "index %s: postings segments overlap", idx->path);
    prev_last = l.s[i].last_pno;
    merge_input in = {0};
    reader_reset(&in.r, idx, l.s[i].id, l.s[i].bytes);
    buf prev = {0};
    long long seg_postings = 0;
    if (rc == NG_OK) rc = next_head(&in);
    while (rc == NG_OK && !in.done) {
      if (prev.len && cmp_stem(&prev, &in.head.stem) >= 0)
        rc = ngi_fail(idx, NG_EDATA, "index %s: postings terms out of order", idx->path);
      ngi_buf_reset(&prev);
      ngi_buf_add(&prev, in.head.stem.data, in.head.stem.len);
      ngi_buf_reset(&raw);
      if (rc == NG_OK) rc = reader_read(&in.r, in.head.body_off, in.head.body_len, &raw);
      if (rc == NG_OK)
        rc = decode_body(idx, (const unsigned char *)raw.data, (const unsigned char *)raw.data + raw.len, &rec, 1, lens,
                         nlens);
      long long n = 0;
      for (size_t k = 0; rc == NG_OK && k < rec.n; k++) {
        if (rec.p[k].pno < l.s[i].first_pno || rec.p[k].pno > l.s[i].last_pno ||
            (k && rec.p[k].pno <= rec.p[k - 1].pno)) {
          rc = ngi_fail(idx, NG_EDATA, "index %s: postings out of order or outside their segment", idx->path);
          break;
        }
        if (!is_dead(&d, rec.p[k].pno)) n++;
      }
      seg_postings += (long long)rec.n;
      out->postings += n;
      if (rc == NG_OK && n) {
        intptr_t have = (intptr_t)ngi_map_get(&live, in.head.stem.data, in.head.stem.len);
        if (ngi_map_put(&live, in.head.stem.data, in.head.stem.len, (void *)(have + n)) != 0)
          rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
      }
      if (rc == NG_OK) rc = next_head(&in);
    }
    if (rc == NG_OK && seg_postings != l.s[i].postings)
      rc = ngi_fail(idx, NG_EDATA, "index %s: a postings segment holds %lld postings, not %lld", idx->path,
                    seg_postings, l.s[i].postings);
    ngi_buf_free(&prev);
    reader_free(&in.r);
    ngi_buf_free(&in.head.stem);
    out->segments++;
  }
  out->terms = (long long)live.count;
  /* Every term's frequency as the engine computes it, against the live
   * postings just counted; FTS5's own counts are compared by the caller. */
  for (size_t i = 0; rc == NG_OK && i < live.cap; i++) {
    strmap_slot *s = &live.slots[i];
    if (!s->key) continue;
    ngi_term *t = NULL;
    rc = ngi_postings_term(idx, s->key, s->klen, &t);
    if (rc == NG_OK && t->df != (long long)(intptr_t)s->value)
      rc = ngi_fail(idx, NG_EDATA, "index %s: term '%.60s' counts %lld passages but %lld are live", idx->path, s->key,
                    t->df, (long long)(intptr_t)s->value);
    ngi_term_free(t);
  }
  ngi_map_clear(&live, NULL);
  free(rec.p);
  ngi_buf_free(&raw);
  free(d.r);
  free(l.s);
  return rc;
}
