/*
 * test_walk.c -- unit suite for lib/walk.c: the walk of a run's roots
 * (order, hidden and excluded names, feeds, symbolic links and loops,
 * unreadable paths, the index's own files) and the catalog's change
 * detection.
 */
#define _GNU_SOURCE
#include "unit.h"

static char *dir;

static void setup(void) { dir = tmpdir_make(); }
static void teardown(void) {
  tmpdir_remove(dir);
  dir = NULL;
}

/* What the walk told: one line per call, paths relative to dir. */
typedef struct walk_log {
  buf text;
} walk_log;

static const char *rel(const char *path) {
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && path[n] == '/' ? path + n + 1 : path;
}

static int on_file(void *ctx, const char *path, const struct stat *st, int as_feed) {
  walk_log *l = ctx;
  ngi_buf_printf(&l->text, "%s %s%s\n", as_feed ? "feed" : "file", rel(path), st ? "" : " (no stat)");
  return NG_OK;
}

static int on_problem(void *ctx, const char *path, int severity, const char *message, int failed) {
  walk_log *l = ctx;
  ngi_buf_printf(&l->text, "%s %s: %s%s\n", severity == NG_SEV_ERROR ? "error" : "warning", rel(path), message,
                 failed ? " (keep)" : "");
  return NG_OK;
}

/* Walks dir/root; own (or NULL) names the index, relative to dir. */
static char *walk(const char *root, const char *const *exclude, const char *own, const ngi_catalog *catalog) {
  walk_log l = {{0}};
  ngi_catalog empty = {{0}, {0}};
  ngi_own o;
  memset(&o, 0, sizeof o);
  if (own) {
    char *index = path_join(dir, own);
    ck_assert_int_eq(ngi_own_init(&o, index), NG_OK);
    free(index);
  }
  ngi_walk_ops ops = {&l, on_file, on_problem, own ? &o : NULL, exclude, catalog ? catalog : &empty, NULL, 0};
  char *path = path_join(dir, root);
  int rc = ngi_walk(&ops, path, root, 0);
  ngi_buf_printf(&l.text, "rc %d\n", rc);
  free(path);
  ngi_own_free(&o);
  return ngi_buf_detach(&l.text);
}

static void mkdir_in(const char *name) {
  char *p = path_join(dir, name);
  ck_assert_int_eq(mkdir(p, 0700), 0);
  free(p);
}

START_TEST(order_hidden_excluded_and_feeds) {
  mkdir_in("news");
  mkdir_in("news/b");
  mkdir_in("news/.git");
  write_file(dir, "news/z.txt", "z", 1);
  write_file(dir, "news/a.txt", "a", 1);
  write_file(dir, "news/b/c.txt", "c", 1);
  write_file(dir, "news/.hidden.txt", "h", 1);
  write_file(dir, "news/.git/config", "g", 1);
  write_file(dir, "news/drop.tmp", "t", 1);
  write_file(dir, "news/wire.jsonl", "{}", 2);
  write_file(dir, "news/index.db", "", 0);
  const char *exclude[] = {"*.tmp", NULL};
  char *got = walk("news", exclude, "news/index.db", NULL);
  /* Names sorted; files the catalog does not know are not stat'ed; a
   * feed is stat'ed (its size and mtime decide whether it is read). */
  ck_assert_str_eq(got,
                   "file news/a.txt (no stat)\n"
                   "file news/b/c.txt (no stat)\n"
                   "feed news/wire.jsonl\n"
                   "file news/z.txt (no stat)\n"
                   "rc 0\n");
  free(got);
}
END_TEST

/* The index's files are skipped by identity: through a link to their
 * directory, and a link to one of them placed anywhere. */
START_TEST(own_files_by_identity) {
  mkdir_in("real");
  mkdir_in("tree");
  write_file(dir, "real/index.db", "x", 1);
  write_file(dir, "real/index.db.lock", "123\n", 4);
  write_file(dir, "real/index.db-wal", "", 0);
  write_file(dir, "real/index.db.new-42", "", 0);
  write_file(dir, "real/story.txt", "s", 1);
  char *real = path_join(dir, "real"), *link = path_join(dir, "tree/via-link");
  char *lock = path_join(dir, "real/index.db.lock"), *lock_link = path_join(dir, "tree/lock.txt");
  ck_assert_int_eq(symlink(real, link), 0);
  ck_assert_int_eq(symlink(lock, lock_link), 0);
  char *got = walk("tree", NULL, "real/index.db", NULL);
  ck_assert_str_eq(got, "file tree/via-link/story.txt (no stat)\nrc 0\n");
  free(got);
  free(real);
  free(link);
  free(lock);
  free(lock_link);
}
END_TEST

START_TEST(known_files_are_stated) {
  mkdir_in("news");
  write_file(dir, "news/a.txt", "a", 1);
  char *a = path_join(dir, "news/a.txt");
  ngi_catalog c = {{0}, {0}};
  ck_assert_ptr_nonnull(ngi_catalog_add(&c, a, NGI_DOC_ARTICLE, 0));
  char *got = walk("news", NULL, NULL, &c);
  ck_assert_str_eq(got, "file news/a.txt\nrc 0\n");
  free(got);
  free(a);
  ngi_catalog_free(&c);
}
END_TEST

