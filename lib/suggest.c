/*
 * suggest.c -- "did you mean": for a query without hits, a query built
 * from close words of the index's vocabulary that does have hits.
 *
 * Each plain word (letters only, three or more) whose stem no passage
 * holds is replaced by the closest word of the index (the word table's,
 * and the stems that are words of their own) (Damerau-Levenshtein
 * distance 1 for words of four letters or fewer, else 2) whose stem does
 * occur, the most frequent among the closest; the whole suggestion must
 * then have hits.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Damerau-Levenshtein distance of two short strings (bytes), capped at 3. */
static int distance(const char *a, size_t n, const char *b, size_t m) {
  if (n > 60 || m > 60) return 3;
  int d[62][62];
  for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= n; i++) {
    for (size_t j = 1; j <= m; j++) {
      int cost = a[i - 1] != b[j - 1];
      int v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  }
  return d[n][m] > 3 ? 3 : d[n][m];
}

typedef struct word_list {
  buf raw;
  size_t count;
} word_list;

static int first_token(void *ctx, const lex_token *t) {
  word_list *w = ctx;
  if (w->count++ == 0) ngi_buf_add(&w->raw, t->raw, t->rawlen);
  return 0;
}

/* The best replacement so far for one word. */
typedef struct candidate {
  ng_index *idx;
  const char *word;
  size_t len;
  int best_d;
  long long best_hits;
  char *best;
} candidate;

static void consider(void *ctx, const char *raw, const char *stem) {
  candidate *c = ctx;
  int d = distance(c->word, c->len, raw, strlen(raw));
  if (d > c->best_d || d == 0) return;
  long long hits = ngi_store_stem_passages(c->idx, stem);
  if (hits <= 0) return;
  if (!c->best || d < c->best_d || hits > c->best_hits) {
    char *copy = strdup(raw);
    if (!copy) return;
    c->best_d = d;
    c->best_hits = hits;
    free(c->best);
    c->best = copy;
  }
}

int ng_suggest(ng_index *idx, const char *query, const ng_search_options *opts, char **out) {
  *out = NULL;
  ng_search_options o;
  ngi_search_options_of(opts, &o);
  if (o.raw_fts5) return NG_OK;
  int rc = ngi_expand_variants(idx);
  if (rc != NG_OK) return rc;
  size_t qlen = 0;
  int cut = 0;
  char *clean = ngi_query_clean(query, &qlen, &cut);
  if (!clean) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  buf result = {0};
  int changed = 0;
  const char *p = clean;
  while (*p && rc == NG_OK) {
    size_t sp = strspn(p, " \t\n");
    ngi_buf_add(&result, p, sp);
    p += sp;
    size_t n = strcspn(p, " \t\n");
    if (!n) break;
    word_list w = {{0}, 0};
    ngi_tokenize(idx->lx, p, (int)n, &w, first_token);
    int plain =
        w.count == 1 && w.raw.len >= 3 && strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
    candidate c = {idx, w.raw.data, w.raw.len, w.raw.len <= 4 ? 1 : 2, 0, NULL};
    if (plain) {
      size_t sl;
      const char *stem = ngi_lexicon_stem(idx->lx, w.raw.data, w.raw.len, &sl);
      if (stem && ngi_store_stem_passages(idx, stem) == 0) {
        char first[2] = {w.raw.data[0], '\0'};
        /* One edit in short words, two in longer ones. */
        ngi_store_words_like(idx, first, (int)w.raw.len - 2, (int)w.raw.len + 2, consider, &c);
        /* Words that are their own stems are the postings' stems. */
        strlist stems = {0};
        if (ngi_postings_prefix(idx, first, 1, 1 << 20, &stems) == NG_OK) {
          for (size_t i = 0; i < stems.n; i++) {
            size_t len = strlen(stems.items[i]);
            if (len + 2 >= w.raw.len && len <= w.raw.len + 2) consider(&c, stems.items[i], stems.items[i]);
          }
        }
        ngi_strlist_free(&stems);
      }
    }
    if (c.best) {
      ngi_buf_adds(&result, c.best);
      changed = 1;
    } else {
      ngi_buf_add(&result, p, n);
    }
    free(c.best);
    ngi_buf_free(&w.raw);
    p += n;
  }
  if (rc == NG_OK && changed && !result.oom) {
    long long count = 0;
    if (ng_count(idx, result.data, &o, &count) == NG_OK && count > 0) *out = ngi_buf_detach(&result);
  }
  ngi_buf_free(&result);
  free(clean);
  return rc;
}
