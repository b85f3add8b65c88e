/*
 * fuzz.h -- what the libFuzzer targets share: failing loudly, checking
 * UTF-8 and "clean text" invariants, temporary directories.
 *
 * A target calls fuzz_fail() when an invariant is broken: it prints what and
 * where on stderr and aborts, which libFuzzer reports as a crash and saves
 * the input.
 *
 * Everything is static inline so that a target that does not use a helper
 * gets no warning.  Each target includes this after defining _GNU_SOURCE
 * (for nftw, fmemopen and mkdtemp).
 */
#ifndef NG_TEST_FUZZ_H
#define NG_TEST_FUZZ_H

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Prints "fuzz invariant broken: ..." and aborts. */
static inline void fuzz_fail(const char *fmt, ...) NGI_PRINTF(1, 2);
static inline void fuzz_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("fuzz invariant broken: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}

/* Is s[0..n) entirely valid UTF-8? */
static inline int fuzz_utf8(const char *s, size_t n) { return ngi_utf8_valid_prefix(s, n) == n; }

/* The offset of the first character in s[0..n) (valid UTF-8) that stored
 * text may not hold -- a C0 control other than tab and LF (CR included),
 * DEL, or a C1 control U+0080..U+009F -- or -1 when there is none.  With
 * allow_newline == 0, LF is refused too. */
static inline long fuzz_bad_control(const char *s, size_t n, int allow_newline) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\t' || (c == '\n' && allow_newline)) continue;
    if (c < 0x20 || c == 0x7F) return (long)i;
    if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9F) return (long)i;
  }
  return -1;
}

/* A copy of data with a NUL after it (the input as a C string). */
static inline char *fuzz_cstring(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

/* A new empty directory under $TMPDIR (or /tmp); malloc'd path.  Aborts
 * when it cannot be made: a target that cannot set itself up has nothing
 * to say. */
static inline char *fuzz_tmpdir(const char *tag) {
  const char *base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  size_t n = strlen(base) + strlen(tag) + 32;
  char *dir = malloc(n);
  if (!dir) abort();
  snprintf(dir, n, "%s/nutgraf-fuzz-%s-XXXXXX", base, tag);
  if (!mkdtemp(dir)) {
    fprintf(stderr, "mkdtemp %s: %s\n", dir, strerror(errno));
    abort();
  }
  return dir;
}

static inline int fuzz_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if (type == FTW_DP || type == FTW_D || type == FTW_DNR)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

/* rm -rf dir.  Accepts NULL. */
static inline void fuzz_rmtree(const char *dir) {
  if (dir) nftw(dir, fuzz_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* dir + "/" + name, malloc'd. */
static inline char *fuzz_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (!p) abort();
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* Writes n bytes to path, replacing it; aborts on failure. */
static inline void fuzz_write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
    fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
    abort();
  }
}

/* Copies every regular file of directory from into directory to. */
static inline void fuzz_copy_dir(const char *from, const char *to) {
  DIR *d = opendir(from);
  if (!d) {
    fprintf(stderr, "cannot read %s: %s\n", from, strerror(errno));
    abort();
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char *src = fuzz_path(from, e->d_name);
    struct stat st;
    if (stat(src, &st) == 0 && S_ISREG(st.st_mode)) {
      FILE *f = fopen(src, "rb");
      buf b = {0};
      char chunk[8192];
      size_t k;
      while (f && (k = fread(chunk, 1, sizeof chunk, f)) > 0) ngi_buf_add(&b, chunk, k);
      if (!f || b.oom) abort();
      fclose(f);
      char *dst = fuzz_path(to, e->d_name);
      fuzz_write_file(dst, b.data ? b.data : "", b.len);
      free(dst);
      ngi_buf_free(&b);
    }
    free(src);
  }
  closedir(d);
}

static inline void fuzz_check_string(const char *what, const char *s) {
  if (s && !fuzz_utf8(s, strlen(s))) fuzz_fail("%s is not valid UTF-8", what);
}

/* Checks what ngi_segment made: passages are non-empty NUL-terminated
 * valid UTF-8 without LF, at most NGI_MAX_PASSAGE_BYTES, a headline only
 * first, line numbers in order; metadata valid UTF-8.  how names the call
 * in messages. */
static inline void fuzz_check_article(const article *a, const char *how) {
  int prev_first = 0, prev_last = 0;
  if (a->npassages > NGI_MAX_PASSAGES) fuzz_fail("%s: %zu passages", how, a->npassages);
  for (size_t i = 0; i < a->npassages; i++) {
    const passage *p = &a->passages[i];
    if (p->offset + p->len >= a->texts.len || a->texts.data[p->offset + p->len] != '\0')
      fuzz_fail("%s: passage %zu [%zu, +%zu) is not a NUL-terminated string of texts (%zu bytes)", how, i, p->offset,
                p->len, a->texts.len);
    const char *t = ngi_article_text(a, i);
    if (p->len == 0) fuzz_fail("%s: passage %zu is empty", how, i);
    if (strlen(t) != p->len) fuzz_fail("%s: passage %zu holds a NUL", how, i);
    if (!fuzz_utf8(t, p->len)) fuzz_fail("%s: passage %zu is not valid UTF-8", how, i);
    if (p->len > NGI_MAX_PASSAGE_BYTES) fuzz_fail("%s: passage %zu has %zu bytes", how, i, p->len);
    const char *nl = memchr(t, '\n', p->len);
    if (nl) fuzz_fail("%s: passage %zu holds LF at byte %td", how, i, nl - t);
    if (p->kind != NG_KIND_HEADLINE && p->kind != NG_KIND_PARAGRAPH)
      fuzz_fail("%s: passage %zu kind %d", how, i, p->kind);
    if (p->kind == NG_KIND_HEADLINE && i != 0)
      fuzz_fail("%s: passage %zu is a second headline (%zu bytes)", how, i, p->len);
    if (p->first_line < 1 || p->first_line > p->last_line)
      fuzz_fail("%s: passage %zu lines %d-%d", how, i, p->first_line, p->last_line);
    if (p->first_line < prev_first || p->last_line < prev_last)
      fuzz_fail("%s: passage %zu lines %d-%d after %d-%d", how, i, p->first_line, p->last_line, prev_first, prev_last);
    prev_first = p->first_line;
    prev_last = p->last_line;
  }
  fuzz_check_string("title", a->title);
  fuzz_check_string("dateline", a->dateline);
  fuzz_check_string("date", a->date);
  fuzz_check_string("source", a->source);
  fuzz_check_string("url", a->url);
  fuzz_check_string("author", a->author);
}

#endif
