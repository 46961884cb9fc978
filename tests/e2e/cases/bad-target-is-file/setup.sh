echo "not a directory" > "$OUT_DIR/blocked"
