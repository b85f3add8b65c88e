/*
 * run.c -- nutgraf-index's work: open the index, run, report.
 *
 * Every problem with a file is one line on stderr naming the file; the run
 * goes on, and the exit status is the worst class met.  The summary line
 * and a progress line (on a terminal, for runs longer than a second) also
 * go to stderr, so stdout carries only what was asked for (--check, and
 * the documents --remove removed, one a line).  A busy index under --quiet
 * --no-wait is no problem, and exits 75 without a word: cron mails what a
 * job prints.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "indexer.h"

typedef struct reporter {
  const index_options *o;
  ng_run *run;
  int tty;
  double start, last_progress;
  int progress_shown;
  int removing; /* --remove: removed documents go to stdout */
} reporter;

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void clear_progress(reporter *r) {
  if (r->progress_shown) {
    fputs("\r\033[K", stderr);
    r->progress_shown = 0;
  }
}

static void show_progress(reporter *r) {
  double now = seconds();
  if (!r->tty || r->o->quiet || now - r->start < 1.0 || now - r->last_progress < 0.2) return;
  ng_run_stats s;
  ng_run_progress(r->run, &s);
  fprintf(stderr, "\r\033[K%lld files: %lld new, %lld changed, %lld unchanged; %lld passages; %.0f s",
          s.added + s.changed + s.unchanged + s.skipped, s.added, s.changed, s.unchanged, s.passages_written,
          now - r->start);
  r->last_progress = now;
  r->progress_shown = 1;
}

static void on_item(void *ctx, const ng_item_report *rep) {
  reporter *r = ctx;
  if (r->removing && rep->status == NG_ITEM_REMOVED) {
    clear_progress(r);
    char *path = ng_display_string(rep->path);
    printf("%s\n", path ? path : "?");
    free(path);
    return;
  }
  const char *what = NULL;
  if (rep->severity == NG_SEV_ERROR)
    what = "error";
  else if (rep->severity == NG_SEV_WARNING && !r->o->quiet)
    what = "warning";
  if (what || r->o->verbose) {
    clear_progress(r);
    char *path = ng_display_string(rep->path);
    if (what) {
      /* The message may quote the file (jansson's error text quotes the
       * bad token): it is escaped as the path is. */
      char *message = ng_display_string(rep->message ? rep->message : "");
      fprintf(stderr, "%s: %s: %s: %s%s\n", cli_program(), what, path ? path : "?", message ? message : "?",
              rep->status == NG_ITEM_SKIPPED ? ", skipped" : "");
      free(message);
    } else {
      static const char *const names[] = {"new", "changed", "unchanged", "removed", "skipped"};
      fprintf(stderr, "%-9s %s", names[rep->status], path ? path : "?");
      if (rep->status == NG_ITEM_NEW || rep->status == NG_ITEM_CHANGED)
        fprintf(stderr, " (%ld passages, %s)", rep->passages, rep->encoding ? rep->encoding : "?");
      fputc('\n', stderr);
    }
    free(path);
  }
  show_progress(r);
}

static int worse(int a, int b) {
  /* 75 (busy) is not an error class; 4 > 3 > 2 > 0 otherwise. */
  return a > b ? a : b;
}

/* A run the index failed: its error, and exactly what is kept of the
 * run -- the batches committed before the failure, or nothing. */
static int run_failed(const index_options *o, ng_index *idx, ng_run *run) {
  ng_run_stats k;
  ng_run_committed(run, &k);
  int status = cli_exit_status(ng_run_failed(run));
  if (o->full) return cli_fail(status, "%s; the rebuild is abandoned and the index is as it was", ng_index_errmsg(idx));
  if (k.added + k.changed + k.removed + k.unchanged == 0)
    return cli_fail(status, "%s; nothing of this run was kept", ng_index_errmsg(idx));
  return cli_fail(status,
                  "%s; kept: what the run committed before (%lld new, %lld changed, %lld removed, %lld unchanged);"
                  " the rest of the run was rolled back",
                  ng_index_errmsg(idx), k.added, k.changed, k.removed, k.unchanged);
}

static void print_problem(void *ctx, const char *line) {
  (void)ctx;
  cli_message("error", "%s", line);
}

