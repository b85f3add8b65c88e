/*
 * index.c -- the handle: opening an index, the writer lock, creating and
 * publishing a new index file, closing; the handle's error message.
 *
 * Invariants:
 *  - An index file either does not exist or holds the whole schema: a new
 *    index is built under a temporary name ("<index>.new-<pid>") and renamed
 *    into place when its first batch is committed (ingest.c makes that its
 *    first two seconds of work; at the latest the run's end or the handle's
 *    close).  That first batch goes through a rollback journal with no
 *    sync, into a file no reader knows: pages are written once, where WAL
 *    would write them to the log and copy them again at the checkpoint
 *    (BBC x1: 0.41 -> 0.35 s; BBC x8, its first batch two seconds long
 *    instead of 2000 files: 2.63 -> 2.02 s).  The file is switched
 *    to WAL and synced before the rename.  A kill before it leaves no index
 *    and a stale temporary file, which the next writer removes.
 *  - Writers hold an flock on "<index>.lock" for their whole life, so two
 *    indexers never interleave runs; the kernel drops the lock when a
 *    process dies, even by SIGKILL.  Readers never take it.
 *  - A published index is in WAL mode: readers see the last committed
 *    transaction and are not blocked by the writer.
 * Everything said in SQL is store.c's; this file deals in files and names.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#ifndef NG_SNOWBALL_VERSION
#define NG_SNOWBALL_VERSION "unknown"
#endif

const char *ng_version_info(void) {
  static char info[200];
  if (!info[0]) {
    int n = 0;
    for (const char **l = sb_stemmer_list(); *l; l++) n++;
    snprintf(info, sizeof info, "nutgraf %s, SQLite %s, Snowball %s (%d stemmers)", NG_VERSION_STRING,
             sqlite3_libversion(), NG_SNOWBALL_VERSION, n);
  }
  return info;
}

void ng_init(void) {
  /* Before SQLite starts: no allocation statistics (nutgraf reads none),
   * which spares a global mutex on every allocation.  Too late once SQLite
   * is initialized, which is harmless. */
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

const char *ng_index_errmsg(const ng_index *idx) { return idx ? idx->err : "out of memory"; }

const char *ng_index_language(const ng_index *idx) { return ngi_lexicon_language(idx->lx); }

char *ng_default_index_path(void) {
  const char *env = getenv("NUTGRAF_INDEX");
  if (env && *env) return strdup(env);
  buf b = {0};
  const char *xdg = getenv("XDG_DATA_HOME");
  const char *home = getenv("HOME");
  if (xdg && xdg[0] == '/') {
    ngi_buf_printf(&b, "%s/nutgraf/index.db", xdg);
  } else if (home && *home) {
    ngi_buf_printf(&b, "%s/.local/share/nutgraf/index.db", home);
  } else {
    return NULL;
  }
  return b.oom ? (ngi_buf_free(&b), NULL) : ngi_buf_detach(&b);
}

/* mkdir -p of the directory part of path. */
static int make_parent(const char *path) {
  char *p = strdup(path);
  if (!p) return -1;
  char *slash = strrchr(p, '/');
  int rc = 0;
  if (slash && slash != p) {
    *slash = '\0';
    for (char *s = p + 1; *s; s++) {
      if (*s != '/') continue;
      *s = '\0';
      if (mkdir(p, 0755) != 0 && errno != EEXIST) rc = -1;
      *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) rc = -1;
  }
  free(p);
  return rc;
}

static int take_lock(ng_index *idx, int wait) {
  buf lp = {0};
  ngi_buf_printf(&lp, "%s.lock", idx->path);
  if (lp.oom) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  idx->lock_fd = open(lp.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (idx->lock_fd < 0) {
    int rc = ngi_fail(idx, NG_ESYSTEM, "cannot open lock file %s: %s", lp.data, strerror(errno));
    ngi_buf_free(&lp);
    return rc;
  }
  int rc = NG_OK;
  while (flock(idx->lock_fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      char pid[32] = "";
      ssize_t n = pread(idx->lock_fd, pid, sizeof pid - 1, 0);
      pid[n > 0 ? n : 0] = '\0';
      pid[strcspn(pid, "\n")] = '\0';
      rc = ngi_fail(idx, NG_EBUSY, "index %s is being updated by another nutgraf-index%s%s%s", idx->path,
                    pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
    } else {
      rc = ngi_fail(idx, NG_ESYSTEM, "cannot lock %s: %s", lp.data, strerror(errno));
    }
    break;
  }
  if (rc == NG_OK) {
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(idx->lock_fd, 0) == 0 && pwrite(idx->lock_fd, pid, (size_t)n, 0) < 0) {
      /* the pid is only a courtesy for the busy message */
    }
  }
  ngi_buf_free(&lp);
  return rc;
}

/* Removes what killed writers left of unpublished indexes ("<index>.new-*").
 * Called with the writer lock held, so no other writer is building one. */
static void remove_stale(const char *path) {
  char *copy = strdup(path);
  if (!copy) return;
  char *slash = strrchr(copy, '/');
  const char *dir = slash ? (slash == copy ? "/" : copy) : ".";
  const char *base = slash ? slash + 1 : copy;
  if (slash) *slash = '\0';
  buf prefix = {0}, file = {0};
  ngi_buf_printf(&prefix, "%s.new-", base);
  DIR *d = prefix.oom ? NULL : opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, prefix.data, prefix.len) != 0) continue;
    ngi_buf_reset(&file);
    ngi_buf_printf(&file, "%s/%s", dir, e->d_name);
    if (!file.oom) unlink(file.data);
  }
  if (d) closedir(d);
  ngi_buf_free(&prefix);
  ngi_buf_free(&file);
  free(copy);
}

