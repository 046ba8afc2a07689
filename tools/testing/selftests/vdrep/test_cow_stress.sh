#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Copy-on-write under load. fio runs 4 jobs of random 4 KiB writes with
# crc32c verification (each job its own quarter of the volume, verifying as
# it goes: --verify_backlog) for 60 s of its own runtime (VDREP_STRESS_RUNTIME
# sets another; run-all.sh gives 30 s on every lane, for CI's time), while a loop
# takes snapshots and destroys the oldest, at most 4 at once (4 ramdisk
# stores, each with room for every chunk of the 16 MiB volume). Each new
# snapshot's view is read twice, a few seconds apart while fio keeps
# writing: the same sha256 (a stable point in time); it is read again just
# before the snapshot is destroyed and at the end: still the same. Every
# snapshot stays split/idle/completed, fio's verification passes, and the
# volume reads as its source. The runner fails the test on any kernel splat
# in dmesg.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio sha256sum jq
dm_require linear
ktap_plan 12

RUNTIME=${VDREP_STRESS_RUNTIME:-60}
MAX_SNAPS=4

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup $((MAX_SNAPS + 1)) 20 || ktap_abort "cannot set up brd ramdisks"
setup()
{
	dm_slice stv /dev/ram0 0 16 || return 1
	dev_fill_random /dev/mapper/stv
	vol_create st /dev/mapper/stv chunk-size 64K
}
check "create volume st on a 16 MiB slice of /dev/ram0" setup || ktap_abort "volume create failed"
vol=/dev/$(vol_disk st)

# mirror_fio's job, with fio itself in the background (its pid in $!).
(cd "$tmpdir" && exec fio --name=stress --filename="$vol" --ioengine=libaio --direct=1 \
	--rw=randwrite --verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
	--randrepeat=1 --output="$tmpdir/fio-stress.out" --bs=4k --iodepth=8 --numjobs=4 \
	--size=4M --offset_increment=4M --time_based --runtime="$RUNTIME" --verify_backlog=256 \
	--group_reporting) &
fio_pid=$!
track_pids+=("$fio_pid")
diag "fio runs for ${RUNTIME}s (pid $fio_pid)"

names=()
declare -A store_of=() sha_of=()
n=0 checked=0 destroyed=0
create_bad=0 twice_bad=0 late_bad=0 state_bad=0 destroy_bad=0

# free_store: a store no snapshot uses, in $REPLY.
free_store()
{
	local d name used

	for ((d = 1; d <= MAX_SNAPS; d++)); do
		used=0
		for name in "${names[@]}"; do
			[ "${store_of[$name]}" = "$d" ] && used=1
		done
		[ "$used" -eq 0 ] && { REPLY=/dev/ram$d; return 0; }
	done
	return 1
}

while kill -0 "$fio_pid" 2>/dev/null; do
	if [ "${#names[@]}" -ge "$MAX_SNAPS" ]; then
		old=${names[0]}
		s=$(view_sha "st/$old")
		if [ "$s" != "${sha_of[$old]}" ]; then
			diag "st/$old: its view read $s before its destroy, ${sha_of[$old]} at first"
			late_bad=1
		fi
		assoc_is "st/$old" "$ST_SNAP_SPLIT" || state_bad=1
		if ! assoc_destroy "st/$old"; then
			destroy_bad=1
			break
		fi
		destroyed=$((destroyed + 1))
		names=("${names[@]:1}")
	fi
	free_store || { diag "no free store"; create_bad=1; break; }
	n=$((n + 1))
	if ! snap_create "st/s$n" "$REPLY"; then
		create_bad=1
		break
	fi
	names+=("s$n")
	store_of[s$n]=${REPLY#/dev/ram}
	a=$(view_sha "st/s$n")
	sleep 3
	b=$(view_sha "st/s$n")
	if [ -z "$a" ] || [ "$a" != "$b" ]; then
		diag "st/s$n: its view read $a, then $b"
		twice_bad=1
	fi
	sha_of[s$n]=$a
	assoc_is "st/s$n" "$ST_SNAP_SPLIT" || state_bad=1
	checked=$((checked + 1))
done
diag "snapshots created: $n, checked: $checked, destroyed while fio ran: $destroyed"

check "at least one snapshot was taken and checked while fio ran" test "$checked" -gt 0
result "every snapshot create succeeded" "$create_bad"
result "each view read the same sha256 twice, seconds apart, under fio" "$twice_bad"
result "each view read the same again just before its destroy" "$late_bad"
result "every destroy succeeded" "$destroy_bad"
wait "$fio_pid"
fio_rc=$?
if [ "$fio_rc" -eq 0 ]; then
	ok "fio's 4 jobs verified everything they wrote"
else
	not_ok "fio's 4 jobs verified everything they wrote"
	diag "fio exited $fio_rc"
	diag_file "$tmpdir/fio-stress.out"
fi
remaining()
{
	local name s rc=0

	for name in "${names[@]}"; do
		s=$(view_sha "st/$name")
		if [ "$s" != "${sha_of[$name]}" ]; then
			diag "st/$name: its view reads $s, ${sha_of[$name]} at first"
			rc=1
		fi
	done
	return "$rc"
}
check "after fio, the remaining views (${#names[@]}) still read their first sha256" remaining
for name in "${names[@]}"; do
	assoc_is "st/$name" "$ST_SNAP_SPLIT" || state_bad=1
done
result "every snapshot was $ST_SNAP_SPLIT at each check (none broken)" "$state_bad"
check_eq "the volume reads as its source" "$(dev_sha256 /dev/mapper/stv)" "$(dev_sha256 "$vol")"
destroy_rest()
{
	local name

	for name in "${names[@]}"; do
		assoc_destroy "st/$name" || return 1
	done
	vol_destroy st
}
check "destroy the remaining snapshots and st" destroy_rest

ktap_finished
