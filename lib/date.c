/*
 * date.c -- dates as header blocks and feeds write them -> ISO 8601, and
 * the dates of a query (--since, --until, date:).
 *
 * Article dates.  Desks write dates many ways, and strptime cannot say
 * "any order of these parts", so a small reader splits the text into
 * words, numbers and times and accepts it when it holds exactly one year,
 * month and day, perhaps a time, perhaps a zone, and nothing else but a
 * weekday, commas and "at":
 *   ISO 8601       2025-12-01, 2025-12-01T14:05:00.5+01:00, 2025-12-01 14:05 EST
 *   RFC 2822       Mon, 01 Dec 2025 14:05:00 +0000 (seconds optional, named zones)
 *   desk forms     Dec. 1, 2025; December 1, 2025 2:05 PM; 1 December 2025;
 *                  Monday, December 1, 2025, 2:05 p.m. EST; 26 Feb 1987 15:01
 *   numeric        2025/12/01 (year first), 01/12/2025 and 01.12.2025 (day
 *                  first: desks outside the US write the day first, and a
 *                  US desk's 12/01/2025 is read as the 12th of January only
 *                  when the first number could be a day; 12/25/2025, where
 *                  it cannot, is read month first)
 * Zones: Z, UT, UTC, GMT, +hh, +hhmm, +hh:mm (and -), the US abbreviations
 * EST EDT CST CDT MST MDT PST PDT, and BST CET CEST.  Others (IST, AST,
 * ...) mean several things and make a date unreadable rather than wrong.
 * A time with a zone is stored in UTC ("...Z"); a time without one is kept
 * as written (no zone is guessed); a date alone stays a date.  Unreadable
 * text is -1: the caller keeps the article and warns.
 *
 * Query dates: YYYY, YYYY-MM, YYYY-MM-DD, today, yesterday, Nd and Nw (N
 * days or weeks before today, in local time), or any article date form.
 * They come out as a prefix of an ISO date ("2025", "2025-11"), which
 * compares with stored dates as text: a prefix is the first instant of its
 * period for --since and, followed by '~', past its last for --until.
 *
 * Owns nothing; no state.
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE /* timegm */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"

typedef struct parts {
  int year, month, day; /* 0: not seen */
  int hour, min, sec, has_time;
  int ampm; /* 0 none, 1 am, 2 pm */
  int has_zone;
  long offset; /* seconds east of UTC */
} parts;

static const char *const month_names[] = {"january", "february", "march",     "april",   "may",      "june",
                                          "july",    "august",   "september", "october", "november", "december"};
static const char *const weekday_names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                            "friday", "saturday", "sunday"};

/* A month written out, abbreviated to 3 letters or more ("Sept"), with or
 * without a full stop (the stop is the caller's): 1-12, or 0. */
static int month_of(const char *w, size_t n) {
  if (n < 3) return 0;
  for (int m = 0; m < 12; m++) {
    size_t full = strlen(month_names[m]);
    if (n <= full && strncasecmp(w, month_names[m], n) == 0) return m + 1;
  }
  return 0;
}

static int weekday_of(const char *w, size_t n) {
  if (n < 3) return 0;
  for (int d = 0; d < 7; d++) {
    size_t full = strlen(weekday_names[d]);
    if (n <= full && strncasecmp(w, weekday_names[d], n) == 0) return 1;
  }
  return 0;
}

static const struct {
  const char *name;
  int hours;
} zone_names[] = {{"z", 0},    {"ut", 0},   {"utc", 0},  {"gmt", 0},  {"est", -5}, {"edt", -4},
                  {"cst", -6}, {"cdt", -5}, {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7},
                  {"bst", 1},  {"cet", 1},  {"cest", 2}, {NULL, 0}};

