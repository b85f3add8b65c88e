/*
 * test_ingest.c -- unit suite for lib/ingest.c: incremental indexing runs
 * over files written in a temporary directory.
 */
#define _GNU_SOURCE
#include <sys/time.h>
#include <time.h>

#include "unit.h"

static char *docs; /* the files to index */
static char *home; /* where the index lives */
static char *index_path;
static ng_index *idx;

/* Reports of the last run, copied. */
typedef struct report_copy {
  char *path, *message, *encoding;
  int status, severity, error_class;
  long passages;
} report_copy;

static report_copy reports[256];
static size_t nreports;

static void clear_reports(void) {
  for (size_t i = 0; i < nreports && i < 256; i++) {
    free(reports[i].path);
    free(reports[i].message);
    free(reports[i].encoding);
  }
  nreports = 0;
}

static void on_report(void *ctx, const ng_item_report *r) {
  (void)ctx;
  if (nreports < 256) {
    report_copy *c = &reports[nreports];
    c->path = strdup(r->path);
    c->message = r->message ? strdup(r->message) : NULL;
    c->encoding = r->encoding ? strdup(r->encoding) : NULL;
    c->status = r->status;
    c->severity = r->severity;
    c->error_class = r->error_class;
    c->passages = r->passages;
  }
  nreports++;
}

/* The report whose path ends with suffix, or NULL. */
static const report_copy *report_for(const char *suffix) {
  size_t k = strlen(suffix);
  for (size_t i = 0; i < nreports && i < 256; i++) {
    size_t n = strlen(reports[i].path);
    if (n >= k && strcmp(reports[i].path + n - k, suffix) == 0) return &reports[i];
  }
  return NULL;
}

static void setup(void) {
  docs = tmpdir_make();
  home = tmpdir_make();
  index_path = path_join(home, "index.db");
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE;
  int rc = ng_index_open(&idx, index_path, &o);
  ck_assert_msg(rc == NG_OK, "%s", ng_index_errmsg(idx));
  nreports = 0;
}

static void teardown(void) {
  clear_reports();
  ng_index_close(idx);
  idx = NULL;
  free(index_path);
  index_path = NULL;
  tmpdir_remove(docs);
  tmpdir_remove(home);
  docs = home = NULL;
}

static const char article_a[] =
    "Harbour reopens after storm\n\nThe harbour reopened on Monday after a storm closed it.\n";
static const char article_b[] =
    "Council approves budget\n\nThe council approved the budget on Tuesday.\n\nIt passed by one vote.\n";
static const char article_c[] = "Rail strike called off\n\nA rail strike planned for Friday was called off.\n";

/* One run over the given paths (NULL-terminated); stats in *st. */
static int run_paths(ng_run_stats *st, const ng_run_options *opts, const char *const *paths) {
  clear_reports();
  ng_run *run = NULL;
  int rc = ng_run_begin(&run, idx, opts, on_report, NULL);
  ck_assert_msg(rc == NG_OK, "ng_run_begin: %s", ng_index_errmsg(idx));
  int worst_call = NG_OK;
  for (int i = 0; paths[i]; i++) {
    int r = ng_run_add_path(run, paths[i]);
    ck_assert_msg(r == NG_OK || r == NG_EDATA, "ng_run_add_path: %d %s", r, ng_index_errmsg(idx));
    if (r < worst_call) worst_call = r;
  }
  rc = ng_run_finish(run, st);
  ng_run_free(run);
  ck_assert_msg(rc == NG_OK, "ng_run_finish: %s", ng_index_errmsg(idx));
  return worst_call;
}

static int run_docs(ng_run_stats *st) {
  const char *paths[] = {docs, NULL};
  return run_paths(st, NULL, paths);
}

static long long documents(void) {
  ng_index_stats s;
  ck_assert_int_eq(ng_index_get_stats(idx, &s), NG_OK);
  return s.documents;
}

static void check_index(void) {
  ng_index_stats s;
  ck_assert_msg(ng_index_check(idx, &s) == NG_OK, "%s", ng_index_errmsg(idx));
}

#define CHECK_COUNTS(st, a, c, r, u, s)                                                                         \
  do {                                                                                                          \
    ck_assert_msg((st).added == (a) && (st).changed == (c) && (st).removed == (r) && (st).unchanged == (u) &&   \
                      (st).skipped == (s),                                                                      \
                  "added %lld changed %lld removed %lld unchanged %lld skipped %lld", (st).added, (st).changed, \
                  (st).removed, (st).unchanged, (st).skipped);                                                  \
  } while (0)

/* ------------------------------------------------------------------ */

START_TEST(incremental_counts) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  write_file(docs, "b.txt", article_b, (size_t)-1);
  write_file(docs, "c.txt", article_c, (size_t)-1);
  ng_run_stats st;

  ck_assert_int_eq(run_docs(&st), NG_OK);
  CHECK_COUNTS(st, 3, 0, 0, 0, 0);
  ck_assert_int_eq(st.passages_written, 2 + 3 + 2);
  ck_assert_int_eq(st.passages_removed, 0);
  ck_assert_int_eq(st.worst, 0);
  ck_assert_int_eq(documents(), 3);
  const report_copy *r = report_for("/b.txt");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->status, NG_ITEM_NEW);
  ck_assert_int_eq(r->passages, 3);
  ck_assert_pstr_eq(r->encoding, "UTF-8");
  ck_assert_msg(r->path[0] == '/', "path not absolute: %s", r->path);

  ck_assert_int_eq(run_docs(&st), NG_OK);
  CHECK_COUNTS(st, 0, 0, 0, 3, 0);
  ck_assert_int_eq(st.passages_written, 0);

  write_file(docs, "b.txt", "Council approves budget\n\nThe council approved it.\n", (size_t)-1);
  ck_assert_int_eq(run_docs(&st), NG_OK);
  CHECK_COUNTS(st, 0, 1, 0, 2, 0);
  ck_assert_int_eq(st.passages_removed, 3);
  ck_assert_int_eq(st.passages_written, 2);
  r = report_for("/b.txt");
  ck_assert_int_eq(r->status, NG_ITEM_CHANGED);

  char *c = path_join(docs, "c.txt");
  ck_assert_int_eq(unlink(c), 0);
  free(c);
  ck_assert_int_eq(run_docs(&st), NG_OK);
  CHECK_COUNTS(st, 0, 0, 1, 2, 0);
  ck_assert_int_eq(st.passages_removed, 2);
  r = report_for("/c.txt");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->status, NG_ITEM_REMOVED);
  ck_assert_int_eq(documents(), 2);
  check_index();
}
END_TEST

