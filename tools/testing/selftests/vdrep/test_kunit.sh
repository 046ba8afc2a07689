#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The KUnit tests of the pure logic (kernel/tests/: the state table against
# the admin guide, chunk and bitmap arithmetic at device edges, the input
# checks; see Documentation/dev-tools/kunit.rst). On a kernel with KUnit
# (the debug lane) this loads vdrep_kunit.ko, found beside $VDREP_KO, whose
# suites run while it loads; reads each suite's results from debugfs
# (/sys/kernel/debug/kunit/<suite>/results, or the kernel log when debugfs
# has none) and reports one line per KUnit test case, its parameterised
# sub-cases counted in the description; then unloads it. A missing suite, a
# suite that reports fewer cases than it planned, or a failed case fails.
# A kernel without KUnit (the stock lanes) skips the whole test.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

test_init

SUITES=(vdrep_state vdrep_chunkmap vdrep_validate)
KUNIT_KO=${VDREP_KUNIT_KO:-$(dirname "$VDREP_KO")/vdrep_kunit.ko}
KUNIT_DEBUGFS=/sys/kernel/debug/kunit
# In the kernel log before the module's output: unique, as a test may run twice a boot.
MARK="vdrep-test: test_kunit loads vdrep_kunit (run $$.$(date +%s%N))"

# Built in, KUnit has /sys/module/kunit (its parameters); as a module, load it.
if [ ! -d /sys/module/kunit ] && ! modprobe -q kunit 2>/dev/null; then
	ktap_skip_all "kernel lacks KUnit (CONFIG_KUNIT); the debug lane has it"
fi

# The results, gathered before the plan is known: status, description and
# diagnostics (a file) of each line to report.
res_status=()
res_desc=()
res_diag=()

add() # STATUS DESCRIPTION [DIAG_FILE]
{
	res_status+=("$1")
	res_desc+=("$2")
	res_diag+=("${3:-}")
}

kunit_loaded()
{
	[ -d /sys/module/vdrep_kunit ]
}

# The suite's KTAP as debugfs shows it, or the same lines from the kernel
# log since this test loaded the module (timestamps stripped).
suite_ktap() # SUITE
{
	if [ -r "$KUNIT_DEBUGFS/$1/results" ]; then
		cat "$KUNIT_DEBUGFS/$1/results"
		return
	fi
	dmesg | sed -n "/$MARK/,\$p" | sed 's/^\[[^]]*\]\(\[[^]]*\]\)\? \?//' |
		awk -v suite="$1" '
			$0 ~ "^    # Subtest: " suite "$" { on = 1 }
			on { print }
			on && $0 ~ "^(not )?ok [0-9]+ " suite "( |$)" { exit }'
}