int run_indexer(const index_options *o) {
  /* A file size limit must give an error, not kill us. */
  signal(SIGXFSZ, SIG_IGN);
  ng_open_options oo = NG_OPEN_OPTIONS_INIT;
  oo.flags = NG_OPEN_WRITE | (o->npaths || o->nfeeds ? NG_OPEN_CREATE : 0) | (o->no_wait ? NG_OPEN_NOWAIT : 0) |
             (o->full ? NG_OPEN_REBUILD : 0);
  oo.language = o->language;
  ng_index *idx = NULL;
  int rc = ng_index_open(&idx, o->index_path, &oo);
  if (rc == NG_EBUSY && o->quiet) {
    /* An earlier run still at work is how cron runs go, not a problem. */
    ng_index_close(idx);
    return CLI_EXIT_BUSY;
  }
  if (rc != NG_OK) {
    int status = cli_fail_index(idx, rc);
    ng_index_close(idx);
    return status;
  }
  int status = 0;
  if (o->npaths || o->nfeeds || o->full || o->nremovals) {
    reporter r = {o, NULL, isatty(2), seconds(), 0, 0, o->nremovals > 0};
    ng_run_options ro = NG_RUN_OPTIONS_INIT;
    ro.fallback_encoding = o->encoding;
    ro.full = o->full;
    ro.max_file_size = o->max_size;
    ro.exclude = o->exclude;
    ro.source = o->source;
    ro.include_docs = o->include_docs;
    ng_run *run = NULL;
    rc = ng_run_begin(&run, idx, &ro, on_item, &r);
    if (rc != NG_OK) {
      status = cli_fail_index(idx, rc);
      ng_index_close(idx);
      return status;
    }
    r.run = run;
    for (size_t i = 0; i < o->npaths && !ng_run_failed(run); i++) ng_run_add_path(run, o->paths[i]);
    for (size_t i = 0; i < o->nfeeds && !ng_run_failed(run); i++) {
      if (o->feed_name && strcmp(o->feeds[i], "-") == 0)
        ng_run_add_named_feed(run, o->feed_name, NULL);
      else
        ng_run_add_feed(run, o->feeds[i], NULL);
    }
    int found_nothing = 0;
    for (size_t i = 0; i < o->nremovals && !ng_run_failed(run); i++) {
      if (ng_run_remove(run, o->removals[i]) == NG_DONE) {
        if (!o->quiet) cli_message("warning", "nothing in the index comes from '%s'", o->removals[i]);
        found_nothing = 1;
      }
    }
    ng_run_stats s;
    if (!ng_run_failed(run))
      ng_run_finish(run, &s);
    else
      ng_run_progress(run, &s);
    clear_progress(&r);
    if (ng_run_failed(run)) {
      status = run_failed(o, idx, run);
    } else {
      status = cli_exit_status(s.worst);
      if (found_nothing && status == CLI_EXIT_OK) status = CLI_EXIT_NO_HITS;
      if (!o->quiet) {
        ng_index_stats is;
        int have = ng_index_get_stats(idx, &is) == NG_OK;
        fprintf(stderr,
                "nutgraf-index: %lld new, %lld changed, %lld removed, %lld unchanged, %lld skipped; "
                "%lld passages written; %.2f s",
                s.added, s.changed, s.removed, s.unchanged, s.skipped, s.passages_written, seconds() - r.start);
        if (have) fprintf(stderr, "; index: %lld documents, %lld passages", is.documents, is.passages);
        fputc('\n', stderr);
      }
      /* What the run wrote is committed; the log is copied into the index
       * here, and a full disk that stops that is said as what it is. */
      rc = ng_index_checkpoint(idx);
      if (rc != NG_OK) status = worse(status, cli_fail_index(idx, rc));
    }
    ng_run_free(run);
  }
  if (status != CLI_EXIT_SYSTEM && o->optimize) {
    rc = ng_index_optimize(idx);
    if (rc != NG_OK) status = worse(status, cli_fail_index(idx, rc));
  }
  if (status != CLI_EXIT_SYSTEM && o->check) {
    ng_index_stats is;
    rc = ng_index_verify(idx, &is, print_problem, NULL);
    if (rc == NG_EDATA) {
      status = worse(status, CLI_EXIT_DATA); /* each problem printed on its line */
    } else if (rc != NG_OK) {
      status = worse(status, cli_fail_index(idx, rc));
    } else {
      char *path = ng_display_string(o->index_path);
      printf("%s: ok: %lld documents, %lld passages, %lld words, %lld bytes\n", path ? path : "index", is.documents,
             is.passages, is.words, is.bytes);
      free(path);
    }
  }
  ng_index_close(idx);
  return status;
}
