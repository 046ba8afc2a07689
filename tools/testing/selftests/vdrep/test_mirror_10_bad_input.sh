#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad assoc-create, assoc-modify and assoc-destroy requests are refused with
# the contract's errno and an extack message, and change nothing (every
# volume, disk, module reference and association as before; no target stays
# held). Through vdrepctl, and through raw netlink (vdrep_nl.py) for what
# vdrepctl cannot send: missing attributes, an empty name, enum values out of
# range. Covered: unknown volume or association, a taken name, bad names,
# the 17th association, a target too small, in use (another volume's
# source, a mounted filesystem, another association's target), the volume's
# own source, not a block device, bad sync-mode/sync-type/priority/
# operation values, backlog limits out of range, a sync mode given for a
# snapshot, volume destroy with associations, and every change request
# of a caller without CAP_NET_ADMIN (EPERM; show still works).

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools jq mkfs.ext4 setpriv
ktap_plan 52

ENOENT="No such file or directory"
ENOTBLK="Block device required"
EBUSY="Device or resource busy"
EEXIST="File exists"
ENAMETOOLONG="File name too long"
EINVAL="Invalid argument"
ENOSPC="No space left on device"
EPERM="Operation not permitted"
# Netlink policy ranges give ERANGE; the contract names no errno for them.
ERANGE="Numerical result out of range"
# The contract's messages.
TOO_SMALL="target is smaller than the volume"
TOO_MANY="volume has 16 associations"
HAS_ASSOCS="volume has associations"
VDREP_STATE_FN=mirror_state

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 4 16 || ktap_abort "cannot set up brd ramdisks"
modprobe ext4 2>/dev/null

check "create volume b10 on /dev/ram0" vol_create b10 /dev/ram0 || ktap_abort "volume create failed"
check "create volume b10o on /dev/ram2" vol_create b10o /dev/ram2 ||
	ktap_abort "volume create failed"
check "create b10/m on /dev/ram1 (--prepare-only)" \
	assoc_create b10/m /dev/ram1 --prepare-only || ktap_abort "assoc create failed"

# --- assoc-create: missing attributes (raw)
expect_refused "raw create without a volume: EINVAL" "$EINVAL" "volume" \
	vdrep_nl assoc-create --name x --target /dev/ram3
expect_refused "raw create without a name: EINVAL" "$EINVAL" "name" \
	vdrep_nl assoc-create --volume b10 --target /dev/ram3
expect_refused "raw create without a target: EINVAL" "$EINVAL" "target" \
	vdrep_nl assoc-create --volume b10 --name x
expect_refused "raw create with an empty name: EINVAL" "$EINVAL" "empty" \
	vdrep_nl assoc-create --volume b10 --name "" --target /dev/ram3

# --- names and volumes
expect_refused "create on an unknown volume: ENOENT" "$ENOENT" "no volume with this name" \
	"$VDREPCTL" assoc create nope/x /dev/ram3
expect_refused "create with a taken name: EEXIST" "$EEXIST" "exists" \
	"$VDREPCTL" assoc create b10/m /dev/ram3
expect_refused "a name of 32 bytes: ENAMETOOLONG" "$ENAMETOOLONG" "longer than 31 bytes" \
	"$VDREPCTL" assoc create "b10/$(printf 'n%.0s' {1..32})" /dev/ram3
expect_refused "a name with ':': EINVAL" "$EINVAL" "may only contain" \
	"$VDREPCTL" assoc create "b10/a:b" /dev/ram3
expect_refused "a name with a space: EINVAL" "$EINVAL" "may only contain" \
	"$VDREPCTL" assoc create "b10/a b" /dev/ram3

# --- targets
loop_setup 8 512 || ktap_abort "no loop device"
small=$loop_dev
touch "$tmpdir/regular"
expect_refused "a target smaller than the volume: EINVAL" "$EINVAL" "$TOO_SMALL" \
	"$VDREPCTL" assoc create b10/x "$small"
