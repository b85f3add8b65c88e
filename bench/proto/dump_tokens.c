/*
 * dump_tokens.c -- the tokens of a nutgraf index, exactly as FTS5 stored
 * them, for the Python ranking prototype (bench/proto/rank_proto.py).
 *
 * It opens the index with libnutgraf (so the "nutgraf" tokenizer is
 * registered on the connection and FTS5 can open the table), then lists
 * fts5vocab's 'instance' rows: one line per stored token instance,
 *   rowid <TAB> column (0 body, 1 head) <TAB> offset <TAB> term
 * in rowid, column, offset order.  Colocated tokens (a hyphenated
 * compound's joined form) share the offset of the part they sit on.
 * Research tool only: it reaches into the handle through internal.h.
 */
#include <sqlite3.h>
#include <stdio.h>

#include "internal.h"
#include "nutgraf.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: dump_tokens INDEX\n");
    return 2;
  }
  ng_index *idx = NULL;
  ng_open_options o = NG_OPEN_OPTIONS_INIT;
  if (ng_index_open(&idx, argv[1], &o) != NG_OK) {
    fprintf(stderr, "dump_tokens: error: %s\n", idx ? ng_index_errmsg(idx) : "cannot open");
    ng_index_close(idx);
    return 3;
  }
  /* The connection: idx->db before the store module, else the first field
     of store.c's struct ngi_store (no accessor in internal.h). */
#ifdef NG_HAS_IDX_DB
  sqlite3 *db = idx->db;
#else
  sqlite3 *db = *(sqlite3 **)idx->store;
#endif
  sqlite3_stmt *st = NULL;
  int rc = 0;
  if (sqlite3_exec(db, "CREATE VIRTUAL TABLE temp.inst USING fts5vocab(main, passage, instance)", NULL, NULL, NULL) !=
          SQLITE_OK ||
      sqlite3_prepare_v2(db, "SELECT doc, col, offset, term FROM temp.inst", -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "dump_tokens: error: %s\n", sqlite3_errmsg(db));
    rc = 4;
  }
  while (!rc && sqlite3_step(st) == SQLITE_ROW) {
    const char *col = (const char *)sqlite3_column_text(st, 1);
    printf("%lld\t%d\t%d\t%s\n", (long long)sqlite3_column_int64(st, 0), col && col[0] == 'h',
           sqlite3_column_int(st, 2), (const char *)sqlite3_column_text(st, 3));
  }
  sqlite3_finalize(st);
  ng_index_close(idx);
  return rc;
}
