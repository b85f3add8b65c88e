/*
 * internal.h -- what the modules of libnutgraf share and nothing else sees.
 *
 * One header, one banner per source file (after SQLite's fts5Int.h).  The
 * data flow is: decode (bytes -> clean UTF-8) -> segment (text -> headline,
 * dateline, paragraphs) -> ingest (incremental runs) -> store (SQLite) <-
 * search (ranked passages) <- parse (user query -> FTS5 expression), with
 * tokenize (the FTS5 tokenizer and stemming) under both ends.
 */
#ifndef NG_INTERNAL_H
#define NG_INTERNAL_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>

#include "nutgraf.h"

#if defined(__GNUC__)
#define NG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NG_PRINTF(a, b)
#endif

/**************************************************************************
** Interface to util.c: growable buffers, a string map, UTF-8, hashing.
*/

typedef struct buf {
  char *data; /* NUL-terminated when non-NULL */
  size_t len, cap;
  int oom; /* sticky: an append failed */
} buf;

void buf_free(buf *b);
void buf_reset(buf *b);
int buf_reserve(buf *b, size_t extra);
int buf_add(buf *b, const char *s, size_t n);
int buf_adds(buf *b, const char *s);
int buf_addc(buf *b, char c);
int buf_printf(buf *b, const char *fmt, ...) NG_PRINTF(2, 3);
char *buf_detach(buf *b); /* returns the data (caller frees), leaves b empty */

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

void *strmap_get(const strmap *m, const char *key, size_t klen);
/* Inserts or replaces; returns 0, or -1 when out of memory. */
int strmap_put(strmap *m, const char *key, size_t klen, void *value);
void strmap_clear(strmap *m, void (*free_value)(void *));

uint64_t hash_bytes(const void *data, size_t n);

/* Length of the UTF-8 sequence at s (of at most n bytes) and its code point,
 * or 0 when the bytes there are not valid UTF-8 (overlong forms, surrogates
 * and values past U+10FFFF are invalid). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Length of the longest valid UTF-8 prefix of s. */
size_t utf8_valid_prefix(const char *s, size_t n);
/* Number of code points in s (n bytes of valid UTF-8). */
size_t utf8_length(const char *s, size_t n);
/* Appends cp as UTF-8. */
int buf_add_utf8(buf *b, uint32_t cp);

/* Normalizes a date to "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" (no zone given)
 * or "YYYY-MM-DDTHH:MM:SSZ" (a zone given, converted to UTC); out holds 21
 * bytes at least.  Returns 0, or -1 when the text is not a date it knows. */
int normalize_date(const char *text, char *out, size_t n);

/* Lexically cleans a path: absolute (against the working directory), no
 * ".", "..", "//" or trailing "/".  Returns a malloc'd string or NULL. */
char *clean_path(const char *path);

/**************************************************************************
** Interface to decode.c: bytes -> clean UTF-8.
*/

enum decode_result { DECODE_OK = 0, DECODE_BINARY = 1, DECODE_BAD = 2, DECODE_NOMEM = 3 };

typedef struct decoded {
  char *text; /* malloc'd UTF-8, '\n' line ends, no controls but '\t' */
  size_t len;
  const char *encoding; /* static: "UTF-8", "UTF-16LE", ... or the fallback name */
} decoded;

/* Decodes bytes: a UTF-8 BOM is dropped, UTF-16/32 need a BOM, other text
 * that is not valid UTF-8 is converted from fallback with iconv (falling
 * back to ISO-8859-1 for bytes fallback cannot map).  NUL bytes outside
 * UTF-16/32 make the input binary.  CRLF and CR become LF; control
 * characters but tab and LF become spaces.  On DECODE_BAD err says why. */
int decode_bytes(const char *bytes, size_t n, const char *fallback, decoded *out, char *err, size_t errlen);
/* Checks that iconv knows the encoding name: 0 or -1. */
int decode_check_encoding(const char *name);
/* Cleans valid UTF-8 in place as decode_bytes does (line ends, controls);
 * returns the new length. */
size_t decode_clean(char *s, size_t n);

