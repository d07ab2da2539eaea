package dev.llama3j.tokenizer.vocab;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.GroundTruth;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deterministic mutations of Meta's tokenizer.model and of GGUF tokenizer arrays: loading must either succeed or
 * fail with a {@link LlamaException}, never another exception or error. Most mutations work on the first 3,000
 * lines of the real file (a valid vocabulary: the 256 single bytes come first), which keeps each load cheap.
 */
@Tag("slow")
class TokenizerFuzzTest {
    private static final int SMALL_LINES = 3000;

    @Test
    void mutatedTokenizerModelsFailOnlyWithLlamaException() throws IOException {
        byte[] full = Files.readAllBytes(GroundTruth.modelPath());
        List<byte[]> lines = splitLines(full);
        List<byte[]> small = lines.subList(0, SMALL_LINES);
        Random random = new Random(20240418);
        List<Supplier<byte[]>> mutations = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            mutations.add(() -> Arrays.copyOf(join(small), random.nextInt(join(small).length)));
        }
        for (int i = 0; i < 80; i++) {
            mutations.add(() -> flipBytes(join(small), random, 1 + random.nextInt(8)));
        }
        for (int i = 0; i < 40; i++) {
            mutations.add(() -> {
                List<byte[]> l = new ArrayList<>(small);
                l.add(random.nextInt(l.size()), l.get(random.nextInt(l.size())));
                return join(l);
            });
            mutations.add(() -> {
                List<byte[]> l = new ArrayList<>(small);
                l.remove(random.nextInt(l.size()));
                return join(l);
            });
        }
        String[] hostileRanks = {"2147483647", "2147483648", "99999999999999999999", "-1", "1e3", "0x10", "", "3 4"};
        for (String rank : hostileRanks) {
            for (int k = 0; k < 5; k++) {
                mutations.add(() -> withLine(small, random.nextInt(small.size()), line -> token(line) + " " + rank));
            }
        }
        String[] badBase64 = {"!!!!", "A", "AB=", "====", "A===", "QQ==QQ==", "Zm9v\u00e9", "Zm9=", "", "%%%%%%%%"};
        for (String b64 : badBase64) {
            for (int k = 0; k < 4; k++) {
                mutations.add(() -> withLine(small, random.nextInt(small.size()), line -> b64 + " " + rank(line)));
            }
        }
        mutations.add(() -> new byte[0]);
        mutations.add(() -> "\n\n\r\n".getBytes(StandardCharsets.US_ASCII));
        mutations.add(() -> crlf(join(small)));
        // a few on the whole real file: the same classes of damage at full size
        mutations.add(() -> Arrays.copyOf(full, full.length / 2));
        mutations.add(() -> flipBytes(full, random, 16));
        mutations.add(() -> withLine(lines, lines.size() - 1, line -> token(line) + " 2147483647"));
        mutations.add(() -> {
            List<byte[]> l = new ArrayList<>(lines);
            l.add(l.get(5000));
            return join(l);
        });

