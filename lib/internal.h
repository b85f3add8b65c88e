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
 *                          tokenize.c (token streams), dedup.c (the
 *                          duplicate signature)
 *              ingest.c    a run: orders the jobs, batches transactions,
 *                          removals, feeds; writes through store.c, and
 *                          groups duplicates with dedup.c
 *   storage    index.c     the handle: open, lock, create, publish, close
 *              store.c     every SQL statement on the index's tables
 *              postings.c  the scoring structure beside FTS5 (postings
 *                          with block maxima, segments, merges, passage
 *                          lengths and directory), kept in the same
 *                          transactions; its SQL goes through store.c
 *   searching  parse.c     text -> query tree (no index needed)
 *              expand.c    query tree -> FTS5 expression over stems and
 *                          the scoring plan (tokenize.c, variants.c, the
 *                          word table)
 *              search.c    a query -> ranked hits: plan, engine, page
 *              engine.c    the top k of a plan from the postings without
 *                          scoring every match; stories collapsed; FTS5
 *                          asked only what the postings cannot decide
 *              snippet.c   highlighted snippets of a hit's text
 *              rank.c      the FTS5 rank function (--fts5 and --all)
 *              suggest.c   "did you mean" for a query without hits
 *              story.c     whole stories, the change counter (store.c's
 *                          rows; no interface of its own here)
 *   under all  util.c, date.c
 *
 * Ownership of struct ng_index's fields is written beside each field; a
 * module touches only its own fields and calls the owner for the rest.
 */
#ifndef NG_INTERNAL_H
#define NG_INTERNAL_H

#include <math.h>
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
typedef struct ngi_postings ngi_postings;

