# SPDX-License-Identifier: GPL-2.0-or-later
"""A writer run inside a lab host's namespace (splitbrain.NetnsWriter): one INSERT per id into
labdb.t on HOST, one line "ID SERVER_ID TIME" per acknowledged write, until STOPFILE exists.
Usage: guard_writer.py HOST BASE OUTFILE STOPFILE (account from GUARD_APP_USER/_PASSWORD)."""
import os
import sys
import time

import pymysql

host, base, out, stopfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
con, sid, i = None, None, base
deadline = time.time() + 600
with open(out, "a") as f:
    while not os.path.exists(stopfile) and time.time() < deadline:
        try:
            if con is None:
                con = pymysql.connect(host=host, user=os.environ["GUARD_APP_USER"],
                                      password=os.environ["GUARD_APP_PASSWORD"],
                                      database="labdb", connect_timeout=2, read_timeout=2,
                                      write_timeout=2, autocommit=True)
                with con.cursor() as cur:
                    cur.execute("SELECT @@server_id")
                    sid = cur.fetchone()[0]
            i += 1
            with con.cursor() as cur:
                cur.execute("INSERT INTO t (id, v) VALUES (%s, 'sb')", (i,))
            f.write(f"{i} {sid} {time.time():.6f}\n")
            f.flush()
            time.sleep(0.01)
        except Exception:
            try:
                if con:
                    con.close()
            except Exception:
                pass
            con = None
            time.sleep(0.2)
