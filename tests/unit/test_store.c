/*
 * test_store.c -- unit suite for lib/store.c: the row operations every
 * other module writes and reads the index through (documents, passages and
 * their token streams, the word table, hit queries built with their
 * bindings, snippets), on a fresh index.
 */
#define _GNU_SOURCE
#include "unit.h"

static char *dir;
static ng_index *idx;

static void setup(void) {
  dir = tmpdir_make();
  char *path = path_join(dir, "index.db");
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE;
  ck_assert_msg(ng_index_open(&idx, path, &o) == NG_OK, "%s", ng_index_errmsg(idx));
  free(path);
}

static void teardown(void) {
  ng_index_close(idx);
  idx = NULL;
  tmpdir_remove(dir);
  dir = NULL;
}

/* Stores one document with the given passages (headline first). */
static long long put(const char *path, const char *const *texts, size_t n, const char *date, const char *source) {
  ck_assert_int_eq(ngi_store_begin(idx), NG_OK);
  ngi_doc_row row = {.path = path,
                     .kind = NGI_DOC_ARTICLE,
                     .title = texts[0],
                     .date = date,
                     .source = source,
                     .encoding = "UTF-8",
                     .size = 1,
                     .mtime_ns = 2,
                     .hash = 3,
                     .indexed_ns = 4,
                     .passages = (long long)n};
  ck_assert_int_eq(ngi_postings_reserve(idx, (long long)n, &row.pno), NG_OK);
  ck_assert_int_eq(ngi_store_put_document(idx, &row), NG_OK);
  ck_assert_int_gt(row.id, 0);
  for (size_t i = 0; i < n; i++) {
    passage p = {0, strlen(texts[i]), i ? NG_KIND_PARAGRAPH : NG_KIND_HEADLINE, (int)i + 1, (int)i + 1};
    ck_assert_int_eq(
        ngi_store_put_passage(idx, row.id, (int)i, &p, texts[i], NULL, 0, row.pno + (long long)i, NGI_NO_DATE), NG_OK);
  }
  ck_assert_int_eq(ngi_index_commit(idx), NG_OK);
  return row.id;
}

static long long count(const char *match, const char *since, const ngi_filter *filters, size_t nfilters) {
  ngi_hit_query q = {0};
  q.match = match;
  q.since = since;
  q.filters = filters;
  q.nfilters = nfilters;
  long long n = -1;
  int code;
  ck_assert_msg(ngi_store_hits_count(idx, &q, &n, &code) == NG_OK, "%s", ng_index_errmsg(idx));
  return n;
}

typedef struct listed {
  long long ids[16];
  char paths[16][200];
  size_t n;
} listed;

static int list_one(void *ctx, const ngi_doc_row *row) {
  listed *l = ctx;
  l->ids[l->n] = row->id;
  snprintf(l->paths[l->n], sizeof l->paths[l->n], "%s", row->path);
  l->n++;
  return NG_OK;
}

