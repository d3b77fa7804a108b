package org.sonarllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.sonarllm.decode.DecodingOptions;
import org.sonarllm.decode.Lexicon;
import org.sonarllm.training.data.CorpusReader;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * The lexicon flags of the commands that decode ({@link DecodingOptions#withLexicon}): by default the bundle's own
 * lexicon (its {@code lexicon} component, if any); {@code --lexicon PATH} the words found in a text instead (a file
 * or a directory, read as the training commands read a corpus; a word list with one word per line is such a
 * text); {@code --no-lexicon} none.
 */
final class LexiconFlag {
    @ArgGroup(exclusive = true)
    Choice choice;

    static final class Choice {
        @Option(names = "--lexicon", paramLabel = "PATH", description = "Write only words found in this text (file or "
                + "directory; a word list, one per line, works) instead of the bundle's lexicon.")
        Path text;

        @Option(names = "--no-lexicon", description = "Write any word, even if the bundle has a lexicon.")
        boolean none;
    }

    /**
     * @param d decoding options
     * @param bundle the bundle's lexicon, or null
     * @return them with the lexicon these flags choose
     * @throws UsageException if the text does not exist
     */
    DecodingOptions apply(DecodingOptions d, Lexicon bundle) {
        if (choice == null) {
            return d.withLexicon(bundle);
        }
        return d.withLexicon(choice.none ? null : read(choice.text));
    }

    /**
     * @param d decoding options
     * @return the size of their lexicon, 0 without one (the evaluations report it)
     */
    static int size(DecodingOptions d) {
        return d.lexicon() == null ? 0 : d.lexicon().size();
    }

    /**
     * @param text a text file or directory
     * @return the lexicon of its words
     * @throws UsageException if the path does not exist or its text has no word
     */
    static Lexicon read(Path text) {
        if (!Files.exists(text)) {
            throw new UsageException("lexicon text not found: " + text);
        }
        List<String> texts = CorpusReader.read(text).stream().map(CorpusReader.RawDocument::text).toList();
        if (texts.stream().allMatch(t -> Lexicon.words(t).isEmpty())) {
            throw new UsageException("lexicon text has no word: " + text);
        }
        return Lexicon.fromTexts(texts);
    }
}
