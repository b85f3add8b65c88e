/*
 * test_search.c -- unit suite for lib/search.c: ranked passages, counts,
 * explanations and listings, on an index of copies of
 * fixtures/articles and fixtures/feeds/wire.jsonl.  Where the query words
 * are is written down in fixtures/README.md.
 */
#define _GNU_SOURCE
#include <math.h>

#include "unit.h"

/* Built once for the suite (an unchecked fixture), read by every test. */
static char *dir;
static char *index_path;
static ng_index *idx;

static void build_index(void) {
  dir = tmpdir_make();
  index_path = path_join(dir, "index.db");
  index_fixtures(dir, index_path);
}

static void remove_index(void) {
  free(index_path);
  index_path = NULL;
  tmpdir_remove(dir);
  dir = NULL;
}

static void open_index(void) {
  ck_assert_msg(ng_index_open(&idx, index_path, NULL) == NG_OK, "%s", ng_index_errmsg(idx));
}

static void close_index(void) {
  ng_index_close(idx);
  idx = NULL;
}

/* ------------------------------------------------------------------ */
/* Hits, copied out of the iterator */

typedef struct hit {
  long long doc_id;
  char name[80]; /* base name of the path ("summit-geneva.txt", "wire.jsonl//#nw-...") */
  char *title, *dateline, *date, *source, *text, *snippet;
  int kind, ordinal, first_line, last_line;
  double score;
} hit;

typedef struct hits {
  hit *h;
  size_t n;
} hits;

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void hits_free(hits *hs) {
  for (size_t i = 0; i < hs->n; i++) {
    free(hs->h[i].title);
    free(hs->h[i].dateline);
    free(hs->h[i].date);
    free(hs->h[i].source);
    free(hs->h[i].text);
    free(hs->h[i].snippet);
  }
  free(hs->h);
  hs->h = NULL;
  hs->n = 0;
}

/* Runs the query; its status.  On NG_OK *out holds the hits. */
static int search(const char *query, const ng_search_options *o, hits *out) {
  out->h = NULL;
  out->n = 0;
  ng_results *res = NULL;
  int rc = ng_search(idx, query, o, &res);
  if (rc != NG_OK) {
    ck_assert_ptr_null(res);
    return rc;
  }
  ck_assert_ptr_nonnull(res);
  size_t cap = 0;
  const ng_hit *h;
  while ((rc = ng_results_next(res, &h)) == NG_ROW) {
    if (out->n == cap) {
      cap = cap ? cap * 2 : 16;
      out->h = realloc(out->h, cap * sizeof *out->h);
      ck_assert_ptr_nonnull(out->h);
    }
    hit *c = &out->h[out->n++];
    /* The base name of the file, or of the feed file and the record id. */
    const char *rec = strstr(h->path, "//#");
    const char *slash = h->path + (rec ? (size_t)(rec - h->path) : strlen(h->path));
    while (slash > h->path && slash[-1] != '/') slash--;
    snprintf(c->name, sizeof c->name, "%s", slash);
    c->doc_id = h->doc_id;
    c->title = dup_or_null(h->title);
    c->dateline = dup_or_null(h->dateline);
    c->date = dup_or_null(h->date);
    c->source = dup_or_null(h->source);
    c->text = dup_or_null(h->text);
    c->snippet = dup_or_null(h->snippet);
    c->kind = h->kind;
    c->ordinal = h->ordinal;
    c->first_line = h->first_line;
    c->last_line = h->last_line;
    c->score = h->score;
  }
  ng_results_free(res);
  ck_assert_msg(rc == NG_DONE, "ng_results_next: %d %s", rc, ng_index_errmsg(idx));
  return NG_OK;
}

static void search_ok(const char *query, const ng_search_options *o, hits *out) {
  int rc = search(query, o, out);
  ck_assert_msg(rc == NG_OK, "ng_search(\"%s\"): %d %s", query ? query : "(null)", rc, ng_index_errmsg(idx));
}

