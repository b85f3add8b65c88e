/*
 * serve.h -- the parts of nutgraf-serve, an HTTP front of one index read
 * only:
 *   options.c  the command line and the limits it sets
 *   index.c    the pool of read-only handles, reopened when the index file
 *              is replaced, and the index's version for ETags
 *   http.c     the libmicrohttpd daemon: request lifecycle, routing, auth,
 *              CORS, caching headers, the request deadline, the log line
 *   api.c      the JSON endpoints (/search /count /suggest /show /timeline
 *              /health), the search parameters table and the story
 *              shared with the page
 *   page.c     the search page at / (embedded page.html, results rendered
 *              on the server for browsers without JavaScript)
 *   metrics.c  counters and the latency histogram for /metrics
 *   main.c     start, signals, drain, exit
 */
#ifndef NG_SERVE_H
#define NG_SERVE_H

#include <jansson.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "cli.h"

#define SERVE_NAME "nutgraf-serve"

/* ------------------------------------------------------------------ */
/* options.c                                                           */

typedef struct serve_config {
  char *index_path; /* malloc'd */
  const char **variants;
  size_t nvariants;
  char *user_variants;  /* the user's own variants file when it exists, malloc'd */
  char listen_text[96]; /* as given, for messages */
  struct sockaddr_storage addr;
  socklen_t addrlen;
  int listen_given;         /* --listen was on the command line */
  unsigned threads;         /* worker threads (MHD thread pool) */
  unsigned max_connections; /* at once; more are refused */
  unsigned timeout;         /* seconds a request may take, and a connection idle */
  size_t max_request;       /* bytes of request line and headers */
  size_t max_query;         /* bytes of q */
  long max_limit;           /* largest page (limit) */
  long max_offset;          /* largest offset */
  char *token;              /* bearer token, malloc'd, or NULL */
  size_t token_len;
  const char *allow_origin;  /* CORS origin or NULL */
  const char *log_path;      /* or NULL: stderr */
  int thread_per_connection; /* NG_SERVE_THREAD_PER_CONNECTION=1 (benchmarks) */
} serve_config;

/* Returns -1 to exit 0 (help, version), 0 to go on, or an exit status. */
int parse_serve_options(int argc, char **argv, serve_config *c);
void free_serve_options(serve_config *c);
/* The address as text, "127.0.0.1:8370" or "[::1]:8370", with port. */
void format_address(const struct sockaddr *sa, char *out, size_t n);

/* ------------------------------------------------------------------ */
/* index.c                                                             */

typedef struct index_version {
  int present; /* the index file exists */
  dev_t dev;
  ino_t ino;
  long long db_size, db_mtime_ns;
  int wal_present;
  long long wal_size, wal_mtime_ns;
} index_version;

typedef struct handle handle;

/* Starts the pool for config c (kept, not copied).  Opens one handle when
 * the index exists, to check it and the variants files early: returns 0,
 * or the exit status for a bad index or variants file (message printed).
 * A missing index is not an error: requests get 503 until it appears. */
int pool_start(const serve_config *c);
void pool_stop(void);

/* A handle for this request, reopened when the index file was replaced;
 * *now is the stat of the index taken first.  Returns NULL and sets *status (503, 500) and *msg (static storage of the
 * thread, until its next call) when there is no usable index. */
handle *pool_take(index_version *now, int *status, const char **msg);
void pool_give(handle *h);
ng_index *handle_index(handle *h);
/* The stat of the index the handle was opened on (the one it reads). */
void handle_version(const handle *h, index_version *v);
long long pool_reopens(void);

/* Stats of the index file and its WAL, now. */
void read_index_version(const char *path, index_version *v);
/* An ETag ("\"<hex>\"") for answers read between before and after, or ""
 * when they may not be cached: the two differ, or the files were written
 * too recently for their times to tell writes apart.  salt is folded in
 * (the build and the options that change answers). */
void version_etag(const index_version *before, const index_version *after, unsigned long long salt, char *out,
                  size_t n);

