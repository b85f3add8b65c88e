/*
 * cli.h -- what nutgraf's programs share: exit codes, one-line errors,
 * usage errors, the index path, process start-up.
 *
 * The programs never touch SQLite or the library's internals: they call
 * include/nutgraf.h and this.  Messages go to stderr as "PROGRAM: error:
 * ...", one line each.
 */
#ifndef NG_CLI_H
#define NG_CLI_H

#include <jansson.h>

#include "nutgraf.h"

/* Exit status of every nutgraf program (the house style; nutgraf-index(1),
 * nutgraf-query(1)).  The most severe problem met wins; 75 is not a
 * problem class but "try again later", sysexits' EX_TEMPFAIL. */
enum cli_exit {
  CLI_EXIT_OK = 0,      /* success (a query: at least one hit) */
  CLI_EXIT_NO_HITS = 1, /* a query found nothing (grep's convention); --remove, nothing to remove */
  CLI_EXIT_USAGE = 2,   /* bad usage or query */
  CLI_EXIT_DATA = 3,    /* undecodable input; missing, damaged or incompatible index */
  CLI_EXIT_SYSTEM = 4,  /* I/O, SQLite, memory */
  CLI_EXIT_BUSY = 75    /* another indexer holds the index (--no-wait) */
};

/* Names the program for messages and makes the library's process-wide
 * settings (ng_init); called first thing in main(). */
void cli_init(const char *program);
const char *cli_program(void);
/* The user's own variants file ($XDG_CONFIG_HOME/nutgraf/variants.txt,
 * else ~/.config/nutgraf/variants.txt) when it exists, malloc'd; else
 * NULL.  Both nutgraf-query and nutgraf-serve read it. */
char *cli_user_variants_path(void);

/* The exit status for a library status code. */
int cli_exit_status(int rc);

/* Every message below is printed as one line with ng_display_string's
 * escapes: nothing it quotes can move the cursor, recolour, reorder or
 * hide text on the terminal.  "PROGRAM: KIND: MESSAGE" (KIND "warning",
 * "error"). */
void cli_message(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "PROGRAM: error: MESSAGE" and "Try 'PROGRAM --help'."; returns 2. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROGRAM: error: MESSAGE"; returns status. */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The handle's last error as one line; returns the status for rc. */
int cli_fail_index(const ng_index *idx, int rc);
/* "PROGRAM: error: out of memory"; returns 4. */
int cli_out_of_memory(void);

/* The index to use: given (--index), else the default path (ng_default_
 * index_path).  Returns 0 with *out malloc'd, or prints the error and
 * returns its exit status. */
int cli_index_path(const char *given, char **out);

/* record.c: a hit as the JSON record (NG_JSON_VERSION) of nutgraf-query
 * --format json and nutgraf-serve; rank is its place from 1.  NULL when
 * out of memory. */
json_t *cli_hit_record(const ng_hit *h, long rank);
/* A JSON string of s (bytes that are not UTF-8 shown as U+FFFD), or null
 * for NULL. */
json_t *cli_json_string(const char *s);
/* A time in nanoseconds since 1970 as "YYYY-MM-DDTHH:MM:SSZ", or null
 * for 0. */
json_t *cli_json_time(long long ns);
/* Splits a stored path at its first record separator ("//#", or the "#"
 * of "stdin#ID"): 1 with *file and *id malloc'd, 0 when path is no feed
 * record (both NULL), -1 when out of memory. */
int cli_split_path(const char *path, char **file, char **id);
/* The record of a --files line: the file, its title, date, score and its
 * best passage (the hit). */
json_t *cli_file_record(const ng_hit *h, long rank);
/* A whole story (--show), and one passage of it (--context). */
json_t *cli_story_record(const ng_story *s);
json_t *cli_passage_record(const ng_passage *p);

#endif
