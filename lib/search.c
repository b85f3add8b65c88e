/*
 * search.c -- a query -> ranked passages with snippets (ng_search,
 * ng_count, ng_explain).
 *
 * Queries of words are ranked by the engine (engine.c): BM25 with the
 * headline weighted above the body, then the best re-scored with
 * proximity, the story's own score and RM3 expansion (rank_params says
 * which parts the options turn off).  Raw FTS5 expressions and queries of
 * headline filters alone are ordered by nutgraf_rank() (rank.c) as before.
 * Ties go to the paragraph indexed first (engine.c: the earlier pno; on
 * the SQL path, the earlier rowid: document, then paragraph).
 *
 * The query is expanded (expand.c) into an FTS5 expression and filters;
 * store.c turns that into the statement and pages through it.  Hits are
 * read a page ahead, so that the snippets of a page the statement could
 * not make itself come from one FTS5 query (ngi_store_snippets).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Set by measurement on ../shared/eval: see the README's Relevance section. */
#define NG_HEAD_WEIGHT 1.25
#define NG_CONTEXT_WEIGHT 0.25
#define DEFAULT_LIMIT 10
#define DEFAULT_SNIPPET_TOKENS 32
#define MAX_SNIPPET_TOKENS 64
/* A whole passage (snippet_tokens < 0): a token holds a byte at least, so
 * no passage has more tokens than bytes; FTS5's snippet() takes it too. */
#define WHOLE_SNIPPET_TOKENS NGI_MAX_PASSAGE_BYTES

/* A page of hits read ahead, so that one FTS5 query makes all its
 * snippets. */
#define PAGE 64

enum { S_PATH, S_TITLE, S_DATELINE, S_DATE, S_SOURCE, S_URL, S_AUTHOR, S_TEXT, S_SNIPPET, S_DATELINE_DAY, S_COUNT };

typedef struct held {
  ng_hit hit;
  char *strings[S_COUNT];          /* the hit's strings, owned */
  int *more_ordinals, *more_lines; /* owned */
  strlist copies;                  /* owned */
} held;

struct ng_results {
  ng_index *idx;
  ngi_hits *hits;         /* the SQL path (raw FTS5, --all, headline-only queries) */
  ngi_engine_hit *ranked; /* the engine's path: the ranked passages ... */
  size_t nranked, at;     /* ... and the next one to read */
  int reading;            /* a read transaction is held (engine path) */
  ngi_plan plan;          /* the plan, for the snippets */
  char *fts;              /* the expression snippets are made for, or NULL (--all) */
  int snippet_tokens;
  int copy_paths; /* how many of a story's copies a hit names */
  int raw_fts5;
  char *query; /* as given, for a usage error's message */
  held page[PAGE];
  long long rowids[PAGE]; /* the page's passages */
  size_t n, next;
  int done;
};

/* A query that only filters on headlines searches its first headline
 * filter; a query with NOT gets no context share: nutgraf_rank cannot
 * tell excluded phrases from the others, and they must not lend weight to
 * a document. */
static int make_hit_query(ng_index *idx, const parsed_query *pq, const ng_search_options *o, ngi_hit_query *hq,
                          buf *match, char since[32], char until[32]) {
  memset(hq, 0, sizeof *hq);
  since[0] = until[0] = '\0';
  const char *bad = (o->since && ngi_date_query(o->since, 0, since, 32) != 0)   ? o->since
                    : (o->until && ngi_date_query(o->until, 0, until, 32) != 0) ? o->until
                                                                                : NULL;
  if (bad)
    return ngi_fail(idx, NG_EUSAGE,
                    "cannot read date '%.100s' (use YYYY, YYYY-MM, YYYY-MM-DD, today, yesterday, Nd or Nw)", bad);
  if (o->since && o->until && ngi_date_range_inverted(since, until))
    return ngi_fail(idx, NG_EUSAGE, "the dates %.100s to %.100s hold no day: the first is after the second", o->since,
                    o->until);
  if (pq) {
    if (pq->fts) {
      ngi_buf_adds(match, pq->fts);
    } else {
      for (size_t i = 0; i < pq->nfilters && !hq->skip_filter; i++) {
        if (pq->filters[i].field == NGI_FIELD_TITLE && !pq->filters[i].negated) hq->skip_filter = &pq->filters[i];
      }
      ngi_buf_printf(match, "{head} : (%s)", hq->skip_filter ? hq->skip_filter->value : "");
    }
    if (match->oom) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
    hq->match = match->data;
    hq->filters = pq->filters;
    hq->nfilters = pq->nfilters;
    hq->weights[0] = NG_HEAD_WEIGHT;
    hq->weights[1] = pq->has_not ? 0 : NG_CONTEXT_WEIGHT;
    hq->match_plain = pq->fts_plain;
    hq->surface_words = pq->surface_words;
  }
  hq->since = since[0] ? since : NULL;
  hq->until = until[0] ? until : NULL;
  hq->per_document = o->per_document;
  hq->sort = o->sort;
  hq->limit = o->limit == 0 ? DEFAULT_LIMIT : o->limit;
  hq->offset = o->offset > 0 ? o->offset : 0;
  hq->snippet_tokens = o->snippet_tokens > 0 ? o->snippet_tokens : DEFAULT_SNIPPET_TOKENS;
  if (hq->snippet_tokens > MAX_SNIPPET_TOKENS) hq->snippet_tokens = MAX_SNIPPET_TOKENS;
  if (o->snippet_tokens < 0) hq->snippet_tokens = WHOLE_SNIPPET_TOKENS;
  return NG_OK;
}

