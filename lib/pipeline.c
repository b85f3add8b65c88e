/*
 * pipeline.c -- a document's way from bytes to tokens: read and decode
 * (decode.c) or parse a feed record (feed.c), segment (segment.c),
 * tokenize (tokenize.c), and the duplicate signature (dedup.c), on a
 * worker thread ahead of the writer.
 *
 * Indexing is two jobs of about equal weight: turning bytes into stemmed
 * tokens, and putting tokens into SQLite.  Only the second must happen on
 * the connection's thread, so the first runs here, on the other core.  The
 * writer (ingest.c) submits jobs in order -- files, and the lines of feeds,
 * which go through the same stages -- and takes them back in the same
 * order; each finished job holds the article and, for every passage, the
 * token stream the "nutgraf" tokenizer would produce, which the tokenizer
 * replays when SQLite asks it to tokenize that very passage, and the
 * postings of those streams counted by term (postings.c's ngi_counted), so
 * that the writer only adds them to its batch.
 *
 * The worker has its own lexicon (stemmer, cache, unicode61 instance) and
 * its own in-memory SQLite connection, used only to reach unicode61, so it
 * shares no state with the writer but the job list, under one mutex.  New
 * words it meets travel back in the job, for the writer to store.  A feed
 * record whose line hashes to a record the index holds is not segmented:
 * the writer only has to confirm it is unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Articles bigger than this are tokenized by the writer, as they are
 * inserted, rather than held in memory as token streams. */
#define STREAM_MAX_TEXT (4u << 20)

struct ngi_pipeline {
  pthread_t thread;
  int started;
  pthread_mutex_t mu;
  pthread_cond_t work, done;
  ngi_job *head, *tail, *todo; /* submitted, oldest first; todo: next to do */
  ngi_job *used;               /* taken and given back, to be freed */
  size_t pending;
  int stop;
  sqlite3 *db;
  ngi_lexicon *lx;
  char *fallback;
  long long max_size;
};

void ngi_job_free(ngi_job *j) {
  if (!j) return;
  free(j->path);
  free(j->line);
  ngi_feed_record_free(&j->rec);
  ngi_article_free(&j->art);
  ngi_buf_free(&j->tokens);
  free(j->token_at);
  ngi_buf_free(&j->words);
  ngi_counted_free(j->counted);
  free(j);
}

/* ------------------------------------------------------------------ */
/* Hash sets (open addressing on 64-bit hashes, 0 marks a free slot) */

int ngi_hashset_add(hashset *s, uint64_t h) {
  if (!h) h = 1;
  if ((s->count + 1) * 2 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    uint64_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->slots[i]) continue;
      size_t k = (size_t)s->slots[i] & (cap - 1);
      while (slots[k]) k = (k + 1) & (cap - 1);
      slots[k] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
  }
  size_t k = (size_t)h & (s->cap - 1);
  while (s->slots[k] && s->slots[k] != h) k = (k + 1) & (s->cap - 1);
  if (!s->slots[k]) {
    s->slots[k] = h;
    s->count++;
  }
  return 0;
}

int ngi_hashset_has(const hashset *s, uint64_t h) {
  if (!h) h = 1;
  if (!s->cap) return 0;
  for (size_t k = (size_t)h & (s->cap - 1); s->slots[k]; k = (k + 1) & (s->cap - 1))
    if (s->slots[k] == h) return 1;
  return 0;
}

void ngi_hashset_free(hashset *s) {
  free(s->slots);
  s->slots = NULL;
  s->cap = s->count = 0;
}

/* ------------------------------------------------------------------ */
/* The stages */

static void skip(ngi_job *j, int severity, int error_class, const char *msg) {
  j->outcome = NGI_PREP_SKIP;
  j->severity = severity;
  j->error_class = error_class;
  snprintf(j->message, sizeof j->message, "%s", msg);
}

/* An article whose date cannot be read is indexed without one, with a
 * warning that quotes the date (the writer reports it with the item). */
static void warn_date(ngi_job *j) {
  if (!j->art.date_unread) return;
  j->severity = NG_SEV_WARNING;
  char shown[80];
  size_t n = 0;
  for (const char *c = j->art.date_unread; *c && n + 1 < sizeof shown; c++) shown[n++] = (*c < 0x20) ? ' ' : *c;
  n = ngi_utf8_valid_prefix(shown, n); /* no character cut in two */
  shown[n] = '\0';
  snprintf(j->message, sizeof j->message, "cannot read the date '%s%s'; indexed without a date", shown,
           strlen(j->art.date_unread) >= sizeof shown ? "..." : "");
}

/* Token streams for every passage, and the words the job met first.  On
 * failure the job goes on without streams: the writer tokenizes as it
 * stores, and stores the words itself. */
