/*
 * test_index.c -- unit suite for lib/index.c: creating, opening, locking,
 * publishing and checking index files, and the default index path.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/stat.h>

#include "unit.h"

static char *dir;

static void setup(void) { dir = tmpdir_make(); }
static void teardown(void) {
  tmpdir_remove(dir);
  dir = NULL;
}

static int open_index(ng_index **idx, const char *path, unsigned flags, const char *language) {
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = flags;
  o.language = language;
  int rc = ng_index_open(idx, path, &o);
  ck_assert_ptr_nonnull(*idx);
  return rc;
}

/* Creates an index at dir/name and closes it; returns its path. */
static char *make_index(const char *name) {
  char *path = path_join(dir, name);
  ng_index *idx;
  int rc = open_index(&idx, path, NG_OPEN_WRITE | NG_OPEN_CREATE, NULL);
  ck_assert_msg(rc == NG_OK, "create: %s", ng_index_errmsg(idx));
  ng_index_close(idx);
  return path;
}

START_TEST(missing_index_read_only) {
  char *path = path_join(dir, "nothing-here.db");
  ng_index *idx = NULL;
  int rc = ng_index_open(&idx, path, NULL);
  ck_assert_int_eq(rc, NG_EDATA);
  ck_assert_ptr_nonnull(idx);
  ck_assert_msg(contains(ng_index_errmsg(idx), path), "message does not name the path: %s", ng_index_errmsg(idx));
  ng_index_close(idx);
  /* Opening did not create it. */
  struct stat st;
  ck_assert_int_ne(stat(path, &st), 0);
  free(path);
}
END_TEST

START_TEST(missing_index_write_without_create) {
  char *path = path_join(dir, "nothing-here.db");
  ng_index *idx;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_EDATA);
  ck_assert(contains(ng_index_errmsg(idx), path));
  ng_index_close(idx);
  struct stat st;
  ck_assert_int_ne(stat(path, &st), 0);
  /* The lock file may stay (removing it could let two writers in); the
   * index is not created. */
  free(path);
}
END_TEST

START_TEST(create_then_reopen) {
  char *path = path_join(dir, "sub/deeper/index.db");
  mode_t old = umask(0); /* the index must not be world-writable even so */
  ng_index *idx;
  int rc = open_index(&idx, path, NG_OPEN_WRITE | NG_OPEN_CREATE, NULL);
  umask(old);
  ck_assert_msg(rc == NG_OK, "%s", ng_index_errmsg(idx));
  ck_assert_str_eq(ng_index_language(idx), "english");
  ng_index_close(idx);

  struct stat st;
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert(S_ISREG(st.st_mode));
  ck_assert_msg((st.st_mode & 002) == 0, "index mode %o is world-writable", (unsigned)st.st_mode & 0777);
  buf lock = {0};
  ngi_buf_printf(&lock, "%s.lock", path);
  ck_assert_int_eq(stat(lock.data, &st), 0);
  ck_assert_msg((st.st_mode & 002) == 0, "lock mode %o is world-writable", (unsigned)st.st_mode & 0777);
  ngi_buf_free(&lock);
  /* No temporary file is left beside it. */
  char *sub = path_join(dir, "sub/deeper");
  buf names = {0};
  DIR *d = opendir(sub);
  ck_assert_ptr_nonnull(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strstr(e->d_name, ".new-")) ngi_buf_printf(&names, "%s ", e->d_name);
  }
  closedir(d);
  ck_assert_msg(names.len == 0, "left behind: %s", names.data);
  ngi_buf_free(&names);
  free(sub);

  rc = ng_index_open(&idx, path, NULL);
  ck_assert_msg(rc == NG_OK, "%s", ng_index_errmsg(idx));
  ck_assert_str_eq(ng_index_language(idx), "english");
  ck_assert_str_eq(ng_index_errmsg(idx), "");
  ng_index_close(idx);
  free(path);
}
END_TEST

/* What a writer killed before publishing a new index left is removed by
 * the next one; the new index is published in WAL mode. */
