/*
 * nutgraf.h -- the public interface of libnutgraf.
 *
 * libnutgraf keeps an SQLite FTS5 index of the paragraphs ("passages") of news
 * articles, stemmed with Snowball, and searches it.  Everything the two
 * programs nutgraf-index and nutgraf-query do goes through this header.
 *
 * Conventions (they hold for every function below):
 *  - Status codes: 0 (NG_OK) is success, positive values are non-error
 *    outcomes (NG_ROW, NG_DONE), negative values are errors: NG_EUSAGE (the
 *    caller's argument or query), NG_EDATA (the data: input or index),
 *    NG_ESYSTEM (the machine), NG_EBUSY (another writer).
 *  - A handle keeps the message of its last error; ng_index_errmsg() returns
 *    it.  The library never prints and never exits.
 *  - Destructors accept NULL.  A constructor that fails sets *out to NULL
 *    (or, for ng_index_open, to a handle that only carries the error message,
 *    which must still be closed).
 *  - Strings are UTF-8 and NUL-terminated unless a length is given.
 *  - A handle is used by one thread at a time.
 */
#ifndef NUTGRAF_H
#define NUTGRAF_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NG_VERSION_STRING "0.1.0"
/* Version of the index schema this library reads and writes. */
#define NG_SCHEMA_VERSION 4
/* Version of the JSON records written by nutgraf-query --format json
 * (documented in nutgraf-query(1); schema in docs/json-schema.json). */
#define NG_JSON_VERSION 2

enum ng_status {
  NG_OK = 0,
  NG_ROW = 1,      /* an iterator produced an item */
  NG_DONE = 2,     /* an iterator is exhausted */
  NG_EUSAGE = -2,  /* bad argument or query */
  NG_EDATA = -3,   /* undecodable input; missing, damaged or incompatible index */
  NG_ESYSTEM = -4, /* I/O, SQLite or memory failure */
  NG_EBUSY = -5    /* another writer holds the index and we were told not to wait */
};

/* Returns the Snowball and SQLite versions as a static string such as
 * "nutgraf 0.1.0, SQLite 3.40.1, Snowball (libstemmer) with 29 languages". */
const char *ng_version_info(void);

/* Copies into buf (at most n bytes, NUL-terminated) the list of Snowball
 * language names, separated by spaces. */
void ng_languages(char *buf, size_t n);

/* Process-wide settings, called once before any other function of the
 * library and before the program uses SQLite itself (it turns SQLite's
 * allocation statistics off, which nutgraf never reads).  Optional: the
 * library works without it. */
void ng_init(void);

/* A copy of s that is safe to show on one line of a terminal: control
 * characters (C0, DEL, C1) and bytes that are not UTF-8 are written as \n,
 * \t, \xHH, a backslash as \\, and the characters that reorder or hide
 * text -- bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069), zero-width characters (U+200B-U+200D, U+2060, U+FEFF)
 * and the line and paragraph separators (U+2028, U+2029) -- as \uXXXX.
 * Returns a malloc'd string the caller frees, or NULL (out of memory). */
char *ng_display_string(const char *s);

/* NG_OK when iconv knows the encoding name, else NG_EUSAGE. */
int ng_check_encoding(const char *name);

/* NG_OK when Snowball has a stemmer for the language, else NG_EUSAGE. */
int ng_check_language(const char *language);

/* ------------------------------------------------------------------ */
/* Opening an index                                                    */

typedef struct ng_index ng_index;

enum ng_open_flags {
  NG_OPEN_READONLY = 0, /* searching: never writes, never locks */
  NG_OPEN_WRITE = 1,    /* indexing: takes the writer lock for the handle's life */
  NG_OPEN_CREATE = 2,   /* with NG_OPEN_WRITE: create the index when missing */
  NG_OPEN_NOWAIT = 4,   /* with NG_OPEN_WRITE: NG_EBUSY instead of waiting for the lock */
  NG_OPEN_REBUILD = 8   /* with NG_OPEN_WRITE: build a new index that replaces this one
                           when a run on the handle finishes (see ng_index_open) */
};

