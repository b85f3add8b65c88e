/*
 * store.c -- every SQL statement on the index's tables.
 *
 * The shape of SQLite's fts5_storage.c: the schema, the statements and
 * their bindings are private to this file, and the other modules call row
 * operations (put a document, delete its passages, list the documents,
 * look a word up, page through hits).  Hit queries are assembled by a small
 * builder that appends each placeholder together with its value, so the
 * SQL text and its bindings cannot drift apart.
 *
 * Invariants:
 *  - PRAGMA user_version is the schema version and application_id marks the
 *    file as ours; an index of another version is refused, never guessed at.
 *  - Passage rowids are NGI_ROWID(doc, ordinal) (internal.h).  They are
 *    deleted one rowid at a time: a multi-row statement would make FTS5
 *    flush its pending terms.
 *  - The body column comes first: FTS5 writes no column marker for column
 *    0, and almost every passage is body text.
 *  - Every value reaches SQL through a bound parameter.  The only text built
 *    into SQL is the tokenizer's language, which is checked against
 *    Snowball's list first, and the ordinal shift, a constant.
 *  - Neither RETURNING nor upserts: a statement that needs a statement
 *    journal makes FTS5 flush its pending terms (xSavepoint), which would
 *    cut the index into one segment per document.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define APPLICATION_ID 0x4E475246 /* "NGRF" */
#define ROWID_DOC_SQL(col) col " >> " NGI_ORDINAL_BITS_SQL

static const char *const schema_sql =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE doc("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL UNIQUE,"
    "  kind INTEGER NOT NULL DEFAULT 0," /* ngi_doc_kind: 0 article file, 1 feed file, 2 feed record */
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

/* A document row's columns, in the order bind_document binds them: the
 * one list the INSERT and the UPDATE share. */
#define DOC_COLUMNS \
  "path, kind, feed, title, dateline, date, source, url, author, size, mtime_ns, hash, encoding, indexed_ns, passages"
#define DOC_VALUES "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15"
#define DOC_NCOLUMNS 15

enum stmt_id {
  ST_DOC_LIST,
  ST_DOC_INSERT,
  ST_DOC_UPDATE,
  ST_DOC_TOUCH,
  ST_DOC_DELETE,
  ST_PASSAGE_INSERT,
  ST_PASSAGE_DELETE,
  ST_WORD_INSERT,
  ST_WORD_STEM,
  ST_WORD_PREFIX,
  ST_WORD_LIKE,
  ST_STEM_PASSAGES,
  ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_DOC_LIST] = "SELECT id, path, kind, feed, size, mtime_ns, hash, indexed_ns, passages FROM doc",
    [ST_DOC_INSERT] = "INSERT INTO doc(" DOC_COLUMNS ") VALUES(" DOC_VALUES ")",
    [ST_DOC_UPDATE] = "UPDATE doc SET (" DOC_COLUMNS ") = (" DOC_VALUES ") WHERE id = ?16",
    [ST_DOC_TOUCH] = "UPDATE doc SET size = ?2, mtime_ns = ?3, indexed_ns = ?4 WHERE id = ?1",
    [ST_DOC_DELETE] = "DELETE FROM doc WHERE id = ?1",
    [ST_PASSAGE_INSERT] = "INSERT INTO passage(rowid, body, head, first_line, last_line) VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_PASSAGE_DELETE] = "DELETE FROM passage WHERE rowid = ?1",
    [ST_WORD_INSERT] = "INSERT OR IGNORE INTO word(raw, stem) VALUES(?1, ?2)",
    [ST_WORD_STEM] = "SELECT stem FROM word WHERE raw = ?1",
    [ST_WORD_PREFIX] = "SELECT DISTINCT stem FROM word WHERE raw >= ?1 AND raw < ?1 || char(1114111) LIMIT ?2",
    [ST_WORD_LIKE] = ("SELECT raw, stem FROM word WHERE raw >= ?1 AND raw < ?1 || char(1114111)"
                      " AND length(raw) BETWEEN ?2 AND ?3"),
    [ST_STEM_PASSAGES] = "SELECT count(*) FROM passage WHERE passage MATCH ?1",
};

struct ngi_store {
  sqlite3 *db;
  int immutable; /* a reader that could not use the -wal and -shm files reads the file as it is */
  sqlite3_stmt *stmts[ST_COUNT];
  sqlite3_stmt *word_insert_many; /* flush_words' batch insert */
  buf queued_words;               /* "raw\0stem\0" pairs, to be stored by the next commit */
  int in_txn;
  int snip_ready; /* the temporary snippet table exists */
};

static sqlite3 *db_of(const ng_index *idx) { return idx->store ? idx->store->db : NULL; }

int ngi_store_fail(ng_index *idx, const char *context) {
  sqlite3 *db = db_of(idx);
  int code = db ? sqlite3_errcode(db) & 0xFF : SQLITE_ERROR;
  int sys = db ? sqlite3_system_errno(db) : 0;
  char detail[300];
  /* "disk I/O error" says little; the system's own word says more. */
  int ext = db ? sqlite3_extended_errcode(db) : 0;
  if (code == SQLITE_IOERR && sys) {
    snprintf(detail, sizeof detail, "%s (%s)", sqlite3_errmsg(db), strerror(sys));
    if (sys == EFBIG || sys == ENOSPC) code = SQLITE_FULL;
  } else if (ext == SQLITE_IOERR_WRITE || ext == SQLITE_IOERR_FSYNC || ext == SQLITE_IOERR_TRUNCATE) {
    snprintf(detail, sizeof detail, "cannot write (%s: the disk may be full or a file size limit reached)",
             sqlite3_errmsg(db));
  } else {
    snprintf(detail, sizeof detail, "%s", db ? sqlite3_errmsg(db) : "no database");
  }
  const char *msg = detail;
  switch (code) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ngi_fail(idx, NG_EDATA, "index %s is damaged (%s: %s); rebuild it with nutgraf-index --full PATH...",
                      idx->path, context, msg);
    case SQLITE_FULL:
      return ngi_fail(idx, NG_ESYSTEM, "index %s: %s: no room to write (%s)", idx->path, context,
                      sys ? strerror(sys) : "disk or file size limit full");
    case SQLITE_NOMEM: return ngi_fail(idx, NG_ESYSTEM, "%s: out of memory", context);
    case SQLITE_READONLY: return ngi_fail(idx, NG_ESYSTEM, "index %s is read-only (%s)", idx->path, context);
    default: return ngi_fail(idx, NG_ESYSTEM, "index %s: %s: %s", idx->path, context, msg);
  }
}

const char *ngi_store_errmsg(const ng_index *idx) {
  sqlite3 *db = db_of(idx);
  return db ? sqlite3_errmsg(db) : "no database";
}