        int loaded = 0;
        int rejected = 0;
        for (Supplier<byte[]> m : mutations) {
            byte[] data = m.get();
            try {
                TiktokenFile.parse(Path.of("fuzz.model"), data);
                loaded++;
            } catch (LlamaException e) {
                assertThat(e.getMessage()).startsWith("fuzz.model").doesNotContain("\n");
                rejected++;
            }
        }
        System.out.println("tokenizer.model fuzz: " + mutations.size() + " mutations, " + rejected + " rejected, "
                + loaded + " still valid");
        assertThat(mutations).hasSizeGreaterThan(300);
        assertThat(rejected).isGreaterThan(mutations.size() / 2);
    }

    @Test
    void mutatedGgufTokenizerArraysFailOnlyWithLlamaException() throws IOException {
        byte[] full = Files.readAllBytes(GroundTruth.modelPath());
        Tokenizer small = Tokenizer.fromRanks(TiktokenFile.parse(Path.of("small"),
                join(splitLines(full).subList(0, SMALL_LINES))), SpecialTokenNames.LLAMA_3);
        GgufTokenizer valid = GgufTokenizer.fromTokenizer(small, false);
        assertThat(valid.toTokenizer("valid").vocabSize()).isEqualTo(SMALL_LINES + 256);
        Random random = new Random(7);
        int n = valid.tokens().length;
        int m = valid.merges().length;
        String[] junk = {"", " ", "a b", "\u4e2d", "\u0000", "<|begin_of_text|>", "\u0120\u0120", "!", null};
        List<GgufTokenizer> mutations = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String[] tokens = valid.tokens().clone();
            tokens[random.nextInt(n)] = random.nextBoolean() ? junk[random.nextInt(junk.length)]
                    : valid.tokens()[random.nextInt(n)];
            mutations.add(with(valid, tokens, valid.tokenTypes(), valid.merges()));
        }
        int[] types = {-1, 0, 1, 2, 3, 4, 5, 6, 7, Integer.MAX_VALUE};
        for (int i = 0; i < 50; i++) {
            int[] t = valid.tokenTypes().clone();
            t[random.nextInt(n)] = types[random.nextInt(types.length)];
            mutations.add(with(valid, valid.tokens(), t, valid.merges()));
        }
        for (int i = 0; i < 80; i++) {
            List<String> merges = new ArrayList<>(Arrays.asList(valid.merges()));
            int at = random.nextInt(m);
            switch (i % 4) {
                case 0 -> merges.remove(at);
                case 1 -> merges.add(at, merges.get(random.nextInt(m)));
                case 2 -> merges.set(at, junk[random.nextInt(junk.length)]);
                default -> merges.set(at, merges.get(at).replace(' ', '\u0120'));
            }
            mutations.add(with(valid, valid.tokens(), valid.tokenTypes(), merges.toArray(String[]::new)));
        }
        mutations.add(with(valid, Arrays.copyOf(valid.tokens(), n - 1), valid.tokenTypes(), valid.merges()));
        mutations.add(with(valid, new String[0], new int[0], new String[0]));
        mutations.add(with(valid, Arrays.copyOf(valid.tokens(), 100), Arrays.copyOf(valid.tokenTypes(), 100),
                valid.merges()));
        int[] ids = {-1, n, Integer.MAX_VALUE, Integer.MIN_VALUE, 0, 5};
        for (int id : ids) {
            mutations.add(new GgufTokenizer("gpt2", "llama-bpe", valid.tokens(), valid.tokenTypes(),
                    valid.merges(), id, valid.eosId(), valid.eotId(), null, null));
            mutations.add(new GgufTokenizer("gpt2", "llama-bpe", valid.tokens(), valid.tokenTypes(),
                    valid.merges(), valid.bosId(), id, id, id, null));
        }
        for (String model : new String[] {"llama", "bert", "", null}) {
            mutations.add(new GgufTokenizer(model, "llama-bpe", valid.tokens(), valid.tokenTypes(),
                    valid.merges(), valid.bosId(), valid.eosId(), null, null, null));
        }

        int rejected = 0;
        for (GgufTokenizer d : mutations) {
            try {
                d.toTokenizer("fuzz.gguf");
            } catch (LlamaException e) {
                assertThat(e.getMessage()).startsWith("fuzz.gguf").doesNotContain("\n");
                rejected++;
            }
        }
        System.out.println("GGUF tokenizer fuzz: " + mutations.size() + " mutations, " + rejected + " rejected");
        assertThat(mutations).hasSizeGreaterThan(200);
        assertThat(rejected).isGreaterThan(mutations.size() / 2);
    }

    private static GgufTokenizer with(GgufTokenizer d, String[] tokens, int[] types, String[] merges) {
        return new GgufTokenizer(d.model(), d.pre(), tokens, types, merges, d.bosId(), d.eosId(), d.eotId(),
                d.eomId(), d.chatTemplate());
    }

    private static List<byte[]> splitLines(byte[] data) {
        List<byte[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == '\n') {
                out.add(Arrays.copyOfRange(data, start, i));
                start = i + 1;
            }
        }
        if (start < data.length) {
            out.add(Arrays.copyOfRange(data, start, data.length));
        }
        return out;
    }

    private static byte[] join(List<byte[]> lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] l : lines) {
            out.writeBytes(l);
            out.write('\n');
        }
        return out.toByteArray();
    }

    private static byte[] flipBytes(byte[] data, Random random, int flips) {
        byte[] out = data.clone();
        for (int i = 0; i < flips; i++) {
            out[random.nextInt(out.length)] ^= (byte) (1 + random.nextInt(255));
        }
        return out;
    }

    private static byte[] crlf(byte[] data) {
        return new String(data, StandardCharsets.ISO_8859_1).replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] withLine(List<byte[]> lines, int index, java.util.function.UnaryOperator<String> change) {
        List<byte[]> l = new ArrayList<>(lines);
        l.set(index, change.apply(new String(l.get(index), StandardCharsets.ISO_8859_1))
                .getBytes(StandardCharsets.ISO_8859_1));
        return join(l);
    }

    private static String token(String line) {
        return line.substring(0, line.indexOf(' '));
    }

    private static String rank(String line) {
        return line.substring(line.indexOf(' ') + 1);
    }
}
