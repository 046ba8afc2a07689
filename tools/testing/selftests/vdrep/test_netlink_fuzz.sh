#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Netlink fuzzing of the vdrep family with vdrep_nlfuzz (built from
# vdrep_nlfuzz.c by the Makefile here; Documentation/dev-tools/netlink-fuzz.rst).
# Two volumes on ramdisks carry objects in several states: a synchronized
# mirror, a fractured mirror and a snapshot of nf1; a clone held in its fill
# (--rate 64K) and a prepared mirror of nf2. Against them:
#  - an unprivileged user (uid 65534, no capability) sends VDREP_FUZZ_COUNT
#    messages (default 100000): no malformed message succeeds, every mutating
#    request the kernel reads is refused with EPERM, and the volumes and
#    associations are the same afterwards;
#  - root sends as many, with another seed: no malformed message succeeds
#    (well-formed requests on these objects, on names that do not exist and
#    on the test's ramdisks or paths that do not exist may do anything).
# Both runs must keep the socket answering (vdrep_nlfuzz --timeout). Then
# everything left is destroyed and the driver must still work: a new volume
# with a synchronous mirror passes a fio verify through the volume, the
# target equals the volume, both are destroyed, the module's reference count
# is 0 and it unloads.
#
# Seeds: VDREP_FUZZ_SEED (the root run; the unprivileged run takes SEED+1),
# random when unset; both are printed with the command that replays them.
# VDREP_FUZZ_TIMEOUT: seconds without an answer that fail a run (default 10).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools setpriv fio sha256sum
ktap_plan 21

