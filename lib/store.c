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
/* A passage's stored columns read by rowid straight from FTS5's content
 * table (the documented shadow table: id, then c0.. in the order of the
 * CREATE VIRTUAL TABLE) under the names the passage table gives them; a
 * lookup through the virtual table costs five times as much (BBC: 14,000
 * instructions against 2,800, 50 of them for a page of hits). */
#define PASSAGE_ROWS \
  "(SELECT id AS rowid, c0 AS body, c1 AS head, c2 AS first_line, c3 AS last_line FROM passage_content)"

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
    "  passages INTEGER NOT NULL DEFAULT 0,"
    "  dateline_day TEXT," /* the dateline's day as written ("Feb 26"), apart from its place */
    "  dup_of INTEGER,"    /* dedup.c: the first-seen member of the story's duplicate group, NULL for a first */
    "  pno INTEGER NOT NULL DEFAULT 0," /* its first passage's number (postings.c) */
    "  feed_line INTEGER,"              /* a feed file's record: its line in the file (schema 4) */
    /* Schema 4: when the document was first indexed and when its content
     * last changed (nanoseconds since 1970, UTC), and the number of that
     * change: meta's 'change' counter, which only grows (watchlists). */
    "  first_ns INTEGER NOT NULL DEFAULT 0,"
    "  changed_ns INTEGER NOT NULL DEFAULT 0,"
    "  change INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX doc_feed ON doc(feed) WHERE feed IS NOT NULL;"
    "CREATE INDEX doc_date ON doc(date) WHERE date IS NOT NULL;"
    "CREATE INDEX doc_dup ON doc(dup_of) WHERE dup_of IS NOT NULL;"
    /* A document's group (group_of_sql) read from a narrow index: a doc
     * row fills a tenth of a page, and a search at BBC x64 asked 10,000
     * of them (4,327 pages read; 2,180 through this index).  An index
     * made before it gets it from its next writer (ngi_store_connect). */
    "CREATE INDEX doc_group ON doc(id, dup_of);"
    /* dedup.c: each grouped document's MinHash signature and its LSH band keys. */
    "CREATE TABLE dup_sig(doc INTEGER PRIMARY KEY, shingles INTEGER NOT NULL, sig BLOB NOT NULL);"
    "CREATE TABLE dup_band(key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY(key, doc)) WITHOUT ROWID;"
    "CREATE TABLE word(raw TEXT PRIMARY KEY, stem TEXT NOT NULL) WITHOUT ROWID;"
    /* The scoring structure (postings.c). */
    "CREATE TABLE nstat(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE nseg(id INTEGER PRIMARY KEY, level INTEGER NOT NULL, first_pno INTEGER NOT NULL,"
    "  last_pno INTEGER NOT NULL, bytes INTEGER NOT NULL, postings INTEGER NOT NULL);"
    "CREATE TABLE npage(id INTEGER PRIMARY KEY, data BLOB NOT NULL);" /* id: segment << 32 | page */
    "CREATE TABLE ndir(seg INTEGER NOT NULL, stem BLOB NOT NULL, page INTEGER NOT NULL, off INTEGER NOT NULL,"
    "  PRIMARY KEY(seg, stem)) WITHOUT ROWID;"
    "CREATE TABLE ndead(first INTEGER PRIMARY KEY, last INTEGER NOT NULL);"
    "CREATE TABLE ntermdead(stem BLOB PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE npdir(chunk INTEGER PRIMARY KEY, data BLOB NOT NULL);"
    "CREATE TABLE nlen(chunk INTEGER PRIMARY KEY, data BLOB NOT NULL);";

/* A document row's columns, in the order bind_document binds them: the
 * one list the INSERT and the UPDATE share. */
#define DOC_COLUMNS                                                                                            \
  "path, kind, feed, title, dateline, date, source, url, author, size, mtime_ns, hash, encoding, indexed_ns, " \
  "passages,"                                                                                                  \
  " pno, dateline_day, feed_line, first_ns, changed_ns, change"
#define DOC_VALUES "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21"
#define DOC_NCOLUMNS 21

enum stmt_id {
  ST_DOC_LIST,
  ST_DOC_BY_PATH,
  ST_DOC_TIMES,
  ST_META_GET,
  ST_META_SET,
  ST_DOC_INSERT,
  ST_DOC_UPDATE,
  ST_DOC_TOUCH,
  ST_DOC_SET_LINE,
  ST_DOC_DELETE,
  ST_PASSAGE_INSERT,
  ST_PASSAGE_DELETE,
  ST_WORD_INSERT,
  ST_WORD_STEM,
  ST_WORD_PREFIX,
  ST_WORD_LIKE,
  ST_STEM_PASSAGES,
  ST_STAT_GET,
  ST_STAT_SET,
  ST_SEG_LIST,
  ST_SEG_PUT,
  ST_SEG_DELETE,
  ST_SEG_DELETE_PAGES,
  ST_SEG_DELETE_DIR,
  ST_PAGE_PUT,
  ST_PAGE_GET,
  ST_DIR_PUT,
  ST_DIR_FIND,
  ST_DIR_PAGE,
  ST_DEAD_ADD,
  ST_DEAD_LIST,
  ST_DEAD_DELETE,
  ST_DEAD_COUNT,
  ST_DEAD_EXISTS,
  ST_TERMDEAD_ADD,
  ST_TERMDEAD_GET,
  ST_TERMDEAD_ANY,
  ST_TERMDEAD_CLEAN,
  ST_DATA_VERSION,
  ST_LENS_GET,
  ST_LENS_PUT,
  ST_PDIR_GET,
  ST_PDIR_PUT,
  ST_MATCH_ROWID,
  ST_MATCH_ALL,
  ST_HIT_ROW,
  ST_SNIPPET_ROWID,
  ST_DEAD_HAS,
  ST_GROUP_OF,
  ST_GROUP_OF_ROW,
  ST_DOC_RANGE,
  ST_PASSAGE_TEXT,
  ST_DOC_COUNT,
  ST_PASSAGE_LINES,
  ST_COPY_PATHS,
  ST_SET_DUP_OF,
  ST_DUP_SIG_INSERT,
  ST_DUP_SIG_GET,
  ST_DUP_SIG_DELETE,
  ST_DUP_BAND_INSERT,
  ST_DUP_BAND_DELETE,
  ST_DUP_CANDIDATES,
  ST_DUP_CANDIDATE,
  ST_DUP_NEXT_FIRST,
  ST_DUP_REPOINT,
  ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_DOC_LIST] =
        ("SELECT id, path, kind, feed, size, mtime_ns, hash, indexed_ns, passages, pno, feed_line, first_ns,"
         " changed_ns, change FROM doc"),
    [ST_DOC_BY_PATH] = "SELECT id, kind FROM doc WHERE path = ?1",
    [ST_DOC_TIMES] = "SELECT first_ns, changed_ns, change FROM doc WHERE id = ?1",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
    [ST_DOC_INSERT] = "INSERT INTO doc(" DOC_COLUMNS ") VALUES(" DOC_VALUES ")",
    [ST_DOC_UPDATE] = "UPDATE doc SET (" DOC_COLUMNS ") = (" DOC_VALUES ") WHERE id = ?22",
    [ST_DOC_TOUCH] = "UPDATE doc SET size = ?2, mtime_ns = ?3, indexed_ns = ?4 WHERE id = ?1",
    [ST_DOC_SET_LINE] = "UPDATE doc SET feed_line = ?2 WHERE id = ?1",
    [ST_DOC_DELETE] = "DELETE FROM doc WHERE id = ?1",
    [ST_PASSAGE_INSERT] = "INSERT INTO passage(rowid, body, head, first_line, last_line) VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_PASSAGE_DELETE] = "DELETE FROM passage WHERE rowid = ?1",
    [ST_WORD_INSERT] = "INSERT OR IGNORE INTO word(raw, stem) VALUES(?1, ?2)",
    [ST_WORD_STEM] = "SELECT stem FROM word WHERE raw = ?1",
    [ST_WORD_PREFIX] = "SELECT DISTINCT stem FROM word WHERE raw >= ?1 AND raw < ?1 || char(1114111) LIMIT ?2",
    [ST_WORD_LIKE] = ("SELECT raw, stem FROM word WHERE raw >= ?1 AND raw < ?1 || char(1114111)"
                      " AND length(raw) BETWEEN ?2 AND ?3"),
    [ST_STEM_PASSAGES] = "SELECT count(*) FROM passage WHERE passage MATCH ?1",
    [ST_STAT_GET] = "SELECT value FROM nstat WHERE key = ?1",
    [ST_STAT_SET] = "INSERT OR REPLACE INTO nstat(key, value) VALUES(?1, ?2)",
    [ST_SEG_LIST] = "SELECT id, level, first_pno, last_pno, bytes, postings FROM nseg ORDER BY first_pno",
    [ST_SEG_PUT] = "INSERT INTO nseg(id, level, first_pno, last_pno, bytes, postings) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_SEG_DELETE] = "DELETE FROM nseg WHERE id = ?1",
    [ST_SEG_DELETE_PAGES] = "DELETE FROM npage WHERE id >= ?1 << 32 AND id < (?1 + 1) << 32",
    [ST_SEG_DELETE_DIR] = "DELETE FROM ndir WHERE seg = ?1",
    [ST_PAGE_PUT] = "INSERT INTO npage(id, data) VALUES(?1 << 32 | ?2, ?3)",
    [ST_PAGE_GET] = "SELECT data FROM npage WHERE id = ?1 << 32 | ?2",
    [ST_DIR_PUT] = "INSERT INTO ndir(seg, stem, page, off) VALUES(?1, ?2, ?3, ?4)",
    [ST_DIR_FIND] = "SELECT page, off, stem FROM ndir WHERE seg = ?1 AND stem <= ?2 ORDER BY stem DESC LIMIT 1",
    [ST_DIR_PAGE] = ("SELECT n.page, n.off, p.data FROM ndir n LEFT JOIN npage p ON p.id = (n.seg << 32 | n.page)"
                     " WHERE n.seg = ?1 AND n.stem <= ?2 ORDER BY n.stem DESC LIMIT 1"),
    [ST_DEAD_ADD] = "INSERT OR REPLACE INTO ndead(first, last) VALUES(?1, ?2)",
    [ST_DEAD_LIST] = "SELECT first, last FROM ndead ORDER BY first",
    [ST_DEAD_DELETE] = "DELETE FROM ndead WHERE first >= ?1 AND last <= ?2",
    [ST_DEAD_COUNT] = "SELECT count(*) FROM ndead",
    [ST_DEAD_EXISTS] = "SELECT EXISTS(SELECT 1 FROM ndead)",
    [ST_TERMDEAD_ADD] = ("INSERT INTO ntermdead(stem, n) VALUES(?1, ?2)"
                         " ON CONFLICT(stem) DO UPDATE SET n = n + excluded.n"),
    [ST_TERMDEAD_GET] = "SELECT n FROM ntermdead WHERE stem = ?1",
    [ST_TERMDEAD_ANY] = "SELECT EXISTS(SELECT 1 FROM ntermdead)",
    [ST_TERMDEAD_CLEAN] = "DELETE FROM ntermdead WHERE stem = ?1 AND n <= 0",
    [ST_DATA_VERSION] = "PRAGMA data_version",
    [ST_LENS_GET] = "SELECT data FROM nlen WHERE chunk = ?1",
    [ST_LENS_PUT] = "INSERT OR REPLACE INTO nlen(chunk, data) VALUES(?1, ?2)",
    [ST_PDIR_GET] = "SELECT data FROM npdir WHERE chunk = ?1",
    [ST_PDIR_PUT] = "INSERT OR REPLACE INTO npdir(chunk, data) VALUES(?1, ?2)",
    [ST_MATCH_ROWID] = "SELECT 1 FROM passage WHERE passage MATCH ?1 AND rowid = ?2",
    [ST_MATCH_ALL] = "SELECT rowid FROM passage WHERE passage MATCH ?1",
    [ST_DEAD_HAS] = "SELECT last >= ?1 FROM ndead WHERE first <= ?1 ORDER BY first DESC LIMIT 1",
    [ST_SNIPPET_ROWID] = ("SELECT snippet(passage, -1, char(1), char(2), '\xE2\x80\xA6', ?3) FROM passage"
                          " WHERE passage MATCH ?1 AND rowid = ?2"),
    [ST_HIT_ROW] = ("SELECT p.rowid, 0.0, d.id, d.path, d.title, d.dateline, d.date, d.source, d.url, d.author,"
                    " p.head, p.body, p.first_line, p.last_line, d.dateline_day, d.dup_of,"
                    " 1 + (SELECT count(*) FROM doc c WHERE c.dup_of = coalesce(d.dup_of, d.id)),"
                    " d.feed_line, d.first_ns, d.changed_ns, d.change"
                    " FROM " PASSAGE_ROWS " p JOIN doc d ON d.id = " ROWID_DOC_SQL("p.rowid") " WHERE p.rowid = ?1"),
    [ST_DOC_RANGE] = "SELECT pno, passages FROM doc WHERE id = ?1",
    [ST_PASSAGE_TEXT] = "SELECT coalesce(head, body) FROM " PASSAGE_ROWS " WHERE rowid = ?1",
    [ST_DOC_COUNT] = "SELECT count(*) FROM doc",
    [ST_COPY_PATHS] = ("SELECT path FROM doc WHERE (id = ?2 OR dup_of = ?2) AND id != ?1"
                       " ORDER BY id LIMIT ?3"),
    [ST_PASSAGE_LINES] = "SELECT first_line, last_line FROM " PASSAGE_ROWS " WHERE rowid = ?1",
    [ST_GROUP_OF] = "SELECT coalesce(dup_of, id) FROM doc INDEXED BY doc_group WHERE id = ?1",
    [ST_GROUP_OF_ROW] = "SELECT coalesce(dup_of, id) FROM doc WHERE id = ?1", /* an index without doc_group */
    [ST_SET_DUP_OF] = "UPDATE doc SET dup_of = ?2 WHERE id = ?1",
    [ST_DUP_SIG_INSERT] = "INSERT INTO dup_sig(doc, shingles, sig) VALUES(?1, ?2, ?3)",
    [ST_DUP_SIG_GET] = "SELECT sig FROM dup_sig WHERE doc = ?1",
    [ST_DUP_SIG_DELETE] = "DELETE FROM dup_sig WHERE doc = ?1",
    /* OR IGNORE: a many-row statement that cannot abort needs no statement
     * journal, which would make FTS5 flush its pending terms. */
    [ST_DUP_BAND_INSERT] = "INSERT OR IGNORE INTO dup_band(key, doc) VALUES(?1, ?2)",
    [ST_DUP_BAND_DELETE] = "DELETE FROM dup_band WHERE key = ?1 AND doc = ?2",
    [ST_DUP_CANDIDATES] = "SELECT doc FROM dup_band WHERE key = ?1",
    [ST_DUP_CANDIDATE] =
        "SELECT coalesce(d.dup_of, 0), s.sig FROM dup_sig s JOIN doc d ON d.id = s.doc WHERE s.doc = ?1",
    [ST_DUP_NEXT_FIRST] = "SELECT min(id) FROM doc WHERE dup_of = ?1",
    [ST_DUP_REPOINT] = "UPDATE doc SET dup_of = CASE WHEN id = ?2 THEN NULL ELSE ?2 END WHERE dup_of = ?1",
};

