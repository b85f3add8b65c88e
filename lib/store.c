/*
 * store.c -- the SQLite file: creating, opening, locking, checking.
 *
 * Invariants:
 *  - An index file either does not exist or holds the whole schema: a new
 *    index is built under a temporary name ("<index>.new-<pid>") and renamed
 *    into place when its first batch is committed (ingest.c makes that its
 *    first BATCH_NS of work; at the latest the run's end or the handle's
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
 *  - PRAGMA user_version is the schema version and application_id marks the
 *    file as ours; an index of another version is refused, never guessed at.
 *  - Passage rowids are doc_id << 20 | ordinal, so a document's passages
 *    are known without a lookup.  They are deleted one rowid at a time: a
 *    multi-row statement would make FTS5 flush its pending terms.
 *  - The body column comes first: FTS5 writes no column marker for column
 *    0, and almost every passage is body text.
 *  - Every value reaches SQL through a bound parameter.  The only text built
 *    into SQL is the tokenizer's language, which is checked against
 *    Snowball's list first.
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

#define APPLICATION_ID 0x4E475246 /* "NGRF" */

#ifndef NG_SNOWBALL_VERSION
#define NG_SNOWBALL_VERSION "unknown"
#endif

static const char *const schema_sql =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE doc("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL UNIQUE,"
    "  kind INTEGER NOT NULL DEFAULT 0," /* 0 article file, 1 feed file, 2 feed record */
    "  feed INTEGER,"                    /* a record's feed file (NULL: stdin) */
    "  title TEXT, dateline TEXT, date TEXT, source TEXT, url TEXT, author TEXT,"
    "  size INTEGER NOT NULL DEFAULT 0,"
    "  mtime_ns INTEGER NOT NULL DEFAULT 0,"
    "  hash INTEGER NOT NULL DEFAULT 0,"
    "  encoding TEXT,"
    "  indexed_ns INTEGER NOT NULL DEFAULT 0,"
    "  passages INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX doc_feed ON doc(feed) WHERE feed IS NOT NULL;"
    "CREATE INDEX doc_date ON doc(date) WHERE date IS NOT NULL;"
    "CREATE TABLE word(raw TEXT PRIMARY KEY, stem TEXT NOT NULL) WITHOUT ROWID;";

static const char *const stmt_sql[ST_COUNT] = {
    /* Neither RETURNING nor upserts: a statement that needs a statement
     * journal makes FTS5 flush its pending terms (xSavepoint), which would
     * cut the index into one segment per document. */
    [ST_DOC_INSERT] =
        "INSERT INTO doc(path, kind, feed, title, dateline, date, source, url, author, size,"
        " mtime_ns, hash, encoding, indexed_ns, passages)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [ST_DOC_UPDATE] =
        "UPDATE doc SET kind = ?2, feed = ?3, title = ?4, dateline = ?5, date = ?6, source = ?7,"
        " url = ?8, author = ?9, size = ?10, mtime_ns = ?11, hash = ?12, encoding = ?13,"
        " indexed_ns = ?14, passages = ?15 WHERE id = ?16",
    [ST_DOC_TOUCH] = "UPDATE doc SET size = ?2, mtime_ns = ?3, indexed_ns = ?4 WHERE id = ?1",
    [ST_DOC_DELETE] = "DELETE FROM doc WHERE id = ?1",
    [ST_PASSAGE_INSERT] = "INSERT INTO passage(rowid, body, head, first_line, last_line) VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_PASSAGE_DELETE] = "DELETE FROM passage WHERE rowid = ?1",
    [ST_WORD_INSERT] = "INSERT OR IGNORE INTO word(raw, stem) VALUES(?1, ?2)",
    [ST_WORD_EXISTS] = "SELECT stem FROM word WHERE raw = ?1",
    [ST_WORD_PREFIX] = "SELECT DISTINCT stem FROM word WHERE raw >= ?1 AND raw < ?1 || char(1114111) LIMIT ?2",
    [ST_WORD_NEAR] = ("SELECT raw, stem FROM word WHERE raw >= ?1 AND raw < ?1 || char(1114111)"
                      " AND length(raw) BETWEEN ?2 AND ?3"),
};

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

int ng_fail(ng_index *idx, int code, const char *fmt, ...) {
  if (!idx) return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(idx->err, sizeof idx->err, fmt, ap);
  va_end(ap);
  return code;
}

int ng_fail_sqlite(ng_index *idx, const char *context) {
  int code = idx->db ? sqlite3_errcode(idx->db) & 0xFF : SQLITE_ERROR;
  int sys = idx->db ? sqlite3_system_errno(idx->db) : 0;
  char detail[300];
  /* "disk I/O error" says little; the system's own word says more. */
  int ext = idx->db ? sqlite3_extended_errcode(idx->db) : 0;
  if (code == SQLITE_IOERR && sys) {
    snprintf(detail, sizeof detail, "%s (%s)", sqlite3_errmsg(idx->db), strerror(sys));
    if (sys == EFBIG || sys == ENOSPC) code = SQLITE_FULL;
  } else if (ext == SQLITE_IOERR_WRITE || ext == SQLITE_IOERR_FSYNC || ext == SQLITE_IOERR_TRUNCATE) {
    snprintf(detail, sizeof detail, "cannot write (%s: the disk may be full or a file size limit reached)",
             sqlite3_errmsg(idx->db));
  } else {
    snprintf(detail, sizeof detail, "%s", idx->db ? sqlite3_errmsg(idx->db) : "no database");
  }
  const char *msg = detail;
  switch (code) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ng_fail(idx, NG_EDATA, "index %s is damaged (%s: %s); rebuild it with nutgraf-index --full", idx->path,
                     context, msg);
    case SQLITE_FULL:
      return ng_fail(idx, NG_ESYSTEM, "index %s: %s: no room to write (%s)", idx->path, context,
                     sys ? strerror(sys) : "disk or file size limit full");
    case SQLITE_NOMEM: return ng_fail(idx, NG_ESYSTEM, "%s: out of memory", context);
    case SQLITE_READONLY: return ng_fail(idx, NG_ESYSTEM, "index %s is read-only (%s)", idx->path, context);
    default: return ng_fail(idx, NG_ESYSTEM, "index %s: %s: %s", idx->path, context, msg);
  }
}

