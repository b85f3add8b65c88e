/*
 * bench/latency.c -- in-process search latency: libnutgraf's ng_search()
 * next to the same MATCH on a plain FTS5 'porter' table, in one process,
 * warm, alternating query by query (nutgraf, porter, nutgraf, ...).
 *
 * It owns nothing but its two read-only handles. Each timed nutgraf search
 * is ng_search + stepping every hit + ng_results_free; each timed porter
 * search is prepare + bind + stepping every row (rowid and a snippet, as the
 * CLI comparison selects) + finalize, so both sides pay for parsing the
 * query each time. Percentiles are left to bench/query.py, which builds and
 * runs this program; it is optional and the rest of bench/ works without it.
 *
 * Build (bench/query.py does this for you):
 *   cc -O2 -Iinclude bench/latency.c LIBNUTGRAF -lsqlite3 -lstemmer -lm
 * With -DLATENCY_NO_NUTGRAF only the porter side is built (no nutgraf.h),
 * and NUTGRAF_INDEX must be "-".
 *
 * Usage: latency [-r REPS] [-w WARMUP] [-l LIMIT] [-x OPTION]... NUTGRAF_INDEX|- PORTER_DB QUERIES
 * -x OPTION sets a search option on the nutgraf side, spelled as the
 * nutgraf-query option that sets it (--any, --no-variants, --files for one
 * passage per document); bench/ passes each word of --nutgraf-extra here,
 * so the in-process figures are taken with the same options as the
 * nutgraf-query runs.  Like nutgraf-query's text output, a hit counts its
 * story's copies without reading their paths (-x --format=json reads the
 * first 100, as the JSON records name them). An option not mapped in apply_option() is a usage
 * error, never silently ignored: that function is the hook where options
 * the library gains later (collapsing duplicate stories) are added.
 * QUERIES: one query per line: the nutgraf query, a TAB, the FTS5 expression.
 * Output on stdout, one line per timed search:
 *   sample<TAB>QUERY_NO<TAB>ng|porter<TAB>NANOSECONDS<TAB>HITS<TAB>CPU_NANOSECONDS
 * NANOSECONDS is wall time (CLOCK_MONOTONIC); CPU_NANOSECONDS the thread's
 * CPU time over the same search (CLOCK_THREAD_CPUTIME_ID), which a busy
 * machine inflates much less: their ratio tells how much others got in.
 * Exit: 0 ok, 2 usage, 3 cannot open an index or the query file, 4 search error.
 */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef LATENCY_NO_NUTGRAF
#include "nutgraf.h"
#endif

#define MAX_QUERIES 1000

/* Results are read into this so the compiler cannot skip reading them. */
static volatile size_t sink;

static const char porter_sql[] =
    "SELECT rowid, snippet(p, 0, '[', ']', '...', 32) FROM p "
    "WHERE p MATCH ?1 ORDER BY rank LIMIT ?2";

static long long clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One porter search; returns the number of rows, or -1 on error. */
static int porter_search(sqlite3 *db, const char *expr, int limit) {
  sqlite3_stmt *st = NULL;
  int rows = -1, rc;

  if (sqlite3_prepare_v2(db, porter_sql, -1, &st, NULL) != SQLITE_OK) goto done;
  sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, limit);
  rows = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const unsigned char *snip = sqlite3_column_text(st, 1);
    sink += (size_t)sqlite3_column_int64(st, 0) + (snip ? strlen((const char *)snip) : 0);
    rows++;
  }
  if (rc != SQLITE_DONE) rows = -1;
done:
  sqlite3_finalize(st);
  return rows;
}

#ifndef LATENCY_NO_NUTGRAF
/* Sets the search option a nutgraf-query option names; 0 when done, -1 for
 * an option with no mapping here (add it when ng_search_options grows
 * one).  --per-story takes its number after '=' (--per-story=0: every
 * passage, as FTS5 and Xapian rank them). */
static int apply_option(ng_search_options *so, const char *opt) {
  if (!strcmp(opt, "--any") || !strcmp(opt, "-a")) {
    so->any = 1;
  } else if (!strcmp(opt, "--no-variants")) {
    so->no_variants = 1;
  } else if (!strcmp(opt, "--files") || !strcmp(opt, "-l")) {
    so->per_document = 1;
  } else if (!strcmp(opt, "--rank=bm25")) {
    so->rank_off |= NG_RANK_BM25;
  } else if (!strcmp(opt, "--no-expansion")) {
    so->rank_off |= NG_RANK_NO_EXPANSION;
  } else if (!strcmp(opt, "--no-proximity")) {
    so->rank_off |= NG_RANK_NO_PROXIMITY;
  } else if (!strcmp(opt, "--no-story-score")) {
    so->rank_off |= NG_RANK_NO_DOCUMENT;
  } else if (!strcmp(opt, "--keep-stop-words")) {
    so->rank_off |= NG_RANK_KEEP_STOP_WORDS;
  } else if (!strcmp(opt, "--no-collapse")) {
    so->no_collapse = 1;
  } else if (!strcmp(opt, "--format=json")) {
    so->copy_paths = 100; /* as nutgraf-query's JSON records name a story's copies */
  } else if (!strncmp(opt, "--per-story=", 12) && opt[12] >= '0' && opt[12] <= '9') {
    so->per_story = atoi(opt + 12);
  } else {
    return -1;
  }
  return 0;
}

