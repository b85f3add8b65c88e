/*
 * ingest.c -- incremental indexing runs (the ng_run API), after notmuch new.
 *
 * A run loads the catalog (walk.c), walks the paths it is given, and hands
 * every file that may have changed, and every line of a feed, to the
 * pipeline (pipeline.c), whose worker reads, decodes, segments and
 * tokenizes ahead; it takes the jobs back in order and writes them
 * through store.c:
 *  - an unchanged file (walk.c's change detection, or the same content
 *    hash after a touch) only gets its new mtime;
 *  - a changed file's passages are replaced inside the current transaction;
 *  - a feed's records are compared with what is stored by the hash of
 *    their line, and only new or changed ones are written.
 * Transactions are committed in batches (by count, bytes and time; the
 * first batch of a new index, which no reader sees yet, by time alone);
 * each file's change lies wholly inside one batch, so a kill at any moment
 * leaves every file either as it was or as it is now, and the next run
 * finishes the job.
 *
 * A feed file's size and mtime are what tells the next run it is
 * unchanged, so they are stored only after the last of its records and
 * the removal of the records it no longer holds: a run killed in the
 * middle of a feed leaves the old marker, and the next run reads the feed
 * again (its finished records are unchanged by hash) and completes it.  A
 * feed with a line that could not be read removes none of its records.
 *
 * Removals come last, only for documents under the roots of this run,
 * never under a path that could not be read.
 *
 * Duplicate groups (dedup.c) are kept in the same transactions: a story
 * written is grouped with its copies, a story changed or removed leaves
 * its group first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"

/* A batch is two seconds of work, or 64 MiB of text when that comes
 * first (the batch's postings are held in memory until it commits).  It
 * was also cut at 2,000 files: at BBC x64 (142,400 files, about 0.4 s a
 * thousand) that made 71 commits, each of them writing the pages FTS5's
 * and the postings' merges had touched to the log and copying them into
 * the file again.  Two-second batches make about 20, and the build
 * writes a third fewer pages (pwrite calls 2.38M -> 1.56M, pread 1.46M ->
 * 1.01M; 46.2 -> 40.2 s on a busy machine), for 30 MB more memory.  A
 * kill still loses at most the last two seconds. */
#define BATCH_BYTES (64u << 20)
#define BATCH_NS 2000000000LL
#define DEFAULT_MAX_FILE (256LL << 20)
#define MAX_QUEUED 64 /* jobs the worker may prepare ahead of the writer */

/* A feed file's records are documents named "<feed>//#<id>": a file's
 * path is absolute and cleaned, so it never holds "//", and no file (not
 * even one named "wire.jsonl#1" beside wire.jsonl) can take a record's
 * place.  Records read from a stream named NAME (ng_run_add_named_feed)
 * are "NAME//#<id>": a name is relative and holds no '/' or '#', so it is
 * no file's and no other name's.  Records read from an unnamed stream are
 * "stdin#<id>", which no absolute path can be either.  Each record of a
 * feed file keeps its line in the file (feed_line), which an unchanged
 * record whose line moved gets anew. */
#define RECORD_SEP "//#"
#define MAX_FEED_NAME 64

/* The size a feed's row has while it is being read (add_feed_file). */
#define FEED_READING (-1LL)

/* The feed being read: its records' jobs are all in the queue or done. */
typedef struct feed_state {
  const char *name;  /* the feed's path, or the stream's name ("stdin") */
  const char *sep;   /* records are stored as "<name><sep><id>": RECORD_SEP, or "#" for stdin */
  long long feed_id; /* the feed file's document, or 0 (stdin) */
  long long mtime_ns;
  hashset known; /* hashes of the stored records' lines */
  int failed;    /* a line could not be read: no record of the feed is removed */
} feed_state;

struct ng_run {
  ng_index *idx;
  ng_run_options opts;
  ng_report_fn report;
  void *ctx;
  ngi_catalog catalog;
  strlist roots;      /* cleaned paths given to the run */
  strlist failed;     /* paths that could not be read: no removals under them */
  ngi_own own;        /* the index's own files, never indexed */
  ngi_pipeline *pipe; /* the worker reading files ahead, once started */
  feed_state *feed;   /* the feed being read, or NULL */
  ng_run_stats stats;
  ng_run_stats committed; /* stats as of the last commit readers can see */
  long long batch_bytes, batch_start;
  int fatal;    /* an index error: the run must stop */
  int failure;  /* its class: NG_ESYSTEM, or NG_EDATA (a damaged index) */
  int finished; /* ng_run_finish succeeded */
  int carrying; /* rebuilding: reading again what the old index held beyond the run's paths */
  int mode;     /* what the run does: RUN_UNSET, RUN_INDEXING or RUN_REMOVING */
  /* Rebuilding (NG_OPEN_REBUILD): what the old index held, and the files
   * and feeds whose stored content this run keeps because it could not
   * read them again (they are copied from the old index at the end). */
  int rebuild;
  ngi_catalog prior;
  strmap kept;
};

/* A run indexes or removes, never both: a document removed stays in the
 * run's catalog as it was. */
enum { RUN_UNSET, RUN_INDEXING, RUN_REMOVING };