typedef struct ng_open_options {
  unsigned version;     /* NG_OPEN_OPTIONS_VERSION */
  unsigned flags;       /* ng_open_flags */
  const char *language; /* Snowball language when creating (NULL: "english"); when the
                           index exists and language is non-NULL it must match */
  int busy_timeout_ms;  /* how long a reader retries a busy database (0: 10000) */
} ng_open_options;
#define NG_OPEN_OPTIONS_VERSION 1
#define NG_OPEN_OPTIONS_INIT \
  { NG_OPEN_OPTIONS_VERSION, NG_OPEN_READONLY, NULL, 0 }

/* Opens the index at path.  With NG_OPEN_WRITE the writer lock (a file
 * "<path>.lock" held with flock) is taken first, waiting for another writer
 * unless NG_OPEN_NOWAIT; a missing index is then created when
 * NG_OPEN_CREATE is set (the parent directory too).  A new index appears at
 * path, whole, when the handle's first batch is committed, at the latest
 * when a run on it finishes or the handle is closed; until then a reader
 * finds no index there (NG_EDATA).  A read-only handle
 * sees the last committed state and is never blocked by a writer.
 *
 * Nothing is written to or beside a file that is not a nutgraf index (its
 * header is read first), and a writer opens no file of the index through a
 * symbolic link: the index, "<path>.lock" (which must be a regular file of
 * the caller's or the index's owner) and SQLite's "-wal", "-shm" and
 * "-journal" files.  A read-only handle on an index whose directory it may
 * not write uses the "-wal" and "-shm" files writers leave beside it, or,
 * when there are none, reads the file as immutable.
 *
 * NG_OPEN_REBUILD (with NG_OPEN_WRITE; NG_OPEN_CREATE is implied): the
 * handle writes a new index under a temporary name, whatever state the
 * old one is in (even damaged), and ng_run_finish renames it over the old
 * one; until then readers see the old index, and closing the handle
 * without a finished run leaves the old index as it was.  A run on such a
 * handle also carries over what the old index held outside the run's
 * paths (see ng_run_begin).  A file that is not a nutgraf index is still
 * refused, except one whose header was damaged beside a lock file of its
 * owner.  The new index is in language, else the old index's.
 *
 * Returns NG_OK, NG_EUSAGE (unknown language), NG_EDATA (missing, not an
 * index, other schema version, other language, a symbolic link or another
 * user's file where the index's files are), NG_EBUSY or NG_ESYSTEM.
 * *out is always set: on error it holds only the message, so the caller can
 * print ng_index_errmsg(*out) and then must call ng_index_close(*out).
 * opts may be NULL (read-only). */
int ng_index_open(ng_index **out, const char *path, const ng_open_options *opts);

/* Closes the handle, releases the writer lock.  A new index (NG_OPEN_CREATE)
 * that no run committed is published empty, unless a run on the handle
 * failed: then nothing is published.  Accepts NULL. */
void ng_index_close(ng_index *idx);

/* The message of the handle's last error, or "" -- owned by the handle,
 * valid until its next call.  Accepts NULL (returns "out of memory"). */
const char *ng_index_errmsg(const ng_index *idx);

/* The index's Snowball language; owned by the handle. */
const char *ng_index_language(const ng_index *idx);

/* The default index path: $NUTGRAF_INDEX, else $XDG_DATA_HOME/nutgraf/index.db,
 * else $HOME/.local/share/nutgraf/index.db.  Returns a malloc'd string the
 * caller frees, or NULL when none can be worked out (no HOME). */
char *ng_default_index_path(void);

typedef struct ng_index_stats {
  long long documents; /* documents with passages or files seen, feeds excluded */
  long long passages;
  long long words; /* distinct terms (stems) of the live passages: counted by
                      ng_index_check, which reads every posting; -1 from
                      ng_index_get_stats, which stays cheap */
  long long bytes; /* size of the database file */
} ng_index_stats;

/* Fills *stats.  NG_OK or NG_ESYSTEM. */
int ng_index_get_stats(ng_index *idx, ng_index_stats *stats);

