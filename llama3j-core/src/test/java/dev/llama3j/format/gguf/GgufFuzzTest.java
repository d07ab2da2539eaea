package dev.llama3j.format.gguf;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.tensor.Matrix;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Deterministic mutations of real GGUF files (truncation, flipped header bytes, counts, lengths, dims, type
 * ids and offsets overwritten with huge or random values): opening and loading must either succeed or fail
 * with a {@link LlamaException}; never another exception, an OutOfMemoryError or a hang.
 */
@Tag("slow")
class GgufFuzzTest {
    private static final int ITERATIONS = 2500;
    private static final long[] HUGE = {-1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 62, 1L << 40, 1L << 32,
            0xFFFFFFFFL, 1L << 31, Integer.MAX_VALUE - 7, 65, 3, 0};

    @ParameterizedTest
    @ValueSource(strings = {"tiny-sv-gguf-q8_0", "tiny-k-gguf-q4_k_m"})
    void mutatedFilesFailOnlyWithLlamaException(String fixture) throws Exception {
        byte[] original = Files.readAllBytes(SharedData.require("fixtures/gguf/" + fixture + ".gguf"));
        int header;
        List<Integer> u64Fields = new ArrayList<>();
        List<Integer> u32Fields = new ArrayList<>();
        try (GgufFile f = GgufFile.parse(MemorySegment.ofArray(original), fixture, null)) {
            header = (int) f.dataOffset();
            u64Fields.add(8);    // tensor_count
            u64Fields.add(16);   // kv_count
            for (String key : f.metadata().keys()) {
                int at = indexOf(original, header, key);
                int value = at + key.length() + 4;
                u64Fields.add(at - 8);                 // key length
                u32Fields.add(at + key.length());      // value type
                if (f.metadata().type(key) == GgufType.ARRAY) {
                    u32Fields.add(value);              // element type
                    u64Fields.add(value + 4);          // array length
                } else if (f.metadata().type(key) == GgufType.STRING) {
                    u64Fields.add(value);              // string length
                } else {
                    u32Fields.add(value);
                }
            }
            for (var t : f.tensors().values()) {
                int at = indexOf(original, header, t.name());
                int dims = at + t.name().length();
                u64Fields.add(at - 8);                          // name length
                u32Fields.add(dims);                            // n_dims
                for (int d = 0; d < t.rank(); d++) {
                    u64Fields.add(dims + 4 + 8 * d);            // dimension d
                }
                u32Fields.add(dims + 4 + 8 * t.rank());         // ggml type id
                u64Fields.add(dims + 8 + 8 * t.rank());         // data offset
            }
        }

        Random rnd = new Random(fixture.hashCode());
        byte[] work = original.clone();
        int loaded = 0;
        int rejected = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            int length = work.length;
            String mutation;
            int kind = rnd.nextInt(4);
            switch (kind) {
                case 0 -> {
                    length = rnd.nextInt(10) == 0 ? rnd.nextInt(work.length) : rnd.nextInt(header + 64);
                    mutation = "truncate to " + length;
                }
                case 1 -> {
                    StringBuilder sb = new StringBuilder("flip");
                    for (int n = 1 + rnd.nextInt(4); n > 0; n--) {
                        int at = rnd.nextInt(header);
                        work[at] ^= (byte) (1 << rnd.nextInt(8));
                        sb.append(' ').append(at);
                    }
                    mutation = sb.toString();
                }
                case 2 -> {
                    int at = u64Fields.get(rnd.nextInt(u64Fields.size()));
                    long v = rnd.nextInt(3) == 0 ? rnd.nextLong() : HUGE[rnd.nextInt(HUGE.length)];
                    putLong(work, at, v);
                    mutation = "u64 at " + at + " = " + Long.toUnsignedString(v);
                }
                default -> {
                    int at = u32Fields.get(rnd.nextInt(u32Fields.size()));
                    int v = rnd.nextBoolean() ? rnd.nextInt(40) : rnd.nextInt();
                    putLong(work, at, v & 0xFFFFFFFFL, 4);
                    mutation = "u32 at " + at + " = " + Integer.toUnsignedString(v);
                }
            }
            try {
                GgufFile f = GgufFile.parse(MemorySegment.ofArray(work).asSlice(0, length), fixture, null);
                try (LlamaWeights w = GgufModelLoader.load(f)) {
                    exercise(w);
                }
                loaded++;
            } catch (LlamaException e) {
                rejected++;
            } catch (Throwable t) {
                fail("iteration " + i + " (" + mutation + "): " + t, t);
            }
            System.arraycopy(original, 0, work, 0, header);   // mutations only touch the header
        }
        System.out.printf("GGUF fuzz %s: %d mutations, %d rejected with LlamaException, %d still loadable%n",
                fixture, ITERATIONS, rejected, loaded);
        assertThat(rejected).isGreaterThan(ITERATIONS / 2);
        assertThat(loaded + rejected).isEqualTo(ITERATIONS);
    }

    /** Reads the first and last row of every matrix and one dot product, as inference would. */
    static void exercise(LlamaWeights w) {
        List<Matrix> ms = new ArrayList<>(List.of(w.tokenEmbeddings(), w.output()));
        for (LayerWeights l : w.layers()) {
            ms.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()));
        }
        for (Matrix m : ms) {
            float[] row = new float[m.cols()];
            m.row(0, row, 0);
            m.row(m.rows() - 1, row, 0);
            m.dot(m.rows() / 2, row, 0);
        }
    }

    private static int indexOf(byte[] file, int end, String text) {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 8; i + needle.length <= end; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (file[i + j] != needle[j]) {
                    continue outer;
                }
            }
            // a name is preceded by its u64 length
            if (file[i - 8] == needle.length && file[i - 7] == 0) {
                return i;
            }
        }
        throw new AssertionError(text + " not found in the header");
    }

    private static void putLong(byte[] b, int at, long v) {
        putLong(b, at, v, 8);
    }

    private static void putLong(byte[] b, int at, long v, int bytes) {
        for (int i = 0; i < bytes; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }
}
