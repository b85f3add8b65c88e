/*
 * record.c -- one hit as the JSON record of nutgraf-query --format json
 * and of nutgraf-serve's /search (version NG_JSON_VERSION, documented in
 * nutgraf-query(1)): one module, so the two programs cannot drift apart.
 */
#include <stdlib.h>
#include <string.h>

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

json_t *cli_hit_record(const ng_hit *h, long rank) {
  json_t *o = json_object();
  if (!o) return NULL;
  /* The snippet without markers, and where the markers were. */
  size_t n = strlen(h->snippet);
  char *plain = malloc(n + 1);
  json_t *marks = json_array();
  if (!plain || !marks) {
    free(plain);
    json_decref(marks);
    json_decref(o);
    return NULL;
  }
  size_t w = 0, chars = 0, start = 0;
  for (size_t i = 0; i < n; i++) {
    char c = h->snippet[i];
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
  json_object_set_new(o, "version", json_integer(NG_JSON_VERSION));
  json_object_set_new(o, "rank", json_integer(rank));
  json_object_set_new(o, "path", cli_json_string(h->path));
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
  json_object_set_new(o, "snippet", cli_json_string(plain));
  json_object_set_new(o, "highlights", marks);
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
  free(plain);
  return o;
}
