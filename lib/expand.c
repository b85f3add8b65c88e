/*
 * expand.c -- a query tree (parse.c) -> an FTS5 expression over stems.
 *
 * Every term is reduced to stems here, with the index's own tokenizer, and
 * written into the expression after NGI_VERBATIM, so FTS5 uses exactly these
 * stems.  That is what lets a term grow alternatives: the variants of
 * variants.c (Zelensky -> Zelenskyy, ceasefire -> cease fire), compounds
 * (cease-fire -> ceasefire; cease fire -> ceasefire when the index has that
 * word), and prefixes matched against the words as written (negotiat* ->
 * every stem of a word starting so).  A word is not split on a guess
 * ("relationship" -> "relation ship"): that is the variants list's job.
 * The index is asked through store.c's word lookups; the explanation of
 * what was understood is written as the expression is.  It fails only
 * when nothing searchable is left (punctuation, emoji, only excluded
 * words).
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define MAX_PREFIX_STEMS 200
/* What a topic synonym's terms weigh, beside the word typed (which also
 * ranks it below: engine.c's tier). */
#define NGI_SYNONYM_WEIGHT 0.5

typedef struct expander {
  ng_index *idx;
  const ng_search_options *opts;
  size_t terms; /* alternatives rendered so far */
  parsed_query *out;
  int group;               /* the plan group alternatives go to, or -1 */
  int depth;               /* of AND lists: the top one's words are the plan's groups */
  int synonym;             /* alternatives being added are topic synonyms */
  buf unknown;             /* the names of unknown fields met, "foo:, bar:" */
  strlist surface_phrases; /* the FTS5 phrases of quoted variant forms */
  buf surface_words;       /* their words as written, lower case, '\x1f' between forms */
  int keep_stop_words;     /* --any keeps stop words (--rank bm25, or not English) */
  int word;                /* the word of a group of words being rendered (ngi_plan_term.word) */
} expander;

/* The postings cannot decide this expression: FTS5 does, for every
 * passage (a phrase alone only for the passages it is needed for). */
static void inexact(expander *p) {
  p->out->plan.exact = 0;
  p->out->plan.exact_words = 0;
}

/* ------------------------------------------------------------------ */
/* The plan (internal.h): groups of alternatives of terms */

void ngi_plan_free(ngi_plan *p) {
  for (size_t i = 0; i < p->nterms; i++) free(p->terms[i].stem);
  free(p->terms);
  free(p->groups);
  memset(p, 0, sizeof *p);
}

static int plan_group(expander *p, int required) {
  ngi_plan *plan = &p->out->plan;
  if (plan->ngroups == plan->capgroups) {
    size_t cap = plan->capgroups ? plan->capgroups * 2 : 8;
    ngi_plan_group *g = realloc(plan->groups, cap * sizeof *g);
    if (!g) return -1;
    plan->groups = g;
    plan->capgroups = cap;
  }
  plan->groups[plan->ngroups] = (ngi_plan_group){required, 0, 0};
  return (int)plan->ngroups++;
}

/* Adds an alternative (stems separated by spaces, the last one perhaps a
 * prefix) to the current group. */
static void plan_alt(expander *p, const char *key, int prefix) {
  ngi_plan *plan = &p->out->plan;
  if (p->group < 0) return;
  int alt = plan->groups[p->group].nalts++;
  size_t n = 0;
  for (const char *k = key; *k;) {
    while (*k == ' ') k++;
    const char *e = k;
    while (*e && *e != ' ') e++;
    if (e == k) break;
    if (plan->nterms == plan->capterms) {
      size_t cap = plan->capterms ? plan->capterms * 2 : 16;
      ngi_plan_term *t = realloc(plan->terms, cap * sizeof *t);
      if (!t) {
        p->out->explain.oom = 1;
        return;
      }
      plan->terms = t;
      plan->capterms = cap;
    }
    ngi_plan_term *t = &plan->terms[plan->nterms++];
    memset(t, 0, sizeof *t);
    t->stem = ngi_strdup_n(k, (size_t)(e - k));
    t->len = (size_t)(e - k);
    t->prefix = prefix && !*e;
    t->weight = p->synonym ? NGI_SYNONYM_WEIGHT : 1.0;
    t->group = p->group;
    t->alt = alt;
    t->literal = !p->synonym;
    t->word = p->word;
    if (!t->stem) p->out->explain.oom = 1;
    n++;
    k = e;
  }
  if (n > 1) plan->exact = 0; /* a phrase: FTS5 decides */
}

/* ------------------------------------------------------------------ */
/* Analysis: terms -> stems and alternatives */

typedef struct stems {
  buf key; /* stems separated by spaces */
  buf raw; /* words as written (folded), separated by spaces */
  size_t count;
  int all_hyphen; /* every token joined to the next by a hyphen */
  size_t hyphens;
} stems;

static int collect(void *ctx, const lex_token *t) {
  stems *s = ctx;
  if (s->key.len) {
    ngi_buf_addc(&s->key, ' ');
    ngi_buf_addc(&s->raw, ' ');
  }
  ngi_buf_add(&s->key, t->stem, t->stemlen);
  ngi_buf_add(&s->raw, t->raw, t->rawlen);
  s->count++;
  s->hyphens += (size_t)t->hyphen_after;
  return 0;
}

static void analyse(expander *p, const char *text, stems *out) {
  memset(out, 0, sizeof *out);
  ngi_tokenize(p->idx->lx, text, (int)strlen(text), out, collect);
  out->all_hyphen = out->count > 1 && out->hyphens + 1 >= out->count;
}

static void stems_free(stems *s) {
  ngi_buf_free(&s->key);
  ngi_buf_free(&s->raw);
}

/* A term's alternatives: FTS5 phrases of stems, some of them prefixes. */
typedef struct alts {
  char **items;
  size_t n, cap;
  size_t total; /* items allocated (n may be lowered to use fewer) */
} alts;

