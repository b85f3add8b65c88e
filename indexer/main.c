/* nutgraf-index: keeps an FTS5 index of news articles' paragraphs. */
#include "indexer.h"

int main(int argc, char **argv) {
  cli_init("nutgraf-index");
  index_options o;
  int status = parse_index_options(argc, argv, &o);
  if (status == 0)
    status = run_indexer(&o);
  else if (status < 0)
    status = CLI_EXIT_OK;
  free_index_options(&o);
  return status;
}
