/*
 * fuzz_query.c -- the query parser, variant expansion and search, against
 * a small real index.
 *
 * Per input (a query: the bytes up to the first NUL, any bytes at all),
 * first the parser alone, on the bytes with no index (ngi_query_parse): it
 * must give a tree whose every node is well formed, no deeper than the
 * nesting limit, with texts of valid UTF-8 and no control characters.
 * Then, against a small real index (copies of fixtures/articles and
 * fixtures/feeds, built once in a temporary directory and reopened
 * read-only): ng_search with several
 * option sets, every hit read; ng_count; ng_explain; ng_suggest when there
 * are no hits.  The library may refuse a query (NG_EUSAGE, NG_EDATA) but
 * must not crash or leak, and outside raw FTS5 mode must never answer
 * NG_ESYSTEM: the parser promises to turn any text into a valid
 * expression, so an SQL error there is the parser's bug.  Hits must hold
 * valid UTF-8 and sane line numbers, and with no limit the number of hits
 * must be what ng_count says.
 *
 * An input that starts with "%%" is a variants file followed, after a NUL
 * byte, by a query: it is loaded (ng_index_add_variants) into a second
 * read-only handle, which then runs the query.
 */
#define _GNU_SOURCE
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir, *index_path, *variants_path;
static ng_index *idx;
static unsigned long raw_esystem;
static char raw_esystem_example[300];

static void done(void) {
  ng_index_close(idx);
  idx = NULL;
  if (raw_esystem)
    fprintf(stderr, "fuzz_query: raw FTS5 mode answered NG_ESYSTEM %lu times, e.g. for '%s'\n", raw_esystem,
            raw_esystem_example);
  fuzz_rmtree(dir);
  free(dir);
  free(index_path);
  free(variants_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  dir = fuzz_tmpdir("query");
  char *docs = fuzz_path(dir, "docs");
  if (mkdir(docs, 0700) != 0) fuzz_fail("mkdir %s: %s", docs, strerror(errno));
  fuzz_copy_dir(NG_SOURCE_DIR "/fixtures/articles", docs);
  fuzz_copy_dir(NG_SOURCE_DIR "/fixtures/feeds", docs);
  index_path = fuzz_path(dir, "index.db");
  variants_path = fuzz_path(dir, "variants.txt");
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE;
  ng_index *w;
  if (ng_index_open(&w, index_path, &o) != NG_OK) fuzz_fail("create index: %s", ng_index_errmsg(w));
  ng_run *run;
  ng_run_stats st;
  if (ng_run_begin(&run, w, NULL, NULL, NULL) != NG_OK || ng_run_add_path(run, docs) != NG_OK ||
      ng_run_finish(run, &st) != NG_OK)
    fuzz_fail("index fixtures: %s", ng_index_errmsg(w));
  ng_run_free(run);
  ng_index_close(w);
  if (st.added < 10) fuzz_fail("only %lld documents indexed", st.added);
  free(docs);
  if (ng_index_open(&idx, index_path, NULL) != NG_OK) fuzz_fail("open index: %s", ng_index_errmsg(idx));
  atexit(done);
  return 0;
}

/* An error outside raw mode must not be a system error. */
static void check_rc(ng_index *h, const ng_search_options *o, const char *q, int rc, const char *call) {
  if (rc != NG_ESYSTEM) return;
  if (o->raw_fts5) {
    if (raw_esystem++ == 0) snprintf(raw_esystem_example, sizeof raw_esystem_example, "%.200s", q);
    return;
  }
  fuzz_fail("%s answered NG_ESYSTEM for query '%.300s': %s", call, q, ng_index_errmsg(h));
}

static void check_hit(const ng_hit *h) {
  if (!h->path || !h->title || !h->text || !h->snippet) fuzz_fail("hit with a NULL string");
  const char *s[] = {h->path, h->title, h->text, h->snippet, h->dateline, h->date, h->source, h->url, h->author};
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
    if (s[i] && !fuzz_utf8(s[i], strlen(s[i]))) fuzz_fail("hit %s: string %zu is not valid UTF-8", h->path, i);
  }
  if (h->first_line < 1 || h->first_line > h->last_line)
    fuzz_fail("hit %s: lines %d-%d", h->path, h->first_line, h->last_line);
  if (h->kind != NG_KIND_HEADLINE && h->kind != NG_KIND_PARAGRAPH) fuzz_fail("hit %s: kind %d", h->path, h->kind);
}

