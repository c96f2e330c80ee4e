"""Netlink (AF_NETLINK, NETLINK_ROUTE): BusyBox `ip` over QEMU's user network, and the raw
message-level checks of tests/guest/netlink.c.

The guest gets 10.0.2.15/24 and the gateway 10.0.2.2 by DHCP (openv's kernel client with
ip=dhcp; on the Linux reference, which has no kernel DHCP client, BusyBox udhcpc as in
test_net.py). Run against Linux with OPENV_TEST_KERNEL=linux: every check below holds on both,
except where lwIP's single address per interface makes openv answer EOPNOTSUPP (marked).
"""

import os
import re

import pytest

from guest import Guest

pytestmark = pytest.mark.qemu

MAC = "52:54:00:12:34:56"          # QEMU's default for the first NIC


def on_linux():
    return os.environ.get("OPENV_TEST_KERNEL") == "linux"


@pytest.fixture(scope="module")
def guest():
    extra = ("-netdev", "user,id=n0", "-device", f"virtio-net-device,netdev=n0,mac={MAC}")
    with Guest.boot(append="ip=dhcp", extra_args=extra) as g:
        # Linux leaves lo down without an init system; openv's is always up.
        g.run("ifconfig lo 127.0.0.1 up 2>/dev/null")
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


def link_line(out, name):
    m = re.search(rf"^\d+: {name}: <([A-Z_,]*)>(.*)$", out, re.M)
    assert m, f"no link line for {name} in:\n{out}"
    return m.group(1).split(","), m.group(2)


def test_ip_link_lists_lo_and_eth0(guest):
    out = guest.check("ip link")
    flags, rest = link_line(out, "lo")
    assert "LOOPBACK" in flags and "UP" in flags and "LOWER_UP" in flags, out
    assert "mtu 65536" in rest, out
    assert re.search(r"link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00", out), out
    flags, rest = link_line(out, "eth0")
    assert {"BROADCAST", "MULTICAST", "UP", "LOWER_UP"} <= set(flags), out
    assert "mtu 1500" in rest and "state UP" in rest, out
    assert f"link/ether {MAC} brd ff:ff:ff:ff:ff:ff" in out, out
    assert re.search(r"^1: lo:", out, re.M) and re.search(r"^2: eth0:", out, re.M), out


def test_ip_addr_shows_addresses(guest):
    out = guest.check("ip addr")
    assert re.search(r"inet 127\.0\.0\.1/8 scope host lo", out), out
    assert re.search(r"inet 10\.0\.2\.15/24 brd 10\.0\.2\.255 scope global eth0", out), out
    out = guest.check("ip addr show dev eth0")
    assert "10.0.2.15/24" in out and "127.0.0.1" not in out, out


def test_ip_route_shows_main_table(guest):
    out = guest.check("ip route")
    assert re.search(r"^default via 10\.0\.2\.2 dev eth0\s*$", out, re.M), out
    assert re.search(r"^10\.0\.2\.0/24 dev eth0 .*scope link\s+src 10\.0\.2\.15\s*$", out, re.M), out


def test_ip_link_set_lo_down_up(guest):
    guest.check("ip link set lo down")
    out = guest.check("ip link show lo")
    flags, rest = link_line(out, "lo")
    assert "UP" not in flags and "LOOPBACK" in flags and "state DOWN" in rest, out
    _, rc = guest.run("ping -c 1 -W 1 127.0.0.1")
    assert rc != 0, "127.0.0.1 still reachable with lo down"
    guest.check("ip link set lo up")
    out = guest.check("ip link show lo")
    flags, rest = link_line(out, "lo")
    assert "UP" in flags and "LOWER_UP" in flags, out
    # Linux drops lo's local routes when it goes down and makes them again when it comes up.
    guest.check("ping -c 1 -W 5 127.0.0.1")


