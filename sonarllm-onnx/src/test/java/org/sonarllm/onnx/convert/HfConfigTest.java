package org.sonarllm.onnx.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonarllm.ModelFormatException;

class HfConfigTest {
    @TempDir
    Path tmp;

    @Test
    void typedGetters() throws Exception {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{\"d_model\": 64, \"eps\": 1e-6, \"name\": \"m\", \"flag\": true, \"o\": {\"x\": 1},"
                + " \"s\": \"64\", \"n\": null}");
        HfConfig c = HfConfig.read(f);
        assertEquals(64, c.requireInt("d_model"));
        assertEquals(1e-6, c.requireDouble("eps"));
        assertEquals("m", c.requireString("name"));
        assertTrue(c.optBoolean("flag", false));
        assertEquals(7, c.optInt("absent", 7));
        assertEquals(7, c.optInt("n", 7));
        assertEquals(1, c.requireObject("o").requireInt("x"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> c.requireInt("s"));
        assertTrue(e.getMessage().contains("expected integer 's', found string"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> c.requireInt("eps"));
        assertTrue(e.getMessage().contains("expected integer 'eps'"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> c.requireInt("missing"));
        assertTrue(e.getMessage().contains("expected integer 'missing', found nothing"), e.getMessage());
    }

    @Test
    void badFiles() throws Exception {
        assertThrows(ModelFormatException.class, () -> HfConfig.read(tmp.resolve("nope.json")));
        Path f = tmp.resolve("bad.json");
        Files.writeString(f, "[1]");
        assertThrows(ModelFormatException.class, () -> HfConfig.read(f));
        Files.writeString(f, "{oops");
        assertThrows(ModelFormatException.class, () -> HfConfig.read(f));
    }
}
