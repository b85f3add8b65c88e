/*
 * page.c -- the search page at /.
 *
 * One HTML page, page.html, compiled into the program (cmake/embed.cmake).
 * The server fills it in: the form's values and, when the request has a
 * query, the results, rendered here from the same JSON document /search
 * answers, so the page works without JavaScript; its small script then
 * takes over searching and paging through /search, drawing the same HTML.
 * The story view (?story=) is the whole story, read as /show reads it,
 * with the passages that match the query marked: a search of the query
 * restricted to the story (story_query) whose snippets are whole passages
 * (snippet=whole); the script asks /show and then /search for the same.
 *
 * Everything that comes from the request or the index is escaped
 * (headlines may hold "<script>"); a link to a story's URL is made only for
 * http: and https: URLs.  The page's style and script carry a nonce that a
 * Content-Security-Policy header requires, so no other script runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "serve.h"

extern const char ng_serve_page[];

/* A growing string; out of memory sticks. */
typedef struct text {
  char *data;
  size_t len, cap;
  int oom;
} text;

static void put_n(text *t, const char *s, size_t n) {
  if (t->oom) return;
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->len + n + 1) cap *= 2;
    char *d = realloc(t->data, cap);
    if (!d) {
      t->oom = 1;
      return;
    }
    t->data = d;
    t->cap = cap;
  }
  memcpy(t->data + t->len, s, n);
  t->len += n;
  t->data[t->len] = '\0';
}

static void put(text *t, const char *s) { put_n(t, s, strlen(s)); }

/* s escaped for HTML text and attribute values. */
static void put_escaped_n(text *t, const char *s, size_t n) {
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    const char *e = NULL;
    switch (s[i]) {
      case '&': e = "&amp;"; break;
      case '<': e = "&lt;"; break;
      case '>': e = "&gt;"; break;
      case '"': e = "&quot;"; break;
      case '\'': e = "&#39;"; break;
      default: continue;
    }
    put_n(t, s + run, i - run);
    put(t, e);
    run = i + 1;
  }
  put_n(t, s + run, n - run);
}

static void put_escaped(text *t, const char *s) { put_escaped_n(t, s, strlen(s)); }

/* s percent-encoded for a query string. */
static void put_encoded(text *t, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~", *p)) {
      put_n(t, (const char *)p, 1);
    } else {
      char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
      put_n(t, e, 3);
    }
  }
}

/* The request's values the links carry. */
typedef struct page_state {
  const char *q, *since, *until, *sort, *any, *token;
  const char *story;   /* the story shown, as the request names it, or NULL: the results */
  const char *story_q; /* the story view's search (story_query), or NULL */
} page_state;

static const char *param(const param_list *p, const char *key) {
  for (size_t i = 0; i < p->n; i++) {
    if (strcmp(p->item[i].key, key) == 0) return p->item[i].value ? p->item[i].value : "";
  }
  return NULL;
}

/* A link (already escaped for an attribute) to path with the state's
 * values, q replaced by q when non-NULL, story (NULL: none), and offset. */
static void put_link_to(text *t, const char *path, const page_state *s, const char *q, const char *story, long offset,
                        int with_limit) {
  text u = {0};
  put(&u, path);
  char sep = '?';
  const char *keys[] = {"q", "since", "until", "sort", "any", "story", "access_token"};
  const char *values[] = {q ? q : s->q, s->since, s->until, s->sort, s->any, story, s->token};
  for (int i = 0; i < 7; i++) {
    if (!values[i] || !*values[i] || (i == 3 && strcmp(values[i], "rank") == 0)) continue;
    put_n(&u, &sep, 1);
    sep = '&';
    put(&u, keys[i]);
    put(&u, "=");
    put_encoded(&u, values[i]);
  }
  char num[48];
  if (offset > 0) {
    snprintf(num, sizeof num, "%coffset=%ld", sep, offset);
    put(&u, num);
    sep = '&';
  }
  if (with_limit) {
    snprintf(num, sizeof num, "%climit=10", sep);
    put(&u, num);
  }
  if (u.oom) t->oom = 1;
  if (u.data) put_escaped(t, u.data);
  free(u.data);
}

