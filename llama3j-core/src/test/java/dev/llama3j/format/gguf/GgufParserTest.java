package dev.llama3j.format.gguf;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Hand-built GGUF files: every value type, v2, custom alignment, and hostile headers. */
class GgufParserTest {

    private static GgufFile parse(byte[] bytes) {
        return GgufFile.parse(MemorySegment.ofArray(bytes), "test.gguf", null);
    }

    /** A v2 file with one value of every type, a nested array, alignment 64 and a 2x3 F32 tensor. */
    private static byte[] everyType() {
        GgufBytes b = new GgufBytes().header(2, 1, 15)
                .str("u8").u32(0).u8(200)
                .str("i8").u32(1).u8(-5)
                .str("u16").u32(2).u16(65000)
                .str("i16").u32(3).u16(-300)
                .str("u32").u32(4).u32(4000000000L)
                .str("i32").u32(5).u32(-7)
                .str("f32").u32(6).f32(1.5f)
                .str("bool").u32(7).u8(1)
                .str("str").u32(8).str("héllo")
                .str("u64").u32(10).u64(-1L)
                .str("i64").u32(11).u64(-9_000_000_000L)
                .str("f64").u32(12).u64(Double.doubleToRawLongBits(0.1))
                .str("ints").u32(9).u32(5).u64(3).u32(1).u32(-2).u32(3)
                .str("nested").u32(9).u32(9).u64(2)
                .u32(8).u64(2).str("a").str("bc")
                .u32(6).u64(1).f32(2.5f)
                .str("general.alignment").u32(4).u32(64);
        b.str("w").u32(2).u64(3).u64(2).u32(0).u64(0).pad(64);
        for (int i = 0; i < 6; i++) {
            b.f32(i);
        }
        return b.bytes();
    }

    @Test
    void readsEveryValueTypeOfAVersion2File() {
        GgufFile f = parse(everyType());
        GgufMetadata m = f.metadata();
        assertThat(f.version()).isEqualTo(2);
        assertThat(f.kvCount()).isEqualTo(15);
        assertThat(m.getInt("u8")).isEqualTo(200);
        assertThat(m.getInt("i8")).isEqualTo(-5);
        assertThat(m.getInt("u16")).isEqualTo(65000);
        assertThat(m.getInt("i16")).isEqualTo(-300);
        assertThat(m.getLong("u32")).isEqualTo(4000000000L);
        assertThat(m.getInt("i32")).isEqualTo(-7);
        assertThat(m.getFloat("f32")).isEqualTo(1.5f);
        assertThat(m.getBoolean("bool")).isTrue();
        assertThat(m.getString("str")).isEqualTo("héllo");
        assertThat(m.type("u64")).isEqualTo(GgufType.UINT64);
        assertThat(m.getLong("i64")).isEqualTo(-9_000_000_000L);
        assertThat(m.getDouble("f64")).isEqualTo(0.1);
        assertThat(m.getIntArray("ints")).containsExactly(1, -2, 3);
        GgufArray[] nested = (GgufArray[]) m.getArray("nested").values();
        assertThat((String[]) nested[0].values()).containsExactly("a", "bc");
        assertThat((float[]) nested[1].values()).containsExactly(2.5f);
        assertThat(f.alignment()).isEqualTo(64);

        Tensor w = f.tensor("w");
        assertThat(w.type()).isEqualTo(DType.F32);
        assertThat(w.shape()).containsExactly(2, 3);   // ggml [3, 2] reversed
        assertThat(f.dataOffset() % 64).isZero();
        assertThat(w.toFloats()).containsExactly(0, 1, 2, 3, 4, 5);
        float[] row = new float[3];
        w.asMatrix().row(1, row, 0);
        assertThat(row).containsExactly(3, 4, 5);
    }