/* An open index.  Each field belongs to the module named beside it. */
struct ng_index {
  char *path;              /* index.c: the index file as given */
  int writable;            /* index.c: opened with NG_OPEN_WRITE */
  int lock_fd;             /* index.c: "<path>.lock", flocked for the handle's life */
  char *unpublished;       /* index.c: a new index's temporary file, until it is published */
  int rebuild;             /* index.c: NG_OPEN_REBUILD: the new file replaces the old at the run's end */
  int abandoned;           /* index.c: a run on the unpublished file failed: it is never published */
  ng_index *previous;      /* index.c: rebuilding: the old index, open read-only, or NULL */
  char *previous_err;      /* index.c: rebuilding: why the old index could not be opened, or NULL */
  int busy_ms;             /* index.c: the connection's busy timeout */
  ngi_store *store;        /* store.c: the connection, its statements, the transaction */
  ngi_lexicon *lx;         /* tokenize.c: made by store.c when it connects */
  ngi_postings *post;      /* postings.c: the batch being written, the readers' lengths */
  ngi_variants *vars;      /* variants.c: loaded by expand.c on first use */
  int exhaustive;          /* engine.c: score every match, no pruning -- the reference
                              the pruned top k must equal (tests; NUTGRAF_EXHAUSTIVE=1
                              in the environment at open, for bench/ and debugging) */
  long long rank_docs;     /* engine.c: the documents counted for stage 2 ... */
  long long rank_docs_key; /* engine.c: ... when the corpus statistics were these */
  char *notes;             /* search.c: the notes on the last query (ng_index_notes), or NULL */
  void *parked;            /* store.c: what a new index's connection keeps while it is published */
  long long damage_seen;   /* util.c: SQLite's count of reported corruption when the handle opened */
  int err_code;            /* util.c (ngi_fail): the last error's status code */
  char err[1024];          /* util.c (ngi_fail), for every module: the last error's message */
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

/* Room for need elements in a growable array: *items (any T *, passed as
 * &array) of capacity *cap, doubled from first until it holds need.  0,
 * or -1 out of memory with the array as it was.  NGI_GROW(a, cap, need,
 * first) is the call with the element size taken from a, and the test
 * for room made in place (the indexer's token loop asks at every token). */
int ngi_grow(void *items, size_t *cap, size_t need, size_t elem, size_t first);
#define NGI_GROW(a, cap, need, first) ((need) <= (cap) ? 0 : ngi_grow(&(a), &(cap), (need), sizeof *(a), (first)))
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
/* The same with the key's ngi_hash already known. */
void *ngi_map_get_hashed(const strmap *m, const char *key, size_t klen, uint64_t hash);
int ngi_map_put_hashed(strmap *m, const char *key, size_t klen, uint64_t hash, void *value);
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
 * bytes at least.  The forms read are listed in date.c.  Returns 0, or -1
 * when the text is not a date it knows. */
int ngi_date_normalize(const char *text, char *out, size_t n);
/* A normalized date as a sortable key: minutes since 1970-01-01 UTC (a
 * date without a time is its midnight), or NGI_NO_DATE. */
#define NGI_NO_DATE INT32_MIN
int ngi_date_key(const char *iso);
/* A query date (--since, --until, date:): YYYY, YYYY-MM, YYYY-MM-DD,
 * today, yesterday, Nd, Nw (before the local day of now; 0: the clock),
 * or any form ngi_date_normalize reads, into out as a prefix of ISO
 * dates.  0, or -1. */
int ngi_date_query(const char *text, long long now, char *out, size_t n);
/* Does the range since..until (query dates, either NULL) hold no date? */
int ngi_date_range_inverted(const char *since, const char *until);

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
  char *date_unread;                                     /* a Date: that could not be read, or NULL */
  char *dateline_day;                                    /* the dateline's day as written ("Feb 26"), or NULL */
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
** Interface to dedup.c: duplicate stories (word shingles, MinHash, LSH
** bands); see dedup.c for the technique and the group rules.
*/

#define NGI_DUP_HASHES 60 /* MinHash values in a signature */
#define NGI_DUP_BANDS 10  /* LSH bands ... */
#define NGI_DUP_ROWS 2    /* ... of this many values each (the first 20 values) */
/* Stored: the size, the band rows' values whole (to find the bands again
 * when a story leaves), the others' low 8 bits (b-bit MinHash, Li and
 * Koenig 2010: enough to verify a candidate, a quarter of the bytes). */
#define NGI_DUP_FULL (NGI_DUP_BANDS * NGI_DUP_ROWS)
#define NGI_DUP_BYTES (4 + 4 * NGI_DUP_FULL + (NGI_DUP_HASHES - NGI_DUP_FULL))

typedef struct ngi_dup_sig {
  uint32_t shingles;            /* distinct-or-not shingles seen (the set's size, near enough) */
  uint32_t min[NGI_DUP_HASHES]; /* the minimum of each hash function */
} ngi_dup_sig;

/* The signature of an article's paragraphs (the lede's dateline left
 * out): 1, or 0 when it has no word to shingle.  Pure; the worker's. */
int ngi_dup_signature(const article *a, ngi_dup_sig *out);
/* The LSH band keys of a signature. */
void ngi_dup_bands(const ngi_dup_sig *s, long long keys[NGI_DUP_BANDS]);
/* The estimated Jaccard similarity, and (when containment is non-NULL) the
 * estimated share of the smaller set inside the larger. */
double ngi_dup_similarity(const ngi_dup_sig *a, const ngi_dup_sig *b, double *containment);
/* Are a and b copies of one story (the verification of a candidate)? */
int ngi_dup_is_copy(const ngi_dup_sig *a, const ngi_dup_sig *b);
/* A signature as stored (little-endian, NGI_DUP_BYTES) and back (0, or -1
 * for bytes of another length). */
void ngi_dup_encode(const ngi_dup_sig *s, unsigned char out[NGI_DUP_BYTES]);
int ngi_dup_decode(const void *data, size_t n, ngi_dup_sig *s);
/* Writer side, inside the document's transaction: groups document doc
 * (its row and passages written) with its copies and stores its
 * signature; takes doc out of its group (before it is changed or
 * removed), handing a group it was the first member of to the next. */
int ngi_dup_add(ng_index *idx, long long doc, const ngi_dup_sig *sig);
int ngi_dup_remove(ng_index *idx, long long doc);

/* End of dedup.c */

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
/* The same tokens, for a document's stored text read again (proximity,
 * feedback, snippets): short words go through the lexicon's front cache,
 * which pays off over thousands of tokens, not over a query's words. */
int ngi_tokenize_text(ngi_lexicon *lx, const char *text, int n, void *ctx, lex_token_fn fn);
/* Which tokens a caller of ngi_tokenize_text_for needs stemmed: those
 * whose first byte is one its terms' stems start with.  Stemming is most
 * of what tokenizing stored text costs (Snowball's English stemmer, some
 * 2,000 instructions a new word), and a snippet or a proximity walk only
 * compares stems with a query's few.  An English stem keeps its word's
 * first byte (every Snowball English and Porter rule rewrites a suffix;
 * the exceptional forms, dying -> die, keep it too; test_tokenize checks
 * a corpus's words), so a token whose first byte no term's stem starts
 * with cannot match and is handed on with an empty stem.  Other languages'
 * stemmers are not known to keep it: there the filter stems every token. */
typedef struct ngi_stem_filter {
  unsigned char first[32]; /* a bit per first byte */
} ngi_stem_filter;
/* Notes a term's stem (a prefix term's too); an empty one wants every
 * token stemmed. */
void ngi_stem_filter_add(ngi_stem_filter *f, const char *stem, size_t n);
int ngi_tokenize_text_for(ngi_lexicon *lx, const char *text, int n, const ngi_stem_filter *f, void *ctx,
                          lex_token_fn fn);

/* Token streams: the tokens a document's text yields, worked out ahead (on
 * the indexing worker) and replayed when FTS5 asks the tokenizer for that
 * text.  ngi_tokens_encode appends the stream of text to out, opening with
 * the text's length and hash (SQLITE_OK or SQLITE_NOMEM).  While a stream
 * is expected (ngi_tokens_expect; NULL stops), a document tokenizing of
 * the text it was made from replays it, and any other text is tokenized
 * afresh.  The stream must live until the expectation is dropped. */
int ngi_tokens_encode(ngi_lexicon *lx, const char *text, int n, buf *out);
void ngi_tokens_expect(ngi_lexicon *lx, const char *stream, size_t len);
/* While set, every token of a document tokenizing (an insert, a replay,
 * or the tokenizing of a row FTS5 deletes) is also passed to fn: its stem,
 * and whether it is colocated with the previous one (a joined compound,
 * which takes no position of its own).  NULL stops. */
typedef int (*ngi_capture_fn)(void *ctx, const char *stem, int n, int colocated);
void ngi_tokens_capture(ngi_lexicon *lx, ngi_capture_fn fn, void *ctx);
/* Passes each token of a stream (as ngi_tokens_encode made it) to fn, as
 * a capture is told them: SQLITE_OK or fn's first non-zero result. */
int ngi_tokens_each(const char *stream, size_t len, ngi_capture_fn fn, void *ctx);
/* How many streams the lexicon's tokenizer replayed (tests; the writer
 * checks that the streams whose postings were counted ahead were). */
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

typedef struct ngi_counted ngi_counted; /* postings.c */

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
  int has_dup;      /* dup holds the article's duplicate signature */
  ngi_dup_sig dup;
  ngi_counted *counted; /* the postings of the streams, counted (postings.c), or NULL */
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
  long long id, size, mtime_ns, hash, indexed_ns, feed, passages, pno;
  long long feed_line;                    /* a feed file's record: its line in the file, or 0 */
  long long first_ns, changed_ns, change; /* ngi_doc_row's */
  int kind;                               /* ngi_doc_kind */
  int seen;                               /* met in this run (or kept by its unchanged feed) */
  struct ngi_known *next_in_feed;         /* a record: the next record of its feed */
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
  int include_docs; /* visit README* and *.md files in directories (skipped by default) */
} ngi_walk_ops;

