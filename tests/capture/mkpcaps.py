#!/usr/bin/env python3
"""Writes the small capture test files in tests/capture/pcaps/ (payloads are short on purpose:
the analysis reads headers only) and, beside each, the values
`voiceready-agent capture --read` must report (FILE.expect.json).

The pcap format is written by hand (no scapy): global header, then per record ts, caplen, len
and the frame. Expected values are computed here from the packets as generated, independently
of the C code: packets, expected, lost, duplicates, RFC 3550 jitter (last and max) in the clock
the stream declares, the largest inter-arrival gap, DSCP counts.

Usage: mkpcaps.py OUTDIR   (the committed files come from `mkpcaps.py tests/capture/pcaps`)
"""
import json
import os
import random
import struct
import sys

NS = 1_000_000_000


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, tos, payload, proto=17, frag=0, ident=1):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), ident, frag, 64, proto, 0,
                      bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, tclass, payload, ext=b"", first_nh=17):
    vtf = (6 << 28) | (tclass << 20) | 0x12345
    return struct.pack("!IHBB16s16s", vtf, len(ext) + len(payload), first_nh, 64, bytes(src),
                       bytes(dst)) + ext + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def rtp(pt, seq, ts, ssrc, payload_len, marker=0):
    return struct.pack("!BBHII", 0x80, (marker << 7) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF,
                       ssrc) + bytes(payload_len)


def eth(payload, ethertype, tags=()):
    out = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
    for tpid, vid in tags:
        out += struct.pack("!HH", tpid, vid)
    return out + struct.pack("!H", ethertype) + payload


def sll2(payload, proto):
    # protocol, reserved, ifindex, ARPHRD_ETHER, packet type (outgoing 4), addr len, addr
    return struct.pack("!HHIHBB8s", proto, 0, 2, 1, 4, 6, b"\x02\0\0\0\0\x01\0\0") + payload


