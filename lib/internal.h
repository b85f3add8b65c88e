/*
 * internal.h -- what the modules of libnutgraf share and nothing else sees.
 *
 * One header with one banner per source file (after SQLite's fts5Int.h);
 * each banner opens with "Interface to X.c" and closes with "End of X.c".
 * Every symbol defined here has the internal prefix ngi_ (public ones are
 * ng_, in nutgraf.h), so no internal name can collide with an embedding
 * program's.  Types keep short names: they are not linker symbols.
 *
 * The map, in the order data flows:
 *
 *   indexing   walk.c      roots -> files to read (directories, symbolic
 *                          links, loops) and change detection against
 *                          what the index knows (the catalog)
 *              pipeline.c  one job -> one prepared document, on a worker
 *                          thread: decode.c (read, bytes -> UTF-8) or
 *                          feed.c (a JSON Lines record), segment.c
 *                          (text -> headline, dateline, paragraphs),
 *                          tokenize.c (token streams)
 *              ingest.c    a run: orders the jobs, batches transactions,
 *                          removals, feeds; writes through store.c
 *   storage    index.c     the handle: open, lock, create, publish, close
 *              store.c     every SQL statement on the index's tables
 *   searching  parse.c     text -> query tree (no index needed)
 *              expand.c    query tree -> FTS5 expression over stems
 *                          (tokenize.c, variants.c, the word table)
 *              search.c    expression -> ranked hits with snippets
 *              rank.c      the FTS5 rank function results are ordered by
 *              suggest.c   "did you mean" for a query without hits
 *   under all  util.c, date.c
 *
 * Ownership of struct ng_index's fields is written beside each field; a
 * module touches only its own fields and calls the owner for the rest.
 */
#ifndef NG_INTERNAL_H
#define NG_INTERNAL_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "nutgraf.h"

#if defined(__GNUC__)
#define NGI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NGI_PRINTF(a, b)
#endif

#define NGI_STR_(x) #x
#define NGI_STR(x) NGI_STR_(x)

/* Passage rowids: a document's id in the high bits, the passage's ordinal
 * (0 for the headline, paragraphs from 1) in the low NGI_ORDINAL_BITS, so a
 * document's passages are known without a lookup.  SQL text uses
 * NGI_ORDINAL_BITS_SQL for the same shift. */
#define NGI_ORDINAL_BITS 20
#define NGI_ORDINAL_BITS_SQL NGI_STR(NGI_ORDINAL_BITS)
#define NGI_MAX_ORDINAL ((1LL << NGI_ORDINAL_BITS) - 1)
#define NGI_ROWID(doc, ordinal) (((long long)(doc) << NGI_ORDINAL_BITS) | (long long)(ordinal))
#define NGI_ROWID_DOC(rowid) ((long long)(rowid) >> NGI_ORDINAL_BITS)
#define NGI_ROWID_ORDINAL(rowid) ((int)((rowid)&NGI_MAX_ORDINAL))

typedef struct ngi_store ngi_store;
typedef struct ngi_lexicon ngi_lexicon;
typedef struct ngi_variants ngi_variants;

/* An open index.  Each field belongs to the module named beside it. */
struct ng_index {
  char *path;            /* index.c: the index file as given */
  int writable;          /* index.c: opened with NG_OPEN_WRITE */
  int lock_fd;           /* index.c: "<path>.lock", flocked for the handle's life */
  char *unpublished;     /* index.c: a new index's temporary file, until it is published */
  int rebuild;           /* index.c: NG_OPEN_REBUILD: the new file replaces the old at the run's end */
  int abandoned;         /* index.c: a run on the unpublished file failed: it is never published */
  ng_index *previous;    /* index.c: rebuilding: the old index, open read-only, or NULL */
  char *previous_err;    /* index.c: rebuilding: why the old index could not be opened, or NULL */
  int busy_ms;           /* index.c: the connection's busy timeout */
  ngi_store *store;      /* store.c: the connection, its statements, the transaction */
  ngi_lexicon *lx;       /* tokenize.c: made by store.c when it connects */
  ngi_variants *vars;    /* variants.c: loaded by expand.c on first use */
  long long damage_seen; /* util.c: SQLite's count of reported corruption when the handle opened */
  int err_code;          /* util.c (ngi_fail): the last error's status code */
  char err[1024];        /* util.c (ngi_fail), for every module: the last error's message */
};

/**************************************************************************
** Interface to util.c: growable buffers, a string map, UTF-8, hashing,
** paths.
*/