/* "name:line name:line ..." of the hits, sorted, for comparing as sets. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *where(const hits *hs) {
  char **items = calloc(hs->n + 1, sizeof *items);
  ck_assert_ptr_nonnull(items);
  for (size_t i = 0; i < hs->n; i++) {
    buf b = {0};
    ngi_buf_printf(&b, "%s:%d", hs->h[i].name, hs->h[i].first_line);
    items[i] = ngi_buf_detach(&b);
  }
  qsort(items, hs->n, sizeof *items, cmp_str);
  buf out = {0};
  for (size_t i = 0; i < hs->n; i++) {
    ngi_buf_printf(&out, "%s%s", i ? " " : "", items[i]);
    free(items[i]);
  }
  free(items);
  return ngi_buf_detach(&out);
}

/* The hits' places must be exactly want (sorted "name:line" list). */
static void check_where(const char *query, const ng_search_options *o, const char *want) {
  ng_search_options all = NG_SEARCH_OPTIONS_INIT;
  all.per_story = 0; /* every passage */
  if (o) all = *o;
  all.limit = -1;
  hits hs;
  search_ok(query, &all, &hs);
  char *got = where(&hs);
  hits_free(&hs);
  int same = strcmp(got, want) == 0;
  char copy[1000];
  snprintf(copy, sizeof copy, "%s", got);
  free(got);
  ck_assert_msg(same, "\"%s\" found [%s], wanted [%s]", query, copy, want);
}

static ng_search_options no_variants(void) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.per_story = 0; /* every passage */
  o.no_variants = 1;
  return o;
}

/* ------------------------------------------------------------------ */

START_TEST(ceasefire_in_summit) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.per_story = 0; /* every passage */
  o.limit = -1;
  hits hs;
  search_ok("ceasefire", &o, &hs);
  hits in = {calloc(hs.n, sizeof(hit)), 0};
  for (size_t i = 0; i < hs.n; i++) {
    if (strcmp(hs.h[i].name, "summit-geneva.txt") == 0) in.h[in.n++] = hs.h[i];
  }
  char *got = where(&in);
  ck_assert_str_eq(got, "summit-geneva.txt:1 summit-geneva.txt:15 summit-geneva.txt:3 summit-geneva.txt:46");
  free(got);
  for (size_t i = 0; i < in.n; i++) {
    const hit *h = &in.h[i];
    ck_assert_str_eq(
        h->title,
        "Geneva talks close without a ceasefire as envoys agree to return, NATO allies urge security pledges");
    ck_assert_pstr_eq(h->dateline, "Geneva, Switzerland");
    ck_assert_ptr_null(h->date);
    if (h->first_line == 1) {
      ck_assert_int_eq(h->kind, NG_KIND_HEADLINE);
      ck_assert_int_eq(h->ordinal, 0);
      ck_assert_int_eq(h->last_line, 2);
      ck_assert_str_eq(h->text, h->title);
    } else {
      ck_assert_int_eq(h->kind, NG_KIND_PARAGRAPH);
      ck_assert_int_gt(h->ordinal, 0);
      ck_assert_int_eq(h->last_line, h->first_line + 3);
    }
  }
  free(in.h);
  hits_free(&hs);
}
END_TEST

START_TEST(ceasefire_everywhere) {
  ng_search_options o = no_variants();
  check_where("ceasefire", &o,
              "crlf.txt:5 summit-geneva.txt:1 summit-geneva.txt:15 summit-geneva.txt:3 summit-geneva.txt:46");
  check_where("cease-fire", &o,
              "crlf.txt:5 summit-geneva.txt:1 summit-geneva.txt:15 summit-geneva.txt:3 summit-geneva.txt:46");
  /* With variants, truce too (wire-indented headline and P2, feed r1.p1). */
  check_where("ceasefire", NULL,
              "crlf.txt:5 summit-geneva.txt:1 summit-geneva.txt:15 summit-geneva.txt:3 summit-geneva.txt:46 "
              "wire-indented.txt:1 wire-indented.txt:2 wire.jsonl//#nw-2025-0412-001:3");
}
END_TEST

