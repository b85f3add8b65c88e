/*
 * http.c -- nutgraf-serve's HTTP side, on libmicrohttpd.
 *
 * The daemon runs a pool of worker threads (MHD_USE_INTERNAL_POLLING_THREAD
 * with MHD_OPTION_THREAD_POOL_SIZE, epoll), each answering its connections'
 * requests to the end before the next: a search takes a millisecond or
 * so, and a thread per connection measured no faster (bench/serve.py) while
 * costing a thread for every idle connection.
 *
 * A request's life: on_uri (first line read) allocates its record and
 * starts its clock; on_request routes it, once the headers are in; on_done
 * writes its log line and counts it, whatever happened to it, including
 * answers libmicrohttpd made itself (414, 431, 400).
 *
 * Limits: libmicrohttpd refuses a request line and headers larger than
 * --max-request-size (414, 431), connections past --max-connections, and
 * closes a connection idle for --timeout seconds.  Its timeout counts from
 * the last byte received, so a client sending a byte a second would hold a
 * connection forever: a reaper thread also closes (shutdown(2)) every
 * connection whose current request -- counted from the connection's start
 * or the end of its previous answer -- is older than --timeout.  The
 * registry it reads is updated by the connection callbacks, under a mutex,
 * and libmicrohttpd reports a connection closed before it closes its
 * socket, so the reaper never touches a descriptor that was reused.
 *
 * Log lines are written with one write(2) each to a descriptor that SIGHUP
 * replaces with dup2(2), so lines are never torn and need no lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

struct request {
  long long start_ns;
  char *target; /* for the log: access_token redacted, bytes escaped */
  char method[16];
  char client[INET6_ADDRSTRLEN];
  int bad_encoding; /* a '%' not followed by two hex digits */
  int endpoint;
  int answered;
  unsigned status;
  size_t bytes;
};

typedef struct conn {
  int fd;
  long long since_ns; /* start of the current request, or of the wait for one */
  int cut, linked;
  struct conn *prev, *next;
} conn;

static struct {
  const serve_config *c;
  struct MHD_Daemon *daemon;
  int log_fd;
  unsigned long long salt;
  pthread_mutex_t lock; /* conns */
  conn *conns;
  pthread_t reaper;
  int reaper_started;
  int stopping;
  long active; /* requests between on_uri and on_done */
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER, .log_fd = 2};

static long long now_ns(int clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* The log                                                             */

static int open_log(void) {
  int fd = open(srv.c->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) fprintf(stderr, SERVE_NAME ": error: cannot open the log %s: %s\n", srv.c->log_path, strerror(errno));
  return fd;
}

void http_reopen_log(void) {
  if (!srv.c || !srv.c->log_path) return;
  int fd = open_log();
  if (fd < 0) return; /* keep writing to the old one */
  dup2(fd, srv.log_fd);
  close(fd);
}

/* The request target for the log: the value of access_token replaced by
 * "REDACTED", and bytes outside printable ASCII (and \ and ") as \xHH. */
static char *log_target(const char *uri) {
  size_t n = strlen(uri);
  if (n > 4096) n = 4096; /* a long target is cut (it was answered 414 anyway) */
  char *out = malloc(n * 4 + 16), *w = out;
  if (!out) return NULL;
  const char *query = memchr(uri, '?', n);
  for (size_t i = 0; i < n; i++) {
    if (query && uri + i > query && (uri[i - 1] == '?' || uri[i - 1] == '&') &&
        strncmp(uri + i, "access_token=", 13) == 0) {
      memcpy(w, "access_token=REDACTED", 21);
      w += 21;
      while (i + 1 < n && uri[i + 1] != '&') i++;
      continue;
    }
    unsigned char ch = (unsigned char)uri[i];
    if (ch <= 0x20 || ch >= 0x7f || ch == '\\' || ch == '"')
      w += sprintf(w, "\\x%02X", ch);
    else
      *w++ = (char)ch;
  }
  if (n < strlen(uri)) w += sprintf(w, "...");
  *w = '\0';
  return out;
}

static int bad_percent(const char *uri) {
  static const char hex[] = "0123456789abcdefABCDEF";
  for (const char *p = strchr(uri, '%'); p; p = strchr(p + 1, '%')) {
    if (!p[1] || !strchr(hex, p[1]) || !p[2] || !strchr(hex, p[2])) return 1;
  }
  return 0;
}

static void log_request(const request *r, unsigned status, double ms, enum MHD_RequestTerminationCode toe) {
  char when[40], line[8192];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t k = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(when + k, sizeof when - k, ".%03ldZ", ts.tv_nsec / 1000000);
  const char *how = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK      ? ""
                    : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " (timed out)"
                    : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? " (shut down)"
                    : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT    ? " (client left)"
                    : toe == MHD_REQUEST_TERMINATED_READ_ERROR      ? " (read error)"
                                                                    : " (closed)";
  int n = snprintf(line, sizeof line, "%s %s %s %s %u %zu %.2fms%s\n", when, r->client[0] ? r->client : "-",
                   r->method[0] ? r->method : "-", r->target ? r->target : "-", status, r->bytes, ms, how);
  if (n > (int)sizeof line - 1) {
    n = (int)sizeof line - 1;
    line[n - 1] = '\n';
  }
  ssize_t ignored = write(srv.log_fd, line, (size_t)n);
  (void)ignored;
}

/* ------------------------------------------------------------------ */
/* Connections and the request deadline                                */

static void on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
  (void)cls;
  if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
    conn *k = calloc(1, sizeof *k);
    *socket_context = k;
    if (!k || !ci) return;
    k->fd = ci->connect_fd;
    k->since_ns = now_ns(CLOCK_MONOTONIC);
    k->linked = 1;
    pthread_mutex_lock(&srv.lock);
    k->next = srv.conns;
    if (srv.conns) srv.conns->prev = k;
    srv.conns = k;
    pthread_mutex_unlock(&srv.lock);
  } else {
    conn *k = *socket_context;
    if (!k) return;
    pthread_mutex_lock(&srv.lock);
    if (k->linked) {
      if (k->prev) k->prev->next = k->next;
      if (k->next) k->next->prev = k->prev;
      if (srv.conns == k) srv.conns = k->next;
    }
    pthread_mutex_unlock(&srv.lock);
    free(k);
    *socket_context = NULL;
  }
}

