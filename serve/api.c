/*
 * api.c -- the JSON endpoints: /search, /count, /suggest, /show, /timeline,
 * /health.
 *
 * Search parameters are read through one table, search_params[], from a
 * parameter's name to a field of ng_search_options and the way its value
 * is read; an option the library gains is one line there (and one in
 * nutgraf-serve(1)).  A parameter given twice, an unknown one or a bad
 * value is a 400 with the message nutgraf-query prints for the same
 * mistake; an empty value is the same as none (what an empty form field
 * sends).  Errors of the library keep its message: NG_EUSAGE is 400,
 * NG_EDATA (no index, or not one nutgraf can read) 503, anything else 500.
 *
 * /show answers nutgraf-query --show's story record (read_story, which
 * the page's story view reads too).
 *
 * /search answers one document holding nutgraf-query's JSON records:
 *   {"version":1,"query":Q,"interpreted":EXPLAIN,"total":N,"offset":O,
 *    "limit":L,"hits":[RECORD...],"suggestion":null|S}
 * "total" is the number of matching passages (nutgraf-query --count),
 * counted with ng_count unless a short page of every passage tells it
 * (offset + hits); "suggestion" is asked for only when nothing
 * matched, as nutgraf-query does.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

enum param_kind {
  P_BOOL,     /* 1/yes/true/on or 0/no/false/off; no value: yes */
  P_NOT_BOOL, /* the same, stored negated (variants=no sets no_variants) */
  P_LIMIT,    /* 1 .. --max-limit */
  P_OFFSET,   /* 0 .. --max-offset */
  P_DATE,     /* a date, read by the library */
  P_SORT,     /* rank or date */
  P_STORY,    /* 0 .. 1000 passages a story */
  P_SNIPPET   /* 1 .. 64 tokens, or whole (the whole passage: -1) */
};

typedef struct search_param {
  const char *name;
  int kind;
  size_t field; /* offsetof(ng_search_options, ...) */
} search_param;

static const search_param search_params[] = {
    {"limit", P_LIMIT, offsetof(ng_search_options, limit)},
    {"offset", P_OFFSET, offsetof(ng_search_options, offset)},
    {"any", P_BOOL, offsetof(ng_search_options, any)},
    {"sort", P_SORT, offsetof(ng_search_options, sort)},
    {"since", P_DATE, offsetof(ng_search_options, since)},
    {"until", P_DATE, offsetof(ng_search_options, until)},
    {"variants", P_NOT_BOOL, offsetof(ng_search_options, no_variants)},
    {"per-story", P_STORY, offsetof(ng_search_options, per_story)},
    {"collapse", P_NOT_BOOL, offsetof(ng_search_options, no_collapse)},
    {"snippet", P_SNIPPET, offsetof(ng_search_options, snippet_tokens)},
};
#define NPARAMS (sizeof search_params / sizeof search_params[0])

unsigned status_of(int rc) { return rc == NG_EUSAGE ? 400 : rc == NG_EDATA ? 503 : 500; }

static int read_bool(const char *v, int *out) {
  static const char *const yes[] = {"1", "yes", "true", "on"}, *const no[] = {"0", "no", "false", "off"};
  for (int i = 0; i < 4; i++) {
    if (strcmp(v, yes[i]) == 0) return *out = 1, 0;
    if (strcmp(v, no[i]) == 0) return *out = 0, 0;
  }
  return -1;
}

static int read_long(const char *v, long min, long max, long *out) {
  char *end;
  long n = strtol(v, &end, 10);
  if (end == v || *end || n < min || n > max || v[0] == '+' || v[0] == ' ') return -1;
  *out = n;
  return 0;
}

