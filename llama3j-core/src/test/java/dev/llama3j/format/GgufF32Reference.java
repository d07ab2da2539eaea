package dev.llama3j.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Test-only ground truth: the F32 tensors of a GGUF v3 file, read with a deliberately minimal header walk
 * that shares no code with llama3j's loaders. GGUF stores q/k in Meta's row order, so it checks the HF
 * permutation independently. Rows are {@code ne[1]}, row length {@code ne[0]} (GGUF lists dims innermost
 * first).
 */
public final class GgufF32Reference {
    private final Map<String, float[][]> tensors = new HashMap<>();

    public GgufF32Reference(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != 0x46554747) { // "GGUF"
            throw new IOException("not GGUF: " + file);
        }
        if (b.getInt() != 3) {
            throw new IOException("expected GGUF v3: " + file);
        }
        long tensorCount = b.getLong();
        long kvCount = b.getLong();
        long alignment = 32;
        for (long i = 0; i < kvCount; i++) {
            String key = string(b);
            int type = b.getInt();
            if (key.equals("general.alignment")) {
                alignment = b.getInt() & 0xffffffffL;
            } else {
                skipValue(b, type);
            }
        }
        String[] names = new String[(int) tensorCount];
        long[][] dims = new long[(int) tensorCount][];
        long[] offsets = new long[(int) tensorCount];
        int[] types = new int[(int) tensorCount];
        for (int t = 0; t < tensorCount; t++) {
            names[t] = string(b);
            dims[t] = new long[b.getInt()];
            for (int d = 0; d < dims[t].length; d++) {
                dims[t][d] = b.getLong();
            }
            types[t] = b.getInt();
            offsets[t] = b.getLong();
        }
        long dataStart = (b.position() + alignment - 1) / alignment * alignment;
        for (int t = 0; t < tensorCount; t++) {
            if (types[t] != 0) {
                continue; // only F32 (ggml type 0) is ground truth here
            }
            int cols = (int) dims[t][0];
            int rows = dims[t].length > 1 ? (int) dims[t][1] : 1;
            float[][] m = new float[rows][cols];
            int at = (int) (dataStart + offsets[t]);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    m[r][c] = b.getFloat(at + 4 * (r * cols + c));
                }
            }
            tensors.put(names[t], m);
        }
    }

    /** Rows of the F32 tensor {@code name} (a 1-D tensor is one row). */
    public float[][] rows(String name) {
        float[][] m = tensors.get(name);
        if (m == null) {
            throw new IllegalArgumentException("no F32 tensor " + name);
        }
        return m;
    }

    private static String string(ByteBuffer b) {
        byte[] s = new byte[(int) b.getLong()];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static void skipValue(ByteBuffer b, int type) {
        switch (type) {
            case 0, 1, 7 -> b.position(b.position() + 1);
            case 2, 3 -> b.position(b.position() + 2);
            case 4, 5, 6 -> b.position(b.position() + 4);
            case 10, 11, 12 -> b.position(b.position() + 8);
            case 8 -> string(b);
            case 9 -> {
                int elem = b.getInt();
                long n = b.getLong();
                for (long i = 0; i < n; i++) {
                    skipValue(b, elem);
                }
            }
            default -> throw new IllegalStateException("GGUF value type " + type);
        }
    }
}