START_TEST(stale_new_index_removed) {
  char *path = path_join(dir, "index.db");
  char *stale = path_join(dir, "index.db.new-99999");
  char *stale_journal = path_join(dir, "index.db.new-99999-journal");
  char *other = path_join(dir, "other.db.new-99999");
  write_file(dir, "index.db.new-99999", "half", 4);
  write_file(dir, "index.db.new-99999-journal", "its journal", 11);
  write_file(dir, "other.db.new-99999", "another", 7);
  ng_index *idx;
  int rc = open_index(&idx, path, NG_OPEN_WRITE | NG_OPEN_CREATE, NULL);
  ck_assert_msg(rc == NG_OK, "%s", ng_index_errmsg(idx));
  ck_assert_int_eq(access(stale, F_OK), -1);
  ck_assert_int_eq(access(stale_journal, F_OK), -1);
  ck_assert_int_eq(access(other, F_OK), 0);
  ck_assert_int_eq(access(path, F_OK), -1); /* not published yet */
  ng_index_close(idx);
  ck_assert_int_eq(access(path, F_OK), 0);
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st;
  ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
  ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
  free(path);
  free(stale);
  free(stale_journal);
  free(other);
}
END_TEST

START_TEST(create_in_another_language) {
  char *path = path_join(dir, "fr.db");
  ng_index *idx;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE | NG_OPEN_CREATE, "french"), NG_OK);
  ng_index_close(idx);
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_READONLY, NULL), NG_OK);
  ck_assert_str_eq(ng_index_language(idx), "french");
  ng_index_close(idx);
  free(path);
}
END_TEST

START_TEST(second_writer_is_busy) {
  char *path = path_join(dir, "index.db");
  ng_index *first, *second;
  ck_assert_int_eq(open_index(&first, path, NG_OPEN_WRITE | NG_OPEN_CREATE, NULL), NG_OK);
  int rc = open_index(&second, path, NG_OPEN_WRITE | NG_OPEN_NOWAIT, NULL);
  ck_assert_int_eq(rc, NG_EBUSY);
  ck_assert_msg(contains(ng_index_errmsg(second), "another"), "message: %s", ng_index_errmsg(second));
  ng_index_close(second);
  /* A new index appears at its path once its first batch is committed: a
   * run that writes nothing publishes it when it finishes. */
  ng_index *reader;
  ck_assert_int_eq(open_index(&reader, path, NG_OPEN_READONLY, NULL), NG_EDATA);
  ng_index_close(reader);
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, first, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_finish(run, NULL), NG_OK);
  ng_run_free(run);
  /* A reader is never kept out by the writer. */
  ck_assert_int_eq(open_index(&reader, path, NG_OPEN_READONLY, NULL), NG_OK);
  ng_index_close(reader);
  /* The lock goes with the first writer. */
  ng_index_close(first);
  rc = open_index(&second, path, NG_OPEN_WRITE | NG_OPEN_NOWAIT, NULL);
  ck_assert_msg(rc == NG_OK, "%s", ng_index_errmsg(second));
  ng_index_close(second);
  free(path);
}
END_TEST

START_TEST(cannot_create_directory) {
  write_file(dir, "plainfile", "x", 1);
  char *path = path_join(dir, "plainfile/sub/index.db");
  ng_index *idx;
  int rc = open_index(&idx, path, NG_OPEN_WRITE | NG_OPEN_CREATE, NULL);
  ck_assert_int_eq(rc, NG_ESYSTEM);
  ck_assert(contains(ng_index_errmsg(idx), path));
  ng_index_close(idx);
  free(path);
}
END_TEST

START_TEST(not_sqlite) {
  buf junk = {0};
  for (int i = 0; i < 100; i++) ngi_buf_adds(&junk, "This is a text file, not a database at all.\n");
  write_file(dir, "notes.db", junk.data, junk.len);
  ngi_buf_free(&junk);
  char *path = path_join(dir, "notes.db");
  ng_index *idx;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_READONLY, NULL), NG_EDATA);
  ck_assert_msg(contains(ng_index_errmsg(idx), "not a nutgraf index"), "message: %s", ng_index_errmsg(idx));
  ng_index_close(idx);
  /* A writer does not take it over either. */
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE | NG_OPEN_CREATE, NULL), NG_EDATA);
  ck_assert(contains(ng_index_errmsg(idx), "not a nutgraf index"));
  ng_index_close(idx);
  size_t n;
  char *after = read_whole(path, &n);
  ck_assert(strncmp(after, "This is a text file", 19) == 0);
  free(after);
  free(path);
}
END_TEST