static void set_mtime(const char *name, time_t when) {
  char *p = path_join(docs, name);
  struct timespec ts[2] = {{when, 0}, {when, 0}};
  ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
  free(p);
}

/* ng_index_last_indexed: 0 for an empty index; a run that adds or
 * changes a document moves it to that run's time, one that finds every
 * file as it was (same size and time, long ago) leaves it, and so does a
 * removal. */
START_TEST(last_indexed_follows_changes) {
  long long t0 = 0, t1 = 0, t2 = 0;
  ck_assert_int_eq(ng_index_last_indexed(idx, &t0), NG_OK);
  ck_assert_int_eq(t0, 0);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  long long before = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
  write_file(docs, "a.txt", article_a, (size_t)-1);
  write_file(docs, "c.txt", article_c, (size_t)-1);
  set_mtime("a.txt", 1000000000);
  set_mtime("c.txt", 1000000000);
  ng_run_stats st;
  ck_assert_int_eq(run_docs(&st), NG_OK);
  ck_assert_int_eq(ng_index_last_indexed(idx, &t1), NG_OK);
  ck_assert_msg(t1 >= before, "%lld < %lld", t1, before);
  ck_assert_int_eq(run_docs(&st), NG_OK);
  ck_assert_int_eq(ng_index_last_indexed(idx, &t2), NG_OK);
  ck_assert_int_eq(t2, t1);
  write_file(docs, "a.txt", "Council approves budget\n\nThe council approved it.\n", (size_t)-1);
  set_mtime("a.txt", 1100000000);
  ck_assert_int_eq(run_docs(&st), NG_OK);
  CHECK_COUNTS(st, 0, 1, 0, 1, 0);
  ck_assert_int_eq(ng_index_last_indexed(idx, &t2), NG_OK);
  ck_assert_int_gt(t2, t1);
  char *c = path_join(docs, "c.txt");
  ck_assert_int_eq(unlink(c), 0);
  free(c);
  ck_assert_int_eq(run_docs(&st), NG_OK);
  ck_assert_int_eq(ng_index_last_indexed(idx, &t1), NG_OK);
  ck_assert_int_eq(t1, t2);
}
END_TEST

/* The writer stores the worker's token streams: every passage's tokens
 * are replayed, none tokenized a second time. */
START_TEST(worker_streams_are_replayed) {
  ng_run_stats st;
  write_file(docs, "a.txt", article_a, (size_t)-1);
  run_docs(&st); /* publishes the new index: its handle reconnects */
  long long before = ngi_tokens_replayed(idx->lx);
  write_file(docs, "b.txt", article_b, (size_t)-1);
  write_file(docs, "c.txt", article_c, (size_t)-1);
  run_docs(&st);
  CHECK_COUNTS(st, 2, 0, 0, 1, 0);
  ck_assert_int_eq(st.passages_written, 5);
  ck_assert_int_eq(ngi_tokens_replayed(idx->lx) - before, 5);
  check_index();
}
END_TEST

START_TEST(touch_is_unchanged) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  set_mtime("a.txt", time(NULL) - 3600);
  ng_run_stats st;
  run_docs(&st);
  CHECK_COUNTS(st, 1, 0, 0, 0, 0);
  set_mtime("a.txt", time(NULL) - 60);
  run_docs(&st);
  CHECK_COUNTS(st, 0, 0, 0, 1, 0);
  ck_assert_int_eq(st.passages_written, 0);
  /* Same size, other bytes, new mtime: a change. */
  char *changed = strdup(article_a);
  changed[strlen(changed) - 3] = 'X';
  write_file(docs, "a.txt", changed, (size_t)-1);
  free(changed);
  set_mtime("a.txt", time(NULL) - 30);
  run_docs(&st);
  CHECK_COUNTS(st, 0, 1, 0, 0, 0);
}
END_TEST

START_TEST(same_size_and_mtime_but_new_content) {
  /* A file rewritten within the same second as it was indexed ("racy"):
   * the content hash must decide. */
  write_file(docs, "a.txt", article_a, (size_t)-1);
  time_t t = time(NULL);
  set_mtime("a.txt", t);
  ng_run_stats st;
  run_docs(&st);
  CHECK_COUNTS(st, 1, 0, 0, 0, 0);
  char *changed = strdup(article_a);
  changed[5] = 'X';
  write_file(docs, "a.txt", changed, (size_t)-1);
  free(changed);
  set_mtime("a.txt", t);
  run_docs(&st);
  CHECK_COUNTS(st, 0, 1, 0, 0, 0);
}
END_TEST

START_TEST(full_rereads_everything) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  write_file(docs, "b.txt", article_b, (size_t)-1);
  ng_run_stats st;
  run_docs(&st);
  ng_run_options o = NG_RUN_OPTIONS_INIT;
  o.full = 1;
  const char *paths[] = {docs, NULL};
  run_paths(&st, &o, paths);
  CHECK_COUNTS(st, 0, 2, 0, 0, 0);
  ck_assert_int_eq(st.passages_written, 5);
  ck_assert_int_eq(st.passages_removed, 5);
  check_index();
}
END_TEST

START_TEST(binary_file_skipped_with_warning) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  write_file(docs, "image.png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  ng_run_stats st;
  ck_assert_int_eq(run_docs(&st), NG_OK);
  CHECK_COUNTS(st, 1, 0, 0, 0, 1);
  const report_copy *r = report_for("/image.png");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->status, NG_ITEM_SKIPPED);
  ck_assert_int_eq(r->severity, NG_SEV_WARNING);
  ck_assert_msg(contains(r->message, "binary"), "message: %s", r->message);
  ck_assert_int_eq(st.worst, 0); /* a warning is no error */
  ck_assert_int_eq(documents(), 1);
}
END_TEST

START_TEST(text_file_turned_binary_is_removed) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  ng_run_stats st;
  run_docs(&st);
  ck_assert_int_eq(documents(), 1);
  write_file(docs, "a.txt", "now\0binary", 10);
  run_docs(&st);
  ck_assert_int_eq(st.skipped, 1);
  ck_assert_int_eq(st.removed, 1);
  ck_assert_int_eq(documents(), 0);
  check_index();
}
END_TEST

START_TEST(encodings_reported) {
  write_file(docs, "latin.txt",
             "Caf\xE9 prices rise\n\nA coffee now costs \xA3"
             "3.\n",
             (size_t)-1);
  write_file(docs, "wide.txt", "\xFF\xFEH\0i\0\n\0", 8);
  ng_run_stats st;
  run_docs(&st);
  CHECK_COUNTS(st, 2, 0, 0, 0, 0);
  ck_assert_pstr_eq(report_for("/latin.txt")->encoding, "WINDOWS-1252");
  ck_assert_pstr_eq(report_for("/wide.txt")->encoding, "UTF-16LE");
  /* A chosen fallback is used. */
  ng_run_options o = NG_RUN_OPTIONS_INIT;
  o.fallback_encoding = "ISO-8859-15";
  o.full = 1;
  const char *paths[] = {docs, NULL};
  run_paths(&st, &o, paths);
  ck_assert_pstr_eq(report_for("/latin.txt")->encoding, "ISO-8859-15");
}
END_TEST