static int set_mode(ng_run *run, int mode) {
  if (run->mode != RUN_UNSET && run->mode != mode)
    return ngi_fail(run->idx, NG_EUSAGE, "a run either indexes or removes, not both");
  run->mode = mode;
  return NG_OK;
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Is path equal to, or inside, dir? */
static int is_under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  if (n == 1 && dir[0] == '/') return path[0] == '/';
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void worsen(ng_run *run, int code) {
  if (code < run->stats.worst) run->stats.worst = code;
}

static void report(ng_run *run, const char *path, int status, int severity, int error_class, long passages,
                   const char *encoding, const char *message) {
  if (severity == NG_SEV_ERROR) worsen(run, error_class);
  if (status == NG_ITEM_SKIPPED) run->stats.skipped++;
  if (!run->report) return;
  ng_item_report r = {path, status, severity, error_class, passages, encoding, message};
  run->report(run->ctx, &r);
}

/* The index failed: the run stops (NG_ESYSTEM to the callers), with the
 * class of the failure kept (a damaged index is NG_EDATA). */
static int fail_index(ng_run *run) {
  int code = run->idx->err_code == NG_EDATA ? NG_EDATA : NG_ESYSTEM;
  if (!run->fatal) run->failure = code;
  run->fatal = 1;
  worsen(run, code);
  return NG_ESYSTEM;
}

/* Rebuilding: was path (a file or a feed) in the old index? */
static int was_known(const ng_run *run, const char *path) {
  return run->rebuild && ngi_catalog_get(&run->prior, path) != NULL;
}

/* The stored content of path stays as it is (a file that cannot be read,
 * a feed with a bad line): rebuilding, it is copied from the old index. */
static int keep_stored(ng_run *run, const char *path) {
  if (!run->rebuild || !ngi_catalog_get(&run->prior, path)) return NG_OK;
  return ngi_map_put(&run->kept, path, strlen(path), (void *)1) == 0 ? NG_OK : NG_ESYSTEM;
}

static int out_of_memory(ng_run *run) {
  ngi_fail(run->idx, NG_ESYSTEM, "out of memory");
  return fail_index(run);
}

static int load_prior(ng_run *run);

int ng_run_begin(ng_run **out, ng_index *idx, const ng_run_options *opts, ng_report_fn report_fn, void *ctx) {
  *out = NULL;
  if (!idx->writable) return ngi_fail(idx, NG_EUSAGE, "the index is open read-only");
  ng_run_options defaults = NG_RUN_OPTIONS_INIT, given = NG_RUN_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  if (opts->version < 2) {
    /* version 1 ended before source */
    memcpy(&given, opts, offsetof(ng_run_options, source));
    given.version = NG_RUN_OPTIONS_VERSION;
    opts = &given;
  }
  if (opts->fallback_encoding && ngi_decode_check_encoding(opts->fallback_encoding) != 0)
    return ngi_fail(idx, NG_EUSAGE, "unknown encoding '%s' (see iconv --list)", opts->fallback_encoding);
  ng_run *run = calloc(1, sizeof *run);
  if (!run) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  run->idx = idx;
  run->opts = *opts;
  if (run->opts.max_file_size <= 0) run->opts.max_file_size = DEFAULT_MAX_FILE;
  run->report = report_fn;
  run->ctx = ctx;
  run->batch_start = now_ns();
  run->rebuild = idx->rebuild;
  int rc = ngi_own_init(&run->own, idx->path) == NG_OK ? ngi_catalog_load(idx, &run->catalog)
                                                       : ngi_fail(idx, NG_ESYSTEM, "out of memory");
  if (rc == NG_OK && run->rebuild) rc = load_prior(run);
  if (rc != NG_OK) {
    ng_run_free(run);
    return rc;
  }
  *out = run;
  return NG_OK;
}

/* Commits the batch (publishing a new index with its first); what readers
 * can now see is what the run has kept so far. */
static int commit(ng_run *run, int final) {
  if ((final ? ngi_index_commit_final(run->idx) : ngi_index_commit(run->idx)) != NG_OK) return fail_index(run);
  if (!ngi_index_private(run->idx)) run->committed = run->stats;
  return NG_OK;
}

static int maybe_commit(ng_run *run, size_t bytes) {
  run->batch_bytes += (long long)bytes;
  /* A new index no one can see yet is published after BATCH_NS of work,
   * however many files that is (index.c: its first batch is the cheapest). */
  int private = ngi_index_private(run->idx);
  if ((private || run->batch_bytes < BATCH_BYTES) && now_ns() - run->batch_start < BATCH_NS) return NG_OK;
  run->batch_bytes = 0;
  run->batch_start = now_ns();
  return commit(run, 0);
}

static int begin(ng_run *run) { return ngi_store_begin(run->idx) == NG_OK ? NG_OK : fail_index(run); }

/* The run's --source, for what it reads of its own paths (not what a
 * rebuild reads again beyond them, which keeps the source it had). */
static const char *run_source(const ng_run *run) { return run->carrying ? NULL : run->opts.source; }

typedef struct doc_meta {
  int kind;
  long long feed, size, mtime_ns, hash;
  const char *encoding;
  long long feed_line; /* a feed file's record: its line */
  const char *source;  /* the source when the article names none (--source), or NULL */
} doc_meta;

/* Adds the postings the worker counted for art's passages, just inserted
 * (replayed: the lexicon's count of streams replayed before them).  Should
 * FTS5 have tokenized a passage afresh instead of replaying its stream,
 * the counts may not be its tokens': they are counted again here from the
 * text, as FTS5 tokenized it. */
static int count_postings(ng_run *run, const article *art, long long doc, long long first_pno, int base, int date,
                          const ngi_counted *counted, long long replayed) {
  ng_index *idx = run->idx;
  if (ngi_tokens_replayed(idx->lx) - replayed == (long long)art->npassages)
    return ngi_postings_add_counted(idx, counted, first_pno, doc, base, date);
  ngi_counted *again = NULL;
  buf stream = {0};
  int rc = NG_OK;
  for (size_t i = 0; rc == NG_OK && i < art->npassages; i++) {
    ngi_buf_reset(&stream);
    if (ngi_tokens_encode(idx->lx, ngi_article_text(art, i), (int)art->passages[i].len, &stream) != SQLITE_OK ||
        ngi_counted_passage(&again, stream.data, stream.len, art->passages[i].kind == NG_KIND_HEADLINE) != NG_OK)
      rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  }
  if (rc == NG_OK && again && ngi_counted_finish(again) != NG_OK) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  if (rc == NG_OK && again) rc = ngi_postings_add_counted(idx, again, first_pno, doc, base, date);
  ngi_counted_free(again);
  ngi_buf_free(&stream);
  return rc;
}

/* Replaces the document at path (known: what the catalog has of it, or
 * NULL) by art (NULL: no passages), with the job's token streams when
 * there are some. */
static int write_document(ng_run *run, const char *path, ngi_known *known, const doc_meta *m, const article *art,
                          const ngi_job *streams, ngi_known **out) {
  ng_index *idx = run->idx;
  if (begin(run) != NG_OK) return NG_ESYSTEM;
  long long npass = art ? (long long)art->npassages : 0;
  /* Its times and change number: a document whose content is what the
   * index (or, rebuilding, the old index) held keeps them; a changed one
   * keeps its first-indexed time and gets a new change. */
  const ngi_known *before = known ? known : run->rebuild ? ngi_catalog_get(&run->prior, path) : NULL;
  long long now = now_ns();
  int same = before && before->change && before->hash == m->hash;
  if (known &&
      ngi_store_delete_passages(idx, known->id, known->passages, known->pno, &run->stats.passages_removed) != NG_OK)
    return fail_index(run);
  /* A changed story leaves its duplicate group and is grouped again. */
  if (known && known->kind != NGI_DOC_FEED && ngi_dup_remove(idx, known->id) != NG_OK) return fail_index(run);
  ngi_doc_row row = {.id = known ? known->id : 0,
                     .path = path,
                     .kind = m->kind,
                     .feed = m->feed,
                     .title = art ? art->title : NULL,
                     .dateline = art ? art->dateline : NULL,
                     .date = art ? art->date : NULL,
                     .source = art && art->source ? art->source : m->source,
                     .url = art ? art->url : NULL,
                     .author = art ? art->author : NULL,
                     .encoding = m->encoding,
                     .size = m->size,
                     .mtime_ns = m->mtime_ns,
                     .hash = m->hash,
                     .indexed_ns = now,
                     .passages = npass,
                     .dateline_day = art ? art->dateline_day : NULL,
                     .feed_line = m->feed_line,
                     .first_ns = before && before->first_ns ? before->first_ns : now,
                     .changed_ns = same ? before->changed_ns : now,
                     .change = same ? before->change : 0};
  /* A document's passages, old or new, get new numbers (postings.c). */
  if (ngi_postings_reserve(idx, npass, &row.pno) != NG_OK || ngi_store_put_document(idx, &row) != NG_OK)
    return fail_index(run);
  int date = ngi_date_key(art ? art->date : NULL);
  /* Ordinal 0 is the headline; a document without one starts at 1. */
  int base = art && art->npassages && art->passages[0].kind == NG_KIND_HEADLINE ? 0 : 1;
  /* The worker counted the postings of its streams: the writer only adds
   * them to the batch, once it knows FTS5 indexed those very streams. */
  const ngi_counted *counted = streams && streams->token_at ? streams->counted : NULL;
  if (counted && (long long)ngi_counted_passages(counted) != npass) counted = NULL;
  long long replayed = counted ? ngi_tokens_replayed(idx->lx) : 0;
  for (size_t i = 0; art && i < art->npassages; i++) {
    const char *stream = NULL;
    size_t streamlen = 0;
    if (streams && streams->token_at) {
      stream = streams->tokens.data + streams->token_at[i];
      streamlen = streams->token_at[i + 1] - streams->token_at[i];
    }
    int rc = counted ? ngi_store_put_passage_text(idx, row.id, (int)i + base, &art->passages[i],
                                                  ngi_article_text(art, i), stream, streamlen)
                     : ngi_store_put_passage(idx, row.id, (int)i + base, &art->passages[i], ngi_article_text(art, i),
                                             stream, streamlen, row.pno + (long long)i, date);
    if (rc != NG_OK) return fail_index(run);
  }
  if (counted && count_postings(run, art, row.id, row.pno, base, date, counted, replayed) != NG_OK)
    return fail_index(run);
  if (streams && streams->has_dup && ngi_dup_add(idx, row.id, &streams->dup) != NG_OK) return fail_index(run);
  run->stats.passages_written += npass;
  if (!known && !(known = ngi_catalog_add(&run->catalog, path, m->kind, m->feed))) return out_of_memory(run);
  known->id = row.id;
  known->kind = m->kind;
  known->feed = m->feed;
  known->size = m->size;
  known->mtime_ns = m->mtime_ns;
  known->hash = m->hash;
  known->indexed_ns = row.indexed_ns;
  known->first_ns = row.first_ns;
  known->changed_ns = row.changed_ns;
  known->change = row.change;
  known->passages = npass;
  known->pno = row.pno;
  known->feed_line = m->feed_line;
  known->seen = 1;
  if (out) *out = known;
  return NG_OK;
}

/* Records a new size and mtime for a document whose content did not change. */
static int touch_document(ng_run *run, ngi_known *k, long long size, long long mtime) {
  if (begin(run) != NG_OK) return NG_ESYSTEM;
  long long indexed = now_ns();
  if (ngi_store_touch_document(run->idx, k->id, size, mtime, indexed) != NG_OK) return fail_index(run);
  k->size = size;
  k->mtime_ns = mtime;
  k->indexed_ns = indexed;
  return NG_OK;
}

static int remove_document(ng_run *run, ngi_known *d) {
  if (begin(run) != NG_OK) return NG_ESYSTEM;
  if (ngi_store_delete_passages(run->idx, d->id, d->passages, d->pno, &run->stats.passages_removed) != NG_OK ||
      (d->kind != NGI_DOC_FEED && ngi_dup_remove(run->idx, d->id) != NG_OK) ||
      ngi_store_delete_document(run->idx, d->id) != NG_OK)
    return fail_index(run);
  if (d->kind != NGI_DOC_FEED) {
    run->stats.removed++;
    report(run, d->path, NG_ITEM_REMOVED, NG_SEV_NONE, 0, 0, NULL, NULL);
  }
  d->seen = 1;
  d->passages = 0;
  return NG_OK;
}

/* Removes the records of a feed this run did not meet. */
static int remove_unseen_records(ng_run *run, long long feed_id) {
  int rc = NG_OK;
  for (ngi_known *k = ngi_catalog_records(&run->catalog, feed_id); k && rc == NG_OK; k = k->next_in_feed) {
    if (!k->seen) rc = remove_document(run, k);
  }
  return rc;
}

/* ------------------------------------------------------------------ */
/* The writer's half of a job */

static int finish_file(ng_run *run, ngi_job *j) {
  const char *path = j->path;
  ngi_known *known = ngi_catalog_get(&run->catalog, path);
  switch (j->outcome) {
    case NGI_PREP_SKIP:
      if (j->binary && known) known->seen = 0; /* a text file that became binary is no article any more */
      if (j->error_class == NG_ESYSTEM) {
        /* Out of memory is the machine's problem, not the file's: stop. */
        ngi_fail(run->idx, NG_ESYSTEM, "%s: %s", path, j->message);
        return fail_index(run);
      }
      report(run, path, NG_ITEM_SKIPPED, j->severity, j->error_class, 0, NULL, j->message);
      return j->binary || keep_stored(run, path) == NG_OK ? NG_OK : out_of_memory(run);
    case NGI_PREP_SAME: {
      int rc = touch_document(run, known, j->size, j->mtime_ns);
      if (rc != NG_OK) return rc;
      run->stats.unchanged++;
      report(run, path, NG_ITEM_UNCHANGED, NG_SEV_NONE, 0, 0, NULL, NULL);
      return maybe_commit(run, 0);
    }
    default: {
      if (ngi_store_queue_words(run->idx, j->words.data, j->words.len) != NG_OK) return fail_index(run);
      doc_meta m = {NGI_DOC_ARTICLE, 0, j->size, j->mtime_ns, j->hash, j->encoding, 0, run_source(run)};
      int changed = known != NULL || was_known(run, path);
      int rc = write_document(run, path, known, &m, &j->art, j, NULL);
      if (rc != NG_OK) return rc;
      if (changed)
        run->stats.changed++;
      else
        run->stats.added++;
      report(run, path, changed ? NG_ITEM_CHANGED : NG_ITEM_NEW, j->severity, 0, (long)j->art.npassages, j->encoding,
             j->severity ? j->message : NULL);
      return maybe_commit(run, j->art.texts.len);
    }
  }
}

static int finish_record(ng_run *run, ngi_job *j) {
  feed_state *f = run->feed;
  buf key = {0};
  int rc = NG_OK;
  if (j->outcome == NGI_PREP_SKIP) {
    if (j->severity == NG_SEV_NONE) return NG_OK; /* a blank line */
    if (j->error_class == NG_ESYSTEM) {
      ngi_fail(run->idx, NG_ESYSTEM, "%s:%ld: %s", f->name, j->lineno, j->message);
      return fail_index(run);
    }
    /* The record of a line that cannot be read is unknown: keep them all. */
    f->failed = 1;
    ngi_buf_printf(&key, "%s:%ld", f->name, j->lineno);
    report(run, key.data ? key.data : f->name, NG_ITEM_SKIPPED, j->severity, j->error_class, 0, NULL, j->message);
    ngi_buf_free(&key);
    return NG_OK;
  }
  ngi_buf_printf(&key, "%s%s%s", f->name, f->sep, j->rec.id);
  if (key.oom) return out_of_memory(run);
  ngi_known *known = ngi_catalog_get(&run->catalog, key.data);
  if (known) known->seen = 1;
  long long line = f->feed_id ? j->lineno : 0;
  if (known && !run->opts.full && known->hash == j->hash) {
    /* The same record; a line above it came or went. */
    if (known->feed_line != line) {
      rc = begin(run);
      if (rc == NG_OK && ngi_store_set_feed_line(run->idx, known->id, line) != NG_OK) rc = fail_index(run);
      if (rc != NG_OK) {
        ngi_buf_free(&key);
        return rc;
      }
      known->feed_line = line;
    }
    run->stats.unchanged++;
    report(run, key.data, NG_ITEM_UNCHANGED, NG_SEV_NONE, 0, 0, NULL, NULL);
  } else {
    if (j->outcome == NGI_PREP_SAME) {
      /* Its line's hash is a stored record's, but not this key's (a hash
       * collision): prepare it here after all. */
      j->known_records = NULL;
      ngi_feed_record_free(&j->rec);
      ngi_pipeline_prepare(run->idx->lx, NULL, run->opts.max_file_size, j);
      if (j->outcome != NGI_PREP_ARTICLE) {
        ngi_buf_free(&key);
        return j->error_class == NG_ESYSTEM ? out_of_memory(run) : NG_OK;
      }
    }
    if (ngi_store_queue_words(run->idx, j->words.data, j->words.len) != NG_OK) return fail_index(run);
    doc_meta m = {NGI_DOC_RECORD, f->feed_id, j->size, f->mtime_ns, j->hash, "UTF-8", line, run_source(run)};
    int changed = known != NULL || was_known(run, key.data);
    rc = write_document(run, key.data, known, &m, &j->art, j, NULL);
    if (rc == NG_OK) {
      if (changed)
        run->stats.changed++;
      else
        run->stats.added++;
      report(run, key.data, changed ? NG_ITEM_CHANGED : NG_ITEM_NEW, j->severity, 0, (long)j->art.npassages, "UTF-8",
             j->severity ? j->message : NULL);
      rc = maybe_commit(run, (size_t)j->size);
    }
  }
  ngi_buf_free(&key);
  return rc;
}

/* Takes the oldest prepared job back and writes it. */
static int finish_one(ng_run *run) {
  ngi_job *j = ngi_pipeline_take(run->pipe);
  if (!j) return NG_OK;
  int rc = run->fatal ? NG_ESYSTEM : j->kind == NGI_JOB_RECORD ? finish_record(run, j) : finish_file(run, j);
  ngi_pipeline_give_back(run->pipe, j);
  return rc;
}

/* Writes every job still queued. */
static int drain(ng_run *run) {
  int rc = NG_OK;
  while (run->pipe && ngi_pipeline_pending(run->pipe) > 0) {
    int r = finish_one(run);
    if (r != NG_OK) rc = r;
  }
  return rc;
}

static int submit(ng_run *run, ngi_job *j) {
  if (!run->pipe) {
    char err[600] = "";
    if (ngi_pipeline_start(&run->pipe, ngi_lexicon_language(run->idx->lx), run->opts.fallback_encoding,
                           run->opts.max_file_size, err, sizeof err) != NG_OK) {
      ngi_job_free(j);
      ngi_fail(run->idx, NG_ESYSTEM, "%s", err);
      return fail_index(run);
    }
  }
  ngi_pipeline_submit(run->pipe, j);
  int rc = NG_OK;
  while (rc == NG_OK && ngi_pipeline_pending(run->pipe) > MAX_QUEUED) rc = finish_one(run);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Feeds */

/* Reads one line (with its '\n') into a malloc'd buffer of its size,
 * *line; a line longer than limit is read to its end but not kept (*line
 * NULL), so standard input too is held to --max-size.  *n is the line's
 * length.  Returns 1 for a line, 0 at the end, -1 when memory ran out. */
static int read_line(FILE *fp, long long limit, char **line, size_t *n) {
  char *b = NULL;
  size_t len = 0, cap = 0;
  int c, over = 0;
  *line = NULL;
  *n = 0;
  while ((c = getc_unlocked(fp)) != EOF) {
    if (!over && (long long)len >= limit) {
      over = 1;
      free(b);
      b = NULL;
    }
    if (!over && len + 2 > cap) {
      size_t want = cap ? cap * 2 : 256;
      char *nb = realloc(b, want);
      if (!nb) {
        free(b);
        return -1;
      }
      b = nb;
      cap = want;
    }
    if (!over) b[len] = (char)c;
    len++;
    if (c == '\n') break;
  }
  if (len == 0) return 0;
  if (!over) {
    b[len] = '\0';
    char *fit = cap - len > 4096 ? realloc(b, len + 1) : NULL; /* give the spare back */
    *line = fit ? fit : b;
  }
  *n = len;
  return 1;
}

/* Reads a feed's lines (from fp) into record jobs, then waits for them. */
static int read_feed(ng_run *run, feed_state *f, FILE *fp) {
  char *line = NULL;
  size_t n;
  long lineno = 0;
  int rc = NG_OK, unreadable = 0, got;
  run->feed = f;
  while (rc == NG_OK && !run->fatal && (got = read_line(fp, run->opts.max_file_size, &line, &n)) != 0) {
    lineno++;
    ngi_job *j = got > 0 ? calloc(1, sizeof *j) : NULL;
    if (!j) {
      free(line);
      rc = out_of_memory(run);
      break;
    }
    j->kind = NGI_JOB_RECORD;
    j->line = line; /* the job's now; NULL when over the limit */
    j->linelen = n;
    j->lineno = lineno;
    j->known_records = &f->known;
    rc = submit(run, j);
  }
  if (rc == NG_OK && ferror(fp)) {
    f->failed = unreadable = 1;
    char msg[200];
    snprintf(msg, sizeof msg, "read error: %s", strerror(errno));
    report(run, f->name, NG_ITEM_SKIPPED, NG_SEV_ERROR, NG_EDATA, 0, NULL, msg);
  }
  int drained = drain(run);
  if (rc == NG_OK) rc = drained;
  run->feed = NULL;
  if (rc == NG_OK && run->fatal) rc = NG_ESYSTEM;
  return rc == NG_OK && unreadable ? NG_EDATA : rc;
}

/* The hashes of the feed's stored records' lines (none with --full). */
static int known_hashes(ng_run *run, feed_state *f, long long feed_id, const char *prefix) {
  if (run->opts.full) return NG_OK;
  size_t plen = prefix ? strlen(prefix) : 0;
  for (ngi_known *k = ngi_catalog_records(&run->catalog, feed_id); k; k = k->next_in_feed) {
    if (prefix && strncmp(k->path, prefix, plen) != 0) continue;
    if (ngi_hashset_add(&f->known, (uint64_t)k->hash) != 0) return out_of_memory(run);
  }
  return NG_OK;
}

/* Does the feed hold records named as before RECORD_SEP ("<feed>#<id>")?
 * Then it is read again, which renames them. */
static int old_record_names(const ng_run *run, const ngi_known *feed) {
  size_t n = strlen(feed->path);
  const ngi_known *k = ngi_catalog_records(&run->catalog, feed->id);
  return k && (strncmp(k->path, feed->path, n) != 0 || strncmp(k->path + n, RECORD_SEP, strlen(RECORD_SEP)) != 0);
}

static int add_feed_file(ng_run *run, const char *path, const struct stat *st) {
  ngi_known *known = ngi_catalog_get(&run->catalog, path);
  if (known) known->seen = 1;
  if (known && known->kind == NGI_DOC_FEED && ngi_unchanged(known, st, run->opts.full) &&
      !old_record_names(run, known)) {
    /* An unchanged feed keeps all its records. */
    ngi_catalog_keep_records(&run->catalog, known->id);
    run->stats.unchanged++;
    report(run, path, NG_ITEM_UNCHANGED, NG_SEV_NONE, 0, 0, NULL, NULL);
    return NG_OK;
  }
  if (st->st_size > run->opts.max_file_size) {
    char msg[200];
    snprintf(msg, sizeof msg, "larger than %lld bytes (--max-size)", run->opts.max_file_size);
    if (known) ngi_catalog_keep_records(&run->catalog, known->id);
    report(run, path, NG_ITEM_SKIPPED, NG_SEV_WARNING, 0, 0, NULL, msg);
    return keep_stored(run, path) == NG_OK ? NG_OK : out_of_memory(run);
  }
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    char msg[200];
    snprintf(msg, sizeof msg, "cannot read: %s", strerror(errno));
    if (known) ngi_catalog_keep_records(&run->catalog, known->id);
    report(run, path, NG_ITEM_SKIPPED, NG_SEV_ERROR, NG_EDATA, 0, NULL, msg);
    return keep_stored(run, path) == NG_OK ? NG_OK : out_of_memory(run);
  }
  /* The drain first: jobs queued before the feed may write this path. */
  int rc = drain(run);
  /* A feed being read has a marker that matches no file (size -1) until
   * its last record is stored: a new feed's row is written so, and a known
   * feed's marker is cleared in the batch of its first changed record, so
   * a run killed half-way reads the feed again, even when it is put back
   * as it was with its old mtime. */
  if (rc == NG_OK && (!known || known->kind != NGI_DOC_FEED)) {
    doc_meta m = {NGI_DOC_FEED, 0, FEED_READING, 0, 0, "UTF-8", 0, NULL};
    rc = write_document(run, path, known, &m, NULL, NULL, &known);
  } else if (rc == NG_OK && known->size != FEED_READING) {
    rc = touch_document(run, known, FEED_READING, 0);
  }
  feed_state f = {path, RECORD_SEP, known ? known->id : 0, ngi_mtime_ns(st), {0}, 0};
  if (rc == NG_OK) rc = known_hashes(run, &f, f.feed_id, NULL);
  if (rc == NG_OK) rc = read_feed(run, &f, fp);
  fclose(fp);
  if (rc == NG_EDATA) rc = NG_OK; /* reported; the feed keeps its records */
  if (rc == NG_OK && !f.failed) rc = remove_unseen_records(run, f.feed_id);
  if (f.failed) ngi_catalog_keep_records(&run->catalog, f.feed_id);
  if (rc == NG_OK && f.failed && keep_stored(run, path) != NG_OK) rc = out_of_memory(run);
  /* Now the feed is whole: its marker tells the next run so. */
  if (rc == NG_OK && !f.failed) rc = touch_document(run, known, st->st_size, ngi_mtime_ns(st));
  if (rc == NG_OK) rc = maybe_commit(run, 0);
  ngi_hashset_free(&f.known);
  return rc;
}

int ng_run_add_feed(ng_run *run, const char *name, FILE *fp);

/* ------------------------------------------------------------------ */
/* Files and roots */

static int on_file(void *ctx, const char *path, const struct stat *st, int as_feed) {
  ng_run *run = ctx;
  if (run->fatal) return NG_ESYSTEM;
  struct stat own;
  if (as_feed) {
    if (!st) {
      if (stat(path, &own) != 0) return NG_OK;
      st = &own;
    }
    return add_feed_file(run, path, st);
  }
  ngi_known *known = ngi_catalog_get(&run->catalog, path);
  if (known) known->seen = 1;
  if (ngi_unchanged(known, st, run->opts.full)) {
    run->stats.unchanged++;
    report(run, path, NG_ITEM_UNCHANGED, NG_SEV_NONE, 0, 0, NULL, NULL);
    return NG_OK;
  }
  ngi_job *j = calloc(1, sizeof *j);
  if (!j || !(j->path = strdup(path))) {
    free(j);
    return out_of_memory(run);
  }
  j->kind = NGI_JOB_FILE;
  j->check_same = known && !run->opts.full && known->kind == NGI_DOC_ARTICLE;
  j->known_size = known ? known->size : 0;
  j->known_hash = known ? known->hash : 0;
  return submit(run, j);
}

static int on_problem(void *ctx, const char *path, int severity, const char *message, int failed) {
  ng_run *run = ctx;
  report(run, path, NG_ITEM_SKIPPED, severity, severity == NG_SEV_ERROR ? NG_EDATA : 0, 0, NULL, message);
  if (failed && ngi_strlist_add(&run->failed, path) != 0) return out_of_memory(run);
  return NG_OK;
}

static int on_out_of_memory(void *ctx, const char *path) {
  ng_run *run = ctx;
  ngi_fail(run->idx, NG_ESYSTEM, "%s: out of memory", path);
  return fail_index(run);
}

static int add_root(ng_run *run, const char *given, int as_feed) {
  if (run->fatal) return NG_ESYSTEM;
  char *path = ngi_clean_path(given);
  if (!path) return out_of_memory(run);
  ngi_walk_ops ops = {
      run, on_file, on_problem, &run->own, run->opts.exclude, &run->catalog, on_out_of_memory, run->opts.include_docs};
  int rc = NG_OK;
  struct stat st;
  /* A root that cannot be read is not a root: nothing under it goes. */
  if (stat(path, &st) == 0 && !(S_ISDIR(st.st_mode) && as_feed) && ngi_strlist_add(&run->roots, path) != 0)
    rc = out_of_memory(run);
  if (rc == NG_OK) rc = ngi_walk(&ops, path, given, as_feed);
  free(path);
  int drained = drain(run);
  if (rc == NG_OK) rc = drained;
  if (rc == NG_OK && run->fatal) rc = NG_ESYSTEM;
  return rc;
}

int ng_run_add_path(ng_run *run, const char *path) {
  if (set_mode(run, RUN_INDEXING) != NG_OK) return NG_EUSAGE;
  return add_root(run, path, 0);
}

int ng_check_feed_name(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > MAX_FEED_NAME || name[0] == '.' || name[0] == '-') return NG_EUSAGE;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-'))
      return NG_EUSAGE;
  }
  return NG_OK;
}

