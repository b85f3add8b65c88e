/*
 * test_segment.c -- unit suite for lib/segment.c: article text -> headline,
 * dateline and paragraphs, for each layout segment.c knows.
 *
 * The texts are written here, except for the fixtures test, which reads
 * fixtures/articles (never changing them) and checks the segmentation their
 * README states.
 */
#define _GNU_SOURCE
#include "unit.h"

/* An expected passage: kind, lines, and its text (NULL: not checked). */
typedef struct want {
  int kind;
  int first, last;
  const char *text;
} want;

#define H NG_KIND_HEADLINE
#define P NG_KIND_PARAGRAPH

static void segment(const char *text, const char *title, article *a) {
  ck_assert_int_eq(ngi_segment(text, strlen(text), title, a), NG_OK);
}

static void check_passages(const article *a, const want *w, size_t n) {
  ck_assert_msg(a->npassages == n, "%zu passages, wanted %zu", a->npassages, n);
  for (size_t i = 0; i < n; i++) {
    const passage *p = &a->passages[i];
    ck_assert_msg(p->kind == w[i].kind, "passage %zu: kind %d, wanted %d", i, p->kind, w[i].kind);
    ck_assert_msg(p->first_line == w[i].first && p->last_line == w[i].last, "passage %zu: lines %d-%d, wanted %d-%d", i,
                  p->first_line, p->last_line, w[i].first, w[i].last);
    ck_assert_uint_eq(strlen(ngi_article_text(a, i)), p->len);
    if (w[i].text) ck_assert_str_eq(ngi_article_text(a, i), w[i].text);
  }
}

/* ------------------------------------------------------------------ */
/* The seed layout: hard-wrapped, no blank lines, a two-line headline. */

static const char seed_text[] =
    "Talks in Geneva end without a deal as the envoys\n"
    "agree to meet again, allies urge security pledges\n"
    "Geneva, Switzerland \xE2\x80\x94 Envoys from both delegations\n"
    "walked out of a long session at the Palais des Nations on Thursday without\n"
    "agreeing a truce, although the hosts said both sides would come back soon.\n"
    "The meeting was the first encounter between the\n"
    "two sides since the spring, and it stretched long past midnight as officials\n"
    "swapped maps of the front and lists of prisoners they want to see freed.\n"
    "Diplomats said a written text was now in front of\n"
    "both teams and would be studied line by line in each capital, said Dr.\n"
    "Keller, who chaired the session.";

START_TEST(seed_layout) {
  article a;
  segment(seed_text, NULL, &a);
  const want w[] = {
      {H, 1, 2, "Talks in Geneva end without a deal as the envoys agree to meet again, allies urge security pledges"},
      {P, 3, 5,
       "Geneva, Switzerland \xE2\x80\x94 Envoys from both delegations walked out of a long session at the Palais "
       "des Nations on Thursday without agreeing a truce, although the hosts said both sides would come back "
       "soon."},
      {P, 6, 8, NULL},
      /* "Dr." does not end a sentence: the paragraph runs on. */
      {P, 9, 11,
       "Diplomats said a written text was now in front of both teams and would be studied line by line in each "
       "capital, said Dr. Keller, who chaired the session."},
  };
  check_passages(&a, w, 4);
  ck_assert_pstr_eq(a.dateline, "Geneva, Switzerland");
  ck_assert_pstr_eq(
      a.title, "Talks in Geneva end without a deal as the envoys agree to meet again, allies urge security pledges");
  ck_assert_ptr_null(a.date);
  ngi_article_free(&a);
}
END_TEST

