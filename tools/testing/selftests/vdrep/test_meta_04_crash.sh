#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Crash consistency of the metadata at every flush point (write intent,
# metadata-format.rst). Every write below a volume goes through ONE
# dm-log-writes device (c04lw on /dev/ram0, its log on /dev/ram1), so the log
# holds one total order of what became durable: dm-linear slices of it are
# the source, a sync mirror's target, an async mirror's target, a clone's
# target (16 MiB each), the metadata device (1 MiB) and a snapshot's store
# (17 MiB). The workload, logged: fill the source; create the volume
# (formats the metadata); mirrors ms (sync) and ma (async) synchronize; a
# snapshot sn is taken and a clone cl starts filling slowly (their point in
# time hashed first); acknowledged writes (direct I/O, FUA or fsync), each
# followed by a mark ack_<i>; ma fractured and written while fractured;
# cl's fill finished (split); more writes.
#
# Then vdrep_logreplay.py (a dm-log-writes reader written here) rebuilds the
# devices as a power cut after a flush point would have left them: the log
# replayed up to there onto /dev/ram2, copied to /dev/ram3, the SAME slice
# names made on that copy (the metadata records the paths). At each cut:
# meta check is consistent (before the format: there is no metadata, and
# volume create formats it), the current superblock copy has write_intent,
# the volume assembles with nothing broken (a filling clone resumes), every
# write acknowledged before the cut reads back, each mirror synchronizes
# again (a fractured one after a resync) with its target equal to the
# source, copying at most the chunks written by then (up to the write in
# flight; all of them only before mark synced: the first sync's bits leave
# the device lazily, and the workload waits for that before the mark); a
# fractured one has dirty (and copies) the chunks written while fractured,
# those acknowledged at least, those issued at most; the clone ends split
# with its point in time; the snapshot comes back split, its store passes
# meta check and its view reads its point in time (its store map entries
# are durable before the source writes they preserve for). One cut is the direct check of "only the
# chunks dirty at the cut": right after the third write, ms (synchronized,
# three chunks written) copies at most 3 of its 256 chunks.
#
# By default an evenly spaced subset of at most VDREP_CRASH_CUTS (8) cuts
# is checked, always with the first after the format, the last, and cuts
# around the initial sync, the clone's fill and the fracture; with
# VDREP_CRASH_ALL=1 every flush point (about 120, some 12 minutes on lane
# 6.12). A diagnostic line says how many flush points the log has and which
# were checked, one line per cut what its metadata held and what came back.
# Last, the rest of the log is replayed: the result must be the logged
# device, byte for byte.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools sha256sum cmp awk dmsetup
modprobe dm-log-writes 2>/dev/null
dmsetup targets 2>/dev/null | grep -q '^log-writes ' ||
	ktap_skip_all "no device-mapper target log-writes (CONFIG_DM_LOG_WRITES)"
dm_require log-writes linear
ktap_plan 24

start=$SECONDS
V=c04
CS=65536			# the volume's chunk size
CSEC=$((CS / 512))
NC=256				# chunks of the 16 MiB source
LW=c04lw
BASE=/dev/ram0			# under the log-writes device
LOGDEV=/dev/ram1		# its log
REPLAY=/dev/ram2		# the log replayed, cut after cut
SCRATCH=/dev/ram3		# a copy of it, for one cut's checks
REGION_MIB=82			# what the slices use of BASE
SRC=/dev/mapper/c04src
MS=/dev/mapper/c04ms
MA=/dev/mapper/c04ma
CL=/dev/mapper/c04cl
SN=/dev/mapper/c04sn
META=/dev/mapper/c04meta
SRC_SECTORS=$((16 * 2048))	# the source slice starts at sector 0
META_START=$((64 * 2048))
META_SECTORS=2048
K0=3				# the direct check's cut: after ack_3
CUTS_MAX=${VDREP_CRASH_CUTS:-8}
export VDREP_WAIT_TIMEOUT=${VDREP_WAIT_TIMEOUT:-120}

replay_py()
{
	"$PYTHON" -S "$VDREP_TEST_DIR/vdrep_logreplay.py" "$@"
}

# slices_on DEV: the six slices, as dm-linear pieces of DEV.
slices_on()
{
	dm_slice c04src "$1" 0 16 && dm_slice c04ms "$1" 16 16 &&
		dm_slice c04ma "$1" 32 16 && dm_slice c04cl "$1" 48 16 &&
		dm_slice c04meta "$1" 64 1 && dm_slice c04sn "$1" 65 17
}

