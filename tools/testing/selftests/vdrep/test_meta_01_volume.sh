#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A volume with a metadata device (Documentation/admin-guide/metadata-format.rst,
# "When vdrep writes it"): volume-create formats the device (both superblock
# copies, maps zeroed) and holds it; association create, operations, settings
# and destroy commit before they answer, announced state changes soon after;
# records carry the associations' states and maps their chunks; volume
# destroy writes a last, clean commit and releases the device. A device that
# already holds vdrep metadata, a missing one, the source itself, one in use,
# one too small and a path too long are refused and change nothing. A
# failed metadata write makes the metadata read-only, with the device marked
# untrusted (the next assemble copies every chunk), or failed when even that
# mark cannot be written; each is announced, and the volume goes on serving. What is on the device is read with vdrepctl meta
# dump -j and meta check, offline tools that read it directly.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools sha256sum jq
dm_require linear error
ktap_plan 98

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 6 16 || ktap_abort "cannot set up brd ramdisks"

ENOENT="No such file or directory"
EBUSY="Device or resource busy"
EINVAL="Invalid argument"
ENOSPC="No space left on device"
ENAMETOOLONG="File name too long"
META=/dev/ram4
V=m01
CS=65536

# meta_json DEV: vdrepctl -j meta dump DEV into $tmpdir/meta.json.
meta_json()
{
	"$VDREPCTL" -j meta dump "$1" >"$tmpdir/meta.json" 2>"$tmpdir/meta.err"
}

# mq EXPR: meta_eval EXPR over the last dump.
mq()
{
	meta_eval "$tmpdir/meta.json" "$1"
}

# meta_is DEV EXPR VALUE: after a fresh dump, EXPR prints VALUE.
meta_is()
{
	local v

	meta_json "$1" || { diag "meta dump $1 failed: $(cat "$tmpdir/meta.err")"; return 1; }
	v=$(mq "$2") || return 1
	[ "$v" = "$3" ] && return 0
	echo "$2 is '$v', expected '$3'"
	return 1
}

# meta_becomes DEV EXPR VALUE: the same once committed (see settles).
meta_becomes()
{
	settles meta_is "$@"
}

# vol_json NAME KEY: a key of vdrepctl -j volume show NAME.
vol_json()
{
	"$VDREPCTL" -j volume show "$1" | json_get "$2"
}

# The first 16 KiB (both superblock copies) of DEV, hashed.
sb_sha()
{
	dd if="$1" bs=16384 count=1 iflag=direct status=none | sha256sum | cut -d' ' -f1
}

# released DEV...: no one holds any of them.
released()
{
	local dev

	for dev in "$@"; do
		open_excl "$dev" || return 1
	done
}

# ---------------------------------------------------------- without a device

check "create volume t01 without a metadata device" vol_create t01 /dev/ram5
check_eq "its metadata is transient" transient "$(vol_json t01 metadata)"
check "destroy it" vol_destroy t01

# ---------------------------------------------------------------- formatting

check "create $V on /dev/ram0 with metadata on $META" \
	vol_create "$V" /dev/ram0 meta "$META" || ktap_abort "volume create with meta failed"
check_eq "volume show: metadata writable" writable "$(vol_json "$V" metadata)"
check_eq "volume show: metadata_path $META" "$META" "$(vol_json "$V" metadata_path)"
check "$META is held by the volume" is_held "$META"
check "meta check: consistent" "$VDREPCTL" meta check "$META"
check "both superblock copies are valid" \
	meta_is "$META" '",".join(c["status"] for c in d["copies"])' "valid,valid"
check "the superblock names the volume, its source and chunk size" \
	meta_is "$META" '"%s %s %d %d" % (d["superblock"]["name"], d["superblock"]["source_path"], d["superblock"]["chunk_size"], d["superblock"]["nr_chunks"])' \
	"$V /dev/ram0 $CS $((16 * 1048576 / CS))"
check "no association record, not clean" \
	meta_is "$META" 'str(len(d.get("records", []))) + " " + str(d["superblock"]["clean"]).lower()' "0 false"
gen0=$(mq 'd["superblock"]["generation"]')

# ------------------------------------------------------------- associations

check "create mirror $V/a on /dev/ram1" assoc_create "$V/a" /dev/ram1
check "its record is on disk when create returns" \
	meta_is "$META" 'rec("a")["sync_type"] + " " + rec("a")["target_path"]' "mirror /dev/ram1"