/* A string of valid UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!k || i + k > n || (k == 2 && c < 0xC2)) return 0;
    unsigned cp = k == 1 ? c : c & (0x7F >> k);
    for (size_t j = 1; j < k; j++) {
      if ((s[i + j] & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (s[i + j] & 0x3F);
    }
    if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return 0;
    i += k;
  }
  return 1;
}

int read_search_request(const serve_config *c, const param_list *p, const char *const *allowed, search_request *r,
                        answer *a) {
  ng_search_options defaults = NG_SEARCH_OPTIONS_INIT;
  memset(r, 0, sizeof *r);
  r->opts = defaults;
  r->opts.limit = 10;
  if (p->overflow)
    return answer_error(a, 400, "too many parameters (at most %zu)", sizeof p->item / sizeof p->item[0]), -1;
  for (size_t i = 0; i < p->n; i++) {
    const char *key = p->item[i].key, *v = p->item[i].value;
    for (size_t j = 0; j < i; j++) {
      if (strcmp(p->item[j].key, key) == 0) return answer_error(a, 400, "parameter '%.64s' given twice", key), -1;
    }
    if (v && strlen(v) != p->item[i].value_len)
      return answer_error(a, 400, "parameter '%.64s' holds a NUL byte", key), -1;
    if (!valid_utf8((const unsigned char *)(v ? v : ""), v ? p->item[i].value_len : 0))
      return answer_error(a, 400, "parameter '%.64s' is not valid UTF-8", key), -1;
    if (strcmp(key, "q") == 0) {
      if (v && strlen(v) > c->max_query)
        return answer_error(a, 414, "the query is longer than %zu bytes (see --max-query-length)", c->max_query), -1;
      r->q = v ? v : "";
      continue;
    }
    int known = 0;
    for (size_t k = 0; allowed && allowed[k] && !known; k++) known = strcmp(allowed[k], key) == 0;
    if (known) continue;
    const search_param *sp = NULL;
    for (size_t k = 0; k < NPARAMS && !sp; k++) {
      if (strcmp(search_params[k].name, key) == 0) sp = &search_params[k];
    }
    if (!sp) return answer_error(a, 400, "unknown parameter '%.64s'", key), -1;
    if (v && !*v) continue; /* an empty form field */
    char *field = (char *)&r->opts + sp->field;
    int flag;
    long n;
    switch (sp->kind) {
      case P_BOOL:
      case P_NOT_BOOL:
        if (!v) {
          flag = 1;
        } else if (read_bool(v, &flag) != 0) {
          return answer_error(a, 400, "%s is yes or no, not '%.64s'", key, v), -1;
        }
        *(int *)(void *)field = sp->kind == P_NOT_BOOL ? !flag : flag;
        break;
      case P_LIMIT:
        if (!v || read_long(v, 1, c->max_limit, &n) != 0)
          return answer_error(a, 400, "limit wants a number from 1 to %ld (see --max-limit), not '%.64s'", c->max_limit,
                              v ? v : ""),
                 -1;
        *(long *)(void *)field = n;
        break;
      case P_OFFSET:
        if (!v || read_long(v, 0, c->max_offset, &n) != 0)
          return answer_error(a, 400, "offset wants a number from 0 to %ld (see --max-offset), not '%.64s'",
                              c->max_offset, v ? v : ""),
                 -1;
        *(long *)(void *)field = n;
        break;
      case P_DATE:
        if (!v) return answer_error(a, 400, "%s wants a date (YYYY-MM-DD)", key), -1;
        *(const char **)(void *)field = v;
        break;
      case P_STORY:
        if (!v || read_long(v, 0, 1000, &n) != 0)
          return answer_error(a, 400, "per-story wants a number from 0 to 1000, not '%.64s'", v ? v : ""), -1;
        *(int *)(void *)field = (int)n;
        break;
      case P_SNIPPET:
        if (v && strcmp(v, "whole") == 0)
          n = -1;
        else if (!v || read_long(v, 1, 64, &n) != 0)
          return answer_error(a, 400, "snippet wants a number of words from 1 to 64 or whole, not '%.64s'", v ? v : ""),
                 -1;
        *(int *)(void *)field = (int)n;
        break;
      case P_SORT:
        if (v && strcmp(v, "rank") == 0)
          *(int *)(void *)field = NG_SORT_RANK;
        else if (v && strcmp(v, "date") == 0)
          *(int *)(void *)field = NG_SORT_DATE;
        else
          return answer_error(a, 400, "sort is rank or date, not '%.64s'", v ? v : ""), -1;
        break;
    }
  }
  return 0;
}

static const char *const token_param[] = {"access_token", NULL};

/* The library's error as the answer. */
static void library_error(answer *a, ng_index *idx, int rc) {
  metrics_library_error(rc);
  const char *m = ng_index_errmsg(idx);
  answer_error(a, status_of(rc), "%s", *m ? m : "out of memory");
}

static int need_query(const search_request *r, answer *a) {
  if (r->q) return 0;
  answer_error(a, 400, "no query given");
  return -1;
}

