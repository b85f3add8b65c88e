/*
 * segment.c -- an article's text -> its headline, dateline and paragraphs.
 *
 * News desks write plain text in a few layouts, and one file can mix them:
 *  - a header block ("Title: ...", "Date: ...", then a blank line) whose
 *    fields become metadata; its Title is the headline;
 *  - a headline on line 1, which continues on the next lines while they
 *    start in lower case, or up to a line that opens with a dateline;
 *  - paragraphs separated by blank lines (one line each, or hard-wrapped);
 *  - paragraphs whose first line is indented (newswire bodies);
 *  - hard-wrapped paragraphs with no blank line between them (the seed
 *    layout): a paragraph ends on a line ending a sentence when that line or
 *    the next is short of the wrap width and the next opens like a sentence;
 *  - one paragraph per line, when lines are longer than any wrap width.
 * Blank lines always separate paragraphs; the other rules apply inside each
 * blank-separated block.  Line numbers are those of the file, from 1.  The
 * lede's dateline ("Anchorage, Alaska — ", "LONDON (Reuters) - ",
 * "PORTLAND, Ore., Feb 26 - ") is recorded as its place and its day, and
 * left in the paragraph text (record_dateline says why).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define WRAP_MAX 100        /* text wrapped wider than this is not wrapped */
#define HEADLINE_MAX 300    /* a first line longer than this is a paragraph */
#define SHORT_FRACTION 0.85 /* a line shorter than this much of the width is short */

typedef struct line {
  const char *s; /* start, after leading whitespace */
  size_t len;    /* without leading and trailing whitespace */
  size_t width;  /* code points of the trimmed line */
  int indent;    /* leading whitespace present */
  int number;    /* line number in the file */
} line;

static int is_blank(const line *l) { return l->len == 0; }

/* Splits text into lines, numbering from first. */
static line *split_lines(const char *text, size_t len, int first, size_t *count) {
  size_t n = 1;
  for (const char *p = text, *end = text + len; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) n++;
  line *lines = calloc(n, sizeof *lines);
  if (!lines) return NULL;
  size_t k = 0;
  const char *s = text, *stop = text + len;
  while (k < n) {
    const char *e = memchr(s, '\n', (size_t)(stop - s));
    if (!e) e = stop;
    const char *next = e + 1;
    const char *t = s;
    while (t < e && (*t == ' ' || *t == '\t')) t++;
    while (e > t && (e[-1] == ' ' || e[-1] == '\t')) e--;
    lines[k].s = t;
    lines[k].len = (size_t)(e - t);
    /* Widths only matter up to a few hundred characters. */
    lines[k].width = lines[k].len > 1200 ? lines[k].len : ngi_utf8_length(t, lines[k].len);
    lines[k].indent = t > s && lines[k].len > 0;
    lines[k].number = first + (int)k;
    k++;
    s = next;
  }
  /* A final newline does not start another line. */
  if (len > 0 && text[len - 1] == '\n') k--;
  *count = k;
  return lines;
}

/* Does the line end a sentence: . ! ? or an ellipsis, perhaps inside
 * closing quotes or brackets, and not after a common abbreviation? */
static int ends_sentence(const line *l) {
  static const char *const closers[] = {"\xE2\x80\x9D", "\xE2\x80\x99", "\xC2\xBB", "\"", "'", ")", "]", NULL};
  static const char *const abbrev[] = {"mr",  "mrs", "ms",  "dr",  "st",   "gen",  "sen", "rep",
                                       "gov", "lt",  "col", "sgt", "capt", "prof", "jr",  "sr",
                                       "no",  "vs",  "u.s", "u.k", "u.n",  "e.u",  NULL};
  const char *s = l->s;
  size_t n = l->len;
  for (int again = 1; again && n > 0;) {
    again = 0;
    for (int i = 0; closers[i]; i++) {
      size_t k = strlen(closers[i]);
      if (n >= k && memcmp(s + n - k, closers[i], k) == 0) {
        n -= k;
        again = 1;
        break;
      }
    }
  }
  if (n == 0) return 0;
  if (n >= 3 && memcmp(s + n - 3, "\xE2\x80\xA6", 3) == 0) return 1;
  char c = s[n - 1];
  if (c == '!' || c == '?') return 1;
  if (c != '.') return 0;
  size_t w = n - 1;
  while (w > 0 && s[w - 1] != ' ') w--;
  size_t wl = n - 1 - w;
  for (int i = 0; abbrev[i]; i++) {
    if (strlen(abbrev[i]) == wl && strncasecmp(s + w, abbrev[i], wl) == 0) return 0;
  }
  return 1;
}

