/*
 * test_expand.c -- unit suite for lib/expand.c: a query -> an FTS5
 * expression over stems, on a small real index (so the word table is there
 * for prefixes and compounds).  Every expression made is run through FTS5
 * (ng_count with raw_fts5).  The parser alone is test_parse.c's.
 */
#define _GNU_SOURCE
#include "unit.h"

static char *dir;
static ng_index *idx;

static const char doc_a[] =
    "Envoys agree cease-fire in Geneva\n"
    "\n"
    "Envoys from both sides walked out of the talks without agreeing a ceasefire, but negotiations will resume.\n"
    "\n"
    "President Zelenskyy said the North Atlantic Treaty Organization must help.\n"
    "\n"
    "Negotiating teams met again on Friday.\n";
static const char doc_b[] = "Oil prices rise\n\nOil rose on Monday as traders worried about supply.\n";

static void setup(void) {
  dir = tmpdir_make();
  char *docs = path_join(dir, "docs");
  ck_assert_int_eq(mkdir(docs, 0700), 0);
  write_file(docs, "a.txt", doc_a, (size_t)-1);
  write_file(docs, "b.txt", doc_b, (size_t)-1);
  char *path = path_join(dir, "index.db");
  ng_run_stats st = index_tree(path, docs);
  ck_assert_int_eq(st.added, 2);
  free(docs);

  ck_assert_int_eq(ng_index_open(&idx, path, NULL), NG_OK);
  free(path);
  /* The built-in variants, as ng_search loads them. */
  ck_assert_int_eq(ngi_expand_variants(idx), NG_OK);
}

static void teardown(void) {
  ng_index_close(idx);
  idx = NULL;
  tmpdir_remove(dir);
  dir = NULL;
}

/* Runs expr through FTS5 on the index: the number of passages it matches,
 * or -1 when FTS5 refuses it (the message goes to *why). */
static long long fts_count(const char *expr, char *why, size_t n) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.raw_fts5 = 1;
  long long count = -1;
  if (ng_count(idx, expr, &o, &count) != NG_OK) {
    snprintf(why, n, "%s", ng_index_errmsg(idx));
    count = -1;
  }
  return count;
}

/* The expression without NGI_VERBATIM bytes, for reading (malloc'd). */
static char *readable(const char *expr) {
  buf b = {0};
  for (const char *c = expr; c && *c; c++) {
    if (*c != NGI_VERBATIM) ngi_buf_addc(&b, *c);
  }
  return ngi_buf_detach(&b);
}

typedef struct parsed {
  parsed_query q;
  char *text;        /* readable expression, "" when none */
  long long matches; /* passages the expression matches */
} parsed;

/* Parses query (must succeed) and checks FTS5 accepts what came out,
 * including the title filters. */
static void parse_ok(const char *query, const ng_search_options *o, parsed *p) {
  ng_search_options defaults = NG_SEARCH_OPTIONS_INIT;
  if (!o) o = &defaults;
  int rc = ngi_query_expand(idx, query, o, &p->q);
  ck_assert_msg(rc == NG_OK, "ngi_query_expand(\"%.60s\"): %d %s", query, rc, ng_index_errmsg(idx));
  char why[300] = "";
  p->matches = 0;
  if (p->q.fts) {
    p->matches = fts_count(p->q.fts, why, sizeof why);
    char *shown = readable(p->q.fts);
    ck_assert_msg(p->matches >= 0, "FTS5 refused the expression for \"%.60s\": %.300s (%s)", query, shown, why);
    free(shown);
  }
  for (size_t i = 0; i < p->q.nfilters; i++) {
    ck_assert_ptr_nonnull(p->q.filters[i].value);
    if (p->q.filters[i].field != NGI_FIELD_TITLE) continue;
    buf t = {0};
    ngi_buf_printf(&t, "{head} : (%s)", p->q.filters[i].value);
    long long n = fts_count(t.data, why, sizeof why);
    ngi_buf_free(&t);
    ck_assert_msg(n >= 0, "FTS5 refused the title filter of \"%.60s\": %s", query, why);
  }
  p->text = readable(p->q.fts);
}

static void parsed_free(parsed *p) {
  ngi_parsed_query_free(&p->q);
  free(p->text);
}

/* Parses query and checks the result mentions each of the NULL-terminated
 * strings in want and none of those in unwanted. */
static void check_expr(const char *query, const ng_search_options *o, const char *const *want,
                       const char *const *unwanted) {
  parsed p;
  parse_ok(query, o, &p);
  for (int i = 0; want && want[i]; i++)
    ck_assert_msg(contains(p.text, want[i]), "\"%s\" -> %s: no %s", query, p.text, want[i]);
  for (int i = 0; unwanted && unwanted[i]; i++)
    ck_assert_msg(!contains(p.text, unwanted[i]), "\"%s\" -> %s: has %s", query, p.text, unwanted[i]);
  ck_assert_int_eq(p.q.fallback, 0);
  parsed_free(&p);
}

