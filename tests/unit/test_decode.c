/*
 * test_decode.c -- unit suite for lib/decode.c: bytes -> clean UTF-8.
 */
#define _GNU_SOURCE
#include "unit.h"

/* Decodes n bytes; on NGI_DECODE_OK the text is checked to be clean UTF-8. */
static int decode(const char *bytes, size_t n, const char *fallback, decoded *out, char *err, size_t errlen) {
  err[0] = '\0';
  int rc = ngi_decode(bytes, n, fallback, out, err, errlen);
  if (rc == NGI_DECODE_OK) {
    ck_assert_ptr_nonnull(out->text);
    ck_assert_ptr_nonnull(out->encoding);
    ck_assert_uint_eq(strlen(out->text), out->len);
    ck_assert_uint_eq(ngi_utf8_valid_prefix(out->text, out->len), out->len);
    for (size_t i = 0; i < out->len; i++) {
      unsigned char c = (unsigned char)out->text[i];
      ck_assert_msg(c >= 0x20 ? c != 0x7F : (c == '\n' || c == '\t'), "control byte 0x%02X at %zu", c, i);
    }
  }
  return rc;
}

START_TEST(utf8_passes_through) {
  const char *in = "Z\xC3\xBCrich \xE2\x80\x94 caf\xC3\xA9 \xF0\x9F\x98\x80\tend\n";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(in, strlen(in), NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.text, in);
  ck_assert_uint_eq(d.len, strlen(in));
  ck_assert_str_eq(d.encoding, "UTF-8");
  free(d.text);
}
END_TEST

START_TEST(utf8_bom_dropped) {
  const char in[] = "\xEF\xBB\xBFhello\n";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(in, sizeof in - 1, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.text, "hello\n");
  ck_assert_str_eq(d.encoding, "UTF-8");
  free(d.text);
  /* A BOM alone is an empty text. */
  ck_assert_int_eq(decode(in, 3, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_uint_eq(d.len, 0);
  free(d.text);
}
END_TEST

/* Builds UTF-16 bytes (with BOM) of the code points in cps. */
static size_t utf16(const unsigned *cps, size_t n, int big_endian, char *out) {
  size_t k = 0;
  unsigned units[2];
  for (size_t i = 0; i <= n; i++) {
    size_t m = 1;
    if (i == 0) {
      units[0] = 0xFEFF;
    } else if (cps[i - 1] >= 0x10000) {
      unsigned v = cps[i - 1] - 0x10000;
      units[0] = 0xD800 + (v >> 10);
      units[1] = 0xDC00 + (v & 0x3FF);
      m = 2;
    } else {
      units[0] = cps[i - 1];
    }
    for (size_t j = 0; j < m; j++) {
      out[k + (big_endian ? 0 : 1)] = (char)(units[j] >> 8);
      out[k + (big_endian ? 1 : 0)] = (char)(units[j] & 0xFF);
      k += 2;
    }
  }
  return k;
}

/* Regression (fixed): a UTF-8 BOM before text that is not valid UTF-8 is converted with
 * the rest from the fallback: cp1252 reads EF BB BF as "ï»¿", which then
 * starts the text (and the headline).  decode.c only drops a BOM that
 * comes out as U+FEFF; the bytes skipped for the BOM are not skipped when
 * converting ("a UTF-8 BOM is dropped", internal.h). */
START_TEST(utf8_bom_dropped_before_fallback) {
  const char in[] =
      "\xEF\xBB\xBF"
      "caf\xE9";
  decoded d;
  char err[200];
  int rc = decode(in, sizeof in - 1, NULL, &d, err, sizeof err);
  char got[32] = "";
  if (rc == NGI_DECODE_OK) {
    snprintf(got, sizeof got, "%s", d.text);
    free(d.text);
  }
  ck_assert_int_eq(rc, NGI_DECODE_OK);
  ck_assert_str_eq(got, "caf\xC3\xA9");
}
END_TEST

START_TEST(utf16_le_and_be) {
  /* "Zürich €\n😀" */
  const unsigned cps[] = {'Z', 0xFC, 'r', 'i', 'c', 'h', ' ', 0x20AC, '\n', 0x1F600};
  const char *want = "Z\xC3\xBCrich \xE2\x82\xAC\n\xF0\x9F\x98\x80";
  for (int be = 0; be <= 1; be++) {
    char bytes[64];
    size_t n = utf16(cps, sizeof cps / sizeof cps[0], be, bytes);
    ck_assert_uint_eq((unsigned char)bytes[0], be ? 0xFE : 0xFF);
    decoded d;
    char err[200];
    ck_assert_int_eq(decode(bytes, n, NULL, &d, err, sizeof err), NGI_DECODE_OK);
    ck_assert_str_eq(d.text, want);
    ck_assert_str_eq(d.encoding, be ? "UTF-16BE" : "UTF-16LE");
    free(d.text);
  }
}
END_TEST

START_TEST(utf16_crlf_becomes_lf) {
  const unsigned cps[] = {'a', '\r', '\n', 'b', '\r', 'c'};
  char bytes[32];
  size_t n = utf16(cps, 6, 0, bytes);
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(bytes, n, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.text, "a\nb\nc");
  free(d.text);
}
END_TEST

START_TEST(utf16_lone_surrogate_is_bad) {
  /* FF FE, 'a', a high surrogate followed by 'b' (no low surrogate). */
  const char le[] =
      "\xFF\xFE"
      "a\0"
      "\x00\xD8"
      "b\0";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(le, sizeof le - 1, NULL, &d, err, sizeof err), NGI_DECODE_BAD);
  ck_assert_msg(err[0] != '\0', "no message");
  ck_assert_msg(contains(err, "UTF-16LE"), "message does not name the encoding: %s", err);
  ck_assert_ptr_null(d.text);
  /* A lone low surrogate, big-endian. */
  const char be[] =
      "\xFE\xFF"
      "\0a"
      "\xDC\x00"
      "\0b";
  ck_assert_int_eq(decode(be, sizeof be - 1, NULL, &d, err, sizeof err), NGI_DECODE_BAD);
  ck_assert_msg(err[0] != '\0', "no message");
  ck_assert_ptr_null(d.text);
}
END_TEST

START_TEST(utf16_odd_length_is_bad) {
  const char le[] =
      "\xFF\xFE"
      "a\0"
      "b";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(le, sizeof le - 1, NULL, &d, err, sizeof err), NGI_DECODE_BAD);
  ck_assert_msg(err[0] != '\0', "no message");
}
END_TEST

