package dev.llama3j.format.safetensors;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.format.SafetensorsTestFiles;
import dev.llama3j.format.SafetensorsTestFiles.Raw;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsFileTest {
    @TempDir
    Path tmp;

    private Path write(byte[] bytes) throws IOException {
        return Files.write(tmp.resolve("t" + System.nanoTime() + ".safetensors"), bytes);
    }

    private static byte[] le(int bytesPerValue, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * bytesPerValue).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (bytesPerValue) {
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> throw new IllegalArgumentException();
            }
        }
        return b.array();
    }

    @Test
    void readsEachDtypeInPlaceWithHandCheckedValues() throws IOException {
        Map<String, Raw> tensors = new LinkedHashMap<>();
        tensors.put("f32", new Raw("F32", new long[] {2, 3}, le(4,
                Float.floatToIntBits(1), Float.floatToIntBits(2), Float.floatToIntBits(3),
                Float.floatToIntBits(4), Float.floatToIntBits(5), Float.floatToIntBits(-6.5f))));
        // f16: 0x3C00 = 1.0, 0xC000 = -2.0; bf16: 0x3F80 = 1.0, 0x4040 = 3.0
        tensors.put("f16", new Raw("F16", new long[] {1, 2}, le(2, 0x3C00, 0xC000)));
        tensors.put("bf16", new Raw("BF16", new long[] {2}, le(2, 0x3F80, 0x4040)));
        tensors.put("scalar", new Raw("F32", new long[] {}, le(4, Float.floatToIntBits(7))));
        tensors.put("empty", new Raw("BF16", new long[] {0, 4}, new byte[0]));
        try (SafetensorsFile f = SafetensorsFile.open(write(SafetensorsTestFiles.file(tensors)))) {
            assertThat(f.tensors().keySet()).containsExactly("f32", "f16", "bf16", "scalar", "empty");
            Tensor t = f.tensor("f32");
            assertThat(t.type()).isEqualTo(DType.F32);
            assertThat(t.shape()).containsExactly(2, 3);
            assertThat(t.data().isMapped()).isTrue();
            Matrix m = t.asMatrix();
            float[] row = new float[3];
            m.row(1, row, 0);
            assertThat(row).containsExactly(4f, 5f, -6.5f);
            assertThat(f.tensor("f16").toFloats()).containsExactly(1f, -2f);
            assertThat(f.tensor("bf16").toFloats()).containsExactly(1f, 3f);
            assertThat(f.tensor("scalar").toFloats()).containsExactly(7f);
            assertThat(f.tensor("empty").elementCount()).isZero();
            assertThatThrownBy(() -> f.tensor("nope")).isInstanceOf(LlamaException.class).hasMessageContaining("nope");
        }
    }

    @Test
    void readsTheFixtureHeader() {
        Path p = SharedData.require("fixtures/hf/tiny-sv-hf/model.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            // 2 layers x 9 + embeddings + norm + lm_head, all BF16 (see FORMAT.md)
            assertThat(f.tensors()).hasSize(21);
            assertThat(f.tensors().values()).allMatch(t -> t.type() == DType.BF16);
            assertThat(f.tensor("model.layers.1.mlp.down_proj.weight").shape()).containsExactly(64, 224);
            assertThat(f.tensor("model.layers.0.self_attn.k_proj.weight").shape()).containsExactly(32, 64);
            assertThat(f.tensor("lm_head.weight").shape()).containsExactly(512, 64);
        }
    }

    private void assertRejected(byte[] file, String... messageParts) throws IOException {
        Path p = write(file);
        assertThatThrownBy(() -> SafetensorsFile.open(p).close())
                .isInstanceOf(LlamaException.class)
                .hasMessageContaining(p.toString())
                .hasMessageContainingAll(messageParts)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    private static byte[] withHeaderSize(long size, int total) {
        return ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN).putLong(size).array();
    }

    private static final String T = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    @Test
    void rejectsBadHeaderSizes() throws IOException {
        assertRejected(new byte[5], "too short");
        assertRejected(withHeaderSize(-1L, 64), "header size 18446744073709551615", "out of range");
        assertRejected(withHeaderSize(1L << 40, 64), "header size 1099511627776");
        assertRejected(withHeaderSize(57, 64), "header size 57", "56 bytes after");
        assertRejected(withHeaderSize(SafetensorsFile.MAX_HEADER_BYTES + 1, 64), "limit 100000000");
    }

    @Test
    void rejectsMalformedJson() throws IOException {
        assertRejected(SafetensorsTestFiles.file("{\"a\":", new byte[0]), "not valid JSON");
        assertRejected(SafetensorsTestFiles.file("[1,2]", new byte[0]), "must be a JSON object");
        assertRejected(SafetensorsTestFiles.file("{} {}", new byte[0]), "unexpected data after");
        assertRejected(SafetensorsTestFiles.file("{\"a\":1}", new byte[0]), "tensor a", "expected an object");
        assertRejected(SafetensorsTestFiles.file(T + ",\"a\":{}}", new byte[8]), "Duplicate field 'a'");
        assertRejected(SafetensorsTestFiles.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[8]),
                "tensor a: missing data_offsets");
        assertRejected(SafetensorsTestFiles.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}",
                new byte[8]), "shape must hold integers");
        assertRejected(SafetensorsTestFiles.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}",
                new byte[8]), "shape value -2 is out of range");
        assertRejected(SafetensorsTestFiles.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}",
                new byte[8]), "data_offsets has more than 2 entries");
        assertRejected(SafetensorsTestFiles.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[" + "1,".repeat(16) + "1],"
                + "\"data_offsets\":[0,4]}}", new byte[4]), "shape has more than 16 entries");
        assertRejected(SafetensorsTestFiles.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],"
                + "\"data_offsets\":[0,4]}}", new byte[4]), "out of range");
    }

    @Test
    void ignoresMetadataAndUnknownKeys() throws IOException {
        String h = "{\"__metadata__\":{\"format\":\"pt\",\"x\":[1,{\"y\":2}]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":{\"z\":[]}}}";
        try (SafetensorsFile f = SafetensorsFile.open(write(SafetensorsTestFiles.file(h, new byte[8])))) {
            assertThat(f.tensors().keySet()).containsExactly("a");
        }
    }

    @Test
    void rejectsUnsupportedDtype() throws IOException {
        assertRejected(SafetensorsTestFiles.file("{\"tok\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
                new byte[8]), "tensor tok has dtype I64", "expected F32, F16 or BF16");
    }

    @Test
    void rejectsBadOffsets() throws IOException {
        String two = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[%d,%d]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[%d,%d]}}";
        // past the end of the file
        assertRejected(SafetensorsTestFiles.file(two.formatted(0, 8, 8, 16), new byte[12]),
                "tensor b ends at data byte 16", "12 data bytes");
        // overlapping
        assertRejected(SafetensorsTestFiles.file(two.formatted(0, 8, 4, 12), new byte[12]),
                "tensor b has data_offsets [4, 12], expected it to start at 8");
        // wrong length
        assertRejected(SafetensorsTestFiles.file(two.formatted(0, 8, 8, 20), new byte[20]),
                "tensor b (F32 [2]) needs 8 bytes, data_offsets give 12");
        // end before begin
        assertRejected(SafetensorsTestFiles.file(two.formatted(0, 8, 8, 0), new byte[16]), "[8, 0]");
        // a gap, and trailing bytes
        assertRejected(SafetensorsTestFiles.file(two.formatted(0, 8, 12, 20), new byte[20]),
                "expected it to start at 8");
        assertRejected(SafetensorsTestFiles.file(two.formatted(0, 8, 8, 16), new byte[24]),
                "cover 16 of the 24 data bytes");
        // huge values that overflow when multiplied or added
        assertRejected(SafetensorsTestFiles.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
                + "\"data_offsets\":[0,8]}}", new byte[8]), "is too large");
        assertRejected(SafetensorsTestFiles.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[0,9223372036854775807]}}", new byte[8]), "needs 8 bytes");
    }

    @Test
    void rejectsMissingFile() {
        Path p = tmp.resolve("absent.safetensors");
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("absent.safetensors");
    }
}
