# Symbolic links where the index's files go, as another user of a shared
# directory could plant them: the lock file, -wal and -shm as links (to a
# file the test owns, and dangling), the index itself as a link.  Every
# program refuses with one line, no target changes by a byte and no
# dangling link gets a target.  And the index's own files are never
# indexed, however the tree reaches them (a link to their directory, a
# link to the lock file).
mkdir idx
nutgraf-index -q -i idx/index.db fixtures/articles
printf 'precious: must not change\n' >target.txt
cp target.txt target.orig
want_docs=$(nutgraf-index -i idx/index.db --check | sed 's/.*ok: //; s/, [0-9]* bytes//')

same_target() { # "what"
  if cmp -s target.txt target.orig; then pass "$1: the target is byte-identical"; else fail "$1: the target changed"; fi
}
refuses() { # "what" CMD...: exit 3 and one line naming the link
  local what=$1
  shift
  run "$@"
  expect_status 3 "$what"
  expect_one_line "$ERR" "$what: one line"
  expect_match "$ERR" "symbolic link" "$what: the line says it is a symbolic link"
}

for kind in target dangling; do
  dest="$T/target.txt"
  [ "$kind" = dangling ] && dest="$T/nowhere/created-by-nutgraf"
  for suffix in .lock -wal -shm; do
    rm -f "idx/index.db$suffix"
    ln -s "$dest" "idx/index.db$suffix"
    refuses "$suffix as a link to a $kind file: indexing" nutgraf-index -i idx/index.db fixtures/articles
    if [ "$suffix" = .lock ]; then
      refuses "$suffix as a link to a $kind file: --check" nutgraf-index -i idx/index.db --check
      refuses "$suffix as a link to a $kind file: --full" nutgraf-index -i idx/index.db --full fixtures/articles
    else
      refuses "$suffix as a link to a $kind file: searching" nutgraf-query -i idx/index.db ceasefire
    fi
    same_target "$suffix -> $kind"
    [ -e "$T/nowhere" ] && fail "$suffix -> $kind: the dangling link's directory was created"
    rm "idx/index.db$suffix"
  done
done
[ -e "$T/nowhere/created-by-nutgraf" ] && fail "a dangling link got a target" || pass "no dangling link got a target"

# A new index beside a dangling lock link: refused, nothing created.
ln -s "$T/nowhere/lock" new.db.lock
refuses "a new index with a dangling lock link" nutgraf-index -i new.db fixtures/articles
expect_eq "$(ls -d new.db* | tr '\n' ' ')" "new.db.lock " "nothing is created beside it"
rm new.db.lock

# The index itself as a link: a writer will not write through it (a
# reader may follow it: reading writes nothing).
ln -s "$T/target.txt" linked.db
refuses "the index as a link to a file: indexing" nutgraf-index -i linked.db fixtures/articles
refuses "the index as a link to a file: --full" nutgraf-index -i linked.db --full fixtures/articles
same_target "the index as a link"
ln -s idx/index.db alias.db
run nutgraf-query -i alias.db --count ceasefire
expect_status 0 "a reader may name the index through a link"

# The lock file of another user (root only: setpriv makes the file theirs).
if [ "$(id -u)" = 0 ]; then
  rm -f idx/index.db.lock
  printf '1\n' >idx/index.db.lock
  chown 65534:65534 idx/index.db.lock
  run nutgraf-index -i idx/index.db fixtures/articles
  expect_status 3 "a lock file that belongs to another user is refused"
  expect_match "$ERR" "belongs to another user" "and the line says so"
  expect_eq "$(cat idx/index.db.lock)" "1" "it is not written"
  rm -f idx/index.db.lock
  ln idx/index.db idx/hard-link-to-index.db
  printf 'x\n' >hardlinked && ln hardlinked idx/index.db.lock
  run nutgraf-index -i idx/index.db fixtures/articles
  expect_status 3 "a lock file with a second name (hard link) is refused"
  expect_eq "$(cat hardlinked)" "x" "and its other name is not written"
  rm -f idx/index.db.lock idx/hard-link-to-index.db
else
  pass "another user's lock file: skipped (needs root to make one)"
fi

# The index's own files, reached through a link to their directory and a
# link to the lock file inside the tree, are not documents.
run nutgraf-index -q -i idx/index.db fixtures/articles
mkdir tree
ln -s "$T/idx" tree/via-link
ln -s "$T/idx/index.db.lock" tree/lock.txt
cp fixtures/articles/summit-geneva.txt tree/story.txt
run nutgraf-index -v -i idx/index.db tree
expect_status 0 "indexing a tree that reaches the index's directory through a link"
expect_no_match "$ERR" "index\.db|lock" "no file of the index is read (via-link/index.db*, lock.txt)"
run nutgraf-index -v -i idx/index.db tree
expect_match "$ERR" "0 new, 0 changed, 0 removed, 1 unchanged" "a second run finds the one story unchanged"
run nutgraf-index -i idx/index.db --check
expect_status 0 "the index passes --check"
