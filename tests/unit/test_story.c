/*
 * test_story.c -- unit suite for lib/story.c (ng_story_find, ng_story_get,
 * ng_index_changes) and what it stands on: the change numbers and times
 * ingest.c writes (schema 4) and a rebuild carries over, the search
 * options' change filter, and ng_count_by's buckets (search.c).
 */
#define _GNU_SOURCE
#include <unistd.h>

#include "unit.h"

static char *dir, *index_path, *docs;

static void setup(void) {
  dir = tmpdir_make();
  index_path = path_join(dir, "index.db");
  docs = path_join(dir, "articles");
  index_fixtures(dir, index_path);
}

static void teardown(void) {
  free(index_path);
  free(docs);
  tmpdir_remove(dir);
  dir = index_path = docs = NULL;
}

static ng_index *open_read(void) {
  ng_index *idx;
  ck_assert_msg(ng_index_open(&idx, index_path, NULL) == NG_OK, "%s", ng_index_errmsg(idx));
  return idx;
}

/* One run over docs (rebuild: nutgraf-index --full), or an optimize. */
static void reindex(int rebuild) {
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE | (rebuild ? NG_OPEN_REBUILD : 0);
  ng_index *w;
  ck_assert_msg(ng_index_open(&w, index_path, &o) == NG_OK, "%s", ng_index_errmsg(w));
  ng_run *run;
  ng_run_options ro = NG_RUN_OPTIONS_INIT;
  ro.full = rebuild;
  ck_assert_int_eq(ng_run_begin(&run, w, &ro, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs), NG_OK);
  ck_assert_int_eq(ng_run_finish(run, NULL), NG_OK);
  ng_run_free(run);
  ng_index_close(w);
}

static void optimize(void) {
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE;
  ng_index *w;
  ck_assert_msg(ng_index_open(&w, index_path, &o) == NG_OK, "%s", ng_index_errmsg(w));
  ck_assert_int_eq(ng_index_optimize(w), NG_OK);
  ng_index_close(w);
}

static long long find(ng_index *idx, const char *where) {
  long long id = -1;
  int rc = ng_story_find(idx, where, &id);
  ck_assert_msg(rc == NG_OK, "%s: %d %s", where, rc, ng_index_errmsg(idx));
  ck_assert_int_gt(id, 0);
  return id;
}

START_TEST(test_find_by_every_name) {
  ng_index *idx = open_read();
  char *file = path_join(docs, "summit-geneva.txt");
  long long id = find(idx, file);
  /* relative to the working directory */
  char *cwd = getcwd(NULL, 0);
  ck_assert_int_eq(chdir(dir), 0);
  ck_assert_int_eq(find(idx, "articles/summit-geneva.txt"), id);
  ck_assert_int_eq(find(idx, "./articles/../articles/summit-geneva.txt"), id);
  /* a feed record: FEED:ID, FEED//#ID, relative or not */
  long long rec = find(idx, "articles/wire.jsonl:nw-2025-0412-001");
  char *stored = NULL;
  ck_assert_int_gt(asprintf(&stored, "%s/wire.jsonl//#nw-2025-0412-001", docs), 0);
  ck_assert_int_eq(find(idx, stored), rec);
  ck_assert_int_eq(find(idx, "articles/wire.jsonl//#nw-2025-0412-001"), rec);
  ck_assert_int_ne(rec, id);
  /* what is not there, and a feed file itself */
  long long none = 7;
  ck_assert_int_eq(ng_story_find(idx, "articles/nothing.txt", &none), NG_DONE);
  ck_assert_int_eq(none, 0);
  ck_assert(contains(ng_index_errmsg(idx), "no story is stored at 'articles/nothing.txt'"));
  ck_assert_int_eq(ng_story_find(idx, "articles/wire.jsonl:no-such-id", &none), NG_DONE);
  ck_assert_int_eq(ng_story_find(idx, "articles/wire.jsonl", &none), NG_EUSAGE);
  ck_assert(contains(ng_index_errmsg(idx), "is a feed"));
  ck_assert_int_eq(ng_story_find(idx, "", &none), NG_EUSAGE);
  ck_assert_int_eq(chdir(cwd), 0);
  free(cwd);
  free(stored);
  free(file);
  ng_index_close(idx);
}
END_TEST

