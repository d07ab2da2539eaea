package dev.llama3j.tensor.quant;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Little-endian stores into byte arrays, and ggml's float16 scales. */
final class LittleEndian {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {}

    static void putShort(byte[] b, int at, short v) {
        SHORT.set(b, at, v);
    }

    static void putInt(byte[] b, int at, int v) {
        INT.set(b, at, v);
    }

    /** {@code v} as IEEE half, rounded to nearest even like ggml's GGML_FP32_TO_FP16 and numpy. */
    static void putHalf(byte[] b, int at, float v) {
        putShort(b, at, Float.floatToFloat16(v));
    }

    /** The float a half-precision scale reads back as (the quantizers requantize against it). */
    static float roundTripHalf(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }
}
