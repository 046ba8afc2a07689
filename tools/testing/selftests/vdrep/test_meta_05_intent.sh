#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Write intent (Documentation/admin-guide/metadata-format.rst, "Write
# intent"): the maps on the metadata device stay ahead of the data. With the
# lazy clear off (intent_clear_secs=0), on a volume with a synchronous, an
# asynchronous and a fractured mirror and a clone still filling:
#  - once a write through the volume returns, its chunks are in map 0 of
#    the synchronous and asynchronous mirrors, exactly the written chunks
#    are in the fractured mirror's map 0 (its intents went at the fracture),
#    and the clone's map 1 has them while its map 0 no longer does (they
#    were preserved first);
#  - rewriting chunks whose bits are there costs no metadata write; a new
#    chunk costs at least one;
#  - an unclean end (the metadata device turned to "error" before the
#    module is unloaded, so the last, clean commit never lands) is
#    assembled from maps it trusts: the superblock says write_intent and not
#    clean, the mirrors copy exactly the chunks their map 0 named (not the
#    whole device) and end equal to the source, the fractured mirror tracks
#    exactly its chunks, and the clone is not broken: it finishes its fill
#    with its point in time;
#  - with the lazy clear on again, the synchronized mirrors' intents go,
#    the fractured mirror's tracked chunks stay.

# shellcheck source=lib.sh disable=SC2016 # eval '...' expands as check runs it
. "$(dirname "$0")/lib.sh"

test_init
require_tools sha256sum cmp
dm_require linear error
ktap_plan 30

V=m05
CS=65536
NC=$((16 * 1048576 / CS))
META=/dev/mapper/m05meta
PARAM=/sys/module/vdrep/parameters/intent_clear_secs

# meta_q EXPR: EXPR (meta_eval) over a fresh dump of $META.
meta_q()
{
	"$VDREPCTL" -j meta dump "$META" >"$tmpdir/meta.json" 2>"$tmpdir/meta.err" ||
		{ diag "meta dump failed: $(cat "$tmpdir/meta.err")"; return 1; }
	meta_eval "$tmpdir/meta.json" "$1"
}

# meta_writes: write requests the metadata device completed so far.
meta_writes()
{
	local mm

	mm=$(dmsetup info -c --noheadings -o major,minor m05meta | tr -d ' ')
	awk '{ print $5 }' "/sys/dev/block/$mm/stat"
}

meta_table()
{
	dmsetup suspend m05meta && dmsetup load m05meta --table "$1" &&
		dmsetup resume m05meta
}

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 6 16 || ktap_abort "cannot set up brd ramdisks"
dev_fill_random /dev/ram0
dmsetup create m05meta --table "$(dm_table_linear /dev/ram5)" && track_dm+=(m05meta)
echo 1 >"$PARAM"

# /dev/ram0: source; ram1-3: mirrors s (sync), a (async), f (fractured);
# ram4: clone c; ram5: the metadata device, behind m05meta.
check "create $V with mirrors s (sync), a (async), f; they synchronize" eval \
	'vol_create "$V" /dev/ram0 meta "$META" chunk-size 64K &&
	 assoc_create "$V/s" /dev/ram1 && assoc_create "$V/a" /dev/ram2 --mode async &&
	 assoc_create "$V/f" /dev/ram3 &&
	 assoc_wait_idle "$V/s" && assoc_wait_idle "$V/a" && assoc_wait_idle "$V/f"' ||
	ktap_abort "cannot set up $V"
vol=/dev/$(vol_disk "$V")
# maps_empty A...: map 0 of each of these records is empty on the device.
maps_empty()
{
	local a

	for a in "$@"; do
		[ "$(meta_q "chunks('$a', 0)")" = "" ] || return 1
	done
}

check "the initial copies' intents go (lazy clear every second)" \
	eventually maps_empty s a f
echo 0 >"$PARAM"
check_eq "intent_clear_secs is 0: intents stay" 0 "$(cat "$PARAM")"
check "fracture $V/f" eval 'assoc_op fracture "$V/f" && assoc_wait "$V/f" fractured'

check "write chunks 5, 9 and 200 through the volume" touch_chunks "$vol" "$CS" w1 5 9 200
check_eq "at once, map 0 of s, a and f holds them (f: exactly them)" \
	"True True 5,9,200" \
	"$(meta_q '"%s %s %s" % ({5, 9, 200} <= chunk_set("s", 0), {5, 9, 200} <= chunk_set("a", 0), chunks("f", 0))')"

