#!/usr/bin/env bash
# Regenerates the SentencePiece golden files that SentencePieceGoldenTest compares the project's pure-Java
# SentencePiece against, using Google's reference tools from Debian's `sentencepiece` package
# (spm_train, spm_encode, spm_decode, spm_normalize; the committed goldens were made with 0.1.97-3+b1).
#
# Usage: scripts/spm-goldens.sh [--retrain]
#   --retrain  also retrain the four small test models with spm_train (they are committed; retraining
#              changes them and therefore every golden of theirs).
#
# Output, in sonarllm-core/src/test/resources/org/sonarllm/tokenize/spm/:
#   texts.txt               the inputs, one per line (UTF-8; may hold tabs, CR, NUL and other controls,
#                           never LF): Austen sentences, hand-written hard cases, seeded random strings
#   MANIFEST.tsv            name, model resource, sha256 of the model, for every model below
#   NAME.ids                spm_encode --output_format=id of each line of texts.txt
#   NAME.decoded            spm_decode --input_format=id of each line of NAME.ids
#   NAME.normalized         spm_normalize --use_internal_normalization of each line of texts.txt, for
#                           the three distinct normalizers (tiny-a's nmt_nfkc, which austen, bpe-fallback
#                           and unigram share; unigram-suffix-cf's nfkc_cf; bpe-identity's none)
#   NAME.random-ids         seeded random id sequences (no <0x0A> byte piece, which would split a line)
#   NAME.random-decoded     spm_decode of each line of NAME.random-ids
#   nmt_nfkc-charsmap.tsv   a sample of `spm_normalize --decompile` of the nmt_nfkc rules: every rule
#                           whose source is one code point, and every 50th other rule
# Models: tiny-a (the reference fixture's BPE), austen (models/austen/tokenizer, copied into the test
# resources' hf-austen fixture), and four trained here on the Austen novels plus a few lines in other
# scripts: bpe-fallback (BPE, nmt_nfkc, byte fallback, user-defined and control symbols), unigram
# (UNIGRAM, nmt_nfkc, user-defined symbols), unigram-suffix-cf (UNIGRAM, nfkc_cf, whitespace as suffix,
# extra whitespace kept, byte fallback), bpe-identity (BPE, no normalization rules, no dummy prefix);
# and bpe-unused / unigram-unused, copies of austen / unigram with some pieces marked UNUSED (see below).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RES="$ROOT/sonarllm-core/src/test/resources"
OUT="$RES/org/sonarllm/tokenize/spm"
RETRAIN=0
[ "${1:-}" = "--retrain" ] && RETRAIN=1

for t in spm_train spm_encode spm_decode spm_normalize perl sha256sum; do
  command -v "$t" >/dev/null 2>&1 || { echo "missing $t (apt-get install -y sentencepiece perl coreutils)" >&2; exit 1; }