/* What a stream's records are named: "<name>//#", or "stdin#" for the
 * unnamed stream. */
static const char *stream_sep(const char *name) { return strcmp(name, "stdin") == 0 ? "#" : RECORD_SEP; }

static int add_stream(ng_run *run, const char *name, FILE *fp) {
  if (!fp) fp = stdin;
  int rc = drain(run);
  feed_state f = {name, stream_sep(name), 0, 0, {0}, 0};
  buf prefix = {0};
  ngi_buf_printf(&prefix, "%s%s", f.name, f.sep);
  if (prefix.oom) rc = out_of_memory(run);
  if (rc == NG_OK) rc = known_hashes(run, &f, 0, prefix.data);
  if (rc == NG_OK) rc = read_feed(run, &f, fp);
  ngi_hashset_free(&f.known);
  ngi_buf_free(&prefix);
  return rc;
}

int ng_run_add_feed(ng_run *run, const char *name, FILE *fp) {
  if (set_mode(run, RUN_INDEXING) != NG_OK) return NG_EUSAGE;
  if (run->fatal) return NG_ESYSTEM;
  if (strcmp(name, "-") != 0) return add_root(run, name, 1);
  return add_stream(run, "stdin", fp);
}

int ng_run_add_named_feed(ng_run *run, const char *name, FILE *fp) {
  if (ng_check_feed_name(name) != NG_OK)
    return ngi_fail(run->idx, NG_EUSAGE,
                    "'%s' cannot name a feed: 1 to %d of A-Z a-z 0-9 . _ -, not starting with . or -", name,
                    MAX_FEED_NAME);
  if (set_mode(run, RUN_INDEXING) != NG_OK) return NG_EUSAGE;
  if (run->fatal) return NG_ESYSTEM;
  return add_stream(run, name, fp);
}

