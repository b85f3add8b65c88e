/*
 * test_dedup.c -- unit suite for lib/dedup.c: signatures of edited copies
 * of a story, and duplicate groups kept as an index is built, changed and
 * pruned.
 *
 * Stories are made here from a word list by a small generator, so each
 * test can say exactly what an edit changed.
 */
#define _GNU_SOURCE
#include "unit.h"

static const char *const vocabulary[] = {
    "harbour",  "board",    "grain",   "barges",  "river",    "authority", "tonnes", "shipped",  "week",    "traders",
    "said",     "prices",   "rose",    "fell",    "corn",     "soybeans",  "wheat",  "export",   "import",  "market",
    "season",   "farmers",  "weather", "storage", "terminal", "freight",   "rates",  "contract", "buyers",  "sellers",
    "pipeline", "refinery", "output",  "crude",   "gasoline", "demand",    "supply", "analysts", "quarter", "profit",
    "shares",   "company",  "bank",    "loans",   "interest", "deposit",   "credit", "minister", "council", "budget",
    "tax",      "workers",  "union",   "strike",  "factory",  "orders",    "steel",  "copper",   "mine",    "coal"};
#define NVOCAB (sizeof vocabulary / sizeof vocabulary[0])

/* A paragraph of n words from seed (a linear congruential generator). */
static void paragraph(buf *b, unsigned seed, int n) {
  unsigned x = seed * 2654435761u + 12345u;
  for (int i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    const char *w = vocabulary[(x >> 16) % NVOCAB];
    if (i == 0)
      ngi_buf_printf(b, "%c%s", (char)(w[0] - 32), w + 1);
    else
      ngi_buf_printf(b, " %s", w);
  }
  ngi_buf_adds(b, ".");
}

/* A story: headline, a lede opening with dateline, then paragraphs of
 * seeds[1..n-1]; seeds[0] is the lede's. */
static char *story(const char *headline, const char *dateline, const unsigned *seeds, int n) {
  buf b = {0};
  ngi_buf_printf(&b, "%s\n\n%s", headline, dateline ? dateline : "");
  for (int i = 0; i < n; i++) {
    if (i) ngi_buf_adds(&b, "\n\n");
    paragraph(&b, seeds[i], 45);
  }
  ngi_buf_adds(&b, "\n");
  ck_assert(!b.oom);
  return ngi_buf_detach(&b);
}

static ngi_dup_sig signature_of(const char *text) {
  article a;
  ck_assert_int_eq(ngi_segment(text, strlen(text), NULL, &a), NG_OK);
  ngi_dup_sig s;
  ck_assert_int_eq(ngi_dup_signature(&a, &s), 1);
  ngi_article_free(&a);
  return s;
}

static const unsigned base[] = {1, 2, 3, 4, 5, 6, 7, 8};

START_TEST(copies_are_copies) {
  char *orig = story("Grain barges move again", "CHICAGO, March 3 - ", base, 8);
  ngi_dup_sig o = signature_of(orig);
  long long ko[NGI_DUP_BANDS], kc[NGI_DUP_BANDS];

  /* The same story from another feed: another headline and dateline. */
  char *other = story("River traffic resumes", "Chicago (AP) \xE2\x80\x94 ", base, 8);
  ngi_dup_sig c = signature_of(other);
  ck_assert(ngi_dup_similarity(&o, &c, NULL) == 1.0);
  ngi_dup_bands(&o, ko);
  ngi_dup_bands(&c, kc);
  ck_assert_mem_eq(ko, kc, sizeof ko);

  static const unsigned new_lede[] = {99, 2, 3, 4, 5, 6, 7, 8};
  static const unsigned added[] = {1, 77, 2, 3, 4, 5, 6, 7, 8};
  static const unsigned dropped[] = {1, 2, 3, 5, 6, 7, 8};
  const unsigned *edits[] = {new_lede, added, dropped};
  int lengths[] = {8, 9, 7};
  for (int i = 0; i < 3; i++) {
    char *t = story("Grain barges move again", "CHICAGO, March 3 - ", edits[i], lengths[i]);
    ngi_dup_sig e = signature_of(t);
    double cont;
    double j = ngi_dup_similarity(&o, &e, &cont);
    ck_assert_msg(ngi_dup_is_copy(&o, &e), "edit %d: similarity %.2f, containment %.2f", i, j, cont);
    free(t);
  }
  free(orig);
  free(other);
}
END_TEST