START_TEST(words_where_the_readme_says) {
  ng_search_options o = no_variants();
  check_where("sanctions", &o, "markets-blank-lines.txt:13 summit-geneva.txt:34");
  check_where("negotiations", &o, "summit-geneva.txt:38 summit-geneva.txt:50");
  check_where("truce", &o, "wire-indented.txt:1 wire-indented.txt:2 wire.jsonl//#nw-2025-0412-001:3");
  check_where("Zelenskyy", &o, "summit-geneva.txt:22 summit-geneva.txt:54");
  check_where("Kyiv", &o, "summit-geneva.txt:19 utf16-bom.txt:5 wire.jsonl//#nw-2025-0412-002:3");
  check_where("NATO", &o, "summit-geneva.txt:1 summit-geneva.txt:26 summit-geneva.txt:42");
  /* A phrase across a line break. */
  check_where("\"North Atlantic Treaty Organization\"", &o, "summit-geneva.txt:30");
  /* Variants: Kiev finds Kyiv; NATO finds the long form. */
  check_where("Kiev", NULL, "summit-geneva.txt:19 utf16-bom.txt:5 wire.jsonl//#nw-2025-0412-002:3");
  check_where("NATO", NULL, "summit-geneva.txt:1 summit-geneva.txt:26 summit-geneva.txt:30 summit-geneva.txt:42");
  /* Prefixes match words as written, accents folded. */
  check_where("Z\xC3\xBCr*", &o,
              "utf16-bom.txt:1 utf16-bom.txt:3 wire.jsonl//#nw-2025-0413-004:1 wire.jsonl//#nw-2025-0413-004:3");
  check_where("12-hou*", &o, "summit-geneva.txt:3");
  check_where("negotiat*", &o, "summit-geneva.txt:38 summit-geneva.txt:50");
  /* Decoded text is searchable. */
  check_where("Citro\xC3\xABn", &o, "latin1-cp1252.txt:1 latin1-cp1252.txt:3");
  check_where("citroen", &o, "latin1-cp1252.txt:1 latin1-cp1252.txt:3");
}
END_TEST

START_TEST(ranked_by_score) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.per_story = 0; /* every passage */
  o.limit = -1;
  hits hs;
  search_ok("ceasefire", &o, &hs);
  ck_assert_uint_ge(hs.n, 2);
  for (size_t i = 1; i < hs.n; i++)
    ck_assert_msg(hs.h[i].score <= hs.h[i - 1].score, "hit %zu scores %g after %g", i, hs.h[i].score,
                  hs.h[i - 1].score);
  ck_assert(hs.h[0].score > 0);
  hits_free(&hs);
}
END_TEST

START_TEST(count_equals_hits) {
  static const char *const queries[] = {"ceasefire", "the", "Kiev", "\"North Atlantic\"", "title:geneva", NULL};
  for (int pd = 0; pd <= 1; pd++) {
    for (int i = 0; queries[i]; i++) {
      ng_search_options o = NG_SEARCH_OPTIONS_INIT;
      o.per_story = 0; /* every passage */
      o.limit = -1;
      o.per_document = pd;
      hits hs;
      search_ok(queries[i], &o, &hs);
      long long count = -1;
      ck_assert_int_eq(ng_count(idx, queries[i], &o, &count), NG_OK);
      ck_assert_msg(count == (long long)hs.n, "\"%s\" (per_document %d): count %lld, %zu hits", queries[i], pd, count,
                    hs.n);
      ck_assert_int_gt(count, 0);
      hits_free(&hs);
    }
  }
}
END_TEST

/* Stage 1's choice: stage 2 re-scores each search's own candidates (and
 * expands the query from them), so its scores are not comparable across
 * two searches that collapse differently. */
START_TEST(per_document_best_passage) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.rank_off = NG_RANK_BM25;
  o.per_story = 0; /* every passage */
  o.limit = -1;
  hits all;
  search_ok("ceasefire", &o, &all);
  o.per_document = 1;
  hits best;
  search_ok("ceasefire", &o, &best);
  /* crlf, summit, wire-indented and one feed record. */
  ck_assert_uint_eq(best.n, 4);
  for (size_t i = 0; i < best.n; i++) {
    for (size_t j = 0; j < i; j++) ck_assert_str_ne(best.h[i].name, best.h[j].name);
    double top = -1e300;
    for (size_t k = 0; k < all.n; k++) {
      if (all.h[k].doc_id == best.h[i].doc_id && all.h[k].score > top) top = all.h[k].score;
    }
    ck_assert_msg(best.h[i].score == top, "%s: best %g, top %g", best.h[i].name, best.h[i].score, top);
  }
  hits_free(&all);
  hits_free(&best);
}
END_TEST

