#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A snapshot's store describes itself (metadata-format.rst, "Snapshot
# stores"): header copies and a map of which chunk each data slot holds,
# for the header's point in time (epoch).
#  - Volume s06 (metadata on a slice of /dev/ram1), snapshot sn on /dev/ram2,
#    chunks 1, 5, 9 written: "meta check" of the store alone is consistent
#    with 3 chunks preserved, "meta dump -j" lists them and says a map is
#    kept; the superblock's own checks are not what answer (kind
#    snapshot-store).
#  - volume stop, assemble: sn comes back split from its store, its view
#    reads its point in time, store-used 3 chunks; a write after the
#    assemble preserves into it (4).
#  - resync (a new point in time): the store is empty at once, "meta dump"
#    shows a new epoch and no entry (the old ones are of the old epoch);
#    one chunk written: 1 entry.
#  - One header copy damaged: meta check notes it and is consistent, the
#    assemble uses the other copy (same point in time, 1 chunk). Both
#    damaged: the assemble is refused (EUCLEAN, "no valid header"), the
#    metadata device unchanged, nothing held. A header of another
#    association (assoc_id changed, checksum right): EINVAL ("belongs to
#    another"). A header of version 2: EOPNOTSUPP. An entry naming a chunk
#    twice: EUCLEAN, and meta check says which.
#  - A snapshot of a volume without metadata device writes a header without
#    map: meta check says so, and is consistent.

# shellcheck source=lib.sh disable=SC2016,SC2034 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools sha256sum md5sum
dm_require linear
ktap_plan 31

EINVAL="Invalid argument"
EUCLEAN="Structure needs cleaning"
EOPNOTSUPP="Operation not supported"
CS=65536
META=/dev/mapper/s06meta
STORE=/dev/ram2

meta_py()
{
	"$PYTHON" -S "$VDREP_TEST_DIR/vdrep_meta.py" "$@"
}

# sd EXPR: EXPR over "vdrepctl -j meta dump" of the store (d).
sd()
{
	"$VDREPCTL" -j meta dump "$STORE" >"$tmpdir/sd.json" &&
		meta_eval "$tmpdir/sd.json" "$1"
}

sd_is()
{
	local v

	v=$(sd "$1") || return 1
	[ "$v" = "$2" ] && return 0
	echo "$1 is '$v', expected '$2'"
	return 1
}

dev_md5()
{
	dd if="$1" bs=1M iflag=direct status=none | md5sum | cut -d' ' -f1
}

# What a refused assemble must leave as it was.
s06_state()
{
	echo "metadata md5 $(dev_md5 "$META") store md5 $(dev_md5 "$STORE")"
	echo "volumes: $(vdrep_disks | paste -sd' ')"
	open_excl "$STORE" 2>/dev/null || echo "$STORE held"
	open_excl /dev/ram0 2>/dev/null || echo "/dev/ram0 held"
}

assemble()
{
	vol_create s06 /dev/ram0 meta "$META" && vol=/dev/$(vol_disk s06)
}

assemble_refused()
{
	VDREP_STATE_FN=s06_state expect_fail "$1" "$2" "$3" volume create s06 source /dev/ram0 \
		meta "$META"
	if "$VDREPCTL" volume show s06 >/dev/null 2>&1; then
		assoc_destroy_all s06 >/dev/null 2>&1
		"$VDREPCTL" volume destroy s06 >/dev/null 2>&1
	fi
}

stop()
{
	ctl volume stop s06 && untrack_volume s06
}

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 4 16 || ktap_abort "cannot set up brd ramdisks"
check "create s06 on /dev/ram0 (random data, chunk-size 64K), metadata on $META" \
	eval 'dm_slice s06meta /dev/ram1 0 1 && dev_fill_random /dev/ram0 &&
	vol_create s06 /dev/ram0 chunk-size 64K meta "$META"' ||
	ktap_abort "volume create with meta failed"
vol=/dev/$(vol_disk s06)
P0=$(dev_sha256 "$vol")
check "snapshot s06/sn on $STORE; chunks 1, 5, 9 written" \
	eval 'snap_create s06/sn "$STORE" && touch_chunks "$vol" "$CS" w1 1 5 9' ||
	ktap_abort "snapshot create failed"
check_eq "its view reads the point in time, store-used 3 chunks" "$P0 $((3 * CS))" \
	"$(view_sha s06/sn) $(assoc_get s06/sn store-used)"

# ------------------------------------------------------------ offline tools

check "meta check of the store alone: consistent, 3 chunks preserved" \
	eval '"$VDREPCTL" meta check "$STORE" >"$tmpdir/chk" && grep -q "3 chunks preserved" "$tmpdir/chk"'
check "meta dump -j of the store: a snapshot-store, named sn, with a map of chunks 1, 5, 9" \
	sd_is '"%s %s %s %s" % (d["kind"], d["header"]["name"], d["header"]["map"], sorted(e["chunk"] for e in d["map"]))' \
	"snapshot-store sn True [1, 5, 9]"
"$VDREPCTL" -j meta dump "$META" >"$tmpdir/md.json"
check_eq "the store header's volume uuid is the metadata's" \
	"$(meta_eval "$tmpdir/md.json" 'd["superblock"]["uuid"]')" "$(sd 'd["header"]["volume_uuid"]')"
epoch0=$(sd 'd["header"]["epoch"]')

# ------------------------------------------------------------ assemble