/* Prepares (once) and resets statement id; NULL on error (message set). */
static sqlite3_stmt *stmt(ng_index *idx, int id) {
  ngi_store *s = idx->store;
  if (!s->stmts[id]) {
    if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL) != SQLITE_OK) {
      ngi_store_fail(idx, "preparing a statement");
      return NULL;
    }
  } else {
    sqlite3_reset(s->stmts[id]);
    sqlite3_clear_bindings(s->stmts[id]);
  }
  return s->stmts[id];
}

/* Steps a statement that returns no row: NG_OK or the error in context. */
static int run_stmt(ng_index *idx, sqlite3_stmt *st, const char *context) {
  if (!st) return NG_ESYSTEM;
  int rc = sqlite3_step(st) == SQLITE_DONE ? NG_OK : ngi_store_fail(idx, context);
  sqlite3_reset(st);
  return rc;
}

static int exec(ng_index *idx, const char *sql, const char *context) {
  if (sqlite3_exec(idx->store->db, sql, NULL, NULL, NULL) != SQLITE_OK) return ngi_store_fail(idx, context);
  return NG_OK;
}

/* The first column of sql's first row as text ("" for NULL): SQLITE_OK,
 * SQLITE_DONE when there is no row, or SQLite's error. */
static int first_text(sqlite3 *db, const char *sql, char *out, size_t n) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, n, "%s", t ? (const char *)t : "");
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

static int pragma_int(sqlite3 *db, const char *sql, int *out) {
  char t[32];
  int rc = first_text(db, sql, t, sizeof t);
  if (rc == SQLITE_OK) *out = (int)strtol(t, NULL, 10);
  return rc;
}

/* The FTS5 API of a connection, through FTS5's documented "SELECT fts5(?)"
 * handshake. */
fts5_api *ngi_fts5_api(sqlite3 *db) {
  fts5_api *api = NULL;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK) return NULL;
  sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
  sqlite3_step(st);
  sqlite3_finalize(st);
  return api;
}

/* ------------------------------------------------------------------ */
/* Files and connections */

static int valid_language_name(const char *s) {
  if (!*s) return 0;
  for (; *s; s++) {
    if (!((*s >= 'a' && *s <= 'z') || *s == '_')) return 0;
  }
  return 1;
}

int ngi_store_create(ng_index *idx, const char *file, const char *language) {
  if (!valid_language_name(language) || ngi_lexicon_known_language(language) != 0) {
    char list[1024];
    ng_languages(list, sizeof list);
    return ngi_fail(idx, NG_EUSAGE, "unknown language '%s' (known: %s)", language, list);
  }
  buf sql = {0};
  /* One transaction, no sync: the file is private until it is published. */
  ngi_buf_adds(&sql, "PRAGMA synchronous = OFF; BEGIN;");
  ngi_buf_adds(&sql, schema_sql);
  ngi_buf_printf(&sql,
                 "CREATE VIRTUAL TABLE passage USING fts5(body, head, first_line UNINDEXED,"
                 " last_line UNINDEXED, tokenize = 'nutgraf %s');"
                 "INSERT INTO meta VALUES('language', '%s');"
                 "INSERT INTO meta VALUES('created_by', 'nutgraf " NG_VERSION_STRING
                 "');"
                 "PRAGMA application_id = %d;"
                 "PRAGMA user_version = %d;"
                 "COMMIT;",
                 language, language, APPLICATION_ID, NG_SCHEMA_VERSION);
  if (sql.oom) {
    ngi_buf_free(&sql);
    return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  sqlite3 *db = NULL;
  int rc = NG_OK;
  char err[512] = "";
  ngi_lexicon *lx = NULL;
  if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    rc = ngi_fail(idx, NG_ESYSTEM, "cannot create index %s: %s", idx->path, db ? sqlite3_errmsg(db) : "out of memory");
  } else if ((rc = ngi_lexicon_new(&lx, ngi_fts5_api(db), language, 0, err, sizeof err)) != NG_OK) {
    ngi_fail(idx, rc, "%s", err);
  } else if (sqlite3_exec(db, sql.data, NULL, NULL, NULL) != SQLITE_OK) {
    rc = ngi_fail(idx, NG_ESYSTEM, "cannot create index %s: %s", idx->path, sqlite3_errmsg(db));
  }
  if (sqlite3_close(db) != SQLITE_OK && rc == NG_OK)
    rc = ngi_fail(idx, NG_ESYSTEM, "cannot create index %s: close failed", idx->path);
  ngi_lexicon_free(lx);
  ngi_buf_free(&sql);
  return rc;
}

/* The write-ahead log: SQLite's automatic checkpoint copies it into the
 * file after commits (and says nothing when that fails on a full disk:
 * the commit stands); a run's last copy is ng_index_checkpoint, which says
 * so.  A persistent log is cut back to WAL_SIZE_LIMIT after a checkpoint,
 * so that room a run freed is room on the disk, and emptied when the
 * writer closes. */
#define WAL_SIZE_LIMIT "4194304"

/* file as an SQLite URI that reads it as immutable ("file:" and the
 * absolute path with %, ?, # and non-ASCII bytes escaped). */
static char *immutable_uri(const char *file) {
  char *abs = ngi_clean_path(file);
  buf b = {0};
  ngi_buf_adds(&b, "file:");
  for (const unsigned char *p = (const unsigned char *)(abs ? abs : ""); *p; p++) {
    if (*p == '%' || *p == '?' || *p == '#' || *p <= 0x20 || *p >= 0x7F)
      ngi_buf_printf(&b, "%%%02X", *p);
    else
      ngi_buf_addc(&b, (char)*p);
  }
  ngi_buf_adds(&b, "?immutable=1");
  free(abs);
  return b.oom || !abs ? (ngi_buf_free(&b), NULL) : ngi_buf_detach(&b);
}

static void configure(ng_index *idx, sqlite3 *db) {
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
  sqlite3_busy_timeout(db, idx->busy_ms);
}

/* Reads the header fields a nutgraf index is known by: SQLITE_OK or
 * SQLite's error. */
static int read_identity(sqlite3 *db, int *app, int *version) {
  int rc = pragma_int(db, "PRAGMA application_id", app);
  if (rc == SQLITE_OK) rc = pragma_int(db, "PRAGMA user_version", version);
  return rc;
}

/* A reader that may not write the index's directory, on a read-only
 * mount or a full disk, reads through the -wal and -shm files writers
 * leave beside the index (SQLite opens a read-only -shm as such, since
 * 3.22).  When they are missing and cannot be made, SQLite's documented
 * way is the immutable URI parameter -- sound only with no log to read,
 * so only when the -wal file is absent or empty. */
