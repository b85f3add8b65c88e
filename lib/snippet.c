/*
 * snippet.c -- the extract of a hit's passage shown with the query's
 * matches marked (NG_MARK_OPEN ... NG_MARK_CLOSE).
 *
 * The passage is tokenized again with the index's tokenizer, so a match is
 * what the index matched: a token whose stem is a term of the query plan
 * (or starts with a prefix term), a phrase's stems in a row, a hyphenated
 * compound whose joined stem is a term.  The extract is a window of at most
 * n tokens chosen as FTS5's snippet() chooses one (fts5_aux.c): the window
 * holding the most distinct terms, then the most matches, moved so that
 * its matches sit in its middle; text before and after it is shown as an
 * ellipsis.  Doing it here costs a tokenizing of ten passages, where FTS5
 * would seek every term's doclist to each hit's row.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_SPAN 8 /* longest phrase a match is looked for */

/* A token of the passage; its stem and raw form are in the arena (a
 * few bytes a token, not two 200-byte arrays: a snippet's tokens were
 * 100 KB of fresh memory, page faults at every search). */
typedef struct tok {
  int start, end;       /* bytes */
  size_t stem, stemlen; /* offset in the arena, bytes */
  size_t raw, rawlen;
  int hyphen_after;
} tok;

typedef struct toks {
  tok *t;
  size_t n, cap;
  buf arena;
  int oom;
} toks;

#define TOK_STEM(ts, i) ((ts)->arena.data + (ts)->t[i].stem)
#define TOK_RAW(ts, i) ((ts)->arena.data + (ts)->t[i].raw)

