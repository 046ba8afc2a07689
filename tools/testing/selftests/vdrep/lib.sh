# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared library of the vdrep selftests (test_volume_NN_*.sh and
# test_mirror_NN_*.sh source it).
#
# Environment
#   The tests run inside the QEMU guest that tools/testing/vm/run.sh boots,
#   as root. The guest's / is the host's / mounted read-only over 9p, with
#   tmpfs on /tmp and /run, so every host tool is there (fio, mkfs.ext4,
#   e2fsck, losetup, blkdiscard, setpriv, python3, cmp, sha256sum, timeout,
#   jq, dmsetup, fsfreeze), and modprobe loads from the lane's module tree
#   (brd, loop, ext4, dm-mod, dm-delay, dm-flakey).
#   No udev runs (device nodes come from devtmpfs) unless a test starts
#   its own, as test_volume_14_udev and test_mirror_09_udev do; the guest
#   sets DM_DISABLE_UDEV=1, so dmsetup makes its own /dev/mapper nodes.
#
#   VDREP_KO    path of vdrep.ko built for the running kernel
#               (default: $VDREP_TOP/vdrep.ko)
#   VDREPCTL    path of vdrepctl (default: $VDREP_TOP/userspace/vdrepctl)
#   VDREP_TOP   repository root (default: four levels above this file)
#   VDREP_LANE  kernel lane: 6.1, 6.12 or 7. The tests refuse to run
#               without it, because they reload brd and loop and unload
#               vdrep, which would disturb a real machine; set
#               VDREP_LANE=host to run them on a disposable machine anyway.
#
# Conventions
#   Each test prints KTAP ("TAP version 13", "1..N", "ok N - what",
#   "not ok N - what", "ok N - what # SKIP why", "# diagnostics") and exits
#   0 when every check passed, 1 when one failed, 4 when it skipped as a
#   whole. A test removes everything it made (volumes, mounts, loop devices,
#   background processes, files) from an EXIT trap, even when it fails.
#   No check depends on how long something takes: waits are bounded loops
#   that only guard against hanging forever. A state that must last while
#   something is checked is held by a low --rate (copies) or by a suspended
#   device-mapper target (an async backlog), never by a race.

VDREP_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VDREP_TOP=${VDREP_TOP:-$(cd "$VDREP_TEST_DIR/../../../.." && pwd)}
VDREP_KO=${VDREP_KO:-$VDREP_TOP/vdrep.ko}
VDREPCTL=${VDREPCTL:-$VDREP_TOP/userspace/vdrepctl}
VDREP_LANE=${VDREP_LANE:-}
# The guest has the host's Debian python; never a user's pyenv shim. Called with -S (no site
# import; the scripts and snippets here use the standard library only): a start in the
# TCG guest takes 0.18 s instead of 0.25 s.
PYTHON=${PYTHON:-/usr/bin/python3}
export VDREP_TOP VDREP_KO VDREPCTL

readonly KSFT_PASS=0 KSFT_FAIL=1 KSFT_SKIP=4

# ------------------------------------------------------------------ KTAP

ktap_planned=0
ktap_count=0
ktap_failed=0

ktap_header()
{
	echo "TAP version 13"
}

ktap_plan()
{
	ktap_planned=$1
	echo "1..$1"
}