/* The passages of a document as the --all listing gives them. */
static size_t all_passages(ng_index *idx, long long doc, int *ordinals, int *lines, size_t max) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.all = 1;
  o.limit = -1;
  ng_results *res;
  ck_assert_int_eq(ng_search(idx, NULL, &o, &res), NG_OK);
  const ng_hit *h;
  size_t n = 0;
  while (ng_results_next(res, &h) == NG_ROW)
    if (h->doc_id == doc && n < max) {
      ordinals[n] = h->ordinal;
      lines[n++] = h->first_line;
    }
  ng_results_free(res);
  return n;
}

START_TEST(test_get_whole_and_range) {
  ng_index *idx = open_read();
  char *file = path_join(docs, "summit-geneva.txt");
  long long id = find(idx, file);
  int ords[64], lines[64];
  size_t n = all_passages(idx, id, ords, lines, 64);
  ck_assert_int_eq(n, 16);
  ng_story *s = NULL;
  ck_assert_int_eq(ng_story_get(idx, id, 0, -1, &s), NG_OK);
  ck_assert_str_eq(s->path, file);
  ck_assert(contains(s->title, "Geneva talks close"));
  ck_assert_str_eq(s->dateline, "Geneva, Switzerland");
  ck_assert_ptr_null(s->date);
  ck_assert_int_eq(s->npassages, n);
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(s->passages[i].ordinal, ords[i]);
    ck_assert_int_eq(s->passages[i].first_line, lines[i]);
    ck_assert_int_le(s->passages[i].first_line, s->passages[i].last_line);
    ck_assert(s->passages[i].text[0]);
  }
  ck_assert_int_eq(s->passages[0].kind, NG_KIND_HEADLINE);
  ck_assert_int_eq(s->passages[1].kind, NG_KIND_PARAGRAPH);
  ck_assert_int_gt(s->first_indexed_ns, 0);
  ck_assert_int_eq(s->changed_ns, s->first_indexed_ns);
  ck_assert_int_gt(s->change, 0);
  ng_story_free(s);
  /* the context of paragraph 4: 3..5 */
  ck_assert_int_eq(ng_story_get(idx, id, 3, 5, &s), NG_OK);
  ck_assert_int_eq(s->npassages, 3);
  ck_assert_int_eq(s->passages[0].ordinal, 3);
  ck_assert_int_eq(s->passages[2].ordinal, 5);
  ng_story_free(s);
  /* past the ends: what there is */
  ck_assert_int_eq(ng_story_get(idx, id, 14, 20, &s), NG_OK);
  ck_assert_int_eq(s->npassages, 2);
  ng_story_free(s);
  ck_assert_int_eq(ng_story_get(idx, 99999, 0, -1, &s), NG_DONE);
  ck_assert_ptr_null(s);
  ng_story_free(NULL);
  free(file);
  ng_index_close(idx);
}
END_TEST

/* The change number of the hits of query (the first hit's). */
static long long change_of(ng_index *idx, const char *query) {
  ng_results *res;
  ck_assert_int_eq(ng_search(idx, query, NULL, &res), NG_OK);
  const ng_hit *h;
  ck_assert_int_eq(ng_results_next(res, &h), NG_ROW);
  long long c = h->change;
  ck_assert_int_gt(h->first_indexed_ns, 0);
  ng_results_free(res);
  return c;
}

