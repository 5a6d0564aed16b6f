#!/usr/bin/env bash
# test/run.sh test|demo|bench|package — what `make test`, `make demo`,
# `make bench` and `make package` run.
#
# On a fresh Debian 12 machine, as root (CI) or as a user with sudo:
#   1. installs the Debian packages juki needs, if any is missing;
#   2. copies the source tree to a build directory owned by the postgres OS
#      user and builds there with -Wall -Wextra -Werror (PostgreSQL refuses
#      to run as root, and the checkout may not be readable by postgres);
#   3. installs the extension (as root);
#   4. test: runs every pg_regress, isolation and TAP suite against throwaway
#      instances, all of them even if one fails, and ends with one line
#      "N passed, N failed";  demo: runs test/demo/demo.sh;  bench: runs
#      test/bench/door_bench.sh as root (with SCEN naming pgaudit: postgresql-15-pgaudit);
#      package: builds the Debian package (debian/) into $JUKI_BUILD_DIR/package
#      with dpkg-buildpackage -us -uc -b, after installing its build dependencies.
# Environment: JUKI_BUILD_DIR (default /tmp/juki-build), JUKI_SUITES (a subset
# of "regress isolation tap package"), JUKI_TAP_TESTS (TAP files, relative to the source),
# JUKI_REGRESS (pg_regress tests to run, e.g. "install lookup"), JUKI_PGBIN (the
# bin directory of another, relocated PostgreSQL 15 installation to use),
# JUKI_PACKAGE_TEST (the package suite: it builds the package and installs it
# into the system's PostgreSQL 15; 1 by default, 0 by default when JUKI_PGBIN
# names another installation, since a developer then keeps off the system's).
set -uo pipefail

mode=${1:-test}
case "$mode" in test|demo|bench|package) ;; *) echo "usage: $0 test|demo|bench|package" >&2; exit 2 ;; esac

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${JUKI_BUILD_DIR:-/tmp/juki-build}
PGBIN=${JUKI_PGBIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=$PGBIN/pg_config
PACKAGES=(postgresql-15 postgresql-server-dev-15 postgresql-contrib postgresql-plperl-15 libssl-dev openssl libkrb5-dev
          libipc-run-perl make gcc perl faketime clang libclang-rt-14-dev gettext locales
          python3-psycopg python3-cryptography pgbouncer)
# pgaudit only when the benchmark compares with it (SCEN names it; not by default)
if [ "$mode" = bench ]; then
	case " ${SCEN:-} " in *" pgaudit "*) PACKAGES+=(postgresql-15-pgaudit) ;; esac
fi
suites=${JUKI_SUITES:-regress isolation tap package}
# The package suite installs into the system's PostgreSQL 15 (where the
# package goes): on by default, off when JUKI_PGBIN names another installation.
if [ -n "${JUKI_PACKAGE_TEST:-}" ]; then
	package_test=$JUKI_PACKAGE_TEST
elif [ "$PGBIN" = /usr/lib/postgresql/15/bin ]; then
	package_test=1
else
	package_test=0
fi
need_build_deps=0
[ "$mode" = package ] && need_build_deps=1
[ "$mode" = test ] && [ "$package_test" != 0 ] && case " $suites " in *" package "*) need_build_deps=1 ;; esac
[ "$need_build_deps" = 1 ] && PACKAGES+=(dpkg-dev)
[ "$mode" = package ] && PACKAGES=(dpkg-dev)	# the rest are build dependencies

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly, or through sudo for a developer.
if [ "$(id -u)" -eq 0 ]; then
	as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
	as_root() { sudo "$@"; }
else
	die "make $mode needs root (as CI runs it) or sudo: it installs packages and the extension."
fi
# Build and tests run as the postgres OS user: PostgreSQL refuses root.
as_pg() { as_root runuser -u postgres -- "$@"; }

