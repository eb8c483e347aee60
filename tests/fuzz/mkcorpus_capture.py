#!/usr/bin/env python3
"""Seeds for fuzz_capture from the committed test captures (tests/capture/pcaps): the first
records of each file, snaplen-cut to 200 bytes, in the harness format (fuzz_capture.c): link
selector byte, then [len u16 LE][ms step, signed 8 bits][frame] per record.
Usage: mkcorpus_capture.py [PCAP_DIR [OUT_DIR]]"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LINKS = {1: 0, 113: 1, 276: 2, 12: 3, 101: 4, 228: 5, 229: 6, 0: 7, 108: 8}


def records(path):
    data = open(path, "rb").read()
    magic, _, _, _, _, _, link = struct.unpack("<IHHiIII", data[:24])
    nano = magic == 0xA1B23C4D
    off, prev, out = 24, None, []
    while off + 16 <= len(data):
        sec, sub, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec * 10**9 + (sub if nano else sub * 1000)
        step = 0 if prev is None else max(-128, min(127, (t - prev) // 10**6))
        prev = t
        out.append((step, frame))
    return link, out


def main():
    pdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "capture", "pcaps")
    odir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "corpus", "capture")
    os.makedirs(odir, exist_ok=True)
    for name in sorted(os.listdir(pdir)):
        if not name.endswith(".pcap"):
            continue
        link, recs = records(os.path.join(pdir, name))
        for count, cut in ((12, 200), (40, 64)):
            out = bytearray([LINKS.get(link, 0)])
            for step, frame in recs[:count]:
                frame = frame[:cut]
                out += struct.pack("<Hb", len(frame), step) + frame
            with open(os.path.join(odir, "%s-%d-%d" % (name[:-5], count, cut)), "wb") as f:
                f.write(out)


if __name__ == "__main__":
    main()
