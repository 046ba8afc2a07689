#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge one VM run of run.sh: read each test's KTAP and exit status from the results
directory, scan the guest's console log and dmesg for kernel splats, print one line per
test case, the splats, and a final "N passed, N failed[, N skipped]" line.  Exits 1 when
anything failed.  A test with no recorded exit status failed (the guest died or ran out
of time), and so does any splat."""

import argparse
import os
import re
import sys

KTAP_RESULT = re.compile(r'^(not ok|ok) +(\d+)(?: +-)? *(.*?)\s*$')
KTAP_PLAN = re.compile(r'^1\.\.(\d+)(?:\s*#\s*(.*))?$')
DIRECTIVE = re.compile(r'\s*#\s*(SKIP|TODO|XFAIL)\b\s*(.*)$', re.IGNORECASE)

# A kernel log line as printed on the console and by dmesg: "[   12.345678] text",
# optionally with a caller id "[    T123]".
KERNEL_LINE = re.compile(r'^\[\s*(\d+\.\d+)\](?:\[\s*[CT]\d+\])?\s?(.*)$')

# Splats: messages starting like this ...
SPLAT_START = re.compile(
    r'^(WARNING:|BUG:|kernel BUG at|Oops|general protection fault|Kernel panic|UBSAN:|'
    r'Call Trace:|unreferenced object|kmemleak: (?!Kernel memory leak detector initialized).*(leak|suspected)|'
    r'INFO: (task .* blocked for more than|possible |trying to register non-static key|'
    r'rcu_|lockdep is turned off|inconsistent lock state)|'
    r'watchdog: BUG:)')
# ... or containing this anywhere.
SPLAT_ANY = re.compile(
    r'(KASAN|blocked for more than \d+ seconds|soft lockup|hard LOCKUP|self-detected stall|'
    r'detected stalls on CPU|RCU stall|possible circular locking|possible recursive locking|'
    r'hung task|suspected memory leak|circular locking dependency)')
# ... except these: the count a kmemleak scan prints (the guest's "kmemleak" pseudo-test
# judges the reports: only vdrep's objects fail).
NOT_SPLAT = re.compile(r'^kmemleak: \d+ new suspected memory leaks')
SPLAT_END = re.compile(r'---\[ end (trace|Kernel panic)')
SPLAT_CONTEXT = 40

MARK_BEGIN = re.compile(r'^vdrep-vm: begin (\S+)')
MARK_END = re.compile(r'^vdrep-vm: end (\S+)')


def read_lines(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    return data.decode('utf-8', 'replace').replace('\r', '').split('\n')


def parse_ktap(lines):
    """-> (plan or None, plan directive, [(status, number, description, directive, reason)])"""
    plan, plan_directive, cases = None, '', []
    for line in lines:
        # Nested (indented) subtests and diagnostics are not results of this test.
        if not line or line[0] in ' \t#':
            continue
        if line.startswith('Bail out!'):
            cases.append(('not ok', len(cases) + 1, line, '', ''))
            continue
        m = KTAP_PLAN.match(line)
        if m:
            plan, plan_directive = int(m.group(1)), (m.group(2) or '')
            continue
        m = KTAP_RESULT.match(line)
        if not m:
            continue
        status, number, desc = m.group(1), int(m.group(2)), m.group(3)
        directive, reason = '', ''
        d = DIRECTIVE.search(desc)
        if d:
            directive, reason = d.group(1).upper(), d.group(2).strip()
            desc = desc[:d.start()].strip()
        cases.append((status, number, desc, directive, reason))
    return plan, plan_directive, cases


def find_splats(sources):
    """Splats in kernel log lines of several sources (console, dmesg), each reported once:
    -> [(test running at the time or None, [lines])]"""
    seen, splats = set(), []
    for lines in sources:
        if not lines:
            continue
        klines = []
        for line in lines:
            m = KERNEL_LINE.match(line)
            if m:
                klines.append((m.group(1), m.group(2).strip(), line))
        current, skip_until = None, -1
        for i, (stamp, text, raw) in enumerate(klines):
            m = MARK_BEGIN.match(text)
            if m:
                current = m.group(1)
                continue
            if MARK_END.match(text):
                current = None
                continue
            if i <= skip_until:
                continue
            if not (SPLAT_START.match(text) or SPLAT_ANY.search(text)) or NOT_SPLAT.match(text):
                continue
            block = [raw]
            j = i + 1
            while j < len(klines) and len(block) < SPLAT_CONTEXT:
                block.append(klines[j][2])
                if SPLAT_END.search(klines[j][1]):
                    break
                j += 1
            skip_until = j
            key = (stamp, text)
            if key in seen:
                continue
            seen.add(key)
            splats.append((current, block))
    return splats


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--lane', required=True)
    ap.add_argument('--results', required=True)
    ap.add_argument('--console', required=True)
    ap.add_argument('--vm-status', default='ok', choices=('ok', 'timeout', 'died'))
    ap.add_argument('--vm-detail', default='')
    ap.add_argument('--script', help='a custom guest script was run instead of tests')
    ap.add_argument('--counts', help='write "passed failed skipped" here')
    ap.add_argument('--no-summary', action='store_true',
                    help='leave the summary line to the caller (still in --counts)')
    ap.add_argument('tests', nargs='*')
    args = ap.parse_args()

    lane = args.lane
    passed = failed = skipped = 0
    out = []

    def emit(kind, name, desc):
        nonlocal passed, failed, skipped
        if kind == 'ok':
            passed += 1
        elif kind == 'skip':
            skipped += 1
        else:
            failed += 1
        out.append(f'{kind} {lane} {name}: {desc}')

    if args.script:
        rc_text = (read_lines(os.path.join(args.results, 'guest.rc')) or [''])[0].strip()
        if rc_text == '0':
            emit('ok', args.script, 'exit status 0')
        elif rc_text:
            emit('not ok', args.script, f'exit status {rc_text}')
        else:
            emit('not ok', args.script, 'no exit status recorded (guest died or timed out)')

    for name in args.tests:
        lines = read_lines(os.path.join(args.results, name + '.ktap')) or []
        rc_text = (read_lines(os.path.join(args.results, name + '.rc')) or [''])[0].strip()
        plan, plan_directive, cases = parse_ktap(lines)
        nfail_before = failed
        for status, number, desc, directive, reason in cases:
            label = desc or f'case {number}'
            if directive == 'SKIP' or (directive == 'TODO' and status == 'not ok'):
                emit('skip', name, f'{label} ({reason})' if reason else label)
            elif status == 'ok' or directive == 'XFAIL':
                emit('ok', name, label)
            else:
                emit('not ok', name, label)
        if not rc_text:
            emit('not ok', name, 'did not finish (no exit status: the guest died or ran '
                 'out of time)' if cases or lines else 'did not run (the guest died or ran '
                 'out of time before it)')
            continue
        rc = int(rc_text) if rc_text.isdigit() else -1
        if rc == 4:
            if not cases:
                reason = re.sub(r'^SKIP\s*', '', plan_directive, flags=re.IGNORECASE)
                emit('skip', name, reason or 'skipped (exit status 4)')
            continue
        if rc == 124 or rc == 137:
            emit('not ok', name, f'timed out (exit status {rc})')
            continue
        if plan is not None and len(cases) < plan:
            emit('not ok', name, f'planned {plan} cases, reported {len(cases)}')
        elif plan is None and not cases:
            emit('not ok' if rc else 'ok', name, f'no KTAP results, exit status {rc}')
            continue
        if rc != 0 and failed == nfail_before:
            emit('not ok', name, f'exit status {rc} with no failed case')

    if args.vm_status == 'timeout':
        emit('not ok', 'vm', f'guest exceeded its time budget{args.vm_detail} and was killed')
    elif args.vm_status == 'died':
        emit('not ok', 'vm', f'guest stopped before writing its results{args.vm_detail}')

    console = read_lines(args.console)
    dmesg = read_lines(os.path.join(args.results, 'dmesg.txt'))
    for test, block in find_splats([dmesg, console]):
        where = f' during {test}' if test else ''
        first = KERNEL_LINE.match(block[0]).group(2).strip()
        emit('not ok', 'kernel', f'splat{where}: {first}')
        out.extend('#   ' + line for line in block)

    for line in out:
        print(line)
    summary = f'{passed} passed, {failed} failed'
    if skipped:
        summary += f', {skipped} skipped'
    if args.counts:
        with open(args.counts, 'w') as f:
            f.write(f'{passed} {failed} {skipped}\n')
    if not args.no_summary:
        print(summary)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