int search_document(ng_index *idx, const search_request *r, int explain, json_t **out) {
  *out = NULL;
  ng_results *res = NULL;
  char *explained = NULL, *suggestion = NULL;
  json_t *hits = json_array();
  int rc = hits ? ng_search(idx, r->q, &r->opts, &res) : NG_ESYSTEM;
  if (rc != NG_OK) goto done;
  const ng_hit *hit;
  long n = 0;
  while ((rc = ng_results_next(res, &hit)) == NG_ROW) {
    json_t *rec = cli_hit_record(hit, r->opts.offset + n + 1);
    if (!rec || json_array_append_new(hits, rec) != 0) {
      rc = NG_ESYSTEM;
      goto done;
    }
    n++;
  }
  if (rc < 0) goto done;
  long long total = r->opts.offset + n;
  if (n >= r->opts.limit || (n == 0 && r->opts.offset > 0) || r->opts.per_story != 0) {
    rc = ng_count(idx, r->q, &r->opts, &total);
    if (rc != NG_OK) goto done;
  }
  if (explain && (rc = ng_explain(idx, r->q, &r->opts, &explained)) != NG_OK) goto done;
  if (total == 0) ng_suggest(idx, r->q, &r->opts, &suggestion);
  *out = json_pack("{s:i,s:o,s:o,s:I,s:I,s:I,s:O,s:o}", "version", 1, "query", cli_json_string(r->q), "interpreted",
                   cli_json_string(explained), "total", (json_int_t)total, "offset", (json_int_t)r->opts.offset,
                   "limit", (json_int_t)r->opts.limit, "hits", hits, "suggestion", cli_json_string(suggestion));
  rc = *out ? NG_OK : NG_ESYSTEM;
done:
  ng_results_free(res);
  json_decref(hits);
  free(explained);
  free(suggestion);
  return rc;
}

void api_search(const serve_config *c, handle *h, const param_list *p, answer *a) {
  search_request r;
  if (read_search_request(c, p, token_param, &r, a) != 0 || need_query(&r, a) != 0) return;
  ng_index *idx = handle_index(h);
  json_t *doc = NULL;
  int rc = search_document(idx, &r, 1, &doc);
  if (rc != NG_OK) {
    library_error(a, idx, rc);
    return;
  }
  answer_json(a, 200, doc);
  a->cacheable = 1;
}

void api_count(const serve_config *c, handle *h, const param_list *p, answer *a) {
  search_request r;
  if (read_search_request(c, p, token_param, &r, a) != 0 || need_query(&r, a) != 0) return;
  ng_index *idx = handle_index(h);
  long long n = 0;
  int rc = ng_count(idx, r.q, &r.opts, &n);
  if (rc != NG_OK) {
    library_error(a, idx, rc);
    return;
  }
  answer_json(a, 200, json_pack("{s:i,s:o,s:I}", "version", 1, "query", cli_json_string(r.q), "count", (json_int_t)n));
  a->cacheable = 1;
}

void api_suggest(const serve_config *c, handle *h, const param_list *p, answer *a) {
  search_request r;
  if (read_search_request(c, p, token_param, &r, a) != 0 || need_query(&r, a) != 0) return;
  ng_index *idx = handle_index(h);
  char *s = NULL;
  int rc = ng_suggest(idx, r.q, &r.opts, &s);
  if (rc != NG_OK) {
    library_error(a, idx, rc);
    return;
  }
  answer_json(
      a, 200,
      json_pack("{s:i,s:o,s:o}", "version", 1, "query", cli_json_string(r.q), "suggestion", cli_json_string(s)));
  a->cacheable = 1;
  free(s);
}

/* The value of parameter key, or NULL. */
static const char *param_value(const param_list *p, const char *key) {
  for (size_t i = 0; i < p->n; i++)
    if (strcmp(p->item[i].key, key) == 0) return p->item[i].value ? p->item[i].value : "";
  return NULL;
}

static const char *const show_params[] = {"access_token", "story", NULL};

/* where as a message shows it: one line, at most 200 bytes. */
static void shown_where(const char *where, char *out, size_t n) {
  size_t k = 0;
  for (const char *c = where; *c && k + 1 < n && k < 200; c++) out[k++] = (unsigned char)*c < 0x20 ? '?' : *c;
  out[k] = '\0';
}

int read_story(ng_index *idx, const char *where, ng_story **out) {
  *out = NULL;
  long long doc = 0;
  int rc = ng_story_find(idx, where, &doc);
  if (rc == NG_OK) rc = ng_story_get(idx, doc, 0, -1, out);
  return rc;
}

void api_show(const serve_config *c, handle *h, const param_list *p, answer *a) {
  search_request r;
  if (read_search_request(c, p, show_params, &r, a) != 0) return;
  const char *where = param_value(p, "story");
  if (!where || !*where) {
    answer_error(a, 400, "no story given (story=PATH or story=FEED:ID)");
    return;
  }
  ng_index *idx = handle_index(h);
  ng_story *s = NULL;
  int rc = read_story(idx, where, &s);
  if (rc == NG_DONE) {
    char shown[208];
    shown_where(where, shown, sizeof shown);
    answer_error(a, 404, "no story is stored at %s", shown);
    return;
  }
  if (rc != NG_OK) {
    library_error(a, idx, rc);
    return;
  }
  json_t *rec = cli_story_record(s);
  ng_story_free(s);
  if (!rec) {
    answer_error(a, 500, "out of memory");
    return;
  }
  answer_json(a, 200, rec);
  a->cacheable = 1;
}

static const char *const timeline_params[] = {"access_token", "by", NULL};

