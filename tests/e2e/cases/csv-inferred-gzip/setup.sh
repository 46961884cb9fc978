# the inputs, compressed: one gzip, one zstd
mkdir -p "$WORK_DIR/input"
gzip -c "$CASE_DIR/input/sales-1.csv" > "$WORK_DIR/input/sales-1.csv.gz"
zstd -q -c "$CASE_DIR/input/sales-2.csv" > "$WORK_DIR/input/sales-2.csv.zst"