/**************************************************************************
** Interface to segment.c: article text -> headline, dateline, paragraphs.
*/

#define NG_MAX_PASSAGE_BYTES 65536
#define NG_MAX_PASSAGES 1048575 /* ordinals fit in the low 20 bits of a rowid */

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

/* Splits text (clean UTF-8 from decode_bytes) into passages.  When title is
 * non-NULL the text is a body only: title becomes the headline at line
 * first_line and body lines are numbered from first_line + 2.  Otherwise a
 * header block (Title:, Date:, Source:, URL:, Author:, then a blank line) is
 * read when present and the headline found as described in segment.c.
 * Returns NG_OK, NG_EDATA (too many paragraphs) or NG_ESYSTEM (memory). */
int segment_article(const char *text, size_t len, const char *title, article *out);
void article_free(article *a);
static inline const char *article_text(const article *a, size_t i) { return a->texts.data + a->passages[i].offset; }

/**************************************************************************
** Interface to tokenize.c: the "nutgraf" FTS5 tokenizer and its lexicon.
**
** Tokens are unicode61's (case folded, diacritics removed), with apostrophes
** kept inside English words, stemmed with Snowball.  A hyphenated compound
** (cease-fire) also yields the stem of its parts joined (ceasefire),
** colocated with its first and last part.  In query mode a string that
** starts with LEX_VERBATIM holds stems separated by spaces, used as they are.
*/

#define LEX_VERBATIM '\x01'
#define LEX_MAX_TOKEN 200  /* longer tokens are cut to this many bytes */
#define LEX_MAX_STEMMED 64 /* longer tokens are not stemmed */

typedef struct lex_word {
  char *raw, *stem;
  size_t rawlen, stemlen;
  int stored; /* already in the word table */
} lex_word;

typedef struct lex_slot lex_slot;
#define LEX_FRONT_SIZE 4096
typedef struct lex_front {
  uint64_t k[2]; /* the word, zero-padded (words of 16 bytes at most) */
  unsigned char rawlen, stemlen, hits;
  char stem[13];
} lex_front;

typedef struct lexicon {
  char language[32];
  struct sb_stemmer *stemmer;
  int apostrophes;               /* keep ' inside words (English) */
  unsigned char ascii_fold[128]; /* ASCII word bytes folded; 0 for separators */
  fts5_tokenizer u61;            /* the parent tokenizer */
  Fts5Tokenizer *u61_inst;
  struct lex_slot {
    uint64_t hash;
    lex_word *word;
  } * cache; /* raw word -> lex_word (tokenize.c) */
  size_t cache_cap, cache_count;
  lex_front *front; /* LEX_FRONT_SIZE short frequent words (tokenize.c) */
  lex_word **fresh; /* words not yet in the word table */
  size_t nfresh, capfresh;
  int record;         /* note fresh words (write handles) */
  const char *replay; /* a token stream to replay for the next document (prepare.c) */
  size_t replay_len;
  int replay_text_len; /* the length of the text the stream was made from */
} lexicon;

/* Checks that Snowball knows the language: 0 or -1. */
int lexicon_known_language(const char *language);
/* The connection's FTS5 API, or NULL. */
fts5_api *fts5_api_of(sqlite3 *db);
/* Creates the lexicon and registers the "nutgraf" tokenizer on db. */
int lexicon_init(lexicon *lx, sqlite3 *db, const char *language, char *err, size_t errlen);
void lexicon_free(lexicon *lx);
/* The stem of a folded word; owned by the lexicon until lexicon_forget. */
const char *lexicon_stem(lexicon *lx, const char *raw, size_t n, size_t *stemlen);
/* Drops the cache (after the fresh words were stored). */
void lexicon_forget(lexicon *lx);
/* Forgets that the fresh words were queued (their transaction rolled back). */
void lexicon_unstore(lexicon *lx);