const char *ng_index_errmsg(const ng_index *idx) { return idx ? idx->err : "out of memory"; }

const char *ng_index_language(const ng_index *idx) { return idx->lx.language; }

sqlite3_stmt *store_stmt(ng_index *idx, int id) {
  if (!idx->stmts[id]) {
    if (sqlite3_prepare_v3(idx->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &idx->stmts[id], NULL) != SQLITE_OK) {
      ng_fail_sqlite(idx, "preparing a statement");
      return NULL;
    }
  } else {
    sqlite3_reset(idx->stmts[id]);
    sqlite3_clear_bindings(idx->stmts[id]);
  }
  return idx->stmts[id];
}

int store_exec(ng_index *idx, const char *sql, const char *context) {
  if (sqlite3_exec(idx->db, sql, NULL, NULL, NULL) != SQLITE_OK) return ng_fail_sqlite(idx, context);
  return NG_OK;
}

int store_begin(ng_index *idx) {
  if (idx->in_txn) return NG_OK;
  int rc = store_exec(idx, "BEGIN IMMEDIATE", "starting a transaction");
  if (rc == NG_OK) idx->in_txn = 1;
  return rc;
}

static int publish(ng_index *idx, int reconnect);

int store_commit(ng_index *idx) {
  if (idx->in_txn) {
    int rc = store_flush_words(idx);
    if (rc == NG_OK) rc = store_exec(idx, "COMMIT", "committing");
    if (rc != NG_OK) {
      store_rollback(idx);
      return rc;
    }
    idx->in_txn = 0;
    lexicon_forget(&idx->lx);
  }
  /* A new index appears with its first batch, even an empty one. */
  return idx->unpublished ? publish(idx, 1) : NG_OK;
}