START_TEST(bad_decoding_is_an_error) {
  /* UTF-16 with a lone surrogate cannot be decoded. */
  write_file(docs, "bad16.txt",
             "\xFF\xFE"
             "a\0"
             "\x00\xD8"
             "b\0",
             8);
  ng_run_stats st;
  run_docs(&st);
  CHECK_COUNTS(st, 0, 0, 0, 0, 1);
  const report_copy *r = report_for("/bad16.txt");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->severity, NG_SEV_ERROR);
  ck_assert_int_eq(r->error_class, NG_EDATA);
  ck_assert_int_eq(st.worst, NG_EDATA);
}
END_TEST

START_TEST(unreadable_directory_reported) {
  if (geteuid() == 0) return; /* root reads everything */
  write_file(docs, "a.txt", article_a, (size_t)-1);
  char *sub = path_join(docs, "locked");
  ck_assert_int_eq(mkdir(sub, 0700), 0);
  write_file(sub, "b.txt", article_b, (size_t)-1);
  ck_assert_int_eq(chmod(sub, 0), 0);
  ng_run_stats st;
  ck_assert_int_eq(run_docs(&st), NG_OK);
  chmod(sub, 0700);
  ck_assert_int_eq(st.added, 1);
  const report_copy *r = report_for("/locked");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->status, NG_ITEM_SKIPPED);
  ck_assert_int_eq(r->severity, NG_SEV_ERROR);
  ck_assert_int_eq(r->error_class, NG_EDATA);
  ck_assert_int_eq(st.worst, NG_EDATA);
  free(sub);
}
END_TEST

START_TEST(unreadable_directory_keeps_its_documents) {
  if (geteuid() == 0) return;
  write_file(docs, "a.txt", article_a, (size_t)-1);
  char *sub = path_join(docs, "sub");
  ck_assert_int_eq(mkdir(sub, 0700), 0);
  write_file(sub, "b.txt", article_b, (size_t)-1);
  ng_run_stats st;
  run_docs(&st);
  ck_assert_int_eq(st.added, 2);
  ck_assert_int_eq(chmod(sub, 0), 0);
  run_docs(&st);
  chmod(sub, 0700);
  ck_assert_int_eq(st.removed, 0);
  ck_assert_int_eq(documents(), 2);
  /* The root itself unreadable: nothing under it goes either. */
  ck_assert_int_eq(chmod(docs, 0), 0);
  run_docs(&st);
  chmod(docs, 0700);
  ck_assert_int_eq(st.removed, 0);
  ck_assert_int_eq(st.worst, NG_EDATA);
  ck_assert_int_eq(documents(), 2);
  free(sub);
}
END_TEST

START_TEST(missing_root_keeps_its_documents) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  ng_run_stats st;
  run_docs(&st);
  ck_assert_int_eq(documents(), 1);
  /* The directory goes away (an unmounted disk): its documents stay. */
  char *moved = path_join(home, "moved");
  ck_assert_int_eq(rename(docs, moved), 0);
  int rc = run_docs(&st);
  ck_assert_int_eq(rename(moved, docs), 0);
  free(moved);
  ck_assert_int_eq(rc, NG_EDATA);
  ck_assert_int_eq(st.removed, 0);
  ck_assert_int_eq(st.worst, NG_EDATA);
  ck_assert_int_eq(documents(), 1);
}
END_TEST

START_TEST(symlink_loop_reported) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  char *sub = path_join(docs, "dir");
  ck_assert_int_eq(mkdir(sub, 0700), 0);
  write_file(sub, "b.txt", article_b, (size_t)-1);
  char *loop = path_join(sub, "loop");
  ck_assert_int_eq(symlink("..", loop), 0);
  char *self = path_join(docs, "self");
  ck_assert_int_eq(symlink("self", self), 0);
  ng_run_stats st;
  ck_assert_int_eq(run_docs(&st), NG_OK);
  ck_assert_int_eq(st.added, 2);
  /* Loops are reported and skipped (a warning or an error: the link is
   * not the user's text), and the walk goes on. */
  const report_copy *r = report_for("/dir/loop");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->status, NG_ITEM_SKIPPED);
  ck_assert_int_ge(r->severity, NG_SEV_WARNING);
  ck_assert_msg(contains(r->message, "loop"), "message: %s", r->message);
  r = report_for("/self");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->status, NG_ITEM_SKIPPED);
  ck_assert_int_ge(r->severity, NG_SEV_WARNING);
  ck_assert_msg(contains(r->message, "loop"), "message: %s", r->message);
  ck_assert_int_eq(st.skipped, 2);
  ck_assert_int_eq(documents(), 2);
  free(sub);
  free(loop);
  free(self);
}
END_TEST

START_TEST(hidden_excluded_and_own_files_skipped) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  write_file(docs, ".hidden.txt", article_b, (size_t)-1);
  write_file(docs, "notes.skip", article_c, (size_t)-1);
  /* An index inside the tree it indexes is not read as a document. */
  ng_index_close(idx);
  free(index_path);
  index_path = path_join(docs, "index.db");
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE;
  ck_assert_int_eq(ng_index_open(&idx, index_path, &o), NG_OK);
  const char *const exclude[] = {"*.skip", NULL};
  ng_run_options ro = NG_RUN_OPTIONS_INIT;
  ro.exclude = exclude;
  const char *paths[] = {docs, NULL};
  ng_run_stats st;
  run_paths(&st, &ro, paths);
  CHECK_COUNTS(st, 1, 0, 0, 0, 0);
  ck_assert_ptr_null(report_for("index.db"));
  ck_assert_ptr_null(report_for("index.db.lock"));
  ck_assert_ptr_null(report_for(".hidden.txt"));
  ck_assert_ptr_null(report_for("notes.skip"));
}
END_TEST

/* Only the index's own files (the index, -wal, -shm, -journal, .lock) are
 * skipped by name, not every file whose name starts like the index's. */