typedef struct buf {
  char *data; /* NUL-terminated when non-NULL */
  size_t len, cap;
  int oom; /* sticky: an append failed */
} buf;

void ngi_buf_free(buf *b);
void ngi_buf_reset(buf *b);
int ngi_buf_reserve(buf *b, size_t extra);
int ngi_buf_add(buf *b, const char *s, size_t n);
int ngi_buf_adds(buf *b, const char *s);
int ngi_buf_addc(buf *b, char c);
int ngi_buf_printf(buf *b, const char *fmt, ...) NGI_PRINTF(2, 3);
int ngi_buf_add_utf8(buf *b, uint32_t cp);
char *ngi_buf_detach(buf *b); /* returns the data (caller frees), leaves b empty */

/* Open-addressing map from byte strings to pointers.  Keys are copied. */
typedef struct strmap_slot {
  char *key;
  size_t klen;
  uint64_t hash;
  void *value;
} strmap_slot;

typedef struct strmap {
  strmap_slot *slots;
  size_t cap, count;
} strmap;

void *ngi_map_get(const strmap *m, const char *key, size_t klen);
/* Inserts or replaces; returns 0, or -1 when out of memory. */
int ngi_map_put(strmap *m, const char *key, size_t klen, void *value);
void ngi_map_clear(strmap *m, void (*free_value)(void *));

/* A growable list of strings (copied). */
typedef struct strlist {
  char **items;
  size_t n, cap;
} strlist;
int ngi_strlist_add(strlist *l, const char *s); /* 0, or -1 when out of memory */
void ngi_strlist_free(strlist *l);

uint64_t ngi_hash(const void *data, size_t n);

/* Length of the UTF-8 sequence at s (of at most n bytes) and its code point,
 * or 0 when the bytes there are not valid UTF-8 (overlong forms, surrogates
 * and values past U+10FFFF are invalid). */
size_t ngi_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Length of the longest valid UTF-8 prefix of s. */
size_t ngi_utf8_valid_prefix(const char *s, size_t n);
/* Number of code points in s (n bytes of valid UTF-8). */
size_t ngi_utf8_length(const char *s, size_t n);

/* Lexically cleans a path: absolute (against the working directory), no
 * ".", "..", "//" or trailing "/".  Returns a malloc'd string or NULL. */
char *ngi_clean_path(const char *path);

/* A copy of s, or NULL when s is NULL or memory is short. */
char *ngi_strdup_n(const char *s, size_t n);

/* Sets the handle's message and code (any module's error); returns code. */
int ngi_fail(ng_index *idx, int code, const char *fmt, ...) NGI_PRINTF(3, 4);

/* Counts the damage SQLite reports in its error log (SQLITE_CORRUPT,
 * SQLITE_NOTADB), process-wide; ng_init installs the log (it must come
 * before SQLite starts). */
void ngi_watch_damage(void);
long long ngi_damage_count(void);

/* End of util.c */

/**************************************************************************
** Interface to date.c: dates as articles and feeds write them -> ISO 8601.
*/

/* Normalizes a date to "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" (no zone given)
 * or "YYYY-MM-DDTHH:MM:SSZ" (a zone given, converted to UTC); out holds 21
 * bytes at least.  Returns 0, or -1 when the text is not a date it knows. */
int ngi_date_normalize(const char *text, char *out, size_t n);

/* End of date.c */

/**************************************************************************
** Interface to decode.c: bytes off disk -> clean UTF-8.
*/

enum ngi_decode_result { NGI_DECODE_OK = 0, NGI_DECODE_BINARY = 1, NGI_DECODE_BAD = 2, NGI_DECODE_NOMEM = 3 };

typedef struct decoded {
  char *text; /* malloc'd UTF-8, '\n' line ends, no controls but '\t' */
  size_t len;
  const char *encoding; /* static: "UTF-8", "UTF-16LE", ... or the fallback name */
} decoded;

/* Reads a whole regular file of at most limit bytes (a file that grows
 * past it while read counts as larger) into *data (malloc'd, NUL-terminated)
 * and fills *st.  Returns 0, or an errno value: EFBIG over the limit,
 * EINVAL not a regular file, ENOMEM, or what open/read said. */
int ngi_read_file(const char *path, long long limit, char **data, size_t *len, struct stat *st);

