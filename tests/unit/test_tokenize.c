/*
 * test_tokenize.c -- unit suite for lib/tokenize.c: the lexicon (stems of
 * words as the index sees them) and the "nutgraf" FTS5 tokenizer.
 */
#define _GNU_SOURCE
#include "unit.h"

/* Each test gets an in-memory database with the tokenizer registered. */
static sqlite3 *db;
static ngi_lexicon *lx;

static void open_lexicon(const char *language) {
  ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
  char err[1200] = "";
  int rc = ngi_lexicon_new(&lx, ngi_fts5_api(db), language, 0, err, sizeof err);
  ck_assert_msg(rc == NG_OK, "lexicon_init: %s", err);
}

static void setup_english(void) { open_lexicon("english"); }

static void teardown(void) {
  sqlite3_close(db);
  db = NULL;
  ngi_lexicon_free(lx);
  lx = NULL;
}

/* Tokens seen by ngi_tokenize, copied. */
typedef struct seen {
  char stem[16][NGI_MAX_TOKEN + 1];
  char raw[16][NGI_MAX_TOKEN + 1];
  size_t stemlen[16], rawlen[16];
  int hyphen[16];
  int start[16], end[16];
  size_t n;
} seen;

static int collect(void *ctx, const lex_token *t) {
  seen *s = ctx;
  if (s->n < 16) {
    ck_assert_uint_le(t->stemlen, NGI_MAX_TOKEN);
    ck_assert_uint_le(t->rawlen, NGI_MAX_TOKEN);
    memcpy(s->stem[s->n], t->stem, t->stemlen);
    s->stem[s->n][t->stemlen] = '\0';
    memcpy(s->raw[s->n], t->raw, t->rawlen);
    s->raw[s->n][t->rawlen] = '\0';
    s->stemlen[s->n] = t->stemlen;
    s->rawlen[s->n] = t->rawlen;
    s->hyphen[s->n] = t->hyphen_after;
    s->start[s->n] = t->start;
    s->end[s->n] = t->end;
  }
  s->n++;
  return 0;
}

static seen *tokens(const char *text) {
  static seen s;
  memset(&s, 0, sizeof s);
  ck_assert_int_eq(ngi_tokenize(lx, text, (int)strlen(text), &s, collect), SQLITE_OK);
  return &s;
}

/* The stem of a text that is one token. */
static const char *stem1(const char *text) {
  static char out[4][NGI_MAX_TOKEN + 1];
  static int k;
  seen *s = tokens(text);
  ck_assert_msg(s->n == 1, "\"%s\" gave %zu tokens", text, s->n);
  k = (k + 1) % 4;
  strcpy(out[k], s->stem[0]);
  return out[k];
}

/* ------------------------------------------------------------------ */
/* The lexicon */

START_TEST(possessives_share_a_stem) {
  const char *plain = stem1("Ukraine");
  ck_assert_str_eq(stem1("Ukraine\xE2\x80\x99s"), plain);
  ck_assert_str_eq(stem1("Ukraine's"), plain);
  ck_assert_str_eq(stem1("UKRAINE"), plain);
  ck_assert_str_eq(stem1("ukraine\xCA\xBCs"), plain); /* U+02BC modifier apostrophe */
  /* The apostrophe stays inside the word as written ('). */
  seen *s = tokens("Moscow\xE2\x80\x99s");
  ck_assert_uint_eq(s->n, 1);
  ck_assert_str_eq(s->raw[0], "moscow's");
  /* Quotes around a word are not part of it. */
  s = tokens("\xE2\x80\x98kyiv\xE2\x80\x99 'kyiv'");
  ck_assert_uint_eq(s->n, 2);
  ck_assert_str_eq(s->raw[0], "kyiv");
  ck_assert_str_eq(s->raw[1], "kyiv");
}
END_TEST

/* Dotted acronyms are one word: U.N. is UN (issue 10). */
START_TEST(dotted_acronyms) {
  ck_assert_str_eq(stem1("U.N."), stem1("UN"));
  ck_assert_str_eq(stem1("U.S."), "us");
  ck_assert_str_eq(stem1("U.S"), "us");
  /* Capitals only: e.g. and a.m. stay letters. */
  ck_assert_uint_eq(tokens("e.g.")->n, 2);
  ck_assert_uint_eq(tokens("u.k.")->n, 2);
  ck_assert_str_eq(stem1("U.S.A."), "usa");
  seen *s = tokens("the U.N. council");
  ck_assert_uint_eq(s->n, 3);
  ck_assert_str_eq(s->raw[1], "un");
  ck_assert_int_eq(s->start[1], 4);
  ck_assert_int_eq(s->end[1], 8);
  /* One letter is an initial, a longer word is a word. */
  s = tokens("George W. Bush");
  ck_assert_uint_eq(s->n, 3);
  s = tokens("U.Nations St.Louis 3.5");
  ck_assert_uint_eq(s->n, 6);
  ck_assert_str_eq(s->raw[0], "u");
}
END_TEST