# 1. Packages ---------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
# another apt or dpkg (unattended-upgrades, a second make) may hold the
# package manager's locks: wait for them, bounded, instead of failing
APT=(apt-get -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)
apt_updated=0
apt_update() {
	local try log
	[ "$apt_updated" = 1 ] && return 0
	log=$(mktemp)
	for try in 1 2 3 4 5 6 7 8 9 10; do
		as_root "${APT[@]}" update -q >"$log" 2>&1 && { apt_updated=1; rm -f "$log"; return 0; }
		grep -q 'Could not get lock\|is held by process' "$log" ||
			{ cat "$log" >&2
			  die "apt-get update failed: check the network or /etc/apt/sources.list, then rerun."; }
		[ "$try" -eq 10 ] && die "the package lists stayed locked by another process for 5 minutes."
		echo "waiting for another package manager to finish (try $try of 10)"
		sleep 30
	done
}
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "Installing missing packages: ${missing[*]}"
	apt_update
	as_root "${APT[@]}" install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed; install them by hand and rerun."
fi
# The Debian package's build dependencies (debian/control), for make package
# and the package suite.
if [ "$need_build_deps" = 1 ] && ! (cd "$SRC" && dpkg-checkbuilddeps >/dev/null 2>&1); then
	say "Installing the build dependencies of debian/control"
	apt_update
	as_root "${APT[@]}" build-dep -y -q --no-install-recommends "$SRC" >/dev/null ||
		die "apt-get build-dep $SRC failed; see dpkg-checkbuilddeps in $SRC for what is missing."
fi
# juki's Japanese messages are tested with lc_messages = 'ja_JP.UTF-8': a
# fresh machine has only C and C.UTF-8, so generate the locale (the server
# checks it exists when lc_messages is set).
if [ "$mode" = test ] || [ "$mode" = demo ]; then
	if ! locale -a 2>/dev/null | grep -qix 'ja_JP\.utf-\?8'; then
		say "Generating the locale ja_JP.UTF-8 (for juki's Japanese messages)"
		as_root localedef -i ja_JP -c -f UTF-8 -A /usr/share/locale/locale.alias ja_JP.UTF-8 ||
			die "localedef ja_JP.UTF-8 failed; install the locales package and rerun."
	fi
fi
[ -x "$PG_CONFIG" ] || die "$PG_CONFIG not found although postgresql-server-dev-15 is installed."
id postgres >/dev/null 2>&1 || die "the postgres OS user does not exist (it comes with postgresql-15)."

# 2. Build ------------------------------------------------------------------
# A leftover build directory is reused only if no server from an earlier run
# is still alive in it; otherwise say how to stop it.
if [ -d "$BUILD" ]; then
	for pidfile in $(find "$BUILD" -maxdepth 6 -name postmaster.pid 2>/dev/null); do
		pid=$(head -1 "$pidfile")
		if kill -0 "$pid" 2>/dev/null; then
			die "a PostgreSQL server from an earlier run (pid $pid) still uses $(dirname "$pidfile").
Stop it with: runuser -u postgres -- $PGBIN/pg_ctl -D $(dirname "$pidfile") stop -m fast
or choose another directory with JUKI_BUILD_DIR=/some/dir make $mode"
		fi
	done
	echo "Reusing build directory $BUILD (stale test instances in it are removed)."
	# a clean build every time: PGXS tracks no header dependencies
	as_root rm -rf "$BUILD/source" "$BUILD/build" "$BUILD/demo" "$BUILD/package"
fi
as_root install -d -o postgres -g postgres "$BUILD" "$BUILD/build" "$BUILD/logs" ||
	die "cannot create $BUILD; set JUKI_BUILD_DIR to a writable place."
# Copy the source where postgres can read it: source files only (tracked and
# untracked, never what .gitignore names), so that objects, a juki.so or a
# generated script left by an in-tree `make` are rebuilt, not reused.
source_files() {
	if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$SRC" ls-files -z --cached --others --exclude-standard
	else
		# no git (an unpacked tarball): leave out what a build produces
		(cd "$SRC" && find . -type f ! -path './.git/*' ! -path './tmp_check*' \
			! -path './results/*' ! -path './log/*' ! -path './output_iso/*' \
			! -name '*.o' ! -name '*.so' ! -name '*.bc' ! -path './juki--*.sql' \
			! -path './src/tools/juki_verify' ! -path './test/unit/chain_test' \
			! -path './juki_test.conf' ! -path './keys/*' ! -path './checkpoints/*' \
			-print0)
	fi
}
source_files | (cd "$SRC" && tar --null -T - -cf -) |
	as_pg bash -c "mkdir -p '$BUILD/source' && tar -C '$BUILD/source' -xf -" ||
	die "copying the source to $BUILD/source failed."