START_TEST(limit_and_offset) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.per_story = 0; /* every passage */
  o.limit = -1;
  hits all;
  search_ok("the", &o, &all);
  ck_assert_uint_gt(all.n, 12);
  o.limit = 0; /* the default: 10 */
  hits def;
  search_ok("the", &o, &def);
  ck_assert_uint_eq(def.n, 10);
  hits_free(&def);
  o.limit = 3;
  o.offset = 4;
  hits page;
  search_ok("the", &o, &page);
  ck_assert_uint_eq(page.n, 3);
  for (size_t i = 0; i < 3; i++) {
    ck_assert_int_eq(page.h[i].doc_id, all.h[4 + i].doc_id);
    ck_assert_int_eq(page.h[i].ordinal, all.h[4 + i].ordinal);
  }
  hits_free(&page);
  o.offset = (long)all.n - 1;
  search_ok("the", &o, &page);
  ck_assert_uint_eq(page.n, 1);
  hits_free(&page);
  o.offset = (long)all.n + 5;
  search_ok("the", &o, &page);
  ck_assert_uint_eq(page.n, 0);
  hits_free(&page);
  hits_free(&all);
}
END_TEST

START_TEST(sort_by_date) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.per_story = 0; /* every passage */
  o.limit = -1;
  o.sort = NG_SORT_DATE;
  hits hs;
  search_ok("the", &o, &hs);
  size_t dated = 0;
  int undated_seen = 0;
  for (size_t i = 0; i < hs.n; i++) {
    if (hs.h[i].date) {
      ck_assert_msg(!undated_seen, "a dated hit (%s) after an undated one", hs.h[i].name);
      if (i > 0 && hs.h[i - 1].date) ck_assert_msg(strcmp(hs.h[i - 1].date, hs.h[i].date) >= 0, "dates out of order");
      dated++;
    } else {
      undated_seen = 1;
    }
  }
  ck_assert_uint_gt(dated, 0);
  ck_assert(undated_seen);
  ck_assert_pstr_eq(hs.h[0].date, "2025-04-13");
  hits_free(&hs);
}
END_TEST

/* Every hit of query with since/until is dated within them; returns n. */
static size_t check_dates(const char *since, const char *until, const char *must_have_prefix) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.per_story = 0; /* every passage */
  o.limit = -1;
  o.since = since;
  o.until = until;
  hits hs;
  search_ok("the", &o, &hs);
  int had = must_have_prefix == NULL;
  for (size_t i = 0; i < hs.n; i++) {
    ck_assert_msg(hs.h[i].date != NULL, "undated %s with since/until", hs.h[i].name);
    if (since) ck_assert_msg(strcmp(hs.h[i].date, since) >= 0, "%s dated %s", hs.h[i].name, hs.h[i].date);
    if (until)
      ck_assert_msg(strncmp(hs.h[i].date, until, strlen(until)) <= 0, "%s dated %s", hs.h[i].name, hs.h[i].date);
    if (must_have_prefix && strncmp(hs.h[i].date, must_have_prefix, strlen(must_have_prefix)) == 0) had = 1;
  }
  size_t n = hs.n;
  hits_free(&hs);
  ck_assert_msg(had, "no hit dated %s", must_have_prefix);
  return n;
}

START_TEST(since_and_until) {
  ck_assert_uint_gt(check_dates("2025-04-13", NULL, "2025-04-13"), 0);
  /* until covers the whole day: records at 09:30 and 11:05 that day. */
  ck_assert_uint_gt(check_dates(NULL, "2025-04-12", "2025-04-12T"), 0);
  ck_assert_uint_gt(check_dates("2025-03-14", "2025-03-14", "2025-03-14"), 0);
  ck_assert_uint_eq(check_dates("2026-01-01", NULL, NULL), 0);
  ck_assert_uint_eq(check_dates(NULL, "2025-01-01", NULL), 0);
  /* Other date forms are understood. */
  ck_assert_uint_gt(check_dates("13 April 2025", NULL, "2025-04-13"), 0);
  /* The header-block date counts. */
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.per_story = 0; /* every passage */
  o.limit = -1;
  o.since = "2025-03-14";
  o.until = "2025-03-14";
  hits hs;
  search_ok("the", &o, &hs);
  for (size_t i = 0; i < hs.n; i++) ck_assert_str_eq(hs.h[i].name, "header-block.txt");
  hits_free(&hs);
}
END_TEST

/* Regression (found by valgrind, CK_FORK=no; fixed): prepare() in search.c fills the
 * match buffer and then returns NG_EUSAGE for a since/until it cannot read
 * without freeing it: 64 bytes leak per call of ng_search or ng_count with
 * a bad date.  The assertions pass; the leak shows under valgrind only. */
