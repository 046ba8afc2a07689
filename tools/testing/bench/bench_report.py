#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench_report.py OUT: the tables of a benchmark run made by bench-guest.sh.

Reads OUT/runs.tsv (one line per run: scenario, job, contender, rep, kind, unit, value,
extra), the fio JSON files it names, OUT/meta.txt and, when bench.sh wrote it on the host,
OUT/host.txt.  Writes OUT/results.json (every run's numbers and the summary),
OUT/results.md (the Markdown tables, also printed), and OUT/chart.gp with its
chart-SCENARIO.dat files (gnuplot makes chart.png of them; bench.sh runs it on the host).

Per (scenario, job, contender): the median over the repetitions, the spread (min..max),
the median of fio's p99 completion latency; ratios are median / median of the reference
(higher is better: every metric is a rate), and each goal's ratio also as the range of
the per-repetition ratios (repetition r of both contenders ran one after the other).
"""

import json
import os
import statistics
import sys

CHUNK_SECTORS = 128  # from meta.txt's chunk_size in main()

SCENARIOS = {
    'passthrough': {
        'title': 'Passthrough: a vdrep volume without associations',
        'refs': ['raw', 'dm-linear'],
        'goals': [(None, 'vdrep', 'dm-linear', 1.00)],
    },
    'mirror': {
        'title': 'Synchronous mirror, 2 legs (no on-disk bitmap anywhere)',
        'refs': ['raw', 'dm-linear', 'md-raid1', 'dm-mirror'],
        'goals': [(None, 'vdrep-sync', 'md-raid1', 1.0), (None, 'vdrep-sync', 'dm-mirror', 1.2)],
    },
    'snapshot': {
        'title': 'Snapshots: first write to a chunk (fresh-qd1), rewrite of a copied chunk',
        'refs': ['raw', 'dm-linear', 'dm-snapshot', 'dm-thin'],
        'goals': [('fresh-qd1', 'vdrep-snap1', 'dm-snapshot', 1.5),
                  ('fresh-qd1', 'vdrep-snap1', 'dm-thin', 1.0),
                  ('rewrite-qd1', 'vdrep-snap1', 'raw', 0.97)],
    },
    'resync': {
        'title': 'Resync and clone fill, idle: copy rate (copy: by the copy\'s own duration; '
                 'copy-wall: by the wall time of the commands, process starts included)',
        'refs': ['dd-1m', 'dd-64k', 'dm-clone'],
        'goals': [('copy', 'vdrep-mirror', 'dd-1m', 0.9), ('copy', 'vdrep-clone', 'dd-1m', 0.9)],
    },
    'async': {
        'title': 'Asynchronous mirror on a slow leg (writes 1 ms late): foreground rate and p99, '
                 'backlog',
        'refs': ['raw', 'md-writebehind', 'vdrep-sync-slow'],
        'goals': [],
    },
    'load': {
        'title': 'A mirror\'s initial sync under a foreground asking for 1000 writes/s: '
                 'foreground kept (x fg-alone), copy rate held (notes), per CopyPriority',
        'refs': ['fg-alone'],
        'goals': [(None, 'copy-same', 'fg-alone', 0.9)],
    },
    'intent': {
        'title': 'Write intents: a synchronous mirror with a metadata device, against none '
                 'and against md raid1 with a bitmap (dm-raid, 64 KiB regions)',
        'refs': ['vdrep-sync', 'md-raid1-bitmap'],
        'goals': [],
    },
}


def read_kv(path):
    kv = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if '=' in line:
                    k, v = line.rstrip('\n').split('=', 1)
                    kv[k] = v
    return kv


def parse_extra(text):
    extra = {}
    for item in filter(None, text.split(',')):
        k, _, v = item.partition('=')
        try:
            extra[k] = int(v)
        except ValueError:
            extra[k] = v
    return extra


def fio_numbers(path, unit):
    """-> (value, p99 completion latency in us, mean latency in us) of a fio JSON file."""
    with open(path) as f:
        text = f.read()
    # fio may print warnings ("fio: ...") before the JSON.
    data, _ = json.JSONDecoder().raw_decode(text[text.index('{'):])
    job = data['jobs'][0]
    if job.get('error'):
        raise ValueError(f'{path}: fio error {job["error"]}')
    d = max(('read', 'write'), key=lambda k: job[k]['io_bytes'])
    st = job[d]
    value = st['iops'] if unit == 'IOPS' else st['bw_bytes'] / 2**20
    pct = st.get('clat_ns', {}).get('percentile', {})
    p99 = pct.get('99.000000')
    return value, (p99 / 1000 if p99 is not None else None), st['lat_ns']['mean'] / 1000


def load_runs(out):
    runs = []
    with open(os.path.join(out, 'runs.tsv')) as f:
        for line in f:
            fields = line.rstrip('\n').split('\t')
            if len(fields) < 7:
                continue
            fields += [''] * (8 - len(fields))
            sc, job, c, rep, kind, unit, value, extra = fields[:8]
            r = {'scenario': sc, 'job': job, 'contender': c, 'rep': int(rep), 'kind': kind,
                 'unit': unit, 'extra': parse_extra(extra)}
            if kind == 'fio':
                r['file'] = value
                try:
                    r['value'], r['p99_us'], r['lat_mean_us'] = \
                        fio_numbers(os.path.join(out, value), unit)
                except (OSError, ValueError, KeyError) as e:
                    r['kind'], r['error'] = 'fail', f'unreadable fio output: {e}'
            elif kind == 'copy':
                nbytes, ns = (int(x) for x in value.split('/'))
                r['bytes'], r['seconds'] = nbytes, ns / 1e9
                r['value'] = nbytes / 2**20 / (ns / 1e9)
            else:
                r['error'] = value
            runs.append(r)
    return runs


def med(xs):
    return statistics.median(xs) if xs else None


def fmt(v, unit):
    if v is None:
        return 'n/a'
    return f'{v:.0f}' if unit == 'IOPS' else f'{v:.1f}'


def fmt_ratio(r):
    return 'n/a' if r is None else f'{r:.2f}x'


def summarize(runs):
    order, groups = [], {}
    for r in runs:
        if r['job'] == '-':
            continue
        key = (r['scenario'], r['job'], r['contender'])
        if key not in groups:
            order.append(key)
            groups[key] = []
        groups[key].append(r)
    summary = []
    for key in order:
        rs = groups[key]
        ok = [r for r in rs if r['kind'] != 'fail']
        vals = [r['value'] for r in ok]
        p99 = [r['p99_us'] for r in ok if r.get('p99_us') is not None]
        s = {'scenario': key[0], 'job': key[1], 'contender': key[2], 'unit': rs[0]['unit'],
             'n': len(vals), 'failed': len(rs) - len(ok),
             'values': {r['rep']: r['value'] for r in ok},
             'median': med(vals), 'min': min(vals) if vals else None,
             'max': max(vals) if vals else None, 'p99_us': med(p99), 'notes': notes(ok)}
        summary.append(s)
    index = {(s['scenario'], s['job'], s['contender']): s for s in summary}
    for s in summary:
        s['ratios'] = {}
        for ref in SCENARIOS.get(s['scenario'], {}).get('refs', []):
            o = index.get((s['scenario'], s['job'], ref))
            if o and o['median'] and s['median'] is not None:
                s['ratios'][ref] = s['median'] / o['median']
    return summary, index


def notes(ok):
    """What the runs counted besides the rate: per write, or per copy."""
    out = []

    def per_write(key, label):
        xs = [r['extra'][key] / r['extra']['writes'] for r in ok
              if key in r['extra'] and r['extra'].get('writes')]
        if xs:
            out.append(f'{label} {med(xs):.2f} ({min(xs):.2f}..{max(xs):.2f})')

    per_write('old_data_reads', 'old-data-reads/write')
    per_write('s1_chunks', 'chunks preserved/write')
    per_write('meta_writes', 'metadata writes/write')
    xs = [r['extra']['held_kib_s'] / 1024 for r in ok if 'held_kib_s' in r['extra']]
    if xs:
        out.append(f'copy held {med(xs):.1f} MiB/s ({min(xs):.1f}..{max(xs):.1f}) '
                   f'from 1 to 2 s after the start')
    xs = [r['extra']['copy_kib_s'] / 1024 for r in ok if 'copy_kib_s' in r['extra']]
    if xs:
        out.append(f'{med(xs):.1f} MiB/s ({min(xs):.1f}..{max(xs):.1f}) over the job, '
                   f'its idle edges included')
    for key, label, scale, unit in (('behind_bytes', 'queued at the end', 1 / 1048576, 'MiB'),
                                    ('drain_ms', 'drained in', 1 / 1000, 's')):
        xs = [r['extra'][key] * scale for r in ok if key in r['extra']]
        if xs:
            out.append(f'{label} {med(xs):.2f} {unit} ({min(xs):.2f}..{max(xs):.2f})')
    xs = [r['extra']['cow_sectors'] / CHUNK_SECTORS / r['extra']['writes'] for r in ok
          if 'cow_sectors' in r['extra'] and r['extra'].get('writes')]
    if xs:
        out.append(f'exception-store chunks/write {med(xs):.2f}')
    cc = [(r['extra']['copied_chunks'], r['extra']['total_chunks'], r['extra'].get('priority'))
          for r in ok if 'copied_chunks' in r['extra'] and 'total_chunks' in r['extra']]
    if cc:
        out.append(f'copied {min(c[0] for c in cc)}..{max(c[0] for c in cc)} of '
                   f'{cc[0][1]} chunks, priority {cc[0][2]}')
    secs = [r['seconds'] for r in ok if 'seconds' in r]
    if secs:
        out.append(f'{med(secs):.3f} s')
    xs = [r['extra']['wall_ms'] / 1000 for r in ok if 'wall_ms' in r['extra']]
    if xs:
        out.append(f'{med(xs):.3f} s with process starts')
    return '; '.join(out)


def goals(summary, index):
    rows = []
    for s in summary:
        sc = SCENARIOS.get(s['scenario'])
        if not sc:
            continue
        for gjob, c, ref, goal in sc['goals']:
            if s['contender'] != c or (gjob and gjob != s['job']):
                continue
            o = index.get((s['scenario'], s['job'], ref))
            ratio = s['ratios'].get(ref)
            paired = []
            if o:
                paired = [v / o['values'][rep] for rep, v in s['values'].items()
                          if o['values'].get(rep)]
            rows.append({'scenario': s['scenario'], 'job': s['job'],
                         'what': f'{c} / {ref}', 'ratio': ratio,
                         'paired_min': min(paired) if paired else None,
                         'paired_max': max(paired) if paired else None,
                         'goal': f'>= {goal:.2f}',
                         'met': None if ratio is None else ratio >= goal})
    # One read of the old data per source write, however many snapshots need it.
    for s in summary:
        if s['scenario'] == 'snapshot' and s['job'] == 'fresh-qd1' and \
                s['contender'] == 'vdrep-snap16' and s.get('_odr'):
            xs = s['_odr']
            rows.append({'scenario': 'snapshot', 'job': 'fresh-qd1',
                         'what': 'old-data-reads per write, 16 snapshots',
                         'ratio': med(xs), 'paired_min': min(xs), 'paired_max': max(xs),
                         'goal': '= 1', 'met': all(abs(x - 1) < 1e-9 for x in xs)})
    order = list(SCENARIOS)
    rows.sort(key=lambda g: order.index(g['scenario']) if g['scenario'] in order else 99)
    return rows


def markdown(meta, host, summary, goal_rows, failures):
    lines = []
    w = lines.append
    title = 'vdrep benchmark'
    if meta.get('smoke') == '1':
        title += ' (smoke run: one job, one repetition; not a measurement)'
    w(f'# {title}')
    w('')
    w(f"Lane {meta.get('lane', '?')}, kernel {meta.get('kernel', '?')}, "
      f"{meta.get('date', '?')}; {meta.get('fio', 'fio')}; guest: {meta.get('cpus', '?')} vCPUs "
      f"(QEMU TCG), {int(meta.get('mem_kib', 0)) // 1024} MiB.")
    if host:
        w(f"Host: {host.get('cpu', '?')}, {host.get('qemu', '?')}; vdrep "
          f"{host.get('commit', '?')}; the whole command (build, boot, runs) took "
          f"{host.get('wall_seconds', '?')} s.")
    w(f"{meta.get('reps', '?')} repetitions, interleaved; time-based jobs run "
      f"{meta.get('runtime', '?')} s; brd ramdisks of {meta.get('size_mib', '?')} MiB, "
      f"pre-filled; chunk/region/block size {int(meta.get('chunk_size', 0)) // 1024} KiB.")
    w('Rates: higher is better. median (min..max) over the repetitions; p99: median of '
      "fio's 99th percentile completion latency; \"x REF\": median / REF's median.")
    icount = meta.get('icount') == '1'
    if icount:
        w('Deterministic mode (QEMU -icount shift=0,sleep=off): guest time counts instructions, '
          '1 ns a instruction, so rates and latencies are in instructions, not host time; '
          '"kinstr/IO" is thousands of guest instructions per I/O of a QD1 job (1e6 / IOPS).')
    for name, sc in SCENARIOS.items():
        rows = [s for s in summary if s['scenario'] == name]
        if not rows:
            continue
        refs = [r for r in sc['refs'] if any(s['contender'] == r for s in rows)]
        w('')
        w(f"## {sc['title']}")
        w('')
        head = ['job', 'contender', 'median', 'min..max', 'unit', 'p99 us'] + \
               (['kinstr/IO'] if icount else []) + [f'x {r}' for r in refs] + ['notes']
        w('| ' + ' | '.join(head) + ' |')
        w('|' + '|'.join(['---'] * len(head)) + '|')
        for s in rows:
            cells = [s['job'], s['contender'], fmt(s['median'], s['unit']),
                     f"{fmt(s['min'], s['unit'])}..{fmt(s['max'], s['unit'])}" if s['n'] else 'n/a',
                     s['unit'], f"{s['p99_us']:.0f}" if s['p99_us'] is not None else '-']
            if icount:
                qd1 = 'qd1' in s['job'] and s['unit'] == 'IOPS' and s['median']
                cells.append(f"{1e6 / s['median']:.1f}" if qd1 else '-')
            cells += [fmt_ratio(s['ratios'].get(r)) for r in refs]
            note = s['notes']
            if s['failed']:
                note = (note + '; ' if note else '') + f"{s['failed']} runs failed"
            cells.append(note or '')
            w('| ' + ' | '.join(cells) + ' |')
    if goal_rows:
        w('')
        w("## Ratios against the issue's goals")
        w('')
        w('| scenario | job | ratio | median | per-rep min..max | goal | this run |')
        w('|---|---|---|---|---|---|---|')
        for g in goal_rows:
            is_count = g['goal'].startswith('=')
            val = (lambda x: 'n/a' if x is None else (f'{x:.2f}' if is_count else fmt_ratio(x)))
            met = 'n/a' if g['met'] is None else ('meets' if g['met'] else 'below')
            w(f"| {g['scenario']} | {g['job']} | {g['what']} | {val(g['ratio'])} | "
              f"{val(g['paired_min'])}..{val(g['paired_max'])} | {g['goal']} | {met} |")
    if failures:
        w('')
        w('## Not measured')
        w('')
        for r in failures:
            w(f"- {r['scenario']}: {r['contender']}: {r.get('error')}")
    return '\n'.join(lines) + '\n'


def chart(out, meta, summary):
    """chart-SCENARIO.dat (per job: each contender's median, min, max over the first
    reference's median) and chart.gp, one histogram per scenario."""
    plots = []
    for name, sc in SCENARIOS.items():
        rows = [s for s in summary if s['scenario'] == name]
        if not rows:
            continue
        jobs = list(dict.fromkeys(s['job'] for s in rows))
        contenders = list(dict.fromkeys(s['contender'] for s in rows if s['median'] is not None))
        idx = {(s['job'], s['contender']): s for s in rows}
        base = sc['refs'][0]
        with open(os.path.join(out, f'chart-{name}.dat'), 'w') as f:
            f.write('# job ' + ' '.join(f'{c} {c}-min {c}-max' for c in contenders) + '\n')
            for j in jobs:
                b = idx.get((j, base))
                cells = [j]
                for c in contenders:
                    s = idx.get((j, c))
                    if not s or s['median'] is None or not b or not b['median']:
                        cells += ['?', '?', '?']
                    else:
                        cells += [f"{s[k] / b['median']:.4f}" for k in ('median', 'min', 'max')]
                f.write(' '.join(cells) + '\n')
        plots.append((name, sc['title'], base, contenders))
    if not plots:
        return
    with open(os.path.join(out, 'chart.gp'), 'w') as f:
        f.write(f"""# gnuplot chart.gp (in this directory) -> chart.png
set terminal pngcairo size 1100,{330 * len(plots) + 60} noenhanced font ",9"
set output 'chart.png'
set datafile missing '?'
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set key outside right top
set xtics nomirror
set multiplot layout {len(plots)},1 title "vdrep benchmark: lane {meta.get('lane', '?')}, {meta.get('kernel', '?')}, {meta.get('date', '?')}; median (min..max) / reference median"
""")
        for name, title, base, contenders in plots:
            f.write(f'set title "{title}"\n')
            f.write(f'set ylabel "x {base}"\n')
            parts = []
            for i, c in enumerate(contenders):
                col = 2 + 3 * i
                src = f"'chart-{name}.dat'" if i == 0 else "''"
                xt = ':xtic(1)' if i == 0 else ''
                parts.append(f"{src} using {col}:{col + 1}:{col + 2}{xt} title '{c}'")
            f.write('plot ' + ', \\\n     '.join(parts) + '\n')
        f.write('unset multiplot\n')


def main():
    if len(sys.argv) != 2:
        print(__doc__.split('\n\n')[0], file=sys.stderr)
        return 2
    out = sys.argv[1]
    meta = read_kv(os.path.join(out, 'meta.txt'))
    host = read_kv(os.path.join(out, 'host.txt'))
    global CHUNK_SECTORS
    CHUNK_SECTORS = int(meta.get('chunk_size', 65536)) // 512
    runs = load_runs(out)
    summary, index = summarize(runs)
    for s in summary:
        xs = [r['extra']['old_data_reads'] / r['extra']['writes'] for r in runs
              if (r['scenario'], r['job'], r['contender']) ==
              (s['scenario'], s['job'], s['contender']) and r['kind'] == 'fio' and
              'old_data_reads' in r['extra'] and r['extra'].get('writes')]
        if xs:
            s['_odr'] = xs
    goal_rows = goals(summary, index)
    for s in summary:
        s['old_data_reads_per_write'] = s.pop('_odr', None)
    failures = [r for r in runs if r['job'] == '-']
    md = markdown(meta, host, summary, goal_rows, failures)
    with open(os.path.join(out, 'results.md'), 'w') as f:
        f.write(md)
    with open(os.path.join(out, 'results.json'), 'w') as f:
        json.dump({'meta': meta, 'host': host, 'runs': runs, 'summary': summary,
                   'goals': goal_rows, 'setup_failures': failures}, f, indent=1)
    chart(out, meta, summary)
    sys.stdout.write(md)
    return 0


if __name__ == '__main__':
    sys.exit(main())
