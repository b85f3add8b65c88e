/*
 * walk.c -- the roots of a run -> the files to read, and what the index
 * knows of each, to tell what changed (after notmuch new).
 *
 * The catalog is the index's documents by path (size, mtime, content
 * hash, when indexed), loaded into memory once per run.  A file is
 * unchanged by size and mtime alone unless its mtime is so close to when
 * it was read that a later write could hide in the same tick ("racy"
 * files); then, and when only the mtime changed, the content hash decides
 * (pipeline.c compares it).
 *
 * The walk visits a root recursively: names sorted, hidden entries,
 * excluded names and a folder's README* and *.md files skipped, symbolic links followed, a link back to a
 * directory above reported as a loop.  It never decides what to remove:
 * it tells its caller which paths failed, and the caller keeps what was
 * indexed under them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define RACY_NS 2000000000LL

long long ngi_mtime_ns(const struct stat *st) {
  return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* The catalog */

/* Links a feed record into its feed's list. */
static int link_record(ngi_catalog *c, ngi_known *k) {
  if (k->kind != NGI_DOC_RECORD) return NG_OK;
  ngi_known *head = ngi_map_get(&c->feeds, (const char *)&k->feed, sizeof k->feed);
  k->next_in_feed = head;
  return ngi_map_put(&c->feeds, (const char *)&k->feed, sizeof k->feed, k) == 0 ? NG_OK : NG_ESYSTEM;
}

static ngi_known *new_known(const char *path) {
  size_t n = strlen(path);
  ngi_known *k = calloc(1, sizeof *k + n + 1);
  if (k) memcpy(k->path, path, n + 1);
  return k;
}

static int load_one(void *ctx, const ngi_doc_row *row) {
  ngi_catalog *c = ctx;
  ngi_known *k = new_known(row->path);
  if (!k || ngi_map_put(&c->docs, row->path, strlen(row->path), k) != 0) {
    free(k);
    return NG_ESYSTEM;
  }
  k->id = row->id;
  k->kind = row->kind;
  k->feed = row->feed;
  k->size = row->size;
  k->mtime_ns = row->mtime_ns;
  k->hash = row->hash;
  k->indexed_ns = row->indexed_ns;
  k->passages = row->passages;
  k->pno = row->pno;
  k->feed_line = row->feed_line;
  k->first_ns = row->first_ns;
  k->changed_ns = row->changed_ns;
  k->change = row->change;
  return link_record(c, k);
}

int ngi_catalog_load(ng_index *idx, ngi_catalog *c) {
  memset(c, 0, sizeof *c);
  int rc = ngi_store_each_document(idx, load_one, c);
  if (rc == NG_ESYSTEM && !idx->err[0]) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  return rc;
}

ngi_known *ngi_catalog_get(const ngi_catalog *c, const char *path) { return ngi_map_get(&c->docs, path, strlen(path)); }

ngi_known *ngi_catalog_add(ngi_catalog *c, const char *path, int kind, long long feed) {
  ngi_known *k = new_known(path);
  if (!k || ngi_map_put(&c->docs, path, strlen(path), k) != 0) {
    free(k);
    return NULL;
  }
  k->kind = kind;
  k->feed = feed;
  return link_record(c, k) == NG_OK ? k : NULL;
}

void ngi_catalog_free(ngi_catalog *c) {
  ngi_map_clear(&c->feeds, NULL);
  ngi_map_clear(&c->docs, free);
}

ngi_known *ngi_catalog_records(const ngi_catalog *c, long long feed_id) {
  return ngi_map_get(&c->feeds, (const char *)&feed_id, sizeof feed_id);
}

void ngi_catalog_keep_records(ngi_catalog *c, long long feed_id) {
  for (ngi_known *k = ngi_catalog_records(c, feed_id); k; k = k->next_in_feed) k->seen = 1;
}

int ngi_unchanged(const ngi_known *k, const struct stat *st, int full) {
  return k && st && !full && st->st_size == k->size && ngi_mtime_ns(st) == k->mtime_ns &&
         k->indexed_ns - k->mtime_ns > RACY_NS;
}

/* ------------------------------------------------------------------ */
/* The index's own files */

static const char *const own_suffixes[] = {"", "-wal", "-shm", "-journal", ".lock"};

