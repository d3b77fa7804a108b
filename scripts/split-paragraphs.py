#!/usr/bin/env python3
"""Cuts the paragraphs of plain-text files into documents of at most N sentences, for concept-LM training on
text whose paragraphs are far longer than the trainer's document limit (`train --max-sentences`, 32 positions:
it keeps a document's first 31 sentences and drops the rest). The State of the Union addresses that
`scripts/extra-corpus.sh` writes are one paragraph per address; cut into documents of 6 sentences they give
the concept LM all of their text (docs/default-model.md, "More text for the concept LM"). The counterpart of
`scripts/join-paragraphs.py`. Sentences are cut by a simple rule (end punctuation, white space, then a capital
or a double quote); white space inside a paragraph is collapsed. Writes every document of every input, in
order, to one file, separated by blank lines.

    scripts/split-paragraphs.py N OUT_FILE TEXT.txt...
"""
import re
import sys

SENTENCE_END = re.compile(r'(?<=[.!?])\s+(?=[A-Z"])')


def split(text, n):
    docs = []
    for paragraph in re.split(r'\n\s*\n', text):
        p = ' '.join(paragraph.split())
        if not p:
            continue
        sentences = SENTENCE_END.split(p)
        for i in range(0, len(sentences), n):
            docs.append(' '.join(sentences[i:i + n]))
    return docs


def main(argv):
    if len(argv) < 4 or not argv[1].isdigit() or int(argv[1]) < 1:
        sys.exit('usage: scripts/split-paragraphs.py N OUT_FILE TEXT.txt...  (N >= 1)')
    n, out = int(argv[1]), argv[2]
    docs = []
    for path in argv[3:]:
        with open(path, encoding='utf-8') as f:
            docs += split(f.read(), n)
    with open(out, 'w', encoding='utf-8') as f:
        f.write('\n\n'.join(docs) + '\n')
    print(f'{len(docs)} documents -> {out}', file=sys.stderr)


if __name__ == '__main__':
    main(sys.argv)