START_TEST(other_stories_are_not) {
  char *a = story("Grain barges move again", "CHICAGO, March 3 - ", base, 8);
  static const unsigned different[] = {11, 12, 13, 14, 15, 16, 17, 18};
  char *b = story("Grain barges move again", "CHICAGO, March 3 - ", different, 8);
  ngi_dup_sig x = signature_of(a), y = signature_of(b);
  double cont;
  double j = ngi_dup_similarity(&x, &y, &cont);
  ck_assert_msg(!ngi_dup_is_copy(&x, &y), "similarity %.2f, containment %.2f", j, cont);
  /* A story with half its paragraphs another story's is not a copy either. */
  static const unsigned half[] = {1, 2, 3, 4, 15, 16, 17, 18};
  char *c = story("Grain barges move again", "CHICAGO, March 3 - ", half, 8);
  ngi_dup_sig z = signature_of(c);
  ck_assert(!ngi_dup_is_copy(&x, &z));
  free(a);
  free(b);
  free(c);
}
END_TEST

START_TEST(short_and_empty) {
  article a;
  const char *empty = "Only a headline\n";
  ck_assert_int_eq(ngi_segment(empty, strlen(empty), NULL, &a), NG_OK);
  ngi_dup_sig s;
  ck_assert_int_eq(ngi_dup_signature(&a, &s), 0);
  ngi_article_free(&a);
  /* Fewer words than a shingle: one shingle of them all. */
  ngi_dup_sig x = signature_of("Headline\n\nShares rose.\n"), y = signature_of("Other\n\nSHARES ROSE!\n"),
              z = signature_of("Headline\n\nShares fell.\n");
  ck_assert_uint_eq(x.shingles, 1);
  ck_assert(ngi_dup_is_copy(&x, &y));
  ck_assert(!ngi_dup_is_copy(&x, &z));
}
END_TEST

START_TEST(encode_round_trip) {
  char *t = story("Grain barges move again", NULL, base, 3);
  ngi_dup_sig s = signature_of(t), back;
  unsigned char bytes[NGI_DUP_BYTES];
  ngi_dup_encode(&s, bytes);
  ck_assert_int_eq(ngi_dup_decode(bytes, sizeof bytes, &back), 0);
  /* the size and the band rows come back whole, the other values' low
   * 8 bits, and the similarity of the two is 1 */
  ck_assert_uint_eq(back.shingles, s.shingles);
  for (int k = 0; k < NGI_DUP_HASHES; k++)
    ck_assert_uint_eq(back.min[k], k < NGI_DUP_FULL ? s.min[k] : (s.min[k] & 0xFF));
  ck_assert(ngi_dup_similarity(&s, &back, NULL) == 1.0);
  long long keys[NGI_DUP_BANDS], keys_back[NGI_DUP_BANDS];
  ngi_dup_bands(&s, keys);
  ngi_dup_bands(&back, keys_back);
  ck_assert_mem_eq(keys, keys_back, sizeof keys);
  ck_assert_int_eq(ngi_dup_decode(bytes, sizeof bytes - 1, &back), -1);
  free(t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Groups in an index */

static char *docs, *home, *index_path;

static void setup(void) {
  docs = tmpdir_make();
  home = tmpdir_make();
  index_path = path_join(home, "index.db");
}

static void teardown(void) {
  free(index_path);
  tmpdir_remove(docs);
  tmpdir_remove(home);
  docs = home = index_path = NULL;
}

static void put_story(const char *name, const char *headline, const unsigned *seeds, int n) {
  char *t = story(headline, "CHICAGO, March 3 - ", seeds, n);
  write_file(docs, name, t, (size_t)-1);
  free(t);
}

/* One run over docs through writer handle w, then --check's.  (A handle
 * kept for every run, groups_one_handle, must follow each change with
 * what it remembers of the signatures it stored.) */
static void run_with(ng_index *w) {
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, w, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs), NG_OK);
  ck_assert_int_eq(ng_run_finish(run, NULL), NG_OK);
  ng_run_free(run);
  ck_assert_int_eq(ng_index_check(w, NULL), NG_OK);
}

static void run_once(void) {
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE;
  ng_index *w;
  ck_assert_msg(ng_index_open(&w, index_path, &o) == NG_OK, "%s", ng_index_errmsg(w));
  run_with(w);
  ng_index_close(w);
}

/* "name:first" for each document: first is the base name of the group's
 * first member, or "-" for a first member; sorted by name, one string. */
