/*
 * tokenize.c -- the "nutgraf" FTS5 tokenizer: unicode61, then Snowball.
 *
 * Like FTS5's porter tokenizer it wraps a parent (unicode61 with diacritics
 * removed) and keeps per-call state on the stack.  What it adds:
 *  - English words keep their apostrophes (’ ‘ ʼ become '), so Snowball's
 *    own rule removes the possessive: Ukraine’s, Ukraine's -> ukrain;
 *  - a hyphenated compound (cease-fire, 12-hour) is indexed as its parts
 *    and also as the parts joined (ceasefire), colocated with its first and
 *    its last part, so "ceasefire" finds "cease-fire" and phrases around the
 *    compound still line up;
 *  - a dotted acronym in capitals (U.N., U.S., U.K.) is one token of its
 *    letters, so U.N. and UN are one word;
 *  - tokens longer than NGI_MAX_TOKEN bytes are cut, and tokens longer than
 *    NGI_MAX_STEMMED are not stemmed, so no input makes stemming costly;
 *  - in query mode a string that starts with NGI_VERBATIM holds stems
 *    already computed by the query parser, used as they are.
 * Stored text read again for a query's sake (snippets, proximity) is
 * tokenized with a stem filter (ngi_tokenize_text_for): a token whose first
 * byte no query stem starts with is not stemmed, since an English stem
 * keeps its word's first byte.
 * The lexicon caches raw word -> stem (most words repeat, so this is faster
 * than stemming every token) and, on write handles, remembers words not yet
 * in the word table, which serves prefix expansion and "did you mean".
 * Token streams (ngi_tokens_encode) let the indexing worker tokenize a
 * passage ahead.  A stream opens with the length and hash of the text it
 * was made from, and the tokenizer replays it only for that text: any
 * other text, a stream given with the wrong passage included, is
 * tokenized afresh.
 */
#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct lex_word {
  char *raw, *stem;
  size_t rawlen, stemlen;
  int stored; /* already in the word table, or queued for it */
} lex_word;

typedef struct lex_slot {
  uint64_t hash;
  lex_word *word;
} lex_slot;

#define LEX_FRONT_SIZE 4096
#define LEX_FRONT_AFTER 20000 /* words of stored text read again before the front cache is made */
typedef struct lex_front {
  uint64_t k[2]; /* the word, zero-padded (words of 16 bytes at most) */
  unsigned char rawlen, stemlen, hits;
  char stem[13];
} lex_front;

struct ngi_lexicon {
  char language[32];
  struct sb_stemmer *stemmer;
  int apostrophes;               /* keep ' inside words (English) */
  int keeps_first;               /* a stem starts with its word's first byte */
  unsigned char ascii_fold[128]; /* ASCII word bytes folded; 0 for separators */
  fts5_tokenizer u61;            /* the parent tokenizer */
  Fts5Tokenizer *u61_inst;
  lex_slot *cache; /* raw word -> lex_word */
  size_t cache_cap, cache_count;
  lex_front *front;     /* LEX_FRONT_SIZE short frequent words */
  long long text_words; /* words of stored text stemmed before the front cache was made */
  lex_word **fresh;     /* words not yet in the word table */
  size_t nfresh, capfresh;
  int record; /* note fresh words (write handles, the indexing worker) */
  /* A token stream to replay for a document tokenizing of the text it was
   * made from (ngi_tokens_expect). */
  const char *replay;
  size_t replay_len;
  long long replayed;     /* streams replayed, for tests */
  ngi_capture_fn capture; /* also told every document token (ngi_tokens_capture) */
  void *capture_ctx;
};

#define CHAIN_MAX 8
#define CACHE_MAX 400000

int ng_check_language(const char *language) {
  return language && ngi_lexicon_known_language(language) == 0 ? NG_OK : NG_EUSAGE;
}

int ngi_lexicon_known_language(const char *language) {
  struct sb_stemmer *s = sb_stemmer_new(language, "UTF_8");
  if (!s) return -1;
  sb_stemmer_delete(s);
  return 0;
}

/* The cache is an open-addressing table of (hash, word) slots: a lookup
 * touches one slot and the word it points to, whose raw form sits right
 * after it in memory.  It is the hot path of indexing. */