static int parse_fails(const char *query, const ng_search_options *o) {
  ng_search_options defaults = NG_SEARCH_OPTIONS_INIT;
  parsed_query q;
  int rc = ngi_query_expand(idx, query, o ? o : &defaults, &q);
  if (rc == NG_OK) ngi_parsed_query_free(&q);
  return rc;
}

/* The stem of one word, as the index makes it. */
static const char *stem(const char *word) {
  static char out[4][80];
  static int k;
  size_t n;
  const char *s = ngi_lexicon_stem(idx->lx, word, strlen(word), &n);
  ck_assert_ptr_nonnull(s);
  k = (k + 1) % 4;
  snprintf(out[k], sizeof out[k], "\"%s\"", s);
  return out[k];
}

/* ------------------------------------------------------------------ */

START_TEST(plain_words_all_required) {
  const char *want[] = {"\"envoy\"", "\"talk\"", " AND ", NULL};
  const char *unwanted[] = {" OR ", " NOT ", NULL};
  check_expr("envoys talks", NULL, want, unwanted);
  parsed p;
  parse_ok("envoys talks", NULL, &p);
  ck_assert_int_eq(p.matches, 1);
  ck_assert_uint_eq(p.q.nfilters, 0);
  ck_assert_int_eq(p.q.truncated, 0);
  ck_assert_ptr_nonnull(p.q.explain.data);
  ck_assert(contains(p.q.explain.data, "envoy"));
  parsed_free(&p);
}
END_TEST

START_TEST(any_mode_is_or) {
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.any = 1;
  const char *want[] = {"\"envoy\"", "\"oil\"", " OR ", NULL};
  const char *unwanted[] = {" AND ", NULL};
  check_expr("envoys oil", &o, want, unwanted);
  parsed p;
  parse_ok("envoys oil", &o, &p);
  ck_assert_int_eq(p.matches, 4); /* a's headline and lede, b's headline and lede */
  parsed_free(&p);
  /* An explicit AND still binds in any mode. */
  const char *want2[] = {" AND ", NULL};
  check_expr("envoys AND talks", &o, want2, NULL);
}
END_TEST

START_TEST(phrase) {
  const char *want[] = {"\"envoy from both side\"", NULL};
  check_expr("\"envoys from both sides\"", NULL, want, NULL);
  parsed p;
  parse_ok("\"sides walked\"", NULL, &p);
  ck_assert_int_eq(p.matches, 1);
  parsed_free(&p);
  parse_ok("\"walked sides\"", NULL, &p);
  ck_assert_int_eq(p.matches, 0);
  parsed_free(&p);
  /* Curly quotes work as quotes. */
  parse_ok("\xE2\x80\x9Csides walked\xE2\x80\x9D", NULL, &p);
  ck_assert_int_eq(p.q.fallback, 0);
  ck_assert_int_eq(p.matches, 1);
  parsed_free(&p);
}
END_TEST

START_TEST(exclusion) {
  const char *want[] = {" NOT ", "\"envoy\"", "\"talk\"", NULL};
  check_expr("envoys -talks", NULL, want, NULL);
  check_expr("envoys NOT talks", NULL, want, NULL);
  parsed p;
  parse_ok("envoys -talks", NULL, &p);
  ck_assert(strstr(p.text, "\"talk\"") > strstr(p.text, " NOT "));
  ck_assert_int_eq(p.matches, 1); /* the headline only */
  parsed_free(&p);
  /* "not" in lower case is a word. */
  parse_ok("envoys not talks", NULL, &p);
  ck_assert(!contains(p.text, " NOT "));
  ck_assert(contains(p.text, "\"not\""));
  parsed_free(&p);
  /* A hyphen inside a word is no exclusion. */
  parse_ok("cease-fire", NULL, &p);
  ck_assert(!contains(p.text, " NOT "));
  parsed_free(&p);
}
END_TEST

START_TEST(or_operator) {
  const char *want[] = {"\"envoy\"", "\"oil\"", " OR ", NULL};
  const char *unwanted[] = {" AND ", NULL};
  check_expr("envoys OR oil", NULL, want, unwanted);
  parsed p;
  parse_ok("envoys OR oil", NULL, &p);
  ck_assert_int_eq(p.matches, 4);
  parsed_free(&p);
  /* "or" in lower case is a word. */
  parse_ok("envoys or oil", NULL, &p);
  ck_assert(contains(p.text, "\"or\""));
  ck_assert(contains(p.text, " AND "));
  parsed_free(&p);
}
END_TEST

START_TEST(or_binds_loosest) {
  /* truce border OR sanctions energy = (truce AND border) OR (sanctions AND energy) */
  parsed p;
  parse_ok("envoys talks OR oil supply", NULL, &p);
  ck_assert_int_eq(p.q.fallback, 0);
  ck_assert_int_eq(p.matches, 2); /* a's lede, b's lede */
  const char * or = strstr(p.text, " OR ");
  ck_assert_ptr_nonnull(or);
  ck_assert(strstr(p.text, "\"envoy\"") < or &&strstr(p.text, "\"talk\"") < or);
  ck_assert(strstr(p.text, "\"oil\"") > or &&strstr(p.text, "\"suppli\"") > or);
  parsed_free(&p);
}
END_TEST

