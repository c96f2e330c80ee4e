#!/bin/sh
# Runs BusyBox's own testsuite (staged in /opt/busybox by image/mkinitramfs.py) against the
# system's /bin/busybox, in scratch copies under /tmp (the testsuite writes next to itself).
# Prints the testsuite's PASS/FAIL/SKIPPED lines and a summary line:
#   busybox-testsuite: <pass> passed, <fail> failed, <untested> untested, <skipped> skipped
# usage: busybox-testsuite.sh [WORKDIR [JOBS]]
# With JOBS > 1 the applets are dealt round-robin to JOBS copies of the testsuite that run at
# once (on a multi-hart system); together they run exactly the tests one copy runs. Tests of
# one applet always run in one copy, so the few that use fixed paths (tar's /tmp/passwd,
# mount's loop devices) never meet.
work=${1:-/tmp/busybox-testsuite}
jobs=${2:-1}
rm -rf "$work"
mkdir -p "$work"
# Tests that run for many minutes of pure computation under QEMU's CPU emulation are skipped
# (reported as SKIPPED), one name per line.
OPENV_SLOW_TESTS='bc parsing of numbers
bc printing of numbers'
export OPENV_SLOW_TESTS

setup() {    # setup DIR: a runnable copy of the testsuite in DIR
    mkdir -p "$1"
    cp -R /opt/busybox/testsuite "$1/testsuite"
    cp /opt/busybox/.config "$1/.config"
    ln -s /bin/busybox "$1/busybox"
    sed -i '/^  \[ -n "\$1" \] || NAME="\$2"$/a\
  if printf "%s\\n" "$OPENV_SLOW_TESTS" | grep -qxF "$NAME"; then echo "SKIPPED: $NAME (slow under emulation)"; return 0; fi' "$1/testsuite/testing.sh"
    grep -q OPENV_SLOW_TESTS "$1/testsuite/testing.sh" || { echo "busybox-testsuite: cannot mark slow tests"; exit 1; }
}

if [ "$jobs" -le 1 ]; then
    setup "$work/1"
    (cd "$work/1/testsuite" && ./runtest) > "$work/log" 2>&1
else
    # The applet list runtest itself would use, plus "busybox" (always tested).
    applets="busybox $(/bin/busybox 2>&1 | sed -n '/^Currently defined functions:/,$p' | sed 1d | tr -d ',')"
    i=0
    for a in $applets; do
        eval "list$((i % jobs))=\"\$list$((i % jobs)) $a\""
        i=$((i + 1))
    done
    j=0
    while [ $j -lt "$jobs" ]; do
        setup "$work/$j"
        eval "set -- \$list$j"
        (cd "$work/$j/testsuite" && ./runtest "$@") > "$work/log.$j" 2>&1 &
        j=$((j + 1))
    done
    wait
    cat "$work"/log.* > "$work/log"
fi
grep -E '^(PASS|FAIL|SKIPPED|UNTESTED):' "$work/log"
pass=$(grep -c '^PASS:' "$work/log")
fail=$(grep -c '^FAIL:' "$work/log")
untested=$(grep -c '^UNTESTED:' "$work/log")
skipped=$(grep -c '^SKIPPED:' "$work/log")
echo "busybox-testsuite: $pass passed, $fail failed, $untested untested, $skipped skipped"
