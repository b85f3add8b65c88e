/*
 * feed.c -- one line of a JSON Lines feed -> one article record (jansson).
 *
 * A record is an object with "id" (string or integer), "title" and "body"
 * (strings), and optional "date", "source", "url" and "author" strings;
 * other members are ignored.  jansson rejects invalid UTF-8, so every
 * string that comes out is valid UTF-8; control characters are cleaned as
 * decode.c cleans file text.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void ngi_feed_record_free(feed_record *r) {
  free(r->id);
  free(r->title);
  free(r->body);
  free(r->date);
  free(r->source);
  free(r->url);
  free(r->author);
  memset(r, 0, sizeof *r);
}

/* Copies member key as a clean string into *out; 0 ok or absent, -1 wrong type, -2 memory. */
static int take_string(json_t *obj, const char *key, char **out) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_string(v)) return -1;
  size_t n = json_string_length(v);
  char *s = malloc(n + 1);
  if (!s) return -2;
  memcpy(s, json_string_value(v), n);
  s[n] = '\0';
  /* A NUL inside a JSON string ("\u0000") becomes a space, as other
   * control characters do. */
  ngi_decode_clean(s, n);
  *out = s;
  return 0;
}

/* An id names a document ("feed#id"): it must print on one line, with no
 * C0 or C1 control character (U+0080-U+009F is C2 80-C2 9F in UTF-8). */
static int has_control(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 || *p == 0x7F) return 1;
    if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) return 1;
  }
  return 0;
}

int ngi_feed_parse(const char *line, size_t n, feed_record *rec, char *err, size_t errlen) {
  memset(rec, 0, sizeof *rec);
  size_t i = 0;
  while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) i++;
  if (i == n) return NG_DONE;
  json_error_t jerr;
  json_t *obj = json_loadb(line, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  if (!obj) {
    snprintf(err, errlen, "not JSON: %s", jerr.text);
    return NG_EDATA;
  }
  int rc = NG_OK;
  if (!json_is_object(obj)) {
    snprintf(err, errlen, "not a JSON object");
    rc = NG_EDATA;
    goto done;
  }
  json_t *id = json_object_get(obj, "id");
  char num[32];
  if (json_is_integer(id)) {
    snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    rec->id = strdup(num);
  } else if (json_is_string(id) && json_string_length(id) > 0 && json_string_length(id) <= 512 &&
             strlen(json_string_value(id)) == json_string_length(id) &&
             ngi_utf8_valid_prefix(json_string_value(id), json_string_length(id)) == json_string_length(id) &&
             !has_control(json_string_value(id))) {
    rec->id = strdup(json_string_value(id));
  } else {
    snprintf(err, errlen, "%s",
             id ? "field id is not a string or an integer of one line (or is too long)" : "missing field id");
    rc = NG_EDATA;
    goto done;
  }
  if (!rec->id) {
    rc = NG_ESYSTEM;
    goto done;
  }
  static const char *const names[] = {"title", "body", "date", "source", "url", "author"};
  char **slots[] = {&rec->title, &rec->body, &rec->date, &rec->source, &rec->url, &rec->author};
  for (int k = 0; k < 6; k++) {
    int r = take_string(obj, names[k], slots[k]);
    if (r == -2) {
      rc = NG_ESYSTEM;
      goto done;
    }
    if (r == -1) {
      snprintf(err, errlen, "field %s is not a string", names[k]);
      rc = NG_EDATA;
      goto done;
    }
  }
  if (!rec->title || !rec->body) {
    snprintf(err, errlen, "missing field %s", rec->title ? "body" : "title");
    rc = NG_EDATA;
  }
done:
  json_decref(obj);
  if (rc != NG_OK) {
    if (rc == NG_ESYSTEM) snprintf(err, errlen, "out of memory");
    ngi_feed_record_free(rec);
  }
  return rc;
}