START_TEST(bad_date_is_usage_error) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.per_story = 0; /* every passage */
  o.since = "last Tuesday";
  hits hs;
  ck_assert_int_eq(search("ceasefire", &o, &hs), NG_EUSAGE);
  ck_assert(contains(ng_index_errmsg(idx), "last Tuesday"));
  long long n = -1;
  ck_assert_int_eq(ng_count(idx, "ceasefire", &o, &n), NG_EUSAGE);
  o.since = NULL;
  o.until = "2025-13-45";
  ck_assert_int_eq(search("ceasefire", &o, &hs), NG_EUSAGE);
}
END_TEST

START_TEST(raw_fts5) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.per_story = 0; /* every passage */
  o.raw_fts5 = 1;
  o.limit = -1;
  hits hs;
  ck_assert_int_eq(search("AND AND (", &o, &hs), NG_EUSAGE);
  const char *msg = ng_index_errmsg(idx);
  ck_assert_msg(msg[0] != '\0', "no message");
  ck_assert_msg(strncmp(msg, "fts5:", 5) != 0, "message: %s", msg);
  long long n;
  ck_assert_int_eq(ng_count(idx, "\"unclosed", &o, &n), NG_EUSAGE);
  ck_assert_msg(strncmp(ng_index_errmsg(idx), "fts5:", 5) != 0, "message: %s", ng_index_errmsg(idx));
  ck_assert_int_eq(search("nosuchcolumn : word", &o, &hs), NG_EUSAGE);
  /* A good expression is passed through (and tokenized by the index). */
  search_ok("\"north atlantic\" AND treaty", &o, &hs);
  char *got = where(&hs);
  ck_assert_str_eq(got, "summit-geneva.txt:30");
  free(got);
  hits_free(&hs);
  search_ok("head : truce", &o, &hs);
  got = where(&hs);
  ck_assert_str_eq(got, "wire-indented.txt:1");
  free(got);
  hits_free(&hs);
}
END_TEST

/* --explain's top hit: its parts, added up, give its score, which is the
 * score ng_search gives the first hit; for every way the ranking can be
 * set (the whole ranking, each part off, BM25 alone), --any and not. */
static void explain_adds_up(const char *query, const ng_search_options *o) {
  char *out = NULL;
  ck_assert_int_eq(ng_explain(idx, query, o, &out), NG_OK);
  const char *at = strstr(out, "  score ");
  ck_assert_msg(at != NULL, "no score line: %s", out);
  char *end;
  double score = strtod(at + 8, &end), sum = 0;
  ck_assert_msg(strncmp(end, " =", 2) == 0, "%s", at);
  int parts = 0;
  for (const char *p = end + 2; *p && *p != '\n';) {
    while (*p == ' ' || *p == '+') p++;
    while (*p && *p != ' ' && *p != '\n') p++; /* the part's name */
    if (*p != ' ') break;
    sum += strtod(p, &end);
    parts++;
    p = end;
  }
  ck_assert_int_eq(parts, 6);
  ck_assert_msg(fabs(sum - score) <= 1e-5 * (1 + fabs(score)), "parts %.6f, score %.6f: %s", sum, score, at);
  hits hs;
  search_ok(query, o, &hs);
  ck_assert_uint_ge(hs.n, 1);
  ck_assert_msg(fabs(hs.h[0].score - score) <= 1e-5 * (1 + fabs(score)), "search %.6f, explain %.6f: %s", hs.h[0].score,
                score, out);
  hits_free(&hs);
  free(out);
}

START_TEST(explain_parts_add_up) {
  static const unsigned offs[] = {
      0, NG_RANK_NO_EXPANSION, NG_RANK_NO_PROXIMITY, NG_RANK_NO_DOCUMENT, NG_RANK_KEEP_STOP_WORDS, NG_RANK_BM25};
  static const char *const queries[] = {"ceasefire talks", "the oil prices in the talks", "Zelensky ceasefire"};
  for (size_t i = 0; i < sizeof offs / sizeof *offs; i++) {
    for (size_t k = 0; k < sizeof queries / sizeof *queries; k++) {
      for (int any = 0; any < 2; any++) {
        ng_search_options o = NG_SEARCH_OPTIONS_INIT;
        o.rank_off = offs[i];
        o.any = any;
        hits hs;
        if (search(queries[k], &o, &hs) != NG_OK || hs.n == 0) {
          hits_free(&hs);
          continue;
        }
        hits_free(&hs);
        explain_adds_up(queries[k], &o);
      }
    }
  }
}
END_TEST

