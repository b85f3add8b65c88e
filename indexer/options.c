/*
 * options.c -- nutgraf-index's command line (getopt_long).  Options may
 * come anywhere among the paths (GNU argument permutation, as grep has);
 * "--" ends them, for a path that starts with '-'.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indexer.h"

static const char usage[] =
    "usage: nutgraf-index [options] [PATH...] [--jsonl FILE|-] [options]\n"
    "       nutgraf-index [options] -- PATH...   (a path that starts with -)\n"
    "       nutgraf-index [options] --remove PATH|FEED[:ID]...\n"
    "Index the paragraphs of the news articles in each PATH (files, or directories\n"
    "searched recursively) into an SQLite FTS5 index.  A re-run reads only what\n"
    "changed and removes documents whose files are gone.\n"
    "\n"
    "  -i, --index FILE      the index (default $NUTGRAF_INDEX, else\n"
    "                        $XDG_DATA_HOME/nutgraf/index.db, else\n"
    "                        ~/.local/share/nutgraf/index.db)\n"
    "      --jsonl FILE      read a JSON Lines feed (id, title, body, date, source,\n"
    "                        url, author); - reads standard input; repeatable\n"
    "      --feed-name NAME  the name of the feed on standard input (A-Z a-z 0-9 . _ -):\n"
    "                        its records are NAME//#ID, apart from other feeds'\n"
    "                        (default stdin#ID); a feed file is named by its path\n"
    "      --source NAME     the source of articles and records that name none\n"
    "                        (no Source: header, no \"source\" field)\n"
    "      --include-docs    also index the README* and *.md files of folders\n"
    "      --remove WHAT     remove what was indexed from WHAT (a file, a folder, a\n"
    "                        feed file or a feed's name, or one record FEED:ID) and\n"
    "                        print each document removed; repeatable\n"
    "  -f, --full            rebuild the index into a new file: read every file\n"
    "                        again, with those the index holds beyond PATH...\n"
    "  -l, --language NAME   Snowball language of a new index (default english)\n"
    "  -e, --encoding NAME   encoding of text that is not UTF-8 (default WINDOWS-1252)\n"
    "  -x, --exclude GLOB    skip files and directories whose name matches; repeatable\n"
    "      --max-size SIZE   skip files larger than SIZE bytes (K, M, G; default 256M)\n"
    "  -n, --no-wait         if another indexer holds the index, exit at once (75)\n"
    "  -q, --quiet           print nothing unless something went wrong (a busy\n"
    "                        index with --no-wait is not: exit 75 silently)\n"
    "  -v, --verbose         print a line for every file\n"
    "      --check           verify the index and print its counts\n"
    "      --optimize        merge the index's segments (after indexing, if any)\n"
    "  -h, --help            show this help\n"
    "  -V, --version         show the versions of nutgraf, SQLite and Snowball\n"
    "\n"
    "Exit status: 0 ok, 1 --remove found nothing to remove, 2 usage, 3 a file or\n"
    "the index could not be read, 4 system error (I/O, SQLite, memory), 75 the\n"
    "index is busy (--no-wait).\n";

enum {
  OPT_JSONL = 256,
  OPT_MAX_SIZE,
  OPT_CHECK,
  OPT_OPTIMIZE,
  OPT_FEED_NAME,
  OPT_SOURCE,
  OPT_REMOVE,
  OPT_INCLUDE_DOCS
};

static const struct option longopts[] = {{"index", required_argument, NULL, 'i'},
                                         {"jsonl", required_argument, NULL, OPT_JSONL},
                                         {"feed-name", required_argument, NULL, OPT_FEED_NAME},
                                         {"source", required_argument, NULL, OPT_SOURCE},
                                         {"remove", required_argument, NULL, OPT_REMOVE},
                                         {"include-docs", no_argument, NULL, OPT_INCLUDE_DOCS},
                                         {"full", no_argument, NULL, 'f'},
                                         {"language", required_argument, NULL, 'l'},
                                         {"encoding", required_argument, NULL, 'e'},
                                         {"exclude", required_argument, NULL, 'x'},
                                         {"max-size", required_argument, NULL, OPT_MAX_SIZE},
                                         {"no-wait", no_argument, NULL, 'n'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"check", no_argument, NULL, OPT_CHECK},
                                         {"optimize", no_argument, NULL, OPT_OPTIMIZE},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};

static int push(const char ***list, size_t *n, const char *s) {
  const char **p = realloc(*list, (*n + 2) * sizeof *p);
  if (!p) return -1;
  p[(*n)++] = s;
  p[*n] = NULL;
  *list = p;
  return 0;
}

static long long parse_size(const char *s) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (end == s || v < 0) return -1;
  switch (*end) {
    case 'k':
    case 'K': v <<= 10, end++; break;
    case 'm':
    case 'M': v <<= 20, end++; break;
    case 'g':
    case 'G': v <<= 30, end++; break;
    default: break;
  }
  return *end ? -1 : v;
}

int parse_index_options(int argc, char **argv, index_options *o) {
  memset(o, 0, sizeof *o);
  const char *index = NULL;
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":i:fl:e:x:nqvhV", longopts, NULL)) != -1) {
    switch (c) {
      case 'i': index = optarg; break;
      case OPT_JSONL:
        if (push(&o->feeds, &o->nfeeds, optarg) != 0) return cli_out_of_memory();
        break;
      case OPT_FEED_NAME:
        if (ng_check_feed_name(optarg) != NG_OK)
          return cli_usage_error("--feed-name wants 1 to 64 of A-Z a-z 0-9 . _ - (not first . or -), not '%s'", optarg);
        o->feed_name = optarg;
        break;
      case OPT_SOURCE:
        if (!*optarg) return cli_usage_error("%s", "--source wants a name");
        o->source = optarg;
        break;
      case OPT_REMOVE:
        if (!*optarg) return cli_usage_error("%s", "--remove wants a path or a feed");
        if (push(&o->removals, &o->nremovals, optarg) != 0) return cli_out_of_memory();
        break;
      case OPT_INCLUDE_DOCS: o->include_docs = 1; break;
      case 'f': o->full = 1; break;
      case 'l': o->language = optarg; break;
      case 'e': o->encoding = optarg; break;
      case 'x':
        if (push(&o->exclude, &o->nexclude, optarg) != 0) return cli_out_of_memory();
        break;
      case OPT_MAX_SIZE:
        o->max_size = parse_size(optarg);
        if (o->max_size <= 0) return cli_usage_error("--max-size wants a size such as 64M, not '%s'", optarg);
        break;
      case 'n': o->no_wait = 1; break;
      case 'q': o->quiet = 1; break;
      case 'v': o->verbose = 1; break;
      case OPT_CHECK: o->check = 1; break;
      case OPT_OPTIMIZE: o->optimize = 1; break;
      case 'h': fputs(usage, stdout); return -1;
      case 'V': printf("nutgraf-index: %s\n", ng_version_info()); return -1;
      case ':':
        if (optopt && optopt < 256) return cli_usage_error("option '-%c' needs a value", optopt);
        return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
      default:
        if (optopt) return cli_usage_error("unknown option '-%c'", optopt);
        return cli_usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  for (int i = optind; i < argc; i++) {
    if (push(&o->paths, &o->npaths, argv[i]) != 0) return cli_out_of_memory();
  }
  if (o->quiet && o->verbose) return cli_usage_error("%s", "--quiet and --verbose contradict each other");
  if (o->encoding && ng_check_encoding(o->encoding) != NG_OK)
    return cli_usage_error("unknown encoding '%s' (see iconv --list)", o->encoding);
  if (o->language && ng_check_language(o->language) != NG_OK) {
    char list[1024];
    ng_languages(list, sizeof list);
    return cli_usage_error("unknown language '%s' (known: %s)", o->language, list);
  }
  if (o->nremovals && (o->npaths || o->nfeeds || o->full))
    return cli_usage_error("%s", "--remove runs on its own: not with paths, --jsonl or --full");
  if (o->feed_name) {
    size_t stdin_feeds = 0;
    for (size_t i = 0; i < o->nfeeds; i++) stdin_feeds += strcmp(o->feeds[i], "-") == 0;
    if (stdin_feeds != 1)
      return cli_usage_error("%s", "--feed-name names the feed on standard input: give --jsonl - once with it");
  }
  if (!o->npaths && !o->nfeeds && !o->nremovals && !o->check && !o->optimize && !o->full)
    return cli_usage_error("%s", "nothing to index: give files, directories or --jsonl FILE");
  return cli_index_path(index, &o->index_path);
}

void free_index_options(index_options *o) {
  free(o->index_path);
  free(o->paths);
  free(o->feeds);
  free(o->removals);
  free(o->exclude);
  memset(o, 0, sizeof *o);
}
