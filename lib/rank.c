/*
 * rank.c -- nutgraf_rank(), the FTS5 auxiliary function results are
 * ordered by.
 *
 * It is FTS5's BM25 (k1 = 1.2, b = 0.75, the same idf and length
 * normalisation, column weights: body 1, headline NG_HEAD_WEIGHT) plus the
 * document's coverage of the query: the idf of every phrase that occurs in
 * any passage of the same document, summed, times the context weight.  So
 * a paragraph of an article that is about the query as a whole ranks above
 * an equal paragraph of an article that mentions it in passing, and a
 * document matching more of a long query's words ranks higher.  Both
 * weights were set by measurement on ../shared/eval (bench/relevance.py and
 * the README's Relevance section).
 *
 * Being a rank function, it lets FTS5 order by it ("ORDER BY rank"), so only
 * the page of hits asked for is read and given snippets, as with bm25().
 * The per-document sums are worked out on the first call of a query, with
 * one xQueryPhrase pass per phrase, and kept as the query's auxdata.
 *
 * Arguments: nutgraf_rank(head_weight, context_weight).  It returns minus
 * the score, as bm25() does, so that ascending rank is best first.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define K1 1.2
#define B 0.75

typedef struct doc_sum {
  long long doc;
  double sum;
} doc_sum;

typedef struct rank_data {
  int nphrase;
  double *idf;
  double avgdl;
  double weight[2]; /* body, headline */
  double context;
  doc_sum *sums; /* open addressing on doc id; doc -1 is empty */
  size_t cap;
} rank_data;

static void rank_data_free(void *p) {
  rank_data *d = p;
  if (!d) return;
  free(d->idf);
  free(d->sums);
  free(d);
}

static doc_sum *sum_slot(rank_data *d, long long doc) {
  size_t mask = d->cap - 1;
  for (size_t i = (size_t)(ngi_hash(&doc, sizeof doc)) & mask;; i = (i + 1) & mask) {
    if (d->sums[i].doc == doc || d->sums[i].doc == -1) return &d->sums[i];
  }
}

static int sums_grow(rank_data *d) {
  size_t cap = d->cap ? d->cap * 2 : 256;
  doc_sum *old = d->sums;
  size_t oldcap = d->cap;
  d->sums = malloc(cap * sizeof *d->sums);
  if (!d->sums) {
    d->sums = old;
    return -1;
  }
  for (size_t i = 0; i < cap; i++) d->sums[i].doc = -1;
  d->cap = cap;
  for (size_t i = 0; i < oldcap; i++) {
    if (old[i].doc != -1) *sum_slot(d, old[i].doc) = old[i];
  }
  free(old);
  return 0;
}

/* The weighted frequency of a row's phrase instances and the row's length. */
static int row_freqs(const Fts5ExtensionApi *api, Fts5Context *fts, const rank_data *d, double *freq, int nphrase,
                     double *len) {
  int ninst = 0, rc = api->xInstCount(fts, &ninst);
  for (int i = 0; rc == SQLITE_OK && i < ninst; i++) {
    int phrase, col, off;
    rc = api->xInst(fts, i, &phrase, &col, &off);
    if (rc == SQLITE_OK && phrase >= 0 && phrase < nphrase) freq[phrase] += d->weight[col == 1];
  }
  int n = 0;
  if (rc == SQLITE_OK) rc = api->xColumnSize(fts, -1, &n);
  *len = n;
  return rc;
}

static double bm25_part(const rank_data *d, double idf, double freq, double len) {
  return idf * freq * (K1 + 1) / (freq + K1 * (1 - B + B * len / d->avgdl));
}

typedef struct pass {
  const rank_data *d;
  long long hits;
  struct {
    long long doc;
    double part; /* the row's score for the phrase, before idf */
  } * rows;
  size_t n, cap;
} pass;

/* A row of a phrase, for the document sums: each passage that holds the
 * phrase counts once, so this pass costs what FTS5's own count of a
 * phrase's rows (for its idf) costs. */
