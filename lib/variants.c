/*
 * variants.c -- groups of equivalent forms, used when a query is expanded.
 *
 * A group is a line of the variants file: "Kyiv, Kiev" or "NATO, North
 * Atlantic Treaty Organization".  Every form is reduced to the stems the
 * tokenizer gives it ("north atlant treati organ"), and that stem sequence
 * is the key a query term is looked up by, so a variant matches however the
 * user capitalises, accents or inflects it.  A form met again in a later
 * line merges that line into its group, which is how a user's own file
 * extends the built-in list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct group {
  char **keys, **forms;
  size_t n, cap;
} group;

struct variants {
  strmap index; /* key -> group number + 1 */
  group *groups;
  size_t ngroups, cap;
  size_t maxlen;
};

variants *variants_new(void) { return calloc(1, sizeof(variants)); }

void variants_free(variants *v) {
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
  strmap_clear(&v->index, NULL);
  free(v);
}

int variants_lookup(const variants *v, const char *key) {
  if (!v) return -1;
  void *p = strmap_get(&v->index, key, strlen(key));
  return p ? (int)((intptr_t)p - 1) : -1;
}

size_t variants_group_size(const variants *v, int g) { return v->groups[g].n; }
const char *variants_member_key(const variants *v, int g, size_t i) { return v->groups[g].keys[i]; }
const char *variants_member_form(const variants *v, int g, size_t i) { return v->groups[g].forms[i]; }
size_t variants_max_len(const variants *v) { return v ? v->maxlen : 0; }

typedef struct key_state {
  buf key;
  size_t count;
} key_state;

static int key_token(void *ctx, const lex_token *t) {
  key_state *k = ctx;
  if (k->key.len) buf_addc(&k->key, ' ');
  buf_add(&k->key, t->stem, t->stemlen);
  k->count++;
  return 0;
}

static int add_member(variants *v, size_t g, const char *key, const char *form, size_t formlen) {
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
  return strmap_put(&v->index, key, strlen(key), (void *)(intptr_t)(g + 1));
}

/* Moves every member of group from into group to; from is left empty. */
static int merge(variants *v, size_t to, size_t from) {
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

int variants_add_text(variants *v, lexicon *lx, const char *text, size_t n, const char *origin, char *err,
                      size_t errlen) {
  size_t lineno = 0;
  for (size_t pos = 0; pos < n;) {
    const char *line = text + pos;
    const char *nl = memchr(line, '\n', n - pos);
    size_t len = nl ? (size_t)(nl - line) : n - pos;
    pos += len + 1;
    lineno++;
    const char *hash = memchr(line, '#', len);
    if (hash) len = (size_t)(hash - line);
    if (utf8_valid_prefix(line, len) != len) {
      snprintf(err, errlen, "%s:%zu: not UTF-8", origin, lineno);
      return NG_EDATA;
    }
    /* Collect the forms' keys first, to find an existing group to join. */
    enum { MAX_FORMS = 64 };
    char *keys[MAX_FORMS];
    const char *forms[MAX_FORMS];
    size_t formlens[MAX_FORMS], nforms = 0;
    int rc = NG_OK;
    for (size_t a = 0; a < len && rc == NG_OK;) {
      const char *comma = memchr(line + a, ',', len - a);
      size_t e = comma ? (size_t)(comma - line) : len;
      size_t s = a, t = e;
      while (s < t && (line[s] == ' ' || line[s] == '\t' || line[s] == '\r')) s++;
      while (t > s && (line[t - 1] == ' ' || line[t - 1] == '\t' || line[t - 1] == '\r')) t--;
      a = e + 1;
      if (t == s) continue;
      if (nforms == MAX_FORMS) {
        snprintf(err, errlen, "%s:%zu: more than %d forms", origin, lineno, MAX_FORMS);
        rc = NG_EDATA;
        break;
      }
      key_state ks = {{0}, 0};
      lexicon_tokenize(lx, line + s, (int)(t - s), &ks, key_token);
      if (ks.key.oom) {
        buf_free(&ks.key);
        rc = NG_ESYSTEM;
        break;
      }
      if (ks.count == 0) {
        buf_free(&ks.key);
        continue;
      }
      if (ks.count > v->maxlen) v->maxlen = ks.count;
      keys[nforms] = buf_detach(&ks.key);
      forms[nforms] = line + s;
      formlens[nforms] = t - s;
      nforms++;
    }
    if (rc == NG_OK && nforms >= 2) {
      int g = -1;
      for (size_t i = 0; i < nforms && g < 0; i++) g = variants_lookup(v, keys[i]);
      if (g < 0) {
        if (v->ngroups == v->cap) {
          size_t cap = v->cap ? v->cap * 2 : 64;
          group *p = realloc(v->groups, cap * sizeof *p);
          if (!p) rc = NG_ESYSTEM;
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
      for (size_t i = 0; i < nforms && rc == NG_OK; i++) {
        /* A form already in another group joins the two groups. */
        int other = variants_lookup(v, keys[i]);
        if (other >= 0 && other != g) rc = merge(v, (size_t)g, (size_t)other);
        if (rc == NG_OK && add_member(v, (size_t)g, keys[i], forms[i], formlens[i]) != 0) rc = NG_ESYSTEM;
      }
    }
    for (size_t i = 0; i < nforms; i++) free(keys[i]);
    if (rc == NG_ESYSTEM) {
      snprintf(err, errlen, "out of memory");
      return rc;
    }
    if (rc != NG_OK) return rc;
  }
  return NG_OK;
}
