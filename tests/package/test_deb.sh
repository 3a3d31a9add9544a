#!/usr/bin/env bash
# Builds the Debian package with CPack and installs it with dpkg -i
# (ctest: package.deb). As root, the real thing: dpkg -i on this machine,
# then `sync --version`, `man sync-start`, the bash completion and the
# systemd unit example are checked, and dpkg --purge removes it again (also
# when a check fails). Not as root, the package is installed with dpkg -i
# into a throwaway root (its own dpkg database, under fakeroot) and checked
# there; SYNC_DEB_TEST_THROWAWAY=1 takes that path as root too.
#
#   test_deb.sh BUILD_DIR CPACK VERSION
set -euo pipefail

build=$1 cpack=$2 version=$3
pkg=sync
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

[ -x "$build/apps/sync/sync" ] || fail "no $build/apps/sync/sync: build the sync target first"
for tool in dpkg dpkg-deb dpkg-shlibdeps man; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/install-deps.sh"
done

tmp=$(mktemp -d /tmp/sync-deb-test.XXXXXX)
installed=""
cleanup() {
  if [ -n "$installed" ]; then
    echo "cleanup: dpkg --purge $pkg"
    dpkg --purge "$pkg" >/dev/null || echo "WARNING: dpkg --purge $pkg failed: remove it by hand" >&2
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- build ---------------------------------------------------------------
# -B: the package and CPack's staging tree go to the temporary directory,
# not the build dir. CPack builds the `preinstall` target first (a no-op
# after a full build).
"$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
debs=("$tmp"/out/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { cat "$tmp/cpack.log"; fail "cpack made no single .deb"; }
deb=${debs[0]}
ok "cpack -G DEB: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = "$pkg" ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), expected $version"
for f in Maintainer Section Description; do
  [ -n "$(field "$f")" ] || fail "the control file has no $f"
done
depends=$(field Depends)
case $depends in *libc6*) ;; *) fail "Depends has no libc6 (dpkg-shlibdeps not run?): '$depends'" ;; esac
ok "control: Package $pkg, Version $version, Section $(field Section), Depends $depends"
contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
for f in ./usr/local/bin/sync ./usr/local/share/man/man1/sync-start.1 ./usr/local/share/man/man5/sync-task.5 \
         ./usr/local/share/man/man7/sync-overview.7 ./usr/local/share/bash-completion/completions/sync \
         ./usr/local/share/doc/sync/examples/sync@.service ./usr/local/share/doc/sync/examples/sync-check.cron; do
  grep -qxF "$f" <<<"$contents" || fail "the package has no $f"
done
if grep -q '^\./usr/bin/\|^\./bin/' <<<"$contents"; then fail "the package has files in /usr/bin or /bin (coreutils' sync)"; fi
ok "contents: binary, man pages 1/5/7, bash completion, examples; nothing in /usr/bin"

# --- install -------------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && [ "${SYNC_DEB_TEST_THROWAWAY:-0}" != 1 ]; then
  mode=system
  root=""
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$'; then
    echo "skipped: package $pkg is already installed here; this test installs and removes it, and leaves yours alone"
    exit 0
  fi
  if [ -e /usr/local/bin/sync ]; then
    echo "skipped: /usr/local/bin/sync exists and is no package's (cmake --install?); dpkg -i would overwrite it"
    exit 0
  fi
  installed=yes
  dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg -i"; }
  dpkg-query -W -f='${Status}' "$pkg" | grep -q ' installed$' || fail "dpkg-query: $pkg not installed"
  ok "dpkg -i $(basename "$deb")"
else
  mode=throwaway
  command -v fakeroot >/dev/null || fail "fakeroot is missing: run scripts/install-deps.sh"
  root=$tmp/root
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/usr/local/bin" "$root/usr/local/share/man"
  touch "$root/var/lib/dpkg/status"
  # The throwaway database knows no libc6: --force-depends. Maintainer
  # scripts run outside a chroot, with DPKG_ROOT set.
  fakeroot dpkg --root="$root" --force-not-root --force-script-chrootless --force-depends \
    -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg --root=$root -i"; }
  dpkg --root="$root" -s "$pkg" | grep -q '^Status: install ok installed' || fail "not installed in $root"
  ok "dpkg -i into the throwaway root $root (not root, or SYNC_DEB_TEST_THROWAWAY=1)"
fi

# --- check ---------------------------------------------------------------
bin=$root/usr/local/bin/sync
line=$("$bin" --version)
# sync 0.1.0 (git abc1234, RelWithDebInfo, 2026-12-07): the date is the commit's, absent without git.
re="^sync ${version//./\\.} \\(git ([0-9a-f]{4,}|unknown), [^,)]+(, [0-9]{4}-[0-9]{2}-[0-9]{2})?\\)\$"
[[ $line =~ $re ]] || fail "sync --version: '$line' does not match $re"
ok "$bin --version: $line"
if [ $mode = system ]; then
  # Debian's PATH for users and root: /usr/local/bin first, coreutils' /usr/bin/sync after.
  line=$(env PATH=/usr/local/bin:/usr/bin:/bin sync --version)
  [[ $line == "sync $version "* ]] || fail "sync --version on PATH: '$line'"
  ok "sync --version on PATH=/usr/local/bin:/usr/bin:/bin: $line"
  /usr/bin/sync --version | head -1 | grep -q coreutils || fail "/usr/bin/sync is no longer coreutils'"
  ok "/usr/bin/sync is still coreutils': $(/usr/bin/sync --version | head -1)"
fi

