/*
 * ingest.c -- incremental indexing runs, after notmuch new.
 *
 * A run loads what the index knows of each file (size, mtime, content hash)
 * into memory, walks the paths it is given, and re-reads only what changed:
 *  - same size and mtime: unchanged, unless the mtime is so close to when
 *    the file was read that a later write could hide in the same tick
 *    ("racy" files), in which case the hash decides;
 *  - same size, other mtime: the hash decides (a touch is not a change);
 *  - otherwise the file is read, decoded, segmented, and its passages are
 *    replaced, inside the current transaction.
 * Transactions are committed in batches (by count, bytes and time; the
 * first batch of a new index, which no reader sees yet, by time alone); each
 * file's change lies wholly inside one batch, so a kill at any moment leaves
 * every file either as it was or as it is now, and the next run finishes
 * the job.  Removals come last, only for documents under the roots of this
 * run, never under a directory that could not be read.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define BATCH_FILES 2000
#define BATCH_BYTES (16u << 20)
#define BATCH_NS 2000000000LL
#define RACY_NS 2000000000LL
#define DEFAULT_MAX_FILE (256LL << 20)
#define MAX_QUEUED 64 /* files the worker may prepare ahead of the writer */

enum doc_kind { DOC_ARTICLE = 0, DOC_FEED = 1, DOC_RECORD = 2 };

typedef struct docrec {
  long long id, size, mtime_ns, hash, indexed_ns, feed, passages;
  int kind;
  int seen;
} docrec;

typedef struct ancestor {
  dev_t dev;
  ino_t ino;
  const struct ancestor *up;
} ancestor;

typedef struct strlist {
  char **items;
  size_t n, cap;
} strlist;

struct ng_run {
  ng_index *idx;
  ng_run_options opts;
  ng_report_fn report;
  void *ctx;
  strmap docs;       /* path -> docrec */
  strlist roots;     /* cleaned paths given to the run */
  strlist failed;    /* directories that could not be read: no removals under them */
  long long *reread; /* feed ids read again in this run: their missing records go */
  size_t nreread, capreread;
  char *index_path; /* our own files are never indexed */
  preparer *prep;   /* the worker reading files ahead (prepare.c), once started */
  ng_run_stats stats;
  long long batch_files, batch_bytes, batch_start;
  int fatal; /* an index error: the run must stop */
};

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long mtime_of(const struct stat *st) {
  return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

static int strlist_add(strlist *l, const char *s) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    char **p = realloc(l->items, cap * sizeof *p);
    if (!p) return -1;
    l->items = p;
    l->cap = cap;
  }
  char *d = strdup(s);
  if (!d) return -1;
  l->items[l->n++] = d;
  return 0;
}

static void strlist_free(strlist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}

/* Is path equal to, or inside, dir? */
static int is_under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  if (n == 1 && dir[0] == '/') return path[0] == '/';
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void worsen(ng_run *run, int code) {
  if (code < run->stats.worst) run->stats.worst = code;
}

static void report(ng_run *run, const char *path, int status, int severity, int error_class, long passages,
                   const char *encoding, const char *message) {
  if (severity == NG_SEV_ERROR) worsen(run, error_class);
  if (status == NG_ITEM_SKIPPED) run->stats.skipped++;
  if (!run->report) return;
  ng_item_report r = {path, status, severity, error_class, passages, encoding, message};
  run->report(run->ctx, &r);
}

static int fail_index(ng_run *run) {
  run->fatal = 1;
  worsen(run, NG_ESYSTEM);
  return NG_ESYSTEM;
}