START_TEST(inflections_share_a_stem) {
  ck_assert_str_eq(stem1("negotiations"), stem1("negotiating"));
  ck_assert_str_eq(stem1("sanctions"), stem1("sanction"));
  ck_assert_str_ne(stem1("negotiations"), stem1("nations"));
}
END_TEST

START_TEST(hyphenated_compound) {
  char cease[NGI_MAX_TOKEN + 1];
  strcpy(cease, stem1("cease"));
  seen *s = tokens("a cease-fire held");
  ck_assert_uint_eq(s->n, 4);
  ck_assert_str_eq(s->raw[1], "cease");
  ck_assert_str_eq(s->raw[2], "fire");
  ck_assert_int_eq(s->hyphen[0], 0);
  ck_assert_int_eq(s->hyphen[1], 1);
  ck_assert_int_eq(s->hyphen[2], 0);
  ck_assert_int_eq(s->hyphen[3], 0);
  ck_assert_str_eq(s->stem[1], cease);
  ck_assert_int_eq(s->start[1], 2);
  ck_assert_int_eq(s->end[2], 12);
  /* U+2010 HYPHEN counts as a hyphen; a spaced dash does not. */
  s = tokens(
      "cease\xE2\x80\x90"
      "fire");
  ck_assert_uint_eq(s->n, 2);
  ck_assert_int_eq(s->hyphen[0], 1);
  s = tokens("cease - fire");
  ck_assert_uint_eq(s->n, 2);
  ck_assert_int_eq(s->hyphen[0], 0);
  s = tokens("cease--fire");
  ck_assert_uint_eq(s->n, 2);
  ck_assert_int_eq(s->hyphen[0], 0);
}
END_TEST

START_TEST(digits_survive) {
  seen *s = tokens("In 2022, a 12-hour session");
  ck_assert_uint_eq(s->n, 6);
  ck_assert_str_eq(s->stem[1], "2022");
  ck_assert_str_eq(s->raw[3], "12");
  ck_assert_str_eq(s->stem[3], "12");
  ck_assert_int_eq(s->hyphen[3], 1);
  ck_assert_str_eq(s->raw[4], "hour");
}
END_TEST

START_TEST(long_token_is_cut_and_not_stemmed) {
  /* 10,000 bytes of one letter: cut to NGI_MAX_TOKEN. */
  buf t = {0};
  for (int i = 0; i < 10000; i++) ngi_buf_addc(&t, 'a');
  seen *s = tokens(t.data);
  ck_assert_uint_eq(s->n, 1);
  ck_assert_uint_eq(s->rawlen[0], NGI_MAX_TOKEN);
  ck_assert_uint_eq(s->stemlen[0], NGI_MAX_TOKEN);
  ngi_buf_free(&t);

  /* 3-byte characters: the cut falls on a character boundary. */
  for (int i = 0; i < 3334; i++) ngi_buf_adds(&t, "\xE6\x9D\xB1");
  ck_assert_uint_ge(t.len, 10000);
  s = tokens(t.data);
  ck_assert_uint_eq(s->n, 1);
  ck_assert_uint_le(s->rawlen[0], NGI_MAX_TOKEN);
  ck_assert_uint_gt(s->rawlen[0], NGI_MAX_TOKEN - 3);
  ck_assert_uint_eq(s->rawlen[0] % 3, 0);
  ck_assert_uint_eq(ngi_utf8_valid_prefix(s->raw[0], s->rawlen[0]), s->rawlen[0]);
  ck_assert_str_eq(s->stem[0], s->raw[0]);
  ngi_buf_free(&t);

  /* A word longer than NGI_MAX_STEMMED keeps its ending; a short one not. */
  for (int i = 0; i < NGI_MAX_STEMMED; i++) ngi_buf_addc(&t, 'x');
  ngi_buf_adds(&t, "ing");
  s = tokens(t.data);
  ck_assert_uint_eq(s->n, 1);
  ck_assert_str_eq(s->stem[0], s->raw[0]);
  ck_assert_uint_eq(s->stemlen[0], NGI_MAX_STEMMED + 3);
  ngi_buf_free(&t);
  ck_assert_str_eq(stem1("walking"), "walk");
}
END_TEST

