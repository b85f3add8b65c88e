/*
 * index.c -- the handle: opening an index, the writer lock, creating,
 * rebuilding and publishing index files, closing; the handle's error
 * message.
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
 *    and a stale temporary file, which the next writer removes.  A run
 *    that fails before the first commit publishes nothing.
 *  - A rebuild (NG_OPEN_REBUILD, nutgraf-index --full) is a new index built
 *    the same way, whatever state the old one is in, and renamed over it
 *    only when its run has finished: readers see the old index until then,
 *    and a rebuild that fails or is killed leaves the old index as it was.
 *    Its size is a fresh build's, however often it runs.
 *  - Before a new file is renamed into place, the "-wal", "-shm" and
 *    "-journal" files at the index's name are removed: they belong to the
 *    file being replaced (or to a deleted one), and SQLite would replay an
 *    old log onto the new file.
 *  - Writers hold an flock on "<index>.lock" for their whole life, so two
 *    indexers never interleave runs; the kernel drops the lock when a
 *    process dies, even by SIGKILL.  Readers never take it.
 *  - Nothing is written beside a file that is not a nutgraf index: its
 *    header (the SQLite magic and nutgraf's application id) is read before
 *    the lock is taken or SQLite opens it.  No file of an index is opened
 *    through a symbolic link by a writer: the index, its lock file (opened
 *    with O_NOFOLLOW, never truncated before it is known to be a regular
 *    file of one link owned by the caller or the index's owner) and the
 *    files SQLite keeps beside it.  A reader may name the index through a
 *    link; the files beside the target must still be regular files.
 *  - A published index is in WAL mode: readers see the last committed
 *    transaction and are not blocked by the writer.  Its "-wal" and "-shm"
 *    files stay beside it (store.c: persistent WAL), so that users who may
 *    not write there can still read it.
 * Everything said in SQL is store.c's; this file deals in files and names.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libstemmer.h>
#include <limits.h>
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

#define APPLICATION_ID 0x4E475246 /* "NGRF", as store.c writes it */

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
   * which spares a global mutex on every allocation, and the log that
   * tells a query it met a damaged page.  Too late once SQLite is
   * initialized, which is harmless. */
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  ngi_watch_damage();
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

/* ------------------------------------------------------------------ */
/* What is at the index's path */

enum index_file {
  FILE_ABSENT,     /* nothing (a dangling link counts as a link) */
  FILE_OURS,       /* an SQLite database with nutgraf's application id */
  FILE_OTHER_DB,   /* an SQLite database of another program */
  FILE_NOT_SQLITE, /* a regular file that is no SQLite database (or an empty one) */
  FILE_LINK,       /* a symbolic link (writers never follow one) */
  FILE_SPECIAL,    /* a directory, a device, a FIFO ... */
  FILE_UNREADABLE  /* it cannot be opened (err says why) */
};

typedef struct index_state {
  int kind;       /* index_file */
  struct stat st; /* of the file, when it is one */
  int err;        /* errno of a failed look, or 0 */
} index_state;