# Commits announced a moment ago may still land: each writes its superblock
# (one request; no map block, nothing in them changed), so the count of
# metadata writes may grow by the generations that went by, and no more.
# shellcheck disable=SC2034 # read by the checks' eval
n0=$(meta_writes) g0=$(meta_q 'd["superblock"]["generation"]')
check "rewrite chunks 5, 9 and 200 five times" eval \
	'for i in 1 2 3 4 5; do touch_chunks "$vol" "$CS" "r$i" 5 9 200 || exit 1; done'
check "no metadata write for chunks whose bits are there (commits aside)" eval \
	'n1=$(meta_writes) g1=$(meta_q "d[\"superblock\"][\"generation\"]") &&
	 [ $((n1 - n0)) -eq $((g1 - g0)) ] ||
	 { diag "metadata writes $n0 -> $n1, generation $g0 -> $g1"; false; }'
check "a write to a new chunk (77) writes its intent" \
	eval 'touch_chunks "$vol" "$CS" w2 77 && [ "$(meta_writes)" -gt "$n0" ]'
check_eq "chunk 77 is in map 0 of s and a, and f tracks it" "True True 5,9,77,200" \
	"$(meta_q '"%s %s %s" % (77 in chunk_set("s", 0), 77 in chunk_set("a", 0), chunks("f", 0))')"

pit=$(dev_sha256 "$vol")
check "create clone $V/c on /dev/ram4, filling at 16K/s" eval \
	'clone_create "$V/c" /dev/ram4 --rate 16K && assoc_is "$V/c" "$ST_CLONE_FILLING"'
check "write chunks 120 and 121 (not copied yet) through the volume" \
	touch_chunks "$vol" "$CS" w3 120 121
check_eq "map 1 of c has them, its map 0 no longer (preserved first)" "True False" \
	"$(meta_q '"%s %s" % ({120, 121} <= chunk_set("c", 1), bool({120, 121} & chunk_set("c", 0)))')"
check "c is still filling (map 0 not empty)" \
	eval '[ -n "$(meta_q "chunks('"'c'"', 0)")" ]'

# ----------------------------------------------------------- an unclean end
check "s and a are idle" eval 'assoc_wait_idle "$V/s" && assoc_wait_idle "$V/a"'
want_s=$(meta_q 'len(chunk_set("s", 0))')
want_a=$(meta_q 'len(chunk_set("a", 0))')
diag "at the cut, map 0 of s names $want_s chunks, of a $want_a (of $NC)"
check "both name the 6 written chunks, not the whole device" \
	eval '[ "$want_s" -ge 6 ] && [ "$want_s" -lt "$NC" ] && [ "$want_a" -ge 6 ] && [ "$want_a" -lt "$NC" ]'
src=$(dev_sha256 /dev/ram0)
check "the metadata device fails; unload the module (its last commit fails)" \
	eval 'meta_table "$(dm_table_error /dev/ram5)" && unload_module'
untrack_volume "$V"
meta_table "$(dm_table_linear /dev/ram5)"
check_eq "the superblock: write_intent, not clean" "True False" \
	"$(meta_q '"%s %s" % (d["superblock"]["write_intent"], d["superblock"]["clean"])')"
check "reload the module, intents kept, and assemble $V" eval \
	'insmod_vdrep && echo 0 >"$PARAM" && vol_create "$V" /dev/ram0 meta "$META"'
check "s and a resynchronize" eval 'assoc_wait_idle "$V/s" && assoc_wait_idle "$V/a"'
check_eq "they copied exactly the chunks their map 0 named" "$want_s $want_a" \
	"$(assoc_get "$V/s" copied-chunks) $(assoc_get "$V/a" copied-chunks)"
check_eq "their targets equal the source" "$src $src" \
	"$(dev_sha256 /dev/ram1) $(dev_sha256 /dev/ram2)"
check_eq "f: fractured, dirty-chunks 6 (those written while fractured)" \
	"fractured 6" "$(assoc_get "$V/f" copy-state) $(assoc_get "$V/f" dirty-chunks)"
check_eq "c: filling, not broken" "$ST_CLONE_FILLING" "$(assoc_states "$V/c")"
check "c finishes its fill (rate 0)" eval 'assoc_op set "$V/c" --rate 0 && assoc_wait "$V/c" split'
check_eq "its view reads its point in time" "$pit" "$(dev_sha256 "$(assoc_view "$V/c")")"

# --------------------------------------------------------- the lazy clear
echo 1 >"$PARAM"
check "s and a write intents go again" eventually maps_empty s a
check_eq "f still tracks its chunks" "5,9,77,120-121,200" "$(meta_q 'chunks("f", 0)')"
check "destroy the associations and $V" eval \
	'assoc_destroy_all "$V" && vol_destroy "$V"'

ktap_finished