enum { TOK_DOCUMENT = 0, TOK_QUERY = 1 };
typedef struct lex_token {
  const char *stem;
  size_t stemlen;
  const char *raw; /* folded word as written */
  size_t rawlen;
  int start, end;   /* byte offsets in the text */
  int hyphen_after; /* the token is followed by a single hyphen and a word */
} lex_token;
typedef int (*lex_token_fn)(void *ctx, const lex_token *t);
/* Tokenizes text as a document is, passing FTS5-style tokens to xToken. */
int lexicon_stream(lexicon *lx, const char *text, int n, void *ctx,
                   int (*xToken)(void *, int, const char *, int, int, int));
/* Makes the tokenizer replay stream (records of flags, stem length, start,
 * end, stem: see prepare.c) for the next document text of text_len bytes;
 * NULL stops replaying. */
void lexicon_replay(lexicon *lx, const char *stream, size_t len, int text_len);
/* Tokenizes text the way the index does, without joining compounds,
 * calling fn for each token; returns SQLITE_OK or fn's non-zero result. */
int lexicon_tokenize(lexicon *lx, const char *text, int n, void *ctx, lex_token_fn fn);

/**************************************************************************
** Interface to prepare.c: a worker thread that reads, decodes, segments and
** tokenizes files ahead of the writer.
*/

enum prep_outcome { PREP_ARTICLE, PREP_FEED, PREP_SAME, PREP_SKIP };

typedef struct prep_job {
  struct prep_job *next;
  /* Filled by the writer. */
  char *path;
  int check_same; /* compare the content with known_size and known_hash */
  long long known_size, known_hash;
  int feed; /* a JSON Lines feed: read, do not decode */
  /* Filled by the worker. */
  int done;
  int outcome; /* prep_outcome */
  int severity, error_class, binary;
  char message[300];
  long long size, mtime_ns, hash;
  const char *encoding;
  char *data; /* PREP_FEED: the bytes */
  size_t len;
  article art;      /* PREP_ARTICLE */
  buf tokens;       /* the passages' token streams, one after another */
  size_t *token_at; /* passage i's stream is tokens[token_at[i], token_at[i + 1]), or NULL */
  buf words;        /* words met first: raw NUL stem NUL ... */
} prep_job;

typedef struct preparer preparer;

int preparer_start(preparer **out, const char *language, const char *fallback, long long max_size, char *err,
                   size_t errlen);
/* Queues a job (the preparer owns it until preparer_take returns it). */
void preparer_submit(preparer *p, prep_job *j);
/* The oldest job, once done (waits for it); NULL when none is queued. */
prep_job *preparer_take(preparer *p);
size_t preparer_pending(preparer *p);
/* Hands a taken job back to be freed by the worker, off the writer's path
 * and in the thread whose allocator made most of its memory. */
void preparer_give_back(preparer *p, prep_job *j);
/* Stops the worker and frees the jobs still queued.  Accepts NULL. */
void preparer_stop(preparer *p);
void prep_job_free(prep_job *j);

/**************************************************************************
** Interface to rank.c: the nutgraf_rank() FTS5 auxiliary function.
*/

/* Registers nutgraf_rank on db. */
int rank_register(sqlite3 *db);

/**************************************************************************
** Interface to store.c: the SQLite file, schema, statements, errors.
*/

typedef struct variants variants;

enum stmt_id {
  ST_DOC_INSERT,
  ST_DOC_UPDATE,
  ST_DOC_TOUCH,
  ST_DOC_DELETE,
  ST_PASSAGE_INSERT,
  ST_PASSAGE_DELETE,
  ST_WORD_INSERT,
  ST_WORD_EXISTS,
  ST_WORD_PREFIX,
  ST_WORD_NEAR,
  ST_COUNT
};

struct ng_index {
  sqlite3 *db;
  char *path;
  int writable;
  int lock_fd;
  int in_txn;
  char *unpublished; /* a new index's temporary file, until its first commit (store.c) */
  int busy_ms;
  lexicon lx;
  int lx_ready;
  int snip_ready; /* the temporary snippet table exists (search.c) */
  variants *vars;
  sqlite3_stmt *stmts[ST_COUNT];
  sqlite3_stmt *word_insert_many; /* store_flush_words' batch insert */
  buf queued_words;               /* "raw\0stem\0" pairs from the worker, to be stored */
  char err[1024];
};

