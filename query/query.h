/*
 * query.h -- the parts of nutgraf-query: options.c reads the command line,
 * output.c prints hits, stories and buckets in the three formats, main.c
 * runs the search, --show and --count-by, watch.c runs a watchlist.
 */
#ifndef NG_QUERY_H
#define NG_QUERY_H

#include <stdio.h>

#include "cli.h"

enum format { FORMAT_TEXT, FORMAT_GREP, FORMAT_JSON };

typedef struct query_options {
  char *index_path; /* malloc'd */
  char *query;      /* the arguments joined by spaces, malloc'd */
  const char **variants;
  size_t nvariants;
  ng_search_options search;
  int format;
  int count, files, explain, color;
  int summary;      /* --summary: a closing record (total, interpretation, suggestion) */
  long context;     /* --context N: paragraphs each side of a hit (0: none) */
  const char *show; /* --show PATH|FEED:ID, or NULL */
  int count_by;     /* --count-by: ng_count_by, or -1 */
  int watch;        /* --watch */
  char *watch_file; /* its watchlist (malloc'd): given, or the default */
  int limit_given;  /* -n was given (a watch lists every new passage otherwise) */
} query_options;

/* Returns -1 to exit 0 (help, version), 0 to go on, or an exit status. */
int parse_query_options(int argc, char **argv, query_options *o);
void free_query_options(query_options *o);

typedef struct printer {
  const query_options *o;
  FILE *out;
  char *cwd; /* paths under it are shown relative to it (text, grep) */
  long rank;
  ng_index *idx;     /* for --context's passages */
  const char *topic; /* a watch's topic: on each JSON record, or NULL */
  int groups;        /* grep with --context: groups printed, for the "--" between them */
} printer;

void printer_init(printer *p, const query_options *o, FILE *out);
void printer_free(printer *p);
/* Prints one hit; returns 0, -1 when output failed, or -2 when the
 * library failed reading --context's passages (message on p->idx). */
int print_hit(printer *p, const ng_hit *hit);
/* Prints a file for --files (the hit is its best passage). */
int print_file(printer *p, const ng_hit *hit);
/* Prints a whole story (--show). */
int print_story(printer *p, const ng_story *story);
/* Prints the buckets of --count-by (by: ng_count_by). */
int print_buckets(printer *p, int by, const ng_bucket *b, size_t n);
/* Prints the --summary record: hits shown (-1: none asked for), the total
 * of matching passages (files, with --files) and of stories (-1: not
 * counted), how the query was understood (may be NULL), the suggestion
 * (may be NULL). */
int print_summary(printer *p, const char *query, long shown, long long total, long long stories,
                  const char *interpreted, const char *suggestion);
/* Prints a JSON object as one line (adding "topic" when watching); takes it. */
int print_record(printer *p, json_t *o);
/* Escaped for a terminal. */
void put_text(printer *p, const char *s, size_t n);

/* watch.c: runs --watch. */
int run_watch(ng_index *idx, const query_options *o);
/* The default watchlist: $XDG_CONFIG_HOME/nutgraf/watch, else
 * ~/.config/nutgraf/watch (malloc'd, or NULL without HOME). */
char *default_watch_path(void);

#endif
