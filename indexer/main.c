/* nutgraf-index: keeps an FTS5 index of news articles' paragraphs. */
#include <sqlite3.h>

#include "indexer.h"

int main(int argc, char **argv) {
  /* Before SQLite starts: no allocation statistics (nutgraf reads none),
   * which spares a global mutex on every allocation. */
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  index_options o;
  int status = parse_index_options(argc, argv, &o);
  if (status == 0)
    status = run_indexer(&o);
  else if (status < 0)
    status = 0;
  free_index_options(&o);
  return status;
}