static void tokenize_article(ngi_lexicon *lx, ngi_job *j) {
  if (j->art.texts.len > STREAM_MAX_TEXT) return;
  j->token_at = malloc((j->art.npassages + 1) * sizeof *j->token_at);
  if (!j->token_at) return;
  int rc = SQLITE_OK;
  for (size_t i = 0; i < j->art.npassages && rc == SQLITE_OK; i++) {
    j->token_at[i] = j->tokens.len;
    rc = ngi_tokens_encode(lx, ngi_article_text(&j->art, i), (int)j->art.passages[i].len, &j->tokens);
  }
  j->token_at[j->art.npassages] = j->tokens.len;
  if (rc != SQLITE_OK || j->tokens.oom || ngi_lexicon_take_fresh(lx, &j->words) != NG_OK) {
    free(j->token_at);
    j->token_at = NULL;
    ngi_buf_free(&j->tokens);
    ngi_buf_free(&j->words);
    ngi_lexicon_unstore(lx);
  }
  ngi_lexicon_forget(lx);
  /* The postings of the streams, counted here rather than by the writer
   * as FTS5 replays them; without them (out of memory) the writer counts. */
  int counted = j->token_at != NULL;
  for (size_t i = 0; counted && i < j->art.npassages; i++)
    counted = ngi_counted_passage(&j->counted, j->tokens.data + j->token_at[i], j->token_at[i + 1] - j->token_at[i],
                                  j->art.passages[i].kind == NG_KIND_HEADLINE) == NG_OK;
  if (counted && j->counted) counted = ngi_counted_finish(j->counted) == NG_OK;
  if (!counted) {
    ngi_counted_free(j->counted);
    j->counted = NULL;
  }
}

/* A file: read, decode, segment. */
static void prepare_file(ngi_lexicon *lx, const char *fallback, long long max_size, ngi_job *j) {
  struct stat st;
  char *data = NULL;
  size_t len = 0;
  int err = ngi_read_file(j->path, max_size, &data, &len, &st);
  if (err) {
    char msg[200];
    if (err == EFBIG) {
      /* The user set the limit: a warning, not an error. */
      snprintf(msg, sizeof msg, "larger than %lld bytes (--max-size)", max_size);
      skip(j, NG_SEV_WARNING, 0, msg);
    } else if (err == ENOMEM) {
      skip(j, NG_SEV_ERROR, NG_ESYSTEM, "out of memory");
    } else {
      snprintf(msg, sizeof msg, err == EINVAL ? "not a regular file" : "cannot read: %s", strerror(err));
      skip(j, NG_SEV_ERROR, NG_EDATA, msg);
    }
    return;
  }
  j->size = st.st_size;
  j->mtime_ns = ngi_mtime_ns(&st);
  j->hash = (long long)ngi_hash(data, len);
  if (j->check_same && j->hash == j->known_hash && (long long)len == j->known_size) {
    free(data);
    j->outcome = NGI_PREP_SAME;
    return;
  }
  decoded dec;
  char msg[300];
  int d = ngi_decode(data, len, fallback, &dec, msg, sizeof msg);
  free(data);
  if (d == NGI_DECODE_BINARY) {
    skip(j, NG_SEV_WARNING, 0, msg);
    j->binary = 1;
    return;
  }
  if (d != NGI_DECODE_OK) {
    skip(j, NG_SEV_ERROR, d == NGI_DECODE_NOMEM ? NG_ESYSTEM : NG_EDATA, msg);
    return;
  }
  j->encoding = dec.encoding;
  int s = ngi_segment(dec.text, dec.len, NULL, &j->art);
  free(dec.text);
  if (s != NG_OK) {
    skip(j, NG_SEV_ERROR, s,
         s == NG_EDATA ? "too many paragraphs (more than " NGI_STR(NGI_MAX_PASSAGES) ")" : "out of memory");
    return;
  }
  j->outcome = NGI_PREP_ARTICLE;
  warn_date(j);
  /* The duplicate signature here, on the worker: the writer only looks
   * its bands up (dedup.c). */
  j->has_dup = ngi_dup_signature(&j->art, &j->dup);
  tokenize_article(lx, j);
}

/* A feed record: parse, then segment its body under its title. */
static void prepare_record(ngi_lexicon *lx, long long max_size, ngi_job *j) {
  j->size = (long long)j->linelen;
  j->encoding = "UTF-8";
  /* A line over the limit was not kept by the reader (line NULL). */
  if (!j->line || (max_size > 0 && (long long)j->linelen > max_size)) {
    char msg[200];
    snprintf(msg, sizeof msg, "record larger than %lld bytes (--max-size)", max_size);
    skip(j, NG_SEV_WARNING, 0, msg);
    return;
  }
  j->hash = (long long)ngi_hash(j->line, j->linelen);
  char err[300] = "";
  int rc = ngi_feed_parse(j->line, j->linelen, &j->rec, err, sizeof err);
  if (rc == NG_DONE) {
    skip(j, NG_SEV_NONE, 0, "");
    return;
  }
  if (rc != NG_OK) {
    skip(j, NG_SEV_ERROR, rc, err);
    return;
  }
  if (j->known_records && ngi_hashset_has(j->known_records, (uint64_t)j->hash)) {
    j->outcome = NGI_PREP_SAME;
    return;
  }
  /* The record's fields are copies: the line can go now, before the
   * segmenting makes another copy of the body. */
  free(j->line), j->line = NULL;
  rc = ngi_segment(j->rec.body, strlen(j->rec.body), j->rec.title, &j->art);
  if (rc != NG_OK) {
    skip(j, NG_SEV_ERROR, rc, rc == NG_EDATA ? "too many paragraphs" : "out of memory");
    return;
  }
  char iso[32];
  if (j->rec.date && ngi_date_normalize(j->rec.date, iso, sizeof iso) == 0 && !(j->art.date = strdup(iso))) {
    skip(j, NG_SEV_ERROR, NG_ESYSTEM, "out of memory");
    return;
  }
  if (j->rec.date && !j->art.date) j->art.date_unread = j->rec.date, j->rec.date = NULL;
  j->art.source = j->rec.source, j->rec.source = NULL;
  j->art.url = j->rec.url, j->rec.url = NULL;
  j->art.author = j->rec.author, j->rec.author = NULL;
  /* The text now lives in the article. */
  free(j->rec.body), j->rec.body = NULL;
  j->outcome = NGI_PREP_ARTICLE;
  warn_date(j);
  /* The duplicate signature here, on the worker: the writer only looks
   * its bands up (dedup.c). */
  j->has_dup = ngi_dup_signature(&j->art, &j->dup);
  tokenize_article(lx, j);
}

