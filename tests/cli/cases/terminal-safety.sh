# Terminal injection: a file whose name, title and body carry an ANSI
# colour escape, an OSC 52 sequence (a write to the clipboard), U+202E
# (right-to-left override) and U+200B (zero-width space), a feed with such
# ids and a line whose JSON error quotes raw escapes, and an index and a
# variants path holding them: no raw control, C1, bidirectional or
# zero-width character reaches the terminal, in text, grep or --files
# output, in --verbose and error lines, with colour on or off.
esc=$'\033'
osc52="${esc}]52;c;aGVsbG8=${esc}\\"
rlo=$'\u202e'
zwsp=$'\u200b'
mkdir in
name="in/evil${esc}[31mred${rlo}txt.exe${zwsp}.txt"
printf 'Ceasefire %s headline %s%s%s\n\nThe ceasefire %s[2J body %s with %s hidden%s text.\n' \
  "$rlo" "$osc52" "$zwsp" "${esc}[31m" "$esc" "$osc52" "$rlo" "$zwsp" >"$name"
printf '{"id": "bidi%stxt.exe", "title": "Ceasefire %s title", "body": "A ceasefire %s%s body."}\n' \
  "$rlo" "$zwsp" "$rlo" "$zwsp" >in/wire.jsonl
# Bad JSON whose error text quotes raw ESC and C1 (CSI) bytes.
printf '{"id": "raw", %s]52;c;aGk=\a}\n{"id": "c1", \xc2\x9b2J}\n' "$esc" >>in/wire.jsonl

# forbidden FILE: the raw characters found in FILE, one per line (empty
# when clean).  The colour sequences nutgraf itself writes are allowed.
forbidden() {
  python3 - "$1" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
data = re.sub(rb"\x1b\[(0|1|1;31|32|35)m", b"", data)  # output.c's own colours
text = data.decode("utf-8", "replace")
bad = {c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F
       or c in "\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
               "\u2060\u2066\u2067\u2068\u2069\ufeff"}
print("\n".join("U+%04X" % ord(c) for c in sorted(bad)))
PY
}
clean() { # clean FILE "what"
  local found
  found=$(forbidden "$1")
  if [ -z "$found" ]; then pass "$2"; else fail "$2: raw characters reach the terminal" "$found"; fi
}

run nutgraf-index -v in
expect_status 3 "the feed's bad line makes the run exit 3"
clean "$err" "--verbose lines and the error quoting jansson's text are escaped"
expect_match "$ERR" 'evil\\x1B\[31mred\\u202Etxt.exe\\u200B.txt' "a file name is shown with \\xHH and \\uXXXX escapes"
expect_match "$ERR" 'bidi\\u202Etxt.exe' "a feed id too"
expect_one_line "$(grep 'wire.jsonl:2' "$err")" "a bad line's error is one line"
expect_match "$ERR" "wire.jsonl:2: not JSON: .*\\\\x1B" "and shows jansson's quote of ESC escaped"
expect_match "$ERR" "wire.jsonl:3: not JSON: .*\\\\xC2\\\\x9B" "and of a C1 character"

for color in never always; do
  for format in text grep; do
    run nutgraf-query --color "$color" --format "$format" --limit 0 ceasefire
    expect_status 0 "$format output, colour $color: hits"
    clean "$out" "$format output, colour $color: title, name and body escaped"
  done
done
# On a real terminal (a pseudo-terminal from script(1)): colour on by
# default, and still nothing raw but nutgraf's own colours.
if command -v script >/dev/null 2>&1; then
  for format in text grep; do
    TERM=xterm script -qec "env -u NO_COLOR nutgraf-query --format $format --limit 0 ceasefire" /dev/null | tr -d '\r' >tty.out
    expect_match "$(cat tty.out)" $'\033\\[[0-9;]*m' "on a terminal ($format): in colour"
    clean tty.out "on a terminal ($format): title, name and body escaped"
  done
else
  pass "on a terminal: skipped (no script(1) to make one)"
fi
run nutgraf-query --color never --per-story 0 --limit 0 ceasefire
expect_match "$OUT" '\[*Ceasefire\]* \\u202E headline' "a title shows U+202E as \\u202E"
expect_match "$OUT" 'hidden\\u200B' "a body shows U+200B as \\u200B"
run nutgraf-query --files --limit 0 ceasefire
clean "$out" "--files output escaped"
run nutgraf-query --explain "ceasefire${rlo}${zwsp}truce"
clean "$err" "--explain lines escaped"
run nutgraf-query "zzqx${rlo}"
clean "$err" "'no passages match' and 'did you mean' escaped"

# Paths the user gave, quoted in messages: the index and a variants file.
run nutgraf-query -i "$T/idx${esc}]52;c;aGk=${esc}\\.db" ceasefire
expect_status 3 "a missing index with an escape in its name: exit 3"
clean "$err" "the index path is escaped in the message"
expect_one_line "$ERR" "in one line"
run nutgraf-query --variants "$T/var${rlo}${esc}[2J.txt" ceasefire
clean "$err" "the variants path is escaped in the message"
run nutgraf-index -i "$T/idx${esc}[31m.db" --check
clean "$err" "nutgraf-index's messages escape the index path"
run nutgraf-index "in/${esc}[2Jmissing${rlo}"
clean "$err" "a missing path given on the command line is escaped"