/* A band key and its document: the duplicate bands this handle wrote. */
typedef struct band {
  long long key, doc; /* doc 0: an empty slot; -1: a removed one */
} band;

/* The signatures this handle stored, with their documents' groups, as
 * ST_DUP_CANDIDATE reads them back: a story's candidates are mostly
 * stories stored by the same run (a new index: all of them), and reading
 * each back cost two b-tree seeks (BBC x64, 63 copies of every story:
 * a quarter of the writer's instructions).  Entries in a dense array, a
 * table of their positions + 1 by document (0 free).  Kept in step with
 * every change of a group (ngi_store_set_dup_of), emptied when a group is
 * handed over or a transaction rolls back; a document that is not here is
 * read from SQLite as before, so losing the cache (out of memory) costs
 * only time. */
typedef struct sig_entry {
  long long doc, dup_of;
  int has_sig;
  unsigned char sig[NGI_DUP_BYTES];
} sig_entry;

typedef struct sig_cache {
  sig_entry *e;
  size_t n, cap;
  uint32_t *slots;
  size_t nslots;
} sig_cache;

typedef struct parked_bands {
  band *bands;
  size_t cap, used;
  sig_cache sigs;
} parked_bands;

struct ngi_store {
  sqlite3 *db;
  int reads;          /* a reader's read transactions, counted to 2 (ngi_store_read_begin) */
  int no_group_index; /* the index has no doc_group yet: groups are read from the rows */
  int immutable;      /* a reader that could not use the -wal and -shm files reads the file as it is */
  sqlite3_stmt *stmts[ST_COUNT];
  sqlite3_stmt *word_insert_many; /* flush_words' batch insert */
  buf queued_words;               /* "raw\0stem\0" pairs, to be stored by the next commit */
  int in_txn;
  int reading;    /* searches reading inside one read transaction */
  int began_read; /* ... which ngi_store_read_begin began */
  int snip_ready; /* the temporary snippet table exists */
  /* Duplicate bands (dedup.c's): those of this transaction are queued and
   * stored by the commit in key order, like the words (random inserts
   * into the band b-tree cost the writer as much as the lookups); every
   * band this handle wrote is also in a hash table, and when the table
   * was empty at the handle's first lookup (a new index, the first run of
   * a big corpus) that hash table is all there is, and no lookup goes to
   * SQLite. */
  band *queued_bands;
  size_t nqueued_bands, capqueued_bands;
  sqlite3_stmt *band_insert_many;
  band *bands; /* open addressing on the key, several docs a key */
  size_t bands_cap, bands_used;
  int bands_complete; /* -1 not known yet, 0 no, 1 the hash table holds every band of the index */
  sig_cache sigs;     /* the signatures this handle stored (above) */
  /* The duplicate groups for the engine: doc id -> its group's first
   * member, for the documents with a dup_of.  A handle's first search at
   * a version asks SQLite for each candidate (a search looks at a few
   * hundred; loading every group of an archive of copies costs more than
   * the search: BBC x8, 15,744 groups, 55% of a one-shot nutgraf-query);
   * a handle that searches again at the same version (a server, a
   * program) loads them all once, and again once the database changed
   * (PRAGMA data_version, which other connections' commits move, and this
   * handle's own commits). */
  long long *group_keys, *group_firsts; /* open addressing on the doc id; 0: empty */
  size_t groups_cap;
  long long groups_version; /* data_version << 32 | commits when loaded; -1: not loaded */
  long long groups_asked;   /* the version a search last asked SQLite at; -1: none */
  long long commits;        /* this handle's commits */
  int groups_checked;       /* in the current read transaction: 1 the map, 2 SQLite */
  int dead_checked;         /* in the current read transaction: 1 ndead is empty, 2 it is not */
  /* The passage directory read in place: an incremental blob handle on
   * one chunk of npdir, moved from chunk to chunk (sqlite3_blob_reopen), so
   * a lookup copies its 12 bytes, not the chunk's 12 KB.  Open only inside
   * a read transaction (a blob is a statement in progress). */
  sqlite3_blob *pdir_blob;
  long long pdir_chunk;
  /* meta's change counter as this transaction moved it: -1 not read yet;
   * written back by the commit when dirty. */
  long long change;
  int change_dirty;
  /* Documents added less those removed in the open transaction; at commit
   * nstat's "docs" becomes the count, so that a search's story scoring
   * reads it instead of counting the doc table (a scan of its smallest
   * index: 9 MB at BBC x64, each one-shot search). */
  long long docs_delta;
  int docs_dirty;
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
/* Prepares statement id once a connection: SQLITE_OK or SQLite's error. */
static int prepare(ngi_store *s, int id) {
  return s->stmts[id] ? SQLITE_OK
                      : sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL);
}

