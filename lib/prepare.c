/*
 * prepare.c -- a worker thread that reads, decodes, segments and tokenizes
 * files ahead of the writer.
 *
 * Indexing is two jobs of about equal weight: turning bytes into stemmed
 * tokens, and putting tokens into SQLite.  Only the second must happen on
 * the connection's thread, so the first runs here, on the other core.  The
 * writer (ingest.c) submits jobs in order and takes them back in the same
 * order; each finished job holds the article and, for every passage, the
 * token stream the "nutgraf" tokenizer would produce, which the tokenizer
 * replays when SQLite asks it to tokenize that passage (lexicon_replay).
 *
 * The worker has its own lexicon (stemmer, cache, unicode61 instance) and
 * its own in-memory SQLite connection, used only to reach unicode61, so it
 * shares no state with the writer but the job list, under one mutex.  New
 * words it meets travel back in the job, for the writer to store.
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

struct preparer {
  pthread_t thread;
  int started;
  pthread_mutex_t mu;
  pthread_cond_t work, done;
  prep_job *head, *tail, *todo; /* submitted, oldest first; todo: next to do */
  prep_job *used;               /* taken and given back, to be freed */
  size_t pending;
  int stop;
  sqlite3 *db;
  lexicon lx;
  int lx_ready;
  char *fallback;
  long long max_size;
};

void prep_job_free(prep_job *j) {
  if (!j) return;
  free(j->path);
  free(j->data);
  article_free(&j->art);
  buf_free(&j->tokens);
  free(j->token_at);
  buf_free(&j->words);
  free(j);
}