START_TEST(excluded_inside_or_ignored) {
  const char *want[] = {"\"envoy\"", NULL};
  const char *unwanted[] = {"oil", " NOT ", NULL};
  check_expr("envoys OR -oil", NULL, want, unwanted);
}
END_TEST

START_TEST(plus_is_the_word) {
  const char *want[] = {"\"envoy\"", "\"talk\"", " AND ", NULL};
  check_expr("+envoys +talks", NULL, want, NULL);
  parsed p;
  parse_ok("+envoys", NULL, &p);
  ck_assert_str_eq(p.text, "\"envoy\"");
  parsed_free(&p);
  /* Under --any a plus keeps its word required (parse.c, render_list):
   * "+envoys oil" matches what envoys matches. */
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.any = 1;
  parse_ok("+envoys oil", &o, &p);
  ck_assert_int_eq(p.matches, 2);
  ck_assert(contains(p.text, "\"oil\""));
  parsed_free(&p);
  parse_ok("envoys oil", &o, &p);
  ck_assert_int_eq(p.matches, 4);
  parsed_free(&p);
}
END_TEST

START_TEST(prefix) {
  /* The prefix itself, and the stems of indexed words that start so but
   * whose stems do not (negotiations, negotiating -> negoti). */
  const char *want[] = {"\"negotiat\" *", "\"negoti\"", NULL};
  check_expr("negotiat*", NULL, want, NULL);
  parsed p;
  parse_ok("negotiat*", NULL, &p);
  ck_assert_int_eq(p.matches, 2);
  parsed_free(&p);
}
END_TEST

START_TEST(near) {
  const char *want[] = {"NEAR(\"envoy\" \"talk\", 3)", NULL};
  check_expr("envoys NEAR/3 talks", NULL, want, NULL);
  const char *want2[] = {"NEAR(\"envoy\" \"talk\", 5)", NULL};
  check_expr("NEAR(envoys talks, 5)", NULL, want2, NULL);
  const char *want3[] = {"NEAR(\"envoy\" \"talk\", 10)", NULL};
  check_expr("envoys NEAR talks", NULL, want3, NULL);
  check_expr("NEAR(envoys talks)", NULL, want3, NULL);
  const char *want4[] = {"NEAR(\"envoy\" \"both side\", 4)", NULL};
  check_expr("NEAR(envoys \"both sides\", 4)", NULL, want4, NULL);
  /* A chain takes the largest distance. */
  const char *want5[] = {"NEAR(\"envoy\" \"talk\" \"agre\", 10)", NULL};
  check_expr("envoys NEAR/3 talks NEAR agreeing", NULL, want5, NULL);
  /* A term with variants becomes an OR of NEAR groups. */
  const char *want6[] = {"NEAR(\"zelenski\" \"help\", 10)", "NEAR(\"zelenskyy\" \"help\", 10)", NULL};
  check_expr("Zelensky NEAR help", NULL, want6, NULL);
  parsed p;
  parse_ok("Zelensky NEAR help", NULL, &p);
  ck_assert_int_eq(p.matches, 1);
  parsed_free(&p);
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.no_variants = 1;
  parse_ok("Zelensky NEAR help", &o, &p);
  ck_assert_int_eq(p.matches, 0);
  parsed_free(&p);
  /* So does a prefix, expanded to the stems of words as written. */
  parse_ok("negotiat* NEAR resume", NULL, &p);
  ck_assert_int_eq(p.matches, 1);
  parsed_free(&p);
  parse_ok("envoys NEAR/3 talks", NULL, &p);
  ck_assert_int_eq(p.matches, 0); /* 9 words apart */
  parsed_free(&p);
  parse_ok("envoys NEAR/10 talks", NULL, &p);
  ck_assert_int_eq(p.matches, 1);
  parsed_free(&p);
}
END_TEST