/* Decodes bytes: a UTF-8 BOM is dropped, UTF-16/32 need a BOM, other text
 * that is not valid UTF-8 is converted from fallback with iconv (falling
 * back to ISO-8859-1 for bytes fallback cannot map).  NUL bytes outside
 * UTF-16/32 make the input binary.  CRLF and CR become LF; control
 * characters but tab and LF become spaces.  On NGI_DECODE_BAD err says why. */
int ngi_decode(const char *bytes, size_t n, const char *fallback, decoded *out, char *err, size_t errlen);
/* Checks that iconv knows the encoding name: 0 or -1. */
int ngi_decode_check_encoding(const char *name);
/* Cleans valid UTF-8 in place as ngi_decode does (line ends, controls);
 * returns the new length. */
size_t ngi_decode_clean(char *s, size_t n);

/* End of decode.c */

/**************************************************************************
** Interface to segment.c: article text -> headline, dateline, paragraphs.
*/

#define NGI_MAX_PASSAGE_BYTES 65536
#define NGI_MAX_PASSAGES NGI_MAX_ORDINAL /* ordinals fit in a rowid's low bits */

typedef struct passage {
  size_t offset, len; /* text in article.texts */
  int kind;           /* ng_kind */
  int first_line, last_line;
} passage;

typedef struct article {
  char *title, *dateline, *date, *source, *url, *author; /* malloc'd or NULL */
  passage *passages;
  size_t npassages, cap;
  buf texts; /* passage texts, each NUL-terminated */
} article;

/* Splits text (clean UTF-8 from ngi_decode) into passages.  When title is
 * non-NULL the text is a body only: title becomes the headline at line 1
 * and body lines are numbered from 3.  Otherwise a header block (Title:,
 * Date:, Source:, URL:, Author:, then a blank line) is read when present
 * and the headline found as described in segment.c.  Returns NG_OK,
 * NG_EDATA (too many paragraphs) or NG_ESYSTEM (memory). */
int ngi_segment(const char *text, size_t len, const char *title, article *out);
void ngi_article_free(article *a);
static inline const char *ngi_article_text(const article *a, size_t i) { return a->texts.data + a->passages[i].offset; }

/* End of segment.c */

/**************************************************************************
** Interface to feed.c: JSON Lines records.
*/

typedef struct feed_record {
  char *id, *title, *body, *date, *source, *url, *author; /* malloc'd or NULL */
} feed_record;

/* Parses one line.  Returns NG_OK, NG_DONE for a blank line, or NG_EDATA
 * with err set ("missing field body", "not JSON: ..."), NG_ESYSTEM when
 * memory ran out. */
int ngi_feed_parse(const char *line, size_t n, feed_record *rec, char *err, size_t errlen);
void ngi_feed_record_free(feed_record *rec);

/* End of feed.c */

/**************************************************************************
** Interface to tokenize.c: the "nutgraf" FTS5 tokenizer, its lexicon, and
** token streams.
**
** Tokens are unicode61's (case folded, diacritics removed), with apostrophes
** kept inside English words, stemmed with Snowball.  A hyphenated compound
** (cease-fire) also yields the stem of its parts joined (ceasefire),
** colocated with its first and last part.  In query mode a string that
** starts with NGI_VERBATIM holds stems separated by spaces, used as they
** are.  The lexicon (stemmer, word cache, the words not yet in the word
** table) is opaque: only tokenize.c sees inside it.
*/

#define NGI_VERBATIM '\x01'
#define NGI_MAX_TOKEN 200  /* longer tokens are cut to this many bytes */
#define NGI_MAX_STEMMED 64 /* longer tokens are not stemmed */

/* Checks that Snowball knows the language: 0 or -1. */
int ngi_lexicon_known_language(const char *language);
/* Creates a lexicon for language and registers the "nutgraf" tokenizer on
 * a connection's FTS5 API (ngi_fts5_api) with it.  record: note the words met while tokenizing documents that
 * are not in the word table yet (write handles, the indexing worker).
 * NG_OK, NG_EUSAGE (unknown language) or NG_ESYSTEM, message in err. */
int ngi_lexicon_new(ngi_lexicon **out, fts5_api *api, const char *language, int record, char *err, size_t errlen);
void ngi_lexicon_free(ngi_lexicon *lx); /* accepts NULL */
const char *ngi_lexicon_language(const ngi_lexicon *lx);
/* The stem of a folded word; owned by the lexicon until ngi_lexicon_forget. */
const char *ngi_lexicon_stem(ngi_lexicon *lx, const char *raw, size_t n, size_t *stemlen);
/* Appends the words met first since the last call as "raw\0stem\0" pairs
 * and counts them as stored; NG_OK or NG_ESYSTEM. */
