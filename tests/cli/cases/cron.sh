# Cron manners (issue 13, item 7): the README's crontab line prints nothing
# -- so cron mails nothing -- when all went well, and when it meets an index
# that an earlier run still holds, even run twice at once; it does print an
# error.  Under --quiet, --no-wait on a busy index exits 75 silently.
line=$(grep -E '^\*/5 \* \* \* \* nutgraf-index ' "$NG_SRC/README.md")
expect_eq "$(printf '%s\n' "$line" | grep -c '')" 1 "the README has one crontab line"
cmd=$(printf '%s\n' "$line" | sed 's/^[^ ]* [^ ]* [^ ]* [^ ]* [^ ]* //')
expect_eq "$cmd" "nutgraf-index --quiet --no-wait /srv/news" "it runs nutgraf-index --quiet --no-wait"
cron_run() { sh -c "${cmd//\/srv\/news/$1}" 2>&1; }

expect_eq "$(cron_run "$T/fixtures/articles")" "" "it prints nothing when it indexes"
expect_eq "$(cron_run "$T/fixtures/articles")" "" "nor on a second run"

# A run from before holds the index: a subshell that becomes sleep, so
# killing it frees the lock.
(exec 9>"$NUTGRAF_INDEX.lock" && flock 9 && exec sleep 60) >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do flock -n "$NUTGRAF_INDEX.lock" true || break; sleep 0.1; done
run nutgraf-index --quiet --no-wait "$T/fixtures/articles"
expect_eq "$status:$OUT:$ERR" "75::" "--quiet --no-wait on a busy index: exit 75, nothing printed"
run nutgraf-index -qn fixtures/articles
expect_eq "$status:$OUT:$ERR" "75::" "-qn the same"
run nutgraf-index --no-wait fixtures/articles
expect_match "$status $ERR" "^75 nutgraf-index: error: index .* is being updated by another nutgraf-index" "without --quiet it says why"
cron_run "$T/fixtures/articles" >one.out &
first=$!
cron_run "$T/fixtures/articles" >two.out
wait "$first"
expect_eq "$(cat one.out two.out)" "" "the crontab line run twice at once against a busy index prints nothing"
kill "$holder"
wait "$holder" 2>/dev/null

expect_match "$(cron_run "$T/no-such-folder")" "^nutgraf-index: error: .*no-such-folder" "it prints an error (a missing folder)"