/* One nutgraf search; returns the number of hits, or -1 on error. */
static int nutgraf_search(ng_index *idx, const char *query, const ng_search_options *base, int limit) {
  ng_search_options so = *base;
  ng_results *res = NULL;
  const ng_hit *hit;
  int hits = -1, rc;

  so.limit = limit;
  if (ng_search(idx, query, &so, &res) < 0) goto done;
  hits = 0;
  while ((rc = ng_results_next(res, &hit)) == NG_ROW) {
    sink += strlen(hit->path) + (hit->snippet ? strlen(hit->snippet) : 0) + (hit->score > 0.0);
    hits++;
  }
  if (rc < 0) hits = -1;
done:
  ng_results_free(res);
  return hits;
}
#endif

static void usage(void) {
  fprintf(stderr,
          "usage: latency [-r REPS] [-w WARMUP] [-l LIMIT] [-x OPTION]... "
          "NUTGRAF_INDEX|- PORTER_DB QUERIES\n");
}

int main(int argc, char **argv) {
  int reps = 200, warmup = 10, limit = 10, opt, nq = 0, status = 0;
  char *ngq[MAX_QUERIES], *fts[MAX_QUERIES], line[8192];
  sqlite3 *pdb = NULL;
  FILE *qf = NULL;
#ifndef LATENCY_NO_NUTGRAF
  ng_index *idx = NULL;
  ng_search_options base = NG_SEARCH_OPTIONS_INIT;
#endif
  int use_ng, nextra = 0;

#ifndef LATENCY_NO_NUTGRAF
  base.copy_paths = 0; /* as nutgraf-query's text output: a story's copies counted, not named */
#endif
  while ((opt = getopt(argc, argv, "r:w:l:x:h")) != -1) {
    switch (opt) {
      case 'r': reps = atoi(optarg); break;
      case 'w': warmup = atoi(optarg); break;
      case 'l': limit = atoi(optarg); break;
      case 'x':
#ifndef LATENCY_NO_NUTGRAF
        if (apply_option(&base, optarg) != 0) {
          fprintf(stderr,
                  "latency: -x %s: no such search option mapped in bench/latency.c "
                  "(add it to apply_option)\n",
                  optarg);
          return 2;
        }
#endif
        nextra++;
        break;
      case 'h': usage(); return 0;
      default: usage(); return 2;
    }
  }
  if (argc - optind != 3 || reps < 1 || warmup < 0 || limit < 1) {
    usage();
    return 2;
  }
  use_ng = strcmp(argv[optind], "-") != 0;
#ifdef LATENCY_NO_NUTGRAF
  if (use_ng) {
    fprintf(stderr, "latency: built without nutgraf; pass - as NUTGRAF_INDEX\n");
    return 2;
  }
  if (nextra) fprintf(stderr, "latency: -x ignored: built without nutgraf\n");
#endif

  if (!(qf = fopen(argv[optind + 2], "r"))) {
    perror(argv[optind + 2]);
    status = 3;
    goto done;
  }
  while (nq < MAX_QUERIES && fgets(line, sizeof line, qf)) {
    char *tab = strchr(line, '\t');
    line[strcspn(line, "\r\n")] = '\0';
    if (!tab) continue;
    *tab = '\0';
    ngq[nq] = strdup(line);
    fts[nq] = strdup(tab + 1);
    nq++;
  }

  if (sqlite3_open_v2(argv[optind + 1], &pdb, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    fprintf(stderr, "latency: %s: %s\n", argv[optind + 1], sqlite3_errmsg(pdb));
    status = 3;
    goto done;
  }
#ifndef LATENCY_NO_NUTGRAF
  if (use_ng) {
    ng_open_options oo = NG_OPEN_OPTIONS_INIT;
    oo.flags = NG_OPEN_READONLY;
    if (ng_index_open(&idx, argv[optind], &oo) < 0) {
      fprintf(stderr, "latency: %s: %s\n", argv[optind], idx ? ng_index_errmsg(idx) : "cannot open");
      status = 3;
      goto done;
    }
  }
#endif

  for (int q = 0; q < nq; q++) {
    for (int r = -warmup; r < reps; r++) {
      long long t0, t1, c0, c1;
      int n;
#ifndef LATENCY_NO_NUTGRAF
      if (use_ng) {
        c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        t0 = clock_ns(CLOCK_MONOTONIC);
        n = nutgraf_search(idx, ngq[q], &base, limit);
        t1 = clock_ns(CLOCK_MONOTONIC);
        c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        if (n < 0) {
          fprintf(stderr, "latency: nutgraf query %d (%s): %s\n", q + 1, ngq[q], ng_index_errmsg(idx));
          status = 4;
          break;
        }
        if (r >= 0) printf("sample\t%d\tng\t%lld\t%d\t%lld\n", q + 1, t1 - t0, n, c1 - c0);
      }
#endif
      c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
      t0 = clock_ns(CLOCK_MONOTONIC);
      n = porter_search(pdb, fts[q], limit);
      t1 = clock_ns(CLOCK_MONOTONIC);
      c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
      if (n < 0) {
        fprintf(stderr, "latency: porter query %d (%s): %s\n", q + 1, fts[q], sqlite3_errmsg(pdb));
        status = 4;
        break;
      }
      if (r >= 0) printf("sample\t%d\tporter\t%lld\t%d\t%lld\n", q + 1, t1 - t0, n, c1 - c0);
    }
  }

done:
#ifndef LATENCY_NO_NUTGRAF
  ng_index_close(idx);
#endif
  sqlite3_close(pdb);
  if (qf) fclose(qf);
  for (int q = 0; q < nq; q++) {
    free(ngq[q]);
    free(fts[q]);
  }
  return status;
}
