/*
 * search.c -- a parsed query -> ranked passages with snippets.
 *
 * Results are ordered by nutgraf_rank() (rank.c): BM25 with the headline
 * weighted above the body, plus a share of the evidence of the document's
 * other passages.  Ties go to the earlier document and the earlier
 * paragraph (rowid order).
 *
 * A plain query ranked by score is one statement: FTS5 orders by the rank
 * function and makes snippets for the page asked for, as "ORDER BY rank"
 * does with bm25.  Filters, dates, --files and --sort date need a general
 * statement that scores every match in SQL; the snippets of its page then
 * come from a small temporary FTS5 table holding just that page
 * (make_snippets), because snippet() only works on the row of a MATCH.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Set by measurement on ../shared/eval: see the README's Relevance section. */
#define NG_HEAD_WEIGHT "1.25"
#define NG_CONTEXT_WEIGHT "0.25"
#define DEFAULT_LIMIT 10
#define DEFAULT_SNIPPET_TOKENS 32

/* A page of hits read ahead, so that one FTS5 query makes all its
 * snippets (see make_snippets). */
#define PAGE 64

typedef struct held {
  ng_hit hit;
  long long id;
  char *strings[9]; /* the hit's strings, owned */
} held;

struct ng_results {
  ng_index *idx;
  sqlite3_stmt *list;
  char *fts; /* the expression snippets are made for, or NULL (--all) */
  int snippet_tokens;
  int fast; /* the list makes its own snippets (column 14) */
  held page[PAGE];
  size_t n, next;
  int done;
};

/* The rank function's arguments: head weight, context weight.  A query
 * with NOT gets no context: nutgraf_rank cannot tell excluded phrases from
 * the others, and they must not lend weight to a document. */
static void rank_args(const parsed_query *q, char *out, size_t n) {
  snprintf(out, n, "%s, %s", NG_HEAD_WEIGHT, q->has_not ? "0" : NG_CONTEXT_WEIGHT);
}

/* Builds the SQL of a page of hits (or of the count) and binds it.  Output
 * columns: id, score, doc id, path, title, dateline, date, source, url,
 * author, head, body, first line, last line, and in the fast form the
 * snippet.  The fast form, for a plain query ranked by score, lets FTS5
 * order by nutgraf_rank and make snippets for the page alone, like
 * "ORDER BY rank" with bm25; filters, dates, --files and --sort date need
 * the general form, where the page's snippets come from make_snippets. */
static int prepare(ng_index *idx, const parsed_query *q, const ng_search_options *o, int count, int snippet_tokens,
                   sqlite3_stmt **out, char **match_out, int *fast_out) {
  *out = NULL;
  *match_out = NULL;
  *fast_out = 0;
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
  char args[64];
  rank_args(q, args, sizeof args);
  long limit = o->limit == 0 ? DEFAULT_LIMIT : o->limit;
  int fast = !count && !o->per_document && o->sort == NG_SORT_RANK && !since[0] && !until[0] && !q->nfilters;

  if (fast) {
    buf_printf(&sql,
               "SELECT t.id, t.score, d.id, d.path, d.title, d.dateline, d.date, d.source, d.url, d.author,"
               " t.head, t.body, t.first_line, t.last_line, t.snip FROM ("
               "SELECT rowid AS id, -rank AS score, head, body, first_line, last_line,"
               " snippet(passage, -1, char(1), char(2), '\xE2\x80\xA6', ?2) AS snip"
               " FROM passage WHERE passage MATCH ?1 AND rank MATCH 'nutgraf_rank(%s)'"
               " ORDER BY rank LIMIT ?3 OFFSET ?4) AS t JOIN doc d ON d.id = t.id >> 20"
               " ORDER BY t.score DESC, t.id",
               args);
  } else {
    if (count) {
      buf_adds(&sql, "WITH r AS (SELECT rowid AS id, rowid >> 20 AS doc FROM passage WHERE passage MATCH ?1)");
      buf_adds(&sql, o->per_document ? " SELECT count(DISTINCT r.doc)" : " SELECT count(*)");
    } else {
      buf_printf(&sql,
                 "WITH r AS (SELECT rowid AS id, rowid >> 20 AS doc, -nutgraf_rank(passage, %s) AS score"
                 " FROM passage WHERE passage MATCH ?1)",
                 args);
      if (o->per_document)
        buf_adds(&sql,
                 ", b AS (SELECT id, doc, score, row_number() OVER (PARTITION BY doc ORDER BY score DESC, id)"
                 " AS rn FROM r)");
      /* The page of hits is chosen first, and only its passages are read. */
      buf_adds(&sql,
               " SELECT t.*, p.head, p.body, p.first_line, p.last_line FROM ("
               "SELECT r.id AS id, r.score AS score, d.id AS doc_id, d.path AS path, d.title AS title,"
               " d.dateline AS dateline, d.date AS date, d.source AS source, d.url AS url,"
               " d.author AS author");
    }
    buf_adds(&sql, o->per_document && !count ? " FROM b AS r" : " FROM r");
    buf_adds(&sql, " JOIN doc d ON d.id = r.doc WHERE 1");
    if (o->per_document && !count) buf_adds(&sql, " AND r.rn = 1");
  }
  int param = 2;
  if (!fast) {
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
      const char *order =
          o->sort == NG_SORT_DATE ? " ORDER BY date IS NULL, date DESC, score DESC, id" : " ORDER BY score DESC, id";
      buf_adds(&sql, order);
      buf_printf(&sql, " LIMIT ?%d OFFSET ?%d) AS t JOIN passage p ON p.rowid = t.id", param, param + 1);
      buf_adds(&sql, order);
    }
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
  } else if (fast) {
    sqlite3_bind_text(st, 1, match.data, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, snippet_tokens);
    sqlite3_bind_int64(st, 3, limit);
    sqlite3_bind_int64(st, 4, o->offset > 0 ? o->offset : 0);
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
      sqlite3_bind_int64(st, k++, limit);
      sqlite3_bind_int64(st, k++, o->offset > 0 ? o->offset : 0);
    }
  }
  buf_free(&sql);
  if (rc == NG_OK) {
    *out = st;
    *match_out = buf_detach(&match);
    *fast_out = fast;
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
  int rc = variants_add_text(idx->vars, &idx->lx, ng_builtin_variants, strlen(ng_builtin_variants), "built-in variants",
                             err, sizeof err);
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

static int read_page(ng_results *res);

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
  rc = prepare(idx, &q, opts, 0, res->snippet_tokens, &res->list, &res->fts, &res->fast);
  parsed_query_free(&q);
  if (rc != NG_OK) {
    ng_results_free(res);
    return rc;
  }
  /* Read the first page now, so a bad expression fails here, not later. */
  if (read_page(res) != NG_OK) {
    rc = search_error(idx, opts, query);
    ng_results_free(res);
    return rc;
  }
  *out = res;
  return NG_OK;
}