START_TEST(documents_and_passages) {
  const char *a[] = {"Ceasefire agreed in Geneva", "Envoys agreed a ceasefire on Friday.", "Talks resume."};
  const char *b[] = {"Oil prices rise", "Oil rose on Monday."};
  long long ida = put("/news/a.txt", a, 3, "2025-03-14", "Nutgraf Wire");
  long long idb = put("/news/b.txt", b, 2, "2025-04-01", "Reuters");
  listed l = {0};
  ck_assert_int_eq(ngi_store_each_document(idx, list_one, &l), NG_OK);
  ck_assert_uint_eq(l.n, 2);
  ck_assert_str_eq(l.paths[0], "/news/a.txt");
  ck_assert_int_eq(l.ids[1], idb);
  /* The builder binds each value where its placeholder is. */
  ck_assert_int_eq(count("ceasefire", NULL, NULL, 0), 2);
  ck_assert_int_eq(count("oil", NULL, NULL, 0), 2);
  ck_assert_int_eq(count("oil", "2025-04-01", NULL, 0), 2);
  ck_assert_int_eq(count("ceasefire", "2025-04-01", NULL, 0), 0);
  char reuters_text[] = "reuters", glob_text[] = "/news/a*", geneva[] = "geneva";
  ngi_filter reuters = {NGI_FIELD_SOURCE, 0, reuters_text};
  ngi_filter not_reuters = {NGI_FIELD_SOURCE, 1, reuters_text};
  ngi_filter glob = {NGI_FIELD_PATH, 0, glob_text};
  ngi_filter title = {NGI_FIELD_TITLE, 0, geneva};
  ck_assert_int_eq(count("agreed", NULL, &reuters, 1), 0);
  ck_assert_int_eq(count("agreed", NULL, &not_reuters, 1), 2);
  ck_assert_int_eq(count("oil OR agreed", NULL, &glob, 1), 2);
  ck_assert_int_eq(count("oil OR agreed", NULL, &title, 1), 2);
  ngi_filter both[] = {glob, reuters};
  ck_assert_int_eq(count("oil OR agreed", NULL, both, 2), 0);
  /* Deleting a document's passages and the document itself. */
  ck_assert_int_eq(ngi_store_begin(idx), NG_OK);
  long long removed = 0;
  ck_assert_int_eq(ngi_store_delete_passages(idx, ida, 3, 0, &removed), NG_OK);
  ck_assert_int_eq(removed, 3);
  ck_assert_int_eq(ngi_store_delete_document(idx, ida), NG_OK);
  ck_assert_int_eq(ngi_store_touch_document(idx, idb, 10, 20, 30), NG_OK);
  ck_assert_int_eq(ngi_index_commit(idx), NG_OK);
  ck_assert_int_eq(count("ceasefire", NULL, NULL, 0), 0);
  ng_index_stats st;
  ck_assert_msg(ng_index_check(idx, &st) == NG_OK, "check: %s", ng_index_errmsg(idx));
  ck_assert_int_eq(st.documents, 1);
  ck_assert_int_eq(st.passages, 2);
}
END_TEST

START_TEST(hits_and_snippets) {
  const char *a[] = {"Ceasefire agreed in Geneva", "Envoys agreed a ceasefire on Friday after long talks."};
  put("/news/a.txt", a, 2, "2025-03-14", NULL);
  ngi_hit_query q = {0};
  q.match = "ceasefire";
  q.weights[0] = 1.25;
  q.limit = 10;
  q.snippet_tokens = 8;
  ngi_hits *h;
  ck_assert_int_eq(ngi_store_hits_open(idx, &q, &h), NG_OK);
  ngi_hit_row row;
  int code, n = 0;
  while (ngi_store_hits_step(h, &row, &code) == NG_ROW) {
    ck_assert_str_eq(row.path, "/news/a.txt");
    ck_assert_ptr_nonnull(row.snippet); /* the plain form makes its own snippets */
    ck_assert(contains(row.snippet, "\x01"));
    ck_assert_int_eq(NGI_ROWID_DOC(row.rowid), row.doc);
    n++;
  }
  ngi_store_hits_close(h);
  ck_assert_int_eq(n, 2);
  /* With a date the general form runs: no snippets of its own. */
  q.since = "2025-01-01";
  ck_assert_int_eq(ngi_store_hits_open(idx, &q, &h), NG_OK);
  ck_assert_int_eq(ngi_store_hits_step(h, &row, &code), NG_ROW);
  ck_assert_ptr_null(row.snippet);
  ck_assert(row.score > 0);
  ngi_store_hits_close(h);
  const char *texts[] = {a[1], "nothing here"};
  int kinds[] = {NG_KIND_PARAGRAPH, NG_KIND_PARAGRAPH};
  char *snippets[2];
  ck_assert_int_eq(ngi_store_snippets(idx, "ceasefire", 8, texts, kinds, 2, snippets), NG_OK);
  ck_assert(contains(snippets[0],
                     "\x01"
                     "ceasefire"
                     "\x02"));
  ck_assert_ptr_null(snippets[1]);
  free(snippets[0]);
  /* A bad expression is an error with SQLite's code, for the caller to
   * tell a usage error from a system error. */
  q.since = NULL;
  q.match = "AND AND";
  long long c;
  ck_assert_int_ne(ngi_store_hits_count(idx, &q, &c, &code), NG_OK);
  ck_assert_int_eq(code, SQLITE_ERROR);
}
END_TEST

