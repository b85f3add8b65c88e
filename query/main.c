/* nutgraf-query: ranked passages from a nutgraf index. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "query.h"

static int fail(ng_index *idx, int rc) {
  fprintf(stderr, "nutgraf-query: error: %s\n", ng_index_errmsg(idx));
  return ng_exit_status(rc);
}

/* The user's own variants file, when there is one. */
static char *user_variants_path(void) {
  const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
  size_t n = 64 + (xdg ? strlen(xdg) : 0) + (home ? strlen(home) : 0);
  char *p = malloc(n);
  if (!p) return NULL;
  if (xdg && xdg[0] == '/')
    snprintf(p, n, "%s/nutgraf/variants.txt", xdg);
  else if (home && *home)
    snprintf(p, n, "%s/.config/nutgraf/variants.txt", home);
  else
    *p = '\0';
  return p;
}

static int search(ng_index *idx, const query_options *o) {
  if (o->explain) {
    char *text = NULL;
    int rc = ng_explain(idx, o->query, &o->search, &text);
    if (rc != NG_OK) return fail(idx, rc);
    fputs(text, stderr);
    free(text);
  }
  if (o->count) {
    long long n = 0;
    int rc = ng_count(idx, o->query, &o->search, &n);
    if (rc != NG_OK) return fail(idx, rc);
    printf("%lld\n", n);
    return n > 0 ? 0 : 1;
  }
  ng_results *res = NULL;
  int rc = ng_search(idx, o->query, &o->search, &res);
  if (rc != NG_OK) return fail(idx, rc);
  printer p;
  printer_init(&p, o, stdout);
  const ng_hit *hit;
  long hits = 0;
  int out_failed = 0;
  while ((rc = ng_results_next(res, &hit)) == NG_ROW) {
    hits++;
    if ((o->files ? print_file(&p, hit->path) : print_hit(&p, hit)) != 0) {
      out_failed = 1;
      break;
    }
  }
  ng_results_free(res);
  printer_free(&p);
  if (fflush(stdout) != 0) out_failed = 1;
  if (rc < 0) return fail(idx, rc);
  if (out_failed) {
    fprintf(stderr, "nutgraf-query: error: cannot write the results\n");
    return 4;
  }
  if (hits) return 0;
  if (o->search.all) return 1; /* an empty index */
  char *better = NULL;
  ng_suggest(idx, o->query, &o->search, &better);
  char *shown = ng_display_string(o->query);
  if (o->format == FORMAT_TEXT) fprintf(stderr, "nutgraf-query: no passages match '%s'\n", shown ? shown : "");
  if (better) fprintf(stderr, "nutgraf-query: did you mean: %s\n", better);
  free(shown);
  free(better);
  return 1;
}

int main(int argc, char **argv) {
  /* Before SQLite starts: no allocation statistics (nutgraf reads none),
   * which spares a global mutex on every allocation. */
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  query_options o;
  int status = parse_query_options(argc, argv, &o);
  if (status != 0) {
    free_query_options(&o);
    return status < 0 ? 0 : status;
  }
  ng_open_options oo = NG_OPEN_OPTIONS_INIT;
  ng_index *idx = NULL;
  int rc = ng_index_open(&idx, o.index_path, &oo);
  if (rc == NG_OK && !o.search.no_variants && !o.search.raw_fts5 && !o.search.all) {
    char *mine = user_variants_path();
    if (mine && *mine && access(mine, F_OK) == 0) rc = ng_index_add_variants(idx, mine);
    free(mine);
    for (size_t i = 0; rc == NG_OK && i < o.nvariants; i++) rc = ng_index_add_variants(idx, o.variants[i]);
  }
  status = rc == NG_OK ? search(idx, &o) : fail(idx, rc);
  ng_index_close(idx);
  free_query_options(&o);
  return status;
}