expect_refused "a target that is another volume's source: EBUSY" "$EBUSY" "in use" \
	"$VDREPCTL" assoc create b10/x /dev/ram2
if mkfs.ext4 -q -F /dev/ram3 && mount_dev /dev/ram3 "$tmpdir/mnt"; then
	expect_refused "a mounted target: EBUSY" "$EBUSY" "in use" \
		"$VDREPCTL" assoc create b10/x /dev/ram3
	umount_dir "$tmpdir/mnt"
else
	not_ok "a mounted target: EBUSY"
	diag "cannot mount ext4 on /dev/ram3"
fi
expect_refused "the volume's own source as target: EBUSY or EINVAL" "$EBUSY|$EINVAL" \
	"source" "$VDREPCTL" assoc create b10/x /dev/ram0
expect_refused "another association's target: EBUSY or EINVAL" "$EBUSY|$EINVAL" \
	"target|in use" "$VDREPCTL" assoc create b10/x /dev/ram1
expect_refused "a nonexistent target path: ENOENT" "$ENOENT" "target" \
	"$VDREPCTL" assoc create b10/x /dev/vdrep-no-such-device
expect_refused "a regular file as target: ENOTBLK" "$ENOTBLK" "not a block device" \
	"$VDREPCTL" assoc create b10/x "$tmpdir/regular"

# --- values
expect_refused "raw sync-mode 7: EINVAL" "$EINVAL" "mode|range|invalid" \
	vdrep_nl assoc-create --volume b10 --name x --target /dev/ram3 --sync-mode 7
expect_refused "raw sync-mode 0 (unknown): EINVAL" "$EINVAL" "mode|range|invalid" \
	vdrep_nl assoc-create --volume b10 --name x --target /dev/ram3 --sync-mode 0
expect_refused "raw sync-type 99: EINVAL or ERANGE" "$EINVAL|$ERANGE" "type|range|invalid" \
	vdrep_nl assoc-create --volume b10 --name x --target /dev/ram3 --sync-type 99
expect_refused "sync mode given for a snapshot: EINVAL" "$EINVAL" "only to mirrors" \
	vdrep_nl assoc-create --volume b10 --name x --target /dev/ram3 --sync-type 7 --sync-mode 2
expect_refused "raw copy-priority 4: EINVAL or ERANGE" "$EINVAL|$ERANGE" "priority|range|invalid" \
	vdrep_nl assoc-create --volume b10 --name x --target /dev/ram3 --priority 4
expect_refused "async backlog 512K (below 1M): EINVAL or ERANGE" "$EINVAL|$ERANGE" "backlog" \
	"$VDREPCTL" assoc create b10/x /dev/ram3 --mode async --backlog 512K
expect_refused "async backlog 2G (above 1G): EINVAL or ERANGE" "$EINVAL|$ERANGE" "backlog" \
	"$VDREPCTL" assoc create b10/x /dev/ram3 --mode async --backlog 2G

# --- assoc-modify
expect_refused "raw modify without a volume: EINVAL" "$EINVAL" "volume" \
	vdrep_nl assoc-modify --name m --operation activate
expect_refused "raw modify without a name: EINVAL" "$EINVAL" "name" \
	vdrep_nl assoc-modify --volume b10 --operation activate
expect_refused "modify of an unknown association: ENOENT" "$ENOENT" "association" \
	"$VDREPCTL" assoc activate b10/nope
expect_refused "modify on an unknown volume: ENOENT" "$ENOENT" "volume" \
	"$VDREPCTL" assoc activate nope/m
expect_refused "raw operation 0: EINVAL or ERANGE" "$EINVAL|$ERANGE" "operation|range|invalid" \
	vdrep_nl assoc-modify --volume b10 --name m --operation 0
expect_refused "raw operation 12: EINVAL or ERANGE" "$EINVAL|$ERANGE" "operation|range|invalid" \
	vdrep_nl assoc-modify --volume b10 --name m --operation 12
