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
 *    NOT) -- so FTS5 verifies only passages that would be shown.  Where
 *    the expression is groups of words and phrases (ngi_plan.exact_words),
 *    the postings decide every passage met through single words
 *    (words_verdict), and one met only through a variant's phrase is asked
 *    of FTS5 for that phrase alone (phrase_met).
 * Stage 1's score is BM25 (k1, b, the headline weight inside the term
 * frequency, FTS5's idf floored at 1e-6) summed over the distinct terms
 * present, plus a tier, so that a passage with the query's own words ranks
 * above one that has only their topic synonyms: with all words required,
 * one for each group matched by the form typed; with --any, one when any
 * group is (and none when the query has no synonyms at all), so that
 * --any does not order passages by how many of the words they hold.  Ties
 * go to the earlier pno, the passage stored first (a changed document's
 * passages are stored anew), and candidates come in pno order: once the k
 * best are found, one must beat the k-th, not tie it, so that the copies
 * of a story (BBC x64: 63 of each) cost no lookup of their rowid or their
 * duplicate group.  The same function scores with pruning off
 * (exhaustive, for checking), so the two must give the same top k:
 * tests/unit/test_engine.c and bench/ check it.
 *
 * Stage 2 (q->rerank) is a cascade, as Anserini and Lucene's rescorers
 * run one: stage 1 keeps the exact top R = max(depth, k) stories, and only
 * those passages are scored again, their parts added to BM25:
 *  - proximity (Buettcher, Clarke & Lushman 2006) over the query's stems,
 *    the candidates' text tokenized again for positions, best bound first
 *    and only until the top k (and RM3's feedback stories) cannot change
 *    (s2_settle: the one part that costs a candidate its text);
 *  - the story's own BM25 (k1 dk1, b db over the document's tf and length,
 *    the passage idf) and the context share (the idf-weighted count of
 *    the story's other passages holding each term), both from the terms'
 *    postings read once over the candidates' pno ranges;
 *  - RM3 (s2_expand's comment): the query's weights mixed with those of the
 *    stems of the best fb_docs stories in that order (of each, its best
 *    passage and its neighbours), and every part computed again with them.
 * Stage 2 is a function of stage 1's R passages alone, so the final order
 * is exact when stage 1 is.  Expansion reorders matches; it adds none.
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
  double qw;    /* the query's weight (w_idf without the idf) */
  double idf;
  double bm25_ub; /* the most its BM25 adds */
  double tier;    /* added once per group when a literal term of it is present (accounted per cursor in bounds) */
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

/* The current block's pnos and tfs only (stage 2's sweep, which reads no
 * length); 0 when it is damaged.  The cursor is left undecoded. */
static int decode_pnos(cursor *c) {
  const ngi_block *b = block_at(c);
  const ngi_term_part *part = &c->t->parts[c->part];
  const unsigned char *p = (const unsigned char *)part->data.data + b->offset, *end = p + b->bytes;
  long long prev = b->first_prev;
  c->n = 0;
  c->decoded = 0;
  while (p < end && c->n < BLOCK) {
    uint64_t d, tf2 = 2;
    if (!get_varint(&p, end, &d) || ((d & 1) && !get_varint(&p, end, &tf2))) return 0;
    prev += (long long)(d >> 1);
    if (prev < 0 || (unsigned long long)prev >= c->nlens) return 0;
    c->pno[c->n] = prev;
    c->tf2[c->n] = (int)tf2;
    c->n++;
  }
  return c->n > 0;
}

/* Decodes the current block, lengths too; 0 when it is damaged. */
static int decode(cursor *c) {
  if (!decode_pnos(c)) return 0;
  for (int k = 0; k < c->n; k++) c->len[k] = c->lens[c->pno[k]];
  c->decoded = 1;
  c->i = 0;
  return 1;
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
  int tier; /* the tiers in score */
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
  return a->pno < b->pno;
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
  long long whole; /* the pass over the whole match: its terms' postings (summed once) */
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
  size_t nplan;       /* c[0 .. nplan) are the plan's cursors, the rest stage 2's expansion */
  ngi_lookup *lookup; /* the terms' records, read through one session */
  int sqlite_code;
  matchset sets[2]; /* verify()'s: of q->match and of q->match_plain */
  /* A phrase alternative's own FTS5 answer, made when first needed
   * (phrase_met): [group_first[g] + alternative] */
  matchset *phrase_sets;
  size_t *group_first;
} run;

/* A cursor over term t (which it owns from then on). */
static int cursor_add(run *r, ngi_term *t, int head_only, int *out) {
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
  int rc = r->lookup ? NG_OK : ngi_lookup_open(r->idx, &r->lookup);
  if (rc == NG_OK) rc = ngi_lookup_term(r->lookup, stem, len, -1, &t);
  if (rc != NG_OK) return rc;
  return cursor_add(r, t, head_only, out);
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
  int *word;    /* per alternative: its terms' ngi_plan_term.word */
  int *palt;    /* per alternative: its plan alternative's number in its group */
} alts_map;

static void alts_map_free(alts_map *m) {
  free(m->group_of);
  free(m->start);
  free(m->cursors);
  free(m->weight);
  free(m->literal);
  free(m->word);
  free(m->palt);
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
    r->c[i].qw = w;
    r->c[i].tier = tiers;
  }
}

/* Builds the cursors and the alternatives of the plan, expanding prefixes
 * (an alternative with a prefix term becomes one alternative per stem). */
static int build(run *r, alts_map *m) {
  const ngi_plan *plan = r->q->plan;
  int rc = NG_OK;
  size_t na = 0, nstart = 0, ngroup = 0, nlit = 0, nword = 0, npalt = 0;
  for (size_t g = 0; g < plan->ngroups && rc == NG_OK; g++) {
    for (int a = 0; a < plan->groups[g].nalts && rc == NG_OK; a++) {
      /* The terms of alternative (g, a); at most one prefix term expands. */
      int *base = NULL;
      double *bweight = NULL;
      size_t nbase = 0, nbweight = 0;
      const ngi_plan_term *prefix = NULL;
      int literal = 1, word = 0;
      for (size_t t = 0; t < plan->nterms && rc == NG_OK; t++) {
        const ngi_plan_term *pt = &plan->terms[t];
        if (pt->group != (int)g || pt->alt != a) continue;
        literal &= pt->literal;
        word = pt->word;
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
            push_int(&m->literal, &nlit, literal) != 0 || push_int(&m->word, &nword, word) != 0 ||
            push_int(&m->palt, &npalt, a) != 0) {
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

/* What the postings alone say of the plan at pno (ngi_plan.exact_words):
 * 1 it is met, 0 it is not, -1 only FTS5 can tell (it is met at most
 * through a phrase, whose words are there but perhaps not in a row).  A
 * group is met for sure through a one-term alternative, perhaps through
 * one of more terms all there; a group of words through each of its
 * words (each as a group of its forms) or a form of all of them.  The
 * cursors are already on pno or past it. */
enum { MET_NO = 0, MET_MAYBE = 1, MET_SURE = 2 };

static int alt_met(const run *r, const alts_map *m, size_t a, long long pno) {
  for (int k = m->start[a]; k < m->start[a + 1]; k++)
    if (r->c[m->cursors[k]].cur != pno) return MET_NO;
  int n = m->start[a + 1] - m->start[a];
  return n == 0 ? MET_NO : n == 1 ? MET_SURE : MET_MAYBE;
}

static int cmp_rowid(const void *a, const void *b);

/* Is phrase alternative a (its terms all at pno) written in passage
 * rowid, its words in a row?  FTS5 answers for the phrase alone, once
 * for every passage (cheaper than the whole expression's answer: the
 * words around it are the postings' to decide).  MET_SURE, MET_NO, or an
 * error code (negative). */
static int phrase_met(run *r, const alts_map *m, size_t a, long long rowid) {
  const ngi_plan *plan = r->q->plan;
  int g = m->group_of[a];
  matchset *ms = &r->phrase_sets[r->group_first[g] + (size_t)m->palt[a]];
  if (!ms->built) {
    buf key = {0}, e = {0};
    int prefix = 0;
    for (size_t t = 0; t < plan->nterms; t++) {
      const ngi_plan_term *pt = &plan->terms[t];
      if (pt->group != g || pt->alt != m->palt[a]) continue;
      if (key.len) ngi_buf_addc(&key, ' ');
      ngi_buf_add(&key, pt->stem, pt->len);
      prefix = pt->prefix;
    }
    if (key.data) ngi_fts_phrase(&e, key.data, prefix); /* as expand.c wrote it into the expression */
    int rc = key.oom || e.oom || !e.data ? ngi_fail(r->idx, NG_ESYSTEM, "out of memory")
                                         : ngi_store_match_all(r->idx, e.data, &ms->rowids, &ms->n, &r->sqlite_code);
    ngi_buf_free(&key);
    ngi_buf_free(&e);
    if (rc != NG_OK) return rc < 0 ? rc : NG_ESYSTEM;
    ms->built = 1;
  }
  return ms->n && bsearch(&rowid, ms->rowids, ms->n, sizeof *ms->rowids, cmp_rowid) ? MET_SURE : MET_NO;
}

/* resolve: phrases are settled through phrase_met (rowid is the
 * passage's), so that the answer is 1 or 0, or an error code < -1. */
static int words_verdict(run *r, const alts_map *m, long long pno, long long rowid, int resolve) {
  const ngi_plan *plan = r->q->plan;
  if (plan->exact) return 1; /* the groups' presence decided it */
  if (!plan->exact_words || r->q->surface_words || (resolve && !r->phrase_sets)) return -1;
  int best = MET_NO, required_sure = 1;
  for (size_t g = 0; g < plan->ngroups; g++) {
    int nw = plan->groups[g].nwords, whole = MET_NO, words = MET_SURE;
    for (int w = 1; w <= nw && words != MET_NO; w++) {
      int form = MET_NO; /* the word's best form */
      for (size_t a = 0; a < m->nalts && form != MET_SURE; a++)
        if (m->group_of[a] == (int)g && m->word[a] == w) {
          int v = alt_met(r, m, a, pno);
          if (v == MET_MAYBE && resolve && (v = phrase_met(r, m, a, rowid)) < 0) return v == -1 ? NG_ESYSTEM : v;
          if (v > form) form = v;
        }
      if (form < words) words = form;
    }
    for (size_t a = 0; a < m->nalts && whole != MET_SURE; a++)
      if (m->group_of[a] == (int)g && (nw == 0 || m->word[a] == 0)) {
        int v = alt_met(r, m, a, pno);
        /* a phrase the query gave itself ("prime minister" Iraq): the
         * whole expression is FTS5's cheaper question (verify) */
        if (v == MET_MAYBE && resolve && nw == 0) return -1;
        if (v == MET_MAYBE && resolve && (v = phrase_met(r, m, a, rowid)) < 0) return v == -1 ? NG_ESYSTEM : v;
        if (v > whole) whole = v;
      }
    int met = nw > 0 && words > whole ? words : whole;
    if (plan->groups[g].required && met == MET_NO) return 0;
    if (plan->groups[g].required && met != MET_SURE) required_sure = 0;
    if (met > best) best = met;
  }
  /* every required group, and at least one group */
  return best == MET_NO ? 0 : required_sure && best == MET_SURE ? 1 : -1;
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

/* The last checks of a candidate that could enter: 1 it does, 0 not
 * (verdict: words_verdict's unresolved, 1 when the postings alone
 * showed it matches). */
static int admit(run *r, const alts_map *m, long long pno, long long rowid, int verdict) {
  int dead = ngi_store_dead_has(r->idx, pno);
  if (dead != 0) return dead < 0 ? dead : 0;
  int pass = 1;
  int rc = doc_passes(r, NGI_ROWID_DOC(rowid), &pass);
  if (rc != NG_OK) return rc;
  if (!pass) return 0;
  if (verdict == -1) verdict = words_verdict(r, m, pno, rowid, 1);
  return verdict >= 0 || verdict < -1 ? verdict : verify(r, rowid);
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
    /* (+1 a term: known once, even when every count is 0) */
    if (!m->whole)
      for (size_t i = 0; i < r->nplan; i++) m->whole += r->c[i].t->count + 1;
    if (m->spent + PROBE_COST < m->whole) {
      m->spent += PROBE_COST;
      return ngi_store_match_rowid(r->idx, match, rowid, &r->sqlite_code);
    }
    int rc = ngi_store_match_all(r->idx, match, &m->rowids, &m->n, &r->sqlite_code);
    if (rc != NG_OK) return rc;
    m->built = 1;
  }
  return m->n && bsearch(&rowid, m->rowids, m->n, sizeof *m->rowids, cmp_rowid) != NULL;
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
  /* the block decoded last, kept when it is the one again (a story's
   * passages are probed in a row: count_more) */
  size_t dpart = c->decoded ? c->part : (size_t)-1, dblock = c->block;
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
    if (c->part == dpart && lo == dblock) {
      c->i = 0;
    } else {
      c->block = lo;
      c->decoded = 0;
    }
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
  for (size_t i = 0; i < r->nplan; i++) /* the plan's: not the expansion's */
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
  if (!any) return 0;
  int verdict = words_verdict(r, m, pno, rowid, 1);
  return verdict >= 0 || verdict < -1 ? verdict : verify(r, rowid);
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

/* Puts a cursor back on its first posting. */
static int rewind_cursor(cursor *c) {
  c->part = 0;
  c->block = 0;
  c->decoded = 0;
  while (c->part < c->t->nparts && !c->t->parts[c->part].nblocks) c->part++;
  return settle(c);
}

const char *const ngi_part_names[NGI_PARTS] = {"tier", "bm25", "expansion", "proximity", "document", "context"};

void ngi_expansion_free(ngi_expansion *e) {
  if (!e) return;
  ngi_strlist_free(&e->stems);
  free(e->weights);
  memset(e, 0, sizeof *e);
}

/* ------------------------------------------------------------------ */
/* Stage 2: the exact stage-1 top R, re-scored */

typedef struct cand {
  entry e;
  int doc;   /* index in the documents' table, -1 when not needed */
  int order; /* its place in pno order */
  double prox;
  int prox_done; /* prox is exact (else 0, and prox_max bounds it) */
  double s2;     /* the score before the tier (for the feedback's order) */
  double part[NGI_PARTS];
} cand;

typedef struct sdoc {
  long long id, lo, n; /* the document and its passages' pnos lo .. lo + n */
  double len;          /* its tokens (the passages' length codes' values) */
} sdoc;

typedef struct stage2 {
  run *r;
  const ngi_rerank *rk;
  cand *c;
  size_t nc;
  size_t *by_pno; /* candidate indexes in pno order */
  sdoc *d;
  size_t nd;
  size_t *d_by_lo;
  size_t T, cap_t; /* terms (cursors) held: the query's, then the expansion's */
  size_t nq;       /* the query's cursors */
  int *tf2;        /* [cand * cap_t + term] */
  int *tfd, *npas; /* [doc * cap_t + term]: the term's tf in the story, its passages there */
  long long *pno;  /* the candidates' pnos in pno order (by_pno's) */
  double *w;       /* per term: the weight after expansion (the query weight before) */
  double avgdl, avgdoc;
  int need_docs;
  double prox_max;           /* the most proximity can add to a score (rk->proximity included) */
  double *acc;               /* proximity's accumulators, one per query stem */
  buf text;                  /* the passage proximity reads */
  ngi_stem_filter prox_want; /* the query's stems, for reading it */
} stage2;

static int cmp_cand_pno(const void *a, const void *b, void *ctx) {
  const stage2 *s = ctx;
  long long x = s->c[*(const size_t *)a].e.pno, y = s->c[*(const size_t *)b].e.pno;
  return (x > y) - (x < y);
}

/* qsort_r is not C11: a small merge sort with a context. */
static void sort_idx(size_t *v, size_t n, int (*cmp)(const void *, const void *, void *), void *ctx) {
  if (n < 2) return;
  size_t *tmp = malloc(n * sizeof *tmp);
  if (!tmp) { /* insertion sort, slow but correct */
    for (size_t i = 1; i < n; i++)
      for (size_t j = i; j > 0 && cmp(&v[j - 1], &v[j], ctx) > 0; j--) {
        size_t t = v[j];
        v[j] = v[j - 1];
        v[j - 1] = t;
      }
    return;
  }
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) tmp[k++] = cmp(&v[j], &v[i], ctx) < 0 ? v[j++] : v[i++];
      while (i < mid) tmp[k++] = v[i++];
      while (j < hi) tmp[k++] = v[j++];
    }
    memcpy(v, tmp, n * sizeof *v);
  }
  free(tmp);
}

/* Best first: tier, then the stage-2 score, then the earlier pno. */
static int cmp_cand_final(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->e.tier != y->e.tier) return x->e.tier > y->e.tier ? -1 : 1;
  if (x->s2 != y->s2) return x->s2 > y->s2 ? -1 : 1;
  return (x->e.pno > y->e.pno) - (x->e.pno < y->e.pno);
}

/* Candidate indexes in the final order (a total order: ties go to the pno). */
static int cmp_order_final(const void *a, const void *b, void *ctx) {
  const stage2 *s = ctx;
  return cmp_cand_final(&s->c[*(const size_t *)a], &s->c[*(const size_t *)b]);
}

/* Room for terms up to cap (the matrices grow by columns). */
static int s2_terms_room(stage2 *s, size_t cap) {
  if (cap <= s->cap_t) return 0;
  int *tf2 = calloc(s->nc * cap + 1, sizeof *tf2);
  int *tfd = calloc(s->nd * cap + 1, sizeof *tfd), *npas = calloc(s->nd * cap + 1, sizeof *npas);
  double *w = calloc(cap, sizeof *w);
  if (!tf2 || !tfd || !npas || !w) {
    free(tf2);
    free(tfd);
    free(npas);
    free(w);
    return -1;
  }
  size_t old = s->cap_t ? s->T : 0; /* the columns filled */
  for (size_t i = 0; i < s->nc; i++)
    for (size_t t = 0; t < old; t++) tf2[i * cap + t] = s->tf2[i * s->cap_t + t];
  for (size_t i = 0; i < s->nd; i++)
    for (size_t t = 0; t < old; t++) {
      tfd[i * cap + t] = s->tfd[i * s->cap_t + t];
      npas[i * cap + t] = s->npas[i * s->cap_t + t];
    }
  for (size_t t = 0; t < old; t++) w[t] = s->w[t];
  free(s->tf2);
  free(s->tfd);
  free(s->npas);
  free(s->w);
  s->tf2 = tf2;
  s->tfd = tfd;
  s->npas = npas;
  s->w = w;
  s->cap_t = cap;
  return 0;
}

/* Term t's postings read once, in pno order: its tf in each candidate,
 * and with need_docs its tf and passage count in each document. */
static int s2_sweep(stage2 *s, size_t t) {
  cursor *c = &s->r->c[t];
  if (s->need_docs) {
    /* block by block, the postings merged with the documents' ranges
     * (in pno order) and the candidates; a block that ends before the
     * next document is not decoded */
    size_t k = 0, ci = 0; /* in d_by_lo, in by_pno */
    c->part = 0;
    c->block = 0;
    c->decoded = 0;
    while (c->part < c->t->nparts && !c->t->parts[c->part].nblocks) c->part++;
    for (const ngi_block *b; k < s->nd && (b = block_at(c)) != NULL; next_block(c)) {
      if (b->last_pno < s->d[s->d_by_lo[k]].lo) continue;
      if (!decode_pnos(c)) return NG_EDATA;
      for (int i = 0; i < c->n && k < s->nd;) {
        size_t di = s->d_by_lo[k];
        long long p = c->pno[i], lo = s->d[di].lo;
        if (p >= lo + s->d[di].n) { /* past this story */
          k++;
          continue;
        }
        if (p < lo) { /* to the story's first posting in the block */
          int a = i + 1, z = c->n;
          while (a < z) {
            int mid = a + (z - a) / 2;
            if (c->pno[mid] < lo)
              a = mid + 1;
            else
              z = mid;
          }
          i = a;
          continue;
        }
        int tf2 = c->tf2[i++];
        if (c->head_only && !(tf2 & 1)) continue;
        s->tfd[di * s->cap_t + t] += tf2 >> 1;
        s->npas[di * s->cap_t + t] += 1;
        while (ci < s->nc && s->pno[ci] < p) ci++;
        if (ci < s->nc && s->pno[ci] == p) s->tf2[s->by_pno[ci] * s->cap_t + t] = tf2;
      }
    }
    c->decoded = 0;
    return NG_OK;
  }
  if (!rewind_cursor(c)) return NG_EDATA;
  for (size_t k = 0; k < s->nc; k++) {
    size_t ci = s->by_pno[k];
    if (!skip_to(c, s->c[ci].e.pno)) return NG_EDATA;
    if (c->cur == s->c[ci].e.pno) s->tf2[ci * s->cap_t + t] = c->tf2[c->i];
  }
  return NG_OK;
}

/* Proximity after Buettcher, Clarke & Lushman (2006), "Term proximity
 * scoring for ad-hoc retrieval on very large text collections" (SIGIR),
 * as Anserini's and Terrier's re-implementations read it: over the
 * passage's sequence of query-stem occurrences, two neighbours of
 * different stems at distance d add idf(other) / d^2 to each one's
 * accumulator; the score is sum_t min(1, idf_t) w_t acc_t (k1 + 1) /
 * (acc_t + K), K BM25's length normalisation of the passage. */
typedef struct prox_walk {
  stage2 *s;
  long long pos;
  int last_t;
  long long last_pos;
  double *acc;
} prox_walk;

static int prox_token(void *ctx, const lex_token *tok) {
  prox_walk *p = ctx;
  long long pos = p->pos++;
  run *r = p->s->r;
  for (size_t t = 0; t < p->s->nq; t++) {
    const ngi_term *term = r->c[t].t;
    if (term->stemlen != tok->stemlen || memcmp(term->stem, tok->stem, tok->stemlen) != 0) continue;
    if (p->last_t >= 0 && p->last_t != (int)t && pos > p->last_pos) {
      double d = (double)(pos - p->last_pos);
      p->acc[t] += r->c[p->last_t].idf / (d * d);
      p->acc[p->last_t] += r->c[t].idf / (d * d);
    }
    p->last_t = (int)t;
    p->last_pos = pos;
    break;
  }
  return 0;
}

/* Candidate i's proximity, exactly (a passage with fewer than two of
 * the query's stems has none). */
static int s2_proximity(stage2 *s, size_t i) {
  run *r = s->r;
  cand *c = &s->c[i];
  c->prox_done = 1;
  c->prox = 0;
  int present = 0;
  for (size_t t = 0; t < s->nq; t++) present += s->tf2[i * s->cap_t + t] != 0;
  if (present < 2) return NG_OK;
  int rc = ngi_store_passage_text(r->idx, c->e.rowid, &s->text);
  if (rc == NG_DONE) return NG_OK;
  if (rc != NG_OK) return rc;
  double *acc = s->acc;
  memset(acc, 0, (s->nq + 1) * sizeof *acc);
  prox_walk p = {s, 0, -1, 0, acc};
  ngi_tokenize_text_for(r->idx->lx, s->text.data ? s->text.data : "", (int)s->text.len, &s->prox_want, &p, prox_token);
  double K = r->s.norm[r->c[0].lens[c->e.pno] & 0xFF], sum = 0;
  for (size_t t = 0; t < s->nq; t++) {
    if (acc[t] <= 0) continue;
    double idf = r->c[t].idf < 1 ? r->c[t].idf : 1;
    sum += idf * r->c[t].qw * acc[t] * (r->s.k1 + 1) / (acc[t] + K);
  }
  c->prox = sum;
  return NG_OK;
}

/* Proximity is the one part read from the text, so it is computed only
 * where it can change what is shown: every candidate starts with none (a
 * passage without two of the query's stems has none for good), its
 * score bounded by what proximity can add at most (each stem's term is
 * below min(1, idf) x weight x (k1 + 1)), and a candidate is read, best
 * bound first, until the order's first need_k candidates and its first
 * need_docs documents (the feedback's) are exact and beat every bound
 * left: the top k of a search is what reading every candidate gives, as
 * stage 1's is what scoring every match gives (the candidates below are
 * never shown and keep a score without proximity). */
static void s2_score_one(stage2 *s, size_t i);

static int s2_settle(stage2 *s, size_t need_k, int need_docs) {
  for (;;) {
    /* the best bound not yet exact */
    size_t best = s->nc;
    double bu = 0;
    for (size_t i = 0; i < s->nc; i++) {
      const cand *c = &s->c[i];
      if (c->prox_done) continue;
      double u = BOUND_SLACK(c->s2 + s->prox_max);
      const cand *b = best < s->nc ? &s->c[best] : NULL;
      if (!b || c->e.tier > b->e.tier || (c->e.tier == b->e.tier && (u > bu || (u == bu && c->e.pno < b->e.pno)))) {
        best = i;
        bu = u;
      }
    }
    if (best == s->nc) return NG_OK;
    /* the exact candidates that beat it (and so every one not exact) */
    const cand *b = &s->c[best];
    size_t beat = 0;
    long long seen[64];
    int nseen = 0;
    for (size_t i = 0; i < s->nc; i++) {
      const cand *c = &s->c[i];
      if (!c->prox_done || !(c->e.tier > b->e.tier || (c->e.tier == b->e.tier && c->s2 > bu))) continue;
      beat++;
      long long doc = NGI_ROWID_DOC(c->e.rowid);
      int dup = 0;
      for (int j = 0; j < nseen; j++) dup |= seen[j] == doc;
      if (!dup && nseen < 64) seen[nseen++] = doc;
    }
    if (beat >= need_k && nseen >= need_docs) return NG_OK;
    int rc = s2_proximity(s, best);
    if (rc != NG_OK) return rc;
    s2_score_one(s, best);
  }
}

/* Candidate i's score from the terms' weights s->w (parts filled). */
static void s2_score_one(stage2 *s, size_t i) {
  run *r = s->r;
  const ngi_rerank *rk = s->rk;
  cand *c = &s->c[i];
  double bm = 0, ex = 0, ctx = 0, doc = 0;
  int len = r->c[0].lens[c->e.pno];
  const sdoc *d = c->doc >= 0 ? &s->d[c->doc] : NULL;
  double dnorm = d ? rk->dk1 * (1 - rk->db + rk->db * d->len / s->avgdoc) : 0;
  for (size_t t = 0; t < s->T; t++) {
    int tf2 = s->tf2[i * s->cap_t + t];
    /* a term with no evidence here adds nothing (most expansion stems) */
    if (!tf2 && (!d || s->npas[c->doc * s->cap_t + t] == 0)) continue;
    double wi = s->w[t] * r->c[t].idf;
    if (wi == 0) continue;
    if (tf2) {
      double v = bm25(&r->s, wi, tf2, len);
      if (t < s->nq)
        bm += v;
      else
        ex += v;
    }
    if (d) {
      double tfd = (double)s->tfd[c->doc * s->cap_t + t];
      ctx += wi * (s->npas[c->doc * s->cap_t + t] - (tf2 != 0));
      if (tfd > 0) doc += wi * tfd * (rk->dk1 + 1) / (tfd + dnorm);
    }
  }
  c->part[NGI_PART_TIER] = c->e.tier * r->tier_value;
  c->part[NGI_PART_BM25] = bm;
  c->part[NGI_PART_EXPANSION] = ex;
  c->part[NGI_PART_PROXIMITY] = rk->proximity * c->prox;
  c->part[NGI_PART_DOCUMENT] = rk->document * doc;
  c->part[NGI_PART_CONTEXT] = ctx > 0 ? rk->context * ctx : 0;
  c->s2 = 0;
  for (int k = NGI_PART_BM25; k < NGI_PARTS; k++) c->s2 += c->part[k];
}

static void s2_score(stage2 *s) {
  for (size_t i = 0; i < s->nc; i++) s2_score_one(s, i);
}

/* RM3's feedback (s2_expand's comment says what it follows): its
 * vocabulary, every distinct word once (its stem, and whether that can be
 * an expansion stem: worked out once a word, not once a token), every
 * stem once with its weight so far and its tf in the story being read.
 * Open addressing over (hash, entry) slots; keys in an arena. */
typedef struct fb_slot {
  uint64_t hash;
  size_t entry; /* + 1; 0: empty */
} fb_slot;

typedef struct fb_table {
  fb_slot *slots;
  size_t cap, count;
} fb_table;

typedef struct fb_word {
  size_t off, len; /* the raw word in the arena */
  long stem;       /* its entry in the stems, -1: not an expansion stem */
} fb_word;

typedef struct fb_stem {
  size_t off, len; /* in the arena */
  double rm;       /* sum over the stories read of weight x tf / |D| */
  double tf;       /* in the story being read */
  long story;      /* the story tf counts in */
} fb_stem;

typedef struct fb_walk {
  buf arena;
  fb_table words, stems;
  fb_word *w;
  fb_stem *st;
  size_t nw, capw, nst, capst;
  size_t *touched; /* the stems of the story being read */
  size_t ntouched, captouched;
  long story;
  double tokens;
  int oom;
} fb_walk;

/* The entry of key in t (kind: 0 words, 1 stems), or 0 with *slot where
 * it goes. */
static size_t fb_find(const fb_walk *f, const fb_table *t, int kind, const char *key, size_t n, uint64_t h,
                      size_t *slot) {
  *slot = 0;
  if (!t->cap) return 0;
  size_t mask = t->cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    const fb_slot *sl = &t->slots[i];
    if (!sl->entry) {
      *slot = i;
      return 0;
    }
    if (sl->hash != h) continue;
    size_t off = kind ? f->st[sl->entry - 1].off : f->w[sl->entry - 1].off;
    size_t len = kind ? f->st[sl->entry - 1].len : f->w[sl->entry - 1].len;
    if (len == n && memcmp(f->arena.data + off, key, n) == 0) return sl->entry;
  }
}

static int fb_grow(fb_walk *f, fb_table *t, int kind) {
  size_t cap = t->cap ? t->cap * 2 : 256;
  fb_slot *old = t->slots;
  size_t oldcap = t->cap;
  if (!(t->slots = calloc(cap, sizeof *t->slots))) {
    t->slots = old;
    return -1;
  }
  t->cap = cap;
  for (size_t i = 0; i < oldcap; i++) {
    if (!old[i].entry) continue;
    size_t e = old[i].entry - 1, slot;
    size_t off = kind ? f->st[e].off : f->w[e].off, len = kind ? f->st[e].len : f->w[e].len;
    fb_find(f, t, kind, f->arena.data + off, len, old[i].hash, &slot);
    t->slots[slot] = old[i];
  }
  free(old);
  return 0;
}

static int fb_grow_array(void **a, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return 0;
  size_t c = *cap ? *cap * 2 : 256;
  void *p = realloc(*a, c * size);
  if (!p) return -1;
  *a = p;
  *cap = c;
  return 0;
}

/* The stem entry of a new word: -1 when it cannot be an expansion stem
 * (one byte, a stop word, all digits), -2 when out of memory. */
static long fb_word_stem(fb_walk *f, const lex_token *tok) {
  if (tok->stemlen < 2 || ngi_stop_word(tok->raw, tok->rawlen)) return -1;
  size_t k = 0;
  while (k < tok->stemlen && tok->stem[k] >= '0' && tok->stem[k] <= '9') k++;
  if (k == tok->stemlen) return -1;
  uint64_t h = ngi_hash(tok->stem, tok->stemlen);
  size_t slot;
  size_t e = fb_find(f, &f->stems, 1, tok->stem, tok->stemlen, h, &slot);
  if (e) return (long)e - 1;
  if (fb_grow_array((void **)&f->st, &f->capst, f->nst, sizeof *f->st) != 0) return -2;
  size_t off = f->arena.len;
  if (ngi_buf_add(&f->arena, tok->stem, tok->stemlen) != 0) return -2;
  f->st[f->nst] = (fb_stem){off, tok->stemlen, 0, 0, -1};
  if ((f->stems.count + 1) * 2 > f->stems.cap) {
    if (fb_grow(f, &f->stems, 1) != 0) return -2;
    fb_find(f, &f->stems, 1, tok->stem, tok->stemlen, h, &slot);
  }
  f->stems.slots[slot] = (fb_slot){h, f->nst + 1};
  f->stems.count++;
  return (long)f->nst++;
}

static int fb_token(void *ctx, const lex_token *tok) {
  fb_walk *f = ctx;
  f->tokens += 1;
  if (f->oom) return 0;
  uint64_t h = ngi_hash(tok->raw, tok->rawlen);
  size_t slot;
  size_t e = fb_find(f, &f->words, 0, tok->raw, tok->rawlen, h, &slot);
  long stem;
  if (e) {
    stem = f->w[e - 1].stem;
  } else {
    if ((stem = fb_word_stem(f, tok)) == -2 || fb_grow_array((void **)&f->w, &f->capw, f->nw, sizeof *f->w) != 0) {
      f->oom = 1;
      return 0;
    }
    size_t off = f->arena.len;
    if (ngi_buf_add(&f->arena, tok->raw, tok->rawlen) != 0) {
      f->oom = 1;
      return 0;
    }
    f->w[f->nw] = (fb_word){off, tok->rawlen, stem};
    if ((f->words.count + 1) * 2 > f->words.cap) {
      if (fb_grow(f, &f->words, 0) != 0) {
        f->oom = 1;
        return 0;
      }
      fb_find(f, &f->words, 0, tok->raw, tok->rawlen, h, &slot);
    }
    f->words.slots[slot] = (fb_slot){h, f->nw + 1};
    f->words.count++;
    f->nw++;
  }
  if (stem < 0) return 0;
  fb_stem *st = &f->st[stem];
  if (st->story != f->story) {
    if (fb_grow_array((void **)&f->touched, &f->captouched, f->ntouched, sizeof *f->touched) != 0) {
      f->oom = 1;
      return 0;
    }
    f->touched[f->ntouched++] = (size_t)stem;
    st->story = f->story;
    st->tf = 0;
  }
  st->tf += 1;
  return 0;
}

static void fb_free(fb_walk *f) {
  ngi_buf_free(&f->arena);
  free(f->words.slots);
  free(f->stems.slots);
  free(f->w);
  free(f->st);
  free(f->touched);
}

typedef struct fb_pick {
  const char *stem;
  size_t len;
  double rm;
} fb_pick;

static int cmp_pick(const void *a, const void *b) {
  const fb_pick *x = a, *y = b;
  if (x->rm != y->rm) return x->rm > y->rm ? -1 : 1;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->stem, y->stem, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The heaviest first, without sorting every stem of the feedback: a
 * binary heap in cmp_pick's order, popped one stem at a time. */
static void pick_sift(fb_pick *h, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, best = i;
    if (l < n && cmp_pick(&h[l], &h[best]) < 0) best = l;
    if (l + 1 < n && cmp_pick(&h[l + 1], &h[best]) < 0) best = l + 1;
    if (best == i) return;
    fb_pick t = h[i];
    h[i] = h[best];
    h[best] = t;
    i = best;
  }
}

static fb_pick pick_pop(fb_pick *h, size_t *n) {
  fb_pick top = h[0];
  h[0] = h[--*n];
  pick_sift(h, *n, 0);
  return top;
}

/* RM3 (Lavrenko & Croft 2001, relevance models; Abdul-Jaleel et al.
 * 2004, UMass at TREC 2004, the mixture with the query), as Anserini's
 * RM3Reranker estimates it, re-scoring the stage-2 candidates:
 *  - the feedback: the first fb_docs distinct stories of the stage-2 order
 *    (exact that far: s2_settle), each weighted by its best passage's
 *    score; a story's text is its best passage and fb_window passages on
 *    each side, not the whole story (a window, as local context analysis
 *    takes passages, Xu & Croft 1996; fb_window < 0: the whole story);
 *  - a stem's weight is the sum over them of score x tf / |D|, |D| the
 *    tokens of that text (Anserini: the document vector's L1 norm, after
 *    pruning it to fbTerms, which is not done here);
 *  - the fb_terms heaviest stems (ties: byte order) that are not stop
 *    words, one byte or all digits (Anserini: [a-z0-9]+, 2 to 20 bytes)
 *    and are in 1 .. fb_maxdf of the passages (Anserini's 10% rule, of
 *    documents there), df read only for the stems that could be kept, in
 *    weight order (Anserini reads it for every term);
 *  - fb_orig x query + (1 - fb_orig) x feedback, each normalised to sum
 *    1, the whole scaled so a query word keeps weight 1;
 *  - Anserini searches again with the expanded query; here the stage-2
 *    candidates are scored again, every part with the new weights, so
 *    expansion reorders the matches and never adds one.
 * Each kept stem's record is read once (its head gives df, its postings
 * are loaded only when it is kept) and swept once over the candidates'
 * stories; the feedback's words are counted in one table of distinct
 * words.  bench/relevance.py's collections hold documents of one or two
 * passages, where the window is the whole document; a BBC story has six
 * on average and up to 75. */
static int s2_expand(stage2 *s, const ngi_corpus_stats *cs, ngi_expansion *out) {
  run *r = s->r;
  const ngi_rerank *rk = s->rk;
  ng_index *idx = r->idx;
  fb_walk f;
  memset(&f, 0, sizeof f);
  buf text = {0};
  fb_pick *picks = NULL;
  int rc = NG_OK;
  /* the stage-2 order */
  size_t *order = malloc((s->nc + 1) * sizeof *order);
  if (!order) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  for (size_t i = 0; i < s->nc; i++) order[i] = i;
  sort_idx(order, s->nc, cmp_order_final, s);
  long long seen[64];
  int nseen = 0;
  int want = rk->fb_docs < 64 ? rk->fb_docs : 64;
  for (size_t k = 0; k < s->nc && nseen < want && rc == NG_OK; k++) {
    const cand *c = &s->c[order[k]];
    long long doc = NGI_ROWID_DOC(c->e.rowid);
    int dup = 0;
    for (int j = 0; j < nseen; j++) dup |= seen[j] == doc;
    if (dup) continue;
    seen[nseen++] = doc;
    long long lo, n;
    if ((rc = ngi_store_doc_range(idx, doc, &lo, &n)) != NG_OK) break;
    if (rk->fb_window >= 0 && c->e.pno >= lo && c->e.pno < lo + n) {
      long long from = c->e.pno - rk->fb_window > lo ? c->e.pno - rk->fb_window : lo;
      long long to = c->e.pno + rk->fb_window + 1 < lo + n ? c->e.pno + rk->fb_window + 1 : lo + n;
      lo = from;
      n = to - from;
    }
    f.story = nseen;
    f.tokens = 0;
    f.ntouched = 0;
    for (long long pno = lo; pno < lo + n && rc == NG_OK; pno++) {
      long long rowid;
      int date;
      if ((rc = ngi_postings_pdir(idx, pno, &r->pdir, &rowid, &date)) != NG_OK) break;
      int got = ngi_store_passage_text(idx, rowid, &text);
      if (got == NG_DONE) continue;
      if (got != NG_OK) {
        rc = got;
        break;
      }
      ngi_tokenize_text(idx->lx, text.data ? text.data : "", (int)text.len, &f, fb_token);
    }
    if (f.oom) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    double weight = c->s2 > 0 ? c->s2 : 0;
    for (size_t i = 0; rc == NG_OK && f.tokens > 0 && i < f.ntouched; i++) {
      fb_stem *t = &f.st[f.touched[i]];
      t->rm += weight * t->tf / f.tokens;
    }
  }
  free(order);
  /* the heaviest stems that pass the df filter (looked up lazily) */
  size_t np = 0;
  if (rc == NG_OK && f.nst && !(picks = malloc(f.nst * sizeof *picks))) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  for (size_t i = 0; rc == NG_OK && i < f.nst; i++)
    if (f.st[i].rm > 0) picks[np++] = (fb_pick){f.arena.data + f.st[i].off, f.st[i].len, f.st[i].rm};
  for (size_t i = np / 2; i-- > 0;) pick_sift(picks, np, i);
  size_t kept = 0, want_terms = rk->fb_terms > 0 ? (size_t)rk->fb_terms : 0;
  double Z = 0, maxdf = rk->fb_maxdf * (double)cs->passages;
  /* a stem's record is read once: its head for df, its postings only when
   * it passes (a df in 1 .. maxdf) */
  long long max_df = maxdf >= 1 ? (maxdf < 9e18 ? (long long)floor(maxdf) : INT64_MAX) : 0;
  size_t room = want_terms < np ? want_terms : np;
  ngi_term **terms = room ? calloc(room, sizeof *terms) : NULL;
  fb_pick *chosen = room ? malloc(room * sizeof *chosen) : NULL;
  if (room && (!terms || !chosen)) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  if (rc == NG_OK && room && !r->lookup) rc = ngi_lookup_open(idx, &r->lookup);
  while (rc == NG_OK && np && kept < room) {
    fb_pick p = pick_pop(picks, &np);
    ngi_term *t = NULL;
    if ((rc = ngi_lookup_term(r->lookup, p.stem, p.len, max_df, &t)) != NG_OK) break;
    if (t->df <= 0 || t->df > max_df) {
      ngi_term_free(t);
      continue;
    }
    terms[kept] = t;
    chosen[kept++] = p;
    Z += p.rm;
  }
  /* |q|: the query's weights summed */
  double qlen = 0;
  for (size_t t = 0; t < s->nq; t++) qlen += r->c[t].qw;
  if (rc == NG_OK && kept && Z > 0 && qlen > 0 && rk->fb_orig > 0) {
    double scale = (1 - rk->fb_orig) / rk->fb_orig * qlen / Z;
    if (s2_terms_room(s, s->T + kept) != 0) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    if (out && rc == NG_OK && !(out->weights = calloc(kept, sizeof *out->weights)))
      rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    for (size_t i = 0; rc == NG_OK && i < kept; i++) {
      double add = scale * chosen[i].rm;
      size_t t = 0;
      while (t < s->nq && !(r->c[t].t->stemlen == chosen[i].len &&
                            memcmp(r->c[t].t->stem, chosen[i].stem, chosen[i].len) == 0 && !r->c[t].head_only))
        t++;
      if (out) {
        char *st = ngi_strdup_n(chosen[i].stem, chosen[i].len);
        if (!st || ngi_strlist_add(&out->stems, st) != 0) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
        free(st);
        if (rc == NG_OK) out->weights[out->stems.n - 1] = add;
      }
      if (t < s->nq) {
        s->w[t] += add;
        continue;
      }
      int ci = 0;
      rc = cursor_add(r, terms[i], 0, &ci); /* owns the term, even when it fails */
      terms[i] = NULL;
      if (rc != NG_OK) break;
      cursor *c = &r->c[ci];
      c->lens = r->c[0].lens;
      c->nlens = r->c[0].nlens;
      double n = (double)c->t->df, N = (double)cs->passages;
      double idf = log((N - n + 0.5) / (n + 0.5));
      c->idf = idf > 1e-6 ? idf : 1e-6;
      c->qw = 0;
      c->w_idf = 0;
      s->w[ci] = add;
      s->T = (size_t)ci + 1;
      rc = s2_sweep(s, (size_t)ci);
      if (rc == NG_EDATA) rc = ngi_fail(idx, NG_EDATA, "index %s is damaged: a postings block", idx->path);
    }
  }
  for (size_t i = 0; terms && i < kept; i++) ngi_term_free(terms[i]);
  free(terms);
  free(chosen);
  free(picks);
  fb_free(&f);
  ngi_buf_free(&text);
  return rc;
}

/* The number of documents, for the document BM25's average length:
 * counted once per state of the index (the corpus statistics). */
static int doc_count(ng_index *idx, const ngi_corpus_stats *cs, long long *n) {
  if (idx->rank_docs_key != cs->passages * 1000003 + cs->tokens || idx->rank_docs <= 0) {
    int rc = ngi_store_doc_count(idx, &idx->rank_docs);
    if (rc != NG_OK) return rc;
    idx->rank_docs_key = cs->passages * 1000003 + cs->tokens;
  }
  *n = idx->rank_docs;
  return NG_OK;
}

/* Re-scores top (the stage-1 candidates) and orders them best first. */
static int stage_two(run *r, topk *top, const ngi_corpus_stats *cs, ngi_expansion *expansion, cand **out) {
  ng_index *idx = r->idx;
  const ngi_rerank *rk = r->q->rerank;
  stage2 s;
  memset(&s, 0, sizeof s);
  s.r = r;
  s.rk = rk;
  s.nc = top->n;
  s.nq = r->nc;
  s.T = r->nc;
  s.avgdl = r->s.avgdl;
  s.need_docs = rk->document > 0 || rk->context > 0;
  int rc = NG_OK;
  s.c = calloc(s.nc + 1, sizeof *s.c);
  s.by_pno = calloc(s.nc + 1, sizeof *s.by_pno);
  s.d = calloc(s.nc + 1, sizeof *s.d);
  s.d_by_lo = calloc(s.nc + 1, sizeof *s.d_by_lo);
  if (!s.c || !s.by_pno || !s.d || !s.d_by_lo) {
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < s.nc; i++) {
    s.c[i].e = top->e[i];
    s.c[i].doc = -1;
    s.by_pno[i] = i;
  }
  sort_idx(s.by_pno, s.nc, cmp_cand_pno, &s);
  if (!(s.pno = malloc((s.nc + 1) * sizeof *s.pno))) {
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    goto done;
  }
  for (size_t k = 0; k < s.nc; k++) s.pno[k] = s.c[s.by_pno[k]].e.pno;
  if (s.need_docs) {
    long long ndocs = 0;
    if ((rc = doc_count(idx, cs, &ndocs)) != NG_OK) goto done;
    s.avgdoc = ndocs > 0 ? (double)cs->tokens / (double)ndocs : 1;
    if (s.avgdoc <= 0) s.avgdoc = 1;
    /* the candidates' documents: in pno order, a document's passages are
     * consecutive, so equal neighbours are one document */
    for (size_t k = 0; k < s.nc; k++) {
      cand *c = &s.c[s.by_pno[k]];
      long long doc = NGI_ROWID_DOC(c->e.rowid);
      if (s.nd && s.d[s.nd - 1].id == doc && c->e.pno >= s.d[s.nd - 1].lo &&
          c->e.pno < s.d[s.nd - 1].lo + s.d[s.nd - 1].n) {
        c->doc = (int)s.nd - 1;
        continue;
      }
      sdoc *d = &s.d[s.nd];
      d->id = doc;
      if ((rc = ngi_store_doc_range(idx, doc, &d->lo, &d->n)) != NG_OK) goto done;
      if (c->e.pno < d->lo || c->e.pno >= d->lo + d->n) { /* cannot happen in one read transaction */
        d->lo = c->e.pno;
        d->n = 1;
      }
      d->len = 0;
      for (long long p = d->lo; p < d->lo + d->n && (size_t)p < r->c[0].nlens; p++)
        d->len += ngi_len_value(r->c[0].lens[p]);
      c->doc = (int)s.nd;
      s.d_by_lo[s.nd] = s.nd;
      s.nd++;
    }
  }
  if (s2_terms_room(&s, s.T + 1 + (rk->fb_docs > 0 ? (size_t)rk->fb_terms : 0)) != 0) {
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    goto done;
  }
  for (size_t t = 0; t < s.nq; t++) {
    s.w[t] = r->c[t].qw;
    if ((rc = s2_sweep(&s, t)) != NG_OK) {
      rc = ngi_fail(idx, NG_EDATA, "index %s is damaged: a postings block", idx->path);
      goto done;
    }
  }
  /* proximity's bound, and the candidates it cannot change */
  int proximity = rk->proximity > 0 && s.nq > 1;
  if (proximity && !(s.acc = calloc(s.nq + 1, sizeof *s.acc))) {
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    goto done;
  }
  for (size_t t = 0; proximity && t < s.nq; t++) {
    s.prox_max += (r->c[t].idf < 1 ? r->c[t].idf : 1) * r->c[t].qw * (r->s.k1 + 1);
    ngi_stem_filter_add(&s.prox_want, r->c[t].t->stem, r->c[t].t->stemlen);
  }
  s.prox_max = BOUND_SLACK(rk->proximity * BOUND_SLACK(s.prox_max));
  for (size_t i = 0; i < s.nc; i++) {
    int present = 0;
    for (size_t t = 0; proximity && t < s.nq; t++) present += s.tf2[i * s.cap_t + t] != 0;
    s.c[i].prox_done = present < 2;
  }
  s2_score(&s);
  /* the whole order when every hit is wanted, or when checking */
  size_t need_k = r->q->exhaustive || r->q->k < 0 || (size_t)r->q->k > s.nc ? s.nc : (size_t)r->q->k;
  if (rk->fb_docs > 0 && rk->fb_terms > 0) {
    if ((rc = s2_settle(&s, 0, rk->fb_docs < 64 ? rk->fb_docs : 64)) != NG_OK) goto done;
    if ((rc = s2_expand(&s, cs, expansion)) != NG_OK) goto done;
    s2_score(&s);
  }
  if ((rc = s2_settle(&s, need_k, 0)) != NG_OK) goto done;
  qsort(s.c, s.nc, sizeof *s.c, cmp_cand_final);
  *out = s.c;
  s.c = NULL;
done:
  free(s.acc);
  ngi_buf_free(&s.text);
  free(s.c);
  free(s.by_pno);
  free(s.d);
  free(s.d_by_lo);
  free(s.tf2);
  free(s.tfd);
  free(s.npas);
  free(s.pno);
  free(s.w);
  return rc;
}

int ngi_engine_run(ng_index *idx, const ngi_engine_query *q, ngi_engine_hit **hits, size_t *nhits,
                   ngi_expansion *expansion) {
  *hits = NULL;
  *nhits = 0;
  run r;
  memset(&r, 0, sizeof r);
  r.idx = idx;
  r.q = q;
  r.pdir.chunk = -1;
  ngi_corpus_stats cs;
  alts_map m = {0};
  /* Stage 2 re-scores the exact top R = max(depth, k) of stage 1. */
  const ngi_rerank *rk = q->sort == NG_SORT_DATE ? NULL : q->rerank;
  long k1 = q->k;
  if (rk && k1 >= 0 && k1 < rk->depth) k1 = rk->depth;
  topk top = {NULL, 0, 0, k1, q->key != NGI_KEY_PASSAGE ? q->per_key : 0, q->sort == NG_SORT_DATE, 0};
  cand *final = NULL;
  int rc = ngi_postings_stats(idx, &cs);
  if (rc == NG_OK) rc = build(&r, &m);
  size_t nphrase_sets = 0;
  if (rc == NG_OK && q->plan->exact_words && !q->plan->exact && q->plan->ngroups) {
    r.group_first = malloc(q->plan->ngroups * sizeof *r.group_first);
    for (size_t g = 0; r.group_first && g < q->plan->ngroups; g++) {
      r.group_first[g] = nphrase_sets;
      nphrase_sets += (size_t)q->plan->groups[g].nalts;
    }
    r.phrase_sets = r.group_first ? calloc(nphrase_sets ? nphrase_sets : 1, sizeof *r.phrase_sets) : NULL;
    if (!r.phrase_sets) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  const unsigned char *lens = NULL;
  size_t nlens = 0;
  if (rc == NG_OK) rc = ngi_postings_lens(idx, &lens, &nlens);
  if (rc != NG_OK) goto done;
  r.nplan = r.nc;
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
  /* With every group required the tier counts the groups matched by the
   * words typed; with --any it is 1 when any of them is (so that a passage
   * with a word typed ranks above one with only synonyms, without
   * ordering --any's passages by how many words they have), and nothing
   * when every alternative is a word typed. */
  int conjunctive = 0;
  for (size_t g = 0; g < q->plan->ngroups; g++) conjunctive |= q->plan->groups[g].required;
  int synonyms = 0;
  for (size_t a = 0; a < m.nalts; a++) synonyms |= !m.literal[a];
  int tier_once = !conjunctive;
  /* Weights become weight × idf; the tier of a literal term is worth more
   * than every other part of a score can add up to. */
  double all = 0;
  for (size_t i = 0; i < r.nc; i++) {
    cursor *c = &r.c[i];
    double n = (double)c->t->df, N = (double)cs.passages;
    double idf = log((N - n + 0.5) / (n + 0.5));
    c->idf = idf > 1e-6 ? idf : 1e-6;
    c->w_idf *= c->idf;
    all += c->w_idf * (r.s.k1 + 1);
  }
  r.tier_value = all + 1;
  for (size_t i = 0; i < r.nc; i++) {
    cursor *c = &r.c[i];
    if (tier_once) c->tier = synonyms && c->tier > 0 ? 1 : 0;
    c->tier *= r.tier_value;
    c->bm25_ub = bm25(&r.s, c->w_idf, c->t->max_tf2, c->t->min_len);
    c->ub = c->bm25_ub + c->tier;
    if (!rewind_cursor(c)) {
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
  long long best_count = -1;
  int lead = -1;
  for (size_t g = 0; g < q->plan->ngroups; g++) {
    if (!q->plan->groups[g].required) continue;
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
  /* Bounds of the weakest cursors together: BM25 summed, and with --any
   * the tier once when any of them carries it. */
  double total_ub = 0, total_bm25 = 0;
  int tier_seen = 0;
  for (size_t i = 0; i < r.nc; i++) {
    prefix_ub[i] = tier_once ? total_bm25 + (tier_seen ? r.tier_value : 0) : total_ub;
    total_ub += order[i]->ub;
    total_bm25 += order[i]->bm25_ub;
    tier_seen |= order[i]->tier > 0;
  }
  prefix_ub[r.nc] = tier_once ? total_bm25 + (tier_seen ? r.tier_value : 0) : total_ub;
  double others_base = prefix_ub[r.nc];

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
      double others = tier_once ? others_base - c->bm25_ub : total_ub - c->ub;
      if (theta > -HUGE_VAL && !skip_weak_blocks(&r.s, c, others, theta)) {
        rc = ngi_fail(idx, NG_EDATA, "index %s is damaged: a postings block", idx->path);
        goto loop_done;
      }
      if (c->cur < p) p = c->cur;
    }
    if (p == END) break;
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
      int verdict = words_verdict(&r, &m, p, 0, 0); /* 0: the postings show no match after all */
      /* The tier: once for each group with a literal alternative present
       * (with --any: once when any is, and only when synonyms exist). */
      for (size_t a = 0; a < m.nalts; a++) {
        int g = m.group_of[a];
        if (!m.literal[a] || group_literal[g]) continue;
        int present = 1;
        for (int k = m.start[a]; k < m.start[a + 1] && present; k++) present = r.c[m.cursors[k]].cur == p;
        if (present && m.start[a + 1] > m.start[a]) group_literal[g] = 1;
      }
      int tiers = 0;
      for (size_t g = 0; g < q->plan->ngroups; g++) tiers += group_literal[g];
      if (tier_once) tiers = synonyms && tiers > 0;
      score += tiers * r.tier_value;
      entry e = {p, 0, 0, score, NGI_NO_DATE, tiers};
      /* later in pno order, a tie loses (better()) */
      int may_enter = verdict != 0 && (!full(&top) || top.by_date || score > threshold(&top));
      if (may_enter) {
        if ((rc = ngi_postings_pdir(idx, p, &r.pdir, &e.rowid, &e.date)) != NG_OK) goto loop_done;
        e.key = q->key == NGI_KEY_PASSAGE ? e.rowid : NGI_ROWID_DOC(e.rowid);
        if (q->key == NGI_KEY_GROUP && (rc = ngi_store_group_of(idx, e.key, &e.key)) != NG_OK) goto loop_done;
        if (full(&top) && !better(&top, &e, &top.e[top.worst])) may_enter = 0;
      }
      if (may_enter) {
        int in = admit(&r, &m, p, e.rowid, verdict);
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
  if (top.n) qsort(top.e, top.n, sizeof *top.e, top.by_date ? cmp_by_date : cmp_by_score);
  size_t n = top.n;
  if (rk && n && (rc = stage_two(&r, &top, &cs, expansion, &final)) != NG_OK) goto loop_done;
  if (q->k >= 0 && n > (size_t)q->k) n = (size_t)q->k;
  *hits = calloc(n ? n : 1, sizeof **hits);
  if (!*hits) {
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    goto loop_done;
  }
  for (size_t i = 0; i < n; i++) {
    ngi_engine_hit *h = &(*hits)[i];
    const entry *e = final ? &final[i].e : &top.e[i];
    *h = (ngi_engine_hit){e->pno, e->rowid, e->score, e->tier, e->date, 0, NULL, {0}};
    if (final) {
      memcpy(h->part, final[i].part, sizeof h->part);
      h->score = 0;
      for (int k = 0; k < NGI_PARTS; k++) h->score += h->part[k];
    } else {
      h->part[NGI_PART_TIER] = e->tier * r.tier_value;
      h->part[NGI_PART_BM25] = e->score - h->part[NGI_PART_TIER];
    }
  }
  *nhits = n;
  for (size_t i = 0; q->more && rc == NG_OK && i < n; i++) rc = count_more(&r, &m, *hits, n, i);
  if (rc != NG_OK) {
    ngi_engine_hits_free(*hits, n);
    *hits = NULL;
    *nhits = 0;
  }
loop_done:
  free(gen);
  free(order);
  free(prefix_ub);
  free(group_literal);
done:
  free(final);
  ngi_lookup_close(r.lookup);
  for (size_t i = 0; i < r.nc; i++) ngi_term_free(r.c[i].t);
  free(r.c);
  alts_map_free(&m);
  ngi_dead_free(r.dead);
  ngi_buf_free(&r.pdir.data);
  free(r.sets[0].rowids);
  free(r.sets[1].rowids);
  for (size_t i = 0; r.phrase_sets && i < nphrase_sets; i++) free(r.phrase_sets[i].rowids);
  free(r.phrase_sets);
  free(r.group_first);
  ngi_map_clear(&r.docs, NULL);
  ngi_store_doc_filter_close(r.filter);
  free(top.e);
  return rc;
}