check "$V/a synchronizes" assoc_wait_idle "$V/a"
check "the record becomes synchronized (announced change committed)" \
	meta_becomes "$META" 'rec("a")["copy_state"] + "/" + rec("a")["sync_state"]' \
	"synchronized/synchronized"
check "create snapshot $V/s on /dev/ram2" assoc_create "$V/s" /dev/ram2 --type snapshot
check "fracture $V/a" assoc_op fracture "$V/a"
check "write chunks 3, 7 and 100 of the volume" \
	touch_chunks "/dev/$(vol_disk "$V")" "$CS" m01 3 7 100
check "a setting commits: rate of $V/a set to 1M" ctl assoc set "$V/a" --rate 1M
check "record a: fractured, rate 1048576" \
	meta_is "$META" 'rec("a")["copy_state"] + " " + str(rec("a")["rate_limit"])' "fractured 1048576"
check "map 0 of a holds the written chunks" meta_is "$META" 'chunks("a", 0)' "3,7,100"
check "map 0 of the snapshot holds the preserved chunks" meta_is "$META" 'chunks("s", 0)' "3,7,100"
check "map 1 of the mirror is empty" meta_is "$META" 'rec("a")["maps"][1]["set"]' 0
check "the generation went up" meta_is "$META" 'int(d["superblock"]["generation"] > '"$gen0"')' 1
check "meta check: consistent with records" "$VDREPCTL" meta check "$META"
check "resync $V/a" assoc_op resync "$V/a"
check "$V/a synchronizes again" assoc_wait_idle "$V/a"
check "map 0 of a becomes empty" meta_becomes "$META" 'rec("a")["maps"][0]["set"]' 0
check "destroy $V/a and $V/s" assoc_destroy_all "$V"
check "no record is left" meta_is "$META" 'len(d.get("records", []))' 0
check "destroy $V" vol_destroy "$V"
check "the last commit is clean" meta_is "$META" 'str(d["superblock"]["clean"]).lower()' true
check "$META is released" open_excl "$META"

# -------------------------------------------------- a device with metadata

# A device with metadata is assembled from (test_meta_03_assemble has the rest).
before=$(sb_sha "$META")
meta_json "$META"
gen1=$(mq 'd["superblock"]["generation"]')
expect_fail "another volume's metadata device: EINVAL" "$EINVAL" \
	"metadata device belongs to a volume of another name" \
	volume create "${V}x" source /dev/ram0 meta "$META"
check_eq "its superblocks are unchanged" "$before" "$(sb_sha "$META")"
check "the same volume is assembled from it" vol_create "$V" /dev/ram0 meta "$META"
check "it commits on: not clean, a later generation" meta_is "$META" \
	'str(d["superblock"]["clean"]).lower() + " " + str(int(d["superblock"]["generation"] > '"$gen1"'))' \
	"false 1"
check "and destroyed" vol_destroy "$V"
check "meta wipe erases it" ctl meta wipe "$META"
check "then a volume is created on it afresh" vol_create "$V" /dev/ram0 meta "$META"
check "formatted again (generation 2)" meta_is "$META" 'd["superblock"]["generation"]' 2
check "and destroyed" vol_destroy "$V"
ctl meta wipe "$META"

# ---------------------------------------------------------------- volume stop

check "create $V on /dev/ram0 with metadata $META" vol_create "$V" /dev/ram0 meta "$META"
check "create mirror $V/a on /dev/ram1" assoc_create "$V/a" /dev/ram1
check "$V/a synchronizes" assoc_wait_idle "$V/a"
check "fail over to $V/a" eval 'assoc_op failover "$V/a" && assoc_wait "$V/a" failedover'
check "its record says failed over, the volume's I/O redirected to the target" meta_is "$META" \
	'rec("a")["copy_state"] + " " + str(rec("a")["redirected"]).lower()' "failedover true"
check "fail back; $V/a synchronizes" \
	eval 'assoc_op failback "$V/a" && assoc_wait "$V/a" synchronized && assoc_wait_idle "$V/a"'