static void put_link(text *t, const char *path, const page_state *s, const char *q, long offset, int with_limit) {
  put_link_to(t, path, s, q, NULL, offset, with_limit);
}

static const char *member(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The snippet with <mark>s where its highlights are (code points). */
static void put_snippet(text *t, const char *s, const json_t *marks) {
  size_t at = 0, cp = 0, n = strlen(s);
  size_t i;
  json_t *m;
  json_array_foreach(marks, i, m) {
    size_t from = (size_t)json_integer_value(json_array_get(m, 0)),
           to = (size_t)json_integer_value(json_array_get(m, 1));
    size_t a = at;
    while (a < n && cp < from) {
      a++;
      while (a < n && ((unsigned char)s[a] & 0xC0) == 0x80) a++;
      cp++;
    }
    put_escaped_n(t, s + at, a - at);
    size_t b = a;
    while (b < n && cp < to) {
      b++;
      while (b < n && ((unsigned char)s[b] & 0xC0) == 0x80) b++;
      cp++;
    }
    put(t, "<mark>");
    put_escaped_n(t, s + a, b - a);
    put(t, "</mark>");
    at = b;
  }
  put_escaped_n(t, s + at, n - at);
}

/* The headline (a link to the story's URL when it is http: or https:). */
static void put_title(text *t, const json_t *r) {
  const char *title = member(r, "title"), *url = member(r, "url"), *path = member(r, "path");
  if (!title || !*title) title = path ? path : "";
  int link = url && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
  if (link) {
    put(t, "<a href=\"");
    put_escaped(t, url);
    put(t, "\" rel=\"noopener noreferrer\">");
  }
  put_escaped(t, title);
  if (link) put(t, "</a>");
}

/* Dateline, date, source and (with line) the file and line of the hit. */
static void put_meta(text *t, const json_t *r, int line) {
  const char *dateline = member(r, "dateline"), *date = member(r, "date"), *source = member(r, "source");
  const char *path = member(r, "path");
  put(t, "<p class=\"meta\">");
  if (dateline) {
    put(t, "<span class=\"dateline\">");
    put_escaped(t, dateline);
    put(t, "</span>");
  }
  if (date) {
    put(t, "<span class=\"date\">");
    put_escaped_n(t, date, strlen(date) > 10 ? 10 : strlen(date));
    put(t, "</span>");
  }
  if (source) {
    put(t, "<span class=\"source\">");
    put_escaped(t, source);
    put(t, "</span>");
  }
  const char *base = path ? strrchr(path, '/') : NULL;
  put(t, "<span class=\"where\">");
  put_escaped(t, base ? base + 1 : path ? path : "");
  if (line) {
    char at[32];
    snprintf(at, sizeof at, ":%lld", (long long)json_integer_value(json_object_get(r, "first_line")));
    put(t, at);
  }
  put(t, "</span></p>");
}

/* The story's copies (other files of its duplicate group), folded. */
static void put_copies(text *t, const json_t *r) {
  long long copies = json_integer_value(json_object_get(r, "copies"));
  if (copies < 2) return;
  char line[96];
  snprintf(line, sizeof line, "<details class=\"copies\"><summary>%lld %s</summary><ul>", copies - 1,
           copies == 2 ? "copy" : "copies");
  put(t, line);
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(r, "copy_paths"), i, c) {
    put(t, "<li>");
    put_escaped(t, json_is_string(c) ? json_string_value(c) : "");
    put(t, "</li>");
  }
  if ((long long)json_array_size(json_object_get(r, "copy_paths")) < copies - 1) put(t, "<li>\xE2\x80\xA6</li>");
  put(t, "</ul></details>");
}

/* A link to the story view of record r: the story named as the index
 * stores it, a feed record "FEED//#ID" ("stdin#ID" when read from
 * standard input), which /show reads as it reads a file's path.  As the
 * script's storedPath. */