static int starts_upper(const char *s, size_t n) {
  if (n == 0) return 0;
  unsigned char c = (unsigned char)s[0];
  if (c < 0x80) return isupper(c) || isdigit(c);
  uint32_t cp;
  if (!ngi_utf8_decode((const unsigned char *)s, n, &cp)) return 0;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return 1; /* Latin-1 capitals */
  if (cp >= 0x391 && cp <= 0x3A9) return 1;             /* Greek capitals */
  if (cp >= 0x400 && cp <= 0x42F) return 1;             /* Cyrillic capitals */
  return cp > 0x2FF && !(cp >= 0x370 && cp <= 0x52F);   /* scripts without case */
}

/* Does the line open like a sentence (capital, digit or opening quote)? */
static int starts_paragraph(const line *l) {
  static const char *const openers[] = {"\xE2\x80\x9C", "\xE2\x80\x98", "\xC2\xAB", "\"", "'", "(",
                                        "\xE2\x80\x94", "\xE2\x80\x93", "-",        NULL};
  for (int i = 0; openers[i]; i++) {
    size_t k = strlen(openers[i]);
    if (l->len >= k && memcmp(l->s, openers[i], k) == 0) return 1;
  }
  return starts_upper(l->s, l->len);
}

static int starts_lower(const line *l) {
  return l->len > 0 && ((unsigned char)l->s[0] < 0x80 && islower((unsigned char)l->s[0]));
}

/* A dateline at the start of a lede, in the forms wires use:
 *   PLACE - , PLACE -- , PLACE — , PLACE – , PLACE—      the place alone
 *   PLACE, Mon DD - , PLACE, Region, Mon. DD - , PLACE, 26 Feb -   a day
 *   PLACE (Agency) - , PLACE (AP) — , PLACE, Feb 26 (Reuters) -    an agency
 * in capitals or not (all in lower case only with a month and a day:
 * "peoria, april 7 - "), and a dateline that is the whole text ("CHICAGO,
 * Feb 26 -", a line of its own on the wire).  What is before the dash
 * must read as a place: at most six words of capitalised letters (and
 * . , ' & - / or letters past ASCII; no digits), so that a sentence such as
 * "US President George W Bush - " is not one.  A plain hyphen is a
 * dateline's only after capitals, a day or an agency. */
typedef struct dateline_parts {
  size_t len;                    /* bytes the dateline spans, the dash and the spaces after it included */
  size_t place_start, place_len; /* the place */
  size_t day_start, day_len;     /* the day as written, or day_len 0 */
  int whole;                     /* nothing follows the dash */
} dateline_parts;

/* Does s[0, n) look like the day of a dateline ("Feb 26", "MARCH 2",
 * "Sept. 3", "26 Feb", a wire's typos such as "Apri l7"): one or two
 * words of letters and digits, three digits at most? */
static int looks_like_day(const char *s, size_t n) {
  if (n < 3 || n > 16) return 0;
  int letters = 0, numbers = 0, words = 1;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isalpha(c))
      letters++;
    else if (isdigit(c))
      numbers++;
    else if (c == ' ')
      words += i > 0 && s[i - 1] != ' ';
    else if (c != '.')
      return 0;
  }
  return letters >= 2 && numbers >= 1 && numbers <= 3 && words <= 2;
}

/* Is w[0, n) a month's name or its abbreviation ("April", "APR", "Sept.")? */
static int is_month_name(const char *w, size_t n) {
  static const char *const names[] = {"january", "february",  "march",   "april",    "may",      "june", "july",
                                      "august",  "september", "october", "november", "december", "jan",  "feb",
                                      "mar",     "apr",       "jun",     "jul",      "aug",      "sep",  "sept",
                                      "oct",     "nov",       "dec",     NULL};
  if (n > 0 && w[n - 1] == '.') n--;
  for (int i = 0; names[i]; i++)
    if (strlen(names[i]) == n && strncasecmp(w, names[i], n) == 0) return 1;
  return 0;
}

/* The length of the first word of s[0, n). */
static size_t day_word_length(const char *s, size_t n) {
  size_t k = 0;
  while (k < n && s[k] != ' ') k++;
  return k;
}