static lex_word *cache_find(const ngi_lexicon *lx, const char *raw, size_t n, uint64_t h, size_t *slot) {
  size_t mask = lx->cache_cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    lex_word *w = lx->cache[i].word;
    if (!w || (lx->cache[i].hash == h && w->rawlen == n && memcmp(w->raw, raw, n) == 0)) {
      *slot = i;
      return w;
    }
  }
}

static int cache_grow(ngi_lexicon *lx) {
  size_t cap = lx->cache_cap ? lx->cache_cap * 2 : 256; /* a query needs few words */
  lex_slot *old = lx->cache;
  size_t oldcap = lx->cache_cap;
  lx->cache = calloc(cap, sizeof *lx->cache);
  if (!lx->cache) {
    lx->cache = old;
    return -1;
  }
  lx->cache_cap = cap;
  for (size_t i = 0; i < oldcap; i++) {
    if (!old[i].word) continue;
    size_t slot;
    cache_find(lx, old[i].word->raw, old[i].word->rawlen, old[i].hash, &slot);
    lx->cache[slot] = old[i];
  }
  free(old);
  return 0;
}

static lex_word *cache_word_hashed(ngi_lexicon *lx, const char *raw, size_t n, uint64_t h, int document) {
  if ((lx->cache_count + 1) * 2 > lx->cache_cap && cache_grow(lx) != 0) return NULL;
  size_t slot;
  lex_word *w = cache_find(lx, raw, n, h, &slot);
  if (!w) {
    const sb_symbol *st = sb_stemmer_stem(lx->stemmer, (const sb_symbol *)raw, (int)n);
    if (!st) return NULL;
    size_t sl = (size_t)sb_stemmer_length(lx->stemmer);
    w = malloc(sizeof *w + n + sl + 2);
    if (!w) return NULL;
    w->raw = (char *)(w + 1);
    w->rawlen = n;
    w->stem = w->raw + n + 1;
    w->stemlen = sl;
    memcpy(w->raw, raw, n);
    w->raw[n] = '\0';
    memcpy(w->stem, st, sl);
    w->stem[sl] = '\0';
    w->stored = 0;
    lx->cache[slot].hash = h;
    lx->cache[slot].word = w;
    lx->cache_count++;
  }
  if (document && lx->record && !w->stored) {
    if (lx->nfresh == lx->capfresh) {
      size_t cap = lx->capfresh ? lx->capfresh * 2 : 1024;
      lex_word **f = realloc(lx->fresh, cap * sizeof *f);
      if (!f) return NULL;
      lx->fresh = f;
      lx->capfresh = cap;
    }
    lx->fresh[lx->nfresh++] = w;
    w->stored = 1; /* noted: ngi_lexicon_take_fresh hands it on */
  }
  return w;
}

static lex_word *cache_word(ngi_lexicon *lx, const char *raw, size_t n, int document) {
  return cache_word_hashed(lx, raw, n, ngi_hash(raw, n), document);
}

/* The stem of a token, through the front cache: a small direct-mapped
 * table holding short frequent words and their stems inline, so that most
 * tokens cost one cache line and no pointer chase.  A word enters it only
 * once it needs no more recording. */
static const char *stem_of(ngi_lexicon *lx, const char *raw, size_t n, int padded, int document, int text,
                           size_t *stemlen) {
  lex_front *f = NULL;
  uint64_t k[2] = {0, 0};
  /* The front cache pays off over documents' text (indexed, or read again
   * by the ranking and the snippets), not over a query's words. */
  /* Its 128 KB are worth their page faults only past a few thousand
   * words: a search process's snippets read some hundreds. */
  if (!lx->front && (document || (text && ++lx->text_words > LEX_FRONT_AFTER)))
    lx->front = calloc(LEX_FRONT_SIZE, sizeof *lx->front);
  if (n <= sizeof k && lx->front) {
    /* The word itself, zero-padded, is the key: two compares, no hashing.
     * A padded word has zeros after it up to 16 bytes: read it whole. */
    if (padded)
      memcpy(k, raw, sizeof k);
    else
      memcpy(k, raw, n);
    uint64_t mix = (k[0] * 0x9E3779B97F4A7C15ULL) ^ (k[1] * 0xC2B2AE3D27D4EB4FULL) ^ n;
    f = &lx->front[(mix >> 40) & (LEX_FRONT_SIZE - 1)];
    if (f->k[0] == k[0] && f->k[1] == k[1] && f->rawlen == n) {
      if (f->hits < 255) f->hits++;
      *stemlen = f->stemlen;
      return f->stem;
    }
  }
  lex_word *w = cache_word(lx, raw, n, document);
  if (!w) return NULL;
  /* A slot goes to a new word only once its word has lost its hits, so
   * rare words do not push out frequent ones. */
  if (f && f->hits > 0) {
    f->hits--;
  } else if (f && w->stemlen <= sizeof f->stem && (w->stored || !lx->record)) {
    f->k[0] = k[0];
    f->k[1] = k[1];
    f->hits = 1;
    f->rawlen = (unsigned char)n;
    f->stemlen = (unsigned char)w->stemlen;
    memcpy(f->stem, w->stem, w->stemlen);
  }
  *stemlen = w->stemlen;
  return w->stem;
}