/* ------------------------------------------------------------------ */
/* http.c                                                              */

struct MHD_Connection;

typedef struct request request;

/* Starts the daemon; returns 0 or an exit status (message printed).  The
 * bound address (port 0 picks one) is printed on stderr. */
int http_start(const serve_config *c);
/* Stops accepting, waits up to c->timeout seconds for requests in flight,
 * stops the daemon.  Returns the number of requests cut short. */
int http_drain(void);
/* Reopens the log file (SIGHUP). */
void http_reopen_log(void);

/* What a handler answers: status, body (malloc'd, taken), type, and
 * whether the answer may carry the ETag of the index version. */
typedef struct answer {
  unsigned status;
  char *body;
  size_t len;
  const char *type;
  int cacheable;
  char etag[40];
  const char *allow; /* with 405 */
  char csp[400];     /* Content-Security-Policy, or "" */
} answer;

/* Sets a JSON answer from a document (stolen). */
void answer_json(answer *a, unsigned status, json_t *doc);
/* Sets {"error": msg} with status. */
void answer_error(answer *a, unsigned status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Request parameters, as MHD decoded them. */
typedef struct param_list {
  size_t n;
  struct {
    const char *key, *value;
    size_t value_len;
  } item[32];
  int overflow; /* more than 32 */
} param_list;

/* ------------------------------------------------------------------ */
/* api.c                                                               */

/* The search request a page or /search asks for. */
typedef struct search_request {
  const char *q; /* NULL when absent */
  ng_search_options opts;
} search_request;

/* Reads the parameters into *r (q plus the search parameters table);
 * extra names allowed[] (NULL-terminated, may be NULL) are accepted and
 * ignored.  Returns 0, or fills *a with a 400 and returns -1. */
int read_search_request(const serve_config *c, const param_list *p, const char *const *allowed, search_request *r,
                        answer *a);
/* Runs r and builds the document /search answers (with "interpreted"
 * when explain is set): NG_OK and *doc (a new reference), or an error
 * code with the message on idx. */
int search_document(ng_index *idx, const search_request *r, int explain, json_t **doc);
/* The endpoints. */
void api_search(const serve_config *c, handle *h, const param_list *p, answer *a);
void api_count(const serve_config *c, handle *h, const param_list *p, answer *a);
void api_suggest(const serve_config *c, handle *h, const param_list *p, answer *a);
/* The story stored at where (a path, FEED:ID or FEED//#ID; ng_story_find
 * then ng_story_get): NG_OK and *out (the caller frees it with
 * ng_story_free), NG_DONE when the index holds no story there, or an
 * error code with the message on idx. */
int read_story(ng_index *idx, const char *where, ng_story **out);
/* GET /show?story=PATH|FEED:ID: the whole story (nutgraf-query --show). */
void api_show(const serve_config *c, handle *h, const param_list *p, answer *a);
/* GET /timeline?q=...&by=day|week|month|source: matches per bucket
 * (nutgraf-query --count-by). */
void api_timeline(const serve_config *c, handle *h, const param_list *p, answer *a);
void api_health(const serve_config *c, handle *h, answer *a);
/* The HTTP status of a library error code. */
unsigned status_of(int rc);

/* ------------------------------------------------------------------ */
/* page.c                                                              */

/* The search page; h may be NULL (no index: the page says so). */
void page_render(const serve_config *c, handle *h, const param_list *p, const char *index_error, answer *a);

/* ------------------------------------------------------------------ */
/* metrics.c                                                           */

enum endpoint {
  EP_PAGE,
  EP_SEARCH,
  EP_COUNT,
  EP_SUGGEST,
  EP_HEALTH,
  EP_METRICS,
  EP_SHOW,
  EP_TIMELINE,
  EP_OTHER,
  EP_COUNT_
};

void metrics_request(int endpoint, unsigned status, double seconds);
void metrics_library_error(int rc);
void metrics_cut(void);
/* The Prometheus text exposition of every counter; malloc'd. */
char *metrics_text(size_t *len);

#endif