int ngi_own_init(ngi_own *own, const char *index_path) {
  memset(own, 0, sizeof *own);
  char *path = ngi_clean_path(index_path);
  if (!path) return NG_ESYSTEM;
  char *slash = strrchr(path, '/');
  int rc = (own->base = strdup(slash + 1)) ? NG_OK : NG_ESYSTEM;
  *slash = '\0';
  struct stat st;
  if (rc == NG_OK && stat(slash == path ? "/" : path, &st) == 0) {
    own->dir_dev = st.st_dev;
    own->dir_ino = st.st_ino;
    own->have_dir = 1;
  }
  *slash = '/';
  buf p = {0};
  for (size_t i = 0; rc == NG_OK && i < sizeof own_suffixes / sizeof *own_suffixes; i++) {
    ngi_buf_reset(&p);
    ngi_buf_printf(&p, "%s%s", path, own_suffixes[i]);
    if (p.oom) rc = NG_ESYSTEM;
    if (rc == NG_OK && stat(p.data, &st) == 0 && own->nfiles < sizeof own->files / sizeof *own->files) {
      own->files[own->nfiles].dev = st.st_dev;
      own->files[own->nfiles].ino = st.st_ino;
      own->nfiles++;
    }
  }
  ngi_buf_free(&p);
  free(path);
  if (rc != NG_OK) ngi_own_free(own);
  return rc;
}

void ngi_own_free(ngi_own *own) {
  free(own->base);
  memset(own, 0, sizeof *own);
}

int ngi_own_name(const ngi_own *own, const char *name) {
  if (!own || !own->base) return 0;
  size_t n = strlen(own->base);
  if (strncmp(name, own->base, n) != 0) return 0;
  const char *rest = name + n;
  if (strncmp(rest, ".new-", 5) == 0) return 1; /* a new index and its journal */
  for (size_t i = 0; i < sizeof own_suffixes / sizeof *own_suffixes; i++)
    if (strcmp(rest, own_suffixes[i]) == 0) return 1;
  return 0;
}

/* Is the directory dir_st the index's, and name one of its files? */
static int own_entry(const ngi_own *own, dev_t dev, ino_t ino, const char *name) {
  return own && own->have_dir && own->dir_dev == dev && own->dir_ino == ino && ngi_own_name(own, name);
}

/* Is the file st one of the index's own (by identity)? */
static int own_file(const ngi_own *own, const struct stat *st) {
  for (size_t i = 0; own && i < own->nfiles; i++)
    if (own->files[i].dev == st->st_dev && own->files[i].ino == st->st_ino) return 1;
  return 0;
}

/* Is path, by its directory and name, one of the index's files? */
static int own_path(const ngi_own *own, const char *path) {
  if (!own || !own->have_dir) return 0;
  const char *slash = strrchr(path, '/');
  if (!slash || !ngi_own_name(own, slash + 1)) return 0;
  char *dir = ngi_strdup_n(path, (size_t)(slash - path));
  struct stat st;
  int yes = dir && stat(*dir ? dir : "/", &st) == 0 && st.st_dev == own->dir_dev && st.st_ino == own->dir_ino;
  free(dir);
  return yes;
}

int ngi_own_is(const ngi_own *own, const char *path, const struct stat *st) {
  return own_path(own, path) || (st && own_file(own, st));
}

/* ------------------------------------------------------------------ */
/* The walk */

typedef struct ancestor {
  dev_t dev;
  ino_t ino;
  const struct ancestor *up;
} ancestor;

/* A folder's own documentation, not an article: README, README.txt,
 * readme.md, NOTES.md (a directory of that name is walked). */
static int is_doc_name(const char *name, unsigned char type) {
  if (type == DT_DIR) return 0;
  return fnmatch("readme*", name, FNM_CASEFOLD) == 0 || fnmatch("*.md", name, FNM_CASEFOLD) == 0;
}

static int skip_name(const ngi_walk_ops *ops, const char *name) {
  if (name[0] == '.') return 1;
  for (const char *const *g = ops->exclude; g && *g; g++) {
    if (fnmatch(*g, name, 0) == 0) return 1;
  }
  return 0;
}

/* Compares a directory's entries: names after their type byte. */
static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a + 1, *(char *const *)b + 1); }

static int walk_dir(const ngi_walk_ops *ops, const char *dir, const ancestor *up);

/* Memory ran out (a directory could not be opened for it): the machine's
 * problem, not the path's, so the run stops, with one message. */
static int out_of_memory(const ngi_walk_ops *ops, const char *path) {
  if (ops->out_of_memory) return ops->out_of_memory(ops->ctx, path);
  return NG_ESYSTEM;
}

