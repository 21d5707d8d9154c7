#!/usr/bin/env bash
# The everyday life of a repository through the real binary: init, backups of a tree with every
# kind of entry, of stdin and of a command's output, listing, restoring byte- and
# metadata-exact, dump, diff, stats, check, and the key commands.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"
# Also registered as e2e_cli_roundtrip_test_s3, with LIFEBOAT_TEST_REPO_KIND=s3.
# shellcheck source=../s3/repo_kind.sh
source "$(dirname "$0")/../s3/repo_kind.sh"

use_test_repository
export LIFEBOAT_PASSWORD="correct horse"

step "init"
expect 0 init
assert_out_contains "created lifeboat repository at ${LIFEBOAT_REPOSITORY}" "init message"
if [[ ${REPO_IS_LOCAL} -eq 1 ]]; then
  [[ -f "${WORK}/repo/config" ]] || fail "init wrote no config"
fi
expect 1 init
assert_err_contains "lifeboat: error:" "a second init is refused"

step "a tree with every kind of entry"
src="${WORK}/src"
mkdir -p "${src}/dir/sub" "${src}/emptydir"
printf 'hello\n' >"${src}/a.txt"
head -c 3000000 /dev/urandom >"${src}/dir/big.bin"
: >"${src}/empty"
ln -s a.txt "${src}/link"
ln -s /nonexistent/target "${src}/dangling"
ln "${src}/a.txt" "${src}/dir/hardlink"
latin1_name=$'caf\xe9.txt'  # ISO-8859-1, not valid UTF-8
printf 'latin\n' >"${src}/${latin1_name}"
printf 'deep\n' >"${src}/dir/sub/deep.txt"
chmod 0640 "${src}/a.txt"
chmod 0750 "${src}/dir"
chmod 4755 "${src}/dir/sub/deep.txt"
touch -h -d '2001-02-03 04:05:06.123456789' "${src}/link"
touch -d '2001-02-03 04:05:06.123456789' "${src}/dir/big.bin" "${src}/emptydir"

step "backup"
expect 0 --json backup "${src}"
snap1="$(json 'd["snapshot_id"]')"
assert_eq "$(json 'd["partial"]')" "False" "first backup is complete"
assert_eq "$(json 'd["files_new"]')" "6" "new files in the first backup"
assert_eq "${#snap1}" "64" "snapshot id length"
if grep -q $'\r' "${WORK}/err"; then fail "progress output although stderr is not a terminal"; fi
expect 0 backup "${src}"
assert_out_contains "snapshot " "text summary"
assert_out_contains " saved" "text summary"
assert_out_contains "0 new, 0 changed, 6 unmodified" "second backup finds nothing changed"

step "snapshots --json"
expect 0 snapshots --json
assert_eq "$(json 'len(d)')" "2" "snapshot count"
assert_eq "$(json 'd[0]["id"]')" "${snap1}" "first snapshot id"
assert_eq "$(json 'd[0]["paths"]')" "['${src}']" "snapshot paths"
assert_eq "$(json 'd[0]["short_id"]')" "${snap1:0:8}" "short id"
expect 0 snapshots
assert_out_contains "${snap1:0:8}" "the table shows short ids"
assert_out_contains "2 snapshots" "the table counts snapshots"

step "ls"
expect 0 ls "${snap1:0:8}"
for path in a.txt dir dir/big.bin dir/sub/deep.txt empty emptydir link dangling "${latin1_name}"; do
  assert_out_contains "${src}/${path}" "ls lists ${path}"
done
expect 0 ls latest "${src}/dir"
assert_out_contains "${src}/dir/big.bin" "ls of a directory"
assert_file_lacks "${WORK}/out" "${src}/dir/sub/deep.txt" "ls without --recursive"
expect 0 ls latest "${src}/dir" --recursive
assert_out_contains "${src}/dir/sub/deep.txt" "ls --recursive"
expect 0 ls latest --json
assert_eq "$(json_lines 'lines[0]["struct_type"]')" "snapshot" "ls --json starts with the snapshot"
assert_eq "$(json_lines "[l['link_target'] for l in lines if l.get('name') == 'link']")" \
  "['a.txt']" "symlink target in ls --json"
assert_eq "$(json_lines "[l['type'] for l in lines if l.get('name') == 'emptydir']")" "['dir']" \
  "directory type in ls --json"

step "restore"
expect 0 restore latest --target "${WORK}/restore"
restored="${WORK}/restore${src}"
[[ -d "${restored}" ]] || fail "nothing restored at ${restored}"
diff -r --no-dereference "${src}" "${restored}" >"${WORK}/diff.txt" 2>&1 ||
  fail "restored content differs: $(head -5 "${WORK}/diff.txt")"
tree_listing "${src}" >"${WORK}/before.txt"
tree_listing "${restored}" >"${WORK}/after.txt"
diff "${WORK}/before.txt" "${WORK}/after.txt" >"${WORK}/diff.txt" ||
  fail "restored metadata differs (path|type|mode|size|owner|mtime|target): $(head -8 "${WORK}/diff.txt")"
assert_eq "$(stat -c %i "${restored}/a.txt")" "$(stat -c %i "${restored}/dir/hardlink")" \
  "hard links are restored as one inode"
expect 0 restore latest --target "${WORK}/restore-verify" --verify --include "${src}/dir"
[[ -f "${WORK}/restore-verify${src}/dir/big.bin" ]] || fail "--include dropped the included file"
[[ ! -e "${WORK}/restore-verify${src}/a.txt" ]] || fail "--include restored an excluded file"
assert_out_contains "verified" "restore --verify reports verification"

