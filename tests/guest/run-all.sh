#!/bin/sh
# run-all.sh [DIR] - run every guest test program in DIR and summarise.
#
# POSIX sh (BusyBox ash compatible): runs inside the openv initramfs, and on
# a Linux host with OPENV_TEST_WRAPPER=qemu-riscv64-static.
#
# DIR defaults to the directory holding this script. A test passes when it
# exits 0, prints no "FAIL " line and prints its "DONE <name>" line. The
# last line is "<N> passed, <N> failed" (tests, not checks); the exit status
# is 0 only if every test passed.
#
# Environment:
#   OPENV_TEST_WRAPPER  command to prefix each test with (e.g. qemu-riscv64-static)
#   OPENV_TEST_TIMEOUT  seconds per test (default 300; needs a timeout command)
#   OPENV_TESTS         space-separated subset of test names to run

dir=${1:-$(dirname "$0")}
# Tests such as exec_args re-execute themselves via argv[0]: keep it absolute.
case $dir in
/*) ;;
*) dir=$(cd "$dir" && pwd) ;;
esac

wrapper=${OPENV_TEST_WRAPPER:-}
limit=${OPENV_TEST_TIMEOUT:-300}
tmp=${TMPDIR:-/tmp}
log=$tmp/openv-guest.$$.log

# BusyBox and coreutils both accept "timeout SECS CMD"; very old BusyBox
# wanted "timeout -t SECS". Use whichever works, else run without a limit.
tmo=
if timeout 5 true >/dev/null 2>&1; then
    tmo="timeout $limit"
elif timeout -t 5 true >/dev/null 2>&1; then
    tmo="timeout -t $limit"
fi

npass=0
nfail=0
failed=
cpass=0
cfail=0
cskip=0

for t in "$dir"/*; do
    name=${t##*/}
    [ -f "$t" ] && [ -x "$t" ] || continue
    case $name in
    *.sh | *.log | *.txt) continue ;;
    esac
    if [ -n "${OPENV_TESTS:-}" ]; then
        case " $OPENV_TESTS " in
        *" $name "*) ;;
        *) continue ;;
        esac
    fi

    echo "=== RUN $name"
    # Keep the output streaming (a hang should show how far it got) while
    # also capturing it, and keep the test's own exit status.
    rm -f "$log.rc"
    { $tmo $wrapper "$t" 2>&1; echo $? >"$log.rc"; } | tee "$log"
    rc=$(cat "$log.rc" 2>/dev/null)
    rc=${rc:-255}

    p=$(grep -c '^PASS ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    s=$(grep -c '^SKIP ' "$log")
    cpass=$((cpass + p))
    cfail=$((cfail + f))
    cskip=$((cskip + s))

    why=
    [ "$rc" = 0 ] || why="exit status $rc"
    [ "$f" = 0 ] || why="${why:+$why, }$f FAIL lines"
    grep -q "^DONE $name " "$log" || why="${why:+$why, }no DONE line"
    if [ -z "$why" ]; then
        npass=$((npass + 1))
        echo "=== OK   $name"
    else
        nfail=$((nfail + 1))
        failed="$failed $name"
        echo "=== FAILED $name ($why)"
    fi
done
rm -f "$log" "$log.rc"

echo "checks: $cpass pass, $cfail fail, $cskip skip"
[ -z "$failed" ] || echo "failed tests:$failed"
echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ] && [ "$npass" -gt 0 ]
