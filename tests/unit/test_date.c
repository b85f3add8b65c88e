/*
 * test_date.c -- unit suite for lib/date.c: dates as header blocks and
 * feeds write them -> ISO 8601 (UTC when a zone is given).
 */
#define _GNU_SOURCE
#include "unit.h"

static void check_date(const char *in, const char *want) {
  char out[64] = "unset";
  int rc = ngi_date_normalize(in, out, sizeof out);
  ck_assert_msg(rc == 0, "ngi_date_normalize(\"%s\") failed", in);
  ck_assert_msg(strcmp(out, want) == 0, "ngi_date_normalize(\"%s\") = \"%s\", wanted \"%s\"", in, out, want);
}

START_TEST(normalize_date_forms) {
  check_date("2025-03-14", "2025-03-14");
  check_date("  2025-03-14", "2025-03-14");
  check_date("2025/03/14", "2025-03-14");
  check_date("14 March 2025", "2025-03-14");
  check_date("March 14, 2025", "2025-03-14");
  check_date("Mar 14, 2025", "2025-03-14");
  check_date("Fri, 14 Mar 2025", "2025-03-14");
  check_date("Friday, 14 March 2025", "2025-03-14");
  /* A time without a zone is kept as it is. */
  check_date("2025-03-14 10:20:30", "2025-03-14T10:20:30");
  check_date("2025-03-14T10:20", "2025-03-14T10:20:00");
}
END_TEST

START_TEST(normalize_date_zones) {
  /* A time with a zone becomes UTC, marked Z; fractions are dropped. */
  check_date("2025-03-14T10:20:30Z", "2025-03-14T10:20:30Z");
  check_date("2025-03-14T10:20:30.123Z", "2025-03-14T10:20:30Z");
  check_date("2025-03-14T10:20:30+02:00", "2025-03-14T08:20:30Z");
  check_date("2025-03-14T01:00:00+0200", "2025-03-13T23:00:00Z");
  check_date("2025-03-14T23:30:00-05", "2025-03-15T04:30:00Z");
  check_date("Fri, 14 Mar 2025 10:00:00 +0000", "2025-03-14T10:00:00Z");
  check_date("Fri, 14 Mar 2025 10:00:00 GMT", "2025-03-14T10:00:00Z");
  /* Dates sort as text: UTC times of one day sort after the day itself. */
  char a[32], b[32];
  ck_assert_int_eq(ngi_date_normalize("2025-04-12T11:05:00+02:00", a, sizeof a), 0);
  ck_assert_int_eq(ngi_date_normalize("2025-04-12T09:30:00Z", b, sizeof b), 0);
  ck_assert_int_lt(strcmp(a, b), 0);
  ck_assert_int_gt(strcmp(a, "2025-04-12"), 0);
}
END_TEST

START_TEST(normalize_date_rejects) {
  static const char *const bad[] = {"yesterday",
                                    "",
                                    "   ",
                                    "2025",
                                    "14/03",
                                    "March",
                                    "2025-03-14x",
                                    "next Friday",
                                    "2025-13-01",
                                    "2025-03-14T10:20:30 +2:00",
                                    "2025-03-14T10:20:30 EST",
                                    NULL};
  for (int i = 0; bad[i]; i++) {
    char out[64] = "";
    ck_assert_msg(ngi_date_normalize(bad[i], out, sizeof out) == -1, "accepted \"%s\" as %s", bad[i], out);
  }
}
END_TEST

static Suite *date_suite(void) {
  Suite *s = suite_create("date");
  TCase *tc = tcase_create("normalize");
  tcase_add_test(tc, normalize_date_forms);
  tcase_add_test(tc, normalize_date_zones);
  tcase_add_test(tc, normalize_date_rejects);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(date_suite()); }
