# Damaged indexes: copies of an index with bits flipped, a page zeroed or
# the file cut short.  --check and searches give one-line messages (one
# line per problem) and exit 3 -- or, for damage they do not meet, succeed
# -- never another status, never a crash; and "nutgraf-index --full" (what
# the message advises) always leaves an index that passes --check and holds
# exactly what a clean build holds.  Repeated --full leaves an index no
# larger than a fresh build.  NG_DAMAGED_COPIES sets the number of copies
# (default 20; the issue's figure is 50).
copies=${NG_DAMAGED_COPIES:-20}
python3 "$NG_SRC/tests/cli/make-corpus.py" corpus 200 3
python3 "$NG_SRC/tests/cli/make-feed.py" corpus/wire.jsonl 100 1
nutgraf-index -q -i clean.db corpus

dump() {
  nutgraf-query -i "$1" --all --limit 0 --format json | python3 -c '
import hashlib, json, sys
rows = sorted(json.dumps([r[k] for k in ("path", "id", "ordinal", "first_line", "last_line", "kind", "title", "date",
                                          "source", "text")]) for r in map(json.loads, sys.stdin))
print(len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16])'
}
want=$(dump clean.db)
size=$(stat -c %s clean.db)
pass "a clean build: $want passages, $size bytes"

# Each copy's damage, drawn from a fixed seed so that a failure can be
# reproduced (NG_DAMAGE_SEED).
python3 - "$copies" "$size" "${NG_DAMAGE_SEED:-15}" >damage.txt <<'PY'
import random, sys
copies, size, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
pages = size // 4096
for i in range(copies):
    kind = ("flip", "zero", "cut")[i % 3]
    if kind == "flip":
        print(i, kind, " ".join("%d:%d" % (rng.randrange(size), rng.randrange(8)) for _ in range(rng.choice((1, 4, 32)))))
    elif kind == "zero":
        print(i, kind, rng.randrange(pages) if i % 9 else 0)  # page 1 (the header) now and then
    else:
        print(i, kind, rng.randrange(size))
PY
damage() { # COPY KIND ARGS...
  python3 - "$@" <<'PY'
import sys
path, kind, args = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(path, "r+b") as f:
    if kind == "flip":
        for a in args:
            off, bit = map(int, a.split(":"))
            f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ (1 << bit)]))
    elif kind == "zero":
        f.seek(int(args[0]) * 4096); f.write(b"\0" * 4096)
    else:
        f.truncate(int(args[0]))
PY
}

bad=0 detected=0
only_errors() { # FILE: every line of it is "PROGRAM: error: ..."
  ! grep -qv '^nutgraf-\(index\|query\): error: ' "$1"
}
while read -r i kind args; do
  copy="copy$i.db"
  cp clean.db "$copy"
  # shellcheck disable=SC2086
  damage "$copy" "$kind" $args
  what="copy $i ($kind $(printf '%.40s' "$args"))"
  run nutgraf-index -i "$copy" --check
  if [ "$status" -eq 3 ] && [ -s "$err" ] && only_errors "$err"; then
    detected=$((detected + 1))
  elif [ "$status" -ne 0 ] || ! printf '%s' "$OUT" | grep -q ': ok: '; then
    bad=$((bad + 1))
    fail "$what: --check exit $status" "$(head -c 600 "$err")"
  fi
  for q in ceasefire 'tariff OR vote' '"trade deal"'; do
    run nutgraf-query -i "$copy" --limit 50 "$q"
    if [ "$status" -le 1 ] && [ ! -s "$err" ] || [ "$status" -eq 1 ] && ! grep -q error "$err"; then
      :
    elif [ "$status" -eq 3 ] && [ "$(grep -c '' "$err")" -eq 1 ] && only_errors "$err"; then
      :
    else
      bad=$((bad + 1))
      fail "$what: query '$q' exit $status" "$(head -c 600 "$err")"
    fi
  done
  run nutgraf-index -q -i "$copy" --full corpus
  if [ "$status" -ne 0 ]; then
    bad=$((bad + 1))
    fail "$what: --full exit $status" "$(head -c 600 "$err")"
    continue
  fi
  run nutgraf-index -i "$copy" --check
  got=$(dump "$copy")
  if [ "$status" -ne 0 ] || [ "$got" != "$want" ]; then
    bad=$((bad + 1))
    fail "$what: after --full: --check exit $status, $got passages, wanted $want" "$(head -c 600 "$err")"
  fi
  rm -f "$copy" "$copy"-* "$copy".lock
done <damage.txt
[ "$bad" -eq 0 ] &&
  pass "$copies damaged copies ($detected caught by --check): one-line messages with exit 3, and --full always gave back a clean build"

# Repeated --full: the index never grows past a fresh build.
cp clean.db again.db
for _ in 1 2 3 4 5; do nutgraf-index -q -i again.db --full corpus; done
after=$(stat -c %s again.db)
if [ "$after" -le "$size" ]; then pass "five --full runs: $after bytes, a fresh build $size"; else fail "five --full runs grew the index to $after bytes (a fresh build: $size)"; fi
expect_eq "$(dump again.db)" "$want" "and it still holds what a clean build holds"