static int zone_of(const char *w, size_t n, long *offset) {
  for (int i = 0; zone_names[i].name; i++) {
    if (strlen(zone_names[i].name) == n && strncasecmp(w, zone_names[i].name, n) == 0) {
      *offset = zone_names[i].hours * 3600L;
      return 1;
    }
  }
  return 0;
}

static int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return days[m - 1];
}

/* Reads digits at *s (at most max): the value, or -1 when there are fewer
 * than min. */
static int digits(const char **s, int min, int max) {
  int v = 0, k = 0;
  while (k < max && isdigit((unsigned char)**s)) v = v * 10 + (*(*s)++ - '0'), k++;
  return k >= min ? v : -1;
}

/* A numeric zone at s: +hh, +hhmm, +hh:mm (or -); the characters read, or 0. */
static size_t numeric_zone(const char *s, long *offset) {
  if (*s != '+' && *s != '-') return 0;
  const char *p = s + 1;
  int h = digits(&p, 2, 2);
  if (h < 0 || h > 14) return 0;
  int m = 0;
  if (*p == ':') p++;
  if (isdigit((unsigned char)*p)) {
    m = digits(&p, 2, 2);
    if (m < 0 || m > 59) return 0;
  } else if (p[-1] == ':') {
    return 0;
  }
  if (isalnum((unsigned char)*p)) return 0;
  *offset = (*s == '-' ? -1 : 1) * (h * 3600L + m * 60L);
  return (size_t)(p - s);
}

/* A time at s: H:MM, HH:MM:SS, with a fraction dropped; the characters
 * read, or 0. */
static size_t clock_time(const char *s, parts *t) {
  const char *p = s;
  int h = digits(&p, 1, 2);
  if (h < 0 || *p != ':') return 0;
  p++;
  int m = digits(&p, 2, 2), sec = 0;
  if (m < 0) return 0;
  if (*p == ':') {
    p++;
    if ((sec = digits(&p, 2, 2)) < 0) return 0;
    if (*p == '.' || *p == ',') {
      const char *f = p + 1;
      if (isdigit((unsigned char)*f)) {
        while (isdigit((unsigned char)*f)) f++;
        p = f;
      }
    }
  }
  if (h > 23 || m > 59 || sec > 60) return 0;
  if (isalnum((unsigned char)*p) &&
      !(tolower((unsigned char)*p) == 'a' || tolower((unsigned char)*p) == 'p' || tolower((unsigned char)*p) == 'z')) {
    return 0;
  }
  t->hour = h, t->min = m, t->sec = sec == 60 ? 59 : sec, t->has_time = 1;
  return (size_t)(p - s);
}

/* ISO 8601 at the start of s: YYYY-MM-DD, then perhaps T or a space and a
 * time, perhaps a zone.  The characters read, or 0. */
static size_t iso_date(const char *s, parts *t) {
  const char *p = s;
  int y = digits(&p, 4, 4);
  if (y < 0 || *p != '-') return 0;
  p++;
  int m = digits(&p, 1, 2);
  if (m < 0 || *p != '-') return 0;
  p++;
  int d = digits(&p, 1, 2);
  if (d < 0 || isdigit((unsigned char)*p)) return 0;
  t->year = y, t->month = m, t->day = d;
  if ((*p == 'T' || *p == 't' || *p == ' ') && isdigit((unsigned char)p[1])) {
    size_t k = clock_time(p + 1, t);
    if (k) p += 1 + k;
  }
  if (t->has_time) {
    size_t z = numeric_zone(p, &t->offset);
    if (z) {
      t->has_zone = 1;
      p += z;
    } else if (*p == 'Z' || *p == 'z') {
      t->has_zone = 1;
      p++;
    }
  }
  return (size_t)(p - s);
}

/* Three numbers with '/' or '.' between them: 2025/12/01 is year first,
 * 01/12/2025 day first (12/25/2025 month first, as it can only be). */
