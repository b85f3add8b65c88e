/*
 * watch.c -- nutgraf-query --watch: saved topics, and for each only what
 * was indexed since its last run.
 *
 * A watchlist is a text file of "name = query" lines ('#' comments, blank
 * lines).  "Since the last run" is the index's change counter
 * (ng_index_changes), not a time or a rowid: every document written with
 * new content gets the next number, which nutgraf-index --full carries
 * over (an unchanged document keeps its number) and --optimize leaves
 * alone, so a rebuild shows nothing new and a clock set back skips
 * nothing.  A run reads the counter first, then searches each topic for
 * the documents with numbers in (the topic's mark, the counter]: what a
 * writer commits meanwhile is left for the next run, never lost.
 *
 * The marks are kept in the user's state directory ($XDG_STATE_HOME/
 * nutgraf, else ~/.local/state/nutgraf), one file per index and watchlist,
 * with the index's lineage, so that an index deleted and made again (its
 * counter starting over) is not taken for the old one.  They are written
 * only after the output is written and flushed, by a temporary file,
 * fsync and rename: a run killed before that prints everything again next
 * time (a repeat, never a gap).  Runs of one watchlist take turns (flock).
 *
 * A topic's first run only sets its mark: a new topic prints nothing, as
 * tail -f starts at the end.
 *
 * This is an option of nutgraf-query rather than a program of its own: a
 * watch is a search per topic and takes every output option of one
 * (--format, --per-story, --context, --color, --index, --variants).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "query.h"

#define LINEAGE_MAX 64

typedef struct topic {
  char *name, *query;
  long long mark; /* its last run's counter; -1: never ran */
  long long next; /* the mark to keep after this run */
} topic;

typedef struct watchlist {
  topic *t;
  size_t n, cap;
} watchlist;

static void free_watchlist(watchlist *w) {
  for (size_t i = 0; i < w->n; i++) {
    free(w->t[i].name);
    free(w->t[i].query);
  }
  free(w->t);
  memset(w, 0, sizeof *w);
}

char *default_watch_path(void) {
  const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
  char *p = NULL;
  if (xdg && xdg[0] == '/') {
    if (asprintf(&p, "%s/nutgraf/watch", xdg) < 0) p = NULL;
  } else if (home && *home) {
    if (asprintf(&p, "%s/.config/nutgraf/watch", home) < 0) p = NULL;
  }
  return p;
}

static char *state_dir(void) {
  const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
  char *p = NULL;
  if (xdg && xdg[0] == '/') {
    if (asprintf(&p, "%s/nutgraf", xdg) < 0) p = NULL;
  } else if (home && *home) {
    if (asprintf(&p, "%s/.local/state/nutgraf", home) < 0) p = NULL;
  }
  return p;
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = '\0';
  return s;
}

