/*
 * search.c -- a parsed query -> ranked passages with snippets.
 *
 * Ranking is FTS5's BM25 over the two passage columns, the headline column
 * weighted above the body (NG_HEAD_WEIGHT), plus a share (NG_CONTEXT_WEIGHT)
 * of the scores of the other matching passages of the same document, so a
 * paragraph of an article that is about the query as a whole ranks above
 * an equal paragraph from an article that mentions it once.  Ties go to the
 * earlier document and the earlier paragraph (rowid order).  Both weights
 * were set by measurement on ../shared/eval (bench/relevance.py).
 *
 * The ranked list is one SQL statement with window functions; the snippet of
 * each hit comes from a second, per-hit statement, because snippet() only
 * works on the row a MATCH produced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NG_HEAD_WEIGHT "2.0"
#define NG_CONTEXT_WEIGHT "0.25"
#define DEFAULT_LIMIT 10
#define DEFAULT_SNIPPET_TOKENS 32

struct ng_results {
  ng_index *idx;
  sqlite3_stmt *list;
  char *fts;        /* the expression snippets are made for */
  int snippet_tokens;
  ng_hit hit;
};

/* Builds the ranked-list SQL and binds it.  count: SELECT count(*). */
static int prepare(ng_index *idx, const parsed_query *q, const ng_search_options *o, int count,
                   sqlite3_stmt **out, char **match_out) {
  *out = NULL;
  *match_out = NULL;
  buf sql = {0}, match = {0};
  /* Without words, the first headline filter is the query. */
  const char *title_main = NULL;
  if (q->fts) {
    buf_adds(&match, q->fts);
  } else {
    for (size_t i = 0; i < q->nfilters && !title_main; i++) {
      if (q->filters[i].field == FIELD_TITLE && !q->filters[i].negated) title_main = q->filters[i].value;
    }
    buf_printf(&match, "{head} : (%s)", title_main ? title_main : "");
  }
  char since[32] = "", until[32] = "";
  const char *bad = (o->since && normalize_date(o->since, since, sizeof since) != 0)   ? o->since
                    : (o->until && normalize_date(o->until, until, sizeof until) != 0) ? o->until
                                                                                       : NULL;
  if (bad) {
    buf_free(&match);
    return ng_fail(idx, NG_EUSAGE, "cannot read date '%s' (use YYYY-MM-DD)", bad);
  }

  buf_adds(&sql,
           "WITH m AS (SELECT rowid AS id, -bm25(passage, 1.0, " NG_HEAD_WEIGHT ") AS s"
           " FROM passage WHERE passage MATCH ?1),"
           " r AS (SELECT id, id >> 20 AS doc,"
           " s + " NG_CONTEXT_WEIGHT " * (sum(s) OVER (PARTITION BY id >> 20) - s) AS score FROM m)");
  if (o->per_document)
    buf_adds(&sql, ", b AS (SELECT id, doc, score, row_number() OVER (PARTITION BY doc ORDER BY score DESC, id)"
                   " AS rn FROM r)");
  if (count) buf_adds(&sql, " SELECT count(*)");
  else buf_adds(&sql, " SELECT r.id, r.score, d.id, d.path, d.title, d.dateline, d.date, d.source, d.url, d.author");
  buf_adds(&sql, o->per_document ? " FROM b AS r" : " FROM r");
  buf_adds(&sql, " JOIN doc d ON d.id = r.doc WHERE 1");
  if (o->per_document) buf_adds(&sql, " AND r.rn = 1");
  int param = 2;
  if (since[0]) buf_printf(&sql, " AND d.date >= ?%d", param++);
  if (until[0]) buf_printf(&sql, " AND d.date <= ?%d || '~'", param++);
  for (size_t i = 0; i < q->nfilters; i++) {
    const query_filter *f = &q->filters[i];
    const char *no = f->negated ? "NOT " : "";
    if (f->field == FIELD_TITLE) {
      if (f->value == title_main) continue;
      buf_printf(&sql, " AND d.id %sIN (SELECT rowid >> 20 FROM passage WHERE passage MATCH ?%d)", no, param++);
    } else if (f->field == FIELD_SOURCE) {
      buf_printf(&sql, " AND %sinstr(lower(coalesce(d.source, '')), lower(?%d))", no, param++);
    } else if (strpbrk(f->value, "*?[")) {
      buf_printf(&sql, " AND d.path %sGLOB ?%d", no, param++);
    } else {
      buf_printf(&sql, " AND %sinstr(d.path, ?%d)", no, param++);
    }
  }
  if (!count) {
    if (o->sort == NG_SORT_DATE) buf_adds(&sql, " ORDER BY d.date IS NULL, d.date DESC, r.score DESC, r.id");
    else buf_adds(&sql, " ORDER BY r.score DESC, r.id");
    buf_printf(&sql, " LIMIT ?%d OFFSET ?%d", param, param + 1);
  }
  if (sql.oom || match.oom) {
    buf_free(&sql);
    buf_free(&match);
    return ng_fail(idx, NG_ESYSTEM, "out of memory");
  }
  sqlite3_stmt *st = NULL;
  int rc = NG_OK;
  if (sqlite3_prepare_v2(idx->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
    rc = ng_fail_sqlite(idx, "preparing the search");
  } else {
    sqlite3_bind_text(st, 1, match.data, -1, SQLITE_TRANSIENT);
    int k = 2;
    if (since[0]) sqlite3_bind_text(st, k++, since, -1, SQLITE_TRANSIENT);
    if (until[0]) sqlite3_bind_text(st, k++, until, -1, SQLITE_TRANSIENT);
    buf tmp = {0};
    for (size_t i = 0; i < q->nfilters; i++) {
      const query_filter *f = &q->filters[i];
      if (f->field == FIELD_TITLE) {
        if (f->value == title_main) continue;
        buf_reset(&tmp);
        buf_printf(&tmp, "{head} : (%s)", f->value);
        sqlite3_bind_text(st, k++, tmp.data, -1, SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_text(st, k++, f->value, -1, SQLITE_TRANSIENT);
      }
    }
    buf_free(&tmp);
    if (!count) {
      long limit = o->limit == 0 ? DEFAULT_LIMIT : o->limit;
      sqlite3_bind_int64(st, k++, limit);
      sqlite3_bind_int64(st, k++, o->offset > 0 ? o->offset : 0);
    }
  }
  buf_free(&sql);
  if (rc == NG_OK) {
    *out = st;
    *match_out = buf_detach(&match);
  } else {
    sqlite3_finalize(st);
    buf_free(&match);
  }
  return rc;
}

/* Loads the variants (built-in, then the user's file) on first use. */
static int ensure_variants(ng_index *idx) {
  if (idx->vars) return NG_OK;
  idx->vars = variants_new();
  if (!idx->vars) return ng_fail(idx, NG_ESYSTEM, "out of memory");
  char err[300];
  int rc = variants_add_text(idx->vars, &idx->lx, ng_builtin_variants, strlen(ng_builtin_variants),
                             "built-in variants", err, sizeof err);
  if (rc != NG_OK) return ng_fail(idx, rc, "%s", err);
  return NG_OK;
}

int ng_index_add_variants(ng_index *idx, const char *path) {
  int rc = ensure_variants(idx);
  if (rc != NG_OK) return rc;
  FILE *f = fopen(path, "rb");
  if (!f) return ng_fail(idx, NG_EDATA, "cannot read variants file %s: %s", path, strerror(errno));
  buf text = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_add(&text, chunk, n);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    buf_free(&text);
    return ng_fail(idx, NG_EDATA, "cannot read variants file %s", path);
  }
  char err[600];
  rc = variants_add_text(idx->vars, &idx->lx, text.data ? text.data : "", text.len, path, err, sizeof err);
  buf_free(&text);
  if (rc != NG_OK) return ng_fail(idx, rc, "%s", err);
  return NG_OK;
}

static int parse(ng_index *idx, const char *query, const ng_search_options *o, parsed_query *q) {
  memset(q, 0, sizeof *q);
  if (!query) return ng_fail(idx, NG_EUSAGE, "no query");
  if (o->raw_fts5) {
    q->fts = strdup(query);
    if (!q->fts) return ng_fail(idx, NG_ESYSTEM, "out of memory");
    return NG_OK;
  }
  int rc = ensure_variants(idx);
  if (rc == NG_OK) rc = parse_query(idx, query, o, q);
  return rc;
}

/* Errors that come from the user's FTS5 expression are usage errors. */
static int search_error(ng_index *idx, const ng_search_options *o, const char *query) {
  int code = sqlite3_errcode(idx->db);
  if (o->raw_fts5 && (code == SQLITE_ERROR || code == SQLITE_RANGE)) {
    const char *m = sqlite3_errmsg(idx->db);
    if (strncmp(m, "fts5: ", 6) == 0) m += 6;
    return ng_fail(idx, NG_EUSAGE, "invalid FTS5 query '%.200s': %s", query, m);
  }
  return ng_fail_sqlite(idx, "searching");
}

/* --all: every passage with its document, in rowid (document) order. */
static int list_all(ng_index *idx, const ng_search_options *o, ng_results **out) {
  char since[32] = "", until[32] = "";
  if (o->since && normalize_date(o->since, since, sizeof since) != 0)
    return ng_fail(idx, NG_EUSAGE, "cannot read date '%s' (use YYYY-MM-DD)", o->since);
  if (o->until && normalize_date(o->until, until, sizeof until) != 0)
    return ng_fail(idx, NG_EUSAGE, "cannot read date '%s' (use YYYY-MM-DD)", o->until);
  ng_results *res = calloc(1, sizeof *res);
  if (!res) return ng_fail(idx, NG_ESYSTEM, "out of memory");
  res->idx = idx;
  if (sqlite3_prepare_v2(idx->db,
                         "SELECT p.rowid, 0.0, d.id, d.path, d.title, d.dateline, d.date, d.source, d.url,"
                         " d.author, p.head, p.body, p.first_line, p.last_line"
                         " FROM passage p JOIN doc d ON d.id = p.rowid >> 20"
                         " WHERE (?3 IS NULL OR d.date >= ?3) AND (?4 IS NULL OR d.date <= ?4 || '~')"
                         " ORDER BY p.rowid LIMIT ?1 OFFSET ?2",
                         -1, &res->list, NULL) != SQLITE_OK) {
    int rc = ng_fail_sqlite(idx, "listing passages");
    ng_results_free(res);
    return rc;
  }
  sqlite3_bind_int64(res->list, 1, o->limit == 0 ? DEFAULT_LIMIT : o->limit);
  sqlite3_bind_int64(res->list, 2, o->offset > 0 ? o->offset : 0);
  if (since[0]) sqlite3_bind_text(res->list, 3, since, -1, SQLITE_TRANSIENT);
  if (until[0]) sqlite3_bind_text(res->list, 4, until, -1, SQLITE_TRANSIENT);
  *out = res;
  return NG_OK;
}

int ng_search(ng_index *idx, const char *query, const ng_search_options *opts, ng_results **out) {
  *out = NULL;
  ng_search_options defaults = NG_SEARCH_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  if (opts->all) return list_all(idx, opts, out);
  parsed_query q;
  int rc = parse(idx, query, opts, &q);
  if (rc != NG_OK) return rc;
  ng_results *res = calloc(1, sizeof *res);
  if (!res) {
    parsed_query_free(&q);
    return ng_fail(idx, NG_ESYSTEM, "out of memory");
  }
  res->idx = idx;
  res->snippet_tokens = opts->snippet_tokens > 0 ? opts->snippet_tokens : DEFAULT_SNIPPET_TOKENS;
  if (res->snippet_tokens > 64) res->snippet_tokens = 64;
  rc = prepare(idx, &q, opts, 0, &res->list, &res->fts);
  parsed_query_free(&q);
  if (rc != NG_OK) {
    ng_results_free(res);
    return rc;
  }
  /* Run the first step now, so a bad expression fails here, not later. */
  int step = sqlite3_step(res->list);
  if (step != SQLITE_ROW && step != SQLITE_DONE) {
    rc = search_error(idx, opts, query);
    ng_results_free(res);
    return rc;
  }
  sqlite3_reset(res->list);
  *out = res;
  return NG_OK;
}

static const char *col_text(sqlite3_stmt *st, int i) { return (const char *)sqlite3_column_text(st, i); }

int ng_results_next(ng_results *res, const ng_hit **hit) {
  *hit = NULL;
  ng_index *idx = res->idx;
  for (;;) {
    int step = sqlite3_step(res->list);
    if (step == SQLITE_DONE) return NG_DONE;
    if (step != SQLITE_ROW) return ng_fail_sqlite(idx, "searching");
    long long id = sqlite3_column_int64(res->list, 0);
    /* The passage: from the list itself (--all), or with its snippet. */
    sqlite3_stmt *f = res->list;
    int base = 10;
    if (res->fts) {
      f = store_stmt(idx, ST_PASSAGE_FETCH);
      if (!f) return NG_ESYSTEM;
      sqlite3_bind_text(f, 1, res->fts, -1, SQLITE_STATIC);
      sqlite3_bind_int64(f, 2, id);
      sqlite3_bind_int(f, 3, res->snippet_tokens);
      step = sqlite3_step(f);
      if (step == SQLITE_DONE) continue; /* cannot happen: the list came from the same MATCH */
      if (step != SQLITE_ROW) return ng_fail_sqlite(idx, "reading a passage");
      base = 0;
    }
    ng_hit *h = &res->hit;
    h->doc_id = sqlite3_column_int64(res->list, 2);
    h->score = sqlite3_column_double(res->list, 1);
    h->path = col_text(res->list, 3);
    h->title = col_text(res->list, 4);
    if (!h->title) h->title = "";
    h->dateline = col_text(res->list, 5);
    h->date = col_text(res->list, 6);
    h->source = col_text(res->list, 7);
    h->url = col_text(res->list, 8);
    h->author = col_text(res->list, 9);
    h->ordinal = (int)(id & NG_MAX_PASSAGES);
    const char *head = col_text(f, base);
    h->kind = head ? NG_KIND_HEADLINE : NG_KIND_PARAGRAPH;
    h->text = head ? head : col_text(f, base + 1);
    if (!h->text) h->text = "";
    h->first_line = sqlite3_column_int(f, base + 2);
    h->last_line = sqlite3_column_int(f, base + 3);
    h->snippet = res->fts ? col_text(f, base + 4) : NULL;
    if (!h->snippet) h->snippet = h->text;
    *hit = h;
    return NG_ROW;
  }
}

void ng_results_free(ng_results *res) {
  if (!res) return;
  sqlite3_finalize(res->list);
  free(res->fts);
  free(res);
}

int ng_count(ng_index *idx, const char *query, const ng_search_options *opts, long long *count) {
  *count = 0;
  ng_search_options defaults = NG_SEARCH_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  parsed_query q;
  int rc = parse(idx, query, opts, &q);
  if (rc != NG_OK) return rc;
  sqlite3_stmt *st = NULL;
  char *match = NULL;
  rc = prepare(idx, &q, opts, 1, &st, &match);
  parsed_query_free(&q);
  if (rc == NG_OK) {
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) *count = sqlite3_column_int64(st, 0);
    else rc = search_error(idx, opts, query);
  }
  sqlite3_finalize(st);
  free(match);
  return rc;
}