static void *reap(void *arg) {
  (void)arg;
  long long limit = (long long)srv.c->timeout * 1000000000LL;
  struct timespec pause = {0, 100 * 1000000L};
  size_t peak = 0;          /* connections at once since memory was last given back */
  long long trimmed_ns = 0; /* when it was, at most once a second */
  while (!__atomic_load_n(&srv.stopping, __ATOMIC_RELAXED)) {
    nanosleep(&pause, NULL);
    long long now = now_ns(CLOCK_MONOTONIC);
    size_t open = 0;
    pthread_mutex_lock(&srv.lock);
    for (conn *k = srv.conns; k; k = k->next) {
      open++;
      if (!k->cut && now - __atomic_load_n(&k->since_ns, __ATOMIC_RELAXED) > limit) {
        shutdown(k->fd, SHUT_RDWR);
        k->cut = 1;
        metrics_cut();
      }
    }
    pthread_mutex_unlock(&srv.lock);
    if (open > peak) peak = open;
#ifdef __GLIBC__
    /* After a burst of connections (each holds a memory pool of up to
     * --max-request bytes) the server is idle again: glibc keeps freed
     * memory of its thread arenas unless asked, so a burst would stay in
     * the RSS for good.  malloc_trim gives it back (well under a
     * millisecond on an idle server, at most once a second). */
    if (open == 0 && peak > 0 && now - trimmed_ns >= 1000000000LL) {
      malloc_trim(0);
      peak = 0;
      trimmed_ns = now;
    }
#endif
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* The request lifecycle                                               */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con) {
  (void)cls;
  request *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->start_ns = now_ns(CLOCK_MONOTONIC);
  r->target = log_target(uri);
  r->bad_encoding = bad_percent(uri);
  r->endpoint = EP_OTHER;
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (ci && ci->client_addr) {
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
      inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->client, sizeof r->client);
    else if (sa->sa_family == AF_INET6)
      inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->client, sizeof r->client);
  }
  __atomic_add_fetch(&srv.active, 1, __ATOMIC_RELAXED);
  return r;
}

static void on_done(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls;
  request *r = *con_cls;
  if (!r) return;
  *con_cls = NULL;
  unsigned status = r->status;
  if (!status) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_HTTP_STATUS);
    status = ci ? ci->http_status : 0;
  }
  long long end = now_ns(CLOCK_MONOTONIC);
  double seconds = (double)(end - r->start_ns) / 1e9;
  log_request(r, status, seconds * 1000, toe);
  metrics_request(r->endpoint, status, seconds);
  const union MHD_ConnectionInfo *sc = MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  conn *k = sc ? sc->socket_context : NULL;
  if (k) __atomic_store_n(&k->since_ns, end, __ATOMIC_RELAXED);
  free(r->target);
  free(r);
  __atomic_sub_fetch(&srv.active, 1, __ATOMIC_RELAXED);
}