static sqlite3_stmt *stmt(ng_index *idx, int id) {
  ngi_store *s = idx->store;
  if (!s->stmts[id]) {
    if (prepare(s, id) != SQLITE_OK) {
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
  /* One transaction, no sync: the file is private until it is published.
   * Incremental auto-vacuum, which can only be chosen before the first
   * table: the pages merges free can then be given back to the file
   * system (ngi_store_reclaim). */
  ngi_buf_adds(&sql, "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA synchronous = OFF; BEGIN;");
  ngi_buf_adds(&sql, schema_sql);
  ngi_buf_printf(&sql,
                 /* No column sizes: the postings keep passage lengths. */
                 "CREATE VIRTUAL TABLE passage USING fts5(body, head, first_line UNINDEXED,"
                 " last_line UNINDEXED, tokenize = 'nutgraf %s', columnsize = 0);"
                 "INSERT INTO meta VALUES('language', '%s');"
                 "INSERT INTO meta VALUES('created_by', 'nutgraf " NG_VERSION_STRING
                 "');"
                 /* the change counter and the index's lineage, which a
                    rebuild carries over (ngi_store_changes) */
                 "INSERT INTO meta VALUES('change', '0');"
                 "INSERT INTO meta VALUES('lineage', lower(hex(randomblob(8))));"
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

/* nutgraf_surface(text, forms): ngi_surface_match as an SQL function. */
static void surface_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const char *text = (const char *)sqlite3_value_text(argv[0]);
  const char *forms = (const char *)sqlite3_value_text(argv[1]);
  sqlite3_result_int(ctx, text && forms ? ngi_surface_match(text, (size_t)sqlite3_value_bytes(argv[0]), forms) : 0);
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

long ngi_store_read_header(const char *file, unsigned char *h, size_t n) {
  sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
  if (!vfs) return -ENOSYS;
  /* xOpen takes a database name as sqlite3_open_v2 makes it (a name
   * followed by its URI parameters). */
  sqlite3_filename name = sqlite3_create_filename(file, "", "", 0, NULL);
  sqlite3_file *f = name ? sqlite3_malloc(vfs->szOsFile) : NULL;
  if (!f) {
    sqlite3_free_filename(name);
    return -ENOMEM;
  }
  memset(f, 0, (size_t)vfs->szOsFile);
  int out = 0;
  errno = 0;
  long got;
  int rc = vfs->xOpen(vfs, name, f, SQLITE_OPEN_READONLY | SQLITE_OPEN_MAIN_DB, &out);
  if (rc != SQLITE_OK) {
    got = errno ? -errno : -EACCES;
  } else {
    rc = f->pMethods->xRead(f, h, (int)n, 0);
    /* A short read fills the rest with zeros and says so; how much was
     * there does not matter to a header check beyond "all of it or not". */
    got = rc == SQLITE_OK ? (long)n : rc == SQLITE_IOERR_SHORT_READ ? 0 : -EIO;
  }
  if (f->pMethods) f->pMethods->xClose(f);
  sqlite3_free(f);
  sqlite3_free_filename(name);
  return got;
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
  s->bands_complete = -1;
  s->groups_version = -1;
  s->groups_asked = -1;
  s->change = -1;
  if (idx->parked) {
    parked_bands *pb = idx->parked;
    s->bands = pb->bands, s->bands_cap = pb->cap, s->bands_used = pb->used;
    s->sigs = pb->sigs;
    s->bands_complete = 1;
    free(pb);
    idx->parked = NULL;
  }
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
                    " rebuild it with nutgraf-index --full PATH...",
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
  if (sqlite3_create_function(s->db, "nutgraf_surface", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                              surface_fn, NULL, NULL) != SQLITE_OK)
    return ngi_fail(idx, NG_ESYSTEM, "cannot register the surface check");
  if (idx->writable) {
    /* A file no one knows yet needs no sync (it is synced when published)
     * and, in rollback mode, no more than SQLite's default cache: a bigger
     * one costs more in page faults than it saves on a first batch (BBC:
     * 0.40 against 0.43 s).  Later batches in WAL mode read back the
     * segments FTS5 merges; there a 32 MiB cache paid (BBC x8: 3.65
     * against 4.12 s), and 128 MiB pays more once batches are two seconds
     * long (BBC x64, pages written 1.60M -> 1.16M, read 1.04M -> 0.51M;
     * 64 MiB: 1.48M and 0.88M, 256 MiB: 1.16M and 0.44M).  SQLite takes
     * the cache's pages as they are used: a small run takes few. */
    if (exec(idx,
             fresh ? "PRAGMA synchronous = OFF"
                   : "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -131072; PRAGMA journal_size_limit "
                     "= " WAL_SIZE_LIMIT,
             "setting up") != NG_OK)
      return NG_ESYSTEM;
    /* A log an earlier run could not copy into the index (a full disk) is
     * copied first, so that this run writes into room, not after it. */
    if (!fresh) sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    /* An index made before doc_group gets it (once; BBC x64: 0.3 s).  When
     * that cannot be done now (a full disk), groups are read from the rows
     * as before, and the next run tries again. */
    if (!fresh) sqlite3_exec(s->db, "CREATE INDEX IF NOT EXISTS doc_group ON doc(id, dup_of)", NULL, NULL, NULL);
  }
  return NG_OK;
}

int ngi_store_connected(const ng_index *idx) { return db_of(idx) != NULL; }

static void sigs_free(sig_cache *c) {
  free(c->e);
  free(c->slots);
  memset(c, 0, sizeof *c);
}

static void free_parked(ng_index *idx) {
  parked_bands *pb = idx->parked;
  if (pb) free(pb->bands);
  if (pb) sigs_free(&pb->sigs);
  free(pb);
  idx->parked = NULL;
}

void ngi_store_disconnect(ng_index *idx) {
  ngi_store *s = idx->store;
  if (s) {
    ngi_store_rollback(idx);
    sqlite3_blob_close(s->pdir_blob);
    s->pdir_blob = NULL;
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(s->stmts[i]);
    sqlite3_finalize(s->word_insert_many);
    sqlite3_finalize(s->band_insert_many);
    sqlite3_close(s->db);
    ngi_buf_free(&s->queued_words);
    free(s->group_keys);
    free(s->group_firsts);
    free(s->queued_bands);
    free_parked(idx);
    if (idx->unpublished && s->bands_complete == 1) {
      /* A new index is reopened once published: its bands are all here. */
      parked_bands *pb = malloc(sizeof *pb);
      if (pb) *pb = (parked_bands){s->bands, s->bands_cap, s->bands_used, s->sigs};
      idx->parked = pb;
      if (!pb) free(s->bands);
      if (!pb) sigs_free(&s->sigs);
    } else {
      free(s->bands);
      sigs_free(&s->sigs);
    }
    free(s);
    idx->store = NULL;
  }
  ngi_postings_free(idx);
  if (!idx->unpublished) free_parked(idx); /* the handle is closing */
  ngi_lexicon_free(idx->lx);
  idx->lx = NULL;
}

/* Free pages are moved in steps of RECLAIM_STEP pages, each its own
 * transaction followed by a checkpoint, so the log stays short. */
#define RECLAIM_STEP 4096

int ngi_store_reclaim(ng_index *idx) {
  ngi_store *s = idx->store;
  if (!s || !idx->writable || s->immutable || s->in_txn) return NG_OK;
  int vacuum = 0, free_pages = 0;
  if (pragma_int(s->db, "PRAGMA auto_vacuum", &vacuum) != SQLITE_OK ||
      pragma_int(s->db, "PRAGMA freelist_count", &free_pages) != SQLITE_OK)
    return ngi_store_fail(idx, "reading the free pages");
  /* An index made before nutgraf chose incremental auto-vacuum keeps its
   * free pages (for later writes; a rebuild gives them back). */
  if (vacuum != 2 || free_pages == 0) return NG_OK;
  /* A blob handle does not outlive pages moving under it. */
  sqlite3_blob_close(s->pdir_blob);
  s->pdir_blob = NULL;
  int rc = NG_OK;
  while (rc == NG_OK && free_pages > 0) {
    rc = exec(idx, "PRAGMA incremental_vacuum(" NGI_STR(RECLAIM_STEP) ")", "giving free pages back");
    if (rc == NG_OK) sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc == NG_OK && pragma_int(s->db, "PRAGMA freelist_count", &free_pages) != SQLITE_OK)
      rc = ngi_store_fail(idx, "reading the free pages");
  }
  return rc;
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
  /* A word that is its own stem needs no row: the postings' dictionary
   * has it (ngi_postings_df, ngi_postings_prefix). */
  size_t k = 0;
  for (const char *p = q->data, *end = q->data + q->len; p && p < end;) {
    w[k].raw = p;
    w[k].rawlen = (int)strlen(p);
    p += w[k].rawlen + 1;
    w[k].stem = p;
    w[k].stemlen = (int)strlen(p);
    p += w[k].stemlen + 1;
    if (w[k].rawlen != w[k].stemlen || memcmp(w[k].raw, w[k].stem, (size_t)w[k].rawlen) != 0) k++;
  }
  n = k;
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

static int flush_bands(ng_index *idx);

static int meta_set_int(ng_index *idx, const char *key, long long value) {
  sqlite3_stmt *st = stmt(idx, ST_META_SET);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, value);
  return run_stmt(idx, st, "storing the change counter");
}

/* meta's value of key into out (n bytes): 1 found, 0 not, or an error. */
static int meta_get(ng_index *idx, const char *key, char *out, size_t n) {
  sqlite3_stmt *st = stmt(idx, ST_META_GET);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int step = sqlite3_step(st), rc = 0;
  if (step == SQLITE_ROW) {
    const char *v = (const char *)sqlite3_column_text(st, 0);
    snprintf(out, n, "%s", v ? v : "");
    rc = 1;
  } else if (step != SQLITE_DONE) {
    rc = ngi_store_fail(idx, "reading the index's metadata");
  }
  sqlite3_reset(st);
  return rc;
}

int ngi_store_changes(ng_index *idx, long long *last, char *lineage, size_t n) {
  char v[64];
  *last = 0;
  if (lineage && n) lineage[0] = '\0';
  int rc = meta_get(idx, "change", v, sizeof v);
  if (rc < 0) return rc;
  if (rc == 1) *last = strtoll(v, NULL, 10);
  if (lineage && (rc = meta_get(idx, "lineage", lineage, n)) < 0) return rc;
  return NG_OK;
}

int ngi_store_set_changes(ng_index *idx, long long last, const char *lineage) {
  ngi_store *s = idx->store;
  s->change = last;
  s->change_dirty = 1;
  if (!lineage || !*lineage) return NG_OK;
  sqlite3_stmt *st = stmt(idx, ST_META_SET);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_text(st, 1, "lineage", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, lineage, -1, SQLITE_STATIC);
  return run_stmt(idx, st, "storing the index's lineage");
}

static int store_doc_total(ng_index *idx);

int ngi_store_commit(ng_index *idx) {
  ngi_store *s = idx->store;
  if (!s->in_txn) return NG_OK;
  int rc = flush_words(idx);
  if (rc == NG_OK) rc = ngi_postings_flush(idx);
  if (rc == NG_OK) rc = flush_bands(idx);
  if (rc == NG_OK && s->change_dirty) rc = meta_set_int(idx, "change", s->change);
  if (rc == NG_OK && s->docs_dirty) rc = store_doc_total(idx);
  if (rc == NG_OK) rc = exec(idx, "COMMIT", "committing");
  if (rc != NG_OK) {
    ngi_store_rollback(idx);
    return rc;
  }
  s->in_txn = 0;
  s->commits++;
  s->change_dirty = 0;
  s->docs_delta = 0;
  s->docs_dirty = 0;
  s->change = -1; /* another writer may move it before our next transaction */
  ngi_lexicon_forget(idx->lx);
  return NG_OK;
}

void ngi_store_rollback(ng_index *idx) {
  ngi_store *s = idx->store;
  if (!s || !s->in_txn) return;
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  s->in_txn = 0;
  s->change = -1;
  s->change_dirty = 0;
  s->docs_delta = 0;
  s->docs_dirty = 0;
  /* Words queued in the rolled-back transaction were never stored. */
  ngi_lexicon_unstore(idx->lx);
  ngi_buf_reset(&s->queued_words);
  ngi_postings_rollback(idx);
  /* Nor were its bands; the hash table may now differ from the index,
   * and so may the signatures remembered. */
  s->nqueued_bands = 0;
  s->bands_complete = 0;
  sigs_free(&s->sigs);
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
  for (const char *p = rows.data, *end = rows.data ? rows.data + rows.len : NULL; rc == NG_OK && p && p < end;) {
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
    row.pno = sqlite3_column_int64(st, 9);
    row.feed_line = sqlite3_column_int64(st, 10);
    row.first_ns = sqlite3_column_int64(st, 11);
    row.changed_ns = sqlite3_column_int64(st, 12);
    row.change = sqlite3_column_int64(st, 13);
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
  sqlite3_bind_int64(st, i++, r->pno);
  bind_text_or_null(st, i++, r->dateline_day);
  if (r->feed_line > 0)
    sqlite3_bind_int64(st, i++, r->feed_line);
  else
    sqlite3_bind_null(st, i++);
  sqlite3_bind_int64(st, i++, r->first_ns);
  sqlite3_bind_int64(st, i++, r->changed_ns);
  sqlite3_bind_int64(st, i++, r->change);
  _Static_assert(DOC_NCOLUMNS == 21, "bind_document binds every column of DOC_COLUMNS");
}

int ngi_store_put_document(ng_index *idx, ngi_doc_row *row) {
  if (!row->change) {
    /* a new change: the counter's next number */
    ngi_store *s = idx->store;
    if (s->change < 0 && ngi_store_changes(idx, &s->change, NULL, 0) != NG_OK) return NG_ESYSTEM;
    row->change = ++s->change;
    s->change_dirty = 1;
  }
  sqlite3_stmt *st = stmt(idx, row->id ? ST_DOC_UPDATE : ST_DOC_INSERT);
  if (!st) return NG_ESYSTEM;
  bind_document(st, row);
  if (row->id) sqlite3_bind_int64(st, DOC_NCOLUMNS + 1, row->id);
  int rc = run_stmt(idx, st, "storing a document");
  if (rc == NG_OK && !row->id) {
    row->id = sqlite3_last_insert_rowid(idx->store->db);
    idx->store->docs_delta++;
    idx->store->docs_dirty = 1;
  }
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

int ngi_store_set_feed_line(ng_index *idx, long long id, long long line) {
  sqlite3_stmt *st = stmt(idx, ST_DOC_SET_LINE);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, id);
  if (line > 0)
    sqlite3_bind_int64(st, 2, line);
  else
    sqlite3_bind_null(st, 2);
  return run_stmt(idx, st, "updating a document");
}

int ngi_store_delete_document(ng_index *idx, long long id) {
  sqlite3_stmt *st = stmt(idx, ST_DOC_DELETE);
  if (st) sqlite3_bind_int64(st, 1, id);
  int rc = run_stmt(idx, st, "removing a document");
  if (rc == NG_OK && sqlite3_changes(idx->store->db) > 0) {
    idx->store->docs_delta--;
    idx->store->docs_dirty = 1;
  }
  return rc;
}

int ngi_store_find_document(ng_index *idx, const char *path, long long *id, int *kind) {
  *id = 0;
  *kind = 0;
  sqlite3_stmt *st = stmt(idx, ST_DOC_BY_PATH);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
  int step = sqlite3_step(st), rc = NG_DONE;
  if (step == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    *kind = sqlite3_column_int(st, 1);
    rc = NG_ROW;
  } else if (step != SQLITE_DONE) {
    rc = ngi_store_fail(idx, "looking a document up");
  }
  sqlite3_reset(st);
  return rc;
}

int ngi_store_doc_times(ng_index *idx, long long id, long long *first_ns, long long *changed_ns, long long *change) {
  *first_ns = *changed_ns = *change = 0;
  sqlite3_stmt *st = stmt(idx, ST_DOC_TIMES);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, id);
  int step = sqlite3_step(st), rc = NG_OK;
  if (step == SQLITE_ROW) {
    *first_ns = sqlite3_column_int64(st, 0);
    *changed_ns = sqlite3_column_int64(st, 1);
    *change = sqlite3_column_int64(st, 2);
  } else if (step != SQLITE_DONE) {
    rc = ngi_store_fail(idx, "reading a document");
  }
  sqlite3_reset(st);
  return rc;
}

int ngi_store_delete_passages(ng_index *idx, long long doc, long long count, long long first_pno, long long *removed) {
  for (long long k = 0; k <= count; k++) {
    sqlite3_stmt *st = stmt(idx, ST_PASSAGE_DELETE);
    if (st) sqlite3_bind_int64(st, 1, NGI_ROWID(doc, k));
    /* FTS5 tokenizes the row it deletes: its terms leave the postings'
     * counts with it. */
    int rc = ngi_postings_begin_passage(idx);
    if (rc == NG_OK) rc = run_stmt(idx, st, "deleting passages");
    int changed = rc == NG_OK ? sqlite3_changes(idx->store->db) : 0;
    int prc = ngi_postings_end_delete(idx, changed > 0);
    if (rc == NG_OK) rc = prc;
    if (rc != NG_OK) return rc;
    *removed += changed;
  }
  return ngi_postings_kill(idx, first_pno, count);
}

/* The passage's row, its text tokenized by FTS5 (from stream when given). */
static int insert_passage(ng_index *idx, long long rowid, const passage *p, const char *text, const char *stream,
                          size_t streamlen) {
  sqlite3_stmt *st = stmt(idx, ST_PASSAGE_INSERT);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, rowid);
  sqlite3_bind_text(st, p->kind == NG_KIND_HEADLINE ? 3 : 2, text, (int)p->len, SQLITE_STATIC);
  sqlite3_bind_int(st, 4, p->first_line);
  sqlite3_bind_int(st, 5, p->last_line);
  if (stream) ngi_tokens_expect(idx->lx, stream, streamlen);
  int rc = run_stmt(idx, st, "storing a passage");
  ngi_tokens_expect(idx->lx, NULL, 0);
  return rc;
}

int ngi_store_put_passage(ng_index *idx, long long doc, int ordinal, const passage *p, const char *text,
                          const char *stream, size_t streamlen, long long pno, int date) {
  long long rowid = NGI_ROWID(doc, ordinal);
  /* The tokens FTS5 indexes are the passage's postings. */
  int rc = ngi_postings_begin_passage(idx);
  if (rc == NG_OK) rc = insert_passage(idx, rowid, p, text, stream, streamlen);
  int prc = ngi_postings_end_passage(idx, pno, rowid, date, p->kind == NG_KIND_HEADLINE);
  return rc == NG_OK ? prc : rc;
}

int ngi_store_put_passage_text(ng_index *idx, long long doc, int ordinal, const passage *p, const char *text,
                               const char *stream, size_t streamlen) {
  return insert_passage(idx, NGI_ROWID(doc, ordinal), p, text, stream, streamlen);
}

/* ------------------------------------------------------------------ */
/* Reading for the engine */

int ngi_store_read_begin(ng_index *idx) {
  ngi_store *s = idx->store;
  /* A writer reads its own transaction; nested searches share one. */
  if (s->in_txn || s->reading++) return NG_OK;
  s->began_read = sqlite3_get_autocommit(s->db);
  /* From its second search on, a reader maps the index (SQLite's
   * memory-mapped I/O, up to the library's limit: 2 GB in Debian's
   * build) instead of copying each page it reads through pread() into
   * its own small cache.  At BBC x64 that copying was a fifth of a warm
   * search: the geometric mean of the 36 queries of bench/queries.txt in
   * process went from 7.0 to 4.7-5.0 ms (a 128 MiB cache instead: 5.6).
   * A process that searches once is better without: the kernel's work of
   * mapping and unmapping the pages it touches made nutgraf-query 1.7x
   * slower at x64 (3,554 page faults against 1,363).  SQLite reads only
   * the pages of its snapshot, and a checkpoint shortens the file only
   * once no reader's snapshot needs its end (the WAL's read locks), so a
   * writer giving pages back does not pull them from under a reader. */
  if (s->began_read && !idx->writable && s->reads < 2 && ++s->reads == 2)
    sqlite3_exec(s->db, "PRAGMA mmap_size = 2147418112", NULL, NULL, NULL);
  int rc = s->began_read ? exec(idx, "BEGIN", "starting to read") : NG_OK;
  if (rc != NG_OK) s->reading = s->began_read = 0;
  return rc;
}

void ngi_store_read_end(ng_index *idx) {
  ngi_store *s = idx->store;
  if (!s || s->in_txn || !s->reading) return;
  if (--s->reading) return;
  sqlite3_blob_close(s->pdir_blob);
  s->pdir_blob = NULL;
  /* The row statements may still stand on a row. */
  if (s->stmts[ST_HIT_ROW]) sqlite3_reset(s->stmts[ST_HIT_ROW]);
  if (s->began_read && !sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  s->began_read = 0;
  s->groups_checked = 0;
  s->dead_checked = 0;
}

static size_t group_slot(const ngi_store *s, long long doc) {
  size_t mask = s->groups_cap - 1;
  size_t i = (size_t)((unsigned long long)doc * 0x9E3779B97F4A7C15ULL >> 17) & mask;
  while (s->group_keys[i] && s->group_keys[i] != doc) i = (i + 1) & mask;
  return i;
}

/* A first search reads the duplicate groups whole when there are at most
 * this many: reading a row of the doc_dup index costs a few percent of a
 * lookup by id, and a search asks for a few hundred candidates. */
#define GROUPS_READ_WHOLE 2048
static int groups_read_whole = GROUPS_READ_WHOLE;

void ngi_store_set_groups_read_whole(int n) { groups_read_whole = n >= 0 ? n : GROUPS_READ_WHOLE; }

/* Every document with a dup_of, from the doc_dup index alone (it holds
 * dup_of and the rowid), into a table of plain integers: BBC x64, 140,000
 * of them, in a few ms (a map of malloc'd keys took 50).  limit >= 0: at
 * most that many, else nothing is loaded and the answer is NG_DONE (a
 * handle's first search reads a small table whole rather than ask for
 * each candidate: BBC has 168 copies, a search asks of some 400). */
static int load_groups(ng_index *idx, int limit) {
  ngi_store *s = idx->store;
  sqlite3_stmt *st = NULL;
  long long version = ngi_store_version(idx);
  if (version >= 0 && version == s->groups_version) return NG_OK;
  s->groups_version = -1;
  const char *sql = limit >= 0 ? "SELECT id, dup_of FROM doc WHERE dup_of IS NOT NULL LIMIT ?1"
                               : "SELECT id, dup_of FROM doc WHERE dup_of IS NOT NULL";
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
    return ngi_store_fail(idx, "reading the duplicate groups");
  if (limit >= 0) sqlite3_bind_int(st, 1, limit + 1);
  long long *pairs = NULL;
  size_t n = 0, cap = 0;
  int step, rc = NG_OK;
  while (rc == NG_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 256;
      long long *np = realloc(pairs, nc * 2 * sizeof *np);
      if (!np) {
        rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
        break;
      }
      pairs = np, cap = nc;
    }
    pairs[2 * n] = sqlite3_column_int64(st, 0);
    pairs[2 * n + 1] = sqlite3_column_int64(st, 1);
    n++;
  }
  if (rc == NG_OK && step != SQLITE_DONE) rc = ngi_store_fail(idx, "reading the duplicate groups");
  sqlite3_finalize(st);
  if (rc == NG_OK && limit >= 0 && n > (size_t)limit) rc = NG_DONE;
  size_t tcap = 16;
  while (rc == NG_OK && tcap < n * 2 + 2) tcap *= 2;
  if (rc == NG_OK && (tcap != s->groups_cap || !s->group_keys)) {
    free(s->group_keys);
    free(s->group_firsts);
    s->group_keys = calloc(tcap, sizeof *s->group_keys);
    s->group_firsts = malloc(tcap * sizeof *s->group_firsts);
    s->groups_cap = tcap;
    if (!s->group_keys || !s->group_firsts) {
      free(s->group_keys);
      free(s->group_firsts);
      s->group_keys = s->group_firsts = NULL;
      s->groups_cap = 0;
      rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    }
  } else if (rc == NG_OK) {
    memset(s->group_keys, 0, tcap * sizeof *s->group_keys);
  }
  for (size_t k = 0; rc == NG_OK && k < n; k++) {
    size_t i = group_slot(s, pairs[2 * k]);
    s->group_keys[i] = pairs[2 * k];
    s->group_firsts[i] = pairs[2 * k + 1];
  }
  free(pairs);
  if (rc == NG_OK) s->groups_version = version;
  return rc;
}

int ngi_store_doc_range(ng_index *idx, long long doc, long long *first_pno, long long *count) {
  *first_pno = *count = 0;
  sqlite3_stmt *st = stmt(idx, ST_DOC_RANGE);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, doc);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    *first_pno = sqlite3_column_int64(st, 0);
    *count = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  return step == SQLITE_ROW || step == SQLITE_DONE ? NG_OK : ngi_store_fail(idx, "reading a document");
}

int ngi_store_passage_text(ng_index *idx, long long rowid, buf *out) {
  ngi_buf_reset(out);
  sqlite3_stmt *st = stmt(idx, ST_PASSAGE_TEXT);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, rowid);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    if (t) ngi_buf_add(out, t, (size_t)sqlite3_column_bytes(st, 0));
  }
  sqlite3_reset(st);
  if (step != SQLITE_ROW && step != SQLITE_DONE) return ngi_store_fail(idx, "reading a passage");
  if (out->oom) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  return step == SQLITE_ROW ? NG_OK : NG_DONE;
}