def write_pcap(path, linktype, records, nano=True, cut_last=0):
    """records: (t_seconds_float_or_ns_int, frame bytes). cut_last: drop that many bytes off the
    file's end (a capture cut mid-record)."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = bytearray(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 65535, linktype))
    for t_ns, frame in records:
        sec, sub = divmod(t_ns, NS)
        if not nano:
            sub //= 1000
        out += struct.pack("<IIII", sec, sub, len(frame), len(frame)) + frame
    if cut_last:
        out = out[:-cut_last]
    with open(path, "wb") as f:
        f.write(out)


class Stream:
    """One RTP stream: sequence, timestamps, arrival times; the truth it should produce."""

    def __init__(self, name, ssrc, pt, clock, n, t0_ns, seq0=1000, ts0=0, period_ms=20,
                 drop=(), dup=(), swap=(), jitter_ms=0.0, seed=1, dscp=46, spt=160):
        rnd = random.Random(seed)
        self.name, self.ssrc, self.pt, self.clock, self.dscp = name, ssrc, pt, clock, dscp
        pkts = []
        for i in range(n):
            if i in drop:
                continue
            t = t0_ns + i * period_ms * 1_000_000 + int(rnd.uniform(0, jitter_ms) * 1e6)
            pkts.append([t, (seq0 + i) & 0xFFFF, (ts0 + i * spt) & 0xFFFFFFFF])
        for i in swap:  # swap the contents of arrival slots i and i+1 (reorder, times kept)
            pkts[i][1:], pkts[i + 1][1:] = pkts[i + 1][1:], pkts[i][1:]
        for i in sorted(dup, reverse=True):  # a second copy 1 ms later
            pkts.insert(i + 1, [pkts[i][0] + 1_000_000, pkts[i][1], pkts[i][2]])
        pkts.sort(key=lambda p: p[0])
        self.pkts = pkts
        self.n_sent = n

    def truth(self):
        # extended sequence numbers (the generator never jumps more than a few back)
        ext, cycles, maxs, seen, dups = [], 0, None, set(), 0
        for _, s, _ in self.pkts:
            if maxs is None:
                maxs = s
                e = s
            else:
                d = (s - maxs) & 0xFFFF
                if d < 3000:
                    if s < maxs:
                        cycles += 65536
                    maxs = s
                    e = cycles + s
                else:
                    e = cycles + maxs - ((maxs - s) & 0xFFFF)
            if e in seen:
                dups += 1
            seen.add(e)
            ext.append(e)
        expected = (cycles + maxs) - ext[0] + 1
        unique = len(self.pkts) - dups
        # RFC 3550 A.8 on all packets in arrival order, unwrapped timestamps
        j = jmax = 0.0
        prev = None
        tsu = 0
        last_ts = None
        maxgap = 0
        for t, _, ts in self.pkts:
            if last_ts is not None:
                dt = (ts - last_ts) & 0xFFFFFFFF
                if dt >= 1 << 31:
                    dt -= 1 << 32
                tsu += dt
            last_ts = ts
            transit = t / NS - tsu / self.clock
            if prev is not None:
                j += (abs(transit - prev[0]) - j) / 16
                jmax = max(jmax, j)
                maxgap = max(maxgap, t - prev[1])
            prev = (transit, t)
        return {"ssrc": "0x%08x" % self.ssrc, "payload_type": self.pt, "clock_hz": self.clock,
                "packets": len(self.pkts), "expected": expected, "lost": expected - unique,
                "duplicates": dups, "jitter_ms": j * 1000, "jitter_max_ms": jmax * 1000,
                "max_delta_ms": maxgap / 1e6, "dscp": {str(self.dscp): len(self.pkts)}}


A = [10, 0, 0, 1]
B = [10, 0, 0, 2]
C = [192, 0, 2, 7]
D = [198, 51, 100, 7]
T0 = 1_790_000_000 * NS  # 2026-09-21


def interleave(*lists):
    out = [r for lst in lists for r in lst]
    out.sort(key=lambda r: r[0])
    return out


def gen_vlan(out):
    """802.1Q and QinQ tags, G.711 (PT 0), sequence wrap, 2 losses, one duplicate."""
    s1 = Stream("q", 0x11111111, 0, 8000, 300, T0, seq0=65400, drop={50, 200},
                dup={10}, jitter_ms=4.0, seed=2, dscp=46)
    s2 = Stream("qinq", 0x22222222, 8, 8000, 200, T0 + 5_000_000, seq0=7, jitter_ms=1.0,
                seed=3, dscp=46)
    r1 = [(t, eth(ipv4(A, B, 46 << 2, udp(50000, 5004, rtp(0, s, ts, s1.ssrc, 20))), 0x0800,
                  tags=[(0x8100, 100)])) for t, s, ts in s1.pkts]
    r2 = [(t, eth(ipv4(C, D, 46 << 2, udp(50002, 3479, rtp(8, s, ts, s2.ssrc, 20))), 0x0800,
                  tags=[(0x88A8, 20), (0x8100, 200)])) for t, s, ts in s2.pkts]
    write_pcap(os.path.join(out, "vlan.pcap"), 1, interleave(r1, r2))
    return {"file": "vlan.pcap", "exit": 0, "streams": [
        dict(s1.truth(), src="10.0.0.1:50000", dst="10.0.0.2:5004", **{"class": "audio"}),
        dict(s2.truth(), src="192.0.2.7:50002", dst="198.51.100.7:3479", **{"class": "audio"})]}


def gen_ipv6(out):
    """IPv6 with hop-by-hop and destination-options headers, Linux cooked v2, video clock."""
    a6 = bytes.fromhex("20010db8000000000000000000000001")
    b6 = bytes.fromhex("20010db8000000000000000000000002")
    # hop-by-hop (next: dest opts 60), 8 bytes: PadN; dest opts (next: UDP 17), 16 bytes
    ext = bytes([60, 0, 1, 4, 0, 0, 0, 0]) + bytes([17, 1, 1, 12]) + bytes(12)
    s = Stream("v6", 0x33333333, 96, 90000, 250, T0, seq0=1, spt=1800, drop={100},
               jitter_ms=2.0, seed=4, dscp=34)
    recs = [(t, sll2(ipv6(a6, b6, 34 << 2, udp(50020, 50024, rtp(96, q, ts, s.ssrc, 100)),
                          ext=ext, first_nh=0), 0x86DD)) for t, q, ts in s.pkts]
    # a non-first IPv6 fragment of some other datagram: must be skipped
    frag = bytes([17, 0]) + struct.pack("!H", 185 << 3) + struct.pack("!I", 77)
    recs.append((T0 + 1_000_000, sll2(ipv6(a6, b6, 0, bytes(64), ext=frag, first_nh=44),
                                      0x86DD)))
    write_pcap(os.path.join(out, "ipv6.pcap"), 276, sorted(recs, key=lambda r: r[0]), nano=False)
    tr = s.truth()
    # the file holds microseconds: recompute the truth from the times as stored
    s.pkts = [[t // 1000 * 1000, q, ts] for t, q, ts in s.pkts]
    tr = s.truth()
    return {"file": "ipv6.pcap", "exit": 0, "clock_rate": ["96=90000"], "streams": [
        dict(tr, src="[2001:db8::1]:50020", dst="[2001:db8::2]:50024", **{"class": "video"})]}


def gen_two_calls(out):
    """Two calls (both directions each) interleaved, Ethernet, one direction with 3 % loss and
    reordering; best-effort marks on one call (class from the Teams ports); file timestamps
    that step back between streams."""
    rnd = random.Random(9)
    drop = set(rnd.sample(range(1, 500), 15))
    c1a = Stream("c1a", 0xA1A1A1A1, 0, 8000, 500, T0, seq0=100, jitter_ms=2.0, seed=5)
    c1b = Stream("c1b", 0xB1B1B1B1, 0, 8000, 500, T0 + 3_000_000, seq0=9000, drop=drop,
                 swap={40, 300}, jitter_ms=2.0, seed=6)
    c2a = Stream("c2a", 0xA2A2A2A2, 18, 8000, 400, T0 + 2 * NS, seq0=30000, jitter_ms=8.0,
                 seed=7, dscp=0, spt=160)
    c2b = Stream("c2b", 0xB2B2B2B2, 18, 8000, 400, T0 + 2 * NS + 7_000_000, seq0=1,
                 jitter_ms=1.0, seed=8, dscp=0)

    def frames(s, src, dst, sp, dp):
        return [(t, eth(ipv4(src, dst, s.dscp << 2, udp(sp, dp, rtp(s.pt, q, ts, s.ssrc, 20))),
                        0x0800)) for t, q, ts in s.pkts]

    recs = interleave(frames(c1a, A, B, 50004, 50010), frames(c1b, B, A, 50010, 50004),
                      frames(c2a, C, D, 50030, 3480), frames(c2b, D, C, 3480, 50030))
    # non-RTP UDP (DNS-like) and an IPv4 non-first fragment between the media
    for k in range(20):
        recs.append((T0 + k * 50_000_000 + 1, eth(ipv4(A, C, 0, udp(53000, 53, b"\x12\x34" +
                                                                      bytes(30))), 0x0800)))
    recs.append((T0 + 7, eth(ipv4(A, B, 0, bytes(40), frag=0x0010), 0x0800)))
    recs.sort(key=lambda r: r[0])
    # A capture on several CPUs writes packets of different flows slightly out of time order:
    # swap every 7th pair of neighbours from different streams, so the file's timestamps step
    # back while each stream's own packets stay in order (the truth is per stream).
    for i in range(0, len(recs) - 1, 7):
        if recs[i][1][50:54] != recs[i + 1][1][50:54]:
            recs[i], recs[i + 1] = recs[i + 1], recs[i]
    write_pcap(os.path.join(out, "two_calls.pcap"), 1, recs)
    return {"file": "two_calls.pcap", "exit": 1, "streams": [
        dict(c1a.truth(), src="10.0.0.1:50004", dst="10.0.0.2:50010", **{"class": "audio"}),
        dict(c1b.truth(), src="10.0.0.2:50010", dst="10.0.0.1:50004", **{"class": "audio"},
             verdict="fail"),
        dict(c2a.truth(), src="192.0.2.7:50030", dst="198.51.100.7:3480", **{"class": "video"}),
        dict(c2b.truth(), src="198.51.100.7:3480", dst="192.0.2.7:50030",
             **{"class": "video"})]}


def gen_turn(out):
    """TURN ChannelData (RFC 8656 §12) on 3478 around RTP, STUN binding requests on the same
    ports, raw IP link type; dynamic PT at the default 48 kHz clock."""
    s = Stream("turn", 0x44444444, 111, 48000, 300, T0, seq0=500, spt=960, drop={7, 8},
               jitter_ms=3.0, seed=10, dscp=46)
    recs = []
    for t, q, ts in s.pkts:
        inner = rtp(111, q, ts, s.ssrc, 20)
        cd = struct.pack("!HH", 0x4001, len(inner)) + inner
        recs.append((t, ipv4(A, D, 46 << 2, udp(50001, 3478, cd))))
    for k in range(10):  # STUN binding request: type 0x0001, length 0, cookie, transaction id
        stun = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + bytes(range(12))
        recs.append((T0 + k * 500_000_000 + 3, ipv4(A, D, 0, udp(50001, 3478, stun))))
    write_pcap(os.path.join(out, "turn.pcap"), 101, sorted(recs, key=lambda r: r[0]))
    return {"file": "turn.pcap", "exit": 0, "streams": [
        dict(s.truth(), src="10.0.0.1:50001", dst="198.51.100.7:3478", **{"class": "audio"},
             turn_channel_data=True)]}


def gen_truncated(out):
    """A capture cut in the middle of its last record: a one-line error, exit 2."""
    s = Stream("cut", 0x55555555, 0, 8000, 50, T0)
    recs = [(t, eth(ipv4(A, B, 0, udp(40000, 40002, rtp(0, q, ts, s.ssrc, 160))), 0x0800))
            for t, q, ts in s.pkts]
    write_pcap(os.path.join(out, "truncated.pcap"), 1, recs, cut_last=100)
    return {"file": "truncated.pcap", "exit": 2, "error": "truncated", "streams": []}


def gen_idle(out):
    """One call put on hold for 3 s (silence suppression: sequence numbers continue, the RTP
    timestamp jumps with the clock): one stream with a 3 s gap under the default --idle 10s;
    cli.sh checks that --idle 1s splits it into two records."""
    s = Stream("hold", 0x66666666, 8, 8000, 100, T0, seq0=20, jitter_ms=1.0, seed=11)
    t = Stream("hold2", 0x66666666, 8, 8000, 100, T0 + 5 * NS, seq0=120, ts0=250 * 160,
               jitter_ms=1.0, seed=12)
    s.pkts += t.pkts
    recs = [(tt, eth(ipv4(A, B, 46 << 2, udp(50006, 3479, rtp(8, q, ts, s.ssrc, 20))), 0x0800))
            for tt, q, ts in s.pkts]
    write_pcap(os.path.join(out, "idle.pcap"), 1, recs)
    return {"file": "idle.pcap", "exit": 0, "streams": [
        dict(s.truth(), src="10.0.0.1:50006", dst="10.0.0.2:3479", **{"class": "audio"})]}


def gen_junk(out):
    """One real stream among UDP flows that look like RTP one packet at a time (version 2,
    random SSRC and sequence numbers): a new such flow every 10 ms, each sending twice. None may
    become a stream, and with --max-streams 4 (cli.sh) the real stream must still get through,
    since unconfirmed flows are evicted first, least recently seen first."""
    rnd = random.Random(13)
    s = Stream("real", 0x77777777, 0, 8000, 300, T0 + 100_000_000, seq0=4000, jitter_ms=1.0,
               seed=14)
    recs = [(t, eth(ipv4(A, B, 46 << 2, udp(50008, 3479, rtp(0, q, ts, s.ssrc, 20))), 0x0800))
            for t, q, ts in s.pkts]
    for k in range(700):
        ssrc = rnd.getrandbits(32)
        sport = 20000 + rnd.randrange(20000)
        for rep in range(2):
            t = T0 + k * 10_000_000 + rep * 4_000_000 + 17
            junk = rtp(rnd.randrange(128), rnd.getrandbits(16), rnd.getrandbits(32), ssrc, 20)
            recs.append((t, eth(ipv4(C, D, 0, udp(sport, 40000, junk)), 0x0800)))
    recs.sort(key=lambda r: r[0])
    write_pcap(os.path.join(out, "junk.pcap"), 1, recs)
    return {"file": "junk.pcap", "exit": 0, "streams": [
        dict(s.truth(), src="10.0.0.1:50008", dst="10.0.0.2:3479", **{"class": "audio"})]}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "pcaps")
    os.makedirs(out, exist_ok=True)
    for gen in (gen_vlan, gen_ipv6, gen_two_calls, gen_turn, gen_truncated, gen_idle,
                gen_junk):
        exp = gen(out)
        with open(os.path.join(out, exp["file"] + ".expect.json"), "w") as f:
            json.dump(exp, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