/* One entry found at path (stat'ed through symbolic links). */
static int visit(const ngi_walk_ops *ops, const char *path, const ancestor *up, int as_feed) {
  if (own_path(ops->own, path)) return NG_OK; /* the index, its -wal, -shm and .lock files */
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    struct stat lst;
    if (e == ELOOP) return ops->problem(ops->ctx, path, NG_SEV_WARNING, "symbolic link loop", 0);
    if (e == ENOENT && lstat(path, &lst) == 0)
      return ops->problem(ops->ctx, path, NG_SEV_WARNING, "broken symbolic link", 0);
    char msg[200];
    if (e == ENOMEM) return out_of_memory(ops, path);
    snprintf(msg, sizeof msg, "cannot read: %s", strerror(e));
    return ops->problem(ops->ctx, path, NG_SEV_ERROR, msg, 1); /* whatever was indexed under it stays */
  }
  if (S_ISDIR(st.st_mode)) {
    for (const ancestor *a = up; a; a = a->up) {
      if (a->dev == st.st_dev && a->ino == st.st_ino)
        return ops->problem(ops->ctx, path, NG_SEV_WARNING, "symbolic link loop (leads back to a directory above it)",
                            0);
    }
    ancestor me = {st.st_dev, st.st_ino, up};
    return walk_dir(ops, path, &me);
  }
  if (!S_ISREG(st.st_mode)) return ops->problem(ops->ctx, path, NG_SEV_WARNING, "not a regular file", 0);
  if (own_file(ops->own, &st)) return NG_OK; /* a link to one of them */
  return ops->file(ops->ctx, path, &st, as_feed);
}

static int is_feed_name(const char *path) {
  size_t n = strlen(path);
  return n > 6 && strcmp(path + n - 6, ".jsonl") == 0;
}

static int walk_dir(const ngi_walk_ops *ops, const char *dir, const ancestor *up) {
  DIR *d = opendir(dir);
  if (!d) {
    char msg[200];
    if (errno == ENOMEM) return out_of_memory(ops, dir);
    snprintf(msg, sizeof msg, "cannot read directory: %s", strerror(errno));
    return ops->problem(ops->ctx, dir, NG_SEV_ERROR, msg, 1);
  }
  strlist list = {0};
  struct dirent *e;
  int rc = NG_OK;
  errno = 0;
  char entry[1 + sizeof e->d_name];
  while ((e = readdir(d)) != NULL) {
    if (skip_name(ops, e->d_name) || (!ops->include_docs && is_doc_name(e->d_name, e->d_type))) continue;
    /* The index's files, in its directory however it is reached. */
    if (up && own_entry(ops->own, up->dev, up->ino, e->d_name)) continue;
    /* Each name is kept after a byte telling whether it is a regular file. */
    entry[0] = e->d_type == DT_REG ? 'f' : '?';
    snprintf(entry + 1, sizeof entry - 1, "%s", e->d_name);
    if (ngi_strlist_add(&list, entry) != 0) {
      rc = NG_ESYSTEM;
      break;
    }
  }
  if (rc == NG_OK && errno != 0) {
    char msg[200];
    snprintf(msg, sizeof msg, "cannot list directory: %s", strerror(errno));
    rc = ops->problem(ops->ctx, dir, NG_SEV_ERROR, msg, 1);
  }
  closedir(d);
  if (list.n) qsort(list.items, list.n, sizeof *list.items, cmp_names);
  buf path = {0};
  for (size_t i = 0; i < list.n && rc == NG_OK; i++) {
    ngi_buf_reset(&path);
    ngi_buf_adds(&path, dir);
    if (path.len == 0 || path.data[path.len - 1] != '/') ngi_buf_addc(&path, '/');
    ngi_buf_adds(&path, list.items[i] + 1);
    if (path.oom) {
      rc = NG_ESYSTEM;
      break;
    }
    /* A regular file the index does not know yet needs no stat here: the
     * worker reads it (and stats it) anyway. */
    if (list.items[i][0] == 'f' && !ngi_catalog_get(ops->catalog, path.data) && !is_feed_name(path.data))
      rc = ops->file(ops->ctx, path.data, NULL, 0);
    else
      rc = visit(ops, path.data, up, is_feed_name(path.data));
  }
  ngi_buf_free(&path);
  ngi_strlist_free(&list);
  return rc;
}

int ngi_walk(const ngi_walk_ops *ops, const char *root, const char *shown, int as_feed) {
  struct stat st;
  if (stat(root, &st) != 0) {
    int e = errno;
    int rc = ops->problem(ops->ctx, shown, NG_SEV_ERROR, e == ELOOP ? "symbolic link loop" : strerror(e), 1);
    return rc != NG_OK ? rc : NG_EDATA;
  }
  if (S_ISDIR(st.st_mode) && as_feed) {
    int rc = ops->problem(ops->ctx, shown, NG_SEV_ERROR, "a directory, not a JSON Lines feed", 1);
    return rc != NG_OK ? rc : NG_EDATA;
  }
  if (S_ISDIR(st.st_mode)) {
    ancestor me = {st.st_dev, st.st_ino, NULL};
    return walk_dir(ops, root, &me);
  }
  return visit(ops, root, NULL, as_feed || is_feed_name(root));
}