int ngi_lexicon_take_fresh(ngi_lexicon *lx, buf *pairs);
/* Forgets that the words taken or noted were stored (their transaction
 * rolled back, or their job failed). */
void ngi_lexicon_unstore(ngi_lexicon *lx);
/* Drops the word cache when it has grown large (after the fresh words
 * were taken). */
void ngi_lexicon_forget(ngi_lexicon *lx);

typedef struct lex_token {
  const char *stem;
  size_t stemlen;
  const char *raw; /* folded word as written */
  size_t rawlen;
  int start, end;   /* byte offsets in the text */
  int hyphen_after; /* the token is followed by a single hyphen and a word */
} lex_token;
typedef int (*lex_token_fn)(void *ctx, const lex_token *t);
/* Tokenizes text the way the index does, without joining compounds,
 * calling fn for each token; returns SQLITE_OK or fn's non-zero result. */
int ngi_tokenize(ngi_lexicon *lx, const char *text, int n, void *ctx, lex_token_fn fn);

/* Token streams: the tokens a document's text yields, worked out ahead (on
 * the indexing worker) and replayed when FTS5 asks the tokenizer for that
 * text.  ngi_tokens_encode appends the stream of text to out, opening with
 * the text's length and hash (SQLITE_OK or SQLITE_NOMEM).  While a stream
 * is expected (ngi_tokens_expect; NULL stops), a document tokenizing of
 * the text it was made from replays it, and any other text is tokenized
 * afresh.  The stream must live until the expectation is dropped. */
int ngi_tokens_encode(ngi_lexicon *lx, const char *text, int n, buf *out);
void ngi_tokens_expect(ngi_lexicon *lx, const char *stream, size_t len);
/* How many streams the lexicon's tokenizer replayed (for tests). */
long long ngi_tokens_replayed(const ngi_lexicon *lx);

/* End of tokenize.c */

/**************************************************************************
** Interface to pipeline.c: a document's way from bytes to tokens, for
** files and feed records alike, on a worker thread.
*/

enum ngi_job_kind { NGI_JOB_FILE, NGI_JOB_RECORD };
enum ngi_job_outcome {
  NGI_PREP_ARTICLE, /* art (and streams) ready to store */
  NGI_PREP_SAME,    /* the content is what the index holds */
  NGI_PREP_SKIP     /* not indexed: see severity, error_class, message */
};

/* A set of content hashes, to tell unchanged feed records without
 * segmenting them; read-only while jobs that point to it are queued. */
typedef struct hashset {
  uint64_t *slots; /* 0 is empty */
  size_t cap, count;
} hashset;
int ngi_hashset_add(hashset *s, uint64_t h);
int ngi_hashset_has(const hashset *s, uint64_t h);
void ngi_hashset_free(hashset *s);

typedef struct ngi_job {
  struct ngi_job *next;
  /* Filled by the writer. */
  int kind;       /* ngi_job_kind */
  char *path;     /* NGI_JOB_FILE: the file */
  int check_same; /* compare the content with known_size and known_hash */
  long long known_size, known_hash;
  char *line; /* NGI_JOB_RECORD: one line of a feed, and its length */
  size_t linelen;
  long lineno;
  const hashset *known_records; /* NGI_JOB_RECORD: hashes of the feed's stored records, or NULL */
  /* Filled by the worker. */
  int done;
  int outcome; /* ngi_job_outcome */
  int severity, error_class, binary;
  char message[300];
  long long size, mtime_ns, hash;
  const char *encoding;
  feed_record rec;  /* NGI_JOB_RECORD: the record's fields (body and title moved into art) */
  article art;      /* NGI_PREP_ARTICLE */
  buf tokens;       /* the passages' token streams, one after another */
  size_t *token_at; /* passage i's stream is tokens[token_at[i], token_at[i + 1]), or NULL */
  buf words;        /* words met first: raw NUL stem NUL ... */
} ngi_job;

typedef struct ngi_pipeline ngi_pipeline;

int ngi_pipeline_start(ngi_pipeline **out, const char *language, const char *fallback, long long max_size, char *err,
                       size_t errlen);
