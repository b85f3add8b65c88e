# Another program's SQLite database named as the index -- one in rollback
# mode, one in WAL mode whose -wal holds committed changes and whose writer
# is still running -- and files that are no database at all: every command
# refuses with one line and exit 3, each file stays byte-identical, and no
# file appears beside it (no .lock, no -shm, no -journal).
python3 - <<'PY'
import sqlite3
c = sqlite3.connect("rollback.db")
c.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT)")
c.executemany("INSERT INTO notes(text) VALUES(?)", [("note %d" % i,) for i in range(100)])
c.commit()
c.close()
PY
printf 'Just some notes, not a database.\n' >notes.txt
: >empty.db
# The WAL database's writer keeps it open (so its -wal and -shm are live)
# until the file "stop" appears.
python3 - <<'PY' &
import os, sqlite3, time
c = sqlite3.connect("wal.db", isolation_level=None)
c.execute("PRAGMA journal_mode=WAL")
c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("CREATE TABLE t(x)")
c.execute("INSERT INTO t VALUES(1)")
open("ready", "w").close()
while not os.path.exists("stop"):
    time.sleep(0.05)
c.close()
PY
writer=$!
for _ in $(seq 100); do [ -e ready ] && break; sleep 0.05; done
[ -s wal.db-wal ] && pass "the WAL database has a live -wal ($(stat -c %s wal.db-wal) bytes)" || fail "the WAL database has no -wal"

snapshot() { for f in "$@"; do [ -e "$f" ] && md5sum "$f"; done; ls -A | sort | grep -v '^\(out\|err\)\.' | tr '\n' ' '; }
for db in rollback.db wal.db notes.txt empty.db; do
  before=$(snapshot "$db" "$db-wal" "$db-shm")
  for cmd in "nutgraf-index -i $db fixtures/articles" "nutgraf-index -i $db --check" "nutgraf-index -i $db --optimize" \
    "nutgraf-index -i $db --full fixtures/articles" "nutgraf-query -i $db ceasefire" "nutgraf-query -i $db --all"; do
    run $cmd
    expect_status 3 "$db: ${cmd%% *} ${cmd#* -i $db }"
    expect_one_line "$ERR" "$db: ${cmd%% *} ${cmd#* -i $db }: one line"
    expect_match "$ERR" "not a nutgraf index" "$db: ${cmd%% *} ${cmd#* -i $db }: says it is not a nutgraf index"
  done
  expect_eq "$(snapshot "$db" "$db-wal" "$db-shm")" "$before" "$db: every file byte-identical, none created beside it"
done
touch stop
wait "$writer"
python3 -c '
import sqlite3
c = sqlite3.connect("wal.db")
assert c.execute("SELECT count(*) FROM t").fetchone()[0] == 1
' && pass "the WAL database still holds its row" || fail "the WAL database lost its row"
