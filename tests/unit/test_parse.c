/*
 * test_parse.c -- unit suite for lib/parse.c: what a person types -> a
 * query tree.  No index, no SQLite: the parser works on bytes alone, and
 * every tree is checked for shape (expand.c's suite checks what the trees
 * become).
 */
#define _GNU_SOURCE
#include "unit.h"

/* The tree written as text: words and phrases as typed, with their marks
 * (- excluded, + required, * prefix), groups in brackets:
 * AND[...] OR[...] NEAR/d[...] title:/source:/path:[...]. */
static void show(const qnode *n, buf *b) {
  if (n->negated) ngi_buf_addc(b, '-');
  if (n->required) ngi_buf_addc(b, '+');
  if (n->explicit_and) ngi_buf_adds(b, "&");
  static const char *const fields[] = {"title:", "source:", "path:", "dateline:", "author:", "date:"};
  switch (n->type) {
    case NGI_WORD: ngi_buf_printf(b, "%s%s%s", n->unknown_field ? "?" : "", n->text, n->prefix ? "*" : ""); return;
    case NGI_PHRASE: ngi_buf_printf(b, "\"%s\"%s", n->text, n->prefix ? "*" : ""); return;
    case NGI_AND: ngi_buf_adds(b, "AND["); break;
    case NGI_OR: ngi_buf_adds(b, "OR["); break;
    case NGI_NEAR: ngi_buf_printf(b, "NEAR/%d[", n->distance); break;
    case NGI_FILTER: ngi_buf_printf(b, "%s[", fields[n->field]); break;
    default: ngi_buf_adds(b, "?["); break;
  }
  for (size_t i = 0; i < n->nkids; i++) {
    if (i) ngi_buf_addc(b, ' ');
    show(n->kids[i], b);
  }
  ngi_buf_addc(b, ']');
}

/* Parses query and compares the tree's text; fallback says whether the
 * plain-words reading was wanted. */
static void check_tree(const char *query, const char *want, int fallback) {
  query_tree t;
  ck_assert_int_eq(ngi_query_parse(query, &t), NG_OK);
  ck_assert_ptr_nonnull(t.root);
  ck_assert_int_eq(t.root->type, NGI_AND);
  buf b = {0};
  show(t.root, &b);
  ck_assert_msg(strcmp(b.data, want) == 0, "\"%s\" -> %s, wanted %s", query, b.data, want);
  ck_assert_msg(t.fallback == fallback, "\"%s\": fallback %d, wanted %d", query, t.fallback, fallback);
  ngi_buf_free(&b);
  ngi_query_tree_free(&t);
}

START_TEST(words_and_phrases) {
  check_tree("envoys talks", "AND[envoys talks]", 0);
  check_tree("\"peace talks\" resume", "AND[\"peace talks\" resume]", 0);
  check_tree(
      "\xE2\x80\x9C"
      "curly quotes"
      "\xE2\x80\x9D",
      "AND[\"curly quotes\"]", 0);
  check_tree("negotiat*", "AND[negotiat*]", 0);
  check_tree("\"cease-fire\"*", "AND[\"cease-fire\"*]", 0);
}
END_TEST

START_TEST(operators) {
  check_tree("a OR b", "AND[OR[AND[a] AND[b]]]", 0);
  check_tree("a b OR c", "AND[OR[AND[a b] AND[c]]]", 0);
  check_tree("a AND b", "AND[a &b]", 0);
  check_tree("sanctions -oil", "AND[sanctions -oil]", 0);
  check_tree("sanctions NOT oil", "AND[sanctions -oil]", 0);
  check_tree("+nato alliance", "AND[+nato alliance]", 0);
  check_tree("(a OR b) c", "AND[OR[AND[a] AND[b]] c]", 0);
  check_tree("or not", "AND[or not]", 0); /* lower case: words */
}
END_TEST

START_TEST(near_forms) {
  check_tree("a NEAR b", "AND[NEAR/10[a b]]", 0);
  check_tree("a NEAR/3 b", "AND[NEAR/3[a b]]", 0);
  check_tree("NEAR(a \"b c\" d, 5)", "AND[NEAR/5[a \"b c\" d]]", 0);
  check_tree("NEAR(a b)", "AND[NEAR/10[a b]]", 0);
}
END_TEST

START_TEST(fields) {
  check_tree("title:ceasefire", "AND[title:[ceasefire]]", 0);
  check_tree("headline:truce*", "AND[title:[truce*]]", 0);
  check_tree("source:AP path:wire/*", "AND[source:[AP] path:[wire/*]]", 0);
  check_tree("title:\"peace talks\" -source:tass", "AND[title:[\"peace talks\"] -source:[tass]]", 0);
  check_tree("slug:x", "AND[?slug:x]", 0); /* not a field: its words, and a note */
}
END_TEST

