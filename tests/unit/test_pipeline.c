/*
 * test_pipeline.c -- unit suite for lib/pipeline.c: the worker that reads,
 * decodes (or parses a feed record), segments and tokenizes ahead of the
 * writer.
 */
#define _GNU_SOURCE
#include "unit.h"

static char *dir;
static ngi_pipeline *prep;

static void setup(void) {
  dir = tmpdir_make();
  char err[512] = "";
  ck_assert_int_eq(ngi_pipeline_start(&prep, "english", NULL, 1 << 20, err, sizeof err), NG_OK);
}

static void teardown(void) {
  ngi_pipeline_stop(prep);
  tmpdir_remove(dir);
}

static ngi_job *job(const char *name) {
  ngi_job *j = calloc(1, sizeof *j);
  j->kind = NGI_JOB_FILE;
  j->path = path_join(dir, name);
  return j;
}

static ngi_job *record_job(const char *line, const hashset *known) {
  ngi_job *j = calloc(1, sizeof *j);
  j->kind = NGI_JOB_RECORD;
  j->line = strdup(line);
  j->linelen = strlen(line);
  j->lineno = 1;
  j->known_records = known;
  return j;
}

/* A job's stream for passage i, written as text. */
static char *stream_text(const ngi_job *j, size_t i) {
  buf out = {0};
  for (size_t k = j->token_at[i] + 12; k + 10 <= j->token_at[i + 1];) { /* after the source's length and hash */
    const unsigned char *r = (const unsigned char *)j->tokens.data + k;
    int32_t off[2];
    memcpy(off, r + 2, sizeof off);
    ngi_buf_printf(&out, "%d:%.*s:%d:%d ", r[0], r[1], (const char *)r + 10, off[0], off[1]);
    k += 10 + r[1];
  }
  return ngi_buf_detach(&out);
}

START_TEST(article_with_the_tokenizers_own_streams) {
  const char *text = "Truce talks resume\n\nThe cease-fire held in Kyiv; Ukraine\xE2\x80\x99s envoys met.\n";
  write_file(dir, "a.txt", text, strlen(text));
  ngi_job *j = job("a.txt");
  ngi_pipeline_submit(prep, j);
  ck_assert_ptr_eq(ngi_pipeline_take(prep), j);
  ck_assert_int_eq(j->outcome, NGI_PREP_ARTICLE);
  ck_assert_uint_eq(j->art.npassages, 2);
  ck_assert_str_eq(j->encoding, "UTF-8");
  ck_assert_ptr_nonnull(j->token_at);
  /* The streams are what the tokenizer gives the same text. */
  sqlite3 *db;
  ngi_lexicon *lx;
  char err[512];
  ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
  ck_assert_int_eq(ngi_lexicon_new(&lx, ngi_fts5_api(db), "english", 0, err, sizeof err), NG_OK);
  for (size_t i = 0; i < j->art.npassages; i++) {
    buf want = {0};
    ck_assert_int_eq(ngi_tokens_encode(lx, ngi_article_text(&j->art, i), (int)j->art.passages[i].len, &want),
                     SQLITE_OK);
    ck_assert_uint_eq(want.len, j->token_at[i + 1] - j->token_at[i]);
    ck_assert(memcmp(want.data, j->tokens.data + j->token_at[i], want.len) == 0);
    char *got = stream_text(j, i);
    ck_assert(contains(got, "ceasefir") || i == 0);
    free(got);
    ngi_buf_free(&want);
  }
  ngi_lexicon_free(lx);
  sqlite3_close(db);
  /* New words travel back in the job: raw NUL stem NUL pairs. */
  ck_assert(j->words.len > 0);
  ck_assert(memmem(j->words.data, j->words.len, "ceasefire\0ceasefir", 19) != NULL);
  ngi_job_free(j);
}
END_TEST

START_TEST(jobs_come_back_in_order) {
  char name[32];
  for (int i = 0; i < 50; i++) {
    char text[64];
    int n = snprintf(text, sizeof text, "Story %d\n\nParagraph %d.\n", i, i);
    snprintf(name, sizeof name, "s%02d.txt", i);
    write_file(dir, name, text, (size_t)n);
    ngi_pipeline_submit(prep, job(name));
  }
  ck_assert_uint_eq(ngi_pipeline_pending(prep), 50);
  for (int i = 0; i < 50; i++) {
    ngi_job *j = ngi_pipeline_take(prep);
    snprintf(name, sizeof name, "s%02d.txt", i);
    ck_assert(contains(j->path, name));
    ck_assert_int_eq(j->outcome, NGI_PREP_ARTICLE);
    ngi_job_free(j);
  }
  ck_assert_ptr_null(ngi_pipeline_take(prep));
}
END_TEST

START_TEST(problems_are_outcomes) {
  write_file(dir, "bin.dat", "ab\0cd", 5);
  size_t bign = 2 << 20;
  char *big = malloc(bign);
  memset(big, 'x', bign);
  write_file(dir, "big.txt", big, bign); /* over the 1 MiB limit of setup */
  free(big);
  ngi_job *b = job("bin.dat"), *m = job("missing.txt"), *g = job("big.txt");
  ngi_pipeline_submit(prep, b);
  ngi_pipeline_submit(prep, m);
  ngi_pipeline_submit(prep, g);
  ck_assert_ptr_eq(ngi_pipeline_take(prep), b);
  ck_assert_int_eq(b->outcome, NGI_PREP_SKIP);
  ck_assert(b->binary);
  ck_assert_int_eq(b->severity, NG_SEV_WARNING);
  ck_assert_ptr_eq(ngi_pipeline_take(prep), m);
  ck_assert_int_eq(m->outcome, NGI_PREP_SKIP);
  ck_assert_int_eq(m->severity, NG_SEV_ERROR);
  ck_assert_int_eq(m->error_class, NG_EDATA);
  ck_assert(contains(m->message, "No such file"));
  ck_assert_ptr_eq(ngi_pipeline_take(prep), g);
  ck_assert_int_eq(g->severity, NG_SEV_WARNING);
  ck_assert(contains(g->message, "--max-size"));
  ngi_job_free(b);
  ngi_job_free(m);
  ngi_job_free(g);
}
END_TEST