static size_t numeric_date(const char *s, parts *t) {
  const char *p = s;
  int a = digits(&p, 1, 4);
  char sep = *p;
  if (a < 0 || (sep != '/' && sep != '.')) return 0;
  const char *q = p + 1;
  int b = digits(&q, 1, 2);
  if (b < 0 || *q != sep) return 0;
  q++;
  const char *before_c = q;
  int c = digits(&q, 1, 4);
  if (c < 0 || isalnum((unsigned char)*q)) return 0;
  if (p - s == 4) { /* year first */
    t->year = a, t->month = b, t->day = c;
  } else if (q - before_c == 4) {
    t->year = c;
    if (a > 12 || b <= 12) {
      t->day = a, t->month = b;
    } else {
      t->month = a, t->day = b;
    }
  } else {
    return 0;
  }
  return (size_t)(q - s);
}

/* Reads the parts of text; 0 when it is a whole date, -1 otherwise. */
static int read_parts(const char *text, parts *t) {
  memset(t, 0, sizeof *t);
  const char *s = text;
  int numbers_seen = 0;
  while (*s) {
    if (isspace((unsigned char)*s) || *s == ',') {
      s++;
      continue;
    }
    size_t k;
    if (!t->year && (k = iso_date(s, t)) > 0) {
      s += k;
      continue;
    }
    if (!t->year && !t->month && (k = numeric_date(s, t)) > 0) {
      s += k;
      continue;
    }
    if (!t->has_time && (k = clock_time(s, t)) > 0) {
      s += k;
      continue;
    }
    if (t->has_time && !t->has_zone && (k = numeric_zone(s, &t->offset)) > 0) {
      t->has_zone = 1;
      s += k;
      continue;
    }
    if (isdigit((unsigned char)*s)) {
      const char *p = s;
      int v = digits(&p, 1, 4);
      size_t len = (size_t)(p - s);
      /* 1st, 2nd, 3rd, 4th */
      if (isalpha((unsigned char)*p) && len <= 2 &&
          (!strncasecmp(p, "st", 2) || !strncasecmp(p, "nd", 2) || !strncasecmp(p, "rd", 2) ||
           !strncasecmp(p, "th", 2)) &&
          !isalpha((unsigned char)p[2]))
        p += 2;
      if (isalnum((unsigned char)*p)) return -1;
      if (len == 4 && !t->year)
        t->year = v;
      else if (len <= 2 && !t->day && v >= 1)
        t->day = v;
      else
        return -1;
      numbers_seen++;
      s = p;
      continue;
    }
    if (isalpha((unsigned char)*s)) {
      const char *p = s;
      while (isalpha((unsigned char)*p)) p++;
      size_t n = (size_t)(p - s);
      int dot = *p == '.';
      long off;
      int m;
      /* a.m., p.m., am, pm, AM, PM */
      if (n == 1 && (tolower((unsigned char)*s) == 'a' || tolower((unsigned char)*s) == 'p') && dot &&
          tolower((unsigned char)p[1]) == 'm') {
        if (!t->has_time || t->ampm) return -1;
        t->ampm = tolower((unsigned char)*s) == 'a' ? 1 : 2;
        p += 2;
        if (*p == '.') p++;
      } else if (n == 2 && (!strncasecmp(s, "am", 2) || !strncasecmp(s, "pm", 2))) {
        if (!t->has_time || t->ampm) return -1;
        t->ampm = tolower((unsigned char)*s) == 'a' ? 1 : 2;
      } else if (t->has_time && !t->has_zone && zone_of(s, n, &off)) {
        t->has_zone = 1;
        t->offset = off;
      } else if (!t->month && (m = month_of(s, n)) > 0) {
        t->month = m;
        if (dot) p++;
      } else if (weekday_of(s, n) || (n == 2 && !strncasecmp(s, "at", 2)) || (n == 2 && !strncasecmp(s, "on", 2))) {
        if (dot) p++;
      } else {
        return -1;
      }
      s = p;
      continue;
    }
    if (*s == '-' || *s == '/' || *s == '.' || *s == '(' || *s == ')') { /* 1-Dec-2025, (EST) */
      s++;
      continue;
    }
    return -1;
  }
  (void)numbers_seen;
  if (!t->year || !t->month || !t->day) return -1;
  if (t->year < 1000 || t->year > 9999 || t->month < 1 || t->month > 12 || t->day < 1 ||
      t->day > days_in_month(t->year, t->month))
    return -1;
  if (t->ampm) {
    if (t->hour < 1 || t->hour > 12) return -1;
    if (t->ampm == 1 && t->hour == 12) t->hour = 0;
    if (t->ampm == 2 && t->hour < 12) t->hour += 12;
  }
  return 0;
}

