/*
 * output.c -- hits as text for people, path:line: for editors, JSON Lines
 * for programs.
 *
 * The JSON record (version NG_JSON_VERSION) is a contract documented in
 * nutgraf-query(1): fields are only ever added, with the version raised
 * when a field changes meaning.  Snippets arrive with NG_MARK_OPEN and
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
static void put_text(printer *p, const char *s, size_t n) {
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

static int print_json(printer *p, const ng_hit *h) {
  json_t *o = cli_hit_record(h, p->rank);
  if (!o) return -1;
  int rc = json_dumpf(o, p->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  if (rc != 0 || fputc('\n', p->out) == EOF) return -1;
  return 0;
}

int print_hit(printer *p, const ng_hit *h) {
  p->rank++;
  const query_options *o = p->o;
  switch (o->format) {
    case FORMAT_JSON: return print_json(p, h);
    case FORMAT_GREP:
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
      fputs("   ", p->out);
      put_snippet(p, h->snippet);
      fputs("\n\n", p->out);
      break;
  }
  return ferror(p->out) ? -1 : 0;
}

int print_file(printer *p, const char *path) {
  p->rank++;
  if (p->o->format == FORMAT_JSON) {
    json_t *o = json_pack("{s:I,s:I,s:o}", "version", (json_int_t)NG_JSON_VERSION, "rank", (json_int_t)p->rank, "path",
                          cli_json_string(path));
    if (!o) return -1;
    int rc = json_dumpf(o, p->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (rc != 0) return -1;
  } else {
    put_path(p, path);
  }
  fputc('\n', p->out);
  return ferror(p->out) ? -1 : 0;
}