START_TEST(other_sqlite_database) {
  char *path = path_join(dir, "other.db");
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE x(a); INSERT INTO x VALUES(1)", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  ng_index *idx;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_READONLY, NULL), NG_EDATA);
  ck_assert_msg(contains(ng_index_errmsg(idx), "not a nutgraf index"), "message: %s", ng_index_errmsg(idx));
  ng_index_close(idx);
  free(path);
}
END_TEST

START_TEST(directory_is_not_an_index) {
  ng_index *idx;
  ck_assert_int_eq(open_index(&idx, dir, NG_OPEN_READONLY, NULL), NG_EDATA);
  ck_assert(contains(ng_index_errmsg(idx), "not a nutgraf index"));
  ng_index_close(idx);
  ck_assert_int_eq(open_index(&idx, "", NG_OPEN_READONLY, NULL), NG_EUSAGE);
  ng_index_close(idx);
}
END_TEST

START_TEST(other_schema_version) {
  char *path = make_index("index.db");
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  ng_index *idx;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_READONLY, NULL), NG_EDATA);
  ck_assert_msg(contains(ng_index_errmsg(idx), "schema version"), "message: %s", ng_index_errmsg(idx));
  ck_assert(contains(ng_index_errmsg(idx), "99"));
  ng_index_close(idx);
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_EDATA);
  ck_assert(contains(ng_index_errmsg(idx), "schema version"));
  ng_index_close(idx);
  free(path);
}
END_TEST

START_TEST(unknown_language_on_create) {
  char *path = path_join(dir, "index.db");
  ng_index *idx;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE | NG_OPEN_CREATE, "klingon"), NG_EUSAGE);
  ck_assert(contains(ng_index_errmsg(idx), "klingon"));
  ck_assert(contains(ng_index_errmsg(idx), "english"));
  ng_index_close(idx);
  struct stat st;
  ck_assert_int_ne(stat(path, &st), 0); /* no index is created */
  /* A name that is no identifier never reaches SQL. */
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE | NG_OPEN_CREATE, "english'); DROP TABLE x; --"), NG_EUSAGE);
  ng_index_close(idx);
  ck_assert_int_ne(stat(path, &st), 0);
  free(path);
}
END_TEST

START_TEST(language_mismatch) {
  char *path = make_index("index.db");
  ng_index *idx;
  int rc = open_index(&idx, path, NG_OPEN_READONLY, "french");
  ck_assert_int_lt(rc, 0);
  ck_assert_msg(contains(ng_index_errmsg(idx), "english"), "message: %s", ng_index_errmsg(idx));
  ng_index_close(idx);
  rc = open_index(&idx, path, NG_OPEN_WRITE | NG_OPEN_CREATE, "french");
  ck_assert_int_lt(rc, 0);
  ng_index_close(idx);
  /* The right language, given explicitly, is fine. */
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_READONLY, "english"), NG_OK);
  ng_index_close(idx);
  free(path);
}
END_TEST

START_TEST(check_fresh_index) {
  char *path = path_join(dir, "index.db");
  ng_index *idx;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE | NG_OPEN_CREATE, NULL), NG_OK);
  ng_index_stats st;
  memset(&st, 0xFF, sizeof st);
  ck_assert_msg(ng_index_check(idx, &st) == NG_OK, "%s", ng_index_errmsg(idx));
  ck_assert_int_eq(st.documents, 0);
  ck_assert_int_eq(st.passages, 0);
  ck_assert_int_eq(st.words, 0);
  ck_assert_int_gt(st.bytes, 0);
  ck_assert_int_eq(ng_index_check(idx, NULL), NG_OK);
  ck_assert_int_eq(ng_index_optimize(idx), NG_OK);
  ng_index_close(idx);

  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_READONLY, NULL), NG_OK);
  ck_assert_int_eq(ng_index_check(idx, &st), NG_OK);
  ck_assert_int_eq(st.documents, 0);
  ck_assert_int_eq(ng_index_get_stats(idx, &st), NG_OK);
  ck_assert_int_eq(st.passages, 0);
  /* A read-only handle does not optimize. */
  ck_assert_int_eq(ng_index_optimize(idx), NG_EUSAGE);
  ng_index_close(idx);
  free(path);
}
END_TEST

