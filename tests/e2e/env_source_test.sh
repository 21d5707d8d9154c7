#!/usr/bin/env bash
# `lifeboat env backup|show`: which variables are set is recorded by name, with the services
# they imply, and never a value — the whole repository is searched for a unique secret, through
# `dump` of every file of every snapshot, `snapshots --json` and the raw files — while named
# config files round-trip with their contents and metadata.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"

export LIFEBOAT_REPOSITORY="${WORK}/repo"
export LIFEBOAT_PASSWORD="correct horse"
expect 0 init

SECRET="lbsecret-$$-${RANDOM}${RANDOM}-7f3a9c"
# lifeboat under a controlled environment: only these variables and the repository's (the
# audit log's place is given on the command line, so that it is no variable of the selection).
lb_env() {
  LAST_COMMAND="lifeboat $* (controlled environment)"
  CODE=0
  env -i PATH="${PATH}" LC_ALL=C LIFEBOAT_REPOSITORY="${LIFEBOAT_REPOSITORY}" \
    LIFEBOAT_PASSWORD="${LIFEBOAT_PASSWORD}" LIFEBOAT_KDF_PARAMS="${LIFEBOAT_KDF_PARAMS}" \
    DATABASE_URL="postgres://app:${SECRET}@db.internal:5432/app" \
    STRIPE_SECRET_KEY="sk_live_${SECRET}" AWS_SECRET_ACCESS_KEY="${SECRET}" \
    OPENAI_API_KEY="${SECRET}" APP_TOKEN="${SECRET}" APP_MODE="production-${SECRET}" \
    PLAIN_SETTING="${SECRET}" \
    "${LIFEBOAT}" --audit-db "${LIFEBOAT_AUDIT_DB}" "$@" >"${WORK}/out" 2>"${WORK}/err" || CODE=$?
}

step "config files"
mkdir -p "${WORK}/app/config"
printf 'services:\n  - type: web\n    name: app # RENDER_MARKER_4711\n' >"${WORK}/app/render.yaml"
head -c 3000 /dev/urandom >"${WORK}/app/config/cert.der"
chmod 0640 "${WORK}/app/render.yaml"
chmod 0600 "${WORK}/app/config/cert.der"
touch -d '2001-02-03 04:05:06.123456789' "${WORK}/app/render.yaml"
touch -d '2010-01-01 00:00:00.5' "${WORK}/app/config/cert.der"
ln -s render.yaml "${WORK}/app/render-link.yaml"

step "default selection: the variables the service table knows"
lb_env --json env backup --file "${WORK}/app/render.yaml" --file "${WORK}/app/config/cert.der" --tag config
assert_eq "${CODE}" "0" "env backup exit code"
snap1="$(json 'd["snapshot_id"]')"
assert_eq "$(json 'd["services"]')" "['aws s3', 'lifeboat', 'openai', 'postgres', 'stripe']" "services"
assert_eq "$(json 'd["files"]')" "2" "files"
expect 0 snapshots --json
assert_eq "$(json 'd[0]["source"]')" "env" "source"
assert_eq "$(json 'd[0]["paths"]')" "['env', '${WORK}/app/render.yaml', '${WORK}/app/config/cert.der']" "paths"
assert_eq "$(json 'd[0]["manifest"]["selection"]')" "services" "selection"
assert_eq "$(json '[v["name"] + "=" + v["service"] for v in d[0]["manifest"]["variables"]]')" \
  "['AWS_SECRET_ACCESS_KEY=aws s3', 'DATABASE_URL=postgres', 'LIFEBOAT_KDF_PARAMS=lifeboat', 'LIFEBOAT_PASSWORD=lifeboat', 'LIFEBOAT_REPOSITORY=lifeboat', 'OPENAI_API_KEY=openai', 'STRIPE_SECRET_KEY=stripe']" \
  "variables and services"
assert_eq "$(json '[f["mode"] for f in d[0]["manifest"]["files"]]')" "['0640', '0600']" "file modes"
assert_eq "$(json 'd[0]["manifest"]["files"][0]["mtime"]')" "2001-02-03T04:05:06.123456789Z" "file mtime"
assert_eq "$(json 'd[0]["manifest"]["files"][0]["stored_as"]')" "files${WORK}/app/render.yaml" "stored_as"
assert_eq "$(json 'd[0]["manifest"]["files"][0]["sha256"]')" "$(sha256sum <"${WORK}/app/render.yaml" | cut -d' ' -f1)" "file SHA-256"
assert_eq "$(json 'd[0]["manifest"]["files"][0]["size"]')" "$(stat -c %s "${WORK}/app/render.yaml")" "file size"
assert_eq "$(json 'd[0]["manifest"]["files"][0]["uid"]')" "$(id -u)" "file uid"

step "explicit selection: --var and --var-prefix, a variable that is not set"
lb_env --json env backup --var APP_TOKEN --var NOT_SET_ANYWHERE --var-prefix APP_ --file "${WORK}/app/render-link.yaml"
assert_eq "${CODE}" "0" "explicit env backup exit code"
snap2="$(json 'd["snapshot_id"]')"
assert_eq "$(json 'd["variables"]')" "2" "set variables"
assert_eq "$(json 'd["unset"]')" "1" "unset variables"
assert_err_contains "warning: NOT_SET_ANYWHERE is not set; recorded as missing" "warning for an unset --var"
expect 0 snapshots --json
assert_eq "$(json '[(v["name"], v["set"], v["service"]) for v in d[1]["manifest"]["variables"]]')" \
  "[('APP_MODE', True, ''), ('APP_TOKEN', True, ''), ('NOT_SET_ANYWHERE', False, '')]" "explicit variables"
