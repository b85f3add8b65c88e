/*
 * test_engine.c -- unit suite for lib/engine.c: the pruned top k equals the
 * exhaustive evaluation (every match scored, idx->exhaustive), hit for hit
 * and score for score, for every query shape the engine answers: with
 * stage 1 alone (NG_RANK_BM25) and with the whole ranking, whose stage 2
 * re-scores stage 1's exact top R and so must give the same order (the
 * exhaustive run also reads every candidate's proximity, which the pruned
 * one reads only until the top k is certain).
 *
 * The corpus is made here: documents of pseudo-words drawn from a Zipf
 * distribution, so that the common words have dozens of postings blocks
 * (the block maxima and MaxScore have something to skip) and the rare
 * ones a few postings.  It is checked as built, after a reindex that
 * changed and removed documents (dead postings) and after an optimize
 * (merged segments).  When ../shared is present, the queries of cisi, med
 * and cran (as bench/relevance.py runs them: --any, top 10 and top 1000)
 * and bench/queries.txt on BBC are checked too; without it those tests
 * pass with a note, as bench/ skips.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>

#include "unit.h"

/* ------------------------------------------------------------------ */
/* The made corpus */

#define VOCAB 600
#define DOCS 1200
#define COPIES 30

static char words[VOCAB][16];
static double zipf_cdf[VOCAB];

