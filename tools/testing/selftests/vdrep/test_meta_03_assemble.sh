#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Assemble: "vdrepctl volume create NAME source SOURCE meta DEV" on a device
# that holds vdrep metadata brings the volume back from it instead of
# formatting it. Three volumes are stopped by rmmod and brought back after
# the module is loaded again:
#  - m03x (chunk-size 128K, not given again at assemble), stopped clean,
#    with nine associations: sync and async mirrors Synchronized come back
#    Synchronized with nothing to copy (copied-chunks 0) and their targets
#    equal to the source; a mirror Fractured with 5 chunks written comes
#    back Fractured with dirty-chunks 5, and its resync copies exactly 5;
#    Suspended and Prepared mirrors stay so; a complete clone stays split
#    and its view reads its point in time; a clone held mid-fill by --rate
#    4K goes on filling (copy-on-write of chunks written after the
#    assemble included) and ends with its point in time; a split snapshot
#    (writable view) comes back split from its store's own map: its view
#    reads its point in time, its store holds the 5 chunks written since,
#    and writes after the assemble preserve into it; a prepared one stays
#    prepared. Names, kinds, targets,
#    sync modes, copy types, priorities, rate limits and view-writable come
#    back; the monitor sees the volume created, then its associations.
#  - m03y, whose metadata device (dm-linear) is swapped to "error" before
#    the rmmod, so the last commit on it is not the clean one. Its
#    superblock has write_intent (the maps are on disk before the writes
#    they cover: checked as two writes return), so its maps are trusted:
#    the Synchronized mirror copies at most the chunks written since its
#    sync, the Fractured one has exactly the chunks written while fractured
#    dirty, the complete clone stays split, the filling clone resumes and
#    ends with its point in time. A write with the metadata failing, to a
#    chunk whose bits are on disk, succeeds. Then m03y is stopped and that
#    unclean metadata restored with write_intent cleared (an older writer's):
#    the Synchronized mirror resyncs every chunk (a chunk of its target
#    changed while the volume was stopped is repaired), the Fractured one
#    has every chunk dirty, the complete clone stays split, the filling
#    clone is broken.
#  - r03 (a mirror on a dm-linear target), on whose metadata the refusals
#    run, each restoring it from an image first: both superblock copies
#    with a bad checksum (EUCLEAN), a version 2 (EOPNOTSUPP), another name,
#    another source path, another source size, another chunk size (EINVAL),
#    the mirror's target missing (ENOENT, named in the kernel log) or of
#    another size (EINVAL), a record with a bad name or unknown states in a
#    copy whose checksum is right (EUCLEAN). A refusal writes nothing on the
#    metadata device (md5) and leaves no device held. With its current
#    copy's checksum bad it is assembled from the other copy (whose rate
#    limit it brings back, not the damaged one's), and commits go on.
# The metadata is read with vdrep_meta.py dump, a reader that shares no code
# with the kernel or vdrepctl, and damaged with vdrep_meta.py damage,
# set-version and poke.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools sha256sum md5sum
dm_require linear error
ktap_plan 80

EINVAL="Invalid argument"
ENOENT="No such file or directory"
EUCLEAN="Structure needs cleaning"
EOPNOTSUPP="Operation not supported"

# /dev/ram0: m03x's source, ram1-9 its targets; ram10: m03y's source,
# ram11-14 its targets; ram15: the three metadata devices, 1 MiB each;
# ram16-18: r03's source, its mirror's target and another source (8 MiB
# slices, so that 12 MiB ones can replace them).
XMETA=/dev/mapper/m03xmeta
YMETA=/dev/mapper/m03ymeta
RMETA=/dev/mapper/m03rmeta
RSRC=/dev/mapper/m03rsrc
RT=/dev/mapper/m03rt
ROTHER=/dev/mapper/m03rother
CSX=131072			# m03x's chunk size
CSY=65536			# m03y's and r03's
XA=(xs xa xf xu xp xc xg xn xq)	# m03x's associations, in slot order
YMETA_LINEAR="0 2048 linear /dev/ram15 2048"
YMETA_ERROR="0 2048 error"