static char *groups(void) {
  ng_index *r;
  ck_assert_int_eq(ng_index_open(&r, index_path, NULL), NG_OK);
  ng_search_options so = NG_SEARCH_OPTIONS_INIT;
  so.all = 1;
  so.limit = -1;
  ng_results *res;
  ck_assert_int_eq(ng_search(r, NULL, &so, &res), NG_OK);
  char names[16][32];
  long long ids[16], dup[16], copies[16];
  int n = 0;
  const ng_hit *h;
  while (ng_results_next(res, &h) == NG_ROW) {
    if (n && ids[n - 1] == h->doc_id) continue;
    ck_assert_int_lt(n, 16);
    snprintf(names[n], sizeof names[n], "%s", strrchr(h->path, '/') + 1);
    ids[n] = h->doc_id, dup[n] = h->dup_of, copies[n] = h->copies;
    n++;
  }
  ng_results_free(res);
  ng_index_close(r);
  buf b = {0};
  for (char c = 'a'; c <= 'z'; c++) {
    for (int i = 0; i < n; i++) {
      if (names[i][0] != c) continue;
      const char *first = "-";
      for (int k = 0; k < n; k++)
        if (dup[i] && ids[k] == dup[i]) first = names[k];
      ngi_buf_printf(&b, "%s%s:%s/%lld", b.len ? " " : "", names[i], first, copies[i]);
    }
  }
  return ngi_buf_detach(&b);
}

#define EXPECT_GROUPS(want)                                   \
  do {                                                        \
    char *got = groups();                                     \
    ck_assert_msg(strcmp(got, want) == 0, "groups: %s", got); \
    free(got);                                                \
  } while (0)

static const unsigned other[] = {21, 22, 23, 24, 25, 26};
static const unsigned resent[] = {31, 2, 3, 4, 5, 6, 7, 8};

START_TEST(groups_first_seen) {
  put_story("a.txt", "Grain barges move again", base, 8);
  put_story("b.txt", "Copper mine reopens", other, 6);
  run_once();
  EXPECT_GROUPS("a.txt:-/1 b.txt:-/1");
  /* A cron run later: a re-send with a new lede and a copy from another
   * desk join the first story's group, without a pass over the others. */
  put_story("c.txt", "UPDATE 1-Grain barges move again", resent, 8);
  put_story("d.txt", "River traffic resumes", base, 8);
  run_once();
  EXPECT_GROUPS("a.txt:-/3 b.txt:-/1 c.txt:a.txt/3 d.txt:a.txt/3");
  /* The first member removed: the oldest remaining one takes its place. */
  char *a = path_join(docs, "a.txt");
  ck_assert_int_eq(unlink(a), 0);
  free(a);
  run_once();
  EXPECT_GROUPS("b.txt:-/1 c.txt:-/2 d.txt:c.txt/2");
  /* A member changed into another story leaves the group. */
  static const unsigned changed[] = {41, 42, 43, 44, 45};
  put_story("d.txt", "Steel orders climb", changed, 5);
  run_once();
  EXPECT_GROUPS("b.txt:-/1 c.txt:-/1 d.txt:-/1");
}
END_TEST

START_TEST(groups_one_handle) {
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE;
  ng_index *w;
  ck_assert_msg(ng_index_open(&w, index_path, &o) == NG_OK, "%s", ng_index_errmsg(w));
  put_story("a.txt", "Grain barges move again", base, 8);
  put_story("b.txt", "Copper mine reopens", other, 6);
  run_with(w);
  put_story("c.txt", "UPDATE 1-Grain barges move again", resent, 8);
  run_with(w);
  EXPECT_GROUPS("a.txt:-/2 b.txt:-/1 c.txt:a.txt/2");
  /* The first member leaves: c.txt heads the group, and a copy stored
   * afterwards by the same handle joins c.txt, not a.txt. */
  char *a = path_join(docs, "a.txt");
  ck_assert_int_eq(unlink(a), 0);
  free(a);
  run_with(w);
  put_story("d.txt", "River traffic resumes", base, 8);
  run_with(w);
  EXPECT_GROUPS("b.txt:-/1 c.txt:-/2 d.txt:c.txt/2");
  /* c.txt changed into another story leaves; a copy of it finds d.txt. */
  static const unsigned changed[] = {41, 42, 43, 44, 45};
  put_story("c.txt", "Steel orders climb", changed, 5);
  put_story("e.txt", "Barges on the river again", base, 8);
  run_with(w);
  EXPECT_GROUPS("b.txt:-/1 c.txt:-/1 d.txt:-/2 e.txt:d.txt/2");
  ng_index_close(w);
}
END_TEST

static Suite *dedup_suite(void) {
  Suite *s = suite_create("dedup");
  TCase *tc = tcase_create("signatures");
  tcase_add_test(tc, copies_are_copies);
  tcase_add_test(tc, other_stories_are_not);
  tcase_add_test(tc, short_and_empty);
  tcase_add_test(tc, encode_round_trip);
  suite_add_tcase(s, tc);
  TCase *tg = tcase_create("groups");
  tcase_add_unchecked_fixture(tg, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tg, setup, teardown);
  tcase_set_timeout(tg, 60);
  tcase_add_test(tg, groups_first_seen);
  tcase_add_test(tg, groups_one_handle);
  suite_add_tcase(s, tg);
  return s;
}

int main(void) { return run_suite(dedup_suite()); }