/* When the index last took in a document: the time, in nanoseconds since
 * the epoch, at which a document (file or feed record) was last indexed --
 * added, changed, or read again and found the same because its file's
 * size or time had changed -- or 0 for an index with none.  Removals do
 * not move it.  It reads every document row (no index on that column):
 * a caller asking often keeps the answer until the index file changes.
 * NG_OK or NG_ESYSTEM. */
int ng_index_last_indexed(ng_index *idx, long long *ns);

/* Verifies the index: SQLite's quick_check, the FTS5 integrity-check and the
 * consistency of documents and passages; counts go to *stats (may be NULL).
 * NG_OK when sound, NG_EDATA when damaged (message says what), NG_ESYSTEM. */
int ng_index_check(ng_index *idx, ng_index_stats *stats);

/* Like ng_index_check, and calls problem (may be NULL) once for each
 * problem found, a line of text without a newline (SQLite's multi-line
 * reports are split; at most 100 lines, then one that says how many more).
 * Returns as ng_index_check; its message is then the first problem. */
int ng_index_verify(ng_index *idx, ng_index_stats *stats, void (*problem)(void *ctx, const char *line), void *ctx);

/* Merges the FTS5 b-trees and truncates the write-ahead log (write handle). */
int ng_index_optimize(ng_index *idx);

/* Copies the write-ahead log into the index file (a checkpoint), as a
 * write handle does on its own after each large commit.  NG_OK (done, or
 * put off because a reader still uses the log: nothing is lost), or
 * NG_ESYSTEM when it failed (a full disk): every committed change is kept
 * in the log, searches see it, and a later checkpoint with room finishes
 * the job; the message says so. */
int ng_index_checkpoint(ng_index *idx);

/* When SQLite has reported damage (a corrupt page, a file that is not a
 * database) since the handle was opened -- in this process, on any
 * connection -- its first report; else NULL.  A search can succeed on a
 * damaged index, with the damage in pages it did not need or that SQLite
 * stepped over: a caller can check this after searching.  Needs ng_init. */
const char *ng_index_damage(const ng_index *idx);

/* ------------------------------------------------------------------ */
/* Indexing runs                                                       */

typedef struct ng_run ng_run;

typedef struct ng_run_options {
  unsigned version;              /* NG_RUN_OPTIONS_VERSION */
  const char *fallback_encoding; /* for text that is not UTF-8 (NULL: WINDOWS-1252) */
  int full;                      /* re-read every file even when unchanged */
  long long max_file_size;       /* larger files are skipped (0: 256 MiB) */
  const char *const *exclude;    /* NULL-terminated fnmatch globs on base names, or NULL */
  /* Since version 2: */
  const char *source; /* the source of what the run reads that names none (an article
                         without a Source: header, a record without "source"), or NULL */
  int include_docs;   /* index the README* and *.md files met in directories, which
                         are skipped by default (a file given as a path is indexed) */
} ng_run_options;
#define NG_RUN_OPTIONS_VERSION 2
#define NG_RUN_OPTIONS_INIT \
  { NG_RUN_OPTIONS_VERSION, NULL, 0, 0, NULL, NULL, 0 }

enum ng_item_status {
  NG_ITEM_NEW = 0,
  NG_ITEM_CHANGED,
  NG_ITEM_UNCHANGED,
  NG_ITEM_REMOVED,
  NG_ITEM_SKIPPED /* not indexed; see severity and message */
};

enum ng_severity { NG_SEV_NONE = 0, NG_SEV_WARNING = 1, NG_SEV_ERROR = 2 };

/* What happened to one file or feed record, passed to the run's callback. */
typedef struct ng_item_report {
  const char *path;     /* as stored (absolute), or "<feed>//#<id>" ("stdin#<id>") for feed records,
                           or "<feed>:<line>" for a feed's line that could not be read */
  int status;           /* ng_item_status */
  int severity;         /* ng_severity */
  int error_class;      /* with NG_SEV_ERROR: NG_EDATA or NG_ESYSTEM */
  long passages;        /* passages written for this item */
  const char *encoding; /* encoding the text was read in, or NULL */
  const char *message;  /* one line, no trailing newline, or NULL */
} ng_item_report;

/* Called once per item; the report and its strings live until the call returns. */
typedef void (*ng_report_fn)(void *ctx, const ng_item_report *report);

