package dev.llama3j.guard;

import dev.llama3j.LlamaException;

import java.util.List;
import java.util.Locale;

/**
 * The Llama Guard models and their prompts as their Hugging Face chat templates render them (the form transformers
 * and Ollama users send): Llama Guard 3 8B (categories S1-S14), Llama Guard 3 1B (S1-S13: no code interpreter abuse)
 * and Meta Llama Guard 2 8B (S1-S11, the {@code [INST]} form). Category names are the prompts', which differ from
 * the model cards' in three places (for example "Sex Crimes", not "Sex-Related Crimes").
 */
public enum GuardVersion {
    LLAMA_GUARD_3("3", List.of("Violent Crimes", "Non-Violent Crimes", "Sex Crimes", "Child Exploitation",
            "Defamation", "Specialized Advice", "Privacy", "Intellectual Property", "Indiscriminate Weapons", "Hate",
            "Self-Harm", "Sexual Content", "Elections", "Code Interpreter Abuse")),
    LLAMA_GUARD_3_1B("3-1b", LLAMA_GUARD_3.categories.subList(0, 13)),
    LLAMA_GUARD_2("2", List.of("Violent Crimes", "Non-Violent Crimes", "Sex Crimes", "Child Exploitation",
            "Specialized Advice", "Privacy", "Intellectual Property", "Indiscriminate Weapons", "Hate", "Self-Harm",
            "Sexual Content"));

    /** The name {@code --guard-version} takes. */
    public final String cliName;
    /** Category names in order: S1 is the first. */
    public final List<String> categories;

    GuardVersion(String cliName, List<String> categories) {
        this.cliName = cliName;
        this.categories = categories;
    }

    /** The version named {@code name} (3, 3-1b, 2), or a one-line error listing them. */
    public static GuardVersion parse(String name) {
        for (GuardVersion v : values()) {
            if (v.cliName.equalsIgnoreCase(name)) {
                return v;
            }
        }
        throw new LlamaException("--guard-version: unknown version '" + name + "', expected 3, 3-1b or 2");
    }

    /**
     * The version a model's file or folder name says (Llama-Guard-3-1B..., Meta-Llama-Guard-2-8B...), else Llama
     * Guard 3 8B.
     */
    public static GuardVersion detect(String modelName) {
        String n = modelName.toLowerCase(Locale.ROOT).replace('_', '-');
        if (n.matches(".*guard-?2.*")) {
            return LLAMA_GUARD_2;
        }
        if (n.matches(".*guard-?3.*1b.*")) {
            return LLAMA_GUARD_3_1B;
        }
        return LLAMA_GUARD_3;
    }

    /** The prompt's category lines: code (S1, ...) to its text after "S1: " ("Violent Crimes.", Guard 2's with ". "). */
    public java.util.SequencedMap<String, String> categoryLines() {
        java.util.LinkedHashMap<String, String> lines = new java.util.LinkedHashMap<>();
        for (int i = 0; i < categories.size(); i++) {
            lines.put("S" + (i + 1), categories.get(i) + (this == LLAMA_GUARD_2 ? ". " : "."));
        }
        return lines;
    }

    /**
     * Fails with a one-line message unless every code is one of the categories: {@code custom}'s (code to text), or
     * this version's own when it is null.
     */
    public void checkCodes(java.util.Collection<String> codes, java.util.Map<String, String> custom) {
        java.util.Set<String> known = (custom != null ? custom : categoryLines()).keySet();
        for (String code : codes) {
            if (!known.contains(code)) {
                throw new LlamaException("unknown category '" + code + "', expected one of "
                        + String.join(", ", known));
            }
        }
    }

    /** Whether the prompt's text leaves {@code <|begin_of_text|>} to the tokenizer (Llama Guard 2's [INST] form). */
    boolean tokenizerAddsBos() {
        return this == LLAMA_GUARD_2;
    }
}
