/*
 * query.h -- the parts of nutgraf-query: options.c reads the command line,
 * output.c prints hits in the three formats, main.c runs the search.
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
} query_options;

/* Returns -1 to exit 0 (help, version), 0 to go on, or an exit status. */
int parse_query_options(int argc, char **argv, query_options *o);
void free_query_options(query_options *o);

typedef struct printer {
  const query_options *o;
  FILE *out;
  char *cwd; /* paths under it are shown relative to it (text, grep) */
  long rank;
} printer;

void printer_init(printer *p, const query_options *o, FILE *out);
void printer_free(printer *p);
/* Prints one hit; returns 0, or -1 when output failed. */
int print_hit(printer *p, const ng_hit *hit);
/* Prints a path for --files. */
int print_file(printer *p, const char *path);

#endif