int ng_run_begin(ng_run **out, ng_index *idx, const ng_run_options *opts, ng_report_fn report_fn, void *ctx) {
  *out = NULL;
  if (!idx->writable) return ng_fail(idx, NG_EUSAGE, "the index is open read-only");
  ng_run_options defaults = NG_RUN_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  if (opts->fallback_encoding && decode_check_encoding(opts->fallback_encoding) != 0)
    return ng_fail(idx, NG_EUSAGE, "unknown encoding '%s' (see iconv --list)", opts->fallback_encoding);
  ng_run *run = calloc(1, sizeof *run);
  if (!run) return ng_fail(idx, NG_ESYSTEM, "out of memory");
  run->idx = idx;
  run->opts = *opts;
  if (run->opts.max_file_size <= 0) run->opts.max_file_size = DEFAULT_MAX_FILE;
  run->report = report_fn;
  run->ctx = ctx;
  run->index_path = clean_path(idx->path);
  run->batch_start = now_ns();
  int rc = NG_OK;
  sqlite3_stmt *st = NULL;
  if (!run->index_path) {
    rc = ng_fail(idx, NG_ESYSTEM, "out of memory");
  } else if (sqlite3_prepare_v2(idx->db,
                                "SELECT id, path, kind, feed, size, mtime_ns, hash, indexed_ns, passages FROM doc", -1,
                                &st, NULL) != SQLITE_OK) {
    rc = ng_fail_sqlite(idx, "reading documents");
  } else {
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
      docrec *d = calloc(1, sizeof *d);
      const char *path = (const char *)sqlite3_column_text(st, 1);
      if (!d || !path || strmap_put(&run->docs, path, (size_t)sqlite3_column_bytes(st, 1), d) != 0) {
        free(d);
        rc = ng_fail(idx, NG_ESYSTEM, "out of memory");
        break;
      }
      d->id = sqlite3_column_int64(st, 0);
      d->kind = sqlite3_column_int(st, 2);
      d->feed = sqlite3_column_int64(st, 3);
      d->size = sqlite3_column_int64(st, 4);
      d->mtime_ns = sqlite3_column_int64(st, 5);
      d->hash = sqlite3_column_int64(st, 6);
      d->indexed_ns = sqlite3_column_int64(st, 7);
      d->passages = sqlite3_column_int64(st, 8);
    }
    if (rc == NG_OK && step != SQLITE_DONE) rc = ng_fail_sqlite(idx, "reading documents");
  }
  sqlite3_finalize(st);
  if (rc != NG_OK) {
    ng_run_free(run);
    return rc;
  }
  *out = run;
  return NG_OK;
}

static int maybe_commit(ng_run *run, size_t bytes) {
  run->batch_files++;
  run->batch_bytes += (long long)bytes;
  /* A new index no one can see yet is published after BATCH_NS of work,
   * however many files that is (store.c: its first batch is the cheapest). */
  int private = run->idx->unpublished != NULL;
  if ((private || (run->batch_files < BATCH_FILES && run->batch_bytes < BATCH_BYTES)) &&
      now_ns() - run->batch_start < BATCH_NS)
    return NG_OK;
  run->batch_files = run->batch_bytes = 0;
  run->batch_start = now_ns();
  return store_commit(run->idx) == NG_OK ? NG_OK : fail_index(run);
}

/* Deletes a document's passages: ordinals 0 to count (the headline is 0,
 * paragraphs of a document without one start at 1). */