typedef struct ng_run_stats {
  long long added, changed, removed, unchanged, skipped;
  long long passages_written; /* passages inserted by this run */
  long long passages_removed; /* passages deleted by this run */
  int worst;                  /* 0, NG_EDATA or NG_ESYSTEM: worst problem met */
} ng_run_stats;

/* Starts a run on a write handle.  report may be NULL.  opts may be NULL.
 * On a handle opened with NG_OPEN_REBUILD the run fills the new index: the
 * paths and feeds it is given, then, at ng_run_finish, every other file
 * and feed the old index held that still exists (read again), and the
 * records it held from standard input (copied); items are reported new,
 * changed or removed against the old index.
 * Returns NG_OK (*out set), NG_EUSAGE (read-only handle, bad encoding name)
 * or NG_ESYSTEM; the message is on idx. */
int ng_run_begin(ng_run **out, ng_index *idx, const ng_run_options *opts, ng_report_fn report, void *ctx);

/* Indexes a file, or a directory recursively (symbolic links followed, loops
 * detected, hidden entries skipped), and remembers the path as a root: at
 * ng_run_finish documents under it whose files are gone are removed.  Files
 * ending in ".jsonl" are read as feeds (see ng_run_add_feed).  Problems with
 * single files go to the report callback and into the run's worst status;
 * the return value is NG_OK, NG_EDATA when the path itself cannot be read
 * (nothing under it is removed then), or NG_ESYSTEM when the index failed
 * (the run must then be abandoned with ng_run_free). */
int ng_run_add_path(ng_run *run, const char *path);

/* Reads a JSON Lines feed: one article per line, an object with string
 * fields "id" (or a number), "title", "body" and optional "date", "source",
 * "url", "author".  name is "-" for stdin (fp NULL: stdin) or a file
 * path (fp NULL).  Records are stored as "<feed>//#<id>", where <feed> is
 * the feed file's path (no file path holds "//"), and each record's line
 * in the file is kept (ng_hit's feed_line); records read from a stream
 * without a name are "stdin#<id>".  A stored record with the same id is
 * replaced when it changed.  Bad lines are reported and skipped.  Returns
 * as ng_run_add_path. */
int ng_run_add_feed(ng_run *run, const char *name, FILE *fp);

/* Reads a JSON Lines feed from fp (NULL: stdin) as the feed named name:
 * its records are stored as "<name>//#<id>", apart from every other
 * feed's (two streams with the same ids keep both), and replace only the
 * records of that name.  A stream has no file: records keep no feed line.
 * name is 1 to 64 of the characters A-Z a-z 0-9 . _ - and does not start
 * with '.' or '-' (ng_check_feed_name); "stdin" is the feed of
 * ng_run_add_feed(run, "-", fp).  Returns NG_EUSAGE for a bad name, else
 * as ng_run_add_path. */
int ng_run_add_named_feed(ng_run *run, const char *name, FILE *fp);

/* NG_OK when name can name a feed read from a stream (see
 * ng_run_add_named_feed), else NG_EUSAGE. */
int ng_check_feed_name(const char *name);

/* Removes from the index what was indexed from what: a file, everything
 * under a directory (its feeds with their records), a feed file with its
 * records, a feed read from a stream by its name ("stdin" for the unnamed
 * one), or one record as FEED:ID (FEED a feed file or a feed's name).
 * what is matched against what the index holds, not against the files
 * there are (a file already gone can be removed).  Each document removed
 * is reported to the run's callback (NG_ITEM_REMOVED), feed files too;
 * the removal is committed by ng_run_finish.  A directory given here is
 * no root: nothing else under it is looked at.  Returns NG_OK, NG_DONE
 * when the index holds nothing from there, or NG_ESYSTEM. */
int ng_run_remove(ng_run *run, const char *what);

/* Commits, removes documents under the run's roots that were not seen, and
 * fills *stats (may be NULL).  The run is still to be freed.  NG_OK or
 * NG_ESYSTEM. */
int ng_run_finish(ng_run *run, ng_run_stats *stats);

