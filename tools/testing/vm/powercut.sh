#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# powercut.sh --lane LANE [--cycles N] [--dir DIR] [--seed S]
#
# Power-cut cycles: a volume with a metadata device, a sync mirror, an async mirror, a
# snapshot and a clone, on virtio disks backed by files in DIR (default
# $VDREP_CACHE/powercut/LANE, created afresh), is written to by powercut-io.py until QEMU is
# killed (SIGKILL) at a random moment, 1 to 12 s into the writes; the next boot assembles it
# and checks it (powercut-guest.sh): every acknowledged write there, mirrors equal to the
# source after their resync, the snapshot's view its point in time, the clone ending equal to
# its point in time. N cycles (default 20) take N + 1 boots: the last only checks. The
# acknowledgements and points in time reach the host on the serial console, which survives
# the kill. Prints one KTAP line per check and boot, then "N passed, N failed"; exits 0 only
# when nothing failed. --seed makes the kill times and the writes repeatable (default: the
# time).
{
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '4,17s/^# \{0,1\}//p' "$0" >&2; exit 2; }

lane='' cycles=20 dir='' seed=$(date +%s)
while [ $# -gt 0 ]; do
	case $1 in
	--lane) lane=${2:?}; shift 2 ;;
	--cycles) cycles=${2:?}; shift 2 ;;
	--dir) dir=${2:?}; shift 2 ;;
	--seed) seed=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	*) echo "powercut.sh: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$lane" ] || usage
lane_env "$lane"
dir=${dir:-$CACHE/powercut/$lane}
rm -rf "$dir"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# The snapshot's store has a slot for every chunk besides its header and map: random
# writes touch every chunk, and a full store would break the snapshot.
disks=()
for d in src:64M ms:64M ma:64M sn:65M cl:64M meta:4M; do
	truncate -s "${d#*:}" "$dir/${d%:*}.img"
	disks+=(--disk "$dir/${d%:*}.img")
done

RANDOM=$((seed % 32768))
history='' pit='' passed=0 failed=0 start=$(date +%s)
say "lane $lane: $cycles power-cut cycles in $dir (seed $seed)"
echo "TAP version 13"
echo "1..$((cycles + 1))"
for ((c = 0; c <= cycles; c++)); do
	log=$dir/boot-$c
	wseed=$((seed * 1000 + c))
	final=$([ "$c" = "$cycles" ] && echo 1 || echo 0)
	delay=$((1 + RANDOM % 12)).$((RANDOM % 10))
	cut=()
	[ "$final" = 1 ] || cut=(--cut-after "vdrep-powercut: writing cycle $c " --cut-delay "$delay")
	set +e
	VDREP_KO=${VDREP_KO:-$CACHE/build/$lane/vdrep.ko} "$VM_DIR/run.sh" --lane "$lane" --log "$log" \
		--timeout 900 --script "$VM_DIR/powercut-guest.sh" "${disks[@]}" "${cut[@]}" \
		-- "$c" "$wseed" "${history:--}" "${pit:--}" "$final" >"$dir/boot-$c.out" 2>&1
	rc=$?
	set -e
	# The serial console ends lines with CR LF.
	console=$log/console.txt
	tr -d '\r' <"$log/console.log" >"$console" 2>/dev/null || : >"$console"
	# The guest's results; a splat is a failure too.
	bad=0
	while read -r line; do
		echo "# $line"
	done < <(grep -aE '^vdrep-powercut: cycle ' "$console" | sed 's/^vdrep-powercut: //')
	while read -r line; do
		case $line in
		"ok - "*) passed=$((passed + 1)) ;;
		"not ok - "*) failed=$((failed + 1)) bad=1 ;;
		esac
		echo "${line/ - / - $lane powercut: }"
	done < <(grep -aoE '^vdrep-powercut: (not )?ok - .*' "$console" | sed 's/^vdrep-powercut: //')
	grep -aE '^vdrep-powercut: #' "$console" | sed 's/^vdrep-powercut: //' || true
	if grep -aqE 'WARNING:|BUG:|Oops|lockdep|KASAN|UBSAN|general protection|Call Trace' "$console"; then
		echo "# kernel splat in boot $c:"
		grep -aE -A20 'WARNING:|BUG:|Oops|lockdep|KASAN|UBSAN|general protection' "$console" |
			head -n 40 | sed 's/^/#   /'
		bad=1 failed=$((failed + 1))
	fi
	if [ "$rc" -ne 0 ]; then
		echo "# run.sh exit status $rc:"
		tail -n 20 "$dir/boot-$c.out" | sed 's/^/#   /'
		bad=1 failed=$((failed + 1))
	fi
	if [ "$final" = 0 ]; then
		# What the next boot checks: the last acknowledgement, the point in time.
		acked=$(grep -aoE "^vdrep-powercut: ack $c [0-9]+\$" "$console" | tail -n1 | awk '{print $4}' || true)
		pit=$(grep -aoE '^vdrep-powercut: pit [0-9a-f]{64}$' "$console" | tail -n1 | awk '{print $3}' || true)
		if [ -z "$pit" ] || ! grep -aq "^vdrep-powercut: writing cycle $c " "$console"; then
			echo "# boot $c never started its writes"
			bad=1 failed=$((failed + 1))
		fi
		history+="${history:+,}$c:$wseed:${acked:-0}"
		echo "# cycle $c: power cut ${delay}s into the writes; the last write acknowledged: number ${acked:-none}"
	fi
	echo "$([ "$bad" = 0 ] && echo ok || echo not ok) $((c + 1)) - $lane powercut: boot $c$([ "$final" = 1 ] && echo ' (the last: checks only)' || echo ", power cut ${delay}s into the writes")"
	# A boot that could not set up or assemble leaves nothing for the next to check.
	if [ "$bad" = 1 ] && ! grep -aq '^vdrep-powercut: writing' "$console" && [ "$final" = 0 ]; then
		echo "# stopping: boot $c did not get to its writes"
		break
	fi
done
say "lane $lane: power-cut cycles done in $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
exit
}