/* ------------------------------------------------------------------ */
/* Removing what came from a path or a feed (ng_run_remove) */

/* Records first, then feeds and files, each in the order they came. */
static int removal_order(const void *a, const void *b) {
  const ngi_known *x = *(ngi_known *const *)a, *y = *(ngi_known *const *)b;
  int kx = x->kind == NGI_DOC_RECORD ? 0 : 1, ky = y->kind == NGI_DOC_RECORD ? 0 : 1;
  if (kx != ky) return kx - ky;
  return x->id < y->id ? -1 : x->id > y->id;
}

typedef struct removal {
  ngi_known **docs;
  size_t n, cap;
} removal;

static int removal_add(removal *r, ngi_known *k) {
  if (k->seen) return 0; /* removed already */
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 64;
    ngi_known **d = realloc(r->docs, cap * sizeof *d);
    if (!d) return -1;
    r->docs = d;
    r->cap = cap;
  }
  r->docs[r->n++] = k;
  return 0;
}

/* The documents what names: under a path, the records of a stream's
 * name, or one record FEED:ID. */
static int find_removal(ng_run *run, const char *what, removal *r) {
  ngi_catalog *c = &run->catalog;
  char *path = ngi_clean_path(what);
  if (!path) return -1;
  for (size_t i = 0; i < c->docs.cap; i++) {
    ngi_known *d = c->docs.slots[i].value;
    if (c->docs.slots[i].key && d->path[0] == '/' && is_under(d->path, path) && removal_add(r, d) != 0) {
      free(path);
      return -1;
    }
  }
  free(path);
  if (r->n) return 0;
  buf key = {0};
  if (ng_check_feed_name(what) == NG_OK) {
    /* A stream's name: its records. */
    ngi_buf_printf(&key, "%s%s", what, stream_sep(what));
    for (ngi_known *k = key.oom ? NULL : ngi_catalog_records(c, 0); k; k = k->next_in_feed)
      if (strncmp(k->path, key.data, key.len) == 0 && removal_add(r, k) != 0) key.oom = 1;
  }
  /* FEED:ID, at each ':' (a feed's name holds none, a record's id may). */
  for (const char *colon = strchr(what, ':'); !key.oom && !r->n && colon; colon = strchr(colon + 1, ':')) {
    size_t n = (size_t)(colon - what);
    char *feed = ngi_strdup_n(what, n);
    if (!feed) return -1;
    ngi_buf_reset(&key);
    if (ng_check_feed_name(feed) == NG_OK) {
      ngi_buf_printf(&key, "%s%s%s", feed, stream_sep(feed), colon + 1);
    } else {
      char *file = ngi_clean_path(feed);
      if (!file) key.oom = 1;
      ngi_buf_printf(&key, "%s%s%s", file ? file : "", RECORD_SEP, colon + 1);
      free(file);
    }
    free(feed);
    ngi_known *k = key.oom ? NULL : ngi_catalog_get(c, key.data);
    if (k && k->kind == NGI_DOC_RECORD && removal_add(r, k) != 0) key.oom = 1;
  }
  int oom = key.oom;
  ngi_buf_free(&key);
  return oom ? -1 : 0;
}