/* nstat's value of key: NG_OK, NG_DONE when it has none, or an error. */
static int stat_lookup(ng_index *idx, const char *key, long long *value) {
  *value = 0;
  sqlite3_stmt *st = stmt(idx, ST_STAT_GET);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) *value = sqlite3_column_int64(st, 0);
  int rc = step == SQLITE_ROW ? NG_OK : step == SQLITE_DONE ? NG_DONE : ngi_store_fail(idx, "reading the statistics");
  sqlite3_reset(st);
  return rc;
}

static int count_docs(ng_index *idx, long long *n) {
  *n = 0;
  sqlite3_stmt *st = stmt(idx, ST_DOC_COUNT);
  if (!st) return NG_ESYSTEM;
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return step == SQLITE_ROW ? NG_OK : ngi_store_fail(idx, "counting documents");
}

/* At commit: nstat's "docs" moved by the transaction's documents, or
 * counted once where an older nutgraf left none. */
static int store_doc_total(ng_index *idx) {
  long long docs = 0;
  int rc = stat_lookup(idx, "docs", &docs);
  if (rc == NG_OK)
    docs += idx->store->docs_delta;
  else if (rc == NG_DONE)
    rc = count_docs(idx, &docs);
  return rc == NG_OK ? ngi_store_stat_set(idx, "docs", docs) : rc;
}

int ngi_store_doc_count(ng_index *idx, long long *n) {
  int rc = idx->store->in_txn ? NG_DONE : stat_lookup(idx, "docs", n);
  return rc == NG_DONE ? count_docs(idx, n) : rc;
}