static void put_story_link(text *t, const json_t *r, const page_state *s, long offset) {
  const char *path = member(r, "path"), *feed = member(r, "feed"), *id = member(r, "id");
  text stored = {0};
  if (feed && id) {
    int from_stdin = strcmp(feed, "stdin") == 0;
    put(&stored, from_stdin ? "stdin#" : feed);
    if (!from_stdin) put(&stored, "//#");
    put(&stored, id);
  } else {
    put(&stored, path ? path : "");
  }
  if (stored.oom) t->oom = 1;
  put_link_to(t, "/", s, NULL, stored.data ? stored.data : "", offset, 0);
  free(stored.data);
}

static void put_hit(text *t, const json_t *r, const page_state *s, long offset) {
  put(t, "<li class=\"hit\"><h2>");
  put_title(t, r);
  put(t, "</h2>");
  put_meta(t, r, 1);
  put(t, "<p class=\"snippet\">");
  put_snippet(t, member(r, "snippet") ? member(r, "snippet") : "", json_object_get(r, "highlights"));
  put(t, "</p><p class=\"story-links\"><a class=\"story\" href=\"");
  put_story_link(t, r, s, offset);
  put(t, "\">");
  long long more = json_integer_value(json_object_get(r, "more"));
  char line[64];
  if (more > 0)
    snprintf(line, sizeof line, "+%lld more in this story", more);
  else
    snprintf(line, sizeof line, "The story");
  put(t, line);
  put(t, "</a></p>");
  put_copies(t, r);
  put(t, "</li>");
}

static void put_results(text *t, const json_t *doc, const page_state *s) {
  long long total = json_integer_value(json_object_get(doc, "total"));
  long offset = (long)json_integer_value(json_object_get(doc, "offset"));
  long limit = (long)json_integer_value(json_object_get(doc, "limit"));
  const json_t *hits = json_object_get(doc, "hits");
  long n = (long)json_array_size(hits);
  char line[160];
  /* A hit is a story (its best passage); total counts passages, so the
   * last page is the first short one. */
  const char *passages = total == 1 ? "passage matches" : "passages match";
  if (total == 0)
    snprintf(line, sizeof line, "No passages match.");
  else if (n == 0)
    snprintf(line, sizeof line, "No more stories past %ld (%lld %s).", offset, total, passages);
  else
    snprintf(line, sizeof line, "Stories %ld\xE2\x80\x93%ld \xC2\xB7 %lld %s", offset + 1, offset + n, total, passages);
  put(t, "<p class=\"status\">");
  put(t, line);
  put(t, "</p>");
  const char *suggestion = member(doc, "suggestion");
  if (suggestion) {
    put(t, "<p class=\"suggestion\">Did you mean <a href=\"");
    put_link(t, "/", s, suggestion, 0, 0);
    put(t, "\">");
    put_escaped(t, suggestion);
    put(t, "</a>?</p>");
  }
  snprintf(line, sizeof line, "<ol class=\"hits\" start=\"%ld\">", offset + 1);
  put(t, line);
  size_t i;
  json_t *r;
  json_array_foreach(hits, i, r) put_hit(t, r, s, offset);
  put(t, "</ol><nav class=\"pager\">");
  if (offset > 0) {
    put(t, "<a rel=\"prev\" href=\"");
    put_link(t, "/", s, NULL, offset > limit ? offset - limit : 0, 0);
    put(t, "\">\xE2\x86\x90 Previous</a>");
  } else {
    put(t, "<span></span>");
  }
  if (n >= limit && offset + n < total) {
    put(t, "<a rel=\"next\" href=\"");
    put_link(t, "/", s, NULL, offset + n, 0);
    put(t, "\">Next \xE2\x86\x92</a>");
  }
  put(t, "</nav>");
}

