/*
 * test_variants.c -- unit suite for lib/variants.c: groups of equivalent
 * forms, looked up by their stems.
 */
#define _GNU_SOURCE
#include "unit.h"

static sqlite3 *db;
static ngi_lexicon *lx;
static ngi_variants *v;

static void setup(void) {
  ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
  char err[1200] = "";
  ck_assert_msg(ngi_lexicon_new(&lx, ngi_fts5_api(db), "english", 0, err, sizeof err) == NG_OK, "%s", err);
  v = ngi_variants_new();
  ck_assert_ptr_nonnull(v);
}

static void teardown(void) {
  ngi_variants_free(v);
  v = NULL;
  sqlite3_close(db);
  db = NULL;
  ngi_lexicon_free(lx);
  lx = NULL;
}

static int add(const char *text, char *err, size_t errlen) {
  err[0] = '\0';
  return ngi_variants_add_text(v, lx, text, strlen(text), "test.txt", err, errlen);
}

static void add_ok(const char *text) {
  char err[300];
  int rc = add(text, err, sizeof err);
  ck_assert_msg(rc == NG_OK, "ngi_variants_add_text: %s", err);
}

static int keyfn(void *ctx, const lex_token *t) {
  buf *b = ctx;
  if (b->len) ngi_buf_addc(b, ' ');
  ngi_buf_add(b, t->stem, t->stemlen);
  return 0;
}

/* The lookup key of a form as a query term would make it. */
static int group_of(const char *form) {
  buf key = {0};
  ngi_tokenize(lx, form, (int)strlen(form), &key, keyfn);
  int g = ngi_variants_lookup(v, key.data ? key.data : "");
  ngi_buf_free(&key);
  return g;
}

START_TEST(lookup_by_stem) {
  add_ok("Zelenskyy, Zelensky, Zelenskiy\n");
  int g = group_of("Zelenskyy");
  ck_assert_int_ge(g, 0);
  ck_assert_int_eq(group_of("zelensky"), g);
  ck_assert_int_eq(group_of("ZELENSKIY"), g);
  ck_assert_int_eq(group_of("Zelenskiy\xE2\x80\x99s"), g); /* possessive */
  ck_assert_int_eq(group_of("Zelenskyi"), -1);
  ck_assert_int_eq(group_of("Putin"), -1);
  ck_assert_uint_eq(ngi_variants_group_size(v, g), 3);
  /* Members keep their forms as written, and their keys. */
  int found = 0;
  for (size_t i = 0; i < ngi_variants_group_size(v, g); i++) {
    if (strcmp(ngi_variants_member_form(v, g, i), "Zelensky") == 0) found = 1;
    ck_assert_ptr_nonnull(ngi_variants_member_key(v, g, i));
  }
  ck_assert(found);
  ck_assert_uint_eq(ngi_variants_max_len(v), 1);
}
END_TEST

START_TEST(inflection_and_accents) {
  add_ok("sanction, embargo\nT\xC3\xBCrkiye, Turkey\n");
  ck_assert_int_ge(group_of("sanctions"), 0);
  ck_assert_int_eq(group_of("Sanctioning"), group_of("embargoes"));
  ck_assert_int_ge(group_of("Turkiye"), 0);
  ck_assert_int_eq(group_of("TURKIYE"), group_of("turkey"));
  ck_assert_int_ne(group_of("turkey"), group_of("embargo"));
}
END_TEST

START_TEST(multi_word_forms) {
  add_ok("NATO, North Atlantic Treaty Organization, North Atlantic Alliance\n");
  int g = group_of("nato");
  ck_assert_int_ge(g, 0);
  ck_assert_int_eq(group_of("North Atlantic Treaty Organization"), g);
  ck_assert_int_eq(group_of("North  Atlantic\tTreaty Organizations"), g);
  ck_assert_int_eq(group_of("north atlantic alliance"), g);
  ck_assert_int_eq(group_of("north atlantic"), -1);
  ck_assert_uint_eq(ngi_variants_max_len(v), 4);
  ck_assert_uint_eq(ngi_variants_group_size(v, g), 3);
}
END_TEST