meta_py()
{
	"$PYTHON" -S "$VDREP_TEST_DIR/vdrep_meta.py" "$@"
}

# md DEV EXPR: meta_eval EXPR over vdrep_meta.py dump of DEV.
md()
{
	meta_py dump "$1" >"$tmpdir/md.json" && meta_eval "$tmpdir/md.json" "$2"
}

# md_is DEV EXPR VALUE: md DEV EXPR prints VALUE.
md_is()
{
	local v

	v=$(md "$1" "$2") || return 1
	[ "$v" = "$3" ] && return 0
	echo "$2 is '$v', expected '$3'"
	return 1
}

# md_becomes DEV EXPR VALUE: the same once committed (see settles).
md_becomes()
{
	settles md_is "$@"
}

# md5 of a whole device, read direct.
dev_md5()
{
	dd if="$1" bs=1M iflag=direct status=none | md5sum | cut -d' ' -f1
}

# states VOLUME ASSOC...: "ASSOC=copy/sync/progress" of each, as assoc show
# reports them, joined by spaces.
states()
{
	local vol=$1 a list=()

	shift
	for a in "$@"; do
		list+=("$a=$(assoc_states "$vol/$a")")
	done
	echo "${list[*]}"
}

# x_states XN_STATES: what states prints for m03x, its snapshot xn in
# XN_STATES.
x_states()
{
	echo "xs=$ST_SYNCHRONIZED xa=$ST_SYNCHRONIZED xf=$ST_FRACTURED xu=$ST_SUSPENDED" \
		"xp=$ST_PREPARED xc=$ST_CLONE_SPLIT xg=$ST_CLONE_FILLING xn=$1 xq=$ST_PREPARED"
}

# settings VOLUME ASSOC...: what an association is made with, one a line.
settings()
{
	local vol=$1 a

	shift
	for a in "$@"; do
		echo "$a: $(assoc_get "$vol/$a" sync-type target-path sync-mode copy-type \
			copy-priority rate-limit view-writable | paste -sd' ')"
	done
}

# all_idle ASSOC...: each is Synchronized with nothing left to copy.
all_idle()
{
	local a

	for a in "$@"; do
		assoc_wait_idle "$a" || return 1
	done
}

# mon_created FILE VOLUME ASSOC...: the monitor printed "create volume
# name:VOLUME" and after it "create assoc VOLUME/ASSOC" for each ASSOC.
mon_created()
{
	local file=$1 vol=$2 a vline aline

	shift 2
	wait_for_line "$file" "^create assoc $vol/${*: -1} " "$monitor_pid"
	vline=$(grep -m1 -n "^create volume name:$vol " "$file" | cut -d: -f1)
	if [ -z "$vline" ]; then
		echo "no 'create volume name:$vol' line"
		cat "$file"
		return 1
	fi
	for a in "$@"; do
		aline=$(grep -m1 -n "^create assoc $vol/$a " "$file" | cut -d: -f1)
		if [ -z "$aline" ] || [ "$aline" -le "$vline" ]; then
			echo "create assoc $vol/$a: line ${aline:-missing}, create volume: line $vline"
			cat "$file"
			return 1
		fi
	done
}

# The compound steps of one check each.
x_mirrors()
{
	assoc_create m03x/xs /dev/ram1 --priority high &&
		assoc_create m03x/xa /dev/ram2 --mode async --priority low &&
		assoc_create m03x/xf /dev/ram3 --rate 8M &&
		assoc_create m03x/xu /dev/ram4 &&
		assoc_create m03x/xp /dev/ram5 --prepare-only --writable-view \
			--priority not-managed &&
		all_idle m03x/xs m03x/xa m03x/xf m03x/xu
}

x_more()
{
	clone_create m03x/xg /dev/ram7 --rate 4K &&
		snap_create m03x/xn /dev/ram8 --writable-view &&
		snap_create m03x/xq /dev/ram9 --prepare-only
}