check "volume stop; assemble s06 from $META" eval 'stop && assemble' ||
	ktap_abort "assemble failed"
check_eq "sn is back split, its view reads its point in time, store-used 3 chunks" \
	"$ST_SNAP_SPLIT $P0 $((3 * CS))" \
	"$(assoc_states s06/sn) $(view_sha s06/sn) $(assoc_get s06/sn store-used)"
check "write chunk 12 after the assemble" touch_chunks "$vol" "$CS" w2 12
check_eq "it was preserved: view unchanged, 4 chunks stored, 4 entries on the store" \
	"$P0 $((4 * CS)) 4" "$(view_sha s06/sn) $(assoc_get s06/sn store-used) $(sd 'd["entries"]')"

# ------------------------------------------------------------ a new point in time

check "resync sn: split with an empty store" \
	eval 'assoc_op resync s06/sn && assoc_wait s06/sn split &&
	[ "$(assoc_get s06/sn store-used)" = 0 ]'
P1=$(dev_sha256 "$vol")
check "the store has a new epoch and no entry of it" \
	eval '[ "$(sd "d[\"header\"][\"epoch\"]")" != "$epoch0" ] && sd_is "d[\"entries\"]" 0'
check "write chunk 5: one entry, meta check consistent" \
	eval 'touch_chunks "$vol" "$CS" w3 5 && sd_is "d[\"entries\"]" 1 &&
	"$VDREPCTL" meta check "$STORE" >/dev/null'
check "volume stop" stop || ktap_abort "volume stop failed"
simg=$tmpdir/store.img
dd if="$STORE" of="$simg" bs=1M iflag=direct status=none
restore_store()
{
	dd if="$simg" of="$STORE" bs=1M oflag=direct status=none
}
scur=$(sd 'd["current"]')

# ------------------------------------------------------------ damage

meta_py store-damage "$STORE" "$scur"
check "the current header copy damaged: meta check notes it and is consistent" \
	eval '"$VDREPCTL" meta check "$STORE" >"$tmpdir/chk" && grep -q "bad-checksum" "$tmpdir/chk"'
check "assemble: from the other copy" assemble || ktap_abort "assemble failed"
check_eq "sn is split at its point in time with 1 chunk stored" \
	"$ST_SNAP_SPLIT $P1 $CS" \
	"$(assoc_states s06/sn) $(view_sha s06/sn) $(assoc_get s06/sn store-used)"
check "volume stop" stop || ktap_abort "volume stop failed"
# The stop wrote the metadata; its image after it is what refusals keep.
restore_store
meta_py store-damage "$STORE" 0 && meta_py store-damage "$STORE" 1
dmesg_mark=$(dmesg | wc -l)
assemble_refused "both store header copies damaged: EUCLEAN" "$EUCLEAN" "no valid header"
check "the kernel log names the snapshot sn" \
	eval 'dmesg | tail -n +$((dmesg_mark + 1)) | grep -q "snapshot sn"'
restore_store && meta_py store-poke "$STORE" "$scur" 60 07000000	# assoc_id 7
assemble_refused "a store header of another association (checksum right): EINVAL" "$EINVAL" \
	"belongs to another"
restore_store && meta_py store-poke "$STORE" 0 4 02000000 &&
	meta_py store-poke "$STORE" 1 4 02000000
assemble_refused "store header version 2 (checksum right): EOPNOTSUPP" "$EOPNOTSUPP" \
	"format version"
# Entry 1 (chunk of the resync's write was entry 0) naming chunk 5 again.
restore_store
tbl=$(sd 'd["header"]["table_offset"]')
ep=$(sd 'd["header"]["epoch"]')
"$PYTHON" -S - "$STORE" "$tbl" "$ep" <<'EOF'
import os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.pwrite(fd, struct.pack("<QQ", 5, int(sys.argv[3])), int(sys.argv[2]) + 16)
os.fsync(fd)
EOF
check "an entry naming chunk 5 twice: meta check says so and fails" \
	eval '! "$VDREPCTL" meta check "$STORE" >"$tmpdir/chk" && grep -q "names chunk 5, which an entry before it names too" "$tmpdir/chk"'
assemble_refused "that store: EUCLEAN" "$EUCLEAN" "store map is malformed"
restore_store
check "the store restored: assemble, sn split with 1 chunk" \
	eval 'assemble && [ "$(assoc_states s06/sn) $(assoc_get s06/sn store-used)" = "$ST_SNAP_SPLIT $CS" ]'
check "destroy s06" eval 'assoc_destroy_all s06 && vol_destroy s06'

# ------------------------------------------------------------ no metadata

check "volume t06 without metadata, snapshot t06/sn on /dev/ram3" \
	eval 'vol_create t06 /dev/ram0 && snap_create t06/sn /dev/ram3'
check "meta check of its store: consistent, no map kept" \
	eval '"$VDREPCTL" meta check /dev/ram3 >"$tmpdir/chk" && grep -q "keeps no map" "$tmpdir/chk"'
check_eq "meta dump -j: map False, no entries listed" "False None" \
	"$("$VDREPCTL" -j meta dump /dev/ram3 >"$tmpdir/t.json" && meta_eval "$tmpdir/t.json" '"%s %s" % (d["header"]["map"], d.get("map"))')"
check "destroy t06" eval 'assoc_destroy_all t06 && vol_destroy t06'

ktap_finished
