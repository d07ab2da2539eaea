package dev.llama3j.tokenizer;

import java.util.Collection;
import java.util.Set;

/**
 * A set of special-token texts for {@link Tokenizer#encode}: either "all" special tokens or the given
 * strings, like the {@code allowed_special} / {@code disallowed_special} arguments of Meta's encode.
 */
public record SpecialTokenSet(boolean all, Set<String> names) {
    public static final SpecialTokenSet ALL = new SpecialTokenSet(true, Set.of());
    public static final SpecialTokenSet NONE = new SpecialTokenSet(false, Set.of());

    public SpecialTokenSet {
        names = Set.copyOf(names);
    }

    public static SpecialTokenSet of(Collection<String> names) {
        return new SpecialTokenSet(false, Set.copyOf(names));
    }

    public static SpecialTokenSet of(String... names) {
        return new SpecialTokenSet(false, Set.copyOf(java.util.Arrays.asList(names)));
    }
}
