/*
 * engine.c -- the top k passages of a query plan, read from the postings
 * (postings.c) without scoring every match.
 *
 * Document-at-a-time over passage numbers, with the bounds of the
 * literature on dynamic pruning:
 *  - every term has an upper bound on what it can add to a score (from its
 *    largest tf and shortest passage), and every block of 128 postings its
 *    own (block-max: Ding & Suel 2011, "Faster top-k document retrieval
 *    using block-max indexes"; Lucene's impacts);
 *  - the k best found so far give a threshold theta; a candidate whose
 *    bound cannot beat it is not scored, a block whose bound cannot is not
 *    even decoded;
 *  - with --any, MaxScore (Turtle & Flood 1995, as Lucene's
 *    MaxScoreBulkScorer does it): the terms whose bounds together cannot
 *    beat theta only score candidates the others bring, they bring none;
 *  - with all words required, the required group with the fewest postings
 *    brings the candidates and the others are probed (skipped to);
 *  - a candidate that could enter the top k is checked last, in the order
 *    of cost: dead (its document changed), the filters, and FTS5 for the
 *    plans whose matching the postings only approximate (phrases, NEAR,
 *    NOT) -- so FTS5 verifies only passages that would be shown.
 * The score is BM25 (k1, b, the headline weight inside the term frequency,
 * FTS5's idf floored at 1e-6) summed over the distinct terms present, plus
 * a tier for each group matched by the form typed (not only by a topic
 * synonym), so that a passage with the query's own words ranks above one
 * that has only its synonyms.  Ties go to the earlier rowid.  The same
 * function scores with pruning off (exhaustive, for checking), so the two
 * must give the same top k: tests/unit/test_engine.c and bench/ check it.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define BLOCK 128
#define END INT64_MAX
#define MAX_PREFIX_EXPANSION 256
#define BOUND_SLACK(x) ((x) * (1 + 1e-9) + 1e-12) /* bounds never below a score from rounding */

/* ------------------------------------------------------------------ */
/* Cursors over one term's postings */

typedef struct cursor {
  ngi_term *t;
  const unsigned char *lens; /* the passages' length codes (postings.c) */
  size_t nlens;
  double w_idf; /* weight × idf */
  double tier;  /* added once per group when a literal term of it is present (accounted per cursor in bounds) */
  int head_only;
  double ub; /* the most it adds to a score, tier included */
  size_t part, block;
  int decoded;
  int n, i;
  long long pno[BLOCK];
  int tf2[BLOCK], len[BLOCK];
  long long cur; /* the current posting's pno, END when done */
} cursor;

typedef struct scorer {
  double k1, b, avgdl, hw;
  double norm[256]; /* k1 (1 - b + b len / avgdl) for each length code */
} scorer;

static void scorer_init(scorer *s, double k1, double b, double avgdl, double hw) {
  s->k1 = k1;
  s->b = b;
  s->avgdl = avgdl;
  s->hw = hw;
  for (int q = 0; q < 256; q++) s->norm[q] = k1 * (1 - b + b * ngi_len_value(q) / avgdl);
}

static double bm25(const scorer *s, double w_idf, int tf2, int len) {
  double f = (tf2 >> 1) * ((tf2 & 1) ? s->hw : 1.0);
  return w_idf * f * (s->k1 + 1) / (f + s->norm[len & 0xFF]);
}

static const ngi_block *block_at(const cursor *c) {
  if (c->part >= c->t->nparts) return NULL;
  const ngi_term_part *p = &c->t->parts[c->part];
  return c->block < p->nblocks ? &p->table[c->block] : NULL;
}

/* Moves to the next block (across parts); 0 at the end. */
static int next_block(cursor *c) {
  c->decoded = 0;
  c->block++;
  while (c->part < c->t->nparts && c->block >= c->t->parts[c->part].nblocks) {
    c->part++;
    c->block = 0;
  }
  return c->part < c->t->nparts;
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
  uint64_t r = 0;
  int shift = 0;
  while (*p < end && shift < 64) {
    unsigned char ch = *(*p)++;
    r |= (uint64_t)(ch & 0x7F) << shift;
    if (!(ch & 0x80)) {
      *v = r;
      return 1;
    }
    shift += 7;
  }
  return 0;
}