START_TEST(files_named_like_the_index_are_indexed) {
  ng_index_close(idx);
  free(index_path);
  index_path = path_join(docs, "news");
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE;
  ck_assert_int_eq(ng_index_open(&idx, index_path, &o), NG_OK);
  write_file(docs, "news-today.txt", article_a, (size_t)-1);
  write_file(docs, "other.txt", article_b, (size_t)-1);
  ng_run_stats st;
  run_docs(&st);
  ck_assert_ptr_null(report_for("/news"));
  ck_assert_ptr_null(report_for("/news.lock"));
  ck_assert_msg(st.added == 2, "added %lld of 2 (news-today.txt %s)", st.added,
                report_for("/news-today.txt") ? "reported" : "not even reported");
}
END_TEST

START_TEST(relative_paths_stored_absolute) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  char *cwd = getcwd(NULL, 0);
  ck_assert_ptr_nonnull(cwd);
  ck_assert_int_eq(chdir(docs), 0);
  const char *paths[] = {"./sub/../", NULL};
  ng_run_stats st;
  run_paths(&st, NULL, paths);
  int back = chdir(cwd);
  free(cwd);
  ck_assert_int_eq(back, 0);
  ck_assert_int_eq(st.added, 1);
  char *want = path_join(docs, "a.txt");
  ck_assert_str_eq(reports[0].path, want);
  free(want);
}
END_TEST

/* Regression (UBSan, NG_SANITIZE build only; fixed): walk() calls qsort(NULL, 0, ...)
 * for a directory with no entries (ingest.c, walk: names.items is NULL);
 * qsort's pointer is declared nonnull, and with -fno-sanitize-recover the
 * run aborts. */
START_TEST(empty_directory) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  char *sub = path_join(docs, "empty");
  ck_assert_int_eq(mkdir(sub, 0700), 0);
  ng_run_stats st;
  ck_assert_int_eq(run_docs(&st), NG_OK);
  ck_assert_int_eq(st.added, 1);
  ck_assert_int_eq(st.worst, 0);
  free(sub);
}
END_TEST

START_TEST(single_file_root) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  write_file(docs, "b.txt", article_b, (size_t)-1);
  char *a = path_join(docs, "a.txt");
  const char *paths[] = {a, NULL};
  ng_run_stats st;
  run_paths(&st, NULL, paths);
  CHECK_COUNTS(st, 1, 0, 0, 0, 0);
  /* A run over b.txt alone removes nothing of a.txt. */
  char *b = path_join(docs, "b.txt");
  const char *paths2[] = {b, NULL};
  run_paths(&st, NULL, paths2);
  CHECK_COUNTS(st, 1, 0, 0, 0, 0);
  ck_assert_int_eq(documents(), 2);
  free(a);
  free(b);
}
END_TEST

START_TEST(too_large_skipped) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  ng_run_options o = NG_RUN_OPTIONS_INIT;
  o.max_file_size = 10;
  const char *paths[] = {docs, NULL};
  ng_run_stats st;
  run_paths(&st, &o, paths);
  CHECK_COUNTS(st, 0, 0, 0, 0, 1);
  const report_copy *r = report_for("/a.txt");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->status, NG_ITEM_SKIPPED);
  ck_assert_msg(contains(r->message, "10 bytes"), "message: %s", r->message);
  ck_assert_int_ge(r->severity, NG_SEV_WARNING);
}
END_TEST

/* Regression (UBSan, NG_SANITIZE build only; fixed): when a run queued no word at all,
 * store_commit -> store_flush_words calls qsort(NULL, 0, ...) on the
 * lexicon's never-allocated fresh list (store.c, store_flush_words);
 * qsort's pointer is declared nonnull, and with -fno-sanitize-recover the
 * run aborts. */
START_TEST(empty_file_has_no_passages) {
  write_file(docs, "empty.txt", "", 0);
  ng_run_stats st;
  run_docs(&st);
  ck_assert_int_eq(st.passages_written, 0);
  ck_assert_int_eq(st.worst, 0);
  check_index();
}
END_TEST

/* ------------------------------------------------------------------ */
/* Feeds */

static const char feed_two[] =
    "{\"id\": \"r1\", \"title\": \"Harbour reopens\", \"body\": \"The harbour reopened.\\n\\nShips came in.\"}\n"
    "{\"id\": 2, \"title\": \"Budget passes\", \"body\": \"The budget passed.\", \"date\": \"2025-04-12\"}\n";

START_TEST(jsonl_files_are_feeds) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  write_file(docs, "wire.jsonl", feed_two, (size_t)-1);
  ng_run_stats st;
  ck_assert_int_eq(run_docs(&st), NG_OK);
  ck_assert_int_eq(st.added, 3);
  ck_assert_int_eq(st.passages_written, 2 + 3 + 2);
  const report_copy *r = report_for("/wire.jsonl//#r1");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->status, NG_ITEM_NEW);
  ck_assert_int_eq(r->passages, 3);
  ck_assert_ptr_nonnull(report_for("/wire.jsonl//#2"));

  /* Unchanged feed: nothing re-read. */
  run_docs(&st);
  ck_assert_int_eq(st.added + st.changed + st.removed, 0);

  /* A record dropped from the feed is removed; the other stays. */
  const char *one =
      "{\"id\": \"r1\", \"title\": \"Harbour reopens\", \"body\": \"The harbour reopened.\\n\\nShips came in.\"}\n";
  write_file(docs, "wire.jsonl", one, (size_t)-1);
  run_docs(&st);
  ck_assert_int_eq(st.removed, 1);
  ck_assert_int_eq(st.added, 0);
  ck_assert_int_eq(st.changed, 0);
  r = report_for("/wire.jsonl//#2");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->status, NG_ITEM_REMOVED);
  check_index();

  /* The feed file gone: its records go with it. */
  char *p = path_join(docs, "wire.jsonl");
  unlink(p);
  free(p);
  run_docs(&st);
  ck_assert_int_eq(st.removed, 1);
  ck_assert_int_eq(documents(), 1);
  check_index();
}
END_TEST

START_TEST(fixture_feed) {
  copy_fixture("feeds/wire.jsonl", docs, "wire.jsonl");
  ng_run_stats st;
  ck_assert_int_eq(run_docs(&st), NG_OK);
  ck_assert_int_eq(st.added, 4);
  ck_assert_int_eq(st.passages_written, (1 + 3) + (1 + 2) + (1 + 2) + (1 + 3));
  ck_assert_int_eq(st.worst, 0);
  ck_assert_ptr_nonnull(report_for("#nw-2025-0413-004"));
}
END_TEST

static FILE *mem(const char *s) {
  FILE *f = fmemopen((void *)(uintptr_t)s, strlen(s), "r");
  ck_assert_ptr_nonnull(f);
  return f;
}

