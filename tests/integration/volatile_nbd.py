"""A disk with a volatile write cache, for crash tests: a small NBD server over a raw image.

QEMU's own raw-file disk puts every completed write into the host's page cache, so killing
QEMU loses nothing the guest wrote, flushed or not: a crash test on it cannot notice a missing
FLUSH. This server behaves like a disk with a write cache that loses power. A write is held in
memory and acknowledged; reads see it; only NBD_CMD_FLUSH (what QEMU sends for a guest
VIRTIO_BLK_T_FLUSH) writes the held data to the image. When the test "cuts the power" it
calls `power_cut(rng)`, which keeps a random part of what was not flushed, sector by sector
(512 bytes, the unit a disk writes atomically) and chosen independently, so unflushed writes
are lost, reordered and torn, as on a real disk.

A power cut at a random moment would nearly always find the cache empty: the guest writes in
short bursts (a `sync` writes back and flushes at once), so the test arms the server instead,
`arm(rng, writes)`, and the power goes off just before the `writes`-th next write, in the middle
of a burst. From then on the server answers nothing (the guest's I/O hangs) until the test has
killed QEMU and calls `release()`.

QEMU connects with `-drive file=nbd+unix:///?socket=<path>,format=raw,...`. The server speaks
the fixed-newstyle handshake with NBD_OPT_GO (QEMU 7 and later) and simple replies; it offers
FLUSH and nothing optional beyond it (no FUA, TRIM or structured replies), one client at a
time, one export. Protocol: the NBD project's doc/proto.md.
"""
import os
import socket
import struct
import threading

SECTOR = 512

NBDMAGIC = 0x4E42444D41474943
IHAVEOPT = 0x49484156454F5054
REPLY_MAGIC = 0x3E889045565A9
REQUEST_MAGIC = 0x25609513
SIMPLE_REPLY_MAGIC = 0x67446698

FLAG_FIXED_NEWSTYLE = 1 << 0
FLAG_NO_ZEROES = 1 << 1
FLAG_HAS_FLAGS = 1 << 0
FLAG_SEND_FLUSH = 1 << 2

OPT_EXPORT_NAME = 1
OPT_ABORT = 2
OPT_GO = 7
REP_ACK = 1
REP_INFO = 3
REP_ERR_UNSUP = 0x80000001
INFO_EXPORT = 0

CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH = 0, 1, 2, 3
EINVAL, ENOSPC = 22, 28


class ProtocolError(Exception):
    pass