/* Decodes the current block; 0 when it is damaged. */
static int decode(cursor *c) {
  const ngi_block *b = block_at(c);
  const ngi_term_part *part = &c->t->parts[c->part];
  const unsigned char *p = (const unsigned char *)part->data.data + b->offset, *end = p + b->bytes;
  long long prev = b->first_prev;
  c->n = 0;
  while (p < end && c->n < BLOCK) {
    uint64_t d, tf2 = 2;
    if (!get_varint(&p, end, &d) || ((d & 1) && !get_varint(&p, end, &tf2))) return 0;
    prev += (long long)(d >> 1);
    if (prev < 0 || (unsigned long long)prev >= c->nlens) return 0;
    c->pno[c->n] = prev;
    c->tf2[c->n] = (int)tf2;
    c->len[c->n] = c->lens[prev];
    c->n++;
  }
  c->decoded = 1;
  c->i = 0;
  return c->n > 0;
}

/* Positions the cursor on its current posting (decoding the current
 * block), skipping headline-less postings of a head-only term. */
static int settle(cursor *c) {
  for (;;) {
    if (!block_at(c)) {
      c->cur = END;
      return 1;
    }
    if (!c->decoded && !decode(c)) return 0;
    while (c->i < c->n && c->head_only && !(c->tf2[c->i] & 1)) c->i++;
    if (c->i < c->n) {
      c->cur = c->pno[c->i];
      return 1;
    }
    next_block(c);
  }
}

static int advance(cursor *c) {
  c->i++;
  return settle(c);
}

/* Moves to the first posting >= target, skipping whole blocks unread. */
static int skip_to(cursor *c, long long target) {
  if (c->cur >= target) return 1;
  const ngi_block *b = block_at(c);
  if (b && b->last_pno < target) {
    while ((b = block_at(c)) && b->last_pno < target) next_block(c);
  }
  if (!block_at(c)) {
    c->cur = END;
    return 1;
  }
  if (!c->decoded && !decode(c)) return 0;
  while (c->i < c->n && c->pno[c->i] < target) c->i++;
  return settle(c);
}

/* The bound of the current block's postings. */
static double block_bound(const scorer *s, const cursor *c) {
  const ngi_block *b = block_at(c);
  if (!b) return 0;
  return bm25(s, c->w_idf, b->max_tf2, b->min_len) + c->tier;
}

/* For a generating cursor: moves to the next block whose bound, with
 * others (the bound of everything else), could beat theta. */
static int skip_weak_blocks(const scorer *s, cursor *c, double others, double theta) {
  while (block_at(c) && c->cur != END) {
    const ngi_block *b = block_at(c);
    if (BOUND_SLACK(block_bound(s, c) + others) >= theta) return 1;
    if (c->decoded && c->i > 0 && c->pno[c->i] > b->first_prev + 1) {
      /* inside the block already: it was chosen before theta rose */
    }
    next_block(c);
    if (!settle(c)) return 0;
  }
  return 1;
}

/* ------------------------------------------------------------------ */
/* The top k */

typedef struct entry {
  long long pno, rowid, key;
  double score;
  int date;
} entry;

typedef struct topk {
  entry *e;
  size_t n, cap;
  long k; /* < 0: keep all */
  int per_key;
  int by_date;
  size_t worst; /* index of the worst entry when full */
} topk;

/* Is a better than b? */
static int better(const topk *t, const entry *a, const entry *b) {
  if (t->by_date && a->date != b->date) return a->date > b->date;
  if (a->score != b->score) return a->score > b->score;
  return a->rowid < b->rowid;
}

static int full(const topk *t) { return t->k >= 0 && (long)t->n >= t->k; }

static void find_worst(topk *t) {
  t->worst = 0;
  for (size_t i = 1; i < t->n; i++)
    if (better(t, &t->e[t->worst], &t->e[i])) t->worst = i;
}

/* The score a candidate must beat (when the heap is full and not by date). */
static double threshold(const topk *t) {
  if (!full(t) || t->by_date || t->k == 0) return -HUGE_VAL;
  return t->e[t->worst].score;
}

/* Offers a candidate; returns 0, or -1 when out of memory. */
static int offer(topk *t, const entry *c) {
  if (t->k == 0) return 0;
  if (t->per_key) {
    size_t same = 0, worst_same = 0;
    for (size_t i = 0; i < t->n; i++) {
      if (t->e[i].key != c->key) continue;
      if (!same || better(t, &t->e[worst_same], &t->e[i])) worst_same = i;
      same++;
    }
    if ((int)same >= t->per_key) {
      if (!better(t, c, &t->e[worst_same])) return 0;
      t->e[worst_same] = *c;
      if (full(t)) find_worst(t);
      return 0;
    }
  }
  if (!full(t)) {
    if (t->n == t->cap) {
      size_t cap = t->cap ? t->cap * 2 : 64;
      entry *e = realloc(t->e, cap * sizeof *e);
      if (!e) return -1;
      t->e = e;
      t->cap = cap;
    }
    t->e[t->n++] = *c;
    if (full(t)) find_worst(t);
    return 0;
  }
  if (!better(t, c, &t->e[t->worst])) return 0;
  t->e[t->worst] = *c;
  find_worst(t);
  return 0;
}

