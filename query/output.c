/*
 * output.c -- hits, stories and timelines as text for people, path:line:
 * for editors, JSON Lines for programs.
 *
 * The JSON records (version NG_JSON_VERSION, built in cli/record.c) are a
 * contract documented in nutgraf-query(1) and docs/json-schema.json:
 * fields are only ever added, with the version raised when a field
 * changes meaning.  Each record's "type" says which it is.  Snippets arrive with NG_MARK_OPEN and
 * NG_MARK_CLOSE around matches; text output turns them into colour or
 * [brackets], JSON into "highlights" offsets (in characters) so the
 * snippet itself stays plain text.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query.h"

#define C_PATH "\033[35m"
#define C_LINE "\033[32m"
#define C_HEAD "\033[1m"
#define C_MATCH "\033[1;31m"
#define C_OFF "\033[0m"

void printer_init(printer *p, const query_options *o, FILE *out) {
  p->o = o;
  p->out = out;
  p->cwd = o->format == FORMAT_JSON ? NULL : getcwd(NULL, 0);
  p->rank = o->search.offset;
  p->idx = NULL;
  p->topic = NULL;
  p->groups = 0;
}

void printer_free(printer *p) { free(p->cwd); }

/* The path to show: relative to the working directory when under it. */
static const char *shown_path(const printer *p, const char *path) {
  if (!p->cwd) return path;
  size_t n = strlen(p->cwd);
  if (n > 1 && strncmp(path, p->cwd, n) == 0 && path[n] == '/') return path + n + 1;
  return path;
}

static void put_path(printer *p, const char *path) {
  char *d = ng_display_string(shown_path(p, path));
  fprintf(p->out, "%s%s%s", p->o->color ? C_PATH : "", d ? d : "?", p->o->color ? C_OFF : "");
  free(d);
}

static char *copy_bytes(const char *s, size_t n) {
  char *c = malloc(n + 1);
  if (c) {
    memcpy(c, s, n);
    c[n] = '\0';
  }
  return c;
}

/* n bytes of stored text, escaped as ng_display_string escapes: a title
 * or a passage may hold bidirectional or zero-width characters (decode.c
 * already made control characters spaces), and text output is for a
 * terminal. */
void put_text(printer *p, const char *s, size_t n) {
  char *copy = copy_bytes(s, n);
  char *shown = copy ? ng_display_string(copy) : NULL;
  fputs(shown ? shown : "?", p->out);
  free(shown);
  free(copy);
}

static void put_snippet(printer *p, const char *s) {
  while (*s) {
    size_t n = strcspn(s, "\x01\x02");
    if (n) put_text(p, s, n);
    s += n;
    if (*s == NG_MARK_OPEN)
      fputs(p->o->color ? C_MATCH : "[", p->out);
    else if (*s == NG_MARK_CLOSE)
      fputs(p->o->color ? C_OFF : "]", p->out);
    if (*s) s++;
  }
}