step "backup --stdin and dump"
head -c 1500000 /dev/urandom >"${WORK}/stream.bin"
printf '\n\0end' >>"${WORK}/stream.bin"
lb_stdin "${WORK}/stream.bin" --json backup --stdin --stdin-filename stream.bin
assert_eq "${CODE}" "0" "exit code of backup --stdin"
stdin_snap="$(json 'd["short_id"]')"
expect 0 dump "${stdin_snap}" /stream.bin
cmp -s "${WORK}/out" "${WORK}/stream.bin" || fail "dump of the stdin backup is not byte-exact"
expect 0 dump "${snap1:0:8}" "${src}/dir/big.bin"
cmp -s "${WORK}/out" "${src}/dir/big.bin" || fail "dump of a file is not byte-exact"

step "backup --stdin-from-command"
expect 0 --json backup --stdin-from-command -- sh -c 'printf hello'
command_snap="$(json 'd["short_id"]')"
expect 0 dump "${command_snap}" /sh.out
assert_eq "$(cat "${WORK}/out")" "hello" "the command's output is stored as <command>.out"
expect 0 backup --stdin-from-command --stdin-filename greeting.txt -- printf 'hi there'
expect 0 dump latest greeting.txt
assert_eq "$(cat "${WORK}/out")" "hi there" "--stdin-filename names the stored file"
expect 0 snapshots --json
assert_eq "$(json 'd[-1]["source"]')" "command" "snapshot source of a command backup"

step "a failing command saves no snapshot"
before="$(snapshot_count)"
lb backup --stdin-from-command -- sh -c 'printf partial; exit 3'
[[ "${CODE}" != 0 ]] || fail "a failing command gave exit code 0"
assert_err_contains "exited with status 3" "the command's status is reported"
assert_eq "$(snapshot_count)" "${before}" "snapshot count after a failed command"
lb backup --stdin-from-command -- lifeboat-no-such-command
[[ "${CODE}" != 0 ]] || fail "a missing command gave exit code 0"
assert_err_contains "lifeboat-no-such-command" "a missing command is named"
assert_eq "$(snapshot_count)" "${before}" "snapshot count after a missing command"

step "diff"
printf 'changed\n' >"${src}/a.txt"
printf 'new\n' >"${src}/new.txt"
rm "${src}/empty"
expect 0 --json backup "${src}"
snap_changed="$(json 'd["short_id"]')"
expect 0 diff "${snap1:0:8}" "${snap_changed}"
assert_out_contains "+    ${src}/new.txt" "diff shows the added file"
assert_out_contains "-    ${src}/empty" "diff shows the removed file"
assert_out_contains "M    ${src}/a.txt" "diff shows the modified file"
expect 0 diff "${snap1:0:8}" "${snap_changed}" --json
assert_eq "$(json 'd["added_files"]')" "1" "diff --json added files"
assert_eq "$(json 'd["removed_files"]')" "1" "diff --json removed files"
assert_eq "$(json "sorted(c['change'] for c in d['changes'] if c['path'] == '${src}/new.txt')")" \
  "['+']" "diff --json entry"

step "stats and check"
expect 0 stats --json
assert_eq "$(json 'd["snapshots"]')" "$(snapshot_count)" "stats counts snapshots"
expect 0 stats --json
[[ "$(json 'd["blobs"] > 0 and d["packs"] > 0 and d["stored_bytes"] > 0')" == "True" ]] ||
  fail "stats shows an empty repository"
expect 0 stats
assert_out_contains "Snapshots:" "stats text"
expect 0 check --read-data
expect 0 check --json
assert_eq "$(json 'd["ok"]')" "True" "check --json"

step "keys"
expect 0 key list --json
assert_eq "$(json 'len(d)')" "1" "one key after init"
first_key="$(json 'd[0]["id"]')"
LIFEBOAT_NEW_PASSWORD="second password" expect 0 key add
expect 0 key list --json
assert_eq "$(json 'len(d)')" "2" "two keys after key add"
assert_eq "$(json '[k["current"] for k in d if k["id"] == "'"${first_key}"'"]')" "[True]" \
  "the key in use is marked current"
second_key="$(json '[k["id"] for k in d if not k["current"]][0]')"
LIFEBOAT_PASSWORD="second password" expect 0 snapshots
expect 0 key remove "${second_key:0:8}"
LIFEBOAT_PASSWORD="second password" expect 12 snapshots
assert_err_contains "wrong password" "a removed key no longer opens the repository"
expect 1 key remove "${first_key:0:8}"
assert_err_contains "in use" "the key in use cannot be removed"

printf 'third password\n' >"${WORK}/new-password"
expect 0 key passwd --new-password-file "${WORK}/new-password"
expect 12 snapshots
assert_err_contains "wrong password" "the old password fails after key passwd"
expect 0 --password-file "${WORK}/new-password" snapshots
expect 0 --password-command "echo 'third password'" snapshots
LIFEBOAT_PASSWORD_FILE="${WORK}/new-password" expect 0 snapshots
expect 0 --password-file "${WORK}/new-password" key list --json
assert_eq "$(json 'len(d)')" "1" "key passwd replaces the key"

step "version"
expect 0 version
assert_out_contains "lifeboat " "version output"

echo "PASS: ${TEST_NAME}"