static int is_month_word(const char *w, size_t n) {
  static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                       "aug", "sep", "oct", "nov", "dec", NULL};
  if (n > 0 && w[n - 1] == '.') n--;
  if (n < 3 || n > 9) return 0;
  for (int i = 0; months[i]; i++)
    if (strncasecmp(w, months[i], 3) == 0) return 1;
  return 0;
}

/* The separator at s[i]: its length (spaces after it included), or 0.
 * *plain: a single hyphen.  loose: also a hyphen right after the day
 * ("Feb 26- ") and a dash with no space after it ("March 2 -The"). */
static size_t dateline_separator(const char *s, size_t n, size_t i, int loose, int *plain) {
  static const char *const seps[] = {" \xE2\x80\x94", " \xE2\x80\x93", " --", " -", "\xE2\x80\x94", "-", NULL};
  static const size_t lens[] = {4, 4, 3, 2, 3, 1};
  /* Every separator starts with one of these (the cheap test comes first:
   * most bytes of a lede are none). */
  if (s[i] != ' ' && s[i] != '-' && (unsigned char)s[i] != 0xE2) return 0;
  for (int k = 0; seps[k]; k++) {
    size_t sl = lens[k];
    if (i + sl > n || memcmp(s + i, seps[k], sl) != 0) continue;
    size_t e = i + sl;
    if (k == 5 && (!loose || !isdigit((unsigned char)s[i - 1]))) continue;
    if (e < n && s[e] == '-') continue;
    /* " -" must be a dash, not a minus or a hyphen: a space or the end after it. */
    if (e < n && s[e] != ' ' && k != 4 && !(loose && k == 3 && !isdigit((unsigned char)s[e]))) continue;
    *plain = k == 3 || k == 5;
    while (e < n && s[e] == ' ') e++;
    return e - i;
  }
  return 0;
}

/* The day at the start of s when a second dash follows it
 * ("CHEVY CHASE, Md., - March 4 - "): the bytes up to the dash, or 0. */
static size_t day_then_dash(const char *s, size_t n) {
  size_t limit = n < 20 ? n : 20;
  for (size_t i = 3; i + 1 < limit; i++) {
    int plain;
    if (s[i] == ' ' && dateline_separator(s, n, i, 0, &plain) && looks_like_day(s, i)) return i;
  }
  return 0;
}

static int parse_head(const char *s, size_t n, size_t i, size_t seplen, int plain, dateline_parts *d);

static int parse_dateline(const char *s, size_t n, dateline_parts *d) {
  memset(d, 0, sizeof *d);
  size_t skip = 0;
  while (skip < n && skip < 8 && s[skip] == '*') skip++; /* "****LONDON, March 5 - " */
  s += skip, n -= skip;
  size_t limit = n < 100 ? n : 100;
  int found = 0;
  for (int loose = 0; loose < 2 && !found; loose++) {
    for (size_t i = 1; i < limit; i++) {
      int plain = 0;
      size_t seplen = dateline_separator(s, n, i, loose, &plain);
      if (!seplen) continue;
      found = parse_head(s, n, i, seplen, plain, d) && (!loose || d->day_len);
      break;
    }
  }
  if (!found) {
    memset(d, 0, sizeof *d);
    return 0;
  }
  d->place_start += skip;
  d->day_start += d->day_len ? skip : 0;
  d->len += skip;
  d->whole = d->len >= n + skip;
  return 1;
}

