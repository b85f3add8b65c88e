/*
 * options.c -- nutgraf-serve's command line (getopt_long) and the limits it
 * sets.  Every limit has a default here and an option, and both are in
 * nutgraf-serve(1).
 *
 * Safe by default: the server listens on 127.0.0.1.  An address that is
 * not a loopback address is taken only from --listen on the command line;
 * the environment (NUTGRAF_SERVE_LISTEN, for a unit file or a wrapper) may
 * only name a loopback one, so a default set somewhere else can never
 * expose the index to the network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve.h"

#define DEFAULT_LISTEN "127.0.0.1:8370"

static const char usage[] =
    "usage: nutgraf-serve [options]\n"
    "Answer searches of one nutgraf index over HTTP: JSON at /search, /count,\n"
    "/suggest, /health and /metrics, and a search page at /.\n"
    "\n"
    "  -i, --index FILE            the index (default $NUTGRAF_INDEX, else\n"
    "                              $XDG_DATA_HOME/nutgraf/index.db, else\n"
    "                              ~/.local/share/nutgraf/index.db)\n"
    "  -l, --listen ADDR:PORT      where to listen (default " DEFAULT_LISTEN
    ");\n"
    "                              port 0 picks a free port\n"
    "  -t, --threads N             worker threads (default: 4 a CPU, at most 64)\n"
    "      --max-connections N     connections at once (default 256)\n"
    "      --timeout SECONDS       time for one request, and for an idle\n"
    "                              connection (default 10)\n"
    "      --max-request-size N    bytes of request line and headers (default 32768)\n"
    "      --max-query-length N    bytes of a query (default 4096)\n"
    "      --max-limit N           largest page of hits (default 100)\n"
    "      --max-offset N          largest offset (default 10000)\n"
    "      --token-file FILE       require 'Authorization: Bearer TOKEN', the\n"
    "                              token being the first line of FILE\n"
    "      --allow-origin ORIGIN   allow cross-origin requests from ORIGIN (CORS)\n"
    "      --log FILE              the request log (default: stderr); SIGHUP\n"
    "                              reopens it\n"
    "      --variants FILE         add the variant groups in FILE; repeatable\n"
    "  -h, --help                  show this help\n"
    "  -V, --version               show the versions of nutgraf, SQLite and Snowball\n"
    "\n"
    "Exit status: 0 stopped by SIGTERM or SIGINT, 2 bad usage, 3 bad index,\n"
    "variants or token file, 4 system error (cannot listen).\n";

enum {
  OPT_MAX_CONNECTIONS = 256,
  OPT_TIMEOUT,
  OPT_MAX_REQUEST,
  OPT_MAX_QUERY,
  OPT_MAX_LIMIT,
  OPT_MAX_OFFSET,
  OPT_TOKEN_FILE,
  OPT_ALLOW_ORIGIN,
  OPT_LOG,
  OPT_VARIANTS
};

static const struct option longopts[] = {{"index", required_argument, NULL, 'i'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
                                         {"timeout", required_argument, NULL, OPT_TIMEOUT},
                                         {"max-request-size", required_argument, NULL, OPT_MAX_REQUEST},
                                         {"max-query-length", required_argument, NULL, OPT_MAX_QUERY},
                                         {"max-limit", required_argument, NULL, OPT_MAX_LIMIT},
                                         {"max-offset", required_argument, NULL, OPT_MAX_OFFSET},
                                         {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
                                         {"allow-origin", required_argument, NULL, OPT_ALLOW_ORIGIN},
                                         {"log", required_argument, NULL, OPT_LOG},
                                         {"variants", required_argument, NULL, OPT_VARIANTS},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, SERVE_NAME ": error: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry '" SERVE_NAME " --help'.\n");
  return 2;
}

/* A number in [min, max]; 0 or -1. */
static int parse_number(const char *s, long min, long max, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno || v < min || v > max) return -1;
  *out = v;
  return 0;
}

void format_address(const struct sockaddr *sa, char *out, size_t n) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
    inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
    snprintf(out, n, "[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
  } else {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
    inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
    snprintf(out, n, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
  }
}

