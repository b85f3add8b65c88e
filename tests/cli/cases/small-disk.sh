# Running out of room, on small filesystems the test makes for itself (a
# tmpfs with a size limit, and an ext4 image on a loop device; as root,
# skipped with a message where mounting is not permitted):
#  - a first build that runs out of room publishes nothing, leaves no
#    temporary file, and once room is freed the next run builds the index;
#  - a run that runs out of room says exactly what it kept -- nothing, or
#    the batches it committed, or every change with the log still to be
#    copied -- and the index holds just that; once room is freed the next
#    run succeeds, finishes the copy and leaves what a clean build holds.
# NG_SMALL_DISK_LONG=1 tries more amounts of room left (the short form
# tries the two or three that give each outcome on the machines we know).
files=${NG_CORPUS_FILES:-3000} # a batch or more (two seconds of work)
mib=1048576
lefts="1 10" extra_lefts="4 7"
[ "${NG_SMALL_DISK_LONG:-0}" = 1 ] && lefts="1 6 8 10 12 14" extra_lefts="2 4 6 7 8 10"
python3 "$NG_SRC/tests/cli/make-corpus.py" version-a "$files" 1
python3 "$NG_SRC/tests/cli/make-corpus.py" version-b "$files" 2
# The corpus is "cur", a link to one version: the documents keep their
# paths through it, and switching costs nothing.
use() { ln -sfn "$1" cur; }

# per_doc INDEX: "path hash" for each document (its passages' text).
per_doc() {
  nutgraf-query -i "$1" --all --limit 0 --format json | python3 -c '
import collections, hashlib, json, sys
docs = collections.defaultdict(list)
for r in map(json.loads, sys.stdin):
    docs[r["path"] + ("//#" + r["id"] if r["id"] else "")].append((r["ordinal"], r["first_line"], r["text"]))
for p in sorted(docs):
    print(p, hashlib.sha256(json.dumps(sorted(docs[p])).encode()).hexdigest()[:16])'
}
python3 "$NG_SRC/tests/cli/make-corpus.py" extra 1500 7 # new documents: the index must grow
use version-a && nutgraf-index -q -i clean-a.db cur && per_doc clean-a.db >clean-a.txt
use version-b && nutgraf-index -q -i clean-b.db cur && per_doc clean-b.db >clean-b.txt
pass "clean builds of two versions of $files files"

# matches INDEX: how many documents are as in version a, as in version b.
matches() {
  per_doc "$1" >now.txt
  echo "$(comm -12 now.txt clean-a.txt | wc -l) $(comm -12 now.txt clean-b.txt | wc -l)"
}

# fill DIR BYTES: leaves about BYTES free on DIR's filesystem.
fill() {
  rm -f "$1/filler"
  local avail
  avail=$(df --output=avail -B1 "$1" | tail -1)
  [ "$avail" -gt "$2" ] && fallocate -l $((avail - $2)) "$1/filler" 2>/dev/null
  return 0
}