/* Best first, as better() orders them (no shared state: searches run in
 * threads). */
static int cmp_by_score(const void *a, const void *b) {
  static const topk by_score = {NULL, 0, 0, 0, 0, 0, 0};
  const entry *x = a, *y = b;
  return better(&by_score, x, y) ? -1 : better(&by_score, y, x) ? 1 : 0;
}
static int cmp_by_date(const void *a, const void *b) {
  static const topk by_date = {NULL, 0, 0, 0, 0, 1, 0};
  const entry *x = a, *y = b;
  return better(&by_date, x, y) ? -1 : better(&by_date, y, x) ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* The evaluation */

typedef struct doc_cache_entry {
  long long doc;
  int keep; /* passes the document filters */
} doc_cache_entry;

/* FTS5's answer for a plan the postings only approximate, asked one
 * candidate at a time (a MATCH with rowid = ?: FTS5 sets up the whole
 * expression each time, 0.2-0.6M instructions for a phrase) until what
 * those questions cost reaches what one pass over the whole match would
 * (every posting of the plan's terms), then asked once for every rowid
 * and kept, sorted, for the rest of the search: the rent-or-buy rule
 * (Karlin et al. 1988), so never more than twice the cheaper of the two. */
typedef struct matchset {
  long long *rowids;
  size_t n;
  int built;       /* 1: rowids holds FTS5's whole answer */
  long long spent; /* the probes' cost so far, in postings */
} matchset;

#define PROBE_COST 4000 /* postings one probe costs as much as: BBC x8, a phrase, callgrind */

typedef struct run {
  ng_index *idx;
  const ngi_engine_query *q;
  scorer s;
  cursor *c; /* one per distinct stem */
  size_t nc, capc;
  /* plan term t -> cursor; groups' alternatives as cursor lists */
  int *term_cursor;
  size_t nterms;
  ngi_dead *dead;
  ngi_pdir_cache pdir;
  strmap docs;            /* doc id (8 bytes) -> filters pass (1) or not (2) */
  ngi_doc_filter *filter; /* the dates' and fields' statement, or NULL */
  double tier_value;
  int sqlite_code;
  matchset sets[2]; /* verify()'s: of q->match and of q->match_plain */
} run;

/* The cursor of stem (made once; its weight and tier are summed over the
 * plan's groups by weigh()). */
static int cursor_for(run *r, const char *stem, size_t len, int head_only, int *out) {
  for (size_t i = 0; i < r->nc; i++) {
    if (r->c[i].t->stemlen == len && memcmp(r->c[i].t->stem, stem, len) == 0 && r->c[i].head_only == head_only) {
      *out = (int)i;
      return NG_OK;
    }
  }
  ngi_term *t = NULL;
  int rc = ngi_postings_term(r->idx, stem, len, &t);
  if (rc != NG_OK) return rc;
  if (r->nc == r->capc) {
    size_t cap = r->capc ? r->capc * 2 : 8;
    cursor *c = realloc(r->c, cap * sizeof *c);
    if (!c) {
      ngi_term_free(t);
      return ngi_fail(r->idx, NG_ESYSTEM, "out of memory");
    }
    r->c = c;
    r->capc = cap;
  }
  cursor *x = &r->c[r->nc];
  memset(x, 0, sizeof *x);
  x->t = t;
  x->head_only = head_only;
  *out = (int)r->nc++;
  return NG_OK;
}

/* Alternatives resolved to cursors: alt a of group g is cursors
 * alt_cursors[alt_start[a] .. alt_start[a + 1]). */
typedef struct alts_map {
  int *group_of; /* per alternative */
  int *start;
  int *cursors;
  double *weight; /* per entry of cursors: the plan term's weight */
  size_t nalts, ncursors, nweights;
  int *literal; /* per alternative */
} alts_map;

static void alts_map_free(alts_map *m) {
  free(m->group_of);
  free(m->start);
  free(m->cursors);
  free(m->weight);
  free(m->literal);
}

static int push_int(int **a, size_t *n, int v) {
  int *p = realloc(*a, (*n + 1) * sizeof *p);
  if (!p) return -1;
  p[(*n)++] = v;
  *a = p;
  return 0;
}

static int push_double(double **a, size_t *n, double v) {
  double *p = realloc(*a, (*n + 1) * sizeof *p);
  if (!p) return -1;
  p[(*n)++] = v;
  *a = p;
  return 0;
}

/* A stem's weight and tier, from the groups that hold it: in each group
 * the largest weight of its alternatives that have it (a variant does not
 * count twice), summed over groups (a word typed twice counts twice, as
 * two FTS5 phrases do, or as BM25's query term frequency); one tier for
 * each group where it is in an alternative of the form typed.  A group's
 * tier is bounded through every cursor of its literal alternatives. */
static void weigh(run *r, const alts_map *m, size_t ngroups) {
  for (size_t i = 0; i < r->nc; i++) {
    double w = 0, tiers = 0;
    for (size_t g = 0; g < ngroups; g++) {
      double wmax = 0;
      int lit = 0;
      for (size_t a = 0; a < m->nalts; a++) {
        if (m->group_of[a] != (int)g) continue;
        for (int k = m->start[a]; k < m->start[a + 1]; k++) {
          if (m->cursors[k] != (int)i) continue;
          if (m->weight[k] > wmax) wmax = m->weight[k];
          lit |= m->literal[a];
        }
      }
      w += wmax;
      tiers += lit;
    }
    r->c[i].w_idf = w; /* idf applied later */
    r->c[i].tier = tiers;
  }
}

/* Builds the cursors and the alternatives of the plan, expanding prefixes
 * (an alternative with a prefix term becomes one alternative per stem). */
static int build(run *r, alts_map *m) {
  const ngi_plan *plan = r->q->plan;
  int rc = NG_OK;
  size_t na = 0, nstart = 0, ngroup = 0, nlit = 0;
  for (size_t g = 0; g < plan->ngroups && rc == NG_OK; g++) {
    for (int a = 0; a < plan->groups[g].nalts && rc == NG_OK; a++) {
      /* The terms of alternative (g, a); at most one prefix term expands. */
      int *base = NULL;
      double *bweight = NULL;
      size_t nbase = 0, nbweight = 0;
      const ngi_plan_term *prefix = NULL;
      int literal = 1;
      for (size_t t = 0; t < plan->nterms && rc == NG_OK; t++) {
        const ngi_plan_term *pt = &plan->terms[t];
        if (pt->group != (int)g || pt->alt != a) continue;
        literal &= pt->literal;
        if (pt->prefix && !prefix) {
          prefix = pt;
          continue;
        }
        int ci;
        rc = cursor_for(r, pt->stem, pt->len, pt->head_only, &ci);
        if (rc == NG_OK && (push_int(&base, &nbase, ci) != 0 || push_double(&bweight, &nbweight, pt->weight) != 0))
          rc = ngi_fail(r->idx, NG_ESYSTEM, "out of memory");
      }
      strlist stems = {0};
      if (rc == NG_OK && prefix)
        rc = ngi_postings_prefix(r->idx, prefix->stem, prefix->len, MAX_PREFIX_EXPANSION, &stems);
      size_t variants = prefix ? stems.n : 1;
      for (size_t v = 0; v < variants && rc == NG_OK; v++) {
        if (push_int(&m->start, &nstart, (int)m->ncursors) != 0 || push_int(&m->group_of, &ngroup, (int)g) != 0 ||
            push_int(&m->literal, &nlit, literal) != 0) {
          rc = ngi_fail(r->idx, NG_ESYSTEM, "out of memory");
          break;
        }
        for (size_t b = 0; b < nbase && rc == NG_OK; b++)
          if (push_int(&m->cursors, &m->ncursors, base[b]) != 0 ||
              push_double(&m->weight, &m->nweights, bweight[b]) != 0)
            rc = ngi_fail(r->idx, NG_ESYSTEM, "out of memory");
        if (prefix && rc == NG_OK) {
          int ci;
          rc = cursor_for(r, stems.items[v], strlen(stems.items[v]), prefix->head_only, &ci);
          if (rc == NG_OK && (push_int(&m->cursors, &m->ncursors, ci) != 0 ||
                              push_double(&m->weight, &m->nweights, prefix->weight) != 0))
            rc = ngi_fail(r->idx, NG_ESYSTEM, "out of memory");
        }
        na++;
      }
      ngi_strlist_free(&stems);
      free(base);
      free(bweight);
    }
  }
  if (rc == NG_OK && push_int(&m->start, &nstart, (int)m->ncursors) != 0)
    rc = ngi_fail(r->idx, NG_ESYSTEM, "out of memory");
  m->nalts = na;
  return rc;
}

/* Does alternative a hold at pno (its cursors probed there)? */
static int alt_present(run *r, const alts_map *m, size_t a, long long pno, int *err) {
  for (int k = m->start[a]; k < m->start[a + 1]; k++) {
    cursor *c = &r->c[m->cursors[k]];
    if (!skip_to(c, pno)) {
      *err = 1;
      return 0;
    }
    if (c->cur != pno) return 0;
  }
  return m->start[a + 1] > m->start[a];
}

/* The document filters for doc: the dates and fields through store.c's
 * statement (the SQL path's conditions), title: as one FTS5 probe of the
 * document's headline; cached per document. */
static int doc_passes(run *r, long long doc, int *pass) {
  intptr_t known = (intptr_t)ngi_map_get(&r->docs, (const char *)&doc, sizeof doc);
  if (known) {
    *pass = known == 1;
    return NG_OK;
  }
  const ngi_engine_query *q = r->q;
  int ok = 1;
  if (r->filter) {
    long long group;
    int rc = ngi_store_doc_filter_get(r->filter, doc, &ok, &group);
    if (rc != NG_OK) return rc;
  }
  for (size_t i = 0; ok && i < q->nfilters; i++) {
    const ngi_filter *f = &q->filters[i];
    if (f->field != NGI_FIELD_TITLE) continue;
    buf m = {0};
    ngi_buf_printf(&m, "{head} : (%s)", f->value);
    if (m.oom) return ngi_fail(r->idx, NG_ESYSTEM, "out of memory");
    int hit = ngi_store_match_rowid(r->idx, m.data, NGI_ROWID(doc, 0), &r->sqlite_code);
    ngi_buf_free(&m);
    if (hit < 0) return hit;
    if (hit == f->negated) ok = 0;
  }
  if (ngi_map_put(&r->docs, (const char *)&doc, sizeof doc, (void *)(intptr_t)(ok ? 1 : 2)) != 0)
    return ngi_fail(r->idx, NG_ESYSTEM, "out of memory");
  *pass = ok;
  return NG_OK;
}

static int verify(run *r, long long rowid);

/* The last checks of a candidate that could enter: 1 it does, 0 not. */
static int admit(run *r, long long pno, long long rowid) {
  int dead = ngi_store_dead_has(r->idx, pno);
  if (dead != 0) return dead < 0 ? dead : 0;
  int pass = 1;
  int rc = doc_passes(r, NGI_ROWID_DOC(rowid), &pass);
  if (rc != NG_OK) return rc;
  if (!pass) return 0;
  return verify(r, rowid);
}

/* FTS5's word on a passage the postings matched, for the plans they only
 * approximate (and the surface check): 1, 0 or an error. */
static int cmp_rowid(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

/* Does the passage match FTS5 expression match (sets[which])? 1, 0, or an
 * error code. */
static int fts_match(run *r, int which, const char *match, long long rowid) {
  matchset *m = &r->sets[which];
  if (!m->built) {
    long long whole = 0;
    for (size_t i = 0; i < r->nc; i++) whole += r->c[i].t->count;
    if (m->spent + PROBE_COST < whole) {
      m->spent += PROBE_COST;
      return ngi_store_match_rowid(r->idx, match, rowid, &r->sqlite_code);
    }
    int rc = ngi_store_match_all(r->idx, match, &m->rowids, &m->n, &r->sqlite_code);
    if (rc != NG_OK) return rc;
    m->built = 1;
  }
  return bsearch(&rowid, m->rowids, m->n, sizeof *m->rowids, cmp_rowid) != NULL;
}

static int verify(run *r, long long rowid) {
  const ngi_engine_query *q = r->q;
  if (q->plan->exact || !q->match) return 1;
  if (!q->surface_words || !q->match_plain) return fts_match(r, 0, q->match, rowid);
  /* A passage matching only through a quoted variant form's phrase is a
   * hit only when the form's words are written in it (expand.c). */
  int hit = fts_match(r, 1, q->match_plain, rowid);
  if (hit != 0) return hit;
  hit = fts_match(r, 0, q->match, rowid);
  if (hit <= 0) return hit;
  ngi_hit_row row;
  int rc = ngi_store_hit_row(r->idx, rowid, &row);
  if (rc < 0) return rc;
  const char *text = rc == NG_ROW ? (row.body ? row.body : row.head) : NULL;
  return text && ngi_surface_match(text, strlen(text), q->surface_words);
}

/* Puts the cursor on target when it holds it (anywhere: blocks found by
 * binary search, so it may move back); 0 when a block is damaged. */
static int probe(cursor *c, long long target) {
  for (c->part = 0; c->part < c->t->nparts; c->part++) {
    const ngi_term_part *p = &c->t->parts[c->part];
    if (!p->nblocks || p->table[p->nblocks - 1].last_pno < target) continue;
    size_t lo = 0, hi = p->nblocks - 1;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (p->table[mid].last_pno < target)
        lo = mid + 1;
      else
        hi = mid;
    }
    c->block = lo;
    c->decoded = 0;
    if (!settle(c)) return 0;
    return skip_to(c, target);
  }
  c->cur = END;
  return 1;
}

/* Does the plan match passage pno (the postings, then FTS5 when they only
 * approximate)?  1, 0, or an error. */
static int matches_at(run *r, const alts_map *m, long long pno, long long rowid) {
  const ngi_plan *plan = r->q->plan;
  for (size_t i = 0; i < r->nc; i++)
    if (!probe(&r->c[i], pno)) return ngi_fail(r->idx, NG_EDATA, "index %s is damaged: a postings block", r->idx->path);
  int any = 0;
  for (size_t g = 0; g < plan->ngroups; g++) {
    int present = 0;
    for (size_t a = 0; a < m->nalts && !present; a++) {
      if (m->group_of[a] != (int)g) continue;
      present = m->start[a + 1] > m->start[a];
      for (int k = m->start[a]; k < m->start[a + 1] && present; k++) present = r->c[m->cursors[k]].cur == pno;
    }
    if (!present && plan->groups[g].required) return 0;
    any |= present;
  }
  return any ? verify(r, rowid) : 0;
}

/* The other passages of hit i's document that match: counted, their
 * rowids kept (the document's passages are consecutive passage numbers,
 * doc.pno on: the postings are probed there). */
static int count_more(run *r, const alts_map *m, ngi_engine_hit *hits, size_t n, size_t i) {
  ngi_engine_hit *h = &hits[i];
  long long doc = NGI_ROWID_DOC(h->rowid), first, count;
  int rc = ngi_store_doc_range(r->idx, doc, &first, &count);
  if (rc != NG_OK) return rc;
  size_t cap = 0;
  for (long long pno = first; pno < first + count; pno++) {
    int shown = 0;
    for (size_t j = 0; j < n && !shown; j++) shown = hits[j].pno == pno;
    if (shown) continue;
    long long rowid;
    int date;
    if ((rc = ngi_postings_pdir(r->idx, pno, &r->pdir, &rowid, &date)) != NG_OK) return rc;
    int hit = matches_at(r, m, pno, rowid);
    if (hit < 0) return hit;
    if (!hit) continue;
    if ((size_t)h->more == cap) {
      cap = cap ? cap * 2 : 8;
      long long *p = realloc(h->more_rowid, cap * sizeof *p);
      if (!p) return ngi_fail(r->idx, NG_ESYSTEM, "out of memory");
      h->more_rowid = p;
    }
    h->more_rowid[h->more++] = rowid;
  }
  return NG_OK;
}

void ngi_engine_hits_free(ngi_engine_hit *hits, size_t n) {
  for (size_t i = 0; hits && i < n; i++) free(hits[i].more_rowid);
  free(hits);
}

static int cmp_ub(const void *a, const void *b) {
  double x = (*(cursor *const *)a)->ub, y = (*(cursor *const *)b)->ub;
  return (x > y) - (x < y);
}

int ngi_engine_run(ng_index *idx, const ngi_engine_query *q, ngi_engine_hit **hits, size_t *nhits) {
  *hits = NULL;
  *nhits = 0;
  run r;
  memset(&r, 0, sizeof r);
  r.idx = idx;
  r.q = q;
  r.pdir.chunk = -1;
  ngi_corpus_stats cs;
  alts_map m = {0};
  topk top = {NULL, 0, 0, q->k, q->key != NGI_KEY_PASSAGE ? q->per_key : 0, q->sort == NG_SORT_DATE, 0};
  int rc = ngi_postings_stats(idx, &cs);
  if (rc == NG_OK) rc = build(&r, &m);
  const unsigned char *lens = NULL;
  size_t nlens = 0;
  if (rc == NG_OK) rc = ngi_postings_lens(idx, &lens, &nlens);
  if (rc != NG_OK) goto done;
  for (size_t i = 0; i < r.nc; i++) {
    r.c[i].lens = lens;
    r.c[i].nlens = nlens;
  }
  weigh(&r, &m, q->plan->ngroups);
  int fields = 0;
  for (size_t i = 0; i < q->nfilters; i++) fields |= q->filters[i].field != NGI_FIELD_TITLE;
  if ((q->since || q->until || fields) &&
      (rc = ngi_store_doc_filter_open(idx, q->since, q->until, q->filters, q->nfilters, &r.filter)) != NG_OK)
    goto done;
  scorer_init(&r.s, q->k1, q->b, cs.passages > 0 && cs.tokens > 0 ? (double)cs.tokens / (double)cs.passages : 1.0,
              q->head_weight);
  /* Weights become weight × idf; the tier of a literal term is worth more
   * than every other part of a score can add up to. */
  double all = 0;
  for (size_t i = 0; i < r.nc; i++) {
    cursor *c = &r.c[i];
    double n = (double)c->t->df, N = (double)cs.passages;
    double idf = log((N - n + 0.5) / (n + 0.5));
    c->w_idf *= idf > 1e-6 ? idf : 1e-6;
    all += c->w_idf * (r.s.k1 + 1);
  }
  r.tier_value = all + 1;
  int any_tier = 0;
  for (size_t i = 0; i < r.nc; i++) {
    cursor *c = &r.c[i];
    c->tier *= r.tier_value;
    any_tier |= c->tier > 0;
    c->ub = bm25(&r.s, c->w_idf, c->t->max_tf2, c->t->min_len) + c->tier;
    c->block = 0;
    c->part = 0;
    while (c->part < c->t->nparts && !c->t->parts[c->part].nblocks) c->part++;
    if (!settle(c)) {
      rc = ngi_fail(idx, NG_EDATA, "index %s is damaged: a postings block", idx->path);
      goto done;
    }
  }
  /* The tier counts once per group: which groups have literal cursors. */
  int *group_literal = calloc(q->plan->ngroups + 1, sizeof *group_literal);
  if (!group_literal) {
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    goto done;
  }
  /* The generators: with every group required, the required group with
   * the fewest postings; else every cursor (MaxScore picks among them). */
  int conjunctive = 0;
  long long best_count = -1;
  int lead = -1;
  for (size_t g = 0; g < q->plan->ngroups; g++) {
    if (!q->plan->groups[g].required) continue;
    conjunctive = 1;
    long long count = 0;
    for (size_t a = 0; a < m.nalts; a++) {
      if (m.group_of[a] != (int)g) continue;
      /* An alternative's rarest term brings its candidates. */
      long long rare = -1;
      for (int k = m.start[a]; k < m.start[a + 1]; k++)
        if (rare < 0 || r.c[m.cursors[k]].t->count < rare) rare = r.c[m.cursors[k]].t->count;
      count += rare < 0 ? 0 : rare;
    }
    if (lead < 0 || count < best_count) lead = (int)g, best_count = count;
  }
  cursor **gen = calloc(r.nc + 1, sizeof *gen);
  cursor **order = calloc(r.nc + 1, sizeof *order);
  double *prefix_ub = calloc(r.nc + 1, sizeof *prefix_ub);
  if (!gen || !order || !prefix_ub) {
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    goto loop_done;
  }
  size_t ngen = 0;
  if (conjunctive) {
    /* The lead group's alternatives, each by its rarest term. */
    for (size_t a = 0; a < m.nalts; a++) {
      if (m.group_of[a] != lead) continue;
      cursor *rare = NULL;
      for (int k = m.start[a]; k < m.start[a + 1]; k++)
        if (!rare || r.c[m.cursors[k]].t->count < rare->t->count) rare = &r.c[m.cursors[k]];
      int seen = 0;
      for (size_t i = 0; i < ngen && rare; i++) seen |= gen[i] == rare;
      if (rare && !seen) gen[ngen++] = rare;
    }
  }
  for (size_t i = 0; i < r.nc; i++) order[i] = &r.c[i];
  qsort(order, r.nc, sizeof *order, cmp_ub);
  double total_ub = 0;
  for (size_t i = 0; i < r.nc; i++) {
    prefix_ub[i] = total_ub;
    total_ub += order[i]->ub;
  }
  prefix_ub[r.nc] = total_ub;
  (void)any_tier;

  long long steps = 0;
  for (;;) {
    double theta = q->exhaustive ? -HUGE_VAL : threshold(&top);
    /* MaxScore (disjunctive): order[0..ness) cannot beat theta together. */
    size_t ness = 0;
    if (!conjunctive) {
      while (ness < r.nc && BOUND_SLACK(prefix_ub[ness + 1]) < theta) ness++;
      if (ness == r.nc) break; /* nothing can enter any more */
      ngen = 0;
      for (size_t i = ness; i < r.nc; i++) gen[ngen++] = order[i];
    }
    /* Generators skip the blocks that cannot reach theta. */
    long long p = END;
    for (size_t i = 0; i < ngen; i++) {
      cursor *c = gen[i];
      if (theta > -HUGE_VAL && !skip_weak_blocks(&r.s, c, total_ub - c->ub, theta)) {
        rc = ngi_fail(idx, NG_EDATA, "index %s is damaged: a postings block", idx->path);
        goto loop_done;
      }
      if (c->cur < p) p = c->cur;
    }
    if (p == END) break;
    steps++;
    /* Which groups match, and the score. */
    int err = 0, ok = 1;
    memset(group_literal, 0, (q->plan->ngroups + 1) * sizeof *group_literal);
    unsigned char matched_any = 0;
    for (size_t g = 0; g < q->plan->ngroups && ok; g++) {
      int present = 0;
      for (size_t a = 0; a < m.nalts && !present; a++)
        if (m.group_of[a] == (int)g) present = alt_present(&r, &m, a, p, &err);
      if (err) break;
      if (present) matched_any = 1;
      if (q->plan->groups[g].required && !present) ok = 0;
    }
    if (err) {
      rc = ngi_fail(idx, NG_EDATA, "index %s is damaged: a postings block", idx->path);
      goto loop_done;
    }
    if (ok && matched_any) {
      double score = 0;
      for (size_t i = 0; i < r.nc; i++) {
        cursor *c = &r.c[i];
        if (!skip_to(c, p)) {
          rc = ngi_fail(idx, NG_EDATA, "index %s is damaged: a postings block", idx->path);
          goto loop_done;
        }
        if (c->cur != p) continue;
        score += bm25(&r.s, c->w_idf, c->tf2[c->i], c->len[c->i]);
      }
      /* The tier: once for each group with a literal alternative present. */
      for (size_t a = 0; a < m.nalts; a++) {
        int g = m.group_of[a];
        if (!m.literal[a] || group_literal[g]) continue;
        int present = 1;
        for (int k = m.start[a]; k < m.start[a + 1] && present; k++) present = r.c[m.cursors[k]].cur == p;
        if (present && m.start[a + 1] > m.start[a]) group_literal[g] = 1;
      }
      for (size_t g = 0; g < q->plan->ngroups; g++)
        if (group_literal[g]) score += r.tier_value;
      entry e = {p, 0, 0, score, NGI_NO_DATE};
      int may_enter = !full(&top) || top.by_date || score >= threshold(&top);
      if (may_enter) {
        if ((rc = ngi_postings_pdir(idx, p, &r.pdir, &e.rowid, &e.date)) != NG_OK) goto loop_done;
        e.key = q->key == NGI_KEY_PASSAGE ? e.rowid : NGI_ROWID_DOC(e.rowid);
        if (q->key == NGI_KEY_GROUP && (rc = ngi_store_group_of(idx, e.key, &e.key)) != NG_OK) goto loop_done;
        if (full(&top) && !better(&top, &e, &top.e[top.worst])) may_enter = 0;
      }
      if (may_enter) {
        int in = admit(&r, p, e.rowid);
        if (in < 0) {
          rc = in;
          goto loop_done;
        }
        if (in && offer(&top, &e) != 0) {
          rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
          goto loop_done;
        }
      }
    }
    /* Past p. */
    for (size_t i = 0; i < ngen; i++) {
      if (gen[i]->cur == p && !advance(gen[i])) {
        rc = ngi_fail(idx, NG_EDATA, "index %s is damaged: a postings block", idx->path);
        goto loop_done;
      }
    }
  }
  (void)steps;
  if (top.n) qsort(top.e, top.n, sizeof *top.e, top.by_date ? cmp_by_date : cmp_by_score);
  *hits = calloc(top.n ? top.n : 1, sizeof **hits);
  if (!*hits) {
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    goto loop_done;
  }
  for (size_t i = 0; i < top.n; i++) {
    int tier = (int)floor(top.e[i].score / r.tier_value);
    (*hits)[i] = (ngi_engine_hit){top.e[i].pno, top.e[i].rowid, top.e[i].score, tier, top.e[i].date, 0, NULL};
  }
  *nhits = top.n;
  for (size_t i = 0; q->more && rc == NG_OK && i < top.n; i++) rc = count_more(&r, &m, *hits, top.n, i);
  if (rc != NG_OK) {
    ngi_engine_hits_free(*hits, top.n);
    *hits = NULL;
    *nhits = 0;
  }
loop_done:
  free(gen);
  free(order);
  free(prefix_ub);
  free(group_literal);
done:
  if (rc != NG_OK && r.sqlite_code != SQLITE_OK) {
    /* keep the message store.c set */
  }
  for (size_t i = 0; i < r.nc; i++) ngi_term_free(r.c[i].t);
  free(r.c);
  alts_map_free(&m);
  ngi_dead_free(r.dead);
  ngi_buf_free(&r.pdir.data);
  free(r.sets[0].rowids);
  free(r.sets[1].rowids);
  ngi_map_clear(&r.docs, NULL);
  ngi_store_doc_filter_close(r.filter);
  free(top.e);
  return rc;
}
