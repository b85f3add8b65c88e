/*
 * fuzz_tokenizer.c -- the "nutgraf" FTS5 tokenizer through a real FTS5 table.
 *
 * Once: an in-memory database with the tokenizer registered (english) and
 * a table t(body, head) using it.  Per input: the text (the input when it
 * is valid UTF-8, else what ngi_decode makes of it, else its valid
 * prefix) is inserted as body, its first line as head; FTS5's
 * integrity-check must then pass (it tokenizes the row again and compares
 * with what was indexed, so a tokenizer that is not deterministic, or
 * whose caches disagree, is caught); a word of the text is searched with
 * snippet() and highlight() (the aux tokenizing, whose offsets must fall
 * on character boundaries); the row is deleted.  Every 1000 inputs the
 * table is emptied and checked.  ngi_tokenize() (the query parser's
 * way in) runs on the text too: each token's stem and raw form must be
 * non-empty valid UTF-8 and its offsets inside the text, in order.
 */
#define _GNU_SOURCE
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;
static ngi_lexicon *lx;
static sqlite3_stmt *insert_row, *delete_row, *check, *search, *delete_all;
static unsigned long inputs;

static void fail_sql(const char *what) { fuzz_fail("%s: %s", what, sqlite3_errmsg(db)); }

static sqlite3_stmt *prepare(const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) fail_sql(sql);
  return st;
}

static void done(void) {
  sqlite3_finalize(insert_row);
  sqlite3_finalize(delete_row);
  sqlite3_finalize(check);
  sqlite3_finalize(search);
  sqlite3_finalize(delete_all);
  sqlite3_close(db);
  ngi_lexicon_free(lx);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  char err[1200];
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) fail_sql("open");
  if (ngi_lexicon_new(&lx, ngi_fts5_api(db), "english", 0, err, sizeof err) != NG_OK)
    fuzz_fail("ngi_lexicon_new: %s", err);
  if (sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(body, head, tokenize='nutgraf english')", NULL, NULL, NULL) !=
      SQLITE_OK)
    fail_sql("create table");
  insert_row = prepare("INSERT INTO t(rowid, body, head) VALUES(1, ?1, ?2)");
  delete_row = prepare("DELETE FROM t WHERE rowid = 1");
  check = prepare("INSERT INTO t(t) VALUES('integrity-check')");
  search = prepare(
      "SELECT rowid, snippet(t, -1, char(1), char(2), '\xE2\x80\xA6', 8),"
      " highlight(t, 0, char(1), char(2)), highlight(t, 1, char(1), char(2))"
      " FROM t WHERE t MATCH ?1");
  delete_all = prepare("DELETE FROM t");
  atexit(done);
  return 0;
}

static void step_done(sqlite3_stmt *st, const char *what) {
  if (sqlite3_step(st) != SQLITE_DONE) fail_sql(what);
  sqlite3_reset(st);
}

/* ------------------------------------------------------------------ */
/* ngi_tokenize */

typedef struct token_check {
  int n;
  int last_start;
  size_t count;
  const char *pick; /* the raw form of the token chosen for the MATCH (in pickbuf) */
  size_t picklen;
  size_t want;                 /* choose the want-th token */
  char pickbuf[NGI_MAX_TOKEN]; /* a token's raw form lives only as long as its callback */
} token_check;

static int on_token(void *ctx, const lex_token *t) {
  token_check *c = ctx;
  if (t->start < 0 || t->start > t->end || t->end > c->n)
    fuzz_fail("token [%d, %d) outside the text of %d bytes", t->start, t->end, c->n);
  if (t->start < c->last_start) fuzz_fail("token at %d after one at %d", t->start, c->last_start);
  if (t->rawlen == 0 || t->rawlen > NGI_MAX_TOKEN) fuzz_fail("token at %d: raw length %zu", t->start, t->rawlen);
  if (t->stemlen == 0) fuzz_fail("token at %d: empty stem of '%.*s'", t->start, (int)t->rawlen, t->raw);
  if (!fuzz_utf8(t->raw, t->rawlen)) fuzz_fail("token at %d: raw form is not valid UTF-8", t->start);
  if (!fuzz_utf8(t->stem, t->stemlen)) fuzz_fail("token at %d: stem is not valid UTF-8", t->start);
  c->last_start = t->start;
  if (c->count++ == c->want || !c->pick) {
    memcpy(c->pickbuf, t->raw, t->rawlen);
    c->pick = c->pickbuf;
    c->picklen = t->rawlen;
  }
  return SQLITE_OK;
}

/* ------------------------------------------------------------------ */
/* Searching */

/* highlight() output with the markers taken out must be the column's text,
 * and the markers must sit between characters. */