const char *ngi_lexicon_stem(ngi_lexicon *lx, const char *raw, size_t n, size_t *stemlen) {
  lex_word *w = cache_word(lx, raw, n, 0);
  if (!w) return NULL;
  *stemlen = w->stemlen;
  return w->stem;
}

static void cache_clear(ngi_lexicon *lx) {
  if (lx->front) memset(lx->front, 0, LEX_FRONT_SIZE * sizeof *lx->front);
  for (size_t i = 0; i < lx->cache_cap; i++) free(lx->cache[i].word);
  free(lx->cache);
  lx->cache = NULL;
  lx->cache_cap = lx->cache_count = 0;
}

void ngi_lexicon_forget(ngi_lexicon *lx) {
  if (lx->cache_count < CACHE_MAX) return;
  cache_clear(lx);
  lx->nfresh = 0;
}

/* ------------------------------------------------------------------ */

typedef struct part {
  char stem[NGI_MAX_TOKEN + 1];
  char raw[NGI_MAX_TOKEN + 1];
  size_t stemlen, rawlen;
  int start, end;
} part;

typedef struct tok_state {
  ngi_lexicon *lx;
  int document;                  /* document tokenizing: join compounds, record words */
  int aux;                       /* for snippets: only positions and offsets matter */
  int prefix;                    /* an FTS5 prefix query: do not stem */
  int text_mode;                 /* a document's text tokenized again (ngi_tokenize_text) */
  const ngi_stem_filter *filter; /* the tokens to stem (ngi_tokenize_text_for) */
  const char *text;
  int ntext;
  void *fts_ctx;
  int (*xToken)(void *, int, const char *, int, int, int);
  lex_token_fn fn; /* internal tokenizing (the query parser) */
  void *fn_ctx;
  part chain[CHAIN_MAX];
  size_t nchain;
  int expect_start; /* where the next part of the chain must start */
  int base;         /* offset of the text handed to unicode61 */
} tok_state;

/* Length of the hyphen at s, or 0: '-', U+2010 or U+2011, followed by a word
 * character (not a space, not another dash). */
static int hyphen_at(const char *s, int n) {
  int k = 0;
  if (n >= 1 && s[0] == '-')
    k = 1;
  else if (n >= 3 && (unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 &&
           ((unsigned char)s[2] == 0x90 || (unsigned char)s[2] == 0x91))
    k = 3;
  if (!k || k >= n) return 0;
  unsigned char c = (unsigned char)s[k];
  if (c >= 0x80) return (c == 0xE2) ? 0 : k;
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? k : 0;
}

static int emit(tok_state *ts, int colocated, const char *s, size_t n, int start, int end) {
  return ts->xToken(ts->fts_ctx, colocated ? FTS5_TOKEN_COLOCATED : 0, s, (int)n, start, end);
}

static int flush_chain(tok_state *ts) {
  int rc = SQLITE_OK;
  size_t n = ts->nchain;
  ts->nchain = 0;
  if (n == 0) return rc;
  if (n == 1) return emit(ts, 0, ts->chain[0].stem, ts->chain[0].stemlen, ts->chain[0].start, ts->chain[0].end);
  char joined[NGI_MAX_TOKEN + 1];
  size_t jl = 0;
  for (size_t i = 0; i < n && jl < NGI_MAX_TOKEN; i++) {
    const char *r = ts->chain[i].raw;
    size_t k = ts->chain[i].rawlen;
    if (jl + k > NGI_MAX_TOKEN) {
      k = NGI_MAX_TOKEN - jl;
      while (k > 0 && ((unsigned char)r[k] & 0xC0) == 0x80) k--;
    }
    memcpy(joined + jl, r, k);
    jl += k;
  }
  const char *js = joined;
  size_t jsl = jl;
  if (jl <= NGI_MAX_STEMMED) {
    lex_word *w = cache_word(ts->lx, joined, jl, ts->document);
    if (!w) return SQLITE_NOMEM;
    js = w->stem;
    jsl = w->stemlen;
  }
  int s0 = ts->chain[0].start, e1 = ts->chain[n - 1].end;
  for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
    rc = emit(ts, 0, ts->chain[i].stem, ts->chain[i].stemlen, ts->chain[i].start, ts->chain[i].end);
    if (rc == SQLITE_OK && (i == 0 || i == n - 1)) rc = emit(ts, 1, js, jsl, s0, e1);
  }
  return rc;
}