static unsigned long be32(const unsigned char *p) {
  return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

/* Looks at path without changing anything: lstat, and for a regular file
 * its first 100 bytes (SQLite's header: the magic string, the application
 * id at offset 68), read through SQLite's file layer so that the look
 * never drops a lock this process holds on the index (the store's
 * ngi_store_read_header).  follow: a reader may name the index through a
 * link. */
static void inspect(const char *path, int follow, index_state *s) {
  memset(s, 0, sizeof *s);
  struct stat lst;
  if (lstat(path, &lst) != 0) {
    s->kind = FILE_ABSENT;
    s->err = errno == ENOENT ? 0 : errno;
    return;
  }
  if (S_ISLNK(lst.st_mode) && !follow) {
    s->kind = FILE_LINK;
    s->st = lst;
    return;
  }
  if (follow && stat(path, &lst) != 0) {
    s->err = errno;
    s->kind = errno == ENOENT ? FILE_ABSENT : errno == ELOOP ? FILE_LINK : FILE_UNREADABLE;
    return;
  }
  s->st = lst;
  if (!S_ISREG(lst.st_mode)) {
    s->kind = FILE_SPECIAL;
    return;
  }
  unsigned char h[100];
  /* SQLite opens files with O_NOFOLLOW, through the link's target. */
  char *real = follow ? realpath(path, NULL) : NULL;
  long n = ngi_store_read_header(real ? real : path, h, sizeof h);
  free(real);
  if (n < 0) {
    s->err = (int)-n;
    s->kind = s->err == ENOENT ? FILE_ABSENT : FILE_UNREADABLE;
  } else if (n == (long)sizeof h && memcmp(h, "SQLite format 3", 16) == 0) {
    s->kind = be32(h + 68) == APPLICATION_ID ? FILE_OURS : FILE_OTHER_DB;
  } else {
    s->kind = FILE_NOT_SQLITE;
  }
}

/* The error for a file at the index's path that is not a nutgraf index. */
static int refuse(ng_index *idx, const index_state *s) {
  switch (s->kind) {
    case FILE_LINK:
      return ngi_fail(idx, NG_EDATA,
                      "index %s is a symbolic link: nutgraf-index does not write through one; give the index's"
                      " own path",
                      idx->path);
    case FILE_SPECIAL: return ngi_fail(idx, NG_EDATA, "%s is not a nutgraf index (not a regular file)", idx->path);
    case FILE_UNREADABLE: return ngi_fail(idx, NG_ESYSTEM, "cannot open index %s: %s", idx->path, strerror(s->err));
    case FILE_OTHER_DB:
      return ngi_fail(idx, NG_EDATA,
                      "%s is not a nutgraf index (another program's SQLite database); nothing was changed", idx->path);
    default: return ngi_fail(idx, NG_EDATA, "%s is not a nutgraf index; nothing was changed", idx->path);
  }
}

/* The files SQLite keeps beside a database must be regular files of one
 * link: a link placed there would have SQLite write through it.  (SQLite
 * opens them with O_NOFOLLOW too, but says only "unable to open".)  For a
 * writer they must belong to the index's owner. */
static int check_companions(ng_index *idx, const char *base, const struct stat *index_st) {
  static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
  buf p = {0};
  int rc = NG_OK;
  for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes && rc == NG_OK; i++) {
    ngi_buf_reset(&p);
    ngi_buf_printf(&p, "%s%s", base, suffixes[i]);
    struct stat st;
    if (p.oom) {
      rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    } else if (lstat(p.data, &st) != 0) {
      continue;
    } else if (S_ISLNK(st.st_mode)) {
      rc = ngi_fail(idx, NG_EDATA, "index %s: %s is a symbolic link; nutgraf will not open it (remove it)", idx->path,
                    p.data);
    } else if (!S_ISREG(st.st_mode) || (idx->writable && st.st_nlink != 1)) {
      rc = ngi_fail(idx, NG_EDATA,
                    "index %s: %s is not a regular file of one link; nutgraf will not open it (remove it)", idx->path,
                    p.data);
    } else if (idx->writable && index_st && st.st_uid != index_st->st_uid && st.st_uid != geteuid()) {
      rc = ngi_fail(idx, NG_EDATA, "index %s: %s belongs to another user (uid %ld); nutgraf will not write to it",
                    idx->path, p.data, (long)st.st_uid);
    }
  }
  ngi_buf_free(&p);
  return rc;
}

/* Removes the "-wal", "-shm" and "-journal" files at path's name before a
 * new file takes it (the invariants above). */
static void remove_companions(const char *path) {
  static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
  buf p = {0};
  for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
    ngi_buf_reset(&p);
    ngi_buf_printf(&p, "%s%s", path, suffixes[i]);
    if (!p.oom) unlink(p.data);
  }
  ngi_buf_free(&p);
}

/* ------------------------------------------------------------------ */
/* The writer lock */

/* Opens "<index>.lock" as daemons open their pid files: never through a
 * link (O_NOFOLLOW), never blocking on a FIFO, and not truncated or
 * written until it is known to be a regular file of one link that belongs
 * to the caller or to the index's owner (owner: the index's uid, or -1).
 * Then flocks it, and writes the pid for the busy message. */
