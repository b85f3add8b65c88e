/*
 * run.c -- nutgraf-index's work: open the index, run, report.
 *
 * Every problem with a file is one line on stderr naming the file; the run
 * goes on, and the exit status is the worst class met.  The summary line
 * and a progress line (on a terminal, for runs longer than a second) also
 * go to stderr, so stdout carries only what was asked for (--check).
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

int run_indexer(const index_options *o) {
  /* A file size limit must give an error, not kill us. */
  signal(SIGXFSZ, SIG_IGN);
  ng_open_options oo = NG_OPEN_OPTIONS_INIT;
  oo.flags = NG_OPEN_WRITE | (o->npaths || o->nfeeds ? NG_OPEN_CREATE : 0) | (o->no_wait ? NG_OPEN_NOWAIT : 0);
  oo.language = o->language;
  ng_index *idx = NULL;
  int rc = ng_index_open(&idx, o->index_path, &oo);
  if (rc != NG_OK) {
    int status = cli_fail_index(idx, rc);
    ng_index_close(idx);
    return status;
  }
  int status = 0;
  if (o->npaths || o->nfeeds) {
    reporter r = {o, NULL, isatty(2), seconds(), 0, 0};
    ng_run_options ro = NG_RUN_OPTIONS_INIT;
    ro.fallback_encoding = o->encoding;
    ro.full = o->full;
    ro.max_file_size = o->max_size;
    ro.exclude = o->exclude;
    ng_run *run = NULL;
    rc = ng_run_begin(&run, idx, &ro, on_item, &r);
    if (rc != NG_OK) {
      status = cli_fail_index(idx, rc);
      ng_index_close(idx);
      return status;
    }
    r.run = run;
    for (size_t i = 0; i < o->npaths && rc != NG_ESYSTEM; i++) rc = ng_run_add_path(run, o->paths[i]);
    for (size_t i = 0; i < o->nfeeds && rc != NG_ESYSTEM; i++) rc = ng_run_add_feed(run, o->feeds[i], NULL);
    ng_run_stats s;
    if (rc != NG_ESYSTEM)
      rc = ng_run_finish(run, &s);
    else
      ng_run_progress(run, &s);
    clear_progress(&r);
    if (rc == NG_ESYSTEM) {
      status = cli_fail(CLI_EXIT_SYSTEM, "%s; the changes of this run that were not committed are rolled back",
                        ng_index_errmsg(idx));
    } else {
      status = cli_exit_status(s.worst);
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
    }
    ng_run_free(run);
  }
  if (status != CLI_EXIT_SYSTEM && o->optimize) {
    rc = ng_index_optimize(idx);
    if (rc != NG_OK) status = worse(status, cli_fail_index(idx, rc));
  }
  if (status != CLI_EXIT_SYSTEM && o->check) {
    ng_index_stats is;
    rc = ng_index_check(idx, &is);
    if (rc != NG_OK) {
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