START_TEST(explain_describes) {
  char *out = NULL;
  ck_assert_int_eq(ng_explain(idx, "Zelensky ceasefire", NULL, &out), NG_OK);
  ck_assert_ptr_nonnull(out);
  ck_assert_msg(contains(out, "zelenski") || contains(out, "zelensky"), "%s", out);
  ck_assert_msg(contains(out, "ceasefir"), "no stem: %s", out);
  ck_assert_msg(contains(out, "variants"), "no variants: %s", out);
  ck_assert_msg(contains(out, "fts5:"), "no expression: %s", out);
  ck_assert_msg(strchr(out, NGI_VERBATIM) == NULL, "marker bytes in the explanation");
  free(out);
  ng_search_options o = no_variants();
  ck_assert_int_eq(ng_explain(idx, "Zelensky", &o, &out), NG_OK);
  ck_assert_msg(!contains(out, "variants"), "%s", out);
  free(out);
  ck_assert_int_eq(ng_explain(idx, "!!!", NULL, &out), NG_EUSAGE);
  ck_assert_ptr_null(out);
  o.raw_fts5 = 1;
  ck_assert_int_eq(ng_explain(idx, "a AND b", &o, &out), NG_OK);
  ck_assert(contains(out, "a AND b"));
  free(out);
}
END_TEST

START_TEST(list_all_in_order) {
  ng_index_stats st;
  ck_assert_int_eq(ng_index_get_stats(idx, &st), NG_OK);
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.per_story = 0; /* every passage */
  o.all = 1;
  o.limit = -1;
  hits hs;
  search_ok(NULL, &o, &hs);
  ck_assert_int_eq((long long)hs.n, st.passages);
  for (size_t i = 0; i < hs.n; i++) {
    const hit *h = &hs.h[i];
    ck_assert_str_eq(h->snippet, h->text);
    ck_assert(h->score == 0);
    ck_assert_msg(strcmp(h->name, "binary.dat") != 0 && strcmp(h->name, "empty.txt") != 0, "%s listed", h->name);
    ck_assert_msg(strchr(h->text, '\r') == NULL, "CR in %s:%d", h->name, h->first_line);
    if (i > 0 && hs.h[i - 1].doc_id == h->doc_id) {
      ck_assert_int_gt(h->ordinal, hs.h[i - 1].ordinal);
      ck_assert_int_gt(h->first_line, hs.h[i - 1].last_line);
    } else if (i > 0) {
      ck_assert_int_gt(h->doc_id, hs.h[i - 1].doc_id);
    }
  }
  hits_free(&hs);
  /* Dates narrow the listing too. */
  o.since = "2025-04-13";
  search_ok(NULL, &o, &hs);
  ck_assert_uint_gt(hs.n, 0);
  for (size_t i = 0; i < hs.n; i++) {
    ck_assert_ptr_nonnull(hs.h[i].date);
    ck_assert_str_ge(hs.h[i].date, "2025-04-13");
  }
  hits_free(&hs);
  o.since = "someday";
  ck_assert_int_eq(search(NULL, &o, &hs), NG_EUSAGE);
  o.since = NULL;
  /* Paged like any search; the query is ignored. */
  o.limit = 5;
  o.offset = 2;
  search_ok("anything at all", &o, &hs);
  ck_assert_uint_eq(hs.n, 5);
  hits_free(&hs);
}
END_TEST

START_TEST(snippets_mark_matches) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.per_story = 0; /* every passage */
  o.limit = -1;
  hits hs;
  search_ok("ceasefire", &o, &hs);
  ck_assert_uint_gt(hs.n, 0);
  for (size_t i = 0; i < hs.n; i++) {
    const char *s = hs.h[i].snippet;
    const char *open = strchr(s, NG_MARK_OPEN);
    ck_assert_msg(open != NULL, "%s:%d: no mark in \"%s\"", hs.h[i].name, hs.h[i].first_line, s);
    const char *close = strchr(open, NG_MARK_CLOSE);
    ck_assert_msg(close != NULL && close > open + 1, "%s:%d: unclosed mark", hs.h[i].name, hs.h[i].first_line);
    ck_assert(strchr(hs.h[i].text, NG_MARK_OPEN) == NULL);
    /* The marked word is one of the forms searched. */
    buf word = {0};
    for (const char *c = open + 1; c < close; c++) ngi_buf_addc(&word, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
    ck_assert_msg(strstr("ceasefire cease-fire cease fire truce armistice", word.data) != NULL, "marked \"%s\"",
                  word.data);
    ngi_buf_free(&word);
  }
  hits_free(&hs);
  /* A short snippet is shorter than its passage. */
  o.no_variants = 1;
  o.snippet_tokens = 5;
  search_ok("\"North Atlantic Treaty Organization\"", &o, &hs);
  ck_assert_uint_eq(hs.n, 1);
  ck_assert_uint_lt(strlen(hs.h[0].snippet), strlen(hs.h[0].text));
  ck_assert_msg(contains(hs.h[0].snippet, "\x01North Atlantic Treaty Organization\x02"), "snippet: %s",
                hs.h[0].snippet);
  hits_free(&hs);
}
END_TEST