/* Reads the watchlist; 0, or an exit status (the message printed). */
static int read_watchlist(const char *path, watchlist *w) {
  FILE *f = fopen(path, "r");
  if (!f)
    return cli_fail(errno == ENOENT ? CLI_EXIT_USAGE : CLI_EXIT_SYSTEM, "cannot read watchlist %s: %s", path,
                    strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  long lineno = 0;
  int status = 0;
  while (status == 0 && getline(&line, &cap, f) >= 0) {
    lineno++;
    char *s = trim(line);
    if (!*s || *s == '#') continue;
    char *eq = strchr(s, '=');
    if (!eq) {
      status = cli_fail(CLI_EXIT_USAGE, "%s:%ld: a topic is 'name = query'", path, lineno);
      break;
    }
    *eq = '\0';
    char *name = trim(s), *query = trim(eq + 1);
    if (!*name || !*query || strpbrk(name, "\t")) {
      status =
          cli_fail(CLI_EXIT_USAGE, "%s:%ld: a topic is 'name = query' (a name without tabs, a query)", path, lineno);
      break;
    }
    for (size_t i = 0; i < w->n; i++)
      if (strcmp(w->t[i].name, name) == 0)
        status = cli_fail(CLI_EXIT_USAGE, "%s:%ld: topic '%s' is already named above", path, lineno, name);
    if (status) break;
    if (w->n == w->cap) {
      size_t c = w->cap ? w->cap * 2 : 8;
      topic *t = realloc(w->t, c * sizeof *t);
      if (!t) {
        status = cli_out_of_memory();
        break;
      }
      w->t = t;
      w->cap = c;
    }
    topic *t = &w->t[w->n];
    t->name = strdup(name);
    t->query = strdup(query);
    t->mark = t->next = -1;
    w->n++;
    if (!t->name || !t->query) status = cli_out_of_memory();
  }
  if (status == 0 && ferror(f)) status = cli_fail(CLI_EXIT_SYSTEM, "cannot read watchlist %s", path);
  free(line);
  fclose(f);
  if (status == 0 && w->n == 0) status = cli_fail(CLI_EXIT_USAGE, "watchlist %s names no topic", path);
  return status;
}

/* FNV-1a: the state file's name from the index's and the watchlist's paths. */
static uint64_t name_hash(const char *a, const char *b) {
  uint64_t h = 1469598103934665603ULL;
  for (const char *s = a; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  h = (h ^ '\n') * 1099511628211ULL;
  for (const char *s = b; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* Reads the marks (a missing file: none) and the lineage they belong to. */
static int read_state(const char *file, watchlist *w, char lineage[LINEAGE_MAX]) {
  lineage[0] = '\0';
  FILE *f = fopen(file, "r");
  if (!f) return errno == ENOENT ? 0 : cli_fail(CLI_EXIT_SYSTEM, "cannot read %s: %s", file, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) >= 0) {
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "lineage\t", 8) == 0) {
      snprintf(lineage, LINEAGE_MAX, "%s", line + 8);
    } else if (strncmp(line, "topic\t", 6) == 0) {
      char *name = line + 6, *tab = strrchr(name, '\t');
      if (!tab) continue;
      *tab = '\0';
      for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->t[i].name, name) == 0) w->t[i].mark = strtoll(tab + 1, NULL, 10);
    }
  }
  int bad = ferror(f);
  free(line);
  fclose(f);
  return bad ? cli_fail(CLI_EXIT_SYSTEM, "cannot read %s", file) : 0;
}

/* Writes the marks: a temporary file beside the state file, fsync, rename,
 * fsync of the directory. */
static int write_state(const char *dir, const char *file, const char *index, const char *list, const watchlist *w,
                       const char *lineage) {
  char *tmp = NULL;
  if (asprintf(&tmp, "%s.tmpXXXXXX", file) < 0) return cli_out_of_memory();
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int status = cli_fail(CLI_EXIT_SYSTEM, "cannot write %s: %s", tmp, strerror(errno));
    free(tmp);
    return status;
  }
  FILE *f = fdopen(fd, "w");
  int ok = f != NULL;
  if (ok) {
    fprintf(f, "# nutgraf-query --watch: what each topic has seen (change numbers of the index)\n");
    fprintf(f, "index\t%s\nwatchlist\t%s\nlineage\t%s\n", index, list, lineage);
    for (size_t i = 0; i < w->n; i++)
      if (w->t[i].next >= 0) fprintf(f, "topic\t%s\t%lld\n", w->t[i].name, w->t[i].next);
    ok = fflush(f) == 0 && fsync(fd) == 0;
    ok = fclose(f) == 0 && ok;
  } else {
    close(fd);
  }
  if (ok) ok = rename(tmp, file) == 0;
  int status = 0;
  if (!ok) {
    status = cli_fail(CLI_EXIT_SYSTEM, "cannot write %s: %s", file, strerror(errno));
    unlink(tmp);
  } else {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
  }
  free(tmp);
  return status;
}

/* Tests stop a run here (SIGSTOP) once this many topics' output is out,
 * to kill it before its marks are written. */
static long test_stop_after(void) {
  const char *v = getenv("NUTGRAF_TEST_WATCH_STOP");
  return v && *v ? strtol(v, NULL, 10) : 0;
}

/* One topic's new passages; *printed counts them.  0, or an exit status. */
static int watch_topic(ng_index *idx, const query_options *o, topic *t, long long upto, long *printed) {
  query_options to = *o;
  to.query = t->query;
  to.search.change_after = t->mark;
  to.search.change_upto = upto;
  if (!o->limit_given) to.search.limit = -1;
  ng_results *res = NULL;
  int rc = upto > t->mark ? ng_search(idx, t->query, &to.search, &res) : NG_OK;
  if (rc != NG_OK) {
    cli_message("error", "topic %s: %s", t->name, ng_index_errmsg(idx));
    return cli_exit_status(rc);
  }
  printer p;
  printer_init(&p, &to, stdout);
  p.idx = idx;
  p.topic = t->name;
  const ng_hit *hit;
  long n = 0;
  int out = 0;
  while (res && (rc = ng_results_next(res, &hit)) == NG_ROW) {
    if (n++ == 0 && o->format == FORMAT_TEXT) {
      fputs("== ", stdout);
      put_text(&p, t->name, strlen(t->name));
      fputs(": ", stdout);
      put_text(&p, t->query, strlen(t->query));
      fputs("\n\n", stdout);
    }
    if ((out = print_hit(&p, hit)) != 0) break;
  }
  ng_results_free(res);
  printer_free(&p);
  *printed += n;
  if (out == -1) return cli_fail(CLI_EXIT_SYSTEM, "cannot write the results");
  if (out == -2 || rc < 0) {
    cli_message("error", "topic %s: %s", t->name, ng_index_errmsg(idx));
    return CLI_EXIT_SYSTEM;
  }
  t->next = upto;
  return 0;
}