static void alts_free(alts *a) {
  for (size_t i = 0; i < a->total; i++) free(a->items[i]);
  free(a->items);
  memset(a, 0, sizeof *a);
}

void ngi_fts_phrase(buf *b, const char *key, int prefix) {
  ngi_buf_addc(b, '"');
  ngi_buf_addc(b, NGI_VERBATIM);
  ngi_buf_adds(b, key); /* stems never hold '"': unicode61 splits on it */
  ngi_buf_addc(b, '"');
  if (prefix) ngi_buf_adds(b, " *");
}

static void alt_add(expander *p, alts *a, const char *key, int prefix) {
  if (!key || !*key) return;
  buf one = {0};
  ngi_fts_phrase(&one, key, prefix);
  for (size_t i = 0; one.data && i < a->n; i++) {
    if (strcmp(a->items[i], one.data) == 0) {
      ngi_buf_free(&one);
      return;
    }
  }
  if (p->terms >= NGI_MAX_QUERY_TERMS) {
    p->out->truncated = 1;
    ngi_buf_free(&one);
    return;
  }
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 4;
    char **items = realloc(a->items, cap * sizeof *items);
    if (!items) {
      ngi_buf_free(&one);
      return;
    }
    a->items = items;
    a->cap = cap;
  }
  a->items[a->n++] = ngi_buf_detach(&one);
  a->total = a->n;
  p->terms++;
  plan_alt(p, key, prefix);
}

/* The alternatives OR-ed: "x", "(x OR y)", or NULL when there are none. */
static char *alts_join(const alts *a) {
  if (a->n == 0) return NULL;
  buf out = {0};
  if (a->n > 1) ngi_buf_addc(&out, '(');
  for (size_t i = 0; i < a->n; i++) {
    if (i) ngi_buf_adds(&out, " OR ");
    ngi_buf_adds(&out, a->items[i]);
  }
  if (a->n > 1) ngi_buf_addc(&out, ')');
  return out.oom ? (ngi_buf_free(&out), NULL) : ngi_buf_detach(&out);
}

static void explain(expander *p, const char *fmt, ...) NGI_PRINTF(2, 3);
static void explain(expander *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char line[1024];
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  ngi_buf_adds(&p->out->explain, line);
}

/* The stem the word table has for raw, into out; 1 when found. */
static int word_stem(expander *p, const char *raw, size_t n, buf *out) {
  if (ngi_store_word_stem(p->idx, raw, n, out) == 1) return 1;
  /* A word that is its own stem has no row: the postings know it. */
  size_t sl;
  const char *stem = ngi_lexicon_stem(p->idx->lx, raw, n, &sl);
  long long df = 0;
  if (!stem || sl != n || memcmp(stem, raw, n) != 0 || ngi_postings_df(p->idx, stem, sl, &df) != NG_OK || df <= 0)
    return 0;
  ngi_buf_reset(out);
  ngi_buf_add(out, stem, sl);
  return 1;
}

/* A quoted variant form ("United Nations"): its phrase is found only
 * where its words are written so (the stems of "unit National" are the
 * same), which the search checks on the passage's text. */
static void note_surface(expander *p, const char *key, const char *form) {
  buf phrase = {0};
  ngi_fts_phrase(&phrase, key, 0);
  int known = 0;
  for (size_t i = 0; phrase.data && i < p->surface_phrases.n && !known; i++)
    known = strcmp(p->surface_phrases.items[i], phrase.data) == 0;
  if (!known && phrase.data && ngi_strlist_add(&p->surface_phrases, phrase.data) == 0) {
    if (p->surface_words.len) ngi_buf_addc(&p->surface_words, '\x1f');
    int space = 0;
    for (const char *c = form; *c; c++) {
      unsigned char ch = (unsigned char)*c;
      if (ch == '"') continue;
      if (ch == ' ' || ch == '\t') {
        space = 1;
        continue;
      }
      if (space && p->surface_words.len && p->surface_words.data[p->surface_words.len - 1] != '\x1f')
        ngi_buf_addc(&p->surface_words, ' ');
      space = 0;
      ngi_buf_addc(&p->surface_words, (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch));
    }
  }
  ngi_buf_free(&phrase);
}

/* The expression with every surface-checked phrase made one that matches
 * nothing (a token the index never holds): what a passage must match when
 * the words of no quoted form are written in it. */
static char *without_surface(const char *fts, const strlist *phrases) {
  buf out = {0};
  ngi_buf_adds(&out, fts);
  for (size_t i = 0; i < phrases->n; i++) {
    const char *ph = phrases->items[i];
    size_t pl = strlen(ph);
    buf next = {0};
    const char *c = out.data;
    for (const char *hit; c && (hit = strstr(c, ph)) != NULL; c = hit + pl) {
      ngi_buf_add(&next, c, (size_t)(hit - c));
      ngi_buf_adds(&next, "\"\x01\x02\"");
    }
    if (c) ngi_buf_adds(&next, c);
    ngi_buf_free(&out);
    out = next;
  }
  return out.oom ? (ngi_buf_free(&out), NULL) : ngi_buf_detach(&out);
}

/* The variant group of a term (its stems key, its words as written raw),
 * or -1.  A term that is a quoted form's stems but not its words ("unit
 * national" for "United Nations") is not that form. */
static int variant_group(expander *p, const char *key, const char *raw) {
  int g = ngi_variants_lookup(p->idx->vars, key);
  if (g < 0 || !raw) return g;
  for (size_t i = 0; i < ngi_variants_group_size(p->idx->vars, g); i++) {
    if (strcmp(ngi_variants_member_key(p->idx->vars, g, i), key) != 0) continue;
    const char *form = ngi_variants_member_form(p->idx->vars, g, i);
    if (form[0] != '"') return g;
    char words[256];
    size_t n = 0;
    for (const char *c = form; *c && n + 1 < sizeof words; c++) {
      if (*c != '"') words[n++] = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    }
    words[n] = '\0';
    return ngi_surface_match(raw, strlen(raw), words) ? g : -1;
  }
  return g;
}