slices_off()
{
	local s rc=0

	for s in c04src c04ms c04ma c04cl c04meta c04sn; do
		dm_remove "$s" || rc=1
	done
	return "$rc"
}

mark()
{
	dmsetup message "$LW" 0 mark "$1"
}

# The acknowledged writes: offset in the volume, length, how dd makes it
# durable (oflag=sync: a FUA write; conv=fsync: a write, then a flush), and
# whether ma was fractured then. Regions do not overlap, so each must read
# back its own pattern (tag a<i>) once its mark is before a cut.
ACK_OFF=() ACK_LEN=() ACK_MODE=() ACK_FRACT=()
def_ack()
{
	ACK_OFF[$1]=$2 ACK_LEN[$1]=$3 ACK_MODE[$1]=$4 ACK_FRACT[$1]=$5
}
# ms, ma synchronized, cl filling (from chunk 0 up: 3 is copied soon, 255
# last; a write to a chunk not copied yet preserves its old data first).
def_ack 1 $((200 * CS)) 32768 sync 0
def_ack 2 $((3 * CS + 8192)) 4096 fsync 0
def_ack 3 $((130 * CS)) 4096 sync 0
def_ack 4 $((200 * CS + 49152)) 4096 fsync 0
def_ack 5 $((NC * CS - 4096)) 4096 sync 0
def_ack 6 $((65 * CS - 4096)) 8192 fsync 0	# across chunks 64 and 65
# ma fractured.
def_ack 7 $((10 * CS)) 4096 sync 1
def_ack 8 $((130 * CS + 32768)) 4096 fsync 1
def_ack 9 $((240 * CS)) "$CS" sync 1
# cl split (its map 1).
def_ack 10 $((20 * CS + 4096)) 4096 sync 1
def_ack 11 $((201 * CS)) 4096 fsync 1
NACK=11

# ack_write I...: write I of the table through the volume, then its mark.
ack_write()
{
	local i dd_flags

	for i in "$@"; do
		case ${ACK_MODE[i]} in
		sync) dd_flags=("oflag=direct,sync,seek_bytes") ;;
		*) dd_flags=("oflag=direct,seek_bytes" conv=fsync) ;;
		esac
		chunk_pattern "a$i" "${ACK_LEN[i]}" | dd of="$vol" bs="${ACK_LEN[i]}" \
			seek="${ACK_OFF[i]}" count=1 iflag=fullblock "${dd_flags[@]}" \
			status=none || return 1
		mark "ack_$i" || return 1
	done
}

