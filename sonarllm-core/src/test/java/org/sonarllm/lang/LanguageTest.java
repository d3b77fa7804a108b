package org.sonarllm.lang;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.sonarllm.InvalidInputException;
import org.sonarllm.testing.TinyA;

class LanguageTest {
    @Test
    void twoHundredTwoCodesInTinyALanguageOrder() throws Exception {
        List<String> file = Files.readAllLines(TinyA.dir().resolve("tokenizer/languages.txt")).stream()
                .filter(s -> !s.isBlank()).collect(Collectors.toList());
        assertEquals(202, Language.all().size());
        assertEquals(file, Language.all().stream().map(Language::code).collect(Collectors.toList()));
        for (int i = 0; i < Language.all().size(); i++) {
            assertEquals(i, Language.all().get(i).index());
        }
    }

    @Test
    void englishIdWithTinyAPieces() {
        int pieces = TinyA.expected().get("dims").get("sp_model_size").asInt();
        assertEquals(46, Language.ENGLISH.index());
        assertEquals(TinyA.expected().get("special_ids").get("lang_eng_Latn").asInt(),
                pieces + 1 + Language.ENGLISH.index());
        assertEquals(1047, 1000 + 1 + Language.of("eng_Latn").index());
        assertSame(Language.ENGLISH, Language.of("eng_Latn"));
        assertEquals("eng", Language.ENGLISH.iso639_3());
        assertEquals("Latn", Language.ENGLISH.script());
        assertEquals("fra_Latn", Language.of(" fra_Latn ").code());
    }

    @Test
    void unknownCodeSuggestsCloseOnes() {
        UnknownLanguageException e = assertThrows(UnknownLanguageException.class, () -> Language.of("eng_latn"));
        assertEquals("eng_Latn", e.suggestions().get(0));
        assertTrue(e.getMessage().contains("eng_Latn"), e.getMessage());
        assertTrue(e.getMessage().contains("'eng_latn'"), e.getMessage());
        UnknownLanguageException f = assertThrows(UnknownLanguageException.class, () -> Language.of("fra"));
        assertTrue(f.suggestions().contains("fra_Latn"), f.suggestions().toString());
        assertTrue(e instanceof InvalidInputException);
        assertThrows(UnknownLanguageException.class, () -> Language.of(null));
        assertThrows(UnknownLanguageException.class, () -> Language.of("  "));
    }
}