/* The snippet without its marks; the number of marks in *marks. */
static char *unmarked(const char *snippet, int *marks) {
  buf b = {0};
  *marks = 0;
  for (const char *c = snippet; *c; c++) {
    if (*c == NG_MARK_OPEN) ++*marks;
    if (*c != NG_MARK_OPEN && *c != NG_MARK_CLOSE) ngi_buf_addc(&b, *c);
  }
  return b.data ? b.data : strdup("");
}

/* snippet_tokens < 0: the snippet is the whole passage with every match
 * marked, on the engine's path and on FTS5's (--fts5). */
START_TEST(whole_passage_snippets) {
  for (int raw = 0; raw < 2; raw++) {
    ng_search_options o = NG_SEARCH_OPTIONS_INIT;
    o.per_story = 0;
    o.limit = -1;
    o.no_variants = 1;
    o.raw_fts5 = raw;
    hits cut, whole;
    search_ok("ceasefire", &o, &cut);
    o.snippet_tokens = -1;
    search_ok("ceasefire", &o, &whole);
    ck_assert_uint_eq(whole.n, cut.n);
    ck_assert_uint_gt(whole.n, 0);
    int longer = 0;
    for (size_t i = 0; i < whole.n; i++) {
      int marks, cut_marks;
      char *plain = unmarked(whole.h[i].snippet, &marks), *cut_plain = unmarked(cut.h[i].snippet, &cut_marks);
      ck_assert_msg(strcmp(plain, whole.h[i].text) == 0, "%s:%d (raw %d): snippet \"%s\" of \"%s\"", whole.h[i].name,
                    whole.h[i].first_line, raw, whole.h[i].snippet, whole.h[i].text);
      ck_assert_int_ge(marks, 1);
      ck_assert_int_ge(marks, cut_marks);
      if (strlen(cut_plain) < strlen(plain)) longer++;
      free(plain);
      free(cut_plain);
    }
    /* Some passage is longer than a default snippet (summit-geneva.txt). */
    ck_assert_int_gt(longer, 0);
    hits_free(&cut);
    hits_free(&whole);
  }
}
END_TEST

START_TEST(filters) {
  ng_search_options o = no_variants();
  check_where("title:geneva ceasefire", &o,
              "summit-geneva.txt:1 summit-geneva.txt:15 summit-geneva.txt:3 summit-geneva.txt:46");
  check_where("path:crlf ceasefire", &o, "crlf.txt:5");
  check_where("-path:summit ceasefire", &o, "crlf.txt:5");
  check_where("-title:geneva ceasefire", &o, "crlf.txt:5");
  check_where("source:wire truce", &o, "wire.jsonl//#nw-2025-0412-001:3");
  check_where("-source:wire truce", &o, "wire-indented.txt:1 wire-indented.txt:2");
  check_where("path:*.txt truce", &o, "wire-indented.txt:1 wire-indented.txt:2");
  /* source: ignores case; path: does not, and a glob matches the whole path. */
  check_where("source:WIRE truce", &o, "wire.jsonl//#nw-2025-0412-001:3");
  check_where("source:\"Nutgraf Wire\" truce", &o, "wire.jsonl//#nw-2025-0412-001:3");
  check_where("path:CRLF ceasefire", &o, "");
  check_where("path:*/crlf.txt ceasefire", &o, "crlf.txt:5");
  check_where("path:#nw-2025-0412-001 truce", &o, "wire.jsonl//#nw-2025-0412-001:3");
  /* Filters hold for the whole query, even inside OR. */
  check_where("kyiv OR truce source:wire", &o, "wire.jsonl//#nw-2025-0412-001:3 wire.jsonl//#nw-2025-0412-002:3");
  /* A headline filter alone searches headlines. */
  check_where("title:geneva", &o, "summit-geneva.txt:1");
  check_where("title:truce", &o, "wire-indented.txt:1");
  check_where("title:(truce OR geneva)", &o, "summit-geneva.txt:1 wire-indented.txt:1");
}
END_TEST