int ngi_store_passage_lines(ng_index *idx, long long rowid, int *first_line, int *last_line) {
  *first_line = *last_line = 0;
  sqlite3_stmt *st = stmt(idx, ST_PASSAGE_LINES);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, rowid);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    *first_line = sqlite3_column_int(st, 0);
    *last_line = sqlite3_column_int(st, 1);
  }
  sqlite3_reset(st);
  return step == SQLITE_ROW || step == SQLITE_DONE ? NG_OK : ngi_store_fail(idx, "reading a passage");
}

int ngi_store_copy_paths(ng_index *idx, long long doc, long long group, int max, strlist *out) {
  sqlite3_stmt *st = stmt(idx, ST_COPY_PATHS);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, doc);
  sqlite3_bind_int64(st, 2, group);
  sqlite3_bind_int(st, 3, max);
  int step, rc = NG_OK;
  while (rc == NG_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
    if (ngi_strlist_add(out, (const char *)sqlite3_column_text(st, 0)) != 0)
      rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  if (rc == NG_OK && step != SQLITE_DONE) rc = ngi_store_fail(idx, "reading a story's copies");
  sqlite3_reset(st);
  return rc;
}

static int group_of_sql(ng_index *idx, long long doc, long long *group) {
  ngi_store *s = idx->store;
  if (!s->no_group_index && prepare(s, ST_GROUP_OF) != SQLITE_OK) s->no_group_index = 1; /* no doc_group */
  sqlite3_stmt *st = stmt(idx, s->no_group_index ? ST_GROUP_OF_ROW : ST_GROUP_OF);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, doc);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) *group = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return step == SQLITE_ROW || step == SQLITE_DONE ? NG_OK : ngi_store_fail(idx, "reading a duplicate group");
}

int ngi_store_group_of(ng_index *idx, long long doc, long long *group) {
  ngi_store *s = idx->store;
  *group = doc;
  /* a writer's own uncommitted rows: asked of SQLite */
  if (s->in_txn) return group_of_sql(idx, doc, group);
  if (!s->groups_checked) {
    long long version = ngi_store_version(idx);
    int rc = NG_DONE;
    s->groups_checked = 1;
    if (version < 0 || (version != s->groups_version && version != s->groups_asked)) {
      s->groups_asked = version;
      if (version >= 0) rc = load_groups(idx, groups_read_whole);
      if (rc == NG_DONE) s->groups_checked = 2;
    } else {
      rc = load_groups(idx, -1);
    }
    if (rc != NG_OK && rc != NG_DONE) return rc;
  }
  if (s->groups_checked == 2) return group_of_sql(idx, doc, group);
  if (s->groups_cap && doc) {
    size_t i = group_slot(s, doc);
    if (s->group_keys[i]) *group = s->group_firsts[i];
  }
  return NG_OK;
}

int ngi_store_match_rowid(ng_index *idx, const char *match, long long rowid, int *sqlite_code) {
  *sqlite_code = SQLITE_OK;
  sqlite3_stmt *st = stmt(idx, ST_MATCH_ROWID);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, rowid);
  int step = sqlite3_step(st), rc = step == SQLITE_ROW ? 1 : 0;
  if (step != SQLITE_ROW && step != SQLITE_DONE) {
    *sqlite_code = sqlite3_errcode(idx->store->db);
    rc = ngi_store_fail(idx, "searching");
  }
  sqlite3_reset(st);
  return rc;
}

int ngi_store_match_all(ng_index *idx, const char *match, long long **rowids, size_t *n, int *sqlite_code) {
  *sqlite_code = SQLITE_OK;
  *rowids = NULL;
  *n = 0;
  sqlite3_stmt *st = stmt(idx, ST_MATCH_ALL);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
  size_t cap = 0;
  int step, rc = NG_OK;
  while (rc == NG_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 256;
      long long *p = realloc(*rowids, cap * sizeof *p);
      if (!p) {
        rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
        break;
      }
      *rowids = p;
    }
    (*rowids)[(*n)++] = sqlite3_column_int64(st, 0);
  }
  if (rc == NG_OK && step != SQLITE_DONE) {
    *sqlite_code = sqlite3_errcode(idx->store->db);
    rc = ngi_store_fail(idx, "searching");
  }
  sqlite3_reset(st);
  if (rc != NG_OK) {
    free(*rowids);
    *rowids = NULL;
    *n = 0;
  }
  /* FTS5 answers in rowid order; the caller's binary search needs it. */
  for (size_t i = 1; rc == NG_OK && i < *n; i++)
    if ((*rowids)[i] <= (*rowids)[i - 1])
      rc = ngi_fail(idx, NG_EDATA, "index %s: FTS5 answered out of rowid order", idx->path);
  return rc;
}

int ngi_store_hit_row(ng_index *idx, long long rowid, ngi_hit_row *row) {
  sqlite3_stmt *st = stmt(idx, ST_HIT_ROW);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, rowid);
  int step = sqlite3_step(st);
  if (step == SQLITE_DONE) return NG_DONE;
  if (step != SQLITE_ROW) return ngi_store_fail(idx, "reading a hit");
  row->rowid = sqlite3_column_int64(st, 0);
  row->score = 0;
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
  row->snippet = NULL;
  row->dateline_day = (const char *)sqlite3_column_text(st, 14);
  row->dup_of = sqlite3_column_int64(st, 15);
  row->copies = sqlite3_column_int64(st, 16);
  row->feed_line = sqlite3_column_int(st, 17);
  row->first_ns = sqlite3_column_int64(st, 18);
  row->changed_ns = sqlite3_column_int64(st, 19);
  row->change = sqlite3_column_int64(st, 20);
  return NG_ROW;
}

int ngi_store_snippet_rowid(ng_index *idx, const char *match, int tokens, long long rowid, char **out) {
  *out = NULL;
  sqlite3_stmt *st = stmt(idx, ST_SNIPPET_ROWID);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, rowid);
  sqlite3_bind_int(st, 3, tokens);
  int step = sqlite3_step(st), rc = NG_OK;
  if (step == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    if (t && !(*out = strdup(t))) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  } else if (step != SQLITE_DONE) {
    rc = ngi_store_fail(idx, "making snippets");
  }
  sqlite3_reset(st);
  return rc;
}

/* ------------------------------------------------------------------ */
/* The scoring structure's rows (postings.c) */

int ngi_store_stat_get(ng_index *idx, const char *key, long long *value) {
  int rc = stat_lookup(idx, key, value);
  return rc == NG_DONE ? NG_OK : rc;
}

int ngi_store_stat_set(ng_index *idx, const char *key, long long value) {
  sqlite3_stmt *st = stmt(idx, ST_STAT_SET);
  if (st) {
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, value);
  }
  return run_stmt(idx, st, "storing the statistics");
}

int ngi_store_stat_next(ng_index *idx, const char *key, long long *value) {
  int rc = ngi_store_stat_get(idx, key, value);
  return rc == NG_OK ? ngi_store_stat_set(idx, key, *value + 1) : rc;
}

int ngi_store_seg_each(ng_index *idx, int (*fn)(void *ctx, const ngi_seg_row *row), void *ctx) {
  sqlite3_stmt *st = stmt(idx, ST_SEG_LIST);
  if (!st) return NG_ESYSTEM;
  int step, rc = NG_OK;
  while (rc == NG_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
    ngi_seg_row row = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
                       sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5)};
    rc = fn(ctx, &row);
  }
  if (rc == NG_OK && step != SQLITE_DONE) rc = ngi_store_fail(idx, "reading the postings segments");
  sqlite3_reset(st);
  return rc;
}

int ngi_store_seg_put(ng_index *idx, const ngi_seg_row *row) {
  sqlite3_stmt *st = stmt(idx, ST_SEG_PUT);
  if (st) {
    sqlite3_bind_int64(st, 1, row->id);
    sqlite3_bind_int64(st, 2, row->level);
    sqlite3_bind_int64(st, 3, row->first_pno);
    sqlite3_bind_int64(st, 4, row->last_pno);
    sqlite3_bind_int64(st, 5, row->bytes);
    sqlite3_bind_int64(st, 6, row->postings);
  }
  return run_stmt(idx, st, "storing a postings segment");
}

int ngi_store_seg_delete(ng_index *idx, long long seg) {
  static const int ids[] = {ST_SEG_DELETE, ST_SEG_DELETE_PAGES, ST_SEG_DELETE_DIR};
  int rc = NG_OK;
  for (int i = 0; i < 3 && rc == NG_OK; i++) {
    sqlite3_stmt *st = stmt(idx, ids[i]);
    if (st) sqlite3_bind_int64(st, 1, seg);
    rc = run_stmt(idx, st, "removing a postings segment");
  }
  return rc;
}

int ngi_store_page_put(ng_index *idx, long long seg, long long page, const char *data, size_t n) {
  sqlite3_stmt *st = stmt(idx, ST_PAGE_PUT);
  if (st) {
    sqlite3_bind_int64(st, 1, seg);
    sqlite3_bind_int64(st, 2, page);
    sqlite3_bind_blob(st, 3, data, (int)n, SQLITE_STATIC);
  }
  return run_stmt(idx, st, "storing postings");
}

/* The first column of a one-row statement as a blob, into out. */
static int blob_into(ng_index *idx, sqlite3_stmt *st, buf *out, const char *context) {
  ngi_buf_reset(out);
  int step = sqlite3_step(st);
  int rc = NG_OK;
  if (step == SQLITE_ROW) {
    const void *p = sqlite3_column_blob(st, 0);
    int n = sqlite3_column_bytes(st, 0);
    if (n > 0 && ngi_buf_add(out, p, (size_t)n) != 0) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  } else if (step != SQLITE_DONE) {
    rc = ngi_store_fail(idx, context);
  }
  sqlite3_reset(st);
  return rc;
}

int ngi_store_page_get(ng_index *idx, long long seg, long long page, buf *out) {
  sqlite3_stmt *st = stmt(idx, ST_PAGE_GET);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, seg);
  sqlite3_bind_int64(st, 2, page);
  int rc = blob_into(idx, st, out, "reading postings");
  if (rc == NG_OK && !out->len)
    rc = ngi_fail(idx, NG_EDATA, "index %s is damaged: postings page %lld of segment %lld is missing", idx->path, page,
                  seg);
  return rc;
}

int ngi_store_dir_put(ng_index *idx, long long seg, const char *stem, size_t n, long long page, int off) {
  sqlite3_stmt *st = stmt(idx, ST_DIR_PUT);
  if (st) {
    sqlite3_bind_int64(st, 1, seg);
    sqlite3_bind_blob(st, 2, stem, (int)n, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, page);
    sqlite3_bind_int(st, 4, off);
  }
  return run_stmt(idx, st, "storing the postings directory");
}

/* The directory entry of segment seg at or before stem (statement which:
 * ST_DIR_FIND answers the entry's stem, ST_DIR_PAGE its page's data) into
 * out; 1 found (*empty: the blob was missing), 0 none, or an error. */
static int dir_entry(ng_index *idx, int which, long long seg, const char *stem, size_t n, long long *page, int *off,
                     buf *out, int *empty) {
  sqlite3_stmt *st = stmt(idx, which);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, seg);
  sqlite3_bind_blob(st, 2, stem, (int)n, SQLITE_STATIC);
  int step = sqlite3_step(st), rc = 0;
  if (step == SQLITE_ROW) {
    *page = sqlite3_column_int64(st, 0);
    *off = sqlite3_column_int(st, 1);
    ngi_buf_reset(out);
    const void *p = sqlite3_column_blob(st, 2);
    int bytes = sqlite3_column_bytes(st, 2);
    *empty = !p || bytes <= 0;
    rc = !*empty && ngi_buf_add(out, p, (size_t)bytes) != 0 ? ngi_fail(idx, NG_ESYSTEM, "out of memory") : 1;
  } else if (step != SQLITE_DONE) {
    rc = ngi_store_fail(idx, "reading the postings directory");
  }
  sqlite3_reset(st);
  return rc;
}