/* The number of hits of query among changes after..upto. */
static long count_changed(ng_index *idx, const char *query, long long after, long long upto) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.limit = -1;
  o.per_story = 0;
  o.change_after = after;
  o.change_upto = upto;
  ng_results *res;
  ck_assert_int_eq(ng_search(idx, query, &o, &res), NG_OK);
  const ng_hit *h;
  long n = 0;
  while (ng_results_next(res, &h) == NG_ROW) {
    ck_assert_int_gt(h->change, after);
    if (upto) ck_assert_int_le(h->change, upto);
    n++;
  }
  ng_results_free(res);
  long long counted = 0;
  ck_assert_int_eq(ng_count(idx, query, &o, &counted), NG_OK);
  ck_assert_int_eq(counted, n);
  return n;
}

START_TEST(test_changes_survive_rebuild_and_optimize) {
  ng_index *idx = open_read();
  long long last = 0;
  char lineage[64], lineage2[64];
  ck_assert_int_eq(ng_index_changes(idx, &last, lineage, sizeof lineage), NG_OK);
  ck_assert_int_ge(last, 13); /* 13 documents written, the feed file too */
  ck_assert_int_eq(strlen(lineage), 16);
  long long geneva = change_of(idx, "Marchenko");
  ck_assert_int_gt(count_changed(idx, "ceasefire", 0, 0), 0);
  ck_assert_int_eq(count_changed(idx, "ceasefire", last, 0), 0);
  ng_index_close(idx);

  /* a new article: the next number */
  const char *zoo = "Zoo news\n\nThe quokka was weighed on Friday.\n";
  write_file(docs, "zoo.txt", zoo, strlen(zoo));
  reindex(0);
  idx = open_read();
  long long after_add = 0;
  ck_assert_int_eq(ng_index_changes(idx, &after_add, lineage2, sizeof lineage2), NG_OK);
  ck_assert_int_eq(after_add, last + 1);
  ck_assert_str_eq(lineage2, lineage);
  ck_assert_int_eq(change_of(idx, "quokka"), after_add);
  ck_assert_int_eq(count_changed(idx, "quokka", last, after_add), 1);
  ck_assert_int_eq(count_changed(idx, "quokka", after_add, 0), 0);
  ck_assert_int_eq(count_changed(idx, "ceasefire", last, 0), 0);
  ng_index_close(idx);

  /* a rebuild and an optimize: nothing changes */
  reindex(1);
  optimize();
  idx = open_read();
  long long after_full = 0;
  ck_assert_int_eq(ng_index_changes(idx, &after_full, lineage2, sizeof lineage2), NG_OK);
  ck_assert_int_eq(after_full, after_add);
  ck_assert_str_eq(lineage2, lineage);
  ck_assert_int_eq(change_of(idx, "quokka"), after_add);
  ck_assert_int_eq(change_of(idx, "Marchenko"), geneva);
  ck_assert_int_eq(count_changed(idx, "quokka OR ceasefire", after_add, 0), 0);
  ng_index_close(idx);

  /* an edit: a new number, the first-indexed time kept */
  zoo = "Zoo news\n\nThe quokka was weighed again on Monday.\n";
  write_file(docs, "zoo.txt", zoo, strlen(zoo));
  reindex(0);
  idx = open_read();
  ng_results *res;
  ck_assert_int_eq(ng_search(idx, "quokka", NULL, &res), NG_OK);
  const ng_hit *h;
  ck_assert_int_eq(ng_results_next(res, &h), NG_ROW);
  ck_assert_int_eq(h->change, after_add + 1);
  ck_assert_int_gt(h->changed_ns, h->first_indexed_ns);
  ng_results_free(res);
  ng_index_close(idx);
}
END_TEST

/* A feed of dated records for the timelines. */
static void write_dated_feed(void) {
  const char *feed =
      "{\"id\":\"1\",\"title\":\"One\",\"body\":\"marzipan strike\",\"date\":\"2024-12-30\",\"source\":\"A\"}\n"
      "{\"id\":\"2\",\"title\":\"Two\",\"body\":\"marzipan\\n\\nmarzipan again\",\"date\":\"2025-01-01\","
      "\"source\":\"B\"}\n"
      "{\"id\":\"3\",\"title\":\"Three\",\"body\":\"marzipan\",\"date\":\"2025-01-06T10:00:00Z\","
      "\"source\":\"A\"}\n"
      "{\"id\":\"4\",\"title\":\"Four\",\"body\":\"marzipan\",\"date\":\"2021-01-03\"}\n"
      "{\"id\":\"5\",\"title\":\"Five\",\"body\":\"marzipan\"}\n";
  write_file(docs, "dated.jsonl", feed, strlen(feed));
  reindex(0);
}