static unsigned long long rng_state;
static unsigned long long rng(void) { /* splitmix64 */
  unsigned long long z = (rng_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
static double uniform(void) { return (double)(rng() >> 11) / 9007199254740992.0; }
static int below(int n) { return (int)(rng() % (unsigned long long)n); }

static void make_words(void) {
  static const char *const syl[] = {"ka", "ro", "mi", "tu", "le", "no", "sa", "vi", "de", "po", "ga", "fe", "zu", "bo"};
  const int nsyl = (int)(sizeof syl / sizeof *syl);
  for (int i = 0; i < VOCAB; i++) {
    /* three syllables, distinct for every i (14^3 > VOCAB), and an end
     * Snowball leaves alone */
    int a = i % nsyl, b = (i / nsyl) % nsyl, c = (i / nsyl / nsyl) % nsyl;
    snprintf(words[i], sizeof words[i], "%s%s%sx", syl[a], syl[b], syl[c]);
  }
  double sum = 0;
  for (int i = 0; i < VOCAB; i++) sum += 1.0 / (i + 1);
  double acc = 0;
  for (int i = 0; i < VOCAB; i++) {
    acc += 1.0 / (i + 1) / sum;
    zipf_cdf[i] = acc;
  }
}

static int zipf_word(void) {
  double u = uniform();
  int lo = 0, hi = VOCAB - 1;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (zipf_cdf[mid] < u)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static void add_words(buf *b, int n) {
  for (int i = 0; i < n; i++) {
    if (i) ngi_buf_addc(b, ' ');
    ngi_buf_adds(b, words[zipf_word()]);
  }
}

/* Document i, version v (a reindex writes other words). */
static void write_doc(const char *docs, int i, int v) {
  buf b = {0};
  ngi_buf_printf(&b, "Title: ");
  add_words(&b, 4 + below(6));
  ngi_buf_printf(&b, "\nDate: 2024-%02d-%02d\nSource: %s\n\n", 1 + (i * 7 + v) % 12, 1 + (i * 13) % 28,
                 i % 3 == 0 ? "Alpha Wire" : "Beta News");
  int paragraphs = 1 + below(9);
  for (int p = 0; p < paragraphs; p++) {
    add_words(&b, 5 + below(p % 3 == 0 ? 120 : 40));
    ngi_buf_adds(&b, ".\n\n");
  }
  ck_assert(!b.oom);
  char name[32];
  snprintf(name, sizeof name, "d%04d.txt", i);
  write_file(docs, name, b.data, b.len);
  ngi_buf_free(&b);
}

static char *dir, *docs, *index_path;

static void build_corpus(void) {
  rng_state = 20261201;
  make_words();
  dir = tmpdir_make();
  docs = path_join(dir, "docs");
  ck_assert_int_eq(mkdir(docs, 0700), 0);
  index_path = path_join(dir, "index.db");
  for (int i = 0; i < DOCS; i++) write_doc(docs, i, 0);
  /* copies of a few stories (duplicate groups: one story when collapsed) */
  for (int i = 0; i < COPIES; i++) {
    char name[32];
    snprintf(name, sizeof name, "d%04d.txt", i * 37);
    char *src = path_join(docs, name);
    size_t n;
    char *text = read_whole(src, &n);
    snprintf(name, sizeof name, "copy%02d.txt", i);
    write_file(docs, name, text, n);
    free(text);
    free(src);
  }
  ng_run_stats st = index_tree(index_path, docs);
  ck_assert_int_eq(st.added, DOCS + COPIES);
}

static void make_dir(void) { dir = tmpdir_make(); }

static void remove_corpus(void) {
  free(index_path);
  free(docs);
  tmpdir_remove(dir);
  dir = docs = index_path = NULL;
}

/* ------------------------------------------------------------------ */
/* Pruned against exhaustive */

typedef struct ranked {
  long long *doc;
  int *ordinal;
  double *score;
  size_t n;
} ranked;

static void ranked_free(ranked *r) {
  free(r->doc);
  free(r->ordinal);
  free(r->score);
  memset(r, 0, sizeof *r);
}

/* The hits of query (NG_OK), or the error code. */
static int run(ng_index *idx, const char *query, const ng_search_options *o, int exhaustive, ranked *out) {
  memset(out, 0, sizeof *out);
  idx->exhaustive = exhaustive;
  ng_results *res;
  int rc = ng_search(idx, query, o, &res);
  if (rc != NG_OK) return rc;
  const ng_hit *h;
  size_t cap = 0;
  while ((rc = ng_results_next(res, &h)) == NG_ROW) {
    if (out->n == cap) {
      cap = cap ? cap * 2 : 16;
      out->doc = realloc(out->doc, cap * sizeof *out->doc);
      out->ordinal = realloc(out->ordinal, cap * sizeof *out->ordinal);
      out->score = realloc(out->score, cap * sizeof *out->score);
      ck_assert(out->doc && out->ordinal && out->score);
    }
    out->doc[out->n] = h->doc_id;
    out->ordinal[out->n] = h->ordinal;
    out->score[out->n] = h->score;
    out->n++;
  }
  ng_results_free(res);
  idx->exhaustive = 0;
  return rc == NG_DONE ? NG_OK : rc;
}

static int same_score(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(a)); }

typedef struct tally {
  int queries, with_hits, compared_hits;
} tally;

/* Checks query under o: same hits, same order, same scores. */
static void check_query(ng_index *idx, const char *query, const ng_search_options *o, tally *t) {
  ranked p, e;
  int rp = run(idx, query, o, 0, &p);
  int re = run(idx, query, o, 1, &e);
  ck_assert_msg(rp == re, "'%s' (any %d, limit %ld): pruned returns %d, exhaustive %d (%s)", query, o->any, o->limit,
                rp, re, ng_index_errmsg(idx));
  if (rp == NG_OK) {
    ck_assert_msg(p.n == e.n,
                  "'%s' (any %d, sort %d, per doc %d, per story %d, limit %ld): %zu hits pruned, %zu exhaustive", query,
                  o->any, o->sort, o->per_document, o->per_story, o->limit, p.n, e.n);
    for (size_t i = 0; i < p.n; i++) {
      ck_assert_msg(p.doc[i] == e.doc[i] && p.ordinal[i] == e.ordinal[i] && same_score(p.score[i], e.score[i]),
                    "'%s' (any %d, sort %d, per doc %d, per story %d, limit %ld): hit %zu is doc %lld/%d score %.12g "
                    "pruned, doc %lld/%d score %.12g exhaustive",
                    query, o->any, o->sort, o->per_document, o->per_story, o->limit, i + 1, p.doc[i], p.ordinal[i],
                    p.score[i], e.doc[i], e.ordinal[i], e.score[i]);
    }
    t->with_hits += p.n > 0;
    t->compared_hits += (int)p.n;
  }
  t->queries++;
  ranked_free(&p);
  ranked_free(&e);
}

/* A query of n words drawn by zipf (common words) or uniformly (rare). */
static void draw_query(buf *q, int n, int common) {
  ngi_buf_reset(q);
  for (int i = 0; i < n; i++) {
    if (i) ngi_buf_addc(q, ' ');
    ngi_buf_adds(q, words[common ? zipf_word() : below(VOCAB)]);
  }
}

/* Every shape, many queries of each. */
static void check_shapes(ng_index *idx, unsigned long long seed, tally *t) {
  rng_state = seed;
  buf q = {0};
  for (int i = 0; i < 400; i++) {
    ng_search_options o = NG_SEARCH_OPTIONS_INIT;
    int shape = i % 10;
    /* stories: one passage each (the default), every passage, or two,
     * copies apart or not */
    int stories = (i / 30) % 4;
    o.per_story = stories == 0 ? 1 : stories == 1 ? 0 : 2;
    o.no_collapse = stories == 3;
    o.limit = (i / 10) % 3 == 0 ? 10 : (i / 10) % 3 == 1 ? 3 : 60;
    /* the whole ranking (stage 2 re-scores stage 1's exact top R, so the
     * final order is exact too), or stage 1 alone */
    if ((i / 120) % 2) o.rank_off = NG_RANK_BM25;
    int common = i % 2;
    switch (shape) {
      case 0: /* one word */ draw_query(&q, 1, common); break;
      case 1: /* all of two or three words */ draw_query(&q, 2 + below(2), 1); break;
      case 2: /* any of two to eight */
        o.any = 1;
        draw_query(&q, 2 + below(7), common);
        break;
      case 3: /* a prefix */
        draw_query(&q, 1 + below(2), 1);
        ngi_buf_adds(&q, " ");
        ngi_buf_add(&q, words[zipf_word()], 4);
        ngi_buf_addc(&q, '*');
        break;
      case 4: /* a phrase of two common words (most never adjacent) */
        ngi_buf_reset(&q);
        ngi_buf_printf(&q, "\"%s %s\"", words[below(8)], words[below(8)]);
        break;
      case 5: /* an excluded word */
        draw_query(&q, 1 + below(2), 1);
        ngi_buf_printf(&q, " -%s", words[below(20)]);
        break;
      case 6: /* sorted by date */
        draw_query(&q, 1 + below(2), common);
        o.sort = NG_SORT_DATE;
        o.any = below(2);
        break;
      case 7: /* a date range and a source */
        draw_query(&q, 1 + below(2), 1);
        o.since = "2024-03-01";
        o.until = "2024-08-31";
        if (below(2)) ngi_buf_adds(&q, " source:alpha");
        break;
      case 8: /* one passage a document */
        draw_query(&q, 1 + below(3), 1);
        o.per_document = 1;
        o.any = below(2);
        break;
      default: /* a headline word, or an offset */
        draw_query(&q, 1, 1);
        if (below(2)) {
          ngi_buf_printf(&q, " title:%s", words[below(30)]);
        } else {
          o.offset = 5 + below(20);
        }
        break;
    }
    check_query(idx, q.data, &o, t);
  }
  ngi_buf_free(&q);
}

static ng_index *open_read(void) {
  ng_index *idx;
  ck_assert_msg(ng_index_open(&idx, index_path, NULL) == NG_OK, "%s", ng_index_errmsg(idx));
  return idx;
}

START_TEST(pruned_equals_exhaustive) {
  ng_index *idx = open_read();
  tally t = {0};
  check_shapes(idx, 1, &t);
  /* the comparison compared something */
  ck_assert_int_eq(t.queries, 400);
  ck_assert_int_gt(t.with_hits, 300);
  ck_assert_int_gt(t.compared_hits, 5000);
  ng_index_close(idx);
}
END_TEST

/* A story and its copies are one story; with no_collapse they are apart. */
START_TEST(copies_are_one_story) {
  ng_index *idx = open_read();
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.limit = -1;
  o.any = 1;
  ranked one, apart;
  buf q = {0};
  for (int i = 0; i < 40; i++) {
    if (i) ngi_buf_addc(&q, ' ');
    ngi_buf_adds(&q, words[i]);
  }
  ck_assert_int_eq(run(idx, q.data, &o, 0, &one), NG_OK);
  o.no_collapse = 1;
  ck_assert_int_eq(run(idx, q.data, &o, 0, &apart), NG_OK);
  /* every document matches the 40 commonest words: one hit a story */
  ck_assert_uint_eq(apart.n, DOCS + COPIES);
  ck_assert_uint_eq(one.n, DOCS);
  /* The groups of a handle's first search asked of SQLite one candidate
   * at a time (more copies than it reads whole), and read whole by its
   * second: the same stories each way. */
  ng_index_close(idx);
  ngi_store_set_groups_read_whole(0);
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 0) idx = open_read();
    ranked again;
    o.no_collapse = 0;
    ck_assert_int_eq(run(idx, q.data, &o, 0, &again), NG_OK);
    ck_assert_uint_eq(again.n, one.n);
    for (size_t i = 0; i < one.n; i++) {
      ck_assert_int_eq(again.doc[i], one.doc[i]);
      ck_assert_int_eq(again.ordinal[i], one.ordinal[i]);
    }
    ranked_free(&again);
  }
  ngi_store_set_groups_read_whole(-1);
  ranked_free(&one);
  ranked_free(&apart);
  ngi_buf_free(&q);
  ng_index_close(idx);
}
END_TEST