void store_rollback(ng_index *idx) {
  if (!idx->in_txn) return;
  sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
  idx->in_txn = 0;
  /* Words queued in the rolled-back transaction were never stored. */
  lexicon_unstore(&idx->lx);
  buf_reset(&idx->queued_words);
}

typedef struct word_pair {
  const char *raw, *stem;
  int rawlen, stemlen;
} word_pair;

static int cmp_words(const void *a, const void *b) {
  return strcmp(((const word_pair *)a)->raw, ((const word_pair *)b)->raw);
}

int store_queue_words(ng_index *idx, const char *pairs, size_t len) {
  if (len) buf_add(&idx->queued_words, pairs, len);
  return idx->queued_words.oom ? ng_fail(idx, NG_ESYSTEM, "out of memory") : NG_OK;
}

#define WORDS_PER_INSERT 100

int store_flush_words(ng_index *idx) {
  lexicon *lx = &idx->lx;
  buf *q = &idx->queued_words;
  size_t n = lx->nfresh;
  for (const char *p = q->data, *end = q->data + q->len; p && p < end; n++) {
    p += strlen(p) + 1;
    p += strlen(p) + 1;
  }
  if (n == 0) return NG_OK;
  word_pair *w = malloc(n * sizeof *w);
  if (!w) return ng_fail(idx, NG_ESYSTEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < lx->nfresh; i++, k++)
    w[k] = (word_pair){lx->fresh[i]->raw, lx->fresh[i]->stem, (int)lx->fresh[i]->rawlen, (int)lx->fresh[i]->stemlen};
  for (const char *p = q->data, *end = q->data + q->len; p && p < end; k++) {
    w[k].raw = p;
    w[k].rawlen = (int)strlen(p);
    p += w[k].rawlen + 1;
    w[k].stem = p;
    w[k].stemlen = (int)strlen(p);
    p += w[k].stemlen + 1;
  }
  /* In key order the b-tree is appended to, not split at random (adding
   * Reuters-21578 to a BBC index: 1.46 s sorted, 1.49 s not); many rows a
   * statement spare most of the per-statement work. */
  qsort(w, n, sizeof *w, cmp_words);
  int rc = NG_OK;
  size_t i = 0;
  if (n >= WORDS_PER_INSERT && !idx->word_insert_many) {
    buf sql = {0};
    buf_adds(&sql, "INSERT OR IGNORE INTO word(raw, stem) VALUES");
    for (int r = 0; r < WORDS_PER_INSERT; r++) buf_adds(&sql, r ? ",(?,?)" : "(?,?)");
    int prc = sql.oom
                  ? SQLITE_NOMEM
                  : sqlite3_prepare_v3(idx->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &idx->word_insert_many, NULL);
    buf_free(&sql);
    if (prc != SQLITE_OK) rc = ng_fail_sqlite(idx, "storing words");
  }
  for (; rc == NG_OK && i + WORDS_PER_INSERT <= n; i += WORDS_PER_INSERT) {
    sqlite3_stmt *st = idx->word_insert_many;
    for (int r = 0; r < WORDS_PER_INSERT; r++) {
      sqlite3_bind_text(st, 2 * r + 1, w[i + (size_t)r].raw, w[i + (size_t)r].rawlen, SQLITE_STATIC);
      sqlite3_bind_text(st, 2 * r + 2, w[i + (size_t)r].stem, w[i + (size_t)r].stemlen, SQLITE_STATIC);
    }
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step != SQLITE_DONE) rc = ng_fail_sqlite(idx, "storing words");
  }
  for (; rc == NG_OK && i < n; i++) {
    sqlite3_stmt *st = store_stmt(idx, ST_WORD_INSERT);
    if (!st) {
      rc = NG_ESYSTEM;
      break;
    }
    sqlite3_bind_text(st, 1, w[i].raw, w[i].rawlen, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, w[i].stem, w[i].stemlen, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = ng_fail_sqlite(idx, "storing words");
  }
  free(w);
  if (rc == NG_OK) {
    lx->nfresh = 0;
    buf_reset(q);
  }
  return rc;
}