START_TEST(token_streams_replayed_only_for_their_text) {
  /* A stream made for one text, offered with another of the same length:
   * the tokenizer must tokenize the passage afresh. */
  const char *made_for = "alpha bravo", *stored = "delta gamma";
  ck_assert_uint_eq(strlen(made_for), strlen(stored));
  buf stream = {0};
  ck_assert_int_eq(ngi_tokens_encode(idx->lx, made_for, (int)strlen(made_for), &stream), SQLITE_OK);
  ck_assert_int_eq(ngi_store_begin(idx), NG_OK);
  ngi_doc_row row = {.path = "/x.txt", .kind = NGI_DOC_ARTICLE, .passages = 2};
  ck_assert_int_eq(ngi_postings_reserve(idx, 2, &row.pno), NG_OK);
  ck_assert_int_eq(ngi_store_put_document(idx, &row), NG_OK);
  passage p = {0, strlen(stored), NG_KIND_PARAGRAPH, 1, 1};
  long long before = ngi_tokens_replayed(idx->lx);
  ck_assert_int_eq(ngi_store_put_passage(idx, row.id, 1, &p, stored, stream.data, stream.len, row.pno, NGI_NO_DATE),
                   NG_OK);
  ck_assert_int_eq(ngi_tokens_replayed(idx->lx), before);
  /* And its own stream is replayed. */
  buf own = {0};
  const char *third = "echo foxtrot";
  ck_assert_int_eq(ngi_tokens_encode(idx->lx, third, (int)strlen(third), &own), SQLITE_OK);
  passage p2 = {0, strlen(third), NG_KIND_PARAGRAPH, 2, 2};
  ck_assert_int_eq(ngi_store_put_passage(idx, row.id, 2, &p2, third, own.data, own.len, row.pno + 1, NGI_NO_DATE),
                   NG_OK);
  ck_assert_int_eq(ngi_tokens_replayed(idx->lx), before + 1);
  ck_assert_int_eq(ngi_index_commit(idx), NG_OK);
  ck_assert_int_eq(count("delta", NULL, NULL, 0), 1);
  ck_assert_int_eq(count("alpha", NULL, NULL, 0), 0);
  ck_assert_int_eq(count("foxtrot", NULL, NULL, 0), 1);
  ck_assert_int_eq(ng_index_check(idx, NULL), NG_OK);
  ngi_buf_free(&stream);
  ngi_buf_free(&own);
}
END_TEST

/* Stores texts[0..n) as one document (headline first, dated) through
 * their token streams: with the postings captured from FTS5's insert, or
 * counted ahead as the indexing worker counts them. */
