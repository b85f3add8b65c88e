# The shell completions in completions/ keep up with the programs: every
# option that `nutgraf-index --help`, `nutgraf-query --help` and (when it
# was built) `nutgraf-serve --help` print is in
# the program's bash and zsh files, and neither file names a long option
# the program's getopt table lacks (the table also holds --colour, which
# --help does not show).  With bash-completion installed, the bash files
# complete what they should; with zsh, the zsh files give _arguments every
# option and the languages the program knows.

comp=$NG_SRC/completions
# nutgraf-serve is built only with libmicrohttpd: its files are checked
# against the program when it is there.
export PATH="$NG_BIN/serve:$PATH"
programs="nutgraf-index nutgraf-query"
command -v nutgraf-serve >/dev/null 2>&1 && programs="$programs nutgraf-serve"

# The options of a program's --help: "--name" and "-x", one a line.
help_options() {
  "$1" --help | sed -nE 's/^ +((-[A-Za-z]), )?(--[a-z][a-z0-9-]*).*/\2 \3/p' | tr ' ' '\n' | grep . | sort -u
}
# The long options of a source file's getopt_long table (as man-pages.sh reads them).
code_long() {
  sed -n '/struct option longopts\[\] *= *{/,/{NULL, *0, *NULL, *0}/p' "$1" |
    grep -o '{"[^"]*"' | sed 's/^{"/--/; s/"$//' | sort -u
}
# The long options a completion file names, outside comments.
file_long() { grep -v '^[[:space:]]*#' "$1" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
# Does a completion file name option $2 (a word of its own, as in "-i |",
# "{-i+,", "(-i ", "'*--jsonl=[")?
names_option() { grep -v '^[[:space:]]*#' "$1" | grep -qE -- "(^|[][ '({,|*])$2([][ +,|)'=}]|\$)"; }

for program in $programs; do
  options=$(help_options "$program")
  [ -n "$options" ] || fail "could not read the options of $program --help"
  src=$NG_SRC/${program#nutgraf-}
  [ "$program" = nutgraf-index ] && src=$NG_SRC/indexer
  table=$(code_long "$src/options.c")
  for file in "$comp/bash/$program" "$comp/zsh/_$program"; do
    name=${file#"$NG_SRC"/}
    missing=""
    for opt in $options; do names_option "$file" "$opt" || missing="$missing $opt"; done
    expect_eq "$missing" "" "$name completes every option of $program --help ($(printf '%s\n' "$options" | grep -c ''))"
    stale=$(comm -23 <(file_long "$file") <(printf '%s\n' "$table") | tr '\n' ' ')
    expect_eq "$stale" "" "$name names no long option that $program lacks"
  done
done

# The languages nutgraf-index knows (its message for an unknown one lists them).
languages=$(nutgraf-index --language '?' 2>&1 | sed -n 's/.*(known: \(.*\))$/\1/p')
expect_match "$languages" '(^| )english( |$)' "nutgraf-index lists its languages"

# --- bash ----------------------------------------------------------------

bash_completion=${NG_BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
# complete PROGRAM WORD...: what the bash completion offers for the command
# line PROGRAM WORD... (the last word is being completed; words as bash
# splits them, so "--sort=" is "--sort" "=" ""), sorted, on one line.
complete_bash() {
  bash --norc --noprofile -c '
    . "$1" || exit 1
    . "$2" || exit 1
    shift 2
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$1 # the words, with no space around a "=" of its own
    for ((k = 1; k < ${#COMP_WORDS[@]}; k++)); do
      if [[ ${COMP_WORDS[k]} == = || ${COMP_WORDS[k - 1]} == = ]]; then
        COMP_LINE+=${COMP_WORDS[k]}
      else
        COMP_LINE+=" ${COMP_WORDS[k]}"
      fi
    done
    COMP_POINT=${#COMP_LINE}
    func=$(complete -p "$1" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
    "$func" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"
  ' complete "$bash_completion" "$comp/bash/$1" "$@"
}

if [ ! -f "$bash_completion" ]; then
  echo "note: $bash_completion is absent (package bash-completion): the bash completions were not run"
else
  # Every option of --help is offered when typed out (not just named in the file).
  for program in $programs; do
    missing=""
    for opt in $(help_options "$program"); do
      case " $(complete_bash "$program" "$opt") " in *" $opt "*) ;; *) missing="$missing $opt" ;; esac
    done
    expect_eq "$missing" "" "bash: $program offers every option of its --help"
  done
  q=nutgraf-query
  expect_eq "$(complete_bash $q --format '')" "grep json text" "bash: $q --format <tab> offers the formats"
  expect_eq "$(complete_bash $q -f j)" "json" "bash: $q -f j<tab>"
  expect_eq "$(complete_bash $q --sort = '')" "date rank" "bash: $q --sort=<tab> offers the orders"
  expect_eq "$(complete_bash $q --color '')" "always auto never" "bash: $q --color <tab> offers when"
  expect_eq "$(complete_bash $q --col)" "--color --colour" "bash: $q --col<tab>"
  expect_eq "$(complete_bash $q -n 5 --fo)" "--format" "bash: $q -n 5 --fo<tab> (the value of -n skipped)"
  expect_eq "$(complete_bash $q -an 5 --ex)" "--explain" "bash: $q -an 5 --ex<tab> (a cluster ending in -n)"
  expect_eq "$(complete_bash $q -fjson --ex)" "--explain" "bash: $q -fjson --ex<tab> (a value attached)"
  expect_eq "$(complete_bash $q sanctions --f)" "" "bash: nothing after the query's first word"
  expect_eq "$(complete_bash $q -- --f)" "" "bash: nothing after --"
  i=nutgraf-index
  expect_eq "$(complete_bash $i --quie)" "--quiet" "bash: $i --quie<tab>"
  expect_eq "$(complete_bash $i --language eng)" "english" "bash: $i --language eng<tab>"
  # shellcheck disable=SC2086 # the languages are words
  expect_eq "$(complete_bash $i -l '')" "$(printf '%s\n' $languages | sort | tr '\n' ' ' | sed 's/ $//')" \
    "bash: $i -l <tab> offers the languages nutgraf-index lists"
  expect_match "$(complete_bash $i --encoding UTF-)" '(^| )UTF-8( |$)' "bash: $i --encoding UTF-<tab> offers UTF-8"
  expect_eq "$(complete_bash $i fixtures/art)" "fixtures/articles" "bash: $i fixtures/art<tab> completes a directory"
  expect_match "$(complete_bash $i --jsonl '')" '(^| )-( |$)' "bash: $i --jsonl <tab> offers - (standard input)"
  if command -v nutgraf-serve >/dev/null 2>&1; then
    s=nutgraf-serve
    expect_eq "$(complete_bash $s --max-l)" "--max-limit" "bash: $s --max-l<tab>"
    expect_eq "$(complete_bash $s --listen 127)" "127.0.0.1:8370" "bash: $s --listen 127<tab> offers the default"
    expect_eq "$(complete_bash $s --timeout '')" "" "bash: $s --timeout <tab> offers nothing (a number)"
    expect_eq "$(complete_bash $s --token-file fixtures/art)" "fixtures/articles" "bash: $s --token-file completes files"
  fi
fi

# --- zsh -------------------------------------------------------------------

# complete_zsh LINE: what an interactive zsh (compinit, these files first in
# $fpath) offers for LINE<tab>, sorted, on one line.  It types into a zsh on
# a pseudo-terminal (zsh/zpty); a wrapper of compadd writes the matches down,
# and the command typed after them says when they are all there.
cat >"$T/complete.zsh" <<'EOF'
zmodload zsh/zpty || exit 1
zpty z zsh -f -i
zpty -w z "PS1='' PROMPT='' RPROMPT=''; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; zstyle ':completion:*' menu no"
zpty -w z "compadd() { local -a m; builtin compadd -O m \"\$@\"; print -rl -- \"<M>\"\${^m} >>$2; builtin compadd \"\$@\" }"
zpty -w z "$3"$'\t'
zpty -w z $'\C-e\C-u'"print '<done>' >>$2"
for i in {1..200}; do [[ -f $2 ]] && grep -qx '<done>' $2 && break; sleep 0.1; done
zpty -d z
EOF
complete_zsh() {
  rm -f "$T/zsh.matches"
  zsh -f "$T/complete.zsh" "$comp/zsh" "$T/zsh.matches" "$*" >/dev/null 2>&1
  grep -qx '<done>' "$T/zsh.matches" 2>/dev/null || { echo "(zsh did not finish)"; return; }
  sed -n 's/^<M>//p' "$T/zsh.matches" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# zsh_specs PROGRAM: the arguments the zsh completion gives _arguments, one
# a line, after a line "languages: ..." (nutgraf-index's list).
zsh_specs() {
  zsh -f -c '
    fpath=("$1" $fpath)
    autoload -Uz "_$2"
    _call_program() { shift; eval "$@"; }
    _arguments() { print -r -- "languages: ${languages-}"; print -rl -- "$@"; }
    words=("$2")
    "_$2"
  ' zsh "$comp/zsh" "$1"
}

if ! command -v zsh >/dev/null 2>&1; then
  echo "note: zsh is not installed: the zsh completions were only checked as text"
else
  for program in $programs; do
    run zsh -n "$comp/zsh/_$program"
    expect_status 0 "zsh -n completions/zsh/_$program"
    specs=$(zsh_specs "$program" 2>&1)
    missing=""
    for opt in $(help_options "$program"); do
      printf '%s\n' "$specs" | grep -qE -- "^(\\*|\\([^)]*\\))?${opt}[+=]?(\\[|\$)" || missing="$missing $opt"
    done
    expect_eq "$missing" "" "zsh: _$program gives _arguments a spec for every option of --help"
  done
  expect_eq "$(zsh_specs nutgraf-index | sed -n 's/^languages: //p')" "$languages" \
    "zsh: _nutgraf-index offers the languages nutgraf-index lists"
  expect_match "$(zsh_specs nutgraf-query)" "^-A$" "zsh: _nutgraf-query stops at the query's first word (-A)"

  q=nutgraf-query
  expect_eq "$(complete_zsh $q --format '')" "grep json text" "zsh: $q --format <tab> offers the formats"
  expect_eq "$(complete_zsh $q --sort=)" "date rank" "zsh: $q --sort=<tab> offers the orders"
  expect_eq "$(complete_zsh $q --color=)" "always auto never" "zsh: $q --color=<tab> offers when"
  expect_eq "$(complete_zsh $q --exp)" "--explain" "zsh: $q --exp<tab>"
  expect_eq "$(complete_zsh $q sanctions --f)" "" "zsh: no option after the query's first word"
  i=nutgraf-index
  expect_eq "$(complete_zsh $i --qu)" "--quiet" "zsh: $i --qu<tab>"
  expect_eq "$(complete_zsh $i --language eng)" "english" "zsh: $i --language eng<tab>"
  expect_match "$(complete_zsh $i --encoding UTF-1)" '(^| )UTF-16( |$)' "zsh: $i --encoding UTF-1<tab> offers UTF-16"
  expect_match "$(complete_zsh $i --jsonl '')" '(^| )- .*fixtures' "zsh: $i --jsonl <tab> offers - and files"
  if command -v nutgraf-serve >/dev/null 2>&1; then
    s=nutgraf-serve
    expect_eq "$(complete_zsh $s --max-l)" "--max-limit" "zsh: $s --max-l<tab>"
    expect_match "$(complete_zsh $s --token-file=fixtures/art)" '(^| )articles( |$)' \
      "zsh: $s --token-file=<tab> completes files"
  fi
fi
