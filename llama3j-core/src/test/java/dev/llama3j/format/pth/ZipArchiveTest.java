package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.format.io.MappedFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ZipArchiveTest {
    private static final String SHARD = "fixtures/meta/tiny-sv-meta-mp2/consolidated.00.pth";

    private static ZipArchive read(byte[] bytes) {
        return ZipArchive.read("t.pth", MemorySegment.ofArray(bytes));
    }

    private static byte[] fixture() throws IOException {
        return Files.readAllBytes(SharedData.require(SHARD));
    }

    /** Offset of the last occurrence of a little-endian 32-bit signature. */
    private static int lastSignature(byte[] b, int sig) {
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = b.length - 4; i >= 0; i--) {
            if (buf.getInt(i) == sig) {
                return i;
            }
        }
        throw new AssertionError("signature not found");
    }

    @Test
    void readsTorchFixtureLikeJavaUtilZip() throws IOException {
        Path path = SharedData.require(SHARD);
        try (MappedFile file = MappedFile.open(path); ZipFile reference = new ZipFile(path.toFile())) {
            ZipArchive zip = ZipArchive.read(path.toString(), file.segment());
            List<String> names = new ArrayList<>();
            for (ZipEntry e : Collections.list(reference.entries())) {
                names.add(e.getName());
                MemorySegment data = zip.entry(e.getName());
                try (InputStream in = reference.getInputStream(e)) {
                    assertThat(data.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(in.readAllBytes());
                }
                // torch pads local headers so that every entry's data starts 64-byte aligned
                assertThat((data.address() - file.segment().address()) % 64).isZero();
            }
            assertThat(zip.names()).containsExactlyElementsOf(names)
                    .contains("consolidated.00/data.pkl", "consolidated.00/data/0", "consolidated.00/version");
            assertThat(zip.entry("consolidated.00/version").toArray(ValueLayout.JAVA_BYTE)).isEqualTo("3\n".getBytes());
        }
    }

    @Test
    void readsZipWrittenByJavaUtilZip() {
        byte[] zip = new TorchZip().put("a/x", new byte[] {1, 2, 3}).put("a/empty", new byte[0]).bytes();
        ZipArchive archive = read(zip);
        assertThat(archive.names()).containsExactly("a/x", "a/empty");
        assertThat(archive.entry("a/x").toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 2, 3);
        assertThat(archive.entry("a/empty").byteSize()).isZero();
        assertThatThrownBy(() -> archive.entry("a/missing")).isInstanceOf(LlamaException.class)
                .hasMessage("t.pth: zip archive has no entry 'a/missing'");
    }

    @Test
    void readsZip64ExtraFields(@TempDir Path tmp) throws IOException {
        byte[] data = "ZIP64 payload".getBytes();
        byte[] zip = zip64("arch/data/0", data);
        // the hand-built archive is valid: java.util.zip reads it too
        Path f = tmp.resolve("z64.zip");
        Files.write(f, zip);
        try (ZipFile reference = new ZipFile(f.toFile())) {
            assertThat(reference.getInputStream(reference.getEntry("arch/data/0")).readAllBytes()).isEqualTo(data);
        }
        assertThat(read(zip).entry("arch/data/0").toArray(ValueLayout.JAVA_BYTE)).isEqualTo(data);

        // a saturated offset whose ZIP64 extra is missing is refused
        byte[] noExtra = zip.clone();
        int cd = lastSignature(noExtra, 0x02014b50);
        ByteBuffer.wrap(noExtra).order(ByteOrder.LITTLE_ENDIAN).putShort(cd + 46 + "arch/data/0".length(), (short) 0x9999);
        assertThatThrownBy(() -> read(noExtra)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("needs a ZIP64 extra field, none found");
    }

    @Test
    void refusesCompressedEntries() {
        byte[] zip = new TorchZip().putDeflated("a/data/0", new byte[100]).bytes();
        assertThatThrownBy(() -> read(zip).entry("a/data/0")).isInstanceOf(LlamaException.class)
                .hasMessage("t.pth: zip entry 'a/data/0' is compressed (method 8); only stored (uncompressed)"
                        + " entries can be read in place");
    }

    @Test
    void refusesTruncatedArchives() throws IOException {
        byte[] full = fixture();
        for (int len : new int[] {0, 10, 21, 1000, full.length / 2, full.length - 23, full.length - 1}) {
            assertThatThrownBy(() -> read(Arrays.copyOf(full, len))).as("length %d", len)
                    .isInstanceOf(LlamaException.class).hasMessageStartingWith("t.pth: corrupt zip archive: ");
        }
    }

    @Test
    void refusesDamagedDirectory() throws IOException {
        byte[] full = fixture();
        int eocd = lastSignature(full, 0x06054b50);
        int z64 = lastSignature(full, 0x06064b50);
        int firstCentral = ByteBuffer.wrap(full).order(ByteOrder.LITTLE_ENDIAN).getInt(z64 + 48);

        byte[] sig = full.clone();
        sig[firstCentral] ^= 0x40;
        assertThatThrownBy(() -> read(sig)).isInstanceOf(LlamaException.class)
                .hasMessage("t.pth: corrupt zip archive: central directory entry 0 at offset " + firstCentral
                        + " has no central directory signature");

        byte[] hugeOffset = patchLong(full, z64 + 48, 1L << 62);
        assertThatThrownBy(() -> read(hugeOffset)).isInstanceOf(LlamaException.class)
                .hasMessage("t.pth: corrupt zip archive: central directory (offset 4611686018427387904, "
                        + (z64 - firstCentral) + " bytes) does not lie before the end record at offset " + z64);

        byte[] negative = patchLong(full, z64 + 40, -8);
        assertThatThrownBy(() -> read(negative)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("ZIP64 central directory size 18446744073709551608 is impossibly large");

        byte[] manyEntries = patchLong(full, z64 + 32, 1_000_000);
        assertThatThrownBy(() -> read(manyEntries)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("1000000 entries cannot fit in a central directory of");

        byte[] locator = patchLong(full, eocd - 20 + 8, full.length - 30);
        assertThatThrownBy(() -> read(locator)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("ZIP64 end record offset " + (full.length - 30) + " is outside the file");

        // a name length that runs into the next entry's bytes and past the directory
        byte[] nameLen = full.clone();
        ByteBuffer.wrap(nameLen).order(ByteOrder.LITTLE_ENDIAN).putShort(firstCentral + 28, (short) 0xFFFF);
        assertThatThrownBy(() -> read(nameLen)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("name, extra field and comment run past the end of the central directory");
    }

    @Test
    void refusesDamagedLocalHeaders() throws IOException {
        byte[] full = fixture();
        int z64 = lastSignature(full, 0x06064b50);
        int firstCentral = ByteBuffer.wrap(full).order(ByteOrder.LITTLE_ENDIAN).getInt(z64 + 48);
        String first = "consolidated.00/data.pkl";

        byte[] localSig = full.clone();
        localSig[0] = 0;
        assertThatThrownBy(() -> read(localSig).entry(first)).isInstanceOf(LlamaException.class)
                .hasMessage("t.pth: zip entry '" + first + "': no local header signature at offset 0");

        byte[] longExtra = full.clone();
        ByteBuffer.wrap(longExtra).order(ByteOrder.LITTLE_ENDIAN).putShort(28, (short) 0xFFFF);
        ByteBuffer.wrap(longExtra).order(ByteOrder.LITTLE_ENDIAN).putInt(firstCentral + 20, 0x7FFFFFFF)
                .putInt(firstCentral + 24, 0x7FFFFFFF);
        assertThatThrownBy(() -> read(longExtra).entry(first)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("runs past the end of the file (" + full.length + " bytes)");

        byte[] otherName = full.clone();
        otherName[30] = 'X';
        assertThatThrownBy(() -> read(otherName).entry(first)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("names a different entry than the central directory");
    }

    private static byte[] patchLong(byte[] b, int at, long v) {
        byte[] out = b.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
        return out;
    }

    /** One stored entry whose sizes and offset are given only in ZIP64 extra fields, as in files over 4 GiB. */
    private static byte[] zip64(String name, byte[] data) {
        byte[] n = name.getBytes();
        CRC32 crc = new CRC32();
        crc.update(data);
        ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x04034b50).putShort((short) 45).putShort((short) 0).putShort((short) 0).putInt(0)
                .putInt((int) crc.getValue()).putInt(-1).putInt(-1).putShort((short) n.length).putShort((short) 20)
                .put(n).putShort((short) 1).putShort((short) 16).putLong(data.length).putLong(data.length).put(data);
        int cd = b.position();
        b.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0).putShort((short) 0)
                .putInt(0).putInt((int) crc.getValue()).putInt(-1).putInt(-1).putShort((short) n.length)
                .putShort((short) 28).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(-1)
                .put(n).putShort((short) 1).putShort((short) 24).putLong(data.length).putLong(data.length).putLong(0);
        int cdSize = b.position() - cd;
        int z64 = b.position();
        b.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                .putLong(1).putLong(1).putLong(cdSize).putLong(cd);
        b.putInt(0x07064b50).putInt(0).putLong(z64).putInt(1);
        b.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) -1).putShort((short) -1)
                .putInt(-1).putInt(-1).putShort((short) 0);
        return Arrays.copyOf(b.array(), b.position());
    }
}
