#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The snapshot state table of the contract, walked state by state, and bad
# snapshot requests. In each state (prepared, split, skewed, restoring,
# broken) every operation that does not apply is refused with EINVAL and
# nothing changes (every association's states, view and settings, every
# volume): fracture, split, suspend, resume, failover, failback and abort
# never apply to a snapshot, and their extack says "does not apply to a
# snapshot"; activate, resync and restore outside their states are refused
# with "does not apply". Every operation that applies is run from each state
# it applies to:
#  - --prepare-only: prepared/prepared/requires-activate without a view;
#    activate takes the point in time (a write made before it is in the
#    view) and makes it split/idle/completed;
#  - split: resync is refused with EBUSY "target view is open" while the
#    view is open; resync and restore work;
#  - --writable-view: a write through the view makes it
#    skewed/idle/completed and changes only the view; a whole-chunk view
#    write reads no old data (old-data-reads unchanged); resync from skewed
#    takes a new point in time (view = volume, empty store); restore from
#    skewed gives the volume the view's image;
#  - restoring (held by the store, a device-mapper device whose table is
#    swapped for dm-delay with reads 5 s late: a snapshot's restore takes
#    no rate limit): everything refused, detach with EBUSY; it ends split;
#  - broken (a store of 3 chunks, one slot; 4 chunks written): the view reads EIO;
#    resync from broken works;
#  - detach removes the association, its view and releases the store.
# Bad input: a store smaller than three chunks (three are enough: one
# slot after its header and map), sync-mode or backlog given for a snapshot,
# copy-type given for a snapshot or a mirror, and every change request of
# a caller without CAP_NET_ADMIN (EPERM).

# shellcheck source=lib.sh disable=SC2016,SC2034 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools jq setpriv
dm_require linear delay
ktap_plan 112

CS=65536
EINVAL="Invalid argument"
EBUSY="Device or resource busy"
ENOSPC="No space left on device"
EPERM="Operation not permitted"
ERANGE="Numerical result out of range"
VIEW_OPEN="target view is open"
NOT_SNAP="does not apply to a snapshot"
VDREP_STATE_FN=mirror_state
# Operations that never apply to a snapshot.
KIND_OPS=" fracture split suspend resume failover failback abort "

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 6 16 || ktap_abort "cannot set up brd ramdisks"
dev_fill_random /dev/ram0

# refused ASSOC OP LABEL: OP does not apply to ASSOC (a snapshot) now.
refused()
{
	local assoc=$1 op=$2 label=$3

	if [[ $KIND_OPS == *" $op "* ]]; then
		expect_refused "$label: $op is refused (EINVAL, $NOT_SNAP)" "$EINVAL" "$NOT_SNAP" \
			"$VDREPCTL" assoc "$op" "$assoc"
	else
		expect_refused "$label: $op is refused (EINVAL, does not apply)" "$EINVAL" \
			"does not apply" "$VDREPCTL" assoc "$op" "$assoc"
	fi
}

# walk ASSOC LABEL APPLIES...: every operation but APPLIES and detach is
# refused.
walk()
{
	local assoc=$1 label=$2 op

	shift 2
	for op in "${MIRROR_OPS[@]}"; do
		case " $* detach " in
		*" $op "*) continue ;;
		esac
		refused "$assoc" "$op" "$label"
	done
}

check "create volume s06 on /dev/ram0 (chunk-size 64K)" vol_create s06 /dev/ram0 chunk-size 64K ||
	ktap_abort "volume create failed"
vol=/dev/$(vol_disk s06)

# ============================================================ prepared
check "create s06/p on /dev/ram1 --prepare-only" snap_create s06/p /dev/ram1 --prepare-only ||
	ktap_abort "snapshot create failed"
check_states s06/p "$ST_PREPARED" prepared
check_eq "prepared: no view" "" "$(assoc_get s06/p view-disk-name)"
walk s06/p prepared activate
check "prepared: write chunk 9 before the activation" chunk_write "$vol" "$CS" 9 before-act
image=$(dev_sha256 "$vol")
check "prepared: activate works" assoc_op activate s06/p
check_states s06/p "$ST_SNAP_SPLIT" activated
check "write chunk 9 again after the activation" chunk_write "$vol" "$CS" 9 after-act
check_eq "the view holds the moment of the activation" "$image" "$(view_sha s06/p)"