static void add_variants(expander *p, alts *a, const char *key, const char *raw) {
  if (p->opts->no_variants) return;
  int g = variant_group(p, key, raw);
  if (g < 0) return;
  size_t before = a->n;
  buf names = {0}, related = {0};
  /* A spelling of a spelling is the word typed; anything a topic
   * synonym is part of is only related. */
  int typed = ngi_variants_member_of(p->idx->vars, g, key);
  int typed_topic = typed >= 0 && ngi_variants_member_topic(p->idx->vars, g, (size_t)typed);
  for (size_t i = 0; i < ngi_variants_group_size(p->idx->vars, g); i++) {
    const char *k = ngi_variants_member_key(p->idx->vars, g, i);
    if (strcmp(k, key) == 0) continue;
    int synonym = typed_topic || ngi_variants_member_topic(p->idx->vars, g, i);
    size_t had = a->n;
    p->synonym = synonym;
    alt_add(p, a, k, 0);
    p->synonym = 0;
    if (a->n == had) continue;
    const char *form = ngi_variants_member_form(p->idx->vars, g, i);
    if (form[0] == '"') note_surface(p, k, form);
    buf *list = synonym ? &related : &names;
    if (list->len) ngi_buf_adds(list, ", ");
    ngi_buf_adds(list, form);
  }
  if (names.len) explain(p, "; variants: %s", names.data);
  if (related.len) explain(p, "; related (ranked below): %s", related.data);
  (void)before;
  ngi_buf_free(&names);
  ngi_buf_free(&related);
}

typedef struct prefix_walk {
  expander *p;
  alts *a;
  const char *pre;
  size_t plen, count;
} prefix_walk;

/* Stems that start with the prefix are matched by the prefix itself. */
static void add_stem(void *ctx, const char *stem) {
  prefix_walk *w = ctx;
  if (strncmp(stem, w->pre, w->plen) == 0) return;
  alt_add(w->p, w->a, stem, 0);
  w->count++;
}

/* negotiat* -> the stems of every indexed word that starts so. */
static void add_prefix(expander *p, alts *a, const stems *s) {
  const char *last = strrchr(s->raw.data, ' ');
  const char *pre = last ? last + 1 : s->raw.data;
  if (s->count > 1) {
    /* "12-hou*": the phrase with its last word a prefix. */
    buf key = {0};
    const char *lastkey = strrchr(s->key.data, ' ');
    ngi_buf_add(&key, s->key.data, (size_t)(lastkey - s->key.data));
    ngi_buf_addc(&key, ' ');
    ngi_buf_adds(&key, pre);
    alt_add(p, a, key.data, 1);
    ngi_buf_free(&key);
    return;
  }
  alt_add(p, a, pre, 1);
  prefix_walk w = {p, a, pre, strlen(pre), 0};
  ngi_store_prefix_stems(p->idx, pre, MAX_PREFIX_STEMS, add_stem, &w);
  size_t count = w.count;
  explain(p, "; prefix %s* (%zu more stems from the words as written)", pre, count);
}

/* Fills a with the alternatives of a word or phrase node. */
static void term_alts(expander *p, qnode *x, alts *a) {
  stems s;
  analyse(p, x->text, &s);
  if (s.count == 0) {
    explain(p, "  %s \"%s\": nothing searchable, ignored\n", x->type == NGI_PHRASE ? "phrase" : "word", x->text);
    stems_free(&s);
    return;
  }
  explain(p, "  %s%s%s \"%s\" -> %s", x->negated ? "excluded " : "", x->required ? "required " : "",
          x->type == NGI_PHRASE ? "phrase" : "word", x->text, s.key.data);
  if (x->prefix) {
    add_prefix(p, a, &s);
  } else {
    alt_add(p, a, s.key.data, 0);
    add_variants(p, a, s.key.data, s.raw.data);
    /* Compounds widen what matches; in ranked --any mode they would only
     * count the same words twice, so they are left out there. */
    if (s.count > 1 && s.all_hyphen && !p->opts->any) {
      /* The compound joined: cease-fire -> ceasefire. */
      buf joined = {0};
      for (const char *r = s.raw.data; *r; r++) {
        if (*r != ' ') ngi_buf_addc(&joined, *r);
      }
      size_t sl;
      const char *stem = joined.data ? ngi_lexicon_stem(p->idx->lx, joined.data, joined.len, &sl) : NULL;
      char *copy = stem ? ngi_strdup_n(stem, sl) : NULL;
      if (copy) {
        alt_add(p, a, copy, 0);
        add_variants(p, a, copy, NULL);
        explain(p, "; joined: %s", joined.data);
        free(copy);
      }
      ngi_buf_free(&joined);
    }
  }
  explain(p, "\n");
  stems_free(&s);
}

/* Renders a word or phrase node: its alternatives OR-ed, or NULL when it
 * has nothing searchable. */
static char *render_term(expander *p, qnode *x) {
  alts a = {0};
  term_alts(p, x, &a);
  char *r = alts_join(&a);
  alts_free(&a);
  return r;
}

static char *render(expander *p, qnode *x);

