package dev.llama3j.conformance;

import dev.llama3j.LlamaException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and writes 1-D float32 little-endian {@code .npy} files (format v1.0), the fixtures' logits format. */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private Npy() {}

    public static float[] readFloats(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.length < 10 || b[i] != MAGIC[i]) {
                throw new LlamaException(file + ": not a .npy file");
            }
        }
        int major = b[6];
        int headerLen;
        int dataStart;
        if (major == 1) {
            headerLen = buf.getShort(8) & 0xffff;
            dataStart = 10 + headerLen;
        } else {
            headerLen = buf.getInt(8);
            dataStart = 12 + headerLen;
        }
        if (headerLen < 0 || dataStart > b.length) {
            throw new LlamaException(file + ": truncated .npy header");
        }
        String header = new String(b, dataStart - headerLen, headerLen, StandardCharsets.ISO_8859_1);
        if (!header.contains("'descr': '<f4'") || header.contains("'fortran_order': True")) {
            throw new LlamaException(file + ": expected a little-endian float32 array, header " + header.trim());
        }
        int n = (b.length - dataStart) / 4;
        float[] out = new float[n];
        buf.position(dataStart);
        buf.asFloatBuffer().get(out);
        return out;
    }

    public static void writeFloats(Path file, float[] values) throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + values.length + ",), }";
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer buf = ByteBuffer.allocate(10 + header.length() + 4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        buf.put(header.getBytes(StandardCharsets.ISO_8859_1));
        for (float v : values) {
            buf.putFloat(v);
        }
        Files.write(file, buf.array());
    }
}
