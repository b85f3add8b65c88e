/*
 * parse.c -- what a person types -> a query tree.
 *
 * The language (see man/nutgraf-syntax.7): words (all required, or any with
 * opts->any), "phrases", OR, AND, NOT word and -word, word* prefixes,
 * a NEAR b and a NEAR/5 b, NEAR(a b, 5), parentheses, and the fields
 * title: (headline), source:, path:, dateline:, author: and date:, in any
 * case; "foo:bar" with foo no field is the words foo and bar (the expander
 * says so).  Operators are upper case, as in Xapian; "or" and "not" are
 * words.
 *
 * It never fails on syntax: when the query does not parse (an unclosed
 * quote, a lone operator, too deep nesting) it is read again as plain words,
 * the way Xapian retries a failed parse.  It needs no index and no SQLite:
 * bytes in, a tree out; expand.c turns the tree into an FTS5 expression.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

typedef struct parser {
  const char *s; /* the cleaned query */
  size_t pos, len;
  int depth;
  int failed;
} parser;

qnode *ngi_qnode_new(int type) {
  qnode *n = calloc(1, sizeof *n);
  if (n) n->type = type;
  return n;
}

void ngi_qnode_free(qnode *n) {
  if (!n) return;
  for (size_t i = 0; i < n->nkids; i++) ngi_qnode_free(n->kids[i]);
  free(n->kids);
  free(n->text);
  free(n);
}

int ngi_qnode_add(qnode *n, qnode *k) {
  if (n->nkids == n->cap) {
    size_t cap = n->cap ? n->cap * 2 : 4;
    qnode **p = realloc(n->kids, cap * sizeof *p);
    if (!p) return -1;
    n->kids = p;
    n->cap = cap;
  }
  n->kids[n->nkids++] = k;
  return 0;
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

/* A field name, in any case (Title: is title:), or -1. */
static int field_of(const char *s, size_t n) {
  static const struct {
    const char *name;
    int field;
  } fields[] = {{"title", NGI_FIELD_TITLE},       {"headline", NGI_FIELD_TITLE},
                {"source", NGI_FIELD_SOURCE},     {"path", NGI_FIELD_PATH},
                {"dateline", NGI_FIELD_DATELINE}, {"author", NGI_FIELD_AUTHOR},
                {"date", NGI_FIELD_DATE},         {NULL, 0}};
  for (int i = 0; fields[i].name; i++) {
    if (strlen(fields[i].name) == n && strncasecmp(s, fields[i].name, n) == 0) return fields[i].field;
  }
  return -1;
}

/* "foo:bar", where foo is letters but no field name and bar is not empty
 * (nor "//...", a URL): the length of foo, else 0.  Such a word is
 * searched as its words, and the user is told. */
static size_t unknown_field_len(const char *s, size_t n) {
  const char *colon = memchr(s, ':', n);
  if (!colon || colon == s) return 0;
  size_t k = (size_t)(colon - s);
  for (size_t i = 0; i < k; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) return 0;
  }
  if (k + 1 >= n || colon[1] == '/' || colon[1] == ':') return 0;
  return field_of(s, k) < 0 ? k : 0;
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

static qnode *parse_or(parser *p);

static qnode *term_node(int type, const char *s, size_t n, int prefix) {
  qnode *x = ngi_qnode_new(type);
  if (!x) return NULL;
  x->text = ngi_strdup_n(s, n);
  x->prefix = prefix;
  if (!x->text) {
    free(x);
    return NULL;
  }
  return x;
}

/* NEAR(a "b c" d, 5): the parenthesis at p->pos holds words and phrases,
 * and perhaps a distance after the last comma. */
static qnode *parse_near_call(parser *p) {
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
  qnode *x = ngi_qnode_new(NGI_NEAR);
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
    qnode *term = term_node(k.type == T_QUOTED ? NGI_PHRASE : NGI_WORD, k.s, k.n, k.prefix);
    if (!term || ngi_qnode_add(x, term) != 0) {
      ngi_qnode_free(term);
      p->failed = 1;
      break;
    }
  }
  p->len = saved_len;
  p->pos = j + 1;
  if (p->failed || x->nkids < 2) {
    ngi_qnode_free(x);
    p->failed = 1;
    return NULL;
  }
  return x;
}

