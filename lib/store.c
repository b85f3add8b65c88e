/*
 * store.c -- the SQLite file: creating, opening, locking, checking.
 *
 * Invariants:
 *  - An index file either does not exist or holds the whole schema: a new
 *    index is built under a temporary name and renamed into place, so a
 *    reader never meets a half-made one.
 *  - Writers hold an flock on "<index>.lock" for their whole life, so two
 *    indexers never interleave runs; the kernel drops the lock when a
 *    process dies, even by SIGKILL.  Readers never take it.
 *  - The database is in WAL mode: readers see the last committed
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
    "PRAGMA journal_mode=WAL;"
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

int store_commit(ng_index *idx) {
  if (!idx->in_txn) return NG_OK;
  int rc = store_flush_words(idx);
  if (rc == NG_OK) rc = store_exec(idx, "COMMIT", "committing");
  if (rc != NG_OK) {
    store_rollback(idx);
    return rc;
  }
  idx->in_txn = 0;
  lexicon_forget(&idx->lx);
  return NG_OK;
}

void store_rollback(ng_index *idx) {
  if (!idx->in_txn) return;
  sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
  idx->in_txn = 0;
  /* Words queued in the rolled-back transaction were never stored. */
  lexicon_unstore(&idx->lx);
}

static int cmp_words(const void *a, const void *b) {
  return strcmp((*(lex_word *const *)a)->raw, (*(lex_word *const *)b)->raw);
}

#define WORDS_PER_INSERT 100

int store_flush_words(ng_index *idx) {
  lexicon *lx = &idx->lx;
  /* In key order the b-tree is appended to, not split at random; many
   * rows a statement spare most of the per-statement work. */
  if (lx->nfresh) qsort(lx->fresh, lx->nfresh, sizeof *lx->fresh, cmp_words);
  size_t i = 0;
  if (lx->nfresh >= WORDS_PER_INSERT && !idx->word_insert_many) {
    buf sql = {0};
    buf_adds(&sql, "INSERT OR IGNORE INTO word(raw, stem) VALUES");
    for (int k = 0; k < WORDS_PER_INSERT; k++) buf_adds(&sql, k ? ",(?,?)" : "(?,?)");
    int rc = sql.oom
                 ? SQLITE_NOMEM
                 : sqlite3_prepare_v3(idx->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &idx->word_insert_many, NULL);
    buf_free(&sql);
    if (rc != SQLITE_OK) return ng_fail_sqlite(idx, "storing words");
  }
  for (; i + WORDS_PER_INSERT <= lx->nfresh; i += WORDS_PER_INSERT) {
    sqlite3_stmt *st = idx->word_insert_many;
    for (int k = 0; k < WORDS_PER_INSERT; k++) {
      sqlite3_bind_text(st, 2 * k + 1, lx->fresh[i + (size_t)k]->raw, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2 * k + 2, lx->fresh[i + (size_t)k]->stem, -1, SQLITE_STATIC);
    }
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return ng_fail_sqlite(idx, "storing words");
  }
  for (; i < lx->nfresh; i++) {
    sqlite3_stmt *st = store_stmt(idx, ST_WORD_INSERT);
    if (!st) return NG_ESYSTEM;
    sqlite3_bind_text(st, 1, lx->fresh[i]->raw, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, lx->fresh[i]->stem, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) return ng_fail_sqlite(idx, "storing words");
  }
  lx->nfresh = 0;
  return NG_OK;
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

/* Builds a new, empty index under a temporary name and renames it to path.
 * Called with the writer lock held. */
static int create_index(ng_index *idx, const char *language) {
  if (!valid_language_name(language) || lexicon_known_language(language) != 0) {
    char list[1024];
    ng_languages(list, sizeof list);
    return ng_fail(idx, NG_EUSAGE, "unknown language '%s' (known: %s)", language, list);
  }
  buf tmp = {0}, sql = {0};
  buf_printf(&tmp, "%s.new-%ld", idx->path, (long)getpid());
  buf_adds(&sql, schema_sql);
  buf_printf(&sql,
             "CREATE VIRTUAL TABLE passage USING fts5(body, head, first_line UNINDEXED,"
             " last_line UNINDEXED, tokenize = 'nutgraf %s');"
             "INSERT INTO meta VALUES('language', '%s');"
             "INSERT INTO meta VALUES('created_by', 'nutgraf " NG_VERSION_STRING
             "');"
             "PRAGMA application_id = %d;"
             "PRAGMA user_version = %d;",
             language, language, APPLICATION_ID, NG_SCHEMA_VERSION);
  if (tmp.oom || sql.oom) {
    buf_free(&tmp);
    buf_free(&sql);
    return ng_fail(idx, NG_ESYSTEM, "out of memory");
  }
  unlink(tmp.data);
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
  if (rc == NG_OK && rename(tmp.data, idx->path) != 0)
    rc = ng_fail(idx, NG_ESYSTEM, "cannot create index %s: %s", idx->path, strerror(errno));
  if (rc != NG_OK) {
    unlink(tmp.data);
    buf_printf(&tmp, "-wal");
    unlink(tmp.data);
  }
  buf_free(&tmp);
  buf_free(&sql);
  return rc;
}

static int pragma_int(ng_index *idx, const char *sql, int *out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(idx->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int(st, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

static int read_language(ng_index *idx, char *out, size_t n) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(idx->db, "SELECT value FROM meta WHERE key = 'language'", -1, &st, NULL);
  if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
  } else {
    rc = SQLITE_CORRUPT;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_OK ? 0 : -1;
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

  int flags =
      (write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX; /* a handle is one thread's */
  if (sqlite3_open_v2(path, &idx->db, flags, NULL) != SQLITE_OK) {
    if (!idx->db) return ng_fail(idx, NG_ESYSTEM, "out of memory");
    return ng_fail_sqlite(idx, "opening");
  }
  sqlite3_db_config(idx->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
  sqlite3_db_config(idx->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
  sqlite3_db_config(idx->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
  sqlite3_busy_timeout(idx->db, opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 10000);

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
  if (opts->language && strcmp(opts->language, language) != 0)
    return ng_fail(idx, NG_EUSAGE, "index %s is in %s, not %s; a new language needs a new index", path, language,
                   opts->language);
  char err[1200];
  rc = lexicon_init(&idx->lx, idx->db, language, err, sizeof err);
  if (rc != NG_OK) return ng_fail(idx, NG_EDATA, "index %s: %s", path, err);
  idx->lx_ready = 1;
  if (rank_register(idx->db) != SQLITE_OK) return ng_fail(idx, NG_ESYSTEM, "cannot register the rank function");
  if (write) {
    idx->lx.record = 1;
    if (store_exec(idx, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768", "setting up") != NG_OK)
      return NG_ESYSTEM;
  }
  return NG_OK;
}

void ng_index_close(ng_index *idx) {
  if (!idx) return;
  if (idx->db) {
    store_rollback(idx);
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(idx->stmts[i]);
    sqlite3_finalize(idx->word_insert_many);
    sqlite3_close(idx->db);
  }
  if (idx->lx_ready) lexicon_free(&idx->lx);
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