int print_record(printer *p, json_t *o) {
  if (!o) return -1;
  if (p->topic) json_object_set_new(o, "topic", cli_json_string(p->topic));
  int rc = json_dumpf(o, p->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  if (rc != 0 || fputc('\n', p->out) == EOF) return -1;
  return 0;
}

/* --context: the passages around a hit, before (ordinals below it) and
 * after; *before and *after index into story's passages. */
typedef struct around {
  ng_story *story;
  size_t nbefore, at_after; /* passages [0, nbefore) before, [at_after, n) after */
} around;

static int read_around(printer *p, const ng_hit *h, around *a) {
  memset(a, 0, sizeof *a);
  if (!p->o->context || !p->idx) return 0;
  int from = h->ordinal - (int)p->o->context, to = h->ordinal + (int)p->o->context;
  if (ng_story_get(p->idx, h->doc_id, from < 0 ? 0 : from, to, &a->story) != NG_OK) return -1;
  size_t n = a->story->npassages;
  while (a->nbefore < n && a->story->passages[a->nbefore].ordinal < h->ordinal) a->nbefore++;
  a->at_after = a->nbefore;
  while (a->at_after < n && a->story->passages[a->at_after].ordinal <= h->ordinal) a->at_after++;
  return 0;
}

static json_t *passages_json(const ng_passage *ps, size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < n; i++) {
    json_t *one = cli_passage_record(&ps[i]);
    if (!one || json_array_append_new(arr, one) != 0) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

static int print_json(printer *p, const ng_hit *h, const around *a) {
  json_t *o = cli_hit_record(h, p->rank);
  if (!o) return -1;
  if (a->story) {
    json_t *before = passages_json(a->story->passages, a->nbefore);
    json_t *after = passages_json(a->story->passages + a->at_after, a->story->npassages - a->at_after);
    if (!before || !after) {
      json_decref(before);
      json_decref(after);
      json_decref(o);
      return -1;
    }
    json_object_set_new(o, "context_before", before);
    json_object_set_new(o, "context_after", after);
  }
  return print_record(p, o);
}

/* A context passage in grep's form, "path-LINE-text" (grep -C). */
static void put_grep_context(printer *p, const char *path, const ng_passage *ps, size_t n) {
  for (size_t i = 0; i < n; i++) {
    put_path(p, path);
    fprintf(p->out, "-%s%d%s-", p->o->color ? C_LINE : "", ps[i].first_line, p->o->color ? C_OFF : "");
    put_text(p, ps[i].text, strlen(ps[i].text));
    fputc('\n', p->out);
  }
}

/* A context passage under a hit in text: "   LINE- text". */
static void put_text_context(printer *p, const ng_passage *ps, size_t n) {
  for (size_t i = 0; i < n; i++) {
    fprintf(p->out, "   %s%d%s- ", p->o->color ? C_LINE : "", ps[i].first_line, p->o->color ? C_OFF : "");
    put_text(p, ps[i].text, strlen(ps[i].text));
    fputc('\n', p->out);
  }
}

int print_hit(printer *p, const ng_hit *h) {
  p->rank++;
  const query_options *o = p->o;
  around a;
  if (read_around(p, h, &a) != 0) return -2;
  const ng_passage *ps = a.story ? a.story->passages : NULL;
  size_t nafter = a.story ? a.story->npassages - a.at_after : 0;
  int rc = 0;
  switch (o->format) {
    case FORMAT_JSON: rc = print_json(p, h, &a); break;
    case FORMAT_GREP:
      if (a.story && p->groups++) fputs("--\n", p->out);
      if (a.story) put_grep_context(p, h->path, ps, a.nbefore);
      if (h->feed_line > 0 && strstr(h->path, "//#")) {
        /* A feed file's record: the file and the record's line in it,
         * which an editor can open ("<feed>//#<id>" is no file). */
        char *feed = copy_bytes(h->path, (size_t)(strstr(h->path, "//#") - h->path));
        put_path(p, feed ? feed : h->path);
        free(feed);
        fprintf(p->out, ":%s%d%s:", o->color ? C_LINE : "", h->feed_line, o->color ? C_OFF : "");
      } else {
        /* A file, or a record read from a stream (no file to open): its
         * name and the passage's line in it. */
        put_path(p, h->path);
        fprintf(p->out, ":%s%d%s:", o->color ? C_LINE : "", h->first_line, o->color ? C_OFF : "");
      }
      put_text(p, h->text, strlen(h->text));
      fputc('\n', p->out);
      if (a.story) put_grep_context(p, h->path, ps + a.at_after, nafter);
      break;
    default:
      fprintf(p->out, "%ld. ", p->rank);
      put_path(p, h->path);
      fprintf(p->out, ":%s%d", o->color ? C_LINE : "", h->first_line);
      if (h->last_line != h->first_line) fprintf(p->out, "-%d", h->last_line);
      fprintf(p->out, "%s  ", o->color ? C_OFF : "");
      if (h->kind == NG_KIND_HEADLINE)
        fprintf(p->out, "headline");
      else
        fprintf(p->out, "paragraph %d", h->ordinal);
      if (h->date) fprintf(p->out, ", %s", h->date);
      fprintf(p->out, "  score %.2f", h->score);
      if (h->more) fprintf(p->out, "  +%d more in this story", h->more);
      if (h->copies > 1) fprintf(p->out, "  +%lld %s", h->copies - 1, h->copies == 2 ? "copy" : "copies");
      fputc('\n', p->out);
      if (h->kind != NG_KIND_HEADLINE && h->title[0]) {
        fprintf(p->out, "   %s", o->color ? C_HEAD : "");
        put_text(p, h->title, strlen(h->title));
        fprintf(p->out, "%s\n", o->color ? C_OFF : "");
      }
      if (a.story) put_text_context(p, ps, a.nbefore);
      if (a.story)
        fprintf(p->out, "   %s%d%s: ", o->color ? C_LINE : "", h->first_line, o->color ? C_OFF : "");
      else
        fputs("   ", p->out);
      put_snippet(p, h->snippet);
      fputc('\n', p->out);
      if (a.story) put_text_context(p, ps + a.at_after, nafter);
      fputc('\n', p->out);
      break;
  }
  ng_story_free(a.story);
  return rc != 0 || ferror(p->out) ? -1 : 0;
}

int print_file(printer *p, const ng_hit *h) {
  p->rank++;
  if (p->o->format == FORMAT_JSON) return print_record(p, cli_file_record(h, p->rank));
  put_path(p, h->path);
  fputc('\n', p->out);
  return ferror(p->out) ? -1 : 0;
}

/* A line of a story's header in text: "Name: value" when there is one. */
static void put_field(printer *p, const char *name, const char *value) {
  if (!value || !*value) return;
  fprintf(p->out, "%s: ", name);
  put_text(p, value, strlen(value));
  fputc('\n', p->out);
}

int print_story(printer *p, const ng_story *s) {
  if (p->o->format == FORMAT_JSON) return print_record(p, cli_story_record(s));
  const query_options *o = p->o;
  if (o->format == FORMAT_GREP) {
    for (size_t i = 0; i < s->npassages; i++) {
      put_path(p, s->path);
      fprintf(p->out, ":%s%d%s:", o->color ? C_LINE : "", s->passages[i].first_line, o->color ? C_OFF : "");
      put_text(p, s->passages[i].text, strlen(s->passages[i].text));
      fputc('\n', p->out);
    }
    return ferror(p->out) ? -1 : 0;
  }
  put_path(p, s->path);
  fputc('\n', p->out);
  if (o->color) fputs(C_HEAD, p->out);
  put_field(p, "Headline", s->title);
  if (o->color) fputs(C_OFF, p->out);
  put_field(p, "Dateline", s->dateline);
  put_field(p, "Date", s->date);
  put_field(p, "Source", s->source);
  put_field(p, "Author", s->author);
  put_field(p, "URL", s->url);
  fputc('\n', p->out);
  for (size_t i = 0; i < s->npassages; i++) {
    const ng_passage *ps = &s->passages[i];
    char lines[48];
    if (ps->last_line != ps->first_line)
      snprintf(lines, sizeof lines, "%d-%d", ps->first_line, ps->last_line);
    else
      snprintf(lines, sizeof lines, "%d", ps->first_line);
    fprintf(p->out, "%s%7s%s  ", o->color ? C_LINE : "", lines, o->color ? C_OFF : "");
    if (ps->kind == NG_KIND_HEADLINE && o->color) fputs(C_HEAD, p->out);
    put_text(p, ps->text, strlen(ps->text));
    if (ps->kind == NG_KIND_HEADLINE && o->color) fputs(C_OFF, p->out);
    fputc('\n', p->out);
  }
  return ferror(p->out) ? -1 : 0;
}

static const char *const bucket_names[] = {"day", "week", "month", "source"};

int print_buckets(printer *p, int by, const ng_bucket *b, size_t n) {
  if (p->o->format == FORMAT_JSON) {
    for (size_t i = 0; i < n; i++) {
      json_t *o = json_object();
      if (!o) return -1;
      json_object_set_new(o, "version", json_integer(NG_JSON_VERSION));
      json_object_set_new(o, "type", json_string("bucket"));
      json_object_set_new(o, "by", json_string(bucket_names[by]));
      json_object_set_new(o, "key", cli_json_string(b[i].key));
      json_object_set_new(o, "passages", json_integer(b[i].passages));
      json_object_set_new(o, "stories", json_integer(b[i].stories));
      if (print_record(p, o) != 0) return -1;
    }
    return 0;
  }
  /* Text: KEY  PASSAGES  STORIES, and on a terminal a bar of the passages. */
  const char *none = by == NG_BY_SOURCE ? "(no source)" : "(undated)";
  size_t width = strlen(bucket_names[by]);
  long long most = 1;
  for (size_t i = 0; i < n; i++) {
    size_t k = strlen(b[i].key ? b[i].key : none);
    if (k > width) width = k;
    if (b[i].passages > most) most = b[i].passages;
  }
  if (width > 60) width = 60;
  int bar = isatty(fileno(p->out));
  fprintf(p->out, "%-*s  %8s  %7s\n", (int)width, bucket_names[by], "passages", "stories");
  for (size_t i = 0; i < n; i++) {
    const char *key = b[i].key ? b[i].key : none;
    char *shown = ng_display_string(key);
    fprintf(p->out, "%-*s  %8lld  %7lld", (int)width, shown ? shown : "?", b[i].passages, b[i].stories);
    free(shown);
    if (bar) {
      long long len = (b[i].passages * 40 + most - 1) / most;
      fputs("  ", p->out);
      if (p->o->color) fputs(C_MATCH, p->out);
      for (long long k = 0; k < len; k++) fputs("\u2588", p->out);
      if (p->o->color) fputs(C_OFF, p->out);
    }
    fputc('\n', p->out);
  }
  return ferror(p->out) ? -1 : 0;
}

int print_summary(printer *p, const char *query, long shown, long long total, long long stories,
                  const char *interpreted, const char *suggestion) {
  if (p->o->format == FORMAT_JSON) {
    json_t *o = json_object();
    if (!o) return -1;
    json_object_set_new(o, "version", json_integer(NG_JSON_VERSION));
    json_object_set_new(o, "type", json_string("summary"));
    json_object_set_new(o, "query", cli_json_string(query));
    json_object_set_new(o, "total", json_integer(total));
    json_object_set_new(o, "stories", stories >= 0 ? json_integer(stories) : json_null());
    json_object_set_new(o, "shown", shown >= 0 ? json_integer(shown) : json_null());
    json_object_set_new(o, "interpreted", cli_json_string(interpreted));
    json_object_set_new(o, "suggestion", cli_json_string(suggestion));
    return print_record(p, o);
  }
  fprintf(p->out, "total: %lld %s", total,
          p->o->files ? (total == 1 ? "file" : "files") : (total == 1 ? "passage" : "passages"));
  if (stories >= 0 && !p->o->files) fprintf(p->out, " in %lld %s", stories, stories == 1 ? "story" : "stories");
  fputc('\n', p->out);
  if (interpreted) {
    for (const char *line = interpreted; *line;) {
      size_t n = strcspn(line, "\n");
      fputs("interpreted: ", p->out);
      put_text(p, line, n);
      fputc('\n', p->out);
      line += n;
      if (*line) line++;
    }
  }
  if (suggestion) {
    fputs("did you mean: ", p->out);
    put_text(p, suggestion, strlen(suggestion));
    fputc('\n', p->out);
  }
  return ferror(p->out) ? -1 : 0;
}