int ng_run_remove(ng_run *run, const char *what) {
  if (run->rebuild) return ngi_fail(run->idx, NG_EUSAGE, "a rebuild (--full) removes nothing by name");
  if (set_mode(run, RUN_REMOVING) != NG_OK) return NG_EUSAGE;
  if (run->fatal) return NG_ESYSTEM;
  removal r = {0};
  if (find_removal(run, what, &r) != 0) {
    free(r.docs);
    return out_of_memory(run);
  }
  if (r.n) qsort(r.docs, r.n, sizeof *r.docs, removal_order);
  int rc = NG_OK;
  for (size_t i = 0; i < r.n && rc == NG_OK; i++) {
    ngi_known *d = r.docs[i];
    rc = remove_document(run, d);
    /* remove_document reports articles and records; a feed too, here. */
    if (rc == NG_OK && d->kind == NGI_DOC_FEED) report(run, d->path, NG_ITEM_REMOVED, NG_SEV_NONE, 0, 0, NULL, NULL);
    if (rc == NG_OK) rc = maybe_commit(run, 0);
  }
  size_t n = r.n;
  free(r.docs);
  if (rc != NG_OK) return rc;
  return n ? NG_OK : NG_DONE;
}

/* ------------------------------------------------------------------ */
/* Rebuilding (NG_OPEN_REBUILD): the new index gets the run's paths, and
 * at its end what the old index held beyond them */

