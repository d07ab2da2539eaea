package dev.llama3j.download;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.BoundedJson;
import dev.llama3j.LlamaException;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.format.gguf.GgufFile;
import dev.llama3j.format.pth.PthCheckpoint;
import dev.llama3j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The models on this machine, as {@code llama3j list} shows them: in the hub's cache (by repository, a GGUF file
 * as {@code org/name:QUANT}), in {@code ~/.llama/checkpoints} (llama-models' download layout) and in a folder (its
 * {@code .gguf} files and model folders, one level deep).
 */
public final class LocalModels {
    private LocalModels() {}

    /** One model: how to name it to {@code -m}, its format, weight type, bytes on disk and path. */
    public record Entry(String name, ModelFiles.Format format, String type, long bytes, Path path) {}

    /** llama.cpp's {@code general.file_type} (llama_ftype) names. */
    private static final Map<Long, String> FILE_TYPES = Map.ofEntries(
            Map.entry(0L, "F32"), Map.entry(1L, "F16"), Map.entry(2L, "Q4_0"), Map.entry(3L, "Q4_1"),
            Map.entry(7L, "Q8_0"), Map.entry(8L, "Q5_0"), Map.entry(9L, "Q5_1"), Map.entry(10L, "Q2_K"),
            Map.entry(11L, "Q3_K_S"), Map.entry(12L, "Q3_K_M"), Map.entry(13L, "Q3_K_L"), Map.entry(14L, "Q4_K_S"),
            Map.entry(15L, "Q4_K_M"), Map.entry(16L, "Q5_K_S"), Map.entry(17L, "Q5_K_M"), Map.entry(18L, "Q6_K"),
            Map.entry(32L, "BF16"));

    /** The models in the hub cache at {@code hubCache}. */
    public static List<Entry> inHubCache(Path hubCache) {
        List<Entry> out = new ArrayList<>();
        for (Path repoDir : children(hubCache)) {
            String dir = repoDir.getFileName().toString();
            if (!dir.startsWith("models--") || !Files.isDirectory(repoDir)) {
                continue;
            }
            String repo = dir.substring("models--".length()).replaceFirst("--", "/");
            List<Path> snapshots = children(repoDir.resolve("snapshots"));
            for (Path snap : snapshots) {
                String at = snapshots.size() > 1 ? "@" + snap.getFileName().toString().substring(0, 7) : "";
                for (Path f : children(snap)) {
                    String file = f.getFileName().toString();
                    if (file.toLowerCase(Locale.ROOT).endsWith(".gguf") && !file.contains("mmproj")) {
                        String quant = file.replaceFirst("(?i)\\.gguf$", "");
                        quant = quant.substring(Math.max(quant.lastIndexOf('-'), quant.lastIndexOf('.')) + 1);
                        describe(repo + ":" + quant + at, f).ifPresent(out::add);
                    }
                }
                describe(repo + at, snap).ifPresent(out::add);
                describe(repo + at + " (original/)", snap.resolve("original")).ifPresent(out::add);
            }
        }
        return out;
    }

    /** Model folders directly under {@code dir} (llama-models' {@code ~/.llama/checkpoints}). */
    public static List<Entry> inCheckpoints(Path dir) {
        List<Entry> out = new ArrayList<>();
        for (Path p : children(dir)) {
            if (Files.isDirectory(p)) {
                describe(p.getFileName().toString(), p).ifPresent(out::add);
            }
        }
        return out;
    }

    /** GGUF files and model folders directly in {@code dir}. */
    public static List<Entry> inFolder(Path dir) {
        List<Entry> out = new ArrayList<>();
        for (Path p : children(dir)) {
            boolean gguf = Files.isRegularFile(p) && p.getFileName().toString().toLowerCase(Locale.ROOT)
                    .endsWith(".gguf");
            if (gguf || Files.isDirectory(p)) {
                describe(p.toString(), p).ifPresent(out::add);
            }
        }
        return out;
    }

    /** The entry for a model at {@code path}, or empty when there is none (or it cannot be read). */
    static Optional<Entry> describe(String name, Path path) {
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        try {
            ModelFiles.Format format = ModelFiles.detect(path);
            if (format == ModelFiles.Format.HF && Files.isDirectory(path)
                    && children(path).stream().noneMatch(p -> p.toString().endsWith(".safetensors"))) {
                return Optional.empty();
            }
            return Optional.of(new Entry(name, format, type(format, path), bytes(path), path));
        } catch (LlamaException | IOException e) {
            return Optional.empty();
        }
    }

    private static String type(ModelFiles.Format format, Path path) {
        try {
            return switch (format) {
                case GGUF -> {
                    try (GgufFile f = GgufFile.open(path)) {
                        long ft = f.metadata().getLong("general.file_type", -1);
                        yield FILE_TYPES.getOrDefault(ft, ft < 0 ? "-" : "ftype " + ft);
                    }
                }
                case HF -> {
                    JsonNode config = BoundedJson.readObject(path.resolve("config.json"), 1 << 20, "config.json");
                    yield config.path("torch_dtype").asText("-").toUpperCase(Locale.ROOT).replace("BFLOAT16", "BF16")
                            .replace("FLOAT16", "F16").replace("FLOAT32", "F32");
                }
                case META -> {
                    try (PthCheckpoint pth = PthCheckpoint.open(path.resolve("consolidated.00.pth"))) {
                        yield pth.tensors().values().stream().map(Tensor::type).map(Enum::name)
                                .filter(t -> !t.equals("F32")).findFirst().orElse("F32");
                    }
                }
            };
        } catch (LlamaException e) {
            return "-";
        }
    }

    /** The model's bytes: the file, or its folder's files (links followed; subfolders such as original/ left out). */
    private static long bytes(Path path) throws IOException {
        if (Files.isRegularFile(path)) {
            return Files.size(path);
        }
        long sum = 0;
        for (Path p : children(path)) {
            if (Files.isRegularFile(p)) {
                sum += Files.size(p);
            }
        }
        return sum;
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