y_assocs()
{
	assoc_create m03y/ys /dev/ram11 && assoc_create m03y/yf /dev/ram12 &&
		all_idle m03y/ys m03y/yf && assoc_op fracture m03y/yf &&
		touch_chunks "$vy" "$CSY" y1 5 6 7 &&
		clone_create m03y/yc /dev/ram13 && assoc_wait m03y/yc split
}

# ymeta_table TABLE: m03y's metadata device gets TABLE (suspend, load,
# resume, as a failing disk would).
ymeta_table()
{
	dmsetup suspend m03ymeta && dmsetup load m03ymeta --table "$1" &&
		dmsetup resume m03ymeta
}

# y_intent: chunks 9 and 200 of m03y are written; as the writes return, the
# maps on disk hold them: yf's map 0 (fractured) all its chunks written, yg's
# map 1 (filling) both, and its map 0 neither (preserved or copied).
y_intent()
{
	local v

	touch_chunks "$vy" "$CSY" y2 9 200 || return 1
	v=$(md "$YMETA" '"%s %s %s" % (chunks("yf", 0), chunks("yg", 1), sorted(chunk_set("yg", 0) & {9, 200}))')
	[ "$v" = "5-7,9,200 9,200 []" ] && return 0
	echo "yf map 0, yg map 1, yg map 0 of 9 and 200: $v"
	return 1
}

# m03y's metadata device fails; chunk 9, whose bits are on disk, is written
# again: that needs no metadata write.
y_meta_fails()
{
	ymeta_table "$YMETA_ERROR" && touch_chunks "$vy" "$CSY" y3 9
}

# at_most N VALUE: "yes" when VALUE <= N, else VALUE.
at_most()
{
	if [ -n "$2" ] && [ "$2" -le "$1" ]; then
		echo yes
	else
		echo "'$2'"
	fi
}

# sb_field DEV FIELD: a field of the current superblock copy of DEV.
sb_field()
{
	md "$1" "d[\"superblock\"][\"$2\"]"
}

# r_committed GENERATION: after r03mirror's rate is set to 2M, r03's
# metadata holds that rate at a generation above GENERATION.
r_committed()
{
	assoc_op set r03/r03mirror --rate 2M &&
		md_is "$RMETA" '"%d %s" % (rec("r03mirror")["rate_limit"], d["superblock"]["generation"] > '"$1"')' \
			"2097152 True"
}

# vol_json NAME KEY: a key of vdrepctl -j volume show NAME.
vol_json()
{
	"$VDREPCTL" -j volume show "$1" | json_get "$2"
}

# new_kernel_log_has TEXT: a kernel log line since $dmesg_mark holds TEXT.
new_kernel_log_has()
{
	dmesg | tail -n +$((dmesg_mark + 1)) | grep -F -- "$1"
}

# ---------------------------------------------------------------- set-up

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 19 16 || ktap_abort "cannot set up brd ramdisks"
if ! { dm_slice m03xmeta /dev/ram15 0 1 && dm_create m03ymeta "$YMETA_LINEAR" &&
	dm_slice m03rmeta /dev/ram15 2 1 && dm_slice m03rsrc /dev/ram16 0 8 &&
	dm_slice m03rt /dev/ram17 0 8 && dm_slice m03rother /dev/ram18 0 8; }; then
	ktap_abort "cannot set up the device-mapper slices"
fi
dev_fill_random /dev/ram0
dev_fill_random /dev/ram10
dev_fill_random "$RSRC"
dev_fill_random "$ROTHER"

# ----------------------------------------- m03x: every kind, stopped clean

check "create m03x on /dev/ram0 (chunk-size 128K), metadata on $XMETA" \
	vol_create m03x /dev/ram0 chunk-size 128K meta "$XMETA" ||
	ktap_abort "volume create with meta failed"
vx=/dev/$(vol_disk m03x)
check "mirrors xs (sync, high), xa (async, low), xf (rate 8M), xu, xp (prepared, writable view) synchronize" \
	x_mirrors ||
	ktap_abort "the mirrors of m03x did not synchronize"
check "clone xc on /dev/ram6 fills and ends split" \
	eval 'clone_create m03x/xc /dev/ram6 && assoc_wait m03x/xc split'
