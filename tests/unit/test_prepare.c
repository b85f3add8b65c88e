/*
 * test_prepare.c -- unit suite for lib/prepare.c: the worker that reads,
 * decodes, segments and tokenizes files ahead of the writer.
 */
#define _GNU_SOURCE
#include "unit.h"

static char *dir;
static preparer *prep;

static void setup(void) {
  dir = tmpdir_make();
  char err[512] = "";
  ck_assert_int_eq(preparer_start(&prep, "english", NULL, 1 << 20, err, sizeof err), NG_OK);
}

static void teardown(void) {
  preparer_stop(prep);
  tmpdir_remove(dir);
}

static prep_job *job(const char *name, int feed) {
  prep_job *j = calloc(1, sizeof *j);
  j->path = path_join(dir, name);
  j->feed = feed;
  return j;
}

typedef struct stream {
  buf b;
} stream;

static int record(void *ctx, int tflags, const char *tok, int n, int start, int end) {
  buf *b = ctx;
  buf_printf(b, "%d:%.*s:%d:%d ", tflags, n, tok, start, end);
  return SQLITE_OK;
}

/* A job's stream for passage i, written as text. */
static char *stream_text(const prep_job *j, size_t i) {
  buf out = {0};
  for (size_t k = j->token_at[i]; k + 10 <= j->token_at[i + 1];) {
    const unsigned char *r = (const unsigned char *)j->tokens.data + k;
    int32_t off[2];
    memcpy(off, r + 2, sizeof off);
    buf_printf(&out, "%d:%.*s:%d:%d ", r[0], r[1], (const char *)r + 10, off[0], off[1]);
    k += 10 + r[1];
  }
  return buf_detach(&out);
}

START_TEST(article_with_the_tokenizers_own_streams) {
  const char *text = "Truce talks resume\n\nThe cease-fire held in Kyiv; Ukraine\xE2\x80\x99s envoys met.\n";
  write_file(dir, "a.txt", text, strlen(text));
  prep_job *j = job("a.txt", 0);
  preparer_submit(prep, j);
  ck_assert_ptr_eq(preparer_take(prep), j);
  ck_assert_int_eq(j->outcome, PREP_ARTICLE);
  ck_assert_uint_eq(j->art.npassages, 2);
  ck_assert_str_eq(j->encoding, "UTF-8");
  ck_assert_ptr_nonnull(j->token_at);
  /* The streams are what the tokenizer gives the same text. */
  sqlite3 *db;
  lexicon lx;
  char err[512];
  ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
  ck_assert_int_eq(lexicon_init(&lx, db, "english", err, sizeof err), NG_OK);
  for (size_t i = 0; i < j->art.npassages; i++) {
    buf want = {0};
    lexicon_stream(&lx, article_text(&j->art, i), (int)j->art.passages[i].len, &want, record);
    char *got = stream_text(j, i);
    ck_assert_str_eq(got, want.data);
    free(got);
    buf_free(&want);
  }
  lexicon_free(&lx);
  sqlite3_close(db);
  /* New words travel back in the job: raw NUL stem NUL pairs. */
  ck_assert(j->words.len > 0);
  ck_assert(memmem(j->words.data, j->words.len, "ceasefire\0ceasefir", 19) != NULL);
  prep_job_free(j);
}
END_TEST

START_TEST(jobs_come_back_in_order) {
  char name[32];
  for (int i = 0; i < 50; i++) {
    char text[64];
    int n = snprintf(text, sizeof text, "Story %d\n\nParagraph %d.\n", i, i);
    snprintf(name, sizeof name, "s%02d.txt", i);
    write_file(dir, name, text, (size_t)n);
    preparer_submit(prep, job(name, 0));
  }
  ck_assert_uint_eq(preparer_pending(prep), 50);
  for (int i = 0; i < 50; i++) {
    prep_job *j = preparer_take(prep);
    snprintf(name, sizeof name, "s%02d.txt", i);
    ck_assert(contains(j->path, name));
    ck_assert_int_eq(j->outcome, PREP_ARTICLE);
    prep_job_free(j);
  }
  ck_assert_ptr_null(preparer_take(prep));
}
END_TEST

START_TEST(problems_are_outcomes) {
  write_file(dir, "bin.dat", "ab\0cd", 5);
  size_t bign = 2 << 20;
  char *big = malloc(bign);
  memset(big, 'x', bign);
  write_file(dir, "big.txt", big, bign); /* over the 1 MiB limit of setup */
  free(big);
  prep_job *b = job("bin.dat", 0), *m = job("missing.txt", 0), *g = job("big.txt", 0);
  preparer_submit(prep, b);
  preparer_submit(prep, m);
  preparer_submit(prep, g);
  ck_assert_ptr_eq(preparer_take(prep), b);
  ck_assert_int_eq(b->outcome, PREP_SKIP);
  ck_assert(b->binary);
  ck_assert_int_eq(b->severity, NG_SEV_WARNING);
  ck_assert_ptr_eq(preparer_take(prep), m);
  ck_assert_int_eq(m->outcome, PREP_SKIP);
  ck_assert_int_eq(m->severity, NG_SEV_ERROR);
  ck_assert_int_eq(m->error_class, NG_EDATA);
  ck_assert(contains(m->message, "No such file"));
  ck_assert_ptr_eq(preparer_take(prep), g);
  ck_assert_int_eq(g->severity, NG_SEV_WARNING);
  ck_assert(contains(g->message, "--max-size"));
  prep_job_free(b);
  prep_job_free(m);
  prep_job_free(g);
}
END_TEST

START_TEST(same_content_and_feeds) {
  const char *text = "Headline\n\nBody.\n";
  write_file(dir, "same.txt", text, strlen(text));
  write_file(dir, "feed.jsonl", "{\"id\":1}\n", 9);
  prep_job *s = job("same.txt", 0), *f = job("feed.jsonl", 1);
  s->check_same = 1;
  s->known_size = (long long)strlen(text);
  s->known_hash = (long long)hash_bytes(text, strlen(text));
  preparer_submit(prep, s);
  preparer_submit(prep, f);
  ck_assert_ptr_eq(preparer_take(prep), s);
  ck_assert_int_eq(s->outcome, PREP_SAME);
  ck_assert_ptr_eq(preparer_take(prep), f);
  ck_assert_int_eq(f->outcome, PREP_FEED);
  ck_assert_uint_eq(f->len, 9);
  ck_assert(memcmp(f->data, "{\"id\":1}\n", 9) == 0);
  prep_job_free(s);
  prep_job_free(f);
}
END_TEST

START_TEST(stop_frees_jobs_not_taken) {
  for (int i = 0; i < 20; i++) preparer_submit(prep, job("nothing.txt", 0));
  /* teardown stops the worker with the jobs still queued; valgrind and
   * LeakSanitizer check nothing is lost. */
  ck_assert_uint_eq(preparer_pending(prep), 20);
}
END_TEST

static Suite *prepare_suite(void) {
  Suite *s = suite_create("prepare");
  TCase *tc = tcase_create("worker");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, article_with_the_tokenizers_own_streams);
  tcase_add_test(tc, jobs_come_back_in_order);
  tcase_add_test(tc, problems_are_outcomes);
  tcase_add_test(tc, same_content_and_feeds);
  tcase_add_test(tc, stop_frees_jobs_not_taken);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(prepare_suite()); }
