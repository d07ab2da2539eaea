package dev.llama3j.format.hf;

import dev.llama3j.LlamaException;
import dev.llama3j.format.safetensors.SafetensorsFile;
import dev.llama3j.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The safetensors files of a Hugging Face model directory, each mapped once: {@code model.safetensors}, or
 * the shards listed by {@code model.safetensors.index.json} (transformers prefers the single file when both
 * exist). Closing it unmaps them all.
 */
final class HfCheckpoint implements AutoCloseable {
    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> fileOf;

    private HfCheckpoint(Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> fileOf) {
        this.dir = dir;
        this.files = files;
        this.fileOf = fileOf;
    }

    static HfCheckpoint open(Path dir) {
        if (Files.isRegularFile(dir.resolve(SINGLE))) {
            return openAll(dir, List.of(dir.resolve(SINGLE)), Map.of(), null);
        }
        Path index = dir.resolve(INDEX);
        if (!Files.isRegularFile(index)) {
            throw new LlamaException(dir + ": no " + SINGLE + " or " + INDEX
                    + " (llama3j reads Hugging Face weights in safetensors format only)");
        }
        JsonConfigFile weightMap = JsonConfigFile.read(index).object("weight_map");
        if (weightMap == null) {
            throw new LlamaException(index + ": missing field weight_map");
        }
        Map<String, String> shardOf = new LinkedHashMap<>();
        Set<String> shardNames = new TreeSet<>();
        for (String tensor : weightMap.fieldNames()) {
            String shard = weightMap.string(tensor);
            if (shard == null || !isPlainFileName(shard)) {
                throw weightMap.error(tensor, "must name a file in " + dir + ", got "
                        + (shard == null ? "null" : "\"" + JsonConfigFile.shown(shard) + "\""));
            }
            shardOf.put(tensor, shard);
            shardNames.add(shard);
        }
        List<Path> paths = new ArrayList<>();
        for (String shard : shardNames) {
            Path p = dir.resolve(shard);
            if (!Files.isRegularFile(p)) {
                throw new LlamaException(index + ": lists shard " + shard + ", which is not in " + dir);
            }
            paths.add(p);
        }
        return openAll(dir, paths, shardOf, index);
    }

    /** Only a bare name in the model directory: an index must not point elsewhere on the disk. */
    private static boolean isPlainFileName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..")
                && name.indexOf('/') < 0 && name.indexOf('\\') < 0 && name.indexOf('\0') < 0;
    }

    private static HfCheckpoint openAll(Path dir, List<Path> paths, Map<String, String> shardOf, Path index) {
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> fileOf = new TreeMap<>();
            for (Path p : paths) {
                SafetensorsFile f = SafetensorsFile.open(p);
                files.add(f);
                for (String name : f.tensors().keySet()) {
                    SafetensorsFile other = fileOf.putIfAbsent(name, f);
                    if (other != null) {
                        throw new LlamaException(p + ": tensor " + JsonConfigFile.shown(name) + " is also in "
                                + other.path());
                    }
                }
            }
            for (Map.Entry<String, String> e : shardOf.entrySet()) {
                SafetensorsFile f = fileOf.get(e.getKey());
                if (f == null || !f.path().getFileName().toString().equals(e.getValue())) {
                    throw new LlamaException(index + ": weight_map puts " + JsonConfigFile.shown(e.getKey()) + " in "
                            + e.getValue() + ", but " + (f == null ? "no shard holds it" : "it is in " + f.path().getFileName()));
                }
            }
            return new HfCheckpoint(dir, List.copyOf(files), fileOf);
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    Path directory() {
        return dir;
    }

    /** Names of all tensors in all files, sorted. */
    Set<String> names() {
        return fileOf.keySet();
    }

    /** The tensor called {@code name}, or null if no file holds it. */
    Tensor find(String name) {
        SafetensorsFile f = fileOf.get(name);
        return f == null ? null : f.tensor(name);
    }

    /** The file holding {@code name}, for messages. */
    Path fileOf(String name) {
        return fileOf.get(name).path();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