/* A lock file that is a link, to a file or dangling, is refused before
 * anything is written; the target is as it was and a dangling link gets
 * no target. */
START_TEST(lock_link_refused) {
  char *path = make_index("index.db");
  char *lock = path_join(dir, "index.db.lock");
  char *target = path_join(dir, "target.txt");
  char *dangling = path_join(dir, "nowhere.txt");
  write_file(dir, "target.txt", "keep me\n", 8);
  const char *dests[] = {target, dangling};
  for (int i = 0; i < 2; i++) {
    unlink(lock);
    ck_assert_int_eq(symlink(dests[i], lock), 0);
    ng_index *idx;
    ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_EDATA);
    ck_assert_msg(contains(ng_index_errmsg(idx), "symbolic link"), "message: %s", ng_index_errmsg(idx));
    ng_index_close(idx);
  }
  size_t n;
  char *after = read_whole(target, &n);
  ck_assert_int_eq(n, 8);
  ck_assert(memcmp(after, "keep me\n", 8) == 0);
  free(after);
  ck_assert_int_eq(access(dangling, F_OK), -1);
  free(path);
  free(lock);
  free(target);
  free(dangling);
}
END_TEST

/* A writer refuses another program's database before it takes the lock:
 * no lock file appears beside it. */
START_TEST(foreign_file_gets_no_lock) {
  char *path = path_join(dir, "other.db");
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE x(a)", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  const unsigned flags[] = {NG_OPEN_WRITE, NG_OPEN_WRITE | NG_OPEN_CREATE, NG_OPEN_WRITE | NG_OPEN_REBUILD};
  for (int i = 0; i < 3; i++) {
    ng_index *idx;
    ck_assert_int_eq(open_index(&idx, path, flags[i], NULL), NG_EDATA);
    ck_assert(contains(ng_index_errmsg(idx), "not a nutgraf index"));
    ng_index_close(idx);
  }
  char *lock = path_join(dir, "other.db.lock");
  ck_assert_int_eq(access(lock, F_OK), -1);
  free(lock);
  free(path);
}
END_TEST

/* One statement on an index file behind the library's back. */
static void sql_exec(const char *path, const char *sql) {
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
  sqlite3_close(db);
}

/* ng_index_verify: each problem a line of its own, the first as the
 * handle's message; a sound index calls nothing. */
static int problem_lines;
static void count_problem(void *ctx, const char *line) {
  (void)ctx;
  ck_assert(strchr(line, '\n') == NULL);
  problem_lines++;
}

START_TEST(verify_lines) {
  char *path = make_index("index.db");
  ng_index *idx;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  problem_lines = 0;
  ck_assert_int_eq(ng_index_verify(idx, NULL, count_problem, NULL), NG_OK);
  ck_assert_int_eq(problem_lines, 0);
  ck_assert_int_eq(ng_index_checkpoint(idx), NG_OK);
  ng_index_close(idx);
  /* A document that declares passages it does not have. */
  sql_exec(path, "INSERT INTO doc(path, passages) VALUES('/x.txt', 3)");
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  ck_assert_int_eq(ng_index_verify(idx, NULL, count_problem, NULL), NG_EDATA);
  ck_assert_int_eq(problem_lines, 1);
  ck_assert_msg(contains(ng_index_errmsg(idx), "declare 3 passages"), "message: %s", ng_index_errmsg(idx));
  ng_index_close(idx);
  free(path);
}
END_TEST

/* The documents counted in nstat (what story scoring reads instead of
 * counting the doc table) are those stored; --check says when not, and an
 * index without the count (an older nutgraf's) is sound. */
