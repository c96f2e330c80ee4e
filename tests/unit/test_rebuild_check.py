"""tools/rebuild_check.py without a rebuild: the "user" variation's probe and the order of the
command prefix that combines it with the others (the full check: tests/integration/
test_rebuild_check.py)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import rebuild_check  # noqa: E402


def test_user_variation_is_skipped_with_a_reason_when_not_root(monkeypatch):
    monkeypatch.setattr(rebuild_check.os, "geteuid", lambda: 1000)
    why = rebuild_check.probe_user()
    assert why and "root" in why and "uid 1000" in why


def test_user_variation_is_skipped_with_a_reason_without_useradd(monkeypatch):
    monkeypatch.setattr(rebuild_check.os, "geteuid", lambda: 0)
    monkeypatch.setattr(rebuild_check, "which", lambda tool: None if tool == "useradd" else "/x")
    why = rebuild_check.probe_user()
    assert why and "useradd" in why and "passwd" in why


def test_user_variation_runs_as_root_with_the_tools(monkeypatch):
    monkeypatch.setattr(rebuild_check.os, "geteuid", lambda: 0)
    monkeypatch.setattr(rebuild_check, "which", lambda tool: f"/usr/sbin/{tool}")
    assert rebuild_check.probe_user() is None


def test_prefix_unshares_as_root_then_drops_to_the_user_then_fakes_the_clock():
    user = rebuild_check.RebuildUser(rebuild_check.REBUILD_USER)
    user.uid, user.gid = 999, 995
    prefix = rebuild_check.command_prefix(["hostname", "user", "clock"], user)
    names = [os.path.basename(a) for a in prefix]
    assert names.index("unshare") < names.index("setpriv") < names.index("faketime")
    assert prefix[names.index("setpriv"):names.index("faketime")][1:] == [
        "--reuid=999", "--regid=995", "--init-groups", "--"]
    # Each variation alone, and none.
    assert rebuild_check.command_prefix([], None) == []
    assert [os.path.basename(a) for a in rebuild_check.command_prefix(["clock"], None)][0] == "faketime"
    assert os.path.basename(rebuild_check.command_prefix([], user)[0]) == "setpriv"