int ngi_store_dir_find(ng_index *idx, long long seg, const char *stem, size_t n, long long *page, int *off,
                       buf *found) {
  int empty;
  return dir_entry(idx, ST_DIR_FIND, seg, stem, n, page, off, found, &empty);
}

int ngi_store_dir_page(ng_index *idx, long long seg, const char *stem, size_t n, long long *page, int *off, buf *data) {
  int empty = 0, rc = dir_entry(idx, ST_DIR_PAGE, seg, stem, n, page, off, data, &empty);
  if (rc == 1 && empty)
    return ngi_fail(idx, NG_EDATA, "index %s is damaged: postings page %lld of segment %lld is missing", idx->path,
                    *page, seg);
  return rc;
}

int ngi_store_dead_add(ng_index *idx, long long first, long long last) {
  sqlite3_stmt *st = stmt(idx, ST_DEAD_ADD);
  if (st) {
    sqlite3_bind_int64(st, 1, first);
    sqlite3_bind_int64(st, 2, last);
  }
  return run_stmt(idx, st, "recording removed passages");
}

int ngi_store_dead_each(ng_index *idx, int (*fn)(void *ctx, long long first, long long last), void *ctx) {
  sqlite3_stmt *st = stmt(idx, ST_DEAD_LIST);
  if (!st) return NG_ESYSTEM;
  int step, rc = NG_OK;
  while (rc == NG_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
    rc = fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
  if (rc == NG_OK && step != SQLITE_DONE) rc = ngi_store_fail(idx, "reading removed passages");
  sqlite3_reset(st);
  return rc;
}

int ngi_store_dead_delete(ng_index *idx, long long first, long long last) {
  sqlite3_stmt *st = stmt(idx, ST_DEAD_DELETE);
  if (st) {
    sqlite3_bind_int64(st, 1, first);
    sqlite3_bind_int64(st, 2, last);
  }
  return run_stmt(idx, st, "forgetting removed passages");
}

int ngi_store_dead_has(ng_index *idx, long long pno) {
  ngi_store *s = idx->store;
  /* Most indexes have no removed passages: one question a read
   * transaction instead of one a candidate. */
  if (s->reading && !s->in_txn) {
    if (!s->dead_checked) {
      sqlite3_stmt *any = stmt(idx, ST_DEAD_EXISTS);
      if (!any) return NG_ESYSTEM;
      int step = sqlite3_step(any);
      int some = step == SQLITE_ROW && sqlite3_column_int(any, 0);
      sqlite3_reset(any);
      if (step != SQLITE_ROW) return ngi_store_fail(idx, "reading removed passages");
      s->dead_checked = some ? 2 : 1;
    }
    if (s->dead_checked == 1) return 0;
  }
  sqlite3_stmt *st = stmt(idx, ST_DEAD_HAS);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, pno);
  int step = sqlite3_step(st), rc = 0;
  if (step == SQLITE_ROW)
    rc = sqlite3_column_int(st, 0) ? 1 : 0;
  else if (step != SQLITE_DONE)
    rc = ngi_store_fail(idx, "reading removed passages");
  sqlite3_reset(st);
  return rc;
}

long long ngi_store_dead_any(ng_index *idx) {
  sqlite3_stmt *st = stmt(idx, ST_DEAD_COUNT);
  if (!st) return -1;
  long long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_reset(st);
  return n;
}

int ngi_store_termdead_add(ng_index *idx, const char *stem, size_t n, long long delta) {
  sqlite3_stmt *st = stmt(idx, ST_TERMDEAD_ADD);
  if (st) {
    sqlite3_bind_blob(st, 1, stem, (int)n, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, delta);
  }
  int rc = run_stmt(idx, st, "counting removed postings");
  if (rc == NG_OK && delta < 0) {
    st = stmt(idx, ST_TERMDEAD_CLEAN);
    if (st) sqlite3_bind_blob(st, 1, stem, (int)n, SQLITE_STATIC);
    rc = run_stmt(idx, st, "counting removed postings");
  }
  return rc;
}

int ngi_store_termdead_get(ng_index *idx, const char *stem, size_t n, long long *value) {
  *value = 0;
  sqlite3_stmt *st = stmt(idx, ST_TERMDEAD_GET);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_blob(st, 1, stem, (int)n, SQLITE_STATIC);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) *value = sqlite3_column_int64(st, 0);
  int rc = step == SQLITE_ROW || step == SQLITE_DONE ? NG_OK : ngi_store_fail(idx, "counting removed postings");
  sqlite3_reset(st);
  return rc;
}

int ngi_store_termdead_any(ng_index *idx) {
  sqlite3_stmt *st = stmt(idx, ST_TERMDEAD_ANY);
  if (!st) return NG_ESYSTEM;
  int step = sqlite3_step(st);
  int rc = step == SQLITE_ROW ? sqlite3_column_int(st, 0) != 0 : ngi_store_fail(idx, "counting removed postings");
  sqlite3_reset(st);
  return rc;
}

int ngi_store_lens_get(ng_index *idx, long long chunk, buf *out) {
  sqlite3_stmt *st = stmt(idx, ST_LENS_GET);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, chunk);
  return blob_into(idx, st, out, "reading the passage lengths");
}

int ngi_store_lens_put(ng_index *idx, long long chunk, const char *data, size_t n) {
  sqlite3_stmt *st = stmt(idx, ST_LENS_PUT);
  if (st) {
    sqlite3_bind_int64(st, 1, chunk);
    sqlite3_bind_blob(st, 2, data, (int)n, SQLITE_STATIC);
  }
  return run_stmt(idx, st, "storing the passage lengths");
}

long long ngi_store_version(ng_index *idx) {
  ngi_store *s = idx->store;
  if (!s || s->in_txn) return -1;
  sqlite3_stmt *st = stmt(idx, ST_DATA_VERSION);
  if (!st) return -1;
  long long v = -1;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return v < 0 ? -1 : (v & 0x7FFFFFFF) << 32 | (s->commits & 0xFFFFFFFF);
}

int ngi_store_pdir_get(ng_index *idx, long long chunk, buf *out) {
  sqlite3_stmt *st = stmt(idx, ST_PDIR_GET);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, chunk);
  return blob_into(idx, st, out, "reading the passage directory");
}

int ngi_store_pdir_read(ng_index *idx, long long chunk, size_t at, void *out, size_t n) {
  ngi_store *s = idx->store;
  if (s->in_txn || !s->reading) return 0;
  int rc = SQLITE_OK;
  if (!s->pdir_blob)
    rc = sqlite3_blob_open(s->db, "main", "npdir", "data", chunk, 0, &s->pdir_blob);
  else if (s->pdir_chunk != chunk)
    rc = sqlite3_blob_reopen(s->pdir_blob, chunk);
  if (rc != SQLITE_OK) {
    /* no such chunk (or a handle that cannot move): the caller reads the
     * chunk the usual way and says what is wrong */
    sqlite3_blob_close(s->pdir_blob);
    s->pdir_blob = NULL;
    return 0;
  }
  s->pdir_chunk = chunk;
  if ((long long)at + (long long)n > sqlite3_blob_bytes(s->pdir_blob)) return 0;
  return sqlite3_blob_read(s->pdir_blob, out, (int)n, (int)at) == SQLITE_OK ? 1 : 0;
}

int ngi_store_pdir_put(ng_index *idx, long long chunk, const char *data, size_t n) {
  sqlite3_stmt *st = stmt(idx, ST_PDIR_PUT);
  if (st) {
    sqlite3_bind_int64(st, 1, chunk);
    sqlite3_bind_blob(st, 2, data, (int)n, SQLITE_STATIC);
  }
  return run_stmt(idx, st, "storing the passage directory");
}

/* ------------------------------------------------------------------ */
/* Duplicate groups (dedup.c decides; these are its rows) */

static size_t sig_slot(long long doc, size_t n) {
  return (size_t)((uint64_t)doc * 0x9E3779B97F4A7C15ULL >> 20) & (n - 1);
}

static sig_entry *sig_find(const sig_cache *c, long long doc) {
  if (!c->nslots) return NULL;
  for (size_t k = sig_slot(doc, c->nslots); c->slots[k]; k = (k + 1) & (c->nslots - 1))
    if (c->e[c->slots[k] - 1].doc == doc) return &c->e[c->slots[k] - 1];
  return NULL;
}

/* Remembers doc's signature (blob, encoded) and group; out of memory, it
 * forgets them all. */
static void sig_remember(sig_cache *c, long long doc, long long dup_of, const unsigned char *blob) {
  sig_entry *x = sig_find(c, doc);
  if (!x) {
    if ((c->n + 1) * 2 > c->nslots) {
      size_t n = c->nslots ? c->nslots * 2 : 1024;
      uint32_t *slots = calloc(n, sizeof *slots);
      if (!slots) {
        sigs_free(c);
        return;
      }
      for (size_t i = 0; i < c->n; i++) {
        size_t k = sig_slot(c->e[i].doc, n);
        while (slots[k]) k = (k + 1) & (n - 1);
        slots[k] = (uint32_t)i + 1;
      }
      free(c->slots);
      c->slots = slots;
      c->nslots = n;
    }
    if (c->n == c->cap) {
      size_t cap = c->cap ? c->cap * 2 : 512;
      sig_entry *e = realloc(c->e, cap * sizeof *e);
      if (!e) {
        sigs_free(c);
        return;
      }
      c->e = e;
      c->cap = cap;
    }
    size_t k = sig_slot(doc, c->nslots);
    while (c->slots[k]) k = (k + 1) & (c->nslots - 1);
    x = &c->e[c->n++];
    c->slots[k] = (uint32_t)c->n;
    x->doc = doc;
  }
  x->dup_of = dup_of;
  x->has_sig = 1;
  memcpy(x->sig, blob, NGI_DUP_BYTES);
}

int ngi_store_set_dup_of(ng_index *idx, long long doc, long long dup_of) {
  sqlite3_stmt *st = stmt(idx, ST_SET_DUP_OF);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, doc);
  if (dup_of)
    sqlite3_bind_int64(st, 2, dup_of);
  else
    sqlite3_bind_null(st, 2);
  int rc = run_stmt(idx, st, "grouping duplicates");
  sig_entry *x = sig_find(&idx->store->sigs, doc);
  if (rc == NG_OK && x) x->dup_of = dup_of;
  return rc;
}

static size_t band_slot(long long key, size_t cap) {
  uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ULL;
  return (size_t)(h >> 20) & (cap - 1);
}

static int band_remember(ngi_store *s, long long key, long long doc) {
  if ((s->bands_used + 1) * 2 > s->bands_cap) {
    size_t cap = s->bands_cap ? s->bands_cap * 2 : 1024;
    band *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    size_t used = 0;
    for (size_t i = 0; i < s->bands_cap; i++) {
      if (s->bands[i].doc <= 0) continue;
      size_t k = band_slot(s->bands[i].key, cap);
      while (t[k].doc) k = (k + 1) & (cap - 1);
      t[k] = s->bands[i];
      used++;
    }
    free(s->bands);
    s->bands = t;
    s->bands_cap = cap;
    s->bands_used = used;
  }
  size_t k = band_slot(key, s->bands_cap);
  while (s->bands[k].doc > 0) {
    if (s->bands[k].key == key && s->bands[k].doc == doc) return 0;
    k = (k + 1) & (s->bands_cap - 1);
  }
  if (!s->bands[k].doc) s->bands_used++;
  s->bands[k].key = key;
  s->bands[k].doc = doc;
  return 0;
}

static void band_forget(ngi_store *s, long long key, long long doc) {
  if (!s->bands_cap) return;
  for (size_t k = band_slot(key, s->bands_cap); s->bands[k].doc; k = (k + 1) & (s->bands_cap - 1)) {
    if (s->bands[k].key == key && s->bands[k].doc == doc) s->bands[k].doc = -1;
  }
}