/* Current counts of a run in progress (for progress lines). */
void ng_run_progress(const ng_run *run, ng_run_stats *stats);

/* The counts of a run as of its last commit: what is in the index even if
 * the run fails from here on (zero while a new index is not published). */
void ng_run_committed(const ng_run *run, ng_run_stats *stats);

/* NG_OK while the run can go on; once the index failed it (a call returned
 * NG_ESYSTEM), the class of that failure: NG_ESYSTEM (I/O, memory, a full
 * disk) or NG_EDATA (the index is damaged).  The message is on the index. */
int ng_run_failed(const ng_run *run);

/* Frees the run; work not yet committed by ng_run_finish is rolled back,
 * except batches already committed (each file is always all-or-nothing).
 * A run freed without a successful ng_run_finish on a new index that is
 * not yet published (or a rebuild) removes it: nothing is published. */
void ng_run_free(ng_run *run);

/* ------------------------------------------------------------------ */
/* Searching                                                           */

enum ng_sort { NG_SORT_RANK = 0, NG_SORT_DATE = 1 };
enum ng_kind { NG_KIND_HEADLINE = 0, NG_KIND_PARAGRAPH = 1 };

typedef struct ng_search_options {
  unsigned version; /* NG_SEARCH_OPTIONS_VERSION */
  int any;          /* rank passages with any of the words (default: all required) */
  int raw_fts5;     /* the query is an FTS5 expression, passed through */
  int no_variants;  /* do not add spelling/acronym/synonym variants */
  int per_document; /* only the best passage of each document */
  int sort;         /* ng_sort */
  long limit;       /* 0: 10; negative: no limit */
  long offset;
  const char *since;  /* ISO date (YYYY-MM-DD...) or NULL: only documents dated >= */
  const char *until;  /* ISO date or NULL: only documents dated <= (the whole day) */
  int snippet_tokens; /* 0: 32; at most 64; negative: the whole passage, every match marked */
  int all;            /* ignore the query: every passage, in document order */
  /* Since version 2: */
  int per_story;   /* at most this many passages of a story (0: every passage; INIT: 1) */
  int no_collapse; /* copies of a story (duplicate groups) are stories of their own */
  /* Since version 3: only documents whose change number (ng_hit.change,
   * ng_index_changes) is > change_after (0: any) and <= change_upto
   * (0: any).  A watchlist's "new since the last run". */
  long long change_after;
  long long change_upto;
  /* Since version 4: */
  unsigned rank_off; /* NG_RANK_* bits: parts of the ranking turned off (0: all on) */
  /* Since version 5: how many of a story's copies each hit names in
   * ng_hit.copy_paths (INIT and older versions: 100; 0: none, for a caller
   * that shows only their number -- at BBC x64, where a story has 63
   * copies, reading their paths was a third of a warm search). */
  int copy_paths;
} ng_search_options;
#define NG_SEARCH_OPTIONS_VERSION 5
#define NG_SEARCH_OPTIONS_INIT \
  { NG_SEARCH_OPTIONS_VERSION, 0, 0, 0, 0, NG_SORT_RANK, 0, 0, NULL, NULL, 0, 0, 1, 0, 0, 0, 0, 100 }

/* The ranking's parts (README, Relevance), each of which rank_off turns
 * off: query expansion from the best stories (RM3), the bonus for the
 * query's words close together, the story's own score, and the dropping
 * of stop words from --any queries.  NG_RANK_BM25 turns off all of them:
 * BM25 (k1 1.2, b 0.75) with the headline weight, as the peers rank. */
#define NG_RANK_NO_EXPANSION 1u
#define NG_RANK_NO_PROXIMITY 2u
#define NG_RANK_NO_DOCUMENT 4u
#define NG_RANK_KEEP_STOP_WORDS 8u
#define NG_RANK_BM25 15u

/* Snippets mark matched words with these bytes (never present in stored text). */
#define NG_MARK_OPEN '\x01'
#define NG_MARK_CLOSE '\x02'