expect_refused "raw modify with copy-priority 9: EINVAL or ERANGE" "$EINVAL|$ERANGE" "priority|range|invalid" \
	vdrep_nl assoc-modify --volume b10 --name m --priority 9
expect_refused "modify with backlog 2G: EINVAL or ERANGE" "$EINVAL|$ERANGE" "backlog" \
	"$VDREPCTL" assoc set b10/m --backlog 2G

# --- assoc-destroy, volume destroy
expect_refused "raw destroy without a name: EINVAL" "$EINVAL" "name" \
	vdrep_nl assoc-destroy --volume b10
expect_refused "destroy of an unknown association: ENOENT" "$ENOENT" "association" \
	"$VDREPCTL" assoc destroy b10/nope
expect_refused "destroy on an unknown volume: ENOENT" "$ENOENT" "volume" \
	"$VDREPCTL" assoc destroy nope/m
expect_refused "volume destroy with an association: EBUSY" "$EBUSY" "$HAS_ASSOCS" \
	"$VDREPCTL" volume destroy b10

# --- the 17th association, on a 4 MiB volume over loop devices
make_16()
{
	local i

	loop_setup 4 512 || return 1
	vol_create b10s "$loop_dev" || return 1
	for ((i = 1; i <= 16; i++)); do
		loop_setup 4 512 || return 1
		assoc_create "b10s/a$i" "$loop_dev" --prepare-only || return 1
	done
	loop_setup 4 512
}
check "volume b10s with 16 associations" make_16
expect_refused "the 17th association: ENOSPC" "$ENOSPC" "$TOO_MANY" \
	"$VDREPCTL" assoc create b10s/a17 "$loop_dev" --prepare-only
check "the 17th target is not held" open_excl "$loop_dev"
check "destroy one; then the 17th fits" \
	eval 'assoc_destroy b10s/a16 && assoc_create b10s/a17 "$loop_dev" --prepare-only'

# --- without CAP_NET_ADMIN
chmod 755 "$tmpdir"
install -m 755 "$VDREPCTL" "$tmpdir/vdrepctl"
install -D -m 644 "$VDREP_TOP/uapi/linux/vdrep.h" "$tmpdir/uapi/linux/vdrep.h"
install -m 644 "$VDREP_TEST_DIR/vdrep_nl.py" "$tmpdir/vdrep_nl.py"
nobody()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups env VDREP_TOP="$tmpdir" "$@"
}
expect_fail_cmd "non-root assoc create: EPERM" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" assoc create b10/x /dev/ram3
expect_fail_cmd "non-root assoc activate: EPERM" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" assoc activate b10/m
expect_fail_cmd "non-root assoc set: EPERM" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" assoc set b10/m --rate 1M
expect_fail_cmd "non-root assoc destroy: EPERM" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" assoc destroy b10/m
expect_fail_cmd "non-root raw assoc-modify: EPERM" "$EPERM" "" \
	nobody "$PYTHON" -S "$tmpdir/vdrep_nl.py" assoc-modify --volume b10 --name m --operation activate
show_as_nobody()
{
	nobody "$tmpdir/vdrepctl" -j assoc show b10 >"$tmpdir/show.out" 2>&1 &&
		[ "$(jq -r '.[].name' "$tmpdir/show.out")" = m ] && return 0
	cat "$tmpdir/show.out"
	return 1
}
check "non-root assoc show works" show_as_nobody

# --- nothing leaked
check_eq "b10 has only m, still prepared" "m $ST_PREPARED" \
	"$("$VDREPCTL" -j assoc show b10 | jq -r '.[].name' | paste -sd' ') $(assoc_states b10/m)"
free_targets()
{
	open_excl /dev/ram3 && open_excl "$small"
}
check "/dev/ram3 and the small loop device are free" free_targets
check "destroy b10/m, then b10" eval 'assoc_destroy b10/m && vol_destroy b10'

ktap_finished