/* Words with variants of several words ("mobile phones": mobil AND
 * phone, or "cell phone", or "mobile telephone"): a passage met only
 * through a variant's phrase is one where the phrase is written, words
 * in a row, as FTS5 says (the engine asks it of the phrase alone); the
 * words anywhere in the passage are enough.  Every match, as FTS5
 * counts them (the exhaustive run shares the engine's matching). */
START_TEST(variant_phrases_match_as_fts5) {
  char *d = path_join(dir, "phrases");
  ck_assert_int_eq(mkdir(d, 0700), 0);
  const char *texts[][2] = {
      {"a.txt", "Cell search\n\nThe cell was searched and a phone was found under the bed.\n"},
      {"b.txt", "Shopping\n\nShe bought a cell phone and a charger yesterday.\n"},
      {"c.txt", "Networks\n\nMobile networks and phone makers met in Geneva.\n"},
      {"d.txt", "Telephone\n\nA mobile unit carried the old telephone away.\n"},
      {"e.txt", "Rates\n\nThe base rate was cut; a base of support kept the rate low.\n"},
      {"f.txt", "Bank\n\nThe bank kept its base lending rate at five per cent.\n"},
  };
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
    write_file(d, texts[i][0], texts[i][1], strlen(texts[i][1]));
  char *db = path_join(dir, "phrases.db");
  index_tree(db, d);
  ng_index *idx;
  ck_assert_msg(ng_index_open(&idx, db, NULL) == NG_OK, "%s", ng_index_errmsg(idx));
  const char *queries[] = {"mobile phones", "interest rates", "\"mobile phones\"", "mobile phones Geneva"};
  for (size_t k = 0; k < sizeof queries / sizeof *queries; k++) {
    ng_search_options o = NG_SEARCH_OPTIONS_INIT;
    o.limit = -1;
    o.per_story = 0;
    ranked p, e;
    ck_assert_int_eq(run(idx, queries[k], &o, 0, &p), NG_OK);
    ck_assert_int_eq(run(idx, queries[k], &o, 1, &e), NG_OK);
    ck_assert_msg(p.n == e.n, "'%s': %zu hits pruned, %zu exhaustive", queries[k], p.n, e.n);
    for (size_t i = 0; i < p.n; i++) {
      int found = 0;
      for (size_t j = 0; j < e.n && !found; j++) found = p.doc[i] == e.doc[j] && p.ordinal[i] == e.ordinal[j];
      ck_assert_msg(found, "'%s': hit %zu (document %lld) is not FTS5's", queries[k], i, p.doc[i]);
    }
    long long count = -1; /* FTS5's own count of the expression */
    ck_assert_int_eq(ng_count(idx, queries[k], &o, &count), NG_OK);
    ck_assert_msg((long long)p.n == count, "'%s': %zu hits, FTS5 counts %lld", queries[k], p.n, count);
    if (k == 0) ck_assert_uint_eq(p.n, 2); /* b (cell phone) and c (both words), not a (apart) */
    ranked_free(&p);
    ranked_free(&e);
  }
  ng_index_close(idx);
  free(db);
  free(d);
}
END_TEST

