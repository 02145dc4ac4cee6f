#!/usr/bin/env python3
"""WAL census: which tables and indexes the store's writes land in, in WAL frames per event.

CPU time on a shared VM varies by +-20% from one minute to the next; the number of 4 KB pages
(WAL frames) the store writes per webhook does not, and it drives the fsync, the page writes
and the checkpoint copies. This runs bench_ingest (or bench_e2e) with checkpoints pushed out of the way,
snapshots the database twice while the load runs (SIGSTOP, copy, SIGCONT), and attributes
every frame written between the snapshots to the table or index that owns its page.

  python3 bench/store/wal_census.py [--e2e] [--binary build/host/deskhook] [--at 5 --window 5]

With --e2e it counts bench_e2e's saturation phase (the example scripts, the outbox and the
stand-in helpdesk): keep --at + --window inside it (~6-8 s for 30,000 events).
"""
import argparse
import collections
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import tempfile
import time


def wal_frames(path):
    """(page number, is_commit) of each valid frame, in order (stops at the first stale salt)."""
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 32:
        return [], None
    _, _, page_size, _, salt1, salt2, _, _ = struct.unpack('>IIIIIIII', raw[:32])
    frames, off = [], 32
    while off + 24 + page_size <= len(raw):
        page, commit, s1, s2 = struct.unpack('>IIII', raw[off:off + 16])
        if (s1, s2) != (salt1, salt2):
            break
        frames.append((page, commit != 0))
        off += 24 + page_size
    return frames, (salt1, salt2)


def server_of(bench_pid, db_name):
    """The deskhook serve process the bench started, and its database path."""
    for _ in range(100):
        try:
            children = open(f'/proc/{bench_pid}/task/{bench_pid}/children').read().split()
        except OSError:
            children = []
        for pid in children:
            args = open(f'/proc/{pid}/cmdline').read().split('\0')
            if 'serve' in args and '--config' in args:
                config = args[args.index('--config') + 1]
                return int(pid), os.path.join(os.path.dirname(config), db_name)
        time.sleep(0.1)
    raise SystemExit('bench_ingest started no server')


def snapshot(pid, db, into):
    os.kill(pid, signal.SIGSTOP)
    try:
        os.makedirs(into)
        for suffix in ('', '-wal', '-shm'):
            shutil.copy(db + suffix, os.path.join(into, 'bench.db' + suffix))
    finally:
        os.kill(pid, signal.SIGCONT)


def counts(directory):
    db = sqlite3.connect(f'file:{directory}/bench.db?mode=ro', uri=True)
    appended = db.execute('SELECT COUNT(*) FROM events').fetchone()[0]
    processed = db.execute('SELECT COUNT(*) FROM events WHERE state <> 0').fetchone()[0]
    return db, appended, processed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--e2e', action='store_true', help='bench_e2e instead of bench_ingest')
    ap.add_argument('--binary', default='build/host/deskhook')
    ap.add_argument('--at', type=float, default=5, help='first snapshot, seconds after start')
    ap.add_argument('--window', type=float, default=5, help='seconds between the snapshots')
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix='deskhook-census-')
    if a.e2e:
        cmd, db_name = ['build/bench/e2e/bench_e2e', '--seconds', '2'], 'e2e.db'
    else:
        cmd, db_name = ['build/bench/ingest/bench_ingest', '--seconds', str(a.at + a.window + 2)], 'bench.db'
    bench = subprocess.Popen(cmd + ['--binary', a.binary, '--checkpoint-pages', '10000000'],
                             stdout=subprocess.PIPE, text=True)
    pid, db = server_of(bench.pid, db_name)
    time.sleep(a.at)
    snapshot(pid, db, f'{work}/1')
    time.sleep(a.window)
    snapshot(pid, db, f'{work}/2')
    out = bench.communicate()[0]
    first, salt1 = wal_frames(f'{work}/1/bench.db-wal')
    second, salt2 = wal_frames(f'{work}/2/bench.db-wal')
    if salt1 != salt2:
        raise SystemExit('the WAL restarted between the snapshots (a checkpoint ran); nothing to count')
    _, n1, p1 = counts(f'{work}/1')
    db2, n2, p2 = counts(f'{work}/2')
    window = second[len(first):]
    events = max(1, n2 - n1)
    commits = sum(1 for _, c in window if c)
    owner = dict(db2.execute('SELECT pageno, name FROM dbstat'))
    by_table = collections.Counter(owner.get(page, '?') for page, _ in window)
    print(f'{len(window)} WAL frames in {commits} commits for {n2 - n1} webhooks stored and '
          f'{p2 - p1} processed: {len(window) / events:.2f} frames per webhook, '
          f'{len(window) / max(1, commits):.1f} per commit')
    for name, frames in by_table.most_common():
        pages = len({page for page, _ in window if owner.get(page, '?') == name})
        print(f'  {name:26s} {frames / events:5.2f} per webhook  {100 * frames / len(window):5.1f}%  '
              f'({pages} distinct pages)')
    for line in out.splitlines():
        if line.startswith('durably stored') or line.startswith('saturation:'):
            print(line)
    shutil.rmtree(work)


if __name__ == '__main__':
    main()
