/*
 * nutgraf-serve: searches of one nutgraf index over HTTP.
 *
 * main() reads the options, opens the pool and the daemon, and then only
 * waits for signals: SIGHUP reopens the log, SIGTERM and SIGINT drain the
 * requests in flight and exit 0.  The signals are blocked in every thread
 * (the daemon's threads inherit the mask) and taken here with sigwait, so
 * no handler runs in the middle of a request.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "serve.h"

int main(int argc, char **argv) {
  cli_init("nutgraf-serve");
  /* glibc gives each worker thread its own malloc arena (up to 8 a CPU),
   * and each arena keeps what its thread freed: a request's short-lived
   * memory then stays resident once per thread.  One arena a CPU: on the
   * hostile round of tests/cli/cases/serve-hostile.sh the RSS settled at
   * 10.4 MB instead of growing round after round to 15.6 MB (8 threads). */
#ifdef M_ARENA_MAX
  if (!getenv("MALLOC_ARENA_MAX")) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    mallopt(M_ARENA_MAX, cpus < 1 ? 1 : cpus > 64 ? 64 : (int)cpus);
  }
#endif
  serve_config c;
  int status = parse_serve_options(argc, argv, &c);
  if (status != 0) {
    free_serve_options(&c);
    return status < 0 ? 0 : status;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  status = pool_start(&c);
  if (status == 0) status = http_start(&c);
  if (status == 0) {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGHUP) {
        http_reopen_log();
        continue;
      }
      break;
    }
    int cut = http_drain();
    if (cut) fprintf(stderr, SERVE_NAME ": stopped with %d requests unfinished\n", cut);
  }
  pool_stop();
  free_serve_options(&c);
  return status;
}
