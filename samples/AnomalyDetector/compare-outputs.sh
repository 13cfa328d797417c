#!/usr/bin/env bash
# Compares two outputs of AnomalyDetector: every line but the "timing:" ones must have the same words, and every
# number (readings, probabilities, counts) must agree within a tolerance (absolute, default 1e-6).
#   compare-outputs.sh jit.txt aot.txt [tolerance]
# Prints the largest difference found and exits non-zero if any line disagrees.
set -euo pipefail
tolerance="${3:-1e-6}"
awk -v tol="$tolerance" -v a="$1" -v b="$2" '
function num(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?[,)]?$/ }
function strip(s) { sub(/[,)]$/, "", s); return s + 0 }
BEGIN {
  while ((getline la < a) > 0) { if (la !~ /^timing:/) A[++na] = la }
  while ((getline lb < b) > 0) { if (lb !~ /^timing:/) B[++nb] = lb }
  if (na != nb) { printf "different line counts: %d and %d\n", na, nb; bad = 1 }
  n = na < nb ? na : nb; max = 0; numbers = 0
  for (i = 1; i <= n; i++) {
    ka = split(A[i], wa, " "); kb = split(B[i], wb, " ")
    if (ka != kb) { printf "line %d differs:\n  %s\n  %s\n", i, A[i], B[i]; bad = 1; continue }
    for (j = 1; j <= ka; j++) {
      if (num(wa[j]) && num(wb[j])) {
        d = strip(wa[j]) - strip(wb[j]); if (d < 0) d = -d; numbers++
        if (d > max) { max = d; where = i }
        if (d > tol) { printf "line %d: %s vs %s (difference %g)\n", i, wa[j], wb[j], d; bad = 1 }
      } else if (wa[j] != wb[j]) { printf "line %d differs:\n  %s\n  %s\n", i, A[i], B[i]; bad = 1; break }
    }
  }
  printf "%d lines, %d numbers compared; largest difference %g (line %d); tolerance %g: %s\n", n, numbers, max, where, tol, bad ? "DIFFERENT" : "same"
  exit bad
}'