/* Walks root (a cleaned absolute path: a file, or a directory walked
 * recursively, names sorted, hidden entries, excluded names and (unless
 * include_docs) a folder's documentation -- README* and *.md -- skipped,
 * symbolic links followed with loops detected); files ending in .jsonl,
 * and root itself with as_feed, are passed on as feeds.  shown names root
 * in its own problems.  Returns NG_OK, NG_EDATA when root itself cannot be
 * read, or the first non-zero result of a callback. */
int ngi_walk(const ngi_walk_ops *ops, const char *root, const char *shown, int as_feed);

/* End of walk.c */

/**************************************************************************
** Interface to postings.c: the scoring structure beside FTS5 (per-term
** postings with block maxima, passage numbers, statistics), written in the
** same transactions.
*/

/* Writing, on a write handle.  A document's passages get consecutive
 * passage numbers (pnos) from ngi_postings_reserve.  Around the insert of
 * each passage, begin/end_passage capture the tokens FTS5 indexes (unless
 * the worker counted them: ngi_postings_add_counted below); around
 * the delete of one, begin_passage/end_delete those it removes.  A
 * document's old pnos are then killed.  ngi_postings_flush writes the
 * batch as a segment (and merges) before the transaction commits;
 * ngi_postings_rollback forgets it. */
int ngi_postings_reserve(ng_index *idx, long long n, long long *first_pno);
int ngi_postings_begin_passage(ng_index *idx);
int ngi_postings_end_passage(ng_index *idx, long long pno, long long rowid, int date, int head);
int ngi_postings_end_delete(ng_index *idx, int deleted);
int ngi_postings_kill(ng_index *idx, long long first_pno, long long n);
int ngi_postings_flush(ng_index *idx);
void ngi_postings_rollback(ng_index *idx);
void ngi_postings_free(ng_index *idx);
/* Merges every segment into one, dropping dead postings (--optimize). */
int ngi_postings_optimize(ng_index *idx);
/* A document's postings counted ahead, on the indexing worker (no handle
 * needed), from the token streams its passages will be inserted with:
 * ngi_counted_passage counts passage after passage (the first call makes
 * *c), ngi_counted_finish groups them by term.  NG_OK or NG_ESYSTEM (out
 * of memory: the document is stored the usual way, its tokens captured).
 * The writer then inserts the passages with ngi_store_put_passage_text,
 * which captures nothing, checks that their streams were replayed, and
 * adds the counts to the batch with ngi_postings_add_counted, which also
 * gives each passage its pno (first_pno on), rowid (doc, ordinal from
 * base) and date key: what begin/end_passage would have done for each. */
int ngi_counted_passage(ngi_counted **c, const char *stream, size_t len, int head);
int ngi_counted_finish(ngi_counted *c);
size_t ngi_counted_passages(const ngi_counted *c);
void ngi_counted_free(ngi_counted *c);
int ngi_postings_add_counted(ng_index *idx, const ngi_counted *c, long long first_pno, long long doc, int base,
                             int date);

/* A passage's length in a posting: one byte, exact below 128 tokens and
 * within 2% above (each step 4% longer, up to about 18,000 tokens), as
 * Lucene keeps its norms in a byte.  BM25 reads the code's value. */
static inline int ngi_len_code(long long len) {
  if (len < 128) return (int)(len < 0 ? 0 : len);
  int q = 128 + (int)(log((double)len / 128.0) / log(1.04) + 0.5);
  return q > 255 ? 255 : q;
}
static inline double ngi_len_value(int code) { return code < 128 ? code : 128.0 * pow(1.04, code - 128); }

/* Reading, for the engine. */
typedef struct ngi_corpus_stats {
  long long passages, tokens; /* live passages and their tokens */
} ngi_corpus_stats;
int ngi_postings_stats(ng_index *idx, ngi_corpus_stats *out);

/* One block of a term's postings in one segment. */
typedef struct ngi_block {
  long long first_prev; /* the pno the block's first delta counts from */
  long long last_pno;
  size_t offset, bytes; /* in the part's data */
  int max_tf2;          /* the largest tf << 1, | 1 when a posting is a headline's */
  int min_len;          /* the shortest passage */
} ngi_block;

typedef struct ngi_term_part {
  long long count;
  size_t nblocks;
  int max_tf2, min_len;
  ngi_block *table;
  buf data; /* the blocks' encoded postings */
} ngi_term_part;