void answer_json(answer *a, unsigned status, json_t *doc) {
  char *body = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(doc);
  size_t n = body ? strlen(body) : 0;
  char *grown = body ? realloc(body, n + 2) : NULL;
  if (!grown) {
    free(body);
    static const char oom[] = "{\"error\":\"out of memory\"}\n";
    a->status = 500;
    a->body = malloc(sizeof oom);
    if (a->body) memcpy(a->body, oom, sizeof oom);
    a->len = a->body ? sizeof oom - 1 : 0;
  } else {
    grown[n] = '\n';
    grown[n + 1] = '\0';
    a->status = status;
    a->body = grown;
    a->len = n + 1;
  }
  a->type = "application/json";
  a->cacheable = 0;
}

void answer_error(answer *a, unsigned status, const char *fmt, ...) {
  char msg[1500];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  free(a->body);
  a->body = NULL;
  answer_json(a, status, json_pack("{s:o}", "error", cli_json_string(msg)));
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size, const char *value,
                               size_t value_size) {
  (void)kind;
  (void)key_size;
  param_list *p = cls;
  if (p->n == sizeof p->item / sizeof p->item[0]) {
    p->overflow = 1;
    return MHD_NO;
  }
  p->item[p->n].key = key;
  p->item[p->n].value = value;
  p->item[p->n].value_len = value_size;
  p->n++;
  return MHD_YES;
}

static const char *param_value(const param_list *p, const char *key) {
  for (size_t i = 0; i < p->n; i++) {
    if (strcmp(p->item[i].key, key) == 0) return p->item[i].value;
  }
  return NULL;
}

/* Compares in time that depends on the expected token's length only. */
static int token_ok(const char *given, const serve_config *c) {
  if (!given) return 0;
  size_t n = strlen(given);
  unsigned char diff = n != c->token_len;
  for (size_t i = 0; i < c->token_len; i++) diff |= (unsigned char)((i < n ? given[i] : 0) ^ c->token[i]);
  return diff == 0;
}

/* Does If-None-Match name etag? */
static int etag_matches(const char *header, const char *etag) {
  if (!header || !*etag) return 0;
  size_t n = strlen(etag);
  for (const char *p = header; *p;) {
    while (*p == ' ' || *p == ',' || *p == '\t') p++;
    if (*p == '*') return 1;
    if (strncmp(p, "W/", 2) == 0) p += 2;
    if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ')) return 1;
    while (*p && *p != ',') p++;
  }
  return 0;
}

static int endpoint_of(const char *url) {
  static const struct {
    const char *path;
    int endpoint;
  } routes[] = {{"/", EP_PAGE},         {"/search", EP_SEARCH},   {"/count", EP_COUNT}, {"/suggest", EP_SUGGEST},
                {"/health", EP_HEALTH}, {"/metrics", EP_METRICS}, {"/show", EP_SHOW},   {"/timeline", EP_TIMELINE}};
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    if (strcmp(url, routes[i].path) == 0) return routes[i].endpoint;
  }
  return EP_OTHER;
}

