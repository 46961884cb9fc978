# 40-security: secrets and terminals (issue items 7, 10 and the PostgreSQL
# parts of 21). Sourced by tests/suites/26-hostile.sh (see its header).
#   item 7   a password appears nowhere - run at debug level (text and JSON
#            logs), plan, plan --json, validate --connect, status, status
#            --json, the bytes of .sluice/state.db - for: a "%" that starts
#            no escape, an unescaped "@", "password:secret" in a conninfo, a
#            percent-encoded password holding every URL-special character
#            (right and wrong), a quoted conninfo password with an escaped
#            quote, PGPASSWORD, ${ENV} interpolation, sslpassword; malformed
#            URLs fail at once (no retry) with the remedy;
#   item 10  a value holding a newline and escape sequences reaches a text
#            log line escaped, never as a forged line or a terminal command;
#   item 21  TLS failures (sslmode=require against a server without TLS, a
#            certificate signed by another CA) are permanent and say so; a
#            snapshot lost with its server names the real cause.

SEC_PORT=${DB_URL##*:}; SEC_PORT=${SEC_PORT%%/*}
# Percent-encodes every byte but the unreserved ones.
sec_pct() {
  local LC_ALL=C s=$1 i c out=
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in [a-zA-Z0-9._~-]) out+=$c ;; *) printf -v c '%%%02X' "'$c"; out+=$c ;; esac
  done
  printf '%s' "$out"
}
# A job reading sec_t whose url is ${SEC_URL} (or $2 written into the file).
sec_job() {   # dir [url-in-file]
  mkdir -p "$1"
  cat > "$1/job.yaml" <<EOF
name: sec
retries: 3
retry_backoff: 2s
sources:
  pg: { kind: postgres, url: '${2:-\${SEC_URL\}}' }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  sec_t: { from: pg, table: public.sec_t, to: lake, partition: { column: id, count: 2 } }
EOF
}
# Runs every command that may print or store an error of the job in dir;
# RC and SECS are those of the first (text) run.
sec_all() {   # dir
  local d=$1 t0
  rm -rf "$d/.sluice" "$d/lake"
  t0=$(date +%s%N)
  RC=0; (cd "$d" && "$SLUICE_BIN" run --log-level debug --no-progress job.yaml) >"$d/run.out" 2>"$d/run.err" || RC=$?
  SECS=$(( ($(date +%s%N) - t0) / 1000000 ))
  (cd "$d" && "$SLUICE_BIN" run --fresh --log-level debug --log-format json --no-progress job.yaml) >"$d/json.out" 2>"$d/json.err"
  "$SLUICE_BIN" plan --log-level debug "$d/job.yaml" >"$d/plan.out" 2>"$d/plan.err"
  "$SLUICE_BIN" plan --json --log-level debug "$d/job.yaml" >"$d/planj.out" 2>"$d/planj.err"
  "$SLUICE_BIN" validate --connect --log-level debug "$d/job.yaml" >"$d/val.out" 2>"$d/val.err"
  "$SLUICE_BIN" status "$d/job.yaml" >"$d/status.out" 2>"$d/status.err"
  "$SLUICE_BIN" status --json "$d/job.yaml" >"$d/statusj.out" 2>"$d/statusj.err"
}
# No secret in any output of sec_all nor in the state store's bytes.
sec_no_leak() {   # name dir secret...
  local name=$1 d=$2 s where; shift 2
  for s in "$@"; do
    where=$(grep -alF -- "$s" "$d"/*.out "$d"/*.err "$d"/.sluice/state.db* 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
    if [ -n "$where" ]; then bad "item 7: $name: secret [$s] printed or stored in: $where"; return; fi
  done
  [ -s "$d/.sluice/state.db" ] || { bad "item 7: $name: no state store to search"; return; }
  ok "item 7: $name: no secret in run (text, json), plan, plan --json, validate --connect, status, status --json, state.db"
}
# A malformed url: permanent (one attempt, well under the 2 s backoff), with a remedy.
sec_fails_fast() {   # name dir remedy-regex
  local name=$1 d=$2 re=$3
  if [ "$RC" = 1 ] && [ "$SECS" -lt 1900 ] && ! grep -qi "retrying" "$d/run.err" && grep -Eqi -- "$re" "$d/run.err" &&
     grep -Eqi -- "$re" "$d/val.err"; then
    ok "item 7: $name: fails at once (${SECS} ms, no retry), says /$re/"
  else
    bad "item 7: $name: exit $RC in ${SECS} ms (want 1, no retry, /$re/):"; tail -n 3 "$d/run.err" | sed 's/^/    /'
  fi
}

SEC_P1="Zq7:@/?#[]%&=+ '\"\\*~,;\$!x"          # every URL-special character
SEC_P2="with spaces' q"                          # a conninfo value needing quotes and an escape
SEC_P3="Pg3nvZq9pw"                              # through PGPASSWORD
psql -X -q -d hostile -v ON_ERROR_STOP=1 -v p1="$SEC_P1" -v p2="$SEC_P2" -v p3="$SEC_P3" <<'SQL'
CREATE TABLE sec_t (id int PRIMARY KEY, v text);
INSERT INTO sec_t SELECT g, 'row ' || g FROM generate_series(1, 100) g;
INSERT INTO sec_t VALUES (1000, E'x\n2030-01-01T00:00:00.000Z error forged line\u001b[2J\u001b]0;owned\u0007\u009b31m');
DROP ROLE IF EXISTS sec_special; DROP ROLE IF EXISTS sec_quoted; DROP ROLE IF EXISTS sec_env;
CREATE ROLE sec_special LOGIN PASSWORD :'p1';
CREATE ROLE sec_quoted LOGIN PASSWORD :'p2';
CREATE ROLE sec_env LOGIN PASSWORD :'p3';
GRANT SELECT ON sec_t TO sec_special, sec_quoted, sec_env;
SQL
SEC_HP="127.0.0.1:$SEC_PORT"

# --- item 7: the three malformed shapes --------------------------------------
sec_job "$HW/pct"
SEC_URL="postgres://sec_special:Sec50%offZq9@$SEC_HP/hostile" sec_all "$HW/pct"
sec_fails_fast "a % that starts no escape" "$HW/pct" "%25"
sec_no_leak "a % that starts no escape" "$HW/pct" "Sec50%offZq9" "50%off"

sec_job "$HW/at"
SEC_URL="postgres://sec_special:SecZ@q9word@$SEC_HP/hostile" sec_all "$HW/at"
sec_fails_fast "an unescaped @ in the password" "$HW/at" "%40"
sec_no_leak "an unescaped @ in the password" "$HW/at" "SecZ@q9word" "q9word"

sec_job "$HW/colon"
SEC_URL="host=127.0.0.1 port=$SEC_PORT dbname=hostile user=sec_special password:SecColonZq9" sec_all "$HW/colon"
sec_fails_fast "password:secret in a conninfo" "$HW/colon" "key=value"
sec_no_leak "password:secret in a conninfo" "$HW/colon" "SecColonZq9"

# --- item 7: well-formed urls, right and wrong ------------------------------
SEC_E1=$(sec_pct "$SEC_P1")
sec_job "$HW/special" "postgres://sec_special:$SEC_E1@$SEC_HP/hostile"
sec_all "$HW/special"
[ "$RC" = 0 ] && ok "item 7: a percent-encoded password with every URL-special character connects" \
  || { bad "item 7: percent-encoded special password: exit $RC"; tail -n 3 "$HW/special/run.err" | sed 's/^/    /'; }
sec_no_leak "percent-encoded special password" "$HW/special" "$SEC_P1" "$SEC_E1"
sec_job "$HW/special-wrong" "postgres://sec_special:$SEC_E1$SEC_E1@$SEC_HP/hostile"
sec_all "$HW/special-wrong"
grep -qi "authentication failed" "$HW/special-wrong/run.err" && ok "item 7: the wrong special password is refused" \
  || bad "item 7: the wrong special password: $(tail -n 1 "$HW/special-wrong/run.err")"
sec_no_leak "wrong percent-encoded special password" "$HW/special-wrong" "$SEC_P1" "$SEC_E1"

sec_job "$HW/quoted"
SEC_URL="host=127.0.0.1 port=$SEC_PORT dbname=hostile user=sec_quoted password='with spaces\\' q'" sec_all "$HW/quoted"
[ "$RC" = 0 ] && ok "item 7: a quoted conninfo password with an escaped quote connects" \
  || { bad "item 7: quoted conninfo password: exit $RC"; tail -n 3 "$HW/quoted/run.err" | sed 's/^/    /'; }
sec_no_leak "quoted conninfo password" "$HW/quoted" "$SEC_P2" "with spaces"
SEC_URL="host=127.0.0.1 port=$SEC_PORT dbname=no_such_db user=sec_quoted password='with spaces\\' q'" \
  sec_all "$HW/quoted"
grep -qi "does not exist" "$HW/quoted/run.err" && ok "item 7: quoted password, missing database: refused" \
  || bad "item 7: quoted password, missing database: $(tail -n 1 "$HW/quoted/run.err")"
sec_no_leak "quoted conninfo password, failing" "$HW/quoted" "$SEC_P2" "with spaces"

sec_job "$HW/env"
SEC_URL="postgres://sec_env@$SEC_HP/hostile" PGPASSWORD=$SEC_P3 sec_all "$HW/env"
[ "$RC" = 0 ] && ok "item 7: PGPASSWORD connects" || bad "item 7: PGPASSWORD: exit $RC"
sec_no_leak "PGPASSWORD" "$HW/env" "$SEC_P3"
SEC_URL="postgres://sec_env@$SEC_HP/no_such_db" PGPASSWORD=$SEC_P3 sec_all "$HW/env"
sec_no_leak "PGPASSWORD, failing" "$HW/env" "$SEC_P3"

sec_job "$HW/interp"
SEC_URL="postgres://sec_special:$SEC_E1@$SEC_HP/no_such_db" sec_all "$HW/interp"
sec_no_leak "\${ENV} interpolation, failing" "$HW/interp" "$SEC_P1" "$SEC_E1"

# --- item 7 and 21: sslpassword; TLS required by the client, not offered -----
sec_job "$HW/tls"
SEC_URL="host=127.0.0.1 port=$SEC_PORT dbname=hostile user=sec_env password=$SEC_P3 sslmode=require sslpassword=SslZq9pw" \
  sec_all "$HW/tls"
if [ "$RC" = 1 ] && [ "$SECS" -lt 1900 ] && ! grep -qi "retrying" "$HW/tls/run.err" &&
   grep -qi "TLS" "$HW/tls/run.err" && ! grep -qi "check that the server is up" "$HW/tls/run.err"; then
  ok "item 21: sslmode=require against a server without TLS: permanent (${SECS} ms, no retry), says TLS"
else
  bad "item 21: sslmode=require without TLS: exit $RC in ${SECS} ms:"; tail -n 2 "$HW/tls/run.err" | sed 's/^/    /'
fi
sec_no_leak "sslpassword" "$HW/tls" "SslZq9pw" "$SEC_P3"

# --- item 10: a value with a newline and escape sequences in a text log -----
SEC_CTL='[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]'   # raw C0 (but \t \n), DEL, C1
SEC_SHOWN='x\n2030-01-01T00:00:00.000Z error forged line\x1b[2J\x1b]0;owned\x07\u009b'
# No raw control character, no line that starts like a forged log line, and
# the value shown with its escapes.
sec_ctl_check() {   # name file [shown]
  if ! grep -q "forged line" "$2"; then
    bad "item 10: $1: the value is not in the output at all (cannot check its escaping):"; tail -n 2 "$2"
  elif ! grep -qaP "$SEC_CTL" "$2" && ! grep -q "^2030-01-01T00:00:00.000Z error forged" "$2" &&
       grep -qF -- "${3:-$SEC_SHOWN}" "$2"; then
    ok "item 10: $1: newline and escape sequences shown escaped (no forged line, no raw ESC/BEL/CSI)"
  else
    bad "item 10: $1: raw control characters or a forged line:"; grep -a "forged" "$2" | cat -v | head -n 3
  fi
}
# A csv value holding a real newline, a fake log line, ESC and OSC sequences, BEL and a C1 CSI.
mkdir -p "$HW/ctl-csv"
printf 'id,v\n1,"x\n2030-01-01T00:00:00.000Z error forged line\033[2J\033]0;owned\007\302\23331m"\n' > "$HW/ctl-csv/t.csv"
cat > "$HW/ctl-csv/job.yaml" <<'EOF'
name: ctl
retries: 0
sources:
  f: { kind: csv, path: . }
targets:
  lake: { kind: csv, path: ./lake }
tables:
  t: { from: f, file: t.csv, to: lake, columns: { id: int64, v: int64 } }
EOF
sl_try ctl-run "$SLUICE_BIN" run --no-progress "$HW/ctl-csv/job.yaml"
sec_ctl_check "a csv value in the text log" "$HW/ctl-run.err"
"$SLUICE_BIN" status "$HW/ctl-csv/job.yaml" >"$HW/ctl-status.out" 2>&1
sec_ctl_check "a csv value in sluice status" "$HW/ctl-status.out"
sl_try ctl-json "$SLUICE_BIN" run --fresh --no-progress --log-format json "$HW/ctl-csv/job.yaml"
node -e 'const fs=require("fs");let n=0;for(const l of fs.readFileSync(process.argv[1],"utf8").split("\n"))
  if(l){const j=JSON.parse(l);if(j.msg.includes("\n2030-01-01T00:00:00.000Z error forged line\x1b[2J"))n++;}
  process.exit(n?0:1)' "$HW/ctl-json.err" \
  && ok "item 10: JSON log lines stay valid JSON and keep the value exactly" \
  || { bad "item 10: JSON log lines:"; head -c 600 "$HW/ctl-json.err"; }

# A PostgreSQL column name with a newline and ESC (plan), and a server error quoting such a value.
psql -X -q -d hostile -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE sec_ctl (id int PRIMARY KEY, "col
2030-01-01T00:00:00.000Z error forged line" text);
INSERT INTO sec_ctl VALUES (1, 'one');
SQL
mkdir -p "$HW/ctl-pg"
cat > "$HW/ctl-pg/job.yaml" <<EOF
name: ctlpg
retries: 0
sources:
  pg: { kind: postgres, url: "$DB_URL" }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  sec_ctl: { from: pg, table: public.sec_ctl, to: lake, partition: none }
  sec_cast: { from: pg, query: "select id, v::int as v from sec_t where id = 1000", to: lake, partition: none }
EOF
sl_try ctl-plan "$SLUICE_BIN" plan "$HW/ctl-pg/job.yaml"
sec_ctl_check "a column name in sluice plan" "$HW/ctl-plan.out" 'col\n2030-01-01T00:00:00.000Z error forged line'
sl_try ctl-pg "$SLUICE_BIN" run --no-progress "$HW/ctl-pg/job.yaml"
sec_ctl_check "a server error quoting a value, in the text log" "$HW/ctl-pg.err" \
  'x 2030-01-01T00:00:00.000Z error forged line\x1b[2J\x1b]0;owned\x07\u009b31m'

# --- item 21: on a private server: certificates, and a snapshot lost with its server
(
  W=$HW/private; mkdir -p "$W"           # the suite's exit handler removes W: keep it ours
  sl_suite_private_pg || { echo "skip: item 21 checks on a private server (it did not start)"; exit 0; }
  PORT=$SL_PG_PORT
  # A self-signed server certificate for another name, and an unrelated CA.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wrong.example" -keyout "$SL_PG_DIR/server.key" \
    -out "$SL_PG_DIR/server.crt" >/dev/null 2>&1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other-ca" -keyout "$HW/other.key" \
    -out "$HW/other.crt" >/dev/null 2>&1
  cp "$SL_PG_DIR/server.crt" "$HW/server.crt"
  chmod 600 "$SL_PG_DIR/server.key"
  [ "$(id -u)" = 0 ] && chown postgres: "$SL_PG_DIR/server.key" "$SL_PG_DIR/server.crt"
  psql -X -q -d postgres -c "ALTER SYSTEM SET ssl = on" -c "ALTER SYSTEM SET ssl_cert_file = '$SL_PG_DIR/server.crt'" \
    -c "ALTER SYSTEM SET ssl_key_file = '$SL_PG_DIR/server.key'" -c "SELECT pg_reload_conf()" >/dev/null
  sl_pg_createdb sec
  psql -X -q -d sec -v ON_ERROR_STOP=1 -c "CREATE TABLE big (id int PRIMARY KEY, v text)" \
    -c "INSERT INTO big SELECT g, repeat('v', 50) FROM generate_series(1, 40000) g" -c "ANALYZE big"
  if psql -X -q "host=127.0.0.1 port=$PORT dbname=sec sslmode=require" -c "select 1" >/dev/null 2>&1; then
    for c in "other-ca:$HW/other.crt:certificate verify failed" "wrong-name:$HW/server.crt:does not match host name"; do
      name=${c%%:*}; rest=${c#*:}; root=${rest%%:*}; libpq=${rest#*:}
      sec_job "$HW/tls-$name"
      SEC_URL="host=127.0.0.1 port=$PORT dbname=sec sslmode=verify-full sslrootcert=$root" sec_all "$HW/tls-$name"
      e="$HW/tls-$name/run.err"
      if [ "$RC" = 1 ] && [ "$SECS" -lt 1900 ] && ! grep -qi "retrying" "$e" && grep -qi "$libpq" "$e" &&
         grep -qi "TLS settings.*certificate" "$e" && ! grep -qi "check that the server is up" "$e"; then
        ok "item 21: TLS $name ($libpq): permanent (${SECS} ms, no retry), the remedy names the certificate"
      else
        bad "item 21: TLS $name: exit $RC in ${SECS} ms (want 1, no retry, /$libpq/, a certificate remedy):"
        tail -n 2 "$e" | sed 's/^/    /'
      fi
    done
  else
    bad "item 21: the private server did not turn TLS on (cannot check certificates)"
  fi

  # The server goes away for good in the middle of a run: the error names why.
  mkdir -p "$HW/gone"
  cat > "$HW/gone/job.yaml" <<EOF
name: gone
retries: 2
retry_backoff: 200ms
sources:
  pg: { kind: postgres, url: "$SLUICE_PG_URL/sec", rows_per_second: 4000, max_connections: 2 }
targets:
  lake: { kind: parquet, path: ./lake }
tables:
  big: { from: pg, table: public.big, to: lake, partition: { column: id, strategy: range, count: 8 } }
EOF
  ("$SLUICE_BIN" run --workers 2 --no-progress --log-level debug "$HW/gone/job.yaml" >"$HW/gone/run.out" \
     2>"$HW/gone/run.err"; echo $? >"$HW/gone/rc") &
  # Stopped while the first tasks stream: the later ones meet sessions (and a snapshot) gone with it.
  for i in $(seq 1 100); do grep -q "task 1/8 started" "$HW/gone/run.err" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  sl_pg_as "$SL_PG_BIN/pg_ctl" -D "$SL_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
  wait
  last=$(grep " error " "$HW/gone/run.err" | tail -n 1)
  "$SLUICE_BIN" status "$HW/gone/job.yaml" >"$HW/gone/status.out" 2>&1
  if [ "$(cat "$HW/gone/rc")" = 1 ] && grep -qi "refused" <<<"$last" && grep -qi "refused" "$HW/gone/status.out"; then
    ok "item 21: a snapshot lost with its server: the run's error and status name the cause (connection refused)"
  else
    bad "item 21: a snapshot lost with its server: exit $(cat "$HW/gone/rc"), the error hides the cause:"
    echo "    $last" | cut -c1-400; grep -i "error" "$HW/gone/status.out" | head -n 3 | cut -c1-300 | sed 's/^/    /'
  fi
  exit $fail
) || fail=1