/* A term: its postings in every segment (parts in pno order), its
 * document frequency (live passages), and its bounds. */
typedef struct ngi_term {
  char *stem;
  size_t stemlen;
  long long count, df;
  int max_tf2, min_len;
  ngi_term_part *parts;
  size_t nparts;
} ngi_term;

int ngi_postings_term(ng_index *idx, const char *stem, size_t stemlen, ngi_term **out);
void ngi_term_free(ngi_term *t);
/* A stem's document frequency from its records' heads alone. */
int ngi_postings_df(ng_index *idx, const char *stem, size_t stemlen, long long *df);
/* Many terms of one search (inside one read transaction): the segments
 * are listed once, each segment's last page is kept, and the dead
 * postings are asked of a stem only when the index has any.
 * ngi_lookup_term gives what ngi_postings_term gives; with max_df >= 0 a
 * term whose df is not in 1 .. max_df comes without its postings (df set,
 * no parts), which only its record's head was read for. */
typedef struct ngi_lookup ngi_lookup;
int ngi_lookup_open(ng_index *idx, ngi_lookup **out);
int ngi_lookup_term(ngi_lookup *lk, const char *stem, size_t stemlen, long long max_df, ngi_term **out);
void ngi_lookup_close(ngi_lookup *lk);
/* The stems starting with prefix (at most max), each once. */
int ngi_postings_prefix(ng_index *idx, const char *prefix, size_t n, int max, strlist *out);

/* The dead pnos (killed, still in segments). */
typedef struct ngi_dead {
  long long (*ranges)[2];
  size_t n;
} ngi_dead;
int ngi_postings_dead(ng_index *idx, ngi_dead **out);
int ngi_dead_has(const ngi_dead *d, long long pno);
void ngi_dead_free(ngi_dead *d);

/* pno -> (rowid, date key), through a one-chunk cache. */
typedef struct ngi_pdir_cache {
  long long chunk;
  buf data;
} ngi_pdir_cache;
int ngi_postings_pdir(ng_index *idx, long long pno, ngi_pdir_cache *cache, long long *rowid, int *date);
/* The length codes (ngi_len_code) of passages 0 .. *n, one byte each: a
 * copy held by the handle, extended as the index grows; valid until the
 * handle's next call into postings.c. */
int ngi_postings_lens(ng_index *idx, const unsigned char **lens, size_t *n);

typedef struct ngi_check_counts {
  long long segments, terms, postings;
} ngi_check_counts;
/* Decodes every segment and checks order, counts and each term's
 * frequency; NG_OK, NG_EDATA (message says what) or NG_ESYSTEM. */
int ngi_postings_check(ng_index *idx, ngi_check_counts *out);

/* End of postings.c */

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
/* Reads the first n bytes of file into h through SQLite's own file layer:
 * the number read (less at the end of the file), or -errno.  A plain
 * close() would drop every POSIX lock this process holds on the file,
 * those of its other connections too (SQLite's os_unix.c, "POSIX advisory
 * locks"), and a writer elsewhere could then truncate a log they read;
 * SQLite's unix VFS keeps such a descriptor open until those locks go. */
long ngi_store_read_header(const char *file, unsigned char *h, size_t n);
/* Closes the connection, rolling back what was not committed. */
void ngi_store_disconnect(ng_index *idx);
int ngi_store_connected(const ng_index *idx);
/* Switches a new index to WAL mode before it is published. */
int ngi_store_use_wal(ng_index *idx);
/* Gives the file's free pages (left by FTS5's merges and the postings')
 * back to the file system, outside a transaction, in transactions of its
 * own (the end of a run, --optimize).  Nothing
 * for an index made without incremental auto-vacuum (by a nutgraf before
 * it chose that mode; such an index keeps its free pages for later writes,
 * and a rebuild makes it anew). */
int ngi_store_reclaim(ng_index *idx);

/* Transactions. */
int ngi_store_begin(ng_index *idx);
int ngi_store_commit(ng_index *idx);
void ngi_store_rollback(ng_index *idx);
int ngi_store_in_transaction(const ng_index *idx);

/* Documents and passages. */
typedef struct ngi_doc_row {
  long long id;  /* 0: a new document (set by ngi_store_put_document) */
  long long pno; /* its first passage's number (postings.c) */
  const char *path;
  int kind;                                                               /* ngi_doc_kind */
  long long feed;                                                         /* a record's feed document, or 0 */
  const char *title, *dateline, *date, *source, *url, *author, *encoding; /* or NULL */
  long long size, mtime_ns, hash, indexed_ns, passages;
  const char *dateline_day; /* or NULL */
  long long feed_line;      /* a feed file's record: its line in the file, or 0 */
  /* When first indexed and when its content last changed (ns since 1970),
   * and that change's number; change 0: ngi_store_put_document gives the
   * counter's next number (a change). */
  long long first_ns, changed_ns, change;
} ngi_doc_row;

/* Calls fn for every document (path and the fields change detection uses;
 * strings live during the call); stops at fn's first non-zero result. */