static void check_highlight(const char *col, size_t ncol, const unsigned char *h, int nh) {
  if (!h) return;
  /* Markers already in the text cannot be told apart; FTS5's highlight()
   * stops at a NUL, which stored text never holds. */
  if (memchr(col, '\x01', ncol) || memchr(col, '\x02', ncol) || memchr(col, '\0', ncol)) return;
  if (!fuzz_utf8((const char *)h, (size_t)nh)) fuzz_fail("highlight() output is not valid UTF-8");
  size_t k = 0;
  for (int i = 0; i < nh; i++) {
    if (h[i] == 1 || h[i] == 2) continue;
    if (k >= ncol || (unsigned char)col[k] != h[i])
      fuzz_fail("highlight() output differs from the text at byte %zu", k);
    k++;
  }
  if (k != ncol) fuzz_fail("highlight() output has %zu bytes of text, the column %zu", k, ncol);
}

static void run_match(const char *expr, size_t n, const char *body, size_t nbody, const char *head, size_t nhead) {
  sqlite3_bind_text(search, 1, expr, (int)n, SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(search)) == SQLITE_ROW) {
    const unsigned char *snip = sqlite3_column_text(search, 1);
    if (snip && !fuzz_utf8((const char *)snip, (size_t)sqlite3_column_bytes(search, 1)))
      fuzz_fail("snippet() output is not valid UTF-8");
    check_highlight(body, nbody, sqlite3_column_text(search, 2), sqlite3_column_bytes(search, 2));
    check_highlight(head, nhead, sqlite3_column_text(search, 3), sqlite3_column_bytes(search, 3));
  }
  /* A bad expression is an SQL error, not a bug; anything but an error
   * of the expression is. */
  if (rc != SQLITE_DONE && rc != SQLITE_ERROR) fail_sql("MATCH");
  sqlite3_reset(search);
  sqlite3_clear_bindings(search);
}

/* The word as an FTS5 string: "w" with quotes doubled. */
static void match_word(const char *w, size_t n, const char *body, size_t nbody, const char *head, size_t nhead) {
  buf q = {0};
  ngi_buf_addc(&q, '"');
  for (size_t i = 0; i < n; i++) {
    if (w[i] == '"') ngi_buf_addc(&q, '"');
    ngi_buf_addc(&q, w[i]);
  }
  ngi_buf_addc(&q, '"');
  if (q.oom) abort();
  run_match(q.data, q.len, body, nbody, head, nhead);
  ngi_buf_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 20)) return 0;
  inputs++;
  /* The text, as valid UTF-8. */
  char *text = NULL;
  size_t n = 0;
  if (fuzz_utf8((const char *)data, size)) {
    text = fuzz_cstring(data, size);
    n = size;
  } else {
    decoded d;
    char err[300];
    if (ngi_decode((const char *)data, size, NULL, &d, err, sizeof err) == NGI_DECODE_OK) {
      text = d.text;
      n = d.len;
    } else {
      n = ngi_utf8_valid_prefix((const char *)data, size);
      text = fuzz_cstring(data, n);
    }
  }
  /* Its first line (at most 200 bytes, whole characters) is the head. */
  size_t nhead = 0;
  while (nhead < n && nhead < 200 && text[nhead] != '\n') nhead++;
  while (nhead > 0 && nhead < n && ((unsigned char)text[nhead] & 0xC0) == 0x80) nhead--;

  token_check c = {(int)n, 0, 0, NULL, 0, size > 0 ? data[size - 1] % 16 : 0, ""};
  int rc = ngi_tokenize(lx, text, (int)n, &c, on_token);
  if (rc != SQLITE_OK) fuzz_fail("ngi_tokenize returned %d", rc);

  sqlite3_bind_text(insert_row, 1, text, (int)n, SQLITE_STATIC);
  sqlite3_bind_text(insert_row, 2, text, (int)nhead, SQLITE_STATIC);
  step_done(insert_row, "insert");
  sqlite3_clear_bindings(insert_row);
  step_done(check, "integrity-check after insert");

  if (c.pick) match_word(c.pick, c.picklen, text, n, text, nhead);
  /* The input itself as an expression (its first 100 bytes): any syntax. */
  size_t ne = n < 100 ? n : 100;
  while (ne > 0 && ne < n && ((unsigned char)text[ne] & 0xC0) == 0x80) ne--;
  if (ne > 0) run_match(text, ne, text, n, text, nhead);
  /* A prefix query of the picked word's first bytes (FTS5_TOKENIZE_PREFIX). */
  if (c.pick && c.picklen > 1) {
    buf q = {0};
    size_t k = c.picklen / 2;
    while (k > 0 && ((unsigned char)c.pick[k] & 0xC0) == 0x80) k--;
    if (k > 0) {
      ngi_buf_addc(&q, '"');
      for (size_t i = 0; i < k; i++) {
        if (c.pick[i] == '"') ngi_buf_addc(&q, '"');
        ngi_buf_addc(&q, c.pick[i]);
      }
      ngi_buf_adds(&q, "\"*");
      if (q.oom) abort();
      run_match(q.data, q.len, text, n, text, nhead);
    }
    ngi_buf_free(&q);
  }

  step_done(delete_row, "delete");
  if (inputs % 1000 == 0) {
    step_done(delete_all, "delete all");
    step_done(check, "integrity-check after delete all");
  }
  ngi_lexicon_forget(lx);
  free(text);
  return 0;
}
