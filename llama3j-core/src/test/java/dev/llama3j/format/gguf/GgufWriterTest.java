package dev.llama3j.format.gguf;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GgufWriter output read back by llama3j's GGUF reader, and the no-partial-output guarantee. */
class GgufWriterTest {
    @TempDir
    Path dir;

    @Test
    void metadataOfEveryTypeAndTensorsRoundTrip() throws IOException {
        GgufWriter w = new GgufWriter()
                .put("u8", GgufType.UINT8, 255L).put("i8", GgufType.INT8, -128L)
                .put("u16", GgufType.UINT16, 65535L).put("i16", GgufType.INT16, -32768L)
                .putUInt32("u32", 4294967295L).putInt32("i32", Integer.MIN_VALUE)
                .put("u64", GgufType.UINT64, -1L).put("i64", GgufType.INT64, Long.MIN_VALUE)
                .putFloat32("f32", 1.5f).put("f64", GgufType.FLOAT64, Math.PI)
                .putBool("yes", true).putBool("no", false).putString("s", "Grüße ✓")
                .putArray("strings", new GgufArray(GgufType.STRING, new String[] {"a", "", "ĠHello"}))
                .putArray("ints", new GgufArray(GgufType.INT32, new int[] {1, -2, 3}))
                .putArray("floats", new GgufArray(GgufType.FLOAT32, new float[] {0.25f, -0f}))
                .putArray("nested", new GgufArray(GgufType.ARRAY, new GgufArray[] {
                        new GgufArray(GgufType.UINT8, new byte[] {1, 2}), new GgufArray(GgufType.BOOL, new boolean[] {true})}));
        w.addTensor("v", DType.Q8_0, new long[] {3, 32},
                sink -> sink.write(new byte[3 * 34], 0, 3 * 34));
        w.addTensor("bytes", DType.F16, new long[] {2, 4}, sink -> {
            byte[] b = new byte[16];
            for (int i = 0; i < 16; i++) {
                b[i] = (byte) i;
            }
            sink.write(b, 0, 10);
            sink.write(b, 10, 6);
        });
        Path out = dir.resolve("m.gguf");
        w.write(out, null);

        try (GgufFile f = GgufFile.open(out)) {
            GgufMetadata m = f.metadata();
            assertThat(f.version()).isEqualTo(3);
            assertThat(m.keys()).containsExactly("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64",
                    "yes", "no", "s", "strings", "ints", "floats", "nested");
            assertThat(m.getLong("u8")).isEqualTo(255);
            assertThat(m.getLong("i8")).isEqualTo(-128);
            assertThat(m.getLong("u16")).isEqualTo(65535);
            assertThat(m.getLong("i16")).isEqualTo(-32768);
            assertThat(m.getLong("u32")).isEqualTo(4294967295L);
            assertThat(m.getInt("i32")).isEqualTo(Integer.MIN_VALUE);
            assertThat(m.type("u64")).isEqualTo(GgufType.UINT64);
            assertThat((Long) m.get("u64")).isEqualTo(-1L);
            assertThat(m.getLong("i64")).isEqualTo(Long.MIN_VALUE);
            assertThat(m.getFloat("f32")).isEqualTo(1.5f);
            assertThat(m.getDouble("f64")).isEqualTo(Math.PI);
            assertThat(m.getBoolean("yes")).isTrue();
            assertThat(m.getBoolean("no")).isFalse();
            assertThat(m.getString("s")).isEqualTo("Grüße ✓");
            assertThat(m.getStringArray("strings")).containsExactly("a", "", "ĠHello");
            assertThat(m.getIntArray("ints")).containsExactly(1, -2, 3);
            assertThat(m.getFloatArray("floats")).containsExactly(0.25f, -0f);
            GgufArray[] nested = (GgufArray[]) m.getArray("nested").values();
            assertThat((byte[]) nested[0].values()).containsExactly(1, 2);
            assertThat((boolean[]) nested[1].values()).containsExactly(true);
            assertThat(f.alignment()).isEqualTo(32);
            assertThat(m.has("general.alignment")).isFalse();
            assertThat(f.dataOffset() % 32).isZero();
            Tensor q = f.tensor("v");
            assertThat(q.type()).isEqualTo(DType.Q8_0);
            assertThat(q.shape()).containsExactly(3, 32);
            Tensor t = f.tensor("bytes");
            assertThat(t.shape()).containsExactly(2, 4);
            assertThat(t.data().address() - q.data().address()).isEqualTo(128); // 102 bytes padded to 32
            assertThat(t.data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                    12, 13, 14, 15);
        }
        assertThat(Files.size(out) % 32).isZero();
    }

    @Test
    void nonDefaultAlignmentIsWrittenAsGeneralAlignment() throws IOException {
        Path out = dir.resolve("a.gguf");
        new GgufWriter(64).putString("k", "v")
                .addTensor("x", DType.F32, new long[] {1}, sink -> sink.write(new byte[4], 0, 4))
                .addTensor("y", DType.F32, new long[] {1}, sink -> sink.write(new byte[4], 0, 4))
                .write(out, null);
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.metadata().getLong("general.alignment")).isEqualTo(64);
            assertThat(f.dataOffset() % 64).isZero();
            assertThat(f.tensor("y").data().address() - f.tensor("x").data().address()).isEqualTo(64);
        }
    }

    @Test
    void aFailingTensorLeavesNoFileAndKeepsTheOldOne() throws IOException {
        Path out = dir.resolve("m.gguf");
        Files.writeString(out, "old");
        GgufWriter w = new GgufWriter().putString("k", "v")
                .addTensor("x", DType.F32, new long[] {4}, sink -> {
                    sink.write(new byte[8], 0, 8);
                    throw new LlamaException("source went away");
                });
        assertThatThrownBy(() -> w.write(out, null)).isInstanceOf(LlamaException.class).hasMessage("source went away");
        assertThat(Files.readString(out)).isEqualTo("old");
        assertThat(dir.resolve("m.gguf.tmp")).doesNotExist();

        GgufWriter tooShort = new GgufWriter()
                .addTensor("x", DType.F32, new long[] {4}, sink -> sink.write(new byte[8], 0, 8));
        assertThatThrownBy(() -> tooShort.write(dir.resolve("n.gguf"), null)).hasMessageContaining("produced 8 bytes");
        assertThat(dir.resolve("n.gguf")).doesNotExist();
        assertThat(dir.resolve("n.gguf.tmp")).doesNotExist();
    }

    @Test
    void unwritableFolderIsOneClearError() {
        Path out = dir.resolve("missing").resolve("m.gguf");
        assertThatThrownBy(() -> new GgufWriter().putString("k", "v").write(out, null))
                .isInstanceOf(LlamaException.class)
                .hasMessage(out + ": cannot write: the folder does not exist");
    }

    @Test
    void rejectsValuesThatDoNotFitTheirType() {
        GgufWriter w = new GgufWriter();
        assertThatThrownBy(() -> w.putUInt32("k", -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.put("k", GgufType.UINT8, 256L)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.putArray("k", new GgufArray(GgufType.INT32, new long[] {1})))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.addTensor("t", DType.Q4_0, new long[] {2, 16}, s -> {}))
                .isInstanceOf(IllegalArgumentException.class);
        w.putString("k", "v");
        assertThatThrownBy(() -> w.putString("k", "again")).isInstanceOf(IllegalArgumentException.class);
    }
}
