package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Deterministic mutations of a real checkpoint: whatever the damage, loading either succeeds (the damage hit
 * weight bytes) or fails with a {@link LlamaException}; never another exception, an OOM or a hang.
 */
@Tag("slow")
class PthFuzzTest {
    private static final int MUTANTS = 3000;
    private static final long[] HUGE = {0xFFFFFFFFL, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFFFFFFFFFL,
            Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, 1L << 40, 0};

    @Test
    void mutatedCheckpointsOnlyEverFailWithLlamaException() throws IOException {
        Path dir = SharedData.require("fixtures/meta/tiny-sv-meta");
        byte[] original = Files.readAllBytes(dir.resolve("consolidated.00.pth"));
        ModelConfig config = MetaParams.read(dir.resolve("params.json"));
        ZipArchive zip = ZipArchive.read("orig", MemorySegment.ofArray(original));
        MemorySegment base = MemorySegment.ofArray(original);
        MemorySegment pickle = zip.entry("consolidated.00/data.pkl");
        int pickleStart = (int) (pickle.address() - base.address());
        int pickleEnd = pickleStart + (int) pickle.byteSize();
        int directoryStart = (int) (zip.entry("consolidated.00/version").address() - base.address()) + 2;

        Random random = new Random(20240611L);
        int loaded = 0;
        int rejected = 0;
        for (int i = 0; i < MUTANTS; i++) {
            byte[] mutant = original.clone();
            String what;
            switch (i % 6) {
                case 0 -> {
                    int len = random.nextInt(original.length);
                    mutant = Arrays.copyOf(original, len);
                    what = "truncated to " + len;
                }
                case 1 -> what = flip(mutant, random, pickleStart, pickleEnd, "pickle");
                case 2 -> what = flip(mutant, random, directoryStart, original.length, "directory");
                case 3 -> what = flip(mutant, random, 0, original.length, "anywhere");
                case 4 -> what = overwrite(mutant, random, directoryStart, original.length, "directory");
                default -> what = overwrite(mutant, random, pickleStart, pickleEnd, "pickle");
            }
            try {
                Map<String, Tensor> tensors = PthCheckpoint.readTensors("mutant", MemorySegment.ofArray(mutant));
                LlamaWeights w = MetaCheckpointLoader.assemble(config, List.of(tensors), List.of("mutant"), null);
                touch(w.tokenEmbeddings());
                touch(w.output());
                w.layers().forEach(l -> touch(l.w2()));
                loaded++;
            } catch (LlamaException expected) {
                assertThat(expected.getMessage()).startsWith("mutant");
                rejected++;
            } catch (Throwable t) {
                fail("mutant " + i + " (" + what + ") threw " + t, t);
            }
        }
        System.out.printf("PthFuzzTest: %d mutants, %d loaded (damage in weight bytes), %d rejected with LlamaException%n",
                MUTANTS, loaded, rejected);
        assertThat(loaded + rejected).isEqualTo(MUTANTS);
        assertThat(rejected).isGreaterThan(MUTANTS / 2);
    }

    /** Reads the first and last rows: every view must lie inside the file. */
    private static void touch(Matrix m) {
        float[] row = new float[m.cols()];
        m.row(0, row, 0);
        m.row(m.rows() - 1, row, 0);
    }

    private static String flip(byte[] b, Random random, int from, int to, String region) {
        int n = 1 + random.nextInt(8);
        for (int k = 0; k < n; k++) {
            b[from + random.nextInt(to - from)] ^= (byte) (1 + random.nextInt(255));
        }
        return n + " bytes flipped in " + region;
    }

    private static String overwrite(byte[] b, Random random, int from, int to, String region) {
        long value = HUGE[random.nextInt(HUGE.length)];
        boolean wide = random.nextBoolean();
        int at = from + random.nextInt(to - from - 8);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (wide) {
            buf.putLong(at, value);
        } else {
            buf.putInt(at, (int) value);
        }
        return (wide ? 8 : 4) + "-byte field at " + at + " in " + region + " set to " + Long.toHexString(value);
    }
}