START_TEST(mixed_scripts) {
  seen *s = tokens(
      "\xD0\x9A\xD0\xB8\xD1\x97\xD0\xB2\xE6\x9D\xB1\xE4\xBA\xAC"
      "abc");
  ck_assert_uint_ge(s->n, 1);
  for (size_t i = 0; i < s->n && i < 16; i++)
    ck_assert_uint_eq(ngi_utf8_valid_prefix(s->raw[i], s->rawlen[i]), s->rawlen[i]);
  /* Case folding applies to Cyrillic. */
  s = tokens("\xD0\x9A\xD0\xB8\xD1\x97\xD0\xB2"); /* Київ */
  ck_assert_uint_eq(s->n, 1);
  ck_assert(strncmp(s->raw[0], "\xD0\xBA\xD0\xB8", 4) == 0); /* "ки": К folded to к */
}
END_TEST

START_TEST(diacritics_removed) {
  ck_assert_str_eq(stem1("Z\xC3\xBCrich"), stem1("Zurich"));
  ck_assert_str_eq(stem1("communiqu\xC3\xA9"), stem1("communique"));
  ck_assert_str_eq(stem1("Citro\xC3\xABn"), stem1("citroen"));
}
END_TEST

/* Offsets point at the words: each token's span, tokenized alone, gives
 * the token back, in ASCII text and around non-ASCII runs alike. */
START_TEST(offsets_point_at_the_words) {
  static const char *const texts[] = {
      "Plain ASCII text, with punctuation; and 12-hour digits.",
      "Z\xC3\xBCrich-based envoys met in Gen\xC3\xA8ve \xE2\x80\x94 na\xC3\xAFve O'Brien's caf\xC3\xA9.",
      "Ukraine\xE2\x80\x99s envoys \xE2\x80\x98quoted\xE2\x80\x99 abc\xE2\x80\x94"
      "def \xD0\x9A\xD0\xB8\xD1\x97\xD0\xB2-city",
      "\xC3\xA9"
      "abc abc\xC3\xA9 a\xC3\xA9"
      "b \xE6\x9D\xB1\xE4\xBA\xAC tokyo",
      NULL};
  for (int t = 0; texts[t]; t++) {
    const char *text = texts[t];
    seen all = *tokens(text);
    ck_assert_uint_gt(all.n, 3);
    ck_assert_uint_le(all.n, 16);
    int last_end = 0;
    for (size_t i = 0; i < all.n; i++) {
      ck_assert_msg(all.start[i] >= last_end && all.end[i] > all.start[i] && all.end[i] <= (int)strlen(text),
                    "text %d token %zu (%s) at %d-%d", t, i, all.raw[i], all.start[i], all.end[i]);
      last_end = all.end[i];
      char span[NGI_MAX_TOKEN + 1];
      snprintf(span, sizeof span, "%.*s", all.end[i] - all.start[i], text + all.start[i]);
      seen *one = tokens(span);
      ck_assert_msg(one->n == 1 && strcmp(one->raw[0], all.raw[i]) == 0, "text %d token %zu: \"%s\" at %d-%d is \"%s\"",
                    t, i, all.raw[i], all.start[i], all.end[i], span);
    }
  }
  /* A hyphen after a non-ASCII word still joins the compound. */
  seen *s = tokens("Z\xC3\xBCrich-based");
  ck_assert_uint_eq(s->n, 2);
  ck_assert_int_eq(s->hyphen[0], 1);
  ck_assert_str_eq(s->raw[0], "zurich");
}
END_TEST

START_TEST(nothing_to_tokenize) {
  seen *s = tokens("");
  ck_assert_uint_eq(s->n, 0);
  s = tokens("  -- ... !!! \xF0\x9F\x98\x80 \xE2\x80\x94 ");
  ck_assert_uint_eq(s->n, 0);
  s = tokens("'''");
  ck_assert_uint_eq(s->n, 0);
}
END_TEST