static int delete_passages(ng_run *run, long long id, long long count) {
  for (long long k = 0; k <= count; k++) {
    sqlite3_stmt *st = store_stmt(run->idx, ST_PASSAGE_DELETE);
    if (!st) return fail_index(run);
    sqlite3_bind_int64(st, 1, (id << 20) | k);
    if (sqlite3_step(st) != SQLITE_DONE) {
      ng_fail_sqlite(run->idx, "deleting passages");
      return fail_index(run);
    }
    run->stats.passages_removed += sqlite3_changes(run->idx->db);
  }
  return NG_OK;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s) {
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

typedef struct doc_meta {
  int kind;
  long long feed, size, mtime_ns, hash;
  const char *encoding;
} doc_meta;

/* Replaces the document at path by art (NULL: no passages). */
static int write_document(ng_run *run, const char *path, docrec *rec, const doc_meta *m, const article *art,
                          const prep_job *streams, long long *id_out) {
  ng_index *idx = run->idx;
  if (store_begin(idx) != NG_OK) return fail_index(run);
  long long npass = art ? (long long)art->npassages : 0;
  if (rec && delete_passages(run, rec->id, rec->passages) != NG_OK) return NG_ESYSTEM;
  sqlite3_stmt *st = store_stmt(idx, rec ? ST_DOC_UPDATE : ST_DOC_INSERT);
  if (!st) return fail_index(run);
  long long indexed = now_ns();
  sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, m->kind);
  if (m->feed)
    sqlite3_bind_int64(st, 3, m->feed);
  else
    sqlite3_bind_null(st, 3);
  bind_text_or_null(st, 4, art ? art->title : NULL);
  bind_text_or_null(st, 5, art ? art->dateline : NULL);
  bind_text_or_null(st, 6, art ? art->date : NULL);
  bind_text_or_null(st, 7, art ? art->source : NULL);
  bind_text_or_null(st, 8, art ? art->url : NULL);
  bind_text_or_null(st, 9, art ? art->author : NULL);
  sqlite3_bind_int64(st, 10, m->size);
  sqlite3_bind_int64(st, 11, m->mtime_ns);
  sqlite3_bind_int64(st, 12, m->hash);
  bind_text_or_null(st, 13, m->encoding);
  sqlite3_bind_int64(st, 14, indexed);
  sqlite3_bind_int64(st, 15, npass);
  if (rec) sqlite3_bind_int64(st, 16, rec->id);
  if (sqlite3_step(st) != SQLITE_DONE) {
    ng_fail_sqlite(idx, "storing a document");
    return fail_index(run);
  }
  long long id = rec ? rec->id : sqlite3_last_insert_rowid(idx->db);
  int base = art && art->npassages && art->passages[0].kind == NG_KIND_HEADLINE ? 0 : 1;
  for (size_t i = 0; art && i < art->npassages; i++) {
    const passage *p = &art->passages[i];
    sqlite3_stmt *ps = store_stmt(idx, ST_PASSAGE_INSERT);
    if (!ps) return fail_index(run);
    sqlite3_bind_int64(ps, 1, (id << 20) | (long long)(i + (size_t)base));
    const char *text = article_text(art, i);
    sqlite3_bind_text(ps, p->kind == NG_KIND_HEADLINE ? 3 : 2, text, (int)p->len, SQLITE_STATIC);
    sqlite3_bind_int(ps, 4, p->first_line);
    sqlite3_bind_int(ps, 5, p->last_line);
    if (streams && streams->token_at)
      lexicon_replay(&idx->lx, streams->tokens.data + streams->token_at[i],
                     streams->token_at[i + 1] - streams->token_at[i], (int)p->len);
    int step = sqlite3_step(ps);
    lexicon_replay(&idx->lx, NULL, 0, 0);
    if (step != SQLITE_DONE) {
      ng_fail_sqlite(idx, "storing a passage");
      return fail_index(run);
    }
  }
  run->stats.passages_written += npass;
  if (!rec) {
    rec = calloc(1, sizeof *rec);
    if (!rec || strmap_put(&run->docs, path, strlen(path), rec) != 0) {
      free(rec);
      ng_fail(idx, NG_ESYSTEM, "out of memory");
      return fail_index(run);
    }
  }
  rec->id = id;
  rec->kind = m->kind;
  rec->feed = m->feed;
  rec->size = m->size;
  rec->mtime_ns = m->mtime_ns;
  rec->hash = m->hash;
  rec->indexed_ns = indexed;
  rec->passages = npass;
  rec->seen = 1;
  if (id_out) *id_out = id;
  return NG_OK;
}