/* "ADDR:PORT", "[ADDR6]:PORT", "localhost:PORT" or "PORT" (on 127.0.0.1)
 * into c->addr.  0 or -1. */
static int parse_listen(const char *text, serve_config *c) {
  char host[INET6_ADDRSTRLEN + 2];
  const char *port;
  if (strlen(text) >= sizeof c->listen_text) return -1;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof host) return -1;
    memcpy(host, text + 1, (size_t)(close - text - 1));
    host[close - text - 1] = '\0';
    port = close + 2;
  } else {
    const char *colon = strrchr(text, ':');
    if (!colon) {
      snprintf(host, sizeof host, "127.0.0.1");
      port = text;
    } else {
      if ((size_t)(colon - text) >= sizeof host || strchr(text, ':') != colon) return -1;
      memcpy(host, text, (size_t)(colon - text));
      host[colon - text] = '\0';
      port = colon + 1;
    }
  }
  long p;
  if (parse_number(port, 0, 65535, &p) != 0) return -1;
  if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
  memset(&c->addr, 0, sizeof c->addr);
  struct sockaddr_in *s4 = (struct sockaddr_in *)&c->addr;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->addr;
  if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons((unsigned short)p);
    c->addrlen = sizeof *s4;
  } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((unsigned short)p);
    c->addrlen = sizeof *s6;
  } else {
    return -1;
  }
  snprintf(c->listen_text, sizeof c->listen_text, "%s", text);
  return 0;
}

static int is_loopback(const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
  }
  const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
  if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) return 1;
  return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && s6->sin6_addr.s6_addr[12] == 127;
}

/* The token: the first line of the file, without surrounding blanks. */
static int read_token(const char *path, serve_config *c) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, SERVE_NAME ": error: cannot read the token file %s: %s\n", path, strerror(errno));
    return 3;
  }
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
    fprintf(stderr, SERVE_NAME ": warning: the token file %s can be read by other users\n", path);
  char line[1024];
  int ok = fgets(line, sizeof line, f) != NULL;
  fclose(f);
  char *s = line, *e;
  if (ok) {
    while (*s == ' ' || *s == '\t') s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
    ok = *s != '\0';
    for (const char *k = s; ok && *k; k++) ok = (unsigned char)*k > 0x20 && (unsigned char)*k < 0x7f;
  }
  if (!ok) {
    fprintf(stderr, SERVE_NAME ": error: the token file %s holds no token (one line of printable ASCII)\n", path);
    return 3;
  }
  free(c->token);
  c->token = strdup(s);
  if (!c->token) return 4;
  c->token_len = strlen(c->token);
  return 0;
}