START_TEST(filters) {
  parsed p;
  parse_ok("title:geneva source:wire path:a.txt envoys", NULL, &p);
  ck_assert_uint_eq(p.q.nfilters, 3);
  int seen[3] = {0, 0, 0};
  for (size_t i = 0; i < 3; i++) {
    const ngi_filter *f = &p.q.filters[i];
    ck_assert_int_eq(f->negated, 0);
    seen[f->field]++;
    if (f->field == NGI_FIELD_SOURCE) ck_assert_str_eq(f->value, "wire");
    if (f->field == NGI_FIELD_PATH) ck_assert_str_eq(f->value, "a.txt");
    if (f->field == NGI_FIELD_TITLE) ck_assert(contains(f->value, "genev"));
  }
  ck_assert(seen[NGI_FIELD_TITLE] == 1 && seen[NGI_FIELD_SOURCE] == 1 && seen[NGI_FIELD_PATH] == 1);
  /* The filters are not search words. */
  ck_assert(contains(p.text, "\"envoy\""));
  ck_assert(!contains(p.text, "genev"));
  ck_assert(!contains(p.text, "wire"));
  parsed_free(&p);

  parse_ok("-source:wire envoys", NULL, &p);
  ck_assert_uint_eq(p.q.nfilters, 1);
  ck_assert_int_eq(p.q.filters[0].field, NGI_FIELD_SOURCE);
  ck_assert_int_eq(p.q.filters[0].negated, 1);
  parsed_free(&p);

  /* A headline filter alone is a query. */
  parse_ok("title:geneva", NULL, &p);
  ck_assert_ptr_null(p.q.fts);
  ck_assert_uint_eq(p.q.nfilters, 1);
  parsed_free(&p);

  parse_ok("title:(geneva OR oil) envoys", NULL, &p);
  ck_assert_uint_eq(p.q.nfilters, 1);
  ck_assert(contains(p.q.filters[0].value, " OR "));
  parsed_free(&p);

  /* A group or phrase may follow after a space. */
  parse_ok("title: (geneva OR oil) envoys", NULL, &p);
  ck_assert_int_eq(p.q.fallback, 0);
  ck_assert_uint_eq(p.q.nfilters, 1);
  ck_assert_int_eq(p.q.filters[0].field, NGI_FIELD_TITLE);
  parsed_free(&p);
  parse_ok("headline:geneva envoys", NULL, &p);
  ck_assert_uint_eq(p.q.nfilters, 1);
  ck_assert_int_eq(p.q.filters[0].field, NGI_FIELD_TITLE);
  parsed_free(&p);
  /* Field names in any case (issue 10): Title: is title:. */
  parse_ok("TITLE:geneva envoys", NULL, &p);
  ck_assert_uint_eq(p.q.nfilters, 1);
  ck_assert_int_eq(p.q.filters[0].field, NGI_FIELD_TITLE);
  parsed_free(&p);
  /* Filters inside OR still apply to the whole query. */
  parse_ok("(envoys source:wire) OR oil", NULL, &p);
  ck_assert_uint_eq(p.q.nfilters, 1);
  ck_assert(contains(p.text, "\"oil\""));
  parsed_free(&p);

  parse_ok("title:\"oil prices\" rise", NULL, &p);
  ck_assert_uint_eq(p.q.nfilters, 1);
  ck_assert(contains(p.q.filters[0].value, "oil price"));
  parsed_free(&p);

  /* Other filters alone leave nothing to search. */
  ck_assert_int_eq(parse_fails("source:wire", NULL), NG_EUSAGE);
  ck_assert_int_eq(parse_fails("path:a.txt -title:oil", NULL), NG_EUSAGE);
}
END_TEST

START_TEST(unbalanced_falls_back) {
  static const char *const queries[] = {"\"envoys talks",
                                        "(envoys talks",
                                        "envoys talks)",
                                        "envoys (talks",
                                        "((((((envoys talks",
                                        "\xE2\x80\x9C"
                                        "envoys talks",
                                        NULL};
  for (int i = 0; queries[i]; i++) {
    parsed p;
    parse_ok(queries[i], NULL, &p);
    ck_assert_msg(p.q.fallback == 1, "\"%s\": no fallback", queries[i]);
    ck_assert_msg(contains(p.text, "\"envoy\"") && contains(p.text, "\"talk\""), "\"%s\" -> %s", queries[i], p.text);
    ck_assert_msg(p.matches == 1, "\"%s\" matches %lld", queries[i], p.matches);
    ck_assert_ptr_nonnull(p.q.explain.data);
    parsed_free(&p);
  }
}
END_TEST

START_TEST(lone_operators_fall_back) {
  static const char *const queries[] = {"envoys AND", "OR envoys",   "envoys OR",           "AND AND envoys",
                                        "envoys NOT", "envoys NEAR", "envoys AND OR talks", "title: geneva envoys",
                                        NULL};
  for (int i = 0; queries[i]; i++) {
    parsed p;
    parse_ok(queries[i], NULL, &p);
    ck_assert_msg(p.q.fallback == 1, "\"%s\": no fallback", queries[i]);
    ck_assert_msg(contains(p.text, "\"envoy\""), "\"%s\" -> %s", queries[i], p.text);
    parsed_free(&p);
  }
}
END_TEST

/* In the plain-words reading parentheses separate words too, so an unclosed
 * or one-term NEAR call comes back as its words, not as the phrase "near
 * envoy" that would match nothing. */
START_TEST(unclosed_near_call_falls_back_to_words) {
  static const char *const queries[] = {"NEAR(envoys", "NEAR(envoys) talks"};
  for (int i = 0; i < 2; i++) {
    parsed p;
    parse_ok(queries[i], NULL, &p);
    int fallback = p.q.fallback;
    char text[300];
    snprintf(text, sizeof text, "%s", p.text);
    parsed_free(&p);
    ck_assert_int_eq(fallback, 1);
    ck_assert_msg(contains(text, "\"envoy\"") && !contains(text, "\"near envoy\""), "\"%s\" -> %s", queries[i], text);
  }
}
END_TEST

