package dev.llama3j.format.pth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds torch-style zips (stored entries under one archive folder) in memory with java.util.zip. */
final class TorchZip {
    private final Map<String, byte[]> entries = new LinkedHashMap<>();
    private final Map<String, Boolean> deflated = new LinkedHashMap<>();

    TorchZip put(String name, byte[] data) {
        entries.put(name, data);
        return this;
    }

    TorchZip putDeflated(String name, byte[] data) {
        deflated.put(name, true);
        return put(name, data);
    }

    byte[] bytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey());
                if (!deflated.containsKey(e.getKey())) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    z.setMethod(ZipEntry.STORED);
                    z.setSize(e.getValue().length);
                    z.setCompressedSize(e.getValue().length);
                    z.setCrc(crc.getValue());
                }
                zip.putNextEntry(z);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A one-tensor torch zip: bf16 {@code values} as storage "0" of a state dict {'w': tensor[shape]}. */
    static byte[] oneTensor(short[] values, long... shape) {
        byte[] data = new byte[values.length * 2];
        for (int i = 0; i < values.length; i++) {
            data[2 * i] = (byte) values[i];
            data[2 * i + 1] = (byte) (values[i] >> 8);
        }
        byte[] pickle = new PickleBuilder().proto().op('}', '(').str("w")
                .bf16("0", values.length, 0, shape).op('u', '.').bytes();
        return new TorchZip().put("archive/data.pkl", pickle).put("archive/data/0", data)
                .put("archive/version", "3\n".getBytes()).bytes();
    }
}