/* Records a new mtime for a file whose content did not change. */
static int touch_document(ng_run *run, docrec *rec, long long size, long long mtime) {
  if (store_begin(run->idx) != NG_OK) return fail_index(run);
  sqlite3_stmt *st = store_stmt(run->idx, ST_DOC_TOUCH);
  if (!st) return fail_index(run);
  long long indexed = now_ns();
  sqlite3_bind_int64(st, 1, rec->id);
  sqlite3_bind_int64(st, 2, size);
  sqlite3_bind_int64(st, 3, mtime);
  sqlite3_bind_int64(st, 4, indexed);
  if (sqlite3_step(st) != SQLITE_DONE) {
    ng_fail_sqlite(run->idx, "updating a document");
    return fail_index(run);
  }
  rec->size = size;
  rec->mtime_ns = mtime;
  rec->indexed_ns = indexed;
  return NG_OK;
}

static int add_feed_buffer(ng_run *run, const char *name, long long feed_id, long long mtime, const char *data,
                           size_t len);

/* The writer's half of a file, once the worker has prepared it. */
static int finish_job(ng_run *run, prep_job *j) {
  const char *path = j->path;
  docrec *rec = strmap_get(&run->docs, path, strlen(path));
  int rc = NG_OK;
  switch (j->outcome) {
    case PREP_SKIP:
      if (j->binary && rec) rec->seen = 0; /* a text file that became binary is no article any more */
      if (j->error_class == NG_ESYSTEM) {
        /* Out of memory is the machine's problem, not the file's: stop. */
        ng_fail(run->idx, NG_ESYSTEM, "%s: %s", path, j->message);
        return fail_index(run);
      }
      report(run, path, NG_ITEM_SKIPPED, j->severity, j->error_class, 0, NULL, j->message);
      break;
    case PREP_SAME:
      rc = touch_document(run, rec, j->size, j->mtime_ns);
      if (rc == NG_OK) {
        run->stats.unchanged++;
        report(run, path, NG_ITEM_UNCHANGED, NG_SEV_NONE, 0, 0, NULL, NULL);
        rc = maybe_commit(run, 0);
      }
      break;
    case PREP_FEED: {
      doc_meta m = {DOC_FEED, 0, j->size, j->mtime_ns, j->hash, "UTF-8"};
      long long feed_id = 0;
      rc = write_document(run, path, rec, &m, NULL, NULL, &feed_id);
      if (rc == NG_OK) rc = add_feed_buffer(run, path, feed_id, j->mtime_ns, j->data, j->len);
      break;
    }
    default: {
      if (store_queue_words(run->idx, j->words.data, j->words.len) != NG_OK) return fail_index(run);
      doc_meta m = {DOC_ARTICLE, 0, j->size, j->mtime_ns, j->hash, j->encoding};
      rc = write_document(run, path, rec, &m, &j->art, j, NULL);
      if (rc == NG_OK) {
        if (rec)
          run->stats.changed++;
        else
          run->stats.added++;
        report(run, path, rec ? NG_ITEM_CHANGED : NG_ITEM_NEW, NG_SEV_NONE, 0, (long)j->art.npassages, j->encoding,
               NULL);
        rc = maybe_commit(run, j->len ? j->len : j->art.texts.len);
      }
      break;
    }
  }
  return rc;
}

/* Takes the oldest prepared job back and writes it. */
static int finish_one(ng_run *run) {
  prep_job *j = preparer_take(run->prep);
  if (!j) return NG_OK;
  int rc = run->fatal ? NG_ESYSTEM : finish_job(run, j);
  preparer_give_back(run->prep, j);
  return rc;
}

/* Writes every job still queued. */
static int drain(ng_run *run) {
  int rc = NG_OK;
  while (run->prep && preparer_pending(run->prep) > 0) {
    int r = finish_one(run);
    if (r != NG_OK) rc = r;
  }
  return rc;
}

/* Indexes the regular file at path; st may be NULL for a file the index
 * does not know. */