static void put_streamed(ng_index *x, const char *path, const char *const *texts, size_t n, int counted) {
  ck_assert_int_eq(ngi_store_begin(x), NG_OK);
  ngi_doc_row row = {.path = path, .kind = NGI_DOC_ARTICLE, .passages = (long long)n};
  ck_assert_int_eq(ngi_postings_reserve(x, (long long)n, &row.pno), NG_OK);
  ck_assert_int_eq(ngi_store_put_document(x, &row), NG_OK);
  buf streams[8] = {{0}};
  ck_assert_uint_le(n, 8);
  ngi_counted *c = NULL;
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(ngi_tokens_encode(x->lx, texts[i], (int)strlen(texts[i]), &streams[i]), SQLITE_OK);
    if (counted) ck_assert_int_eq(ngi_counted_passage(&c, streams[i].data, streams[i].len, i == 0), NG_OK);
  }
  if (counted) ck_assert_int_eq(ngi_counted_finish(c), NG_OK);
  int date = ngi_date_key("2024-02-26");
  long long replayed = ngi_tokens_replayed(x->lx);
  for (size_t i = 0; i < n; i++) {
    passage p = {0, strlen(texts[i]), i ? NG_KIND_PARAGRAPH : NG_KIND_HEADLINE, (int)i + 1, (int)i + 1};
    if (counted)
      ck_assert_int_eq(ngi_store_put_passage_text(x, row.id, (int)i, &p, texts[i], streams[i].data, streams[i].len),
                       NG_OK);
    else
      ck_assert_int_eq(ngi_store_put_passage(x, row.id, (int)i, &p, texts[i], streams[i].data, streams[i].len,
                                             row.pno + (long long)i, date),
                       NG_OK);
  }
  ck_assert_int_eq(ngi_tokens_replayed(x->lx) - replayed, (long long)n);
  if (counted) ck_assert_int_eq(ngi_postings_add_counted(x, c, row.pno, row.id, 0, date), NG_OK);
  ck_assert_int_eq(ngi_index_commit(x), NG_OK);
  ngi_counted_free(c);
  for (size_t i = 0; i < n; i++) ngi_buf_free(&streams[i]);
}

/* The postings tables of an index, as hex: pages, directory, segments,
 * passage directory, lengths, statistics. */
static char *postings_dump(const char *path) {
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  const char *sql[] = {"SELECT id, hex(data) FROM npage ORDER BY id",
                       "SELECT seg, hex(stem), page, off FROM ndir ORDER BY seg, stem",
                       "SELECT id, level, first_pno, last_pno, bytes, postings FROM nseg ORDER BY id",
                       "SELECT chunk, hex(data) FROM npdir ORDER BY chunk",
                       "SELECT chunk, hex(data) FROM nlen ORDER BY chunk",
                       "SELECT key, value FROM nstat ORDER BY key"};
  buf out = {0};
  for (size_t q = 0; q < sizeof sql / sizeof *sql; q++) {
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql[q], -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int k = 0; k < sqlite3_column_count(st); k++) {
        const unsigned char *t = sqlite3_column_text(st, k);
        ngi_buf_printf(&out, "%s|", t ? (const char *)t : "");
      }
      ngi_buf_addc(&out, '\n');
    }
    sqlite3_finalize(st);
    ngi_buf_addc(&out, '\n');
  }
  sqlite3_close(db);
  return ngi_buf_detach(&out);
}

START_TEST(counted_postings_are_the_captured_ones) {
  /* Repeated words, a compound and its joined form (colocated tokens), an
   * acronym, an apostrophe, a word only in the headline. */
  const char *a[] = {"Cease-fire talks at the U.N.", "The cease-fire holds; talks, talks and more talks.",
                     "Ukraine's envoy said the ceasefire would hold.", ""};
  const char *b[] = {"Markets rally", "Shares rose and rose again, said traders.", "Talks resume at the U.N."};
  put_streamed(idx, "/a.txt", a, 4, 0);
  put_streamed(idx, "/b.txt", b, 3, 0);
  char *other_path = path_join(dir, "counted.db");
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE;
  ng_index *other;
  ck_assert_msg(ng_index_open(&other, other_path, &o) == NG_OK, "%s", ng_index_errmsg(other));
  put_streamed(other, "/a.txt", a, 4, 1);
  put_streamed(other, "/b.txt", b, 3, 1);
  ck_assert_int_eq(ng_index_check(other, NULL), NG_OK);
  ck_assert_int_eq(ng_index_check(idx, NULL), NG_OK);
  ck_assert_int_eq(ng_index_checkpoint(other), NG_OK);
  ck_assert_int_eq(ng_index_checkpoint(idx), NG_OK);
  char *path = path_join(dir, "index.db");
  char *captured = postings_dump(path), *counted = postings_dump(other_path);
  ck_assert_msg(strlen(captured) > 200, "%s", captured);
  ck_assert_str_eq(counted, captured);
  free(captured);
  free(counted);
  free(path);
  ng_index_close(other);
  free(other_path);
}
END_TEST

