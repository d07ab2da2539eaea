package dev.llama3j.format.hf;

import dev.llama3j.LlamaException;
import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.tensor.Matrix;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Deterministic mutations of a real model directory (safetensors header and data, config.json, the shard
 * index): loading must either succeed with readable weights or throw LlamaException with a one-line
 * message; any other throwable (OutOfMemoryError, IndexOutOfBounds, ArithmeticException...) fails.
 */
@Tag("slow")
class HfLoaderFuzzTest {
    static final int ROUNDS = 3000;
    private static final String[] NUMBERS = {"0", "1", "-1", "2", "7", "8", "63", "64", "65", "224", "2160",
            "352896", "355064", "2147483647", "2147483648", "4294967296", "9223372036854775807",
            "9223372036854775808", "-9223372036854775808", "18446744073709551615", "99999999999999999999999999",
            "1e400", "1.5", "-0.0", "100000001", "true", "null", "\"x\"", "[]", "{}", "[1,2,3]"};
    private static final String[] STRINGS = {"", "I64", "F64", "U8", "BOOL", "F32", "F16", "BF16",
            "__metadata__", "lm_head.weight", "model.norm.weight", "model.layers.9.mlp.up_proj.weight",
            "model.layers.0.self_attn.q_proj.weight", "model-00001-of-00002.safetensors", "../config.json",
            "llama3", "yarn", "mistral", "dtype", "shape", "data_offsets"};
    private static final Pattern NUMBER = Pattern.compile("-?[0-9][0-9.eE+-]*|null|true|false");
    private static final Pattern STRING = Pattern.compile("\"([^\"\\\\]*)\"");
    private static final String SCALING = "{\"rope_type\":\"llama3\",\"factor\":%s,\"low_freq_factor\":%s,"
            + "\"high_freq_factor\":%s,\"original_max_position_embeddings\":%s}";

    @TempDir
    Path tmp;

    private Random rnd;

    @Test
    void onlyLlamaExceptionComesOut() throws IOException {
        ModelDir single = new ModelDir(HfModelLoaderTest.fixture("tiny-sv-hf"), tmp.resolve("single"));
        ModelDir sharded = new ModelDir(HfModelLoaderTest.fixture("tiny-sv-hf-sharded"), tmp.resolve("sharded"));
        byte[] weights = single.original("model.safetensors");
        byte[] config = single.original("config.json");
        byte[] index = sharded.original("model.safetensors.index.json");
        rnd = new Random(0x11a3a3L);
        int loaded = 0;
        int rejected = 0;
        for (int round = 0; round < ROUNDS; round++) {
            int kind = rnd.nextInt(20);
            ModelDir dir = kind < 18 ? single : sharded;
            String what;
            if (kind < 12) {
                what = "model.safetensors";
                single.set(what, mutateSafetensors(weights));
                single.set("config.json", config);
            } else if (kind < 18) {
                what = "config.json";
                single.set(what, mutateJson(config));
                single.set("model.safetensors", weights);
            } else {
                what = "model.safetensors.index.json";
                sharded.set(what, mutateJson(index));
            }
            try (LlamaWeights w = HfModelLoader.load(dir.path)) {
                readEveryMatrix(w);
                loaded++;
            } catch (LlamaException e) {
                assertThat(e.getMessage()).isNotBlank().doesNotContain("\n");
                rejected++;
            } catch (Throwable t) {
                fail("round " + round + " (mutated " + what + ") threw " + t, t);
            }
        }
        System.out.println("HfLoaderFuzzTest: " + ROUNDS + " mutated directories, " + loaded + " loaded, "
                + rejected + " rejected with LlamaException");
        assertThat(loaded + rejected).isEqualTo(ROUNDS);
        assertThat(rejected).as("the mutations must actually break files").isGreaterThan(ROUNDS / 2);
    }

    /** A writable copy of a fixture whose files are rewritten only when their content changes. */
    private static final class ModelDir {
        final Path source;
        final Path path;
        final java.util.Map<String, byte[]> current = new java.util.HashMap<>();

        ModelDir(Path source, Path path) throws IOException {
            this.source = source;
            this.path = path;
            Files.createDirectories(path);
            try (var files = Files.list(source)) {
                for (Path f : files.toList()) {
                    set(f.getFileName().toString(), Files.readAllBytes(f));
                }
            }
        }

        byte[] original(String name) throws IOException {
            return Files.readAllBytes(source.resolve(name));
        }