static int index_file(ng_run *run, const char *path, const struct stat *st, int force_feed) {
  docrec *rec = strmap_get(&run->docs, path, strlen(path));
  const char *slash = strrchr(path, '/');
  size_t plen = strlen(path);
  int is_feed = force_feed || (plen > 6 && strcmp(path + plen - 6, ".jsonl") == 0 && slash && slash[1] != '\0');
  if (rec) rec->seen = 1;
  if (rec && st && !run->opts.full && st->st_size == rec->size && mtime_of(st) == rec->mtime_ns &&
      rec->indexed_ns - rec->mtime_ns > RACY_NS) {
    if (rec->kind == DOC_FEED) {
      /* An unchanged feed keeps all its records. */
      for (size_t i = 0; i < run->docs.cap; i++) {
        docrec *d = run->docs.slots[i].value;
        if (run->docs.slots[i].key && d->kind == DOC_RECORD && d->feed == rec->id) d->seen = 1;
      }
    }
    run->stats.unchanged++;
    report(run, path, NG_ITEM_UNCHANGED, NG_SEV_NONE, 0, 0, NULL, NULL);
    return NG_OK;
  }
  if (!run->prep) {
    char err[600] = "";
    if (preparer_start(&run->prep, run->idx->lx.language, run->opts.fallback_encoding, run->opts.max_file_size, err,
                       sizeof err) != NG_OK) {
      ng_fail(run->idx, NG_ESYSTEM, "%s", err);
      return fail_index(run);
    }
  }
  prep_job *j = calloc(1, sizeof *j);
  if (!j || !(j->path = strdup(path))) {
    free(j);
    ng_fail(run->idx, NG_ESYSTEM, "out of memory");
    return fail_index(run);
  }
  j->feed = is_feed;
  j->check_same = rec && !run->opts.full && rec->kind != DOC_FEED;
  j->known_size = rec ? rec->size : 0;
  j->known_hash = rec ? rec->hash : 0;
  preparer_submit(run->prep, j);
  /* Feeds are read by the writer itself, in order with the files around. */
  int rc = NG_OK;
  while (rc == NG_OK && preparer_pending(run->prep) > (is_feed ? 0 : MAX_QUEUED)) rc = finish_one(run);
  return rc;
}

static int skip_name(const ng_run *run, const char *name) {
  if (name[0] == '.') return 1;
  for (const char *const *g = run->opts.exclude; g && *g; g++) {
    if (fnmatch(*g, name, 0) == 0) return 1;
  }
  return 0;
}

/* Compares walk's entries: names after their type byte. */
static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a + 1, *(char *const *)b + 1); }

static int walk(ng_run *run, const char *dir, const ancestor *up);

/* Is path the index or one of the files SQLite and the lock keep beside it? */
static int is_own_file(const ng_run *run, const char *path) {
  size_t n = strlen(run->index_path);
  if (strncmp(path, run->index_path, n) != 0) return 0;
  const char *rest = path + n;
  return !*rest || !strcmp(rest, "-wal") || !strcmp(rest, "-shm") || !strcmp(rest, "-journal") ||
         !strcmp(rest, ".lock") || !strncmp(rest, ".new-", 5);
}

/* Indexes one entry found at path (stat'ed through symbolic links). */
static int visit(ng_run *run, const char *path, const ancestor *up, int force_feed) {
  struct stat st;
  if (is_own_file(run, path)) return NG_OK; /* the index, its -wal, -shm and .lock files */
  if (stat(path, &st) != 0) {
    int e = errno;
    struct stat lst;
    if (e == ELOOP) {
      report(run, path, NG_ITEM_SKIPPED, NG_SEV_WARNING, 0, 0, NULL, "symbolic link loop");
    } else if (e == ENOENT && lstat(path, &lst) == 0) {
      report(run, path, NG_ITEM_SKIPPED, NG_SEV_WARNING, 0, 0, NULL, "broken symbolic link");
    } else {
      char msg[200];
      snprintf(msg, sizeof msg, "cannot read: %s", strerror(e));
      report(run, path, NG_ITEM_SKIPPED, NG_SEV_ERROR, NG_EDATA, 0, NULL, msg);
      /* Whatever was indexed under it stays. */
      if (strlist_add(&run->failed, path) != 0) return fail_index(run);
    }
    return NG_OK;
  }
  if (S_ISDIR(st.st_mode)) {
    for (const ancestor *a = up; a; a = a->up) {
      if (a->dev == st.st_dev && a->ino == st.st_ino) {
        report(run, path, NG_ITEM_SKIPPED, NG_SEV_WARNING, 0, 0, NULL,
               "symbolic link loop (leads back to a directory above it)");
        return NG_OK;
      }
    }
    ancestor me = {st.st_dev, st.st_ino, up};
    return walk(run, path, &me);
  }
  if (!S_ISREG(st.st_mode)) {
    report(run, path, NG_ITEM_SKIPPED, NG_SEV_WARNING, 0, 0, NULL, "not a regular file");
    return NG_OK;
  }
  return index_file(run, path, &st, force_feed);
}

