/*
 * variants.c -- groups of equivalent forms, used when a query is expanded.
 *
 * A form written with a leading '~' is a topic synonym of the others
 * ("ceasefire, cease fire, ~truce"): related, not the same thing, so a
 * passage with only it ranks below one with the word typed.  Other forms
 * are spellings of one thing and count as the word typed.
 *
 * A group is a line of the variants file: "Kyiv, Kiev" or "NATO, North
 * Atlantic Treaty Organization".  Every form is reduced to the stems the
 * tokenizer gives it ("north atlant treati organ"), and that stem sequence
 * is the key a query term is looked up by, so a variant matches however the
 * user capitalises, accents or inflects it.  A form met again in a later
 * line merges that line into its group, which is how a user's own file
 * extends the built-in list.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct group {
  char **keys, **forms;
  size_t n, cap;
} group;

typedef struct pending {
  char *text; /* the line, comment removed */
  size_t len;
  int done;
  unsigned char *letters; /* per form: 3 letters and their count, 4 bytes */
  size_t nforms;
} pending;

struct ngi_variants {
  strmap index; /* key -> group number + 1 */
  group *groups;
  size_t ngroups, cap;
  size_t maxlen;
  ngi_lexicon *lx;
  pending *pending;
  size_t npending, cappending;
};

ngi_variants *ngi_variants_new(void) { return calloc(1, sizeof(ngi_variants)); }

void ngi_variants_free(ngi_variants *v) {
  if (!v) return;
  for (size_t g = 0; g < v->ngroups; g++) {
    for (size_t i = 0; i < v->groups[g].n; i++) {
      free(v->groups[g].keys[i]);
      free(v->groups[g].forms[i]);
    }
    free(v->groups[g].keys);
    free(v->groups[g].forms);
  }
  free(v->groups);
  ngi_map_clear(&v->index, NULL);
  for (size_t i = 0; i < v->npending; i++) {
    free(v->pending[i].text);
    free(v->pending[i].letters);
  }
  free(v->pending);
  free(v);
}

static int compile_waiting(ngi_variants *v, const char *letters, size_t n);

int ngi_variants_lookup(ngi_variants *v, const char *key) {
  if (!v) return -1;
  size_t first = strcspn(key, " ");
  compile_waiting(v, key, first < 3 ? first : 3);
  void *p = ngi_map_get(&v->index, key, strlen(key));
  return p ? (int)((intptr_t)p - 1) : -1;
}

size_t ngi_variants_group_size(const ngi_variants *v, int g) { return v->groups[g].n; }
const char *ngi_variants_member_key(const ngi_variants *v, int g, size_t i) { return v->groups[g].keys[i]; }
const char *ngi_variants_member_form(const ngi_variants *v, int g, size_t i) {
  const char *f = v->groups[g].forms[i];
  while (*f == '~' || *f == ' ') f++;
  return f;
}
int ngi_variants_member_topic(const ngi_variants *v, int g, size_t i) { return v->groups[g].forms[i][0] == '~'; }
int ngi_variants_member_of(const ngi_variants *v, int g, const char *key) {
  for (size_t i = 0; i < v->groups[g].n; i++)
    if (strcmp(v->groups[g].keys[i], key) == 0) return (int)i;
  return -1;
}
size_t ngi_variants_max_len(const ngi_variants *v) { return v ? v->maxlen : 0; }

typedef struct key_state {
  buf key;
  size_t count;
} key_state;

static int key_token(void *ctx, const lex_token *t) {
  key_state *k = ctx;
  if (k->key.len) ngi_buf_addc(&k->key, ' ');
  ngi_buf_add(&k->key, t->stem, t->stemlen);
  k->count++;
  return 0;
}

static int add_member(ngi_variants *v, size_t g, const char *key, const char *form, size_t formlen) {
  group *gr = &v->groups[g];
  for (size_t i = 0; i < gr->n; i++) {
    if (strcmp(gr->keys[i], key) == 0) return 0;
  }
  if (gr->n == gr->cap) {
    size_t cap = gr->cap ? gr->cap * 2 : 4;
    char **k = realloc(gr->keys, cap * sizeof *k);
    if (!k) return -1;
    gr->keys = k;
    char **f = realloc(gr->forms, cap * sizeof *f);
    if (!f) return -1;
    gr->forms = f;
    gr->cap = cap;
  }
  char *kc = strdup(key), *fc = malloc(formlen + 1);
  if (!kc || !fc) {
    free(kc);
    free(fc);
    return -1;
  }
  memcpy(fc, form, formlen);
  fc[formlen] = '\0';
  gr->keys[gr->n] = kc;
  gr->forms[gr->n] = fc;
  gr->n++;
  return ngi_map_put(&v->index, key, strlen(key), (void *)(intptr_t)(g + 1));
}