void ngi_pipeline_prepare(ngi_lexicon *lx, const char *fallback, long long max_size, ngi_job *j) {
  if (j->kind == NGI_JOB_RECORD)
    prepare_record(lx, max_size, j);
  else
    prepare_file(lx, fallback, max_size, j);
}

static void prepare(ngi_pipeline *p, ngi_job *j) { ngi_pipeline_prepare(p->lx, p->fallback, p->max_size, j); }

static void free_list(ngi_job *j) {
  while (j) {
    ngi_job *next = j->next;
    ngi_job_free(j);
    j = next;
  }
}

static void *worker(void *arg) {
  ngi_pipeline *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->todo && !p->stop) pthread_cond_wait(&p->work, &p->mu);
    if (p->stop) break;
    ngi_job *j = p->todo, *used = p->used;
    p->todo = j->next;
    p->used = NULL;
    pthread_mutex_unlock(&p->mu);
    free_list(used);
    prepare(p, j);
    pthread_mutex_lock(&p->mu);
    j->done = 1;
    pthread_cond_broadcast(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

int ngi_pipeline_start(ngi_pipeline **out, const char *language, const char *fallback, long long max_size, char *err,
                       size_t errlen) {
  *out = NULL;
  ngi_pipeline *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "out of memory");
    return NG_ESYSTEM;
  }
  p->max_size = max_size;
  int rc = NG_OK;
  if (fallback && !(p->fallback = strdup(fallback))) rc = NG_ESYSTEM;
  if (rc == NG_OK && sqlite3_open_v2(":memory:", &p->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) rc = NG_ESYSTEM;
  if (rc == NG_OK) rc = ngi_lexicon_new(&p->lx, ngi_fts5_api(p->db), language, 1, err, errlen);
  if (rc == NG_OK) {
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    if (pthread_create(&p->thread, NULL, worker, p) != 0) {
      snprintf(err, errlen, "cannot start a thread: %s", strerror(errno));
      rc = NG_ESYSTEM;
    } else {
      p->started = 1;
    }
  } else if (rc == NG_ESYSTEM && !err[0]) {
    snprintf(err, errlen, "out of memory");
  }
  if (rc != NG_OK) {
    ngi_pipeline_stop(p);
    return rc;
  }
  *out = p;
  return NG_OK;
}

void ngi_pipeline_submit(ngi_pipeline *p, ngi_job *j) {
  pthread_mutex_lock(&p->mu);
  j->next = NULL;
  if (p->tail)
    p->tail->next = j;
  else
    p->head = j;
  p->tail = j;
  if (!p->todo) p->todo = j;
  p->pending++;
  pthread_cond_signal(&p->work);
  pthread_mutex_unlock(&p->mu);
}

ngi_job *ngi_pipeline_take(ngi_pipeline *p) {
  pthread_mutex_lock(&p->mu);
  ngi_job *j = p->head;
  while (j && !j->done) pthread_cond_wait(&p->done, &p->mu);
  if (j) {
    p->head = j->next;
    if (!p->head) p->tail = NULL;
    p->pending--;
  }
  pthread_mutex_unlock(&p->mu);
  return j;
}

void ngi_pipeline_give_back(ngi_pipeline *p, ngi_job *j) {
  if (!j) return;
  pthread_mutex_lock(&p->mu);
  j->next = p->used;
  p->used = j;
  pthread_mutex_unlock(&p->mu);
}

size_t ngi_pipeline_pending(ngi_pipeline *p) {
  pthread_mutex_lock(&p->mu);
  size_t n = p->pending;
  pthread_mutex_unlock(&p->mu);
  return n;
}

void ngi_pipeline_stop(ngi_pipeline *p) {
  if (!p) return;
  if (p->started) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
  }
  free_list(p->head);
  free_list(p->used);
  if (p->db) sqlite3_close(p->db);
  ngi_lexicon_free(p->lx);
  free(p->fallback);
  free(p);
}