static int walk(ng_run *run, const char *dir, const ancestor *up) {
  DIR *d = opendir(dir);
  if (!d) {
    char msg[200];
    snprintf(msg, sizeof msg, "cannot read directory: %s", strerror(errno));
    report(run, dir, NG_ITEM_SKIPPED, NG_SEV_ERROR, NG_EDATA, 0, NULL, msg);
    return strlist_add(&run->failed, dir) == 0 ? NG_OK : fail_index(run);
  }
  strlist names = {0};
  struct dirent *e;
  int rc = NG_OK;
  errno = 0;
  char entry[1 + sizeof e->d_name];
  while ((e = readdir(d)) != NULL) {
    if (skip_name(run, e->d_name)) continue;
    /* Each name is kept after a byte telling whether it is a regular file. */
    entry[0] = e->d_type == DT_REG ? 'f' : '?';
    snprintf(entry + 1, sizeof entry - 1, "%s", e->d_name);
    if (strlist_add(&names, entry) != 0) {
      rc = fail_index(run);
      break;
    }
  }
  if (rc == NG_OK && errno != 0) {
    char msg[200];
    snprintf(msg, sizeof msg, "cannot list directory: %s", strerror(errno));
    report(run, dir, NG_ITEM_SKIPPED, NG_SEV_ERROR, NG_EDATA, 0, NULL, msg);
    if (strlist_add(&run->failed, dir) != 0) rc = fail_index(run);
  }
  closedir(d);
  if (names.n) qsort(names.items, names.n, sizeof *names.items, cmp_names);
  buf path = {0};
  for (size_t i = 0; i < names.n && rc == NG_OK; i++) {
    buf_reset(&path);
    buf_adds(&path, dir);
    if (path.len == 0 || path.data[path.len - 1] != '/') buf_addc(&path, '/');
    buf_adds(&path, names.items[i] + 1);
    if (path.oom) {
      rc = fail_index(run);
      break;
    }
    /* A regular file the index does not know yet needs no stat here: the
     * worker reads it (and stats it) anyway. */
    if (names.items[i][0] == 'f' && !strmap_get(&run->docs, path.data, path.len) && !is_own_file(run, path.data))
      rc = index_file(run, path.data, NULL, 0);
    else
      rc = visit(run, path.data, up, 0);
  }
  buf_free(&path);
  strlist_free(&names);
  return rc;
}

