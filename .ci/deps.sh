# Installs the Debian packages nutgraf needs when some are missing
# (sourced by the other scripts).  Uses sudo when not root.
ng_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}
NG_BUILD_DEPS=(build-essential cmake pkg-config libsqlite3-dev libstemmer-dev libjansson-dev check python3 libmicrohttpd-dev)
# binutils (nm, readelf), file, dpkg-dev (dpkg-shlibdeps for cpack) and man-db:
# tests/cli/cases/install.sh; bash-completion, zsh: completions.sh; curl and
# chromium: the nutgraf-serve cases.
NG_TEST_DEPS=(mandoc util-linux binutils file dpkg-dev man-db bash-completion zsh curl chromium)