/* One folded token at [start, end) of the text.  A clean token is known
 * to be short enough and free of apostrophes, and is zero-padded to 16
 * bytes (the ASCII path of run_parent makes them so). */
static int take_token(tok_state *ts, const char *tok, int ntok, int start, int end, int clean) {
  ngi_lexicon *lx = ts->lx;
  char word[NGI_MAX_TOKEN + 8];
  const char *raw = tok;
  size_t rawlen = (size_t)ntok;
  /* Most tokens are short and plain: use them in place.  Others are cut at
   * NGI_MAX_TOKEN (on a character boundary), and English apostrophes
   * (U+2018, U+2019, U+02BC) become '. */
  int plain = clean || ntok <= NGI_MAX_TOKEN;
  for (int i = 0; plain && !clean && i < ntok; i++) {
    unsigned char c = (unsigned char)tok[i];
    plain = c != '\'' && c != 0xE2 && c != 0xCA;
  }
  if (!plain) {
    size_t n = 0;
    for (int i = 0; i < ntok;) {
      unsigned char c = (unsigned char)tok[i];
      int len = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      if (i + len > ntok) len = ntok - i;
      int apostrophe = lx->apostrophes && ((len == 3 && c == 0xE2 && (unsigned char)tok[i + 1] == 0x80 &&
                                            ((unsigned char)tok[i + 2] == 0x98 || (unsigned char)tok[i + 2] == 0x99)) ||
                                           (len == 2 && c == 0xCA && (unsigned char)tok[i + 1] == 0xBC));
      if (apostrophe) {
        if (n + 1 > NGI_MAX_TOKEN) break;
        word[n++] = '\'';
      } else {
        if (n + (size_t)len > NGI_MAX_TOKEN) break;
        memcpy(word + n, tok + i, (size_t)len);
        n += (size_t)len;
      }
      i += len;
    }
    size_t a = 0;
    while (a < n && word[a] == '\'') a++;
    while (n > a && word[n - 1] == '\'') n--;
    if (n == a) return SQLITE_OK;
    rawlen = n - a;
    raw = memmove(word, word + a, rawlen);
  }

  const char *stem = raw;
  size_t stemlen = rawlen;
  /* snippet() and highlight() map token positions to offsets and never
   * look at a token's text: stemming would be wasted there. */
  if (ts->aux) return emit(ts, 0, raw, rawlen, start, end);
  unsigned char first = (unsigned char)raw[0];
  if (ts->filter && rawlen > 0 && first != '\'' && !(ts->filter->first[first >> 3] & (1u << (first & 7)))) {
    stem = "";
    stemlen = 0;
  } else if (!ts->prefix && rawlen <= NGI_MAX_STEMMED) {
    stem = stem_of(lx, raw, rawlen, clean, ts->document, ts->text_mode, &stemlen);
    if (!stem) return SQLITE_NOMEM;
  }
  int hyphen = end < ts->ntext ? hyphen_at(ts->text + end, ts->ntext - end) : 0;

  if (ts->fn) {
    lex_token t = {stem, stemlen, raw, rawlen, start, end, hyphen != 0};
    return ts->fn(ts->fn_ctx, &t);
  }
  if (!ts->document) return emit(ts, 0, stem, stemlen, start, end);

  int rc = SQLITE_OK;
  if (ts->nchain > 0 && start != ts->expect_start) rc = flush_chain(ts);
  if (rc != SQLITE_OK) return rc;
  if (ts->nchain == 0 && !hyphen) return emit(ts, 0, stem, stemlen, start, end);
  part *p = &ts->chain[ts->nchain++];
  memcpy(p->stem, stem, stemlen);
  p->stemlen = stemlen;
  memcpy(p->raw, raw, rawlen);
  p->rawlen = rawlen;
  p->start = start;
  p->end = end;
  ts->expect_start = end + hyphen;
  if (!hyphen || ts->nchain == CHAIN_MAX) rc = flush_chain(ts);
  return rc;
}

