/*
 * date.c -- dates as header blocks and feeds write them -> ISO 8601.
 *
 * strptime with the forms news desks use, most specific first; a zone
 * after a time turns it into UTC.  Owns nothing; no state.
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE /* timegm */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* The date forms news feeds and header blocks use, most specific first. */
static const char *const date_formats[] = {
    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d",  "%Y/%m/%d",  "%a, %d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M:%S", "%a, %d %b %Y",      "%d %B %Y",       "%B %d, %Y", "%b %d, %Y", "%d %b %Y",
    "%A %d %B %Y",       "%A, %d %B %Y",      "%A, %B %d, %Y",  NULL};

/* Reads a zone after a time: Z, UTC, GMT, +hh, +hhmm, +hh:mm (and -).
 * Returns 1 and the offset east of UTC in seconds, or 0 when there is
 * none; -1 when what follows is not a zone. */
static int read_zone(const char *s, long *offset) {
  while (*s == ' ') s++;
  *offset = 0;
  if (!*s) return 0;
  if (!strcmp(s, "Z") || !strcmp(s, "UTC") || !strcmp(s, "GMT")) return 1;
  if (*s != '+' && *s != '-') return -1;
  int sign = *s++ == '-' ? -1 : 1;
  int digits[4], nd = 0;
  for (; *s && nd < 4; s++) {
    if (*s == ':' && nd == 2) continue;
    if (*s < '0' || *s > '9') return -1;
    digits[nd++] = *s - '0';
  }
  if (*s || (nd != 2 && nd != 4)) return -1;
  long h = digits[0] * 10 + digits[1], m = nd == 4 ? digits[2] * 10 + digits[3] : 0;
  *offset = sign * (h * 3600 + m * 60);
  return 1;
}

int ngi_date_normalize(const char *text, char *out, size_t n) {
  while (isspace((unsigned char)*text)) text++;
  for (int i = 0; date_formats[i]; i++) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(text, date_formats[i], &tm);
    if (!end) continue;
    int has_time = strchr(date_formats[i], 'H') != NULL;
    /* A fraction of a second is dropped; a zone turns the time into UTC. */
    if (has_time && *end == '.') {
      end++;
      while (*end >= '0' && *end <= '9') end++;
    }
    long offset = 0;
    int zone = has_time ? read_zone(end, &offset) : (*end ? -1 : 0);
    if (zone < 0) continue;
    if (tm.tm_year < 1000 - 1900 || tm.tm_year > 9999 - 1900) continue;
    if (!has_time) {
      snprintf(out, n, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    } else if (zone) {
      time_t t = timegm(&tm) - offset;
      struct tm utc;
      gmtime_r(&t, &utc);
      snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
               utc.tm_min, utc.tm_sec);
    } else {
      snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
               tm.tm_min, tm.tm_sec);
    }
    return 0;
  }
  return -1;
}

int ngi_date_key(const char *iso) {
  if (!iso) return NGI_NO_DATE;
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *end = strptime(iso, "%Y-%m-%d", &tm);
  if (!end) return NGI_NO_DATE;
  int h = 0, m = 0;
  if (*end == 'T' && sscanf(end + 1, "%d:%d", &h, &m) == 2) {
    tm.tm_hour = h;
    tm.tm_min = m;
  }
  long long minutes = (long long)timegm(&tm) / 60;
  if (minutes <= INT32_MIN || minutes > INT32_MAX) return NGI_NO_DATE;
  return (int)minutes;
}
