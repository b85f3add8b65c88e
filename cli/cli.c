/*
 * cli.c -- exit codes, messages and start-up shared by nutgraf's programs.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *program = "nutgraf";

void cli_init(const char *name) {
  program = name;
  ng_init();
}

const char *cli_program(void) { return program; }

int cli_exit_status(int rc) {
  switch (rc) {
    case NG_OK:
    case NG_ROW:
    case NG_DONE: return CLI_EXIT_OK;
    case NG_EUSAGE: return CLI_EXIT_USAGE;
    case NG_EDATA: return CLI_EXIT_DATA;
    case NG_EBUSY: return CLI_EXIT_BUSY;
    default: return CLI_EXIT_SYSTEM;
  }
}

/* Prints "PROGRAM: KIND: MESSAGE" as one line that is safe on a terminal:
 * what the message quotes (file names, feed ids, the index path, a
 * library's error text) may hold any byte, and ng_display_string escapes
 * control, bidirectional and zero-width characters. */
static void put_message(const char *kind, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void put_message(const char *kind, const char *fmt, va_list ap) {
  char small[512], *text = small;
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n >= (int)sizeof small && (text = malloc((size_t)n + 1)) != NULL) vsnprintf(text, (size_t)n + 1, fmt, ap);
  char *shown = ng_display_string(text ? text : small);
  fprintf(stderr, "%s: %s: %s\n", program, kind, shown ? shown : "(a message that could not be shown: out of memory)");
  free(shown);
  if (text != small) free(text);
}

void cli_message(const char *kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  put_message(kind, fmt, ap);
  va_end(ap);
}

int cli_usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  put_message("error", fmt, ap);
  va_end(ap);
  fprintf(stderr, "Try '%s --help'.\n", program);
  return CLI_EXIT_USAGE;
}

int cli_fail(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  put_message("error", fmt, ap);
  va_end(ap);
  return status;
}

int cli_fail_index(const ng_index *idx, int rc) { return cli_fail(cli_exit_status(rc), "%s", ng_index_errmsg(idx)); }

int cli_out_of_memory(void) { return cli_fail(CLI_EXIT_SYSTEM, "out of memory"); }

int cli_index_path(const char *given, char **out) {
  *out = given ? strdup(given) : ng_default_index_path();
  if (*out) return 0;
  if (given) return cli_out_of_memory();
  return cli_usage_error("%s", "no index path: set $NUTGRAF_INDEX, $XDG_DATA_HOME or $HOME, or give --index");
}

char *cli_user_variants_path(void) {
  const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
  size_t n = 64 + (xdg ? strlen(xdg) : 0) + (home ? strlen(home) : 0);
  char *p = malloc(n);
  if (!p) return NULL;
  if (xdg && xdg[0] == '/')
    snprintf(p, n, "%s/nutgraf/variants.txt", xdg);
  else if (home && *home)
    snprintf(p, n, "%s/.config/nutgraf/variants.txt", home);
  else
    *p = '\0';
  if (!*p || access(p, F_OK) != 0) {
    free(p);
    return NULL;
  }
  return p;
}
