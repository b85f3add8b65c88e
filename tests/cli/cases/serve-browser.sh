# The search page in a real browser: headless Chromium, driven over the
# DevTools protocol by tests/serve/browser.py, searches "ceasefire", sees
# highlighted hits with headline, date and source, pages, narrows by a
# date range, follows did-you-mean, opens a story view from "+1 more in
# this story" (the whole story, its matching passages marked), shows a
# story's copies, shows a headline holding <script> as text, works
# without JavaScript (the same story view) and on a phone-sized screen.
# Screenshots are left in the build tree:
# tests/serve-artefacts/search-page*.png.
. "$NG_SRC/tests/serve/lib.sh"
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || skip "chromium is not installed (apt-get install chromium)"

# Articles written for this test: twenty about a ceasefire, three of them
# dated (2024, 2025, 2026) with a source, one whose headline holds
# markup that must stay text, one story in two files (copies), and one of
# five passages of which two (the headline and paragraph 3) hold
# "gannets".
mkdir -p browser
for i in $(seq 1 20); do
  printf 'Ceasefire talks, day %d\n\nMediators said the ceasefire held on day %d of the talks.\n' "$i" "$i" \
    >"browser/day$i.txt"
done
for y in 2024 2025 2026; do
  printf 'Title: Ceasefire review %s\nDate: %s-03-14\nSource: Nutgraf Desk\n\nA ceasefire review was published in %s.\n' \
    "$y" "$y" "$y" >"browser/review$y.txt"
done
for c in a b; do
  printf 'Quokka truce agreed on the island\n\nWardens and tourists agreed a quokka truce on Rottnest Island after a summer of selfies, the island authority said on Monday.\n\nThe truce limits selfies to two metres from any quokka and bans feeding.\n' \
    >"browser/quokka-$c.txt"
done
printf 'Gannets return to the harbour\n\nFerries sailed again on Tuesday, the port authority said.\n\nFishermen mended nets on the quay while the first passengers came ashore.\n\nBirdwatchers counted four hundred gannets on the breakwater, the most in a decade.\n\nThe next sailing is due on Friday, weather permitting.\n' \
  >browser/harbour.txt
printf 'Xyloquent <script>window.__pwned=1</script> <img src=x onerror="window.__pwned=2"> talks\n\nThe xyloquent envoys met.\n' \
  >browser/markup.txt
nutgraf-index -q -i browser.db fixtures/articles browser
start_server -i browser.db
artefacts="$NG_BIN/tests/serve-artefacts"
run timeout 300 python3 "$NG_SRC/tests/serve/browser.py" "$chromium" "$URL" "$artefacts"
[ "$status" -eq 77 ] && skip "$(tail -1 "$out")"
cat "$out"
expect_status 0 "the search page in Chromium ($(tail -1 "$out"))"
[ -s "$artefacts/search-page.png" ] && pass "screenshot: $artefacts/search-page.png" || fail "no screenshot"
stop_server
