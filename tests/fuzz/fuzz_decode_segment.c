/*
 * fuzz_decode_segment.c -- bytes -> ngi_decode() -> ngi_segment().
 *
 * The input is a file as it comes off disk.  Its first byte also picks the
 * fallback encoding (mostly Windows-1252, the default; sometimes another
 * one a user may give with --encoding), so one input always decodes the
 * same way and a crash replays.  What must hold:
 *  - decoded text is valid UTF-8, its length is its strlen, and it holds
 *    no control character but tab and LF (no CR, no DEL, no C1);
 *  - segmenting it (once as a file, once as a body under a title taken
 *    from the text, as feed records are) succeeds or reports too many
 *    paragraphs, and every passage is non-empty valid UTF-8 with no LF, at
 *    most NGI_MAX_PASSAGE_BYTES, first_line <= last_line, and line numbers
 *    never go down from one passage to the next;
 *  - metadata strings are valid UTF-8; nothing leaks (ASan).
 * An input that starts with the byte 0xFB stands for the rest of it
 * repeated past 64 KiB, so that long passages get cut.
 */
#define _GNU_SOURCE
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *pick_fallback(const uint8_t *data, size_t size) {
  static const char *const others[] = {"ISO-8859-15", "UTF-16",  "UTF-7",    "SHIFT_JIS",
                                       "KOI8-R",      "GB18030", "UTF-16LE", "ISO-8859-1"};
  if (size == 0 || data[0] % 4 != 0) return "WINDOWS-1252";
  return others[(data[0] / 4) % (sizeof others / sizeof others[0])];
}

static void segment_and_check(const char *text, size_t len, const char *title, const char *how) {
  article a;
  int rc = ngi_segment(text, len, title, &a);
  if (rc == NG_OK)
    fuzz_check_article(&a, how);
  else if (rc != NG_EDATA)
    fuzz_fail("%s: ngi_segment returned %d", how, rc);
  ngi_article_free(&a);
}

/* Decodes and segments one file's bytes. */
static void decode_and_segment(const uint8_t *data, size_t size) {
  decoded d;
  char err[300];
  const char *fallback = pick_fallback(data, size);
  int rc = ngi_decode((const char *)data, size, fallback, &d, err, sizeof err);
  if (rc == NGI_DECODE_NOMEM) fuzz_fail("ngi_decode: out of memory on %zu bytes", size);
  if (rc != NGI_DECODE_OK) {
    if (d.text) fuzz_fail("ngi_decode failed (%d: %s) but left text", rc, err);
    return;
  }
  if (!d.text) fuzz_fail("ngi_decode: NGI_DECODE_OK without text");
  if (!d.encoding) fuzz_fail("ngi_decode: NGI_DECODE_OK without an encoding name");
  if (!fuzz_utf8(d.text, d.len)) fuzz_fail("decoded text (from %s) is not valid UTF-8", d.encoding);
  if (strlen(d.text) != d.len) fuzz_fail("decoded text (from %s) holds a NUL", d.encoding);
  long bad = fuzz_bad_control(d.text, d.len, 1);
  if (bad >= 0)
    fuzz_fail("decoded text (from %s) holds control byte 0x%02X at %ld", d.encoding, (unsigned char)d.text[bad], bad);

  segment_and_check(d.text, d.len, NULL, "as a file");

  /* As a feed record: a title taken from the text (its first line, or a
   * slice that may run over line ends, as a JSON title may), then the
   * rest as the body. */
  size_t cut = 0;
  if (d.len > 0) {
    const char *nl = memchr(d.text, '\n', d.len);
    cut = nl ? (size_t)(nl - d.text) : d.len;
    if (size > 1 && data[1] % 3 == 0) cut = data[1] % (d.len + 1);
    while (cut > 0 && cut < d.len && ((unsigned char)d.text[cut] & 0xC0) == 0x80) cut--;
  }
  char *title = malloc(cut + 1);
  if (!title) abort();
  memcpy(title, d.text, cut);
  title[cut] = '\0';
  size_t body = cut < d.len && d.text[cut] == '\n' ? cut + 1 : cut;
  segment_and_check(d.text + body, d.len - body, title, "with title");
  free(title);
  free(d.text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Passages longer than NGI_MAX_PASSAGE_BYTES are cut, but libFuzzer's
   * inputs are a few KiB: an input that starts with 0xFB is the rest of
   * it repeated to past 64 KiB. */
  if (size >= 2 && data[0] == 0xFB) {
    size_t unit = size - 1, total = 0, want = NGI_MAX_PASSAGE_BYTES + 512 + (size_t)data[1] * 64;
    uint8_t *big = malloc(want + unit);
    if (!big) abort();
    while (total < want) {
      memcpy(big + total, data + 1, unit);
      total += unit;
    }
    decode_and_segment(big, total);
    free(big);
    return 0;
  }
  decode_and_segment(data, size);
  return 0;
}