HC=$(view_sha m03x/xc)
check "suspend xu, fracture xf" \
	eval 'assoc_op suspend m03x/xu && assoc_wait m03x/xu suspended && assoc_op fracture m03x/xf'
PG=$(dev_sha256 "$vx")
check "clone xg on /dev/ram7 with --rate 4K; snapshot xn on /dev/ram8 (writable view), xq on /dev/ram9 prepared" \
	x_more
check "write chunks 3, 17, 40, 99, 127 of m03x (xf fractured); xs and xa idle again" \
	eval 'touch_chunks "$vx" "$CSX" x3 3 17 40 99 127 && all_idle m03x/xs m03x/xa'
xbefore=$(states m03x "${XA[@]}")
check_eq "before the unload: m03x's associations are in the states to bring back" \
	"$(x_states "$ST_SNAP_SPLIT")" "$xbefore"
check_eq "before the unload: xf has 5 dirty chunks" 5 "$(assoc_get m03x/xf dirty-chunks)"
settings m03x "${XA[@]}" >"$tmpdir/xsettings.before"
PX=$(dev_sha256 "$vx")

# ------------------------------- m03y: the last commit will not be clean

check "create m03y on /dev/ram10 (chunk-size 64K), metadata on $YMETA (dm-linear)" \
	vol_create m03y /dev/ram10 chunk-size 64K meta "$YMETA" ||
	ktap_abort "volume create with meta failed"
vy=/dev/$(vol_disk m03y)
NCY=$(($(dev_size /dev/ram10) / CSY))
check "mirrors ys and yf synchronize, yf is fractured and 3 chunks written, clone yc is split" \
	y_assocs
HYC=$(view_sha m03y/yc)
PYG=$(dev_sha256 "$vy")
check "clone yg on /dev/ram14 with --rate 16K" clone_create m03y/yg /dev/ram14 --rate 16K
check "m03y's records on disk: ys synchronized, yf fractured, yc split, yg filling" \
	md_becomes "$YMETA" 'recs("%(name)s=%(copy_state)s")' \
	"ys=synchronized yf=fractured yc=split yg=unsynchronized"
check "write chunks 9 and 200 of m03y: as the writes return, the maps on disk hold them (yf's map 0 5-7,9,200; yg's map 1 9,200, its map 0 neither)" \
	y_intent
check "swap $YMETA to an error target; write chunk 9 of m03y again (its bits are on disk): the write succeeds" \
	y_meta_fails

# ---------------------------------------------- r03: what the refusals use

check "create r03 on $RSRC (8 MiB, chunk-size 64K), metadata on $RMETA" \
	vol_create r03 "$RSRC" chunk-size 64K meta "$RMETA" ||
	ktap_abort "volume create with meta failed"
check "mirror r03/r03mirror on $RT synchronizes; its rate set to 1M" \
	eval 'assoc_create r03/r03mirror "$RT" && assoc_wait_idle r03/r03mirror &&
	assoc_op set r03/r03mirror --rate 1M'

# -------------------------------------------------------------- the unload

check "rmmod vdrep: the three volumes stop" rmmod vdrep ||
	ktap_abort "cannot unload vdrep"
track_volumes=()
check "m03x's last commit is clean; its records hold the states assoc show reported (progress_status too)" \
	md_is "$XMETA" 'str(d["superblock"]["clean"]) + " " + recs("%(name)s=%(copy_state)s/%(sync_state)s/%(progress_status)s")' \
	"True $xbefore"
check "m03x's record of xf: map 0 holds the 5 chunks written" \
	md_is "$XMETA" 'rec("xf")["maps"][0]["chunks"]' "3,17,40,99,127"
xgen=$(sb_field "$XMETA" generation)
check "reload the module" insmod_vdrep || ktap_abort "cannot reload $VDREP_KO"
check "swap $YMETA back to linear: m03y's last commit on it is not clean, and has write_intent" \
	eval 'ymeta_table "$YMETA_LINEAR" &&
	[ "$(sb_field "$YMETA" clean) $(sb_field "$YMETA" write_intent)" = "False True" ]'