/* Every match, unranked limit: the engine's matching equals FTS5's count. */
START_TEST(all_matches_equal_the_count) {
  ng_index *idx = open_read();
  rng_state = 7;
  buf q = {0};
  for (int i = 0; i < 60; i++) {
    ng_search_options o = NG_SEARCH_OPTIONS_INIT;
    o.any = i % 3 == 0;
    o.limit = -1;
    o.per_story = 0;
    draw_query(&q, 1 + below(3), i % 2);
    if (i % 5 == 4) ngi_buf_printf(&q, " -%s", words[below(10)]);
    ranked p;
    ck_assert_int_eq(run(idx, q.data, &o, 0, &p), NG_OK);
    long long count = -1;
    ck_assert_int_eq(ng_count(idx, q.data, &o, &count), NG_OK);
    ck_assert_msg((long long)p.n == count, "'%s' (any %d): %zu hits, count %lld", q.data, o.any, p.n, count);
    ranked_free(&p);
  }
  ngi_buf_free(&q);
  ng_index_close(idx);
}
END_TEST

/* After a reindex that changed a fifth of the documents and removed a
 * tenth: the dead postings never show, pruned still equals exhaustive;
 * and again once optimize merged everything. */
START_TEST(after_changes_and_optimize) {
  rng_state = 99;
  for (int i = 0; i < DOCS; i++) {
    if (i % 10 == 3) {
      char name[32];
      snprintf(name, sizeof name, "d%04d.txt", i);
      char *path = path_join(docs, name);
      ck_assert_int_eq(unlink(path), 0);
      free(path);
    } else if (i % 5 == 1) {
      write_doc(docs, i, 1);
    }
  }
  ng_run_stats st = index_tree(index_path, docs);
  ck_assert_int_eq(st.removed, DOCS / 10);
  ck_assert_int_eq(st.changed, DOCS / 5);
  ng_index *idx = open_read();
  ng_index_stats stats;
  ck_assert_msg(ng_index_check(idx, &stats) == NG_OK, "%s", ng_index_errmsg(idx));
  tally t = {0};
  check_shapes(idx, 2, &t);
  ck_assert_int_gt(t.with_hits, 300);
  ng_index_close(idx);

  ng_open_options oo = NG_OPEN_OPTIONS_INIT;
  oo.flags = NG_OPEN_WRITE;
  ng_index *w;
  ck_assert_msg(ng_index_open(&w, index_path, &oo) == NG_OK, "%s", ng_index_errmsg(w));
  ck_assert_msg(ng_index_optimize(w) == NG_OK, "%s", ng_index_errmsg(w));
  ck_assert_msg(ng_index_check(w, &stats) == NG_OK, "%s", ng_index_errmsg(w));
  ng_index_close(w);
  idx = open_read();
  t = (tally){0};
  check_shapes(idx, 3, &t);
  ck_assert_int_gt(t.with_hits, 300);
  ng_index_close(idx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The shared collections, read in place */

#define SHARED NG_SOURCE_DIR "/../shared"

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The words every system is given by bench/relevance.py: runs of letters
 * and digits, lower case, space separated. */
static void query_words(const char *text, buf *out) {
  ngi_buf_reset(out);
  int in = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    if (isalnum(*p)) {
      if (!in && out->len) ngi_buf_addc(out, ' ');
      ngi_buf_addc(out, (char)tolower(*p));
      in = 1;
    } else {
      in = 0;
    }
  }
}

static void check_collection(const char *name) {
  char *cdir = path_join(SHARED "/eval", name);
  char *cdocs = path_join(cdir, "docs");
  if (!is_dir(cdocs)) {
    fprintf(stderr, "test_engine: %s not found, %s not checked (as bench/relevance.py skips)\n", cdocs, name);
    free(cdocs);
    free(cdir);
    return;
  }
  char *db = path_join(dir, name);
  index_tree(db, cdocs);
  ng_index *idx;
  ck_assert_msg(ng_index_open(&idx, db, NULL) == NG_OK, "%s", ng_index_errmsg(idx));
  char *qpath = path_join(cdir, "queries.tsv");
  FILE *f = fopen(qpath, "r");
  ck_assert_msg(f != NULL, "cannot read %s", qpath);
  char *line = NULL;
  size_t cap = 0;
  buf q = {0};
  tally t = {0};
  int n = 0;
  while (getline(&line, &cap, f) > 0) {
    char *tab = strchr(line, '\t');
    if (!tab) continue;
    query_words(tab + 1, &q);
    if (!q.len) continue;
    ng_search_options o = NG_SEARCH_OPTIONS_INIT;
    o.any = 1;
    o.limit = 10;
    o.snippet_tokens = 1;
    check_query(idx, q.data, &o, &t);
    /* the depth bench/relevance.py reads, on every fourth query (the
     * whole set takes minutes under the sanitizers) */
    if (n++ % 4 == 0) {
      o.limit = 1000;
      check_query(idx, q.data, &o, &t);
    }
  }
  fprintf(stderr, "test_engine: %s: %d queries, %d runs, %d hits compared\n", name, n, t.queries, t.compared_hits);
  ck_assert_int_gt(t.with_hits, 0);
  free(line);
  fclose(f);
  ngi_buf_free(&q);
  ng_index_close(idx);
  free(qpath);
  free(db);
  free(cdocs);
  free(cdir);
}

START_TEST(eval_collections) {
  check_collection("cisi");
  check_collection("med");
  check_collection("cran");
}
END_TEST

START_TEST(bbc_benchmark_queries) {
  const char *corpus = SHARED "/corpora/bbc-news";
  if (!is_dir(corpus)) {
    fprintf(stderr, "test_engine: %s not found, the benchmark queries not checked\n", corpus);
    return;
  }
  char *db = path_join(dir, "bbc.db");
  index_tree(db, corpus);
  ng_index *idx;
  ck_assert_msg(ng_index_open(&idx, db, NULL) == NG_OK, "%s", ng_index_errmsg(idx));
  FILE *f = fopen(NG_SOURCE_DIR "/bench/queries.txt", "r");
  ck_assert_ptr_nonnull(f);
  char *line = NULL;
  size_t cap = 0;
  tally t = {0};
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    if (!line[0] || line[0] == '#') continue;
    for (int mode = 0; mode < 4; mode++) {
      ng_search_options o = NG_SEARCH_OPTIONS_INIT;
      o.any = mode & 1;
      o.limit = mode & 2 ? 100 : 10;
      check_query(idx, line, &o, &t);
    }
  }
  fprintf(stderr, "test_engine: BBC: %d runs, %d hits compared\n", t.queries, t.compared_hits);
  ck_assert_int_ge(t.queries, 36 * 4);
  free(line);
  fclose(f);
  ng_index_close(idx);
  free(db);
}
END_TEST

static Suite *engine_suite(void) {
  Suite *s = suite_create("engine");
  TCase *made = tcase_create("made");
  tcase_add_unchecked_fixture(made, build_corpus, remove_corpus);
  tcase_set_timeout(made, 600);
  tcase_add_test(made, pruned_equals_exhaustive);
  tcase_add_test(made, all_matches_equal_the_count);
  tcase_add_test(made, copies_are_one_story);
  tcase_add_test(made, after_changes_and_optimize);
  suite_add_tcase(s, made);
  TCase *shared = tcase_create("shared");
  tcase_add_unchecked_fixture(shared, make_dir, remove_corpus);
  tcase_set_timeout(shared, 1200);
  tcase_add_test(shared, variant_phrases_match_as_fts5);
  tcase_add_test(shared, eval_collections);
  tcase_add_test(shared, bbc_benchmark_queries);
  suite_add_tcase(s, shared);
  return s;
}

int main(void) { return run_suite(engine_suite()); }