static int add_root(ng_run *run, const char *given, int force_feed) {
  if (run->fatal) return NG_ESYSTEM;
  char *path = clean_path(given);
  if (!path) return fail_index(run);
  struct stat st;
  int rc = NG_OK;
  if (stat(path, &st) != 0) {
    char msg[200];
    snprintf(msg, sizeof msg, "%s", errno == ELOOP ? "symbolic link loop" : strerror(errno));
    report(run, given, NG_ITEM_SKIPPED, NG_SEV_ERROR, NG_EDATA, 0, NULL, msg);
    rc = NG_EDATA;
  } else if (S_ISDIR(st.st_mode) && force_feed) {
    report(run, given, NG_ITEM_SKIPPED, NG_SEV_ERROR, NG_EDATA, 0, NULL, "a directory, not a JSON Lines feed");
    rc = NG_EDATA;
  } else {
    if (strlist_add(&run->roots, path) != 0) {
      rc = fail_index(run);
    } else if (S_ISDIR(st.st_mode)) {
      ancestor me = {st.st_dev, st.st_ino, NULL};
      rc = walk(run, path, &me);
    } else {
      rc = visit(run, path, NULL, force_feed);
    }
  }
  free(path);
  int drained = drain(run);
  if (rc == NG_OK) rc = drained;
  if (rc == NG_OK && run->fatal) rc = NG_ESYSTEM;
  return rc;
}

int ng_run_add_path(ng_run *run, const char *path) { return add_root(run, path, 0); }

/* One line of a feed: the record stored as "<name>#<id>". */
static int add_feed_line(ng_run *run, const char *name, long long feed_id, long long mtime, const char *line, size_t n,
                         long lineno) {
  feed_record r;
  char err[300];
  int rc = feed_parse_line(line, n, &r, err, sizeof err);
  if (rc == NG_DONE) return NG_OK;
  buf key = {0};
  if (rc != NG_OK) {
    buf_printf(&key, "%s:%ld", name, lineno);
    report(run, key.data ? key.data : name, NG_ITEM_SKIPPED, NG_SEV_ERROR, rc, 0, NULL, err);
    buf_free(&key);
    return NG_OK;
  }
  buf_printf(&key, "%s#%s", name, r.id);
  if (key.oom) {
    feed_record_free(&r);
    return fail_index(run);
  }
  long long hash = (long long)hash_bytes(line, n);
  docrec *rec = strmap_get(&run->docs, key.data, key.len);
  if (rec) rec->seen = 1;
  if (rec && !run->opts.full && rec->hash == hash) {
    run->stats.unchanged++;
    report(run, key.data, NG_ITEM_UNCHANGED, NG_SEV_NONE, 0, 0, NULL, NULL);
  } else {
    article art;
    rc = segment_article(r.body, strlen(r.body), r.title, &art);
    if (rc != NG_OK) {
      report(run, key.data, NG_ITEM_SKIPPED, NG_SEV_ERROR, rc, 0, NULL,
             rc == NG_EDATA ? "too many paragraphs" : "out of memory");
      rc = NG_OK;
    } else {
      char iso[32];
      if (r.date && normalize_date(r.date, iso, sizeof iso) == 0) art.date = strdup(iso);
      art.source = r.source, r.source = NULL;
      art.url = r.url, r.url = NULL;
      art.author = r.author, r.author = NULL;
      doc_meta m = {DOC_RECORD, feed_id, (long long)n, mtime, hash, "UTF-8"};
      rc = write_document(run, key.data, rec, &m, &art, NULL, NULL);
      if (rc == NG_OK) {
        if (rec)
          run->stats.changed++;
        else
          run->stats.added++;
        report(run, key.data, rec ? NG_ITEM_CHANGED : NG_ITEM_NEW, NG_SEV_NONE, 0, (long)art.npassages, "UTF-8", NULL);
        rc = maybe_commit(run, n);
      }
      article_free(&art);
    }
  }
  feed_record_free(&r);
  buf_free(&key);
  return rc;
}

static int note_reread(ng_run *run, long long feed_id) {
  if (run->nreread == run->capreread) {
    size_t cap = run->capreread ? run->capreread * 2 : 8;
    long long *p = realloc(run->reread, cap * sizeof *p);
    if (!p) return fail_index(run);
    run->reread = p;
    run->capreread = cap;
  }
  run->reread[run->nreread++] = feed_id;
  return NG_OK;
}

