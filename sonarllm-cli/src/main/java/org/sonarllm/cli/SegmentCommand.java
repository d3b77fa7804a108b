package org.sonarllm.cli;

import org.sonarllm.lang.Language;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenter;
import org.sonarllm.segment.SentenceSegmenters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonarllm segment [--lang L]}: all of stdin is one text; prints one line per sentence,
 * {@code {"text": ..., "start": n, "end": n}} with UTF-16 offsets into the input.
 *
 * <pre>{@code
 * echo "Mr. Darcy left. He came back." | ./sonarllm segment
 * {"text":"Mr. Darcy left.","start":0,"end":15}
 * {"text":"He came back.","start":16,"end":29}
 * }</pre>
 */
@Command(name = "segment", mixinStandardHelpOptions = true,
        description = "Split stdin into sentences: one JSON line {text, start, end} per sentence "
                + "(offsets in UTF-16 code units).")
final class SegmentCommand extends CliCommand {
    @Option(names = "--lang", converter = LanguageConverter.class, defaultValue = "eng_Latn",
            description = "FLORES-200 language code (default: ${DEFAULT-VALUE}).")
    Language lang;

    /** One output line. */
    record Line(String text, int start, int end) {}

    @Override
    protected int run() {
        SentenceSegmenter seg = SentenceSegmenters.forLanguage(lang);
        for (Segment s : seg.segment(stdinText())) {
            json().write(new Line(s.text(), s.start(), s.end()));
        }
        return 0;
    }
}