static long long sql_count(const char *path, const char *sql) {
  sqlite3 *db;
  sqlite3_stmt *st;
  ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
  ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  long long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

START_TEST(docs_statistic) {
  char *path = make_index("index.db");
  char *docs_dir = path_join(dir, "docs");
  ck_assert_int_eq(mkdir(docs_dir, 0700), 0);
  for (int i = 0; i < 5; i++) {
    char name[32], text[64];
    snprintf(name, sizeof name, "s%d.txt", i);
    int n = snprintf(text, sizeof text, "Story %d\n\nA paragraph about story %d.\n", i, i);
    write_file(docs_dir, name, text, (size_t)n);
  }
  ng_index *idx;
  ng_run *run;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs_dir), NG_OK);
  ck_assert_int_eq(ng_run_finish(run, NULL), NG_OK);
  ng_run_free(run);
  /* one removed in a run of its own */
  char *gone = path_join(docs_dir, "s3.txt");
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_remove(run, gone), NG_OK);
  ck_assert_int_eq(ng_run_finish(run, NULL), NG_OK);
  ng_run_free(run);
  ng_index_close(idx);
  free(gone);
  free(docs_dir);
  ck_assert_int_eq(sql_count(path, "SELECT count(*) FROM doc"), 4);
  ck_assert_int_eq(sql_count(path, "SELECT value FROM nstat WHERE key = 'docs'"), 4);
  sql_exec(path, "UPDATE nstat SET value = value + 7 WHERE key = 'docs'");
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  ck_assert_int_eq(ng_index_check(idx, NULL), NG_EDATA);
  ck_assert_msg(contains(ng_index_errmsg(idx), "documents but"), "message: %s", ng_index_errmsg(idx));
  ng_index_close(idx);
  sql_exec(path, "DELETE FROM nstat WHERE key = 'docs'");
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  ck_assert_int_eq(ng_index_check(idx, NULL), NG_OK);
  ng_index_close(idx);
  free(path);
}
END_TEST

/* Writes n stories of some size into dir/docs and indexes them. */
static char *index_stories(ng_index *idx, int n) {
  char *docs_dir = path_join(dir, "docs");
  mkdir(docs_dir, 0700);
  buf text = {0};
  for (int i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "s%d.txt", i);
    ngi_buf_reset(&text);
    ngi_buf_printf(&text, "Story number %d\n\n", i);
    for (int p = 0; p < 40; p++)
      ngi_buf_printf(&text, "Paragraph %d of story %d says word%d and word%d at length.\n\n", p, i, i * 40 + p, p);
    write_file(docs_dir, name, text.data, text.len);
  }
  ngi_buf_free(&text);
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs_dir), NG_OK);
  ck_assert_int_eq(ng_run_finish(run, NULL), NG_OK);
  ng_run_free(run);
  return docs_dir;
}

/* Removes dir/docs/s<i>.txt for i < n from the index in one run. */
static void remove_stories(ng_index *idx, const char *docs_dir, int n) {
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  for (int i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "s%d.txt", i);
    char *gone = path_join(docs_dir, name);
    ck_assert_int_eq(ng_run_remove(run, gone), NG_OK);
    free(gone);
  }
  ck_assert_int_eq(ng_run_finish(run, NULL), NG_OK);
  ng_run_free(run);
}

/* A new index is made with incremental auto-vacuum, and a run gives back
 * the pages it freed; an index made without it (an older nutgraf's)
 * keeps them and keeps working. */
START_TEST(free_pages_given_back) {
  char *path = make_index("index.db");
  ck_assert_int_eq(sql_count(path, "PRAGMA auto_vacuum"), 2);
  ng_index *idx;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  char *docs_dir = index_stories(idx, 60);
  long long before = sql_count(path, "PRAGMA page_count");
  remove_stories(idx, docs_dir, 50);
  ck_assert_int_eq(ng_index_check(idx, NULL), NG_OK);
  ng_index_close(idx);
  ck_assert_int_eq(sql_count(path, "PRAGMA freelist_count"), 0);
  long long after = sql_count(path, "PRAGMA page_count");
  ck_assert_msg(after < before, "%lld pages after removals, %lld before", after, before);
  free(path);

  /* The same without auto-vacuum: the free pages stay, nothing fails. */
  path = make_index("old.db");
  sql_exec(path, "PRAGMA auto_vacuum = NONE; VACUUM");
  ck_assert_int_eq(sql_count(path, "PRAGMA auto_vacuum"), 0);
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  free(docs_dir);
  docs_dir = index_stories(idx, 60);
  remove_stories(idx, docs_dir, 50);
  ck_assert_int_eq(ng_index_check(idx, NULL), NG_OK);
  ng_index_close(idx);
  ck_assert_int_gt(sql_count(path, "PRAGMA freelist_count"), 0);
  ck_assert_int_eq(sql_count(path, "PRAGMA auto_vacuum"), 0);
  free(docs_dir);
  free(path);
}
END_TEST