START_TEST(lexicon_stem_direct) {
  size_t n = 0;
  const char *st = ngi_lexicon_stem(lx, "negotiations", 12, &n);
  ck_assert_ptr_nonnull(st);
  ck_assert_uint_eq(n, strlen(st));
  ck_assert_str_eq(st, stem1("negotiations"));
  ck_assert_int_eq(ngi_lexicon_known_language("english"), 0);
  ck_assert_int_eq(ngi_lexicon_known_language("klingon"), -1);
  ck_assert_int_eq(ng_check_language("english"), NG_OK);
  ck_assert_int_eq(ng_check_language("french"), NG_OK);
  ck_assert_int_eq(ng_check_language("klingon"), NG_EUSAGE);
  ck_assert_int_eq(ng_check_language(NULL), NG_EUSAGE);
}
END_TEST

/* ngi_tokenize_text_for leaves a token unstemmed when its first byte is
 * no wanted stem's: sound only because an English (or Porter) stem starts
 * with its word's first byte.  Checked on the words most likely to break
 * it, and on every word of the BBC corpus when ../shared is there. */
typedef struct first_check {
  size_t words, broken;
  char example[2 * NGI_MAX_TOKEN + 8];
} first_check;

static int check_first(void *ctx, const lex_token *t) {
  first_check *c = ctx;
  c->words++;
  if (t->stemlen > 0 && t->rawlen > 0 && t->stem[0] != t->raw[0]) {
    if (!c->broken++)
      snprintf(c->example, sizeof c->example, "%.*s -> %.*s", (int)t->rawlen, t->raw, (int)t->stemlen, t->stem);
  }
  return 0;
}

static first_check *first_file_check;

static int check_first_file(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if (type != FTW_F || !strstr(path, ".txt")) return 0;
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  char data[1 << 16];
  size_t n = fread(data, 1, sizeof data, f);
  fclose(f);
  ngi_tokenize(lx, data, (int)n, first_file_check, check_first);
  return 0;
}

static const char *first_words =
    "dying lying tying skies skis idly gently ugly early only singly sky news howe atlas cosmos bias andes "
    "yelling yes youth by ay ies sses s is as us ied ing eed y yy yyy Y's 'tis o'clock rock'n'roll "
    "generously generous agreed feed happy happiness cries ties Zelenskyy U.N. 12-hour";

START_TEST(stems_keep_first_byte) {
  first_check c = {0};
  ngi_tokenize(lx, first_words, (int)strlen(first_words), &c, check_first);
  ck_assert_msg(c.broken == 0, "%zu of %zu words: %s", c.broken, c.words, c.example);
  ck_assert_uint_gt(c.words, 40);
  const char *corpus = NG_SOURCE_DIR "/../shared/corpora/bbc-news";
  struct stat st;
  if (stat(corpus, &st) != 0) {
    fprintf(stderr, "test_tokenize: %s not found, its words not checked\n", corpus);
    return;
  }
  first_check all = {0};
  first_file_check = &all;
  nftw(corpus, check_first_file, 16, FTW_PHYS);
  ck_assert_msg(all.broken == 0, "%zu of %zu words: %s", all.broken, all.words, all.example);
  ck_assert_uint_gt(all.words, 500000);
}
END_TEST

START_TEST(porter_stems_keep_first_byte) {
  teardown();
  open_lexicon("porter");
  first_check c = {0};
  ngi_tokenize(lx, first_words, (int)strlen(first_words), &c, check_first);
  ck_assert_msg(c.broken == 0, "%zu of %zu words: %s", c.broken, c.words, c.example);
}
END_TEST

/* The filtered walk: the wanted words' stems as ever, the others empty,
 * the tokens and their offsets the same. */
static seen *tokens_for(const char *text, const char *const *want) {
  static seen s;
  memset(&s, 0, sizeof s);
  ngi_stem_filter f = {{0}};
  for (; *want; want++) ngi_stem_filter_add(&f, *want, strlen(*want));
  ck_assert_int_eq(ngi_tokenize_text_for(lx, text, (int)strlen(text), &f, &s, collect), SQLITE_OK);
  return &s;
}

START_TEST(filtered_tokens_stem_only_what_can_match) {
  const char *text = "Negotiators rejected the ceasefire; nations negotiate";
  const char *want[] = {"negoti", NULL};
  seen all = *tokens(text);
  seen *some = tokens_for(text, want);
  ck_assert_uint_eq(some->n, all.n);
  for (size_t i = 0; i < all.n; i++) {
    ck_assert_int_eq(some->start[i], all.start[i]);
    ck_assert_int_eq(some->end[i], all.end[i]);
    ck_assert_str_eq(some->raw[i], all.raw[i]);
    if (all.raw[i][0] == 'n')
      ck_assert_str_eq(some->stem[i], all.stem[i]);
    else
      ck_assert_str_eq(some->stem[i], "");
  }
  const char *every[] = {"", NULL}; /* an empty stem wants every token */
  some = tokens_for(text, every);
  for (size_t i = 0; i < all.n; i++) ck_assert_str_eq(some->stem[i], all.stem[i]);
}
END_TEST