START_TEST(feed_from_stream) {
  ng_run *run;
  ng_run_stats st;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, on_report, NULL), NG_OK);
  FILE *f = mem(feed_two);
  int rc = ng_run_add_feed(run, "-", f);
  fclose(f);
  ck_assert_int_eq(rc, NG_OK);
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  ck_assert_int_eq(st.added, 2);
  ck_assert_ptr_nonnull(report_for("stdin#r1"));
  ck_assert_ptr_nonnull(report_for("stdin#2"));
  ck_assert_int_eq(documents(), 2);

  /* The same records again: unchanged; one edited: changed. */
  clear_reports();
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, on_report, NULL), NG_OK);
  f =
      mem("{\"id\": \"r1\", \"title\": \"Harbour reopens\", \"body\": \"The harbour reopened.\\n\\nShips came in.\"}\n"
          "{\"id\": 2, \"title\": \"Budget passes\", \"body\": \"The budget passed at last.\"}\n");
  ck_assert_int_eq(ng_run_add_feed(run, "-", f), NG_OK);
  fclose(f);
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  ck_assert_int_eq(st.unchanged, 1);
  ck_assert_int_eq(st.changed, 1);
  ck_assert_int_eq(st.added, 0);
  ck_assert_int_eq(documents(), 2);
  check_index();
}
END_TEST

/* One search's hits' paths and feed lines, "path:feed_line" a line. */
static char *hits_of(const char *query) {
  ng_search_options so = NG_SEARCH_OPTIONS_INIT;
  so.per_document = 1;
  so.limit = -1;
  ng_results *res = NULL;
  ck_assert_msg(ng_search(idx, query, &so, &res) == NG_OK, "%s", ng_index_errmsg(idx));
  buf b = {0};
  const ng_hit *h;
  while (ng_results_next(res, &h) == NG_ROW) {
    /* An absolute path from its base name (docs is a temporary directory). */
    const char *shown = h->path;
    if (h->path[0] == '/') {
      const char *sep = strstr(h->path, "//#");
      const char *base = sep ? sep : h->path + strlen(h->path);
      while (base > h->path && base[-1] != '/') base--;
      shown = base;
    }
    ngi_buf_printf(&b, "%s:%d|", shown, h->feed_line);
  }
  ng_results_free(res);
  return b.data ? ngi_buf_detach(&b) : strdup("");
}

static int run_stream(ng_run_stats *st, const char *name, const char *text) {
  clear_reports();
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, on_report, NULL), NG_OK);
  FILE *f = mem(text);
  int rc = name ? ng_run_add_named_feed(run, name, f) : ng_run_add_feed(run, "-", f);
  fclose(f);
  if (rc == NG_OK) ck_assert_int_eq(ng_run_finish(run, st), NG_OK);
  ng_run_free(run);
  return rc;
}

static int run_remove(ng_run_stats *st, const char *what) {
  clear_reports();
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, on_report, NULL), NG_OK);
  int rc = ng_run_remove(run, what);
  ck_assert_int_eq(ng_run_finish(run, st), NG_OK);
  ng_run_free(run);
  return rc;
}

/* Streams under names keep records of the same id apart (issue 13). */
START_TEST(named_streams_keep_their_records) {
  ng_run_stats st;
  const char *ap = "{\"id\": 1, \"title\": \"AP harbour\", \"body\": \"The harbour reopened.\"}\n";
  const char *afp = "{\"id\": 1, \"title\": \"AFP harbour\", \"body\": \"The harbour stays shut.\"}\n";
  ck_assert_int_eq(run_stream(&st, "ap", ap), NG_OK);
  ck_assert_ptr_nonnull(report_for("ap//#1"));
  ck_assert_int_eq(run_stream(&st, "afp", afp), NG_OK);
  ck_assert_int_eq(st.added, 1);
  ck_assert_int_eq(run_stream(&st, NULL, "{\"id\": 1, \"title\": \"Harbour\", \"body\": \"A harbour tour.\"}\n"),
                   NG_OK);
  ck_assert_ptr_nonnull(report_for("stdin#1"));
  ck_assert_int_eq(st.added, 1);
  ck_assert_int_eq(run_stream(&st, "ap", ap), NG_OK);
  ck_assert_int_eq(st.unchanged, 1);
  ck_assert_int_eq(st.added + st.changed, 0);
  char *h = hits_of("harbour");
  ck_assert_ptr_nonnull(strstr(h, "ap//#1:0|"));
  ck_assert_ptr_nonnull(strstr(h, "afp//#1:0|"));
  ck_assert_ptr_nonnull(strstr(h, "stdin#1:0|"));
  free(h);
  ck_assert_int_eq(documents(), 3);
  /* Bad names. */
  ck_assert_int_eq(run_stream(&st, "a/b", ap), NG_EUSAGE);
  ck_assert_int_eq(run_stream(&st, "-x", ap), NG_EUSAGE);
  ck_assert_int_eq(ng_check_feed_name("wire.AP_2-x"), NG_OK);
  ck_assert_int_eq(ng_check_feed_name(""), NG_EUSAGE);
  ck_assert_int_eq(ng_check_feed_name("a:b"), NG_EUSAGE);
  ck_assert_int_eq(ng_check_feed_name("a#b"), NG_EUSAGE);
  check_index();
}
END_TEST

/* A feed file's records keep their line in the file, which follows the
 * file when a record is added above them (without reading them again). */
START_TEST(feed_lines_follow_the_file) {
  ng_run_stats st;
  write_file(docs, "wire.jsonl", feed_two, (size_t)-1);
  run_docs(&st);
  /* (the two hits in either order: the ranking decides it) */
  char *h = hits_of("harbour OR budget");
  ck_assert_int_eq(strlen(h), strlen("wire.jsonl//#r1:1|wire.jsonl//#2:2|"));
  ck_assert_ptr_nonnull(strstr(h, "wire.jsonl//#r1:1|"));
  ck_assert_ptr_nonnull(strstr(h, "wire.jsonl//#2:2|"));
  free(h);
  buf moved = {0};
  ngi_buf_printf(&moved, "\n{\"id\": 9, \"title\": \"Rail strike\", \"body\": \"Off.\"}\n%s", feed_two);
  write_file(docs, "wire.jsonl", moved.data, (size_t)-1);
  ngi_buf_free(&moved);
  run_docs(&st);
  ck_assert_int_eq(st.added, 1);
  ck_assert_int_eq(st.unchanged, 2);
  h = hits_of("harbour OR budget");
  ck_assert_int_eq(strlen(h), strlen("wire.jsonl//#r1:3|wire.jsonl//#2:4|"));
  ck_assert_ptr_nonnull(strstr(h, "wire.jsonl//#r1:3|"));
  ck_assert_ptr_nonnull(strstr(h, "wire.jsonl//#2:4|"));
  free(h);
  check_index();
}
END_TEST