int ngi_store_each_document(ng_index *idx, int (*fn)(void *ctx, const ngi_doc_row *row), void *ctx);
/* Inserts (row->id 0, set here) or updates a document's row. */
int ngi_store_put_document(ng_index *idx, ngi_doc_row *row);
/* Records a new size, mtime and indexing time. */
int ngi_store_touch_document(ng_index *idx, long long id, long long size, long long mtime_ns, long long indexed_ns);
int ngi_store_delete_document(ng_index *idx, long long id);
/* Records the line of its feed file a record is on now (0: none). */
int ngi_store_set_feed_line(ng_index *idx, long long id, long long line);
/* Reads document id's whole row; its strings go into *strings (and live
 * as long as it does, unchanged).  NG_EDATA when there is no such row. */
int ngi_store_get_document(ng_index *idx, long long id, ngi_doc_row *row, buf *strings);
/* Calls fn with each passage of doc, in ordinal order (strings live
 * during the call); stops at fn's first non-zero result. */
int ngi_store_each_passage(ng_index *idx, long long doc,
                           int (*fn)(void *ctx, int ordinal, int kind, const char *text, int first, int last),
                           void *ctx);
/* The same for the passages of ordinals from..to (inclusive). */
int ngi_store_passage_range(ng_index *idx, long long doc, int from, int to,
                            int (*fn)(void *ctx, int ordinal, int kind, const char *text, int first, int last),
                            void *ctx);
/* The document stored at path: NG_ROW with *id and *kind, NG_DONE, or an error. */
int ngi_store_find_document(ng_index *idx, const char *path, long long *id, int *kind);
/* A document's first-indexed and changed times and change number (0s when gone). */
int ngi_store_doc_times(ng_index *idx, long long id, long long *first_ns, long long *changed_ns, long long *change);
/* The change counter (the number of the last change written) and, when
 * lineage is non-NULL, the index's lineage (a random hex name made when
 * the index was created, carried over by a rebuild) into n bytes. */
int ngi_store_changes(ng_index *idx, long long *last, char *lineage, size_t n);
/* A rebuild's new index takes the old one's counter and lineage (inside
 * a write transaction). */
int ngi_store_set_changes(ng_index *idx, long long last, const char *lineage);
/* Deletes passages 0..count of a document whose passages are numbered
 * from first_pno; adds what went to *removed. */
int ngi_store_delete_passages(ng_index *idx, long long doc, long long count, long long first_pno, long long *removed);
/* Inserts one passage, numbered pno, of a document dated date (a date
 * key); stream (or NULL) is its token stream from the worker (tokenize.c
 * replays it, or tokenizes afresh on a mismatch). */
int ngi_store_put_passage(ng_index *idx, long long doc, int ordinal, const passage *p, const char *text,
                          const char *stream, size_t streamlen, long long pno, int date);
/* The same passage row without its postings, for a document whose
 * postings were counted ahead (ngi_postings_add_counted). */
int ngi_store_put_passage_text(ng_index *idx, long long doc, int ordinal, const passage *p, const char *text,
                               const char *stream, size_t streamlen);

/* Duplicate groups (dedup.c's rows): doc.dup_of, dup_sig, dup_band. */
int ngi_store_set_dup_of(ng_index *idx, long long doc, long long dup_of); /* 0: NULL */
/* Stores doc's signature and band keys; dup_of: the group
 * ngi_store_set_dup_of just gave doc (0: none). */
int ngi_store_dup_put(ng_index *idx, long long doc, long long dup_of, const ngi_dup_sig *sig, const long long *keys,
                      int nkeys);
/* Calls fn for each document but exclude that shares a band key (the
 * first 64 found), with its dup_of (0: none) and signature (valid during
 * the call). */
int ngi_store_dup_candidates(ng_index *idx, const long long *keys, int nkeys, long long exclude,
                             void (*fn)(void *ctx, long long doc, long long dup_of, const ngi_dup_sig *sig), void *ctx);
/* doc's signature into *sig: 1 found, 0 none, or an error. */
int ngi_store_dup_get(ng_index *idx, long long doc, ngi_dup_sig *sig);
int ngi_store_dup_delete(ng_index *idx, long long doc, const long long *keys, int nkeys);
/* The members of the group whose first member is doc get the oldest of
 * them (smallest id) as first member. */
int ngi_store_dup_hand_over(ng_index *idx, long long doc);

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
enum ngi_filter_field {
  NGI_FIELD_TITLE,
  NGI_FIELD_SOURCE,
  NGI_FIELD_PATH,
  NGI_FIELD_DATELINE, /* the dateline's place contains the text */
  NGI_FIELD_AUTHOR,   /* the author contains the text */
  NGI_FIELD_DATE,     /* value "SINCE..UNTIL", query dates (date.c), either side empty */
  NGI_FIELD_CHANGE    /* value "AFTER..UPTO", change numbers (search.c adds it, never the parser) */
};

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
  const char *match_plain;       /* parsed_query's fts_plain and surface_words, or NULL */
  const char *surface_words;
  int per_document, sort; /* ng_search_options' */
  long limit, offset;     /* limit < 0: all */
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
  const char *dateline_day;
  long long dup_of, copies;               /* the duplicate group's first member (0: this one) and its size */
  int feed_line;                          /* a feed file's record: its line in the file, or 0 */
  long long first_ns, changed_ns, change; /* the document's (schema 4) */
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
/* The matching passages and documents per day ("YYYY-MM-DD", NULL for
 * undated) or per source (NULL: none), in key order, NULL last: fn is
 * called once a bucket (its key lives during the call). */
