#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark suite's smoke run, so that it cannot rot: tools/testing/bench/
# bench-guest.sh --smoke in this VM (one short scenario: passthrough, 4 KiB
# random writes at QD1 on a raw ramdisk, dm-linear and a vdrep volume, one
# repetition of 1 s on 16 MiB ramdisks). Checks only that the suite ran and
# produced well-formed numbers: its exit status, a table row with a numeric
# median for each contender, the ratio of vdrep to dm-linear in both tables,
# results.json with the same, a fio JSON file per run, and nothing left
# behind (volumes, device-mapper devices, ramdisks). No timing value is
# checked: timings are not tests.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BENCH_GUEST=$VDREP_TOP/tools/testing/bench/bench-guest.sh

test_init
require_tools fio dmsetup
[ -r "$BENCH_GUEST" ] || ktap_skip_all "no $BENCH_GUEST"
dm_require linear
if [ -d /sys/module/brd ] && ! rmmod brd; then
	ktap_skip_all "brd is in use"
fi
ktap_plan 9

out=$tmpdir/bench
bash "$BENCH_GUEST" --smoke --out "$out" >"$tmpdir/bench.log" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "bench-guest.sh --smoke exits 0"
else
	not_ok "bench-guest.sh --smoke exits 0"
	diag "exit status $rc; its output:"
	diag_file "$tmpdir/bench.log"
fi

# The cells of the table row "| randwrite-qd1 | CONTENDER | ... |", one a line.
row_cells()
{
	awk -F'|' -v c="$1" '{
		for (i = 2; i < NF; i++) { v = $i; gsub(/^ +| +$/, "", v); cell[i] = v }
		if (cell[2] == "randwrite-qd1" && cell[3] == c) {
			for (i = 2; i < NF; i++) print cell[i]
			exit
		}
	}' "$out/results.md" 2>/dev/null
}

for c in raw dm-linear vdrep; do
	mapfile -t cells < <(row_cells "$c")
	# job, contender, median, min..max, unit, p99, x raw, x dm-linear, notes
	if [[ ${cells[2]:-} =~ ^[0-9]+$ ]] && [ "${cells[2]}" -gt 0 ] &&
		[[ ${cells[3]:-} =~ ^[0-9]+\.\.[0-9]+$ ]] && [ "${cells[4]:-}" = IOPS ]; then
		ok "the table has a numeric median for $c"
	else
		not_ok "the table has a numeric median for $c"
		diag "row: ${cells[*]:-none}"
		diag_file "$out/results.md"
	fi
done

mapfile -t cells < <(row_cells vdrep)
check "the vdrep row has numeric ratios to raw and dm-linear" \
	test -n "$(grep -E '^[0-9]+\.[0-9]{2}x$' <<<"${cells[6]:-}")" \
	-a -n "$(grep -E '^[0-9]+\.[0-9]{2}x$' <<<"${cells[7]:-}")"
check "the goals table has vdrep / dm-linear with a numeric ratio" \
	grep -qE '^\| passthrough \| randwrite-qd1 \| vdrep / dm-linear \| [0-9]+\.[0-9]{2}x \| ' \
	"$out/results.md"

check "results.json: a positive median and a ratio for every contender" "$PYTHON" -S -c '
import json, math, os, sys
out = sys.argv[1]
d = json.load(open(os.path.join(out, "results.json")))
s = {x["contender"]: x for x in d["summary"] if x["job"] == "randwrite-qd1"}
assert sorted(s) == ["dm-linear", "raw", "vdrep"], sorted(s)
for c, x in s.items():
    assert x["n"] == 1 and x["failed"] == 0, x
    assert isinstance(x["median"], float) and math.isfinite(x["median"]) and x["median"] > 0, x
r = s["vdrep"]["ratios"]["dm-linear"]
assert math.isfinite(r) and r > 0, r
assert not d["setup_failures"], d["setup_failures"]
' "$out"

check "a fio JSON file and the job file for every run" "$PYTHON" -S -c '
import json, os, sys
out = sys.argv[1]
runs = json.load(open(os.path.join(out, "results.json")))["runs"]
assert len(runs) == 3, runs
for r in runs:
    assert r["kind"] == "fio", r
    t = open(os.path.join(out, r["file"])).read()
    json.JSONDecoder().raw_decode(t[t.index("{"):])
assert os.path.exists(os.path.join(out, "jobs", "randwrite-qd1.fio"))
' "$out"

leftover=$("$VDREPCTL" volume show 2>/dev/null; dmsetup ls 2>/dev/null | grep '^bench-';
	[ -d /sys/module/brd ] && echo "brd loaded")
check_eq "nothing left behind (volumes, bench-* dm devices, brd)" "" "$leftover"

ktap_finished
