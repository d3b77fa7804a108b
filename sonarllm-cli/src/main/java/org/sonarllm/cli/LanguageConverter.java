package org.sonarllm.cli;

import org.sonarllm.lang.Language;
import org.sonarllm.lang.UnknownLanguageException;
import picocli.CommandLine;

/**
 * Converts {@code --lang} values with {@link Language#of(String)}; an unknown code becomes a usage
 * error naming close valid codes.
 *
 * <pre>{@code
 * @Option(names = "--lang", converter = LanguageConverter.class, defaultValue = "eng_Latn")
 * Language lang;
 * }</pre>
 */
public final class LanguageConverter implements CommandLine.ITypeConverter<Language> {
    @Override
    public Language convert(String value) {
        try {
            return Language.of(value);
        } catch (UnknownLanguageException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