if [ $mode = system ]; then
  page=$(env -u MANPATH PATH=/usr/local/bin:/usr/bin:/bin man -w sync-start) || fail "man -w sync-start"
  text=$(env -u MANPATH PATH=/usr/local/bin:/usr/bin:/bin MANPAGER=cat MANWIDTH=80 man sync-start 2>/dev/null)
else
  page=$(man -M "$root/usr/local/share/man" -w sync-start) || fail "man -M ... -w sync-start"
  text=$(MANPAGER=cat MANWIDTH=80 man -M "$root/usr/local/share/man" sync-start 2>/dev/null)
fi
# man-db may name it through the /usr/local/man -> share/man link.
[ "$(realpath "$page")" = "$(realpath "$root/usr/local/share/man/man1/sync-start.1")" ] || fail "man -w sync-start: $page"
grep -q 'sync-start' <<<"$text" && grep -q -- '--foreground' <<<"$text" || fail "man sync-start printed: ${text:0:300}"
ok "man sync-start: $page, $(wc -l <<<"$text") lines ($(sed -n 's/^ *\(sync-start - .*\)/\1/p' <<<"$text" | head -1))"

completion=$root/usr/local/share/bash-completion/completions/sync
spec=$(bash -c 'source "$1"; complete -p sync' _ "$completion") || fail "sourcing $completion"
[ "$spec" = "complete -F _sync sync" ] || fail "complete -p sync: $spec"
# Completions computed by the function, as bash would ask for them.
complete_line() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _sync; echo "${COMPREPLY[*]}"' \
    _ "$completion" "$@"
}
[ "$(complete_line "$bin" st)" = "start stop status" ] || fail "sync st<TAB>: $(complete_line "$bin" st)"
[ "$(complete_line "$bin" --v)" = "--version" ] || fail "sync --v<TAB>: $(complete_line "$bin" --v)"
[ "$(complete_line "$bin" check --str)" = "--strict" ] || fail "sync check --str<TAB>: $(complete_line "$bin" check --str)"
[ "$(complete_line "$bin" list -o j)" = "json" ] || fail "sync list -o j<TAB>: $(complete_line "$bin" list -o j)"
[ -z "$(complete_line "$bin" --home "$tmp/nohome" status "")" ] || fail "tasks of an empty home"
ok "bash completion: $spec; st -> start stop status, check --str -> --strict, list -o j -> json"
if [ $mode = system ] && [ -f /usr/share/bash-completion/bash_completion ]; then
  # bash-completion's own loader finds it in /usr/local/share (XDG_DATA_DIRS' default).
  spec=$(env -u XDG_DATA_DIRS bash -c '. /usr/share/bash-completion/bash_completion; __load_completion sync; complete -p sync')
  [ "$spec" = "complete -F _sync sync" ] || fail "bash-completion's loader: '$spec'"
  ok "bash-completion loads it on demand: $spec"
fi

unit=$root/usr/local/share/doc/sync/examples/sync@.service
if [ $mode = system ] && command -v systemd-analyze >/dev/null; then
  # verify wants an instance of the template; the unit's ExecStart is the installed binary.
  cp "$unit" "$tmp/sync@shop-to-postgres.service"
  if ! out=$(systemd-analyze verify "$tmp/sync@shop-to-postgres.service" 2>&1); then
    echo "$out"
    fail "systemd-analyze verify sync@.service"
  fi
  ok "systemd-analyze verify sync@shop-to-postgres.service${out:+ (said: $(tr '\n' ' ' <<<"$out"))}"
elif [ $mode = system ]; then
  echo "skipped: systemd-analyze verify (no systemd-analyze on this machine)"
else
  echo "skipped: systemd-analyze verify (its ExecStart, /usr/local/bin/sync, is not installed in a throwaway root)"
fi
cron=$root/usr/local/share/doc/sync/examples/sync-check.cron
jobs=$(grep -v '^#' "$cron" | grep -c '^[0-9*]') || true
[ "$jobs" -eq 1 ] || fail "sync-check.cron: $jobs job lines"
sh -n -c "$(grep -v '^#' "$cron" | grep '^[0-9*]' | cut -d' ' -f7-)" || fail "sync-check.cron: its command is not sh"
ok "sync-check.cron: one job line, its command parses with sh -n"

# --- remove --------------------------------------------------------------
if [ $mode = system ]; then
  dpkg --purge "$pkg" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "dpkg --purge $pkg"; }
  installed=""
  [ ! -e /usr/local/bin/sync ] || fail "/usr/local/bin/sync is still there after dpkg --purge"
  [ -d /usr/local/bin ] && [ -d /usr/local/share/man ] || fail "dpkg --purge took /usr/local/bin or /usr/local/share/man"
  /usr/bin/sync --version | head -1 | grep -q coreutils || fail "/usr/bin/sync is gone after dpkg --purge"
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$'; then fail "$pkg still installed"; fi
  ok "dpkg --purge $pkg: /usr/local/bin/sync gone, coreutils' /usr/bin/sync kept"
else
  fakeroot dpkg --root="$root" --force-not-root --force-script-chrootless --purge "$pkg" >"$tmp/dpkg.log" 2>&1 ||
    { cat "$tmp/dpkg.log"; fail "dpkg --root=$root --purge"; }
  [ ! -e "$bin" ] || fail "$bin is still there after dpkg --purge"
  [ -d "$root/usr/local/bin" ] || fail "dpkg --purge took $root/usr/local/bin"
  ok "dpkg --purge $pkg from the throwaway root"
fi
echo "package test passed ($mode install)"
