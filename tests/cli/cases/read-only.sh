# Searching an index one cannot write: as another user (setpriv to nobody)
# who may not write the index's directory, also while a run is writing it;
# through a read-only bind mount; on a full disk; and an index whose -wal
# and -shm files are gone (SQLite's immutable mode, the documented way when
# they cannot be made).  The parts that need root (another user, mount)
# skip with a message where that is impossible.
python3 "$NG_SRC/tests/cli/make-corpus.py" corpus 400 4
nutgraf-index -q -i reference.db corpus
want=$(nutgraf-query -i reference.db --count 'tariff OR vote')
pass "the index answers 'tariff OR vote' with $want passages"
# The index to search, as its writer leaves it (no reader has opened it:
# a reader who may write there would make the -wal and -shm files itself).
mkdir -p store
nutgraf-index -q -i store/index.db corpus

as_nobody=()
if [ "$(id -u)" != 0 ]; then
  pass "another user: skipped (not root, so setpriv cannot switch users)"
elif ! command -v setpriv >/dev/null; then
  pass "another user: skipped (no setpriv)"
else
  # nobody must reach the programs and the index: copies in a directory
  # of $T that everyone may read (the build tree may be in a private one).
  mkdir -p bin && cp "$NG_BIN/query/nutgraf-query" bin/ && chmod -R a+rX bin store corpus && chmod a+x "$T"
  if setpriv --reuid=65534 --regid=65534 --clear-groups -- "$T/bin/nutgraf-query" --version >/dev/null 2>&1; then
    as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  else
    pass "another user: skipped (nobody cannot reach $T: a directory above it is private)"
  fi
fi
if [ ${#as_nobody[@]} -gt 0 ]; then
  run "${as_nobody[@]}" bin/nutgraf-query -i store/index.db --count 'tariff OR vote'
  expect_status 0 "nobody, who cannot write the index's directory, can search"
  expect_eq "$OUT" "$want" "and gets the same answer"
  run "${as_nobody[@]}" touch store/probe
  expect_status 1 "(nobody really cannot write there)"
  # While an indexer writes the index (a --full run: a new file renamed
  # over the old one at its end), nobody's searches keep working.
  nutgraf-index -q -i store/index.db --full corpus &
  writer=$!
  errors=0 runs=0
  while kill -0 "$writer" 2>/dev/null || [ "$runs" -lt 5 ]; do
    "${as_nobody[@]}" bin/nutgraf-query -i store/index.db --count ceasefire >/dev/null 2>>nobody-errors.txt || errors=$((errors + 1))
    runs=$((runs + 1))
  done
  wait "$writer"
  expect_eq "$errors" 0 "$runs searches by nobody during a run: none failed $(head -c 300 nobody-errors.txt)"
  chmod -R a+rX store
  rm -f store/index.db-wal store/index.db-shm
  run "${as_nobody[@]}" bin/nutgraf-query -i store/index.db --count 'tariff OR vote'
  expect_status 0 "nobody can search an index whose -wal and -shm are gone (read as immutable)"
  expect_eq "$OUT" "$want" "with the same answer"
  expect_eq "$(ls store | tr '\n' ' ')" "index.db index.db.lock " "and nothing was created beside it"
  nutgraf-index -q -i store/index.db corpus # a writer brings them back
fi

# A read-only bind mount of the index's directory.
mkdir mnt
if [ "$(id -u)" = 0 ] && mount --bind store mnt 2>/dev/null; then
  if mount -o remount,bind,ro mnt 2>/dev/null; then
    run nutgraf-query -i mnt/index.db --count 'tariff OR vote'
    expect_status 0 "a read-only bind mount can be searched"
    expect_eq "$OUT" "$want" "with the same answer"
    run nutgraf-index -i mnt/index.db corpus
    expect_status 4 "indexing there fails (exit 4)"
    expect_one_line "$ERR" "in one line"
  else
    pass "read-only bind mount: skipped (remount read-only not permitted)"
  fi
  umount mnt
else
  pass "read-only bind mount: skipped (mount not permitted here)"
fi

# A full disk: a small tmpfs holding the index, then filled to the last byte.
mkdir full
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=16m tmpfs full 2>/dev/null; then
  cp -R corpus full/corpus
  nutgraf-index -q -i full/index.db full/corpus
  dd if=/dev/zero of=full/filler bs=64k 2>/dev/null
  run touch full/probe
  [ "$status" -ne 0 ] || [ ! -s full/probe ] && pass "(the disk is full)"
  run nutgraf-query -i full/index.db --count 'tariff OR vote'
  expect_status 0 "an index on a full disk can be searched"
  expect_eq "$OUT" "$want" "with the same answer"
  if [ ${#as_nobody[@]} -gt 0 ]; then
    chmod a+rx full && chmod -R a+rX full/index.db*
    run "${as_nobody[@]}" bin/nutgraf-query -i full/index.db --count 'tariff OR vote'
    expect_status 0 "by nobody too"
  fi
  umount full
else
  pass "full disk: skipped (mounting a tmpfs not permitted here)"
fi