START_TEST(filter_ignored_where_stems_may_change_their_start) {
  teardown();
  open_lexicon("german");
  const char *text = "Verhandlungen scheiterten";
  const char *want[] = {"zzz", NULL};
  seen all = *tokens(text);
  seen *some = tokens_for(text, want);
  for (size_t i = 0; i < all.n; i++) ck_assert_str_eq(some->stem[i], all.stem[i]);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Through a real FTS5 table */

static void exec(const char *sql) {
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
  sqlite3_free(msg);
}

static void make_table(void) {
  exec("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='nutgraf english')");
  exec(
      "INSERT INTO t(rowid, body) VALUES"
      " (1, 'the cease-fire held overnight'),"
      " (2, 'a ceasefire was agreed'),"
      " (3, 'the fire ceased at dawn'),"
      " (4, 'nothing to see here'),"
      " (5, 'negotiating in Z\xC3\xBCrich'),"
      " (6, 'Ukraine\xE2\x80\x99s envoys walked out')");
}

/* The rowids MATCH expr finds, as a string "1 2 ..."; -1 rowid on error. */
static char *match(const char *expr) {
  sqlite3_stmt *st = NULL;
  ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid", -1, &st, NULL),
                   SQLITE_OK);
  sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
  buf b = {0};
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    ngi_buf_printf(&b, "%s%lld", b.len ? " " : "", sqlite3_column_int64(st, 0));
  if (rc != SQLITE_DONE) {
    ngi_buf_reset(&b);
    ngi_buf_adds(&b, "error");
  }
  sqlite3_finalize(st);
  return ngi_buf_detach(&b);
}

static void check_match(const char *expr, const char *want) {
  char *got = match(expr);
  int same = strcmp(got, want) == 0;
  char copy[200];
  snprintf(copy, sizeof copy, "%s", got);
  free(got);
  ck_assert_msg(same, "MATCH '%s' found [%s], wanted [%s]", expr, copy, want);
}

START_TEST(fts_compound_matches_joined) {
  make_table();
  check_match("\"ceasefire\"", "1 2");
  check_match("ceasefire", "1 2");
  check_match("\"cease-fire\"", "1");
  check_match("\"cease fire\"", "1");
  check_match("fire", "1 3");
  /* Phrases around the compound still line up: the joined stem sits at
   * the first part (after "the") and at the last (before "held"). */
  check_match("\"the cease-fire held\"", "1");
  check_match("\"the ceasefire\"", "1");
  check_match("\"ceasefire held\"", "1");
  check_match("\"cease fire held\"", "1");
}
END_TEST

START_TEST(fts_stems_and_folding) {
  make_table();
  check_match("negotiations", "5");
  check_match("zurich", "5");
  check_match("ZÜRICH", "5");
  check_match("\"ukraine's\"", "6");
  check_match("ukraine", "6");
  check_match("envoy", "6");
}
END_TEST

START_TEST(fts_verbatim_stems) {
  make_table();
  char stem[NGI_MAX_TOKEN + 1];
  strcpy(stem, stem1("ceasefire"));
  buf q = {0};
  ngi_buf_printf(&q, "\"\x01%s\"", stem);
  check_match(q.data, "1 2");
  ngi_buf_reset(&q);
  /* Verbatim means not stemmed again: the word itself is no stem here. */
  ck_assert_str_ne(stem, "ceasefire");
  ngi_buf_printf(&q,
                 "\"\x01"
                 "ceasefire\"");
  check_match(q.data, "");
  ngi_buf_reset(&q);
  /* Several stems after the marker are a phrase. */
  ngi_buf_printf(&q, "\"\x01%s %s\"", stem1("cease"), stem1("fire"));
  check_match(q.data, "1");
  ngi_buf_free(&q);
}
END_TEST

START_TEST(fts_prefix_not_stemmed) {
  make_table();
  /* The index holds stems; a prefix is matched against them as typed. */
  check_match("negoti*", "5");
  check_match("ceas*", "1 2 3");
  check_match("negotiations*", "");
}
END_TEST

/* Regression (found by valgrind, CK_FORK=no; fixed): the lexicon's
 * constructor once leaked what it had allocated when the language was
 * unknown.  The assertions pass; a leak would show under valgrind only. */