int ng_explain(ng_index *idx, const char *query, const ng_search_options *opts, char **out) {
  *out = NULL;
  ng_search_options defaults = NG_SEARCH_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  if (opts->raw_fts5) {
    buf b = {0};
    buf_printf(&b, "query: %s\n  passed to FTS5 as it is (--fts5)\n", query);
    *out = buf_detach(&b);
    return NG_OK;
  }
  parsed_query q;
  int rc = parse(idx, query, opts, &q);
  if (rc != NG_OK) return rc;
  buf b = q.explain;
  memset(&q.explain, 0, sizeof q.explain);
  if (q.fts) {
    buf_adds(&b, "fts5: ");
    for (const char *c = q.fts; *c; c++) {
      if (*c != LEX_VERBATIM) buf_addc(&b, *c);
    }
    buf_addc(&b, '\n');
  }
  parsed_query_free(&q);
  if (b.oom) {
    buf_free(&b);
    return ng_fail(idx, NG_ESYSTEM, "out of memory");
  }
  *out = buf_detach(&b);
  return NG_OK;
}

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

static long long stem_hits(ng_index *idx, const char *stem) {
  buf q = {0};
  buf_addc(&q, '"');
  buf_addc(&q, LEX_VERBATIM);
  buf_adds(&q, stem);
  buf_addc(&q, '"');
  long long n = 0;
  sqlite3_stmt *st = NULL;
  if (!q.oom && sqlite3_prepare_v2(idx->db, "SELECT count(*) FROM passage WHERE passage MATCH ?1", -1, &st, NULL) ==
                    SQLITE_OK) {
    sqlite3_bind_text(st, 1, q.data, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  buf_free(&q);
  return n;
}

typedef struct word_list {
  buf raw;
  size_t count;
} word_list;

static int first_token(void *ctx, const lex_token *t) {
  word_list *w = ctx;
  if (w->count++ == 0) buf_add(&w->raw, t->raw, t->rawlen);
  return 0;
}

int ng_suggest(ng_index *idx, const char *query, const ng_search_options *opts, char **out) {
  *out = NULL;
  ng_search_options o = opts ? *opts : (ng_search_options)NG_SEARCH_OPTIONS_INIT;
  if (o.raw_fts5) return NG_OK;
  int rc = ensure_variants(idx);
  if (rc != NG_OK) return rc;
  buf result = {0};
  int changed = 0;
  const char *p = query;
  while (*p && rc == NG_OK) {
    size_t sp = strspn(p, " \t\n");
    buf_add(&result, p, sp);
    p += sp;
    size_t n = strcspn(p, " \t\n");
    if (!n) break;
    word_list w = {{0}, 0};
    lexicon_tokenize(&idx->lx, p, (int)n, &w, first_token);
    int plain = w.count == 1 && w.raw.len >= 3 && strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
    const char *best = NULL;
    char *best_copy = NULL;
    if (plain) {
      size_t sl;
      const char *stem = lexicon_stem(&idx->lx, w.raw.data, w.raw.len, &sl);
      if (stem && stem_hits(idx, stem) == 0) {
        sqlite3_stmt *st = store_stmt(idx, ST_WORD_NEAR);
        if (st) {
          buf first = {0};
          buf_add(&first, w.raw.data, 1);
          sqlite3_bind_text(st, 1, first.data, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int(st, 2, (int)w.raw.len - 2);
          sqlite3_bind_int(st, 3, (int)w.raw.len + 2);
          /* One edit in short words, two in longer ones. */
          int best_d = w.raw.len <= 4 ? 1 : 2;
          long long best_hits = 0;
          while (sqlite3_step(st) == SQLITE_ROW) {
            const char *cand = (const char *)sqlite3_column_text(st, 0);
            int d = distance(w.raw.data, w.raw.len, cand, strlen(cand));
            if (d > best_d || d == 0) continue;
            long long hits = stem_hits(idx, (const char *)sqlite3_column_text(st, 1));
            if (hits == 0) continue;
            if (!best_copy || d < best_d || hits > best_hits) {
              best_d = d;
              best_hits = hits;
              free(best_copy);
              best_copy = strdup(cand);
            }
          }
          sqlite3_reset(st);
          buf_free(&first);
          best = best_copy;
        }
      }
    }
    if (best) {
      buf_adds(&result, best);
      changed = 1;
    } else {
      buf_add(&result, p, n);
    }
    free(best_copy);
    buf_free(&w.raw);
    p += n;
  }
  if (rc == NG_OK && changed && !result.oom) {
    long long count = 0;
    if (ng_count(idx, result.data, &o, &count) == NG_OK && count > 0) *out = buf_detach(&result);
  }
  buf_free(&result);
  return rc;
}