static int may_read_immutable(const char *file, int code) {
  if (code != SQLITE_CANTOPEN && (code & 0xFF) != SQLITE_READONLY) return 0;
  buf wal = {0};
  ngi_buf_printf(&wal, "%s-wal", file);
  char *real = wal.oom ? NULL : realpath(file, NULL);
  if (real) {
    ngi_buf_reset(&wal);
    ngi_buf_printf(&wal, "%s-wal", real);
    free(real);
  }
  struct stat st;
  int ok = !wal.oom && (stat(wal.data, &st) != 0 ? errno == ENOENT : st.st_size == 0);
  ngi_buf_free(&wal);
  return ok;
}

int ngi_store_connect(ng_index *idx, const char *file, const char *want_language, int fresh) {
  const char *path = idx->path;
  ngi_store *s = calloc(1, sizeof *s);
  if (!s) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  idx->store = s;
  int flags = (idx->writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) |
              SQLITE_OPEN_NOMUTEX; /* a handle is one thread's */
  if (sqlite3_open_v2(file, &s->db, flags, NULL) != SQLITE_OK) {
    if (!s->db) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
    return ngi_store_fail(idx, "opening");
  }
  configure(idx, s->db);
  if (idx->writable && !fresh) {
    /* The -wal and -shm files stay when the writer closes, so that those
     * who may only read can open the index (SQLite's wal.html, "Read-Only
     * Databases"); the log is emptied then. */
    int on = 1;
    sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
  }

  int app = 0, version = 0;
  int rc = read_identity(s->db, &app, &version);
  if (rc != SQLITE_OK && !idx->writable && may_read_immutable(file, sqlite3_extended_errcode(s->db))) {
    char *uri = immutable_uri(file);
    sqlite3 *db = NULL;
    if (uri && sqlite3_open_v2(uri, &db, flags | SQLITE_OPEN_URI, NULL) == SQLITE_OK) {
      configure(idx, db);
      if (read_identity(db, &app, &version) == SQLITE_OK) {
        sqlite3_close(s->db);
        s->db = db;
        s->immutable = 1;
        rc = SQLITE_OK;
        db = NULL;
      }
    }
    sqlite3_close(db);
    free(uri);
  }
  if (rc == SQLITE_NOTADB || (rc == SQLITE_OK && app != APPLICATION_ID))
    return ngi_fail(idx, NG_EDATA, "%s is not a nutgraf index", path);
  if (rc != SQLITE_OK) return ngi_store_fail(idx, "reading the schema version");
  if (version != NG_SCHEMA_VERSION)
    return ngi_fail(idx, NG_EDATA,
                    "index %s has schema version %d but this nutgraf (%s) uses version %d;"
                    " remove it and index again",
                    path, version, NG_VERSION_STRING, NG_SCHEMA_VERSION);
  char language[64];
  if (first_text(s->db, "SELECT value FROM meta WHERE key = 'language'", language, sizeof language) != SQLITE_OK)
    return ngi_store_fail(idx, "reading the language");
  if (want_language && strcmp(want_language, language) != 0)
    return ngi_fail(idx, NG_EUSAGE, "index %s is in %s, not %s; a new language needs a new index", path, language,
                    want_language);
  char err[1200];
  rc = ngi_lexicon_new(&idx->lx, ngi_fts5_api(s->db), language, idx->writable, err, sizeof err);
  if (rc != NG_OK) return ngi_fail(idx, NG_EDATA, "index %s: %s", path, err);
  if (ngi_rank_register(ngi_fts5_api(s->db)) != SQLITE_OK)
    return ngi_fail(idx, NG_ESYSTEM, "cannot register the rank function");
  if (idx->writable) {
    /* A file no one knows yet needs no sync (it is synced when published)
     * and, in rollback mode, no more than SQLite's default cache: a bigger
     * one costs more in page faults than it saves on a first batch (BBC:
     * 0.40 against 0.43 s).  Later batches in WAL mode read back the
     * segments FTS5 merges; there a 32 MiB cache pays (BBC x8: 3.65
     * against 4.12 s). */
    if (exec(idx,
             fresh ? "PRAGMA synchronous = OFF"
                   : "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768; PRAGMA journal_size_limit "
                     "= " WAL_SIZE_LIMIT,
             "setting up") != NG_OK)
      return NG_ESYSTEM;
    /* A log an earlier run could not copy into the index (a full disk) is
     * copied first, so that this run writes into room, not after it. */
    if (!fresh) sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  }
  return NG_OK;
}

int ngi_store_connected(const ng_index *idx) { return db_of(idx) != NULL; }

void ngi_store_disconnect(ng_index *idx) {
  ngi_store *s = idx->store;
  if (s) {
    ngi_store_rollback(idx);
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(s->stmts[i]);
    sqlite3_finalize(s->word_insert_many);
    sqlite3_close(s->db);
    ngi_buf_free(&s->queued_words);
    free(s);
    idx->store = NULL;
  }
  ngi_lexicon_free(idx->lx);
  idx->lx = NULL;
}

int ngi_store_use_wal(ng_index *idx) {
  char mode[16] = "";
  int rc = first_text(idx->store->db, "PRAGMA journal_mode = WAL", mode, sizeof mode);
  if (rc != SQLITE_OK || sqlite3_stricmp(mode, "wal") != 0)
    return ngi_store_fail(idx, "switching the new index to WAL mode");
  return NG_OK;
}

/* ------------------------------------------------------------------ */
/* Transactions and the word table */

int ngi_store_in_transaction(const ng_index *idx) { return idx->store && idx->store->in_txn; }

int ngi_store_begin(ng_index *idx) {
  if (idx->store->in_txn) return NG_OK;
  int rc = exec(idx, "BEGIN IMMEDIATE", "starting a transaction");
  if (rc == NG_OK) idx->store->in_txn = 1;
  return rc;
}

typedef struct word_pair {
  const char *raw, *stem;
  int rawlen, stemlen;
} word_pair;

static int cmp_words(const void *a, const void *b) {
  return strcmp(((const word_pair *)a)->raw, ((const word_pair *)b)->raw);
}

int ngi_store_queue_words(ng_index *idx, const char *pairs, size_t len) {
  buf *q = &idx->store->queued_words;
  if (len) ngi_buf_add(q, pairs, len);
  return q->oom ? ngi_fail(idx, NG_ESYSTEM, "out of memory") : NG_OK;
}

#define WORDS_PER_INSERT 100