START_TEST(unknown_language) {
  sqlite3 *d2 = NULL;
  ck_assert_int_eq(sqlite3_open(":memory:", &d2), SQLITE_OK);
  ngi_lexicon *l2 = NULL;
  char err[1200] = "";
  int rc = ngi_lexicon_new(&l2, ngi_fts5_api(d2), "klingon", 0, err, sizeof err);
  ck_assert_ptr_null(l2);
  sqlite3_close(d2);
  ck_assert_int_eq(rc, NG_EUSAGE);
  ck_assert_msg(contains(err, "klingon"), "message: %s", err);
  ck_assert_msg(contains(err, "english") && contains(err, "french"), "message lists no languages: %s", err);
  /* An absurdly long name is refused the same way. */
  char longname[200];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  ck_assert_int_eq(sqlite3_open(":memory:", &d2), SQLITE_OK);
  rc = ngi_lexicon_new(&l2, ngi_fts5_api(d2), longname, 0, err, sizeof err);
  ck_assert_ptr_null(l2);
  sqlite3_close(d2);
  ck_assert_int_eq(rc, NG_EUSAGE);
}
END_TEST

START_TEST(french_has_no_apostrophes) {
  open_lexicon("french");
  seen *s = tokens(
      "l\xE2\x80\x99"
      "arm\xC3\xA9"
      "e d'aujourd'hui");
  ck_assert_uint_ge(s->n, 4);
  for (size_t i = 0; i < s->n && i < 16; i++)
    ck_assert_msg(strchr(s->raw[i], '\'') == NULL && !contains(s->raw[i], "\xE2\x80\x99"),
                  "token \"%s\" kept an apostrophe", s->raw[i]);
  ck_assert_str_eq(s->raw[0], "l");
  ck_assert_str_eq(s->raw[1], "armee");
  /* French stemming, through FTS5 too. */
  exec("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='nutgraf french')");
  exec(
      "INSERT INTO t(rowid, body) VALUES (1, 'les n\xC3\xA9gociations continuent'), (2, 'l''arm\xC3\xA9"
      "e')");
  check_match("negociation", "1");
  check_match("armee", "2");
}
END_TEST

START_TEST(tokenizer_language_must_match) {
  /* The tokenizer of this lexicon is English; asking for another fails. */
  char *msg = NULL;
  int rc = sqlite3_exec(db, "CREATE VIRTUAL TABLE t2 USING fts5(body, tokenize='nutgraf french')", NULL, NULL, &msg);
  sqlite3_free(msg);
  ck_assert_int_ne(rc, SQLITE_OK);
}
END_TEST

static Suite *tokenize_suite(void) {
  Suite *s = suite_create("tokenize");
  TCase *tc = tcase_create("lexicon");
  tcase_add_checked_fixture(tc, setup_english, teardown);
  tcase_add_test(tc, possessives_share_a_stem);
  tcase_add_test(tc, inflections_share_a_stem);
  tcase_add_test(tc, dotted_acronyms);
  tcase_add_test(tc, hyphenated_compound);
  tcase_add_test(tc, digits_survive);
  tcase_add_test(tc, long_token_is_cut_and_not_stemmed);
  tcase_add_test(tc, mixed_scripts);
  tcase_add_test(tc, diacritics_removed);
  tcase_add_test(tc, offsets_point_at_the_words);
  tcase_add_test(tc, nothing_to_tokenize);
  tcase_add_test(tc, lexicon_stem_direct);
  tcase_add_test(tc, stems_keep_first_byte);
  tcase_add_test(tc, porter_stems_keep_first_byte);
  tcase_add_test(tc, filtered_tokens_stem_only_what_can_match);
  tcase_add_test(tc, filter_ignored_where_stems_may_change_their_start);
  suite_add_tcase(s, tc);

  tc = tcase_create("fts5");
  tcase_add_checked_fixture(tc, setup_english, teardown);
  tcase_add_test(tc, fts_compound_matches_joined);
  tcase_add_test(tc, fts_stems_and_folding);
  tcase_add_test(tc, fts_verbatim_stems);
  tcase_add_test(tc, fts_prefix_not_stemmed);
  tcase_add_test(tc, tokenizer_language_must_match);
  suite_add_tcase(s, tc);

  tc = tcase_create("languages");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, unknown_language);
  tcase_add_test(tc, french_has_no_apostrophes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(tokenize_suite()); }
