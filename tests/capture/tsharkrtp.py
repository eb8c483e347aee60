"""`tshark -q -z rtp,streams` as a list of dicts, one per stream (the oracle of the capture tests).

tshark decodes RTP on any UDP port only with the heuristic dissector on (rtp.heuristic_rtp);
TURN ChannelData is decoded by its STUN dissector on 3478. Its "Lost" is expected - packets
(duplicates make it smaller than voiceready's expected - unique); its jitter is RFC 3550 in
the payload type's clock, and 0 for dynamic payload types (no SDP, no clock).
"""
import re
import shutil
import subprocess

ROW = re.compile(r"^\s*([\d.]+)\s+([\d.]+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+0x([0-9A-Fa-f]+)\s+"
                 r"(\S+)\s+(\d+)\s+(-?\d+)\s+\(([-\d.]+)%\)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+"
                 r"([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)")


def available():
    return shutil.which("tshark") is not None


def streams(path, extra=()):
    out = subprocess.run(["tshark", "-n", "-q", "-o", "rtp.heuristic_rtp:TRUE", *extra,
                          "-z", "rtp,streams", "-r", path],
                         capture_output=True, text=True, timeout=600).stdout
    res = []
    for line in out.splitlines():
        m = ROW.match(line)
        if not m:
            continue
        ssrc = int(m.group(7), 16)
        res.append({"ssrc": ssrc, "src": m.group(3), "sport": int(m.group(4)), "dst": m.group(5),
                     "dport": int(m.group(6)), "payload": m.group(8),
                     "packets": int(m.group(9)), "lost": int(m.group(10)),
                     "max_delta_ms": float(m.group(14)), "max_jitter_ms": float(m.group(17)),
                     "mean_jitter_ms": float(m.group(16))})
    return res