/* Stores the queued words and the lexicon's fresh ones. */
static int flush_words(ng_index *idx) {
  ngi_store *s = idx->store;
  buf *q = &s->queued_words;
  if (ngi_lexicon_take_fresh(idx->lx, q) != NG_OK) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  size_t n = 0;
  for (const char *p = q->data, *end = q->data + q->len; p && p < end; n++) {
    p += strlen(p) + 1;
    p += strlen(p) + 1;
  }
  if (n == 0) return NG_OK;
  word_pair *w = malloc(n * sizeof *w);
  if (!w) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  size_t k = 0;
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
  if (n >= WORDS_PER_INSERT && !s->word_insert_many) {
    buf sql = {0};
    ngi_buf_adds(&sql, "INSERT OR IGNORE INTO word(raw, stem) VALUES");
    for (int r = 0; r < WORDS_PER_INSERT; r++) ngi_buf_adds(&sql, r ? ",(?,?)" : "(?,?)");
    int prc = sql.oom ? SQLITE_NOMEM
                      : sqlite3_prepare_v3(s->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &s->word_insert_many, NULL);
    ngi_buf_free(&sql);
    if (prc != SQLITE_OK) rc = ngi_store_fail(idx, "storing words");
  }
  for (; rc == NG_OK && i + WORDS_PER_INSERT <= n; i += WORDS_PER_INSERT) {
    sqlite3_stmt *st = s->word_insert_many;
    for (int r = 0; r < WORDS_PER_INSERT; r++) {
      sqlite3_bind_text(st, 2 * r + 1, w[i + (size_t)r].raw, w[i + (size_t)r].rawlen, SQLITE_STATIC);
      sqlite3_bind_text(st, 2 * r + 2, w[i + (size_t)r].stem, w[i + (size_t)r].stemlen, SQLITE_STATIC);
    }
    rc = run_stmt(idx, st, "storing words");
  }
  for (; rc == NG_OK && i < n; i++) {
    sqlite3_stmt *st = stmt(idx, ST_WORD_INSERT);
    if (st) {
      sqlite3_bind_text(st, 1, w[i].raw, w[i].rawlen, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, w[i].stem, w[i].stemlen, SQLITE_STATIC);
    }
    rc = run_stmt(idx, st, "storing words");
  }
  free(w);
  if (rc == NG_OK) ngi_buf_reset(q);
  return rc;
}

int ngi_store_commit(ng_index *idx) {
  ngi_store *s = idx->store;
  if (!s->in_txn) return NG_OK;
  int rc = flush_words(idx);
  if (rc == NG_OK) rc = exec(idx, "COMMIT", "committing");
  if (rc != NG_OK) {
    ngi_store_rollback(idx);
    return rc;
  }
  s->in_txn = 0;
  ngi_lexicon_forget(idx->lx);
  return NG_OK;
}

void ngi_store_rollback(ng_index *idx) {
  ngi_store *s = idx->store;
  if (!s || !s->in_txn) return;
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  s->in_txn = 0;
  /* Words queued in the rolled-back transaction were never stored. */
  ngi_lexicon_unstore(idx->lx);
  ngi_buf_reset(&s->queued_words);
}

int ngi_store_word_stem(ng_index *idx, const char *raw, size_t n, buf *out) {
  sqlite3_stmt *st = stmt(idx, ST_WORD_STEM);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_text(st, 1, raw, (int)n, SQLITE_STATIC);
  int step = sqlite3_step(st);
  int found = step == SQLITE_ROW;
  if (found) {
    ngi_buf_reset(out);
    ngi_buf_adds(out, (const char *)sqlite3_column_text(st, 0));
  }
  int rc = found ? 1 : step == SQLITE_DONE ? 0 : ngi_store_fail(idx, "looking up a word");
  sqlite3_reset(st);
  return rc;
}

int ngi_store_prefix_stems(ng_index *idx, const char *prefix, int max, void (*fn)(void *ctx, const char *stem),
                           void *ctx) {
  sqlite3_stmt *st = stmt(idx, ST_WORD_PREFIX);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, max);
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) fn(ctx, (const char *)sqlite3_column_text(st, 0));
  int rc = step == SQLITE_DONE ? NG_OK : ngi_store_fail(idx, "looking up a prefix");
  sqlite3_reset(st);
  return rc;
}

int ngi_store_words_like(ng_index *idx, const char *first, int minlen, int maxlen,
                         void (*fn)(void *ctx, const char *raw, const char *stem), void *ctx) {
  sqlite3_stmt *st = stmt(idx, ST_WORD_LIKE);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_text(st, 1, first, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 2, minlen);
  sqlite3_bind_int(st, 3, maxlen);
  int step;
  /* The callback may run statements of its own: the rows are copied out
   * first. */
  buf rows = {0};
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    ngi_buf_adds(&rows, (const char *)sqlite3_column_text(st, 0));
    ngi_buf_addc(&rows, '\0');
    ngi_buf_adds(&rows, (const char *)sqlite3_column_text(st, 1));
    ngi_buf_addc(&rows, '\0');
  }
  int rc = step == SQLITE_DONE ? NG_OK : ngi_store_fail(idx, "looking up words");
  sqlite3_reset(st);
  if (rc == NG_OK && rows.oom) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  for (const char *p = rows.data, *end = rows.data + rows.len; rc == NG_OK && p && p < end;) {
    const char *raw = p;
    p += strlen(p) + 1;
    const char *stem = p;
    p += strlen(p) + 1;
    fn(ctx, raw, stem);
  }
  ngi_buf_free(&rows);
  return rc;
}