static void free_page(ng_results *res) {
  for (size_t i = 0; i < res->n; i++) {
    for (int k = 0; k < 9; k++) free(res->page[i].strings[k]);
  }
  res->n = res->next = 0;
}

/* Snippets for the page: its passages go into a small temporary FTS5 table
 * of the same tokenizer, and FTS5's snippet() runs the query over that,
 * once, instead of over the whole index once per hit. */
static int make_snippets(ng_results *res) {
  ng_index *idx = res->idx;
  if (!idx->snip_ready) {
    buf sql = {0};
    buf_printf(&sql,
               "PRAGMA temp_store = MEMORY;"
               "CREATE VIRTUAL TABLE temp.snip USING fts5(body, head, tokenize = 'nutgraf %s')",
               idx->lx.language);
    int rc = sql.oom ? NG_ESYSTEM : store_exec(idx, sql.data, "making snippets");
    buf_free(&sql);
    if (rc != NG_OK) return rc;
    idx->snip_ready = 1;
  }
  if (store_exec(idx, "DELETE FROM temp.snip", "making snippets") != NG_OK) return NG_ESYSTEM;
  sqlite3_stmt *ins = NULL, *sel = NULL;
  int rc = NG_OK;
  if (sqlite3_prepare_v2(idx->db, "INSERT INTO temp.snip(rowid, body, head) VALUES(?1, ?2, ?3)", -1, &ins, NULL) !=
          SQLITE_OK ||
      sqlite3_prepare_v2(idx->db,
                         "SELECT rowid, snippet(snip, -1, char(1), char(2), '\xE2\x80\xA6', ?2)"
                         " FROM temp.snip WHERE snip MATCH ?1",
                         -1, &sel, NULL) != SQLITE_OK) {
    rc = ng_fail_sqlite(idx, "making snippets");
  }
  for (size_t i = 0; rc == NG_OK && i < res->n; i++) {
    ng_hit *h = &res->page[i].hit;
    sqlite3_bind_int64(ins, 1, (long long)i);
    sqlite3_bind_text(ins, h->kind == NG_KIND_HEADLINE ? 3 : 2, h->text, -1, SQLITE_STATIC);
    sqlite3_bind_null(ins, h->kind == NG_KIND_HEADLINE ? 2 : 3);
    if (sqlite3_step(ins) != SQLITE_DONE) rc = ng_fail_sqlite(idx, "making snippets");
    sqlite3_reset(ins);
  }
  if (rc == NG_OK) {
    sqlite3_bind_text(sel, 1, res->fts, -1, SQLITE_STATIC);
    sqlite3_bind_int(sel, 2, res->snippet_tokens);
    int step;
    while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
      long long i = sqlite3_column_int64(sel, 0);
      const char *snippet = (const char *)sqlite3_column_text(sel, 1);
      if (i < 0 || (size_t)i >= res->n || !snippet) continue;
      held *hd = &res->page[i];
      if (!(hd->strings[8] = strdup(snippet))) {
        rc = ng_fail(idx, NG_ESYSTEM, "out of memory");
        break;
      }
      hd->hit.snippet = hd->strings[8];
    }
    if (rc == NG_OK && step != SQLITE_DONE) rc = ng_fail_sqlite(idx, "making snippets");
  }
  sqlite3_finalize(ins);
  sqlite3_finalize(sel);
  return rc;
}

