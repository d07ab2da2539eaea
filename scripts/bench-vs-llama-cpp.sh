#!/usr/bin/env bash
# llama3j bench and llama.cpp's llama-bench on the same files, alternated, in one run; prints each test's tokens/s
# for both and the ratio llama3j / llama.cpp (above 1: llama3j faster).
#   scripts/bench-vs-llama-cpp.sh [-b LLAMA_BENCH] [-p 512] [-n 128] [-r 2] [-t 2] [-R ROUNDS] [-x "--exact"] MODEL.gguf...
# Each round runs every model with both engines, the engine order flipped every other round; the table gives the
# median over rounds of each engine's avg_ts. llama-bench is not part of llama3j: build it from llama.cpp.
set -euo pipefail
bench=llama-bench p=512 n=128 r=2 t=2 rounds=1 extra=
while getopts "b:p:n:r:t:R:x:" o; do
  case $o in b) bench=$OPTARG ;; p) p=$OPTARG ;; n) n=$OPTARG ;; r) r=$OPTARG ;; t) t=$OPTARG ;; R) rounds=$OPTARG ;;
    x) extra=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-b LLAMA_BENCH] [-p N] [-n N] [-r N] [-t N] [-R ROUNDS] [-x OPTS] MODEL.gguf..." >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((round = 1; round <= rounds; round++)); do
  for model in "$@"; do
    engines=(java cpp)
    if ((round % 2 == 0)); then engines=(cpp java); fi
    for e in "${engines[@]}"; do
      f="$out/$round.$e.$(basename "$model").json"
      if [ "$e" = java ]; then
        # shellcheck disable=SC2086
        "$root/llama3j" bench -m "$model" -p "$p" -n "$n" -r "$r" -t "$t" -o json $extra > "$f"
      else
        "$bench" -m "$model" -p "$p" -n "$n" -r "$r" -t "$t" -o json > "$f" 2>/dev/null
      fi
    done
  done
done
python3 - "$out" "$@" <<'PY'
import json, os, statistics, sys
out, models = sys.argv[1], sys.argv[2:]
def rates(engine, model):
    by = {}
    for f in sorted(os.listdir(out)):
        if f.split('.', 2)[1] == engine and f.endswith(os.path.basename(model) + '.json'):
            for row in json.load(open(os.path.join(out, f))):
                test = ('pp%d' % row['n_prompt']) if row['n_prompt'] else ('tg%d' % row['n_gen'])
                by.setdefault(test, []).append(row['avg_ts'])
    return {k: statistics.median(v) for k, v in by.items()}
print('| model | test | llama3j t/s | llama.cpp t/s | ratio |')
print('|---|---|---:|---:|---:|')
for m in models:
    j, c = rates('java', m), rates('cpp', m)
    for test in j:
        print('| %s | %s | %.2f | %.2f | %.2f |' % (os.path.basename(m), test, j[test], c.get(test, float('nan')),
                                                   j[test] / c[test] if test in c else float('nan')))
PY