int parse_serve_options(int argc, char **argv, serve_config *c) {
  memset(c, 0, sizeof *c);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  /* Four threads a CPU: on 2 CPUs, 8 threads answered 4 clients with a p99
   * of 13 ms where 2 threads took 19 ms (bench/serve.py's workload): a
   * thread answers its connections one after the other, so fewer threads
   * make requests wait behind each other. */
  c->threads = cpus < 1 ? 4 : cpus > 16 ? 64 : 4 * (unsigned)cpus;
  c->max_connections = 256;
  c->timeout = 10;
  c->max_request = 32768;
  c->max_query = 4096;
  c->max_limit = 100;
  c->max_offset = 10000;
  const char *index = NULL, *listen = NULL, *token_file = NULL;
  long v;
  int ch;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, ":i:l:t:hV", longopts, NULL)) != -1) {
    switch (ch) {
      case 'i': index = optarg; break;
      case 'l': listen = optarg; break;
      case 't':
        if (parse_number(optarg, 1, 256, &v) != 0) return bad_usage("--threads wants 1 to 256, not '%s'", optarg);
        c->threads = (unsigned)v;
        break;
      case OPT_MAX_CONNECTIONS:
        if (parse_number(optarg, 1, 100000, &v) != 0)
          return bad_usage("--max-connections wants 1 to 100000, not '%s'", optarg);
        c->max_connections = (unsigned)v;
        break;
      case OPT_TIMEOUT:
        if (parse_number(optarg, 1, 3600, &v) != 0)
          return bad_usage("--timeout wants 1 to 3600 seconds, not '%s'", optarg);
        c->timeout = (unsigned)v;
        break;
      case OPT_MAX_REQUEST:
        if (parse_number(optarg, 4096, 1 << 24, &v) != 0)
          return bad_usage("--max-request-size wants 4096 to 16777216 bytes, not '%s'", optarg);
        c->max_request = (size_t)v;
        break;
      case OPT_MAX_QUERY:
        if (parse_number(optarg, 1, 1 << 20, &v) != 0)
          return bad_usage("--max-query-length wants 1 to 1048576 bytes, not '%s'", optarg);
        c->max_query = (size_t)v;
        break;
      case OPT_MAX_LIMIT:
        if (parse_number(optarg, 1, 100000, &v) != 0)
          return bad_usage("--max-limit wants 1 to 100000, not '%s'", optarg);
        c->max_limit = v;
        break;
      case OPT_MAX_OFFSET:
        if (parse_number(optarg, 0, 100000000, &v) != 0)
          return bad_usage("--max-offset wants 0 to 100000000, not '%s'", optarg);
        c->max_offset = v;
        break;
      case OPT_TOKEN_FILE: token_file = optarg; break;
      case OPT_ALLOW_ORIGIN:
        if (!*optarg || strpbrk(optarg, "\r\n ,"))
          return bad_usage("--allow-origin wants one origin such as https://desk.example or *, not '%s'", optarg);
        c->allow_origin = optarg;
        break;
      case OPT_LOG: c->log_path = optarg; break;
      case OPT_VARIANTS: {
        const char **vv = realloc(c->variants, (c->nvariants + 1) * sizeof *vv);
        if (!vv) return 4;
        vv[c->nvariants++] = optarg;
        c->variants = vv;
        break;
      }
      case 'h': fputs(usage, stdout); return -1;
      case 'V': printf(SERVE_NAME ": %s, libmicrohttpd\n", ng_version_info()); return -1;
      case ':':
        if (optopt && optopt < 256) return bad_usage("option '-%c' needs a value", optopt);
        return bad_usage("option '%s' needs a value", argv[optind - 1]);
      default:
        if (optopt) return bad_usage("unknown option '-%c'", optopt);
        return bad_usage("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return bad_usage("unexpected argument '%s' (nutgraf-serve takes options only)", argv[optind]);

  c->listen_given = listen != NULL;
  const char *env = getenv("NUTGRAF_SERVE_LISTEN");
  const char *where = listen ? listen : env && *env ? env : DEFAULT_LISTEN;
  if (parse_listen(where, c) != 0)
    return bad_usage("%s wants ADDRESS:PORT, such as 127.0.0.1:8370 or [::1]:8370, not '%s'",
                     listen ? "--listen" : "NUTGRAF_SERVE_LISTEN", where);
  if (!is_loopback(&c->addr) && !c->listen_given)
    return bad_usage(
        "NUTGRAF_SERVE_LISTEN=%s is not a loopback address; only --listen can open the index to the network", where);
  if (!is_loopback(&c->addr) && !token_file)
    fprintf(stderr, SERVE_NAME ": warning: listening on %s without --token-file: anyone who can reach it can search\n",
            c->listen_text);
  const char *tpc = getenv("NG_SERVE_THREAD_PER_CONNECTION");
  c->thread_per_connection = tpc && strcmp(tpc, "1") == 0;

  if (token_file) {
    int rc = read_token(token_file, c);
    if (rc) return rc;
  }
  c->index_path = index ? strdup(index) : ng_default_index_path();
  if (!c->index_path)
    return bad_usage("%s", "no index path: set $NUTGRAF_INDEX, $XDG_DATA_HOME or $HOME, or give --index");
  c->user_variants = cli_user_variants_path();
  return 0;
}

void free_serve_options(serve_config *c) {
  free(c->index_path);
  free(c->variants);
  free(c->user_variants);
  if (c->token) memset(c->token, 0, c->token_len);
  free(c->token);
  memset(c, 0, sizeof *c);
}