# m03y's metadata as the unclean end left it, for the case without write intent.
yimg=$tmpdir/m03ymeta.img
dd if="$YMETA" of="$yimg" bs=1M iflag=direct status=none

# -------------------------------------------------------------- refusals

# r03's metadata as the unload left it, restored before each refusal.
rimg=$tmpdir/r03meta.img
dd if="$RMETA" of="$rimg" bs=1M iflag=direct status=none
check_eq "r03's last commit is clean (its metadata saved)" True "$(sb_field "$rimg" clean)"
restore_r()
{
	dd if="$rimg" of="$RMETA" bs=1M oflag=direct status=none
}
rcur=$(md "$rimg" 'd["current"]')

# r03_state: what a refused assemble must leave as it was: the metadata
# device's content (md5), the volumes, and which of r03's devices are held.
r03_state()
{
	local dev

	echo "metadata md5 $(dev_md5 "$RMETA")"
	echo "volumes: $(vdrep_disks | paste -sd' ')"
	for dev in "$RSRC" "$ROTHER" "$RT" "$RMETA"; do
		[ -b "$dev" ] || continue
		open_excl "$dev" 2>/dev/null || echo "$dev held"
	done
}

# assemble_refused DESCRIPTION ERRNO_TEXT MESSAGE NAME SOURCE [ARG...]:
# vdrepctl volume create NAME source SOURCE meta $RMETA [ARG...] exits 1
# printing ERRNO_TEXT and MESSAGE (fixed strings, MESSAGE may be empty),
# writes nothing on $RMETA, leaves no volume and none of r03's devices held.
assemble_refused()
{
	local desc=$1 errtext=$2 msg=$3 name=$4 src=$5

	shift 5
	VDREP_STATE_FN=r03_state expect_fail "$desc" "$errtext" "$msg" \
		volume create "$name" source "$src" meta "$RMETA" "$@"
	# A wrong success is cleaned up for the next case.
	if "$VDREPCTL" volume show "$name" >/dev/null 2>&1; then
		assoc_destroy_all "$name" >/dev/null 2>&1
		"$VDREPCTL" volume destroy "$name" >/dev/null 2>&1
	fi
}

restore_r && meta_py damage "$RMETA" 0 && meta_py damage "$RMETA" 1
assemble_refused "both superblock copies with a bad checksum: EUCLEAN" "$EUCLEAN" "" \
	r03 "$RSRC"
restore_r && meta_py set-version "$RMETA" "$rcur" 2
assemble_refused "the current copy of version 2 (checksum right): EOPNOTSUPP" "$EOPNOTSUPP" "" \
	r03 "$RSRC"
# Well-formed copies (checksum right) with one wrong record field.
restore_r && meta_py poke "$RMETA" "$rcur" 1024 6261642f6e616d6500	# "bad/name"
assemble_refused "a record named bad/name (checksum right): EUCLEAN" "$EUCLEAN" \
	"malformed association record" r03 "$RSRC"
restore_r && meta_py poke "$RMETA" "$rcur" $((1024 + 68)) 63000000
assemble_refused "a record's progress_status 99: EUCLEAN" "$EUCLEAN" \
	"states this driver does not know" r03 "$RSRC"
restore_r
assemble_refused "another volume name: EINVAL" "$EINVAL" \
	"belongs to a volume of another name" r03other "$RSRC"
assemble_refused "another source path: EINVAL" "$EINVAL" "on another source" r03 "$ROTHER"
dm_reload m03rsrc "0 $((12 * 2048)) linear /dev/ram16 0"
assemble_refused "the source grown to 12 MiB: EINVAL" "$EINVAL" "on another source" r03 "$RSRC"
dm_reload m03rsrc "0 $((8 * 2048)) linear /dev/ram16 0"
assemble_refused "chunk-size 128K given, 64K recorded: EINVAL" "$EINVAL" "" \
	r03 "$RSRC" chunk-size 128K