/* Queues a job (the pipeline owns it until ngi_pipeline_take returns it). */
void ngi_pipeline_submit(ngi_pipeline *p, ngi_job *j);
/* The oldest job, once done (waits for it); NULL when none is queued. */
ngi_job *ngi_pipeline_take(ngi_pipeline *p);
size_t ngi_pipeline_pending(ngi_pipeline *p);
/* Hands a taken job back to be freed by the worker, off the writer's path
 * and in the thread whose allocator made most of its memory. */
void ngi_pipeline_give_back(ngi_pipeline *p, ngi_job *j);
/* Stops the worker and frees the jobs still queued.  Accepts NULL. */
void ngi_pipeline_stop(ngi_pipeline *p);
/* Does a job's work in the calling thread, with lexicon lx (what the
 * worker runs; tests call it directly). */
void ngi_pipeline_prepare(ngi_lexicon *lx, const char *fallback, long long max_size, ngi_job *j);
void ngi_job_free(ngi_job *j);

/* End of pipeline.c */

/**************************************************************************
** Interface to walk.c: the roots of a run -> files to read, and what the
** index knows of each (the catalog), to tell what changed.
*/

enum ngi_doc_kind { NGI_DOC_ARTICLE = 0, NGI_DOC_FEED = 1, NGI_DOC_RECORD = 2 };

typedef struct ngi_known {
  long long id, size, mtime_ns, hash, indexed_ns, feed, passages;
  int kind;                       /* ngi_doc_kind */
  int seen;                       /* met in this run (or kept by its unchanged feed) */
  struct ngi_known *next_in_feed; /* a record: the next record of its feed */
  char path[];
} ngi_known;

/* The documents the index holds, by path, loaded once per run, with each
 * feed's records listed. */
typedef struct ngi_catalog {
  strmap docs;  /* path -> ngi_known */
  strmap feeds; /* feed document id (8 bytes) -> its first record */
} ngi_catalog;

int ngi_catalog_load(ng_index *idx, ngi_catalog *c);
ngi_known *ngi_catalog_get(const ngi_catalog *c, const char *path);
/* Adds a document the run is writing (id 0 until stored); NULL when memory
 * is short. */
ngi_known *ngi_catalog_add(ngi_catalog *c, const char *path, int kind, long long feed);
/* The records of a feed, linked by next_in_feed. */
ngi_known *ngi_catalog_records(const ngi_catalog *c, long long feed_id);
void ngi_catalog_free(ngi_catalog *c);
/* Marks the records of feed feed_id as seen (an unchanged feed keeps them). */
void ngi_catalog_keep_records(ngi_catalog *c, long long feed_id);
/* Is the file at st what the index holds, by size and mtime alone (not a
 * racy file, not a --full run)? */
int ngi_unchanged(const ngi_known *k, const struct stat *st, int full);
long long ngi_mtime_ns(const struct stat *st);

/* The index's own files -- the index, its -wal, -shm and -journal files,
 * its lock and a new index's temporary files -- known by their directory
 * and names, and by the identity (device and inode) of those that exist
 * when the run starts, so that no path that reaches them (a symbolic link
 * to their directory or to one of them) makes them documents. */
typedef struct ngi_own {
  dev_t dir_dev;
  ino_t dir_ino;
  int have_dir;
  char *base; /* the index's file name */
  struct {
    dev_t dev;
    ino_t ino;
  } files[6];
  size_t nfiles;
} ngi_own;

/* NG_OK, or NG_ESYSTEM when memory is short. */
int ngi_own_init(ngi_own *own, const char *index_path);
void ngi_own_free(ngi_own *own);
/* Is name (a directory entry) one of the index's file names? */
int ngi_own_name(const ngi_own *own, const char *name);
/* Is path (with its stat st, or NULL) one of the index's own files? */
int ngi_own_is(const ngi_own *own, const char *path, const struct stat *st);

typedef struct ngi_walk_ops {
  void *ctx;
  /* A regular file to index; st is NULL for a file found by readdir as a
   * regular file that the index does not know (it was not stat'ed). */
  int (*file)(void *ctx, const char *path, const struct stat *st, int as_feed);
  /* A problem with a path: severity NG_SEV_WARNING or NG_SEV_ERROR (class
   * NG_EDATA).  failed: nothing under path may be removed. */
  int (*problem)(void *ctx, const char *path, int severity, const char *message, int failed);
  const ngi_own *own;         /* the index's own files, never visited */
  const char *const *exclude; /* fnmatch globs on names */
  const ngi_catalog *catalog;
  /* Memory ran out at path: the walk stops with this result (NULL:
   * NG_ESYSTEM). */
  int (*out_of_memory)(void *ctx, const char *path);
} ngi_walk_ops;

