#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vdrepctl meta dump, check and wipe, offline: against metadata images that
# vdrep_meta.py writes as regular files, a second implementation of the
# format (its own layout code, its own bitwise CRC-32C). A good image is
# consistent and dumped with every field and map as written; a torn copy is
# a note while the other copy is good; both torn, a newer version, wrong
# fields, records and maps are problems named in the output; random bytes
# are no metadata; wipe zeroes the superblock copies and nothing else. Last,
# on a ramdisk: check and dump read a block device, and wipe is refused
# while a vdrep volume holds the device. Needs no metadata support in the
# kernel: the module only holds the ramdisk.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools cmp sha256sum
ktap_plan 45

meta_py()
{
	"$PYTHON" -S "$VDREP_TEST_DIR/vdrep_meta.py" "$@"
}

img() { echo "$tmpdir/$1.img"; }

# meta_expect DESCRIPTION STATUS TEXT VDREPCTL_ARGS...: vdrepctl exits with
# STATUS and prints TEXT (a fixed string) on its stdout or stderr.
meta_expect()
{
	local desc=$1 want=$2 text=$3 out=$tmpdir/meta.out rc fail=0

	shift 3
	"$VDREPCTL" "$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		diag "exit status $rc, expected $want"
		fail=1
	fi
	if ! grep -qF -- "$text" "$out"; then
		diag "no '$text' in the output"
		fail=1
	fi
	[ "$fail" -eq 0 ] || { diag "command: vdrepctl $*"; diag_file "$out"; }
	result "$desc" "$fail"
}

# has_all FILE TEXT...: FILE holds every TEXT (fixed strings).
has_all()
{
	local file=$1 t rc=0

	shift
	for t in "$@"; do
		grep -qF -- "$t" "$file" || { echo "missing: $t"; rc=1; }
	done
	[ "$rc" -eq 0 ] || cat "$file"
	return "$rc"
}

# dump_matches VARIANT DEV [SIZE]: vdrepctl -j meta dump DEV shows VARIANT's
# fields as the writer wrote them.
dump_matches()
{
	"$VDREPCTL" -j meta dump "$2" >"$tmpdir/dump.json" || return 1
	meta_py compare "$1" ${3:+"$3"} <"$tmpdir/dump.json"
}

# sha_range FILE OFFSET LENGTH: sha256 of LENGTH bytes of FILE at OFFSET
# (multiples of 4096); a block device is read direct, past its page cache.
sha_range()
{
	local flag=

	[ -b "$1" ] && flag=iflag=direct
	dd if="$1" bs=4096 skip=$(($2 / 4096)) count=$(($3 / 4096)) ${flag:+"$flag"} \
		status=none | sha256sum | cut -d' ' -f1
}

# wiped_like DEV IMAGE: DEV's first 16 KiB are zero, and the rest of IMAGE's
# size (the maps) is IMAGE's.
wiped_like()
{
	local rest=$(($(stat -c %s "$2") - 16384))

	dev_is_zero "$1" 0 16384 || { echo "the first 16 KiB are not zero"; return 1; }
	[ "$(sha_range "$1" 16384 "$rest")" = "$(sha_range "$2" 16384 "$rest")" ] ||
		{ echo "the bytes after 16 KiB changed"; return 1; }
}

for v in $(meta_py variants); do
	meta_py write "$(img "$v")" "$v" || ktap_abort "vdrep_meta.py cannot write image $v"
done
good=$(img good)
size=$(stat -c %s "$good")

# --- the writer's checksum
check_eq "the writer's CRC-32C of '123456789' is the check value 0x1cf96d7c" \
	0x1cf96d7c "$(meta_py crc 123456789)"

# --- a good image
meta_expect "good image: check says consistent, exit 0" 0 \
	"$good: consistent (generation 6, copy 0)" meta check "$good"
"$VDREPCTL" meta dump "$good" >"$tmpdir/dump.txt" 2>&1
result "good image: dump exits 0" $?
check "good image: dump's text shows the superblock's fields" has_all "$tmpdir/dump.txt" \
	"$good: size $size current 0" \
	"copy 0: status valid generation 6" "copy 1: status valid generation 5" \
	"uuid 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 generation 6 flags 0 clean no" \
	"name data source-path /dev/disk/by-id/source-disk source-sectors 131077" \
	"chunk-size 65536 nr-chunks 1025" "bitmap-offset 16384 bitmap-bytes 4096" \
	"max-assocs 16" \
	"format-time 2025-11-25T13:01:02Z format-time-ns 1764075662123456789"
check "good image: dump's text shows the records' fields and map ranges" has_all \
	"$tmpdir/dump.txt" \
	"record 0: name m1 id 0 flags 1 view-writable no" \
	"sync-type mirror sync-mode synchronous copy-type sync copy-priority same" \
	"copy-state synchronized requested-copy-state none sync-state synchronized" \
	"map 0: set 19 chunks 0-15,32,40-41" "map 1: set 0 chunks none" \
	"record 3: name s1 id 3 flags 3 view-writable yes" \
	"copy-state split requested-copy-state not-applicable sync-state idle" \
	"map 0: set 1 chunks 1024" "map 1: set 1 chunks 7" \
	"record 5: name c.1_x-Y id 5" "target-path /dev/mapper/clone target" \
	"map 0: set 100 chunks 100-199" "map 1: set 6 chunks 0-2,1022-1024"
check "good image: dump -j shows every field and map as written" dump_matches good "$good"
"$VDREPCTL" -j -p meta dump "$good" >"$tmpdir/pretty.json" 2>&1
"$PYTHON" -S -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
sys.exit(a != b)
' "$tmpdir/dump.json" "$tmpdir/pretty.json"
result "good image: dump -j -p is the same JSON, indented" $?

