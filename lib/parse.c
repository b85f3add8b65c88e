/*
 * parse.c -- what a person types -> an FTS5 expression over stems.
 *
 * The language (see man/nutgraf-syntax.7): words (all required, or any with
 * opts->any), "phrases", OR, AND, NOT word and -word, word* prefixes,
 * a NEAR b and a NEAR/5 b, NEAR(a b, 5), parentheses, and the fields
 * title: (headline), source: and path:.  Operators are upper case, as in
 * Xapian; "or" and "not" are words.
 *
 * It never fails on syntax: when the query does not parse (an unclosed
 * quote, a lone operator, too deep nesting) it is read again as plain words,
 * the way Xapian retries a failed parse.  It fails only when nothing
 * searchable is left (punctuation, emoji, only excluded words).
 *
 * Every term is reduced to stems here, with the index's own tokenizer, and
 * written into the expression after LEX_VERBATIM, so FTS5 uses exactly these
 * stems.  That is what lets a term grow alternatives: the variants of
 * variants.c (Zelensky -> Zelenskyy, ceasefire -> cease fire), compounds
 * (cease-fire -> ceasefire; cease fire -> ceasefire when the index has that
 * word), and prefixes matched against the words as written (negotiat* ->
 * every stem of a word starting so).  A word is not split on a guess
 * ("relationship" -> "relation ship"): that is the variants list's job.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_QUERY_BYTES 16384
#define MAX_PREFIX_STEMS 200

enum node_type { N_WORD, N_PHRASE, N_AND, N_OR, N_NEAR, N_FILTER, N_EXPR };

typedef struct node {
  int type;
  char *text;   /* N_WORD, N_PHRASE: as typed; N_EXPR: rendered FTS5 */
  int prefix;   /* N_WORD: word* */
  int negated;  /* excluded from its AND group */
  int required; /* +word: required even with --any */
  int explicit_and;
  int field;    /* N_FILTER */
  int distance; /* N_NEAR */
  struct node **kids;
  size_t nkids, cap;
} node;

typedef struct parser {
  ng_index *idx;
  const ng_search_options *opts;
  const char *s; /* the cleaned query */
  size_t pos, len;
  int depth;
  int failed;
  size_t terms; /* alternatives rendered so far */
  parsed_query *out;
} parser;

static node *new_node(int type) {
  node *n = calloc(1, sizeof *n);
  if (n) n->type = type;
  return n;
}

static void free_node(node *n) {
  if (!n) return;
  for (size_t i = 0; i < n->nkids; i++) free_node(n->kids[i]);
  free(n->kids);
  free(n->text);
  free(n);
}

static int add_kid(node *n, node *k) {
  if (n->nkids == n->cap) {
    size_t cap = n->cap ? n->cap * 2 : 4;
    node **p = realloc(n->kids, cap * sizeof *p);
    if (!p) return -1;
    n->kids = p;
    n->cap = cap;
  }
  n->kids[n->nkids++] = k;
  return 0;
}