/* A problem with the old index itself (not with one document). */
static void report_previous(ng_run *run, const char *message) {
  if (!run->report) return;
  ng_item_report r = {run->idx->path, NG_ITEM_UNCHANGED, NG_SEV_WARNING, 0, 0, NULL, message};
  run->report(run->ctx, &r);
}

static int load_prior(ng_run *run) {
  ng_index *old = run->idx->previous;
  char msg[1200] = "";
  if (!old && run->idx->previous_err) {
    snprintf(msg, sizeof msg, "the old index cannot be read (%s): the new one holds only the paths given",
             run->idx->previous_err);
  } else if (old && ngi_catalog_load(old, &run->prior) != NG_OK) {
    /* What was read before the damage is carried over still. */
    snprintf(msg, sizeof msg,
             "the old index could be read only in part (%s): the new one holds the paths given and"
             " what could be read",
             old->err);
  }
  if (msg[0]) report_previous(run, msg);
  /* The new index goes on counting changes where the old one stopped,
   * under its name (lineage): a watchlist sees no change in what is only
   * rebuilt.  When the old index cannot say, the new one starts afresh. */
  long long last = 0;
  char lineage[64];
  if (old && ngi_store_changes(old, &last, lineage, sizeof lineage) == NG_OK) {
    if (begin(run) != NG_OK) return NG_ESYSTEM;
    if (ngi_store_set_changes(run->idx, last, lineage) != NG_OK) return fail_index(run);
  }
  return NG_OK;
}