# The Debian package (debian/), built as postgres from a copy of the source
# files in $BUILD/package/juki-<version>; its build runs `make installcheck`
# on a throwaway cluster (dh_pgxs_test).  Sets DEB to the .deb built.
JUKI_VERSION=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$SRC/juki.control")
DEB=""
build_package() {
	local dir="$BUILD/package" tree="$BUILD/package/juki-$JUKI_VERSION"
	as_root rm -rf "$dir"
	as_root install -d -o postgres -g postgres "$dir" "$tree" ||
		die "cannot create $dir; set JUKI_BUILD_DIR to a writable place."
	source_files | (cd "$SRC" && tar --null -T - -cf -) | as_pg tar -C "$tree" -xf - ||
		die "copying the source to $tree failed."
	if ! (cd "$tree" && as_pg env DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2}" \
			dpkg-buildpackage -us -uc -b) >"$BUILD/logs/package-build.log" 2>&1; then
		tail -40 "$BUILD/logs/package-build.log"
		echo "   the package build failed; the full log is $BUILD/logs/package-build.log"
		return 1
	fi
	DEB=$(ls "$dir"/postgresql-15-juki_"$JUKI_VERSION"-*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -1)
	[ -n "$DEB" ]
}
if [ "$mode" = package ]; then
	say "Building the Debian package in $BUILD/package (log: $BUILD/logs/package-build.log)"
	build_package || die "make package failed."
	echo
	echo "Built $DEB"
	echo "Install it with:  apt-get install -y $DEB"
	exit 0
fi

MK=(make -f "$BUILD/source/Makefile" -C "$BUILD/build" PG_CONFIG="$PG_CONFIG" with_llvm=no)
say "Building juki (gcc -Wall -Wextra -Werror) in $BUILD/build"
if ! as_pg "${MK[@]}" -j2 COPT=-Werror >"$BUILD/logs/build.log" 2>&1; then
	tail -40 "$BUILD/logs/build.log"
	die "the build failed; the full log is $BUILD/logs/build.log."
fi
say "Installing juki into $($PG_CONFIG --pkglibdir)"
as_root "${MK[@]}" install >"$BUILD/logs/install.log" 2>&1 ||
	{ tail -20 "$BUILD/logs/install.log"; die "make install failed; see $BUILD/logs/install.log."; }

if [ "$mode" = bench ]; then
	as_root env PGBIN="$PGBIN" bash "$SRC/test/bench/door_bench.sh"
	exit $?
fi
if [ "$mode" = demo ]; then
	as_pg env JUKI_BUILD_DIR="$BUILD" PGBIN="$PGBIN" bash "$BUILD/source/test/demo/demo.sh"
	exit $?
fi

# 3. Tests ------------------------------------------------------------------
passed=0
failed=0