/* Walks root (a cleaned absolute path: a file, or a directory walked
 * recursively, names sorted, hidden entries and excluded names skipped,
 * symbolic links followed with loops detected); files ending in .jsonl,
 * and root itself with as_feed, are passed on as feeds.  shown names root
 * in its own problems.  Returns NG_OK, NG_EDATA when root itself cannot be
 * read, or the first non-zero result of a callback. */
int ngi_walk(const ngi_walk_ops *ops, const char *root, const char *shown, int as_feed);

/* End of walk.c */

/**************************************************************************
** Interface to index.c: the handle -- opening, locking, creating and
** publishing an index file, errors.
*/

/* Commits the handle's transaction, and publishes a new index with its
 * first commit -- but not a rebuilt one (NG_OPEN_REBUILD). */
int ngi_index_commit(ng_index *idx);
/* The same for a run's last commit: a rebuilt index is published too. */
int ngi_index_commit_final(ng_index *idx);
/* A run on the handle failed: an index it was building is removed and
 * never published (the old one, when rebuilding, stays as it was). */
void ngi_index_abandon(ng_index *idx);
/* Is the handle building a new file that no one sees yet? */
int ngi_index_private(const ng_index *idx);

/* End of index.c */

/**************************************************************************
** Interface to store.c: every statement on the index's tables.
**
** The shape of SQLite's fts5_storage.c: the statements and their bindings
** are private to store.c, which offers row operations.  Each returns
** NG_OK (or a count or flag where said) or an error code with the
** handle's message set.
*/

/* The FTS5 API of a connection (any connection: the indexing worker's
 * in-memory one too), or NULL. */
fts5_api *ngi_fts5_api(sqlite3 *db);

/* Files: creating the schema in a new file, connecting the handle. */
int ngi_store_create(ng_index *idx, const char *file, const char *language);
/* Opens file for the handle (idx->store, idx->lx) and checks that it is a
 * nutgraf index of this version.  fresh: a file no reader knows yet (no
 * sync, a small cache). */
int ngi_store_connect(ng_index *idx, const char *file, const char *want_language, int fresh);
/* Closes the connection, rolling back what was not committed. */
void ngi_store_disconnect(ng_index *idx);
int ngi_store_connected(const ng_index *idx);
/* Switches a new index to WAL mode before it is published. */
int ngi_store_use_wal(ng_index *idx);

/* Transactions. */
int ngi_store_begin(ng_index *idx);
int ngi_store_commit(ng_index *idx);
void ngi_store_rollback(ng_index *idx);
int ngi_store_in_transaction(const ng_index *idx);

/* Documents and passages. */
typedef struct ngi_doc_row {
  long long id; /* 0: a new document (set by ngi_store_put_document) */
  const char *path;
  int kind;                                                               /* ngi_doc_kind */
  long long feed;                                                         /* a record's feed document, or 0 */
  const char *title, *dateline, *date, *source, *url, *author, *encoding; /* or NULL */
  long long size, mtime_ns, hash, indexed_ns, passages;
} ngi_doc_row;

/* Calls fn for every document (path and the fields change detection uses;
 * strings live during the call); stops at fn's first non-zero result. */
int ngi_store_each_document(ng_index *idx, int (*fn)(void *ctx, const ngi_doc_row *row), void *ctx);
/* Inserts (row->id 0, set here) or updates a document's row. */
int ngi_store_put_document(ng_index *idx, ngi_doc_row *row);
/* Records a new size, mtime and indexing time. */
int ngi_store_touch_document(ng_index *idx, long long id, long long size, long long mtime_ns, long long indexed_ns);
int ngi_store_delete_document(ng_index *idx, long long id);
/* Reads document id's whole row; its strings go into *strings (and live
 * as long as it does, unchanged).  NG_EDATA when there is no such row. */
int ngi_store_get_document(ng_index *idx, long long id, ngi_doc_row *row, buf *strings);
/* Calls fn with each passage of doc, in ordinal order (strings live
 * during the call); stops at fn's first non-zero result. */
int ngi_store_each_passage(ng_index *idx, long long doc,
                           int (*fn)(void *ctx, int ordinal, int kind, const char *text, int first, int last),
                           void *ctx);