/* Sets the handle's message; returns code. */
int ng_fail(ng_index *idx, int code, const char *fmt, ...) NG_PRINTF(3, 4);
/* Sets the message from SQLite's error on the handle's database (with a
 * context prefix) and returns NG_ESYSTEM (NG_EDATA for a damaged file). */
int ng_fail_sqlite(ng_index *idx, const char *context);
/* Prepares (once) and resets statement id; NULL on error (message set). */
sqlite3_stmt *store_stmt(ng_index *idx, int id);
int store_begin(ng_index *idx);
int store_commit(ng_index *idx);
void store_rollback(ng_index *idx);
/* Runs SQL without results; NG_OK or an error with context. */
int store_exec(ng_index *idx, const char *sql, const char *context);
/* Stores the lexicon's fresh words and the queued ones. */
int store_flush_words(ng_index *idx);
/* Queues words a worker met first ("raw\0stem\0" pairs), to be stored by
 * the next commit; NG_OK or NG_ESYSTEM. */
int store_queue_words(ng_index *idx, const char *pairs, size_t len);

/**************************************************************************
** Interface to feed.c: JSON Lines records.
*/

typedef struct feed_record {
  char *id, *title, *body, *date, *source, *url, *author; /* malloc'd or NULL */
} feed_record;

/* Parses one line.  Returns NG_OK, NG_DONE for a blank line, or NG_EDATA
 * with err set ("missing field body", "not JSON: ..."). */
int feed_parse_line(const char *line, size_t n, feed_record *rec, char *err, size_t errlen);
void feed_record_free(feed_record *rec);

/**************************************************************************
** Interface to variants.c: equivalent forms used at query time.
*/

/* The variants compiled in from data/variants.txt (variants_data.c). */
extern const char ng_builtin_variants[];

variants *variants_new(void);
void variants_free(variants *v);
/* Adds groups from text (one group a line, forms separated by commas,
 * '#' comments).  Each form is reduced to its stems with lx.  Returns NG_OK
 * or NG_EDATA with err naming the line (origin is used in the message). */
int variants_add_text(variants *v, lexicon *lx, const char *text, size_t n, const char *origin, char *err,
                      size_t errlen);
/* The group of the stem sequence key ("stem stem ..."), or -1. */
int variants_lookup(variants *v, const char *key);
/* Members of group g: their stem sequences, and forms as written. */
size_t variants_group_size(const variants *v, int g);
const char *variants_member_key(const variants *v, int g, size_t i);
const char *variants_member_form(const variants *v, int g, size_t i);
/* Longest member, in stems, of any group (to bound phrase matching). */
size_t variants_max_len(const variants *v);

/**************************************************************************
** Interface to parse.c: user query -> FTS5 expression.
*/

enum filter_field { FIELD_TITLE, FIELD_SOURCE, FIELD_PATH };

typedef struct query_filter {
  int field; /* filter_field */
  int negated;
  char *value; /* source/path: text as typed; title: an FTS5 expression */
} query_filter;

typedef struct parsed_query {
  char *fts; /* the FTS5 expression, or NULL when only filters */
  query_filter *filters;
  size_t nfilters;
  buf explain;   /* how the query was understood, lines of text */
  int fallback;  /* the syntax failed and the words were read plainly */
  int has_not;   /* the expression excludes something */
  int truncated; /* too many words: the rest were dropped */
} parsed_query;

#define NG_MAX_QUERY_TERMS 256
#define NG_MAX_QUERY_DEPTH 16

/* A copy of query with control characters and bytes that are not UTF-8 made
 * spaces, cut at 16 KiB (*truncated set then); malloc'd, or NULL. */
char *clean_query(const char *query, size_t *len, int *truncated);

/* Parses query.  Returns NG_OK, NG_EUSAGE (nothing searchable, message on
 * idx) or NG_ESYSTEM. */
int parse_query(ng_index *idx, const char *query, const ng_search_options *opts, parsed_query *out);
void parsed_query_free(parsed_query *q);

#endif