/* The story view's search: the passages of the story that match the
 * query, every one of them (per-story 0).  The story is named by a path:
 * filter written first (an unclosed quote in the query cannot swallow
 * it) as a glob that matches its stored path whole: '*', '?' and '[' are
 * bracketed, '"' and '\' (which a glob or the quotes would read) are
 * matched by '?', and a path with none of these gets its first character
 * bracketed to be a glob at all.  The hits are still checked for the
 * story's document (a query that does not parse is read as plain words,
 * filter and all).  As the script's storyQuery. */
static char *story_query(const char *path, const char *q) {
  text t = {0};
  put(&t, "path:\"");
  int glob = 0;
  for (const char *c = path; *c; c++) {
    if (*c == '*' || *c == '?' || *c == '[') {
      char b[4] = {'[', *c, ']', 0};
      put(&t, b);
      glob = 1;
    } else if (*c == '"' || *c == '\\') {
      put(&t, "?");
      glob = 1;
    } else if (!glob && c == path && !strchr("]!^-", *c)) {
      char b[4] = {'[', *c, ']', 0};
      put(&t, b);
      glob = 1;
    } else {
      put_n(&t, c, 1);
    }
  }
  put(&t, "\" (");
  put(&t, q);
  put(&t, ")");
  if (t.oom) {
    free(t.data);
    return NULL;
  }
  return t.data;
}

/* The story view's opening: the section and the link back to the results
 * (page back); the caller closes the section. */
static void put_story_head(text *t, const page_state *s, long back) {
  put(t, "<section class=\"story\" data-story=\"");
  put_escaped(t, s->story);
  put(t, "\"><p class=\"back\"><a rel=\"up\" href=\"");
  put_link(t, "/", s, NULL, back, 0);
  put(t, "\">\xE2\x86\x90 Back to the results</a></p>");
}

/* The story view of a story the index no longer holds (/show's 404). */
static void put_story_gone(text *t, const page_state *s, long back) {
  put_story_head(t, s, back);
  put(t, "<p class=\"status error\">No story is stored at ");
  put_escaped(t, s->story);
  put(t, "; it may have been removed from the index.</p></section>");
}

/* The story view: the whole story (story, its /show record) with its
 * headline and metadata, every passage in the story's order; a passage
 * the search (doc, of story_query) found -- a hit of the story's document
 * and ordinal whose snippet, the whole passage, is its text -- is
 * "passage match" with the query's matches marked.  The copies are those
 * of the story's best hit.  As the script's renderStory. */
static void put_story(text *t, const json_t *story, const json_t *doc, const page_state *s, long back) {
  const json_t *passages = json_object_get(story, "passages"), *hits = json_object_get(doc, "hits");
  json_int_t doc_id = json_integer_value(json_object_get(story, "doc_id"));
  size_t np = json_array_size(passages), nmatch = 0, i, k;
  const json_t **hit_of = calloc(np + 1, sizeof *hit_of), *first = NULL, *p, *r;
  if (!hit_of) {
    t->oom = 1;
    return;
  }
  json_array_foreach(hits, k, r) {
    if (json_integer_value(json_object_get(r, "doc_id")) == doc_id) {
      first = r;
      break;
    }
  }
  json_array_foreach(passages, i, p) {
    json_int_t ordinal = json_integer_value(json_object_get(p, "ordinal"));
    json_array_foreach(hits, k, r) {
      if (json_integer_value(json_object_get(r, "doc_id")) != doc_id ||
          json_integer_value(json_object_get(r, "ordinal")) != ordinal)
        continue;
      const char *snippet = member(r, "snippet"), *passage = member(p, "text");
      if (snippet && passage && strcmp(snippet, passage) == 0) hit_of[i] = r, nmatch++;
      break;
    }
  }
  put_story_head(t, s, back);
  put(t, "<h2>");
  put_title(t, story);
  put(t, "</h2>");
  put_meta(t, story, 0);
  char line[200], matching[64];
  if (nmatch == 0)
    snprintf(matching, sizeof matching, "none match");
  else if (nmatch == 1)
    snprintf(matching, sizeof matching, "1 matches");
  else
    snprintf(matching, sizeof matching, "%zu match", nmatch);
  snprintf(line, sizeof line, "<p class=\"status\">%zu %s in this story; %s the query.</p>", np,
           np == 1 ? "passage" : "passages", matching);
  put(t, line);
  if (first) put_copies(t, first);
  put(t, "<ol class=\"passages\">");
  json_array_foreach(passages, i, p) {
    long long ordinal = json_integer_value(json_object_get(p, "ordinal"));
    const char *cls = hit_of[i] ? "passage match" : "passage";
    if (ordinal == 0)
      snprintf(line, sizeof line, "<li class=\"%s\"><p class=\"meta\"><span>Headline</span>", cls);
    else
      snprintf(line, sizeof line, "<li class=\"%s\"><p class=\"meta\"><span>Paragraph %lld</span>", cls, ordinal);
    put(t, line);
    snprintf(line, sizeof line, "<span>line %lld</span></p><p class=\"text\">",
             (long long)json_integer_value(json_object_get(p, "first_line")));
    put(t, line);
    const char *text_of = member(p, "text") ? member(p, "text") : "";
    if (hit_of[i])
      put_snippet(t, text_of, json_object_get(hit_of[i], "highlights"));
    else
      put_escaped(t, text_of);
    put(t, "</p></li>");
  }
  put(t, "</ol></section>");
  free(hit_of);
}