static int add_feed_buffer(ng_run *run, const char *name, long long feed_id, long long mtime, const char *data,
                           size_t len) {
  int rc = note_reread(run, feed_id);
  long lineno = 0;
  for (size_t i = 0; i < len && rc == NG_OK;) {
    const char *nl = memchr(data + i, '\n', len - i);
    size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
    rc = add_feed_line(run, name, feed_id, mtime, data + i, n, ++lineno);
    i += n + 1;
  }
  return rc;
}

int ng_run_add_feed(ng_run *run, const char *name, FILE *fp) {
  if (run->fatal) return NG_ESYSTEM;
  if (strcmp(name, "-") != 0) return add_root(run, name, 1);
  if (!fp) fp = stdin;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long lineno = 0;
  int rc = NG_OK;
  while (rc == NG_OK && (n = getline(&line, &cap, fp)) >= 0) {
    rc = add_feed_line(run, "stdin", 0, 0, line, (size_t)n, ++lineno);
  }
  if (rc == NG_OK && ferror(fp)) {
    report(run, "stdin", NG_ITEM_SKIPPED, NG_SEV_ERROR, NG_EDATA, 0, NULL, "read error");
    rc = NG_EDATA;
  }
  free(line);
  return rc;
}

static int remove_document(ng_run *run, const char *path, docrec *d) {
  if (store_begin(run->idx) != NG_OK) return fail_index(run);
  if (delete_passages(run, d->id, d->passages) != NG_OK) return NG_ESYSTEM;
  sqlite3_stmt *st = store_stmt(run->idx, ST_DOC_DELETE);
  if (!st) return fail_index(run);
  sqlite3_bind_int64(st, 1, d->id);
  if (sqlite3_step(st) != SQLITE_DONE) {
    ng_fail_sqlite(run->idx, "removing a document");
    return fail_index(run);
  }
  if (d->kind != DOC_FEED) {
    run->stats.removed++;
    report(run, path, NG_ITEM_REMOVED, NG_SEV_NONE, 0, 0, NULL, NULL);
  }
  d->seen = 1;
  return NG_OK;
}

static int in_list(const long long *ids, size_t n, long long id) {
  for (size_t i = 0; i < n; i++) {
    if (ids[i] == id) return 1;
  }
  return 0;
}

int ng_run_finish(ng_run *run, ng_run_stats *stats) {
  int rc = run->fatal ? NG_ESYSTEM : NG_OK;
  /* Files gone from under a root (feeds with them), then records gone from
   * feeds that were read again. */
  for (int pass = 0; pass < 2 && rc == NG_OK; pass++) {
    for (size_t i = 0; i < run->docs.cap && rc == NG_OK; i++) {
      const char *path = run->docs.slots[i].key;
      docrec *d = run->docs.slots[i].value;
      if (!path || d->seen) continue;
      int gone = 0;
      if (pass == 0 && d->kind != DOC_RECORD) {
        for (size_t r = 0; r < run->roots.n && !gone; r++) gone = is_under(path, run->roots.items[r]);
        for (size_t f = 0; f < run->failed.n && gone; f++) gone = !is_under(path, run->failed.items[f]);
        if (gone && d->kind == DOC_FEED && note_reread(run, d->id) != NG_OK) rc = NG_ESYSTEM;
      } else if (pass == 1 && d->kind == DOC_RECORD && d->feed) {
        gone = in_list(run->reread, run->nreread, d->feed);
      }
      if (gone && rc == NG_OK) rc = remove_document(run, path, d);
    }
  }
  if (rc == NG_OK && store_commit(run->idx) != NG_OK) rc = fail_index(run);
  if (stats) *stats = run->stats;
  return rc;
}

void ng_run_progress(const ng_run *run, ng_run_stats *stats) { *stats = run->stats; }

void ng_run_free(ng_run *run) {
  if (!run) return;
  preparer_stop(run->prep);
  store_rollback(run->idx);
  strmap_clear(&run->docs, free);
  strlist_free(&run->roots);
  strlist_free(&run->failed);
  free(run->reread);
  free(run->index_path);
  free(run);
}