/* Hits of query on idx (every passage). */
static int count_hits(ng_index *idx, const char *query) {
  ng_search_options so = NG_SEARCH_OPTIONS_INIT;
  so.limit = -1;
  ng_results *res = NULL;
  ck_assert_msg(ng_search(idx, query, &so, &res) == NG_OK, "%s: %s", query, ng_index_errmsg(idx));
  const ng_hit *h;
  int n = 0;
  while (ng_results_next(res, &h) == NG_ROW) n++;
  ng_results_free(res);
  return n;
}

/* Is path mapped into this process (/proc/self/maps)? */
static int mapped(const char *path) {
  FILE *f = fopen("/proc/self/maps", "r");
  ck_assert_ptr_nonnull(f);
  char line[4096];
  int found = 0;
  size_t n = strlen(path);
  while (!found && fgets(line, sizeof line, f)) {
    size_t len = strcspn(line, "\n");
    found = len >= n && memcmp(line + len - n, path, n) == 0;
  }
  fclose(f);
  return found;
}

/* A reader maps the index from its second search on (one search, as
 * nutgraf-query makes, reads through its cache), and goes on searching
 * while a writer removes stories and gives their pages back: the file
 * shrinks under the mapping. */
START_TEST(mapped_reader_while_pages_given_back) {
  char *path = make_index("index.db");
  ng_index *idx, *rd;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  char *docs_dir = index_stories(idx, 60);
  ng_index_close(idx); /* its log copied into the file */
  struct stat before, after;
  ck_assert_int_eq(stat(path, &before), 0);
  ck_assert_int_eq(open_index(&rd, path, NG_OPEN_READONLY, NULL), NG_OK);
  ck_assert_int_eq(count_hits(rd, "word40"), 1); /* story 1 */
  ck_assert_msg(!mapped(path), "mapped after one search");
  ck_assert_int_eq(count_hits(rd, "word2000"), 1); /* story 50 */
  ck_assert_msg(mapped(path), "not mapped after two searches");
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  remove_stories(idx, docs_dir, 50);
  ng_index_close(idx);
  ck_assert_int_eq(stat(path, &after), 0);
  ck_assert_msg(after.st_size < before.st_size, "%lld bytes after removals, %lld before", (long long)after.st_size,
                (long long)before.st_size);
  ck_assert_int_eq(count_hits(rd, "word40"), 0);
  ck_assert_int_eq(count_hits(rd, "word2000"), 1);
  ck_assert_int_eq(count_hits(rd, "paragraph"), 10); /* the stories left, a passage each */
  ck_assert_int_eq(ng_index_check(rd, NULL), NG_OK);
  ng_index_close(rd);
  free(docs_dir);
  free(path);
}
END_TEST

/* Paths of query's hits on idx, in order, each copy apart ("a b"). */
static void ranked_paths(ng_index *idx, const char *query, unsigned rank_off, char *out, size_t n) {
  ng_search_options so = NG_SEARCH_OPTIONS_INIT;
  so.rank_off = rank_off;
  so.no_collapse = 1;
  so.per_story = 0;
  ng_results *res = NULL;
  ck_assert_msg(ng_search(idx, query, &so, &res) == NG_OK, "%s: %s", query, ng_index_errmsg(idx));
  const ng_hit *h;
  out[0] = '\0';
  while (ng_results_next(res, &h) == NG_ROW) {
    const char *base = strrchr(h->path, '/');
    snprintf(out + strlen(out), n - strlen(out), "%s%c", out[0] ? " " : "", base ? base[1] : h->path[0]);
  }
  ng_results_free(res);
}