static void route(struct MHD_Connection *con, request *r, const char *url, const char *method, answer *a) {
  const serve_config *c = srv.c;
  r->endpoint = endpoint_of(url);
  int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  if (strcmp(method, "OPTIONS") == 0 && c->allow_origin && r->endpoint != EP_OTHER) {
    a->status = 204;
    a->type = "text/plain";
    return;
  }
  if (!get) {
    a->allow = c->allow_origin ? "GET, HEAD, OPTIONS" : "GET, HEAD";
    answer_error(a, 405, "method %.16s is not allowed; use GET", method);
    return;
  }
  if (r->bad_encoding) {
    answer_error(a, 400, "bad percent-encoding in the request target");
    return;
  }
  param_list p = {0};
  MHD_get_connection_values_n(con, MHD_GET_ARGUMENT_KIND, collect, &p);
  if (c->token) {
    const char *auth = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *given = NULL;
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
      given = auth + 7;
      while (*given == ' ') given++;
    } else if (!auth) {
      given = param_value(&p, "access_token");
    }
    if (!token_ok(given, c)) {
      answer_error(a, 401, "%s", given ? "wrong token" : "a token is needed: Authorization: Bearer TOKEN");
      return;
    }
  }
  if (r->endpoint == EP_OTHER) {
    answer_error(a, 404, "no such page: %.200s", url);
    return;
  }
  if (r->endpoint == EP_METRICS) {
    a->status = 200;
    a->body = metrics_text(&a->len);
    a->type = "text/plain; version=0.0.4; charset=utf-8";
    if (!a->body) answer_error(a, 500, "out of memory");
    return;
  }
  index_version before, after;
  int status;
  const char *msg;
  handle *h = pool_take(&before, &status, &msg);
  if (!h) {
    if (r->endpoint == EP_PAGE) {
      page_render(c, NULL, &p, msg, a);
      a->status = status;
    } else {
      answer_error(a, status, "%s", msg);
    }
    return;
  }
  int cacheable = r->endpoint == EP_SEARCH || r->endpoint == EP_COUNT || r->endpoint == EP_SUGGEST ||
                  r->endpoint == EP_SHOW || r->endpoint == EP_TIMELINE;
  /* A tag names one answer: the index's version, the build, the target. */
  unsigned long long salt = srv.salt;
  for (const char *t = r->target ? r->target : ""; *t; t++) salt = (salt ^ (unsigned char)*t) * 0x100000001b3ULL;
  if (cacheable) {
    char etag[40];
    version_etag(&before, &before, salt, etag, sizeof etag);
    if (etag_matches(MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH), etag)) {
      pool_give(h);
      a->status = 304;
      a->cacheable = 1;
      snprintf(a->etag, sizeof a->etag, "%s", etag);
      return;
    }
  }
  switch (r->endpoint) {
    case EP_PAGE: page_render(c, h, &p, NULL, a); break;
    case EP_SEARCH: api_search(c, h, &p, a); break;
    case EP_COUNT: api_count(c, h, &p, a); break;
    case EP_SUGGEST: api_suggest(c, h, &p, a); break;
    case EP_SHOW: api_show(c, h, &p, a); break;
    case EP_TIMELINE: api_timeline(c, h, &p, a); break;
    case EP_HEALTH: api_health(c, h, a); break;
  }
  pool_give(h);
  if (a->cacheable && a->status == 200) {
    read_index_version(c->index_path, &after);
    version_etag(&before, &after, salt, a->etag, sizeof a->etag);
  }
}

static char empty_body[1];

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  (void)cls;
  (void)version;
  (void)upload_data;
  request *r = *con_cls;
  if (!r) return MHD_NO; /* out of memory in on_uri */
  if (r->answered) {
    *upload_data_size = 0; /* a body nobody asked for */
    return MHD_YES;
  }
  r->answered = 1;
  snprintf(r->method, sizeof r->method, "%s", method);
  answer a = {0};
  route(con, r, url, method, &a);
  struct MHD_Response *resp = MHD_create_response_from_buffer(a.len, a.body ? a.body : empty_body,
                                                              a.body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (!resp) {
    free(a.body);
    return MHD_NO;
  }
  const serve_config *c = srv.c;
  if (a.type) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a.type);
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, a.cacheable ? "no-cache" : "no-store");
  if (a.etag[0]) MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a.etag);
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  if (a.csp[0]) {
    MHD_add_response_header(resp, "Content-Security-Policy", a.csp);
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  }
  if (a.status == 401) MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"nutgraf\"");
  if (a.allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, a.allow);
  const char *origin = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Origin");
  if (c->allow_origin && origin) {
    int any = strcmp(c->allow_origin, "*") == 0;
    if (any || strcmp(origin, c->allow_origin) == 0) {
      MHD_add_response_header(resp, "Access-Control-Allow-Origin", any ? "*" : c->allow_origin);
      MHD_add_response_header(resp, "Access-Control-Expose-Headers", "ETag");
      if (a.status == 204) {
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Authorization, If-None-Match");
        MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
      }
    }
    if (!any) MHD_add_response_header(resp, "Vary", "Origin");
  }
  if (__atomic_load_n(&srv.stopping, __ATOMIC_RELAXED))
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  r->status = a.status;
  r->bytes = a.len;
  enum MHD_Result ok = MHD_queue_response(con, a.status, resp);
  MHD_destroy_response(resp);
  return ok;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  (void)fmt;
  (void)ap; /* libmicrohttpd's own messages repeat what the log line says */
}