long long ngi_store_stem_passages(ng_index *idx, const char *stem) {
  buf q = {0};
  ngi_buf_addc(&q, '"');
  ngi_buf_addc(&q, NGI_VERBATIM);
  ngi_buf_adds(&q, stem);
  ngi_buf_addc(&q, '"');
  long long n = -1;
  sqlite3_stmt *st = q.oom ? NULL : stmt(idx, ST_STEM_PASSAGES);
  if (st) {
    sqlite3_bind_text(st, 1, q.data, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
  }
  ngi_buf_free(&q);
  return n;
}

/* ------------------------------------------------------------------ */
/* Documents and passages */

int ngi_store_each_document(ng_index *idx, int (*fn)(void *ctx, const ngi_doc_row *row), void *ctx) {
  sqlite3_stmt *st = stmt(idx, ST_DOC_LIST);
  if (!st) return NG_ESYSTEM;
  int step, rc = NG_OK;
  while (rc == NG_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
    ngi_doc_row row;
    memset(&row, 0, sizeof row);
    row.id = sqlite3_column_int64(st, 0);
    row.path = (const char *)sqlite3_column_text(st, 1);
    row.kind = sqlite3_column_int(st, 2);
    row.feed = sqlite3_column_int64(st, 3);
    row.size = sqlite3_column_int64(st, 4);
    row.mtime_ns = sqlite3_column_int64(st, 5);
    row.hash = sqlite3_column_int64(st, 6);
    row.indexed_ns = sqlite3_column_int64(st, 7);
    row.passages = sqlite3_column_int64(st, 8);
    if (!row.path) {
      rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
      break;
    }
    rc = fn(ctx, &row);
  }
  if (rc == NG_OK && step != SQLITE_DONE) rc = ngi_store_fail(idx, "reading documents");
  sqlite3_reset(st);
  return rc;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s) {
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

/* Binds a document row in DOC_COLUMNS' order. */
static void bind_document(sqlite3_stmt *st, const ngi_doc_row *r) {
  int i = 1;
  sqlite3_bind_text(st, i++, r->path, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, i++, r->kind);
  if (r->feed)
    sqlite3_bind_int64(st, i++, r->feed);
  else
    sqlite3_bind_null(st, i++);
  bind_text_or_null(st, i++, r->title);
  bind_text_or_null(st, i++, r->dateline);
  bind_text_or_null(st, i++, r->date);
  bind_text_or_null(st, i++, r->source);
  bind_text_or_null(st, i++, r->url);
  bind_text_or_null(st, i++, r->author);
  sqlite3_bind_int64(st, i++, r->size);
  sqlite3_bind_int64(st, i++, r->mtime_ns);
  sqlite3_bind_int64(st, i++, r->hash);
  bind_text_or_null(st, i++, r->encoding);
  sqlite3_bind_int64(st, i++, r->indexed_ns);
  sqlite3_bind_int64(st, i++, r->passages);
  _Static_assert(DOC_NCOLUMNS == 15, "bind_document binds every column of DOC_COLUMNS");
}

int ngi_store_put_document(ng_index *idx, ngi_doc_row *row) {
  sqlite3_stmt *st = stmt(idx, row->id ? ST_DOC_UPDATE : ST_DOC_INSERT);
  if (!st) return NG_ESYSTEM;
  bind_document(st, row);
  if (row->id) sqlite3_bind_int64(st, DOC_NCOLUMNS + 1, row->id);
  int rc = run_stmt(idx, st, "storing a document");
  if (rc == NG_OK && !row->id) row->id = sqlite3_last_insert_rowid(idx->store->db);
  return rc;
}

int ngi_store_touch_document(ng_index *idx, long long id, long long size, long long mtime_ns, long long indexed_ns) {
  sqlite3_stmt *st = stmt(idx, ST_DOC_TOUCH);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, size);
  sqlite3_bind_int64(st, 3, mtime_ns);
  sqlite3_bind_int64(st, 4, indexed_ns);
  return run_stmt(idx, st, "updating a document");
}

int ngi_store_delete_document(ng_index *idx, long long id) {
  sqlite3_stmt *st = stmt(idx, ST_DOC_DELETE);
  if (st) sqlite3_bind_int64(st, 1, id);
  return run_stmt(idx, st, "removing a document");
}

int ngi_store_delete_passages(ng_index *idx, long long doc, long long count, long long *removed) {
  for (long long k = 0; k <= count; k++) {
    sqlite3_stmt *st = stmt(idx, ST_PASSAGE_DELETE);
    if (st) sqlite3_bind_int64(st, 1, NGI_ROWID(doc, k));
    int rc = run_stmt(idx, st, "deleting passages");
    if (rc != NG_OK) return rc;
    *removed += sqlite3_changes(idx->store->db);
  }
  return NG_OK;
}

int ngi_store_put_passage(ng_index *idx, long long doc, int ordinal, const passage *p, const char *text,
                          const char *stream, size_t streamlen) {
  sqlite3_stmt *st = stmt(idx, ST_PASSAGE_INSERT);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, NGI_ROWID(doc, ordinal));
  sqlite3_bind_text(st, p->kind == NG_KIND_HEADLINE ? 3 : 2, text, (int)p->len, SQLITE_STATIC);
  sqlite3_bind_int(st, 4, p->first_line);
  sqlite3_bind_int(st, 5, p->last_line);
  if (stream) ngi_tokens_expect(idx->lx, stream, streamlen);
  int rc = run_stmt(idx, st, "storing a passage");
  ngi_tokens_expect(idx->lx, NULL, 0);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Reading a document back (a rebuild copies what it cannot read again) */

static const char *text_into(buf *b, sqlite3_stmt *st, int col, size_t *at) {
  const unsigned char *t = sqlite3_column_text(st, col);
  if (!t) return NULL;
  *at = b->len;
  ngi_buf_adds(b, (const char *)t);
  ngi_buf_addc(b, '\0');
  return "";
}

int ngi_store_get_document(ng_index *idx, long long id, ngi_doc_row *row, buf *strings) {
  sqlite3_stmt *st = NULL;
  memset(row, 0, sizeof *row);
  ngi_buf_reset(strings);
  int rc = NG_OK;
  if (sqlite3_prepare_v2(idx->store->db, "SELECT " DOC_COLUMNS " FROM doc WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
    return ngi_store_fail(idx, "reading a document");
  sqlite3_bind_int64(st, 1, id);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    /* Strings go into one buffer, which may move: offsets first. */
    size_t at[8] = {0};
    const char *has[8];
    int cols[8] = {0, 3, 4, 5, 6, 7, 8, 12};
    for (int i = 0; i < 8; i++) has[i] = text_into(strings, st, cols[i], &at[i]);
    row->id = id;
    row->kind = sqlite3_column_int(st, 1);
    row->feed = sqlite3_column_int64(st, 2);
    row->size = sqlite3_column_int64(st, 9);
    row->mtime_ns = sqlite3_column_int64(st, 10);
    row->hash = sqlite3_column_int64(st, 11);
    row->indexed_ns = sqlite3_column_int64(st, 13);
    row->passages = sqlite3_column_int64(st, 14);
    if (strings->oom || !has[0]) {
      rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    } else {
      const char **out[8] = {&row->path,   &row->title, &row->dateline, &row->date,
                             &row->source, &row->url,   &row->author,   &row->encoding};
      for (int i = 0; i < 8; i++) *out[i] = has[i] ? strings->data + at[i] : NULL;
    }
  } else {
    rc = step == SQLITE_DONE ? ngi_fail(idx, NG_EDATA, "index %s: document %lld is gone", idx->path, id)
                             : ngi_store_fail(idx, "reading a document");
  }
  sqlite3_finalize(st);
  return rc;
}

int ngi_store_each_passage(ng_index *idx, long long doc,
                           int (*fn)(void *ctx, int ordinal, int kind, const char *text, int first, int last),
                           void *ctx) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(idx->store->db,
                         "SELECT rowid, head, body, first_line, last_line FROM passage"
                         " WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid",
                         -1, &st, NULL) != SQLITE_OK)
    return ngi_store_fail(idx, "reading passages");
  sqlite3_bind_int64(st, 1, NGI_ROWID(doc, 0));
  sqlite3_bind_int64(st, 2, NGI_ROWID(doc, NGI_MAX_ORDINAL));
  int step, rc = NG_OK;
  while (rc == NG_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *head = (const char *)sqlite3_column_text(st, 1);
    const char *body = (const char *)sqlite3_column_text(st, 2);
    rc = fn(ctx, NGI_ROWID_ORDINAL(sqlite3_column_int64(st, 0)), head ? NG_KIND_HEADLINE : NG_KIND_PARAGRAPH,
            head   ? head
            : body ? body
                   : "",
            sqlite3_column_int(st, 3), sqlite3_column_int(st, 4));
  }
  if (rc == NG_OK && step != SQLITE_DONE) rc = ngi_store_fail(idx, "reading passages");
  sqlite3_finalize(st);
  return rc;
}