/* "foo:bar" where foo is no field: the words foo and bar, and a note. */
static char *render_unknown_field(expander *p, qnode *x) {
  size_t k = (size_t)x->unknown_field;
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)(k < 60 ? k : 60), x->text);
  if (!strstr(p->unknown.data ? p->unknown.data : "", name)) {
    if (p->unknown.len) ngi_buf_adds(&p->unknown, ", ");
    ngi_buf_printf(&p->unknown, "%s:", name);
  }
  explain(p, "  \"%s\": %s: is not a field; searched as words\n", x->text, name);
  qnode *a = ngi_qnode_new(NGI_WORD), *b = ngi_qnode_new(NGI_WORD);
  char *result = NULL;
  if (a && b && (a->text = ngi_strdup_n(x->text, k)) && (b->text = strdup(x->text + k + 1))) {
    b->prefix = x->prefix;
    char *ra = render(p, a), *rb = render(p, b);
    buf out = {0};
    /* Both words land in the plan's group for this node, as alternatives:
     * for AND, FTS5 decides (the postings would take either). */
    if (ra && rb && !p->opts->any) inexact(p);
    if (ra && rb)
      ngi_buf_printf(&out, "(%s %s %s)", ra, p->opts->any ? "OR" : "AND", rb);
    else if (ra || rb)
      ngi_buf_adds(&out, ra ? ra : rb);
    result = out.len && !out.oom ? ngi_buf_detach(&out) : (ngi_buf_free(&out), NULL);
    free(ra);
    free(rb);
  }
  ngi_qnode_free(a);
  ngi_qnode_free(b);
  return result;
}

/* Adjacent plain words that the index knows joined ("cease fire" ->
 * ceasefire) or that form a multi-word variant ("north atlantic treaty
 * organization" -> NATO) become one alternative node. */
static void group_sequences(expander *p, qnode *list) {
  for (size_t i = 0; i < list->nkids; i++) {
    size_t maxlen = ngi_variants_max_len(p->idx->vars);
    if (maxlen < 2) maxlen = 2;
    for (size_t len = maxlen; len >= 2; len--) {
      if (i + len > list->nkids) continue;
      int plain = 1;
      for (size_t k = i; k < i + len; k++) {
        qnode *w = list->kids[k];
        plain &= w->type == NGI_WORD && !w->prefix && !w->negated && !w->unknown_field && !(k > i && w->explicit_and);
      }
      if (!plain) continue;
      stems all = {{0}, {0}, 0, 0, 0};
      for (size_t k = i; k < i + len; k++) {
        stems one;
        analyse(p, list->kids[k]->text, &one);
        if (one.count) {
          if (all.key.len) {
            ngi_buf_addc(&all.key, ' ');
            ngi_buf_addc(&all.raw, ' ');
          }
          ngi_buf_adds(&all.key, one.key.data);
          ngi_buf_adds(&all.raw, one.raw.data);
          all.count += one.count;
        }
        stems_free(&one);
      }
      alts a = {0};
      int g = p->opts->no_variants || all.count < 2 ? -1 : variant_group(p, all.key.data, all.raw.data);
      buf joined = {0}, stem = {0};
      int join = 0;
      if (g < 0 && len == 2 && all.count == 2 && !p->opts->any) {
        for (const char *r = all.raw.data; *r; r++) {
          if (*r != ' ') ngi_buf_addc(&joined, *r);
        }
        join = word_stem(p, joined.data, joined.len, &stem);
      }
      if (g >= 0 || join) {
        /* (w1 AND w2 ...) OR alternatives: in the plan one group (of the
         * words' alternatives and the compound's), which FTS5 decides. */
        int outer = p->group, group = -1;
        if (p->depth == 1) {
          group = plan_group(p, 0);
          p->group = group;
          p->out->plan.exact = 0;
        }
        if (p->depth != 1) inexact(p);
        buf words = {0};
        size_t before = p->terms;
        int nwords = 0;
        for (size_t k = i; k < i + len; k++) {
          p->word = nwords + 1;
          char *r = render(p, list->kids[k]);
          if (r) {
            if (words.len) ngi_buf_adds(&words, p->opts->any ? " OR " : " AND ");
            ngi_buf_adds(&words, r);
            free(r);
            nwords++;
          }
        }
        p->word = 0;
        /* (with --any the words are ORed: each is as good as the group) */
        if (group >= 0 && !p->opts->any) p->out->plan.groups[group].nwords = nwords;
        (void)before;
        explain(p, "  words \"%s\" also as", all.raw.data);
        if (g >= 0) {
          add_variants(p, &a, all.key.data, all.raw.data);
          alt_add(p, &a, all.key.data, 0);
        } else {
          alt_add(p, &a, stem.data, 0);
          explain(p, "; compound: %s", joined.data);
        }
        explain(p, "\n");
        p->group = outer;
        qnode *e = ngi_qnode_new(NGI_EXPR);
        char *others = alts_join(&a);
        if (e) e->distance = group; /* an NGI_EXPR's plan group */
        if (e) {
          buf t = {0};
          ngi_buf_printf(&t, "((%s) OR %s)", words.data ? words.data : "", others ? others : "");
          e->text = ngi_buf_detach(&t);
          e->explicit_and = list->kids[i]->explicit_and;
          for (size_t k = i; k < i + len; k++) ngi_qnode_free(list->kids[k]);
          list->kids[i] = e;
          memmove(list->kids + i + 1, list->kids + i + len, (list->nkids - i - len) * sizeof *list->kids);
          list->nkids -= len - 1;
        }
        ngi_buf_free(&words);
        free(others);
      }
      alts_free(&a);
      ngi_buf_free(&joined);
      ngi_buf_free(&stem);
      stems_free(&all);
      if (g >= 0 || join) break;
    }
  }
}

/* Snowball's English stop list (snowballstem.org/algorithms/english/stop.txt,
 * the one the Xapian and Lucene English analyzers' runs use), sorted for
 * a binary search.  With --any a query's words on it are dropped (query side only:
 * the index keeps every word), as the peers' best runs did; RM3 (engine.c)
 * never picks them. */