dm_remove m03rt
dmesg_mark=$(dmesg | wc -l)
assemble_refused "the mirror's target $RT removed: ENOENT" "$ENOENT" "" r03 "$RSRC"
check "the kernel log names the association r03mirror" new_kernel_log_has r03mirror
dm_slice m03rt /dev/ram17 0 12
assemble_refused "the mirror's target back with 12 MiB: EINVAL" "$EINVAL" "" r03 "$RSRC"
dm_reload m03rt "0 $((8 * 2048)) linear /dev/ram17 0"

# ---------------------------------------- r03 from the other copy

restore_r && meta_py damage "$RMETA" "$rcur"
check "the current copy's checksum bad: r03 is assembled (from the other copy)" \
	vol_create r03 "$RSRC" chunk-size 64K meta "$RMETA"
check_eq "r03mirror comes back with the other copy's rate limit, 1M" 1048576 \
	"$(assoc_get r03/r03mirror rate-limit)"
rgen=$(sb_field "$RMETA" generation)
check "commits go on: the rate set to 2M is on disk, at a generation past $rgen" \
	r_committed "$rgen"
check "meta check of $RMETA: consistent" "$VDREPCTL" meta check "$RMETA"
check "r03mirror synchronizes" assoc_wait_idle r03/r03mirror
check_eq "r03mirror's target equals the source" "$(dev_sha256 "$RSRC")" "$(dev_sha256 "$RT")"

# ------------------------------------------------- m03x, clean: assemble

check "vdrepctl monitor runs" monitor_start "$tmpdir/mon"
check "assemble m03x from $XMETA (no chunk-size given)" vol_create m03x /dev/ram0 meta "$XMETA" ||
	ktap_abort "assemble of m03x failed"
vx=/dev/$(vol_disk m03x)
check_eq "m03x: chunk size 131072 (the superblock's), metadata writable" "131072 writable" \
	"$(vol_json m03x chunk_size) $(vol_json m03x metadata)"
check "the monitor saw m03x created, then its nine associations" \
	mon_created "$tmpdir/mon" m03x "${XA[@]}"
settings m03x "${XA[@]}" >"$tmpdir/xsettings.after"
check "names, kinds, targets, sync modes, copy types, priorities, rate limits, view-writable came back" \
	diff "$tmpdir/xsettings.before" "$tmpdir/xsettings.after"
check_eq "m03x's associations are as before, the snapshot xn split" \
	"$(x_states "$ST_SNAP_SPLIT")" "$(states m03x "${XA[@]}")"
check_eq "xn's view reads its point in time, its store holds the 5 chunks written" \
	"$PG $((5 * CSX))" "$(view_sha m03x/xn) $(assoc_get m03x/xn store-used)"
check_eq "the volume reads what it held" "$PX" "$(dev_sha256 "$vx")"
check "xs and xa are idle" all_idle m03x/xs m03x/xa
check_eq "xs and xa copied nothing (copied-chunks 0 0), their targets equal the source" \
	"0 0 $PX $PX" "$(assoc_get m03x/xs copied-chunks) $(assoc_get m03x/xa copied-chunks) \
$(dev_sha256 /dev/ram1) $(dev_sha256 /dev/ram2)"
check_eq "xf: dirty-chunks 5" 5 "$(assoc_get m03x/xf dirty-chunks)"
check "resync xf: it becomes synchronized" eval 'assoc_op resync m03x/xf && assoc_wait_idle m03x/xf'
check_eq "xf: copied-chunks 5, its target equals the source" "5 $PX" \
	"$(assoc_get m03x/xf copied-chunks) $(dev_sha256 /dev/ram3)"
check_eq "the complete clone xc's view reads its point in time" "$HC" "$(view_sha m03x/xc)"
check "write chunks 100-103 of m03x while xg fills (copy-on-write)" \
	touch_chunks "$vx" "$CSX" x4 100 101 102 103
check_eq "xn preserved them: its view still reads its point in time, 9 chunks stored" \
	"$PG $((9 * CSX))" "$(view_sha m03x/xn) $(assoc_get m03x/xn store-used)"
check "xg at --rate 0 finishes its fill: split" \
	eval 'assoc_op set m03x/xg --rate 0 && assoc_wait m03x/xg split'
check_eq "xg's view and target hold its point in time" "$PG $PG" \
	"$(view_sha m03x/xg) $(dev_sha256 /dev/ram7)"
