#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vdrepctl monitor: it dumps the existing volumes ("exists ..." then
# "exists -"), then prints one line per notification: the create and the
# destroy of a volume, with growing seq values of the family-wide counter;
# a refused command sends nothing. The same in JSON (-j), one object a line.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init
ktap_plan 14

check "vdrep module loaded" load_module || ktap_abort "cannot load $VDREP_KO"
brd_setup 2 16 || ktap_abort "cannot set up brd ramdisks"

check "create volume t08pre on /dev/ram1" vol_create t08pre /dev/ram1 ||
	ktap_abort "volume create failed"

# --- text
mon=$tmpdir/monitor.txt
"$VDREPCTL" monitor >"$mon" 2>&1 &
mon_pid=$!
track_pids+=("$mon_pid")
check "monitor prints 'exists -' after its dump" wait_for_line "$mon" '^exists -$' "$mon_pid" ||
	ktap_abort "monitor did not start"
check "the dump has t08pre before 'exists -'" \
	test "$(grep -m1 -nE '^exists volume name:t08pre ' "$mon" | cut -d: -f1)" \
	-lt "$(grep -m1 -n '^exists -$' "$mon" | cut -d: -f1)"

"$VDREPCTL" volume create t08pre source /dev/ram0 >/dev/null 2>&1
vol_create t08a /dev/ram0
disk=$(vol_disk t08a)
vol_destroy t08a
check "the destroy notification arrives" \
	wait_for_line "$mon" '^destroy volume name:t08a ' "$mon_pid"

seq_of()
{
	grep -m1 -E "$1" "$mon" | grep -oE '(^| )seq:[0-9]+' | cut -d: -f2
}
create_re="^create volume name:t08a .*disk:$disk .*source:/dev/ram0 .*seq:[0-9]+"
check "create line with name, disk, source and seq" grep -qE "$create_re" "$mon"
check "destroy line with name, disk, source and seq" \
	grep -qE "^destroy volume name:t08a .*disk:$disk .*source:/dev/ram0 .*seq:[0-9]+" "$mon"
create_seq=$(seq_of '^create volume name:t08a ')
destroy_seq=$(seq_of '^destroy volume name:t08a ')
check "destroy seq ($destroy_seq) is greater than create seq ($create_seq)" \
	test "${destroy_seq:-0}" -gt "${create_seq:-0}"
check_eq "after 'exists -' only the create and the destroy (nothing for the refused create)" \
	"create destroy" "$(sed -n '/^exists -$/,$p' "$mon" | sed 1d | cut -d' ' -f1 | tr '\n' ' ' | sed 's/ $//')"

# --- JSON
jmon=$tmpdir/monitor.json
"$VDREPCTL" -j monitor >"$jmon" 2>&1 &
jmon_pid=$!
track_pids+=("$jmon_pid")
# The existing volume's line shows the dump ran, so the subscription is on.
check "JSON monitor dumps t08pre" wait_for_line "$jmon" '"t08pre"' "$jmon_pid" ||
	ktap_abort "JSON monitor did not start"
vol_create t08b /dev/ram0
vol_destroy t08b
check "the JSON destroy notification arrives" \
	wait_for_line "$jmon" '"event": *"destroy".*"t08b"|"t08b".*"event": *"destroy"' "$jmon_pid"

json_events_check()
{
	"$PYTHON" -S - "$jmon" "$destroy_seq" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
objs = [json.loads(l) for l in lines]          # every line is one object
ev = {(o.get("event"), o.get("name")): o for o in objs}
c, d = ev[("create", "t08b")], ev[("destroy", "t08b")]
for o in (c, d):
    assert o["object"] == "volume", o
    assert isinstance(o["seq"], int), o
    assert o["source"] == "/dev/ram0" and o["disk"].startswith("vdrep"), o
    for k in ("id", "size", "chunk_size", "logical_block_size"):
        assert k in o, (k, o)
assert d["seq"] > c["seq"], (c["seq"], d["seq"])
assert c["seq"] > int(sys.argv[2]), "seq must keep growing across listeners"
assert ("exists", "t08pre") in ev, "no exists object for t08pre"
PY
}
check "JSON lines parse; create/destroy objects have the fields and growing seq" \
	json_events_check
text_saw_t08b()
{
	wait_for_line "$mon" '^destroy volume name:t08b ' "$mon_pid" &&
		grep -qE '^create volume name:t08b ' "$mon"
}
check "the text monitor saw t08b's create and destroy too" text_saw_t08b
check "destroy t08pre" vol_destroy t08pre

if [ "$ktap_failed" -gt 0 ]; then
	diag "text monitor output:"
	diag_file "$mon"
	diag "JSON monitor output:"
	diag_file "$jmon"
fi

ktap_finished