# parse_suite SUITE KTAP_FILE: one line per test case,
#   STATUS|NAME|PASSED|FAILED|SKIPPED|FAILED_PARAMS|SKIP_REASON
# (the counts are of parameterised sub-cases), and the case's own lines in
# KTAP_FILE.N (N from 1), for diagnostics. The plan comes as "PLAN|N".
parse_suite()
{
	awk -v out="$2" '
		function flush_case(st, name, reason) {
			printf "%s|%s|%d|%d|%d|%s|%s\n", st, name, np, nf, ns, fails, reason
			close(out "." ncase)
			np = nf = ns = 0
			fails = ""
		}
		BEGIN { ncase = 1; np = nf = ns = 0; fails = "" }
		/^    1\.\.[0-9]+$/ && !plan { plan = 1; sub(/^ +1\.\./, ""); print "PLAN|" $0; next }
		/^        (not ok|ok) [0-9]+ / {
			line = $0
			print line > (out "." ncase)
			sub(/^        /, "", line)
			if (line ~ / # SKIP/) ns++
			else if (line ~ /^ok /) np++
			else {
				nf++
				d = line
				sub(/^not ok [0-9]+ /, "", d)
				fails = fails (fails == "" ? "" : ", ") d
			}
			next
		}
		/^    (not ok|ok) [0-9]+ [^ ]+/ {
			line = $0
			print line > (out "." ncase)
			sub(/^    /, "", line)
			st = (line ~ /^ok /) ? "ok" : "not ok"
			sub(/^(not ok|ok) [0-9]+ /, "", line)
			name = line
			reason = ""
			if (name ~ / # SKIP/) {
				reason = name
				sub(/^[^ ]+ # SKIP ?/, "", reason)
				st = "skip"
			}
			sub(/ .*$/, "", name)
			flush_case(st, name, reason)
			ncase++
			next
		}
		{ print > (out "." ncase) }
	' "$2"
}

# ------------------------------------------------------------- load

if kunit_loaded; then
	rmmod vdrep_kunit 2>/dev/null
fi
if [ ! -r "$KUNIT_KO" ]; then
	ktap_plan 1
	not_ok "vdrep_kunit.ko beside the module: no $KUNIT_KO (the kernel has KUnit: build-module.sh should have built it)"
	ktap_finished
fi
if [ ! -d "$KUNIT_DEBUGFS" ] && ! mountpoint -q /sys/kernel/debug; then
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
fi

echo "$MARK" >/dev/kmsg
if insmod "$KUNIT_KO" >"$tmpdir/insmod.out" 2>&1; then
	add ok "insmod vdrep_kunit.ko (its suites run as it loads)"
else
	add "not ok" "insmod vdrep_kunit.ko (its suites run as it loads)" "$tmpdir/insmod.out"
fi

# ----------------------------------------------------------- results

total_cases=0
total_params=0
for suite in "${SUITES[@]}"; do
	ktap=$tmpdir/$suite.ktap
	suite_ktap "$suite" >"$ktap"
	if ! grep -q . "$ktap"; then
		{
			if [ -d "$KUNIT_DEBUGFS" ]; then
				echo "no $KUNIT_DEBUGFS/$suite/results"
			else
				echo "no $KUNIT_DEBUGFS; the kernel log has no results either"
			fi
			dmesg | grep -q "$MARK" ||
				echo "the kernel log no longer holds the module's load (it overflowed)"
		} >"$ktap.why"
		add "not ok" "$suite: no results (suite missing, or KUnit did not run it)" "$ktap.why"
		continue
	fi
	planned=
	ncases=0
	while IFS='|' read -r st name np nf ns fails reason; do
		if [ "$st" = PLAN ]; then
			planned=$name
			continue
		fi
		ncases=$((ncases + 1))
		total_cases=$((total_cases + 1))
		total_params=$((total_params + np + nf + ns))
		desc="$suite: $name"
		if [ $((np + nf + ns)) -gt 0 ]; then
			desc+=" ($np of $((np + nf + ns)) parameters passed"
			[ "$ns" -gt 0 ] && desc+=", $ns skipped"
			[ "$nf" -gt 0 ] && desc+="; failed: $fails"
			desc+=")"
		fi
		case $st in
		ok) add ok "$desc" ;;
		skip) add skip "$desc" ;;
		*) add "not ok" "$desc" "$ktap.$ncases" ;;
		esac
		[ "$st" = skip ] && res_desc[-1]+=$'\t'"${reason:-skipped by KUnit}"
	done < <(parse_suite "$suite" "$ktap")
	if [ "$ncases" -eq 0 ]; then
		add "not ok" "$suite: no test case reported" "$ktap"
	elif [ -n "$planned" ] && [ "$ncases" -ne "$planned" ]; then
		add "not ok" "$suite: $ncases test cases reported, $planned planned" "$ktap"
	fi
done

# ------------------------------------------------------------- unload

if rmmod vdrep_kunit >"$tmpdir/rmmod.out" 2>&1 && ! kunit_loaded; then
	add ok "rmmod vdrep_kunit"
else
	add "not ok" "rmmod vdrep_kunit" "$tmpdir/rmmod.out"
fi

# ------------------------------------------------------------- report

ktap_plan "${#res_status[@]}"
diag "$total_cases KUnit test cases, $total_params parameterised sub-cases, from $KUNIT_KO"
for i in "${!res_status[@]}"; do
	case ${res_status[i]} in
	ok) ok "${res_desc[i]}" ;;
	skip) skip "${res_desc[i]%%$'\t'*}" "${res_desc[i]#*$'\t'}" ;;
	*)
		not_ok "${res_desc[i]}"
		[ -n "${res_diag[i]}" ] && diag_file "${res_diag[i]}"
		;;
	esac
done

ktap_finished