static int collect(void *ctx, const lex_token *lt) {
  toks *ts = ctx;
  if (ts->n == ts->cap) {
    size_t cap = ts->cap ? ts->cap * 2 : 64;
    tok *t = realloc(ts->t, cap * sizeof *t);
    if (!t) {
      ts->oom = 1;
      return SQLITE_NOMEM;
    }
    ts->t = t;
    ts->cap = cap;
  }
  tok *t = &ts->t[ts->n++];
  t->start = lt->start;
  t->end = lt->end;
  if (!ts->arena.data) ngi_buf_reserve(&ts->arena, 1024); /* never a null base, even for empty stems */
  t->stemlen = lt->stemlen < NGI_MAX_TOKEN ? lt->stemlen : NGI_MAX_TOKEN;
  t->stem = ts->arena.len;
  ngi_buf_add(&ts->arena, lt->stem, t->stemlen);
  t->rawlen = lt->rawlen < NGI_MAX_TOKEN ? lt->rawlen : NGI_MAX_TOKEN;
  t->raw = ts->arena.len;
  ngi_buf_add(&ts->arena, lt->raw, t->rawlen);
  t->hyphen_after = lt->hyphen_after;
  if (ts->arena.oom) {
    ts->oom = 1;
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* A match: tokens [first, last] for alternative alt (its group tells
 * which distinct thing of the query it is). */
typedef struct match {
  size_t first, last;
  int group; /* the alternative's number (FTS5's "phrase") */
} match;

static int term_is(const ngi_plan_term *pt, const char *stem, size_t n) {
  if (n == 0) return 0; /* not stemmed: no term's (ngi_tokenize_text_for) */
  if (pt->prefix) return n >= pt->len && memcmp(stem, pt->stem, pt->len) == 0;
  return n == pt->len && memcmp(stem, pt->stem, n) == 0;
}

/* The terms of alternative (g, a) in order, into out (at most MAX_SPAN);
 * their number. */
static size_t alt_terms(const ngi_plan *plan, int g, int a, const ngi_plan_term **out) {
  size_t n = 0;
  for (size_t i = 0; i < plan->nterms && n < MAX_SPAN; i++)
    if (plan->terms[i].group == g && plan->terms[i].alt == a) out[n++] = &plan->terms[i];
  return n;
}

/* The joined stem of the hyphenated chain starting at token i (cease-fire
 * -> ceasefir), with the chain's last token in *last; 0 when token i
 * starts no chain. */
static int chain_stem(ngi_lexicon *lx, const toks *ts, size_t i, buf *stem, size_t *last) {
  if (!ts->t[i].hyphen_after || i + 1 >= ts->n) return 0;
  buf raw = {0};
  size_t j = i;
  for (;; j++) {
    ngi_buf_add(&raw, TOK_RAW(ts, j), ts->t[j].rawlen);
    if (!ts->t[j].hyphen_after || j + 1 >= ts->n || j - i + 1 >= MAX_SPAN) break;
  }
  size_t sl = 0;
  const char *s = raw.oom || raw.len > NGI_MAX_STEMMED ? NULL : ngi_lexicon_stem(lx, raw.data, raw.len, &sl);
  ngi_buf_reset(stem);
  if (s) ngi_buf_add(stem, s, sl);
  ngi_buf_free(&raw);
  *last = j;
  return s != NULL && j > i;
}

/* Every match of the plan in the tokens, in order of their first token. */
static int find_matches(ngi_lexicon *lx, const ngi_plan *plan, const toks *ts, int headline, match **out,
                        size_t *nout) {
  match *m = NULL;
  size_t n = 0, cap = 0;
  buf joined = {0};
  const ngi_plan_term *terms[MAX_SPAN];
  int rc = NG_OK;
  for (size_t i = 0; i < ts->n && rc == NG_OK; i++) {
    size_t chain_last = 0;
    int has_chain = chain_stem(lx, ts, i, &joined, &chain_last);
    /* a token left unstemmed (no term's: ngi_tokenize_text_for) starts no match */
    if (!has_chain && ts->t[i].stemlen == 0) continue;
    size_t best_last = 0;
    int best_group = -1, number = 0;
    for (size_t g = 0; g < plan->ngroups; g++) {
      for (int a = 0; a < plan->groups[g].nalts; a++, number++) {
        size_t k = alt_terms(plan, (int)g, a, terms);
        if (!k || (terms[0]->head_only && !headline)) continue;
        size_t last = 0;
        int hit = 0;
        if (k == 1 && has_chain && term_is(terms[0], joined.data, joined.len)) {
          hit = 1, last = chain_last;
        } else if (i + k <= ts->n) {
          hit = 1;
          for (size_t j = 0; j < k && hit; j++) hit = term_is(terms[j], TOK_STEM(ts, i + j), ts->t[i + j].stemlen);
          last = i + k - 1;
        }
        if (hit && (best_group < 0 || last > best_last)) best_group = number, best_last = last;
      }
    }
    if (best_group < 0) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      match *p = realloc(m, cap * sizeof *p);
      if (!p) {
        rc = NG_ESYSTEM;
        break;
      }
      m = p;
    }
    m[n++] = (match){i, best_last, best_group};
    i = best_last; /* a match's tokens are not matched again */
  }
  ngi_buf_free(&joined);
  if (rc != NG_OK) {
    free(m);
    return rc;
  }
  *out = m;
  *nout = n;
  return NG_OK;
}

/* How good is the window [start, start + n) (fts5SnippetScore): 1000 for
 * each distinct alternative matched wholly inside it, 1 for each other
 * match; *adj is the start that centres its matches. */
static long window_score(const match *m, size_t nm, size_t start, size_t n, size_t total, char *seen, size_t nseen,
                         size_t *adj) {
  memset(seen, 0, nseen ? nseen : 1);
  long score = 0;
  size_t first = total, last = 0;
  for (size_t i = 0; i < nm; i++) {
    if (m[i].first < start || m[i].last >= start + n) continue;
    if (!seen[m[i].group]) {
      seen[m[i].group] = 1;
      score += 1000;
    } else {
      score++;
    }
    if (m[i].first < first) first = m[i].first;
    if (m[i].last > last) last = m[i].last;
  }
  if (adj) {
    *adj = start;
    if (first <= last) {
      size_t spread = last - first + 1;
      *adj = first > (n - spread) / 2 ? first - (n - spread) / 2 : 0;
      if (*adj + n > total) *adj = total - n;
    }
  }
  return score;
}

/* Does token i start a sentence (the text before it ends with '.' or ':'
 * and a space, as FTS5's sentence finder reads it)? */
static int sentence_start(const char *text, const toks *ts, size_t i) {
  if (i == 0) return 1;
  int k = ts->t[i].start - 1;
  int spaces = 0;
  while (k >= ts->t[i - 1].end && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n')) k--, spaces = 1;
  return spaces && k >= 0 && (text[k] == '.' || text[k] == ':');
}

int ngi_snippet(ngi_lexicon *lx, const ngi_plan *plan, const char *text, int headline, int ntokens, char **out) {
  *out = NULL;
  size_t len = strlen(text);
  toks ts = {0};
  ngi_stem_filter want = {{0}};
  for (size_t i = 0; i < plan->nterms; i++) ngi_stem_filter_add(&want, plan->terms[i].stem, plan->terms[i].len);
  int rc = ngi_tokenize_text_for(lx, text, (int)len, &want, &ts, collect) == SQLITE_OK && !ts.oom ? NG_OK : NG_ESYSTEM;
  match *m = NULL;
  size_t nm = 0;
  if (rc == NG_OK) rc = find_matches(lx, plan, &ts, headline, &m, &nm);
  char *seen = rc == NG_OK ? malloc(plan->ngroups ? plan->ngroups : 1) : NULL;
  if (rc == NG_OK && !seen) rc = NG_ESYSTEM;
  size_t n = ntokens > 0 ? (size_t)ntokens : 32, start = 0;
  size_t nalts = 0;
  for (size_t g = 0; g < plan->ngroups; g++) nalts += (size_t)plan->groups[g].nalts;
  char *seen2 = rc == NG_OK ? malloc(nalts ? nalts : 1) : NULL;
  if (rc == NG_OK && !seen2) rc = NG_ESYSTEM;
  if (rc == NG_OK && ts.n > n) {
    /* As fts5SnippetFunction: for each match, the window from it moved to
     * centre its matches, and the window from the sentence it is in
     * (worth 100 more, 120 from the passage's start). */
    long best = -1;
    for (size_t i = 0; i < nm; i++) {
      size_t s0 = m[i].first + n > ts.n ? ts.n - n : m[i].first, adj;
      long score = window_score(m, nm, s0, n, ts.n, seen2, nalts, &adj);
      if (score > best) best = score, start = adj;
      size_t sent = m[i].first;
      while (sent > 0 && !sentence_start(text, &ts, sent)) sent--;
      if (sent < m[i].first && sent + n <= ts.n) {
        long sscore = window_score(m, nm, sent, n, ts.n, seen2, nalts, NULL) + (sent == 0 ? 120 : 100);
        if (sscore > best) best = sscore, start = sent;
      }
    }
  }
  buf b = {0};
  if (rc == NG_OK) {
    size_t end = ts.n > n ? start + n : ts.n;
    int from = ts.n && start > 0 ? ts.t[start].start : 0;
    int to = ts.n > n && end < ts.n ? ts.t[end - 1].end : (int)len;
    if (from > 0) ngi_buf_adds(&b, "\xE2\x80\xA6");
    int at = from;
    for (size_t i = 0; i < nm; i++) {
      if (m[i].first < start || m[i].last >= end) continue;
      int ms = ts.t[m[i].first].start, me = ts.t[m[i].last].end;
      if (ms < at) continue;
      ngi_buf_add(&b, text + at, (size_t)(ms - at));
      ngi_buf_addc(&b, NG_MARK_OPEN);
      ngi_buf_add(&b, text + ms, (size_t)(me - ms));
      ngi_buf_addc(&b, NG_MARK_CLOSE);
      at = me;
    }
    if (to > at) ngi_buf_add(&b, text + at, (size_t)(to - at));
    if (to < (int)len) ngi_buf_adds(&b, "\xE2\x80\xA6");
    if (b.oom) rc = NG_ESYSTEM;
  }
  free(seen);
  free(seen2);
  free(m);
  free(ts.t);
  ngi_buf_free(&ts.arena);
  if (rc == NG_OK) {
    *out = ngi_buf_detach(&b);
  } else {
    ngi_buf_free(&b);
  }
  return rc;
}