/* Writes the value of the template's {{name}}. */
static void put_field(text *t, const char *name, size_t n, const page_state *s, const char *results, const char *nonce,
                      long offset, long max_limit) {
#define IS(k) (n == sizeof k - 1 && memcmp(name, k, n) == 0)
  if (IS("nonce")) {
    put(t, nonce);
  } else if (IS("title")) {
    if (s->q && *s->q) {
      put_escaped(t, s->q);
      put(t, " \xE2\x80\x93 ");
    }
    put(t, "nutgraf");
  } else if (IS("home")) {
    page_state none = {NULL, NULL, NULL, NULL, NULL, s->token, NULL, NULL};
    put_link(t, "/", &none, NULL, 0, 0);
  } else if (IS("q")) {
    put_escaped(t, s->q ? s->q : "");
  } else if (IS("since")) {
    put_escaped(t, s->since ? s->since : "");
  } else if (IS("until")) {
    put_escaped(t, s->until ? s->until : "");
  } else if (IS("sort_date")) {
    if (s->sort && strcmp(s->sort, "date") == 0) put(t, " selected");
  } else if (IS("any")) {
    if (s->any && *s->any && strcmp(s->any, "0") != 0 && strcmp(s->any, "no") != 0) put(t, " checked");
  } else if (IS("token_field")) {
    if (s->token) {
      put(t, "<input type=\"hidden\" name=\"access_token\" value=\"");
      put_escaped(t, s->token);
      put(t, "\">");
    }
  } else if (IS("results")) {
    put(t, results);
  } else if (IS("version")) {
    put(t, NG_VERSION_STRING);
  } else if (IS("max_limit")) {
    char num[32];
    snprintf(num, sizeof num, "%ld", max_limit);
    put(t, num);
  } else if (IS("api_link")) {
    if (s->story_q) {
      /* The story view's search, as the page's script makes it. */
      page_state api = {NULL, NULL, NULL, NULL, s->any, s->token, NULL, NULL};
      char tail[96];
      put_link(t, "/search", &api, s->story_q, 0, 0);
      snprintf(tail, sizeof tail, "&amp;per-story=0&amp;limit=%ld&amp;snippet=whole", max_limit);
      put(t, tail);
    } else {
      put_link(t, "/search", s, NULL, offset, 1);
    }
  }
#undef IS
}

