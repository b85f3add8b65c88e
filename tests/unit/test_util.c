/*
 * test_util.c -- unit suite for lib/util.c: buffers, the string map, the
 * strict UTF-8 decoder, dates, paths, display strings and exit statuses.
 */
#define _GNU_SOURCE
#include <stdint.h>

#include "unit.h"

/* ------------------------------------------------------------------ */
/* buf */

START_TEST(buf_grows_and_stays_terminated) {
  buf b = {0};
  for (int i = 0; i < 10000; i++) ck_assert_int_eq(ngi_buf_addc(&b, (char)('a' + i % 26)), 0);
  ck_assert_uint_eq(b.len, 10000);
  ck_assert_uint_ge(b.cap, b.len + 1);
  ck_assert_int_eq(b.data[b.len], '\0');
  ck_assert_int_eq(b.data[0], 'a');
  ck_assert_int_eq(b.data[9999], 'a' + 9999 % 26);
  ck_assert_uint_eq(strlen(b.data), 10000);
  ck_assert_int_eq(b.oom, 0);
  ngi_buf_free(&b);
  ck_assert_ptr_null(b.data);
  ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(buf_add_and_adds) {
  buf b = {0};
  ck_assert_int_eq(ngi_buf_add(&b, "hello world", 5), 0);
  ck_assert_int_eq(ngi_buf_adds(&b, ", there"), 0);
  ck_assert_int_eq(ngi_buf_add(&b, NULL, 0), 0);
  ck_assert_str_eq(b.data, "hello, there");
  ck_assert_uint_eq(b.len, 12);
  /* Embedded NUL bytes count in len. */
  ck_assert_int_eq(ngi_buf_add(&b, "a\0b", 3), 0);
  ck_assert_uint_eq(b.len, 15);
  ck_assert_mem_eq(b.data + 12, "a\0b", 3);
  ngi_buf_free(&b);
}
END_TEST

START_TEST(buf_printf_appends) {
  buf b = {0};
  ck_assert_int_eq(ngi_buf_adds(&b, "x="), 0);
  ck_assert_int_eq(ngi_buf_printf(&b, "%d-%s-%05.1f", 42, "abc", 3.14159), 0);
  ck_assert_str_eq(b.data, "x=42-abc-003.1");
  ck_assert_uint_eq(b.len, strlen("x=42-abc-003.1"));
  /* A long formatted string forces growth in one go. */
  char big[5001];
  memset(big, 'z', 5000);
  big[5000] = '\0';
  ck_assert_int_eq(ngi_buf_printf(&b, "[%s]", big), 0);
  ck_assert_uint_eq(b.len, 14 + 5002);
  ck_assert_int_eq(b.data[14], '[');
  ck_assert_int_eq(b.data[b.len - 1], ']');
  ck_assert_int_eq(b.data[b.len], '\0');
  /* An empty expansion changes nothing. */
  ck_assert_int_eq(ngi_buf_printf(&b, "%s", ""), 0);
  ck_assert_uint_eq(b.len, 14 + 5002);
  ngi_buf_free(&b);
}
END_TEST

START_TEST(buf_reset_and_detach) {
  buf b = {0};
  ngi_buf_adds(&b, "something");
  ngi_buf_reset(&b);
  ck_assert_uint_eq(b.len, 0);
  ck_assert_str_eq(b.data, "");
  ngi_buf_adds(&b, "again");
  char *s = ngi_buf_detach(&b);
  ck_assert_str_eq(s, "again");
  ck_assert_ptr_null(b.data);
  ck_assert_uint_eq(b.len, 0);
  ck_assert_uint_eq(b.cap, 0);
  free(s);
  /* Detaching an empty buffer gives an empty string, not NULL. */
  char *e = ngi_buf_detach(&b);
  ck_assert_ptr_nonnull(e);
  ck_assert_str_eq(e, "");
  free(e);
  ngi_buf_free(&b);
}
END_TEST

START_TEST(buf_add_utf8_encodes) {
  static const struct {
    uint32_t cp;
    const char *utf8;
  } cases[] = {{0x41, "A"},
               {0xE9, "\xC3\xA9"},
               {0x7FF, "\xDF\xBF"},
               {0x800, "\xE0\xA0\x80"},
               {0x20AC, "\xE2\x82\xAC"},
               {0xFFFF, "\xEF\xBF\xBF"},
               {0x1F600, "\xF0\x9F\x98\x80"},
               {0x10FFFF, "\xF4\x8F\xBF\xBF"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    buf b = {0};
    ck_assert_int_eq(ngi_buf_add_utf8(&b, cases[i].cp), 0);
    ck_assert_str_eq(b.data, cases[i].utf8);
    uint32_t back = 0;
    ck_assert_uint_eq(ngi_utf8_decode((const unsigned char *)b.data, b.len, &back), b.len);
    ck_assert_uint_eq(back, cases[i].cp);
    ngi_buf_free(&b);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* strmap */

START_TEST(strmap_many_keys) {
  strmap m = {0};
  char key[32];
  for (int i = 0; i < 5000; i++) {
    int n = snprintf(key, sizeof key, "key-%d", i);
    ck_assert_int_eq(ngi_map_put(&m, key, (size_t)n, (void *)(intptr_t)(i + 1)), 0);
  }
  ck_assert_uint_eq(m.count, 5000);
  ck_assert_uint_ge(m.cap, 2 * m.count);
  for (int i = 0; i < 5000; i++) {
    int n = snprintf(key, sizeof key, "key-%d", i);
    ck_assert_int_eq((int)(intptr_t)ngi_map_get(&m, key, (size_t)n), i + 1);
  }
  ck_assert_ptr_null(ngi_map_get(&m, "key-5000", 8));
  ck_assert_ptr_null(ngi_map_get(&m, "key-", 4));
  ck_assert_ptr_null(ngi_map_get(&m, "", 0));
  ngi_map_clear(&m, NULL);
}
END_TEST

START_TEST(strmap_replace_keeps_count) {
  strmap m = {0};
  ck_assert_ptr_null(ngi_map_get(&m, "a", 1)); /* an empty map */
  ck_assert_int_eq(ngi_map_put(&m, "a", 1, (void *)(intptr_t)1), 0);
  ck_assert_int_eq(ngi_map_put(&m, "b", 1, (void *)(intptr_t)2), 0);
  ck_assert_int_eq(ngi_map_put(&m, "a", 1, (void *)(intptr_t)3), 0);
  ck_assert_uint_eq(m.count, 2);
  ck_assert_int_eq((int)(intptr_t)ngi_map_get(&m, "a", 1), 3);
  ck_assert_int_eq((int)(intptr_t)ngi_map_get(&m, "b", 1), 2);
  ngi_map_clear(&m, NULL);
}
END_TEST

START_TEST(strmap_keys_are_byte_strings) {
  strmap m = {0};
  /* Length decides: a prefix is another key, and NUL bytes are part of it. */
  ck_assert_int_eq(ngi_map_put(&m, "abc", 3, (void *)(intptr_t)1), 0);
  ck_assert_int_eq(ngi_map_put(&m, "abc", 2, (void *)(intptr_t)2), 0);
  ck_assert_int_eq(ngi_map_put(&m, "a\0x", 3, (void *)(intptr_t)3), 0);
  ck_assert_int_eq(ngi_map_put(&m, "a\0y", 3, (void *)(intptr_t)4), 0);
  ck_assert_uint_eq(m.count, 4);
  ck_assert_int_eq((int)(intptr_t)ngi_map_get(&m, "abc", 3), 1);
  ck_assert_int_eq((int)(intptr_t)ngi_map_get(&m, "ab", 2), 2);
  ck_assert_int_eq((int)(intptr_t)ngi_map_get(&m, "a\0x", 3), 3);
  ck_assert_int_eq((int)(intptr_t)ngi_map_get(&m, "a\0y", 3), 4);
  ck_assert_ptr_null(ngi_map_get(&m, "a", 1));
  /* Keys are copied: changing the caller's buffer changes nothing. */
  char k[] = "mutable";
  ck_assert_int_eq(ngi_map_put(&m, k, 7, (void *)(intptr_t)5), 0);
  k[0] = 'M';
  ck_assert_int_eq((int)(intptr_t)ngi_map_get(&m, "mutable", 7), 5);
  ck_assert_ptr_null(ngi_map_get(&m, "Mutable", 7));
  ngi_map_clear(&m, NULL);
}
END_TEST

static int freed_values;
static void count_free(void *p) {
  freed_values++;
  free(p);
}

START_TEST(strmap_clear_frees_values) {
  strmap m = {0};
  char key[16];
  freed_values = 0;
  for (int i = 0; i < 300; i++) {
    int n = snprintf(key, sizeof key, "%d", i);
    int *v = malloc(sizeof *v);
    ck_assert_ptr_nonnull(v);
    *v = i;
    ck_assert_int_eq(ngi_map_put(&m, key, (size_t)n, v), 0);
  }
  int *v = ngi_map_get(&m, "299", 3);
  ck_assert_ptr_nonnull(v);
  ck_assert_int_eq(*v, 299);
  ngi_map_clear(&m, count_free);
  ck_assert_int_eq(freed_values, 300);
  ck_assert_uint_eq(m.count, 0);
  ck_assert_ptr_null(ngi_map_get(&m, "1", 1));
  /* The map is usable again after clear. */
  ck_assert_int_eq(ngi_map_put(&m, "again", 5, (void *)(intptr_t)7), 0);
  ck_assert_int_eq((int)(intptr_t)ngi_map_get(&m, "again", 5), 7);
  ngi_map_clear(&m, NULL);
}
END_TEST

START_TEST(hash_bytes_distinguishes) {
  ck_assert_uint_eq(ngi_hash("hello", 5), ngi_hash("hello", 5));
  ck_assert_uint_ne(ngi_hash("hello", 5), ngi_hash("hellp", 5));
  ck_assert_uint_ne(ngi_hash("hello", 5), ngi_hash("hello", 4));
  ck_assert_uint_ne(ngi_hash("", 0), ngi_hash("\0", 1));
  /* Bytes past the 8-byte blocks count. */
  ck_assert_uint_ne(ngi_hash("0123456789", 10), ngi_hash("0123456788", 10));
}
END_TEST

/* ------------------------------------------------------------------ */
/* UTF-8 */

static size_t dec(const char *s, size_t n, uint32_t *cp) { return ngi_utf8_decode((const unsigned char *)s, n, cp); }

START_TEST(utf8_decode_valid) {
  uint32_t cp = 0;
  ck_assert_uint_eq(dec("A", 1, &cp), 1);
  ck_assert_uint_eq(cp, 'A');
  ck_assert_uint_eq(dec("\xC3\xA9x", 3, &cp), 2);
  ck_assert_uint_eq(cp, 0xE9);
  ck_assert_uint_eq(dec("\xC2\x80", 2, &cp), 2);
  ck_assert_uint_eq(cp, 0x80);
  ck_assert_uint_eq(dec("\xE2\x82\xAC", 3, &cp), 3);
  ck_assert_uint_eq(cp, 0x20AC);
  ck_assert_uint_eq(dec("\xED\x9F\xBF", 3, &cp), 3); /* U+D7FF, just below the surrogates */
  ck_assert_uint_eq(cp, 0xD7FF);
  ck_assert_uint_eq(dec("\xEE\x80\x80", 3, &cp), 3); /* U+E000, just above */
  ck_assert_uint_eq(cp, 0xE000);
  ck_assert_uint_eq(dec("\xF0\x9F\x98\x80", 4, &cp), 4);
  ck_assert_uint_eq(cp, 0x1F600);
  ck_assert_uint_eq(dec("\xF4\x8F\xBF\xBF", 4, &cp), 4);
  ck_assert_uint_eq(cp, 0x10FFFF);
}
END_TEST

START_TEST(utf8_decode_rejects) {
  static const struct {
    const char *s;
    size_t n;
    const char *why;
  } bad[] = {
      {"\xC0\x80", 2, "overlong NUL"},
      {"\xC1\xBF", 2, "overlong 2-byte"},
      {"\xE0\x80\x80", 3, "overlong 3-byte"},
      {"\xE0\x9F\xBF", 3, "overlong U+07FF"},
      {"\xF0\x80\x80\x80", 4, "overlong 4-byte"},
      {"\xF0\x8F\xBF\xBF", 4, "overlong U+FFFF"},
      {"\xED\xA0\x80", 3, "high surrogate"},
      {"\xED\xBF\xBF", 3, "low surrogate"},
      {"\xF4\x90\x80\x80", 4, "past U+10FFFF"},
      {"\xF5\x80\x80\x80", 4, "F5 lead"},
      {"\xFF", 1, "FF"},
      {"\x80", 1, "lone continuation"},
      {"\xC3", 1, "truncated 2-byte"},
      {"\xE2\x82", 2, "truncated 3-byte"},
      {"\xF0\x9F\x98", 3, "truncated 4-byte"},
      {"\xC3\x41", 2, "bad continuation"},
      {"\xE2\x28\xA1", 3, "bad second byte"},
      {"\xE2\x82\x28", 3, "bad third byte"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint32_t cp = 0;
    ck_assert_msg(dec(bad[i].s, bad[i].n, &cp) == 0, "accepted %s", bad[i].why);
  }
  uint32_t cp;
  ck_assert_uint_eq(dec("A", 0, &cp), 0); /* nothing to read */
  /* The length limit is honoured even when more bytes follow in memory. */
  ck_assert_uint_eq(dec("\xE2\x82\xAC", 2, &cp), 0);
}
END_TEST

START_TEST(utf8_valid_prefix_stops_at_bad) {
  ck_assert_uint_eq(ngi_utf8_valid_prefix("abc", 3), 3);
  ck_assert_uint_eq(ngi_utf8_valid_prefix("", 0), 0);
  ck_assert_uint_eq(ngi_utf8_valid_prefix("ab\xC3\xA9\xFF"
                                          "cd",
                                          7),
                    4);
  ck_assert_uint_eq(ngi_utf8_valid_prefix("ab\xE2\x82", 4), 2);
  ck_assert_uint_eq(ngi_utf8_valid_prefix("\xED\xA0\x80x", 4), 0);
  ck_assert_uint_eq(ngi_utf8_valid_prefix("\xE2\x82\xAC\xF0\x9F\x98\x80", 7), 7);
  /* n bounds the scan: a cut sequence at the end is not valid. */
  ck_assert_uint_eq(ngi_utf8_valid_prefix("x\xE2\x82\xAC", 3), 1);
}
END_TEST

START_TEST(utf8_length_counts_code_points) {
  ck_assert_uint_eq(ngi_utf8_length("", 0), 0);
  ck_assert_uint_eq(ngi_utf8_length("abc", 3), 3);
  ck_assert_uint_eq(ngi_utf8_length("Z\xC3\xBCrich", 7), 6);
  ck_assert_uint_eq(ngi_utf8_length("\xE2\x80\x94\xF0\x9F\x98\x80", 7), 2);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Dates */

/* ------------------------------------------------------------------ */
/* Paths */

START_TEST(clean_path_relative) {
  char *cwd = getcwd(NULL, 0);
  ck_assert_ptr_nonnull(cwd);
  char *p = ngi_clean_path("a/./b//c/../d");
  ck_assert_ptr_nonnull(p);
  buf want = {0};
  ngi_buf_printf(&want, "%s/a/b/d", strcmp(cwd, "/") == 0 ? "" : cwd);
  ck_assert_str_eq(p, want.data);
  free(p);
  p = ngi_clean_path(".");
  ck_assert_str_eq(p, cwd);
  free(p);
  ngi_buf_free(&want);
  free(cwd);
}
END_TEST

START_TEST(clean_path_absolute) {
  static const struct {
    const char *in, *want;
  } cases[] = {{"/", "/"},
               {"//", "/"},
               {"/tmp/x/", "/tmp/x"},
               {"/tmp//x///y/", "/tmp/x/y"},
               {"/a/b/../../..", "/"},
               {"/..", "/"},
               {"/a/./b/.", "/a/b"},
               {"/a/..b/c", "/a/..b/c"},
               {"/a/.hidden", "/a/.hidden"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *p = ngi_clean_path(cases[i].in);
    ck_assert_ptr_nonnull(p);
    ck_assert_msg(strcmp(p, cases[i].want) == 0, "ngi_clean_path(\"%s\") = \"%s\", wanted \"%s\"", cases[i].in, p,
                  cases[i].want);
    free(p);
  }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Display strings and exit statuses */

static void check_display(const char *in, const char *want) {
  char *s = ng_display_string(in);
  ck_assert_ptr_nonnull(s);
  int same = strcmp(s, want) == 0;
  char *shown = same ? NULL : strdup(s);
  free(s);
  ck_assert_msg(same, "ng_display_string gave \"%s\", wanted \"%s\"", shown, want);
}

START_TEST(display_string_escapes) {
  check_display("plain text", "plain text");
  check_display("", "");
  check_display("a\nb", "a\\nb");
  check_display("a\tb", "a\\tb");
  check_display("bell\x07", "bell\\x07");
  check_display("\x1B[31mred", "\\x1B[31mred");
  check_display("del\x7F", "del\\x7F");
  check_display("\r", "\\x0D");
  check_display("back\\slash", "back\\\\slash");
  /* Valid UTF-8 passes, invalid bytes are escaped one by one. */
  check_display("Z\xC3\xBCrich \xE2\x80\x94 \xF0\x9F\x98\x80", "Z\xC3\xBCrich \xE2\x80\x94 \xF0\x9F\x98\x80");
  check_display("bad\xFF", "bad\\xFF");
  check_display("\xC3(", "\\xC3(");
  check_display("\xED\xA0\x80", "\\xED\\xA0\\x80");
  /* C1 controls (U+0085 here) are control characters too. */
  check_display("x\xC2\x85y", "x\\xC2\\x85y");
  /* Characters that reorder or hide text are shown as \uXXXX. */
  check_display("bidi\xE2\x80\xAEtxt.exe", "bidi\\u202Etxt.exe");
  check_display("\xE2\x80\xAA\xE2\x80\xAB\xE2\x80\xAC\xE2\x80\xAD", "\\u202A\\u202B\\u202C\\u202D");
  check_display("\xE2\x81\xA6\xE2\x81\xA7\xE2\x81\xA8\xE2\x81\xA9", "\\u2066\\u2067\\u2068\\u2069");
  check_display("\xE2\x80\x8E\xE2\x80\x8F\xD8\x9C", "\\u200E\\u200F\\u061C");
  check_display("zero\xE2\x80\x8Bwidth\xE2\x80\x8C\xE2\x80\x8D\xE2\x81\xA0\xEF\xBB\xBF",
                "zero\\u200Bwidth\\u200C\\u200D\\u2060\\uFEFF");
  check_display("line\xE2\x80\xA8para\xE2\x80\xA9", "line\\u2028para\\u2029");
  /* Their neighbours pass: U+2010 (hyphen), U+2030 (per mille). */
  check_display("\xE2\x80\x90\xE2\x80\xB0", "\xE2\x80\x90\xE2\x80\xB0");
}
END_TEST

START_TEST(version_and_languages) {
  const char *v = ng_version_info();
  ck_assert_ptr_nonnull(v);
  ck_assert(contains(v, "nutgraf " NG_VERSION_STRING));
  ck_assert(contains(v, "SQLite"));
  char list[2048];
  ng_languages(list, sizeof list);
  ck_assert(contains(list, "english"));
  ck_assert(contains(list, "french"));
  /* A short buffer is cut, still terminated. */
  char small[8];
  ng_languages(small, sizeof small);
  ck_assert_uint_eq(strlen(small), sizeof small - 1);
}
END_TEST

/* ngi_grow: capacity from first, doubled until it holds what is asked;
 * the elements kept; nothing done when there is room; a size that cannot
 * be had leaves the array as it was. */
START_TEST(grow_arrays) {
  long long *a = NULL;
  size_t cap = 0;
  ck_assert_int_eq(NGI_GROW(a, cap, 1, 16), 0);
  ck_assert_ptr_nonnull(a);
  ck_assert_uint_eq(cap, 16);
  for (int i = 0; i < 16; i++) a[i] = i * 7;
  long long *before = a;
  ck_assert_int_eq(NGI_GROW(a, cap, 16, 16), 0);
  ck_assert_ptr_eq(a, before);
  ck_assert_uint_eq(cap, 16);
  ck_assert_int_eq(NGI_GROW(a, cap, 100, 16), 0);
  ck_assert_uint_eq(cap, 128);
  for (int i = 0; i < 16; i++) ck_assert_int_eq(a[i], i * 7);
  before = a;
  ck_assert_int_eq(NGI_GROW(a, cap, SIZE_MAX / 4, 16), -1);
  ck_assert_ptr_eq(a, before);
  ck_assert_uint_eq(cap, 128);
  free(a);
  char *c = NULL;
  size_t ccap = 0;
  ck_assert_int_eq(ngi_grow(&c, &ccap, 3, 1, 0), 0);
  ck_assert_uint_eq(ccap, 4);
  free(c);
}
END_TEST

static Suite *util_suite(void) {
  Suite *s = suite_create("util");
  TCase *tc = tcase_create("buf");
  tcase_add_test(tc, buf_grows_and_stays_terminated);
  tcase_add_test(tc, buf_add_and_adds);
  tcase_add_test(tc, buf_printf_appends);
  tcase_add_test(tc, buf_reset_and_detach);
  tcase_add_test(tc, buf_add_utf8_encodes);
  suite_add_tcase(s, tc);

  tc = tcase_create("strmap");
  tcase_add_test(tc, strmap_many_keys);
  tcase_add_test(tc, strmap_replace_keeps_count);
  tcase_add_test(tc, strmap_keys_are_byte_strings);
  tcase_add_test(tc, strmap_clear_frees_values);
  tcase_add_test(tc, hash_bytes_distinguishes);
  suite_add_tcase(s, tc);

  tc = tcase_create("utf8");
  tcase_add_test(tc, utf8_decode_valid);
  tcase_add_test(tc, utf8_decode_rejects);
  tcase_add_test(tc, utf8_valid_prefix_stops_at_bad);
  tcase_add_test(tc, utf8_length_counts_code_points);
  suite_add_tcase(s, tc);

  tc = tcase_create("text");
  tcase_add_test(tc, clean_path_relative);
  tcase_add_test(tc, clean_path_absolute);
  tcase_add_test(tc, display_string_escapes);
  tcase_add_test(tc, version_and_languages);
  tcase_add_test(tc, grow_arrays);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(util_suite()); }