# The released libraries, for the upgrade test: each built from its commit
# (extension/releases) into a private relocated copy of PostgreSQL, so that a
# town can run on the old library first.  Needs the git history; without it
# the upgrade test says what it could not do.
JUKI_RELEASES=""
build_releases() {
	local v commit dir bin
	git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1 || {
		echo "   no git history in $SRC: the upgrade test runs without the released libraries"; return 0; }
	while read -r v commit; do
		case "$v" in ''|'#'*) continue ;; esac
		dir="$BUILD/release-$v"
		as_root rm -rf "$dir"
		as_root install -d -o postgres -g postgres "$dir" "$dir/source" "$dir/build"
		if ! git -C "$SRC" cat-file -e "$commit^{commit}" 2>/dev/null; then
			echo "   release $v: commit $commit is not in this clone's history; skipped"; continue
		fi
		git -C "$SRC" archive --format=tar "$commit" | as_pg tar -x -C "$dir/source" ||
			die "extracting release $v ($commit) failed"
		bin=$(as_pg bash "$SRC/test/relocate_pg.sh" "$dir/pg" "$PGBIN") ||
			die "copying PostgreSQL for release $v failed"
		if ! as_pg make -f "$dir/source/Makefile" -C "$dir/build" PG_CONFIG="$bin/pg_config" \
				with_llvm=no -j2 all install >"$BUILD/logs/release-$v.log" 2>&1; then
			tail -20 "$BUILD/logs/release-$v.log"
			die "building released juki $v failed; see $BUILD/logs/release-$v.log"
		fi
		echo "   released juki $v built from ${commit:0:12} into $dir/pg"
		JUKI_RELEASES="$JUKI_RELEASES $v=$bin"
	done < "$SRC/extension/releases"
}
case " $suites " in *" tap "*) say "Released versions (for the upgrade test)"; build_releases ;; esac
export JUKI_RELEASES

# pg_regress and isolation print one line per test: "test name ... ok"
count_regress() {
	local log=$1 p f
	p=$(grep -cE '^(test |     )?[[:space:]]*[A-Za-z0-9_]+[[:space:]]+\.\.\. ok' "$log")
	f=$(grep -cE '\.\.\. FAILED|\.\.\. diff: ' "$log")
	passed=$((passed + p)); failed=$((failed + f))
	echo "   $p passed, $f failed"
}

run_suite() {
	local name=$1 target=$2 log="$BUILD/logs/$1.log" rc
	say "Suite $name"
	as_pg "${MK[@]}" "$target" "${@:3}" >"$log" 2>&1
	rc=$?
	grep -E '\.\.\. (ok|FAILED)|\.pl \.\. |^not ok|Failed|Dubious|Result:' "$log" | sed 's/^/   /'
	return $rc
}