    @Test
    void typedGettersRejectMissingKeysWrongTypesAndOutOfRangeValues() {
        GgufMetadata m = parse(everyType()).metadata();
        assertThatThrownBy(() -> m.getInt("nope")).isInstanceOf(LlamaException.class)
                .hasMessage("test.gguf: metadata key nope is missing");
        assertThatThrownBy(() -> m.getString("u8")).isInstanceOf(LlamaException.class)
                .hasMessage("test.gguf: metadata u8 is UINT8, expected a string");
        assertThatThrownBy(() -> m.getInt("u32")).isInstanceOf(LlamaException.class)
                .hasMessageContaining("4000000000 is out of the int range");
        assertThatThrownBy(() -> m.getLong("u64")).isInstanceOf(LlamaException.class)
                .hasMessageContaining("18446744073709551615 is too large");
        assertThatThrownBy(() -> m.getStringArray("ints")).isInstanceOf(LlamaException.class)
                .hasMessage("test.gguf: metadata ints is an array of INT32, expected an array of strings");
        assertThat(m.getInt("nope", 9)).isEqualTo(9);
        assertThat(m.getString("str", "x")).isEqualTo("héllo");
    }

    @Test
    void rejectsBadMagicVersionsAndByteOrder() {
        assertRejected(new GgufBytes().u32(0x464c457f).u32(3).bytes(), "not a GGUF file");
        assertRejected(new GgufBytes().header(1, 0, 0).bytes(), "GGUF version 1 is not supported (expected 2 or 3)");
        assertRejected(new GgufBytes().header(0x03000000, 0, 0).bytes(), "big-endian GGUF files are not supported");
        assertRejected(new byte[] {'G', 'G'}, "file ends while reading magic");
    }

    @Test
    void rejectsCountsAndLengthsLargerThanTheFile() {
        assertRejected(new GgufBytes().header(3, 0, 1L << 60).bytes(), "kv_count 1152921504606846976 is impossible");
        assertRejected(new GgufBytes().header(3, -1, 0).bytes(), "tensor_count 18446744073709551615 is impossible");
        assertRejected(new GgufBytes().header(3, 0, 1).u64(1L << 40).u32(0).u32(0).bytes(),
                "string length 1099511627776 exceeds");
        assertRejected(new GgufBytes().header(3, 0, 1).str("a").u32(9).u32(8).u64(1L << 40).u64(0).bytes(),
                "metadata a claims 1099511627776 STRING elements");
        assertRejected(new GgufBytes().header(3, 0, 1).str("a").u32(13).u32(0).bytes(),
                "metadata a has unknown value type id 13");
    }

    @Test
    void rejectsDeeplyNestedArrays() {
        GgufBytes b = new GgufBytes().header(3, 0, 1).str("deep").u32(9);
        for (int i = 0; i < 100; i++) {
            b.u32(9).u64(1);
        }
        assertRejected(b.u32(0).u64(0).bytes(), "nests arrays deeper than 8 levels");
    }

    @Test
    void rejectsBadTensorInfos() {
        assertRejected(tensorFile(2, 32, 1, 99, 0), "tensor t has unknown or unsupported ggml type id 99");
        assertRejected(tensorFile(5, 32, 1, 0, 0), "tensor t has 5 dimensions (expected 1 to 4)");
        assertRejected(tensorFile(2, 33, 1, 8, 0), "row length 33 is not a multiple of the Q8_0 block size 32");
        assertRejected(tensorFile(2, 32, 1, 0, 16), "data offset 16 is not a multiple of the alignment 32");
        assertRejected(tensorFile(2, 32, 2, 0, 0), "lies past the end of the file");
        assertRejected(tensorFile(2, 1L << 40, 1L << 40, 0, 0), "overflow");
        assertRejected(tensorFile(2, 32, -1, 0, 0), "dimension 1 = 18446744073709551615 is too large");
    }

    /** One tensor "t" with ggml dims [ne0, ne1] (when nDims allows), type id and offset, and 128 data bytes. */
    private static byte[] tensorFile(int nDims, long ne0, long ne1, int type, long offset) {
        GgufBytes b = new GgufBytes().header(3, 1, 0).str("t").u32(nDims);
        for (int d = 0; d < nDims; d++) {
            b.u64(d == 0 ? ne0 : d == 1 ? ne1 : 1);
        }
        b.u32(type).u64(offset).pad(32);
        for (int i = 0; i < 128; i++) {
            b.u8(0);
        }
        return b.bytes();
    }

    private static void assertRejected(byte[] file, String message) {
        assertThatThrownBy(() -> parse(file)).isInstanceOf(LlamaException.class)
                .hasMessageStartingWith("test.gguf: ").hasMessageContaining(message);
    }
}
