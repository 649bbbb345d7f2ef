# SPDX-License-Identifier: GPL-2.0-or-later
"""Writers that look for split brain: each records which server acknowledged every write and
when, so a test can count the writes an old master acknowledged after the new master took
writes. One kind runs here (the manager's side of a cut), one inside a host's namespace (the
old master's side: an application on that host, writing through the VIP it still holds)."""
import os
import subprocess
import threading
import time

import pymysql

HERE = os.path.dirname(os.path.abspath(__file__))


def _connect(host, user, password, timeout):
    return pymysql.connect(host=host, user=user, password=password, database="labdb",
                           connect_timeout=timeout, read_timeout=timeout,
                           write_timeout=timeout, autocommit=True)


class AckWriter(threading.Thread):
    """Inserts one row per id into labdb.t on host through one kept session (reopened after an
    error); acks holds (id, server_id, time) of every INSERT the server acknowledged."""

    def __init__(self, lab, host, base, timeout=2):
        super().__init__(daemon=True)
        self.lab, self.host, self.base, self.timeout = lab, host, base, timeout
        self.acks, self.errors = [], 0
        self.stop_evt = threading.Event()

    def run(self):
        con, sid, i = None, None, self.base
        while not self.stop_evt.is_set():
            try:
                if con is None:
                    con = _connect(self.host, self.lab.env["LAB_APP_USER"],
                                   self.lab.env["LAB_APP_PASSWORD"], self.timeout)
                    with con.cursor() as cur:
                        cur.execute("SELECT @@server_id")
                        sid = cur.fetchone()[0]
                i += 1
                with con.cursor() as cur:
                    cur.execute("INSERT INTO t (id, v) VALUES (%s, 'sb')", (i,))
                self.acks.append((i, sid, time.time()))
                time.sleep(0.01)
            except Exception:
                self.errors += 1
                try:
                    if con:
                        con.close()
                except Exception:
                    pass
                con = None
                time.sleep(0.2)

    def stop(self):
        self.stop_evt.set()
        self.join(timeout=30)


class NetnsWriter:
    """The same writer, run inside lab host N's namespace (guard_writer.py); the password goes
    through the environment, never argv."""

    def __init__(self, lab, n, host, base, out):
        self.out, self.stopfile = out, out + ".stop"
        env = dict(os.environ, GUARD_APP_USER=lab.env["LAB_APP_USER"],
                   GUARD_APP_PASSWORD=lab.env["LAB_APP_PASSWORD"])
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", f"mhaadm-h{n}", "/usr/bin/python3",
             os.path.join(HERE, "guard_writer.py"), host, str(base), out, self.stopfile],
            env=env, start_new_session=True)

    @property
    def acks(self):
        acks = []
        if os.path.exists(self.out):
            for line in open(self.out):
                p = line.split()
                if len(p) == 3:
                    acks.append((int(p[0]), int(p[1]), float(p[2])))
        return acks

    def stop(self):
        open(self.stopfile, "w").close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=10)


def late_acks(writers, old_sid, new_sid):
    """(time the new master first acknowledged a write, [acks by the old master after it])."""
    acks = [a for w in writers for a in w.acks]
    new = [t for (_, sid, t) in acks if sid == new_sid]
    if not new:
        return None, []
    t_new = min(new)
    return t_new, sorted(a for a in acks if a[1] == old_sid and a[2] > t_new)


class IdleSession:
    """A session opened on host before a fault and used only after it (try_write): a client
    that was connected all along. acks holds its write if the server acknowledged it."""

    def __init__(self, lab, host, timeout=5):
        self.acks = []
        self.con = _connect(host, lab.env["LAB_APP_USER"], lab.env["LAB_APP_PASSWORD"], timeout)
        with self.con.cursor() as cur:
            cur.execute("SELECT @@server_id")
            self.sid = cur.fetchone()[0]

    def try_write(self, i):
        try:
            with self.con.cursor() as cur:
                cur.execute("INSERT INTO t (id, v) VALUES (%s, 'idle')", (i,))
            self.acks.append((i, self.sid, time.time()))
        except Exception:
            pass
        try:
            self.con.close()
        except Exception:
            pass
