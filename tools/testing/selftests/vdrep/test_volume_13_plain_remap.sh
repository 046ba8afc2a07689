#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESIGN.md I/O invariant 7: with no association, the volume is a plain
# remap. Every read and write sent to the volume reaches the source as
# exactly one I/O of the same size: nothing is read before a write, nothing
# is copied, nothing is sent twice. Counted on a loop device, which (unlike
# brd) keeps I/O statistics; direct I/O at queue depth 1 so the block layer
# merges nothing.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
ktap_plan 10

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
loop_setup 64 512 || ktap_abort "cannot set up a loop device"
src=$loop_dev
check "create volume t13 on $src" vol_create t13 "$src" ||
	ktap_abort "volume create failed"
disk=$(vol_disk t13)

# stat_delta DEV FIELD BEFORE: how much field FIELD of DEV's stat grew.
stat_delta()
{
	echo $(($(disk_stat "$1" "$2") - $3))
}

# io NAME DD_ARGS...: run dd on the volume and compare the source's and
# the volume's read/write counters before and after. NAME only tells the
# reader what the call is for.
io()
{
	local s_r s_rs s_w s_ws v_r v_w

	shift
	s_r=$(disk_stat "$src" 1) s_rs=$(disk_stat "$src" 3)
	s_w=$(disk_stat "$src" 5) s_ws=$(disk_stat "$src" 7)
	v_r=$(disk_stat "$disk" 1) v_w=$(disk_stat "$disk" 5)
	dd "$@" status=none || return 1
	echo "$(stat_delta "$src" 1 "$s_r") $(stat_delta "$src" 3 "$s_rs")" \
	     "$(stat_delta "$src" 5 "$s_w") $(stat_delta "$src" 7 "$s_ws")" \
	     "$(stat_delta "$disk" 1 "$v_r") $(stat_delta "$disk" 5 "$v_w")"
}

# Fields: source reads, sectors read, writes, sectors written; volume reads, writes.
check_eq "64 direct 4 KiB reads: the source sees 64 reads of 8 sectors, no write" \
	"64 512 0 0 64 0" \
	"$(io reads if="/dev/$disk" of=/dev/null bs=4096 count=64 skip=100 iflag=direct)"
check_eq "64 direct 4 KiB writes: the source sees 64 writes of 8 sectors, no read" \
	"0 0 64 512 0 64" \
	"$(io writes if=/dev/urandom of="/dev/$disk" bs=4096 count=64 seek=300 oflag=direct)"
check_eq "one direct 512-byte write: one source write of 1 sector, no read" \
	"0 0 1 1 0 1" \
	"$(io small if=/dev/urandom of="/dev/$disk" bs=512 count=1 seek=7 oflag=direct)"
check_eq "8 direct 128 KiB reads: the source reads 2048 sectors, nothing else" \
	"2048 0 0" \
	"$(io big if="/dev/$disk" of=/dev/null bs=128K count=8 iflag=direct | awk '{ print $2, $3, $4 }')"

# What was written through the volume is on the source, byte for byte.
check "the source holds what the volume holds" \
	cmp <(dd if="/dev/$disk" bs=1M iflag=direct status=none) \
	    <(dd if="$src" bs=1M iflag=direct status=none)
check_eq "nothing in flight on the volume or the source" "0 0 0 0" \
	"$(cat "/sys/block/$disk/inflight" "/sys/block/$(basename "$src")/inflight" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')"
check "destroy t13" vol_destroy t13
check "detach $src" loop_detach "$src"

ktap_finished
