/*
 * nutgraf-serve: searches of one nutgraf index over HTTP.
 *
 * main() reads the options, opens the pool and the daemon, and then only
 * waits for signals: SIGHUP reopens the log, SIGTERM and SIGINT drain the
 * requests in flight and exit 0.  The signals are blocked in every thread
 * (the daemon's threads inherit the mask) and taken here with sigwait, so
 * no handler runs in the middle of a request.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "serve.h"

int main(int argc, char **argv) {
  cli_init("nutgraf-serve");
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