/* unicode61's callback: offsets are relative to the span it was given. */
static int on_token(void *ctx, int tflags, const char *tok, int ntok, int start, int end) {
  (void)tflags;
  tok_state *ts = ctx;
  return take_token(ts, tok, ntok, ts->base + start, ts->base + end, 0);
}

/* A dotted acronym at u[i]: single capital letters each followed by a full
 * stop ("U.N.", "U.S.", "U.K."; the last stop may be missing: "U.S"), at
 * least two letters, nothing alphanumeric right after.  Lower-case ones
 * ("e.g.", "i.e.", "a.m.") stay letters apart: joined, they cost the
 * medical test collection 0.0003 of MAP.  It is
 * one token of its letters (un), so that U.N. is UN; the offset after it
 * (its last stop included) is returned, and the letters folded into out
 * (at most 16, *k of them), or 0 when there is none. */
static int dotted_acronym(const unsigned char *u, int i, int n, const unsigned char *fold, char *out, int *k) {
#define LETTER(c) ((c) >= 'A' && (c) <= 'Z')
#define ALNUM(c) ((c) >= 0x80 || fold[(c)])
  if (i + 2 >= n || !LETTER(u[i]) || u[i + 1] != '.') return 0;
  int j = i, count = 0, stopped = 0;
  while (j < n && count < 16 && LETTER(u[j]) && (j + 1 >= n || !ALNUM(u[j + 1]))) {
    out[count++] = (char)(u[j] | 32);
    j++;
    stopped = j < n && u[j] == '.';
    if (!stopped) break;
    j++;
  }
  if (count < 2 || (j < n && ALNUM(u[j]))) return 0;
  (void)stopped;
  *k = count;
  return j;
#undef LETTER
#undef ALNUM
}

/* Splits text into words.  A span of ASCII letters and digits (and
 * apostrophes, in English) is a token, folded here; a span that holds any
 * byte past ASCII goes to unicode61, which knows Unicode's letters, folds
 * case and removes diacritics.  The result is what unicode61 alone would
 * give, since an ASCII separator separates for unicode61 too, at a fraction
 * of the cost on the mostly-ASCII text of English news. */
static int run_parent(ngi_lexicon *lx, tok_state *ts, const char *text, int n) {
  ts->text = text;
  ts->ntext = n;
  const unsigned char *u = (const unsigned char *)text;
  const unsigned char *fold = lx->ascii_fold;
  int flags = ts->document ? FTS5_TOKENIZE_DOCUMENT : FTS5_TOKENIZE_QUERY;
  int rc = SQLITE_OK;
  uint64_t folded64[(NGI_MAX_TOKEN + 16) / 8 + 1];
  char *folded = (char *)folded64;
  for (int i = 0; i < n && rc == SQLITE_OK;) {
    while (i < n && u[i] < 0x80 && !fold[u[i]]) i++;
    if (i >= n) break;
    int start = i, k = 0, apostrophe = 0;
    folded64[0] = folded64[1] = 0;
    int end = dotted_acronym(u, i, n, fold, folded, &k);
    if (end) {
      i = end;
      rc = take_token(ts, folded, k, start, end, 1);
      continue;
    }
    for (; i < n; i++) {
      unsigned char c = u[i];
      if (c >= 0x80 || !fold[c]) break;
      if (k < NGI_MAX_TOKEN) folded[k++] = (char)fold[c];
      apostrophe |= c == '\'';
    }
    if (i < n && u[i] >= 0x80) {
      while (i < n && (u[i] >= 0x80 || fold[u[i]])) i++;
      ts->base = start;
      rc = lx->u61.xTokenize(lx->u61_inst, ts, flags, text + start, i - start, on_token);
    } else {
      rc = take_token(ts, folded, k, start, i, !apostrophe && i - start <= NGI_MAX_TOKEN);
    }
  }
  if (rc == SQLITE_OK && ts->document) rc = flush_chain(ts);
  return rc;
}