def test_ip_addr_add_second_address(guest):
    out, rc = guest.run("ip addr add 10.0.2.99/24 dev eth0")
    if on_linux():
        assert rc == 0, out
        shown = guest.check("ip addr show dev eth0")
        assert re.search(r"inet 10\.0\.2\.99/24 scope global secondary eth0", shown), shown
        guest.check("ip addr del 10.0.2.99/24 dev eth0")
    else:
        # lwIP keeps one IPv4 address per interface: the request is refused, not faked.
        assert rc != 0 and "RTNETLINK answers: Not supported" in out, out
    shown = guest.check("ip addr show dev eth0")
    assert "10.0.2.99" not in shown and "10.0.2.15/24" in shown, shown
    out, rc = guest.run("ip addr add 10.0.2.15/24 dev eth0")
    assert rc != 0 and "File exists" in out, out


def test_ip_addr_replace_address_and_route(guest):
    """Delete the address, add another, route through the gateway, then restore."""
    try:
        guest.check("ip addr del 10.0.2.15/24 dev eth0")
        out = guest.check("ip addr show dev eth0")
        assert "inet " not in out, out
        # The interface's routes went with its last address.
        assert "default" not in guest.check("ip route"), "default route survived"
        guest.check("ip addr add 10.0.2.99/24 dev eth0")
        guest.check("ip route add default via 10.0.2.2")
        out = guest.check("ip addr show dev eth0")
        assert re.search(r"inet 10\.0\.2\.99/24 .*scope global eth0", out), out
        out = guest.check("ip route")
        assert re.search(r"^default via 10\.0\.2\.2 dev eth0", out, re.M), out
        assert re.search(r"^10\.0\.2\.0/24 dev eth0 .*src 10\.0\.2\.99", out, re.M), out
        guest.check("ping -c 1 -W 5 10.0.2.2")
    finally:
        guest.run("ip addr del 10.0.2.99/24 dev eth0")
        guest.run("ip addr add 10.0.2.15/24 brd + dev eth0")
        guest.run("ip route add default via 10.0.2.2 dev eth0")
    out = guest.check("ip route")
    assert re.search(r"^default via 10\.0\.2\.2 dev eth0", out, re.M), out


def test_ip_route_del_add_default(guest):
    guest.check("ip route del default")
    out = guest.check("ip route")
    assert "default" not in out and "10.0.2.0/24" in out, out
    out, rc = guest.run("ip route del default")
    assert rc != 0 and "No such process" in out, out
    guest.check("ip route add default via 10.0.2.2 dev eth0")
    out, rc = guest.run("ip route add default via 10.0.2.2 dev eth0")
    assert rc != 0 and "File exists" in out, out
    out = guest.check("ip route")
    assert re.search(r"^default via 10\.0\.2\.2 dev eth0", out, re.M), out
    guest.check("ping -c 1 -W 5 10.0.2.2")


def test_ip_route_gateway_off_link(guest):
    out, rc = guest.run("ip route add 192.168.77.0/24 via 10.9.9.9")
    assert rc != 0, out
    assert "192.168.77" not in guest.check("ip route")


def test_unprivileged_change_refused(guest):
    out, rc = guest.run("su -s /bin/sh nobody -c 'ip link set lo down'")
    assert rc != 0 and "Operation not permitted" in out, out
    # ip addr goes through RTM_NEWADDR (ip link set uses SIOCSIFFLAGS).
    out, rc = guest.run("su -s /bin/sh nobody -c 'ip addr add 10.0.2.98/24 dev eth0'")
    assert rc != 0 and "RTNETLINK answers: Operation not permitted" in out, out
    flags, _ = link_line(guest.check("ip link show lo"), "lo")
    assert "UP" in flags
    # Reading is open to everyone.
    out = guest.check("su -s /bin/sh nobody -c 'ip addr show dev lo'")
    assert "127.0.0.1/8" in out, out


def test_raw_netlink_messages(guest):
    out, rc = guest.run("/opt/tests/guest/netlink", timeout=120)
    assert rc == 0 and re.search(r"DONE netlink \d+ passed, 0 failed", out), out