static const char *const stop_words[] = {
    "a",       "about",  "above",   "after",  "again",  "against",    "all",        "am",        "an",    "and",
    "any",     "are",    "as",      "at",     "be",     "because",    "been",       "before",    "being", "below",
    "between", "both",   "but",     "by",     "can",    "did",        "do",         "does",      "doing", "don",
    "down",    "during", "each",    "few",    "for",    "from",       "further",    "had",       "has",   "have",
    "having",  "he",     "her",     "here",   "hers",   "herself",    "him",        "himself",   "his",   "how",
    "i",       "if",     "in",      "into",   "is",     "it",         "its",        "itself",    "just",  "me",
    "more",    "most",   "my",      "myself", "no",     "nor",        "not",        "now",       "of",    "off",
    "on",      "once",   "only",    "or",     "other",  "our",        "ours",       "ourselves", "out",   "over",
    "own",     "s",      "same",    "she",    "should", "so",         "some",       "such",      "t",     "than",
    "that",    "the",    "their",   "theirs", "them",   "themselves", "then",       "there",     "these", "they",
    "this",    "those",  "through", "to",     "too",    "under",      "until",      "up",        "very",  "was",
    "we",      "were",   "what",    "when",   "where",  "which",      "while",      "who",       "whom",  "why",
    "will",    "with",   "you",     "your",   "yours",  "yourself",   "yourselves",
};

/* Is word (n bytes, folded to lower case) stop_words[i], smaller (< 0) or
 * greater (> 0)?  memcmp over the shorter, then the lengths, as bytes. */
static int cmp_stop(const char *word, size_t n, const char *w) {
  for (size_t i = 0;; i++) {
    int key_end = i == n, word_end = w[i] == '\0';
    if (key_end || word_end) return key_end && word_end ? 0 : key_end ? -1 : 1;
    if (word[i] != w[i]) return (unsigned char)word[i] < (unsigned char)w[i] ? -1 : 1;
  }
}

/* Called once a distinct word of the feedback stories (engine.c): a
 * binary search over the sorted list, without a call a probe. */
int ngi_stop_word(const char *word, size_t n) {
  if (n == 0 || n > 12) return 0;
  char low[16];
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)word[i];
    if (ch >= 0x80) return 0;
    low[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  }
  size_t lo = 0, hi = sizeof stop_words / sizeof *stop_words;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cmp_stop(low, n, stop_words[mid]);
    if (c == 0) return 1;
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return 0;
}

/* Is kid k of an --any list a plain stop word the ranking leaves out? */
static int dropped_stop_word(const expander *p, const qnode *k) {
  return p->opts->any && !p->keep_stop_words && k->type == NGI_WORD && !k->prefix && !k->negated && !k->required &&
         !k->explicit_and && !k->unknown_field && k->text && ngi_stop_word(k->text, strlen(k->text));
}

/* An AND group: its words all required, or with --any any of them
 * (+word still required), minus its excluded words.  With --any and
 * required words the expression is R AND (O OR R): it matches what R
 * matches, and BM25 still counts the optional words where they occur. */
static char *render_list(expander *p, qnode *x) {
  p->depth++;
  group_sequences(p, x);
  buf req = {0}, opt = {0}, neg = {0};
  size_t nreq = 0, nopt = 0, nneg = 0, positive = 0;
  /* With --any, stop words go when something else is left. */
  int drop_stop = 0;
  if (p->depth == 1 && p->opts->any && !p->keep_stop_words) {
    for (size_t i = 0; i < x->nkids && !drop_stop; i++) {
      const qnode *k = x->kids[i];
      drop_stop = k->type != NGI_FILTER && !k->negated && !dropped_stop_word(p, k);
    }
  }
  for (size_t i = 0; i < x->nkids; i++) {
    qnode *k = x->kids[i];
    if (k->type == NGI_FILTER) continue;
    if (drop_stop && dropped_stop_word(p, k) && !(i + 1 < x->nkids && x->kids[i + 1]->explicit_and)) {
      explain(p, "  word \"%s\": a stop word, left out of --any's ranking\n", k->text);
      continue;
    }
    int required =
        !p->opts->any || k->required || k->explicit_and || (i + 1 < x->nkids && x->kids[i + 1]->explicit_and);
    /* In the plan: each word of the top list is a group; what a nested
     * list holds goes to the group that encloses it. */
    int outer = p->group;
    if (k->negated) {
      p->group = -1;
      inexact(p);
    } else if (p->depth == 1 && k->type == NGI_EXPR) {
      if (k->distance >= 0) p->out->plan.groups[k->distance].required = required;
    } else if (p->depth == 1) {
      p->group = plan_group(p, required);
    }
    if (!k->negated) positive++;
    int group = p->group != outer ? p->group : -1;
    char *r = render(p, k);
    /* A word with nothing searchable in it requires nothing. */
    if (group >= 0 && !p->out->plan.groups[group].nalts) p->out->plan.groups[group].required = 0;
    p->group = outer;
    if (!r) continue;
    if (k->negated) {
      if (nneg++) ngi_buf_adds(&neg, " OR ");
      ngi_buf_adds(&neg, r);
    } else if (required) {
      if (nreq++) ngi_buf_adds(&req, " AND ");
      ngi_buf_adds(&req, r);
    } else {
      if (nopt++) ngi_buf_adds(&opt, " OR ");
      ngi_buf_adds(&opt, r);
    }
    free(r);
  }
  if (p->depth > 1 && positive > 1) inexact(p);
  p->depth--;
  buf pos = {0};
  if (nreq && nopt) {
    ngi_buf_printf(&pos, "(%s) AND (%s OR %s)", req.data, opt.data, req.data);
  } else if (nreq) {
    ngi_buf_printf(&pos, nreq > 1 ? "(%s)" : "%s", req.data);
  } else if (nopt) {
    ngi_buf_printf(&pos, nopt > 1 ? "(%s)" : "%s", opt.data);
  }
  char *result = NULL;
  if (pos.len) {
    buf out = {0};
    if (nneg) {
      ngi_buf_printf(&out, "(%s NOT (%s))", pos.data, neg.data);
      p->out->has_not = 1;
    } else
      ngi_buf_adds(&out, pos.data);
    result = out.oom ? (ngi_buf_free(&out), NULL) : ngi_buf_detach(&out);
  } else if (nneg) {
    explain(p, "  only excluded words: nothing to search for\n");
  }
  ngi_buf_free(&req);
  ngi_buf_free(&opt);
  ngi_buf_free(&neg);
  ngi_buf_free(&pos);
  return result;
}

