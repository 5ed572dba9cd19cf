"""Raw HTTP/2 for the hostile-client tests: frames and HPACK octets written
by hand, so that a test can send what no well-behaved client library would
(held streams, dripped header blocks, HPACK bombs), plus a look at the SBI
thread's CPU time. Imported by hpack_bomb.py, body_hog.py, held_streams.py
and integration_hostile.sh."""
import os, struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

def frame(ftype, flags, sid, payload):
    """One frame: 24-bit length, type, flags, stream id (RFC 9113 4.1)."""
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload

def lit(index, value):
    """Literal header field without indexing, name from static table entry
    `index` (RFC 7541 6.2.2); values shorter than 127 octets."""
    out = bytes([index]) if index < 15 else bytes([15, index - 15])
    assert len(value) < 127
    return out + bytes([len(value)]) + value

def sbi_thread_ticks(pid):
    """User + system clock ticks of akmad's SBI thread (named akma-sbi)."""
    for t in os.listdir("/proc/%s/task" % pid):
        with open("/proc/%s/task/%s/comm" % (pid, t)) as f:
            if f.read().strip() == "akma-sbi":
                with open("/proc/%s/task/%s/stat" % (pid, t)) as f:
                    x = f.read().rsplit(")", 1)[1].split()
                return int(x[11]) + int(x[12])
    raise SystemExit("no akma-sbi thread in process %s" % pid)
