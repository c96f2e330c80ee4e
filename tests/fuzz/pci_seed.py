#!/usr/bin/python3
"""Turn a recorded QEMU config-space fixture (tests/unit/pci/fixtures/*.cfg) into a seed for
fuzz_pci (the record layout is described in fuzz_pci.c). The function in slot 5, if any, is put
behind the bridge in slot 3, as tests/unit/pci/test_pci_scan.c does.

    tests/fuzz/pci_seed.py FIXTURE.cfg > SEED.bin
"""
import sys

KINDS = {"mem": 0, "mem64": 1, "io": 2, "mem64 pref": 3, "mem pref": 0}


def main(path):
    fns = []
    for line in open(path):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "fn":
            slot, fn = words[1].split(":")[1].split(".")
            fns.append({"slot": int(slot, 16), "fn": int(fn), "bars": [0] * 6,
                        "cfg": bytearray()})
        elif words[0] == "bar":
            size = int(words[-1], 16)
            fns[-1]["bars"][int(words[1])] = KINDS[" ".join(words[2:-1])] << 6 | \
                (size.bit_length() - 1)
        else:
            fns[-1]["cfg"] += bytes(int(b, 16) for b in words[1:])
    index = {(f["slot"], f["fn"]): i for i, f in enumerate(fns)}
    out = bytearray()
    for f in fns:
        behind, slot = 0xff, f["slot"]
        if slot == 5 and (3, 0) in index:
            behind, slot = index[(3, 0)], 1
        out += bytes([behind, slot << 3 | f["fn"]]) + bytes(f["bars"]) + f["cfg"]
    sys.stdout.buffer.write(out)


if __name__ == "__main__":
    main(sys.argv[1])