check "m03x's commits go on: generation past $xgen, meta check consistent" \
	eval '[ "$(sb_field "$XMETA" generation)" -gt "$xgen" ] && "$VDREPCTL" meta check "$XMETA"'

# ------------------------- m03y, unclean with write intent: assemble

check "assemble m03y from $YMETA" vol_create m03y /dev/ram10 meta "$YMETA" chunk-size 64K ||
	ktap_abort "assemble of m03y failed"
vy=/dev/$(vol_disk m03y)
check_eq "yf: fractured, dirty-chunks 5 (those written while fractured: 5-7, 9, 200)" \
	"$ST_FRACTURED 5" "$(assoc_states m03y/yf) $(assoc_get m03y/yf dirty-chunks)"
check_eq "yc stays split" "$ST_CLONE_SPLIT" "$(assoc_states m03y/yc)"
check_eq "yc's view reads its point in time" "$HYC" "$(view_sha m03y/yc)"
check_eq "yg, filling at the unload, comes back filling (not broken)" "$ST_CLONE_FILLING" \
	"$(assoc_states m03y/yg)"
check "yg at --rate 0 finishes its fill: split" \
	eval 'assoc_op set m03y/yg --rate 0 && assoc_wait m03y/yg split'
check_eq "yg's view and target hold its point in time" "$PYG $PYG" \
	"$(view_sha m03y/yg) $(dev_sha256 /dev/ram14)"
check "ys resyncs and becomes synchronized" assoc_wait_idle m03y/ys
PY=$(dev_sha256 "$vy")
check_eq "ys: copied at most the 5 chunks written since its sync, its target equals the source" \
	"yes $PY" "$(at_most 5 "$(assoc_get m03y/ys copied-chunks)") $(dev_sha256 /dev/ram11)"
check "resync yf: it copies its 5 chunks, its target equals the source" \
	eval 'assoc_op resync m03y/yf && assoc_wait_idle m03y/yf &&
	[ "$(assoc_get m03y/yf copied-chunks) $(dev_sha256 /dev/ram12)" = "5 $PY" ]'
check "meta check of $YMETA: consistent" "$VDREPCTL" meta check "$YMETA"

# ------------- m03y, unclean without write intent (an older writer)

restore_y()
{
	dd if="$yimg" of="$YMETA" bs=1M oflag=direct status=none
}
check "stop m03y; its unclean metadata restored, write_intent cleared in the current copy (checksum fixed)" \
	eval 'ctl volume stop m03y && { untrack_volume m03y; restore_y; } &&
	meta_py set-flags "$YMETA" current -2 &&
	[ "$(sb_field "$YMETA" clean) $(sb_field "$YMETA" write_intent)" = "False False" ]'
check "while m03y is stopped, change chunk 4 of ys's target /dev/ram11" \
	range_write /dev/ram11 $((4 * CSY)) "$CSY" tampered
check "assemble m03y from $YMETA again" vol_create m03y /dev/ram10 meta "$YMETA" ||
	ktap_abort "assemble of m03y failed"
vy=/dev/$(vol_disk m03y)
check_eq "yf: fractured, every chunk dirty ($NCY)" "$ST_FRACTURED $NCY" \
	"$(assoc_states m03y/yf) $(assoc_get m03y/yf dirty-chunks)"
check_eq "yc stays split" "$ST_CLONE_SPLIT" "$(assoc_states m03y/yc)"
check_eq "yc's view reads its point in time" "$HYC" "$(view_sha m03y/yc)"
check_eq "yg, filling in that metadata, is broken" "$ST_BROKEN" "$(assoc_states m03y/yg)"
check "ys resyncs and becomes synchronized" assoc_wait_idle m03y/ys
check_eq "ys: copied-chunks $NCY (every chunk), its target equals the source (chunk 4 repaired)" \
	"$NCY $PY" "$(assoc_get m03y/ys copied-chunks) $(dev_sha256 /dev/ram11)"
check "meta check of $YMETA: consistent" "$VDREPCTL" meta check "$YMETA"

ktap_finished
