# Sourced by ./hub: the commands, one line each, and the help of those that do not answer --help themselves.
# Needs nothing but bash and sed, so `./hub help` works on a fresh clone before anything is installed.

# <command>|<one line>. A command marked * answers --help itself (its own usage, with the addresses it would use).
# Every script in package.json has a line here, and only those (test/setup/hub-script.int.test.ts checks both ways).
HUB_COMMANDS='
start|run local Kafka, Redis, PostgreSQL, the demo clients, a witness and the hub in the foreground (Ctrl-C stops them)
stop|stop the local Kafka, Redis and PostgreSQL cleanly (their data stays in LOCAL_DATA_DIR)
status|show whether the local Kafka, Redis, PostgreSQL and hub answer, with addresses and pids
infra*|manage the local stack alone: up [--brokers 3], down [--wipe], status, provision, sasl
token*|print an access token for a demo client: ./hub token <clientId>
verify*|verify a signed notification or an inbox page against the hub JWKS; print payloads
dlq*|list what the dead-letter topics hold, or redrive one record once its cause is fixed
rebuild*|rebuild Redis views from their topics beside the ones served, and follow: ./hub rebuild [--discard] [view ...]
test|run what CI runs: typecheck, lint, unit and integration tests (real Kafka and Redis)
test:unit|run the unit tests only (no Kafka, no Redis)
test:int|run the integration tests only (real Kafka and Redis, found or started)
typecheck|type-check the whole workspace (tsc, no output files)
console*|add a person to the IG console (local password or OIDC subject): ./hub console add-user --help
console:build|build the IG console browser app into services/console/ui/dist (vite; ./hub start and ./hub test run it)
lint|run eslint (type-aware, library boundaries), prettier --check and the cycle check
cycles|check for import cycles between modules (dependency-cruiser)
format|rewrite files with prettier, then apply eslint fixes
contracts:generate|regenerate contracts/generated and the service faces in the READMEs
keys*|the hub keys: ./hub keys init (first start: signing and audit log keys), ./hub keys rotate (then SIGHUP)
witness*|run a transparency-log witness (its own key and state; another organisation runs it): ./hub witness [vkey]
audit*|export audit events with their proofs, or verify a bundle or the whole log with public keys only: ./hub audit export, ./hub audit verify
bench|run the benchmarks against the local stack; print a table (test/bench/README.md)
'

# The script names in package.json, in order (prettier keeps one script per line).
hub_scripts() { sed -n '/^  "scripts": {/,/^  }/s/^    "\([^"]*\)": .*/\1/p' package.json; }

# No pipeline into a reader that stops early (grep -q, awk's exit): under ./hub's pipefail the writer's SIGPIPE made
# the whole command exit 141 now and then on a busy machine. Input comes from a here-string or process substitution.
hub_is_command() { grep -qxF -- "$1" < <(hub_scripts); }

# The one line of a command, with its * mark if any; empty when the command has none.
hub_line() { awk -F'|' -v name="$1" '$1 == name || $1 == name "*" { print; exit }' <<<"$HUB_COMMANDS"; }

# The command line of a script in package.json, as sh runs it.
hub_script() {
  awk -v key="    \"$1\": \"" 'index($0, key) == 1 { v = substr($0, length(key) + 1); sub(/",?$/, "", v); gsub(/\\"/, "\"", v); print v; exit }' package.json
}

hub_answers_help_itself() { case "$(hub_line "$1")" in "$1*|"*) return 0 ;; *) return 1 ;; esac; }

hub_ports_help() {
  cat <<'TEXT'
Ports and data of the local stack (one set of variables, read by infra/local/src/settings.ts, moves all of it:
infra/local, the hub of ./hub start, its token URL, and ./hub token, verify, dlq, rebuild and bench):
  LOCAL_KAFKA_PORT             Kafka broker             default 9092
  LOCAL_KAFKA_CONTROLLER_PORT  KRaft controller         default 9093
  LOCAL_REDIS_PORT             Redis                    default 6380
  LOCAL_POSTGRES_PORT          PostgreSQL               default 5433
  LOCAL_HUB_PORT               the hub's HTTP API       default 8080
  LOCAL_DATA_DIR               data, logs, pid files    default .data/local
  LOCAL_KAFKA_BROKERS          Kafka nodes (1 or 3)     default 1 (node n on the ports above + 10(n - 1))
On a shared machine, export them once per shell, e.g.:
  export LOCAL_KAFKA_PORT=19092 LOCAL_KAFKA_CONTROLLER_PORT=19093 LOCAL_REDIS_PORT=16380 LOCAL_POSTGRES_PORT=15433 \
    LOCAL_HUB_PORT=18080
TEXT
}

hub_help() {
  echo 'usage: ./hub <command> [arguments]      ./hub <command> --help explains one and runs nothing'
  echo
  local name line
  while IFS= read -r name; do
    line="$(hub_line "$name")"
    printf '  %-20s %s\n' "$name" "${line#*|}"
    [ -n "$line" ] || printf '  %-20s %s\n' '' '(no description yet: add one in scripts/help.sh)'
  done < <(hub_scripts)
  echo
  hub_ports_help
}

# Help for a command that does not answer --help itself: its line, what it runs, and more for a few.
hub_command_help() {
  local line
  line="$(hub_line "$1")"
  echo "usage: ./hub $1"
  echo
  echo "${line#*|}"
  echo "runs: $(hub_script "$1")"
  case "$1" in
    start)
      cat <<'TEXT'

Starts the local Kafka and Redis unless they are already running (./hub infra up), writes the demo clients' keys and
the hub's env file (HUB_DEMO_DIR, default .data/demo), then runs the hub on http://127.0.0.1:$LOCAL_HUB_PORT until
Ctrl-C. Before anything starts, every port is checked: one taken by another program stops it, naming the variable
to set. A healthy start logs no error-level line.

TEXT
      hub_ports_help
      ;;
    stop | status)
      echo
      hub_ports_help
      ;;
    test | test:int)
      cat <<'TEXT'

Arguments go to vitest (e.g. a file filter). The integration tests use KAFKA_BROKERS and REDIS_URL when both are set
(with POSTGRES_URL, else the local PostgreSQL), else containers when a container runtime answers, else the local
stack: yours when it runs on LOCAL_DATA_DIR, otherwise one they start and stop. If another program holds one of its ports, they start a private stack on free
ports in a temp dir instead. HUB_KEEP_LOCAL_STACK=1 keeps a stack they started.
TEXT
      ;;
  esac
}