/* change_after, change_upto as a filter of the query's (store.c's
 * conditions, so that the engine and SQL filter alike). */
static int add_change_filter(ng_index *idx, const ng_search_options *o, parsed_query *q) {
  if (o->change_after <= 0 && o->change_upto <= 0) return NG_OK;
  ngi_filter *f = realloc(q->filters, (q->nfilters + 1) * sizeof *f);
  if (!f) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  q->filters = f;
  char value[64];
  if (o->change_upto > 0)
    snprintf(value, sizeof value, "%lld..%lld", o->change_after > 0 ? o->change_after : 0, o->change_upto);
  else
    snprintf(value, sizeof value, "%lld..", o->change_after);
  ngi_filter *nf = &q->filters[q->nfilters];
  memset(nf, 0, sizeof *nf);
  nf->field = NGI_FIELD_CHANGE;
  if (!(nf->value = strdup(value))) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  q->nfilters++;
  return NG_OK;
}

/* The query as an expression: parsed and expanded, or (--fts5) as given;
 * its notes become the handle's (ng_index_notes). */
static int understand(ng_index *idx, const char *query, const ng_search_options *o, parsed_query *q) {
  memset(q, 0, sizeof *q);
  free(idx->notes);
  idx->notes = NULL;
  if (!query) return ngi_fail(idx, NG_EUSAGE, "no query");
  if (o->raw_fts5) {
    q->fts = strdup(query);
    return q->fts ? add_change_filter(idx, o, q) : ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  int rc = ngi_query_expand(idx, query, o, q);
  if (rc == NG_OK && q->notes.len && !(idx->notes = strdup(q->notes.data)))
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  if (rc == NG_OK) rc = add_change_filter(idx, o, q);
  return rc;
}

const char *ng_index_notes(const ng_index *idx) { return idx && idx->notes ? idx->notes : ""; }

/* Errors that come from the user's FTS5 expression are usage errors. */
static int search_error(ng_index *idx, int raw_fts5, const char *query, int sqlite_code) {
  if (raw_fts5 && (sqlite_code == SQLITE_ERROR || sqlite_code == SQLITE_RANGE)) {
    const char *m = ngi_store_errmsg(idx);
    if (strncmp(m, "fts5: ", 6) == 0) m += 6;
    return ngi_fail(idx, NG_EUSAGE, "invalid FTS5 query '%.200s': %s", query, m);
  }
  return ngi_store_fail(idx, "searching");
}

static void free_page(ng_results *res) {
  for (size_t i = 0; i < res->n; i++) {
    for (int k = 0; k < S_COUNT; k++) free(res->page[i].strings[k]);
    free(res->page[i].more_ordinals);
    free(res->page[i].more_lines);
    ngi_strlist_free(&res->page[i].copies);
  }
  res->n = res->next = 0;
}

static int copy_string(ng_results *res, held *hd, int k, const char *v) {
  if (v && !(hd->strings[k] = strdup(v))) return ngi_fail(res->idx, NG_ESYSTEM, "out of memory");
  return NG_OK;
}

/* Snippets for the page's hits the statement gave none: the engine's
 * hits each by its rowid; the SQL path's page at once. */
static int make_snippets(ng_results *res) {
  if (res->ranked) {
    int rc = NG_OK;
    for (size_t i = 0; i < res->n && rc == NG_OK; i++) {
      held *hd = &res->page[i];
      if (hd->strings[S_SNIPPET]) continue;
      rc = ngi_snippet(res->idx->lx, &res->plan, hd->hit.text, hd->hit.kind == NG_KIND_HEADLINE, res->snippet_tokens,
                       &hd->strings[S_SNIPPET]);
      if (rc != NG_OK) rc = ngi_fail(res->idx, NG_ESYSTEM, "out of memory");
      if (rc == NG_OK && hd->strings[S_SNIPPET]) hd->hit.snippet = hd->strings[S_SNIPPET];
    }
    return rc;
  }
  const char *texts[PAGE];
  int kinds[PAGE];
  char *snippets[PAGE];
  size_t at[PAGE], n = 0;
  for (size_t i = 0; i < res->n; i++) {
    if (res->page[i].strings[S_SNIPPET]) continue;
    texts[n] = res->page[i].hit.text;
    kinds[n] = res->page[i].hit.kind;
    at[n++] = i;
  }
  if (!n) return NG_OK;
  int rc = ngi_store_snippets(res->idx, res->fts, res->snippet_tokens, texts, kinds, n, snippets);
  for (size_t k = 0; k < n; k++) {
    held *hd = &res->page[at[k]];
    if (snippets[k] && rc == NG_OK) {
      hd->strings[S_SNIPPET] = snippets[k];
      hd->hit.snippet = snippets[k];
    } else {
      free(snippets[k]);
    }
  }
  return rc;
}

/* The next row of the results: from the SQL statement, or the next ranked
 * passage's row. */
static int next_row(ng_results *res, ngi_hit_row *row, int *code, const ngi_engine_hit **ranked) {
  *code = SQLITE_OK;
  *ranked = NULL;
  if (res->hits) return ngi_store_hits_step(res->hits, row, code);
  while (res->at < res->nranked) {
    const ngi_engine_hit *h = *ranked = &res->ranked[res->at++];
    int rc = ngi_store_hit_row(res->idx, h->rowid, row);
    if (rc == NG_DONE) continue; /* cannot happen in one read transaction */
    row->score = h->score;
    return rc;
  }
  return NG_DONE;
}

/* Reads the next page of hits. */
static int read_page(ng_results *res) {
  free_page(res);
  while (!res->done && res->n < PAGE) {
    ngi_hit_row row;
    int code;
    const ngi_engine_hit *ranked;
    int step = next_row(res, &row, &code, &ranked);
    if (step == NG_DONE) {
      res->done = 1;
      break;
    }
    if (step != NG_ROW) return res->hits ? search_error(res->idx, res->raw_fts5, res->query, code) : step;
    held *hd = &res->page[res->n];
    memset(hd, 0, sizeof *hd);
    res->n++; /* counted now, so that free_page frees what was copied */
    const char *text = row.head ? row.head : row.body;
    if (copy_string(res, hd, S_PATH, row.path) != NG_OK || copy_string(res, hd, S_TITLE, row.title) != NG_OK ||
        copy_string(res, hd, S_DATELINE, row.dateline) != NG_OK || copy_string(res, hd, S_DATE, row.date) != NG_OK ||
        copy_string(res, hd, S_SOURCE, row.source) != NG_OK || copy_string(res, hd, S_URL, row.url) != NG_OK ||
        copy_string(res, hd, S_AUTHOR, row.author) != NG_OK || copy_string(res, hd, S_TEXT, text) != NG_OK ||
        copy_string(res, hd, S_SNIPPET, row.snippet) != NG_OK ||
        copy_string(res, hd, S_DATELINE_DAY, row.dateline_day) != NG_OK)
      return NG_ESYSTEM;
    ng_hit *h = &hd->hit;
    h->score = row.score;
    h->doc_id = row.doc;
    h->path = hd->strings[S_PATH] ? hd->strings[S_PATH] : "";
    h->title = hd->strings[S_TITLE] ? hd->strings[S_TITLE] : "";
    h->dateline = hd->strings[S_DATELINE];
    h->date = hd->strings[S_DATE];
    h->source = hd->strings[S_SOURCE];
    h->url = hd->strings[S_URL];
    h->author = hd->strings[S_AUTHOR];
    h->kind = row.head ? NG_KIND_HEADLINE : NG_KIND_PARAGRAPH;
    h->text = hd->strings[S_TEXT] ? hd->strings[S_TEXT] : "";
    h->snippet = hd->strings[S_SNIPPET] ? hd->strings[S_SNIPPET] : h->text;
    h->ordinal = NGI_ROWID_ORDINAL(row.rowid);
    res->rowids[res->n - 1] = row.rowid;
    h->first_line = row.first_line;
    h->last_line = row.last_line;
    h->dateline_day = hd->strings[S_DATELINE_DAY];
    h->dup_of = row.dup_of;
    h->copies = row.copies;
    h->feed_line = row.feed_line;
    h->first_indexed_ns = row.first_ns;
    h->changed_ns = row.changed_ns;
    h->change = row.change;
    if (ranked && ranked->more) {
      /* the story's other matching passages: ordinals and lines */
      hd->more_ordinals = malloc((size_t)ranked->more * sizeof *hd->more_ordinals);
      hd->more_lines = malloc((size_t)ranked->more * 2 * sizeof *hd->more_lines);
      if (!hd->more_ordinals || !hd->more_lines) return ngi_fail(res->idx, NG_ESYSTEM, "out of memory");
      for (int k = 0; k < ranked->more; k++) {
        hd->more_ordinals[k] = NGI_ROWID_ORDINAL(ranked->more_rowid[k]);
        int rc = ngi_store_passage_lines(res->idx, ranked->more_rowid[k], &hd->more_lines[2 * k],
                                         &hd->more_lines[2 * k + 1]);
        if (rc != NG_OK) return rc;
      }
      h->more = ranked->more;
      h->more_ordinals = hd->more_ordinals;
      h->more_lines = hd->more_lines;
    }
    if (row.copies > 1 && res->copy_paths) {
      int rc = ngi_store_copy_paths(res->idx, row.doc, row.dup_of ? row.dup_of : row.doc, res->copy_paths, &hd->copies);
      if (rc != NG_OK) return rc;
      h->copy_paths = (const char *const *)hd->copies.items;
      h->ncopy_paths = (int)hd->copies.n;
    }
  }
  return res->fts && res->n ? make_snippets(res) : NG_OK;
}

void ngi_search_options_of(const ng_search_options *in, ng_search_options *out) {
  static const ng_search_options defaults = NG_SEARCH_OPTIONS_INIT;
  if (!in) {
    *out = defaults;
  } else if (in->version >= NG_SEARCH_OPTIONS_VERSION) {
    *out = *in;
    out->version = NG_SEARCH_OPTIONS_VERSION;
  } else if (in->version == 2) {
    /* version 2 ended before change_after: every change, the whole ranking */
    *out = defaults;
    memcpy(out, in, offsetof(ng_search_options, change_after));
    out->version = NG_SEARCH_OPTIONS_VERSION;
  } else if (in->version == 4) {
    /* version 4 ended before copy_paths: the first 100 */
    *out = defaults;
    memcpy(out, in, offsetof(ng_search_options, copy_paths));
    out->version = NG_SEARCH_OPTIONS_VERSION;
  } else if (in->version == 3) {
    /* version 3 ended before rank_off: the whole ranking */
    *out = defaults;
    memcpy(out, in, offsetof(ng_search_options, rank_off));
    out->version = NG_SEARCH_OPTIONS_VERSION;
  } else {
    /* version 1 ended before per_story: every passage, as it ranked */
    *out = defaults;
    memcpy(out, in, offsetof(ng_search_options, per_story));
    out->version = NG_SEARCH_OPTIONS_VERSION;
    out->per_story = 0;
  }
}

/* Queries the engine answers: every query of words, with or without
 * filters.  Raw FTS5 expressions, --all and queries of headline filters
 * alone run as SQL. */
static int use_engine(const ng_search_options *o, const parsed_query *q) {
  return !o->all && !o->raw_fts5 && q->fts && q->plan.ngroups > 0;
}

/* The ranking's parameters (README, Relevance, says which collection's
 * judgments chose each; the others were held out).  BM25 alone (--rank
 * bm25) keeps FTS5's k1 and b. */
#define NG_K1 0.9
#define NG_B 0.4
#define NG_BM25_K1 1.2
#define NG_BM25_B 0.75
static const ngi_rerank rerank_default = {
    100,  /* depth: stage 2 re-scores the top max(100, k) of stage 1 */
    0.25, /* context */
    0.5,  /* proximity */
    0.5,  /* document */
    1.2,  /* dk1 */
    0.75, /* db */
    3,    /* fb_docs */
    50,   /* fb_terms */
    0.5,  /* fb_orig */
    0.1,  /* fb_maxdf */
    1,    /* fb_window: a feedback story's best passage and one on each side */
};

/* NUTGRAF_RANK=name=value,... overrides the parameters, for bench/'s
 * measurements (bench/README.md): k1, b, hw, depth, ctx, prox, doc, dk1,
 * db, fbd, fbt, ow, maxdf, fbw.  Unknown names are ignored. */
static void rank_tuning(double *k1, double *b, double *hw, ngi_rerank *rk) {
  const char *env = getenv("NUTGRAF_RANK");
  if (!env || !*env) return;
  char name[16];
  double v;
  for (const char *p = env; *p;) {
    size_t n = strcspn(p, "=,");
    if (p[n] == '=' && n < sizeof name && sscanf(p + n + 1, "%lf", &v) == 1) {
      memcpy(name, p, n);
      name[n] = '\0';
      if (!strcmp(name, "k1"))
        *k1 = v;
      else if (!strcmp(name, "b"))
        *b = v;
      else if (!strcmp(name, "hw"))
        *hw = v;
      else if (!strcmp(name, "depth"))
        rk->depth = (long)v;
      else if (!strcmp(name, "ctx"))
        rk->context = v;
      else if (!strcmp(name, "prox"))
        rk->proximity = v;
      else if (!strcmp(name, "doc"))
        rk->document = v;
      else if (!strcmp(name, "dk1"))
        rk->dk1 = v;
      else if (!strcmp(name, "db"))
        rk->db = v;
      else if (!strcmp(name, "fbd"))
        rk->fb_docs = (int)v;
      else if (!strcmp(name, "fbt"))
        rk->fb_terms = (int)v;
      else if (!strcmp(name, "ow"))
        rk->fb_orig = v;
      else if (!strcmp(name, "maxdf"))
        rk->fb_maxdf = v;
      else if (!strcmp(name, "fbw"))
        rk->fb_window = (int)v;
    }
    p += strcspn(p, ",");
    if (*p == ',') p++;
  }
}

/* The stage 2 of the options (NULL: stage 1 alone) and BM25's k1 and b. */
static const ngi_rerank *rank_params(const ng_search_options *o, ngi_rerank *rk, double *k1, double *b, double *hw) {
  *rk = rerank_default;
  *hw = NG_HEAD_WEIGHT;
  int bm25 = (o->rank_off & NG_RANK_BM25) == NG_RANK_BM25;
  *k1 = bm25 ? NG_BM25_K1 : NG_K1;
  *b = bm25 ? NG_BM25_B : NG_B;
  if (o->rank_off & NG_RANK_NO_EXPANSION) rk->fb_docs = 0;
  /* Expansion is for --any queries, the descriptive, many-word ones it
   * was measured on (bench/relevance.py): a query whose words are all
   * required says what it wants, and RM3 about doubles the cost of the
   * search (fifty more postings lists read and swept, the feedback
   * passages tokenized again: README, Relevance). */
  if (!o->any) rk->fb_docs = 0;
  if (o->rank_off & NG_RANK_NO_PROXIMITY) rk->proximity = 0;
  if (o->rank_off & NG_RANK_NO_DOCUMENT) rk->document = rk->context = 0;
  rank_tuning(k1, b, hw, rk);
  int any = rk->context > 0 || rk->proximity > 0 || rk->document > 0 || (rk->fb_docs > 0 && rk->fb_terms > 0);
  return any && !bm25 ? rk : NULL;
}

/* The ranked passages of a plan, offset included. */
static int rank(ng_index *idx, const parsed_query *q, const ng_search_options *o, const ngi_hit_query *hq,
                ngi_engine_hit **hits, size_t *n, ngi_expansion *expansion) {
  ngi_engine_query eq;
  memset(&eq, 0, sizeof eq);
  eq.plan = &q->plan;
  eq.match = q->fts;
  eq.match_plain = q->fts_plain;
  eq.surface_words = q->surface_words;
  eq.filters = q->filters;
  eq.nfilters = q->nfilters;
  eq.since = hq->since;
  eq.until = hq->until;
  eq.sort = o->sort;
  eq.k = hq->limit < 0 ? -1 : hq->offset + hq->limit;
  /* Stories: --files keeps a document's best passage, --per-story N its
   * N best; copies of a story (a duplicate group) are one story unless
   * no_collapse.  --per-story 0 ranks every passage, copies too. */
  if (o->per_document || o->per_story > 0) {
    eq.key = o->no_collapse ? NGI_KEY_DOC : NGI_KEY_GROUP;
    eq.per_key = o->per_document ? 1 : o->per_story;
    eq.more = !o->per_document;
  }
  ngi_rerank rk;
  eq.rerank = rank_params(o, &rk, &eq.k1, &eq.b, &eq.head_weight);
  eq.exhaustive = idx->exhaustive;
  int rc = ngi_engine_run(idx, &eq, hits, n, expansion);
  if (rc != NG_OK) return rc;
  /* The offset's passages are not shown. */
  size_t skip = (size_t)hq->offset < *n ? (size_t)hq->offset : *n;
  for (size_t i = 0; i < skip; i++) free((*hits)[i].more_rowid);
  memmove(*hits, *hits + skip, (*n - skip) * sizeof **hits);
  *n -= skip;
  return NG_OK;
}

int ng_search(ng_index *idx, const char *query, const ng_search_options *opts, ng_results **out) {
  *out = NULL;
  ng_search_options given;
  ngi_search_options_of(opts, &given);
  opts = &given;
  parsed_query q;
  memset(&q, 0, sizeof q);
  int rc = opts->all ? NG_OK : understand(idx, query, opts, &q);
  ng_results *res = NULL;
  buf match = {0};
  ngi_hit_query hq;
  char since[32], until[32];
  if (rc == NG_OK) rc = make_hit_query(idx, opts->all ? NULL : &q, opts, &hq, &match, since, until);
  hq.all = opts->all;
  if (rc == NG_OK && !(res = calloc(1, sizeof *res))) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  if (rc == NG_OK) {
    res->idx = idx;
    res->snippet_tokens = hq.snippet_tokens;
    res->copy_paths = opts->copy_paths > 0 ? opts->copy_paths : 0;
    res->raw_fts5 = opts->raw_fts5;
    if ((query && !(res->query = strdup(query))) || (!opts->all && !(res->fts = ngi_buf_detach(&match))))
      rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    hq.match = res->fts;
  }
  if (rc == NG_OK && use_engine(opts, &q)) {
    rc = ngi_store_read_begin(idx);
    res->reading = rc == NG_OK;
    if (rc == NG_OK) rc = rank(idx, &q, opts, &hq, &res->ranked, &res->nranked, NULL);
    res->plan = q.plan;
    memset(&q.plan, 0, sizeof q.plan);
  } else if (rc == NG_OK) {
    rc = ngi_store_hits_open(idx, &hq, &res->hits);
  }
  /* The first page now, so a bad expression fails here, not later. */
  if (rc == NG_OK) rc = read_page(res);
  ngi_parsed_query_free(&q);
  ngi_buf_free(&match);
  if (rc != NG_OK) {
    ng_results_free(res);
    return rc;
  }
  *out = res;
  return NG_OK;
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
  ngi_store_hits_close(res->hits);
  ngi_engine_hits_free(res->ranked, res->nranked);
  ngi_plan_free(&res->plan);
  if (res->reading) ngi_store_read_end(res->idx);
  free(res->fts);
  free(res->query);
  free(res);
}

/* The hit query ng_count and ng_count_by ask SQLite: the options as
 * given, the query understood, its match (hq points into the rest). */
typedef struct count_query {
  ng_search_options opts;
  parsed_query q;
  buf match;
  ngi_hit_query hq;
  char since[32], until[32];
} count_query;

static int count_query_open(ng_index *idx, const char *query, const ng_search_options *opts, count_query *c) {
  ngi_search_options_of(opts, &c->opts);
  c->match = (buf){0};
  int rc = understand(idx, query, &c->opts, &c->q);
  if (rc == NG_OK) rc = make_hit_query(idx, &c->q, &c->opts, &c->hq, &c->match, c->since, c->until);
  return rc;
}

static void count_query_close(count_query *c) {
  ngi_parsed_query_free(&c->q);
  ngi_buf_free(&c->match);
}

int ng_count(ng_index *idx, const char *query, const ng_search_options *opts, long long *count) {
  *count = 0;
  count_query c;
  int rc = count_query_open(idx, query, opts, &c);
  int code = SQLITE_OK;
  if (rc == NG_OK && ngi_store_hits_count(idx, &c.hq, count, &code) != NG_OK)
    rc = code == SQLITE_OK ? NG_ESYSTEM : search_error(idx, c.opts.raw_fts5, query, code);
  count_query_close(&c);
  return rc;
}

/* --explain's ranking lines: how the ranking was made, and the top hit's
 * score part by part (the parts add up to the score the hit shows). */
static int explain_top(ng_index *idx, const parsed_query *q, const ng_search_options *o, buf *b) {
  ngi_hit_query hq;
  buf match = {0};
  char since[32], until[32];
  int rc = make_hit_query(idx, q, o, &hq, &match, since, until);
  ngi_engine_hit *hits = NULL;
  size_t n = 0;
  ngi_expansion ex;
  memset(&ex, 0, sizeof ex);
  int reading = 0;
  if (rc == NG_OK) rc = ngi_store_read_begin(idx);
  reading = rc == NG_OK;
  if (rc == NG_OK) rc = rank(idx, q, o, &hq, &hits, &n, &ex);
  if (rc == NG_OK) {
    ngi_rerank rk;
    double k1, bb, hw;
    const ngi_rerank *two = rank_params(o, &rk, &k1, &bb, &hw);
    if (o->sort == NG_SORT_DATE) two = NULL;
    ngi_buf_printf(b, "ranking: BM25 (k1 %g, b %g, headline %g)", k1, bb, hw);
    if (two) {
      ngi_buf_printf(b, ", then the best %ld re-scored:", two->depth);
      if (two->proximity > 0) ngi_buf_printf(b, " proximity %g", two->proximity);
      if (two->document > 0) ngi_buf_printf(b, ", story BM25 %g", two->document);
      if (two->context > 0) ngi_buf_printf(b, ", story context %g", two->context);
      if (two->fb_docs > 0 && two->fb_terms > 0 && two->fb_window >= 0)
        ngi_buf_printf(b, ", RM3 (%d stories, of each the best passage and %d on each side, %d stems, query weight %g)",
                       two->fb_docs, two->fb_window, two->fb_terms, two->fb_orig);
      else if (two->fb_docs > 0 && two->fb_terms > 0)
        ngi_buf_printf(b, ", RM3 (%d stories, %d stems, query weight %g)", two->fb_docs, two->fb_terms, two->fb_orig);
    }
    ngi_buf_addc(b, '\n');
    if (ex.stems.n) {
      ngi_buf_adds(b, "  expansion:");
      for (size_t i = 0; i < ex.stems.n && i < 20; i++) ngi_buf_printf(b, " %s %.3f", ex.stems.items[i], ex.weights[i]);
      if (ex.stems.n > 20) ngi_buf_printf(b, " (%zu more)", ex.stems.n - 20);
      ngi_buf_addc(b, '\n');
    }
    if (n) {
      ngi_hit_row row;
      int got = ngi_store_hit_row(idx, hits[0].rowid, &row);
      if (got < 0) rc = got;
      if (got == NG_ROW) ngi_buf_printf(b, "  top hit: %s passage %d\n", row.path, NGI_ROWID_ORDINAL(row.rowid));
      ngi_buf_printf(b, "  score %.6f =", hits[0].score);
      for (int k = 0; k < NGI_PARTS; k++)
        ngi_buf_printf(b, "%s %s %.6f", k ? " +" : "", ngi_part_names[k], hits[0].part[k]);
      ngi_buf_addc(b, '\n');
    } else {
      ngi_buf_adds(b, "  no hit\n");
    }
  }
  if (reading) ngi_store_read_end(idx);
  ngi_engine_hits_free(hits, n);
  ngi_expansion_free(&ex);
  ngi_buf_free(&match);
  return rc;
}

int ng_explain(ng_index *idx, const char *query, const ng_search_options *opts, char **out) {
  *out = NULL;
  ng_search_options given;
  ngi_search_options_of(opts, &given);
  opts = &given;
  if (opts->raw_fts5) {
    buf b = {0};
    ngi_buf_printf(&b, "query: %s\n  passed to FTS5 as it is (--fts5)\n", query);
    *out = ngi_buf_detach(&b);
    return NG_OK;
  }
  parsed_query q;
  int rc = understand(idx, query, opts, &q);
  if (rc != NG_OK) return rc;
  buf b = q.explain;
  memset(&q.explain, 0, sizeof q.explain);
  if (q.notes.len) ngi_buf_printf(&b, "  note: %s\n", q.notes.data);
  if (q.fts) {
    ngi_buf_adds(&b, "fts5: ");
    for (const char *c = q.fts; *c; c++) {
      if (*c != NGI_VERBATIM) ngi_buf_addc(&b, *c);
    }
    ngi_buf_addc(&b, '\n');
  }
  if (use_engine(opts, &q)) rc = explain_top(idx, &q, opts, &b);
  ngi_parsed_query_free(&q);
  if (rc != NG_OK) {
    ngi_buf_free(&b);
    return rc;
  }
  if (b.oom) {
    ngi_buf_free(&b);
    return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  *out = ngi_buf_detach(&b);
  return NG_OK;
}

/* ------------------------------------------------------------------ */
/* Timelines (ng_count_by): store.c counts per day or source, in SQL as
 * ng_count does; days are gathered here into weeks and months. */

typedef struct tally {
  ng_index *idx;
  int by;
  ng_bucket *b;
  size_t n, cap;
} tally;

/* Days from 1970-01-01 to y-m-d, and the year of a day so counted
 * (Howard Hinnant's days_from_civil and civil_from_days). */
static long days_from_civil(long y, int m, int d) {
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static long year_of_days(long days) {
  long z = days + 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  long doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long mp = (5 * doy + 2) / 153;
  return yoe + era * 400 + (mp >= 10); /* months from March: January and February end the year */
}

/* The ISO 8601 week ("2024-W01") of day "YYYY-MM-DD"; -1 when it is not one. */
static int iso_week(const char *day, char out[24]) {
  int y, m, d;
  if (sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
  long days = days_from_civil(y, m, d);
  int wday = (int)(((days + 3) % 7 + 7) % 7); /* 0 Monday: 1970-01-01 was a Thursday */
  long thursday = days - wday + 3;            /* the week's Thursday decides its year */
  long year = year_of_days(thursday);
  int week = (int)((thursday - days_from_civil(year, 1, 1)) / 7) + 1;
  snprintf(out, 24, "%04ld-W%02d", year % 10000, week);
  return 0;
}

static int tally_one(void *ctx, const char *key, long long passages, long long documents) {
  tally *t = ctx;
  char k[24];
  const char *name = key;
  if (key && t->by == NG_BY_MONTH && strlen(key) >= 7) {
    memcpy(k, key, 7);
    k[7] = '\0';
    name = k;
  } else if (key && t->by == NG_BY_WEEK && iso_week(key, k) == 0) {
    name = k;
  }
  /* keys come sorted, so a week or month is the last bucket or a new one */
  if (t->n && ((!name && !t->b[t->n - 1].key) || (name && t->b[t->n - 1].key && !strcmp(name, t->b[t->n - 1].key)))) {
    t->b[t->n - 1].passages += passages;
    t->b[t->n - 1].stories += documents;
    return NG_OK;
  }
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    ng_bucket *b = realloc(t->b, cap * sizeof *b);
    if (!b) return ngi_fail(t->idx, NG_ESYSTEM, "out of memory");
    t->b = b;
    t->cap = cap;
  }
  ng_bucket *b = &t->b[t->n];
  b->key = NULL;
  if (name && !(b->key = strdup(name))) return ngi_fail(t->idx, NG_ESYSTEM, "out of memory");
  b->passages = passages;
  b->stories = documents;
  t->n++;
  return NG_OK;
}

int ng_count_by(ng_index *idx, const char *query, const ng_search_options *opts, int by, ng_bucket **out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (by < NG_BY_DAY || by > NG_BY_SOURCE) return ngi_fail(idx, NG_EUSAGE, "unknown bucket kind %d", by);
  count_query c;
  int rc = count_query_open(idx, query, opts, &c);
  tally t = {idx, by, NULL, 0, 0};
  int code = SQLITE_OK;
  if (rc == NG_OK && (rc = ngi_store_hits_count_by(idx, &c.hq, by == NG_BY_SOURCE, tally_one, &t, &code)) != NG_OK &&
      code != SQLITE_OK)
    rc = search_error(idx, c.opts.raw_fts5, query, code);
  count_query_close(&c);
  if (rc != NG_OK) {
    ng_buckets_free(t.b, t.n);
    return rc;
  }
  *out = t.b;
  *n = t.n;
  return NG_OK;
}

void ng_buckets_free(ng_bucket *buckets, size_t n) {
  for (size_t i = 0; buckets && i < n; i++) {
    void *key; /* the keys are the library's own copies */
    memcpy(&key, &buckets[i].key, sizeof key);
    free(key);
  }
  free(buckets);
}