/* Copies a passage read from the old index into an article. */
static int add_copied_passage(void *ctx, int ordinal, int kind, const char *text, int first, int last) {
  article *a = ctx;
  (void)ordinal;
  if (NGI_GROW(a->passages, a->cap, a->npassages + 1, 16) != 0) return NG_ESYSTEM;
  passage *p = &a->passages[a->npassages];
  p->offset = a->texts.len;
  p->len = strlen(text);
  p->kind = kind;
  p->first_line = first;
  p->last_line = last;
  ngi_buf_add(&a->texts, text, p->len + 1);
  if (a->texts.oom) return NG_ESYSTEM;
  a->npassages++;
  return NG_OK;
}

/* Copies document k of the old index into the new one (its feed there:
 * feed), as it was; *out (may be NULL) gets the new document.  When the
 * old index fails here, the document is reported and left out. */
static int copy_document(ng_run *run, const ngi_known *k, long long feed, ngi_known **out) {
  ng_index *old = run->idx->previous;
  if (out) *out = NULL;
  if (!old) return NG_OK;
  ngi_doc_row row;
  buf strings = {0};
  article art;
  memset(&art, 0, sizeof art);
  int rc = ngi_store_get_document(old, k->id, &row, &strings);
  if (rc == NG_OK) rc = ngi_store_each_passage(old, k->id, add_copied_passage, &art);
  if (rc == NG_OK &&
      ((row.title && !(art.title = strdup(row.title))) || (row.dateline && !(art.dateline = strdup(row.dateline))) ||
       (row.date && !(art.date = strdup(row.date))) || (row.source && !(art.source = strdup(row.source))) ||
       (row.url && !(art.url = strdup(row.url))) || (row.author && !(art.author = strdup(row.author))) ||
       (row.dateline_day && !(art.dateline_day = strdup(row.dateline_day)))))
    rc = NG_ESYSTEM;
  if (rc == NG_ESYSTEM && !old->err[0]) ngi_fail(old, NG_ESYSTEM, "out of memory");
  if (rc != NG_OK) {
    char msg[1200];
    snprintf(msg, sizeof msg, "kept in the old index but not copied into the new one: %s", old->err);
    report(run, k->path, NG_ITEM_SKIPPED, NG_SEV_ERROR, NG_EDATA, 0, NULL, msg);
    rc = NG_OK;
  } else {
    doc_meta m = {row.kind, feed, row.size, row.mtime_ns, row.hash, row.encoding, row.feed_line, NULL};
    /* its duplicate signature, made again from the same passages as the
     * worker makes it (a copied story stays in its group) */
    ngi_job *sig = row.kind == NGI_DOC_FEED ? NULL : calloc(1, sizeof *sig);
    if (sig) sig->has_dup = ngi_dup_signature(&art, &sig->dup);
    rc = row.kind != NGI_DOC_FEED && !sig
             ? ngi_fail(run->idx, NG_ESYSTEM, "out of memory")
             : write_document(run, k->path, NULL, &m, row.kind == NGI_DOC_FEED ? NULL : &art, sig, out);
    free(sig);
    if (rc == NG_OK) rc = maybe_commit(run, art.texts.len);
  }
  ngi_article_free(&art);
  ngi_buf_free(&strings);
  return rc;
}

