/*
 * test_cli.c -- unit suite for cli/cli.c, the layer nutgraf's programs
 * share: exit codes, one-line messages, the index path.
 */
#define _GNU_SOURCE
#include "unit.h"

#include "cli.h"

/* What fn printed on stderr, with its return value in *rc. */
static char *stderr_of(int (*fn)(void), int *rc) {
  fflush(stderr);
  int saved = dup(2);
  FILE *tmp = tmpfile();
  ck_assert_ptr_nonnull(tmp);
  dup2(fileno(tmp), 2);
  *rc = fn();
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  rewind(tmp);
  buf b = {0};
  char chunk[512];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, tmp)) > 0) ngi_buf_add(&b, chunk, n);
  fclose(tmp);
  return ngi_buf_detach(&b);
}

START_TEST(exit_status_mapping) {
  ck_assert_int_eq(cli_exit_status(NG_OK), CLI_EXIT_OK);
  ck_assert_int_eq(cli_exit_status(NG_ROW), 0);
  ck_assert_int_eq(cli_exit_status(NG_DONE), 0);
  ck_assert_int_eq(cli_exit_status(NG_EUSAGE), 2);
  ck_assert_int_eq(cli_exit_status(NG_EDATA), 3);
  ck_assert_int_eq(cli_exit_status(NG_ESYSTEM), 4);
  ck_assert_int_eq(cli_exit_status(NG_EBUSY), 75);
  ck_assert_int_eq(CLI_EXIT_NO_HITS, 1);
}
END_TEST

static int usage(void) { return cli_usage_error("--limit wants a number, not '%s'", "x"); }
static int failure(void) { return cli_fail(CLI_EXIT_DATA, "no index at %s", "/tmp/none"); }
static int oom(void) { return cli_out_of_memory(); }

START_TEST(messages) {
  cli_init("nutgraf-test");
  ck_assert_str_eq(cli_program(), "nutgraf-test");
  int rc;
  char *s = stderr_of(usage, &rc);
  ck_assert_int_eq(rc, 2);
  ck_assert_str_eq(s, "nutgraf-test: error: --limit wants a number, not 'x'\nTry 'nutgraf-test --help'.\n");
  free(s);
  s = stderr_of(failure, &rc);
  ck_assert_int_eq(rc, 3);
  ck_assert_str_eq(s, "nutgraf-test: error: no index at /tmp/none\n");
  free(s);
  s = stderr_of(oom, &rc);
  ck_assert_int_eq(rc, 4);
  ck_assert_str_eq(s, "nutgraf-test: error: out of memory\n");
  free(s);
}
END_TEST

static int no_home(void) {
  char *p = NULL;
  int rc = cli_index_path(NULL, &p);
  free(p);
  return rc;
}

START_TEST(index_path) {
  cli_init("nutgraf-test");
  char *p = NULL;
  ck_assert_int_eq(cli_index_path("/x/y.db", &p), 0);
  ck_assert_str_eq(p, "/x/y.db");
  free(p);
  setenv("NUTGRAF_INDEX", "/from/env.db", 1);
  ck_assert_int_eq(cli_index_path(NULL, &p), 0);
  ck_assert_str_eq(p, "/from/env.db");
  free(p);
  unsetenv("NUTGRAF_INDEX");
  unsetenv("XDG_DATA_HOME");
  unsetenv("HOME");
  int rc;
  char *s = stderr_of(no_home, &rc);
  ck_assert_int_eq(rc, 2);
  ck_assert(contains(s, "no index path"));
  free(s);
}
END_TEST

static Suite *cli_suite(void) {
  Suite *s = suite_create("cli");
  TCase *tc = tcase_create("shared");
  tcase_add_test(tc, exit_status_mapping);
  tcase_add_test(tc, messages);
  tcase_add_test(tc, index_path);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return run_suite(cli_suite()); }
