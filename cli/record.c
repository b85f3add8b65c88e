/*
 * record.c -- the JSON records of nutgraf-query --format json, a hit of
 * which is also what nutgraf-serve's /search lists (version
 * NG_JSON_VERSION, documented in nutgraf-query(1), schema in
 * docs/json-schema.json): one module, so the two programs cannot drift
 * apart.  Every record opens with "version" and "type" (hit, file,
 * story, summary, bucket).
 *
 * A feed record is stored as "<feed file>//#<id>" (or "stdin#<id>"): its
 * record says "path" (the feed file, or "stdin"), "feed" (the same) and
 * "id" apart, splitting at the first separator, as an id may hold
 * anything.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

json_t *cli_json_string(const char *s) {
  if (!s) return json_null();
  json_t *j = json_string(s);
  if (j) return j;
  /* Not UTF-8 (a file name): show the bad bytes as U+FFFD. */
  size_t n = strlen(s);
  char *fixed = malloc(n * 3 + 1), *w = fixed;
  if (!fixed) return json_null();
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    int ok = k > 0 && i + k <= n;
    for (size_t j2 = 1; ok && j2 < k; j2++) ok = ((unsigned char)s[i + j2] & 0xC0) == 0x80;
    if (ok) {
      memcpy(w, s + i, k);
      w += k;
      i += k;
    } else {
      memcpy(w, "\xEF\xBF\xBD", 3);
      w += 3;
      i++;
    }
  }
  *w = '\0';
  j = json_string(fixed);
  free(fixed);
  return j ? j : json_null();
}

int cli_split_path(const char *path, char **file, char **id) {
  *file = *id = NULL;
  const char *sep = strstr(path, "//#");
  size_t seplen = 3;
  if (!sep && strncmp(path, "stdin#", 6) == 0) {
    sep = path + 5;
    seplen = 1;
  }
  if (!sep) return 0;
  size_t n = (size_t)(sep - path);
  *file = malloc(n + 1);
  *id = strdup(sep + seplen);
  if (!*file || !*id) {
    free(*file);
    free(*id);
    *file = *id = NULL;
    return -1;
  }
  memcpy(*file, path, n);
  (*file)[n] = '\0';
  return 1;
}

