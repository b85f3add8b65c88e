/*
 * test_feed.c -- unit suite for lib/feed.c: one JSON Lines record.
 */
#define _GNU_SOURCE
#include "unit.h"

static int parse(const char *line, feed_record *r, char *err, size_t errlen) {
  err[0] = '\0';
  return ngi_feed_parse(line, strlen(line), r, err, errlen);
}

/* The line must be refused; err must then mention want (may be NULL). */
static void check_refused(const char *line, const char *want) {
  feed_record r;
  char err[300];
  int rc = parse(line, &r, err, sizeof err);
  ck_assert_msg(rc == NG_EDATA, "accepted %s (rc %d)", line, rc);
  ck_assert_msg(err[0] != '\0', "no message for %s", line);
  if (want) ck_assert_msg(contains(err, want), "message for %s: \"%s\", wanted \"%s\"", line, err, want);
  /* A refused line leaves nothing to free. */
  ck_assert(r.id == NULL && r.title == NULL && r.body == NULL && r.date == NULL);
  ck_assert(r.source == NULL && r.url == NULL && r.author == NULL);
}

START_TEST(valid_record) {
  feed_record r;
  char err[300];
  const char *line =
      "{\"id\": \"nw-1\", \"title\": \"Harbour reopens\", \"body\": \"Para one.\\n\\nPara two.\","
      " \"date\": \"2025-04-12T09:30:00Z\", \"source\": \"Nutgraf Wire\", \"url\": \"https://example.org/1\","
      " \"author\": \"A. Writer\", \"extra\": [1, 2, {\"x\": null}]}";
  ck_assert_int_eq(parse(line, &r, err, sizeof err), NG_OK);
  ck_assert_pstr_eq(r.id, "nw-1");
  ck_assert_pstr_eq(r.title, "Harbour reopens");
  ck_assert_pstr_eq(r.body, "Para one.\n\nPara two.");
  ck_assert_pstr_eq(r.date, "2025-04-12T09:30:00Z");
  ck_assert_pstr_eq(r.source, "Nutgraf Wire");
  ck_assert_pstr_eq(r.url, "https://example.org/1");
  ck_assert_pstr_eq(r.author, "A. Writer");
  ngi_feed_record_free(&r);
  ck_assert_ptr_null(r.id);
  ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(optional_fields_absent_or_null) {
  feed_record r;
  char err[300];
  ck_assert_int_eq(parse("{\"id\":\"x\",\"title\":\"T\",\"body\":\"B\",\"date\":null}\n", &r, err, sizeof err), NG_OK);
  ck_assert_ptr_null(r.date);
  ck_assert_ptr_null(r.source);
  ck_assert_ptr_null(r.url);
  ck_assert_ptr_null(r.author);
  ngi_feed_record_free(&r);
}
END_TEST

START_TEST(integer_id) {
  feed_record r;
  char err[300];
  ck_assert_int_eq(parse("{\"id\": 42, \"title\": \"T\", \"body\": \"B\"}", &r, err, sizeof err), NG_OK);
  ck_assert_pstr_eq(r.id, "42");
  ngi_feed_record_free(&r);
  ck_assert_int_eq(parse("{\"id\": -7, \"title\": \"T\", \"body\": \"B\"}", &r, err, sizeof err), NG_OK);
  ck_assert_pstr_eq(r.id, "-7");
  ngi_feed_record_free(&r);
  ck_assert_int_eq(parse("{\"id\": 9007199254740993, \"title\": \"T\", \"body\": \"B\"}", &r, err, sizeof err), NG_OK);
  ck_assert_pstr_eq(r.id, "9007199254740993");
  ngi_feed_record_free(&r);
}
END_TEST

START_TEST(missing_fields) {
  check_refused("{\"title\": \"T\", \"body\": \"B\"}", "missing field id");
  check_refused("{\"id\": \"x\", \"body\": \"B\"}", "missing field title");
  check_refused("{\"id\": \"x\", \"title\": \"T\"}", "missing field body");
  check_refused("{\"id\": \"x\", \"title\": \"T\", \"body\": null}", "missing field body");
  check_refused("{}", "missing field id");
}
END_TEST

START_TEST(wrong_types) {
  check_refused("{\"id\": true, \"title\": \"T\", \"body\": \"B\"}", "id");
  check_refused("{\"id\": 1.5, \"title\": \"T\", \"body\": \"B\"}", "id");
  check_refused("{\"id\": [\"x\"], \"title\": \"T\", \"body\": \"B\"}", "id");
  check_refused("{\"id\": \"\", \"title\": \"T\", \"body\": \"B\"}", "id");
  /* An id is printed as part of a path: no C0 or C1 control character. */
  check_refused("{\"id\": \"\\r\", \"title\": \"T\", \"body\": \"B\"}", "id");
  check_refused("{\"id\": \"a\\u001b[2Jb\", \"title\": \"T\", \"body\": \"B\"}", "id");
  check_refused("{\"id\": \"\\u0085x\", \"title\": \"T\", \"body\": \"B\"}", "id");
  check_refused("{\"id\": \"a\\u009bb\", \"title\": \"T\", \"body\": \"B\"}", "id");
  check_refused("{\"id\": \"x\", \"title\": 5, \"body\": \"B\"}", "field title is not a string");
  check_refused("{\"id\": \"x\", \"title\": \"T\", \"body\": {\"text\": \"B\"}}", "field body is not a string");
  check_refused("{\"id\": \"x\", \"title\": \"T\", \"body\": \"B\", \"date\": 20250412}", "field date is not a string");
  check_refused("{\"id\": \"x\", \"title\": \"T\", \"body\": \"B\", \"author\": [\"A\"]}", "field author");
  /* An id too long to be a key. */
  buf line = {0};
  ngi_buf_adds(&line, "{\"id\": \"");
  for (int i = 0; i < 600; i++) ngi_buf_addc(&line, 'k');
  ngi_buf_adds(&line, "\", \"title\": \"T\", \"body\": \"B\"}");
  check_refused(line.data, "id");
  ngi_buf_free(&line);
}
END_TEST

START_TEST(not_json) {
  check_refused("{\"id\": \"x\", \"title\": \"T\"", "not JSON");
  check_refused("this is not json", "not JSON");
  check_refused("{\"id\": \"x\", \"title\": \"T\", \"body\": \"B\"} trailing", NULL);
  check_refused("{\"id\": \"x\", \"id\": \"y\", \"title\": \"T\", \"body\": \"B\"}", NULL); /* duplicate key */
  check_refused("{\"id\": \"x\", \"title\": \"caf\xE9\", \"body\": \"B\"}", NULL);          /* not UTF-8 */
}
END_TEST

START_TEST(not_an_object) {
  check_refused("[1, 2, 3]", "not a JSON object");
  check_refused("[{\"id\": \"x\", \"title\": \"T\", \"body\": \"B\"}]", "not a JSON object");
  check_refused("\"just a string\"", NULL);
  check_refused("42", NULL);
}
END_TEST

START_TEST(blank_line) {
  feed_record r;
  char err[300];
  ck_assert_int_eq(parse("", &r, err, sizeof err), NG_DONE);
  ck_assert_int_eq(parse("   \t  ", &r, err, sizeof err), NG_DONE);
  ck_assert_int_eq(parse("\r\n", &r, err, sizeof err), NG_DONE);
  ck_assert_int_eq(parse("\n", &r, err, sizeof err), NG_DONE);
  ck_assert_ptr_null(r.id);
}
END_TEST

START_TEST(length_bounds_the_line) {
  /* Only n bytes are read: the rest of the buffer is not part of the line. */
  const char *two = "{\"id\": \"a\", \"title\": \"T\", \"body\": \"B\"}{\"garbage";
  feed_record r;
  char err[300];
  ck_assert_int_eq(ngi_feed_parse(two, 38, &r, err, sizeof err), NG_OK);
  ck_assert_pstr_eq(r.id, "a");
  ngi_feed_record_free(&r);
}
END_TEST

/* A NUL inside a JSON string ("\u0000") is valid JSON: it becomes a space,
 * as other control characters do, and the rest of the string is kept. */
START_TEST(nul_escape_becomes_space) {
  feed_record r;
  char err[300];
  int rc = parse("{\"id\": \"x\", \"title\": \"ab\\u0000cd\", \"body\": \"B\\u0000C\"}", &r, err, sizeof err);
  char title[16] = "", body[16] = "";
  if (rc == NG_OK) {
    snprintf(title, sizeof title, "%s", r.title);
    snprintf(body, sizeof body, "%s", r.body);
    ngi_feed_record_free(&r);
  }
  ck_assert_msg(rc == NG_OK, "refused: %s", err);
  ck_assert_str_eq(title, "ab cd");
  ck_assert_str_eq(body, "B C");
}
END_TEST

START_TEST(nul_escape_in_id_refused) {
  /* In an id a NUL would make two records share a key: never accepted. */
  feed_record r;
  char err[300];
  int rc = parse("{\"id\": \"a\\u0000b\", \"title\": \"T\", \"body\": \"B\"}", &r, err, sizeof err);
  if (rc == NG_OK) ngi_feed_record_free(&r);
  ck_assert_int_eq(rc, NG_EDATA);
  ck_assert(err[0] != '\0');
}
END_TEST

START_TEST(controls_cleaned) {
  feed_record r;
  char err[300];
  const char *line =
      "{\"id\": \"x\", \"title\": \"Bell\\u0007 and\\ttab\", "
      "\"body\": \"one\\r\\ntwo\\rthree\\u0001four\\u0085five\\u001b[0m\", \"author\": \"A\\u007fB\"}";
  ck_assert_int_eq(parse(line, &r, err, sizeof err), NG_OK);
  ck_assert_pstr_eq(r.title, "Bell  and\ttab");
  ck_assert_pstr_eq(r.body, "one\ntwo\nthree four five [0m");
  ck_assert_pstr_eq(r.author, "A B");
  /* The marker bytes of snippets can never come from a feed. */
  ck_assert_ptr_null(strchr(r.body, NG_MARK_OPEN));
  ngi_feed_record_free(&r);
  ck_assert_int_eq(parse("{\"id\": \"x\", \"title\": \"\\u0001\\u0002\", \"body\": \"B\"}", &r, err, sizeof err),
                   NG_OK);
  ck_assert_pstr_eq(r.title, "  ");
  ngi_feed_record_free(&r);
}
END_TEST

START_TEST(unicode_escapes_decoded) {
  feed_record r;
  char err[300];
  ck_assert_int_eq(parse("{\"id\": \"x\", \"title\": \"Z\\u00fcrich \\ud83d\\ude00\", \"body\": \"Kyiv\\u2019s\"}", &r,
                         err, sizeof err),
                   NG_OK);
  ck_assert_pstr_eq(r.title, "Z\xC3\xBCrich \xF0\x9F\x98\x80");
  ck_assert_pstr_eq(r.body, "Kyiv\xE2\x80\x99s");
  ngi_feed_record_free(&r);
  /* A lone surrogate escape is not a character. */
  check_refused("{\"id\": \"x\", \"title\": \"\\ud800\", \"body\": \"B\"}", NULL);
}
END_TEST

START_TEST(fixture_lines) {
  size_t n;
  char *data = read_fixture("feeds/wire.jsonl", &n);
  static const char *const ids[] = {"nw-2025-0412-001", "nw-2025-0412-002", "nw-2025-0412-003", "nw-2025-0413-004"};
  size_t line = 0;
  for (size_t i = 0; i < n; line++) {
    const char *nl = memchr(data + i, '\n', n - i);
    size_t len = nl ? (size_t)(nl - (data + i)) : n - i;
    feed_record r;
    char err[300];
    int rc = ngi_feed_parse(data + i, len, &r, err, sizeof err);
    ck_assert_msg(rc == NG_OK, "line %zu: %s", line + 1, err);
    ck_assert_uint_lt(line, 4);
    ck_assert_pstr_eq(r.id, ids[line]);
    if (line == 2)
      ck_assert(r.date == NULL && r.source == NULL && r.url == NULL && r.author == NULL);
    else
      ck_assert_pstr_eq(r.source, "Nutgraf Wire");
    ngi_feed_record_free(&r);
    i += len + 1;
  }
  ck_assert_uint_eq(line, 4);
  free(data);
}
END_TEST

static Suite *feed_suite(void) {
  Suite *s = suite_create("feed");
  TCase *tc = tcase_create("records");
  tcase_add_test(tc, valid_record);
  tcase_add_test(tc, optional_fields_absent_or_null);
  tcase_add_test(tc, integer_id);
  tcase_add_test(tc, missing_fields);
  tcase_add_test(tc, wrong_types);
  tcase_add_test(tc, not_json);
  tcase_add_test(tc, not_an_object);
  tcase_add_test(tc, blank_line);
  tcase_add_test(tc, length_bounds_the_line);
  tcase_add_test(tc, nul_escape_becomes_space);
  tcase_add_test(tc, nul_escape_in_id_refused);
  tcase_add_test(tc, controls_cleaned);
  tcase_add_test(tc, unicode_escapes_decoded);
  tcase_add_test(tc, fixture_lines);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(feed_suite()); }
