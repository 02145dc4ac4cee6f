#!/usr/bin/env python3
"""Extract questions and gold labels from a banking77-style CSV (header text,category; quoted
fields may contain commas) into two line-aligned files, for `deskhook group-questions` and
/work/shared/tools/eval_groups.py.

usage: extract_banking77.py CSV TEXTS_OUT GOLD_OUT [--shuffle SEED]
--shuffle reorders the questions (same order in both files) to check order-robustness."""
import csv, random, sys

def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    rows = [(r["text"].replace("\n", " ").strip(), r["category"])
            for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"))]
    if "--shuffle" in sys.argv:
        random.Random(int(sys.argv[sys.argv.index("--shuffle") + 1])).shuffle(rows)
    with open(sys.argv[2], "w", encoding="utf-8") as t, open(sys.argv[3], "w", encoding="utf-8") as g:
        for text, cat in rows:
            t.write(text + "\n")
            g.write(cat + "\n")

if __name__ == "__main__":
    main()