static int take_lock(ng_index *idx, int wait, long owner) {
  buf lp = {0};
  ngi_buf_printf(&lp, "%s.lock", idx->path);
  if (lp.oom) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  int rc = NG_OK;
  struct stat st;
  idx->lock_fd = open(lp.data, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
  if (idx->lock_fd < 0 && errno == ELOOP) {
    rc =
        ngi_fail(idx, NG_EDATA, "lock file %s is a symbolic link; nutgraf-index will not open it (remove it)", lp.data);
  } else if (idx->lock_fd < 0) {
    rc = ngi_fail(idx, NG_ESYSTEM, "cannot open lock file %s: %s", lp.data, strerror(errno));
  } else if (fstat(idx->lock_fd, &st) != 0) {
    rc = ngi_fail(idx, NG_ESYSTEM, "cannot open lock file %s: %s", lp.data, strerror(errno));
  } else if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
    rc = ngi_fail(idx, NG_EDATA,
                  "lock file %s is not a regular file of one link; nutgraf-index will not use it (remove it)", lp.data);
  } else if (st.st_uid != geteuid() && (long)st.st_uid != owner) {
    rc = ngi_fail(idx, NG_EDATA,
                  "lock file %s belongs to another user (uid %ld); nutgraf-index will not use it (remove it, or run as"
                  " the index's owner)",
                  lp.data, (long)st.st_uid);
  }
  while (rc == NG_OK && flock(idx->lock_fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      char pid[32] = "";
      ssize_t n = pread(idx->lock_fd, pid, sizeof pid - 1, 0);
      pid[n > 0 ? n : 0] = '\0';
      pid[strspn(pid, "0123456789")] = '\0';
      rc = ngi_fail(idx, NG_EBUSY, "index %s is being updated by another nutgraf-index%s%s%s", idx->path,
                    pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
    } else {
      rc = ngi_fail(idx, NG_ESYSTEM, "cannot lock %s: %s", lp.data, strerror(errno));
    }
  }
  if (rc == NG_OK) {
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(idx->lock_fd, 0) == 0 && pwrite(idx->lock_fd, pid, (size_t)n, 0) < 0) {
      /* the pid is only a courtesy for the busy message */
    }
  } else if (idx->lock_fd >= 0) {
    close(idx->lock_fd);
    idx->lock_fd = -1;
  }
  ngi_buf_free(&lp);
  return rc;
}

/* ------------------------------------------------------------------ */
/* New files */

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
 * open and publish (the invariants above).  The name is created here with
 * O_EXCL, so SQLite never opens something another user put there.  Called
 * with the writer lock held. */
static int create_index(ng_index *idx, const char *language) {
  buf tmp = {0};
  ngi_buf_printf(&tmp, "%s.new-%ld", idx->path, (long)getpid());
  if (tmp.oom) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  remove_stale(idx->path);
  int rc = NG_OK;
  int fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    rc = ngi_fail(idx, NG_ESYSTEM, "cannot create index %s: %s: %s", idx->path, tmp.data, strerror(errno));
  else
    close(fd);
  if (rc == NG_OK) rc = ngi_store_create(idx, tmp.data, language);
  if (rc == NG_OK) {
    idx->unpublished = ngi_buf_detach(&tmp);
  } else {
    remove_stale(idx->path);
    ngi_buf_free(&tmp);
  }
  return rc;
}

/* Makes a new index visible at its path: WAL mode, closed, synced, the old
 * file's companions removed, renamed (the invariants above); then opened
 * again there when reconnect is set.  On failure the new index is gone and
 * what was at the path is as it was. */
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
  if (rc == NG_OK && idx->previous) {
    ng_index_close(idx->previous); /* it must not hold the old log open */
    idx->previous = NULL;
  }
  if (rc == NG_OK) remove_companions(idx->path);
  if (rc == NG_OK && rename(tmp, idx->path) != 0)
    rc = ngi_fail(idx, NG_ESYSTEM, "cannot create index %s: %s", idx->path, strerror(errno));
  idx->unpublished = NULL;
  if (rc != NG_OK) remove_stale(idx->path);
  free(tmp);
  if (rc == NG_OK && reconnect) rc = ngi_store_connect(idx, idx->path, NULL, 0);
  return rc;
}

