/* nutgraf-query: ranked passages from a nutgraf index. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query.h"

/* The library's note on the query (an unknown field), one line. */
static void print_notes(const ng_index *idx) {
  const char *note = ng_index_notes(idx);
  if (!*note) return;
  char *shown = ng_display_string(note);
  fprintf(stderr, "%s: note: %s\n", cli_program(), shown ? shown : note);
  free(shown);
}

/* Lines of text (--explain's), each escaped for the terminal. */
static void put_lines(const char *text, FILE *out) {
  while (*text) {
    size_t n = strcspn(text, "\n");
    char *line = malloc(n + 1);
    char *shown = NULL;
    if (line) {
      memcpy(line, text, n);
      line[n] = '\0';
      shown = ng_display_string(line);
    }
    fprintf(out, "%s\n", shown ? shown : "?");
    free(shown);
    free(line);
    text += n;
    if (*text) text++;
  }
}

/* --summary's interpretation: ng_explain's text, or NULL. */
static char *interpretation(ng_index *idx, const query_options *o) {
  char *text = NULL;
  if (ng_explain(idx, o->query, &o->search, &text) != NG_OK) return NULL;
  return text;
}

static int count_only(ng_index *idx, const query_options *o) {
  long long n = 0;
  int rc = ng_count(idx, o->query, &o->search, &n);
  if (rc != NG_OK) return cli_fail_index(idx, rc);
  print_notes(idx);
  if (o->format == FORMAT_JSON || o->summary) {
    /* a record a program can read, the suggestion in it */
    printer p;
    printer_init(&p, o, stdout);
    char *explained = interpretation(idx, o), *better = NULL;
    if (n == 0) ng_suggest(idx, o->query, &o->search, &better);
    long long stories = -1;
    ng_search_options by_story = o->search;
    by_story.per_document = 1;
    if (!o->search.per_document && ng_count(idx, o->query, &by_story, &stories) != NG_OK) stories = -1;
    if (o->search.per_document) stories = n;
    int bad = print_summary(&p, o->query, -1, n, stories, explained, better);
    free(explained);
    free(better);
    printer_free(&p);
    if (bad || fflush(stdout) != 0) return cli_fail(CLI_EXIT_SYSTEM, "cannot write the results");
  } else {
    printf("%lld\n", n);
  }
  return n > 0 ? CLI_EXIT_OK : CLI_EXIT_NO_HITS;
}

static int search(ng_index *idx, const query_options *o) {
  if (o->explain) {
    char *text = NULL;
    int rc = ng_explain(idx, o->query, &o->search, &text);
    if (rc != NG_OK) return cli_fail_index(idx, rc);
    put_lines(text, stderr);
    free(text);
  }
  if (o->count) return count_only(idx, o);
  ng_results *res = NULL;
  int rc = ng_search(idx, o->query, &o->search, &res);
  if (rc != NG_OK) return cli_fail_index(idx, rc);
  if (!o->search.all) print_notes(idx);
  printer p;
  printer_init(&p, o, stdout);
  p.idx = idx;
  const ng_hit *hit;
  long hits = 0;
  int out_failed = 0, lib_failed = 0;
  while ((rc = ng_results_next(res, &hit)) == NG_ROW) {
    hits++;
    int r = o->files ? print_file(&p, hit) : print_hit(&p, hit);
    if (r != 0) {
      if (r == -2) lib_failed = 1;
      out_failed = r == -1;
      break;
    }
  }
  ng_results_free(res);
  if (lib_failed) {
    printer_free(&p);
    return cli_fail_index(idx, NG_ESYSTEM);
  }
  char *better = NULL;
  if (!hits && !o->search.all && rc >= 0) ng_suggest(idx, o->query, &o->search, &better);
  if (o->summary && rc >= 0 && !out_failed) {
    long long total = hits, stories = -1;
    int crc = o->search.all ? NG_OK : ng_count(idx, o->query, &o->search, &total);
    ng_search_options by_story = o->search;
    by_story.per_document = 1;
    if (crc == NG_OK && !o->search.all) crc = ng_count(idx, o->query, &by_story, &stories);
    if (crc != NG_OK) {
      printer_free(&p);
      free(better);
      return cli_fail_index(idx, crc);
    }
    char *explained = o->search.all ? NULL : interpretation(idx, o);
    if (print_summary(&p, o->query, hits, total, stories, explained, better) != 0) out_failed = 1;
    free(explained);
  }
  printer_free(&p);
  if (fflush(stdout) != 0) out_failed = 1;
  if (rc < 0) {
    free(better);
    return cli_fail_index(idx, rc);
  }
  if (out_failed) {
    free(better);
    return cli_fail(CLI_EXIT_SYSTEM, "cannot write the results");
  }
  if (hits) return CLI_EXIT_OK;
  if (o->search.all) return CLI_EXIT_NO_HITS; /* an empty index */
  char *shown = ng_display_string(o->query);
  if (o->format == FORMAT_TEXT) fprintf(stderr, "%s: no passages match '%s'\n", cli_program(), shown ? shown : "");
  char *better_shown = better ? ng_display_string(better) : NULL;
  if (better_shown) fprintf(stderr, "%s: did you mean: %s\n", cli_program(), better_shown);
  free(better_shown);
  free(shown);
  free(better);
  return CLI_EXIT_NO_HITS;
}