#define MAX_NEAR_COMBINATIONS 32

/* NEAR takes phrases only, so terms with alternatives (variants, prefix
 * expansions) become an OR of NEAR groups, one per combination, as long as
 * there are few; past that each term keeps its first alternative. */
static char *render_near(expander *p, qnode *x) {
  inexact(p);
  alts *terms = calloc(x->nkids ? x->nkids : 1, sizeof *terms);
  if (!terms) return NULL;
  size_t n = 0, combos = 1;
  for (size_t i = 0; i < x->nkids; i++) {
    qnode *k = x->kids[i];
    if (k->type != NGI_WORD && k->type != NGI_PHRASE) continue;
    term_alts(p, k, &terms[n]);
    if (terms[n].n == 0) continue;
    combos = combos > MAX_NEAR_COMBINATIONS ? combos : combos * terms[n].n;
    n++;
  }
  explain(p, "  NEAR/%d over %zu terms\n", x->distance, n);
  char *result = NULL;
  if (n == 1) {
    result = alts_join(&terms[0]); /* too little left for NEAR */
  } else if (n > 1) {
    if (combos > MAX_NEAR_COMBINATIONS) {
      for (size_t i = 0; i < n; i++) terms[i].n = 1; /* alts_free frees them all */
      combos = 1;
    }
    buf out = {0};
    size_t *pick = calloc(n, sizeof *pick);
    for (size_t c = 0; pick && c < combos; c++) {
      ngi_buf_adds(&out, c ? " OR NEAR(" : "NEAR(");
      for (size_t i = 0; i < n; i++) {
        if (i) ngi_buf_addc(&out, ' ');
        ngi_buf_adds(&out, terms[i].items[pick[i]]);
      }
      ngi_buf_printf(&out, ", %d)", x->distance);
      for (size_t i = 0; i < n && ++pick[i] == terms[i].n; i++) pick[i] = 0;
    }
    free(pick);
    if (combos > 1) {
      buf wrapped = {0};
      ngi_buf_printf(&wrapped, "(%s)", out.data ? out.data : "");
      ngi_buf_free(&out);
      out = wrapped;
    }
    result = out.oom ? (ngi_buf_free(&out), NULL) : ngi_buf_detach(&out);
  }
  for (size_t i = 0; i < x->nkids; i++) alts_free(&terms[i]);
  free(terms);
  return result;
}

static char *render(expander *p, qnode *x) {
  if (p->terms >= NGI_MAX_QUERY_TERMS) {
    p->out->truncated = 1;
    return NULL;
  }
  switch (x->type) {
    case NGI_WORD:
      if (x->unknown_field) return render_unknown_field(p, x);
      return render_term(p, x);
    case NGI_PHRASE: return render_term(p, x);
    case NGI_EXPR: return x->text ? strdup(x->text) : NULL;
    case NGI_AND: return render_list(p, x);
    case NGI_NEAR: return render_near(p, x);
    case NGI_OR: {
      buf out = {0};
      size_t n = 0;
      for (size_t i = 0; i < x->nkids; i++) {
        if (x->kids[i]->negated) {
          explain(p, "  an excluded word inside OR means nothing; ignored\n");
          continue;
        }
        char *r = render(p, x->kids[i]);
        if (!r) continue;
        ngi_buf_adds(&out, n++ ? " OR " : "(");
        ngi_buf_adds(&out, r);
        free(r);
      }
      if (!n) {
        ngi_buf_free(&out);
        return NULL;
      }
      ngi_buf_addc(&out, ')');
      return ngi_buf_detach(&out);
    }
    default: return NULL;
  }
}

/* A date: filter's value ("2025-12-01", "2025-11..2025-12", "2025..")
 * as "SINCE..UNTIL" of query dates; NULL (and a message) when a side
 * cannot be read or the range holds no day. */
static char *date_range(expander *p, const char *v) {
  const char *dots = strstr(v, "..");
  char since[32] = "", until[32] = "", a[64] = "", b[64] = "";
  if (dots) {
    snprintf(a, sizeof a, "%.*s", (int)((size_t)(dots - v) < 63 ? (size_t)(dots - v) : 63), v);
    snprintf(b, sizeof b, "%s", dots + 2);
  } else {
    snprintf(a, sizeof a, "%s", v);
    snprintf(b, sizeof b, "%s", v);
  }
  if ((a[0] && ngi_date_query(a, 0, since, sizeof since) != 0) ||
      (b[0] && ngi_date_query(b, 0, until, sizeof until) != 0) || (!a[0] && !b[0])) {
    ngi_fail(p->idx, NG_EUSAGE, "cannot read date:%.100s (a day, month or year, or a range such as 2025-11..2025-12)",
             v);
    return NULL;
  }
  if (since[0] && until[0] && ngi_date_range_inverted(since, until)) {
    ngi_fail(p->idx, NG_EUSAGE, "date:%.100s holds no day: the first is after the second", v);
    return NULL;
  }
  buf r = {0};
  ngi_buf_printf(&r, "%s..%s", since, until);
  return ngi_buf_detach(&r);
}

/* Moves filters out of the tree into out->filters; -1 when memory ran
 * out, -2 for a filter that cannot be read (message on the handle). */