int ngi_store_dup_put(ng_index *idx, long long doc, long long dup_of, const ngi_dup_sig *sig, const long long *keys,
                      int nkeys) {
  ngi_store *s = idx->store;
  unsigned char blob[NGI_DUP_BYTES];
  ngi_dup_encode(sig, blob);
  sqlite3_stmt *st = stmt(idx, ST_DUP_SIG_INSERT);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, doc);
  sqlite3_bind_int64(st, 2, sig->shingles);
  sqlite3_bind_blob(st, 3, blob, (int)sizeof blob, SQLITE_STATIC);
  int rc = run_stmt(idx, st, "storing a duplicate signature");
  if (rc != NG_OK) return rc;
  sig_remember(&s->sigs, doc, dup_of, blob);
  if (s->nqueued_bands + (size_t)nkeys > s->capqueued_bands) {
    size_t cap = s->capqueued_bands ? s->capqueued_bands * 2 : 4096;
    while (cap < s->nqueued_bands + (size_t)nkeys) cap *= 2;
    band *q = realloc(s->queued_bands, cap * sizeof *q);
    if (!q) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
    s->queued_bands = q;
    s->capqueued_bands = cap;
  }
  for (int i = 0; i < nkeys; i++) {
    s->queued_bands[s->nqueued_bands++] = (band){keys[i], doc};
    if (band_remember(s, keys[i], doc) != 0) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  return NG_OK;
}

static int cmp_bands(const void *a, const void *b) {
  const band *x = a, *y = b;
  return x->key < y->key ? -1 : x->key > y->key ? 1 : (x->doc > y->doc) - (x->doc < y->doc);
}

#define BANDS_PER_INSERT 50

/* Stores the transaction's queued bands, in key order. */
static int flush_bands(ng_index *idx) {
  ngi_store *s = idx->store;
  size_t n = 0;
  for (size_t i = 0; i < s->nqueued_bands; i++) {
    if (s->queued_bands[i].doc > 0) s->queued_bands[n++] = s->queued_bands[i];
  }
  s->nqueued_bands = n;
  if (!n) return NG_OK;
  qsort(s->queued_bands, n, sizeof *s->queued_bands, cmp_bands);
  int rc = NG_OK;
  size_t i = 0;
  if (n >= BANDS_PER_INSERT && !s->band_insert_many) {
    buf sql = {0};
    ngi_buf_adds(&sql, "INSERT OR IGNORE INTO dup_band(key, doc) VALUES");
    for (int r = 0; r < BANDS_PER_INSERT; r++) ngi_buf_adds(&sql, r ? ",(?,?)" : "(?,?)");
    int prc = sql.oom ? SQLITE_NOMEM
                      : sqlite3_prepare_v3(s->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &s->band_insert_many, NULL);
    ngi_buf_free(&sql);
    if (prc != SQLITE_OK) rc = ngi_store_fail(idx, "storing duplicate bands");
  }
  for (; rc == NG_OK && i + BANDS_PER_INSERT <= n; i += BANDS_PER_INSERT) {
    for (int r = 0; r < BANDS_PER_INSERT; r++) {
      sqlite3_bind_int64(s->band_insert_many, 2 * r + 1, s->queued_bands[i + (size_t)r].key);
      sqlite3_bind_int64(s->band_insert_many, 2 * r + 2, s->queued_bands[i + (size_t)r].doc);
    }
    rc = run_stmt(idx, s->band_insert_many, "storing duplicate bands");
  }
  for (; rc == NG_OK && i < n; i++) {
    sqlite3_stmt *st = stmt(idx, ST_DUP_BAND_INSERT);
    if (!st) return NG_ESYSTEM;
    sqlite3_bind_int64(st, 1, s->queued_bands[i].key);
    sqlite3_bind_int64(st, 2, s->queued_bands[i].doc);
    rc = run_stmt(idx, st, "storing duplicate bands");
  }
  if (rc == NG_OK) s->nqueued_bands = 0;
  return rc;
}

/* The candidates a story's bands name: the first MAX_FOUND distinct ones,
 * in the order met, with an open-addressing set of them (twice as many
 * slots, 0 free) so that a band shared by many copies costs one probe a
 * copy rather than a scan of the list (BBC x64: 63 copies, 10 bands). */
#define MAX_FOUND 64
typedef struct found_docs {
  long long doc[MAX_FOUND];
  int n;
  long long set[2 * MAX_FOUND];
} found_docs;

static void add_found(found_docs *f, long long doc, long long exclude) {
  if (doc <= 0 || doc == exclude || f->n >= MAX_FOUND) return;
  size_t k = (size_t)((uint64_t)doc * 0x9E3779B97F4A7C15ULL >> 57); /* 7 bits: 2 * MAX_FOUND slots */
  for (; f->set[k]; k = (k + 1) & (2 * MAX_FOUND - 1))
    if (f->set[k] == doc) return;
  f->set[k] = doc;
  f->doc[f->n++] = doc;
}

int ngi_store_dup_candidates(ng_index *idx, const long long *keys, int nkeys, long long exclude,
                             void (*fn)(void *ctx, long long doc, long long dup_of, const ngi_dup_sig *sig),
                             void *ctx) {
  ngi_store *s = idx->store;
  found_docs f;
  f.n = 0;
  memset(f.set, 0, sizeof f.set);
  int rc = NG_OK;
  if (s->bands_complete < 0) {
    /* Is the band table empty (then this handle's hash table is all)? */
    char t[8] = "";
    int q = first_text(s->db, "SELECT NOT EXISTS (SELECT 1 FROM dup_band)", t, sizeof t);
    if (q != SQLITE_OK) return ngi_store_fail(idx, "looking up duplicates");
    s->bands_complete = t[0] == '1' && s->bands_used == 0;
  }
  for (int i = 0; i < nkeys && s->bands_cap; i++) {
    for (size_t k = band_slot(keys[i], s->bands_cap); s->bands[k].doc; k = (k + 1) & (s->bands_cap - 1))
      if (s->bands[k].key == keys[i]) add_found(&f, s->bands[k].doc, exclude);
  }
  /* One seek a band (an IN list of 20 costs more: SQLite sorts it into a
   * temporary table at every run). */
  for (int i = 0; i < nkeys && rc == NG_OK && !s->bands_complete; i++) {
    sqlite3_stmt *st = stmt(idx, ST_DUP_CANDIDATES);
    if (!st) return NG_ESYSTEM;
    sqlite3_bind_int64(st, 1, keys[i]);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) add_found(&f, sqlite3_column_int64(st, 0), exclude);
    if (step != SQLITE_DONE) rc = ngi_store_fail(idx, "looking up duplicates");
    sqlite3_reset(st);
  }
  for (int k = 0; k < f.n && rc == NG_OK; k++) {
    const sig_entry *x = sig_find(&s->sigs, f.doc[k]);
    ngi_dup_sig sig;
    if (x && x->has_sig) {
      if (ngi_dup_decode(x->sig, NGI_DUP_BYTES, &sig) == 0) fn(ctx, f.doc[k], x->dup_of, &sig);
      continue;
    }
    sqlite3_stmt *st = stmt(idx, ST_DUP_CANDIDATE);
    if (!st) return NG_ESYSTEM;
    sqlite3_bind_int64(st, 1, f.doc[k]);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW &&
        ngi_dup_decode(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &sig) == 0)
      fn(ctx, f.doc[k], sqlite3_column_int64(st, 0), &sig);
    else if (step != SQLITE_ROW && step != SQLITE_DONE)
      rc = ngi_store_fail(idx, "looking up duplicates");
    sqlite3_reset(st);
  }
  return rc;
}

int ngi_store_dup_get(ng_index *idx, long long doc, ngi_dup_sig *sig) {
  sqlite3_stmt *st = stmt(idx, ST_DUP_SIG_GET);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, doc);
  int step = sqlite3_step(st);
  int rc = step == SQLITE_ROW
               ? ngi_dup_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), sig) == 0
           : step == SQLITE_DONE ? 0
                                 : ngi_store_fail(idx, "reading a duplicate signature");
  sqlite3_reset(st);
  return rc;
}

int ngi_store_dup_delete(ng_index *idx, long long doc, const long long *keys, int nkeys) {
  ngi_store *s = idx->store;
  sqlite3_stmt *st = stmt(idx, ST_DUP_SIG_DELETE);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, doc);
  int rc = run_stmt(idx, st, "removing a duplicate signature");
  sig_entry *x = sig_find(&s->sigs, doc);
  if (x) x->has_sig = 0;
  /* Bands still queued are dropped from the queue (rare: a story changed
   * twice in one transaction). */
  for (size_t i = 0; i < s->nqueued_bands; i++)
    if (s->queued_bands[i].doc == doc) s->queued_bands[i].doc = 0;
  for (int i = 0; i < nkeys; i++) band_forget(s, keys[i], doc);
  for (int i = 0; rc == NG_OK && i < nkeys; i++) {
    if (!(st = stmt(idx, ST_DUP_BAND_DELETE))) return NG_ESYSTEM;
    sqlite3_bind_int64(st, 1, keys[i]);
    sqlite3_bind_int64(st, 2, doc);
    rc = run_stmt(idx, st, "removing duplicate bands");
  }
  return rc;
}

int ngi_store_dup_hand_over(ng_index *idx, long long doc) {
  sqlite3_stmt *st = stmt(idx, ST_DUP_NEXT_FIRST);
  if (!st) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, doc);
  int step = sqlite3_step(st);
  long long next = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  if (step != SQLITE_ROW && step != SQLITE_DONE) return ngi_store_fail(idx, "regrouping duplicates");
  if (!next) return NG_OK;
  if (!(st = stmt(idx, ST_DUP_REPOINT))) return NG_ESYSTEM;
  sqlite3_bind_int64(st, 1, doc);
  sqlite3_bind_int64(st, 2, next);
  /* Every member's group changes: the signatures remembered are
   * forgotten rather than looked through. */
  sigs_free(&idx->store->sigs);
  return run_stmt(idx, st, "regrouping duplicates");
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
    size_t at[9] = {0};
    const char *has[9];
    int cols[9] = {0, 3, 4, 5, 6, 7, 8, 12, 16};
    for (int i = 0; i < 9; i++) has[i] = text_into(strings, st, cols[i], &at[i]);
    row->id = id;
    row->kind = sqlite3_column_int(st, 1);
    row->feed = sqlite3_column_int64(st, 2);
    row->size = sqlite3_column_int64(st, 9);
    row->mtime_ns = sqlite3_column_int64(st, 10);
    row->hash = sqlite3_column_int64(st, 11);
    row->indexed_ns = sqlite3_column_int64(st, 13);
    row->passages = sqlite3_column_int64(st, 14);
    row->feed_line = sqlite3_column_int64(st, 17);
    row->first_ns = sqlite3_column_int64(st, 18);
    row->changed_ns = sqlite3_column_int64(st, 19);
    row->change = sqlite3_column_int64(st, 20);
    if (strings->oom || !has[0]) {
      rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    } else {
      const char **out[9] = {&row->path, &row->title,  &row->dateline, &row->date,        &row->source,
                             &row->url,  &row->author, &row->encoding, &row->dateline_day};
      for (int i = 0; i < 9; i++) *out[i] = has[i] ? strings->data + at[i] : NULL;
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
  return ngi_store_passage_range(idx, doc, 0, (int)NGI_MAX_ORDINAL, fn, ctx);
}