static long long mtime_ns(const struct stat *st) {
  return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* Reads a whole regular file.  Returns 0, or an errno value. */
static int read_file(const char *path, long long limit, char **data, size_t *len, struct stat *st) {
  *data = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return errno;
  int err = 0;
  if (fstat(fd, st) != 0) {
    err = errno;
  } else if (!S_ISREG(st->st_mode)) {
    err = EINVAL;
  } else if (st->st_size > limit) {
    err = EFBIG;
  } else {
    size_t cap = (size_t)st->st_size + 1, n = 0;
    char *p = malloc(cap);
    if (!p) err = ENOMEM;
    while (!err) {
      if (n + 1 >= cap) {
        /* The file grew while we read it. */
        if ((long long)cap > limit + 1) {
          err = EFBIG;
          break;
        }
        char *q = realloc(p, cap * 2);
        if (!q) {
          err = ENOMEM;
          break;
        }
        p = q;
        cap *= 2;
      }
      ssize_t r = read(fd, p + n, cap - n - 1);
      if (r < 0) {
        if (errno == EINTR) continue;
        err = errno;
      } else if (r == 0) {
        break;
      } else {
        n += (size_t)r;
      }
    }
    if (err) {
      free(p);
    } else {
      p[n] = '\0';
      *data = p;
      *len = n;
    }
  }
  close(fd);
  return err;
}

/* The stream record of one token: flags, stem length, offsets, stem. */
static int stream_token(void *ctx, int tflags, const char *tok, int n, int start, int end) {
  buf *b = ctx;
  unsigned char head[2] = {(unsigned char)tflags, (unsigned char)n};
  int32_t offsets[2] = {start, end};
  buf_add(b, (const char *)head, 2);
  buf_add(b, (const char *)offsets, sizeof offsets);
  buf_add(b, tok, (size_t)n);
  return b->oom ? SQLITE_NOMEM : SQLITE_OK;
}

static void skip(prep_job *j, int severity, int error_class, const char *msg) {
  j->outcome = PREP_SKIP;
  j->severity = severity;
  j->error_class = error_class;
  snprintf(j->message, sizeof j->message, "%s", msg);
}

static void prepare(preparer *p, prep_job *j) {
  struct stat st;
  int err = read_file(j->path, p->max_size, &j->data, &j->len, &st);
  if (err) {
    char msg[200];
    if (err == EFBIG) {
      /* The user set the limit: a warning, not an error. */
      snprintf(msg, sizeof msg, "larger than %lld bytes (--max-size)", p->max_size);
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
  j->mtime_ns = mtime_ns(&st);
  j->hash = (long long)hash_bytes(j->data, j->len);
  if (j->check_same && j->hash == j->known_hash && (long long)j->len == j->known_size) {
    j->outcome = PREP_SAME;
    return;
  }
  if (j->feed) {
    j->outcome = PREP_FEED;
    j->encoding = "UTF-8";
    return;
  }
  decoded dec;
  char msg[300];
  int d = decode_bytes(j->data, j->len, p->fallback, &dec, msg, sizeof msg);
  free(j->data);
  j->data = NULL;
  if (d == DECODE_BINARY) {
    skip(j, NG_SEV_WARNING, 0, msg);
    j->binary = 1;
    return;
  }
  if (d != DECODE_OK) {
    skip(j, NG_SEV_ERROR, d == DECODE_NOMEM ? NG_ESYSTEM : NG_EDATA, msg);
    return;
  }
  j->encoding = dec.encoding;
  int s = segment_article(dec.text, dec.len, NULL, &j->art);
  free(dec.text);
  if (s != NG_OK) {
    skip(j, NG_SEV_ERROR, s, s == NG_EDATA ? "too many paragraphs (more than 1048575)" : "out of memory");
    return;
  }
  j->outcome = PREP_ARTICLE;
  if (j->art.texts.len > STREAM_MAX_TEXT) return;
  j->token_at = malloc((j->art.npassages + 1) * sizeof *j->token_at);
  if (!j->token_at) return;
  int rc = SQLITE_OK;
  for (size_t i = 0; i < j->art.npassages && rc == SQLITE_OK; i++) {
    j->token_at[i] = j->tokens.len;
    rc = lexicon_stream(&p->lx, article_text(&j->art, i), (int)j->art.passages[i].len, &j->tokens, stream_token);
  }
  j->token_at[j->art.npassages] = j->tokens.len;
  if (rc != SQLITE_OK || j->tokens.oom) {
    /* Without streams the writer tokenizes, and stores the words itself. */
    free(j->token_at);
    j->token_at = NULL;
    buf_free(&j->tokens);
    lexicon_unstore(&p->lx);
  } else {
    /* The words this job met first go back with it, to be stored. */
    for (size_t i = 0; i < p->lx.nfresh; i++) {
      buf_add(&j->words, p->lx.fresh[i]->raw, p->lx.fresh[i]->rawlen + 1);
      buf_add(&j->words, p->lx.fresh[i]->stem, p->lx.fresh[i]->stemlen + 1);
    }
    if (j->words.oom) {
      free(j->token_at);
      j->token_at = NULL;
      buf_free(&j->tokens);
      buf_free(&j->words);
      lexicon_unstore(&p->lx);
    }
    p->lx.nfresh = 0;
  }
  lexicon_forget(&p->lx);
}

static void free_list(prep_job *j) {
  while (j) {
    prep_job *next = j->next;
    prep_job_free(j);
    j = next;
  }
}

static void *worker(void *arg) {
  preparer *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->todo && !p->stop) pthread_cond_wait(&p->work, &p->mu);
    if (p->stop) break;
    prep_job *j = p->todo, *used = p->used;
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

int preparer_start(preparer **out, const char *language, const char *fallback, long long max_size, char *err,
                   size_t errlen) {
  *out = NULL;
  preparer *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "out of memory");
    return NG_ESYSTEM;
  }
  p->max_size = max_size;
  int rc = NG_OK;
  if (fallback && !(p->fallback = strdup(fallback))) rc = NG_ESYSTEM;
  if (rc == NG_OK && sqlite3_open_v2(":memory:", &p->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) rc = NG_ESYSTEM;
  if (rc == NG_OK) {
    rc = lexicon_init(&p->lx, p->db, language, err, errlen);
    p->lx_ready = rc == NG_OK;
    p->lx.record = 1;
  }
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
    preparer_stop(p);
    return rc;
  }
  *out = p;
  return NG_OK;
}

void preparer_submit(preparer *p, prep_job *j) {
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

prep_job *preparer_take(preparer *p) {
  pthread_mutex_lock(&p->mu);
  prep_job *j = p->head;
  while (j && !j->done) pthread_cond_wait(&p->done, &p->mu);
  if (j) {
    p->head = j->next;
    if (!p->head) p->tail = NULL;
    p->pending--;
  }
  pthread_mutex_unlock(&p->mu);
  return j;
}

void preparer_give_back(preparer *p, prep_job *j) {
  if (!j) return;
  pthread_mutex_lock(&p->mu);
  j->next = p->used;
  p->used = j;
  pthread_mutex_unlock(&p->mu);
}

size_t preparer_pending(preparer *p) {
  pthread_mutex_lock(&p->mu);
  size_t n = p->pending;
  pthread_mutex_unlock(&p->mu);
  return n;
}

void preparer_stop(preparer *p) {
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
  if (p->lx_ready) lexicon_free(&p->lx);
  free(p->fallback);
  free(p);
}