json_t *cli_json_time(long long ns) {
  if (ns <= 0) return json_null();
  time_t t = (time_t)(ns / 1000000000LL);
  struct tm tm;
  char out[32];
  if (!gmtime_r(&t, &tm) || strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return json_null();
  return json_string(out);
}

/* "version", "type", then "path", "feed" and "id" of a stored path. */
static json_t *record_head(const char *type, const char *path) {
  json_t *o = json_object();
  if (!o) return NULL;
  char *file = NULL, *id = NULL;
  int split = cli_split_path(path, &file, &id);
  json_object_set_new(o, "version", json_integer(NG_JSON_VERSION));
  json_object_set_new(o, "type", json_string(type));
  json_object_set_new(o, "path", cli_json_string(split > 0 ? file : path));
  json_object_set_new(o, "feed", split > 0 ? cli_json_string(file) : json_null());
  json_object_set_new(o, "id", split > 0 ? cli_json_string(id) : json_null());
  free(file);
  free(id);
  return o;
}

/* The snippet without its markers, and where the markers were (in
 * characters): "snippet" and "highlights" set on o. */
static int set_snippet(json_t *o, const char *snippet) {
  size_t n = strlen(snippet);
  char *plain = malloc(n + 1);
  json_t *marks = json_array();
  if (!plain || !marks) {
    free(plain);
    json_decref(marks);
    return -1;
  }
  size_t w = 0, chars = 0, start = 0;
  for (size_t i = 0; i < n; i++) {
    char c = snippet[i];
    if (c == NG_MARK_OPEN) {
      start = chars;
    } else if (c == NG_MARK_CLOSE) {
      json_t *pair = json_pack("[II]", (json_int_t)start, (json_int_t)chars);
      if (pair) json_array_append_new(marks, pair);
    } else {
      plain[w++] = c;
      if (((unsigned char)c & 0xC0) != 0x80) chars++;
    }
  }
  plain[w] = '\0';
  json_object_set_new(o, "snippet", cli_json_string(plain));
  json_object_set_new(o, "highlights", marks);
  free(plain);
  return 0;
}

json_t *cli_passage_record(const ng_passage *p) {
  return json_pack("{s:i,s:s,s:i,s:i,s:o}", "ordinal", p->ordinal, "kind",
                   p->kind == NG_KIND_HEADLINE ? "headline" : "paragraph", "first_line", p->first_line, "last_line",
                   p->last_line, "text", cli_json_string(p->text));
}

json_t *cli_story_record(const ng_story *s) {
  json_t *o = record_head("story", s->path);
  json_t *passages = json_array();
  if (!o || !passages) {
    json_decref(o);
    json_decref(passages);
    return NULL;
  }
  json_object_set_new(o, "doc_id", json_integer(s->doc_id));
  json_object_set_new(o, "title", cli_json_string(s->title));
  json_object_set_new(o, "dateline", cli_json_string(s->dateline));
  json_object_set_new(o, "dateline_day", cli_json_string(s->dateline_day));
  json_object_set_new(o, "date", cli_json_string(s->date));
  json_object_set_new(o, "source", cli_json_string(s->source));
  json_object_set_new(o, "url", cli_json_string(s->url));
  json_object_set_new(o, "author", cli_json_string(s->author));
  json_object_set_new(o, "first_indexed", cli_json_time(s->first_indexed_ns));
  json_object_set_new(o, "changed", cli_json_time(s->changed_ns));
  json_object_set_new(o, "change", json_integer(s->change));
  for (size_t i = 0; i < s->npassages; i++) {
    json_t *p = cli_passage_record(&s->passages[i]);
    if (!p || json_array_append_new(passages, p) != 0) {
      json_decref(passages);
      json_decref(o);
      return NULL;
    }
  }
  json_object_set_new(o, "passages", passages);
  return o;
}

json_t *cli_file_record(const ng_hit *h, long rank) {
  json_t *o = record_head("file", h->path);
  json_t *best = json_object();
  if (!o || !best) {
    json_decref(o);
    json_decref(best);
    return NULL;
  }
  json_object_set_new(o, "rank", json_integer(rank));
  json_object_set_new(o, "doc_id", json_integer(h->doc_id));
  json_object_set_new(o, "title", cli_json_string(h->title));
  json_object_set_new(o, "date", cli_json_string(h->date));
  json_object_set_new(o, "source", cli_json_string(h->source));
  json_object_set_new(o, "score", json_real(h->score));
  json_object_set_new(best, "ordinal", json_integer(h->ordinal));
  json_object_set_new(best, "kind", json_string(h->kind == NG_KIND_HEADLINE ? "headline" : "paragraph"));
  json_object_set_new(best, "first_line", json_integer(h->first_line));
  json_object_set_new(best, "last_line", json_integer(h->last_line));
  json_object_set_new(best, "text", cli_json_string(h->text));
  if (set_snippet(best, h->snippet) != 0) {
    json_decref(best);
    json_decref(o);
    return NULL;
  }
  json_object_set_new(o, "passage", best);
  return o;
}

json_t *cli_hit_record(const ng_hit *h, long rank) {
  json_t *o = record_head("hit", h->path);
  if (!o) return NULL;
  json_object_set_new(o, "rank", json_integer(rank));
  json_object_set_new(o, "title", cli_json_string(h->title));
  json_object_set_new(o, "dateline", cli_json_string(h->dateline));
  json_object_set_new(o, "date", cli_json_string(h->date));
  json_object_set_new(o, "source", cli_json_string(h->source));
  json_object_set_new(o, "url", cli_json_string(h->url));
  json_object_set_new(o, "author", cli_json_string(h->author));
  json_object_set_new(o, "kind", json_string(h->kind == NG_KIND_HEADLINE ? "headline" : "paragraph"));
  json_object_set_new(o, "ordinal", json_integer(h->ordinal));
  json_object_set_new(o, "first_line", json_integer(h->first_line));
  json_object_set_new(o, "last_line", json_integer(h->last_line));
  json_object_set_new(o, "score", json_real(h->score));
  json_object_set_new(o, "text", cli_json_string(h->text));
  if (set_snippet(o, h->snippet) != 0) {
    json_decref(o);
    return NULL;
  }
  /* Added with index schema 3: fields are only ever added. */
  json_object_set_new(o, "doc_id", json_integer(h->doc_id));
  json_object_set_new(o, "dateline_day", cli_json_string(h->dateline_day));
  json_object_set_new(o, "dup_of", h->dup_of ? json_integer(h->dup_of) : json_null());
  json_object_set_new(o, "copies", json_integer(h->copies));
  json_t *copies = json_array();
  for (int i = 0; copies && i < h->ncopy_paths; i++) json_array_append_new(copies, cli_json_string(h->copy_paths[i]));
  json_object_set_new(o, "copy_paths", copies ? copies : json_null());
  json_object_set_new(o, "more", json_integer(h->more));
  json_t *more = json_array();
  for (int i = 0; more && i < h->more; i++) {
    json_t *m = json_pack("{s:i,s:i,s:i}", "ordinal", h->more_ordinals[i], "first_line", h->more_lines[2 * i],
                          "last_line", h->more_lines[2 * i + 1]);
    if (m) json_array_append_new(more, m);
  }
  json_object_set_new(o, "more_passages", more ? more : json_null());
  /* Added with index schema 4: a feed file's record's line in that file. */
  json_object_set_new(o, "feed_line", h->feed_line > 0 ? json_integer(h->feed_line) : json_null());
  /* Added with JSON version 2 (index schema 4). */
  json_object_set_new(o, "first_indexed", cli_json_time(h->first_indexed_ns));
  json_object_set_new(o, "changed", cli_json_time(h->changed_ns));
  json_object_set_new(o, "change", json_integer(h->change));
  return o;
}