/* Passages that score the same go in the order they were indexed: a
 * changed document's passages are indexed again, after the others, even
 * though the document keeps its id. */
START_TEST(ties_go_to_the_passage_indexed_first) {
  char *path = make_index("index.db");
  ng_index *idx;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  char *docs_dir = path_join(dir, "docs");
  mkdir(docs_dir, 0700);
  const char *para = "Ferries left the harbour at dawn with the tide.\n\n";
  buf text = {0};
  ngi_buf_printf(&text, "Harbour notes\n\n%sGulls followed the boats out.\n", para);
  write_file(docs_dir, "a.txt", text.data, text.len);
  write_file(docs_dir, "b.txt", text.data, text.len);
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs_dir), NG_OK);
  ck_assert_int_eq(ng_run_finish(run, NULL), NG_OK);
  ng_run_free(run);
  char order[64];
  for (unsigned off = 0; off <= NG_RANK_BM25; off += NG_RANK_BM25) {
    ranked_paths(idx, "ferries", off, order, sizeof order);
    ck_assert_str_eq(order, "a b");
  }
  /* a's other paragraph changes: the same words, another order */
  ngi_buf_reset(&text);
  ngi_buf_printf(&text, "Harbour notes\n\n%sBoats followed the gulls out.\n", para);
  write_file(docs_dir, "a.txt", text.data, text.len);
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs_dir), NG_OK);
  ng_run_stats st;
  ck_assert_int_eq(ng_run_finish(run, &st), NG_OK);
  ng_run_free(run);
  ck_assert_int_eq(st.changed, 1);
  for (unsigned off = 0; off <= NG_RANK_BM25; off += NG_RANK_BM25) { /* stage 2, and stage 1 alone */
    ranked_paths(idx, "ferries", off, order, sizeof order);
    ck_assert_msg(strcmp(order, "b a") == 0, "rank_off %u: %s", off, order);
  }
  ngi_buf_free(&text);
  ng_index_close(idx);
  free(docs_dir);
  free(path);
}
END_TEST

/* A document's duplicate group asked of SQLite (a first search, when
 * there are more grouped documents than it reads whole) comes from the
 * narrow doc_group index; an index made without it answers the same
 * from the rows, and its next writer adds it. */
START_TEST(groups_read_through_doc_group) {
  char *path = make_index("index.db");
  ng_index *idx, *rd;
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  char *docs_dir = path_join(dir, "docs");
  mkdir(docs_dir, 0700);
  const char *story = "Harbour notes\n\nFerries left the harbour at dawn with the tide.\n";
  write_file(docs_dir, "a.txt", story, (size_t)-1);
  write_file(docs_dir, "b.txt", story, (size_t)-1); /* a copy: one story with a.txt */
  write_file(docs_dir, "c.txt", "Ferry strike\n\nNo ferries ran on Monday as crews walked out.\n", (size_t)-1);
  ng_run *run;
  ck_assert_int_eq(ng_run_begin(&run, idx, NULL, NULL, NULL), NG_OK);
  ck_assert_int_eq(ng_run_add_path(run, docs_dir), NG_OK);
  ck_assert_int_eq(ng_run_finish(run, NULL), NG_OK);
  ng_run_free(run);
  ng_index_close(idx);
  const char *has = "SELECT count(*) FROM sqlite_schema WHERE name = 'doc_group'";
  ck_assert_int_eq(sql_count(path, has), 1);
  ngi_store_set_groups_read_whole(0); /* every candidate's group asked of SQLite */
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) sql_exec(path, "DROP INDEX doc_group"); /* an index made before it */
    ck_assert_int_eq(open_index(&rd, path, NG_OPEN_READONLY, NULL), NG_OK);
    ck_assert_int_eq(count_hits(rd, "ferries"), 2); /* a.txt (and its copy), c.txt */
    ng_index_close(rd);
  }
  ngi_store_set_groups_read_whole(-1);
  ck_assert_int_eq(sql_count(path, has), 0);
  ck_assert_int_eq(open_index(&idx, path, NG_OPEN_WRITE, NULL), NG_OK);
  ng_index_close(idx);
  ck_assert_int_eq(sql_count(path, has), 1);
  free(docs_dir);
  free(path);
}
END_TEST

