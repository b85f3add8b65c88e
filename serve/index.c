/*
 * index.c -- the read-only handles of nutgraf-serve, and the index's
 * version for ETags.
 *
 * A handle is used by one request at a time: a request takes one from the
 * pool (or opens one) and gives it back.  There are never more handles than
 * requests at once, so at most one per worker thread.  Every search is a
 * statement of its own, so each request reads the last committed state of
 * the index (SQLite's WAL: a reader's transaction starts with its
 * statement) and sees every commit of a running nutgraf-index at once.
 *
 * A rebuilt index renamed into place is a new file: pool_take stats the
 * path (a few microseconds) and reopens a handle whose file is no longer
 * the one there (another device or inode).  While a handle holds the old
 * file open its inode cannot be reused, so a changed (dev, ino) always
 * means a changed file.
 *
 * The version: libnutgraf has no call that says which committed state a
 * search read, and the program must not issue SQL, so the ETag is made of
 * what stat(2) says of the index and its WAL: device, inode, size and
 * modification time of each.
 * Every commit writes to the WAL, so a commit changes the WAL's mtime --
 * but only to the resolution of the file system's clock (a kernel tick),
 * and a WAL restarted after a checkpoint keeps its size.  Two commits in
 * one tick could then look alike, so, as git does for its "racily clean"
 * index entries, no ETag is given while the files were modified less than
 * RACY_NS ago, nor when they changed while the request was answered.  The
 * cost of being wrong that way is only a missed cache hit.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

#define RACY_NS 2000000000LL

struct handle {
  ng_index *idx;
  index_version opened; /* the file's stat taken before it was opened */
  handle *next;
};

static struct {
  const serve_config *c;
  pthread_mutex_t lock;
  handle *idle;
  long long reopens;
} pool = {NULL, PTHREAD_MUTEX_INITIALIZER, NULL, 0};

static _Thread_local char thread_msg[1200];

static long long mtime_ns(const struct stat *st) {
  return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

void read_index_version(const char *path, index_version *v) {
  memset(v, 0, sizeof *v);
  struct stat st;
  if (stat(path, &st) != 0) return;
  v->present = 1;
  v->dev = st.st_dev;
  v->ino = st.st_ino;
  v->db_size = (long long)st.st_size;
  v->db_mtime_ns = mtime_ns(&st);
  char wal[4096];
  if (snprintf(wal, sizeof wal, "%s-wal", path) < (int)sizeof wal && stat(wal, &st) == 0) {
    v->wal_present = 1;
    v->wal_size = (long long)st.st_size;
    v->wal_mtime_ns = mtime_ns(&st);
  }
}

static int same_version(const index_version *a, const index_version *b) {
  return a->present == b->present && a->dev == b->dev && a->ino == b->ino && a->db_size == b->db_size &&
         a->db_mtime_ns == b->db_mtime_ns && a->wal_present == b->wal_present && a->wal_size == b->wal_size &&
         a->wal_mtime_ns == b->wal_mtime_ns;
}

static unsigned long long fnv(unsigned long long h, long long value) {
  for (int i = 0; i < 8; i++) {
    h ^= (unsigned long long)value >> (8 * i) & 0xff;
    h *= 0x100000001b3ULL;
  }
  return h;
}

void version_etag(const index_version *before, const index_version *after, unsigned long long salt, char *out,
                  size_t n) {
  out[0] = '\0';
  if (!before->present || !same_version(before, after)) return;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  long long now_ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
  long long newest = before->db_mtime_ns > before->wal_mtime_ns ? before->db_mtime_ns : before->wal_mtime_ns;
  if (now_ns - newest < RACY_NS) return;
  unsigned long long h = 0xcbf29ce484222325ULL;
  h = fnv(h, (long long)salt);
  h = fnv(h, (long long)before->dev);
  h = fnv(h, (long long)before->ino);
  h = fnv(h, before->db_size);
  h = fnv(h, before->db_mtime_ns);
  h = fnv(h, before->wal_present);
  h = fnv(h, before->wal_size);
  h = fnv(h, before->wal_mtime_ns);
  snprintf(out, n, "\"%016llx\"", h);
}

/* Opens h->idx on the index as it is now (stat first: see the header). */
static int open_handle(handle *h, const index_version *now, int *status) {
  const serve_config *c = pool.c;
  ng_open_options oo = NG_OPEN_OPTIONS_INIT;
  h->opened = *now;
  int rc = ng_index_open(&h->idx, c->index_path, &oo);
  if (rc == NG_OK && c->user_variants) rc = ng_index_add_variants(h->idx, c->user_variants);
  for (size_t i = 0; rc == NG_OK && i < c->nvariants; i++) rc = ng_index_add_variants(h->idx, c->variants[i]);
  if (rc != NG_OK) {
    snprintf(thread_msg, sizeof thread_msg, "%s", ng_index_errmsg(h->idx));
    ng_index_close(h->idx);
    h->idx = NULL;
    /* A missing, foreign or damaged index is "not yet": 503. */
    *status = rc == NG_EDATA ? 503 : 500;
    return rc;
  }
  return NG_OK;
}

int pool_start(const serve_config *c) {
  pool.c = c;
  index_version v;
  read_index_version(c->index_path, &v);
  if (!v.present) return 0;
  handle *h = calloc(1, sizeof *h);
  if (!h) return 4;
  int status = 0;
  int rc = open_handle(h, &v, &status);
  if (rc != NG_OK) {
    free(h);
    fprintf(stderr, SERVE_NAME ": error: %s\n", thread_msg);
    return cli_exit_status(rc);
  }
  pool.idle = h;
  return 0;
}

void pool_stop(void) {
  pthread_mutex_lock(&pool.lock);
  handle *h = pool.idle;
  pool.idle = NULL;
  pthread_mutex_unlock(&pool.lock);
  while (h) {
    handle *next = h->next;
    ng_index_close(h->idx);
    free(h);
    h = next;
  }
}

handle *pool_take(index_version *now, int *status, const char **msg) {
  *status = 0;
  *msg = thread_msg;
  read_index_version(pool.c->index_path, now);
  pthread_mutex_lock(&pool.lock);
  handle *h = pool.idle;
  if (h) pool.idle = h->next;
  pthread_mutex_unlock(&pool.lock);
  if (!h && !(h = calloc(1, sizeof *h))) {
    snprintf(thread_msg, sizeof thread_msg, "out of memory");
    *status = 500;
    return NULL;
  }
  h->next = NULL;
  if (h->idx && (!now->present || h->opened.dev != now->dev || h->opened.ino != now->ino)) {
    ng_index_close(h->idx);
    h->idx = NULL;
    __atomic_add_fetch(&pool.reopens, 1, __ATOMIC_RELAXED);
  }
  if (!h->idx && open_handle(h, now, status) != NG_OK) {
    free(h);
    return NULL;
  }
  return h;
}

void pool_give(handle *h) {
  if (!h) return;
  pthread_mutex_lock(&pool.lock);
  h->next = pool.idle;
  pool.idle = h;
  pthread_mutex_unlock(&pool.lock);
}

ng_index *handle_index(handle *h) { return h->idx; }

void handle_version(const handle *h, index_version *v) { *v = h->opened; }

long long pool_reopens(void) { return __atomic_load_n(&pool.reopens, __ATOMIC_RELAXED); }