static int by_id(const void *a, const void *b) {
  long long x = (*(ngi_known *const *)a)->id, y = (*(ngi_known *const *)b)->id;
  return x < y ? -1 : x > y;
}

static int under_roots(const ng_run *run, const char *path) {
  for (size_t r = 0; r < run->roots.n; r++)
    if (is_under(path, run->roots.items[r])) return 1;
  return 0;
}

static int under_failed(const ng_run *run, const char *path) {
  for (size_t f = 0; f < run->failed.n; f++)
    if (is_under(path, run->failed.items[f])) return 1;
  return 0;
}

static int was_kept(const ng_run *run, const char *path) {
  return ngi_map_get(&run->kept, path, strlen(path)) != NULL || under_failed(run, path);
}

static int on_file(void *ctx, const char *path, const struct stat *st, int as_feed);

/* The end of a rebuild, in the old index's order: the files and feeds it
 * held outside the run's paths are read again; what the run kept as it
 * was (a file it could not read, a feed with a bad line, what lies under
 * a directory it could not list) and the records read from standard
 * input are copied; the rest of what it held is reported removed. */
static int carry_over(ng_run *run) {
  ngi_known **docs = run->prior.docs.count ? malloc(run->prior.docs.count * sizeof *docs) : NULL;
  size_t n = 0;
  if (run->prior.docs.count && !docs) return out_of_memory(run);
  for (size_t i = 0; i < run->prior.docs.cap; i++)
    if (run->prior.docs.slots[i].key) docs[n++] = run->prior.docs.slots[i].value;
  if (n) qsort(docs, n, sizeof *docs, by_id);
  int rc = NG_OK;
  run->carrying = 1;
  for (size_t i = 0; i < n && rc == NG_OK; i++) {
    ngi_known *d = docs[i];
    struct stat st;
    if (d->kind == NGI_DOC_RECORD || ngi_catalog_get(&run->catalog, d->path) || under_roots(run, d->path)) continue;
    if (stat(d->path, &st) != 0 || !S_ISREG(st.st_mode) || ngi_own_is(&run->own, d->path, &st)) continue;
    rc = on_file(run, d->path, &st, d->kind == NGI_DOC_FEED);
  }
  if (rc == NG_OK) rc = drain(run);
  run->carrying = 0;
  for (size_t i = 0; i < n && rc == NG_OK; i++) {
    ngi_known *d = docs[i];
    ngi_known *now = ngi_catalog_get(&run->catalog, d->path);
    if (d->kind == NGI_DOC_ARTICLE && !now && was_kept(run, d->path)) {
      rc = copy_document(run, d, 0, NULL);
    } else if (d->kind == NGI_DOC_FEED && was_kept(run, d->path)) {
      /* Its records as they were, beside those the run could read. */
      if (!now) rc = copy_document(run, d, 0, &now);
      for (ngi_known *r = ngi_catalog_records(&run->prior, d->id); r && now && rc == NG_OK; r = r->next_in_feed)
        if (!ngi_catalog_get(&run->catalog, r->path)) rc = copy_document(run, r, now->id, NULL);
    } else if (d->kind == NGI_DOC_RECORD && !d->feed && !now) {
      /* A record read from a stream, named or not. */
      rc = copy_document(run, d, 0, &now);
      if (rc == NG_OK && now) {
        run->stats.unchanged++;
        report(run, d->path, NG_ITEM_UNCHANGED, NG_SEV_NONE, 0, 0, NULL, NULL);
      }
    }
  }
  for (size_t i = 0; i < n && rc == NG_OK; i++) {
    ngi_known *d = docs[i];
    if (d->kind == NGI_DOC_FEED || ngi_catalog_get(&run->catalog, d->path)) continue;
    run->stats.removed++;
    report(run, d->path, NG_ITEM_REMOVED, NG_SEV_NONE, 0, 0, NULL, NULL);
  }
  free(docs);
  return rc;
}

int ng_run_finish(ng_run *run, ng_run_stats *stats) {
  int rc = run->fatal ? NG_ESYSTEM : drain(run);
  if (rc == NG_OK && run->rebuild) rc = carry_over(run);
  /* Files gone from under a root, feeds with their records. */
  for (size_t i = 0; i < run->catalog.docs.cap && rc == NG_OK; i++) {
    ngi_known *d = run->catalog.docs.slots[i].value;
    if (!run->catalog.docs.slots[i].key || d->seen || d->kind == NGI_DOC_RECORD) continue;
    if (!under_roots(run, d->path) || under_failed(run, d->path)) continue;
    if (d->kind == NGI_DOC_FEED) rc = remove_unseen_records(run, d->id);
    if (rc == NG_OK) rc = remove_document(run, d);
  }
  if (rc == NG_OK) rc = commit(run, 1);
  if (rc == NG_OK) {
    run->finished = 1;
    run->committed = run->stats;
  }
  if (stats) *stats = run->stats;
  return rc;
}

void ng_run_progress(const ng_run *run, ng_run_stats *stats) { *stats = run->stats; }

void ng_run_committed(const ng_run *run, ng_run_stats *stats) { *stats = run->committed; }

int ng_run_failed(const ng_run *run) { return run->fatal ? run->failure : NG_OK; }

void ng_run_free(ng_run *run) {
  if (!run) return;
  ngi_pipeline_stop(run->pipe);
  ngi_store_rollback(run->idx);
  /* A new index or a rebuild whose run failed is never published. */
  if (!run->finished && run->fatal) ngi_index_abandon(run->idx);
  ngi_catalog_free(&run->catalog);
  ngi_strlist_free(&run->roots);
  ngi_strlist_free(&run->failed);
  ngi_own_free(&run->own);
  ngi_catalog_free(&run->prior);
  ngi_map_clear(&run->kept, NULL);
  free(run);
}