char *ng_default_index_path(void) {
  const char *env = getenv("NUTGRAF_INDEX");
  if (env && *env) return strdup(env);
  buf b = {0};
  const char *xdg = getenv("XDG_DATA_HOME");
  const char *home = getenv("HOME");
  if (xdg && xdg[0] == '/') {
    buf_printf(&b, "%s/nutgraf/index.db", xdg);
  } else if (home && *home) {
    buf_printf(&b, "%s/.local/share/nutgraf/index.db", home);
  } else {
    return NULL;
  }
  return b.oom ? (buf_free(&b), NULL) : buf_detach(&b);
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
  buf_printf(&lp, "%s.lock", idx->path);
  if (lp.oom) return ng_fail(idx, NG_ESYSTEM, "out of memory");
  idx->lock_fd = open(lp.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (idx->lock_fd < 0) {
    int rc = ng_fail(idx, NG_ESYSTEM, "cannot open lock file %s: %s", lp.data, strerror(errno));
    buf_free(&lp);
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
      rc = ng_fail(idx, NG_EBUSY, "index %s is being updated by another nutgraf-index%s%s%s", idx->path,
                   pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
    } else {
      rc = ng_fail(idx, NG_ESYSTEM, "cannot lock %s: %s", lp.data, strerror(errno));
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
  buf_free(&lp);
  return rc;
}

static int valid_language_name(const char *s) {
  if (!*s) return 0;
  for (; *s; s++) {
    if (!((*s >= 'a' && *s <= 'z') || *s == '_')) return 0;
  }
  return 1;
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
  buf_printf(&prefix, "%s.new-", base);
  DIR *d = prefix.oom ? NULL : opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, prefix.data, prefix.len) != 0) continue;
    buf_reset(&file);
    buf_printf(&file, "%s/%s", dir, e->d_name);
    if (!file.oom) unlink(file.data);
  }
  if (d) closedir(d);
  buf_free(&prefix);
  buf_free(&file);
  free(copy);
}

/* Builds a new, empty index under a temporary name, left for the handle to
 * open and publish (the invariants above).  Called with the writer lock
 * held. */