/* Deletes passages 0..count of a document; adds what went to *removed. */
int ngi_store_delete_passages(ng_index *idx, long long doc, long long count, long long *removed);
/* Inserts one passage; stream (or NULL) is its token stream from the
 * worker (tokenize.c replays it, or tokenizes afresh on a mismatch). */
int ngi_store_put_passage(ng_index *idx, long long doc, int ordinal, const passage *p, const char *text,
                          const char *stream, size_t streamlen);

/* The word table (words as written -> stems). */
/* Queues "raw\0stem\0" pairs to be stored by the next commit. */
int ngi_store_queue_words(ng_index *idx, const char *pairs, size_t len);
/* The stem the table has for raw into out: 1 found, 0 not, or an error. */
int ngi_store_word_stem(ng_index *idx, const char *raw, size_t n, buf *out);
/* Calls fn with each distinct stem of the words starting with prefix (at
 * most max). */
int ngi_store_prefix_stems(ng_index *idx, const char *prefix, int max, void (*fn)(void *ctx, const char *stem),
                           void *ctx);
/* Calls fn with each word (and its stem) starting with first whose length
 * is between minlen and maxlen bytes. */
int ngi_store_words_like(ng_index *idx, const char *first, int minlen, int maxlen,
                         void (*fn)(void *ctx, const char *raw, const char *stem), void *ctx);
/* The number of passages holding the stem: a count, or -1 on error. */
long long ngi_store_stem_passages(ng_index *idx, const char *stem);

/* Hits.  A hit query is a MATCH expression with filters, turned into SQL
 * by store.c's builder, which appends each placeholder with its value. */
enum ngi_filter_field { NGI_FIELD_TITLE, NGI_FIELD_SOURCE, NGI_FIELD_PATH };

typedef struct ngi_filter {
  int field; /* ngi_filter_field */
  int negated;
  char *value; /* source/path: text as typed; title: an FTS5 expression */
} ngi_filter;

typedef struct ngi_hit_query {
  const char *match; /* the FTS5 expression (for a query of only filters: "{head} : (...)") */
  double weights[2]; /* the rank function's arguments: headline weight, context weight */
  const ngi_filter *filters;
  size_t nfilters;
  const ngi_filter *skip_filter; /* a filter already in match */
  const char *since, *until;     /* normalized dates or NULL */
  int per_document, sort;        /* ng_search_options' */
  long limit, offset;            /* limit < 0: all */
  int snippet_tokens;
  int all; /* every passage in document order; match ignored */
} ngi_hit_query;

typedef struct ngi_hit_row {
  long long rowid, doc;
  double score;
  const char *path, *title, *dateline, *date, *source, *url, *author;
  const char *head, *body; /* one of them is NULL */
  int first_line, last_line;
  const char *snippet; /* or NULL: the page's snippets come from ngi_store_snippets */
} ngi_hit_row;

typedef struct ngi_hits ngi_hits;
/* Prepares the query's page of hits.  NG_OK, or an error. */
int ngi_store_hits_open(ng_index *idx, const ngi_hit_query *q, ngi_hits **out);
/* NG_ROW with *row filled (strings live until the next step), NG_DONE, or
 * an error; *sqlite_code gets SQLite's code of a failed step (so a bad
 * raw FTS5 expression can be told from a system error). */
int ngi_store_hits_step(ngi_hits *h, ngi_hit_row *row, int *sqlite_code);
void ngi_store_hits_close(ngi_hits *h);
/* The number of passages (documents, with per_document) the query matches. */
int ngi_store_hits_count(ng_index *idx, const ngi_hit_query *q, long long *count, int *sqlite_code);
/* The snippet of each of n texts (kinds[i]: ng_kind) for FTS5 expression
 * match, into snippets[i] (malloc'd, or NULL when the text does not match). */
int ngi_store_snippets(ng_index *idx, const char *match, int tokens, const char *const *texts, const int *kinds,
                       size_t n, char **snippets);
/* SQLite's message for the last failed statement. */
const char *ngi_store_errmsg(const ng_index *idx);

/* Sets the handle's message from SQLite's error (with a context prefix)
 * and returns NG_ESYSTEM (NG_EDATA for a damaged file). */
int ngi_store_fail(ng_index *idx, const char *context);

/* End of store.c */

/**************************************************************************
** Interface to ingest.c: incremental runs (the ng_run API; nothing else).
*/

/* End of ingest.c */

/**************************************************************************
** Interface to rank.c: the nutgraf_rank() FTS5 auxiliary function.
*/

/* Registers nutgraf_rank with a connection's FTS5 API. */
int ngi_rank_register(fts5_api *api);