#define STREAM_HEAD 10   /* a token: flags, stem length, two 32-bit offsets */
#define STREAM_SOURCE 12 /* a stream opens with its text's length and hash */

/* The stream record of one token: flags, stem length, offsets, stem,
 * written in place into room reserved once. */
static int stream_token(void *ctx, int tflags, const char *tok, int n, int start, int end) {
  buf *b = ctx;
  if (ngi_buf_reserve(b, STREAM_HEAD + (size_t)n) != 0) return SQLITE_NOMEM;
  unsigned char *r = (unsigned char *)b->data + b->len;
  int32_t offsets[2] = {start, end};
  r[0] = (unsigned char)tflags;
  r[1] = (unsigned char)n;
  memcpy(r + 2, offsets, sizeof offsets);
  memcpy(r + STREAM_HEAD, tok, (size_t)n);
  b->len += STREAM_HEAD + (size_t)n;
  b->data[b->len] = '\0';
  return SQLITE_OK;
}

int ngi_tokens_encode(ngi_lexicon *lx, const char *text, int n, buf *out) {
  int32_t len = n;
  uint64_t h = ngi_hash(text, (size_t)n);
  ngi_buf_add(out, (const char *)&len, sizeof len);
  ngi_buf_add(out, (const char *)&h, sizeof h);
  tok_state ts;
  memset(&ts, 0, sizeof ts);
  ts.lx = lx;
  ts.document = 1;
  ts.fts_ctx = out;
  ts.xToken = stream_token;
  int rc = run_parent(lx, &ts, text, n);
  return rc == SQLITE_OK && out->oom ? SQLITE_NOMEM : rc;
}

int ngi_tokens_each(const char *stream, size_t len, ngi_capture_fn fn, void *ctx) {
  int rc = SQLITE_OK;
  for (size_t i = STREAM_SOURCE; i + STREAM_HEAD <= len && rc == SQLITE_OK;) {
    const unsigned char *r = (const unsigned char *)stream + i;
    rc = fn(ctx, (const char *)r + STREAM_HEAD, r[1], (r[0] & FTS5_TOKEN_COLOCATED) != 0);
    i += STREAM_HEAD + r[1];
  }
  return rc;
}

long long ngi_tokens_replayed(const ngi_lexicon *lx) { return lx->replayed; }

void ngi_tokens_capture(ngi_lexicon *lx, ngi_capture_fn fn, void *ctx) {
  lx->capture = fn;
  lx->capture_ctx = fn ? ctx : NULL;
}

/* FTS5's token callback, with the capture told each token first. */
typedef struct captured {
  ngi_lexicon *lx;
  void *ctx;
  int (*xToken)(void *, int, const char *, int, int, int);
} captured;

static int captured_token(void *ctx, int tflags, const char *tok, int n, int start, int end) {
  captured *c = ctx;
  int rc = c->lx->capture(c->lx->capture_ctx, tok, n, (tflags & FTS5_TOKEN_COLOCATED) != 0);
  return rc == SQLITE_OK ? c->xToken(c->ctx, tflags, tok, n, start, end) : rc;
}

void ngi_tokens_expect(ngi_lexicon *lx, const char *stream, size_t len) {
  lx->replay = stream;
  lx->replay_len = stream ? len : 0;
}

/* Replays the expected stream when FTS5 asks for the very text it was made
 * from (the same length and hash; any other text is tokenized afresh).
 * 1 when it replayed. */
static int replay(ngi_lexicon *lx, void *ctx, const char *text, int n,
                  int (*xToken)(void *, int, const char *, int, int, int), int *rc) {
  if (!lx->replay || lx->replay_len < STREAM_SOURCE) return 0;
  int32_t len;
  uint64_t h;
  memcpy(&len, lx->replay, sizeof len);
  memcpy(&h, lx->replay + sizeof len, sizeof h);
  if (len != n || h != ngi_hash(text, (size_t)n)) return 0;
  lx->replayed++;
  *rc = SQLITE_OK;
  for (size_t i = STREAM_SOURCE; i + STREAM_HEAD <= lx->replay_len && *rc == SQLITE_OK;) {
    const unsigned char *r = (const unsigned char *)lx->replay + i;
    int32_t offsets[2];
    memcpy(offsets, r + 2, sizeof offsets);
    *rc = xToken(ctx, r[0], (const char *)r + STREAM_HEAD, r[1], offsets[0], offsets[1]);
    i += STREAM_HEAD + r[1];
  }
  return 1;
}