static int pass_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *ctx) {
  pass *p = ctx;
  p->hits++;
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 256;
    void *rows = realloc(p->rows, cap * sizeof *p->rows);
    if (!rows) return SQLITE_NOMEM;
    p->rows = rows;
    p->cap = cap;
  }
  p->rows[p->n].doc = NGI_ROWID_DOC(api->xRowid(fts));
  p->rows[p->n].part = 1.0;
  p->n++;
  return SQLITE_OK;
}

static int rank_data_make(const Fts5ExtensionApi *api, Fts5Context *fts, double head, double context, rank_data **out) {
  *out = NULL;
  rank_data *d = calloc(1, sizeof *d);
  if (!d) return SQLITE_NOMEM;
  d->weight[0] = 1.0;
  d->weight[1] = head;
  d->context = context;
  d->nphrase = api->xPhraseCount(fts);
  d->idf = calloc((size_t)d->nphrase + 1, sizeof *d->idf);
  sqlite3_int64 rows = 0, tokens = 0;
  int rc = d->idf ? api->xRowCount(fts, &rows) : SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &tokens);
  d->avgdl = rows > 0 && tokens > 0 ? (double)tokens / (double)rows : 1.0;

  size_t used = 0;
  for (int i = 0; rc == SQLITE_OK && i < d->nphrase; i++) {
    pass p = {d, 0, NULL, 0, 0};
    rc = api->xQueryPhrase(fts, i, &p, pass_row);
    double idf = log((double)(rows - p.hits) + 0.5) - log((double)p.hits + 0.5);
    d->idf[i] = idf > 1e-6 ? idf : 1e-6;
    /* Room for every row of the phrase at once, as a power of two. */
    while (rc == SQLITE_OK && context > 0 && (used + p.n + 1) * 2 > d->cap)
      if (sums_grow(d) != 0) rc = SQLITE_NOMEM;
    for (size_t r = 0; rc == SQLITE_OK && context > 0 && r < p.n; r++) {
      if ((used + 1) * 2 > d->cap && sums_grow(d) != 0) {
        rc = SQLITE_NOMEM;
        break;
      }
      doc_sum *s = sum_slot(d, p.rows[r].doc);
      if (s->doc == -1) {
        s->doc = p.rows[r].doc;
        s->sum = 0;
        used++;
      }
      s->sum += d->idf[i] * p.rows[r].part;
    }
    free(p.rows);
  }
  if (rc != SQLITE_OK) {
    rank_data_free(d);
    return rc;
  }
  *out = d;
  return SQLITE_OK;
}

static void nutgraf_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
                         sqlite3_value **vals) {
  rank_data *d = api->xGetAuxdata(fts, 0);
  int rc = SQLITE_OK;
  if (!d) {
    double head = nval > 0 ? sqlite3_value_double(vals[0]) : 1.0;
    double context = nval > 1 ? sqlite3_value_double(vals[1]) : 0.0;
    rc = rank_data_make(api, fts, head, context, &d);
    if (rc == SQLITE_OK) rc = api->xSetAuxdata(fts, d, rank_data_free);
  }
  double freq_local[16], *freq = freq_local;
  if (rc == SQLITE_OK && d->nphrase > 16 && !(freq = calloc((size_t)d->nphrase, sizeof *freq))) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK && freq == freq_local) memset(freq_local, 0, sizeof freq_local);
  double len = 0, own = 0, own_flat = 0;
  if (rc == SQLITE_OK) rc = row_freqs(api, fts, d, freq, d->nphrase, &len);
  for (int i = 0; rc == SQLITE_OK && i < d->nphrase; i++) {
    if (freq[i] <= 0) continue;
    own += bm25_part(d, d->idf[i], freq[i], len);
    own_flat += d->idf[i]; /* as pass_row counts it */
  }
  if (freq != freq_local) free(freq);
  if (rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  double score = own;
  if (d->context > 0 && d->cap) {
    doc_sum *s = sum_slot(d, NGI_ROWID_DOC(api->xRowid(fts)));
    /* The evidence of the document's other passages. */
    if (s->doc != -1 && s->sum > own_flat) score += d->context * (s->sum - own_flat);
  }
  sqlite3_result_double(ctx, -score);
}

int ngi_rank_register(fts5_api *api) {
  if (!api) return SQLITE_ERROR;
  return api->xCreateFunction(api, "nutgraf_rank", NULL, nutgraf_rank, NULL);
}