/* A path glob often ends in '*': the star stays part of it, and the glob
 * must match the whole path (nutgraf-syntax(7), Fields). */
START_TEST(path_glob_with_trailing_star) {
  ng_search_options o = no_variants();
  check_where("path:*/articles/* truce", &o, "wire-indented.txt:1 wire-indented.txt:2 wire.jsonl//#nw-2025-0412-001:3");
  check_where("path:*/w* truce", &o, "wire-indented.txt:1 wire-indented.txt:2 wire.jsonl//#nw-2025-0412-001:3");
  check_where("path:crlf.* ceasefire", &o, "");
}
END_TEST

START_TEST(feed_record_fields) {
  ng_search_options o = no_variants();
  o.limit = -1;
  hits hs;
  search_ok("truce", &o, &hs);
  const hit *rec = NULL;
  for (size_t i = 0; i < hs.n; i++) {
    if (strcmp(hs.h[i].name, "wire.jsonl//#nw-2025-0412-001") == 0) rec = &hs.h[i];
  }
  ck_assert_ptr_nonnull(rec);
  ck_assert_ptr_nonnull(rec->date);
  ck_assert_msg(strncmp(rec->date, "2025-04-12T09:30:00", 19) == 0, "date %s", rec->date);
  ck_assert_pstr_eq(rec->source, "Nutgraf Wire");
  ck_assert_int_eq(rec->kind, NG_KIND_PARAGRAPH);
  ck_assert_int_eq(rec->first_line, 3);
  ck_assert_int_eq(rec->ordinal, 1);
  ck_assert(rec->title[0] != '\0');
  hits_free(&hs);
}
END_TEST

START_TEST(usage_errors) {
  hits hs;
  ck_assert_int_eq(search("!!! ???", NULL, &hs), NG_EUSAGE);
  ck_assert(ng_index_errmsg(idx)[0] != '\0');
  ck_assert_int_eq(search("-ceasefire", NULL, &hs), NG_EUSAGE);
  ck_assert_int_eq(search(NULL, NULL, &hs), NG_EUSAGE);
  long long n = 5;
  ck_assert_int_eq(ng_count(idx, "", NULL, &n), NG_EUSAGE);
  ng_results_free(NULL);
  /* No hits is not an error. */
  search_ok("qqqqzzzzxx", NULL, &hs);
  ck_assert_uint_eq(hs.n, 0);
  ck_assert_int_eq(ng_count(idx, "qqqqzzzzxx", NULL, &n), NG_OK);
  ck_assert_int_eq(n, 0);
}
END_TEST

static Suite *search_suite(void) {
  Suite *s = suite_create("search");
  TCase *tc = tcase_create("fixtures");
  tcase_add_unchecked_fixture(tc, build_index, remove_index);
  tcase_add_checked_fixture(tc, open_index, close_index);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, ceasefire_in_summit);
  tcase_add_test(tc, ceasefire_everywhere);
  tcase_add_test(tc, words_where_the_readme_says);
  tcase_add_test(tc, ranked_by_score);
  tcase_add_test(tc, count_equals_hits);
  tcase_add_test(tc, per_document_best_passage);
  tcase_add_test(tc, limit_and_offset);
  tcase_add_test(tc, sort_by_date);
  tcase_add_test(tc, since_and_until);
  tcase_add_test(tc, bad_date_is_usage_error);
  tcase_add_test(tc, raw_fts5);
  tcase_add_test(tc, explain_describes);
  tcase_add_test(tc, explain_parts_add_up);
  tcase_add_test(tc, list_all_in_order);
  tcase_add_test(tc, snippets_mark_matches);
  tcase_add_test(tc, whole_passage_snippets);
  tcase_add_test(tc, filters);
  tcase_add_test(tc, path_glob_with_trailing_star);
  tcase_add_test(tc, feed_record_fields);
  tcase_add_test(tc, usage_errors);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(search_suite()); }