int ngi_date_normalize(const char *text, char *out, size_t n) {
  parts t;
  if (read_parts(text, &t) != 0) return -1;
  if (!t.has_time) {
    snprintf(out, n, "%04d-%02d-%02d", t.year, t.month, t.day);
  } else if (t.has_zone) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = t.year - 1900, tm.tm_mon = t.month - 1, tm.tm_mday = t.day;
    tm.tm_hour = t.hour, tm.tm_min = t.min, tm.tm_sec = t.sec;
    time_t when = timegm(&tm) - t.offset;
    struct tm utc;
    gmtime_r(&when, &utc);
    if (utc.tm_year + 1900 < 1000 || utc.tm_year + 1900 > 9999) return -1;
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
             utc.tm_min, utc.tm_sec);
  } else {
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day, t.hour, t.min, t.sec);
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Query dates */

int ngi_date_query(const char *text, long long now, char *out, size_t n) {
  while (isspace((unsigned char)*text)) text++;
  size_t len = strlen(text);
  while (len > 0 && isspace((unsigned char)text[len - 1])) len--;
  char word[64];
  if (len == 0 || len >= sizeof word) return -1;
  memcpy(word, text, len);
  word[len] = '\0';
  time_t when = now ? (time_t)now : time(NULL);
  long days_back = -1;
  if (!strcasecmp(word, "today")) {
    days_back = 0;
  } else if (!strcasecmp(word, "yesterday")) {
    days_back = 1;
  } else if (len >= 2 &&
             (word[len - 1] == 'd' || word[len - 1] == 'w' || word[len - 1] == 'D' || word[len - 1] == 'W')) {
    const char *p = word;
    int v = digits(&p, 1, 5);
    if (v >= 0 && p == word + len - 1) days_back = (tolower((unsigned char)word[len - 1]) == 'w' ? 7L : 1L) * v;
  }
  if (days_back >= 0) {
    struct tm tm;
    localtime_r(&when, &tm);
    tm.tm_mday -= (int)days_back;
    tm.tm_hour = 12; /* noon: no daylight-saving change moves it to another day */
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    struct tm day;
    localtime_r(&t, &day);
    snprintf(out, n, "%04d-%02d-%02d", day.tm_year + 1900, day.tm_mon + 1, day.tm_mday);
    return 0;
  }
  /* YYYY and YYYY-MM: a prefix of the dates of that year or month. */
  const char *p = word;
  int y = digits(&p, 4, 4);
  if (y >= 1000 && !*p) {
    snprintf(out, n, "%04d", y);
    return 0;
  }
  if (y >= 1000 && *p == '-') {
    p++;
    int m = digits(&p, 1, 2);
    if (m >= 1 && m <= 12 && !*p) {
      snprintf(out, n, "%04d-%02d", y, m);
      return 0;
    }
  }
  return ngi_date_normalize(word, out, n);
}

int ngi_date_range_inverted(const char *since, const char *until) {
  if (!since || !until) return 0;
  /* until covers every date it is a prefix of: compare with its end. */
  size_t n = strlen(until);
  int c = strncmp(since, until, n);
  return c > 0;
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