COUNT=${VDREP_FUZZ_COUNT:-100000}
TIMEOUT=${VDREP_FUZZ_TIMEOUT:-10}
SEED=${VDREP_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
FUZZ=$VDREP_TEST_DIR/vdrep_nlfuzz

[ -x "$FUZZ" ] || ktap_abort "no $FUZZ: make -C $VDREP_TEST_DIR (build-module.sh does)"

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 10 16 || ktap_abort "cannot set up brd ramdisks"
dev_fill_random /dev/ram0 4
dev_fill_random /dev/ram1 4

setup_objects()
{
	vol_create nf1 /dev/ram0 chunk-size 64K &&
		vol_create nf2 /dev/ram1 chunk-size 64K &&
		assoc_create nf1/m /dev/ram2 --mode sync &&
		assoc_create nf1/f /dev/ram3 &&
		assoc_wait nf1/f synchronized &&
		assoc_op fracture nf1/f &&
		snap_create nf1/s /dev/ram4 &&
		clone_create nf2/c /dev/ram5 --rate 64K &&
		assoc_create nf2/p /dev/ram6 --prepare-only &&
		assoc_wait nf1/m synchronized
}
check "objects: volumes nf1 nf2; nf1/m synchronized, nf1/f fractured, snapshot nf1/s, clone nf2/c filling, nf2/p prepared" \
	setup_objects || ktap_abort "cannot create the objects to fuzz"

# Every volume and association, one a line, sorted.
objects()
{
	local obj

	while read -r obj; do
		[ -n "$obj" ] && echo "volume $(json_value "$obj" name)"
	done < <(json_objects "$("$VDREPCTL" -j volume show 2>/dev/null)")
	while read -r obj; do
		[ -n "$obj" ] && echo "assoc $(json_value "$obj" volume)/$(json_value "$obj" name)"
	done < <(json_objects "$("$VDREPCTL" -j assoc show 2>/dev/null)")
}

# Names: the objects above and names no object has. Devices: the test's
# ramdisks (ram7..9 are free) and paths that do not exist.
fuzz_args=(--count "$COUNT" --timeout "$TIMEOUT")
for n in nf1 nf2 m f s c p nf3 ghost; do
	fuzz_args+=(--name "$n")
done
for i in 0 1 2 3 4 5 6 7 8 9; do
	fuzz_args+=(--dev "/dev/ram$i")
done
fuzz_args+=(--dev /dev/ram99 --dev /dev/nonexistent-nlfuzz --dev /nonexistent-nlfuzz/dev)

# The unprivileged user may not be able to read the tree through 9p.
chmod 755 "$tmpdir"
install -m 755 "$FUZZ" "$tmpdir/vdrep_nlfuzz"

nobody()
{
	(cd "$tmpdir" && setpriv --reuid=65534 --regid=65534 --clear-groups "$@")
}

# fuzz_run LABEL SEED [--as-nobody] [ARGS...]: one fuzzer run; its summary
# goes to the diagnostics, its status is returned.
fuzz_run()
{
	local label=$1 seed=$2 out=$tmpdir/fuzz-$1.out start rc
	local -a cmd=("$tmpdir/vdrep_nlfuzz" --seed "$seed" "${fuzz_args[@]}")

	shift 2
	if [ "${1:-}" = --as-nobody ]; then
		shift
		cmd=(nobody "${cmd[@]}")
	fi
	cmd+=("$@")
	diag "$label: vdrep_nlfuzz --seed $seed ${fuzz_args[*]} $*"
	start=$SECONDS
	"${cmd[@]}" >"$out" 2>&1
	rc=$?
	diag "$label: exit status $rc after $((SECONDS - start)) s"
	head -n 80 "$out" | sed 's/^/#   /'
	return "$rc"
}

before=$(objects)
fuzz_run unprivileged $((SEED + 1)) --as-nobody --expect-eperm-for-mutating
result "unprivileged fuzz (seed $((SEED + 1)), $COUNT messages): no malformed message succeeded, every mutating request got EPERM, the socket kept answering" $?
check_eq "the unprivileged run changed no volume or association" "$before" "$(objects)"

fuzz_run root "$SEED"
result "root fuzz (seed $SEED, $COUNT messages): no malformed message succeeded, the socket kept answering" $?
diag "left by the root run:"
diag "$(objects)"
check "the family still answers (vdrepctl volume show)" "$VDREPCTL" volume show

# Whatever the fuzzer left: associations first (a restore or a failover
# must end before its association can go), then the volumes.
destroy_all()
{
	local i obj a v left

	for ((i = 0; i < 120; i++)); do
		while read -r obj; do
			[ -n "$obj" ] || continue
			a=$(json_value "$obj" volume)/$(json_value "$obj" name)
			"$VDREPCTL" assoc destroy "$a" >/dev/null 2>&1 && continue
			"$VDREPCTL" assoc set "$a" --rate 0 --priority high >/dev/null 2>&1
			for op in failback resume resync; do
				"$VDREPCTL" assoc "$op" "$a" >/dev/null 2>&1
			done
		done < <(json_objects "$("$VDREPCTL" -j assoc show 2>/dev/null)")
		while read -r obj; do
			[ -n "$obj" ] || continue
			v=$(json_value "$obj" name)
			"$VDREPCTL" volume destroy "$v" >/dev/null 2>&1
		done < <(json_objects "$("$VDREPCTL" -j volume show 2>/dev/null)")
		left=$(objects)
		[ -z "$left" ] && return 0
		sleep 0.5
	done
	diag "still there:"
	diag "$left"
	"$VDREPCTL" assoc show 2>&1 | head -n 40 | sed 's/^/#   /'
	return 1
}
check "every association and volume left is destroyed" destroy_all
track_volumes=()
check_eq "no vdrep disk is left" "" "$(vdrep_disks)"
check_eq "the module's reference count is 0" 0 "$(module_refcnt)"

# --- the driver still works
check "create volume nf9 on /dev/ram7" vol_create nf9 /dev/ram7 || ktap_abort "volume create failed"
vol=/dev/$(vol_disk nf9)
check "synchronous mirror nf9/m on /dev/ram8" assoc_create nf9/m /dev/ram8 --mode sync ||
	ktap_abort "mirror create failed"
check "nf9/m reaches synchronized" assoc_wait nf9/m synchronized
fio_check "fio writes and verifies 8 MiB through the volume" nf9 "$vol" --bs=4k \
	--size=8M --iodepth=8
check "nf9/m is idle (synchronized, nothing behind)" assoc_wait_idle nf9/m
check_eq "the mirror target equals the volume" "$(dev_sha256 "$vol")" "$(dev_sha256 /dev/ram8)"
check "destroy nf9/m" assoc_destroy nf9/m
check "destroy nf9" vol_destroy nf9
check_eq "the module's reference count is 0" 0 "$(module_refcnt)"
check "rmmod vdrep" rmmod vdrep
no_family()
{
	"$tmpdir/vdrep_nlfuzz" --count 1 2>&1 | grep 'no generic netlink family "vdrep"'
}
check "the family is gone with the module (vdrep_nlfuzz finds no family)" no_family
check "/dev/ram8 is released" open_excl /dev/ram8

ktap_finished