START_TEST(fallback_keeps_exclusions_drops_operators) {
  parsed p;
  parse_ok("\"envoys -talks", NULL, &p);
  ck_assert_int_eq(p.q.fallback, 1);
  ck_assert_msg(contains(p.text, " NOT ") && contains(p.text, "\"talk\""), "-> %s", p.text);
  ck_assert_int_eq(p.matches, 1); /* the headline */
  parsed_free(&p);
  parse_ok("envoys AND", NULL, &p);
  ck_assert_int_eq(p.q.fallback, 1);
  ck_assert_str_eq(p.text, "\"envoy\"");
  parsed_free(&p);
  parse_ok("OR envoys NOT", NULL, &p);
  ck_assert_int_eq(p.q.fallback, 1);
  ck_assert_str_eq(p.text, "\"envoy\"");
  parsed_free(&p);
  /* A field:value stays a filter. */
  parse_ok("(envoys title:oil -source:wire", NULL, &p);
  ck_assert_int_eq(p.q.fallback, 1);
  ck_assert_msg(!contains(p.text, "titl") && !contains(p.text, "wire") && contains(p.text, "\"envoy\""), "-> %s",
                p.text);
  ck_assert_uint_eq(p.q.nfilters, 2);
  for (size_t i = 0; i < 2; i++) {
    if (p.q.filters[i].field == NGI_FIELD_TITLE)
      ck_assert(contains(p.q.filters[i].value, "oil"));
    else
      ck_assert(p.q.filters[i].field == NGI_FIELD_SOURCE && p.q.filters[i].negated == 1);
  }
  parsed_free(&p);
}
END_TEST

/* Regression (fixed): "a field name followed by a space and a word" makes the query fall
 * back to plain words (nutgraf-syntax(7)), and plain_words() means to drop
 * field names ("field names go"), but it strips the trailing ':' of
 * "title:" first and then no longer sees a field name, so the word "title"
 * is required: "title: geneva envoys" searches title AND geneva AND envoys
 * and finds nothing. */
START_TEST(fallback_drops_field_name_before_space) {
  parsed p;
  parse_ok("title: geneva envoys", NULL, &p);
  int fallback = p.q.fallback;
  long long matches = p.matches;
  char text[300];
  snprintf(text, sizeof text, "%s", p.text);
  parsed_free(&p);
  ck_assert_int_eq(fallback, 1);
  ck_assert_msg(!contains(text, "\"titl\""), "-> %s", text);
  ck_assert_int_eq(matches, 1);
}
END_TEST

START_TEST(deep_nesting_falls_back) {
  buf q = {0};
  for (int i = 0; i < NGI_MAX_QUERY_DEPTH + 4; i++) ngi_buf_addc(&q, '(');
  ngi_buf_adds(&q, "envoys");
  for (int i = 0; i < NGI_MAX_QUERY_DEPTH + 4; i++) ngi_buf_addc(&q, ')');
  parsed p;
  parse_ok(q.data, NULL, &p);
  ck_assert_int_eq(p.q.fallback, 1);
  ck_assert(contains(p.text, "\"envoy\""));
  parsed_free(&p);
  ngi_buf_free(&q);
  /* Nesting within the limit parses. */
  parse_ok("((envoys))", NULL, &p);
  ck_assert_int_eq(p.q.fallback, 0);
  parsed_free(&p);
  /* Unbalanced, and very deep. */
  parse_ok("((((((envoys", NULL, &p);
  ck_assert_int_eq(p.q.fallback, 1);
  parsed_free(&p);
  for (int i = 0; i < 5000; i++) ngi_buf_addc(&q, '(');
  ngi_buf_adds(&q, "envoys");
  parse_ok(q.data, NULL, &p);
  ck_assert_int_eq(p.q.fallback, 1);
  ck_assert(contains(p.text, "\"envoy\""));
  parsed_free(&p);
  ngi_buf_reset(&q);
  for (int i = 0; i < 5000; i++) ngi_buf_addc(&q, '(');
  ck_assert_int_eq(parse_fails(q.data, NULL), NG_EUSAGE); /* nothing but parentheses */
  ngi_buf_free(&q);
}
END_TEST

START_TEST(only_excluded_is_usage_error) {
  ck_assert_int_eq(parse_fails("-oil", NULL), NG_EUSAGE);
  ck_assert(ng_index_errmsg(idx)[0] != '\0');
  ck_assert_int_eq(parse_fails("NOT oil", NULL), NG_EUSAGE);
  ck_assert_int_eq(parse_fails("-oil -envoys", NULL), NG_EUSAGE);
}
END_TEST