/* The place (and day, agency) before a separator at s[i]. */
static int parse_head(const char *s, size_t n, size_t i, size_t seplen, int plain, dateline_parts *d) {
  memset(d, 0, sizeof *d);
  if (isdigit((unsigned char)s[0])) return 0;
  /* A place in lower case ("peoria, april 7 - ", as some wire copy is
   * keyed) only with a month and a day after it. */
  int lower = !starts_upper(s, i);
  if (lower && !islower((unsigned char)s[0])) return 0;
  size_t h = i; /* the head: s[0, h) */
  while (h > 0 && (s[h - 1] == ' ' || s[h - 1] == ',')) h--;
  int agency = 0;
  if (h > 0 && s[h - 1] == ')') {
    size_t open = h - 1;
    while (open > 0 && s[open] != '(') open--;
    if (s[open] != '(' || h - open > 32 || open == 0) return 0;
    agency = 1;
    h = open;
    while (h > 0 && (s[h - 1] == ' ' || s[h - 1] == ',')) h--;
  } else if (h > 8 && strncasecmp(s + h - 6, "reuter", 6) == 0 && s[h - 7] == ' ' && s[h - 8] == ',') {
    agency = 1; /* "ROME, March 13, Reuter - " */
    h -= 8;
  }
  /* The day: after the last comma, or the last two words when they are a
   * month and a number ("RICHMOND, Va. Feb 26"), or between two dashes. */
  size_t comma = h;
  while (comma > 0 && s[comma - 1] != ',') comma--;
  if (comma > 0) {
    size_t a = comma;
    while (a < h && s[a] == ' ') a++;
    if (looks_like_day(s + a, h - a)) {
      d->day_start = a, d->day_len = h - a;
      h = comma - 1;
    }
  }
  if (!d->day_len) {
    size_t b = h;
    while (b > 0 && isdigit((unsigned char)s[b - 1])) b--;
    if (b < h && h - b <= 2 && b > 1 && s[b - 1] == ' ') {
      size_t m = b - 1;
      while (m > 0 && s[m - 1] != ' ') m--;
      if (is_month_word(s + m, b - 1 - m)) {
        d->day_start = m, d->day_len = h - m;
        h = m;
      }
    }
  }
  if (!d->day_len && comma > 0) {
    /* a month without its day ("CHICAGO, April - "): not the place's */
    size_t a = comma;
    while (a < h && s[a] == ' ') a++;
    if (is_month_name(s + a, h - a)) h = comma - 1;
  }
  size_t after = i + seplen;
  if (!d->day_len && !agency && after < n) {
    size_t k = day_then_dash(s + after, n - after);
    if (k) {
      d->day_start = after, d->day_len = k;
      int p2;
      seplen += k + dateline_separator(s, n, after + k, 0, &p2);
    }
  }
  while (h > 0 && (s[h - 1] == ',' || s[h - 1] == ' ')) h--;
  if (h == 0 || h > 60) return 0;
  /* ... and not a sentence's opening words ("as of april 7 - ") */
  if (lower && (!d->day_len || !is_month_word(s + d->day_start, day_word_length(s + d->day_start, d->day_len)) ||
                ngi_stop_word(s, day_word_length(s, h))))
    return 0;
  int strong = agency || d->day_len;
  int words = 0, all_caps = 1, comma_in_place = 0;
  size_t p = 0;
  while (p < h) {
    while (p < h && s[p] == ' ') p++;
    size_t w = p;
    while (p < h && s[p] != ' ') p++;
    if (p == w) break;
    words++;
    const char *word = s + w;
    size_t wl = p - w;
    if (!starts_upper(word, wl)) {
      static const char *const small[] = {"de", "del",  "la", "le", "of",  "el", "al",
                                          "am", "upon", "da", "do", "dos", NULL};
      int ok = strong;
      for (int j = 0; small[j]; j++) {
        size_t sl2 = strlen(small[j]);
        if ((wl == sl2 || (wl == sl2 + 1 && word[sl2] == ',')) && memcmp(word, small[j], sl2) == 0) ok = 1;
      }
      if (!ok) return 0;
    }
    for (size_t c = 0; c < wl; c++) {
      unsigned char ch = (unsigned char)word[c];
      if (islower(ch)) all_caps = 0;
      if (ch == ',') comma_in_place = 1;
      if (ch < 0x80 && !isalpha(ch) && !strchr(",.'&-/", ch)) return 0;
    }
  }
  if (words == 0 || words > (lower ? 3 : 6)) return 0;
  /* A plain hyphen after "Place, Region" or capitals, or with a day or an
   * agency; "Anchorage, Alaska", "WASHINGTON", "Rio de Janeiro" are places,
   * "US President George W Bush" is a sentence's subject. */
  if (plain && !all_caps && !strong && !comma_in_place) return 0;
  if (!comma_in_place && !all_caps && !strong && words > 3) return 0;
  d->place_len = h;
  d->len = i + seplen;
  return 1;
}

/* Length of the place of a dateline at the start of s, or 0. */
static size_t dateline_length(const char *s, size_t n) {
  dateline_parts d;
  return parse_dateline(s, n, &d) ? d.place_start + d.place_len : 0;
}