# ============================================================ split
walk s06/p split resync restore
if view=$(assoc_view s06/p) && exec 9<"$view"; then
	ok "split: the view $view opens"
	expect_fail "view open: resync is refused with EBUSY" "$EBUSY" "$VIEW_OPEN" assoc resync s06/p
	exec 9<&-
else
	not_ok "split: the view opens"
	not_ok "view open: resync is refused with EBUSY (not run)"
fi
now=$(dev_sha256 "$vol")
check "split: resync works (split, a new point in time)" \
	eval 'assoc_op resync s06/p && assoc_wait s06/p split'
check_eq "after the resync: $ST_SNAP_SPLIT, empty store, the view reads the volume" \
	"$ST_SNAP_SPLIT 0 $now" "$(assoc_states s06/p) $(assoc_get s06/p store-used) $(view_sha s06/p)"
check "write chunks 20 and 21, then restore works (split)" \
	eval 'touch_chunks "$vol" "$CS" split 20 21 && assoc_op restore s06/p && assoc_wait s06/p split'
check_eq "split: after the restore the volume has the snapshot's image" "$now" "$(dev_sha256 "$vol")"

# ============================================================ skewed
check "create s06/w --writable-view on a dm-linear store over /dev/ram2" \
	eval 'dm_create s06ws "$(dm_table_linear /dev/ram2)" &&
		snap_create s06/w /dev/mapper/s06ws --writable-view' ||
	ktap_abort "snapshot create failed"
wview=$(assoc_view s06/w)
check_eq "view-writable true, blockdev --getro 0" "true 0" \
	"$(assoc_get s06/w view-writable) $(blockdev --getro "$wview" 2>&1)"
check_states s06/w "$ST_SNAP_SPLIT" "writable view"
vsha=$(dev_sha256 "$vol")
r0=$(vol_get s06 old-data-reads)
check "write chunk 12 whole through the view" chunk_write "$wview" "$CS" 12 view12
check "s06/w becomes skewed" assoc_wait s06/w skewed
check_states s06/w "$ST_SNAP_SKEWED" skewed
check_eq "a whole-chunk view write reads no old data; the store holds it" "0 $CS" \
	"$(($(vol_get s06 old-data-reads) - r0)) $(assoc_get s06/w store-used)"
check_eq "the view reads chunk 12 as written, the volume did not change" \
	"$(pattern_sha view12 $CS) $vsha" "$(chunk_sha "$wview" "$CS" 12) $(dev_sha256 "$vol")"
old13=$(dd if="$vol" bs=4096 skip=$((13 * 16)) count=16 iflag=direct status=none | sha256sum)
check "write 4 KiB into chunk 13 through the view" range_write "$wview" $((13 * CS + 8192)) 4096 view13
expected13=$( (dd if="$vol" bs=4096 skip=$((13 * 16)) count=2 iflag=direct status=none
	chunk_pattern view13 4096
	dd if="$vol" bs=4096 skip=$((13 * 16 + 3)) count=13 iflag=direct status=none) | sha256sum)
check_eq "the view's chunk 13: the write inside the old data; the volume's unchanged" \
	"$expected13 $old13" \
	"$(dd if="$wview" bs=4096 skip=$((13 * 16)) count=16 iflag=direct status=none | sha256sum) $(dd if="$vol" bs=4096 skip=$((13 * 16)) count=16 iflag=direct status=none | sha256sum)"
walk s06/w skewed resync restore
check "skewed: resync works (split)" eval 'assoc_op resync s06/w && assoc_wait s06/w split'
check_eq "after the resync: $ST_SNAP_SPLIT, empty store, the view reads the volume" \
	"$ST_SNAP_SPLIT 0 $(dev_sha256 "$vol")" \
	"$(assoc_states s06/w) $(assoc_get s06/w store-used) $(view_sha s06/w)"
check "write chunk 12 whole through the view again: skewed" \
	eval 'chunk_write "$wview" "$CS" 12 again12 && assoc_wait s06/w skewed'