typedef struct seen_words {
  buf all;
} seen_words;

static void on_stem(void *ctx, const char *stem) {
  seen_words *s = ctx;
  ngi_buf_printf(&s->all, "%s ", stem);
}

static void on_word(void *ctx, const char *raw, const char *stem) {
  seen_words *s = ctx;
  ngi_buf_printf(&s->all, "%s=%s ", raw, stem);
}

START_TEST(word_table) {
  const char pairs[] = "negotiations\0negoti\0negotiate\0negoti\0negotiator\0negoti\0nato\0nato\0";
  ck_assert_int_eq(ngi_store_begin(idx), NG_OK);
  ck_assert_int_eq(ngi_store_queue_words(idx, pairs, sizeof pairs - 1), NG_OK);
  ck_assert_int_eq(ngi_index_commit(idx), NG_OK);
  buf stem = {0};
  ck_assert_int_eq(ngi_store_word_stem(idx, "negotiator", 10, &stem), 1);
  ck_assert_str_eq(stem.data, "negoti");
  ck_assert_int_eq(ngi_store_word_stem(idx, "nobody", 6, &stem), 0);
  ngi_buf_free(&stem);
  seen_words s = {{0}};
  ck_assert_int_eq(ngi_store_prefix_stems(idx, "negotiat", 10, on_stem, &s), NG_OK);
  ck_assert_str_eq(s.all.data, "negoti ");
  ngi_buf_reset(&s.all);
  /* A word that is its own stem is not stored: the postings know it. */
  ck_assert_int_eq(ngi_store_words_like(idx, "n", 4, 4, on_word, &s), NG_OK);
  ck_assert(!s.all.data || !*s.all.data);
  ck_assert_int_eq(ngi_store_words_like(idx, "n", 9, 10, on_word, &s), NG_OK);
  ck_assert_str_eq(s.all.data, "negotiate=negoti negotiator=negoti ");
  ngi_buf_free(&s.all);
  /* Words queued in a transaction that rolls back are not stored. */
  ck_assert_int_eq(ngi_store_begin(idx), NG_OK);
  ck_assert_int_eq(ngi_store_queue_words(idx, "zebra\0zebra\0", 12), NG_OK);
  ngi_store_rollback(idx);
  ck_assert_int_eq(ngi_index_commit(idx), NG_OK);
  buf z = {0};
  ck_assert_int_eq(ngi_store_word_stem(idx, "zebra", 5, &z), 0);
  ngi_buf_free(&z);
  ck_assert_int_eq(ngi_store_stem_passages(idx, "nato"), 0);
}
END_TEST

START_TEST(rowid_layout) {
  ck_assert_int_eq(NGI_ROWID(5, 3), (5LL << 20) | 3);
  ck_assert_int_eq(NGI_ROWID_DOC(NGI_ROWID(123456, 1048575)), 123456);
  ck_assert_int_eq(NGI_ROWID_ORDINAL(NGI_ROWID(123456, 1048575)), 1048575);
  ck_assert_int_eq(NGI_MAX_PASSAGES, 1048575);
}
END_TEST

static Suite *store_suite(void) {
  Suite *s = suite_create("store");
  TCase *tc = tcase_create("rows");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, documents_and_passages);
  tcase_add_test(tc, hits_and_snippets);
  tcase_add_test(tc, token_streams_replayed_only_for_their_text);
  tcase_add_test(tc, counted_postings_are_the_captured_ones);
  tcase_add_test(tc, word_table);
  tcase_add_test(tc, rowid_layout);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(store_suite()); }