/* ------------------------------------------------------------------ */
/* The statement builder: SQL text and its values, appended together */

typedef struct bound {
  int is_text;
  long long i;
  double d;
  int is_real;
  char *text; /* owned */
} bound;

typedef struct sqlb {
  buf sql;
  bound *vals;
  size_t n, cap;
  int oom;
} sqlb;

/* Appends sql with its one '?' numbered, and the value that goes there. */
static bound *sqlb_slot(sqlb *b, const char *sql) {
  const char *q = strchr(sql, '?');
  if (!q) {
    ngi_buf_adds(&b->sql, sql);
    return NULL;
  }
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 16;
    bound *v = realloc(b->vals, cap * sizeof *v);
    if (!v) {
      b->oom = 1;
      return NULL;
    }
    b->vals = v;
    b->cap = cap;
  }
  bound *v = &b->vals[b->n++];
  memset(v, 0, sizeof *v);
  ngi_buf_add(&b->sql, sql, (size_t)(q - sql));
  ngi_buf_printf(&b->sql, "?%zu", b->n);
  ngi_buf_adds(&b->sql, q + 1);
  return v;
}

static void sqlb_add(sqlb *b, const char *sql) { ngi_buf_adds(&b->sql, sql); }

static void sqlb_text(sqlb *b, const char *sql, const char *value) {
  bound *v = sqlb_slot(b, sql);
  if (!v) return;
  v->is_text = 1;
  if (value && !(v->text = strdup(value))) b->oom = 1;
}

static void sqlb_int(sqlb *b, const char *sql, long long value) {
  bound *v = sqlb_slot(b, sql);
  if (v) v->i = value;
}

static void sqlb_real(sqlb *b, const char *sql, double value) {
  bound *v = sqlb_slot(b, sql);
  if (!v) return;
  v->is_real = 1;
  v->d = value;
}

static void sqlb_free(sqlb *b) {
  for (size_t i = 0; i < b->n; i++) free(b->vals[i].text);
  free(b->vals);
  ngi_buf_free(&b->sql);
  memset(b, 0, sizeof *b);
}