def _recv(conn, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


class VolatileCacheDisk:
    """The image plus the sectors written since the last flush (newest content per sector)."""

    def __init__(self, path):
        self.path = path
        self.size = os.path.getsize(path)
        if self.size % SECTOR:
            raise ValueError(f"{path}: size is not a multiple of {SECTOR}")
        self.dirty = {}                 # sector number -> 512 bytes not yet on the image
        self.flushes = 0
        self.lock = threading.Lock()

    def read(self, offset, length):
        with self.lock:
            with open(self.path, "rb") as f:
                f.seek(offset)
                data = bytearray(f.read(length))
            first, last = offset // SECTOR, (offset + length - 1) // SECTOR
            for s in range(first, last + 1):
                held = self.dirty.get(s)
                if held is None:
                    continue
                lo, hi = max(s * SECTOR, offset), min((s + 1) * SECTOR, offset + length)
                data[lo - offset:hi - offset] = held[lo - s * SECTOR:hi - s * SECTOR]
            return bytes(data)

    def write(self, offset, data):
        with self.lock:
            first, last = offset // SECTOR, (offset + len(data) - 1) // SECTOR
            for s in range(first, last + 1):
                lo, hi = max(s * SECTOR, offset), min((s + 1) * SECTOR, offset + len(data))
                if lo == s * SECTOR and hi == (s + 1) * SECTOR:
                    sector = data[lo - offset:hi - offset]
                else:               # a partial sector: merge with what a read would return
                    sector = bytearray(self._sector_locked(s))
                    sector[lo - s * SECTOR:hi - s * SECTOR] = data[lo - offset:hi - offset]
                self.dirty[s] = bytes(sector)

    def _sector_locked(self, s):
        if s in self.dirty:
            return self.dirty[s]
        with open(self.path, "rb") as f:
            f.seek(s * SECTOR)
            return f.read(SECTOR)

    def _write_out(self, sectors):
        with open(self.path, "r+b") as f:
            for s in sorted(sectors):
                f.seek(s * SECTOR)
                f.write(self.dirty[s])

    def flush(self):
        with self.lock:
            self._write_out(self.dirty)
            self.dirty.clear()
            self.flushes += 1

    def power_cut(self, rng, keep=None):
        """Lose the cache: each unflushed sector reaches the image with probability `keep`
        (drawn at random when None). Returns (sectors kept, sectors lost)."""
        with self.lock:
            if keep is None:
                keep = rng.choice((0.0, 1.0, rng.random()))
            kept = [s for s in sorted(self.dirty) if rng.random() < keep]
            self._write_out(kept)
            lost = len(self.dirty) - len(kept)
            self.dirty.clear()
            return len(kept), lost


class VolatileNbdServer:
    """Serves one VolatileCacheDisk on a Unix socket, one connection after another."""

    def __init__(self, image, sock_path):
        self.disk = VolatileCacheDisk(image)
        self.sock_path = sock_path
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(sock_path)
        self.listener.listen(1)
        self.error = None
        self.cut_plan = None            # (rng, writes still allowed) once armed
        self.cut_result = None          # what power_cut() returned at the armed cut
        self.cut = threading.Event()
        self.released = threading.Event()
        self.connected = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def qemu_file(self):
        return f"nbd+unix:///?socket={self.sock_path}"

    def close(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)   # wakes the accept() in _serve
        except OSError:
            pass
        self.listener.close()
        self.thread.join(timeout=5)

    def arm(self, rng, writes):
        """Cut the power just before the `writes`-th next write request (0: the next one)."""
        self.cut.clear()
        self.released.clear()
        self.cut_result = None
        self.cut_plan = (rng, writes)

    def release(self):
        """After a cut: let the stalled session end (QEMU has been killed)."""
        self.cut_plan = None
        self.released.set()

    def wait_idle(self, timeout=30):
        """Waits until the client (a killed QEMU) has gone."""
        if not self.idle.wait(timeout):
            raise TimeoutError("the NBD client did not disconnect")
        if self.error:
            raise self.error

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.idle.clear()
            try:
                with conn:
                    self._session(conn)
            except EOFError:
                pass                    # the client went away (QEMU killed): the power cut
            except (OSError, ProtocolError) as e:
                self.error = e
            finally:
                self.idle.set()

    def _session(self, conn):
        conn.sendall(struct.pack(">QQH", NBDMAGIC, IHAVEOPT,
                                 FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES))
        client_flags, = struct.unpack(">I", _recv(conn, 4))
        if not client_flags & FLAG_FIXED_NEWSTYLE:
            raise ProtocolError("client does not speak fixed newstyle")
        if not self._negotiate(conn, no_zeroes=bool(client_flags & FLAG_NO_ZEROES)):
            return
        self.connected.set()
        self._transmit(conn)

    def _export_info(self):
        return struct.pack(">QH", self.disk.size, FLAG_HAS_FLAGS | FLAG_SEND_FLUSH)

    def _opt_reply(self, conn, opt, rep, data=b""):
        conn.sendall(struct.pack(">QIII", REPLY_MAGIC, opt, rep, len(data)) + data)

    def _negotiate(self, conn, no_zeroes):
        """Option haggling; True when the transmission phase starts."""
        while True:
            magic, opt, length = struct.unpack(">QII", _recv(conn, 16))
            if magic != IHAVEOPT:
                raise ProtocolError(f"bad option magic {magic:#x}")
            if length > 4096:
                raise ProtocolError(f"option {opt} of {length} bytes")
            data = _recv(conn, length)
            if opt == OPT_EXPORT_NAME:
                conn.sendall(self._export_info() + (b"" if no_zeroes else bytes(124)))
                return True
            if opt == OPT_GO:
                self._opt_reply(conn, opt, REP_INFO, struct.pack(">H", INFO_EXPORT) +
                                self._export_info())
                self._opt_reply(conn, opt, REP_ACK)
                return True
            if opt == OPT_ABORT:
                self._opt_reply(conn, opt, REP_ACK)
                return False
            self._opt_reply(conn, opt, REP_ERR_UNSUP)

    def _transmit(self, conn):
        disk = self.disk
        while True:
            magic, _flags, cmd, handle, offset, length = struct.unpack(">IHHQQI", _recv(conn, 28))
            if magic != REQUEST_MAGIC:
                raise ProtocolError(f"bad request magic {magic:#x}")
            in_range = offset + length <= disk.size
            if cmd == CMD_READ:
                if not in_range:
                    conn.sendall(struct.pack(">IIQ", SIMPLE_REPLY_MAGIC, EINVAL, handle))
                    continue
                conn.sendall(struct.pack(">IIQ", SIMPLE_REPLY_MAGIC, 0, handle) +
                             disk.read(offset, length))
            elif cmd == CMD_WRITE:
                data = _recv(conn, length)
                if self.cut_plan:
                    rng, writes = self.cut_plan
                    if writes == 0:
                        self.cut_result = disk.power_cut(rng)
                        self.cut.set()
                        self.released.wait()
                        return
                    self.cut_plan = (rng, writes - 1)
                if in_range:
                    disk.write(offset, data)
                conn.sendall(struct.pack(">IIQ", SIMPLE_REPLY_MAGIC, 0 if in_range else ENOSPC,
                                         handle))
            elif cmd == CMD_FLUSH:
                disk.flush()
                conn.sendall(struct.pack(">IIQ", SIMPLE_REPLY_MAGIC, 0, handle))
            elif cmd == CMD_DISC:
                # An orderly disconnect: the disk keeps its power and writes its cache out.
                disk.flush()
                return
            else:
                conn.sendall(struct.pack(">IIQ", SIMPLE_REPLY_MAGIC, EINVAL, handle))