# prove -v output, summarised as each file finishes: one line per file with
# its assertions passed and failed, and the failing assertions themselves.
tap_progress() {
	awk '
		function done_file(verdict, ms) {
			if (file == "") return
			printf "   %-28s %-6s %4d ok, %d not ok%s\n", file, verdict, ok, nok, ms
			fflush(); file = ""
		}
		/^(\[[0-9:]+\] )?[^ ]+\.pl \.\.+/ { done_file("?", ""); f = $0; sub(/ \.\.+.*/, "", f); sub(/.*\//, "", f); file = f; ok = 0; nok = 0; next }
		/^[[:space:]]*ok [0-9]+/ { ok++; next }
		/^[[:space:]]*not ok [0-9]+/ { nok++; print "      " $0; fflush(); next }
		/^ok( +[0-9]+ ms)?/ { done_file("ok", $2 != "" ? sprintf(" (%.0f s)", $2 / 1000) : ""); next }
		/Dubious|^Failed [0-9]+\/[0-9]+ subtests|Bad plan|No subtests run/ { print "      " $0; done_file("FAILED", ""); next }
		/^Result:/ { done_file("?", ""); print "   " $0; fflush() }
	'
}

# one count per TAP assertion; a script that died counts as one failure
count_tap() {
	local log=$1 p f t d
	p=$(grep -cE '^[[:space:]]*ok [0-9]+' "$log")
	# a known defect is a TODO assertion: listed, not counted as a failure
	f=$(grep -E '^[[:space:]]*not ok [0-9]+' "$log" | grep -vc '# TODO')
	t=$(grep -E '^[[:space:]]*not ok [0-9]+' "$log" | grep -c '# TODO')
	d=$(grep -cE 'Dubious|Bad plan|No subtests run' "$log")
	[ "$f" -eq 0 ] && [ "$d" -gt 0 ] && f=$d
	passed=$((passed + p)); failed=$((failed + f))
	echo "   $p passed, $f failed, $t known defects (TODO) (logs: $BUILD/build/tmp_check/log)"
}

# One check of the package suite: a line, and a count.
pkg_check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		passed=$((passed + 1)); printf '   ok      %s\n' "$what"
	else
		failed=$((failed + 1)); printf '   FAILED  %s\n' "$what"
	fi
}

# The package suite.  The package goes into the system's PostgreSQL 15; the
# machine is left as it was found: the new package installed if a
# postgresql-15-juki package was installed before, otherwise the package
# purged again (and, if make test had installed juki into that same
# PostgreSQL with make install, that installation put back).  Never
# half-installed: a failed installation is purged.
PKG=postgresql-15-juki
PG_SYSTEM_BIN=/usr/lib/postgresql/15/bin
pkg_before=""
pkg_state() { dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null || true; }
pkg_installed() { [ "$(pkg_state) $(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null)" = "install ok installed $1" ]; }
pkg_restore() {
	trap - EXIT INT TERM
	local now
	now=$(pkg_state)
	if [ "$pkg_before" = "install ok installed" ] && [ "$now" = "install ok installed" ]; then
		echo "   $PKG $(dpkg-query -W -f='${Version}' "$PKG") stays installed (a $PKG package was installed before)"
		return 0
	fi
	as_root "${APT[@]}" purge -y -q "$PKG" >>"$BUILD/logs/package-install.log" 2>&1 ||
		echo "   WARNING: apt-get purge $PKG failed; see $BUILD/logs/package-install.log"
	if [ "$pkg_before" = "install ok installed" ]; then
		echo "   the new $PKG did not install and is purged; install a $PKG package again"
	else
		echo "   $PKG purged again (it was not installed before)"
	fi
	if [ "$($PG_CONFIG --pkglibdir)" = "$($PG_SYSTEM_BIN/pg_config --pkglibdir)" ]; then
		as_root "${MK[@]}" install >>"$BUILD/logs/install.log" 2>&1 &&
			echo "   juki put back into $($PG_CONFIG --pkglibdir) with make install, as before the suite"
	fi
}
package_suite() {
	local listing tree="$BUILD/package/juki-$JUKI_VERSION" f rc
	echo "   building with dpkg-buildpackage -us -uc -b (log: $BUILD/logs/package-build.log)"
	if ! build_package; then
		failed=$((failed + 1))
		return
	fi
	pkg_check "built $(basename "$DEB")" test -s "$DEB"
	echo "   the build's own make installcheck (dh_pgxs_test, a throwaway cluster):"
	count_regress "$BUILD/logs/package-build.log"
	pkg_check "the package's version is juki.control's default_version ($JUKI_VERSION)" \
		grep -qx "$JUKI_VERSION-[0-9.]*" <<<"$(dpkg-deb -f "$DEB" Version)"
	listing=$(dpkg-deb -c "$DEB" | awk '{ print $6 ($7 == "->" ? " -> " $8 : "") }')
	for f in ./usr/lib/postgresql/15/lib/juki.so ./usr/share/postgresql/15/extension/juki.control \
			"./usr/share/postgresql/15/extension/juki--$JUKI_VERSION.sql" \
			$(cd "$SRC/extension" && ls juki--*.sql | sed 's|^|./usr/share/postgresql/15/extension/|') \
			./usr/lib/postgresql/15/bin/juki_verify \
			./usr/share/locale/ja/LC_MESSAGES/juki-15.mo \
			"./usr/bin/juki_verify -> ../lib/postgresql/15/bin/juki_verify"; do
		pkg_check "the package holds ${f#.}" grep -qxF -- "$f" <<<"$listing"
	done

	pkg_before=$(pkg_state)
	trap 'pkg_restore; exit 1' INT TERM
	trap 'pkg_restore' EXIT
	rc=0
	as_root "${APT[@]}" install -y -q --reinstall --no-install-recommends "$DEB" \
		>"$BUILD/logs/package-install.log" 2>&1 || rc=$?
	pkg_check "apt-get install $(basename "$DEB") into the system's PostgreSQL 15" test "$rc" -eq 0
	pkg_check "dpkg says $PKG $(dpkg-deb -f "$DEB" Version) is installed" \
		pkg_installed "$(dpkg-deb -f "$DEB" Version)"

	if [ "$(pkg_state)" = "install ok installed" ]; then
		echo "   autopkgtest debian/tests/installcheck, as root (log: $BUILD/logs/autopkgtest.log):"
		(cd "$tree" && as_root debian/tests/installcheck) >"$BUILD/logs/autopkgtest.log" 2>&1 ||
			{ tail -30 "$BUILD/logs/autopkgtest.log"
			  grep -q '\.\.\. ' "$BUILD/logs/autopkgtest.log" || failed=$((failed + 1)); }
		count_regress "$BUILD/logs/autopkgtest.log"
		pkg_check "autopkgtest debian/tests/juki-verify" sh -c "cd '$tree' && debian/tests/juki-verify"
		echo "   a throwaway cluster of the system's PostgreSQL, one lookup (test/package):"
		as_pg env PERL5LIB="$BUILD/source/test/t" PERL5OPT=-MJukiFlush JUKI_PACKAGE_VERSION="$JUKI_VERSION" \
			"${MK[@]}" packagecheck PROVE_FLAGS="-I $BUILD/source/test/t -v --timer" 2>&1 |
			tee "$BUILD/logs/package-tap.log" | tap_progress
		count_tap "$BUILD/logs/package-tap.log"
	fi
	pkg_restore
}

for s in $suites; do
	case "$s" in
	regress)
		regress_args=()
		[ -n "${JUKI_REGRESS:-}" ] && regress_args+=(REGRESS="$JUKI_REGRESS" JUKI_NLS_REGRESS=)
		if ! run_suite regress regresscheck "${regress_args[@]}"; then
			[ -f "$BUILD/build/regression.diffs" ] && head -60 "$BUILD/build/regression.diffs"
			grep -q '\.\.\. ' "$BUILD/logs/regress.log" || failed=$((failed + 1))
		fi
		count_regress "$BUILD/logs/regress.log"
		;;
	isolation)
		if ! run_suite isolation isolationcheck; then
			[ -f "$BUILD/build/output_iso/regression.diffs" ] && head -60 "$BUILD/build/output_iso/regression.diffs"
			grep -q '\.\.\. ' "$BUILD/logs/isolation.log" || failed=$((failed + 1))
		fi
		count_regress "$BUILD/logs/isolation.log"
		;;
	tap)
		tap_args=(PROVE_FLAGS="-I $BUILD/source/test/t -v --timer")
		[ -n "${JUKI_TAP_TESTS:-}" ] && tap_args+=(PROVE_TESTS="$JUKI_TAP_TESTS")
		say "Suite tap (each file's result as it finishes)"
		as_pg env PERL5LIB="$BUILD/source/test/t" PERL5OPT=-MJukiFlush JUKI_RELEASES="$JUKI_RELEASES" "${MK[@]}" prove_installcheck "${tap_args[@]}" 2>&1 | tee "$BUILD/logs/tap.log" | tap_progress
		if [ "${PIPESTATUS[0]}" -ne 0 ] && ! grep -q '^Result:' "$BUILD/logs/tap.log"; then
			tail -20 "$BUILD/logs/tap.log"
			echo "   the TAP suite did not run (see $BUILD/logs/tap.log)"
			failed=$((failed + 1))
		fi
		count_tap "$BUILD/logs/tap.log"
		;;
	package)
		if [ "$package_test" = 0 ]; then
			why="JUKI_PACKAGE_TEST=0"
			[ -z "${JUKI_PACKAGE_TEST:-}" ] && why="JUKI_PGBIN is not the system PostgreSQL; JUKI_PACKAGE_TEST=1 runs it"
			say "Suite package: skipped ($why)"
			continue
		fi
		say "Suite package (build the .deb, install it into $(dirname "$PG_SYSTEM_BIN"), installcheck, one lookup)"
		package_suite
		;;
	*) die "unknown suite '$s' in JUKI_SUITES (use regress, isolation, tap, package)" ;;
	esac
done

echo
echo "Logs: $BUILD/logs"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
