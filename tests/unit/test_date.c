/*
 * test_date.c -- unit suite for lib/date.c: dates as header blocks and
 * feeds write them -> ISO 8601 (UTC when a zone is given).
 */
#define _GNU_SOURCE
#include <time.h>

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

/* The forms desks write (issue 10), each once. */
START_TEST(normalize_desk_forms) {
  check_date("Dec. 1, 2025", "2025-12-01");
  check_date("Dec 1, 2025", "2025-12-01");
  check_date("December 1, 2025", "2025-12-01");
  check_date("Sept. 30, 2025", "2025-09-30");
  check_date("1 December 2025", "2025-12-01");
  check_date("1-Dec-2025", "2025-12-01");
  check_date("Monday, December 1st, 2025", "2025-12-01");
  check_date("December 1, 2025 2:05 PM", "2025-12-01T14:05:00");
  check_date("December 1, 2025 12:30 a.m.", "2025-12-01T00:30:00");
  check_date("Dec. 1, 2025, 2:05 p.m. EST", "2025-12-01T19:05:00Z");
  check_date("26 Feb 1987 15:01", "1987-02-26T15:01:00");
  /* Numbers: year first with '/', else day first (outside the US desks
   * write the day first); month first only where the first number cannot
   * be a month. */
  check_date("01/12/2025", "2025-12-01");
  check_date("1/12/2025", "2025-12-01");
  check_date("01.12.2025", "2025-12-01");
  check_date("12/25/2025", "2025-12-25");
  check_date("2025/12/01", "2025-12-01");
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
  /* RFC 2822 with a negative offset, without seconds, without a weekday. */
  check_date("Mon, 01 Dec 2025 14:05:00 -0500", "2025-12-01T19:05:00Z");
  check_date("Mon, 1 Dec 2025 14:05 +0100", "2025-12-01T13:05:00Z");
  check_date("01 Dec 2025 14:05:00 UT", "2025-12-01T14:05:00Z");
  /* ISO 8601 with a space and a named zone, each zone nutgraf knows. */
  check_date("2025-12-01 14:05 EST", "2025-12-01T19:05:00Z");
  check_date("2025-12-01 14:05 EDT", "2025-12-01T18:05:00Z");
  check_date("2025-12-01 14:05 CST", "2025-12-01T20:05:00Z");
  check_date("2025-12-01 14:05 CDT", "2025-12-01T19:05:00Z");
  check_date("2025-12-01 14:05 MST", "2025-12-01T21:05:00Z");
  check_date("2025-12-01 14:05 MDT", "2025-12-01T20:05:00Z");
  check_date("2025-12-01 14:05 PST", "2025-12-01T22:05:00Z");
  check_date("2025-12-01 14:05 PDT", "2025-12-01T21:05:00Z");
  check_date("2025-12-01 14:05 GMT", "2025-12-01T14:05:00Z");
  check_date("2025-12-01 14:05 UTC", "2025-12-01T14:05:00Z");
  check_date("2025-12-01 14:05 BST", "2025-12-01T13:05:00Z");
  check_date("2025-12-01 14:05 CET", "2025-12-01T13:05:00Z");
  check_date("2025-12-01 14:05 CEST", "2025-12-01T12:05:00Z");
  check_date("2025-12-31 23:30 PST", "2026-01-01T07:30:00Z");
  check_date("2025-12-01T14:05:00.250-08:00", "2025-12-01T22:05:00Z");
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
                                    "2025-03-14T10:20:30 IST",
                                    "2025-02-30",
                                    "31/02/2025",
                                    "13/13/2025",
                                    "December 2025",
                                    "Dec. 1",
                                    "2:05 PM",
                                    "1 December 2025 14:05 PM",
                                    "1 2 December 2025",
                                    "EST 2025-12-01",
                                    NULL};
  for (int i = 0; bad[i]; i++) {
    char out[64] = "";
    ck_assert_msg(ngi_date_normalize(bad[i], out, sizeof out) == -1, "accepted \"%s\" as %s", bad[i], out);
  }
}
END_TEST

static void check_query(const char *in, long long now, const char *want) {
  char out[64] = "unset";
  int rc = ngi_date_query(in, now, out, sizeof out);
  if (!want) {
    ck_assert_msg(rc == -1, "ngi_date_query(\"%s\") accepted as %s", in, out);
    return;
  }
  ck_assert_msg(rc == 0, "ngi_date_query(\"%s\") failed", in);
  ck_assert_msg(strcmp(out, want) == 0, "ngi_date_query(\"%s\") = \"%s\", wanted \"%s\"", in, out, want);
}

/* Query dates: periods as prefixes, days before today in local time. */
START_TEST(query_dates) {
  setenv("TZ", "UTC", 1);
  tzset();
  long long now = 1764597600; /* 2025-12-01T14:00:00Z, a Monday */
  check_query("2005", now, "2005");
  check_query("2025-11", now, "2025-11");
  check_query("2025-3", now, "2025-03");
  check_query("2025-11-05", now, "2025-11-05");
  check_query("today", now, "2025-12-01");
  check_query("Today", now, "2025-12-01");
  check_query("yesterday", now, "2025-11-30");
  check_query("7d", now, "2025-11-24");
  check_query("0d", now, "2025-12-01");
  check_query("2w", now, "2025-11-17");
  check_query("400d", now, "2024-10-27");
  check_query("Dec. 1, 2025", now, "2025-12-01");
  check_query("2025-12-01T10:00:00+01:00", now, "2025-12-01T09:00:00Z");
  check_query("", now, NULL);
  check_query("d", now, NULL);
  check_query("7x", now, NULL);
  check_query("-7d", now, NULL);
  check_query("2025-13", now, NULL);
  check_query("last week", now, NULL);
  /* Local time decides what today is. */
  setenv("TZ", "America/New_York", 1);
  tzset();
  check_query("today", 1764558000 /* 2025-12-01T03:00Z */, "2025-11-30");
  unsetenv("TZ");
  tzset();
}
END_TEST

START_TEST(query_ranges) {
  ck_assert_int_eq(ngi_date_range_inverted("2025-12", "2025-11"), 1);
  ck_assert_int_eq(ngi_date_range_inverted("2025-11-05", "2025-11"), 0);
  ck_assert_int_eq(ngi_date_range_inverted("2025-11-05", "2025-11-04"), 1);
  ck_assert_int_eq(ngi_date_range_inverted("2025", "2025"), 0);
  ck_assert_int_eq(ngi_date_range_inverted("2026", "2025-12-31"), 1);
  ck_assert_int_eq(ngi_date_range_inverted("2025-11-04", "2025-11-04T10:00:00Z"), 0);
  ck_assert_int_eq(ngi_date_range_inverted(NULL, "2025"), 0);
  ck_assert_int_eq(ngi_date_range_inverted("2025", NULL), 0);
}
END_TEST

static Suite *date_suite(void) {
  Suite *s = suite_create("date");
  TCase *tc = tcase_create("normalize");
  tcase_add_test(tc, normalize_date_forms);
  tcase_add_test(tc, normalize_desk_forms);
  tcase_add_test(tc, query_dates);
  tcase_add_test(tc, query_ranges);
  tcase_add_test(tc, normalize_date_zones);
  tcase_add_test(tc, normalize_date_rejects);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(date_suite()); }
