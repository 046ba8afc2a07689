#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Data integrity through a volume on a brd ramdisk: data already on the
# source reads back through the volume; fio random writes with
# verify=crc32c, direct I/O, several block sizes, each on its own region;
# afterwards the source holds exactly what the volume shows (sha256 of
# both, cmp, and fio verifying the source itself).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools fio cmp sha256sum
ktap_plan 12

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 1 64 || ktap_abort "cannot set up brd ramdisks"

dev_fill_random /dev/ram0
before=$(dev_sha256 /dev/ram0)
check "create volume t02 on /dev/ram0" vol_create t02 /dev/ram0 ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk t02)
check_eq "data already on the source reads back through the volume" \
	"$before" "$(dev_sha256 "$vol")"

# run_fio NAME DEV ARGS...: one verified random-write job; its output is
# shown when it fails. State files would land in the read-only cwd.
run_fio()
{
	local name=$1 dev=$2

	shift 2
	(cd "$tmpdir" && fio --name="$name" --filename="$dev" --ioengine=libaio \
		--direct=1 --rw=randwrite --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --verify_state_save=0 --randrepeat=1 \
		--output="$tmpdir/fio-$name.out" "$@")
}

fio_check()
{
	local desc=$1 name=$2

	shift 2
	if run_fio "$name" "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		diag_file "$tmpdir/fio-$name.out"
	fi
}

fio_check "fio verify, bs=512, iodepth 8" bs512 "$vol" --bs=512 --iodepth=8 \
	--offset=0 --size=4M
fio_check "fio verify, bs=4k, iodepth 16" bs4k "$vol" --bs=4k --iodepth=16 \
	--offset=4M --size=16M
fio_check "fio verify, bs=64k, iodepth 4" bs64k "$vol" --bs=64k --iodepth=4 \
	--offset=20M --size=16M
fio_check "fio verify, bs=1M, iodepth 2" bs1m "$vol" --bs=1M --iodepth=2 \
	--offset=36M --size=8M
fio_check "fio verify, mixed 4k..256k, iodepth 16" bsmix "$vol" \
	--bssplit=4k/40:16k/30:128k/20:256k/10 --iodepth=16 --offset=44M --size=20M

check_eq "source and volume have the same sha256" "$(dev_sha256 /dev/ram0)" \
	"$(dev_sha256 "$vol")"
blockdev --flushbufs /dev/ram0
blockdev --flushbufs "$vol"
check "cmp volume source" cmp "$vol" /dev/ram0

# The same job again, only verifying, on the source itself: the source
# holds the very blocks fio wrote, not just something equal to the volume.
if run_fio bs4k /dev/ram0 --bs=4k --iodepth=16 --offset=4M --size=16M \
	--verify_only; then
	ok "fio --verify_only of the bs=4k region on the source"
else
	not_ok "fio --verify_only of the bs=4k region on the source"
	diag_file "$tmpdir/fio-bs4k.out"
fi

check "destroy t02" vol_destroy t02

ktap_finished