void api_timeline(const serve_config *c, handle *h, const param_list *p, answer *a) {
  static const char *const names[] = {"day", "week", "month", "source"};
  search_request r;
  if (read_search_request(c, p, timeline_params, &r, a) != 0 || need_query(&r, a) != 0) return;
  const char *by_name = param_value(p, "by");
  int by = -1;
  for (int i = 0; i < 4; i++)
    if (strcmp(by_name && *by_name ? by_name : "day", names[i]) == 0) by = i;
  if (by < 0) {
    answer_error(a, 400, "by is day, week, month or source, not '%.64s'", by_name);
    return;
  }
  ng_index *idx = handle_index(h);
  ng_bucket *b = NULL;
  size_t n = 0;
  int rc = ng_count_by(idx, r.q, &r.opts, by, &b, &n);
  if (rc != NG_OK) {
    library_error(a, idx, rc);
    return;
  }
  json_t *buckets = json_array();
  for (size_t i = 0; buckets && i < n; i++) {
    json_t *o = json_pack("{s:o,s:I,s:I}", "key", cli_json_string(b[i].key), "passages", (json_int_t)b[i].passages,
                          "stories", (json_int_t)b[i].stories);
    if (o) json_array_append_new(buckets, o);
  }
  ng_buckets_free(b, n);
  json_t *doc = buckets ? json_pack("{s:i,s:o,s:s,s:o}", "version", 1, "query", cli_json_string(r.q), "by", names[by],
                                    "buckets", buckets)
                        : NULL;
  if (!doc) {
    answer_error(a, 500, "out of memory");
    return;
  }
  answer_json(a, 200, doc);
  a->cacheable = 1;
}

static json_t *iso_time(long long ns) {
  if (!ns) return json_null();
  time_t t = (time_t)(ns / 1000000000LL);
  struct tm tm;
  char text[32];
  if (!gmtime_r(&t, &tm) || !strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm)) return json_null();
  return json_string(text);
}

/* The index's last change (ng_index_last_indexed reads every document
 * row): kept with the version of the files it was read from, and read
 * again only when they have changed.  As for ETags (index.c), files
 * written in the last two seconds may change again within one tick of the
 * file system's clock: their reading is not kept. */
static struct {
  pthread_mutex_t lock;
  index_version version;
  long long ns;
  int known;
} last_change = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0};

static int same_files(const index_version *a, const index_version *b) {
  return a->present == b->present && a->dev == b->dev && a->ino == b->ino && a->db_size == b->db_size &&
         a->db_mtime_ns == b->db_mtime_ns && a->wal_present == b->wal_present && a->wal_size == b->wal_size &&
         a->wal_mtime_ns == b->wal_mtime_ns;
}

static int index_last_change(ng_index *idx, const index_version *v, long long *ns) {
  pthread_mutex_lock(&last_change.lock);
  int known = last_change.known && same_files(&last_change.version, v);
  *ns = last_change.ns;
  pthread_mutex_unlock(&last_change.lock);
  if (known) return NG_OK;
  int rc = ng_index_last_indexed(idx, ns);
  if (rc != NG_OK) return rc;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  long long newest = v->db_mtime_ns > v->wal_mtime_ns ? v->db_mtime_ns : v->wal_mtime_ns;
  pthread_mutex_lock(&last_change.lock);
  last_change.version = *v;
  last_change.ns = *ns;
  last_change.known = (long long)now.tv_sec * 1000000000LL + now.tv_nsec - newest >= 2000000000LL;
  pthread_mutex_unlock(&last_change.lock);
  return NG_OK;
}

void api_health(const serve_config *c, handle *h, answer *a) {
  ng_index *idx = handle_index(h);
  ng_index_stats st;
  index_version v;
  long long changed = 0;
  /* The files' stat first: a commit after it makes the next call read the
   * last change again. */
  read_index_version(c->index_path, &v);
  int rc = ng_index_get_stats(idx, &st);
  if (rc == NG_OK) rc = index_last_change(idx, &v, &changed);
  if (rc != NG_OK) {
    library_error(a, idx, rc);
    return;
  }
  long long newest = v.db_mtime_ns > v.wal_mtime_ns ? v.db_mtime_ns : v.wal_mtime_ns;
  answer_json(
      a, 200,
      json_pack("{s:s,s:o,s:s,s:i,s:I,s:I,s:I,s:o,s:o,s:s}", "status", "ok", "index", cli_json_string(c->index_path),
                "language", ng_index_language(idx), "schema_version", NG_SCHEMA_VERSION, "documents",
                (json_int_t)st.documents, "passages", (json_int_t)st.passages, "bytes", (json_int_t)st.bytes,
                "last_change", iso_time(changed), "files_modified", iso_time(newest), "nutgraf", NG_VERSION_STRING));
}