/* Moves every member of group from into group to; from is left empty. */
static int merge(ngi_variants *v, size_t to, size_t from) {
  group *f = &v->groups[from];
  for (size_t i = 0; i < f->n; i++) {
    if (add_member(v, to, f->keys[i], f->forms[i], strlen(f->forms[i])) != 0) return NG_ESYSTEM;
  }
  for (size_t i = 0; i < f->n; i++) {
    free(f->keys[i]);
    free(f->forms[i]);
  }
  free(f->keys);
  free(f->forms);
  memset(f, 0, sizeof *f);
  return NG_OK;
}

/* The letters a form waits under: up to three ASCII letters or digits of
 * its first word, folded; 0 when it starts otherwise (such lines are
 * compiled at once). */
static size_t form_letters(const char *form, size_t n, char out[3]) {
  size_t k = 0, i = 0;
  while (i < n && (form[i] == '~' || form[i] == ' ')) i++; /* a topic form's mark */
  for (; i < n && k < 3; i++) {
    unsigned char c = (unsigned char)form[i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
      out[k++] = (char)c;
    else
      break;
  }
  /* A first word with more than the letters read must be ASCII up to them. */
  return k;
}

/* Calls fn for each form of a line (trimmed, empty ones skipped). */
static int each_form(const char *line, size_t len, void *ctx, int (*fn)(void *, const char *, size_t)) {
  for (size_t a = 0; a < len;) {
    const char *comma = memchr(line + a, ',', len - a);
    size_t e = comma ? (size_t)(comma - line) : len;
    size_t s = a, t = e;
    while (s < t && (line[s] == ' ' || line[s] == '\t' || line[s] == '\r')) s++;
    while (t > s && (line[t - 1] == ' ' || line[t - 1] == '\t' || line[t - 1] == '\r')) t--;
    a = e + 1;
    if (t > s) {
      int rc = fn(ctx, line + s, t - s);
      if (rc) return rc;
    }
  }
  return 0;
}

enum { MAX_FORMS = 64 };

typedef struct line_forms {
  ngi_variants *v;
  char *keys[MAX_FORMS];
  const char *forms[MAX_FORMS];
  size_t formlens[MAX_FORMS], n;
} line_forms;

static int collect_form(void *ctx, const char *form, size_t n) {
  line_forms *lf = ctx;
  if (lf->n == MAX_FORMS) return NG_EDATA;
  key_state ks = {{0}, 0};
  ngi_tokenize(lf->v->lx, form, (int)n, &ks, key_token);
  if (ks.key.oom) {
    ngi_buf_free(&ks.key);
    return NG_ESYSTEM;
  }
  if (ks.count == 0) {
    ngi_buf_free(&ks.key);
    return 0;
  }
  if (ks.count > lf->v->maxlen) lf->v->maxlen = ks.count;
  lf->keys[lf->n] = ngi_buf_detach(&ks.key);
  lf->forms[lf->n] = form;
  lf->formlens[lf->n] = n;
  lf->n++;
  return 0;
}

/* Adds the group of one line: its forms reduced to stems, joined to the
 * group that already holds one of them. */
static int compile_line(ngi_variants *v, const char *line, size_t len) {
  line_forms lf;
  lf.v = v;
  lf.n = 0;
  int rc = each_form(line, len, &lf, collect_form);
  if (rc == NG_OK && lf.n >= 2) {
    int g = -1;
    for (size_t i = 0; i < lf.n && g < 0; i++) {
      void *p = ngi_map_get(&v->index, lf.keys[i], strlen(lf.keys[i]));
      g = p ? (int)((intptr_t)p - 1) : -1;
    }
    if (g < 0) {
      if (v->ngroups == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        group *p = realloc(v->groups, cap * sizeof *p);
        if (!p)
          rc = NG_ESYSTEM;
        else {
          v->groups = p;
          v->cap = cap;
        }
      }
      if (rc == NG_OK) {
        memset(&v->groups[v->ngroups], 0, sizeof(group));
        g = (int)v->ngroups++;
      }
    }
    for (size_t i = 0; i < lf.n && rc == NG_OK; i++) {
      /* A form already in another group joins the two groups. */
      void *p = ngi_map_get(&v->index, lf.keys[i], strlen(lf.keys[i]));
      int other = p ? (int)((intptr_t)p - 1) : -1;
      if (other >= 0 && other != g) rc = merge(v, (size_t)g, (size_t)other);
      if (rc == NG_OK && add_member(v, (size_t)g, lf.keys[i], lf.forms[i], lf.formlens[i]) != 0) rc = NG_ESYSTEM;
    }
  }
  for (size_t i = 0; i < lf.n; i++) free(lf.keys[i]);
  return rc;
}

typedef struct line_letters {
  pending *line;
  int now; /* a form without letters: compile the line at once */
} line_letters;

/* Notes the letters a form waits under, once, when its line is read. */
static int note_letters(void *ctx, const char *form, size_t n) {
  line_letters *ll = ctx;
  unsigned char *slot = ll->line->letters + 4 * ll->line->nforms++;
  size_t k = form_letters(form, n, (char *)slot);
  slot[3] = (unsigned char)k;
  if (k == 0 || (k < 3 && k < n && ((unsigned char)form[k] >= 0x80))) ll->now = 1;
  return 0;
}

/* Compiles waiting line i, then the lines waiting under its forms' letters. */
static int compile_pending(ngi_variants *v, size_t i) {
  pending *pl = &v->pending[i];
  if (pl->done) return NG_OK;
  pl->done = 1;
  int rc = compile_line(v, pl->text, pl->len);
  for (size_t f = 0; rc == NG_OK && f < pl->nforms; f++) {
    const unsigned char *slot = pl->letters + 4 * f;
    if (slot[3]) rc = compile_waiting(v, (const char *)slot, slot[3]);
  }
  return rc;
}

/* Compiles the waiting lines with a form under these letters.  A scan of
 * the (short) list costs less than an index of it would to build. */
static int compile_waiting(ngi_variants *v, const char *letters, size_t n) {
  int rc = NG_OK;
  for (size_t i = 0; n && i < v->npending && rc == NG_OK; i++) {
    const pending *pl = &v->pending[i];
    if (pl->done) continue;
    int found = 0;
    for (size_t f = 0; f < pl->nforms && !found; f++)
      found = pl->letters[4 * f + 3] == n && memcmp(pl->letters + 4 * f, letters, n) == 0;
    if (found) rc = compile_pending(v, i);
  }
  return rc;
}

/* An upper bound of the tokens of a form, without tokenizing it. */
static int count_words(void *ctx, const char *form, size_t n) {
  ngi_variants *v = ctx;
  size_t words = 0;
  for (size_t i = 0; i < n;) {
    while (i < n && (unsigned char)form[i] < 0x80 && !isalnum((unsigned char)form[i])) i++;
    if (i < n) words++;
    while (i < n && ((unsigned char)form[i] >= 0x80 || isalnum((unsigned char)form[i]))) i++;
  }
  if (words > v->maxlen) v->maxlen = words;
  return 0;
}

int ngi_variants_add_text(ngi_variants *v, ngi_lexicon *lx, const char *text, size_t n, const char *origin, char *err,
                          size_t errlen) {
  v->lx = lx;
  size_t lineno = 0;
  for (size_t pos = 0; pos < n;) {
    const char *line = text + pos;
    const char *nl = memchr(line, '\n', n - pos);
    size_t len = nl ? (size_t)(nl - line) : n - pos;
    pos += len + 1;
    lineno++;
    const char *hash = memchr(line, '#', len);
    if (hash) len = (size_t)(hash - line);
    if (ngi_utf8_valid_prefix(line, len) != len) {
      snprintf(err, errlen, "%s:%zu: not UTF-8", origin, lineno);
      return NG_EDATA;
    }
    size_t commas = 0;
    for (size_t i = 0; i < len; i++) commas += line[i] == ',';
    if (commas >= MAX_FORMS) {
      snprintf(err, errlen, "%s:%zu: more than %d forms", origin, lineno, MAX_FORMS);
      return NG_EDATA;
    }
    if (!commas) continue; /* one form (or none): nothing to be equivalent to */
    if (NGI_GROW(v->pending, v->cappending, v->npending + 1, 64) != 0) goto nomem;
    pending *pl = &v->pending[v->npending];
    pl->text = malloc(len + 1);
    pl->letters = malloc(4 * (commas + 1));
    pl->nforms = 0;
    if (!pl->text || !pl->letters) {
      free(pl->text);
      free(pl->letters);
      goto nomem;
    }
    memcpy(pl->text, line, len);
    pl->text[len] = '\0';
    pl->len = len;
    pl->done = 0;
    v->npending++;
    line_letters ll = {pl, 0};
    each_form(pl->text, len, &ll, note_letters);
    each_form(pl->text, len, v, count_words);
    if (ll.now && compile_pending(v, v->npending - 1) != NG_OK) goto nomem;
  }
  return NG_OK;
nomem:
  snprintf(err, errlen, "out of memory");
  return NG_ESYSTEM;
}