typedef struct ng_hit {
  long long doc_id;
  const char *path;                  /* file path, or "<feed>//#<id>" */
  const char *title;                 /* document headline, or "" */
  const char *dateline;              /* or NULL */
  const char *date;                  /* ISO 8601 or NULL */
  const char *source, *url, *author; /* or NULL */
  int kind;                          /* ng_kind */
  int ordinal;                       /* 0 for the headline, then 1, 2, ... */
  int first_line, last_line;
  double score;             /* higher is better */
  const char *text;         /* the whole passage */
  const char *snippet;      /* an extract with NG_MARK_OPEN/NG_MARK_CLOSE around matches */
  const char *dateline_day; /* the dateline's day as written ("Feb 26"), or NULL */
  /* The story's duplicate group (see nutgraf-index(1), DUPLICATES): the id
   * of its first-seen member, or 0 when this document is that member (or
   * has no copies); and the number of documents in the group (1: none). */
  long long dup_of;
  long long copies;
  /* With per_story: the other passages of this story that match, which
   * the page does not show -- their number, ordinals and lines (first,
   * last: 2 ints each); arrays owned by the iterator. */
  int more;
  const int *more_ordinals;
  const int *more_lines;
  /* The paths of the story's copies (copies - 1 of them, the first
   * ng_search_options.copy_paths: 100 unless asked otherwise), when it has
   * any; owned by the iterator. */
  const char *const *copy_paths;
  int ncopy_paths;
  /* Since index schema 4: for a record of a feed file, the line of the
   * file that holds the record (from 1); 0 for an article file and for a
   * record read from a stream (there is no file to point into). */
  int feed_line;
  /* Since NG_SEARCH_OPTIONS_VERSION 3 (schema 4): when the document was
   * first indexed and when its content last changed, in nanoseconds since
   * 1970 (UTC), and the number of that change (see ng_index_changes). */
  long long first_indexed_ns;
  long long changed_ns;
  long long change;
} ng_hit;

typedef struct ng_results ng_results;

/* Adds the variants in file path (see data/variants.txt for the format) to
 * the handle's variants.  Those start, at the handle's first query, as the
 * installed list: $NUTGRAF_DATADIR/variants.txt when that variable is set;
 * else share/nutgraf/variants.txt of the installation -- looked for as
 * ../share/nutgraf beside the running program, then beside the
 * libnutgraf.so in use, then where the build was configured to install --
 * and the list compiled into the library when there is no such file.  An
 * installed file that cannot be read makes queries fail with NG_EDATA.
 * NG_OK, NG_EDATA (unreadable or bad line, message names file and line). */
int ng_index_add_variants(ng_index *idx, const char *path);

/* Runs a query.  A query that cannot be parsed is read as plain words; with
 * opts->raw_fts5 a bad expression is NG_EUSAGE.  With opts->all the query is
 * ignored (it may be NULL) and every passage comes back in document order,
 * with score 0 and the whole text as snippet.  A query with no searchable
 * word is NG_EUSAGE.  On NG_OK *out is an iterator to step with
 * ng_results_next and free with ng_results_free. */
int ng_search(ng_index *idx, const char *query, const ng_search_options *opts, ng_results **out);

/* Steps the iterator: NG_ROW (and *hit points to a record owned by the
 * iterator, valid until the next call), NG_DONE, or an error (message on the
 * index handle). */
int ng_results_next(ng_results *res, const ng_hit **hit);

/* Frees the iterator.  Accepts NULL. */
void ng_results_free(ng_results *res);

/* Notes on the last query run on the handle (ng_search, ng_count or
 * ng_explain): what the user should be told although the query ran, such
 * as a word written like a field ("foo:bar") that is no field and was
 * searched as words.  One line (no newline), or "" when there is nothing
 * to say; owned by the handle, valid until its next query. */
const char *ng_index_notes(const ng_index *idx);

/* Counts the passages (or documents, with per_document) matching.  Returns as
 * ng_search. */
int ng_count(ng_index *idx, const char *query, const ng_search_options *opts, long long *count);

/* Describes how the query was understood: words, stems, variants added,
 * phrases, filters and the FTS5 expression run.  *out is malloc'd, the caller
 * frees it.  Returns as ng_search. */
int ng_explain(ng_index *idx, const char *query, const ng_search_options *opts, char **out);

