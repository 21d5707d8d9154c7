#!/usr/bin/env bash
# `lifeboat command backup`: a command's stdout is stored as one named file, byte for byte, and
# comes back through `dump` and `restore`; its stderr is passed through; a command that exits
# non-zero, is killed by a signal or cannot be run saves no snapshot and is named in the error.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"

export LIFEBOAT_REPOSITORY="${WORK}/repo"
export LIFEBOAT_PASSWORD="correct horse"
expect 0 init

step "5 MiB of binary output round-trips byte for byte"
head -c 5M /dev/urandom >"${WORK}/random.bin"
expect 0 --json command backup --name random.bin --tag db --host db-host -- cat "${WORK}/random.bin"
snap="$(json 'd["snapshot_id"]')"
assert_eq "$(json 'd["bytes"]')" "5242880" "bytes in the summary"
sha="$(sha256sum <"${WORK}/random.bin" | cut -d' ' -f1)"
assert_eq "$(json 'd["sha256"]')" "${sha}" "SHA-256 in the summary"
expect 0 dump "${snap:0:8}" random.bin
cmp "${WORK}/out" "${WORK}/random.bin" || fail "dump differs from the command's output"
expect 0 restore "${snap:0:8}" --target "${WORK}/restored"
cmp "${WORK}/restored/random.bin" "${WORK}/random.bin" || fail "restore differs from the command's output"
assert_eq "$(entry_count "${WORK}/restored")" "1" "the snapshot holds the one file"

step "snapshots --json shows the source and the manifest"
expect 0 snapshots --json
assert_eq "$(json 'd[0]["source"]')" "command" "source"
assert_eq "$(json 'd[0]["paths"]')" "['random.bin']" "paths"
assert_eq "$(json 'd[0]["tags"]')" "['db']" "tags"
assert_eq "$(json 'd[0]["hostname"]')" "db-host" "hostname"
assert_eq "$(json 'd[0]["manifest"]["argv"]')" "['cat', '${WORK}/random.bin']" "argv"
assert_eq "$(json 'd[0]["manifest"]["exit_status"]')" "0" "exit status"
assert_eq "$(json 'd[0]["manifest"]["bytes"]')" "5242880" "bytes"
assert_eq "$(json 'd[0]["manifest"]["sha256"]')" "${sha}" "SHA-256"
assert_eq "$(json 'd[0]["manifest"]["file"]')" "random.bin" "file"
assert_eq "$(json 'd[0]["manifest"]["started"] <= d[0]["manifest"]["finished"]')" "True" "start before end"
assert_eq "$(json 'd[0]["manifest"]["started"].endswith("Z")')" "True" "times in UTC"

step "stderr is passed through; the same output again stores nothing new"
expect 0 --json command backup --name random.bin -- sh -c "echo 'dumping, 50%' >&2; cat '${WORK}/random.bin'"
assert_err_contains "dumping, 50%" "stderr passed through"
# Only the snapshot's small tree is new (its file's time differs); the 5 MiB are all known.
(( $(json 'd["bytes_added"]') < 1024 )) || fail "identical output added $(json 'd["bytes_added"]') bytes"

step "an empty output is a valid backup"
expect 0 --json command backup --name empty.out -- true
assert_eq "$(json 'd["bytes"]')" "0" "empty output"
expect 0 dump latest empty.out
[[ ! -s "${WORK}/out" ]] || fail "empty output dumped as non-empty"
count="$(snapshot_count)"
assert_eq "${count}" "3" "snapshots so far"

step "a password in the command line is not recorded"
expect 0 --json command backup --name url.txt -- echo postgres://app:hunter2-pw@db/app --password=hunter2-pw
expect 0 dump latest url.txt
assert_eq "$(cat "${WORK}/out")" "postgres://app:hunter2-pw@db/app --password=hunter2-pw" "the command ran with the real arguments"
expect 0 snapshots --json
assert_eq "$(json 'd[-1]["manifest"]["argv"]')" "['echo', 'postgres://app:***@db/app', '--password=***']" "redacted argv"
assert_file_lacks "${WORK}/out" "hunter2-pw" "snapshot records"
expect 1 command backup --name x -- sh -c 'exit 5' postgres://app:hunter2-pw@db/app
assert_eq "$(head -1 "${WORK}/err")" "lifeboat: error: command \`sh -c 'exit 5' 'postgres://app:***@db/app'\` exited with status 5" "a redacted failure"
count="$(snapshot_count)"

step "a failing command saves no snapshot"
expect 1 command backup --name dump.sql -- sh -c 'echo "partial row"; echo "connecting..." >&2; echo "FATAL: disk full" >&2; exit 3'
assert_err_contains "lifeboat: error: command \`sh -c 'echo \"partial row\"; echo \"connecting...\" >&2; echo \"FATAL: disk full\" >&2; exit 3'\` exited with status 3; the end of its stderr:" "failure message"
assert_eq "$(tail -3 "${WORK}/err")" $'    connecting...\n    FATAL: disk full\nhint: no snapshot was saved' "the end of stderr, then the hint"
assert_eq "$(head -1 "${WORK}/err")" "connecting..." "stderr passed through before the error"
assert_eq "$(snapshot_count)" "${count}" "no snapshot after a failing command"

step "a command killed by a signal saves no snapshot"
expect 1 command backup --name dump.sql -- sh -c 'printf "half a dump"; kill -KILL $$'
assert_eq "$(head -1 "${WORK}/err")" "lifeboat: error: command \`sh -c 'printf \"half a dump\"; kill -KILL \$\$'\` was killed by signal 9 (SIGKILL)" "killed command"
assert_err_contains "hint: no snapshot was saved" "killed command hint"
expect 1 command backup --name dump.sql -- sh -c 'kill -TERM $$'
assert_eq "$(head -1 "${WORK}/err")" "lifeboat: error: command \`sh -c 'kill -TERM \$\$'\` was killed by signal 15 (SIGTERM)" "terminated command"
assert_eq "$(snapshot_count)" "${count}" "no snapshot after a killed command"

step "a program that does not exist"
expect 1 command backup --name x -- lifeboat-no-such-program --flag
assert_eq "$(head -1 "${WORK}/err")" "lifeboat: error: command \`lifeboat-no-such-program --flag\`: cannot run \`lifeboat-no-such-program\`: No such file or directory" "missing program"
assert_eq "$(snapshot_count)" "${count}" "no snapshot for a missing program"

step "usage errors"
expect 2 command backup --name a/b -- true
assert_eq "$(head -1 "${WORK}/err")" "lifeboat: error: --name must be a plain file name without '/', got \"a/b\"" "name with a slash"
expect 2 command backup --name x
assert_eq "$(head -1 "${WORK}/err")" "lifeboat: error: no command given" "no command"
expect 2 command backup -- true
assert_err_contains "--name is required" "no --name"

step "check"
expect 0 check --read-data
echo "PASS: ${TEST_NAME}"