START_TEST(seed_layout_with_final_newline) {
  /* A final newline adds no line and no passage. */
  buf t = {0};
  ngi_buf_adds(&t, seed_text);
  ngi_buf_adds(&t, "\n");
  article a;
  segment(t.data, NULL, &a);
  ck_assert_uint_eq(a.npassages, 4);
  ck_assert_int_eq(a.passages[3].last_line, 11);
  ngi_article_free(&a);
  ngi_buf_free(&t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* BBC: headline, blank line, one line per paragraph. */

START_TEST(bbc_layout) {
  const char *text =
      "Pound slips as Bank of England holds rates\n"
      "\n"
      "The pound fell against the dollar on Thursday after the Bank of England left interest rates unchanged "
      "and signalled that cuts were further away than markets had hoped.\n"
      "\n"
      "Traders had expected a more dovish message from the Monetary Policy Committee, which voted seven to two "
      "to hold the benchmark rate at its current level.\n"
      "\n"
      "Shares in housebuilders fell.\n";
  article a;
  segment(text, NULL, &a);
  const want w[] = {
      {H, 1, 1, "Pound slips as Bank of England holds rates"},
      {P, 3, 3, NULL},
      {P, 5, 5, NULL},
      {P, 7, 7, "Shares in housebuilders fell."},
  };
  check_passages(&a, w, 4);
  ck_assert_ptr_null(a.dateline);
  ck_assert_pstr_eq(a.title, "Pound slips as Bank of England holds rates");
  ngi_article_free(&a);
}
END_TEST

START_TEST(bbc_lede_with_dash_is_no_dateline) {
  const char *text =
      "Bush begins a tour of the region\n"
      "\n"
      "US President George W Bush - who is on a week-long tour of the region - said on Monday that talks would "
      "resume.\n"
      "\n"
      "He is due to meet leaders in three capitals.\n";
  article a;
  segment(text, NULL, &a);
  ck_assert_uint_eq(a.npassages, 3);
  ck_assert_msg(a.dateline == NULL, "dateline \"%s\" recorded", a.dateline);
  /* The text is left as it was. */
  ck_assert(strncmp(ngi_article_text(&a, 1), "US President George W Bush - who", 32) == 0);
  ngi_article_free(&a);
}
END_TEST

/* Regression (fixed): the same lede with em dashes around the aside gets the dateline "US
 * President George W Bush": an em dash is taken after any run of up to six
 * capitalised words, even when the text after it goes on in lower case
 * ("who ..."), which a dateline never does (the hyphen case above is caught
 * only because " - " needs capitals or an agency). */
START_TEST(em_dash_aside_is_no_dateline) {
  const char *text =
      "Bush begins a tour of the region\n"
      "\n"
      "US President George W Bush \xE2\x80\x94 who is on a week-long tour of the region \xE2\x80\x94 said on "
      "Monday that talks would resume.\n";
  article a;
  segment(text, NULL, &a);
  char got[100];
  snprintf(got, sizeof got, "%s", a.dateline ? a.dateline : "(none)");
  size_t n = a.npassages;
  ngi_article_free(&a);
  ck_assert_uint_eq(n, 2);
  ck_assert_msg(strcmp(got, "(none)") == 0, "dateline \"%s\" recorded", got);
}
END_TEST

/* The forms wires write datelines in (issue 10): the place is recorded
 * without the agency, the day apart from it. */
START_TEST(em_dash_datelines) {
  static const struct {
    const char *lede, *dateline, *day;
  } cases[] = {
      {"WASHINGTON \xE2\x80\x94 The talks resumed on Monday.", "WASHINGTON", NULL},
      {"KYIV, Ukraine (AP) \xE2\x80\x94 The talks resumed on Monday.", "KYIV, Ukraine", NULL},
      {"Anchorage, Alaska \xE2\x80\x94 The talks resumed on Monday.", "Anchorage, Alaska", NULL},
      {"NEW YORK, March 3 (Reuters) - Stocks rose on Monday.", "NEW YORK", "March 3"},
      {"PARIS -- The talks resumed on Monday.", "PARIS", NULL},
      {"SALVADOR, Feb 26 - Showers continued throughout the week.", "SALVADOR", "Feb 26"},
      {"Houston, Feb 26 - Crude rose.", "Houston", "Feb 26"},
      {"PORTLAND, Ore., Feb 26 - Timber sales fell.", "PORTLAND, Ore.", "Feb 26"},
      {"Portland, Ore., Feb. 26 \xE2\x80\x93 Timber sales fell.", "Portland, Ore.", "Feb. 26"},
      {"RICHMOND, Va. Feb 26 - Sales fell.", "RICHMOND, Va.", "Feb 26"},
      {"TOKYO - The yen rose.", "TOKYO", NULL},
      {"Tokyo (Kyodo) - The yen rose.", "Tokyo", NULL},
      {"LONDON, 26 Feb - Gold fell.", "LONDON", "26 Feb"},
      {"MONTREAL, Feb 26- Shr 1.11 dlrs.", "MONTREAL", "Feb 26"},
      {"DETROIT, March 4 -General Motors said.", "DETROIT", "March 4"},
      {"CHEVY CHASE, Md., - March 4 - Geico said.", "CHEVY CHASE, Md.", "March 4"},
      {"ROME, March 13, Reuter - Rates rose.", "ROME", "March 13"},
      {"****LONDON, March 5 - India bought sugar.", "LONDON", "March 5"},
      {"BAGUIO, Philippines - Troops moved.", "BAGUIO, Philippines", NULL},
      {"S\xC3\x83O PAULO, March 9 \xE2\x80\x94 Coffee rose.", "S\xC3\x83O PAULO", "March 9"},
      {"OAKLAND , N.J., March 9 - Shares rose.", "OAKLAND, N.J.", "March 9"},
      /* all in lower case, as some wire copy is keyed: a month and a day */
      {"peoria, april 7 - barrow and gilt prices rose.", "peoria", "april 7"},
      {"sioux falls, april 7 - slaughter cattle rose.", "sioux falls", "april 7"},
      {"chicago, June 18 - Bell and Howell said.", "chicago", "June 18"},
      /* a month without its day is left out of the place */
      {"CHICAGO, April - U.S. Labor Secretary William Brock said.", "CHICAGO", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    buf t = {0};
    ngi_buf_printf(&t, "A headline\n\n%s\n", cases[i].lede);
    article a;
    segment(t.data, NULL, &a);
    ngi_buf_free(&t);
    ck_assert_msg(a.dateline && strcmp(a.dateline, cases[i].dateline) == 0, "\"%s\": dateline %s", cases[i].lede,
                  a.dateline ? a.dateline : "(none)");
    ck_assert_msg(cases[i].day ? a.dateline_day && strcmp(a.dateline_day, cases[i].day) == 0 : !a.dateline_day,
                  "\"%s\": day %s", cases[i].lede, a.dateline_day ? a.dateline_day : "(none)");
    /* The dateline stays in the lede's text. */
    ck_assert_str_eq(ngi_article_text(&a, 1), cases[i].lede);
    ngi_article_free(&a);
  }
}
END_TEST

/* Not datelines: a sentence's subject before a dash, a minus, a table row. */
START_TEST(not_datelines) {
  static const char *const ledes[] = {
      "US President George W Bush - speaking on Monday - said so.",
      "The company said - in a statement - that it would.",
      "Profits fell -5 pct in the quarter.",
      "MAR8  --     --  12.5",
      "Smith - who resigned - spoke.",
      "APRIL 11 - The figures follow.",
      /* lower case without a month and a day */
      "the company said - in a statement - that it would.",
      "peoria - barrow and gilt prices rose.",
      "peoria, monday - barrow and gilt prices rose.",
      "as of april 7 - the figures follow.",
      "and then, four years later, april 7 - the end.",
      "- Position of APR 6   - May 6765",
  };
  for (size_t i = 0; i < sizeof ledes / sizeof ledes[0]; i++) {
    buf t = {0};
    ngi_buf_printf(&t, "A headline\n\n%s\n", ledes[i]);
    article a;
    segment(t.data, NULL, &a);
    ngi_buf_free(&t);
    ck_assert_msg(!a.dateline, "\"%s\": dateline %s recorded", ledes[i], a.dateline);
    ngi_article_free(&a);
  }
}
END_TEST

/* A dateline on a line of its own opens the paragraph after it: on the
 * wire (indented paragraphs) and between blank lines. */
START_TEST(dateline_own_line) {
  const char *wire =
      "Date: Thu, 26 Feb 1987 17:34:40 +0000\n"
      "\n"
      "UTILITY POSTS JANUARY NET\n"
      "    CHICAGO, Feb 26 -\n"
      "    The utility said its January net fell\n"
      "sharply as the cold weather eased and sales\n"
      "of power to industry slowed.\n";
  article a;
  segment(wire, NULL, &a);
  ck_assert_pstr_eq(a.dateline, "CHICAGO");
  ck_assert_pstr_eq(a.dateline_day, "Feb 26");
  ck_assert_uint_eq(a.npassages, 2);
  ck_assert_str_eq(ngi_article_text(&a, 1),
                   "CHICAGO, Feb 26 - The utility said its January net fell sharply as the cold "
                   "weather eased and sales of power to industry slowed.");
  ck_assert_int_eq(a.passages[1].first_line, 4);
  ck_assert_int_eq(a.passages[1].last_line, 7);
  ngi_article_free(&a);
  const char *blank =
      "Flood waters recede\n\nHOUSTON (AP) \xE2\x80\x94\n\nThe water fell overnight.\n\nRoads reopened.\n";
  segment(blank, NULL, &a);
  ck_assert_pstr_eq(a.dateline, "HOUSTON");
  ck_assert_uint_eq(a.npassages, 3);
  ck_assert_str_eq(ngi_article_text(&a, 1), "HOUSTON (AP) \xE2\x80\x94 The water fell overnight.");
  ck_assert_int_eq(a.passages[1].first_line, 3);
  ck_assert_int_eq(a.passages[1].last_line, 5);
  ngi_article_free(&a);
}
END_TEST

START_TEST(wire_dateline) {
  const char *text =
      "Oil climbs on supply worries\n"
      "\n"
      "LONDON (Reuters) - Oil prices rose on Monday as traders weighed the risk of supply disruptions.\n"
      "\n"
      "Brent crude futures were up 1 percent by midday.\n";
  article a;
  segment(text, NULL, &a);
  ck_assert_uint_eq(a.npassages, 3);
  ck_assert_pstr_eq(a.dateline, "LONDON");
  /* The dateline stays in the lede's text. */
  ck_assert_str_eq(ngi_article_text(&a, 1),
                   "LONDON (Reuters) - Oil prices rose on Monday as traders weighed the risk of supply disruptions.");
  ngi_article_free(&a);
}
END_TEST

START_TEST(only_the_lede_has_a_dateline) {
  const char *text =
      "A quiet day in the markets\n"
      "\n"
      "Stocks were little changed on Tuesday in thin trading.\n"
      "\n"
      "PARIS (Reuters) - This paragraph opens like a dateline but is not the lede.\n";
  article a;
  segment(text, NULL, &a);
  ck_assert_uint_eq(a.npassages, 3);
  ck_assert_ptr_null(a.dateline);
  ngi_article_free(&a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Indented newswire paragraphs. */

START_TEST(indented_paragraphs) {
  const char *text =
      "BORDER TRUCE HOLDS AS TRADE TALKS RESUME\n"
      "    The truce along the northern border held for a\n"
      "third day on Tuesday, officials said, as trade\n"
      "negotiators met in the capital\n"
      "for a second round.\n"
      "    Both governments have said they want the talks\n"
      "to conclude before the harvest.\n"
      "    A third round is planned\n"
      "for next month.\n";
  article a;
  segment(text, NULL, &a);
  const want w[] = {
      {H, 1, 1, "BORDER TRUCE HOLDS AS TRADE TALKS RESUME"},
      {P, 2, 5,
       "The truce along the northern border held for a third day on Tuesday, officials said, as trade "
       "negotiators met in the capital for a second round."},
      {P, 6, 7, "Both governments have said they want the talks to conclude before the harvest."},
      {P, 8, 9, "A third round is planned for next month."},
  };
  check_passages(&a, w, 4);
  ck_assert_ptr_null(a.dateline);
  ngi_article_free(&a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* One paragraph per line, no blank lines. */

START_TEST(one_paragraph_per_line) {
  const char *text =
      "Storm floods the coast road\n"
      "Heavy rain overnight flooded the coast road between the two harbour towns, and the council closed it "
      "to traffic until further notice\n"
      "Residents of the lower streets were moved to the school hall, where volunteers served hot food and "
      "blankets through the night\n"
      "The forecast for the weekend is drier, but the river is expected to stay high until at least the "
      "middle of next week\n";
  article a;
  segment(text, NULL, &a);
  const want w[] = {{H, 1, 1, "Storm floods the coast road"}, {P, 2, 2, NULL}, {P, 3, 3, NULL}, {P, 4, 4, NULL}};
  check_passages(&a, w, 4);
  ck_assert(strncmp(ngi_article_text(&a, 2), "Residents of the lower streets", 30) == 0);
  ngi_article_free(&a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Header blocks. */

START_TEST(header_block) {
  const char *text =
      "Date: 14 March 2025\n"
      "Title: Centrist bloc edges ahead\n"
      "Source: Nutgraf Wire\n"
      "URL: https://example.org/news/1\n"
      "Author: Priya Natarajan\n"
      "\n"
      "A centrist alliance moved into a narrow lead on Friday.\n"
      "\n"
      "Counting resumes on Saturday.\n";
  article a;
  segment(text, NULL, &a);
  const want w[] = {
      {H, 2, 2, "Centrist bloc edges ahead"},
      {P, 7, 7, "A centrist alliance moved into a narrow lead on Friday."},
      {P, 9, 9, "Counting resumes on Saturday."},
  };
  check_passages(&a, w, 3);
  ck_assert_pstr_eq(a.title, "Centrist bloc edges ahead");
  ck_assert_pstr_eq(a.date, "2025-03-14");
  ck_assert_pstr_eq(a.source, "Nutgraf Wire");
  ck_assert_pstr_eq(a.url, "https://example.org/news/1");
  ck_assert_pstr_eq(a.author, "Priya Natarajan");
  ngi_article_free(&a);
}
END_TEST

START_TEST(header_block_bad_date_left_out) {
  const char *text = "Title: A headline\nDate: some day soon\n\nBody text here.\n";
  article a;
  segment(text, NULL, &a);
  ck_assert_ptr_null(a.date);
  ck_assert_pstr_eq(a.title, "A headline");
  ck_assert_uint_eq(a.npassages, 2);
  ngi_article_free(&a);
}
END_TEST

START_TEST(not_a_header_block) {
  /* An unknown key: the first line is an ordinary headline. */
  const char *text = "Note: markets are closed on Monday\n\nTrading resumes on Tuesday.\n";
  article a;
  segment(text, NULL, &a);
  const want w[] = {{H, 1, 1, "Note: markets are closed on Monday"}, {P, 3, 3, "Trading resumes on Tuesday."}};
  check_passages(&a, w, 2);
  ck_assert_ptr_null(a.source);
  ngi_article_free(&a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A title passed in (feed records). */

START_TEST(title_passed_in) {
  const char *body =
      "First paragraph of the record.\n"
      "\n"
      "Second paragraph, which is\n"
      "wrapped over two lines.";
  article a;
  segment(body, "  Record headline \t", &a);
  const want w[] = {
      {H, 1, 1, "Record headline"},
      {P, 3, 3, "First paragraph of the record."},
      {P, 5, 6, "Second paragraph, which is wrapped over two lines."},
  };
  check_passages(&a, w, 3);
  ck_assert_pstr_eq(a.title, "Record headline");
  ngi_article_free(&a);
}
END_TEST

START_TEST(title_passed_in_body_first_line_is_paragraph) {
  /* With a title given, a short first body line is not a headline. */
  article a;
  segment("Short line\n\nMore text.", "The title", &a);
  ck_assert_uint_eq(a.npassages, 3);
  ck_assert_int_eq(a.passages[0].kind, H);
  ck_assert_int_eq(a.passages[1].kind, P);
  ck_assert_int_eq(a.passages[1].first_line, 3);
  ck_assert_str_eq(ngi_article_text(&a, 1), "Short line");
  ngi_article_free(&a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Degenerate texts. */

START_TEST(empty_text) {
  article a;
  segment("", NULL, &a);
  ck_assert_uint_eq(a.npassages, 0);
  ck_assert_ptr_null(a.title);
  ck_assert_ptr_null(a.dateline);
  ngi_article_free(&a);
  segment("\n\n   \n\t\n", NULL, &a);
  ck_assert_uint_eq(a.npassages, 0);
  ck_assert_ptr_null(a.title);
  ngi_article_free(&a);
}
END_TEST

START_TEST(single_long_line) {
  buf t = {0};
  for (int i = 0; i < 50; i++) ngi_buf_adds(&t, "many words ");
  ngi_buf_adds(&t, "end");
  article a;
  segment(t.data, NULL, &a);
  const want w[] = {{P, 1, 1, NULL}};
  check_passages(&a, w, 1);
  ck_assert_str_eq(ngi_article_text(&a, 0), t.data);
  ck_assert_ptr_null(a.title);
  ngi_article_free(&a);
  ngi_buf_free(&t);
}
END_TEST

START_TEST(long_paragraph_is_cut) {
  buf t = {0};
  ngi_buf_adds(&t, "A headline over a very long paragraph\n\n");
  buf joined = {0};
  for (int i = 0; i < 2000; i++) {
    const char *line = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor in";
    ngi_buf_adds(&t, line);
    ngi_buf_addc(&t, '\n');
    if (i) ngi_buf_addc(&joined, ' ');
    ngi_buf_adds(&joined, line);
  }
  ck_assert(!t.oom && !joined.oom);
  ck_assert_uint_gt(joined.len, 2 * NGI_MAX_PASSAGE_BYTES);
  article a;
  segment(t.data, NULL, &a);
  ck_assert_uint_ge(a.npassages, 4); /* the headline and at least 3 pieces */
  ck_assert_int_eq(a.passages[0].kind, H);
  buf again = {0};
  for (size_t i = 1; i < a.npassages; i++) {
    const passage *p = &a.passages[i];
    ck_assert_int_eq(p->kind, P);
    ck_assert_int_eq(p->first_line, 3);
    ck_assert_int_eq(p->last_line, 2002);
    ck_assert_uint_le(p->len, NGI_MAX_PASSAGE_BYTES);
    ck_assert_uint_gt(p->len, 0);
    const char *s = ngi_article_text(&a, i);
    ck_assert_msg(s[0] != ' ' && s[p->len - 1] != ' ', "piece %zu has an edge space", i);
    if (again.len) ngi_buf_addc(&again, ' ');
    ngi_buf_add(&again, s, p->len);
  }
  /* Cut at spaces: the pieces put back together are the paragraph. */
  ck_assert_uint_eq(again.len, joined.len);
  ck_assert(memcmp(again.data, joined.data, joined.len) == 0);
  ngi_article_free(&a);
  ngi_buf_free(&t);
  ngi_buf_free(&joined);
  ngi_buf_free(&again);
}
END_TEST

START_TEST(long_paragraph_without_spaces_is_cut_on_characters) {
  buf t = {0};
  for (int i = 0; i < 30000; i++) ngi_buf_adds(&t, "\xE2\x82\xAC"); /* 90,000 bytes, 3 per character */
  article a;
  segment(t.data, NULL, &a);
  ck_assert_uint_ge(a.npassages, 2);
  size_t total = 0;
  for (size_t i = 0; i < a.npassages; i++) {
    const passage *p = &a.passages[i];
    ck_assert_int_eq(p->kind, P);
    ck_assert_int_eq(p->first_line, 1);
    ck_assert_int_eq(p->last_line, 1);
    ck_assert_uint_le(p->len, NGI_MAX_PASSAGE_BYTES);
    ck_assert_msg(ngi_utf8_valid_prefix(ngi_article_text(&a, i), p->len) == p->len, "piece %zu cut inside a character",
                  i);
    total += p->len;
  }
  ck_assert_uint_eq(total, t.len);
  ngi_article_free(&a);
  ngi_buf_free(&t);
}
END_TEST

START_TEST(overlong_title_has_one_headline) {
  /* A title longer than a passage may hold is cut like a paragraph, and
   * only its first piece is the headline (found by fuzz_decode_segment). */
  buf t = {0};
  for (int i = 0; i < 20000; i++) ngi_buf_adds(&t, "word "); /* 100,000 bytes */
  ck_assert(!t.oom);
  article a;
  segment("Body text.", t.data, &a);
  ck_assert_uint_ge(a.npassages, 3);
  ck_assert_int_eq(a.passages[0].kind, H);
  for (size_t i = 1; i < a.npassages; i++) ck_assert_int_eq(a.passages[i].kind, P);
  ck_assert_str_eq(ngi_article_text(&a, a.npassages - 1), "Body text.");
  ngi_article_free(&a);
  ngi_buf_free(&t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The fixtures, as fixtures/README.md describes them. */

typedef struct fixture_case {
  const char *file;
  int head_first, head_last; /* 0: no headline */
  int paragraphs[2][16];     /* start lines, then end lines; 0 ends */
  const char *dateline;
} fixture_case;

START_TEST(fixtures_as_documented) {
  static const fixture_case cases[] = {
      {"articles/summit-geneva.txt",
       1,
       2,
       {{3, 7, 11, 15, 19, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58},
        {6, 10, 14, 18, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 60}},
       "Geneva, Switzerland"},
      {"articles/markets-blank-lines.txt", 1, 1, {{3, 5, 7, 9, 11, 13, 15}, {3, 5, 7, 9, 11, 13, 15}}, NULL},
      {"articles/wire-indented.txt", 1, 1, {{2, 6, 10, 14, 18}, {5, 9, 13, 17, 20}}, NULL},
      {"articles/one-per-line.txt", 1, 1, {{2, 3, 4, 5, 6}, {2, 3, 4, 5, 6}}, NULL},
      {"articles/header-block.txt", 1, 1, {{7, 9, 11, 13}, {7, 9, 11, 13}}, NULL},
      {"articles/latin1-cp1252.txt", 1, 1, {{3, 5, 7}, {3, 5, 7}}, NULL},
      {"articles/utf16-bom.txt", 1, 1, {{3, 5, 7}, {3, 5, 7}}, NULL},
      {"articles/crlf.txt", 1, 1, {{3, 5, 7}, {3, 5, 7}}, NULL},
      {"articles/empty.txt", 0, 0, {{0}, {0}}, NULL},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const fixture_case *fc = &cases[c];
    size_t n;
    char *raw = read_fixture(fc->file, &n);
    decoded d;
    char err[200];
    ck_assert_msg(ngi_decode(raw, n, NULL, &d, err, sizeof err) == NGI_DECODE_OK, "%s: %s", fc->file, err);
    free(raw);
    article a;
    ck_assert_int_eq(ngi_segment(d.text, d.len, NULL, &a), NG_OK);
    free(d.text);
    size_t k = 0;
    if (fc->head_first) {
      ck_assert_msg(a.npassages > 0 && a.passages[0].kind == H, "%s: no headline", fc->file);
      ck_assert_msg(a.passages[0].first_line == fc->head_first && a.passages[0].last_line == fc->head_last,
                    "%s: headline at lines %d-%d", fc->file, a.passages[0].first_line, a.passages[0].last_line);
      k = 1;
    }
    size_t np = 0;
    while (np < 16 && fc->paragraphs[0][np]) np++;
    ck_assert_msg(a.npassages == k + np, "%s: %zu passages, wanted %zu", fc->file, a.npassages, k + np);
    for (size_t i = 0; i < np; i++) {
      const passage *p = &a.passages[k + i];
      ck_assert_msg(p->kind == P && p->first_line == fc->paragraphs[0][i] && p->last_line == fc->paragraphs[1][i],
                    "%s: paragraph %zu at lines %d-%d (kind %d), wanted %d-%d", fc->file, i, p->first_line,
                    p->last_line, p->kind, fc->paragraphs[0][i], fc->paragraphs[1][i]);
    }
    if (fc->dateline)
      ck_assert_msg(a.dateline && strcmp(a.dateline, fc->dateline) == 0, "%s: dateline %s", fc->file,
                    a.dateline ? a.dateline : "(none)");
    else
      ck_assert_msg(a.dateline == NULL, "%s: unexpected dateline %s", fc->file, a.dateline);
    ngi_article_free(&a);
  }
}
END_TEST

START_TEST(fixture_details) {
  size_t n;
  char *raw = read_fixture("articles/summit-geneva.txt", &n);
  article a;
  ck_assert_int_eq(ngi_segment(raw, n, NULL, &a), NG_OK);
  free(raw);
  ck_assert_pstr_eq(a.title,
                    "Geneva talks close without a ceasefire as envoys agree to return, NATO allies urge "
                    "security pledges");
  /* The lede begins with its dateline, then the text. */
  const char *lede = "Geneva, Switzerland \xE2\x80\x94 Envoys from Russia and Ukraine walked";
  ck_assert(strncmp(ngi_article_text(&a, 1), lede, strlen(lede)) == 0);
  /* A phrase across a line break is joined by one space. */
  ck_assert(contains(ngi_article_text(&a, 8), "North Atlantic Treaty Organization"));
  ngi_article_free(&a);

  raw = read_fixture("articles/header-block.txt", &n);
  ck_assert_int_eq(ngi_segment(raw, n, NULL, &a), NG_OK);
  free(raw);
  ck_assert_str_eq(ngi_article_text(&a, 0), "Centrist bloc edges ahead as regional election count nears its end");
  ck_assert_pstr_eq(a.date, "2025-03-14");
  ck_assert_pstr_eq(a.source, "Nutgraf Wire");
  ck_assert_pstr_eq(a.url, "https://example.org/news/2025/03/14/regional-election-count");
  ck_assert_pstr_eq(a.author, "Priya Natarajan");
  ngi_article_free(&a);
}
END_TEST

static Suite *segment_suite(void) {
  Suite *s = suite_create("segment");
  TCase *tc = tcase_create("layouts");
  tcase_add_test(tc, seed_layout);
  tcase_add_test(tc, seed_layout_with_final_newline);
  tcase_add_test(tc, bbc_layout);
  tcase_add_test(tc, bbc_lede_with_dash_is_no_dateline);
  tcase_add_test(tc, em_dash_aside_is_no_dateline);
  tcase_add_test(tc, em_dash_datelines);
  tcase_add_test(tc, not_datelines);
  tcase_add_test(tc, dateline_own_line);
  tcase_add_test(tc, wire_dateline);
  tcase_add_test(tc, only_the_lede_has_a_dateline);
  tcase_add_test(tc, indented_paragraphs);
  tcase_add_test(tc, one_paragraph_per_line);
  tcase_add_test(tc, header_block);
  tcase_add_test(tc, header_block_bad_date_left_out);
  tcase_add_test(tc, not_a_header_block);
  tcase_add_test(tc, title_passed_in);
  tcase_add_test(tc, title_passed_in_body_first_line_is_paragraph);
  suite_add_tcase(s, tc);

  tc = tcase_create("limits");
  tcase_add_test(tc, empty_text);
  tcase_add_test(tc, single_long_line);
  tcase_add_test(tc, long_paragraph_is_cut);
  tcase_add_test(tc, long_paragraph_without_spaces_is_cut_on_characters);
  tcase_add_test(tc, overlong_title_has_one_headline);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);

  tc = tcase_create("fixtures");
  tcase_add_test(tc, fixtures_as_documented);
  tcase_add_test(tc, fixture_details);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(segment_suite()); }
