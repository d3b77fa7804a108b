package org.sonarllm.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;
import org.sonarllm.lang.Language;
import org.sonarllm.testing.TinyA;

/**
 * Hugging Face NLLB tokenizer folders as users download them (no languages.txt; fixtures written by
 * scripts/hf-tokenizer-fixtures.sh in the transformers >= 4.34 form): the same ids as the tiny-a
 * reference and as this project's layout, the fallbacks for older forms, and ModelFormatException naming
 * the field for malformed configs.
 */
class HfTokenizerFolderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] FILES = {"sentencepiece.bpe.model", "tokenizer_config.json", "special_tokens_map.json"};

    @TempDir
    Path tmp;

    /** Copies a fixture folder out of the class path. */
    private Path fixture(String name) throws IOException {
        Path d = Files.createDirectories(tmp.resolve(name));
        for (String f : FILES) {
            byte[] b = SpmGoldens.resource("/org/sonarllm/tokenize/" + name + "/" + f);
            assertTrue(b != null, "fixture " + name + "/" + f);
            Files.write(d.resolve(f), b);
        }
        return d;
    }

    private static ObjectNode config(Path dir) throws IOException {
        return (ObjectNode) JSON.readTree(dir.resolve(SonarTokenizer.CONFIG_FILE).toFile());
    }

    private static void write(Path file, JsonNode n) throws IOException {
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), n);
    }

    private static List<String> codes(JsonNode list) {
        List<String> out = new java.util.ArrayList<>();
        list.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void tinyAFolderGivesTheReferenceIds() throws IOException {
        Path d = fixture("hf-tiny-a");
        assertArrayEquals(Files.readAllBytes(TinyA.dir().resolve("tokenizer/sentencepiece.bpe.model")),
                Files.readAllBytes(d.resolve(SonarTokenizer.MODEL_FILE)), "the fixture holds tiny-a's model");
        assertTrue(Files.notExists(d.resolve(SonarTokenizer.LANGUAGES_FILE)));
        JsonNode a = TinyA.expected().get("a_tokenization");
        JsonNode e = TinyA.expected();
        try (SonarTokenizer tok = SonarTokenizer.load(d)) {
            assertEquals(Language.all(), tok.languages());
            assertEquals(1001, tok.languageId(tok.languages().get(0)));
            assertEquals(e.get("special_ids").get("mask").asInt(), tok.maskId());
            assertEquals(1203, tok.maskId());
            assertEquals(e.get("dims").get("tokenizer_vocab_size").asInt(), tok.vocabSize());
            assertEquals(e.get("special_ids").get("lang_eng_Latn").asInt(), tok.languageId(Language.ENGLISH));
            Language lang = Language.of(a.get("lang").asText());
            for (JsonNode c : a.get("cases")) {
                String text = c.get("text").asText();
                assertArrayEquals(TinyA.ints(c.get("encoder_ids")), tok.encoderIds(text, lang), text);
                assertArrayEquals(TinyA.ints(c.get("decoder_input_ids")), tok.decoderInput(text, lang), text);
                assertArrayEquals(TinyA.ints(c.get("decoder_target_ids")), tok.decoderTarget(text, lang), text);
                assertEquals(c.get("detokenized").asText(), tok.decode(TinyA.ints(c.get("encoder_ids"))), text);
                assertEquals(codes(c.get("pieces")), tok.pieces(text), text);
            }
            for (JsonNode c : a.get("other_languages")) {
                Language l = Language.of(c.get("lang").asText());
                assertArrayEquals(TinyA.ints(c.get("encoder_ids")), tok.encoderIds(c.get("text").asText(), l));
            }
            for (JsonNode c : a.get("detokenization_cases")) {
                assertEquals(c.get("text").asText(), tok.decode(TinyA.ints(c.get("ids"))), c.toString());
            }
        }
    }

    @Test
    void austenFolderEqualsTheProjectLayout() throws IOException {
        Path hf = fixture("hf-austen");
        Path own = Files.createDirectories(tmp.resolve("own"));
        Files.copy(hf.resolve(SonarTokenizer.MODEL_FILE), own.resolve(SonarTokenizer.MODEL_FILE));
        Files.write(own.resolve(SonarTokenizer.LANGUAGES_FILE),
                Language.all().stream().map(Language::code).collect(Collectors.toList()));
        List<String> texts = SpmGoldens.texts().subList(0, 300);
        try (SonarTokenizer a = SonarTokenizer.load(hf); SonarTokenizer b = SonarTokenizer.load(own)) {
            assertEquals(4000, a.pieceCount());
            assertEquals(4203, a.maskId());
            assertEquals(4204, a.vocabSize());
            assertEquals(b.vocabSize(), a.vocabSize());
            assertEquals(b.languages(), a.languages());
            for (String t : texts) {
                if (!t.isBlank()) {
                    assertArrayEquals(b.encoderIds(t, Language.of("fra_Latn")), a.encoderIds(t, Language.of("fra_Latn")));
                }
            }
        }
    }

    @Test
    void olderFormsFallBackToTheirListOrTheBuiltInTable() throws IOException {
        Path d = fixture("hf-tiny-a");
        ObjectNode c = config(d);
        c.remove("added_tokens_decoder"); // transformers < 4.34: the list only
        write(d.resolve(SonarTokenizer.CONFIG_FILE), c);
        Files.writeString(d.resolve("tokenizer.json"), "{ this fast-tokenizer file is never read");
        try (SonarTokenizer t = SonarTokenizer.load(d)) {
            assertEquals(1047, t.languageId(Language.ENGLISH));
        }
        c.putNull("additional_special_tokens"); // e.g. a fine-tune's config: NllbTokenizer's built-in list
        write(d.resolve(SonarTokenizer.CONFIG_FILE), c);
        Files.delete(d.resolve(SonarTokenizer.SPECIAL_TOKENS_FILE));
        try (SonarTokenizer t = SonarTokenizer.load(d)) {
            assertEquals(Language.all(), t.languages());
            assertEquals(1203, t.maskId());
        }
        c.remove("additional_special_tokens"); // only tokenizer_class says NllbTokenizer
        write(d.resolve(SonarTokenizer.CONFIG_FILE), c);
        try (SonarTokenizer t = SonarTokenizer.load(d)) {
            assertEquals(1203, t.maskId());
        }
        Files.delete(d.resolve(SonarTokenizer.CONFIG_FILE));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SonarTokenizer.load(d));
        assertTrue(e.getMessage().contains(d.resolve(SonarTokenizer.LANGUAGES_FILE).toString()), e.getMessage());
        assertTrue(e.getMessage().contains("missing language list"), e.getMessage());
    }

    /** Edits the fixture's config (or special tokens map) and expects a one-line error naming the field. */
    private void assertRejected(String file, Consumer<ObjectNode> edit, String... fragments) throws IOException {
        Path d = fixture("hf-tiny-a");
        Path f = d.resolve(file);
        ObjectNode n = (ObjectNode) JSON.readTree(f.toFile());
        edit.accept(n);
        write(f, n);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SonarTokenizer.load(d).close());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        for (String s : fragments) {
            assertTrue(e.getMessage().contains(s), "expected \"" + s + "\" in: " + e.getMessage());
        }
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    private static ObjectNode added(ObjectNode c) {
        return (ObjectNode) c.get("added_tokens_decoder");
    }

    private static void content(ObjectNode c, int id, String token) {
        ((ObjectNode) added(c).get(String.valueOf(id))).put("content", token);
    }

    @Test
    void malformedAddedTokensDecoderIsRejectedNamingTheField() throws IOException {
        String cfg = SonarTokenizer.CONFIG_FILE;
        assertRejected(cfg, c -> {
            content(c, 1001, "ace_Latn");
            content(c, 1002, "ace_Arab");
        }, "added_tokens_decoder", "expected ace_Arab as id 1001 (the NLLB order), found ace_Latn");
        assertRejected(cfg, c -> content(c, 1048, "eng_Latn"), "added_tokens_decoder",
                "expected each language code once, found eng_Latn as id 1047 and as id 1048");
        assertRejected(cfg, c -> {
            added(c).remove("1202");
            ((ObjectNode) added(c).get("1203")).put("content", "<mask>");
        }, "added_tokens_decoder", "expected 202 FLORES-200 codes, found 201");
        assertRejected(cfg, c -> {
            ObjectNode moved = JSON.createObjectNode();
            added(c).fields().forEachRemaining(e -> {
                int id = Integer.parseInt(e.getKey());
                moved.set(String.valueOf(id > 1000 ? id + 1 : id), e.getValue());
            });
            c.set("added_tokens_decoder", moved);
        }, "added_tokens_decoder", "expected the language codes at consecutive ids from 1001", "found ace_Arab at id 1002");
        assertRejected(cfg, c -> added(c).set("1204", added(c).remove("1203")), "added_tokens_decoder",
                "expected <mask> at id 1203", "found it at id 1204");
        assertRejected(cfg, c -> content(c, 1100, "xyz_Latn"), "added_tokens_decoder",
                "expected a FLORES-200 language code as id 1100, found \"xyz_Latn\"");
        assertRejected(cfg, c -> added(c).set("seven", added(c).get("0")), "added_tokens_decoder",
                "expected integer token ids", "found \"seven\"");
        assertRejected(cfg, c -> added(c).set("5", added(c).remove("3")), "expected token <unk> at id 3",
                "found it at id 5");
        assertRejected(cfg, c -> added(c).set("12", added(c).remove("1047")), "added_tokens_decoder",
                "expected eng_Latn at id 1047, found it at id 12");
        assertRejected(cfg, c -> added(c).set("1204", JSON.createObjectNode().put("content", "<extra>")),
                "added_tokens_decoder", "expected no token after the 202 languages but <mask>", "found \"<extra>\"");
    }

    @Test
    void malformedListsAndFieldsAreRejectedNamingTheField() throws IOException {
        String cfg = SonarTokenizer.CONFIG_FILE;
        assertRejected(cfg, c -> ((ArrayNode) c.get("additional_special_tokens")).remove(201),
                "additional_special_tokens", "expected 202 FLORES-200 codes, found 201");
        assertRejected(cfg, c -> ((ArrayNode) c.get("additional_special_tokens")).set(4, "eng_Latn"),
                "additional_special_tokens", "expected aeb_Arab as entry 5 (the NLLB order), found eng_Latn");
        assertRejected(cfg, c -> ((ArrayNode) c.get("additional_special_tokens")).set(46, "ace_Arab"),
                "additional_special_tokens", "expected each language code once, found ace_Arab as entry 1 and as entry 47");
        assertRejected(cfg, c -> c.put("additional_special_tokens", "eng_Latn"), "additional_special_tokens",
                "expected a list of language codes");
        assertRejected(cfg, c -> c.put("src_lang", "english"), "src_lang", "expected a FLORES-200 language code");
        assertRejected(SonarTokenizer.SPECIAL_TOKENS_FILE, m -> {
            ArrayNode l = (ArrayNode) m.get("additional_special_tokens");
            JsonNode first = l.get(0);
            l.set(0, l.get(1));
            l.set(1, first);
        }, "special tokens map", "additional_special_tokens", "expected ace_Arab as entry 1 (the NLLB order), found ace_Latn");
    }
}