static int take_filters(expander *p, qnode *x) {
  static const char *const names[] = {"headline", "source", "path", "dateline", "author", "date"};
  for (size_t i = 0; i < x->nkids; i++) {
    qnode *k = x->kids[i];
    if (k->type == NGI_FILTER) {
      ngi_filter f = {k->field, k->negated, NULL};
      qnode *v = k->nkids ? k->kids[0] : NULL;
      if (!v) continue;
      if (f.field == NGI_FIELD_TITLE) {
        explain(p, "  filter: headline%s matches\n", f.negated ? " never" : "");
        int outer = p->group;
        p->group = -1; /* a filter, not a part of the score */
        f.value = render(p, v);
        p->group = outer;
      } else if (f.field == NGI_FIELD_DATE) {
        if (!v->text || !(f.value = date_range(p, v->text))) return -2;
        explain(p, "  filter: date %sin %s\n", f.negated ? "not " : "", f.value);
      } else {
        f.value = v->text ? strdup(v->text) : NULL;
        int glob = f.field == NGI_FIELD_PATH && f.value && strpbrk(f.value, "*?[");
        explain(p, "  filter: %s %s%s \"%s\"\n", names[f.field], f.negated ? "does not " : "",
                glob ? (f.negated ? "match the glob" : "matches the glob") : (f.negated ? "contain" : "contains"),
                f.value ? f.value : "");
      }
      if (!f.value) continue;
      ngi_filter *fs = realloc(p->out->filters, (p->out->nfilters + 1) * sizeof *fs);
      if (!fs) {
        free(f.value);
        return -1;
      }
      p->out->filters = fs;
      fs[p->out->nfilters++] = f;
    } else if (k->type == NGI_AND || k->type == NGI_OR) {
      int rc = take_filters(p, k);
      if (rc != 0) return rc;
    }
  }
  return 0;
}

/* The words of text, for ngi_surface_match: ASCII letters and digits
 * folded, bytes past ASCII as they are, but ’ and ‘ (apostrophes) and
 * every other byte separate.  The next word at or after *i into [*a, *b);
 * 0 at the end. */
static int next_word(const char *s, size_t n, size_t *i, size_t *a, size_t *b) {
  size_t k = *i;
  for (;;) {
    while (k < n) {
      unsigned char c = (unsigned char)s[k];
      if (c == 0xE2 && k + 2 < n && (unsigned char)s[k + 1] == 0x80 &&
          ((unsigned char)s[k + 2] == 0x98 || (unsigned char)s[k + 2] == 0x99)) {
        k += 3;
        continue;
      }
      if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z')) break;
      k++;
    }
    if (k >= n) return 0;
    *a = k;
    while (k < n) {
      unsigned char c = (unsigned char)s[k];
      if (c == 0xE2 && k + 2 < n && (unsigned char)s[k + 1] == 0x80 &&
          ((unsigned char)s[k + 2] == 0x98 || (unsigned char)s[k + 2] == 0x99))
        break;
      if (!(c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z'))) break;
      k++;
    }
    *b = k;
    *i = k;
    return 1;
  }
}

static int same_word(const char *s, size_t n, const char *w, size_t wl) {
  if (n != wl) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
    if (c != (unsigned char)w[i]) return 0;
  }
  return 1;
}

int ngi_surface_match(const char *text, size_t n, const char *forms) {
  for (const char *f = forms; f && *f;) {
    const char *end = strchr(f, '\x1f');
    size_t fl = end ? (size_t)(end - f) : strlen(f);
    /* Each start word of the text against the form's words in turn. */
    size_t i = 0, a, b;
    while (next_word(text, n, &i, &a, &b)) {
      size_t j = a, fa = 0, ok = 1;
      size_t wa, wb;
      while (ok && fa < fl) {
        while (fa < fl && f[fa] == ' ') fa++;
        if (fa >= fl) break;
        size_t fe = fa;
        while (fe < fl && f[fe] != ' ') fe++;
        if (!next_word(text, n, &j, &wa, &wb) || !same_word(text + wa, wb - wa, f + fa, fe - fa)) ok = 0;
        fa = fe;
      }
      if (ok) return 1;
    }
    f = end ? end + 1 : f + fl;
  }
  return 0;
}

/* Control characters and bytes that are not UTF-8 become spaces. */

/* The file rel/variants.txt from the directory of file (a program or a
 * shared library), when it exists: a malloc'd path, or NULL. */
static char *beside(const char *file, const char *rel) {
  const char *slash = strrchr(file, '/');
  if (!slash) return NULL;
  buf b = {0};
  ngi_buf_printf(&b, "%.*s/%s/variants.txt", (int)(slash - file), file, rel);
  if (!b.oom && access(b.data, F_OK) == 0) return ngi_buf_detach(&b);
  ngi_buf_free(&b);
  return NULL;
}

/* The installation's variants file, when there is one: with
 * $NUTGRAF_DATADIR set, its variants.txt (and nothing else); else the one
 * NG_BIN_TO_DATADIR from the running program's directory (<prefix>/bin/
 * ../share/nutgraf: what `cmake --install --prefix` and the .deb put
 * there, wherever the prefix is), or NG_LIB_TO_DATADIR from the directory
 * of the libnutgraf.so in use (a program that embeds it); else
 * NG_DATADIR/variants.txt as configured.  A malloc'd path, or NULL: none
 * (the built-in list). */
static char *installed_variants(void) {
  buf b = {0};
  const char *dir = getenv("NUTGRAF_DATADIR");
  if (dir && *dir) {
    ngi_buf_printf(&b, "%s/variants.txt", dir);
    if (!b.oom && access(b.data, F_OK) == 0) return ngi_buf_detach(&b);
    ngi_buf_free(&b);
    return NULL;
  }
  char *found = NULL;
  char exe[4096] = "";
#if defined(NG_BIN_TO_DATADIR) && defined(__linux__)
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    found = beside(exe, NG_BIN_TO_DATADIR);
  }
#endif
#if defined(NG_LIB_TO_DATADIR) && defined(__GLIBC__)
  Dl_info self;
  /* In a program linked with libnutgraf.a, the program itself. */
  if (!found && dladdr((void *)(uintptr_t)installed_variants, &self) && self.dli_fname &&
      strcmp(self.dli_fname, exe) != 0)
    found = beside(self.dli_fname, NG_LIB_TO_DATADIR);
#endif
  if (found) return found;
#ifdef NG_DATADIR
  if (access(NG_DATADIR "/variants.txt", F_OK) == 0) return strdup(NG_DATADIR "/variants.txt");
#endif
  return NULL;
}