START_TEST(shared_form_merges_groups) {
  add_ok("Kyiv, Kiev\n");
  add_ok("Kiev, Kyjiw\nOdesa, Odessa\n");
  int g = group_of("kyiv");
  ck_assert_int_ge(g, 0);
  ck_assert_int_eq(group_of("Kyjiw"), g);
  ck_assert_int_eq(group_of("Kiev"), g);
  ck_assert_uint_eq(ngi_variants_group_size(v, g), 3); /* Kiev once */
  ck_assert_int_ne(group_of("odessa"), g);
  /* A repeated line adds nothing. */
  add_ok("Kyiv, Kiev\n");
  ck_assert_uint_eq(ngi_variants_group_size(v, g), 3);
}
END_TEST

/* Regression (fixed): a line whose forms belong to two existing groups joins only the
 * first: its other forms are re-keyed to that group while their old group
 * keeps them, so lookups stop being symmetric ("Odessa" finds Kyiv's group,
 * "Odesa" still finds {Odesa, Odessa}).  Lines that share a form should
 * end up in one group whatever the order. */
START_TEST(line_bridging_two_groups) {
  add_ok("Kyiv, Kiev\nOdesa, Odessa\nKiev, Odessa\n");
  int kyiv = group_of("kyiv"), kiev = group_of("kiev"), odesa = group_of("odesa"), odessa = group_of("odessa");
  ck_assert_int_ge(kyiv, 0);
  ck_assert_int_eq(kiev, kyiv);
  ck_assert_msg(odesa == odessa, "Odesa is in group %d, Odessa in %d", odesa, odessa);
  ck_assert_int_eq(odessa, kyiv);
}
END_TEST

START_TEST(comments_and_blank_lines) {
  add_ok(
      "# a comment line, with commas, in it\n"
      "\n"
      "   \t  \n"
      "Myanmar, Burma   # the old name\n"
      "Mumbai,Bombay\r\n"
      "  , ,  \n"
      "lonely\n"
      "Beijing, , Peking,\n");
  ck_assert_int_ge(group_of("burma"), 0);
  ck_assert_int_eq(group_of("myanmar"), group_of("burma"));
  ck_assert_int_eq(group_of("old"), -1);
  ck_assert_int_eq(group_of("name"), -1);
  ck_assert_int_eq(group_of("comment"), -1);
  ck_assert_int_eq(group_of("commas"), -1);
  ck_assert_int_ge(group_of("bombay"), 0);
  ck_assert_int_eq(group_of("mumbai"), group_of("bombay"));
  ck_assert_int_eq(group_of("lonely"), -1); /* one form is no group */
  ck_assert_int_ge(group_of("peking"), 0);
  ck_assert_uint_eq(ngi_variants_group_size(v, group_of("peking")), 2);
  /* Text without a final newline, and empty text. */
  add_ok("Chennai, Madras");
  ck_assert_int_ge(group_of("madras"), 0);
  add_ok("");
}
END_TEST

START_TEST(invalid_utf8_line) {
  char err[300];
  int rc = add("Kyiv, Kiev\nbad \xFF, form\nOdesa, Odessa\n", err, sizeof err);
  ck_assert_int_eq(rc, NG_EDATA);
  ck_assert_msg(contains(err, "test.txt:2"), "message: %s", err);
}
END_TEST

START_TEST(too_many_forms) {
  buf line = {0};
  for (int i = 0; i < 100; i++) ngi_buf_printf(&line, "%sform%c%c", i ? ", " : "", 'a' + i % 26, 'a' + i / 26);
  ngi_buf_addc(&line, '\n');
  char err[300];
  int rc = add(line.data, err, sizeof err);
  ngi_buf_free(&line);
  ck_assert_int_eq(rc, NG_EDATA);
  ck_assert_msg(contains(err, "test.txt:1"), "message: %s", err);
}
END_TEST

START_TEST(empty_lookups) {
  ck_assert_int_eq(ngi_variants_lookup(v, "anything"), -1);
  ck_assert_int_eq(ngi_variants_lookup(NULL, "anything"), -1);
  ck_assert_uint_eq(ngi_variants_max_len(NULL), 0);
  ck_assert_uint_eq(ngi_variants_max_len(v), 0);
  ngi_variants_free(NULL);
}
END_TEST