void page_render(const serve_config *c, handle *h, const param_list *p, const char *index_error, answer *a) {
  page_state s = {param(p, "q"),   param(p, "since"),        param(p, "until"), param(p, "sort"),
                  param(p, "any"), param(p, "access_token"), param(p, "story"), NULL};
  if (s.story && !*s.story) s.story = NULL;
  text results = {0}, out = {0};
  char *restricted = NULL;
  unsigned status = 200;
  long offset = 0;
  if (index_error) {
    status = 503;
    put(&results, "<p class=\"status error\">");
    put_escaped(&results, index_error);
    put(&results, "</p>");
  } else if (s.q && *s.q) {
    static const char *const allowed[] = {"access_token", "story", NULL};
    search_request r;
    answer bad = {0};
    json_t *doc = NULL;
    int rc = NG_OK;
    long back = 0;
    int bad_request = read_search_request(c, p, allowed, &r, &bad) != 0;
    ng_index *idx = handle_index(h);
    ng_story *story = NULL;
    json_t *record = NULL;
    const char *why = NULL; /* a message of the page's own, or NULL: the library's */
    if (bad_request) {
      status = bad.status;
      json_t *j = json_loadb(bad.body, bad.len, 0, NULL);
      put(&results, "<p class=\"status error\">");
      put_escaped(&results, j ? member(j, "error") ? member(j, "error") : "bad request" : "bad request");
      put(&results, "</p>");
      json_decref(j);
    } else if (s.story) {
      /* The story view: the story, then every matching passage of it, one
       * page, each snippet the whole passage. */
      back = r.opts.offset;
      rc = read_story(idx, s.story, &story);
      if (rc == NG_OK) {
        record = cli_story_record(story);
        restricted = story_query(story->path, r.q);
        if (!record || !restricted) rc = NG_ESYSTEM, why = "out of memory";
      }
      if (rc == NG_OK) {
        r.q = restricted;
        s.story_q = restricted;
        r.opts.per_story = 0;
        r.opts.offset = 0;
        r.opts.limit = c->max_limit;
        r.opts.since = r.opts.until = NULL;
        r.opts.snippet_tokens = -1;
        rc = search_document(idx, &r, 0, &doc);
      }
    } else {
      rc = search_document(idx, &r, 0, &doc);
    }
    if (bad_request) {
      /* said above */
    } else if (s.story && rc == NG_DONE) {
      status = 404;
      put_story_gone(&results, &s, back);
    } else if (rc != NG_OK) {
      metrics_library_error(rc);
      status = status_of(rc);
      const char *m = why ? why : ng_index_errmsg(idx);
      put(&results, "<p class=\"status error\">");
      put_escaped(&results, *m ? m : "out of memory");
      put(&results, "</p>");
    } else if (s.story) {
      put_story(&results, record, doc, &s, back);
    } else {
      offset = r.opts.offset;
      put_results(&results, doc, &s);
    }
    json_decref(record);
    ng_story_free(story);
    json_decref(doc);
    free(bad.body);
  } else if (s.story) {
    put(&results, "<p class=\"status\">A story is opened from the results of a search.</p>");
  }
  unsigned char raw[16];
  char nonce[33];
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) memset(raw, 0x5a, sizeof raw);
  for (int i = 0; i < 16; i++) snprintf(nonce + 2 * i, 3, "%02x", raw[i]);
  /* The template: {{name}} is a field, everything else is copied. */
  const char *tpl = ng_serve_page;
  for (;;) {
    const char *open = strstr(tpl, "{{");
    const char *close = open ? strstr(open + 2, "}}") : NULL;
    if (!close) {
      put(&out, tpl);
      break;
    }
    put_n(&out, tpl, (size_t)(open - tpl));
    put_field(&out, open + 2, (size_t)(close - open - 2), &s, results.data ? results.data : "", nonce, offset,
              c->max_limit);
    tpl = close + 2;
  }
  free(restricted);
  free(results.data);
  if (out.oom || results.oom) {
    free(out.data);
    answer_error(a, 500, "out of memory");
    return;
  }
  a->status = status;
  a->body = out.data;
  a->len = out.len;
  a->type = "text/html; charset=utf-8";
  snprintf(a->csp, sizeof a->csp,
           "default-src 'none'; style-src 'nonce-%s'; script-src 'nonce-%s'; connect-src 'self'; img-src 'self'; "
           "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
           nonce, nonce);
}
