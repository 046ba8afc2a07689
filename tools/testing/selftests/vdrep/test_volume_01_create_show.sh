#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Create volumes on brd ramdisks and check what vdrepctl and sysfs report:
# the text and JSON of "volume show" (one volume, all volumes), the
# /sys/block/vdrepN/vdrep attributes, size and block sizes equal to the
# source's, the openers count, and that destroy removes the disk.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
require_tools blockdev stat
ktap_plan 27

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 64 || ktap_abort "cannot set up brd ramdisks"

# The contract's text line for a volume, built from the source device.
show_line()
{
	local name=$1 src=$2 chunk=$3 disk=$4 id=${4#vdrep} maj min

	maj=$((16#$(stat -L -c %t "$src")))
	min=$((16#$(stat -L -c %T "$src")))
	echo "$name: id $id disk $disk source $src ($maj:$min) size $(dev_size "$src")" \
		"chunk-size $chunk logical-block-size $(blockdev --getss "$src")" \
		"physical-block-size $(blockdev --getpbsz "$src") assocs 0 openers $5 metadata transient"
}

# check_json DESCRIPTION FILE PYTHON_EXPR: ok when the expression, with
# d = the parsed JSON of FILE, is true.
check_json()
{
	local desc=$1 file=$2 expr=$3

	if "$PYTHON" -S -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)
' "$file" "$expr" 2>"$tmpdir/json.err"; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "failed: $expr"
		diag_file "$file"
		diag_file "$tmpdir/json.err"
	fi
}

check "create volume t01a on /dev/ram0" vol_create t01a /dev/ram0 ||
	ktap_abort "volume create failed"
create_out=$(cat "$(out_file)")
disk_a=$(vol_disk t01a)
check "/dev/$disk_a is a block device" test -b "/dev/$disk_a"
check_eq "create without -j prints the show line" \
	"$(show_line t01a /dev/ram0 65536 "$disk_a" 0)" "$create_out"
check_eq "sysfs vdrep/name" t01a "$(cat "/sys/block/$disk_a/vdrep/name")"
check_eq "sysfs vdrep/source" /dev/ram0 "$(cat "/sys/block/$disk_a/vdrep/source")"
check_eq "sysfs vdrep/chunk_size is the default 65536" 65536 \
	"$(cat "/sys/block/$disk_a/vdrep/chunk_size")"
check_eq "volume size equals the source's" "$(dev_size /dev/ram0)" "$(dev_size "/dev/$disk_a")"
check_eq "logical block size equals the source's" "$(blockdev --getss /dev/ram0)" \
	"$(blockdev --getss "/dev/$disk_a")"
check_eq "physical block size equals the source's" "$(blockdev --getpbsz /dev/ram0)" \
	"$(blockdev --getpbsz "/dev/$disk_a")"

ctl volume show t01a
check_eq "text volume show NAME" "$(show_line t01a /dev/ram0 65536 "$disk_a" 0)" \
	"$(cat "$(out_file)")"

maj=$((16#$(stat -L -c %t /dev/ram0)))
min=$((16#$(stat -L -c %T /dev/ram0)))
"$VDREPCTL" -j volume show t01a >"$tmpdir/a.json" 2>&1
check_json "JSON volume show NAME has every field" "$tmpdir/a.json" "
isinstance(d, list) and len(d) == 1 and
set(d[0]) >= {'name', 'id', 'disk', 'source', 'source_major', 'source_minor',
              'size', 'chunk_size', 'logical_block_size',
              'physical_block_size', 'assocs', 'openers', 'metadata'}"
check_json "JSON volume show NAME values" "$tmpdir/a.json" "
d[0]['name'] == 't01a' and d[0]['disk'] == '$disk_a' and
d[0]['id'] == ${disk_a#vdrep} and d[0]['source'] == '/dev/ram0' and
d[0]['source_major'] == $maj and d[0]['source_minor'] == $min and
d[0]['size'] == $(dev_size /dev/ram0) and d[0]['chunk_size'] == 65536 and
d[0]['logical_block_size'] == $(blockdev --getss /dev/ram0) and
d[0]['physical_block_size'] == $(blockdev --getpbsz /dev/ram0) and
d[0]['assocs'] == 0 and d[0]['openers'] == 0 and d[0]['metadata'] == 'transient'"
"$VDREPCTL" -j -p volume show t01a >"$tmpdir/a-pretty.json" 2>&1
check_json "pretty JSON (-j -p) parses to the same" "$tmpdir/a-pretty.json" \
	"d == json.load(open('$tmpdir/a.json'))"

# A second volume, created with -j and a chunk size with a suffix.
"$VDREPCTL" -j volume create t01b source /dev/ram1 chunk-size 128K \
	>"$tmpdir/b.json" 2>&1 && track_volumes+=(t01b)
check_json "JSON volume create prints the created volume" "$tmpdir/b.json" "
isinstance(d, dict) and d['name'] == 't01b' and d['source'] == '/dev/ram1' and
d['chunk_size'] == 131072 and d['size'] == $(dev_size /dev/ram1)"
disk_b=$(vol_disk t01b)
check_eq "chunk-size 128K reaches sysfs as 131072" 131072 \
	"$(cat "/sys/block/$disk_b/vdrep/chunk_size" 2>/dev/null)"

ctl volume show
check_eq "text volume show without a name lists every volume" \
	"$(show_line t01a /dev/ram0 65536 "$disk_a" 0; show_line t01b /dev/ram1 131072 "$disk_b" 0)" \
	"$(sort "$(out_file)")"
"$VDREPCTL" -j volume show >"$tmpdir/all.json" 2>&1
check_json "JSON volume show without a name is an array of every volume" \
	"$tmpdir/all.json" "sorted(v['name'] for v in d) == ['t01a', 't01b']"
ctl volume show t01b
check "volume show NAME shows only that volume" \
	test "$(grep -c . "$(out_file)")" -eq 1 -a "$(grep -c '^t01b: ' "$(out_file)")" -eq 1

exec 9<"/dev/$disk_a"
ctl volume show t01a
check_eq "openers is 1 while the disk is open" \
	"$(show_line t01a /dev/ram0 65536 "$disk_a" 1)" "$(cat "$(out_file)")"
exec 9<&-
"$VDREPCTL" -j volume show t01a >"$tmpdir/a.json" 2>&1
check_json "openers is 0 again after close" "$tmpdir/a.json" "d[0]['openers'] == 0"

check "destroy t01a" vol_destroy t01a
check "/dev/$disk_a and /sys/block/$disk_a are gone" \
	test ! -e "/dev/$disk_a" -a ! -e "/sys/block/$disk_a"
check "destroy t01b" vol_destroy t01b
ctl volume show
check_eq "volume show without a name prints nothing when no volume exists" "" \
	"$(cat "$(out_file)")"
"$VDREPCTL" -j volume show >"$tmpdir/none.json" 2>&1
check_json "JSON volume show without a name is [] when no volume exists" \
	"$tmpdir/none.json" "d == []"
expect_fail "volume show of a destroyed volume: ENOENT" "No such file or directory" \
	"no volume with this name" volume show t01a

ktap_finished
