/*
 * metrics.c -- what /metrics tells, in Prometheus' text format (0.0.4):
 * requests by endpoint and status, library errors by class, requests cut
 * by the deadline, index reopens, and a histogram of the time from a
 * request's first line to its last byte handed to the kernel.
 *
 * Counters are plain integers updated with relaxed atomics: each is exact,
 * a scrape sees each one at some moment of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static const char *const endpoint_names[EP_COUNT_] = {"page",    "search", "count",    "suggest", "health",
                                                      "metrics", "show",   "timeline", "other"};

/* The statuses nutgraf-serve and libmicrohttpd answer; the last slot
 * takes any other. */
static const unsigned statuses[] = {200, 204, 304, 400, 401, 404, 405, 413, 414, 431, 500, 503, 0};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

static const double bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

static struct {
  unsigned long long requests[EP_COUNT_][NSTATUS];
  unsigned long long buckets[NBOUNDS + 1]; /* not cumulative; the last is +Inf */
  unsigned long long sum_ns, count;
  unsigned long long errors[3]; /* usage, data, system */
  unsigned long long cut;
} m;

static void add(unsigned long long *x, unsigned long long v) { __atomic_add_fetch(x, v, __ATOMIC_RELAXED); }
static unsigned long long get(const unsigned long long *x) { return __atomic_load_n(x, __ATOMIC_RELAXED); }

void metrics_request(int endpoint, unsigned status, double seconds) {
  if (endpoint < 0 || endpoint >= EP_COUNT_) endpoint = EP_OTHER;
  size_t s = 0;
  while (s < NSTATUS - 1 && statuses[s] != status) s++;
  add(&m.requests[endpoint][s], 1);
  size_t b = 0;
  while (b < NBOUNDS && seconds > bounds[b]) b++;
  add(&m.buckets[b], 1);
  add(&m.sum_ns, (unsigned long long)(seconds * 1e9));
  add(&m.count, 1);
}

void metrics_library_error(int rc) {
  if (rc == NG_EUSAGE) add(&m.errors[0], 1);
  if (rc == NG_EDATA) add(&m.errors[1], 1);
  if (rc == NG_ESYSTEM || rc == NG_EBUSY) add(&m.errors[2], 1);
}

void metrics_cut(void) { add(&m.cut, 1); }

char *metrics_text(size_t *len) {
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  if (!f) return NULL;
  fputs(
      "# HELP nutgraf_serve_requests_total HTTP requests answered, by endpoint and status.\n"
      "# TYPE nutgraf_serve_requests_total counter\n",
      f);
  for (int e = 0; e < EP_COUNT_; e++) {
    for (size_t s = 0; s < NSTATUS; s++) {
      unsigned long long n = get(&m.requests[e][s]);
      if (!n) continue;
      if (statuses[s])
        fprintf(f, "nutgraf_serve_requests_total{endpoint=\"%s\",status=\"%u\"} %llu\n", endpoint_names[e], statuses[s],
                n);
      else
        fprintf(f, "nutgraf_serve_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n", endpoint_names[e], n);
    }
  }
  fputs(
      "# HELP nutgraf_serve_errors_total Searches that failed in libnutgraf, by class (usage: a bad query).\n"
      "# TYPE nutgraf_serve_errors_total counter\n",
      f);
  static const char *const classes[3] = {"usage", "data", "system"};
  for (int k = 0; k < 3; k++)
    fprintf(f, "nutgraf_serve_errors_total{class=\"%s\"} %llu\n", classes[k], get(&m.errors[k]));
  fprintf(f,
          "# HELP nutgraf_serve_requests_cut_total Connections closed because a request outlasted --timeout.\n"
          "# TYPE nutgraf_serve_requests_cut_total counter\n"
          "nutgraf_serve_requests_cut_total %llu\n"
          "# HELP nutgraf_serve_index_reopens_total Handles reopened because the index file was replaced.\n"
          "# TYPE nutgraf_serve_index_reopens_total counter\n"
          "nutgraf_serve_index_reopens_total %lld\n",
          get(&m.cut), pool_reopens());
  fputs(
      "# HELP nutgraf_serve_request_duration_seconds Time from a request's first line to its answer sent.\n"
      "# TYPE nutgraf_serve_request_duration_seconds histogram\n",
      f);
  unsigned long long cumulative = 0;
  for (size_t b = 0; b < NBOUNDS; b++) {
    cumulative += get(&m.buckets[b]);
    fprintf(f, "nutgraf_serve_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bounds[b], cumulative);
  }
  cumulative += get(&m.buckets[NBOUNDS]);
  fprintf(f,
          "nutgraf_serve_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
          "nutgraf_serve_request_duration_seconds_sum %.6f\n"
          "nutgraf_serve_request_duration_seconds_count %llu\n",
          cumulative, (double)get(&m.sum_ns) / 1e9, get(&m.count));
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  *len = size;
  return text;
}
