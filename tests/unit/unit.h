/*
 * unit.h -- what the unit suites share: temporary directories, small files,
 * and the main() that runs a suite.
 *
 * Every helper is static inline, so a suite that does not use one gets no
 * warning.  Helpers abort the test (ck_assert) when the system fails them:
 * a test that cannot set itself up has nothing to say.  Each suite includes
 * this after defining _GNU_SOURCE (for nftw, fmemopen, mkdtemp).
 */
#ifndef NG_TEST_UNIT_H
#define NG_TEST_UNIT_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* The directory that holds a test case's temporary directories, made and
 * removed by an unchecked fixture (unit_base_make, unit_base_remove): that
 * runs in the parent process, so what a failed or aborted test (whose
 * checked teardown never ran) left behind still goes. */
static char *unit_base;

/* A new empty directory under unit_base, else under $TMPDIR (or /tmp);
 * malloc'd path. */
static inline char *tmpdir_make(void) {
  const char *base = unit_base ? unit_base : getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  buf b = {0};
  ngi_buf_printf(&b, "%s/nutgraf-unit-XXXXXX", base);
  ck_assert_ptr_nonnull(b.data);
  char *dir = ngi_buf_detach(&b);
  ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
  return dir;
}

static inline int tmpdir_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if (type == FTW_DP || type == FTW_D || type == FTW_DNR)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

/* rm -rf dir, then frees the string.  Accepts NULL. */
static inline void tmpdir_remove(char *dir) {
  if (!dir) return;
  nftw(dir, tmpdir_remove_one, 16, FTW_DEPTH | FTW_PHYS);
  free(dir);
}

static inline void unit_base_make(void) {
  unit_base = NULL;
  unit_base = tmpdir_make();
}

static inline void unit_base_remove(void) {
  tmpdir_remove(unit_base);
  unit_base = NULL;
}

/* dir + "/" + name, malloc'd. */
static inline char *path_join(const char *dir, const char *name) {
  buf b = {0};
  ngi_buf_printf(&b, "%s/%s", dir, name);
  ck_assert_ptr_nonnull(b.data);
  return ngi_buf_detach(&b);
}

/* Writes n bytes (n == (size_t)-1: strlen) to dir/name, replacing it. */
static inline void write_file(const char *dir, const char *name, const char *data, size_t n) {
  if (n == (size_t)-1) n = strlen(data);
  char *path = path_join(dir, name);
  FILE *f = fopen(path, "wb");
  ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
  ck_assert_uint_eq(fwrite(data, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
  free(path);
}

/* The whole file, malloc'd and NUL-terminated; its length in *n. */
static inline char *read_whole(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot read %s: %s", path, strerror(errno));
  buf b = {0};
  char chunk[8192];
  size_t k;
  while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) ngi_buf_add(&b, chunk, k);
  fclose(f);
  ck_assert(!b.oom);
  *n = b.len;
  return ngi_buf_detach(&b);
}

/* A fixture file's bytes (fixtures/<rel> under the source tree). */
static inline char *read_fixture(const char *rel, size_t *n) {
  char *path = path_join(NG_SOURCE_DIR "/fixtures", rel);
  char *data = read_whole(path, n);
  free(path);
  return data;
}

/* Copies fixtures/<rel> to dir/<name>. */
static inline void copy_fixture(const char *rel, const char *dir, const char *name) {
  size_t n;
  char *data = read_fixture(rel, &n);
  write_file(dir, name, data, n);
  free(data);
}

/* Indexes the files under docs into a new index at path with one run;
 * returns the run's counts. */
static inline ng_run_stats index_tree(const char *path, const char *docs) {
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE;
  ng_index *w;
  ck_assert_msg(ng_index_open(&w, path, &o) == NG_OK, "%s", ng_index_errmsg(w));
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, w, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs), NG_OK);
  ng_run_stats st;
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  ng_index_close(w);
  return st;
}

/* The fixtures the search suites index (fixtures/articles and the feed). */
static const char *const unit_fixture_files[] = {"summit-geneva.txt",
                                                 "markets-blank-lines.txt",
                                                 "wire-indented.txt",
                                                 "one-per-line.txt",
                                                 "header-block.txt",
                                                 "latin1-cp1252.txt",
                                                 "utf16-bom.txt",
                                                 "crlf.txt",
                                                 "empty.txt",
                                                 "binary.dat",
                                                 NULL};

/* Copies the fixtures into dir/articles and indexes them at index_path:
 * 9 text files (empty.txt too) and 4 feed records; binary.dat skipped. */
static inline void index_fixtures(const char *dir, const char *index_path) {
  char *docs = path_join(dir, "articles");
  ck_assert_int_eq(mkdir(docs, 0700), 0);
  for (int i = 0; unit_fixture_files[i]; i++) {
    char rel[100];
    snprintf(rel, sizeof rel, "articles/%s", unit_fixture_files[i]);
    copy_fixture(rel, docs, unit_fixture_files[i]);
  }
  copy_fixture("feeds/wire.jsonl", docs, "wire.jsonl");
  ng_run_stats st = index_tree(index_path, docs);
  free(docs);
  ck_assert_int_eq(st.added, 13);
  ck_assert_int_eq(st.skipped, 1);
}

/* Does s contain sub?  (For assertions: NULL never contains anything.) */
static inline int contains(const char *s, const char *sub) { return s && strstr(s, sub) != NULL; }

/* Runs the suite; the exit status of a test program. */
static inline int run_suite(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