/* The listening socket, made here so that a failure has a clear message. */
static int listen_on(const serve_config *c, int *out) {
  int fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      (c->addr.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
      bind(fd, (const struct sockaddr *)&c->addr, c->addrlen) != 0 || listen(fd, 1024) != 0) {
    fprintf(stderr, SERVE_NAME ": error: cannot listen on %s: %s\n", c->listen_text, strerror(errno));
    if (fd >= 0) close(fd);
    return 4;
  }
  *out = fd;
  return 0;
}

/* What changes answers besides the index: this build and the variants. */
static unsigned long long answers_salt(const serve_config *c) {
  unsigned long long h = 0xcbf29ce484222325ULL;
  const char *parts[] = {NG_VERSION_STRING, __DATE__, __TIME__, c->user_variants};
  for (size_t i = 0; i < 4 + c->nvariants; i++) {
    const char *s = i < 4 ? parts[i] : c->variants[i - 4];
    if (!s) continue;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    struct stat st;
    if (i >= 3 && stat(i == 3 ? c->user_variants : c->variants[i - 4], &st) == 0)
      h = (h ^ (unsigned long long)st.st_mtim.tv_nsec ^ (unsigned long long)st.st_size ^
           ((unsigned long long)st.st_mtim.tv_sec << 20)) *
          0x100000001b3ULL;
  }
  return h;
}

int http_start(const serve_config *c) {
  srv.c = c;
  srv.salt = answers_salt(c);
  if (c->log_path) {
    int fd = open_log();
    if (fd < 0) return 4;
    srv.log_fd = fd;
  }
  int lfd;
  int rc = listen_on(c, &lfd);
  if (rc) return rc;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  flags |= c->thread_per_connection ? MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL : MHD_USE_EPOLL;
  /* The logger first, so that it takes every message (a thread pool only
   * without a thread per connection). */
  struct MHD_OptionItem options[] = {
      {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
      {MHD_OPTION_LISTEN_SOCKET, lfd, NULL},
      {MHD_OPTION_CONNECTION_LIMIT, c->max_connections, NULL},
      {MHD_OPTION_CONNECTION_TIMEOUT, c->timeout, NULL},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)c->max_request, NULL},
      {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, NULL},
      {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_done, NULL},
      {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, NULL},
      {c->thread_per_connection ? MHD_OPTION_END : MHD_OPTION_THREAD_POOL_SIZE, c->threads, NULL},
      {MHD_OPTION_END, 0, NULL}};
  srv.daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
  if (!srv.daemon) {
    fprintf(stderr, SERVE_NAME ": error: cannot start the HTTP daemon on %s\n", c->listen_text);
    close(lfd);
    return 4;
  }
  if (pthread_create(&srv.reaper, NULL, reap, NULL) == 0) srv.reaper_started = 1;
  struct sockaddr_storage bound;
  socklen_t len = sizeof bound;
  char where[96] = "?";
  if (getsockname(lfd, (struct sockaddr *)&bound, &len) == 0)
    format_address((struct sockaddr *)&bound, where, sizeof where);
  char threads[48];
  if (c->thread_per_connection)
    snprintf(threads, sizeof threads, "a thread per connection");
  else
    snprintf(threads, sizeof threads, "%u threads", c->threads);
  fprintf(stderr, SERVE_NAME ": listening on http://%s/ (index %s, %s)\n", where, c->index_path, threads);
  return 0;
}

int http_drain(void) {
  if (!srv.daemon) return 0;
  __atomic_store_n(&srv.stopping, 1, __ATOMIC_RELAXED);
  MHD_socket lfd = MHD_quiesce_daemon(srv.daemon);
  if (lfd != MHD_INVALID_SOCKET) close(lfd);
  long long deadline = now_ns(CLOCK_MONOTONIC) + (long long)srv.c->timeout * 1000000000LL;
  struct timespec pause = {0, 10 * 1000000L};
  while (__atomic_load_n(&srv.active, __ATOMIC_RELAXED) > 0 && now_ns(CLOCK_MONOTONIC) < deadline)
    nanosleep(&pause, NULL);
  int cut = (int)__atomic_load_n(&srv.active, __ATOMIC_RELAXED);
  MHD_stop_daemon(srv.daemon);
  srv.daemon = NULL;
  if (srv.reaper_started) pthread_join(srv.reaper, NULL);
  srv.reaper_started = 0;
  if (srv.c->log_path) close(srv.log_fd);
  return cut;
}
