"""Networking: virtio-net, lwIP and AF_INET sockets, through QEMU's user-mode network.

QEMU's user network (slirp) gives the guest 10.0.2.15/24 by DHCP, answers pings to the
gateway 10.0.2.2 itself, and forwards the guest's TCP connections to 10.0.2.2 to the host's
127.0.0.1; `hostfwd` forwards a host port to a guest port.

Run against the Linux reference kernel with OPENV_TEST_KERNEL=linux (it configures eth0 from
`ip=dhcp` on the command line, which openv does by default).
"""

import contextlib
import errno
import hashlib
import http.server
import os
import socket
import threading
import time

import pytest

from guest import Guest

pytestmark = pytest.mark.qemu

GUEST_PORT = 8080        # guest services reached through hostfwd (nc)
HTTPD_PORT = 8081        # the guest's BusyBox httpd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def fwd_port():
    return free_port()


@pytest.fixture(scope="module")
def httpd_fwd_port():
    return free_port()


@pytest.fixture(scope="module")
def guest(fwd_port, httpd_fwd_port):
    extra = ("-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{fwd_port}-:{GUEST_PORT},"
                        f"hostfwd=tcp:127.0.0.1:{httpd_fwd_port}-:{HTTPD_PORT}",
             "-device", "virtio-net-device,netdev=n0")
    with Guest.boot(append="ip=dhcp", extra_args=extra) as g:
        # Linux leaves lo down without an init system; openv's is always up.
        g.run("ifconfig lo 127.0.0.1 up 2>/dev/null")
        # DHCP may still be running when the shell starts.
        g.run("for i in $(seq 1 20); do ifconfig eth0 2>/dev/null | grep -q 'inet addr:10.0.2.15' "
              "&& break; sleep 0.5; done")
        if g.run("ifconfig eth0 | grep -q 'inet addr:'")[1] != 0:
            # A kernel without in-kernel DHCP (the Linux reference): BusyBox udhcpc instead.
            g.run("printf '%s\\n' '#!/bin/sh' '[ \"$1\" = bound ] || exit 0' "
                  "'ifconfig $interface $ip netmask $subnet up' "
                  "'route add default gw ${router%% *} dev $interface' > /tmp/udhcpc.sh; "
                  "chmod +x /tmp/udhcpc.sh; ifconfig eth0 up; udhcpc -i eth0 -q -n -s /tmp/udhcpc.sh",
                  timeout=60)
        yield g


@contextlib.contextmanager
def http_server(files):
    """A tiny HTTP server on the host's 127.0.0.1 serving `files` (name -> bytes)."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path.lstrip("/"))
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def recv_all(s):
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def exchange_retry(port, data, deadline_s=60):
    """Send data to the guest service behind hostfwd, half-close, and read the reply.

    QEMU accepts the host's connection before it reaches the guest; while the guest is not
    listening yet the connection is reset (or already gone when we half-close it) with
    nothing received, and is simply retried."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                reply = recv_all(s)
            if reply or time.monotonic() > end:
                return reply
        except OSError as e:
            # Reset, refused, or (ENOTCONN at shutdown) already dropped by QEMU.
            if e.errno not in (errno.ECONNRESET, errno.EPIPE, errno.ECONNREFUSED,
                               errno.ENOTCONN) or time.monotonic() > end:
                raise
        time.sleep(0.3)


