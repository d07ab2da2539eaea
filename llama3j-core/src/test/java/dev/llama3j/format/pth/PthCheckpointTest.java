package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PthCheckpointTest {

    /** bf16 values decoded by hand from the raw bytes of a zip entry read with java.util.zip. */
    private static float[] decodeEntry(Path file, String entry, int fromElement, int count) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ByteBuffer b = ByteBuffer.wrap(zip.getInputStream(zip.getEntry(entry)).readAllBytes())
                    .order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[count];
            for (int i = 0; i < count; i++) {
                out[i] = Float.intBitsToFloat((b.getShort(2 * (fromElement + i)) & 0xffff) << 16);
            }
            return out;
        }
    }

    @Test
    void readsSingleShardFixture() throws IOException {
        Path file = SharedData.require("fixtures/meta/tiny-sv-meta/consolidated.00.pth");
        try (PthCheckpoint ckpt = PthCheckpoint.open(file)) {
            Map<String, Tensor> t = ckpt.tensors();
            assertThat(t).hasSize(3 + 2 * 9);
            assertThat(t.keySet()).startsWith("tok_embeddings.weight", "layers.0.attention.wq.weight")
                    .contains("norm.weight", "output.weight", "layers.1.feed_forward.w2.weight");
            Tensor emb = t.get("tok_embeddings.weight");
            assertThat(emb.type()).isEqualTo(DType.BF16);
            assertThat(emb.shape()).containsExactly(512, 64);
            assertThat(t.get("layers.1.feed_forward.w2.weight").shape()).containsExactly(64, 224);
            assertThat(t.get("norm.weight").shape()).containsExactly(64);
            assertThat(emb.data().isMapped()).isTrue();
            // the pickle puts tok_embeddings in storage '0' at offset 0 (checked with Python's pickletools)
            assertThat(emb.toFloats()).containsExactly(decodeEntry(file, "consolidated.00/data/0", 0, 512 * 64));
        }
    }

    @Test
    void viewsIntoOneSharedStorageUseTheirOffsets() throws IOException {
        Path file = SharedData.require("fixtures/meta/tiny-sv-meta-mp2/consolidated.00.pth");
        try (PthCheckpoint ckpt = PthCheckpoint.open(file)) {
            Tensor wq = ckpt.tensors().get("layers.0.attention.wq.weight");
            Tensor wk = ckpt.tensors().get("layers.0.attention.wk.weight");
            assertThat(wq.shape()).containsExactly(32, 64);
            assertThat(wk.shape()).containsExactly(16, 64);
            // per the pickle, wq is storage '1' elements [0, 2048) and wk elements [2048, 3072)
            assertThat(wk.data().address()).isEqualTo(wq.data().address() + 2048 * 2);
            assertThat(wk.toFloats()).containsExactly(decodeEntry(file, "consolidated.00/data/1", 2048, 16 * 64));
        }
    }

    @Test
    void archiveFolderNameIsNotAssumed() {
        short one = (short) (Float.floatToIntBits(1f) >>> 16);
        short minusTwo = (short) (Float.floatToIntBits(-2f) >>> 16);
        Map<String, Tensor> t = PthCheckpoint.readTensors("x.pth",
                MemorySegment.ofArray(TorchZip.oneTensor(new short[] {one, minusTwo, one, one}, 2, 2)));
        assertThat(t.get("w").shape()).containsExactly(2, 2);
        assertThat(t.get("w").toFloats()).containsExactly(1f, -2f, 1f, 1f);
    }

    @Test
    void storageSizeMustMatchThePickle() {
        byte[] pickle = new PickleBuilder().proto().op('}', '(').str("w").bf16("0", 10, 0, 10).op('u', '.').bytes();
        byte[] zip = new TorchZip().put("a/data.pkl", pickle).put("a/data/0", new byte[8]).bytes();
        assertThatThrownBy(() -> PthCheckpoint.readTensors("x.pth", MemorySegment.ofArray(zip)))
                .isInstanceOf(LlamaException.class)
                .hasMessage("x.pth: storage 'a/data/0' holds 8 bytes, the pickle declares 10 BF16 elements");
        byte[] noStorage = new TorchZip().put("a/data.pkl", pickle).bytes();
        assertThatThrownBy(() -> PthCheckpoint.readTensors("x.pth", MemorySegment.ofArray(noStorage)))
                .isInstanceOf(LlamaException.class).hasMessage("x.pth: zip archive has no entry 'a/data/0'");
    }

    @Test
    void needsExactlyOnePickleAndLittleEndianStorages() {
        byte[] none = new TorchZip().put("a/data/0", new byte[2]).bytes();
        assertThatThrownBy(() -> PthCheckpoint.readTensors("x.pth", MemorySegment.ofArray(none)))
                .isInstanceOf(LlamaException.class)
                .hasMessage("x.pth: expected one '<archive>/data.pkl' entry in the torch zip, found none");
        byte[] pickle = new PickleBuilder().proto().op('}', '.').bytes();
        byte[] two = new TorchZip().put("a/data.pkl", pickle).put("b/data.pkl", pickle).bytes();
        assertThatThrownBy(() -> PthCheckpoint.readTensors("x.pth", MemorySegment.ofArray(two)))
                .isInstanceOf(LlamaException.class).hasMessageContaining("found [a/data.pkl, b/data.pkl]");
        byte[] big = new TorchZip().put("a/data.pkl", pickle).put("a/byteorder", "big".getBytes()).bytes();
        assertThatThrownBy(() -> PthCheckpoint.readTensors("x.pth", MemorySegment.ofArray(big)))
                .isInstanceOf(LlamaException.class)
                .hasMessage("x.pth: storages are saved with byte order 'big', only 'little' is supported");
        byte[] little = new TorchZip().put("a/data.pkl", pickle).put("a/byteorder", "little".getBytes()).bytes();
        assertThat(PthCheckpoint.readTensors("x.pth", MemorySegment.ofArray(little))).isEmpty();
    }

    @Test
    void truncatedFileOnDiskIsAUserError(@TempDir Path dir) throws IOException {
        byte[] full = Files.readAllBytes(SharedData.require("fixtures/meta/tiny-sv-meta/consolidated.00.pth"));
        Path cut = Files.write(dir.resolve("consolidated.00.pth"), java.util.Arrays.copyOf(full, full.length / 3));
        assertThatThrownBy(() -> PthCheckpoint.open(cut)).isInstanceOf(LlamaException.class)
                .hasMessage(cut + ": corrupt zip archive: no end of central directory record (not a zip archive,"
                        + " or truncated)");
    }
}