/* Reads the next page of hits: columns id, score, doc id, path, title,
 * dateline, date, source, url, author, head, body, first line, last line. */
static int read_page(ng_results *res) {
  free_page(res);
  ng_index *idx = res->idx;
  while (!res->done && res->n < PAGE) {
    int step = sqlite3_step(res->list);
    if (step == SQLITE_DONE) {
      res->done = 1;
      break;
    }
    if (step != SQLITE_ROW) return ng_fail_sqlite(idx, "searching");
    sqlite3_stmt *st = res->list;
    held *hd = &res->page[res->n];
    memset(hd, 0, sizeof *hd);
    res->n++; /* counted now, so that free_page frees what was copied */
    static const int cols[8] = {3, 4, 5, 6, 7, 8, 9, 10};
    for (int k = 0; k < 8; k++) {
      const char *v = (const char *)sqlite3_column_text(st, cols[k]);
      if (k == 7 && !v) v = (const char *)sqlite3_column_text(st, 11); /* head, else body */
      if (v && !(hd->strings[k] = strdup(v))) return ng_fail(idx, NG_ESYSTEM, "out of memory");
    }
    ng_hit *h = &hd->hit;
    hd->id = sqlite3_column_int64(st, 0);
    h->score = sqlite3_column_double(st, 1);
    h->doc_id = sqlite3_column_int64(st, 2);
    h->path = hd->strings[0] ? hd->strings[0] : "";
    h->title = hd->strings[1] ? hd->strings[1] : "";
    h->dateline = hd->strings[2];
    h->date = hd->strings[3];
    h->source = hd->strings[4];
    h->url = hd->strings[5];
    h->author = hd->strings[6];
    h->kind = sqlite3_column_type(st, 10) != SQLITE_NULL ? NG_KIND_HEADLINE : NG_KIND_PARAGRAPH;
    h->text = hd->strings[7] ? hd->strings[7] : "";
    h->snippet = h->text;
    if (res->fast) {
      const char *snip = (const char *)sqlite3_column_text(st, 14);
      if (snip && !(hd->strings[8] = strdup(snip))) return ng_fail(idx, NG_ESYSTEM, "out of memory");
      if (snip) h->snippet = hd->strings[8];
    }
    h->ordinal = (int)(hd->id & NG_MAX_PASSAGES);
    h->first_line = sqlite3_column_int(st, 12);
    h->last_line = sqlite3_column_int(st, 13);
  }
  return res->fts && res->n && !res->fast ? make_snippets(res) : NG_OK;
}

int ng_results_next(ng_results *res, const ng_hit **hit) {
  *hit = NULL;
  if (res->next == res->n) {
    int rc = read_page(res);
    if (rc != NG_OK) return rc;
  }
  if (res->next == res->n) return NG_DONE;
  *hit = &res->page[res->next++].hit;
  return NG_ROW;
}

void ng_results_free(ng_results *res) {
  if (!res) return;
  free_page(res);
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
  int fast = 0;
  rc = prepare(idx, &q, opts, 1, 0, &st, &match, &fast);
  parsed_query_free(&q);
  if (rc == NG_OK) {
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
      *count = sqlite3_column_int64(st, 0);
    else
      rc = search_error(idx, opts, query);
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
  if (!q.oom &&
      sqlite3_prepare_v2(idx->db, "SELECT count(*) FROM passage WHERE passage MATCH ?1", -1, &st, NULL) == SQLITE_OK) {
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
  size_t qlen = 0;
  int cut = 0;
  char *clean = clean_query(query, &qlen, &cut);
  if (!clean) return ng_fail(idx, NG_ESYSTEM, "out of memory");
  buf result = {0};
  int changed = 0;
  const char *p = clean;
  while (*p && rc == NG_OK) {
    size_t sp = strspn(p, " \t\n");
    buf_add(&result, p, sp);
    p += sp;
    size_t n = strcspn(p, " \t\n");
    if (!n) break;
    word_list w = {{0}, 0};
    lexicon_tokenize(&idx->lx, p, (int)n, &w, first_token);
    int plain =
        w.count == 1 && w.raw.len >= 3 && strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
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
  free(clean);
  return rc;
}
