# Sourced by test/readme-commands.test.ts before each block of the README and docs/: curl that checks
# each answer against the command's `# →` comment, npx gatehouse from the sources.
# GH_WHERE, GH_CMD and GH_EXPECT are set by the test before each command.
gh_report() {
  printf 'README %s\n  command: %s\n  %s\n' "$GH_WHERE" "$GH_CMD" "$1" >&2
}
gh_check() {
  local status=$1 body=$2 want=${GH_EXPECT:-}
  if [[ $want =~ ^([0-9]{3})([^0-9]|$) ]]; then
    [[ $status == "${BASH_REMATCH[1]}" ]] || { gh_report "answered HTTP $status, the README says $want; the answer: $(head -c 600 "$body")"; return 1; }
  elif (( status >= 400 )); then
    gh_report "answered HTTP $status; the answer: $(head -c 600 "$body")"; return 1
  fi
  local token
  while IFS= read -r token; do
    [[ -z $token ]] && continue
    grep -qF -- "$token" "$body" || { gh_report "the answer lacks $token that the README shows ($want); the answer: $(head -c 600 "$body")"; return 1; }
  done < <(grep -oE '"[A-Za-z0-9_]+"(:(-?[0-9]+|true|false|null)([,}]|$))?' <<<"$want" | sed -E 's/[,}]$//')
  if [[ $want =~ ^[A-Za-z0-9_-]+$ ]]; then
    grep -qF -- "$want" "$body" || { gh_report "the answer lacks $want; the answer: $(head -c 600 "$body")"; return 1; }
  fi
}
curl() {
  local body status
  body=$(mktemp)
  if ! status=$(command curl -sS -o "$body" -w '%{http_code}' "$@"); then
    gh_report "curl could not complete the request"; return 1
  fi
  cat "$body"
  gh_check "$status" "$body"
}
npx() {
  [[ ${1:-} == gatehouse ]] || { command npx "$@"; return; }
  shift
  local out
  out=$(mktemp)
  (cd "$GH_ROOT" && node --import tsx src/main.ts "$@") > "$out" || { cat "$out"; gh_report "the command failed"; return 1; }
  cat "$out"
  # The # → comment is this command's only when it is the command itself, not a $(…) inside another.
  if [[ $GH_CMD == *"npx gatehouse"* && $GH_CMD != *'$(npx gatehouse'* ]]; then gh_check 200 "$out"; fi
}
trap 'rc=$?; gh_report "exited with status $rc"' ERR