START_TEST(nothing_searchable_is_usage_error) {
  static const char *const queries[] = {"",
                                        "   ",
                                        "!!! ... ???",
                                        "\xF0\x9F\x98\x80\xF0\x9F\x8E\x89",
                                        "\xE2\x80\x94 \xE2\x80\xA6 \xC2\xA7",
                                        "\"\"",
                                        "()",
                                        "*",
                                        "- - -",
                                        "\x01\x02\x03",
                                        "\xFF\xFE",
                                        NULL};
  for (int i = 0; queries[i]; i++) {
    int rc = parse_fails(queries[i], NULL);
    ck_assert_msg(rc == NG_EUSAGE, "query %d gave %d", i, rc);
    ck_assert(ng_index_errmsg(idx)[0] != '\0');
  }
}
END_TEST

START_TEST(huge_query_truncated) {
  buf q = {0};
  for (int i = 0; q.len < 100000; i++) ngi_buf_printf(&q, "w%d ", i);
  parsed p;
  parse_ok(q.data, NULL, &p);
  ck_assert_int_eq(p.q.truncated, 1);
  ck_assert_ptr_nonnull(p.q.fts);
  ck_assert(contains(p.text, "\"w0\""));
  parsed_free(&p);
  ngi_buf_free(&q);
  /* One enormous word. */
  for (int i = 0; i < 100000; i++) ngi_buf_addc(&q, 'x');
  parse_ok(q.data, NULL, &p);
  ck_assert_ptr_nonnull(p.q.fts);
  parsed_free(&p);
  ngi_buf_free(&q);
}
END_TEST

/* Matches of a plain query on a fresh read-only handle of the index, which
 * loads its variants anew (from $NUTGRAF_DATADIR as it is now). */
static long long fresh_count(const char *query, int *rc_out) {
  char *path = path_join(dir, "index.db");
  ng_index *h = NULL;
  ck_assert_int_eq(ng_index_open(&h, path, NULL), NG_OK);
  free(path);
  long long n = -1;
  int rc = ng_count(h, query, NULL, &n);
  if (rc_out) *rc_out = rc;
  if (rc != NG_OK) n = -1;
  ng_index_close(h);
  return n;
}

/* The base variants come from the installed data file ($NUTGRAF_DATADIR,
 * here; the compiled-in directories otherwise), the built-in list only
 * when there is none there; a bad file is an error naming it. */
START_TEST(variants_from_the_data_file) {
  char *saved = getenv("NUTGRAF_DATADIR") ? strdup(getenv("NUTGRAF_DATADIR")) : NULL;
  char *data = path_join(dir, "data");
  ck_assert_int_eq(mkdir(data, 0700), 0);
  /* No variants.txt there: the built-in list (truce finds ceasefire). */
  setenv("NUTGRAF_DATADIR", data, 1);
  ck_assert_int_eq(fresh_count("truce", NULL), 2);
  ck_assert_int_eq(fresh_count("qqzx", NULL), 0);
  /* A file of our own: it replaces the built-in list. */
  write_file(data, "variants.txt", "# ours\nqqzx, supply\n", (size_t)-1);
  ck_assert_int_eq(fresh_count("qqzx", NULL), 1);
  ck_assert_int_eq(fresh_count("truce", NULL), 0);
  /* Edited: the next handle reads it as it is now. */
  write_file(data, "variants.txt", "ceasefire, ~truce\n", (size_t)-1);
  ck_assert_int_eq(fresh_count("truce", NULL), 2);
  ck_assert_int_eq(fresh_count("qqzx", NULL), 0);
  /* A line that cannot be read. */
  write_file(data, "variants.txt", "a, b\n\xff\xfe, c\n", (size_t)-1);
  int rc;
  ck_assert_int_eq(fresh_count("truce", &rc), -1);
  ck_assert_int_eq(rc, NG_EDATA);
  if (saved)
    setenv("NUTGRAF_DATADIR", saved, 1);
  else
    unsetenv("NUTGRAF_DATADIR");
  free(saved);
  free(data);
}
END_TEST

START_TEST(variants_added) {
  /* Zelensky also searches Zelenskyy. */
  const char *zel[] = {stem("zelenskyy"), stem("zelensky"), NULL};
  check_expr("Zelensky", NULL, zel, NULL);
  parsed p;
  parse_ok("Zelensky", NULL, &p);
  ck_assert_int_eq(p.matches, 1);
  ck_assert(contains(p.q.explain.data, "variants"));
  parsed_free(&p);

  /* Not when variants are off. */
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  o.no_variants = 1;
  const char *self[] = {stem("zelensky"), NULL};
  const char *other[] = {stem("zelenskyy"), NULL};
  check_expr("Zelensky", &o, self, other);
  parse_ok("Zelensky", &o, &p);
  ck_assert_int_eq(p.matches, 0);
  parsed_free(&p);

  /* A multi-word form. */
  const char *nato[] = {stem("nato"), NULL};
  check_expr("North Atlantic Treaty Organization", NULL, nato, NULL);
  parse_ok("NATO", NULL, &p);
  ck_assert(contains(p.text, "\"north atlant treati organ\""));
  ck_assert_int_eq(p.matches, 1);
  parsed_free(&p);
}
END_TEST