/* Runs the search, reads every hit; returns the number of hits or -1. */
static long search_all(ng_index *h, const char *q, const ng_search_options *o) {
  ng_results *res = NULL;
  int rc = ng_search(h, q, o, &res);
  check_rc(h, o, q, rc, "ng_search");
  if (rc != NG_OK) {
    if (res) fuzz_fail("ng_search failed (%d) but returned an iterator", rc);
    return -1;
  }
  long n = 0;
  const ng_hit *hit;
  while ((rc = ng_results_next(res, &hit)) == NG_ROW) {
    check_hit(hit);
    n++;
  }
  if (rc != NG_DONE) {
    check_rc(h, o, q, rc, "ng_results_next");
    n = -1;
  }
  ng_results_free(res);
  return n;
}

static void explain(ng_index *h, const char *q, const ng_search_options *o) {
  char *text = NULL;
  int rc = ng_explain(h, q, o, &text);
  check_rc(h, o, q, rc, "ng_explain");
  if (rc == NG_OK && !text) fuzz_fail("ng_explain: NG_OK without text");
  free(text);
}

static void suggest(ng_index *h, const char *q, const ng_search_options *o) {
  char *s = NULL;
  int rc = ng_suggest(h, q, o, &s);
  check_rc(h, o, q, rc, "ng_suggest");
  if (s) {
    /* It is printed as it is ("did you mean: ..."): clean text only. */
    size_t n = strlen(s);
    if (!fuzz_utf8(s, n))
      fuzz_fail("ng_suggest: suggestion '%.200s' is not valid UTF-8", s);
    else if (fuzz_bad_control(s, n, 1) >= 0)
      fuzz_fail("ng_suggest: suggestion holds control byte 0x%02X", (unsigned char)s[fuzz_bad_control(s, n, 1)]);
    /* A suggestion is a query that has hits; it must at least search. */
    ng_results *res = NULL;
    rc = ng_search(h, s, o, &res);
    check_rc(h, o, s, rc, "ng_search of a suggestion");
    ng_results_free(res);
  }
  free(s);
}

/* Options made from the input's bytes, so that the same input always runs
 * the same way. */
static ng_search_options mixed_options(const uint8_t *data, size_t size) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  uint64_t h = ngi_hash(data, size);
  o.any = (int)(h & 1);
  o.no_variants = (int)((h >> 1) & 1);
  o.per_document = (int)((h >> 2) & 1);
  o.sort = (int)((h >> 3) & 1);
  o.limit = -1;
  o.per_story = 0; /* every passage: what ng_count counts */
  o.snippet_tokens = (int)((h >> 4) % 80);
  if ((h >> 11) & 1) o.until = "2025-04-12";
  if ((h >> 12) & 1) o.since = "2025-03-14T00:00:00Z";
  return o;
}