static qnode *parse_primary(parser *p) {
  if (p->failed) return NULL;
  token t = peek(p);
  if (p->failed) return NULL;
  switch (t.type) {
    case T_LPAREN: {
      if (++p->depth > NGI_MAX_QUERY_DEPTH) {
        p->failed = 1;
        return NULL;
      }
      consume(p, &t);
      qnode *x = parse_or(p);
      token r = peek(p);
      if (!x || r.type != T_RPAREN) {
        ngi_qnode_free(x);
        p->failed = 1;
        return NULL;
      }
      consume(p, &r);
      p->depth--;
      return x;
    }
    case T_QUOTED: consume(p, &t); return term_node(NGI_PHRASE, t.s, t.n, t.prefix);
    case T_WORD: {
      consume(p, &t);
      if (t.n == 0) {
        p->failed = 1;
        return NULL;
      }
      qnode *w = term_node(NGI_WORD, t.s, t.n, t.prefix);
      if (w) w->unknown_field = (int)unknown_field_len(t.s, t.n);
      return w;
    }
    case T_FIELD: {
      consume(p, &t);
      qnode *f = ngi_qnode_new(NGI_FILTER);
      if (!f) return NULL;
      f->field = t.field;
      qnode *v = NULL;
      if (t.n > 0) {
        /* A title: value may be a prefix; the other fields' values are
         * taken as written (a path glob ends in '*' often). */
        size_t n = t.n;
        int prefix = 0;
        while (t.field == NGI_FIELD_TITLE && n > 0 && t.s[n - 1] == '*') n--, prefix = 1;
        v = n ? term_node(NGI_WORD, t.s, n, prefix) : NULL;
      } else {
        token nt = peek(p);
        if (nt.type == T_QUOTED || nt.type == T_LPAREN) v = parse_primary(p);
      }
      if (!v || ngi_qnode_add(f, v) != 0) {
        ngi_qnode_free(v);
        ngi_qnode_free(f);
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

static qnode *parse_unary(parser *p) {
  token t = peek(p);
  if (p->failed) return NULL;
  if (t.type == T_NOT || t.type == T_MINUS) {
    consume(p, &t);
    qnode *x = t.type == T_NOT ? parse_unary(p) : parse_primary(p);
    if (x) x->negated = !x->negated;
    return x;
  }
  int required = t.type == T_PLUS;
  if (required) consume(p, &t);
  qnode *x = parse_primary(p);
  if (x) x->required = required;
  while (x && !p->failed) {
    token n = peek(p);
    if (n.type != T_NEAR || n.call) break;
    consume(p, &n);
    qnode *y = parse_primary(p);
    if (!y) {
      ngi_qnode_free(x);
      return NULL;
    }
    if (x->type == NGI_NEAR && !x->negated) {
      if (ngi_qnode_add(x, y) != 0) {
        ngi_qnode_free(y);
        ngi_qnode_free(x);
        return NULL;
      }
      if (n.distance > x->distance) x->distance = n.distance;
    } else {
      qnode *near = ngi_qnode_new(NGI_NEAR);
      if (!near || ngi_qnode_add(near, x) != 0 || ngi_qnode_add(near, y) != 0) {
        ngi_qnode_free(near);
        ngi_qnode_free(x);
        ngi_qnode_free(y);
        return NULL;
      }
      near->distance = n.distance;
      x = near;
    }
  }
  return x;
}

static qnode *parse_and(parser *p) {
  qnode *list = ngi_qnode_new(NGI_AND);
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
    qnode *x = parse_unary(p);
    if (!x) {
      p->failed = 1;
      break;
    }
    x->explicit_and = explicit_and;
    if (ngi_qnode_add(list, x) != 0) {
      ngi_qnode_free(x);
      p->failed = 1;
      break;
    }
  }
  if (p->failed || list->nkids == 0) {
    ngi_qnode_free(list);
    p->failed = 1;
    return NULL;
  }
  return list;
}

static qnode *parse_or(parser *p) {
  qnode *left = parse_and(p);
  if (!left) return NULL;
  token t = peek(p);
  if (t.type != T_OR) return left;
  qnode * or = ngi_qnode_new(NGI_OR);
  if (! or || ngi_qnode_add(or, left) != 0) {
    ngi_qnode_free(or);
    ngi_qnode_free(left);
    return NULL;
  }
  while (!p->failed && (t = peek(p)).type == T_OR) {
    consume(p, &t);
    qnode *right = parse_and(p);
    if (!right || ngi_qnode_add(or, right) != 0) {
      ngi_qnode_free(right);
      p->failed = 1;
      break;
    }
  }
  if (p->failed) {
    ngi_qnode_free(or);
    return NULL;
  }
  return or ;
}

/* The query as plain words: quotes, parentheses, stars and field names go,
 * AND/OR/NOT/NEAR go, a leading '-' still excludes its word. */
static qnode *plain_words(parser *p) {
  qnode *list = ngi_qnode_new(NGI_AND);
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
      size_t vb = field == NGI_FIELD_TITLE ? b : j; /* path and source values as written */
      int prefix = 0;
      while (field == NGI_FIELD_TITLE && vb > a && p->s[vb - 1] == '*') vb--, prefix = 1;
      qnode *f = vb > a ? ngi_qnode_new(NGI_FILTER) : NULL;
      qnode *v = f ? term_node(NGI_WORD, p->s + a, vb - a, prefix) : NULL;
      if (f && (!v || ngi_qnode_add(f, v) != 0 || ngi_qnode_add(list, f) != 0)) {
        ngi_qnode_free(v);
        ngi_qnode_free(f);
        ngi_qnode_free(list);
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
      qnode *w = term_node(NGI_WORD, p->s + a, b - a, 0);
      if (!w || ngi_qnode_add(list, w) != 0) {
        ngi_qnode_free(w);
        ngi_qnode_free(list);
        return NULL;
      }
      w->negated = negated;
      w->unknown_field = (int)unknown_field_len(p->s + a, b - a);
    }
    i = j;
  }
  return list;
}

char *ngi_query_clean(const char *q, size_t *len, int *truncated) {
  size_t n = strlen(q);
  if (n > NGI_MAX_QUERY_BYTES) {
    n = NGI_MAX_QUERY_BYTES;
    *truncated = 1;
  }
  buf b = {0};
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)q[i];
    if (c < 0x80) {
      ngi_buf_addc(&b, (c < 0x20 || c == 0x7F) ? ' ' : (char)c);
      i++;
      continue;
    }
    uint32_t cp;
    size_t k = ngi_utf8_decode((const unsigned char *)q + i, n - i, &cp);
    if (!k || (cp >= 0x80 && cp <= 0x9F)) {
      ngi_buf_addc(&b, ' ');
      i += k ? k : 1;
    } else {
      ngi_buf_add(&b, q + i, k);
      i += k;
    }
  }
  *len = b.len;
  return b.oom ? (ngi_buf_free(&b), NULL) : ngi_buf_detach(&b);
}