/* Prepares the statement and binds its values; frees the builder. */
static int sqlb_prepare(ng_index *idx, sqlb *b, sqlite3_stmt **out, const char *context) {
  *out = NULL;
  int rc = NG_OK;
  if (b->oom || b->sql.oom) {
    rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  } else if (sqlite3_prepare_v2(idx->store->db, b->sql.data, -1, out, NULL) != SQLITE_OK) {
    rc = ngi_store_fail(idx, context);
  } else {
    for (size_t i = 0; i < b->n; i++) {
      const bound *v = &b->vals[i];
      int k = (int)i + 1;
      if (v->is_text && v->text)
        sqlite3_bind_text(*out, k, v->text, -1, SQLITE_TRANSIENT);
      else if (v->is_text)
        sqlite3_bind_null(*out, k);
      else if (v->is_real)
        sqlite3_bind_double(*out, k, v->d);
      else
        sqlite3_bind_int64(*out, k, v->i);
    }
  }
  sqlb_free(b);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Hits */

struct ngi_hits {
  ng_index *idx;
  sqlite3_stmt *st;
  int has_snippet; /* column 14 is the snippet */
};

/* The filters, dates and title conditions as AND clauses on d (doc). */
static void add_conditions(sqlb *b, const ngi_hit_query *q) {
  if (q->since) sqlb_text(b, " AND d.date >= ?", q->since);
  if (q->until) sqlb_text(b, " AND d.date <= ? || '~'", q->until);
  buf tmp = {0};
  for (size_t i = 0; i < q->nfilters; i++) {
    const ngi_filter *f = &q->filters[i];
    if (f == q->skip_filter) continue;
    if (f->field == NGI_FIELD_TITLE) {
      ngi_buf_reset(&tmp);
      ngi_buf_printf(&tmp, "{head} : (%s)", f->value);
      if (tmp.oom) b->oom = 1;
      sqlb_text(b,
                f->negated ? " AND d.id NOT IN (SELECT " ROWID_DOC_SQL("rowid") " FROM passage WHERE passage MATCH ?)"
                           : " AND d.id IN (SELECT " ROWID_DOC_SQL("rowid") " FROM passage WHERE passage MATCH ?)",
                tmp.data);
    } else if (f->field == NGI_FIELD_SOURCE) {
      sqlb_text(b,
                f->negated ? " AND NOT instr(lower(coalesce(d.source, '')), lower(?))"
                           : " AND instr(lower(coalesce(d.source, '')), lower(?))",
                f->value);
    } else if (strpbrk(f->value, "*?[")) {
      sqlb_text(b, f->negated ? " AND d.path NOT GLOB ?" : " AND d.path GLOB ?", f->value);
    } else {
      sqlb_text(b, f->negated ? " AND NOT instr(d.path, ?)" : " AND instr(d.path, ?)", f->value);
    }
  }
  ngi_buf_free(&tmp);
}

/* Output columns of every form: id, score, doc id, path, title, dateline,
 * date, source, url, author, head, body, first line, last line, and in the
 * fast form the snippet. */
#define DOC_OUT "d.id, d.path, d.title, d.dateline, d.date, d.source, d.url, d.author"

/* A plain query ranked by score is one statement: FTS5 orders by the rank
 * function and makes snippets for the page asked for alone, as "ORDER BY
 * rank" does with bm25.  Filters, dates, per-document results and --sort
 * date need the general form, which scores every match in SQL and reads
 * the page's passages last; its snippets come from ngi_store_snippets. */
static void build_hits(sqlb *b, const ngi_hit_query *q, int *has_snippet) {
  long limit = q->limit;
  long offset = q->offset > 0 ? q->offset : 0;
  *has_snippet = 0;
  if (q->all) {
    sqlb_add(b, "SELECT p.rowid, 0.0, " DOC_OUT
                ", p.head, p.body, p.first_line, p.last_line"
                " FROM passage p JOIN doc d ON d.id = " ROWID_DOC_SQL("p.rowid") " WHERE 1");
    add_conditions(b, q);
    sqlb_int(b, " ORDER BY p.rowid LIMIT ?", limit);
    sqlb_int(b, " OFFSET ?", offset);
    return;
  }
  int fast = !q->per_document && q->sort == NG_SORT_RANK && !q->since && !q->until && !q->nfilters;
  if (fast) {
    *has_snippet = 1;
    sqlb_add(b, "SELECT t.id, t.score, " DOC_OUT
                ", t.head, t.body, t.first_line, t.last_line, t.snip FROM ("
                "SELECT rowid AS id, -rank AS score, head, body, first_line, last_line,");
    sqlb_int(b, " snippet(passage, -1, char(1), char(2), '\xE2\x80\xA6', ?) AS snip", q->snippet_tokens);
    sqlb_text(b, " FROM passage WHERE passage MATCH ?", q->match);
    buf rank = {0};
    ngi_buf_printf(&rank, "nutgraf_rank(%.17g, %.17g)", q->weights[0], q->weights[1]);
    sqlb_text(b, " AND rank MATCH ?", rank.data);
    ngi_buf_free(&rank);
    sqlb_int(b, " ORDER BY rank LIMIT ?", limit);
    sqlb_int(b, " OFFSET ?) AS t JOIN doc d ON d.id = " ROWID_DOC_SQL("t.id") " ORDER BY t.score DESC, t.id", offset);
    return;
  }
  sqlb_real(b, "WITH r AS (SELECT rowid AS id, " ROWID_DOC_SQL("rowid") " AS doc, -nutgraf_rank(passage, ?",
            q->weights[0]);
  sqlb_real(b, ", ?) AS score", q->weights[1]);
  sqlb_text(b, " FROM passage WHERE passage MATCH ?)", q->match);
  if (q->per_document)
    sqlb_add(b,
             ", b AS (SELECT id, doc, score, row_number() OVER (PARTITION BY doc ORDER BY score DESC, id)"
             " AS rn FROM r)");
  /* The page of hits is chosen first, and only its passages are read. */
  sqlb_add(b,
           " SELECT t.*, p.head, p.body, p.first_line, p.last_line FROM ("
           "SELECT r.id AS id, r.score AS score, d.id AS doc_id, d.path AS path, d.title AS title,"
           " d.dateline AS dateline, d.date AS date, d.source AS source, d.url AS url, d.author AS author");
  sqlb_add(b, q->per_document ? " FROM b AS r" : " FROM r");
  sqlb_add(b, " JOIN doc d ON d.id = r.doc WHERE 1");
  if (q->per_document) sqlb_add(b, " AND r.rn = 1");
  add_conditions(b, q);
  const char *order =
      q->sort == NG_SORT_DATE ? " ORDER BY date IS NULL, date DESC, score DESC, id" : " ORDER BY score DESC, id";
  sqlb_add(b, order);
  sqlb_int(b, " LIMIT ?", limit);
  sqlb_int(b, " OFFSET ?) AS t JOIN passage p ON p.rowid = t.id", offset);
  sqlb_add(b, order);
}

int ngi_store_hits_open(ng_index *idx, const ngi_hit_query *q, ngi_hits **out) {
  *out = NULL;
  ngi_hits *h = calloc(1, sizeof *h);
  if (!h) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  h->idx = idx;
  sqlb b = {0};
  build_hits(&b, q, &h->has_snippet);
  int rc = sqlb_prepare(idx, &b, &h->st, "preparing the search");
  if (rc != NG_OK) {
    ngi_store_hits_close(h);
    return rc;
  }
  *out = h;
  return NG_OK;
}

int ngi_store_hits_step(ngi_hits *h, ngi_hit_row *row, int *sqlite_code) {
  *sqlite_code = SQLITE_OK;
  int step = sqlite3_step(h->st);
  if (step == SQLITE_DONE) return NG_DONE;
  if (step != SQLITE_ROW) {
    *sqlite_code = sqlite3_errcode(h->idx->store->db);
    return NG_ESYSTEM;
  }
  sqlite3_stmt *st = h->st;
  row->rowid = sqlite3_column_int64(st, 0);
  row->score = sqlite3_column_double(st, 1);
  row->doc = sqlite3_column_int64(st, 2);
  row->path = (const char *)sqlite3_column_text(st, 3);
  row->title = (const char *)sqlite3_column_text(st, 4);
  row->dateline = (const char *)sqlite3_column_text(st, 5);
  row->date = (const char *)sqlite3_column_text(st, 6);
  row->source = (const char *)sqlite3_column_text(st, 7);
  row->url = (const char *)sqlite3_column_text(st, 8);
  row->author = (const char *)sqlite3_column_text(st, 9);
  row->head = (const char *)sqlite3_column_text(st, 10);
  row->body = row->head ? NULL : (const char *)sqlite3_column_text(st, 11);
  row->first_line = sqlite3_column_int(st, 12);
  row->last_line = sqlite3_column_int(st, 13);
  row->snippet = h->has_snippet ? (const char *)sqlite3_column_text(st, 14) : NULL;
  return NG_ROW;
}

void ngi_store_hits_close(ngi_hits *h) {
  if (!h) return;
  sqlite3_finalize(h->st);
  free(h);
}

int ngi_store_hits_count(ng_index *idx, const ngi_hit_query *q, long long *count, int *sqlite_code) {
  *count = 0;
  *sqlite_code = SQLITE_OK;
  sqlb b = {0};
  sqlb_text(&b, "WITH r AS (SELECT rowid AS id, " ROWID_DOC_SQL("rowid") " AS doc FROM passage WHERE passage MATCH ?)",
            q->match);
  sqlb_add(&b, q->per_document ? " SELECT count(DISTINCT r.doc)" : " SELECT count(*)");
  sqlb_add(&b, " FROM r JOIN doc d ON d.id = r.doc WHERE 1");
  add_conditions(&b, q);
  sqlite3_stmt *st = NULL;
  int rc = sqlb_prepare(idx, &b, &st, "preparing the search");
  if (rc == NG_OK) {
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
      *count = sqlite3_column_int64(st, 0);
    } else {
      *sqlite_code = sqlite3_errcode(idx->store->db);
      rc = NG_ESYSTEM;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

/* A page's snippets: its passages go into a small temporary FTS5 table of
 * the same tokenizer, and FTS5's snippet() runs the query over that, once,
 * instead of over the whole index once per hit. */
int ngi_store_snippets(ng_index *idx, const char *match, int tokens, const char *const *texts, const int *kinds,
                       size_t n, char **snippets) {
  ngi_store *s = idx->store;
  for (size_t i = 0; i < n; i++) snippets[i] = NULL;
  if (!s->snip_ready) {
    buf sql = {0};
    ngi_buf_printf(&sql,
                   "PRAGMA temp_store = MEMORY;"
                   "CREATE VIRTUAL TABLE temp.snip USING fts5(body, head, tokenize = 'nutgraf %s')",
                   ngi_lexicon_language(idx->lx));
    int rc = sql.oom ? ngi_fail(idx, NG_ESYSTEM, "out of memory") : exec(idx, sql.data, "making snippets");
    ngi_buf_free(&sql);
    if (rc != NG_OK) return rc;
    s->snip_ready = 1;
  }
  if (exec(idx, "DELETE FROM temp.snip", "making snippets") != NG_OK) return NG_ESYSTEM;
  sqlite3_stmt *ins = NULL, *sel = NULL;
  int rc = NG_OK;
  if (sqlite3_prepare_v2(s->db, "INSERT INTO temp.snip(rowid, body, head) VALUES(?1, ?2, ?3)", -1, &ins, NULL) !=
          SQLITE_OK ||
      sqlite3_prepare_v2(s->db,
                         "SELECT rowid, snippet(snip, -1, char(1), char(2), '\xE2\x80\xA6', ?2)"
                         " FROM temp.snip WHERE snip MATCH ?1",
                         -1, &sel, NULL) != SQLITE_OK) {
    rc = ngi_store_fail(idx, "making snippets");
  }
  for (size_t i = 0; rc == NG_OK && i < n; i++) {
    sqlite3_bind_int64(ins, 1, (long long)i);
    sqlite3_bind_text(ins, kinds[i] == NG_KIND_HEADLINE ? 3 : 2, texts[i], -1, SQLITE_STATIC);
    sqlite3_bind_null(ins, kinds[i] == NG_KIND_HEADLINE ? 2 : 3);
    rc = run_stmt(idx, ins, "making snippets");
  }
  if (rc == NG_OK) {
    sqlite3_bind_text(sel, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int(sel, 2, tokens);
    int step;
    while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
      long long i = sqlite3_column_int64(sel, 0);
      const char *snippet = (const char *)sqlite3_column_text(sel, 1);
      if (i < 0 || (size_t)i >= n || !snippet || snippets[i]) continue;
      if (!(snippets[i] = strdup(snippet))) {
        rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
        break;
      }
    }
    if (rc == NG_OK && step != SQLITE_DONE) rc = ngi_store_fail(idx, "making snippets");
  }
  sqlite3_finalize(ins);
  sqlite3_finalize(sel);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Statistics, checking, merging */

static int count_query(ng_index *idx, const char *sql, long long *out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(idx->store->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(st, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_OK ? NG_OK : ngi_store_fail(idx, "counting");
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

/* The problems a check found: one line each, the first kept as the
 * handle's message. */
typedef struct problems {
  ng_index *idx;
  void (*fn)(void *ctx, const char *line);
  void *ctx;
  long n;
} problems;

#define MAX_PROBLEM_LINES 100

static void problem(problems *p, const char *fmt, ...) NGI_PRINTF(2, 3);
static void problem(problems *p, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (p->n == 0) ngi_fail(p->idx, NG_EDATA, "%s", line);
  if (p->fn && p->n < MAX_PROBLEM_LINES) p->fn(p->ctx, line);
  p->n++;
}

/* SQLite's check report, a row of several lines ("*** in database main
 * ***\nPage 5: ..."), as one problem a line. */
static void report_lines(problems *p, const char *what, const char *report) {
  while (report && *report) {
    size_t n = strcspn(report, "\n");
    if (n && strncmp(report, "*** in database", 15) != 0)
      problem(p, "index %s is damaged: %s: %.*s", p->idx->path, what, (int)n, report);
    report += n;
    if (*report) report++;
  }
}

int ng_index_verify(ng_index *idx, ng_index_stats *stats, void (*fn)(void *ctx, const char *line), void *ctx) {
  ng_index_stats local;
  if (!stats) stats = &local;
  memset(stats, 0, sizeof *stats);
  problems p = {idx, fn, ctx, 0};
  sqlite3_stmt *st = NULL;
  int rc = NG_OK;
  if (sqlite3_prepare_v2(idx->store->db, "PRAGMA quick_check(" NGI_STR(MAX_PROBLEM_LINES) ")", -1, &st, NULL) !=
      SQLITE_OK) {
    rc = ngi_store_fail(idx, "checking");
    if (rc == NG_EDATA) problem(&p, "%s", idx->err);
    return rc;
  }
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *r = (const char *)sqlite3_column_text(st, 0);
    if (r && strcmp(r, "ok") != 0) report_lines(&p, "SQLite's check", r);
  }
  if (step != SQLITE_DONE) {
    rc = ngi_store_fail(idx, "checking");
    if (rc == NG_EDATA) problem(&p, "%s", idx->err);
  }
  sqlite3_finalize(st);
  /* FTS5's own check compares the full-text index with the stored text. */
  if (rc == NG_OK && p.n == 0 && idx->writable &&
      sqlite3_exec(idx->store->db, "INSERT INTO passage(passage) VALUES('integrity-check')", NULL, NULL, NULL) !=
          SQLITE_OK) {
    char what[300];
    snprintf(what, sizeof what, "%s", sqlite3_errmsg(idx->store->db));
    problem(&p, "index %s is damaged: the full-text index does not match the passages (%s)", idx->path, what);
  }
  long long orphans = 0, declared = 0;
  if (rc == NG_OK && p.n == 0) {
    rc = count_query(idx, "SELECT count(*) FROM passage WHERE " ROWID_DOC_SQL("rowid") " NOT IN (SELECT id FROM doc)",
                     &orphans);
    if (rc == NG_OK) rc = count_query(idx, "SELECT coalesce(sum(passages), 0) FROM doc", &declared);
    if (rc == NG_OK) rc = ng_index_get_stats(idx, stats);
    if (rc == NG_EDATA) problem(&p, "%s", idx->err);
    if (rc == NG_OK && orphans)
      problem(&p, "index %s is damaged: %lld passages belong to no document", idx->path, orphans);
    if (rc == NG_OK && declared != stats->passages)
      problem(&p, "index %s is damaged: documents declare %lld passages but %lld are stored", idx->path, declared,
              stats->passages);
  }
  if (p.n > MAX_PROBLEM_LINES && fn) {
    char line[200];
    snprintf(line, sizeof line, "index %s: %ld more problems not shown", idx->path, p.n - MAX_PROBLEM_LINES);
    fn(ctx, line);
  }
  if (p.n) {
    /* The handle's message is the first problem. */
    return NG_EDATA;
  }
  return rc;
}

int ng_index_check(ng_index *idx, ng_index_stats *stats) { return ng_index_verify(idx, stats, NULL, NULL); }

int ng_index_checkpoint(ng_index *idx) {
  sqlite3 *db = db_of(idx);
  if (!db || !idx->writable || idx->store->immutable) return NG_OK;
  int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  if (rc == SQLITE_OK || rc == SQLITE_BUSY) return NG_OK;
  ngi_store_fail(idx, "copying the write-ahead log into the index");
  char detail[sizeof idx->err];
  snprintf(detail, sizeof detail, "%s", idx->err);
  return ngi_fail(idx, NG_ESYSTEM,
                  "%s; every change committed so far is kept in the log and searches see it; a later run with room"
                  " finishes the copy",
                  detail);
}

int ng_index_optimize(ng_index *idx) {
  if (!idx->writable) return ngi_fail(idx, NG_EUSAGE, "the index is open read-only");
  int rc = exec(idx, "INSERT INTO passage(passage) VALUES('optimize')", "optimizing");
  if (rc == NG_OK) rc = exec(idx, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpointing");
  return rc;
}