static char *dup_n(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/* A copy of a dateline's place with the spaces before its commas dropped
 * ("OAKLAND , N.J." -> "OAKLAND, N.J."). */
static char *tidy_place(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == ' ' && (i + 1 < n && (s[i + 1] == ',' || s[i + 1] == ' '))) continue;
    p[k++] = s[i];
  }
  p[k] = '\0';
  return p;
}

/* Records the lede's dateline: its place and its day.  A dateline that is
 * a paragraph of its own (a line of its own, then an indented or blank
 * line) is joined to the paragraph after it, which it opens.  The dateline
 * stays in the paragraph's text: it is searched as the words it is (a
 * search for "Houston" finds the stories filed from there), the passage
 * keeps every line of the file as written, and dateline: filters on the
 * place recorded here. */
static int record_dateline(article *out, size_t first) {
  passage *p0 = &out->passages[first];
  const char *lede = ngi_article_text(out, first);
  dateline_parts d;
  if (!parse_dateline(lede, p0->len, &d)) return NG_OK;
  if (d.whole && first + 1 < out->npassages && out->passages[first + 1].kind == NG_KIND_PARAGRAPH &&
      p0->len + 1 + out->passages[first + 1].len <= NGI_MAX_PASSAGE_BYTES) {
    /* The texts lie one after the other, NUL-separated: the NUL becomes a
     * space. */
    passage *p1 = &out->passages[first + 1];
    out->texts.data[p0->offset + p0->len] = ' ';
    p0->len += 1 + p1->len;
    p0->last_line = p1->last_line;
    memmove(p1, p1 + 1, (out->npassages - first - 2) * sizeof *p1);
    out->npassages--;
  }
  out->dateline = tidy_place(lede + d.place_start, d.place_len);
  if (!out->dateline) return NG_ESYSTEM;
  if (d.day_len && !(out->dateline_day = dup_n(lede + d.day_start, d.day_len))) return NG_ESYSTEM;
  return NG_OK;
}

/* Appends one passage made of lines [a, b], joined with single spaces,
 * cutting texts longer than NGI_MAX_PASSAGE_BYTES at spaces (the pieces
 * after the first are paragraphs). */
static int add_passage(article *art, const line *lines, size_t a, size_t b, int kind) {
  buf text = {0};
  for (size_t i = a; i <= b; i++) {
    if (lines[i].len == 0) continue;
    if (text.len) ngi_buf_addc(&text, ' ');
    ngi_buf_add(&text, lines[i].s, lines[i].len);
  }
  if (text.oom) {
    ngi_buf_free(&text);
    return NG_ESYSTEM;
  }
  size_t off = 0;
  int rc = NG_OK;
  while (off < text.len) {
    size_t n = text.len - off;
    if (n > NGI_MAX_PASSAGE_BYTES) {
      n = NGI_MAX_PASSAGE_BYTES;
      size_t cut = n;
      while (cut > n / 2 && text.data[off + cut] != ' ') cut--;
      if (text.data[off + cut] == ' ') {
        n = cut;
      } else {
        while (n > 0 && ((unsigned char)text.data[off + n] & 0xC0) == 0x80) n--;
      }
    }
    if (art->npassages >= NGI_MAX_PASSAGES) {
      rc = NG_EDATA;
      break;
    }
    if (art->npassages == art->cap) {
      size_t cap = art->cap ? art->cap * 2 : 32;
      passage *p = realloc(art->passages, cap * sizeof *p);
      if (!p) {
        rc = NG_ESYSTEM;
        break;
      }
      art->passages = p;
      art->cap = cap;
    }
    passage *p = &art->passages[art->npassages++];
    p->offset = art->texts.len;
    p->len = n;
    /* A headline too long for one passage goes on as paragraphs: an
     * article has one headline, passage 0. */
    p->kind = kind == NG_KIND_HEADLINE && off > 0 ? NG_KIND_PARAGRAPH : kind;
    p->first_line = lines[a].number;
    p->last_line = lines[b].number;
    ngi_buf_add(&art->texts, text.data + off, n);
    ngi_buf_addc(&art->texts, '\0');
    off += n;
    while (off < text.len && text.data[off] == ' ') off++;
  }
  ngi_buf_free(&text);
  if (rc == NG_OK && art->texts.oom) rc = NG_ESYSTEM;
  return rc;
}

/* Reads a header block at lines[0..]: known "Key: value" lines up to a
 * blank line.  Returns the number of lines it spans (blank included), or 0. */