static char *dup_range(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/* ------------------------------------------------------------------ */
/* Lexing */

enum tok { T_END, T_LPAREN, T_RPAREN, T_QUOTED, T_WORD, T_AND, T_OR, T_NOT, T_NEAR, T_MINUS, T_PLUS, T_FIELD };

typedef struct token {
  int type;
  const char *s; /* T_WORD, T_QUOTED: text; T_FIELD: value after ':' */
  size_t n;
  int prefix;
  int field;
  int distance; /* T_NEAR */
  int call;     /* T_NEAR written NEAR( */
} token;

static int open_quote_len(const char *s, size_t n) {
  if (n >= 1 && s[0] == '"') return 1;
  if (n >= 3 && (unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x9C) return 3;
  return 0;
}

static int close_quote_len(const char *s, size_t n) {
  if (n >= 1 && s[0] == '"') return 1;
  if (n >= 3 && (unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x9D) return 3;
  return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

static int word_end_char(const parser *p, size_t i) {
  char c = p->s[i];
  return is_space(c) || c == '(' || c == ')' || open_quote_len(p->s + i, p->len - i) ||
         close_quote_len(p->s + i, p->len - i);
}

static int field_of(const char *s, size_t n) {
  if ((n == 5 && memcmp(s, "title", 5) == 0) || (n == 8 && memcmp(s, "headline", 8) == 0)) return FIELD_TITLE;
  if (n == 6 && memcmp(s, "source", 6) == 0) return FIELD_SOURCE;
  if (n == 4 && memcmp(s, "path", 4) == 0) return FIELD_PATH;
  return -1;
}

static token peek(parser *p) {
  token t = {T_END, NULL, 0, 0, 0, 0, 0};
  size_t i = p->pos;
  while (i < p->len && is_space(p->s[i])) i++;
  if (i >= p->len) return t;
  const char *s = p->s + i;
  size_t left = p->len - i;
  if (*s == '(') {
    t.type = T_LPAREN, t.s = s, t.n = 1;
    return t;
  }
  if (*s == ')') {
    t.type = T_RPAREN, t.s = s, t.n = 1;
    return t;
  }
  int q = open_quote_len(s, left);
  if (q) {
    size_t j = (size_t)q;
    while (j < left && !close_quote_len(s + j, left - j)) j++;
    if (j >= left) {
      p->failed = 1; /* an unclosed quote */
      return t;
    }
    t.type = T_QUOTED, t.s = s + q, t.n = j - (size_t)q;
    size_t cq = (size_t)close_quote_len(s + j, left - j);
    t.prefix = j + cq < left && s[j + cq] == '*';
    return t;
  }
  if ((*s == '-' || *s == '+') && left > 1 && !is_space(s[1]) && s[1] != '-' && s[1] != '+' && s[1] != ')') {
    t.type = *s == '-' ? T_MINUS : T_PLUS, t.s = s, t.n = 1;
    return t;
  }
  size_t j = 0;
  while (j < left && !word_end_char(p, i + j)) j++;
  t.s = s, t.n = j;
  if (j == 3 && memcmp(s, "AND", 3) == 0)
    t.type = T_AND;
  else if (j == 2 && memcmp(s, "OR", 2) == 0)
    t.type = T_OR;
  else if (j == 3 && memcmp(s, "NOT", 3) == 0)
    t.type = T_NOT;
  else if (j >= 4 && memcmp(s, "NEAR", 4) == 0 && (j == 4 || s[4] == '/')) {
    t.type = T_NEAR;
    t.distance = 10;
    if (j > 5) {
      int d = 0;
      for (size_t k = 5; k < j; k++) {
        if (s[k] < '0' || s[k] > '9' || d > 1000) {
          t.type = T_WORD;
          break;
        }
        d = d * 10 + (s[k] - '0');
      }
      t.distance = d;
    } else if (j == 5) {
      t.type = T_WORD;
    }
    t.call = t.type == T_NEAR && j == 4 && j < left && s[j] == '(';
  } else {
    t.type = T_WORD;
    const char *colon = memchr(s, ':', j);
    if (colon && colon > s) {
      int f = field_of(s, (size_t)(colon - s));
      if (f >= 0) {
        t.type = T_FIELD;
        t.field = f;
        t.s = colon + 1;
        t.n = j - (size_t)(colon + 1 - s);
      }
    }
    if (t.type == T_WORD) {
      while (t.n > 0 && t.s[t.n - 1] == '*') t.n--, t.prefix = 1;
    }
  }
  return t;
}

static void consume(parser *p, const token *t) {
  const char *end = t->s + t->n;
  if (t->type == T_QUOTED) end += close_quote_len(end, p->len - (size_t)(end - p->s)) + (t->prefix ? 1 : 0);
  if (t->type == T_WORD && t->prefix) {
    while ((size_t)(end - p->s) < p->len && *end == '*') end++;
  }
  p->pos = (size_t)(end - p->s);
}

/* ------------------------------------------------------------------ */
/* Parsing */

static node *parse_or(parser *p);

static node *term_node(int type, const char *s, size_t n, int prefix) {
  node *x = new_node(type);
  if (!x) return NULL;
  x->text = dup_range(s, n);
  x->prefix = prefix;
  if (!x->text) {
    free(x);
    return NULL;
  }
  return x;
}

/* NEAR(a "b c" d, 5): the parenthesis at p->pos holds words and phrases,
 * and perhaps a distance after the last comma. */
static node *parse_near_call(parser *p) {
  size_t open = p->pos, j = open + 1;
  int inq = 0;
  while (j < p->len) {
    int q = inq ? close_quote_len(p->s + j, p->len - j) : open_quote_len(p->s + j, p->len - j);
    if (q) {
      inq = !inq;
      j += (size_t)q;
      continue;
    }
    if (!inq && (p->s[j] == ')' || p->s[j] == '(')) break;
    j++;
  }
  if (j >= p->len || p->s[j] != ')') {
    p->failed = 1;
    return NULL;
  }
  node *x = new_node(N_NEAR);
  if (!x) return NULL;
  x->distance = 10;
  size_t end = j;
  const char *comma = NULL;
  for (size_t k = open + 1; k < j; k++) {
    if (p->s[k] == ',') comma = p->s + k;
  }
  if (comma) {
    int d = 0, digits = 0, ok = 1;
    for (const char *c = comma + 1; c < p->s + j; c++) {
      if (*c >= '0' && *c <= '9' && d <= 1000)
        d = d * 10 + (*c - '0'), digits++;
      else if (!is_space(*c))
        ok = 0;
    }
    if (ok && digits) {
      x->distance = d;
      end = (size_t)(comma - p->s);
    }
  }
  size_t saved_len = p->len;
  p->len = end;
  p->pos = open + 1;
  for (;;) {
    token k = peek(p);
    if (p->failed || k.type == T_END) break;
    if (k.type != T_WORD && k.type != T_QUOTED) {
      p->failed = 1;
      break;
    }
    consume(p, &k);
    while (k.n > 0 && k.type == T_WORD && k.s[k.n - 1] == ',') k.n--;
    if (k.n == 0) continue;
    node *term = term_node(k.type == T_QUOTED ? N_PHRASE : N_WORD, k.s, k.n, k.prefix);
    if (!term || add_kid(x, term) != 0) {
      free_node(term);
      p->failed = 1;
      break;
    }
  }
  p->len = saved_len;
  p->pos = j + 1;
  if (p->failed || x->nkids < 2) {
    free_node(x);
    p->failed = 1;
    return NULL;
  }
  return x;
}

static node *parse_primary(parser *p) {
  if (p->failed) return NULL;
  token t = peek(p);
  if (p->failed) return NULL;
  switch (t.type) {
    case T_LPAREN: {
      if (++p->depth > NG_MAX_QUERY_DEPTH) {
        p->failed = 1;
        return NULL;
      }
      consume(p, &t);
      node *x = parse_or(p);
      token r = peek(p);
      if (!x || r.type != T_RPAREN) {
        free_node(x);
        p->failed = 1;
        return NULL;
      }
      consume(p, &r);
      p->depth--;
      return x;
    }
    case T_QUOTED: consume(p, &t); return term_node(N_PHRASE, t.s, t.n, t.prefix);
    case T_WORD:
      consume(p, &t);
      if (t.n == 0) {
        p->failed = 1;
        return NULL;
      }
      return term_node(N_WORD, t.s, t.n, t.prefix);
    case T_FIELD: {
      consume(p, &t);
      node *f = new_node(N_FILTER);
      if (!f) return NULL;
      f->field = t.field;
      node *v = NULL;
      if (t.n > 0) {
        /* A title: value may be a prefix; source: and path: values are
         * taken as written (a path glob ends in '*' often). */
        size_t n = t.n;
        int prefix = 0;
        while (t.field == FIELD_TITLE && n > 0 && t.s[n - 1] == '*') n--, prefix = 1;
        v = n ? term_node(N_WORD, t.s, n, prefix) : NULL;
      } else {
        token nt = peek(p);
        if (nt.type == T_QUOTED || nt.type == T_LPAREN) v = parse_primary(p);
      }
      if (!v || add_kid(f, v) != 0) {
        free_node(v);
        free_node(f);
        p->failed = 1;
        return NULL;
      }
      return f;
    }
    case T_NEAR:
      if (!t.call) {
        p->failed = 1;
        return NULL;
      }
      consume(p, &t);
      return parse_near_call(p);
    default: p->failed = 1; return NULL;
  }
}

static node *parse_unary(parser *p) {
  token t = peek(p);
  if (p->failed) return NULL;
  if (t.type == T_NOT || t.type == T_MINUS) {
    consume(p, &t);
    node *x = t.type == T_NOT ? parse_unary(p) : parse_primary(p);
    if (x) x->negated = !x->negated;
    return x;
  }
  int required = t.type == T_PLUS;
  if (required) consume(p, &t);
  node *x = parse_primary(p);
  if (x) x->required = required;
  while (x && !p->failed) {
    token n = peek(p);
    if (n.type != T_NEAR || n.call) break;
    consume(p, &n);
    node *y = parse_primary(p);
    if (!y) {
      free_node(x);
      return NULL;
    }
    if (x->type == N_NEAR && !x->negated) {
      if (add_kid(x, y) != 0) {
        free_node(y);
        free_node(x);
        return NULL;
      }
      if (n.distance > x->distance) x->distance = n.distance;
    } else {
      node *near = new_node(N_NEAR);
      if (!near || add_kid(near, x) != 0 || add_kid(near, y) != 0) {
        free_node(near);
        free_node(x);
        free_node(y);
        return NULL;
      }
      near->distance = n.distance;
      x = near;
    }
  }
  return x;
}

static node *parse_and(parser *p) {
  node *list = new_node(N_AND);
  if (!list) return NULL;
  for (;;) {
    token t = peek(p);
    if (p->failed || t.type == T_END || t.type == T_RPAREN || t.type == T_OR) break;
    int explicit_and = 0;
    if (t.type == T_AND) {
      if (list->nkids == 0) {
        p->failed = 1;
        break;
      }
      consume(p, &t);
      explicit_and = 1;
    }
    node *x = parse_unary(p);
    if (!x) {
      p->failed = 1;
      break;
    }
    x->explicit_and = explicit_and;
    if (add_kid(list, x) != 0) {
      free_node(x);
      p->failed = 1;
      break;
    }
  }
  if (p->failed || list->nkids == 0) {
    free_node(list);
    p->failed = 1;
    return NULL;
  }
  return list;
}

static node *parse_or(parser *p) {
  node *left = parse_and(p);
  if (!left) return NULL;
  token t = peek(p);
  if (t.type != T_OR) return left;
  node * or = new_node(N_OR);
  if (! or || add_kid(or, left) != 0) {
    free_node(or);
    free_node(left);
    return NULL;
  }
  while (!p->failed && (t = peek(p)).type == T_OR) {
    consume(p, &t);
    node *right = parse_and(p);
    if (!right || add_kid(or, right) != 0) {
      free_node(right);
      p->failed = 1;
      break;
    }
  }
  if (p->failed) {
    free_node(or);
    return NULL;
  }
  return or ;
}

/* The query as plain words: quotes, parentheses, stars and field names go,
 * AND/OR/NOT/NEAR go, a leading '-' still excludes its word. */
static node *plain_words(parser *p) {
  node *list = new_node(N_AND);
  if (!list) return NULL;
  size_t i = 0;
  /* Parentheses separate words here: "NEAR(truce)" is NEAR and truce. */
  while (i < p->len) {
    while (i < p->len && (is_space(p->s[i]) || p->s[i] == '(' || p->s[i] == ')')) i++;
    size_t j = i;
    while (j < p->len && !is_space(p->s[j]) && p->s[j] != '(' && p->s[j] != ')') j++;
    size_t a = i, b = j;
    int negated = a + 1 < b && p->s[a] == '-' && p->s[a + 1] != '-';
    for (int again = 1; again && a < b;) {
      again = 0;
      int q = open_quote_len(p->s + a, b - a);
      int c = close_quote_len(p->s + a, b - a);
      if (q || c)
        a += (size_t)(q ? q : c), again = 1;
      else if (strchr("()+-*:,", p->s[a]))
        a++, again = 1;
    }
    for (int again = 1; again && b > a;) {
      again = 0;
      if (strchr("()+-*:,\"", p->s[b - 1]))
        b--, again = 1;
      else if (b - a >= 3 && (close_quote_len(p->s + b - 3, 3) == 3 || open_quote_len(p->s + b - 3, 3) == 3))
        b -= 3, again = 1;
    }
    /* "field:value" stays a filter; a field with no value ("title:") goes. */
    if (j > a && p->s[j - 1] == ':' && field_of(p->s + a, j - 1 - a) >= 0) {
      i = j;
      continue;
    }
    const char *colon = b > a ? memchr(p->s + a, ':', b - a) : NULL;
    int field = colon ? field_of(p->s + a, (size_t)(colon - (p->s + a))) : -1;
    if (field >= 0) {
      a = (size_t)(colon + 1 - p->s);
      size_t vb = field == FIELD_TITLE ? b : j; /* path and source values as written */
      int prefix = 0;
      while (field == FIELD_TITLE && vb > a && p->s[vb - 1] == '*') vb--, prefix = 1;
      node *f = vb > a ? new_node(N_FILTER) : NULL;
      node *v = f ? term_node(N_WORD, p->s + a, vb - a, prefix) : NULL;
      if (f && (!v || add_kid(f, v) != 0 || add_kid(list, f) != 0)) {
        free_node(v);
        free_node(f);
        free_node(list);
        return NULL;
      }
      if (f) {
        f->field = field;
        f->negated = negated;
      }
      i = j;
      continue;
    }
    int op = (b - a == 2 && memcmp(p->s + a, "OR", 2) == 0) ||
             (b - a == 3 && (memcmp(p->s + a, "AND", 3) == 0 || memcmp(p->s + a, "NOT", 3) == 0)) ||
             (b - a >= 4 && memcmp(p->s + a, "NEAR", 4) == 0 && (b - a == 4 || p->s[a + 4] == '/'));
    if (b > a && !op) {
      node *w = term_node(N_WORD, p->s + a, b - a, 0);
      if (!w || add_kid(list, w) != 0) {
        free_node(w);
        free_node(list);
        return NULL;
      }
      w->negated = negated;
    }
    i = j;
  }
  return list;
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
    buf_addc(&s->key, ' ');
    buf_addc(&s->raw, ' ');
  }
  buf_add(&s->key, t->stem, t->stemlen);
  buf_add(&s->raw, t->raw, t->rawlen);
  s->count++;
  s->hyphens += (size_t)t->hyphen_after;
  return 0;
}

static void analyse(parser *p, const char *text, stems *out) {
  memset(out, 0, sizeof *out);
  lexicon_tokenize(&p->idx->lx, text, (int)strlen(text), out, collect);
  out->all_hyphen = out->count > 1 && out->hyphens + 1 >= out->count;
}

static void stems_free(stems *s) {
  buf_free(&s->key);
  buf_free(&s->raw);
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

static void fts_phrase(buf *b, const char *key, int prefix) {
  buf_addc(b, '"');
  buf_addc(b, LEX_VERBATIM);
  buf_adds(b, key); /* stems never hold '"': unicode61 splits on it */
  buf_addc(b, '"');
  if (prefix) buf_adds(b, " *");
}

static void alt_add(parser *p, alts *a, const char *key, int prefix) {
  if (!key || !*key) return;
  buf one = {0};
  fts_phrase(&one, key, prefix);
  for (size_t i = 0; one.data && i < a->n; i++) {
    if (strcmp(a->items[i], one.data) == 0) {
      buf_free(&one);
      return;
    }
  }
  if (p->terms >= NG_MAX_QUERY_TERMS) {
    p->out->truncated = 1;
    buf_free(&one);
    return;
  }
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 4;
    char **items = realloc(a->items, cap * sizeof *items);
    if (!items) {
      buf_free(&one);
      return;
    }
    a->items = items;
    a->cap = cap;
  }
  a->items[a->n++] = buf_detach(&one);
  a->total = a->n;
  p->terms++;
}

/* The alternatives OR-ed: "x", "(x OR y)", or NULL when there are none. */
static char *alts_join(const alts *a) {
  if (a->n == 0) return NULL;
  buf out = {0};
  if (a->n > 1) buf_addc(&out, '(');
  for (size_t i = 0; i < a->n; i++) {
    if (i) buf_adds(&out, " OR ");
    buf_adds(&out, a->items[i]);
  }
  if (a->n > 1) buf_addc(&out, ')');
  return out.oom ? (buf_free(&out), NULL) : buf_detach(&out);
}

static void explain(parser *p, const char *fmt, ...) NG_PRINTF(2, 3);
static void explain(parser *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char line[1024];
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  buf_adds(&p->out->explain, line);
}

/* The stem the word table has for raw, into out; 1 when found. */
static int word_stem(parser *p, const char *raw, size_t n, buf *out) {
  sqlite3_stmt *st = store_stmt(p->idx, ST_WORD_EXISTS);
  if (!st) return 0;
  sqlite3_bind_text(st, 1, raw, (int)n, SQLITE_STATIC);
  int found = sqlite3_step(st) == SQLITE_ROW;
  if (found) {
    buf_reset(out);
    buf_adds(out, (const char *)sqlite3_column_text(st, 0));
  }
  sqlite3_reset(st);
  return found;
}

static void add_variants(parser *p, alts *a, const char *key) {
  if (p->opts->no_variants) return;
  int g = variants_lookup(p->idx->vars, key);
  if (g < 0) return;
  size_t before = a->n;
  buf names = {0};
  for (size_t i = 0; i < variants_group_size(p->idx->vars, g); i++) {
    const char *k = variants_member_key(p->idx->vars, g, i);
    if (strcmp(k, key) == 0) continue;
    alt_add(p, a, k, 0);
    if (names.len) buf_adds(&names, ", ");
    buf_adds(&names, variants_member_form(p->idx->vars, g, i));
  }
  if (a->n > before) explain(p, "; variants: %s", names.data ? names.data : "");
  buf_free(&names);
}

/* negotiat* -> the stems of every indexed word that starts so. */
static void add_prefix(parser *p, alts *a, const stems *s) {
  const char *last = strrchr(s->raw.data, ' ');
  const char *pre = last ? last + 1 : s->raw.data;
  if (s->count > 1) {
    /* "12-hou*": the phrase with its last word a prefix. */
    buf key = {0};
    const char *lastkey = strrchr(s->key.data, ' ');
    buf_add(&key, s->key.data, (size_t)(lastkey - s->key.data));
    buf_addc(&key, ' ');
    buf_adds(&key, pre);
    alt_add(p, a, key.data, 1);
    buf_free(&key);
    return;
  }
  alt_add(p, a, pre, 1);
  sqlite3_stmt *st = store_stmt(p->idx, ST_WORD_PREFIX);
  if (!st) return;
  sqlite3_bind_text(st, 1, pre, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, MAX_PREFIX_STEMS);
  size_t count = 0;
  size_t plen = strlen(pre);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *stem = (const char *)sqlite3_column_text(st, 0);
    /* Stems that start with the prefix are matched by the prefix itself. */
    if (strncmp(stem, pre, plen) == 0) continue;
    alt_add(p, a, stem, 0);
    count++;
  }
  sqlite3_reset(st);
  explain(p, "; prefix %s* (%zu more stems from the words as written)", pre, count);
}

/* Fills a with the alternatives of a word or phrase node. */
static void term_alts(parser *p, node *x, alts *a) {
  stems s;
  analyse(p, x->text, &s);
  if (s.count == 0) {
    explain(p, "  %s \"%s\": nothing searchable, ignored\n", x->type == N_PHRASE ? "phrase" : "word", x->text);
    stems_free(&s);
    return;
  }
  explain(p, "  %s%s%s \"%s\" -> %s", x->negated ? "excluded " : "", x->required ? "required " : "",
          x->type == N_PHRASE ? "phrase" : "word", x->text, s.key.data);
  if (x->prefix) {
    add_prefix(p, a, &s);
  } else {
    alt_add(p, a, s.key.data, 0);
    add_variants(p, a, s.key.data);
    /* Compounds widen what matches; in ranked --any mode they would only
     * count the same words twice, so they are left out there. */
    if (s.count > 1 && s.all_hyphen && !p->opts->any) {
      /* The compound joined: cease-fire -> ceasefire. */
      buf joined = {0};
      for (const char *r = s.raw.data; *r; r++) {
        if (*r != ' ') buf_addc(&joined, *r);
      }
      size_t sl;
      const char *stem = joined.data ? lexicon_stem(&p->idx->lx, joined.data, joined.len, &sl) : NULL;
      char *copy = stem ? dup_range(stem, sl) : NULL;
      if (copy) {
        alt_add(p, a, copy, 0);
        add_variants(p, a, copy);
        explain(p, "; joined: %s", joined.data);
        free(copy);
      }
      buf_free(&joined);
    }
  }
  explain(p, "\n");
  stems_free(&s);
}

/* Renders a word or phrase node: its alternatives OR-ed, or NULL when it
 * has nothing searchable. */
static char *render_term(parser *p, node *x) {
  alts a = {0};
  term_alts(p, x, &a);
  char *r = alts_join(&a);
  alts_free(&a);
  return r;
}

static char *render(parser *p, node *x);

/* Adjacent plain words that the index knows joined ("cease fire" ->
 * ceasefire) or that form a multi-word variant ("north atlantic treaty
 * organization" -> NATO) become one alternative node. */
static void group_sequences(parser *p, node *list) {
  for (size_t i = 0; i < list->nkids; i++) {
    size_t maxlen = variants_max_len(p->idx->vars);
    if (maxlen < 2) maxlen = 2;
    for (size_t len = maxlen; len >= 2; len--) {
      if (i + len > list->nkids) continue;
      int plain = 1;
      for (size_t k = i; k < i + len; k++) {
        node *w = list->kids[k];
        plain &= w->type == N_WORD && !w->prefix && !w->negated && !(k > i && w->explicit_and);
      }
      if (!plain) continue;
      stems all = {{0}, {0}, 0, 0, 0};
      for (size_t k = i; k < i + len; k++) {
        stems one;
        analyse(p, list->kids[k]->text, &one);
        if (one.count) {
          if (all.key.len) {
            buf_addc(&all.key, ' ');
            buf_addc(&all.raw, ' ');
          }
          buf_adds(&all.key, one.key.data);
          buf_adds(&all.raw, one.raw.data);
          all.count += one.count;
        }
        stems_free(&one);
      }
      alts a = {0};
      int g = p->opts->no_variants || all.count < 2 ? -1 : variants_lookup(p->idx->vars, all.key.data);
      buf joined = {0}, stem = {0};
      int join = 0;
      if (g < 0 && len == 2 && all.count == 2 && !p->opts->any) {
        for (const char *r = all.raw.data; *r; r++) {
          if (*r != ' ') buf_addc(&joined, *r);
        }
        join = word_stem(p, joined.data, joined.len, &stem);
      }
      if (g >= 0 || join) {
        /* (w1 AND w2 ...) OR alternatives */
        buf words = {0};
        size_t before = p->terms;
        for (size_t k = i; k < i + len; k++) {
          char *r = render(p, list->kids[k]);
          if (r) {
            if (words.len) buf_adds(&words, p->opts->any ? " OR " : " AND ");
            buf_adds(&words, r);
            free(r);
          }
        }
        (void)before;
        explain(p, "  words \"%s\" also as", all.raw.data);
        if (g >= 0) {
          add_variants(p, &a, all.key.data);
          alt_add(p, &a, all.key.data, 0);
        } else {
          alt_add(p, &a, stem.data, 0);
          explain(p, "; compound: %s", joined.data);
        }
        explain(p, "\n");
        node *e = new_node(N_EXPR);
        char *others = alts_join(&a);
        if (e) {
          buf t = {0};
          buf_printf(&t, "((%s) OR %s)", words.data ? words.data : "", others ? others : "");
          e->text = buf_detach(&t);
          e->explicit_and = list->kids[i]->explicit_and;
          for (size_t k = i; k < i + len; k++) free_node(list->kids[k]);
          list->kids[i] = e;
          memmove(list->kids + i + 1, list->kids + i + len, (list->nkids - i - len) * sizeof *list->kids);
          list->nkids -= len - 1;
        }
        buf_free(&words);
        free(others);
      }
      alts_free(&a);
      buf_free(&joined);
      buf_free(&stem);
      stems_free(&all);
      if (g >= 0 || join) break;
    }
  }
}

/* An AND group: its words all required, or with --any any of them
 * (+word still required), minus its excluded words.  With --any and
 * required words the expression is R AND (O OR R): it matches what R
 * matches, and BM25 still counts the optional words where they occur. */
static char *render_list(parser *p, node *x) {
  group_sequences(p, x);
  buf req = {0}, opt = {0}, neg = {0};
  size_t nreq = 0, nopt = 0, nneg = 0;
  for (size_t i = 0; i < x->nkids; i++) {
    node *k = x->kids[i];
    if (k->type == N_FILTER) continue;
    char *r = render(p, k);
    if (!r) continue;
    if (k->negated) {
      if (nneg++) buf_adds(&neg, " OR ");
      buf_adds(&neg, r);
    } else if (!p->opts->any || k->required || k->explicit_and || (i + 1 < x->nkids && x->kids[i + 1]->explicit_and)) {
      if (nreq++) buf_adds(&req, " AND ");
      buf_adds(&req, r);
    } else {
      if (nopt++) buf_adds(&opt, " OR ");
      buf_adds(&opt, r);
    }
    free(r);
  }
  buf pos = {0};
  if (nreq && nopt) {
    buf_printf(&pos, "(%s) AND (%s OR %s)", req.data, opt.data, req.data);
  } else if (nreq) {
    buf_printf(&pos, nreq > 1 ? "(%s)" : "%s", req.data);
  } else if (nopt) {
    buf_printf(&pos, nopt > 1 ? "(%s)" : "%s", opt.data);
  }
  char *result = NULL;
  if (pos.len) {
    buf out = {0};
    if (nneg) {
      buf_printf(&out, "(%s NOT (%s))", pos.data, neg.data);
      p->out->has_not = 1;
    } else
      buf_adds(&out, pos.data);
    result = out.oom ? (buf_free(&out), NULL) : buf_detach(&out);
  } else if (nneg) {
    explain(p, "  only excluded words: nothing to search for\n");
  }
  buf_free(&req);
  buf_free(&opt);
  buf_free(&neg);
  buf_free(&pos);
  return result;
}

#define MAX_NEAR_COMBINATIONS 32

/* NEAR takes phrases only, so terms with alternatives (variants, prefix
 * expansions) become an OR of NEAR groups, one per combination, as long as
 * there are few; past that each term keeps its first alternative. */
static char *render_near(parser *p, node *x) {
  alts *terms = calloc(x->nkids ? x->nkids : 1, sizeof *terms);
  if (!terms) return NULL;
  size_t n = 0, combos = 1;
  for (size_t i = 0; i < x->nkids; i++) {
    node *k = x->kids[i];
    if (k->type != N_WORD && k->type != N_PHRASE) continue;
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
      buf_adds(&out, c ? " OR NEAR(" : "NEAR(");
      for (size_t i = 0; i < n; i++) {
        if (i) buf_addc(&out, ' ');
        buf_adds(&out, terms[i].items[pick[i]]);
      }
      buf_printf(&out, ", %d)", x->distance);
      for (size_t i = 0; i < n && ++pick[i] == terms[i].n; i++) pick[i] = 0;
    }
    free(pick);
    if (combos > 1) {
      buf wrapped = {0};
      buf_printf(&wrapped, "(%s)", out.data ? out.data : "");
      buf_free(&out);
      out = wrapped;
    }
    result = out.oom ? (buf_free(&out), NULL) : buf_detach(&out);
  }
  for (size_t i = 0; i < x->nkids; i++) alts_free(&terms[i]);
  free(terms);
  return result;
}

static char *render(parser *p, node *x) {
  if (p->terms >= NG_MAX_QUERY_TERMS) {
    p->out->truncated = 1;
    return NULL;
  }
  switch (x->type) {
    case N_WORD:
    case N_PHRASE: return render_term(p, x);
    case N_EXPR: return x->text ? strdup(x->text) : NULL;
    case N_AND: return render_list(p, x);
    case N_NEAR: return render_near(p, x);
    case N_OR: {
      buf out = {0};
      size_t n = 0;
      for (size_t i = 0; i < x->nkids; i++) {
        if (x->kids[i]->negated) {
          explain(p, "  an excluded word inside OR means nothing; ignored\n");
          continue;
        }
        char *r = render(p, x->kids[i]);
        if (!r) continue;
        buf_adds(&out, n++ ? " OR " : "(");
        buf_adds(&out, r);
        free(r);
      }
      if (!n) {
        buf_free(&out);
        return NULL;
      }
      buf_addc(&out, ')');
      return buf_detach(&out);
    }
    default: return NULL;
  }
}

/* Moves filters out of the tree into out->filters. */
static int take_filters(parser *p, node *x) {
  for (size_t i = 0; i < x->nkids; i++) {
    node *k = x->kids[i];
    if (k->type == N_FILTER) {
      query_filter f = {k->field, k->negated, NULL};
      node *v = k->nkids ? k->kids[0] : NULL;
      if (!v) continue;
      if (f.field == FIELD_TITLE) {
        explain(p, "  filter: headline%s matches\n", f.negated ? " never" : "");
        f.value = render(p, v);
      } else {
        f.value = v->text ? strdup(v->text) : NULL;
        int glob = f.field == FIELD_PATH && f.value && strpbrk(f.value, "*?[");
        explain(p, "  filter: %s %s%s \"%s\"\n", f.field == FIELD_SOURCE ? "source" : "path",
                f.negated ? "does not " : "",
                glob ? (f.negated ? "match the glob" : "matches the glob") : (f.negated ? "contain" : "contains"),
                f.value ? f.value : "");
      }
      if (!f.value) continue;
      query_filter *fs = realloc(p->out->filters, (p->out->nfilters + 1) * sizeof *fs);
      if (!fs) {
        free(f.value);
        return -1;
      }
      p->out->filters = fs;
      fs[p->out->nfilters++] = f;
    } else if (k->type == N_AND || k->type == N_OR) {
      if (take_filters(p, k) != 0) return -1;
    }
  }
  return 0;
}

/* Control characters and bytes that are not UTF-8 become spaces. */
char *clean_query(const char *q, size_t *len, int *truncated) {
  size_t n = strlen(q);
  if (n > MAX_QUERY_BYTES) {
    n = MAX_QUERY_BYTES;
    *truncated = 1;
  }
  buf b = {0};
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)q[i];
    if (c < 0x80) {
      buf_addc(&b, (c < 0x20 || c == 0x7F) ? ' ' : (char)c);
      i++;
      continue;
    }
    uint32_t cp;
    size_t k = utf8_decode((const unsigned char *)q + i, n - i, &cp);
    if (!k || (cp >= 0x80 && cp <= 0x9F)) {
      buf_addc(&b, ' ');
      i += k ? k : 1;
    } else {
      buf_add(&b, q + i, k);
      i += k;
    }
  }
  *len = b.len;
  return b.oom ? (buf_free(&b), NULL) : buf_detach(&b);
}