def in_background(fn, *args):
    """Run fn(*args) in a thread; returns a function that joins it and gives its result.

    A guest server runs in the foreground of one g.run() while the host side runs here: the
    guest shell then never has a background job end while it waits at its prompt."""
    result = {}

    def run():
        try:
            result["value"] = fn(*args)
        except Exception as e:      # re-raised in the caller
            result["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()

    def join():
        t.join(120)
        if "error" in result:
            raise result["error"]
        return result.get("value")
    return join


def test_dhcp_address(guest):
    out = guest.check("ifconfig eth0")
    assert "inet addr:10.0.2.15" in out
    assert "Mask:255.255.255.0" in out
    assert "HWaddr 52:54:00:12:34:56" in out.upper().replace("HWADDR", "HWaddr")
    assert "UP" in out and "RUNNING" in out


def test_interfaces_listed(guest):
    out = guest.check("ifconfig")
    assert "eth0" in out and "lo" in out
    assert "inet addr:127.0.0.1" in out


def test_default_route(guest):
    if guest.run("test -e /proc/net/route")[1] != 0:
        pytest.xfail("/proc/net/route is not wired into procfs yet (kernel/net/inet/proc_net.c)")
    out = guest.check("cat /proc/net/route")
    # Either format: the gateway 10.0.2.2 (0202000A in /proc/net/route).
    assert "0202000A" in out or "10.0.2.2" in out


def test_ping_gateway(guest):
    out = guest.check("ping -c 1 -W 5 10.0.2.2", timeout=30)
    assert "1 packets received" in out


def test_wget_from_host(guest):
    blob = os.urandom(1 << 20)
    with http_server({"blob": blob, "hello.txt": b"hello from the host\n"}) as port:
        out = guest.check(f"wget -q -O - http://10.0.2.2:{port}/hello.txt", timeout=60)
        assert out == "hello from the host"
        out = guest.check(f"wget -q -O /tmp/blob http://10.0.2.2:{port}/blob && md5sum /tmp/blob",
                          timeout=120)
        assert out.split()[0] == hashlib.md5(blob).hexdigest()
        guest.check("rm /tmp/blob")


def test_host_connects_to_guest_nc(guest, fwd_port):
    """Host -> guest through hostfwd: data both ways, then EOF both ways."""
    data = os.urandom(256 * 1024)
    guest.check("seq 1 40000 > /tmp/out.bin")
    digest = guest.check("md5sum /tmp/out.bin").split()[0]
    join = in_background(exchange_retry, fwd_port, data)
    guest.check(f"nc -l -p {GUEST_PORT} < /tmp/out.bin > /tmp/in.bin", timeout=120)
    got = join()
    assert hashlib.md5(got).hexdigest() == digest
    assert guest.check("md5sum /tmp/in.bin").split()[0] == hashlib.md5(data).hexdigest()
    guest.check("rm -f /tmp/in.bin /tmp/out.bin")


def test_guest_nc_connects_to_host(guest):
    """Guest -> host (10.0.2.2) with nc: the guest's data reaches a host listener, the host's
    reply and its close reach the guest."""
    with socket.create_server(("127.0.0.1", 0)) as srv:
        srv.settimeout(60)
        port = srv.getsockname()[1]

        def serve():
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(60)
                got = bytearray()
                while len(got) < 64 * 1024:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    got += chunk
                conn.sendall(b"host got %d bytes, md5 %s\n" % (len(got),
                             hashlib.md5(got).hexdigest().encode()))
            return bytes(got)
        join = in_background(serve)
        guest.check("head -c 65536 /dev/urandom > /tmp/nc-up.bin")
        out = guest.check(f"nc 10.0.2.2 {port} < /tmp/nc-up.bin", timeout=60)
        got = join()
    digest = guest.check("md5sum /tmp/nc-up.bin").split()[0]
    assert out == f"host got 65536 bytes, md5 {digest}"
    assert hashlib.md5(got).hexdigest() == digest
    guest.check("rm -f /tmp/nc-up.bin")


def test_host_fetches_from_guest_httpd(guest, httpd_fwd_port):
    guest.check("mkdir -p /tmp/www && echo 'served by the guest' > /tmp/www/index.html")
    guest.check(f"httpd -p {HTTPD_PORT} -h /tmp/www")     # daemonizes; left running
    resp = exchange_retry(httpd_fwd_port, b"GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n")
    assert resp.startswith(b"HTTP/1.") and b" 200 " in resp.split(b"\r\n")[0]
    assert resp.endswith(b"served by the guest\n")


def test_many_connections_and_junk(guest, httpd_fwd_port):
    """50 sequential and 20 concurrent fetches, plus connections that send junk or nothing:
    the guest's stack keeps serving."""
    guest.run("mkdir -p /tmp/www && echo 'served by the guest' > /tmp/www/index.html")
    guest.run(f"pidof httpd >/dev/null || httpd -p {HTTPD_PORT} -h /tmp/www")
    req = b"GET /index.html HTTP/1.0\r\n\r\n"
    for _ in range(50):
        assert exchange_retry(httpd_fwd_port, req).endswith(b"served by the guest\n")
    idle = [socket.create_connection(("127.0.0.1", httpd_fwd_port)) for _ in range(10)]
    for s in idle[:5]:
        s.sendall(os.urandom(3000))
    results = []
    threads = [threading.Thread(target=lambda: results.append(exchange_retry(httpd_fwd_port, req)))
               for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for s in idle:
        s.close()
    assert len(results) == 20 and all(r.endswith(b"served by the guest\n") for r in results)
    assert guest.check("echo still alive") == "still alive"


def test_host_fetches_from_go_http_server(guest, fwd_port):
    """tests/go's net/http server (static Go, epoll netpoller) answers the host through the
    port forward, after answering 8 concurrent requests of its own over loopback."""
    guest.check(f"(/opt/tests/go/gotest http {GUEST_PORT} > /tmp/gohttp.log 2>&1 &)")
    out = ""
    for _ in range(120):
        out = guest.check("cat /tmp/gohttp.log")
        if "LISTENING" in out or "FAIL" in out:
            break
        time.sleep(0.5)
    assert "LISTENING" in out, out
    reply = exchange_retry(fwd_port, b"GET /hello HTTP/1.0\r\nHost: x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.0 200") and reply.endswith(b"hello from go on openv\n"), reply
    reply = exchange_retry(fwd_port, b"GET /quit HTTP/1.0\r\nHost: x\r\n\r\n")
    assert reply.endswith(b"bye\n"), reply
    for _ in range(60):
        out = guest.check("cat /tmp/gohttp.log")
        if "OK http" in out:
            break
        time.sleep(0.5)
    assert "OK http" in out, out


def test_loopback_tcp(guest):
    out = guest.check("(echo hello over loopback | nc -l -p 5555 > /tmp/lo-in.txt) & "
                      "for i in $(seq 1 50); do echo hi-back | nc 127.0.0.1 5555 && break; "
                      "sleep 0.2; done; wait", timeout=60)
    assert "hello over loopback" in out
    assert guest.check("cat /tmp/lo-in.txt") == "hi-back"


def test_tcp_to_own_address(guest):
    out = guest.check("(echo via eth0 address | nc -l -p 5557 >/dev/null) & "
                      "for i in $(seq 1 50); do nc 10.0.2.15 5557 </dev/null && break; "
                      "sleep 0.2; done; wait", timeout=60)
    assert "via eth0 address" in out


def test_connection_refused(guest):
    out, rc = guest.run("wget -q -O - http://127.0.0.1:1/")
    assert rc != 0
    assert "connection refused" in out.lower()


def test_ping_loopback(guest):
    out = guest.check("ping -c 1 -W 5 127.0.0.1", timeout=30)
    assert "1 packets received" in out


def test_modern_virtio_net_device():
    """The same driver with a virtio 1.x (non-legacy) device: 12-byte header, FEATURES_OK."""
    extra = ("-global", "virtio-mmio.force-legacy=false",
             "-netdev", "user,id=n1", "-device", "virtio-net-device,netdev=n1")
    with Guest.boot(append="ip=dhcp", extra_args=extra) as g:
        g.run("for i in $(seq 1 20); do ifconfig eth0 2>/dev/null | grep -q 'inet addr:' "
              "&& break; sleep 0.5; done")
        if g.run("ifconfig eth0 | grep -q 'inet addr:'")[1] != 0:
            g.run("ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up")
        with http_server({"f": b"modern\n"}) as port:
            assert g.check(f"wget -q -O - http://10.0.2.2:{port}/f", timeout=60) == "modern"
        assert "1 packets received" in g.check("ping -c 1 -W 5 10.0.2.2", timeout=30)


def test_dns_server_from_dhcp(guest):
    """The DNS server DHCP handed out, where Linux's kernel autoconfiguration puts it."""
    out, rc = guest.run("cat /proc/net/pnp")
    if rc != 0:
        pytest.skip("no /proc/net/pnp (this kernel did not configure the address itself)")
    assert "nameserver 10.0.2.3" in out


def test_netstat_lists_listeners(guest):
    guest.run(f"pidof httpd >/dev/null || httpd -p {HTTPD_PORT} -h /tmp")
    out = guest.check("netstat -tln 2>/dev/null")
    assert f":{HTTPD_PORT} " in out and "LISTEN" in out


@pytest.mark.parametrize("ip_arg,expect", [
    ("ip=10.0.2.15::10.0.2.2:255.255.255.0", "static"),
    ("ip=off", "off"),
])
def test_ip_command_line(ip_arg, expect):
    """Linux's ip= syntax: a static address (then the gateway answers) or no configuration."""
    if os.environ.get("OPENV_TEST_KERNEL"):
        pytest.skip("the in-kernel ip= configuration is checked on openv only "
                    "(the Linux reference kernel is built without IP_PNP)")
    extra = ("-netdev", "user,id=n2", "-device", "virtio-net-device,netdev=n2")
    with Guest.boot(append=ip_arg, extra_args=extra) as g:
        out = g.check("ifconfig eth0")
        if expect == "static":
            assert "inet addr:10.0.2.15" in out and "Mask:255.255.255.0" in out
            assert "1 packets received" in g.check("ping -c 1 -W 5 10.0.2.2", timeout=30)
            assert "0202000A" in g.check("cat /proc/net/route")
        else:
            assert "inet addr" not in out and "UP" not in out.split("\n")[1]
            # Configured by hand instead, as a script would (SIOCSIFADDR, SIOCADDRT).
            g.check("ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && "
                    "route add default gw 10.0.2.2")
            assert "0202000A" in g.check("cat /proc/net/route")
            with http_server({"f": b"by hand\n"}) as port:
                assert g.check(f"wget -q -O - http://10.0.2.2:{port}/f", timeout=60) == "by hand"
            out, rc = g.run("route add default gw 10.0.2.2")
            assert rc != 0 and "exists" in out.lower()
            g.check("route del default")
            assert "0202000A" not in g.check("cat /proc/net/route")


def test_resolv_conf_and_dns_lookup(guest):
    """/etc/resolv.conf is /proc/net/pnp (the DHCP-supplied server); a name lookup goes through
    QEMU's DNS proxy at 10.0.2.3 when the host itself can resolve names."""
    out, rc = guest.run("cat /etc/resolv.conf")
    if rc != 0:
        pytest.skip("no /etc/resolv.conf source on this kernel (no /proc/net/pnp)")
    assert "nameserver 10.0.2.3" in out
    try:
        socket.getaddrinfo("example.com", 80)
    except OSError:
        pytest.skip("the host cannot resolve names, so QEMU's DNS proxy cannot either")
    out = guest.check("nslookup example.com", timeout=60)
    assert "example.com" in out and "Address" in out
