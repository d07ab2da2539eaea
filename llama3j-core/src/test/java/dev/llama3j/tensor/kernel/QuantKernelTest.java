package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static dev.llama3j.tensor.kernel.KernelTestSupport.Bytes;
import static dev.llama3j.tensor.kernel.KernelTestSupport.assertBitsEqual;
import static dev.llama3j.tensor.kernel.KernelTestSupport.exactDot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class QuantKernelTest {

    /** Byte offsets of the fp16 scales/mins inside one block of each type (the rest is quants and packed scales). */
    private static int[] fp16Fields(DType t) {
        return switch (t) {
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(t.name());
        };
    }

    /** {@code blocks} random blocks of {@code t} after a 3-byte prefix (rows need not be aligned in a file). */
    private static MemorySegment randomRow(DType t, int blocks, Random rnd) {
        byte[] b = new byte[3 + blocks * t.blockBytes];
        rnd.nextBytes(b);
        for (int blk = 0; blk < blocks; blk++) {
            for (int field : fp16Fields(t)) {
                // a valid, finite fp16 of either sign between 2^-10 and 2^-3
                float v = (float) Math.scalb(1 + rnd.nextDouble(), -3 - rnd.nextInt(8)) * (rnd.nextBoolean() ? 1 : -1);
                short h = Float.floatToFloat16(v);
                int at = 3 + blk * t.blockBytes + field;
                b[at] = (byte) h;
                b[at + 1] = (byte) (h >>> 8);
            }
        }
        return MemorySegment.ofArray(b);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void dotEqualsTheSumOverDequantizedWeights(DType t) {
        RowKernel kernel = t.kernel();
        Random rnd = new Random(t.ggmlId * 7919L);
        for (int blocks : new int[] {1, 3, 5, 7}) {
            for (int trial = 0; trial < 20; trial++) {
                int n = blocks * t.blockSize;
                MemorySegment w = randomRow(t, blocks, rnd);
                float[] x = new float[n + 5];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                float[] deq = new float[n + 2];
                kernel.dequantize(w, 3, deq, 2, n);
                float[] weights = Arrays.copyOfRange(deq, 2, n + 2);
                for (float v : weights) {
                    assertThat(v).isFinite();
                }

                double[] exact = exactDot(weights, x, 5);
                float dot = kernel.dot(w, 3, x, 5, n);
                // float32 accumulation error is bounded by a small multiple of eps * sum |w x|
                assertThat((double) dot).as("%s, %d blocks, trial %d", t, blocks, trial)
                        .isCloseTo(exact[0], within(1e-5 * exact[1] + 1e-30));
            }
        }
    }

    @Test
    void q8_0HandBuiltBlock() {
        // d = 0.5 (fp16 0x3800); q = 1, -2, 127, -128, then zeros. w = d * q.
        MemorySegment w = new Bytes(34).u16(0, 0x3800).u8(2, 1, -2, 127, -128).segment();
        float[] expected = new float[32];
        expected[0] = 0.5f;
        expected[1] = -1f;
        expected[2] = 63.5f;
        expected[3] = -64f;
        assertBitsEqual(dequantize(DType.Q8_0, w), expected);
    }

    @Test
    void q4_0HandBuiltBlock() {
        // d = 2.0 (0x4000). qs[0] = 0x9F: element 0 = low nibble 15 - 8 = 7 -> 14; element 16 = high 9 - 8 = 1 -> 2.
        // qs[1] = 0x08: element 1 = 8 - 8 = 0 -> 0; element 17 = 0 - 8 -> -16. Other bytes 0x88 -> 0.
        MemorySegment w = new Bytes(18).u16(0, 0x4000).fill(2, 18, 0x88).u8(2, 0x9F, 0x08).segment();
        float[] expected = new float[32];
        expected[0] = 14f;
        expected[16] = 2f;
        expected[17] = -16f;
        assertBitsEqual(dequantize(DType.Q4_0, w), expected);
    }

    @Test
    void q4_1HandBuiltBlock() {
        // d = 0.25 (0x3400), m = -1 (0xBC00). qs[0] = 0x3A: element 0 = 10*0.25 - 1 = 1.5; element 16 = 3*0.25 - 1
        // = -0.25. Every other quant is 0 -> -1.
        MemorySegment w = new Bytes(20).u16(0, 0x3400).u16(2, 0xBC00).u8(4, 0x3A).segment();
        float[] expected = new float[32];
        Arrays.fill(expected, -1f);
        expected[0] = 1.5f;
        expected[16] = -0.25f;
        assertBitsEqual(dequantize(DType.Q4_1, w), expected);
    }

    @Test
    void q5_0HandBuiltBlock() {
        // d = 1 (0x3C00); qh = 0x00010002 (bits 1 and 16). qs[0] = 0x21: element 0 = 1 - 16 = -15;
        // element 16 = (2 | 16) - 16 = 2. Element 1 = (0 | 16) - 16 = 0. Others 0 - 16 = -16.
        MemorySegment w = new Bytes(22).u16(0, 0x3C00).u8(2, 0x02, 0x00, 0x01, 0x00).u8(6, 0x21).segment();
        float[] expected = new float[32];
        Arrays.fill(expected, -16f);
        expected[0] = -15f;
        expected[1] = 0f;
        expected[16] = 2f;
        assertBitsEqual(dequantize(DType.Q5_0, w), expected);
    }

    @Test
    void q5_1HandBuiltBlock() {
        // d = 0.5 (0x3800), m = 1 (0x3C00); qh = 0x80000000 (bit 31). qs[15] = 0xF0: element 31 = high nibble 15 with
        // the 5th bit -> 31 * 0.5 + 1 = 16.5; element 15 = 0 -> 1. Others 0 -> 1.
        MemorySegment w = new Bytes(24).u16(0, 0x3800).u16(2, 0x3C00).u8(7, 0x80).u8(8 + 15, 0xF0).segment();
        float[] expected = new float[32];
        Arrays.fill(expected, 1f);
        expected[31] = 16.5f;
        assertBitsEqual(dequantize(DType.Q5_1, w), expected);
    }

    @Test
    void q4_KHandBuiltBlock() {
        // d = 1 (0x3C00), dmin = 0.5 (0x3800); scales (bytes 4..15): s[0] = 0xC3, s[4] = 0x42, s[8] = 0x52.
        // sub-block 0: sc = 0xC3 & 63 = 3, m = 0x42 & 63 = 2 -> w = 3q - 1.
        // sub-block 4: sc = (0x52 & 15) | (0xC3 >> 6) << 4 = 2 | 48 = 50; m = (0x52 >> 4) | (0x42 >> 6) << 4 = 5 | 16
        // = 21 -> w = 50q - 10.5. Every other sub-block has sc = m = 0 -> w = 0*q - 0 = +0.0.
        // qs (bytes 16..143): qs[0] = 0x07 -> element 0 (sub 0, low nibble) = 7 -> 20; its high nibble 0 is element
        // 32 (sub 1). qs[64] = 0x0F -> element 128 (sub 4, low nibble) = 15 -> 739.5.
        MemorySegment w = new Bytes(144).u16(0, 0x3C00).u16(2, 0x3800)
                .u8(4, 0xC3).u8(8, 0x42).u8(12, 0x52)
                .u8(16, 0x07).u8(16 + 64, 0x0F).segment();
        float[] expected = new float[256];
        Arrays.fill(expected, 0, 32, -1f);
        Arrays.fill(expected, 128, 160, -10.5f);
        expected[0] = 20f;
        expected[128] = 739.5f;
        assertBitsEqual(dequantize(DType.Q4_K, w), expected);
    }

    @Test
    void q5_KHandBuiltBlock() {
        // d = 1, dmin = 1 (0x3C00); scales: s[0] = 1 (sc0), s[1] = 2 (sc1), s[4] = 1 (m0); sub 4 takes its top bits
        // from s[0] >> 6 = 0 and s[4] >> 6 = 0 and its low bits from s[8] = 0 -> all other sc, m are 0.
        // qh (bytes 16..47): qh[0] = 0x03 -> 5th bit of element 0 (bit 0, sub 0) and element 32 (bit 1, sub 1).
        // qs (bytes 48..175): qs[0] = 0x21 -> element 0 = 1 | 16 = 17 -> 1*17 - 1 = 16;
        // element 32 = 2 | 16 = 18 -> 2*18 - 0 = 36. Rest of sub 0: 0 - 1 = -1; everything else +0.0.
        MemorySegment w = new Bytes(176).u16(0, 0x3C00).u16(2, 0x3C00)
                .u8(4, 1, 2).u8(8, 1).u8(16, 0x03).u8(48, 0x21).segment();
        float[] expected = new float[256];
        Arrays.fill(expected, 0, 32, -1f);
        expected[0] = 16f;
        expected[32] = 36f;
        assertBitsEqual(dequantize(DType.Q5_K, w), expected);
    }

    @Test
    void q6_KHandBuiltBlock() {
        // d = 0.5 (bytes 208..209 = 0x3800); int8 scales (bytes 192..207): sc[0] = 2, sc[2] = 1, sc[4] = 3,
        // sc[6] = -2, sc[8] = -1, others 0 -> sub-block factors 1, 0.5, 1.5, -1, -0.5 and 0 elsewhere.
        // ql[0] = 0x5A, qh[0] = 0xE4 = 0b11_10_01_00; ql[64] = 0x01, qh[32] = 0x03.
        // element 0:   low 0xA, top (qh[0] >> 0) & 3 = 0 -> 10 - 32 = -22, x1    -> -22
        // element 32:  low ql[32] & 15 = 0, top (qh[0] >> 2) & 3 = 1 -> 16 - 32 = -16, x0.5 -> -8
        // element 64:  low ql[0] >> 4 = 5, top (qh[0] >> 4) & 3 = 2 -> 37 - 32 = 5, x1.5  -> 7.5
        // element 96:  low ql[32] >> 4 = 0, top qh[0] >> 6 = 3 -> 48 - 32 = 16, x(-1)   -> -16
        // element 128: low ql[64] & 15 = 1, top qh[32] & 3 = 3 -> 49 - 32 = 17, x(-0.5) -> -8.5
        // every other element has q = -32: x1 -> -32, x0.5 -> -16, x1.5 -> -48, x(-1) -> 32, x(-0.5) -> 16,
        // and x0 -> -0.0 (0 times a negative quant).
        MemorySegment w = new Bytes(210).u16(208, 0x3800)
                .u8(192, 2, 0, 1, 0, 3, 0, -2, 0, -1)
                .u8(0, 0x5A).u8(128, 0xE4).u8(64, 0x01).u8(128 + 32, 0x03).segment();
        float[] expected = new float[256];
        Arrays.fill(expected, -0f);
        Arrays.fill(expected, 0, 16, -32f);
        Arrays.fill(expected, 32, 48, -16f);
        Arrays.fill(expected, 64, 80, -48f);
        Arrays.fill(expected, 96, 112, 32f);
        Arrays.fill(expected, 128, 144, 16f);
        expected[0] = -22f;
        expected[32] = -8f;
        expected[64] = 7.5f;
        expected[96] = -16f;
        expected[128] = -8.5f;
        assertBitsEqual(dequantize(DType.Q6_K, w), expected);
    }

    /** One block dequantized, and the same block's dot with each unit vector (which must pick that weight). */
    private static float[] dequantize(DType t, MemorySegment block) {
        float[] out = new float[t.blockSize];
        t.kernel().dequantize(block, 0, out, 0, t.blockSize);
        float[] unit = new float[t.blockSize];
        for (int i = 0; i < t.blockSize; i++) {
            unit[i] = 1f;
            assertThat(t.kernel().dot(block, 0, unit, 0, t.blockSize)).as("dot with unit vector %d", i)
                    .isCloseTo(out[i], within(0f));
            unit[i] = 0f;
        }
        return out;
    }
}