/* ng_run_remove: a path, a directory, a feed file, FILE:ID, a stream's
 * name, NAME:ID; NG_DONE when there is nothing; a run does not both. */
START_TEST(remove_by_path_and_feed) {
  ng_run_stats st;
  char *sub = path_join(docs, "sub");
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  free(sub);
  write_file(docs, "a.txt", article_a, (size_t)-1);
  write_file(docs, "sub/b.txt", article_b, (size_t)-1);
  write_file(docs, "sub/c.txt", article_c, (size_t)-1);
  write_file(docs, "wire.jsonl", feed_two, (size_t)-1);
  run_docs(&st);
  ck_assert_int_eq(run_stream(&st, "ap", feed_two), NG_OK);
  ck_assert_int_eq(documents(), 7); /* 3 files, 2 + 2 records */

  char *p = path_join(docs, "wire.jsonl:r1");
  ck_assert_int_eq(run_remove(&st, p), NG_OK);
  free(p);
  ck_assert_int_eq(nreports, 1);
  ck_assert_ptr_nonnull(report_for("wire.jsonl//#r1"));
  ck_assert_int_eq(reports[0].status, NG_ITEM_REMOVED);
  ck_assert_int_eq(run_remove(&st, "ap:2"), NG_OK);
  ck_assert_ptr_nonnull(report_for("ap//#2"));
  ck_assert_int_eq(st.removed, 1);
  p = path_join(docs, "sub");
  ck_assert_int_eq(run_remove(&st, p), NG_OK);
  ck_assert_int_eq(st.removed, 2);
  ck_assert_int_eq(run_remove(&st, p), NG_DONE);
  free(p);
  p = path_join(docs, "wire.jsonl");
  ck_assert_int_eq(run_remove(&st, p), NG_OK);
  free(p);
  ck_assert_int_eq(nreports, 2); /* record 2, then the feed */
  ck_assert_ptr_nonnull(strstr(reports[0].path, "wire.jsonl//#2"));
  ck_assert_ptr_nonnull(report_for("/wire.jsonl"));
  ck_assert_int_eq(run_remove(&st, "ap"), NG_OK);
  ck_assert_int_eq(run_remove(&st, "nothing-here"), NG_DONE);
  ck_assert_int_eq(documents(), 1);
  char *h = hits_of("harbour OR budget OR rail");
  ck_assert_str_eq(h, "a.txt:0|");
  free(h);
  check_index();

  /* Indexing and removing in one run is refused. */
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs), NG_OK);
  ck_assert_int_eq(ng_run_remove(run, docs), NG_EUSAGE);
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  /* The removed files come back as new. */
  ck_assert_int_eq(documents(), 7 - 2);
}
END_TEST

/* --source fills in a missing source; README* and *.md in folders are
 * skipped unless include_docs; version-1 options still work. */
START_TEST(source_and_docs) {
  ng_run_stats st;
  write_file(docs, "a.txt", article_a, (size_t)-1);
  write_file(docs, "b.txt", "Source: Own\n\nHeadline\n\nThe budget passed.\n", (size_t)-1);
  write_file(docs, "README", "Readme\n\nThis folder holds the harbour stories.\n", (size_t)-1);
  write_file(docs, "notes.MD", "Notes\n\nMore harbour notes.\n", (size_t)-1);
  ng_run_options o = NG_RUN_OPTIONS_INIT;
  o.source = "Desk";
  const char *paths[] = {docs, NULL};
  run_paths(&st, &o, paths);
  ck_assert_int_eq(st.added, 2);
  ck_assert_ptr_null(report_for("/README"));
  char *h = hits_of("source:Desk (harbour OR budget)");
  ck_assert_str_eq(h, "a.txt:0|");
  free(h);
  h = hits_of("source:Own (harbour OR budget)");
  ck_assert_str_eq(h, "b.txt:0|");
  free(h);
  o.include_docs = 1;
  run_paths(&st, &o, paths);
  ck_assert_int_eq(st.added, 2);
  ck_assert_ptr_nonnull(report_for("/README"));
  ck_assert_ptr_nonnull(report_for("/notes.MD"));
  /* A version-1 caller: no source, docs skipped again (and so removed). */
  ng_run_options v1 = NG_RUN_OPTIONS_INIT;
  v1.version = 1;
  v1.source = (const char *)0x1; /* beyond version 1: never read */
  run_paths(&st, &v1, paths);
  ck_assert_int_eq(st.removed, 2);
  /* A README given as a path is indexed. */
  const char *readme[] = {NULL, NULL};
  char *r = path_join(docs, "README");
  readme[0] = r;
  run_paths(&st, NULL, readme);
  ck_assert_int_eq(st.added, 1);
  free(r);
  check_index();
}
END_TEST

/* Regression (fixed): ng_run_add_feed on a directory returns NG_EDATA ("a directory, not a
 * JSON Lines feed"), but add_root() has already made the directory a root
 * of the run, so ng_run_finish removes every document under it that the
 * run did not see -- here all of them.  nutgraf.h: on NG_EDATA "nothing
 * under it is removed". */
START_TEST(directory_named_as_feed_removes_nothing) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  write_file(docs, "wire.jsonl", feed_two, (size_t)-1);
  ng_run_stats st;
  run_docs(&st);
  ck_assert_int_eq(documents(), 3);
  ng_run *run;
  clear_reports();
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, on_report, NULL), NG_OK);
  int rc = ng_run_add_feed(run, docs, NULL);
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  ck_assert_int_eq(rc, NG_EDATA);
  ck_assert_int_eq(st.worst, NG_EDATA);
  ck_assert_msg(st.removed == 0, "removed %lld documents", st.removed);
  ck_assert_int_eq(documents(), 3);
}
END_TEST

START_TEST(bad_json_line_reported) {
  write_file(docs, "wire.jsonl",
             "{\"id\": \"r1\", \"title\": \"Harbour reopens\", \"body\": \"The harbour reopened.\"}\n"
             "{\"id\": \"r2\", \"title\": \"Broken\n"
             "{\"id\": \"r3\", \"title\": \"No body\"}\n"
             "\n"
             "{\"id\": \"r5\", \"title\": \"Fine\", \"body\": \"All good.\"}\n",
             (size_t)-1);
  ng_run_stats st;
  ck_assert_int_eq(run_docs(&st), NG_OK);
  ck_assert_int_eq(st.added, 2);
  const report_copy *r = report_for("/wire.jsonl:2");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->severity, NG_SEV_ERROR);
  ck_assert_int_eq(r->error_class, NG_EDATA);
  ck_assert_ptr_nonnull(r->message);
  r = report_for("/wire.jsonl:3");
  ck_assert_ptr_nonnull(r);
  ck_assert_msg(contains(r->message, "body"), "message: %s", r->message);
  ck_assert_int_eq(st.worst, NG_EDATA);

  /* From a stream, the line is named after stdin. */
  ng_run *run;
  clear_reports();
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, on_report, NULL), NG_OK);
  FILE *f = mem("{\"id\": \"s1\", \"title\": \"T\", \"body\": \"B.\"}\nnot json at all\n");
  ck_assert_int_eq(ng_run_add_feed(run, "-", f), NG_OK);
  fclose(f);
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  ck_assert_ptr_nonnull(report_for("stdin:2"));
  ck_assert_int_eq(st.worst, NG_EDATA);
  ck_assert_int_eq(st.added, 1);
}
END_TEST

