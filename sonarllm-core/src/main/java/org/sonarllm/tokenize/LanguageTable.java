package org.sonarllm.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import org.sonarllm.ModelFormatException;
import org.sonarllm.lang.Language;

/**
 * The language table of a tokenizer directory: where it comes from and its checks. Every source must
 * give the 202 FLORES-200 codes of {@link Language#all()}, in that (NLLB) order, language k at id
 * {@code pieceCount + 1 + k} and {@code <mask>} right after them.
 *
 * <ul>
 *   <li>{@code languages.txt} (this project's layout), one code per line;
 *   <li>a Hugging Face {@code tokenizer_config.json}: {@code added_tokens_decoder} (id -> token, the
 *       transformers >= 4.34 form), else {@code additional_special_tokens}, else the same list in {@code
 *       special_tokens_map.json}, else the built-in list (what {@code NllbTokenizer} itself falls back
 *       to).
 * </ul>
 *
 * <pre>{@code
 * List<Language> table = LanguageTable.fromHfConfig(config, configPath, specialTokens, mapPath, 256000);
 * }</pre>
 */
final class LanguageTable {
    private static final Map<String, Language> BY_CODE = new HashMap<>();

    static {
        Language.all().forEach(l -> BY_CODE.put(l.code(), l));
    }

    private LanguageTable() {}

    /**
     * Checks a list of codes against the NLLB table.
     *
     * @param codes the codes, in id order
     * @param where prefix of error messages, e.g. {@code "language list /x/languages.txt"}
     * @param position names the place of the i-th code (0-based) in messages, e.g. {@code "code 3"}
     * @return {@link Language#all()}
     * @throws ModelFormatException naming the first unknown, duplicate, misplaced or missing code
     */
    static List<Language> check(List<String> codes, String where, IntFunction<String> position) {
        List<Language> all = Language.all();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < codes.size(); i++) {
            String c = codes.get(i);
            if (!BY_CODE.containsKey(c)) {
                throw new ModelFormatException(where + ": expected a FLORES-200 language code as " + position.apply(i)
                        + ", found \"" + c + "\"");
            }
            Integer before = seen.putIfAbsent(c, i);
            if (before != null) {
                throw new ModelFormatException(where + ": expected each language code once, found " + c + " as "
                        + position.apply(before) + " and as " + position.apply(i));
            }
            if (i < all.size() && !c.equals(all.get(i).code())) {
                throw new ModelFormatException(where + ": expected " + all.get(i).code() + " as " + position.apply(i)
                        + " (the NLLB order), found " + c);
            }
        }
        if (codes.size() != all.size()) {
            throw new ModelFormatException(where + ": expected " + all.size() + " FLORES-200 codes, found "
                    + codes.size());
        }
        return all;
    }

    /** @return whether a parsed tokenizer_config.json is Hugging Face's, not this project's own */
    static boolean isHfConfig(JsonNode root) {
        return root.has("added_tokens_decoder") || root.has("additional_special_tokens")
                || "NllbTokenizer".equals(root.path("tokenizer_class").asText(null)) && !root.has("languages_file");
    }

    /**
     * The language table of a Hugging Face NLLB tokenizer folder.
     *
     * @param config the parsed tokenizer_config.json
     * @param specialTokens the parsed special_tokens_map.json, or null if there is none
     * @param pieceCount the SentencePiece model's size
     * @return {@link Language#all()}, once every source present is consistent with it
     */
    static List<Language> fromHfConfig(JsonNode config, Path configPath, JsonNode specialTokens, Path mapPath,
            int pieceCount) {
        String where = "tokenizer config " + configPath;
        checkAddedTokens(config.get("added_tokens_decoder"), where + ": added_tokens_decoder", pieceCount);
        checkList(config.get("additional_special_tokens"), where + ": additional_special_tokens");
        if (specialTokens != null) {
            checkList(specialTokens.get("additional_special_tokens"), "special tokens map " + mapPath
                    + ": additional_special_tokens");
        }
        JsonNode src = config.get("src_lang");
        if (src != null && !src.isNull() && !BY_CODE.containsKey(src.asText())) {
            throw new ModelFormatException(where + ": src_lang: expected a FLORES-200 language code, found " + src);
        }
        // Every source present agrees with the built-in table; with none, NllbTokenizer uses that table too.
        return Language.all();
    }

    private static void checkList(JsonNode list, String where) {
        if (list == null || list.isNull()) {
            return;
        }
        if (!list.isArray()) {
            throw new ModelFormatException(where + ": expected a list of language codes, found " + list.getNodeType());
        }
        List<String> codes = new ArrayList<>();
        for (JsonNode n : list) {
            JsonNode content = n.isObject() ? n.get("content") : n;
            if (content == null || !content.isTextual()) {
                throw new ModelFormatException(where + ": expected strings or {\"content\": string} tokens, found " + n);
            }
            codes.add(content.asText());
        }
        check(codes, where, i -> "entry " + (i + 1));
    }

    private static void checkAddedTokens(JsonNode added, String where, int pieceCount) {
        if (added == null || added.isNull()) {
            return;
        }
        if (!added.isObject()) {
            throw new ModelFormatException(where + ": expected an object of id -> token, found " + added.getNodeType());
        }
        TreeMap<Integer, String> byId = new TreeMap<>();
        var it = added.fields();
        while (it.hasNext()) {
            var e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException x) {
                throw new ModelFormatException(where + ": expected integer token ids as keys, found \"" + e.getKey()
                        + "\"");
            }
            JsonNode content = e.getValue().get("content");
            if (content == null || !content.isTextual()) {
                throw new ModelFormatException(where + ": expected a token object with a string content at id " + id
                        + ", found " + e.getValue());
            }
            byId.put(id, content.asText());
        }
        int first = pieceCount + 1;
        List<String> codes = new ArrayList<>();
        Integer maskId = null;
        for (Map.Entry<Integer, String> e : byId.entrySet()) {
            int id = e.getKey();
            String token = e.getValue();
            if (token.equals("<mask>")) {
                maskId = id;
            } else if (id >= first && codes.size() == Language.all().size() && !BY_CODE.containsKey(token)) {
                throw new ModelFormatException(where + ": expected no token after the " + codes.size()
                        + " languages but <mask>, found \"" + token + "\" at id " + id);
            } else if (id >= first) {
                if (id != first + codes.size()) {
                    throw new ModelFormatException(where + ": expected the language codes at consecutive ids from "
                            + first + " (after the " + pieceCount + " SentencePiece pieces), found " + token + " at id "
                            + id + " where id " + (first + codes.size()) + " was expected");
                }
                codes.add(token);
            } else if (BY_CODE.containsKey(token)) {
                throw new ModelFormatException(where + ": expected " + token + " at id "
                        + (first + BY_CODE.get(token).index()) + ", found it at id " + id);
            }
        }
        if (codes.isEmpty()) {
            return;
        }
        check(codes, where, i -> "id " + (first + i));
        int wantMask = first + codes.size();
        if (maskId != null && maskId != wantMask) {
            throw new ModelFormatException(where + ": expected <mask> at id " + wantMask
                    + " (right after the languages), found it at id " + maskId);
        }
    }
}