START_TEST(utf16_nul_character_is_binary) {
  const char le[] =
      "\xFF\xFE"
      "a\0"
      "\0\0"
      "b\0";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(le, sizeof le - 1, NULL, &d, err, sizeof err), NGI_DECODE_BINARY);
  ck_assert_ptr_null(d.text);
}
END_TEST

START_TEST(nul_bytes_are_binary) {
  const char in[] = "text\0more text";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(in, sizeof in - 1, NULL, &d, err, sizeof err), NGI_DECODE_BINARY);
  ck_assert_ptr_null(d.text);
  ck_assert_msg(contains(err, "binary"), "message: %s", err);
  /* Even invalid UTF-8 with a NUL is binary, not converted. */
  const char in2[] = "\xA3\x00\xA3";
  ck_assert_int_eq(decode(in2, 3, NULL, &d, err, sizeof err), NGI_DECODE_BINARY);
  /* A lone NUL too. */
  ck_assert_int_eq(decode("\0", 1, NULL, &d, err, sizeof err), NGI_DECODE_BINARY);
}
END_TEST

START_TEST(invalid_utf8_is_cp1252) {
  const char in[] = "a \xA3 \x80 \x93quoted\x94 it\x92s";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(in, sizeof in - 1, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.text, "a \xC2\xA3 \xE2\x82\xAC \xE2\x80\x9Cquoted\xE2\x80\x9D it\xE2\x80\x99s");
  ck_assert_str_eq(d.encoding, "WINDOWS-1252");
  free(d.text);
  const char pound[] = "a \xA3";
  ck_assert_int_eq(decode(pound, 3, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.text, "a \xC2\xA3");
  ck_assert_str_eq(d.encoding, "WINDOWS-1252");
  free(d.text);
}
END_TEST

START_TEST(cp1252_undefined_falls_back_to_latin1) {
  /* 0x81 has no cp1252 character; ISO-8859-1 maps it to U+0081, a C1
   * control, which is cleaned to a space. */
  const char in[] = "caf\xE9 \x81 ok";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(in, sizeof in - 1, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.encoding, "ISO-8859-1");
  ck_assert_str_eq(d.text, "caf\xC3\xA9   ok");
  free(d.text);
}
END_TEST

START_TEST(explicit_fallback_used) {
  /* 0xA4 is the euro sign in ISO-8859-15, the currency sign in Latin-1. */
  const char in[] =
      "\xA4"
      "5 \xBD";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(in, sizeof in - 1, "ISO-8859-15", &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.encoding, "ISO-8859-15");
  ck_assert_str_eq(d.text,
                   "\xE2\x82\xAC"
                   "5 \xC5\x93");
  free(d.text);
  /* Valid UTF-8 ignores the fallback. */
  ck_assert_int_eq(decode("\xC3\xA9", 2, "ISO-8859-15", &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.encoding, "UTF-8");
  ck_assert_str_eq(d.text, "\xC3\xA9");
  free(d.text);
}
END_TEST

START_TEST(line_ends_normalized) {
  const char in[] = "a\r\nb\rc\nd\r\n\r\ne\r";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(in, sizeof in - 1, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.text, "a\nb\nc\nd\n\ne\n");
  ck_assert_uint_eq(d.len, 11);
  free(d.text);
  /* CR CR LF is two line ends. */
  ck_assert_int_eq(decode("x\r\r\ny", 5, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.text, "x\n\ny");
  free(d.text);
}
END_TEST

START_TEST(controls_become_spaces) {
  const char in[] =
      "a\x01"
      "b\x1B[0m\x7F"
      "c\td\fe\vf\x02";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(in, sizeof in - 1, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.text, "a b [0m c\td e f ");
  free(d.text);
}
END_TEST

START_TEST(c1_controls_become_spaces) {
  const char in[] =
      "one\xC2\x85two\xC2\x9Fthree\xC2\xA0"
      "four";
  decoded d;
  char err[200];
  ck_assert_int_eq(decode(in, sizeof in - 1, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  /* U+0085 and U+009F go; U+00A0 (no-break space) is not a control. */
  ck_assert_str_eq(d.text,
                   "one two three\xC2\xA0"
                   "four");
  free(d.text);
}
END_TEST

START_TEST(empty_input) {
  decoded d;
  char err[200];
  ck_assert_int_eq(decode("", 0, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_uint_eq(d.len, 0);
  ck_assert_str_eq(d.text, "");
  free(d.text);
}
END_TEST

START_TEST(check_encoding_names) {
  ck_assert_int_eq(ngi_decode_check_encoding("NOPE"), -1);
  ck_assert_int_eq(ngi_decode_check_encoding("not an encoding at all"), -1);
  ck_assert_int_eq(ngi_decode_check_encoding("UTF-8"), 0);
  ck_assert_int_eq(ngi_decode_check_encoding("WINDOWS-1252"), 0);
  ck_assert_int_eq(ngi_decode_check_encoding("ISO-8859-15"), 0);
  ck_assert_int_eq(ng_check_encoding("NOPE"), NG_EUSAGE);
  ck_assert_int_eq(ng_check_encoding(NULL), NG_EUSAGE);
  ck_assert_int_eq(ng_check_encoding("windows-1252"), NG_OK);
}
END_TEST

START_TEST(clean_in_place) {
  char s[] =
      "a\r\nb\x01\xC2\x85"
      "c\r";
  size_t n = ngi_decode_clean(s, strlen(s));
  ck_assert_uint_eq(n, 7);
  ck_assert_str_eq(s, "a\nb  c\n");
  char t[] = "nothing to do";
  ck_assert_uint_eq(ngi_decode_clean(t, strlen(t)), strlen("nothing to do"));
  ck_assert_str_eq(t, "nothing to do");
  /* A lone 0xC2 at the end (caller's bytes cut short) is kept. */
  char u[] = "x\xC2";
  ck_assert_uint_eq(ngi_decode_clean(u, 2), 2);
}
END_TEST

/* The fixtures decode as their README says. */
START_TEST(fixture_encodings) {
  size_t n;
  decoded d;
  char err[200];

  char *raw = read_fixture("articles/latin1-cp1252.txt", &n);
  ck_assert_int_eq(decode(raw, n, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.encoding, "WINDOWS-1252");
  ck_assert(contains(d.text, "Citro\xC3\xABn\xE2\x80\x99s"));
  ck_assert(contains(d.text,
                     "\xE2\x82\xAC"
                     "2bn"));
  ck_assert(contains(d.text,
                     "\xC2\xA3"
                     "600m"));
  ck_assert(contains(d.text, "Fran\xC3\xA7ois"));
  ck_assert(contains(d.text, "Lef\xC3\xA8vre"));
  free(d.text);
  free(raw);

  raw = read_fixture("articles/utf16-bom.txt", &n);
  ck_assert_int_eq(decode(raw, n, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.encoding, "UTF-16LE");
  ck_assert(contains(d.text, "Z\xC3\xBCrich"));
  ck_assert(contains(d.text, "Kyiv"));
  ck_assert_msg(strncmp(d.text, "\xEF\xBB\xBF", 3) != 0, "BOM kept");
  size_t lines = 0;
  for (size_t i = 0; i < d.len; i++) lines += d.text[i] == '\n';
  ck_assert_uint_eq(lines, 7);
  free(d.text);
  free(raw);

  raw = read_fixture("articles/crlf.txt", &n);
  ck_assert_int_eq(decode(raw, n, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_ptr_null(strchr(d.text, '\r'));
  lines = 0;
  for (size_t i = 0; i < d.len; i++) lines += d.text[i] == '\n';
  ck_assert_uint_eq(lines, 7);
  free(d.text);
  free(raw);

  raw = read_fixture("articles/binary.dat", &n);
  ck_assert_int_eq(decode(raw, n, NULL, &d, err, sizeof err), NGI_DECODE_BINARY);
  free(raw);

  raw = read_fixture("articles/summit-geneva.txt", &n);
  ck_assert_int_eq(decode(raw, n, NULL, &d, err, sizeof err), NGI_DECODE_OK);
  ck_assert_str_eq(d.encoding, "UTF-8");
  ck_assert_uint_eq(d.len, n);
  ck_assert_mem_eq(d.text, raw, n);
  free(d.text);
  free(raw);
}
END_TEST

static Suite *decode_suite(void) {
  Suite *s = suite_create("decode");
  TCase *tc = tcase_create("encodings");
  tcase_add_test(tc, utf8_passes_through);
  tcase_add_test(tc, utf8_bom_dropped);
  tcase_add_test(tc, utf8_bom_dropped_before_fallback);
  tcase_add_test(tc, utf16_le_and_be);
  tcase_add_test(tc, utf16_crlf_becomes_lf);
  tcase_add_test(tc, utf16_lone_surrogate_is_bad);
  tcase_add_test(tc, utf16_odd_length_is_bad);
  tcase_add_test(tc, utf16_nul_character_is_binary);
  tcase_add_test(tc, nul_bytes_are_binary);
  tcase_add_test(tc, invalid_utf8_is_cp1252);
  tcase_add_test(tc, cp1252_undefined_falls_back_to_latin1);
  tcase_add_test(tc, explicit_fallback_used);
  tcase_add_test(tc, check_encoding_names);
  tcase_add_test(tc, fixture_encodings);
  suite_add_tcase(s, tc);

  tc = tcase_create("cleaning");
  tcase_add_test(tc, line_ends_normalized);
  tcase_add_test(tc, controls_become_spaces);
  tcase_add_test(tc, c1_controls_become_spaces);
  tcase_add_test(tc, empty_input);
  tcase_add_test(tc, clean_in_place);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(decode_suite()); }