int ngi_store_passage_range(ng_index *idx, long long doc, int from, int to,
                            int (*fn)(void *ctx, int ordinal, int kind, const char *text, int first, int last),
                            void *ctx) {
  sqlite3_stmt *st = NULL;
  if (from < 0) from = 0;
  if (to > (int)NGI_MAX_ORDINAL) to = (int)NGI_MAX_ORDINAL;
  if (sqlite3_prepare_v2(idx->store->db,
                         "SELECT rowid, head, body, first_line, last_line FROM passage"
                         " WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid",
                         -1, &st, NULL) != SQLITE_OK)
    return ngi_store_fail(idx, "reading passages");
  sqlite3_bind_int64(st, 1, NGI_ROWID(doc, from));
  sqlite3_bind_int64(st, 2, NGI_ROWID(doc, to));
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
    } else if (f->field == NGI_FIELD_DATELINE) {
      sqlb_text(b,
                f->negated ? " AND NOT instr(lower(coalesce(d.dateline, '')), lower(?))"
                           : " AND instr(lower(coalesce(d.dateline, '')), lower(?))",
                f->value);
    } else if (f->field == NGI_FIELD_AUTHOR) {
      sqlb_text(b,
                f->negated ? " AND NOT instr(lower(coalesce(d.author, '')), lower(?))"
                           : " AND instr(lower(coalesce(d.author, '')), lower(?))",
                f->value);
    } else if (f->field == NGI_FIELD_DATE) {
      /* "SINCE..UNTIL": prefixes of ISO dates, compared as text (date.c). */
      const char *dots = strstr(f->value, "..");
      char since[32] = "";
      if (dots && (size_t)(dots - f->value) < sizeof since)
        memcpy(since, f->value, (size_t)(dots - f->value)), since[dots - f->value] = '\0';
      const char *until = dots ? dots + 2 : "";
      sqlb_add(b, f->negated ? " AND NOT coalesce(1" : " AND (1");
      if (since[0]) sqlb_text(b, " AND d.date >= ?", since);
      if (until[0]) sqlb_text(b, " AND d.date <= ? || '~'", until);
      sqlb_add(b, f->negated ? ", 0)" : ")");
    } else if (f->field == NGI_FIELD_CHANGE) {
      /* "AFTER..UPTO": change numbers, either side empty */
      const char *dots = strstr(f->value, "..");
      long long after = strtoll(f->value, NULL, 10), upto = dots && dots[2] ? strtoll(dots + 2, NULL, 10) : -1;
      sqlb_add(b, f->negated ? " AND NOT (1" : " AND (1");
      if (after > 0) sqlb_int(b, " AND d.change > ?", after);
      if (upto >= 0) sqlb_int(b, " AND d.change <= ?", upto);
      sqlb_add(b, ")");
    } else if (strpbrk(f->value, "*?[")) {
      sqlb_text(b, f->negated ? " AND d.path NOT GLOB ?" : " AND d.path GLOB ?", f->value);
    } else {
      sqlb_text(b, f->negated ? " AND NOT instr(d.path, ?)" : " AND instr(d.path, ?)", f->value);
    }
  }
  ngi_buf_free(&tmp);
}

/* ------------------------------------------------------------------ */
/* The engine's document filter: add_conditions' SQL, one row a document */

struct ngi_doc_filter {
  ng_index *idx;
  sqlite3_stmt *st;
  int id_param; /* the placeholder of the document id */
};

int ngi_store_doc_filter_open(ng_index *idx, const char *since, const char *until, const ngi_filter *filters,
                              size_t nfilters, ngi_doc_filter **out) {
  *out = NULL;
  ngi_doc_filter *f = calloc(1, sizeof *f);
  /* the headline filters are the engine's (one FTS5 probe of the
   * document's headline, not a MATCH over the whole index per document) */
  ngi_filter *kept = calloc(nfilters ? nfilters : 1, sizeof *kept);
  if (!f || !kept) {
    free(f);
    free(kept);
    return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  size_t n = 0;
  for (size_t i = 0; i < nfilters; i++)
    if (filters[i].field != NGI_FIELD_TITLE) kept[n++] = filters[i];
  ngi_hit_query q;
  memset(&q, 0, sizeof q);
  q.since = since;
  q.until = until;
  q.filters = kept;
  q.nfilters = n;
  sqlb b = {0};
  sqlb_add(&b, "SELECT coalesce(d.dup_of, d.id), (1");
  add_conditions(&b, &q);
  sqlb_int(&b, ") FROM doc d WHERE d.id = ?", 0);
  f->id_param = (int)b.n;
  f->idx = idx;
  int rc = sqlb_prepare(idx, &b, &f->st, "preparing the filters");
  free(kept);
  if (rc != NG_OK) {
    ngi_store_doc_filter_close(f);
    return rc;
  }
  *out = f;
  return NG_OK;
}

int ngi_store_doc_filter_get(ngi_doc_filter *f, long long doc, int *pass, long long *group) {
  sqlite3_reset(f->st);
  sqlite3_bind_int64(f->st, f->id_param, doc);
  int step = sqlite3_step(f->st);
  *pass = 0;
  *group = doc;
  if (step == SQLITE_ROW) {
    *group = sqlite3_column_int64(f->st, 0);
    *pass = sqlite3_column_int(f->st, 1) != 0;
  } else if (step != SQLITE_DONE) {
    return ngi_store_fail(f->idx, "filtering documents");
  }
  sqlite3_reset(f->st);
  return NG_OK;
}

void ngi_store_doc_filter_close(ngi_doc_filter *f) {
  if (!f) return;
  sqlite3_finalize(f->st);
  free(f);
}

/* Output columns of every form: id, score, doc id, path, title, dateline,
 * date, source, url, author, head, body, first line, last line, the
 * snippet (NULL but in the fast form), then DOC_MORE's: the dateline's
 * day, the duplicate group's first member and the group's size, a feed
 * record's line in its file, and the document's first-indexed and changed times and change number. */
#define DOC_OUT "d.id, d.path, d.title, d.dateline, d.date, d.source, d.url, d.author"
#define DOC_MORE(d, id)                                                                                              \
  d ".dateline_day, " d ".dup_of, 1 + (SELECT count(*) FROM doc c WHERE c.dup_of = coalesce(" d ".dup_of, " d "." id \
    ")), " d ".feed_line, " d ".first_ns, " d ".changed_ns, " d ".change"

/* A passage matching only through a quoted variant form's phrase is a hit
 * only when the form's words are written in it (expand.c). */
static void add_surface(sqlb *b, const ngi_hit_query *q, const char *rowid) {
  if (!q->surface_words || !q->match_plain) return;
  buf sql = {0};
  ngi_buf_printf(&sql, " AND (%s IN (SELECT rowid FROM passage WHERE passage MATCH ?)", rowid);
  sqlb_text(b, sql.data ? sql.data : "", q->match_plain);
  ngi_buf_reset(&sql);
  ngi_buf_printf(&sql, " OR nutgraf_surface((SELECT coalesce(body, head) FROM passage WHERE rowid = %s), ?))", rowid);
  sqlb_text(b, sql.data ? sql.data : "", q->surface_words);
  if (sql.oom) b->oom = 1;
  ngi_buf_free(&sql);
}

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
    sqlb_add(b, "SELECT p.rowid, 0.0, " DOC_OUT ", p.head, p.body, p.first_line, p.last_line, NULL, " DOC_MORE(
                    "d", "id") " FROM passage p JOIN doc d ON d.id = " ROWID_DOC_SQL("p.rowid") " WHERE 1");
    add_conditions(b, q);
    sqlb_int(b, " ORDER BY p.rowid LIMIT ?", limit);
    sqlb_int(b, " OFFSET ?", offset);
    return;
  }
  int fast = !q->per_document && q->sort == NG_SORT_RANK && !q->since && !q->until && !q->nfilters && !q->surface_words;
  if (fast) {
    *has_snippet = 1;
    sqlb_add(b, "SELECT t.id, t.score, " DOC_OUT
                ", t.head, t.body, t.first_line, t.last_line, t.snip, " DOC_MORE("d", "id") " FROM ("
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
           " SELECT t.id, t.score, t.doc_id, t.path, t.title, t.dateline, t.date, t.source, t.url, t.author,"
           " p.head, p.body, p.first_line, p.last_line, NULL, " DOC_MORE("t", "doc_id") " FROM ("
           "SELECT r.id AS id, r.score AS score, d.id AS doc_id, d.path AS path, d.title AS title,"
           " d.dateline AS dateline, d.date AS date, d.source AS source, d.url AS url, d.author AS author,"
           " d.dateline_day AS dateline_day, d.dup_of AS dup_of, d.feed_line AS feed_line, d.first_ns AS first_ns,"
           " d.changed_ns AS changed_ns, d.change AS change");
  sqlb_add(b, q->per_document ? " FROM b AS r" : " FROM r");
  sqlb_add(b, " JOIN doc d ON d.id = r.doc WHERE 1");
  if (q->per_document) sqlb_add(b, " AND r.rn = 1");
  add_conditions(b, q);
  add_surface(b, q, "r.id");
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
  row->dateline_day = (const char *)sqlite3_column_text(st, 15);
  row->dup_of = sqlite3_column_int64(st, 16);
  row->copies = sqlite3_column_int64(st, 17);
  row->feed_line = sqlite3_column_int(st, 18);
  row->first_ns = sqlite3_column_int64(st, 19);
  row->changed_ns = sqlite3_column_int64(st, 20);
  row->change = sqlite3_column_int64(st, 21);
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
  add_surface(&b, q, "r.id");
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

int ngi_store_hits_count_by(ng_index *idx, const ngi_hit_query *q, int by_source,
                            int (*fn)(void *ctx, const char *key, long long passages, long long documents), void *ctx,
                            int *sqlite_code) {
  *sqlite_code = SQLITE_OK;
  sqlb b = {0};
  sqlb_text(&b, "WITH r AS (SELECT rowid AS id, " ROWID_DOC_SQL("rowid") " AS doc FROM passage WHERE passage MATCH ?)",
            q->match);
  /* Each document has one date and one source: its count of documents
   * goes to one bucket, so buckets of days add up to weeks and months. */
  sqlb_add(&b, by_source ? " SELECT d.source AS k, count(*), count(DISTINCT r.doc)"
                         : " SELECT substr(d.date, 1, 10) AS k, count(*), count(DISTINCT r.doc)");
  sqlb_add(&b, " FROM r JOIN doc d ON d.id = r.doc WHERE 1");
  add_conditions(&b, q);
  add_surface(&b, q, "r.id");
  sqlb_add(&b, " GROUP BY k ORDER BY k IS NULL, k");
  sqlite3_stmt *st = NULL;
  int rc = sqlb_prepare(idx, &b, &st, "preparing the search");
  int step = SQLITE_DONE;
  while (rc == NG_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
    rc = fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
  if (rc == NG_OK && step != SQLITE_DONE) {
    *sqlite_code = sqlite3_errcode(idx->store->db);
    rc = NG_ESYSTEM;
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
  s->words = -1; /* the vocabulary is counted by ng_index_check */
  if (rc == NG_OK)
    rc = count_query(idx, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size", &s->bytes);
  return rc;
}

int ng_index_last_indexed(ng_index *idx, long long *ns) {
  *ns = 0;
  return count_query(idx, "SELECT coalesce(max(indexed_ns), 0) FROM doc", ns);
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
  if (rc == NG_OK && p.n == 0) {
    /* The scoring structure: every segment decodes, in order, and its
     * counts are those of the live passages. */
    ngi_check_counts pc;
    rc = ngi_postings_check(idx, &pc);
    if (rc == NG_EDATA) problem(&p, "%s", idx->err);
    long long live = 0;
    if (rc == NG_OK) {
      stats->words = pc.terms;
      rc = ngi_store_stat_get(idx, "passages", &live);
    }
    if (rc == NG_OK && live != stats->passages)
      problem(&p, "index %s is damaged: the postings count %lld passages but %lld are stored", idx->path, live,
              stats->passages);
    long long docs = 0, counted = 0;
    int has = rc == NG_OK ? stat_lookup(idx, "docs", &docs) : NG_DONE;
    if (has != NG_OK && has != NG_DONE) rc = has;
    if (has == NG_OK && (rc = count_docs(idx, &counted)) == NG_OK && docs != counted)
      problem(&p, "index %s is damaged: the statistics count %lld documents but %lld are stored", idx->path, docs,
              counted);
    if (rc == NG_EDATA) rc = NG_OK; /* reported as a problem */
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
  if (rc == NG_OK) rc = ngi_store_reclaim(idx);
  if (rc == NG_OK) rc = exec(idx, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpointing");
  return rc;
}