int ngi_query_parse(const char *query, query_tree *out) {
  memset(out, 0, sizeof *out);
  parser p;
  memset(&p, 0, sizeof p);
  char *clean = ngi_query_clean(query, &p.len, &out->truncated);
  if (!clean) return NG_ESYSTEM;
  p.s = clean;
  qnode *tree = parse_or(&p);
  if (!tree || p.failed || p.pos < p.len) {
    token t = peek(&p);
    if (tree && !p.failed && t.type != T_END) p.failed = 1;
    if (p.failed || !tree) {
      ngi_qnode_free(tree);
      p.failed = 0;
      p.pos = 0;
      tree = plain_words(&p);
      out->fallback = 1;
    }
  }
  if (tree && tree->type != NGI_AND) {
    qnode *list = ngi_qnode_new(NGI_AND);
    if (list && ngi_qnode_add(list, tree) == 0) {
      tree = list;
    } else {
      ngi_qnode_free(list);
      ngi_qnode_free(tree);
      tree = NULL;
    }
  }
  if (!tree) {
    free(clean);
    return NG_ESYSTEM;
  }
  out->root = tree;
  out->text = clean;
  return NG_OK;
}

void ngi_query_tree_free(query_tree *t) {
  ngi_qnode_free(t->root);
  free(t->text);
  memset(t, 0, sizeof *t);
}