static size_t read_header(const line *lines, size_t n, article *art, int *title_line) {
  static const char *const keys[] = {"title", "date", "source", "url", "author", NULL};
  size_t i = 0;
  for (; i < n && !is_blank(&lines[i]); i++) {
    const char *colon = memchr(lines[i].s, ':', lines[i].len);
    if (!colon) return 0;
    size_t kl = (size_t)(colon - lines[i].s);
    int known = 0;
    for (int k = 0; keys[k]; k++) known |= strlen(keys[k]) == kl && strncasecmp(lines[i].s, keys[k], kl) == 0;
    if (!known) return 0;
  }
  if (i == 0 || i >= n) return 0; /* a header block ends with a blank line */
  for (size_t j = 0; j < i; j++) {
    const char *colon = memchr(lines[j].s, ':', lines[j].len);
    size_t kl = (size_t)(colon - lines[j].s);
    const char *v = colon + 1;
    const char *end = lines[j].s + lines[j].len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    char *value = dup_n(v, (size_t)(end - v));
    if (!value) return 0;
    char **slot = NULL;
    if (strncasecmp(lines[j].s, "title", kl) == 0) {
      slot = &art->title;
      *title_line = (int)j;
    } else if (strncasecmp(lines[j].s, "date", kl) == 0) {
      slot = &art->date;
    } else if (strncasecmp(lines[j].s, "source", kl) == 0) {
      slot = &art->source;
    } else if (strncasecmp(lines[j].s, "url", kl) == 0) {
      slot = &art->url;
    } else {
      slot = &art->author;
    }
    free(*slot);
    *slot = value;
  }
  return i + 1;
}

/* Where does the headline starting at lines[h] end? */
static size_t headline_end(const line *lines, size_t n, size_t h) {
  /* A dateline within the next three lines closes a multi-line headline. */
  for (size_t j = h + 1; j < n && j <= h + 3; j++) {
    if (is_blank(&lines[j]) || ends_sentence(&lines[j - 1]) || lines[j - 1].width > WRAP_MAX) break;
    if (dateline_length(lines[j].s, lines[j].len)) return j - 1;
  }
  size_t e = h;
  while (e + 1 < n && e < h + 2 && starts_lower(&lines[e + 1]) && !ends_sentence(&lines[e]) &&
         lines[e + 1].width <= WRAP_MAX)
    e++;
  return e;
}

/* Splits the non-blank block lines[a..b] into paragraphs. */
static int split_block(article *art, const line *lines, size_t a, size_t b, size_t width) {
  if (a == b) return add_passage(art, lines, a, a, NG_KIND_PARAGRAPH);
  size_t indented = 0, flush = 0, widest = 0;
  for (size_t i = a; i <= b; i++) {
    if (i > a) {
      if (lines[i].indent)
        indented++;
      else
        flush++;
    }
    if (lines[i].width > widest) widest = lines[i].width;
  }
  int by_indent = indented > 0 && flush > 0 && indented <= flush;
  int wrapped = widest <= WRAP_MAX;
  size_t start = a;
  for (size_t i = a + 1; i <= b; i++) {
    int brk;
    if (by_indent) {
      brk = lines[i].indent;
    } else if (wrapped) {
      double shortw = SHORT_FRACTION * (double)width;
      brk = ends_sentence(&lines[i - 1]) && starts_paragraph(&lines[i]) &&
            ((double)lines[i].width < shortw || (double)lines[i - 1].width < shortw);
    } else {
      brk = 1;
    }
    if (brk) {
      int rc = add_passage(art, lines, start, i - 1, NG_KIND_PARAGRAPH);
      if (rc != NG_OK) return rc;
      start = i;
    }
  }
  return add_passage(art, lines, start, b, NG_KIND_PARAGRAPH);
}

static int cmp_size(const void *x, const void *y) {
  size_t a = *(const size_t *)x, b = *(const size_t *)y;
  return a < b ? -1 : a > b;
}

/* The wrap width of the body: the 90th percentile of its line widths. */
static size_t wrap_width(const line *lines, size_t a, size_t n) {
  size_t count = 0;
  for (size_t i = a; i < n; i++) count += !is_blank(&lines[i]);
  if (count < 3) return 80;
  size_t *w = malloc(count * sizeof *w);
  if (!w) return 80;
  size_t k = 0;
  for (size_t i = a; i < n; i++) {
    if (!is_blank(&lines[i])) w[k++] = lines[i].width;
  }
  qsort(w, count, sizeof *w, cmp_size);
  size_t width = w[(count * 9) / 10 < count ? (count * 9) / 10 : count - 1];
  free(w);
  return width < 20 ? 20 : width;
}

