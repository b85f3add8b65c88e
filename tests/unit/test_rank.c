/*
 * test_rank.c -- unit suite for lib/rank.c: nutgraf_rank() against FTS5's
 * own bm25(), and the document context it adds.
 */
#define _GNU_SOURCE
#include <math.h>

#include "unit.h"

static sqlite3 *db;
static ngi_lexicon *lx;

static void setup(void) {
  char err[512];
  ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
  ck_assert_int_eq(ngi_lexicon_new(&lx, ngi_fts5_api(db), "english", 0, err, sizeof err), NG_OK);
  ck_assert_int_eq(ngi_rank_register(ngi_fts5_api(db)), SQLITE_OK);
  ck_assert_int_eq(
      sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(body, head, tokenize = 'nutgraf english')", NULL, NULL, NULL),
      SQLITE_OK);
}

static void teardown(void) {
  sqlite3_close(db);
  ngi_lexicon_free(lx);
  lx = NULL;
}

static void add(long long doc, int ord, const char *body, const char *head) {
  sqlite3_stmt *st;
  ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO t(rowid, body, head) VALUES(?1, ?2, ?3)", -1, &st, NULL),
                   SQLITE_OK);
  sqlite3_bind_int64(st, 1, (doc << 20) | ord);
  if (body) sqlite3_bind_text(st, 2, body, -1, SQLITE_STATIC);
  if (head) sqlite3_bind_text(st, 3, head, -1, SQLITE_STATIC);
  ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
}

/* The value of expr (a rank expression) for row rowid of query q. */
static double value(const char *select, const char *q, long long rowid) {
  sqlite3_stmt *st;
  char sql[300];
  snprintf(sql, sizeof sql, "SELECT %s FROM t WHERE t MATCH ?1 AND rowid = ?2", select);
  ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, rowid);
  ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
  double v = sqlite3_column_double(st, 0);
  sqlite3_finalize(st);
  return v;
}

static void corpus(void) {
  add(1, 0, NULL, "Alpha leaders meet");
  add(1, 1, "alpha beta gamma delta", NULL);
  add(1, 2, "alpha epsilon zeta eta", NULL);
  add(2, 1, "alpha beta gamma delta", NULL);
  for (int i = 0; i < 6; i++) add(3 + i, 1, "unrelated words about other things", NULL);
}

START_TEST(equals_bm25_without_context) {
  corpus();
  const char *queries[] = {"alpha", "alpha OR beta", "alpha AND gamma", "\"beta gamma\"", "leader*", NULL};
  long long rows[] = {(1LL << 20) | 0, (1LL << 20) | 1, (1LL << 20) | 2, (2LL << 20) | 1};
  for (int q = 0; queries[q]; q++) {
    for (int r = 0; r < 4; r++) {
      sqlite3_stmt *st;
      ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1 AND rowid = ?2", -1, &st, NULL),
                       SQLITE_OK);
      sqlite3_bind_text(st, 1, queries[q], -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 2, rows[r]);
      sqlite3_step(st);
      int hit = sqlite3_column_int(st, 0);
      sqlite3_finalize(st);
      if (!hit) continue;
      double ours = value("nutgraf_rank(t, 1.0, 0)", queries[q], rows[r]);
      double theirs = value("bm25(t, 1.0, 1.0)", queries[q], rows[r]);
      ck_assert_msg(fabs(ours - theirs) < 1e-9, "%s row %lld: %g vs bm25 %g", queries[q], rows[r], ours, theirs);
      ours = value("nutgraf_rank(t, 2.5, 0)", queries[q], rows[r]);
      theirs = value("bm25(t, 1.0, 2.5)", queries[q], rows[r]);
      ck_assert_msg(fabs(ours - theirs) < 1e-9, "%s row %lld weighted: %g vs bm25 %g", queries[q], rows[r], ours,
                    theirs);
    }
  }
}
END_TEST

START_TEST(context_adds_the_documents_other_passages) {
  corpus();
  /* Rows 1/1 and 2/1 have the same text: only document 1 has other
   * passages with "alpha" (its headline and 1/2), each adding 0.25 idf. */
  long long a = (1LL << 20) | 1, b = (2LL << 20) | 1;
  double ra = value("nutgraf_rank(t, 1.0, 0.25)", "alpha", a);
  double rb = value("nutgraf_rank(t, 1.0, 0.25)", "alpha", b);
  double idf = log((10 - 4 + 0.5) / (4 + 0.5));
  ck_assert_msg(fabs((rb - ra) - 0.25 * 2 * idf) < 1e-9, "difference %g, wanted %g", rb - ra, 0.5 * idf);
  /* Without other passages, context adds nothing. */
  ck_assert(fabs(rb - value("nutgraf_rank(t, 1.0, 0)", "alpha", b)) < 1e-12);
}
END_TEST

START_TEST(orders_by_rank_best_first) {
  corpus();
  sqlite3_stmt *st;
  ck_assert_int_eq(sqlite3_prepare_v2(db,
                                      "SELECT rowid, rank FROM t WHERE t MATCH 'alpha' AND rank MATCH "
                                      "'nutgraf_rank(1.25, 0.25)' ORDER BY rank",
                                      -1, &st, NULL),
                   SQLITE_OK);
  double last = -1e300;
  int n = 0;
  long long first = -1;
  while (sqlite3_step(st) == SQLITE_ROW) {
    double r = sqlite3_column_double(st, 1);
    ck_assert(r >= last);
    last = r;
    if (n++ == 0) first = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  ck_assert_int_eq(n, 4);
  ck_assert_msg(first >> 20 == 1, "the best passage is in document 1 (the one about alpha), got %lld", first >> 20);
}
END_TEST

START_TEST(many_phrases) {
  corpus();
  /* More phrases than the function's stack array holds. */
  char q[2000] = "alpha";
  for (int i = 0; i < 40; i++) {
    char w[40];
    snprintf(w, sizeof w, " OR word%d", i);
    strcat(q, w);
  }
  double ours = value("nutgraf_rank(t, 1.0, 0)", q, (2LL << 20) | 1);
  double theirs = value("bm25(t, 1.0, 1.0)", q, (2LL << 20) | 1);
  ck_assert(fabs(ours - theirs) < 1e-9);
}
END_TEST

static Suite *rank_suite(void) {
  Suite *s = suite_create("rank");
  TCase *tc = tcase_create("nutgraf_rank");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, equals_bm25_without_context);
  tcase_add_test(tc, context_adds_the_documents_other_passages);
  tcase_add_test(tc, orders_by_rank_best_first);
  tcase_add_test(tc, many_phrases);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(rank_suite()); }