int run_watch(ng_index *idx, const query_options *o) {
  watchlist w = {0};
  char *dir = NULL, *file = NULL, *lockname = NULL, *list = NULL, *index = NULL;
  int lock = -1;
  int status = read_watchlist(o->watch_file, &w);
  if (status) goto done;
  list = realpath(o->watch_file, NULL);
  index = realpath(o->index_path, NULL);
  dir = state_dir();
  if (!list || !index || !dir) {
    status = cli_fail(CLI_EXIT_SYSTEM, "%s", !dir ? "no HOME to keep the watch state in" : "cannot resolve a path");
    goto done;
  }
  if (asprintf(&file, "%s/watch-%016llx.state", dir, (unsigned long long)name_hash(index, list)) < 0 ||
      asprintf(&lockname, "%s.lock", file) < 0) {
    file = lockname = NULL;
    status = cli_out_of_memory();
    goto done;
  }
  /* the state directory, made as mkdir -p would, private */
  for (char *s = dir + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    mkdir(dir, 0700);
    *s = '/';
  }
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    status = cli_fail(CLI_EXIT_SYSTEM, "cannot make %s: %s", dir, strerror(errno));
    goto done;
  }
  lock = open(lockname, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) {
    status = cli_fail(CLI_EXIT_SYSTEM, "cannot lock %s: %s", lockname, strerror(errno));
    goto done;
  }
  char seen_lineage[LINEAGE_MAX], lineage[LINEAGE_MAX];
  if ((status = read_state(file, &w, seen_lineage)) != 0) goto done;
  long long upto = 0;
  int rc = ng_index_changes(idx, &upto, lineage, sizeof lineage);
  if (rc != NG_OK) {
    status = cli_fail_index(idx, rc);
    goto done;
  }
  int known = 0;
  for (size_t i = 0; i < w.n; i++) known |= w.t[i].mark >= 0;
  if (known && strcmp(seen_lineage, lineage) != 0) {
    cli_message("warning", "index %s is not the one watchlist %s last ran on (made anew?): its topics start from now",
                o->index_path, o->watch_file);
    for (size_t i = 0; i < w.n; i++) w.t[i].mark = -1;
  }
  long printed = 0, stop = test_stop_after(), flushed = 0;
  for (size_t i = 0; i < w.n; i++) {
    topic *t = &w.t[i];
    if (t->mark < 0 || t->mark > upto) { /* a new topic starts from now */
      t->next = upto;
      continue;
    }
    long before = printed;
    int s = watch_topic(idx, o, t, upto, &printed);
    if (s == CLI_EXIT_SYSTEM && ferror(stdout)) {
      status = s;
      goto done;
    }
    if (s > status) status = s;
    if (s != 0) t->next = t->mark; /* this topic again next time */
    if (printed > before) {
      if (fflush(stdout) != 0) {
        status = cli_fail(CLI_EXIT_SYSTEM, "cannot write the results");
        goto done;
      }
      if (stop && ++flushed == stop) raise(SIGSTOP);
    }
  }
  /* Everything is out before a mark moves. */
  if (fflush(stdout) != 0 || ferror(stdout)) {
    status = cli_fail(CLI_EXIT_SYSTEM, "cannot write the results");
    goto done;
  }
  int ws = write_state(dir, file, index, list, &w, lineage);
  if (ws) status = ws;
  if (!status) status = printed ? CLI_EXIT_OK : CLI_EXIT_NO_HITS;
done:
  if (lock >= 0) close(lock);
  free_watchlist(&w);
  free(dir);
  free(file);
  free(lockname);
  free(list);
  free(index);
  return status;
}
