# The user's own variants file ($XDG_CONFIG_HOME/nutgraf/variants.txt,
# else ~/.config/nutgraf/variants.txt) is read by nutgraf-query and
# nutgraf-serve alike (cli_user_variants_path); without one, nothing.
nutgraf-index -q --exclude '*.md' fixtures
export HOME="$T/home" XDG_CONFIG_HOME=
mkdir -p "$HOME"
run nutgraf-query --count qwxplonk
expect_eq "$OUT" "0" "a made-up word finds nothing without a variants file"
mkdir -p "$HOME/.config/nutgraf"
printf 'qwxplonk, ceasefire\n' >"$HOME/.config/nutgraf/variants.txt"
run nutgraf-query --count qwxplonk
expect_eq "$OUT" "$(nutgraf-query --count ceasefire)" "~/.config/nutgraf/variants.txt makes it a variant of ceasefire"
expect_no_match "$OUT" "^0$" "(which matches)"
mkdir -p "$T/xdg/nutgraf"
printf 'qwxplonk, Geneva\n' >"$T/xdg/nutgraf/variants.txt"
run env XDG_CONFIG_HOME="$T/xdg" nutgraf-query --count qwxplonk
expect_eq "$OUT" "$(nutgraf-query --count --no-variants geneva)" "\$XDG_CONFIG_HOME/nutgraf/variants.txt comes first"