/* End of rank.c */

/**************************************************************************
** Interface to variants.c: equivalent forms used at query time.
*/

/* The variants compiled in from data/variants.txt (variants_data.c). */
extern const char ngi_builtin_variants[];

ngi_variants *ngi_variants_new(void);
void ngi_variants_free(ngi_variants *v);
/* Adds groups from text (one group a line, forms separated by commas,
 * '#' comments).  Each form is reduced to its stems with lx.  Returns NG_OK
 * or NG_EDATA with err naming the line (origin is used in the message). */
int ngi_variants_add_text(ngi_variants *v, ngi_lexicon *lx, const char *text, size_t n, const char *origin, char *err,
                          size_t errlen);
/* The group of the stem sequence key ("stem stem ..."), or -1. */
int ngi_variants_lookup(ngi_variants *v, const char *key);
/* Members of group g: their stem sequences, and forms as written. */
size_t ngi_variants_group_size(const ngi_variants *v, int g);
const char *ngi_variants_member_key(const ngi_variants *v, int g, size_t i);
const char *ngi_variants_member_form(const ngi_variants *v, int g, size_t i);
/* Longest member, in stems, of any group (to bound phrase matching). */
size_t ngi_variants_max_len(const ngi_variants *v);

/* End of variants.c */

/**************************************************************************
** Interface to parse.c: what a person types -> a query tree.  No index,
** no SQLite: bytes in, tree out.
*/

#define NGI_MAX_QUERY_BYTES 16384
#define NGI_MAX_QUERY_TERMS 256
#define NGI_MAX_QUERY_DEPTH 16

enum ngi_node_type { NGI_WORD, NGI_PHRASE, NGI_AND, NGI_OR, NGI_NEAR, NGI_FILTER, NGI_EXPR };

typedef struct qnode {
  int type;     /* ngi_node_type */
  char *text;   /* NGI_WORD, NGI_PHRASE: as typed; NGI_EXPR: rendered FTS5 */
  int prefix;   /* NGI_WORD: word*; NGI_PHRASE: "a b"* */
  int negated;  /* excluded from its AND group */
  int required; /* +word: required even with --any */
  int explicit_and;
  int field;    /* NGI_FILTER: ngi_filter_field; its value is kids[0] */
  int distance; /* NGI_NEAR */
  struct qnode **kids;
  size_t nkids, cap;
} qnode;

typedef struct query_tree {
  qnode *root;   /* an NGI_AND node */
  char *text;    /* the cleaned query the tree was parsed from */
  int fallback;  /* the syntax failed and the words were read plainly */
  int truncated; /* the query was cut at NGI_MAX_QUERY_BYTES */
} query_tree;

/* A copy of query with control characters and bytes that are not UTF-8 made
 * spaces, cut at NGI_MAX_QUERY_BYTES (*truncated set then); malloc'd, or
 * NULL. */
char *ngi_query_clean(const char *query, size_t *len, int *truncated);
/* Parses query into *out.  Never fails on syntax (it falls back to plain
 * words); NG_OK or NG_ESYSTEM (memory). */
int ngi_query_parse(const char *query, query_tree *out);
void ngi_query_tree_free(query_tree *t);
/* Node helpers for the expander. */
qnode *ngi_qnode_new(int type);
void ngi_qnode_free(qnode *n);
int ngi_qnode_add(qnode *n, qnode *kid);

/* End of parse.c */

/**************************************************************************
** Interface to expand.c: a query tree -> an FTS5 expression over stems.
*/

typedef struct parsed_query {
  char *fts; /* the FTS5 expression, or NULL when only filters */
  ngi_filter *filters;
  size_t nfilters;
  buf explain;   /* how the query was understood, lines of text */
  int fallback;  /* the syntax failed and the words were read plainly */
  int has_not;   /* the expression excludes something */
  int truncated; /* too many words: the rest were dropped */
} parsed_query;

/* Parses and expands query: stems (the index's tokenizer), variants,
 * compounds the index knows, prefixes.  Returns NG_OK, NG_EUSAGE (nothing
 * searchable, message on idx) or NG_ESYSTEM. */
int ngi_query_expand(ng_index *idx, const char *query, const ng_search_options *opts, parsed_query *out);
void ngi_parsed_query_free(parsed_query *q);
/* Loads the variants (built-in, then files added) on first use. */
int ngi_expand_variants(ng_index *idx);

/* End of expand.c */

#endif
