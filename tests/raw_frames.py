#!/usr/bin/python3
"""Frames an attacker or a broken host puts on akmad's DPDK port
(integration_ethdev.sh): sent on an AF_PACKET socket of the namespace's
end of the veth, each built byte by byte, one kind at a time.

usage: raw_frames.py IFACE DST_MAC DST_IPV4 SRC_IPV4 UDP_PORT [DST_IPV6 SRC_IPV6]

Prints, for each kind, the akmad counter it must raise, as
"KIND CAUSE", where CAUSE is an akmad_ethdev_dropped_total cause, a
wire counter (wire:NAME), or kernel_defrag: an IPv4 fragment, which
net_af_packet's socket (PACKET_FANOUT_FLAG_DEFRAG) holds for reassembly
before akmad could see it.
"""
import os
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ipv4(src, dst, proto, payload, ihl=5, flags_frag=0x4000, total=None, bad_csum=False, opts=b""):
    total = total if total is not None else 4 * ihl + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 0x1234, flags_frag, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst)) + opts
    c = csum(h)
    if bad_csum:
        c ^= 0x5555
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def udp4(src, dst, sport, dport, data, bad_csum=False):
    length = 8 + len(data)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, length)
    u = struct.pack("!HHHH", sport, dport, length, 0) + data
    c = csum(pseudo + u) or 0xFFFF
    if bad_csum:
        c ^= 0x0F0F
    return u[:6] + struct.pack("!H", c) + u[8:]


def main():
    iface, dst_mac, dst4, src4, port = sys.argv[1:6]
    port = int(port)
    dst6 = sys.argv[6] if len(sys.argv) > 6 else None
    src6 = sys.argv[7] if len(sys.argv) > 7 else None
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    me = open("/sys/class/net/%s/address" % iface).read().strip()
    eth = mac(dst_mac) + mac(me)
    e4 = eth + b"\x08\x00"
    hello = b"AK" + b"\x02\x01" + os.urandom(60)  # version 2, GCM, a forged tag
    frames = [
        ("other_ethertype", "ethertype", eth + b"\x88\xb5" + os.urandom(46)),
        ("vlan_tagged", "ethertype", eth + b"\x81\x00\x00\x05\x08\x00" +
         ipv4(src4, dst4, 17, udp4(src4, dst4, 5000, port, hello))),
        ("ip_total_past_frame", "truncated", e4 + ipv4(src4, dst4, 17, udp4(src4, dst4, 5000, port, hello), total=1400)),
        ("truncated_udp", "truncated", e4 + ipv4(src4, dst4, 17, b"\x13\x88\x1e")),
        ("ip_options", "ip_options", e4 + ipv4(src4, dst4, 17, udp4(src4, dst4, 5000, port, hello), ihl=6, opts=b"\x01\x01\x01\x00")),
        ("fragment_first", "kernel_defrag", e4 + ipv4(src4, dst4, 17, udp4(src4, dst4, 5000, port, hello), flags_frag=0x2000)),
        ("fragment_later", "kernel_defrag", e4 + ipv4(src4, dst4, 17, os.urandom(64), flags_frag=0x0010)),
        ("bad_ip_checksum", "checksum", e4 + ipv4(src4, dst4, 17, udp4(src4, dst4, 5000, port, hello), bad_csum=True)),
        ("bad_udp_checksum", "checksum", e4 + ipv4(src4, dst4, 17, udp4(src4, dst4, 5000, port, hello, bad_csum=True))),
        ("other_udp_port", "udp_port", e4 + ipv4(src4, dst4, 17, udp4(src4, dst4, 5000, port + 1, hello))),
        ("other_ip", "not_ours", e4 + ipv4(src4, "10.255.255.9", 17, udp4(src4, "10.255.255.9", 5000, port, hello))),
        ("other_protocol", "protocol", e4 + ipv4(src4, dst4, 6, os.urandom(40))),
        ("not_wire_protocol", "wire:dropped_short", e4 + ipv4(src4, dst4, 17, udp4(src4, dst4, 5000, port, os.urandom(80)))),
        ("forged_tag", "wire:dropped_auth", e4 + ipv4(src4, dst4, 17, udp4(src4, dst4, 5000, port, forged(hello)))),
    ]
    if dst6:
        e6 = eth + b"\x86\xdd"
        ip6 = lambda nxt, payload: struct.pack("!IHBB16s16s", 0x60000000, len(payload), nxt, 64,
                                               socket.inet_pton(socket.AF_INET6, src6),
                                               socket.inet_pton(socket.AF_INET6, dst6)) + payload
        frames += [
            ("ipv6_fragment", "fragment", e6 + ip6(44, b"\x11\x00\x00\x01\x00\x00\x00\x07" + os.urandom(40))),
            ("ipv6_hop_by_hop", "ip_options", e6 + ip6(0, b"\x11\x00" + b"\x00" * 6 + os.urandom(40))),
            ("ipv6_payload_past_frame", "truncated", e6 + ip6(17, b"\x13\x88\x1e\x61\x00\x08")[:4] +
             struct.pack("!H", 400) + ip6(17, b"\x13\x88\x1e\x61\x00\x08")[6:]),
        ]
    for name, cause, f in frames:
        if len(f) < 60:
            f += b"\0" * (60 - len(f))
        s.send(f)
        print(name, cause)


def forged(hello):
    # a wire header that parses (magic, version 2, GCM, a fresh timestamp)
    # over a body and tag that are random: it fails at the tag (check 5)
    import time
    ts = int(time.time() * 1000)
    hdr = b"AK\x02\x01" + os.urandom(8) + struct.pack("!I", 1) + struct.pack("!Q", ts) + os.urandom(8)
    return hdr + os.urandom(40)


if __name__ == "__main__":
    main()
