package org.sonarllm.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;
import org.sonarllm.lang.Language;
import org.sonarllm.testing.TinyA;

/** Missing, corrupt and inconsistent tokenizer files give ModelFormatException naming the file. */
class TokenizerFilesTest {
    @TempDir Path tmp;

    private Path copy() throws IOException {
        Path src = TinyA.dir().resolve("tokenizer");
        Path d = Files.createDirectories(tmp.resolve("tok"));
        for (String f : new String[] {SonarTokenizer.MODEL_FILE, SonarTokenizer.LANGUAGES_FILE, SonarTokenizer.CONFIG_FILE}) {
            Files.copy(src.resolve(f), d.resolve(f));
        }
        return d;
    }

    private static void assertFailsNaming(Path dir, Path file, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SonarTokenizer.load(dir).close());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), e.getMessage());
        }
        assertTrue(!e.getMessage().contains("\n"), "one-line message: " + e.getMessage());
    }

    @Test
    void loadsWithoutOptionalConfig() throws IOException {
        Path d = copy();
        Files.delete(d.resolve(SonarTokenizer.CONFIG_FILE));
        try (SonarTokenizer t = SonarTokenizer.load(d)) {
            assertEquals(1047, t.languageId(Language.ENGLISH));
        }
    }

    @Test
    void missingDirectory() {
        Path d = tmp.resolve("nope");
        assertFailsNaming(d, d, "not found");
    }

    @Test
    void missingModelFile() throws IOException {
        Path d = copy();
        Files.delete(d.resolve(SonarTokenizer.MODEL_FILE));
        assertFailsNaming(d, d.resolve(SonarTokenizer.MODEL_FILE), "missing");
    }

    @Test
    void garbageModelFile() throws IOException {
        Path d = copy();
        byte[] junk = new byte[4096];
        new Random(7).nextBytes(junk);
        Files.write(d.resolve(SonarTokenizer.MODEL_FILE), junk);
        assertFailsNaming(d, d.resolve(SonarTokenizer.MODEL_FILE), "SentencePiece");
    }

    @Test
    void textModelFileAndEmptyModelFile() throws IOException {
        Path d = copy();
        Files.writeString(d.resolve(SonarTokenizer.MODEL_FILE), "this is not a model\n");
        assertFailsNaming(d, d.resolve(SonarTokenizer.MODEL_FILE));
        Files.write(d.resolve(SonarTokenizer.MODEL_FILE), new byte[0]);
        assertFailsNaming(d, d.resolve(SonarTokenizer.MODEL_FILE), "found none");
    }

    @Test
    void truncatedModelFile() throws IOException {
        Path d = copy();
        byte[] ok = Files.readAllBytes(d.resolve(SonarTokenizer.MODEL_FILE));
        Files.write(d.resolve(SonarTokenizer.MODEL_FILE), java.util.Arrays.copyOf(ok, ok.length / 2));
        assertFailsNaming(d, d.resolve(SonarTokenizer.MODEL_FILE), "expected");
    }

    @Test
    void missingLanguageList() throws IOException {
        Path d = copy();
        Files.delete(d.resolve(SonarTokenizer.LANGUAGES_FILE));
        assertFailsNaming(d, d.resolve(SonarTokenizer.LANGUAGES_FILE), "missing");
    }

    @Test
    void languageListInOtherOrderOrShort() throws IOException {
        Path d = copy();
        Path f = d.resolve(SonarTokenizer.LANGUAGES_FILE);
        List<String> lines = new ArrayList<>(Files.readAllLines(f, StandardCharsets.UTF_8));
        String first = lines.get(0);
        lines.set(0, lines.get(1));
        lines.set(1, first);
        Files.write(f, lines, StandardCharsets.UTF_8);
        assertFailsNaming(d, f, "expected ace_Arab", "found ace_Latn");
        lines.set(1, lines.get(0));
        lines.set(0, first);
        Files.write(f, lines.subList(0, 201), StandardCharsets.UTF_8);
        assertFailsNaming(d, f, "expected 202", "found 201");
    }

    @Test
    void inconsistentConfig() throws IOException {
        Path d = copy();
        Path f = d.resolve(SonarTokenizer.CONFIG_FILE);
        String ok = Files.readString(f);
        Files.writeString(f, ok.replace("\"sp_model_size\": 1000", "\"sp_model_size\": 999"));
        assertFailsNaming(d, f, "sp_model_size = 1000", "found 999");
        Files.writeString(f, ok.replace("\"src_lang_id\": 1047", "\"src_lang_id\": 1046"));
        assertFailsNaming(d, f, "src_lang_id = 1047");
        Files.writeString(f, "{ not json");
        assertFailsNaming(d, f, "corrupt");
    }

    @Test
    void hfAddedTokensDecoderIsCrossChecked() throws IOException {
        Path d = copy();
        Path f = d.resolve(SonarTokenizer.CONFIG_FILE);
        Files.writeString(f, "{\"added_tokens_decoder\": {\"0\": {\"content\": \"<s>\"}, \"2\": {\"content\": \"</s>\"},"
                + " \"1047\": {\"content\": \"eng_Latn\"}, \"1203\": {\"content\": \"<mask>\"}}}");
        SonarTokenizer.load(d).close();
        Files.writeString(f, "{\"added_tokens_decoder\": {\"1048\": {\"content\": \"eng_Latn\"}}}");
        assertFailsNaming(d, f, "eng_Latn at id 1047", "found it at id 1048");
    }
}
