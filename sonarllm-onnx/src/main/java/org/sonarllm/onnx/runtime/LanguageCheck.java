package org.sonarllm.onnx.runtime;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.sonarllm.lang.Language;
import org.sonarllm.lang.UnknownLanguageException;

/** Rejects languages missing from a bundle's language table. Immutable. */
final class LanguageCheck {
    private final Set<String> codes;

    LanguageCheck(List<String> codes) {
        this.codes = new HashSet<>(codes);
    }

    void require(Language lang) {
        if (lang == null) {
            throw new UnknownLanguageException("language must not be null", List.of());
        }
        if (!codes.contains(lang.code())) {
            throw new UnknownLanguageException("language " + lang.code()
                    + " is not in this bundle's language table (" + codes.size() + " languages)", List.of());
        }
    }
}