START_TEST(builtin_list_loads) {
  char err[300] = "";
  int rc =
      ngi_variants_add_text(v, lx, ngi_builtin_variants, strlen(ngi_builtin_variants), "built-in", err, sizeof err);
  ck_assert_msg(rc == NG_OK, "%s", err);
  ck_assert_int_ge(group_of("Zelensky"), 0);
  ck_assert_int_eq(group_of("Zelenskyy"), group_of("zelensky"));
  ck_assert_int_ge(group_of("Kiev"), 0);
  ck_assert_int_eq(group_of("Kyiv"), group_of("kiev"));
  ck_assert_int_ge(group_of("cease-fire"), 0);
  ck_assert_int_eq(group_of("ceasefire"), group_of("truce"));
  ck_assert_int_ge(group_of("North Atlantic Treaty Organization"), 0);
  ck_assert_int_eq(group_of("NATO"), group_of("North Atlantic Treaty Organization"));
  ck_assert_uint_ge(ngi_variants_max_len(v), 4);
  /* Forms that are common words stay out (see data/variants.txt). */
  ck_assert_int_eq(group_of("us"), -1);
  ck_assert_int_eq(group_of("who"), -1);
}
END_TEST

/* Through a real index and a user file (ng_index_add_variants). */
START_TEST(index_add_variants_file) {
  char *dir = tmpdir_make();
  char *path = path_join(dir, "index.db");
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE;
  ng_index *idx;
  ck_assert_int_eq(ng_index_open(&idx, path, &o), NG_OK);

  write_file(dir, "mine.txt", "# mine\nKiev, Kyjiw\nGotham, Metropolis\n", (size_t)-1);
  char *mine = path_join(dir, "mine.txt");
  ck_assert_msg(ng_index_add_variants(idx, mine) == NG_OK, "%s", ng_index_errmsg(idx));
  /* Built-in groups are there, and the user's line joined one of them. */
  ck_assert_ptr_nonnull(idx->vars);
  size_t sl;
  char kyjiw[64], kyiv[64], gotham[64];
  snprintf(kyjiw, sizeof kyjiw, "%s", ngi_lexicon_stem(idx->lx, "kyjiw", 5, &sl));
  snprintf(kyiv, sizeof kyiv, "%s", ngi_lexicon_stem(idx->lx, "kyiv", 4, &sl));
  snprintf(gotham, sizeof gotham, "%s", ngi_lexicon_stem(idx->lx, "gotham", 6, &sl));
  int g = ngi_variants_lookup(idx->vars, kyjiw);
  ck_assert_int_ge(g, 0);
  ck_assert_int_eq(ngi_variants_lookup(idx->vars, kyiv), g);
  ck_assert_int_ge(ngi_variants_lookup(idx->vars, gotham), 0);

  /* A bad file is refused with its name and line. */
  write_file(dir, "bad.txt", "Fine, Good\n\nBad\xC3, Worse\n", (size_t)-1);
  char *bad = path_join(dir, "bad.txt");
  ck_assert_int_eq(ng_index_add_variants(idx, bad), NG_EDATA);
  ck_assert_msg(contains(ng_index_errmsg(idx), "bad.txt:3"), "message: %s", ng_index_errmsg(idx));
  /* A missing file too. */
  char *missing = path_join(dir, "missing.txt");
  ck_assert_int_eq(ng_index_add_variants(idx, missing), NG_EDATA);
  ck_assert(contains(ng_index_errmsg(idx), "missing.txt"));

  ng_index_close(idx);
  free(mine);
  free(bad);
  free(missing);
  free(path);
  tmpdir_remove(dir);
}
END_TEST

static Suite *variants_suite(void) {
  Suite *s = suite_create("variants");
  TCase *tc = tcase_create("groups");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, lookup_by_stem);
  tcase_add_test(tc, inflection_and_accents);
  tcase_add_test(tc, multi_word_forms);
  tcase_add_test(tc, shared_form_merges_groups);
  tcase_add_test(tc, line_bridging_two_groups);
  tcase_add_test(tc, comments_and_blank_lines);
  tcase_add_test(tc, invalid_utf8_line);
  tcase_add_test(tc, too_many_forms);
  tcase_add_test(tc, empty_lookups);
  tcase_add_test(tc, builtin_list_loads);
  suite_add_tcase(s, tc);

  tc = tcase_create("index");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, index_add_variants_file);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(variants_suite()); }