static int add_variants_file(ng_index *idx, const char *path);

/* Loads the variants on first use: the installed file (installed_variants)
 * or, when there is none, the built-in list; the user's files are added
 * to them (ng_index_add_variants). */
int ngi_expand_variants(ng_index *idx) {
  if (idx->vars) return NG_OK;
  idx->vars = ngi_variants_new();
  if (!idx->vars) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  char *installed = installed_variants();
  if (installed) {
    int rc = add_variants_file(idx, installed);
    free(installed);
    if (rc != NG_OK) {
      /* Not half a list: the next call tries again. */
      ngi_variants_free(idx->vars);
      idx->vars = NULL;
    }
    return rc;
  }
  char err[300];
  int rc = ngi_variants_add_text(idx->vars, idx->lx, ngi_builtin_variants, strlen(ngi_builtin_variants),
                                 "built-in variants", err, sizeof err);
  if (rc != NG_OK) return ngi_fail(idx, rc, "%s", err);
  return NG_OK;
}

int ng_index_add_variants(ng_index *idx, const char *path) {
  int rc = ngi_expand_variants(idx);
  if (rc != NG_OK) return rc;
  return add_variants_file(idx, path);
}

static int add_variants_file(ng_index *idx, const char *path) {
  int rc;
  FILE *f = fopen(path, "rb");
  if (!f) return ngi_fail(idx, NG_EDATA, "cannot read variants file %s: %s", path, strerror(errno));
  buf text = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) ngi_buf_add(&text, chunk, n);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    ngi_buf_free(&text);
    return ngi_fail(idx, NG_EDATA, "cannot read variants file %s", path);
  }
  if (text.oom) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  char err[600];
  rc = ngi_variants_add_text(idx->vars, idx->lx, text.data ? text.data : "", text.len, path, err, sizeof err);
  ngi_buf_free(&text);
  if (rc != NG_OK) return ngi_fail(idx, rc, "%s", err);
  return NG_OK;
}

int ngi_query_expand(ng_index *idx, const char *query, const ng_search_options *opts, parsed_query *out) {
  memset(out, 0, sizeof *out);
  int rc = ngi_expand_variants(idx);
  if (rc != NG_OK) return rc;
  query_tree tree;
  if (ngi_query_parse(query, &tree) != NG_OK) return ngi_fail(idx, NG_ESYSTEM, "out of memory");
  const char *lang = ngi_lexicon_language(idx->lx);
  int english = lang && (strcmp(lang, "english") == 0 || strcmp(lang, "en") == 0 || strcmp(lang, "porter") == 0);
  expander p = {idx, opts, 0, out, -1, 0, 0, {0}, {0}, {0}, !english || (opts->rank_off & NG_RANK_KEEP_STOP_WORDS), 0};
  out->plan.exact = 1;
  out->plan.exact_words = 1;
  out->fallback = tree.fallback;
  explain(&p, "query: %s%s\n", tree.text, tree.fallback ? "  (read as plain words: the syntax did not parse)" : "");
  if (opts->any) explain(&p, "  mode: any word (ranked)\n");
  int taken = take_filters(&p, tree.root);
  if (taken == -1) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  if (taken == -2) rc = NG_EUSAGE;
  if (rc == NG_OK) out->fts = render(&p, tree.root);
  if (rc == NG_OK && p.unknown.len) {
    int several = strchr(p.unknown.data, ',') != NULL;
    ngi_buf_printf(&out->notes,
                   "%s %s not %s (the fields are title:, source:, path:, dateline:, author: and date:);"
                   " searched as words",
                   p.unknown.data, several ? "are" : "is", several ? "fields" : "a field");
  }
  ngi_buf_free(&p.unknown);
  if (rc == NG_OK && out->fts && p.surface_phrases.n) {
    out->fts_plain = without_surface(out->fts, &p.surface_phrases);
    out->surface_words = ngi_buf_detach(&p.surface_words);
    if (!out->fts_plain || !out->surface_words) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
    explain(&p, "  quoted variants (%s) count only where their words are written so\n", out->surface_words);
  }
  ngi_strlist_free(&p.surface_phrases);
  ngi_buf_free(&p.surface_words);
  if (tree.truncated) explain(&p, "  the query was too long: only its first %d bytes were read\n", NGI_MAX_QUERY_BYTES);
  if (out->truncated) explain(&p, "  the query was too long: only its first %d terms were used\n", NGI_MAX_QUERY_TERMS);
  out->truncated |= tree.truncated;
  if (rc == NG_OK && !out->fts) {
    int has_title = 0;
    for (size_t i = 0; i < out->nfilters; i++)
      has_title |= out->filters[i].field == NGI_FIELD_TITLE && !out->filters[i].negated;
    if (!has_title) rc = ngi_fail(idx, NG_EUSAGE, "query '%.200s' has no words to search for", tree.text);
  }
  if (rc == NG_OK && out->explain.oom) rc = ngi_fail(idx, NG_ESYSTEM, "out of memory");
  ngi_query_tree_free(&tree);
  if (rc != NG_OK) ngi_parsed_query_free(out);
  return rc;
}

void ngi_parsed_query_free(parsed_query *q) {
  ngi_plan_free(&q->plan);
  free(q->fts);
  free(q->fts_plain);
  free(q->surface_words);
  for (size_t i = 0; i < q->nfilters; i++) free(q->filters[i].value);
  free(q->filters);
  ngi_buf_free(&q->explain);
  ngi_buf_free(&q->notes);
  memset(q, 0, sizeof *q);
}