START_TEST(compounds) {
  /* cease-fire: its parts as a phrase, and joined. */
  const char *joined[] = {stem("ceasefire"), "\"ceas fire\"", NULL};
  check_expr("cease-fire", NULL, joined, NULL);
  parsed p;
  parse_ok("cease-fire", NULL, &p);
  ck_assert_int_eq(p.matches, 2); /* the headline (cease-fire), the lede (ceasefire) */
  parsed_free(&p);
  /* ceasefire is not split on a guess: with the variants off it is the
   * word alone (the variants list carries "cease fire"). */
  {
    ng_search_options o = NG_SEARCH_OPTIONS_INIT;
    o.no_variants = 1;
    const char *alone[] = {stem("ceasefire"), NULL};
    const char *no_split[] = {"\"ceas fire\"", NULL};
    check_expr("ceasefire", &o, alone, no_split);
    /* cease fire, two words: also the joined word. */
    const char *two[] = {stem("ceasefire"), NULL};
    check_expr("cease fire", &o, two, NULL);
    parse_ok("cease fire", &o, &p);
    ck_assert_int_eq(p.matches, 2);
    parsed_free(&p);
  }
}
END_TEST

START_TEST(odd_queries_are_safe) {
  /* Whatever comes in, the result is a usage error or an expression FTS5
   * accepts. */
  static const char *const queries[] = {"AND",
                                        "OR OR",
                                        "NOT NOT envoys",
                                        "NEAR(",
                                        "NEAR()",
                                        "NEAR(a",
                                        "NEAR(envoys, 5)",
                                        "NEAR(envoys talks, x)",
                                        "NEAR/x envoys",
                                        "NEAR/999999999 envoys talks",
                                        "envoys NEAR/3",
                                        "(envoys OR)",
                                        "envoys AND AND talks",
                                        ":",
                                        "title:",
                                        "title:\"",
                                        "title:(",
                                        "title:()",
                                        "source:",
                                        "path:*",
                                        "path:a*",
                                        "title:geneva*",
                                        "-title:geneva envoys",
                                        "envoys -",
                                        "envoys --talks",
                                        "+envoys +talks",
                                        "envoys*",
                                        "*envoys",
                                        "e*",
                                        "\"envoys\"*",
                                        "\"\"envoys",
                                        "envoys\"\"talks",
                                        "a\"b\"c",
                                        "((a) (b))",
                                        ")(",
                                        "envoys (OR talks)",
                                        "\"unclosed (paren",
                                        "col:val",
                                        "envoys:talks",
                                        "{head}: envoys",
                                        "^envoys",
                                        "envoys + talks",
                                        "\xE2\x80\x9C"
                                        "envoys\xE2\x80\x9D -\xE2\x80\x9C"
                                        "talks\xE2\x80\x9D",
                                        "envoys\xE2\x80\x9D",
                                        "Z\xC3\xBCrich",
                                        "\xD0\x9A\xD0\xB8\xD1\x97\xD0\xB2",
                                        "\xE6\x9D\xB1\xE4\xBA\xAC",
                                        "envoys\ttalks\nagain",
                                        "envoys \xC2\x85 talks",
                                        "envoys \xFF talks",
                                        "12-hour",
                                        "2025",
                                        "o'brien",
                                        "rock'n'roll",
                                        "'quoted'",
                                        "NEAR(\"both sides\" envoys, 3) OR (oil AND -prices)",
                                        "title:geneva OR title:oil",
                                        "(title:geneva envoys) OR oil",
                                        "title:ab\"cd",
                                        "title:\"unclosed",
                                        "\"a\" \"b\"",
                                        "NEAR(\"a b\" c*, 2)",
                                        "\"cease-fire\"*",
                                        "12-hou*",
                                        "cease-fi*",
                                        "NEAR(cease-fire talks, 2)",
                                        "title:cease-fire",
                                        "path:\"a b\"",
                                        "source:\"Nutgraf Wire\"",
                                        "cote d'ivoire",
                                        "C\xC3\xB4te d\xE2\x80\x99Ivoire",
                                        "north atlantic treaty organization*",
                                        "-(envoys talks)",
                                        "NOT (envoys OR oil)",
                                        "envoys NOT (talks OR oil)",
                                        NULL};
  for (int i = 0; queries[i]; i++) {
    ng_search_options o = NG_SEARCH_OPTIONS_INIT;
    for (int any = 0; any <= 1; any++) {
      o.any = any;
      parsed_query q;
      int rc = ngi_query_expand(idx, queries[i], &o, &q);
      ck_assert_msg(rc == NG_OK || rc == NG_EUSAGE, "\"%s\": rc %d", queries[i], rc);
      if (rc != NG_OK) continue;
      char why[300] = "";
      long long n = q.fts ? fts_count(q.fts, why, sizeof why) : 0;
      char *shown = readable(q.fts);
      int title_ok = 1;
      for (size_t k = 0; k < q.nfilters; k++) {
        if (q.filters[k].field != NGI_FIELD_TITLE) continue;
        buf t = {0};
        ngi_buf_printf(&t, "{head} : (%s)", q.filters[k].value);
        if (fts_count(t.data, why, sizeof why) < 0) title_ok = 0;
        ngi_buf_free(&t);
      }
      int ok = n >= 0 && title_ok;
      char copy[400];
      snprintf(copy, sizeof copy, "%s", shown);
      free(shown);
      ngi_parsed_query_free(&q);
      ck_assert_msg(ok, "\"%s\" (any=%d) -> FTS5 refused %s: %s", queries[i], any, copy, why);
    }
  }
}
END_TEST