static int commit(ng_index *idx, int final) {
  int rc = ngi_store_commit(idx);
  /* A run's end gives back the free pages its merges left, before a new
   * file is published (where no reader waits) or after the last commit
   * (readers of a WAL index go on reading meanwhile). */
  if (rc == NG_OK && final && !idx->abandoned) rc = ngi_store_reclaim(idx);
  /* A new index appears with its first batch, even an empty one; a
   * rebuilt one when its run is done. */
  if (rc == NG_OK && idx->unpublished && !idx->abandoned && (final || !idx->rebuild)) rc = publish(idx, 1);
  return rc;
}

int ngi_index_commit(ng_index *idx) { return commit(idx, 0); }

int ngi_index_commit_final(ng_index *idx) { return commit(idx, 1); }

void ngi_index_abandon(ng_index *idx) {
  if (!idx->unpublished) return;
  /* The connection stays, on a file no name leads to any more, so that
   * the handle can still be used and closed as usual. */
  remove_stale(idx->path);
  free(idx->unpublished);
  idx->unpublished = NULL;
  idx->abandoned = 1;
}

int ngi_index_private(const ng_index *idx) { return idx->unpublished != NULL; }

/* ------------------------------------------------------------------ */
/* Opening */

/* Rebuilding: the old index, opened read-only so the run can carry over
 * what lies outside its paths; when it cannot be opened, the reason is
 * kept and the rebuild goes on without it. */
static void open_previous(ng_index *idx) {
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.busy_timeout_ms = idx->busy_ms;
  ng_index *old = NULL;
  if (ng_index_open(&old, idx->path, &o) == NG_OK) {
    idx->previous = old;
  } else {
    idx->previous_err = strdup(ng_index_errmsg(old));
    ng_index_close(old);
  }
}

static int lock_exists(const char *path) {
  buf lp = {0};
  ngi_buf_printf(&lp, "%s.lock", path);
  struct stat st;
  int yes = !lp.oom && lstat(lp.data, &st) == 0;
  ngi_buf_free(&lp);
  return yes;
}

static int open_writer(ng_index *idx, const ng_open_options *opts) {
  const char *path = idx->path;
  int create = (opts->flags & (NG_OPEN_CREATE | NG_OPEN_REBUILD)) != 0;
  index_state s;
  inspect(path, 0, &s);
  if (s.err && s.kind == FILE_ABSENT)
    return ngi_fail(idx, NG_ESYSTEM, "cannot open index %s: %s", path, strerror(s.err));
  /* A rebuild may replace a file whose header no longer reads as an
   * index's only where a nutgraf writer has worked before (its lock file
   * is there); any other file that is not an index is left alone. */
  if (s.kind == FILE_NOT_SQLITE && idx->rebuild) {
    buf lp = {0};
    ngi_buf_printf(&lp, "%s.lock", path);
    struct stat lst;
    if (!lp.oom && lstat(lp.data, &lst) == 0 && S_ISREG(lst.st_mode) && lst.st_uid == s.st.st_uid) s.kind = FILE_OURS;
    ngi_buf_free(&lp);
  }
  if (s.kind != FILE_ABSENT && s.kind != FILE_OURS) return refuse(idx, &s);
  /* No index and none to make: say so without creating a lock file,
   * unless one is there (another writer may be building the index). */
  if (s.kind == FILE_ABSENT && !create && !lock_exists(path)) return ngi_fail(idx, NG_EDATA, "no index at %s", path);
  int rc = check_companions(idx, path, s.kind == FILE_OURS ? &s.st : NULL);
  if (rc != NG_OK) return rc;
  if (s.kind == FILE_ABSENT && make_parent(path) != 0)
    return ngi_fail(idx, NG_ESYSTEM, "cannot create the directory of %s: %s", path, strerror(errno));
  rc = take_lock(idx, !(opts->flags & NG_OPEN_NOWAIT), s.kind == FILE_OURS ? (long)s.st.st_uid : -1);
  if (rc != NG_OK) return rc;
  /* Another writer may have made or replaced it meanwhile. */
  int was = s.kind;
  inspect(path, 0, &s);
  if (s.kind == FILE_NOT_SQLITE && was == FILE_OURS && idx->rebuild) s.kind = FILE_OURS;
  if (s.kind != FILE_ABSENT && s.kind != FILE_OURS) return refuse(idx, &s);
  if (s.kind == FILE_ABSENT && !create) return ngi_fail(idx, NG_EDATA, "no index at %s", path);
  if (s.kind == FILE_OURS && !idx->rebuild) return ngi_store_connect(idx, path, opts->language, 0);
  /* A new index, or a rebuild: a new file, in the old one's language
   * unless another is asked for. */
  const char *language = opts->language;
  if (s.kind == FILE_OURS) {
    open_previous(idx);
    if (!language && idx->previous) language = ng_index_language(idx->previous);
  }
  /* The lock file stays: unlinking it while another writer waits on it
   * would let a third take a new one and both think they hold it. */
  rc = create_index(idx, language ? language : "english");
  if (rc == NG_OK) rc = ngi_store_connect(idx, idx->unpublished, NULL, 1);
  return rc;
}