int ngi_store_hits_count_by(ng_index *idx, const ngi_hit_query *q, int by_source,
                            int (*fn)(void *ctx, const char *key, long long passages, long long documents), void *ctx,
                            int *sqlite_code);
/* The snippet of each of n texts (kinds[i]: ng_kind) for FTS5 expression
 * match, into snippets[i] (malloc'd, or NULL when the text does not match). */
int ngi_store_snippets(ng_index *idx, const char *match, int tokens, const char *const *texts, const int *kinds,
                       size_t n, char **snippets);
/* The snippet of passage rowid for match (FTS5's snippet() on the main
 * table, the MATCH held to that row): *out malloc'd, or NULL when the row
 * does not match. */
int ngi_store_snippet_rowid(ng_index *idx, const char *match, int tokens, long long rowid, char **out);
/* SQLite's message for the last failed statement. */
const char *ngi_store_errmsg(const ng_index *idx);

/* For the engine: one read transaction around a whole search (so the
 * postings, the directory and FTS5 are read at one commit). */
int ngi_store_read_begin(ng_index *idx);
void ngi_store_read_end(ng_index *idx);
/* Does the passage rowid match the FTS5 expression?  1, 0, or an error
 * (*sqlite_code set, so a bad raw expression can be told apart). */
int ngi_store_match_rowid(ng_index *idx, const char *match, long long rowid, int *sqlite_code);
/* Every rowid matching match, in ascending order (FTS5's own), into a
 * malloc'd array (*rowids, *n; freed by the caller). */
int ngi_store_match_all(ng_index *idx, const char *match, long long **rowids, size_t *n, int *sqlite_code);
/* The engine's document filter: the dates and the filters but title:
 * (the SQL path's conditions, so both paths filter alike), and each
 * document's duplicate group (its first member's id, or its own). */
typedef struct ngi_doc_filter ngi_doc_filter;
int ngi_store_doc_filter_open(ng_index *idx, const char *since, const char *until, const ngi_filter *filters,
                              size_t nfilters, ngi_doc_filter **out);
/* *pass 1 when doc passes (0 also when there is no such document). */
int ngi_store_doc_filter_get(ngi_doc_filter *f, long long doc, int *pass, long long *group);
void ngi_store_doc_filter_close(ngi_doc_filter *f);
/* The duplicate group of doc: its first member's id, or doc itself (from
 * a per-handle table kept in step with the database). */
int ngi_store_group_of(ng_index *idx, long long doc, long long *group);
/* For tests: a handle's first search at a version reads the groups whole
 * when there are at most n (-1: the default, 2048), else asks SQLite for
 * each candidate. */
void ngi_store_set_groups_read_whole(int n);
/* A document's passage numbers: first_pno .. first_pno + count (0, 0 when
 * there is no such document). */
int ngi_store_doc_range(ng_index *idx, long long doc, long long *first_pno, long long *count);
/* A passage's text (its headline or its body) into out: NG_OK, NG_DONE
 * (no such passage) or an error. */
int ngi_store_passage_text(ng_index *idx, long long rowid, buf *out);
/* The number of documents the index holds. */
int ngi_store_doc_count(ng_index *idx, long long *n);
/* The paths of the other members of doc's duplicate group (group: its
 * first member), by age, at most max, appended to out. */
int ngi_store_copy_paths(ng_index *idx, long long doc, long long group, int max, strlist *out);
/* A number that changes whenever the database may have changed (PRAGMA
 * data_version, which other connections' commits move, and this handle's
 * own commits), for caches of committed data; -1 inside a write
 * transaction (cache nothing). */
long long ngi_store_version(ng_index *idx);
/* The passage lengths' chunks (postings.c's nlen rows). */
int ngi_store_lens_get(ng_index *idx, long long chunk, buf *out); /* empty when absent */
int ngi_store_lens_put(ng_index *idx, long long chunk, const char *data, size_t n);
/* A passage's lines (0, 0 when there is no such passage). */
int ngi_store_passage_lines(ng_index *idx, long long rowid, int *first_line, int *last_line);
/* One passage with its document, for a hit (strings live until the next
 * call).  NG_ROW, NG_DONE or an error. */
int ngi_store_hit_row(ng_index *idx, long long rowid, ngi_hit_row *row);

/* The scoring structure's rows (postings.c's storage). */
int ngi_store_stat_get(ng_index *idx, const char *key, long long *value); /* 0 when absent */
int ngi_store_stat_set(ng_index *idx, const char *key, long long value);
/* The value of key, then key incremented. */
int ngi_store_stat_next(ng_index *idx, const char *key, long long *value);
typedef struct ngi_seg_row {
  long long id, level, first_pno, last_pno, bytes, postings;
} ngi_seg_row;
int ngi_store_seg_each(ng_index *idx, int (*fn)(void *ctx, const ngi_seg_row *row), void *ctx); /* in pno order */
int ngi_store_seg_put(ng_index *idx, const ngi_seg_row *row);
/* Deletes a segment with its pages and directory. */
int ngi_store_seg_delete(ng_index *idx, long long seg);
int ngi_store_page_put(ng_index *idx, long long seg, long long page, const char *data, size_t n);
int ngi_store_page_get(ng_index *idx, long long seg, long long page, buf *out); /* replaces out */
int ngi_store_dir_put(ng_index *idx, long long seg, const char *stem, size_t n, long long page, int off);
/* The directory entry of the greatest stem <= stem: 1 with page, offset
 * and that stem, 0 when there is none, or an error. */