# --- torn commits
meta_expect "copy 1 torn: a note, exit 0" 0 \
	"copy 1: bad checksum (a torn or interrupted commit); copy 0 is current" \
	meta check "$(img torn1)"
meta_expect "copy 1 torn: still consistent at generation 6" 0 \
	"consistent (generation 6, copy 0)" meta check "$(img torn1)"
check "copy 1 torn: dump -j shows it bad-checksum, the rest as written" \
	dump_matches torn1 "$(img torn1)"
meta_expect "copy 0 (the newer) torn: the older copy 1 is current, exit 0" 0 \
	"consistent (generation 5, copy 1)" meta check "$(img torn0)"
meta_expect "both copies torn: exit 1" 1 "not consistent: 2 problems" \
	meta check "$(img torn-both)"
meta_expect "both copies torn: dump exits 1" 1 "no intact superblock copy" \
	meta dump "$(img torn-both)"

# --- what a reader must refuse
meta_expect "version 2, checksummed: unknown version, exit 1" 1 "unknown version 2" \
	meta check "$(img v2)"
meta_expect "wrong nr_chunks: exit 1, named" 1 \
	"nr_chunks is 1024, but 131077 sectors in chunks of 65536 bytes make 1025" \
	meta check "$(img nr-chunks)"
meta_expect "a map bit beyond nr_chunks: exit 1, named" 1 \
	"record 5: map 0 has 1 bit set at or beyond nr_chunks 1025" \
	meta check "$(img beyond)"
meta_expect "a record name with /: exit 1, named" 1 "record 3: name is not" \
	meta check "$(img bad-name)"
meta_expect "two records of one name: exit 1, named" 1 "record 5: name m1 is record 0's too" \
	meta check "$(img dup-name)"
meta_expect "map 1 bits on a mirror: exit 1, named" 1 \
	"record 0: map 1 has 1 bit set, but a mirror does not use it" \
	meta check "$(img mirror-map1)"
meta_expect "random bytes: no vdrep metadata, exit 1" 1 "$(img random): no vdrep metadata" \
	meta check "$(img random)"
meta_expect "random bytes: dump says no vdrep metadata, exit 1" 1 "no vdrep metadata" \
	meta dump "$(img random)"
meta_expect "random bytes, JSON: not consistent, no metadata" 1 \
	'"metadata":false,"consistent":false' -j meta check "$(img random)"

# --- bad paths and command lines
meta_expect "a file too small for two superblock copies: exit 1" 1 \
	"too small to hold two superblock copies" meta check "$(img small)"
meta_expect "a path that does not exist: exit 1" 1 "No such file or directory" \
	meta dump "$tmpdir/no-such-file"
meta_expect "a directory: exit 1" 1 "neither a block device nor a regular file" \
	meta check "$tmpdir"
meta_expect "meta check without DEV: usage, exit 2" 2 "missing DEV" meta check
meta_expect "volume create ... meta without PATH: usage, exit 2" 2 \
	"missing PATH after meta" volume create x source /dev/null meta

# --- wipe of a file
cp "$good" "$tmpdir/wipe.img"
meta_expect "wipe of an image file: exit 0, says what it held" 0 \
	"zeroed both superblock copies (bytes 0 to 16383), which held volume data, generation 6" \
	meta wipe "$tmpdir/wipe.img"
check "wipe zeroed the first 16 KiB" cmp -n 16384 "$tmpdir/wipe.img" /dev/zero
check "wipe left every byte after them" cmp -i 16384 "$tmpdir/wipe.img" "$good"
check_eq "wipe left the size" "$size" "$(stat -c %s "$tmpdir/wipe.img")"
meta_expect "a wiped image has no vdrep metadata" 1 "no vdrep metadata" \
	meta check "$tmpdir/wipe.img"
cp "$(img random)" "$tmpdir/random2.img"
meta_expect "wipe refuses a file without vdrep magic" 1 "nothing wiped" \
	meta wipe "$tmpdir/random2.img"
check "... and leaves it as it was" cmp "$tmpdir/random2.img" "$(img random)"

# --- a block device
check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 1 16 || ktap_abort "cannot set up a brd ramdisk"
dd if="$good" of=/dev/ram0 bs=4096 oflag=direct conv=notrunc status=none
result "the good image written to /dev/ram0" $?
dev_bytes=$(dev_size /dev/ram0)
meta_expect "check of /dev/ram0: consistent" 0 "/dev/ram0: consistent (generation 6, copy 0)" \
	meta check /dev/ram0
check "dump -j of /dev/ram0 shows every field and map as written" \
	dump_matches good /dev/ram0 "$dev_bytes"

check "a volume on /dev/ram0 holds it" vol_create x /dev/ram0 ||
	ktap_abort "volume create failed"
before=$(sha_range /dev/ram0 0 $((1024 * 1024)))
meta_expect "wipe of /dev/ram0 held by volume x: refused, exit 1" 1 \
	"/dev/ram0 is in use (held by a running volume or mounted)" meta wipe /dev/ram0
check_eq "the refused wipe changed nothing" "$before" "$(sha_range /dev/ram0 0 $((1024 * 1024)))"
meta_expect "check reads /dev/ram0 while the volume holds it" 0 \
	"/dev/ram0: consistent (generation 6, copy 0)" meta check /dev/ram0
check "destroy volume x" vol_destroy x
meta_expect "wipe of /dev/ram0, no longer held: exit 0" 0 \
	"/dev/ram0: zeroed both superblock copies" meta wipe /dev/ram0
check "it zeroed the first 16 KiB and left the maps" wiped_like /dev/ram0 "$good"

ktap_finished
