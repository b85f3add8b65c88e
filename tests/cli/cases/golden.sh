# Golden output: what the programs print, byte for byte, on fixtures/ --
# the indexer's summary and --check, and nutgraf-query's text, grep and
# JSON formats, --files, --count, --explain, a miss with "did you mean"
# and a usage error.  The expected files are tests/cli/expected/golden.*;
# UPDATE=1 ctest -R cli.golden rewrites them for a reviewer to read in the
# diff.  A change of one character in any output fails its check.
SNAPSHOT_FILTER='s/; [0-9][0-9]*[.][0-9][0-9]* s;/; TIME s;/' expect_snapshot index-summary \
  nutgraf-index --exclude '*.md' fixtures
SNAPSHOT_FILTER='s/ [0-9][0-9]* bytes$/ BYTES bytes/' expect_snapshot index-check nutgraf-index --check
expect_snapshot query-text nutgraf-query --color never ceasefire
expect_snapshot query-grep nutgraf-query --format grep --limit 5 sanctions
SNAPSHOT_FILTER='s/"first_indexed":"[^"]*","changed":"[^"]*","change":[0-9]*/"first_indexed":TIME,"changed":TIME,"change":N/g' \
  expect_snapshot query-json nutgraf-query --format json --limit 3 ceasefire
expect_snapshot query-files nutgraf-query --files truce
expect_snapshot query-count nutgraf-query --count '"peace talks" OR truce'
expect_snapshot query-explain nutgraf-query --explain --count 'cease-fire talks -oil title:geneva negotiat*'
expect_snapshot query-miss nutgraf-query ceasfire
expect_snapshot query-usage nutgraf-query --limit x ceasefire
expect_snapshot query-all nutgraf-query --all --format grep --limit 4