/* For a query with no hits: a corrected query built from close words of the
 * index vocabulary that does have hits.  *out is malloc'd (caller frees) or
 * NULL when there is no suggestion.  NG_OK or an error. */
int ng_suggest(ng_index *idx, const char *query, const ng_search_options *opts, char **out);

/* ------------------------------------------------------------------ */
/* Timelines                                                           */

enum ng_count_by { NG_BY_DAY = 0, NG_BY_WEEK = 1, NG_BY_MONTH = 2, NG_BY_SOURCE = 3 };

typedef struct ng_bucket {
  const char *key;    /* "YYYY-MM-DD", ISO week "YYYY-Www", "YYYY-MM", or the source;
                         NULL for the undated documents (the documents without a source) */
  long long passages; /* matching passages of the bucket's documents */
  long long stories;  /* documents with a matching passage (copies each count) */
} ng_bucket;

/* Counts the passages matching query, and the documents they are in, per
 * bucket of the documents' dates (by: ng_count_by; a date's day as
 * written, no time zone applied) or sources, honouring the options'
 * filters (since, until, any, variants, raw_fts5; limit, offset, sort
 * and per_story are ignored).  Buckets come in key order, the NULL key
 * last; only buckets with a match are listed.  On NG_OK *out is a
 * malloc'd array of *n buckets (NULL when none) to free with
 * ng_buckets_free.  Returns as ng_search (NG_EUSAGE for a bad by). */
int ng_count_by(ng_index *idx, const char *query, const ng_search_options *opts, int by, ng_bucket **out, size_t *n);

/* Frees what ng_count_by returned.  Accepts NULL. */
void ng_buckets_free(ng_bucket *buckets, size_t n);

/* ------------------------------------------------------------------ */
/* Stories: a document's passages                                      */

typedef struct ng_passage {
  int ordinal; /* 0 for the headline, then 1, 2, ... */
  int kind;    /* ng_kind */
  int first_line, last_line;
  const char *text;
} ng_passage;

typedef struct ng_story {
  long long doc_id;
  const char *path;                               /* as stored: a file path, or "<feed>//#<id>" */
  const char *title;                              /* headline, or "" */
  const char *dateline, *date;                    /* or NULL */
  const char *source, *url, *author;              /* or NULL */
  const char *dateline_day;                       /* or NULL */
  long long first_indexed_ns, changed_ns, change; /* as in ng_hit */
  const ng_passage *passages;                     /* in ordinal order */
  size_t npassages;
} ng_story;

/* Finds the document stored at where: a file's path (relative paths are
 * taken from the working directory), a path as stored, a feed record as
 * "FEED//#ID" or "FEED:ID" (FEED a feed file's path, or "stdin" for a
 * record read from standard input).  NG_OK with *doc_id set; NG_DONE when
 * the index holds no document there; NG_EUSAGE when where is a feed file
 * (its records are the stories); NG_ESYSTEM.  The message says why. */
int ng_story_find(ng_index *idx, const char *where, long long *doc_id);

/* Reads document doc_id with its passages whose ordinals are from..to
 * (inclusive; to < 0: to the last), for a whole story (0, -1) or the
 * context of a hit (ordinal - N, ordinal + N).  On NG_OK *out is owned by
 * the caller (ng_story_free).  NG_DONE when there is no such document,
 * NG_ESYSTEM. */
int ng_story_get(ng_index *idx, long long doc_id, int from, int to, ng_story **out);

/* Frees a story.  Accepts NULL. */
void ng_story_free(ng_story *story);

/* The index's change counter: each document written with new content
 * (added, or changed) gets the next number, which never goes back, not
 * through a rebuild (nutgraf-index --full carries the counter and every
 * unchanged document's number over) nor an optimize.  *last is the
 * number of the last change committed; lineage (may be NULL) gets, in n
 * bytes, the name of the index's line of descent -- random when the index
 * was created, kept by rebuilds -- so that a counter of another index
 * (deleted and made again) is not mistaken for this one's.  NG_OK or
 * NG_ESYSTEM. */
int ng_index_changes(ng_index *idx, long long *last, char *lineage, size_t n);

#ifdef __cplusplus
}
#endif
#endif