        void set(String name, byte[] bytes) throws IOException {
            if (!Arrays.equals(current.get(name), bytes)) {
                // A fresh file, not an overwrite: ext4 flushes to disk when a file is truncated and rewritten.
                Files.deleteIfExists(path.resolve(name));
                Files.write(path.resolve(name), bytes);
                current.put(name, bytes);
            }
        }
    }

    private static void readEveryMatrix(LlamaWeights w) {
        List<Matrix> all = new ArrayList<>(List.of(w.tokenEmbeddings(), w.output()));
        for (LayerWeights l : w.layers()) {
            all.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()));
        }
        for (Matrix m : all) {
            float[] buf = new float[m.cols()];
            m.row(m.rows() - 1, buf, 0);
            m.dot(0, buf, 0);
        }
    }

    private byte[] mutateSafetensors(byte[] file) {
        int headerEnd = 8 + (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(file, 8, headerEnd - 8, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(file, headerEnd, file.length);
        return switch (rnd.nextInt(7)) {
            case 0 -> Arrays.copyOf(file, rnd.nextBoolean() ? rnd.nextInt(headerEnd + 16) : rnd.nextInt(file.length));
            case 1 -> flipBytes(file, headerEnd);
            case 2 -> {
                long[] sizes = {0, 1, 7, 8, headerEnd - 9, headerEnd - 7, headerEnd, file.length - 8, file.length,
                        1L << 31, 1L << 32, 100_000_000, 100_000_001, Long.MAX_VALUE, -1, rnd.nextLong()};
                byte[] out = file.clone();
                ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, sizes[rnd.nextInt(sizes.length)]);
                yield out;
            }
            case 3 -> rebuild(replaceRandom(header, NUMBER, NUMBERS), data);
            case 4 -> rebuild(replaceRandom(header, STRING, quoted(STRINGS)), data);
            case 5 -> {
                int a = rnd.nextInt(header.length());
                int b = Math.min(header.length(), a + 1 + rnd.nextInt(40));
                yield rebuild(header.substring(0, a) + header.substring(b), data);
            }
            default -> {
                byte[] extra = new byte[1 + rnd.nextInt(16)];
                rnd.nextBytes(extra);
                byte[] out = Arrays.copyOf(file, file.length + extra.length);
                System.arraycopy(extra, 0, out, file.length, extra.length);
                yield out;
            }
        };
    }

    private byte[] mutateJson(byte[] file) {
        int kind = rnd.nextInt(6);
        if (kind == 5) {
            return rnd.nextBoolean() ? flipBytes(file, file.length) : Arrays.copyOf(file, rnd.nextInt(file.length));
        }
        String text = new String(file, StandardCharsets.UTF_8);
        String out = switch (kind) {
            case 0, 1 -> replaceRandom(text, NUMBER, NUMBERS);
            case 2 -> replaceRandom(text, STRING, quoted(STRINGS));
            case 3 -> {
                List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n")));
                lines.remove(rnd.nextInt(lines.size()));
                yield String.join("\n", lines);
            }
            default -> text.replace("\"rope_scaling\": null", "\"rope_scaling\": " + SCALING.formatted(
                    pick(NUMBERS), pick(NUMBERS), pick(NUMBERS), pick(NUMBERS)));
        };
        return out.getBytes(StandardCharsets.UTF_8);
    }

    private byte[] flipBytes(byte[] file, int within) {
        byte[] out = file.clone();
        byte[] structural = "{}[]\",:-0123456789e. ".getBytes(StandardCharsets.US_ASCII);
        for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
            int at = rnd.nextInt(within);
            out[at] = rnd.nextBoolean() ? structural[rnd.nextInt(structural.length)] : (byte) rnd.nextInt(256);
        }
        return out;
    }

    private String replaceRandom(String text, Pattern token, String[] choices) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = token.matcher(text);
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end()});
        }
        int[] s = spans.get(rnd.nextInt(spans.size()));
        return text.substring(0, s[0]) + pick(choices) + text.substring(s[1]);
    }

    private String pick(String[] choices) {
        return choices[rnd.nextInt(choices.length)];
    }

    private static String[] quoted(String[] s) {
        return Arrays.stream(s).map(x -> "\"" + x + "\"").toArray(String[]::new);
    }

    /** A file with a new header text (length recomputed, like a real writer would) and the old data. */
    private static byte[] rebuild(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }
}
