#!/usr/bin/env python3
"""Joins the paragraphs of plain-text books into documents of at least N sentences, for concept-LM training on
text that runs across paragraph ends (docs/default-model.md, "Documents across paragraph ends"). Chapter,
volume and book headings and short one-word titles end a document and are dropped, as `CorpusReader.readBooks`
drops them; sentences are counted by a simple rule (end punctuation, closing quotes, then a capital), so the
documents hold about N sentences by the SDK's segmenter. Writes one file per input, documents separated by
blank lines.

    scripts/join-paragraphs.py N OUT_DIR BOOK.txt...
"""
import os
import re
import sys

HEADING = re.compile(r'(?i)^(chapter|volume|book)\s+[0-9ivxlc]+\.?$')
SENTENCE_END = re.compile(r'[.!?]["\')]*\s+(?=["\'(]?[A-Z])')


def join(text, n):
    blocks, current, count = [], [], 0
    for para in (re.sub(r'\s+', ' ', p).strip() for p in re.split(r'\n\s*\n', text)):
        if not para:
            continue
        if HEADING.match(para) or (' ' not in para and len(para) < 30):
            if current:
                blocks.append(' '.join(current))
            current, count = [], 0
            continue
        current.append(para)
        count += len(SENTENCE_END.findall(para)) + 1
        if count >= n:
            blocks.append(' '.join(current))
            current, count = [], 0
    if current:
        blocks.append(' '.join(current))
    return blocks


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    n, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for path in sorted(sys.argv[3:]):
        with open(path, encoding='utf-8') as f:
            blocks = join(f.read(), n)
        with open(os.path.join(out, os.path.basename(path)), 'w', encoding='utf-8') as f:
            f.write('\n\n'.join(blocks) + '\n')


if __name__ == '__main__':
    main()