static int tokenize_fn(ngi_lexicon *lx, const char *text, int n, void *ctx, lex_token_fn fn, int text_mode,
                       const ngi_stem_filter *filter) {
  tok_state ts;
  memset(&ts, 0, sizeof ts);
  ts.lx = lx;
  ts.fn = fn;
  ts.fn_ctx = ctx;
  ts.text_mode = text_mode;
  ts.filter = lx->keeps_first ? filter : NULL;
  return run_parent(lx, &ts, text, n);
}

int ngi_tokenize(ngi_lexicon *lx, const char *text, int n, void *ctx, lex_token_fn fn) {
  return tokenize_fn(lx, text, n, ctx, fn, 0, NULL);
}

int ngi_tokenize_text(ngi_lexicon *lx, const char *text, int n, void *ctx, lex_token_fn fn) {
  return tokenize_fn(lx, text, n, ctx, fn, 1, NULL);
}

void ngi_stem_filter_add(ngi_stem_filter *f, const char *stem, size_t n) {
  if (n == 0) {
    memset(f->first, 0xFF, sizeof f->first);
    return;
  }
  unsigned char c = (unsigned char)stem[0];
  f->first[c >> 3] |= (unsigned char)(1u << (c & 7));
}

int ngi_tokenize_text_for(ngi_lexicon *lx, const char *text, int n, const ngi_stem_filter *f, void *ctx,
                          lex_token_fn fn) {
  return tokenize_fn(lx, text, n, ctx, fn, 1, f);
}

/* ------------------------------------------------------------------ */
/* The FTS5 module */

typedef struct ng_tokenizer {
  ngi_lexicon *lx;
} ng_tokenizer;

static int tok_create(void *ctx, const char **args, int nargs, Fts5Tokenizer **out) {
  ngi_lexicon *lx = ctx;
  *out = NULL;
  if (nargs >= 1 && strcmp(args[0], lx->language) != 0) return SQLITE_ERROR;
  ng_tokenizer *t = malloc(sizeof *t);
  if (!t) return SQLITE_NOMEM;
  t->lx = lx;
  *out = (Fts5Tokenizer *)t;
  return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t) { free(t); }

static int tok_tokenize(Fts5Tokenizer *tok, void *ctx, int flags, const char *text, int n,
                        int (*xToken)(void *, int, const char *, int, int, int)) {
  ngi_lexicon *lx = ((ng_tokenizer *)tok)->lx;
  int rc = SQLITE_OK;
  captured cap;
  if ((flags & FTS5_TOKENIZE_DOCUMENT) && lx->capture) {
    cap = (captured){lx, ctx, xToken};
    ctx = &cap;
    xToken = captured_token;
  }
  /* Tokens a worker computed for this very text (pipeline.c). */
  if ((flags & FTS5_TOKENIZE_DOCUMENT) && replay(lx, ctx, text, n, xToken, &rc)) return rc;
  if ((flags & FTS5_TOKENIZE_QUERY) && n > 0 && text[0] == NGI_VERBATIM) {
    for (int i = 1; i < n && rc == SQLITE_OK;) {
      while (i < n && text[i] == ' ') i++;
      int s = i;
      while (i < n && text[i] != ' ') i++;
      if (i > s) rc = xToken(ctx, 0, text + s, i - s, s, i);
    }
    return rc;
  }
  tok_state ts;
  memset(&ts, 0, sizeof ts);
  ts.lx = lx;
  /* Aux tokenizing (snippets) yields the same positions as document
   * tokenizing: the same words, without the colocated joined compounds,
   * which take no position. */
  ts.document = (flags & FTS5_TOKENIZE_DOCUMENT) != 0;
  ts.aux = (flags & FTS5_TOKENIZE_AUX) != 0;
  ts.prefix = (flags & FTS5_TOKENIZE_PREFIX) != 0;
  ts.fts_ctx = ctx;
  ts.xToken = xToken;
  return run_parent(lx, &ts, text, n);
}

