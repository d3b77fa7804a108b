package org.sonarllm.tokenize;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.sonarllm.InvalidInputException;
import org.sonarllm.ModelFormatException;
import org.sonarllm.SonarLlmException;
import org.sonarllm.lang.Language;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SONAR / NLLB tokenizer: SentencePiece pieces in the Hugging Face NLLB id layout. {@code <s>}=0,
 * {@code <pad>}=1, {@code </s>}=2, {@code <unk>}=3; the spm piece with id i has id i+1 (the spm
 * {@code <unk>} maps to 3); language k of {@code languages.txt} has id {@code pieceCount()+1+k};
 * {@code <mask>} follows the languages.
 *
 * <pre>{@code
 * try (SonarTokenizer tok = SonarTokenizer.load(Path.of("nllb/tokenizer"))) {
 *     int[] enc = tok.encoderIds("Hello there.", Language.ENGLISH);   // [eng_Latn, pieces..., </s>]
 *     int[] prefix = tok.decoderPrefix(Language.ENGLISH);             // [</s>, eng_Latn]
 *     String text = tok.decode(enc);                                  // "Hello there."
 * }
 * }</pre>
 *
 * <p><b>Length.</b> Id sequences longer than {@link #maxLength()} (default 512) are cut: the
 * language token and the final {@code </s>} are kept, pieces after the first {@code maxLength-2}
 * are dropped, and a warning is logged. {@link #pieces(String)} is never cut.
 *
 * <p><b>Text.</b> Null, empty and white-space-only text is rejected with {@link
 * InvalidInputException}. Unpaired UTF-16 surrogates (not valid Unicode) are replaced by U+FFFD
 * before tokenization (NLLB's {@code nmt_nfkc} normalization then drops it, as it drops control
 * characters).
 *
 * <p><b>Implementation.</b> SentencePiece runs in pure Java (package-private, BPE and UNIGRAM models,
 * the model's own normalization): no native library, no network connection, no telemetry.
 *
 * <p><b>Thread-safety.</b> Instances are thread-safe without locking: all state is immutable (the
 * closed flag is volatile). {@link #close()} is idempotent; other methods throw {@link
 * IllegalStateException} after it.
 */
public final class SonarTokenizer implements AutoCloseable {
    /** Hugging Face NLLB special ids. */
    public static final int BOS = 0, PAD = 1, EOS = 2, UNK = 3;
    /** Name of the SentencePiece model file in a tokenizer directory. */
    public static final String MODEL_FILE = "sentencepiece.bpe.model";
    /** Name of the language list (one FLORES-200 code per line, in id order). */
    public static final String LANGUAGES_FILE = "languages.txt";
    /**
     * Name of the tokenizer config: this project's (optional, cross-checked when present) or Hugging Face's
     * (the language table of a folder without {@value #LANGUAGES_FILE}).
     */
    public static final String CONFIG_FILE = "tokenizer_config.json";
    /** Name of Hugging Face's special tokens map, read (for {@code additional_special_tokens}) in a HF folder. */
    public static final String SPECIAL_TOKENS_FILE = "special_tokens_map.json";
    /** Default {@link #maxLength()}: NLLB's {@code model_max_length}. */
    public static final int DEFAULT_MAX_LENGTH = 512;

    private static final Logger LOG = LoggerFactory.getLogger(SonarTokenizer.class);

    private final SentencePiece sp;
    private final SpModelFile model;
    private final List<Language> languages;
    private final int pieceCount;
    private final int maskId;
    private final int maxLength;
    private volatile boolean closed;

    private SonarTokenizer(SentencePiece sp, List<Language> languages, int maxLength) {
        this.sp = sp;
        this.model = sp.model();
        this.languages = List.copyOf(languages);
        this.pieceCount = model.size();
        this.maskId = pieceCount + 1 + languages.size();
        this.maxLength = maxLength;
    }

    /**
     * Loads a tokenizer directory with the default maximum length of {@value #DEFAULT_MAX_LENGTH}.
     *
     * @param dir a tokenizer directory, see {@link #load(Path, int)}
     * @return the tokenizer; close it when done
     * @throws ModelFormatException if a file is missing, corrupt or inconsistent (the message names it)
     */
    public static SonarTokenizer load(Path dir) {
        return load(dir, DEFAULT_MAX_LENGTH);
    }

    /**
     * Loads a tokenizer directory. Two layouts are accepted, both with {@value #MODEL_FILE}:
     * <ul>
     *   <li>this project's: {@value #LANGUAGES_FILE} (the 202 FLORES-200 codes in NLLB order) and an
     *       optional {@value #CONFIG_FILE} whose id fields are cross-checked;
     *   <li>a Hugging Face NLLB tokenizer folder as downloaded (no {@value #LANGUAGES_FILE}): the language
     *       table comes from its {@value #CONFIG_FILE} ({@code added_tokens_decoder}, else {@code
     *       additional_special_tokens}), else from {@value #SPECIAL_TOKENS_FILE}, else the built-in NLLB
     *       list; every source present must agree with {@link Language#all()} and the ids. {@code
     *       tokenizer.json} is ignored.
     * </ul>
     *
     * @param dir the tokenizer directory
     * @param maxLength the longest id sequence produced, at least 3
     * @return the tokenizer; close it when done
     * @throws ModelFormatException if a file is missing, corrupt or inconsistent (the message names it)
     * @throws InvalidInputException if {@code dir} is null or {@code maxLength < 3}
     */
    public static SonarTokenizer load(Path dir, int maxLength) {
        if (dir == null) {
            throw new InvalidInputException("tokenizer directory must not be null");
        }
        if (maxLength < 3) {
            throw new InvalidInputException("maxLength must be >= 3 (language, one piece, </s>), got " + maxLength);
        }
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException("tokenizer directory not found: " + dir);
        }
        Path modelPath = dir.resolve(MODEL_FILE);
        byte[] bytes = readFile(modelPath, "SentencePiece model");
        SentencePiece sp = SentencePiece.load(bytes, modelPath);
        List<Language> languages = TokenizerFiles.languages(dir, sp.model().size());
        SonarTokenizer tok = new SonarTokenizer(sp, languages, maxLength);
        Path config = dir.resolve(CONFIG_FILE);
        if (Files.exists(config)) {
            TokenizerFiles.checkConfig(config, tok);
        }
        LOG.debug("loaded tokenizer {}: {} pieces, {} ids, maxLength {}", dir, tok.pieceCount, tok.vocabSize(),
                maxLength);
        return tok;
    }

    static byte[] readFile(Path path, String what) {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("missing " + what + ": " + path);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + what + " " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Encoder input: {@code [lang] + pieces + [</s>]}, cut to {@link #maxLength()}.
     *
     * @param text a sentence; not null, not blank
     * @param lang its language
     * @return the ids
     */
    public int[] encoderIds(String text, Language lang) {
        int langId = languageId(lang);
        int[] p = pieceIds(text, maxLength - 2);
        int[] out = new int[p.length + 2];
        out[0] = langId;
        System.arraycopy(p, 0, out, 1, p.length);
        out[out.length - 1] = EOS;
        return out;
    }

    /**
     * Decoder generation prefix {@code [</s>, lang]}.
     *
     * @param lang the target language
     * @return the two ids
     */
    public int[] decoderPrefix(Language lang) {
        return new int[] {EOS, languageId(lang)};
    }

    /**
     * Teacher-forcing decoder input {@code [</s>, lang] + pieces}, cut to {@link #maxLength()}.
     *
     * @param text the target sentence; not null, not blank
     * @param lang its language
     * @return the ids, as long as {@link #decoderTarget(String, Language)}'s
     */
    public int[] decoderInput(String text, Language lang) {
        int langId = languageId(lang);
        int[] p = pieceIds(text, maxLength - 2);
        int[] out = new int[p.length + 2];
        out[0] = EOS;
        out[1] = langId;
        System.arraycopy(p, 0, out, 2, p.length);
        return out;
    }

    /**
     * Teacher-forcing decoder target {@code [lang] + pieces + [</s>]} (the same ids as {@link
     * #encoderIds(String, Language)}), cut to {@link #maxLength()}.
     *
     * @param text the target sentence; not null, not blank
     * @param lang its language
     * @return the ids
     */
    public int[] decoderTarget(String text, Language lang) {
        return encoderIds(text, lang);
    }

    /**
     * Detokenizes: drops every id that is not an ordinary piece (specials incl. {@code <unk>},
     * language codes, {@code <mask>}, ids beyond the tokenizer) and SentencePiece-decodes the rest.
     * Doubled and trailing spaces are kept, as spm decodes them.
     *
     * @param ids any ids
     * @return the text, possibly empty
     */
    public String decode(int[] ids) {
        if (ids == null) {
            throw new InvalidInputException("ids must not be null");
        }
        int[] spm = new int[ids.length];
        int n = 0;
        for (int id : ids) {
            if (isPiece(id)) {
                spm[n++] = id - 1;
            }
        }
        ensureOpen();
        return n == 0 ? "" : sp.decode(Arrays.copyOf(spm, n));
    }

    /**
     * The SentencePiece piece strings of a text (never cut to {@link #maxLength()}).
     *
     * @param text not null, not blank
     * @return the pieces, e.g. {@code ["▁Hello", "▁there", "."]}
     */
    public List<String> pieces(String text) {
        String t = sanitize(text);
        ensureOpen();
        return List.copyOf(sp.encodeAsPieces(t));
    }

    /**
     * @return the language table in id order (language k has id {@code pieceCount() + 1 + k}): the 202
     *     FLORES-200 codes in NLLB order, {@link Language#all()}
     */
    public List<Language> languages() {
        return languages;
    }

    /**
     * @param lang a language
     * @return its token id, {@code pieceCount() + 1 + lang.index()}
     */
    public int languageId(Language lang) {
        if (lang == null) {
            throw new InvalidInputException("language must not be null");
        }
        return pieceCount + 1 + lang.index();
    }

    /**
     * @param id any int
     * @return whether it is an ordinary SentencePiece piece (not a special, control, unknown or unused
     *     piece, language code or {@code <mask>})
     */
    public boolean isPiece(int id) {
        if (id <= UNK || id > pieceCount) {
            return false;
        }
        int type = model.type(id - 1);
        return type == SpModelFile.NORMAL || type == SpModelFile.USER_DEFINED || type == SpModelFile.BYTE;
    }

    /**
     * The text an ordinary piece adds inside a decoded sentence, its word-boundary mark as a space ({@code
     * "▁Hello"} adds {@code " Hello"}): what a search needs to follow the words it writes ({@link
     * org.sonarllm.decode.Lexicon}).
     *
     * @param id any int
     * @return the text, or null if {@code id} is not an ordinary piece ({@link #isPiece}) or is a byte piece (a
     *     byte is no text by itself)
     */
    public String pieceText(int id) {
        if (!isPiece(id) || model.type(id - 1) == SpModelFile.BYTE) {
            return null;
        }
        return model.pieces[id - 1].replace('\u2581', ' ');
    }

    /** @return the SentencePiece model size (pieces incl. its own {@code <unk>}, {@code <s>}, {@code </s>}) */
    public int pieceCount() {
        return pieceCount;
    }

    /**
     * @return number of tokenizer ids: {@code pieceCount() + 1} for the specials and pieces (fairseq
     *     offset 1), then the languages and {@code <mask>}, i.e. {@code maskId() + 1}; a model's embedding
     *     table needs at least this many rows
     */
    public int vocabSize() {
        return maskId + 1;
    }

    /** @return the id of {@code <mask>} */
    public int maskId() {
        return maskId;
    }

    /** @return the longest id sequence the encode methods return */
    public int maxLength() {
        return maxLength;
    }

    /** Marks the tokenizer closed (it holds no native resource). Idempotent. */
    @Override
    public void close() {
        closed = true;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("tokenizer is closed");
        }
    }

    /** HF ids of the pieces, at most {@code limit} of them. */
    private int[] pieceIds(String text, int limit) {
        String t = sanitize(text);
        ensureOpen();
        int[] spm = sp.encode(t);
        int n = spm.length;
        if (n > limit) {
            LOG.warn("text of {} pieces ({} chars) truncated to {} pieces to fit maxLength {}", n, t.length(), limit,
                    maxLength);
            n = limit;
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int s = spm[i];
            if (s < 0 || s >= pieceCount) {
                throw new SonarLlmException("SentencePiece returned id " + s + " outside [0, " + pieceCount + ")");
            }
            out[i] = model.type(s) == SpModelFile.UNKNOWN ? UNK : s + 1;
        }
        return out;
    }

    /** Rejects null/blank text and replaces unpaired surrogates by U+FFFD. */
    static String sanitize(String text) {
        if (text == null) {
            throw new InvalidInputException("text must not be null");
        }
        if (text.isBlank()) {
            throw new InvalidInputException("text must not be empty or white space only, got \""
                    + text.replace("\n", "\\n").replace("\t", "\\t") + "\"");
        }
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean lone;
            if (Character.isHighSurrogate(c)) {
                lone = i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
                if (!lone) {
                    if (sb != null) {
                        sb.append(c).append(text.charAt(i + 1));
                    }
                    i++;
                    continue;
                }
            } else {
                lone = Character.isLowSurrogate(c);
            }
            if (lone && sb == null) {
                sb = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (sb != null) {
                sb.append(lone ? '\uFFFD' : c);
            }
        }
        return sb == null ? text : sb.toString();
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