static void expect_bucket(const ng_bucket *b, const char *key, long long passages, long long stories) {
  if (key)
    ck_assert_str_eq(b->key, key);
  else
    ck_assert_ptr_null(b->key);
  ck_assert_int_eq(b->passages, passages);
  ck_assert_int_eq(b->stories, stories);
}

START_TEST(test_count_by) {
  write_dated_feed();
  ng_index *idx = open_read();
  ng_bucket *b;
  size_t n;
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  ck_assert_int_eq(ng_count_by(idx, "marzipan", &o, NG_BY_DAY, &b, &n), NG_OK);
  ck_assert_int_eq(n, 5);
  expect_bucket(&b[0], "2021-01-03", 1, 1);
  expect_bucket(&b[1], "2024-12-30", 1, 1);
  expect_bucket(&b[2], "2025-01-01", 2, 1);
  expect_bucket(&b[3], "2025-01-06", 1, 1);
  expect_bucket(&b[4], NULL, 1, 1);
  ng_buckets_free(b, n);
  /* ISO weeks: 2021-01-03 is in 2020's week 53, 2024-12-30 in 2025's first */
  ck_assert_int_eq(ng_count_by(idx, "marzipan", &o, NG_BY_WEEK, &b, &n), NG_OK);
  ck_assert_int_eq(n, 4);
  expect_bucket(&b[0], "2020-W53", 1, 1);
  expect_bucket(&b[1], "2025-W01", 3, 2);
  expect_bucket(&b[2], "2025-W02", 1, 1);
  expect_bucket(&b[3], NULL, 1, 1);
  ng_buckets_free(b, n);
  ck_assert_int_eq(ng_count_by(idx, "marzipan", &o, NG_BY_MONTH, &b, &n), NG_OK);
  ck_assert_int_eq(n, 4);
  expect_bucket(&b[1], "2024-12", 1, 1);
  expect_bucket(&b[2], "2025-01", 3, 2);
  ng_buckets_free(b, n);
  ck_assert_int_eq(ng_count_by(idx, "marzipan", &o, NG_BY_SOURCE, &b, &n), NG_OK);
  ck_assert_int_eq(n, 3);
  expect_bucket(&b[0], "A", 2, 2);
  expect_bucket(&b[1], "B", 2, 1);
  expect_bucket(&b[2], NULL, 2, 2);
  ng_buckets_free(b, n);
  /* dates and filters */
  o.since = "2025";
  ck_assert_int_eq(ng_count_by(idx, "marzipan source:a", &o, NG_BY_DAY, &b, &n), NG_OK);
  ck_assert_int_eq(n, 1);
  expect_bucket(&b[0], "2025-01-06", 1, 1);
  ng_buckets_free(b, n);
  ck_assert_int_eq(ng_count_by(idx, "zzyzxq", &o, NG_BY_DAY, &b, &n), NG_OK);
  ck_assert_int_eq(n, 0);
  ck_assert_ptr_null(b);
  ck_assert_int_eq(ng_count_by(idx, "marzipan", &o, 9, &b, &n), NG_EUSAGE);
  ng_index_close(idx);
}
END_TEST

int main(void) {
  Suite *s = suite_create("story");
  TCase *tc = tcase_create("story");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_find_by_every_name);
  tcase_add_test(tc, test_get_whole_and_range);
  tcase_add_test(tc, test_changes_survive_rebuild_and_optimize);
  tcase_add_test(tc, test_count_by);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