START_TEST(feed_by_name) {
  /* Named as a feed, a file is one whatever its name ends with. */
  write_file(docs, "named.txt", feed_two, (size_t)-1);
  char *p = path_join(docs, "named.txt");
  ng_run *run;
  ng_run_stats st;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, on_report, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_feed(run, p, NULL), NG_OK);
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  free(p);
  ck_assert_int_eq(st.added, 2);
  ck_assert_ptr_nonnull(report_for("/named.txt//#r1"));
  ck_assert_ptr_nonnull(report_for("/named.txt//#2"));
  /* A feed that is not there. */
  char *missing = path_join(docs, "missing.jsonl");
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, on_report, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_feed(run, missing, NULL), NG_EDATA);
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  free(missing);
  ck_assert_int_eq(st.worst, NG_EDATA);
  ck_assert_int_eq(documents(), 2);
}
END_TEST

/* ------------------------------------------------------------------ */

START_TEST(run_needs_write_handle) {
  ng_index *ro;
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK); /* publishes the new index */
  ck_assert_int_eq(ng_run_finish(run, NULL), NG_OK);
  ng_run_free(run);
  ck_assert_int_eq(ng_index_open(&ro, index_path, NULL), NG_OK);
  run = (ng_run *)&run;
  ck_assert_int_eq(ng_run_begin(&run, ro, NULL, NULL, NULL), NG_EUSAGE);
  ck_assert_ptr_null(run);
  ng_index_close(ro);
  ng_run_options o = NG_RUN_OPTIONS_INIT;
  o.fallback_encoding = "NOPE";
  ck_assert_int_eq(ng_run_begin(&run, idx, &o, NULL, NULL), NG_EUSAGE);
  ck_assert_ptr_null(run);
  ck_assert(contains(ng_index_errmsg(idx), "NOPE"));
  ng_run_free(NULL);
}
END_TEST

START_TEST(progress_and_no_callback) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs), NG_OK);
  ng_run_stats st;
  ng_run_progress(run, &st);
  ck_assert_int_eq(st.added, 1);
  ck_assert_int_eq(ng_run_finish(run, NULL), NG_OK);
  ng_run_free(run);
  ck_assert_int_eq(documents(), 1);
}
END_TEST

START_TEST(abandoned_run_keeps_index_sound) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs), NG_OK);
  ng_run_free(run); /* no finish */
  check_index();
  /* Whatever was or was not committed, the next run completes the job. */
  ng_run_stats st;
  run_docs(&st);
  ck_assert_int_eq(st.added + st.unchanged, 1);
  ck_assert_int_eq(documents(), 1);
  check_index();
}
END_TEST

/* --max-size holds for a feed read from a stream: the long line is
 * skipped with a warning, the others are indexed. */
START_TEST(stream_line_over_max_size) {
  buf feed = {0};
  ngi_buf_adds(&feed, "{\"id\": \"long\", \"title\": \"Long\", \"body\": \"");
  for (int i = 0; i < 2000; i++) ngi_buf_adds(&feed, "words ");
  ngi_buf_adds(&feed, "\"}\n{\"id\": \"short\", \"title\": \"Short\", \"body\": \"A short one.\"}\n");
  ng_run_options o = NG_RUN_OPTIONS_INIT;
  o.max_file_size = 1000;
  ng_run *run;
  ng_run_stats st;
  ck_assert_int_eq(ng_run_begin(&run, idx, &o, on_report, NULL), NG_OK);
  FILE *f = mem(feed.data);
  ck_assert_int_eq(ng_run_add_feed(run, "-", f), NG_OK);
  fclose(f);
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  ngi_buf_free(&feed);
  ck_assert_int_eq(st.added, 1);
  const report_copy *r = report_for("stdin:1");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(r->severity, NG_SEV_WARNING);
  ck_assert(strstr(r->message, "--max-size") != NULL);
  ck_assert_ptr_nonnull(report_for("stdin#short"));
}
END_TEST

/* A rebuild (NG_OPEN_REBUILD) of an index that holds two roots and records
 * read from standard input, run on one root: the new index holds all of
 * it, the other root read again and the stdin records copied, and replaces
 * the old one only when the run finishes. */
START_TEST(rebuild_carries_over) {
  char *other = tmpdir_make();
  write_file(docs, "a.txt", article_a, (size_t)-1);
  write_file(other, "b.txt", article_b, (size_t)-1);
  const char *both[] = {docs, other, NULL};
  ng_run_stats st;
  run_paths(&st, NULL, both);
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  FILE *f = mem(feed_two);
  ck_assert_int_eq(ng_run_add_feed(run, "-", f), NG_OK);
  fclose(f);
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  ck_assert_int_eq(documents(), 4);
  ng_index_close(idx);

  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_REBUILD;
  ck_assert_msg(ng_index_open(&idx, index_path, &o) == NG_OK, "%s", ng_index_errmsg(idx));
  clear_reports();
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, on_report, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs), NG_OK);
  /* Until the run finishes, readers see the old index, whole. */
  ng_index *reader;
  ck_assert_int_eq(ng_index_open(&reader, index_path, NULL), NG_OK);
  ng_index_stats rs;
  ck_assert_int_eq(ng_index_get_stats(reader, &rs), NG_OK);
  ck_assert_int_eq(rs.documents, 4);
  ng_index_close(reader);
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  CHECK_COUNTS(st, 0, 2, 0, 2, 0);
  ck_assert_int_eq(report_for("/a.txt")->status, NG_ITEM_CHANGED);
  ck_assert_int_eq(report_for("/b.txt")->status, NG_ITEM_CHANGED);
  ck_assert_int_eq(report_for("stdin#r1")->status, NG_ITEM_UNCHANGED);
  ck_assert_int_eq(documents(), 4);
  check_index();
  ck_assert_int_eq(ng_index_open(&reader, index_path, NULL), NG_OK);
  ck_assert_int_eq(ng_index_get_stats(reader, &rs), NG_OK);
  ck_assert_int_eq(rs.documents, 4);
  ng_index_close(reader);
  tmpdir_remove(other);
}
END_TEST