int parse_query(ng_index *idx, const char *query, const ng_search_options *opts, parsed_query *out) {
  memset(out, 0, sizeof *out);
  parser p;
  memset(&p, 0, sizeof p);
  p.idx = idx;
  p.opts = opts;
  p.out = out;
  int cut = 0;
  char *clean = clean_query(query, &p.len, &cut);
  if (!clean) return ng_fail(idx, NG_ESYSTEM, "out of memory");
  p.s = clean;
  node *tree = parse_or(&p);
  if (!tree || p.failed || p.pos < p.len) {
    token t = peek(&p);
    if (tree && !p.failed && t.type != T_END) p.failed = 1;
    if (p.failed || !tree) {
      free_node(tree);
      p.failed = 0;
      p.pos = 0;
      tree = plain_words(&p);
      out->fallback = 1;
    }
  }
  int rc = NG_OK;
  if (!tree) {
    rc = ng_fail(idx, NG_ESYSTEM, "out of memory");
  } else {
    explain(&p, "query: %s%s\n", clean, out->fallback ? "  (read as plain words: the syntax did not parse)" : "");
    if (opts->any) explain(&p, "  mode: any word (ranked)\n");
    if (tree->type != N_AND) {
      node *list = new_node(N_AND);
      if (list && add_kid(list, tree) == 0)
        tree = list;
      else
        free_node(list);
    }
    if (take_filters(&p, tree) != 0) rc = ng_fail(idx, NG_ESYSTEM, "out of memory");
    if (rc == NG_OK) out->fts = render(&p, tree);
    if (cut) explain(&p, "  the query was too long: only its first %d bytes were read\n", MAX_QUERY_BYTES);
    if (out->truncated)
      explain(&p, "  the query was too long: only its first %d terms were used\n", NG_MAX_QUERY_TERMS);
    out->truncated |= cut;
    if (rc == NG_OK && !out->fts) {
      int has_title = 0;
      for (size_t i = 0; i < out->nfilters; i++)
        has_title |= out->filters[i].field == FIELD_TITLE && !out->filters[i].negated;
      if (!has_title) rc = ng_fail(idx, NG_EUSAGE, "query '%.200s' has no words to search for", clean);
    }
    if (rc == NG_OK && out->explain.oom) rc = ng_fail(idx, NG_ESYSTEM, "out of memory");
  }
  free_node(tree);
  free(clean);
  if (rc != NG_OK) parsed_query_free(out);
  return rc;
}

void parsed_query_free(parsed_query *q) {
  free(q->fts);
  for (size_t i = 0; i < q->nfilters; i++) free(q->filters[i].value);
  free(q->filters);
  buf_free(&q->explain);
  memset(q, 0, sizeof *q);
}
