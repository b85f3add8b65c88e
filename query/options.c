/*
 * options.c -- nutgraf-query's command line (getopt_long).  Options may
 * come anywhere, as with grep and rg (GNU argument permutation): the
 * arguments that are not options, joined with spaces, are the query, so
 * "nutgraf-query NATO --color=never" searches for NATO.  "--" ends the
 * options: "nutgraf-query -- 'sanctions -oil'" searches for sanctions
 * without oil.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query.h"

static const char usage[] =
    "usage: nutgraf-query [options] QUERY... [options]\n"
    "       nutgraf-query [options] -- QUERY...   (a query that starts with -word)\n"
    "       nutgraf-query [options] --all\n"
    "       nutgraf-query [options] --show PATH|FEED:ID\n"
    "       nutgraf-query [options] --watch [WATCHLIST]\n"
    "Print the passages of the index that best match QUERY, best first.\n"
    "Words are all required; \"a phrase\", OR, NOT word, -word, word*, NEAR,\n"
    "(...), title:, source:, path:, dateline:, author: and date: work as in\n"
    "nutgraf-syntax(7).  Options may come anywhere; words after -- are the query.\n"
    "\n"
    "  -i, --index FILE      the index (default $NUTGRAF_INDEX, else\n"
    "                        $XDG_DATA_HOME/nutgraf/index.db, else\n"
    "                        ~/.local/share/nutgraf/index.db)\n"
    "  -a, --any             rank passages with any of the words\n"
    "  -n, --limit N         at most N results (default 10; 0: all)\n"
    "      --offset N        skip the first N results\n"
    "  -c, --count           print the number of matching passages only\n"
    "  -l, --files           print only the files, best first (like grep -l)\n"
    "      --context N       show N paragraphs before and after each hit\n"
    "      --show PATH|FEED:ID  print a whole story: headline, dateline, date\n"
    "                        and every paragraph with its lines\n"
    "      --count-by BUCKET matching passages and stories per day, week,\n"
    "                        month or source (a timeline)\n"
    "      --summary         end with the total, how the query was understood\n"
    "                        and, without hits, a suggestion (on stdout)\n"
    "      --watch [FILE]    run the watchlist FILE (default\n"
    "                        $XDG_CONFIG_HOME/nutgraf/watch): each topic's\n"
    "                        passages indexed since its last run\n"
    "  -f, --format FORMAT   text (default), grep (path:line:passage) or json\n"
    "  -s, --sort ORDER      rank (default) or date (newest first)\n"
    "      --per-story N     at most N passages of a story (default 1;\n"
    "                        0: every matching passage, copies too)\n"
    "      --no-collapse     show copies of a story (duplicates) apart\n"
    "      --since DATE      only articles dated DATE or later: YYYY, YYYY-MM,\n"
    "                        YYYY-MM-DD, today, yesterday, Nd or Nw (days, weeks ago)\n"
    "      --until DATE      only articles dated DATE or earlier\n"
    "      --variants FILE   add the variant groups in FILE; repeatable\n"
    "      --no-variants     do not search for variant spellings and synonyms\n"
    "      --rank RANKING    full (default: BM25, then the best 100 re-scored with\n"
    "                        expansion, proximity and the story's score) or bm25\n"
    "      --no-expansion    do not expand the query with the best stories' words\n"
    "      --no-proximity    no bonus for the query's words close together\n"
    "      --no-story-score  no share of the story's score in a passage's\n"
    "      --keep-stop-words keep words like 'the' and 'of' in an --any query\n"
    "      --fts5            QUERY is a raw SQLite FTS5 expression\n"
    "      --explain         tell on stderr how the query was understood\n"
    "      --all             list every passage of the index in document order\n"
    "                        (no QUERY; with --format, --limit, --offset,\n"
    "                        --since and --until)\n"
    "      --color WHEN      highlight matches: auto (default), always, never\n"
    "  -h, --help            show this help\n"
    "  -V, --version         show the versions of nutgraf, SQLite and Snowball\n"
    "\n"
    "Exit status: 0 results, 1 no results, 2 bad usage or query,\n"
    "3 missing or incompatible index, 4 system error.\n";

enum {
  OPT_OFFSET = 256,
  OPT_SINCE,
  OPT_UNTIL,
  OPT_VARIANTS,
  OPT_NO_VARIANTS,
  OPT_FTS5,
  OPT_EXPLAIN,
  OPT_COLOR,
  OPT_ALL,
  OPT_PER_STORY,
  OPT_NO_COLLAPSE,
  OPT_CONTEXT,
  OPT_SHOW,
  OPT_COUNT_BY,
  OPT_SUMMARY,
  OPT_WATCH,
  OPT_RANK,
  OPT_NO_EXPANSION,
  OPT_NO_PROXIMITY,
  OPT_NO_STORY_SCORE,
  OPT_KEEP_STOP_WORDS
};

static const struct option longopts[] = {{"index", required_argument, NULL, 'i'},
                                         {"any", no_argument, NULL, 'a'},
                                         {"limit", required_argument, NULL, 'n'},
                                         {"offset", required_argument, NULL, OPT_OFFSET},
                                         {"count", no_argument, NULL, 'c'},
                                         {"files", no_argument, NULL, 'l'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"sort", required_argument, NULL, 's'},
                                         {"since", required_argument, NULL, OPT_SINCE},
                                         {"until", required_argument, NULL, OPT_UNTIL},
                                         {"variants", required_argument, NULL, OPT_VARIANTS},
                                         {"no-variants", no_argument, NULL, OPT_NO_VARIANTS},
                                         {"fts5", no_argument, NULL, OPT_FTS5},
                                         {"explain", no_argument, NULL, OPT_EXPLAIN},
                                         {"all", no_argument, NULL, OPT_ALL},
                                         {"per-story", required_argument, NULL, OPT_PER_STORY},
                                         {"no-collapse", no_argument, NULL, OPT_NO_COLLAPSE},
                                         {"context", required_argument, NULL, OPT_CONTEXT},
                                         {"show", required_argument, NULL, OPT_SHOW},
                                         {"count-by", required_argument, NULL, OPT_COUNT_BY},
                                         {"summary", no_argument, NULL, OPT_SUMMARY},
                                         {"watch", optional_argument, NULL, OPT_WATCH},
                                         {"rank", required_argument, NULL, OPT_RANK},
                                         {"no-expansion", no_argument, NULL, OPT_NO_EXPANSION},
                                         {"no-proximity", no_argument, NULL, OPT_NO_PROXIMITY},
                                         {"no-story-score", no_argument, NULL, OPT_NO_STORY_SCORE},
                                         {"keep-stop-words", no_argument, NULL, OPT_KEEP_STOP_WORDS},
                                         {"color", required_argument, NULL, OPT_COLOR},
                                         {"colour", required_argument, NULL, OPT_COLOR},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};

static int parse_count(const char *s, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v < 0) return -1;
  *out = v;
  return 0;
}

int parse_query_options(int argc, char **argv, query_options *o) {
  memset(o, 0, sizeof *o);
  ng_search_options defaults = NG_SEARCH_OPTIONS_INIT;
  o->search = defaults;
  o->count_by = -1;
  const char *index = NULL, *color = "auto";
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":i:an:clf:s:hV", longopts, NULL)) != -1) {
    switch (c) {
      case 'i': index = optarg; break;
      case 'a': o->search.any = 1; break;
      case 'n':
        if (parse_count(optarg, &o->search.limit) != 0)
          return cli_usage_error("--limit wants a number, not '%s'", optarg);
        if (o->search.limit == 0) o->search.limit = -1;
        o->limit_given = 1;
        break;
      case OPT_OFFSET:
        if (parse_count(optarg, &o->search.offset) != 0)
          return cli_usage_error("--offset wants a number, not '%s'", optarg);
        break;
      case 'c': o->count = 1; break;
      case 'l': o->files = 1; break;
      case 'f':
        if (strcmp(optarg, "text") == 0)
          o->format = FORMAT_TEXT;
        else if (strcmp(optarg, "grep") == 0)
          o->format = FORMAT_GREP;
        else if (strcmp(optarg, "json") == 0)
          o->format = FORMAT_JSON;
        else
          return cli_usage_error("--format is text, grep or json, not '%s'", optarg);
        break;
      case 's':
        if (strcmp(optarg, "rank") == 0)
          o->search.sort = NG_SORT_RANK;
        else if (strcmp(optarg, "date") == 0)
          o->search.sort = NG_SORT_DATE;
        else
          return cli_usage_error("--sort is rank or date, not '%s'", optarg);
        break;
      case OPT_SINCE: o->search.since = optarg; break;
      case OPT_UNTIL: o->search.until = optarg; break;
      case OPT_VARIANTS: {
        const char **v = realloc(o->variants, (o->nvariants + 1) * sizeof *v);
        if (!v) return cli_out_of_memory();
        v[o->nvariants++] = optarg;
        o->variants = v;
        break;
      }
      case OPT_NO_VARIANTS: o->search.no_variants = 1; break;
      case OPT_FTS5: o->search.raw_fts5 = 1; break;
      case OPT_EXPLAIN: o->explain = 1; break;
      case OPT_ALL: o->search.all = 1; break;
      case OPT_PER_STORY: {
        long n;
        if (parse_count(optarg, &n) != 0 || n > 1000000)
          return cli_usage_error("--per-story wants a number, not '%s'", optarg);
        o->search.per_story = (int)n;
        break;
      }
      case OPT_NO_COLLAPSE: o->search.no_collapse = 1; break;
      case OPT_CONTEXT:
        if (parse_count(optarg, &o->context) != 0 || o->context > 1000)
          return cli_usage_error("--context wants a number of paragraphs (0 to 1000), not '%s'", optarg);
        break;
      case OPT_SHOW:
        if (!*optarg) return cli_usage_error("%s", "--show wants a path or FEED:ID");
        o->show = optarg;
        break;
      case OPT_COUNT_BY:
        if (strcmp(optarg, "day") == 0)
          o->count_by = NG_BY_DAY;
        else if (strcmp(optarg, "week") == 0)
          o->count_by = NG_BY_WEEK;
        else if (strcmp(optarg, "month") == 0)
          o->count_by = NG_BY_MONTH;
        else if (strcmp(optarg, "source") == 0)
          o->count_by = NG_BY_SOURCE;
        else
          return cli_usage_error("--count-by is day, week, month or source, not '%s'", optarg);
        break;
      case OPT_SUMMARY: o->summary = 1; break;
      case OPT_WATCH:
        o->watch = 1;
        if (optarg) {
          free(o->watch_file);
          if (!(o->watch_file = strdup(optarg))) return cli_out_of_memory();
        }
        break;
      case OPT_RANK:
        if (strcmp(optarg, "bm25") == 0)
          o->search.rank_off |= NG_RANK_BM25;
        else if (strcmp(optarg, "full") == 0)
          o->search.rank_off = 0;
        else
          return cli_usage_error("--rank wants full or bm25, not '%s'", optarg);
        break;
      case OPT_NO_EXPANSION: o->search.rank_off |= NG_RANK_NO_EXPANSION; break;
      case OPT_NO_PROXIMITY: o->search.rank_off |= NG_RANK_NO_PROXIMITY; break;
      case OPT_NO_STORY_SCORE: o->search.rank_off |= NG_RANK_NO_DOCUMENT; break;
      case OPT_KEEP_STOP_WORDS: o->search.rank_off |= NG_RANK_KEEP_STOP_WORDS; break;
      case OPT_COLOR: color = optarg; break;
      case 'h': fputs(usage, stdout); return -1;
      case 'V': printf("nutgraf-query: %s\n", ng_version_info()); return -1;
      case ':':
        if (optopt && optopt < 256) return cli_usage_error("option '-%c' needs a value", optopt);
        return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
      default:
        /* An excluded word is an option to getopt: say where it goes. */
        if (optopt) return cli_usage_error("unknown option '-%c' (a query with a -word goes after --)", optopt);
        return cli_usage_error("unknown option '%s' (a query with a -word goes after --)", argv[optind - 1]);
    }
  }
  if (strcmp(color, "always") == 0) {
    o->color = 1;
  } else if (strcmp(color, "auto") == 0) {
    const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
    o->color = isatty(1) && !(no && *no) && !(term && strcmp(term, "dumb") == 0);
  } else if (strcmp(color, "never") != 0) {
    return cli_usage_error("--color is auto, always or never, not '%s'", color);
  }
  if (o->files) o->search.per_document = 1;
  /* The modes that are not a search take no query, and not its options. */
  int modes = (o->show != NULL) + (o->count_by >= 0) + o->watch + o->search.all;
  if (modes > 1) return cli_usage_error("%s", "--show, --count-by, --watch and --all are ways to run: give one");
  if (o->show && (optind < argc || o->count || o->files || o->explain || o->summary || o->context))
    return cli_usage_error(
        "%s", "--show prints one story: it takes no query, --count, --files, --explain, --summary or --context");
  if (o->count_by >= 0 && (o->count || o->files || o->summary || o->context))
    return cli_usage_error("%s", "--count-by counts per bucket: it takes no --count, --files, --summary or --context");
  if (o->watch) {
    if (o->count || o->files || o->explain || o->summary || o->search.offset)
      return cli_usage_error("%s", "--watch takes no --count, --files, --explain, --summary or --offset");
    if (optind < argc && (o->watch_file || optind + 1 < argc))
      return cli_usage_error("%s", "--watch takes one watchlist file and no query (the topics hold the queries)");
    if (optind < argc && !(o->watch_file = strdup(argv[optind++]))) return cli_out_of_memory();
    if (!o->watch_file && !(o->watch_file = default_watch_path()))
      return cli_usage_error("%s", "no watchlist given, and no HOME to find the default one in");
  }
  if (o->context && (o->count || o->files))
    return cli_usage_error("%s", "--context shows paragraphs around each hit: not with --count or --files");
  if (o->search.all && (optind < argc || o->count || o->explain || o->files || o->search.sort != NG_SORT_RANK))
    return cli_usage_error(
        "%s", "--all lists every passage in document order: it takes no query, --count, --explain, --files or --sort");
  if (optind >= argc && !o->search.all && !o->show && !o->watch) return cli_usage_error("%s", "no query given");
  if (o->format != FORMAT_JSON) o->search.copy_paths = 0; /* text and grep give their number alone */
  size_t n = 1;
  for (int i = optind; i < argc; i++) n += strlen(argv[i]) + 1;
  o->query = malloc(n);
  if (!o->query) return cli_out_of_memory();
  o->query[0] = '\0';
  for (int i = optind; i < argc; i++) {
    if (i > optind) strcat(o->query, " ");
    strcat(o->query, argv[i]);
  }
  return cli_index_path(index, &o->index_path);
}

void free_query_options(query_options *o) {
  free(o->index_path);
  free(o->query);
  free(o->variants);
  free(o->watch_file);
  memset(o, 0, sizeof *o);
}