/* Records read from standard input are copied by a rebuild as they were:
 * a copy stays in its story's duplicate group, and the dateline keeps
 * its day. */
static const char feed_copies[] =
    "{\"id\": \"c1\", \"title\": \"Refinery fire\", \"body\": \"HOUSTON, Feb 26 - A fire broke out at a "
    "refinery on the ship channel on Thursday.\\n\\nCrews worked through the night to contain the blaze.\"}\n"
    "{\"id\": \"c2\", \"title\": \"Refinery fire\", \"body\": \"HOUSTON, Feb 26 - A fire broke out at a "
    "refinery on the ship channel on Thursday.\\n\\nCrews worked through the night to contain the blaze.\"}\n";

static void check_copied_story(void) {
  ng_search_options so = NG_SEARCH_OPTIONS_INIT;
  ng_results *res = NULL;
  ck_assert_msg(ng_search(idx, "refinery", &so, &res) == NG_OK, "%s", ng_index_errmsg(idx));
  const ng_hit *h;
  int n = 0;
  while (ng_results_next(res, &h) == NG_ROW) {
    n++;
    ck_assert_int_eq(h->copies, 2);
    ck_assert_int_eq(h->ncopy_paths, 1); /* the other copy, by its name */
    ck_assert_ptr_nonnull(strstr(h->copy_paths[0], h->path[strlen(h->path) - 1] == '1' ? "#c2" : "#c1"));
    ck_assert_ptr_nonnull(h->dateline_day);
    ck_assert_str_eq(h->dateline_day, "Feb 26");
    ck_assert_ptr_nonnull(h->dateline);
    ck_assert_str_eq(h->dateline, "HOUSTON");
  }
  ng_results_free(res);
  ck_assert_int_eq(n, 1); /* the copies collapsed into one result */
  /* Counted and not named when the caller shows only their number, and
   * named by a caller of version 4 (before copy_paths). */
  for (int version = 5; version >= 4; version--) {
    so.version = (unsigned)version;
    so.copy_paths = version == 5 ? 0 : -7; /* version 4: never read */
    ck_assert_msg(ng_search(idx, "refinery", &so, &res) == NG_OK, "%s", ng_index_errmsg(idx));
    ck_assert_int_eq(ng_results_next(res, &h), NG_ROW);
    ck_assert_int_eq(h->copies, 2);
    ck_assert_int_eq(h->ncopy_paths, version == 5 ? 0 : 1);
    ng_results_free(res);
  }
}

START_TEST(rebuild_keeps_copied_records_grouped) {
  ng_run_stats st;
  ck_assert_int_eq(run_stream(&st, NULL, feed_copies), NG_OK);
  ck_assert_int_eq(documents(), 2);
  check_copied_story();
  ng_index_close(idx);
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_REBUILD;
  ck_assert_msg(ng_index_open(&idx, index_path, &o) == NG_OK, "%s", ng_index_errmsg(idx));
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  ck_assert_int_eq(st.unchanged, 2);
  ck_assert_int_eq(documents(), 2);
  check_copied_story();
  check_index();
}
END_TEST

/* A rebuild that is freed without finishing leaves the old index as it
 * was, and its temporary file is gone. */
START_TEST(unfinished_rebuild_changes_nothing) {
  write_file(docs, "a.txt", article_a, (size_t)-1);
  ng_run_stats st;
  run_docs(&st);
  ng_index_close(idx);
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_REBUILD;
  ck_assert_int_eq(ng_index_open(&idx, index_path, &o), NG_OK);
  write_file(docs, "b.txt", article_b, (size_t)-1);
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs), NG_OK);
  ng_run_free(run); /* no finish */
  ng_index_close(idx);
  ck_assert_int_eq(ng_index_open(&idx, index_path, NULL), NG_OK);
  ck_assert_int_eq(documents(), 1);
  buf tmp = {0};
  ngi_buf_printf(&tmp, "%s.new-%ld", index_path, (long)getpid());
  ck_assert_int_eq(access(tmp.data, F_OK), -1);
  ngi_buf_free(&tmp);
}
END_TEST

static Suite *ingest_suite(void) {
  Suite *s = suite_create("ingest");
  TCase *tc = tcase_create("files");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, incremental_counts);
  tcase_add_test(tc, worker_streams_are_replayed);
  tcase_add_test(tc, touch_is_unchanged);
  tcase_add_test(tc, same_size_and_mtime_but_new_content);
  tcase_add_test(tc, full_rereads_everything);
  tcase_add_test(tc, binary_file_skipped_with_warning);
  tcase_add_test(tc, text_file_turned_binary_is_removed);
  tcase_add_test(tc, encodings_reported);
  tcase_add_test(tc, bad_decoding_is_an_error);
  tcase_add_test(tc, unreadable_directory_reported);
  tcase_add_test(tc, unreadable_directory_keeps_its_documents);
  tcase_add_test(tc, missing_root_keeps_its_documents);
  tcase_add_test(tc, symlink_loop_reported);
  tcase_add_test(tc, hidden_excluded_and_own_files_skipped);
  tcase_add_test(tc, files_named_like_the_index_are_indexed);
  tcase_add_test(tc, relative_paths_stored_absolute);
  tcase_add_test(tc, empty_directory);
  tcase_add_test(tc, single_file_root);
  tcase_add_test(tc, too_large_skipped);
  tcase_add_test(tc, empty_file_has_no_passages);
  suite_add_tcase(s, tc);

  tc = tcase_create("feeds");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, jsonl_files_are_feeds);
  tcase_add_test(tc, fixture_feed);
  tcase_add_test(tc, feed_from_stream);
  tcase_add_test(tc, directory_named_as_feed_removes_nothing);
  tcase_add_test(tc, bad_json_line_reported);
  tcase_add_test(tc, feed_by_name);
  tcase_add_test(tc, named_streams_keep_their_records);
  tcase_add_test(tc, feed_lines_follow_the_file);
  tcase_add_test(tc, remove_by_path_and_feed);
  tcase_add_test(tc, source_and_docs);
  suite_add_tcase(s, tc);

  tc = tcase_create("runs");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, run_needs_write_handle);
  tcase_add_test(tc, progress_and_no_callback);
  tcase_add_test(tc, abandoned_run_keeps_index_sound);
  tcase_add_test(tc, stream_line_over_max_size);
  tcase_add_test(tc, rebuild_carries_over);
  tcase_add_test(tc, rebuild_keeps_copied_records_grouped);
  tcase_add_test(tc, unfinished_rebuild_changes_nothing);
  tcase_add_test(tc, last_indexed_follows_changes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(ingest_suite()); }