/* Field names in any case; the new fields; a word that looks like a field
 * but names none is marked (?) to be searched as its words. */
START_TEST(more_fields) {
  check_tree("Title:opec", "AND[title:[opec]]", 0);
  check_tree("TITLE:opec SOURCE:wire", "AND[title:[opec] source:[wire]]", 0);
  check_tree("dateline:houston oil", "AND[dateline:[houston] oil]", 0);
  check_tree("dateline:\"new york\" oil", "AND[dateline:[\"new york\"] oil]", 0);
  check_tree("author:smith -Author:jones", "AND[author:[smith] -author:[jones]]", 0);
  check_tree("date:2025-12-01 talks", "AND[date:[2025-12-01] talks]", 0);
  check_tree("date:2025-11..2025-12 talks", "AND[date:[2025-11..2025-12] talks]", 0);
  check_tree("foo:bar talks", "AND[?foo:bar talks]", 0);
  check_tree("http://example.org 10:30", "AND[http://example.org 10:30]", 0);
  check_tree("\"unclosed foo:bar", "AND[unclosed ?foo:bar]", 1);
}
END_TEST

START_TEST(failures_read_as_plain_words) {
  check_tree("\"unclosed quote", "AND[unclosed quote]", 1);
  check_tree("(a b", "AND[a b]", 1);
  check_tree("a )b", "AND[a b]", 1);
  check_tree("OR a", "AND[a]", 1);
  check_tree("a AND", "AND[a]", 1);
  check_tree("NEAR(truce", "AND[truce]", 1);
  check_tree("-oil (x", "AND[-oil x]", 1);
  check_tree("title: nato", "AND[nato]", 1);
  /* Deep nesting is a failure too. */
  buf q = {0};
  for (int i = 0; i < NGI_MAX_QUERY_DEPTH + 2; i++) ngi_buf_addc(&q, '(');
  ngi_buf_adds(&q, "deep");
  for (int i = 0; i < NGI_MAX_QUERY_DEPTH + 2; i++) ngi_buf_addc(&q, ')');
  check_tree(q.data, "AND[deep]", 1);
  ngi_buf_free(&q);
}
END_TEST

START_TEST(cleaning) {
  size_t n;
  int cut = 0;
  char *c = ngi_query_clean(
      "a\x01"
      "b\xFF"
      "c\xC2\x85"
      "d",
      &n, &cut);
  ck_assert_str_eq(c, "a b c d");
  ck_assert_uint_eq(n, 7);
  ck_assert_int_eq(cut, 0);
  free(c);
  char *big = malloc(NGI_MAX_QUERY_BYTES + 100);
  memset(big, 'a', NGI_MAX_QUERY_BYTES + 99);
  big[NGI_MAX_QUERY_BYTES + 99] = '\0';
  query_tree t;
  ck_assert_int_eq(ngi_query_parse(big, &t), NG_OK);
  ck_assert_int_eq(t.truncated, 1);
  ck_assert_uint_eq(strlen(t.text), NGI_MAX_QUERY_BYTES);
  ngi_query_tree_free(&t);
  free(big);
}
END_TEST

/* Any bytes at all give a tree (perhaps empty of words), never a crash. */
START_TEST(any_bytes) {
  static const char *const queries[] = {
      "",      " ",        "\"",    "\"\"",         "()",      "-",      "+",         "*",      "NEAR",
      "NEAR/", "NEAR/x a", "NEAR(", "NEAR()",       "NEAR(,)", "a NEAR", ":",         "title:", "title:*",
      "-\"\"", "((((",     "))))",  "\xE2\x80\x9C", "a\"b",    "-(a b)", "NOT NOT a", NULL};
  for (int i = 0; queries[i]; i++) {
    query_tree t;
    ck_assert_msg(ngi_query_parse(queries[i], &t) == NG_OK, "\"%s\"", queries[i]);
    ck_assert_int_eq(t.root->type, NGI_AND);
    ngi_query_tree_free(&t);
  }
}
END_TEST

static Suite *parse_suite(void) {
  Suite *s = suite_create("parse");
  TCase *tc = tcase_create("tree");
  tcase_add_test(tc, words_and_phrases);
  tcase_add_test(tc, operators);
  tcase_add_test(tc, near_forms);
  tcase_add_test(tc, fields);
  tcase_add_test(tc, more_fields);
  tcase_add_test(tc, failures_read_as_plain_words);
  tcase_add_test(tc, cleaning);
  tcase_add_test(tc, any_bytes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(parse_suite()); }