diag()
{
	local line

	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

# Print a file (command output) as diagnostics, at most 40 lines of it.
diag_file()
{
	[ -s "$1" ] || return 0
	head -n 40 "$1" | sed 's/^/#   /'
}

ok()
{
	ktap_count=$((ktap_count + 1))
	echo "ok $ktap_count - $1"
}

not_ok()
{
	ktap_count=$((ktap_count + 1))
	ktap_failed=$((ktap_failed + 1))
	echo "not ok $ktap_count - $1"
}

skip()
{
	ktap_count=$((ktap_count + 1))
	echo "ok $ktap_count - $1 # SKIP $2"
}

# result DESCRIPTION STATUS: ok when STATUS is 0.
result()
{
	if [ "$2" -eq 0 ]; then
		ok "$1"
	else
		not_ok "$1"
	fi
}

# check DESCRIPTION CMD...: run CMD, ok when it succeeds; its output is
# shown only when it fails.
check()
{
	local desc=$1 out rc

	shift
	out="$tmpdir/check.out"
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "command failed with status $rc: $*"
		diag_file "$out"
	fi
	return "$rc"
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq()
{
	if [ "$2" = "$3" ]; then
		ok "$1"
		return 0
	fi
	not_ok "$1"
	diag "expected: '$2'"
	diag "actual:   '$3'"
	return 1
}

# The whole test cannot run here: before ktap_plan only.
ktap_skip_all()
{
	echo "1..0 # SKIP $1"
	exit "$KSFT_SKIP"
}

# A step every later check depends on failed: report the checks that will
# not run as failed, so the plan still adds up, and stop.
ktap_abort()
{
	diag "aborting: $1"
	while [ "$ktap_count" -lt "$ktap_planned" ]; do
		not_ok "not run: $1"
	done
	ktap_finished
}

ktap_finished()
{
	if [ "$ktap_count" -ne "$ktap_planned" ]; then
		diag "planned $ktap_planned checks, ran $ktap_count"
		ktap_failed=$((ktap_failed + 1))
	fi
	if [ "$ktap_failed" -gt 0 ]; then
		exit "$KSFT_FAIL"
	fi
	exit "$KSFT_PASS"
}

# ---------------------------------------------------- tracking and cleanup

tmpdir=
track_volumes=()
track_loops=()
track_mounts=()
track_pids=()
track_brd=0
track_dm=()
track_frozen=()

cleanup()
{
	local i name

	for i in "${track_pids[@]}"; do
		kill "$i" 2>/dev/null
		wait "$i" 2>/dev/null
	done
	# Descriptors tests hold volumes open with.
	exec 7<&- 8<&- 9<&-
	# A suspended device-mapper target would hold back every I/O below.
	for name in "${track_dm[@]}"; do
		dmsetup resume "$name" >/dev/null 2>&1
	done
	for i in "${track_frozen[@]}"; do
		fsfreeze -u "$i" 2>/dev/null
	done
	for ((i = ${#track_mounts[@]} - 1; i >= 0; i--)); do
		umount "${track_mounts[i]}" 2>/dev/null
	done
	if module_loaded; then
		for name in "${track_volumes[@]}"; do
			assoc_destroy_all "$name" >/dev/null 2>&1
			"$VDREPCTL" volume destroy "$name" >/dev/null 2>&1
		done
	fi
	for name in "${track_dm[@]}"; do
		dmsetup remove --retry "$name" >/dev/null 2>&1
	done
	for i in "${track_loops[@]}"; do
		losetup -d "$i" 2>/dev/null
	done
	if [ "$track_brd" -eq 1 ]; then
		rmmod brd 2>/dev/null
	fi
	[ -n "$tmpdir" ] && rm -rf "$tmpdir"
}

untrack_volume()
{
	local i

	for i in "${!track_volumes[@]}"; do
		[ "${track_volumes[i]}" = "$1" ] && unset 'track_volumes[i]'
	done
}

untrack_mount()
{
	local i

	for i in "${!track_mounts[@]}"; do
		[ "${track_mounts[i]}" = "$1" ] && unset 'track_mounts[i]'
	done
	track_mounts=("${track_mounts[@]}")
}

# Common start of every test: checks the environment, prints the KTAP
# header and sets up the cleanup trap. Skips the whole test when it cannot
# run here.
test_init()
{
	ktap_header
	if [ "$(id -u)" -ne 0 ]; then
		ktap_skip_all "must run as root"
	fi
	if [ -z "$VDREP_LANE" ]; then
		ktap_skip_all "VDREP_LANE unset: run in the VM (tools/testing/vm/run.sh)"
	fi
	if [ ! -x "$VDREPCTL" ]; then
		ktap_skip_all "no vdrepctl at $VDREPCTL"
	fi
	if ! module_loaded && [ ! -r "$VDREP_KO" ]; then
		ktap_skip_all "no module at $VDREP_KO"
	fi
	tmpdir=$(mktemp -d /tmp/vdrep-test.XXXXXX) || ktap_skip_all "mktemp failed"
	trap cleanup EXIT
	diag "lane $VDREP_LANE, kernel $(uname -r)"
}

# require_tools TOOL...: skip the whole test when one is missing.
require_tools()
{
	local t

	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || ktap_skip_all "$t not found"
	done
}

# ------------------------------------------------------------------ module

module_loaded()
{
	[ -d /sys/module/vdrep ]
}

# Insert $VDREP_KO unless vdrep is already loaded.
load_module()
{
	module_loaded && return 0
	insmod_vdrep
}

# insmod_vdrep: insmod $VDREP_KO after the modules it depends on (libcrc32c
# where crc32c is not built in), as modprobe would for an installed module.
insmod_vdrep()
{
	local dep

	for dep in $(modinfo -F depends "$VDREP_KO" | tr , ' '); do
		modprobe "$dep" || return 1
	done
	insmod "$VDREP_KO"
}

unload_module()
{
	module_loaded || return 0
	rmmod vdrep
}

module_refcnt()
{
	cat /sys/module/vdrep/refcnt 2>/dev/null
}

# ---------------------------------------------------------------- devices

# brd_setup COUNT SIZE_MIB: fresh, zeroed ramdisks /dev/ram0..COUNT-1.
brd_setup()
{
	local count=$1 size_mib=$2 last

	if [ -d /sys/module/brd ] && ! rmmod brd; then
		diag "brd is in use, cannot get fresh ramdisks"
		return 1
	fi
	modprobe brd rd_nr="$count" rd_size=$((size_mib * 1024)) || return 1
	track_brd=1
	last=/dev/ram$((count - 1))
	[ -b "$last" ] || { diag "$last missing after modprobe brd"; return 1; }
}

# loop_setup SIZE_MIB SECTOR_SIZE: a new loop device, backed by a zeroed
# file in tmpfs, in $loop_dev (not printed: a $(...) subshell would lose
# the tracking).
loop_dev=
loop_setup()
{
	local size_mib=$1 sector_size=$2 file

	loop_dev=
	[ -e /dev/loop-control ] || modprobe loop || return 1
	file=$(mktemp "$tmpdir/loop.XXXXXX") || return 1
	truncate -s "${size_mib}M" "$file" || return 1
	loop_dev=$(losetup -f --show -b "$sector_size" "$file") || return 1
	track_loops+=("$loop_dev")
}

loop_detach()
{
	local i

	losetup -d "$1" || return 1
	for i in "${!track_loops[@]}"; do
		[ "${track_loops[i]}" = "$1" ] && unset 'track_loops[i]'
	done
	return 0
}

# mount_dev DEV DIR [OPTIONS]: mount and track for cleanup.
mount_dev()
{
	mkdir -p "$2" || return 1
	mount ${3:+-o "$3"} "$1" "$2" || return 1
	track_mounts+=("$2")
}

umount_dir()
{
	umount "$1" || return 1
	untrack_mount "$1"
}

# Open DEV exclusively (O_EXCL on a block device): fails with EBUSY while
# anything holds it (a volume, a mount, ...).
open_excl()
{
	"$PYTHON" -S -c '
import os, sys
os.close(os.open(sys.argv[1], os.O_RDWR | os.O_EXCL))
' "$1"
}

# is_held DEV: an exclusive open of DEV fails with EBUSY.
is_held()
{
	"$PYTHON" -S -c '
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDWR | os.O_EXCL))
except OSError as e:
    sys.exit(0 if e.errno == errno.EBUSY else 2)
sys.exit(1)
' "$1"
}

dev_size()
{
	blockdev --getsize64 "$1"
}

# sysfs_queue DEV ATTR: /sys/block/<dev>/queue/ATTR, "-" when absent.
sysfs_queue()
{
	local f

	f=/sys/block/$(basename "$1")/queue/$2
	if [ -r "$f" ]; then
		cat "$f"
	else
		echo -
	fi
}

# disk_stat DEV FIELD: field FIELD (1-based) of /sys/block/<dev>/stat;
# 1 reads, 3 sectors read, 5 writes, 7 sectors written, 16 flushes.
disk_stat()
{
	awk -v f="$2" '{ print (NF >= f) ? $f : "-" }' "/sys/block/$(basename "$1")/stat"
}

# sha256 of a whole device read with O_DIRECT, so no stale page cache of
# the other alias (source or volume) can hide a difference.
dev_sha256()
{
	dd if="$1" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1
}

# Fill DEV from /dev/urandom (direct I/O); optional COUNT_MIB.
dev_fill_random()
{
	local count=${2:-}

	dd if=/dev/urandom of="$1" bs=1M ${count:+count=$count} oflag=direct \
		status=none 2>/dev/null
	# dd reports ENOSPC at the end of a device; the data is all written.
	return 0
}

# dev_is_zero DEV OFFSET_BYTES LENGTH_BYTES
dev_is_zero()
{
	cmp -s -n "$3" <(dd if="$1" bs=4096 skip=$(($2 / 4096)) \
		count=$(($3 / 4096)) iflag=direct status=none) /dev/zero
}

# ----------------------------------------------------------------- volumes

# vdrepctl runs with its stdout and stderr in $out_file.
out_file() { echo "$tmpdir/vdrepctl.out"; }

# ctl ARGS...: run vdrepctl, output in $(out_file).
ctl()
{
	"$VDREPCTL" "$@" >"$(out_file)" 2>&1
}

# vol_create NAME SOURCE [chunk-size SIZE]: create and track for cleanup.
vol_create()
{
	local name=$1 source=$2

	shift 2
	if ctl volume create "$name" source "$source" "$@"; then
		track_volumes+=("$name")
		return 0
	fi
	diag "vdrepctl volume create $name source $source $* failed:"
	diag_file "$(out_file)"
	return 1
}

vol_destroy()
{
	if ctl volume destroy "$1"; then
		untrack_volume "$1"
		return 0
	fi
	diag "vdrepctl volume destroy $1 failed:"
	diag_file "$(out_file)"
	return 1
}

# vol_disk NAME: the disk (vdrepN) of volume NAME, found through sysfs so
# it does not depend on vdrepctl's output format.
vol_disk()
{
	local f

	for f in /sys/block/vdrep*/vdrep/name; do
		[ -r "$f" ] || continue
		if [ "$(cat "$f")" = "$1" ]; then
			f=${f#/sys/block/}
			echo "${f%%/*}"
			return 0
		fi
	done
	return 1
}

# Every vdrep disk in sysfs, one per line.
vdrep_disks()
{
	local d

	for d in /sys/block/vdrep*; do
		[ -e "$d" ] && basename "$d"
	done
}

# json_get KEY: read JSON (an object, or an array of one) on stdin, print
# value KEY.
json_get()
{
	"$PYTHON" -S -c '
import json, sys
d = json.load(sys.stdin)
if isinstance(d, list):
    d = d[0]
print(d[sys.argv[1]])
' "$1"
}

# A description of every vdrep volume and disk the kernel has, to show that
# a refused command changed nothing.
vdrep_state()
{
	echo "disks: $(vdrep_disks | tr '\n' ' ')"
	"$VDREPCTL" volume show 2>&1
	echo "refcnt: $(module_refcnt)"
}

# expect_fail_cmd DESCRIPTION ERRNO_TEXT EXTACK_TEXT CMD...: CMD must exit
# 1, print ERRNO_TEXT (strerror) and EXTACK_TEXT (a part of the kernel's
# extack message; empty when the kernel sends none) and change nothing:
# the output of $VDREP_STATE_FN (default vdrep_state) is the same before
# and after.
expect_fail_cmd()
{
	local desc=$1 errtext=$2 msg=$3 out before after rc fail=0

	shift 3
	out="$tmpdir/expect_fail.out"
	before=$("${VDREP_STATE_FN:-vdrep_state}")
	"$@" >"$out" 2>&1
	rc=$?
	after=$("${VDREP_STATE_FN:-vdrep_state}")
	if [ "$rc" -ne 1 ]; then
		diag "exit status $rc, expected 1"
		fail=1
	fi
	if ! grep -qF -- "$errtext" "$out"; then
		diag "no '$errtext' in the output"
		fail=1
	fi
	if [ -n "$msg" ] && ! grep -qF -- "$msg" "$out"; then
		diag "no '$msg' in the output"
		fail=1
	fi
	if [ "$before" != "$after" ]; then
		diag "state changed; before:"
		diag "$before"
		diag "after:"
		diag "$after"
		fail=1
	fi
	if [ "$fail" -ne 0 ]; then
		diag "command: $*"
		diag_file "$out"
	fi
	result "$desc" "$fail"
}

# expect_fail DESCRIPTION ERRNO_TEXT EXTACK_TEXT VDREPCTL_ARGS...
expect_fail()
{
	local desc=$1 errtext=$2 msg=$3

	shift 3
	expect_fail_cmd "$desc" "$errtext" "$msg" "$VDREPCTL" "$@"
}

# Raw generic netlink requests, for what vdrepctl cannot send (a missing
# attribute, an empty name); see vdrep_nl.py.
vdrep_nl()
{
	"$PYTHON" -S "$VDREP_TEST_DIR/vdrep_nl.py" "$@"
}

# wait_for_line FILE PATTERN [PID]: bounded wait (against hangs, not a
# timing assertion) for an extended regex PATTERN to appear in FILE; gives
# up early once process PID (the writer of FILE) has exited.
wait_for_line()
{
	local i

	for ((i = 0; i < 300; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then
			grep -qE -- "$2" "$1" 2>/dev/null
			return
		fi
		sleep 0.1
	done
	return 1
}

# eventually CMD...: CMD succeeds now or within a bounded number of retries
# (for output another process is about to write; not a timing check).
eventually()
{
	local i

	for ((i = 0; i < 300; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# meta_eval JSON EXPR: the Python expression EXPR over a metadata dump in
# the file JSON (d: vdrepctl -j meta dump or vdrep_meta.py dump), printed;
# rec(NAME) is association NAME's record, recs(FMT) every record formatted
# with FMT (a % format over a record) joined by spaces, chunks(NAME, MAP)
# the chunk ranges of one of its maps, chunk_set(NAME, MAP) the same as a
# set of chunk numbers.
meta_eval()
{
	"$PYTHON" -S -c '
import json, sys
d = json.load(open(sys.argv[1]))
def rec(name):
    for r in d.get("records", []):
        if r["name"] == name:
            return r
    return None
def recs(fmt):
    return " ".join(fmt % r for r in d.get("records", []))
def chunks(name, m):
    return rec(name)["maps"][m]["chunks"]
def chunk_set(name, m):
    out = set()
    for r in filter(None, chunks(name, m).split(",")):
        lo, _, hi = r.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out
print(eval(sys.argv[2]))
' "$1" "$2"
}

# settles CMD...: like eventually, for a value committed in the background
# (an announced change reaches the metadata device up to a second later):
# quiet while it retries, CMD's own output on the last try.
settles()
{
	local i

	for ((i = 0; i < 100; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@"
}

# bounded TENTHS CMD...: run CMD (a command or function) in the background
# and wait at most TENTHS tenths of a second for it; then print its output
# and return its status, or return 124 and leave it running. For commands
# that may sleep uninterruptibly (I/O to a suspended device-mapper target),
# which timeout(1) could not end: the caller can then let the I/O go.
bounded()
{
	local tenths=$1 f i

	shift
	f=$(mktemp "$tmpdir/bounded.XXXXXX") || return 1
	# Nothing of it on our stdout: a $(bounded ...) must not wait for it.
	("$@" >"$f.out" 2>&1; echo $? >"$f.rc") </dev/null >/dev/null 2>&1 &
	track_pids+=("$!")
	for ((i = 0; i < tenths; i++)); do
		if [ -s "$f.rc" ]; then
			cat "$f.out"
			return "$(cat "$f.rc")"
		fi
		sleep 0.1
	done
	diag "still running after $((tenths / 10)) s: $*"
	return 124
}

# ------------------------------------------------------------------- udev
#
# The guest has no udev of its own: the udev tests start the host's
# systemd-udevd with the project's rules in /run/udev/rules.d.

UDEVD=/lib/systemd/systemd-udevd
UDEV_RULES=$VDREP_TOP/userspace/udev/60-vdrep.rules

udevd_start()
{
	local i

	mkdir -p /run/udev/rules.d || return 1
	cp "$UDEV_RULES" /run/udev/rules.d/ || return 1
	"$UDEVD" >"$tmpdir/udevd.log" 2>&1 &
	track_pids+=("$!")
	# Bounded wait for its control socket (a hang guard, not a timing check).
	for ((i = 0; i < 300; i++)); do
		udevadm control --ping >/dev/null 2>&1 && return 0
		kill -0 "${track_pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	diag_file "$tmpdir/udevd.log"
	return 1
}

# udev_settle: udevadm settle, asked again when its control connection
# breaks ("Failed to wait for daemon to reply: Broken pipe" happens now and
# then with systemd 252 when udevd closes the connection before the reply):
# that says nothing about the queue. A timeout (the queue did not empty)
# fails at once.
udev_settle()
{
	local i err

	for ((i = 0; i < 5; i++)); do
		err=$(udevadm settle --timeout=120 2>&1) && return 0
		case $err in
		*"Failed to wait for daemon"* | *"Failed to send"* | *"Broken pipe"* | *"Connection reset"*)
			diag "udevadm settle: $err (asking again)"
			sleep 0.2
			;;
		*)
			diag "udevadm settle: ${err:-the queue did not empty}"
			return 1
			;;
		esac
	done
	return 1
}

# ----------------------------------------------------------------- mirrors
#
# An association is named VOLUME/NAME, as vdrepctl names it. Its values come
# from `vdrepctl -j assoc show` (an array; keys are the spec's attribute
# names, enum values their CLI names, flags true/false), read with jq.

# The operations of assoc-modify, in the enum's order.
# shellcheck disable=SC2034
MIRROR_OPS=(activate fracture split suspend resume resync restore failover failback abort detach)

# assoc_create ASSOC TARGET [OPTION...]: vdrepctl assoc create. The cleanup
# destroys the associations of every tracked volume.
assoc_create()
{
	local assoc=$1 target=$2

	shift 2
	ctl assoc create "$assoc" "$target" "$@" && return 0
	diag "vdrepctl assoc create $assoc $target $* failed:"
	diag_file "$(out_file)"
	return 1
}

assoc_destroy()
{
	ctl assoc destroy "$1" && return 0
	diag "vdrepctl assoc destroy $1 failed:"
	diag_file "$(out_file)"
	return 1
}

# assoc_op OP ASSOC [OPTION...]: vdrepctl assoc OP ASSOC (an operation, or
# "set" with its options).
assoc_op()
{
	local op=$1 assoc=$2

	shift 2
	ctl assoc "$op" "$assoc" "$@" && return 0
	diag "vdrepctl assoc $op $assoc $* failed (it is $(assoc_states "$assoc")):"
	diag_file "$(out_file)"
	return 1
}

# json_value JSON KEY: the value of KEY in the first object of vdrepctl's
# compact JSON (strings unquoted, numbers and true/false as they are); an
# empty line when it is absent. Plain bash: jq takes a third of a second to
# start under TCG, and the state checks run hundreds of times. Enough for
# vdrepctl's flat objects, whose strings hold no quotes.
json_value()
{
	json_value_var "$@"
	echo "$REPLY"
}

# json_value_var JSON KEY: the same in $REPLY, without a subshell.
json_value_var()
{
	local re="\"$2\":(\"([^\"]*)\"|([^,}\"]*))"

	REPLY=
	if [[ $1 =~ $re ]]; then
		REPLY=${BASH_REMATCH[2]}${BASH_REMATCH[3]}
	fi
}

# json_objects JSON: the objects of a flat JSON array, one a line.
json_objects()
{
	local rest=$1

	rest=${rest#*\[}
	rest=${rest%\]*}
	[ -n "${rest//[[:space:]]/}" ] || return 0
	rest=${rest//\},\{/\}$'\n'\{}
	echo "$rest"
}

# Every association of VOLUME, then the volume can go.
assoc_destroy_all()
{
	local obj

	while read -r obj; do
		[ -n "$obj" ] && "$VDREPCTL" assoc destroy "$1/$(json_value "$obj" name)"
	done < <(json_objects "$("$VDREPCTL" -j assoc show "$1" 2>/dev/null)")
}

# assoc_get ASSOC KEY...: the values of the attributes KEY (spec names:
# copy-state, bytes-behind, ...), one a line; an empty line for one the
# kernel did not send. Fails when the association cannot be shown.
assoc_get()
{
	local assoc=$1 json k

	shift
	json=$("$VDREPCTL" -j assoc show "$assoc" 2>/dev/null) || return 1
	[[ $json == *"{"* ]] || return 1
	for k in "$@"; do
		json_value "$json" "$k"
	done
}

# copy-state/sync-state/progress-status of ASSOC, e.g.
# "synchronized/synchronized/completed".
assoc_states()
{
	assoc_get "$1" copy-state sync-state progress-status | paste -sd/
}

# check_states ASSOC STATES LABEL: one KTAP line, "LABEL: ASSOC is STATES".
check_states()
{
	check_eq "$3: $1 is $2" "$2" "$(assoc_states "$1")"
}

# assoc_is ASSOC STATES: assoc_states is STATES (diagnostics if not).
assoc_is()
{
	local now

	now=$(assoc_states "$1")
	[ "$now" = "$2" ] && return 0
	diag "$1 is $now, expected $2"
	return 1
}

# The states of the contract's table (copy/sync/progress).
# shellcheck disable=SC2034
{
ST_PREPARED=prepared/prepared/requires-activate
ST_SYNCING=unsynchronized/resync-in-progress/synchronizing
ST_RESYNCING=unsynchronized/resync-in-progress/resyncing
ST_PENDING=unsynchronized/resync-in-progress/pending
ST_SYNCHRONIZED=synchronized/synchronized/completed
ST_FRACTURED=fractured/fractured/completed
ST_SPLIT=split/fractured/completed
ST_SKEWED=skewed/fractured/completed
ST_SUSPENDED=suspended/quiesced/dormant
ST_RESTORING=unsynchronized/restore-in-progress/restoring
ST_FAILEDOVER=failedover/fractured/completed
ST_BROKEN=broken/broken/requires-resync
ST_ABORTED=aborted/fractured/requires-resync
}

# assoc_wait ASSOC COPY_STATE: vdrepctl assoc wait (COPY_STATE reached and
# no operation running), bounded by $VDREP_WAIT_TIMEOUT seconds against
# hangs (not a timing check).
assoc_wait()
{
	"$VDREPCTL" assoc wait "$1" --state "$2" --timeout "${VDREP_WAIT_TIMEOUT:-300}" \
		>"$tmpdir/wait.out" 2>&1 && return 0
	diag "vdrepctl assoc wait $1 --state $2 failed; it is $(assoc_states "$1"):"
	diag_file "$tmpdir/wait.out"
	return 1
}

# assoc_wait_for ASSOC KEY REGEX: bounded poll until the value of KEY
# matches the extended REGEX (anchored).
assoc_wait_for()
{
	local i v

	for ((i = 0; i < 1500; i++)); do
		v=$(assoc_get "$1" "$2")
		[[ $v =~ ^($3)$ ]] && return 0
		sleep 0.2
	done
	diag "$1: $2 is '$v', never matched '$3'"
	return 1
}

# assoc_wait_idle ASSOC: Synchronized with no operation running, no dirty
# chunk and no asynchronous backlog: source and target are equal.
assoc_wait_idle()
{
	local i v

	assoc_wait "$1" synchronized || return 1
	for ((i = 0; i < 1500; i++)); do
		v=$(assoc_get "$1" copy-state requested-copy-state bytes-behind dirty-chunks |
			paste -sd' ')
		case $v in
		"synchronized not-applicable 0 0" | "synchronized  0 0") return 0 ;;
		esac
		sleep 0.2
	done
	diag "$1 never idle; copy-state requested-copy-state bytes-behind dirty-chunks: $v"
	return 1
}

# assoc_view ASSOC: the target view's device (/dev/vdrepNaM) from the
# view-disk-name attribute; fails when there is none.
assoc_view()
{
	local v

	v=$(assoc_get "$1" view-disk-name) || return 1
	[ -n "$v" ] || return 1
	echo "/dev/$v"
}

# The stable part of every association (no progress counters), to show
# that a refused request changed nothing.
assoc_snapshot()
{
	local obj k line

	while read -r obj; do
		[ -n "$obj" ] || continue
		line=
		for k in volume name target-path copy-state requested-copy-state sync-state \
			progress-status view-disk-name view-writable sync-mode copy-priority \
			rate-limit backlog-limit; do
			json_value_var "$obj" "$k"
			line+="$REPLY "
		done
		echo "$line"
	done < <(json_objects "$("$VDREPCTL" -j assoc show 2>&1)")
}

# What vdrep_state shows (with fewer processes: each costs under TCG), and
# assoc_snapshot: the VDREP_STATE_FN of the mirror tests.
mirror_state()
{
	local d disks='' refcnt=''

	for d in /sys/block/vdrep*; do
		[ -e "$d" ] && disks+="${d##*/} "
	done
	echo "disks: $disks"
	"$VDREPCTL" volume show 2>&1
	read -r refcnt </sys/module/vdrep/refcnt 2>/dev/null
	echo "refcnt: $refcnt"
	assoc_snapshot
}

# expect_refused DESCRIPTION ERRNO_TEXT EXTACK_REGEX CMD...: like
# expect_fail_cmd, but ERRNO_TEXT may list alternatives ("A|B"), the extack
# part is an extended regular expression matched case-insensitively against
# "vdrepctl: MESSAGE: STRERROR" (or vdrep_nl's line), the extack must not
# be empty, and the state compared is mirror_state's.
expect_refused()
{
	local desc=$1 errtext=$2 re=$3 out before after rc fail=0 line

	shift 3
	out="$tmpdir/expect_refused.out"
	before=$(mirror_state)
	"$@" >"$out" 2>&1
	rc=$?
	after=$(mirror_state)
	if [ "$rc" -ne 1 ]; then
		diag "exit status $rc, expected 1"
		fail=1
	fi
	line=$(grep -E -- ": ($errtext)\$" "$out" | tail -n1)
	if [ -z "$line" ]; then
		diag "no '$errtext' in the output"
		fail=1
	elif ! grep -qiE -- "$re" <<<"$line"; then
		diag "the message does not match /$re/"
		fail=1
	elif grep -qE -- "^[a-z_]+: (assoc [a-z]+|[a-z-]+ failed|[a-z ]+: attribute [0-9]+ missing): ($errtext)\$" \
		<<<"$line"; then
		diag "no extack message"
		fail=1
	fi
	if [ "$before" != "$after" ]; then
		diag "state changed; before:"
		diag "$before"
		diag "after:"
		diag "$after"
		fail=1
	fi
	if [ "$fail" -ne 0 ]; then
		diag "command: $*"
		diag_file "$out"
	fi
	result "$desc" "$fail"
}

# ------------------------------------------------------------ data helpers

# chunk_pattern TAG SIZE: SIZE bytes that depend on TAG only.
chunk_pattern()
{
	yes "vdrep-$1" | head -c "$2"
}

pattern_sha()
{
	chunk_pattern "$1" "$2" | sha256sum | cut -d' ' -f1
}

# range_write DEV OFFSET LENGTH TAG: one direct write of TAG's pattern.
range_write()
{
	chunk_pattern "$4" "$3" | dd of="$1" bs="$3" seek="$2" count=1 \
		oflag=direct,seek_bytes iflag=fullblock status=none
}

# chunk_write DEV CHUNK_SIZE INDEX TAG: chunk INDEX, whole, in one write.
chunk_write()
{
	range_write "$1" $(($2 * $3)) "$2" "$4"
}

# chunk_sha DEV CHUNK_SIZE INDEX: sha256 of chunk INDEX read directly.
chunk_sha()
{
	dd if="$1" bs="$2" skip="$3" count=1 iflag=direct status=none |
		sha256sum | cut -d' ' -f1
}

# mirror_fio NAME DEV ARGS...: one verified fio job (random writes, then
# crc32c verification, direct I/O); its output in $tmpdir/fio-NAME.out.
mirror_fio()
{
	local name=$1 dev=$2

	shift 2
	(cd "$tmpdir" && exec fio --name="$name" --filename="$dev" --ioengine=libaio \
		--direct=1 --rw=randwrite --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --verify_state_save=0 --randrepeat=1 \
		--output="$tmpdir/fio-$name.out" "$@")
}

# fio_check DESCRIPTION NAME DEV ARGS...
fio_check()
{
	local desc=$1 name=$2

	shift 2
	if mirror_fio "$name" "$@"; then
		ok "$desc"
		return 0
	fi
	not_ok "$desc"
	diag_file "$tmpdir/fio-$name.out"
	return 1
}

# fio_loop_start NAME DEV ARGS...: the mirror_fio job round after round
# (a new seed each) in the background until fio_loop_stop NAME.
declare -A fio_loop_pids=()
fio_loop_start()
{
	local name=$1

	shift
	rm -f "$tmpdir/$name.stop" "$tmpdir/$name.failed"
	echo 0 >"$tmpdir/$name.rounds"
	(
		fpid=
		trap '[ -n "$fpid" ] && kill "$fpid" 2>/dev/null; wait; exit 1' TERM
		n=0
		while [ ! -e "$tmpdir/$name.stop" ]; do
			n=$((n + 1))
			mirror_fio "$name" "$@" --randseed="$n" &
			fpid=$!
			if ! wait "$fpid"; then
				cp "$tmpdir/fio-$name.out" "$tmpdir/$name.failed"
				exit 1
			fi
			echo "$n" >"$tmpdir/$name.rounds"
		done
		exit 0
	) &
	fio_loop_pids[$name]=$!
	track_pids+=("$!")
}

# Rounds fio_loop NAME has completed so far.
fio_loop_rounds()
{
	cat "$tmpdir/$1.rounds" 2>/dev/null || echo 0
}

# fio_loop_stop NAME: ends the loop after its current round; succeeds when
# every round verified and at least one ran.
fio_loop_stop()
{
	local name=$1 rc

	touch "$tmpdir/$name.stop"
	wait "${fio_loop_pids[$name]}"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		diag "fio loop $name failed in round $(($(fio_loop_rounds "$name") + 1)):"
		diag_file "$tmpdir/$name.failed"
		return 1
	fi
	if [ "$(fio_loop_rounds "$name")" -lt 1 ]; then
		diag "fio loop $name ran no round"
		return 1
	fi
}

# monitor_start FILE [OPTION...]: vdrepctl [OPTION...] monitor in the
# background, writing FILE; returns once it has dumped the current state
# (so it is subscribed). Its pid is in $monitor_pid.
monitor_pid=
monitor_start()
{
	local file=$1

	shift
	"$VDREPCTL" "$@" monitor >"$file" 2>&1 &
	monitor_pid=$!
	track_pids+=("$monitor_pid")
	wait_for_line "$file" '^exists -$|"object": *"-"' "$monitor_pid"
}

# --------------------------------------------------------- device-mapper

# dm_require TARGET...: skip the whole test unless dmsetup and these
# device-mapper targets (loading their modules) are there.
dm_require()
{
	local t

	require_tools dmsetup
	modprobe dm-mod 2>/dev/null
	for t in "$@"; do
		case $t in
		linear | error) ;;
		*) modprobe "dm-$t" 2>/dev/null ;;
		esac
		dmsetup targets 2>/dev/null | grep -qw "^$t" ||
			ktap_skip_all "no device-mapper target $t (CONFIG_DM_${t^^})"
	done
}

dm_sectors()
{
	blockdev --getsz "$1"
}

# Tables over a whole device DEV.
dm_table_linear() { echo "0 $(dm_sectors "$1") linear $1 0"; }
dm_table_error() { echo "0 $(dm_sectors "$1") error"; }
# dm_table_delay DEV WRITE_MS: reads at once, writes (and flushes) WRITE_MS late.
dm_table_delay() { echo "0 $(dm_sectors "$1") delay $1 0 0 $1 0 $2"; }
# dm_table_flakey DEV UP_SECONDS DOWN_SECONDS [FEATURE...]
dm_table_flakey()
{
	local dev=$1 up=$2 down=$3

	shift 3
	if [ $# -gt 0 ]; then
		echo "0 $(dm_sectors "$dev") flakey $dev 0 $up $down $# $*"
	else
		echo "0 $(dm_sectors "$dev") flakey $dev 0 $up $down"
	fi
}

# dm_create NAME TABLE: /dev/mapper/NAME, removed by the cleanup (which
# also resumes it if a test left it suspended). DM_DISABLE_UDEV=1 (set by
# the guest) makes dmsetup create the node itself.
dm_create()
{
	dmsetup create "$1" --table "$2" || return 1
	track_dm+=("$1")
	[ -b "/dev/mapper/$1" ] || dmsetup mknodes "$1"
	[ -b "/dev/mapper/$1" ] || { diag "no /dev/mapper/$1"; return 1; }
}

# dm_reload NAME TABLE: the new table takes over (suspend, swap, resume).
dm_reload()
{
	dmsetup reload "$1" --table "$2" && dmsetup resume "$1"
}

dm_remove()
{
	local i

	dmsetup remove --retry "$1" || return 1
	for i in "${!track_dm[@]}"; do
		[ "${track_dm[i]}" = "$1" ] && unset 'track_dm[i]'
	done
	return 0
}

# ------------------------------------------------------ snapshots and clones
#
# Snapshots (--type snapshot) and clones (--type clone) are associations
# too: the mirror helpers above work on them. What follows is theirs.

# The states of the snapshot and clone table (copy/sync/progress).
# shellcheck disable=SC2034
{
ST_SNAP_SPLIT=split/idle/completed
ST_SNAP_SKEWED=skewed/idle/completed
ST_CLONE_FILLING=unsynchronized/copy-in-progress/synchronizing
ST_CLONE_SPLIT=split/frozen/completed
}

# dm_slice NAME DEV START_MIB SIZE_MIB: /dev/mapper/NAME, a dm-linear piece
# of DEV (a volume smaller than its snapshot stores, or a small store, on
# ramdisks of one size); removed by the cleanup.
dm_slice()
{
	dm_create "$1" "0 $(($4 * 2048)) linear $2 $(($3 * 2048))"
}

# vol_get VOLUME KEY: the value of the volume attribute KEY (spec name:
# old-data-reads, ...), read raw (vdrep_nl.py get); empty when the kernel
# did not send it. Fails when the volume cannot be read.
vol_get()
{
	local out

	out=$(vdrep_nl get --name "$1" 2>/dev/null) || return 1
	sed -n "s/^${2//-/_}=//p" <<<"$out"
}

# snap_create ASSOC STORE [OPTION...]: a snapshot of the volume on STORE.
snap_create()
{
	local assoc=$1 store=$2

	shift 2
	assoc_create "$assoc" "$store" --type snapshot "$@"
}

# clone_create ASSOC TARGET [OPTION...]: a clone of the volume on TARGET.
clone_create()
{
	local assoc=$1 target=$2

	shift 2
	assoc_create "$assoc" "$target" --type clone "$@"
}

# view_sha ASSOC: sha256 of ASSOC's target view (direct reads); fails when
# it has no view or a read fails.
view_sha()
{
	local view sum

	view=$(assoc_view "$1") || { diag "$1 has no view"; return 1; }
	sum=$(set -o pipefail; dd if="$view" bs=1M iflag=direct status=none | sha256sum) ||
		{ diag "reading $view failed"; return 1; }
	echo "${sum%% *}"
}

# read_eio DEV: a direct read of DEV fails with EIO.
read_eio()
{
	local out

	out=$(dd if="$1" of=/dev/null bs=64K iflag=direct status=none 2>&1) && {
		diag "reading $1 succeeded"
		return 1
	}
	grep -q "Input/output error" <<<"$out" && return 0
	diag "reading $1 failed otherwise: $out"
	return 1
}

# assoc_wait_destroyed ASSOC: vdrepctl assoc wait --destroyed (the
# association removed itself, as an unsync-unassoc clone does once
# filled), bounded by $VDREP_WAIT_TIMEOUT seconds against hangs.
assoc_wait_destroyed()
{
	"$VDREPCTL" assoc wait "$1" --destroyed --timeout "${VDREP_WAIT_TIMEOUT:-300}" \
		>"$tmpdir/wait.out" 2>&1 && return 0
	diag "vdrepctl assoc wait $1 --destroyed failed; it is $(assoc_states "$1"):"
	diag_file "$tmpdir/wait.out"
	return 1
}

# touch_chunks DEV CHUNK_SIZE TAG INDEX...: one direct 4 KiB write of TAG's
# pattern 8 KiB into each chunk INDEX (a write that needs the chunk's old
# data: it does not cover the chunk).
touch_chunks()
{
	local dev=$1 cs=$2 tag=$3 i

	shift 3
	for i in "$@"; do
		range_write "$dev" $((i * cs + 8192)) 4096 "$tag-$i" || return 1
	done
}

# assoc_gone ASSOC: show no longer finds ASSOC.
assoc_gone()
{
	! "$VDREPCTL" assoc show "$1" >/dev/null 2>&1
}

# ---- fault-injection tests (test_fault_*) -----------------------------------

# fault_seed: SEED is VDREP_FAULT_SEED, or random; the generator (rand)
# starts from it, so a seed printed by a run replays it.
fault_seed()
{
	SEED=${VDREP_FAULT_SEED:-$(($(date +%s%N) % 2147483648))}
	rng=$SEED
}

# rand N: a number in [0, N) from the seed, in $REPLY (no subshell: the
# state must advance). A linear congruential generator, so a seed replays
# alike whatever bash runs it.
rand()
{
	rng=$(((rng * 1103515245 + 12345) % 2147483648))
	REPLY=$(((rng >> 8) % $1))
}

# wait_broken ASSOC: ASSOC becomes broken. A fault breaks it as the failing
# I/O completes (or the next write), so the wait is bounded tighter than
# assoc_wait's default (against hangs; not a timing check).
wait_broken()
{
	VDREP_WAIT_TIMEOUT=120 assoc_wait "$1" broken
}

# others_fine VICTIM...: every association of volume $V named in the
# caller's associative array "allowed" (name -> states it may be in), other
# than the VICTIMs, is in one of its allowed states.
others_fine()
{
	local x st fail=0

	# shellcheck disable=SC2154 # the calling test defines "allowed"
	for x in "${!allowed[@]}"; do
		[[ " $* " == *" $x "* ]] && continue
		st=$(assoc_states "$V/$x")
		if [[ " ${allowed[$x]} " != *" $st "* ]]; then
			diag "$V/$x is $st"
			fail=1
		fi
	done
	return "$fail"
}

# fio_more N: the fio loop "bg" completes N more rounds (bounded wait: 10
# minutes; against hangs, not a timing check).
fio_more()
{
	local want=$(($(fio_loop_rounds bg) + $1)) i

	for ((i = 0; i < 6000; i++)); do
		[ "$(fio_loop_rounds bg)" -ge "$want" ] && return 0
		kill -0 "${fio_loop_pids[bg]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# fio_finish: the fio round running now completes, then one more (wholly
# after the fault), and the loop stops; every round verified.
fio_finish()
{
	local rc=0

	fio_more 1 || { echo "fio did not complete its round"; rc=1; }
	fio_loop_stop bg || rc=1
	return "$rc"
}

# mon_new: the lines the monitor file $mon got since line $mon_mark.
mon_new()
{
	# shellcheck disable=SC2154 # the calling test sets mon and mon_mark
	tail -n +"$((mon_mark + 1))" "$mon"
}