/* Builds a new, empty index under a temporary name, left for the handle to
 * open and publish (the invariants above).  Called with the writer lock
 * held. */
static int create_index(ng_index *idx, const char *language) {
  buf tmp = {0};
  ngi_buf_printf(&tmp, "%s.new-%ld", idx->path, (long)getpid());
  if (tmp.oom) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  remove_stale(idx->path);
  int rc = ngi_store_create(idx, tmp.data, language);
  if (rc == NG_OK) {
    idx->unpublished = ngi_buf_detach(&tmp);
  } else {
    remove_stale(idx->path);
    ngi_buf_free(&tmp);
  }
  return rc;
}

/* Makes a new index visible at its path: WAL mode, closed, synced, renamed
 * (the invariants above); then opened again there when reconnect is set.
 * On failure the new index is gone. */
static int publish(ng_index *idx, int reconnect) {
  char *tmp = idx->unpublished;
  int rc = ngi_store_use_wal(idx);
  ngi_store_disconnect(idx);
  if (rc == NG_OK) {
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
      rc = ngi_fail(idx, NG_ESYSTEM, "cannot create index %s: syncing: %s", idx->path, strerror(errno));
    if (fd >= 0) close(fd);
  }
  if (rc == NG_OK && rename(tmp, idx->path) != 0)
    rc = ngi_fail(idx, NG_ESYSTEM, "cannot create index %s: %s", idx->path, strerror(errno));
  idx->unpublished = NULL;
  if (rc != NG_OK) remove_stale(idx->path);
  free(tmp);
  if (rc == NG_OK && reconnect) rc = ngi_store_connect(idx, idx->path, NULL, 0);
  return rc;
}

int ngi_index_commit(ng_index *idx) {
  int rc = ngi_store_commit(idx);
  /* A new index appears with its first batch, even an empty one. */
  if (rc == NG_OK && idx->unpublished) rc = publish(idx, 1);
  return rc;
}

int ng_index_open(ng_index **out, const char *path, const ng_open_options *opts) {
  ng_open_options defaults = NG_OPEN_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  ng_index *idx = calloc(1, sizeof *idx);
  *out = idx;
  if (!idx) return NG_ESYSTEM;
  idx->lock_fd = -1;
  int write = (opts->flags & NG_OPEN_WRITE) != 0;
  idx->writable = write;
  const char *ex = getenv("NUTGRAF_EXHAUSTIVE");
  idx->exhaustive = ex && *ex && strcmp(ex, "0") != 0;
  if (!path || !*path) return ngi_fail(idx, NG_EUSAGE, "no index path given");
  idx->path = strdup(path);
  if (!idx->path) return ngi_fail(idx, NG_ESYSTEM, "out of memory");

  struct stat st;
  int exists = stat(path, &st) == 0;
  if (!exists && errno != ENOENT) return ngi_fail(idx, NG_ESYSTEM, "cannot open index %s: %s", path, strerror(errno));
  if (exists && !S_ISREG(st.st_mode))
    return ngi_fail(idx, NG_EDATA, "%s is not a nutgraf index (not a regular file)", path);
  if (write) {
    if (!exists && (opts->flags & NG_OPEN_CREATE) && make_parent(path) != 0)
      return ngi_fail(idx, NG_ESYSTEM, "cannot create the directory of %s: %s", path, strerror(errno));
    int rc = take_lock(idx, !(opts->flags & NG_OPEN_NOWAIT));
    if (rc != NG_OK) return rc;
    exists = stat(path, &st) == 0; /* another writer may have made it meanwhile */
    if (!exists) {
      /* The lock file stays: unlinking it while another writer waits on
       * it would let a third take a new one and both think they hold it. */
      if (!(opts->flags & NG_OPEN_CREATE)) return ngi_fail(idx, NG_EDATA, "no index at %s", path);
      rc = create_index(idx, opts->language ? opts->language : "english");
      if (rc != NG_OK) return rc;
    }
  } else if (!exists) {
    return ngi_fail(idx, NG_EDATA, "no index at %s (create one with nutgraf-index)", path);
  }

  idx->busy_ms = opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 10000;
  return ngi_store_connect(idx, idx->unpublished ? idx->unpublished : path, opts->language, idx->unpublished != NULL);
}

void ng_index_close(ng_index *idx) {
  if (!idx) return;
  if (idx->unpublished && ngi_store_connected(idx)) {
    ngi_store_rollback(idx);
    publish(idx, 0);
  } else if (idx->unpublished) {
    remove_stale(idx->path);
  }
  ngi_store_disconnect(idx);
  free(idx->unpublished);
  ngi_variants_free(idx->vars);
  free(idx->notes);
  if (idx->lock_fd >= 0) close(idx->lock_fd); /* releases the flock */
  free(idx->path);
  free(idx);
}