int ngi_store_dir_find(ng_index *idx, long long seg, const char *stem, size_t n, long long *page, int *off, buf *found);
/* The same entry with its page's bytes (one statement): 1, 0 or an error. */
int ngi_store_dir_page(ng_index *idx, long long seg, const char *stem, size_t n, long long *page, int *off, buf *data);
int ngi_store_dead_add(ng_index *idx, long long first, long long last);
int ngi_store_dead_each(ng_index *idx, int (*fn)(void *ctx, long long first, long long last), void *ctx);
/* Deletes the dead ranges inside [first, last]. */
int ngi_store_dead_delete(ng_index *idx, long long first, long long last);
long long ngi_store_dead_any(ng_index *idx);          /* the number of dead ranges, or -1 */
int ngi_store_dead_has(ng_index *idx, long long pno); /* 1 dead, 0 not, or an error */
int ngi_store_termdead_add(ng_index *idx, const char *stem, size_t n, long long delta);
int ngi_store_termdead_get(ng_index *idx, const char *stem, size_t n, long long *value);
int ngi_store_termdead_any(ng_index *idx); /* 1 when any stem has dead postings, 0 when none, or an error */
int ngi_store_pdir_get(ng_index *idx, long long chunk, buf *out); /* replaces out; empty when absent */
/* Reads n bytes at offset at of a chunk in place, inside a read
 * transaction: 1 when read, 0 when the caller must use ngi_store_pdir_get
 * (a writer's transaction, no such chunk, too short, an error). */
int ngi_store_pdir_read(ng_index *idx, long long chunk, size_t at, void *out, size_t n);
int ngi_store_pdir_put(ng_index *idx, long long chunk, const char *data, size_t n);

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
/* Is member i a topic synonym ("~truce") rather than a spelling? */
int ngi_variants_member_topic(const ngi_variants *v, int g, size_t i);
/* The member of g with key, or -1. */
int ngi_variants_member_of(const ngi_variants *v, int g, const char *key);
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
  int field;         /* NGI_FILTER: ngi_filter_field; its value is kids[0] */
  int unknown_field; /* NGI_WORD "foo:bar" where foo is no field: the length of foo (searched as words) */
  int distance;      /* NGI_NEAR */
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

/* The scoring plan of a query, beside its FTS5 expression: what the engine
 * (engine.c) evaluates over the postings.  A group is one word (or phrase,
 * or parenthesised part) of the query with its alternatives; an
 * alternative is a set of terms (a phrase's words, a prefix's stems) that
 * must all be present.  A passage matches the plan when each required
 * group (all of them, unless --any) has an alternative present; when the
 * plan is not exact (phrases, NEAR, NOT, nested operators) that is only a
 * necessary condition and FTS5 decides. */
typedef struct ngi_plan_term {
  char *stem;
  size_t len;
  int prefix;    /* every stem that starts with it */
  int head_only; /* in headlines only (a title: query) */
  double weight; /* the query's weight for it */
  int group, alt;
  int literal; /* the form typed or a spelling of it, not a topic synonym */
  int word;    /* in a group of words (nwords > 0): which word's form (1 on), or 0: the group's */
} ngi_plan_term;

typedef struct ngi_plan_group {
  int required;
  int nalts;
  /* A group of nwords words with forms of their own, (w1 AND w2 ...) OR
   * forms of all of them ("mobile phones": mobil AND phone, or "cell
   * phone"); 0 for a group of one word's forms. */
  int nwords;
} ngi_plan_group;

typedef struct ngi_plan {
  ngi_plan_term *terms;
  size_t nterms, capterms;
  ngi_plan_group *groups;
  size_t ngroups, capgroups;
  int exact; /* the postings alone decide a match */
  /* The postings decide a match met through single words: each required
   * group by a one-term alternative of its own (a group of words: by one
   * of each word's, or by a one-term form of all of them), and FTS5 is
   * asked only of the passages met otherwise (through a phrase).  0 when
   * the expression has more to it (NOT, NEAR, nested lists, fields). */
  int exact_words;
} ngi_plan;

void ngi_plan_free(ngi_plan *p);

typedef struct parsed_query {
  ngi_plan plan;
  char *fts; /* the FTS5 expression, or NULL when only filters */
  /* Surface checks (quoted variant forms, data/variants.txt): a passage
   * that matches fts but not fts_plain (fts with those forms' phrases
   * made to match nothing) is a hit only when one of surface_words' forms
   * ("united nations", lower case, '\x1f' between forms) is written in its
   * text as consecutive words (ngi_surface_match).  Both NULL when the
   * query has no such form. */
  char *fts_plain;
  char *surface_words;
  ngi_filter *filters;
  size_t nfilters;
  buf explain;   /* how the query was understood, lines of text */
  buf notes;     /* what the user should be told (ng_index_notes), one line or empty */
  int fallback;  /* the syntax failed and the words were read plainly */
  int has_not;   /* the expression excludes something */
  int truncated; /* too many words: the rest were dropped */
} parsed_query;

/* Parses and expands query: stems (the index's tokenizer), variants,
 * compounds the index knows, prefixes.  Returns NG_OK, NG_EUSAGE (nothing
 * searchable, message on idx) or NG_ESYSTEM. */