check "fracture $V/a" assoc_op fracture "$V/a"
check "write chunks 5 and 9 of the volume" touch_chunks "/dev/$(vol_disk "$V")" "$CS" m01s 5 9
check "create t01s on /dev/ram5, no metadata device" vol_create t01s /dev/ram5
expect_fail "volume stop without a metadata device: EINVAL" "$EINVAL" \
	"volume has no metadata device" volume stop t01s
check "t01s is still there" ctl volume show t01s
check "destroy t01s" vol_destroy t01s
exec {vfd}<"/dev/$(vol_disk "$V")"
expect_fail "volume stop of an open volume: EBUSY" "$EBUSY" "volume is open" volume stop "$V"
exec {vfd}<&-
view=$(assoc_view "$V/a")
exec {vfd}<"$view"
expect_fail "volume stop while a target view is open: EBUSY" "$EBUSY" \
	"a target view of the volume is open" volume stop "$V"
exec {vfd}<&-
check "after the refusals the volume and the view still open" \
	sh -c "exec 3<'/dev/$(vol_disk "$V")' 4<'$view'"
check_eq "and $V/a is still fractured with 2 chunks tracked" "fractured 2" \
	"$(assoc_get "$V/a" copy-state dirty-chunks | paste -sd' ')"
monitor_start "$tmpdir/mon-stop"
check "volume stop $V" ctl volume stop "$V"
untrack_volume "$V"
check "the monitor saw $V/a destroyed" wait_for_line "$tmpdir/mon-stop" "^destroy assoc $V/a( |\$)"
check "then $V destroyed" wait_for_line "$tmpdir/mon-stop" "^destroy volume name:$V "
check "the last commit is clean and keeps record a" meta_is "$META" \
	'str(d["superblock"]["clean"]).lower() + " " + rec("a")["copy_state"] + " " + chunks("a", 0)' \
	"true fractured 5,9"
check "$META, /dev/ram0 and /dev/ram1 are released" released "$META" /dev/ram0 /dev/ram1
ue=$tmpdir/uevents.json
vdrep_nl uevents --ready "$tmpdir/ue.ready" --match SUBSYSTEM=block >"$ue" 2>&1 &
track_pids+=("$!")
eventually test -e "$tmpdir/ue.ready"
check "create $V again: assembled" vol_create "$V" /dev/ram0 meta "$META"
check_eq "$V/a is back, fractured with chunks 5 and 9 tracked" "fractured 2" \
	"$(assoc_get "$V/a" copy-state dirty-chunks | paste -sd' ')"
# ue_state ASSOC: the copy states of ASSOC's change uevents, one a line.
ue_state()
{
	jq -R -r --arg v "$V" --arg a "$1" 'fromjson? | select(.ACTION == "change" and
		.VDREP_VOLUME == $v and .VDREP_ASSOC == $a) | .VDREP_COPY_STATE' "$ue"
}
check "a change uevent announces $V/a fractured (for udev rules)" \
	eventually eval 'ue_state a | grep -qx fractured'
check "destroy $V/a and $V" sh -c "$VDREPCTL assoc destroy $V/a && $VDREPCTL volume destroy $V"
untrack_volume "$V"
ctl meta wipe "$META"

# --------------------------------------------------------------- bad devices

expect_fail "a missing metadata device: ENOENT" "$ENOENT" \
	"cannot open metadata device: no such file" \
	volume create "$V" source /dev/ram0 meta /dev/vdrep-no-such-device
expect_fail "the source as metadata device: EINVAL" "$EINVAL" \
	"metadata device is the source" volume create "$V" source /dev/ram0 meta /dev/ram0
check "create t01b on /dev/ram5" vol_create t01b /dev/ram5
expect_fail "a metadata device held by another volume: EBUSY" "$EBUSY" \
	"metadata device is in use" volume create "$V" source /dev/ram0 meta /dev/ram5
vol_destroy t01b
# 32 KiB: the superblock copies fit, the maps (32 blocks of 4 KiB) do not.
dmsetup create m01small --table "0 64 linear /dev/ram5 0" && track_dm+=(m01small)
expect_fail "a metadata device too small: ENOSPC" "$ENOSPC" \
	"metadata device is too small" volume create "$V" source /dev/ram0 meta /dev/mapper/m01small
expect_fail "a metadata path of 128 bytes: ENAMETOOLONG" "$ENAMETOOLONG" \
	"metadata device path is longer" \
	volume create "$V" source /dev/ram0 meta "/dev/$(printf 'p%.0s' {1..123})"
