#!/bin/sh
# BusyBox sh features the kernel must carry: pipes, redirects, subshells, command substitution,
# traps, background jobs and wait. Prints "ok <name>" or "FAIL <name>" per check and a summary.
pass=0; fail=0
check() { if [ "$2" = "$3" ]; then echo "ok $1"; pass=$((pass+1)); else echo "FAIL $1: got [$2] want [$3]"; fail=$((fail+1)); fi; }
t=/tmp/shell_features.$$
mkdir -p $t

check pipeline "$(printf 'c\nb\na\nb\n' | sort | uniq | tr -d '\n')" "abc"
check long_pipeline "$(seq 1 2000 | grep 7 | wc -l | tr -d " ")" "542"
echo first > $t/f; echo second >> $t/f
check redirect_append "$(cat < $t/f | tr '\n' ' ')" "first second "
ls /nonexistent 2> $t/err >/dev/null; check redirect_stderr "$(grep -c nonexistent $t/err)" "1"
check dup_fd "$( { echo to-stderr >&2; } 2>&1 )" "to-stderr"
x=outer; ( x=inner; exit 3 ); st=$?
check subshell "$x $st" "outer 3"
check cmd_subst_nested "$(echo $(echo $(echo deep)))" "deep"
check arith "$(( (7 * 6) % 10 ))" "2"
check here_doc "$(cat <<HD
line $x
HD
)" "line outer"
trap 'echo trapped > $t/trap' USR1
kill -USR1 $$
check trap_usr1 "$(cat $t/trap 2>/dev/null)" "trapped"
trap - USR1
( trap 'echo exit-trap' EXIT; true ) > $t/exit
check trap_exit "$(cat $t/exit)" "exit-trap"
sleep 0.2 & p1=$!
(sleep 0.1; exit 7) & p2=$!
wait $p2; st2=$?
wait $p1; st1=$?
check background_wait "$st1 $st2" "0 7"
for i in 1 2 3 4 5; do (echo $i > $t/bg.$i) & done; wait
check many_background "$(cat $t/bg.* | tr -d '\n')" "12345"
check while_read "$(printf 'a b\nc d\n' | while read x y; do printf '%s' "$y"; done)" "bd"
check exit_status_of_pipeline "$(false | true; echo $?)" "0"
check case_glob "$(case openv in op*) echo yes;; *) echo no;; esac)" "yes"
f() { local v=func; echo $v; return 4; }
f > $t/fout; st=$?
check function_return "$(cat $t/fout) $st" "func 4"
check test_builtin "$([ -d /tmp ] && [ ! -e /nonexistent ] && echo yes)" "yes"
check exec_external "$(/bin/echo external)" "external"
check env_to_child "$(FOO=bar sh -c 'echo $FOO')" "bar"
rm -rf $t
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