check "skewed: restore works (split)" eval 'assoc_op restore s06/w && assoc_wait s06/w split'
check_eq "the volume has the view's chunk 12 and the view's image" \
	"$(pattern_sha again12 $CS) $(view_sha s06/w)" \
	"$(chunk_sha "$vol" "$CS" 12) $(dev_sha256 "$vol")"

# ============================================================ detach
# (before the restore: s06/p would preserve every chunk the restore
# writes, and the volume's old-data-reads would change under the refusals)
pview=$(assoc_view s06/p)
check "detach s06/p: it goes" eval 'assoc_op detach s06/p && eventually assoc_gone s06/p'
check "its view is gone and /dev/ram1 is released" eval '[ ! -e "$pview" ] && open_excl /dev/ram1'

# ============================================================ restoring
# 48 chunks written through the view, restored from a store whose reads
# take 5 s each (at most 4 minutes, a bound the walk never reaches).
hold_restore()
{
	dd if=/dev/urandom of="$wview" bs="$CS" seek=100 count=48 oflag=direct iflag=fullblock \
		status=none || return 1
	assoc_wait s06/w skewed || return 1
	dm_reload s06ws "0 $(dm_sectors /dev/ram2) delay /dev/ram2 0 5000 /dev/ram2 0 0" ||
		return 1
	assoc_op restore s06/w
}
check "48 chunks written through the view; the store's reads 5 s late; restore" hold_restore
if [ "$(assoc_states s06/w)" = "$ST_RESTORING" ]; then
	check_states s06/w "$ST_RESTORING" restoring
	walk s06/w restoring
	if [ "$(assoc_states s06/w)" = "$ST_RESTORING" ]; then
		expect_refused "restoring: detach is refused (EBUSY)" "$EBUSY" "." \
			"$VDREPCTL" assoc detach s06/w
	else
		skip "restoring: detach is refused (EBUSY)" "the restore ended during the walk"
	fi
else
	why="not restoring: $(assoc_states s06/w)"
	skip "restoring: s06/w is $ST_RESTORING" "$why"
	for op in "${MIRROR_OPS[@]}"; do
		[ "$op" = detach ] || skip "restoring: $op is refused" "$why"
	done
	skip "restoring: detach is refused (EBUSY)" "$why"
fi
check "the store's reads at full speed again: the restore ends, split" \
	eval 'dm_reload s06ws "$(dm_table_linear /dev/ram2)" && assoc_wait s06/w split'
check_eq "the volume has the view's image" "$(view_sha s06/w)" "$(dev_sha256 "$vol")"

# ============================================================ broken
# A store of 3 chunks: 1 slot after its header and map.
check "create s06/b on a 3-chunk store" \
	eval 'dm_create s06b "0 $((3 * CS / 512)) linear /dev/ram3 0" &&
		snap_create s06/b /dev/mapper/s06b' || ktap_abort "snapshot create failed"
check "write 4 chunks through the volume: they succeed" touch_chunks "$vol" "$CS" full 30 31 32 33
check "s06/b becomes broken" assoc_wait s06/b broken
check_states s06/b "$ST_BROKEN" broken
check "broken: the view reads EIO" read_eio "$(assoc_view s06/b)"
walk s06/b broken resync
check "broken: resync works (split)" eval 'assoc_op resync s06/b && assoc_wait s06/b split'
check_eq "after the resync: $ST_SNAP_SPLIT, the view reads the volume" \
	"$ST_SNAP_SPLIT $(dev_sha256 "$vol")" "$(assoc_states s06/b) $(view_sha s06/b)"

check "detach s06/b: it goes" eval 'assoc_op detach s06/b && eventually assoc_gone s06/b'

# ============================================================ bad input
check "dm devices: a store of 2 chunks and one of 3 chunks" \
	eval 'dm_create s06one "0 $((2 * CS / 512)) linear /dev/ram4 0" &&
		dm_create s06two "0 $((3 * CS / 512)) linear /dev/ram4 $((2 * CS / 512))"'
expect_refused "a store smaller than three chunks: EINVAL or ENOSPC" "$EINVAL|$ENOSPC" \
	"store|small|chunk" "$VDREPCTL" assoc create s06/x /dev/mapper/s06one --type snapshot