assert_eq "$(json 'd[1]["manifest"]["files"][0]["mode"]')" "0640" "a symlink is followed to its file"

step "no value anywhere in the repository"
: >"${WORK}/everything"
for snap in "${snap1}" "${snap2}"; do
  expect 0 ls --json --recursive "${snap:0:8}"
  json_lines '"\n".join(l["path"] for l in lines if l.get("type") == "file")' >"${WORK}/files"
  [[ -s "${WORK}/files" ]] || fail "ls listed no files"
  while IFS= read -r path; do
    "${LIFEBOAT}" dump "${snap:0:8}" "${path}" >>"${WORK}/everything"
  done <"${WORK}/files"
done
expect 0 snapshots --json
cat "${WORK}/out" >>"${WORK}/everything"
# The method finds what is there: the config file's marker and a variable's name are found.
assert_file_contains "${WORK}/everything" "RENDER_MARKER_4711" "dumped config file"
assert_file_contains "${WORK}/everything" "STRIPE_SECRET_KEY" "recorded variable name"
assert_file_lacks "${WORK}/everything" "${SECRET}" "a secret value in the decrypted repository"
assert_file_lacks "${WORK}/everything" "correct horse" "the repository password in the decrypted repository"
assert_file_lacks "${WORK}/everything" "production-" "a non-secret value"
if grep -rqF -- "${SECRET}" "${LIFEBOAT_REPOSITORY}"; then fail "the secret is in the repository's raw files"; fi

step "env show: names, services, what is missing here"
unset AWS_SECRET_ACCESS_KEY STRIPE_SECRET_KEY APP_MODE APP_TOKEN DATABASE_URL OPENAI_API_KEY
DATABASE_URL=elsewhere OPENAI_API_KEY=elsewhere lb env show "${snap1:0:8}"
assert_eq "${CODE}" "0" "env show exit code"
assert_out_contains "DATABASE_URL           postgres        set" "a variable set here"
assert_out_contains "STRIPE_SECRET_KEY      stripe          MISSING" "a variable missing here"
assert_out_contains "Services: aws s3, lifeboat, openai, postgres, stripe" "services"
assert_out_contains "Set these before starting the application (2 missing here):" "missing count"
assert_eq "$(sed -n '/^Set these/,$p' "${WORK}/out" | tail -n +2)" \
  $'  AWS_SECRET_ACCESS_KEY\n  STRIPE_SECRET_KEY' "missing list"
assert_out_contains "${WORK}/app/render.yaml  0640  $(id -un):$(id -gn)" "config file line"
assert_file_lacks "${WORK}/out" "elsewhere" "show prints no value"
DATABASE_URL=x lb --json env show latest
assert_eq "$(json 'd["snapshot_id"]')" "${snap2}" "latest env snapshot"
assert_eq "$(json 'd["missing"]')" "['APP_MODE', 'APP_TOKEN']" "missing, as JSON"
assert_eq "$(json '[v["name"] for v in d["variables"] if not v["set_at_backup"]]')" "['NOT_SET_ANYWHERE']" "unset at backup"

step "config files round-trip with their metadata"
expect 0 restore "${snap1:0:8}" --target "${WORK}/restored"
for f in render.yaml config/cert.der; do
  cmp "${WORK}/app/${f}" "${WORK}/restored/files${WORK}/app/${f}" || fail "${f} differs after restore"
  assert_eq "$(stat -c '%a %u %g %y' "${WORK}/restored/files${WORK}/app/${f}")" \
    "$(stat -c '%a %u %g %y' "${WORK}/app/${f}")" "${f} metadata after restore"
done
expect 0 dump "${snap1:0:8}" "files${WORK}/app/config/cert.der"
cmp "${WORK}/out" "${WORK}/app/config/cert.der" || fail "dumped cert differs"

step "bad input"
count="$(snapshot_count)"
expect 2 env backup --var DATABASE_URL=postgres://x
assert_eq "$(head -1 "${WORK}/err")" "lifeboat: error: \"DATABASE_URL=postgres://x\" is not an environment variable name" "a value given to --var"
assert_err_contains "hint: give names only, never NAME=VALUE: --var DATABASE_URL" "--var hint"
expect 1 env backup --file "${WORK}/app/missing.yaml"
assert_eq "$(head -1 "${WORK}/err")" "lifeboat: error: config file ${WORK}/app/missing.yaml: No such file or directory" "missing file"
assert_err_contains "no snapshot was saved" "missing file hint"
expect 1 env backup --file "${WORK}/app/config"
assert_eq "$(head -1 "${WORK}/err")" "lifeboat: error: config file ${WORK}/app/config is not a regular file" "a directory"
assert_eq "$(snapshot_count)" "${count}" "no snapshot after bad input"
printf 'x' >"${WORK}/x"
expect 0 --json backup "${WORK}/x"
expect 1 env show "$(json 'd["snapshot_id"]' | cut -c1-8)"
assert_eq "$(head -1 "${WORK}/err")" "lifeboat: error: the snapshot is not an env backup (its source is \"files\")" "env show of a files snapshot"

echo "PASS: ${TEST_NAME}"
