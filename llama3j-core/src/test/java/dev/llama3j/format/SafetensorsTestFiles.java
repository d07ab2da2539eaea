package dev.llama3j.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Test-only safetensors writer/reader (Jackson tree, no llama3j code) to build valid and hostile files. */
public final class SafetensorsTestFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsTestFiles() {}

    /** One tensor as raw bytes. */
    public record Raw(String dtype, long[] shape, byte[] data) {}

    /** A file made of an arbitrary header text (padded with spaces to 8 bytes) and data bytes. */
    public static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            b.put((byte) ' ');
        }
        return b.put(data).array();
    }

    /** A valid file holding {@code tensors} in order. */
    public static byte[] file(Map<String, Raw> tensors) {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, Raw> e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(data.size()).add(data.size() + e.getValue().data().length);
            data.writeBytes(e.getValue().data());
        }
        return file(header.toString(), data.toByteArray());
    }

    /** The tensors of a valid file, in header order. */
    public static Map<String, Raw> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) b.getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(b.array(), 8, n, StandardCharsets.UTF_8));
        Map<String, Raw> out = new LinkedHashMap<>();
        for (Iterator<String> it = header.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (name.equals("__metadata__")) {
                continue;
            }
            ObjectNode t = (ObjectNode) header.get(name);
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.get("shape").get(i).longValue();
            }
            int begin = t.get("data_offsets").get(0).intValue();
            int end = t.get("data_offsets").get(1).intValue();
            byte[] data = new byte[end - begin];
            System.arraycopy(b.array(), 8 + n + begin, data, 0, data.length);
            out.put(name, new Raw(t.get("dtype").asText(), shape, data));
        }
        return out;
    }
}