int ngi_segment(const char *text, size_t len, const char *title, article *out) {
  memset(out, 0, sizeof *out);
  size_t n = 0;
  line *lines = split_lines(text, len, title ? 3 : 1, &n);
  if (!lines) return NG_ESYSTEM;
  int rc = NG_OK;
  size_t body = 0;

  char *clean_title = NULL;
  if (title) {
    /* A given title (a feed's) is one line of valid UTF-8, whatever it held. */
    buf b = {0};
    size_t tn = strlen(title);
    for (size_t i = 0; i < tn;) {
      uint32_t cp;
      size_t k = ngi_utf8_decode((const unsigned char *)title + i, tn - i, &cp);
      if (!k) {
        ngi_buf_addc(&b, '?');
        i++;
      } else {
        if (k == 1 && (cp < 0x20 || cp == 0x7F))
          ngi_buf_addc(&b, ' ');
        else
          ngi_buf_add(&b, title + i, k);
        i += k;
      }
    }
    clean_title = ngi_buf_detach(&b);
    title = clean_title;
    line t = {title, strlen(title), 0, 0, 1};
    while (t.len && (t.s[0] == ' ' || t.s[0] == '\t')) t.s++, t.len--;
    while (t.len && (t.s[t.len - 1] == ' ' || t.s[t.len - 1] == '\t')) t.len--;
    if (t.len) rc = add_passage(out, &t, 0, 0, NG_KIND_HEADLINE);
    out->title = dup_n(t.s, t.len);
    if (!out->title) rc = NG_ESYSTEM;
  } else {
    int title_line = -1;
    body = read_header(lines, n, out, &title_line);
    if (title_line >= 0) {
      line t = lines[title_line];
      const char *colon = memchr(t.s, ':', t.len);
      t.len -= (size_t)(colon + 1 - t.s);
      t.s = colon + 1;
      while (t.len && (*t.s == ' ' || *t.s == '\t')) t.s++, t.len--;
      if (t.len) rc = add_passage(out, &t, 0, 0, NG_KIND_HEADLINE);
    } else {
      size_t h = body;
      while (h < n && is_blank(&lines[h])) h++;
      size_t nonblank = 0;
      for (size_t i = h; i < n; i++) nonblank += !is_blank(&lines[i]);
      if (h < n && lines[h].width <= HEADLINE_MAX && (nonblank > 1 || lines[h].width <= 120)) {
        size_t e = headline_end(lines, n, h);
        rc = add_passage(out, lines, h, e, NG_KIND_HEADLINE);
        if (rc == NG_OK) {
          out->title = strdup(ngi_article_text(out, 0));
          if (!out->title) rc = NG_ESYSTEM;
        }
        body = e + 1;
      }
    }
  }

  size_t width = wrap_width(lines, body, n);
  size_t first_paragraph = out->npassages;
  for (size_t i = body; i < n && rc == NG_OK;) {
    while (i < n && is_blank(&lines[i])) i++;
    if (i >= n) break;
    size_t j = i;
    while (j + 1 < n && !is_blank(&lines[j + 1])) j++;
    rc = split_block(out, lines, i, j, width);
    i = j + 1;
  }

  if (rc == NG_OK && out->npassages > first_paragraph) rc = record_dateline(out, first_paragraph);
  if (rc == NG_OK && out->date) {
    char iso[32];
    if (ngi_date_normalize(out->date, iso, sizeof iso) == 0) {
      char *d = strdup(iso);
      if (!d) rc = NG_ESYSTEM;
      free(out->date);
      out->date = d;
    } else {
      /* A date we cannot read is left out rather than mis-sorted, and
       * kept for the warning. */
      out->date_unread = out->date;
      out->date = NULL;
    }
  }
  free(lines);
  free(clean_title);
  if (rc != NG_OK) ngi_article_free(out);
  return rc;
}

void ngi_article_free(article *a) {
  free(a->title);
  free(a->dateline);
  free(a->dateline_day);
  free(a->date);
  free(a->date_unread);
  free(a->source);
  free(a->url);
  free(a->author);
  free(a->passages);
  ngi_buf_free(&a->texts);
  memset(a, 0, sizeof *a);
}
