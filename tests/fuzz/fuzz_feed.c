/*
 * fuzz_feed.c -- the JSON Lines reader: ngi_feed_parse() and feed runs.
 *
 * Per input: ngi_feed_parse() on the whole input and on each of its
 * lines.  On NG_OK the record has a non-empty id, a title and a body, and
 * every field is valid UTF-8 holding no control character but tab and LF;
 * on NG_EDATA the record is empty and the message says why; NG_DONE only
 * for blank text.  A record is then segmented as ingest.c does (its body
 * under its title) and the passages checked as fuzz_decode_segment does.  On the first input and every 200th after it,
 * the whole input is also read as a feed on standard input (fmemopen) by a run on a write index made at start-up: the
 * run must never answer NG_ESYSTEM, and every 10th such run ng_index_check() must find the index sound.
 */
#define _GNU_SOURCE
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir, *index_path;
static ng_index *idx;
static unsigned long inputs, runs;

static void done(void) {
  ng_index_close(idx);
  idx = NULL;
  fuzz_rmtree(dir);
  free(dir);
  free(index_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  dir = fuzz_tmpdir("feed");
  index_path = fuzz_path(dir, "index.db");
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  o.flags = NG_OPEN_WRITE | NG_OPEN_CREATE;
  if (ng_index_open(&idx, index_path, &o) != NG_OK) fuzz_fail("create index: %s", ng_index_errmsg(idx));
  atexit(done);
  return 0;
}

static void check_field(const char *name, const char *s) {
  if (!s) return;
  size_t n = strlen(s);
  if (!fuzz_utf8(s, n)) fuzz_fail("field %s is not valid UTF-8", name);
  long bad = fuzz_bad_control(s, n, 1);
  if (bad >= 0) fuzz_fail("field %s holds control byte 0x%02X at %ld", name, (unsigned char)s[bad], bad);
}

static int is_blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
  }
  return 1;
}

static void parse_and_check(const char *line, size_t n) {
  feed_record r;
  char err[300] = "";
  int rc = ngi_feed_parse(line, n, &r, err, sizeof err);
  if (rc == NG_OK) {
    if (!r.id || !r.id[0]) fuzz_fail("record with an empty id");
    if (!r.title || !r.body) fuzz_fail("record %s without title or body", r.id);
    size_t k = strlen(r.id);
    if (!fuzz_utf8(r.id, k)) fuzz_fail("field id is not valid UTF-8");
    long bad = fuzz_bad_control(r.id, k, 0);
    if (bad >= 0) fuzz_fail("field id holds control byte 0x%02X at %ld", (unsigned char)r.id[bad], bad);
    check_field("title", r.title);
    check_field("body", r.body);
    check_field("date", r.date);
    check_field("source", r.source);
    check_field("url", r.url);
    check_field("author", r.author);
    /* As ingest.c stores it: the body under the title. */
    article a;
    int src = ngi_segment(r.body, strlen(r.body), r.title, &a);
    if (src == NG_OK)
      fuzz_check_article(&a, "feed record");
    else if (src != NG_EDATA)
      fuzz_fail("ngi_segment returned %d for a record", src);
    ngi_article_free(&a);
  } else if (rc == NG_EDATA || rc == NG_DONE) {
    if (r.id || r.title || r.body || r.date || r.source || r.url || r.author)
      fuzz_fail("ngi_feed_parse returned %d and left fields set", rc);
    if (rc == NG_EDATA && !err[0]) fuzz_fail("ngi_feed_parse: NG_EDATA without a message");
    if (rc == NG_DONE && !is_blank(line, n)) fuzz_fail("ngi_feed_parse: NG_DONE for a line that is not blank");
  } else {
    fuzz_fail("ngi_feed_parse returned %d", rc);
  }
  ngi_feed_record_free(&r);
}

static void on_report(void *ctx, const ng_item_report *r) {
  (void)ctx;
  if (!r->path) fuzz_fail("report without a path");
  if (r->severity == NG_SEV_ERROR && r->error_class == NG_ESYSTEM)
    fuzz_fail("feed item %s: system error: %s", r->path, r->message ? r->message : "");
}

static void run_feed(const uint8_t *data, size_t size) {
  ng_run *run = NULL;
  ng_run_options o = NG_RUN_OPTIONS_INIT;
  o.full = (int)(runs & 1);
  int rc = ng_run_begin(&run, idx, &o, on_report, NULL);
  if (rc != NG_OK) fuzz_fail("ng_run_begin: %s", ng_index_errmsg(idx));
  FILE *fp = fmemopen((void *)(uintptr_t)data, size, "r");
  if (!fp) fuzz_fail("fmemopen: %s", strerror(errno));
  rc = ng_run_add_feed(run, "-", fp);
  if (rc == NG_ESYSTEM) fuzz_fail("ng_run_add_feed answered NG_ESYSTEM: %s", ng_index_errmsg(idx));
  ng_run_stats st;
  rc = ng_run_finish(run, &st);
  if (rc != NG_OK) fuzz_fail("ng_run_finish answered %d: %s", rc, ng_index_errmsg(idx));
  if (st.worst == NG_ESYSTEM) fuzz_fail("feed run met a system error: %s", ng_index_errmsg(idx));
  ng_run_free(run);
  fclose(fp);
  if (++runs % 10 == 0) {
    rc = ng_index_check(idx, NULL);
    if (rc != NG_OK) fuzz_fail("ng_index_check answered %d: %s", rc, ng_index_errmsg(idx));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 20)) return 0;
  const char *s = (const char *)data;
  parse_and_check(s, size);
  for (size_t i = 0; i < size;) {
    const char *nl = memchr(s + i, '\n', size - i);
    size_t n = nl ? (size_t)(nl - (s + i)) : size - i;
    if (nl || i > 0) parse_and_check(s + i, n);
    i += n + 1;
  }
  if (size > 0 && inputs++ % 200 == 0) run_feed(data, size);
  return 0;
}