static int create_index(ng_index *idx, const char *language) {
  if (!valid_language_name(language) || lexicon_known_language(language) != 0) {
    char list[1024];
    ng_languages(list, sizeof list);
    return ng_fail(idx, NG_EUSAGE, "unknown language '%s' (known: %s)", language, list);
  }
  buf tmp = {0}, sql = {0};
  buf_printf(&tmp, "%s.new-%ld", idx->path, (long)getpid());
  /* One transaction, no sync: the file is private until publish syncs it. */
  buf_adds(&sql, "PRAGMA synchronous = OFF; BEGIN;");
  buf_adds(&sql, schema_sql);
  buf_printf(&sql,
             "CREATE VIRTUAL TABLE passage USING fts5(body, head, first_line UNINDEXED,"
             " last_line UNINDEXED, tokenize = 'nutgraf %s');"
             "INSERT INTO meta VALUES('language', '%s');"
             "INSERT INTO meta VALUES('created_by', 'nutgraf " NG_VERSION_STRING
             "');"
             "PRAGMA application_id = %d;"
             "PRAGMA user_version = %d;"
             "COMMIT;",
             language, language, APPLICATION_ID, NG_SCHEMA_VERSION);
  if (tmp.oom || sql.oom) {
    buf_free(&tmp);
    buf_free(&sql);
    return ng_fail(idx, NG_ESYSTEM, "out of memory");
  }
  remove_stale(idx->path);
  sqlite3 *db = NULL;
  int rc = NG_OK;
  char err[512] = "";
  lexicon lx;
  int lx_ready = 0;
  if (sqlite3_open_v2(tmp.data, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    rc = ng_fail(idx, NG_ESYSTEM, "cannot create index %s: %s", idx->path, db ? sqlite3_errmsg(db) : "out of memory");
  } else if ((rc = lexicon_init(&lx, db, language, err, sizeof err)) != NG_OK) {
    ng_fail(idx, rc, "%s", err);
  } else {
    lx_ready = 1;
    if (sqlite3_exec(db, sql.data, NULL, NULL, NULL) != SQLITE_OK)
      rc = ng_fail(idx, NG_ESYSTEM, "cannot create index %s: %s", idx->path, sqlite3_errmsg(db));
  }
  if (sqlite3_close(db) != SQLITE_OK && rc == NG_OK)
    rc = ng_fail(idx, NG_ESYSTEM, "cannot create index %s: close failed", idx->path);
  if (lx_ready) lexicon_free(&lx);
  if (rc == NG_OK) {
    idx->unpublished = buf_detach(&tmp);
  } else {
    remove_stale(idx->path);
    buf_free(&tmp);
  }
  buf_free(&sql);
  return rc;
}

/* The first column of sql's first row as text ("" for NULL): SQLITE_OK,
 * SQLITE_DONE when there is no row, or SQLite's error. */
static int first_text(ng_index *idx, const char *sql, char *out, size_t n) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(idx->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, n, "%s", t ? (const char *)t : "");
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

static int pragma_int(ng_index *idx, const char *sql, int *out) {
  char t[32];
  int rc = first_text(idx, sql, t, sizeof t);
  if (rc == SQLITE_OK) *out = (int)strtol(t, NULL, 10);
  return rc;
}

static int read_language(ng_index *idx, char *out, size_t n) {
  return first_text(idx, "SELECT value FROM meta WHERE key = 'language'", out, n) == SQLITE_OK ? 0 : -1;
}

/* Opens the handle's connection on file (the index, or a new one not yet
 * published) and checks that it is a nutgraf index of this version. */
static int connect_db(ng_index *idx, const char *file, const char *want_language) {
  const char *path = idx->path;
  int flags = (idx->writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) |
              SQLITE_OPEN_NOMUTEX; /* a handle is one thread's */
  if (sqlite3_open_v2(file, &idx->db, flags, NULL) != SQLITE_OK) {
    if (!idx->db) return ng_fail(idx, NG_ESYSTEM, "out of memory");
    return ng_fail_sqlite(idx, "opening");
  }
  sqlite3_db_config(idx->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
  sqlite3_db_config(idx->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
  sqlite3_db_config(idx->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
  sqlite3_busy_timeout(idx->db, idx->busy_ms);

  int app = 0, version = 0;
  int rc = pragma_int(idx, "PRAGMA application_id", &app);
  if (rc == SQLITE_OK) rc = pragma_int(idx, "PRAGMA user_version", &version);
  if (rc == SQLITE_NOTADB || (rc == SQLITE_OK && app != APPLICATION_ID))
    return ng_fail(idx, NG_EDATA, "%s is not a nutgraf index", path);
  if (rc != SQLITE_OK) return ng_fail_sqlite(idx, "reading the schema version");
  if (version != NG_SCHEMA_VERSION)
    return ng_fail(idx, NG_EDATA,
                   "index %s has schema version %d but this nutgraf (%s) uses version %d;"
                   " remove it and index again",
                   path, version, NG_VERSION_STRING, NG_SCHEMA_VERSION);
  char language[64];
  if (read_language(idx, language, sizeof language) != 0) return ng_fail_sqlite(idx, "reading the language");
  if (want_language && strcmp(want_language, language) != 0)
    return ng_fail(idx, NG_EUSAGE, "index %s is in %s, not %s; a new language needs a new index", path, language,
                   want_language);
  char err[1200];
  rc = lexicon_init(&idx->lx, idx->db, language, err, sizeof err);
  if (rc != NG_OK) return ng_fail(idx, NG_EDATA, "index %s: %s", path, err);
  idx->lx_ready = 1;
  if (rank_register(idx->db) != SQLITE_OK) return ng_fail(idx, NG_ESYSTEM, "cannot register the rank function");
  if (idx->writable) {
    idx->lx.record = 1;
    /* A file no one knows yet needs no sync (publish syncs it) and, in
     * rollback mode, no more than SQLite's default cache: a bigger one
     * costs more in page faults than it saves on a first batch (BBC: 0.40
     * against 0.43 s).  Later batches in WAL mode read back the segments
     * FTS5 merges; there a 32 MiB cache pays (BBC x8: 3.65 against 4.12 s). */
    if (store_exec(
            idx,
            idx->unpublished ? "PRAGMA synchronous = OFF" : "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768",
            "setting up") != NG_OK)
      return NG_ESYSTEM;
  }
  return NG_OK;
}

/* Closes the connection (rolling back what was not committed). */
static void disconnect(ng_index *idx) {
  if (idx->db) {
    store_rollback(idx);
    for (int i = 0; i < ST_COUNT; i++) {
      sqlite3_finalize(idx->stmts[i]);
      idx->stmts[i] = NULL;
    }
    sqlite3_finalize(idx->word_insert_many);
    idx->word_insert_many = NULL;
    sqlite3_close(idx->db);
    idx->db = NULL;
    idx->snip_ready = 0;
  }
  if (idx->lx_ready) lexicon_free(&idx->lx);
  idx->lx_ready = 0;
}

/* Makes a new index visible at its path: WAL mode, closed, synced, renamed
 * (the invariants above); then opened again there when reconnect is set.
 * On failure the new index is gone. */
static int publish(ng_index *idx, int reconnect) {
  char *tmp = idx->unpublished;
  char mode[16] = "";
  int rc = first_text(idx, "PRAGMA journal_mode = WAL", mode, sizeof mode);
  if (rc != SQLITE_OK || sqlite3_stricmp(mode, "wal") != 0)
    rc = ng_fail_sqlite(idx, "switching the new index to WAL mode");
  else
    rc = NG_OK;
  disconnect(idx);
  if (rc == NG_OK) {
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
      rc = ng_fail(idx, NG_ESYSTEM, "cannot create index %s: syncing: %s", idx->path, strerror(errno));
    if (fd >= 0) close(fd);
  }
  if (rc == NG_OK && rename(tmp, idx->path) != 0)
    rc = ng_fail(idx, NG_ESYSTEM, "cannot create index %s: %s", idx->path, strerror(errno));
  idx->unpublished = NULL;
  if (rc != NG_OK) remove_stale(idx->path);
  free(tmp);
  if (rc == NG_OK && reconnect) rc = connect_db(idx, idx->path, NULL);
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
  if (!path || !*path) return ng_fail(idx, NG_EUSAGE, "no index path given");
  idx->path = strdup(path);
  if (!idx->path) return ng_fail(idx, NG_ESYSTEM, "out of memory");

  struct stat st;
  int exists = stat(path, &st) == 0;
  if (!exists && errno != ENOENT) return ng_fail(idx, NG_ESYSTEM, "cannot open index %s: %s", path, strerror(errno));
  if (exists && !S_ISREG(st.st_mode))
    return ng_fail(idx, NG_EDATA, "%s is not a nutgraf index (not a regular file)", path);
  if (write) {
    if (!exists && (opts->flags & NG_OPEN_CREATE) && make_parent(path) != 0)
      return ng_fail(idx, NG_ESYSTEM, "cannot create the directory of %s: %s", path, strerror(errno));
    int rc = take_lock(idx, !(opts->flags & NG_OPEN_NOWAIT));
    if (rc != NG_OK) return rc;
    exists = stat(path, &st) == 0; /* another writer may have made it meanwhile */
    if (!exists) {
      /* The lock file stays: unlinking it while another writer waits on
       * it would let a third take a new one and both think they hold it. */
      if (!(opts->flags & NG_OPEN_CREATE)) return ng_fail(idx, NG_EDATA, "no index at %s", path);
      rc = create_index(idx, opts->language ? opts->language : "english");
      if (rc != NG_OK) return rc;
    }
  } else if (!exists) {
    return ng_fail(idx, NG_EDATA, "no index at %s (create one with nutgraf-index)", path);
  }

  idx->busy_ms = opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 10000;
  return connect_db(idx, idx->unpublished ? idx->unpublished : path, opts->language);
}

void ng_index_close(ng_index *idx) {
  if (!idx) return;
  if (idx->unpublished && idx->db) {
    store_rollback(idx);
    publish(idx, 0);
  } else if (idx->unpublished) {
    remove_stale(idx->path);
  }
  disconnect(idx);
  free(idx->unpublished);
  buf_free(&idx->queued_words);
  variants_free(idx->vars);
  if (idx->lock_fd >= 0) close(idx->lock_fd); /* releases the flock */
  free(idx->path);
  free(idx);
}

static int count_query(ng_index *idx, const char *sql, long long *out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(idx->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(st, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_OK ? NG_OK : ng_fail_sqlite(idx, "counting");
}

int ng_index_get_stats(ng_index *idx, ng_index_stats *s) {
  memset(s, 0, sizeof *s);
  int rc = count_query(idx, "SELECT count(*) FROM doc WHERE kind != 1", &s->documents);
  if (rc == NG_OK) rc = count_query(idx, "SELECT count(*) FROM passage", &s->passages);
  if (rc == NG_OK) rc = count_query(idx, "SELECT count(*) FROM word", &s->words);
  if (rc == NG_OK)
    rc = count_query(idx, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size", &s->bytes);
  return rc;
}

int ng_index_check(ng_index *idx, ng_index_stats *stats) {
  ng_index_stats local;
  if (!stats) stats = &local;
  sqlite3_stmt *st = NULL;
  int rc = NG_OK;
  if (sqlite3_prepare_v2(idx->db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
    return ng_fail_sqlite(idx, "checking");
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *r = (const char *)sqlite3_column_text(st, 0);
    if (r && strcmp(r, "ok") != 0 && rc == NG_OK) rc = ng_fail(idx, NG_EDATA, "index %s is damaged: %s", idx->path, r);
  }
  if (sqlite3_finalize(st) != SQLITE_OK && rc == NG_OK) rc = ng_fail_sqlite(idx, "checking");
  if (rc != NG_OK) return rc;
  /* FTS5's own check compares the full-text index with the stored text. */
  if (idx->writable) {
    if (sqlite3_exec(idx->db, "INSERT INTO passage(passage) VALUES('integrity-check')", NULL, NULL, NULL) !=
        SQLITE_OK) {
      return ng_fail(idx, NG_EDATA, "index %s: the full-text index does not match the passages (%s)", idx->path,
                     sqlite3_errmsg(idx->db));
    }
  }
  long long orphans = 0, declared = 0;
  rc = count_query(idx, "SELECT count(*) FROM passage WHERE (rowid >> 20) NOT IN (SELECT id FROM doc)", &orphans);
  if (rc == NG_OK) rc = count_query(idx, "SELECT coalesce(sum(passages), 0) FROM doc", &declared);
  if (rc == NG_OK) rc = ng_index_get_stats(idx, stats);
  if (rc != NG_OK) return rc;
  if (orphans) return ng_fail(idx, NG_EDATA, "index %s: %lld passages belong to no document", idx->path, orphans);
  if (declared != stats->passages)
    return ng_fail(idx, NG_EDATA, "index %s: documents declare %lld passages but %lld are stored", idx->path, declared,
                   stats->passages);
  return NG_OK;
}

int ng_index_optimize(ng_index *idx) {
  if (!idx->writable) return ng_fail(idx, NG_EUSAGE, "the index is open read-only");
  int rc = store_exec(idx, "INSERT INTO passage(passage) VALUES('optimize')", "optimizing");
  if (rc == NG_OK) rc = store_exec(idx, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpointing");
  return rc;
}