done
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ---- the texts -------------------------------------------------------------------------------------
perl - "$ROOT/data/austen" > "$OUT/texts.txt" <<'PERL'
use strict; use warnings; no warnings 'nonchar';
binmode STDOUT, ':utf8';
my $dir = shift;
# 1. Austen sentences: paragraphs of the six novels, white space collapsed, split after . ! ? (and a
#    closing quote) before a capital; every 17th sentence of 2..600 characters.
my @sent;
for my $book (qw(emma mansfieldpark northangerabbey persuasion prideprejudice sensesensibility)) {
  open my $f, '<:encoding(UTF-8)', "$dir/$book.txt" or die "$book: $!";
  local $/ = undef; my $text = <$f>; close $f;
  $text =~ s/\r//g;
  for my $para (split /\n\s*\n/, $text) {
    $para =~ s/\s+/ /g; $para =~ s/^ //; $para =~ s/ $//;
    next if $para eq '';
    push @sent, split /(?:(?<=[.!?])|(?<=[.!?]["'\x{201D}\x{2019}])) (?=["'\x{201C}\x{2018}]?[A-Z])/, $para;
  }
}
my $i = 0;
for my $s (@sent) { print "$s\n" if $i++ % 17 == 0 && length($s) >= 2 && length($s) <= 600; }

# 2. Hard cases.
my @hard = (
  "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
  "\x{FB01}ne \x{FB02}ow \x{FB00} \x{FB03} \x{FB04} \x{FB05}", "\x{FF26}\x{FF55}\x{FF4C}\x{FF4C}\x{FF0D}\x{FF57}\x{FF49}\x{FF44}\x{FF54}\x{FF48}\x{3000}\x{FF54}\x{FF45}\x{FF58}\x{FF54}\x{FF01}",
  "\x{FF11}\x{FF12}\x{FF13} \x{FF21}\x{FF22}\x{FF23} \x{FF41}\x{FF42}\x{FF43}", "\x{2460} \x{2461} \x{2469} \x{2473} \x{24B6}\x{24D0}",
  "\x{BD} \x{BC} \x{BE} \x{2153} \x{215E}", "\x{2122} \x{2103} \x{2109} \x{2116} \x{2121} \x{2100}",
  "\x{FF76}\x{FF80}\x{FF76}\x{FF85} \x{FF8A}\x{FF9F}\x{FF9D}", "\x{212B} \x{C5} A\x{30A}", "caf\x{E9} cafe\x{301} na\x{EF}ve nai\x{308}ve",
  "n\x{303} o\x{302}\x{323} \x{1E9B}\x{323} q\x{307}\x{323}", "\x{1100}\x{1161}\x{11A8} \x{D55C}\x{AE00}", "x\x{B2} y\x{B3} H\x{2082}O 10\x{2076}",
  "\x{337F} \x{32FF} \x{3300} \x{33A1}", "Wait\x{2026} what\x{2025}", "\x{2160}\x{2161}\x{216B} \x{2170}\x{217B}",
  "\x{210C}\x{1D522}\x{1D529}\x{1D529}\x{1D52C} \x{1D401}\x{1D428}\x{1D425}\x{1D41D} \x{1D7D9}\x{1D7DA}",
  "a\tb\tc", "\ttab first", "tab last\t", "   leading spaces", "trailing spaces   ", "multiple     inner   spaces",
  "\x{3000}ideographic\x{3000}space\x{3000}", "no\x{A0}break\x{A0}space", "thin\x{2009}space hair\x{200A}space em\x{2003}space",
  "zero\x{200B}width\x{200C}non\x{200D}joiner", "\x{FEFF}byte order mark", "line\x{2028}separator para\x{2029}graph",
  "carriage\rreturn", "next\x{85}line", "vertical\x{0B}tab form\x{0C}feed", "\x{01}\x{02}\x{03} control \x{1F}\x{7F}",
  "C1 \x{80}\x{81}\x{9F} controls", "nul\x{00}inside", "\x{00}", " ", "\t", "\x{3000}", "\x{200B}",
  "\x{1F600}", "smile \x{1F600} grin \x{1F601}", "\x{1F44D}\x{1F3FD} thumbs", "\x{1F468}\x{200D}\x{1F469}\x{200D}\x{1F467} family",
  "\x{1F1EB}\x{1F1F7} flag", "\x{2764}\x{FE0F} heart", "1\x{FE0F}\x{20E3} keycap", "xyz\x{1F600}\x{1F600}\x{1F600}abc",
  "\x{65E5}\x{672C}\x{8A9E}\x{306E}\x{30C6}\x{30AD}\x{30B9}\x{30C8}", "\x{4E2D}\x{6587}\x{6587}\x{672C}\x{3002}", "\x{D55C}\x{AD6D}\x{C5B4} \x{D14D}\x{C2A4}\x{D2B8}",
  "\x{645}\x{631}\x{62D}\x{628}\x{627} \x{628}\x{627}\x{644}\x{639}\x{627}\x{644}\x{645}", "\x{5E9}\x{5DC}\x{5D5}\x{5DD}", "\x{928}\x{92E}\x{938}\x{94D}\x{924}\x{947}",
  "\x{E2A}\x{E27}\x{E31}\x{E2A}\x{E14}\x{E35}", "\x{393}\x{3B5}\x{3B9}\x{3AC} \x{3C3}\x{3BF}\x{3C5}", "\x{41F}\x{440}\x{438}\x{432}\x{435}\x{442}, \x{43C}\x{438}\x{440}!",
  "\x{10D2}\x{10D0}\x{10DB}\x{10D0}\x{10E0}\x{10EF}\x{10DD}\x{10D1}\x{10D0}", "\x{1230}\x{120B}\x{121D}", "\x{BB5}\x{BA3}\x{B95}\x{BCD}\x{B95}\x{BAE}\x{BCD}", "\x{1785}\x{17BC}\x{179B}",
  "\x{2581}", "\x{2581}\x{2581}", "a\x{2581}b", "\x{2581}leading meta", "\x{FFFD}", "bad \x{FFFD} char", "\x{E000}\x{F8FF} private use",
  "\x{10FFFF} last", "\x{FFFE}\x{FFFF} nonchars",
  "<sep>", "a<sep>b", "\@\@", "x\@\@y", "Mr. Darcy and Mr.Bingley", "\x{2665}", "I \x{2665} Emma", "<ctl>", "<s> </s> <unk> <pad>", "<0x41><0x0A>",
  "1811", "3.14159", "1,000,000 and 2,5", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "!!!!!!", "...", "----", "\"\"\"", "''",
  "The  quick\t\tbrown \x{A0}\x{A0}fox", "EMMA WOODHOUSE, handsome, clever, and rich", "eMMA wOODHOUSE",
  "Stra\x{DF}e \x{1E9E} \x{130} \x{131} \x{3A3}\x{3C3}\x{3C2}", "\x{FB06} \x{FB13}", "\x{2126} \x{212A}",
  join(' ', ('She was the youngest of the two daughters of a most affectionate, indulgent father.') x 20),
);
print "$_\n" for @hard;

# 3. Seeded random strings.
srand(20240601);
my @pools = (
  [40, [0x20, 0x7E]], [6, [0x20, 0x20]], [2, [0x09, 0x09]], [8, [0xA0, 0x24F]], [5, [0x300, 0x36F]],
  [5, [0xFF01, 0xFF5E]], [5, [0x4E00, 0x9FFF]], [3, [0xAC00, 0xD7A3]], [3, [0x3040, 0x30FF]],
  [4, [0x1F300, 0x1F64F]], [2, [0x00, 0x09]], [1, [0x0B, 0x1F]], [2, [0x7F, 0x9F]], [4, [0x2000, 0x206F]],
  [1, [0x3000, 0x3000]], [1, [0xFEFF, 0xFEFF]], [3, [0x2100, 0x218F]], [2, [0x2460, 0x24FF]], [1, [0xFB00, 0xFB06]],
  [2, [0xFE10, 0xFE6F]], [1, [0x600, 0x6FF]], [1, [0x900, 0x97F]], [1, [0xE00, 0xE7F]], [1, [0x2581, 0x2581]],
  [1, [0xFFF9, 0xFFFD]], [1, [0x1D400, 0x1D7FF]], [1, [0x1100, 0x11FF]], [1, [0x3200, 0x33FF]],
);
my $total = 0; $total += $_->[0] for @pools;
for my $line (1 .. 1200) {
  my $len = 1 + int(rand(40));
  my $s = '';
  for (1 .. $len) {
    my $r = rand($total);
    for my $p (@pools) {
      if (($r -= $p->[0]) < 0) { my ($lo, $hi) = @{$p->[1]}; $s .= chr($lo + int(rand($hi - $lo + 1))); last; }
    }
  }
  print "$s\n";
}
PERL

# ---- the trained models ----------------------------------------------------------------------------
if [ "$RETRAIN" = 1 ] || [ ! -f "$OUT/unigram.model" ]; then
  for n in emma mansfieldpark northangerabbey prideprejudice sensesensibility; do
    tr -d '\r' < "$ROOT/data/austen/$n.txt" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | grep -v '^$' | awk 'NR % 3 == 0'
  done > "$WORK/train.txt"
  cat >> "$WORK/train.txt" <<'EOF'
Il fait beau aujourd'hui, et nous irons nous promener au bord de la rivière.
Das Wetter ist heute schön, und wir gehen am Fluss spazieren.
Hace buen tiempo hoy y vamos a pasear junto al río.
Сегодня хорошая погода, и мы пойдём гулять у реки.
Σήμερα ο καιρός είναι καλός και θα περπατήσουμε δίπλα στο ποτάμι.
今日は天気が良いので、川のそばを散歩します。
今天天气很好，我们去河边散步。
오늘은 날씨가 좋아서 강가를 산책합니다.
الطقس جميل اليوم وسنتمشى بجانب النهر.
आज मौसम अच्छा है और हम नदी के किनारे टहलेंगे।
I ♥ Emma <sep> Mr. Knightley @@ Highbury 1815
EOF
  common=(--input=train.txt --num_threads=1 --random_seed=7 --input_sentence_size=0
          --shuffle_input_sentence=false --minloglevel=2 --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1)
  ( cd "$WORK" && spm_train "${common[@]}" --model_prefix=bpe-fallback --model_type=bpe --vocab_size=1200 \
      --character_coverage=0.9995 --byte_fallback=true --user_defined_symbols='<sep>,@@,Mr.' --control_symbols='<ctl>' )
  ( cd "$WORK" && spm_train "${common[@]}" --model_prefix=unigram --model_type=unigram --vocab_size=1500 \
      --character_coverage=0.9995 --user_defined_symbols='<sep>,♥' )
  ( cd "$WORK" && spm_train "${common[@]}" --model_prefix=unigram-suffix-cf --model_type=unigram --vocab_size=1000 \
      --character_coverage=0.999 --normalization_rule_name=nfkc_cf --treat_whitespace_as_suffix=true \
      --remove_extra_whitespaces=false --byte_fallback=true --split_digits=true )
  ( cd "$WORK" && spm_train "${common[@]}" --model_prefix=bpe-identity --model_type=bpe --vocab_size=800 \
      --character_coverage=1.0 --normalization_rule_name=identity --add_dummy_prefix=false )
  for m in bpe-fallback unigram unigram-suffix-cf bpe-identity; do cp "$WORK/$m.model" "$OUT/$m.model"; done
fi

# ---- UNUSED pieces ---------------------------------------------------------------------------------
# spm_train never writes UNUSED pieces, so two models get some: a copy of the Austen BPE and of the
# unigram model in which every 5th NORMAL piece of more than one character (ids >= 10) is marked UNUSED
# (SentencePiece.type = 5), by rewriting the protobuf.
mark_unused() {
  perl -e '
    use strict; use warnings;
    local $/; open my $in, "<:raw", $ARGV[0] or die $!; my $b = <$in>; close $in;
    sub rv { my ($s, $p) = @_; my ($v, $sh) = (0, 0); while (1) { my $c = ord substr($$s, $$p++, 1); $v |= ($c & 127) << $sh; $sh += 7; return $v if $c < 128 } }
    sub wv { my $v = shift; my $o = ""; while ($v >= 128) { $o .= chr(($v & 127) | 128); $v >>= 7 } return $o . chr($v) }
    my ($p, $out, $id) = (0, "", 0);
    while ($p < length $b) {
      my $k = rv(\$b, \$p); my ($f, $w) = ($k >> 3, $k & 7);
      die "unexpected wire type $w" unless $w == 2 || $w == 0;
      if ($w == 0) { my $v = rv(\$b, \$p); $out .= wv($k) . wv($v); next }
      my $len = rv(\$b, \$p); my $msg = substr($b, $p, $len); $p += $len;
      if ($f == 1) {
        my ($q, $piece, $type, $rest) = (0, "", 1, "");
        while ($q < length $msg) {
          my $kk = rv(\$msg, \$q); my ($ff, $ww) = ($kk >> 3, $kk & 7);
          if ($ww == 2) { my $l = rv(\$msg, \$q); my $v = substr($msg, $q, $l); $q += $l; $piece = $v if $ff == 1; $rest .= wv($kk) . wv($l) . $v }
          elsif ($ww == 5) { $rest .= wv($kk) . substr($msg, $q, 4); $q += 4 }
          elsif ($ff == 3) { $type = rv(\$msg, \$q) }
          else { my $v = rv(\$msg, \$q); $rest .= wv($kk) . wv($v) }
        }
        utf8::decode(my $chars = $piece);
        $type = 5 if $type == 1 && $id >= 10 && length($chars) > 1 && $id % 5 == 0;
        $msg = $rest . ($type == 1 ? "" : wv(3 << 3) . wv($type));
        $id++;
      }
      $out .= wv($k) . wv(length $msg) . $msg;
    }
    open my $o, ">:raw", $ARGV[1] or die $!; print $o $out; close $o;
  ' "$1" "$2"
}
mark_unused "$ROOT/models/austen/tokenizer/sentencepiece.bpe.model" "$OUT/bpe-unused.model"
mark_unused "$OUT/unigram.model" "$OUT/unigram-unused.model"

# ---- the goldens -----------------------------------------------------------------------------------
mkdir -p "$RES/org/sonarllm/tokenize/hf-austen"
cp "$ROOT/models/austen/tokenizer/sentencepiece.bpe.model" "$RES/org/sonarllm/tokenize/hf-austen/sentencepiece.bpe.model"
# name, class-path resource of the model, whether to write NAME.normalized
models=(
  "tiny-a org/sonarllm/testing/tiny-a/tokenizer/sentencepiece.bpe.model yes"
  "austen org/sonarllm/tokenize/hf-austen/sentencepiece.bpe.model no"
  "bpe-fallback org/sonarllm/tokenize/spm/bpe-fallback.model no"
  "unigram org/sonarllm/tokenize/spm/unigram.model no"
  "unigram-suffix-cf org/sonarllm/tokenize/spm/unigram-suffix-cf.model yes"
  "bpe-identity org/sonarllm/tokenize/spm/bpe-identity.model yes"
  "bpe-unused org/sonarllm/tokenize/spm/bpe-unused.model no"
  "unigram-unused org/sonarllm/tokenize/spm/unigram-unused.model no"
)
printf '# name\tmodel (class-path resource)\tsha256\tspm version\n' > "$OUT/MANIFEST.tsv"
version="$(dpkg-query -W -f='${Version}' sentencepiece 2>/dev/null || echo unknown)"
for entry in "${models[@]}"; do
  read -r name res norm <<<"$entry"
  model="$RES/$res"
  spm_encode --model="$model" --output_format=id < "$OUT/texts.txt" > "$OUT/$name.ids"
  spm_decode --model="$model" --input_format=id < "$OUT/$name.ids" > "$OUT/$name.decoded"
  if [ "$norm" = yes ]; then
    spm_normalize --model="$model" --use_internal_normalization=true < "$OUT/texts.txt" > "$OUT/$name.normalized"
  fi
  size="$(spm_export_vocab --model="$model" | wc -l)"
  nl_byte="$(spm_export_vocab --model="$model" | awk -F'\t' '$1 == "<0x0A>" {print NR - 1}')"
  perl -e 'srand($ARGV[0]); my ($n, $skip) = ($ARGV[1], $ARGV[2]);
           for (1 .. 400) { my @ids; for (1 .. 1 + int(rand(30))) { my $i; do { $i = int(rand($n)) } while ($skip ne "" && $i == $skip); push @ids, $i } print join(" ", @ids), "\n" }' \
       "$(printf '%s' "$name" | cksum | cut -d' ' -f1)" "$size" "${nl_byte:-}" > "$OUT/$name.random-ids"
  spm_decode --model="$model" --input_format=id < "$OUT/$name.random-ids" > "$OUT/$name.random-decoded"
  printf '%s\t%s\t%s\t%s\n' "$name" "/$res" "$(sha256sum "$model" | cut -d' ' -f1)" "$version" >> "$OUT/MANIFEST.tsv"
done

# ---- the nmt_nfkc rules ----------------------------------------------------------------------------
spm_normalize --model="$RES/org/sonarllm/testing/tiny-a/tokenizer/sentencepiece.bpe.model" --decompile \
    --output="$WORK/charsmap.tsv"
awk -F'\t' 'split($1, a, " ") == 1 || NR % 50 == 0 { print $1 "\t" $2 }' "$WORK/charsmap.tsv" > "$OUT/nmt_nfkc-charsmap.tsv"

wc -l "$OUT"/texts.txt "$OUT"/*.ids "$OUT"/nmt_nfkc-charsmap.tsv >&2
echo "goldens written to $OUT" >&2