START_TEST(null_handles) {
  ng_index_close(NULL);
  ck_assert_str_eq(ng_index_errmsg(NULL), "out of memory");
}
END_TEST

/* ------------------------------------------------------------------ */
/* The default path */

typedef struct saved_env {
  char *nutgraf, *xdg, *home;
} saved_env;

static char *dup_env(const char *name) {
  const char *v = getenv(name);
  return v ? strdup(v) : NULL;
}

static void restore(const char *name, char *value) {
  if (value)
    setenv(name, value, 1);
  else
    unsetenv(name);
  free(value);
}

static char *default_path(void) { return ng_default_index_path(); }

START_TEST(default_index_path) {
  saved_env env = {dup_env("NUTGRAF_INDEX"), dup_env("XDG_DATA_HOME"), dup_env("HOME")};
  setenv("NUTGRAF_INDEX", "/x/y/my.db", 1);
  setenv("XDG_DATA_HOME", "/xdg", 1);
  setenv("HOME", "/home/tester", 1);
  char *p1 = default_path();
  unsetenv("NUTGRAF_INDEX");
  char *p2 = default_path();
  setenv("NUTGRAF_INDEX", "", 1); /* empty counts as unset */
  char *p3 = default_path();
  unsetenv("XDG_DATA_HOME");
  char *p4 = default_path();
  setenv("XDG_DATA_HOME", "relative/dir", 1); /* the XDG spec: relative paths are ignored */
  char *p5 = default_path();
  unsetenv("XDG_DATA_HOME");
  unsetenv("HOME");
  unsetenv("NUTGRAF_INDEX");
  char *p6 = default_path();
  restore("NUTGRAF_INDEX", env.nutgraf);
  restore("XDG_DATA_HOME", env.xdg);
  restore("HOME", env.home);

  ck_assert_pstr_eq(p1, "/x/y/my.db");
  ck_assert_pstr_eq(p2, "/xdg/nutgraf/index.db");
  ck_assert_pstr_eq(p3, "/xdg/nutgraf/index.db");
  ck_assert_pstr_eq(p4, "/home/tester/.local/share/nutgraf/index.db");
  ck_assert_pstr_eq(p5, "/home/tester/.local/share/nutgraf/index.db");
  ck_assert_ptr_null(p6);
  free(p1);
  free(p2);
  free(p3);
  free(p4);
  free(p5);
}
END_TEST

static Suite *index_suite(void) {
  Suite *s = suite_create("index");
  TCase *tc = tcase_create("open");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, missing_index_read_only);
  tcase_add_test(tc, missing_index_write_without_create);
  tcase_add_test(tc, create_then_reopen);
  tcase_add_test(tc, create_in_another_language);
  tcase_add_test(tc, second_writer_is_busy);
  tcase_add_test(tc, stale_new_index_removed);
  tcase_add_test(tc, cannot_create_directory);
  tcase_add_test(tc, not_sqlite);
  tcase_add_test(tc, other_sqlite_database);
  tcase_add_test(tc, directory_is_not_an_index);
  tcase_add_test(tc, other_schema_version);
  tcase_add_test(tc, unknown_language_on_create);
  tcase_add_test(tc, language_mismatch);
  tcase_add_test(tc, check_fresh_index);
  tcase_add_test(tc, null_handles);
  tcase_add_test(tc, lock_link_refused);
  tcase_add_test(tc, foreign_file_gets_no_lock);
  tcase_add_test(tc, verify_lines);
  tcase_add_test(tc, docs_statistic);
  tcase_add_test(tc, free_pages_given_back);
  tcase_add_test(tc, mapped_reader_while_pages_given_back);
  tcase_add_test(tc, ties_go_to_the_passage_indexed_first);
  tcase_add_test(tc, groups_read_through_doc_group);
  suite_add_tcase(s, tc);

  tc = tcase_create("paths");
  tcase_add_test(tc, default_index_path);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(index_suite()); }