check "a store of three chunks is enough" snap_create s06/two /dev/mapper/s06two
check_eq "its store-capacity is one chunk" "$CS" "$(assoc_get s06/two store-capacity)"
check "destroy s06/two" assoc_destroy s06/two
expect_refused "sync-mode sync for a snapshot: EINVAL" "$EINVAL" "mode|mirror|snapshot" \
	"$VDREPCTL" assoc create s06/x /dev/ram5 --type snapshot --mode sync
expect_refused "raw: sync-mode synchronous for a snapshot: EINVAL" "$EINVAL" \
	"mode|mirror|snapshot" vdrep_nl assoc-create --volume s06 --name x --target /dev/ram5 \
	--sync-type snapshot --sync-mode synchronous
expect_refused "raw: sync-mode asynchronous for a snapshot: EINVAL" "$EINVAL" \
	"mode|mirror|snapshot" vdrep_nl assoc-create --volume s06 --name x --target /dev/ram5 \
	--sync-type snapshot --sync-mode asynchronous
expect_refused "backlog for a snapshot: EINVAL" "$EINVAL|$ERANGE" "backlog|mirror|snapshot" \
	"$VDREPCTL" assoc create s06/x /dev/ram5 --type snapshot --backlog 4M
expect_refused "copy-type for a snapshot: EINVAL" "$EINVAL" "copy.type|clone|snapshot" \
	"$VDREPCTL" assoc create s06/x /dev/ram5 --type snapshot --copy-type unsync-assoc
expect_refused "copy-type unsync-unassoc for a snapshot: EINVAL" "$EINVAL" \
	"copy.type|clone|snapshot" \
	"$VDREPCTL" assoc create s06/x /dev/ram5 --type snapshot --copy-type unsync-unassoc
expect_refused "copy-type for a mirror: EINVAL" "$EINVAL" "copy.type|clone|mirror" \
	"$VDREPCTL" assoc create s06/x /dev/ram5 --type mirror --copy-type unsync-assoc
expect_refused "copy-type for a mirror (the default type): EINVAL" "$EINVAL" \
	"copy.type|clone|mirror" "$VDREPCTL" assoc create s06/x /dev/ram5 --copy-type unsync-unassoc
check "the refused targets are free (/dev/ram5, the 1-chunk store)" \
	eval 'open_excl /dev/mapper/s06one && open_excl /dev/ram5'

# --- without CAP_NET_ADMIN
chmod 755 "$tmpdir"
install -m 755 "$VDREPCTL" "$tmpdir/vdrepctl"
install -D -m 644 "$VDREP_TOP/uapi/linux/vdrep.h" "$tmpdir/uapi/linux/vdrep.h"
install -m 644 "$VDREP_TEST_DIR/vdrep_nl.py" "$tmpdir/vdrep_nl.py"
nobody()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups env VDREP_TOP="$tmpdir" "$@"
}
expect_fail_cmd "non-root snapshot create: EPERM" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" assoc create s06/x /dev/ram5 --type snapshot
expect_fail_cmd "non-root raw snapshot create: EPERM" "$EPERM" "" \
	nobody "$PYTHON" -S "$tmpdir/vdrep_nl.py" assoc-create --volume s06 --name x \
	--target /dev/ram5 --sync-type snapshot
expect_fail_cmd "non-root resync of a snapshot: EPERM" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" assoc resync s06/w
expect_fail_cmd "non-root restore of a snapshot: EPERM" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" assoc restore s06/w
expect_fail_cmd "non-root detach of a snapshot: EPERM" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" assoc detach s06/w
expect_fail_cmd "non-root destroy of a snapshot: EPERM" "$EPERM" "" \
	nobody "$tmpdir/vdrepctl" assoc destroy s06/w
show_as_nobody()
{
	nobody "$tmpdir/vdrepctl" -j assoc show s06 >"$tmpdir/show.out" 2>&1 &&
		[ "$(jq -r '.[].name' "$tmpdir/show.out")" = w ] && return 0
	cat "$tmpdir/show.out"
	return 1
}
check "non-root assoc show works (s06/w only)" show_as_nobody
check "destroy s06/w and s06" eval 'assoc_destroy s06/w && vol_destroy s06'

ktap_finished
