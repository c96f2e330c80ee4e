"""The volatile-write-cache NBD server of the OFS crash test (tests/integration/volatile_nbd.py),
driven by a minimal NBD client: handshake, reads seeing unflushed writes, FLUSH, power cuts."""
import os
import random
import socket
import struct
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import volatile_nbd as nbd  # noqa: E402


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        magic, opt, flags = struct.unpack(">QQH", nbd._recv(self.s, 18))
        assert (magic, opt) == (nbd.NBDMAGIC, nbd.IHAVEOPT)
        assert flags & nbd.FLAG_FIXED_NEWSTYLE
        self.s.sendall(struct.pack(">I", nbd.FLAG_FIXED_NEWSTYLE | nbd.FLAG_NO_ZEROES))
        self.handle = 0

    def option(self, opt, data=b""):
        self.s.sendall(struct.pack(">QII", nbd.IHAVEOPT, opt, len(data)) + data)
        magic, ropt, rep, length = struct.unpack(">QIII", nbd._recv(self.s, 20))
        assert magic == nbd.REPLY_MAGIC and ropt == opt
        return rep, nbd._recv(self.s, length)

    def go(self):
        rep, data = self.option(nbd.OPT_GO, struct.pack(">I", 0) + struct.pack(">H", 0))
        assert rep == nbd.REP_INFO
        info, size, flags = struct.unpack(">HQH", data)
        assert info == nbd.INFO_EXPORT and flags & nbd.FLAG_SEND_FLUSH
        rep, _ = self._ack()
        assert rep == nbd.REP_ACK
        return size

    def _ack(self):
        magic, _opt, rep, length = struct.unpack(">QIII", nbd._recv(self.s, 20))
        assert magic == nbd.REPLY_MAGIC
        return rep, nbd._recv(self.s, length)

    def cmd(self, cmd, offset=0, length=0, data=b""):
        self.handle += 1
        self.s.sendall(struct.pack(">IHHQQI", nbd.REQUEST_MAGIC, 0, cmd, self.handle, offset,
                                   length) + data)
        if cmd == nbd.CMD_DISC:
            return 0, b""
        magic, err, handle = struct.unpack(">IIQ", nbd._recv(self.s, 16))
        assert magic == nbd.SIMPLE_REPLY_MAGIC and handle == self.handle
        body = nbd._recv(self.s, length) if cmd == nbd.CMD_READ and err == 0 else b""
        return err, body

    def write(self, offset, data):
        return self.cmd(nbd.CMD_WRITE, offset, len(data), data)[0]

    def read(self, offset, length):
        err, body = self.cmd(nbd.CMD_READ, offset, length)
        assert err == 0
        return body

    def close(self):
        self.s.close()


@pytest.fixture
def served(tmp_path):
    image = tmp_path / "disk.img"
    image.write_bytes(b"\0" * 8192)
    server = nbd.VolatileNbdServer(str(image), str(tmp_path / "sock"))
    yield image, server
    server.close()


def connect(server):
    c = Client(server.sock_path)
    assert c.go() == server.disk.size
    return c


def test_reads_see_unflushed_writes_and_flush_writes_them_out(served):
    image, server = served
    c = connect(server)
    assert c.write(512, b"A" * 1024) == 0
    assert c.write(1000, b"B" * 100) == 0          # a partial sector merges with held data
    assert c.read(0, 2048) == b"\0" * 512 + b"A" * 488 + b"B" * 100 + b"A" * 436 + b"\0" * 512
    assert image.read_bytes() == b"\0" * 8192       # nothing on the image before FLUSH
    assert c.cmd(nbd.CMD_FLUSH)[0] == 0
    assert image.read_bytes()[512:1536] == b"A" * 488 + b"B" * 100 + b"A" * 436
    c.cmd(nbd.CMD_DISC)
    c.close()
    server.wait_idle()


def test_power_cut_loses_or_keeps_unflushed_sectors(served):
    image, server = served
    c = connect(server)
    c.write(0, b"X" * 4096)
    c.close()                                        # QEMU killed: no DISC, no FLUSH
    server.wait_idle()
    assert server.disk.power_cut(random.Random(1), keep=0.0) == (0, 8)
    assert image.read_bytes() == b"\0" * 8192
    c = connect(server)
    c.write(0, b"Y" * 4096)
    c.close()
    server.wait_idle()
    assert server.disk.power_cut(random.Random(1), keep=1.0) == (8, 0)
    assert image.read_bytes()[:4096] == b"Y" * 4096


def test_power_cut_tears_a_multi_sector_write_by_sector(served):
    image, server = served
    c = connect(server)
    c.write(0, b"Z" * 8192)
    c.close()
    server.wait_idle()
    kept, lost = server.disk.power_cut(random.Random(7), keep=0.5)
    assert kept + lost == 16 and kept and lost
    data = image.read_bytes()
    for s in range(16):
        assert data[s * 512:(s + 1) * 512] in (b"Z" * 512, b"\0" * 512)


def test_out_of_range_and_unknown_commands_get_errors(served):
    _, server = served
    c = connect(server)
    assert c.cmd(nbd.CMD_READ, 8000, 512)[0] == nbd.EINVAL
    assert c.write(8000, b"q" * 512) == nbd.ENOSPC
    assert c.cmd(9)[0] == nbd.EINVAL
    c.cmd(nbd.CMD_DISC)
    server.wait_idle()


def test_unsupported_options_are_refused_and_bad_magic_is_an_error(served):
    _, server = served
    c = Client(server.sock_path)
    rep, _ = c.option(8)                             # structured replies: not offered
    assert rep == nbd.REP_ERR_UNSUP
    c.s.sendall(struct.pack(">QII", 0x1234, 1, 0))
    assert c.s.recv(1) == b""                        # the server hangs up ...
    with pytest.raises(nbd.ProtocolError, match="bad option magic"):
        server.wait_idle()                           # ... and reports why
    c.close()
