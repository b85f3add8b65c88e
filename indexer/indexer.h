/*
 * indexer.h -- the parts of nutgraf-index: options.c reads the command
 * line, run.c drives libnutgraf and reports, main.c ties them.
 */
#ifndef NG_INDEXER_H
#define NG_INDEXER_H

#include "cli.h"

typedef struct index_options {
  char *index_path;   /* malloc'd */
  const char **paths; /* files and directories */
  size_t npaths;
  const char **feeds; /* --jsonl FILE or - */
  size_t nfeeds;
  const char *feed_name; /* --feed-name: the name of the feed on standard input */
  const char *source;    /* --source */
  const char **removals; /* --remove PATH|FEED[:ID] */
  size_t nremovals;
  int include_docs;
  const char **exclude; /* NULL-terminated */
  size_t nexclude;
  const char *language;
  const char *encoding;
  long long max_size;
  int full, no_wait, quiet, verbose, check, optimize;
} index_options;

/* Parses argv; returns -1 to exit 0 (help, version), 0 to go on, or an
 * exit status. */
int parse_index_options(int argc, char **argv, index_options *o);
void free_index_options(index_options *o);
/* Runs what the options ask; returns the exit status. */
int run_indexer(const index_options *o);

#endif
