# The manual pages in man/: lint-clean with mandoc, and in step with the
# options in the code.  An option of indexer/options.c or query/options.c
# missing from its page fails, and so does an option a page names that the
# code does not have (long options in Fl macros and in examples, short ones
# in Fl macros).  nutgraf-index.1 documents indexer/options.c;
# nutgraf-query.1 and nutgraf-syntax.7 document query/options.c.

man="$NG_SRC/man"
pages="nutgraf-index.1 nutgraf-query.1 nutgraf-syntax.7"

for page in $pages; do
  [ -f "$man/$page" ] || fail "$page: missing from $man"
done

# The long options of a source file's "struct option longopts[]" table,
# one a line.
code_long() {
  sed -n '/struct option longopts\[\] *= *{/,/{NULL, *0, *NULL, *0}/p' "$1" |
    grep -o '{"[^"]*"' | sed 's/^{"//; s/"$//' | sort -u
}

# The short options of its getopt_long() option string, one a line.
code_short() {
  sed -n 's/.*getopt_long([^"]*"\([^"]*\)".*/\1/p' "$1" | tr -d ':+-' | fold -w1 | sort -u
}

# The options a page names in Fl macros, one a line: "--name" for long
# options and "-x" for short ones.  Every argument of Fl up to the next
# macro is a flag: ".Fl -check | -optimize" names two, ".Fl fnqv" four;
# a lone "-" (the "--" that ends options) and delimiters name none.
page_flags() {
  awk '
    /^\.\\"/ { next }
    /^\./ {
      line = substr($0, 2)
      n = split(line, w, /[ \t]+/)
      in_fl = 0
      for (i = 1; i <= n; i++) {
        if (w[i] == "Fl") { in_fl = 1; continue }
        if (w[i] ~ /^([A-Z][a-z][a-z]?|D1)$/) { in_fl = 0; continue }
        if (!in_fl) continue
        a = w[i]
        gsub(/\\&/, "", a)
        if (a ~ /^-[a-z0-9][a-z0-9-]*$/) print "-" a
        else if (a ~ /^[A-Za-z0-9]+$/) {
          for (k = 1; k <= length(a); k++) print "-" substr(a, k, 1)
        }
      }
    }' "$1" | sort -u
}

# The long options written after a program name in the text of any page
# (examples, displays): "PROGRAM --name", up to a pipe or the other
# program's name.  Prints "program --name" lines.
page_example_long() {
  awk '
    /^\.\\"/ { next }
    {
      line = $0
      while (match(line, /nutgraf-(index|query)/)) {
        prog = substr(line, RSTART, RLENGTH)
        line = substr(line, RSTART + RLENGTH)
        seg = line
        if (match(seg, /nutgraf-(index|query)|\|/)) seg = substr(seg, 1, RSTART - 1)
        while (match(seg, /(^|[ \t"(])--[a-z][a-z0-9-]*/)) {
          opt = substr(seg, RSTART, RLENGTH)
          sub(/^[ \t"(]/, "", opt)
          print prog " " opt
          seg = substr(seg, RSTART + RLENGTH)
        }
      }
    }' "$1" | sort -u
}

index_long=$(code_long "$NG_SRC/indexer/options.c")
query_long=$(code_long "$NG_SRC/query/options.c")
index_short=$(code_short "$NG_SRC/indexer/options.c")
query_short=$(code_short "$NG_SRC/query/options.c")
if [ -z "$index_long" ] || [ -z "$query_long" ] || [ -z "$index_short" ] || [ -z "$query_short" ]; then
  fail "could not read the options of indexer/options.c and query/options.c" \
    "index long: $(printf '%s' "$index_long" | tr '\n' ' ')" "query long: $(printf '%s' "$query_long" | tr '\n' ' ')" \
    "index short: $(printf '%s' "$index_short" | tr -d '\n')" "query short: $(printf '%s' "$query_short" | tr -d '\n')"
fi

# check_page PAGE PROGRAM LONG SHORT REQUIRED: the page's Fl options exist
# in the code; with REQUIRED=1, every option of the code is in the page.
check_page() {
  local page=$1 program=$2 long=$3 short=$4 required=$5 flags name missing="" stale=""
  [ -f "$man/$page" ] || return 0
  flags=$(page_flags "$man/$page")
  if [ "$required" = 1 ]; then
    for name in $long; do
      printf '%s\n' "$flags" | grep -qx -- "--$name" || missing="$missing --$name"
    done
    for name in $short; do
      printf '%s\n' "$flags" | grep -qx -- "-$name" || missing="$missing -$name"
    done
    if [ -z "$missing" ]; then
      pass "$page documents every option of $program"
    else
      fail "$page lacks options of $program:$missing" "(each wants an entry such as .It Fl x , Fl -name)"
    fi
  fi
  for name in $flags; do
    case $name in
      --*) printf '%s\n' "$long" | grep -qx -- "${name#--}" || stale="$stale $name" ;;
      -?) printf '%s\n' "$short" | grep -qx -- "${name#-}" || stale="$stale $name" ;;
    esac
  done
  if [ -z "$stale" ]; then
    pass "$page names no option that $program lacks"
  else
    fail "$page names options that $program does not have:$stale"
  fi
}

check_page nutgraf-index.1 nutgraf-index "$index_long" "$index_short" 1
check_page nutgraf-query.1 nutgraf-query "$query_long" "$query_short" 1
check_page nutgraf-syntax.7 nutgraf-query "$query_long" "$query_short" 0

# Options in examples, whichever page they are in.
stale=""
for page in $pages; do
  [ -f "$man/$page" ] || continue
  while read -r program opt; do
    [ -n "$program" ] || continue
    if [ "$program" = nutgraf-index ]; then long=$index_long; else long=$query_long; fi
    printf '%s\n' "$long" | grep -qx -- "${opt#--}" || stale="$stale $page:$program:$opt"
  done <<EOF
$(page_example_long "$man/$page")
EOF
done
if [ -z "$stale" ]; then
  pass "the examples use only options the programs have"
else
  fail "examples use options the programs do not have:$stale"
fi

# Lint last: without mandoc the option checks above still count.
# shellcheck disable=SC2154 # failures is kept by lib.sh
if ! command -v mandoc >/dev/null 2>&1; then
  [ "$failures" -eq 0 ] && skip "mandoc is not installed: the pages were not linted (the option checks passed)"
  echo "note: mandoc is not installed: the pages were not linted"
else
  for page in $pages; do
    [ -f "$man/$page" ] || continue
    lint=$(cd "$man" && mandoc -Tlint -W warning "$page" 2>&1)
    lint_status=$?
    if [ -z "$lint" ] && [ "$lint_status" -eq 0 ]; then
      pass "$page: mandoc -Tlint -W warning is silent"
    else
      fail "$page: mandoc -Tlint -W warning (exit $lint_status)" "$(printf '%s\n' "$lint" | head -20)"
    fi
  done
fi
