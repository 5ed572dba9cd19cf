#!/usr/bin/python3
"""notify_listen.py SOCKET OUT CHECK...: the service manager's side of
sd_notify(3) for a test: bind a unix datagram socket at SOCKET, append every
message to OUT (one line per KEY=VALUE, prefixed with its arrival order), and
when READY=1 arrives run CHECK (a command that must succeed against the now
ready service), recording "check ok" or "check failed". Runs until killed."""
import os, socket, subprocess, sys

path, out, check = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
n = 0
with open(out, "a", buffering=1) as f:
    f.write("listening\n")
    while True:
        msg = s.recv(4096).decode(errors="replace")
        for line in msg.split("\n"):
            n += 1
            f.write("%d %s\n" % (n, line))
            if line == "READY=1" and check:
                ok = subprocess.run(check, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL).returncode == 0
                f.write("%d check %s\n" % (n, "ok" if ok else "failed"))