# acks_read DEV I...: each write I reads back from DEV (direct reads).
acks_read()
{
	local dev=$1 i specs=()

	shift
	for i in "$@"; do
		specs+=("$i:${ACK_OFF[i]}:${ACK_LEN[i]}")
	done
	[ ${#specs[@]} -gt 0 ] || return 0
	"$PYTHON" -S -c '
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)
bad = 0
for spec in sys.argv[2:]:
    i, off, n = spec.split(":")
    off, n = int(off), int(n)
    line = ("vdrep-a%s\n" % i).encode()
    want = (line * (n // len(line) + 1))[:n]
    buf = mmap.mmap(-1, n)
    got = os.preadv(fd, [buf], off)
    if got != n or buf[:n] != want:
        print("write %s (bytes %d-%d) does not read back" % (i, off, off + n - 1))
        bad = 1
sys.exit(bad)
' "$dev" "${specs[@]}"
}

# same_dev A B [MIB]: equal contents (direct reads; the first MIB MiB, else
# all); else the first chunk that differs.
same_dev()
{
	local out byte

	out=$(cmp <(dd if="$1" bs=1M ${3:+count=$3} iflag=direct status=none) \
		<(dd if="$2" bs=1M ${3:+count=$3} iflag=direct status=none) 2>&1) && return 0
	byte=$(sed -n 's/.* byte \([0-9]*\),.*/\1/p' <<<"$out")
	echo "$1 and $2 differ${byte:+ from chunk $(((byte - 1) / CS))}: $out"
	return 1
}

# diff_chunks A B: the chunks (of CS bytes) in which A and B differ.
diff_chunks()
{
	"$PYTHON" -S -c '
import sys
a, b = open(sys.argv[1], "rb"), open(sys.argv[2], "rb")
out, c = [], 0
while True:
    x, y = a.read(int(sys.argv[3])), b.read(int(sys.argv[3]))
    if not x and not y:
        break
    if x != y:
        out.append(str(c))
    c += 1
print(",".join(out) or "none")
' "$1" "$2" "$CS"
}

# maps_clear DEV: the mirrors' map 0 on DEV is empty (their first sync's
# bits gone: they are cleared lazily once the chunks are equal).
maps_clear()
{
	"$VDREPCTL" -j meta dump "$1" >"$tmpdir/clear.json" 2>&1 &&
		[ "$(meta_eval "$tmpdir/clear.json" 'rec("ms")["maps"][0]["set"] + rec("ma")["maps"][0]["set"]')" = 0 ]
}

# A bounded wait (against hangs, not a timing check) for maps_clear.
maps_become_clear()
{
	local i

	for ((i = 0; i < 300; i++)); do
		maps_clear "$1" && return 0
		sleep 0.2
	done
	echo "the mirrors' map 0 on $1 never became empty:"
	meta_eval "$tmpdir/clear.json" 'recs("%(name)s")' 2>&1
	meta_eval "$tmpdir/clear.json" '[(r["name"], r["maps"][0]["set"]) for r in d["records"]]' 2>&1
	return 1
}

vol_json()
{
	"$VDREPCTL" -j volume show "$1" | json_get "$2"
}

# vol_write_cache: the volume has a write cache and FUA (as its source), so
# flushes and FUA writes reach the log.
vol_write_cache()
{
	local wc fua

	wc=$(sysfs_queue "$vol" write_cache)
	fua=$(sysfs_queue "$vol" fua)
	[ "$wc" = "write back" ] && [ "$fua" = 1 ] && return 0
	echo "$vol: write_cache '$wc', fua '$fua'"
	return 1
}

# The slices go before the log-writes device under them; a volume on them
# before the slices.
crash_cleanup()
{
	local s

	if module_loaded; then
		for s in "${track_volumes[@]}"; do
			assoc_destroy_all "$s"
			"$VDREPCTL" volume destroy "$s"
		done >/dev/null 2>&1
	fi
	for s in c04src c04ms c04ma c04cl c04meta c04sn; do
		dmsetup remove "$s" >/dev/null 2>&1
	done
	cleanup
}
trap crash_cleanup EXIT

# ----------------------------------------------------------------- set-up

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 4 256 || ktap_abort "cannot set up brd ramdisks"
check "dm-log-writes $LW on $BASE ($REGION_MIB MiB) logging to $LOGDEV; slices c04src, c04ms, c04ma, c04cl (16 MiB), c04meta (1 MiB) and c04sn (17 MiB) on it" \
	eval 'dm_create "$LW" "0 $((REGION_MIB * 2048)) log-writes $BASE $LOGDEV" &&
	slices_on "/dev/mapper/$LW"' ||
	ktap_abort "cannot set up the log-writes device and its slices"

# ------------------------------------------------------ the logged workload

check "fill the source with random data (fsync); mark filled" \
	eval 'dd if=/dev/urandom of="$SRC" bs=1M count=16 iflag=fullblock oflag=direct conv=fsync \
	status=none && mark filled' || ktap_abort "cannot fill the source"
check "create $V on $SRC (chunk-size 64K), metadata on $META (formatted); mark created" \
	eval 'vol_create "$V" "$SRC" chunk-size 64K meta "$META" && mark created' ||
	ktap_abort "volume create with meta failed"
vol=/dev/$(vol_disk "$V")
check "the volume has a write cache and FUA, as its source (flushes reach the log)" \
	vol_write_cache
check "mirrors ms (sync) on $MS and ma (async) on $MA synchronize, their map 0 on disk becomes empty; mark synced" \
	eval 'assoc_create "$V/ms" "$MS" && assoc_create "$V/ma" "$MA" --mode async &&
	assoc_wait_idle "$V/ms" && assoc_wait_idle "$V/ma" && maps_become_clear "$META" &&
	mark synced' ||
	ktap_abort "the mirrors did not synchronize"
PC=$(dev_sha256 "$vol")
check "snapshot sn on $SN, clone cl on $CL at --rate 256K (their point in time hashed first) fills; mark clone" \
	eval 'snap_create "$V/sn" "$SN" && clone_create "$V/cl" "$CL" --rate 256K &&
	assoc_is "$V/cl" "$ST_CLONE_FILLING" && mark clone' ||
	ktap_abort "the snapshot or the clone did not start"
check "writes 1-6 acknowledged (FUA, fsync) with ms, ma synchronized and cl filling, each marked" \
	ack_write 1 2 3 4 5 6
check "fracture ma; mark fractured; writes 7-9 acknowledged while it is fractured" \
	eval 'assoc_op fracture "$V/ma" && mark fractured && ack_write 7 8 9'
check "cl finishes its fill at --rate 0 and is split, its view reads its point in time; mark split" \
	eval 'assoc_op set "$V/cl" --rate 0 && assoc_wait "$V/cl" split &&
	[ "$(view_sha "$V/cl")" = "$PC" ] && mark split'
check "writes 10-11 acknowledged with cl split; every write reads back through the volume; mark done" \
	eval 'ack_write 10 11 && acks_read "$vol" $(seq 1 $NACK) && mark done'
lw_status=$(dmsetup status "$LW" 2>&1)
diag "$LW: $lw_status"
check "stop $V; remove the slices and $LW (the log was never disabled)" \
	eval '[[ $lw_status != *logging_disabled* ]] && ctl volume stop "$V" &&
	{ untrack_volume "$V"; slices_off; } && dm_remove "$LW"' ||
	ktap_abort "cannot end the logged workload"
diag "workload logged in $((SECONDS - start)) s"

# --------------------------------------------------------------- the log

LIST=$tmpdir/log.list
declare -A MK=()
FC=()				# flush points: cut after entry P-1
NENT=0

# read_log: the entry list, the marks (MK[name] = index), the cuts after
# each FLUSH or FUA entry (FC, as the number of entries replayed), and the
# source chunks each entry writes ($tmpdir/src.writes: INDEX LO HI).
read_log()
{
	local idx flags n name want=(filled created synced clone fractured split "done") m

	replay_py info "$LOGDEV" >"$tmpdir/log.info" || return 1
	replay_py list "$LOGDEV" >"$LIST" || return 1
	NENT=$(wc -l <"$LIST")
	while read -r idx flags _ n name; do
		[[ $flags == *mark* ]] && MK[$name]=$idx
		[[ $flags == *flush* || $flags == *fua* ]] && FC+=($((idx + 1)))
	done <"$LIST"
	awk -v end="$SRC_SECTORS" -v cs="$CSEC" '
		$2 !~ /mark|discard/ && $4 > 0 && $3 < end {
			hi = $3 + $4 - 1; if (hi >= end) hi = end - 1
			print $1, int($3 / cs), int(hi / cs) }' "$LIST" >"$tmpdir/src.writes"
	for ((m = 1; m <= NACK; m++)); do
		want+=("ack_$m")
	done
	for m in "${want[@]}"; do
		[ -n "${MK[$m]:-}" ] || { echo "no mark $m in the log"; return 1; }
	done
	# In workload order.
	m=-1
	for name in filled created synced clone ack_1 ack_2 ack_3 ack_4 ack_5 ack_6 \
		fractured ack_7 ack_8 ack_9 split ack_10 ack_11 "done"; do
		if [ "${MK[$name]}" -le "$m" ]; then
			echo "mark $name (entry ${MK[$name]}) is not after the one before (entry $m)"
			return 1
		fi
		m=${MK[$name]}
	done
	[ ${#FC[@]} -gt 0 ] || { echo "no flush point"; return 1; }
	echo "$(cat "$tmpdir/log.info"); ${#FC[@]} flush points"
}

check "the log reads back (vdrep_logreplay.py): its entries, every mark in order, its flush points" \
	read_log || ktap_abort "the log cannot be read"
diag "log: $(cat "$tmpdir/log.info"), $NENT entries listed, ${#FC[@]} flush points (FLUSH or FUA)"

# first_cut_after X: the first flush cut P > X; last_cut_upto X: the last P <= X.
first_cut_after()
{
	local p

	for p in "${FC[@]}"; do
		[ "$p" -gt "$1" ] && { echo "$p"; return 0; }
	done
	return 1
}

last_cut_upto()
{
	local p best=

	for p in "${FC[@]}"; do
		[ "$p" -le "$1" ] && best=$p
	done
	[ -n "$best" ] && echo "$best"
}

# The entries that write the metadata slice: the format is the last of them
# before mark created.
meta_writes()
{
	awk -v lo="$META_START" -v hi="$((META_START + META_SECTORS))" \
		'$2 !~ /mark|discard/ && $4 > 0 && $3 < hi && $3 + $4 > lo { print $1 }' "$LIST"
}
FIRST_META=$(meta_writes | head -n1)
FORMAT_LAST=$(meta_writes | awk -v c="${MK[created]}" '$1 < c' | tail -n1)
P_FORMAT=$(first_cut_after "$FORMAT_LAST")

# The cuts to check: P (entries replayed) and why, sorted by P.
CANDIDATES=()
for p in "${FC[@]}"; do
	[ "$p" -le "${MK[done]}" ] && CANDIDATES+=("$p")
done
declare -A WHY=()
pick()
{
	[ -n "$1" ] || return 0
	WHY[$1]=${WHY[$1]:+${WHY[$1]}, }$2
}
P_ACK=$((${MK[ack_$K0]} + 1))
pick "$P_ACK" "right after ack_$K0 (the direct check)"
if [ "${VDREP_CRASH_ALL:-0}" = 1 ]; then
	for p in "${CANDIDATES[@]}"; do
		pick "$p" ""
	done
else
	pick "$P_FORMAT" "first after the format"
	pick "$(last_cut_upto "${MK[done]}")" "last"
	pick "$(last_cut_upto "$FIRST_META")" "before the format"
	sync_cuts=()
	for p in "${CANDIDATES[@]}"; do
		[ "$p" -gt "${MK[created]}" ] && [ "$p" -le "${MK[synced]}" ] && sync_cuts+=("$p")
	done
	[ ${#sync_cuts[@]} -gt 0 ] && pick "${sync_cuts[${#sync_cuts[@]} / 2]}" "mirrors syncing"
	pick "$(first_cut_after "$((MK[ack_4] + 1))")" "inside write 5 (cl filling)"
	pick "$(first_cut_after "${MK[fractured]}")" "inside write 7 (ma fractured)"
	pick "$(last_cut_upto "${MK[split]}")" "cl's fill ending"
	# Evenly spaced ones up to the limit.
	left=$((CUTS_MAX - ${#WHY[@]}))
	rest=()
	for p in "${CANDIDATES[@]}"; do
		[ -n "${WHY[$p]+x}" ] || rest+=("$p")
	done
	for ((j = 0; j < left && ${#rest[@]} > 0; j++)); do
		pick "${rest[$(((2 * j + 1) * ${#rest[@]} / (2 * left)))]}" "evenly spaced"
	done
fi
mapfile -t CUTS < <(printf '%s\n' "${!WHY[@]}" | sort -n)
diag "${#FC[@]} flush points (${#CANDIDATES[@]} up to mark done); format ends at entry $FORMAT_LAST; checking ${#CUTS[@]} cuts (P = entries replayed): ${CUTS[*]}"

# last_mark_before P: "mark +n" for the last mark among the first P entries.
last_mark_before()
{
	awk -v p="$1" '$1 < p && $2 ~ /mark/ { m = $5; i = $1 } END {
		if (m == "") print "start +" p; else print m " +" (p - 1 - i) }' "$LIST"
}

# written P: the source chunks written from mark filled up to the first
# mark at or after P (a chunk's bits are on disk before its write is, and
# the write in flight at the cut ends at that mark), as "COUNT CHUNKS".
written()
{
	local p=$1 nm

	nm=$(awk -v p="$p" '$1 >= p && $2 ~ /mark/ { print $1; exit }' "$LIST")
	awk -v from="${MK[filled]}" -v to="${nm:-$NENT}" '
		$1 >= from && $1 < to { for (c = $2; c <= $3; c++) set[c] = 1 }
		END { n = 0; s = ""
			for (c = 0; c < 4096; c++) if (c in set) { n++; s = s (s == "" ? "" : ",") c }
			print n, (s == "" ? "none" : s) }' "$tmpdir/src.writes"
}

# acked P: the writes whose marks are among the first P entries.
acked()
{
	local i

	for ((i = 1; i <= NACK; i++)); do
		[ "${MK[ack_$i]}" -lt "$1" ] && echo "$i"
	done
}

# issued P: the writes issued before the cut after P entries: those acked,
# and the one in flight (its mark is the first at or after P).
issued()
{
	local i nm

	nm=$(awk -v p="$1" '$1 >= p && $2 ~ /mark/ { print $1; exit }' "$LIST")
	for ((i = 1; i <= NACK; i++)); do
		[ "${MK[ack_$i]}" -le "${nm:-$NENT}" ] && echo "$i"
	done
}

# fract_chunks I...: the chunks that writes I made while ma was fractured.
fract_chunks()
{
	local i c

	for i in "$@"; do
		[ "${ACK_FRACT[i]}" = 1 ] || continue
		for ((c = ACK_OFF[i] / CS; c <= (ACK_OFF[i] + ACK_LEN[i] - 1) / CS; c++)); do
			echo "$c"
		done
	done | sort -un
}

# ------------------------------------------------------------ the cuts

# Failures per aggregated check, as diagnostic lines; and what the direct
# check needs from its cut.
declare -A FAIL=() APPLIED=()
fail()
{
	FAIL[$1]+="cut $cut: $2"$'\n'
}
applied()
{
	APPLIED[$1]=$((${APPLIED[$1]:-0} + 1))
}
D_COPIED='' D_END=''
replayed=0

# cut_mirror NAME TARGET: after the assemble, the mirror synchronizes (a
# fractured one after its resync), its target equals the source, and what
# it copied is within the bounds of the cut.
cut_mirror()
{
	local a=$V/$1 target=$2 disk_state=$3 st dirty=0 copied out bound f_lo f_hi w_n

	st=$(assoc_states "$a")
	applied sync
	applied bounds
	if [ "$st" = "$ST_FRACTURED" ]; then
		dirty=$(assoc_get "$a" dirty-chunks)
		assoc_op resync "$a" >/dev/null || fail sync "$1: resync refused"
	fi
	if ! out=$(assoc_wait_idle "$a" 2>&1); then
		fail sync "$1 (back $st) never synchronized: $out"
		return
	fi
	out=$(same_dev "$SRC" "$target") || fail sync "$1: $out"
	copied=$(assoc_get "$a" copied-chunks)
	copied=${copied:-0}
	# Before mark synced, the first sync's bits may still be on disk.
	w_n=${cut_written%% *}
	bound=$NC
	if [ "$cut" -gt "${MK[synced]}" ]; then
		case $disk_state in
		synchronized | fractured) bound=$w_n ;;
		esac
	fi
	line+=" $1=$disk_state->$st"
	[ "$st" = "$ST_FRACTURED" ] && line+=" dirty $dirty"
	line+=" copied $copied"
	[ "$copied" -le "$bound" ] ||
		fail bounds "$1 ($disk_state on disk) copied $copied chunks, more than $bound (chunks written by then: ${cut_written#* })"
	# A fractured mirror's map 0 is what it tracks (its intents go at the
	# commit of the fracture): the chunks written while fractured, those
	# acknowledged at least, those issued at most.
	if [ "$st" = "$ST_FRACTURED" ]; then
		f_lo=$(fract_chunks "${cut_acks[@]}" | wc -l)
		# shellcheck disable=SC2046 # write numbers, one a line
		f_hi=$(fract_chunks $(issued "$cut") | wc -l)
		if [ "$dirty" -lt "$f_lo" ] || [ "$dirty" -gt "$f_hi" ] || [ "$copied" -ne "$dirty" ]; then
			fail bounds "$1 fractured: dirty-chunks $dirty, copied $copied; chunks written while fractured: $f_lo acknowledged ($(fract_chunks "${cut_acks[@]}" | paste -sd,)), $f_hi issued"
		fi
	fi
	if [ "$cut" = "$P_ACK" ] && [ "$1" = ms ]; then
		D_COPIED=$copied
		D_END="$(assoc_states "$a") $([ -z "$out" ] && echo equal)"
	fi
}

# cut_clone DISK_STATE: the clone is not broken; it ends split with its
# point in time.
cut_clone()
{
	local a=$V/cl st sum

	applied clone
	st=$(assoc_states "$a")
	line+=" cl=$1->$st"
	if [ "$st" = "$ST_CLONE_FILLING" ]; then
		if ! { assoc_op set "$a" --rate 0 >/dev/null && assoc_wait "$a" split >/dev/null; }; then
			fail clone "cl (back $st) did not end split: $(assoc_states "$a")"
			return
		fi
	elif [ "$st" != "$ST_CLONE_SPLIT" ]; then
		fail clone "cl came back $st"
		return
	fi
	sum=$(view_sha "$a") || { fail clone "cl's view cannot be read"; return; }
	if [ "$sum" != "$PC" ]; then
		dd if="$(assoc_view "$a")" of="$tmpdir/view.img" bs=1M iflag=direct status=none
		fail clone "cl's view is not its point in time: chunks $(diff_chunks "$tmpdir/view.img" "$tmpdir/pit.img") differ"
	fi
}

# cut_snap DISK_STATE: the snapshot is split, its store consistent on its
# own, its view its point in time.
cut_snap()
{
	local a=$V/sn st sum out

	applied snap
	st=$(assoc_states "$a")
	line+=" sn=$1->$st"
	if [ "$st" != "$ST_SNAP_SPLIT" ]; then
		fail snap "sn came back $st"
		return
	fi
	out=$("$VDREPCTL" meta check "$SN" 2>&1) || fail snap "meta check of its store: $out"
	line+=" stored $(($(assoc_get "$a" store-used) / CS))"
	sum=$(view_sha "$a") || { fail snap "sn's view cannot be read"; return; }
	if [ "$sum" != "$PC" ]; then
		dd if="$(assoc_view "$a")" of="$tmpdir/view.img" bs=1M iflag=direct status=none
		fail snap "sn's view is not its point in time: chunks $(diff_chunks "$tmpdir/view.img" "$tmpdir/pit.img") differ"
	fi
}

# check_cut P: the devices as a power cut after entry P-1 leaves them.
check_cut()
{
	local cut=$1 out rc info wi gen recs r name state cut_acks=() cut_written line t0=$SECONDS

	line="cut $cut ($(last_mark_before "$cut")${WHY[$cut]:+; ${WHY[$cut]}}):"
	# The source at mark clone: the clone's point in time, for diagnostics.
	if [ "$replayed" -le "${MK[clone]}" ] && [ "$cut" -gt "${MK[clone]}" ]; then
		replay_py replay "$LOGDEV" "$REPLAY" "$replayed" "${MK[clone]}" &&
			dd if="$REPLAY" of="$tmpdir/pit.img" bs=1M count=16 iflag=direct status=none &&
			replayed=${MK[clone]}
		[ "$(sha256sum <"$tmpdir/pit.img" | cut -d' ' -f1)" = "$PC" ] ||
			diag "the source replayed to mark clone does not hash to the clone's point in time"
	fi
	if ! out=$(replay_py replay "$LOGDEV" "$REPLAY" "$replayed" "$cut" 2>&1); then
		fail meta "replay failed: $out"
		return
	fi
	replayed=$cut
	dd if="$REPLAY" of="$SCRATCH" bs=1M count="$REGION_MIB" iflag=direct oflag=direct \
		status=none || { fail meta "copy to $SCRATCH failed"; return; }
	slices_on "$SCRATCH" || { fail meta "slices on $SCRATCH failed"; return; }
	mapfile -t cut_acks < <(acked "$cut")
	cut_written=$(written "$cut")

	applied meta
	out=$("$VDREPCTL" meta check "$META" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && [[ $out == *"no vdrep metadata"* ]]; then
		line+=" no metadata yet;"
		[ "$cut" -le "$FORMAT_LAST" ] || fail meta "no metadata after the format"
		if vol_create "$V" "$SRC" chunk-size 64K meta "$META" >/dev/null &&
			[ "$(vol_json "$V" metadata)" = writable ] &&
			"$VDREPCTL" meta check "$META" >/dev/null 2>&1 && vol_destroy "$V" >/dev/null; then
			line+=" volume create formats it"
		else
			fail meta "volume create did not format the metadata: $(cat "$(out_file)")"
			"$VDREPCTL" volume destroy "$V" >/dev/null 2>&1 && untrack_volume "$V"
		fi
		diag "$line"
		slices_off || fail meta "removing the slices failed"
		return
	fi
	[ "$rc" -eq 0 ] || fail meta "meta check: $out"

	# What the cut left on disk, read before the assemble changes it.
	"$VDREPCTL" -j meta dump "$META" >"$tmpdir/cut.json" 2>&1
	# Line 1: write_intent, generation, NAME=COPY_STATE of each record; line
	# 2: their maps (map 0 / map 1; a map 0 of half the chunks or more as
	# the chunks it lacks).
	info=$(meta_eval "$tmpdir/cut.json" \
		'"%d %d %s\n" % (d["superblock"]["flags"] & 2, d["superblock"]["generation"], recs("%(name)s=%(copy_state)s")) + " ".join("%s:%s/%s" % (r["name"], r["maps"][0]["chunks"] if r["maps"][0]["set"] < 128 else "all but " + ",".join(map(str, sorted(set(range(d["superblock"]["nr_chunks"])) - chunk_set(r["name"], 0)))), r["maps"][1]["chunks"]) for r in d.get("records", []))' 2>&1)
	read -r wi gen recs <<<"$info"
	line+=" generation $gen, records [${recs}], maps [$(sed -n 2p <<<"$info")];"
	line+=" written ${cut_written%% *} chunks; acked ${cut_acks[*]:-none};"
	applied wi
	[ "$wi" = 2 ] || fail wi "the current superblock copy has no write_intent (flags: $info)"

	applied assemble
	if ! vol_create "$V" "$SRC" meta "$META" >/dev/null; then
		fail assemble "assemble failed: $(cat "$(out_file)")"
		diag "$line"
		slices_off
		return
	fi
	vol=/dev/$(vol_disk "$V")
	for r in $recs; do
		name=${r%%=*}
		state=$(assoc_states "$V/$name")
		[ "$state" = "$ST_BROKEN" ] && fail assemble "$name ($r on disk) came back broken"
	done
	applied acks
	out=$(acks_read "$vol" "${cut_acks[@]}" 2>&1) || fail acks "$out"
	for r in $recs; do
		name=${r%%=*}
		state=${r#*=}
		case $name in
		ms) cut_mirror ms "$MS" "$state" ;;
		ma) cut_mirror ma "$MA" "$state" ;;
		cl) cut_clone "$state" ;;
		sn) cut_snap "$state" ;;
		*) fail assemble "unexpected record $r" ;;
		esac
	done
	if ctl volume stop "$V"; then
		untrack_volume "$V"
	else
		fail assemble "volume stop failed: $(cat "$(out_file)")"
		assoc_destroy_all "$V" >/dev/null 2>&1
		vol_destroy "$V" >/dev/null
	fi
	diag "$line ($((SECONDS - t0)) s)"
	slices_off || fail assemble "removing the slices failed"
}

for cut in "${CUTS[@]}"; do
	check_cut "$cut"
done

# agg KEY DESCRIPTION: one KTAP line for check KEY over every cut.
agg()
{
	if [ -z "${FAIL[$1]:-}" ]; then
		ok "$2"
	else
		not_ok "$2"
		diag "${FAIL[$1]%$'\n'}"
	fi
	diag "(checked ${APPLIED[$1]:-0} times over the ${#CUTS[@]} cuts)"
}

agg meta "at each cut: meta check consistent (before the format: no metadata, and volume create formats it)"
agg wi "at each cut after the format: the current superblock copy has write_intent"
agg assemble "at each cut after the format: the volume assembles with no association broken, and stops"
agg acks "at each cut: every write acknowledged before it reads back through the volume"
agg sync "at each cut: each mirror synchronizes again (a fractured one after a resync), its target equal to the source"
agg bounds "at each cut: each mirror copies at most the chunks written by then (all only before its first sync completed); a fractured one tracks those written while fractured"
agg clone "at each cut: the clone ends split and its view reads its point in time"
agg snap "at each cut: the snapshot is split, its store passes meta check, its view reads its point in time"

# ----------------------------------------------- the direct check, the rest

check_eq "cut right after ack_$K0 (ms synchronized, $K0 chunks written): ms copies at most $K0 of its $NC chunks" \
	yes "$([ -n "$D_COPIED" ] && [ "$D_COPIED" -le "$K0" ] && echo yes || echo "copied '$D_COPIED'")"
check_eq "cut right after ack_$K0: ms ends synchronized, its target equal to the source" \
	"$ST_SYNCHRONIZED equal" "$D_END"

check "replaying the rest of the log (to entry $NENT) gives the logged device ($REGION_MIB MiB of $BASE)" \
	eval 'replay_py replay "$LOGDEV" "$REPLAY" "$replayed" "$NENT" &&
	same_dev "$BASE" "$REPLAY" "$REGION_MIB"'
diag "$((SECONDS - start)) s in all; ${#CUTS[@]} of ${#FC[@]} flush points checked${VDREP_CRASH_ALL:+ (VDREP_CRASH_ALL=$VDREP_CRASH_ALL)}"

ktap_finished