/* dateline:, author: and date: filters; an unknown field is its words,
 * with a note and a line of the explanation. */
START_TEST(wire_fields) {
  parsed p;
  parse_ok("dateline:houston Author:\"Priya N\" envoys", NULL, &p);
  ck_assert_uint_eq(p.q.nfilters, 2);
  ck_assert_int_eq(p.q.filters[0].field, NGI_FIELD_DATELINE);
  ck_assert_str_eq(p.q.filters[0].value, "houston");
  ck_assert_int_eq(p.q.filters[1].field, NGI_FIELD_AUTHOR);
  ck_assert_str_eq(p.q.filters[1].value, "Priya N");
  ck_assert_uint_eq(p.q.notes.len, 0);
  parsed_free(&p);
  static const struct {
    const char *query, *value;
  } dates[] = {{"date:2025-12-01 envoys", "2025-12-01..2025-12-01"},
               {"date:2025-11..2025-12 envoys", "2025-11..2025-12"},
               {"date:2025.. envoys", "2025.."},
               {"date:..2025-03-14 envoys", "..2025-03-14"},
               {"-date:2024 envoys", "2024..2024"}};
  for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
    parse_ok(dates[i].query, NULL, &p);
    ck_assert_uint_eq(p.q.nfilters, 1);
    ck_assert_int_eq(p.q.filters[0].field, NGI_FIELD_DATE);
    ck_assert_str_eq(p.q.filters[0].value, dates[i].value);
    parsed_free(&p);
  }
  ng_search_options o = NG_SEARCH_OPTIONS_INIT;
  parsed_query q;
  ck_assert_int_eq(ngi_query_expand(idx, "date:2025-12..2025-11 envoys", &o, &q), NG_EUSAGE);
  ck_assert(contains(ng_index_errmsg(idx), "holds no day"));
  ck_assert_int_eq(ngi_query_expand(idx, "date:someday envoys", &o, &q), NG_EUSAGE);
  ck_assert(contains(ng_index_errmsg(idx), "cannot read date:someday"));

  parse_ok("slug:geneva envoys", NULL, &p);
  ck_assert_uint_eq(p.q.nfilters, 0);
  ck_assert(contains(p.text, "\"slug\" AND \"geneva\""));
  ck_assert(contains(p.q.notes.data, "slug: is not a field"));
  ck_assert(contains(p.q.explain.data, "slug: is not a field; searched as words"));
  ck_assert(!strchr(p.q.notes.data, '\n'));
  parsed_free(&p);
  parse_ok("slug:geneva kicker:envoys", NULL, &p);
  ck_assert(contains(p.q.notes.data, "slug:, kicker: are not fields"));
  parsed_free(&p);
}
END_TEST

static Suite *expand_suite(void) {
  Suite *s = suite_create("expand");
  TCase *tc = tcase_create("syntax");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, plain_words_all_required);
  tcase_add_test(tc, any_mode_is_or);
  tcase_add_test(tc, phrase);
  tcase_add_test(tc, exclusion);
  tcase_add_test(tc, or_operator);
  tcase_add_test(tc, or_binds_loosest);
  tcase_add_test(tc, excluded_inside_or_ignored);
  tcase_add_test(tc, plus_is_the_word);
  tcase_add_test(tc, prefix);
  tcase_add_test(tc, near);
  tcase_add_test(tc, filters);
  tcase_add_test(tc, wire_fields);
  tcase_add_test(tc, unbalanced_falls_back);
  tcase_add_test(tc, lone_operators_fall_back);
  tcase_add_test(tc, unclosed_near_call_falls_back_to_words);
  tcase_add_test(tc, fallback_keeps_exclusions_drops_operators);
  tcase_add_test(tc, fallback_drops_field_name_before_space);
  tcase_add_test(tc, deep_nesting_falls_back);
  tcase_add_test(tc, only_excluded_is_usage_error);
  tcase_add_test(tc, nothing_searchable_is_usage_error);
  tcase_add_test(tc, huge_query_truncated);
  suite_add_tcase(s, tc);

  tc = tcase_create("expansion");
  tcase_add_unchecked_fixture(tc, unit_base_make, unit_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, variants_added);
  tcase_add_test(tc, variants_from_the_data_file);
  tcase_add_test(tc, compounds);
  tcase_add_test(tc, odd_queries_are_safe);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(expand_suite()); }
