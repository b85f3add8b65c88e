/*
 * fuzz_decode_segment.c -- bytes -> decode_bytes() -> segment_article().
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
 *    most NG_MAX_PASSAGE_BYTES, first_line <= last_line, and line numbers
 *    never go down from one passage to the next;
 *  - metadata strings are valid UTF-8; nothing leaks (ASan).
 */
#define _GNU_SOURCE
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *pick_fallback(const uint8_t *data, size_t size) {
  static const char *const others[] = {"ISO-8859-15", "UTF-16", "UTF-7", "SHIFT_JIS", "KOI8-R", "GB18030",
                                       "UTF-16LE", "ISO-8859-1"};
  if (size == 0 || data[0] % 4 != 0) return "WINDOWS-1252";
  return others[(data[0] / 4) % (sizeof others / sizeof others[0])];
}

static void check_string(const char *what, const char *s) {
  if (s && !fuzz_utf8(s, strlen(s))) fuzz_fail("%s is not valid UTF-8", what);
}

static void check_article(const article *a, const char *how) {
  int prev_first = 0, prev_last = 0;
  if (a->npassages > NG_MAX_PASSAGES) fuzz_fail("%s: %zu passages", how, a->npassages);
  for (size_t i = 0; i < a->npassages; i++) {
    const passage *p = &a->passages[i];
    if (p->offset + p->len >= a->texts.len || a->texts.data[p->offset + p->len] != '\0')
      fuzz_fail("%s: passage %zu [%zu, +%zu) is not a NUL-terminated string of texts (%zu bytes)", how, i,
                p->offset, p->len, a->texts.len);
    const char *t = article_text(a, i);
    if (p->len == 0) fuzz_fail("%s: passage %zu is empty", how, i);
    if (strlen(t) != p->len) fuzz_fail("%s: passage %zu holds a NUL", how, i);
    if (!fuzz_utf8(t, p->len)) fuzz_fail("%s: passage %zu is not valid UTF-8", how, i);
    if (p->len > NG_MAX_PASSAGE_BYTES) fuzz_fail("%s: passage %zu has %zu bytes", how, i, p->len);
    const char *nl = memchr(t, '\n', p->len);
    if (nl) {
      /* A headline given by the caller (a feed's title) is not cleaned of
       * line ends by segment_article. */
      if (p->kind == NG_KIND_HEADLINE && strcmp(how, "with title") == 0)
        fuzz_known("title-newline", "%s: headline passage %zu holds LF at byte %td", how, i, nl - t);
      else
        fuzz_fail("%s: passage %zu holds LF at byte %td", how, i, nl - t);
    }
    if (p->kind != NG_KIND_HEADLINE && p->kind != NG_KIND_PARAGRAPH) fuzz_fail("%s: passage %zu kind %d", how, i, p->kind);
    if (p->kind == NG_KIND_HEADLINE && i != 0) fuzz_fail("%s: passage %zu is a second headline", how, i);
    if (p->first_line < 1 || p->first_line > p->last_line)
      fuzz_fail("%s: passage %zu lines %d-%d", how, i, p->first_line, p->last_line);
    if (p->first_line < prev_first || p->last_line < prev_last)
      fuzz_fail("%s: passage %zu lines %d-%d after %d-%d", how, i, p->first_line, p->last_line, prev_first,
                prev_last);
    prev_first = p->first_line;
    prev_last = p->last_line;
  }
  check_string("title", a->title);
  check_string("dateline", a->dateline);
  check_string("date", a->date);
  check_string("source", a->source);
  check_string("url", a->url);
  check_string("author", a->author);
}

static void segment_and_check(const char *text, size_t len, const char *title, const char *how) {
  article a;
  int rc = segment_article(text, len, title, &a);
  if (rc == NG_OK) check_article(&a, how);
  else if (rc != NG_EDATA) fuzz_fail("%s: segment_article returned %d", how, rc);
  article_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  decoded d;
  char err[300];
  const char *fallback = pick_fallback(data, size);
  int rc = decode_bytes((const char *)data, size, fallback, &d, err, sizeof err);
  if (rc == DECODE_NOMEM) fuzz_fail("decode_bytes: out of memory on %zu bytes", size);
  if (rc != DECODE_OK) {
    if (d.text) fuzz_fail("decode_bytes failed (%d: %s) but left text", rc, err);
    return 0;
  }
  if (!d.text) fuzz_fail("decode_bytes: DECODE_OK without text");
  if (!d.encoding) fuzz_fail("decode_bytes: DECODE_OK without an encoding name");
  if (!fuzz_utf8(d.text, d.len)) fuzz_fail("decoded text (from %s) is not valid UTF-8", d.encoding);
  if (strlen(d.text) != d.len) fuzz_fail("decoded text (from %s) holds a NUL", d.encoding);
  long bad = fuzz_bad_control(d.text, d.len, 1);
  if (bad >= 0)
    fuzz_fail("decoded text (from %s) holds control byte 0x%02X at %ld", d.encoding, (unsigned char)d.text[bad],
              bad);

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
  return 0;
}
