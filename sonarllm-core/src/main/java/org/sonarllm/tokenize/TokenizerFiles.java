package org.sonarllm.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.sonarllm.ModelFormatException;
import org.sonarllm.lang.Language;

/**
 * The side files of a tokenizer directory: where the language table comes from (this project's {@code
 * languages.txt}, or a Hugging Face NLLB folder's {@code tokenizer_config.json} / {@code
 * special_tokens_map.json}, see {@link LanguageTable}) and the cross-checks of the config's ids.
 */
final class TokenizerFiles {
    private TokenizerFiles() {}

    /**
     * @param dir a tokenizer directory
     * @param pieceCount the size of its SentencePiece model
     * @return the language table, in id order
     * @throws ModelFormatException if no source of languages is found or a source is inconsistent
     */
    static List<Language> languages(Path dir, int pieceCount) {
        Path list = dir.resolve(SonarTokenizer.LANGUAGES_FILE);
        if (Files.exists(list)) {
            return checkLanguages(list);
        }
        Path config = dir.resolve(SonarTokenizer.CONFIG_FILE);
        JsonNode root = Files.exists(config) ? readJson(config, "tokenizer config") : null;
        if (root == null || !LanguageTable.isHfConfig(root)) {
            throw new ModelFormatException("missing language list: " + list + " (expected it, or a Hugging Face NLLB "
                    + SonarTokenizer.CONFIG_FILE + " with added_tokens_decoder or additional_special_tokens, found "
                    + (root == null ? "neither" : "a config without them") + ")");
        }
        Path map = dir.resolve(SonarTokenizer.SPECIAL_TOKENS_FILE);
        JsonNode special = Files.exists(map) ? readJson(map, "special tokens map") : null;
        return LanguageTable.fromHfConfig(root, config, special, map, pieceCount);
    }

    static JsonNode readJson(Path path, String what) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(SonarTokenizer.readFile(path, what));
        } catch (IOException e) {
            throw new ModelFormatException("corrupt " + what + " " + path + ": " + firstLine(e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException("corrupt " + what + " " + path + ": expected a JSON object");
        }
        return root;
    }

    /** languages.txt must list {@link Language#all()} in the same order. */
    static List<Language> checkLanguages(Path path) {
        String text = SonarTokenizer.utf8(SonarTokenizer.readFile(path, "language list"));
        List<String> codes = new ArrayList<>();
        for (String line : text.split("\r?\n")) {
            String s = line.strip();
            if (s.startsWith("\uFEFF")) {
                s = s.substring(1).strip();
            }
            if (!s.isEmpty()) {
                codes.add(s);
            }
        }
        return LanguageTable.check(codes, "language list " + path, i -> "code " + (i + 1));
    }

    /**
     * Cross-checks the fields of a tokenizer_config.json that are present: the special ids, the
     * derived sizes this project's fixture records, {@code src_lang}/{@code src_lang_id}, and Hugging
     * Face's {@code added_tokens_decoder} (id -> token) for the specials, {@code <mask>} and every
     * language code.
     */
    static void checkConfig(Path path, SonarTokenizer tok) {
        JsonNode root = readJson(path, "tokenizer config");
        expectInt(path, root, "bos_token_id", SonarTokenizer.BOS);
        expectInt(path, root, "pad_token_id", SonarTokenizer.PAD);
        expectInt(path, root, "eos_token_id", SonarTokenizer.EOS);
        expectInt(path, root, "unk_token_id", SonarTokenizer.UNK);
        expectInt(path, root, "fairseq_offset", 1);
        expectInt(path, root, "sp_model_size", tok.pieceCount());
        expectInt(path, root, "first_lang_code_id", tok.pieceCount() + 1);
        expectInt(path, root, "num_lang_codes", Language.all().size());
        expectInt(path, root, "mask_token_id", tok.maskId());
        expectInt(path, root, "tokenizer_vocab_size", tok.vocabSize());
        JsonNode src = root.get("src_lang");
        if (src != null && src.isTextual() && root.has("src_lang_id")) {
            Language lang;
            try {
                lang = Language.of(src.asText());
            } catch (RuntimeException e) {
                throw new ModelFormatException("tokenizer config " + path + ": " + e.getMessage(), e);
            }
            expectInt(path, root, "src_lang_id", tok.languageId(lang));
        }
        JsonNode added = root.get("added_tokens_decoder");
        if (added != null && added.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = added.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode content = e.getValue().get("content");
                if (content == null || !content.isTextual()) {
                    continue;
                }
                Integer want = expectedId(content.asText(), tok);
                if (want != null && !String.valueOf(want).equals(e.getKey())) {
                    throw new ModelFormatException("tokenizer config " + path + ": expected token "
                            + content.asText() + " at id " + want + ", found it at id " + e.getKey());
                }
            }
        }
    }

    private static Integer expectedId(String token, SonarTokenizer tok) {
        switch (token) {
            case "<s>":
                return SonarTokenizer.BOS;
            case "<pad>":
                return SonarTokenizer.PAD;
            case "</s>":
                return SonarTokenizer.EOS;
            case "<unk>":
                return SonarTokenizer.UNK;
            case "<mask>":
                return tok.maskId();
            default:
                for (Language l : Language.all()) {
                    if (l.code().equals(token)) {
                        return tok.languageId(l);
                    }
                }
                return null;
        }
    }

    private static void expectInt(Path path, JsonNode root, String field, int expected) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return;
        }
        if (!n.isIntegralNumber() || n.asLong() != expected) {
            throw new ModelFormatException("tokenizer config " + path + ": expected " + field + " = " + expected
                    + " (from " + SonarTokenizer.MODEL_FILE + " and the language table), found " + n);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable JSON";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
