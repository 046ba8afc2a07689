#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [LOGDIR]: vdrep's static checks, on the host (no VM):
#   - for each kernel lane whose headers are there (6.1, 6.12, 7 in the Debian 13 chroot,
#     debug when built): the module built with W=1 and sparse (C=2) in a scratch copy of
#     the sources; any compiler, sparse or modpost warning about our files fails
#   - checkpatch --strict on kernel/*.[ch], kernel/tests/*.c, uapi/linux/*.h, less the
#     findings listed with their reasons in checkpatch-exceptions
#   - vdrepctl built from clean with -Wall -Wextra -Werror, and its sanitizer build
#     (make asan: ASan, LSan, UBSan), which runs a few commands
#   - shellcheck on every shell script of tools/testing, .ci and scripts (.shellcheckrc)
# Prints one KTAP line per check, the findings as "#" lines, and a "# Totals:" line;
# exits 1 when a check failed. Full logs go to LOGDIR (default: a new temporary directory,
# named at the end). VDREP_STATIC_LANES="6.12 7" checks only those lanes. Needs root for
# lane 7 (chroot). See
# Documentation/dev-tools/static-checks.rst.
# Braces: bash reads the whole script before running it, so editing it mid-run is safe.
{
set -uo pipefail
STATIC_DIR=$(cd "$(dirname "$0")" && pwd)
. "$STATIC_DIR/../vm/lib.sh"
TOP=$VDREP_TOP
cd "$TOP" || exit 2

if [ $# -gt 1 ] || [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	sed -n '4,17s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi
if [ $# -eq 1 ]; then
	LOG=$1
	mkdir -p "$LOG" || exit 2
	LOG=$(cd "$LOG" && pwd)
else
	LOG=$(mktemp -d /tmp/vdrep-static.XXXXXX) || exit 2
fi
SCRATCH=$(mktemp -d /tmp/vdrep-static-src.XXXXXX) || exit 2
cleanup() {
	chroot_umount
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

# shellcheck disable=SC2206 # a list of lane names
LANES=(${VDREP_STATIC_LANES:-6.1 6.12 7 debug})
NCHECKS=$((${#LANES[@]} + 4))
JOBS=$(nproc 2>/dev/null || echo 2)
start=$SECONDS
n=0 npass=0 nfail=0 nskip=0

# ---- KTAP ---------------------------------------------------------------------------------

# Each result line is preceded by the time its check took.
t0=$SECONDS
took() { echo "# $((SECONDS - t0)) s"; t0=$SECONDS; }
ok() { took; n=$((n + 1)); npass=$((npass + 1)); echo "ok $n - $1"; }
not_ok() { took; n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $1"; }
skip() { took; n=$((n + 1)); nskip=$((nskip + 1)); echo "ok $n - $1 # SKIP $2"; }
# diag FILE [MAX]: the file's first MAX (default 40) lines as diagnostics.
diag() {
	local max=${2:-40} total
	total=$(wc -l <"$1")
	sed -n "1,${max}s/^/# /p" "$1"
	[ "$total" -gt "$max" ] && echo "# ... $((total - max)) more lines in $1"
	return 0
}

# ---- 1. kernel lanes: W=1 and sparse ------------------------------------------------------

# Kbuild's output -> the findings about our files (kernel/, uapi/), one a line, paths
# relative to the copy. Diagnostics located in the kernel's own headers go to $3.foreign.
kbuild_findings() { # LOG SRC-PREFIX OUT
	local log=$1 prefix=$2 out=$3 line file last=
	: >"$out"
	: >"$out.foreign"
	while IFS= read -r line; do
		line=${line#"$prefix"/}
		# sparse's "expected/got" lines go with the finding before them.
		if [ -n "$last" ] && [[ $line =~ ^[^:\ ]+:[0-9]+:[0-9]+:\ {4} ]]; then
			echo "$line" >>"$last"
			continue
		fi
		last=
		if [[ $line =~ ^([^:\ ]+):([0-9]+):([0-9]+:)?\ (warning|error):\ (.*)$ ]]; then
			file=${BASH_REMATCH[1]}
			case $file in
			kernel/* | uapi/* | Kbuild | Makefile) ;;
			*) echo "$line" >>"$out.foreign"; last=$out.foreign; continue ;;
			esac
			echo "$line" >>"$out"
			last=$out
		elif [[ $line =~ (^|\ )(WARNING|ERROR|warning|error):\  ]] ||
		     [[ $line =~ ^make(\[[0-9]+\])?:\ \*\*\* ]]; then
			# modpost, the compiler driver, make: about the module as a whole.
			echo "$line" >>"$out"
		fi
	done <"$log"
}

# Does sparse take this C without a word? sparse_takes CODE CMD-PREFIX...
sparse_takes() {
	local code=$1
	shift
	# shellcheck disable=SC2016 # expanded by that sh
	"$@" sh -c 'f=$(mktemp --suffix=.c) && printf "%s\n" "$1" >"$f" &&
		out=$(sparse "$f" 2>&1); rm -f "$f"; [ -z "$out" ]' sh "$code"
}

# CF for a sparse older than the kernel's headers (0.6.4 and the 7.x headers): what it
# cannot parse or evaluate, rewritten into what it can. See static-checks.rst.
sparse_cf() { # CMD-PREFIX...
	local cf=()
	sparse_takes 'static int x; static __typeof_unqual__(x) y;' "$@" ||
		cf+=(-D__typeof_unqual__=__typeof__)
	sparse_takes '_Static_assert(__builtin_strlen("ab") == 2, "");' "$@" ||
		cf+=("-D'__builtin_strlen(s)=(sizeof(s) - 1)'")
	[ ${#cf[@]} -eq 0 ] || echo "CF=${cf[*]}"
}

check_lane() { # LANE
	local lane=$1 env=$CACHE/kernels/$1/env what="kernel lane $1: W=1 and sparse" msg
	local klog=$LOG/kbuild-$1.log out=$LOG/kbuild-$1.findings src inner rc cf=() root=
	local nc nchk
	if [ "$lane" = debug ]; then
		if ! msg=$( (lane_env debug) 2>&1); then
			skip "$what" "${msg#*error: }"
			return
		fi
	elif [ ! -r "$env" ]; then
		skip "$what" "lane not set up (no $env; tools/testing/vm/setup.sh)"
		return
	fi
	(
		lane_env "$lane"
		echo "KDIR=$KDIR BUILD_IN_CHROOT=$BUILD_IN_CHROOT CHROOT=$CHROOT"
	) >"$LOG/lane-$lane.env" 2>&1 || {
		not_ok "$what: cannot read the lane"
		diag "$LOG/lane-$lane.env"
		return
	}
	# shellcheck disable=SC2046 # KEY=VALUE words written just above
	eval $(tail -n1 "$LOG/lane-$lane.env")
	[ "$BUILD_IN_CHROOT" = 1 ] && root=$CHROOT
	if [ ! -e "$root$KDIR/Makefile" ]; then
		not_ok "$what: no kernel headers at $root$KDIR"
		return
	fi
	if [ -n "$root" ]; then
		if ! in_chroot_at "$root" sh -c 'command -v sparse' >/dev/null; then
			not_ok "$what: no sparse in the chroot $root (tools/testing/vm/setup.sh)"
			return
		fi
	elif ! command -v sparse >/dev/null; then
		not_ok "$what: no sparse (apt-get install sparse)"
		return
	fi

	if [ -n "$root" ]; then
		# One user of the chroot's mounts at a time: build-module.sh's lock of the lane.
		mkdir -p "$CACHE/build"
		exec 9>"$CACHE/build/.$lane.lock"
		flock 9
		inner=/var/tmp/vdrep-static/$lane
		src=$root$inner
		chroot_mount "$root"
		trap cleanup EXIT
		msg=$(sparse_cf in_chroot_at "$root")
	else
		src=$SCRATCH/$lane
		inner=$src
		msg=$(sparse_cf env)
	fi
	[ -n "$msg" ] && cf=("$msg")
	copy_sources "$src"
	# KBUILD_CHECKSRC=2 is C=2 without the Makefile's sparse version probe
	# (scripts/checker-valid.sh, missing from Debian's 7.x headers, refuses sparse 0.6.4).
	{
		echo "# make -C $KDIR M=$inner KBUILD_CHECKSRC=2 W=1 ${cf[*]} modules${root:+ (in $root)}"
		if [ -n "$root" ]; then
			in_chroot_at "$root" make -C "$KDIR" M="$inner" -j"$JOBS" KBUILD_CHECKSRC=2 W=1 \
				"${cf[@]}" modules 2>&1
		else
			make -C "$KDIR" M="$inner" -j"$JOBS" KBUILD_CHECKSRC=2 W=1 "${cf[@]}" modules 2>&1
		fi
	} >"$klog"
	rc=$?
	if [ -n "$root" ]; then
		chroot_umount
		exec 9>&-
	fi
	kbuild_findings "$klog" "$inner" "$out"
	# sparse must have looked at every file that was compiled.
	nc=$(grep -cE '^  CC \[M\] +(.*/)?(kernel|uapi)/.*\.o$' "$klog")
	nchk=$(grep -cE '^  CHECK +(.*/)?(kernel|uapi)/.*\.c$' "$klog")
	rm -rf "$src"
	if [ $rc -ne 0 ] || [ -s "$out" ] || [ "$nchk" -lt "$nc" ] || [ "$nc" -eq 0 ]; then
		diag "$out"
		[ $rc -ne 0 ] && echo "# make exited $rc; log: $klog"
		[ "$nchk" -lt "$nc" ] && echo "# sparse checked $nchk of $nc files; log: $klog"
		not_ok "$what"
		return
	fi
	msg="$nc files"
	[ ${#cf[@]} -gt 0 ] && msg+=", sparse with ${cf[0]}"
	[ -s "$out.foreign" ] && msg+=", $(wc -l <"$out.foreign") in kernel headers left out"
	ok "$what ($msg)"
}

# in_chroot of lib.sh for a given root.
in_chroot_at() { # ROOT CMD...
	local root=$1
	shift
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

echo "TAP version 13"
echo "1..$NCHECKS"
for lane in "${LANES[@]}"; do
	check_lane "$lane"
done

# ---- 2. checkpatch ------------------------------------------------------------------------

# checkpatch.pl with spelling.txt and const_structs.checkpatch next to it: setup.sh's copy
# from linux-source-6.12, else these three files taken from the tarball once.
checkpatch_path() {
	local d ver tarball=/usr/src/linux-source-6.12.tar.xz
	d=$CACHE/linux-source-6.12/scripts
	if [ -r "$d/checkpatch.pl" ] && [ -r "$d/spelling.txt" ] && [ -r "$d/const_structs.checkpatch" ]; then
		echo "$d/checkpatch.pl"
		return 0
	fi
	[ -r "$tarball" ] || return 1
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null)
	d=$CACHE/checkpatch/${ver:-unknown}
	if [ ! -r "$d/checkpatch.pl" ]; then
		mkdir -p "$d.tmp" &&
		tar -xJf "$tarball" -C "$d.tmp" --strip-components=2 \
			linux-source-6.12/scripts/checkpatch.pl linux-source-6.12/scripts/spelling.txt \
			linux-source-6.12/scripts/const_structs.checkpatch &&
		rm -rf "$d" && mv "$d.tmp" "$d" || return 1
	fi
	echo "$d/checkpatch.pl"
}

check_checkpatch() {
	local cp what="checkpatch --strict" log=$LOG/checkpatch.log out=$LOG/checkpatch.findings
	local ex=$STATIC_DIR/checkpatch-exceptions files f line file lno type src e_type e_glob e_re
	local -a exc=() used=()
	if ! cp=$(checkpatch_path); then
		not_ok "$what: no checkpatch.pl (linux-source-6.12; tools/testing/vm/setup.sh)"
		return
	fi
	files=$(ls kernel/*.[ch] kernel/tests/*.c uapi/linux/*.h 2>/dev/null)
	# shellcheck disable=SC2086 # file names without spaces, from the ls above
	perl "$cp" --strict --no-tree --terse --show-types --no-summary -f $files >"$log" 2>&1
	while read -r e_type e_glob e_re; do
		case $e_type in '' | '#'*) continue ;; esac
		exc+=("$e_type"$'\t'"$e_glob"$'\t'"$e_re")
		used+=(0)
	done <"$ex"
	: >"$out"
	: >"$out.excepted"
	while IFS= read -r line; do
		if [[ ! $line =~ ^([^:]+):([0-9]+):\ [A-Z]+:([A-Z0-9_]+): ]]; then
			echo "$line" >>"$out"	# not a finding: checkpatch itself complains
			continue
		fi
		file=${BASH_REMATCH[1]} lno=${BASH_REMATCH[2]} type=${BASH_REMATCH[3]}
		src=$(sed -n "${lno}p" "$file" 2>/dev/null)
		for i in "${!exc[@]}"; do
			IFS=$'\t' read -r e_type e_glob e_re <<<"${exc[$i]}"
			[ "$type" = "$e_type" ] || continue
			# shellcheck disable=SC2053 # the exception's file is a glob
			[[ $file == $e_glob ]] || continue
			[ -z "$e_re" ] || [[ $src =~ $e_re ]] || continue
			used[i]=1
			echo "$line" >>"$out.excepted"
			continue 2
		done
		echo "$line" >>"$out"
	done <"$log"
	for i in "${!exc[@]}"; do
		[ "${used[$i]}" = 1 ] ||
			echo "# checkpatch-exceptions: no longer needed: ${exc[$i]//$'\t'/ }"
	done
	f=$(echo "$files" | wc -w)
	if [ -s "$out" ]; then
		diag "$out"
		not_ok "$what ($(wc -l <"$out") findings in $f files)"
	else
		ok "$what ($f files, $(wc -l <"$out.excepted") findings excepted by checkpatch-exceptions)"
	fi
}
check_checkpatch

# ---- 3. vdrepctl: warnings are errors; sanitizers -----------------------------------------

check_vdrepctl() {
	local us=$SCRATCH/userspace log=$LOG/vdrepctl.log
	rm -rf "$SCRATCH/userspace" "$SCRATCH/uapi"
	tar -C "$TOP" -cf - --exclude='*.o' --exclude='*.d' --exclude=vdrepctl \
		--exclude=vdrepctl.tmp --exclude=asan userspace uapi | tar -C "$SCRATCH" -xf -
	if make -C "$us" -j"$JOBS" vdrepctl >"$log" 2>&1 &&
	   grep -q -- '-Wall -Wextra -Werror' "$log"; then
		ok "vdrepctl: -Wall -Wextra -Werror, from clean"
	else
		grep -E 'warning:|error:' "$log" >"$log.findings"
		diag "$log.findings"
		not_ok "vdrepctl: -Wall -Wextra -Werror, from clean (log: $log)"
	fi
}

# The sanitizer build, and commands that run without the module: help, a usage error, a
# size parser refusal. Each exits as it should, and no sanitizer report appears.
check_vdrepctl_asan() {
	local us=$SCRATCH/userspace log=$LOG/vdrepctl-asan.log bin rc want args fail=0
	if ! make -C "$us" -j"$JOBS" asan >"$log" 2>&1; then
		grep -E 'warning:|error:' "$log" >"$log.findings"
		diag "$log.findings"
		not_ok "vdrepctl sanitizer build (make asan; log: $log)"
		return
	fi
	bin=$us/asan/vdrepctl
	while read -r want args; do
		# shellcheck disable=SC2086 # the arguments of the table line
		"$bin" $args >>"$log" 2>&1 </dev/null
		rc=$?
		echo "# vdrepctl $args: exit $rc (want $want)" >>"$log"
		[ $rc -eq "$want" ] || fail=1
	done <<-EOF
	0 help
	0 -V
	2 volume create
	2 volume create x source /dev/null chunk-size 12Q
	2 bogus
	EOF
	if grep -q 'Sanitizer\|runtime error:' "$log"; then
		fail=1
	fi
	if [ $fail = 1 ]; then
		diag "$log" 60
		not_ok "vdrepctl sanitizer build (ASan, LSan, UBSan) runs cleanly"
	else
		ok "vdrepctl sanitizer build (ASan, LSan, UBSan) runs cleanly"
	fi
}
check_vdrepctl
check_vdrepctl_asan

# ---- 4. shellcheck ------------------------------------------------------------------------

# Every shell script: *.sh, and files whose first line is a sh or bash #! line.
shell_scripts() {
	local f
	find tools/testing .ci scripts -type f 2>/dev/null | sort | while read -r f; do
		case $f in
		*.sh) echo "$f" ;;
		*.py | *.rst | *.md | *.txt | *.yaml | *.json) ;;
		*) head -n1 "$f" 2>/dev/null | grep -qE '^#!.*(/|env +)(ba|da)?sh( |$)' && echo "$f" ;;
		esac
	done
}

check_shellcheck() {
	local log=$LOG/shellcheck.log what="shellcheck (.shellcheckrc)" nf
	if ! command -v shellcheck >/dev/null; then
		not_ok "$what: no shellcheck (apt-get install shellcheck)"
		return
	fi
	shell_scripts >"$LOG/shell-scripts"
	nf=$(wc -l <"$LOG/shell-scripts")
	# Two at a time (following lib.sh makes each test slow to check), each to a file.
	rm -f "$LOG"/shellcheck.part.*
	# shellcheck disable=SC2016 # expanded by the sh that xargs runs
	xargs -P 2 -n 12 sh -c 'shellcheck -f gcc "$@" >"$0.$$" 2>&1; exit 0' \
		"$LOG/shellcheck.part" <"$LOG/shell-scripts"
	sort "$LOG"/shellcheck.part.* >"$log" 2>/dev/null
	rm -f "$LOG"/shellcheck.part.*
	if [ -s "$log" ]; then
		diag "$log"
		not_ok "$what: $(wc -l <"$log") findings in $nf scripts"
	else
		ok "$what: $nf scripts"
	fi
}
check_shellcheck

echo "# Totals: pass:$npass fail:$nfail skip:$nskip ($((SECONDS - start)) s; logs in $LOG)"
[ $nfail -eq 0 ]
exit
}