int ngi_query_expand(ng_index *idx, const char *query, const ng_search_options *opts, parsed_query *out);
void ngi_parsed_query_free(parsed_query *q);
/* Is the word (as written, any case) on Snowball's English stop list?  1 or 0. */
int ngi_stop_word(const char *word, size_t n);
/* Is one of forms (parsed_query.surface_words) written in text as
 * consecutive words, in any case?  1 or 0. */
int ngi_surface_match(const char *text, size_t n, const char *forms);
/* Loads the variants (built-in, then files added) on first use. */
int ngi_expand_variants(ng_index *idx);
/* Appends to b the FTS5 phrase of key (stems, space separated, used as
 * they are: NGI_VERBATIM), its last a prefix when prefix. */
void ngi_fts_phrase(buf *b, const char *key, int prefix);

/* End of expand.c */

/**************************************************************************
** Interface to engine.c: top-k evaluation of a plan over the postings.
*/

enum ngi_key {
  NGI_KEY_PASSAGE = 0, /* every passage its own */
  NGI_KEY_DOC = 1,     /* the document */
  NGI_KEY_GROUP = 2    /* the document's duplicate group (copies are one story) */
};

typedef struct ngi_engine_query {
  const ngi_plan *plan;
  const char *match;                       /* the FTS5 expression that decides a match when the plan is not exact */
  const char *match_plain, *surface_words; /* parsed_query's: the surface check (expand.c), or NULL */
  const ngi_filter *filters;
  size_t nfilters;
  const char *since, *until;       /* normalized dates or NULL */
  int sort;                        /* ng_sort */
  long k;                          /* results wanted (offset + limit), < 0: all */
  int per_key;                     /* passages per key, 0: no limit */
  int key;                         /* ngi_key: what counts as one story */
  int more;                        /* count each hit's other matching passages of its document */
  double k1, b, head_weight;       /* BM25 */
  int exhaustive;                  /* score every candidate: no pruning (for checking) */
  const struct ngi_rerank *rerank; /* stage 2 (engine.c's header comment), or NULL: stage 1 alone */
} ngi_engine_query;

/* Stage 2: what re-scores the exact stage-1 top depth (see engine.c). */
typedef struct ngi_rerank {
  long depth;       /* stage 1 keeps max(depth, k) candidates */
  double context;   /* weight of the document's other passages' evidence (0: off) */
  double proximity; /* weight of the Buettcher et al. term-proximity score (0: off) */
  double document;  /* weight of the document's own BM25 (0: off) */
  double dk1, db;   /* its k1 and b */
  int fb_docs;      /* RM3: feedback documents (0: no expansion) */
  int fb_terms;     /* RM3: expansion stems kept */
  double fb_orig;   /* RM3: the original query's share of the mixture */
  double fb_maxdf;  /* RM3: expansion stems in at most this share of the passages */
  int fb_window;    /* RM3: a story's feedback text is its best passage and this many on each side (< 0: all) */
} ngi_rerank;

/* A hit's score, part by part (they add up to the score). */
enum ngi_part {
  NGI_PART_TIER,      /* the tier's worth (the words typed, not only synonyms) */
  NGI_PART_BM25,      /* the passage's BM25 over the query's stems */
  NGI_PART_EXPANSION, /* the passage's BM25 over the expansion stems */
  NGI_PART_PROXIMITY, /* the query's words close together */
  NGI_PART_DOCUMENT,  /* the document's BM25 */
  NGI_PART_CONTEXT,   /* the document's other passages */
  NGI_PARTS
};
extern const char *const ngi_part_names[NGI_PARTS];

typedef struct ngi_engine_hit {
  long long pno, rowid;
  double score; /* the whole score: BM25 plus the tier's worth */
  int tier;     /* groups matched by the words typed (each worth more than all BM25 can add) */
  int date;
  int more;               /* with q->more: the document's other matching passages ... */
  long long *more_rowid;  /* ... their rowids, in order (malloc'd) */
  double part[NGI_PARTS]; /* the score's parts (enum ngi_part) */
} ngi_engine_hit;

/* The stems stage 2 added to the query's (RM3), for --explain: filled by
 * ngi_engine_run when q->rerank expands and expansion is non-NULL; each
 * "stem weight" (the weight as a query word's is 1). */
typedef struct ngi_expansion {
  strlist stems;
  double *weights;
} ngi_expansion;
void ngi_expansion_free(ngi_expansion *e);

/* Evaluates q: *hits (malloc'd, best first: score, then rowid; free with
 * ngi_engine_hits_free) and their number.  NG_OK or an error. */
int ngi_engine_run(ng_index *idx, const ngi_engine_query *q, ngi_engine_hit **hits, size_t *n,
                   ngi_expansion *expansion);
void ngi_engine_hits_free(ngi_engine_hit *hits, size_t n);

/* End of engine.c */

/**************************************************************************
** Interface to snippet.c: a hit's extract with the plan's matches marked.
*/

/* The extract of text (a headline when headline is set) of at most
 * ntokens tokens: *out malloc'd.  NG_OK or NG_ESYSTEM. */
int ngi_snippet(ngi_lexicon *lx, const ngi_plan *plan, const char *text, int headline, int ntokens, char **out);

/* End of snippet.c */

/**************************************************************************
** Interface to search.c: the public search calls (nutgraf.h) and this.
*/

/* The caller's options as this version's struct: the fields past the
 * caller's version get the values that version behaved as. */
void ngi_search_options_of(const ng_search_options *in, ng_search_options *out);

/* End of search.c */

#endif