int ngi_lexicon_new(ngi_lexicon **out, fts5_api *api, const char *language, int record, char *err, size_t errlen) {
  *out = NULL;
  ngi_lexicon *lx = calloc(1, sizeof *lx);
  if (!lx) {
    snprintf(err, errlen, "out of memory");
    return NG_ESYSTEM;
  }
  lx->record = record;
  if (strlen(language) >= sizeof lx->language) {
    snprintf(err, errlen, "unknown language '%.40s'", language);
    ngi_lexicon_free(lx);
    return NG_EUSAGE;
  }
  snprintf(lx->language, sizeof lx->language, "%s", language);
  lx->stemmer = sb_stemmer_new(language, "UTF_8");
  if (!lx->stemmer) {
    char list[1024];
    ng_languages(list, sizeof list);
    snprintf(err, errlen, "unknown language '%s' (known: %s)", language, list);
    ngi_lexicon_free(lx);
    return NG_EUSAGE;
  }
  lx->apostrophes = strcmp(language, "english") == 0 || strcmp(language, "en") == 0 || strcmp(language, "porter") == 0;
  lx->keeps_first = lx->apostrophes;
  for (int c = 0; c < 128; c++) {
    int keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c == '\'' && lx->apostrophes);
    lx->ascii_fold[c] = (unsigned char)(keep ? c : (c >= 'A' && c <= 'Z') ? c + 32 : 0);
  }
  void *u61ctx = NULL;
  if (!api || api->xFindTokenizer(api, "unicode61", &u61ctx, &lx->u61) != SQLITE_OK) {
    snprintf(err, errlen, "this SQLite has no FTS5");
    ngi_lexicon_free(lx);
    return NG_ESYSTEM;
  }
  const char *args_en[] = {"remove_diacritics", "2", "tokenchars", "'\xE2\x80\x98\xE2\x80\x99"};
  const char *args_other[] = {"remove_diacritics", "2"};
  int rc = lx->apostrophes ? lx->u61.xCreate(u61ctx, args_en, 4, &lx->u61_inst)
                           : lx->u61.xCreate(u61ctx, args_other, 2, &lx->u61_inst);
  if (rc == SQLITE_OK) {
    static fts5_tokenizer module = {tok_create, tok_delete, tok_tokenize};
    rc = api->xCreateTokenizer(api, "nutgraf", lx, &module, NULL);
  }
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot set up the tokenizer: %s", sqlite3_errstr(rc));
    ngi_lexicon_free(lx);
    return NG_ESYSTEM;
  }
  *out = lx;
  return NG_OK;
}

void ngi_lexicon_unstore(ngi_lexicon *lx) {
  for (size_t i = 0; i < lx->nfresh; i++) lx->fresh[i]->stored = 0;
  lx->nfresh = 0;
  if (lx->front) memset(lx->front, 0, LEX_FRONT_SIZE * sizeof *lx->front);
}

void ngi_lexicon_free(ngi_lexicon *lx) {
  if (!lx) return;
  if (lx->u61_inst) lx->u61.xDelete(lx->u61_inst);
  sb_stemmer_delete(lx->stemmer);
  free(lx->front); /* not cleared first: cache_clear would touch its every page */
  lx->front = NULL;
  cache_clear(lx);
  free(lx->fresh);
  free(lx);
}

const char *ngi_lexicon_language(const ngi_lexicon *lx) { return lx->language; }

int ngi_lexicon_take_fresh(ngi_lexicon *lx, buf *pairs) {
  for (size_t i = 0; i < lx->nfresh; i++) {
    ngi_buf_add(pairs, lx->fresh[i]->raw, lx->fresh[i]->rawlen + 1);
    ngi_buf_add(pairs, lx->fresh[i]->stem, lx->fresh[i]->stemlen + 1);
  }
  if (pairs->oom) return NG_ESYSTEM;
  lx->nfresh = 0; /* they stay marked stored: queued for the word table */
  return NG_OK;
}

void ng_languages(char *out, size_t n) {
  buf b = {0};
  const char **list = sb_stemmer_list();
  for (int i = 0; list[i]; i++) {
    if (i) ngi_buf_addc(&b, ' ');
    ngi_buf_adds(&b, list[i]);
  }
  snprintf(out, n, "%s", b.data ? b.data : "");
  ngi_buf_free(&b);
}