static void run_query(ng_index *h, const char *q, const uint8_t *data, size_t size) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  long hits = search_all(h, q, &o);
  long long count = 0;
  int rc = ng_count(h, q, &o, &count);
  check_rc(h, &o, q, rc, "ng_count");
  explain(h, q, &o);
  if (hits == 0) suggest(h, q, &o);

  ng_search_options any = NG_SEARCH_OPTIONS_INIT;
  any.any = 1;
  search_all(h, q, &any);
  ng_search_options raw = NG_SEARCH_OPTIONS_INIT;
  raw.raw_fts5 = 1;
  search_all(h, q, &raw);
  rc = ng_count(h, q, &raw, &count);
  check_rc(h, &raw, q, rc, "ng_count");
  explain(h, q, &raw);
  ng_search_options per_doc = NG_SEARCH_OPTIONS_INIT;
  per_doc.per_document = 1;
  search_all(h, q, &per_doc);
  ng_search_options by_date = NG_SEARCH_OPTIONS_INIT;
  by_date.sort = NG_SORT_DATE;
  search_all(h, q, &by_date);
  ng_search_options since = NG_SEARCH_OPTIONS_INIT;
  since.since = "2020-01-01";
  search_all(h, q, &since);

  /* With no limit the hits are what ng_count counts. */
  ng_search_options m = mixed_options(data, size);
  hits = search_all(h, q, &m);
  rc = ng_count(h, q, &m, &count);
  check_rc(h, &m, q, rc, "ng_count");
  if (hits >= 0 && rc == NG_OK && hits != count)
    fuzz_fail("query '%.300s': %ld hits with no limit, ng_count says %lld", q, hits, count);
  if (hits == 0) suggest(h, q, &m);
}

/* The tree's invariants; returns its depth. */
static int check_node(const qnode *n, int depth) {
  if (depth > 2 * NGI_MAX_QUERY_DEPTH + 4) fuzz_fail("query tree deeper than %d", depth);
  if (n->type < NGI_WORD || n->type > NGI_FILTER) fuzz_fail("query tree node of type %d", n->type);
  if (n->type == NGI_WORD || n->type == NGI_PHRASE) {
    if (!n->text) fuzz_fail("a word node without text");
    size_t len = strlen(n->text);
    if (!fuzz_utf8(n->text, len)) fuzz_fail("word node '%.100s' is not UTF-8", n->text);
    if (fuzz_bad_control(n->text, len, 1) >= 0) fuzz_fail("word node holds a control byte");
    if (n->nkids) fuzz_fail("a word node with children");
  } else if (n->type == NGI_FILTER && n->nkids != 1) {
    fuzz_fail("a filter node with %zu values", n->nkids);
  } else if (n->type == NGI_NEAR && n->nkids < 2) {
    fuzz_fail("a NEAR node with %zu terms", n->nkids);
  }
  int deepest = depth;
  for (size_t i = 0; i < n->nkids; i++) {
    int d = check_node(n->kids[i], depth + 1);
    if (d > deepest) deepest = d;
  }
  return deepest;
}

/* The parser stage: bytes in, a tree out, no index. */
static void parse_only(const char *q) {
  query_tree t;
  if (ngi_query_parse(q, &t) != NG_OK) fuzz_fail("ngi_query_parse failed on '%.200s'", q);
  if (!t.root || t.root->type != NGI_AND) fuzz_fail("the tree's root is not an AND group");
  if (strlen(t.text) > NGI_MAX_QUERY_BYTES) fuzz_fail("the cleaned query is longer than the limit");
  check_node(t.root, 0);
  ngi_query_tree_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 20000) return 0;
  if (size >= 2 && data[0] == '%' && data[1] == '%') {
    const uint8_t *nul = memchr(data + 2, '\0', size - 2);
    size_t vlen = nul ? (size_t)(nul - (data + 2)) : size - 2;
    fuzz_write_file(variants_path, data + 2, vlen);
    char *q = nul ? fuzz_cstring(nul + 1, size - (size_t)(nul + 1 - data)) : fuzz_cstring(data + 2, vlen);
    ng_index *h = NULL;
    if (ng_index_open(&h, index_path, NULL) != NG_OK) fuzz_fail("open index: %s", ng_index_errmsg(h));
    int rc = ng_index_add_variants(h, variants_path);
    if (rc == NG_ESYSTEM) fuzz_fail("ng_index_add_variants answered NG_ESYSTEM: %s", ng_index_errmsg(h));
    ng_search_options o = NG_SEARCH_OPTIONS_INIT;
    if (search_all(h, q, &o) == 0) suggest(h, q, &o);
    explain(h, q, &o);
    ng_index_close(h);
    free(q);
    return 0;
  }
  char *q = fuzz_cstring(data, size);
  parse_only(q);
  run_query(idx, q, data, size);
  free(q);
  return 0;
}
