# Files meant to break the indexer: each gets one clear line or is indexed
# right, every other file is still indexed, and the exit status names the
# worst problem (3: a file could not be read).
mkdir -p in/sub
cp fixtures/articles/summit-geneva.txt in/good.txt
cp fixtures/articles/binary.dat in/binary.dat
cp fixtures/articles/utf16-bom.txt in/utf16.txt
cp fixtures/articles/crlf.txt in/crlf.txt
: >in/empty.txt
printf 'Invalid UTF-8 headline\n\nA pound sign \243 in Latin-1, and \xff\xfe junk.\n' >in/invalid-utf8.txt
printf '\xff\xfeA\x00\x00\xd8B\x00\n\x00' >in/bad-utf16.txt          # a lone high surrogate
printf 'Unreadable\n\nSecret text.\n' >in/unreadable.txt
chmod 000 in/unreadable.txt
python3 -c 'import sys; sys.stdout.write("alpha beta gamma delta " * (50 * 1024 * 1024 // 23))' >in/huge-line.txt
printf 'Overlong\n\nAn overlong slash \xc0\xaf and \xe0\x80\xaf, a NUL-free mess \xf8\x88\x80\x80\x80.\n' >in/overlong-utf8.txt
python3 -c 'import sys; sys.stdout.write("Tiny paragraphs\n\n" + "".join("Line %d is short.\n\n" % i for i in range(100000)))' >in/tiny-paragraphs.txt
deep=in/deep; for i in $(seq 120); do deep="$deep/d$i"; done
mkdir -p "$deep" && printf 'Deep down\n\nA story far below the surface.\n' >"$deep/deep.txt"
printf 'Newline name\n\nA story whose file name breaks lines.\n' >"in/name with
newline.txt"
printf 'Latin-1 name\n\nA story whose file name is not UTF-8.\n' >"$(printf 'in/caf\xe9.txt')"
ln -s . in/sub/loop                   # a directory that contains itself
ln -s self-link in/self-link          # a link to itself
ln -s missing-target in/dangling      # a link to nothing

# As root every file is readable: run the indexer as nobody then, from a
# copy in $T (the build tree may be in a private directory nobody cannot
# enter, such as a clone in a folder of mode 0700).  Where nobody cannot
# reach $T either, the unreadable file is readable and its checks skip.
as_user=()
indexer=nutgraf-index
unreadable=1
if [ "$(id -u)" = 0 ]; then
  mkdir -p bin && cp "$NG_BIN/indexer/nutgraf-index" bin/
  chmod -R a+rX "$T" && chmod a+rwx "$T"
  chmod 000 in/unreadable.txt
  if setpriv --reuid=65534 --regid=65534 --clear-groups -- "$T/bin/nutgraf-index" --version >/dev/null 2>&1; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
    indexer="$T/bin/nutgraf-index"
  else
    unreadable=0
    echo "note: nobody cannot reach $T (a directory above it is private): the unreadable-file checks are skipped"
  fi
fi
run "${as_user[@]}" env NUTGRAF_INDEX="$T/index.db" "$indexer" in
expect_status 3 "a run with unreadable and undecodable files exits 3"
msg() { printf '%s\n' "$ERR" | grep -F -- "$1"; }
expect_one_line "$(msg binary.dat)" "binary file: one line"
expect_match "$(msg binary.dat)" "^nutgraf-index: warning: .*binary.dat: binary file" "binary file: a warning naming it"
if [ "$unreadable" = 1 ]; then
  expect_one_line "$(msg unreadable.txt)" "unreadable file: one line"
  expect_match "$(msg unreadable.txt)" "^nutgraf-index: error: .*unreadable.txt: cannot read: Permission denied" "unreadable file: an error naming it"
else
  pass "unreadable file: skipped (no user who cannot read it)"
fi
expect_match "$(msg bad-utf16.txt)" "^nutgraf-index: error: .*bad-utf16.txt: invalid UTF-16LE" "a lone surrogate in UTF-16: an error naming the file"
expect_match "$(msg sub/loop)" "^nutgraf-index: warning: .*sub/loop: symbolic link loop" "a directory loop is a warning naming it"
expect_match "$(msg self-link)" "^nutgraf-index: warning: .*self-link: symbolic link loop" "a self link is a warning naming it"
expect_match "$(msg dangling)" "^nutgraf-index: warning: .*dangling: broken symbolic link" "a dangling link is a warning"
expect_no_match "$ERR" "huge-line|invalid-utf8|overlong|tiny-paragraphs|deep.txt|newline|caf|crlf|empty|good|/utf16.txt" "the other files indexed without a message"
expect_eq "$(printf '%s\n' "$ERR" | grep -c '^nutgraf-index: \(error\|warning\)')" $((5 + unreadable)) "$((5 + unreadable)) problems, as many lines"
expect_match "$ERR" "^nutgraf-index: $((12 - unreadable)) new, 0 changed, 0 removed, 0 unchanged, $((5 + unreadable)) skipped" "the good files are new"

run nutgraf-query --format grep 'pound sign'
expect_match "$OUT" "invalid-utf8.txt:3:A pound sign £ in Latin-1" "invalid UTF-8 is read as Windows-1252"
run nutgraf-query --count 'alpha beta gamma'
expect_status 0 "the 50 MB line is searchable"
run nutgraf-query --all --limit 0 --format json
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
huge = [r for r in rows if r["path"].endswith("huge-line.txt")]
assert huge and all(r["first_line"] == 1 and len(r["text"].encode()) <= 65536 for r in huge), "huge"
' "$out" && pass "the 50 MB line is cut into passages of at most 64 KiB on line 1" || fail "huge line passages"
run nutgraf-query --count 'path:tiny-paragraphs short'
expect_eq "$OUT" 100000 "100,000 tiny paragraphs are 100,000 passages"
run nutgraf-query --format grep 'far below the surface'
expect_match "$OUT" "d120/deep.txt:3:" "a file 120 directories down is indexed"
run nutgraf-query --format grep 'breaks lines'
expect_match "$OUT" 'name with\\nnewline.txt:3:' "a name with a newline is shown escaped, on one line"
run nutgraf-query --format json 'not UTF-8'
python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$out" && pass "a name that is not UTF-8 still gives valid JSON" || fail "JSON with a non-UTF-8 name"
expect_match "$OUT" 'caf\\ufffd.txt|caf�.txt' "with U+FFFD for the bad byte"
run nutgraf-query --format grep 'overlong slash'
expect_match "$OUT" "overlong-utf8.txt:3:" "overlong UTF-8 is read as Windows-1252, not refused"
run nutgraf-index --check
expect_status 0 "the index passes --check"

# What was indexed survives when its file becomes unreadable.
chmod 644 in/unreadable.txt
nutgraf-index -q in 2>/dev/null
chmod 000 in/unreadable.txt
run "${as_user[@]}" env NUTGRAF_INDEX="$T/index.db" "$indexer" in
run nutgraf-query --format grep 'Secret text'
expect_match "$OUT" "unreadable.txt:3:" "a file that became unreadable keeps its passages"
