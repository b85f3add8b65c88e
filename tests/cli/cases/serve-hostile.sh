# nutgraf-serve under hostile input: every query of data/hostile-queries.txt
# (and 200 of random bytes) through /search, /count, /suggest and the page
# answers 200 or 400 with a JSON error, never 500 or an SQLite message; and
# hostile HTTP -- a 1 MB URL, bad percent-encoding, invalid UTF-8, a client
# sending a byte a second, 1,000 idle connections, header floods -- is
# answered 4xx or closed.  Afterwards /health answers and the server's RSS
# has grown by 10% at most (measured after two warm-up rounds, which fill
# SQLite's page caches, the allocator's pools and the worker threads'
# stacks -- two threads here, so that the warm-up reaches every one: with
# the default eight, which thread gets the deepest query is chance, and
# each one's stack pages stay resident once touched).
. "$NG_SRC/tests/serve/lib.sh"
nutgraf-index -q --exclude '*.md' fixtures
timeout=2
# (under AddressSanitizer, freed memory is held in a quarantine, which
# would count as growth: keep it small for this server)
ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=4" start_server --timeout "$timeout" --threads 2
for _ in 1 2; do
  python3 "$CLIENT" hostile "$URL" "$NG_SRC/tests/cli/data/hostile-queries.txt" >>warmup.out 2>&1
  python3 "$CLIENT" attacks "$URL" "$timeout" >>warmup.out 2>&1
done
rss0=$(rss_kib "$SERVE_PID")
run python3 "$CLIENT" hostile "$URL" "$NG_SRC/tests/cli/data/hostile-queries.txt"
expect_status 0 "hostile queries over HTTP: $(tail -1 "$out")"
[ "$status" -eq 0 ] && [ "$(grep -c '^FAIL' "$out")" -eq 0 ] || head -20 "$out"
run python3 "$CLIENT" attacks "$URL" "$timeout"
expect_status 0 "hostile HTTP"
cat "$out"
rss1=$(rss_kib "$SERVE_PID")
if [ -n "$rss0" ] && [ -n "$rss1" ] && [ "$rss1" -le $((rss0 + rss0 / 10)) ]; then
  pass "RSS $rss0 KiB before, $rss1 KiB after: within 10%"
elif [ -n "${NG_SANITIZED:-}" ]; then
  # AddressSanitizer's RSS is mostly its own (shadow memory, quarantine):
  # LeakSanitizer, at the exit checked below, judges leaks instead.
  pass "RSS $rss0 KiB before, $rss1 KiB after (not judged under AddressSanitizer; LeakSanitizer checks the exit)"
else
  fail "RSS grew from $rss0 KiB to $rss1 KiB"
fi
http /health
expect_eq "$CODE" 200 "/health still answers"
http /metrics
cut=$(printf '%s\n' "$BODY" | sed -n 's/^nutgraf_serve_requests_cut_total //p')
expect_match "$cut" '^[1-9][0-9]*$' "the slow clients were cut by the deadline ($cut)"
expect_no_match "$BODY" 'status="500"' "no request was answered 500"
stop_server
expect_eq "$SERVE_STATUS" 0 "and it stops cleanly (SIGTERM, exit 0)"
