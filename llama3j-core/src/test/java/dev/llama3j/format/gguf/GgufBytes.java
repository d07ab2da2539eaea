package dev.llama3j.format.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes GGUF structures field by field (little-endian) for hand-built test files. */
final class GgufBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    GgufBytes u8(int v) {
        out.write(v);
        return this;
    }

    GgufBytes u16(int v) {
        return u8(v).u8(v >>> 8);
    }

    GgufBytes u32(long v) {
        return u16((int) v).u16((int) (v >>> 16));
    }

    GgufBytes u64(long v) {
        return u32(v).u32(v >>> 32);
    }

    GgufBytes f32(float v) {
        return u32(Float.floatToRawIntBits(v));
    }

    GgufBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(b.length);
        out.writeBytes(b);
        return this;
    }

    /** GGUF header: magic, version, tensor count, kv count. */
    GgufBytes header(int version, long tensors, long kvs) {
        out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        return u32(version).u64(tensors).u64(kvs);
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    GgufBytes pad(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