tried=0 seen=""
for fs in tmpfs ext4; do
  disk="$T/disk-$fs"
  mkdir "$disk"
  if [ "$(id -u)" != 0 ]; then
    pass "$fs: skipped (not root: cannot mount)"
    continue
  fi
  if [ "$fs" = tmpfs ]; then
    mount -t tmpfs -o size=64m tmpfs "$disk" 2>/dev/null || { pass "tmpfs: skipped (mount not permitted)"; continue; }
  else
    truncate -s 64M "$T/ext4.img" && mkfs.ext4 -q -F -m 0 "$T/ext4.img" >/dev/null 2>&1 &&
      mount -o loop "$T/ext4.img" "$disk" 2>/dev/null || { pass "ext4: skipped (no mkfs.ext4 or loop mount not permitted)"; continue; }
  fi
  tried=$((tried + 1))
  idx="$disk/index.db"

  # A first build with no room: nothing published, nothing left.
  use version-a
  fill "$disk" $((512 * 1024))
  run nutgraf-index -i "$idx" cur
  expect_status 4 "$fs: a first build with no room exits 4"
  expect_one_line "$ERR" "$fs: in one line"
  expect_match "$ERR" "no room to write.*; nothing of this run was kept$" "$fs: saying there was no room and nothing was kept"
  expect_eq "$(cd "$disk" && ls | grep -v '^filler$\|^lost+found$\|^index.db.lock$' | tr '\n' ' ')" "" "$fs: no index and no temporary file published"
  run nutgraf-query -i "$idx" ceasefire
  expect_match "$ERR" "no index at" "$fs: a search says there is no index"
  rm -f "$disk/filler"
  run nutgraf-index -q -i "$idx" cur
  expect_status 0 "$fs: with room again, the next run builds the index"
  expect_eq "$(matches "$idx")" "$files 0" "$fs: it holds version a"

  # Runs of version b that run out of room at different points.
  for left in $lefts; do
    left=$((left * mib))
    use version-a
    run nutgraf-index -q -i "$idx" cur # back to version a, with room
    expect_status 0 "$fs: back to version a with room"
    use version-b
    fill "$disk" "$left"
    run nutgraf-index -i "$idx" cur
    m=$(matches "$idx")
    what="$fs, $((left / 1048576)) MiB left"
    if [ "$status" -eq 0 ]; then
      seen="$seen all"
      expect_eq "$m" "0 $files" "$what: the run succeeded and the index holds version b"
    elif [ "$status" -eq 4 ]; then
      expect_one_line "$ERR" "$what: exit 4 in one line"
      if printf '%s' "$ERR" | grep -q "nothing of this run was kept"; then
        seen="$seen nothing"
        expect_eq "$m" "$files 0" "$what: 'nothing was kept', and the index holds version a"
      elif printf '%s' "$ERR" | grep -q "every change committed so far is kept in the log"; then
        seen="$seen log"
        expect_eq "$m" "0 $files" "$what: 'every change committed, the log still to copy', and the index holds version b"
      elif kept=$(printf '%s' "$ERR" | sed -n 's/.*kept: what the run committed before (0 new, \([0-9]*\) changed, 0 removed, 0 unchanged).*/\1/p') && [ -n "$kept" ]; then
        seen="$seen batches"
        expect_eq "$m" "$((files - kept)) $kept" "$what: 'kept $kept changed', and $kept documents are at version b"
      else
        fail "$what: the message does not say what was kept" "$ERR"
      fi
    else
      fail "$what: exit $status" "$ERR"
    fi
    run nutgraf-index -i "$idx" --check
    expect_status 0 "$what: the index passes --check"
    rm -f "$disk/filler"
    run nutgraf-index -q -i "$idx" cur
    expect_status 0 "$what: with room again, the next run succeeds"
    expect_eq "$(matches "$idx")" "0 $files" "$what: and the index holds version b"
    expect_eq "$(stat -c %s "$idx-wal")" 0 "$what: the write-ahead log is copied in and emptied"
  done

  # New documents, whose pages go to the log and then must grow the index
  # file: with little room the commit can succeed and the copy fail.
  for left in $extra_lefts; do
    left=$((left * mib))
    rm -f "$disk"/index.db* "$disk/filler"
    use version-a
    nutgraf-index -q -i "$idx" cur
    fill "$disk" "$left"
    run nutgraf-index -i "$idx" extra
    what="$fs, adding 1500 files, $((left / 1048576)) MiB left"
    docs=$(per_doc "$idx" | wc -l)
    errors=$(grep -c ': error: ' "$err")
    if [ "$status" -eq 0 ]; then
      seen="$seen all"
      expect_eq "$docs" $((files + 1500)) "$what: the run succeeded with every document"
    elif [ "$status" -eq 4 ] && [ "$errors" -eq 1 ] && grep -q "every change committed so far is kept in the log" "$err"; then
      seen="$seen log"
      expect_eq "$docs" $((files + 1500)) "$what: 'every change committed, the log still to copy', and searches see every document"
    elif [ "$status" -eq 4 ] && [ "$errors" -eq 1 ] && grep -q "nothing of this run was kept" "$err"; then
      seen="$seen nothing"
      expect_eq "$docs" "$files" "$what: 'nothing was kept', and the index holds what it did"
    else
      fail "$what: exit $status" "$ERR"
    fi
    rm -f "$disk/filler"
    run nutgraf-index -q -i "$idx" extra
    expect_status 0 "$what: with room again, the next run succeeds"
    expect_eq "$(stat -c %s "$idx-wal")" 0 "$what: and the write-ahead log is copied in and emptied"
    run nutgraf-index -i "$idx" --check
    expect_match "$OUT" "ok: $((files + 1500)) documents" "$what: the index passes --check with every document"
  done
  umount "$disk"
done
[ "$tried" -gt 0 ] || skip "no small filesystem could be made here"
pass "outcomes seen (all: success; nothing, batches, log: what a failed run said it kept):$seen"
