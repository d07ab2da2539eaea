package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;
import dev.llama3j.format.io.MappedFile;
import dev.llama3j.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One file written by {@code torch.save(state_dict)} (Meta's {@code consolidated.NN.pth}), mapped in place:
 * its tensors are slices of the mapped file, valid until {@link #close()}.
 */
public final class PthCheckpoint implements AutoCloseable {
    private static final String PICKLE = "data.pkl";

    private final MappedFile file;
    private final Map<String, Tensor> tensors;

    private PthCheckpoint(MappedFile file, Map<String, Tensor> tensors) {
        this.file = file;
        this.tensors = tensors;
    }

    /** Maps {@code path} and reads its state dict; a malformed file is a {@link LlamaException}. */
    public static PthCheckpoint open(Path path) {
        MappedFile file = MappedFile.open(path);
        try {
            return new PthCheckpoint(file, readTensors(path.toString(), file.segment()));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public Path path() {
        return file.path();
    }

    /** Tensor name to tensor, in the file's order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    @Override
    public void close() {
        file.close();
    }

    /**
     * The tensors of the torch zip in {@code bytes}, as slices of it. The archive's folder name (the file
     * stem for Meta's files) is not assumed: it is wherever the zip's one {@code data.pkl} lies.
     *
     * @param source names the file in error messages
     */
    public static Map<String, Tensor> readTensors(String source, MemorySegment bytes) {
        ZipArchive zip = ZipArchive.read(source, bytes);
        String pickleName = findPickle(source, zip);
        String prefix = pickleName.substring(0, pickleName.length() - PICKLE.length());
        checkByteOrder(source, zip, prefix + "byteorder");
        Map<String, TensorView> views = Unpickler.readStateDict(source + " (" + pickleName + ")",
                zip.entry(pickleName));
        Map<String, MemorySegment> storages = new HashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, TensorView> e : views.entrySet()) {
            TensorView v = e.getValue();
            long itemSize = v.type().blockBytes;
            String entryName = prefix + "data/" + v.storageKey();
            MemorySegment storage = storages.computeIfAbsent(entryName, zip::entry);
            if (v.storageNumel() > storage.byteSize() / itemSize
                    || v.storageNumel() * itemSize != storage.byteSize()) {
                throw new LlamaException(source + ": storage '" + entryName + "' holds " + storage.byteSize()
                        + " bytes, the pickle declares " + v.storageNumel() + " " + v.type() + " elements");
            }
            MemorySegment data = storage.asSlice(v.storageOffset() * itemSize, v.elementCount() * itemSize);
            tensors.put(e.getKey(), new Tensor(e.getKey(), v.type(), v.shape(), data));
        }
        return Collections.unmodifiableMap(tensors);
    }

    private static String findPickle(String source, ZipArchive zip) {
        List<String> pickles = zip.names().stream()
                .filter(n -> n.equals(PICKLE)
                        || (n.endsWith("/" + PICKLE) && n.indexOf('/') == n.length() - PICKLE.length() - 1))
                .toList();
        if (pickles.size() != 1) {
            throw new LlamaException(source + ": expected one '<archive>/" + PICKLE + "' entry in the torch zip, found "
                    + (pickles.isEmpty() ? "none" : pickles));
        }
        return pickles.getFirst();
    }

    /** Newer torch records the byte order of the storages; llama3j reads them as little-endian. */
    private static void checkByteOrder(String source, ZipArchive zip, String name) {
        if (zip.contains(name)) {
            MemorySegment s = zip.entry(name);
            String order = s.byteSize() > 16 ? "?" : new String(s.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
            if (!order.strip().equals("little")) {
                throw new LlamaException(source + ": storages are saved with byte order '" + order
                        + "', only 'little' is supported");
            }
        }
    }

    @Override
    public String toString() {
        return file.path().toString();
    }
}