START_TEST(links_loops_and_problems) {
  mkdir_in("news");
  mkdir_in("news/sub");
  write_file(dir, "news/sub/a.txt", "a", 1);
  char *target = path_join(dir, "news");
  char *loop = path_join(dir, "news/sub/up");
  ck_assert_int_eq(symlink(target, loop), 0);
  char *dangling = path_join(dir, "news/gone.txt");
  ck_assert_int_eq(symlink("/nonexistent/nutgraf", dangling), 0);
  char *fifo = path_join(dir, "news/pipe");
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  char *got = walk("news", NULL, NULL, NULL);
  ck_assert_str_eq(got,
                   "warning news/gone.txt: broken symbolic link\n"
                   "warning news/pipe: not a regular file\n"
                   "file news/sub/a.txt (no stat)\n"
                   "warning news/sub/up: symbolic link loop (leads back to a directory above it)\n"
                   "rc 0\n");
  free(got);
  /* A root that cannot be read is an error, named as given. */
  got = walk("missing", NULL, NULL, NULL);
  ck_assert_str_eq(got, "error missing: No such file or directory (keep)\nrc -3\n");
  free(got);
  free(target);
  free(loop);
  free(dangling);
  free(fifo);
}
END_TEST

START_TEST(unreadable_directory_keeps_its_documents) {
  if (geteuid() == 0) return; /* root reads everything */
  mkdir_in("news");
  mkdir_in("news/locked");
  char *locked = path_join(dir, "news/locked");
  ck_assert_int_eq(chmod(locked, 0), 0);
  char *got = walk("news", NULL, NULL, NULL);
  ck_assert_str_eq(got, "error news/locked: cannot read directory: Permission denied (keep)\nrc 0\n");
  chmod(locked, 0700);
  free(got);
  free(locked);
}
END_TEST

START_TEST(change_detection) {
  struct stat st;
  memset(&st, 0, sizeof st);
  st.st_size = 100;
  st.st_mtim.tv_sec = 1000;
  ngi_known k;
  memset(&k, 0, sizeof k);
  k.size = 100;
  k.mtime_ns = 1000LL * 1000000000LL;
  k.indexed_ns = k.mtime_ns + 5000000000LL;
  ck_assert(ngi_unchanged(&k, &st, 0));
  ck_assert(!ngi_unchanged(&k, &st, 1)); /* --full */
  ck_assert(!ngi_unchanged(NULL, &st, 0));
  ck_assert(!ngi_unchanged(&k, NULL, 0));
  st.st_size = 101;
  ck_assert(!ngi_unchanged(&k, &st, 0));
  st.st_size = 100;
  st.st_mtim.tv_nsec = 1;
  ck_assert(!ngi_unchanged(&k, &st, 0));
  st.st_mtim.tv_nsec = 0;
  /* Read within the same two seconds as written: racy, so read again. */
  k.indexed_ns = k.mtime_ns + 1000000000LL;
  ck_assert(!ngi_unchanged(&k, &st, 0));
}
END_TEST

START_TEST(catalog_lists_each_feeds_records) {
  ngi_catalog c = {{0}, {0}};
  ngi_known *feed = ngi_catalog_add(&c, "/f.jsonl", NGI_DOC_FEED, 0);
  feed->id = 7;
  ck_assert_ptr_nonnull(ngi_catalog_add(&c, "/f.jsonl#1", NGI_DOC_RECORD, 7));
  ck_assert_ptr_nonnull(ngi_catalog_add(&c, "/f.jsonl#2", NGI_DOC_RECORD, 7));
  ck_assert_ptr_nonnull(ngi_catalog_add(&c, "/g.jsonl#1", NGI_DOC_RECORD, 8));
  int n = 0;
  for (ngi_known *k = ngi_catalog_records(&c, 7); k; k = k->next_in_feed) {
    ck_assert(contains(k->path, "/f.jsonl#"));
    ck_assert(!k->seen);
    n++;
  }
  ck_assert_int_eq(n, 2);
  ngi_catalog_keep_records(&c, 7);
  ck_assert(ngi_catalog_get(&c, "/f.jsonl#1")->seen);
  ck_assert(!ngi_catalog_get(&c, "/g.jsonl#1")->seen);
  ck_assert_ptr_null(ngi_catalog_get(&c, "/h.txt"));
  ngi_catalog_free(&c);
}
END_TEST

static Suite *walk_suite(void) {
  Suite *s = suite_create("walk");
  TCase *tc = tcase_create("walk");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, order_hidden_excluded_and_feeds);
  tcase_add_test(tc, known_files_are_stated);
  tcase_add_test(tc, own_files_by_identity);
  tcase_add_test(tc, links_loops_and_problems);
  tcase_add_test(tc, unreadable_directory_keeps_its_documents);
  tcase_add_test(tc, change_detection);
  tcase_add_test(tc, catalog_lists_each_feeds_records);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(walk_suite()); }
