/*
 * test_suggest.c -- unit suite for lib/suggest.c: "did you mean" from the
 * index's words, on an index of copies of fixtures/articles and
 * fixtures/feeds/wire.jsonl.
 */
#define _GNU_SOURCE
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

static void open_index(void) { ck_assert_int_eq(ng_index_open(&idx, index_path, NULL), NG_OK); }
static void close_index(void) {
  ng_index_close(idx);
  idx = NULL;
}

START_TEST(suggest_close_words) {
  char *s = NULL;
  ck_assert_int_eq(ng_suggest(idx, "ceasfire", NULL, &s), NG_OK);
  ck_assert_pstr_eq(s, "ceasefire");
  free(s);
  ck_assert_int_eq(ng_suggest(idx, "geneva ceasfire", NULL, &s), NG_OK);
  ck_assert_pstr_eq(s, "geneva ceasefire");
  free(s);
  /* A query that has hits needs no suggestion. */
  ck_assert_int_eq(ng_suggest(idx, "ceasefire", NULL, &s), NG_OK);
  ck_assert_ptr_null(s);
}
END_TEST

/* Regression (fixed): suggest.c's distance() caps the edit distance at 3 and ng_suggest
 * then accepts any candidate at distance <= 3 (for words over 4 bytes), so
 * every indexed word with the same first letter and a length within 2 is
 * "close": ng_suggest("qqqqzzzzxx") suggests "quarterpoint" (edit distance
 * 10), ng_suggest("zzzzzzzz") suggests "zurich".  A word more than 3 edits away should never be suggested. */
START_TEST(suggest_nothing_for_nonsense) {
  char *s = NULL;
  ck_assert_int_eq(ng_suggest(idx, "qqqqzzzzxx", NULL, &s), NG_OK);
  char got[100];
  snprintf(got, sizeof got, "%s", s ? s : "(none)");
  free(s);
  ck_assert_int_eq(ng_suggest(idx, "zzzzzzzz", NULL, &s), NG_OK);
  char got2[100];
  snprintf(got2, sizeof got2, "%s", s ? s : "(none)");
  free(s);
  ck_assert_msg(strcmp(got, "(none)") == 0, "suggested \"%s\" for qqqqzzzzxx", got);
  ck_assert_msg(strcmp(got2, "(none)") == 0, "suggested \"%s\" for zzzzzzzz", got2);
}
END_TEST

START_TEST(suggest_keeps_the_rest_of_the_query) {
  char *s = NULL;
  ck_assert_int_eq(ng_suggest(idx, "  geneva   ceasfire ", NULL, &s), NG_OK);
  ck_assert_pstr_eq(s, "  geneva   ceasefire ");
  free(s);
  /* Raw FTS5 queries get no suggestion. */
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.raw_fts5 = 1;
  ck_assert_int_eq(ng_suggest(idx, "ceasfire", &o, &s), NG_OK);
  ck_assert_ptr_null(s);
}
END_TEST

static Suite *suggest_suite(void) {
  Suite *s = suite_create("suggest");
  TCase *tc = tcase_create("did-you-mean");
  tcase_add_unchecked_fixture(tc, build_index, remove_index);
  tcase_add_checked_fixture(tc, open_index, close_index);
  tcase_add_test(tc, suggest_close_words);
  tcase_add_test(tc, suggest_nothing_for_nonsense);
  tcase_add_test(tc, suggest_keeps_the_rest_of_the_query);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(suggest_suite()); }
