# 20-csv.sh - hostile CSV input, through the binary: compressed files cut
# short or padded (item 3, 21), CR-only line ends (4), globs whose files
# order their columns differently (11), numbers float64 would change (15),
# and the rejects file (21 and the review): its directory is created, `plan`
# and `validate --connect` leave it alone, a resumed run keeps the rows of
# the tasks it kept. Sourced by tests/suites/26-hostile.sh (helpers there).

D=$HW/in
mkdir -p "$D"

# csv_job NAME FILE [MORE_TABLE_KEYS]: a job reading FILE (a name or glob in
# $D) into a csv target $HW/out-NAME.
csv_job() {
  cat >"$HW/$1.yaml" <<EOF
name: $1
sources: { s: { kind: csv, path: "$D" } }
targets: { l: { kind: csv, path: "$HW/out-$1" } }
tables: { t: { from: s, to: l, file: "$2"${3:+, $3} } }
EOF
}
# rows_of NAME: the published rows of job NAME, headers left out, sorted.
rows_of() { cat "$HW/out-$1"/t/part-*.csv 2>/dev/null | grep -v '^id,\|^first,\|^big,' | sort; }

# ---- item 3: a compressed file cut short, trailing garbage, several members
{ echo id,name; seq 1 30000 | sed 's/.*/&,name number &/'; } >"$HW/full.csv"
gzip -c "$HW/full.csv" >"$HW/full.csv.gz"
zstd -q -c "$HW/full.csv" >"$HW/full.csv.zst"
for z in gz zst; do
  cp "$HW/full.csv.$z" "$D/t.csv.$z"
  csv_job cut-$z "t.csv.$z"
  sl_try cut-$z-good "$SLUICE_BIN" run "$HW/cut-$z.yaml" --no-progress
  before=$(sl_tree "$HW/out-cut-$z"; cat "$HW/out-cut-$z"/t/* | md5sum)
  size=$(stat -c %s "$HW/full.csv.$z")
  head -c $((size / 2)) "$HW/full.csv.$z" >"$D/t.csv.$z"
  sl_try item3-$z-cut-in-half "$SLUICE_BIN" run "$HW/cut-$z.yaml" --no-progress --fresh
  sl_expect item3-$z-cut-in-half 1 "t\.csv\.$z: the (gzip|zstd) data ends unexpectedly at byte offset $((size / 2))"
  after=$(sl_tree "$HW/out-cut-$z"; cat "$HW/out-cut-$z"/t/* | md5sum)
  if [ "$before" = "$after" ]; then ok "item 3: .$z cut short: the previous table is intact"
  else bad "item 3: .$z cut short: the published table changed"; fi
done
cp "$HW/full.csv.gz" "$D/corrupt.csv.gz"
printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' |
  dd of="$D/corrupt.csv.gz" bs=1 seek=2000 conv=notrunc status=none
csv_job corrupt corrupt.csv.gz
sl_try item21-corrupt-gz "$SLUICE_BIN" run "$HW/corrupt.yaml" --no-progress
sl_expect item21-corrupt-gz 1 "corrupt\.csv\.gz: corrupt gzip data near byte offset [0-9]+"
if grep -q '<fd:' "$HW"/item*.err; then bad "item 21: a gzip error names a descriptor (<fd:N>)"
else ok "item 21: gzip errors name the file, never <fd:N>"; fi

{ cat "$HW/full.csv.gz"; printf 'garbage'; } >"$D/junk.csv.gz"
csv_job junk junk.csv.gz
sl_try item3-gz-trailing-garbage "$SLUICE_BIN" run "$HW/junk.yaml" --no-progress
sl_expect item3-gz-trailing-garbage 1 "junk\.csv\.gz: .*from byte offset $(stat -c %s "$HW/full.csv.gz"), are not another gzip member"
[ -e "$HW/out-junk/t" ] && bad "item 3: trailing garbage: a table was published" || ok "item 3: trailing garbage: nothing published"

{ printf 'id,name\n1,a\n' | gzip -c; printf '2,b\n' | gzip -c; printf '3,c\n' | gzip -c; } >"$D/cat.csv.gz"
{ printf 'id,name\n1,a\n' | zstd -q -c; printf '2,b\n3,c\n' | zstd -q -c; } >"$D/cat.csv.zst"
for z in gz zst; do
  csv_job cat-$z "cat.csv.$z"
  sl_try cat-$z "$SLUICE_BIN" run "$HW/cat-$z.yaml" --no-progress
  got=$(rows_of cat-$z | tr '\n' ' ')
  if [ "$RC" = 0 ] && [ "$got" = "1,a 2,b 3,c " ]; then ok "item 3: every member / frame of a .$z is read"
  else bad "item 3: concatenated .$z: exit $RC, rows '$got'"; fi
done

: >"$D/empty.csv.gz"
csv_job empty empty.csv.gz
sl_try item3-empty-gz "$SLUICE_BIN" run "$HW/empty.yaml" --no-progress
sl_expect item3-empty-gz 1 "empty\.csv\.gz: the gzip data ends unexpectedly at byte offset 0"

# ---- item 4: CR-only and mixed line ends
printf 'id,name\r1,a\r2,"x\ry"\r3,c\r\n4,d\n5,e' >"$D/mac.csv"
csv_job mac mac.csv
sl_try mac "$SLUICE_BIN" run "$HW/mac.yaml" --no-progress
n=$(rows_of mac | grep -c '^[0-9]')
if [ "$RC" = 0 ] && [ "$n" = 5 ] && grep -q $'x\ry' "$HW"/out-mac/t/part-*.csv; then
  ok "item 4: CR-only / mixed line ends: 5 rows, the CR inside quotes kept"
else bad "item 4: CR-only line ends: exit $RC, $n rows"; cat "$HW/mac.err"; fi

# ---- item 11: a glob maps each file's columns by header name
printf 'first,last\nAda,Lovelace\n' >"$D/p-1.csv"
printf 'last,first\nTuring,Alan\n' >"$D/p-2.csv"
csv_job glob "p-*.csv"
sl_try glob "$SLUICE_BIN" run "$HW/glob.yaml" --no-progress
got=$(rows_of glob | tr '\n' ' ')
if [ "$RC" = 0 ] && [ "$got" = "Ada,Lovelace Alan,Turing " ]; then ok "item 11: last,first lands in first,last"
else bad "item 11: glob by name: exit $RC, rows '$got'"; fi
printf 'first\nGrace\n' >"$D/p-3.csv"
sl_try item11-glob-file-lacks-a-column "$SLUICE_BIN" run "$HW/glob.yaml" --no-progress
sl_expect item11-glob-file-lacks-a-column 1 "column last is not in the header of .*p-3\.csv.*p-1\.csv"
rm "$D/p-3.csv"
printf 'first,last,born\nGrace,Hopper,1906\n' >"$D/p-3.csv"
sl_try item11-glob-file-has-an-extra-column "$SLUICE_BIN" run "$HW/glob.yaml" --no-progress --fresh
sl_expect item11-glob-file-has-an-extra-column 1 "p-3\.csv has column born, which the header of .*p-1\.csv"
rm "$D/p-3.csv"

# ---- item 15: inference keeps every digit
printf 'big,x,huge\n12345678901234567,1.5,1e400\n99999999999999999999,2,2\n-5,12345678901234567,3\n' >"$D/big.csv"
csv_job big big.csv
sl_try big-plan "$SLUICE_BIN" plan "$HW/big.yaml"
if grep -q 'schema big decimal(38,0), x decimal(38,1), huge string' "$HW/big-plan.out"; then
  ok "item 15: too big for int64 -> decimal, float64-changing -> decimal, 1e400 -> string"
else bad "item 15: inferred schema:"; grep schema "$HW/big-plan.out"; fi
sl_try big "$SLUICE_BIN" run "$HW/big.yaml" --no-progress
if [ "$RC" = 0 ] && grep -q '^12345678901234567,1.5,1e400$' "$HW"/out-big/t/part-*.csv \
   && grep -q '^-5,12345678901234567.0,3$' "$HW"/out-big/t/part-*.csv; then
  ok "item 15: 12345678901234567 keeps its digits"
else bad "item 15: exit $RC, rows:"; cat "$HW"/out-big/t/part-*.csv 2>/dev/null | head -5; fi

# ---- item 21 / review: the rejects file
printf 'id\n1\n2,2\n' >"$D/r-1.csv"
printf 'id\n3\n4,4\n' >"$D/r-2.csv"
mkdir -p "$HW/rejplan"
echo "the rows of an earlier run" >"$HW/rejplan/bad.csv"
csv_job rejplan "r-*.csv" "rejects: \"$HW/rejplan/bad.csv\""
sl_try rejplan-plan "$SLUICE_BIN" plan "$HW/rejplan.yaml"
sl_try rejplan-validate "$SLUICE_BIN" validate "$HW/rejplan.yaml" --connect
if [ "$(sl_tree "$HW/rejplan"; cat "$HW/rejplan/bad.csv")" = "$(printf './bad.csv\nthe rows of an earlier run')" ]; then
  ok "review: plan and validate --connect leave an existing rejects file alone"
else bad "review: plan/validate changed the rejects file: $(sl_tree "$HW/rejplan"; head -c 200 "$HW/rejplan/bad.csv")"; fi
csv_job rej "r-*.csv" "rejects: \"$HW/rej/sub/bad.csv\""
sl_try rej-plan "$SLUICE_BIN" plan "$HW/rej.yaml"
sl_try rej-validate "$SLUICE_BIN" validate "$HW/rej.yaml" --connect
if [ ! -e "$HW/rej" ]; then ok "review: plan and validate --connect create no rejects file"
else bad "review: plan/validate created $(sl_tree "$HW/rej")"; fi
sl_try rej-run "$SLUICE_BIN" run "$HW/rej.yaml" --no-progress --workers 1
if [ "$RC" = 0 ] && grep -q 'r-1.csv",3,' "$HW/rej/sub/bad.csv" && grep -q 'r-2.csv",3,' "$HW/rej/sub/bad.csv"; then
  ok "item 21: the rejects file's directory is created; both files' bad rows are in it"
else bad "item 21: rejects: exit $RC"; cat "$HW/rej-run.err"; fi
before=$(sl_tree "$HW/rej"; md5sum <"$HW/rej/sub/bad.csv")
sl_try rej-plan2 "$SLUICE_BIN" plan "$HW/rej.yaml"
sl_try rej-validate2 "$SLUICE_BIN" validate "$HW/rej.yaml" --connect
after=$(sl_tree "$HW/rej"; md5sum <"$HW/rej/sub/bad.csv")
if [ "$before" = "$after" ]; then ok "review: plan and validate --connect leave the rejects file as it is"
else bad "review: plan or validate changed the rejects file"; fi
# A run whose second task fails, then its resume: the first task is kept,
# and so are its rejected rows.
sl_try rej-fail env SLUICE_FAILPOINT=task-start:error@2 "$SLUICE_BIN" run "$HW/rej.yaml" --no-progress --workers 1 --fresh
fail_rc=$RC
sl_try rej-resume "$SLUICE_BIN" run "$HW/rej.yaml" --no-progress --workers 1
if [ "$fail_rc" = 1 ] && grep -q '1 task kept' "$HW/rej-resume.err" && [ "$RC" = 0 ] \
   && grep -q 'r-1.csv",3,' "$HW/rej/sub/bad.csv" && grep -q 'r-2.csv",3,' "$HW/rej/sub/bad.csv"; then
  ok "review: a resumed run keeps the rejected rows of the task it kept"
else bad "review: resume: exit $RC, rejects:"; cat "$HW/rej/sub/bad.csv"; tail -3 "$HW/rej-resume.err"; fi