static int open_reader(ng_index *idx, const ng_open_options *opts) {
  const char *path = idx->path;
  index_state s;
  inspect(path, 1, &s);
  if (s.kind == FILE_ABSENT && s.err)
    return ngi_fail(idx, NG_ESYSTEM, "cannot open index %s: %s", path, strerror(s.err));
  if (s.kind == FILE_ABSENT) return ngi_fail(idx, NG_EDATA, "no index at %s (create one with nutgraf-index)", path);
  if (s.kind != FILE_OURS) return refuse(idx, &s);
  /* SQLite keeps the -wal and -shm files beside the link's target. */
  char *real = realpath(path, NULL);
  int rc = check_companions(idx, real ? real : path, NULL);
  free(real);
  if (rc == NG_OK) rc = ngi_store_connect(idx, path, opts->language, 0);
  return rc;
}

int ng_index_open(ng_index **out, const char *path, const ng_open_options *opts) {
  ng_open_options defaults = NG_OPEN_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  ng_index *idx = calloc(1, sizeof *idx);
  *out = idx;
  if (!idx) return NG_ESYSTEM;
  idx->lock_fd = -1;
  idx->writable = (opts->flags & NG_OPEN_WRITE) != 0;
  idx->rebuild = idx->writable && (opts->flags & NG_OPEN_REBUILD) != 0;
  idx->busy_ms = opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 10000;
  idx->damage_seen = ngi_damage_count();
  const char *ex = getenv("NUTGRAF_EXHAUSTIVE");
  idx->exhaustive = ex && *ex && strcmp(ex, "0") != 0;
  if (!path || !*path) return ngi_fail(idx, NG_EUSAGE, "no index path given");
  idx->path = strdup(path);
  if (!idx->path) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  return idx->writable ? open_writer(idx, opts) : open_reader(idx, opts);
}

void ng_index_close(ng_index *idx) {
  if (!idx) return;
  /* A new index a handle opened and closed without a failed run is
   * published (empty); a rebuild only ever by its run's end. */
  if (idx->unpublished && ngi_store_connected(idx) && !idx->rebuild && !idx->abandoned) {
    ngi_store_rollback(idx);
    publish(idx, 0);
  } else if (idx->unpublished) {
    ngi_store_disconnect(idx);
    remove_stale(idx->path);
  }
  ngi_store_disconnect(idx);
  free(idx->unpublished);
  ng_index_close(idx->previous);
  free(idx->previous_err);
  ngi_variants_free(idx->vars);
  free(idx->notes);
  if (idx->lock_fd >= 0) close(idx->lock_fd); /* releases the flock */
  free(idx->path);
  free(idx);
}