/* --show: one whole story. */
static int show(ng_index *idx, const query_options *o) {
  long long doc = 0;
  int rc = ng_story_find(idx, o->show, &doc);
  ng_story *story = NULL;
  if (rc == NG_OK) rc = ng_story_get(idx, doc, 0, -1, &story);
  if (rc == NG_DONE) {
    cli_message("error", "%s", ng_index_errmsg(idx));
    return CLI_EXIT_NO_HITS;
  }
  if (rc != NG_OK) return cli_fail_index(idx, rc);
  printer p;
  printer_init(&p, o, stdout);
  int bad = print_story(&p, story);
  printer_free(&p);
  ng_story_free(story);
  if (bad || fflush(stdout) != 0) return cli_fail(CLI_EXIT_SYSTEM, "cannot write the story");
  return CLI_EXIT_OK;
}

/* --count-by: a timeline (or a count per source). */
static int count_by(ng_index *idx, const query_options *o) {
  ng_bucket *b = NULL;
  size_t n = 0;
  int rc = ng_count_by(idx, o->query, &o->search, o->count_by, &b, &n);
  if (rc != NG_OK) return cli_fail_index(idx, rc);
  print_notes(idx);
  printer p;
  printer_init(&p, o, stdout);
  int bad = print_buckets(&p, o->count_by, b, n);
  printer_free(&p);
  ng_buckets_free(b, n);
  if (bad || fflush(stdout) != 0) return cli_fail(CLI_EXIT_SYSTEM, "cannot write the results");
  return n ? CLI_EXIT_OK : CLI_EXIT_NO_HITS;
}

int main(int argc, char **argv) {
  cli_init("nutgraf-query");
  query_options o;
  int status = parse_query_options(argc, argv, &o);
  if (status != 0) {
    free_query_options(&o);
    return status < 0 ? CLI_EXIT_OK : status;
  }
  ng_open_options oo = NG_OPEN_OPTIONS_INIT;
  ng_index *idx = NULL;
  int rc = ng_index_open(&idx, o.index_path, &oo);
  if (rc == NG_OK && !o.search.no_variants && !o.search.raw_fts5 && !o.search.all && !o.show) {
    char *mine = cli_user_variants_path();
    if (mine) rc = ng_index_add_variants(idx, mine);
    free(mine);
    for (size_t i = 0; rc == NG_OK && i < o.nvariants; i++) rc = ng_index_add_variants(idx, o.variants[i]);
  }
  status = rc != NG_OK       ? cli_fail_index(idx, rc)
           : o.show          ? show(idx, &o)
           : o.count_by >= 0 ? count_by(idx, &o)
           : o.watch         ? run_watch(idx, &o)
                             : search(idx, &o);
  /* SQLite may step over a damaged page and still answer: say it once. */
  const char *damage = status <= CLI_EXIT_NO_HITS ? ng_index_damage(idx) : NULL;
  if (damage)
    status = cli_fail(CLI_EXIT_DATA,
                      "index %s is damaged (SQLite reported: %s); results may be missing; rebuild it with"
                      " nutgraf-index --full PATH...",
                      o.index_path, damage);
  ng_index_close(idx);
  free_query_options(&o);
  return status;
}
