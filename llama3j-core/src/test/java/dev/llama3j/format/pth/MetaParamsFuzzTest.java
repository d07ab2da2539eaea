package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.model.ModelConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Deterministic mutations of a real params.json: reading it either gives a valid config or a {@link LlamaException}
 * naming the file; never another exception.
 */
@Tag("slow")
class MetaParamsFuzzTest {
    private static final int MUTANTS = 1500;
    private static final String[] VALUES = {"-1", "0", "1e309", "-1e309", "3.5", "1e20", "9223372036854775808",
            "\"x\"", "null", "true", "[]", "{}", "NaN", "4294967296", "2147483648", "1e-40"};

    @TempDir
    Path dir;

    @Test
    void mutatedParamsOnlyEverFailWithLlamaException() throws IOException {
        String original = Files.readString(SharedData.require("fixtures/meta/tiny31-sv-meta/params.json"));
        Random random = new Random(77);
        Path file = dir.resolve("params.json");
        int valid = 0;
        int rejected = 0;
        for (int i = 0; i < MUTANTS; i++) {
            String mutant = mutate(original, random, i % 5);
            Files.writeString(file, mutant, StandardCharsets.UTF_8);
            try {
                ModelConfig c = MetaParams.read(file);
                assertThat(c.dim() % c.nHeads()).isZero();
                valid++;
            } catch (LlamaException e) {
                assertThat(e.getMessage()).as(mutant).contains("params.json").doesNotContain("\n");
                rejected++;
            } catch (RuntimeException | Error e) {
                fail("mutant " + i + " (" + mutant + ") threw " + e, e);
            }
        }
        System.out.printf("params.json fuzz: %d mutants, %d valid, %d rejected%n", MUTANTS, valid, rejected);
        assertThat(rejected).isGreaterThan(MUTANTS / 2);
    }

    /** Replaces a number, deletes a key, truncates, or flips a character. */
    private static String mutate(String s, Random r, int kind) {
        switch (kind) {
            case 0, 1 -> {
                var m = java.util.regex.Pattern.compile("-?[0-9][0-9.e+-]*|true|false").matcher(s);
                java.util.List<int[]> spans = new java.util.ArrayList<>();
                while (m.find()) {
                    spans.add(new int[] {m.start(), m.end()});
                }
                int[] span = spans.get(r.nextInt(spans.size()));
                return s.substring(0, span[0]) + VALUES[r.nextInt(VALUES.length)] + s.substring(span[1]);
            }
            case 2 -> {
                int comma = s.indexOf(',', r.nextInt(s.length()));
                int prev = s.lastIndexOf(',', Math.max(0, comma - 1));
                return comma < 0 || prev < 0 ? s.substring(0, r.nextInt(s.length())) : s.substring(0, prev) + s.substring(comma);
            }
            case 3 -> {
                return s.substring(0, r.nextInt(s.length()));
            }
            default -> {
                char[] c = s.toCharArray();
                c[r.nextInt(c.length)] = (char) (32 + r.nextInt(95));
                return new String(c);
            }
        }
    }
}