check "none of them left /dev/ram0 held" open_excl /dev/ram0

# ------------------------------------------------ failed metadata writes

# Maps that cannot be written, superblocks that can: read-only, and the
# device marked untrusted (no write_intent), so the next assemble copies
# every chunk.
# The initial copy's intents stay until the fracture drops them: a map write.
echo 0 >/sys/module/vdrep/parameters/intent_clear_secs
dmsetup create m01meta --table "$(dm_table_linear /dev/ram3)" && track_dm+=(m01meta)
check "create $V with metadata on a device-mapper device" \
	vol_create "$V" /dev/ram0 meta /dev/mapper/m01meta
monitor_start "$tmpdir/mon"
check "create mirror $V/b on /dev/ram1" assoc_create "$V/b" /dev/ram1
assoc_wait_idle "$V/b" >/dev/null
check "the superblock says write_intent" \
	meta_is /dev/mapper/m01meta 'str(d["superblock"]["write_intent"]).lower()' true
sectors=$(dm_sectors /dev/ram3)
dmsetup suspend m01meta &&
	dmsetup load m01meta --table "0 32 linear /dev/ram3 0
32 $((sectors - 32)) error" && dmsetup resume m01meta
check "fracture $V/b succeeds though its commit cannot write the map" \
	eval 'assoc_op fracture "$V/b" && assoc_wait "$V/b" fractured'
check_eq "the metadata is read-only" read-only "$(vol_json "$V" metadata)"
check "the monitor saw the volume change" \
	wait_for_line "$tmpdir/mon" "^change volume .*$V.*metadata[: ]read-only"
check "the kernel log says why" grep -q "metadata is read-only now" <(dmesg)
check "the device no longer claims write intents, nor a clean stop" \
	meta_is /dev/ram3 'str(d["superblock"]["write_intent"]).lower() + " " + str(d["superblock"]["clean"]).lower()' "false false"
check "a setting still succeeds" ctl assoc set "$V/b" --rate 2M
fio_check "the volume still serves verified writes" m01 "/dev/$(vol_disk "$V")" --size=8M --bs=4k
check "resync $V/b: synchronized" eval 'assoc_op resync "$V/b" && assoc_wait_idle "$V/b"'
check "volume stop $V (its last commit is not written)" ctl volume stop "$V"
untrack_volume "$V"
dmsetup suspend m01meta && dmsetup load m01meta --table "$(dm_table_linear /dev/ram3)" &&
	dmsetup resume m01meta
check "assemble $V again from it" vol_create "$V" /dev/ram0 meta /dev/mapper/m01meta
check "untrusted maps: $V/b copies every chunk and synchronizes" eval \
	'assoc_wait "$V/b" synchronized &&
	 [ "$(assoc_get "$V/b" copied-chunks)" = $(( $(dev_size /dev/ram0) / CS )) ]'
check "destroy $V/b and $V" sh -c "$VDREPCTL assoc destroy $V/b && $VDREPCTL volume destroy $V"
untrack_volume "$V"

# Nothing can be written: the metadata is failed.
check "create $V on it once more" vol_create "$V" /dev/ram0 meta /dev/mapper/m01meta
check "create mirror $V/b on /dev/ram1" assoc_create "$V/b" /dev/ram1
assoc_wait_idle "$V/b" >/dev/null
dmsetup suspend m01meta && dmsetup load m01meta --table "$(dm_table_error /dev/ram3)" &&
	dmsetup resume m01meta
check "a setting succeeds though its commit fails" ctl assoc set "$V/b" --rate 2M
check "a write through the volume still succeeds" \
	chunk_write "/dev/$(vol_disk "$V")" "$CS" 41 fa
check_eq "the metadata is failed" failed "$(vol_json "$V" metadata)"
check "the monitor saw the volume change" \
	wait_for_line "$tmpdir/mon" "^change volume .*$V.*metadata[: ]failed"
check "the kernel log says why" grep -q "metadata failed" <(dmesg)
check "destroy $V/b and $V" sh -c "$VDREPCTL assoc destroy $V/b && $VDREPCTL volume destroy $V"
untrack_volume "$V"
echo 5 >/sys/module/vdrep/parameters/intent_clear_secs

ktap_finished
