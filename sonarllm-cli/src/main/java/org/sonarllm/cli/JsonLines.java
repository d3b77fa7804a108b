package org.sonarllm.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;

/**
 * Writes one compact JSON object per line. Lone UTF-16 surrogates (possible in input text) are
 * written as {@code \\uXXXX} escapes so the output stays valid UTF-8.
 *
 * <pre>{@code
 * new JsonLines(System.out).write(java.util.Map.of("ids", new int[] {1047, 2}));  // {"ids":[1047,2]}
 * }</pre>
 */
public final class JsonLines {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final PrintStream out;

    /** @param out where lines go (should encode UTF-8) */
    public JsonLines(PrintStream out) {
        this.out = out;
    }

    /** @param value a record, map, Jackson node or anything Jackson serializes; written as one line */
    public void write(Object value) {
        out.print(toLine(value));
        out.print('\n');
    }

    /** @return the compact JSON of {@code value} with lone surrogates escaped */
    static String toLine(Object value) {
        String s;
        try {
            s = MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName() + ": "
                    + e.getOriginalMessage(), e);
        }
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean lone = Character.isHighSurrogate(c)
                    ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
                    : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
            if (lone && sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (sb != null) {
                if (lone) {
                    sb.append(String.format("\\u%04X", (int) c));
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? s : sb.toString();
    }
}