START_TEST(same_content) {
  const char *text = "Headline\n\nBody.\n";
  write_file(dir, "same.txt", text, strlen(text));
  ngi_job *s = job("same.txt");
  s->check_same = 1;
  s->known_size = (long long)strlen(text);
  s->known_hash = (long long)ngi_hash(text, strlen(text));
  ngi_pipeline_submit(prep, s);
  ck_assert_ptr_eq(ngi_pipeline_take(prep), s);
  ck_assert_int_eq(s->outcome, NGI_PREP_SAME);
  ngi_job_free(s);
}
END_TEST

START_TEST(feed_records_take_the_same_way) {
  const char *line =
      "{\"id\": \"a1\", \"title\": \"Truce holds\", \"body\": \"The cease-fire held.\\n\\nTalks resume.\","
      " \"date\": \"2025-12-01T14:05:00+01:00\", \"source\": \"AP\"}\n";
  ngi_job *r = record_job(line, NULL);
  ngi_pipeline_submit(prep, r);
  ck_assert_ptr_eq(ngi_pipeline_take(prep), r);
  ck_assert_int_eq(r->outcome, NGI_PREP_ARTICLE);
  ck_assert_str_eq(r->rec.id, "a1");
  ck_assert_uint_eq(r->art.npassages, 3);
  ck_assert_str_eq(r->art.title, "Truce holds");
  ck_assert_str_eq(r->art.date, "2025-12-01T13:05:00Z");
  ck_assert_str_eq(r->art.source, "AP");
  ck_assert_int_eq(r->hash, (long long)ngi_hash(line, strlen(line)));
  ck_assert_ptr_nonnull(r->token_at);
  ck_assert(memmem(r->words.data, r->words.len, "ceasefire\0ceasefir", 19) != NULL);
  /* A line the index already holds is only parsed, not segmented. */
  hashset known = {0};
  ck_assert_int_eq(ngi_hashset_add(&known, (uint64_t)r->hash), 0);
  ngi_job *same = record_job(line, &known);
  ngi_pipeline_submit(prep, same);
  ck_assert_ptr_eq(ngi_pipeline_take(prep), same);
  ck_assert_int_eq(same->outcome, NGI_PREP_SAME);
  ck_assert_str_eq(same->rec.id, "a1");
  ck_assert_uint_eq(same->art.npassages, 0);
  /* Bad lines and blank lines are outcomes too. */
  ngi_job *bad = record_job("{\"id\": 1, \"title\": \"x\"}\n", NULL), *blank = record_job("  \n", NULL);
  ngi_pipeline_submit(prep, bad);
  ngi_pipeline_submit(prep, blank);
  ck_assert_ptr_eq(ngi_pipeline_take(prep), bad);
  ck_assert_int_eq(bad->outcome, NGI_PREP_SKIP);
  ck_assert_int_eq(bad->error_class, NG_EDATA);
  ck_assert(contains(bad->message, "missing field body"));
  ck_assert_ptr_eq(ngi_pipeline_take(prep), blank);
  ck_assert_int_eq(blank->outcome, NGI_PREP_SKIP);
  ck_assert_int_eq(blank->severity, NG_SEV_NONE);
  ngi_hashset_free(&known);
  ngi_job_free(r);
  ngi_job_free(same);
  ngi_job_free(bad);
  ngi_job_free(blank);
}
END_TEST

START_TEST(hash_sets) {
  hashset s = {0};
  for (uint64_t i = 0; i < 1000; i++) ck_assert_int_eq(ngi_hashset_add(&s, i * 7919), 0);
  ck_assert_uint_eq(s.count, 1000);
  for (uint64_t i = 0; i < 1000; i++) ck_assert(ngi_hashset_has(&s, i * 7919));
  ck_assert(!ngi_hashset_has(&s, 7));
  ck_assert_int_eq(ngi_hashset_add(&s, 7919), 0);
  ck_assert_uint_eq(s.count, 1000);
  ngi_hashset_free(&s);
  ck_assert(!ngi_hashset_has(&s, 0));
}
END_TEST

START_TEST(stop_frees_jobs_not_taken) {
  for (int i = 0; i < 20; i++) ngi_pipeline_submit(prep, job("nothing.txt"));
  /* teardown stops the worker with the jobs still queued; valgrind and
   * LeakSanitizer check nothing is lost. */
  ck_assert_uint_eq(ngi_pipeline_pending(prep), 20);
}
END_TEST

static Suite *pipeline_suite(void) {
  Suite *s = suite_create("pipeline");
  TCase *tc = tcase_create("worker");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, article_with_the_tokenizers_own_streams);
  tcase_add_test(tc, jobs_come_back_in_order);
  tcase_add_test(tc, problems_are_outcomes);
  tcase_add_test(tc, same_content);
  tcase_add_test(tc, feed_records_take_the_same_way);
  tcase_add_test(tc, hash_sets);
  tcase_add_test(tc, stop_frees_jobs_not_taken);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(pipeline_suite()); }
